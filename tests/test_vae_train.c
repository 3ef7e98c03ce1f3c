/* VAE trainer (include/momu/vae_train.h) on a tiny synthetic prepared folder written here: loader shapes and
 * normalisation, crop alignment of mel and motion on the latent clock, bit-exact resume of both stages
 * (N steps straight == N/2 + resume + N/2, memcmp of weights and EMA), refusal of a checkpoint of the
 * wrong stage, of mismatched data dims and of a missing --music-vae. The straight runs use 1 OpenMP thread,
 * the split runs 2 or more: the comparison also checks thread-count independence. */
#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "momu/rng.h"
#include "momu/vae_train.h"
#include "fixtures_models.h"
#include "test.h"

enum { NTR = FIX_NTR, NVA = FIX_NVA, W = FIX_W, M = FIX_M, J = FIX_J };
#define DF FIX_DF

static char dir[600];

/* mel value at (window n, mel frame t, band k) = 0.01 k + n + t / 1000 (train), 100 + ... (val): crops can be
 * traced back. Motion: small random features whose frame index is encoded in feature 3 (root height). */
static void fill_traceable(float *mel, float *mot, int split, size_t n, momu_rng *r) {
    for (size_t t = 0; t < 4 * W; t++)
        for (size_t k = 0; k < M; k++)
            mel[t * M + k] = (float)(0.01 * k + n + t / 1000.0 + 100.0 * split) + 0.3f * sinf((float)(t * (k + 1)) * 0.37f);
    for (size_t t = 0; t < W; t++) {
        float *f = mot + t * DF;
        momu_rng_fill_normal(r, f, DF, 1.0f);
        f[3] = (float)t + 100.0f * (float)n;
    }
}

static void make_folder(void) {
    snprintf(dir, sizeof dir, "%s/prep", test_tmpdir());
    EXPECT(fix_prepared_write(dir, fill_traceable), "prepared folder %s", dir);
}

TEST(loader_and_crops) {
    momu_vae_data d;
    momu_err e = {0};
    EXPECT(momu_vae_data_load(dir, 1, &d, &e) == MOMU_OK, "%s", e.msg);
    if (e.status) return;
    EXPECT(d.W == W && d.M == M && d.D == DF && d.J == J && d.n_train == NTR && d.n_val == NVA, "dims");
    EXPECT(d.n_val_clips == 2 && d.val_clip[1] == 0 && d.val_clip[2] == 1, "val clips");
    /* normalised: (x - 0.5) / 2 */
    float raw = (float)(0.01 * 3 + 2 + 5 / 1000.0) + 0.3f * sinf((float)(5 * 4) * 0.37f);
    EXPECT(fabsf(d.train_mel[(2 * 4 * W + 5) * M + 3] - (raw - 0.5f) / 2.0f) < 1e-5f, "mel normalisation");
    momu_vae_sampler s;
    EXPECT(momu_vae_sampler_init(&s, &d, 0, 6, 9, &e) == MOMU_OK, "%s", e.msg);
    momu_rng r;
    momu_rng_seed(&r, 1);
    float mel[4 * 4 * 6 * M], mot[4 * 6 * DF], q[4 * 6];
    int seen[NTR] = {0};
    for (int it = 0; it < 6; it++) {
        momu_vae_sampler_next(&s, &d, &r, 4, mel, mot, q);
        for (size_t b = 0; b < 4; b++) {
            float f3 = mot[b * 6 * DF + 3];              /* = t0 + 100 n */
            size_t n = (size_t)lroundf(f3 / 100.0f), t0 = (size_t)lroundf(f3 - 100.0f * (float)n);
            EXPECT(n < NTR && t0 % 2 == 0 && t0 + 6 <= W, "crop n %zu t0 %zu", n, t0);
            if (n < NTR) seen[n]++;
            /* the mel crop starts at mel frame 4 t0 of the same window */
            float m0 = mel[b * 4 * 6 * M + 0] * 2.0f + 0.5f - 0.3f * sinf(0.0f);
            float want = (float)n + (float)(4 * t0) / 1000.0f + 0.3f * sinf((float)(4 * t0) * 0.37f) - 0.3f * sinf(0.0f);
            EXPECT(fabsf(m0 - want) < 1e-3f, "mel crop of window %zu frame %zu: %g vs %g", n, t0, m0, want);
            EXPECT(q[b * 6] == d.train_q[n * W + t0], "q crop");
        }
    }
    /* 24 draws over 6 windows: every window 4 times (epoch permutations) */
    for (int n = 0; n < NTR; n++) EXPECT(seen[n] == 4, "window %d seen %d times", n, seen[n]);
    momu_vae_sampler_free(&s);
    EXPECT(momu_vae_sampler_init(&s, &d, 0, 7, 9, &e) == MOMU_ERR_ARG, "odd crop accepted");
    momu_vae_data_free(&d);
}

/* the tiny run of tests/fixtures_models.h, 6 steps of batch 3 */
static void opts_for(momu_vae_train_opts *o, momu_vae_kind k, const char *out, const momu_vae_config *c) {
    fix_vae_train_opts(o, k, dir, out, NULL, c);
    o->steps = 6;
    o->batch = 3;
    o->warmup = 2;
    o->lr = 1e-3;
}

static int same_ckpt(const char *a, const char *b, int ema) {
    momu_vae_ckpt x, y;
    momu_err e = {0};
    if (momu_vae_ckpt_load(a, MOMU_VAE_KIND_COUNT, ema, &x, &e)) { fprintf(stderr, "%s\n", e.msg); return 0; }
    if (momu_vae_ckpt_load(b, MOMU_VAE_KIND_COUNT, ema, &y, &e)) { fprintf(stderr, "%s\n", e.msg); momu_vae_ckpt_free(&x); return 0; }
    int same = x.vae.tab.total == y.vae.tab.total && x.step == y.step &&
               !memcmp(x.params, y.params, x.vae.tab.total * sizeof(float));
    momu_vae_ckpt_free(&x);
    momu_vae_ckpt_free(&y);
    return same;
}

static char music_ck[700];

static void resume_case(momu_vae_kind k) {
    momu_vae_config c;
    fix_vae_config_tiny(&c, k);
    char a[700], b[700];
    const char *tag = k == MOMU_VAE_MUSIC ? "music" : "motion";
    snprintf(a, sizeof a, "%s/%s_a.safetensors", test_tmpdir(), tag);
    snprintf(b, sizeof b, "%s/%s_b.safetensors", test_tmpdir(), tag);
    momu_vae_train_opts o;
    momu_vae_train_result r;
    momu_err e = {0};
    opts_for(&o, k, a, &c);
    if (k == MOMU_VAE_MOTION) { o.music_vae_path = music_ck; o.contrast = 0.5; }
#ifdef _OPENMP
    int nt = omp_get_max_threads();
    omp_set_num_threads(1);   /* the straight run on 1 thread, the split run on the default (2): same bytes */
#endif
    EXPECT(momu_vae_train_run(&o, &r, &e) == MOMU_OK, "%s", e.msg);
#ifdef _OPENMP
    omp_set_num_threads(nt > 1 ? nt : 2);
#endif
    EXPECT(r.step == 6 && isfinite(r.val_total), "step %zu val %g", r.step, r.val_total);
    if (k == MOMU_VAE_MOTION) EXPECT(r.last_contrast > 0 && r.val_contrast > 0, "contrast %g", r.last_contrast);
    opts_for(&o, k, b, &c);
    if (k == MOMU_VAE_MOTION) { o.music_vae_path = music_ck; o.contrast = 0.5; }
    o.stop_after = 3;
    EXPECT(momu_vae_train_run(&o, &r, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(r.step == 3, "first half stopped at %zu", r.step);
    o.stop_after = 0;
    o.resume = 1;
    o.cfg = NULL;
    o.seed = 12345;   /* ignored on resume: the checkpoint's seed is used */
    EXPECT(momu_vae_train_run(&o, &r, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(r.step == 6, "resumed run ended at %zu", r.step);
    EXPECT(same_ckpt(a, b, 0), "%s weights differ after resume", tag);
    EXPECT(same_ckpt(a, b, 1), "%s EMA differs after resume", tag);
    if (k == MOMU_VAE_MUSIC) snprintf(music_ck, sizeof music_ck, "%s", a);
}

TEST(resume_music_bit_exact) { resume_case(MOMU_VAE_MUSIC); }
TEST(resume_motion_contrast_bit_exact) { resume_case(MOMU_VAE_MOTION); }

TEST(refusals) {
    momu_vae_config c;
    momu_vae_train_opts o;
    momu_vae_train_result r;
    momu_err e = {0};
    /* resume a music checkpoint as stage motion */
    fix_vae_config_tiny(&c, MOMU_VAE_MOTION);
    opts_for(&o, MOMU_VAE_MOTION, music_ck, NULL);
    o.resume = 1;
    o.contrast = 0;
    EXPECT(momu_vae_train_run(&o, &r, &e) == MOMU_ERR_FORMAT && strstr(e.msg, "music_vae"), "wrong stage: %s", e.msg);
    /* a motion checkpoint given as the music VAE */
    char mot[700], out[700];
    snprintf(mot, sizeof mot, "%s/motion_a.safetensors", test_tmpdir());
    snprintf(out, sizeof out, "%s/x.safetensors", test_tmpdir());
    momu_err_clear(&e);
    opts_for(&o, MOMU_VAE_MOTION, out, &c);
    o.music_vae_path = mot;
    EXPECT(momu_vae_train_run(&o, &r, &e) == MOMU_ERR_FORMAT, "motion ckpt as music VAE: %s", e.msg);
    /* missing --music-vae with contrast */
    momu_err_clear(&e);
    opts_for(&o, MOMU_VAE_MOTION, out, &c);
    EXPECT(momu_vae_train_run(&o, &r, &e) == MOMU_ERR_ARG && strstr(e.msg, "music-vae"), "%s", e.msg);
    /* model config with other feature dims */
    momu_err_clear(&e);
    c.in_dim = 50;
    opts_for(&o, MOMU_VAE_MOTION, out, &c);
    o.contrast = 0;
    EXPECT(momu_vae_train_run(&o, &r, &e) == MOMU_ERR_FORMAT && strstr(e.msg, "dim"), "dims: %s", e.msg);
    /* crop longer than the windows */
    momu_err_clear(&e);
    fix_vae_config_tiny(&c, MOMU_VAE_MUSIC);
    opts_for(&o, MOMU_VAE_MUSIC, out, &c);
    o.crop_seconds = 5;
    EXPECT(momu_vae_train_run(&o, &r, &e) == MOMU_ERR_ARG, "long crop: %s", e.msg);
    /* not a prepared folder */
    momu_err_clear(&e);
    o.crop_seconds = 0.48;
    o.data_dir = test_tmpdir();
    EXPECT(momu_vae_train_run(&o, &r, &e) == MOMU_ERR_IO && strstr(e.msg, "prepare.json"), "%s", e.msg);
}

int main(void) {
    momu_verbosity = 0;
    make_folder();
    RUN(loader_and_crops);
    RUN(resume_music_bit_exact);
    RUN(resume_motion_contrast_bit_exact);
    RUN(refusals);
    return test_summary();
}
