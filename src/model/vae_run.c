/* The VAE's forward with saved activations, loss, backward, and the lean inference passes
 * (include/momu/vae.h). Both walk the op lists built in vae.c.
 * Dimension vocabulary: B batch, T frames, Tp padded frames (multiple of f), Tz = Tp / f latent frames,
 * F input features, C latent channels; an op at level k runs on Tp >> k frames. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "momu/nn_layers.h"
#include "momu/vae.h"

static size_t vae_pad_len(const momu_vae *m, size_t T) { return momu_vae_latent_len(m, T) * m->factor; }

/* x:(B,T,F) -> xp:(B,Tp,F), the last frame repeated (replicate padding at the end) */
static void vae_pad_input(float *xp, const float *x, size_t B, size_t T, size_t Tp, size_t F) {
    for (size_t b = 0; b < B; b++) {
        memcpy(xp + b * Tp * F, x + b * T * F, T * F * sizeof *xp);
        for (size_t t = T; t < Tp; t++) memcpy(xp + (b * Tp + t) * F, x + (b * T + T - 1) * F, F * sizeof *xp);
    }
}

/* yp:(B,Tp,F) -> y:(B,T,F), the first T frames */
static void vae_crop(float *y, const float *yp, size_t B, size_t T, size_t Tp, size_t F) {
    for (size_t b = 0; b < B; b++) memcpy(y + b * T * F, yp + b * Tp * F, T * F * sizeof *y);
}

/* Floats an op saves for backward (beyond its output) for a batch B, input length Tin. */
static size_t vae_op_save_size(const momu_vae *m, const momu_vae_op *op, size_t B, size_t Tin) {
    switch (op->kind) {
    case MOMU_VAE_OP_RES: return res_block_act_size(&op->rb, B, Tin);
    case MOMU_VAE_OP_NORM_SILU: return 2 * B * m->cfg.groups + B * Tin * op->Ci;   /* mean, rstd, pre-SiLU */
    default: return 0;
    }
}

static size_t vae_op_out_len(const momu_vae_op *op, size_t Tp) { return Tp >> op->k_out; }
static size_t vae_op_in_len(const momu_vae_op *op, size_t Tp) { return Tp >> op->k_in; }

/* One op forward with its saved values (training; conv and upsample save nothing: save may be NULL). */
static void vae_op_forward(const momu_vae *m, const momu_vae_op *op, float *out, float *save, const float *in,
                           const float *params, size_t B, size_t Tp) {
    const tensor_table *tab = &m->tab;
    size_t Tin = vae_op_in_len(op, Tp);
    switch (op->kind) {
    case MOMU_VAE_OP_CONV:
        nn_conv1d_forward(out, in, table_cptr(tab, params, op->w_id), table_cptr(tab, params, op->b_id), B, Tin,
                          op->Ci, op->Co, &op->geom);
        break;
    case MOMU_VAE_OP_RES: {
        res_block_w w;
        res_block_bind(&w, &op->rb, tab, (float *)params);
        res_block_forward(out, save, in, &w, &op->rb, B, Tin);
        break;
    }
    case MOMU_VAE_OP_UPSAMPLE: nn_upsample_forward(out, in, B, Tin, op->Ci, 2); break;
    case MOMU_VAE_OP_NORM_SILU: {
        size_t G = m->cfg.groups, BG = B * G, n = B * Tin * op->Ci;
        float *pre = save + 2 * BG;
        nn_groupnorm_forward(pre, save, save + BG, in, table_cptr(tab, params, op->w_id),
                             table_cptr(tab, params, op->b_id), B, Tin, op->Ci, G, RES_GN_EPS);
        nn_silu_forward(out, pre, n);
        break;
    }
    }
}

/* One op backward: din += d/d in (din may be NULL), parameter gradients into grads. tmp: scratch of
 * max(res_block_scratch_size, B*Tin*Ci) floats. */
static void vae_op_backward(const momu_vae *m, const momu_vae_op *op, float *din, float *grads, float *tmp,
                            const float *dout, const float *save, const float *in, const float *params, size_t B,
                            size_t Tp) {
    const tensor_table *tab = &m->tab;
    size_t Tin = vae_op_in_len(op, Tp);
    switch (op->kind) {
    case MOMU_VAE_OP_CONV:
        nn_conv1d_backward(din, table_ptr(tab, grads, op->w_id), table_ptr(tab, grads, op->b_id), dout, in,
                           table_cptr(tab, params, op->w_id), B, Tin, op->Ci, op->Co, &op->geom);
        break;
    case MOMU_VAE_OP_RES: {
        res_block_w w, dw;
        res_block_bind(&w, &op->rb, tab, (float *)params);
        res_block_bind(&dw, &op->rb, tab, grads);
        res_block_backward(din, &dw, tmp, dout, save, in, &w, &op->rb, B, Tin);
        break;
    }
    case MOMU_VAE_OP_UPSAMPLE:
        if (din) nn_upsample_backward(din, dout, B, Tin, op->Ci, 2);
        break;
    case MOMU_VAE_OP_NORM_SILU: {
        /* out = SiLU(pre), pre = GroupNorm(in) */
        size_t G = m->cfg.groups, BG = B * G, n = B * Tin * op->Ci;
        const float *pre = save + 2 * BG;
        memset(tmp, 0, n * sizeof *tmp);
        nn_silu_backward(tmp, dout, pre, n);
        float *dx = din;
        if (!dx) dx = tmp + n;   /* never happens (norms are not first), kept total */
        nn_groupnorm_backward(dx, table_ptr(tab, grads, op->w_id), table_ptr(tab, grads, op->b_id), tmp, in, save,
                              save + BG, table_cptr(tab, params, op->w_id), B, Tin, op->Ci, G);
        break;
    }
    }
}

/* The largest activation (input or output of any op, floats) and op scratch of a pass over Tp frames. */
static void vae_sizes(const momu_vae *m, const momu_vae_op *ops, size_t n_ops, size_t B, size_t Tp, size_t *max_act,
                      size_t *max_save, size_t *max_bscratch) {
    size_t a = 0, s = 0, bs = 0;
    for (size_t j = 0; j < n_ops; j++) {
        const momu_vae_op *op = &ops[j];
        size_t ni = B * vae_op_in_len(op, Tp) * op->Ci, no = B * vae_op_out_len(op, Tp) * op->Co;
        if (ni > a) a = ni;
        if (no > a) a = no;
        size_t sv = vae_op_save_size(m, op, B, vae_op_in_len(op, Tp));
        if (sv > s) s = sv;
        size_t b = op->kind == MOMU_VAE_OP_RES ? res_block_scratch_size(&op->rb, B, vae_op_in_len(op, Tp)) : 2 * ni;
        if (b > bs) bs = b;
    }
    *max_act = a; *max_save = s; *max_bscratch = bs;
}

/* ---------------------------------------------------------------- inference ------------------------------ */
/* Inference keeps no saved values: ping-pong buffers b0/b1 for the op inputs and outputs, plus two
 * scratch activations t1/t2 for a residual block and 2BG GroupNorm statistics; all four buffers hold the
 * largest activation of the pass (4 activations in all, linear in T). */

/* The residual block of nn_blocks.h without saving (same math, the plain layer kernels):
 *   h = conv1(SiLU(norm1(x)));  h = conv2(SiLU(norm2(h)));  y = nin_shortcut(x) + h */
static void vae_res_infer(float *y, float *t1, float *t2, float *stats, const float *x, const res_block_w *w,
                          const res_block *rb, size_t B, size_t T) {
    size_t Ci = rb->Ci, Co = rb->Co, G = rb->G, BG = B * G;
    nn_conv1d_geom g = {.k = 3, .stride = 1, .pad = 1, .dil = 1, .groups = 1, .out_pad = 0};
    nn_groupnorm_forward(t1, stats, stats + BG, x, w->norm1_w, w->norm1_b, B, T, Ci, G, RES_GN_EPS);
    nn_silu_forward(t1, t1, B * T * Ci);
    nn_conv1d_forward(t2, t1, w->conv1_w, w->conv1_b, B, T, Ci, Co, &g);
    nn_groupnorm_forward(t1, stats, stats + BG, t2, w->norm2_w, w->norm2_b, B, T, Co, G, RES_GN_EPS);
    nn_silu_forward(t1, t1, B * T * Co);
    nn_conv1d_forward(t2, t1, w->conv2_w, w->conv2_b, B, T, Co, Co, &g);
    if (w->skip_w) nn_linear_forward(y, x, w->skip_w, w->skip_b, B * T, Ci, Co);
    else memcpy(y, x, B * T * Co * sizeof *y);
    size_t n = B * T * Co;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (n > 65536)
#endif
    for (size_t i = 0; i < n; i++) y[i] += t2[i];
}

static void vae_op_infer(const momu_vae *m, const momu_vae_op *op, float *out, float *t1, float *t2, float *stats,
                         const float *in, const float *params, size_t B, size_t Tp) {
    const tensor_table *tab = &m->tab;
    size_t Tin = vae_op_in_len(op, Tp);
    if (op->kind == MOMU_VAE_OP_RES) {
        res_block_w w;
        res_block_bind(&w, &op->rb, tab, (float *)params);
        vae_res_infer(out, t1, t2, stats, in, &w, &op->rb, B, Tin);
    } else if (op->kind == MOMU_VAE_OP_NORM_SILU) {
        size_t BG = B * m->cfg.groups;
        nn_groupnorm_forward(out, stats, stats + BG, in, table_cptr(tab, params, op->w_id),
                             table_cptr(tab, params, op->b_id), B, Tin, op->Ci, m->cfg.groups, RES_GN_EPS);
        nn_silu_forward(out, out, B * Tin * op->Ci);
    } else {
        vae_op_forward(m, op, out, NULL, in, params, B, Tp);   /* conv, upsample: nothing saved */
    }
}

/* floats of one inference buffer (the largest activation, or the padded input) */
static size_t vae_infer_act(const momu_vae *m, const momu_vae_op *ops, size_t n_ops, size_t B, size_t Tp) {
    size_t a, s, bs;
    vae_sizes(m, ops, n_ops, B, Tp, &a, &s, &bs);
    if (B * Tp * m->cfg.in_dim > a) a = B * Tp * m->cfg.in_dim;
    return (a + 15) & ~(size_t)15;
}

size_t momu_vae_infer_bytes(const momu_vae *m, size_t B, size_t T, int decode) {
    size_t Tp = vae_pad_len(m, T);
    size_t a = vae_infer_act(m, decode ? m->dec : m->enc, decode ? m->n_dec : m->n_enc, B, Tp);
    return (4 * a + 2 * B * m->cfg.groups + 1) * sizeof(float);
}

/* Runs ops over Tp frames from in; returns the buffer holding the result (buf[0] or buf[1]). */
static float *vae_infer_ops(const momu_vae *m, const momu_vae_op *ops, size_t n_ops, const float *params,
                            const float *in, float *const buf[4], float *stats, size_t B, size_t Tp) {
    int w = in == buf[0] ? 1 : 0;
    const float *cur = in;
    for (size_t j = 0; j < n_ops; j++) {
        vae_op_infer(m, &ops[j], buf[w], buf[2], buf[3], stats, cur, params, B, Tp);
        cur = buf[w];
        w ^= 1;
    }
    return (float *)cur;
}

static momu_status vae_infer_alloc(float **blk, float *buf[4], float **stats, const momu_vae *m,
                                   const momu_vae_op *ops, size_t n_ops, size_t B, size_t Tp, momu_err *e) {
    size_t a = vae_infer_act(m, ops, n_ops, B, Tp), tot;
    if (!momu_mul_ok(a, 4, &tot) || tot + 2 * B * m->cfg.groups + 1 < tot)
        return momu_fail(e, MOMU_ERR_OOM, "vae: input too long");
    *blk = momu_malloc_array(tot + 2 * B * m->cfg.groups + 1, sizeof(float), e);
    if (!*blk) return MOMU_ERR_OOM;
    for (int i = 0; i < 4; i++) buf[i] = *blk + (size_t)i * a;
    *stats = *blk + 4 * a;
    return MOMU_OK;
}

static momu_status vae_check_sizes(const momu_vae *m, size_t B, size_t T, const char *what, momu_err *e) {
    if (!m || !m->factor) return momu_fail(e, MOMU_ERR_ARG, "%s: model not initialised", what);
    if (B < 1 || T < 1) return momu_fail(e, MOMU_ERR_ARG, "%s: empty input (B %zu, T %zu)", what, B, T);
    size_t t;
    if (!momu_mul_ok(B, T + m->factor, &t) || !momu_mul_ok(t, 4096, &t))
        return momu_fail(e, MOMU_ERR_OOM, "%s: input too long (B %zu, T %zu)", what, B, T);
    return MOMU_OK;
}

static momu_status vae_check_run(const momu_vae *m, const float *params, size_t B, size_t T, const char *what,
                                 momu_err *e) {
    if (!params) return momu_fail(e, MOMU_ERR_ARG, "%s: no parameters", what);
    return vae_check_sizes(m, B, T, what, e);
}

momu_status momu_vae_encode(const momu_vae *m, const float *params, const float *x, size_t B, size_t T,
                            float *mean, float *logvar, momu_err *e) {
    momu_status st = vae_check_run(m, params, B, T, "vae encode", e);
    if (st) return st;
    size_t Tp = vae_pad_len(m, T), Tz = Tp / m->factor, C = m->cfg.z_channels, F = m->cfg.in_dim;
    float *blk, *buf[4], *stats;
    if ((st = vae_infer_alloc(&blk, buf, &stats, m, m->enc, m->n_enc, B, Tp, e))) return st;
    vae_pad_input(buf[0], x, B, T, Tp, F);
    const float *mo = vae_infer_ops(m, m->enc, m->n_enc, params, buf[0], buf, stats, B, Tp);
    for (size_t r = 0; r < B * Tz; r++) {
        memcpy(mean + r * C, mo + r * 2 * C, C * sizeof *mean);
        if (logvar)
            for (size_t c = 0; c < C; c++) {
                float v = mo[r * 2 * C + C + c];
                logvar[r * C + c] = v < MOMU_VAE_LOGVAR_MIN ? MOMU_VAE_LOGVAR_MIN : v > MOMU_VAE_LOGVAR_MAX ? MOMU_VAE_LOGVAR_MAX : v;
            }
    }
    free(blk);
    return MOMU_OK;
}

momu_status momu_vae_decode(const momu_vae *m, const float *params, const float *z, size_t B, size_t Tz, size_t T,
                            float *y, momu_err *e) {
    momu_status st = vae_check_run(m, params, B, Tz, "vae decode", e);
    if (st) return st;
    size_t Tp = Tz * m->factor;
    if (T == 0) T = Tp;
    if (T > Tp) return momu_fail(e, MOMU_ERR_ARG, "vae decode: %zu frames asked from %zu latent frames (at most %zu)", T, Tz, Tp);
    float *blk, *buf[4], *stats;
    if ((st = vae_infer_alloc(&blk, buf, &stats, m, m->dec, m->n_dec, B, Tp, e))) return st;
    const float *out = vae_infer_ops(m, m->dec, m->n_dec, params, z, buf, stats, B, Tp);
    vae_crop(y, out, B, T, Tp, m->cfg.in_dim);
    free(blk);
    return MOMU_OK;
}

/* ---------------------------------------------------------------- training ------------------------------- */
/* Carves every activation of a (B, T) forward from tr->arena (plan or real). */
static momu_status vae_carve(momu_vae_train *tr, size_t B, size_t T, momu_err *e) {
    const momu_vae *m = tr->m;
    size_t Tp = vae_pad_len(m, T), Tz = Tp / m->factor, C = m->cfg.z_channels, F = m->cfg.in_dim;
    nn_arena *a = &tr->arena;
    float **one[] = {&tr->xpad, &tr->moments, &tr->mean, &tr->logvar, &tr->eps, &tr->z,
                     &tr->recon, &tr->drecon, &tr->dmean, &tr->dlogvar};
    size_t sz[] = {B * Tp * F, B * Tz * 2 * C, B * Tz * C, B * Tz * C, B * Tz * C, B * Tz * C,
                   B * T * F, B * T * F, B * Tz * C, B * Tz * C};
    for (size_t i = 0; i < sizeof sz / sizeof sz[0]; i++) {
        *one[i] = nn_arena_take(a, sz[i], e);
        if (!*one[i] && !a->planning) return e ? e->status : MOMU_ERR_STATE;
    }
    for (int pass = 0; pass < 2; pass++) {
        const momu_vae_op *ops = pass ? m->dec : m->enc;
        size_t n = pass ? m->n_dec : m->n_enc;
        float **outs = pass ? tr->dec_out : tr->enc_out, **saves = pass ? tr->dec_save : tr->enc_save;
        for (size_t j = 0; j < n; j++) {
            const momu_vae_op *op = &ops[j];
            outs[j] = nn_arena_take(a, B * vae_op_out_len(op, Tp) * op->Co, e);
            size_t s = vae_op_save_size(m, op, B, vae_op_in_len(op, Tp));
            saves[j] = s ? nn_arena_take(a, s, e) : NULL;
            if (!a->planning && (!outs[j] || (s && !saves[j]))) return e ? e->status : MOMU_ERR_STATE;
        }
    }
    tr->rpad = tr->dec_out[m->n_dec - 1];
    return MOMU_OK;
}

/* backward scratch: two gradient ping-pong buffers, op scratch, dz, dmoments */
static momu_status vae_carve_scratch(momu_vae_train *tr, size_t B, size_t Tp, float **g0, float **g1, float **tmp,
                                     float **dz, float **dmo, momu_err *e) {
    const momu_vae *m = tr->m;
    size_t a0, s0, b0, a1, s1, b1, Tz = Tp / m->factor, C = m->cfg.z_channels;
    vae_sizes(m, m->enc, m->n_enc, B, Tp, &a0, &s0, &b0);
    vae_sizes(m, m->dec, m->n_dec, B, Tp, &a1, &s1, &b1);
    size_t a = a0 > a1 ? a0 : a1, bs = b0 > b1 ? b0 : b1;
    nn_arena *s = &tr->scratch;
    *g0 = nn_arena_take(s, a, e);
    *g1 = nn_arena_take(s, a, e);
    *tmp = nn_arena_take(s, bs, e);
    *dz = nn_arena_take(s, B * Tz * C, e);
    *dmo = nn_arena_take(s, B * Tz * 2 * C, e);
    if (!s->planning && (!*g0 || !*g1 || !*tmp || !*dz || !*dmo)) return e ? e->status : MOMU_ERR_STATE;
    return MOMU_OK;
}

momu_status momu_vae_train_init(momu_vae_train *tr, const momu_vae *m, size_t B_max, size_t T_max, momu_err *e) {
    memset(tr, 0, sizeof *tr);
    nn_arena_init(&tr->arena, "vae activations");
    nn_arena_init(&tr->scratch, "vae backward scratch");
    momu_status st = vae_check_sizes(m, B_max, T_max, "vae train", e);
    if (st) return st;
    tr->m = m;
    tr->B_max = B_max;
    tr->T_max = vae_pad_len(m, T_max);
    float *g0, *g1, *tmp, *dz, *dmo;
    if ((st = vae_carve(tr, B_max, tr->T_max, e)) || (st = nn_arena_finish_plan(&tr->arena, e)) ||
        (st = vae_carve_scratch(tr, B_max, tr->T_max, &g0, &g1, &tmp, &dz, &dmo, e)) ||
        (st = nn_arena_finish_plan(&tr->scratch, e))) {
        momu_vae_train_free(tr);
        return st;
    }
    return MOMU_OK;
}

void momu_vae_train_free(momu_vae_train *tr) {
    if (!tr) return;
    nn_arena_free(&tr->arena);
    nn_arena_free(&tr->scratch);
    memset(tr, 0, sizeof *tr);
}

size_t momu_vae_train_bytes(const momu_vae_train *tr) {
    return nn_arena_bytes(&tr->arena) + nn_arena_bytes(&tr->scratch);
}

momu_status momu_vae_forward(momu_vae_train *tr, const float *params, const float *x, size_t B, size_t T,
                             const float *eps, momu_err *e) {
    if (!tr->m) return momu_fail(e, MOMU_ERR_STATE, "vae forward: training context not initialised");
    const momu_vae *m = tr->m;
    momu_status st = vae_check_run(m, params, B, T, "vae forward", e);
    if (st) return st;
    size_t Tp = vae_pad_len(m, T), Tz = Tp / m->factor, C = m->cfg.z_channels, F = m->cfg.in_dim;
    if (B > tr->B_max || Tp > tr->T_max)
        return momu_fail(e, MOMU_ERR_ARG, "vae forward: batch %zu x %zu frames exceeds the planned %zu x %zu", B, T,
                         tr->B_max, tr->T_max);
    nn_arena_reset(&tr->arena);
    if ((st = vae_carve(tr, B, T, e))) return st;
    tr->B = B; tr->T = T; tr->Tp = Tp; tr->Tz = Tz;
    vae_pad_input(tr->xpad, x, B, T, Tp, F);
    const float *in = tr->xpad;
    for (size_t j = 0; j < m->n_enc; j++) {
        vae_op_forward(m, &m->enc[j], tr->enc_out[j], tr->enc_save[j], in, params, B, Tp);
        in = tr->enc_out[j];
    }
    memcpy(tr->moments, in, B * Tz * 2 * C * sizeof *tr->moments);
    /* DiagonalGaussianDistribution: mean, logvar = chunk(moments, 2, dim=channels); logvar clamped;
     * z = mean + exp(0.5 logvar) eps */
    tr->sampled = eps != NULL;
    for (size_t r = 0; r < B * Tz; r++)
        for (size_t c = 0; c < C; c++) {
            float mu = in[r * 2 * C + c], lv = in[r * 2 * C + C + c];
            lv = lv < MOMU_VAE_LOGVAR_MIN ? MOMU_VAE_LOGVAR_MIN : lv > MOMU_VAE_LOGVAR_MAX ? MOMU_VAE_LOGVAR_MAX : lv;
            size_t i = r * C + c;
            tr->mean[i] = mu;
            tr->logvar[i] = lv;
            tr->eps[i] = eps ? eps[i] : 0.0f;
            tr->z[i] = eps ? mu + expf(0.5f * lv) * eps[i] : mu;
        }
    in = tr->z;
    for (size_t j = 0; j < m->n_dec; j++) {
        vae_op_forward(m, &m->dec[j], tr->dec_out[j], tr->dec_save[j], in, params, B, Tp);
        in = tr->dec_out[j];
    }
    vae_crop(tr->recon, tr->rpad, B, T, Tp, F);
    return MOMU_OK;
}

float momu_vae_loss(momu_vae_train *tr, const float *x, momu_vae_loss_parts *parts) {
    const momu_vae *m = tr->m;
    size_t n = tr->B * tr->T * m->cfg.in_dim, nz = tr->B * tr->Tz * m->cfg.z_channels;
    memset(tr->drecon, 0, n * sizeof *tr->drecon);
    memset(tr->dmean, 0, nz * sizeof *tr->dmean);
    memset(tr->dlogvar, 0, nz * sizeof *tr->dlogvar);
    double rec;
    if (m->cfg.recon_loss == MOMU_VAE_RECON_L1) {
        rec = nn_l1_loss_forward(tr->recon, x, n);
        nn_l1_loss_backward(tr->drecon, tr->recon, x, n, 1.0f);
    } else {
        rec = nn_mse_loss_forward(tr->recon, x, n);
        nn_mse_loss_backward(tr->drecon, tr->recon, x, n, 1.0f);
    }
    double kl = nn_kl_loss_forward(tr->mean, tr->logvar, nz, (float)nz);
    nn_kl_loss_backward(tr->dmean, tr->dlogvar, tr->mean, tr->logvar, nz, (float)nz, (float)m->cfg.kl_weight);
    double tot = rec + m->cfg.kl_weight * kl;
    if (parts) { parts->total = tot; parts->recon = rec; parts->kl = kl; }
    return (float)tot;
}

double momu_vae_delta_loss(momu_vae_train *tr, const float *x, double weight) {
    size_t B = tr->B, T = tr->T, F = tr->m->cfg.in_dim;
    if (T < 2 || !B) return 0.0;
    double n = (double)(B * (T - 1) * F), sum = 0.0;
    float g = (float)(2.0 * weight / n);
    for (size_t b = 0; b < B; b++)
        for (size_t t = 1; t < T; t++) {
            const float *r1 = tr->recon + (b * T + t) * F, *r0 = r1 - F, *x1 = x + (b * T + t) * F, *x0 = x1 - F;
            float *d1 = tr->drecon + (b * T + t) * F, *d0 = d1 - F;
            for (size_t f = 0; f < F; f++) {
                float d = (r1[f] - r0[f]) - (x1[f] - x0[f]);
                sum += (double)d * d;
                d1[f] += g * d;
                d0[f] -= g * d;
            }
        }
    return sum / n;
}

momu_status momu_vae_backward(momu_vae_train *tr, const float *params, float *grads, const float *dmean_extra,
                              momu_err *e) {
    const momu_vae *m = tr->m;
    if (!m || !tr->B) return momu_fail(e, MOMU_ERR_STATE, "vae backward: no forward pass to differentiate");
    size_t B = tr->B, T = tr->T, Tp = tr->Tp, Tz = tr->Tz, C = m->cfg.z_channels, F = m->cfg.in_dim;
    nn_arena_reset(&tr->scratch);
    float *gb[2], *tmp, *dz, *dmo;
    momu_status st = vae_carve_scratch(tr, B, Tp, &gb[0], &gb[1], &tmp, &dz, &dmo, e);
    if (st) return st;
    /* recon = crop(rpad): the padded frames get no gradient */
    float *dcur = gb[0];
    memset(dcur, 0, B * Tp * F * sizeof *dcur);
    for (size_t b = 0; b < B; b++) memcpy(dcur + b * Tp * F, tr->drecon + b * T * F, T * F * sizeof *dcur);
    int w = 1;
    for (size_t j = m->n_dec; j-- > 0;) {
        const momu_vae_op *op = &m->dec[j];
        const float *in = j ? tr->dec_out[j - 1] : tr->z;
        float *din = j ? gb[w] : dz;
        memset(din, 0, B * vae_op_in_len(op, Tp) * op->Ci * sizeof *din);
        vae_op_backward(m, op, din, grads, tmp, dcur, tr->dec_save[j], in, params, B, Tp);
        dcur = din;
        w ^= 1;
    }
    /* z = mean + exp(0.5 lv) eps:  dmean += dz;  dlv += dz eps 0.5 exp(0.5 lv);  clamp passes inside [min, max] */
    for (size_t r = 0; r < B * Tz; r++)
        for (size_t c = 0; c < C; c++) {
            size_t i = r * C + c;
            float dmu = tr->dmean[i] + dz[i] + (dmean_extra ? dmean_extra[i] : 0.0f);
            float dlv = tr->dlogvar[i];
            if (tr->sampled) dlv += dz[i] * tr->eps[i] * 0.5f * expf(0.5f * tr->logvar[i]);
            float raw = tr->moments[r * 2 * C + C + c];
            if (!(raw >= MOMU_VAE_LOGVAR_MIN && raw <= MOMU_VAE_LOGVAR_MAX)) dlv = 0.0f;
            dmo[r * 2 * C + c] = dmu;
            dmo[r * 2 * C + C + c] = dlv;
        }
    dcur = dmo;
    w = 0;
    for (size_t j = m->n_enc; j-- > 0;) {
        const momu_vae_op *op = &m->enc[j];
        const float *in = j ? tr->enc_out[j - 1] : tr->xpad;
        float *din = j ? gb[w] : NULL;
        if (din) memset(din, 0, B * vae_op_in_len(op, Tp) * op->Ci * sizeof *din);
        vae_op_backward(m, op, din, grads, tmp, dcur, tr->enc_save[j], in, params, B, Tp);
        dcur = din;
        w ^= 1;
    }
    return MOMU_OK;
}
