/* Private kernels of the network blocks (src/nn/blocks_kern.h). */
#include "blocks_kern.h"

#include <limits.h>
#ifdef MOMU_USE_BLAS
#include <cblas.h>
#endif

void blk_gemm_inner(nn_gemm_trans ta, nn_gemm_trans tb, size_t m, size_t n, size_t k, float alpha,
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

void blk_colsum_acc(float *db, const float *dy, size_t N, size_t M, size_t ld) {
    enum { CB = 64 };
    size_t n_chunks = (M + CB - 1) / CB;
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
    for (size_t ch = 0; ch < n_chunks; ch++) {
        size_t j0 = ch * CB, nj = M - j0 < CB ? M - j0 : CB;
        double s[CB] = {0};
        for (size_t i = 0; i < N; i++) {
            const float *row = dy + i * ld + j0;
            for (size_t j = 0; j < nj; j++) s[j] += row[j];
        }
        for (size_t j = 0; j < nj; j++) db[j0 + j] += (float)s[j];
    }
}

