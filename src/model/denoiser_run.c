/* momu — `momu train diffusion`: encode the prepared windows with the frozen VAEs, train a denoiser,
 * checkpoint and validate (include/momu/denoiser.h, "the whole run").
 * Dimension vocabulary: N windows, W motion frames per window (mel 4W), M mel bands, D motion features,
 * Tz latent frames, C latent channels. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "momu/denoiser.h"
#include "momu/motion.h"
#include "momu/rhythm.h"
#include "momu/vae_train.h"

void denoiser_train_opts_default(denoiser_train_opts *o) {
    memset(o, 0, sizeof *o);
    o->task = DENOISER_TASK_COUNT;
    o->steps = 20000;
    denoiser_config_default(&o->model);
    denoiser_train_config_default(&o->train);
    o->seed = 1;
    o->ckpt_every_min = 10;
    o->val_max = 256;
    o->rhythm = 1;
}

/* FNV-1a 64 over the weights a VAE encodes with (identifies the latents the denoiser was trained on). */
static uint64_t dn_fingerprint(const momu_vae_ckpt *c) {
    uint64_t h = 1469598103934665603ULL ^ table_fingerprint(&c->vae.tab);
    const unsigned char *p = (const unsigned char *)c->params;
    for (size_t i = 0; i < c->vae.tab.total * sizeof(float); i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

/* Encodes N windows x:(N,T,F), normalised with (dmean, dstd), into z:(N,Tz,C) posterior means, re-normalising
 * each window to the VAE's own statistics first. */
static momu_status dn_encode(const momu_vae_ckpt *v, const float *x, const float *dmean, const float *dstd,
                             size_t N, size_t T, float *z, const char *what, momu_err *e) {
    size_t F = v->vae.cfg.in_dim, Tz = momu_vae_latent_len(&v->vae, T), C = v->vae.cfg.z_channels, Bc = 8;
    float *buf = momu_malloc_array(Bc * T, F * sizeof(float), e);
    if (!buf) return MOMU_ERR_OOM;
    momu_progress_t pr;
    momu_progress_init(&pr, what);
    momu_status st = MOMU_OK;
    for (size_t i0 = 0; i0 < N && !st; i0 += Bc) {
        size_t B = N - i0 < Bc ? N - i0 : Bc;
        for (size_t r = 0; r < B * T; r++)
            for (size_t k = 0; k < F; k++) {
                float raw = x[(i0 * T + r) * F + k] * dstd[k] + dmean[k];
                buf[r * F + k] = (raw - v->norm_mean[k]) / v->norm_std[k];
            }
        st = momu_vae_encode(&v->vae, v->params, buf, B, T, z + i0 * Tz * C, NULL, e);
        momu_progress(&pr, i0 + B, N, "windows");
    }
    momu_progress_end(&pr);
    free(buf);
    return st;
}

typedef struct {
    momu_vae_ckpt music, motion;
    momu_vae_data d;
    float        *za_tr, *zm_tr, *za_va, *zm_va;   /* (N,Tz,C) scaled once the factors are known */
    float        *rc_tr, *rc_va;                   /* conditions with rhythm (N,Tz,C+R), when R > 0 */
    size_t        Tz, C, n_val;
    denoiser      m;
    denoiser_trainer tr;
    safetensors_meta extra;
    char          fp_a[24], fp_m[24];
} dn_run;

static void dn_run_free(dn_run *r) {
    denoiser_trainer_free(&r->tr);
    denoiser_free(&r->m);
    free(r->za_tr); free(r->zm_tr); free(r->za_va); free(r->zm_va);
    free(r->rc_tr); free(r->rc_va);
    momu_vae_data_free(&r->d);
    momu_vae_ckpt_free(&r->music);
    momu_vae_ckpt_free(&r->motion);
    safetensors_meta_free(&r->extra);
}

/* Prefixes e's message with what (the option naming the file). */
static momu_status dn_prefix(momu_err *e, momu_status st, const char *what) {
    if (!e) return st;
    char msg[sizeof e->msg];
    snprintf(msg, sizeof msg, "%s", e->msg);
    momu_err_clear(e);   /* momu_fail keeps the first message */
    return momu_fail(e, st, "%s: %s", what, msg);
}

static momu_status dn_load_vaes(dn_run *r, const denoiser_train_opts *o, momu_err *e) {
    momu_status st = momu_vae_ckpt_load(o->music_vae_path, MOMU_VAE_MUSIC, 1, &r->music, e);
    if (st) return dn_prefix(e, st, "--music-vae");
    if ((st = momu_vae_ckpt_load(o->motion_vae_path, MOMU_VAE_MOTION, 1, &r->motion, e)))
        return dn_prefix(e, st, "--motion-vae");
    const momu_vae_config *ca = &r->music.vae.cfg, *cm = &r->motion.vae.cfg;
    if (ca->z_channels != cm->z_channels)
        return momu_fail(e, MOMU_ERR_FORMAT, "%s has %zu latent channels but %s has %zu: the denoiser needs both equal",
                         o->music_vae_path, ca->z_channels, o->motion_vae_path, cm->z_channels);
    double fa = ca->fps / (double)momu_vae_config_factor(ca), fm = cm->fps / (double)momu_vae_config_factor(cm);
    if (fabs(fa - fm) > 1e-9)
        return momu_fail(e, MOMU_ERR_FORMAT, "latent clocks differ: %s %.4g Hz, %s %.4g Hz", o->music_vae_path, fa,
                         o->motion_vae_path, fm);
    snprintf(r->fp_a, sizeof r->fp_a, "%016" PRIx64, dn_fingerprint(&r->music));
    snprintf(r->fp_m, sizeof r->fp_m, "%016" PRIx64, dn_fingerprint(&r->motion));
    r->C = ca->z_channels;
    return MOMU_OK;
}

static momu_status dn_encode_all(dn_run *r, momu_err *e) {
    momu_vae_data *d = &r->d;
    if (d->M != r->music.vae.cfg.in_dim)
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: %zu mel bands, the music VAE expects %zu", d->dir, d->M,
                         r->music.vae.cfg.in_dim);
    if (d->D != r->motion.vae.cfg.in_dim)
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: %zu motion features, the motion VAE expects %zu", d->dir, d->D,
                         r->motion.vae.cfg.in_dim);
    size_t Tza = momu_vae_latent_len(&r->music.vae, 4 * d->W), Tzm = momu_vae_latent_len(&r->motion.vae, d->W);
    if (Tza != Tzm)
        return momu_fail(e, MOMU_ERR_FORMAT, "windows of %zu motion frames give %zu music but %zu motion latent frames",
                         d->W, Tza, Tzm);
    if (d->n_train < 1 || d->n_val < 1)
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: needs train and val windows (%zu / %zu)", d->dir, d->n_train,
                         d->n_val);
    r->Tz = Tza;
    size_t per = r->Tz * r->C;
    r->za_tr = momu_malloc_array(d->n_train, per * sizeof(float), e);
    r->zm_tr = momu_malloc_array(d->n_train, per * sizeof(float), e);
    r->za_va = momu_malloc_array(r->n_val, per * sizeof(float), e);
    r->zm_va = momu_malloc_array(r->n_val, per * sizeof(float), e);
    if (!r->za_tr || !r->zm_tr || !r->za_va || !r->zm_va) return MOMU_ERR_OOM;
    momu_status st = dn_encode(&r->music, d->train_mel, d->mel_mean, d->mel_std, d->n_train, 4 * d->W, r->za_tr,
                               "encode train music", e);
    if (!st) st = dn_encode(&r->motion, d->train_mot, d->mot_stats.mean, d->mot_stats.std, d->n_train, d->W, r->zm_tr,
                            "encode train motion", e);
    if (!st) st = dn_encode(&r->music, d->val_mel, d->mel_mean, d->mel_std, r->n_val, 4 * d->W, r->za_va,
                            "encode val music", e);
    if (!st) st = dn_encode(&r->motion, d->val_mot, d->mot_stats.mean, d->mot_stats.std, r->n_val, d->W, r->zm_va,
                            "encode val motion", e);
    return st;
}

/* The rhythm channels (R per latent frame) of N windows of the condition modality, appended to its scaled
 * latents z:(N,Tz,C) into out:(N,Tz,C+R). Music windows x:(N,4W,M), motion windows (N,W,D), both normalised
 * with the data's statistics. */
static momu_status dn_rhythm(dn_run *r, denoiser_task task, const float *x, const float *z, size_t N, size_t R,
                             float *out, const char *what, momu_err *e) {
    momu_vae_data *d = &r->d;
    int music = task == DENOISER_MOTION;   /* the motion denoiser is conditioned on music */
    size_t T = music ? 4 * d->W : d->W, F = music ? d->M : d->D, Tz = r->Tz, C = r->C;
    const float *mean = music ? d->mel_mean : d->mot_stats.mean, *sd = music ? d->mel_std : d->mot_stats.std;
    const momu_vae_ckpt *v = music ? &r->music : &r->motion;
    double fps = v->vae.cfg.fps;
    size_t J = r->motion.n_joints;
    if (!music && (!J || momu_features_dim(J) != F))
        return momu_fail(e, MOMU_ERR_FORMAT, "rhythm: %zu motion features do not match the motion VAE's %zu joints", F,
                         J);
    float *raw = momu_malloc_array(T, F * sizeof(float), e), *rhy = momu_malloc_array(Tz, R * sizeof(float), e);
    momu_status st = raw && rhy ? MOMU_OK : MOMU_ERR_OOM;
    momu_progress_t pr;
    momu_progress_init(&pr, what);
    for (size_t i = 0; i < N && !st; i++) {
        for (size_t k = 0; k < T * F; k++) raw[k] = x[i * T * F + k] * sd[k % F] + mean[k % F];
        if (music) {
            st = momu_rhythm_from_logmel(raw, T, F, fps, Tz, R, rhy, e);
        } else {
            momu_motion m = {0};
            st = momu_features_to_motion(raw, T, J, (float)fps, NULL, &m, e);
            if (!st) st = momu_rhythm_from_motion(m.pos, T, J, fps, Tz, R, rhy, e);
            momu_motion_free(&m);
        }
        if (!st) momu_rhythm_append(out + i * Tz * (C + R), z + i * Tz * C, C, rhy, R, Tz);
        if (i % 64 == 63 || i + 1 == N) momu_progress(&pr, i + 1, N, "windows");
    }
    momu_progress_end(&pr);
    free(raw);
    free(rhy);
    return st;
}

/* Checks the VAE fingerprints stored in a checkpoint against the loaded VAEs; returns the model config. */
static momu_status dn_resume_check(dn_run *r, const denoiser_train_opts *o, denoiser_config *cfg, momu_err *e) {
    safetensors_file sf;
    momu_status st = safetensors_open(&sf, o->out_path, e);
    if (st) return st;
    const char *kind = safetensors_meta_get(&sf.meta, "momu.kind");
    const char *fa = safetensors_meta_get(&sf.meta, "momu.music_vae_fingerprint");
    const char *fm = safetensors_meta_get(&sf.meta, "momu.motion_vae_fingerprint");
    const char *cj = safetensors_meta_get(&sf.meta, "momu.config");
    if (!kind || strcmp(kind, denoiser_task_kind(o->task)))
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: kind '%s', but --task %s asks for %s", o->out_path,
                       kind ? kind : "absent", denoiser_task_name(o->task), denoiser_task_kind(o->task));
    else if (!fa || strcmp(fa, r->fp_a))
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s was trained on music VAE weights %s, %s has %s", o->out_path,
                       fa ? fa : "(absent)", o->music_vae_path, r->fp_a);
    else if (!fm || strcmp(fm, r->fp_m))
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s was trained on motion VAE weights %s, %s has %s", o->out_path,
                       fm ? fm : "(absent)", o->motion_vae_path, r->fp_m);
    else if (!cj)
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: metadata 'momu.config' missing", o->out_path);
    else {
        denoiser_config_default(cfg);
        st = denoiser_config_from_json(cfg, cj, e);
    }
    safetensors_close(&sf);
    return st;
}

static momu_status dn_checkpoint(dn_run *r, const denoiser_train_opts *o, const char *state_path, float *val,
                                 float *val_ema, momu_err *e) {
    size_t R = r->m.cfg.cond_extra;
    denoiser_latents dv = {o->task == DENOISER_MUSIC ? r->za_va : r->zm_va,
                           R ? r->rc_va : o->task == DENOISER_MUSIC ? r->zm_va : r->za_va, r->n_val, r->Tz, r->C,
                           r->C + R};
    momu_status st = denoiser_trainer_val_loss(&r->tr, &dv, val, e);
    if (!st) st = nn_params_swap_ema(&r->m.p, e);
    if (!st) {
        st = denoiser_trainer_val_loss(&r->tr, &dv, val_ema, e);
        momu_status st2 = nn_params_swap_ema(&r->m.p, e);
        if (!st) st = st2;
    }
    if (!st) st = safetensors_meta_putf(&r->extra, "momu.val_loss", e, "%.6g", (double)*val);
    if (!st) st = safetensors_meta_putf(&r->extra, "momu.val_loss_ema", e, "%.6g", (double)*val_ema);
    if (!st) st = denoiser_trainer_save(&r->tr, o->out_path, state_path, &r->extra, e);
    if (!st)
        momu_log("step %zu: val loss %.5f (EMA %.5f), checkpoint %s\n", r->tr.opt.step, (double)*val,
                 (double)*val_ema, o->out_path);
    return st;
}

momu_status denoiser_train_run(const denoiser_train_opts *o, denoiser_train_result *res, momu_err *e) {
    memset(res, 0, sizeof *res);
    if (o->task != DENOISER_MUSIC && o->task != DENOISER_MOTION)
        return momu_fail(e, MOMU_ERR_ARG, "--task must be music or motion");
    if (!o->music_vae_path || !o->motion_vae_path || !o->data_dir || !o->out_path)
        return momu_fail(e, MOMU_ERR_ARG, "--music-vae, --motion-vae, --data and --out are required");
    if (o->steps < 1) return momu_fail(e, MOMU_ERR_ARG, "--steps must be at least 1");
    double t0 = momu_time_s();
    dn_run r;
    memset(&r, 0, sizeof r);
    safetensors_meta_init(&r.extra);
    char state_path[4200];
    snprintf(state_path, sizeof state_path, "%s.state", o->out_path);
    momu_status st = dn_load_vaes(&r, o, e);
    denoiser_config cfg = o->model;
    if (!st && o->resume) st = dn_resume_check(&r, o, &cfg, e);
    if (!st) st = momu_vae_data_load(o->data_dir, 1, &r.d, e);
    if (!st) {
        r.n_val = o->val_max && r.d.n_val > o->val_max ? o->val_max : r.d.n_val;
        st = dn_encode_all(&r, e);
    }
    res->encode_s = momu_time_s() - t0;
    if (!st && cfg.latent_ch != r.C)
        cfg.latent_ch = r.C;   /* the VAEs decide the channel count */
    if (!st && !o->resume)     /* one envelope sample per input frame of the condition modality */
        cfg.cond_extra = o->rhythm ? momu_vae_config_factor(o->task == DENOISER_MUSIC ? &r.motion.vae.cfg
                                                                                       : &r.music.vae.cfg)
                                   : 0;
    if (!st) st = denoiser_init(&r.m, &cfg, o->task, NN_ALLOC_OPTIM | NN_ALLOC_EMA, e);
    if (!st) {
        momu_rng base, wr;
        momu_rng_seed(&base, o->seed);
        momu_rng_split(&wr, &base, 0x77656967687473ULL);   /* weights: a stream apart from the training RNG */
        denoiser_init_weights(&r.m, &wr);
        optim_ema_init(&r.m.p);
        denoiser_train_config tc = o->train;
        st = denoiser_trainer_init(&r.tr, &r.m, &tc, r.Tz, o->seed, e);
    }
    if (!st && o->resume) st = denoiser_trainer_resume(&r.tr, o->out_path, state_path, e);
    size_t per = r.Tz * r.C;
    if (!st && !o->resume) {
        float sa = denoiser_measure_scale(r.za_tr, r.d.n_train * per);
        float sm = denoiser_measure_scale(r.zm_tr, r.d.n_train * per);
        r.m.scale_factor = o->task == DENOISER_MUSIC ? sa : sm;
        r.m.cond_scale_factor = o->task == DENOISER_MUSIC ? sm : sa;
    }
    if (st) { dn_run_free(&r); return st; }
    float s_a = o->task == DENOISER_MUSIC ? r.m.scale_factor : r.m.cond_scale_factor;
    float s_m = o->task == DENOISER_MUSIC ? r.m.cond_scale_factor : r.m.scale_factor;
    for (size_t i = 0; i < r.d.n_train * per; i++) { r.za_tr[i] *= s_a; r.zm_tr[i] *= s_m; }
    for (size_t i = 0; i < r.n_val * per; i++) { r.za_va[i] *= s_a; r.zm_va[i] *= s_m; }
    size_t R = r.m.cfg.cond_extra;
    if (R) {
        int mu = o->task == DENOISER_MUSIC;
        r.rc_tr = momu_malloc_array(r.d.n_train * r.Tz, (r.C + R) * sizeof(float), e);
        r.rc_va = momu_malloc_array(r.n_val * r.Tz, (r.C + R) * sizeof(float), e);
        st = r.rc_tr && r.rc_va ? MOMU_OK : MOMU_ERR_OOM;
        if (!st)
            st = dn_rhythm(&r, o->task, mu ? r.d.train_mot : r.d.train_mel, mu ? r.zm_tr : r.za_tr, r.d.n_train, R,
                           r.rc_tr, "rhythm train", e);
        if (!st)
            st = dn_rhythm(&r, o->task, mu ? r.d.val_mot : r.d.val_mel, mu ? r.zm_va : r.za_va, r.n_val, R, r.rc_va,
                           "rhythm val", e);
        if (st) { dn_run_free(&r); return st; }
    }
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.6g", r.music.vae.cfg.fps / (double)momu_vae_config_factor(&r.music.vae.cfg));
    const char *kv[][2] = {{"momu.music_vae", o->music_vae_path}, {"momu.music_vae_fingerprint", r.fp_a},
                           {"momu.motion_vae", o->motion_vae_path}, {"momu.motion_vae_fingerprint", r.fp_m},
                           {"momu.data", o->data_dir}, {"momu.latent_fps", tmp},
                           {"momu.latents", "VAE posterior means (EMA weights), inputs re-normalised with each VAE's stats"},
                           {"momu.cmdline", o->cmdline ? o->cmdline : ""}};
    for (size_t i = 0; i < sizeof kv / sizeof *kv && !st; i++) st = safetensors_meta_put(&r.extra, kv[i][0], kv[i][1], e);
    if (!st) st = safetensors_meta_putf(&r.extra, "momu.window_latent_frames", e, "%zu", r.Tz);
    if (!st && R)
        st = safetensors_meta_putf(&r.extra, "momu.rhythm", e,
                                   "%zu samples per latent frame of the %s sync envelope (include/momu/rhythm.h)", R,
                                   o->task == DENOISER_MUSIC ? "motion" : "music");
    if (!st) st = safetensors_meta_putf(&r.extra, "momu.seed", e, "%" PRIu64, o->seed);
    if (!st)
        st = safetensors_meta_putf(&r.extra, "momu.train", e,
                                   "{\"batch\":%zu,\"lr\":%g,\"warmup\":%zu,\"clip\":%g,\"ema\":%g,\"ema_warmup\":%d,\"cfg_drop\":%g,"
                                   "\"steps\":%zu,\"n_train\":%zu,\"n_val\":%zu}",
                                   o->train.batch, o->train.opt.lr, o->train.opt.warmup_steps, o->train.opt.clip_norm,
                                   o->train.opt.ema_decay, o->train.opt.ema_warmup, (double)o->train.cfg_drop, o->steps, r.d.n_train, r.n_val);
    momu_log("train diffusion %s: %zu train / %zu val windows of %zu latent frames x %zu channels (+%zu rhythm), "
             "scale %.4g (cond %.4g), %zu parameters, encoded in %.1f s, step %zu of %zu\n",
             denoiser_task_name(o->task), r.d.n_train, r.n_val, r.Tz, r.C, R, (double)r.m.scale_factor,
             (double)r.m.cond_scale_factor, denoiser_n_params(&r.m), res->encode_s, r.tr.opt.step, o->steps);
    nn_params_log_sizes(&r.m.p, nn_arena_bytes(&r.tr.acts.arena), "denoiser");
    denoiser_latents dt = {o->task == DENOISER_MUSIC ? r.za_tr : r.zm_tr,
                           R ? r.rc_tr : o->task == DENOISER_MUSIC ? r.zm_tr : r.za_tr, r.d.n_train, r.Tz, r.C, r.C + R};
    double t_train = momu_time_s(), t_ckpt = t_train;
    size_t steps_run = 0, step0 = r.tr.opt.step;
    momu_progress_t pr;
    momu_progress_init(&pr, "train diffusion");
    double ema_loss = -1;
    float val = NAN, val_ema = NAN;
    size_t skipped_in_row = 0;
    while (!st && r.tr.opt.step < o->steps && (!o->stop_after || steps_run < o->stop_after)) {
        float l;
        size_t before = r.tr.opt.step;
        if ((st = denoiser_trainer_step(&r.tr, &dt, &l, e))) break;
        if (r.tr.opt.step == before) {   /* skipped by the NaN/Inf guard */
            if (++skipped_in_row >= 50) {
                st = momu_fail(e, MOMU_ERR_RANGE, "50 steps in a row with a non-finite loss or gradient (step %zu)",
                               before);
                break;
            }
            continue;
        }
        skipped_in_row = 0;
        steps_run++;
        ema_loss = ema_loss < 0 ? l : 0.98 * ema_loss + 0.02 * l;
        double now = momu_time_s();
        momu_progress(&pr, r.tr.opt.step, o->steps, "loss %.4f (avg %.4f) lr %.2e %.2f steps/s", (double)l, ema_loss,
                      r.tr.opt.last_lr, (double)steps_run / (now - t_train));
        int time_up = o->time_limit_min > 0 && now - t0 >= o->time_limit_min * 60.0;
        if (o->ckpt_every_min > 0 && now - t_ckpt >= o->ckpt_every_min * 60.0 && !time_up) {
            momu_progress_end(&pr);
            st = dn_checkpoint(&r, o, state_path, &val, &val_ema, e);
            t_ckpt = momu_time_s();
        }
        if (time_up) break;
    }
    momu_progress_end(&pr);
    if (!st) st = dn_checkpoint(&r, o, state_path, &val, &val_ema, e);
    res->step = r.tr.opt.step;
    res->n_train = r.d.n_train;
    res->n_val = r.n_val;
    res->T = r.Tz;
    res->wall_s = momu_time_s() - t0;
    double tt = momu_time_s() - t_train;
    res->steps_per_s = tt > 0 ? (double)(r.tr.opt.step - step0) / tt : 0;
    res->last_loss = r.tr.last_loss;
    res->val_loss = val;
    res->val_loss_ema = val_ema;
    res->scale_factor = r.m.scale_factor;
    res->cond_scale_factor = r.m.cond_scale_factor;
    dn_run_free(&r);
    return st;
}
