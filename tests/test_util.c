/* Tests for src/util: errors, npy, json, rng, atomic output. */
#include <stdint.h>

#include "momu/common.h"
#include "momu/json.h"
#include "momu/npy.h"
#include "momu/rng.h"
#include "test.h"

static void write_bytes(const char *path, const void *b, size_t n) {
    FILE *f = fopen(path, "wb");
    fwrite(b, 1, n, f);
    fclose(f);
}

TEST(npy_roundtrip) {
    char path[600];
    snprintf(path, sizeof path, "%s/a.npy", test_tmpdir());
    float x[2 * 3 * 4];
    for (int i = 0; i < 24; i++) x[i] = (float)i * 0.5f - 3.0f;
    size_t shape[3] = {2, 3, 4};
    momu_err e = {0};
    EXPECT(momu_npy_write_f32(path, x, 3, shape, &e) == MOMU_OK, "%s", e.msg);
    momu_npy a;
    EXPECT(momu_npy_read(path, &a, 1, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(a.ndim == 3 && a.shape[0] == 2 && a.shape[1] == 3 && a.shape[2] == 4, "shape");
    EXPECT(a.numel == 24 && !memcmp(a.data, x, sizeof x), "data");
    momu_npy_free(&a);
    size_t s1[1] = {5};
    EXPECT(momu_npy_write_f32(path, x, 1, s1, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_npy_read(path, &a, 1, &e) == MOMU_OK && a.ndim == 1 && a.shape[0] == 5, "1-d");
    momu_npy_free(&a);
}

TEST(npy_rejects_bad_files) {
    char path[600];
    snprintf(path, sizeof path, "%s/b.npy", test_tmpdir());
    float x[6] = {1, 2, 3, 4, 5, 6};
    size_t shape[2] = {2, 3};
    momu_err e = {0};
    momu_npy_write_f32(path, x, 2, shape, &e);
    unsigned char buf[256];
    FILE *f = fopen(path, "rb");
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    momu_npy a;
    /* truncated payload */
    write_bytes(path, buf, n - 3);
    momu_err_clear(&e);
    EXPECT(momu_npy_read(path, &a, 1, &e) == MOMU_ERR_FORMAT && strstr(e.msg, "truncated"), "%s", e.msg);
    /* truncated header */
    write_bytes(path, buf, 20);
    momu_err_clear(&e);
    EXPECT(momu_npy_read(path, &a, 1, &e) != MOMU_OK && strstr(e.msg, path), "%s", e.msg);
    /* not npy */
    write_bytes(path, "hello world, not an array", 25);
    momu_err_clear(&e);
    EXPECT(momu_npy_read(path, &a, 1, &e) == MOMU_ERR_FORMAT, "%s", e.msg);
    /* NaN */
    float y[6] = {1, 2, NAN, 4, 5, 6};
    momu_npy_write_f32(path, y, 2, shape, &e);
    momu_err_clear(&e);
    EXPECT(momu_npy_read(path, &a, 1, &e) == MOMU_ERR_RANGE && strstr(e.msg, "index 2"), "%s", e.msg);
    /* absurd shape */
    const char *hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999, 3), }";
    unsigned char big[256] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0};
    size_t hl = strlen(hdr);
    big[8] = (unsigned char)hl;
    memcpy(big + 10, hdr, hl);
    write_bytes(path, big, 10 + hl);
    momu_err_clear(&e);
    EXPECT(momu_npy_read(path, &a, 1, &e) == MOMU_ERR_RANGE, "%s", e.msg);
    /* wrong dtype */
    const char *hdr2 = "{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }";
    hl = strlen(hdr2);
    big[8] = (unsigned char)hl;
    memcpy(big + 10, hdr2, hl);
    write_bytes(path, big, 10 + hl + 4);
    momu_err_clear(&e);
    EXPECT(momu_npy_read(path, &a, 1, &e) == MOMU_ERR_FORMAT && strstr(e.msg, "<i4"), "%s", e.msg);
    /* missing file */
    momu_err_clear(&e);
    EXPECT(momu_npy_read("/nonexistent/x.npy", &a, 1, &e) == MOMU_ERR_IO, "%s", e.msg);
}

TEST(json_parse) {
    const char *t = "{\"a\": [1, 2.5, -3e2], \"b\": {\"c\": \"x\\u00e9\\n\"}, \"d\": true, \"e\": null}";
    momu_json *j;
    momu_err e = {0};
    EXPECT(momu_json_parse(t, strlen(t), "t", &j, &e) == MOMU_OK, "%s", e.msg);
    if (!j) return;
    const momu_json *a = momu_json_get(j, "a");
    EXPECT(a && a->type == MOMU_JSON_ARRAY && a->n == 3 && a->items[2].num == -300.0, "array");
    const momu_json *c = momu_json_get(momu_json_get(j, "b"), "c");
    EXPECT(c && !strcmp(c->str, "x\xc3\xa9\n"), "string");
    EXPECT(momu_json_get(j, "d")->boolean == 1 && momu_json_get(j, "e")->type == MOMU_JSON_NULL, "literals");
    momu_json_free(j);
    const char *bad[] = {"{", "[1,]", "{\"a\" 1}", "01", "\"abc", "[1] x", "nul", "\"\\ud800\"", "1e999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        momu_err_clear(&e);
        EXPECT(momu_json_parse(bad[i], strlen(bad[i]), "bad", &j, &e) == MOMU_ERR_FORMAT, "accepted %s", bad[i]);
    }
    char deep[200];
    memset(deep, '[', sizeof deep);
    momu_err_clear(&e);
    EXPECT(momu_json_parse(deep, sizeof deep, "deep", &j, &e) == MOMU_ERR_FORMAT && strstr(e.msg, "deep"), "%s", e.msg);
}

TEST(rng_reproducible) {
    momu_rng a, b;
    momu_rng_seed(&a, 42);
    momu_rng_seed(&b, 42);
    int same = 1;
    double sum = 0, sum2 = 0;
    for (int i = 0; i < 100000; i++) {
        float x = momu_rng_normal(&a), y = momu_rng_normal(&b);
        same &= x == y;
        sum += x;
        sum2 += (double)x * x;
    }
    EXPECT(same, "same seed, same stream");
    EXPECT(fabs(sum / 1e5) < 0.02 && fabs(sum2 / 1e5 - 1.0) < 0.02, "moments %g %g", sum / 1e5, sum2 / 1e5);
    momu_rng_seed(&b, 43);
    EXPECT(momu_rng_u64(&a) != momu_rng_u64(&b), "different seeds differ");
    size_t counts[3] = {0};
    for (int i = 0; i < 30000; i++) counts[momu_rng_below(&a, 3)]++;
    EXPECT(counts[0] > 9500 && counts[1] > 9500 && counts[2] > 9500, "below uniform");
}

TEST(atomic_write_and_abort) {
    char path[600];
    snprintf(path, sizeof path, "%s/out.txt", test_tmpdir());
    momu_atomic a;
    momu_err e = {0};
    EXPECT(momu_atomic_open(&a, path, &e) == MOMU_OK, "%s", e.msg);
    fputs("hello", a.f);
    EXPECT(momu_atomic_commit(&a, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_atomic_open(&a, path, &e) == MOMU_OK, "%s", e.msg);
    fputs("partial", a.f);
    momu_atomic_abort(&a);
    unsigned char *d;
    size_t n;
    EXPECT(momu_read_file(path, 100, &d, &n, &e) == MOMU_OK && n == 5 && !memcmp(d, "hello", 5), "kept old file");
    free(d);
    momu_err_clear(&e);
    EXPECT(momu_read_file(path, 3, &d, &n, &e) == MOMU_ERR_RANGE, "size cap");
    char ext[8];
    momu_path_ext("a/b.c/Song.WAV", ext, sizeof ext);
    EXPECT(!strcmp(ext, "wav"), "ext %s", ext);
    momu_path_ext("a/b.c/noext", ext, sizeof ext);
    EXPECT(!strcmp(ext, ""), "ext %s", ext);
}

int main(void) {
    RUN(npy_roundtrip);
    RUN(npy_rejects_bad_files);
    RUN(json_parse);
    RUN(rng_reproducible);
    RUN(atomic_write_and_abort);
    return test_summary();
}
