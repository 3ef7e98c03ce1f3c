/* momu — NumPy .npy files (format 1.0/2.0/3.0), little-endian float32/float64 in, float32 out. */
#ifndef MOMU_NPY_H
#define MOMU_NPY_H
#include "momu/common.h"
#ifdef __cplusplus
extern "C" {
#endif

#define MOMU_NPY_MAX_DIMS 8

typedef struct {
    int    ndim;
    size_t shape[MOMU_NPY_MAX_DIMS];
    size_t numel;
    float *data;      /* row-major (C order), converted to float32; owned, free with momu_npy_free */
} momu_npy;

/* Reads PATH; accepts '<f4' and '<f8' (and '|f4'-style), C order only. Rejects truncated or oversized
 * payloads, unknown dtypes, Fortran order, and, when reject_nonfinite, any NaN/Inf (naming the index). */
momu_status momu_npy_read(const char *path, momu_npy *out, int reject_nonfinite, momu_err *e);
void        momu_npy_free(momu_npy *a);

/* Writes float32 data of the given shape to PATH atomically (temporary file + rename). */
momu_status momu_npy_write_f32(const char *path, const float *data, int ndim, const size_t *shape, momu_err *e);

#ifdef __cplusplus
}
#endif
#endif
