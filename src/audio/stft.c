/* momu audio — FFTW plan cache, Hann window, centred STFT (magnitude / power / complex) and its inverse.
 *
 * Framing follows librosa.stft(center=True) (librosa 0.8, reflect padding by default): the signal is padded
 * by n_fft/2 on each side and frame t starts at padded sample t*hop, so it is centred on original sample
 * t*hop; n_frames = 1 + n/hop. The inverse follows librosa.istft: windowed overlap-add normalised by the
 * window sum-square (librosa.filters.window_sumsquare), then the centring pad is cut. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "audio_internal.h"

#define PLAN_CACHE_MAX 16
typedef struct { size_t n; fftwf_plan r2c, c2r; } plan_entry;
static plan_entry plan_cache[PLAN_CACHE_MAX];
static size_t plan_count;
static pthread_mutex_t plan_lock = PTHREAD_MUTEX_INITIALIZER;

momu_status audio_fft_plans(size_t n, fftwf_plan *r2c, fftwf_plan *c2r, momu_err *e) {
    if (n < 2 || n > ((size_t)1 << 24)) return momu_fail(e, MOMU_ERR_ARG, "FFT size %zu out of range", n);
    momu_status st = MOMU_OK;
    pthread_mutex_lock(&plan_lock);
    size_t i;
    for (i = 0; i < plan_count; i++)
        if (plan_cache[i].n == n) break;
    if (i == plan_count) {
        if (plan_count == PLAN_CACHE_MAX) {
            st = momu_fail(e, MOMU_ERR_STATE, "FFT plan cache full (%d sizes)", PLAN_CACHE_MAX);
        } else {
            /* The planner is not thread-safe (FFTW manual §5.2), hence the mutex. FFTW_ESTIMATE picks the plan
             * without timing, so the same arithmetic (and the same bits) comes out on every run. */
            float *in = fftwf_malloc(sizeof(float) * n);
            fftwf_complex *out = fftwf_malloc(sizeof(fftwf_complex) * (n / 2 + 1));
            if (!in || !out) {
                st = momu_fail(e, MOMU_ERR_OOM, "out of memory planning an FFT of size %zu", n);
            } else {
                fftwf_plan a = fftwf_plan_dft_r2c_1d((int)n, in, out, FFTW_ESTIMATE);
                fftwf_plan b = fftwf_plan_dft_c2r_1d((int)n, out, in, FFTW_ESTIMATE | FFTW_DESTROY_INPUT);
                if (!a || !b) {
                    if (a) fftwf_destroy_plan(a);
                    if (b) fftwf_destroy_plan(b);
                    st = momu_fail(e, MOMU_ERR_STATE, "FFTW could not plan a transform of size %zu", n);
                } else {
                    plan_cache[plan_count].n = n;
                    plan_cache[plan_count].r2c = a;
                    plan_cache[plan_count].c2r = b;
                    plan_count++;
                }
            }
            fftwf_free(in);
            fftwf_free(out);
        }
    }
    if (st == MOMU_OK) {
        *r2c = plan_cache[i].r2c;
        *c2r = plan_cache[i].c2r;
    }
    pthread_mutex_unlock(&plan_lock);
    return st;
}

void momu_audio_cleanup(void) {
    pthread_mutex_lock(&plan_lock);
    for (size_t i = 0; i < plan_count; i++) {
        fftwf_destroy_plan(plan_cache[i].r2c);
        fftwf_destroy_plan(plan_cache[i].c2r);
    }
    plan_count = 0;
    fftwf_cleanup();
    pthread_mutex_unlock(&plan_lock);
}

void audio_hann(float *w, size_t n) {
    /* scipy.signal.get_window('hann', n, fftbins=True): the periodic window 0.5 - 0.5 cos(2 pi k / n). */
    for (size_t k = 0; k < n; k++) w[k] = (float)(0.5 - 0.5 * cos(2.0 * 3.14159265358979323846 * (double)k / (double)n));
}

static momu_status check_stft_args(const float *x, size_t n, size_t n_fft, size_t hop, momu_pad_mode pad,
                                   momu_err *e) {
    if (!x || n == 0) return momu_fail(e, MOMU_ERR_ARG, "STFT of an empty signal");
    if (n_fft < 2 || n_fft % 2 || n_fft > ((size_t)1 << 24))
        return momu_fail(e, MOMU_ERR_ARG, "STFT size %zu must be even and in [2, 2^24]", n_fft);
    if (hop == 0) return momu_fail(e, MOMU_ERR_ARG, "STFT hop must be >= 1");
    if (pad < 0 || pad >= MOMU_PAD_COUNT) return momu_fail(e, MOMU_ERR_ARG, "unknown STFT pad mode %d", (int)pad);
    return MOMU_OK;
}

/* Runs the windowed r2c transform of every frame and hands each spectrum to `emit`. Frames are independent,
 * so the loop is split over threads with identical per-frame arithmetic (bit-identical for any thread count). */
momu_status audio_stft_run(const float *x, size_t n, size_t n_fft, size_t hop, momu_pad_mode pad,
                           audio_frame_sink emit, void *user, void *out_base, momu_err *e) {
    momu_status st = check_stft_args(x, n, n_fft, hop, pad, e);
    if (st) return st;
    const size_t n_frames = 1 + n / hop;
    fftwf_plan r2c, c2r;
    st = audio_fft_plans(n_fft, &r2c, &c2r, e);
    if (st) return st;
    float *win = momu_malloc_array(n_fft, sizeof(float), e);
    if (!win) return MOMU_ERR_OOM;
    audio_hann(win, n_fft);
    const size_t n_bins = n_fft / 2 + 1;
    const long long half = (long long)(n_fft / 2);
    int oom = 0;
AUDIO_OMP(omp parallel)
    {
        float *in = fftwf_malloc(sizeof(float) * n_fft);
        fftwf_complex *out = fftwf_malloc(sizeof(fftwf_complex) * n_bins);
        if (!in || !out) {
AUDIO_OMP(omp atomic write)
            oom = 1;
        }
AUDIO_OMP(omp for schedule(static))
        for (size_t t = 0; t < n_frames; t++) {
            if (!in || !out) continue;
            long long j0 = (long long)(t * hop) - half;
            if (j0 >= 0 && (size_t)j0 + n_fft <= n) {
                const float *src = x + j0;
                for (size_t k = 0; k < n_fft; k++) in[k] = win[k] * src[k];
            } else {
                for (size_t k = 0; k < n_fft; k++) in[k] = win[k] * audio_pad_sample(x, n, j0 + (long long)k, pad);
            }
            fftwf_execute_dft_r2c(r2c, in, out);
            emit(user, out_base, t, out, n_bins);
        }
        fftwf_free(in);
        fftwf_free(out);
    }
    free(win);
    if (oom) return momu_fail(e, MOMU_ERR_OOM, "out of memory for STFT scratch buffers");
    return MOMU_OK;
}

static void mag_sink(void *user, void *out, size_t t, const fftwf_complex *s, size_t n_bins) {
    int power = *(const int *)user;
    float *row = (float *)out + t * n_bins;
    for (size_t k = 0; k < n_bins; k++) {
        float re = s[k][0], im = s[k][1];
        float p = re * re + im * im;
        row[k] = power == 2 ? p : sqrtf(p);
    }
}

momu_status momu_stft_mag(const float *x, size_t n, size_t n_fft, size_t hop, momu_pad_mode pad, int power,
                          float **spec, size_t *n_frames, momu_err *e) {
    *spec = NULL;
    *n_frames = 0;
    momu_status st = check_stft_args(x, n, n_fft, hop, pad, e);
    if (st) return st;
    if (power != 1 && power != 2) return momu_fail(e, MOMU_ERR_ARG, "STFT power must be 1 or 2, got %d", power);
    size_t nf = 1 + n / hop, n_bins = n_fft / 2 + 1, total;
    if (!momu_mul_ok(nf, n_bins, &total)) return momu_fail(e, MOMU_ERR_OOM, "STFT of %zu samples is too large", n);
    float *s = momu_malloc_array(total, sizeof(float), e);
    if (!s) return MOMU_ERR_OOM;
    st = audio_stft_run(x, n, n_fft, hop, pad, mag_sink, &power, s, e);
    if (st) { free(s); return st; }
    *spec = s;
    *n_frames = nf;
    return MOMU_OK;
}

static void cplx_sink(void *user, void *out, size_t t, const fftwf_complex *s, size_t n_bins) {
    (void)user;
    memcpy((float *)out + 2 * t * n_bins, s, sizeof(float) * 2 * n_bins);
}

momu_status audio_stft_complex(const float *x, size_t n, size_t n_fft, size_t hop, momu_pad_mode pad, float *X,
                               momu_err *e) {
    return audio_stft_run(x, n, n_fft, hop, pad, cplx_sink, NULL, X, e);
}

momu_status audio_istft(const float *X, size_t n_frames, size_t n_fft, size_t hop, float *y, momu_err *e) {
    if (n_frames == 0 || hop == 0 || n_fft < 2 || n_fft % 2) return momu_fail(e, MOMU_ERR_ARG, "bad ISTFT shape");
    fftwf_plan r2c, c2r;
    momu_status st = audio_fft_plans(n_fft, &r2c, &c2r, e);
    if (st) return st;
    const size_t n_bins = n_fft / 2 + 1, half = n_fft / 2;
    const size_t n_pad = n_fft + hop * (n_frames - 1);   /* length of the padded signal */
    const size_t n_out = hop * (n_frames - 1);
    enum { BLOCK = 1024 };                               /* frames per parallel block (4 MB scratch at n_fft 1024) */
    float *win = momu_malloc_array(n_fft, sizeof(float), e);
    double *acc = momu_calloc_array(n_pad, sizeof(double), e);
    double *wss = momu_calloc_array(n_pad, sizeof(double), e);
    float *blk = fftwf_malloc(sizeof(float) * n_fft * BLOCK);
    if (!win || !acc || !wss || !blk) {
        free(win); free(acc); free(wss); fftwf_free(blk);
        return momu_fail(e, MOMU_ERR_OOM, "out of memory for an ISTFT of %zu frames", n_frames);
    }
    audio_hann(win, n_fft);
    int oom = 0;
    for (size_t b0 = 0; b0 < n_frames; b0 += BLOCK) {
        size_t nb = n_frames - b0 < BLOCK ? n_frames - b0 : BLOCK;
AUDIO_OMP(omp parallel)
        {
            fftwf_complex *in = fftwf_malloc(sizeof(fftwf_complex) * n_bins);
            if (!in) {
AUDIO_OMP(omp atomic write)
                oom = 1;
            }
AUDIO_OMP(omp for schedule(static))
            for (size_t i = 0; i < nb; i++) {
                if (!in) continue;
                memcpy(in, X + 2 * (b0 + i) * n_bins, sizeof(float) * 2 * n_bins);
                /* c2r ignores the imaginary parts of DC and Nyquist, as numpy.fft.irfft does. */
                fftwf_execute_dft_c2r(c2r, in, blk + i * n_fft);
            }
            fftwf_free(in);
        }
        if (oom) break;
        /* overlap-add in frame order (fixed summation order, so thread count does not change the bits) */
        for (size_t i = 0; i < nb; i++) {
            const float *f = blk + i * n_fft;
            double *dst = acc + (b0 + i) * hop;
            for (size_t k = 0; k < n_fft; k++) dst[k] += (double)(f[k] * win[k]) / (double)n_fft;
        }
    }
    if (!oom) {
        for (size_t t = 0; t < n_frames; t++)
            for (size_t k = 0; k < n_fft; k++) wss[t * hop + k] += (double)win[k] * (double)win[k];
        const double tiny = 1.1754943508222875e-38;   /* librosa util.tiny(float32) */
        for (size_t i = 0; i < n_out; i++) {
            double a = acc[i + half], w = wss[i + half];
            y[i] = (float)(w > tiny ? a / w : a);
        }
    }
    free(win); free(acc); free(wss); fftwf_free(blk);
    if (oom) return momu_fail(e, MOMU_ERR_OOM, "out of memory for ISTFT scratch");
    return MOMU_OK;
}
