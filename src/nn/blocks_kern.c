/* Private kernels of the network blocks (src/nn/blocks_kern.h). */
#include "blocks_kern.h"

#include <limits.h>

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

