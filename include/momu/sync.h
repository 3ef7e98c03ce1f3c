/* momu — motion/music synchronisation: envelopes on one clock, the sync score (DESIGN.md §5) and the
 * per-clip time-scale/offset search behind `momu data align`.
 *
 * Clock convention (used by every function here, by `momu data align` and by `momu data prepare`):
 *
 *     motion_time = scale * music_time + offset_s
 *
 * where music_time is seconds from the first audio sample and motion_time is the motion's NOMINAL time,
 * frame / 25 for Dance-with-Melody. scale < 1 means the motion runs fast against its music: its true frame
 * rate is 25 * scale (e.g. scale 0.988 -> 24.7 fps). offset_s > 0 means the motion content that belongs at
 * music time 0 is found offset_s seconds into the motion file. Re-timing a motion onto the music clock is
 * therefore: output frame i (music time i/25) takes the motion at nominal time scale*i/25 + offset_s.
 *
 * Envelopes (see docs/DATA.md for the evidence behind the choices):
 *   music : log-mel spectral flux, mean over the 80 bands of max(0, logmel[t] - logmel[t-1]) at 100 fps —
 *           the same definition as librosa.onset.onset_strength(S=log-mel, lag=1, max_size=1, aggregate=mean)
 *           but on momu's own 16 kHz / hop 160 log-mel.
 *   motion: summed absolute change of joint speed, sum_j | |v_j(r)| - |v_j(r-1)| | (cm/s per frame), from
 *           positions (T, J, 3).
 * Both are resampled by linear interpolation to a common rate (MOMU_SYNC_RATE = 50 Hz), compressed with
 * log1p(x / median) so that a few loud frames do not dominate, high-passed by subtracting a 1-second moving
 * average (tempo-scale structure only; slow loudness/activity trends are not synchrony), and z-scored. */
#ifndef MOMU_SYNC_H
#define MOMU_SYNC_H
#include <stdint.h>

#include "momu/common.h"
#ifdef __cplusplus
extern "C" {
#endif

#define MOMU_SYNC_RATE 50.0            /* Hz: the common envelope clock */
#define MOMU_SYNC_SCORE_MAX_LAG_S 0.12 /* DESIGN.md §5: the sync score's lag window */
#define MOMU_SYNC_N_RANDOM 500         /* random alignments behind rand_mean / rand_p99 */

/* Music envelope at `rate` Hz from a log-mel spectrogram (n_frames, n_bands) row-major at `fps` frames/s.
 * *env is malloc'ed (free()), *n_env = floor(n_frames / fps * rate). Rejects NaN/Inf. */
momu_status momu_sync_music_envelope(const float *logmel, size_t n_frames, size_t n_bands, double fps,
                                     double rate, float **env, size_t *n_env, momu_err *e);

/* Motion envelope at `rate` Hz from joint positions (n_frames, n_joints, 3) row-major at `fps` (nominal).
 * *env is malloc'ed, *n_env = floor(n_frames / fps * rate). */
momu_status momu_sync_motion_envelope(const float *pos, size_t n_frames, size_t n_joints, double fps,
                                      double rate, float **env, size_t *n_env, momu_err *e);

/* Post-processing shared by both envelopes (in place): log1p(x/median) compression, 1-s moving-average
 * high-pass, z-score. Exposed so that callers with their own raw envelope can put it on the same footing. */
momu_status momu_sync_condition(float *env, size_t n, double rate, momu_err *e);

/* Pearson correlation of a[i] and b[i+lag] over their overlap (lag in samples, may be negative); 0 if the
 * overlap is shorter than 2 s worth of samples at `rate` or either side is constant. */
double momu_sync_corr_at_lag(const float *a, size_t n_a, const float *b, size_t n_b, long lag, double rate);

/* DESIGN.md §5 sync score: the best normalised cross-correlation between the conditioned music and motion
 * envelopes (both at `rate` Hz, same clock) over lags within +-max_lag_s (MOMU_SYNC_SCORE_MAX_LAG_S).
 * The lengths may differ; the overlap is used. Near 0 for unrelated pairs. *best_lag_s may be NULL. */
double momu_sync_score(const float *music_env, size_t n_music, const float *motion_env, size_t n_motion,
                       double rate, double max_lag_s, double *best_lag_s);

/* The sync score after re-timing the motion envelope with (scale, offset_s) onto the music clock, over the
 * span the re-timed motion covers. NAN if out of memory. */
double momu_sync_score_aligned(const float *music_env, size_t n_music, const float *motion_env, size_t n_motion,
                               double rate, double scale, double offset_s);

typedef struct {
    double scale_min, scale_max;  /* searched time scales (default 0.96 .. 1.04) */
    double scale_step;            /* coarse grid step (default 0.002); refined to step/10 around the best */
    double max_offset_s;          /* offsets searched within +-max_offset_s (default 2.0) */
    size_t n_null;                /* random circular shifts for the null distribution (default 24) */
    double null_min_shift_s;      /* a null shift is at least this far from 0 circularly (default 10 s) */
    uint64_t seed;                /* seed of the null shifts (default 1) */
} momu_sync_align_opts;

void momu_sync_align_opts_default(momu_sync_align_opts *o);

typedef struct {
    double scale, offset_s;       /* motion_time = scale * music_time + offset_s */
    double corr;                  /* Pearson correlation at the best (scale, offset) */
    double corr_before;           /* the sync score (+-0.12 s) of the files as shipped (scale 1, offset 0) */
    double score_after;           /* the sync score (+-0.12 s) after re-timing with (scale, offset) */
    double null_mean, null_std;   /* best correlation of the same search on circularly shifted music */
    double null_max;
    double z;                     /* (corr - null_mean) / null_std */
    double percentile;            /* % of null searches whose best correlation is below corr */
    double rand_mean, rand_p99;   /* correlation at the found (scale, offset) with the music circularly shifted
                                     by MOMU_SYNC_N_RANDOM seeded random amounts: the level of a RANDOM
                                     alignment, without search (the "99th percentile ~0.08") */
} momu_sync_alignment;

/* Searches scale and offset maximising the correlation between the conditioned music envelope and the
 * re-timed conditioned motion envelope (both at `rate` Hz), coarse grid then a fine grid around the best.
 * Significance: the identical search run on the music envelope circularly shifted by n_null seeded random
 * amounts (at least null_min_shift_s from 0), which keeps each envelope's own statistics (tempo, density)
 * but destroys their alignment. Deterministic for a given seed, independent of the thread count. */
momu_status momu_sync_align(const float *music_env, size_t n_music, const float *motion_env, size_t n_motion,
                            double rate, const momu_sync_align_opts *opts, momu_sync_alignment *out,
                            momu_err *e);

/* Re-times an envelope at `rate` onto the music clock: out[i] = env(scale * i/rate + offset_s), linear
 * interpolation, 0 outside; n_out samples. Used by the align search and to score aligned pairs. */
void momu_sync_retime(float *out, size_t n_out, const float *env, size_t n_env, double rate, double scale,
                      double offset_s);

#ifdef __cplusplus
}
#endif
#endif
