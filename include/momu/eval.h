/* momu — evaluation metrics (DESIGN.md §5, reference/momu-diffusion-notes.md §6).
 *
 * Pure metric functions on time lists, feature vectors and joint positions; they need no audio or motion
 * decoder. `momu eval` (src/cli/cli_eval.c) wires them to files.
 *
 * Conventions: times in seconds (double), sorted or not (functions sort private copies); positions are
 * (n_frames, n_joints, 3) float row-major, y up, centimetres. NaN/Inf inputs are rejected with
 * MOMU_ERR_RANGE where a function returns a status; the plain-double functions return NaN for them. */
#ifndef MOMU_EVAL_H
#define MOMU_EVAL_H
#include <stddef.h>

#include "momu/common.h"
#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------------------
 * Beat F-measure (the MIR standard; mir_eval.beat.f_measure).
 *
 * An estimated time hits a reference time when |est - ref| <= tol_s (+1e-9 s for float rounding); each
 * reference and each estimate is used at most once. mir_eval finds a maximum bipartite matching
 * (mir_eval.util.match_events, Hopcroft-Karp). Here every window has the same width, so the graph is a
 * unit-interval graph, and the two-pointer greedy on the sorted lists (match each reference, in order, to the
 * earliest unused estimate inside its window; skip estimates left of the window) yields a maximum matching
 * (exchange argument: any optimal matching can be rearranged into the greedy one without losing a pair).
 * precision = matches / n_est, recall = matches / n_ref, F = 2PR/(P+R); every one is 0 when either list is
 * empty or nothing matches (as mir_eval). Unlike mir_eval.beat.evaluate, nothing is trimmed (no 5-s skip).
 * Returns F, or NaN when an input time is not finite or tol_s < 0. precision / recall may be NULL. */
#define MOMU_BEAT_FMEASURE_TOL_S 0.07
double momu_beat_fmeasure(const double *ref, size_t n_ref, const double *est, size_t n_est, double tol_s,
                          double *precision, double *recall);

/* ------------------------------------------------------------------------------------------------------
 * LORIS beat scores (notes §6.1, [C-LORIS beats_scores.py]).
 *
 * Each onset list is marked into 1-second bins, ceil(duration) bins (time t marks bin floor(t); times
 * outside [0, n_bins) are ignored). The reference is truncated to the generated length (gt[:len(syn)]).
 *   cover = #marked generated bins, total = #marked reference bins (after truncation),
 *   hit = #bins marked in both;  BCS = hit/cover (0 if cover 0), BHS = hit/total (0 if total 0). */
typedef struct {
    size_t n_bins_ref, n_bins_gen;   /* ceil(duration) of each (reference before truncation) */
    size_t total, cover, hit;
    double bcs, bhs;                 /* in [0,1] */
} momu_loris_clip;

momu_status momu_loris_clip_score(const double *ref_times, size_t n_ref, double ref_duration_s,
                                  const double *gen_times, size_t n_gen, double gen_duration_s,
                                  momu_loris_clip *out, momu_err *e);

/* Aggregate over clips: BCS, BHS = means of the per-clip values; CSD, HSD = sample standard deviations
 * (ddof = 1, NaN for fewer than 2 clips, as numpy); F1 = 2·BCS·BHS/(BCS+BHS) from the means (0 if both 0).
 * All in [0,1]; tables report ×100. */
typedef struct {
    size_t n_clips;
    double bcs, csd, bhs, hsd, f1;
} momu_loris_summary;

momu_status momu_loris_aggregate(const momu_loris_clip *clips, size_t n_clips, momu_loris_summary *out,
                                 momu_err *e);

/* ------------------------------------------------------------------------------------------------------
 * BAS, beat align score (Bailando utils/metrics_new.py `BA`, after FACT/AIST++):
 *   BAS = (1/|B_music|) Σ_{b in B_music} exp(-min_k (b - k)² / (2σ²)),  k over the kinematic beats.
 * Bailando averages over MUSIC beats (DESIGN.md §5 follows it); the FACT paper's text averages over the
 * kinematic beats instead — call with the arguments swapped for that convention. σ = 3 frames at 30 fps in
 * Bailando's code; scaled to time that is MOMU_BAS_SIGMA_S = 0.1 s whatever the fps.
 * Returns NaN for non-finite input or sigma_s <= 0; 0 when there are no kinematic beats; NaN when there
 * are no music beats (undefined). */
#define MOMU_BAS_SIGMA_S 0.1
double momu_bas(const double *music_beats, size_t n_music, const double *kin_beats, size_t n_kin,
                double sigma_s);

/* ------------------------------------------------------------------------------------------------------
 * Time lists on disk: one time in seconds per line (the first whitespace/tab-separated field of each line);
 * blank lines and lines starting with '#' are skipped, and so is a first line whose first field is not a
 * number (a header such as "time"). Any later line whose first field is not a finite number is an
 * error naming the file and line. At most 10^7 times, files at most 256 MiB. *times is malloc'ed (free());
 * NULL when the file holds no time (*n = 0). */
momu_status momu_eval_read_times(const char *path, double **times, size_t *n, momu_err *e);

#ifdef __cplusplus
}
#endif
#endif
