/* momu — network blocks built from the layers: the DiT transformer block (adaLN-Zero) and the 1-D conv
 * residual block of the VAEs, with forward, backward and a stack of N DiT blocks.
 *
 * Dimension vocabulary (row-major, last dimension contiguous):
 *   B batch, T tokens (latent frames), C width (channels), H heads, D = C/H head size, F = 4C MLP hidden,
 *   N = B*T rows, G GroupNorm groups, Ci/Co conv input/output channels.
 * Activations are (B,T,C); weights keep PyTorch's layout and PyTorch's parameter names, so a table built here
 * matches a torch state_dict of facebookresearch/DiT's DiTBlock and of LDM's ResnetBlock (1-D).
 *
 * Backward passes ACCUMULATE (+=) into the parameter gradients and into dx / dc; zero them before the pass.
 * Every function is deterministic: results are bit-identical for any OMP_NUM_THREADS (outer loops write
 * disjoint outputs, column sums run in a fixed order, big products go to sgemm outside parallel regions).
 */
#ifndef MOMU_NN_BLOCKS_H
#define MOMU_NN_BLOCKS_H
#include <stddef.h>

#include "momu/common.h"
#include "momu/nn_params.h"
#include "momu/rng.h"
#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- DiT block (Peebles & Xie 2023) --------
 *   shift1, scale1, gate1, shift2, scale2, gate2 = Linear(SiLU(c))                 adaLN_modulation.1
 *   x = x + gate1 * Attn(LN(x) * (1 + scale1) + shift1)                         attn.qkv, attn.proj
 *   x = x + gate2 * fc2(GELU_tanh(fc1(LN(x) * (1 + scale2) + shift2)))          mlp.fc1, mlp.fc2
 * LN without affine, eps 1e-6. Attention: qkv split per token as (3, H, D) (timm), softmax(q k^T/sqrt(D)) v;
 * optional RoPE on q and k (nn_rope_forward / nn_rope_backward of nn_layers.h, rotate_half convention: pairs
 * (i, i+D/2), angle t*10000^(-2i/D), t = token index). */
#define DIT_LN_EPS 1e-6f
#define DIT_ROPE_BASE 10000.0f

typedef struct {
    float *ada_w, *ada_b;      /* (6C,C) (6C)   adaLN_modulation.1.{weight,bias} */
    float *qkv_w, *qkv_b;      /* (3C,C) (3C)   attn.qkv */
    float *proj_w, *proj_b;    /* (C,C)  (C)    attn.proj */
    float *fc1_w, *fc1_b;      /* (4C,C) (4C)   mlp.fc1 */
    float *fc2_w, *fc2_b;      /* (C,4C) (C)    mlp.fc2 */
} dit_block_w;

typedef struct {
    size_t C, H;
    int    rope;               /* 1: RoPE on q and k */
    int    id[10];             /* tensor-table ids, in dit_block_w order */
} dit_block;

/* Registers the 10 tensors under PREFIX (e.g. "blocks.0.") in tab: weights with decay, biases without. */
momu_status dit_block_register(dit_block *blk, tensor_table *tab, const char *prefix, size_t C, size_t H,
                               int rope, momu_err *e);
/* Points w at the block's tensors inside a flat buffer (params or grads) described by tab. */
void dit_block_bind(dit_block_w *w, const dit_block *blk, const tensor_table *tab, float *base);
/* Inits as DiT's initialize_weights: xavier-uniform linears, zero biases, adaLN-Zero (modulation weight
 * and bias 0, so each block starts as the identity). */
void dit_block_init(const dit_block_w *w, const dit_block *blk, momu_rng *rng);

/* Floats of saved activations for one forward with backward (act) and of backward scratch. */
size_t dit_block_act_size(size_t B, size_t T, size_t C, size_t H);
size_t dit_block_scratch_size(size_t B, size_t T, size_t C, size_t H);

/* y:(B,T,C)  act:(dit_block_act_size)  x:(B,T,C)  c:(B,C).  y must not alias x; x and c must stay
 * unchanged until the backward pass. */
void dit_block_forward(float *y, float *act, const float *x, const float *c, const dit_block_w *w,
                       const dit_block *blk, size_t B, size_t T);
/* ACCUMULATES: dx += dL/dx, dc += dL/dc (dc may be NULL), dw->* += parameter gradients.
 * scratch:(dit_block_scratch_size) is overwritten. dy:(B,T,C). */
void dit_block_backward(float *dx, float *dc, const dit_block_w *dw, float *scratch, const float *dy,
                        const float *act, const float *x, const float *c, const dit_block_w *w,
                        const dit_block *blk, size_t B, size_t T);

/* Forward without saving activations (sampling): attention one (batch, head) at a time in a per-thread
 * (T,T) buffer. y may equal x. scratch:(dit_block_infer_scratch_size). */
size_t dit_block_infer_scratch_size(size_t B, size_t T, size_t C, size_t H);
void dit_block_forward_infer(float *y, float *scratch, const float *x, const float *c, const dit_block_w *w,
                             const dit_block *blk, size_t B, size_t T);

/* ---------------------------------------------------------------- a stack of N DiT blocks ---------------- */
#define DIT_STACK_MAX 64
typedef struct {
    size_t    n_blocks, C, H;
    dit_block blk[DIT_STACK_MAX];
} dit_stack;

/* Registers blocks PREFIX0., PREFIX1., ... (prefix "blocks." gives "blocks.0.attn.qkv.weight"). */
momu_status dit_stack_register(dit_stack *s, tensor_table *tab, const char *prefix, size_t n_blocks,
                               size_t C, size_t H, int rope, momu_err *e);
/* act: n_blocks * (B*T*C + dit_block_act_size) floats (every block's input and saved values). */
size_t dit_stack_act_size(const dit_stack *s, size_t B, size_t T);
/* scratch: dit_block_scratch_size + 2*B*T*C floats. */
size_t dit_stack_scratch_size(const dit_stack *s, size_t B, size_t T);
void   dit_stack_forward(float *y, float *act, const float *x, const float *c, const dit_stack *s,
                         const tensor_table *tab, const float *params, size_t B, size_t T);
/* ACCUMULATES into dx, dc (may be NULL) and grads (the flat gradient buffer of tab). */
void   dit_stack_backward(float *dx, float *dc, float *grads, float *scratch, const float *dy,
                          const float *act, const float *c, const dit_stack *s, const tensor_table *tab,
                          const float *params, size_t B, size_t T);
size_t dit_stack_infer_scratch_size(const dit_stack *s, size_t B, size_t T);
/* y may equal x. */
void   dit_stack_forward_infer(float *y, float *scratch, const float *x, const float *c, const dit_stack *s,
                               const tensor_table *tab, const float *params, size_t B, size_t T);

/* ---------------------------------------------------------------- conv residual block (LDM ResnetBlock) -
 *   h = conv1(SiLU(norm1(x)));  h = conv2(SiLU(norm2(h)));  y = nin_shortcut(x) + h   (shortcut iff Ci != Co)
 * GroupNorm(G, eps 1e-6, affine): statistics over T and C/G channels per (batch, group). Conv1d k=3,
 * padding 1 (zeros), shortcut Conv1d k=1. Activations (B,T,C), weights (Co,Ci,k) as in torch.
 * Implementation (src/nn/blocks_res.c): GroupNorm+SiLU fused, the k=3 convolutions as three whole-batch
 * sgemms on a zero-padded (B, T+2, C) layout (no im2col copy); the shortcut is nn_linear. */
#define RES_GN_EPS 1e-6f

typedef struct {
    float *norm1_w, *norm1_b;  /* (Ci) (Ci)        norm1.{weight,bias} */
    float *conv1_w, *conv1_b;  /* (Co,Ci,3) (Co)   conv1 */
    float *norm2_w, *norm2_b;  /* (Co) (Co)        norm2 */
    float *conv2_w, *conv2_b;  /* (Co,Co,3) (Co)   conv2 */
    float *skip_w, *skip_b;    /* (Co,Ci,1) (Co)   nin_shortcut, NULL when Ci == Co */
} res_block_w;

typedef struct {
    size_t Ci, Co, G;
    int    id[10];             /* ids in res_block_w order; -1 for an absent shortcut */
} res_block;

/* G must divide Ci and Co; Ci, Co <= 2048 (per-channel statistics live on the thread stack). */
momu_status res_block_register(res_block *rb, tensor_table *tab, const char *prefix, size_t Ci, size_t Co,
                               size_t G, momu_err *e);
void   res_block_bind(res_block_w *w, const res_block *rb, const tensor_table *tab, float *base);
size_t res_block_act_size(const res_block *rb, size_t B, size_t T);
size_t res_block_scratch_size(const res_block *rb, size_t B, size_t T);
/* y:(B,T,Co)  x:(B,T,Ci); y must not alias x. */
void res_block_forward(float *y, float *act, const float *x, const res_block_w *w, const res_block *rb,
                       size_t B, size_t T);
/* ACCUMULATES: dx += dL/dx (dx may be NULL), dw->* += parameter gradients. */
void res_block_backward(float *dx, const res_block_w *dw, float *scratch, const float *dy, const float *act,
                        const float *x, const res_block_w *w, const res_block *rb, size_t B, size_t T);

#ifdef __cplusplus
}
#endif
#endif
