/* Tests for src/motion: skeleton, NPY/JSON I/O and their rejections, resampling, kinematic amplitude Q,
 * kinematic beats, features and their inverse, mirror, normalisation statistics. */
#include <stdint.h>

#include "momu/motion.h"
#include "momu/npy.h"
#include "momu/rng.h"
#include "test.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static const char *tmp_path(const char *name) {
    static char buf[8][700];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", test_tmpdir(), name);
    return buf[k];
}

static void write_bytes(const char *path, const void *b, size_t n) {
    FILE *f = fopen(path, "wb");
    fwrite(b, 1, n, f);
    fclose(f);
}

static void write_text(const char *path, const char *s) { write_bytes(path, s, strlen(s)); }

TEST(dwm_skeleton) {
    momu_skeleton sk;
    momu_err e = {0};
    EXPECT(momu_skeleton_dwm(&sk, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(sk.n_joints == 23 && momu_skeleton_is_dwm(&sk), "23 joints");
    EXPECT(momu_skeleton_find(&sk, "spine") == 2 && momu_skeleton_find(&sk, "toe_R") == 20 &&
           momu_skeleton_find(&sk, "hand_dir_L") == 22, "names");
    EXPECT(sk.parent[2] == -1 && sk.parent[21] == 14 && sk.parent[22] == 6 && sk.parent[11] == 9, "parents");
    int roots = 0;
    for (size_t j = 0; j < 23; j++) { /* every joint reaches the root */
        int k = (int)j, steps = 0;
        while (k >= 0 && steps < 30) { k = sk.parent[k]; steps++; }
        EXPECT(k < 0, "joint %zu reaches a root", j);
        roots += sk.parent[j] < 0;
    }
    EXPECT(roots == 1, "one root");
    const int *mm = momu_dwm_mirror_map();
    for (size_t j = 0; j < 23; j++) {
        EXPECT(mm[mm[j]] == (int)j, "mirror map is an involution at %zu", j);
        const char *a = sk.names[j], *b = sk.names[mm[j]];
        size_t la = strlen(a);
        if (j != 2) EXPECT(la == strlen(b) && !strncmp(a, b, la - 1) && a[la - 1] != b[la - 1], "%s <-> %s", a, b);
    }
    size_t nb;
    const momu_bone *bones = momu_dwm_bones(&nb);
    EXPECT(nb == 21 && !strcmp(bones[0].name, "neck") && bones[0].a0 == 3 && bones[0].a1 == 12, "bones");
    momu_skeleton_free(&sk);
}

static void make_npy_motion(float *x, size_t T, size_t J) {
    for (size_t i = 0; i < T * J * 3; i++) x[i] = (float)(i % 97) * 0.25f - 5.0f;
}

TEST(npy_dwm_load_and_save) {
    const char *p = tmp_path("x.motion.npy"), *q = tmp_path("y.npy");
    float x[4 * 23 * 3];
    make_npy_motion(x, 4, 23);
    size_t shape[3] = {4, 23, 3};
    momu_err e = {0};
    momu_npy_write_f32(p, x, 3, shape, &e);
    momu_motion m;
    EXPECT(momu_motion_load(p, &m, &e) == MOMU_OK, "%s", e.msg);
    if (e.status) return;
    EXPECT(m.n_frames == 4 && m.n_joints == 23 && m.fps == 25.0f && momu_skeleton_is_dwm(&m.skel), "DwM recognised");
    EXPECT(!memcmp(m.pos, x, sizeof x), "data");
    EXPECT(momu_motion_save(q, &m, &e) == MOMU_OK, "%s", e.msg);
    momu_npy a;
    EXPECT(momu_npy_read(q, &a, 1, &e) == MOMU_OK && a.ndim == 3 && a.shape[1] == 23 && !memcmp(a.data, x, sizeof x), "saved");
    momu_npy_free(&a);
    momu_motion_free(&m);
}

/* float64 (T,J,3) by hand: header + payload. */
TEST(npy_float64_generic) {
    const char *p = tmp_path("f8.npy");
    char hdr[128];
    const char *dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2, 3), }";
    size_t hl = 118; /* 10 + 118 = 128, a multiple of 64 */
    memset(hdr, ' ', sizeof hdr);
    memcpy(hdr, "\x93NUMPY\x01\x00", 8);
    hdr[8] = (char)(hl & 0xff);
    hdr[9] = (char)(hl >> 8);
    memcpy(hdr + 10, dict, strlen(dict));
    hdr[127] = '\n';
    double v[12];
    for (int i = 0; i < 12; i++) v[i] = i * 1.5;
    FILE *f = fopen(p, "wb");
    fwrite(hdr, 1, 128, f);
    fwrite(v, sizeof(double), 12, f);
    fclose(f);
    momu_motion m;
    momu_err e = {0};
    EXPECT(momu_motion_load(p, &m, &e) == MOMU_OK, "%s", e.msg);
    if (e.status) return;
    EXPECT(m.n_frames == 2 && m.n_joints == 2 && !m.skel.names && m.fps == 25.0f, "generic");
    EXPECT(m.pos[11] == 16.5f, "value %g", (double)m.pos[11]);
    momu_motion_free(&m);
}

static int rejects(const char *path, const char *needle) {
    momu_motion m;
    momu_err e = {0};
    momu_status st = momu_motion_load(path, &m, &e);
    if (st == MOMU_OK) { momu_motion_free(&m); fprintf(stderr, "  %s accepted\n", path); return 0; }
    int ok = strstr(e.msg, path) && (!needle || strstr(e.msg, needle));
    if (!ok) fprintf(stderr, "  %s: %s\n", path, e.msg);
    return ok;
}

TEST(npy_rejects) {
    float x[3 * 5 * 3];
    make_npy_motion(x, 3, 5);
    momu_err e = {0};
    const char *p = tmp_path("bad2.npy");
    size_t s2[3] = {3, 5, 2};
    momu_npy_write_f32(p, x, 3, s2, &e);
    EXPECT(rejects(p, "(T, J, 3)"), "(T,J,2)");
    size_t s1[2] = {3, 15};
    momu_npy_write_f32(p, x, 2, s1, &e);
    EXPECT(rejects(p, "(T, J, 3)"), "2-d");
    x[7] = NAN;
    size_t s3[3] = {3, 5, 3};
    momu_npy_write_f32(p, x, 3, s3, &e);
    EXPECT(rejects(p, NULL), "NaN");
    x[7] = 1;
    momu_npy_write_f32(p, x, 3, s3, &e);
    unsigned char buf[512];
    FILE *f = fopen(p, "rb");
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    write_bytes(p, buf, n - 5);
    EXPECT(rejects(p, "truncated"), "truncated");
    /* absurd shape in the header */
    const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (4000000000, 23000, 3), }";
    char hdr[128];
    memset(hdr, ' ', sizeof hdr);
    memcpy(hdr, "\x93NUMPY\x01\x00", 8);
    hdr[8] = 118;
    hdr[9] = 0;
    memcpy(hdr + 10, dict, strlen(dict));
    hdr[127] = '\n';
    write_bytes(p, hdr, 128);
    EXPECT(rejects(p, NULL), "absurd size");
    EXPECT(rejects(tmp_path("missing.npy"), NULL), "missing file");
    write_text(tmp_path("x.txt"), "1 2 3");
    EXPECT(rejects(tmp_path("x.txt"), "extension"), "unknown extension");
}

TEST(json_roundtrip_and_rejects) {
    const char *p = tmp_path("m.json");
    float x[3 * 23 * 3];
    make_npy_motion(x, 3, 23);
    momu_motion m;
    momu_err e = {0};
    momu_motion_alloc(&m, 3, 23, 50.0f, &e);
    memcpy(m.pos, x, sizeof x);
    momu_skeleton_dwm(&m.skel, &e);
    EXPECT(momu_motion_save(p, &m, &e) == MOMU_OK, "%s", e.msg);
    momu_motion b;
    EXPECT(momu_motion_load(p, &b, &e) == MOMU_OK, "%s", e.msg);
    if (!e.status) {
        EXPECT(b.fps == 50.0f && b.n_frames == 3 && momu_skeleton_is_dwm(&b.skel) && b.skel.parent[21] == 14, "skeleton");
        EXPECT(!memcmp(b.pos, x, sizeof x), "exact floats (%%.9g)");
        momu_motion_free(&b);
    }
    momu_motion_free(&m);
    const char *q = tmp_path("bad.json");
    write_text(q, "{\"fps\": 25, \"frames\": [[[1,2,3],[4,5,6]], [[1,2,3]]]}");
    EXPECT(rejects(q, "frame 1 has 1 joints"), "ragged");
    write_text(q, "{\"fps\": 25, \"frames\": [[[1,2],[4,5]]]}");
    EXPECT(rejects(q, "triple"), "(T,J,2)");
    write_text(q, "{\"fps\": 25, \"frames\": [[[1,2,null]]]}");
    EXPECT(rejects(q, "finite"), "null coordinate");
    write_text(q, "{\"fps\": 25, \"frames\": [[[1,2,1e999]]]}");
    EXPECT(rejects(q, NULL), "overflowing number");
    write_text(q, "{\"frames\": [[[1,2,3]]]}");
    EXPECT(rejects(q, "fps"), "no fps");
    write_text(q, "{\"fps\": 25, \"frames\": [[[1,2,3]], [[1,2");
    EXPECT(rejects(q, NULL), "truncated");
    write_text(q, "{\"fps\": 25, \"parents\": [1, 0], \"frames\": [[[1,2,3],[1,2,3]]]}");
    EXPECT(rejects(q, "cycle"), "cycle");
    write_text(q, "{\"fps\": 25, \"joints\": [\"a\"], \"frames\": [[[1,2,3],[1,2,3]]]}");
    EXPECT(rejects(q, "names"), "name count");
    {   /* 1025 joints: more than MOMU_MOTION_MAX_JOINTS */
        size_t cap = 16 * 1025 + 64, k = 0;
        char *big = malloc(cap);
        k += (size_t)snprintf(big + k, cap - k, "{\"fps\": 25, \"frames\": [[");
        for (int j = 0; j < 1025; j++) k += (size_t)snprintf(big + k, cap - k, "%s[1,2,3]", j ? "," : "");
        snprintf(big + k, cap - k, "]]}");
        write_text(q, big);
        free(big);
        EXPECT(rejects(q, "1025 joints"), "too many joints");
    }
    write_text(q, "{\"fps\": 25, \"frames\": []}");
    EXPECT(rejects(q, "non-empty"), "empty");
}

/* Fault injection: every truncation and random corruptions of a small JSON and NPY motion either load
 * (finite) or fail naming the file; never crash (run under ASan). */
TEST(json_npy_fuzz) {
    static const char *JS = "{\"fps\": 25, \"joints\": [\"a\", \"b\"], \"parents\": [-1, 0], "
                            "\"frames\": [[[1,2,3],[4,5,6]], [[1.5,2e1,-3],[4,5,6]]]}";
    const char *pj = tmp_path("fz.json"), *pn = tmp_path("fz.npy");
    float x[2 * 2 * 3] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    size_t shape[3] = {2, 2, 3};
    momu_err e0 = {0};
    momu_npy_write_f32(pn, x, 3, shape, &e0);
    unsigned char npy[512];
    FILE *f = fopen(pn, "rb");
    size_t nn = fread(npy, 1, sizeof npy, f);
    fclose(f);
    momu_rng g;
    momu_rng_seed(&g, 5);
    int bad = 0;
    for (int which = 0; which < 2; which++) {
        const unsigned char *src = which ? npy : (const unsigned char *)JS;
        size_t n = which ? nn : strlen(JS);
        const char *p = which ? pn : pj;
        for (size_t it = 0; it < n + 200; it++) {
            unsigned char buf[512];
            size_t len = it < n ? it : n;
            memcpy(buf, src, n);
            if (it >= n)
                for (int k = 0; k < 2; k++) buf[momu_rng_below(&g, n)] = (unsigned char)momu_rng_below(&g, 256);
            write_bytes(p, buf, len);
            momu_motion m;
            momu_err e = {0};
            if (momu_motion_load(p, &m, &e) == MOMU_OK) {
                for (size_t i = 0; i < m.n_frames * m.n_joints * 3; i++) bad += !isfinite(m.pos[i]);
                momu_motion_free(&m);
            } else {
                bad += !strstr(e.msg, p);
            }
        }
    }
    EXPECT(bad == 0, "%d bad outcomes", bad);
}

/* ---- resample ------------------------------------------------------------------------------------ */

TEST(resample_convention) {
    momu_motion m, o;
    momu_err e = {0};
    momu_motion_alloc(&m, 50, 1, 25.0f, &e);
    for (size_t t = 0; t < 50; t++) m.pos[t * 3] = (float)t; /* x = input frame index */
    momu_skeleton_free(&m.skel);
    m.skel.n_joints = 1;
    /* t_i = 2 * (0.5 + i / 10) s -> frame 25 * t_i = 25 + 5 i; i = 4 -> 45; i = 5 -> 50 > 49: hold 49 */
    EXPECT(momu_motion_resample(&m, 2.0, 0.5, 10.0f, 6, &o, &e) == MOMU_OK, "%s", e.msg);
    float ref[6] = {25, 30, 35, 40, 45, 49};
    for (int i = 0; i < 6; i++) EXPECT(fabsf(o.pos[i * 3] - ref[i]) < 1e-4f, "i %d: %g vs %g", i, (double)o.pos[i * 3], (double)ref[i]);
    EXPECT(o.fps == 10.0f && o.n_frames == 6, "header");
    momu_motion_free(&o);
    /* fractional: scale 1.02, offset -0.1 s, 25 fps: frame index 25*1.02*(-0.1 + i/25) = 1.02 i - 2.55 */
    EXPECT(momu_motion_resample(&m, 1.02, -0.1, 25.0f, 40, &o, &e) == MOMU_OK, "%s", e.msg);
    for (int i = 0; i < 40; i++) {
        double want = 1.02 * i - 2.55;
        if (want < 0) want = 0;
        EXPECT(fabs(o.pos[i * 3] - want) < 1e-4, "i %d: %g vs %g", i, (double)o.pos[i * 3], want);
    }
    momu_motion_free(&o);
    EXPECT(momu_motion_resample(&m, 0.0, 0, 25.0f, 4, &o, &e) == MOMU_ERR_ARG, "scale 0 refused");
    momu_motion_free(&m);
}

/* ---- kinematic amplitude ----------------------------------------------------------------------- */

static void set_xy(float *pos, size_t J, size_t t, size_t j, float x, float y, float z) {
    float *p = pos + (t * J + j) * 3;
    p[0] = x;
    p[1] = y;
    p[2] = z;
}

/* One joint: right 1, right 1, up 1, up 2, still. Windows are +-45 deg, inclusive: right (0 deg) fills bins
 * 7, 0, 1; up (90 deg) bins 1, 2, 3. D(0) = D(1) = {7:1, 0:1, 1:1}; D(2) = {1:1, 2:1, 3:1};
 * D(3) = {1:2, 2:2, 3:2}; D(4) = 0. Q(1) = 0, Q(2) = 2 (bins 2, 3 appear), Q(3) = 3, Q(4) = 0.
 * A second joint moving only along z (depth) contributes nothing on the camera plane. */
TEST(kinematic_amplitude_hand) {
    float pos[6 * 2 * 3] = {0};
    float xs[6] = {0, 1, 2, 2, 2, 2}, ys[6] = {0, 0, 0, 1, 3, 3};
    for (size_t t = 0; t < 6; t++) {
        set_xy(pos, 2, t, 0, xs[t], ys[t], 5);
        set_xy(pos, 2, t, 1, 10, 10, (float)(t * t));
    }
    float q[6];
    momu_err e = {0};
    EXPECT(momu_kinematic_amplitude(pos, 6, 2, q, &e) == MOMU_OK, "%s", e.msg);
    float ref[6] = {0, 0, 2, 3, 0, 0};
    EXPECT(test_close("Q", q, ref, 6, 1e-6, 0), "Q values");
    /* 22.5 deg then 157.5 deg, magnitude 2: bins {0,1} then {3,4}: Q = 4 */
    float p2[3 * 3] = {0, 0, 0, 2 * (float)cos(M_PI / 8), 2 * (float)sin(M_PI / 8), 0, 0, 2 * 2 * (float)sin(M_PI / 8), 0};
    float q2[3];
    EXPECT(momu_kinematic_amplitude(p2, 3, 1, q2, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(fabsf(q2[1] - 4.0f) < 1e-5f && q2[0] == 0 && q2[2] == 0, "Q2 %g", (double)q2[1]);
}

/* Triangle wave in x, reversing every 10 frames: Q is 3v at the reversal frames 10, 20, ... and 0
 * elsewhere, so the LORIS peaks are exactly those frames. */
TEST(beats_q_periodic) {
    momu_motion m;
    momu_err e = {0};
    size_t T = 101;
    momu_motion_alloc(&m, T, 2, 25.0f, &e);
    for (size_t t = 0; t < T; t++) {
        size_t ph = t % 20;
        float x = ph <= 10 ? (float)ph : (float)(20 - ph);
        set_xy(m.pos, 2, t, 0, 3 * x, 100, 0);
        set_xy(m.pos, 2, t, 1, 3 * x + 10, 50, 0);
    }
    float q[101];
    momu_motion_kinematic_amplitude(&m, q, &e);
    EXPECT(fabsf(q[10] - 18.0f) < 1e-5f && q[5] == 0 && q[20] == q[10], "Q at reversal %g", (double)q[10]);
    double *t = NULL;
    size_t n = 0;
    EXPECT(momu_motion_beats_q(&m, &t, &n, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(n == 9, "beats %zu", n);
    for (size_t i = 0; i < n && i < 9; i++) EXPECT(fabs(t[i] - (double)(10 * (i + 1)) / 25.0) < 1e-9, "beat %zu at %g", i, t[i]);
    free(t);
    momu_motion_free(&m);
}

/* LORIS pick_peak on a hand-made envelope: a plateau keeps its last sample; a small bump under
 * 0.1 * mean is dropped only if not a local max... here values are chosen so the rule is explicit. */
TEST(pick_peaks_loris_rule) {
    /* env (max 1): peaks where env[n] == max(env[n:n+6]) and that max exceeds mean(env[n:n+4]) by
     * > 0.1 * mean(env). n = 2 (1.0, run 2..3 -> keep 3), n = 9 (0.5) */
    float env[14] = {0, 0.2f, 1, 1, 0, 0, 0, 0, 0.1f, 0.5f, 0, 0, 0, 0};
    size_t idx[14], n;
    momu_pick_peaks_loris(env, 14, idx, &n);
    EXPECT(n == 2 && idx[0] == 3 && idx[1] == 9, "n %zu idx %zu %zu", n, n > 0 ? idx[0] : 99, n > 1 ? idx[1] : 99);
    float flat[5] = {1, 1, 1, 1, 1};
    momu_pick_peaks_loris(flat, 5, idx, &n); /* local_max - local_mean = 0 at n=0,1 -> ...; last samples: zero padding */
    EXPECT(n == 1 && idx[0] == 4, "flat: n %zu", n);
}

/* Speed minima: x = A cos(2 pi (t - 10.5) / 40) has its extremes at t = 10.5 + 20 k, so the frame speed
 * v[i] = |x(i+1) - x(i)| is smallest at i = 10, 30, 50, 70 (symmetric neighbours); the symmetric Gaussian
 * keeps them. */
TEST(beats_speed_periodic) {
    momu_motion m;
    momu_err e = {0};
    size_t T = 90;
    momu_motion_alloc(&m, T, 1, 25.0f, &e);
    for (size_t t = 0; t < T; t++) set_xy(m.pos, 1, t, 0, (float)(20 * cos(2 * M_PI * ((double)t - 10.5) / 40)), 0, 0);
    double *bt = NULL;
    size_t n = 0;
    EXPECT(momu_motion_beats_speed(&m, &bt, &n, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(n == 4, "n %zu", n);
    for (size_t i = 0; i < n && i < 4; i++) EXPECT(fabs(bt[i] - (10.0 + 20.0 * (double)i) / 25.0) < 1e-9, "beat %zu at %g", i, bt[i]);
    free(bt);
    /* the smoothing: sigma = 5 * 25 / 60; a unit impulse in the speed spreads with the scipy kernel.
     * Impulse speed: joint still except a single step between frames 20 and 21 of 1 cm. */
    momu_motion_free(&m);
    momu_motion_alloc(&m, 41, 1, 25.0f, &e);
    for (size_t t = 21; t < 41; t++) m.pos[t * 3] = 1;
    float v[40];
    momu_motion_speed_smoothed(&m, v, &e);
    double s = 5.0 * 25.0 / 60.0, w0 = 1, sum = 1;
    for (int k = 1; k <= (int)(4 * s + 0.5); k++) sum += 2 * exp(-0.5 * k * k / (s * s));
    w0 /= sum;
    EXPECT(fabs(v[20] - w0) < 1e-6 && fabs(v[21] - exp(-0.5 / (s * s)) / sum) < 1e-6, "kernel %g vs %g", (double)v[20], w0);
    EXPECT(v[20 + 9] == 0.0f && v[20 + 8] > 0, "radius int(4 sigma + 0.5) = 8");
    momu_motion_free(&m);
}

/* Golden fixture from tools/motion_beats_check.py (numpy + scipy, independent of the C code): Q within
 * 1e-4 relative (float32 input, double sums in both), Bailando's smoothed speed within 1e-5 relative, and
 * the same beat frames. */
TEST(beats_golden_fixture) {
    momu_npy q, v, bq, bs;
    momu_motion m;
    momu_err e = {0};
    const char *dir = "tests/fixtures/motion";
    char p[5][256];
    const char *names[5] = {"beats_motion.npy", "beats_q.npy", "beats_speed.npy", "beats_q_idx.npy", "beats_speed_idx.npy"};
    for (int k = 0; k < 5; k++) snprintf(p[k], sizeof p[k], "%s/%s", dir, names[k]);
    EXPECT(momu_motion_load(p[0], &m, &e) == MOMU_OK, "%s", e.msg);
    if (e.status) return;
    EXPECT(momu_npy_read(p[1], &q, 1, &e) == MOMU_OK && momu_npy_read(p[2], &v, 1, &e) == MOMU_OK &&
           momu_npy_read(p[3], &bq, 1, &e) == MOMU_OK && momu_npy_read(p[4], &bs, 1, &e) == MOMU_OK, "%s", e.msg);
    if (e.status) { momu_motion_free(&m); return; }
    size_t T = m.n_frames;
    float *gq = malloc(T * sizeof(float)), *gv = malloc(T * sizeof(float));
    momu_motion_kinematic_amplitude(&m, gq, &e);
    momu_motion_speed_smoothed(&m, gv, &e);
    EXPECT(q.numel == T && test_close("Q vs numpy", gq, q.data, T, 1e-4, 1e-4), "Q");
    EXPECT(v.numel == T - 1 && test_close("speed vs scipy", gv, v.data, T - 1, 1e-5, 1e-5), "speed");
    double *t;
    size_t n;
    momu_motion_beats_q(&m, &t, &n, &e);
    EXPECT(n == bq.numel && n > 5, "Q beats %zu vs %zu", n, bq.numel);
    for (size_t i = 0; i < n && i < bq.numel; i++) EXPECT(fabs(t[i] * 25.0 - bq.data[i]) < 1e-6, "Q beat %zu", i);
    free(t);
    momu_motion_beats_speed(&m, &t, &n, &e);
    EXPECT(n == bs.numel && n > 3, "speed beats %zu vs %zu", n, bs.numel);
    for (size_t i = 0; i < n && i < bs.numel; i++) EXPECT(fabs(t[i] * 25.0 - bs.data[i]) < 1e-6, "speed beat %zu", i);
    free(t);
    free(gq);
    free(gv);
    momu_npy_free(&q); momu_npy_free(&v); momu_npy_free(&bq); momu_npy_free(&bs);
    momu_motion_free(&m);
}

/* ---- features ---------------------------------------------------------------------------------- */

/* A DwM-like figure: rigid layout around the root, turning and walking; feet touch y = 0. */
static void make_walker(momu_motion *m, size_t T) {
    momu_err e = {0};
    momu_motion_alloc(m, T, 23, 25.0f, &e);
    momu_skeleton_dwm(&m->skel, &e);
    for (size_t t = 0; t < T; t++) {
        double phi = 0.03 * (double)t + 0.2 * sin(0.2 * (double)t), c = cos(phi), s = sin(phi);
        double rx = 40 * sin(0.05 * (double)t), rz = 3.0 * (double)t, ry = 100 + 3 * sin(0.4 * (double)t);
        if (t == 0) { rx = 0; rz = 0; }
        for (size_t j = 0; j < 23; j++) {
            double l[3] = {((double)(j % 5) - 2) * 8 + 2 * sin(0.1 * (double)t + (double)j), ((double)(j % 7)) * 10 - 60,
                           ((double)(j % 3) - 1) * 6};
            if (j == 7) { l[0] = 10; l[1] = -15; l[2] = 0; }   /* hips on local x */
            if (j == 16) { l[0] = -10; l[1] = -15; l[2] = 0; }
            if (j == 2) { l[0] = l[1] = l[2] = 0; }
            if (j == 10 || j == 11 || j == 19 || j == 20) l[1] = -ry + (j == 10 ? 0 : 2 + sin(0.3 * (double)t));
            float *p = m->pos + (t * 23 + j) * 3;
            p[0] = (float)(rx + c * l[0] + s * l[2]);
            p[1] = (float)(ry + l[1]);
            p[2] = (float)(rz - s * l[0] + c * l[2]);
        }
    }
}

TEST(features_roundtrip) {
    momu_motion m, back;
    make_walker(&m, 80);
    size_t D = momu_features_dim(23);
    EXPECT(D == 146, "D %zu", D);
    float *f = malloc(80 * D * sizeof(float));
    momu_err e = {0};
    EXPECT(momu_motion_to_features(&m, f, &e) == MOMU_OK, "%s", e.msg);
    /* root height: heel_L at y = 0 always -> floor 0 -> height = root y */
    EXPECT(fabsf(f[3] - m.pos[2 * 3 + 1]) < 1e-4f, "height %g vs %g", (double)f[3], (double)m.pos[2 * 3 + 1]);
    /* hip_L in the heading frame lies on +x: (10, -15, 0) */
    EXPECT(fabsf(f[4 + 7 * 3] - 10) < 1e-4f && fabsf(f[4 + 7 * 3 + 2]) < 1e-4f, "hip_L local (%g, %g)",
           (double)f[4 + 21], (double)f[4 + 23]);
    EXPECT(momu_features_to_motion(f, 80, 23, 25.0f, &m.skel, &back, &e) == MOMU_OK, "%s", e.msg);
    /* the walker starts at heading 0 at the origin with the floor at 0: exact reconstruction */
    double worst = 0;
    for (size_t i = 0; i < 80 * 23 * 3; i++) worst = fmax(worst, fabs(back.pos[i] - m.pos[i]));
    EXPECT(worst < 2e-3, "reconstruction error %g cm", worst);
    EXPECT(momu_skeleton_is_dwm(&back.skel) && back.fps == 25.0f, "skeleton and fps");
    momu_motion_free(&back);
    free(f);
    momu_motion_free(&m);
}

/* Contacts by hand: a foot point still on the floor = 1; lifted 10 cm = 0; sliding at 50 cm/s = 0. */
TEST(features_contacts) {
    momu_motion m;
    momu_err e = {0};
    momu_motion_alloc(&m, 5, 23, 25.0f, &e);
    momu_skeleton_dwm(&m.skel, &e);
    for (size_t t = 0; t < 5; t++) {
        for (size_t j = 0; j < 23; j++) set_xy(m.pos, 23, t, j, 0, 100, 0);
        set_xy(m.pos, 23, t, 7, 10, 90, 0);
        set_xy(m.pos, 23, t, 16, -10, 90, 0);
        set_xy(m.pos, 23, t, 10, 5, 0, 0);                     /* heel_L still on the floor */
        set_xy(m.pos, 23, t, 11, 5, 10, 10);                   /* toe_L 10 cm up */
        set_xy(m.pos, 23, t, 19, -5, 0, 2.0f * (float)t);      /* heel_R slides 2 cm/frame = 50 cm/s */
        set_xy(m.pos, 23, t, 20, -5, 1, 10 + 0.4f * (float)t); /* toe_R 1 cm up, 10 cm/s */
    }
    size_t D = momu_features_dim(23);
    float f[5 * 146];
    EXPECT(momu_motion_to_features(&m, f, &e) == MOMU_OK, "%s", e.msg);
    for (size_t t = 0; t < 5; t++) {
        const float *c = f + t * D + 4 + 6 * 23;
        EXPECT(c[0] == 1 && c[1] == 0 && c[2] == 0 && c[3] == 1, "t %zu contacts %g %g %g %g", t, (double)c[0], (double)c[1],
               (double)c[2], (double)c[3]);
    }
    EXPECT(fabsf(f[3] - 100) < 1e-4f, "root height");
    momu_skeleton_free(&m.skel);
    m.skel.n_joints = 23;
    EXPECT(momu_motion_to_features(&m, f, &e) == MOMU_ERR_ARG && strstr(e.msg, "hip_L"), "needs names");
    momu_motion_free(&m);
}

TEST(mirror) {
    momu_motion m, c;
    make_walker(&m, 3);
    momu_err e = {0};
    momu_motion_copy(&c, &m, &e);
    EXPECT(momu_motion_mirror(&c, momu_dwm_mirror_map(), &e) == MOMU_OK, "%s", e.msg);
    EXPECT(c.pos[(23 + 7) * 3] == -m.pos[(23 + 16) * 3] && c.pos[(23 + 7) * 3 + 1] == m.pos[(23 + 16) * 3 + 1] &&
           c.pos[2 * 3] == -m.pos[2 * 3], "swap + negate x");
    momu_motion_mirror(&c, momu_dwm_mirror_map(), &e);
    EXPECT(!memcmp(c.pos, m.pos, 3 * 23 * 3 * sizeof(float)), "involution");
    int bad[23];
    for (int j = 0; j < 23; j++) bad[j] = 0;
    EXPECT(momu_motion_mirror(&c, bad, &e) == MOMU_ERR_ARG, "bad map refused");
    momu_motion_free(&c);
    momu_motion_free(&m);
}

TEST(feature_stats) {
    /* two sequences, D = 2: feature 0 values 1,2,3 | 4 -> mean 2.5, std sqrt(1.25); feature 1 constant 7 */
    float a[6] = {1, 7, 2, 7, 3, 7}, b[2] = {4, 7};
    const float *seqs[2] = {a, b};
    size_t nf[2] = {3, 1};
    momu_feature_stats st, st2;
    momu_err e = {0};
    EXPECT(momu_feature_stats_compute(seqs, nf, 2, 2, 0.01f, &st, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(fabsf(st.mean[0] - 2.5f) < 1e-6f && fabsf(st.std[0] - sqrtf(1.25f)) < 1e-6f, "feature 0");
    EXPECT(st.mean[1] == 7 && st.std[1] == 0.01f, "std floor");
    const char *p = tmp_path("stats.npy");
    EXPECT(momu_feature_stats_save(p, &st, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_feature_stats_load(p, &st2, &e) == MOMU_OK && st2.dim == 2 && st2.std[1] == 0.01f, "%s", e.msg);
    float x[2] = {4, 7.02f};
    momu_features_normalise(&st2, x, 1);
    EXPECT(fabsf(x[0] - 1.5f / sqrtf(1.25f)) < 1e-5f && fabsf(x[1] - 2) < 1e-3f, "normalise %g %g", (double)x[0], (double)x[1]);
    momu_features_denormalise(&st2, x, 1);
    EXPECT(fabsf(x[0] - 4) < 1e-5f && fabsf(x[1] - 7.02f) < 1e-5f, "denormalise");
    momu_feature_stats_free(&st2);
    float bad[4] = {0, 1, 2, 0};
    size_t sh[2] = {2, 2};
    momu_npy_write_f32(p, bad, 2, sh, &e);
    EXPECT(momu_feature_stats_load(p, &st2, &e) == MOMU_ERR_RANGE, "zero std refused");
    momu_feature_stats_free(&st);
}

int main(void) {
    RUN(dwm_skeleton);
    RUN(npy_dwm_load_and_save);
    RUN(npy_float64_generic);
    RUN(npy_rejects);
    RUN(json_roundtrip_and_rejects);
    RUN(json_npy_fuzz);
    RUN(resample_convention);
    RUN(kinematic_amplitude_hand);
    RUN(beats_q_periodic);
    RUN(pick_peaks_loris_rule);
    RUN(beats_speed_periodic);
    RUN(beats_golden_fixture);
    RUN(features_roundtrip);
    RUN(features_contacts);
    RUN(mirror);
    RUN(feature_stats);
    return test_summary();
}
