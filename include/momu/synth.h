/* momu synth — a short demo song made by momu itself (for `momu demo` when no song is given).
 *
 * A clearly beat-driven 4/4 piece in A minor: kick on every beat, snare + clap on beats 2 and 4, hi-hats on
 * the eighths (accented on the beat), a bass line and a chord pad following a progression chosen by the seed
 * (one chord per bar). Simple additive synthesis from band-limited wavetables with exponential/ADSR envelopes,
 * a gentle fade in and out, and a tanh soft limiter (peak < 1, no clipping). Deterministic for a seed: the same
 * (seconds, bpm, seed, sr) give the same samples on a given build (all noise from momu_rng; src/audio/synth.c).
 * Peak 0.76, RMS about 0.14. momu_beat_track finds the written tempo (within 0.1 %) and beats (F >= 0.96 at
 * +-70 ms) for 20-s songs at 80, 95, 110, 128, 140 and 180 BPM, seeds 1-4 (22.05 kHz); at 60 and 70 BPM it
 * reports twice and at 160 BPM half the tempo (the usual metrical ambiguity), so the demo should use 80..140. */
#ifndef MOMU_SYNTH_H
#define MOMU_SYNTH_H
#include <stddef.h>
#include <stdint.h>

#include "momu/common.h"
#ifdef __cplusplus
extern "C" {
#endif

/* seconds in (0, 600], bpm in [40, 240], sr in 8000..192000. *x (mono, *n = round(seconds * sr) samples) and
 * *beat_times (the kick times in seconds, i * 60 / bpm for every i with i * 60 / bpm < seconds) are malloc'd
 * (free() them); beat_times / n_beats may be NULL when not wanted. */
momu_status momu_synth_song(double seconds, double bpm, uint64_t seed, unsigned sr, float **x, size_t *n,
                            double **beat_times, size_t *n_beats, momu_err *e);

#ifdef __cplusplus
}
#endif
#endif
