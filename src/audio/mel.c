/* momu audio — Slaney mel filterbank (librosa.filters.mel), log-mel features, and mel -> linear magnitude. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio_internal.h"
#include "momu/npy.h"

/* librosa.core.hz_to_mel / mel_to_hz with htk=False (Slaney's Auditory Toolbox): linear below 1 kHz with
 * 200/3 Hz per mel, logarithmic above with step log(6.4)/27. */
static double hz_to_mel(double f) {
    const double f_sp = 200.0 / 3.0, min_log_hz = 1000.0, min_log_mel = min_log_hz / f_sp;
    const double logstep = log(6.4) / 27.0;
    return f >= min_log_hz ? min_log_mel + log(f / min_log_hz) / logstep : f / f_sp;
}
static double mel_to_hz(double m) {
    const double f_sp = 200.0 / 3.0, min_log_hz = 1000.0, min_log_mel = min_log_hz / f_sp;
    const double logstep = log(6.4) / 27.0;
    return m >= min_log_mel ? min_log_hz * exp(logstep * (m - min_log_mel)) : f_sp * m;
}
/* numpy.linspace(a, b, n)[i] (numpy 1.24: i*step + a, the last point set to b exactly). */
static double linspace_at(double a, double b, size_t n, size_t i) {
    if (n == 1) return a;
    if (i == n - 1) return b;
    return (double)i * ((b - a) / (double)(n - 1)) + a;
}

momu_status momu_mel_filterbank(unsigned sr, size_t n_fft, size_t n_mels, double fmin, double fmax, float *fb,
                                momu_err *e) {
    if (sr == 0 || n_fft < 2 || n_fft > ((size_t)1 << 24) || n_mels == 0 || n_mels > 4096 || !fb)
        return momu_fail(e, MOMU_ERR_ARG, "mel filterbank: bad arguments (sr %u, n_fft %zu, n_mels %zu)", sr, n_fft,
                         n_mels);
    if (!(fmin >= 0.0) || !(fmax > fmin) || fmax > sr / 2.0 + 1e-9)
        return momu_fail(e, MOMU_ERR_ARG, "mel filterbank: need 0 <= fmin < fmax <= sr/2, got %g..%g Hz", fmin, fmax);
    const size_t n_bins = n_fft / 2 + 1;
    double *mel_f = momu_malloc_array(n_mels + 2, sizeof(double), e);
    if (!mel_f) return MOMU_ERR_OOM;
    /* librosa.mel_frequencies(n_mels + 2, fmin, fmax): mel-spaced band edges */
    double mmin = hz_to_mel(fmin), mmax = hz_to_mel(fmax);
    for (size_t i = 0; i < n_mels + 2; i++) mel_f[i] = mel_to_hz(linspace_at(mmin, mmax, n_mels + 2, i));
    for (size_t m = 0; m < n_mels; m++) {
        double fd0 = mel_f[m + 1] - mel_f[m], fd1 = mel_f[m + 2] - mel_f[m + 1];
        double enorm = 2.0 / (mel_f[m + 2] - mel_f[m]);   /* norm='slaney': ~constant energy per band */
        for (size_t k = 0; k < n_bins; k++) {
            double f = linspace_at(0.0, sr / 2.0, n_bins, k);   /* librosa.fft_frequencies */
            double lower = -(mel_f[m] - f) / fd0, upper = (mel_f[m + 2] - f) / fd1;
            double w = lower < upper ? lower : upper;
            if (!(w > 0.0)) w = 0.0;
            /* librosa stores the triangle in a float32 array first, then scales it in place by the float64
             * enorm: two roundings, mirrored here so that the weights are bit-identical. */
            fb[m * n_bins + k] = (float)((double)(float)w * enorm);
        }
    }
    free(mel_f);
    return MOMU_OK;
}

void audio_melfb_free(audio_melfb *fb) {
    free(fb->lo); free(fb->off); free(fb->w); free(fb->dense);
    memset(fb, 0, sizeof *fb);
}

momu_status audio_melfb_init(audio_melfb *fb, unsigned sr, size_t n_fft, size_t n_mels, double fmin, double fmax,
                             momu_err *e) {
    memset(fb, 0, sizeof *fb);
    fb->n_mels = n_mels;
    fb->n_bins = n_fft / 2 + 1;
    size_t total;
    if (!momu_mul_ok(n_mels, fb->n_bins, &total)) return momu_fail(e, MOMU_ERR_OOM, "mel filterbank too large");
    fb->dense = momu_malloc_array(total, sizeof(float), e);
    fb->lo = momu_malloc_array(n_mels, sizeof(size_t), e);
    fb->off = momu_malloc_array(n_mels + 1, sizeof(size_t), e);
    if (!fb->dense || !fb->lo || !fb->off) { audio_melfb_free(fb); return MOMU_ERR_OOM; }
    momu_status st = momu_mel_filterbank(sr, n_fft, n_mels, fmin, fmax, fb->dense, e);
    if (st) { audio_melfb_free(fb); return st; }
    /* sparse rows: the nonzero span of each triangle */
    size_t nnz = 0;
    for (size_t m = 0; m < n_mels; m++) {
        const float *row = fb->dense + m * fb->n_bins;
        size_t a = 0, b = fb->n_bins;
        while (a < b && row[a] == 0.0f) a++;
        while (b > a && row[b - 1] == 0.0f) b--;
        fb->lo[m] = a;
        fb->off[m] = nnz;
        nnz += b - a;
    }
    fb->off[n_mels] = nnz;
    fb->w = momu_malloc_array(nnz ? nnz : 1, sizeof(float), e);
    if (!fb->w) { audio_melfb_free(fb); return MOMU_ERR_OOM; }
    for (size_t m = 0; m < n_mels; m++)
        memcpy(fb->w + fb->off[m], fb->dense + m * fb->n_bins + fb->lo[m],
               sizeof(float) * (fb->off[m + 1] - fb->off[m]));
    return MOMU_OK;
}

/* ---- log-mel ---- */

/* Per frame: magnitude |X| (HiFi-GAN / BigVGAN convention), Slaney mel, log10 with the floor. The mel sum
 * runs in double over the sparse triangle. */
static void logmel_sink(void *user, void *out_base, size_t t, const fftwf_complex *s, size_t n_bins) {
    const audio_melfb *fb = user;
    float mag[MOMU_N_BINS];
    (void)n_bins;
    for (size_t k = 0; k < MOMU_N_BINS; k++) mag[k] = sqrtf(s[k][0] * s[k][0] + s[k][1] * s[k][1]);
    float *out = (float *)out_base + t * MOMU_N_MELS;
    for (size_t m = 0; m < MOMU_N_MELS; m++) {
        const float *w = fb->w + fb->off[m];
        const float *sm = mag + fb->lo[m];
        size_t len = fb->off[m + 1] - fb->off[m];
        double acc = 0.0;
        for (size_t k = 0; k < len; k++) acc += (double)w[k] * (double)sm[k];
        out[m] = (float)log10(acc > MOMU_MEL_FLOOR ? acc : (double)MOMU_MEL_FLOOR);
    }
}

momu_status momu_logmel_into(const float *x, size_t n, float *mel, momu_err *e) {
    if (!x || n == 0) return momu_fail(e, MOMU_ERR_ARG, "log-mel of an empty signal");
    if (!mel) return momu_fail(e, MOMU_ERR_ARG, "log-mel: no output buffer");
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return momu_fail(e, MOMU_ERR_RANGE, "log-mel: non-finite sample at index %zu", i);
    audio_melfb fb;
    momu_status st = audio_melfb_init(&fb, MOMU_SR, MOMU_N_FFT, MOMU_N_MELS, MOMU_MEL_FMIN, MOMU_MEL_FMAX, e);
    if (st) return st;
    /* frames go straight from the FFT into the mel rows: no spectrogram buffer, whatever the length */
    st = audio_stft_run(x, n, MOMU_N_FFT, MOMU_HOP, MOMU_PAD_REFLECT, logmel_sink, &fb, mel, e);
    audio_melfb_free(&fb);
    return st;
}

momu_status momu_logmel(const float *x, size_t n, float **mel, size_t *n_frames, momu_err *e) {
    *mel = NULL;
    *n_frames = 0;
    if (!x || n == 0) return momu_fail(e, MOMU_ERR_ARG, "log-mel of an empty signal");
    size_t nf = 1 + n / MOMU_HOP;
    float *m = momu_malloc_array(nf, (size_t)MOMU_N_MELS * sizeof(float), e);
    if (!m) return MOMU_ERR_OOM;
    momu_status st = momu_logmel_into(x, n, m, e);
    if (st) { free(m); return st; }
    *mel = m;
    *n_frames = nf;
    return MOMU_OK;
}

momu_status momu_logmel_read(const char *path, float **mel, size_t *n_frames, momu_err *e) {
    *mel = NULL;
    *n_frames = 0;
    momu_npy a;
    momu_status st = momu_npy_read(path, &a, 1, e);
    if (st) return st;
    if (a.ndim != 2 || a.shape[1] != MOMU_N_MELS || a.shape[0] < 1) {
        char got[160] = "";
        for (int d = 0; d < a.ndim && d < 6; d++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%zu", d ? ", " : "", a.shape[d]);
        momu_npy_free(&a);
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: shape (%s), expected (frames, %d) as written by momu audio mel",
                         path, got, MOMU_N_MELS);
    }
    for (size_t i = 0; i < a.numel; i++)
        if (a.data[i] < -12.0f || a.data[i] > 6.0f) {
            momu_status r = momu_fail(e, MOMU_ERR_RANGE,
                                      "%s: value %g at frame %zu band %zu is not a log10 mel magnitude (accepted: "
                                      "[-12, 6])",
                                      path, (double)a.data[i], i / MOMU_N_MELS, i % MOMU_N_MELS);
            momu_npy_free(&a);
            return r;
        }
    *mel = a.data;   /* momu_npy_free only frees data */
    *n_frames = a.shape[0];
    return MOMU_OK;
}
