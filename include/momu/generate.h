/* momu generate — the generation pipeline as a library (DESIGN.md §1.2–1.4, docs/SAMPLING.md).
 *
 * One code path behind `momu generate`, `momu demo` and `momu eval report`:
 *   condition -> features -> the VAE checkpoint's normalisation -> VAE encode (posterior mean) -> denoiser
 *   condition scale -> windowed + CFG sampling (or cross-guidance for both) from x_T ~ N(0, I) (seed) ->
 *   unscale -> VAE decode -> de-normalise -> motion (momu_features_to_motion) / mel -> Griffin-Lim -> PCM.
 * Same generator files, inputs, options and seed give identical output bytes (also between thread counts).
 * Nothing here prints or exits: errors come back as momu_status + momu_err, progress through a callback.
 *
 * Models: a folder holding music_vae.safetensors, motion_vae.safetensors (`momu train vae`, EMA weights when
 * present), denoiser_music.safetensors (music given motion) and denoiser_motion.safetensors (motion given
 * music; `momu train diffusion`, EMA weights when present, else the live ones). Each path can be overridden. */
#ifndef MOMU_GENERATE_H
#define MOMU_GENERATE_H
#include <stddef.h>
#include <stdint.h>

#include "momu/common.h"
#include "momu/denoiser.h"
#include "momu/diffusion.h"
#include "momu/motion.h"
#include "momu/vae_train.h"
#ifdef __cplusplus
extern "C" {
#endif

#define MOMU_GEN_LATENT_FPS 12.5   /* latent frames per second of both modalities */

/* File names inside a model folder, in the order music VAE, motion VAE, music denoiser, motion denoiser. */
extern const char *const MOMU_GEN_FILE_NAMES[4];

/* ---- model discovery ------------------------------------------------------------------------------------
 * The first folder that holds all four files, in this order: `given` (if not NULL; then only it is tried),
 * $MOMU_MODELS, <directory of the running executable>/models (readlink /proc/self/exe), ./models.
 * Writes the folder into dir (size dir_n). Fails with MOMU_ERR_STATE and a message listing every folder
 * tried and the first file missing in each. */
momu_status momu_models_default_dir(const char *given, char *dir, size_t dir_n, momu_err *e);

/* ---- the generator: four models ------------------------------------------------------------------------ */
enum { MOMU_GEN_MUSIC = 0, MOMU_GEN_MOTION = 1 };   /* index of vae[] and den[] */

typedef struct {
    momu_vae_ckpt vae[2];          /* [MOMU_GEN_MUSIC] music VAE, [MOMU_GEN_MOTION] motion VAE */
    int           vae_ok[2];
    denoiser      den[2];          /* [MOMU_GEN_MUSIC] music given motion, [MOMU_GEN_MOTION] motion given music */
    int           den_ok[2];       /* 0 when skipped at load */
    size_t        den_window[2];   /* "momu.window_latent_frames" of the checkpoint (0: absent) */
    size_t        C;               /* latent channels (shared by all four models) */
} momu_generator;

typedef struct {
    const char *dir;   /* folder with the four files; may be NULL when all four paths below are given */
    const char *music_vae, *motion_vae, *music_denoiser, *motion_denoiser;   /* NULL: dir/MOMU_GEN_FILE_NAMES[i] */
    int skip_music_denoiser, skip_motion_denoiser;   /* 1: do not load it (dance needs no music denoiser) */
} momu_generator_files;

/* Loads the models and checks they agree (latent channels). A missing file gives MOMU_ERR_IO naming it.
 * On failure *g is left freed (safe to call momu_generator_free on it again). */
momu_status momu_generator_load(momu_generator *g, const momu_generator_files *f, momu_err *e);
void        momu_generator_free(momu_generator *g);

/* ---- options ------------------------------------------------------------------------------------------- */
/* Progress: stage ("dance", "music", "both"), done/total sampling steps, t the timestep just used.
 * A nonzero return cancels (the call returns MOMU_ERR_STATE). */
typedef int (*momu_gen_progress_fn)(void *user, const char *stage, int step, int n_steps, int t);

typedef struct {   /* filled by a momu_generate_* call when opts->stats is not NULL */
    size_t Tz;                  /* latent frames generated */
    size_t n_windows;           /* windows of the (first) windowed model */
    size_t window, overlap;     /* as used */
    size_t prefix_frames;       /* latent frames kept from the prefix (0: none) */
    double t_encode_s, t_sample_s, t_decode_s;
} momu_gen_stats;

/* Default guidance: scale 8, for dance and music only in the low-noise half [0, 0.5 T) (guidance interval),
 * the conditional model alone above it; in `both` the same scale below t_c (default 0.5 T). Chosen on the
 * validation songs (docs/SAMPLING.md "Guidance interval"): against scale 3 everywhere, dance sync 0.137 vs
 * 0.114 at FID_k 50.9 vs 58.7; scale 6 everywhere reached 0.130 at FID_k 385. */
#define MOMU_GEN_GUIDANCE    8.0f
#define MOMU_GEN_GUIDANCE_HI 0.5f

typedef struct {
    momu_sampler_kind sampler;     /* default DPM-Solver++(2M) */
    momu_spacing spacing;          /* default logsnr */
    int      steps;                /* 1..MOMU_DIFF_T, default 25 */
    float    eta;                  /* DDIM eta, default 0 */
    float    guidance;             /* CFG / cross-guidance scale, default MOMU_GEN_GUIDANCE */
    float    guidance_lo, guidance_hi; /* dance/music: CFG only for t in [lo*T, hi*T), the conditional model
                                      alone elsewhere; 0 <= lo < hi <= 1, default 0, MOMU_GEN_GUIDANCE_HI */
    float    tc;                   /* both: cross-guidance below t = tc*T, in [0, 1], default 0.5 */
    int64_t  seed;                 /* x_T and step noise, default 0 */
    double   seconds;              /* dance/music: crop the condition to this length (0: all) */
    size_t   window;               /* latent frames per window; 0: the denoiser's training window (for both
                                      the smaller of the two), else 125 */
    size_t   overlap;              /* 0: window / 5 */
    momu_blend blend;              /* default ramp */
    int      resample;             /* with a prefix: RePaint passes per step, default 4 */
    size_t   gl_iters;             /* Griffin-Lim iterations for music, default MOMU_GL_ITERS */
    momu_gen_progress_fn progress; /* may be NULL */
    void    *progress_user;
    momu_gen_stats *stats;         /* optional output, may be NULL */
} momu_gen_opts;

void momu_gen_opts_default(momu_gen_opts *o);

/* ---- generation ----------------------------------------------------------------------------------------
 * All outputs are malloc'd / allocated by the callee (free() PCM, momu_motion_free() motions); on failure
 * nothing is left allocated. PCM is mono float at MOMU_SR (16 kHz). Motions come out at 25 fps with the
 * Dance-with-Melody skeleton when the motion VAE has 23 joints (else positions only). */

/* Dance from music: pcm (n samples at sr Hz; resampled to MOMU_SR if different). prefix: a motion to
 * continue (kept as the first latent frames; NULL: none). Needs den[MOMU_GEN_MOTION]. The motion has as many
 * latent frames as the music (opts->seconds crops it). */
momu_status momu_generate_dance(const momu_generator *g, const float *pcm, size_t n, unsigned sr,
                                const momu_gen_opts *o, const momu_motion *prefix, momu_motion *out, momu_err *e);

/* Music from dance: motion m (any fps; resampled to 25 fps; its joint count must match the motion VAE).
 * prefix_pcm: music at MOMU_SR to continue (NULL: none). Needs den[MOMU_GEN_MUSIC]. */
momu_status momu_generate_music(const momu_generator *g, const momu_motion *m, const momu_gen_opts *o,
                                const float *prefix_pcm, size_t prefix_n, float **pcm, size_t *n, momu_err *e);

/* Both together by cross-guidance: round(12.5 * seconds) latent frames of music and motion. */
momu_status momu_generate_both(const momu_generator *g, double seconds, const momu_gen_opts *o, float **pcm,
                               size_t *n, momu_motion *out, momu_err *e);

#ifdef __cplusplus
}
#endif
#endif
