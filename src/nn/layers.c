/* Fast layer kernels (include/momu/nn_layers.h); the naive twins are in layers_ref.inc, attention in
 * attention.c.
 *
 * Dimension vocabulary: B batch, T time, To output time, N rows (= B*T), C channels (Ci in, Co out,
 * Cig/Cog per group), K taps, G groups, H heads, D head dim, R rows of an im2col chunk.
 *
 * Threading: every function owns its region: OpenMP over outer loops with disjoint outputs, or nn_gemm
 * (BLAS threads) outside any parallel region. Parameter-gradient reductions (db, dw of norms, dshift...)
 * are parallelised over channels, each channel summed over rows in row order, so the bytes do not depend
 * on the thread count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "layers_util.h"
#include "momu/nn_gemm.h"
#include "momu/nn_layers.h"

/* colsum: db[c] += sum_n dy[n, c], channels split across threads in blocks of 64 (disjoint outputs). */
static void nn_colsum_acc(float *restrict db, const float *restrict dy, size_t N, size_t C) {
    size_t nblk = (C + 63) / 64;
    NN_OMP_FOR(N * C)
    for (size_t blk = 0; blk < nblk; blk++) {
        size_t c0 = blk * 64, c1 = c0 + 64 < C ? c0 + 64 : C;
        float acc[64];
        memset(acc, 0, sizeof acc);
        for (size_t n = 0; n < N; n++) {
            const float *restrict r = dy + n * C;
            for (size_t c = c0; c < c1; c++) acc[c - c0] += r[c];
        }
        for (size_t c = c0; c < c1; c++) db[c] += acc[c - c0];
    }
}

/* ---- linear ---- */
void nn_linear_forward(float *y, const float *x, const float *w, const float *b, size_t N, size_t Ci, size_t Co) {
    if (b) {
        NN_OMP_FOR(N * Co)
        for (size_t n = 0; n < N; n++) memcpy(y + n * Co, b, Co * sizeof *y);
    }
    nn_gemm(NN_GEMM_N, NN_GEMM_T, N, Co, Ci, 1.0f, x, Ci, w, Ci, b ? 1.0f : 0.0f, y, Co);
}

void nn_linear_backward(float *dx, float *dw, float *db, const float *dy, const float *x, const float *w,
                        size_t N, size_t Ci, size_t Co) {
    if (dx) nn_gemm(NN_GEMM_N, NN_GEMM_N, N, Ci, Co, 1.0f, dy, Co, w, Ci, 1.0f, dx, Ci);   /* dx += dy W    */
    nn_gemm(NN_GEMM_T, NN_GEMM_N, Co, Ci, N, 1.0f, dy, Co, x, Ci, 1.0f, dw, Ci);          /* dW += dy^T x  */
    if (db) nn_colsum_acc(db, dy, N, Co);
}

/* ---- conv1d geometry ---- */
size_t nn_conv1d_out_len(size_t T, const nn_conv1d_geom *g) {
    if (!g->k || !g->stride || !g->dil) return 0;
    size_t span = g->dil * (g->k - 1) + 1;
    if (T + 2 * g->pad < span) return 0;
    return (T + 2 * g->pad - span) / g->stride + 1;
}
size_t nn_conv_transpose1d_out_len(size_t T, const nn_conv1d_geom *g) {
    if (!T || !g->k || !g->stride || !g->dil) return 0;
    size_t full = (T - 1) * g->stride + g->dil * (g->k - 1) + g->out_pad + 1;
    return full > 2 * g->pad ? full - 2 * g->pad : 0;
}

momu_status nn_conv1d_geom_check(const nn_conv1d_geom *g, size_t T, size_t Ci, size_t Co, int transpose,
                                 const char *what, momu_err *e) {
    if (!g->k || !g->stride || !g->dil || !g->groups)
        return momu_fail(e, MOMU_ERR_ARG, "%s: kernel %zu, stride %zu, dilation %zu, groups %zu must all be >= 1",
                         what, g->k, g->stride, g->dil, g->groups);
    if (!Ci || !Co || Ci % g->groups || Co % g->groups)
        return momu_fail(e, MOMU_ERR_ARG, "%s: groups %zu must divide in channels %zu and out channels %zu", what,
                         g->groups, Ci, Co);
    if (transpose && g->out_pad >= (g->stride > g->dil ? g->stride : g->dil))
        return momu_fail(e, MOMU_ERR_ARG, "%s: output_padding %zu must be smaller than stride %zu or dilation %zu",
                         what, g->out_pad, g->stride, g->dil);
    size_t To = transpose ? nn_conv_transpose1d_out_len(T, g) : nn_conv1d_out_len(T, g);
    if (!To)
        return momu_fail(e, MOMU_ERR_ARG, "%s: input length %zu is too short for kernel %zu (dilation %zu, padding %zu)",
                         what, T, g->k, g->dil, g->pad);
    return MOMU_OK;
}

/* Weight permutations so that im2col rows are contiguous copies: conv1d W (Co,Cig,K) <-> Wp (Co,K,Cig);
 * conv-transpose W (Ci,Cog,K) <-> Wp (Ci,K,Cog). Same helper: (rows, inner, K) <-> (rows, K, inner). */
static void nn_permute_ck_to_kc(float *dst, const float *src, size_t rows, size_t inner, size_t K) {
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < inner; c++)
            for (size_t j = 0; j < K; j++) dst[(r * K + j) * inner + c] = src[(r * inner + c) * K + j];
}
static void nn_permute_kc_acc_ck(float *dst, const float *src, size_t rows, size_t inner, size_t K) {
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < inner; c++)
            for (size_t j = 0; j < K; j++) dst[(r * inner + c) * K + j] += src[(r * K + j) * inner + c];
}

/* Rows of an im2col chunk: about 4M floats (16 MB) of scratch at most, and at least one row. */
static size_t nn_chunk_rows(size_t total, size_t row_len) {
    size_t r = ((size_t)1 << 22) / (row_len ? row_len : 1);
    if (r < 1) r = 1;
    return r < total ? r : total;
}

/* Gathers rows [r0, r0+R) of the (B*To) output positions: col[r][g][j][c] = src[b, t*s - p + j*dil, g*Cg + c]
 * (0 outside [0, Tin)). Used by the conv1d forward (src = x) and the conv-transpose backward (src = dy). */
static void nn_im2col(float *col, const float *src, size_t r0, size_t R, size_t To, size_t Tin, size_t Cs,
                      size_t G, const nn_conv1d_geom *g) {
    size_t K = g->k, Cg = Cs / G;
    NN_OMP_FOR(R * Cs * K)
    for (size_t r = 0; r < R; r++) {
        size_t b = (r0 + r) / To, t = (r0 + r) % To;
        float *cr = col + r * Cs * K;
        for (size_t j = 0; j < K; j++) {
            size_t pos = t * g->stride + j * g->dil;
            int in = pos >= g->pad && pos - g->pad < Tin;
            const float *sr = in ? src + (b * Tin + pos - g->pad) * Cs : NULL;
            for (size_t gi = 0; gi < G; gi++) {
                float *dst = cr + (gi * K + j) * Cg;
                if (in) memcpy(dst, sr + gi * Cg, Cg * sizeof *dst);
                else memset(dst, 0, Cg * sizeof *dst);
            }
        }
    }
}

/* The adjoint of nn_im2col: dst[b, t*s - p + j*dil, g*Cg + c] += col[r][g][j][c]. Serial: overlapping
 * windows write the same dst rows, and a fixed order keeps the sums deterministic. */
static void nn_col2im_acc(float *dst, const float *col, size_t r0, size_t R, size_t To, size_t Tdst, size_t Cs,
                          size_t G, const nn_conv1d_geom *g) {
    size_t K = g->k, Cg = Cs / G;
    for (size_t r = 0; r < R; r++) {
        size_t b = (r0 + r) / To, t = (r0 + r) % To;
        const float *cr = col + r * Cs * K;
        for (size_t j = 0; j < K; j++) {
            size_t pos = t * g->stride + j * g->dil;
            if (pos < g->pad || pos - g->pad >= Tdst) continue;
            float *restrict dr = dst + (b * Tdst + pos - g->pad) * Cs;
            for (size_t gi = 0; gi < G; gi++) {
                const float *restrict s = cr + (gi * K + j) * Cg;
                float *restrict d = dr + gi * Cg;
                for (size_t c = 0; c < Cg; c++) d[c] += s[c];
            }
        }
    }
}

static int nn_conv_is_pointwise(const nn_conv1d_geom *g) {
    return g->k == 1 && g->stride == 1 && g->pad == 0;
}

/* ---- conv1d: y_g = col_g Wp_g^T per group, col = im2col(x) (R, G*K*Cig), Wp (Co, K, Cig) ---- */
void nn_conv1d_forward(float *y, const float *x, const float *w, const float *bias, size_t B, size_t T, size_t Ci,
                       size_t Co, const nn_conv1d_geom *g) {
    size_t To = nn_conv1d_out_len(T, g), K = g->k, G = g->groups, Cig = Ci / G, Cog = Co / G, KC = K * Ci;
    size_t rows = B * To;
    if (!rows) return;
    int direct = nn_conv_is_pointwise(g);
    size_t Rmax = direct ? rows : nn_chunk_rows(rows, KC);
    float *wp = malloc(Co * Cig * K * sizeof *wp);
    float *col = direct ? NULL : malloc(Rmax * KC * sizeof *col);
    if (!wp || (!direct && !col)) {
        free(wp); free(col);
        nn_conv1d_forward_ref(y, x, w, bias, B, T, Ci, Co, g);
        return;
    }
    nn_permute_ck_to_kc(wp, w, Co, Cig, K);
    for (size_t r0 = 0; r0 < rows; r0 += Rmax) {
        size_t R = rows - r0 < Rmax ? rows - r0 : Rmax;
        const float *cm = direct ? x + r0 * Ci : col;
        if (!direct) nn_im2col(col, x, r0, R, To, T, Ci, G, g);
        float *yr = y + r0 * Co;
        if (bias) {
            NN_OMP_FOR(R * Co)
            for (size_t r = 0; r < R; r++) memcpy(yr + r * Co, bias, Co * sizeof *yr);
        }
        for (size_t gi = 0; gi < G; gi++)
            nn_gemm(NN_GEMM_N, NN_GEMM_T, R, Cog, K * Cig, 1.0f, cm + gi * K * Cig, KC, wp + gi * Cog * K * Cig,
                    K * Cig, bias ? 1.0f : 0.0f, yr + gi * Cog, Co);
    }
    free(wp);
    free(col);
}

/* ACCUMULATES. dcol_g = dy_g Wp_g (then col2im into dx), dWp_g += dy_g^T col_g, db += colsum dy. */
void nn_conv1d_backward(float *dx, float *dw, float *db, const float *dy, const float *x, const float *w, size_t B,
                        size_t T, size_t Ci, size_t Co, const nn_conv1d_geom *g) {
    size_t To = nn_conv1d_out_len(T, g), K = g->k, G = g->groups, Cig = Ci / G, Cog = Co / G, KC = K * Ci;
    size_t rows = B * To;
    if (!rows) return;
    int direct = nn_conv_is_pointwise(g);
    size_t Rmax = direct ? rows : nn_chunk_rows(rows, KC);
    float *wp = malloc(Co * Cig * K * sizeof *wp), *dwp = calloc(Co * Cig * K, sizeof *dwp);
    float *col = direct ? NULL : malloc(Rmax * KC * sizeof *col);
    float *dcol = direct ? NULL : malloc(Rmax * KC * sizeof *dcol);
    if (!wp || !dwp || (!direct && (!col || !dcol))) {
        free(wp); free(dwp); free(col); free(dcol);
        nn_conv1d_backward_ref(dx, dw, db, dy, x, w, B, T, Ci, Co, g);
        return;
    }
    nn_permute_ck_to_kc(wp, w, Co, Cig, K);
    for (size_t r0 = 0; r0 < rows; r0 += Rmax) {
        size_t R = rows - r0 < Rmax ? rows - r0 : Rmax;
        const float *dyr = dy + r0 * Co;
        const float *cm = direct ? x + r0 * Ci : col;
        if (!direct) nn_im2col(col, x, r0, R, To, T, Ci, G, g);
        for (size_t gi = 0; gi < G; gi++) {
            nn_gemm(NN_GEMM_T, NN_GEMM_N, Cog, K * Cig, R, 1.0f, dyr + gi * Cog, Co, cm + gi * K * Cig, KC, 1.0f,
                    dwp + gi * Cog * K * Cig, K * Cig);
            if (dx) {
                /* pointwise: dx rows are the col rows, accumulate straight into them */
                float *dc = direct ? dx + r0 * Ci : dcol;
                nn_gemm(NN_GEMM_N, NN_GEMM_N, R, K * Cig, Cog, 1.0f, dyr + gi * Cog, Co, wp + gi * Cog * K * Cig,
                        K * Cig, direct ? 1.0f : 0.0f, dc + gi * K * Cig, KC);
            }
        }
        if (dx && !direct) nn_col2im_acc(dx, dcol, r0, R, To, T, Ci, G, g);
    }
    nn_permute_kc_acc_ck(dw, dwp, Co, Cig, K);
    if (db) nn_colsum_acc(db, dy, rows, Co);
    free(wp); free(dwp); free(col); free(dcol);
}

/* ---- conv-transpose1d: col_g = x_g Wp_g (R, K*Cog) per group, then col2im into y; Wp (Ci, K, Cog).
 * The scatter geometry is conv1d's with the roles of input and output exchanged: input row t feeds output
 * rows t*s - p + j*dil, exactly the rows conv1d's output t reads. */
void nn_conv_transpose1d_forward(float *y, const float *x, const float *w, const float *bias, size_t B, size_t T,
                                 size_t Ci, size_t Co, const nn_conv1d_geom *g) {
    size_t To = nn_conv_transpose1d_out_len(T, g), K = g->k, G = g->groups, Cig = Ci / G, Cog = Co / G;
    size_t KC = K * Co, rows = B * T;
    if (!rows || !To) return;
    size_t Rmax = nn_chunk_rows(rows, KC);
    float *wp = malloc(Ci * Cog * K * sizeof *wp), *col = malloc(Rmax * KC * sizeof *col);
    if (!wp || !col) {
        free(wp); free(col);
        nn_conv_transpose1d_forward_ref(y, x, w, bias, B, T, Ci, Co, g);
        return;
    }
    nn_permute_ck_to_kc(wp, w, Ci, Cog, K);
    NN_OMP_FOR(B * To * Co)
    for (size_t r = 0; r < B * To; r++) {
        if (bias) memcpy(y + r * Co, bias, Co * sizeof *y);
        else memset(y + r * Co, 0, Co * sizeof *y);
    }
    for (size_t r0 = 0; r0 < rows; r0 += Rmax) {
        size_t R = rows - r0 < Rmax ? rows - r0 : Rmax;
        for (size_t gi = 0; gi < G; gi++)
            nn_gemm(NN_GEMM_N, NN_GEMM_N, R, K * Cog, Cig, 1.0f, x + r0 * Ci + gi * Cig, Ci,
                    wp + gi * Cig * K * Cog, K * Cog, 0.0f, col + gi * K * Cog, KC);
        nn_col2im_acc(y, col, r0, R, T, To, Co, G, g);
    }
    free(wp);
    free(col);
}

/* ACCUMULATES. dcol = im2col(dy) on the input grid, dx_g += dcol_g Wp_g^T, dWp_g += x_g^T dcol_g. */
void nn_conv_transpose1d_backward(float *dx, float *dw, float *db, const float *dy, const float *x, const float *w,
                                  size_t B, size_t T, size_t Ci, size_t Co, const nn_conv1d_geom *g) {
    size_t To = nn_conv_transpose1d_out_len(T, g), K = g->k, G = g->groups, Cig = Ci / G, Cog = Co / G;
    size_t KC = K * Co, rows = B * T;
    if (!rows || !To) return;
    size_t Rmax = nn_chunk_rows(rows, KC);
    float *wp = malloc(Ci * Cog * K * sizeof *wp), *dwp = calloc(Ci * Cog * K, sizeof *dwp);
    float *col = malloc(Rmax * KC * sizeof *col);
    if (!wp || !dwp || !col) {
        free(wp); free(dwp); free(col);
        nn_conv_transpose1d_backward_ref(dx, dw, db, dy, x, w, B, T, Ci, Co, g);
        return;
    }
    nn_permute_ck_to_kc(wp, w, Ci, Cog, K);
    for (size_t r0 = 0; r0 < rows; r0 += Rmax) {
        size_t R = rows - r0 < Rmax ? rows - r0 : Rmax;
        nn_im2col(col, dy, r0, R, T, To, Co, G, g);
        for (size_t gi = 0; gi < G; gi++) {
            if (dx)
                nn_gemm(NN_GEMM_N, NN_GEMM_T, R, Cig, K * Cog, 1.0f, col + gi * K * Cog, KC,
                        wp + gi * Cig * K * Cog, K * Cog, 1.0f, dx + r0 * Ci + gi * Cig, Ci);
            nn_gemm(NN_GEMM_T, NN_GEMM_N, Cig, K * Cog, R, 1.0f, x + r0 * Ci + gi * Cig, Ci, col + gi * K * Cog,
                    KC, 1.0f, dwp + gi * Cig * K * Cog, K * Cog);
        }
    }
    nn_permute_kc_acc_ck(dw, dwp, Ci, Cog, K);
    if (db) nn_colsum_acc(db, dy, B * To, Co);
    free(wp); free(dwp); free(col);
}

/* ---- resampling ---- */
void nn_upsample_forward(float *y, const float *x, size_t B, size_t T, size_t C, size_t s) {
    NN_OMP_FOR(B * T * s * C)
    for (size_t r = 0; r < B * T * s; r++) {
        size_t b = r / (T * s), t = r % (T * s);
        memcpy(y + r * C, x + (b * T + t / s) * C, C * sizeof *y);
    }
}
void nn_upsample_backward(float *dx, const float *dy, size_t B, size_t T, size_t C, size_t s) {
    NN_OMP_FOR(B * T * s * C)
    for (size_t r = 0; r < B * T; r++) {
        float *restrict d = dx + r * C;
        for (size_t j = 0; j < s; j++) {
            const float *restrict g = dy + (r * s + j) * C;
            for (size_t c = 0; c < C; c++) d[c] += g[c];
        }
    }
}
void nn_avgpool_forward(float *y, const float *x, size_t B, size_t T, size_t C, size_t s) {
    size_t To = T / s;
    float inv = 1.0f / (float)s;
    NN_OMP_FOR(B * To * s * C)
    for (size_t r = 0; r < B * To; r++) {
        size_t b = r / To, t = r % To;
        float *restrict yr = y + r * C;
        memset(yr, 0, C * sizeof *yr);
        for (size_t j = 0; j < s; j++) {
            const float *restrict xr = x + (b * T + t * s + j) * C;
            for (size_t c = 0; c < C; c++) yr[c] += xr[c];
        }
        for (size_t c = 0; c < C; c++) yr[c] *= inv;
    }
}
void nn_avgpool_backward(float *dx, const float *dy, size_t B, size_t T, size_t C, size_t s) {
    size_t To = T / s;
    float inv = 1.0f / (float)s;
    NN_OMP_FOR(B * To * s * C)
    for (size_t r = 0; r < B * To; r++) {
        size_t b = r / To, t = r % To;
        const float *restrict g = dy + r * C;
        for (size_t j = 0; j < s; j++) {
            float *restrict d = dx + (b * T + t * s + j) * C;
            for (size_t c = 0; c < C; c++) d[c] += g[c] * inv;
        }
    }
}
void nn_maxpool_forward(float *y, size_t *idx, const float *x, size_t B, size_t T, size_t C, size_t k,
                        size_t stride) {
    size_t To = (T - k) / stride + 1;
    NN_OMP_FOR(B * To * k * C)
    for (size_t r = 0; r < B * To; r++) {
        size_t b = r / To, t0 = (r % To) * stride;
        float *restrict yr = y + r * C;
        size_t *restrict ir = idx + r * C;
        memcpy(yr, x + (b * T + t0) * C, C * sizeof *yr);
        for (size_t c = 0; c < C; c++) ir[c] = t0;
        for (size_t j = 1; j < k; j++) {
            const float *restrict xr = x + (b * T + t0 + j) * C;
            for (size_t c = 0; c < C; c++)
                if (xr[c] > yr[c]) { yr[c] = xr[c]; ir[c] = t0 + j; }
        }
    }
}
void nn_maxpool_backward(float *dx, const float *dy, const size_t *idx, size_t B, size_t To, size_t T, size_t C) {
    /* overlapping windows may share an argmax: parallel over batch items only, rows in order inside */
    NN_OMP_FOR(B * To * C)
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < To; t++)
            for (size_t c = 0; c < C; c++) dx[(b * T + idx[(b * To + t) * C + c]) * C + c] += dy[(b * To + t) * C + c];
}

/* ---- LayerNorm / GroupNorm ---- */
void nn_layernorm_forward(float *y, float *mean, float *rstd, const float *x, const float *w, const float *b,
                          size_t N, size_t C, float eps) {
    NN_OMP_FOR(N * C)
    for (size_t n = 0; n < N; n++) {
        const float *restrict xr = x + n * C;
        float *restrict yr = y + n * C;
        float m = nn_sum8(xr, C) / (float)C;
        /* two-pass variance (sum of squared deviations): no cancellation for large means */
        for (size_t c = 0; c < C; c++) yr[c] = xr[c] - m;
        float v = nn_dot8(yr, yr, C) / (float)C;
        float rs = 1.0f / sqrtf(v + eps);
        if (w) for (size_t c = 0; c < C; c++) yr[c] = yr[c] * rs * w[c] + b[c];
        else for (size_t c = 0; c < C; c++) yr[c] *= rs;
        mean[n] = m;
        rstd[n] = rs;
    }
}

/* LayerNorm parameter gradients: dw[c] += sum_n dy xhat, db[c] += sum_n dy. Parallel over blocks of 64
 * channels, each summed over rows in row order: deterministic for any thread count. */
static void nn_layernorm_param_grads(float *dw, float *db, const float *dy, const float *x, const float *mean,
                                     const float *rstd, size_t N, size_t C) {
    size_t nblk = (C + 63) / 64;
    NN_OMP_FOR(N * C)
    for (size_t blk = 0; blk < nblk; blk++) {
        size_t c0 = blk * 64, nc = C - c0 < 64 ? C - c0 : 64;
        float aw[64], ab[64];
        memset(aw, 0, sizeof aw);
        memset(ab, 0, sizeof ab);
        for (size_t n = 0; n < N; n++) {
            const float *restrict g = dy + n * C + c0, *restrict xr = x + n * C + c0;
            float m = mean[n], rs = rstd[n];
            for (size_t c = 0; c < nc; c++) {
                aw[c] += g[c] * ((xr[c] - m) * rs);
                ab[c] += g[c];
            }
        }
        for (size_t c = 0; c < nc; c++) { dw[c0 + c] += aw[c]; db[c0 + c] += ab[c]; }
    }
}

/* ACCUMULATES. dx += rstd (g - mean(g) - xhat mean(g xhat)), g = dy w (llm.c layernorm_backward). */
void nn_layernorm_backward(float *dx, float *dw, float *db, const float *dy, const float *x, const float *mean,
                           const float *rstd, const float *w, size_t N, size_t C) {
    if (dx) {
        NN_OMP_FOR(N * C)
        for (size_t n = 0; n < N; n++) {
            const float *restrict xr = x + n * C, *restrict g = dy + n * C;
            float *restrict d = dx + n * C;
            float m = mean[n], rs = rstd[n], gm[8] = {0}, gx[8] = {0};
            size_t c = 0;
            for (; c + 8 <= C; c += 8)
                for (int u = 0; u < 8; u++) {
                    float gv = w ? g[c + u] * w[c + u] : g[c + u], xh = (xr[c + u] - m) * rs;
                    gm[u] += gv;
                    gx[u] += gv * xh;
                }
            for (; c < C; c++) {
                float gv = w ? g[c] * w[c] : g[c], xh = (xr[c] - m) * rs;
                gm[0] += gv;
                gx[0] += gv * xh;
            }
            float sgm = nn_sum8(gm, 8) / (float)C, sgx = nn_sum8(gx, 8) / (float)C;
            for (c = 0; c < C; c++) {
                float gv = w ? g[c] * w[c] : g[c], xh = (xr[c] - m) * rs;
                d[c] += (gv - sgm - xh * sgx) * rs;
            }
        }
    }
    if (w) nn_layernorm_param_grads(dw, db, dy, x, mean, rstd, N, C);
}

/* GroupNorm on channel-last data: a group's channels are a few scattered columns of each row, so the statistics
 * are formed per channel first (sums over T, vectorised across C, in double), then combined per group; the
 * normalisation is then a per-channel affine map y = x A[c] + Z[c]. Parallel over batch items (disjoint). */
void nn_groupnorm_forward(float *y, float *mean, float *rstd, const float *x, const float *w, const float *b,
                          size_t B, size_t T, size_t C, size_t G, float eps) {
    size_t Cg = C / G;
    double cnt = (double)T * (double)Cg;
    double *acc = malloc(B * C * sizeof *acc + 1);
    float *az = malloc(2 * B * C * sizeof *az + 1);
    if (!acc || !az) {
        free(acc); free(az);
        nn_groupnorm_forward_ref(y, mean, rstd, x, w, b, B, T, C, G, eps);
        return;
    }
    NN_OMP_FOR(B * T * C)
    for (size_t bi = 0; bi < B; bi++) {
        double *restrict s = acc + bi * C;
        float *restrict A = az + 2 * bi * C, *restrict Z = A + C;
        const float *xb = x + bi * T * C;
        for (size_t c = 0; c < C; c++) s[c] = 0.0;
        for (size_t t = 0; t < T; t++) {
            const float *restrict xr = xb + t * C;
            for (size_t c = 0; c < C; c++) s[c] += xr[c];
        }
        for (size_t gi = 0; gi < G; gi++) {
            double m = 0.0;
            for (size_t c = gi * Cg; c < (gi + 1) * Cg; c++) m += s[c];
            mean[bi * G + gi] = (float)(m / cnt);
        }
        /* two-pass variance: squared deviations from the group mean */
        for (size_t c = 0; c < C; c++) { s[c] = 0.0; A[c] = mean[bi * G + c / Cg]; }
        for (size_t t = 0; t < T; t++) {
            const float *restrict xr = xb + t * C;
            for (size_t c = 0; c < C; c++) {
                double d = (double)xr[c] - A[c];
                s[c] += d * d;
            }
        }
        for (size_t gi = 0; gi < G; gi++) {
            double v = 0.0;
            for (size_t c = gi * Cg; c < (gi + 1) * Cg; c++) v += s[c];
            rstd[bi * G + gi] = (float)(1.0 / sqrt(v / cnt + (double)eps));
        }
        for (size_t c = 0; c < C; c++) {
            float m = mean[bi * G + c / Cg], rs = rstd[bi * G + c / Cg];
            A[c] = w ? rs * w[c] : rs;
            Z[c] = (w ? b[c] : 0.0f) - m * A[c];
        }
        for (size_t t = 0; t < T; t++) {
            const float *restrict xr = xb + t * C;
            float *restrict yr = y + (bi * T + t) * C;
            for (size_t c = 0; c < C; c++) yr[c] = xr[c] * A[c] + Z[c];
        }
    }
    free(acc);
    free(az);
}

/* ACCUMULATES. Per channel S1 = sum_t dy, S2 = sum_t dy x (double); per group with g = dy w,
 * n = T Cg:  mean(g) = sum_c w S1 / n,  mean(g xhat) = rs sum_c w (S2 - m S1) / n, and
 * dx = rs (g - mean(g) - xhat mean(g xhat)) = dy (rs w) + x (-rs^2 mean(g xhat)) + (m rs^2 mean(g xhat) - rs mean(g)),
 * a per-channel map. dw += sum_b rs (S2 - m S1), db += sum_b S1, summed over b in order. */
void nn_groupnorm_backward(float *dx, float *dw, float *db, const float *dy, const float *x, const float *mean,
                           const float *rstd, const float *w, size_t B, size_t T, size_t C, size_t G) {
    size_t Cg = C / G;
    double cnt = (double)T * (double)Cg;
    double *acc = malloc(2 * B * C * sizeof *acc + 1);
    float *coef = malloc(3 * B * C * sizeof *coef + 1);
    if (!acc || !coef) {
        free(acc); free(coef);
        nn_groupnorm_backward_ref(dx, dw, db, dy, x, mean, rstd, w, B, T, C, G);
        return;
    }
    NN_OMP_FOR(B * T * C)
    for (size_t bi = 0; bi < B; bi++) {
        double *restrict s1 = acc + 2 * bi * C, *restrict s2 = s1 + C;
        for (size_t c = 0; c < C; c++) { s1[c] = 0.0; s2[c] = 0.0; }
        for (size_t t = 0; t < T; t++) {
            const float *restrict g = dy + (bi * T + t) * C, *restrict xr = x + (bi * T + t) * C;
            for (size_t c = 0; c < C; c++) { s1[c] += g[c]; s2[c] += (double)g[c] * xr[c]; }
        }
        if (!dx) continue;
        float *restrict al = coef + 3 * bi * C, *restrict be = al + C, *restrict ga = be + C;
        for (size_t gi = 0; gi < G; gi++) {
            double m = mean[bi * G + gi], rs = rstd[bi * G + gi], gm = 0.0, gx = 0.0;
            for (size_t c = gi * Cg; c < (gi + 1) * Cg; c++) {
                double wc = w ? w[c] : 1.0;
                gm += wc * s1[c];
                gx += wc * (s2[c] - m * s1[c]);
            }
            gm /= cnt;
            gx = gx * rs / cnt;
            for (size_t c = gi * Cg; c < (gi + 1) * Cg; c++) {
                al[c] = (float)(rs * (w ? w[c] : 1.0));
                be[c] = (float)(-rs * rs * gx);
                ga[c] = (float)(m * rs * rs * gx - rs * gm);
            }
        }
        for (size_t t = 0; t < T; t++) {
            const float *restrict g = dy + (bi * T + t) * C, *restrict xr = x + (bi * T + t) * C;
            float *restrict d = dx + (bi * T + t) * C;
            for (size_t c = 0; c < C; c++) d[c] += g[c] * al[c] + xr[c] * be[c] + ga[c];
        }
    }
    if (w)
        for (size_t c = 0; c < C; c++) {
            double sw = 0.0, sb = 0.0;
            for (size_t bi = 0; bi < B; bi++) {
                const double *s1 = acc + 2 * bi * C, *s2 = s1 + C;
                double m = mean[bi * G + c / Cg], rs = rstd[bi * G + c / Cg];
                sw += rs * (s2[c] - m * s1[c]);
                sb += s1[c];
            }
            dw[c] += (float)sw;
            db[c] += (float)sb;
        }
    free(acc);
    free(coef);
}

/* ---- activations ---- */
void nn_silu_forward(float *y, const float *x, size_t n) {
    NN_OMP_FOR(n)
    for (size_t i = 0; i < n; i++) y[i] = x[i] / (1.0f + nn_expf(-x[i]));
}
void nn_silu_backward(float *dx, const float *dy, const float *x, size_t n) {
    NN_OMP_FOR(n)
    for (size_t i = 0; i < n; i++) {
        float s = 1.0f / (1.0f + nn_expf(-x[i]));
        dx[i] += dy[i] * s * (1.0f + x[i] * (1.0f - s));
    }
}
/* 0.5 x (1 + tanh u) = x sigmoid(2u): no cancellation for negative x, where 1 + tanh u is tiny */
void nn_gelu_tanh_forward(float *y, const float *x, size_t n) {
    NN_OMP_FOR(n)
    for (size_t i = 0; i < n; i++) {
        float xv = x[i], u2 = 1.5957691216057308f * (xv + 0.044715f * xv * xv * xv);
        y[i] = xv / (1.0f + nn_expf(-u2));
    }
}
/* d/dx: 0.5(1 + tanh u) + 0.5 x (1 - tanh^2 u) u'  with 1 + tanh u = 2s, 1 - tanh^2 u = 4 s (1-s), s = sigmoid(2u) */
void nn_gelu_tanh_backward(float *dx, const float *dy, const float *x, size_t n) {
    NN_OMP_FOR(n)
    for (size_t i = 0; i < n; i++) {
        float xv = x[i], u2 = 1.5957691216057308f * (xv + 0.044715f * xv * xv * xv);
        float s = 1.0f / (1.0f + nn_expf(-u2));
        float du = 0.7978845608028654f * (1.0f + 0.134145f * xv * xv);
        dx[i] += dy[i] * (s + 2.0f * xv * s * (1.0f - s) * du);
    }
}
/* Phi(x) = 0.5 erfc(-x/sqrt 2), the normal CDF, vectorisable: erfc(z) for z >= 0 by the Chebyshev-fitted
 * erfcc of Numerical Recipes (2nd ed., sec. 6.2; fractional error < 1.2e-7 everywhere), erfc(-z) = 2 - erfc(z),
 * with nn_expf. libm's erfcf does not vectorise and cost ~10x more in the MLP of a transformer. */
static inline float nn_normal_cdf(float x) {
    float z = fabsf(x) * 0.7071067811865476f, t = 1.0f / (1.0f + 0.5f * z);
    float p = 0.17087277f;
    p = p * t - 0.82215223f;
    p = p * t + 1.48851587f;
    p = p * t - 1.13520398f;
    p = p * t + 0.27886807f;
    p = p * t - 0.18628806f;
    p = p * t + 0.09678418f;
    p = p * t + 0.37409196f;
    p = p * t + 1.00002368f;
    p = p * t - 1.26551223f;
    float half_erfc = 0.5f * t * nn_expf(p - z * z);
    return x >= 0.0f ? 1.0f - half_erfc : half_erfc;
}
void nn_gelu_erf_forward(float *y, const float *x, size_t n) {
    NN_OMP_FOR(n)
    for (size_t i = 0; i < n; i++) y[i] = x[i] * nn_normal_cdf(x[i]);   /* 0.5 x (1 + erf(x/sqrt 2)) */
}
void nn_gelu_erf_backward(float *dx, const float *dy, const float *x, size_t n) {
    NN_OMP_FOR(n)
    for (size_t i = 0; i < n; i++) {
        float xv = x[i];
        float d = nn_normal_cdf(xv) + xv * nn_expf(-0.5f * xv * xv) * 0.3989422804014327f;   /* Phi + x phi */
        dx[i] += dy[i] * d;
    }
}

/* ---- DiT modulate / gated residual ---- */
void nn_modulate_forward(float *y, const float *x, const float *shift, const float *scale, size_t B, size_t T,
                         size_t C) {
    NN_OMP_FOR(B * T * C)
    for (size_t r = 0; r < B * T; r++) {
        const float *restrict sh = shift + (r / T) * C, *restrict sc = scale + (r / T) * C;
        const float *xr = x + r * C;
        float *yr = y + r * C;   /* may alias xr: elementwise */
        for (size_t c = 0; c < C; c++) yr[c] = xr[c] * (1.0f + sc[c]) + sh[c];
    }
}
void nn_modulate_backward(float *dx, float *dshift, float *dscale, const float *dy, const float *x,
                          const float *scale, size_t B, size_t T, size_t C) {
    if (dx) {
        NN_OMP_FOR(B * T * C)
        for (size_t r = 0; r < B * T; r++) {
            const float *restrict sc = scale + (r / T) * C, *restrict g = dy + r * C;
            float *restrict d = dx + r * C;
            for (size_t c = 0; c < C; c++) d[c] += g[c] * (1.0f + sc[c]);
        }
    }
    NN_OMP_FOR(B * T * C)
    for (size_t b = 0; b < B; b++) {
        float *restrict dsh = dshift + b * C, *restrict dsc = dscale + b * C;
        for (size_t t = 0; t < T; t++) {
            const float *restrict g = dy + (b * T + t) * C, *restrict xr = x + (b * T + t) * C;
            for (size_t c = 0; c < C; c++) { dsh[c] += g[c]; dsc[c] += g[c] * xr[c]; }
        }
    }
}
void nn_gate_add_forward(float *out, const float *res, const float *gate, const float *h, size_t B, size_t T,
                         size_t C) {
    NN_OMP_FOR(B * T * C)
    for (size_t r = 0; r < B * T; r++) {
        const float *restrict gt = gate + (r / T) * C, *restrict hr = h + r * C;
        const float *rr = res + r * C;
        float *o = out + r * C;   /* may alias rr */
        for (size_t c = 0; c < C; c++) o[c] = rr[c] + gt[c] * hr[c];
    }
}
void nn_gate_add_backward(float *dres, float *dgate, float *dh, const float *dout, const float *gate,
                          const float *h, size_t B, size_t T, size_t C) {
    NN_OMP_FOR(B * T * C)
    for (size_t r = 0; r < B * T; r++) {
        const float *restrict gt = gate + (r / T) * C, *restrict g = dout + r * C;
        float *restrict d = dh + r * C;
        for (size_t c = 0; c < C; c++) d[c] += g[c] * gt[c];
        if (dres) {
            float *restrict dr = dres + r * C;
            for (size_t c = 0; c < C; c++) dr[c] += g[c];
        }
    }
    NN_OMP_FOR(B * T * C)
    for (size_t b = 0; b < B; b++) {
        float *restrict dg = dgate + b * C;
        for (size_t t = 0; t < T; t++) {
            const float *restrict g = dout + (b * T + t) * C, *restrict hr = h + (b * T + t) * C;
            for (size_t c = 0; c < C; c++) dg[c] += g[c] * hr[c];
        }
    }
}

/* ---- timestep embedding: DiT TimestepEmbedder.timestep_embedding, freqs and t*freq in float32 as there ---- */
void nn_timestep_embedding(float *out, const float *t, size_t N, size_t dim, float max_period) {
    size_t half = dim / 2;
    float lmp = logf(max_period);
    for (size_t n = 0; n < N; n++) {
        float *o = out + n * dim;
        for (size_t i = 0; i < half; i++) {
            float freq = expf(-lmp * (float)i / (float)half);
            float arg = t[n] * freq;
            o[i] = (float)cos((double)arg);
            o[half + i] = (float)sin((double)arg);
        }
        if (dim % 2) o[dim - 1] = 0.0f;
    }
}

/* ---- RoPE: cos/sin table per (t, i) computed once in double ---- */
static float *nn_rope_table(size_t T, size_t D, size_t pos0, float base) {
    size_t half = D / 2;
    float *tab = malloc(2 * T * half * sizeof *tab + 1);
    if (!tab) return NULL;
    for (size_t i = 0; i < half; i++) {
        double inv = pow((double)base, -2.0 * (double)i / (double)D);
        for (size_t t = 0; t < T; t++) {
            double ang = (double)(pos0 + t) * inv;
            tab[(2 * t) * half + i] = (float)cos(ang);
            tab[(2 * t + 1) * half + i] = (float)sin(ang);
        }
    }
    return tab;
}
void nn_rope_forward(float *y, const float *x, size_t B, size_t T, size_t H, size_t D, size_t ldy, size_t ldx,
                     size_t pos0, float base) {
    size_t half = D / 2;
    float *tab = nn_rope_table(T, D, pos0, base);
    if (!tab) { nn_rope_forward_ref(y, x, B, T, H, D, ldy, ldx, pos0, base); return; }
    NN_OMP_FOR(B * T * H * D)
    for (size_t r = 0; r < B * T; r++) {
        const float *restrict cs = tab + (2 * (r % T)) * half, *restrict sn = cs + half;
        for (size_t h = 0; h < H; h++) {
            const float *xr = x + r * ldx + h * D;
            float *yr = y + r * ldy + h * D;   /* may alias xr: each pair is read before it is written */
            for (size_t i = 0; i < half; i++) {
                float x1 = xr[i], x2 = xr[i + half];
                yr[i] = x1 * cs[i] - x2 * sn[i];
                yr[i + half] = x2 * cs[i] + x1 * sn[i];
            }
        }
    }
    free(tab);
}
void nn_rope_backward(float *dx, const float *dy, size_t B, size_t T, size_t H, size_t D, size_t ldx, size_t ldy,
                      size_t pos0, float base) {
    size_t half = D / 2;
    float *tab = nn_rope_table(T, D, pos0, base);
    if (!tab) { nn_rope_backward_ref(dx, dy, B, T, H, D, ldx, ldy, pos0, base); return; }
    NN_OMP_FOR(B * T * H * D)
    for (size_t r = 0; r < B * T; r++) {
        const float *restrict cs = tab + (2 * (r % T)) * half, *restrict sn = cs + half;
        for (size_t h = 0; h < H; h++) {
            const float *restrict g = dy + r * ldy + h * D;
            float *restrict d = dx + r * ldx + h * D;
            for (size_t i = 0; i < half; i++) {
                float g1 = g[i], g2 = g[i + half];
                d[i] += g1 * cs[i] + g2 * sn[i];
                d[i + half] += g2 * cs[i] - g1 * sn[i];
            }
        }
    }
    free(tab);
}

/* ---- dropout forward (backward is in layers_ref.inc) ---- */
void nn_dropout_forward(float *y, uint8_t *mask, const float *x, size_t n, float p, momu_rng *rng) {
    float keep = p > 0.0f ? 1.0f / (1.0f - p) : 1.0f;
    for (size_t i = 0; i < n; i++) {
        mask[i] = p > 0.0f ? (uint8_t)(momu_rng_uniform(rng) >= p) : 1;
        y[i] = mask[i] ? x[i] * keep : 0.0f;
    }
}
