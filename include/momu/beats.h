/* momu beats — musical beat tracking on a mono waveform.
 *
 * Pipeline (src/audio/beats.c):
 *   1. onset novelty at ~100 frames/s: half-wave rectified spectral flux of a log-compressed mel
 *      spectrogram (librosa.onset.onset_strength style), detrended and normalised;
 *   2. global tempo: autocorrelation tempogram averaged over time (librosa.feature.tempogram), weighted
 *      by a log-Gaussian prior around prior_bpm, with the duple/triple harmonic sums of Ellis (2007)
 *      §3.1 choosing the metrical level, refined to a fractional period;
 *   3. beats: dynamic programming of Ellis (2007) "Beat tracking by dynamic programming", J. New Music
 *      Research 36(1): score = local onset strength + tightness·(−log²(Δ/period)) per transition,
 *      backtrace from the last strong beat, weak beats at start and end trimmed (librosa.beat_track).
 *
 * Thread-safe (no global state, no FFTW planner); results are identical for any OMP_NUM_THREADS. */
#ifndef MOMU_BEATS_H
#define MOMU_BEATS_H
#include <stddef.h>

#include "momu/common.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    double min_bpm;       /* lowest tempo considered (default 40) */
    double max_bpm;       /* highest tempo considered (default 240) */
    double prior_bpm;     /* centre of the log-Gaussian tempo prior (default 120, librosa start_bpm) */
    double prior_octaves; /* standard deviation of that prior in octaves (default 1.0, librosa std_bpm) */
    double tightness;     /* weight of the tempo-deviation penalty in the DP (default 100, librosa) */
    double fixed_bpm;     /* > 0: skip tempo estimation and track at this tempo (default 0) */
    int    trim;          /* 1: drop weak beats at the start and the end (default 1) */
    int    steady;        /* 1: when one constant-tempo grid explains the music about as well as the free DP
                             path, output that grid (default 1) */
} momu_beat_opts;

void momu_beat_opts_default(momu_beat_opts *o);

/* Beat times (seconds, ascending) of x[0..n) sampled at sr Hz (8000..192000). opts NULL = defaults.
 * *times is malloc'ed (free() it; NULL when *n_beats is 0); *bpm receives the tempo used (0 when no
 * beat was found, e.g. on silence — that is not an error). Rejects NaN/Inf samples, n absurdly large
 * (> 6 h of audio) and bad options with MOMU_ERR_ARG / MOMU_ERR_RANGE. times, n_beats may not be NULL;
 * bpm may be NULL. */
momu_status momu_beat_track(const float *x, size_t n, unsigned sr, const momu_beat_opts *opts,
                            double **times, size_t *n_beats, double *bpm, momu_err *e);

/* The onset novelty used by the tracker: *env (malloc'ed, *n_frames values, frame t centred at t/fps
 * seconds), *fps = sr / round(sr/100). Values are >= 0, unit standard deviation (all 0 on silence). */
momu_status momu_beat_onset_envelope(const float *x, size_t n, unsigned sr, float **env, size_t *n_frames,
                                     double *fps, momu_err *e);

/* Global tempo (BPM) of an onset envelope at fps frames/s; *bpm = 0 when the envelope is flat. */
momu_status momu_beat_tempo(const float *env, size_t n_frames, double fps, const momu_beat_opts *opts,
                            double *bpm, momu_err *e);

#ifdef __cplusplus
}
#endif
#endif
