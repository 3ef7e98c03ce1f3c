/* Matrix products: cblas_sgemm above a size threshold, loop kernels below it (include/momu/nn_gemm.h).
 * Dimensions: C(m,n), inner dimension k; every stride is a row stride in elements. */
#include <limits.h>
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

/* Loop kernels: every inner loop is a contiguous axpy over a row of C, so it vectorises without
 * reassociating a float sum; the k-order of the accumulation is fixed (deterministic). Rows of C are
 * processed four at a time so each loaded row of B feeds four rows of C. */
static void gemm_serial_nn(size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
                           const float *b, size_t ldb, float *c, size_t ldc) {
    size_t i = 0;
    for (; i + 4 <= m; i += 4) {
        float *restrict c0 = c + i * ldc, *restrict c1 = c0 + ldc, *restrict c2 = c1 + ldc,
                        *restrict c3 = c2 + ldc;
        for (size_t p = 0; p < k; p++) {
            const float *restrict bp = b + p * ldb;
            float a0 = alpha * a[i * lda + p], a1 = alpha * a[(i + 1) * lda + p];
            float a2 = alpha * a[(i + 2) * lda + p], a3 = alpha * a[(i + 3) * lda + p];
            for (size_t j = 0; j < n; j++) {
                float bv = bp[j];
                c0[j] += a0 * bv; c1[j] += a1 * bv; c2[j] += a2 * bv; c3[j] += a3 * bv;
            }
        }
    }
    for (; i < m; i++) {
        float *restrict ci = c + i * ldc;
        for (size_t p = 0; p < k; p++) {
            const float *restrict bp = b + p * ldb;
            float av = alpha * a[i * lda + p];
            for (size_t j = 0; j < n; j++) ci[j] += av * bp[j];
        }
    }
}

static void gemm_serial_tn(size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
                           const float *b, size_t ldb, float *c, size_t ldc) {
    /* C(i,:) += sum_p A(p,i) B(p,:): the same axpy kernel with A read down its columns. */
    size_t i = 0;
    for (; i + 4 <= m; i += 4) {
        float *restrict c0 = c + i * ldc, *restrict c1 = c0 + ldc, *restrict c2 = c1 + ldc,
                        *restrict c3 = c2 + ldc;
        for (size_t p = 0; p < k; p++) {
            const float *restrict bp = b + p * ldb;
            const float *ap = a + p * lda + i;
            float a0 = alpha * ap[0], a1 = alpha * ap[1], a2 = alpha * ap[2], a3 = alpha * ap[3];
            for (size_t j = 0; j < n; j++) {
                float bv = bp[j];
                c0[j] += a0 * bv; c1[j] += a1 * bv; c2[j] += a2 * bv; c3[j] += a3 * bv;
            }
        }
    }
    for (; i < m; i++) {
        float *restrict ci = c + i * ldc;
        for (size_t p = 0; p < k; p++) {
            const float *restrict bp = b + p * ldb;
            float av = alpha * a[p * lda + i];
            for (size_t j = 0; j < n; j++) ci[j] += av * bp[j];
        }
    }
}

static void gemm_serial_nt(size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
                           const float *b, size_t ldb, float *c, size_t ldc) {
    /* C(i,j) = dot(A(i,:), B(j,:)). Transposing a panel of B (up to 64 rows, k in chunks of 64) onto the
     * stack turns this into the NN axpy kernel; the k-order of each sum stays 0,1,2,... */
    enum { NB = 64, KB = 64 };
    float bt[KB * NB];
    for (size_t j0 = 0; j0 < n; j0 += NB) {
        size_t nb = n - j0 < NB ? n - j0 : NB;
        for (size_t p0 = 0; p0 < k; p0 += KB) {
            size_t kb = k - p0 < KB ? k - p0 : KB;
            for (size_t jj = 0; jj < nb; jj++)
                for (size_t pp = 0; pp < kb; pp++) bt[pp * NB + jj] = b[(j0 + jj) * ldb + p0 + pp];
            gemm_serial_nn(m, nb, kb, alpha, a + p0, lda, bt, NB, c + j0, ldc);
        }
    }
}

static void gemm_serial_tt(size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
                           const float *b, size_t ldb, float *c, size_t ldc) {
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            float s = 0.0f;
            for (size_t p = 0; p < k; p++) s += a[p * lda + i] * b[j * ldb + p];
            c[i * ldc + j] += alpha * s;
        }
}

void nn_gemm_serial(nn_gemm_trans ta, nn_gemm_trans tb, size_t m, size_t n, size_t k, float alpha,
                    const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc) {
    gemm_scale_c(c, ldc, m, n, beta);
    if (k == 0 || alpha == 0.0f) return;
    if (ta == NN_GEMM_N && tb == NN_GEMM_N) gemm_serial_nn(m, n, k, alpha, a, lda, b, ldb, c, ldc);
    else if (ta == NN_GEMM_N) gemm_serial_nt(m, n, k, alpha, a, lda, b, ldb, c, ldc);
    else if (tb == NN_GEMM_N) gemm_serial_tn(m, n, k, alpha, a, lda, b, ldb, c, ldc);
    else gemm_serial_tt(m, n, k, alpha, a, lda, b, ldb, c, ldc);
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
