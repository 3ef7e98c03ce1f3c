/* bench/sgemm_ceiling.c — this machine's practical single-precision matmul ceiling.
 *
 * OpenBLAS cblas_sgemm on large square matrices (the best case for any BLAS), with 1 and 2 threads.
 * The DiT / conv benchmarks quote their achieved GFLOP/s against these numbers. FLOPs = 2*n^3.
 * Usage: sgemm_ceiling [n] [reps]    (default n = 2048, reps = 7; prints the median and the best) */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void openblas_set_num_threads(int);

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_dbl(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 2048;
    int reps = argc > 2 ? atoi(argv[2]) : 7;
    if (n < 64 || reps < 1 || reps > 100) { fprintf(stderr, "usage: sgemm_ceiling [n>=64] [reps 1..100]\n"); return 2; }
    size_t nn = (size_t)n * (size_t)n;
    float *a = malloc(nn * sizeof *a), *b = malloc(nn * sizeof *b), *c = malloc(nn * sizeof *c);
    if (!a || !b || !c) { fprintf(stderr, "out of memory\n"); return 1; }
    for (size_t i = 0; i < nn; i++) { a[i] = (float)((i * 7) % 13) * 0.01f; b[i] = (float)((i * 5) % 11) * 0.01f; }
    double flop = 2.0 * (double)n * (double)n * (double)n;
    for (int th = 1; th <= 2; th++) {
        openblas_set_num_threads(th);
        double t[100];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.f, a, n, b, n, 0.f, c, n); /* warm-up */
        for (int r = 0; r < reps; r++) {
            double t0 = now_s();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.f, a, n, b, n, 0.f, c, n);
            t[r] = now_s() - t0;
        }
        qsort(t, (size_t)reps, sizeof t[0], cmp_dbl);
        printf("sgemm %dx%d, %d thread%s: median %.1f GFLOP/s, best %.1f GFLOP/s (2*n^3 = %.2f GFLOP, median %.4f s)\n",
               n, n, th, th > 1 ? "s" : " ", flop / t[reps / 2] * 1e-9, flop / t[0] * 1e-9, flop * 1e-9, t[reps / 2]);
    }
    free(a); free(b); free(c);
    return 0;
}
