/* Per-clip audio statistics for the Fréchet-distance stand-in for FAD (DESIGN.md §5 "Music quality"):
 * no pretrained audio embedding (VGGish, PANNs) can be fetched here, so a Fréchet distance is taken on
 * documented hand-made statistics of momu's log-mel instead. Numbers are NOT comparable to published FAD. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "momu/eval.h"

momu_status momu_audio_stat_features(const float *logmel, size_t T, size_t n_bands, double fps, double *feat,
                                     momu_err *e) {
    size_t n;
    if (!logmel || !feat || n_bands == 0 || n_bands > 4096 || !momu_mul_ok(T, n_bands, &n))
        return momu_fail(e, MOMU_ERR_ARG, "audio features: bad log-mel array (T %zu, bands %zu)", T, n_bands);
    if (T < 2) return momu_fail(e, MOMU_ERR_ARG, "audio features: needs at least 2 frames, got %zu", T);
    if (!isfinite(fps) || fps <= 0) return momu_fail(e, MOMU_ERR_ARG, "audio features: bad fps %g", fps);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(logmel[i])) return momu_fail(e, MOMU_ERR_RANGE, "audio features: log-mel value %zu is not finite", i);
    /* [0, B): band means; [B, 2B): band standard deviations (ddof 0) */
    for (size_t b = 0; b < n_bands; b++) {
        double s = 0.0, q = 0.0;
        for (size_t t = 0; t < T; t++) s += logmel[t * n_bands + b];
        double m = s / (double)T;
        for (size_t t = 0; t < T; t++) {
            double d = logmel[t * n_bands + b] - m;
            q += d * d;
        }
        feat[b] = m;
        feat[n_bands + b] = sqrt(q / (double)T);
    }
    /* Onset strength as librosa.onset.onset_strength(S=logmel, lag=1, max_size=1, aggregate=mean) computes
     * it on a precomputed log spectrogram: flux[t] = mean_b max(0, S[t,b] - S[t-1,b]), t = 1..T-1. */
    size_t nf = T - 1;
    double *flux = momu_malloc_array(nf, sizeof *flux, e);
    if (!flux) return momu_fail(e, MOMU_ERR_OOM, "audio features: out of memory");
    double s = 0.0, q = 0.0;
    for (size_t t = 1; t < T; t++) {
        double f = 0.0;
        for (size_t b = 0; b < n_bands; b++) {
            double d = (double)logmel[t * n_bands + b] - (double)logmel[(t - 1) * n_bands + b];
            f += d > 0 ? d : 0.0;
        }
        flux[t - 1] = f / (double)n_bands;
        s += flux[t - 1];
    }
    double mean = s / (double)nf;
    for (size_t t = 0; t < nf; t++) {
        flux[t] -= mean;
        q += flux[t] * flux[t];
    }
    feat[2 * n_bands] = mean;
    feat[2 * n_bands + 1] = sqrt(q / (double)nf);
    /* Pulse clarity: the largest normalised autocorrelation of the mean-removed flux over lags 0.25..1.5 s
     * (240..40 BPM), a tempo-salience measure in the spirit of Lartillot et al. 2008 (MIRtoolbox
     * mirpulseclarity); 0 when the clip is shorter than the smallest lag or the flux is constant. */
    double best = 0.0;
    if (q > 0) {
        size_t k0 = (size_t)(0.25 * fps + 0.5), k1 = (size_t)(1.5 * fps + 0.5);
        if (k0 < 1) k0 = 1;
        for (size_t k = k0; k <= k1 && k < nf; k++) {
            double r = 0.0;
            for (size_t t = 0; t + k < nf; t++) r += flux[t] * flux[t + k];
            r /= q;
            if (r > best) best = r;
        }
    }
    feat[2 * n_bands + 2] = best;
    free(flux);
    return MOMU_OK;
}
