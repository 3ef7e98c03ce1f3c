/* Tests for the BiCoR-VAE networks (include/momu/vae.h, src/model/vae*.c):
 *   - config defaults, validation, JSON round trip, refusal of other kinds / unknown keys / versions;
 *   - tensor names and parameter counts of the default music and motion VAEs;
 *   - PyTorch 1.13 parity on a tiny VAE (tools/vae_fixtures.py -> tests/fixtures/vae/tiny.safetensors):
 *     recon, mean, logvar, z, loss parts and every parameter gradient, with sampled eps, replicate padding
 *     (T 10 -> 12), L1 + KL and an extra gradient on the latent mean;
 *   - a finite-difference check of the whole VAE gradient (encoder and decoder, sampled z) in float;
 *   - any-length encode / decode (odd lengths), and the lean inference path equal to the training forward;
 *   - byte-identical forward + backward and encode / decode for 1 and 2 OpenMP threads.
 *
 * Parity tolerance |got - ref| <= atol + rtol |ref|: rtol 1e-4 (the brief's target). atol 1e-5 for
 * forward values (O(0.1..10)); for gradients atol = 1e-5 x max |ref| of the tensor, since gradients of
 * a mean loss are small and float32 sums of a few hundred products carry ~1e-7 relative rounding of the
 * largest terms; a wrong index, sign or factor misses by orders of magnitude. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "momu/nn_optim.h"
#include "momu/nn_params.h"
#include "momu/rng.h"
#include "momu/safetensors.h"
#include "momu/vae.h"
#include "test.h"

#define FIX "tests/fixtures/vae/tiny.safetensors"

/* The finite-difference and any-length tests run hundreds of tiny passes whose OpenMP regions cost more
 * than their work on a loaded 2-core machine (barrier spinning); they run on one thread (the threads test
 * covers 2). */
static int saved_threads = 1;
static void threads_one(void) {
#ifdef _OPENMP
    saved_threads = omp_get_max_threads();
    omp_set_num_threads(1);
#endif
}
static void threads_restore(void) {
#ifdef _OPENMP
    omp_set_num_threads(saved_threads);
#endif
}

static void tiny_config(momu_vae_config *c) {
    momu_vae_config_default(c, MOMU_VAE_MOTION);
    c->in_dim = 5;
    c->z_channels = 3;
    c->n_levels = 3;
    c->ch[0] = 4; c->ch[1] = 8; c->ch[2] = 8;
    c->n_res_enc = 1; c->n_res_dec = 2; c->n_mid = 1;
    c->groups = 2;
    c->recon_loss = MOMU_VAE_RECON_MSE;
    c->kl_weight = 0.25;
}

/* The set-up of most tests here: a VAE of config c with its parameter buffer (with optimiser state when
 * alloc_flags says so), initialised from seed; rng continues from there. MOMU_OK or the error in e. */
static momu_status vae_make(const momu_vae_config *c, int alloc_flags, uint64_t seed, momu_vae *m, nn_params *p,
                            momu_rng *rng, momu_err *e) {
    momu_err_clear(e);
    momu_status st = momu_vae_init(m, c, e);
    if (!st) st = nn_params_alloc(p, &m->tab, alloc_flags, e);
    if (st) return st;
    momu_rng_seed(rng, seed);
    momu_vae_init_params(m, p->params, rng);
    return MOMU_OK;
}

TEST(vae_config_json) {
    momu_err e;
    momu_err_clear(&e);
    for (int k = 0; k < MOMU_VAE_KIND_COUNT; k++) {
        momu_vae_config c, d;
        momu_vae_config_default(&c, (momu_vae_kind)k);
        EXPECT(momu_vae_config_validate(&c, &e) == MOMU_OK, "%s", e.msg);
        char *js = NULL;
        EXPECT(momu_vae_config_to_json(&c, &js, &e) == MOMU_OK, "%s", e.msg);
        if (!js) return;
        EXPECT(momu_vae_config_from_json(&d, js, (momu_vae_kind)k, "x.safetensors", &e) == MOMU_OK, "%s", e.msg);
        EXPECT(!memcmp(&c, &d, sizeof c), "round trip differs: %s", js);
        momu_err_clear(&e);
        momu_vae_kind other = k == MOMU_VAE_MUSIC ? MOMU_VAE_MOTION : MOMU_VAE_MUSIC;
        EXPECT(momu_vae_config_from_json(&d, js, other, "x.safetensors", &e) == MOMU_ERR_FORMAT, "other kind accepted");
        EXPECT(strstr(e.msg, "x.safetensors") && strstr(e.msg, momu_vae_kind_name(other)), "message: %s", e.msg);
        momu_err_clear(&e);
        EXPECT(momu_vae_config_from_json(&d, js, MOMU_VAE_KIND_COUNT, "x", &e) == MOMU_OK, "any kind: %s", e.msg);
        free(js);
    }
    momu_vae_config d;
    const char *bad[] = {
        "{\"kind\":\"music_denoiser\",\"version\":1}",
        "{\"version\":1,\"in_dim\":80}",
        "[1,2]",
        "{\"kind\":\"music_vae\",\"version\":2,\"in_dim\":80,\"fps\":100,\"z_channels\":16,\"n_levels\":1,\"ch\":[32],"
        "\"n_res_enc\":1,\"n_res_dec\":1,\"n_mid\":1,\"groups\":32,\"down_kernel\":4,\"mid_attn\":0,"
        "\"recon_loss\":\"l1\",\"kl_weight\":0}",
        "{\"kind\":\"music_vae\",\"version\":1,\"in_dim\":80,\"fps\":100,\"z_channels\":16,\"n_levels\":1,\"ch\":[32],"
        "\"n_res_enc\":1,\"n_res_dec\":1,\"n_mid\":1,\"groups\":32,\"down_kernel\":4,\"mid_attn\":0,"
        "\"recon_loss\":\"l1\",\"kl_weight\":0,\"extra\":1}",
        "{\"kind\":\"music_vae\",\"version\":1,\"in_dim\":80,\"fps\":100,\"z_channels\":16,\"n_levels\":1,\"ch\":[30],"
        "\"n_res_enc\":1,\"n_res_dec\":1,\"n_mid\":1,\"groups\":32,\"down_kernel\":4,\"mid_attn\":0,"
        "\"recon_loss\":\"l1\",\"kl_weight\":0}",
        "{\"kind\":\"music_vae\",\"version\":1,\"in_dim\":80,\"fps\":100,\"z_channels\":16,\"n_levels\":2,\"ch\":[32],"
        "\"n_res_enc\":1,\"n_res_dec\":1,\"n_mid\":1,\"groups\":32,\"down_kernel\":4,\"mid_attn\":0,"
        "\"recon_loss\":\"l1\",\"kl_weight\":0}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        momu_err_clear(&e);
        EXPECT(momu_vae_config_from_json(&d, bad[i], MOMU_VAE_MUSIC, "ck", &e) == MOMU_ERR_FORMAT, "bad[%zu] accepted", i);
        EXPECT(!strncmp(e.msg, "ck", 2), "bad[%zu] message: %s", i, e.msg);
    }
    /* the same JSON with a correct version and no extra key is accepted (the bad cases fail for their reason) */
    momu_err_clear(&e);
    EXPECT(momu_vae_config_from_json(&d,
               "{\"kind\":\"music_vae\",\"version\":1,\"in_dim\":80,\"fps\":100,\"z_channels\":16,\"n_levels\":1,"
               "\"ch\":[32],\"n_res_enc\":1,\"n_res_dec\":1,\"n_mid\":1,\"groups\":32,\"down_kernel\":4,"
               "\"mid_attn\":0,\"recon_loss\":\"l1\",\"kl_weight\":0}", MOMU_VAE_MUSIC, "ck", &e) == MOMU_OK, "%s", e.msg);
    momu_vae_config c;
    momu_vae_config_default(&c, MOMU_VAE_MUSIC);
    c.groups = 24;
    momu_err_clear(&e);
    EXPECT(momu_vae_config_validate(&c, &e) == MOMU_ERR_ARG, "groups 24 accepted");
    momu_vae_config_default(&c, MOMU_VAE_MUSIC);
    c.mid_attn = 1;
    EXPECT(momu_vae_config_validate(&c, NULL) == MOMU_ERR_ARG, "mid_attn accepted");
}

TEST(vae_default_models) {
    momu_err e;
    momu_err_clear(&e);
    for (int k = 0; k < MOMU_VAE_KIND_COUNT; k++) {
        momu_vae_config c;
        momu_vae_config_default(&c, (momu_vae_kind)k);
        momu_vae m;
        EXPECT(momu_vae_init(&m, &c, &e) == MOMU_OK, "%s", e.msg);
        if (test_cur_fail) return;
        /* both latents on one clock: 12.5 frames/s */
        EXPECT(fabs(c.fps / (double)m.factor - 12.5) < 1e-12, "latent fps %g", c.fps / (double)m.factor);
        EXPECT(table_find(&m.tab, "encoder.conv_in.weight") >= 0, "conv_in");
        EXPECT(table_find(&m.tab, "encoder.down.0.res.0.norm1.weight") >= 0, "down.0.res.0");
        EXPECT(table_find(&m.tab, "encoder.down.0.downsample.conv.weight") >= 0, "downsample");
        EXPECT(table_find(&m.tab, "decoder.up.1.upsample.conv.weight") >= 0, "upsample");
        EXPECT(table_find(&m.tab, "decoder.conv_out.bias") >= 0, "conv_out");
        int id = table_find(&m.tab, "encoder.conv_out.weight");
        EXPECT(id >= 0 && m.tab.t[id].shape[0] == 2 * c.z_channels, "conv_out has 2C outputs");
        printf("  %s: %zu parameters\n", momu_vae_kind_name(c.kind), momu_vae_n_params(&m));
        EXPECT(momu_vae_latent_len(&m, 1) == 1 && momu_vae_latent_len(&m, m.factor + 1) == 2, "latent len");
        momu_vae_free(&m);
    }
}

typedef struct {
    momu_vae m;
    nn_params p;
    size_t B, T, Tz;
} vae_fix;

/* Loads the torch fixture: config from the metadata, weights w.*, and the named tensors. */
static int fix_load(vae_fix *f, safetensors_file *sf) {
    momu_err e;
    momu_err_clear(&e);
    memset(f, 0, sizeof *f);
    if (safetensors_open(sf, FIX, &e)) { fprintf(stderr, "  %s\n", e.msg); return 0; }
    momu_vae_config c;
    if (momu_vae_config_from_json(&c, safetensors_meta_get(&sf->meta, MOMU_VAE_META_KEY), MOMU_VAE_KIND_COUNT, FIX, &e) ||
        momu_vae_init(&f->m, &c, &e) || nn_params_alloc(&f->p, &f->m.tab, NN_ALLOC_OPTIM, &e) ||
        safetensors_load_table_prefix(FIX, "w.", &f->m.tab, f->p.params, SAFETENSORS_F32, NULL, &e)) {
        fprintf(stderr, "  %s\n", e.msg);
        return 0;
    }
    f->B = (size_t)atoi(safetensors_meta_get(&sf->meta, "B"));
    f->T = (size_t)atoi(safetensors_meta_get(&sf->meta, "T"));
    f->Tz = momu_vae_latent_len(&f->m, f->T);
    return 1;
}

static float *fix_tensor(safetensors_file *sf, const char *name, size_t n) {
    momu_err e;
    momu_err_clear(&e);
    int i = safetensors_find(sf, name);
    if (i < 0 || sf->t[i].numel != n) { fprintf(stderr, "  fixture tensor %s missing or of wrong size\n", name); return NULL; }
    float *d = malloc(n * sizeof *d);
    if (safetensors_read_f32(sf, (size_t)i, d, n, &e)) { fprintf(stderr, "  %s\n", e.msg); free(d); return NULL; }
    return d;
}

TEST(vae_torch_parity) {
    safetensors_file sf;
    vae_fix f;
    EXPECT(fix_load(&f, &sf), "fixture %s", FIX);
    if (test_cur_fail) return;
    momu_err e;
    momu_err_clear(&e);
    size_t F = f.m.cfg.in_dim, C = f.m.cfg.z_channels, nx = f.B * f.T * F, nz = f.B * f.Tz * C;
    float *x = fix_tensor(&sf, "x", nx), *eps = fix_tensor(&sf, "eps", nz), *dextra = fix_tensor(&sf, "dextra", nz);
    float *recon = fix_tensor(&sf, "recon", nx), *mean = fix_tensor(&sf, "mean", nz);
    float *logvar = fix_tensor(&sf, "logvar", nz), *z = fix_tensor(&sf, "z", nz), *loss = fix_tensor(&sf, "loss", 3);
    EXPECT(x && eps && dextra && recon && mean && logvar && z && loss, "fixture tensors");
    momu_vae_train tr;
    EXPECT(momu_vae_train_init(&tr, &f.m, f.B, f.T, &e) == MOMU_OK, "%s", e.msg);
    if (test_cur_fail) goto done;
    EXPECT(momu_vae_forward(&tr, f.p.params, x, f.B, f.T, eps, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(tr.Tz == f.Tz && tr.Tp == 12, "Tz %zu Tp %zu", tr.Tz, tr.Tp);
    EXPECT(test_close("mean", tr.mean, mean, nz, 1e-5, 1e-4), "mean");
    EXPECT(test_close("logvar", tr.logvar, logvar, nz, 1e-5, 1e-4), "logvar");
    EXPECT(test_close("z", tr.z, z, nz, 1e-5, 1e-4), "z");
    EXPECT(test_close("recon", tr.recon, recon, nx, 1e-5, 1e-4), "recon");
    momu_vae_loss_parts parts;
    float L = momu_vae_loss(&tr, x, &parts);
    /* the fixture's total also holds sum(mean * dextra); compare the parts */
    EXPECT(fabs(parts.recon - loss[1]) <= 1e-5 + 1e-4 * fabs(loss[1]), "recon loss %.7g vs %.7g", parts.recon, loss[1]);
    EXPECT(fabs(parts.kl - loss[2]) <= 1e-5 + 1e-4 * fabs(loss[2]), "kl %.7g vs %.7g", parts.kl, loss[2]);
    EXPECT(fabs(L - (loss[1] + f.m.cfg.kl_weight * loss[2])) < 1e-4, "total %g", L);
    nn_params_zero_grads(&f.p);
    EXPECT(momu_vae_backward(&tr, f.p.params, f.p.grads, dextra, &e) == MOMU_OK, "%s", e.msg);
    size_t n_checked = 0;
    for (int i = 0; i < f.m.tab.n; i++) {
        const tensor_spec *s = &f.m.tab.t[i];
        char name[TENSOR_NAME_MAX + 8];
        snprintf(name, sizeof name, "g.%s", s->name);
        float *g = fix_tensor(&sf, name, s->numel);
        EXPECT(g, "%s", name);
        if (!g) continue;
        double mx = 0;
        for (size_t k = 0; k < s->numel; k++) mx = fmax(mx, fabs(g[k]));
        EXPECT(mx > 0, "%s: reference gradient is all zero", name);
        EXPECT(test_close(name, f.p.grads + s->offset, g, s->numel, 1e-5 * mx, 1e-4), "%s", name);
        n_checked++;
        free(g);
    }
    EXPECT(n_checked == (size_t)f.m.tab.n && n_checked > 50, "checked %zu tensors", n_checked);
    momu_vae_train_free(&tr);
done:
    free(x); free(eps); free(dextra); free(recon); free(mean); free(logvar); free(z); free(loss);
    nn_params_free(&f.p);
    momu_vae_free(&f.m);
    safetensors_close(&sf);
}

/* Linear probe loss L = sum(recon R) + sum(mean S) + sum(logvar U) for fixed random R, S, U: smooth and
 * well-conditioned, so float32 central differences are accurate. */
static double probe_loss(momu_vae_train *tr, const float *R, const float *S, const float *U) {
    size_t nx = tr->B * tr->T * tr->m->cfg.in_dim, nz = tr->B * tr->Tz * tr->m->cfg.z_channels;
    double s = 0;
    for (size_t i = 0; i < nx; i++) s += (double)tr->recon[i] * R[i];
    for (size_t i = 0; i < nz; i++) s += (double)tr->mean[i] * S[i] + (double)tr->logvar[i] * U[i];
    return s;
}

/* Whole-VAE gradient by central differences on ~50 random parameters (every rank-3 tensor, a third of the
 * vectors), with Richardson extrapolation over h = 2e-2 and 1e-2 (removes the h^2 term: plain central
 * differences at h 1e-2 were off by up to 2% on the curved GroupNorm-over-8-values paths of this tiny net).
 * Float32 forward, loss summed in double: round-off of L (|L| ~ 10, ~1e-6 relative) / 2h gives a few 1e-4
 * absolute noise, so |analytic - numeric| <= 1e-3 + 5e-3 |analytic| (measured worst: 0.11 of that).
 * A wrong term is O(|g|) off. */
TEST(vae_finite_differences) {
    momu_vae_config c;
    tiny_config(&c);
    momu_err e;
    momu_vae m;
    nn_params p;
    momu_rng rng;
    EXPECT(vae_make(&c, NN_ALLOC_OPTIM, 11, &m, &p, &rng, &e) == MOMU_OK, "%s", e.msg);
    if (test_cur_fail) return;
    threads_one();
    for (int i = 0; i < m.tab.n; i++)     /* random norm affines so that their gradients are generic */
        if (strstr(m.tab.t[i].name, "norm"))
            for (size_t k = 0; k < m.tab.t[i].numel; k++) p.params[m.tab.t[i].offset + k] += 0.3f * momu_rng_normal(&rng);
    size_t B = 2, T = 7, Tz = momu_vae_latent_len(&m, T), F = c.in_dim, C = c.z_channels;
    size_t nx = B * T * F, nz = B * Tz * C;
    float *x = malloc(nx * sizeof *x), *eps = malloc(nz * sizeof *eps), *R = malloc(nx * sizeof *R);
    float *S = malloc(nz * sizeof *S), *U = malloc(nz * sizeof *U);
    momu_rng_fill_normal(&rng, x, nx, 1.0f);
    momu_rng_fill_normal(&rng, eps, nz, 1.0f);
    momu_rng_fill_normal(&rng, R, nx, 1.0f);
    momu_rng_fill_normal(&rng, S, nz, 1.0f);
    momu_rng_fill_normal(&rng, U, nz, 1.0f);
    momu_vae_train tr;
    EXPECT(momu_vae_train_init(&tr, &m, B, T, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_vae_forward(&tr, p.params, x, B, T, eps, &e) == MOMU_OK, "%s", e.msg);
    memcpy(tr.drecon, R, nx * sizeof *R);
    memcpy(tr.dmean, S, nz * sizeof *S);
    memcpy(tr.dlogvar, U, nz * sizeof *U);
    nn_params_zero_grads(&p);
    EXPECT(momu_vae_backward(&tr, p.params, p.grads, NULL, &e) == MOMU_OK, "%s", e.msg);
    size_t n_checked = 0, n_bad = 0;
    double worst = 0;
    for (int i = 0; i < m.tab.n; i++) {
        const tensor_spec *s = &m.tab.t[i];
        int n_pick = 1;
        if (i % 3 && s->ndim == 1) continue;     /* every tensor of rank 3, a third of the vectors */
        for (int r = 0; r < n_pick; r++) {
            size_t k = s->offset + momu_rng_below(&rng, s->numel);
            float w0 = p.params[k];
            /* Richardson: D(h) = g + c h^2 + ..., so (4 D(h/2) - D(h)) / 3 = g + O(h^4) */
            double d[2];
            for (int q = 0; q < 2; q++) {
                const float h = q ? 1e-2f : 2e-2f;
                p.params[k] = w0 + h;
                momu_vae_forward(&tr, p.params, x, B, T, eps, &e);
                double lp = probe_loss(&tr, R, S, U);
                p.params[k] = w0 - h;
                momu_vae_forward(&tr, p.params, x, B, T, eps, &e);
                double lm = probe_loss(&tr, R, S, U);
                d[q] = (lp - lm) / ((double)(w0 + h) - (double)(w0 - h));
            }
            p.params[k] = w0;
            double num = (4.0 * d[1] - d[0]) / 3.0, ana = p.grads[k];
            double err = fabs(num - ana), tol = 1e-3 + 5e-3 * fabs(ana);
            if (err / tol > worst) worst = err / tol;
            if (getenv("VAE_FD_VERBOSE")) fprintf(stderr, "  %s[%zu]: analytic %.6g numeric %.6g err/tol %.3f\n", s->name, k - s->offset, ana, num, err / tol);
            if (!(err <= tol)) {
                if (n_bad < 5) fprintf(stderr, "  %s[%zu]: analytic %.6g numeric %.6g\n", s->name, k - s->offset, ana, num);
                n_bad++;
            }
            n_checked++;
        }
    }
    EXPECT(n_bad == 0, "%zu of %zu gradients off (worst err/tol %.3g)", n_bad, n_checked, worst);
    EXPECT(n_checked >= 30, "checked %zu", n_checked);
    printf("  finite differences: %zu parameters, worst err/tol %.3g\n", n_checked, worst);
    threads_restore();
    momu_vae_train_free(&tr);
    free(x); free(eps); free(R); free(S); free(U);
    nn_params_free(&p);
    momu_vae_free(&m);
}

/* Odd lengths: shapes, the crop, and the lean inference path equal to the training forward (eps NULL) up to
 * float rounding (the inference residual block uses the plain layer kernels, whose sums run in another order
 * than nn_blocks' fused training kernel: differences ~1e-7 measured; tolerance 1e-5 abs + 1e-5 rel). */
TEST(vae_any_length) {
    momu_vae_config c;
    tiny_config(&c);
    momu_err e;
    momu_vae m;
    nn_params p;
    momu_rng rng;
    EXPECT(vae_make(&c, 0, 5, &m, &p, &rng, &e) == MOMU_OK, "%s", e.msg);
    if (test_cur_fail) return;
    threads_one();
    size_t F = c.in_dim, C = c.z_channels, B = 2;
    momu_vae_train tr;
    EXPECT(momu_vae_train_init(&tr, &m, B, 23, &e) == MOMU_OK, "%s", e.msg);
    const size_t lens[] = {1, 3, 4, 7, 13, 23};
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        size_t T = lens[li], Tz = momu_vae_latent_len(&m, T);
        EXPECT(Tz == (T + 3) / 4, "T %zu: Tz %zu", T, Tz);
        float *x = malloc(B * T * F * sizeof *x), *mu = malloc(B * Tz * C * sizeof *mu);
        float *lv = malloc(B * Tz * C * sizeof *lv), *y = malloc(B * T * F * sizeof *y);
        momu_rng_fill_normal(&rng, x, B * T * F, 1.0f);
        EXPECT(momu_vae_encode(&m, p.params, x, B, T, mu, lv, &e) == MOMU_OK, "%s", e.msg);
        EXPECT(momu_vae_decode(&m, p.params, mu, B, Tz, T, y, &e) == MOMU_OK, "%s", e.msg);
        EXPECT(momu_vae_forward(&tr, p.params, x, B, T, NULL, &e) == MOMU_OK, "%s", e.msg);
        EXPECT(tr.Tz == Tz && tr.T == T, "T %zu", T);
        EXPECT(test_close("encode mean", mu, tr.mean, B * Tz * C, 1e-5, 1e-5), "T %zu: encode = training mean", T);
        EXPECT(test_close("encode logvar", lv, tr.logvar, B * Tz * C, 1e-5, 1e-5), "T %zu: logvar", T);
        EXPECT(test_close("decode", y, tr.recon, B * T * F, 1e-5, 1e-5), "T %zu: decode = training recon", T);
        int finite = 1;
        for (size_t i = 0; i < B * T * F; i++) finite &= isfinite(y[i]) != 0;
        EXPECT(finite, "T %zu: non-finite output", T);
        free(x); free(mu); free(lv); free(y);
    }
    /* decode returns any T <= Tz*f; more is refused */
    float z[2 * 3 * 3], y[2 * 12 * 5];
    momu_rng_fill_normal(&rng, z, sizeof z / sizeof z[0], 1.0f);
    EXPECT(momu_vae_decode(&m, p.params, z, 2, 3, 0, y, &e) == MOMU_OK, "%s", e.msg);
    momu_err_clear(&e);
    EXPECT(momu_vae_decode(&m, p.params, z, 2, 3, 13, y, &e) == MOMU_ERR_ARG, "13 frames from 3 latents accepted");
    momu_err_clear(&e);
    EXPECT(momu_vae_forward(&tr, p.params, y, 2, 25, NULL, &e) == MOMU_ERR_ARG, "longer than planned accepted");
    threads_restore();
    momu_vae_train_free(&tr);
    nn_params_free(&p);
    momu_vae_free(&m);
}

/* Byte-identical results for 1 and 2 threads on a shape that takes the BLAS paths (default motion widths). */
TEST(vae_threads_deterministic) {
    momu_vae_config c;
    momu_vae_config_default(&c, MOMU_VAE_MOTION);
    c.ch[0] = 64; c.ch[1] = 128;
    momu_err e;
    momu_vae m;
    nn_params p;
    momu_rng rng;
    EXPECT(vae_make(&c, NN_ALLOC_OPTIM, 9, &m, &p, &rng, &e) == MOMU_OK, "%s", e.msg);
    if (test_cur_fail) return;
    size_t B = 2, T = 47, Tz = momu_vae_latent_len(&m, T), F = c.in_dim, C = c.z_channels;
    float *x = malloc(B * T * F * sizeof *x), *eps = malloc(B * Tz * C * sizeof *eps);
    momu_rng_fill_normal(&rng, x, B * T * F, 1.0f);
    momu_rng_fill_normal(&rng, eps, B * Tz * C, 1.0f);
    momu_vae_train tr;
    EXPECT(momu_vae_train_init(&tr, &m, B, T, &e) == MOMU_OK, "%s", e.msg);
    float *rec[2], *gr[2], *mu[2], *y[2];
    float loss[2];
    threads_one();   /* saves the thread count to restore */
    for (int k = 0; k < 2; k++) {
#ifdef _OPENMP
        omp_set_num_threads(k + 1);
#endif
        rec[k] = malloc(B * T * F * sizeof(float));
        y[k] = malloc(B * T * F * sizeof(float));
        mu[k] = malloc(B * Tz * C * sizeof(float));
        gr[k] = malloc(m.tab.total * sizeof(float));
        momu_vae_forward(&tr, p.params, x, B, T, eps, &e);
        loss[k] = momu_vae_loss(&tr, x, NULL);
        memcpy(rec[k], tr.recon, B * T * F * sizeof(float));
        nn_params_zero_grads(&p);
        momu_vae_backward(&tr, p.params, p.grads, NULL, &e);
        memcpy(gr[k], p.grads, m.tab.total * sizeof(float));
        momu_vae_encode(&m, p.params, x, B, T, mu[k], NULL, &e);
        momu_vae_decode(&m, p.params, mu[k], B, Tz, T, y[k], &e);
    }
    threads_restore();
    EXPECT(e.status == MOMU_OK, "%s", e.msg);
    EXPECT(loss[0] == loss[1], "loss differs");
    EXPECT(!memcmp(rec[0], rec[1], B * T * F * sizeof(float)), "recon differs between 1 and 2 threads");
    EXPECT(!memcmp(gr[0], gr[1], m.tab.total * sizeof(float)), "grads differ between 1 and 2 threads");
    EXPECT(!memcmp(mu[0], mu[1], B * Tz * C * sizeof(float)), "encode differs between 1 and 2 threads");
    EXPECT(!memcmp(y[0], y[1], B * T * F * sizeof(float)), "decode differs between 1 and 2 threads");
    for (int k = 0; k < 2; k++) { free(rec[k]); free(gr[k]); free(mu[k]); free(y[k]); }
    free(x); free(eps);
    momu_vae_train_free(&tr);
    nn_params_free(&p);
    momu_vae_free(&m);
}

/* The logvar clamp: with the logvar half of conv_out's bias pushed to +40, logvar is exactly 20 and no
 * gradient flows back through it (torch.clamp), while the mean half still gets one. Also the MSE loss value
 * and the argument checks. */
TEST(vae_clamp_loss_and_errors) {
    momu_vae_config c;
    tiny_config(&c);
    momu_err e;
    momu_vae m;
    nn_params p;
    momu_rng rng;
    EXPECT(vae_make(&c, NN_ALLOC_OPTIM, 21, &m, &p, &rng, &e) == MOMU_OK, "%s", e.msg);
    if (test_cur_fail) return;
    threads_one();
    size_t B = 2, T = 8, Tz = momu_vae_latent_len(&m, T), F = c.in_dim, C = c.z_channels;
    float *x = malloc(B * T * F * sizeof *x), *eps = malloc(B * Tz * C * sizeof *eps);
    momu_rng_fill_normal(&rng, x, B * T * F, 1.0f);
    momu_rng_fill_normal(&rng, eps, B * Tz * C, 1.0f);
    int ib = table_find(&m.tab, "encoder.conv_out.bias");
    float *bias = table_ptr(&m.tab, p.params, ib), *gbias = table_ptr(&m.tab, p.grads, ib);
    for (size_t k = C; k < 2 * C; k++) bias[k] = 40.0f;
    momu_vae_train tr;
    EXPECT(momu_vae_train_init(&tr, &m, B, T, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_vae_forward(&tr, p.params, x, B, T, eps, &e) == MOMU_OK, "%s", e.msg);
    int all20 = 1;
    for (size_t i = 0; i < B * Tz * C; i++) all20 &= tr.logvar[i] == MOMU_VAE_LOGVAR_MAX;
    EXPECT(all20, "logvar not clamped to 20");
    momu_vae_loss_parts parts;
    momu_vae_loss(&tr, x, &parts);
    double se = 0;
    for (size_t i = 0; i < B * T * F; i++) se += ((double)tr.recon[i] - x[i]) * ((double)tr.recon[i] - x[i]);
    EXPECT(fabs(parts.recon - se / (double)(B * T * F)) < 1e-6 * (1 + parts.recon), "mse %g vs %g", parts.recon,
           se / (double)(B * T * F));
    nn_params_zero_grads(&p);
    EXPECT(momu_vae_backward(&tr, p.params, p.grads, NULL, &e) == MOMU_OK, "%s", e.msg);
    int zero = 1, nonzero = 0;
    for (size_t k = 0; k < C; k++) nonzero |= gbias[k] != 0.0f;
    for (size_t k = C; k < 2 * C; k++) zero &= gbias[k] == 0.0f;
    EXPECT(zero && nonzero, "clamped logvar bias grads zero %d, mean bias grads nonzero %d", zero, nonzero);
    /* argument checks */
    float mu[64];
    momu_err_clear(&e);
    EXPECT(momu_vae_encode(&m, p.params, x, B, 0, mu, NULL, &e) == MOMU_ERR_ARG, "T 0 accepted");
    momu_err_clear(&e);
    EXPECT(momu_vae_forward(&tr, p.params, x, B + 1, T, eps, &e) == MOMU_ERR_ARG, "batch beyond plan accepted");
    momu_vae_train_free(&tr);
    threads_restore();
    free(x); free(eps);
    nn_params_free(&p);
    momu_vae_free(&m);
}

/* momu_vae_delta_loss: the value of a known case and the gradient it adds to drecon, by central differences
 * on the reconstruction itself (the loss depends on the parameters only through it; the backward from drecon
 * is checked by vae_finite_differences). */
TEST(vae_delta_loss) {
    momu_vae_config c;
    tiny_config(&c);
    momu_err e;
    momu_vae m;
    nn_params p;
    momu_rng rng;
    EXPECT(vae_make(&c, 0, 4, &m, &p, &rng, &e) == MOMU_OK, "%s", e.msg);
    if (test_cur_fail) return;
    size_t B = 2, T = 8, F = c.in_dim, n = B * T * F;
    float *x = malloc(n * sizeof *x), *d0 = malloc(n * sizeof *d0);
    momu_rng_fill_normal(&rng, x, n, 1.0f);
    momu_vae_train tr;
    EXPECT(momu_vae_train_init(&tr, &m, B, T, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_vae_forward(&tr, p.params, x, B, T, NULL, &e) == MOMU_OK, "%s", e.msg);
    /* known case: recon = x + 0.5 t on every channel -> every difference is off by 0.5 -> loss 0.25 */
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++)
            for (size_t f = 0; f < F; f++) tr.recon[(b * T + t) * F + f] = x[(b * T + t) * F + f] + 0.5f * (float)t;
    momu_vae_loss(&tr, x, NULL);
    EXPECT(fabs(momu_vae_delta_loss(&tr, x, 1.0) - 0.25) < 1e-6, "ramp: loss not 0.25");
    /* gradient: random recon, weight 3 */
    momu_rng_fill_normal(&rng, tr.recon, n, 1.0f);
    momu_vae_loss(&tr, x, NULL);
    memcpy(d0, tr.drecon, n * sizeof *d0);
    const double w = 3.0, h = 1e-2;
    momu_vae_delta_loss(&tr, x, w);
    size_t bad = 0;
    for (size_t i = 0; i < n; i += 7) {
        float keep = tr.recon[i];
        tr.recon[i] = keep + (float)h;
        double lp = momu_vae_delta_loss(&tr, x, 0.0);
        tr.recon[i] = keep - (float)h;
        double lm = momu_vae_delta_loss(&tr, x, 0.0);
        tr.recon[i] = keep;
        double num = w * (lp - lm) / (2 * h), an = (double)tr.drecon[i] - d0[i];
        if (fabs(num - an) > 1e-4 + 1e-3 * fabs(num)) {
            if (bad < 3) printf("  drecon[%zu]: analytic %.6g numeric %.6g\n", i, an, num);
            bad++;
        }
    }
    EXPECT(bad == 0, "%zu gradients off", bad);
    momu_vae_train_free(&tr);
    free(x); free(d0);
    nn_params_free(&p);
    momu_vae_free(&m);
}

/* A few AdamW steps on one fixed batch of smooth signals reduce the loss a lot (init, loss and backward fit
 * together; catches a sign error that parity on one point would also catch, and a bad init it would not). */
TEST(vae_overfits_one_batch) {
    momu_vae_config c;
    tiny_config(&c);
    c.ch[0] = 16; c.ch[1] = 16; c.ch[2] = 32; c.groups = 4; c.kl_weight = 1e-3;
    momu_err e;
    momu_vae m;
    nn_params p;
    momu_rng rng;
    EXPECT(vae_make(&c, NN_ALLOC_OPTIM, 33, &m, &p, &rng, &e) == MOMU_OK, "%s", e.msg);
    if (test_cur_fail) return;
    threads_one();
    size_t B = 4, T = 32, Tz = momu_vae_latent_len(&m, T), F = c.in_dim, C = c.z_channels;
    float *x = malloc(B * T * F * sizeof *x), *eps = malloc(B * Tz * C * sizeof *eps);
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++)
            for (size_t f = 0; f < F; f++)
                x[(b * T + t) * F + f] = sinf(0.2f * (float)(t * (f + 1)) + (float)b) * (1.0f + 0.2f * (float)f);
    momu_vae_train tr;
    EXPECT(momu_vae_train_init(&tr, &m, B, T, &e) == MOMU_OK, "%s", e.msg);
    adamw_config ac;
    adamw_config_default(&ac);
    ac.lr = 3e-3;
    ac.weight_decay = 0.0;
    nn_optim o;
    optim_init(&o, &ac);
    double first = 0, last = 0;
    for (int step = 0; step < 60; step++) {
        momu_rng_fill_normal(&rng, eps, B * Tz * C, 1.0f);
        momu_vae_forward(&tr, p.params, x, B, T, eps, &e);
        momu_vae_loss_parts parts;
        float L = momu_vae_loss(&tr, x, &parts);
        if (step == 0) first = parts.recon;
        last = parts.recon;
        nn_params_zero_grads(&p);
        momu_vae_backward(&tr, p.params, p.grads, NULL, &e);
        optim_step(&o, &p, L);
    }
    EXPECT(e.status == MOMU_OK, "%s", e.msg);
    printf("  60 AdamW steps on one batch: recon MSE %.4f -> %.4f\n", first, last);
    EXPECT(last < 0.3 * first, "recon %.4f -> %.4f", first, last);
    threads_restore();
    momu_vae_train_free(&tr);
    free(x); free(eps);
    nn_params_free(&p);
    momu_vae_free(&m);
}

int main(void) {
    RUN(vae_config_json);
    RUN(vae_default_models);
    RUN(vae_torch_parity);
    RUN(vae_finite_differences);
    RUN(vae_any_length);
    RUN(vae_threads_deterministic);
    RUN(vae_clamp_loss_and_errors);
    RUN(vae_delta_loss);
    RUN(vae_overfits_one_batch);
    return test_summary();
}
