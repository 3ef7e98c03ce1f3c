/* momu — named tensor table and the flat parameter / gradient / optimizer buffers it describes.
 *
 * One table (STYLE.md §8) drives allocation, checkpoint I/O, tests and the weight-decay mask. Every tensor
 * is a row-major float32 block at table offset `offset` (a multiple of TENSOR_ALIGN floats, so each tensor
 * starts on a 64-byte boundary); the gaps between tensors are zero and never touched. Weights use PyTorch's
 * layout (nn.Linear weight (out,in), Conv1d weight (out,in,k)), so names and shapes match a torch
 * state_dict and a momu checkpoint loads in PyTorch unchanged.
 *
 *   tensor_table tab; table_init(&tab);
 *   int w1 = TABLE_ADD(&tab, "blocks.0.mlp.fc1.weight", 1, &e, 256, 64);   // decay on
 *   int b1 = TABLE_ADD(&tab, "blocks.0.mlp.fc1.bias",   0, &e, 256);       // no decay
 *   nn_params p; nn_params_alloc(&p, &tab, NN_ALLOC_OPTIM | NN_ALLOC_EMA, &e);
 *   float *W1 = table_ptr(&tab, p.params, w1), *dW1 = table_ptr(&tab, p.grads, w1);
 */
#ifndef MOMU_NN_PARAMS_H
#define MOMU_NN_PARAMS_H
#include <stddef.h>
#include <stdint.h>

#include "momu/common.h"
#ifdef __cplusplus
extern "C" {
#endif

#define TENSOR_NAME_MAX 96      /* characters, without the NUL */
#define TENSOR_MAX_DIMS 4
#define TENSOR_ALIGN    16      /* floats: offsets are multiples of this (64 bytes) */
#define TABLE_MAX_TENSORS 65536 /* a sanity bound for readers */

typedef struct {
    char   name[TENSOR_NAME_MAX + 1];
    int    ndim;                       /* 1..TENSOR_MAX_DIMS */
    size_t shape[TENSOR_MAX_DIMS];     /* unused trailing dims are 1 */
    int    decay;                      /* 1: AdamW weight decay applies (weights); 0: biases, norms, embeddings */
    size_t offset;                     /* in floats from the start of the flat buffer */
    size_t numel;
} tensor_spec;

typedef struct {
    tensor_spec *t;
    int          n, cap;
    size_t       total;                /* floats in each flat buffer (multiple of TENSOR_ALIGN) */
} tensor_table;

void table_init(tensor_table *tab);
void table_free(tensor_table *tab);
/* Appends a tensor and returns its id (0, 1, ...), or -1 with MOMU_ERR_ARG / MOMU_ERR_OOM in e for: a
 * duplicate or empty name, a name longer than TENSOR_NAME_MAX or with control characters, '"' or '\\',
 * ndim outside 1..4, a zero dimension, or a size that overflows. */
int  table_add(tensor_table *tab, const char *name, int decay, int ndim, const size_t *shape, momu_err *e);
/* TABLE_ADD(&tab, "name", decay, &e, d0[, d1[, d2[, d3]]]): the shape as arguments (converted to size_t). */
#define TABLE_ADD(tab, name, decay, e, ...)                                                          \
    table_add((tab), (name), (decay), (int)(sizeof((size_t[]){__VA_ARGS__}) / sizeof(size_t)),      \
              (size_t[]){__VA_ARGS__}, (e))
int    table_find(const tensor_table *tab, const char *name);          /* id, or -1 if absent */
float *table_ptr(const tensor_table *tab, float *base, int id);        /* base + offset of tensor id */
const float *table_cptr(const tensor_table *tab, const float *base, int id);
/* "[256, 64]" into buf (for messages). */
const char *table_shape_str(const tensor_spec *s, char *buf, size_t n);
/* 64-bit FNV-1a over (name, ndim, shape, decay, offset) of every tensor, in order: identifies the model
 * layout in training-state files. */
uint64_t table_fingerprint(const tensor_table *tab);
/* Number of float elements in tensors (excluding alignment padding). */
size_t table_numel(const tensor_table *tab);

/* The flat buffers. All are allocated together in one 64-byte aligned block and zeroed. */
enum { NN_ALLOC_OPTIM = 1, NN_ALLOC_EMA = 2 };   /* flags: grads+adam m/v; EMA copy of the weights */
typedef struct {
    const tensor_table *tab;           /* not owned; must outlive this */
    size_t total;                      /* floats per buffer (tab->total when allocated) */
    float *params;                     /* (total) */
    float *grads;                      /* (total) or NULL without NN_ALLOC_OPTIM */
    float *m, *v;                      /* (total) Adam first / second moments, or NULL */
    float *ema;                        /* (total) EMA of params, or NULL without NN_ALLOC_EMA */
    void  *block;
} nn_params;

momu_status nn_params_alloc(nn_params *p, const tensor_table *tab, int flags, momu_err *e);
void        nn_params_free(nn_params *p);
void        nn_params_zero_grads(nn_params *p);          /* memset; call right before backward */
/* Exchanges the params and ema pointers, e.g. to evaluate or save the EMA weights; call again to undo.
 * Returns MOMU_ERR_STATE if there is no EMA buffer. */
momu_status nn_params_swap_ema(nn_params *p, momu_err *e);
/* Logs (momu_log) one line of byte counts: params, grads, optimizer (m+v+ema), activations. */
void        nn_params_log_sizes(const nn_params *p, size_t activation_bytes, const char *what);

#ifdef __cplusplus
}
#endif
#endif
