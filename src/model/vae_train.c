/* BiCoR-VAE training loop (both stages) and checkpoint files (include/momu/vae_train.h).
 * Dimensions: B batch, L crop motion frames, T input frames of the stage's VAE (4L mel / L motion),
 * Tz = L/2 latent frames, C latent channels, F input features, M mel bands, D motion features. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "momu/audio.h"
#include "momu/nn_optim.h"
#include "momu/vae_train.h"

#define CKPT_FORMAT "momu-vae"

void momu_vae_train_opts_default(momu_vae_train_opts *o) {
    memset(o, 0, sizeof *o);
    o->stage = MOMU_VAE_MUSIC;
    o->steps = 20000;
    o->batch = 8;
    o->crop_seconds = 4.0;
    o->lr = 5e-4;
    o->lr_min = 5e-5;
    o->kl = -1.0;
    o->contrast = 0.1;
    o->weight_decay = 0.01;
    o->clip = 1.0;
    o->ema_decay = 0.998;
    o->warmup = 200;
    o->seed = 1;
    o->ckpt_every_min = 5.0;
    momu_bicor_config_default(&o->bicor);
}

/* ---- checkpoints ------------------------------------------------------------------------------- */

static momu_status put_common_meta(safetensors_meta *mt, const momu_vae *m, size_t step, momu_err *e) {
    char *json = NULL;
    momu_status st = momu_vae_config_to_json(&m->cfg, &json, e);
    if (st) return st;
    st = safetensors_meta_put(mt, MOMU_VAE_META_KEY, json, e);
    free(json);
    if (st) return st;
    if ((st = safetensors_meta_put(mt, "momu.format", CKPT_FORMAT, e)) ||
        (st = safetensors_meta_put(mt, "momu.kind", momu_vae_kind_name(m->cfg.kind), e)) ||
        (st = safetensors_meta_putf(mt, "momu.step", e, "%zu", step)) ||
        (st = safetensors_meta_putf(mt, "audio.sample_rate", e, "%d", MOMU_SR)) ||
        (st = safetensors_meta_putf(mt, "audio.n_fft", e, "%d", MOMU_N_FFT)) ||
        (st = safetensors_meta_putf(mt, "audio.hop", e, "%d", MOMU_HOP)) ||
        (st = safetensors_meta_putf(mt, "audio.n_mels", e, "%d", MOMU_N_MELS)) ||
        (st = safetensors_meta_putf(mt, "audio.fmin", e, "%g", MOMU_MEL_FMIN)) ||
        (st = safetensors_meta_putf(mt, "audio.fmax", e, "%g", MOMU_MEL_FMAX)) ||
        (st = safetensors_meta_putf(mt, "audio.log_floor", e, "%g", (double)MOMU_MEL_FLOOR)) ||
        (st = safetensors_meta_put(mt, "audio.mel", "slaney, log10(max(mel, floor)), window hann", e)))
        return st;
    return MOMU_OK;
}

/* "norm.mean", "norm.std" as a two-tensor table */
static momu_status norm_table(tensor_table *t, size_t F, momu_err *e) {
    table_init(t);
    if (TABLE_ADD(t, "mean", 0, e, F) < 0 || TABLE_ADD(t, "std", 0, e, F) < 0) return e ? e->status : MOMU_ERR_ARG;
    return MOMU_OK;
}

static momu_status ckpt_write(const char *path, const momu_vae *m, const nn_params *p, const float *mean,
                              const float *std, const safetensors_meta *meta, momu_err *e) {
    const size_t F = m->cfg.in_dim;
    tensor_table nt;
    momu_status st = norm_table(&nt, F, e);
    float *nb = st ? NULL : momu_calloc_array(nt.total, sizeof(float), e);
    if (!nb) { table_free(&nt); return st ? st : MOMU_ERR_OOM; }
    memcpy(table_ptr(&nt, nb, 0), mean, F * sizeof(float));
    memcpy(table_ptr(&nt, nb, 1), std, F * sizeof(float));
    const char *prefixes[3] = {"vae.", "ema.", "norm."};
    const tensor_table *tabs[3] = {&m->tab, &m->tab, &nt};
    const float *bases[3] = {p->params, p->ema ? p->ema : p->params, nb};
    st = safetensors_write_tables(path, 3, prefixes, tabs, bases, SAFETENSORS_F32, meta, e);
    free(nb);
    table_free(&nt);
    return st;
}

momu_status momu_vae_ckpt_load(const char *path, momu_vae_kind expect, int use_ema, momu_vae_ckpt *c, momu_err *e) {
    memset(c, 0, sizeof *c);
    safetensors_meta_init(&c->meta);
    safetensors_file sf;
    momu_status st = safetensors_open(&sf, path, e);
    if (st) return st;
    const char *fmt = safetensors_meta_get(&sf.meta, "momu.format");
    const char *json = safetensors_meta_get(&sf.meta, MOMU_VAE_META_KEY);
    if (!fmt || strcmp(fmt, CKPT_FORMAT) || !json) {
        const char *kind = safetensors_meta_get(&sf.meta, "momu.kind");
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: not a momu VAE checkpoint (momu.format '%s', kind '%s')", path,
                       fmt ? fmt : "none", kind ? kind : "none");
        safetensors_close(&sf);
        return st;
    }
    momu_vae_config cfg;
    st = momu_vae_config_from_json(&cfg, json, expect, path, e);
    int has_ema = safetensors_find(&sf, "ema.encoder.conv_in.weight") >= 0;
    const char *s_step = safetensors_meta_get(&sf.meta, "momu.step");
    const char *s_j = safetensors_meta_get(&sf.meta, "motion.n_joints");
    c->step = s_step ? (size_t)strtoull(s_step, NULL, 10) : 0;
    c->n_joints = s_j ? (size_t)strtoull(s_j, NULL, 10) : 0;
    safetensors_close(&sf);
    if (st) return st;
    if ((st = momu_vae_init(&c->vae, &cfg, e))) return st;
    c->params = momu_calloc_array(c->vae.tab.total, sizeof(float), e);
    tensor_table nt;
    if (!c->params) st = MOMU_ERR_OOM;
    if (!st) st = norm_table(&nt, cfg.in_dim, e);
    if (st) {
        momu_vae_ckpt_free(c);
        return st;
    }
    float *nb = momu_calloc_array(nt.total, sizeof(float), e);
    c->norm_mean = momu_malloc_array(cfg.in_dim, sizeof(float), e);
    c->norm_std = momu_malloc_array(cfg.in_dim, sizeof(float), e);
    if (!nb || !c->norm_mean || !c->norm_std) st = MOMU_ERR_OOM;
    if (!st) st = safetensors_load_table_prefix(path, use_ema && has_ema ? "ema." : "vae.", &c->vae.tab, c->params,
                                                SAFETENSORS_DTYPE_COUNT, &c->meta, e);
    if (!st) st = safetensors_load_table_prefix(path, "norm.", &nt, nb, SAFETENSORS_DTYPE_COUNT, NULL, e);
    if (!st) {
        memcpy(c->norm_mean, table_ptr(&nt, nb, 0), cfg.in_dim * sizeof(float));
        memcpy(c->norm_std, table_ptr(&nt, nb, 1), cfg.in_dim * sizeof(float));
        for (size_t k = 0; k < cfg.in_dim && !st; k++)
            if (!(c->norm_std[k] > 0)) st = momu_fail(e, MOMU_ERR_FORMAT, "%s: norm.std[%zu] <= 0", path, k);
    }
    if (!st && cfg.kind == MOMU_VAE_MOTION && (c->n_joints < 1 || momu_features_dim(c->n_joints) != cfg.in_dim))
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: motion.n_joints %zu does not match feature dim %zu", path, c->n_joints,
                       cfg.in_dim);
    free(nb);
    table_free(&nt);
    if (st) momu_vae_ckpt_free(c);
    return st;
}

void momu_vae_ckpt_free(momu_vae_ckpt *c) {
    if (c->vae.tab.t) momu_vae_free(&c->vae);
    free(c->params);
    free(c->norm_mean);
    free(c->norm_std);
    safetensors_meta_free(&c->meta);
    memset(c, 0, sizeof *c);
}

/* ---- training ---------------------------------------------------------------------------------- */

typedef struct {
    const momu_vae_train_opts *o;
    momu_vae_data d;
    momu_vae m;
    int m_init;
    nn_params p;
    nn_optim opt;
    trainstate_extra x;
    momu_vae_sampler smp;
    momu_vae_train tr;
    int tr_init;
    momu_vae_ckpt music;             /* motion stage: the frozen music VAE */
    momu_bicor_ws ws;
    size_t B, L, Tz, C, T_in;
    float *mel, *mot, *q, *qz, *eps, *za, *dextra;
    size_t *win_b, *win_s;
    const float *music_mean, *music_std;
} trainer;

static const float *stage_input(const trainer *t) {
    return t->o->stage == MOMU_VAE_MUSIC ? t->mel : t->mot;
}

/* Windows of every crop from q (B, L): writes win_b/win_s, returns the count. */
static size_t choose_windows(trainer *t, const float *q, size_t B) {
    size_t n = 0, starts[MOMU_BICOR_MAX_WINDOWS];
    for (size_t b = 0; b < B; b++) {
        momu_bicor_q_to_latent(q + b * t->L, t->L, t->qz);
        size_t k = momu_bicor_select_windows_mixed(t->qz, t->Tz, t->o->bicor.n_windows, t->o->bicor.troughs,
                                                   t->o->bicor.width, starts);
        for (size_t i = 0; i < k; i++) { t->win_b[n] = b; t->win_s[n] = starts[i]; n++; }
    }
    return n;
}

/* Forward (+ loss) of the current batch (t->mel, t->mot, t->q) of B crops. eps NULL: z = mean.
 * Fills parts and *contrast; with grads != NULL also backward into grads. */
static momu_status step_batch(trainer *t, size_t B, const float *eps, float *grads, momu_vae_loss_parts *parts,
                              double *contrast, momu_err *e) {
    const int motion = t->o->stage == MOMU_VAE_MOTION;
    const float *x = stage_input(t);
    momu_status st = momu_vae_forward(&t->tr, t->p.params, x, B, t->T_in, eps, e);
    if (st) return st;
    momu_vae_loss(&t->tr, x, parts);
    if (motion && t->o->delta > 0.0) parts->total += t->o->delta * momu_vae_delta_loss(&t->tr, x, t->o->delta);
    *contrast = 0.0;
    int use_c = motion && t->o->contrast > 0.0;
    if (use_c) {
        st = momu_vae_encode(&t->music.vae, t->music.params, t->mel, B, 4 * t->L, t->za, NULL, e);
        if (st) return st;
        size_t n = choose_windows(t, t->q, B);
        float lc = 0.0f;
        st = momu_bicor_loss_forward(&t->ws, t->za, t->tr.mean, B, t->Tz, t->C, t->win_b, t->win_s, n,
                                     t->o->bicor.width, t->o->bicor.tau, &lc, e);
        if (st) return st;
        *contrast = lc;
        parts->total += t->o->contrast * lc;
    }
    if (!grads) return MOMU_OK;
    if (use_c) {
        memset(t->dextra, 0, B * t->Tz * t->C * sizeof(float));
        momu_bicor_loss_backward(&t->ws, NULL, t->dextra, (float)t->o->contrast);
    }
    return momu_vae_backward(&t->tr, t->p.params, grads, use_c ? t->dextra : NULL, e);
}

/* Validation: the centre crop of L frames of every validation window, batches of up to B, z = mean. */
static momu_status validate(trainer *t, momu_vae_train_result *r, momu_err *e) {
    const momu_vae_data *d = &t->d;
    const size_t L = t->L, W = d->W, M = d->M, D = d->D, r0 = ((W - L) / 2) & ~(size_t)1;
    double sr = 0, sk = 0, sc = 0, stot = 0;
    size_t n_done = 0;
    for (size_t i0 = 0; i0 < d->n_val; i0 += t->B) {
        size_t B = d->n_val - i0 < t->B ? d->n_val - i0 : t->B;
        for (size_t b = 0; b < B; b++) {
            size_t k = i0 + b;
            memcpy(t->mel + b * 4 * L * M, d->val_mel + (k * 4 * W + 4 * r0) * M, 4 * L * M * sizeof(float));
            if (D) {
                memcpy(t->mot + b * L * D, d->val_mot + (k * W + r0) * D, L * D * sizeof(float));
                memcpy(t->q + b * L, d->val_q + k * W + r0, L * sizeof(float));
            }
        }
        momu_vae_loss_parts parts;
        double c;
        momu_status st = step_batch(t, B, NULL, NULL, &parts, &c, e);
        if (st) return st;
        sr += parts.recon * (double)B;
        sk += parts.kl * (double)B;
        sc += c * (double)B;
        stot += parts.total * (double)B;
        n_done += B;
    }
    if (n_done) {
        r->val_total = stot / (double)n_done;
        r->val_recon = sr / (double)n_done;
        r->val_kl = sk / (double)n_done;
        r->val_contrast = sc / (double)n_done;
    }
    return MOMU_OK;
}

static momu_status save_ckpt(trainer *t, momu_err *e) {
    const momu_vae_train_opts *o = t->o;
    safetensors_meta mt;
    safetensors_meta_init(&mt);
    momu_status st = put_common_meta(&mt, &t->m, t->opt.step, e);
    const int motion = o->stage == MOMU_VAE_MOTION;
    if (!st) st = safetensors_meta_putf(&mt, "momu.seed", e, "%llu", (unsigned long long)o->seed);
    if (!st) st = safetensors_meta_putf(&mt, "train.batch", e, "%zu", t->B);
    if (!st) st = safetensors_meta_putf(&mt, "train.crop_motion_frames", e, "%zu", t->L);
    if (!st) st = safetensors_meta_putf(&mt, "train.steps", e, "%zu", o->steps);
    if (!st) st = safetensors_meta_putf(&mt, "train.lr", e, "%g", o->lr);
    if (!st) st = safetensors_meta_putf(&mt, "train.kl", e, "%g", t->m.cfg.kl_weight);
    if (!st) st = safetensors_meta_putf(&mt, "train.contrast", e, "%g", motion ? o->contrast : 0.0);
    if (!st) st = safetensors_meta_putf(&mt, "train.delta", e, "%g", motion ? o->delta : 0.0);
    if (!st) st = safetensors_meta_putf(&mt, "train.ema_decay", e, "%g", o->ema_decay);
    if (!st) st = safetensors_meta_putf(&mt, "bicor.n_windows", e, "%zu", o->bicor.n_windows);
    if (!st) st = safetensors_meta_putf(&mt, "bicor.width_latent_frames", e, "%zu", o->bicor.width);
    if (!st) st = safetensors_meta_putf(&mt, "bicor.troughs", e, "%zu", o->bicor.troughs);
    if (!st) st = safetensors_meta_putf(&mt, "bicor.tau", e, "%g", (double)o->bicor.tau);
    if (!st) st = safetensors_meta_put(&mt, "bicor.negatives", o->negatives_same_crop ? "crop" : "batch", e);
    if (!st) st = safetensors_meta_put(&mt, "data.dir", t->d.dir, e);
    if (!st) st = safetensors_meta_putf(&mt, "data.window_motion_frames", e, "%zu", t->d.W);
    if (!st) st = safetensors_meta_putf(&mt, "data.train_windows", e, "%zu", t->d.n_train);
    if (!st) st = safetensors_meta_putf(&mt, "data.val_windows", e, "%zu", t->d.n_val);
    if (!st) st = safetensors_meta_putf(&mt, "data.music_only_windows", e, "%zu",
                                        motion ? (size_t)0 : t->d.n_music_only);
    if (!st && motion) st = safetensors_meta_putf(&mt, "motion.n_joints", e, "%zu", t->d.J);
    if (!st && motion) st = safetensors_meta_putf(&mt, "motion.fps", e, "%g", (double)MOMU_DWM_FPS);
    if (!st && motion && o->music_vae_path) st = safetensors_meta_put(&mt, "train.music_vae", o->music_vae_path, e);
    if (!st && o->cmdline) st = safetensors_meta_put(&mt, "train.command", o->cmdline, e);
    if (!st) {
        const float *mean = motion ? t->d.mot_stats.mean : t->d.mel_mean;
        const float *std = motion ? t->d.mot_stats.std : t->d.mel_std;
        st = ckpt_write(o->out_path, &t->m, &t->p, mean, std, &mt, e);
    }
    if (!st) {
        char sp[1100];
        snprintf(sp, sizeof sp, "%s.state", o->out_path);
        t->x.data_cursor = t->smp.cursor;
        t->x.data_epoch = t->smp.epoch;
        st = trainstate_save(sp, &t->p, &t->opt, &t->x, &mt, e);
    }
    safetensors_meta_free(&mt);
    return st;
}

static size_t meta_size(const safetensors_meta *m, const char *key, size_t dflt) {
    const char *v = safetensors_meta_get(m, key);
    return v ? (size_t)strtoull(v, NULL, 10) : dflt;
}

static void trainer_free(trainer *t) {
    momu_vae_data_free(&t->d);
    if (t->tr_init) momu_vae_train_free(&t->tr);
    nn_params_free(&t->p);
    if (t->m_init) momu_vae_free(&t->m);
    momu_vae_sampler_free(&t->smp);
    momu_vae_ckpt_free(&t->music);
    momu_bicor_ws_free(&t->ws);
    free(t->mel); free(t->mot); free(t->q); free(t->qz); free(t->eps); free(t->za); free(t->dextra);
    free(t->win_b); free(t->win_s);
}

momu_status momu_vae_train_run(const momu_vae_train_opts *o, momu_vae_train_result *r, momu_err *e) {
    trainer t;
    memset(&t, 0, sizeof t);
    memset(r, 0, sizeof *r);
    t.o = o;
    const int motion = o->stage == MOMU_VAE_MOTION;
    momu_status st = MOMU_OK;
    if (o->stage != MOMU_VAE_MUSIC && o->stage != MOMU_VAE_MOTION) return momu_fail(e, MOMU_ERR_ARG, "stage: unknown");
    if (!o->data_dir || !o->out_path) return momu_fail(e, MOMU_ERR_ARG, "train vae: --data and --out are required");
    if (!o->batch || !o->steps) return momu_fail(e, MOMU_ERR_ARG, "train vae: --batch and --steps must be > 0");
    if (!(o->lr > 0) || !(o->crop_seconds > 0)) return momu_fail(e, MOMU_ERR_ARG, "train vae: --lr and --crop-seconds must be > 0");
    if (motion && o->contrast > 0 && !o->music_vae_path)
        return momu_fail(e, MOMU_ERR_ARG, "train vae --stage motion: --music-vae CKPT is required (or --no-contrast)");
    if (motion && (st = momu_bicor_config_check(&o->bicor, e))) return st;

    /* model: from the checkpoint when resuming, else the given / default config */
    safetensors_meta old;
    safetensors_meta_init(&old);
    momu_vae_config cfg;
    uint64_t seed = o->seed;
    size_t B = o->batch, L = 2 * (size_t)lround(o->crop_seconds * MOMU_DWM_FPS / 2.0);
    if (o->resume) {
        momu_vae_ckpt prev;
        if ((st = momu_vae_ckpt_load(o->out_path, MOMU_VAE_KIND_COUNT, 0, &prev, e))) return st;
        if (prev.vae.cfg.kind != o->stage) {
            st = momu_fail(e, MOMU_ERR_FORMAT, "%s: a %s checkpoint, but --stage %s was asked for", o->out_path,
                           momu_vae_kind_name(prev.vae.cfg.kind), o->stage == MOMU_VAE_MUSIC ? "music" : "motion");
            momu_vae_ckpt_free(&prev);
            return st;
        }
        cfg = prev.vae.cfg;
        seed = meta_size(&prev.meta, "momu.seed", (size_t)seed);
        B = meta_size(&prev.meta, "train.batch", B);
        L = meta_size(&prev.meta, "train.crop_motion_frames", L);
        momu_vae_ckpt_free(&prev);
    } else if (o->cfg) {
        cfg = *o->cfg;
    } else {
        momu_vae_config_default(&cfg, o->stage);
    }
    if (o->kl >= 0) cfg.kl_weight = o->kl;
    if ((st = momu_vae_config_validate(&cfg, e))) return st;
    if (cfg.kind != o->stage) return momu_fail(e, MOMU_ERR_ARG, "train vae: model config of kind %s for stage %s",
                                               momu_vae_kind_name(cfg.kind), motion ? "motion" : "music");

    if ((st = momu_vae_data_load(o->data_dir, motion, &t.d, e))) goto done;
    if (L < 2 || L > t.d.W) {
        st = momu_fail(e, MOMU_ERR_ARG, "--crop-seconds %g: %zu motion frames, the prepared windows hold %zu",
                       o->crop_seconds, L, t.d.W);
        goto done;
    }
    if (!motion && cfg.in_dim != t.d.M) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: %zu mel bands, the music VAE expects %zu", o->data_dir, t.d.M, cfg.in_dim);
        goto done;
    }
    if (motion && cfg.in_dim != t.d.D) {
        if (o->resume || o->cfg) {
            st = momu_fail(e, MOMU_ERR_FORMAT, "%s: motion features of dim %zu, the motion VAE expects %zu", o->data_dir,
                           t.d.D, cfg.in_dim);
            goto done;
        }
        cfg.in_dim = t.d.D;   /* the default config follows the data's skeleton */
    }
    if ((st = momu_vae_init(&t.m, &cfg, e))) goto done;
    t.m_init = 1;
    t.B = B;
    t.L = L;
    t.T_in = motion ? L : 4 * L;
    t.Tz = momu_vae_latent_len(&t.m, t.T_in);
    t.C = cfg.z_channels;
    if (t.Tz * 2 != L) {
        st = momu_fail(e, MOMU_ERR_ARG, "the %s VAE makes %zu latent frames of %zu input frames; the latent clock needs %zu",
                       momu_vae_kind_name(cfg.kind), t.Tz, t.T_in, L / 2);
        goto done;
    }
    if (motion && o->contrast > 0) {
        if ((st = momu_vae_ckpt_load(o->music_vae_path, MOMU_VAE_MUSIC, 1, &t.music, e))) goto done;
        if (t.music.vae.cfg.z_channels != t.C || momu_vae_latent_len(&t.music.vae, 4 * L) != t.Tz ||
            t.music.vae.cfg.in_dim != t.d.M) {
            st = momu_fail(e, MOMU_ERR_FORMAT, "%s: music VAE (C %zu, %zu bands) does not match the motion VAE (C %zu) / data (%zu bands)",
                           o->music_vae_path, t.music.vae.cfg.z_channels, t.music.vae.cfg.in_dim, t.C, t.d.M);
            goto done;
        }
        double dmax = 0;
        for (size_t k = 0; k < t.d.M; k++) {
            dmax = fmax(dmax, fabs(t.music.norm_mean[k] - t.d.mel_mean[k]));
            dmax = fmax(dmax, fabs(t.music.norm_std[k] - t.d.mel_std[k]));
        }
        if (dmax > 1e-4) momu_log("train vae: note: the music VAE's mel statistics differ from %s's by up to %.3g "
                                  "(the music VAE was trained on other prepared data)\n", o->data_dir, dmax);
        if ((st = momu_bicor_ws_alloc(&t.ws, B * o->bicor.n_windows, t.C, e))) goto done;
        t.ws.same_crop_only = o->negatives_same_crop;
    }
    /* buffers */
    t.mel = momu_malloc_array(B * 4 * L * t.d.M, sizeof(float), e);
    t.eps = momu_malloc_array(B * t.Tz * t.C, sizeof(float), e);
    t.za = momu_malloc_array(B * t.Tz * t.C, sizeof(float), e);
    t.dextra = momu_malloc_array(B * t.Tz * t.C, sizeof(float), e);
    t.qz = momu_malloc_array(t.Tz + 1, sizeof(float), e);
    t.win_b = momu_malloc_array(B * o->bicor.n_windows + 1, sizeof(size_t), e);
    t.win_s = momu_malloc_array(B * o->bicor.n_windows + 1, sizeof(size_t), e);
    if (motion) {
        t.mot = momu_malloc_array(B * L * t.d.D, sizeof(float), e);
        t.q = momu_malloc_array(B * L, sizeof(float), e);
    }
    if (!t.mel || !t.eps || !t.za || !t.dextra || !t.qz || !t.win_b || !t.win_s || (motion && (!t.mot || !t.q))) {
        st = MOMU_ERR_OOM;
        goto done;
    }
    if ((st = nn_params_alloc(&t.p, &t.m.tab, NN_ALLOC_OPTIM | NN_ALLOC_EMA, e))) goto done;
    if ((st = momu_vae_train_init(&t.tr, &t.m, B, t.T_in, e))) goto done;
    t.tr_init = 1;
    adamw_config ac;
    adamw_config_default(&ac);
    ac.lr = o->lr;
    ac.lr_min = o->lr_min;
    ac.weight_decay = o->weight_decay;
    ac.clip_norm = o->clip;
    ac.ema_decay = o->ema_decay;
    ac.warmup_steps = o->warmup;
    ac.total_steps = o->steps;
    optim_init(&t.opt, &ac);
    if ((st = momu_vae_sampler_init(&t.smp, &t.d, !motion, L, seed, e))) goto done;
    if (o->resume) {
        if ((st = safetensors_load_table_prefix(o->out_path, "vae.", &t.m.tab, t.p.params, SAFETENSORS_F32, &old, e)))
            goto done;
        char sp[1100];
        snprintf(sp, sizeof sp, "%s.state", o->out_path);
        t.x.world_size = 1;
        if ((st = trainstate_load(sp, &t.p, &t.opt, &t.x, e))) goto done;
        size_t wstep = meta_size(&old, "momu.step", 0);
        if (wstep != t.opt.step) {
            st = momu_fail(e, MOMU_ERR_FORMAT, "%s: weights at step %zu but %s at step %zu (interrupted save?)",
                           o->out_path, wstep, sp, t.opt.step);
            goto done;
        }
        momu_vae_sampler_seek(&t.smp, t.x.data_epoch, t.x.data_cursor);
        momu_log("train vae: resumed %s at step %zu (epoch %llu, cursor %llu)\n", o->out_path, t.opt.step,
                 (unsigned long long)t.x.data_epoch, (unsigned long long)t.x.data_cursor);
    } else {
        momu_rng_seed(&t.x.rng, seed);
        momu_rng init;
        momu_rng_split(&init, &t.x.rng, 0x1417);
        momu_vae_init_params(&t.m, t.p.params, &init);
        optim_ema_init(&t.p);
        t.x.world_size = 1;
    }
    nn_params_log_sizes(&t.p, momu_vae_train_bytes(&t.tr), momu_vae_kind_name(cfg.kind));
    momu_log("train vae: stage %s, %zu params, batch %zu, crop %zu motion frames (%.2f s, %zu latent frames), "
             "%zu train windows%s, lr %g, kl %g%s", motion ? "motion" : "music", momu_vae_n_params(&t.m), B, L,
             (double)L / MOMU_DWM_FPS, t.Tz, t.smp.n_pool, motion ? "" : " (incl. music-only)", o->lr, cfg.kl_weight,
             motion ? (o->contrast > 0 ? ", contrast on\n" : ", contrast off\n") : "\n");

    const double t0 = momu_time_s();
    double t_ckpt = t0;
    size_t done_here = 0, step0 = t.opt.step;
    momu_progress_t prog;
    momu_progress_init(&prog, motion ? "train motion vae" : "train music vae");
    while (t.opt.step < o->steps) {
        if (o->stop_after && done_here >= o->stop_after) break;
        if (o->time_limit_min > 0 && momu_time_s() - t0 >= o->time_limit_min * 60.0) {
            momu_log("train vae: time limit of %g min reached\n", o->time_limit_min);
            break;
        }
        momu_vae_sampler_next(&t.smp, &t.d, &t.x.rng, B, t.mel, t.mot, t.q);
        momu_rng_fill_normal(&t.x.rng, t.eps, B * t.Tz * t.C, 1.0f);
        nn_params_zero_grads(&t.p);
        momu_vae_loss_parts parts;
        double lc;
        if ((st = step_batch(&t, B, t.eps, t.p.grads, &parts, &lc, e))) goto done;
        optim_step(&t.opt, &t.p, (float)parts.total);
        done_here++;
        r->last = parts;
        r->last_contrast = lc;
        double el = momu_time_s() - t0, sps = (double)done_here / (el > 1e-9 ? el : 1e-9);
        char cs[48] = "";
        if (motion) snprintf(cs, sizeof cs, " contrast %.4f", lc);
        momu_progress(&prog, t.opt.step, o->steps, "step %zu loss %.4f recon %.4f kl %.3f%s lr %.2e |g| %.2f %.2f steps/s",
                      t.opt.step, parts.total, parts.recon, parts.kl, cs, t.opt.last_lr, t.opt.last_grad_norm, sps);
        int want = (o->ckpt_every_steps && t.opt.step % o->ckpt_every_steps == 0) ||
                   (o->ckpt_every_min > 0 && momu_time_s() - t_ckpt >= o->ckpt_every_min * 60.0);
        if (want && t.opt.step < o->steps) {
            if ((st = validate(&t, r, e)) || (st = save_ckpt(&t, e))) goto done;
            t_ckpt = momu_time_s();
            char vc[48] = "";
            if (motion) snprintf(vc, sizeof vc, " contrast %.4f", r->val_contrast);
            momu_log("train vae: step %zu checkpoint %s; val loss %.4f (recon %.4f kl %.3f%s)\n", t.opt.step,
                     o->out_path, r->val_total, r->val_recon, r->val_kl, vc);
        }
    }
    momu_progress_end(&prog);
    if ((st = validate(&t, r, e)) || (st = save_ckpt(&t, e))) goto done;
    r->step = t.opt.step;
    r->wall_s = momu_time_s() - t0;
    r->steps_per_s = r->wall_s > 0 ? (double)(t.opt.step - step0) / r->wall_s : 0;
    char vc[48] = "";
    if (motion) snprintf(vc, sizeof vc, " contrast %.4f", r->val_contrast);
    momu_log("train vae: step %zu, %.1f s, %.2f steps/s; saved %s (+ .state); val loss %.4f (recon %.4f kl %.3f%s)\n",
             t.opt.step, r->wall_s, r->steps_per_s, o->out_path, r->val_total, r->val_recon, r->val_kl, vc);
done:
    safetensors_meta_free(&old);
    trainer_free(&t);
    return st;
}
