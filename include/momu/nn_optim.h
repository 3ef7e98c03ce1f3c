/* momu — AdamW, gradient clipping, learning-rate schedule, EMA, NaN guard, and the training-state file.
 *
 * A pure loop over the flat buffers of nn_params (STYLE.md §11), decay mask from the tensor table.
 *
 *   adamw_config c; adamw_config_default(&c); c.lr = 3e-4; c.warmup_steps = 100; c.total_steps = 5000;
 *   nn_optim o; optim_init(&o, &c);
 *   for (...) { nn_params_zero_grads(&p); forward; backward; optim_step(&o, &p, loss); }
 */
#ifndef MOMU_NN_OPTIM_H
#define MOMU_NN_OPTIM_H
#include <stddef.h>
#include <stdint.h>

#include "momu/common.h"
#include "momu/nn_params.h"
#include "momu/rng.h"
#include "momu/safetensors.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    /* doubles, as torch keeps its hyperparameters in Python floats: 1 - beta2 must be 1 - 0.999 computed in
     * double (then rounded to float by the tensor op), not 1 - 0.999f, or v drifts by 1e-5 relative */
    double lr;             /* peak learning rate */
    double beta1, beta2, eps;
    double weight_decay;   /* decoupled (AdamW), applied only to tensors whose spec has decay = 1 */
    double clip_norm;      /* global L2 gradient-norm clip; <= 0: no clipping */
    double ema_decay;      /* EMA of the weights: ema = d*ema + (1-d)*param; 0: off */
    int    ema_warmup;     /* 1: d_t = min(ema_decay, (1+t)/(10+t)) at step t (TF ExponentialMovingAverage's
                            * num_updates rule), so a short run's EMA is not dominated by the initial weights */
    size_t warmup_steps;   /* linear warm-up over this many steps (0: none) */
    size_t total_steps;    /* cosine decay from lr to lr_min over [warmup, total); 0: constant after warm-up */
    double lr_min;         /* final learning rate of the cosine decay */
} adamw_config;

/* torch.optim.AdamW defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 1e-2; no clip, no EMA,
 * no schedule (constant lr). */
void adamw_config_default(adamw_config *c);

typedef struct {
    adamw_config cfg;
    size_t step;             /* steps applied so far; the next step uses t = step + 1 for bias correction */
    size_t n_skipped;        /* steps skipped by the NaN/Inf guard */
    double last_grad_norm;   /* pre-clip global norm of the last optim_step call (NaN/Inf when not finite) */
    double last_lr;          /* lr used by the last applied step */
} nn_optim;

void optim_init(nn_optim *o, const adamw_config *c);

/* Learning rate for the step with 0-based index `step` (llm.c / nanoGPT get_lr):
 *   step < warmup:            lr * (step + 1) / warmup
 *   total_steps == 0:         lr
 *   otherwise (p = (step - warmup) / (total - warmup), clamped to [0, 1]):
 *                             lr_min + 0.5 (lr - lr_min)(1 + cos(pi p)) */
double lr_schedule(const adamw_config *c, size_t step);

/* Global L2 norm of g[0..n), accumulated in double in fixed chunks summed in a fixed order, so the result
 * is bit-identical for any number of OpenMP threads. */
double grad_norm_l2(const float *g, size_t n);
/* Scales g by max_norm / (norm + 1e-6) if norm > max_norm (torch.nn.utils.clip_grad_norm_); returns the
 * pre-clip norm. max_norm <= 0: no clipping. */
double grad_clip(float *g, size_t n, double max_norm);

/* One training step on p (grads must be filled):
 *   1. norm = grad_norm_l2(grads). If loss or norm is NaN/Inf: the step is skipped (params, m, v, ema and
 *      o->step untouched), o->n_skipped++, a line goes to momu_log, and 0 is returned.
 *   2. clip to cfg.clip_norm; lr = lr_schedule(cfg, o->step); o->step++;
 *   3. AdamW exactly as torch.optim.AdamW (amsgrad=False), per element, t = o->step:
 *        p *= 1 - lr*wd (decay tensors only); m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 *        p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
 *   4. if ema buffer and cfg.ema_decay > 0: ema = d*ema + (1-d)*p (d = d_t with cfg.ema_warmup). Call optim_ema_init once after the
 *      weights are initialised (or loaded without a training state), or the EMA starts from zeros.
 * Returns 1 when applied. p needs grads, m, v (NN_ALLOC_OPTIM). */
int  optim_step(nn_optim *o, nn_params *p, float loss);
/* ema = params (call once after initialising or loading the weights). */
void optim_ema_init(nn_params *p);

/* ---- training state (STYLE.md §21): a second safetensors file next to the weights ----
 * Tensors "adam.m", "adam.v" (and "ema" when present), each F32 of shape [table total]. Metadata
 * (all strings): "momu.format" = "trainstate", "momu.trainstate_version" = "1", "table_fingerprint" (hex),
 * "table_total", "step", "n_skipped", "rng" (the momu_rng state, hex words + spare bits), "data_cursor",
 * "data_epoch", "world_size", "rank", and the adamw_config (informational). Together with the F32 weights
 * file this makes a resumed run continue bit for bit. */
typedef struct {
    momu_rng rng;           /* the training RNG (batches, noise, dropout) */
    uint64_t data_cursor;   /* data-loader position (its meaning is the loader's) */
    uint64_t data_epoch;
    uint32_t world_size;    /* 1 for a single process */
    uint32_t rank;
} trainstate_extra;

/* extra_meta (may be NULL): more key/value strings to store (e.g. the training command line). */
momu_status trainstate_save(const char *path, const nn_params *p, const nn_optim *o, const trainstate_extra *x,
                            const safetensors_meta *extra_meta, momu_err *e);
/* Refuses (MOMU_ERR_FORMAT, naming the file, got vs expected) a file whose table fingerprint or size
 * differs from p->tab, whose world size / rank differ from x's (when x->world_size != 0 on entry), or that
 * lacks the EMA buffer p expects. On success fills p->m, p->v (and p->ema), o->step, o->n_skipped, and x.
 * o->cfg is kept (the caller's config); if it differs from the stored one a line goes to momu_log. */
momu_status trainstate_load(const char *path, nn_params *p, nn_optim *o, trainstate_extra *x, momu_err *e);

#ifdef __cplusplus
}
#endif
#endif
