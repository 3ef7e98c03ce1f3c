/* momu — the two cross-modal latent denoisers of MoMu-Diffusion (DESIGN.md §1.2, notes §4):
 *   music given motion   eps_a(z_a(t), t, z_m)      task DENOISER_MUSIC,  checkpoint kind "denoiser_music"
 *   motion given music   eps_m(z_m(t), t, z_a)      task DENOISER_MOTION, checkpoint kind "denoiser_motion"
 * One network family (a DiT with adaLN-Zero, Peebles & Xie 2023), two instances.
 *
 * Dimension vocabulary: B batch, T latent frames (12.5 Hz, any length), C latent channels (both modalities
 * share C and the clock), D model width, H heads, F = freq_dim of the sinusoidal timestep embedding.
 * Activations (B,T,·) row-major. Tensor names follow facebookresearch/DiT's state_dict:
 *
 *   xin   = concat_channels(x_t, cond)                         (B,T,C+Cc) cond row = null_cond when dropped
 *   h     = x_embedder(xin)                                    Linear(C+Cc -> D)     x_embedder.{weight,bias}
 *   c     = mlp.2(SiLU(mlp.0(timestep_embedding(t, F))))      Linear(F->D), Linear(D->D)  t_embedder.mlp.{0,2}
 *   h     = DiT blocks (nn_blocks.h dit_stack, RoPE on q/k)    blocks.<i>.*
 *   shift, scale = final_layer.adaLN_modulation.1(SiLU(c))     Linear(D -> 2D), chunk order (shift, scale)
 *   eps   = final_layer.linear(LN(h)(1 + scale) + shift)       Linear(D -> C), LN without affine, eps 1e-6
 *
 * Condition row: Cc = C + R channels, the other modality's scaled latent (C) followed by R = cond_extra
 * rhythm features of the other modality on the latent clock (0 in the first models; include/momu/rhythm.h
 * defines them: R = 8 music onset-strength samples per latent frame for the motion denoiser, R = 2 motion
 * kinematic-envelope samples for the music denoiser). They are part of `cond` everywhere below: every cond
 * pointer is (B,T,Cc).
 *
 * Null condition (classifier-free guidance): a LEARNED vector `null_cond` (Cc), broadcast over time,
 * replaces the condition latent of a sample (initialised to zeros, so it starts as the "zeros" null and
 * learns from the 10 % of training samples whose condition is dropped).
 *
 * Positions: RoPE inside attention (relative), no positional table: any T works, odd T included.
 * Init as DiT: xavier-uniform linears with zero biases, t_embedder weights N(0, 0.02), adaLN-Zero (every
 * block's and the final layer's modulation zero) and a zero final linear, so eps starts at 0.
 *
 * Latent scale: the diffusion runs on z * scale_factor (target latents) with the condition given as
 * z_cond * cond_scale_factor; both are 1/std of the VAE posterior means over the train split, measured
 * by the trainer and stored in the checkpoint metadata. denoiser_scale_* apply and undo them.
 *
 * Threads: every function is deterministic (bit-identical for any OMP_NUM_THREADS); do not call from
 * inside an omp parallel region. */
#ifndef MOMU_DENOISER_H
#define MOMU_DENOISER_H
#include <stddef.h>
#include <stdint.h>

#include "momu/common.h"
#include "momu/nn_arena.h"
#include "momu/nn_blocks.h"
#include "momu/nn_optim.h"
#include "momu/nn_params.h"
#include "momu/rng.h"
#include "momu/safetensors.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef enum { DENOISER_MUSIC, DENOISER_MOTION, DENOISER_TASK_COUNT } denoiser_task;
const char   *denoiser_task_name(denoiser_task t);          /* "music", "motion" */
const char   *denoiser_task_kind(denoiser_task t);          /* "denoiser_music", "denoiser_motion" */
denoiser_task denoiser_task_from_name(const char *s);       /* accepts both spellings; COUNT if unknown */

typedef struct {
    size_t latent_ch;    /* C (default 16) */
    size_t width;        /* D (default 256) */
    size_t heads;        /* H (default 4); D/H must be even (RoPE) */
    size_t n_blocks;     /* default 4 */
    size_t freq_dim;     /* F (default 256, as DiT) */
    size_t cond_extra;   /* R: rhythm channels after the condition latent (default 0; rhythm.h) */
} denoiser_config;

void        denoiser_config_default(denoiser_config *c);
momu_status denoiser_config_check(const denoiser_config *c, momu_err *e);
/* {"latent_ch":16,"width":256,"heads":4,"n_blocks":4,"freq_dim":256,"rope":1,"cond_extra":0} into buf; and back (missing
 * keys keep c's values; unknown keys are ignored; bad values are MOMU_ERR_FORMAT naming what). */
void        denoiser_config_to_json(const denoiser_config *c, char *buf, size_t n);
momu_status denoiser_config_from_json(denoiser_config *c, const char *json, momu_err *e);

typedef struct {
    denoiser_config cfg;
    denoiser_task   task;
    tensor_table    tab;
    nn_params       p;           /* params (+ grads/m/v/ema when allocated for training) */
    dit_stack       stack;
    int id_xw, id_xb, id_t0w, id_t0b, id_t2w, id_t2b, id_null, id_fmw, id_fmb, id_flw, id_flb;
    float           scale_factor;       /* target latents are multiplied by this before diffusion (1 = none) */
    float           cond_scale_factor;  /* condition latents are multiplied by this */
} denoiser;

/* Builds the table and allocates the buffers (alloc_flags: NN_ALLOC_OPTIM | NN_ALLOC_EMA for training, 0
 * for inference). Weights are zero until denoiser_init_weights or a load. scale factors start at 1. */
momu_status denoiser_init(denoiser *m, const denoiser_config *cfg, denoiser_task task, int alloc_flags,
                          momu_err *e);
void        denoiser_free(denoiser *m);
/* DiT initialisation (see above), drawn from rng in table order. */
void        denoiser_init_weights(denoiser *m, momu_rng *rng);
size_t      denoiser_n_params(const denoiser *m);   /* float parameters, padding excluded */

/* ---- checkpoints ----------------------------------------------------------------------------------------
 * F32 safetensors: the live weights under their table names and, when m has an EMA buffer, the EMA under
 * "ema." + name. Metadata: "momu.kind" (denoiser_music|denoiser_motion), "momu.config" (JSON),
 * "momu.scale_factor", "momu.cond_scale_factor", "momu.schedule" (JSON), and extra (may be NULL; e.g. VAE
 * fingerprints, step, validation loss). */
momu_status denoiser_save(const char *path, const denoiser *m, const safetensors_meta *extra, momu_err *e);
/* Loads a checkpoint into a freshly built model: config and task from the metadata (a file of another kind
 * is MOMU_ERR_FORMAT naming the file and the kind found; want_task DENOISER_TASK_COUNT accepts both).
 * use_ema: 1 loads the "ema." weights into m->p.params (the ones to sample with; error if absent).
 * alloc_flags as denoiser_init; with NN_ALLOC_EMA and an EMA in the file, m->p.ema receives it too.
 * meta_out (may be NULL) receives the file's metadata (caller frees). */
momu_status denoiser_load(denoiser *m, const char *path, denoiser_task want_task, int use_ema, int alloc_flags,
                          safetensors_meta *meta_out, momu_err *e);

/* ---- training forward / backward ------------------------------------------------------------------------ */
typedef struct {
    nn_arena arena;
    size_t   B_max, T_max;
    size_t   B, T;            /* shape of the last forward */
    float   *xin, *h0, *temb, *t1, *t1s, *c, *cs, *hN, *stack_act, *mod, *ln, *ln_mean, *ln_rstd, *mo;
    float   *scratch;         /* backward scratch (stack + own) */
    uint8_t  drop[1024];      /* per-sample null flags of the last forward (B_max <= 1024) */
} denoiser_acts;

/* Plans and allocates for batches up to B_max x T_max (B_max <= 1024). */
momu_status denoiser_acts_init(denoiser_acts *a, const denoiser *m, size_t B_max, size_t T_max, momu_err *e);
void        denoiser_acts_free(denoiser_acts *a);
/* eps:(B,T,C) x:(B,T,C) noisy latent  cond:(B,T,Cc) or NULL (null for every sample)  drop:(B) 1 = null
 * condition for that sample, or NULL (none)  t:(B) timesteps (integers 0..999 in training; any float).
 * x, cond and t must stay unchanged until denoiser_backward. MOMU_ERR_ARG if B,T exceed the plan. */
momu_status denoiser_forward(denoiser *m, denoiser_acts *a, float *eps, const float *x, const float *cond,
                             const uint8_t *drop, const float *t, size_t B, size_t T, momu_err *e);
/* ACCUMULATES parameter gradients into m->p.grads (null_cond gets the dropped samples' share) and, when
 * dx is non-NULL, dL/dx into dx:(B,T,C). deps:(B,T,C). Same x/cond/t as the forward. */
void        denoiser_backward(denoiser *m, denoiser_acts *a, float *dx, const float *deps, const float *x,
                              const float *cond, const float *t);

/* ---- inference ----------------------------------------------------------------------------------------- */
typedef struct { float *buf; size_t cap; } denoiser_ws;   /* grows on demand; zero-initialise */
void        denoiser_ws_free(denoiser_ws *w);
/* Lean forward (no saved activations, lean attention), same result as denoiser_forward to rounding.
 * cond NULL: the null condition for every sample. t:(B). eps may not alias x. */
momu_status denoiser_forward_infer(const denoiser *m, denoiser_ws *w, float *eps, const float *x,
                                   const float *cond, const float *t, size_t B, size_t T, momu_err *e);
/* Classifier-free guidance in one batch-2B evaluation: eps = eps(x,t,null) + s (eps(x,t,cond) - eps(x,t,null)).
 * cond NULL: plain unconditional eps (one batch-B evaluation); s == 1 with cond: conditional only. */
momu_status denoiser_eps_cfg(const denoiser *m, denoiser_ws *w, float *eps, const float *x, const float *cond,
                             float t, float guidance, size_t B, size_t T, momu_err *e);

/* Adapter for the samplers' callback (diffusion.h): int eps_fn(void *user, const float *x, int t, float *eps,
 * size_t n). Fill the struct, pass it as user. x and eps are in the scaled latent space; cond must already be
 * scaled (denoiser_scale_cond) or be NULL (unconditional); cond may be changed between calls (cross-guidance
 * points it at the other modality's current estimate). n must equal B*T*C. Returns 0, or 1 with err set. */
typedef struct {
    const denoiser *m;
    const float    *cond;      /* (B,T,Cc) scaled condition, or NULL */
    float           guidance;  /* CFG scale s */
    size_t          B, T;
    denoiser_ws     ws;        /* zero-initialise; free with denoiser_ws_free */
    momu_err        err;
} denoiser_eps_ctx;
int denoiser_eps_fn(void *user, const float *x, int t, float *eps, size_t n);

/* Adapter for diffusion.h's momu_cond_model {fn, fn2, user}: one sample (B = 1, T = n / C), cond NULL = the
 * null condition. fn2 evaluates conditional and unconditional in ONE batch-2 call.
 *   denoiser_cond_ctx ctx = {.m = &model};
 *   momu_cond_model cm = {denoiser_cond_eps, denoiser_cond_eps2, &ctx};   ...  denoiser_ws_free(&ctx.ws); */
typedef struct {
    const denoiser *m;
    denoiser_ws     ws;
    momu_err        err;
} denoiser_cond_ctx;
int denoiser_cond_eps(void *user, const float *x, int t, const float *cond, float *eps, size_t n);
int denoiser_cond_eps2(void *user, const float *x, int t, const float *cond, float *eps_cond, float *eps_uncond,
                       size_t n);

/* Latent scale: y = x * factor (in place allowed). */
void denoiser_scale_target(const denoiser *m, float *y, const float *x, size_t n);     /* * scale_factor */
void denoiser_unscale_target(const denoiser *m, float *y, const float *x, size_t n);   /* / scale_factor */
void denoiser_scale_cond(const denoiser *m, float *y, const float *x, size_t n);       /* * cond_scale_factor */
/* 1/std over n values (std about the mean, in double); 1 if std is 0 or n < 2. */
float denoiser_measure_scale(const float *x, size_t n);

/* ---- noise schedule (LDM "linear": sqrt(beta) linear from sqrt(0.00085) to sqrt(0.012), T = 1000) -------
 * alpha_bar[t] = prod_{s<=t} (1 - beta_s), taken from diffusion.h's momu_schedule_default (the samplers'
 * schedule, so training and sampling cannot drift apart). */
#define DENOISER_T 1000
#define DENOISER_BETA_START 0.00085
#define DENOISER_BETA_END   0.012
void denoiser_schedule_alpha_bar(double *alpha_bar /* (DENOISER_T) */);

/* ---- training --------------------------------------------------------------------------------------------
 * A latent dataset: n paired windows, target (n,T,C) and condition (n,T,Cc) already SCALED (the condition's
 * latent part; its rhythm channels as rhythm.h makes them). Cc 0 means C (no rhythm channels). */
typedef struct {
    const float *target, *cond;
    size_t       n, T, C, Cc;
} denoiser_latents;

typedef struct {
    size_t       batch;        /* default 16 */
    float        cfg_drop;     /* default 0.1 */
    adamw_config opt;          /* default lr 1e-4, wd 0, clip 1, EMA 0.999, warm-up 500, constant */
} denoiser_train_config;
void denoiser_train_config_default(denoiser_train_config *c);

typedef struct {
    denoiser             *m;       /* not owned; allocated with NN_ALLOC_OPTIM | NN_ALLOC_EMA */
    denoiser_train_config cfg;
    nn_optim              opt;
    denoiser_acts         acts;
    momu_rng              rng;     /* batches, t, noise, condition drop */
    double                alpha_bar[DENOISER_T];
    float                *buf;     /* z0, cond, noise, x_t, eps, deps, t for one batch */
    float                 last_loss;
} denoiser_trainer;

/* T_max: the window length the batches have. Seeds the RNG; does not touch the weights. */
momu_status denoiser_trainer_init(denoiser_trainer *tr, denoiser *m, const denoiser_train_config *cfg, size_t T,
                                  uint64_t seed, momu_err *e);
void        denoiser_trainer_free(denoiser_trainer *tr);
/* One step: B windows drawn with replacement, t uniform in [0, T), eps ~ N(0, I),
 * x_t = sqrt(ab) z0 + sqrt(1 - ab) eps, condition dropped with prob cfg_drop, loss = MSE(eps_hat, eps),
 * backward, AdamW (+ EMA). Returns the loss (also in last_loss); a NaN/Inf step is skipped by the optimizer. */
momu_status denoiser_trainer_step(denoiser_trainer *tr, const denoiser_latents *d, float *loss, momu_err *e);
/* Mean MSE over every window of d at a fixed set of (t, noise) from a fixed seed, conditioned (no drop), with
 * the weights in m->p.params. Deterministic and independent of the training RNG. */
momu_status denoiser_trainer_val_loss(denoiser_trainer *tr, const denoiser_latents *d, float *loss, momu_err *e);
/* Weights (denoiser_save, with extra metadata) + training state (trainstate_save: m, v, ema, step, rng). */
momu_status denoiser_trainer_save(denoiser_trainer *tr, const char *weights_path, const char *state_path,
                                  const safetensors_meta *extra, momu_err *e);
/* Loads the live weights (F32) of weights_path into tr->m and the state file; the model config must match. */
momu_status denoiser_trainer_resume(denoiser_trainer *tr, const char *weights_path, const char *state_path,
                                    momu_err *e);

/* ---- `momu train diffusion`: the whole run (src/model/denoiser_run.c) ------------------------------------
 * 1. loads both VAE checkpoints (vae_train.h, their EMA weights) and checks their kinds, latent channels and
 *    latent clocks; 2. loads the prepared windows (momu_vae_data_load, with motion), re-normalises them with
 *    each VAE's own stored statistics, and encodes every train and val window ONCE to posterior MEANS
 *    (deterministic; no sampling); 3. measures scale = 1/std over the train latents of each modality (or
 *    takes them from the checkpoint on --resume); with rhythm, appends the condition modality's rhythm
 *    channels (rhythm.h, from the real windows) to the condition latents; 4. trains (denoiser_trainer_step) with a progress line;
 *    5. every ckpt_every_min minutes, at the time limit and at the end: validation loss (live and EMA
 *    weights) and a checkpoint OUT (denoiser_save: weights + EMA + metadata, incl. the VAE paths and
 *    fingerprints) + OUT.state (trainstate, for a bit-exact --resume). A resume refuses VAEs whose
 *    fingerprint differs from the one stored (the latents would differ). */
typedef struct {
    denoiser_task         task;
    const char           *music_vae_path, *motion_vae_path, *data_dir, *out_path;
    int                   resume;
    int                   rhythm;         /* 1 (default): rhythm channels in the condition (rhythm.h); 0: the
                                             latent alone (the first models). Ignored on resume. */
    size_t                steps;          /* total optimizer steps (default 20000) */
    size_t                stop_after;     /* stop after this many steps in this run (0: run to steps) */
    denoiser_config       model;          /* ignored on resume (the checkpoint's) */
    denoiser_train_config train;
    uint64_t              seed;           /* weights and the training RNG (default 1) */
    double                ckpt_every_min; /* default 10 */
    double                time_limit_min; /* 0: none */
    size_t                val_max;        /* at most this many validation windows (0: all; default 256) */
    const char           *cmdline;        /* stored in the metadata (may be NULL) */
} denoiser_train_opts;

typedef struct {
    size_t step, n_train, n_val, T;
    double wall_s, encode_s, steps_per_s;
    float  last_loss, val_loss, val_loss_ema, scale_factor, cond_scale_factor;
} denoiser_train_result;

void        denoiser_train_opts_default(denoiser_train_opts *o);
momu_status denoiser_train_run(const denoiser_train_opts *o, denoiser_train_result *r, momu_err *e);

#ifdef __cplusplus
}
#endif
#endif
