/* Tests for the nn layers: GEMM layouts against the naive loop, every fast kernel against its _ref twin,
 * PyTorch 1.13 parity from tests/fixtures/nn (tools/nn_fixtures.py), the lean attention against the
 * training attention, dropout statistics, and byte-identical results for 1 and 2 OpenMP threads.
 *
 * Tolerances: PyTorch parity |got - ref| <= PAR_ATOL + PAR_RTOL |ref| with PAR_RTOL = 1e-4, PAR_ATOL = 1e-5
 * (the references are float64 computations on the float32 inputs, values are O(1), and float32 kernels
 * carry ~1e-6 relative rounding; 1e-5 absolute covers outputs that are near zero by cancellation).
 * Fast vs ref: the same bound, since the refs accumulate in double and the fast kernels in float over at
 * most a few hundred terms. Dimension vocabulary as in nn_layers.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "momu/nn_gemm.h"
#include "momu/nn_layers.h"
#include "momu/npy.h"
#include "momu/rng.h"
#include "test.h"
#include "../src/nn/layers_util.h"   /* nn_expf */

#define PAR_RTOL 1e-4
#define PAR_ATOL 1e-5
#define FIX_DIR "tests/fixtures/nn/"

static momu_rng g_rng;
static double g_worst_parity_rel;   /* over all parity comparisons, for the summary line */

static float *frand(size_t n, float scale) {
    float *x = malloc((n ? n : 1) * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = scale * momu_rng_normal(&g_rng);
    return x;
}
static float *fzero(size_t n) { return calloc(n ? n : 1, sizeof(float)); }

/* test_close plus a report line: max abs error, and max relative error over elements with |ref| > 1e-3. */
static int close_report(const char *what, const float *got, const float *ref, size_t n, int parity) {
    double mabs = 0.0, mrel = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - ref[i]);
        if (d > mabs) mabs = d;
        if (fabs(ref[i]) > 1e-3 && d / fabs(ref[i]) > mrel) mrel = d / fabs(ref[i]);
    }
    if (parity) {
        printf("# parity %-26s n=%-4zu max abs %.2e  max rel %.2e\n", what, n, mabs, mrel);
        if (mrel > g_worst_parity_rel) g_worst_parity_rel = mrel;
    }
    return test_close(what, got, ref, n, PAR_ATOL, PAR_RTOL);
}

/* ------------------------------------------------------------------------------------------- GEMM */
TEST(gemm_layouts_match_naive) {
    /* the last shape spans several row blocks (64), column panels (48 or 24) and k chunks (256) */
    size_t shapes[][3] = {{3, 5, 7}, {17, 9, 33}, {64, 48, 80}, {1, 130, 40}, {130, 100, 600}};
    for (size_t si = 0; si < 5; si++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                size_t m = shapes[si][0], n = shapes[si][1], k = shapes[si][2];
                size_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 5;
                float *a = frand((ta ? k : m) * lda, 1), *b = frand((tb ? n : k) * ldb, 1);
                float *c0 = frand(m * ldc, 1), *c1 = malloc(m * ldc * sizeof *c1), *c2 = malloc(m * ldc * sizeof *c2);
                memcpy(c1, c0, m * ldc * sizeof *c1);
                memcpy(c2, c0, m * ldc * sizeof *c2);
                nn_gemm_ref((nn_gemm_trans)ta, (nn_gemm_trans)tb, m, n, k, 0.7f, a, lda, b, ldb, 0.5f, c0, ldc);
                nn_gemm((nn_gemm_trans)ta, (nn_gemm_trans)tb, m, n, k, 0.7f, a, lda, b, ldb, 0.5f, c1, ldc);
                nn_gemm_serial((nn_gemm_trans)ta, (nn_gemm_trans)tb, m, n, k, 0.7f, a, lda, b, ldb, 0.5f, c2, ldc);
                /* sums of k products of N(0,1) values: |c| ~ sqrt(k), float error ~ 1e-7 sqrt(k) |c| */
                EXPECT(test_close("gemm", c1, c0, m * ldc, 2e-4, 1e-4), "nn_gemm %zu ta%d tb%d", si, ta, tb);
                EXPECT(test_close("gemm_serial", c2, c0, m * ldc, 2e-4, 1e-4), "serial %zu ta%d tb%d", si, ta, tb);
                free(a); free(b); free(c0); free(c1); free(c2);
            }
    /* beta = 0 must not read C: NaN in C stays out of the result */
    float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 0, 0, 1, 1, 1}, c[4] = {NAN, NAN, NAN, NAN};
    nn_gemm_nn(c, a, b, 2, 2, 3, 1.0f, 0.0f);   /* [1 2 3;4 5 6] [1 0;0 1;1 1] = [4 5; 10 11] */
    EXPECT(c[0] == 4 && c[1] == 5 && c[2] == 10 && c[3] == 11, "%g %g %g %g", c[0], c[1], c[2], c[3]);
}

/* ------------------------------------------------------------------------------ PyTorch fixtures */
typedef struct { momu_npy a[16]; int n; } fixset;
static float *fx(fixset *s, const char *cs, const char *name, size_t *numel) {
    char path[256];
    snprintf(path, sizeof path, FIX_DIR "%s_%s.npy", cs, name);
    momu_err e = {0};
    momu_npy *a = &s->a[s->n];
    if (momu_npy_read(path, a, 1, &e) != MOMU_OK) {
        EXPECT(0, "%s", e.msg);
        return NULL;
    }
    s->n++;
    if (numel) *numel = a->numel;
    return a->data;
}
static void fix_free(fixset *s) {
    for (int i = 0; i < s->n; i++) momu_npy_free(&s->a[i]);
    s->n = 0;
}
/* compare got to fixture <case>_<name> */
static int fx_cmp(fixset *s, const char *cs, const char *name, const float *got, size_t n) {
    size_t m = 0;
    const float *ref = fx(s, cs, name, &m);
    if (!ref) return 0;
    if (m != n) { fprintf(stderr, "  %s_%s: %zu values, expected %zu\n", cs, name, m, n); return 0; }
    char what[96];
    snprintf(what, sizeof what, "%s.%s", cs, name);
    return close_report(what, got, ref, n, 1);
}

TEST(parity_linear) {
    fixset s = {0};
    size_t N = 3, Ci = 5, Co = 4;
    float *x = fx(&s, "linear", "x", NULL), *w = fx(&s, "linear", "w", NULL), *b = fx(&s, "linear", "b", NULL),
          *dy = fx(&s, "linear", "dy", NULL);
    if (!x || !w || !b || !dy) { fix_free(&s); return; }
    for (int ref = 0; ref < 2; ref++) {
        float y[12], dx[15] = {0}, dw[20] = {0}, db[4] = {0};
        (ref ? nn_linear_forward_ref : nn_linear_forward)(y, x, w, b, N, Ci, Co);
        (ref ? nn_linear_backward_ref : nn_linear_backward)(dx, dw, db, dy, x, w, N, Ci, Co);
        EXPECT(fx_cmp(&s, "linear", "y", y, 12) && fx_cmp(&s, "linear", "dx", dx, 15) &&
               fx_cmp(&s, "linear", "dw", dw, 20) && fx_cmp(&s, "linear", "db", db, 4), "linear ref=%d", ref);
    }
    fix_free(&s);
}

static void parity_conv_case(const char *cs, int transpose) {
    fixset s = {0};
    float *gm = fx(&s, cs, "geom", NULL);
    if (!gm) return;
    nn_conv1d_geom g = {(size_t)gm[0], (size_t)gm[1], (size_t)gm[2], (size_t)gm[3], (size_t)gm[4], (size_t)gm[5]};
    size_t B = (size_t)gm[6], T = (size_t)gm[7], Ci = (size_t)gm[8], Co = (size_t)gm[9], nw;
    float *x = fx(&s, cs, "x", NULL), *w = fx(&s, cs, "w", &nw), *b = fx(&s, cs, "b", NULL), *dy = fx(&s, cs, "dy", NULL);
    if (!x || !w || !b || !dy) { fix_free(&s); return; }
    size_t To = transpose ? nn_conv_transpose1d_out_len(T, &g) : nn_conv1d_out_len(T, &g);
    for (int ref = 0; ref < 2; ref++) {
        float *y = fzero(B * To * Co), *dx = fzero(B * T * Ci), *dw = fzero(nw), *db = fzero(Co);
        if (transpose) {
            (ref ? nn_conv_transpose1d_forward_ref : nn_conv_transpose1d_forward)(y, x, w, b, B, T, Ci, Co, &g);
            (ref ? nn_conv_transpose1d_backward_ref : nn_conv_transpose1d_backward)(dx, dw, db, dy, x, w, B, T, Ci, Co, &g);
        } else {
            (ref ? nn_conv1d_forward_ref : nn_conv1d_forward)(y, x, w, b, B, T, Ci, Co, &g);
            (ref ? nn_conv1d_backward_ref : nn_conv1d_backward)(dx, dw, db, dy, x, w, B, T, Ci, Co, &g);
        }
        EXPECT(fx_cmp(&s, cs, "y", y, B * To * Co) && fx_cmp(&s, cs, "dx", dx, B * T * Ci) &&
               fx_cmp(&s, cs, "dw", dw, nw) && fx_cmp(&s, cs, "db", db, Co), "%s ref=%d", cs, ref);
        free(y); free(dx); free(dw); free(db);
    }
    fix_free(&s);
}
TEST(parity_conv) {
    parity_conv_case("conv1d_a", 0);
    parity_conv_case("conv1d_b", 0);
    parity_conv_case("conv1d_c", 0);
    parity_conv_case("convt_a", 1);
    parity_conv_case("convt_b", 1);
}

TEST(parity_resampling) {
    for (int ref = 0; ref < 2; ref++) {
        fixset s = {0};
        float *x = fx(&s, "upsample", "x", NULL), *dy = fx(&s, "upsample", "dy", NULL);
        float y[60], dx[30] = {0};
        if (x && dy) {
            (ref ? nn_upsample_forward_ref : nn_upsample_forward)(y, x, 2, 5, 3, 2);
            (ref ? nn_upsample_backward_ref : nn_upsample_backward)(dx, dy, 2, 5, 3, 2);
            EXPECT(fx_cmp(&s, "upsample", "y", y, 60) && fx_cmp(&s, "upsample", "dx", dx, 30), "upsample");
        }
        fix_free(&s);
        x = fx(&s, "avgpool", "x", NULL); dy = fx(&s, "avgpool", "dy", NULL);
        float ya[12], dxa[48] = {0};
        if (x && dy) {
            (ref ? nn_avgpool_forward_ref : nn_avgpool_forward)(ya, x, 2, 8, 3, 3);
            (ref ? nn_avgpool_backward_ref : nn_avgpool_backward)(dxa, dy, 2, 8, 3, 3);
            EXPECT(fx_cmp(&s, "avgpool", "y", ya, 12) && fx_cmp(&s, "avgpool", "dx", dxa, 48), "avgpool");
        }
        fix_free(&s);
        x = fx(&s, "maxpool", "x", NULL); dy = fx(&s, "maxpool", "dy", NULL);
        float ym[24], dxm[54] = {0};
        size_t idx[24];
        if (x && dy) {
            (ref ? nn_maxpool_forward_ref : nn_maxpool_forward)(ym, idx, x, 2, 9, 3, 3, 2);
            (ref ? nn_maxpool_backward_ref : nn_maxpool_backward)(dxm, dy, idx, 2, 4, 9, 3);
            EXPECT(fx_cmp(&s, "maxpool", "y", ym, 24) && fx_cmp(&s, "maxpool", "dx", dxm, 54), "maxpool");
        }
        fix_free(&s);
    }
}

static void parity_norm(const char *cs, int group, int affine, size_t B, size_t T, size_t C, size_t G, float eps) {
    fixset s = {0};
    size_t n = B * T * C, ns = group ? B * G : B * T;
    float *x = fx(&s, cs, "x", NULL), *dy = fx(&s, cs, "dy", NULL);
    float *w = affine ? fx(&s, cs, "w", NULL) : NULL, *b = affine ? fx(&s, cs, "b", NULL) : NULL;
    if (!x || !dy || (affine && (!w || !b))) { fix_free(&s); return; }
    for (int ref = 0; ref < 2; ref++) {
        float *y = fzero(n), *dx = fzero(n), *dw = fzero(C), *db = fzero(C), *mean = fzero(ns), *rstd = fzero(ns);
        if (group) {
            (ref ? nn_groupnorm_forward_ref : nn_groupnorm_forward)(y, mean, rstd, x, w, b, B, T, C, G, eps);
            (ref ? nn_groupnorm_backward_ref : nn_groupnorm_backward)(dx, dw, db, dy, x, mean, rstd, w, B, T, C, G);
        } else {
            (ref ? nn_layernorm_forward_ref : nn_layernorm_forward)(y, mean, rstd, x, w, b, B * T, C, eps);
            (ref ? nn_layernorm_backward_ref : nn_layernorm_backward)(dx, dw, db, dy, x, mean, rstd, w, B * T, C);
        }
        int ok = fx_cmp(&s, cs, "y", y, n) && fx_cmp(&s, cs, "dx", dx, n);
        if (affine) ok = ok && fx_cmp(&s, cs, "dw", dw, C) && fx_cmp(&s, cs, "db", db, C);
        EXPECT(ok, "%s ref=%d", cs, ref);
        free(y); free(dx); free(dw); free(db); free(mean); free(rstd);
    }
    fix_free(&s);
}
TEST(parity_norms) {
    parity_norm("layernorm", 0, 1, 2, 3, 8, 1, 1e-5f);
    parity_norm("layernorm_plain", 0, 0, 2, 3, 8, 1, 1e-6f);
    parity_norm("groupnorm", 1, 1, 2, 5, 8, 4, 1e-5f);
    parity_norm("groupnorm_plain", 1, 0, 2, 5, 8, 2, 1e-6f);
}

TEST(parity_activations) {
    typedef void (*fwd_fn)(float *, const float *, size_t);
    typedef void (*bwd_fn)(float *, const float *, const float *, size_t);
    const char *cs[3] = {"silu", "gelu_tanh", "gelu_erf"};
    fwd_fn f[2][3] = {{nn_silu_forward, nn_gelu_tanh_forward, nn_gelu_erf_forward},
                      {nn_silu_forward_ref, nn_gelu_tanh_forward_ref, nn_gelu_erf_forward_ref}};
    bwd_fn bw[2][3] = {{nn_silu_backward, nn_gelu_tanh_backward, nn_gelu_erf_backward},
                       {nn_silu_backward_ref, nn_gelu_tanh_backward_ref, nn_gelu_erf_backward_ref}};
    for (int k = 0; k < 3; k++)
        for (int ref = 0; ref < 2; ref++) {
            fixset s = {0};
            float *x = fx(&s, cs[k], "x", NULL), *dy = fx(&s, cs[k], "dy", NULL), y[64], dx[64] = {0};
            if (x && dy) {
                f[ref][k](y, x, 64);
                bw[ref][k](dx, dy, x, 64);
                EXPECT(fx_cmp(&s, cs[k], "y", y, 64) && fx_cmp(&s, cs[k], "dx", dx, 64), "%s ref=%d", cs[k], ref);
            }
            fix_free(&s);
        }
}

TEST(parity_adaln) {
    for (int ref = 0; ref < 2; ref++) {
        fixset s = {0};
        float *x = fx(&s, "modulate", "x", NULL), *sh = fx(&s, "modulate", "shift", NULL),
              *sc = fx(&s, "modulate", "scale", NULL), *dy = fx(&s, "modulate", "dy", NULL);
        float y[30], dx[30] = {0}, dsh[10] = {0}, dsc[10] = {0};
        if (x && sh && sc && dy) {
            (ref ? nn_modulate_forward_ref : nn_modulate_forward)(y, x, sh, sc, 2, 3, 5);
            (ref ? nn_modulate_backward_ref : nn_modulate_backward)(dx, dsh, dsc, dy, x, sc, 2, 3, 5);
            EXPECT(fx_cmp(&s, "modulate", "y", y, 30) && fx_cmp(&s, "modulate", "dx", dx, 30) &&
                   fx_cmp(&s, "modulate", "dshift", dsh, 10) && fx_cmp(&s, "modulate", "dscale", dsc, 10), "modulate");
        }
        fix_free(&s);
        float *r = fx(&s, "gate_add", "res", NULL), *gt = fx(&s, "gate_add", "gate", NULL),
              *h = fx(&s, "gate_add", "h", NULL);
        dy = fx(&s, "gate_add", "dy", NULL);
        float o[30], dr[30] = {0}, dg[10] = {0}, dh[30] = {0};
        if (r && gt && h && dy) {
            (ref ? nn_gate_add_forward_ref : nn_gate_add_forward)(o, r, gt, h, 2, 3, 5);
            (ref ? nn_gate_add_backward_ref : nn_gate_add_backward)(dr, dg, dh, dy, gt, h, 2, 3, 5);
            EXPECT(fx_cmp(&s, "gate_add", "y", o, 30) && fx_cmp(&s, "gate_add", "dres", dr, 30) &&
                   fx_cmp(&s, "gate_add", "dgate", dg, 10) && fx_cmp(&s, "gate_add", "dh", dh, 30), "gate_add");
        }
        fix_free(&s);
    }
}

TEST(parity_timestep_rope) {
    fixset s = {0};
    float *t = fx(&s, "timestep", "t", NULL), y[36], y2[64];
    if (t) {
        nn_timestep_embedding(y, t, 4, 9, 10000.0f);
        EXPECT(fx_cmp(&s, "timestep", "y", y, 36), "odd dim");
        nn_timestep_embedding(y2, t, 4, 16, 10000.0f);
        EXPECT(fx_cmp(&s, "timestep_even", "y", y2, 64), "even dim");
    }
    fix_free(&s);
    for (int ref = 0; ref < 2; ref++) {
        float *x = fx(&s, "rope", "x", NULL), *dy = fx(&s, "rope", "dy", NULL), yr[120], dx[120] = {0};
        if (x && dy) {
            (ref ? nn_rope_forward_ref : nn_rope_forward)(yr, x, 2, 5, 2, 6, 12, 12, 3, 10000.0f);
            (ref ? nn_rope_backward_ref : nn_rope_backward)(dx, dy, 2, 5, 2, 6, 12, 12, 3, 10000.0f);
            EXPECT(fx_cmp(&s, "rope", "y", yr, 120) && fx_cmp(&s, "rope", "dx", dx, 120), "rope ref=%d", ref);
        }
        fix_free(&s);
    }
}

static void parity_attn(const char *cs, size_t B, size_t Tq, size_t Tk, size_t H, size_t D) {
    size_t C = H * D;
    for (int ref = 0; ref < 2; ref++) {
        fixset s = {0};
        float *q = fx(&s, cs, "q", NULL), *k = fx(&s, cs, "k", NULL), *v = fx(&s, cs, "v", NULL), *dy = fx(&s, cs, "dy", NULL);
        if (q && k && v && dy) {
            float *o = fzero(B * Tq * C), *ol = fzero(B * Tq * C), *att = fzero(B * H * Tq * Tk);
            float *dq = fzero(B * Tq * C), *dk = fzero(B * Tk * C), *dv = fzero(B * Tk * C);
            (ref ? nn_attention_forward_ref : nn_attention_forward)(o, att, q, k, v, B, Tq, Tk, H, D, C, C, C, C);
            (ref ? nn_attention_backward_ref : nn_attention_backward)(dq, dk, dv, dy, att, q, k, v, B, Tq, Tk, H, D,
                                                                     C, C, C, C);
            nn_attention_forward_lean(ol, q, k, v, B, Tq, Tk, H, D, C, C, C, C);
            EXPECT(fx_cmp(&s, cs, "y", o, B * Tq * C) && fx_cmp(&s, cs, "dq", dq, B * Tq * C) &&
                   fx_cmp(&s, cs, "dk", dk, B * Tk * C) && fx_cmp(&s, cs, "dv", dv, B * Tk * C), "%s ref=%d", cs, ref);
            if (!ref) {
                char nm[64];
                snprintf(nm, sizeof nm, "%s_lean", cs);
                (void)nm;
                EXPECT(fx_cmp(&s, cs, "y", ol, B * Tq * C), "%s lean", cs);
            }
            free(o); free(ol); free(att); free(dq); free(dk); free(dv);
        }
        fix_free(&s);
    }
}
TEST(parity_attention) {
    parity_attn("attn_self", 2, 6, 6, 2, 4);
    parity_attn("attn_cross", 2, 5, 9, 4, 4);
}

TEST(parity_losses) {
    fixset s = {0};
    float *p = fx(&s, "mse", "p", NULL), *t = fx(&s, "mse", "t", NULL), *dl = fx(&s, "mse", "dy", NULL);
    if (p && t && dl) {
        float l = nn_mse_loss_forward(p, t, 21), dp[21] = {0};
        nn_mse_loss_backward(dp, p, t, 21, dl[0]);
        EXPECT(fx_cmp(&s, "mse", "y", &l, 1) && fx_cmp(&s, "mse", "dp", dp, 21), "mse");
    }
    fix_free(&s);
    p = fx(&s, "l1", "p", NULL); t = fx(&s, "l1", "t", NULL); dl = fx(&s, "l1", "dy", NULL);
    if (p && t && dl) {
        float l = nn_l1_loss_forward(p, t, 21), dp[21] = {0};
        nn_l1_loss_backward(dp, p, t, 21, dl[0]);
        EXPECT(fx_cmp(&s, "l1", "y", &l, 1) && fx_cmp(&s, "l1", "dp", dp, 21), "l1");
    }
    fix_free(&s);
    float *mu = fx(&s, "kl", "mu", NULL), *lv = fx(&s, "kl", "lv", NULL);
    dl = fx(&s, "kl", "dy", NULL);
    if (mu && lv && dl) {
        float l = nn_kl_loss_forward(mu, lv, 24, 2.0f), dmu[24] = {0}, dlv[24] = {0};
        nn_kl_loss_backward(dmu, dlv, mu, lv, 24, 2.0f, dl[0]);
        EXPECT(fx_cmp(&s, "kl", "y", &l, 1) && fx_cmp(&s, "kl", "dmu", dmu, 24) && fx_cmp(&s, "kl", "dlv", dlv, 24), "kl");
    }
    fix_free(&s);
    float *a = fx(&s, "infonce", "a", NULL), *m = fx(&s, "infonce", "m", NULL);
    dl = fx(&s, "infonce", "dy", NULL);
    if (a && m && dl) {
        float saved[NN_INFONCE_SAVED(6)], da[30] = {0}, dm[30] = {0};
        float l = nn_infonce_loss_forward(saved, a, m, 6, 5, 0.07f);
        nn_infonce_loss_backward(da, dm, saved, a, m, 6, 5, 0.07f, dl[0]);
        EXPECT(fx_cmp(&s, "infonce", "y", &l, 1) && fx_cmp(&s, "infonce", "da", da, 30) &&
               fx_cmp(&s, "infonce", "dm", dm, 30), "infonce");
    }
    fix_free(&s);
}

/* ------------------------------------------------------------- fast vs ref at sizes that take the BLAS path */
TEST(fast_matches_ref_medium) {
    size_t B = 2, T = 40, Ci = 48, Co = 40;
    nn_conv1d_geom geoms[3] = {{3, 1, 1, 1, 1, 0}, {4, 2, 1, 1, 2, 0}, {5, 1, 4, 2, 4, 0}};
    for (int gi = 0; gi < 3; gi++)
        for (int tr = 0; tr < 2; tr++) {
            nn_conv1d_geom *g = &geoms[gi];
            size_t To = tr ? nn_conv_transpose1d_out_len(T, g) : nn_conv1d_out_len(T, g);
            size_t nw = tr ? Ci * (Co / g->groups) * g->k : Co * (Ci / g->groups) * g->k;
            float *x = frand(B * T * Ci, 1), *w = frand(nw, 0.2f), *b = frand(Co, 1), *dy = frand(B * To * Co, 1);
            float *y[2], *dx[2], *dw[2], *db[2];
            for (int r = 0; r < 2; r++) {
                y[r] = fzero(B * To * Co); dx[r] = fzero(B * T * Ci); dw[r] = fzero(nw); db[r] = fzero(Co);
                if (tr) {
                    (r ? nn_conv_transpose1d_forward_ref : nn_conv_transpose1d_forward)(y[r], x, w, b, B, T, Ci, Co, g);
                    (r ? nn_conv_transpose1d_backward_ref : nn_conv_transpose1d_backward)(dx[r], dw[r], db[r], dy, x, w, B, T, Ci, Co, g);
                } else {
                    (r ? nn_conv1d_forward_ref : nn_conv1d_forward)(y[r], x, w, b, B, T, Ci, Co, g);
                    (r ? nn_conv1d_backward_ref : nn_conv1d_backward)(dx[r], dw[r], db[r], dy, x, w, B, T, Ci, Co, g);
                }
            }
            /* dW sums B*To ~ 80 products of O(1) terms: scale the absolute tolerance accordingly */
            EXPECT(test_close("conv y", y[0], y[1], B * To * Co, 1e-4, 1e-4) &&
                   test_close("conv dx", dx[0], dx[1], B * T * Ci, 1e-4, 1e-4) &&
                   test_close("conv dw", dw[0], dw[1], nw, 1e-4, 1e-4) &&
                   test_close("conv db", db[0], db[1], Co, 1e-4, 1e-4), "geom %d transpose %d", gi, tr);
            for (int r = 0; r < 2; r++) { free(y[r]); free(dx[r]); free(dw[r]); free(db[r]); }
            free(x); free(w); free(b); free(dy);
        }
    /* attention with fused qkv strides, lengths not multiples of the blocks, RoPE in place */
    size_t H = 3, D = 16, C = H * D, Tq = 70;
    float *qkv = frand(B * Tq * 3 * C, 1), *dy = frand(B * Tq * C, 1);
    nn_rope_forward(qkv, qkv, B, Tq, H, D, 3 * C, 3 * C, 0, 10000.0f);
    nn_rope_forward(qkv + C, qkv + C, B, Tq, H, D, 3 * C, 3 * C, 0, 10000.0f);
    float *o[2], *att[2], *dqkv[2];
    for (int r = 0; r < 2; r++) {
        o[r] = fzero(B * Tq * C); att[r] = fzero(B * H * Tq * Tq); dqkv[r] = fzero(B * Tq * 3 * C);
        (r ? nn_attention_forward_ref : nn_attention_forward)(o[r], att[r], qkv, qkv + C, qkv + 2 * C, B, Tq, Tq, H, D,
                                                             3 * C, 3 * C, 3 * C, C);
        (r ? nn_attention_backward_ref : nn_attention_backward)(dqkv[r], dqkv[r] + C, dqkv[r] + 2 * C, dy, att[r], qkv,
                                                               qkv + C, qkv + 2 * C, B, Tq, Tq, H, D, 3 * C, 3 * C,
                                                               3 * C, C);
    }
    EXPECT(test_close("attn out", o[0], o[1], B * Tq * C, 1e-5, 1e-4) &&
           test_close("attn P", att[0], att[1], B * H * Tq * Tq, 1e-6, 1e-4) &&
           test_close("attn dqkv", dqkv[0], dqkv[1], B * Tq * 3 * C, 1e-5, 1e-4), "attention fast vs ref");
    for (int r = 0; r < 2; r++) { free(o[r]); free(att[r]); free(dqkv[r]); }
    free(qkv); free(dy);
    /* norms, activations, linear at a few thousand rows (parallel branches) */
    size_t N = 600, Cn = 96;
    float *x = frand(N * Cn, 2), *w = frand(Cn, 1), *b = frand(Cn, 1), *g = frand(N * Cn, 1);
    float *yy[2], *dxx[2], *dww[2], *dbb[2], mean[2][600], rstd[2][600];
    for (int r = 0; r < 2; r++) {
        yy[r] = fzero(N * Cn); dxx[r] = fzero(N * Cn); dww[r] = fzero(Cn); dbb[r] = fzero(Cn);
        (r ? nn_groupnorm_forward_ref : nn_groupnorm_forward)(yy[r], mean[r], rstd[r], x, w, b, 4, N / 4, Cn, 8, 1e-5f);
        (r ? nn_groupnorm_backward_ref : nn_groupnorm_backward)(dxx[r], dww[r], dbb[r], g, x, mean[r], rstd[r], w, 4,
                                                               N / 4, Cn, 8);
        float *gn_out = fzero(N * Cn);   /* LayerNorm does not promise in-place operation */
        memcpy(gn_out, yy[r], N * Cn * sizeof *gn_out);
        (r ? nn_layernorm_forward_ref : nn_layernorm_forward)(yy[r], mean[r], rstd[r], gn_out, w, b, N, Cn, 1e-5f);
        free(gn_out);
        (r ? nn_layernorm_backward_ref : nn_layernorm_backward)(dxx[r], dww[r], dbb[r], g, x, mean[r], rstd[r], w, N, Cn);
        (r ? nn_gelu_tanh_backward_ref : nn_gelu_tanh_backward)(dxx[r], g, yy[r], N * Cn);
        (r ? nn_gelu_tanh_forward_ref : nn_gelu_tanh_forward)(yy[r], yy[r], N * Cn);
        (r ? nn_silu_backward_ref : nn_silu_backward)(dxx[r], g, yy[r], N * Cn);
        (r ? nn_silu_forward_ref : nn_silu_forward)(yy[r], yy[r], N * Cn);
        (r ? nn_gelu_erf_backward_ref : nn_gelu_erf_backward)(dxx[r], g, x, N * Cn);
        (r ? nn_gelu_erf_forward_ref : nn_gelu_erf_forward)(yy[r], x, N * Cn);
    }
    EXPECT(test_close("norm y", yy[0], yy[1], N * Cn, 1e-5, 1e-4) &&
           test_close("norm dx", dxx[0], dxx[1], N * Cn, 1e-4, 1e-4) &&
           test_close("norm dw", dww[0], dww[1], Cn, 1e-3, 1e-4) && test_close("norm db", dbb[0], dbb[1], Cn, 1e-3, 1e-4),
           "norms+activations fast vs ref");
    for (int r = 0; r < 2; r++) { free(yy[r]); free(dxx[r]); free(dww[r]); free(dbb[r]); }
    free(x); free(w); free(b); free(g);
}

/* Cross-attention (Tq != Tk, separate q and fused kv buffers) and the elementwise / resampling layers at
 * sizes that take the BLAS and OpenMP branches, fast against ref. */
TEST(fast_matches_ref_medium_2) {
    size_t B = 2, Tq = 50, Tk = 90, H = 4, D = 32, C = H * D;
    float *q = frand(B * Tq * C, 1), *kv = frand(B * Tk * 2 * C, 1), *dy = frand(B * Tq * C, 1);
    float *o[2], *att[2], *dq[2], *dkv[2];
    for (int r = 0; r < 2; r++) {
        o[r] = fzero(B * Tq * C); att[r] = fzero(B * H * Tq * Tk); dq[r] = fzero(B * Tq * C); dkv[r] = fzero(B * Tk * 2 * C);
        (r ? nn_attention_forward_ref : nn_attention_forward)(o[r], att[r], q, kv, kv + C, B, Tq, Tk, H, D, C, 2 * C,
                                                             2 * C, C);
        (r ? nn_attention_backward_ref : nn_attention_backward)(dq[r], dkv[r], dkv[r] + C, dy, att[r], q, kv, kv + C, B,
                                                               Tq, Tk, H, D, C, 2 * C, 2 * C, C);
    }
    EXPECT(test_close("xattn out", o[0], o[1], B * Tq * C, 1e-5, 1e-4) &&
           test_close("xattn dq", dq[0], dq[1], B * Tq * C, 1e-5, 1e-4) &&
           test_close("xattn dkv", dkv[0], dkv[1], B * Tk * 2 * C, 1e-5, 1e-4), "cross-attention fast vs ref");
    for (int r = 0; r < 2; r++) { free(o[r]); free(att[r]); free(dq[r]); free(dkv[r]); }
    free(q); free(kv); free(dy);

    size_t T = 300, Cc = 96, s = 3, n = B * T * Cc, To = (T - 5) / 2 + 1;
    float *x = frand(n, 1), *g = frand(n * s, 1), *sh = frand(B * Cc, 1), *sc = frand(B * Cc, 1);
    float *y[2], *dx[2], *d1[2], *d2[2];
    size_t *idx[2];
    for (int r = 0; r < 2; r++) {
        y[r] = fzero(n * s); dx[r] = fzero(n); d1[r] = fzero(B * Cc); d2[r] = fzero(B * Cc);
        idx[r] = calloc(n, sizeof(size_t));
    }
    const char *what[6] = {"upsample", "avgpool", "maxpool", "modulate", "gate_add", "rope"};
    for (int op = 0; op < 6; op++) {
        for (int r = 0; r < 2; r++) {
            memset(dx[r], 0, n * sizeof(float)); memset(d1[r], 0, B * Cc * sizeof(float));
            memset(d2[r], 0, B * Cc * sizeof(float));
            if (op == 0) {
                (r ? nn_upsample_forward_ref : nn_upsample_forward)(y[r], x, B, T, Cc, s);
                (r ? nn_upsample_backward_ref : nn_upsample_backward)(dx[r], g, B, T, Cc, s);
            } else if (op == 1) {
                (r ? nn_avgpool_forward_ref : nn_avgpool_forward)(y[r], x, B, T, Cc, s);
                (r ? nn_avgpool_backward_ref : nn_avgpool_backward)(dx[r], g, B, T, Cc, s);
            } else if (op == 2) {
                (r ? nn_maxpool_forward_ref : nn_maxpool_forward)(y[r], idx[r], x, B, T, Cc, 5, 2);
                (r ? nn_maxpool_backward_ref : nn_maxpool_backward)(dx[r], g, idx[r], B, To, T, Cc);
            } else if (op == 3) {
                (r ? nn_modulate_forward_ref : nn_modulate_forward)(y[r], x, sh, sc, B, T, Cc);
                (r ? nn_modulate_backward_ref : nn_modulate_backward)(dx[r], d1[r], d2[r], g, x, sc, B, T, Cc);
            } else if (op == 4) {
                /* out = x + gate h with gate = sh, h = g; dh lands in the spare second third of y */
                memset(y[r] + n, 0, n * sizeof(float));
                (r ? nn_gate_add_forward_ref : nn_gate_add_forward)(y[r], x, sh, g, B, T, Cc);
                (r ? nn_gate_add_backward_ref : nn_gate_add_backward)(dx[r], d1[r], y[r] + n, g + n, sh, g, B, T, Cc);
            } else {
                (r ? nn_rope_forward_ref : nn_rope_forward)(y[r], x, B, T, 4, 24, Cc, Cc, 7, 10000.0f);
                (r ? nn_rope_backward_ref : nn_rope_backward)(dx[r], g, B, T, 4, 24, Cc, Cc, 7, 10000.0f);
            }
        }
        size_t ny = op == 0 ? n * s : op == 1 ? B * (T / s) * Cc : op == 2 ? B * To * Cc : n;
        int ok = test_close(what[op], y[0], y[1], ny, 1e-5, 1e-4) && test_close(what[op], dx[0], dx[1], n, 1e-5, 1e-4) &&
                 test_close(what[op], d1[0], d1[1], B * Cc, 1e-4, 1e-4) &&
                 test_close(what[op], d2[0], d2[1], B * Cc, 1e-4, 1e-4);
        if (op == 4) ok = ok && test_close("gate_add dh", y[0] + n, y[1] + n, n, 1e-5, 1e-4);
        EXPECT(ok, "%s fast vs ref", what[op]);
    }
    for (int r = 0; r < 2; r++) { free(y[r]); free(dx[r]); free(d1[r]); free(d2[r]); free(idx[r]); }
    free(x); free(g); free(sh); free(sc);
}

/* The lean forward never holds Tq x Tk; it must agree with the training forward (different summation order:
 * float rounding only), including key lengths that are not multiples of its blocks and D above its block. */
TEST(attention_lean_matches_training) {
    size_t cases[4][5] = {{2, 100, 130, 2, 24}, {1, 33, 1, 1, 8}, {1, 40, 70, 1, 300}, {1, 20, 600, 2, 8}};
    for (int ci = 0; ci < 4; ci++) {
        size_t B = cases[ci][0], Tq = cases[ci][1], Tk = cases[ci][2], H = cases[ci][3], D = cases[ci][4], C = H * D;
        float *q = frand(B * Tq * C, 1.5f), *k = frand(B * Tk * C, 1.5f), *v = frand(B * Tk * C, 1);
        float *o = fzero(B * Tq * C), *ol = fzero(B * Tq * C), *att = fzero(B * H * Tq * Tk);
        nn_attention_forward(o, att, q, k, v, B, Tq, Tk, H, D, C, C, C, C);
        nn_attention_forward_lean(ol, q, k, v, B, Tq, Tk, H, D, C, C, C, C);
        EXPECT(test_close("lean", ol, o, B * Tq * C, 1e-5, 1e-4), "case %d", ci);
        free(q); free(k); free(v); free(o); free(ol); free(att);
    }
}

TEST(dropout_statistics) {
    size_t n = 100000;
    float *x = frand(n, 1), *y = fzero(n), *y2 = fzero(n), *dx = fzero(n);
    uint8_t *mask = malloc(n), *mask2 = malloc(n);
    momu_rng r1, r2;
    momu_rng_seed(&r1, 7);
    momu_rng_seed(&r2, 7);
    nn_dropout_forward(y, mask, x, n, 0.25f, &r1);
    nn_dropout_forward(y2, mask2, x, n, 0.25f, &r2);
    size_t kept = 0, bad = 0;
    for (size_t i = 0; i < n; i++) {
        kept += mask[i];
        if (y[i] != (mask[i] ? x[i] / 0.75f : 0.0f) && fabsf(y[i] - x[i] / 0.75f) > 1e-6f * fabsf(x[i])) bad++;
    }
    /* kept ~ Binomial(1e5, 0.75): sd 137, so +-1000 is > 7 sd */
    EXPECT(kept > 74000 && kept < 76000, "kept %zu of %zu", kept, n);
    EXPECT(bad == 0, "%zu outputs not x*mask/(1-p)", bad);
    EXPECT(!memcmp(mask, mask2, n) && !memcmp(y, y2, n * sizeof *y), "same seed, same mask");
    nn_dropout_backward(dx, x, mask, n, 0.25f);
    EXPECT(test_close("dropout dx", dx, y, n, 0, 1e-6), "backward = forward of dy");
    free(x); free(y); free(y2); free(dx); free(mask); free(mask2);
}

TEST(conv_geom_check) {
    momu_err e = {0};
    nn_conv1d_geom ok = {3, 2, 1, 1, 2, 0}, g0 = {0, 1, 0, 1, 1, 0}, gg = {3, 1, 1, 1, 3, 0}, op = {4, 2, 1, 1, 1, 2};
    EXPECT(nn_conv1d_geom_check(&ok, 10, 4, 6, 0, "enc.conv", &e) == MOMU_OK, "%s", e.msg);
    EXPECT(nn_conv1d_geom_check(&g0, 10, 4, 6, 0, "enc.conv", &e) == MOMU_ERR_ARG && strstr(e.msg, "enc.conv"), "k 0");
    momu_err_clear(&e);
    EXPECT(nn_conv1d_geom_check(&gg, 10, 4, 6, 0, "c", &e) == MOMU_ERR_ARG && strstr(e.msg, "groups"), "groups");
    momu_err_clear(&e);
    EXPECT(nn_conv1d_geom_check(&op, 10, 4, 6, 1, "c", &e) == MOMU_ERR_ARG && strstr(e.msg, "output_padding"), "op");
    momu_err_clear(&e);
    nn_conv1d_geom big = {9, 1, 0, 1, 1, 0};
    EXPECT(nn_conv1d_geom_check(&big, 5, 4, 6, 0, "c", &e) == MOMU_ERR_ARG && strstr(e.msg, "too short"), "short");
    /* output lengths as torch: (T + 2p - dil(K-1) - 1)/s + 1 and (T-1)s - 2p + dil(K-1) + op + 1 */
    nn_conv1d_geom a = {4, 2, 1, 1, 1, 0}, t = {3, 3, 1, 2, 1, 1};
    EXPECT(nn_conv1d_out_len(11, &a) == 5 && nn_conv_transpose1d_out_len(5, &a) == 10, "k4 s2 p1");
    EXPECT(nn_conv_transpose1d_out_len(4, &t) == 13, "convT k3 s3 p1 d2 op1: %zu", nn_conv_transpose1d_out_len(4, &t));
}

/* The fast GELU (erf) over a wide range against the ref (libm erfcf): relative error where |y| > 1e-30, which
 * covers the far negative tail where y is tiny (there float rounding of z^2 inside exp(-z^2) gives ~1e-5). */
TEST(gelu_erf_tail_accuracy) {
    size_t n = 20001;
    float *x = fzero(n), *y = fzero(n), *yr = fzero(n), *d = fzero(n), *dr = fzero(n), *one = fzero(n);
    for (size_t i = 0; i < n; i++) { x[i] = -12.0f + 20.0f * (float)i / (float)(n - 1); one[i] = 1.0f; }
    nn_gelu_erf_forward(y, x, n);
    nn_gelu_erf_forward_ref(yr, x, n);
    nn_gelu_erf_backward(d, one, x, n);
    nn_gelu_erf_backward_ref(dr, one, x, n);
    double worst = 0.0, worst_d = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (fabsf(yr[i]) > 1e-30f) worst = fmax(worst, fabs((double)y[i] - yr[i]) / fabs((double)yr[i]));
        worst_d = fmax(worst_d, fabs((double)d[i] - dr[i]));
    }
    /* the derivative Phi + x phi is O(1) and crosses zero near x = -0.75: judged by its absolute error */
    printf("# gelu erf on [-12, 8]: max rel err forward %.2e, max abs err derivative %.2e\n", worst, worst_d);
    EXPECT(worst < 2e-5 && worst_d < 1e-6, "forward %.3g derivative %.3g", worst, worst_d);
    free(x); free(y); free(yr); free(d); free(dr); free(one);
}

/* nn_expf (the vectorisable exp behind softmax, SiLU and GELU) against libm's expf in double. */
TEST(fast_exp_accuracy) {
    double worst = 0.0;
    for (int i = 0; i <= 200000; i++) {
        float x = -80.0f + 168.0f * (float)i / 200000.0f;
        double ref = exp((double)x), got = nn_expf(x);
        double rel = fabs(got - ref) / ref;
        if (rel > worst) worst = rel;
    }
    printf("# nn_expf max rel err on [-80, 88]: %.2e\n", worst);
    EXPECT(worst < 5e-7, "max rel err %.3g (4 ulp = 4.8e-7)", worst);
    EXPECT(nn_expf(-100.0f) == 0.0f && nn_expf(-INFINITY) == 0.0f && isfinite(nn_expf(1000.0f)), "clamps");
}

TEST(maxpool_first_max_wins) {
    float x[6] = {1, 3, 3, 2, 5, 5}, y[2];
    size_t idx[2];
    nn_maxpool_forward(y, idx, x, 1, 6, 1, 3, 3);
    EXPECT(y[0] == 3 && idx[0] == 1 && y[1] == 5 && idx[1] == 4, "y %g %g idx %zu %zu", y[0], y[1], idx[0], idx[1]);
}

/* --------------------------------------------------------- identical bytes for 1 and 2 OpenMP threads */
#ifdef _OPENMP
static void run_layers_for_determinism(float **outs, size_t *sizes, int *n_out) {
    momu_rng_seed(&g_rng, 99);
    size_t B = 4, T = 200, C = 96, H = 4, D = C / H, K = 3;   /* B*T*C above the 65536 parallel threshold */
    float *x = frand(B * T * C, 1), *w = frand(C * C, 0.1f), *wc = frand(C * C * K, 0.1f), *b = frand(C, 1);
    float *dy = frand(B * T * C, 1), *qkv = frand(B * T * 3 * C, 1), *gs = frand(B * C, 0.3f);
    int k = 0;
    float *y = fzero(B * T * C), *dx = fzero(B * T * C), *dw = fzero(C * C), *db = fzero(C);
    nn_linear_forward(y, x, w, b, B * T, C, C);
    nn_linear_backward(dx, dw, db, dy, x, w, B * T, C, C);
    outs[k] = y; sizes[k++] = B * T * C; outs[k] = dx; sizes[k++] = B * T * C;
    outs[k] = dw; sizes[k++] = C * C; outs[k] = db; sizes[k++] = C;
    nn_conv1d_geom g = {K, 1, 1, 1, 1, 0};
    float *yc = fzero(B * T * C), *dxc = fzero(B * T * C), *dwc = fzero(C * C * K), *dbc = fzero(C);
    nn_conv1d_forward(yc, x, wc, b, B, T, C, C, &g);
    nn_conv1d_backward(dxc, dwc, dbc, dy, x, wc, B, T, C, C, &g);
    outs[k] = yc; sizes[k++] = B * T * C; outs[k] = dxc; sizes[k++] = B * T * C;
    outs[k] = dwc; sizes[k++] = C * C * K; outs[k] = dbc; sizes[k++] = C;
    float *yn = fzero(B * T * C), *dxn = fzero(B * T * C), *dwn = fzero(C), *dbn = fzero(C);
    float *mean = fzero(B * T), *rstd = fzero(B * T);
    nn_groupnorm_forward(yn, mean, rstd, x, b, w, B, T, C, 8, 1e-5f);
    nn_groupnorm_backward(dxn, dwn, dbn, dy, x, mean, rstd, b, B, T, C, 8);
    float *gn_out = fzero(B * T * C);
    memcpy(gn_out, yn, B * T * C * sizeof *gn_out);
    nn_layernorm_forward(yn, mean, rstd, gn_out, b, w, B * T, C, 1e-5f);
    free(gn_out);
    nn_layernorm_backward(dxn, dwn, dbn, dy, x, mean, rstd, b, B * T, C);
    nn_modulate_forward(yn, yn, gs, gs, B, T, C);
    float *dsh = fzero(B * C), *dsc = fzero(B * C);
    nn_modulate_backward(dxn, dsh, dsc, dy, x, gs, B, T, C);
    outs[k] = dsh; sizes[k++] = B * C; outs[k] = dsc; sizes[k++] = B * C;
    nn_gelu_tanh_forward(yn, yn, B * T * C);
    nn_gelu_tanh_backward(dxn, dy, x, B * T * C);
    outs[k] = yn; sizes[k++] = B * T * C; outs[k] = dxn; sizes[k++] = B * T * C;
    outs[k] = dwn; sizes[k++] = C; outs[k] = dbn; sizes[k++] = C;
    float *o = fzero(B * T * C), *ol = fzero(B * T * C), *att = fzero(B * H * T * T), *dqkv = fzero(B * T * 3 * C);
    nn_rope_forward(qkv, qkv, B, T, H, D, 3 * C, 3 * C, 0, 10000.0f);
    nn_attention_forward(o, att, qkv, qkv + C, qkv + 2 * C, B, T, T, H, D, 3 * C, 3 * C, 3 * C, C);
    nn_attention_backward(dqkv, dqkv + C, dqkv + 2 * C, dy, att, qkv, qkv + C, qkv + 2 * C, B, T, T, H, D, 3 * C,
                          3 * C, 3 * C, C);
    nn_attention_forward_lean(ol, qkv, qkv + C, qkv + 2 * C, B, T, T, H, D, 3 * C, 3 * C, 3 * C, C);
    outs[k] = o; sizes[k++] = B * T * C; outs[k] = ol; sizes[k++] = B * T * C;
    outs[k] = dqkv; sizes[k++] = B * T * 3 * C;
    *n_out = k;
    free(x); free(w); free(wc); free(b); free(dy); free(qkv); free(gs); free(mean); free(rstd); free(att);
}
#endif
TEST(identical_bytes_1_and_2_threads) {
#ifdef _OPENMP
    float *o1[32], *o2[32];
    size_t s1[32], s2[32];
    int n1 = 0, n2 = 0;
    int keep = omp_get_max_threads();
    omp_set_num_threads(1);
    run_layers_for_determinism(o1, s1, &n1);
    omp_set_num_threads(2);
    run_layers_for_determinism(o2, s2, &n2);
    omp_set_num_threads(keep);
    EXPECT(n1 == n2, "%d vs %d outputs", n1, n2);
    for (int i = 0; i < n1 && i < n2; i++) {
        EXPECT(s1[i] == s2[i] && !memcmp(o1[i], o2[i], s1[i] * sizeof(float)), "output %d differs", i);
        free(o1[i]);
        free(o2[i]);
    }
#else
    printf("# built without OpenMP: thread determinism not applicable\n");
#endif
}

int main(void) {
    momu_rng_seed(&g_rng, 12345);
    RUN(gemm_layouts_match_naive);
    RUN(parity_linear);
    RUN(parity_conv);
    RUN(parity_resampling);
    RUN(parity_norms);
    RUN(parity_activations);
    RUN(parity_adaln);
    RUN(parity_timestep_rope);
    RUN(parity_attention);
    RUN(parity_losses);
    RUN(fast_matches_ref_medium);
    RUN(fast_matches_ref_medium_2);
    RUN(attention_lean_matches_training);
    RUN(dropout_statistics);
    RUN(maxpool_first_max_wins);
    RUN(conv_geom_check);
    RUN(fast_exp_accuracy);
    RUN(gelu_erf_tail_accuracy);
    RUN(identical_bytes_1_and_2_threads);
    printf("# worst PyTorch parity relative error (|ref| > 1e-3): %.2e\n", g_worst_parity_rel);
    return test_summary();
}
