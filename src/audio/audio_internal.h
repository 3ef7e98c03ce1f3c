/* momu audio — helpers shared by the files of src/audio (not a public API). */
#ifndef MOMU_AUDIO_INTERNAL_H
#define MOMU_AUDIO_INTERNAL_H
#include <fftw3.h>
#include <stddef.h>

#include "momu/audio.h"

/* OpenMP pragmas that vanish (without -Wunknown-pragmas noise) in NO_OMP=1 builds. */
#ifdef _OPENMP
#define AUDIO_OMP(x) _Pragma(#x)
#else
#define AUDIO_OMP(x)
#endif

/* Cached FFTW plans for a real transform of length n (r2c forward, c2r backward, unnormalised), created once
 * per size with FFTW_ESTIMATE (deterministic plan choice) under a mutex. The plans are executed only through
 * fftwf_execute_dft_r2c / _c2r on fftwf_malloc'd buffers, which FFTW documents as thread-safe. */
momu_status audio_fft_plans(size_t n, fftwf_plan *r2c, fftwf_plan *c2r, momu_err *e);

/* Periodic Hann window (scipy.signal.get_window('hann', n, fftbins=True)), computed in double. */
void audio_hann(float *w, size_t n);

/* Sample j (may be outside [0, n)) of x after numpy.pad(x, ..., mode) for the centred STFT: 'reflect' is
 * the periodic reflection of period 2(n-1) that numpy's repeated reflection produces; 'constant' is 0. */
static inline float audio_pad_sample(const float *x, size_t n, long long j, momu_pad_mode pad) {
    if (j >= 0 && (size_t)j < n) return x[j];
    if (pad == MOMU_PAD_CONSTANT) return 0.0f;
    if (n == 1) return x[0];
    long long p = 2 * ((long long)n - 1);
    long long m = j % p;
    if (m < 0) m += p;
    if (m >= (long long)n) m = p - m;
    return x[m];
}

/* Mel filterbank in sparse form: row m has weights w[off[m] .. off[m+1]) for bins lo[m] ... */
typedef struct {
    size_t n_mels, n_bins;
    size_t *lo, *off;   /* (n_mels), (n_mels + 1) */
    float *w;           /* (off[n_mels]) */
    float *dense;       /* (n_mels, n_bins) */
} audio_melfb;
momu_status audio_melfb_init(audio_melfb *fb, unsigned sr, size_t n_fft, size_t n_mels, double fmin, double fmax,
                             momu_err *e);
void audio_melfb_free(audio_melfb *fb);

/* Runs the centred, Hann-windowed r2c transform of every frame t (n_frames = 1 + n/hop) and hands each
 * spectrum to sink(user, out, t, spec, n_bins); frames are split over OpenMP threads, so the sink must only
 * write data that belongs to frame t. */
typedef void (*audio_frame_sink)(void *user, void *out, size_t t, const fftwf_complex *spec, size_t n_bins);
momu_status audio_stft_run(const float *x, size_t n, size_t n_fft, size_t hop, momu_pad_mode pad,
                           audio_frame_sink sink, void *user, void *out, momu_err *e);

/* Centred complex STFT, periodic Hann, pad per `pad`: X (n_frames, n_fft/2+1) interleaved re/im,
 * n_frames = 1 + n/hop. X must hold 2 * n_frames * (n_fft/2+1) floats. */
momu_status audio_stft_complex(const float *x, size_t n, size_t n_fft, size_t hop, momu_pad_mode pad, float *X,
                               momu_err *e);
/* Inverse of audio_stft_complex as librosa.istft(center=True): windowed overlap-add divided by the summed
 * squared window (where it exceeds float tiny), the n_fft/2 centring pad removed; y has (n_frames-1)*hop
 * samples (n_frames >= 1). */
momu_status audio_istft(const float *X, size_t n_frames, size_t n_fft, size_t hop, float *y, momu_err *e);
#endif
