/* momu generate — the generation pipeline (include/momu/generate.h, docs/SAMPLING.md).
 * Vocabulary: Tz latent frames, C latent channels, T motion frames (25 fps), nf mel frames (100 fps),
 * F mel bands, D motion features, J joints. Latents are (Tz, C) row-major. */
#include "momu/generate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "momu/audio.h"
#include "momu/rhythm.h"
#include "momu/rng.h"
#include "momu/vae.h"

const char *const MOMU_GEN_FILE_NAMES[4] = {"music_vae.safetensors", "motion_vae.safetensors",
                                            "denoiser_music.safetensors", "denoiser_motion.safetensors"};

/* ---- model discovery ---- */

/* Index of the first of the four files missing in dir, or -1 when all are there. */
static int dir_missing(const char *dir) {
    char p[4400];
    struct stat sb;
    for (int i = 0; i < 4; i++) {
        int k = snprintf(p, sizeof p, "%s/%s", dir, MOMU_GEN_FILE_NAMES[i]);
        if (k < 0 || (size_t)k >= sizeof p || stat(p, &sb) || !S_ISREG(sb.st_mode)) return i;
    }
    return -1;
}

momu_status momu_models_default_dir(const char *given, char *dir, size_t dir_n, momu_err *e) {
    char cand[4][4200];
    const char *why[4];
    size_t n = 0;
    if (given) {
        snprintf(cand[n], sizeof cand[n], "%s", given);
        why[n++] = "--model";
    } else {
        const char *env = getenv("MOMU_MODELS");
        if (env && *env) {
            snprintf(cand[n], sizeof cand[n], "%s", env);
            why[n++] = "$MOMU_MODELS";
        }
        char exe[4096];
        ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (len > 0) {
            exe[len] = 0;
            char *slash = strrchr(exe, '/');
            if (slash) {
                *slash = 0;
                snprintf(cand[n], sizeof cand[n], "%s/models", exe[0] ? exe : "/");
                why[n++] = "next to the executable";
            }
        }
        snprintf(cand[n], sizeof cand[n], "models");
        why[n++] = "the current folder";
    }
    char msg[900] = "";
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        int miss = dir_missing(cand[i]);
        if (miss < 0) {
            if (strlen(cand[i]) >= dir_n) return momu_fail(e, MOMU_ERR_RANGE, "model folder path too long");
            snprintf(dir, dir_n, "%s", cand[i]);
            return MOMU_OK;
        }
        int k = snprintf(msg + used, sizeof msg - used, "\n  %s (%s): no %s", cand[i], why[i],
                         MOMU_GEN_FILE_NAMES[miss]);
        if (k > 0) used += (size_t)k < sizeof msg - used ? (size_t)k : sizeof msg - used - 1;
    }
    return momu_fail(e, MOMU_ERR_STATE, "no model found; looked in:%s", msg);
}

/* ---- loading ---- */

void momu_generator_free(momu_generator *g) {
    for (int i = 0; i < 2; i++) {
        if (g->vae_ok[i]) momu_vae_ckpt_free(&g->vae[i]);
        if (g->den_ok[i]) denoiser_free(&g->den[i]);
    }
    memset(g, 0, sizeof *g);
}

static momu_status load_den(momu_generator *g, int which, const char *path, momu_err *e) {
    denoiser_task task = which ? DENOISER_MOTION : DENOISER_MUSIC;
    momu_err e1 = {0};
    safetensors_meta meta;
    safetensors_meta_init(&meta);
    momu_status st = denoiser_load(&g->den[which], path, task, 1, 0, &meta, &e1);   /* EMA weights */
    if (st && (strstr(e1.msg, "EMA") || strstr(e1.msg, "ema."))) {
        safetensors_meta_free(&meta);
        safetensors_meta_init(&meta);
        st = denoiser_load(&g->den[which], path, task, 0, 0, &meta, e);
    } else if (st) {
        momu_fail(e, st, "%s", e1.msg);
    }
    if (!st) {
        g->den_ok[which] = 1;
        const char *w = safetensors_meta_get(&meta, "momu.window_latent_frames");
        g->den_window[which] = w ? (size_t)strtoull(w, NULL, 10) : 0;
    }
    safetensors_meta_free(&meta);
    return st;
}

momu_status momu_generator_load(momu_generator *g, const momu_generator_files *f, momu_err *e) {
    memset(g, 0, sizeof *g);
    const char *over[4] = {f->music_vae, f->motion_vae, f->music_denoiser, f->motion_denoiser};
    const int skip[4] = {0, 0, f->skip_music_denoiser, f->skip_motion_denoiser};
    char path[4][4400];
    for (int i = 0; i < 4; i++) {
        if (over[i]) snprintf(path[i], sizeof path[i], "%s", over[i]);
        else if (f->dir) snprintf(path[i], sizeof path[i], "%s/%s", f->dir, MOMU_GEN_FILE_NAMES[i]);
        else if (!skip[i]) return momu_fail(e, MOMU_ERR_ARG, "no model folder and no path for %s", MOMU_GEN_FILE_NAMES[i]);
    }
    momu_status st = MOMU_OK;
    for (int i = 0; i < 2 && !st; i++) {
        st = momu_vae_ckpt_load(path[i], i ? MOMU_VAE_MOTION : MOMU_VAE_MUSIC, 1, &g->vae[i], e);
        if (!st) g->vae_ok[i] = 1;
    }
    for (int i = 0; i < 2 && !st; i++)
        if (!skip[2 + i]) st = load_den(g, i, path[2 + i], e);
    if (!st) {
        g->C = g->vae[0].vae.cfg.z_channels;
        if (g->vae[1].vae.cfg.z_channels != g->C)
            st = momu_fail(e, MOMU_ERR_FORMAT, "the VAEs disagree on latent channels (%zu vs %zu)", g->C,
                           g->vae[1].vae.cfg.z_channels);
        for (int i = 0; i < 2 && !st; i++)
            if (g->den_ok[i] && g->den[i].cfg.latent_ch != g->C)
                st = momu_fail(e, MOMU_ERR_FORMAT, "%s has %zu latent channels, the VAEs %zu", path[2 + i],
                               g->den[i].cfg.latent_ch, g->C);
        for (int i = 0; i < 2 && !st; i++) {   /* rhythm channels: one per input frame of the condition's VAE */
            size_t R = g->den_ok[i] ? g->den[i].cfg.cond_extra : 0,
                   fac = momu_vae_config_factor(&g->vae[1 - i].vae.cfg);
            if (R && R != fac)
                st = momu_fail(e, MOMU_ERR_FORMAT, "%s has %zu rhythm channels, the %s VAE gives %zu per latent frame",
                               path[2 + i], R, i ? "music" : "motion", fac);
        }
    }
    if (st) momu_generator_free(g);
    return st;
}

void momu_gen_opts_default(momu_gen_opts *o) {
    memset(o, 0, sizeof *o);
    o->sampler = MOMU_SAMPLER_DPMPP_2M;
    o->spacing = MOMU_SPACING_LOGSNR;
    o->steps = 25;
    o->eta = 0.0f;
    o->guidance = MOMU_GEN_GUIDANCE;
    o->guidance_lo = 0.0f;
    o->guidance_hi = MOMU_GEN_GUIDANCE_HI;
    o->tc = 0.5f;
    o->blend = MOMU_BLEND_RAMP;
    o->resample = 4;
    o->gl_iters = MOMU_GL_ITERS;
}

/* ---- the denoiser as a momu_cond_model (batch 1; any number of frames) ---- */
typedef struct {
    const denoiser *m;
    denoiser_ws     ws;
    size_t          C;
    momu_err        err;
} den_model;

static int den_fn(void *user, const float *x, int t, const float *cond, float *eps, size_t n) {
    den_model *d = user;
    if (n % d->C) return 2;
    float tf = (float)t;
    return denoiser_forward_infer(d->m, &d->ws, eps, x, cond, &tf, 1, n / d->C, &d->err) ? 1 : 0;
}

typedef struct { const momu_gen_opts *o; const char *stage; } prog_t;
static int on_step(void *user, int step, int n_steps, int t) {
    prog_t *p = user;
    return p->o->progress ? p->o->progress(p->o->progress_user, p->stage, step, n_steps, t) : 0;
}

/* ---- inputs -> latents (Tz, C), unscaled VAE posterior means ---- */
/* rhy_R > 0: also *rhy:(Tz, rhy_R), the rhythm channels of the input (rhythm.h); NULL otherwise. */
static momu_status encode_music(const momu_vae_ckpt *v, const float *pcm, size_t n, unsigned sr, double seconds,
                                size_t rhy_R, float **rhy, float **z, size_t *Tz, momu_err *e) {
    if (rhy) *rhy = NULL;
    float *rs = NULL, *mel = NULL;
    size_t nf;
    momu_status st = MOMU_OK;
    if (sr != MOMU_SR) {
        size_t nr;
        st = momu_resample(pcm, n, sr, MOMU_SR, &rs, &nr, e);
        if (st) return st;
        pcm = rs;
        n = nr;
    }
    st = momu_logmel(pcm, n, &mel, &nf, e);
    free(rs);
    if (st) return st;
    if (seconds > 0 && (size_t)lround(seconds * 100.0) < nf) nf = (size_t)lround(seconds * 100.0);
    if (nf < 8) { free(mel); return momu_fail(e, MOMU_ERR_ARG, "music too short (%zu mel frames)", nf); }
    size_t F = MOMU_N_MELS;
    *Tz = momu_vae_latent_len(&v->vae, nf);
    if (rhy_R) {
        *rhy = momu_malloc_array(*Tz, rhy_R * sizeof(float), e);
        st = *rhy ? momu_rhythm_from_logmel(mel, nf, F, v->vae.cfg.fps, *Tz, rhy_R, *rhy, e) : MOMU_ERR_OOM;
        if (st) { free(mel); free(*rhy); *rhy = NULL; return st; }
    }
    for (size_t i = 0; i < nf; i++)
        for (size_t f = 0; f < F; f++) mel[i * F + f] = (mel[i * F + f] - v->norm_mean[f]) / v->norm_std[f];
    *z = momu_malloc_array(*Tz * v->vae.cfg.z_channels, sizeof(float), e);
    if (!*z) st = MOMU_ERR_OOM;
    else st = momu_vae_encode(&v->vae, v->params, mel, 1, nf, *z, NULL, e);
    free(mel);
    if (st) {
        free(*z);
        *z = NULL;
        if (rhy) { free(*rhy); *rhy = NULL; }
    }
    return st;
}

static momu_status encode_motion(const momu_vae_ckpt *v, const momu_motion *m0, double seconds, size_t rhy_R,
                                 float **rhy, float **z, size_t *Tz, momu_err *e) {
    momu_motion m = {0};
    if (rhy) *rhy = NULL;
    if (v->n_joints && m0->n_joints != v->n_joints)
        return momu_fail(e, MOMU_ERR_ARG, "motion: %zu joints, the motion VAE was trained on %zu", m0->n_joints,
                         v->n_joints);
    if (!(m0->fps > 0) || !m0->n_frames) return momu_fail(e, MOMU_ERR_ARG, "motion: empty or no frame rate");
    size_t T = (size_t)floor((double)m0->n_frames / m0->fps * MOMU_DWM_FPS);
    if (seconds > 0 && (size_t)lround(seconds * MOMU_DWM_FPS) < T) T = (size_t)lround(seconds * MOMU_DWM_FPS);
    if (T < 2) return momu_fail(e, MOMU_ERR_ARG, "motion too short");
    momu_status st = momu_motion_resample(m0, 1.0, 0.0, MOMU_DWM_FPS, T, &m, e);
    if (st) return st;
    size_t D = momu_features_dim(m.n_joints);
    float *feat = momu_malloc_array(T * D, sizeof(float), e);
    if (!feat) { momu_motion_free(&m); return MOMU_ERR_OOM; }
    st = momu_motion_to_features(&m, feat, e);
    *z = NULL;
    *Tz = momu_vae_latent_len(&v->vae, T);
    if (!st && rhy_R) {
        *rhy = momu_malloc_array(*Tz, rhy_R * sizeof(float), e);
        st = *rhy ? momu_rhythm_from_motion(m.pos, T, m.n_joints, MOMU_DWM_FPS, *Tz, rhy_R, *rhy, e) : MOMU_ERR_OOM;
    }
    momu_motion_free(&m);
    if (!st) {
        for (size_t i = 0; i < T; i++)
            for (size_t f = 0; f < D; f++) feat[i * D + f] = (feat[i * D + f] - v->norm_mean[f]) / v->norm_std[f];
        *z = momu_malloc_array(*Tz * v->vae.cfg.z_channels, sizeof(float), e);
        if (!*z) st = MOMU_ERR_OOM;
        else st = momu_vae_encode(&v->vae, v->params, feat, 1, T, *z, NULL, e);
    }
    free(feat);
    if (st) {
        free(*z);
        *z = NULL;
        if (rhy) { free(*rhy); *rhy = NULL; }
    }
    return st;
}

/* ---- latents (Tz, C), unscaled -> PCM / motion ---- */
/* *mel:(Tz * factor, MOMU_N_MELS) log10-mel of a latent (malloc'ed). */
static momu_status decode_mel(const momu_vae_ckpt *v, const float *z, size_t Tz, float **mel_out, size_t *nf_out,
                              momu_err *e) {
    size_t f = momu_vae_config_factor(&v->vae.cfg), nf = Tz * f, F = MOMU_N_MELS;
    float *mel = momu_malloc_array(nf * F, sizeof(float), e);
    if (!mel) return MOMU_ERR_OOM;
    momu_status st = momu_vae_decode(&v->vae, v->params, z, 1, Tz, nf, mel, e);
    if (st) { free(mel); return st; }
    for (size_t i = 0; i < nf; i++)
        for (size_t b = 0; b < F; b++) {
            /* de-normalise, then clamp to [log10 floor, the inverter's ceiling] as `momu vae decode`
             * does: a sampled latent can decode below the log floor (-13.6 seen on a 60-s piece) */
            float x = mel[i * F + b] * v->norm_std[b] + v->norm_mean[b];
            mel[i * F + b] = fminf(6.0f, fmaxf(-5.0f, x));
        }
    *mel_out = mel;
    *nf_out = nf;
    return MOMU_OK;
}

static momu_status decode_music(const momu_vae_ckpt *v, const float *z, size_t Tz, size_t gl_iters, float **pcm,
                                size_t *n, momu_err *e) {
    float *mel = NULL;
    size_t nf = 0;
    momu_status st = decode_mel(v, z, Tz, &mel, &nf, e);
    if (!st) st = momu_mel_invert(mel, nf, gl_iters, pcm, n, e);
    free(mel);
    return st;
}

static momu_status decode_motion(const momu_vae_ckpt *v, const float *z, size_t Tz, momu_motion *out, momu_err *e) {
    size_t f = momu_vae_config_factor(&v->vae.cfg), T = Tz * f, J = v->n_joints, D = momu_features_dim(J);
    if (D != v->vae.cfg.in_dim)
        return momu_fail(e, MOMU_ERR_FORMAT, "motion VAE: %zu features, expected %zu for %zu joints", v->vae.cfg.in_dim,
                         D, J);
    float *feat = momu_malloc_array(T * D, sizeof(float), e);
    if (!feat) return MOMU_ERR_OOM;
    momu_status st = momu_vae_decode(&v->vae, v->params, z, 1, Tz, T, feat, e);
    momu_skeleton sk = {0};
    int have_sk = 0;
    if (!st && J == MOMU_DWM_JOINTS) { st = momu_skeleton_dwm(&sk, e); have_sk = !st; }
    if (!st) {
        for (size_t i = 0; i < T; i++)
            for (size_t c = 0; c < D; c++) feat[i * D + c] = feat[i * D + c] * v->norm_std[c] + v->norm_mean[c];
        memset(out, 0, sizeof *out);
        st = momu_features_to_motion(feat, T, J, MOMU_DWM_FPS, have_sk ? &sk : NULL, out, e);
        if (st) momu_motion_free(out);
    }
    if (have_sk) momu_skeleton_free(&sk);
    free(feat);
    return st;
}

/* ---- joint generation: the other modality's estimate as a condition ----
 * Cross-guidance hands each denoiser the other modality's clean estimate (Tz, C) in that modality's target
 * scale. This wrapper, between cross-guidance and the windowed denoiser, turns it into the condition the
 * denoiser was trained on: without rhythm channels (R = 0) the estimate rescaled to the denoiser's condition
 * scale (one multiplication by cond_mul); with them, [estimate in its condition scale | rhythm (rhythm.h)]
 * rows of C + R channels, the rhythm from the decoded estimate (music: the VAE's log-mel, no Griffin-Lim;
 * motion: joint positions), one decode per call. */
typedef struct {
    const momu_generator *g;
    int                   tgt;      /* the wrapped denoiser: 0 music (condition: motion), 1 motion (condition: music) */
    momu_cond_model       inner;    /* the windowed denoiser, Cc = C + R */
    size_t                Tz, C, R;
    float                 cond_mul; /* R = 0: cond scale of tgt / target scale of the other */
    float                *aug, *z, *rhy;   /* (Tz, C+R), (Tz, C), (Tz, R); z and rhy only when R > 0 */
    momu_err              err;
} cross_cond_model;

static momu_status rhythm_of_latent(const momu_generator *g, int modality, const float *z, size_t Tz, size_t R,
                                    float *rhy, momu_err *e) {
    momu_status st;
    if (modality == 0) {
        float *mel = NULL;
        size_t nf = 0;
        st = decode_mel(&g->vae[0], z, Tz, &mel, &nf, e);
        if (!st) st = momu_rhythm_from_logmel(mel, nf, MOMU_N_MELS, g->vae[0].vae.cfg.fps, Tz, R, rhy, e);
        free(mel);
    } else {
        momu_motion m;
        st = decode_motion(&g->vae[1], z, Tz, &m, e);
        if (!st) {
            st = momu_rhythm_from_motion(m.pos, m.n_frames, m.n_joints, m.fps, Tz, R, rhy, e);
            momu_motion_free(&m);
        }
    }
    return st;
}

static int cross_cond_fn(void *user, const float *x, int t, const float *cond, float *eps, size_t n) {
    cross_cond_model *r = user;
    if (!cond) return r->inner.fn(r->inner.user, x, t, NULL, eps, n);
    size_t nz = r->Tz * r->C;
    if (!r->R) {
        for (size_t i = 0; i < nz; i++) r->aug[i] = cond[i] * r->cond_mul;
        return r->inner.fn(r->inner.user, x, t, r->aug, eps, n);
    }
    const denoiser *me = &r->g->den[r->tgt], *other = &r->g->den[1 - r->tgt];
    for (size_t i = 0; i < nz; i++) r->z[i] = cond[i] / other->scale_factor;   /* the other's unscaled latent */
    if (rhythm_of_latent(r->g, 1 - r->tgt, r->z, r->Tz, r->R, r->rhy, &r->err)) return 1;
    denoiser_scale_cond(me, r->z, r->z, nz);
    momu_rhythm_append(r->aug, r->z, r->C, r->rhy, r->R, r->Tz);
    return r->inner.fn(r->inner.user, x, t, r->aug, eps, n);
}

/* ---- sampling ----
 * md: 1 dance (target motion), 0 music (target music), 2 both. cond: the other modality's unscaled latent
 * (md 0/1; scaled in place here), rhy: its rhythm channels (Tz, R of the target's denoiser) or NULL when that
 * denoiser has none, x: (nx) receives the unscaled clean latent(s) ([music ; motion] for both).
 * known/known_n: the unscaled prefix latent of the target (Tp frames) or NULL. */
static momu_status sample_latents(const momu_generator *g, int md, float *cond, const float *rhy, size_t Tz,
                                  const float *zp, size_t Tp, const momu_gen_opts *o, float *x, momu_gen_stats *stt,
                                  momu_err *e) {
    size_t C = g->C, n = Tz * C, nx = md == 2 ? 2 * n : n;
    int tgt = md == 1 ? 1 : 0;
    if (o->steps < 1 || o->steps > MOMU_DIFF_T)
        return momu_fail(e, MOMU_ERR_ARG, "steps %d outside [1, %d]", o->steps, MOMU_DIFF_T);
    if (!(o->tc >= 0 && o->tc <= 1)) return momu_fail(e, MOMU_ERR_ARG, "tc %g outside [0, 1]", (double)o->tc);
    if (!(o->guidance_lo >= 0 && o->guidance_lo < o->guidance_hi && o->guidance_hi <= 1))
        return momu_fail(e, MOMU_ERR_ARG, "guidance interval [%g, %g) is not inside [0, 1] with lo < hi",
                         (double)o->guidance_lo, (double)o->guidance_hi);
    for (int i = 0; i < 2; i++)
        if ((md == 2 || i == tgt) && !g->den_ok[i])
            return momu_fail(e, MOMU_ERR_STATE, "the %s denoiser was not loaded", i ? "motion" : "music");
    size_t window = o->window, overlap = o->overlap;
    if (!window) {   /* the training window of the denoiser(s) in use (the smaller of the two for both) */
        for (int i = 0; i < 2; i++)
            if ((md == 2 || i == tgt) && g->den_window[i] && (!window || g->den_window[i] < window))
                window = g->den_window[i];
        if (!window) window = 125;
    }
    if (!overlap) overlap = window / 5;
    if (window < 2 || overlap >= window)
        return momu_fail(e, MOMU_ERR_ARG, "window %zu / overlap %zu: need 0 <= overlap < window", window, overlap);
    stt->window = window;
    stt->overlap = overlap;

    momu_sample_opts so;
    momu_sample_opts_default(&so);
    so.kind = o->sampler;
    so.spacing = o->spacing;
    so.steps = o->steps;
    so.eta = o->eta;
    float *known = NULL;
    unsigned char *mask = NULL;
    momu_status st = MOMU_OK;
    if (zp) {   /* known prefix of the target, scaled */
        if (Tp > Tz) Tp = Tz;
        known = momu_calloc_array(n, sizeof(float), e);
        mask = momu_calloc_array(n, 1, e);
        if (!known || !mask) st = MOMU_ERR_OOM;
        else {
            denoiser_scale_target(&g->den[tgt], known, zp, Tp * C);
            memset(mask, 1, Tp * C);
            so.known = known;
            so.known_mask = mask;
            so.resample = o->resample;
            stt->prefix_frames = Tp;
        }
    }
    den_model dm[2];
    memset(dm, 0, sizeof dm);
    momu_windowed win[2];
    memset(win, 0, sizeof win);
    momu_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    momu_cross cross;
    memset(&cross, 0, sizeof cross);
    cross_cond_model cc[2];
    memset(cc, 0, sizeof cc);
    float *condr = NULL;   /* (Tz, C+R): cond with its rhythm channels (md 0/1) */
    momu_schedule *sched = malloc(sizeof *sched);
    if (!st && !sched) st = momu_fail(e, MOMU_ERR_OOM, "out of memory");
    prog_t pg = {o, md == 1 ? "dance" : md == 0 ? "music" : "both"};
    momu_rng rng;
    momu_rng_seed(&rng, (uint64_t)o->seed);
    if (!st) {
        momu_schedule_default(sched);
        for (int i = 0; i < 2; i++) { dm[i].m = &g->den[i]; dm[i].C = C; }
        momu_rng_fill_normal(&rng, x, nx, 1.0f);
        so.progress = on_step;
        so.progress_user = &pg;
        if (md != 2) {
            size_t R = g->den[tgt].cfg.cond_extra;
            denoiser_scale_cond(&g->den[tgt], cond, cond, n);
            const float *cfull = cond;
            if (R) {
                if (!rhy) st = momu_fail(e, MOMU_ERR_ARG, "sampling: the %s denoiser needs rhythm channels",
                                         tgt ? "motion" : "music");
                else if (!(condr = momu_malloc_array(Tz, (C + R) * sizeof(float), e))) st = MOMU_ERR_OOM;
                else momu_rhythm_append(condr, cond, C, rhy, R, Tz);
                cfull = condr;
            }
            momu_cond_model base = {den_fn, NULL, &dm[tgt]};
            if (!st) st = momu_windowed_init_cond(&win[0], &base, Tz, C, C + R, window, overlap, o->blend, e);
            momu_cond_model wm = momu_windowed_model(&win[0]);
            if (!st) st = momu_cfg_init(&cfg, &wm, cfull, o->guidance, n, e);
            if (!st && (o->guidance_lo > 0 || o->guidance_hi < 1)) {   /* [lo*T, hi*T) on the schedule's steps */
                cfg.t_lo = (int)lround((double)o->guidance_lo * sched->T);
                cfg.t_hi = (int)lround((double)o->guidance_hi * sched->T);
            }
            if (!st) st = momu_sample(sched, &so, momu_cfg_eps, &cfg, x, n, &rng, e);
        } else {
            momu_cond_model ba = {den_fn, NULL, &dm[0]}, bm = {den_fn, NULL, &dm[1]};
            momu_cond_model *bases[2] = {&ba, &bm}, wrapped[2];
            for (int i = 0; i < 2 && !st; i++) {
                size_t R = g->den[i].cfg.cond_extra;
                st = momu_windowed_init_cond(&win[i], bases[i], Tz, C, C + R, window, overlap, o->blend, e);
                if (st) break;
                cross_cond_model *r = &cc[i];
                r->g = g; r->tgt = i; r->inner = momu_windowed_model(&win[i]); r->Tz = Tz; r->C = C; r->R = R;
                /* ẑ of the other modality is in ITS target scale; each model wants its cond scale */
                r->cond_mul = g->den[i].cond_scale_factor / g->den[1 - i].scale_factor;
                r->aug = momu_malloc_array(Tz, (R ? 2 * C + 2 * R : C) * sizeof(float), e);
                if (!r->aug) { st = MOMU_ERR_OOM; break; }
                if (R) {
                    r->z = r->aug + Tz * (C + R);
                    r->rhy = r->z + Tz * C;
                }
                wrapped[i] = (momu_cond_model){cross_cond_fn, NULL, r};
            }
            if (!st) st = momu_cross_init(&cross, sched, &wrapped[0], n, &wrapped[1], n, o->guidance, o->tc, e);
            if (!st) st = momu_sample(sched, &so, momu_cross_eps, &cross, x, nx, &rng, e);
        }
        for (int i = 0; i < 2; i++) {
            if (st && dm[i].err.status) { *e = dm[i].err; break; }
            if (st && cc[i].err.status) { *e = cc[i].err; break; }
        }
        stt->n_windows = win[0].n_windows;
    }
    if (!st) {
        if (md != 2) denoiser_unscale_target(&g->den[tgt], x, x, n);
        else {
            denoiser_unscale_target(&g->den[0], x, x, n);
            denoiser_unscale_target(&g->den[1], x + n, x + n, n);
        }
    }
    momu_cfg_free(&cfg);
    momu_cross_free(&cross);
    momu_windowed_free(&win[0]);
    momu_windowed_free(&win[1]);
    for (int i = 0; i < 2; i++) { denoiser_ws_free(&dm[i].ws); free(cc[i].aug); }
    free(condr);
    free(sched);
    free(known);
    free(mask);
    return st;
}

static momu_status check_gen(const momu_generator *g, const momu_gen_opts *o, momu_err *e) {
    if (!g || !o || !g->vae_ok[0] || !g->vae_ok[1]) return momu_fail(e, MOMU_ERR_STATE, "generator not loaded");
    return MOMU_OK;
}

/* The stats every entry point reports: t0..t1 encoding, t1..t2 sampling, t2..now decoding. */
static void gen_times(momu_gen_stats *s, size_t Tz, double t0, double t1, double t2) {
    s->Tz = Tz;
    s->t_encode_s = t1 - t0;
    s->t_sample_s = t2 - t1;
    s->t_decode_s = momu_time_s() - t2;
}

momu_status momu_generate_dance(const momu_generator *g, const float *pcm, size_t n, unsigned sr,
                                const momu_gen_opts *o, const momu_motion *prefix, momu_motion *out, momu_err *e) {
    momu_gen_stats s0, *stt = o && o->stats ? o->stats : &s0;
    memset(stt, 0, sizeof *stt);
    memset(out, 0, sizeof *out);
    momu_status st = check_gen(g, o, e);
    if (st) return st;
    if (!pcm || !n || !sr) return momu_fail(e, MOMU_ERR_ARG, "dance: no music");
    double t0 = momu_time_s();
    float *cond = NULL, *x = NULL, *zp = NULL, *rhy = NULL;
    size_t Tz = 0, Tp = 0;
    st = encode_music(&g->vae[0], pcm, n, sr, o->seconds, g->den_ok[1] ? g->den[1].cfg.cond_extra : 0, &rhy, &cond,
                      &Tz, e);
    if (!st && Tz < 1) st = momu_fail(e, MOMU_ERR_ARG, "music too short");
    if (!st) { x = momu_malloc_array(Tz * g->C, sizeof(float), e); if (!x) st = MOMU_ERR_OOM; }
    if (!st && prefix) st = encode_motion(&g->vae[1], prefix, 0, 0, NULL, &zp, &Tp, e);
    double t1 = momu_time_s();
    if (!st) st = sample_latents(g, 1, cond, rhy, Tz, zp, Tp, o, x, stt, e);
    double t2 = momu_time_s();
    if (!st) st = decode_motion(&g->vae[1], x, Tz, out, e);
    gen_times(stt, Tz, t0, t1, t2);
    free(cond);
    free(rhy);
    free(x);
    free(zp);
    return st;
}

momu_status momu_generate_music(const momu_generator *g, const momu_motion *m, const momu_gen_opts *o,
                                const float *prefix_pcm, size_t prefix_n, float **pcm, size_t *n, momu_err *e) {
    momu_gen_stats s0, *stt = o && o->stats ? o->stats : &s0;
    memset(stt, 0, sizeof *stt);
    *pcm = NULL;
    *n = 0;
    momu_status st = check_gen(g, o, e);
    if (st) return st;
    if (!m) return momu_fail(e, MOMU_ERR_ARG, "music: no motion");
    double t0 = momu_time_s();
    float *cond = NULL, *x = NULL, *zp = NULL, *rhy = NULL;
    size_t Tz = 0, Tp = 0;
    st = encode_motion(&g->vae[1], m, o->seconds, g->den_ok[0] ? g->den[0].cfg.cond_extra : 0, &rhy, &cond, &Tz, e);
    if (!st && Tz < 1) st = momu_fail(e, MOMU_ERR_ARG, "motion too short");
    if (!st) { x = momu_malloc_array(Tz * g->C, sizeof(float), e); if (!x) st = MOMU_ERR_OOM; }
    if (!st && prefix_pcm) st = encode_music(&g->vae[0], prefix_pcm, prefix_n, MOMU_SR, 0, 0, NULL, &zp, &Tp, e);
    double t1 = momu_time_s();
    if (!st) st = sample_latents(g, 0, cond, rhy, Tz, zp, Tp, o, x, stt, e);
    double t2 = momu_time_s();
    if (!st) st = decode_music(&g->vae[0], x, Tz, o->gl_iters, pcm, n, e);
    if (st) { free(*pcm); *pcm = NULL; *n = 0; }
    gen_times(stt, Tz, t0, t1, t2);
    free(cond);
    free(rhy);
    free(x);
    free(zp);
    return st;
}

momu_status momu_generate_both(const momu_generator *g, double seconds, const momu_gen_opts *o, float **pcm,
                               size_t *n, momu_motion *out, momu_err *e) {
    momu_gen_stats s0, *stt = o && o->stats ? o->stats : &s0;
    memset(stt, 0, sizeof *stt);
    memset(out, 0, sizeof *out);
    *pcm = NULL;
    *n = 0;
    momu_status st = check_gen(g, o, e);
    if (st) return st;
    if (!(seconds > 0) || seconds > 1e6) return momu_fail(e, MOMU_ERR_ARG, "both: seconds %g not > 0", seconds);
    size_t Tz = (size_t)lround(seconds * MOMU_GEN_LATENT_FPS);
    if (Tz < 1) return momu_fail(e, MOMU_ERR_ARG, "both: %g seconds is too short", seconds);
    size_t nz = Tz * g->C;
    float *x = momu_malloc_array(2 * nz, sizeof(float), e);
    if (!x) return MOMU_ERR_OOM;
    double t1 = momu_time_s();
    st = sample_latents(g, 2, NULL, NULL, Tz, NULL, 0, o, x, stt, e);
    double t2 = momu_time_s();
    if (!st) st = decode_music(&g->vae[0], x, Tz, o->gl_iters, pcm, n, e);
    if (!st) st = decode_motion(&g->vae[1], x + nz, Tz, out, e);
    if (st) { free(*pcm); *pcm = NULL; *n = 0; }
    gen_times(stt, Tz, t1, t1, t2);   /* nothing to encode */
    free(x);
    return st;
}
