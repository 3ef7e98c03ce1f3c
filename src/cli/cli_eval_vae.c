/* momu eval vae — reconstruction and latent-alignment figures of trained BiCoR-VAE checkpoints on the
 * windows of a prepared folder (docs/MODELS.md "Training" states the conventions):
 *   music:  log-mel L1 (normalised units and log10 units) of encode(mean) -> decode over whole windows;
 *           spectral convergence ||S(GL(decoded mel)) - S*||/||S*|| on the first --gl-windows windows, where
 *           S* = momu_mel_to_linear(original mel) and S = STFT magnitude; the same for GL(original mel) as the
 *           vocoder's own floor.
 *   motion: positions of the input and of the decoded features by the same inverse (momu_features_to_motion);
 *           MPJPE of the pose (root-relative positions in each frame's own heading frame, the features'
 *           [4, 4+3J) block: root position and facing aligned per frame, the usual autoencoder figure),
 *           root-aligned (each frame's root joint subtracted from both after integrating trajectory and
 *           heading, so heading drift counts) and global, in mm; velocity error mean |v_dec - v_in| of the
 *           global joint velocities, mm/s.
 *   alignment (both VAEs): windows on Q as in the contrastive loss (--windows per 10-s window, the width of
 *           the motion checkpoint), segment vectors max-pooled from both latent means; top-1 retrieval of the
 *           music segment by cosine given each motion segment, among (a) the segments of the same window,
 *           (b) of the same clip, (c) of all windows of the split; a hit is a segment of the same clip at the
 *           same absolute time (overlapping windows repeat moments). Chance levels alongside. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "momu/audio.h"
#include "momu/bicor.h"
#include "momu/json.h"
#include "momu/vae_train.h"

typedef struct {
    size_t n;
    double l1_norm, l1_log10, sc_vae, sc_gl;
    size_t n_gl;
} music_res;
typedef struct { size_t n; double mpjpe_pose, mpjpe_root, mpjpe_global, vel; } motion_res;
typedef struct { size_t n; double acc_window, acc_clip, acc_all, chance_window, chance_clip, chance_all; } align_res;

/* x (T,F) normalised with (m0,s0) -> normalised with (m1,s1) */
static void renorm(float *x, size_t T, size_t F, const float *m0, const float *s0, const float *m1, const float *s1) {
    for (size_t t = 0; t < T; t++)
        for (size_t k = 0; k < F; k++) x[t * F + k] = (x[t * F + k] * s0[k] + m0[k] - m1[k]) / s1[k];
}

static momu_status eval_music(const momu_vae_ckpt *c, const float *mel, size_t N, size_t T, size_t M, const float *dm,
                              const float *ds, size_t n_gl, float *za_all, music_res *r, momu_err *e) {
    const size_t Tz = momu_vae_latent_len(&c->vae, T), C = c->vae.cfg.z_channels;
    float *x = momu_malloc_array(T * M, sizeof(float), e), *y = momu_malloc_array(T * M, sizeof(float), e);
    float *z = momu_malloc_array(Tz * C, sizeof(float), e);
    momu_status st = (!x || !y || !z) ? MOMU_ERR_OOM : MOMU_OK;
    double s_norm = 0, s_log = 0, s_sc = 0, s_gl = 0;
    momu_progress_t p;
    momu_progress_init(&p, "eval music vae");
    for (size_t n = 0; n < N && !st; n++) {
        memcpy(x, mel + n * T * M, T * M * sizeof(float));
        renorm(x, T, M, dm, ds, c->norm_mean, c->norm_std);
        if ((st = momu_vae_encode(&c->vae, c->params, x, 1, T, z, NULL, e))) break;
        if (za_all) memcpy(za_all + n * Tz * C, z, Tz * C * sizeof(float));
        if ((st = momu_vae_decode(&c->vae, c->params, z, 1, Tz, T, y, e))) break;
        double a = 0, b = 0;
        for (size_t i = 0; i < T * M; i++) {
            double d = fabs((double)y[i] - x[i]);
            a += d;
            b += d * c->norm_std[i % M];
        }
        s_norm += a / (double)(T * M);
        s_log += b / (double)(T * M);
        if (n < n_gl) {   /* denormalise both to log10 mel, clamp, Griffin-Lim */
            for (size_t i = 0; i < T * M; i++) {
                size_t k = i % M;
                x[i] = fminf(6.0f, fmaxf(-5.0f, x[i] * c->norm_std[k] + c->norm_mean[k]));
                y[i] = fminf(6.0f, fmaxf(-5.0f, y[i] * c->norm_std[k] + c->norm_mean[k]));
            }
            float *target = NULL, *wa = NULL, *wb = NULL, *sa = NULL, *sb = NULL;
            size_t na = 0, nb = 0, fa = 0, fb = 0;
            st = momu_mel_to_linear(x, T, &target, e);
            if (!st) st = momu_mel_invert(y, T, MOMU_GL_ITERS, &wa, &na, e);
            if (!st) st = momu_mel_invert(x, T, MOMU_GL_ITERS, &wb, &nb, e);
            if (!st) st = momu_stft_mag(wa, na, MOMU_N_FFT, MOMU_HOP, MOMU_PAD_REFLECT, 1, &sa, &fa, e);
            if (!st) st = momu_stft_mag(wb, nb, MOMU_N_FFT, MOMU_HOP, MOMU_PAD_REFLECT, 1, &sb, &fb, e);
            if (!st && (fa != T || fb != T))
                st = momu_fail(e, MOMU_ERR_STATE, "eval vae: Griffin-Lim gave %zu/%zu frames for %zu", fa, fb, T);
            if (!st) {
                s_sc += momu_spectral_convergence(sa, target, T * MOMU_N_BINS);
                s_gl += momu_spectral_convergence(sb, target, T * MOMU_N_BINS);
                r->n_gl++;
            }
            free(target); free(wa); free(wb); free(sa); free(sb);
        }
        momu_progress(&p, n + 1, N, "window %zu", n);
    }
    momu_progress_end(&p);
    r->n = N;
    r->l1_norm = s_norm / (double)N;
    r->l1_log10 = s_log / (double)N;
    r->sc_vae = r->n_gl ? s_sc / (double)r->n_gl : NAN;
    r->sc_gl = r->n_gl ? s_gl / (double)r->n_gl : NAN;
    free(x); free(y); free(z);
    return st;
}

static int root_index(size_t J) { return J == MOMU_DWM_JOINTS ? 2 : 0; }   /* the features' root: "spine" */

static momu_status eval_motion(const momu_vae_ckpt *c, const float *mot, size_t N, size_t T, size_t D,
                               const momu_feature_stats *dst, float *zm_all, motion_res *r, momu_err *e) {
    const size_t Tz = momu_vae_latent_len(&c->vae, T), C = c->vae.cfg.z_channels, J = c->n_joints;
    float *x = momu_malloc_array(T * D, sizeof(float), e), *y = momu_malloc_array(T * D, sizeof(float), e);
    float *z = momu_malloc_array(Tz * C, sizeof(float), e);
    momu_status st = (!x || !y || !z) ? MOMU_ERR_OOM : MOMU_OK;
    double s_pose = 0, s_root = 0, s_glob = 0, s_vel = 0;
    const int rt = root_index(J);
    for (size_t n = 0; n < N && !st; n++) {
        memcpy(x, mot + n * T * D, T * D * sizeof(float));
        renorm(x, T, D, dst->mean, dst->std, c->norm_mean, c->norm_std);
        if ((st = momu_vae_encode(&c->vae, c->params, x, 1, T, z, NULL, e))) break;
        if (zm_all) memcpy(zm_all + n * Tz * C, z, Tz * C * sizeof(float));
        if ((st = momu_vae_decode(&c->vae, c->params, z, 1, Tz, T, y, e))) break;
        for (size_t i = 0; i < T * D; i++) {
            size_t k = i % D;
            x[i] = x[i] * c->norm_std[k] + c->norm_mean[k];
            y[i] = y[i] * c->norm_std[k] + c->norm_mean[k];
        }
        double sp = 0;
        for (size_t t = 0; t < T; t++)
            for (size_t j = 0; j < J; j++) {
                const float *pa = x + t * D + 4 + 3 * j, *pb = y + t * D + 4 + 3 * j;
                double d2 = 0;
                for (int q = 0; q < 3; q++) d2 += (double)(pb[q] - pa[q]) * (pb[q] - pa[q]);
                sp += sqrt(d2);
            }
        s_pose += 10.0 * sp / (double)(T * J);
        momu_motion a = {0}, b = {0};
        st = momu_features_to_motion(x, T, J, MOMU_DWM_FPS, NULL, &a, e);
        if (!st) st = momu_features_to_motion(y, T, J, MOMU_DWM_FPS, NULL, &b, e);
        if (!st) {
            double sr = 0, sg = 0, sv = 0;
            for (size_t t = 0; t < T; t++) {
                const float *pa = a.pos + t * J * 3, *pb = b.pos + t * J * 3;
                for (size_t j = 0; j < J; j++) {
                    double dr = 0, dg = 0, dv = 0;
                    for (int q = 0; q < 3; q++) {
                        double u = (pb[j * 3 + q] - pb[rt * 3 + q]) - (pa[j * 3 + q] - pa[rt * 3 + q]);
                        double g = pb[j * 3 + q] - pa[j * 3 + q];
                        dr += u * u;
                        dg += g * g;
                        if (t + 1 < T) {
                            double v = (pb[(J + j) * 3 + q] - pb[j * 3 + q]) - (pa[(J + j) * 3 + q] - pa[j * 3 + q]);
                            dv += v * v;
                        }
                    }
                    sr += sqrt(dr);
                    sg += sqrt(dg);
                    sv += sqrt(dv);
                }
            }
            s_root += 10.0 * sr / (double)(T * J);
            s_glob += 10.0 * sg / (double)(T * J);
            s_vel += 10.0 * MOMU_DWM_FPS * sv / (double)((T - 1) * J);
        }
        momu_motion_free(&a);
        momu_motion_free(&b);
    }
    r->n = N;
    r->mpjpe_pose = s_pose / (double)N;
    r->mpjpe_root = s_root / (double)N;
    r->mpjpe_global = s_glob / (double)N;
    r->vel = s_vel / (double)N;
    free(x); free(y); free(z);
    return st;
}

static void unit(float *v, size_t C) {
    double s = 0;
    for (size_t k = 0; k < C; k++) s += (double)v[k] * v[k];
    float inv = (float)(1.0 / fmax(sqrt(s), 1e-12));
    for (size_t k = 0; k < C; k++) v[k] *= inv;
}

static momu_status eval_align(const float *za, const float *zm, const float *q, size_t N, size_t W, size_t Tz, size_t C,
                              const size_t *clip, const size_t *start, size_t n_windows, size_t n_troughs, size_t width, align_res *r,
                              momu_err *e) {
    size_t cap = N * n_windows;
    size_t *wb = momu_malloc_array(cap + 1, sizeof(size_t), e), *ws = momu_malloc_array(cap + 1, sizeof(size_t), e);
    float *ca = momu_malloc_array(cap * C + 1, sizeof(float), e), *cm = momu_malloc_array(cap * C + 1, sizeof(float), e);
    float *qz = momu_malloc_array(Tz + 1, sizeof(float), e);
    if (!wb || !ws || !ca || !cm || !qz) { free(wb); free(ws); free(ca); free(cm); free(qz); return MOMU_ERR_OOM; }
    size_t n = 0, st[MOMU_BICOR_MAX_WINDOWS];
    for (size_t b = 0; b < N; b++) {
        momu_bicor_q_to_latent(q + b * W, 2 * Tz <= W ? 2 * Tz : W, qz);
        size_t k = momu_bicor_select_windows_mixed(qz, Tz, n_windows, n_troughs, width, st);
        for (size_t i = 0; i < k; i++) { wb[n] = b; ws[n] = st[i]; n++; }
    }
    momu_bicor_segments(ca, za, Tz, C, wb, ws, n, width);
    momu_bicor_segments(cm, zm, Tz, C, wb, ws, n, width);
    for (size_t i = 0; i < n; i++) { unit(ca + i * C, C); unit(cm + i * C, C); }
    double hit[3] = {0}, chance[3] = {0};
    for (size_t i = 0; i < n; i++) {
        size_t best[3] = {n, n, n}, cnt[3] = {0};
        double bs[3] = {-2, -2, -2};
        for (size_t j = 0; j < n; j++) {
            double s = 0;
            for (size_t k = 0; k < C; k++) s += (double)cm[i * C + k] * ca[j * C + k];
            int in[3] = {wb[j] == wb[i], clip[wb[j]] == clip[wb[i]], 1};
            for (int m = 0; m < 3; m++)
                if (in[m]) {
                    cnt[m]++;
                    if (s > bs[m]) { bs[m] = s; best[m] = j; }
                }
        }
        size_t ti = start[wb[i]] + 2 * ws[i];
        for (int m = 0; m < 3; m++) {
            size_t j = best[m];
            hit[m] += j < n && clip[wb[j]] == clip[wb[i]] && start[wb[j]] + 2 * ws[j] == ti;
            chance[m] += 1.0 / (double)cnt[m];
        }
    }
    r->n = n;
    r->acc_window = n ? hit[0] / (double)n : NAN;
    r->acc_clip = n ? hit[1] / (double)n : NAN;
    r->acc_all = n ? hit[2] / (double)n : NAN;
    r->chance_window = n ? chance[0] / (double)n : NAN;
    r->chance_clip = n ? chance[1] / (double)n : NAN;
    r->chance_all = n ? chance[2] / (double)n : NAN;
    free(wb); free(ws); free(ca); free(cm); free(qz);
    return MOMU_OK;
}

int cli_eval_vae(int argc, char **argv) {
    const char *cmd = "eval vae", *music = NULL, *motion = NULL, *data = NULL, *split = "val", *out = NULL;
    size_t n_gl = 4, n_windows = 8, n_troughs = 4, max_windows = 0;
    const cli_opt opts[] = {
        {"music-vae", CLI_STR, &music, "music VAE checkpoint"},
        {"motion-vae", CLI_STR, &motion, "motion VAE checkpoint"},
        {"data", CLI_STR, &data, "prepared folder (momu data prepare)"},
        {"split", CLI_STR, &split, "val or train"},
        {"out", CLI_STR, &out, "also write the figures as JSON"},
        {"gl-windows", CLI_SIZE, &n_gl, "windows whose audio is rebuilt by Griffin-Lim (spectral convergence)"},
        {"windows", CLI_SIZE, &n_windows, "alignment: segments per prepared window (peaks of Q)"},
        {"troughs", CLI_SIZE, &n_troughs, "alignment: of --windows, this many at the stillest moments (smallest Q)"},
        {"max-windows", CLI_SIZE, &max_windows, "use only the first N windows of the split (0: all)"},
    };
    int rc = cli_parse(argc, argv, opts, sizeof opts / sizeof *opts, NULL, 0, NULL, cmd,
                       "--music-vae A --motion-vae M --data PREPARED_DIR [--split val] [--out FILE.json]");
    if (rc) return rc == 1 ? 0 : 2;
    if (!data || (!music && !motion)) return cli_errorf(cmd, "--data and at least one of --music-vae / --motion-vae are required"), 2;
    int val = !strcmp(split, "val");
    if (!val && strcmp(split, "train")) return cli_errorf(cmd, "--split: 'val' or 'train', got '%s'", split), 2;
    if (n_windows < 1 || n_windows > MOMU_BICOR_MAX_WINDOWS) return cli_errorf(cmd, "--windows: 1..%d", MOMU_BICOR_MAX_WINDOWS), 2;
    if (n_troughs > n_windows) return cli_errorf(cmd, "--troughs: at most --windows (%zu)", n_windows), 2;
    momu_err e = {0};
    momu_vae_ckpt cmu, cmo;
    memset(&cmu, 0, sizeof cmu);
    memset(&cmo, 0, sizeof cmo);
    momu_vae_data d;
    memset(&d, 0, sizeof d);
    music_res mr = {0};
    motion_res or_ = {0};
    align_res ar = {0};
    float *za = NULL, *zm = NULL;
    int fail = 0;
    if (music && momu_vae_ckpt_load(music, MOMU_VAE_MUSIC, 1, &cmu, &e)) fail = 1;
    if (!fail && motion && momu_vae_ckpt_load(motion, MOMU_VAE_MOTION, 1, &cmo, &e)) fail = 1;
    if (!fail && momu_vae_data_load(data, motion != NULL, &d, &e)) fail = 1;
    if (!fail && motion && d.D != cmo.vae.cfg.in_dim)
        fail = momu_fail(&e, MOMU_ERR_FORMAT, "%s: motion features of dim %zu, %s expects %zu", data, d.D, motion,
                         cmo.vae.cfg.in_dim) != 0;
    if (!fail && music && d.M != cmu.vae.cfg.in_dim)
        fail = momu_fail(&e, MOMU_ERR_FORMAT, "%s: %zu mel bands, %s expects %zu", data, d.M, music, cmu.vae.cfg.in_dim) != 0;
    if (!fail && music && motion && cmu.vae.cfg.z_channels != cmo.vae.cfg.z_channels)
        fail = momu_fail(&e, MOMU_ERR_FORMAT, "%s and %s: latent channels %zu vs %zu", music, motion,
                         cmu.vae.cfg.z_channels, cmo.vae.cfg.z_channels) != 0;
    if (!fail && !val && !d.train_clip) fail = momu_fail(&e, MOMU_ERR_IO, "%s: no train_index.tsv", data) != 0;
    size_t N = val ? d.n_val : d.n_train, W = d.W;
    if (max_windows && max_windows < N) N = max_windows;
    const float *mel = val ? d.val_mel : d.train_mel, *mot = val ? d.val_mot : d.train_mot;
    const float *q = val ? d.val_q : d.train_q;
    const size_t *clip = val ? d.val_clip : d.train_clip, *start = val ? d.val_start : d.train_start;
    size_t Tz = 0, C = 0;
    if (!fail && music && motion) {
        Tz = momu_vae_latent_len(&cmu.vae, 4 * W);
        C = cmu.vae.cfg.z_channels;
        if (momu_vae_latent_len(&cmo.vae, W) != Tz)
            fail = momu_fail(&e, MOMU_ERR_FORMAT, "latent clocks differ: %zu music vs %zu motion latent frames",
                             Tz, momu_vae_latent_len(&cmo.vae, W)) != 0;
        za = momu_malloc_array(N * Tz * C + 1, sizeof(float), &e);
        zm = momu_malloc_array(N * Tz * C + 1, sizeof(float), &e);
        if (!za || !zm) fail = 1;
    }
    if (!fail && !N) fail = momu_fail(&e, MOMU_ERR_ARG, "%s: no %s windows", data, split) != 0;
    if (!fail && music && eval_music(&cmu, mel, N, 4 * W, d.M, d.mel_mean, d.mel_std, n_gl, za, &mr, &e)) fail = 1;
    if (!fail && motion && eval_motion(&cmo, mot, N, W, d.D, &d.mot_stats, zm, &or_, &e)) fail = 1;
    size_t width = 4;
    if (!fail && motion) {
        const char *wv = safetensors_meta_get(&cmo.meta, "bicor.width_latent_frames");
        if (wv) width = (size_t)strtoull(wv, NULL, 10);
        if (!width) width = 4;
    }
    if (!fail && music && motion && eval_align(za, zm, q, N, W, Tz, C, clip, start, n_windows, n_troughs, width, &ar,
                                                 &e)) fail = 1;
    if (fail) {
        free(za); free(zm);
        momu_vae_data_free(&d);
        momu_vae_ckpt_free(&cmu);
        momu_vae_ckpt_free(&cmo);
        return cli_error(cmd, &e);
    }
    printf("split %s, %zu windows of %.2f s\n", split, N, (double)W / MOMU_DWM_FPS);
    if (music)
        printf("music  (%s, step %zu): log-mel L1 %.4f normalised, %.4f log10; spectral convergence of Griffin-Lim "
               "audio %.4f (Griffin-Lim of the input mel %.4f, %zu windows)\n",
               music, cmu.step, mr.l1_norm, mr.l1_log10, mr.sc_vae, mr.sc_gl, mr.n_gl);
    if (motion)
        printf("motion (%s, step %zu): MPJPE pose %.1f mm, root-aligned %.1f mm, global %.1f mm; velocity error "
               "%.1f mm/s\n", motion, cmo.step, or_.mpjpe_pose, or_.mpjpe_root, or_.mpjpe_global, or_.vel);
    if (music && motion)
        printf("alignment: %zu motion segments (width %zu latent frames), top-1 music retrieval: same window %.3f "
               "(chance %.3f), same clip %.3f (chance %.3f), all %.3f (chance %.4f)\n",
               ar.n, width, ar.acc_window, ar.chance_window, ar.acc_clip, ar.chance_clip, ar.acc_all, ar.chance_all);
    if (out) {
        momu_atomic a;
        if (momu_atomic_open(&a, out, &e)) fail = 1;
        else {
            FILE *f = a.f;
            fprintf(f, "{\n  \"split\": \"%s\", \"windows\": %zu, \"window_seconds\": %.2f", split, N,
                    (double)W / MOMU_DWM_FPS);
            if (music)
                fprintf(f, ",\n  \"music\": {\"checkpoint\": "), momu_json_write_string(f, music),
                fprintf(f, ", \"step\": %zu, \"logmel_l1_normalised\": %.6f, "
                        "\"logmel_l1_log10\": %.6f, \"gl_windows\": %zu, \"spectral_convergence\": %.6f, "
                        "\"spectral_convergence_gl_of_input\": %.6f}", cmu.step, mr.l1_norm, mr.l1_log10,
                        mr.n_gl, mr.sc_vae, mr.sc_gl);
            if (motion)
                fprintf(f, ",\n  \"motion\": {\"checkpoint\": "), momu_json_write_string(f, motion),
                fprintf(f, ", \"step\": %zu, \"mpjpe_pose_mm\": %.3f, \"mpjpe_root_aligned_mm\": %.3f, "
                        "\"mpjpe_global_mm\": %.3f, \"velocity_error_mm_s\": %.3f}", cmo.step, or_.mpjpe_pose,
                        or_.mpjpe_root, or_.mpjpe_global, or_.vel);
            if (music && motion)
                fprintf(f, ",\n  \"alignment\": {\"segments\": %zu, \"width_latent_frames\": %zu, \"top1_same_window\": %.6f, "
                        "\"chance_same_window\": %.6f, \"top1_same_clip\": %.6f, \"chance_same_clip\": %.6f, "
                        "\"top1_all\": %.6f, \"chance_all\": %.6f}", ar.n, width, ar.acc_window, ar.chance_window,
                        ar.acc_clip, ar.chance_clip, ar.acc_all, ar.chance_all);
            fprintf(f, "\n}\n");
            if (momu_atomic_commit(&a, &e)) fail = 1;
        }
    }
    free(za); free(zm);
    momu_vae_data_free(&d);
    momu_vae_ckpt_free(&cmu);
    momu_vae_ckpt_free(&cmo);
    return fail ? cli_error(cmd, &e) : 0;
}
