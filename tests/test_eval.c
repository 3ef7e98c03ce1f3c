/* Tests of the evaluation metrics (src/eval) against hand-computed values. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "momu/eval.h"
#include "momu/rng.h"
#include "test.h"

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

int main(void) {
    RUN(fmeasure_hand);
    RUN(fmeasure_maximum_not_nearest);
    RUN(fmeasure_edges);
    RUN(fmeasure_matches_bipartite_optimum);
    RUN(loris_clip_hand);
    RUN(loris_truncates_reference);
    RUN(loris_aggregate_hand);
    RUN(bas_hand);
    RUN(read_times);
    return test_summary();
}
