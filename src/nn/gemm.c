/* Matrix products: cblas_sgemm above a size threshold, loop kernels below it (include/momu/nn_gemm.h).
 * Dimensions: C(m,n), inner dimension k; every stride is a row stride in elements. */
#include <limits.h>
#include <math.h>
#include <string.h>

#include "momu/nn_gemm.h"
#ifdef MOMU_USE_BLAS
#include <cblas.h>
#endif

/* C = beta*C (beta == 0 writes zeros so that garbage or NaN in C never leaks, as BLAS does). */
static void gemm_scale_c(float *c, size_t ldc, size_t m, size_t n, float beta) {
    if (beta == 1.0f) return;
    for (size_t i = 0; i < m; i++) {
        float *restrict ci = c + i * ldc;
        if (beta == 0.0f) memset(ci, 0, n * sizeof *ci);
        else for (size_t j = 0; j < n; j++) ci[j] *= beta;
    }
}

void nn_gemm_ref(nn_gemm_trans ta, nn_gemm_trans tb, size_t m, size_t n, size_t k, float alpha,
                 const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc) {
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t p = 0; p < k; p++) {
                double av = ta == NN_GEMM_N ? a[i * lda + p] : a[p * lda + i];
                double bv = tb == NN_GEMM_N ? b[p * ldb + j] : b[j * ldb + p];
                s += av * bv;
            }
            float old = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
            c[i * ldc + j] = (float)(alpha * s) + old;
        }
}

/* Serial kernel: register-blocked like every fast GEMM (Goto & van de Geijn 2008, the BLIS micro-kernel):
 * an MR x NR block of C lives in registers for the whole k loop while both operands are streamed from packed
 * stack buffers (A: MC x KC in MR-row groups, p-major; B: KC x NR). Plain C that GCC vectorises over the NR
 * columns: with AVX-512 (32 vector registers) 4 x 48 (a D = 48 head fills one panel), otherwise 4 x 24
 * (12 AVX2 registers). Packing A makes transposed A (the TN layout) as fast as plain A. Each C element is
 * summed over k in order 0..k-1 (one accumulator per KC chunk, chunks added in order): deterministic and
 * independent of threads. Stack use ~112 KB. */
enum { GEMM_MR = 4, GEMM_KC = 256, GEMM_MC = 64 };
#ifdef __AVX512F__
enum { GEMM_NR = 48 };
#else
enum { GEMM_NR = 24 };
#endif

/* -std=c11 turns floating-point contraction off, so the multiply-add is spelled out: fmaf where the CPU
 * has FMA (GCC vectorises it to vfmadd), a*b + c otherwise (fmaf would be a slow libm call there). */
#ifdef __FMA__
#define GEMM_FMA(x, y, z) fmaf((x), (y), (z))
#else
#define GEMM_FMA(x, y, z) ((x) * (y) + (z))
#endif

/* C(mr x nr) += alpha Ap(MR x k, p-major) Bp(k x NR). GCC's default for recent Xeons is 256-bit vectors;
 * the 4 x 48 accumulator block fits the 32 zmm registers only at 512 bits (measured 75 -> 90-100 GFLOP/s). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__AVX512F__)
__attribute__((target("prefer-vector-width=512")))
#endif
static void gemm_micro(size_t k, const float *restrict ap, const float *restrict bp, float *c, size_t ldc,
                       size_t mr, size_t nr, float alpha) {
    float acc[GEMM_MR][GEMM_NR];
    for (int i = 0; i < GEMM_MR; i++)
        for (int j = 0; j < GEMM_NR; j++) acc[i][j] = 0.0f;
    for (size_t p = 0; p < k; p++) {
        const float *restrict b = bp + p * GEMM_NR, *restrict a = ap + p * GEMM_MR;
        for (int i = 0; i < GEMM_MR; i++)
            for (int j = 0; j < GEMM_NR; j++) acc[i][j] = GEMM_FMA(a[i], b[j], acc[i][j]);
    }
    for (size_t i = 0; i < mr; i++)
        for (size_t j = 0; j < nr; j++) c[i * ldc + j] += alpha * acc[i][j];
}

void nn_gemm_serial(nn_gemm_trans ta, nn_gemm_trans tb, size_t m, size_t n, size_t k, float alpha,
                    const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc) {
    gemm_scale_c(c, ldc, m, n, beta);
    if (m == 0 || n == 0 || k == 0 || alpha == 0.0f) return;
    float apk[GEMM_MC * GEMM_KC], bpk[GEMM_KC * GEMM_NR];
    for (size_t p0 = 0; p0 < k; p0 += GEMM_KC) {
        size_t kc = k - p0 < GEMM_KC ? k - p0 : GEMM_KC;
        for (size_t i0 = 0; i0 < m; i0 += GEMM_MC) {
            size_t mc = m - i0 < GEMM_MC ? m - i0 : GEMM_MC;
            /* pack A(i0.., p0..): groups of MR rows, each stored p-major (MR values per p); rows past mc are 0 */
            for (size_t g = 0; g < mc; g += GEMM_MR) {
                float *restrict dst = apk + g * kc;
                for (size_t i = 0; i < GEMM_MR; i++) {
                    size_t row = i0 + g + i;
                    if (g + i >= mc) {
                        for (size_t p = 0; p < kc; p++) dst[p * GEMM_MR + i] = 0.0f;
                    } else if (ta == NN_GEMM_N) {
                        const float *src = a + row * lda + p0;
                        for (size_t p = 0; p < kc; p++) dst[p * GEMM_MR + i] = src[p];
                    } else {
                        for (size_t p = 0; p < kc; p++) dst[p * GEMM_MR + i] = a[(p0 + p) * lda + row];
                    }
                }
            }
            for (size_t j0 = 0; j0 < n; j0 += GEMM_NR) {
                size_t nr = n - j0 < GEMM_NR ? n - j0 : GEMM_NR;
                /* pack B(p0.., j0..) as kc rows of NR, zero-padded past nr */
                for (size_t p = 0; p < kc; p++) {
                    float *restrict dst = bpk + p * GEMM_NR;
                    if (tb == NN_GEMM_N) memcpy(dst, b + (p0 + p) * ldb + j0, nr * sizeof *dst);
                    else for (size_t j = 0; j < nr; j++) dst[j] = b[(j0 + j) * ldb + p0 + p];
                    for (size_t j = nr; j < GEMM_NR; j++) dst[j] = 0.0f;
                }
                for (size_t g = 0; g < mc; g += GEMM_MR) {
                    size_t mr = mc - g < GEMM_MR ? mc - g : GEMM_MR;
                    gemm_micro(kc, apk + g * kc, bpk, c + (i0 + g) * ldc + j0, ldc, mr, nr, alpha);
                }
            }
        }
    }
}

void nn_gemm(nn_gemm_trans ta, nn_gemm_trans tb, size_t m, size_t n, size_t k, float alpha,
             const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc) {
    if (m == 0 || n == 0) return;
#ifdef MOMU_USE_BLAS
    if (m * n * k >= NN_GEMM_BLAS_MIN && m <= INT_MAX && n <= INT_MAX && k <= INT_MAX && lda <= INT_MAX &&
        ldb <= INT_MAX && ldc <= INT_MAX) {
        cblas_sgemm(CblasRowMajor, ta == NN_GEMM_N ? CblasNoTrans : CblasTrans,
                    tb == NN_GEMM_N ? CblasNoTrans : CblasTrans, (int)m, (int)n, (int)k, alpha, a, (int)lda, b,
                    (int)ldb, beta, c, (int)ldc);
        return;
    }
#endif
    nn_gemm_serial(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void nn_gemm_nn(float *c, const float *a, const float *b, size_t m, size_t n, size_t k, float alpha, float beta) {
    nn_gemm(NN_GEMM_N, NN_GEMM_N, m, n, k, alpha, a, k, b, n, beta, c, n);
}
void nn_gemm_nt(float *c, const float *a, const float *b, size_t m, size_t n, size_t k, float alpha, float beta) {
    nn_gemm(NN_GEMM_N, NN_GEMM_T, m, n, k, alpha, a, k, b, k, beta, c, n);
}
void nn_gemm_tn(float *c, const float *a, const float *b, size_t m, size_t n, size_t k, float alpha, float beta) {
    nn_gemm(NN_GEMM_T, NN_GEMM_N, m, n, k, alpha, a, m, b, n, beta, c, n);
}
