/* Resume test: a 2-layer MLP (nn_linear + SiLU from nn_layers.h) trained on synthetic regression data with
 * AdamW, warm-up + cosine schedule, clipping and EMA; random batches, input noise and an epoch-shuffled data
 * cursor all draw from one momu_rng. 50 steps straight must equal, byte for byte, 25 steps + save (weights
 * safetensors + training-state file) + a load into freshly allocated state + 25 steps. Also: byte-identical
 * with 1 and 2 OpenMP threads, and state files of another model / rank / corrupted metadata are refused.
 *
 * MOMU_TEST_EXPORT=DIR: also writes DIR/mlp.safetensors, DIR/mlp_f16.safetensors and DIR/<tensor>.npy for
 * `tools/safetensors_check.py compare DIR/mlp.safetensors --npy-dir DIR` (the PyTorch-side check). */
#include <math.h>
#include <stdint.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "momu/nn_arena.h"
#include "momu/nn_layers.h"
#include "momu/nn_optim.h"
#include "momu/nn_params.h"
#include "momu/npy.h"
#include "momu/rng.h"
#include "momu/safetensors.h"
#include "test.h"

/* N data points, B batch, I inputs, H hidden, O outputs */
enum { N_DATA = 200, BATCH = 64, IN = 16, OUT = 4, STEPS = 50 };

typedef struct {
    size_t H;
    tensor_table tab;
    int fc1_w, fc1_b, fc2_w, fc2_b;
    nn_params p;
    nn_optim o;
    trainstate_extra x;
    size_t perm[N_DATA];
    nn_arena arena;
    float *xb, *yb, *h, *a, *yhat, *dyhat, *da, *dh;   /* activations, from the arena */
} run_state;

static float data_x[N_DATA * IN], data_y[N_DATA * OUT];

static void make_data(void) {
    momu_rng r;
    momu_rng_seed(&r, 99);
    momu_rng_fill_normal(&r, data_x, N_DATA * IN, 1.0f);
    for (int n = 0; n < N_DATA; n++)
        for (int o = 0; o < OUT; o++) {
            double s = 0;
            for (int i = 0; i < IN; i++) s += sin(0.3 * (i + 1) * (o + 1)) * data_x[n * IN + i];
            data_y[n * OUT + o] = (float)tanh(s);
        }
}

static void carve(run_state *s, momu_err *e) {
    nn_arena *a = &s->arena;
    s->xb = nn_arena_take(a, BATCH * IN, e);
    s->yb = nn_arena_take(a, BATCH * OUT, e);
    s->h = nn_arena_take(a, BATCH * s->H, e);
    s->a = nn_arena_take(a, BATCH * s->H, e);
    s->yhat = nn_arena_take(a, BATCH * OUT, e);
    s->dyhat = nn_arena_take(a, BATCH * OUT, e);
    s->da = nn_arena_take(a, BATCH * s->H, e);
    s->dh = nn_arena_take(a, BATCH * s->H, e);
}

/* Builds the model (table, buffers, optimizer, arena); weights are NOT initialised here. */
static momu_status model_build(run_state *s, size_t H, momu_err *e) {
    memset(s, 0, sizeof *s);
    s->H = H;
    table_init(&s->tab);
    s->fc1_w = TABLE_ADD(&s->tab, "fc1.weight", 1, e, H, IN);
    s->fc1_b = TABLE_ADD(&s->tab, "fc1.bias", 0, e, H);
    s->fc2_w = TABLE_ADD(&s->tab, "fc2.weight", 1, e, OUT, H);
    s->fc2_b = TABLE_ADD(&s->tab, "fc2.bias", 0, e, OUT);
    if (e->status) return e->status;
    momu_status st = nn_params_alloc(&s->p, &s->tab, NN_ALLOC_OPTIM | NN_ALLOC_EMA, e);
    if (st) return st;
    adamw_config c;
    adamw_config_default(&c);
    c.lr = 3e-3;
    c.weight_decay = 0.05;
    c.clip_norm = 0.5;
    c.ema_decay = 0.9;
    c.warmup_steps = 5;
    c.total_steps = STEPS;
    c.lr_min = 3e-4;
    optim_init(&s->o, &c);
    nn_arena_init(&s->arena, "mlp activations");
    carve(s, e);                                     /* plan */
    if ((st = nn_arena_finish_plan(&s->arena, e))) return st;
    nn_arena_reset(&s->arena);
    carve(s, e);
    return e->status;
}

static void model_free(run_state *s) {
    nn_arena_free(&s->arena);
    nn_params_free(&s->p);
    table_free(&s->tab);
}

/* A fresh run: weights ~ N(0, 1/fan_in), the RNG seeded, a shuffled permutation, cursor 0. */
static void model_init(run_state *s, uint64_t seed) {
    momu_rng_seed(&s->x.rng, seed);
    const tensor_table *t = &s->tab;
    momu_rng_fill_normal(&s->x.rng, table_ptr(t, s->p.params, s->fc1_w), s->H * IN, 1.0f / sqrtf((float)IN));
    momu_rng_fill_normal(&s->x.rng, table_ptr(t, s->p.params, s->fc2_w), OUT * s->H, 1.0f / sqrtf((float)s->H));
    optim_ema_init(&s->p);
    s->x.world_size = 1;
    s->x.rank = 0;
}

/* the permutation of an epoch is a function of (seed, epoch), so only the cursor and epoch need saving */
static void epoch_perm(size_t *perm, uint64_t epoch) {
    momu_rng r;
    momu_rng_seed(&r, 1000 + epoch);
    for (size_t i = 0; i < N_DATA; i++) perm[i] = i;
    momu_rng_shuffle(&r, perm, N_DATA);
}

static float train_step(run_state *s) {
    const tensor_table *t = &s->tab;
    size_t H = s->H;
    float *P = s->p.params, *G = s->p.grads;
    epoch_perm(s->perm, s->x.data_epoch);
    for (int b = 0; b < BATCH; b++) {
        if (s->x.data_cursor >= N_DATA) {
            s->x.data_cursor = 0;
            s->x.data_epoch++;
            epoch_perm(s->perm, s->x.data_epoch);
        }
        size_t n = s->perm[s->x.data_cursor++];
        memcpy(s->xb + (size_t)b * IN, data_x + n * IN, IN * sizeof(float));
        memcpy(s->yb + (size_t)b * OUT, data_y + n * OUT, OUT * sizeof(float));
    }
    /* input noise: an odd count, so the Box-Muller spare is live at the save point */
    float noise[BATCH * IN - 1];
    momu_rng_fill_normal(&s->x.rng, noise, BATCH * IN - 1, 0.05f);
    for (int i = 0; i < BATCH * IN - 1; i++) s->xb[i] += noise[i];
    nn_linear_forward(s->h, s->xb, table_ptr(t, P, s->fc1_w), table_ptr(t, P, s->fc1_b), BATCH, IN, H);
    nn_silu_forward(s->a, s->h, BATCH * H);
    nn_linear_forward(s->yhat, s->a, table_ptr(t, P, s->fc2_w), table_ptr(t, P, s->fc2_b), BATCH, H, OUT);
    double loss = 0;
    for (int i = 0; i < BATCH * OUT; i++) {
        float d = s->yhat[i] - s->yb[i];
        loss += (double)d * d;
        s->dyhat[i] = 2.0f * d / (float)(BATCH * OUT);   /* d/dyhat of mean((yhat - y)^2) */
    }
    loss /= BATCH * OUT;
    nn_params_zero_grads(&s->p);
    memset(s->da, 0, BATCH * H * sizeof(float));
    memset(s->dh, 0, BATCH * H * sizeof(float));
    nn_linear_backward(s->da, table_ptr(t, G, s->fc2_w), table_ptr(t, G, s->fc2_b), s->dyhat, s->a,
                       table_ptr(t, P, s->fc2_w), BATCH, H, OUT);
    nn_silu_backward(s->dh, s->da, s->h, BATCH * H);
    nn_linear_backward(NULL, table_ptr(t, G, s->fc1_w), table_ptr(t, G, s->fc1_b), s->dh, s->xb,
                       table_ptr(t, P, s->fc1_w), BATCH, IN, H);
    optim_step(&s->o, &s->p, (float)loss);
    return (float)loss;
}

static float train(run_state *s, int n_steps) {
    float loss = 0;
    for (int i = 0; i < n_steps; i++) loss = train_step(s);
    return loss;
}

static int same_state(const run_state *a, const run_state *b) {
    size_t bytes = a->p.total * sizeof(float);
    return !memcmp(a->p.params, b->p.params, bytes) && !memcmp(a->p.ema, b->p.ema, bytes) &&
           !memcmp(a->p.m, b->p.m, bytes) && !memcmp(a->p.v, b->p.v, bytes) && a->o.step == b->o.step &&
           !memcmp(a->x.rng.s, b->x.rng.s, sizeof a->x.rng.s) && a->x.data_cursor == b->x.data_cursor &&
           a->x.data_epoch == b->x.data_epoch;
}

static char wpath[600], spath[600];
static const char *self_path;

/* The second half in a separate process (the test binary run again with --second-half): nothing but the
 * files carries over. Writes its final weights and state to OUT_W / OUT_S. */
static int second_half_main(const char *w, const char *st, const char *out_w, const char *out_s) {
    momu_err e = {0};
    run_state *s = calloc(1, sizeof *s);
    make_data();
    if (model_build(s, 64, &e) || (model_init(s, 777), 0) ||
        safetensors_load_table(w, &s->tab, s->p.params, SAFETENSORS_F32, NULL, &e) ||
        trainstate_load(st, &s->p, &s->o, &s->x, &e)) {
        fprintf(stderr, "second half: %s\n", e.msg);
        return 1;
    }
    train(s, STEPS - STEPS / 2);
    if (safetensors_write_table(out_w, &s->tab, s->p.params, SAFETENSORS_F32, NULL, &e) ||
        trainstate_save(out_s, &s->p, &s->o, &s->x, NULL, &e)) {
        fprintf(stderr, "second half: %s\n", e.msg);
        return 1;
    }
    model_free(s);
    free(s);
    return 0;
}

TEST(resume_is_bit_exact) {
    momu_err e = {0};
    run_state *full = calloc(1, sizeof *full), *half = calloc(1, sizeof *half);
    EXPECT(model_build(full, 64, &e) == MOMU_OK, "%s", e.msg);
    model_init(full, 5);
    float loss0 = train(full, 1);
    float loss = train(full, STEPS - 1);
    EXPECT(loss < 0.5f * loss0, "training reduces the loss: %g -> %g", (double)loss0, (double)loss);
    EXPECT(full->o.n_skipped == 0 && full->x.data_epoch >= 2, "epochs %llu", (unsigned long long)full->x.data_epoch);

    /* first half, then save */
    EXPECT(model_build(half, 64, &e) == MOMU_OK, "%s", e.msg);
    model_init(half, 5);
    train(half, STEPS / 2);
    EXPECT(half->x.rng.has_spare == 1, "the normal spare is live at the save point");
    safetensors_meta meta;
    safetensors_meta_init(&meta);
    safetensors_meta_put(&meta, "config", "{\"in\": 16, \"hidden\": 64, \"out\": 4}", &e);
    EXPECT(safetensors_write_table(wpath, &half->tab, half->p.params, SAFETENSORS_F32, &meta, &e) == MOMU_OK, "%s",
           e.msg);
    EXPECT(trainstate_save(spath, &half->p, &half->o, &half->x, &meta, &e) == MOMU_OK, "%s", e.msg);
    safetensors_meta_free(&meta);
    model_free(half);
    memset(half, 0xA5, sizeof *half);   /* nothing survives but the files */

    /* fresh state, load, second half */
    EXPECT(model_build(half, 64, &e) == MOMU_OK, "%s", e.msg);
    model_init(half, 12345);             /* different seed and weights: all must be overwritten by the load */
    EXPECT(safetensors_load_table(wpath, &half->tab, half->p.params, SAFETENSORS_F32, NULL, &e) == MOMU_OK, "%s",
           e.msg);
    half->x.world_size = 1;
    EXPECT(trainstate_load(spath, &half->p, &half->o, &half->x, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(half->o.step == STEPS / 2, "step %zu", half->o.step);
    train(half, STEPS - STEPS / 2);
    EXPECT(same_state(full, half), "50 straight vs 25 + resume + 25: parameters, EMA, m, v, rng, cursor identical");
    size_t nd = 0;
    for (size_t i = 0; i < full->p.total; i++) nd += memcmp(&full->p.params[i], &half->p.params[i], 4) != 0;
    EXPECT(nd == 0, "%zu parameter floats differ", nd);

    /* the same with the second half in a fresh process */
    {
        char cmd[3000], ow[700], os[700];
        snprintf(ow, sizeof ow, "%s/child_final.safetensors", test_tmpdir());
        snprintf(os, sizeof os, "%s/child_final.state.safetensors", test_tmpdir());
        snprintf(cmd, sizeof cmd, "'%s' --second-half '%s' '%s' '%s' '%s'", self_path, wpath, spath, ow, os);
        int rc = system(cmd);
        EXPECT(rc == 0, "child process: %s -> %d", cmd, rc);
        run_state *c = calloc(1, sizeof *c);
        momu_err_clear(&e);
        if (rc == 0 && model_build(c, 64, &e) == MOMU_OK) {
            model_init(c, 4242);
            EXPECT(safetensors_load_table(ow, &c->tab, c->p.params, SAFETENSORS_F32, NULL, &e) == MOMU_OK &&
                       trainstate_load(os, &c->p, &c->o, &c->x, &e) == MOMU_OK, "%s", e.msg);
            EXPECT(same_state(full, c), "50 straight vs 25 + a fresh process doing the other 25: identical");
            model_free(c);
        }
        free(c);
    }

    const char *exp = getenv("MOMU_TEST_EXPORT");
    if (exp && *exp) {
        char p[700];
        snprintf(p, sizeof p, "%s/mlp.safetensors", exp);
        safetensors_meta m2;
        safetensors_meta_init(&m2);
        safetensors_meta_put(&m2, "config", "{\"in\": 16, \"hidden\": 64, \"out\": 4}", &e);
        safetensors_meta_put(&m2, "note", "momu tests/test_resume.c export", &e);
        EXPECT(safetensors_write_table(p, &full->tab, full->p.params, SAFETENSORS_F32, &m2, &e) == MOMU_OK, "%s", e.msg);
        snprintf(p, sizeof p, "%s/mlp_f16.safetensors", exp);
        EXPECT(safetensors_write_table(p, &full->tab, full->p.params, SAFETENSORS_F16, &m2, &e) == MOMU_OK, "%s", e.msg);
        safetensors_meta_free(&m2);
        for (int i = 0; i < full->tab.n; i++) {
            const tensor_spec *t = &full->tab.t[i];
            snprintf(p, sizeof p, "%s/%s.npy", exp, t->name);
            EXPECT(momu_npy_write_f32(p, full->p.params + t->offset, t->ndim, t->shape, &e) == MOMU_OK, "%s", e.msg);
        }
        /* a float16 probe for numpy's astype(float16): magnitudes 2^-26 .. 2^15 (zeros, subnormals, normals),
         * a third of them exactly halfway between two halves, and the top of the range (65504, 65519.99) */
        enum { NPROBE = 60000 };
        float *probe = malloc(NPROBE * sizeof(float));
        momu_rng r;
        momu_rng_seed(&r, 77);
        for (int i = 0; i < NPROBE; i++) {
            float v = ldexpf(1.0f + momu_rng_uniform(&r), (int)momu_rng_below(&r, 41) - 26);
            if (i % 3 == 0) {   /* exactly halfway between two halves of the same binade */
                uint32_t u;
                memcpy(&u, &v, 4);
                u = (u & ~0x1fffu) | 0x1000u;
                memcpy(&v, &u, 4);
            }
            probe[i] = (i & 1) ? -v : v;
        }
        probe[0] = 65504.0f;
        probe[1] = -65519.99f;
        safetensors_tensor pt = {"f16_probe", 1, {NPROBE}, probe};
        snprintf(p, sizeof p, "%s/f16_probe.safetensors", exp);
        EXPECT(safetensors_write(p, &pt, 1, SAFETENSORS_F16, NULL, &e) == MOMU_OK, "%s", e.msg);
        snprintf(p, sizeof p, "%s/f16_probe.npy", exp);
        size_t shp[1] = {NPROBE};
        EXPECT(momu_npy_write_f32(p, probe, 1, shp, &e) == MOMU_OK, "%s", e.msg);
        free(probe);
        printf("# exported to %s\n", exp);
    }
    model_free(full);
    model_free(half);
    free(full);
    free(half);
}

TEST(threads_give_identical_bytes) {
#ifdef _OPENMP
    momu_err e = {0};
    run_state *r1 = calloc(1, sizeof *r1), *r2 = calloc(1, sizeof *r2);
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    EXPECT(model_build(r1, 64, &e) == MOMU_OK, "%s", e.msg);
    model_init(r1, 8);
    train(r1, STEPS);
    omp_set_num_threads(2);
    EXPECT(model_build(r2, 64, &e) == MOMU_OK, "%s", e.msg);
    model_init(r2, 8);
    train(r2, STEPS);
    omp_set_num_threads(saved);
    EXPECT(same_state(r1, r2), "1 thread vs 2 threads: identical bytes");
    model_free(r1);
    model_free(r2);
    free(r1);
    free(r2);
#else
    printf("# built without OpenMP: nothing to compare\n");
#endif
}

/* Rewrites the state file with one metadata value changed (or removed when val is NULL). */
static void rewrite_meta(const char *src, const char *dst, const char *key, const char *val) {
    safetensors_file sf;
    momu_err e = {0};
    if (safetensors_open(&sf, src, &e)) { fprintf(stderr, "%s\n", e.msg); return; }
    safetensors_meta m;
    safetensors_meta_init(&m);
    for (size_t i = 0; i < sf.meta.n; i++)
        if (strcmp(sf.meta.keys[i], key) || val) safetensors_meta_put(&m, sf.meta.keys[i], sf.meta.vals[i], &e);
    if (val) safetensors_meta_put(&m, key, val, &e);
    safetensors_tensor t[3];
    float *bufs[3] = {0};
    for (size_t i = 0; i < sf.n && i < 3; i++) {
        bufs[i] = malloc(sf.t[i].numel * sizeof(float));
        safetensors_read_f32(&sf, i, bufs[i], sf.t[i].numel, &e);
        t[i].name = sf.t[i].name;
        t[i].ndim = sf.t[i].ndim;
        memcpy(t[i].shape, sf.t[i].shape, sizeof t[i].shape);
        t[i].data = bufs[i];
    }
    safetensors_write(dst, t, sf.n, SAFETENSORS_F32, &m, &e);
    for (int i = 0; i < 3; i++) free(bufs[i]);
    safetensors_meta_free(&m);
    safetensors_close(&sf);
}

static int load_fails(run_state *s, const char *path, const char *needle) {
    momu_err e = {0};
    float m0 = s->p.m[0];
    size_t step0 = s->o.step;
    momu_status st = trainstate_load(path, &s->p, &s->o, &s->x, &e);
    if (st == MOMU_OK || !strstr(e.msg, path) || !strstr(e.msg, needle)) {
        fprintf(stderr, "  load of %s: status %s, message '%s' (wanted '%s')\n", path, momu_status_name(st), e.msg,
                needle);
        return 0;
    }
    return s->p.m[0] == m0 && s->o.step == step0;   /* a refused load changes nothing */
}

TEST(state_file_refusals) {
    momu_err e = {0};
    run_state *s = calloc(1, sizeof *s);
    /* another model: hidden 32 instead of 64 */
    if (model_build(s, 32, &e) != MOMU_OK) { EXPECT(0, "%s", e.msg); free(s); return; }
    model_init(s, 1);
    EXPECT(load_fails(s, spath, "different model"), "another model's state refused");
    momu_err_clear(&e);
    EXPECT(safetensors_load_table(wpath, &s->tab, s->p.params, SAFETENSORS_F32, NULL, &e) == MOMU_ERR_FORMAT &&
               strstr(e.msg, "tensor 'fc1.weight' has shape [64, 16], expected [32, 16]"), "%s", e.msg);
    model_free(s);
    momu_err_clear(&e);
    if (model_build(s, 64, &e) != MOMU_OK) { EXPECT(0, "%s", e.msg); free(s); return; }
    model_init(s, 1);
    s->x.world_size = 2;
    s->x.rank = 1;
    EXPECT(load_fails(s, spath, "rank 0 of 1, expected rank 1 of 2"), "other rank refused");
    s->x.world_size = 1;
    s->x.rank = 0;
    char bad[700];
    snprintf(bad, sizeof bad, "%s/bad_state.safetensors", test_tmpdir());
    rewrite_meta(spath, bad, "step", "12x");
    EXPECT(load_fails(s, bad, "'step' = '12x' is not a valid number"), "bad step");
    rewrite_meta(spath, bad, "rng", "0 0 0 0 0 0");
    EXPECT(load_fails(s, bad, "all zero"), "zero rng");
    rewrite_meta(spath, bad, "rng", "1 2 3");
    EXPECT(load_fails(s, bad, "bad 'rng'"), "short rng");
    rewrite_meta(spath, bad, "momu.trainstate_version", "2");
    EXPECT(load_fails(s, bad, "HINT"), "future version");
    rewrite_meta(spath, bad, "data_cursor", NULL);
    EXPECT(load_fails(s, bad, "lacks metadata 'data_cursor'"), "missing cursor");
    rewrite_meta(spath, bad, "momu.format", NULL);
    EXPECT(load_fails(s, bad, "not a momu training-state file"), "weights file given as state");
    EXPECT(load_fails(s, wpath, "not a momu training-state file"), "the weights file itself");
    /* state saved without EMA, loaded by a model that keeps one */
    {
        nn_params noema;
        nn_params_alloc(&noema, &s->tab, NN_ALLOC_OPTIM, &e);
        trainstate_extra x = s->x;
        EXPECT(trainstate_save(bad, &noema, &s->o, &x, NULL, &e) == MOMU_OK, "%s", e.msg);
        nn_params_free(&noema);
        EXPECT(load_fails(s, bad, "lacks tensor 'ema'"), "missing ema");
    }
    model_free(s);
    free(s);
}

int main(int argc, char **argv) {
    momu_verbosity = 0;
    if (argc == 6 && !strcmp(argv[1], "--second-half")) return second_half_main(argv[2], argv[3], argv[4], argv[5]);
    static char exe[1024];
    ssize_t ne = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (ne > 0) { exe[ne] = 0; self_path = exe; }
    else self_path = argv[0];
    make_data();
    snprintf(wpath, sizeof wpath, "%s/mlp_step25.safetensors", test_tmpdir());
    snprintf(spath, sizeof spath, "%s/mlp_step25.state.safetensors", test_tmpdir());
    RUN(resume_is_bit_exact);
    RUN(threads_give_identical_bytes);
    RUN(state_file_refusals);
    return test_summary();
}
