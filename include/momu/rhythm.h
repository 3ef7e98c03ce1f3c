/* momu — rhythm channels of a denoiser's condition (include/momu/denoiser.h, cond_extra).
 *
 * The condition latent of the other modality carries its rhythm only implicitly. These channels give the
 * denoiser the other modality's SYNC ENVELOPE (include/momu/sync.h: log-mel spectral flux for music, summed
 * change of joint speed for motion; log1p/median compression, 1-s high-pass, z-score over the sequence) at
 * that modality's own frame rate, folded onto the latent clock: latent frame z gets the `per` envelope
 * samples of its input frames z*per .. z*per+per-1 (music: 8 mel frames at 100 fps; motion: 2 frames at
 * 25 fps, for 12.5-Hz latents). Sub-frame timing that a 12.5-Hz latent blurs is kept this way.
 *
 * Training computes them from the real input windows; generation from the real input (dance from music,
 * music from dance) or, in joint generation, from the decoded clean estimate of the other modality at every
 * cross-guided step. Samples past the end of the input are 0. */
#ifndef MOMU_RHYTHM_H
#define MOMU_RHYTHM_H
#include <stddef.h>

#include "momu/common.h"
#ifdef __cplusplus
extern "C" {
#endif

/* out:(Tz, per) from a log10-mel spectrogram logmel:(nf, F) at fps (the sync music envelope at fps). */
momu_status momu_rhythm_from_logmel(const float *logmel, size_t nf, size_t F, double fps, size_t Tz, size_t per,
                                    float *out, momu_err *e);
/* out:(Tz, per) from joint positions pos:(T, J, 3) at fps (the sync motion envelope at fps). */
momu_status momu_rhythm_from_motion(const float *pos, size_t T, size_t J, double fps, size_t Tz, size_t per,
                                    float *out, momu_err *e);
/* dst:(Tz, C+R) = [lat (Tz,C) | rhy (Tz,R)] row by row (dst may not alias). */
void momu_rhythm_append(float *dst, const float *lat, size_t C, const float *rhy, size_t R, size_t Tz);

#ifdef __cplusplus
}
#endif
#endif
