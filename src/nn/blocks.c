/* The DiT block (adaLN-Zero) and a stack of them (include/momu/nn_blocks.h).
 *
 * Dimensions: B batch, T tokens, C width, H heads, D = C/H, F = 4C, N = B*T rows.
 * Reference: Peebles & Xie, "Scalable Diffusion Models with Transformers" (2023), facebookresearch/DiT
 * models.py (DiTBlock, modulate, initialize_weights); timm's Attention for the qkv layout (3, H, D).
 *
 * Threading (STYLE.md §13/14): the big products go to nn_gemm (OpenBLAS threads itself) outside any parallel
 * region; element-wise passes are omp loops over rows (disjoint outputs); attention is an omp loop over
 * (batch, head) with single-threaded sgemm inside (nn_gemm); every reduction over rows (bias, gate,
 * scale, shift gradients) runs in a fixed order in double. So results do not depend on the thread count. */
/* The element-wise passes (softmax, GELU, LN) are bandwidth- and exp-bound: on AVX-512 machines let gcc use
 * 512-bit vectors here (its default for -march=native on Sapphire Rapids is 256). No effect without AVX-512. */
#if defined(__AVX512F__) && defined(__GNUC__) && !defined(__clang__)
#pragma GCC target("prefer-vector-width=512")
#endif
#include "momu/nn_blocks.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "blocks_kern.h"
#include "momu/nn_gemm.h"
#include "momu/nn_layers.h"

#ifdef _OPENMP
#define BLK_PARALLEL_FOR _Pragma("omp parallel for schedule(static)")
/* (batch, head) attention items: handed out dynamically, so a core slowed by other load does not hold up
 * the other; each item is computed the same way whichever thread takes it. */
#define BLK_PARALLEL_FOR_DYN _Pragma("omp parallel for schedule(dynamic)")
#else
#define BLK_PARALLEL_FOR
#define BLK_PARALLEL_FOR_DYN
#endif

#if defined(__AVX512F__) && defined(__FMA__)
#include <immintrin.h>
#define BLK_AVX512 1
/* blk_expf on 16 lanes with intrinsics, for x <= 88 (the caller clamps above if needed): the same Cephes
 * polynomial (range reduction with FMA, 2^n by vscalefps), exactly 0 below e^-80 (as nn_expf: tiny values
 * times activations would make denormal products, which run ~100x slower); no lower clamp is needed since
 * those lanes are zeroed. */
static inline __m512 blk_exp512(__m512 x) {
    __mmask16 keep = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-80.0f), _CMP_GE_OQ);
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    __m512 y = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_maskz_scalef_ps(keep, y, n);
}
#endif

/* Fixed lane count of the vectorised, thread-independent sums (softmax, dot products, LayerNorm). */
#define BLK_LANES 16

/* Regions inside act/scratch start on 64-byte boundaries (16 floats) so the row loops vectorise. */
static size_t blk_round16(size_t n) { return (n + 15) & ~(size_t)15; }

/* Points *p[i] at consecutive 16-float-aligned slices of base (NULL when base is NULL, the sizing pass)
 * holding n[i] floats each; returns the floats used. */
static size_t blk_carve_list(float **const *p, const size_t *n, int count, float *base) {
    size_t off = 0;
    for (int i = 0; i < count; i++) {
        *p[i] = base ? base + off : NULL;
        off += blk_round16(n[i]);
    }
    return off;
}

/* ------------------------------------------------------------------------------------------------------ */
/* small layer pieces (all on (rows, cols) row-major)                                                     */

/* y(N,oc) = x(N,ic) W(oc,ic)^T + b: torch.nn.Linear. The bias is broadcast first, so the product can
 * accumulate onto it in sgemm (beta = 1) instead of a second pass. */
static void blk_linear_forward(float *y, const float *x, const float *w, const float *b, size_t N, size_t ic,
                               size_t oc) {
    BLK_PARALLEL_FOR
    for (size_t i = 0; i < N; i++) memcpy(y + i * oc, b, oc * sizeof *y);
    nn_gemm(NN_GEMM_N, NN_GEMM_T, N, oc, ic, 1.0f, x, ic, w, ic, 1.0f, y, oc);
}

/* Linear backward. dx = dy W (OVERWRITES dx when dx_beta == 0, accumulates when 1); ACCUMULATES dw += dy^T x,
 * db += colsum(dy). */
static void blk_linear_backward(float *dx, float dx_beta, float *dw, float *db, const float *dy,
                                const float *x, const float *w, size_t N, size_t ic, size_t oc) {
    if (dx) nn_gemm(NN_GEMM_N, NN_GEMM_N, N, ic, oc, 1.0f, dy, oc, w, ic, dx_beta, dx, ic);
    nn_gemm(NN_GEMM_T, NN_GEMM_N, oc, ic, N, 1.0f, dy, oc, x, ic, 1.0f, dw, ic);
    blk_colsum_acc(db, dy, N, oc, oc);
}

/* dst = src (src NULL: 0) over n floats, in row-parallel pieces (a serial copy leaves the other core idle). */
static void blk_copy(float *dst, const float *src, size_t n) {
    size_t n_ch = (n + 16383) / 16384;
    BLK_PARALLEL_FOR
    for (size_t ch = 0; ch < n_ch; ch++) {
        size_t i0 = ch * 16384, m = n - i0 < 16384 ? n - i0 : 16384;
        if (src) memcpy(dst + i0, src + i0, m * sizeof *dst);
        else memset(dst + i0, 0, m * sizeof *dst);
    }
}

/* out[b*ld_out + j] = sum_t u[b,t,j] * v[b,t,j]  (v NULL: sum_t u) for j < C; in double, t in order.
 * The reductions over tokens of the adaLN backward (gates, scales, shifts). */
static void blk_tsum(float *out, size_t ld_out, const float *u, const float *v, size_t B, size_t T, size_t C) {
    enum { CB = 64 };
    size_t n_ch = (C + CB - 1) / CB;
    BLK_PARALLEL_FOR
    for (size_t it = 0; it < B * n_ch; it++) {
        size_t b = it / n_ch, j0 = (it % n_ch) * CB, nj = C - j0 < CB ? C - j0 : CB;
        double s[CB] = {0};
        for (size_t t = 0; t < T; t++) {
            const float *ur = u + (b * T + t) * C + j0;
            if (v) {
                const float *vr = v + (b * T + t) * C + j0;
                for (size_t j = 0; j < nj; j++) s[j] += (double)ur[j] * vr[j];
            } else {
                for (size_t j = 0; j < nj; j++) s[j] += ur[j];
            }
        }
        for (size_t j = 0; j < nj; j++) out[b * ld_out + j0 + j] = (float)s[j];
    }
}

/* One row of LayerNorm without affine (torch.nn.LayerNorm(C, elementwise_affine=False, eps)) fused with
 * DiT's modulate(): h = xhat * (1 + scale) + shift. Two-pass mean/variance (biased, as torch). */
static inline float blk_ln_mod_row(float *xhat, float *h, const float *x, const float *shift, const float *scale,
                                   size_t C) {
    /* sums in 16 fixed lanes (vectorised, thread-independent); a plain float `+=` stays scalar without
     * -ffast-math and was most of the LN time */
    float ls[BLK_LANES] = {0}, lv[BLK_LANES] = {0};
    size_t nv = C - C % BLK_LANES, j;
    for (j = 0; j < nv; j += BLK_LANES)
        for (int l = 0; l < BLK_LANES; l++) ls[l] += x[j + l];
    float mean = 0.0f, var = 0.0f;
    for (int l = 0; l < BLK_LANES; l++) mean += ls[l];
    for (; j < C; j++) mean += x[j];
    mean /= (float)C;
    for (j = 0; j < nv; j += BLK_LANES)
        for (int l = 0; l < BLK_LANES; l++) { float d = x[j + l] - mean; lv[l] += d * d; }
    for (int l = 0; l < BLK_LANES; l++) var += lv[l];
    for (; j < C; j++) { float d = x[j] - mean; var += d * d; }
    var /= (float)C;
    float rstd = 1.0f / sqrtf(var + DIT_LN_EPS);
    for (j = 0; j < C; j++) {
        float xh = (x[j] - mean) * rstd;
        if (xhat) xhat[j] = xh;
        h[j] = xh * (1.0f + scale[j]) + shift[j];
    }
    return rstd;
}

/* Backward of one row of the above, given dh and the column sums already taken:
 *   dxhat = dh * (1 + scale);  dx += rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
 * (torch's layer_norm backward without affine). ACCUMULATES into dx. */
static inline void blk_ln_mod_row_backward(float *dx, const float *dh, const float *xhat, float rstd,
                                           const float *scale, size_t C) {
    float s1 = 0.0f, s2 = 0.0f;
    for (size_t j = 0; j < C; j++) {
        float g = dh[j] * (1.0f + scale[j]);
        s1 += g;
        s2 += g * xhat[j];
    }
    s1 /= (float)C;
    s2 /= (float)C;
    for (size_t j = 0; j < C; j++) {
        float g = dh[j] * (1.0f + scale[j]);
        dx[j] += rstd * (g - s1 - xhat[j] * s2);
    }
}

/* RoPE (nn_rope_forward: Su et al. 2021, rotate_half convention) in place on the q and k parts of qkv. */
static void blk_rope_forward(float *qkv, size_t B, size_t T, size_t C, size_t H) {
    nn_rope_forward(qkv, qkv, B, T, H, C / H, 3 * C, 3 * C, 0, DIT_ROPE_BASE);
    nn_rope_forward(qkv + C, qkv + C, B, T, H, C / H, 3 * C, 3 * C, 0, DIT_ROPE_BASE);
}

/* dq, dk (inside dqkv) <- R^T dq, R^T dk, through tmp (N,C) (nn_rope_backward accumulates, so not in place). */
static void blk_rope_backward(float *dqkv, float *tmp, size_t B, size_t T, size_t C, size_t H) {
    size_t N = B * T;
    for (size_t part = 0; part < 2; part++) {
        float *d = dqkv + part * C;
        BLK_PARALLEL_FOR
        for (size_t n = 0; n < N; n++) memset(tmp + n * C, 0, C * sizeof *tmp);
        nn_rope_backward(tmp, d, B, T, H, C / H, C, 3 * C, 0, DIT_ROPE_BASE);
        BLK_PARALLEL_FOR
        for (size_t n = 0; n < N; n++) memcpy(d + n * 3 * C, tmp + n * C, C * sizeof *tmp);
    }
}

/* Row softmax in place (torch.softmax): subtract the row max for stability. The max and the sum run in
 * 16 fixed lanes combined in a fixed order, so the loops vectorise (a plain float `sum +=` would not
 * without -ffast-math) and the result does not depend on threads. */
/* s[j] = exp(s[j] - max s) in place; returns the sum (for the caller to normalise: in the lean forward the
 * 1/sum goes onto the (rows, D) output of P v instead of the (rows, T) probabilities). */
static inline float blk_exp_row(float *s, size_t n) {
    float lm[BLK_LANES], ls[BLK_LANES];
    size_t nv = n - n % BLK_LANES, j;
    for (int l = 0; l < BLK_LANES; l++) lm[l] = s[0];
    for (j = 0; j < nv; j += BLK_LANES)
        for (int l = 0; l < BLK_LANES; l++) lm[l] = s[j + l] > lm[l] ? s[j + l] : lm[l];
    float mx = s[0];
    for (int l = 0; l < BLK_LANES; l++) mx = lm[l] > mx ? lm[l] : mx;
    for (; j < n; j++) mx = s[j] > mx ? s[j] : mx;
    for (int l = 0; l < BLK_LANES; l++) ls[l] = 0.0f;
    for (j = 0; j < nv; j += BLK_LANES)
        for (int l = 0; l < BLK_LANES; l++) {
            float e = blk_expf(s[j + l] - mx);
            s[j + l] = e;
            ls[l] += e;
        }
    float sum = 0.0f;
    for (int l = 0; l < BLK_LANES; l++) sum += ls[l];
    for (; j < n; j++) { s[j] = blk_expf(s[j] - mx); sum += s[j]; }
    return sum;
}

static inline void blk_softmax_row(float *s, size_t n) {
    float inv = 1.0f / blk_exp_row(s, n);
    for (size_t j = 0; j < n; j++) s[j] *= inv;
}

/* sum_j a[j] b[j] in 16 fixed lanes (vectorises; deterministic). */
static inline float blk_dot(const float *a, const float *b, size_t n) {
    float ls[BLK_LANES] = {0};
    size_t nv = n - n % BLK_LANES, j;
    for (j = 0; j < nv; j += BLK_LANES)
        for (int l = 0; l < BLK_LANES; l++) ls[l] += a[j + l] * b[j + l];
    float s = 0.0f;
    for (int l = 0; l < BLK_LANES; l++) s += ls[l];
    for (; j < n; j++) s += a[j] * b[j];
    return s;
}

/* ------------------------------------------------------------------------------------------------------ */
/* registration                                                                                           */

static const char *const DIT_NAMES[10] = {
    "adaLN_modulation.1.weight", "adaLN_modulation.1.bias", "attn.qkv.weight", "attn.qkv.bias",
    "attn.proj.weight", "attn.proj.bias", "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias"};

momu_status dit_block_register(dit_block *blk, tensor_table *tab, const char *prefix, size_t C, size_t H,
                               int rope, momu_err *e) {
    if (C == 0 || H == 0 || C % H) return momu_fail(e, MOMU_ERR_ARG, "dit block: width %zu not divisible by %zu heads", C, H);
    if (rope && (C / H) % 2) return momu_fail(e, MOMU_ERR_ARG, "dit block: RoPE needs an even head size (got %zu)", C / H);
    memset(blk, 0, sizeof *blk);
    blk->C = C; blk->H = H; blk->rope = rope ? 1 : 0;
    size_t shapes[10][2] = {{6 * C, C}, {6 * C, 0}, {3 * C, C}, {3 * C, 0}, {C, C},
                            {C, 0},     {4 * C, C}, {4 * C, 0}, {C, 4 * C}, {C, 0}};
    for (int i = 0; i < 10; i++) {
        char name[TENSOR_NAME_MAX + 1];
        int len = snprintf(name, sizeof name, "%s%s", prefix ? prefix : "", DIT_NAMES[i]);
        if (len < 0 || (size_t)len >= sizeof name) return momu_fail(e, MOMU_ERR_ARG, "dit block: prefix '%s' too long", prefix);
        int is_w = shapes[i][1] != 0;
        blk->id[i] = table_add(tab, name, is_w, is_w ? 2 : 1, shapes[i], e);
        if (blk->id[i] < 0) return e ? e->status : MOMU_ERR_ARG;
    }
    return MOMU_OK;
}

void dit_block_bind(dit_block_w *w, const dit_block *blk, const tensor_table *tab, float *base) {
    float **p[10] = {&w->ada_w, &w->ada_b, &w->qkv_w, &w->qkv_b, &w->proj_w,
                     &w->proj_b, &w->fc1_w, &w->fc1_b, &w->fc2_w, &w->fc2_b};
    for (int i = 0; i < 10; i++) *p[i] = table_ptr(tab, base, blk->id[i]);
}

/* DiT initialize_weights: nn.init.xavier_uniform_ on every Linear weight (bound sqrt(6/(fan_in+fan_out))),
 * biases 0, then adaLN_modulation's last Linear weight and bias to 0 (adaLN-Zero). */
static void blk_xavier(float *w, size_t out, size_t in, momu_rng *rng) {
    float bound = sqrtf(6.0f / (float)(in + out));
    for (size_t i = 0; i < out * in; i++) w[i] = (2.0f * momu_rng_uniform(rng) - 1.0f) * bound;
}

void dit_block_init(const dit_block_w *w, const dit_block *blk, momu_rng *rng) {
    size_t C = blk->C;
    memset(w->ada_w, 0, 6 * C * C * sizeof(float));
    memset(w->ada_b, 0, 6 * C * sizeof(float));
    blk_xavier(w->qkv_w, 3 * C, C, rng);
    memset(w->qkv_b, 0, 3 * C * sizeof(float));
    blk_xavier(w->proj_w, C, C, rng);
    memset(w->proj_b, 0, C * sizeof(float));
    blk_xavier(w->fc1_w, 4 * C, C, rng);
    memset(w->fc1_b, 0, 4 * C * sizeof(float));
    blk_xavier(w->fc2_w, C, 4 * C, rng);
    memset(w->fc2_b, 0, C * sizeof(float));
}

/* ------------------------------------------------------------------------------------------------------ */
/* saved activations                                                                                      */

typedef struct {
    float *sc;      /* (B,C)    SiLU(c) */
    float *mod;     /* (B,6C)   shift1 scale1 gate1 shift2 scale2 gate2 */
    float *xhat1;   /* (N,C) */
    float *rstd1;   /* (N) */
    float *h1;      /* (N,C)    modulated LN1, input of qkv */
    float *qkv;     /* (N,3C)   q, k after RoPE */
    float *P;       /* (B,H,T,T) attention probabilities */
    float *o;       /* (N,C)    attention output before proj */
    float *a;       /* (N,C)    proj output */
    float *xhat2;   /* (N,C) */
    float *rstd2;   /* (N) */
    float *h2;      /* (N,C) */
    float *f;       /* (N,F)    fc1 output (before GELU) */
    float *g;       /* (N,F)    GELU(f) */
    float *m;       /* (N,C)    fc2 output */
} dit_acts;

static size_t dit_acts_carve(dit_acts *A, float *base, size_t B, size_t T, size_t C, size_t H) {
    size_t N = B * T;
    float **p[15] = {&A->sc, &A->mod, &A->xhat1, &A->rstd1, &A->h1, &A->qkv, &A->P,
                     &A->o,  &A->a,   &A->xhat2, &A->rstd2, &A->h2, &A->f, &A->g, &A->m};
    size_t n[15] = {B * C, B * 6 * C, N * C, N, N * C, N * 3 * C, B * H * T * T,
                    N * C, N * C, N * C, N, N * C, N * 4 * C, N * 4 * C, N * C};
    return blk_carve_list(p, n, 15, base);
}

size_t dit_block_act_size(size_t B, size_t T, size_t C, size_t H) {
    if (H == 0) return 0;
    dit_acts A;
    return dit_acts_carve(&A, NULL, B, T, C, H);
}

typedef struct {
    float *dmod;    /* (B,6C) */
    float *dsc;     /* (B,C) */
    float *dx1;     /* (N,C)  gradient at the residual stream between attention and MLP */
    float *dbuf;    /* (N,C)  dm, then da */
    float *dbig;    /* (N,F)  dg, then df */
    float *dh;      /* (N,C)  dh2, then dh1 */
    float *dob;     /* (N,C)  d(attention output) */
    float *dqkv;    /* (N,3C) */
    float *dP;      /* (B,H,T,T) */
} dit_grads_tmp;

static size_t dit_scratch_carve(dit_grads_tmp *S, float *base, size_t B, size_t T, size_t C, size_t H) {
    size_t N = B * T;
    float **p[9] = {&S->dmod, &S->dsc, &S->dx1, &S->dbuf, &S->dbig, &S->dh, &S->dob, &S->dqkv, &S->dP};
    size_t n[9] = {B * 6 * C, B * C, N * C, N * C, N * 4 * C, N * C, N * C, N * 3 * C, B * H * T * T};
    return blk_carve_list(p, n, 9, base);
}

size_t dit_block_scratch_size(size_t B, size_t T, size_t C, size_t H) {
    if (H == 0) return 0;
    dit_grads_tmp S;
    return dit_scratch_carve(&S, NULL, B, T, C, H);
}

/* ------------------------------------------------------------------------------------------------------ */
/* forward                                                                                                */

/* mod(B,6C) = SiLU(c) W_ada^T + b_ada   (DiT adaLN_modulation = Sequential(SiLU, Linear(C, 6C))) */
static void dit_adaln_forward(float *mod, float *sc, const float *c, const dit_block_w *w, size_t B, size_t C) {
    for (size_t i = 0; i < B * C; i++) sc[i] = c[i] / (1.0f + expf(-c[i]));
    if (B > 8) {
        blk_linear_forward(mod, sc, w->ada_w, w->ada_b, B, C, 6 * C);
        return;
    }
    /* a few rows: a matrix-vector product that reads each weight row once (sgemm with m = 2 ran at a few
     * GB/s on the 3.5 MB weight); outputs in chunks of 64, each dot product in blk_dot's fixed order */
    size_t O = 6 * C, n_ch = (O + 63) / 64;
    BLK_PARALLEL_FOR
    for (size_t ch = 0; ch < n_ch; ch++)
        for (size_t o = ch * 64; o < O && o < ch * 64 + 64; o++) {
            const float *wr = w->ada_w + o * C;
            for (size_t b = 0; b < B; b++) mod[b * O + o] = w->ada_b[o] + blk_dot(sc + b * C, wr, C);
        }
}

/* y = x + gate * u, one (b) gate row broadcast over T, and the following LayerNorm + modulate fused:
 *   x1 = x + gate1 * (a + abias)  ->  y;  h2 = LN(x1) * (1 + scale2) + shift2   (abias NULL: none) */
static void dit_residual_ln(float *y, float *xhat2, float *rstd2, float *h2, const float *x, const float *a,
                            const float *abias, const float *mod, size_t B, size_t T, size_t C) {
    size_t N = B * T;
    (void)B;
    BLK_PARALLEL_FOR
    for (size_t n = 0; n < N; n++) {
        const float *mb = mod + (n / T) * 6 * C;
        const float *gate1 = mb + 2 * C;
        float *yr = y + n * C;
        const float *xr = x + n * C, *ar = a + n * C;
        if (abias) for (size_t j = 0; j < C; j++) yr[j] = xr[j] + gate1[j] * (ar[j] + abias[j]);
        else for (size_t j = 0; j < C; j++) yr[j] = xr[j] + gate1[j] * ar[j];
        float r = blk_ln_mod_row(xhat2 ? xhat2 + n * C : NULL, h2 + n * C, yr, mb + 3 * C, mb + 4 * C, C);
        if (rstd2) rstd2[n] = r;
    }
}

static void dit_ln1(float *xhat1, float *rstd1, float *h1, const float *x, const float *mod, size_t N, size_t T,
                    size_t C) {
    BLK_PARALLEL_FOR
    for (size_t n = 0; n < N; n++) {
        const float *mb = mod + (n / T) * 6 * C;
        float r = blk_ln_mod_row(xhat1 ? xhat1 + n * C : NULL, h1 + n * C, x + n * C, mb, mb + C, C);
        if (rstd1) rstd1[n] = r;
    }
}

/* g = GELU_tanh(f), element-wise over (N,F); saves nothing else. */
static void dit_gelu_forward(float *g, const float *f, size_t n) {
    BLK_PARALLEL_FOR
    for (size_t i0 = 0; i0 < n; i0 += 4096) {
        size_t i1 = i0 + 4096 < n ? i0 + 4096 : n;
        for (size_t i = i0; i < i1; i++) {
            float x = f[i];
            float u = BLK_GELU_K0 * (x + BLK_GELU_K1 * x * x * x);
            g[i] = x / (1.0f + blk_expf(-2.0f * u));     /* = 0.5 x (1 + tanh u), no cancellation at x << 0 */
        }
    }
}

/* f = GELU_tanh(f + fbias) in place over (N,F) rows (the lean forward: fc1 ran without its bias). */
static void dit_gelu_bias_inplace(float *f, const float *fbias, size_t N, size_t F) {
    BLK_PARALLEL_FOR
    for (size_t n = 0; n < N; n++) {
        float *r = f + n * F;
        size_t j = 0;
#ifdef BLK_AVX512
        const __m512 k0 = _mm512_set1_ps(-2.0f * BLK_GELU_K0), k1 = _mm512_set1_ps(BLK_GELU_K1);
        const __m512 one = _mm512_set1_ps(1.0f);
        for (; j + 16 <= F; j += 16) {
            __m512 x = _mm512_add_ps(_mm512_loadu_ps(r + j), _mm512_loadu_ps(fbias + j));
            __m512 x2 = _mm512_mul_ps(x, x);
            __m512 mu2 = _mm512_mul_ps(k0, _mm512_fmadd_ps(_mm512_mul_ps(k1, x2), x, x));   /* -2u */
            mu2 = _mm512_min_ps(mu2, _mm512_set1_ps(88.0f));                 /* e^88 stays finite */
            /* x / d by rcp14 and one Newton step (~1 ulp; vdivps is the slowest op of this loop) */
            __m512 d = _mm512_add_ps(one, blk_exp512(mu2)), rc = _mm512_rcp14_ps(d);
            rc = _mm512_mul_ps(rc, _mm512_fnmadd_ps(d, rc, _mm512_set1_ps(2.0f)));
            _mm512_storeu_ps(r + j, _mm512_mul_ps(x, rc));
        }
#endif
        for (; j < F; j++) {
            float x = r[j] + fbias[j];
            float u = BLK_GELU_K0 * (x + BLK_GELU_K1 * x * x * x);
            r[j] = x / (1.0f + blk_expf(-2.0f * u));
        }
    }
}

/* y += gate2 * (m + mbias) (gate2 broadcast over T; mbias NULL: none). */
static void dit_gate_add(float *y, const float *m, const float *mbias, const float *mod, size_t N, size_t T,
                         size_t C) {
    BLK_PARALLEL_FOR
    for (size_t n = 0; n < N; n++) {
        const float *gate2 = mod + (n / T) * 6 * C + 5 * C;
        float *yr = y + n * C;
        const float *mr = m + n * C;
        if (mbias) for (size_t j = 0; j < C; j++) yr[j] += gate2[j] * (mr[j] + mbias[j]);
        else for (size_t j = 0; j < C; j++) yr[j] += gate2[j] * mr[j];
    }
}

/* softmax(q k^T / sqrt(D)) v per (batch, head), saving P. qkv (N,3C) -> o (N,C). */
static void dit_attn_forward(float *o, float *P, const float *qkv, size_t B, size_t T, size_t C, size_t H) {
    size_t D = C / H;
    float scale = 1.0f / sqrtf((float)D);
    BLK_PARALLEL_FOR_DYN
    for (size_t bh = 0; bh < B * H; bh++) {
        size_t b = bh / H, h = bh % H;
        const float *q = qkv + b * T * 3 * C + h * D, *k = q + C, *v = q + 2 * C;
        float *Pb = P + bh * T * T;
        nn_gemm(NN_GEMM_N, NN_GEMM_T, T, T, D, scale, q, 3 * C, k, 3 * C, 0.0f, Pb, T);
        for (size_t t = 0; t < T; t++) blk_softmax_row(Pb + t * T, T);
        nn_gemm(NN_GEMM_N, NN_GEMM_N, T, D, T, 1.0f, Pb, T, v, 3 * C, 0.0f, o + b * T * C + h * D, C);
    }
}

void dit_block_forward(float *y, float *act, const float *x, const float *c, const dit_block_w *w,
                       const dit_block *blk, size_t B, size_t T) {
    size_t C = blk->C, H = blk->H, N = B * T;
    dit_acts A;
    dit_acts_carve(&A, act, B, T, C, H);
    dit_adaln_forward(A.mod, A.sc, c, w, B, C);
    /* x + gate1 * attn(modulate(norm1(x), shift1, scale1)) */
    dit_ln1(A.xhat1, A.rstd1, A.h1, x, A.mod, N, T, C);
    blk_linear_forward(A.qkv, A.h1, w->qkv_w, w->qkv_b, N, C, 3 * C);
    if (blk->rope) blk_rope_forward(A.qkv, B, T, C, H);
    dit_attn_forward(A.o, A.P, A.qkv, B, T, C, H);
    blk_linear_forward(A.a, A.o, w->proj_w, w->proj_b, N, C, C);
    /* x1 = x + gate1 * a (held in y);  + gate2 * mlp(modulate(norm2(x1), shift2, scale2)) */
    dit_residual_ln(y, A.xhat2, A.rstd2, A.h2, x, A.a, NULL, A.mod, B, T, C);
    blk_linear_forward(A.f, A.h2, w->fc1_w, w->fc1_b, N, C, 4 * C);
    dit_gelu_forward(A.g, A.f, N * 4 * C);
    blk_linear_forward(A.m, A.g, w->fc2_w, w->fc2_b, N, 4 * C, C);
    dit_gate_add(y, A.m, NULL, A.mod, N, T, C);
}

/* ------------------------------------------------------------------------------------------------------ */
/* backward                                                                                               */

/* dst = src * gate (gate row b broadcast over T): the gradient through "gate * u" with respect to u. */
static void dit_gate_mul(float *dst, const float *src, const float *mod, size_t gate_off, size_t N, size_t T,
                         size_t C) {
    BLK_PARALLEL_FOR
    for (size_t n = 0; n < N; n++) {
        const float *gate = mod + (n / T) * 6 * C + gate_off;
        for (size_t j = 0; j < C; j++) dst[n * C + j] = src[n * C + j] * gate[j];
    }
}

/* df = dg * GELU'(f) in place, from g = 0.5 x (1 + tanh(u)) = x s, s = sigmoid(2u), u = k0 (x + k1 x^3):
 *   GELU'(x) = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) u' = s + 2 x s (1 - s) k0 (1 + 3 k1 x^2) */
static void dit_gelu_backward(float *dg, const float *f, size_t n) {
    BLK_PARALLEL_FOR
    for (size_t i0 = 0; i0 < n; i0 += 4096) {
        size_t i1 = i0 + 4096 < n ? i0 + 4096 : n;
        for (size_t i = i0; i < i1; i++) {
            float x = f[i];
            float u = BLK_GELU_K0 * (x + BLK_GELU_K1 * x * x * x);
            float sg = 1.0f / (1.0f + blk_expf(-2.0f * u));   /* sigmoid(2u) = 0.5 (1 + tanh u) */
            float d = sg + 2.0f * x * sg * (1.0f - sg) * BLK_GELU_K0 * (1.0f + 3.0f * BLK_GELU_K1 * x * x);
            dg[i] *= d;
        }
    }
}

/* Backward of h = modulate(LN(x)) for all rows: the shift/scale sums into dmod, then dx += LN backward.
 *   dshift[b] = sum_t dh;  dscale[b] = sum_t dh * xhat */
static void dit_ln_mod_backward(float *dx, float *dmod, size_t shift_off, const float *dh, const float *xhat,
                                const float *rstd, const float *mod, size_t B, size_t T, size_t C) {
    size_t N = B * T;
    blk_tsum(dmod + shift_off, 6 * C, dh, NULL, B, T, C);
    blk_tsum(dmod + shift_off + C, 6 * C, dh, xhat, B, T, C);
    BLK_PARALLEL_FOR
    for (size_t n = 0; n < N; n++) {
        const float *scale = mod + (n / T) * 6 * C + shift_off + C;
        blk_ln_mod_row_backward(dx + n * C, dh + n * C, xhat + n * C, rstd[n], scale, C);
    }
}

/* Attention backward per (batch, head), from o = P v, P = softmax(S), S = q k^T * scale:
 *   dP = do v^T;  dv = P^T do;  dS = P * (dP - rowsum(dP * P));  dq = scale dS k;  dk = scale dS^T q
 * dqkv is OVERWRITTEN. */
static void dit_attn_backward(float *dqkv, float *dP, const float *dob, const float *P, const float *qkv,
                              size_t B, size_t T, size_t C, size_t H) {
    size_t D = C / H;
    float scale = 1.0f / sqrtf((float)D);
    BLK_PARALLEL_FOR_DYN
    for (size_t bh = 0; bh < B * H; bh++) {
        size_t b = bh / H, h = bh % H;
        const float *q = qkv + b * T * 3 * C + h * D, *k = q + C, *v = q + 2 * C;
        float *dq = dqkv + b * T * 3 * C + h * D, *dk = dq + C, *dv = dq + 2 * C;
        const float *dO = dob + b * T * C + h * D;
        const float *Pb = P + bh * T * T;
        float *dPb = dP + bh * T * T;
        nn_gemm(NN_GEMM_N, NN_GEMM_T, T, T, D, 1.0f, dO, C, v, 3 * C, 0.0f, dPb, T);
        nn_gemm(NN_GEMM_T, NN_GEMM_N, T, D, T, 1.0f, Pb, T, dO, C, 0.0f, dv, 3 * C);
        for (size_t t = 0; t < T; t++) {
            float *dr = dPb + t * T;
            const float *pr = Pb + t * T;
            float s = blk_dot(dr, pr, T);
            for (size_t j = 0; j < T; j++) dr[j] = pr[j] * (dr[j] - s);
        }
        nn_gemm(NN_GEMM_N, NN_GEMM_N, T, D, T, scale, dPb, T, k, 3 * C, 0.0f, dq, 3 * C);
        nn_gemm(NN_GEMM_T, NN_GEMM_N, T, D, T, scale, dPb, T, q, 3 * C, 0.0f, dk, 3 * C);
    }
}

void dit_block_backward(float *dx, float *dc, const dit_block_w *dw, float *scratch, const float *dy,
                        const float *act, const float *x, const float *c, const dit_block_w *w,
                        const dit_block *blk, size_t B, size_t T) {
    size_t C = blk->C, H = blk->H, N = B * T, F = 4 * C;
    dit_acts A;
    dit_acts_carve(&A, (float *)act, B, T, C, H);
    dit_grads_tmp S;
    dit_scratch_carve(&S, scratch, B, T, C, H);
    (void)x;

    /* y = x1 + gate2 * m */
    blk_copy(S.dx1, dy, N * C);
    blk_tsum(S.dmod + 5 * C, 6 * C, dy, A.m, B, T, C);                         /* dgate2 */
    dit_gate_mul(S.dbuf, dy, A.mod, 5 * C, N, T, C);                           /* dm */
    /* m = fc2(g), g = GELU(f), f = fc1(h2) */
    blk_linear_backward(S.dbig, 0.0f, dw->fc2_w, dw->fc2_b, S.dbuf, A.g, w->fc2_w, N, F, C);
    dit_gelu_backward(S.dbig, A.f, N * F);
    blk_linear_backward(S.dh, 0.0f, dw->fc1_w, dw->fc1_b, S.dbig, A.h2, w->fc1_w, N, C, F);
    /* h2 = LN(x1) * (1 + scale2) + shift2 */
    dit_ln_mod_backward(S.dx1, S.dmod, 3 * C, S.dh, A.xhat2, A.rstd2, A.mod, B, T, C);
    /* x1 = x + gate1 * a */
    blk_tsum(S.dmod + 2 * C, 6 * C, S.dx1, A.a, B, T, C);                      /* dgate1 */
    dit_gate_mul(S.dbuf, S.dx1, A.mod, 2 * C, N, T, C);                        /* da */
    blk_linear_backward(S.dob, 0.0f, dw->proj_w, dw->proj_b, S.dbuf, A.o, w->proj_w, N, C, C);
    dit_attn_backward(S.dqkv, S.dP, S.dob, A.P, A.qkv, B, T, C, H);
    if (blk->rope) blk_rope_backward(S.dqkv, S.dob, B, T, C, H);      /* dob is free again */
    blk_linear_backward(S.dh, 0.0f, dw->qkv_w, dw->qkv_b, S.dqkv, A.h1, w->qkv_w, N, C, 3 * C);
    /* h1 = LN(x) * (1 + scale1) + shift1; the residual path adds dx1 */
    BLK_PARALLEL_FOR
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < C; j++) dx[i * C + j] += S.dx1[i * C + j];
    dit_ln_mod_backward(dx, S.dmod, 0, S.dh, A.xhat1, A.rstd1, A.mod, B, T, C);
    /* mod = SiLU(c) W^T + b;  SiLU'(c) = s (1 + c (1 - s)), s = sigmoid(c) */
    blk_linear_backward(dc ? S.dsc : NULL, 0.0f, dw->ada_w, dw->ada_b, S.dmod, A.sc, w->ada_w, B, C, 6 * C);
    if (dc)
        for (size_t i = 0; i < B * C; i++) {
            float s = 1.0f / (1.0f + expf(-c[i]));
            dc[i] += S.dsc[i] * s * (1.0f + c[i] * (1.0f - s));
        }
}

/* ------------------------------------------------------------------------------------------------------ */
/* memory-lean forward for sampling                                                                       */

/* Attention is done for blocks of DIT_QB query rows of one (batch, head) at a time: the scores live in a
 * (DIT_QB, T) slot per thread instead of the whole (B,H,T,T). Work items write disjoint rows of o and each
 * is computed the same way whatever thread runs it, so the result does not depend on the thread count. */
#define DIT_QB 64
#define DIT_INFER_SLOTS 16

#if defined(__AVX512F__) && defined(__FMA__)
/* AVX-512 path: one work item per (batch, head); K^T (D, Tp) and V (T, Dp) of the head are packed once into
 * the thread's slot (Tp = T rounded up to DIT_AK, Dp = D rounded up to 16, zero padded), then per block of
 * DIT_QB queries: S = scale q k^T by an 8 x 48 register tile, exp in place (blk_exp_row), o = (S v) / rowsum
 * by an 8 x (up to 48) register tile, the 1/rowsum applied in the store. (OpenBLAS on these 64 x 375 x 48
 * products re-packed k and v for every query block and reached ~75 GFLOP/s on one core.) */
#define DIT_AK 48
static size_t dit_attn_slot_floats(size_t T, size_t D) {
    size_t Tp = (T + DIT_AK - 1) / DIT_AK * DIT_AK, Dp = (D + 15) / 16 * 16;
    return blk_round16(D * Tp) + blk_round16(T * Dp) + blk_round16((size_t)DIT_QB * Tp);
}

/* S rows r < 8 (row r at S + r*lds), key columns j..j+47: scale * sum_p q_r[p] kt[p][j..] (p in order). */
static inline __attribute__((always_inline)) void dit_att_s_tile(float *S, size_t lds, const float *const *qr,
                                                                  const float *kt, size_t Tp, size_t D,
                                                                  size_t j, __m512 vscale) {
    __m512 a0[8], a1[8], a2[8];
    for (int r = 0; r < 8; r++) { a0[r] = _mm512_setzero_ps(); a1[r] = _mm512_setzero_ps(); a2[r] = _mm512_setzero_ps(); }
    for (size_t p = 0; p < D; p++) {
        const float *kp = kt + p * Tp + j;
        __m512 b0 = _mm512_loadu_ps(kp), b1 = _mm512_loadu_ps(kp + 16), b2 = _mm512_loadu_ps(kp + 32);
        for (int r = 0; r < 8; r++) {
            __m512 q = _mm512_set1_ps(qr[r][p]);
            a0[r] = _mm512_fmadd_ps(q, b0, a0[r]);
            a1[r] = _mm512_fmadd_ps(q, b1, a1[r]);
            a2[r] = _mm512_fmadd_ps(q, b2, a2[r]);
        }
    }
    for (int r = 0; r < 8; r++) {
        _mm512_storeu_ps(S + r * lds + j, _mm512_mul_ps(a0[r], vscale));
        _mm512_storeu_ps(S + r * lds + j + 16, _mm512_mul_ps(a1[r], vscale));
        _mm512_storeu_ps(S + r * lds + j + 32, _mm512_mul_ps(a2[r], vscale));
    }
}

/* o rows r < mr, columns d0 .. d0 + 16 NV (the last vector masked by `last`): inv[r] * sum_p S[r][p] vp[p][..]
 * over p < T in order. */
static inline __attribute__((always_inline)) void dit_att_pv_tile(float *o, size_t ldo, const float *S, size_t lds,
                                                                   const float *vp, size_t Dp, size_t T,
                                                                   size_t d0, const float *inv, size_t mr,
                                                                   int NV, __mmask16 last) {
    __m512 acc[8][3];
    for (int r = 0; r < 8; r++)
        for (int c = 0; c < 3; c++) acc[r][c] = _mm512_setzero_ps();
    for (size_t p = 0; p < T; p++) {
        __m512 v[3];
        for (int c = 0; c < NV; c++) v[c] = _mm512_loadu_ps(vp + p * Dp + d0 + 16 * c);
        for (int r = 0; r < 8; r++) {
            __m512 s = _mm512_set1_ps(S[r * lds + p]);
            for (int c = 0; c < NV; c++) acc[r][c] = _mm512_fmadd_ps(s, v[c], acc[r][c]);
        }
    }
    for (size_t r = 0; r < mr; r++) {
        __m512 iv = _mm512_set1_ps(inv[r]);
        for (int c = 0; c < NV; c++) {
            __mmask16 m = c == NV - 1 ? last : (__mmask16)0xFFFF;
            _mm512_mask_storeu_ps(o + r * ldo + d0 + 16 * c, m, _mm512_mul_ps(acc[r][c], iv));
        }
    }
}

/* blk_exp_row with intrinsics (gcc leaves the max loop of blk_exp_row scalar): s[j] = exp(s[j] - max s) for
 * j < n by blk_exp512, returns the sum (16 lanes reduced in a fixed order: independent of threads). */
static inline float dit_exp_row512(float *s, size_t n) {
    size_t nv = n / 16;
    __mmask16 tail = (__mmask16)((1u << (n % 16)) - 1u);
    __m512 vm = _mm512_set1_ps(-INFINITY);
    for (size_t i = 0; i < nv; i++) vm = _mm512_max_ps(vm, _mm512_loadu_ps(s + 16 * i));
    if (tail) vm = _mm512_max_ps(vm, _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), tail, s + 16 * nv));
    __m512 mx = _mm512_set1_ps(_mm512_reduce_max_ps(vm)), acc = _mm512_setzero_ps();
    for (size_t i = 0; i < nv; i++) {
        __m512 y = blk_exp512(_mm512_sub_ps(_mm512_loadu_ps(s + 16 * i), mx));
        _mm512_storeu_ps(s + 16 * i, y);
        acc = _mm512_add_ps(acc, y);
    }
    if (tail) {
        __m512 y = blk_exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, s + 16 * nv), mx));
        _mm512_mask_storeu_ps(s + 16 * nv, tail, y);
        acc = _mm512_mask_add_ps(acc, tail, acc, y);
    }
    float l[16], sum = 0.0f;
    _mm512_storeu_ps(l, acc);
    for (int i = 0; i < 16; i++) sum += l[i];
    return sum;
}

static void dit_attn_head_avx512(float *o, float *slot, const float *qkv, size_t b, size_t h, size_t T,
                                 size_t C, size_t H) {
    size_t D = C / H, Tp = (T + DIT_AK - 1) / DIT_AK * DIT_AK, Dp = (D + 15) / 16 * 16, ld = 3 * C;
    float *kt = slot, *vp = kt + blk_round16(D * Tp), *S = vp + blk_round16(T * Dp);
    const float *q = qkv + b * T * ld + h * D, *k = q + C, *v = q + 2 * C;
    /* K^T by gathers: 16 keys' element p per instruction, zeros past T */
    __m512i rows = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                      _mm512_set1_epi32((int)ld));
    for (size_t t0 = 0; t0 < Tp; t0 += 16) {
        size_t nt = t0 < T ? (T - t0 < 16 ? T - t0 : 16) : 0;
        __mmask16 m = (__mmask16)(nt == 16 ? 0xFFFFu : (1u << nt) - 1u);
        const float *kb = k + (nt ? t0 : 0) * ld;
        for (size_t p = 0; p < D; p++)
            _mm512_storeu_ps(kt + p * Tp + t0, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, rows, kb + p, 4));
    }
    for (size_t t = 0; t < T; t++) {
        memcpy(vp + t * Dp, v + t * ld, D * sizeof *vp);
        for (size_t d = D; d < Dp; d++) vp[t * Dp + d] = 0.0f;
    }
    __m512 vscale = _mm512_set1_ps(1.0f / sqrtf((float)D));
    for (size_t t0 = 0; t0 < T; t0 += DIT_QB) {
        size_t nq = T - t0 < DIT_QB ? T - t0 : DIT_QB;
        float inv[DIT_QB];
        for (size_t j = 0; j < Tp; j += DIT_AK)          /* a (D, 48) tile of K^T stays in L1 over the queries */
            for (size_t g = 0; g < nq; g += 8) {
                const float *qr[8];
                for (size_t r = 0; r < 8; r++) qr[r] = q + (t0 + (g + r < nq ? g + r : nq - 1)) * ld;
                dit_att_s_tile(S + g * Tp, Tp, qr, kt, Tp, D, j, vscale);
            }
        for (size_t t = 0; t < nq; t++) inv[t] = 1.0f / dit_exp_row512(S + t * Tp, T);
        for (size_t g = 0; g < nq; g += 8) {
            size_t mr = nq - g < 8 ? nq - g : 8;
            float *og = o + (b * T + t0 + g) * C + h * D;
            for (size_t d0 = 0; d0 < Dp; d0 += 48) {
                size_t nd = D - d0 < 48 ? D - d0 : 48;       /* valid columns in this chunk */
                int nv = (int)((nd + 15) / 16);
                __mmask16 last = (__mmask16)(nd % 16 ? (1u << (nd % 16)) - 1u : 0xFFFFu);
                if (nv == 3) dit_att_pv_tile(og, C, S + g * Tp, Tp, vp, Dp, T, d0, inv + g, mr, 3, last);
                else if (nv == 2) dit_att_pv_tile(og, C, S + g * Tp, Tp, vp, Dp, T, d0, inv + g, mr, 2, last);
                else dit_att_pv_tile(og, C, S + g * Tp, Tp, vp, Dp, T, d0, inv + g, mr, 1, last);
            }
        }
    }
}
#else
static size_t dit_attn_slot_floats(size_t T, size_t D) { (void)D; return (size_t)DIT_QB * T; }
#endif

typedef struct { float *sc, *mod, *h, *qkv, *o, *a, *f, *slots; } dit_infer_tmp;

static size_t dit_infer_carve(dit_infer_tmp *I, float *base, size_t B, size_t T, size_t C, size_t H) {
    size_t N = B * T, off = 0;
    float **p[8] = {&I->sc, &I->mod, &I->h, &I->qkv, &I->o, &I->a, &I->f, &I->slots};
    size_t n[8] = {B * C, B * 6 * C, N * C, N * 3 * C, N * C, N * C, N * 4 * C,
                   (size_t)DIT_INFER_SLOTS * dit_attn_slot_floats(T, C / H)};
    for (int i = 0; i < 8; i++) {
        *p[i] = base ? base + off : NULL;
        off += blk_round16(n[i]);
    }
    return off;
}

size_t dit_block_infer_scratch_size(size_t B, size_t T, size_t C, size_t H) {
    if (H == 0) return 0;
    dit_infer_tmp I;
    return dit_infer_carve(&I, NULL, B, T, C, H);
}

static void dit_attn_forward_lean(float *o, float *slots, const float *qkv, size_t B, size_t T, size_t C,
                                  size_t H) {
#if defined(__AVX512F__) && defined(__FMA__)
    size_t slot_n = dit_attn_slot_floats(T, C / H);
#ifdef _OPENMP
    int nt = omp_get_max_threads();
    if (nt > DIT_INFER_SLOTS) nt = DIT_INFER_SLOTS;
#pragma omp parallel num_threads(nt)
#endif
    {
#ifdef _OPENMP
        float *slot = slots + (size_t)omp_get_thread_num() * slot_n;
#pragma omp for schedule(dynamic)
#else
        float *slot = slots;
#endif
        for (size_t bh = 0; bh < B * H; bh++) dit_attn_head_avx512(o, slot, qkv, bh / H, bh % H, T, C, H);
    }
#else
    size_t D = C / H, n_qb = (T + DIT_QB - 1) / DIT_QB, n_items = B * H * n_qb;
    float scale = 1.0f / sqrtf((float)D);
#ifdef _OPENMP
    int nt = omp_get_max_threads();
    if (nt > DIT_INFER_SLOTS) nt = DIT_INFER_SLOTS;
#pragma omp parallel num_threads(nt)
#endif
    {
#ifdef _OPENMP
        float *S = slots + (size_t)omp_get_thread_num() * DIT_QB * T;
#pragma omp for schedule(dynamic)
#else
        float *S = slots;
#endif
        for (size_t it = 0; it < n_items; it++) {
            size_t bh = it / n_qb, t0 = (it % n_qb) * DIT_QB, b = bh / H, h = bh % H;
            size_t nq = T - t0 < DIT_QB ? T - t0 : DIT_QB;
            const float *q = qkv + (b * T + t0) * 3 * C + h * D;
            const float *k = qkv + b * T * 3 * C + C + h * D, *v = k + C;
            float inv[DIT_QB];
            nn_gemm(NN_GEMM_N, NN_GEMM_T, nq, T, D, scale, q, 3 * C, k, 3 * C, 0.0f, S, T);
            for (size_t t = 0; t < nq; t++) inv[t] = 1.0f / blk_exp_row(S + t * T, T);
            float *ob = o + (b * T + t0) * C + h * D;
            nn_gemm(NN_GEMM_N, NN_GEMM_N, nq, D, T, 1.0f, S, T, v, 3 * C, 0.0f, ob, C);
            for (size_t t = 0; t < nq; t++)
                for (size_t d = 0; d < D; d++) ob[t * C + d] *= inv[t];
        }
    }
#endif
}

void dit_block_forward_infer(float *y, float *scratch, const float *x, const float *c, const dit_block_w *w,
                             const dit_block *blk, size_t B, size_t T) {
    size_t C = blk->C, H = blk->H, N = B * T;
    dit_infer_tmp I;
    dit_infer_carve(&I, scratch, B, T, C, H);
    dit_adaln_forward(I.mod, I.sc, c, w, B, C);
    dit_ln1(NULL, NULL, I.h, x, I.mod, N, T, C);
    blk_linear_forward(I.qkv, I.h, w->qkv_w, w->qkv_b, N, C, 3 * C);
    if (blk->rope) blk_rope_forward(I.qkv, B, T, C, H);
    dit_attn_forward_lean(I.o, I.slots, I.qkv, B, T, C, H);
    /* proj, fc1, fc2 run without their bias (no broadcast pass, sgemm does not read C); each bias is added
     * by the pass that reads the product next: residual + LN, GELU, gated residual */
    nn_gemm(NN_GEMM_N, NN_GEMM_T, N, C, C, 1.0f, I.o, C, w->proj_w, C, 0.0f, I.a, C);
    dit_residual_ln(y, NULL, NULL, I.h, x, I.a, w->proj_b, I.mod, B, T, C);  /* y may be x: row n reads x row n first */
    nn_gemm(NN_GEMM_N, NN_GEMM_T, N, 4 * C, C, 1.0f, I.h, C, w->fc1_w, C, 0.0f, I.f, 4 * C);
    dit_gelu_bias_inplace(I.f, w->fc1_b, N, 4 * C);
    nn_gemm(NN_GEMM_N, NN_GEMM_T, N, C, 4 * C, 1.0f, I.f, 4 * C, w->fc2_w, 4 * C, 0.0f, I.a, C);
    dit_gate_add(y, I.a, w->fc2_b, I.mod, N, T, C);
}

/* ------------------------------------------------------------------------------------------------------ */
/* stack                                                                                                  */

momu_status dit_stack_register(dit_stack *s, tensor_table *tab, const char *prefix, size_t n_blocks, size_t C,
                               size_t H, int rope, momu_err *e) {
    if (n_blocks == 0 || n_blocks > DIT_STACK_MAX)
        return momu_fail(e, MOMU_ERR_ARG, "dit stack: %zu blocks (1..%d)", n_blocks, DIT_STACK_MAX);
    memset(s, 0, sizeof *s);
    s->n_blocks = n_blocks; s->C = C; s->H = H;
    for (size_t i = 0; i < n_blocks; i++) {
        char p[TENSOR_NAME_MAX + 1];
        int len = snprintf(p, sizeof p, "%s%zu.", prefix ? prefix : "", i);
        if (len < 0 || (size_t)len >= sizeof p) return momu_fail(e, MOMU_ERR_ARG, "dit stack: prefix too long");
        momu_status st = dit_block_register(&s->blk[i], tab, p, C, H, rope, e);
        if (st != MOMU_OK) return st;
    }
    return MOMU_OK;
}

size_t dit_stack_act_size(const dit_stack *s, size_t B, size_t T) {
    return s->n_blocks * (blk_round16(B * T * s->C) + dit_block_act_size(B, T, s->C, s->H));
}

size_t dit_stack_scratch_size(const dit_stack *s, size_t B, size_t T) {
    return dit_block_scratch_size(B, T, s->C, s->H) + 2 * blk_round16(B * T * s->C);
}

/* act layout per block i: [input x_i (B,T,C)] [block activations] */
void dit_stack_forward(float *y, float *act, const float *x, const float *c, const dit_stack *s,
                       const tensor_table *tab, const float *params, size_t B, size_t T) {
    size_t NC = B * T * s->C, per = blk_round16(NC) + dit_block_act_size(B, T, s->C, s->H);
    blk_copy(act, x, NC);
    for (size_t i = 0; i < s->n_blocks; i++) {
        float *xi = act + i * per;
        float *out = i + 1 < s->n_blocks ? act + (i + 1) * per : y;
        dit_block_w w;
        dit_block_bind(&w, &s->blk[i], tab, (float *)params);
        dit_block_forward(out, xi + blk_round16(NC), xi, c, &w, &s->blk[i], B, T);
    }
}

void dit_stack_backward(float *dx, float *dc, float *grads, float *scratch, const float *dy, const float *act,
                        const float *c, const dit_stack *s, const tensor_table *tab, const float *params,
                        size_t B, size_t T) {
    size_t NC = B * T * s->C, per = blk_round16(NC) + dit_block_act_size(B, T, s->C, s->H);
    float *g0 = scratch + dit_block_scratch_size(B, T, s->C, s->H), *g1 = g0 + blk_round16(NC);
    const float *dcur = dy;
    for (size_t i = s->n_blocks; i-- > 0;) {
        const float *xi = act + i * per;
        float *dnext = i == 0 ? dx : (dcur == g0 ? g1 : g0);
        if (i != 0) blk_copy(dnext, NULL, NC);
        dit_block_w w, dw;
        dit_block_bind(&w, &s->blk[i], tab, (float *)params);
        dit_block_bind(&dw, &s->blk[i], tab, grads);
        dit_block_backward(dnext, dc, &dw, scratch, dcur, xi + blk_round16(NC), xi, c, &w, &s->blk[i], B, T);
        dcur = dnext;
    }
}

size_t dit_stack_infer_scratch_size(const dit_stack *s, size_t B, size_t T) {
    return dit_block_infer_scratch_size(B, T, s->C, s->H);
}

void dit_stack_forward_infer(float *y, float *scratch, const float *x, const float *c, const dit_stack *s,
                             const tensor_table *tab, const float *params, size_t B, size_t T) {
    if (y != x) blk_copy(y, x, B * T * s->C);
    for (size_t i = 0; i < s->n_blocks; i++) {
        dit_block_w w;
        dit_block_bind(&w, &s->blk[i], tab, (float *)params);
        dit_block_forward_infer(y, scratch, y, c, &w, &s->blk[i], B, T);
    }
}
