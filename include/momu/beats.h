/* momu beats — musical beat tracking on a mono waveform.
 *
 * Pipeline (src/audio/beats.c):
 *   1. onset novelty at ~100 frames/s: half-wave rectified spectral flux of a dB mel spectrogram
 *      (librosa.onset.onset_strength style: 80 HTK-mel bands 30 Hz..11 kHz, 46-ms Hann, top_db 80), delayed
 *      by one frame so that its peak sits on the attack, normalised to unit standard deviation;
 *   2. global tempo: autocorrelation tempogram (8-s Hann windows, mean over time; librosa.feature.tempogram),
 *      weighted by a log-Gaussian prior (prior_bpm, prior_octaves), with the duple/triple harmonic sums
 *      TPS2/TPS3 of Ellis (2007) §3.1 choosing the metrical level, refined to a fractional period;
 *   3. beats: dynamic programming of Ellis (2007) "Beat tracking by dynamic programming", J. New Music
 *      Research 36(1): score = local onset strength + tightness·(−log²(Δ/period)) per transition,
 *      backtrace from the last strong beat, weak beats at start and end trimmed (librosa.beat_track);
 *   4. steady tempo (opts.steady): the DP may slip by half a beat through sections whose off-beats are
 *      accented. If one constant-tempo grid (period within ±1 %, any phase, fitted to the whole tracked
 *      span) keeps >= 70 % of the DP path's mean onset score and >= 50 % of the DP beats lie on its beats
 *      or off-beats, the grid is returned instead (music sequenced at a constant tempo). Otherwise the span
 *      is halved (at most 3 times) and each part tested the same way (in each of its quarters, so that a
 *      tempo change inside fails); parts that pass become grids, the rest keep the DP beats, and adjacent
 *      grid parts are joined without a half-beat jump, their common phase chosen on their total score.
 *
 * Accuracy (bench/beats_fof.sh, 8 band recordings, ±70 ms F-measure): mean F 0.864 at the annotated tempo,
 * 0.945 with double/half tempo accepted (aubio's aubiotrack: 0.447 / 0.538); with the recordings re-timed
 * by ±4 % in sections (WARP=1) 0.751 / 0.854 (aubio 0.461 / 0.523), with a slow ±2 % drift (WARP=2)
 * 0.670 / 0.779 (aubio 0.464 / 0.540). Beats of click tracks lie within ±5 ms of the clicks
 * (tests/test_beats.c).
 *
 * Thread-safe (no global state, no FFTW planner); results are identical for any OMP_NUM_THREADS.
 * Memory: about 350 bytes per 10-ms frame (the dB mel spectrogram is kept whole for the top_db floor). */
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

/* The onset novelty used by the tracker: *env (malloc'ed, *n_frames = n / hop + 1 values, value t describes
 * time t/fps seconds), *fps = sr / hop with hop = round(sr/100). Values are >= 0 with unit standard
 * deviation (all 0 on silence). Same input checks as momu_beat_track. */
momu_status momu_beat_onset_envelope(const float *x, size_t n, unsigned sr, float **env, size_t *n_frames,
                                     double *fps, momu_err *e);

/* Global tempo (BPM) of an onset envelope at fps frames/s; *bpm = 0 when the envelope is flat. */
momu_status momu_beat_tempo(const float *env, size_t n_frames, double fps, const momu_beat_opts *opts,
                            double *bpm, momu_err *e);

#ifdef __cplusplus
}
#endif
#endif
