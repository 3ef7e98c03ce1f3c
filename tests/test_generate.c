/* Tests for src/model/generate.c (include/momu/generate.h): the library generation pipeline on tiny
 * random-weight models written here (tests/fixtures_models.h: the file formats of momu_vae_ckpt_load and
 * denoiser_load): output shapes and lengths, determinism per seed, the sample-rate path, a prefix, load
 * errors, model discovery.
 * With MOMU_GEN_BENCH=1 it also times a 20-s demo-sized run on random models at the DEFAULT sizes (the cost
 * of the real model; docs/SAMPLING.md quotes the "info" line). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "momu/audio.h"
#include "momu/denoiser.h"
#include "momu/generate.h"
#include "momu/motion.h"
#include "momu/rng.h"
#include "momu/vae.h"
#include "fixtures_models.h"
#include "test.h"

/* The four files in dir; 1 on success. */
static int write_models(const char *dir, int tiny, uint64_t seed) {
    char p[4][700];
    for (int i = 0; i < 4; i++) snprintf(p[i], sizeof p[i], "%s/%s", dir, MOMU_GEN_FILE_NAMES[i]);
    momu_rng r;
    momu_rng_seed(&r, seed);
    momu_vae_config c;
    momu_vae_config_default(&c, MOMU_VAE_MUSIC);
    size_t C = tiny ? 4 : c.z_channels;
    return fix_write_random_vae(p[0], MOMU_VAE_MUSIC, tiny, &r) && fix_write_random_vae(p[1], MOMU_VAE_MOTION, tiny, &r) &&
           fix_write_random_denoiser(p[2], DENOISER_MUSIC, C, tiny, &r) &&
           fix_write_random_denoiser(p[3], DENOISER_MOTION, C, tiny, &r);
}

static float *clicks(size_t n, unsigned sr) {
    float *x = calloc(n, sizeof(float));
    for (size_t i = 0; i < n; i++) x[i] = (i % (sr / 2)) < sr / 40 ? 0.5f * (float)sin(0.3 * (double)i) : 0.0f;
    return x;
}

static char DIR_[600];

TEST(generate_library) {
    momu_generator g;
    momu_generator_files f = {DIR_, NULL, NULL, NULL, NULL, 0, 0};
    momu_err e = {0};
    EXPECT(momu_generator_load(&g, &f, &e) == MOMU_OK, "%s", e.msg);
    if (e.status) return;
    EXPECT(g.C == 4 && g.den_ok[0] && g.den_ok[1], "C %zu", g.C);
    momu_gen_opts o;
    momu_gen_opts_default(&o);
    o.steps = 4;
    o.window = 8;
    o.overlap = 2;
    o.gl_iters = 32;
    o.seed = 7;
    momu_gen_stats stats;
    o.stats = &stats;
    size_t n = 2 * MOMU_SR;
    float *x = clicks(n, MOMU_SR);
    /* dance: 2 s of music -> 25 latent frames -> 50 motion frames at 25 fps, deterministic per seed */
    momu_motion m1 = {0}, m2 = {0}, m3 = {0};
    EXPECT(momu_generate_dance(&g, x, n, MOMU_SR, &o, NULL, &m1, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(m1.n_joints == MOMU_DWM_JOINTS && m1.fps == MOMU_DWM_FPS && m1.n_frames == 2 * stats.Tz,
           "dance: %zu frames, %zu joints, Tz %zu", m1.n_frames, m1.n_joints, stats.Tz);
    EXPECT(stats.Tz >= 25 && stats.Tz <= 26 && stats.n_windows >= 3 && stats.window == 8, "Tz %zu windows %zu",
           stats.Tz, stats.n_windows);
    EXPECT(momu_generate_dance(&g, x, n, MOMU_SR, &o, NULL, &m2, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(m1.n_frames == m2.n_frames && !memcmp(m1.pos, m2.pos, m1.n_frames * m1.n_joints * 3 * sizeof(float)),
           "dance: same seed, different motion");
    o.seed = 8;
    EXPECT(momu_generate_dance(&g, x, n, MOMU_SR, &o, NULL, &m3, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(m1.n_frames == m3.n_frames && memcmp(m1.pos, m3.pos, m1.n_frames * m1.n_joints * 3 * sizeof(float)),
           "dance: another seed, same motion");
    momu_motion_free(&m3);
    o.seed = 7;
    /* guidance interval: the default is [0, MOMU_GEN_GUIDANCE_HI); every step guided ([0, 1), also written as
     * [0, 0.9999), which rounds to the same timesteps) gives another motion; an empty interval is refused */
    EXPECT(o.guidance_lo == 0.0f && o.guidance_hi == MOMU_GEN_GUIDANCE_HI && o.guidance == MOMU_GEN_GUIDANCE,
           "defaults %g [%g, %g)", (double)o.guidance, (double)o.guidance_lo, (double)o.guidance_hi);
    momu_motion m4 = {0};
    o.guidance_hi = 1.0f;
    EXPECT(momu_generate_dance(&g, x, n, MOMU_SR, &o, NULL, &m3, &e) == MOMU_OK &&
           memcmp(m1.pos, m3.pos, m1.n_frames * m1.n_joints * 3 * sizeof(float)), "interval [0, 1): %s", e.msg);
    o.guidance_hi = 1.0f - 1e-4f;
    EXPECT(momu_generate_dance(&g, x, n, MOMU_SR, &o, NULL, &m4, &e) == MOMU_OK && m3.pos && m4.pos &&
           !memcmp(m4.pos, m3.pos, m1.n_frames * m1.n_joints * 3 * sizeof(float)), "interval [0, 0.9999): %s", e.msg);
    momu_motion_free(&m3);
    momu_motion_free(&m4);
    o.guidance_lo = 0.6f;
    o.guidance_hi = 0.5f;
    momu_err_clear(&e);
    EXPECT(momu_generate_dance(&g, x, n, MOMU_SR, &o, NULL, &m3, &e) == MOMU_ERR_ARG && m3.pos == NULL &&
           strstr(e.msg, "guidance interval"), "empty interval: %s", e.msg);
    o.guidance_lo = 0.0f;
    o.guidance_hi = MOMU_GEN_GUIDANCE_HI;
    /* the same music at 22050 Hz goes through the resampler and still gives a motion of the same length */
    size_t n22 = 2 * 22050;
    float *x22 = clicks(n22, 22050);
    EXPECT(momu_generate_dance(&g, x22, n22, 22050, &o, NULL, &m3, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(m3.n_frames == m1.n_frames, "22050 Hz input: %zu frames vs %zu", m3.n_frames, m1.n_frames);
    momu_motion_free(&m3);
    free(x22);
    /* a prefix: the first latent frames come from the prefix motion */
    EXPECT(momu_generate_dance(&g, x, n, MOMU_SR, &o, &m1, &m3, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(stats.prefix_frames == stats.Tz, "prefix frames %zu of %zu", stats.prefix_frames, stats.Tz);
    momu_motion_free(&m3);
    /* music from the dance: 16 kHz PCM of Tz * 8 mel frames */
    float *a1 = NULL, *a2 = NULL;
    size_t na1 = 0, na2 = 0;
    EXPECT(momu_generate_music(&g, &m1, &o, NULL, 0, &a1, &na1, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_generate_music(&g, &m1, &o, NULL, 0, &a2, &na2, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(na1 > (size_t)(1.9 * MOMU_SR) && na1 < (size_t)(2.2 * MOMU_SR) && na1 == na2 &&
           !memcmp(a1, a2, na1 * sizeof(float)), "music: %zu samples, %zu the second time", na1, na2);
    free(a2);
    /* both: 3 s */
    momu_motion mb = {0};
    EXPECT(momu_generate_both(&g, 3.0, &o, &a2, &na2, &mb, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(stats.Tz == 38 && mb.n_frames == 76 && na2 >= (38 * 8 - 1) * MOMU_HOP, "both: Tz %zu, %zu frames, %zu samples",
           stats.Tz, mb.n_frames, na2);
    int finite = 1;
    for (size_t i = 0; i < na2; i++) finite &= isfinite(a2[i]) != 0;
    for (size_t i = 0; i < mb.n_frames * mb.n_joints * 3; i++) finite &= isfinite(mb.pos[i]) != 0;
    EXPECT(finite, "both: non-finite output");
    /* bad arguments come back as errors */
    momu_motion mx = {0};
    o.steps = 0;
    momu_err_clear(&e);
    EXPECT(momu_generate_dance(&g, x, n, MOMU_SR, &o, NULL, &mx, &e) == MOMU_ERR_ARG && mx.pos == NULL, "steps 0");
    o.steps = 4;
    momu_err_clear(&e);
    free(a1);   /* the call below must set it to NULL: keep nothing allocated behind it */
    a1 = NULL;
    EXPECT(momu_generate_both(&g, 0.0, &o, &a1, &na1, &mx, &e) == MOMU_ERR_ARG && a1 == NULL, "both 0 s");
    momu_err_clear(&e);
    EXPECT(momu_generate_dance(&g, x, 100, MOMU_SR, &o, NULL, &mx, &e) == MOMU_ERR_ARG, "too short: %s", e.msg);
    momu_motion_free(&m1);
    momu_motion_free(&m2);
    momu_motion_free(&mb);
    free(a1);
    free(a2);
    free(x);
    momu_generator_free(&g);
    /* skipping a denoiser: both says what is missing */
    f.skip_music_denoiser = 1;
    momu_err_clear(&e);
    EXPECT(momu_generator_load(&g, &f, &e) == MOMU_OK && !g.den_ok[0] && g.den_ok[1], "%s", e.msg);
    momu_motion mm = {0};
    EXPECT(momu_generate_both(&g, 2.0, &o, &a1, &na1, &mm, &e) == MOMU_ERR_STATE && strstr(e.msg, "music") &&
           a1 == NULL && mm.pos == NULL, "both without the music denoiser: %s", e.msg);
    momu_generator_free(&g);
}

TEST(generate_music_clamps_decoded_mel) {
    /* a music VAE whose decoded log-mel lands far below the log10 floor (mean -20): generation must clamp to
     * [-5, 6] as `momu vae decode` does, not stop in the mel inverter (a real 60-s piece reached -13.6) */
    char dir[700];
    snprintf(dir, sizeof dir, "%s/low_mel", test_tmpdir());
    mkdir(dir, 0755);
    fix_music_norm_mean = -20.0f;
    int ok = write_models(dir, 1, 5);
    fix_music_norm_mean = -2.0f;
    EXPECT(ok, "models");
    momu_generator g;
    momu_generator_files f = {dir, NULL, NULL, NULL, NULL, 0, 0};
    momu_err e = {0};
    EXPECT(momu_generator_load(&g, &f, &e) == MOMU_OK, "%s", e.msg);
    if (e.status) return;
    momu_gen_opts o;
    momu_gen_opts_default(&o);
    o.steps = 2;
    o.gl_iters = 4;
    float *a = NULL;
    size_t na = 0;
    momu_motion m = {0};
    EXPECT(momu_generate_both(&g, 2.0, &o, &a, &na, &m, &e) == MOMU_OK && na > 0, "%s", e.msg);
    momu_motion_free(&m);
    int finite = 1;
    for (size_t i = 0; i < na; i++) finite &= isfinite(a[i]) != 0;
    EXPECT(finite, "non-finite audio");
    free(a);
    momu_generator_free(&g);
}

/* Denoisers with rhythm channels (denoiser.h cond_extra, rhythm.h): all three tasks run through the rhythm
 * path (dance and music from their inputs' envelopes, both from the decoded estimates at every cross-guided
 * step), deterministically; a channel count that is not the condition VAE's frames per latent frame is
 * refused at load. */
TEST(generate_rhythm_channels) {
    char dir[700], p[4][800];
    snprintf(dir, sizeof dir, "%s/rhythm", test_tmpdir());
    mkdir(dir, 0755);
    for (int i = 0; i < 4; i++) snprintf(p[i], sizeof p[i], "%s/%s", dir, MOMU_GEN_FILE_NAMES[i]);
    momu_rng r;
    momu_rng_seed(&r, 99);
    EXPECT(fix_write_random_vae(p[0], MOMU_VAE_MUSIC, 1, &r) && fix_write_random_vae(p[1], MOMU_VAE_MOTION, 1, &r),
           "VAEs");
    momu_vae_ckpt va, vm;
    momu_err e = {0};
    if (momu_vae_ckpt_load(p[0], MOMU_VAE_MUSIC, 1, &va, &e)) { EXPECT(0, "%s", e.msg); return; }
    if (momu_vae_ckpt_load(p[1], MOMU_VAE_MOTION, 1, &vm, &e)) { EXPECT(0, "%s", e.msg); momu_vae_ckpt_free(&va); return; }
    size_t fa = momu_vae_config_factor(&va.vae.cfg), fm = momu_vae_config_factor(&vm.vae.cfg), C = va.vae.cfg.z_channels;
    momu_vae_ckpt_free(&va);
    momu_vae_ckpt_free(&vm);
    EXPECT(fix_write_random_denoiser_r(p[2], DENOISER_MUSIC, C, fm, 1, &r) &&
           fix_write_random_denoiser_r(p[3], DENOISER_MOTION, C, fa, 1, &r), "denoisers");
    momu_generator g;
    momu_generator_files f = {dir, NULL, NULL, NULL, NULL, 0, 0};
    EXPECT(momu_generator_load(&g, &f, &e) == MOMU_OK, "%s", e.msg);
    if (e.status) return;
    EXPECT(g.den[0].cfg.cond_extra == fm && g.den[1].cfg.cond_extra == fa, "rhythm channels %zu / %zu",
           g.den[0].cfg.cond_extra, g.den[1].cfg.cond_extra);
    momu_gen_opts o;
    momu_gen_opts_default(&o);
    o.steps = 3;
    o.window = 8;
    o.overlap = 2;
    o.gl_iters = 4;
    o.seed = 3;
    size_t n = 2 * MOMU_SR;
    float *x = clicks(n, MOMU_SR), *a1 = NULL, *a2 = NULL, *b1 = NULL, *b2 = NULL;
    size_t na1 = 0, na2 = 0, nb1 = 0, nb2 = 0;
    momu_motion m1 = {0}, m2 = {0}, mb1 = {0}, mb2 = {0};
    EXPECT(momu_generate_dance(&g, x, n, MOMU_SR, &o, NULL, &m1, &e) == MOMU_OK, "dance: %s", e.msg);
    EXPECT(momu_generate_dance(&g, x, n, MOMU_SR, &o, NULL, &m2, &e) == MOMU_OK && m1.n_frames == m2.n_frames &&
               !memcmp(m1.pos, m2.pos, m1.n_frames * m1.n_joints * 3 * sizeof(float)),
           "dance: not deterministic");
    EXPECT(momu_generate_music(&g, &m1, &o, NULL, 0, &a1, &na1, &e) == MOMU_OK, "music: %s", e.msg);
    EXPECT(momu_generate_music(&g, &m1, &o, NULL, 0, &a2, &na2, &e) == MOMU_OK && na1 == na2 && na1 > 0 &&
               !memcmp(a1, a2, na1 * sizeof(float)), "music: not deterministic");
    EXPECT(momu_generate_both(&g, 2.0, &o, &b1, &nb1, &mb1, &e) == MOMU_OK, "both: %s", e.msg);
    EXPECT(momu_generate_both(&g, 2.0, &o, &b2, &nb2, &mb2, &e) == MOMU_OK && nb1 == nb2 &&
               !memcmp(b1, b2, nb1 * sizeof(float)) &&
               !memcmp(mb1.pos, mb2.pos, mb1.n_frames * mb1.n_joints * 3 * sizeof(float)),
           "both: not deterministic");
    int finite = 1;
    for (size_t i = 0; i < nb1; i++) finite &= isfinite(b1[i]) != 0;
    for (size_t i = 0; i < mb1.n_frames * mb1.n_joints * 3; i++) finite &= isfinite(mb1.pos[i]) != 0;
    EXPECT(finite, "both: non-finite output");
    momu_motion_free(&m1); momu_motion_free(&m2); momu_motion_free(&mb1); momu_motion_free(&mb2);
    free(a1); free(a2); free(b1); free(b2); free(x);
    momu_generator_free(&g);
    /* a motion denoiser whose rhythm channels do not match the music VAE's frames per latent frame */
    EXPECT(fix_write_random_denoiser_r(p[3], DENOISER_MOTION, C, fa + 1, 1, &r), "denoiser");
    momu_err_clear(&e);
    EXPECT(momu_generator_load(&g, &f, &e) == MOMU_ERR_FORMAT && strstr(e.msg, "rhythm channels") &&
               strstr(e.msg, p[3]), "mismatched rhythm channels: %s", e.msg);
}

TEST(generate_load_errors_and_discovery) {
    momu_err e = {0};
    char missing[700], dir[4200];
    snprintf(missing, sizeof missing, "%s/nothing", DIR_);
    momu_generator g;
    momu_generator_files f = {missing, NULL, NULL, NULL, NULL, 0, 0};
    EXPECT(momu_generator_load(&g, &f, &e) == MOMU_ERR_IO && strstr(e.msg, missing), "missing: %s", e.msg);
    /* per-file overrides: a motion VAE given as the music VAE is refused naming the kind */
    char mv[700];
    snprintf(mv, sizeof mv, "%s/motion_vae.safetensors", DIR_);
    momu_generator_files f2 = {DIR_, mv, NULL, NULL, NULL, 0, 0};
    momu_err_clear(&e);
    EXPECT(momu_generator_load(&g, &f2, &e) != MOMU_OK, "motion VAE as music VAE accepted");
    momu_err_clear(&e);
    EXPECT(momu_models_default_dir(DIR_, dir, sizeof dir, &e) == MOMU_OK && !strcmp(dir, DIR_), "%s", e.msg);
    momu_err_clear(&e);
    EXPECT(momu_models_default_dir(missing, dir, sizeof dir, &e) == MOMU_ERR_STATE && strstr(e.msg, missing) &&
           strstr(e.msg, "music_vae"), "given: %s", e.msg);
    setenv("MOMU_MODELS", DIR_, 1);
    momu_err_clear(&e);
    EXPECT(momu_models_default_dir(NULL, dir, sizeof dir, &e) == MOMU_OK && !strcmp(dir, DIR_), "env: %s", e.msg);
    setenv("MOMU_MODELS", missing, 1);
    momu_err_clear(&e);
    momu_status st = momu_models_default_dir(NULL, dir, sizeof dir, &e);
    EXPECT(st == MOMU_OK || (strstr(e.msg, missing) && strstr(e.msg, "/models")), "env missing: %s", e.msg);
    unsetenv("MOMU_MODELS");
}

/* MOMU_GEN_BENCH=1: default-size random models, 20 s of dance, music and both, as `momu demo` runs them. */
TEST(generate_bench_default_sizes) {
    if (!getenv("MOMU_GEN_BENCH")) { printf("  info bench: set MOMU_GEN_BENCH=1 to time default-size models\n"); return; }
    char d[700];
    snprintf(d, sizeof d, "%s/full", DIR_);
    mkdir(d, 0777);
    EXPECT(write_models(d, 0, 5), "default-size model files");
    momu_generator g;
    momu_generator_files f = {d, NULL, NULL, NULL, NULL, 0, 0};
    momu_err e = {0};
    EXPECT(momu_generator_load(&g, &f, &e) == MOMU_OK, "%s", e.msg);
    if (e.status) return;
    momu_gen_opts o;
    momu_gen_opts_default(&o);
    momu_gen_stats s[3];
    size_t n = 20 * MOMU_SR;
    float *x = clicks(n, MOMU_SR), *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    momu_motion m = {0}, mb = {0};
    double t0 = momu_time_s();
    o.stats = &s[0];
    EXPECT(momu_generate_dance(&g, x, n, MOMU_SR, &o, NULL, &m, &e) == MOMU_OK, "%s", e.msg);
    o.stats = &s[1];
    EXPECT(momu_generate_music(&g, &m, &o, NULL, 0, &a, &na, &e) == MOMU_OK, "%s", e.msg);
    o.stats = &s[2];
    EXPECT(momu_generate_both(&g, 20.0, &o, &b, &nb, &mb, &e) == MOMU_OK, "%s", e.msg);
    printf("  info bench (default sizes, DiT %zu params, 20 s, DPM++ 25, GL %d): dance %.1f+%.1f+%.1f s, music "
           "%.1f+%.1f+%.1f s, both %.1f+%.1f s (encode+sample+decode); total %.1f s\n", g.den[0].tab.total,
           MOMU_GL_ITERS, s[0].t_encode_s, s[0].t_sample_s, s[0].t_decode_s, s[1].t_encode_s, s[1].t_sample_s,
           s[1].t_decode_s, s[2].t_sample_s, s[2].t_decode_s, momu_time_s() - t0);
    free(x);
    free(a);
    free(b);
    momu_motion_free(&m);
    momu_motion_free(&mb);
    momu_generator_free(&g);
}

int main(void) {
    snprintf(DIR_, sizeof DIR_, "%s", test_tmpdir());
    if (!write_models(DIR_, 1, 2024)) { printf("FAIL write tiny models\n"); return 1; }
    RUN(generate_library);
    RUN(generate_music_clamps_decoded_mel);
    RUN(generate_rhythm_channels);
    RUN(generate_load_errors_and_discovery);
    RUN(generate_bench_default_sizes);
    return test_summary();
}
