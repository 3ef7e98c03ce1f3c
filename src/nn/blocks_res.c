/* The 1-D conv residual block of the VAEs (include/momu/nn_blocks.h), LDM's ResnetBlock
 * (ldm/modules/diffusionmodules/model.py) in 1-D without the time embedding and dropout:
 *   h = conv1(SiLU(norm1(x)));  h = conv2(SiLU(norm2(h)));  y = nin_shortcut(x) + h
 * Dimensions: B batch, T frames, Ci/Co channels in/out, G groups; activations (B,T,C), weights (Co,Ci,K).
 * Built from the layers of nn_layers.h (GroupNorm, SiLU, Conv1d); each is deterministic for any thread
 * count, so the block is too. */
#include <stdio.h>
#include <string.h>

#include "momu/nn_blocks.h"
#include "momu/nn_gemm.h"
#include "momu/nn_layers.h"

static size_t res_round16(size_t n) { return (n + 15) & ~(size_t)15; }

/* db[j] += sum_i dy[i, j], rows in order, in double (deterministic). */
static void res_colsum_acc(float *db, const float *dy, size_t N, size_t M) {
    enum { CB = 64 };
    size_t n_ch = (M + CB - 1) / CB;
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
    for (size_t ch = 0; ch < n_ch; ch++) {
        size_t j0 = ch * CB, nj = M - j0 < CB ? M - j0 : CB;
        double s[CB] = {0};
        for (size_t i = 0; i < N; i++)
            for (size_t j = 0; j < nj; j++) s[j] += dy[i * M + j0 + j];
        for (size_t j = 0; j < nj; j++) db[j0 + j] += (float)s[j];
    }
}

static const char *const RES_NAMES[10] = {"norm1.weight", "norm1.bias", "conv1.weight", "conv1.bias",
                                          "norm2.weight", "norm2.bias", "conv2.weight", "conv2.bias",
                                          "nin_shortcut.weight", "nin_shortcut.bias"};

momu_status res_block_register(res_block *rb, tensor_table *tab, const char *prefix, size_t Ci, size_t Co,
                               size_t G, momu_err *e) {
    if (Ci == 0 || Co == 0 || G == 0 || Ci % G || Co % G)
        return momu_fail(e, MOMU_ERR_ARG, "res block: %zu groups must divide the channels %zu and %zu", G, Ci, Co);
    memset(rb, 0, sizeof *rb);
    rb->Ci = Ci; rb->Co = Co; rb->G = G;
    size_t shapes[10][3] = {{Ci, 0, 0}, {Ci, 0, 0}, {Co, Ci, 3}, {Co, 0, 0}, {Co, 0, 0},
                            {Co, 0, 0}, {Co, Co, 3}, {Co, 0, 0}, {Co, Ci, 1}, {Co, 0, 0}};
    for (int i = 0; i < 10; i++) {
        rb->id[i] = -1;
        if (i >= 8 && Ci == Co) continue;              /* identity shortcut */
        char name[TENSOR_NAME_MAX + 1];
        int len = snprintf(name, sizeof name, "%s%s", prefix ? prefix : "", RES_NAMES[i]);
        if (len < 0 || (size_t)len >= sizeof name) return momu_fail(e, MOMU_ERR_ARG, "res block: prefix '%s' too long", prefix);
        int ndim = shapes[i][1] ? 3 : 1;
        /* decay on conv weights only (norm affine parameters and biases: no decay) */
        rb->id[i] = table_add(tab, name, ndim == 3, ndim, shapes[i], e);
        if (rb->id[i] < 0) return e ? e->status : MOMU_ERR_ARG;
    }
    return MOMU_OK;
}

void res_block_bind(res_block_w *w, const res_block *rb, const tensor_table *tab, float *base) {
    float **p[10] = {&w->norm1_w, &w->norm1_b, &w->conv1_w, &w->conv1_b, &w->norm2_w,
                     &w->norm2_b, &w->conv2_w, &w->conv2_b, &w->skip_w,  &w->skip_b};
    for (int i = 0; i < 10; i++) *p[i] = rb->id[i] >= 0 ? table_ptr(tab, base, rb->id[i]) : NULL;
}

typedef struct {
    float *mean1, *rstd1;   /* (B,G) */
    float *n1, *s1;         /* (B,T,Ci) norm1(x), SiLU of it */
    float *h;               /* (B,T,Co) conv1 output */
    float *mean2, *rstd2;   /* (B,G) */
    float *n2, *s2;         /* (B,T,Co) */
    float *wp1, *wp2;       /* conv1/conv2 weights permuted to (Co,3,Ci) / (Co,3,Co) (res_conv3_forward) */
} res_acts;

static size_t res_acts_carve(res_acts *A, float *base, const res_block *rb, size_t B, size_t T) {
    size_t off = 0, BG = B * rb->G, NI = B * T * rb->Ci, NO = B * T * rb->Co;
    float **p[11] = {&A->mean1, &A->rstd1, &A->n1, &A->s1, &A->h, &A->mean2, &A->rstd2, &A->n2, &A->s2,
                     &A->wp1, &A->wp2};
    size_t n[11] = {BG, BG, NI, NI, NO, BG, BG, NO, NO, rb->Co * 3 * rb->Ci, rb->Co * 3 * rb->Co};
    for (int i = 0; i < 11; i++) {
        *p[i] = base ? base + off : NULL;
        off += res_round16(n[i]);
    }
    return off;
}

size_t res_block_act_size(const res_block *rb, size_t B, size_t T) {
    res_acts A;
    return res_acts_carve(&A, NULL, rb, B, T);
}

/* three (B,T,max(Ci,Co)) gradient buffers and one (Co,3,max(Ci,Co)) permuted weight gradient */
size_t res_block_scratch_size(const res_block *rb, size_t B, size_t T) {
    size_t C = rb->Ci > rb->Co ? rb->Ci : rb->Co;
    return 3 * res_round16(B * T * C) + res_round16(rb->Co * 3 * C);
}

/* ---- Conv1d(k=3, padding=1) as three shifted matrix products (no im2col buffer) -----------------------
 * With the weight permuted to wp (Co,3,Ci), tap j is the (Co,Ci) matrix wp + j*Ci with row stride 3Ci, and
 *   y[b,t] = bias + sum_j x[b, t-1+j] W_j^T      (rows t-1+j outside [0,T) are the zero padding)
 * so each tap is one sgemm over the rows where it applies, per batch element (torch.nn.Conv1d semantics:
 * cross-correlation). The im2col form needs a (B*T, 3Ci) copy per call; this needs none. */
static void res_permute_w(float *wp, const float *w, size_t Co, size_t Ci) {
    for (size_t o = 0; o < Co; o++)
        for (size_t c = 0; c < Ci; c++)
            for (size_t j = 0; j < 3; j++) wp[(o * 3 + j) * Ci + c] = w[(o * Ci + c) * 3 + j];
}

/* rows of the output (first, count) that tap j feeds, and the first input row it reads */
static void res_tap_rows(size_t j, size_t T, size_t *t_out, size_t *t_in, size_t *n) {
    if (j == 0) { *t_out = 1; *t_in = 0; *n = T - 1; }
    else if (j == 1) { *t_out = 0; *t_in = 0; *n = T; }
    else { *t_out = 0; *t_in = 1; *n = T - 1; }
}

/* y:(B,T,Co) = conv(x) + bias    x:(B,T,Ci)  wp:(Co,3,Ci)  bias:(Co) */
static void res_conv3_forward(float *y, const float *x, const float *wp, const float *bias, size_t B, size_t T,
                              size_t Ci, size_t Co) {
    for (size_t r = 0; r < B * T; r++) memcpy(y + r * Co, bias, Co * sizeof *y);
    /* the centre tap covers every row: one product over the whole batch */
    nn_gemm(NN_GEMM_N, NN_GEMM_T, B * T, Co, Ci, 1.0f, x, Ci, wp + Ci, 3 * Ci, 1.0f, y, Co);
    if (T < 2) return;
    for (size_t b = 0; b < B; b++)
        for (size_t j = 0; j < 3; j += 2) {
            size_t to, ti, n;
            res_tap_rows(j, T, &to, &ti, &n);
            nn_gemm(NN_GEMM_N, NN_GEMM_T, n, Co, Ci, 1.0f, x + (b * T + ti) * Ci, Ci, wp + j * Ci, 3 * Ci, 1.0f,
                    y + (b * T + to) * Co, Co);
        }
}

/* ACCUMULATES: dx += conv^T(dy) (dx may be NULL), dw (Co,Ci,3) += sum dy^T x per tap, db += colsum(dy).
 * dwp: (Co,3,Ci) scratch. */
static void res_conv3_backward(float *dx, float *dw, float *db, float *dwp, const float *dy, const float *x,
                               const float *wp, size_t B, size_t T, size_t Ci, size_t Co) {
    memset(dwp, 0, Co * 3 * Ci * sizeof *dwp);
    /* centre tap over the whole batch: dx += dy W_1, dW_1 += dy^T x */
    if (dx) nn_gemm(NN_GEMM_N, NN_GEMM_N, B * T, Ci, Co, 1.0f, dy, Co, wp + Ci, 3 * Ci, 1.0f, dx, Ci);
    nn_gemm(NN_GEMM_T, NN_GEMM_N, Co, Ci, B * T, 1.0f, dy, Co, x, Ci, 1.0f, dwp + Ci, 3 * Ci);
    if (T >= 2)
        for (size_t j = 0; j < 3; j += 2) {
            size_t to, ti, n;
            res_tap_rows(j, T, &to, &ti, &n);
            for (size_t b = 0; b < B; b++) {
                /* y[to + i] += x[ti + i] W_j^T  =>  dx[ti + i] += dy[to + i] W_j,  dW_j += dy[to + i]^T x[ti + i] */
                if (dx)
                    nn_gemm(NN_GEMM_N, NN_GEMM_N, n, Ci, Co, 1.0f, dy + (b * T + to) * Co, Co, wp + j * Ci, 3 * Ci,
                            1.0f, dx + (b * T + ti) * Ci, Ci);
                nn_gemm(NN_GEMM_T, NN_GEMM_N, Co, Ci, n, 1.0f, dy + (b * T + to) * Co, Co, x + (b * T + ti) * Ci, Ci,
                        1.0f, dwp + j * Ci, 3 * Ci);
            }
        }
    for (size_t o = 0; o < Co; o++)
        for (size_t c = 0; c < Ci; c++)
            for (size_t j = 0; j < 3; j++) dw[(o * Ci + c) * 3 + j] += dwp[(o * 3 + j) * Ci + c];
    res_colsum_acc(db, dy, B * T, Co);
}


void res_block_forward(float *y, float *act, const float *x, const res_block_w *w, const res_block *rb, size_t B,
                       size_t T) {
    size_t Ci = rb->Ci, Co = rb->Co, G = rb->G, NO = B * T * Co;
    res_acts A;
    res_acts_carve(&A, act, rb, B, T);
    nn_groupnorm_forward(A.n1, A.mean1, A.rstd1, x, w->norm1_w, w->norm1_b, B, T, Ci, G, RES_GN_EPS);
    nn_silu_forward(A.s1, A.n1, B * T * Ci);
    res_permute_w(A.wp1, w->conv1_w, Co, Ci);
    res_permute_w(A.wp2, w->conv2_w, Co, Co);
    res_conv3_forward(A.h, A.s1, A.wp1, w->conv1_b, B, T, Ci, Co);
    nn_groupnorm_forward(A.n2, A.mean2, A.rstd2, A.h, w->norm2_w, w->norm2_b, B, T, Co, G, RES_GN_EPS);
    nn_silu_forward(A.s2, A.n2, NO);
    /* y = conv2(s2) + shortcut(x). A 1x1 Conv1d with weight (Co,Ci,1) is a Linear with weight (Co,Ci): it
     * accumulates onto y through sgemm (beta = 1) instead of needing another (B,T,Co) buffer. */
    res_conv3_forward(y, A.s2, A.wp2, w->conv2_b, B, T, Co, Co);
    if (w->skip_w) {
        nn_gemm(NN_GEMM_N, NN_GEMM_T, B * T, Co, Ci, 1.0f, x, Ci, w->skip_w, Ci, 1.0f, y, Co);
        for (size_t r = 0; r < B * T; r++)
            for (size_t c = 0; c < Co; c++) y[r * Co + c] += w->skip_b[c];
    } else {
        for (size_t i = 0; i < NO; i++) y[i] += x[i];
    }
}

void res_block_backward(float *dx, const res_block_w *dw, float *scratch, const float *dy, const float *act,
                        const float *x, const res_block_w *w, const res_block *rb, size_t B, size_t T) {
    size_t Ci = rb->Ci, Co = rb->Co, G = rb->G, NI = B * T * Ci, NO = B * T * Co;
    res_acts A;
    res_acts_carve(&A, (float *)act, rb, B, T);
    size_t C = Ci > Co ? Ci : Co;
    float *g0 = scratch, *g1 = g0 + res_round16(B * T * C), *g2 = g1 + res_round16(B * T * C);
    float *dwp = g2 + res_round16(B * T * C);
    /* y = shortcut(x) + conv2(s2) */
    if (dx) {
        if (w->skip_w) nn_linear_backward(dx, dw->skip_w, dw->skip_b, dy, x, w->skip_w, B * T, Ci, Co);
        else for (size_t i = 0; i < NI; i++) dx[i] += dy[i];
    } else if (w->skip_w) {
        nn_linear_backward(NULL, dw->skip_w, dw->skip_b, dy, x, w->skip_w, B * T, Ci, Co);
    }
    memset(g0, 0, NO * sizeof *g0);
    res_conv3_backward(g0, dw->conv2_w, dw->conv2_b, dwp, dy, A.s2, A.wp2, B, T, Co, Co);           /* ds2 */
    memset(g1, 0, NO * sizeof *g1);
    nn_silu_backward(g1, g0, A.n2, NO);                                                            /* dn2 */
    memset(g2, 0, NO * sizeof *g2);
    nn_groupnorm_backward(g2, dw->norm2_w, dw->norm2_b, g1, A.h, A.mean2, A.rstd2, w->norm2_w, B, T, Co, G); /* dh */
    memset(g0, 0, NI * sizeof *g0);
    res_conv3_backward(g0, dw->conv1_w, dw->conv1_b, dwp, g2, A.s1, A.wp1, B, T, Ci, Co);           /* ds1 */
    memset(g1, 0, NI * sizeof *g1);
    nn_silu_backward(g1, g0, A.n1, NI);                                                            /* dn1 */
    /* the GroupNorm backward needs dx; without it only the norm1 parameter gradients are wanted */
    if (dx) nn_groupnorm_backward(dx, dw->norm1_w, dw->norm1_b, g1, x, A.mean1, A.rstd1, w->norm1_w, B, T, Ci, G);
    else {
        memset(g2, 0, NI * sizeof *g2);
        nn_groupnorm_backward(g2, dw->norm1_w, dw->norm1_b, g1, x, A.mean1, A.rstd1, w->norm1_w, B, T, Ci, G);
    }
}
