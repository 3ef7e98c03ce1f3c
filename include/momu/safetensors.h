/* momu — safetensors checkpoints (https://huggingface.co/docs/safetensors, format spec):
 *   8-byte little-endian u64 N | N bytes of JSON header | byte buffer
 *   header: {"name": {"dtype": "F32"|"F16", "shape": [..], "data_offsets": [begin, end]}, ...,
 *            "__metadata__": {"key": "string", ...}}
 * Offsets are relative to the start of the byte buffer; tensors are contiguous, row-major, little-endian;
 * the header is padded with spaces to a multiple of 8 bytes. momu reads and writes F32 and F16 only.
 * Metadata carries the model config and preprocessing constants as strings (JSON-valued strings are fine). */
#ifndef MOMU_SAFETENSORS_H
#define MOMU_SAFETENSORS_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "momu/common.h"
#include "momu/nn_params.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef enum { SAFETENSORS_F32, SAFETENSORS_F16, SAFETENSORS_DTYPE_COUNT } safetensors_dtype;
const char       *safetensors_dtype_name(safetensors_dtype d);              /* "F32", "F16" */
safetensors_dtype safetensors_dtype_from_name(const char *s);               /* COUNT if unknown */

/* IEEE 754 binary16 <-> binary32, round to nearest even; inf, nan (quiet, sign and payload top bits kept)
 * and subnormals handled; floats beyond the half range become inf. */
uint16_t f32_to_f16(float f);
float    f16_to_f32(uint16_t h);

/* ---- metadata: an ordered key -> string map ---- */
typedef struct { size_t n, cap; char **keys, **vals; } safetensors_meta;
void        safetensors_meta_init(safetensors_meta *m);
void        safetensors_meta_free(safetensors_meta *m);
momu_status safetensors_meta_put(safetensors_meta *m, const char *key, const char *val, momu_err *e); /* replaces */
momu_status safetensors_meta_putf(safetensors_meta *m, const char *key, momu_err *e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
const char *safetensors_meta_get(const safetensors_meta *m, const char *key);   /* NULL if absent */

/* ---- writing ---- */
typedef struct {
    const char  *name;
    int          ndim;                 /* 0..8 (0: a scalar) */
    size_t       shape[8];
    const float *data;                 /* numel floats, row-major */
} safetensors_tensor;

/* Writes the tensors in the given order, converting to dtype (F16: round to nearest even), atomically.
 * Rejects duplicate names, non-finite values and, for F16, values that overflow to inf (|x| >= 65520), naming
 * tensor and index, so that every file written reads back. meta may be NULL. */
momu_status safetensors_write(const char *path, const safetensors_tensor *t, size_t n, safetensors_dtype dtype,
                              const safetensors_meta *meta, momu_err *e);
/* The same with a dtype per tensor (dtypes[i]; NULL: all dtype) and flags. SAFETENSORS_WRITE_CRC adds the
 * metadata key SAFETENSORS_CRC_KEY: 8 lowercase hex digits, the CRC-32 (zlib's, = Python zlib.crc32) of the
 * whole file in which those 8 digits read as "00000000". safetensors_open checks it whenever the key is
 * present (and refuses a damaged file: one flipped bit anywhere, header or data). A key of that name in
 * meta is replaced. A file with the key SAFETENSORS_PACKED_KEY (model_pack.h) must have the checksum: a flip
 * in the checksum's own key would otherwise pass as a file without one. */
enum { SAFETENSORS_WRITE_CRC = 1 };
#define SAFETENSORS_CRC_KEY    "momu.crc32"
#define SAFETENSORS_PACKED_KEY "momu.packed_from"
momu_status safetensors_write_ex(const char *path, const safetensors_tensor *t, size_t n, safetensors_dtype dtype,
                                 const safetensors_dtype *dtypes, const safetensors_meta *meta, int flags,
                                 momu_err *e);
/* Every tensor of tab, data from base (tab layout), shapes as in the table. */
momu_status safetensors_write_table(const char *path, const tensor_table *tab, const float *base,
                                    safetensors_dtype dtype, const safetensors_meta *meta, momu_err *e);

/* Several tables in one file, tensor i of table k named prefixes[k] + its table name (e.g. "music_vae." and
 * "motion_vae."); prefixes may be NULL (no prefixes: names must then be distinct across tables). */
momu_status safetensors_write_tables(const char *path, size_t n_tables, const char *const *prefixes,
                                     const tensor_table *const *tabs, const float *const *bases,
                                     safetensors_dtype dtype, const safetensors_meta *meta, momu_err *e);

/* ---- reading ---- */
#define SAFETENSORS_MAX_HEADER ((size_t)100 << 20)   /* the reference implementation's limit (100 MB) */
#define SAFETENSORS_MAX_DIMS 8

typedef struct {
    char             *name;
    safetensors_dtype dtype;
    int               ndim;
    size_t            shape[SAFETENSORS_MAX_DIMS];
    size_t            numel;
    size_t            begin, end;      /* byte offsets in the data buffer */
} safetensors_entry;

typedef struct {
    char               path[1024];
    FILE              *f;
    size_t             file_size, data_start;   /* data_start = 8 + N */
    size_t             n;
    safetensors_entry *t;              /* in file (header) order */
    safetensors_meta   meta;
} safetensors_file;

/* Opens and validates the whole header before anything else is allocated from it: header length vs file
 * size, JSON, every dtype (I64, BF16, ... named as unsupported), shape, offsets (in range, consistent with
 * shape x dtype size, non-overlapping, covering the buffer without holes, buffer ends at end of file),
 * unique names, metadata values are strings; then, if the metadata has SAFETENSORS_CRC_KEY, the checksum of
 * the whole file (one pass). Data is read later, on demand. */
momu_status safetensors_open(safetensors_file *sf, const char *path, momu_err *e);
void        safetensors_close(safetensors_file *sf);
int         safetensors_find(const safetensors_file *sf, const char *name);        /* index or -1 */
/* Reads entry i as float32 into dst (n must equal its numel); rejects NaN/Inf naming tensor and index. */
momu_status safetensors_read_f32(safetensors_file *sf, size_t i, float *dst, size_t n, momu_err *e);

/* Loads every tensor of tab into base (tab layout). Checks the file against the model and reports, naming
 * the file, got-versus-expected for: a missing tensor, an unexpected tensor, a shape mismatch, a wrong
 * dtype (want: the dtype every tensor must have, or SAFETENSORS_DTYPE_COUNT to accept F32 and F16, F16
 * being converted). Nothing in base is changed unless the whole file matches. If meta_out is non-NULL it
 * receives the file's metadata (initialised here; caller frees). */
momu_status safetensors_load_table(const char *path, const tensor_table *tab, float *base,
                                   safetensors_dtype want, safetensors_meta *meta_out, momu_err *e);
/* The same for the tensors named prefix + table name (one part of a file written by
 * safetensors_write_tables); file tensors without the prefix are ignored, those with it must all match. */
momu_status safetensors_load_table_prefix(const char *path, const char *prefix, const tensor_table *tab,
                                          float *base, safetensors_dtype want, safetensors_meta *meta_out,
                                          momu_err *e);

#ifdef __cplusplus
}
#endif
#endif
