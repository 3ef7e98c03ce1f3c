/* momu — the cross-modal latent denoiser (DiT with adaLN-Zero, RoPE): model, forward/backward, inference,
 * checkpoints. See include/momu/denoiser.h for the architecture and tensor names.
 * Dimension vocabulary: B batch, T latent frames, N = B*T rows, C latent channels, D width, F freq_dim. */
#include "momu/denoiser.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "momu/diffusion.h"
#include "momu/json.h"
#include "momu/nn_layers.h"

#define DN_LN_EPS 1e-6f
#define DN_MAX_PERIOD 10000.0f

/* ------------------------------------------------------------------------------------------------------ */
/* names and config                                                                                        */

/* Channels of one condition row (the other modality's latent + the rhythm features) and of one input row. */
static size_t dn_cond_ch(const denoiser_config *c) { return c->latent_ch + c->cond_extra; }
static size_t dn_in_ch(const denoiser_config *c) { return c->latent_ch + dn_cond_ch(c); }

const char *denoiser_task_name(denoiser_task t) {
    return t == DENOISER_MUSIC ? "music" : t == DENOISER_MOTION ? "motion" : "?";
}
const char *denoiser_task_kind(denoiser_task t) {
    return t == DENOISER_MUSIC ? "denoiser_music" : t == DENOISER_MOTION ? "denoiser_motion" : "?";
}
denoiser_task denoiser_task_from_name(const char *s) {
    if (!s) return DENOISER_TASK_COUNT;
    if (!strcmp(s, "music") || !strcmp(s, "denoiser_music")) return DENOISER_MUSIC;
    if (!strcmp(s, "motion") || !strcmp(s, "denoiser_motion")) return DENOISER_MOTION;
    return DENOISER_TASK_COUNT;
}

void denoiser_config_default(denoiser_config *c) {
    c->latent_ch = 16;
    c->width = 256;
    c->heads = 4;
    c->n_blocks = 4;
    c->freq_dim = 256;
    c->cond_extra = 0;
}

momu_status denoiser_config_check(const denoiser_config *c, momu_err *e) {
    if (c->latent_ch < 1 || c->latent_ch > 4096)
        return momu_fail(e, MOMU_ERR_ARG, "denoiser: latent_ch %zu outside 1..4096", c->latent_ch);
    if (c->width < 2 || c->width > 8192)
        return momu_fail(e, MOMU_ERR_ARG, "denoiser: width %zu outside 2..8192", c->width);
    if (c->heads < 1 || c->width % c->heads || (c->width / c->heads) % 2)
        return momu_fail(e, MOMU_ERR_ARG, "denoiser: width %zu / heads %zu must give an even head size",
                         c->width, c->heads);
    if (c->n_blocks < 1 || c->n_blocks > DIT_STACK_MAX)
        return momu_fail(e, MOMU_ERR_ARG, "denoiser: n_blocks %zu outside 1..%d", c->n_blocks, DIT_STACK_MAX);
    if (c->freq_dim < 2 || c->freq_dim % 2 || c->freq_dim > 8192)
        return momu_fail(e, MOMU_ERR_ARG, "denoiser: freq_dim %zu must be even, 2..8192", c->freq_dim);
    if (c->cond_extra > 4096)
        return momu_fail(e, MOMU_ERR_ARG, "denoiser: cond_extra %zu outside 0..4096", c->cond_extra);
    return MOMU_OK;
}

void denoiser_config_to_json(const denoiser_config *c, char *buf, size_t n) {
    snprintf(buf, n,
             "{\"latent_ch\":%zu,\"width\":%zu,\"heads\":%zu,\"n_blocks\":%zu,\"freq_dim\":%zu,\"rope\":1,"
             "\"cond_extra\":%zu}",
             c->latent_ch, c->width, c->heads, c->n_blocks, c->freq_dim, c->cond_extra);
}

momu_status denoiser_config_from_json(denoiser_config *c, const char *json, momu_err *e) {
    momu_json *j = NULL;
    momu_status st = momu_json_parse(json, strlen(json), "denoiser config", &j, e);
    if (st) return st;
    static const char *keys[] = {"latent_ch", "width", "heads", "n_blocks", "freq_dim"};
    size_t *dst[] = {&c->latent_ch, &c->width, &c->heads, &c->n_blocks, &c->freq_dim};
    for (size_t i = 0; i < 5 && !st; i++) {
        const momu_json *v = momu_json_get(j, keys[i]);
        if (!v) continue;
        if (v->type != MOMU_JSON_NUMBER || !(v->num >= 1 && v->num <= 1e6) || v->num != floor(v->num))
            st = momu_fail(e, MOMU_ERR_FORMAT, "denoiser config: '%s' is not a positive integer", keys[i]);
        else
            *dst[i] = (size_t)v->num;
    }
    const momu_json *x = momu_json_get(j, "cond_extra");   /* absent in checkpoints before it existed: 0 */
    if (!st && x) {
        if (x->type != MOMU_JSON_NUMBER || !(x->num >= 0 && x->num <= 4096) || x->num != floor(x->num))
            st = momu_fail(e, MOMU_ERR_FORMAT, "denoiser config: 'cond_extra' is not an integer in 0..4096");
        else
            c->cond_extra = (size_t)x->num;
    }
    const momu_json *r = momu_json_get(j, "rope");
    if (!st && r && !(r->type == MOMU_JSON_NUMBER && r->num == 1))
        st = momu_fail(e, MOMU_ERR_FORMAT, "denoiser config: only rope 1 is supported");
    momu_json_free(j);
    return st ? st : denoiser_config_check(c, e);
}

/* ------------------------------------------------------------------------------------------------------ */
/* model                                                                                                   */

momu_status denoiser_init(denoiser *m, const denoiser_config *cfg, denoiser_task task, int alloc_flags,
                          momu_err *e) {
    memset(m, 0, sizeof *m);
    momu_status st = denoiser_config_check(cfg, e);
    if (st) return st;
    if (task != DENOISER_MUSIC && task != DENOISER_MOTION)
        return momu_fail(e, MOMU_ERR_ARG, "denoiser: unknown task");
    m->cfg = *cfg;
    m->task = task;
    m->scale_factor = m->cond_scale_factor = 1.0f;
    size_t C = cfg->latent_ch, Cc = dn_cond_ch(cfg), D = cfg->width, F = cfg->freq_dim;
    tensor_table *t = &m->tab;
    table_init(t);
    if ((m->id_xw = TABLE_ADD(t, "x_embedder.weight", 1, e, D, C + Cc)) < 0 ||
        (m->id_xb = TABLE_ADD(t, "x_embedder.bias", 0, e, D)) < 0 ||
        (m->id_t0w = TABLE_ADD(t, "t_embedder.mlp.0.weight", 1, e, D, F)) < 0 ||
        (m->id_t0b = TABLE_ADD(t, "t_embedder.mlp.0.bias", 0, e, D)) < 0 ||
        (m->id_t2w = TABLE_ADD(t, "t_embedder.mlp.2.weight", 1, e, D, D)) < 0 ||
        (m->id_t2b = TABLE_ADD(t, "t_embedder.mlp.2.bias", 0, e, D)) < 0 ||
        (m->id_null = TABLE_ADD(t, "null_cond", 0, e, Cc)) < 0)
        goto fail;
    if ((st = dit_stack_register(&m->stack, t, "blocks.", cfg->n_blocks, D, cfg->heads, 1, e))) goto fail;
    if ((m->id_fmw = TABLE_ADD(t, "final_layer.adaLN_modulation.1.weight", 1, e, 2 * D, D)) < 0 ||
        (m->id_fmb = TABLE_ADD(t, "final_layer.adaLN_modulation.1.bias", 0, e, 2 * D)) < 0 ||
        (m->id_flw = TABLE_ADD(t, "final_layer.linear.weight", 1, e, C, D)) < 0 ||
        (m->id_flb = TABLE_ADD(t, "final_layer.linear.bias", 0, e, C)) < 0)
        goto fail;
    if ((st = nn_params_alloc(&m->p, t, alloc_flags, e))) goto fail;
    return MOMU_OK;
fail:
    table_free(t);
    memset(m, 0, sizeof *m);
    return st ? st : (e && e->status ? e->status : MOMU_ERR_ARG);
}

void denoiser_free(denoiser *m) {
    if (!m) return;
    nn_params_free(&m->p);
    table_free(&m->tab);
    memset(m, 0, sizeof *m);
}

size_t denoiser_n_params(const denoiser *m) { return table_numel(&m->tab); }

static float *P(const denoiser *m, int id) { return table_ptr(&m->tab, m->p.params, id); }
static float *G(const denoiser *m, int id) { return table_ptr(&m->tab, m->p.grads, id); }

static void dn_xavier(float *w, size_t out, size_t in, momu_rng *rng) {
    float a = sqrtf(6.0f / (float)(in + out));
    for (size_t i = 0; i < out * in; i++) w[i] = a * (2.0f * momu_rng_uniform(rng) - 1.0f);
}

void denoiser_init_weights(denoiser *m, momu_rng *rng) {
    size_t C = m->cfg.latent_ch, D = m->cfg.width, F = m->cfg.freq_dim;
    memset(m->p.params, 0, m->p.total * sizeof(float));
    dn_xavier(P(m, m->id_xw), D, C + dn_cond_ch(&m->cfg), rng);
    momu_rng_fill_normal(rng, P(m, m->id_t0w), D * F, 0.02f);
    momu_rng_fill_normal(rng, P(m, m->id_t2w), D * D, 0.02f);
    for (size_t i = 0; i < m->stack.n_blocks; i++) {
        dit_block_w w;
        dit_block_bind(&w, &m->stack.blk[i], &m->tab, m->p.params);
        dit_block_init(&w, &m->stack.blk[i], rng);
    }
    /* final layer adaLN modulation and linear stay zero (DiT initialize_weights); null_cond zero */
}

/* ------------------------------------------------------------------------------------------------------ */
/* shared pieces of the forward                                                                            */

/* xin:(N,C+Cc) = [x | cond or null] per row. */
static void dn_concat(float *xin, const denoiser *m, const float *x, const float *cond, const uint8_t *drop,
                      size_t B, size_t T) {
    size_t C = m->cfg.latent_ch, Cc = dn_cond_ch(&m->cfg), Ci = C + Cc;
    const float *nul = table_cptr(&m->tab, m->p.params, m->id_null);
    for (size_t b = 0; b < B; b++) {
        int use_null = !cond || (drop && drop[b]);
        for (size_t t = 0; t < T; t++) {
            size_t r = b * T + t;
            memcpy(xin + r * Ci, x + r * C, C * sizeof(float));
            memcpy(xin + r * Ci + C, use_null ? nul : cond + r * Cc, Cc * sizeof(float));
        }
    }
}

/* c:(B,D) from t:(B); temb:(B,F), t1, t1s:(B,D) saved. */
static void dn_time(float *c, float *temb, float *t1, float *t1s, const denoiser *m, const float *t, size_t B) {
    size_t D = m->cfg.width, F = m->cfg.freq_dim;
    nn_timestep_embedding(temb, t, B, F, DN_MAX_PERIOD);
    nn_linear_forward(t1, temb, P(m, m->id_t0w), P(m, m->id_t0b), B, F, D);
    nn_silu_forward(t1s, t1, B * D);
    nn_linear_forward(c, t1s, P(m, m->id_t2w), P(m, m->id_t2b), B, D, D);
}

/* final layer: eps:(N,C) from h:(N,D), c:(B,D). cs, shift, scale:(B,D), ln:(N,D), mean, rstd:(N), mo:(N,D). */
static void dn_final(float *eps, float *cs, float *shift, float *scale, float *ln, float *mean, float *rstd,
                     float *mo, const denoiser *m, const float *h, const float *c, size_t B, size_t T) {
    size_t C = m->cfg.latent_ch, D = m->cfg.width, N = B * T;
    const float *fmw = P(m, m->id_fmw), *fmb = P(m, m->id_fmb);
    nn_silu_forward(cs, c, B * D);
    nn_linear_forward(shift, cs, fmw, fmb, B, D, D);
    nn_linear_forward(scale, cs, fmw + D * D, fmb + D, B, D, D);
    nn_layernorm_forward(ln, mean, rstd, h, NULL, NULL, N, D, DN_LN_EPS);
    nn_modulate_forward(mo, ln, shift, scale, B, T, D);
    nn_linear_forward(eps, mo, P(m, m->id_flw), P(m, m->id_flb), N, D, C);
}

/* ------------------------------------------------------------------------------------------------------ */
/* training forward / backward                                                                             */

static size_t r16(size_t n) { return (n + 15) & ~(size_t)15; }

/* Carves every buffer for (B,T) from the arena (plan mode counts). */
static momu_status dn_carve(denoiser_acts *a, const denoiser *m, size_t B, size_t T, momu_err *e) {
    size_t Ci = dn_in_ch(&m->cfg), D = m->cfg.width, F = m->cfg.freq_dim, N = B * T;
    nn_arena *ar = &a->arena;
    float **dst[] = {&a->xin, &a->h0, &a->temb, &a->t1, &a->t1s, &a->c, &a->cs, &a->hN, &a->stack_act,
                     &a->mod, &a->ln, &a->ln_mean, &a->ln_rstd, &a->mo, &a->scratch};
    size_t own_scratch = 2 * r16(N * D) + r16(N * Ci) + 6 * r16(B * D) + 2 * r16(B * D) + 2 * r16(N * D);
    size_t stack_scr = dit_stack_scratch_size(&m->stack, B, T);
    size_t sz[] = {N * Ci, N * D, B * F, B * D, B * D, B * D, B * D, N * D, dit_stack_act_size(&m->stack, B, T),
                   2 * B * D, N * D, N, N, N * D, stack_scr + own_scratch};
    for (size_t i = 0; i < sizeof sz / sizeof *sz; i++) {
        *dst[i] = nn_arena_take(ar, sz[i], e);
        if (!ar->planning && !*dst[i]) return e && e->status ? e->status : MOMU_ERR_STATE;
    }
    return MOMU_OK;
}

momu_status denoiser_acts_init(denoiser_acts *a, const denoiser *m, size_t B_max, size_t T_max, momu_err *e) {
    memset(a, 0, sizeof *a);
    if (B_max < 1 || B_max > sizeof a->drop || T_max < 1)
        return momu_fail(e, MOMU_ERR_ARG, "denoiser: batch %zu x %zu frames outside 1..%zu x 1..", B_max, T_max,
                         sizeof a->drop);
    nn_arena_init(&a->arena, "denoiser activations");
    momu_status st = dn_carve(a, m, B_max, T_max, e);
    if (!st) st = nn_arena_finish_plan(&a->arena, e);
    if (st) { nn_arena_free(&a->arena); return st; }
    a->B_max = B_max;
    a->T_max = T_max;
    return MOMU_OK;
}

void denoiser_acts_free(denoiser_acts *a) {
    if (!a) return;
    nn_arena_free(&a->arena);
    memset(a, 0, sizeof *a);
}

momu_status denoiser_forward(denoiser *m, denoiser_acts *a, float *eps, const float *x, const float *cond,
                             const uint8_t *drop, const float *t, size_t B, size_t T, momu_err *e) {
    if (B < 1 || T < 1 || B > a->B_max || B * T > a->B_max * a->T_max || T > a->T_max)
        return momu_fail(e, MOMU_ERR_ARG, "denoiser: batch %zu x %zu frames exceeds the planned %zu x %zu", B, T,
                         a->B_max, a->T_max);
    size_t Ci = dn_in_ch(&m->cfg), D = m->cfg.width, N = B * T;
    nn_arena_reset(&a->arena);
    momu_status st = dn_carve(a, m, B, T, e);
    if (st) return st;
    a->B = B;
    a->T = T;
    for (size_t b = 0; b < B; b++) a->drop[b] = (uint8_t)(!cond || (drop && drop[b]));
    dn_concat(a->xin, m, x, cond, a->drop, B, T);
    nn_linear_forward(a->h0, a->xin, P(m, m->id_xw), P(m, m->id_xb), N, Ci, D);
    dn_time(a->c, a->temb, a->t1, a->t1s, m, t, B);
    dit_stack_forward(a->hN, a->stack_act, a->h0, a->c, &m->stack, &m->tab, m->p.params, B, T);
    dn_final(eps, a->cs, a->mod, a->mod + B * D, a->ln, a->ln_mean, a->ln_rstd, a->mo, m, a->hN, a->c, B, T);
    return MOMU_OK;
}

void denoiser_backward(denoiser *m, denoiser_acts *a, float *dx, const float *deps, const float *x,
                       const float *cond, const float *t) {
    (void)x; (void)cond; (void)t;   /* everything needed was saved by the forward */
    size_t B = a->B, T = a->T, C = m->cfg.latent_ch, Cc = dn_cond_ch(&m->cfg), Ci = C + Cc, D = m->cfg.width,
           F = m->cfg.freq_dim, N = B * T;
    float *s = a->scratch + dit_stack_scratch_size(&m->stack, B, T);
    float *dmo = s, *dh = dmo + r16(N * D), *dxin = dh + r16(N * D);
    float *dc = dxin + r16(N * Ci), *dcs = dc + r16(B * D), *dshift = dcs + r16(B * D),
          *dscale = dshift + r16(B * D), *dt1s = dscale + r16(B * D), *dt1 = dt1s + r16(B * D);
    float *dln = dt1 + r16(B * D) + 2 * r16(B * D), *dh0 = dln + r16(N * D);
    const float *scale = a->mod + B * D;
    memset(dmo, 0, N * D * sizeof(float));
    memset(dc, 0, 6 * r16(B * D) * sizeof(float));
    memset(dln, 0, N * D * sizeof(float));
    memset(dh, 0, N * D * sizeof(float));
    memset(dh0, 0, N * D * sizeof(float));
    memset(dxin, 0, N * Ci * sizeof(float));
    /* eps = final_layer.linear(mo) */
    nn_linear_backward(dmo, G(m, m->id_flw), G(m, m->id_flb), deps, a->mo, P(m, m->id_flw), N, D, C);
    /* mo = ln (1 + scale) + shift */
    nn_modulate_backward(dln, dshift, dscale, dmo, a->ln, scale, B, T, D);
    /* ln = LN(hN) */
    nn_layernorm_backward(dh, NULL, NULL, dln, a->hN, a->ln_mean, a->ln_rstd, NULL, N, D);
    /* shift, scale = adaLN_modulation.1(cs) */
    const float *fmw = P(m, m->id_fmw);
    float *dfmw = G(m, m->id_fmw), *dfmb = G(m, m->id_fmb);
    nn_linear_backward(dcs, dfmw, dfmb, dshift, a->cs, fmw, B, D, D);
    nn_linear_backward(dcs, dfmw + D * D, dfmb + D, dscale, a->cs, fmw + D * D, B, D, D);
    /* cs = SiLU(c) */
    nn_silu_backward(dc, dcs, a->c, B * D);
    /* hN = blocks(h0, c) */
    dit_stack_backward(dh0, dc, m->p.grads, a->scratch, dh, a->stack_act, a->c, &m->stack, &m->tab, m->p.params, B,
                       T);
    /* h0 = x_embedder(xin) */
    nn_linear_backward(dxin, G(m, m->id_xw), G(m, m->id_xb), dh0, a->xin, P(m, m->id_xw), N, Ci, D);
    /* xin = [x | cond or null] */
    float *dnull = G(m, m->id_null);
    for (size_t b = 0; b < B; b++)
        for (size_t tt = 0; tt < T; tt++) {
            const float *row = dxin + (b * T + tt) * Ci;
            if (dx)
                for (size_t k = 0; k < C; k++) dx[(b * T + tt) * C + k] += row[k];
            if (a->drop[b])
                for (size_t k = 0; k < Cc; k++) dnull[k] += row[C + k];
        }
    /* c = mlp.2(SiLU(mlp.0(temb))) */
    nn_linear_backward(dt1s, G(m, m->id_t2w), G(m, m->id_t2b), dc, a->t1s, P(m, m->id_t2w), B, D, D);
    nn_silu_backward(dt1, dt1s, a->t1, B * D);
    nn_linear_backward(NULL, G(m, m->id_t0w), G(m, m->id_t0b), dt1, a->temb, P(m, m->id_t0w), B, F, D);
}

/* ------------------------------------------------------------------------------------------------------ */
/* inference                                                                                               */

void denoiser_ws_free(denoiser_ws *w) {
    if (!w) return;
    free(w->buf);
    w->buf = NULL;
    w->cap = 0;
}

static float *dn_ws(denoiser_ws *w, size_t n, momu_err *e) {
    if (n > w->cap) {   /* grows keeping the content (denoiser_eps_cfg keeps its inputs in front) */
        float *nb = momu_malloc_array(n, sizeof(float), e);
        if (!nb) return NULL;
        if (w->cap) memcpy(nb, w->buf, w->cap * sizeof(float));
        free(w->buf);
        w->buf = nb;
        w->cap = n;
    }
    return w->buf;
}

/* Workspace floats of dn_infer for (B,T). */
static size_t dn_infer_need(const denoiser *m, size_t B, size_t T) {
    size_t Ci = dn_in_ch(&m->cfg), D = m->cfg.width, F = m->cfg.freq_dim, N = B * T;
    return r16(N * Ci) + 2 * r16(N * D) + r16(B * F) + 6 * r16(B * D) + 2 * r16(N) +
           dit_stack_infer_scratch_size(&m->stack, B, T);
}

/* Infer with a per-sample null flag (drop may be NULL). Workspace layout after `off` floats. */
static momu_status dn_infer(const denoiser *m, denoiser_ws *w, size_t off, float *eps, const float *x,
                            const float *cond, const uint8_t *drop, const float *t, size_t B, size_t T,
                            momu_err *e) {
    size_t Ci = dn_in_ch(&m->cfg), D = m->cfg.width, F = m->cfg.freq_dim, N = B * T;
    float *base = dn_ws(w, off + dn_infer_need(m, B, T), e);
    if (!base) return e && e->status ? e->status : MOMU_ERR_OOM;
    float *xin = base + off, *h = xin + r16(N * Ci), *ln = h + r16(N * D), *temb = ln + r16(N * D);
    float *t1 = temb + r16(B * F), *t1s = t1 + r16(B * D), *c = t1s + r16(B * D), *cs = c + r16(B * D),
          *shift = cs + r16(B * D), *scale = shift + r16(B * D), *mean = scale + r16(B * D), *rstd = mean + r16(N),
          *scr = rstd + r16(N);
    dn_concat(xin, m, x, cond, drop, B, T);
    nn_linear_forward(h, xin, P(m, m->id_xw), P(m, m->id_xb), N, Ci, D);
    dn_time(c, temb, t1, t1s, m, t, B);
    dit_stack_forward_infer(h, scr, h, c, &m->stack, &m->tab, m->p.params, B, T);
    dn_final(eps, cs, shift, scale, ln, mean, rstd, ln, m, h, c, B, T);
    return MOMU_OK;
}

momu_status denoiser_forward_infer(const denoiser *m, denoiser_ws *w, float *eps, const float *x,
                                   const float *cond, const float *t, size_t B, size_t T, momu_err *e) {
    if (B < 1 || T < 1) return momu_fail(e, MOMU_ERR_ARG, "denoiser: empty batch %zu x %zu", B, T);
    return dn_infer(m, w, 0, eps, x, cond, NULL, t, B, T, e);
}

/* One batch-2B evaluation: samples [0,B) conditioned, [B,2B) null. *ec, *eu point into the workspace. */
static momu_status dn_cfg_pair(const denoiser *m, denoiser_ws *w, const float **ec, const float **eu,
                               const float *x, const float *cond, float t, size_t B, size_t T, momu_err *e) {
    if (B > 512) return momu_fail(e, MOMU_ERR_ARG, "denoiser: CFG batch %zu above 512", B);
    size_t n = B * T * m->cfg.latent_ch, nc = B * T * dn_cond_ch(&m->cfg), off = 2 * r16(2 * n) + r16(2 * nc);
    float *base = dn_ws(w, off + dn_infer_need(m, 2 * B, T), e);   /* all at once: pointers stay valid */
    if (!base) return e && e->status ? e->status : MOMU_ERR_OOM;
    float *x2 = base, *c2 = x2 + r16(2 * n), *e2 = c2 + r16(2 * nc);
    float tt[1024];
    uint8_t drop[1024];
    memcpy(x2, x, n * sizeof(float));
    memcpy(x2 + n, x, n * sizeof(float));
    memcpy(c2, cond, nc * sizeof(float));
    memcpy(c2 + nc, cond, nc * sizeof(float));   /* ignored: those samples take the null */
    for (size_t b = 0; b < 2 * B; b++) { tt[b] = t; drop[b] = (uint8_t)(b >= B); }
    momu_status st = dn_infer(m, w, off, e2, x2, c2, drop, tt, 2 * B, T, e);
    *ec = e2;
    *eu = e2 + n;
    return st;
}

momu_status denoiser_eps_cfg(const denoiser *m, denoiser_ws *w, float *eps, const float *x, const float *cond,
                             float t, float guidance, size_t B, size_t T, momu_err *e) {
    if (B < 1 || T < 1) return momu_fail(e, MOMU_ERR_ARG, "denoiser: empty batch %zu x %zu", B, T);
    if (B > 512) return momu_fail(e, MOMU_ERR_ARG, "denoiser: CFG batch %zu above 512", B);
    size_t n = B * T * m->cfg.latent_ch;
    if (!cond) {
        float tt[512];
        for (size_t b = 0; b < B; b++) tt[b] = t;
        return dn_infer(m, w, 0, eps, x, NULL, NULL, tt, B, T, e);
    }
    const float *ec = NULL, *eu = NULL;
    momu_status st = dn_cfg_pair(m, w, &ec, &eu, x, cond, t, B, T, e);
    if (st) return st;
    for (size_t i = 0; i < n; i++) eps[i] = eu[i] + guidance * (ec[i] - eu[i]);
    return MOMU_OK;
}

int denoiser_eps_fn(void *user, const float *x, int t, float *eps, size_t n) {
    denoiser_eps_ctx *ctx = user;
    momu_err_clear(&ctx->err);
    if (!ctx->m || n != ctx->B * ctx->T * ctx->m->cfg.latent_ch) {
        momu_fail(&ctx->err, MOMU_ERR_ARG, "denoiser callback: %zu values, expected %zu x %zu x %zu", n, ctx->B,
                  ctx->T, ctx->m ? ctx->m->cfg.latent_ch : 0);
        return 1;
    }
    return denoiser_eps_cfg(ctx->m, &ctx->ws, eps, x, ctx->cond, (float)t, ctx->guidance, ctx->B, ctx->T,
                            &ctx->err) != MOMU_OK;
}

static int dn_cond_check(denoiser_cond_ctx *ctx, size_t n) {
    momu_err_clear(&ctx->err);
    size_t C = ctx->m ? ctx->m->cfg.latent_ch : 0;
    if (!C || n == 0 || n % C) {
        momu_fail(&ctx->err, MOMU_ERR_ARG, "denoiser callback: %zu values, not a multiple of %zu channels", n, C);
        return 1;
    }
    return 0;
}

int denoiser_cond_eps(void *user, const float *x, int t, const float *cond, float *eps, size_t n) {
    denoiser_cond_ctx *ctx = user;
    if (dn_cond_check(ctx, n)) return 1;
    float tt = (float)t;
    return denoiser_forward_infer(ctx->m, &ctx->ws, eps, x, cond, &tt, 1, n / ctx->m->cfg.latent_ch, &ctx->err) !=
           MOMU_OK;
}

int denoiser_cond_eps2(void *user, const float *x, int t, const float *cond, float *eps_cond, float *eps_uncond,
                       size_t n) {
    denoiser_cond_ctx *ctx = user;
    if (dn_cond_check(ctx, n)) return 1;
    if (!cond) {   /* both are the unconditional prediction */
        if (denoiser_cond_eps(user, x, t, NULL, eps_uncond, n)) return 1;
        memcpy(eps_cond, eps_uncond, n * sizeof(float));
        return 0;
    }
    const float *ec = NULL, *eu = NULL;
    if (dn_cfg_pair(ctx->m, &ctx->ws, &ec, &eu, x, cond, (float)t, 1, n / ctx->m->cfg.latent_ch, &ctx->err))
        return 1;
    memcpy(eps_cond, ec, n * sizeof(float));
    memcpy(eps_uncond, eu, n * sizeof(float));
    return 0;
}

/* ------------------------------------------------------------------------------------------------------ */
/* latent scale and schedule                                                                               */

static void dn_mul(float *y, const float *x, size_t n, float f) {
    for (size_t i = 0; i < n; i++) y[i] = x[i] * f;
}
void denoiser_scale_target(const denoiser *m, float *y, const float *x, size_t n) { dn_mul(y, x, n, m->scale_factor); }
void denoiser_unscale_target(const denoiser *m, float *y, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = x[i] / m->scale_factor;
}
void denoiser_scale_cond(const denoiser *m, float *y, const float *x, size_t n) {
    dn_mul(y, x, n, m->cond_scale_factor);
}

float denoiser_measure_scale(const float *x, size_t n) {
    if (n < 2) return 1.0f;
    double s = 0, ss = 0;
    for (size_t i = 0; i < n; i++) s += x[i];
    double mu = s / (double)n;
    for (size_t i = 0; i < n; i++) ss += ((double)x[i] - mu) * ((double)x[i] - mu);
    double sd = sqrt(ss / (double)n);
    return sd > 0 && isfinite(sd) ? (float)(1.0 / sd) : 1.0f;
}

void denoiser_schedule_alpha_bar(double *ab) {
    static momu_schedule s;   /* large; filled identically by every caller */
    momu_schedule_default(&s);
    memcpy(ab, s.abar, DENOISER_T * sizeof(double));
}
