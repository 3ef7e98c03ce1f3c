/* momu — BiCoR-VAE rhythmic contrastive loss (DESIGN.md §1.1, notes §3.4): windows chosen on the kinematic
 * amplitude Q(r) of the motion, segment vectors max-pooled over time from the music and motion latent means,
 * symmetric InfoNCE with the same-window pairs positive.
 *
 * Dimensions: B batch (crops), Tz latent frames (12.5 Hz), C latent channels, T motion frames (25 fps,
 * T = 2 Tz), Nw windows in the whole batch, J joints, D = 6J+8 motion features.
 *
 * Choices (the paper leaves them open; documented in docs/MODELS.md "Training"):
 *   - Q(r) is computed from positions: the RAW (unnormalised) features go through momu_features_to_motion
 *     (root trajectory integrated from the root velocity and heading rate, plus the root-relative joint
 *     positions), then momu_kinematic_amplitude (8-bin directogram on the x-y camera plane; the inverse
 *     starts facing +z, so x-y is the dancer's frontal plane at the start of the window). Q is computed once
 *     per prepared window and sliced for each crop (Q(r) uses frames r-1..r+1, so only the crop's first and
 *     last frame differ from a per-crop computation).
 *   - Q at the latent rate: qz[i] = max(q[2i], q[2i+1]) (latent frame i covers motion frames 2i, 2i+1).
 *   - Windows: N = 4 per crop, width w = 4 latent frames (0.32 s), window = [c - w/2, c - w/2 + w) around
 *     a peak c; greedy non-maximum suppression: repeatedly the largest qz whose window fits inside the crop
 *     and does not overlap an already chosen window (windows are disjoint). Ties: the earliest frame.
 *   - Troughs (--troughs K, default 0): the last K of the N windows are chosen by the same suppression on
 *     -qz, i.e. at the stillest moments, after the N-K peak windows. With peaks only, every window holds a
 *     visual beat and (when the dance is on the beat) a music onset, so the same-crop negatives differ from
 *     the positive only in content a dance cannot predict; a mix of peak and trough windows gives the loss a
 *     rhythmic contrast (beat vs between beats) that carries over to unseen songs.
 *   - Segment vectors: per-channel max over the window (torch.nn.MaxPool1d(w) on the window).
 *   - Loss: nn_infonce_loss_forward (symmetric, cosine, τ = 0.1) over all Nw windows of the batch: the
 *     other windows of the same crop and of the other crops are the negatives.
 *   - Gradient: into the motion latent mean only (the music VAE is frozen in stage 2); the music side can
 *     get a gradient too (dza non-NULL) for tests. */
#ifndef MOMU_BICOR_H
#define MOMU_BICOR_H
#include <stddef.h>

#include "momu/common.h"
#ifdef __cplusplus
extern "C" {
#endif

#define MOMU_BICOR_MAX_WINDOWS 64   /* per crop */

typedef struct {
    size_t n_windows;   /* per crop (default 4) */
    size_t width;       /* latent frames per window (default 4 = 0.32 s) */
    size_t troughs;     /* of the n_windows, this many at the smallest Q (still moments), the rest at peaks */
    float  tau;         /* InfoNCE temperature (default 0.1) */
} momu_bicor_config;

void momu_bicor_config_default(momu_bicor_config *c);
/* MOMU_ERR_ARG naming the field for n_windows outside 1..MOMU_BICOR_MAX_WINDOWS, width 0, tau <= 0. */
momu_status momu_bicor_config_check(const momu_bicor_config *c, momu_err *e);

/* Q(r) of a window of RAW motion features feat (T, 6J+8): features -> positions -> kinematic amplitude.
 * q: (T). */
momu_status momu_bicor_feature_q(const float *feat, size_t T, size_t J, float fps, float *q, momu_err *e);

/* qz[i] = max(q[2i], q[2i+1]), i < T/2.  q:(T) qz:(T/2) */
void momu_bicor_q_to_latent(const float *q, size_t T, float *qz);

/* Greedy NMS window choice on qz (Tz); writes up to n_windows window starts (ascending order of choice:
 * the strongest first) into starts, returns how many. Needs Tz >= width for any window. */
size_t momu_bicor_select_windows_mixed(const float *qz, size_t Tz, size_t n_windows, size_t n_troughs, size_t width,
                                       size_t *starts);
size_t momu_bicor_select_windows(const float *qz, size_t Tz, size_t n_windows, size_t width, size_t *starts);

/* Loss workspace for at most max_windows windows of C channels. */
typedef struct {
    size_t cap, C;
    size_t n;                  /* windows of the last forward */
    size_t B, Tz, width;
    float  tau;
    size_t *win_b, *win_s;     /* (cap) crop and start of each window */
    float  *ca, *cm;           /* (cap, C) music / motion segment vectors */
    size_t *ia, *im;           /* (cap, C) argmax offsets within the window */
    float  *saved;             /* NN_INFONCE_SAVED(cap) */
    float  *dca, *dcm;         /* (cap, C) */
    int     same_crop_only;    /* 0 (default): all windows of the batch are negatives; 1: only the windows of
                                  the same crop (one InfoNCE per crop, averaged over windows; the windows of a
                                  crop must be consecutive). Set after momu_bicor_ws_alloc. */
} momu_bicor_ws;

momu_status momu_bicor_ws_alloc(momu_bicor_ws *w, size_t max_windows, size_t C, momu_err *e);
void        momu_bicor_ws_free(momu_bicor_ws *w);

/* Forward: n windows (win_b[k] crop, win_s[k] first latent frame), segment vectors from za, zm (B,Tz,C),
 * symmetric InfoNCE. Returns the loss (0 when n < 2: no negatives). Rejects (MOMU_ERR_ARG) n > cap or a
 * window outside [0, Tz) of a crop < B. */
momu_status momu_bicor_loss_forward(momu_bicor_ws *w, const float *za, const float *zm, size_t B, size_t Tz,
                                    size_t C, const size_t *win_b, const size_t *win_s, size_t n, size_t width,
                                    float tau, float *loss, momu_err *e);
/* ACCUMULATES dzm += dloss * dL/dzm (B,Tz,C) and, if dza != NULL, dza += dloss * dL/dza. */
void momu_bicor_loss_backward(momu_bicor_ws *w, float *dza, float *dzm, float dloss);

/* Segment vectors only (for evaluation): c (n, C) = max over each window of z (B,Tz,C). */
void momu_bicor_segments(float *c, const float *z, size_t Tz, size_t C, const size_t *win_b, const size_t *win_s,
                         size_t n, size_t width);

#ifdef __cplusplus
}
#endif
#endif
