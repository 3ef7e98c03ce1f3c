/* Rhythmic contrastive loss (include/momu/bicor.h): window choice on a synthetic Q, the loss on hand-made
 * latents (aligned latents give a small loss, shuffled ones a large one), finite-difference gradients in
 * double precision of the whole pipeline (window max-pool + InfoNCE) for both latents, Q from features. */
#include <math.h>

#include "momu/bicor.h"
#include "momu/motion.h"
#include "momu/nn_layers.h"
#include "momu/rng.h"
#include "test.h"

TEST(select_windows_nms) {
    /* peaks at 5 (3.0), 6 (2.5, overlaps 5's window), 14 (2.0), 1 (1.5: window would start at -1) */
    float qz[20] = {0};
    qz[5] = 3.0f; qz[6] = 2.5f; qz[14] = 2.0f; qz[1] = 1.5f; qz[10] = 0.5f;
    size_t s[8];
    size_t n = momu_bicor_select_windows(qz, 20, 3, 4, s);
    EXPECT(n == 3, "n %zu", n);
    EXPECT(s[0] == 3, "first window start %zu (peak 5, width 4 -> 3)", s[0]);
    EXPECT(s[1] == 12, "second window start %zu (peak 14 -> 12)", s[1]);
    /* third: frames 6 and 1 are blocked (overlap / do not fit at 1? 1-2 < 0), so the best remaining fit */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++) EXPECT(s[i] + 4 <= s[j] || s[j] + 4 <= s[i], "windows %zu %zu overlap", i, j);
    for (size_t i = 0; i < n; i++) EXPECT(s[i] + 4 <= 20, "window %zu out of range", i);
    /* a crop shorter than a window: none; exactly one window: one */
    EXPECT(momu_bicor_select_windows(qz, 3, 4, 4, s) == 0, "short crop");
    EXPECT(momu_bicor_select_windows(qz, 4, 4, 4, s) == 1 && s[0] == 0, "one window");
    /* at most floor(Tz / w) disjoint windows */
    EXPECT(momu_bicor_select_windows(qz, 20, 64, 4, s) <= 5, "too many windows");
}

TEST(select_windows_troughs) {
    /* a rising ramp with one spike: the peak window goes round the spike, the trough windows to the low end */
    float qz[20];
    for (int i = 0; i < 20; i++) qz[i] = (float)i * 0.1f;
    qz[12] = 10.0f;
    size_t s[8];
    size_t n = momu_bicor_select_windows_mixed(qz, 20, 3, 2, 4, s);
    EXPECT(n == 3, "n %zu", n);
    EXPECT(s[0] == 10, "peak window start %zu (peak 12 -> 10)", s[0]);
    EXPECT(s[1] == 0, "first trough window start %zu (smallest q at 2, the first centre that fits)", s[1]);
    EXPECT(s[2] == 4, "second trough window start %zu (next disjoint window above it)", s[2]);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++) EXPECT(s[i] + 4 <= s[j] || s[j] + 4 <= s[i], "windows %zu %zu overlap", i, j);
    /* troughs = 0 is the peak-only choice; troughs > windows is clamped */
    size_t a[8], b[8];
    size_t na = momu_bicor_select_windows_mixed(qz, 20, 3, 0, 4, a), nb = momu_bicor_select_windows(qz, 20, 3, 4, b);
    EXPECT(na == nb && !memcmp(a, b, na * sizeof *a), "troughs 0 differs from the peak-only choice");
    EXPECT(momu_bicor_select_windows_mixed(qz, 20, 2, 5, 4, s) == 2 && s[0] == 0, "all troughs: start %zu", s[0]);
    momu_bicor_config c;
    momu_bicor_config_default(&c);
    c.troughs = c.n_windows + 1;
    momu_err e = {0};
    EXPECT(momu_bicor_config_check(&c, &e) != MOMU_OK, "troughs > windows accepted");
}

TEST(q_to_latent) {
    float q[6] = {1, 3, 2, 0, 5, 5}, qz[3];
    momu_bicor_q_to_latent(q, 6, qz);
    EXPECT(qz[0] == 3 && qz[1] == 2 && qz[2] == 5, "qz %g %g %g", qz[0], qz[1], qz[2]);
}

enum { B = 2, TZ = 10, C = 5, W = 3 };

static double loss_at(momu_bicor_ws *ws, const float *za, const float *zm, const size_t *wb, const size_t *wsv,
                      size_t n, float tau) {
    float l = 0;
    momu_err e = {0};
    momu_bicor_loss_forward(ws, za, zm, B, TZ, C, wb, wsv, n, W, tau, &l, &e);
    return l;
}

static void fd_case(int same_crop) {
    momu_rng r;
    momu_rng_seed(&r, 7);
    float za[B * TZ * C], zm[B * TZ * C];
    momu_rng_fill_normal(&r, za, B * TZ * C, 1.0f);
    momu_rng_fill_normal(&r, zm, B * TZ * C, 1.0f);
    const size_t wb[4] = {0, 0, 1, 1}, wsv[4] = {0, 5, 2, 7};
    const size_t n = 4;
    const float tau = 0.5f;
    momu_bicor_ws ws;
    momu_err e = {0};
    EXPECT(momu_bicor_ws_alloc(&ws, 8, C, &e) == MOMU_OK, "%s", e.msg);
    ws.same_crop_only = same_crop;
    /* reference value: segment max by hand, then the InfoNCE of nn_layers.h */
    float ca[4 * C], cm[4 * C], saved[NN_INFONCE_SAVED(4)];
    for (size_t k = 0; k < n; k++)
        for (size_t c = 0; c < C; c++) {
            float ma = -1e30f, mm = -1e30f;
            for (size_t t = 0; t < W; t++) {
                size_t i = (wb[k] * TZ + wsv[k] + t) * C + c;
                ma = fmaxf(ma, za[i]);
                mm = fmaxf(mm, zm[i]);
            }
            ca[k * C + c] = ma;
            cm[k * C + c] = mm;
        }
    double ref = same_crop ? 0.5 * (nn_infonce_loss_forward(saved, ca, cm, 2, C, tau) +
                                    nn_infonce_loss_forward(saved, ca + 2 * C, cm + 2 * C, 2, C, tau))
                           : nn_infonce_loss_forward(saved, ca, cm, n, C, tau);
    double got = loss_at(&ws, za, zm, wb, wsv, n, tau);
    EXPECT(fabs(got - ref) < 1e-6, "loss %.8f ref %.8f", got, ref);

    float dza[B * TZ * C] = {0}, dzm[B * TZ * C] = {0};
    loss_at(&ws, za, zm, wb, wsv, n, tau);
    momu_bicor_loss_backward(&ws, dza, dzm, 1.0f);
    /* accumulation: a second backward doubles */
    float dzm2[B * TZ * C];
    memcpy(dzm2, dzm, sizeof dzm);
    momu_bicor_loss_backward(&ws, NULL, dzm2, 1.0f);
    int acc_ok = 1;
    for (size_t i = 0; i < B * TZ * C; i++) acc_ok &= fabsf(dzm2[i] - 2 * dzm[i]) <= 1e-6f * (1 + fabsf(dzm[i]));
    EXPECT(acc_ok, "backward does not accumulate");
    /* central differences, eps small against the gaps between window values (max-pool is piecewise linear) */
    const double eps = 1e-3;
    double err_sum = 0;
    size_t n_cmp = 0, n_nonzero = 0;
    for (int side = 0; side < 2; side++) {
        float *z = side ? zm : za;
        const float *g = side ? dzm : dza;
        for (size_t i = 0; i < B * TZ * C; i++) {
            float keep = z[i];
            z[i] = keep + (float)eps;
            double lp = loss_at(&ws, za, zm, wb, wsv, n, tau);
            z[i] = keep - (float)eps;
            double lm = loss_at(&ws, za, zm, wb, wsv, n, tau);
            z[i] = keep;
            double fd = (lp - lm) / (2 * eps);
            double a = g[i];
            if (fabs(fd) + fabs(a) > 1e-6) {
                err_sum += fabs(a - fd) / (fabs(a) + fabs(fd));
                n_cmp++;
            }
            if (a != 0) n_nonzero++;
            EXPECT(fabs(a - fd) <= 2e-3 + 2e-2 * fabs(fd), "side %d [%zu] grad %.6g fd %.6g", side, i, a, fd);
        }
    }
    EXPECT(n_nonzero >= 2 * n * C - 2, "only %zu non-zero gradient entries", n_nonzero);
    EXPECT(n_cmp && err_sum / (double)n_cmp < 1e-2, "mean relative error %.3g", err_sum / (double)n_cmp);
    /* frames outside every window get no gradient */
    EXPECT(dzm[(0 * TZ + 3) * C] == 0 && dzm[(0 * TZ + 4) * C] == 0, "gradient outside the windows");
    momu_bicor_ws_free(&ws);
}

TEST(loss_value_and_fd_gradient) { fd_case(0); }
TEST(loss_same_crop_negatives_fd_gradient) { fd_case(1); }

TEST(aligned_latents_have_lower_loss) {
    momu_rng r;
    momu_rng_seed(&r, 3);
    enum { TZ2 = 40, C2 = 8 };
    float za[TZ2 * C2], zm[TZ2 * C2], zs[TZ2 * C2];
    momu_rng_fill_normal(&r, za, TZ2 * C2, 1.0f);
    for (size_t i = 0; i < TZ2 * C2; i++) zm[i] = za[i] + 0.05f * momu_rng_normal(&r);
    /* shifted: the motion latent 20 frames later (another window's content) */
    for (size_t t = 0; t < TZ2; t++) memcpy(zs + t * C2, za + ((t + 20) % TZ2) * C2, C2 * sizeof(float));
    size_t wb[8] = {0}, wsv[8] = {0, 5, 10, 15, 20, 25, 30, 35};
    momu_bicor_ws ws;
    momu_err e = {0};
    momu_bicor_ws_alloc(&ws, 8, C2, &e);
    float la = 0, ls = 0;
    EXPECT(!momu_bicor_loss_forward(&ws, za, zm, 1, TZ2, C2, wb, wsv, 8, 4, 0.1f, &la, &e), "%s", e.msg);
    EXPECT(!momu_bicor_loss_forward(&ws, za, zs, 1, TZ2, C2, wb, wsv, 8, 4, 0.1f, &ls, &e), "%s", e.msg);
    EXPECT(la < 0.5f && ls > 2.0f && ls > 5 * la, "aligned %g shifted %g", la, ls);
    /* bad windows are refused */
    wsv[0] = 38;
    EXPECT(momu_bicor_loss_forward(&ws, za, zm, 1, TZ2, C2, wb, wsv, 8, 4, 0.1f, &la, &e) == MOMU_ERR_ARG,
           "window past the end accepted");
    momu_bicor_ws_free(&ws);
    momu_bicor_config cfg;
    momu_bicor_config_default(&cfg);
    cfg.tau = 0;
    momu_err_clear(&e);
    EXPECT(momu_bicor_config_check(&cfg, &e) == MOMU_ERR_ARG, "tau 0 accepted");
}

TEST(q_from_features_peaks_at_a_sudden_move) {
    /* DwM skeleton standing still, one wrist jerks sideways from frame 30 on: Q peaks near frame 30 */
    momu_err e = {0};
    momu_motion m = {0};
    const size_t T = 60, J = MOMU_DWM_JOINTS;
    EXPECT(momu_motion_alloc(&m, T, J, 25.0f, &e) == MOMU_OK, "%s", e.msg);
    momu_skeleton_free(&m.skel);
    momu_skeleton_dwm(&m.skel, &e);
    for (size_t t = 0; t < T; t++)
        for (size_t j = 0; j < J; j++) {
            float *p = m.pos + (t * J + j) * 3;
            p[0] = (float)((int)(j % 5) - 2) * 10.0f;
            p[1] = 100.0f + (float)j * 3.0f;
            p[2] = (float)(j % 3) * 5.0f;
            if (j == 6 && t >= 30) p[0] += (float)(t - 29) * 4.0f;
        }
    /* hips on either side, feet low */
    size_t D = momu_features_dim(J);
    float *feat = malloc(T * D * sizeof(float)), *q = malloc(T * sizeof(float));
    EXPECT(momu_motion_to_features(&m, feat, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_bicor_feature_q(feat, T, J, 25.0f, q, &e) == MOMU_OK, "%s", e.msg);
    size_t arg = 0;
    for (size_t t = 0; t < T; t++) if (q[t] > q[arg]) arg = t;
    EXPECT(arg >= 28 && arg <= 30, "Q peak at %zu (expected ~29)", arg);
    free(feat);
    free(q);
    momu_motion_free(&m);
}

int main(void) {
    RUN(select_windows_nms);
    RUN(select_windows_troughs);
    RUN(q_to_latent);
    RUN(loss_value_and_fd_gradient);
    RUN(loss_same_crop_negatives_fd_gradient);
    RUN(aligned_latents_have_lower_loss);
    RUN(q_from_features_peaks_at_a_sudden_move);
    return test_summary();
}
