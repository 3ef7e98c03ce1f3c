/* momu audio — librosa 0.8.0-compatible onset strength and onset detection (the version LORIS pins in its
 * requirements.txt; its beats_scores.py calls librosa.onset.onset_detect with the arguments used here). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio_internal.h"

/* Power mel spectrogram per frame (librosa.feature.melspectrogram, power=2): mel sums in double. */
static void powmel_sink(void *user, void *out_base, size_t t, const fftwf_complex *s, size_t n_bins) {
    const audio_melfb *fb = user;
    float pw[MOMU_ONSET_N_FFT / 2 + 1];
    (void)n_bins;
    for (size_t k = 0; k < MOMU_ONSET_N_FFT / 2 + 1; k++) pw[k] = s[k][0] * s[k][0] + s[k][1] * s[k][1];
    double *out = (double *)out_base + t * MOMU_ONSET_N_MELS;
    for (size_t m = 0; m < MOMU_ONSET_N_MELS; m++) {
        const float *w = fb->w + fb->off[m];
        const float *sm = pw + fb->lo[m];
        double acc = 0.0;
        for (size_t k = 0; k < fb->off[m + 1] - fb->off[m]; k++) acc += (double)w[k] * (double)sm[k];
        out[m] = acc;
    }
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

momu_status momu_onset_strength_agg(const float *x, size_t n, unsigned sr, momu_onset_agg agg, float **env,
                                    size_t *n_frames, momu_err *e) {
    *env = NULL;
    *n_frames = 0;
    if (!x || n == 0) return momu_fail(e, MOMU_ERR_ARG, "onset strength of an empty signal");
    if (agg < 0 || agg >= MOMU_ONSET_AGG_COUNT) return momu_fail(e, MOMU_ERR_ARG, "unknown onset aggregate %d", (int)agg);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return momu_fail(e, MOMU_ERR_RANGE, "onset strength: non-finite sample at %zu", i);
    float *res = NULL;
    const float *y = x;
    size_t ny = n;
    momu_status st;
    if (sr != MOMU_ONSET_SR) {   /* librosa.load(sr=22050) resamples first */
        st = momu_resample(x, n, sr, MOMU_ONSET_SR, &res, &ny, e);
        if (st) return st;
        y = res;
    }
    const size_t M = MOMU_ONSET_N_MELS, nf = 1 + ny / MOMU_ONSET_HOP;
    audio_melfb fb;
    st = audio_melfb_init(&fb, MOMU_ONSET_SR, MOMU_ONSET_N_FFT, M, 0.0, MOMU_ONSET_SR / 2.0, e);
    if (st) { free(res); return st; }
    double *S = momu_malloc_array(nf, M * sizeof(double), e);
    float *out = momu_calloc_array(nf, sizeof(float), e);
    if (!S || !out) { free(S); free(out); free(res); audio_melfb_free(&fb); return MOMU_ERR_OOM; }
    st = audio_stft_run(y, ny, MOMU_ONSET_N_FFT, MOMU_ONSET_HOP, MOMU_PAD_REFLECT, powmel_sink, &fb, S, e);
    audio_melfb_free(&fb);
    free(res);
    if (st) { free(S); free(out); return st; }
    /* librosa.power_to_db(S, ref=1.0, amin=1e-10, top_db=80): 10 log10(max(amin, S)), floored at max - 80 */
    double top = -INFINITY;
    for (size_t i = 0; i < nf * M; i++) {
        double v = 10.0 * log10(S[i] > MOMU_ONSET_AMIN ? S[i] : MOMU_ONSET_AMIN);
        S[i] = v;
        if (v > top) top = v;
    }
    double floor_db = top - MOMU_ONSET_TOP_DB;
    for (size_t i = 0; i < nf * M; i++)
        if (S[i] < floor_db) S[i] = floor_db;
    /* librosa.onset.onset_strength_multi(lag=1, max_size=1, center=True): spectral flux max(0, S[t] - S[t-1])
     * aggregated over bands, then left-padded by lag + n_fft // (2 hop) = 1 + 2 = 3 frames (the flux of frames
     * t-1 -> t lands at t + 2, undoing the centring delay) and cut back to the frame count. */
    const size_t pad = 1 + MOMU_ONSET_N_FFT / (2 * MOMU_ONSET_HOP);
AUDIO_OMP(omp parallel for schedule(static))
    for (size_t k = pad; k < nf; k++) {
        size_t t = k - pad + 1;   /* flux between frames t-1 and t */
        if (t >= nf) continue;
        const double *a = S + (t - 1) * M, *b = S + t * M;
        double d[MOMU_ONSET_N_MELS];
        for (size_t m = 0; m < M; m++) d[m] = b[m] - a[m] > 0.0 ? b[m] - a[m] : 0.0;
        double v;
        if (agg == MOMU_ONSET_AGG_MEAN) {
            double acc = 0.0;
            for (size_t m = 0; m < M; m++) acc += d[m];
            v = acc / (double)M;
        } else {   /* numpy.median: mean of the two middle values for an even count */
            qsort(d, M, sizeof(double), cmp_double);
            v = 0.5 * (d[M / 2 - 1] + d[M / 2]);
        }
        out[k] = (float)v;
    }
    free(S);
    *env = out;
    *n_frames = nf;
    return MOMU_OK;
}

momu_status momu_onset_strength(const float *x, size_t n, unsigned sr, float **env, size_t *n_frames, momu_err *e) {
    return momu_onset_strength_agg(x, n, sr, MOMU_ONSET_AGG_MEAN, env, n_frames, e);
}

momu_status momu_onset_peaks(const float *env, size_t n_frames, size_t **frames, size_t *n_onsets, momu_err *e) {
    *frames = NULL;
    *n_onsets = 0;
    if (!env || n_frames == 0) return MOMU_OK;
    for (size_t i = 0; i < n_frames; i++)
        if (!isfinite(env[i])) return momu_fail(e, MOMU_ERR_RANGE, "onset envelope: non-finite value at %zu", i);
    /* librosa.onset.onset_detect: env -= min(env); if not env.any(): no onsets; env /= max(env) */
    double lo = env[0], hi;
    for (size_t i = 1; i < n_frames; i++) lo = env[i] < lo ? env[i] : lo;
    double *x = momu_malloc_array(n_frames, sizeof(double), e);
    if (!x) return MOMU_ERR_OOM;
    hi = 0.0;
    for (size_t i = 0; i < n_frames; i++) {
        x[i] = (double)env[i] - lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    if (!(hi > 0.0)) { free(x); return MOMU_OK; }
    for (size_t i = 0; i < n_frames; i++) x[i] /= hi;
    size_t *out = momu_malloc_array(n_frames, sizeof(size_t), e);
    if (!out) { free(x); return MOMU_ERR_OOM; }
    /* librosa.util.peak_pick(pre_max=3, post_max=3, pre_avg=3, post_avg=3, delta=0.2, wait=1): the moving
     * max (scipy maximum_filter1d, size 6, origin 0, cval min) and the moving mean (uniform_filter1d, with
     * librosa's edge correction) both cover x[n-3 .. n+2], truncated at the ends. */
    const size_t pre_max = 3, post_max = 3, pre_avg = 3, post_avg = 3, wait = 1;
    const double delta = 0.2;
    size_t cnt = 0;
    long long last = -1000000;
    for (size_t i = 0; i < n_frames; i++) {
        size_t a = i >= pre_max ? i - pre_max : 0, b = i + post_max < n_frames ? i + post_max : n_frames;
        double mx = x[a];
        for (size_t j = a + 1; j < b; j++) mx = x[j] > mx ? x[j] : mx;
        if (x[i] != mx || x[i] == 0.0) continue;   /* detections = x * (x == mov_max); nonzero() */
        a = i >= pre_avg ? i - pre_avg : 0;
        b = i + post_avg < n_frames ? i + post_avg : n_frames;
        double acc = 0.0;
        for (size_t j = a; j < b; j++) acc += x[j];
        if (!(x[i] >= acc / (double)(b - a) + delta)) continue;
        if ((long long)i > last + (long long)wait) {
            out[cnt++] = i;
            last = (long long)i;
        }
    }
    free(x);
    if (cnt == 0) { free(out); return MOMU_OK; }
    *frames = out;
    *n_onsets = cnt;
    return MOMU_OK;
}

momu_status momu_onset_detect(const float *x, size_t n, unsigned sr, double **times, size_t *n_onsets, momu_err *e) {
    *times = NULL;
    *n_onsets = 0;
    float *env;
    size_t nf, *fr, k;
    momu_status st = momu_onset_strength(x, n, sr, &env, &nf, e);
    if (st) return st;
    st = momu_onset_peaks(env, nf, &fr, &k, e);
    free(env);
    if (st || k == 0) return st;
    double *t = momu_malloc_array(k, sizeof(double), e);
    if (!t) { free(fr); return MOMU_ERR_OOM; }
    /* librosa.frames_to_time: frame * hop / sr */
    for (size_t i = 0; i < k; i++) t[i] = (double)fr[i] * MOMU_ONSET_HOP / MOMU_ONSET_SR;
    free(fr);
    *times = t;
    *n_onsets = k;
    return MOMU_OK;
}
