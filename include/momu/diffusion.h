/* momu — diffusion schedule, samplers, guidance, cross-guidance and any-length windows.
 *
 * Model-agnostic (STYLE.md §27): three orthogonal pieces
 *   1. the schedule (discrete, T steps, ᾱ_t) and its parameterisation helpers (ε ↔ x̂0, λ_t);
 *   2. samplers (DDPM ancestral, DDIM(η), DPM-Solver++(2M)) that only call an ε callback;
 *   3. combinators that turn conditional models into ε callbacks: classifier-free guidance, MoMu
 *      cross-guidance (joint music+motion), and the windowed (MultiDiffusion) wrapper for any length.
 * No network appears here: a denoiser (include/momu/denoiser.h) plugs in through momu_cond_model.
 *
 * Conventions. Time index t is 0..T-1 (t = 0 is the least noisy step, ᾱ_0 = 1 − β_0). A latent is a flat
 * float array of n elements, (Tz, C) row-major (frame-major) for momu's latents, so a window of frames is a
 * contiguous slice and a prefix of P frames is the first P·C elements. Forward process
 *   x_t = √ᾱ_t · x0 + √(1−ᾱ_t) · ε,   ε ~ N(0, I).
 * The samplers end on the clean latent (ᾱ = 1 after the last listed timestep). See docs/SAMPLING.md. */
#ifndef MOMU_DIFFUSION_H
#define MOMU_DIFFUSION_H
#include <stddef.h>
#include <stdint.h>

#include "momu/common.h"
#include "momu/rng.h"
#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- 1. schedule + parameterisation */

#define MOMU_DIFF_T_MAX 2000
#define MOMU_DIFF_T     1000       /* DESIGN.md §4 */
#define MOMU_DIFF_BETA_START 0.00085
#define MOMU_DIFF_BETA_END   0.012

typedef struct {
    int    T;
    double beta[MOMU_DIFF_T_MAX];
    double abar[MOMU_DIFF_T_MAX];  /* ᾱ_t = Π_{s<=t} (1 − β_s) */
} momu_schedule;

/* LDM "scaled linear": √β_t = linspace(√beta_start, √beta_end, T). T in [2, MOMU_DIFF_T_MAX]. */
momu_status momu_schedule_init(momu_schedule *s, int T, double beta_start, double beta_end, momu_err *e);
/* The project's default: T = 1000, 0.00085 .. 0.012. */
void momu_schedule_default(momu_schedule *s);

/* α_t = √ᾱ_t, σ_t = √(1−ᾱ_t), λ_t = log(α_t/σ_t); t = -1 means "clean" (α 1, σ 0, λ +inf). */
double momu_sched_alpha(const momu_schedule *s, int t);
double momu_sched_sigma(const momu_schedule *s, int t);
double momu_sched_lambda(const momu_schedule *s, int t);

/* x̂0 = (x − σ_t ε)/α_t   and   ε = (x − α_t x̂0)/σ_t   (element-wise, out may alias neither input). */
void momu_eps_to_x0(const momu_schedule *s, int t, const float *x, const float *eps, float *x0, size_t n);
void momu_x0_to_eps(const momu_schedule *s, int t, const float *x, const float *x0, float *eps, size_t n);
/* Forward noising: out = α_t x0 + σ_t noise (t = -1: out = x0). */
void momu_q_sample(const momu_schedule *s, int t, const float *x0, const float *noise, float *out, size_t n);

/* Timestep spacing for a K-step sampler: writes K strictly decreasing timesteps into ts.
 *   TRAILING:           t_i = round(T − i·T/K) − 1       → 999, 959, …, 39 for K = 25 (starts at pure noise)
 *   LINSPACE:           t_i = round(linspace(T−1, 0, K)) → 999, …, 0
 *   LEADING:            t_i = (K−1−i)·(T/K)              → 960, …, 0 (diffusers' "leading", offset 0)
 *   LOGSNR (default):   λ_{t_i} uniform from λ_{T−1} to λ_0 (Lu et al. 2022 "logSNR" steps), rounded to the
 *                       nearest integer t, then made strictly decreasing (the last steps become t = k−1 … 0)
 * K in [1, T]. K = T gives T−1 … 0 for every spacing. */
typedef enum { MOMU_SPACING_TRAILING = 0, MOMU_SPACING_LINSPACE, MOMU_SPACING_LEADING, MOMU_SPACING_LOGSNR }
    momu_spacing;
momu_status momu_timesteps(const momu_schedule *s, int K, momu_spacing sp, int *ts, momu_err *e);

/* ---------------------------------------------------------------- 2. samplers */

/* The ε callback: predict the noise in x (n elements) at timestep t. Nonzero return cancels sampling
 * (the sampler returns MOMU_ERR_STATE naming t and the returned code). */
typedef int (*momu_eps_fn)(void *user, const float *x, int t /* 0..T-1 */, float *eps, size_t n);
/* Progress: called after each step (step = 1..n_steps, t = the timestep just used); nonzero cancels. */
typedef int (*momu_step_fn)(void *user, int step, int n_steps, int t);

typedef enum { MOMU_SAMPLER_DDPM = 0, MOMU_SAMPLER_DDIM, MOMU_SAMPLER_DPMPP_2M } momu_sampler_kind;

typedef struct {
    momu_sampler_kind kind;
    int          steps;          /* K; DDPM with K = T is the paper's chain */
    momu_spacing spacing;
    float        eta;            /* DDIM only: 0 = deterministic (ODE), 1 = DDPM-like */
    int          ddpm_var_beta;  /* DDPM only: 0 = posterior variance β̃ (default), 1 = β (1 − ᾱ_t/ᾱ_s) */
    /* Inpainting / continuation (optional): where known_mask[i] != 0, x[i] is replaced after every step by
     * the known clean value forward-noised to the next timestep (fresh noise), and by known[i] at the end,
     * so known elements come out exactly equal to known[i]. Both n long, or both NULL. */
    const float         *known;
    const unsigned char *known_mask;
    int                  resample;   /* with known: RePaint resampling, each step done this many times (<= 1: once) */
    int                  known_x0;   /* 1: instead, replace the known part of x̂0 at every step (see SAMPLING.md) */
    momu_step_fn progress;
    void        *progress_user;
} momu_sample_opts;

/* DPM-Solver++(2M), 25 steps, logSNR spacing, η 0, β̃, no inpainting, no progress. */
void momu_sample_opts_default(momu_sample_opts *o);
/* "ddpm" | "ddim" | "dpmpp" (also "dpmpp2m", "dpm++") ; "trailing" | "linspace" | "leading". */
momu_status momu_sampler_parse(const char *name, momu_sampler_kind *k, momu_err *e);
const char *momu_sampler_name(momu_sampler_kind k);
momu_status momu_spacing_parse(const char *name, momu_spacing *sp, momu_err *e);

/* Runs the sampler in place: x holds x_T on entry (draw it with momu_rng_fill_normal(rng, x, n, 1)) and
 * the clean sample on return. rng supplies the step noise (DDPM, DDIM η>0, inpainting); it may be NULL
 * for DDIM η=0 and DPM-Solver++ without inpainting. Scratch memory: about 4n floats. */
momu_status momu_sample(const momu_schedule *s, const momu_sample_opts *o, momu_eps_fn f, void *user,
                        float *x, size_t n, momu_rng *rng, momu_err *e);

/* ---------------------------------------------------------------- 3. conditional models + combinators */

/* A conditional ε model: cond has the shape the model expects (for momu: the other modality's latent, same
 * number of frames as x) or is NULL for the null condition ∅. n = number of elements of x (= Tz·C), so a
 * model with C channels reads Tz = n / C. fn2 (optional, may be NULL) evaluates the conditional and the
 * unconditional prediction in one batched call (batch 2). */
typedef int (*momu_cond_eps_fn)(void *user, const float *x, int t, const float *cond, float *eps, size_t n);
typedef int (*momu_cond_eps2_fn)(void *user, const float *x, int t, const float *cond, float *eps_cond,
                                 float *eps_uncond, size_t n);
typedef struct {
    momu_cond_eps_fn  fn;
    momu_cond_eps2_fn fn2;   /* may be NULL */
    void             *user;
} momu_cond_model;

/* Classifier-free guidance as an ε callback: ε̂ = ε(x,t,∅) + scale·(ε(x,t,c) − ε(x,t,∅)).
 * cond NULL → unconditional (one call); scale 1 → conditional only (one call). Guidance interval
 * (Kynkäänniemi et al. 2024, "Applying guidance in a limited interval"): the guided ε only for
 * t_lo <= t < t_hi, the conditional ε alone (one call) at other t; momu_cfg_init sets [0, INT_MAX), i.e.
 * everywhere. Use momu_cfg_eps as the momu_eps_fn with user = the momu_cfg. */
typedef struct {
    momu_cond_model model;
    const float    *cond;
    float           scale;
    int             t_lo, t_hi;   /* guided for t_lo <= t < t_hi */
    size_t          n;
    float          *tmp;     /* n floats */
    size_t          n_evals; /* model evaluations so far (a batched fn2 call counts 2) */
} momu_cfg;
momu_status momu_cfg_init(momu_cfg *g, const momu_cond_model *m, const float *cond, float scale, size_t n,
                          momu_err *e);
int  momu_cfg_eps(void *user, const float *x, int t, float *eps, size_t n);
void momu_cfg_free(momu_cfg *g);

/* MoMu cross-guidance (DESIGN.md §1.3) as ONE ε callback over the concatenated state
 * x = [z_a (n_a elements) ; z_m (n_m elements)], so every sampler above runs both models in lockstep.
 * For t >= t_c both models are unconditional. For t < t_c each clean latent is estimated from its
 * unconditional prediction, ẑ = (z − σ_t ε(z,t,∅))/α_t, re-estimated at every step, and each model is CFG-
 * guided by the OTHER modality's estimate: ε̂_a = ε_a(∅) + s(ε_a(ẑ_m) − ε_a(∅)), likewise ε̂_m with ẑ_a.
 * t_c = round(tc_frac·T) (tc_frac 0.5 default; 0 = never guided, 1 = guided from the first step). */
typedef struct {
    const momu_schedule *sched;
    momu_cond_model      music, motion;
    size_t               n_a, n_m;
    float                scale;
    int                  t_c;
    float               *zhat_a, *zhat_m, *tmp;   /* n_a, n_m, max(n_a, n_m) floats */
    size_t               n_evals;
} momu_cross;
momu_status momu_cross_init(momu_cross *c, const momu_schedule *s, const momu_cond_model *music, size_t n_a,
                            const momu_cond_model *motion, size_t n_m, float scale, double tc_frac,
                            momu_err *e);
int  momu_cross_eps(void *user, const float *x, int t, float *eps, size_t n /* n_a + n_m */);
void momu_cross_free(momu_cross *c);

/* Any length (DESIGN.md §1.4): wraps a model trained on windows of W frames into a model over Tz frames.
 * Windows of W frames start every W−O frames (the last one is aligned to the end); at every call each
 * window is predicted on its slice of x (and of cond, windowed identically) and the overlapping ε
 * predictions are averaged with weights: BLEND_RAMP (default) = a linear ramp over the O overlap frames at
 * interior window edges (1 elsewhere), BLEND_FLAT = plain averaging. Because ε and x̂0 are affine in each
 * other at fixed (x, t), this averages the x̂0 predictions (MultiDiffusion, Bar-Tal et al. 2023).
 * Tz <= W: a single call on the whole latent. Memory: 4 windows (W·C floats) + Tz weights.
 * The condition may have another channel count Cc than x (the denoisers' latent + rhythm rows):
 * momu_windowed_init_cond; momu_windowed_init is the Cc = C case.
 * The result is a momu_cond_model (momu_windowed_model) usable by momu_cfg and momu_cross. */
typedef enum { MOMU_BLEND_RAMP = 0, MOMU_BLEND_FLAT } momu_blend;
typedef struct {
    momu_cond_model inner;
    size_t          Tz, C, Cc, W, O;   /* Cc: channels of a cond row */
    momu_blend      blend;
    size_t          n_windows;
    float          *xw, *cw, *ew, *ew2, *wsum;
} momu_windowed;
momu_status momu_windowed_init(momu_windowed *w, const momu_cond_model *inner, size_t Tz, size_t C, size_t W,
                               size_t O, momu_blend blend, momu_err *e);
momu_status momu_windowed_init_cond(momu_windowed *w, const momu_cond_model *inner, size_t Tz, size_t C, size_t Cc,
                                    size_t W, size_t O, momu_blend blend, momu_err *e);
momu_cond_model momu_windowed_model(momu_windowed *w);
size_t momu_windowed_start(const momu_windowed *w, size_t k);   /* first frame of window k */
void   momu_windowed_free(momu_windowed *w);

#ifdef __cplusplus
}
#endif
#endif
