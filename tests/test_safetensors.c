/* Tests for src/nn/safetensors.c: float16 conversion, round trips, metadata, and rejection of malformed files
 * (every case must fail with a message naming the file, never crash: run under `make SAN=1 test`). */
#include <math.h>
#include <stdint.h>

#include "momu/nn_params.h"
#include "momu/rng.h"
#include "momu/safetensors.h"
#include "fixtures_models.h"
#include "test.h"

static float bitsf(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

/* Reference binary32 -> binary16 in double arithmetic: round |x| to 11 significant bits (or to a multiple
 * of 2^-24 below 2^-14) with nearbyint (ties to even in the default rounding mode). Returns the rounded
 * value as a double (inf on overflow). */
static double ref_round_half(float x) {
    double a = fabs((double)x), q;
    if (a < ldexp(1.0, -14)) {
        q = nearbyint(a * ldexp(1.0, 24)) * ldexp(1.0, -24);
    } else {
        int ex;
        frexp(a, &ex);                      /* a = f * 2^ex, f in [0.5, 1) */
        double ulp = ldexp(1.0, ex - 11);   /* 11 significant bits */
        q = nearbyint(a / ulp) * ulp;
        if (q >= 65536.0 - 16.0) q = INFINITY;   /* 65520 and above round past the largest half, 65504 */
    }
    return signbit(x) ? -q : q;
}

TEST(f16_exhaustive_roundtrip) {
    /* every one of the 65536 half patterns: half -> float -> half is the identity (NaN payloads included) */
    size_t bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = f16_to_f32((uint16_t)h);
        uint16_t back = f32_to_f16(f);
        if (back != h) {
            if (bad++ < 5) EXPECT(0, "half 0x%04x -> %g -> 0x%04x", h, (double)f, back);
        }
        /* the decoded value is the exact value of the pattern */
        uint32_t e = (h >> 10) & 31, m = h & 1023;
        double want = e == 0 ? ldexp((double)m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(1024.0 + m, (int)e - 25);
        if (h & 0x8000) want = -want;
        if (e == 31 && m) { if (!isnan(f)) { bad++; EXPECT(0, "0x%04x not NaN", h); } }
        else if ((double)f != want || !signbit(f) != !signbit(want)) {
            if (bad++ < 5) EXPECT(0, "half 0x%04x decodes to %.9g, expected %.9g", h, (double)f, want);
        }
    }
    EXPECT(bad == 0, "%zu mismatches", bad);
}

TEST(f16_rounding) {
    /* hand-checked patterns */
    EXPECT(f32_to_f16(1.0f) == 0x3c00, "1.0");
    EXPECT(f32_to_f16(-2.0f) == 0xc000, "-2.0");
    EXPECT(f32_to_f16(65504.0f) == 0x7bff, "max half");
    EXPECT(f32_to_f16(65519.0f) == 0x7bff, "65519 rounds down");
    EXPECT(f32_to_f16(65520.0f) == 0x7c00, "65520 rounds to inf");
    EXPECT(f32_to_f16(1e10f) == 0x7c00 && f32_to_f16(-INFINITY) == 0xfc00, "overflow / -inf");
    EXPECT(f32_to_f16(ldexpf(1.0f, -24)) == 0x0001, "smallest subnormal");
    EXPECT(f32_to_f16(ldexpf(1.0f, -25)) == 0x0000, "half of it ties to even (0)");
    EXPECT(f32_to_f16(ldexpf(1.5f, -25)) == 0x0001, "above the tie");
    EXPECT(f32_to_f16(ldexpf(3.0f, -25)) == 0x0002, "1.5 ulp ties to even (2)");
    EXPECT(f32_to_f16(ldexpf(1.0f, -14)) == 0x0400, "smallest normal");
    EXPECT(f32_to_f16(ldexpf(1023.5f, -24)) == 0x0400, "subnormal rounding carries into the normal range");
    EXPECT(f32_to_f16(1.0f + ldexpf(1.0f, -11)) == 0x3c00, "tie to even (down)");
    EXPECT(f32_to_f16(1.0f + 3 * ldexpf(1.0f, -11)) == 0x3c02, "tie to even (up)");
    EXPECT(f32_to_f16(-0.0f) == 0x8000 && f32_to_f16(1e-30f) == 0 && f32_to_f16(bitsf(1)) == 0, "zeros");
    uint16_t hn = f32_to_f16(NAN);
    EXPECT((hn & 0x7c00) == 0x7c00 && (hn & 0x3ff), "NaN stays NaN (0x%04x)", hn);
    EXPECT((f32_to_f16(bitsf(0x7f800001u)) & 0x3ff) != 0, "NaN with low payload bits stays NaN");
    /* against the double reference: all float exponents that matter, random mantissas, plus values exactly
     * at and next to every rounding tie (mantissa low 13 bits = 0x1000 +- 1) */
    momu_rng r;
    momu_rng_seed(&r, 7);
    size_t bad = 0, n = 0;
    for (uint32_t ex = 90; ex <= 145; ex++) {
        for (int k = 0; k < 2000; k++) {
            uint32_t mant = (uint32_t)momu_rng_u64(&r) & 0x7fffffu;
            if (k % 4 == 1) mant = (mant & ~0x1fffu) | 0x1000u;
            if (k % 4 == 2) mant = (mant & ~0x1fffu) | 0x0fffu;
            if (k % 4 == 3) mant = (mant & ~0x1fffu) | 0x1001u;
            uint32_t u = (ex << 23) | mant | ((k & 8) ? 0x80000000u : 0);
            float x = bitsf(u);
            double want = ref_round_half(x);
            float got = f16_to_f32(f32_to_f16(x));
            n++;
            if ((double)got != want) {
                if (bad++ < 5) EXPECT(0, "x=%.9g (0x%08x): got %.9g want %.9g", (double)x, u, (double)got, want);
            }
        }
    }
    EXPECT(bad == 0, "%zu of %zu floats rounded differently from the reference", bad, n);
}

static void make_table(tensor_table *tab) {
    momu_err e = {0};
    table_init(tab);
    TABLE_ADD(tab, "enc.weight", 1, &e, 3, 5);
    TABLE_ADD(tab, "enc.bias", 0, &e, 3);
    TABLE_ADD(tab, "conv.weight", 1, &e, 2, 3, 4);
    TABLE_ADD(tab, "scalarish", 0, &e, 1);
}

static void fill(const tensor_table *tab, float *base, uint64_t seed) {
    momu_rng r;
    momu_rng_seed(&r, seed);
    for (int i = 0; i < tab->n; i++)
        momu_rng_fill_normal(&r, base + tab->t[i].offset, tab->t[i].numel, 3.0f);
}

/* make_table, with values filled from seed (calloc'ed) */
static float *make_filled(tensor_table *tab, uint64_t seed) {
    make_table(tab);
    float *a = calloc(tab->total, 4);
    fill(tab, a, seed);
    return a;
}

/* path = <the scratch folder>/name */
static void scratch_path(char *path, size_t n, const char *name) { snprintf(path, n, "%s/%s", test_tmpdir(), name); }

TEST(roundtrip_f32_f16_meta) {
    char path[600];
    scratch_path(path, sizeof path, "rt.safetensors");
    tensor_table tab;
    float *a = make_filled(&tab, 1), *b = calloc(tab.total, 4);
    safetensors_meta meta, got;
    safetensors_meta_init(&meta);
    momu_err e = {0};
    safetensors_meta_put(&meta, "config", "{\"C\": 16, \"layers\": [1, 2]}", &e);
    safetensors_meta_putf(&meta, "hop", &e, "%d", 160);
    safetensors_meta_put(&meta, "quote\"and\\slash\n", "tab\tuni\xc3\xa9", &e);
    EXPECT(e.status == MOMU_OK, "%s", e.msg);
    EXPECT(safetensors_write_table(path, &tab, a, SAFETENSORS_F32, &meta, &e) == MOMU_OK, "%s", e.msg);
    size_t n;
    unsigned char *raw = fix_file_read(path, &n);
    uint64_t hl = 0;
    for (int i = 0; i < 8; i++) hl |= (uint64_t)raw[i] << (8 * i);
    EXPECT((8 + hl) % 8 == 0, "header padded to 8 bytes (%llu)", (unsigned long long)hl);
    EXPECT(n == 8 + hl + 4 * table_numel(&tab), "file size %zu", n);
    free(raw);
    EXPECT(safetensors_load_table(path, &tab, b, SAFETENSORS_F32, &got, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(!memcmp(a, b, tab.total * 4), "f32 round trip is bit exact");
    EXPECT(got.n == 3, "meta count %zu", got.n);
    const char *c = safetensors_meta_get(&got, "config");
    EXPECT(c && !strcmp(c, "{\"C\": 16, \"layers\": [1, 2]}"), "config '%s'", c ? c : "(null)");
    c = safetensors_meta_get(&got, "quote\"and\\slash\n");
    EXPECT(c && !strcmp(c, "tab\tuni\xc3\xa9"), "escaped meta");
    EXPECT(safetensors_meta_get(&got, "hop") && !strcmp(safetensors_meta_get(&got, "hop"), "160"), "hop");
    safetensors_meta_free(&got);
    /* float16: each value comes back as its nearest half */
    EXPECT(safetensors_write_table(path, &tab, a, SAFETENSORS_F16, &meta, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(safetensors_load_table(path, &tab, b, SAFETENSORS_F16, NULL, &e) == MOMU_OK, "%s", e.msg);
    size_t bad = 0;
    for (int i = 0; i < tab.n; i++)
        for (size_t k = 0; k < tab.t[i].numel; k++) {
            size_t o = tab.t[i].offset + k;
            if (b[o] != f16_to_f32(f32_to_f16(a[o]))) bad++;
        }
    EXPECT(bad == 0, "%zu f16 values differ", bad);
    /* loading an F16 file where F32 is demanded is a dtype mismatch */
    momu_err_clear(&e);
    EXPECT(safetensors_load_table(path, &tab, b, SAFETENSORS_F32, NULL, &e) == MOMU_ERR_FORMAT &&
               strstr(e.msg, "dtype F16, expected F32") && strstr(e.msg, path), "%s", e.msg);
    /* the generic reader */
    safetensors_file sf;
    momu_err_clear(&e);
    EXPECT(safetensors_open(&sf, path, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(sf.n == 4 && safetensors_find(&sf, "conv.weight") == 2 && sf.t[2].ndim == 3 && sf.t[2].shape[2] == 4,
           "entries");
    EXPECT(safetensors_find(&sf, "nope") == -1, "find absent");
    safetensors_close(&sf);
    safetensors_meta_free(&meta);
    free(a);
    free(b);
    table_free(&tab);
}

TEST(writer_rejects_bad_input) {
    char path[600];
    scratch_path(path, sizeof path, "w.safetensors");
    float x[2] = {1, NAN};
    safetensors_tensor t[2] = {{"a", 1, {2}, x}, {"a", 1, {1}, x}};
    momu_err e = {0};
    EXPECT(safetensors_write(path, t, 1, SAFETENSORS_F32, NULL, &e) == MOMU_ERR_RANGE && strstr(e.msg, "index 1"),
           "%s", e.msg);
    momu_err_clear(&e);
    t[0].shape[0] = 1;
    EXPECT(safetensors_write(path, t, 2, SAFETENSORS_F32, NULL, &e) == MOMU_ERR_ARG && strstr(e.msg, "duplicate"),
           "%s", e.msg);
    FILE *f = fopen(path, "rb");
    EXPECT(f == NULL, "no file left behind");
    if (f) fclose(f);
    /* F16 overflow is refused (the reader would reject the inf); 65519 still rounds to 65504 */
    float big[2] = {65519.0f, 65520.0f};
    safetensors_tensor tb = {"big", 1, {2}, big};
    momu_err_clear(&e);
    EXPECT(safetensors_write(path, &tb, 1, SAFETENSORS_F16, NULL, &e) == MOMU_ERR_RANGE && strstr(e.msg, "index 1") &&
               strstr(e.msg, "overflows float16"), "%s", e.msg);
    tb.shape[0] = 1;
    momu_err_clear(&e);
    EXPECT(safetensors_write(path, &tb, 1, SAFETENSORS_F16, NULL, &e) == MOMU_OK, "%s", e.msg);
    /* an unwritable destination: an I/O error naming it, and nothing left behind */
    momu_err_clear(&e);
    EXPECT(safetensors_write("/nonexistent-dir/x.safetensors", &tb, 1, SAFETENSORS_F32, NULL, &e) == MOMU_ERR_IO &&
               strstr(e.msg, "/nonexistent-dir/x.safetensors"), "%s", e.msg);
    /* a scalar (ndim 0) and an empty file of tensors are valid safetensors */
    safetensors_tensor s = {"s", 0, {0}, x};
    momu_err_clear(&e);
    EXPECT(safetensors_write(path, &s, 1, SAFETENSORS_F32, NULL, &e) == MOMU_OK, "%s", e.msg);
    safetensors_file sf;
    EXPECT(safetensors_open(&sf, path, &e) == MOMU_OK && sf.n == 1 && sf.t[0].ndim == 0 && sf.t[0].numel == 1,
           "%s", e.msg);
    float y = 0;
    EXPECT(safetensors_read_f32(&sf, 0, &y, 1, &e) == MOMU_OK && y == 1.0f, "%s", e.msg);
    safetensors_close(&sf);
    EXPECT(safetensors_write(path, NULL, 0, SAFETENSORS_F32, NULL, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(safetensors_open(&sf, path, &e) == MOMU_OK && sf.n == 0, "%s", e.msg);
    safetensors_close(&sf);
}

/* Writes a file from a header string and a data buffer of n_data bytes (filled with 0x3f: finite floats). */
static void craft(const char *path, const char *hdr, size_t n_data) {
    size_t hl = strlen(hdr);
    unsigned char *b = malloc(8 + hl + n_data + 1);
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    memcpy(b + 8, hdr, hl);
    memset(b + 8 + hl, 0x3f, n_data);
    fix_file_write(path, b, 8 + hl + n_data);
    free(b);
}

/* open must fail with status st and a message holding the path and `needle` */
static int rejects(const char *path, momu_status st, const char *needle) {
    safetensors_file sf;
    momu_err e = {0};
    momu_status got = safetensors_open(&sf, path, &e);
    if (got == MOMU_OK) { safetensors_close(&sf); fprintf(stderr, "  accepted a bad file (%s)\n", needle); return 0; }
    if (got != st || !strstr(e.msg, path) || !strstr(e.msg, needle)) {
        fprintf(stderr, "  status %s, message: %s (wanted '%s')\n", momu_status_name(got), e.msg, needle);
        return 0;
    }
    return 1;
}

TEST(reader_rejects_malformed) {
    char path[600];
    scratch_path(path, sizeof path, "bad.safetensors");
    const momu_status F = MOMU_ERR_FORMAT;
    craft(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
    safetensors_file sf;
    momu_err e = {0};
    EXPECT(safetensors_open(&sf, path, &e) == MOMU_OK, "the valid base case: %s", e.msg);
    safetensors_close(&sf);

    fix_file_write(path, "", 0);
    EXPECT(rejects(path, F, "truncated"), "empty file");
    fix_file_write(path, "\x10\0\0\0", 4);
    EXPECT(rejects(path, F, "truncated"), "4 bytes");
    unsigned char big[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, '{', '}'};
    fix_file_write(path, big, 10);
    EXPECT(rejects(path, F, "larger than the rest of the file"), "huge header length");
    craft(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8);
    EXPECT(rejects(path, F, "safetensors header"), "bad JSON");
    craft(path, "[1, 2]", 0);
    EXPECT(rejects(path, F, "does not start with '{'"), "array header");
    craft(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}} x", 8);
    EXPECT(rejects(path, F, "trailing"), "trailing junk in header");
    craft(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,12]}}", 8);
    EXPECT(rejects(path, F, "out of range"), "offset past the buffer");
    craft(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
    EXPECT(rejects(path, F, "overlap"), "overlap");
    craft(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
    EXPECT(rejects(path, F, "hole"), "hole at the start");
    craft(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 12);
    EXPECT(rejects(path, F, "cover 8"), "trailing bytes");
    craft(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
    EXPECT(rejects(path, F, "needs 12"), "shape x dtype vs offsets");
    craft(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8);
    EXPECT(rejects(path, F, "backwards"), "reversed offsets");
    craft(path, "{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8);
    EXPECT(rejects(path, F, "I64 is not supported"), "I64");
    craft(path, "{\"a\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[0,8]}}", 8);
    EXPECT(rejects(path, F, "BF16 is not supported"), "BF16");
    craft(path, "{\"a\":{\"dtype\":\"Q4\",\"shape\":[4],\"data_offsets\":[0,8]}}", 8);
    EXPECT(rejects(path, F, "unknown dtype"), "unknown dtype");
    craft(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8);
    EXPECT(rejects(path, F, "shape[0]"), "negative dim");
    craft(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8);
    EXPECT(rejects(path, F, "shape[0]"), "fractional dim");
    craft(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,8]}}", 8);
    EXPECT(rejects(path, MOMU_ERR_RANGE, "overflows"), "overflowing shape");
    craft(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", 8);
    EXPECT(rejects(path, F, "[begin, end]"), "one offset");
    craft(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8);
    EXPECT(rejects(path, F, "data_offsets"), "no offsets");
    craft(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}", 8);
    EXPECT(rejects(path, F, "unknown field"), "extra field");
    craft(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
    EXPECT(rejects(path, F, "appears twice"), "duplicate name");
    craft(path, "{\"__metadata__\":{\"k\":1},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
    EXPECT(rejects(path, F, "not a string"), "non-string metadata");
    craft(path, "{\"a\":5}", 0);
    EXPECT(rejects(path, F, "not an object"), "entry not an object");
    /* NaN in the data: open succeeds (header is fine), reading names tensor and index */
    {
        unsigned char b[128];
        const char *h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        size_t hl = strlen(h);
        for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)hl >> (8 * i));
        memcpy(b + 8, h, hl);
        float v[2] = {1.0f, NAN};
        memcpy(b + 8 + hl, v, 8);
        fix_file_write(path, b, 8 + hl + 8);
        momu_err_clear(&e);
        EXPECT(safetensors_open(&sf, path, &e) == MOMU_OK, "%s", e.msg);
        float out[2];
        EXPECT(safetensors_read_f32(&sf, 0, out, 2, &e) == MOMU_ERR_RANGE && strstr(e.msg, "index 1"), "%s", e.msg);
        safetensors_close(&sf);
    }
    momu_err_clear(&e);
    EXPECT(safetensors_open(&sf, "/nonexistent/x.safetensors", &e) == MOMU_ERR_IO &&
               strstr(e.msg, "/nonexistent/x.safetensors"), "%s", e.msg);
}

TEST(reader_truncations_and_fuzz) {
    /* every prefix of a valid file, and 3000 single-byte corruptions: errors, never a crash or a leak */
    char path[600], bad[600];
    scratch_path(path, sizeof path, "ok.safetensors");
    scratch_path(bad, sizeof bad, "fz.safetensors");
    tensor_table tab;
    float *a = make_filled(&tab, 2), *b = calloc(tab.total, 4);
    safetensors_meta meta;
    safetensors_meta_init(&meta);
    momu_err e = {0};
    safetensors_meta_put(&meta, "k", "v", &e);
    EXPECT(safetensors_write_table(path, &tab, a, SAFETENSORS_F32, &meta, &e) == MOMU_OK, "%s", e.msg);
    size_t n;
    unsigned char *raw = fix_file_read(path, &n);
    size_t n_ok = 0;
    for (size_t cut = 0; cut < n; cut++) {
        fix_file_write(bad, raw, cut);
        momu_err_clear(&e);
        momu_status st = safetensors_load_table(bad, &tab, b, SAFETENSORS_F32, NULL, &e);
        if (st == MOMU_OK) n_ok++;
        else if (!strstr(e.msg, bad)) EXPECT(0, "cut %zu: message without the path: %s", cut, e.msg);
    }
    EXPECT(n_ok == 0, "%zu truncated files accepted", n_ok);
    momu_rng r;
    momu_rng_seed(&r, 3);
    unsigned char *mut = malloc(n);
    size_t n_accepted = 0;
    for (int it = 0; it < 3000; it++) {
        memcpy(mut, raw, n);
        size_t pos = momu_rng_below(&r, it % 2 ? n : (n < 200 ? n : 200));   /* half of them in the header */
        mut[pos] = (unsigned char)momu_rng_u64(&r);
        fix_file_write(bad, mut, n);
        momu_err_clear(&e);
        safetensors_meta got;
        if (safetensors_load_table(bad, &tab, b, SAFETENSORS_F32, &got, &e) == MOMU_OK) {
            n_accepted++;
            safetensors_meta_free(&got);
        } else {
            if (!strstr(e.msg, bad)) EXPECT(0, "message without the path: %s", e.msg);
        }
    }
    /* some corruptions are harmless (a byte of a value, the meta text); they must load; nothing crashes */
    printf("# fuzz: %zu of 3000 corrupted files still valid\n", n_accepted);
    free(mut);
    free(raw);
    safetensors_meta_free(&meta);
    free(a);
    free(b);
    table_free(&tab);
}

/* zlib CRC-32, bit by bit (independent of the table-driven one in src/nn/safetensors.c) */
static uint32_t ref_crc32(const unsigned char *p, size_t n) {
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return ~c;
}

TEST(f16_mixed_dtypes_and_crc) {
    /* safetensors_write_ex: per-tensor dtypes (F16 weights, an F32 constant), the checksum by its definition
     * (zlib CRC-32 of the file with its 8 digits read as '0'), every truncation and every single-bit flip of
     * the file refused naming it, and a stale checksum in meta replaced */
    char path[600], bad[600];
    scratch_path(path, sizeof path, "crc.safetensors");
    scratch_path(bad, sizeof bad, "crc_bad.safetensors");
    tensor_table tab;
    float *a = make_filled(&tab, 9), *b = calloc(tab.total, 4);
    a[tab.t[0].offset] = 1e-9f;                      /* flushes to 0 in F16 */
    a[tab.t[0].offset + 1] = 3e-6f;                  /* an F16 subnormal */
    safetensors_tensor t[4];
    safetensors_dtype dts[4] = {SAFETENSORS_F16, SAFETENSORS_F16, SAFETENSORS_F16, SAFETENSORS_F32};
    for (int i = 0; i < 4; i++) {
        t[i].name = tab.t[i].name;
        t[i].ndim = tab.t[i].ndim;
        memcpy(t[i].shape, tab.t[i].shape, sizeof tab.t[i].shape);
        t[i].data = a + tab.t[i].offset;
    }
    safetensors_meta meta;
    safetensors_meta_init(&meta);
    momu_err e = {0};
    safetensors_meta_put(&meta, "k", "v", &e);
    safetensors_meta_put(&meta, SAFETENSORS_CRC_KEY, "deadbeef", &e);   /* stale: replaced */
    /* a packed file must have a checksum: without this key a flip in the checksum's own key would read as
     * "no checksum" (76 of the 80 flips of those 10 bytes) */
    safetensors_meta_put(&meta, SAFETENSORS_PACKED_KEY, "src.safetensors", &e);
    EXPECT(safetensors_write_ex(path, t, 4, SAFETENSORS_F16, dts, &meta, SAFETENSORS_WRITE_CRC, &e) == MOMU_OK, "%s",
           e.msg);
    safetensors_meta got;
    EXPECT(safetensors_load_table(path, &tab, b, SAFETENSORS_DTYPE_COUNT, &got, &e) == MOMU_OK, "%s", e.msg);
    if (!e.status) {
        const char *c = safetensors_meta_get(&got, SAFETENSORS_CRC_KEY);
        EXPECT(c && strcmp(c, "deadbeef") && strlen(c) == 8, "checksum %s", c ? c : "absent");
        size_t n;
        unsigned char *raw = fix_file_read(path, &n);
        char *at = strstr((char *)raw + 8, "\"momu.crc32\":\"");
        EXPECT(at != NULL, "checksum pattern");
        if (at && c) {
            memcpy(at + 14, "00000000", 8);
            char want[9];
            snprintf(want, sizeof want, "%08x", (unsigned)ref_crc32(raw, n));
            EXPECT(!strcmp(want, c), "CRC %s, by definition %s", c, want);
        }
        free(raw);
        safetensors_meta_free(&got);
    }
    for (int i = 0; i < 4; i++)
        for (size_t k = 0; k < tab.t[i].numel; k++) {
            float x = a[tab.t[i].offset + k], y = b[tab.t[i].offset + k];
            float want = i == 3 ? x : f16_to_f32(f32_to_f16(x));
            if (y != want) { EXPECT(0, "%s[%zu] %g read %g, want %g", tab.t[i].name, k, (double)x, (double)y, (double)want); break; }
        }
    EXPECT(b[tab.t[0].offset] == 0.0f && b[tab.t[0].offset + 1] > 0.0f, "flush / subnormal");
    safetensors_file sf;
    if (safetensors_open(&sf, path, &e) == MOMU_OK) {
        EXPECT(sf.t[0].dtype == SAFETENSORS_F16 && sf.t[3].dtype == SAFETENSORS_F32, "dtypes");
        safetensors_close(&sf);
    }
    /* want F32 everywhere: the F16 tensors are named */
    EXPECT(safetensors_load_table(path, &tab, b, SAFETENSORS_F32, NULL, &e) == MOMU_ERR_FORMAT &&
           strstr(e.msg, "dtype F16, expected F32"), "%s", e.msg);
    size_t n;
    unsigned char *raw = fix_file_read(path, &n), *mut = malloc(n);
    size_t n_acc = 0, n_tried = 0;
    for (size_t cut = 0; cut < n; cut++) {
        fix_file_write(bad, raw, cut);
        momu_err_clear(&e);
        if (safetensors_open(&sf, bad, &e) == MOMU_OK) { n_acc++; safetensors_close(&sf); }
        else if (!strstr(e.msg, bad)) EXPECT(0, "cut %zu: %s", cut, e.msg);
    }
    for (size_t pos = 0; pos < n; pos++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(mut, raw, n);
            mut[pos] ^= (unsigned char)(1u << bit);
            fix_file_write(bad, mut, n);
            momu_err_clear(&e);
            n_tried++;
            if (safetensors_open(&sf, bad, &e) == MOMU_OK) { n_acc++; safetensors_close(&sf); }
            else if (!strstr(e.msg, bad)) EXPECT(0, "flip %zu.%d: %s", pos, bit, e.msg);
        }
    EXPECT(n_acc == 0, "%zu damaged copies accepted (%zu truncations, %zu bit flips tried)", n_acc, n, n_tried);
    /* without the flag: no checksum key, even if meta had one (and then a packed_from key is refused) */
    momu_err_clear(&e);
    EXPECT(safetensors_write_ex(path, t, 4, SAFETENSORS_F16, dts, &meta, 0, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(safetensors_open(&sf, path, &e) == MOMU_ERR_FORMAT && strstr(e.msg, "without its checksum"), "%s", e.msg);
    momu_err_clear(&e);
    meta.n--;   /* drop packed_from (the last key) */
    EXPECT(safetensors_write_ex(path, t, 4, SAFETENSORS_F16, dts, &meta, 0, &e) == MOMU_OK, "%s", e.msg);
    if (safetensors_open(&sf, path, &e) == MOMU_OK) {
        EXPECT(!safetensors_meta_get(&sf.meta, SAFETENSORS_CRC_KEY), "checksum written without the flag");
        safetensors_close(&sf);
    }
    meta.n++;
    free(raw);
    free(mut);
    safetensors_meta_free(&meta);
    free(a);
    free(b);
    table_free(&tab);
}

TEST(load_table_mismatch_messages) {
    char path[600];
    scratch_path(path, sizeof path, "m.safetensors");
    tensor_table tab, other;
    float *a = make_filled(&tab, 4);
    momu_err e = {0};
    EXPECT(safetensors_write_table(path, &tab, a, SAFETENSORS_F32, NULL, &e) == MOMU_OK, "%s", e.msg);
    /* model with a different shape, a missing and an extra tensor */
    table_init(&other);
    TABLE_ADD(&other, "enc.weight", 1, &e, 5, 3);
    TABLE_ADD(&other, "enc.bias", 0, &e, 3);
    TABLE_ADD(&other, "conv.weight", 1, &e, 2, 3, 4);
    TABLE_ADD(&other, "new.bias", 0, &e, 7);
    float *b = calloc(other.total, 4);
    for (size_t i = 0; i < other.total; i++) b[i] = 42.0f;
    momu_err_clear(&e);
    EXPECT(safetensors_load_table(path, &other, b, SAFETENSORS_F32, NULL, &e) == MOMU_ERR_FORMAT, "%s", e.msg);
    EXPECT(strstr(e.msg, path) && strstr(e.msg, "3 problems"), "%s", e.msg);
    EXPECT(strstr(e.msg, "tensor 'enc.weight' has shape [3, 5], expected [5, 3]"), "%s", e.msg);
    EXPECT(strstr(e.msg, "missing tensor 'new.bias' (expected [7])"), "%s", e.msg);
    EXPECT(strstr(e.msg, "unexpected tensor 'scalarish' [1]"), "%s", e.msg);
    EXPECT(b[0] == 42.0f && b[other.total - 1] == 42.0f, "destination untouched on failure");
    free(a);
    free(b);
    table_free(&tab);
    table_free(&other);
}

TEST(two_tables_with_prefixes) {
    char path[600];
    scratch_path(path, sizeof path, "two.safetensors");
    tensor_table ta, tb;
    make_table(&ta);
    momu_err e = {0};
    table_init(&tb);
    TABLE_ADD(&tb, "enc.weight", 1, &e, 2, 2);   /* same name as in ta: the prefixes keep them apart */
    float *a = calloc(ta.total, 4), *b = calloc(tb.total, 4), *a2 = calloc(ta.total, 4), *b2 = calloc(tb.total, 4);
    fill(&ta, a, 5);
    fill(&tb, b, 6);
    const char *pre[2] = {"music_vae.", "motion_vae."};
    const tensor_table *tabs[2] = {&ta, &tb};
    const float *bases[2] = {a, b};
    EXPECT(safetensors_write_tables(path, 2, pre, tabs, bases, SAFETENSORS_F32, NULL, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(safetensors_load_table_prefix(path, "motion_vae.", &tb, b2, SAFETENSORS_F32, NULL, &e) == MOMU_OK, "%s",
           e.msg);
    EXPECT(safetensors_load_table_prefix(path, "music_vae.", &ta, a2, SAFETENSORS_F32, NULL, &e) == MOMU_OK, "%s",
           e.msg);
    EXPECT(!memcmp(a, a2, ta.total * 4) && !memcmp(b, b2, tb.total * 4), "both parts round trip");
    /* the whole file against one table: the other part is unexpected, and this part's names carry prefixes */
    momu_err_clear(&e);
    EXPECT(safetensors_load_table(path, &tb, b2, SAFETENSORS_F32, NULL, &e) == MOMU_ERR_FORMAT &&
               strstr(e.msg, "missing tensor 'enc.weight'") && strstr(e.msg, "unexpected tensor 'music_vae.enc.weight'"),
           "%s", e.msg);
    momu_err_clear(&e);
    EXPECT(safetensors_load_table_prefix(path, "motion_vae.", &ta, a2, SAFETENSORS_F32, NULL, &e) == MOMU_ERR_FORMAT &&
               strstr(e.msg, "tensor 'motion_vae.enc.weight' has shape [2, 2], expected [3, 5]") &&
               strstr(e.msg, "missing tensor 'motion_vae.enc.bias'"), "%s", e.msg);
    free(a); free(b); free(a2); free(b2);
    table_free(&ta);
    table_free(&tb);
}

/* tests/fixtures/nn/torch_small.safetensors: written by PyTorch 1.13 through tools/safetensors_check.py
 * (`write-fixture`), values given by formulas so this test knows them without Python:
 *   "lin.weight" F32 (3,4) = (arange(12) - 5.5) / 4;  "lin.bias" F32 (3) = [0.1, -0.2, 0.3]
 *   "emb" F16 (2,5) = arange(10) / 3 (rounded to half by torch); metadata {"config": "{\"C\": 4}", "producer": "torch"}
 * Torch orders tensors in the buffer its own way (the writer sorts by name), which exercises the reader's
 * offset handling. */
TEST(reads_torch_fixture) {
    const char *path = "tests/fixtures/nn/torch_small.safetensors";
    safetensors_file sf;
    momu_err e = {0};
    EXPECT(safetensors_open(&sf, path, &e) == MOMU_OK, "%s", e.msg);
    if (e.status) return;
    EXPECT(sf.n == 3, "n %zu", sf.n);
    int iw = safetensors_find(&sf, "lin.weight"), ib = safetensors_find(&sf, "lin.bias"), ie = safetensors_find(&sf, "emb");
    EXPECT(iw >= 0 && ib >= 0 && ie >= 0, "names");
    if (iw < 0 || ib < 0 || ie < 0) { safetensors_close(&sf); return; }
    EXPECT(sf.t[ie].dtype == SAFETENSORS_F16 && sf.t[iw].dtype == SAFETENSORS_F32, "dtypes");
    float w[12], bb[3], em[10];
    EXPECT(safetensors_read_f32(&sf, (size_t)iw, w, 12, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(safetensors_read_f32(&sf, (size_t)ib, bb, 3, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(safetensors_read_f32(&sf, (size_t)ie, em, 10, &e) == MOMU_OK, "%s", e.msg);
    for (int i = 0; i < 12; i++) EXPECT(w[i] == ((float)i - 5.5f) / 4.0f, "w[%d] = %g", i, (double)w[i]);
    EXPECT(bb[0] == 0.1f && bb[1] == -0.2f && bb[2] == 0.3f, "bias");
    /* torch rounds x/3 computed in float32 to half; so must we, bit for bit */
    for (int i = 0; i < 10; i++)
        EXPECT(em[i] == f16_to_f32(f32_to_f16((float)i / 3.0f)), "emb[%d] = %.9g", i, (double)em[i]);
    const char *c = safetensors_meta_get(&sf.meta, "config");
    EXPECT(c && !strcmp(c, "{\"C\": 4}"), "config meta");
    safetensors_close(&sf);
}

int main(void) {
    momu_verbosity = 0;
    RUN(f16_exhaustive_roundtrip);
    RUN(f16_rounding);
    RUN(roundtrip_f32_f16_meta);
    RUN(writer_rejects_bad_input);
    RUN(reader_rejects_malformed);
    RUN(reader_truncations_and_fuzz);
    RUN(f16_mixed_dtypes_and_crc);
    RUN(load_table_mismatch_messages);
    RUN(two_tables_with_prefixes);
    RUN(reads_torch_fixture);
    return test_summary();
}
