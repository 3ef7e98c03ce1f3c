/* Tests of the cross-modal denoiser (include/momu/denoiser.h): PyTorch parity of the whole network (forward
 * and every gradient; fixture from tools/denoiser_fixtures.py), a finite-difference check of the whole network,
 * any length, the CFG null path and the sampler callback, checkpoints, bit-exact resume, 1 vs 2 threads. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "momu/denoiser.h"
#include "momu/diffusion.h"
#include "momu/safetensors.h"
#include "momu/vae_train.h"
#include "fixtures_models.h"
#include "test.h"

#define FIX "tests/fixtures/denoiser/tiny.safetensors"

/* The many tiny forwards of the gradient check and the training runs are dominated by OpenMP start-up on a
 * loaded 2-core machine (10x under the sanitizers); they run on one thread (threads_identical covers two). */
static int one_thread(void) {
#ifdef _OPENMP
    int old = omp_get_max_threads();
    omp_set_num_threads(1);
    return old;
#else
    return 1;
#endif
}
static void restore_threads(int n) {
#ifdef _OPENMP
    omp_set_num_threads(n);
#else
    (void)n;
#endif
}

static void rand_fill(float *x, size_t n, float std, momu_rng *r) { momu_rng_fill_normal(r, x, n, std); }

/* A tiny model with random weights everywhere (so that no gradient is trivially zero). */
static int tiny_model_r(denoiser *m, size_t C, size_t R, size_t D, size_t H, size_t nb, size_t F, int flags,
                        uint64_t seed) {
    denoiser_config c = {C, D, H, nb, F, R};
    momu_err e = {0};
    if (denoiser_init(m, &c, DENOISER_MUSIC, flags, &e)) {
        fprintf(stderr, "  init: %s\n", e.msg);
        return 0;
    }
    momu_rng r;
    momu_rng_seed(&r, seed);
    for (int i = 0; i < m->tab.n; i++)
        rand_fill(m->p.params + m->tab.t[i].offset, m->tab.t[i].numel, 0.3f, &r);
    return 1;
}
static int tiny_model(denoiser *m, size_t C, size_t D, size_t H, size_t nb, size_t F, int flags, uint64_t seed) {
    return tiny_model_r(m, C, 0, D, H, nb, F, flags, seed);
}

static float *read_fix(safetensors_file *sf, const char *name, size_t n) {
    int k = safetensors_find(sf, name);
    if (k < 0 || sf->t[k].numel != n) {
        fprintf(stderr, "  fixture tensor %s missing or not %zu values\n", name, n);
        return NULL;
    }
    float *a = malloc(n * sizeof(float));
    momu_err e = {0};
    if (safetensors_read_f32(sf, (size_t)k, a, n, &e)) { free(a); return NULL; }
    return a;
}

TEST(torch_parity) {
    safetensors_file sf;
    momu_err e = {0};
    EXPECT(safetensors_open(&sf, FIX, &e) == MOMU_OK, "%s", e.msg);
    if (e.status) return;
    denoiser m;
    denoiser_config c;
    denoiser_config_default(&c);
    EXPECT(denoiser_config_from_json(&c, safetensors_meta_get(&sf.meta, "config"), &e) == MOMU_OK, "%s", e.msg);
    EXPECT(denoiser_init(&m, &c, DENOISER_MOTION, NN_ALLOC_OPTIM, &e) == MOMU_OK, "%s", e.msg);
    size_t B = 3, T = 7, C = c.latent_ch, n = B * T * C;
    int ok = 1;
    for (int i = 0; i < m.tab.n && ok; i++) {
        char name[160];
        snprintf(name, sizeof name, "p.%s", m.tab.t[i].name);
        float *a = read_fix(&sf, name, m.tab.t[i].numel);
        ok = a != NULL;
        if (a) memcpy(m.p.params + m.tab.t[i].offset, a, m.tab.t[i].numel * sizeof(float));
        free(a);
    }
    EXPECT(ok, "parameters of the fixture");
    float *x = read_fix(&sf, "x", n), *cond = read_fix(&sf, "cond", n), *t = read_fix(&sf, "t", B),
          *dropf = read_fix(&sf, "drop", B), *dy = read_fix(&sf, "dy", n), *eps_ref = read_fix(&sf, "eps", n),
          *dx_ref = read_fix(&sf, "dx", n), *epsu_ref = read_fix(&sf, "eps_infer_uncond", n);
    if (!ok || !x || !cond || !t || !dropf || !dy || !eps_ref || !dx_ref || !epsu_ref) {
        EXPECT(0, "fixture incomplete");
        goto done;
    }
    uint8_t drop[3];
    for (size_t b = 0; b < B; b++) drop[b] = dropf[b] > 0.5f;
    denoiser_acts a;
    EXPECT(denoiser_acts_init(&a, &m, B, T, &e) == MOMU_OK, "%s", e.msg);
    float eps[84], dx[84], eps2[84];
    EXPECT(denoiser_forward(&m, &a, eps, x, cond, drop, t, B, T, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(test_close("eps", eps, eps_ref, n, 1e-5, 1e-4), "forward");
    nn_params_zero_grads(&m.p);
    memset(dx, 0, sizeof dx);
    denoiser_backward(&m, &a, dx, dy, x, cond, t);
    EXPECT(test_close("dx", dx, dx_ref, n, 1e-5, 1e-4), "dx");
    for (int i = 0; i < m.tab.n; i++) {
        char name[160];
        snprintf(name, sizeof name, "g.%s", m.tab.t[i].name);
        float *g = read_fix(&sf, name, m.tab.t[i].numel);
        EXPECT(g && test_close(name, m.p.grads + m.tab.t[i].offset, g, m.tab.t[i].numel, 1e-5, 1e-4), "%s", name);
        free(g);
    }
    /* lean inference path: unconditional batch, and sample 0 (not dropped) conditioned */
    denoiser_ws ws = {0};
    EXPECT(denoiser_forward_infer(&m, &ws, eps2, x, NULL, t, B, T, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(test_close("eps_infer_uncond", eps2, epsu_ref, n, 1e-5, 1e-4), "infer uncond");
    EXPECT(denoiser_forward_infer(&m, &ws, eps2, x, cond, t, 1, T, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(test_close("eps_infer_cond", eps2, eps_ref, T * C, 1e-5, 1e-4), "infer cond");
    denoiser_ws_free(&ws);
    denoiser_acts_free(&a);
done:
    free(x); free(cond); free(t); free(dropf); free(dy); free(eps_ref); free(dx_ref); free(epsu_ref);
    denoiser_free(&m);
    safetensors_close(&sf);
}

/* L = sum(eps * R) in double. */
static double fd_loss(denoiser *m, denoiser_acts *a, float *eps, const float *x, const float *cond,
                      const uint8_t *drop, const float *t, const float *R, size_t B, size_t T) {
    denoiser_forward(m, a, eps, x, cond, drop, t, B, T, NULL);
    double L = 0;
    for (size_t i = 0; i < B * T * m->cfg.latent_ch; i++) L += (double)eps[i] * R[i];
    return L;
}

/* Rx: rhythm channels after the condition latent (cond rows of 3 + Rx). */
static void finite_differences_body(size_t Rx) {
    denoiser m;
    if (!tiny_model_r(&m, 3, Rx, 8, 2, 2, 8, NN_ALLOC_OPTIM, 11)) { EXPECT(0, "model"); return; }
    size_t B = 2, T = 5, n = B * T * 3;
    momu_rng r;
    momu_rng_seed(&r, 5);
    float x[30], cond[80], R[30], eps[30], dx[30], t[2] = {17, 640};
    uint8_t drop[2] = {0, 1};
    rand_fill(x, n, 1, &r); rand_fill(cond, B * T * (3 + Rx), 1, &r); rand_fill(R, n, 1, &r);
    denoiser_acts a;
    momu_err e = {0};
    EXPECT(denoiser_acts_init(&a, &m, B, T, &e) == MOMU_OK, "%s", e.msg);
    fd_loss(&m, &a, eps, x, cond, drop, t, R, B, T);
    nn_params_zero_grads(&m.p);
    memset(dx, 0, sizeof dx);
    denoiser_backward(&m, &a, dx, R, x, cond, t);
    /* Central differences in float32 on the loss summed in double, h = 1e-2: truncation ~h^2 |f'''| and
     * rounding ~1e-7 |L| / h stay below 1e-3 here; tolerance atol 2e-3 + rtol 2e-2 per element (chosen from
     * the observed worst error, ~5x margin), and the aggregate sum|a-n| / sum(|a|+|n|) must stay below 1e-3. */
    const float h = 1e-2f;
    size_t n_checked = 0, n_bad = 0;
    double diff_sum = 0, mag_sum = 0;
    for (int i = 0; i < m.tab.n; i++) {
        const tensor_spec *s = &m.tab.t[i];
        size_t stride = s->numel > 6 ? s->numel / 6 : 1;   /* ~6 elements of every tensor (test time) */
        for (size_t j = 0; j < s->numel; j += stride) {
            float *p = m.p.params + s->offset + j, keep = *p;
            *p = keep + h;
            double Lp = fd_loss(&m, &a, eps, x, cond, drop, t, R, B, T);
            *p = keep - h;
            double Lm = fd_loss(&m, &a, eps, x, cond, drop, t, R, B, T);
            *p = keep;
            double num = (Lp - Lm) / (2.0 * h), an = m.p.grads[s->offset + j];
            double d = fabs(num - an);
            if (d > 2e-3 + 2e-2 * fabs(num)) {
                if (n_bad < 5) fprintf(stderr, "  %s[%zu]: analytic %.6g numeric %.6g\n", s->name, j, an, num);
                n_bad++;
            }
            diff_sum += d;
            mag_sum += fabs(num) + fabs(an);
            n_checked++;
        }
    }
    for (size_t j = 0; j < n; j++) {
        float keep = x[j];
        x[j] = keep + h;
        double Lp = fd_loss(&m, &a, eps, x, cond, drop, t, R, B, T);
        x[j] = keep - h;
        double Lm = fd_loss(&m, &a, eps, x, cond, drop, t, R, B, T);
        x[j] = keep;
        double num = (Lp - Lm) / (2.0 * h);
        if (fabs(num - dx[j]) > 2e-3 + 2e-2 * fabs(num)) n_bad++;
        n_checked++;
    }
    EXPECT(n_bad == 0, "%zu of %zu gradients off", n_bad, n_checked);
    EXPECT(diff_sum / mag_sum < 1e-3, "aggregate relative error %.3g", diff_sum / mag_sum);
    /* null_cond received gradient (sample 1 is dropped) */
    const float *gn = m.p.grads + m.tab.t[m.id_null].offset;
    EXPECT(fabsf(gn[0]) + fabsf(gn[1]) + fabsf(gn[2]) > 0, "null_cond gradient is zero");
    EXPECT(m.tab.t[m.id_null].numel == 3 + Rx, "null_cond has %zu values, want %zu", m.tab.t[m.id_null].numel, 3 + Rx);
    for (size_t k = 3; k < 3 + Rx; k++) EXPECT(gn[k] != 0, "null_cond rhythm gradient %zu is zero", k);
    /* the rhythm channels reach the output: changing one changes eps of a conditioned sample */
    if (Rx) {
        float e0[30], e1[30];
        denoiser_forward(&m, &a, e0, x, cond, drop, t, B, T, NULL);
        cond[3] += 1.0f;   /* sample 0 (not dropped), frame 0, first rhythm channel */
        denoiser_forward(&m, &a, e1, x, cond, drop, t, B, T, NULL);
        cond[3] -= 1.0f;
        EXPECT(memcmp(e0, e1, sizeof e0) != 0, "the rhythm channels do not reach eps");
    }
    denoiser_acts_free(&a);
    denoiser_free(&m);
}

TEST(finite_differences) {
    int nt = one_thread();
    finite_differences_body(0);
    finite_differences_body(2);   /* with rhythm channels (denoiser.h cond_extra) */
    restore_threads(nt);
}

TEST(any_length_and_init) {
    denoiser m;
    if (!tiny_model(&m, 4, 16, 2, 2, 16, 0, 3)) { EXPECT(0, "model"); return; }
    momu_rng r;
    momu_rng_seed(&r, 9);
    static float x[2 * 13 * 4], cond[2 * 13 * 4], e1[2 * 13 * 4], e2[2 * 13 * 4];
    float t[2] = {250, 3};
    rand_fill(x, sizeof x / 4, 1, &r); rand_fill(cond, sizeof x / 4, 1, &r);
    denoiser_ws ws = {0};
    momu_err e = {0};
    size_t lens[] = {1, 2, 13};
    for (size_t k = 0; k < 3; k++) {
        size_t T = lens[k], n = 2 * T * 4;
        denoiser_acts a;
        EXPECT(denoiser_acts_init(&a, &m, 2, T, &e) == MOMU_OK, "%s", e.msg);
        EXPECT(denoiser_forward(&m, &a, e1, x, cond, NULL, t, 2, T, &e) == MOMU_OK, "%s", e.msg);
        EXPECT(denoiser_forward_infer(&m, &ws, e2, x, cond, t, 2, T, &e) == MOMU_OK, "%s", e.msg);
        int fin = 1;
        for (size_t i = 0; i < n; i++) fin &= isfinite(e2[i]) != 0;
        EXPECT(fin, "non-finite output at T=%zu", T);
        EXPECT(test_close("train vs lean", e2, e1, n, 1e-5, 1e-4), "T=%zu", T);
        /* too long for the plan */
        EXPECT(denoiser_forward(&m, &a, e1, x, cond, NULL, t, 2, T + 1, &e) == MOMU_ERR_ARG, "plan overrun");
        denoiser_acts_free(&a);
    }
    /* DiT init: zero final layer, so eps starts at exactly 0 */
    momu_rng_seed(&r, 1);
    denoiser_init_weights(&m, &r);
    EXPECT(denoiser_forward_infer(&m, &ws, e2, x, cond, t, 2, 13, &e) == MOMU_OK, "%s", e.msg);
    float mx = 0;
    for (size_t i = 0; i < 2 * 13 * 4; i++) mx = fmaxf(mx, fabsf(e2[i]));
    EXPECT(mx == 0, "eps at init %g", mx);
    denoiser_ws_free(&ws);
    denoiser_free(&m);
}

TEST(cfg_null_path) {
    denoiser m;
    if (!tiny_model(&m, 4, 16, 2, 2, 16, 0, 21)) { EXPECT(0, "model"); return; }
    size_t B = 2, T = 9, n = B * T * 4;
    momu_rng r;
    momu_rng_seed(&r, 2);
    static float x[72], cond[72], ec[72], eu[72], eg[72], ref[72];
    rand_fill(x, n, 1, &r); rand_fill(cond, n, 1, &r);
    float t[2] = {321, 321};
    denoiser_ws ws = {0};
    momu_err e = {0};
    EXPECT(denoiser_forward_infer(&m, &ws, ec, x, cond, t, B, T, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(denoiser_forward_infer(&m, &ws, eu, x, NULL, t, B, T, &e) == MOMU_OK, "%s", e.msg);
    float s = 3.0f;
    EXPECT(denoiser_eps_cfg(&m, &ws, eg, x, cond, 321, s, B, T, &e) == MOMU_OK, "%s", e.msg);
    for (size_t i = 0; i < n; i++) ref[i] = eu[i] + s * (ec[i] - eu[i]);
    EXPECT(test_close("cfg s=3", eg, ref, n, 1e-5, 1e-4), "guided");
    float d = 0;
    for (size_t i = 0; i < n; i++) d = fmaxf(d, fabsf(ec[i] - eu[i]));
    EXPECT(d > 1e-3f, "condition has no effect (%g)", d);
    EXPECT(denoiser_eps_cfg(&m, &ws, eg, x, NULL, 321, s, B, T, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(memcmp(eg, eu, n * sizeof(float)) == 0, "cond NULL = unconditional");
    /* the null is the learned vector: a condition equal to it everywhere gives the unconditional output */
    const float *nul = m.p.params + m.tab.t[m.id_null].offset;
    for (size_t i = 0; i < n; i++) cond[i] = nul[i % 4];
    EXPECT(denoiser_forward_infer(&m, &ws, ec, x, cond, t, B, T, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(memcmp(ec, eu, n * sizeof(float)) == 0, "null vector path");
    /* sampler callback */
    denoiser_eps_ctx ctx = {.m = &m, .cond = NULL, .guidance = s, .B = B, .T = T};
    EXPECT(denoiser_eps_fn(&ctx, x, 321, eg, n) == 0, "%s", ctx.err.msg);
    EXPECT(memcmp(eg, eu, n * sizeof(float)) == 0, "callback unconditional");
    EXPECT(denoiser_eps_fn(&ctx, x, 321, eg, n - 1) == 1 && ctx.err.status == MOMU_ERR_ARG, "wrong n accepted");
    denoiser_ws_free(&ctx.ws);
    /* diffusion.h's momu_cond_model / momu_cfg over the adapters (B = 1), fn2 batched and fn alone */
    memcpy(cond, x + 36, 36 * sizeof(float));   /* a non-null condition again */
    denoiser_cond_ctx cc = {.m = &m};
    for (int use2 = 0; use2 < 2; use2++) {
        momu_cond_model cm = {denoiser_cond_eps, use2 ? denoiser_cond_eps2 : NULL, &cc};
        momu_cfg g;
        EXPECT(momu_cfg_init(&g, &cm, cond, s, 36, &e) == MOMU_OK, "%s", e.msg);
        EXPECT(momu_cfg_eps(&g, x, 321, eg, 36) == 0, "cfg callback: %s", cc.err.msg);
        EXPECT(denoiser_eps_cfg(&m, &ws, ref, x, cond, 321, s, 1, T, &e) == MOMU_OK, "%s", e.msg);
        EXPECT(test_close("momu_cfg over adapter", eg, ref, 36, 1e-5, 1e-4), "fn2=%d", use2);
        momu_cfg_free(&g);
    }
    EXPECT(denoiser_cond_eps(&cc, x, 3, NULL, eg, 35) == 1, "n not a multiple of C accepted");
    denoiser_ws_free(&cc.ws);
    denoiser_ws_free(&ws);
    denoiser_free(&m);
}

TEST(schedule_matches_samplers) {
    double ab[DENOISER_T];
    denoiser_schedule_alpha_bar(ab);
    double a = sqrt(DENOISER_BETA_START), b = sqrt(DENOISER_BETA_END), prod = 1.0, worst = 0;
    for (size_t i = 0; i < DENOISER_T; i++) {   /* the LDM formula, written out independently */
        double sb = a + (b - a) * (double)i / (double)(DENOISER_T - 1);
        prod *= 1.0 - sb * sb;
        worst = fmax(worst, fabs(prod - ab[i]));
    }
    EXPECT(worst < 1e-12, "alpha_bar differs by %g", worst);
    EXPECT(fabs(ab[DENOISER_T - 1] - 0.0047) < 2e-4, "alpha_bar[999] = %g", ab[DENOISER_T - 1]);
}

/* Synthetic paired latents: target = 0.5 * shifted cond + noise. */
static void synth_latents(float *tg, float *cd, size_t n, size_t T, size_t C) {
    momu_rng r;
    momu_rng_seed(&r, 77);
    rand_fill(cd, n * T * C, 1, &r);
    for (size_t i = 0; i < n * T * C; i++) tg[i] = 0.8f * cd[i] + 0.3f * momu_rng_normal(&r);
}

static int train_run(denoiser *m, size_t steps, const char *save_w, const char *save_s, const char *resume_w,
                     const char *resume_s, const denoiser_latents *d, float *last) {
    denoiser_config c = {3, 8, 2, 2, 8, 0};
    momu_err e = {0};
    if (denoiser_init(m, &c, DENOISER_MOTION, NN_ALLOC_OPTIM | NN_ALLOC_EMA, &e)) return 0;
    momu_rng r;
    momu_rng_seed(&r, 1);
    denoiser_init_weights(m, &r);
    optim_ema_init(&m->p);
    m->scale_factor = 1.5f;
    denoiser_train_config tc;
    denoiser_train_config_default(&tc);
    tc.batch = 3;
    tc.opt.lr = 3e-3;
    tc.opt.warmup_steps = 2;
    denoiser_trainer tr;
    if (denoiser_trainer_init(&tr, m, &tc, d->T, 42, &e)) { fprintf(stderr, "  %s\n", e.msg); return 0; }
    if (resume_w && denoiser_trainer_resume(&tr, resume_w, resume_s, &e)) {
        fprintf(stderr, "  resume: %s\n", e.msg);
        denoiser_trainer_free(&tr);
        return 0;
    }
    for (size_t i = 0; i < steps; i++)
        if (denoiser_trainer_step(&tr, d, last, &e)) { fprintf(stderr, "  %s\n", e.msg); return 0; }
    int ok = !save_w || denoiser_trainer_save(&tr, save_w, save_s, NULL, &e) == MOMU_OK;
    if (!ok) fprintf(stderr, "  save: %s\n", e.msg);
    denoiser_trainer_free(&tr);
    return ok;
}

static void resume_bit_exact_body(void) {
    enum { NW = 5, TT = 6, CC = 3 };
    static float tg[NW * TT * CC], cd[NW * TT * CC];
    synth_latents(tg, cd, NW, TT, CC);
    denoiser_latents d = {tg, cd, NW, TT, CC, 0};
    char w[600], s[600];
    snprintf(w, sizeof w, "%s/dn.safetensors", test_tmpdir());
    snprintf(s, sizeof s, "%s/dn.state.safetensors", test_tmpdir());
    denoiser a, b;
    float la, lb;
    EXPECT(train_run(&a, 8, NULL, NULL, NULL, NULL, &d, &la), "straight run");
    EXPECT(train_run(&b, 4, w, s, NULL, NULL, &d, &lb), "first half");
    denoiser_free(&b);
    EXPECT(train_run(&b, 4, NULL, NULL, w, s, &d, &lb), "second half");
    EXPECT(b.scale_factor == 1.5f, "scale factor restored");
    size_t bytes = a.p.total * sizeof(float);
    EXPECT(memcmp(a.p.params, b.p.params, bytes) == 0, "params differ after resume");
    EXPECT(memcmp(a.p.ema, b.p.ema, bytes) == 0, "ema differs");
    EXPECT(memcmp(a.p.m, b.p.m, bytes) == 0 && memcmp(a.p.v, b.p.v, bytes) == 0, "adam state differs");
    EXPECT(la == lb, "last loss %g vs %g", la, lb);
    denoiser_free(&a);
    denoiser_free(&b);
    /* inference load: EMA weights, kind checks */
    momu_err e = {0};
    EXPECT(denoiser_load(&a, w, DENOISER_MOTION, 1, 0, NULL, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(a.scale_factor == 1.5f && a.cfg.width == 8 && a.task == DENOISER_MOTION, "loaded config");
    denoiser_free(&a);
    EXPECT(denoiser_load(&a, w, DENOISER_MUSIC, 1, 0, NULL, &e) == MOMU_ERR_FORMAT &&
               strstr(e.msg, "denoiser_motion") != NULL,
           "wrong kind accepted or unclear: %s", e.msg);
}

TEST(resume_bit_exact) {
    int nt = one_thread();
    resume_bit_exact_body();
    restore_threads(nt);
}

static void training_reduces_loss_body(void) {
    enum { NW = 8, TT = 6, CC = 3 };
    static float tg[NW * TT * CC], cd[NW * TT * CC];
    synth_latents(tg, cd, NW, TT, CC);
    denoiser_latents d = {tg, cd, NW, TT, CC, 0};
    denoiser m;
    denoiser_config c = {3, 16, 2, 1, 16, 0};
    momu_err e = {0};
    EXPECT(denoiser_init(&m, &c, DENOISER_MUSIC, NN_ALLOC_OPTIM | NN_ALLOC_EMA, &e) == MOMU_OK, "%s", e.msg);
    momu_rng r;
    momu_rng_seed(&r, 3);
    denoiser_init_weights(&m, &r);
    optim_ema_init(&m.p);
    denoiser_train_config tc;
    denoiser_train_config_default(&tc);
    tc.batch = 8;
    tc.opt.lr = 5e-3;
    tc.opt.warmup_steps = 5;
    denoiser_trainer tr;
    EXPECT(denoiser_trainer_init(&tr, &m, &tc, TT, 5, &e) == MOMU_OK, "%s", e.msg);
    float v0, v1, l;
    EXPECT(denoiser_trainer_val_loss(&tr, &d, &v0, &e) == MOMU_OK, "%s", e.msg);
    for (int i = 0; i < 60; i++) denoiser_trainer_step(&tr, &d, &l, &e);
    EXPECT(denoiser_trainer_val_loss(&tr, &d, &v1, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(v1 < 0.8f * v0, "val loss %g -> %g", v0, v1);
    /* wrong latent size */
    denoiser_latents bad = {tg, cd, NW, TT, 4, 0};
    EXPECT(denoiser_trainer_step(&tr, &bad, &l, &e) == MOMU_ERR_ARG, "channel mismatch accepted");
    denoiser_trainer_free(&tr);
    denoiser_free(&m);
}

TEST(training_reduces_loss) {
    int nt = one_thread();
    training_reduces_loss_body();
    restore_threads(nt);
}

#ifdef _OPENMP
static void fwd_bwd(denoiser *m, float *eps, float *grads, int threads) {
    omp_set_num_threads(threads);
    size_t B = 3, T = 37, n = B * T * 4;
    static float x[3 * 37 * 4], cond[3 * 37 * 4], dy[3 * 37 * 4];
    momu_rng r;
    momu_rng_seed(&r, 8);
    rand_fill(x, n, 1, &r); rand_fill(cond, n, 1, &r); rand_fill(dy, n, 1, &r);
    float t[3] = {1, 500, 900};
    uint8_t drop[3] = {0, 1, 0};
    denoiser_acts a;
    denoiser_acts_init(&a, m, B, T, NULL);
    denoiser_forward(m, &a, eps, x, cond, drop, t, B, T, NULL);
    nn_params_zero_grads(&m->p);
    denoiser_backward(m, &a, NULL, dy, x, cond, t);
    memcpy(grads, m->p.grads, m->p.total * sizeof(float));
    denoiser_acts_free(&a);
}

TEST(threads_identical) {
    denoiser m;
    if (!tiny_model(&m, 4, 32, 4, 2, 32, NN_ALLOC_OPTIM, 5)) { EXPECT(0, "model"); return; }
    int old = omp_get_max_threads();
    static float e1[444], e2[444];
    float *g1 = malloc(m.p.total * sizeof(float)), *g2 = malloc(m.p.total * sizeof(float));
    fwd_bwd(&m, e1, g1, 1);
    fwd_bwd(&m, e2, g2, 2);
    omp_set_num_threads(old);
    EXPECT(memcmp(e1, e2, sizeof e1) == 0, "eps differs between 1 and 2 threads");
    EXPECT(memcmp(g1, g2, m.p.total * sizeof(float)) == 0, "grads differ between 1 and 2 threads");
    free(g1);
    free(g2);
    denoiser_free(&m);
}
#endif

/* ---- the whole `train diffusion` run on a tiny prepared folder with tiny VAEs trained here ---------------- */
static fix_prepared fx;   /* prepared folder + two tiny VAEs (tests/fixtures_models.h) */

static void run_opts(denoiser_train_opts *o, const char *out) {
    fix_denoiser_train_opts(o, fx.dir, fx.music_vae, fx.motion_vae, out);
}

static int same_weights(const char *a, const char *b) {
    denoiser x, y;
    momu_err e = {0};
    if (denoiser_load(&x, a, DENOISER_MUSIC, 0, NN_ALLOC_EMA, NULL, &e)) { fprintf(stderr, "  %s\n", e.msg); return 0; }
    if (denoiser_load(&y, b, DENOISER_MUSIC, 0, NN_ALLOC_EMA, NULL, &e)) {
        fprintf(stderr, "  %s\n", e.msg);
        denoiser_free(&x);
        return 0;
    }
    int same = x.p.total == y.p.total && !memcmp(x.p.params, y.p.params, x.p.total * sizeof(float)) &&
               !memcmp(x.p.ema, y.p.ema, x.p.total * sizeof(float)) && x.scale_factor == y.scale_factor;
    denoiser_free(&x);
    denoiser_free(&y);
    return same;
}

static void train_run_resume_and_refusals_body(void) {
    int verb = momu_verbosity;
    momu_verbosity = 0;   /* progress lines and checkpoint logs */
    if (!fix_prepared_make(&fx, test_tmpdir())) { EXPECT(0, "fixture folder / VAEs"); momu_verbosity = verb; return; }
    char a[700], b[700];
    snprintf(a, sizeof a, "%s/dm_a.safetensors", test_tmpdir());
    snprintf(b, sizeof b, "%s/dm_b.safetensors", test_tmpdir());
    denoiser_train_opts o;
    denoiser_train_result r;
    momu_err e = {0};
    run_opts(&o, a);
    EXPECT(denoiser_train_run(&o, &r, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(r.step == 6 && r.T == 8 && r.n_train == FIX_NTR && r.n_val == FIX_NVA, "step %zu T %zu", r.step, r.T);
    EXPECT(isfinite(r.val_loss) && isfinite(r.val_loss_ema) && r.scale_factor > 0, "val %g", (double)r.val_loss);
    run_opts(&o, b);
    o.stop_after = 4;
    EXPECT(denoiser_train_run(&o, &r, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(r.step == 4, "stopped at %zu", r.step);
    o.stop_after = 0;
    o.resume = 1;
    o.seed = 999;          /* ignored on resume: the state's RNG continues */
    o.model.width = 16;    /* ignored on resume: the checkpoint's config */
    EXPECT(denoiser_train_run(&o, &r, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(r.step == 6, "resumed run ended at %zu", r.step);
    EXPECT(same_weights(a, b), "weights / EMA differ after resume");
    safetensors_meta meta;
    denoiser m;
    EXPECT(denoiser_load(&m, a, DENOISER_MUSIC, 1, 0, &meta, &e) == MOMU_OK, "%s", e.msg);
    if (!e.status) {
        const char *fp = safetensors_meta_get(&meta, "momu.music_vae_fingerprint");
        EXPECT(fp && strlen(fp) == 16, "fingerprint in the metadata");
        EXPECT(safetensors_meta_get(&meta, "momu.val_loss_ema") != NULL, "val loss in the metadata");
        /* the default recipe: the music denoiser's condition carries the motion's rhythm, one sample per
         * motion frame of a latent frame */
        EXPECT(m.cfg.cond_extra > 0 && safetensors_meta_get(&meta, "momu.rhythm") != NULL, "rhythm channels %zu",
               m.cfg.cond_extra);
        safetensors_meta_free(&meta);
        denoiser_free(&m);
    }
    /* --no-rhythm: the condition is the latent alone */
    run_opts(&o, b);
    o.rhythm = 0;
    o.stop_after = 2;
    EXPECT(denoiser_train_run(&o, &r, &e) == MOMU_OK, "%s", e.msg);
    if (!e.status && denoiser_load(&m, b, DENOISER_MUSIC, 1, 0, NULL, &e) == MOMU_OK) {
        EXPECT(m.cfg.cond_extra == 0, "--no-rhythm gave %zu rhythm channels", m.cfg.cond_extra);
        denoiser_free(&m);
    }
    /* refusals: swapped VAEs; resume against other VAE weights; a VAE checkpoint as --out to resume */
    run_opts(&o, a);
    o.music_vae_path = fx.motion_vae;
    o.motion_vae_path = fx.music_vae;
    EXPECT(denoiser_train_run(&o, &r, &e) == MOMU_ERR_FORMAT && strstr(e.msg, "--music-vae"), "swapped: %s", e.msg);
    momu_err_clear(&e);
    run_opts(&o, a);
    o.resume = 1;
    o.task = DENOISER_MOTION;
    EXPECT(denoiser_train_run(&o, &r, &e) == MOMU_ERR_FORMAT && strstr(e.msg, "denoiser_music"), "task: %s", e.msg);
    momu_err_clear(&e);
    run_opts(&o, fx.music_vae);
    o.resume = 1;
    EXPECT(denoiser_train_run(&o, &r, &e) == MOMU_ERR_FORMAT, "VAE as denoiser: %s", e.msg);
    momu_verbosity = verb;
}

TEST(train_run_resume_and_refusals) {
    int nt = one_thread();
    train_run_resume_and_refusals_body();
    restore_threads(nt);
}

TEST(config_errors) {
    denoiser m;
    momu_err e = {0};
    denoiser_config c = {16, 256, 3, 4, 256, 0};
    EXPECT(denoiser_init(&m, &c, DENOISER_MUSIC, 0, &e) == MOMU_ERR_ARG && strstr(e.msg, "heads"), "%s", e.msg);
    denoiser_config_default(&c);
    EXPECT(denoiser_config_from_json(&c, "{\"width\":-4}", &e) == MOMU_ERR_FORMAT, "bad json accepted");
    EXPECT(denoiser_task_from_name("motion") == DENOISER_MOTION && denoiser_task_from_name("x") == DENOISER_TASK_COUNT,
           "task names");
    /* cond_extra: written, read back, 0 when absent (checkpoints before it), refused when not an integer */
    char js[256];
    momu_err_clear(&e);
    denoiser_config_default(&c);
    c.cond_extra = 8;
    denoiser_config_to_json(&c, js, sizeof js);
    denoiser_config c2;
    denoiser_config_default(&c2);
    EXPECT(denoiser_config_from_json(&c2, js, &e) == MOMU_OK && c2.cond_extra == 8, "round trip: %s", js);
    denoiser_config_default(&c2);
    EXPECT(denoiser_config_from_json(&c2, "{\"latent_ch\":16,\"rope\":1}", &e) == MOMU_OK && c2.cond_extra == 0,
           "absent cond_extra");
    EXPECT(denoiser_config_from_json(&c2, "{\"cond_extra\":-1}", &e) == MOMU_ERR_FORMAT &&
               strstr(e.msg, "cond_extra"), "negative cond_extra: %s", e.msg);
    momu_err_clear(&e);
    denoiser_config_default(&c);
    EXPECT(denoiser_init(&m, &c, DENOISER_MUSIC, 0, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(denoiser_n_params(&m) > 3000000 && denoiser_n_params(&m) < 6000000, "default size %zu",
           denoiser_n_params(&m));
    denoiser_free(&m);
}

/* Optional argument: run only the tests whose name contains it (for timing by hand). */
static const char *only;
#define RUN_IF(t)                                    \
    do {                                             \
        if (!only || strstr(#t, only)) RUN(t);       \
    } while (0)

int main(int argc, char **argv) {
    only = argc > 1 ? argv[1] : NULL;
    RUN_IF(torch_parity);
    RUN_IF(finite_differences);
    RUN_IF(any_length_and_init);
    RUN_IF(cfg_null_path);
    RUN_IF(schedule_matches_samplers);
    RUN_IF(resume_bit_exact);
    RUN_IF(training_reduces_loss);
#ifdef _OPENMP
    RUN_IF(threads_identical);
#endif
    RUN_IF(train_run_resume_and_refusals);
    RUN_IF(config_errors);
    return test_summary();
}
