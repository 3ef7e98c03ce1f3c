/* The 1-D conv residual block of the VAEs (include/momu/nn_blocks.h), LDM's ResnetBlock
 * (ldm/modules/diffusionmodules/model.py) in 1-D without the time embedding and dropout:
 *   h = conv1(SiLU(norm1(x)));  h = conv2(SiLU(norm2(h)));  y = nin_shortcut(x) + h
 * Dimensions: B batch, T frames, Ci/Co channels in/out, G groups; activations (B,T,C), weights (Co,Ci,K).
 * Built from the layers of nn_layers.h (GroupNorm, SiLU, Conv1d); each is deterministic for any thread
 * count, so the block is too. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "momu/nn_blocks.h"
#include "momu/nn_gemm.h"
#include "momu/nn_layers.h"
#include "blocks_kern.h"

static size_t res_round16(size_t n) { return (n + 15) & ~(size_t)15; }

/* per-channel statistics live on the stack of each thread (6 x 4 bytes x RES_MAX_C) */
#define RES_MAX_C 2048

#ifdef _OPENMP
#define RES_PARALLEL_FOR _Pragma("omp parallel for schedule(static)")
#else
#define RES_PARALLEL_FOR
#endif

/* Row-parallel helpers for the passes between the products (serial copies left one core idle):
 * dst[r] = src[r] (src NULL: 0) for rows of C floats. */
static void res_rows_copy(float *dst, size_t ldd, const float *src, size_t lds, size_t rows, size_t C) {
    RES_PARALLEL_FOR
    for (size_t r = 0; r < rows; r++) {
        if (src) memcpy(dst + r * ldd, src + r * lds, C * sizeof *dst);
        else memset(dst + r * ldd, 0, C * sizeof *dst);
    }
}

/* dst[i] += src[i] over rows of C (strides ldd, lds) */
static void res_rows_add(float *dst, size_t ldd, const float *src, size_t lds, size_t rows, size_t C) {
    RES_PARALLEL_FOR
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < C; c++) dst[r * ldd + c] += src[r * lds + c];
}

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
    if (Ci > RES_MAX_C || Co > RES_MAX_C)
        return momu_fail(e, MOMU_ERR_ARG, "res block: %zu / %zu channels (at most %d)", Ci, Co, RES_MAX_C);
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

/* Conv1d(k=3, padding=1) on a PADDED layout: each batch element's T rows sit between two zero rows, rows
 * (B, T+2, C) (Tp = T+2), so the zero padding of every sequence is real memory and one product per tap covers
 * the whole batch:  out_p[r] = sum_j in_p[r - 1 + j] W_j^T  for r in [1, B*Tp - 1). Rows of out_p that are
 * padding receive values that are never read (the norms and the final copy read valid rows only), and the
 * gradients flowing into them are zero, which keeps the backward exact. With the weight permuted to
 * wp (Co,3,Ci), tap j is the (Co,Ci) matrix wp + j*Ci with row stride 3Ci (torch.nn.Conv1d is a
 * cross-correlation). Compared with im2col: no (rows, 3Ci) copy; compared with per-sequence products: 3
 * large sgemms instead of 1 + 2B small ones, which OpenBLAS splits over the cores far better. */
typedef struct {
    float *mean1, *rstd1;   /* (B,G) */
    float *n1p, *s1p;       /* (B,Tp,Ci) norm1(x), SiLU of it (padded; pad rows 0) */
    float *hp;              /* (B,Tp,Co) conv1 output (padded; pad rows unused) */
    float *mean2, *rstd2;   /* (B,G) */
    float *n2p, *s2p;       /* (B,Tp,Co) (padded; pad rows 0) */
    float *op;              /* (B,Tp,Co) conv2 output (padded) */
    float *wp1, *wp2;       /* conv1/conv2 weights permuted to (Co,3,Ci) / (Co,3,Co) */
} res_acts;

static size_t res_acts_carve(res_acts *A, float *base, const res_block *rb, size_t B, size_t T) {
    size_t off = 0, BG = B * rb->G, NI = B * (T + 2) * rb->Ci, NO = B * (T + 2) * rb->Co;
    float **p[12] = {&A->mean1, &A->rstd1, &A->n1p, &A->s1p, &A->hp, &A->mean2, &A->rstd2, &A->n2p, &A->s2p,
                     &A->op, &A->wp1, &A->wp2};
    size_t n[12] = {BG, BG, NI, NI, NO, BG, BG, NO, NO, NO, rb->Co * 3 * rb->Ci, rb->Co * 3 * rb->Co};
    for (int i = 0; i < 12; i++) {
        *p[i] = base ? base + off : NULL;
        off += res_round16(n[i]);
    }
    return off;
}

size_t res_block_act_size(const res_block *rb, size_t B, size_t T) {
    res_acts A;
    return res_acts_carve(&A, NULL, rb, B, T);
}

/* dy padded (B,Tp,Co), three padded (B,Tp,max(Ci,Co)) gradient buffers, one (Co,3,max(Ci,Co)) weight grad */
size_t res_block_scratch_size(const res_block *rb, size_t B, size_t T) {
    size_t C = rb->Ci > rb->Co ? rb->Ci : rb->Co;
    return res_round16(B * (T + 2) * rb->Co) + 3 * res_round16(B * (T + 2) * C) + res_round16(rb->Co * 3 * C) +
           res_round16(B * 2 * C);
}

static void res_permute_w(float *wp, const float *w, size_t Co, size_t Ci) {
    for (size_t o = 0; o < Co; o++)
        for (size_t c = 0; c < Ci; c++)
            for (size_t j = 0; j < 3; j++) wp[(o * 3 + j) * Ci + c] = w[(o * Ci + c) * 3 + j];
}

/* zero the 2B pad rows of a padded (B,Tp,C) buffer */
static void res_zero_pads(float *p, size_t B, size_t T, size_t C) {
    for (size_t b = 0; b < B; b++) {
        memset(p + b * (T + 2) * C, 0, C * sizeof *p);
        memset(p + (b * (T + 2) + T + 1) * C, 0, C * sizeof *p);
    }
}

/* out_p = conv(in_p) + bias on rows [1, B*Tp - 1)   in_p:(B,Tp,Ci) with zero pad rows  wp:(Co,3,Ci) */
static void res_conv3_forward(float *out_p, const float *in_p, const float *wp, const float *bias, size_t B,
                              size_t T, size_t Ci, size_t Co) {
    size_t R = B * (T + 2) - 2;          /* rows 1 .. B*Tp - 2 */
    float *o = out_p + Co;
    res_rows_copy(o, Co, bias, 0, R, Co);
    for (size_t j = 0; j < 3; j++)
        nn_gemm(NN_GEMM_N, NN_GEMM_T, R, Co, Ci, 1.0f, in_p + j * Ci, Ci, wp + j * Ci, 3 * Ci, 1.0f, o, Co);
}

/* Backward of the above. dout_p:(B,Tp,Co) with ZERO pad rows. OVERWRITES din_p (all rows; its pad rows
 * get values the caller ignores); ACCUMULATES dw (Co,Ci,3) and db. dwp: (Co,3,Ci) scratch.
 *   out[r] += in[r-1+j] W_j^T  =>  din[r-1+j] += dout[r] W_j,  dW_j += dout[r]^T in[r-1+j] */
static void res_conv3_backward(float *din_p, float *dw, float *db, float *dwp, const float *dout_p,
                               const float *in_p, const float *wp, size_t B, size_t T, size_t Ci, size_t Co) {
    size_t R = B * (T + 2) - 2;
    const float *d = dout_p + Co;
    memset(dwp, 0, Co * 3 * Ci * sizeof *dwp);
    if (din_p) {
        res_rows_copy(din_p, Ci, NULL, 0, B * (T + 2), Ci);
        for (size_t j = 0; j < 3; j++)
            nn_gemm(NN_GEMM_N, NN_GEMM_N, R, Ci, Co, 1.0f, d, Co, wp + j * Ci, 3 * Ci, 1.0f, din_p + j * Ci, Ci);
    }
    for (size_t j = 0; j < 3; j++)
        nn_gemm(NN_GEMM_T, NN_GEMM_N, Co, Ci, R, 1.0f, d, Co, in_p + j * Ci, Ci, 1.0f, dwp + j * Ci, 3 * Ci);
    for (size_t o = 0; o < Co; o++)
        for (size_t c = 0; c < Ci; c++)
            for (size_t j = 0; j < 3; j++) dw[(o * Ci + c) * 3 + j] += dwp[(o * 3 + j) * Ci + c];
    res_colsum_acc(db, d, R, Co);      /* the pad rows of dout are zero */
}

/* GroupNorm (torch.nn.GroupNorm(G, C, eps, affine)) fused with the SiLU that follows it, one sequence b
 * per iteration:  n = (x - mean_g) rstd_g gamma + beta,  s = n sigmoid(n).
 * Statistics per (b, group) over T x C/G values, biased variance, two passes; per-channel sums over t in
 * float (vectorised across channels, t in order), then over the group's channels in double, in order
 * (deterministic). Source row (b,t) at
 * src + (b*src_tp + src_off + t)*C; outputs at row b*(T+2) + 1 + t of the padded n_p, s_p. */
static void res_gn_silu_forward(float *n_p, float *s_p, float *mean, float *rstd, const float *src, size_t src_tp,
                                size_t src_off, const float *gw, const float *gb, size_t B, size_t T, size_t C,
                                size_t G) {
    size_t Cg = C / G;
    double cnt = (double)T * (double)Cg;
    RES_PARALLEL_FOR
    for (size_t b = 0; b < B; b++) {
        float sc[RES_MAX_C], mg[RES_MAX_C], ag[RES_MAX_C];
        const float *xb = src + (b * src_tp + src_off) * C;
        for (size_t c = 0; c < C; c++) sc[c] = 0.0f;
        for (size_t t = 0; t < T; t++)
            for (size_t c = 0; c < C; c++) sc[c] += xb[t * C + c];
        for (size_t g = 0; g < G; g++) {
            double sm = 0.0;
            for (size_t c = g * Cg; c < (g + 1) * Cg; c++) sm += sc[c];
            mean[b * G + g] = (float)(sm / cnt);
            for (size_t c = g * Cg; c < (g + 1) * Cg; c++) mg[c] = mean[b * G + g];
        }
        for (size_t c = 0; c < C; c++) sc[c] = 0.0f;
        for (size_t t = 0; t < T; t++)
            for (size_t c = 0; c < C; c++) {
                float d = xb[t * C + c] - mg[c];
                sc[c] += d * d;
            }
        for (size_t g = 0; g < G; g++) {
            double sv = 0.0;
            for (size_t c = g * Cg; c < (g + 1) * Cg; c++) sv += sc[c];
            rstd[b * G + g] = (float)(1.0 / sqrt(sv / cnt + (double)RES_GN_EPS));
            for (size_t c = g * Cg; c < (g + 1) * Cg; c++) ag[c] = rstd[b * G + g] * gw[c];
        }
        for (size_t t = 0; t < T; t++) {
            const float *xr = xb + t * C;
            float *nr = n_p + (b * (T + 2) + 1 + t) * C, *sr = s_p + (b * (T + 2) + 1 + t) * C;
            for (size_t c = 0; c < C; c++) {
                float v = (xr[c] - mg[c]) * ag[c] + gb[c];
                nr[c] = v;
                sr[c] = v / (1.0f + blk_expf(-v));
            }
        }
    }
}

/* Backward of the above, given ds (on the padded rows) and the saved n:
 *   dn = ds SiLU'(n), SiLU'(n) = sig (1 + n (1 - sig));  xhat = (x - mean) rstd;  g = dn gamma
 *   dgamma += sum dn xhat,  dbeta += sum dn   (per-sequence partial sums, then summed over b in order)
 *   dx += rstd (g - mean_group(g) - xhat mean_group(g xhat))            (torch's group_norm backward)
 * dx rows at dx + (b*dst_tp + dst_off + t)*C (ACCUMULATES). dn: (B,T,C) scratch, part: (B,2C) scratch. */
static void res_gn_silu_backward(float *dx, size_t dst_tp, size_t dst_off, float *dgw, float *dgb, float *dn,
                                 float *part, const float *ds_p, const float *n_p, const float *src, size_t src_tp,
                                 size_t src_off, const float *mean, const float *rstd, const float *gw, size_t B,
                                 size_t T, size_t C, size_t G) {
    size_t Cg = C / G;
    double cnt = (double)T * (double)Cg;
    RES_PARALLEL_FOR
    for (size_t b = 0; b < B; b++) {
        float pg[RES_MAX_C], pb[RES_MAX_C], mg[RES_MAX_C], rg[RES_MAX_C], m1[RES_MAX_C], m2[RES_MAX_C];
        const float *xb = src + (b * src_tp + src_off) * C;
        for (size_t c = 0; c < C; c++) {
            pg[c] = pb[c] = 0.0f;
            mg[c] = mean[b * G + c / Cg];
            rg[c] = rstd[b * G + c / Cg];
        }
        for (size_t t = 0; t < T; t++) {
            const float *dsr = ds_p + (b * (T + 2) + 1 + t) * C, *nr = n_p + (b * (T + 2) + 1 + t) * C;
            const float *xr = xb + t * C;
            float *dr = dn + (b * T + t) * C;
            for (size_t c = 0; c < C; c++) {
                float sg = 1.0f / (1.0f + blk_expf(-nr[c]));
                float d = dsr[c] * sg * (1.0f + nr[c] * (1.0f - sg));
                dr[c] = d;
                pb[c] += d;
                pg[c] += d * ((xr[c] - mg[c]) * rg[c]);
            }
        }
        for (size_t g = 0; g < G; g++) {
            double s1 = 0.0, s2 = 0.0;
            for (size_t c = g * Cg; c < (g + 1) * Cg; c++) {
                s1 += (double)pb[c] * gw[c];
                s2 += (double)pg[c] * gw[c];
            }
            for (size_t c = g * Cg; c < (g + 1) * Cg; c++) {
                m1[c] = (float)(s1 / cnt);
                m2[c] = (float)(s2 / cnt);
            }
        }
        for (size_t t = 0; t < T; t++) {
            const float *xr = xb + t * C, *dr = dn + (b * T + t) * C;
            float *o = dx + (b * dst_tp + dst_off + t) * C;
            for (size_t c = 0; c < C; c++) {
                float xh = (xr[c] - mg[c]) * rg[c];
                o[c] += rg[c] * (dr[c] * gw[c] - m1[c] - xh * m2[c]);
            }
        }
        for (size_t c = 0; c < C; c++) {
            part[b * 2 * C + c] = pg[c];
            part[b * 2 * C + C + c] = pb[c];
        }
    }
    for (size_t b = 0; b < B; b++)
        for (size_t c = 0; c < C; c++) {
            dgw[c] += part[b * 2 * C + c];
            dgb[c] += part[b * 2 * C + C + c];
        }
}

void res_block_forward(float *y, float *act, const float *x, const res_block_w *w, const res_block *rb, size_t B,
                       size_t T) {
    size_t Ci = rb->Ci, Co = rb->Co, G = rb->G, Tp = T + 2;
    res_acts A;
    res_acts_carve(&A, act, rb, B, T);
    res_permute_w(A.wp1, w->conv1_w, Co, Ci);
    res_permute_w(A.wp2, w->conv2_w, Co, Co);
    /* s1 = SiLU(norm1(x)) into the padded layout (SiLU(0) = 0 keeps the pads zero) */
    res_zero_pads(A.n1p, B, T, Ci);
    res_zero_pads(A.s1p, B, T, Ci);
    res_gn_silu_forward(A.n1p, A.s1p, A.mean1, A.rstd1, x, T, 0, w->norm1_w, w->norm1_b, B, T, Ci, G);
    res_conv3_forward(A.hp, A.s1p, A.wp1, w->conv1_b, B, T, Ci, Co);
    res_zero_pads(A.n2p, B, T, Co);
    res_zero_pads(A.s2p, B, T, Co);
    res_gn_silu_forward(A.n2p, A.s2p, A.mean2, A.rstd2, A.hp, Tp, 1, w->norm2_w, w->norm2_b, B, T, Co, G);
    res_conv3_forward(A.op, A.s2p, A.wp2, w->conv2_b, B, T, Co, Co);
    /* y = shortcut(x) + conv2(s2). A 1x1 Conv1d with weight (Co,Ci,1) is a Linear with weight (Co,Ci). */
    if (w->skip_w) {
        nn_linear_forward(y, x, w->skip_w, w->skip_b, B * T, Ci, Co);
    } else {
        res_rows_copy(y, Co, x, Co, B * T, Co);
    }
    for (size_t b = 0; b < B; b++) res_rows_add(y + b * T * Co, Co, A.op + (b * Tp + 1) * Co, Co, T, Co);
}

void res_block_backward(float *dx, const res_block_w *dw, float *scratch, const float *dy, const float *act,
                        const float *x, const res_block_w *w, const res_block *rb, size_t B, size_t T) {
    size_t Ci = rb->Ci, Co = rb->Co, G = rb->G, Tp = T + 2, C = Ci > Co ? Ci : Co;
    res_acts A;
    res_acts_carve(&A, (float *)act, rb, B, T);
    float *dyp = scratch, *g0 = dyp + res_round16(B * Tp * Co), *g1 = g0 + res_round16(B * Tp * C);
    float *g2 = g1 + res_round16(B * Tp * C), *dwp = g2 + res_round16(B * Tp * C);
    float *part = dwp + res_round16(Co * 3 * C);
    /* y = shortcut(x) + conv2(s2) */
    if (w->skip_w) nn_linear_backward(dx, dw->skip_w, dw->skip_b, dy, x, w->skip_w, B * T, Ci, Co);
    else if (dx) res_rows_add(dx, Ci, dy, Co, B * T, Ci);
    res_zero_pads(dyp, B, T, Co);
    for (size_t b = 0; b < B; b++) res_rows_copy(dyp + (b * Tp + 1) * Co, Co, dy + b * T * Co, Co, T, Co);
    res_conv3_backward(g0, dw->conv2_w, dw->conv2_b, dwp, dyp, A.s2p, A.wp2, B, T, Co, Co);       /* ds2 */
    /* dh: valid rows from the fused norm2 + SiLU backward, pad rows zero (conv1's pad outputs were unused) */
    res_rows_copy(g2, Co, NULL, 0, B * Tp, Co);
    res_gn_silu_backward(g2, Tp, 1, dw->norm2_w, dw->norm2_b, g1, part, g0, A.n2p, A.hp, Tp, 1, A.mean2, A.rstd2,
                         w->norm2_w, B, T, Co, G);
    res_conv3_backward(g0, dw->conv1_w, dw->conv1_b, dwp, g2, A.s1p, A.wp1, B, T, Ci, Co);         /* ds1 */
    /* norm1: into dx, or (dx NULL) into scratch for the parameter gradients only */
    float *dxt = dx ? dx : g2;
    if (!dx) res_rows_copy(g2, Ci, NULL, 0, B * T, Ci);
    res_gn_silu_backward(dxt, T, 0, dw->norm1_w, dw->norm1_b, g1, part, g0, A.n1p, x, T, 0, A.mean1, A.rstd1,
                         w->norm1_w, B, T, Ci, G);
}
