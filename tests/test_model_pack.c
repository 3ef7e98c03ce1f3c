/* Tests of `momu model pack` (include/momu/model_pack.h): tiny checkpoints made by the training code (two VAEs
 * and a denoiser, a few steps on a tiny prepared folder), packed to F16 and F32; the packed files load with
 * every loader (VAE encode/decode, the denoiser, as --music-vae of VAE training and as the VAEs of diffusion
 * training), agree with the F32 EMA model within the F16 rounding, keep every metadata key, and corrupted copies
 * are refused naming the file. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "momu/denoiser.h"
#include "momu/model_pack.h"
#include "momu/safetensors.h"
#include "momu/vae_train.h"
#include "fixtures_models.h"
#include "test.h"

static fix_prepared fx;   /* prepared folder + two tiny VAEs */
static char den_ck[700];

/* The fixture: prepared folder, two VAEs, a music denoiser (6 steps). */
static int make_fixture(void) {
    if (!fix_prepared_make(&fx, test_tmpdir())) return 0;
    snprintf(den_ck, sizeof den_ck, "%s/den_music.safetensors", test_tmpdir());
    denoiser_train_opts o;
    denoiser_train_result r;
    momu_err e = {0};
    fix_denoiser_train_opts(&o, fx.dir, fx.music_vae, fx.motion_vae, den_ck);
    if (denoiser_train_run(&o, &r, &e)) { fprintf(stderr, "  denoiser: %s\n", e.msg); return 0; }
    return 1;
}

static void tmp_path(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", test_tmpdir(), name); }

/* Every key of a is in b with the same value (momu.crc32 excepted: a packed file's own checksum). */
static int meta_kept(const safetensors_meta *a, const safetensors_meta *b) {
    for (size_t i = 0; i < a->n; i++) {
        if (!strcmp(a->keys[i], SAFETENSORS_CRC_KEY)) continue;
        const char *v = safetensors_meta_get(b, a->keys[i]);
        if (!v || strcmp(v, a->vals[i])) { fprintf(stderr, "  metadata '%s' lost or changed\n", a->keys[i]); return 0; }
    }
    return 1;
}

static safetensors_meta file_meta(const char *path) {
    safetensors_file sf;
    safetensors_meta m;
    safetensors_meta_init(&m);
    momu_err e = {0};
    if (safetensors_open(&sf, path, &e)) { fprintf(stderr, "  %s\n", e.msg); return m; }
    m = sf.meta;
    safetensors_meta_init(&sf.meta);
    safetensors_close(&sf);
    return m;
}

/* |h - f| <= 2^-11 |f| + 2^-25: round to nearest half (2^-25: half the subnormal step) */
static size_t half_rounding_violations(const float *h, const float *f, size_t n) {
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += !(fabs((double)h[i] - (double)f[i]) <= ldexp(fabs((double)f[i]), -11) + ldexp(1.0, -25));
    return bad;
}

static void vae_case(const char *src, momu_vae_kind kind, const char *name) {
    char f16[700], f32[720];
    tmp_path(f16, sizeof f16, name);
    snprintf(f32, sizeof f32, "%s.f32", f16);
    momu_err e = {0};
    momu_pack_report r;
    EXPECT(momu_model_pack(src, f16, SAFETENSORS_F16, &r, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(r.n_tensors_out * 2 == r.n_tensors_in + 2, "tensors %zu of %zu (ema.* + norm.*)", r.n_tensors_out,
           r.n_tensors_in);
    EXPECT(r.bytes_out * 3 < r.bytes_in, "size %zu of %zu", r.bytes_out, r.bytes_in);
    EXPECT(r.max_rel_err <= ldexp(1.0, -11) && r.max_abs_err > 0 && r.max_flushed <= ldexp(1.0, -25),
           "rounding: rel %g abs %g flushed %g", r.max_rel_err, r.max_abs_err, r.max_flushed);
    EXPECT(momu_model_pack(src, f32, SAFETENSORS_F32, NULL, &e) == MOMU_OK, "%s", e.msg);
    momu_vae_ckpt a, h, s;
    if (momu_vae_ckpt_load(src, kind, 1, &a, &e)) { EXPECT(0, "%s", e.msg); return; }
    EXPECT(momu_vae_ckpt_load(f16, kind, 1, &h, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_vae_ckpt_load(f32, kind, 1, &s, &e) == MOMU_OK, "%s", e.msg);
    if (e.status) { momu_vae_ckpt_free(&a); return; }
    const size_t F = a.vae.cfg.in_dim, tot = a.vae.tab.total;
    /* F32 pack: the EMA weights bit for bit; F16: within half rounding; the normalisation exact in both */
    EXPECT(!memcmp(s.params, a.params, tot * sizeof(float)), "F32 pack differs from the EMA weights");
    EXPECT(half_rounding_violations(h.params, a.params, tot) == 0, "F16 weights outside half rounding");
    EXPECT(!memcmp(h.norm_mean, a.norm_mean, F * sizeof(float)) && !memcmp(h.norm_std, a.norm_std, F * sizeof(float)),
           "norm.* must stay F32");
    EXPECT(h.n_joints == a.n_joints && h.step == a.step, "n_joints / step");
    /* encode + decode of a smooth input: F16 weights vs F32 EMA weights. Tolerance: the weights' relative
     * rounding 2^-11 grows through ~10 layers; measured max |diff| ~1e-4 on outputs of size ~1 */
    const size_t T = 40, f = kind == MOMU_VAE_MUSIC ? 8 : 2, Tz = (T + f - 1) / f, C = a.vae.cfg.z_channels;
    float *x = malloc(T * F * sizeof(float)), *za = malloc(Tz * C * sizeof(float)), *zh = malloc(Tz * C * sizeof(float));
    float *ya = malloc(T * F * sizeof(float)), *yh = malloc(T * F * sizeof(float));
    for (size_t i = 0; i < T * F; i++) x[i] = sinf(0.37f * (float)i) + 0.3f * cosf(0.011f * (float)i);
    EXPECT(momu_vae_encode(&a.vae, a.params, x, 1, T, za, NULL, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_vae_encode(&h.vae, h.params, x, 1, T, zh, NULL, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(test_close("encode F16 vs F32", zh, za, Tz * C, 2e-3, 1e-2), "latent");
    EXPECT(momu_vae_decode(&a.vae, a.params, za, 1, Tz, T, ya, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_vae_decode(&h.vae, h.params, za, 1, Tz, T, yh, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(test_close("decode F16 vs F32", yh, ya, T * F, 2e-3, 1e-2), "decoded");
    double md = 0;
    for (size_t i = 0; i < Tz * C; i++) md = fmax(md, fabs((double)zh[i] - za[i]));
    for (size_t i = 0; i < T * F; i++) md = fmax(md, fabs((double)yh[i] - ya[i]));
    printf("  %s: %zu -> %zu bytes; weights max rel %.3g, max abs %.3g; encode/decode max |F16 - F32| %.3g\n", name,
           r.bytes_in, r.bytes_out, r.max_rel_err, r.max_abs_err, md);
    /* metadata: all kept, plus where from and the dtype */
    safetensors_meta ms = file_meta(src), mh = file_meta(f16);
    EXPECT(meta_kept(&ms, &mh), "metadata");
    const char *pf = safetensors_meta_get(&mh, "momu.packed_from"), *dt = safetensors_meta_get(&mh, "momu.dtype");
    EXPECT(pf && !strcmp(pf, src) && dt && !strcmp(dt, "F16"), "packed_from %s dtype %s", pf ? pf : "-", dt ? dt : "-");
    EXPECT(safetensors_meta_get(&mh, SAFETENSORS_CRC_KEY) != NULL, "checksum");
    safetensors_meta_free(&ms);
    safetensors_meta_free(&mh);
    /* the live weights are gone: asking for them is refused, naming the file */
    momu_vae_ckpt l;
    EXPECT(momu_vae_ckpt_load(f16, kind, 0, &l, &e) == MOMU_ERR_FORMAT && strstr(e.msg, f16), "live: %s", e.msg);
    momu_err_clear(&e);
    free(x); free(za); free(zh); free(ya); free(yh);
    momu_vae_ckpt_free(&a);
    momu_vae_ckpt_free(&h);
    momu_vae_ckpt_free(&s);
}

static int fixture_ok;

TEST(pack_vaes) {
    if (!fixture_ok) { EXPECT(0, "fixture"); return; }
    vae_case(fx.music_vae, MOMU_VAE_MUSIC, "packed_music_vae.safetensors");
    vae_case(fx.motion_vae, MOMU_VAE_MOTION, "packed_motion_vae.safetensors");
}

TEST(pack_denoiser) {
    if (!fixture_ok) { EXPECT(0, "fixture"); return; }
    char f16[700];
    tmp_path(f16, sizeof f16, "packed_denoiser_music.safetensors");
    momu_err e = {0};
    momu_pack_report r;
    EXPECT(momu_model_pack(den_ck, f16, SAFETENSORS_F16, &r, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(r.n_tensors_out * 2 == r.n_tensors_in && !strcmp(r.kind, "denoiser_music"), "tensors %zu of %zu",
           r.n_tensors_out, r.n_tensors_in);
    denoiser a, h;
    safetensors_meta ma, mh;
    if (denoiser_load(&a, den_ck, DENOISER_MUSIC, 1, 0, &ma, &e)) { EXPECT(0, "%s", e.msg); return; }
    if (denoiser_load(&h, f16, DENOISER_MUSIC, 1, 0, &mh, &e)) { EXPECT(0, "%s", e.msg); denoiser_free(&a); return; }
    EXPECT(half_rounding_violations(h.p.params, a.p.params, a.p.total) == 0, "F16 weights outside half rounding");
    EXPECT(h.scale_factor == a.scale_factor && h.cond_scale_factor == a.cond_scale_factor, "scale factors");
    EXPECT(meta_kept(&ma, &mh), "metadata");
    /* the training run left adaLN near zero: perturb both models alike (the same F16 values in both, then
     * their F16 rounding in one) so the forward exercises every weight */
    momu_rng g;
    momu_rng_seed(&g, 11);
    for (size_t i = 0; i < a.p.total; i++) {
        float v = a.p.params[i] + 0.05f * momu_rng_normal(&g);
        a.p.params[i] = v;
        h.p.params[i] = f16_to_f32(f32_to_f16(v));
    }
    const size_t B = 2, T = 9, C = a.cfg.latent_ch, Cc = C + a.cfg.cond_extra;   /* rhythm channels too */
    EXPECT(a.cfg.cond_extra > 0, "the fixture denoiser was trained with rhythm channels (the default)");
    float *x = malloc(B * T * C * sizeof(float)), *c = malloc(B * T * Cc * sizeof(float));
    float *ea = malloc(B * T * C * sizeof(float)), *eh = malloc(B * T * C * sizeof(float)), t[2] = {10.f, 700.f};
    momu_rng_fill_normal(&g, x, B * T * C, 1.0f);
    momu_rng_fill_normal(&g, c, B * T * Cc, 1.0f);
    denoiser_ws w = {0};
    EXPECT(denoiser_forward_infer(&a, &w, ea, x, c, t, B, T, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(denoiser_forward_infer(&h, &w, eh, x, c, t, B, T, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(test_close("denoiser eps F16 vs F32", eh, ea, B * T * C, 2e-3, 1e-2), "eps");
    double md = 0, ms = 0;
    for (size_t i = 0; i < B * T * C; i++) { md = fmax(md, fabs((double)eh[i] - ea[i])); ms = fmax(ms, fabs((double)ea[i])); }
    printf("  denoiser: %zu -> %zu bytes; eps max |F16 - F32| %.3g (max |eps| %.3g)\n", r.bytes_in, r.bytes_out, md, ms);
    denoiser_ws_free(&w);
    free(x); free(c); free(ea); free(eh);
    safetensors_meta_free(&ma);
    safetensors_meta_free(&mh);
    denoiser_free(&a);
    denoiser_free(&h);
}

TEST(packed_vaes_train) {
    if (!fixture_ok) { EXPECT(0, "fixture"); return; }
    /* packed VAEs as the frozen music VAE of motion training and as the VAEs of diffusion training */
    char mu[700], mo[700], out[700], dout[700];
    tmp_path(mu, sizeof mu, "packed_music_vae.safetensors");
    tmp_path(mo, sizeof mo, "packed_motion_vae.safetensors");
    tmp_path(out, sizeof out, "motion_from_packed.safetensors");
    tmp_path(dout, sizeof dout, "den_from_packed.safetensors");
    momu_err e = {0};
    momu_vae_config c;
    fix_vae_config_tiny(&c, MOMU_VAE_MOTION);
    momu_vae_train_opts o;
    fix_vae_train_opts(&o, MOMU_VAE_MOTION, fx.dir, out, mu, &c);
    momu_vae_train_result res;
    int verb = momu_verbosity;
    momu_verbosity = 0;
    EXPECT(momu_vae_train_run(&o, &res, &e) == MOMU_OK, "motion VAE training with a packed music VAE: %s", e.msg);
    denoiser_train_opts d;
    denoiser_train_result dr;
    fix_denoiser_train_opts(&d, fx.dir, mu, mo, dout);
    d.steps = 2;
    EXPECT(denoiser_train_run(&d, &dr, &e) == MOMU_OK, "diffusion training with packed VAEs: %s", e.msg);
    momu_verbosity = verb;
}

/* Writes a copy of src (n bytes) with one change to path and checks that loader() refuses it naming path. */
static int n_refusal_reports;
static int refused_vae(const char *path, const char *why, const char *needle) {
    momu_err e = {0};
    momu_vae_ckpt c;
    momu_status st = momu_vae_ckpt_load(path, MOMU_VAE_KIND_COUNT, 1, &c, &e);
    if (st == MOMU_OK) {
        momu_vae_ckpt_free(&c);
        if (n_refusal_reports++ < 5) fprintf(stderr, "  %s: accepted\n", why);
        return 0;
    }
    if (!strstr(e.msg, path) || (needle && !strstr(e.msg, needle))) {
        if (n_refusal_reports++ < 5)
            fprintf(stderr, "  %s: message without the file or '%s': %s\n", why, needle ? needle : "", e.msg);
        return 0;
    }
    return 1;
}

static char *find_bytes(unsigned char *hay, size_t n, const char *needle) {
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp(hay + i, needle, k)) return (char *)hay + i;
    return NULL;
}

TEST(packed_corruptions_refused) {
    if (!fixture_ok) { EXPECT(0, "fixture"); return; }
    char good[700], bad[700];
    tmp_path(good, sizeof good, "packed_music_vae.safetensors");
    tmp_path(bad, sizeof bad, "bad.safetensors");
    size_t n;
    unsigned char *b = fix_file_read(good, &n), *c = malloc(n);
    if (!b || n < 64) { EXPECT(0, "read %s", good); free(b); free(c); return; }
    size_t hl = 0;
    for (int i = 0; i < 8; i++) hl |= (size_t)b[i] << (8 * i);
    /* truncated: inside the length, the header, the data, one byte short */
    size_t cuts[] = {0, 5, 8, 8 + hl / 2, 8 + hl, 8 + hl + (n - 8 - hl) / 2, n - 1};
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        fix_file_write(bad, b, cuts[k]);
        EXPECT(refused_vae(bad, "truncated", NULL), "truncated to %zu of %zu bytes", cuts[k], n);
    }
    /* one flipped bit: every header byte (some give bad JSON or offsets, the rest a checksum mismatch), and
     * data bytes spread over the buffer */
    size_t n_flips = 0, n_ok = 0;
    for (size_t at = 0; at < n; at += at < 8 + hl ? 1 : (n - 8 - hl) / 97 + 1) {
        memcpy(c, b, n);
        c[at] ^= (unsigned char)(1u << (at % 8));
        fix_file_write(bad, c, n);
        n_flips++;
        n_ok += refused_vae(bad, "flipped bit", NULL);
    }
    EXPECT(n_ok == n_flips, "%zu of %zu single-bit flips refused", n_ok, n_flips);
    /* a data flip names the checksum */
    memcpy(c, b, n);
    c[n - 3] ^= 0x10;
    fix_file_write(bad, c, n);
    EXPECT(refused_vae(bad, "data flip", "CRC-32"), "data flip");
    /* wrong dtype for the model: F16 -> I16 (same size, unsupported), F16 -> F32 (sizes disagree) */
    const char *pat = "\"dtype\":\"F16\"";
    memcpy(c, b, n);
    char *p = find_bytes(c, 8 + hl, pat);
    EXPECT(p != NULL, "no F16 tensor in the header");
    if (p) {
        p[9] = 'I';
        fix_file_write(bad, c, n);
        EXPECT(refused_vae(bad, "I16", "not supported"), "I16");
        p[9] = 'F'; p[10] = '3'; p[11] = '2';
        fix_file_write(bad, c, n);
        EXPECT(refused_vae(bad, "F32", NULL), "F32");
    }
    /* a packed model of the other kind or family */
    momu_err e = {0};
    denoiser d;
    EXPECT(denoiser_load(&d, good, DENOISER_TASK_COUNT, 1, 0, NULL, &e) == MOMU_ERR_FORMAT && strstr(e.msg, good),
           "VAE as denoiser: %s", e.msg);
    momu_err_clear(&e);
    char den[700];
    tmp_path(den, sizeof den, "packed_denoiser_music.safetensors");
    EXPECT(refused_vae(den, "denoiser as VAE", "not a momu VAE"), "denoiser as VAE");
    momu_vae_ckpt v;
    char mo[700];
    tmp_path(mo, sizeof mo, "packed_motion_vae.safetensors");
    EXPECT(momu_vae_ckpt_load(mo, MOMU_VAE_MUSIC, 1, &v, &e) == MOMU_ERR_FORMAT && strstr(e.msg, mo),
           "motion as music: %s", e.msg);
    momu_err_clear(&e);
    free(b);
    free(c);
}

TEST(pack_refusals) {
    if (!fixture_ok) { EXPECT(0, "fixture"); return; }
    momu_err e = {0};
    char out[700], big[700];
    tmp_path(out, sizeof out, "x.safetensors");
    tmp_path(big, sizeof big, "big.safetensors");
    /* onto itself; not a model */
    EXPECT(momu_model_pack(fx.music_vae, fx.music_vae, SAFETENSORS_F16, NULL, &e) == MOMU_ERR_ARG, "self: %s", e.msg);
    momu_err_clear(&e);
    char state[720];
    snprintf(state, sizeof state, "%s.state", fx.music_vae);
    EXPECT(momu_model_pack(state, out, SAFETENSORS_F16, NULL, &e) == MOMU_ERR_FORMAT && strstr(e.msg, state),
           "state file: %s", e.msg);
    momu_err_clear(&e);
    /* a weight beyond the F16 range: refused in F16 (naming tensor and value), fine in F32 */
    safetensors_file sf;
    if (safetensors_open(&sf, fx.music_vae, &e)) { EXPECT(0, "%s", e.msg); return; }
    safetensors_tensor *t = calloc(sf.n, sizeof *t);
    float **d = calloc(sf.n, sizeof *d);
    for (size_t i = 0; i < sf.n; i++) {
        t[i].name = sf.t[i].name;
        t[i].ndim = sf.t[i].ndim;
        memcpy(t[i].shape, sf.t[i].shape, sizeof t[i].shape);
        d[i] = malloc((sf.t[i].numel ? sf.t[i].numel : 1) * sizeof(float));
        safetensors_read_f32(&sf, i, d[i], sf.t[i].numel, &e);
        t[i].data = d[i];
        if (!strcmp(t[i].name, "ema.encoder.conv_in.bias")) d[i][1] = 70000.f;
    }
    EXPECT(safetensors_write(big, t, sf.n, SAFETENSORS_F32, &sf.meta, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_model_pack(big, out, SAFETENSORS_F16, NULL, &e) == MOMU_ERR_RANGE &&
           strstr(e.msg, "ema.encoder.conv_in.bias") && strstr(e.msg, "float16"), "overflow: %s", e.msg);
    momu_err_clear(&e);
    EXPECT(momu_model_pack(big, out, SAFETENSORS_F32, NULL, &e) == MOMU_OK, "F32: %s", e.msg);
    for (size_t i = 0; i < sf.n; i++) free(d[i]);
    free(d);
    free(t);
    safetensors_close(&sf);
}

int main(void) {
#ifdef _OPENMP
    omp_set_num_threads(1);   /* tiny shapes: OpenMP start-up would dominate on a loaded machine */
#endif
    int verb = momu_verbosity;
    momu_verbosity = 0;
    fixture_ok = make_fixture();
    momu_verbosity = verb;
    RUN(pack_vaes);
    RUN(pack_denoiser);
    RUN(packed_vaes_train);
    RUN(packed_corruptions_refused);
    RUN(pack_refusals);
    return test_summary();
}
