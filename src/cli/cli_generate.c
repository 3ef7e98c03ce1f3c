/* momu generate — dance from music, music from dance, or both together (DESIGN.md §1.2–1.4, docs/SAMPLING.md).
 *   momu generate dance --music IN --out OUT.{bvh,npy,json}
 *   momu generate music --motion IN --out OUT.wav
 *   momu generate both  --seconds S --out-music A.wav --out-motion B.{bvh,npy,json}
 * Models (--model DIR, default models/): music_vae.safetensors, motion_vae.safetensors,
 * denoiser_music.safetensors (music given motion), denoiser_motion.safetensors (motion given music); each path
 * can be overridden. The pipeline: condition -> features -> normalise -> VAE encode (posterior mean) -> scale
 * -> windowed + CFG (or cross-guidance) sampling -> unscale -> VAE decode -> denormalise -> motion / mel ->
 * Griffin-Lim -> file. Same seed and options give identical bytes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "momu/audio.h"
#include "momu/denoiser.h"
#include "momu/diffusion.h"
#include "momu/motion.h"
#include "momu/rng.h"
#include "momu/vae.h"
#include "momu/vae_train.h"

#define LATENT_FPS 12.5

/* ---- the denoiser as a momu_cond_model (batch 1; any number of frames) ---- */
typedef struct {
    const denoiser *m;
    denoiser_ws     ws;
    size_t          C;
    float           cond_mul;   /* the condition arrives in another scale (cross-guidance): multiply by this */
    float          *cbuf;
    size_t          cbuf_n;
    momu_err        err;
} den_model;

static int den_fn(void *user, const float *x, int t, const float *cond, float *eps, size_t n) {
    den_model *d = user;
    if (n % d->C) return 2;
    float tf = (float)t;
    if (cond && d->cond_mul != 1.0f) {
        if (d->cbuf_n < n) {
            float *b = realloc(d->cbuf, n * sizeof(float));
            if (!b) { momu_fail(&d->err, MOMU_ERR_OOM, "out of memory"); return 1; }
            d->cbuf = b;
            d->cbuf_n = n;
        }
        for (size_t i = 0; i < n; i++) d->cbuf[i] = cond[i] * d->cond_mul;
        cond = d->cbuf;
    }
    return denoiser_forward_infer(d->m, &d->ws, eps, x, cond, &tf, 1, n / d->C, &d->err) ? 1 : 0;
}

typedef struct { momu_progress_t p; const char *what; } prog_t;
static int on_step(void *user, int step, int n_steps, int t) {
    prog_t *p = user;
    momu_progress(&p->p, (size_t)step, (size_t)n_steps, "%s t=%d", p->what, t);
    return 0;
}

/* ---- model files ---- */
typedef struct {
    momu_vae_ckpt vae[2];          /* [0] music, [1] motion */
    int           vae_ok[2];
    denoiser      den[2];          /* [0] music given motion, [1] motion given music */
    int           den_ok[2];
    size_t        den_window[2];   /* "momu.window_latent_frames" of the checkpoint (0: absent) */
} models;

static void models_free(models *M) {
    for (int i = 0; i < 2; i++) {
        if (M->vae_ok[i]) momu_vae_ckpt_free(&M->vae[i]);
        if (M->den_ok[i]) denoiser_free(&M->den[i]);
    }
}

static momu_status load_vae(models *M, int which, const char *path, momu_err *e) {
    momu_status st = momu_vae_ckpt_load(path, which ? MOMU_VAE_MOTION : MOMU_VAE_MUSIC, 1, &M->vae[which], e);
    if (!st) M->vae_ok[which] = 1;
    return st;
}

static momu_status load_den(models *M, int which, const char *path, momu_err *e) {
    denoiser_task task = which ? DENOISER_MOTION : DENOISER_MUSIC;
    momu_err e1 = {0};
    safetensors_meta meta;
    safetensors_meta_init(&meta);
    momu_status st = denoiser_load(&M->den[which], path, task, 1, 0, &meta, &e1);   /* EMA weights */
    if (st && (strstr(e1.msg, "EMA") || strstr(e1.msg, "ema."))) {
        safetensors_meta_free(&meta);
        safetensors_meta_init(&meta);
        st = denoiser_load(&M->den[which], path, task, 0, 0, &meta, e);
    } else if (st) {
        momu_fail(e, st, "%s", e1.msg);
    }
    if (!st) {
        M->den_ok[which] = 1;
        const char *w = safetensors_meta_get(&meta, "momu.window_latent_frames");
        M->den_window[which] = w ? (size_t)strtoull(w, NULL, 10) : 0;
    }
    safetensors_meta_free(&meta);
    return st;
}

/* ---- inputs -> latents (Tz, C), unscaled VAE posterior means ---- */
static momu_status encode_music(const momu_vae_ckpt *v, const char *path, double seconds, float **z, size_t *Tz,
                                momu_err *e) {
    float *x = NULL, *mel = NULL;
    size_t n, nf;
    momu_status st = momu_audio_load(path, MOMU_SR, &x, &n, e);
    if (!st) st = momu_logmel(x, n, &mel, &nf, e);
    free(x);
    if (st) return st;
    if (seconds > 0 && (size_t)lround(seconds * 100.0) < nf) nf = (size_t)lround(seconds * 100.0);
    if (nf < 8) { free(mel); return momu_fail(e, MOMU_ERR_ARG, "%s: too short (%zu mel frames)", path, nf); }
    size_t F = MOMU_N_MELS;
    for (size_t i = 0; i < nf; i++)
        for (size_t f = 0; f < F; f++) mel[i * F + f] = (mel[i * F + f] - v->norm_mean[f]) / v->norm_std[f];
    *Tz = momu_vae_latent_len(&v->vae, nf);
    *z = momu_malloc_array(*Tz * v->vae.cfg.z_channels, sizeof(float), e);
    if (!*z) { free(mel); return MOMU_ERR_OOM; }
    st = momu_vae_encode(&v->vae, v->params, mel, 1, nf, *z, NULL, e);
    free(mel);
    return st;
}

static momu_status encode_motion(const momu_vae_ckpt *v, const char *path, double seconds, float **z, size_t *Tz,
                                 momu_err *e) {
    momu_motion m0 = {0}, m = {0};
    momu_status st = momu_motion_load(path, &m0, e);
    if (st) return st;
    if (v->n_joints && m0.n_joints != v->n_joints) {
        momu_motion_free(&m0);
        return momu_fail(e, MOMU_ERR_ARG, "%s: %zu joints, the motion VAE was trained on %zu", path, m0.n_joints,
                         v->n_joints);
    }
    size_t T = (size_t)floor((double)m0.n_frames / m0.fps * MOMU_DWM_FPS);
    if (seconds > 0 && (size_t)lround(seconds * MOMU_DWM_FPS) < T) T = (size_t)lround(seconds * MOMU_DWM_FPS);
    if (T < 2) { momu_motion_free(&m0); return momu_fail(e, MOMU_ERR_ARG, "%s: too short", path); }
    st = momu_motion_resample(&m0, 1.0, 0.0, MOMU_DWM_FPS, T, &m, e);
    momu_motion_free(&m0);
    if (st) return st;
    size_t D = momu_features_dim(m.n_joints);
    float *feat = momu_malloc_array(T * D, sizeof(float), e);
    if (!feat) { momu_motion_free(&m); return MOMU_ERR_OOM; }
    st = momu_motion_to_features(&m, feat, e);
    momu_motion_free(&m);
    if (!st) {
        for (size_t i = 0; i < T; i++)
            for (size_t f = 0; f < D; f++) feat[i * D + f] = (feat[i * D + f] - v->norm_mean[f]) / v->norm_std[f];
        *Tz = momu_vae_latent_len(&v->vae, T);
        *z = momu_malloc_array(*Tz * v->vae.cfg.z_channels, sizeof(float), e);
        if (!*z) st = MOMU_ERR_OOM;
        else st = momu_vae_encode(&v->vae, v->params, feat, 1, T, *z, NULL, e);
    }
    free(feat);
    return st;
}

/* ---- latents (Tz, C) -> files ---- */
static momu_status write_music(const momu_vae_ckpt *v, const float *z, size_t Tz, const char *out, size_t gl_iters,
                               momu_err *e) {
    size_t f = momu_vae_config_factor(&v->vae.cfg), nf = Tz * f, F = MOMU_N_MELS;
    float *mel = momu_malloc_array(nf * F, sizeof(float), e), *x = NULL;
    if (!mel) return MOMU_ERR_OOM;
    momu_status st = momu_vae_decode(&v->vae, v->params, z, 1, Tz, nf, mel, e);
    if (!st) {
        for (size_t i = 0; i < nf; i++)
            for (size_t b = 0; b < F; b++) mel[i * F + b] = mel[i * F + b] * v->norm_std[b] + v->norm_mean[b];
        size_t n;
        st = momu_mel_invert(mel, nf, gl_iters, &x, &n, e);
        if (!st) st = momu_audio_write_wav(out, x, n, MOMU_SR, e);
    }
    free(mel);
    free(x);
    return st;
}

static momu_status write_motion(const momu_vae_ckpt *v, const float *z, size_t Tz, const char *out, momu_err *e) {
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
        momu_motion m = {0};
        st = momu_features_to_motion(feat, T, J, MOMU_DWM_FPS, have_sk ? &sk : NULL, &m, e);
        if (!st) st = momu_motion_save(out, &m, e);
        momu_motion_free(&m);
    }
    if (have_sk) momu_skeleton_free(&sk);
    free(feat);
    return st;
}

int cli_generate(int argc, char **argv) {
    const char *cmd = "generate";
    const char *mode = argc >= 2 ? argv[1] : NULL;
    const char *music_in = NULL, *motion_in = NULL, *out = NULL, *out_music = NULL, *out_motion = NULL;
    const char *sampler = "dpmpp", *spacing = "logsnr", *prefix = NULL, *model_dir = "models";
    const char *music_vae = NULL, *motion_vae = NULL, *music_den = NULL, *motion_den = NULL, *blend = "ramp";
    float seconds = 0.0f, guidance = 3.0f, tc = 0.5f, eta = 0.0f;
    int seed = 0, steps = 25, resample = 4;
    size_t window = 0, overlap = 0, gl_iters = MOMU_GL_ITERS;
    const cli_opt opts[] = {
        {"music", CLI_STR, &music_in, "dance: the music to dance to (any audio file)"},
        {"motion", CLI_STR, &motion_in, "music: the dance to score (BVH/NPY/JSON)"},
        {"out", CLI_STR, &out, "dance: OUT.{bvh,npy,json}; music: OUT.wav"},
        {"out-music", CLI_STR, &out_music, "both: the music WAV"},
        {"out-motion", CLI_STR, &out_motion, "both: the motion file"},
        {"seconds", CLI_FLOAT, &seconds, "length (both: required; dance/music: crop the input, 0 = all)"},
        {"seed", CLI_INT, &seed, "random seed (x_T and step noise)"},
        {"steps", CLI_INT, &steps, "sampling steps"},
        {"sampler", CLI_STR, &sampler, "ddpm | ddim | dpmpp"},
        {"spacing", CLI_STR, &spacing, "timestep spacing: logsnr | trailing | linspace | leading"},
        {"eta", CLI_FLOAT, &eta, "DDIM eta (0 deterministic)"},
        {"guidance", CLI_FLOAT, &guidance, "classifier-free / cross guidance scale"},
        {"tc", CLI_FLOAT, &tc, "both: cross-guidance starts below t = tc*T"},
        {"prefix", CLI_STR, &prefix, "continue this target-modality file (dance: motion, music: audio)"},
        {"resample", CLI_INT, &resample, "with --prefix: RePaint passes per step"},
        {"window", CLI_SIZE, &window, "latent frames per window (12.5 per second); 0: the denoiser's training "
                                      "window (momu.window_latent_frames), else 125"},
        {"overlap", CLI_SIZE, &overlap, "overlap of consecutive windows, latent frames; 0: window / 5"},
        {"blend", CLI_STR, &blend, "window blend: ramp | flat"},
        {"gl-iters", CLI_SIZE, &gl_iters, "Griffin-Lim iterations for music"},
        {"model", CLI_STR, &model_dir, "folder with the four model files"},
        {"music-vae", CLI_STR, &music_vae, "override DIR/music_vae.safetensors"},
        {"motion-vae", CLI_STR, &motion_vae, "override DIR/motion_vae.safetensors"},
        {"music-denoiser", CLI_STR, &music_den, "override DIR/denoiser_music.safetensors"},
        {"motion-denoiser", CLI_STR, &motion_den, "override DIR/denoiser_motion.safetensors"},
    };
    const size_t n_opts = sizeof opts / sizeof opts[0];
    const char *usage = "dance --music IN --out OUT | music --motion IN --out OUT.wav | both --seconds S "
                        "--out-music A.wav --out-motion B.bvh   [options]";
    if (!mode || !strcmp(mode, "--help") || !strcmp(mode, "-h")) {
        cli_print_help(opts, n_opts, cmd, usage);
        return mode ? 0 : 2;
    }
    int md = !strcmp(mode, "dance") ? 1 : !strcmp(mode, "music") ? 0 : !strcmp(mode, "both") ? 2 : -1;
    if (md < 0) { cli_errorf(cmd, "'%s' is not one of dance, music, both", mode); return 2; }
    const char *pos[1];
    size_t n_pos = 0;
    int rc = cli_parse(argc - 2, argv + 2, opts, n_opts, pos, 0, &n_pos, cmd, usage);
    if (rc == 1) return 0;
    if (rc) return 2;

    momu_err e = {0};
    momu_sample_opts so;
    momu_sample_opts_default(&so);
    so.steps = steps;
    so.eta = eta;
    momu_blend bl = !strcmp(blend, "flat") ? MOMU_BLEND_FLAT : MOMU_BLEND_RAMP;
    if (strcmp(blend, "flat") && strcmp(blend, "ramp")) {
        cli_errorf(cmd, "--blend: '%s' is not ramp or flat", blend);
        return 2;
    }
    if (momu_sampler_parse(sampler, &so.kind, &e) || momu_spacing_parse(spacing, &so.spacing, &e)) {
        cli_error(cmd, &e);
        return 2;
    }
    if (steps < 1 || steps > MOMU_DIFF_T) {
        cli_errorf(cmd, "--steps %d outside [1, %d]", steps, MOMU_DIFF_T);
        return 2;
    }
    if (!(tc >= 0 && tc <= 1)) { cli_errorf(cmd, "--tc %g outside [0, 1]", (double)tc); return 2; }
    if (md == 1 && (!music_in || !out)) { cli_errorf(cmd, "dance needs --music IN and --out OUT"); return 2; }
    if (md == 0 && (!motion_in || !out)) { cli_errorf(cmd, "music needs --motion IN and --out OUT.wav"); return 2; }
    if (md == 2 && (!(seconds > 0) || !out_music || !out_motion)) {
        cli_errorf(cmd, "both needs --seconds S > 0, --out-music A.wav and --out-motion B.bvh");
        return 2;
    }
    if (md == 2 && prefix) { cli_errorf(cmd, "--prefix is for dance or music"); return 2; }

    char p_mvae[4200], p_dvae[4200], p_mden[4200], p_dden[4200];
    snprintf(p_mvae, sizeof p_mvae, "%s/music_vae.safetensors", model_dir);
    snprintf(p_dvae, sizeof p_dvae, "%s/motion_vae.safetensors", model_dir);
    snprintf(p_mden, sizeof p_mden, "%s/denoiser_music.safetensors", model_dir);
    snprintf(p_dden, sizeof p_dden, "%s/denoiser_motion.safetensors", model_dir);
    if (music_vae) snprintf(p_mvae, sizeof p_mvae, "%s", music_vae);
    if (motion_vae) snprintf(p_dvae, sizeof p_dvae, "%s", motion_vae);
    if (music_den) snprintf(p_mden, sizeof p_mden, "%s", music_den);
    if (motion_den) snprintf(p_dden, sizeof p_dden, "%s", motion_den);

    models M;
    memset(&M, 0, sizeof M);
    momu_status st = load_vae(&M, 0, p_mvae, &e);
    if (!st) st = load_vae(&M, 1, p_dvae, &e);
    if (!st && md != 1) st = load_den(&M, 0, p_mden, &e);
    if (!st && md != 0) st = load_den(&M, 1, p_dden, &e);
    if (st) {
        models_free(&M);
        if (st == MOMU_ERR_IO)
            return cli_errorf(cmd, "%s (generate needs trained models: train them with `momu train vae` and "
                                   "`momu train diffusion`, or point --model at a folder holding them)", e.msg);
        return cli_error(cmd, &e);
    }
    if (!window) {   /* the training window of the denoiser(s) in use (the smaller of the two for both) */
        for (int i = 0; i < 2; i++)
            if (M.den_ok[i] && M.den_window[i] && (!window || M.den_window[i] < window)) window = M.den_window[i];
        if (!window) window = 125;
    }
    if (!overlap) overlap = window / 5;
    if (window < 2 || overlap >= window) {
        models_free(&M);
        cli_errorf(cmd, "--window %zu / --overlap %zu: need 0 <= overlap < window", window, overlap);
        return 2;
    }
    size_t C = M.vae[0].vae.cfg.z_channels;
    if (M.vae[1].vae.cfg.z_channels != C) {
        models_free(&M);
        return cli_errorf(cmd, "the VAEs disagree on latent channels (%zu vs %zu)", C, M.vae[1].vae.cfg.z_channels);
    }
    for (int i = 0; i < 2; i++)
        if (M.den_ok[i] && M.den[i].cfg.latent_ch != C) {
            models_free(&M);
            return cli_errorf(cmd, "denoiser %d has %zu latent channels, the VAEs %zu", i, M.den[i].cfg.latent_ch, C);
        }

    double t0 = momu_time_s();
    float *cond = NULL, *x = NULL, *known = NULL;
    unsigned char *mask = NULL;
    size_t Tz = 0;
    int tgt = md == 1 ? 1 : 0;   /* target modality for dance/music: 1 motion, 0 music */
    if (md == 1) st = encode_music(&M.vae[0], music_in, seconds, &cond, &Tz, &e);
    else if (md == 0) st = encode_motion(&M.vae[1], motion_in, seconds, &cond, &Tz, &e);
    else Tz = (size_t)lround(seconds * LATENT_FPS);
    if (!st && Tz < 1) st = momu_fail(&e, MOMU_ERR_ARG, "--seconds: too short");
    size_t n = Tz * C, nx = md == 2 ? 2 * n : n;
    if (!st) { x = momu_malloc_array(nx, sizeof(float), &e); if (!x) st = MOMU_ERR_OOM; }
    if (!st && prefix) {   /* known prefix of the target, encoded and scaled */
        float *zp = NULL;
        size_t Tp = 0;
        st = tgt ? encode_motion(&M.vae[1], prefix, 0, &zp, &Tp, &e) : encode_music(&M.vae[0], prefix, 0, &zp, &Tp, &e);
        if (!st) {
            if (Tp > Tz) Tp = Tz;
            known = momu_calloc_array(n, sizeof(float), &e);
            mask = momu_calloc_array(n, 1, &e);
            if (!known || !mask) st = MOMU_ERR_OOM;
            else {
                denoiser_scale_target(&M.den[tgt], known, zp, Tp * C);
                memset(mask, 1, Tp * C);
                so.known = known;
                so.known_mask = mask;
                so.resample = resample;
                momu_log("prefix %s: %zu of %zu latent frames kept\n", prefix, Tp, Tz);
            }
        }
        free(zp);
    }
    den_model dm[2];
    memset(dm, 0, sizeof dm);
    momu_windowed win[2];
    memset(win, 0, sizeof win);
    momu_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    momu_cross cross;
    memset(&cross, 0, sizeof cross);
    momu_schedule *sched = malloc(sizeof *sched);
    if (!st && !sched) st = momu_fail(&e, MOMU_ERR_OOM, "out of memory");
    prog_t pg;
    momu_rng rng;
    momu_rng_seed(&rng, (uint64_t)(int64_t)seed);
    if (!st) {
        momu_schedule_default(sched);
        for (int i = 0; i < 2; i++) { dm[i].m = &M.den[i]; dm[i].C = C; dm[i].cond_mul = 1.0f; }
        if (md == 2) { /* ẑ of the other modality is in ITS target scale; each model wants its cond scale */
            dm[0].cond_mul = M.den[0].cond_scale_factor / M.den[1].scale_factor;
            dm[1].cond_mul = M.den[1].cond_scale_factor / M.den[0].scale_factor;
        }
        momu_rng_fill_normal(&rng, x, nx, 1.0f);
        momu_progress_init(&pg.p, "generate");
        pg.what = mode;
        so.progress = on_step;
        so.progress_user = &pg;
        if (md != 2) {
            denoiser_scale_cond(&M.den[tgt], cond, cond, n);
            momu_cond_model base = {den_fn, NULL, &dm[tgt]};
            st = momu_windowed_init(&win[0], &base, Tz, C, window, overlap, bl, &e);
            momu_cond_model wm = momu_windowed_model(&win[0]);
            if (!st) st = momu_cfg_init(&cfg, &wm, cond, guidance, n, &e);
            if (!st) st = momu_sample(sched, &so, momu_cfg_eps, &cfg, x, n, &rng, &e);
        } else {
            momu_cond_model ba = {den_fn, NULL, &dm[0]}, bm = {den_fn, NULL, &dm[1]};
            st = momu_windowed_init(&win[0], &ba, Tz, C, window, overlap, bl, &e);
            if (!st) st = momu_windowed_init(&win[1], &bm, Tz, C, window, overlap, bl, &e);
            if (!st) {
                momu_cond_model wa = momu_windowed_model(&win[0]), wmo = momu_windowed_model(&win[1]);
                st = momu_cross_init(&cross, sched, &wa, n, &wmo, n, guidance, tc, &e);
            }
            if (!st) st = momu_sample(sched, &so, momu_cross_eps, &cross, x, nx, &rng, &e);
        }
        momu_progress_end(&pg.p);
        for (int i = 0; i < 2; i++)
            if (st && dm[i].err.status) { e = dm[i].err; break; }
    }
    double t1 = momu_time_s();
    if (!st) {
        if (md != 2) {
            denoiser_unscale_target(&M.den[tgt], x, x, n);
            st = tgt ? write_motion(&M.vae[1], x, Tz, out, &e) : write_music(&M.vae[0], x, Tz, out, gl_iters, &e);
        } else {
            denoiser_unscale_target(&M.den[0], x, x, n);
            denoiser_unscale_target(&M.den[1], x + n, x + n, n);
            st = write_music(&M.vae[0], x, Tz, out_music, gl_iters, &e);
            if (!st) st = write_motion(&M.vae[1], x + n, Tz, out_motion, &e);
        }
    }
    double t2 = momu_time_s();
    if (!st) {
        if (md != 2)
            momu_log("generate %s: %.2f s (%zu latent frames, %zu windows) %s %d steps, guidance %g, seed %d -> %s "
                     "(sampling %.1f s, decode %.1f s)\n", mode, (double)Tz / LATENT_FPS, Tz, win[0].n_windows,
                     momu_sampler_name(so.kind), steps, (double)guidance, seed, out, t1 - t0, t2 - t1);
        else
            momu_log("generate both: %.2f s (%zu latent frames, %zu windows) %s %d steps, guidance %g, tc %g, "
                     "seed %d -> %s, %s (sampling %.1f s, decode %.1f s)\n", (double)Tz / LATENT_FPS, Tz,
                     win[0].n_windows, momu_sampler_name(so.kind), steps, (double)guidance, (double)tc, seed,
                     out_music, out_motion, t1 - t0, t2 - t1);
    }
    momu_cfg_free(&cfg);
    momu_cross_free(&cross);
    momu_windowed_free(&win[0]);
    momu_windowed_free(&win[1]);
    for (int i = 0; i < 2; i++) { denoiser_ws_free(&dm[i].ws); free(dm[i].cbuf); }
    free(sched);
    free(cond);
    free(x);
    free(known);
    free(mask);
    models_free(&M);
    return st ? cli_error(cmd, &e) : 0;
}
