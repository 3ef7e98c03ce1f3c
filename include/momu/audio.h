/* momu — the audio front end: decode, resample, STFT, Slaney log-mel, mel inversion (Griffin-Lim), and
 * librosa-compatible onset strength / onset detection (the instrument of the LORIS beat metrics).
 *
 * Every preprocessing constant lives here (STYLE §22, §29); checkpoints store them.
 *
 * Log-mel (the model's music representation), MOMU_SR = 16 kHz mono input:
 *   - frames are CENTRED: the signal is reflect-padded by MOMU_N_FFT/2 = 512 samples on each side
 *     (numpy.pad mode 'reflect', i.e. the edge sample is not repeated; librosa <= 0.9 stft(center=True) and
 *     torch.stft(center=True) default). Frame t covers padded samples [t*HOP, t*HOP + N_FFT), i.e. it is
 *     centred on original sample t*HOP. n_frames = 1 + n / MOMU_HOP (integer division). For signals shorter
 *     than the pad the reflection is repeated periodically (numpy.pad 'reflect' semantics).
 *   - window: periodic Hann of length N_FFT (scipy.signal.get_window('hann', N, fftbins=True)).
 *   - spectrum: MAGNITUDE |STFT| (not power), as HiFi-GAN / BigVGAN do, so that a neural vocoder trained the
 *     usual way fits the same features.
 *   - mel: librosa.filters.mel(sr=16000, n_fft=1024, n_mels=80, fmin=0, fmax=8000, htk=False, norm='slaney'),
 *     shape (80, 513), applied as mel = M |S|.
 *   - log: log10(max(mel, MOMU_MEL_FLOOR)). No further normalisation.
 *   - layout: (n_frames, MOMU_N_MELS) row-major, i.e. one 80-vector per 10 ms frame.
 *
 * Inversion: mel -> linear magnitude by non-negative least squares (min ||M s - mel||^2, s >= 0, per frame,
 * projected gradient started from the clamped pseudo-inverse), then fast Griffin-Lim (Perraudin, Balazs &
 * Sondergaard 2013, momentum 0.99) with the same STFT, started from phase-locked phase-vocoder phases;
 * output length (n_frames - 1) * MOMU_HOP samples.
 *
 * Onsets (librosa 0.8.0, the version pinned by LORIS's requirements.txt), at MOMU_ONSET_SR = 22050 Hz:
 *   - input at another rate is first resampled to 22050 Hz with libsamplerate (SRC_SINC_BEST_QUALITY);
 *     librosa.load uses resampy 'kaiser_best', so onsets of resampled input may differ slightly;
 *   - stft n_fft 2048, hop 512, periodic Hann, center=True with REFLECT padding (librosa 0.8 default);
 *   - POWER spectrum, Slaney mel 128 bands 0..11025 Hz, power_to_db(ref=1, amin=1e-10, top_db=80);
 *   - env[t] = aggregate_f max(0, S[f,t] - S[f,t-1]) (lag 1, max_size 1), aggregate = mean (LORIS) or
 *     median (librosa.beat.beat_track uses median);
 *   - env is left-padded with lag + n_fft/(2*hop) = 3 zeros and cut to n_frames = 1 + n/512 frames;
 *   - onset_detect: env -= min(env); (no onsets if env is then all 0); env /= max(env); peak_pick with
 *     pre_max = post_max = pre_avg = post_avg = 3, delta 0.2, wait 1: frame k is an onset iff
 *     env[k] == max(env[k-3 .. k+2]) and env[k] >= mean(env[k-3 .. k+2]) + 0.2 (windows truncated at the
 *     ends) and k > previous onset + 1; time = k * 512 / 22050 s.
 *
 * Thread safety: all functions are reentrant; FFTW plans are created once per size under a mutex and then
 * executed with the new-array interface (which FFTW documents as thread-safe). Results do not depend on
 * OMP_NUM_THREADS (frames are processed independently, sums in a fixed order). */
#ifndef MOMU_AUDIO_H
#define MOMU_AUDIO_H
#include "momu/common.h"
#ifdef __cplusplus
extern "C" {
#endif

/* all preprocessing constants in one place; stored later in checkpoints */
#define MOMU_SR 16000
#define MOMU_N_FFT 1024
#define MOMU_HOP 160          /* 100 frames/s */
#define MOMU_N_MELS 80        /* Slaney mel, 0..8000 Hz */
#define MOMU_N_BINS (MOMU_N_FFT / 2 + 1)
#define MOMU_MEL_FMIN 0.0
#define MOMU_MEL_FMAX 8000.0
#define MOMU_MEL_FLOOR 1e-5f  /* log10(max(mel, floor)) */
#define MOMU_GL_ITERS 64      /* default Griffin-Lim iterations (>= 32) */
#define MOMU_GL_MOMENTUM 0.99f

/* librosa-compatible onset front end (LORIS metrics, beat tracking) */
#define MOMU_ONSET_SR 22050
#define MOMU_ONSET_N_FFT 2048
#define MOMU_ONSET_HOP 512
#define MOMU_ONSET_N_MELS 128
#define MOMU_ONSET_TOP_DB 80.0
#define MOMU_ONSET_AMIN 1e-10

/* Input guards: longer than 3 hours is rejected as absurd; at most 64 channels; rate 1 Hz .. 1 MHz. */
#define MOMU_AUDIO_MAX_SECONDS (3.0 * 3600.0)

/* ---- decode / resample / write -------------------------------------------------------------------------- */

/* Any format libsndfile reads (WAV, FLAC, Ogg/Vorbis, Opus, MP3, AIFF, ...), mixed to mono (channel mean),
 * resampled to target_sr (> 0) with libsamplerate SRC_SINC_BEST_QUALITY. Samples are libsndfile's
 * normalised floats (PCM16: int / 32768). Rejected, with a message naming the file: missing, empty,
 * unrecognised or corrupt files; a WAV whose data chunk is shorter than it declares; any file that decodes
 * to fewer frames than its header states (MP3, whose count is an estimate: more than 1 % or 2304 frames
 * fewer); NaN/Inf samples; more than MOMU_AUDIO_MAX_SECONDS (3 h) or MOMU_MAX_INPUT_BYTES of float samples;
 * more than 64 channels. *samples is malloc'd (free()). */
momu_status momu_audio_load(const char *path, unsigned target_sr, float **samples, size_t *n, momu_err *e);
/* The same without resampling: *sr receives the file's rate. */
momu_status momu_audio_load_native(const char *path, float **samples, size_t *n, unsigned *sr, momu_err *e);
/* Band-limited resampling (libsamplerate SRC_SINC_BEST_QUALITY); output length round(n * sr_out / sr_in).
 * sr_in == sr_out copies. *y is malloc'd. */
momu_status momu_resample(const float *x, size_t n, unsigned sr_in, unsigned sr_out, float **y, size_t *n_out,
                          momu_err *e);
/* 16-bit PCM mono WAV, written atomically: round(x * 32768) clipped to [-32768, 32767] (the exact inverse of
 * reading int16 / 32768); non-finite samples are an error. */
momu_status momu_audio_write_wav(const char *path, const float *x, size_t n, unsigned sr, momu_err *e);

/* ---- spectra ------------------------------------------------------------------------------------------ */

typedef enum { MOMU_PAD_REFLECT, MOMU_PAD_CONSTANT, MOMU_PAD_COUNT } momu_pad_mode;

/* librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk=False, norm='slaney'): fb (n_mels, n_fft/2+1)
 * row-major, computed in double and rounded to float. fmax <= sr/2. */
momu_status momu_mel_filterbank(unsigned sr, size_t n_fft, size_t n_mels, double fmin, double fmax, float *fb,
                                momu_err *e);

/* Centred STFT magnitude (power = 1) or power (power = 2) spectrogram with a periodic Hann window:
 * spec (n_frames, n_fft/2+1) row-major, n_frames = 1 + n/hop, padding n_fft/2 each side per `pad`.
 * n_fft must be even and >= 2, hop >= 1, n >= 1. *spec is malloc'd. */
momu_status momu_stft_mag(const float *x, size_t n, size_t n_fft, size_t hop, momu_pad_mode pad, int power,
                          float **spec, size_t *n_frames, momu_err *e);

/* x at MOMU_SR; mel (n_frames, 80) row-major, n_frames = 1 + n/MOMU_HOP. *mel is malloc'd. */
momu_status momu_logmel(const float *x, size_t n, float **mel, size_t *n_frames, momu_err *e);
/* The same into caller memory: mel must hold (1 + n/MOMU_HOP) * MOMU_N_MELS floats. */
momu_status momu_logmel_into(const float *x, size_t n, float *mel, momu_err *e);

/* Reads a log-mel .npy as written by `momu audio mel` and checks it: 2-D (n_frames >= 1, MOMU_N_MELS), every
 * value finite and in [-12, 6] (a log10 mel magnitude). Messages name the file, the shape got and expected,
 * or the first bad value. *mel is malloc'd (free()). */
momu_status momu_logmel_read(const char *path, float **mel, size_t *n_frames, momu_err *e);

/* Linear magnitude (n_frames, MOMU_N_BINS) from a log-mel (n_frames, 80) by per-frame NNLS (see top).
 * Rejects non-finite values and log-mels outside [-12, 6] (not a log10 magnitude mel). */
momu_status momu_mel_to_linear(const float *mel, size_t n_frames, float **mag, momu_err *e);
/* Griffin-Lim (fast variant, momentum MOMU_GL_MOMENTUM) from a target magnitude (n_frames, MOMU_N_BINS),
 * MOMU_N_FFT / MOMU_HOP / Hann, reflect-centred frames. Initial phase: random (from `seed`) where the
 * magnitude has no peak, phase-vocoder advance with identity phase locking (Laroche & Dolson 1999) around
 * its peaks. Output n = (n_frames - 1) * MOMU_HOP samples. n_iter >= 1. */
momu_status momu_griffin_lim(const float *mag, size_t n_frames, size_t n_iter, unsigned long long seed, float **x,
                             size_t *n, momu_err *e);
/* mel -> linear magnitude -> Griffin-Lim (seed 0). */
momu_status momu_mel_invert(const float *mel, size_t n_frames, size_t n_iter, float **x, size_t *n, momu_err *e);

/* Spectral convergence ||A - B||_F / ||B||_F of two (n_frames, n_bins) magnitude arrays (double sums). */
double momu_spectral_convergence(const float *a, const float *b, size_t n);

/* ---- onsets (librosa 0.8 compatible, see top) ----------------------------------------------------------- */

typedef enum { MOMU_ONSET_AGG_MEAN, MOMU_ONSET_AGG_MEDIAN, MOMU_ONSET_AGG_COUNT } momu_onset_agg;

/* librosa.onset.onset_strength(y, sr=22050) (mean over bands): env (n_frames), frame k at k*512/22050 s.
 * x at `sr` (resampled to 22050 first if different). *env is malloc'd. */
momu_status momu_onset_strength(const float *x, size_t n, unsigned sr, float **env, size_t *n_frames, momu_err *e);
/* The same with the band aggregate chosen (librosa.beat.beat_track uses median). */
momu_status momu_onset_strength_agg(const float *x, size_t n, unsigned sr, momu_onset_agg agg, float **env,
                                    size_t *n_frames, momu_err *e);
/* librosa.util.peak_pick on env as onset_detect does it (normalise to [0,1] first, then pre/post_max 3,
 * pre/post_avg 3, delta 0.2, wait 1): *frames (malloc'd, may be NULL when *n_onsets == 0). */
momu_status momu_onset_peaks(const float *env, size_t n_frames, size_t **frames, size_t *n_onsets, momu_err *e);
/* librosa.onset.onset_detect(y, sr=22050, wait=1, delta=0.2, pre_avg=3, post_avg=3, pre_max=3, post_max=3,
 * units='time'): onset times in seconds, increasing. *times malloc'd (NULL when none). */
momu_status momu_onset_detect(const float *x, size_t n, unsigned sr, double **times, size_t *n_onsets, momu_err *e);

/* Frees the cached FFTW plans (optional, e.g. at exit for leak checkers). Not thread-safe with running
 * transforms. */
void momu_audio_cleanup(void);

#ifdef __cplusplus
}
#endif
#endif
