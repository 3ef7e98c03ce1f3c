/* momu beats — onset novelty, global tempo, dynamic-programming beat tracker.
 *
 * References:
 *   [E07] D. P. W. Ellis, "Beat tracking by dynamic programming", J. New Music Research 36(1), 2007.
 *   [LR]  librosa 0.10: onset.onset_strength, feature.tempogram, feature.rhythm.tempo, beat.beat_track.
 *
 * Frames: hop = round(sr/100) samples (fps = sr/hop ~ 100), a Hann window of ~46 ms centred on sample
 * t·hop (zeros outside the signal), zero-padded to a power-of-two real FFT written here (no FFTW planner,
 * so the module is thread-safe and bit-reproducible). */
#include "momu/beats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* OpenMP pragmas that vanish (without -Wunknown-pragmas noise) in NO_OMP=1 builds. */
#ifdef _OPENMP
#define BEAT_OMP(x) _Pragma(#x)
#else
#define BEAT_OMP(x)
#endif

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define BEAT_FPS_TARGET   100.0
#define BEAT_WIN_S        0.046   /* analysis window, ~2048 samples at 44.1 kHz as in [LR] */
#define BEAT_N_MELS       80
#define BEAT_FMIN         30.0
#define BEAT_FMAX         11025.0
#define BEAT_TOP_DB       80.0    /* librosa.power_to_db(top_db=80), used by onset_strength [LR] */
#define BEAT_TG_WIN_S     8.0     /* tempogram window: librosa's 384 frames at 43 fps = 8.9 s */
#define BEAT_TG_HOP_S     0.5
#define BEAT_MAX_SECONDS  (6.0 * 3600.0)
/* Steady-tempo test (see beat_steady_segment): the best constant grid must keep >= 70 % of the DP path's mean
 * onset score, and >= 50 % of the DP beats must lie within ±1/8 of a half period of the grid's beats or
 * off-beats (25 % by chance). Set below every song of bench/beats_fof.sh and of the dance-with-melody music
 * whose tempo came out as an integer BPM (sequenced, hence steady); a song time-warped by ±4 % in sections
 * fails both. */
#define BEAT_STEADY_RATIO 0.70
#define BEAT_STEADY_ON    0.50
#define BEAT_STEADY_DEPTH 3       /* halvings at most: segments of >= 1/8 of the piece */
#define BEAT_SEG_MIN_BEATS 16

void momu_beat_opts_default(momu_beat_opts *o) {
    o->min_bpm = 40.0;
    o->max_bpm = 240.0;
    o->prior_bpm = 120.0;
    o->prior_octaves = 1.0;
    o->tightness = 100.0;
    o->fixed_bpm = 0.0;
    o->trim = 1;
    o->steady = 1;
}

static momu_status beat_check_opts(const momu_beat_opts *o, momu_err *e) {
    if (!(o->min_bpm >= 10.0 && o->min_bpm <= 1000.0) || !(o->max_bpm <= 1000.0) ||
        !(o->max_bpm > o->min_bpm))
        return momu_fail(e, MOMU_ERR_ARG, "beat tracker: min_bpm %g / max_bpm %g must satisfy 10 <= min < max <= 1000",
                         o->min_bpm, o->max_bpm);
    if (!(o->prior_bpm > 0.0 && o->prior_bpm <= 1000.0) || !(o->prior_octaves > 0.0 && o->prior_octaves <= 100.0))
        return momu_fail(e, MOMU_ERR_ARG, "beat tracker: prior_bpm %g / prior_octaves %g out of range",
                         o->prior_bpm, o->prior_octaves);
    if (!(o->tightness >= 0.0 && o->tightness <= 1e6))
        return momu_fail(e, MOMU_ERR_ARG, "beat tracker: tightness %g must be in [0, 1e6]", o->tightness);
    if (!(o->fixed_bpm == 0.0 || (o->fixed_bpm >= 10.0 && o->fixed_bpm <= 1000.0)))
        return momu_fail(e, MOMU_ERR_ARG, "beat tracker: fixed_bpm %g must be 0 or in [10, 1000]", o->fixed_bpm);
    return MOMU_OK;
}

/* ---------------------------------------------------------------- real FFT (power spectrum only) */

/* Real FFT of size n (power of two, >= 4) through a complex FFT of size m = n/2: the even/odd samples
 * are packed into one complex sequence, then untangled (Numerical Recipes §12.3, "realft"). */
typedef struct {
    size_t n, m, *rev;
    float *cw, *sw;   /* complex-FFT twiddles exp(-2πij/m), j < m/2 */
    float *rc, *rs;   /* untangling twiddles exp(-2πik/n), k <= m */
} beat_rfft;

static void beat_rfft_free(beat_rfft *f) {
    free(f->rev); free(f->cw); free(f->sw); free(f->rc); free(f->rs);
    memset(f, 0, sizeof *f);
}

static momu_status beat_rfft_init(beat_rfft *f, size_t n, momu_err *e) {
    memset(f, 0, sizeof *f);
    f->n = n;
    f->m = n / 2;
    f->rev = momu_malloc_array(f->m, sizeof *f->rev, e);
    f->cw = momu_malloc_array(f->m / 2 + 1, sizeof(float), e);
    f->sw = momu_malloc_array(f->m / 2 + 1, sizeof(float), e);
    f->rc = momu_malloc_array(f->m + 1, sizeof(float), e);
    f->rs = momu_malloc_array(f->m + 1, sizeof(float), e);
    if (!f->rev || !f->cw || !f->sw || !f->rc || !f->rs) { beat_rfft_free(f); return MOMU_ERR_OOM; }
    size_t bits = 0;
    while (((size_t)1 << bits) < f->m) bits++;
    for (size_t i = 0; i < f->m; i++) {
        size_t r = 0;
        for (size_t b = 0; b < bits; b++) r |= ((i >> b) & 1u) << (bits - 1 - b);
        f->rev[i] = r;
    }
    for (size_t j = 0; j <= f->m / 2; j++) {
        f->cw[j] = (float)cos(-2.0 * M_PI * (double)j / (double)f->m);
        f->sw[j] = (float)sin(-2.0 * M_PI * (double)j / (double)f->m);
    }
    for (size_t k = 0; k <= f->m; k++) {
        f->rc[k] = (float)cos(-2.0 * M_PI * (double)k / (double)n);
        f->rs[k] = (float)sin(-2.0 * M_PI * (double)k / (double)n);
    }
    return MOMU_OK;
}

/* x: (n) real input; re, im: (m) scratch; pw: (m+1) output |X_k|^2, k = 0..n/2. */
static void beat_rfft_power(const beat_rfft *f, const float *x, float *re, float *im, float *pw) {
    size_t m = f->m;
    for (size_t i = 0; i < m; i++) {
        size_t r = f->rev[i];
        re[r] = x[2 * i];
        im[r] = x[2 * i + 1];
    }
    for (size_t len = 2; len <= m; len <<= 1) {
        size_t half = len / 2, step = m / len;
        for (size_t s = 0; s < m; s += len)
            for (size_t j = 0; j < half; j++) {
                float wr = f->cw[j * step], wi = f->sw[j * step];
                size_t a = s + j, b = a + half;
                float tr = re[b] * wr - im[b] * wi, ti = re[b] * wi + im[b] * wr;
                re[b] = re[a] - tr; im[b] = im[a] - ti;
                re[a] += tr; im[a] += ti;
            }
    }
    for (size_t k = 0; k <= m; k++) {
        size_t k1 = k % m, k2 = (m - k) % m;
        float zr = re[k1], zi = im[k1], cr = re[k2], ci = -im[k2];        /* Z[k], conj(Z[m-k]) */
        float er = 0.5f * (zr + cr), ei = 0.5f * (zi + ci);               /* even part  */
        float dr = 0.5f * (zr - cr), di = 0.5f * (zi - ci);
        float or_ = di, oi = -dr;                                          /* odd = d / i */
        float xr = er + f->rc[k] * or_ - f->rs[k] * oi;
        float xi = ei + f->rc[k] * oi + f->rs[k] * or_;
        pw[k] = xr * xr + xi * xi;
    }
}

/* ---------------------------------------------------------------- onset novelty */

static double beat_hz_to_mel(double f) { return 2595.0 * log10(1.0 + f / 700.0); }
static double beat_mel_to_hz(double m) { return 700.0 * (pow(10.0, m / 2595.0) - 1.0); }

momu_status momu_beat_onset_envelope(const float *x, size_t n, unsigned sr, float **env, size_t *n_frames,
                                     double *fps, momu_err *e) {
    if (!env || !n_frames) return momu_fail(e, MOMU_ERR_ARG, "beat onset envelope: NULL output pointer");
    *env = NULL;
    *n_frames = 0;
    if (sr < 8000 || sr > 192000)
        return momu_fail(e, MOMU_ERR_ARG, "beat onset envelope: sample rate %u Hz outside 8000..192000", sr);
    if (n > 0 && !x) return momu_fail(e, MOMU_ERR_ARG, "beat onset envelope: NULL samples");
    if ((double)n > BEAT_MAX_SECONDS * sr)
        return momu_fail(e, MOMU_ERR_RANGE, "beat onset envelope: %zu samples at %u Hz is more than 6 hours", n, sr);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return momu_fail(e, MOMU_ERR_RANGE, "beat onset envelope: sample %zu is not finite", i);

    size_t hop = (size_t)lround(sr / BEAT_FPS_TARGET);
    size_t win = 2 * (size_t)lround(BEAT_WIN_S * sr / 2.0);
    size_t nfft = 4;
    while (nfft < win) nfft <<= 1;
    size_t nb = nfft / 2 + 1, nf = n / hop + 1;
    if (fps) *fps = (double)sr / (double)hop;

    beat_rfft fft;
    momu_status st = beat_rfft_init(&fft, nfft, e);
    if (st) return st;
    float *window = momu_malloc_array(win, sizeof(float), e);
    /* Mel filterbank (HTK mel scale, triangles, no area normalisation: a per-band gain cancels in the
     * log-spectral difference). Stored dense over [lo, hi) bins per band. */
    size_t *blo = momu_malloc_array(BEAT_N_MELS, sizeof(size_t), e);
    size_t *bhi = momu_malloc_array(BEAT_N_MELS, sizeof(size_t), e);
    float *fw = momu_calloc_array((size_t)BEAT_N_MELS * nb, sizeof(float), e);
    float *logmel = momu_malloc_array(nf * BEAT_N_MELS, sizeof(float), e);
    float *out = momu_calloc_array(nf, sizeof(float), e);
    if (!window || !blo || !bhi || !fw || !logmel || !out) { st = MOMU_ERR_OOM; goto done; }
    for (size_t i = 0; i < win; i++) window[i] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * (double)i / (double)win));
    {
        double fmax = fmin(BEAT_FMAX, 0.5 * sr);
        double m0 = beat_hz_to_mel(BEAT_FMIN), m1 = beat_hz_to_mel(fmax);
        for (size_t b = 0; b < BEAT_N_MELS; b++) {
            double fl = beat_mel_to_hz(m0 + (m1 - m0) * (double)b / (BEAT_N_MELS + 1));
            double fc = beat_mel_to_hz(m0 + (m1 - m0) * (double)(b + 1) / (BEAT_N_MELS + 1));
            double fh = beat_mel_to_hz(m0 + (m1 - m0) * (double)(b + 2) / (BEAT_N_MELS + 1));
            blo[b] = nb;
            bhi[b] = 0;
            for (size_t k = 0; k < nb; k++) {
                double fk = (double)k * sr / (double)nfft;
                double w = fk <= fc ? (fk - fl) / (fc - fl) : (fh - fk) / (fh - fc);
                if (w > 0.0) {
                    fw[b * nb + k] = (float)w;
                    if (k < blo[b]) blo[b] = k;
                    bhi[b] = k + 1;
                }
            }
            if (blo[b] >= bhi[b]) { /* narrower than one bin: take the nearest bin */
                size_t k = (size_t)lround(fc * nfft / sr);
                if (k >= nb) k = nb - 1;
                fw[b * nb + k] = 1.0f;
                blo[b] = k;
                bhi[b] = k + 1;
            }
        }
    }

    int oom = 0;
    BEAT_OMP(omp parallel)
    {
        float *buf = malloc(nfft * sizeof(float));
        float *re = malloc(fft.m * sizeof(float)), *im = malloc(fft.m * sizeof(float));
        float *pw = malloc(nb * sizeof(float));
        if (!buf || !re || !im || !pw) {
            BEAT_OMP(omp atomic write)
            oom = 1;
        }
        BEAT_OMP(omp for schedule(static))
        for (size_t t = 0; t < nf; t++) {
            if (!buf || !re || !im || !pw) continue;
            memset(buf, 0, nfft * sizeof(float));
            size_t c = t * hop;
            for (size_t i = 0; i < win; i++) {
                size_t s = c + i;   /* sample index + win/2 */
                if (s >= win / 2 && s - win / 2 < n) buf[i] = x[s - win / 2] * window[i];
            }
            beat_rfft_power(&fft, buf, re, im, pw);
            for (size_t b = 0; b < BEAT_N_MELS; b++) {
                double acc = 0.0;
                for (size_t k = blo[b]; k < bhi[b]; k++) acc += (double)fw[b * nb + k] * pw[k];
                logmel[t * BEAT_N_MELS + b] = (float)(10.0 * log10(fmax(acc, 1e-10)));
            }
        }
        free(buf); free(re); free(im); free(pw);
    }
    if (oom) { st = momu_fail(e, MOMU_ERR_OOM, "beat onset envelope: out of memory"); goto done; }

    {
        float mx = -1e30f;
        for (size_t i = 0; i < nf * BEAT_N_MELS; i++) mx = fmaxf(mx, logmel[i]);
        float floor_db = mx - (float)BEAT_TOP_DB;
        for (size_t i = 0; i < nf * BEAT_N_MELS; i++) logmel[i] = fmaxf(logmel[i], floor_db);
        /* Spectral flux: mean over bands of the half-wave rectified first difference of the dB mel
         * spectrogram [LR onset_strength, lag 1]. The 46-ms window already sees an attack in its trailing
         * half, so the difference L[t] - L[t-1] peaks about one frame before the attack (measured on clicks:
         * 10-13 ms early); it is therefore stored one frame later, out[t] = flux(L[t-1], L[t-2]), which puts
         * the peak within ±5 ms of a click. Frames 0 and 1 are 0. (A bandwise-normalised variant giving the
         * bass bands more weight, Klapuri et al. 2006, scored the same on bench/beats_fof.sh with
         * double/half tempo accepted but flipped one song's metrical level, so the librosa default stays.) */
        for (size_t t = 2; t < nf; t++) {
            double acc = 0.0;
            for (size_t b = 0; b < BEAT_N_MELS; b++) {
                float d = logmel[(t - 1) * BEAT_N_MELS + b] - logmel[(t - 2) * BEAT_N_MELS + b];
                if (d > 0.0f) acc += d;
            }
            out[t] = (float)(acc / BEAT_N_MELS);
        }
        double s1 = 0.0, s2 = 0.0;
        for (size_t t = 0; t < nf; t++) { s1 += out[t]; s2 += (double)out[t] * out[t]; }
        double var = s2 / (double)nf - (s1 / (double)nf) * (s1 / (double)nf);
        double sd = var > 0.0 ? sqrt(var) : 0.0;
        if (sd > 1e-6)
            for (size_t t = 0; t < nf; t++) out[t] = (float)(out[t] / sd);
        else
            memset(out, 0, nf * sizeof(float));
    }
    *env = out;
    *n_frames = nf;
    out = NULL;
    st = MOMU_OK;
done:
    beat_rfft_free(&fft);
    free(window); free(blo); free(bhi); free(fw); free(logmel); free(out);
    return st;
}

/* ---------------------------------------------------------------- tempo */

/* Centred moving average over 2r+1 frames (shorter at the edges): the high-pass of [E07] §3.1. */
static void beat_detrend(const float *x, float *y, size_t n, size_t r) {
    double run = 0.0;
    size_t lo = 0, hi = 0; /* window [lo, hi) */
    for (size_t t = 0; t < n; t++) {
        size_t want_hi = t + r + 1 < n ? t + r + 1 : n;
        size_t want_lo = t > r ? t - r : 0;
        while (hi < want_hi) run += x[hi++];
        while (lo < want_lo) run -= x[lo++];
        y[t] = (float)(x[t] - run / (double)(hi - lo));
    }
}

/* Mean over time of the Hann-windowed, lag-0-normalised local autocorrelation (librosa tempogram),
 * acf: (max_lag + 1). */
static momu_status beat_tempogram(const float *hp, size_t n, double fps, size_t max_lag, double *acf, momu_err *e) {
    size_t w = (size_t)lround(BEAT_TG_WIN_S * fps), hop = (size_t)lround(BEAT_TG_HOP_S * fps);
    if (w > n) w = n;
    if (hop < 1) hop = 1;
    size_t n_win = (n - w) / hop + 1;
    size_t nl = max_lag + 1;
    double *all = momu_calloc_array(n_win * nl, sizeof(double), e);
    float *hann = momu_malloc_array(w, sizeof(float), e);
    if (!all || !hann) { free(all); free(hann); return MOMU_ERR_OOM; }
    for (size_t i = 0; i < w; i++) hann[i] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * (i + 0.5) / (double)w));
    int oom = 0;
    BEAT_OMP(omp parallel)
    {
        float *y = malloc(w * sizeof(float));
        if (!y) {
            BEAT_OMP(omp atomic write)
            oom = 1;
        }
        BEAT_OMP(omp for schedule(static))
        for (size_t k = 0; k < n_win; k++) {
            if (!y) continue;
            const float *src = hp + k * hop;
            for (size_t i = 0; i < w; i++) y[i] = src[i] * hann[i];
            double *a = all + k * nl;
            for (size_t l = 0; l < nl && l < w; l++) {
                double s = 0.0;
                for (size_t i = 0; i + l < w; i++) s += (double)y[i] * y[i + l];
                a[l] = s;
            }
            if (a[0] > 0.0)
                for (size_t l = nl; l-- > 0;) a[l] /= a[0];
        }
        free(y);
    }
    if (oom) { free(all); free(hann); return momu_fail(e, MOMU_ERR_OOM, "beat tempogram: out of memory"); }
    for (size_t l = 0; l < nl; l++) {
        double s = 0.0;
        for (size_t k = 0; k < n_win; k++) s += all[k * nl + l];   /* fixed order: thread-count independent */
        acf[l] = s / (double)n_win;
    }
    free(all);
    free(hann);
    return MOMU_OK;
}

momu_status momu_beat_tempo(const float *env, size_t n_frames, double fps, const momu_beat_opts *opts,
                            double *bpm, momu_err *e) {
    momu_beat_opts def;
    if (!opts) { momu_beat_opts_default(&def); opts = &def; }
    if (!bpm) return momu_fail(e, MOMU_ERR_ARG, "beat tempo: NULL output pointer");
    *bpm = 0.0;
    momu_status st = beat_check_opts(opts, e);
    if (st) return st;
    if (!(fps >= 1.0 && fps <= 10000.0)) return momu_fail(e, MOMU_ERR_ARG, "beat tempo: frame rate %g out of range", fps);
    if (n_frames > 0 && !env) return momu_fail(e, MOMU_ERR_ARG, "beat tempo: NULL envelope");
    for (size_t t = 0; t < n_frames; t++)
        if (!isfinite(env[t])) return momu_fail(e, MOMU_ERR_RANGE, "beat tempo: envelope value %zu is not finite", t);

    size_t lag_lo = (size_t)floor(60.0 * fps / opts->max_bpm);
    size_t lag_hi = (size_t)ceil(60.0 * fps / opts->min_bpm);
    if (lag_lo < 1) lag_lo = 1;
    size_t max_lag = 3 * lag_hi + 1;   /* the triple-meter harmonic sum reads 3τ+1 */
    if (n_frames < 2 * lag_lo + 2) return MOMU_OK;

    float *hp = momu_malloc_array(n_frames, sizeof(float), e);
    double *acf = momu_calloc_array(max_lag + 1, sizeof(double), e);
    double *tps = momu_calloc_array(max_lag + 1, sizeof(double), e);
    if (!hp || !acf || !tps) { st = MOMU_ERR_OOM; goto done; }
    beat_detrend(env, hp, n_frames, (size_t)lround(0.5 * fps));
    if (max_lag >= n_frames) max_lag = n_frames - 1;
    st = beat_tempogram(hp, n_frames, fps, max_lag, acf, e);
    if (st) goto done;
    if (lag_hi > max_lag) lag_hi = max_lag;

    /* TPS(τ) = W(τ)·A(τ) with the log-Gaussian prior W of [E07] eq. 8 / librosa std_bpm (octaves). */
    for (size_t l = 1; l <= max_lag; l++) {
        double b = 60.0 * fps / (double)l;
        double z = log2(b / opts->prior_bpm) / opts->prior_octaves;
        double a = acf[l] > 0.0 ? acf[l] : 0.0;
        tps[l] = a * exp(-0.5 * z * z);
    }
    /* Metrical level: [E07] §3.1 TPS2(τ) = TPS(τ) + ½TPS(2τ) + ¼TPS(2τ−1) + ¼TPS(2τ+1), TPS3 likewise
     * with 3τ and ⅓ weights; the best of both picks the beat period. */
    size_t best = 0;
    double best_s = 0.0;
    for (size_t l = lag_lo; l <= lag_hi; l++) {
        if (l < 60.0 * fps / opts->max_bpm || l > 60.0 * fps / opts->min_bpm) continue;
        double s2 = tps[l], s3 = tps[l];
        if (2 * l + 1 <= max_lag) s2 += 0.5 * tps[2 * l] + 0.25 * tps[2 * l - 1] + 0.25 * tps[2 * l + 1];
        if (3 * l + 1 <= max_lag) s3 += (tps[3 * l] + tps[3 * l - 1] + tps[3 * l + 1]) / 3.0;
        double s = s2 > s3 ? s2 : s3;
        if (s > best_s) { best_s = s; best = l; }
    }
    if (best == 0 || best_s <= 1e-9) goto done;
    {
        /* Fractional period: parabola through the raw tempogram around the chosen lag. */
        double p = (double)best;
        if (best >= 1 && best + 1 <= max_lag) {
            double a = acf[best - 1], b = acf[best], c = acf[best + 1], den = a - 2.0 * b + c;
            if (den < 0.0) {
                double d = 0.5 * (a - c) / den;
                if (d > -0.5 && d < 0.5) p += d;
            }
        }
        *bpm = 60.0 * fps / p;
    }
done:
    free(hp); free(acf); free(tps);
    return st;
}

/* ---------------------------------------------------------------- beats */

/* Mean of local (linearly interpolated) at ph, ph+P, ... <= hi. */
static double beat_grid_score(const float *local, size_t nf, double ph, double per, double hi) {
    double s = 0.0;
    size_t k = 0;
    for (double t = ph; t <= hi; t = ph + (double)(++k) * per) {
        size_t i = (size_t)t;
        double f = t - (double)i;
        s += i + 1 < nf ? (1.0 - f) * local[i] + f * local[i + 1] : local[nf - 1];
    }
    return k ? s / (double)k : 0.0;
}

/* The constant-tempo grid that best explains frames [lo, hi]: period within ±0.02·range % of p0, any phase;
 * coarse search (0.02 % period steps, ½-frame phase steps) then a fine one around the best. Returns the
 * grid's mean local score; *per, *ph receive the grid (ph in [lo, lo + per)). */
static double beat_grid_fit(const float *local, size_t nf, double lo, double hi, double p0, int range,
                            double *per, double *ph) {
    double best = -1.0, bp = p0, bph = lo;
    for (int r = -range; r <= range; r++) {
        double p = p0 * (1.0 + 0.0002 * r);
        for (double q = lo; q < lo + p; q += 0.5) {
            double sc = beat_grid_score(local, nf, q, p, hi);
            if (sc > best) { best = sc; bp = p; bph = q; }
        }
    }
    double cp = bp, cph = bph;
    for (int r = -20; r <= 20; r++) {
        double p = cp * (1.0 + 0.00001 * r);
        for (int j = -10; j <= 10; j++) {
            double q = cph + 0.1 * j;
            if (q < 0.0) continue;
            double sc = beat_grid_score(local, nf, q, p, hi);
            if (sc > best) { best = sc; bp = p; bph = q; }
        }
    }
    *per = bp;
    *ph = bph;
    return best;
}

/* The steady-segment pass: the DP path is cut into leaves, each either a constant grid or DP beats. */
#define BEAT_MAX_LEAVES (1 << BEAT_STEADY_DEPTH)
typedef struct { size_t b0, b1; int grid; double per, ph; } beat_leaf;
typedef struct {
    beat_leaf leaf[BEAT_MAX_LEAVES];
    int n_leaf;
    double *pos;   /* output: beat positions in frames */
    size_t n, cap;
} beat_out;

static void beat_out_push(beat_out *o, double p) {
    /* keep the list increasing across leaf joins; cap = 2·(DP beats) + 64 bounds every grid */
    if (o->n && p < o->pos[o->n - 1] + 1.0) return;
    if (o->n < o->cap) o->pos[o->n++] = p;
}

static double beat_interp(const float *local, size_t nf, double t) {
    if (t < 0.0) t = 0.0;
    size_t i = (size_t)t;
    if (i + 1 >= nf) return local[nf - 1];
    double f = t - (double)i;
    return (1.0 - f) * local[i] + f * local[i + 1];
}

/* The beats of a leaf in state `half` (0: as found; 1: shifted by half a beat), written to out (may be
 * NULL) and summed over local; returns the sum, *cnt the count. A grid leaf shifts its phase by half a
 * period; a DP leaf takes the midpoints of consecutive DP beats (idx has n_idx beats in all). */
static double beat_leaf_beats(const beat_leaf *l, const float *local, size_t nf, const size_t *idx, size_t n_idx,
                              int half, beat_out *out, size_t *cnt) {
    double s = 0.0;
    size_t c = 0;
    if (l->grid) {
        double lo = (double)idx[l->b0] - 0.25 * l->per, hi = (double)idx[l->b1 - 1] + 0.25 * l->per;
        double ph = l->ph + (half ? 0.5 * l->per : 0.0);
        size_t j = 0;
        for (double t = ph; t <= hi; t = ph + (double)(++j) * l->per) {
            if (t < lo || t < 0.0 || t > (double)(nf - 1)) continue;
            s += beat_interp(local, nf, t);
            c++;
            if (out) beat_out_push(out, t);
        }
    } else {
        for (size_t i = l->b0; i < l->b1; i++) {
            if (half && i + 1 >= n_idx) break;
            double t = half ? 0.5 * (double)(idx[i] + idx[i + 1]) : (double)idx[i];
            s += beat_interp(local, nf, t);
            c++;
            if (out) beat_out_push(out, t);
        }
    }
    if (cnt) *cnt = c;
    return s;
}

/* First (last = 0) or last (last = 1) beat of a leaf in state 0. */
static double beat_leaf_edge(const beat_leaf *l, const size_t *idx, int last) {
    if (!l->grid) return (double)idx[last ? l->b1 - 1 : l->b0];
    double lo = (double)idx[l->b0] - 0.25 * l->per, hi = (double)idx[l->b1 - 1] + 0.25 * l->per;
    double first = l->ph + ceil((lo - l->ph) / l->per) * l->per;
    return last ? first + floor((hi - first) / l->per) * l->per : first;
}

/* Beats idx[b0..b1) of the DP path, centre period p0 (frames). If the best constant grid (period within
 * ±0.02·range % of p0: ±1 % for the whole piece around the tempogram's period, ±5 % for its parts) keeps
 * >= BEAT_STEADY_RATIO of the path's mean local score and >= BEAT_STEADY_ON of the DP beats lie on its
 * beats or off-beats, the span becomes a grid leaf; otherwise it is halved (depth times at most, halves of
 * >= BEAT_SEG_MIN_BEATS beats) or becomes a DP leaf. */
static void beat_steady_segment(const float *local, size_t nf, const size_t *idx, size_t b0, size_t b1, double p0,
                                int range, int depth, beat_out *o) {
    size_t k = b1 - b0;
    if (o->n_leaf >= BEAT_MAX_LEAVES) return;   /* cannot happen: depth halvings give at most 2^depth leaves */
    beat_leaf *l = &o->leaf[o->n_leaf];
    if (k >= BEAT_SEG_MIN_BEATS) {
        double lo = fmax(0.0, (double)idx[b0] - 0.5 * p0);
        double hi = fmin((double)(nf - 1), (double)idx[b1 - 1] + 0.5 * p0), gp, gph, sdp = 0.0;
        for (size_t i = b0; i < b1; i++) sdp += local[idx[i]];
        sdp /= (double)k;
        (void)beat_grid_fit(local, nf, lo, hi, p0, range, &gp, &gph);
        /* Parts of the piece must pass the test in each quarter, so that a tempo change inside fails;
         * the whole piece is tested as one (a long off-beat-accented section must not veto it). */
        int ok = sdp > 0.0;
        size_t n_q = depth == BEAT_STEADY_DEPTH ? 1 : 4;
        for (size_t q = 0; q < n_q && ok; q++) {
            size_t q0 = b0 + k * q / n_q, q1 = b0 + k * (q + 1) / n_q, n_on = 0;
            double sd = 0.0;
            for (size_t i = q0; i < q1; i++) {
                double u = ((double)idx[i] - gph) / (0.5 * gp);
                if (fabs(u - floor(u + 0.5)) <= 0.125) n_on++;
                sd += local[idx[i]];
            }
            double qlo = q ? (double)idx[q0] - 0.5 * gp : lo, qhi = q + 1 < n_q ? (double)idx[q1] - 0.5 * gp : hi;
            double first = gph + ceil((qlo - gph) / gp) * gp;
            double sq = beat_grid_score(local, nf, first, gp, qhi);
            double ratio = sd > 0.0 ? sq * (double)(q1 - q0) / sd : 0.0, on = (double)n_on / (double)(q1 - q0);
            ok = ratio >= BEAT_STEADY_RATIO && on >= BEAT_STEADY_ON;
            momu_logv("beats: frames %zu..%zu part %zu/%zu: grid period %.3f, grid/dp score %.3f, on-halfgrid %.3f\n",
                      idx[q0], idx[q1 - 1], q + 1, n_q, gp, ratio, on);
        }
        if (ok) {
            *l = (beat_leaf){b0, b1, 1, gp, gph};
            o->n_leaf++;
            return;
        }
        if (depth > 0 && k >= 2 * BEAT_SEG_MIN_BEATS) {
            /* a half may have its own tempo: search ±5 % around the mean DP beat interval in it (intervals
             * outside [0.75, 1.33]·p0, i.e. half-beat slips, left out; the DP's transition penalty biases
             * the intervals toward the global period, which the ±5 % covers) */
            size_t m = b0 + k / 2;
            for (int h = 0; h < 2; h++) {
                size_t c0 = h ? m : b0, c1 = h ? b1 : m, c = 0;
                double sum = 0.0;
                for (size_t i = c0 + 1; i < c1; i++) {
                    double d = (double)(idx[i] - idx[i - 1]);
                    if (d >= 0.75 * p0 && d <= 1.33 * p0) { sum += d; c++; }
                }
                beat_steady_segment(local, nf, idx, c0, c1, c ? sum / (double)c : p0, 250, depth - 1, o);
            }
            return;
        }
    }
    *l = (beat_leaf){b0, b1, 0, p0, 0.0};
    o->n_leaf++;
}

/* Each grid leaf chose its phase from its own span, where the off-beats may dominate. The music does not
 * jump by half a beat where two grid leaves meet, which ties the phases of a run of adjacent grid leaves
 * together: relative to the run's first leaf, each is in phase or half a beat off (read from the gap
 * between its first beat and the previous leaf's last one), leaving two consistent choices for the run;
 * the one with the larger total onset score wins. DP leaves are kept as they are and end a run (tying
 * phases through a DP leaf was tried: its own half-beat slips made the choice worse on bench/beats_fof.sh
 * WARP=1). Then the beats are written out. */
static void beat_emit_leaves(beat_out *o, const float *local, size_t nf, const size_t *idx, size_t n_idx) {
    int state[BEAT_MAX_LEAVES] = {0};
    for (int r0 = 0; r0 < o->n_leaf;) {
        int r1 = r0 + 1;
        if (o->leaf[r0].grid) {
            int rel[BEAT_MAX_LEAVES] = {0};
            while (r1 < o->n_leaf && o->leaf[r1].grid) {
                const beat_leaf *a = &o->leaf[r1 - 1], *b = &o->leaf[r1];
                double d = (beat_leaf_edge(b, idx, 0) - beat_leaf_edge(a, idx, 1)) / (0.5 * (a->per + b->per));
                rel[r1] = rel[r1 - 1] ^ (fabs(d - floor(d + 0.5)) > 0.25);
                r1++;
            }
            double s_keep = 0.0, s_swap = 0.0;   /* keep: shift the leaves with rel 1; swap: those with rel 0 */
            for (int j = r0; j < r1; j++) {
                double s0 = beat_leaf_beats(&o->leaf[j], local, nf, idx, n_idx, 0, NULL, NULL);
                double s1 = beat_leaf_beats(&o->leaf[j], local, nf, idx, n_idx, 1, NULL, NULL);
                s_keep += rel[j] ? s1 : s0;
                s_swap += rel[j] ? s0 : s1;
            }
            for (int j = r0; j < r1; j++) state[j] = s_swap > s_keep ? !rel[j] : rel[j];
            if (r1 - r0 > 1)
                momu_logv("beats: grid parts %d..%d joined, phase score %.1f vs %.1f\n", r0, r1 - 1, s_keep, s_swap);
        }
        r0 = r1;
    }
    for (int j = 0; j < o->n_leaf; j++) beat_leaf_beats(&o->leaf[j], local, nf, idx, n_idx, state[j], o, NULL);
}

static int beat_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

momu_status momu_beat_track(const float *x, size_t n, unsigned sr, const momu_beat_opts *opts,
                            double **times, size_t *n_beats, double *bpm, momu_err *e) {
    momu_beat_opts def;
    if (!opts) { momu_beat_opts_default(&def); opts = &def; }
    if (!times || !n_beats) return momu_fail(e, MOMU_ERR_ARG, "beat tracker: NULL output pointer");
    *times = NULL;
    *n_beats = 0;
    if (bpm) *bpm = 0.0;
    momu_status st = beat_check_opts(opts, e);
    if (st) return st;

    float *env = NULL, *local = NULL;
    double *cum = NULL;
    size_t *back = NULL;
    size_t nf = 0;
    double fps = 0.0, tempo = 0.0;
    st = momu_beat_onset_envelope(x, n, sr, &env, &nf, &fps, e);
    if (st) return st;
    if (opts->fixed_bpm > 0.0) {
        tempo = opts->fixed_bpm;
        int any = 0;
        for (size_t t = 0; t < nf; t++) any |= env[t] > 0.0f;
        if (!any) goto done;
    } else {
        st = momu_beat_tempo(env, nf, fps, opts, &tempo, e);
        if (st || tempo <= 0.0) goto done;
    }
    {
        double period = 60.0 * fps / tempo;   /* frames per beat */
        local = momu_malloc_array(nf, sizeof(float), e);
        cum = momu_malloc_array(nf, sizeof(double), e);
        back = momu_malloc_array(nf, sizeof(size_t), e);
        if (!local || !cum || !back) { st = MOMU_ERR_OOM; goto done; }

        /* Local score: the onset envelope smoothed by a Gaussian of σ = period/32 frames [LR
         * __beat_local_score], so that a beat may sit a frame off the exact flux peak. */
        long rad = (long)ceil(period);
        double *gw = momu_malloc_array((size_t)(2 * rad + 1), sizeof(double), e);
        if (!gw) { st = MOMU_ERR_OOM; goto done; }
        for (long k = -rad; k <= rad; k++) {
            double z = (double)k * 32.0 / period;
            gw[k + rad] = exp(-0.5 * z * z);
        }
        for (size_t t = 0; t < nf; t++) {
            double s = 0.0;
            for (long k = -rad; k <= rad; k++) {
                long j = (long)t + k;
                if (j < 0 || j >= (long)nf || gw[k + rad] < 1e-12) continue;
                s += env[j] * gw[k + rad];
            }
            local[t] = (float)s;
        }
        free(gw);
        /* DP [E07] eq. 3: C*(t) = O(t) + max_{τ ∈ [t−2P, t−P/2]} (−α·log²((t−τ)/P) + C*(τ)). */
        size_t dmin = (size_t)lround(period / 2.0), dmax = (size_t)lround(2.0 * period);
        if (dmin < 1) dmin = 1;
        float lmax = 0.0f;
        for (size_t t = 0; t < nf; t++) lmax = fmaxf(lmax, local[t]);
        double *txc = momu_malloc_array(dmax + 1, sizeof(double), e);   /* transition cost by interval */
        if (!txc) { st = MOMU_ERR_OOM; goto done; }
        for (size_t d = dmin; d <= dmax; d++) {
            double lg = log((double)d / period);
            txc[d] = opts->tightness * lg * lg;
        }
        int first = 1;
        for (size_t t = 0; t < nf; t++) {
            double bestv = -INFINITY;
            size_t bestj = SIZE_MAX;
            for (size_t d = dmin; d <= dmax && d <= t; d++) {
                double v = cum[t - d] - txc[d];
                if (v > bestv) { bestv = v; bestj = t - d; }
            }
            if (bestj == SIZE_MAX || bestv < 0.0) { bestv = 0.0; bestj = SIZE_MAX; }  /* start a new chain */
            cum[t] = local[t] + bestv;
            /* [LR]: until the first real onset, nothing links back. */
            if (first && local[t] < 0.01f * lmax) { bestj = SIZE_MAX; }
            else first = 0;
            back[t] = bestj;
        }
        free(txc);
        /* Last beat [LR __last_beat]: the last local maximum of C* above half the median of them. */
        size_t n_max = 0;
        for (size_t t = 1; t + 1 < nf; t++)
            if (cum[t] > cum[t - 1] && cum[t] >= cum[t + 1]) n_max++;
        if (n_max == 0) goto done;
        double *mx = momu_malloc_array(n_max, sizeof(double), e);
        if (!mx) { st = MOMU_ERR_OOM; goto done; }
        n_max = 0;
        for (size_t t = 1; t + 1 < nf; t++)
            if (cum[t] > cum[t - 1] && cum[t] >= cum[t + 1]) mx[n_max++] = cum[t];
        qsort(mx, n_max, sizeof(double), beat_cmp_double);
        double med = mx[n_max / 2];
        free(mx);
        size_t last = SIZE_MAX;
        for (size_t t = nf - 1; t-- > 1;)
            if (cum[t] > cum[t - 1] && cum[t] >= cum[t + 1] && cum[t] >= 0.5 * med) { last = t; break; }
        if (last == SIZE_MAX) goto done;
        size_t nb = 0;
        for (size_t t = last; t != SIZE_MAX; t = back[t]) nb++;
        size_t *idx = momu_malloc_array(nb, sizeof(size_t), e);
        if (!idx) { st = MOMU_ERR_OOM; goto done; }
        size_t k = nb;
        for (size_t t = last; t != SIZE_MAX; t = back[t]) idx[--k] = t;
        /* Trim [LR __trim_beats]: drop leading/trailing beats whose Hann(5)-smoothed local score is below
         * half the RMS of that smoothed score. */
        size_t b0 = 0, b1 = nb;
        if (opts->trim && nb > 0) {
            double *sm = momu_calloc_array(nb, sizeof(double), e);
            if (!sm) { free(idx); st = MOMU_ERR_OOM; goto done; }
            static const double hw[5] = {0.0, 0.5, 1.0, 0.5, 0.0};   /* scipy.signal.hann(5) */
            double ms = 0.0;
            for (size_t i = 0; i < nb; i++) {
                for (int j = -2; j <= 2; j++) {
                    long q = (long)i + j;
                    if (q >= 0 && q < (long)nb) sm[i] += hw[j + 2] * local[idx[q]];
                }
                ms += sm[i] * sm[i];
            }
            double thr = 0.5 * sqrt(ms / (double)nb);
            while (b0 < nb && sm[b0] <= thr) b0++;
            while (b1 > b0 && sm[b1 - 1] <= thr) b1--;
            free(sm);
        }
        /* Steady tempo: the DP follows local evidence and may slip by half a beat through a section whose
         * off-beats are accented (syncopated riffs, an intro without drums). Where one constant-tempo grid
         * explains the tracked span almost as well as the free path, that span was played at a steady
         * tempo and the grid's single phase, chosen over the whole span, is the better answer; where not,
         * the span is halved and each half tried again (beat_steady_segment). */
        if (b1 > b0) {
            beat_out bo = {0};
            bo.cap = 2 * (b1 - b0) + 64;
            bo.pos = momu_malloc_array(bo.cap, sizeof(double), e);
            if (!bo.pos) { free(idx); st = MOMU_ERR_OOM; goto done; }
            if (opts->steady) {
                beat_steady_segment(local, nf, idx, b0, b1, period, 50, BEAT_STEADY_DEPTH, &bo);
                beat_emit_leaves(&bo, local, nf, idx, b1);
            } else {
                for (size_t i = b0; i < b1; i++) beat_out_push(&bo, (double)idx[i]);
            }
            for (size_t i = 0; i < bo.n; i++) bo.pos[i] /= fps;
            *times = bo.pos;
            *n_beats = bo.n;
            if (bpm) *bpm = bo.n_leaf == 1 && bo.leaf[0].grid ? 60.0 * fps / bo.leaf[0].per : tempo;
            if (opts->steady) momu_logv("beats: %zu beats from %d part(s)\n", bo.n, bo.n_leaf);
        }
        free(idx);
    }
done:
    free(env); free(local); free(cum); free(back);
    return st;
}
