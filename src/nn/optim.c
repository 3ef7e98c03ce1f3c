/* momu — AdamW with decoupled weight decay, global-norm clipping, warm-up + cosine schedule, EMA, and a
 * NaN/Inf guard. See include/momu/nn_optim.h. */
#include "momu/nn_optim.h"

#include <math.h>
#include <string.h>

void adamw_config_default(adamw_config *c) {
    memset(c, 0, sizeof *c);
    /* torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2) */
    c->lr = 1e-3;
    c->beta1 = 0.9;
    c->beta2 = 0.999;
    c->eps = 1e-8;
    c->weight_decay = 1e-2;
}

void optim_init(nn_optim *o, const adamw_config *c) {
    memset(o, 0, sizeof *o);
    o->cfg = *c;
}

double lr_schedule(const adamw_config *c, size_t step) {
    /* nanoGPT / llm.c get_lr: linear warm-up, then cosine decay to lr_min, then constant lr_min */
    if (step < c->warmup_steps) return c->lr * (double)(step + 1) / (double)c->warmup_steps;
    if (c->total_steps == 0) return c->lr;
    if (c->total_steps <= c->warmup_steps) return c->lr_min;
    double p = (double)(step - c->warmup_steps) / (double)(c->total_steps - c->warmup_steps);
    if (p > 1.0) p = 1.0;
    double coeff = 0.5 * (1.0 + cos(3.14159265358979323846 * p));
    return c->lr_min + coeff * (c->lr - c->lr_min);
}

/* At most 256 chunks whose size depends only on n, each summed sequentially in double, then the partial
 * sums added in chunk order: the same bits for every thread count (STYLE.md §14: no reduction(+:)). */
#define NORM_MAX_CHUNKS 256
#define NORM_MIN_CHUNK 4096

/* Sum of squares of g[lo..hi) in double, in 8 interleaved lanes added in a fixed order at the end: the
 * lanes break the add-latency chain (4x faster than one accumulator) and the order depends only on the
 * indices, never on the thread count. */
static double sumsq_chunk(const float *g, size_t lo, size_t hi) {
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = lo;
    for (; i + 8 <= hi; i += 8)
        for (int k = 0; k < 8; k++) acc[k] += (double)g[i + (size_t)k] * (double)g[i + (size_t)k];
    for (int k = 0; i < hi; i++, k++) acc[k] += (double)g[i] * (double)g[i];
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

double grad_norm_l2(const float *g, size_t n) {
    if (n == 0) return 0.0;
    size_t chunk = (n + NORM_MAX_CHUNKS - 1) / NORM_MAX_CHUNKS;
    if (chunk < NORM_MIN_CHUNK) chunk = NORM_MIN_CHUNK;
    size_t n_chunks = (n + chunk - 1) / chunk;
    double part[NORM_MAX_CHUNKS];
    #pragma omp parallel for schedule(static) if (n_chunks > 1)
    for (size_t c = 0; c < n_chunks; c++) {
        size_t lo = c * chunk, hi = lo + chunk < n ? lo + chunk : n;
        part[c] = sumsq_chunk(g, lo, hi);
    }
    double s = 0.0;
    for (size_t c = 0; c < n_chunks; c++) s += part[c];
    return sqrt(s);
}

double grad_clip(float *g, size_t n, double max_norm) {
    double norm = grad_norm_l2(g, n);
    /* torch.nn.utils.clip_grad_norm_: clip_coef = max_norm / (total_norm + 1e-6), applied if < 1 */
    if (max_norm > 0.0 && isfinite(norm)) {
        double coef = max_norm / (norm + 1e-6);
        if (coef < 1.0) {
            float cf = (float)coef;
            #pragma omp parallel for schedule(static) if (n > 65536)
            for (size_t i = 0; i < n; i++) g[i] *= cf;
        }
    }
    return norm;
}

void optim_ema_init(nn_params *p) {
    if (p->ema && p->params) memcpy(p->ema, p->params, p->total * sizeof(float));
}

/* The elementwise AdamW update of one tensor (elementwise: any thread split gives the same bits). GCC 12
 * keeps this loop scalar because sqrtf may set errno; only a file-wide -fno-math-errno vectorises it (the
 * optimize attribute does not), which would give identical results since v >= 0. */
static void adamw_update(float *w, float *m, float *v, const float *g, size_t n, float dm, float b1, float b2,
                         float omb1, float omb2, float bc2_sqrt, float eps, float step_size) {
    #pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t i = 0; i < n; i++) {
        float gi = g[i];
        float wi = w[i] * dm;
        float mi = m[i] * b1 + omb1 * gi;
        float vi = v[i] * b2 + (omb2 * gi) * gi;   /* addcmul: self + (value * t1) * t2, in that order */
        float denom = sqrtf(vi) / bc2_sqrt + eps;
        m[i] = mi;
        v[i] = vi;
        w[i] = wi - (step_size * mi) / denom;      /* addcdiv: self + (value * t1) / t2 */
    }
}

int optim_step(nn_optim *o, nn_params *p, float loss) {
    const adamw_config *c = &o->cfg;
    const tensor_table *tab = p->tab;
    double norm = grad_norm_l2(p->grads, p->total);
    o->last_grad_norm = norm;
    if (!isfinite(loss) || !isfinite(norm)) {
        /* llm.c-style outlier guard: one bad batch must not poison m, v and the weights */
        o->n_skipped++;
        momu_log("optim: step %zu skipped: %s is %s (%zu skipped so far)\n", o->step + 1,
                 !isfinite(loss) ? "loss" : "gradient norm", !isfinite(loss) ? (isnan(loss) ? "NaN" : "Inf")
                                                                               : (isnan(norm) ? "NaN" : "Inf"),
                 o->n_skipped);
        return 0;
    }
    if (c->clip_norm > 0.0) {
        double coef = c->clip_norm / (norm + 1e-6);
        if (coef < 1.0) {
            float cf = (float)coef;
            float *g = p->grads;
            size_t n = p->total;
            #pragma omp parallel for schedule(static) if (n > 65536)
            for (size_t i = 0; i < n; i++) g[i] *= cf;
        }
    }
    double lr = lr_schedule(c, o->step);
    o->last_lr = lr;
    o->step++;
    /* torch.optim.AdamW (torch/optim/adamw.py, _single_tensor_adamw), step t:
     *   param.mul_(1 - lr * weight_decay)
     *   exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
     *   exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
     *   step_size = lr / (1 - beta1 ** t);  bias_correction2_sqrt = sqrt(1 - beta2 ** t)
     *   denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
     *   param.addcdiv_(exp_avg, denom, value=-step_size)
     * The scalars are Python doubles, rounded to float where they meet a float tensor, as here, and ATen's
     * addcmul / addcdiv kernels evaluate self + value * t1 * t2 and self + value * t1 / t2 left to right: the
     * same order here makes the update bit-identical to torch 1.13's (tests/test_nn_params.c). */
    double t = (double)o->step;
    float b1 = (float)c->beta1, b2 = (float)c->beta2, eps = (float)c->eps;
    float omb1 = (float)(1.0 - c->beta1), omb2 = (float)(1.0 - c->beta2);
    float step_size = (float)(lr / (1.0 - pow(c->beta1, t)));
    float bc2_sqrt = (float)sqrt(1.0 - pow(c->beta2, t));
    float decay_mul = (float)(1.0 - lr * c->weight_decay);
    for (int id = 0; id < tab->n; id++) {
        const tensor_spec *s = &tab->t[id];
        adamw_update(p->params + s->offset, p->m + s->offset, p->v + s->offset, p->grads + s->offset, s->numel,
                     s->decay ? decay_mul : 1.0f, b1, b2, omb1, omb2, bc2_sqrt, eps, step_size);
    }
    if (p->ema && c->ema_decay > 0.0) {
        double dd = c->ema_decay;
        if (c->ema_warmup && (1.0 + t) / (10.0 + t) < dd) dd = (1.0 + t) / (10.0 + t);
        float d = (float)dd, omd = (float)(1.0 - dd);
        float *ema = p->ema;
        const float *w = p->params;
        size_t n = p->total;
        #pragma omp parallel for schedule(static) if (n > 65536)
        for (size_t i = 0; i < n; i++) ema[i] = d * ema[i] + omd * w[i];
    }
    return 1;
}
