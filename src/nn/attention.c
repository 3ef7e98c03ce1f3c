/* Multi-head attention core: training forward (saves P), backward, and the memory-lean inference forward.
 *
 * Dimension vocabulary: B batch, H heads, D head dim, Tq queries, Tk keys, QB/KB query/key block sizes.
 * Row strides ldq/ldk/ldv/ldo let q, k, v live inside one fused (B,T,3C) qkv buffer.
 *
 * Threading: one owner per region, and one region per call. The (b,h) pairs (in the lean forward, the
 * (b,h,query block) units) are spread over OpenMP threads, and each runs its products with the
 * register-blocked nn_gemm_serial (no BLAS inside the parallel region). A first version issued one BLAS call
 * per head from a serial loop: ~200 parallel regions per call, which on the shared 2-core dev box (load 7)
 * made 2 threads 10x slower than 1; a single region does not have that failure mode. Each unit writes only
 * its own head's columns and att slice, and its arithmetic does not depend on the thread that runs it, so
 * outputs are byte-identical for any OMP_NUM_THREADS. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "layers_util.h"
#include "momu/nn_gemm.h"
#include "momu/nn_layers.h"

/* Row softmax in place, rows of length n: max-subtracted (STYLE.md §16), fixed-order sum. */
static void attn_softmax_rows(float *p, size_t rows, size_t n) {
    for (size_t i = 0; i < rows; i++) {
        float *restrict r = p + i * n;
        float mx = r[0];
        for (size_t j = 1; j < n; j++) mx = r[j] > mx ? r[j] : mx;
        for (size_t j = 0; j < n; j++) r[j] = nn_expf(r[j] - mx);
        float inv = 1.0f / nn_sum8(r, n);
        for (size_t j = 0; j < n; j++) r[j] *= inv;
    }
}

void nn_attention_forward(float *out, float *att, const float *q, const float *k, const float *v, size_t B,
                          size_t Tq, size_t Tk, size_t H, size_t D, size_t ldq, size_t ldk, size_t ldv,
                          size_t ldo) {
    float scale = (float)(1.0 / sqrt((double)D));
    size_t pairs = B * H;
    NN_OMP_FOR_DYNAMIC(pairs * Tq * Tk * D)
    for (size_t bh = 0; bh < pairs; bh++) {
        size_t b = bh / H, h = bh % H;
        float *p = att + bh * Tq * Tk;
        nn_gemm_serial(NN_GEMM_N, NN_GEMM_T, Tq, Tk, D, scale, q + b * Tq * ldq + h * D, ldq, k + b * Tk * ldk + h * D,
                       ldk, 0.0f, p, Tk);   /* S = q k^T / sqrt D */
        attn_softmax_rows(p, Tq, Tk);
        nn_gemm_serial(NN_GEMM_N, NN_GEMM_N, Tq, D, Tk, 1.0f, p, Tk, v + b * Tk * ldv + h * D, ldv, 0.0f,
                       out + b * Tq * ldo + h * D, ldo);
    }
}

/* ACCUMULATES. dP = dout v^T; dS = P (dP - rowsum(P dP)) / sqrt D; dq += dS k; dk += dS^T q; dv += P^T dout.
 * One Tq x Tk scratch per thread; if they cannot be allocated, the allocation-free reference runs instead. */
void nn_attention_backward(float *dq, float *dk, float *dv, const float *dout, const float *att, const float *q,
                           const float *k, const float *v, size_t B, size_t Tq, size_t Tk, size_t H, size_t D,
                           size_t ldq, size_t ldk, size_t ldv, size_t ldo) {
    float scale = (float)(1.0 / sqrt((double)D));
    size_t pairs = B * H, nth = (size_t)nn_max_threads();
    if (nth > pairs) nth = pairs;
    if (nth < 1) nth = 1;
    float *scratch = malloc(nth * Tq * Tk * sizeof *scratch + 1);
    if (!scratch) {
        nn_attention_backward_ref(dq, dk, dv, dout, att, q, k, v, B, Tq, Tk, H, D, ldq, ldk, ldv, ldo);
        return;
    }
#ifdef _OPENMP
#pragma omp parallel num_threads((int)nth) if (pairs * Tq * Tk * D >= 65536)
#endif
    {
        float *ds = scratch + (size_t)nn_thread_id() * Tq * Tk;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (size_t bh = 0; bh < pairs; bh++) {
            size_t b = bh / H, h = bh % H;
            const float *p = att + bh * Tq * Tk, *go = dout + b * Tq * ldo + h * D;
            const float *qh = q + b * Tq * ldq + h * D, *kh = k + b * Tk * ldk + h * D;
            nn_gemm_serial(NN_GEMM_N, NN_GEMM_T, Tq, Tk, D, 1.0f, go, ldo, v + b * Tk * ldv + h * D, ldv, 0.0f, ds,
                           Tk);   /* dP */
            for (size_t i = 0; i < Tq; i++) {
                float *restrict dr = ds + i * Tk;
                const float *restrict pr = p + i * Tk;
                float pdp = nn_dot8(pr, dr, Tk);
                for (size_t j = 0; j < Tk; j++) dr[j] = pr[j] * (dr[j] - pdp) * scale;
            }
            nn_gemm_serial(NN_GEMM_N, NN_GEMM_N, Tq, D, Tk, 1.0f, ds, Tk, kh, ldk, 1.0f, dq + b * Tq * ldq + h * D, ldq);
            nn_gemm_serial(NN_GEMM_T, NN_GEMM_N, Tk, D, Tq, 1.0f, ds, Tk, qh, ldq, 1.0f, dk + b * Tk * ldk + h * D, ldk);
            nn_gemm_serial(NN_GEMM_T, NN_GEMM_N, Tk, D, Tq, 1.0f, p, Tk, go, ldo, 1.0f, dv + b * Tk * ldv + h * D, ldv);
        }
    }
    free(scratch);
}

/* Block sizes of the lean forward; its working set lives on the stack (about 40 KB per thread). Head
 * dimensions above LEAN_DB are done LEAN_DB output columns at a time (recomputing the scores), so any D works. */
enum { LEAN_QB = 32, LEAN_KB = 96, LEAN_DB = 256 };

/* One block of up to QB queries of one (b,h): online softmax over key blocks (Milakov & Gimelshein 2018):
 *   m' = max(m, rowmax S_blk);  l = l e^{m-m'} + rowsum e^{S_blk - m'};  acc = acc e^{m-m'} + e^{S_blk-m'} V_blk
 * and out = acc / l at the end. */
static void attn_lean_block(float *out, size_t ldo, const float *qb, size_t ldq, const float *kh, size_t ldk,
                            const float *vh, size_t ldv, size_t nq, size_t Tk, size_t D, size_t d0, size_t nd,
                            float scale) {
    float s[LEAN_QB * LEAN_KB], acc[LEAN_QB * LEAN_DB], mrow[LEAN_QB], lrow[LEAN_QB];
    for (size_t i = 0; i < nq; i++) { mrow[i] = -INFINITY; lrow[i] = 0.0f; }
    memset(acc, 0, nq * nd * sizeof *acc);
    for (size_t j0 = 0; j0 < Tk; j0 += LEAN_KB) {
        size_t nk = Tk - j0 < LEAN_KB ? Tk - j0 : LEAN_KB;
        nn_gemm_serial(NN_GEMM_N, NN_GEMM_T, nq, nk, D, scale, qb, ldq, kh + j0 * ldk, ldk, 0.0f, s, nk);
        for (size_t i = 0; i < nq; i++) {
            float *restrict r = s + i * nk, *restrict a = acc + i * nd;
            float mx = mrow[i];
            for (size_t j = 0; j < nk; j++) mx = r[j] > mx ? r[j] : mx;
            float f = nn_expf(mrow[i] - mx);   /* exp(-inf) clamps to ~1e-38; it multiplies zeros then */
            for (size_t j = 0; j < nk; j++) r[j] = nn_expf(r[j] - mx);
            lrow[i] = lrow[i] * f + nn_sum8(r, nk);
            for (size_t d = 0; d < nd; d++) a[d] *= f;
            mrow[i] = mx;
        }
        nn_gemm_serial(NN_GEMM_N, NN_GEMM_N, nq, nd, nk, 1.0f, s, nk, vh + j0 * ldv + d0, ldv, 1.0f, acc, nd);
    }
    for (size_t i = 0; i < nq; i++) {
        float inv = 1.0f / lrow[i];
        float *restrict o = out + i * ldo + d0;
        for (size_t d = 0; d < nd; d++) o[d] = acc[i * nd + d] * inv;
    }
}

void nn_attention_forward_lean(float *out, const float *q, const float *k, const float *v, size_t B, size_t Tq,
                               size_t Tk, size_t H, size_t D, size_t ldq, size_t ldk, size_t ldv, size_t ldo) {
    float scale = (float)(1.0 / sqrt((double)D));
    size_t nqb = (Tq + LEAN_QB - 1) / LEAN_QB, units = B * H * nqb;
    NN_OMP_FOR_DYNAMIC(units * LEAN_QB * Tk * D)
    for (size_t u = 0; u < units; u++) {
        size_t bh = u / nqb, i0 = (u % nqb) * LEAN_QB, b = bh / H, h = bh % H;
        size_t nq = Tq - i0 < LEAN_QB ? Tq - i0 : LEAN_QB;
        const float *qb = q + (b * Tq + i0) * ldq + h * D, *kh = k + b * Tk * ldk + h * D,
                    *vh = v + b * Tk * ldv + h * D;
        float *ob = out + (b * Tq + i0) * ldo + h * D;
        for (size_t d0 = 0; d0 < D; d0 += LEAN_DB)
            attn_lean_block(ob, ldo, qb, ldq, kh, ldk, vh, ldv, nq, Tk, D, d0, D - d0 < LEAN_DB ? D - d0 : LEAN_DB,
                            scale);
    }
}
