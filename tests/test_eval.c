/* Tests of the evaluation metrics (src/eval) against hand-computed values. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "momu/audio.h"
#include "momu/eval.h"
#include "momu/motion.h"
#include "momu/rng.h"
#include "test.h"

#define M_PI_LOCAL 3.14159265358979323846
#define NEAR(a, b, tol) (fabs((double)(a) - (double)(b)) <= (tol))

/* ---------------------------------------------------------------- beat F-measure */

TEST(fmeasure_hand) {
    /* 1.05 hits 1 (d .05); 2.1 misses 2 (d .1 > .07); 2.95 hits 3; 3.0 finds 3 taken; 5 misses.
     * m = 2: P = 2/5, R = 2/4, F = 2·0.4·0.5/0.9 = 0.444444 */
    double ref[] = {1, 2, 3, 4}, est[] = {1.05, 2.1, 2.95, 3.0, 5};
    double p, r, f = momu_beat_fmeasure(ref, 4, est, 5, 0.07, &p, &r);
    EXPECT(NEAR(p, 0.4, 1e-12), "P %g", p);
    EXPECT(NEAR(r, 0.5, 1e-12), "R %g", r);
    EXPECT(NEAR(f, 0.4 / 0.9, 1e-12), "F %g", f);
}

TEST(fmeasure_maximum_not_nearest) {
    /* Nearest-first greedy would pair 1.06 with 1.1 (d .04) and leave 1.0 and 1.15 unmatched (m = 1).
     * The maximum matching is 1.0-1.06, 1.1-1.15 (m = 2). Unsorted input on purpose. */
    double ref[] = {1.1, 1.0}, est[] = {1.15, 1.06};
    double p, r, f = momu_beat_fmeasure(ref, 2, est, 2, 0.07, &p, &r);
    EXPECT(NEAR(f, 1.0, 1e-12), "F %g", f);
    EXPECT(NEAR(p, 1.0, 1e-12) && NEAR(r, 1.0, 1e-12), "P %g R %g", p, r);
}

TEST(fmeasure_edges) {
    double ref[] = {1.0}, on[] = {1.07}, off[] = {1.0701};
    EXPECT(momu_beat_fmeasure(ref, 1, on, 1, 0.07, NULL, NULL) == 1.0, "window edge is inclusive");
    EXPECT(momu_beat_fmeasure(ref, 1, off, 1, 0.07, NULL, NULL) == 0.0, "just outside the window");
    double p = -1, r = -1;
    EXPECT(momu_beat_fmeasure(ref, 1, NULL, 0, 0.07, &p, &r) == 0.0 && p == 0 && r == 0, "empty estimate");
    EXPECT(momu_beat_fmeasure(NULL, 0, on, 1, 0.07, NULL, NULL) == 0.0, "empty reference");
    double bad[] = {NAN};
    EXPECT(isnan(momu_beat_fmeasure(ref, 1, bad, 1, 0.07, NULL, NULL)), "NaN input gives NaN");
    EXPECT(isnan(momu_beat_fmeasure(ref, 1, on, 1, -1, NULL, NULL)), "negative tolerance gives NaN");
}

/* Exhaustive maximum matching (Kuhn's augmenting paths) to check the greedy on random lists. */
static int kuhn_try(int u, const double *ref, const double *est, int n_est, double tol, int *match_est,
                    int *seen) {
    for (int v = 0; v < n_est; v++) {
        if (seen[v] || fabs(ref[u] - est[v]) > tol) continue;
        seen[v] = 1;
        if (match_est[v] < 0 || kuhn_try(match_est[v], ref, est, n_est, tol, match_est, seen)) {
            match_est[v] = u;
            return 1;
        }
    }
    return 0;
}

TEST(fmeasure_matches_bipartite_optimum) {
    momu_rng rng;
    momu_rng_seed(&rng, 7);
    int n_bad = 0;
    for (int trial = 0; trial < 300; trial++) {
        int n_ref = 1 + (int)(momu_rng_uniform(&rng) * 12), n_est = 1 + (int)(momu_rng_uniform(&rng) * 12);
        double ref[16], est[16];
        for (int i = 0; i < n_ref; i++) ref[i] = momu_rng_uniform(&rng) * 1.0;
        for (int i = 0; i < n_est; i++) est[i] = momu_rng_uniform(&rng) * 1.0;
        int match_est[16], m = 0;
        for (int i = 0; i < 16; i++) match_est[i] = -1;
        for (int u = 0; u < n_ref; u++) {
            int seen[16] = {0};
            m += kuhn_try(u, ref, est, n_est, 0.07 + 1e-9, match_est, seen);
        }
        double p, r;
        momu_beat_fmeasure(ref, (size_t)n_ref, est, (size_t)n_est, 0.07, &p, &r);
        if (!NEAR(p * n_est, m, 1e-9)) n_bad++;
    }
    EXPECT(n_bad == 0, "%d of 300 random cases differ from the maximum matching", n_bad);
}

/* ---------------------------------------------------------------- LORIS */

TEST(loris_clip_hand) {
    /* ref: 4.5 s -> 5 bins, marks {0,1,3} (0.2 and 0.7 share bin 0); gen: 5.5 s -> 6 bins, marks {0,2,3,4,5}.
     * total 3, cover 5, hit {0,3} = 2: BCS 0.4, BHS 2/3. */
    double ref[] = {0.2, 0.7, 1.5, 3.9}, gen[] = {0.1, 2.2, 3.1, 4.4, 5.3};
    momu_loris_clip c;
    momu_err e = {0};
    EXPECT(momu_loris_clip_score(ref, 4, 4.5, gen, 5, 5.5, &c, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(c.n_bins_ref == 5 && c.n_bins_gen == 6, "bins %zu %zu", c.n_bins_ref, c.n_bins_gen);
    EXPECT(c.total == 3 && c.cover == 5 && c.hit == 2, "total %zu cover %zu hit %zu", c.total, c.cover, c.hit);
    EXPECT(NEAR(c.bcs, 0.4, 1e-12) && NEAR(c.bhs, 2.0 / 3.0, 1e-12), "BCS %g BHS %g", c.bcs, c.bhs);
}

TEST(loris_truncates_reference) {
    /* ref 6.2 s (7 bins, marks 0 and 6), gen 3.0 s (3 bins, marks 0 and 2): gt[:3] keeps only bin 0.
     * total 1, cover 2, hit 1: BCS 0.5, BHS 1. A time past the end (3.5 in a 3-s clip) is ignored. */
    double ref[] = {0.5, 6.1}, gen[] = {0.3, 2.5, 3.5};
    momu_loris_clip c;
    EXPECT(momu_loris_clip_score(ref, 2, 6.2, gen, 3, 3.0, &c, NULL) == MOMU_OK, "ok");
    EXPECT(c.total == 1 && c.cover == 2 && c.hit == 1, "total %zu cover %zu hit %zu", c.total, c.cover, c.hit);
    EXPECT(c.bcs == 0.5 && c.bhs == 1.0, "BCS %g BHS %g", c.bcs, c.bhs);
    momu_loris_clip z;
    EXPECT(momu_loris_clip_score(ref, 2, 6.2, NULL, 0, 3.0, &z, NULL) == MOMU_OK && z.bcs == 0 && z.bhs == 0,
           "no generated onsets -> 0, 0");
    double bad[] = {INFINITY};
    momu_err e = {0};
    EXPECT(momu_loris_clip_score(ref, 2, 6.2, bad, 1, 3.0, &c, &e) == MOMU_ERR_RANGE, "Inf rejected");
    EXPECT(momu_loris_clip_score(ref, 2, NAN, gen, 3, 3.0, &c, NULL) == MOMU_ERR_RANGE, "NaN duration");
}

TEST(loris_aggregate_hand) {
    /* BCS {0.4, 0.5}: mean 0.45, sd sqrt(2·0.05²/1) = 0.0707107; BHS {2/3, 1}: mean 5/6, sd 0.2357023;
     * F1 = 2·0.45·(5/6)/(0.45 + 5/6) = 0.5844156 (from the means). */
    momu_loris_clip c[2] = {{.bcs = 0.4, .bhs = 2.0 / 3.0}, {.bcs = 0.5, .bhs = 1.0}};
    momu_loris_summary s;
    EXPECT(momu_loris_aggregate(c, 2, &s, NULL) == MOMU_OK, "ok");
    EXPECT(s.n_clips == 2, "n %zu", s.n_clips);
    EXPECT(NEAR(s.bcs, 0.45, 1e-12) && NEAR(s.csd, 0.0707107, 1e-7), "BCS %g CSD %g", s.bcs, s.csd);
    EXPECT(NEAR(s.bhs, 5.0 / 6.0, 1e-12) && NEAR(s.hsd, 0.2357023, 1e-7), "BHS %g HSD %g", s.bhs, s.hsd);
    EXPECT(NEAR(s.f1, 0.5844156, 1e-7), "F1 %g", s.f1);
    EXPECT(momu_loris_aggregate(c, 1, &s, NULL) == MOMU_OK && isnan(s.csd), "one clip: sd undefined");
    EXPECT(momu_loris_aggregate(c, 0, &s, NULL) == MOMU_ERR_ARG, "no clips");
}

/* ---------------------------------------------------------------- BAS */

TEST(bas_hand) {
    /* d = 0, 0.1, 0.3 with sigma 0.1: (1 + e^-0.5 + e^-4.5)/3 = 0.5392133 */
    double music[] = {1, 2, 3}, kin[] = {3.3, 1.0, 2.1};
    double b = momu_bas(music, 3, kin, 3, 0.1);
    EXPECT(NEAR(b, (1 + exp(-0.5) + exp(-4.5)) / 3, 1e-12), "BAS %g", b);
    EXPECT(NEAR(b, 0.5392133, 1e-7), "BAS %g", b);
    EXPECT(momu_bas(music, 3, NULL, 0, 0.1) == 0.0, "no kinematic beats");
    EXPECT(isnan(momu_bas(NULL, 0, kin, 3, 0.1)), "no music beats");
    EXPECT(isnan(momu_bas(music, 3, kin, 3, 0.0)), "sigma 0");
}

/* ---------------------------------------------------------------- Fréchet distance, diversity */

TEST(sym_eig_reconstructs) {
    momu_rng rng;
    momu_rng_seed(&rng, 3);
    enum { D = 9 };
    double a[D * D], b[D * D], v[D * D], lam[D];
    for (int i = 0; i < D; i++)
        for (int j = 0; j <= i; j++) a[i * D + j] = a[j * D + i] = momu_rng_normal(&rng);
    memcpy(b, a, sizeof a);
    EXPECT(momu_eval_sym_eig(b, D, lam, v, NULL) == MOMU_OK, "ok");
    double worst = 0.0, worst_orth = 0.0;
    for (int i = 0; i < D; i++)
        for (int j = 0; j < D; j++) {
            double s = 0.0, o = 0.0;
            for (int k = 0; k < D; k++) {
                s += v[i * D + k] * lam[k] * v[j * D + k];
                o += v[k * D + i] * v[k * D + j];
            }
            worst = fmax(worst, fabs(s - a[i * D + j]));
            worst_orth = fmax(worst_orth, fabs(o - (i == j)));
        }
    EXPECT(worst < 1e-12, "V diag V^T differs from A by %g", worst);
    EXPECT(worst_orth < 1e-12, "V^T V differs from I by %g", worst_orth);
}

TEST(frechet_1d_by_hand) {
    /* {0,2}: mean 1, var 2 (ddof 1); {1,5}: mean 3, var 8. FID = 2² + 2 + 8 - 2·sqrt(16) = 6 */
    double x1[] = {0, 2}, x2[] = {1, 5}, f = -1;
    EXPECT(momu_frechet_features(x1, 2, x2, 2, 1, &f, NULL) == MOMU_OK, "ok");
    EXPECT(NEAR(f, 6.0, 1e-12), "FID %g", f);
}

TEST(frechet_closed_form) {
    /* diagonal: μ1 0, Σ1 diag(1,4); μ2 (1,2), Σ2 diag(9,1): 5 + 15 - 2(3 + 2) = 10 */
    double m1[] = {0, 0}, c1[] = {1, 0, 0, 4}, m2[] = {1, 2}, c2[] = {9, 0, 0, 1}, f;
    EXPECT(momu_frechet_distance(m1, c1, m2, c2, 2, &f, NULL) == MOMU_OK && NEAR(f, 10.0, 1e-12), "FID %g", f);
    /* Σ1, Σ2 that do not commute. For 2×2, the eigenvalues of Σ1Σ2 are those of the PSD √Σ1Σ2√Σ1, and
     * Tr(M^{1/2}) = sqrt(tr M + 2 sqrt(det M)) for a 2×2 PSD M. */
    double a[] = {2, 0.5, 0.5, 1}, b[] = {1, -0.3, -0.3, 3}, mu_a[] = {0.5, -1}, mu_b[] = {0, 1};
    double tr_ab = a[0] * b[0] + a[1] * b[2] + a[2] * b[1] + a[3] * b[3];
    double det = (a[0] * a[3] - a[1] * a[2]) * (b[0] * b[3] - b[1] * b[2]);
    double want = 0.25 + 4.0 + (2 + 1) + (1 + 3) - 2.0 * sqrt(tr_ab + 2.0 * sqrt(det));
    EXPECT(momu_frechet_distance(mu_a, a, mu_b, b, 2, &f, NULL) == MOMU_OK && NEAR(f, want, 1e-10),
           "FID %.12g want %.12g", f, want);
    /* singular covariances (rank 1) in 3-D: Σ1 = u u^T, Σ2 = 4 u u^T, μ equal: 1 + 4 - 2·2 = 1 */
    double u[3] = {1 / sqrt(3.0), 1 / sqrt(3.0), 1 / sqrt(3.0)}, s1[9], s2[9], z[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) { s1[i * 3 + j] = u[i] * u[j]; s2[i * 3 + j] = 4 * u[i] * u[j]; }
    EXPECT(momu_frechet_distance(z, s1, z, s2, 3, &f, NULL) == MOMU_OK && NEAR(f, 1.0, 1e-9), "FID %g", f);
    double bad[] = {NAN, 0, 0, 1};
    EXPECT(momu_frechet_distance(m1, bad, m2, c2, 2, &f, NULL) == MOMU_ERR_RANGE, "NaN covariance");
}

TEST(frechet_identical_sets) {
    momu_rng rng;
    momu_rng_seed(&rng, 11);
    enum { N = 40, D = 12 };
    static double x[N * D];
    for (size_t i = 0; i < N * D; i++) x[i] = momu_rng_normal(&rng) * (1 + (double)(i % D));
    double f = -1;
    EXPECT(momu_frechet_features(x, N, x, N, D, &f, NULL) == MOMU_OK, "ok");
    EXPECT(f >= 0 && f < 1e-8, "identical sets: FID %g", f);
    /* the same set with a shift of 1 in every dimension: FID = D exactly (covariances equal) */
    static double y[N * D];
    for (size_t i = 0; i < N * D; i++) y[i] = x[i] + 1.0;
    EXPECT(momu_frechet_features(x, N, y, N, D, &f, NULL) == MOMU_OK && NEAR(f, D, 1e-7), "FID %g", f);
    EXPECT(momu_frechet_features(x, 1, y, N, D, &f, NULL) == MOMU_ERR_ARG, "one sample is too few");
}

TEST(frechet_matches_python_reference) {
    /* tests/fixtures/eval/fid.txt from tools/eval_reference.py: numpy FID through eigvals(S1 S2) (another
     * route than the symmetric square root here), and Bailando's normalised FID / diversities */
    FILE *f = fopen("tests/fixtures/eval/fid.txt", "r");
    EXPECT(f != NULL, "cannot open tests/fixtures/eval/fid.txt (run from the repository root)");
    if (!f) return;
    char line[256];
    size_t n1 = 0, n2 = 0, d = 0;
    int ok = fgets(line, sizeof line, f) && fscanf(f, "%zu %zu %zu", &n1, &n2, &d) == 3 && n1 == 7 && n2 == 6 && d == 4;
    double x[13 * 4], want[4];
    for (size_t i = 0; i < (n1 + n2) * d && ok; i++) ok = fscanf(f, "%lf", &x[i]) == 1;
    for (size_t i = 0; i < 4 && ok; i++) ok = fscanf(f, "%lf", &want[i]) == 1;
    fclose(f);
    EXPECT(ok, "fixture");
    if (!ok) return;
    double fid;
    momu_fid_result r;
    EXPECT(momu_frechet_features(x, n1, x + n1 * d, n2, d, &fid, NULL) == MOMU_OK, "ok");
    EXPECT(fabs(fid - want[0]) <= 1e-9 * fabs(want[0]), "FID %.12g want %.12g", fid, want[0]);
    EXPECT(momu_fid_div(x, n1, x + n1 * d, n2, d, &r, NULL) == MOMU_OK, "ok");
    EXPECT(fabs(r.fid - want[1]) <= 1e-9 * fabs(want[1]), "normalised FID %.12g want %.12g", r.fid, want[1]);
    EXPECT(fabs(r.div_ref - want[2]) <= 1e-12 * fabs(want[2]) + 1e-12 &&
               fabs(r.div_gen - want[3]) <= 1e-12 * fabs(want[3]) + 1e-12,
           "div %.12g %.12g want %.12g %.12g", r.div_ref, r.div_gen, want[2], want[3]);
}

TEST(diversity_and_fid_div) {
    double x[] = {0, 0, 3, 4, 0, 4}; /* pairwise distances 5, 3, 4 -> mean 4 */
    EXPECT(NEAR(momu_diversity(x, 3, 2), 4.0, 1e-12), "div %g", momu_diversity(x, 3, 2));
    EXPECT(isnan(momu_diversity(x, 1, 2)), "one sample");
    /* ref {0,4}: mean 2, std 2 -> {-1,1}; gen {2,6} -> {0,2}. FID: (0-1)² + 2 + 2 - 2·2 = 1; div 2 and 2 */
    double ref[] = {0, 4}, gen[] = {2, 6};
    momu_fid_result r;
    EXPECT(momu_fid_div(ref, 2, gen, 2, 1, &r, NULL) == MOMU_OK, "ok");
    EXPECT(NEAR(r.fid, 1.0, 1e-9) && NEAR(r.div_ref, 2.0, 1e-9) && NEAR(r.div_gen, 2.0, 1e-9),
           "fid %g div %g %g", r.fid, r.div_ref, r.div_gen);
    /* a feature constant over the reference set is centred, not blown up by 1/1e-10 */
    double ref2[] = {0, 5, 4, 5}, gen2[] = {2, 6, 6, 6};
    EXPECT(momu_fid_div(ref2, 2, gen2, 2, 2, &r, NULL) == MOMU_OK && r.fid < 10, "fid %g", r.fid);
}

/* ---------------------------------------------------------------- motion features */

/* A standing DwM figure, hum = 30 cm, forward +z, left at -x. arms_up puts both wrists above the head. */
static void dwm_pose(float *p, int arms_up, double dx, double dz) {
    static const float base[23][3] = {
        {-5, 170, 0},  {5, 170, 0},   {0, 110, 0},  {-20, 145, 0}, {-20, 115, 0}, {-20, 105, 0},
        {-20, 90, 0},  {-10, 95, 0},  {-10, 50, 0}, {-10, 8, 0},   {-10, 2, -5},  {-10, 2, 15},
        {20, 145, 0},  {20, 115, 0},  {20, 105, 0}, {20, 90, 0},   {10, 95, 0},   {10, 50, 0},
        {10, 8, 0},    {10, 2, -5},   {10, 2, 15},  {20, 88, 3},   {-20, 88, 3}};
    memcpy(p, base, sizeof base);
    if (arms_up) {
        for (int s = 0; s < 2; s++) {
            int el = s ? 13 : 4, fa = s ? 14 : 5, wr = s ? 15 : 6;
            p[el * 3 + 1] = 175;
            p[fa * 3 + 1] = 185;
            p[wr * 3 + 1] = 200;
        }
    }
    for (int j = 0; j < 23; j++) { p[j * 3 + 0] += (float)dx; p[j * 3 + 2] += (float)dz; }
}

TEST(kinetic_hand) {
    /* every joint moves 4 cm/frame in x and 2 cm/frame in y at 25 fps: 1 m/s horizontal, 0.5 m/s vertical.
     * KE_h = 1, KE_v = 0.25, EE = 0 */
    enum { T = 10, J = 2 };
    float pos[T * J * 3];
    for (int t = 0; t < T; t++)
        for (int j = 0; j < J; j++) {
            pos[(t * J + j) * 3 + 0] = 4.0f * t + j;
            pos[(t * J + j) * 3 + 1] = 2.0f * t;
            pos[(t * J + j) * 3 + 2] = 7.0f;
        }
    double f[3 * J];
    EXPECT(momu_kinetic_features(pos, T, J, 25.0, f, NULL) == MOMU_OK, "ok");
    EXPECT(NEAR(f[0], 1.0, 1e-9) && NEAR(f[1], 0.25, 1e-9) && NEAR(f[2], 0.0, 1e-9), "%g %g %g", f[0], f[1], f[2]);
    EXPECT(NEAR(f[3], 1.0, 1e-9), "joint 1 KE_h %g", f[3]);
    /* free fall y = -½ g t², g = 980 cm/s²: the acceleration is g = 9.8 m/s² in every window */
    for (int t = 0; t < T; t++)
        for (int j = 0; j < J; j++) {
            double tt = t / 25.0;
            pos[(t * J + j) * 3 + 0] = 0;
            pos[(t * J + j) * 3 + 1] = (float)(1000.0 - 0.5 * 980.0 * tt * tt);
            pos[(t * J + j) * 3 + 2] = 0;
        }
    EXPECT(momu_kinetic_features(pos, T, J, 25.0, f, NULL) == MOMU_OK && NEAR(f[2], 9.8, 2e-3), "EE %g", f[2]);
    EXPECT(momu_kinetic_features(pos, 2, J, 25.0, f, NULL) == MOMU_ERR_ARG, "two frames are too few");
    pos[5] = NAN;
    EXPECT(momu_kinetic_features(pos, T, J, 25.0, f, NULL) == MOMU_ERR_RANGE, "NaN rejected");
}

TEST(kinetic_matches_python_reference) {
    /* tests/fixtures/eval/kinetic.txt from tools/eval_reference.py (AIST++ code, fixed acceleration) */
    FILE *f = fopen("tests/fixtures/eval/kinetic.txt", "r");
    EXPECT(f != NULL, "cannot open tests/fixtures/eval/kinetic.txt (run from the repository root)");
    if (!f) return;
    char line[256];
    size_t T = 0, J = 0;
    double fps = 0;
    EXPECT(fgets(line, sizeof line, f) && fscanf(f, "%zu %zu %lf", &T, &J, &fps) == 3 && T == 9 && J == 2,
           "fixture header");
    float pos[9 * 2 * 3];
    double want[6], got[6];
    int ok = 1;
    for (size_t i = 0; i < 54 && ok; i++) ok = fscanf(f, "%f", &pos[i]) == 1;
    for (size_t i = 0; i < 6 && ok; i++) ok = fscanf(f, "%lf", &want[i]) == 1;
    fclose(f);
    EXPECT(ok, "fixture body");
    if (!ok) return;
    EXPECT(momu_kinetic_features(pos, T, J, fps, got, NULL) == MOMU_OK, "ok");
    for (int i = 0; i < 6; i++)
        EXPECT(fabs(got[i] - want[i]) <= 1e-9 + 1e-9 * fabs(want[i]), "feature %d got %.12g want %.12g", i, got[i],
               want[i]);
}

TEST(geometric_hand) {
    enum { T = 4, J = 23 };
    float pos[T * J * 3];
    momu_eval_joints r;
    momu_eval_joints_dwm(&r);
    double f[MOMU_GEO_FEATURES];
    /* standing still, arms down: every relation is false */
    for (int t = 0; t < T; t++) dwm_pose(pos + t * J * 3, 0, 0, 0);
    momu_err e = {0};
    EXPECT(momu_geometric_features(pos, T, J, 25.0, &r, f, &e) == MOMU_OK, "%s", e.msg);
    int n_nonzero = 0;
    for (int i = 0; i < MOMU_GEO_FEATURES; i++) n_nonzero += f[i] != 0.0;
    EXPECT(n_nonzero == 0, "%d relations hold for the neutral pose", n_nonzero);
    /* arms up in 2 of 4 frames: hand above head / shoulder, elbow above shoulder = 0.5, hands near the head
     * (|wrist - head centre| = sqrt(20² + 30²) = 36 > 30: no) */
    dwm_pose(pos + 1 * J * 3, 1, 0, 0);
    dwm_pose(pos + 2 * J * 3, 1, 0, 0);
    EXPECT(momu_geometric_features(pos, T, J, 25.0, &r, f, NULL) == MOMU_OK, "ok");
    EXPECT(f[0] == 0.5 && f[1] == 0.5 && f[2] == 0.5 && f[3] == 0.5 && f[12] == 0.5 && f[13] == 0.5,
           "above head %g %g, above shoulder %g %g, elbow up %g %g", f[0], f[1], f[2], f[3], f[12], f[13]);
    EXPECT(f[24] == 0 && f[10] == 0, "near head %g, elbow bent %g", f[24], f[10]);
    /* travelling forward at 100 cm/s (> 3 hum/s = 90): root and both feet fast; hands not fast relative
     * to the root */
    for (int t = 0; t < T; t++) dwm_pose(pos + t * J * 3, 0, 0, 4.0 * t);
    EXPECT(momu_geometric_features(pos, T, J, 25.0, &r, f, NULL) == MOMU_OK, "ok");
    EXPECT(f[29] == 1 && f[32] == 1 && f[33] == 1 && f[30] == 0, "root %g feet %g %g hand %g", f[29], f[32],
           f[33], f[30]);
    /* left ankle moved 25 cm forward (toe and heel with it): left foot ahead (> 15 cm), not the right */
    for (int t = 0; t < T; t++) {
        dwm_pose(pos + t * J * 3, 0, 0, 0);
        for (int j = 9; j <= 11; j++) pos[(t * J + j) * 3 + 2] += 25.0f;
    }
    EXPECT(momu_geometric_features(pos, T, J, 25.0, &r, f, NULL) == MOMU_OK && f[18] == 1 && f[19] == 0,
           "foot ahead %g %g", f[18], f[19]);
    momu_eval_joints bad = r;
    bad.wrist[0] = 40;
    EXPECT(momu_geometric_features(pos, T, J, 25.0, &bad, f, NULL) == MOMU_ERR_ARG, "joint index out of range");
}

TEST(joint_roles_by_name) {
    const char *dwm[23] = {"head_L", "head_R", "spine", "shoulder_L", "elbow_L", "forearm_L", "wrist_L", "hip_L",
                           "knee_L", "ankle_L", "heel_L", "toe_L", "shoulder_R", "elbow_R", "forearm_R",
                           "wrist_R", "hip_R", "knee_R", "ankle_R", "heel_R", "toe_R", "hand_dir_R", "hand_dir_L"};
    momu_eval_joints a, b;
    momu_eval_joints_dwm(&a);
    EXPECT(momu_eval_joints_from_names(dwm, 23, &b, NULL) == MOMU_OK && !memcmp(&a, &b, sizeof a),
           "names of the DwM skeleton give the DwM roles");
    const char *bvh[] = {"mixamorig:Hips", "Spine", "Head", "LeftArm", "LeftForeArm", "LeftHand", "RightArm",
                         "RightForeArm", "RightHand", "LeftUpLeg", "LeftLeg", "LeftFoot", "LeftToeBase",
                         "RightUpLeg", "RightLeg", "RightFoot", "RightToeBase"};
    EXPECT(momu_eval_joints_from_names(bvh, 17, &b, NULL) == MOMU_OK, "BVH names");
    EXPECT(b.root == 0 && b.head[0] == 2 && b.head[1] == 2 && b.wrist[1] == 8 && b.toe[0] == 12 && b.heel[0] == -1,
           "root %d head %d wrist_R %d toe_L %d", b.root, b.head[0], b.wrist[1], b.toe[0]);
    momu_err e = {0};
    EXPECT(momu_eval_joints_from_names(bvh, 5, &b, &e) == MOMU_ERR_ARG && strstr(e.msg, "wrist_L"), "%s", e.msg);
}

TEST(foot_skate_hand) {
    enum { T = 50, J = 23 };
    float pos[T * J * 3];
    int feet[] = {9, 10, 11, 18, 19, 20};
    momu_foot_skate_result r;
    /* standing still: all in contact, no speed */
    for (int t = 0; t < T; t++) dwm_pose(pos + t * J * 3, 0, 0, 0);
    EXPECT(momu_foot_skate(pos, T, J, 25.0, feet, 6, NULL, &r, NULL) == MOMU_OK, "ok");
    EXPECT(r.skate_cm_s == 0 && r.contact_fraction == 1.0 && r.n_total == 6 * (T - 2), "skate %g contact %g",
           r.skate_cm_s, r.contact_fraction);
    /* the whole figure slides at 0.8 cm/frame = 20 cm/s along x on a floor rising 0.1 cm/frame (2.5 cm/s,
     * below the vertical-speed gate): every point is in contact and skates at 20 cm/s */
    for (int t = 0; t < T; t++) {
        dwm_pose(pos + t * J * 3, 0, 0.8 * t, 0);
        for (int j = 0; j < J; j++) pos[(t * J + j) * 3 + 1] += 0.1f * t;
    }
    EXPECT(momu_foot_skate(pos, T, J, 25.0, feet, 6, NULL, &r, NULL) == MOMU_OK, "ok");
    EXPECT(NEAR(r.skate_cm_s, 20.0, 1e-3) && r.contact_fraction == 1.0, "skate %g contact %g", r.skate_cm_s,
           r.contact_fraction);
    /* the left foot swings forward in the air (40 cm up, 2 cm/frame in z) during frames 10..39 while the
     * right foot stands: the swing is not contact; the right foot's 0 speed is all that counts */
    for (int t = 0; t < T; t++) {
        dwm_pose(pos + t * J * 3, 0, 0, 0);
        if (t >= 10 && t < 40)
            for (int j = 9; j <= 11; j++) {
                pos[(t * J + j) * 3 + 1] += 40.0f;
                pos[(t * J + j) * 3 + 2] += 2.0f * (float)(t - 10);
            }
    }
    EXPECT(momu_foot_skate(pos, T, J, 25.0, feet, 6, NULL, &r, NULL) == MOMU_OK, "ok");
    EXPECT(r.skate_cm_s == 0 && r.contact_fraction < 0.75 && r.contact_fraction > 0.6, "skate %g contact %g",
           r.skate_cm_s, r.contact_fraction);
    int bad_feet[] = {30};
    EXPECT(momu_foot_skate(pos, T, J, 25.0, bad_feet, 1, NULL, &r, NULL) == MOMU_ERR_ARG, "bad foot index");
}

/* ---------------------------------------------------------------- time lists */

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (f) { fputs(text, f); fclose(f); }
}

TEST(read_times) {
    char path[600];
    snprintf(path, sizeof path, "%s/times.txt", test_tmpdir());
    write_text(path, "time\tstrength\n0.5\t1\n\n# comment\n  1.25\n2e0\r\n");
    double *t = NULL;
    size_t n = 0;
    momu_err e = {0};
    EXPECT(momu_eval_read_times(path, &t, &n, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(n == 3 && t && t[0] == 0.5 && t[1] == 1.25 && t[2] == 2.0, "n %zu", n);
    free(t);
    write_text(path, "0.5\nabc\n");
    momu_err_clear(&e);
    EXPECT(momu_eval_read_times(path, &t, &n, &e) == MOMU_ERR_FORMAT && strstr(e.msg, ":2:"), "%s", e.msg);
    write_text(path, "0.5\nnan\n");
    momu_err_clear(&e);
    EXPECT(momu_eval_read_times(path, &t, &n, &e) == MOMU_ERR_RANGE, "%s", e.msg);
    write_text(path, "");
    EXPECT(momu_eval_read_times(path, &t, &n, NULL) == MOMU_OK && n == 0 && t == NULL, "empty file");
    snprintf(path, sizeof path, "%s/missing.txt", test_tmpdir());
    EXPECT(momu_eval_read_times(path, &t, &n, NULL) == MOMU_ERR_IO, "missing file");
}

/* ---------------------------------------------------------------- sanity: beats on beats vs half a beat off */

/* Two joints swinging x = A cos(π (t - shift) / P): the speed is 0 at t = shift + kP, so the kinematic
 * beats (local minima of speed) sit every P seconds starting at `shift`. */
static void swing_motion(momu_motion *m, size_t T, double fps, double period, double shift) {
    momu_motion_alloc(m, T, 2, (float)fps, NULL);
    for (size_t t = 0; t < T; t++)
        for (size_t j = 0; j < 2; j++) {
            double x = 30.0 * cos(M_PI_LOCAL * ((double)t / fps - shift) / period);
            m->pos[(t * 2 + j) * 3 + 0] = (float)(x + 10.0 * (double)j);
            m->pos[(t * 2 + j) * 3 + 1] = (float)(100.0 + 50.0 * (double)j);
            m->pos[(t * 2 + j) * 3 + 2] = 0.0f;
        }
}

TEST(sanity_beats_on_beats) {
    const double fps = 25.0, P = 0.48, dur = 12.0;
    size_t T = (size_t)(dur * fps);
    double music[64];
    size_t nm = 0;
    /* the music's beats, 125 BPM. The phase 0.013 s keeps the speed samples, taken between frames, from
     * meeting a minimum symmetrically (two equal samples are no strict minimum, as in scipy). */
    const double ph = 0.013;
    for (double t = P + ph; t < dur - 0.3; t += P) music[nm++] = t;
    double bas[2], f[2];
    for (int k = 0; k < 2; k++) {
        momu_motion m = {0};
        swing_motion(&m, T, fps, P, ph + (k ? P / 2 : 0.0));
        double *kin = NULL;
        size_t nk = 0;
        momu_err e = {0};
        EXPECT(momu_motion_beats_speed(&m, &kin, &nk, &e) == MOMU_OK && nk > 10, "%s; %zu beats", e.msg, nk);
        bas[k] = momu_bas(music, nm, kin, nk, MOMU_BAS_SIGMA_S);
        f[k] = momu_beat_fmeasure(music, nm, kin, nk, MOMU_BEAT_FMEASURE_TOL_S, NULL, NULL);
        free(kin);
        momu_motion_free(&m);
    }
    /* on the beat: every kinematic beat within half a frame (20 ms, Bailando's i/fps indexing of the speed
     * between frames i and i+1) of a music beat: BAS >= exp(-0.02²/0.02) = 0.98 and F near 1.
     * Half a beat off: d = 0.24 s, BAS = exp(-0.0576/0.02) = 0.056, F = 0. */
    printf("  info: swing on the beat BAS %.4f F %.3f; half a beat off BAS %.4f F %.3f\n", bas[0], f[0], bas[1], f[1]);
    EXPECT(bas[0] > 0.95 && f[0] > 0.9, "on the beat: BAS %g F %g", bas[0], f[0]);
    EXPECT(bas[1] < 0.15 && f[1] < 0.1, "half a beat off: BAS %g F %g", bas[1], f[1]);
}

/* End to end through files: a click track at 2 beats/s (16 kHz WAV) and a swinging DwM figure whose wrists
 * stop on the clicks, against the same figure half a beat late. */
static void write_clicks(const char *path, double dur, double period) {
    size_t n = (size_t)(dur * 16000);
    float *x = calloc(n, sizeof *x);
    for (double t = period; t < dur; t += period) {
        size_t i0 = (size_t)(t * 16000);
        for (size_t i = 0; i < 800 && i0 + i < n; i++)
            x[i0 + i] = (float)(0.8 * exp(-(double)i / 120.0) * sin(2 * M_PI_LOCAL * 1000.0 * (double)i / 16000.0));
    }
    momu_audio_write_wav(path, x, n, 16000, NULL);
    free(x);
}

static void write_dancer(const char *path, double dur, double period, double shift) {
    const double fps = 25.0;
    size_t T = (size_t)(dur * fps);
    momu_motion m = {0};
    momu_motion_alloc(&m, T, 23, (float)fps, NULL);
    for (size_t t = 0; t < T; t++) {
        float *p = m.pos + t * 23 * 3;
        dwm_pose(p, 0, 0, 0);
        double a = cos(M_PI_LOCAL * ((double)t / fps - shift) / period);
        for (int j = 0; j < 23; j++) {
            p[j * 3 + 1] += (float)(6.0 * a);              /* the whole body bobs up and down */
            if (j == 6 || j == 15 || j == 5 || j == 14) p[j * 3 + 2] += (float)(25.0 * a); /* arms swing */
        }
    }
    momu_motion_save(path, &m, NULL);
    momu_motion_free(&m);
}

TEST(sanity_pair_files) {
    char wav[600], on[600], off[600];
    snprintf(wav, sizeof wav, "%s/clicks.wav", test_tmpdir());
    snprintf(on, sizeof on, "%s/on.npy", test_tmpdir());
    snprintf(off, sizeof off, "%s/off.npy", test_tmpdir());
    const double dur = 12.0, P = 0.5;
    write_clicks(wav, dur, P);
    write_dancer(on, dur, P, 0.013);          /* phase: see sanity_beats_on_beats */
    write_dancer(off, dur, P, 0.013 + P / 2);
    momu_eval_opts o;
    momu_eval_opts_default(&o);
    momu_eval_pair pairs[2] = {{"on", wav, on, wav, off}, {"off", wav, off, wav, on}};
    momu_eval_pair_result r[2];
    momu_err e = {0};
    for (int k = 0; k < 2; k++) EXPECT(momu_eval_pair_run(&pairs[k], &o, &r[k], &e) == MOMU_OK, "%s", e.msg);
    if (e.status) return;
    EXPECT(r[0].n_frames == 300 && r[0].fps == 25.0 && NEAR(r[0].music_s, 12.0, 1e-9), "T %zu fps %g music %g s",
           r[0].n_frames, r[0].fps, r[0].music_s);
    EXPECT(NEAR(r[0].bpm, 120.0, 3.0), "beat tracker tempo %g", r[0].bpm);
    printf("  info: click track + dancer on the beat BAS %.4f beat F %.3f sync %.3f; half a beat off BAS %.4f "
           "beat F %.3f sync %.3f\n", r[0].bas, r[0].beat_f, r[0].sync, r[1].bas, r[1].beat_f, r[1].sync);
    EXPECT(r[0].bas > 0.8 && r[1].bas < 0.3, "BAS on %g off %g", r[0].bas, r[1].bas);
    EXPECT(r[0].beat_f > 0.8 && r[1].beat_f < 0.2, "beat F on %g off %g", r[0].beat_f, r[1].beat_f);
    EXPECT(r[0].sync > r[1].sync, "sync on %g off %g", r[0].sync, r[1].sync);
    /* the same music as its own reference: motion→music scores are perfect */
    EXPECT(r[0].loris_music.bcs == 1.0 && r[0].loris_music.bhs == 1.0 && r[0].onset_f == 1.0, "m2a %g %g %g",
           r[0].loris_music.bcs, r[0].loris_music.bhs, r[0].onset_f);
    momu_eval_summary s;
    EXPECT(momu_eval_summarise(r, 2, &s, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(s.n_pairs == 2 && s.has_fid_k && s.has_fid_g, "motion set metrics present (%d %d)", s.has_fid_k, s.has_fid_g);
    EXPECT(!s.has_fad, "one distinct music (both rows use the same file): no FAD stand-in");
    /* reference set = {off, on}, evaluated set = {on, off}: the same two clips, FID 0 */
    EXPECT(s.fid_k.fid < 1e-6 && s.fid_g.fid < 1e-6 && s.fid_k.n_ref == 2 && s.fid_k.n_gen == 2,
           "FID_k %g FID_g %g n %zu %zu", s.fid_k.fid, s.fid_g.fid, s.fid_k.n_ref, s.fid_k.n_gen);
    /* the same motion on a third row (another name) is counted once */
    momu_eval_pair_result r3[3];
    memcpy(r3, r, sizeof r);
    r3[2] = r[0];
    momu_eval_summary s3;
    EXPECT(momu_eval_summarise(r3, 3, &s3, &e) == MOMU_OK && s3.fid_k.n_gen == 2 && s3.fid_k.n_ref == 2,
           "duplicates: n %zu %zu", s3.fid_k.n_gen, s3.fid_k.n_ref);
    EXPECT(NEAR(s.bas_mean, 0.5 * (r[0].bas + r[1].bas), 1e-12), "mean BAS");
    /* pulse clarity: the audio statistic of the music, high for a click track, the same whatever the dance */
    EXPECT(r[0].pulse == r[0].audio[2 * MOMU_N_MELS + 2] && r[0].pulse > 0.5 && r[1].pulse == r[0].pulse &&
           NEAR(s.pulse_mean, r[0].pulse, 1e-12), "pulse %g %g (mean %g)", r[0].pulse, r[1].pulse, s.pulse_mean);
    for (int k = 0; k < 2; k++) momu_eval_pair_result_free(&r[k]);
    /* a missing file is an error that names it */
    momu_eval_pair bad = {"bad", wav, "/nonexistent/x.npy", NULL, NULL};
    momu_err_clear(&e);
    EXPECT(momu_eval_pair_run(&bad, &o, &r[0], &e) != MOMU_OK && strstr(e.msg, "/nonexistent/x.npy"), "%s", e.msg);
}

TEST(audio_stat_features_hand) {
    /* band 0: 0 1 0 1 0 (mean 0.4, std sqrt(0.24)); band 1 constant 2. flux = 0.5 0 0.5 0 (mean 0.25, std
     * 0.25). Centred flux ±0.25: autocorrelation at lag 1 -0.75, lag 2 +0.5, lag 3 -0.25 -> clarity 0.5
     * (lags 0.25..1.5 s at 4 fps = 1..6 frames) */
    float mel[10] = {0, 2, 1, 2, 0, 2, 1, 2, 0, 2};
    double f[7];
    EXPECT(momu_audio_stat_features(mel, 5, 2, 4.0, f, NULL) == MOMU_OK, "ok");
    EXPECT(NEAR(f[0], 0.4, 1e-7) && NEAR(f[1], 2.0, 1e-7), "means %g %g", f[0], f[1]);
    EXPECT(NEAR(f[2], sqrt(0.24), 1e-7) && NEAR(f[3], 0.0, 1e-7), "stds %g %g", f[2], f[3]);
    EXPECT(NEAR(f[4], 0.25, 1e-7) && NEAR(f[5], 0.25, 1e-7) && NEAR(f[6], 0.5, 1e-7), "flux %g %g %g", f[4], f[5],
           f[6]);
    mel[3] = NAN;
    EXPECT(momu_audio_stat_features(mel, 5, 2, 4.0, f, NULL) == MOMU_ERR_RANGE, "NaN rejected");
}

TEST(pairs_list) {
    char path[600];
    snprintf(path, sizeof path, "%s/pairs.tsv", test_tmpdir());
    write_text(path, "name\tmusic\tmotion\treference_music\treference_motion\n"
                     "a\tx.wav\t/abs/y.npy\n# comment\n\nb\tm.wav\tn.npy\t\tr.npy\n");
    momu_eval_pair_list l;
    momu_err e = {0};
    EXPECT(momu_eval_pairs_read(path, &l, &e) == MOMU_OK, "%s", e.msg);
    if (e.status) return;
    char want[700];
    snprintf(want, sizeof want, "%s/x.wav", test_tmpdir());
    EXPECT(l.n == 2 && !strcmp(l.pairs[0].name, "a") && !strcmp(l.pairs[0].music, want) &&
               !strcmp(l.pairs[0].motion, "/abs/y.npy") && !l.pairs[0].ref_music && !l.pairs[1].ref_music &&
               l.pairs[1].ref_motion && strstr(l.pairs[1].ref_motion, "/r.npy"),
           "n %zu", l.n);
    momu_eval_pair_list_free(&l);
    write_text(path, "a\tonly-two-columns\n");
    momu_err_clear(&e);
    EXPECT(momu_eval_pairs_read(path, &l, &e) == MOMU_ERR_FORMAT && strstr(e.msg, ":1:"), "%s", e.msg);
}

int main(void) {
    RUN(fmeasure_hand);
    RUN(fmeasure_maximum_not_nearest);
    RUN(fmeasure_edges);
    RUN(fmeasure_matches_bipartite_optimum);
    RUN(loris_clip_hand);
    RUN(loris_truncates_reference);
    RUN(loris_aggregate_hand);
    RUN(bas_hand);
    RUN(sym_eig_reconstructs);
    RUN(frechet_1d_by_hand);
    RUN(frechet_closed_form);
    RUN(frechet_identical_sets);
    RUN(frechet_matches_python_reference);
    RUN(diversity_and_fid_div);
    RUN(kinetic_hand);
    RUN(kinetic_matches_python_reference);
    RUN(geometric_hand);
    RUN(joint_roles_by_name);
    RUN(foot_skate_hand);
    RUN(read_times);
    RUN(audio_stat_features_hand);
    RUN(pairs_list);
    RUN(sanity_beats_on_beats);
    RUN(sanity_pair_files);
    return test_summary();
}
