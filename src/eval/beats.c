/* Beat metrics on time lists: beat F-measure (mir_eval), LORIS 1-second-bin scores, BAS (Bailando). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "momu/eval.h"

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int all_finite(const double *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}

/* Sorted private copy; NULL for n == 0 or on allocation failure (*ok = 0 then). */
static double *sorted_copy(const double *x, size_t n, int *ok) {
    *ok = 1;
    if (n == 0) return NULL;
    double *c = momu_malloc_array(n, sizeof *c, NULL);
    if (!c) { *ok = 0; return NULL; }
    memcpy(c, x, n * sizeof *c);
    qsort(c, n, sizeof *c, cmp_double);
    return c;
}

/* Maximum one-to-one matching with |r - e| <= tol on sorted lists. Equal-width windows have sorted left and
 * right ends, so taking for each reference (in order) the leftmost free estimate in its window is optimal:
 * an estimate left of the current window is left of every later window too, and the leftmost candidate is
 * the one least useful to the later references. */
static size_t match_count(const double *ref, size_t n_ref, const double *est, size_t n_est, double tol) {
    size_t i = 0, j = 0, m = 0;
    while (i < n_ref && j < n_est) {
        if (est[j] < ref[i] - tol) j++;
        else if (est[j] > ref[i] + tol) i++;
        else { m++; i++; j++; }
    }
    return m;
}

double momu_beat_fmeasure(const double *ref, size_t n_ref, const double *est, size_t n_est, double tol_s,
                          double *precision, double *recall) {
    if (precision) *precision = 0.0;
    if (recall) *recall = 0.0;
    if (!isfinite(tol_s) || tol_s < 0 || (n_ref && !ref) || (n_est && !est) || !all_finite(ref, n_ref) ||
        !all_finite(est, n_est)) {
        if (precision) *precision = NAN;
        if (recall) *recall = NAN;
        return NAN;
    }
    if (n_ref == 0 || n_est == 0) return 0.0;
    int ok1, ok2;
    double *r = sorted_copy(ref, n_ref, &ok1), *s = sorted_copy(est, n_est, &ok2);
    if (!ok1 || !ok2) {
        free(r);
        free(s);
        return NAN;
    }
    /* 1e-9 s absorbs the rounding of times like 0.07 + 1.0 - 1.0; mir_eval compares with <= as well. */
    size_t m = match_count(r, n_ref, s, n_est, tol_s + 1e-9);
    free(r);
    free(s);
    double p = (double)m / (double)n_est, rc = (double)m / (double)n_ref;
    if (precision) *precision = p;
    if (recall) *recall = rc;
    return m ? 2.0 * p * rc / (p + rc) : 0.0;
}

/* ceil(duration) one-second bins; marks[floor(t)] = 1 (LORIS beat_detect: beats[int(np.trunc(time))] = 1). */
static void mark_bins(unsigned char *marks, size_t n_bins, const double *t, size_t n) {
    memset(marks, 0, n_bins);
    for (size_t i = 0; i < n; i++) {
        if (!(t[i] >= 0.0)) continue;
        double b = floor(t[i]);
        if (b < (double)n_bins) marks[(size_t)b] = 1;
    }
}

/* Largest duration accepted: 1e7 s (about 4 months) keeps the bin arrays far below any memory limit. */
#define LORIS_MAX_DURATION_S 1e7

momu_status momu_loris_clip_score(const double *ref_times, size_t n_ref, double ref_duration_s,
                                  const double *gen_times, size_t n_gen, double gen_duration_s,
                                  momu_loris_clip *out, momu_err *e) {
    if (!out || (n_ref && !ref_times) || (n_gen && !gen_times))
        return momu_fail(e, MOMU_ERR_ARG, "loris: NULL argument");
    memset(out, 0, sizeof *out);
    if (!isfinite(ref_duration_s) || !isfinite(gen_duration_s) || ref_duration_s < 0 || gen_duration_s < 0 ||
        ref_duration_s > LORIS_MAX_DURATION_S || gen_duration_s > LORIS_MAX_DURATION_S)
        return momu_fail(e, MOMU_ERR_RANGE, "loris: clip durations must be finite, >= 0 and <= %g s (got %g, %g)",
                         LORIS_MAX_DURATION_S, ref_duration_s, gen_duration_s);
    if (!all_finite(ref_times, n_ref) || !all_finite(gen_times, n_gen))
        return momu_fail(e, MOMU_ERR_RANGE, "loris: onset times must be finite");
    size_t nr = (size_t)ceil(ref_duration_s), ng = (size_t)ceil(gen_duration_s);
    unsigned char *mr = momu_calloc_array(nr ? nr : 1, 1, e), *mg = momu_calloc_array(ng ? ng : 1, 1, e);
    if (!mr || !mg) {
        free(mr);
        free(mg);
        return momu_fail(e, MOMU_ERR_OOM, "loris: out of memory");
    }
    mark_bins(mr, nr, ref_times, n_ref);
    mark_bins(mg, ng, gen_times, n_gen);
    size_t n_common = nr < ng ? nr : ng;  /* gt = gt[:len(syn)] */
    out->n_bins_ref = nr;
    out->n_bins_gen = ng;
    for (size_t i = 0; i < ng; i++) out->cover += mg[i];
    for (size_t i = 0; i < n_common; i++) {
        out->total += mr[i];
        out->hit += mr[i] & mg[i];
    }
    out->bcs = out->cover ? (double)out->hit / (double)out->cover : 0.0;
    out->bhs = out->total ? (double)out->hit / (double)out->total : 0.0;
    free(mr);
    free(mg);
    return MOMU_OK;
}

/* Two-pass mean and sample standard deviation (ddof = 1), in clip order: deterministic. */
static void mean_std(const momu_loris_clip *c, size_t n, int which, double *mean, double *sd) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += which ? c[i].bhs : c[i].bcs;
    *mean = s / (double)n;
    if (n < 2) { *sd = NAN; return; }
    double q = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = (which ? c[i].bhs : c[i].bcs) - *mean;
        q += d * d;
    }
    *sd = sqrt(q / (double)(n - 1));
}

momu_status momu_loris_aggregate(const momu_loris_clip *clips, size_t n_clips, momu_loris_summary *out,
                                 momu_err *e) {
    if (!out || (n_clips && !clips)) return momu_fail(e, MOMU_ERR_ARG, "loris: NULL argument");
    memset(out, 0, sizeof *out);
    if (n_clips == 0) return momu_fail(e, MOMU_ERR_ARG, "loris: no clips to aggregate");
    for (size_t i = 0; i < n_clips; i++)
        if (!isfinite(clips[i].bcs) || !isfinite(clips[i].bhs))
            return momu_fail(e, MOMU_ERR_RANGE, "loris: clip %zu has a non-finite score", i);
    out->n_clips = n_clips;
    mean_std(clips, n_clips, 0, &out->bcs, &out->csd);
    mean_std(clips, n_clips, 1, &out->bhs, &out->hsd);
    out->f1 = out->bcs + out->bhs > 0 ? 2.0 * out->bcs * out->bhs / (out->bcs + out->bhs) : 0.0;
    return MOMU_OK;
}

double momu_bas(const double *music_beats, size_t n_music, const double *kin_beats, size_t n_kin,
                double sigma_s) {
    if (!isfinite(sigma_s) || sigma_s <= 0 || (n_music && !music_beats) || (n_kin && !kin_beats) ||
        !all_finite(music_beats, n_music) || !all_finite(kin_beats, n_kin))
        return NAN;
    if (n_music == 0) return NAN;
    if (n_kin == 0) return 0.0;
    int ok;
    double *k = sorted_copy(kin_beats, n_kin, &ok);
    if (!ok) return NAN;
    double sum = 0.0;
    for (size_t i = 0; i < n_music; i++) {
        double b = music_beats[i];
        /* nearest kinematic beat by binary search on the sorted copy */
        size_t lo = 0, hi = n_kin;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (k[mid] < b) lo = mid + 1;
            else hi = mid;
        }
        double d = INFINITY;
        if (lo < n_kin) d = k[lo] - b;
        if (lo > 0 && b - k[lo - 1] < d) d = b - k[lo - 1];
        sum += exp(-d * d / (2.0 * sigma_s * sigma_s));
    }
    free(k);
    return sum / (double)n_music;
}
