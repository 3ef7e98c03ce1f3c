/* Tests for src/nn/blocks*.c: the DiT block / stack and the conv residual block against PyTorch 1.13
 * (fixtures from tools/nn_block_fixtures.py, computed in float64 and stored as float32), a finite-difference
 * check of one whole block, the lean inference forward against the training forward, and byte-identical
 * results for 1 and 2 OpenMP threads.
 *
 * Tolerances (|got - ref| <= atol + rtol |ref|): rtol 1e-4 everywhere (the brief's parity target); atol
 * 1e-5 for outputs and gradients whose entries are O(0.1..10) — float32 rounding of sums of <= 96 terms
 * plus the vectorised exp (rel. err ~2e-7) stays below 1e-6, so a real bug (a wrong sign, index or factor)
 * misses by orders of magnitude. */
#include <math.h>
#include <stdint.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "momu/nn_blocks.h"
#include "momu/nn_layers.h"
#include "momu/nn_params.h"
#include "momu/npy.h"
#include "momu/rng.h"
#include "test.h"

#define FIX_DIR "tests/fixtures/nn_blocks/"
#define ATOL 1e-5
#define RTOL 1e-4

static int fix_load(const char *tag, const char *what, const char *name, momu_npy *a) {
    char path[512];
    snprintf(path, sizeof path, FIX_DIR "%s_%s%s.npy", tag, what, name);
    momu_err e = {0};
    if (momu_npy_read(path, a, 1, &e) != MOMU_OK) {
        fprintf(stderr, "  %s\n", e.msg);
        return 0;
    }
    return 1;
}

/* Compares got against fixture TAG_WHATNAME.npy; n must equal the fixture's size. */
static int fix_close(const char *tag, const char *what, const char *name, const float *got, size_t n) {
    momu_npy a;
    if (!fix_load(tag, what, name, &a)) return 0;
    char label[256];
    snprintf(label, sizeof label, "%s %s%s", tag, what, name);
    int ok = a.numel == n;
    if (!ok) fprintf(stderr, "  %s: %zu values, fixture has %zu\n", label, n, a.numel);
    else ok = test_close(label, got, a.data, n, ATOL, RTOL);
    momu_npy_free(&a);
    return ok;
}

/* Fills every tensor of tab from TAG_w_<name>.npy. */
static int fix_load_params(const char *tag, const tensor_table *tab, float *base) {
    for (int i = 0; i < tab->n; i++) {
        momu_npy a;
        if (!fix_load(tag, "w_", tab->t[i].name, &a)) return 0;
        int ok = a.numel == tab->t[i].numel;
        if (ok) memcpy(table_ptr(tab, base, i), a.data, a.numel * sizeof(float));
        else fprintf(stderr, "  %s: fixture has %zu values, table %zu\n", tab->t[i].name, a.numel, tab->t[i].numel);
        momu_npy_free(&a);
        if (!ok) return 0;
    }
    return 1;
}

static float *load_vec(const char *tag, const char *name, size_t n) {
    momu_npy a;
    if (!fix_load(tag, name, "", &a)) return NULL;
    if (a.numel != n) { momu_npy_free(&a); return NULL; }
    return a.data;    /* owned by the caller (free) */
}

/* ---- DiT stack against torch ------------------------------------------------------------------------ */
static void dit_case(const char *tag, size_t n_blocks, size_t B, size_t T, size_t C, size_t H, int rope) {
    tensor_table tab;
    table_init(&tab);
    dit_stack s;
    momu_err e = {0};
    EXPECT(dit_stack_register(&s, &tab, "blocks.", n_blocks, C, H, rope, &e) == MOMU_OK, "%s", e.msg);
    nn_params p;
    EXPECT(nn_params_alloc(&p, &tab, NN_ALLOC_OPTIM, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(fix_load_params(tag, &tab, p.params), "weights of %s", tag);
    size_t NC = B * T * C;
    float *x = load_vec(tag, "x", NC), *c = load_vec(tag, "c", B * C), *dy = load_vec(tag, "dy", NC);
    EXPECT(x && c && dy, "inputs of %s", tag);
    if (!x || !c || !dy || test_cur_fail) { free(x); free(c); free(dy); nn_params_free(&p); table_free(&tab); return; }
    float *act = calloc(dit_stack_act_size(&s, B, T), sizeof(float));
    float *scr = calloc(dit_stack_scratch_size(&s, B, T), sizeof(float));
    float *y = calloc(NC, sizeof(float)), *dx = calloc(NC, sizeof(float)), *dc = calloc(B * C, sizeof(float));
    float *yi = calloc(NC, sizeof(float)), *iscr = calloc(dit_stack_infer_scratch_size(&s, B, T), sizeof(float));

    dit_stack_forward(y, act, x, c, &s, &tab, p.params, B, T);
    EXPECT(fix_close(tag, "y", "", y, NC), "forward");
    nn_params_zero_grads(&p);
    dit_stack_backward(dx, dc, p.grads, scr, dy, act, c, &s, &tab, p.params, B, T);
    EXPECT(fix_close(tag, "dx", "", dx, NC), "dx");
    EXPECT(fix_close(tag, "dc", "", dc, B * C), "dc");
    for (int i = 0; i < tab.n; i++)
        EXPECT(fix_close(tag, "g_", tab.t[i].name, table_ptr(&tab, p.grads, i), tab.t[i].numel), "grad %s",
               tab.t[i].name);
    /* the lean sampling forward computes the same function (attention in query blocks, no saved P) */
    dit_stack_forward_infer(yi, iscr, x, c, &s, &tab, p.params, B, T);
    EXPECT(fix_close(tag, "y", "", yi, NC), "lean forward");
    /* in place (y == x) */
    memcpy(yi, x, NC * sizeof(float));
    dit_stack_forward_infer(yi, iscr, yi, c, &s, &tab, p.params, B, T);
    EXPECT(fix_close(tag, "y", "", yi, NC), "lean forward in place");

    free(x); free(c); free(dy); free(act); free(scr); free(y); free(dx); free(dc); free(yi); free(iscr);
    nn_params_free(&p);
    table_free(&tab);
}

TEST(dit_stack_matches_torch) { dit_case("dit2", 2, 2, 5, 16, 2, 0); }
TEST(dit_block_rope_matches_torch) { dit_case("ditrope", 1, 2, 6, 16, 2, 1); }

TEST(dit_register_names_and_errors) {
    tensor_table tab;
    table_init(&tab);
    dit_stack s;
    momu_err e = {0};
    EXPECT(dit_stack_register(&s, &tab, "blocks.", 2, 16, 2, 0, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(tab.n == 20, "20 tensors, got %d", tab.n);
    int id = table_find(&tab, "blocks.1.attn.qkv.weight");
    EXPECT(id >= 0 && tab.t[id].shape[0] == 48 && tab.t[id].shape[1] == 16 && tab.t[id].decay == 1, "qkv weight");
    id = table_find(&tab, "blocks.0.adaLN_modulation.1.bias");
    EXPECT(id >= 0 && tab.t[id].numel == 96 && tab.t[id].decay == 0, "adaLN bias");
    dit_block b;
    momu_err e2 = {0};
    EXPECT(dit_block_register(&b, &tab, "x.", 16, 3, 0, &e2) == MOMU_ERR_ARG && strstr(e2.msg, "heads"), "C %% H");
    momu_err e3 = {0};
    EXPECT(dit_block_register(&b, &tab, "y.", 18, 6, 1, &e3) == MOMU_ERR_ARG && strstr(e3.msg, "RoPE"), "odd D + rope");
    momu_err e4 = {0};
    EXPECT(dit_stack_register(&s, &tab, "blocks.", 1, 16, 2, 0, &e4) != MOMU_OK, "duplicate names rejected");
    table_free(&tab);
}

/* DiT's initialize_weights: adaLN-Zero makes every gate 0, so a freshly initialised block is exactly the
 * identity (y = x + 0 * ...), in the training and in the lean forward; xavier bounds respected. */
TEST(dit_init_is_identity) {
    size_t B = 2, T = 5, C = 16, H = 2, NC = B * T * C;
    tensor_table tab;
    table_init(&tab);
    dit_block blk;
    momu_err e = {0};
    EXPECT(dit_block_register(&blk, &tab, "", C, H, 0, &e) == MOMU_OK, "%s", e.msg);
    nn_params p;
    EXPECT(nn_params_alloc(&p, &tab, 0, &e) == MOMU_OK, "%s", e.msg);
    if (test_cur_fail) return;
    dit_block_w w;
    dit_block_bind(&w, &blk, &tab, p.params);
    momu_rng rng;
    momu_rng_seed(&rng, 3);
    dit_block_init(&w, &blk, &rng);
    float bound = sqrtf(6.0f / (float)(C + 4 * C)), mx = 0.0f;
    for (size_t i = 0; i < 4 * C * C; i++) mx = fabsf(w.fc1_w[i]) > mx ? fabsf(w.fc1_w[i]) : mx;
    EXPECT(mx <= bound && mx > 0.5f * bound, "fc1 xavier bound %g, max %g", bound, mx);
    float *x = malloc(NC * sizeof(float)), *c = malloc(B * C * sizeof(float)), *y = malloc(NC * sizeof(float));
    momu_rng_fill_normal(&rng, x, NC, 1.0f);
    momu_rng_fill_normal(&rng, c, B * C, 1.0f);
    float *act = calloc(dit_block_act_size(B, T, C, H), sizeof(float));
    float *scr = calloc(dit_block_infer_scratch_size(B, T, C, H), sizeof(float));
    dit_block_forward(y, act, x, c, &w, &blk, B, T);
    EXPECT(!memcmp(x, y, NC * sizeof(float)), "initialised block is not the identity");
    dit_block_forward_infer(y, scr, x, c, &w, &blk, B, T);
    EXPECT(!memcmp(x, y, NC * sizeof(float)), "initialised block (lean) is not the identity");
    free(x); free(c); free(y); free(act); free(scr);
    nn_params_free(&p);
    table_free(&tab);
}

/* ---- random block helpers --------------------------------------------------------------------------- */
typedef struct {
    tensor_table tab;
    dit_stack s;
    nn_params p;
    size_t B, T, C, H;
    float *x, *c, *dy;
} rand_dit;

static int rand_dit_init(rand_dit *r, size_t n_blocks, size_t B, size_t T, size_t C, size_t H, int rope, float wstd,
                         uint64_t seed) {
    memset(r, 0, sizeof *r);
    table_init(&r->tab);
    momu_err e = {0};
    if (dit_stack_register(&r->s, &r->tab, "blocks.", n_blocks, C, H, rope, &e) != MOMU_OK) return 0;
    if (nn_params_alloc(&r->p, &r->tab, NN_ALLOC_OPTIM, &e) != MOMU_OK) return 0;
    momu_rng rng;
    momu_rng_seed(&rng, seed);
    momu_rng_fill_normal(&rng, r->p.params, r->tab.total, wstd);
    r->B = B; r->T = T; r->C = C; r->H = H;
    r->x = malloc(B * T * C * sizeof(float));
    r->c = malloc(B * C * sizeof(float));
    r->dy = malloc(B * T * C * sizeof(float));
    momu_rng_fill_normal(&rng, r->x, B * T * C, 1.0f);
    momu_rng_fill_normal(&rng, r->c, B * C, 1.0f);
    momu_rng_fill_normal(&rng, r->dy, B * T * C, 1.0f);
    return 1;
}

static void rand_dit_free(rand_dit *r) {
    free(r->x); free(r->c); free(r->dy);
    nn_params_free(&r->p);
    table_free(&r->tab);
}

/* L = sum(y * dy) in double. */
static double rand_dit_loss(rand_dit *r, float *act, float *y) {
    dit_stack_forward(y, act, r->x, r->c, &r->s, &r->tab, r->p.params, r->B, r->T);
    double L = 0.0;
    for (size_t i = 0; i < r->B * r->T * r->C; i++) L += (double)y[i] * r->dy[i];
    return L;
}

/* Central differences in float on a tiny block (B 1, T 4, C 8, H 2, RoPE on), one block, independent of
 * PyTorch. eps 1e-2 with a float forward: truncation O(eps^2) ~ 1e-4 and rounding ~ 1e-7 |L| / eps; the
 * check is |fd - analytic| <= 3e-3 (1 + |analytic|) on a subset of every tensor, x and c. Bugs in a
 * backward formula give O(1) relative errors. */
TEST(dit_block_finite_differences) {
    rand_dit r;
    EXPECT(rand_dit_init(&r, 1, 1, 4, 8, 2, 1, 0.3f, 42), "init");
    if (test_cur_fail) return;
    size_t NC = r.B * r.T * r.C;
    float *act = calloc(dit_stack_act_size(&r.s, r.B, r.T), sizeof(float));
    float *scr = calloc(dit_stack_scratch_size(&r.s, r.B, r.T), sizeof(float));
    float *y = calloc(NC, sizeof(float)), *dx = calloc(NC, sizeof(float)), *dc = calloc(r.B * r.C, sizeof(float));
    rand_dit_loss(&r, act, y);
    nn_params_zero_grads(&r.p);
    dit_stack_backward(dx, dc, r.p.grads, scr, r.dy, act, r.c, &r.s, &r.tab, r.p.params, r.B, r.T);

    const float eps = 1e-2f;
    size_t n_checked = 0, n_bad = 0;
    double worst = 0.0;
    /* every parameter tensor (up to 12 entries each, spread over the tensor), then x and c */
    for (int ti = -2; ti < r.tab.n; ti++) {
        float *v, *g;
        size_t n;
        if (ti == -2) { v = r.x; g = dx; n = NC; }
        else if (ti == -1) { v = r.c; g = dc; n = r.B * r.C; }
        else { v = table_ptr(&r.tab, r.p.params, ti); g = table_ptr(&r.tab, r.p.grads, ti); n = r.tab.t[ti].numel; }
        size_t step = n / 12 ? n / 12 : 1;
        for (size_t i = 0; i < n; i += step) {
            float old = v[i];
            v[i] = old + eps;
            double lp = rand_dit_loss(&r, act, y);
            v[i] = old - eps;
            double lm = rand_dit_loss(&r, act, y);
            v[i] = old;
            double fd = (lp - lm) / (2.0 * eps), an = g[i];
            double err = fabs(fd - an) / (1.0 + fabs(an));
            if (err > worst) worst = err;
            if (err > 3e-3) {
                if (n_bad < 5) fprintf(stderr, "  fd %s[%zu]: fd %.6g analytic %.6g\n",
                                       ti == -2 ? "x" : ti == -1 ? "c" : r.tab.t[ti].name, i, fd, an);
                n_bad++;
            }
            n_checked++;
        }
    }
    EXPECT(n_bad == 0, "%zu of %zu finite differences off (worst %.3g)", n_bad, n_checked, worst);
    EXPECT(n_checked > 100, "checked %zu", n_checked);
    free(act); free(scr); free(y); free(dx); free(dc);
    rand_dit_free(&r);
}

/* A shape big enough for the BLAS paths and several query blocks (T 70 > 64), RoPE on: lean forward equals the
 * training forward, and forward + backward are byte-identical for 1 and 2 threads. */
TEST(dit_threads_deterministic_and_lean) {
    rand_dit r;
    EXPECT(rand_dit_init(&r, 2, 2, 70, 32, 4, 1, 0.1f, 7), "init");
    if (test_cur_fail) return;
    size_t NC = r.B * r.T * r.C, nact = dit_stack_act_size(&r.s, r.B, r.T);
    float *act = calloc(nact, sizeof(float)), *scr = calloc(dit_stack_scratch_size(&r.s, r.B, r.T), sizeof(float));
    float *y[2], *dx[2], *dc[2], *gr[2];
    for (int k = 0; k < 2; k++) {
#ifdef _OPENMP
        omp_set_num_threads(k + 1);
#endif
        y[k] = calloc(NC, sizeof(float)); dx[k] = calloc(NC, sizeof(float)); dc[k] = calloc(r.B * r.C, sizeof(float));
        gr[k] = malloc(r.tab.total * sizeof(float));
        dit_stack_forward(y[k], act, r.x, r.c, &r.s, &r.tab, r.p.params, r.B, r.T);
        nn_params_zero_grads(&r.p);
        dit_stack_backward(dx[k], dc[k], r.p.grads, scr, r.dy, act, r.c, &r.s, &r.tab, r.p.params, r.B, r.T);
        memcpy(gr[k], r.p.grads, r.tab.total * sizeof(float));
    }
    EXPECT(!memcmp(y[0], y[1], NC * sizeof(float)), "forward differs between 1 and 2 threads");
    EXPECT(!memcmp(dx[0], dx[1], NC * sizeof(float)), "dx differs between 1 and 2 threads");
    EXPECT(!memcmp(dc[0], dc[1], r.B * r.C * sizeof(float)), "dc differs between 1 and 2 threads");
    EXPECT(!memcmp(gr[0], gr[1], r.tab.total * sizeof(float)), "grads differ between 1 and 2 threads");

    float *yi[2], *iscr = calloc(dit_stack_infer_scratch_size(&r.s, r.B, r.T), sizeof(float));
    for (int k = 0; k < 2; k++) {
#ifdef _OPENMP
        omp_set_num_threads(k + 1);
#endif
        yi[k] = calloc(NC, sizeof(float));
        dit_stack_forward_infer(yi[k], iscr, r.x, r.c, &r.s, &r.tab, r.p.params, r.B, r.T);
    }
    EXPECT(!memcmp(yi[0], yi[1], NC * sizeof(float)), "lean forward differs between 1 and 2 threads");
    EXPECT(test_close("lean vs training forward", yi[0], y[0], NC, 1e-5, 1e-4), "lean forward");
#ifdef _OPENMP
    omp_set_num_threads(2);
#endif
    for (int k = 0; k < 2; k++) { free(y[k]); free(dx[k]); free(dc[k]); free(gr[k]); free(yi[k]); }
    free(act); free(scr); free(iscr);
    rand_dit_free(&r);
}

/* ---- conv residual block against torch ------------------------------------------------------------- */
static void res_case(const char *tag, size_t B, size_t T, size_t Ci, size_t Co, size_t G) {
    tensor_table tab;
    table_init(&tab);
    res_block rb;
    momu_err e = {0};
    EXPECT(res_block_register(&rb, &tab, "", Ci, Co, G, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(tab.n == (Ci == Co ? 8 : 10), "%d tensors", tab.n);
    nn_params p;
    EXPECT(nn_params_alloc(&p, &tab, NN_ALLOC_OPTIM, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(fix_load_params(tag, &tab, p.params), "weights of %s", tag);
    float *x = load_vec(tag, "x", B * T * Ci), *dy = load_vec(tag, "dy", B * T * Co);
    EXPECT(x && dy, "inputs of %s", tag);
    if (!x || !dy || test_cur_fail) { free(x); free(dy); nn_params_free(&p); table_free(&tab); return; }
    res_block_w w, dw;
    res_block_bind(&w, &rb, &tab, p.params);
    res_block_bind(&dw, &rb, &tab, p.grads);
    float *act = calloc(res_block_act_size(&rb, B, T), sizeof(float));
    float *scr = calloc(res_block_scratch_size(&rb, B, T), sizeof(float));
    float *y = calloc(B * T * Co, sizeof(float)), *dx = calloc(B * T * Ci, sizeof(float));
    res_block_forward(y, act, x, &w, &rb, B, T);
    EXPECT(fix_close(tag, "y", "", y, B * T * Co), "forward");
    nn_params_zero_grads(&p);
    res_block_backward(dx, &dw, scr, dy, act, x, &w, &rb, B, T);
    EXPECT(fix_close(tag, "dx", "", dx, B * T * Ci), "dx");
    for (int i = 0; i < tab.n; i++)
        EXPECT(fix_close(tag, "g_", tab.t[i].name, table_ptr(&tab, p.grads, i), tab.t[i].numel), "grad %s",
               tab.t[i].name);
    /* dx == NULL gives the same parameter gradients */
    float *g1 = malloc(tab.total * sizeof(float));
    memcpy(g1, p.grads, tab.total * sizeof(float));
    nn_params_zero_grads(&p);
    res_block_backward(NULL, &dw, scr, dy, act, x, &w, &rb, B, T);
    EXPECT(!memcmp(g1, p.grads, tab.total * sizeof(float)), "grads without dx differ");
    free(g1); free(x); free(dy); free(act); free(scr); free(y); free(dx);
    nn_params_free(&p);
    table_free(&tab);
}

TEST(res_block_shortcut_matches_torch) { res_case("res_skip", 2, 7, 8, 16, 4); }
TEST(res_block_identity_matches_torch) { res_case("res_same", 2, 6, 16, 16, 4); }

TEST(res_register_names_and_errors) {
    tensor_table tab;
    table_init(&tab);
    res_block rb;
    momu_err e = {0};
    EXPECT(res_block_register(&rb, &tab, "enc.res.0.", 64, 128, 32, &e) == MOMU_OK, "%s", e.msg);
    int id = table_find(&tab, "enc.res.0.conv1.weight");
    EXPECT(id >= 0 && tab.t[id].ndim == 3 && tab.t[id].shape[0] == 128 && tab.t[id].shape[1] == 64 &&
           tab.t[id].shape[2] == 3 && tab.t[id].decay == 1, "conv1 weight");
    id = table_find(&tab, "enc.res.0.nin_shortcut.weight");
    EXPECT(id >= 0 && tab.t[id].shape[2] == 1, "shortcut weight (Co,Ci,1)");
    id = table_find(&tab, "enc.res.0.norm1.weight");
    EXPECT(id >= 0 && tab.t[id].decay == 0 && tab.t[id].numel == 64, "norm1 weight");
    momu_err e2 = {0};
    EXPECT(res_block_register(&rb, &tab, "x.", 48, 64, 32, &e2) == MOMU_ERR_ARG && strstr(e2.msg, "groups"), "G | C");
    table_free(&tab);
}

/* Central differences on a tiny res block with a shortcut (B 2, T 5, Ci 4, Co 6, G 2): as for the DiT. */
static double res_loss(const res_block *rb, const res_block_w *w, float *act, const float *x, const float *dy,
                       float *y, size_t B, size_t T) {
    res_block_forward(y, act, x, w, rb, B, T);
    double L = 0.0;
    for (size_t i = 0; i < B * T * rb->Co; i++) L += (double)y[i] * dy[i];
    return L;
}

TEST(res_block_finite_differences) {
    size_t B = 2, T = 5, Ci = 4, Co = 6, G = 2;
    tensor_table tab;
    table_init(&tab);
    res_block rb;
    momu_err e = {0};
    EXPECT(res_block_register(&rb, &tab, "", Ci, Co, G, &e) == MOMU_OK, "%s", e.msg);
    nn_params p;
    EXPECT(nn_params_alloc(&p, &tab, NN_ALLOC_OPTIM, &e) == MOMU_OK, "%s", e.msg);
    if (test_cur_fail) return;
    momu_rng rng;
    momu_rng_seed(&rng, 5);
    momu_rng_fill_normal(&rng, p.params, tab.total, 0.4f);
    float *x = malloc(B * T * Ci * sizeof(float)), *dy = malloc(B * T * Co * sizeof(float));
    momu_rng_fill_normal(&rng, x, B * T * Ci, 1.0f);
    momu_rng_fill_normal(&rng, dy, B * T * Co, 1.0f);
    res_block_w w, dw;
    res_block_bind(&w, &rb, &tab, p.params);
    res_block_bind(&dw, &rb, &tab, p.grads);
    float *act = calloc(res_block_act_size(&rb, B, T), sizeof(float));
    float *scr = calloc(res_block_scratch_size(&rb, B, T), sizeof(float));
    float *y = calloc(B * T * Co, sizeof(float)), *dx = calloc(B * T * Ci, sizeof(float));
    res_loss(&rb, &w, act, x, dy, y, B, T);
    nn_params_zero_grads(&p);
    res_block_backward(dx, &dw, scr, dy, act, x, &w, &rb, B, T);
    const float eps = 1e-2f;
    size_t n_checked = 0, n_bad = 0;
    double worst = 0.0;
    for (int ti = -1; ti < tab.n; ti++) {
        float *v = ti < 0 ? x : table_ptr(&tab, p.params, ti), *g = ti < 0 ? dx : table_ptr(&tab, p.grads, ti);
        size_t n = ti < 0 ? B * T * Ci : tab.t[ti].numel, step = n / 12 ? n / 12 : 1;
        for (size_t i = 0; i < n; i += step) {
            float old = v[i];
            v[i] = old + eps;
            double lp = res_loss(&rb, &w, act, x, dy, y, B, T);
            v[i] = old - eps;
            double lm = res_loss(&rb, &w, act, x, dy, y, B, T);
            v[i] = old;
            double fd = (lp - lm) / (2.0 * eps), err = fabs(fd - g[i]) / (1.0 + fabs(g[i]));
            if (err > worst) worst = err;
            if (err > 3e-3) n_bad++;
            n_checked++;
        }
    }
    EXPECT(n_bad == 0, "%zu of %zu finite differences off (worst %.3g)", n_bad, n_checked, worst);
    free(x); free(dy); free(act); free(scr); free(y); free(dx);
    nn_params_free(&p);
    table_free(&tab);
}

/* The fused res block against the same block composed from the nn_layers.h layers (GroupNorm, SiLU, Conv1d
 * with im2col), for short sequences (T = 1 and 2 exercise the padded layout's edges) and a longer one. */
static void res_vs_layers(size_t B, size_t T, size_t Ci, size_t Co, size_t G) {
    tensor_table tab;
    table_init(&tab);
    res_block rb;
    momu_err e = {0};
    EXPECT(res_block_register(&rb, &tab, "", Ci, Co, G, &e) == MOMU_OK, "%s", e.msg);
    nn_params p;
    EXPECT(nn_params_alloc(&p, &tab, NN_ALLOC_OPTIM, &e) == MOMU_OK, "%s", e.msg);
    if (test_cur_fail) return;
    momu_rng rng;
    momu_rng_seed(&rng, 77 + T);
    momu_rng_fill_normal(&rng, p.params, tab.total, 0.3f);
    size_t NI = B * T * Ci, NO = B * T * Co;
    float *x = malloc(NI * sizeof(float)), *dy = malloc(NO * sizeof(float));
    momu_rng_fill_normal(&rng, x, NI, 1.0f);
    momu_rng_fill_normal(&rng, dy, NO, 1.0f);
    res_block_w w, dw;
    res_block_bind(&w, &rb, &tab, p.params);
    res_block_bind(&dw, &rb, &tab, p.grads);
    float *act = calloc(res_block_act_size(&rb, B, T), sizeof(float));
    float *scr = calloc(res_block_scratch_size(&rb, B, T), sizeof(float));
    float *y = calloc(NO, sizeof(float)), *dx = calloc(NI, sizeof(float));
    res_block_forward(y, act, x, &w, &rb, B, T);
    nn_params_zero_grads(&p);
    res_block_backward(dx, &dw, scr, dy, act, x, &w, &rb, B, T);
    /* the composition: h = conv1(silu(gn1(x))); y = conv2(silu(gn2(h))) + skip(x) */
    nn_conv1d_geom k3 = {3, 1, 1, 1, 1, 0}, k1 = {1, 1, 0, 1, 1, 0};
    size_t BG = B * G;
    float *n1 = calloc(NI, 4), *s1 = calloc(NI, 4), *h = calloc(NO, 4), *n2 = calloc(NO, 4), *s2 = calloc(NO, 4);
    float *m1 = calloc(BG, 4), *r1 = calloc(BG, 4), *m2 = calloc(BG, 4), *r2 = calloc(BG, 4), *yr = calloc(NO, 4);
    nn_groupnorm_forward(n1, m1, r1, x, w.norm1_w, w.norm1_b, B, T, Ci, G, RES_GN_EPS);
    nn_silu_forward(s1, n1, NI);
    nn_conv1d_forward(h, s1, w.conv1_w, w.conv1_b, B, T, Ci, Co, &k3);
    nn_groupnorm_forward(n2, m2, r2, h, w.norm2_w, w.norm2_b, B, T, Co, G, RES_GN_EPS);
    nn_silu_forward(s2, n2, NO);
    nn_conv1d_forward(yr, s2, w.conv2_w, w.conv2_b, B, T, Co, Co, &k3);
    float *sk = calloc(NO, 4);
    if (w.skip_w) nn_conv1d_forward(sk, x, w.skip_w, w.skip_b, B, T, Ci, Co, &k1);
    else memcpy(sk, x, NO * 4);
    for (size_t i = 0; i < NO; i++) yr[i] += sk[i];
    EXPECT(test_close("res vs layers: y", y, yr, NO, 1e-5, 1e-4), "forward T %zu", T);
    /* backward through the composition, gradients into a second grad buffer */
    float *g2 = calloc(tab.total, 4), *dxr = calloc(NI, 4), *ds2 = calloc(NO, 4), *dn2 = calloc(NO, 4);
    float *dh = calloc(NO, 4), *ds1 = calloc(NI, 4), *dn1 = calloc(NI, 4);
    res_block_w gw;
    res_block_bind(&gw, &rb, &tab, g2);
    if (w.skip_w) nn_conv1d_backward(dxr, gw.skip_w, gw.skip_b, dy, x, w.skip_w, B, T, Ci, Co, &k1);
    else for (size_t i = 0; i < NI; i++) dxr[i] += dy[i];
    nn_conv1d_backward(ds2, gw.conv2_w, gw.conv2_b, dy, s2, w.conv2_w, B, T, Co, Co, &k3);
    nn_silu_backward(dn2, ds2, n2, NO);
    nn_groupnorm_backward(dh, gw.norm2_w, gw.norm2_b, dn2, h, m2, r2, w.norm2_w, B, T, Co, G);
    nn_conv1d_backward(ds1, gw.conv1_w, gw.conv1_b, dh, s1, w.conv1_w, B, T, Ci, Co, &k3);
    nn_silu_backward(dn1, ds1, n1, NI);
    nn_groupnorm_backward(dxr, gw.norm1_w, gw.norm1_b, dn1, x, m1, r1, w.norm1_w, B, T, Ci, G);
    EXPECT(test_close("res vs layers: dx", dx, dxr, NI, 1e-5, 1e-4), "dx T %zu", T);
    for (int i = 0; i < tab.n; i++)
        EXPECT(test_close(tab.t[i].name, table_ptr(&tab, p.grads, i), table_ptr(&tab, g2, i), tab.t[i].numel, 1e-4, 1e-4),
               "grad %s T %zu", tab.t[i].name, T);
    free(n1); free(s1); free(h); free(n2); free(s2); free(m1); free(r1); free(m2); free(r2); free(yr); free(sk);
    free(g2); free(dxr); free(ds2); free(dn2); free(dh); free(ds1); free(dn1);
    free(x); free(dy); free(act); free(scr); free(y); free(dx);
    nn_params_free(&p);
    table_free(&tab);
}

TEST(res_block_matches_layer_composition) {
    res_vs_layers(2, 1, 8, 16, 4);
    res_vs_layers(3, 2, 16, 16, 8);
    res_vs_layers(2, 33, 32, 64, 8);
}

/* A shape that reaches the BLAS paths: forward and backward byte-identical for 1 and 2 threads. */
TEST(res_threads_deterministic) {
    size_t B = 2, T = 40, Ci = 32, Co = 64, G = 8;
    tensor_table tab;
    table_init(&tab);
    res_block rb;
    momu_err e = {0};
    EXPECT(res_block_register(&rb, &tab, "", Ci, Co, G, &e) == MOMU_OK, "%s", e.msg);
    nn_params p;
    EXPECT(nn_params_alloc(&p, &tab, NN_ALLOC_OPTIM, &e) == MOMU_OK, "%s", e.msg);
    if (test_cur_fail) return;
    momu_rng rng;
    momu_rng_seed(&rng, 9);
    momu_rng_fill_normal(&rng, p.params, tab.total, 0.2f);
    float *x = malloc(B * T * Ci * sizeof(float)), *dy = malloc(B * T * Co * sizeof(float));
    momu_rng_fill_normal(&rng, x, B * T * Ci, 1.0f);
    momu_rng_fill_normal(&rng, dy, B * T * Co, 1.0f);
    res_block_w w, dw;
    res_block_bind(&w, &rb, &tab, p.params);
    res_block_bind(&dw, &rb, &tab, p.grads);
    float *act = calloc(res_block_act_size(&rb, B, T), sizeof(float));
    float *scr = calloc(res_block_scratch_size(&rb, B, T), sizeof(float));
    float *y[2], *dx[2], *gr[2];
    for (int k = 0; k < 2; k++) {
#ifdef _OPENMP
        omp_set_num_threads(k + 1);
#endif
        y[k] = calloc(B * T * Co, sizeof(float));
        dx[k] = calloc(B * T * Ci, sizeof(float));
        gr[k] = malloc(tab.total * sizeof(float));
        res_block_forward(y[k], act, x, &w, &rb, B, T);
        nn_params_zero_grads(&p);
        res_block_backward(dx[k], &dw, scr, dy, act, x, &w, &rb, B, T);
        memcpy(gr[k], p.grads, tab.total * sizeof(float));
    }
#ifdef _OPENMP
    omp_set_num_threads(2);
#endif
    EXPECT(!memcmp(y[0], y[1], B * T * Co * sizeof(float)), "forward differs between 1 and 2 threads");
    EXPECT(!memcmp(dx[0], dx[1], B * T * Ci * sizeof(float)), "dx differs between 1 and 2 threads");
    EXPECT(!memcmp(gr[0], gr[1], tab.total * sizeof(float)), "grads differ between 1 and 2 threads");
    for (int k = 0; k < 2; k++) { free(y[k]); free(dx[k]); free(gr[k]); }
    free(x); free(dy); free(act); free(scr);
    nn_params_free(&p);
    table_free(&tab);
}

int main(void) {
    RUN(dit_register_names_and_errors);
    RUN(dit_stack_matches_torch);
    RUN(dit_block_rope_matches_torch);
    RUN(dit_init_is_identity);
    RUN(dit_block_finite_differences);
    RUN(dit_threads_deterministic_and_lean);
    RUN(res_register_names_and_errors);
    RUN(res_block_shortcut_matches_torch);
    RUN(res_block_identity_matches_torch);
    RUN(res_block_finite_differences);
    RUN(res_threads_deterministic);
    RUN(res_block_matches_layer_composition);
    return test_summary();
}
