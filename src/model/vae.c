/* The 1-D convolutional VAEs of BiCoR-VAE (include/momu/vae.h): configuration, JSON, tensor table, init.
 * Forward / backward / inference are in vae_run.c.
 * Dimension vocabulary: B batch, T frames, Tp padded frames, Tz latent frames, F input features,
 * C latent channels, W level widths, G groups, f time factor. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "momu/json.h"
#include "momu/vae.h"

static const char *const VAE_KIND_NAMES[MOMU_VAE_KIND_COUNT] = {"music_vae", "motion_vae"};
static const char *const VAE_RECON_NAMES[MOMU_VAE_RECON_COUNT] = {"l1", "mse"};

const char *momu_vae_kind_name(momu_vae_kind k) {
    return (unsigned)k < MOMU_VAE_KIND_COUNT ? VAE_KIND_NAMES[k] : "?";
}
momu_vae_kind momu_vae_kind_from_name(const char *s) {
    for (int k = 0; k < MOMU_VAE_KIND_COUNT; k++)
        if (s && !strcmp(s, VAE_KIND_NAMES[k])) return (momu_vae_kind)k;
    return MOMU_VAE_KIND_COUNT;
}
const char *momu_vae_recon_name(momu_vae_recon r) {
    return (unsigned)r < MOMU_VAE_RECON_COUNT ? VAE_RECON_NAMES[r] : "?";
}
momu_vae_recon momu_vae_recon_from_name(const char *s) {
    for (int k = 0; k < MOMU_VAE_RECON_COUNT; k++)
        if (s && !strcmp(s, VAE_RECON_NAMES[k])) return (momu_vae_recon)k;
    return MOMU_VAE_RECON_COUNT;
}

void momu_vae_config_default(momu_vae_config *c, momu_vae_kind kind) {
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->z_channels = 16;
    c->n_res_enc = 1;
    c->n_res_dec = 1;
    c->n_mid = 1;
    c->groups = 32;
    c->down_kernel = 4;
    c->mid_attn = 0;
    c->kl_weight = 1e-4;
    if (kind == MOMU_VAE_MOTION) {
        c->in_dim = 146;
        c->fps = 25.0;
        c->n_levels = 2;
        c->ch[0] = 96; c->ch[1] = 192;
        c->recon_loss = MOMU_VAE_RECON_MSE;
    } else {
        c->in_dim = 80;
        c->fps = 100.0;
        c->n_levels = 4;
        c->ch[0] = 64; c->ch[1] = 128; c->ch[2] = 128; c->ch[3] = 256;
        c->recon_loss = MOMU_VAE_RECON_L1;
    }
}

size_t momu_vae_config_factor(const momu_vae_config *c) {
    return c->n_levels >= 1 && c->n_levels <= MOMU_VAE_MAX_LEVELS ? (size_t)1 << (c->n_levels - 1) : 0;
}

momu_status momu_vae_config_validate(const momu_vae_config *c, momu_err *e) {
    if ((unsigned)c->kind >= MOMU_VAE_KIND_COUNT) return momu_fail(e, MOMU_ERR_ARG, "vae config: unknown kind %d", (int)c->kind);
    if (c->in_dim < 1 || c->in_dim > 65536)
        return momu_fail(e, MOMU_ERR_ARG, "vae config: in_dim %zu (want 1..65536)", c->in_dim);
    if (!(c->fps > 0.0) || !isfinite(c->fps)) return momu_fail(e, MOMU_ERR_ARG, "vae config: fps %g (want > 0)", c->fps);
    if (c->z_channels < 1 || c->z_channels > 4096)
        return momu_fail(e, MOMU_ERR_ARG, "vae config: z_channels %zu (want 1..4096)", c->z_channels);
    if (c->n_levels < 1 || c->n_levels > MOMU_VAE_MAX_LEVELS)
        return momu_fail(e, MOMU_ERR_ARG, "vae config: n_levels %zu (want 1..%d)", c->n_levels, MOMU_VAE_MAX_LEVELS);
    if (c->groups < 1) return momu_fail(e, MOMU_ERR_ARG, "vae config: groups must be >= 1");
    for (size_t i = 0; i < c->n_levels; i++) {
        if (c->ch[i] < 1 || c->ch[i] > 2048)
            return momu_fail(e, MOMU_ERR_ARG, "vae config: ch[%zu] = %zu (want 1..2048)", i, c->ch[i]);
        if (c->ch[i] % c->groups)
            return momu_fail(e, MOMU_ERR_ARG, "vae config: groups %zu does not divide ch[%zu] = %zu", c->groups, i,
                             c->ch[i]);
    }
    for (size_t i = c->n_levels; i < MOMU_VAE_MAX_LEVELS; i++)
        if (c->ch[i]) return momu_fail(e, MOMU_ERR_ARG, "vae config: ch[%zu] set beyond n_levels %zu", i, c->n_levels);
    if (c->n_res_enc < 1 || c->n_res_enc > MOMU_VAE_MAX_RES)
        return momu_fail(e, MOMU_ERR_ARG, "vae config: n_res_enc %zu (want 1..%d)", c->n_res_enc, MOMU_VAE_MAX_RES);
    if (c->n_res_dec < 1 || c->n_res_dec > MOMU_VAE_MAX_RES)
        return momu_fail(e, MOMU_ERR_ARG, "vae config: n_res_dec %zu (want 1..%d)", c->n_res_dec, MOMU_VAE_MAX_RES);
    if (c->n_mid > MOMU_VAE_MAX_RES)
        return momu_fail(e, MOMU_ERR_ARG, "vae config: n_mid %zu (want 0..%d)", c->n_mid, MOMU_VAE_MAX_RES);
    if (c->down_kernel != 3 && c->down_kernel != 4)
        return momu_fail(e, MOMU_ERR_ARG, "vae config: down_kernel %zu (want 3 or 4)", c->down_kernel);
    if (c->mid_attn) return momu_fail(e, MOMU_ERR_ARG, "vae config: mid_attn is not implemented (must be 0)");
    if ((unsigned)c->recon_loss >= MOMU_VAE_RECON_COUNT)
        return momu_fail(e, MOMU_ERR_ARG, "vae config: unknown recon_loss %d", (int)c->recon_loss);
    if (!(c->kl_weight >= 0.0) || !isfinite(c->kl_weight))
        return momu_fail(e, MOMU_ERR_ARG, "vae config: kl_weight %g (want a finite value >= 0)", c->kl_weight);
    return MOMU_OK;
}

/* ---------------------------------------------------------------- JSON ---------------------------------- */
momu_status momu_vae_config_to_json(const momu_vae_config *c, char **json, momu_err *e) {
    momu_status st = momu_vae_config_validate(c, e);
    if (st) return st;
    char chs[MOMU_VAE_MAX_LEVELS * 24 + 4];
    size_t o = 0;
    chs[o++] = '[';
    for (size_t i = 0; i < c->n_levels; i++)
        o += (size_t)snprintf(chs + o, sizeof chs - o, "%s%zu", i ? "," : "", c->ch[i]);
    snprintf(chs + o, sizeof chs - o, "]");
    size_t cap = 1024;
    char *s = momu_malloc_array(cap, 1, e);
    if (!s) return MOMU_ERR_OOM;
    int n = snprintf(s, cap,
                     "{\"kind\":\"%s\",\"version\":%d,\"in_dim\":%zu,\"fps\":%.17g,\"z_channels\":%zu,"
                     "\"n_levels\":%zu,\"ch\":%s,\"n_res_enc\":%zu,\"n_res_dec\":%zu,\"n_mid\":%zu,\"groups\":%zu,"
                     "\"down_kernel\":%zu,\"mid_attn\":%d,\"recon_loss\":\"%s\",\"kl_weight\":%.17g}",
                     momu_vae_kind_name(c->kind), MOMU_VAE_CONFIG_VERSION, c->in_dim, c->fps, c->z_channels,
                     c->n_levels, chs, c->n_res_enc, c->n_res_dec, c->n_mid, c->groups, c->down_kernel, c->mid_attn,
                     momu_vae_recon_name(c->recon_loss), c->kl_weight);
    if (n < 0 || (size_t)n >= cap) {
        free(s);
        return momu_fail(e, MOMU_ERR_ARG, "vae config: JSON longer than %zu bytes", cap);
    }
    *json = s;
    return MOMU_OK;
}

static momu_status vae_json_uint(const momu_json *j, const char *key, size_t lo, size_t hi, size_t *out,
                                 const char *what, momu_err *e) {
    const momu_json *v = momu_json_get(j, key);
    if (!v) return momu_fail(e, MOMU_ERR_FORMAT, "%s: vae config lacks \"%s\"", what, key);
    if (v->type != MOMU_JSON_NUMBER || v->num != floor(v->num) || v->num < (double)lo || v->num > (double)hi)
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: vae config \"%s\" must be an integer in %zu..%zu", what, key, lo, hi);
    *out = (size_t)v->num;
    return MOMU_OK;
}

static momu_status vae_json_num(const momu_json *j, const char *key, double *out, const char *what, momu_err *e) {
    const momu_json *v = momu_json_get(j, key);
    if (!v) return momu_fail(e, MOMU_ERR_FORMAT, "%s: vae config lacks \"%s\"", what, key);
    if (v->type != MOMU_JSON_NUMBER || !isfinite(v->num))
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: vae config \"%s\" must be a number", what, key);
    *out = v->num;
    return MOMU_OK;
}

momu_status momu_vae_config_from_json(momu_vae_config *c, const char *json, momu_vae_kind expect,
                                      const char *what, momu_err *e) {
    if (!what) what = "vae config";
    if (!json) return momu_fail(e, MOMU_ERR_FORMAT, "%s: no vae config (metadata key %s missing)", what, MOMU_VAE_META_KEY);
    momu_json *j = NULL;
    momu_status st = momu_json_parse(json, strlen(json), what, &j, e);
    if (st) return st;
    momu_vae_config t;
    memset(&t, 0, sizeof t);
    static const char *const KEYS[] = {"kind", "version", "in_dim", "fps", "z_channels", "n_levels", "ch",
                                       "n_res_enc", "n_res_dec", "n_mid", "groups", "down_kernel", "mid_attn",
                                       "recon_loss", "kl_weight"};
    const size_t n_keys = sizeof KEYS / sizeof KEYS[0];
    const momu_json *v;
    size_t u = 0;
    if (j->type != MOMU_JSON_OBJECT) { st = momu_fail(e, MOMU_ERR_FORMAT, "%s: vae config is not a JSON object", what); goto done; }
    v = momu_json_get(j, "kind");
    if (!v || v->type != MOMU_JSON_STRING) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: not a VAE checkpoint (config has no \"kind\")", what);
        goto done;
    }
    t.kind = momu_vae_kind_from_name(v->str);
    if (t.kind == MOMU_VAE_KIND_COUNT) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: not a VAE checkpoint (kind \"%s\"; want music_vae or motion_vae)", what,
                       v->str);
        goto done;
    }
    if (expect != MOMU_VAE_KIND_COUNT && t.kind != expect) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: holds a %s, but a %s is needed", what, v->str, momu_vae_kind_name(expect));
        goto done;
    }
    for (size_t i = 0; i < j->n; i++) {
        size_t k = 0;
        while (k < n_keys && strcmp(j->keys[i], KEYS[k])) k++;
        if (k == n_keys) { st = momu_fail(e, MOMU_ERR_FORMAT, "%s: vae config has unknown key \"%s\"", what, j->keys[i]); goto done; }
    }
    if ((st = vae_json_uint(j, "version", 0, 1000000, &u, what, e))) goto done;
    if (u != MOMU_VAE_CONFIG_VERSION) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: vae config version %zu (this build reads %d; re-export the checkpoint)",
                       what, u, MOMU_VAE_CONFIG_VERSION);
        goto done;
    }
    if ((st = vae_json_uint(j, "in_dim", 1, 65536, &t.in_dim, what, e))) goto done;
    if ((st = vae_json_num(j, "fps", &t.fps, what, e))) goto done;
    if ((st = vae_json_uint(j, "z_channels", 1, 4096, &t.z_channels, what, e))) goto done;
    if ((st = vae_json_uint(j, "n_levels", 1, MOMU_VAE_MAX_LEVELS, &t.n_levels, what, e))) goto done;
    v = momu_json_get(j, "ch");
    if (!v || v->type != MOMU_JSON_ARRAY || v->n != t.n_levels) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: vae config \"ch\" must be an array of n_levels = %zu widths", what, t.n_levels);
        goto done;
    }
    for (size_t i = 0; i < v->n; i++) {
        const momu_json *x = &v->items[i];
        if (x->type != MOMU_JSON_NUMBER || x->num != floor(x->num) || x->num < 1 || x->num > 2048) {
            st = momu_fail(e, MOMU_ERR_FORMAT, "%s: vae config ch[%zu] must be an integer in 1..2048", what, i);
            goto done;
        }
        t.ch[i] = (size_t)x->num;
    }
    if ((st = vae_json_uint(j, "n_res_enc", 0, MOMU_VAE_MAX_RES, &t.n_res_enc, what, e))) goto done;
    if ((st = vae_json_uint(j, "n_res_dec", 0, MOMU_VAE_MAX_RES, &t.n_res_dec, what, e))) goto done;
    if ((st = vae_json_uint(j, "n_mid", 0, MOMU_VAE_MAX_RES, &t.n_mid, what, e))) goto done;
    if ((st = vae_json_uint(j, "groups", 1, 2048, &t.groups, what, e))) goto done;
    if ((st = vae_json_uint(j, "down_kernel", 0, 1000, &t.down_kernel, what, e))) goto done;
    if ((st = vae_json_uint(j, "mid_attn", 0, 1, &u, what, e))) goto done;
    t.mid_attn = (int)u;
    v = momu_json_get(j, "recon_loss");
    if (!v || v->type != MOMU_JSON_STRING || momu_vae_recon_from_name(v->str) == MOMU_VAE_RECON_COUNT) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: vae config \"recon_loss\" must be \"l1\" or \"mse\"", what);
        goto done;
    }
    t.recon_loss = momu_vae_recon_from_name(v->str);
    if ((st = vae_json_num(j, "kl_weight", &t.kl_weight, what, e))) goto done;
    {
        momu_err e2;
        momu_err_clear(&e2);
        if (momu_vae_config_validate(&t, &e2)) { st = momu_fail(e, MOMU_ERR_FORMAT, "%s: %s", what, e2.msg); goto done; }
    }
    *c = t;
done:
    momu_json_free(j);
    return st;
}

/* ---------------------------------------------------------------- model: op list + tensor table ---------- */
static momu_status vae_name(char *buf, const char *a, const char *b, momu_err *e) {
    int n = snprintf(buf, TENSOR_NAME_MAX + 1, "%s%s", a, b);
    if (n < 0 || n > TENSOR_NAME_MAX) return momu_fail(e, MOMU_ERR_ARG, "vae: tensor name %s%s too long", a, b);
    return MOMU_OK;
}

static momu_status vae_add_conv(tensor_table *tab, momu_vae_op *ops, size_t *n, const char *prefix, size_t Ci,
                                size_t Co, size_t k, size_t stride, size_t pad, unsigned k_in, unsigned k_out,
                                momu_err *e) {
    momu_vae_op *op = &ops[(*n)++];
    memset(op, 0, sizeof *op);
    op->kind = MOMU_VAE_OP_CONV;
    op->Ci = Ci; op->Co = Co; op->k_in = k_in; op->k_out = k_out;
    op->geom.k = k; op->geom.stride = stride; op->geom.pad = pad; op->geom.dil = 1; op->geom.groups = 1;
    char name[TENSOR_NAME_MAX + 1];
    momu_status st = vae_name(name, prefix, "weight", e);
    if (st) return st;
    op->w_id = TABLE_ADD(tab, name, 1, e, Co, Ci, k);
    if (op->w_id < 0) return e ? e->status : MOMU_ERR_ARG;
    if ((st = vae_name(name, prefix, "bias", e))) return st;
    op->b_id = TABLE_ADD(tab, name, 0, e, Co);
    if (op->b_id < 0) return e ? e->status : MOMU_ERR_ARG;
    return MOMU_OK;
}

static momu_status vae_add_res(tensor_table *tab, momu_vae_op *ops, size_t *n, const char *prefix, size_t Ci,
                               size_t Co, size_t G, unsigned k, momu_err *e) {
    momu_vae_op *op = &ops[(*n)++];
    memset(op, 0, sizeof *op);
    op->kind = MOMU_VAE_OP_RES;
    op->Ci = Ci; op->Co = Co; op->k_in = op->k_out = k;
    op->w_id = op->b_id = -1;
    return res_block_register(&op->rb, tab, prefix, Ci, Co, G, e);
}

static momu_status vae_add_norm(tensor_table *tab, momu_vae_op *ops, size_t *n, const char *prefix, size_t C,
                                unsigned k, momu_err *e) {
    momu_vae_op *op = &ops[(*n)++];
    memset(op, 0, sizeof *op);
    op->kind = MOMU_VAE_OP_NORM_SILU;
    op->Ci = op->Co = C; op->k_in = op->k_out = k;
    char name[TENSOR_NAME_MAX + 1];
    momu_status st = vae_name(name, prefix, "weight", e);
    if (st) return st;
    op->w_id = TABLE_ADD(tab, name, 0, e, C);
    if (op->w_id < 0) return e ? e->status : MOMU_ERR_ARG;
    if ((st = vae_name(name, prefix, "bias", e))) return st;
    op->b_id = TABLE_ADD(tab, name, 0, e, C);
    if (op->b_id < 0) return e ? e->status : MOMU_ERR_ARG;
    return MOMU_OK;
}

static momu_status vae_build(momu_vae *m, momu_err *e) {
    const momu_vae_config *c = &m->cfg;
    tensor_table *tab = &m->tab;
    const size_t L = c->n_levels, G = c->groups, C = c->z_channels, F = c->in_dim;
    char p[TENSOR_NAME_MAX + 1];
    momu_status st;
    size_t cur;
    /* encoder */
    size_t *n = &m->n_enc;
    if ((st = vae_add_conv(tab, m->enc, n, "encoder.conv_in.", F, c->ch[0], 3, 1, 1, 0, 0, e))) return st;
    cur = c->ch[0];
    for (size_t i = 0; i < L; i++) {
        for (size_t r = 0; r < c->n_res_enc; r++) {
            snprintf(p, sizeof p, "encoder.down.%zu.res.%zu.", i, r);
            if ((st = vae_add_res(tab, m->enc, n, p, cur, c->ch[i], G, (unsigned)i, e))) return st;
            cur = c->ch[i];
        }
        if (i + 1 < L) {
            snprintf(p, sizeof p, "encoder.down.%zu.downsample.conv.", i);
            if ((st = vae_add_conv(tab, m->enc, n, p, cur, cur, c->down_kernel, 2, 1, (unsigned)i, (unsigned)i + 1, e)))
                return st;
        }
    }
    for (size_t r = 0; r < c->n_mid; r++) {
        snprintf(p, sizeof p, "encoder.mid.res.%zu.", r);
        if ((st = vae_add_res(tab, m->enc, n, p, cur, cur, G, (unsigned)(L - 1), e))) return st;
    }
    if ((st = vae_add_norm(tab, m->enc, n, "encoder.norm_out.", cur, (unsigned)(L - 1), e))) return st;
    if ((st = vae_add_conv(tab, m->enc, n, "encoder.conv_out.", cur, 2 * C, 3, 1, 1, (unsigned)(L - 1),
                           (unsigned)(L - 1), e)))
        return st;
    /* decoder */
    n = &m->n_dec;
    cur = c->ch[L - 1];
    if ((st = vae_add_conv(tab, m->dec, n, "decoder.conv_in.", C, cur, 3, 1, 1, (unsigned)(L - 1), (unsigned)(L - 1), e)))
        return st;
    for (size_t r = 0; r < c->n_mid; r++) {
        snprintf(p, sizeof p, "decoder.mid.res.%zu.", r);
        if ((st = vae_add_res(tab, m->dec, n, p, cur, cur, G, (unsigned)(L - 1), e))) return st;
    }
    for (size_t ii = L; ii-- > 0;) {
        for (size_t r = 0; r < c->n_res_dec; r++) {
            snprintf(p, sizeof p, "decoder.up.%zu.res.%zu.", ii, r);
            if ((st = vae_add_res(tab, m->dec, n, p, cur, c->ch[ii], G, (unsigned)ii, e))) return st;
            cur = c->ch[ii];
        }
        if (ii > 0) {
            momu_vae_op *op = &m->dec[(*n)++];
            memset(op, 0, sizeof *op);
            op->kind = MOMU_VAE_OP_UPSAMPLE;
            op->Ci = op->Co = cur; op->k_in = (unsigned)ii; op->k_out = (unsigned)ii - 1;
            op->w_id = op->b_id = -1;
            snprintf(p, sizeof p, "decoder.up.%zu.upsample.conv.", ii);
            if ((st = vae_add_conv(tab, m->dec, n, p, cur, cur, 3, 1, 1, (unsigned)ii - 1, (unsigned)ii - 1, e))) return st;
        }
    }
    if ((st = vae_add_norm(tab, m->dec, n, "decoder.norm_out.", cur, 0, e))) return st;
    if ((st = vae_add_conv(tab, m->dec, n, "decoder.conv_out.", cur, F, 3, 1, 1, 0, 0, e))) return st;
    return MOMU_OK;
}

momu_status momu_vae_init(momu_vae *m, const momu_vae_config *cfg, momu_err *e) {
    memset(m, 0, sizeof *m);
    table_init(&m->tab);
    momu_status st = momu_vae_config_validate(cfg, e);
    if (st) return st;
    m->cfg = *cfg;
    m->factor = momu_vae_config_factor(cfg);
    st = vae_build(m, e);
    if (st) momu_vae_free(m);
    return st;
}

void momu_vae_free(momu_vae *m) {
    if (!m) return;
    table_free(&m->tab);
    memset(m, 0, sizeof *m);
}

size_t momu_vae_n_params(const momu_vae *m) { return table_numel(&m->tab); }

size_t momu_vae_latent_len(const momu_vae *m, size_t T) {
    return m->factor ? (T + m->factor - 1) / m->factor : 0;
}

/* torch defaults: Conv1d.reset_parameters = kaiming_uniform_(a=sqrt(5)) -> U(+-1/sqrt(fan_in)) for the
 * weight and U(+-1/sqrt(fan_in)) for the bias; GroupNorm weight 1, bias 0. Drawn in table order. */
void momu_vae_init_params(const momu_vae *m, float *params, momu_rng *rng) {
    const tensor_table *tab = &m->tab;
    size_t fan_in = 1;
    for (int i = 0; i < tab->n; i++) {
        const tensor_spec *s = &tab->t[i];
        float *p = params + s->offset;
        const char *dot = strrchr(s->name, '.');
        const char *last = dot ? dot + 1 : s->name;
        int is_norm = strstr(s->name, "norm") != NULL;
        if (is_norm) {
            float v = !strcmp(last, "weight") ? 1.0f : 0.0f;
            for (size_t k = 0; k < s->numel; k++) p[k] = v;
            continue;
        }
        if (s->ndim == 3) fan_in = s->shape[1] * s->shape[2];   /* the bias that follows uses this weight's */
        float bound = 1.0f / sqrtf((float)fan_in);
        for (size_t k = 0; k < s->numel; k++) p[k] = (2.0f * momu_rng_uniform(rng) - 1.0f) * bound;
    }
}
