/* momu — packing a training checkpoint for shipping (`momu model pack`, docs/MODELS.md "Packaging").
 *
 * A training checkpoint holds the live weights and their EMA copy (F32); inference uses only the EMA. A
 * packed file is the checkpoint without the live weights: the EMA weights under the same "ema." names (so
 * every loader that asks for EMA weights, momu_vae_ckpt_load and denoiser_load with use_ema = 1, reads it
 * unchanged), the VAE's input normalisation "norm.*" kept in F32 (preprocessing constants are never rounded),
 * every metadata key of the source plus "momu.packed_from" (the source path), "momu.dtype" (of the weights)
 * and safetensors.h's CRC-32 "momu.crc32", which every reader checks. */
#ifndef MOMU_MODEL_PACK_H
#define MOMU_MODEL_PACK_H
#include <stddef.h>

#include "momu/common.h"
#include "momu/safetensors.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    char   kind[32];              /* "music_vae", "motion_vae", "denoiser_music", "denoiser_motion" */
    size_t n_tensors_in, n_tensors_out;
    size_t n_values;              /* values written (all tensors) */
    size_t n_rounded;             /* of them, stored in the weights' dtype when that is F16 (else 0) */
    size_t bytes_in, bytes_out;   /* file sizes */
    /* Rounding error of the packed file (read back) against the F32 source, over every value: */
    double max_abs_err;           /* max |packed - source| */
    double max_rel_err;           /* max |packed - source| / |source| over |source| >= 2^-14 (F16's normal
                                     range; at most 2^-11 = 4.9e-4 for round to nearest) */
    double rel_l2_err;            /* ||packed - source||_2 / ||source||_2 over all values */
    char   max_abs_tensor[128], max_rel_tensor[128];
    size_t n_subnormal;           /* nonzero source values with |x| < 2^-14: F16 subnormals, absolute step 2^-24 */
    size_t n_flushed;             /* nonzero source values stored as 0 (|x| <= 2^-25) */
    double max_flushed;           /* the largest |x| flushed to 0 */
} momu_pack_report;

/* Packs the checkpoint in_path (`momu train vae` or `momu train diffusion` output, or a packed file) into
 * out_path with the weights in dtype, then reads the result back (the report's errors) and loads it with
 * the model's own loader. Refuses, naming the file: out_path equal to in_path, a file that is not a momu VAE
 * or denoiser checkpoint, a checkpoint without EMA weights, an unexpected tensor, and weights that overflow
 * F16 (|x| >= 65520: pack as F32). r may be NULL. */
momu_status momu_model_pack(const char *in_path, const char *out_path, safetensors_dtype dtype, momu_pack_report *r,
                            momu_err *e);

#ifdef __cplusplus
}
#endif
#endif
