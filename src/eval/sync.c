/* momu — sync envelopes, sync score and the scale/offset alignment search (see include/momu/sync.h and
 * docs/DATA.md). All sums are in double and in a fixed order; the OpenMP loop over scales writes one
 * result slot per scale, reduced serially afterwards, so results do not depend on the thread count. */
#include "momu/sync.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "momu/rng.h"

/* Resamples src (n_src samples at src_rate) to dst_rate by linear interpolation at t = i / dst_rate; when
 * downsampling, src is first box-averaged over round(src_rate/dst_rate) samples so that no onset falls
 * between the picked samples (a crude anti-alias filter, enough for envelopes). */
static float *resample_env(const float *src, size_t n_src, double src_rate, double dst_rate, size_t *n_dst,
                           momu_err *e) {
    size_t n = (size_t)floor((double)n_src / src_rate * dst_rate + 1e-9);
    *n_dst = n;
    float *dst = momu_calloc_array(n ? n : 1, sizeof(float), e);
    if (!dst) return NULL;
    size_t box = src_rate > dst_rate ? (size_t)lround(src_rate / dst_rate) : 1;
    float *sm = NULL;
    const float *s = src;
    if (box > 1) {
        sm = momu_malloc_array(n_src ? n_src : 1, sizeof(float), e);
        if (!sm) { free(dst); return NULL; }
        for (size_t i = 0; i < n_src; i++) {
            /* centred box [i - box/2, i - box/2 + box) clipped to the signal */
            long lo = (long)i - (long)(box / 2), hi = lo + (long)box;
            if (lo < 0) lo = 0;
            if (hi > (long)n_src) hi = (long)n_src;
            double acc = 0;
            for (long k = lo; k < hi; k++) acc += src[k];
            sm[i] = (float)(acc / (double)(hi - lo));
        }
        s = sm;
    }
    for (size_t i = 0; i < n; i++) {
        double p = (double)i / dst_rate * src_rate;
        size_t k = (size_t)p;
        double f = p - (double)k;
        if (k + 1 < n_src) dst[i] = (float)((1.0 - f) * s[k] + f * s[k + 1]);
        else if (k < n_src) dst[i] = s[k];
    }
    free(sm);
    return dst;
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

momu_status momu_sync_condition(float *env, size_t n, double rate, momu_err *e) {
    if (n == 0) return MOMU_OK;
    if (!(rate > 0)) return momu_fail(e, MOMU_ERR_ARG, "sync condition: rate %g", rate);
    float *tmp = momu_malloc_array(n, sizeof(float), e);
    double *cs = momu_malloc_array(n + 1, sizeof(double), e);
    if (!tmp || !cs) { free(tmp); free(cs); return MOMU_ERR_OOM; }
    /* 1. log compression relative to the median: onset and motion envelopes are heavy-tailed, and a
     *    Pearson correlation on raw values would be decided by a handful of frames. */
    memcpy(tmp, env, n * sizeof(float));
    qsort(tmp, n, sizeof(float), cmp_float);
    double med = tmp[n / 2];
    if (!(med > 0)) {
        double acc = 0;
        for (size_t i = 0; i < n; i++) acc += fabs(env[i]);
        med = acc / (double)n;
    }
    if (med > 0)
        for (size_t i = 0; i < n; i++) env[i] = (float)log1p(fmax(0.0, env[i]) / med);
    /* 2. high-pass: subtract a centred 1-second moving average (prefix sums in double). What is left is
     *    the beat-scale structure; phrase-scale loudness or activity trends are not synchrony. */
    size_t half = (size_t)lround(0.5 * rate);
    cs[0] = 0;
    for (size_t i = 0; i < n; i++) cs[i + 1] = cs[i] + env[i];
    for (size_t i = 0; i < n; i++) {
        size_t lo = i > half ? i - half : 0, hi = i + half + 1 < n ? i + half + 1 : n;
        tmp[i] = env[i] - (float)((cs[hi] - cs[lo]) / (double)(hi - lo));
    }
    memcpy(env, tmp, n * sizeof(float));
    free(cs);
    free(tmp);
    /* 3. z-score (a constant envelope becomes all zeros) */
    double s = 0, ss = 0;
    for (size_t i = 0; i < n; i++) s += env[i];
    double mean = s / (double)n;
    for (size_t i = 0; i < n; i++) ss += (env[i] - mean) * (env[i] - mean);
    double sd = sqrt(ss / (double)n);
    for (size_t i = 0; i < n; i++) env[i] = sd > 0 ? (float)((env[i] - mean) / sd) : 0.0f;
    return MOMU_OK;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static momu_status check_finite(const float *x, size_t n, const char *what, momu_err *e) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return momu_fail(e, MOMU_ERR_RANGE, "%s: non-finite value at index %zu", what, i);
    return MOMU_OK;
}

momu_status momu_sync_music_envelope(const float *logmel, size_t n_frames, size_t n_bands, double fps,
                                     double rate, float **env, size_t *n_env, momu_err *e) {
    *env = NULL;
    *n_env = 0;
    size_t total;
    if (!logmel || n_bands == 0 || !(fps > 0) || !(rate > 0) || !momu_mul_ok(n_frames, n_bands, &total))
        return momu_fail(e, MOMU_ERR_ARG, "sync music envelope: bad arguments");
    if (n_frames < 2) return momu_fail(e, MOMU_ERR_RANGE, "sync music envelope: %zu frames, need at least 2", n_frames);
    if (check_finite(logmel, total, "sync music envelope (log-mel)", e)) return e ? e->status : MOMU_ERR_RANGE;
    float *flux = momu_malloc_array(n_frames, sizeof(float), e);
    if (!flux) return MOMU_ERR_OOM;
    /* librosa.onset.onset_strength with S=log-mel, lag=1, max_size=1, aggregate=np.mean: half-wave rectified
     * first difference, averaged over bands. Frame 0 has no predecessor: 0, as librosa's padding gives. */
    flux[0] = 0;
    for (size_t t = 1; t < n_frames; t++) {
        const float *a = logmel + (t - 1) * n_bands, *b = logmel + t * n_bands;
        double acc = 0;
        for (size_t k = 0; k < n_bands; k++) acc += fmax(0.0, (double)b[k] - (double)a[k]);
        flux[t] = (float)(acc / (double)n_bands);
    }
    *env = resample_env(flux, n_frames, fps, rate, n_env, e);
    free(flux);
    if (!*env) return MOMU_ERR_OOM;
    momu_status st = momu_sync_condition(*env, *n_env, rate, e);
    if (st) { free(*env); *env = NULL; *n_env = 0; }
    return st;
}

momu_status momu_sync_motion_envelope(const float *pos, size_t n_frames, size_t n_joints, double fps,
                                      double rate, float **env, size_t *n_env, momu_err *e) {
    *env = NULL;
    *n_env = 0;
    size_t total;
    if (!pos || n_joints == 0 || !(fps > 0) || !(rate > 0) || !momu_mul_ok(n_frames, n_joints * 3, &total))
        return momu_fail(e, MOMU_ERR_ARG, "sync motion envelope: bad arguments");
    if (n_frames < 3) return momu_fail(e, MOMU_ERR_RANGE, "sync motion envelope: %zu frames, need at least 3", n_frames);
    if (check_finite(pos, total, "sync motion envelope (positions)", e)) return e ? e->status : MOMU_ERR_RANGE;
    float *raw = momu_calloc_array(n_frames, sizeof(float), e);
    if (!raw) return MOMU_ERR_OOM;
    /* speed |v_j(r)| with v_j(r) = P(r+1,j) - P(r,j) lies between frames r and r+1; its change
     * |v_j(r)| - |v_j(r-1)| is centred on frame r. Summed over joints in absolute value: a visual beat
     * is a sudden start or stop of any limb (Davis & Agrawala 2018 use the same idea via Q(r)). */
    for (size_t r = 1; r + 1 < n_frames; r++) {
        double acc = 0;
        for (size_t j = 0; j < n_joints; j++) {
            const float *p0 = pos + ((r - 1) * n_joints + j) * 3, *p1 = pos + (r * n_joints + j) * 3,
                        *p2 = pos + ((r + 1) * n_joints + j) * 3;
            double a = 0, b = 0;
            for (int c = 0; c < 3; c++) {
                a += ((double)p1[c] - p0[c]) * ((double)p1[c] - p0[c]);
                b += ((double)p2[c] - p1[c]) * ((double)p2[c] - p1[c]);
            }
            acc += fabs(sqrt(b) - sqrt(a));
        }
        raw[r] = (float)(acc * fps);
    }
    *env = resample_env(raw, n_frames, fps, rate, n_env, e);
    free(raw);
    if (!*env) return MOMU_ERR_OOM;
    momu_status st = momu_sync_condition(*env, *n_env, rate, e);
    if (st) { free(*env); *env = NULL; *n_env = 0; }
    return st;
}

double momu_sync_corr_at_lag(const float *a, size_t n_a, const float *b, size_t n_b, long lag, double rate) {
    /* overlap: i in [max(0,-lag), min(n_a, n_b - lag)) */
    long lo = lag < 0 ? -lag : 0;
    long hi = (long)n_a < (long)n_b - lag ? (long)n_a : (long)n_b - lag;
    long min_len = (long)ceil(2.0 * rate);
    if (min_len < 2) min_len = 2;
    if (hi - lo < min_len) return 0.0;
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    for (long i = lo; i < hi; i++) {
        double x = a[i], y = b[i + lag];
        sa += x;
        sb += y;
        saa += x * x;
        sbb += y * y;
        sab += x * y;
    }
    double n = (double)(hi - lo);
    double cov = sab - sa * sb / n, va = saa - sa * sa / n, vb = sbb - sb * sb / n;
    if (!(va > 1e-12 * n) || !(vb > 1e-12 * n)) return 0.0;
    return cov / sqrt(va * vb);
}

double momu_sync_score(const float *music_env, size_t n_music, const float *motion_env, size_t n_motion,
                       double rate, double max_lag_s, double *best_lag_s) {
    long L = (long)floor(max_lag_s * rate + 1e-9);
    double best = -2.0;
    long best_lag = 0;
    /* lags visited 0, -1, +1, -2, +2 ... so that ties resolve to the smallest |lag| */
    for (long k = 0; k <= 2 * L; k++) {
        long lag = (k & 1) ? -(k + 1) / 2 : k / 2;
        double c = momu_sync_corr_at_lag(music_env, n_music, motion_env, n_motion, lag, rate);
        if (c > best) { best = c; best_lag = lag; }
    }
    if (best_lag_s) *best_lag_s = (double)best_lag / rate;
    return best < -1.0 ? 0.0 : best;
}

void momu_sync_retime(float *out, size_t n_out, const float *env, size_t n_env, double rate, double scale,
                      double offset_s) {
    for (size_t i = 0; i < n_out; i++) {
        double p = (scale * ((double)i / rate) + offset_s) * rate;
        out[i] = 0.0f;
        if (p < 0 || n_env == 0 || p > (double)(n_env - 1)) continue;
        size_t k = (size_t)p;
        double f = p - (double)k;
        out[i] = k + 1 < n_env ? (float)((1.0 - f) * env[k] + f * env[k + 1]) : env[k];
    }
}

double momu_sync_score_aligned(const float *music_env, size_t n_music, const float *motion_env, size_t n_motion,
                               double rate, double scale, double offset_s) {
    float *ret = malloc((n_music ? n_music : 1) * sizeof(float));
    if (!ret) return NAN;
    momu_sync_retime(ret, n_music, motion_env, n_motion, rate, scale, offset_s);
    /* only where the re-timed motion covers the music: outside it the zeros would dilute the correlation */
    size_t lo = 0, hi = n_music;
    while (lo < n_music && scale * ((double)lo / rate) + offset_s < 0) lo++;
    while (hi > lo && (scale * ((double)(hi - 1) / rate) + offset_s) * rate > (double)(n_motion - 1)) hi--;
    double s = momu_sync_score(music_env + lo, hi - lo, ret + lo, hi - lo, rate, MOMU_SYNC_SCORE_MAX_LAG_S, NULL);
    free(ret);
    return s;
}

void momu_sync_align_opts_default(momu_sync_align_opts *o) {
    o->scale_min = 0.96;
    o->scale_max = 1.04;
    o->scale_step = 0.002;
    o->max_offset_s = 2.0;
    o->n_null = 24;
    o->null_min_shift_s = 10.0;
    o->seed = 1;
}

typedef struct { double corr, scale, offset_s; } sync_best;

/* For one scale s: the motion envelope stretched onto the music clock with offset 0, g[u] = env(s*u/rate),
 * over the music samples it covers. An offset o then is a shift of o/s seconds of g (motion_time =
 * s*(t + o/s)), so the offset search is a lag search of g against the music. */
static sync_best search_scale(const float *music, size_t n_music, const float *motion, size_t n_motion, double rate,
                              double s, double max_offset_s, float *g) {
    size_t n_g = (size_t)floor((double)(n_motion - 1) / s) + 1;
    momu_sync_retime(g, n_g, motion, n_motion, rate, s, 0.0);
    long L = (long)ceil(max_offset_s / s * rate);
    sync_best b = {-2.0, s, 0.0};
    for (long k = 0; k <= 2 * L; k++) {
        long lag = (k & 1) ? -(k + 1) / 2 : k / 2;
        /* music[i] against g[i + lag]: motion at music time i/rate is env(s*(i+lag)/rate), offset s*lag/rate */
        double off = s * (double)lag / rate;
        if (fabs(off) > max_offset_s + 1e-9) continue;
        double c = momu_sync_corr_at_lag(music, n_music, g, n_g, lag, rate);
        if (c > b.corr) { b.corr = c; b.offset_s = off; }
    }
    return b;
}

/* The full coarse-to-fine search on one (music, motion) pair. scratch holds n_scales buffers of the stretched
 * motion, each of g_len floats. */
static sync_best search_all(const float *music, size_t n_music, const float *motion, size_t n_motion, double rate,
                            const momu_sync_align_opts *o, float *scratch, size_t g_len, sync_best *slots,
                            size_t n_coarse) {
    #pragma omp parallel for schedule(dynamic, 1)
    for (long i = 0; i < (long)n_coarse; i++) {
        double s = o->scale_min + (double)i * o->scale_step;
        slots[i] = search_scale(music, n_music, motion, n_motion, rate, s, o->max_offset_s,
                                scratch + (size_t)i * g_len);
    }
    sync_best best = slots[0];
    for (size_t i = 1; i < n_coarse; i++)
        if (slots[i].corr > best.corr) best = slots[i];
    /* fine: step/10 within one coarse step on either side */
    double fs = o->scale_step / 10.0;
    long n_fine = 21;
    #pragma omp parallel for schedule(dynamic, 1)
    for (long i = 0; i < n_fine; i++) {
        double s = best.scale + (double)(i - 10) * fs;
        if (s < o->scale_min - 1e-12 || s > o->scale_max + 1e-12 || i == 10) {
            slots[i].corr = -2.0;
            continue;
        }
        slots[i] = search_scale(music, n_music, motion, n_motion, rate, s, o->max_offset_s,
                                scratch + (size_t)i * g_len);
    }
    for (long i = 0; i < n_fine; i++)
        if (slots[i].corr > best.corr) best = slots[i];
    return best;
}

momu_status momu_sync_align(const float *music_env, size_t n_music, const float *motion_env, size_t n_motion,
                            double rate, const momu_sync_align_opts *opts, momu_sync_alignment *out,
                            momu_err *e) {
    memset(out, 0, sizeof *out);
    momu_sync_align_opts o;
    if (opts) o = *opts;
    else momu_sync_align_opts_default(&o);
    if (!music_env || !motion_env || !(rate > 0) || !(o.scale_min > 0.5) || !(o.scale_max < 2.0) ||
        !(o.scale_max >= o.scale_min) || !(o.scale_step > 0) || !(o.max_offset_s >= 0))
        return momu_fail(e, MOMU_ERR_ARG, "sync align: bad arguments");
    if ((double)n_music < 4.0 * rate || (double)n_motion < 4.0 * rate)
        return momu_fail(e, MOMU_ERR_RANGE, "sync align: envelopes of %zu and %zu samples are shorter than 4 s",
                         n_music, n_motion);
    if (n_music > ((size_t)1 << 28) || n_motion > ((size_t)1 << 28))
        return momu_fail(e, MOMU_ERR_RANGE, "sync align: envelopes too long");
    size_t n_coarse = (size_t)floor((o.scale_max - o.scale_min) / o.scale_step + 1e-9) + 1;
    if (n_coarse > 4096) return momu_fail(e, MOMU_ERR_ARG, "sync align: %zu scales is too many", n_coarse);
    size_t n_slots = n_coarse > 21 ? n_coarse : 21;
    size_t g_len = (size_t)floor((double)(n_motion - 1) / (o.scale_min - o.scale_step)) + 2;
    size_t scratch_n;
    if (!momu_mul_ok(n_slots, g_len, &scratch_n)) return momu_fail(e, MOMU_ERR_OOM, "sync align: size overflow");
    float *scratch = momu_malloc_array(scratch_n, sizeof(float), e);
    sync_best *slots = momu_malloc_array(n_slots, sizeof(sync_best), e);
    float *shifted = momu_malloc_array(n_music, sizeof(float), e);
    if (!scratch || !slots || !shifted) {
        free(scratch); free(slots); free(shifted);
        return MOMU_ERR_OOM;
    }
    sync_best best = search_all(music_env, n_music, motion_env, n_motion, rate, &o, scratch, g_len, slots, n_coarse);
    out->scale = best.scale;
    out->offset_s = best.offset_s;
    out->corr = best.corr;
    out->corr_before = momu_sync_score(music_env, n_music, motion_env, n_motion, rate, MOMU_SYNC_SCORE_MAX_LAG_S, NULL);
    out->score_after = momu_sync_score_aligned(music_env, n_music, motion_env, n_motion, rate, best.scale,
                                               best.offset_s);

    /* null: the same search with the music circularly shifted by a seeded random amount */
    momu_rng rng;
    momu_rng_seed(&rng, o.seed);
    size_t min_shift = (size_t)lround(o.null_min_shift_s * rate);
    if (2 * min_shift + 1 >= n_music) min_shift = n_music / 4;
    double s1 = 0, s2 = 0, mx = -2.0;
    size_t below = 0;
    for (size_t k = 0; k < o.n_null; k++) {
        size_t span = n_music - 2 * min_shift;
        size_t sh = min_shift + momu_rng_below(&rng, span ? span : 1);
        for (size_t i = 0; i < n_music; i++) shifted[i] = music_env[(i + sh) % n_music];
        sync_best nb = search_all(shifted, n_music, motion_env, n_motion, rate, &o, scratch, g_len, slots, n_coarse);
        s1 += nb.corr;
        s2 += nb.corr * nb.corr;
        if (nb.corr > mx) mx = nb.corr;
        if (nb.corr < best.corr) below++;
    }
    if (o.n_null > 0) {
        double m = s1 / (double)o.n_null;
        double var = o.n_null > 1 ? (s2 - s1 * m) / (double)(o.n_null - 1) : 0.0;
        out->null_mean = m;
        out->null_std = var > 0 ? sqrt(var) : 0.0;
        out->null_max = mx;
        out->z = out->null_std > 0 ? (best.corr - m) / out->null_std : 0.0;
        out->percentile = 100.0 * (double)below / (double)o.n_null;
    }
    /* random-alignment level: the motion re-timed with the found (scale, offset), the music shifted */
    float *own = momu_malloc_array(n_music, sizeof(float), e);
    double *rc = momu_malloc_array(MOMU_SYNC_N_RANDOM, sizeof(double), e);
    if (own && rc) {
        momu_sync_retime(own, n_music, motion_env, n_motion, rate, best.scale, best.offset_s);
        size_t lo = 0, hi = n_music;
        while (lo < n_music && best.scale * ((double)lo / rate) + best.offset_s < 0) lo++;
        while (hi > lo && (best.scale * ((double)(hi - 1) / rate) + best.offset_s) * rate > (double)(n_motion - 1)) hi--;
        momu_rng_seed(&rng, o.seed ^ 0x9e3779b97f4a7c15ULL);
        double acc = 0;
        for (size_t k = 0; k < MOMU_SYNC_N_RANDOM; k++) {
            size_t span = n_music - 2 * min_shift;
            size_t sh = min_shift + momu_rng_below(&rng, span ? span : 1);
            for (size_t i = 0; i < n_music; i++) shifted[i] = music_env[(i + sh) % n_music];
            rc[k] = momu_sync_corr_at_lag(shifted + lo, hi - lo, own + lo, hi - lo, 0, rate);
            acc += rc[k];
        }
        qsort(rc, MOMU_SYNC_N_RANDOM, sizeof(double), cmp_double);
        out->rand_mean = acc / MOMU_SYNC_N_RANDOM;
        out->rand_p99 = rc[(size_t)floor(0.99 * (MOMU_SYNC_N_RANDOM - 1))];
    }
    momu_status st = own && rc ? MOMU_OK : MOMU_ERR_OOM;
    free(own);
    free(rc);
    free(scratch);
    free(slots);
    free(shifted);
    return st;
}
