/* Finite-difference checks of every layer backward, in double precision (STYLE.md §24).
 *
 * The naive reference layers (src/nn/layers_ref.inc) are compiled here a second time with real = double
 * (names nn_*_d), so the check runs on exactly the code that the float references are built from, without
 * float rounding in the differences. The fast float kernels are compared with the float references in
 * test_nn_layers.c, and the references with PyTorch there too, which closes the chain.
 *
 * Method: a layer output y (or a loss) is contracted with a fixed random upstream gradient r, L = sum r.y.
 * The analytic gradient comes from the layer's backward with dy = r (accumulating into zeros). For up to
 * FD_PER_TENSOR random elements of every input and parameter, the central difference
 * sum r.(y(x+h) - y(x-h)) / 2h with h = 1e-6 is compared through the scale-free error
 * |a - b| / max(|a| + |b|, 1e-7); the mean and max over the checked elements must be within the layer's
 * row in FD_TOL. Dimension vocabulary as in nn_layers.h. */
#define NN_REAL double
#define NN_REF(name) name##_d
#define NN_ONE(name) name##_d
#include "../src/nn/layers_ref.inc"

#include "momu/rng.h"
#include "test.h"

/* Per-layer tolerances on the mean and max scale-free error. How chosen: with h = 1e-6 in double the
 * truncation error of a central difference is ~h^2 |f'''| ~ 1e-12 and the rounding error ~1e-16 |L| / h ~
 * 1e-10 relative for |L| ~ 1, so a correct backward lands near 1e-9; a wrong term (a missing factor, a
 * transposed index) gives errors of order 0.1-1. 1e-6 mean / 1e-4 max leaves room for layers with larger
 * curvature (attention softmax, InfoNCE at tau 0.1, exp in KL) without letting any real mistake through.
 * Kinks (maxpool, L1) are not crossed by a 1e-6 step on random inputs, so they share the same bound. */
static const struct { const char *layer; double mean_tol, max_tol; } FD_TOL[] = {
    {"default", 1e-6, 1e-4},
};
#define FD_PER_TENSOR 24
static const double FD_H = 1e-6, FD_TINY = 1e-7;

static momu_rng g_rng;

static double *dalloc(size_t n) { return calloc(n ? n : 1, sizeof(double)); }
static double *drand(size_t n, double scale) {
    double *x = dalloc(n);
    for (size_t i = 0; i < n; i++) x[i] = scale * momu_rng_normal(&g_rng);
    return x;
}

typedef struct { const char *name; double *x, *g; size_t n; } fd_tensor;
typedef struct {
    void (*fwd)(void *ctx, double *y);                  /* y: ny outputs (ny = 1 for a loss) */
    void (*bwd)(void *ctx, const double *dy);           /* accumulates into the fd_tensor g's */
    void *ctx;
    size_t ny;
} fd_layer;

/* Returns 1 if within tolerance; prints "FD layer: mean ... max ..." for the report. */
static int fd_check(const char *layer, const fd_layer *L, fd_tensor *ts, int nt) {
    double *r = drand(L->ny, 1.0), *yp = dalloc(L->ny), *ym = dalloc(L->ny);
    for (int t = 0; t < nt; t++) memset(ts[t].g, 0, ts[t].n * sizeof(double));
    L->bwd(L->ctx, r);
    double sum = 0.0, mx = 0.0;
    size_t cnt = 0;
    for (int t = 0; t < nt; t++) {
        size_t m = ts[t].n < FD_PER_TENSOR ? ts[t].n : FD_PER_TENSOR;
        for (size_t s = 0; s < m; s++) {
            size_t i = ts[t].n <= FD_PER_TENSOR ? s : momu_rng_below(&g_rng, ts[t].n);
            double keep = ts[t].x[i];
            ts[t].x[i] = keep + FD_H;
            L->fwd(L->ctx, yp);
            ts[t].x[i] = keep - FD_H;
            L->fwd(L->ctx, ym);
            ts[t].x[i] = keep;
            /* sum r (y+ - y-) rather than L+ - L-: outputs the perturbation does not reach cancel exactly
             * instead of leaving the rounding of a large total in the difference */
            double dl = 0.0;
            for (size_t o = 0; o < L->ny; o++) dl += r[o] * (yp[o] - ym[o]);
            double num = dl / (2 * FD_H), ana = ts[t].g[i];
            double den = fabs(num) + fabs(ana);
            double e = fabs(num - ana) / (den > FD_TINY ? den : FD_TINY);
            if (e > 1e-3 && cnt < 1000)
                fprintf(stderr, "  %s.%s[%zu]: analytic %.9g numeric %.9g\n", layer, ts[t].name, i, ana, num);
            sum += e;
            mx = e > mx ? e : mx;
            cnt++;
        }
    }
    double mean = cnt ? sum / (double)cnt : 0.0;
    double mt = FD_TOL[0].mean_tol, xt = FD_TOL[0].max_tol;
    for (size_t k = 0; k < sizeof FD_TOL / sizeof FD_TOL[0]; k++)
        if (!strcmp(FD_TOL[k].layer, layer)) { mt = FD_TOL[k].mean_tol; xt = FD_TOL[k].max_tol; }
    printf("# FD %-22s %4zu elements  mean rel err %.2e  max %.2e\n", layer, cnt, mean, mx);
    free(r);
    free(yp);
    free(ym);
    return mean <= mt && mx <= xt;
}

/* ---------------------------------------------------------------- linear */
typedef struct { double *x, *w, *b, *dx, *dw, *db; size_t N, Ci, Co; } linear_ctx;
static void linear_f(void *p, double *y) { linear_ctx *c = p; nn_linear_forward_d(y, c->x, c->w, c->b, c->N, c->Ci, c->Co); }
static void linear_b(void *p, const double *dy) {
    linear_ctx *c = p;
    nn_linear_backward_d(c->dx, c->dw, c->db, dy, c->x, c->w, c->N, c->Ci, c->Co);
}
TEST(fd_linear) {
    linear_ctx c = {.N = 5, .Ci = 7, .Co = 4};
    c.x = drand(c.N * c.Ci, 1); c.w = drand(c.Co * c.Ci, 0.5); c.b = drand(c.Co, 0.5);
    c.dx = dalloc(c.N * c.Ci); c.dw = dalloc(c.Co * c.Ci); c.db = dalloc(c.Co);
    fd_layer L = {linear_f, linear_b, &c, c.N * c.Co};
    fd_tensor ts[] = {{"x", c.x, c.dx, c.N * c.Ci}, {"w", c.w, c.dw, c.Co * c.Ci}, {"b", c.b, c.db, c.Co}};
    EXPECT(fd_check("linear", &L, ts, 3), "linear gradients");
    free(c.x); free(c.w); free(c.b); free(c.dx); free(c.dw); free(c.db);
}

/* ---------------------------------------------------------------- conv1d / conv-transpose1d */
typedef struct { double *x, *w, *b, *dx, *dw, *db; size_t B, T, Ci, Co; nn_conv1d_geom g; int transpose; } conv_ctx;
static void conv_f(void *p, double *y) {
    conv_ctx *c = p;
    if (c->transpose) nn_conv_transpose1d_forward_d(y, c->x, c->w, c->b, c->B, c->T, c->Ci, c->Co, &c->g);
    else nn_conv1d_forward_d(y, c->x, c->w, c->b, c->B, c->T, c->Ci, c->Co, &c->g);
}
static void conv_b(void *p, const double *dy) {
    conv_ctx *c = p;
    if (c->transpose) nn_conv_transpose1d_backward_d(c->dx, c->dw, c->db, dy, c->x, c->w, c->B, c->T, c->Ci, c->Co, &c->g);
    else nn_conv1d_backward_d(c->dx, c->dw, c->db, dy, c->x, c->w, c->B, c->T, c->Ci, c->Co, &c->g);
}
static int conv_case(const char *name, int transpose, size_t B, size_t T, size_t Ci, size_t Co, nn_conv1d_geom g) {
    conv_ctx c = {.B = B, .T = T, .Ci = Ci, .Co = Co, .g = g, .transpose = transpose};
    size_t nw = transpose ? Ci * (Co / g.groups) * g.k : Co * (Ci / g.groups) * g.k;
    size_t To = transpose ? nn_conv_transpose1d_out_len(T, &g) : nn_conv1d_out_len(T, &g);
    c.x = drand(B * T * Ci, 1); c.w = drand(nw, 0.5); c.b = drand(Co, 0.5);
    c.dx = dalloc(B * T * Ci); c.dw = dalloc(nw); c.db = dalloc(Co);
    fd_layer L = {conv_f, conv_b, &c, B * To * Co};
    fd_tensor ts[] = {{"x", c.x, c.dx, B * T * Ci}, {"w", c.w, c.dw, nw}, {"b", c.b, c.db, Co}};
    int ok = To > 0 && fd_check(name, &L, ts, 3);
    free(c.x); free(c.w); free(c.b); free(c.dx); free(c.dw); free(c.db);
    return ok;
}
TEST(fd_conv1d) {
    EXPECT(conv_case("conv1d k3 p1", 0, 2, 9, 3, 4, (nn_conv1d_geom){3, 1, 1, 1, 1, 0}), "plain");
    EXPECT(conv_case("conv1d k4 s2 p1 d2 g2", 0, 2, 11, 4, 6, (nn_conv1d_geom){4, 2, 1, 2, 2, 0}), "strided grouped");
    EXPECT(conv_case("conv1d k1", 0, 2, 5, 3, 2, (nn_conv1d_geom){1, 1, 0, 1, 1, 0}), "pointwise");
}
TEST(fd_conv_transpose1d) {
    EXPECT(conv_case("convT k4 s2 p1", 1, 2, 5, 3, 4, (nn_conv1d_geom){4, 2, 1, 1, 1, 0}), "x2 upsampler");
    EXPECT(conv_case("convT k3 s3 p1 d2 op1 g2", 1, 2, 4, 4, 6, (nn_conv1d_geom){3, 3, 1, 2, 2, 1}), "grouped");
}

/* ---------------------------------------------------------------- resampling */
typedef struct { double *x, *dx; size_t *idx; size_t B, T, C, s, k, stride; int kind; } rs_ctx;
static void rs_f(void *p, double *y) {
    rs_ctx *c = p;
    if (c->kind == 0) nn_upsample_forward_d(y, c->x, c->B, c->T, c->C, c->s);
    else if (c->kind == 1) nn_avgpool_forward_d(y, c->x, c->B, c->T, c->C, c->s);
    else nn_maxpool_forward_d(y, c->idx, c->x, c->B, c->T, c->C, c->k, c->stride);
}
static void rs_b(void *p, const double *dy) {
    rs_ctx *c = p;
    if (c->kind == 0) nn_upsample_backward_d(c->dx, dy, c->B, c->T, c->C, c->s);
    else if (c->kind == 1) nn_avgpool_backward_d(c->dx, dy, c->B, c->T, c->C, c->s);
    else nn_maxpool_backward_d(c->dx, dy, c->idx, c->B, (c->T - c->k) / c->stride + 1, c->T, c->C);
}
TEST(fd_resampling) {
    rs_ctx c = {.B = 2, .T = 7, .C = 3, .s = 3, .k = 3, .stride = 2};
    c.x = drand(c.B * c.T * c.C, 1); c.dx = dalloc(c.B * c.T * c.C);
    c.idx = calloc(c.B * c.T * c.C, sizeof(size_t));
    fd_tensor ts[] = {{"x", c.x, c.dx, c.B * c.T * c.C}};
    size_t To_pool = (c.T - c.k) / c.stride + 1;
    const char *names[3] = {"upsample x3", "avgpool 3", "maxpool k3 s2"};
    size_t ny[3] = {c.B * c.T * c.s * c.C, c.B * (c.T / c.s) * c.C, c.B * To_pool * c.C};
    for (int kind = 0; kind < 3; kind++) {
        c.kind = kind;
        double *tmp = dalloc(ny[kind]);
        rs_f(&c, tmp);   /* maxpool: idx must describe x before the backward runs */
        free(tmp);
        fd_layer L = {rs_f, rs_b, &c, ny[kind]};
        EXPECT(fd_check(names[kind], &L, ts, 1), "%s", names[kind]);
    }
    free(c.x); free(c.dx); free(c.idx);
}

/* ---------------------------------------------------------------- norms */
typedef struct { double *x, *w, *b, *dx, *dw, *db, *mean, *rstd; size_t B, T, C, G; int group; } norm_ctx;
static void norm_f(void *p, double *y) {
    norm_ctx *c = p;
    if (c->group) nn_groupnorm_forward_d(y, c->mean, c->rstd, c->x, c->w, c->b, c->B, c->T, c->C, c->G, 1e-5);
    else nn_layernorm_forward_d(y, c->mean, c->rstd, c->x, c->w, c->b, c->B * c->T, c->C, 1e-5);
}
static void norm_b(void *p, const double *dy) {
    norm_ctx *c = p;
    double *y = dalloc(c->B * c->T * c->C);
    norm_f(c, y);   /* refresh the saved statistics for the unperturbed input */
    free(y);
    if (c->group) nn_groupnorm_backward_d(c->dx, c->dw, c->db, dy, c->x, c->mean, c->rstd, c->w, c->B, c->T, c->C, c->G);
    else nn_layernorm_backward_d(c->dx, c->dw, c->db, dy, c->x, c->mean, c->rstd, c->w, c->B * c->T, c->C);
}
static int norm_case(const char *name, int group, int affine) {
    norm_ctx c = {.B = 2, .T = 3, .C = 8, .G = 4, .group = group};
    size_t n = c.B * c.T * c.C;
    c.x = drand(n, 2); c.dx = dalloc(n);
    for (size_t i = 0; i < n; i++) c.x[i] += 0.5;
    c.mean = dalloc(c.B * c.T * c.G); c.rstd = dalloc(c.B * c.T * c.G);
    c.w = affine ? drand(c.C, 1) : NULL; c.b = affine ? drand(c.C, 1) : NULL;
    c.dw = affine ? dalloc(c.C) : NULL; c.db = affine ? dalloc(c.C) : NULL;
    fd_layer L = {norm_f, norm_b, &c, n};
    fd_tensor ts[] = {{"x", c.x, c.dx, n}, {"w", c.w, c.dw, c.C}, {"b", c.b, c.db, c.C}};
    int ok = fd_check(name, &L, ts, affine ? 3 : 1);
    free(c.x); free(c.dx); free(c.mean); free(c.rstd); free(c.w); free(c.b); free(c.dw); free(c.db);
    return ok;
}
TEST(fd_norms) {
    EXPECT(norm_case("layernorm affine", 0, 1), "layernorm");
    EXPECT(norm_case("layernorm plain", 0, 0), "layernorm no affine");
    EXPECT(norm_case("groupnorm affine", 1, 1), "groupnorm");
    EXPECT(norm_case("groupnorm plain", 1, 0), "groupnorm no affine");
}

/* ---------------------------------------------------------------- activations, dropout */
typedef struct { double *x, *dx; uint8_t *mask; size_t n; int kind; } act_ctx;
static void act_f(void *p, double *y) {
    act_ctx *c = p;
    if (c->kind == 0) nn_silu_forward_d(y, c->x, c->n);
    else if (c->kind == 1) nn_gelu_tanh_forward_d(y, c->x, c->n);
    else if (c->kind == 2) nn_gelu_erf_forward_d(y, c->x, c->n);
    else for (size_t i = 0; i < c->n; i++) y[i] = c->mask[i] ? c->x[i] / (1 - 0.3) : 0.0;
}
static void act_b(void *p, const double *dy) {
    act_ctx *c = p;
    if (c->kind == 0) nn_silu_backward_d(c->dx, dy, c->x, c->n);
    else if (c->kind == 1) nn_gelu_tanh_backward_d(c->dx, dy, c->x, c->n);
    else if (c->kind == 2) nn_gelu_erf_backward_d(c->dx, dy, c->x, c->n);
    else nn_dropout_backward_d(c->dx, dy, c->mask, c->n, 0.3);
}
TEST(fd_activations) {
    act_ctx c = {.n = 40};
    c.x = drand(c.n, 2.5); c.dx = dalloc(c.n); c.mask = malloc(c.n);
    for (size_t i = 0; i < c.n; i++) c.mask[i] = (uint8_t)(i % 3 != 0);
    const char *names[4] = {"silu", "gelu tanh", "gelu erf", "dropout p0.3"};
    fd_tensor ts[] = {{"x", c.x, c.dx, c.n}};
    for (int k = 0; k < 4; k++) {
        c.kind = k;
        fd_layer L = {act_f, act_b, &c, c.n};
        EXPECT(fd_check(names[k], &L, ts, 1), "%s", names[k]);
    }
    free(c.x); free(c.dx); free(c.mask);
}

/* ---------------------------------------------------------------- modulate, gate_add */
typedef struct { double *x, *a, *s, *dx, *da, *ds; size_t B, T, C; int gate; } mod_ctx;
static void mod_f(void *p, double *y) {
    mod_ctx *c = p;
    if (c->gate) nn_gate_add_forward_d(y, c->x, c->a, c->s, c->B, c->T, c->C);   /* res x, gate a, h s */
    else nn_modulate_forward_d(y, c->x, c->a, c->s, c->B, c->T, c->C);           /* shift a, scale s */
}
static void mod_b(void *p, const double *dy) {
    mod_ctx *c = p;
    if (c->gate) nn_gate_add_backward_d(c->dx, c->da, c->ds, dy, c->a, c->s, c->B, c->T, c->C);
    else nn_modulate_backward_d(c->dx, c->da, c->ds, dy, c->x, c->s, c->B, c->T, c->C);
}
TEST(fd_adaln) {
    for (int gate = 0; gate < 2; gate++) {
        mod_ctx c = {.B = 2, .T = 3, .C = 5, .gate = gate};
        size_t n = c.B * c.T * c.C, nb = c.B * c.C, ns = gate ? n : nb;
        c.x = drand(n, 1); c.a = drand(nb, 0.5); c.s = drand(ns, 0.5);
        c.dx = dalloc(n); c.da = dalloc(nb); c.ds = dalloc(ns);
        fd_layer L = {mod_f, mod_b, &c, n};
        fd_tensor ts[] = {{gate ? "res" : "x", c.x, c.dx, n}, {gate ? "gate" : "shift", c.a, c.da, nb},
                          {gate ? "h" : "scale", c.s, c.ds, ns}};
        EXPECT(fd_check(gate ? "gate_add" : "modulate", &L, ts, 3), "adaln %d", gate);
        free(c.x); free(c.a); free(c.s); free(c.dx); free(c.da); free(c.ds);
    }
}

/* ---------------------------------------------------------------- rope */
typedef struct { double *x, *dx; size_t B, T, H, D, ld; } rope_ctx;
static void rope_f(void *p, double *y) {
    rope_ctx *c = p;
    nn_rope_forward_d(y, c->x, c->B, c->T, c->H, c->D, c->H * c->D, c->ld, 3, 10000.0);
}
static void rope_b(void *p, const double *dy) {
    rope_ctx *c = p;
    nn_rope_backward_d(c->dx, dy, c->B, c->T, c->H, c->D, c->ld, c->H * c->D, 3, 10000.0);
}
TEST(fd_rope) {
    rope_ctx c = {.B = 2, .T = 5, .H = 2, .D = 6, .ld = 15};   /* x rows padded: ld > H*D */
    size_t n = c.B * c.T * c.ld;
    c.x = drand(n, 1); c.dx = dalloc(n);
    fd_layer L = {rope_f, rope_b, &c, c.B * c.T * c.H * c.D};
    fd_tensor ts[] = {{"x", c.x, c.dx, n}};
    EXPECT(fd_check("rope", &L, ts, 1), "rope");
    free(c.x); free(c.dx);
}

/* ---------------------------------------------------------------- attention */
typedef struct { double *qkv, *kv, *dqkv, *dkv, *att; size_t B, Tq, Tk, H, D; int cross; } attn_ctx;
/* self: q,k,v inside one fused (B,T,3C) buffer; cross: q (B,Tq,C) from qkv, k,v from a fused (B,Tk,2C) kv */
static void attn_f(void *p, double *y) {
    attn_ctx *c = p;
    size_t C = c->H * c->D;
    if (c->cross)
        nn_attention_forward_d(y, c->att, c->qkv, c->kv, c->kv + C, c->B, c->Tq, c->Tk, c->H, c->D, C, 2 * C, 2 * C, C);
    else
        nn_attention_forward_d(y, c->att, c->qkv, c->qkv + C, c->qkv + 2 * C, c->B, c->Tq, c->Tq, c->H, c->D, 3 * C,
                               3 * C, 3 * C, C);
}
static void attn_b(void *p, const double *dy) {
    attn_ctx *c = p;
    size_t C = c->H * c->D;
    double *y = dalloc(c->B * c->Tq * C);
    attn_f(c, y);
    free(y);
    if (c->cross)
        nn_attention_backward_d(c->dqkv, c->dkv, c->dkv + C, dy, c->att, c->qkv, c->kv, c->kv + C, c->B, c->Tq,
                                c->Tk, c->H, c->D, C, 2 * C, 2 * C, C);
    else
        nn_attention_backward_d(c->dqkv, c->dqkv + C, c->dqkv + 2 * C, dy, c->att, c->qkv, c->qkv + C, c->qkv + 2 * C,
                                c->B, c->Tq, c->Tq, c->H, c->D, 3 * C, 3 * C, 3 * C, C);
}
TEST(fd_attention) {
    for (int cross = 0; cross < 2; cross++) {
        attn_ctx c = {.B = 2, .Tq = 5, .Tk = cross ? 7 : 5, .H = 2, .D = 4, .cross = cross};
        size_t C = c.H * c.D, nq = c.B * c.Tq * (cross ? C : 3 * C), nkv = cross ? c.B * c.Tk * 2 * C : 0;
        c.qkv = drand(nq, 1); c.dqkv = dalloc(nq);
        c.kv = cross ? drand(nkv, 1) : NULL; c.dkv = cross ? dalloc(nkv) : NULL;
        c.att = dalloc(c.B * c.H * c.Tq * c.Tk);
        fd_layer L = {attn_f, attn_b, &c, c.B * c.Tq * C};
        fd_tensor ts[] = {{cross ? "q" : "qkv", c.qkv, c.dqkv, nq}, {"kv", c.kv, c.dkv, nkv}};
        EXPECT(fd_check(cross ? "cross-attention" : "self-attention", &L, ts, cross ? 2 : 1), "attention %d", cross);
        free(c.qkv); free(c.dqkv); free(c.kv); free(c.dkv); free(c.att);
    }
}

/* ---------------------------------------------------------------- losses (ny = 1, dy = r[0]) */
typedef struct { double *a, *b, *da, *db, *saved; size_t n, N, C; int kind; } loss_ctx;
static void loss_f(void *p, double *y) {
    loss_ctx *c = p;
    if (c->kind == 0) y[0] = nn_mse_loss_forward_d(c->a, c->b, c->n);
    else if (c->kind == 1) y[0] = nn_l1_loss_forward_d(c->a, c->b, c->n);
    else if (c->kind == 2) y[0] = nn_kl_loss_forward_d(c->a, c->b, c->n, 3.0);
    else y[0] = nn_infonce_loss_forward_d(c->saved, c->a, c->b, c->N, c->C, 0.1);
}
static void loss_b(void *p, const double *dy) {
    loss_ctx *c = p;
    if (c->kind == 0) nn_mse_loss_backward_d(c->da, c->a, c->b, c->n, dy[0]);
    else if (c->kind == 1) nn_l1_loss_backward_d(c->da, c->a, c->b, c->n, dy[0]);
    else if (c->kind == 2) nn_kl_loss_backward_d(c->da, c->db, c->a, c->b, c->n, 3.0, dy[0]);
    else {
        double y;
        loss_f(c, &y);
        nn_infonce_loss_backward_d(c->da, c->db, c->saved, c->a, c->b, c->N, c->C, 0.1, dy[0]);
    }
}
TEST(fd_losses) {
    const char *names[4] = {"mse", "l1", "kl", "infonce tau0.1"};
    for (int k = 0; k < 4; k++) {
        loss_ctx c = {.n = 30, .N = 5, .C = 6, .kind = k};
        size_t n = k == 3 ? c.N * c.C : c.n;
        c.a = drand(n, 1); c.b = drand(n, 1); c.da = dalloc(n); c.db = dalloc(n);
        c.saved = dalloc(c.N * c.N + 4 * c.N);
        fd_layer L = {loss_f, loss_b, &c, 1};
        fd_tensor ts[] = {{k == 2 ? "mean" : "a", c.a, c.da, n}, {k == 2 ? "logvar" : "m", c.b, c.db, n}};
        EXPECT(fd_check(names[k], &L, ts, k >= 2 ? 2 : 1), "%s", names[k]);
        free(c.a); free(c.b); free(c.da); free(c.db); free(c.saved);
    }
}

int main(void) {
    momu_rng_seed(&g_rng, 20240601);
    RUN(fd_linear);
    RUN(fd_conv1d);
    RUN(fd_conv_transpose1d);
    RUN(fd_resampling);
    RUN(fd_norms);
    RUN(fd_activations);
    RUN(fd_adaln);
    RUN(fd_rope);
    RUN(fd_attention);
    RUN(fd_losses);
    return test_summary();
}
