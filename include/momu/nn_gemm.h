/* momu — single-precision matrix products behind three named layouts (STYLE.md §12).
 *
 * All matrices are row-major. C(m,n) = alpha * op(A) op(B) + beta * C, where the layouts are
 *   NN: A(m,k)   B(k,n)      e.g. linear backward dx = dy(N,Co) W(Co,Ci)
 *   NT: A(m,k)   B(n,k)^T    e.g. linear forward  y  = x(N,Ci) W(Co,Ci)^T   (W in PyTorch (out,in) layout)
 *   TN: A(k,m)^T B(k,n)      e.g. linear backward dW = dy(N,Co)^T x(N,Ci)
 * lda/ldb/ldc are row strides in elements (>= the row length), so head slices of a (B,T,H*D) buffer can be
 * passed without copying. beta == 0 overwrites C without reading it (NaNs in C are not propagated).
 *
 * Threading: nn_gemm uses cblas_sgemm (the OpenMP build of OpenBLAS, which owns its threads) when the
 * library was compiled with MOMU_USE_BLAS and m*n*k >= NN_GEMM_BLAS_MIN; otherwise a loop kernel. Called
 * outside a parallel region it is threaded by OpenBLAS; called inside an omp parallel region (as the DiT
 * blocks do per (batch, head)) the OpenMP build of OpenBLAS runs it on the calling thread only, so results do
 * not depend on the thread count either way (tests/test_nn_blocks.c checks 1 vs 2 threads byte for byte).
 * Never link a pthreads OpenBLAS (STYLE.md §13). nn_gemm_serial never threads and never calls BLAS.
 * nn_gemm_ref is the naive triple loop (double accumulator) used to test both. */
#ifndef MOMU_NN_GEMM_H
#define MOMU_NN_GEMM_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

typedef enum { NN_GEMM_N = 0, NN_GEMM_T = 1 } nn_gemm_trans;

/* Below this many multiply-adds (m*n*k) BLAS call overhead dominates; 32^3 as in ggml. */
#define NN_GEMM_BLAS_MIN ((size_t)32 * 32 * 32)

void nn_gemm(nn_gemm_trans ta, nn_gemm_trans tb, size_t m, size_t n, size_t k, float alpha,
             const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc);
void nn_gemm_serial(nn_gemm_trans ta, nn_gemm_trans tb, size_t m, size_t n, size_t k, float alpha,
                    const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc);
void nn_gemm_ref(nn_gemm_trans ta, nn_gemm_trans tb, size_t m, size_t n, size_t k, float alpha,
                 const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc);

/* Packed (ld = row length) shorthands for nn_gemm. */
void nn_gemm_nn(float *c, const float *a, const float *b, size_t m, size_t n, size_t k, float alpha, float beta);
void nn_gemm_nt(float *c, const float *a, const float *b, size_t m, size_t n, size_t k, float alpha, float beta);
void nn_gemm_tn(float *c, const float *a, const float *b, size_t m, size_t n, size_t k, float alpha, float beta);

#ifdef __cplusplus
}
#endif
#endif
