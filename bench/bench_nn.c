/* bench/bench_nn.c — speed of momu's network blocks, to be compared with the identical PyTorch model
 * (bench/peer_nn.py reads the weights and inputs this program writes). Run by hand: bench/run.sh.
 *
 * Shapes (the brief of issue "Neural-network engine", part 3):
 *   dit-train   DiT stack, width C 384, H 8 heads, 4 blocks, adaLN, GELU MLP x4; batch 8, 300 tokens:
 *               forward + backward + AdamW step
 *   dit-sample  the same stack, batch 2, 375 tokens: forward only (memory-lean attention)
 *   res-train   4 conv residual blocks (GroupNorm 32, SiLU, Conv1d k3), batch 8, 256 channels,
 *               400 frames: forward + backward (+ AdamW step)
 * Time per step: median of REPS runs after 2 warm-up runs. FLOPs are those of the matrix products only,
 * counted analytically (formulas printed); GFLOP/s = FLOPs / median time.
 *
 * Usage: bench_nn OUTDIR [reps]   writes OUTDIR/{dit,res}.safetensors, inputs and outputs as .npy,
 *        and prints one line per shape: "RESULT <shape> <median s> <GFLOP> <GFLOP/s>". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "momu/common.h"
#include "momu/nn_blocks.h"
#include "momu/nn_optim.h"
#include "momu/nn_params.h"
#include "momu/npy.h"
#include "momu/rng.h"
#include "momu/safetensors.h"

/* Process CPU seconds (all threads): with 1 thread and a busy machine a steadier yardstick than wall time. */
static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_dbl(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *t, int n) {
    qsort(t, (size_t)n, sizeof *t, cmp_dbl);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

static void die(const momu_err *e) {
    fprintf(stderr, "bench_nn: %s\n", e->msg);
    exit(1);
}

static void save_npy(const char *dir, const char *name, const float *x, int ndim, const size_t *shape) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.npy", dir, name);
    momu_err e = {0};
    if (momu_npy_write_f32(path, x, ndim, shape, &e) != MOMU_OK) die(&e);
}

static float *rand_buf(momu_rng *rng, size_t n, float std) {
    float *p = malloc(n * sizeof *p);
    if (!p) { fprintf(stderr, "bench_nn: out of memory\n"); exit(1); }
    momu_rng_fill_normal(rng, p, n, std);
    return p;
}

/* Matrix-product FLOPs of one DiT block forward: 2 N C (3C + C + 4C + 4C) for qkv, proj, fc1, fc2,
 * + 2 * 2 B T^2 C for q k^T and P v (all heads), + 2 B C 6C for adaLN. Backward = 2x forward. */
static double dit_block_flops(size_t B, size_t T, size_t C) {
    double N = (double)B * (double)T, c = (double)C;
    return 2.0 * N * c * 12.0 * c + 4.0 * (double)B * (double)T * (double)T * c + 12.0 * (double)B * c * c;
}

static void bench_dit(const char *outdir, int reps, int do_train) {
    const size_t NB = 4, C = 384, H = 8;
    const size_t Bt = 8, Tt = 300, Bs = 2, Ts = 375;
    momu_err e = {0};
    tensor_table tab;
    table_init(&tab);
    dit_stack s;
    if (dit_stack_register(&s, &tab, "blocks.", NB, C, H, 0, &e) != MOMU_OK) die(&e);
    nn_params p;
    if (nn_params_alloc(&p, &tab, NN_ALLOC_OPTIM, &e) != MOMU_OK) die(&e);
    momu_rng rng;
    momu_rng_seed(&rng, 1234);
    /* random weights everywhere (not adaLN-Zero) so that every path carries signal in the comparison */
    for (int i = 0; i < tab.n; i++) {
        float *w = table_ptr(&tab, p.params, i);
        momu_rng_fill_normal(&rng, w, tab.t[i].numel, tab.t[i].ndim == 2 ? 0.02f : 0.01f);
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/dit.safetensors", outdir);
    if (safetensors_write_table(path, &tab, p.params, SAFETENSORS_F32, NULL, &e) != MOMU_OK) die(&e);

    /* ---- training step ---- */
    double t[64], tf[64], fl, med;
    size_t NC;
    float *x, *c, *y;
    if (do_train) {
    NC = Bt * Tt * C;
    x = rand_buf(&rng, NC, 1.0f); c = rand_buf(&rng, Bt * C, 1.0f);
    float *dy = rand_buf(&rng, NC, 1.0f);
    y = calloc(NC, sizeof *y);
    float *dx = calloc(NC, sizeof *dx), *dc = calloc(Bt * C, sizeof *dc);
    size_t n_act = dit_stack_act_size(&s, Bt, Tt), n_scr = dit_stack_scratch_size(&s, Bt, Tt);
    float *act = malloc(n_act * sizeof *act), *scr = malloc(n_scr * sizeof *scr);
    if (!y || !dx || !dc || !act || !scr) { fprintf(stderr, "bench_nn: out of memory\n"); exit(1); }
    printf("dit: %zu blocks, C %zu, H %zu: %zu parameters; training activations %.1f MB, scratch %.1f MB\n", NB, C,
           H, table_numel(&tab), (double)n_act * 4e-6, (double)n_scr * 4e-6);
    /* the reference pass for the correctness check: weights as saved, before any optimizer step */
    dit_stack_forward(y, act, x, c, &s, &tab, p.params, Bt, Tt);
    nn_params_zero_grads(&p);
    memset(dx, 0, NC * sizeof *dx);
    memset(dc, 0, Bt * C * sizeof *dc);
    dit_stack_backward(dx, dc, p.grads, scr, dy, act, c, &s, &tab, p.params, Bt, Tt);
    size_t sh3[3] = {Bt, Tt, C}, sh2[2] = {Bt, C};
    save_npy(outdir, "dit_train_x", x, 3, sh3);
    save_npy(outdir, "dit_train_c", c, 2, sh2);
    save_npy(outdir, "dit_train_dy", dy, 3, sh3);
    save_npy(outdir, "dit_train_y", y, 3, sh3);
    save_npy(outdir, "dit_train_dx", dx, 3, sh3);
    {
        int id = table_find(&tab, "blocks.0.attn.qkv.weight");
        size_t shw[2] = {3 * C, C};
        save_npy(outdir, "dit_train_g_qkv0", table_ptr(&tab, p.grads, id), 2, shw);
    }

    adamw_config ac;
    adamw_config_default(&ac);
    ac.lr = 1e-4f;
    nn_optim opt;
    optim_init(&opt, &ac);
    double tc[64];
    for (int r = -2; r < reps; r++) {
        double t0 = momu_time_s(), c0 = cpu_s();
        nn_params_zero_grads(&p);
        memset(dx, 0, NC * sizeof *dx);
        memset(dc, 0, Bt * C * sizeof *dc);
        dit_stack_forward(y, act, x, c, &s, &tab, p.params, Bt, Tt);
        double t1 = momu_time_s();
        dit_stack_backward(dx, dc, p.grads, scr, dy, act, c, &s, &tab, p.params, Bt, Tt);
        optim_step(&opt, &p, 0.0f);
        double t2 = momu_time_s();
        if (r >= 0) { t[r] = t2 - t0; tf[r] = t1 - t0; tc[r] = cpu_s() - c0; }
    }
    fl = 3.0 * (double)NB * dit_block_flops(Bt, Tt, C);
    med = median(t, reps);
    double medf = median(tf, reps);
    printf("dit-train  B %zu T %zu: step %.4f s (forward %.4f s), FLOPs 3 x %zu x [2NC*12C + 4BT^2C + 12BC^2] = %.2f GFLOP, %.1f GFLOP/s\n",
           Bt, Tt, med, medf, NB, fl * 1e-9, fl / med * 1e-9);
    printf("RESULT dit-train %.5f %.3f %.1f cpu %.5f\n", med, fl * 1e-9, fl / med * 1e-9, median(tc, reps));
    free(x); free(c); free(dy); free(y); free(dx); free(dc); free(act); free(scr);
    }

    /* ---- sampling forward (weights restored from the file: the optimizer moved them) ---- */
    if (safetensors_load_table(path, &tab, p.params, SAFETENSORS_F32, NULL, &e) != MOMU_OK) die(&e);
    NC = Bs * Ts * C;
    x = rand_buf(&rng, NC, 1.0f);
    c = rand_buf(&rng, Bs * C, 1.0f);
    y = calloc(NC, sizeof *y);
    size_t n_is = dit_stack_infer_scratch_size(&s, Bs, Ts);
    float *iscr = malloc(n_is * sizeof *iscr);
    printf("dit-sample scratch %.1f MB\n", (double)n_is * 4e-6);
    double tc[64];
    for (int r = -2; r < reps; r++) {
        double t0 = momu_time_s(), c0 = cpu_s();
        dit_stack_forward_infer(y, iscr, x, c, &s, &tab, p.params, Bs, Ts);
        if (r >= 0) { t[r] = momu_time_s() - t0; tc[r] = cpu_s() - c0; }
    }
    /* the alternative: the training forward (saves activations and the whole (B,H,T,T) attention);
     * skipped with BENCH_NN_LEAN_ONLY=1 (for profiling the lean forward alone) */
    if (!getenv("BENCH_NN_LEAN_ONLY")) {
        float *act2 = malloc(dit_stack_act_size(&s, Bs, Ts) * sizeof *act2), *y2 = malloc(NC * sizeof *y2);
        double t2[64];
        if (!act2 || !y2) { fprintf(stderr, "bench_nn: out of memory\n"); exit(1); }
        for (int r = -2; r < reps; r++) {
            double t0 = momu_time_s();
            dit_stack_forward(y2, act2, x, c, &s, &tab, p.params, Bs, Ts);
            if (r >= 0) t2[r] = momu_time_s() - t0;
        }
        double md = 0.0;
        for (size_t i = 0; i < NC; i++) md = fmax(md, fabs((double)y2[i] - y[i]));
        printf("dit-sample with the training forward instead: %.4f s (activations %.1f MB; max |diff| to lean %.2g)\n",
               median(t2, reps), (double)dit_stack_act_size(&s, Bs, Ts) * 4e-6, md);
        free(act2); free(y2);
    }
    size_t sh3s[3] = {Bs, Ts, C}, sh2s[2] = {Bs, C};
    save_npy(outdir, "dit_sample_x", x, 3, sh3s);
    save_npy(outdir, "dit_sample_c", c, 2, sh2s);
    save_npy(outdir, "dit_sample_y", y, 3, sh3s);
    fl = (double)NB * dit_block_flops(Bs, Ts, C);
    med = median(t, reps);
    printf("dit-sample B %zu T %zu: forward %.4f s, FLOPs %zu x [2NC*12C + 4BT^2C + 12BC^2] = %.2f GFLOP, %.1f GFLOP/s\n",
           Bs, Ts, med, NB, fl * 1e-9, fl / med * 1e-9);
    printf("RESULT dit-sample %.5f %.3f %.1f cpu %.5f\n", med, fl * 1e-9, fl / med * 1e-9, median(tc, reps));
    free(x); free(c); free(y); free(iscr);
    nn_params_free(&p);
    table_free(&tab);
}

/* Matrix-product FLOPs of one res block (Ci = Co = C, no shortcut) forward: two Conv1d k=3, 2 N C 3C each. */
static void bench_res(const char *outdir, int reps) {
    const size_t NB = 4, C = 256, G = 32, B = 8, T = 400, NC = B * T * C;
    momu_err e = {0};
    tensor_table tab;
    table_init(&tab);
    res_block rb[4];
    for (size_t i = 0; i < NB; i++) {
        char pre[64];
        snprintf(pre, sizeof pre, "res.%zu.", i);
        if (res_block_register(&rb[i], &tab, pre, C, C, G, &e) != MOMU_OK) die(&e);
    }
    nn_params p;
    if (nn_params_alloc(&p, &tab, NN_ALLOC_OPTIM, &e) != MOMU_OK) die(&e);
    momu_rng rng;
    momu_rng_seed(&rng, 4321);
    for (int i = 0; i < tab.n; i++) {
        float *w = table_ptr(&tab, p.params, i);
        int is_norm_w = strstr(tab.t[i].name, "norm") && strstr(tab.t[i].name, "weight");
        momu_rng_fill_normal(&rng, w, tab.t[i].numel, tab.t[i].ndim == 3 ? 0.03f : 0.05f);
        if (is_norm_w) for (size_t k = 0; k < tab.t[i].numel; k++) w[k] += 1.0f;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/res.safetensors", outdir);
    if (safetensors_write_table(path, &tab, p.params, SAFETENSORS_F32, NULL, &e) != MOMU_OK) die(&e);
    float *xs = malloc((NB + 1) * NC * sizeof *xs);     /* inputs of every block, then the output */
    float *dy = rand_buf(&rng, NC, 1.0f), *g0 = malloc(NC * sizeof *g0), *g1 = malloc(NC * sizeof *g1);
    size_t n_act = res_block_act_size(&rb[0], B, T), n_scr = res_block_scratch_size(&rb[0], B, T);
    float *act = malloc(NB * n_act * sizeof *act), *scr = malloc(n_scr * sizeof *scr);
    if (!xs || !g0 || !g1 || !act || !scr) { fprintf(stderr, "bench_nn: out of memory\n"); exit(1); }
    momu_rng_fill_normal(&rng, xs, NC, 1.0f);
    res_block_w w[4], dw[4];
    for (size_t i = 0; i < NB; i++) {
        res_block_bind(&w[i], &rb[i], &tab, p.params);
        res_block_bind(&dw[i], &rb[i], &tab, p.grads);
    }
    printf("res: %zu blocks, C %zu, G %zu: %zu parameters; activations %.1f MB\n", NB, C, G, table_numel(&tab),
           (double)(NB * n_act + NB * NC) * 4e-6);
    adamw_config ac;
    adamw_config_default(&ac);
    ac.lr = 1e-4f;
    nn_optim opt;
    optim_init(&opt, &ac);
    double t[64], tc[64];
    size_t sh3[3] = {B, T, C};
    for (int r = -3; r < reps; r++) {
        double t0 = momu_time_s(), c0 = cpu_s();
        nn_params_zero_grads(&p);
        for (size_t i = 0; i < NB; i++) res_block_forward(xs + (i + 1) * NC, act + i * n_act, xs + i * NC, &w[i], &rb[i], B, T);
        const float *dcur = dy;
        for (size_t i = NB; i-- > 0;) {
            float *dnext = dcur == g0 ? g1 : g0;
            memset(dnext, 0, NC * sizeof *dnext);
            res_block_backward(dnext, &dw[i], scr, dcur, act + i * n_act, xs + i * NC, &w[i], &rb[i], B, T);
            dcur = dnext;
        }
        if (r == -3) {   /* the correctness pass, on the weights as saved */
            save_npy(outdir, "res_x", xs, 3, sh3);
            save_npy(outdir, "res_dy", dy, 3, sh3);
            save_npy(outdir, "res_y", xs + NB * NC, 3, sh3);
            save_npy(outdir, "res_dx", dcur, 3, sh3);
        }
        optim_step(&opt, &p, 0.0f);
        if (r >= 0) { t[r] = momu_time_s() - t0; tc[r] = cpu_s() - c0; }
    }
    double fl = 3.0 * (double)NB * 12.0 * (double)(B * T) * (double)C * (double)C, med = median(t, reps);
    printf("res-train  B %zu T %zu C %zu: step %.4f s, FLOPs 3 x %zu x [2 x 2N C 3C] = %.2f GFLOP, %.1f GFLOP/s\n", B, T,
           C, med, NB, fl * 1e-9, fl / med * 1e-9);
    printf("RESULT res-train %.5f %.3f %.1f cpu %.5f\n", med, fl * 1e-9, fl / med * 1e-9, median(tc, reps));
    free(xs); free(dy); free(g0); free(g1); free(act); free(scr);
    nn_params_free(&p);
    table_free(&tab);
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: bench_nn OUTDIR [reps 5..64] [all|dit|sample|res]\n"); return 2; }
    int reps = argc > 2 ? atoi(argv[2]) : 7;
    if (reps < 5 || reps > 64) { fprintf(stderr, "bench_nn: reps must be 5..64\n"); return 2; }
    const char *which = argc > 3 ? argv[3] : "all";
    momu_verbosity = 0;
#ifdef _OPENMP
    printf("momu: %d OpenMP threads\n", omp_get_max_threads());
#endif
    if (!strcmp(which, "dit") || !strcmp(which, "all")) bench_dit(argv[1], reps, 1);
    if (!strcmp(which, "sample")) bench_dit(argv[1], reps, 0);
    if (!strcmp(which, "res") || !strcmp(which, "all")) bench_res(argv[1], reps);
    return 0;
}
