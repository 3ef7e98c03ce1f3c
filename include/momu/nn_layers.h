/* momu — neural-network layers: forward and backward on float32 activations (CPU).
 *
 * Dimension vocabulary (used in every shape comment below):
 *   B batch   T time steps / tokens (Tq queries, Tk keys, To output length)   N rows (= B*T for per-token ops)
 *   C channels (Ci in, Co out)   K kernel taps   G groups   H heads   D head dim (H*D = model width)
 *
 * Layout: activations are row-major with the last dimension contiguous. Sequences are (B,T,C) for both
 * transformers and 1-D convolutions (a convolution runs over T with C contiguous). Weights are stored in
 * PyTorch's own layout so that safetensors load without permutation:
 *   Linear W (Co,Ci); Conv1d W (Co, Ci/G, K); ConvTranspose1d W (Ci, Co/G, K); Layer/GroupNorm weight, bias (C).
 *
 * Signatures (STYLE.md §6): outputs, then saved-for-backward, then inputs, then weights, then sizes.
 * Every *_backward ACCUMULATES (+=) into every gradient it writes (zero them with memset before the
 * backward pass); input-gradient pointers documented "may be NULL" are skipped when NULL.
 * Outputs must not alias inputs unless the comment says so. Arguments are trusted (programmer errors are
 * not checked: these are inner loops, validate shapes once when building the model).
 *
 * Sizes are assumed valid (non-zero channels, divisible groups, inputs long enough); check conv geometries
 * once with nn_conv1d_geom_check.
 *
 * Every layer has a naive *_ref twin with the same signature (src/nn/layers_ref.inc, which
 * tests/test_nn_grad.c also compiles in double precision for the finite-difference checks); the fast
 * kernels are tested against the refs and the refs against PyTorch 1.13 (tools/nn_fixtures.py). The losses
 * and the dropout backward have a single implementation (in layers_ref.inc, so also FD-checked); dropout
 * forward and the timestep embedding have no backward twin.
 *
 * Threading: each function is one OpenMP region owner: either it parallelises outer loops that write
 * disjoint outputs itself (attention: one region over heads, nn_gemm_serial inside), or it calls nn_gemm
 * (BLAS threads) outside any parallel region. So do not call these from inside your own omp parallel
 * region. No float reduction clauses; every sum has a fixed order, so results are byte-identical for any
 * OMP_NUM_THREADS. */
#ifndef MOMU_NN_LAYERS_H
#define MOMU_NN_LAYERS_H
#include <stddef.h>
#include <stdint.h>

#include "momu/common.h"
#include "momu/rng.h"
#ifdef __cplusplus
extern "C" {
#endif

/* ---- Linear (torch.nn.Linear) ------------------------------------------------------------------------
 * y = x W^T + b        x:(N,Ci)  W:(Co,Ci)  b:(Co) or NULL  y:(N,Co)
 * ACCUMULATES: dx += dy W, dW += dy^T x, db += colsum(dy); dx, db may be NULL. */
void nn_linear_forward(float *y, const float *x, const float *w, const float *b, size_t N, size_t Ci, size_t Co);
void nn_linear_backward(float *dx, float *dw, float *db, const float *dy, const float *x, const float *w,
                        size_t N, size_t Ci, size_t Co);
void nn_linear_forward_ref(float *y, const float *x, const float *w, const float *b, size_t N, size_t Ci, size_t Co);
void nn_linear_backward_ref(float *dx, float *dw, float *db, const float *dy, const float *x, const float *w,
                            size_t N, size_t Ci, size_t Co);

/* ---- 1-D convolution geometry (torch.nn.Conv1d / ConvTranspose1d arguments) ---------------------------- */
typedef struct {
    size_t k;        /* kernel taps K (>= 1) */
    size_t stride;   /* >= 1 */
    size_t pad;      /* zero padding on both ends */
    size_t dil;      /* dilation >= 1 */
    size_t groups;   /* G >= 1, divides Ci and Co */
    size_t out_pad;  /* ConvTranspose1d output_padding only (< stride or < dil); ignored by conv1d */
} nn_conv1d_geom;

/* Output length, or 0 when the input is too short: Conv1d To = (T + 2p - dil(K-1) - 1)/stride + 1;
 * ConvTranspose1d To = (T-1) stride - 2p + dil(K-1) + out_pad + 1. */
size_t nn_conv1d_out_len(size_t T, const nn_conv1d_geom *g);
size_t nn_conv_transpose1d_out_len(size_t T, const nn_conv1d_geom *g);
/* Validates a geometry once, when a model is built (the layers themselves trust their arguments): k, stride,
 * dil, groups >= 1, groups divides Ci and Co, out_pad < max(stride, dil) (as torch requires), and an input of
 * length T gives a non-empty output. what names the layer in the message. MOMU_ERR_ARG on failure. */
momu_status nn_conv1d_geom_check(const nn_conv1d_geom *g, size_t T, size_t Ci, size_t Co, int transpose,
                                 const char *what, momu_err *e);

/* Conv1d (cross-correlation, as torch): y[b,t,co] = bias[co] + sum_{ci in group, j} W[co,ci',j] x[b, t*s-p+j*dil, ci]
 * x:(B,T,Ci)  W:(Co,Ci/G,K)  bias:(Co) or NULL  y:(B,To,Co)
 * ACCUMULATES dx (may be NULL), dW, db (may be NULL). Fast version: im2col + nn_gemm (falls back to the
 * ref loop if its scratch allocation fails). */
void nn_conv1d_forward(float *y, const float *x, const float *w, const float *bias, size_t B, size_t T, size_t Ci,
                       size_t Co, const nn_conv1d_geom *g);
void nn_conv1d_backward(float *dx, float *dw, float *db, const float *dy, const float *x, const float *w, size_t B,
                        size_t T, size_t Ci, size_t Co, const nn_conv1d_geom *g);
void nn_conv1d_forward_ref(float *y, const float *x, const float *w, const float *bias, size_t B, size_t T,
                           size_t Ci, size_t Co, const nn_conv1d_geom *g);
void nn_conv1d_backward_ref(float *dx, float *dw, float *db, const float *dy, const float *x, const float *w,
                            size_t B, size_t T, size_t Ci, size_t Co, const nn_conv1d_geom *g);

/* ConvTranspose1d (the adjoint of conv1d, for the VAE decoders):
 * y[b, t*s-p+j*dil, co] += W[ci, co', j] x[b,t,ci]  (+ bias[co])
 * x:(B,T,Ci)  W:(Ci,Co/G,K)  bias:(Co) or NULL  y:(B,To,Co).  ACCUMULATES dx (may be NULL), dW, db (may be NULL). */
void nn_conv_transpose1d_forward(float *y, const float *x, const float *w, const float *bias, size_t B, size_t T,
                                 size_t Ci, size_t Co, const nn_conv1d_geom *g);
void nn_conv_transpose1d_backward(float *dx, float *dw, float *db, const float *dy, const float *x, const float *w,
                                  size_t B, size_t T, size_t Ci, size_t Co, const nn_conv1d_geom *g);
void nn_conv_transpose1d_forward_ref(float *y, const float *x, const float *w, const float *bias, size_t B,
                                     size_t T, size_t Ci, size_t Co, const nn_conv1d_geom *g);
void nn_conv_transpose1d_backward_ref(float *dx, float *dw, float *db, const float *dy, const float *x,
                                      const float *w, size_t B, size_t T, size_t Ci, size_t Co,
                                      const nn_conv1d_geom *g);

/* ---- Resampling in time ------------------------------------------------------------------------------
 * Nearest upsampling x s (torch.nn.Upsample(scale_factor=s, mode='nearest')): y[b,t,c] = x[b, t/s, c]
 * x:(B,T,C) y:(B,T*s,C).  ACCUMULATES dx += sum over the s copies. */
void nn_upsample_forward(float *y, const float *x, size_t B, size_t T, size_t C, size_t s);
void nn_upsample_backward(float *dx, const float *dy, size_t B, size_t T, size_t C, size_t s);
void nn_upsample_forward_ref(float *y, const float *x, size_t B, size_t T, size_t C, size_t s);
void nn_upsample_backward_ref(float *dx, const float *dy, size_t B, size_t T, size_t C, size_t s);

/* Average-pool downsampling (torch.nn.AvgPool1d(s), kernel = stride = s, no padding; a trailing partial
 * window is dropped): x:(B,T,C) y:(B,T/s,C).  ACCUMULATES dx (the dropped tail gets nothing). */
void nn_avgpool_forward(float *y, const float *x, size_t B, size_t T, size_t C, size_t s);
void nn_avgpool_backward(float *dx, const float *dy, size_t B, size_t T, size_t C, size_t s);
void nn_avgpool_forward_ref(float *y, const float *x, size_t B, size_t T, size_t C, size_t s);
void nn_avgpool_backward_ref(float *dx, const float *dy, size_t B, size_t T, size_t C, size_t s);

/* Temporal max-pool (torch.nn.MaxPool1d(k, stride), no padding; needs T >= k): To = (T-k)/stride + 1, the first maximum
 * wins ties (as torch's CPU kernel). x:(B,T,C) y:(B,To,C) idx:(B,To,C) saved argmax time index in [0,T).
 * ACCUMULATES dx[b, idx, c] += dy. */
void nn_maxpool_forward(float *y, size_t *idx, const float *x, size_t B, size_t T, size_t C, size_t k, size_t stride);
void nn_maxpool_backward(float *dx, const float *dy, const size_t *idx, size_t B, size_t To, size_t T, size_t C);
void nn_maxpool_forward_ref(float *y, size_t *idx, const float *x, size_t B, size_t T, size_t C, size_t k,
                            size_t stride);
void nn_maxpool_backward_ref(float *dx, const float *dy, const size_t *idx, size_t B, size_t To, size_t T, size_t C);

/* ---- Normalisation (eps as in PyTorch: added to the biased variance inside the sqrt) -------------------
 * LayerNorm over C (torch.nn.LayerNorm(C, eps, elementwise_affine = w != NULL)):
 * x:(N,C) y:(N,C) mean,rstd:(N) saved  w,b:(C) or both NULL.  ACCUMULATES dx, dw, db (dw/db only if w). */
void nn_layernorm_forward(float *y, float *mean, float *rstd, const float *x, const float *w, const float *b,
                          size_t N, size_t C, float eps);
void nn_layernorm_backward(float *dx, float *dw, float *db, const float *dy, const float *x, const float *mean,
                           const float *rstd, const float *w, size_t N, size_t C);
void nn_layernorm_forward_ref(float *y, float *mean, float *rstd, const float *x, const float *w, const float *b,
                              size_t N, size_t C, float eps);
void nn_layernorm_backward_ref(float *dx, float *dw, float *db, const float *dy, const float *x, const float *mean,
                               const float *rstd, const float *w, size_t N, size_t C);

/* GroupNorm (torch.nn.GroupNorm(G, C, eps, affine = w != NULL)), statistics per (b, g) over T x C/G:
 * x:(B,T,C) y:(B,T,C) mean,rstd:(B,G) saved  w,b:(C) or both NULL.  ACCUMULATES dx, dw, db. */
void nn_groupnorm_forward(float *y, float *mean, float *rstd, const float *x, const float *w, const float *b,
                          size_t B, size_t T, size_t C, size_t G, float eps);
void nn_groupnorm_backward(float *dx, float *dw, float *db, const float *dy, const float *x, const float *mean,
                           const float *rstd, const float *w, size_t B, size_t T, size_t C, size_t G);
void nn_groupnorm_forward_ref(float *y, float *mean, float *rstd, const float *x, const float *w, const float *b,
                              size_t B, size_t T, size_t C, size_t G, float eps);
void nn_groupnorm_backward_ref(float *dx, float *dw, float *db, const float *dy, const float *x, const float *mean,
                               const float *rstd, const float *w, size_t B, size_t T, size_t C, size_t G);

/* ---- Activations, elementwise on n values; y may alias x in forward. ACCUMULATE dx += dy * f'(x). -----
 * SiLU: torch.nn.functional.silu.  GELU tanh: F.gelu(x, approximate='tanh') (torch >= 1.12).
 * GELU erf: F.gelu(x) (the exact default). */
void nn_silu_forward(float *y, const float *x, size_t n);
void nn_silu_backward(float *dx, const float *dy, const float *x, size_t n);
void nn_gelu_tanh_forward(float *y, const float *x, size_t n);
void nn_gelu_tanh_backward(float *dx, const float *dy, const float *x, size_t n);
void nn_gelu_erf_forward(float *y, const float *x, size_t n);
void nn_gelu_erf_backward(float *dx, const float *dy, const float *x, size_t n);
void nn_silu_forward_ref(float *y, const float *x, size_t n);
void nn_silu_backward_ref(float *dx, const float *dy, const float *x, size_t n);
void nn_gelu_tanh_forward_ref(float *y, const float *x, size_t n);
void nn_gelu_tanh_backward_ref(float *dx, const float *dy, const float *x, size_t n);
void nn_gelu_erf_forward_ref(float *y, const float *x, size_t n);
void nn_gelu_erf_backward_ref(float *dx, const float *dy, const float *x, size_t n);

/* ---- DiT adaptive LayerNorm (Peebles & Xie 2023, `modulate` and the gated residual) ---------------------
 * modulate: y[b,t,c] = x[b,t,c] (1 + scale[b,c]) + shift[b,c]    x,y:(B,T,C)  shift,scale:(B,C); y may alias x
 *   ACCUMULATES dx (may be NULL), dshift, dscale.
 * gate_add: out[b,t,c] = res[b,t,c] + gate[b,c] h[b,t,c]          out may alias res
 *   ACCUMULATES dres (may be NULL) += dout, dgate += sum_t dout h, dh += dout gate. */
void nn_modulate_forward(float *y, const float *x, const float *shift, const float *scale, size_t B, size_t T,
                         size_t C);
void nn_modulate_backward(float *dx, float *dshift, float *dscale, const float *dy, const float *x,
                          const float *scale, size_t B, size_t T, size_t C);
void nn_gate_add_forward(float *out, const float *res, const float *gate, const float *h, size_t B, size_t T,
                         size_t C);
void nn_gate_add_backward(float *dres, float *dgate, float *dh, const float *dout, const float *gate,
                          const float *h, size_t B, size_t T, size_t C);
void nn_modulate_forward_ref(float *y, const float *x, const float *shift, const float *scale, size_t B, size_t T,
                             size_t C);
void nn_modulate_backward_ref(float *dx, float *dshift, float *dscale, const float *dy, const float *x,
                              const float *scale, size_t B, size_t T, size_t C);
void nn_gate_add_forward_ref(float *out, const float *res, const float *gate, const float *h, size_t B, size_t T,
                             size_t C);
void nn_gate_add_backward_ref(float *dres, float *dgate, float *dh, const float *dout, const float *gate,
                              const float *h, size_t B, size_t T, size_t C);

/* ---- Sinusoidal timestep embedding (DiT / ADM `timestep_embedding`, no backward) ----------------------
 * half = dim/2, freq_i = exp(-ln(max_period) i / half), out[n] = [cos(t_n freq), sin(t_n freq)] (+ a zero
 * column when dim is odd).  t:(N) (may be fractional)  out:(N,dim).  max_period is 10000 in DiT. */
void nn_timestep_embedding(float *out, const float *t, size_t N, size_t dim, float max_period);

/* ---- Rotary position embedding (Su et al. 2021), "rotate_half" convention (GPT-NeoX / HF LLaMA) --------
 * For each head, pairs (i, i + D/2), i < D/2, at position p = pos0 + t rotate by angle p * base^(-2i/D):
 *   y_i = x_i cos - x_{i+D/2} sin,   y_{i+D/2} = x_{i+D/2} cos + x_i sin.     D must be even.
 * x: rows (B,T) of stride ldx holding H*D values;  y: same with stride ldy; y may alias x when ldy == ldx.
 * Relative positions only enter q.k, so it works for any length. base is 10000 by convention.
 * ACCUMULATES dx += R^T dy. */
void nn_rope_forward(float *y, const float *x, size_t B, size_t T, size_t H, size_t D, size_t ldy, size_t ldx,
                     size_t pos0, float base);
void nn_rope_backward(float *dx, const float *dy, size_t B, size_t T, size_t H, size_t D, size_t ldx, size_t ldy,
                      size_t pos0, float base);
void nn_rope_forward_ref(float *y, const float *x, size_t B, size_t T, size_t H, size_t D, size_t ldy, size_t ldx,
                         size_t pos0, float base);
void nn_rope_backward_ref(float *dx, const float *dy, size_t B, size_t T, size_t H, size_t D, size_t ldx,
                          size_t ldy, size_t pos0, float base);

/* ---- Multi-head attention core (after the q/k/v projections) -----------------------------------------
 * Projections are plain nn_linear calls done by the block; choose fused qkv for self-attention (one linear
 * Ci -> 3C, then q = qkv, k = qkv + C, v = qkv + 2C, all with ld = 3C) and separate q / kv projections for
 * cross-attention. Head h uses columns [h*D, (h+1)*D) of each row. No mask (every query sees every key).
 * Needs Tk >= 1; any Tq, Tk, D (the lengths need not match the block sizes).
 *   out[b,i,h] = sum_j P[b,h,i,j] v[b,j,h],  P = softmax_j(q[b,i,h] . k[b,j,h] / sqrt(D))
 * q:(B,Tq,H*D) row stride ldq; k:(B,Tk,H*D) stride ldk; v:(B,Tk,H*D) stride ldv; out:(B,Tq,H*D) stride ldo.
 * att:(B,H,Tq,Tk) the softmax probabilities, saved for backward (training forward).
 * ACCUMULATES dq, dk, dv (strides ldq, ldk, ldv as the inputs; dq/dk/dv may point into one fused dqkv).
 * One OpenMP region over the (b,h) pairs, each running its products with nn_gemm_serial (no BLAS inside).
 * The backward allocates one Tq x Tk scratch per thread (falls back to the allocation-free ref if it cannot). */
void nn_attention_forward(float *out, float *att, const float *q, const float *k, const float *v, size_t B,
                          size_t Tq, size_t Tk, size_t H, size_t D, size_t ldq, size_t ldk, size_t ldv, size_t ldo);
void nn_attention_backward(float *dq, float *dk, float *dv, const float *dout, const float *att, const float *q,
                           const float *k, const float *v, size_t B, size_t Tq, size_t Tk, size_t H, size_t D,
                           size_t ldq, size_t ldk, size_t ldv, size_t ldo);
void nn_attention_forward_ref(float *out, float *att, const float *q, const float *k, const float *v, size_t B,
                              size_t Tq, size_t Tk, size_t H, size_t D, size_t ldq, size_t ldk, size_t ldv,
                              size_t ldo);
void nn_attention_backward_ref(float *dq, float *dk, float *dv, const float *dout, const float *att,
                               const float *q, const float *k, const float *v, size_t B, size_t Tq, size_t Tk,
                               size_t H, size_t D, size_t ldq, size_t ldk, size_t ldv, size_t ldo);
/* Memory-lean inference forward: same result as nn_attention_forward (to float rounding) but never holds
 * a Tq x Tk matrix: blocks of 32 queries x 96 keys with the online softmax (running max and sum, Milakov &
 * Gimelshein 2018; FlashAttention, Dao et al. 2022). No heap allocation: ~50 KB of stack per thread. */
void nn_attention_forward_lean(float *out, const float *q, const float *k, const float *v, size_t B, size_t Tq,
                               size_t Tk, size_t H, size_t D, size_t ldq, size_t ldk, size_t ldv, size_t ldo);

/* ---- Dropout (torch.nn.Dropout, training mode): y = x * mask / (1 - p) ---------------------------------
 * mask:(n) saved, 1 keeps, 0 drops, drawn from rng (one uniform per element, in order: deterministic for a
 * seed, independent of threads). p in [0, 1); p == 0 copies.  ACCUMULATES dx += dy * mask / (1-p). */
void nn_dropout_forward(float *y, uint8_t *mask, const float *x, size_t n, float p, momu_rng *rng);
void nn_dropout_backward(float *dx, const float *dy, const uint8_t *mask, size_t n, float p);

/* ---- Losses: each returns the loss (summed in double, fixed order); backward ACCUMULATES dloss * dL/d. --
 * MSE (F.mse_loss, mean):  L = mean (pred - target)^2 over n values.
 * L1  (F.l1_loss, mean):   L = mean |pred - target|; the subgradient at 0 is 0 (torch's sign(0)).
 * KL of N(mean, exp(logvar)) from N(0, I) (VAE, Kingma & Welling 2014, appendix B):
 *                          L = 0.5 * sum(mean^2 + exp(logvar) - 1 - logvar) / divisor
 *                          (divisor = batch size for the LDM convention, or n for a per-element mean). */
float nn_mse_loss_forward(const float *pred, const float *target, size_t n);
void  nn_mse_loss_backward(float *dpred, const float *pred, const float *target, size_t n, float dloss);
float nn_l1_loss_forward(const float *pred, const float *target, size_t n);
void  nn_l1_loss_backward(float *dpred, const float *pred, const float *target, size_t n, float dloss);
float nn_kl_loss_forward(const float *mean, const float *logvar, size_t n, float divisor);
void  nn_kl_loss_backward(float *dmean, float *dlogvar, const float *mean, const float *logvar, size_t n,
                          float divisor, float dloss);
/* Symmetric InfoNCE (CLIP, Radford et al. 2021) between two sets of N segment vectors, positives on the
 * diagonal: u = a/max(|a|,1e-12), w = m/max(|m|,1e-12) (F.normalize), logits = u w^T / tau,
 * L = 0.5 (CE(logits, diag) + CE(logits^T, diag)), CE averaged over N.
 * a,m:(N,C)  saved:(N*N + 4N) = logits (N,N), row logsumexp (N), column logsumexp (N), |a| (N), |m| (N).
 * ACCUMULATES da, dm (either may be NULL). */
#define NN_INFONCE_SAVED(N) ((size_t)(N) * (size_t)(N) + 4 * (size_t)(N))
float nn_infonce_loss_forward(float *saved, const float *a, const float *m, size_t N, size_t C, float tau);
void  nn_infonce_loss_backward(float *da, float *dm, const float *saved, const float *a, const float *m,
                               size_t N, size_t C, float tau, float dloss);

#ifdef __cplusplus
}
#endif
#endif
