/* Private helpers shared by src/nn/layers.c and src/nn/attention.c: OpenMP pragmas that vanish without
 * -fopenmp (so NO_OMP=1 builds stay -Wunknown-pragmas clean), a vectorisable expf, and fixed-order sums. */
#ifndef MOMU_NN_LAYERS_UTIL_H
#define MOMU_NN_LAYERS_UTIL_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#define NN_PRAGMA(x) _Pragma(#x)
/* Parallel only when the loop does at least ~64k elementwise operations; below that thread wake-up costs more. */
#define NN_OMP_FOR(work) NN_PRAGMA(omp parallel for schedule(static) if ((work) >= 65536))
/* For loops of a few dozen large, independent units (attention heads): threads take the next unit when free,
 * which keeps both busy when one is slowed by another process on a shared machine. Which thread runs a unit
 * never changes its arithmetic, so results stay identical. */
#define NN_OMP_FOR_DYNAMIC(work) NN_PRAGMA(omp parallel for schedule(dynamic, 1) if ((work) >= 65536))
static inline int nn_max_threads(void) { return omp_get_max_threads(); }
static inline int nn_thread_id(void) { return omp_get_thread_num(); }
#else
#define NN_OMP_FOR(work)
#define NN_OMP_FOR_DYNAMIC(work)
static inline int nn_max_threads(void) { return 1; }
static inline int nn_thread_id(void) { return 0; }
#endif

/* expf for inner loops: Cephes range reduction x = n ln2 + r (ln2 split in two constants) and its degree-6
 * polynomial, scaled by 2^n through the exponent bits; about 2 ulp on [-80, 88.3]. Above 88.3 it returns
 * exp(88.3) = 2e38 (no inf). Below -80 it returns exactly 0: e^-80 = 1.8e-35 is invisible next to the 1 of a
 * softmax maximum, and tiny probabilities times activations would otherwise make denormal products, which
 * run ~100x slower (seen: attention 10x slower with peaked softmax rows). Branch-free (selects), so GCC
 * vectorises loops of it. */
static inline float nn_expf(float x) {
    float zero_below = x < -80.0f ? 0.0f : 1.0f;
    x = x < -87.3f ? -87.3f : x;
    x = x > 88.3f ? 88.3f : x;
    /* round to nearest by the 1.5 * 2^23 trick (floorf blocks vectorisation without -fno-trapping-math) */
    float z = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = x - z * 0.693359375f + z * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t n = (int32_t)z;
    uint32_t bits = (uint32_t)(n + 127) << 23;
    float s;
    memcpy(&s, &bits, sizeof s);
    return p * s * zero_below;
}

/* Fixed-order sum and dot product with 8 interleaved partial sums (one SIMD register; summed 0..7 at the end)
 * so that GCC vectorises them without -ffast-math and the result never depends on the thread count. */
static inline float nn_sum8(const float *restrict x, size_t n) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int u = 0; u < 8; u++) acc[u] += x[i + u];
    for (; i < n; i++) acc[0] += x[i];
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}
static inline float nn_dot8(const float *restrict x, const float *restrict y, size_t n) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int u = 0; u < 8; u++) acc[u] += x[i + u] * y[i + u];
    for (; i < n; i++) acc[0] += x[i] * y[i];
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}
#endif
