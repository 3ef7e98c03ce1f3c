/* momu — denoiser checkpoints and the ε-prediction trainer (DDPM, Ho et al. 2020, "simple" loss:
 * E ||eps - eps_theta(sqrt(ab_t) z0 + sqrt(1 - ab_t) eps, t, c)||^2, t uniform; LDM scaled-linear betas).
 * Dimension vocabulary: B batch, T latent frames, C latent channels. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "momu/denoiser.h"
#include "momu/nn_layers.h"

#define DN_VAL_SEED 0x76616c6c6f7373ULL   /* fixed (t, noise) draws of the validation loss */

/* ------------------------------------------------------------------------------------------------------ */
/* checkpoints                                                                                             */

static momu_status dn_put_meta(safetensors_meta *meta, const denoiser *m, momu_err *e) {
    char cfg[512];
    denoiser_config_to_json(&m->cfg, cfg, sizeof cfg);
    momu_status st = safetensors_meta_put(meta, "momu.kind", denoiser_task_kind(m->task), e);
    if (!st) st = safetensors_meta_put(meta, "momu.config", cfg, e);
    if (!st) st = safetensors_meta_putf(meta, "momu.scale_factor", e, "%.9g", (double)m->scale_factor);
    if (!st) st = safetensors_meta_putf(meta, "momu.cond_scale_factor", e, "%.9g", (double)m->cond_scale_factor);
    if (!st)
        st = safetensors_meta_putf(meta, "momu.schedule", e,
                                   "{\"T\":%d,\"beta\":\"scaled_linear\",\"beta_start\":%g,\"beta_end\":%g,"
                                   "\"parameterization\":\"eps\"}",
                                   DENOISER_T, DENOISER_BETA_START, DENOISER_BETA_END);
    return st;
}

momu_status denoiser_save(const char *path, const denoiser *m, const safetensors_meta *extra, momu_err *e) {
    safetensors_meta meta;
    safetensors_meta_init(&meta);
    momu_status st = MOMU_OK;
    for (size_t i = 0; extra && i < extra->n && !st; i++) st = safetensors_meta_put(&meta, extra->keys[i], extra->vals[i], e);
    if (!st) st = dn_put_meta(&meta, m, e);
    if (!st) {
        const char *prefixes[2] = {"", "ema."};
        const tensor_table *tabs[2] = {&m->tab, &m->tab};
        const float *bases[2] = {m->p.params, m->p.ema};
        st = safetensors_write_tables(path, m->p.ema ? 2 : 1, prefixes, tabs, bases, SAFETENSORS_F32, &meta, e);
    }
    safetensors_meta_free(&meta);
    return st;
}

static momu_status dn_meta_float(const safetensors_file *sf, const char *key, float *out, momu_err *e) {
    const char *v = safetensors_meta_get(&sf->meta, key);
    char *end = NULL;
    double d = v ? strtod(v, &end) : 0;
    if (!v || end == v || *end || !(d > 0) || !isfinite(d))
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: metadata '%s' missing or not a positive number", sf->path, key);
    *out = (float)d;
    return MOMU_OK;
}

/* Reads every table tensor named prefix + name into base. */
static momu_status dn_read_tensors(safetensors_file *sf, const denoiser *m, const char *prefix, float *base,
                                   momu_err *e) {
    for (int i = 0; i < m->tab.n; i++) {
        const tensor_spec *s = &m->tab.t[i];
        char name[TENSOR_NAME_MAX + 16], shp[128];
        snprintf(name, sizeof name, "%s%s", prefix, s->name);
        int k = safetensors_find(sf, name);
        if (k < 0) return momu_fail(e, MOMU_ERR_FORMAT, "%s: tensor '%s' missing", sf->path, name);
        const safetensors_entry *en = &sf->t[k];
        int same = en->ndim == s->ndim;
        for (int d = 0; same && d < s->ndim; d++) same = en->shape[d] == s->shape[d];
        if (!same)
            return momu_fail(e, MOMU_ERR_FORMAT, "%s: tensor '%s' has %d dims / %zu values, expected shape %s",
                             sf->path, name, en->ndim, en->numel, table_shape_str(s, shp, sizeof shp));
        momu_status st = safetensors_read_f32(sf, (size_t)k, base + s->offset, s->numel, e);
        if (st) return st;
    }
    return MOMU_OK;
}

momu_status denoiser_load(denoiser *m, const char *path, denoiser_task want_task, int use_ema, int alloc_flags,
                          safetensors_meta *meta_out, momu_err *e) {
    memset(m, 0, sizeof *m);
    if (meta_out) safetensors_meta_init(meta_out);
    safetensors_file sf;
    momu_status st = safetensors_open(&sf, path, e);
    if (st) return st;
    const char *kind = safetensors_meta_get(&sf.meta, "momu.kind");
    denoiser_task task = denoiser_task_from_name(kind);
    denoiser_config cfg;
    denoiser_config_default(&cfg);
    const char *cj = safetensors_meta_get(&sf.meta, "momu.config");
    if (!kind || task == DENOISER_TASK_COUNT || strncmp(kind, "denoiser_", 9))
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: not a denoiser checkpoint (momu.kind is '%s')", path,
                       kind ? kind : "absent");
    else if (want_task != DENOISER_TASK_COUNT && task != want_task)
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: a %s checkpoint, expected %s", path, kind,
                       denoiser_task_kind(want_task));
    else if (!cj)
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: metadata 'momu.config' missing", path);
    if (!st) {
        st = denoiser_config_from_json(&cfg, cj, e);
        if (st && e) {
            char msg[sizeof e->msg];
            snprintf(msg, sizeof msg, "%s", e->msg);
            momu_err_clear(e);
            momu_fail(e, st, "%s: %s", path, msg);
        }
    }
    if (!st) st = denoiser_init(m, &cfg, task, alloc_flags, e);
    if (!st) st = dn_meta_float(&sf, "momu.scale_factor", &m->scale_factor, e);
    if (!st) st = dn_meta_float(&sf, "momu.cond_scale_factor", &m->cond_scale_factor, e);
    int has_ema = !st && safetensors_find(&sf, "ema.x_embedder.weight") >= 0;
    if (!st && use_ema && !has_ema) st = momu_fail(e, MOMU_ERR_FORMAT, "%s: no EMA weights in the file", path);
    if (!st) st = dn_read_tensors(&sf, m, use_ema ? "ema." : "", m->p.params, e);
    if (!st && m->p.ema) st = dn_read_tensors(&sf, m, has_ema ? "ema." : "", m->p.ema, e);
    if (!st && meta_out)
        for (size_t i = 0; i < sf.meta.n && !st; i++) st = safetensors_meta_put(meta_out, sf.meta.keys[i], sf.meta.vals[i], e);
    safetensors_close(&sf);
    if (st) {
        denoiser_free(m);
        if (meta_out) safetensors_meta_free(meta_out);
    }
    return st;
}

/* ------------------------------------------------------------------------------------------------------ */
/* trainer                                                                                                 */

void denoiser_train_config_default(denoiser_train_config *c) {
    c->batch = 16;
    c->cfg_drop = 0.1f;
    adamw_config_default(&c->opt);
    c->opt.lr = 1e-4;
    c->opt.weight_decay = 0.0;
    c->opt.clip_norm = 1.0;
    c->opt.ema_decay = 0.999;
    c->opt.ema_warmup = 1;
    c->opt.warmup_steps = 500;
    c->opt.total_steps = 0;
}

static size_t r16(size_t n) { return (n + 15) & ~(size_t)15; }

momu_status denoiser_trainer_init(denoiser_trainer *tr, denoiser *m, const denoiser_train_config *cfg, size_t T,
                                  uint64_t seed, momu_err *e) {
    memset(tr, 0, sizeof *tr);
    if (!m->p.grads || !m->p.m)
        return momu_fail(e, MOMU_ERR_ARG, "denoiser trainer: the model needs optimizer buffers (NN_ALLOC_OPTIM)");
    if (cfg->batch < 1 || cfg->batch > 1024)
        return momu_fail(e, MOMU_ERR_ARG, "denoiser trainer: --batch %zu outside 1..1024", cfg->batch);
    if (!(cfg->cfg_drop >= 0 && cfg->cfg_drop < 1))
        return momu_fail(e, MOMU_ERR_ARG, "denoiser trainer: --cfg-drop %g outside [0, 1)", (double)cfg->cfg_drop);
    tr->m = m;
    tr->cfg = *cfg;
    optim_init(&tr->opt, &cfg->opt);
    momu_rng_seed(&tr->rng, seed);
    denoiser_schedule_alpha_bar(tr->alpha_bar);
    size_t n = cfg->batch * T * m->cfg.latent_ch, nc = cfg->batch * T * (m->cfg.latent_ch + m->cfg.cond_extra);
    tr->buf = momu_malloc_array(5 * r16(n) + r16(nc) + r16(cfg->batch), sizeof(float), e);
    if (!tr->buf) return MOMU_ERR_OOM;
    momu_status st = denoiser_acts_init(&tr->acts, m, cfg->batch, T, e);
    if (st) { free(tr->buf); tr->buf = NULL; }
    return st;
}

void denoiser_trainer_free(denoiser_trainer *tr) {
    if (!tr) return;
    denoiser_acts_free(&tr->acts);
    free(tr->buf);
    memset(tr, 0, sizeof *tr);
}

static momu_status dn_check_data(const denoiser_trainer *tr, const denoiser_latents *d, momu_err *e) {
    if (!d || !d->target || !d->cond || d->n < 1)
        return momu_fail(e, MOMU_ERR_ARG, "denoiser trainer: empty latent dataset");
    if (d->C != tr->m->cfg.latent_ch)
        return momu_fail(e, MOMU_ERR_ARG, "denoiser trainer: latents have %zu channels, the model %zu", d->C,
                         tr->m->cfg.latent_ch);
    size_t Cc = d->Cc ? d->Cc : d->C, want = tr->m->cfg.latent_ch + tr->m->cfg.cond_extra;
    if (Cc != want)
        return momu_fail(e, MOMU_ERR_ARG, "denoiser trainer: conditions have %zu channels, the model takes %zu", Cc,
                         want);
    if (d->T != tr->acts.T_max)
        return momu_fail(e, MOMU_ERR_ARG, "denoiser trainer: windows of %zu latent frames, planned for %zu", d->T,
                         tr->acts.T_max);
    return MOMU_OK;
}

/* x_t = sqrt(ab) z0 + sqrt(1 - ab) noise, per sample. */
static void dn_q_sample(float *xt, const float *z0, const float *noise, const float *t, const double *ab,
                        size_t B, size_t per) {
    for (size_t b = 0; b < B; b++) {
        double a = ab[(size_t)t[b]];
        float sa = (float)sqrt(a), sb = (float)sqrt(1.0 - a);
        for (size_t i = b * per; i < (b + 1) * per; i++) xt[i] = sa * z0[i] + sb * noise[i];
    }
}

momu_status denoiser_trainer_step(denoiser_trainer *tr, const denoiser_latents *d, float *loss, momu_err *e) {
    momu_status st = dn_check_data(tr, d, e);
    if (st) return st;
    denoiser *m = tr->m;
    size_t B = tr->cfg.batch, T = d->T, C = d->C, per = T * C, n = B * per, perc = T * (d->Cc ? d->Cc : C);
    float *z0 = tr->buf, *noise = z0 + r16(n), *xt = noise + r16(n), *eps = xt + r16(n), *deps = eps + r16(n),
          *t = deps + r16(n), *cond = t + r16(B);
    uint8_t drop[1024];
    for (size_t b = 0; b < B; b++) {   /* draw order: window, t, drop per sample, then all noise */
        size_t w = momu_rng_below(&tr->rng, d->n);
        memcpy(z0 + b * per, d->target + w * per, per * sizeof(float));
        memcpy(cond + b * perc, d->cond + w * perc, perc * sizeof(float));
        t[b] = (float)momu_rng_below(&tr->rng, DENOISER_T);
        drop[b] = (uint8_t)(momu_rng_uniform(&tr->rng) < tr->cfg.cfg_drop);
    }
    momu_rng_fill_normal(&tr->rng, noise, n, 1.0f);
    dn_q_sample(xt, z0, noise, t, tr->alpha_bar, B, per);
    if ((st = denoiser_forward(m, &tr->acts, eps, xt, cond, drop, t, B, T, e))) return st;
    float l = nn_mse_loss_forward(eps, noise, n);
    nn_params_zero_grads(&m->p);
    memset(deps, 0, n * sizeof(float));
    nn_mse_loss_backward(deps, eps, noise, n, 1.0f);
    denoiser_backward(m, &tr->acts, NULL, deps, xt, cond, t);
    optim_step(&tr->opt, &m->p, l);
    tr->last_loss = l;
    if (loss) *loss = l;
    return MOMU_OK;
}

momu_status denoiser_trainer_val_loss(denoiser_trainer *tr, const denoiser_latents *d, float *loss, momu_err *e) {
    momu_status st = dn_check_data(tr, d, e);
    if (st) return st;
    momu_rng rng;
    momu_rng_seed(&rng, DN_VAL_SEED);
    size_t Bm = tr->cfg.batch, T = d->T, C = d->C, per = T * C, perc = T * (d->Cc ? d->Cc : C);
    float *noise = tr->buf + r16(Bm * per), *xt = noise + r16(Bm * per), *eps = xt + r16(Bm * per),
          *t = tr->buf + 5 * r16(Bm * per);
    double sum = 0;
    for (size_t i0 = 0; i0 < d->n; i0 += Bm) {
        size_t B = d->n - i0 < Bm ? d->n - i0 : Bm;
        for (size_t b = 0; b < B; b++) t[b] = (float)momu_rng_below(&rng, DENOISER_T);
        momu_rng_fill_normal(&rng, noise, B * per, 1.0f);
        dn_q_sample(xt, d->target + i0 * per, noise, t, tr->alpha_bar, B, per);
        if ((st = denoiser_forward(tr->m, &tr->acts, eps, xt, d->cond + i0 * perc, NULL, t, B, T, e))) return st;
        sum += (double)nn_mse_loss_forward(eps, noise, B * per) * (double)B;
    }
    *loss = (float)(sum / (double)d->n);
    return MOMU_OK;
}

momu_status denoiser_trainer_save(denoiser_trainer *tr, const char *weights_path, const char *state_path,
                                  const safetensors_meta *extra, momu_err *e) {
    safetensors_meta meta;
    safetensors_meta_init(&meta);
    momu_status st = MOMU_OK;
    for (size_t i = 0; extra && i < extra->n && !st; i++) st = safetensors_meta_put(&meta, extra->keys[i], extra->vals[i], e);
    if (!st) st = safetensors_meta_putf(&meta, "momu.step", e, "%zu", tr->opt.step);
    if (!st) st = denoiser_save(weights_path, tr->m, &meta, e);
    if (!st && state_path) {
        trainstate_extra x;
        memset(&x, 0, sizeof x);
        x.rng = tr->rng;
        x.world_size = 1;
        st = trainstate_save(state_path, &tr->m->p, &tr->opt, &x, NULL, e);
    }
    safetensors_meta_free(&meta);
    return st;
}

momu_status denoiser_trainer_resume(denoiser_trainer *tr, const char *weights_path, const char *state_path,
                                    momu_err *e) {
    denoiser *m = tr->m;
    safetensors_file sf;
    momu_status st = safetensors_open(&sf, weights_path, e);
    if (st) return st;
    const char *kind = safetensors_meta_get(&sf.meta, "momu.kind");
    const char *cj = safetensors_meta_get(&sf.meta, "momu.config");
    char want[512];
    denoiser_config_to_json(&m->cfg, want, sizeof want);
    if (!kind || strcmp(kind, denoiser_task_kind(m->task)))
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: kind '%s', expected %s", weights_path, kind ? kind : "absent",
                       denoiser_task_kind(m->task));
    else if (!cj || strcmp(cj, want))
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: model config %s differs from this run's %s", weights_path,
                       cj ? cj : "(absent)", want);
    float sf_scale = 1, sf_cond = 1;
    if (!st) st = dn_meta_float(&sf, "momu.scale_factor", &sf_scale, e);
    if (!st) st = dn_meta_float(&sf, "momu.cond_scale_factor", &sf_cond, e);
    if (!st) st = dn_read_tensors(&sf, m, "", m->p.params, e);
    safetensors_close(&sf);
    if (st) return st;
    m->scale_factor = sf_scale;
    m->cond_scale_factor = sf_cond;
    trainstate_extra x;
    memset(&x, 0, sizeof x);
    x.world_size = 1;
    if ((st = trainstate_load(state_path, &m->p, &tr->opt, &x, e))) return st;
    tr->rng = x.rng;
    return MOMU_OK;
}
