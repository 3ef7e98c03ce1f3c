/* momu — BiCoR-VAE training (`momu train vae`): the prepared-data loader and batch sampler, the training
 * loop of both stages, and the checkpoint files (docs/MODELS.md "Training").
 *
 * Dimensions: N windows, W motion frames per window (25 fps), 4W mel frames (100 fps), M mel bands (80),
 * D motion features (6J+8), B batch, L crop in motion frames (even: 4L mel frames, L/2 latent frames). */
#ifndef MOMU_VAE_TRAIN_H
#define MOMU_VAE_TRAIN_H
#include <stddef.h>
#include <stdint.h>

#include "momu/common.h"
#include "momu/motion.h"
#include "momu/rng.h"
#include "momu/bicor.h"
#include "momu/safetensors.h"
#include "momu/vae.h"
#ifdef __cplusplus
extern "C" {
#endif

/* ---- prepared data (docs/DATA.md §7) ------------------------------------------------------------ */
typedef struct {
    size_t W, M, D, J;               /* D = J = 0 when loaded without motion */
    size_t n_train, n_val, n_music_only;
    float *train_mel, *val_mel;      /* (N, 4W, M), normalised with mel_mean/std */
    float *music_only_mel;           /* (n_music_only, 4W, M) normalised, or NULL */
    float *train_mot, *val_mot;      /* (N, W, D), normalised with mot_stats (NULL without motion) */
    float *train_q, *val_q;          /* (N, W) kinematic amplitude of the raw features (NULL without motion) */
    size_t *val_clip, *val_start;    /* (n_val) clip number (order of first appearance in val_index.tsv) and
                                        start_motion_frame of each validation window */
    size_t n_val_clips;
    size_t *train_clip, *train_start, n_train_clips;   /* the same from train_index.tsv (NULL if absent) */
    float *mel_mean, *mel_std;       /* (M) */
    momu_feature_stats mot_stats;    /* dim D (empty without motion) */
    char dir[1024];
} momu_vae_data;

/* Loads DIR/{train,val}_mel.npy, mel_stats.npy, val_index.tsv (and music_only_mel.npy when present);
 * train_index.tsv when present; with_motion: also {train,val}_motion.npy, motion_stats.npy and Q of every window. Checks every shape
 * against the others (got vs expected, naming the file); requires prepare.json (a complete folder). */
momu_status momu_vae_data_load(const char *dir, int with_motion, momu_vae_data *d, momu_err *e);
void        momu_vae_data_free(momu_vae_data *d);

/* Seeded random batches: an epoch is a permutation of the pool (train windows, plus the music-only windows
 * in the music stage) drawn from a generator seeded (seed, epoch), so a resumed run rebuilds it from
 * (seed, epoch, cursor); crop starts (even motion frames, uniform) come from the training RNG. */
typedef struct {
    size_t n_pool, n_paired;         /* pool index < n_paired: a train window; else a music-only window */
    size_t L;                        /* crop, motion frames (even, <= W) */
    uint64_t seed, epoch, cursor;
    size_t *perm;                    /* (n_pool) */
} momu_vae_sampler;

momu_status momu_vae_sampler_init(momu_vae_sampler *s, const momu_vae_data *d, int music_only_too, size_t L,
                                  uint64_t seed, momu_err *e);
/* Sets the position (after a resume) and rebuilds that epoch's permutation. */
void        momu_vae_sampler_seek(momu_vae_sampler *s, uint64_t epoch, uint64_t cursor);
void        momu_vae_sampler_free(momu_vae_sampler *s);
/* Fills B crops: mel (B,4L,M); mot (B,L,D) and q (B,L) when non-NULL (motion stage: the pool is paired
 * windows only). */
void        momu_vae_sampler_next(momu_vae_sampler *s, const momu_vae_data *d, momu_rng *rng, size_t B, float *mel,
                                  float *mot, float *q);

/* ---- checkpoints ----------------------------------------------------------------------------------
 * CKPT (safetensors, F32, written atomically): tensors "vae.<name>" (the weights), "ema.<name>" (their EMA),
 * "norm.mean", "norm.std" (F: the input normalisation, mel bands or motion features). Metadata:
 * MOMU_VAE_META_KEY (config JSON with "kind"), "momu.format" = "momu-vae", "momu.kind", "momu.step",
 * "momu.seed", "train.*" (batch, crop_frames, lr, kl, contrast, ...), "bicor.*", "audio.*" (sample rate,
 * n_fft, hop, n_mels, fmin, fmax, log floor), "motion.n_joints", "motion.fps", "data.*" (dir, window frames,
 * train/val windows). CKPT.state: the training state (nn_optim.h trainstate) for --resume. */
typedef struct {
    momu_vae     vae;
    float       *params;             /* (vae.tab.total) the EMA weights when present and asked for */
    float       *norm_mean, *norm_std;   /* (F) */
    size_t       step, n_joints;     /* n_joints: motion VAE only */
    safetensors_meta meta;
} momu_vae_ckpt;

/* expect: MOMU_VAE_MUSIC / MOTION, or MOMU_VAE_KIND_COUNT for either; a checkpoint of the other kind or not
 * a VAE checkpoint is refused naming the file. use_ema: load "ema." instead of "vae." when present. */
momu_status momu_vae_ckpt_load(const char *path, momu_vae_kind expect, int use_ema, momu_vae_ckpt *c, momu_err *e);
void        momu_vae_ckpt_free(momu_vae_ckpt *c);

/* ---- training loop ------------------------------------------------------------------------------- */
typedef struct {
    momu_vae_kind stage;             /* MOMU_VAE_MUSIC or MOMU_VAE_MOTION */
    const char *data_dir, *out_path;
    const char *music_vae_path;      /* motion stage: the frozen music VAE */
    int      resume;                 /* continue from out_path + out_path.state */
    size_t   steps;                  /* total steps (the schedule's length); the run stops there */
    size_t   stop_after;             /* > 0: stop after this many steps in this invocation (tests) */
    size_t   batch;
    double   crop_seconds;           /* rounded to an even number of motion frames */
    double   lr, lr_min, kl, contrast, weight_decay, clip, ema_decay;   /* kl < 0: the config's */
    double   delta;                  /* motion stage: weight of momu_vae_delta_loss (0: off, the default) */
    size_t   warmup;
    uint64_t seed;
    double   ckpt_every_min;         /* periodic checkpoints (0: only at the end) */
    size_t   ckpt_every_steps;       /* also every this many steps (0: off) */
    double   time_limit_min;         /* stop (with a checkpoint) after this much wall time (0: none) */
    momu_bicor_config bicor;
    int      negatives_same_crop;    /* contrast negatives: 0 all windows of the batch, 1 the same crop only */
    const momu_vae_config *cfg;      /* model config for a fresh run (NULL: momu_vae_config_default) */
    const char *cmdline;             /* stored in the metadata (may be NULL) */
} momu_vae_train_opts;

void momu_vae_train_opts_default(momu_vae_train_opts *o);

typedef struct {
    size_t step;                     /* steps done in total */
    double wall_s, steps_per_s;
    momu_vae_loss_parts last;        /* the last training step */
    double last_contrast;
    double val_total, val_recon, val_kl, val_contrast;   /* at the last checkpoint */
} momu_vae_train_result;

momu_status momu_vae_train_run(const momu_vae_train_opts *o, momu_vae_train_result *r, momu_err *e);


#ifdef __cplusplus
}
#endif
#endif
