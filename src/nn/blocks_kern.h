/* Private kernels shared by src/nn/blocks*.c (not a public header): fused element-wise ops, deterministic
 * column sums, vectorisable exp/tanh (the sgemm is nn_gemm, see nn_gemm.h).
 * Dimensions: N rows, M columns. */
#ifndef MOMU_BLOCKS_KERN_H
#define MOMU_BLOCKS_KERN_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "momu/nn_gemm.h"

/* exp(x) for x in [-87, 88] (clamped): Cephes expf (range reduction n = round(x log2 e), degree-5
 * polynomial on |r| <= ln2/2, scale by 2^n through the exponent bits); max rel. error about 2 ulp. Written
 * without branches or libm calls so that gcc vectorises the loops that use it (glibc's expf does not). */
static inline float blk_expf(float x) {
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    float t = x * 1.44269504088896341f;
    float n = (t + 12582912.0f) - 12582912.0f;           /* round to nearest (|t| < 2^22) */
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float y = p * r * r + r + 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23;
    float s;
    memcpy(&s, &bits, sizeof s);
    return y * s;
}

/* GELU, tanh approximation (torch.nn.GELU(approximate="tanh")): 0.5 x (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3))),
 * computed as x sigmoid(2u) (the same function, without the cancellation of 1 + tanh u for x << 0). */
#define BLK_GELU_K0 0.7978845608028654f
#define BLK_GELU_K1 0.044715f

/* db[j] += sum_i dy[i*ld + j] for j < M, summed in row order in double (deterministic for any thread count). */
void blk_colsum_acc(float *db, const float *dy, size_t N, size_t M, size_t ld);

#endif
