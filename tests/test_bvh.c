/* Tests for src/motion/bvh.c: Euler conventions, BVH reading with hand-computed FK, rejection of bad
 * files, and the writer's round trip (FK of the written file vs the input positions). */
#include <stdint.h>

#include "momu/motion.h"
#include "momu/rng.h"
#include "test.h"

static void write_text(const char *path, const char *s) {
    FILE *f = fopen(path, "wb");
    fputs(s, f);
    fclose(f);
}

static const char *tmp_path(const char *name) {
    static char buf[8][700];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", test_tmpdir(), name);
    return buf[k];
}

/* R_axis(90 deg) by hand, to pin the sign convention (right-handed, column vectors). */
TEST(euler_axis_convention) {
    int zxy[3] = {2, 0, 1};
    double d[3] = {90, 0, 0}, r[9];
    momu_euler_to_matrix(zxy, d, r); /* Rz(90): x -> y */
    EXPECT(fabs(r[0]) < 1e-12 && fabs(r[3] - 1) < 1e-12 && fabs(r[1] + 1) < 1e-12, "Rz(90) maps x to y");
    double d2[3] = {0, 90, 0};
    momu_euler_to_matrix(zxy, d2, r); /* Rx(90): y -> z */
    EXPECT(fabs(r[7] - 1) < 1e-12 && fabs(r[5] + 1) < 1e-12, "Rx(90) maps y to z");
    double d3[3] = {0, 0, 90};
    momu_euler_to_matrix(zxy, d3, r); /* Ry(90): z -> x */
    EXPECT(fabs(r[2] - 1) < 1e-12 && fabs(r[6] + 1) < 1e-12, "Ry(90) maps z to x");
}

TEST(euler_roundtrip_all_orders) {
    static const int ORD[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    momu_rng g;
    momu_rng_seed(&g, 7);
    double worst = 0;
    for (int o = 0; o < 6; o++)
        for (int it = 0; it < 200; it++) {
            double d[3] = {momu_rng_uniform(&g) * 360 - 180, momu_rng_uniform(&g) * 178 - 89, momu_rng_uniform(&g) * 360 - 180};
            if (it == 0) d[1] = 90;  /* gimbal lock */
            if (it == 1) d[1] = -90;
            double r[9], r2[9], back[3];
            momu_euler_to_matrix(ORD[o], d, r);
            momu_euler_from_matrix(ORD[o], r, back);
            momu_euler_to_matrix(ORD[o], back, r2);
            for (int k = 0; k < 9; k++) worst = fmax(worst, fabs(r[k] - r2[k]));
            if (it > 1) EXPECT(fabs(back[1] - d[1]) < 1e-6, "order %d middle angle %g vs %g", o, back[1], d[1]);
        }
    EXPECT(worst < 1e-9, "matrix round trip error %g", worst);
}

static const char *BVH_SIMPLE =
    "HIERARCHY\nROOT r\n{\n  OFFSET 0 0 0\n  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation\n"
    "  JOINT a\n  {\n    OFFSET 0 10 0\n    CHANNELS 3 Xrotation Yrotation Zrotation\n"
    "    End Site\n    {\n      OFFSET 5 0 0\n    }\n  }\n}\n"
    "MOTION\nFrames: 2\nFrame Time: 0.04\n"
    "1 2 3 90 0 0 0 90 0\n"
    "1 2 3 90 90 0 0 0 0\n";

/* Hand-computed FK: frame 0: G_r = Rz(90) maps (0,10,0) to (-10,0,0): a = (-9,2,3); G_a = Rz(90) Ry(90),
 * Ry(90)(5,0,0) = (0,0,-5), Rz(90)(0,0,-5) = (0,0,-5): end = (-9,2,-2).
 * frame 1: ZXY intrinsic: G_r = Rz(90) Rx(90): Rx(90)(0,10,0) = (0,0,10), Rz keeps it: a = (1,2,13);
 * G_a = G_r: Rx(90)(5,0,0) = (5,0,0), Rz(90)(5,0,0) = (0,5,0): end = (1,7,13). (Extrinsic order would give
 * a = (-9,2,3) in frame 1, so this also pins the intrinsic reading.) */
TEST(bvh_read_hand_fk) {
    const char *p = tmp_path("simple.bvh");
    write_text(p, BVH_SIMPLE);
    momu_motion m;
    momu_err e = {0};
    EXPECT(momu_motion_load(p, &m, &e) == MOMU_OK, "%s", e.msg);
    if (e.status) return;
    EXPECT(m.n_frames == 2 && m.n_joints == 3, "T %zu J %zu", m.n_frames, m.n_joints);
    EXPECT(fabs(m.fps - 25.0f) < 1e-4, "fps %g", (double)m.fps);
    EXPECT(!strcmp(m.skel.names[2], "a_end") && m.skel.parent[2] == 1 && m.skel.parent[1] == 0 && m.skel.parent[0] == -1,
           "names/parents");
    float ref[2 * 3 * 3] = {1, 2, 3, -9, 2, 3, -9, 2, -2, 1, 2, 3, 1, 2, 13, 1, 7, 13};
    EXPECT(test_close("bvh fk", m.pos, ref, 18, 1e-4, 0), "positions");
    EXPECT(m.skel.offset && fabs(m.skel.offset[1 * 3 + 1] - 10) < 1e-6, "offsets kept");
    momu_motion_free(&m);
}

/* Position channels on a child replace its OFFSET (Blender's reading); 3-channel root; CRLF and tabs. */
TEST(bvh_read_position_channels_and_orders) {
    const char *p = tmp_path("pos.bvh");
    write_text(p, "HIERARCHY\r\nROOT r\r\n{\r\n\tOFFSET 1 1 1\r\n\tCHANNELS 3 Yrotation Xrotation Zrotation\r\n"
                  "\tJOINT b\r\n\t{\r\n\t\tOFFSET 7 7 7\r\n\t\tCHANNELS 4 Yposition Xrotation Yrotation Zrotation\r\n"
                  "\t\tEnd Site\r\n\t\t{\r\n\t\t\tOFFSET 0 0 1\r\n\t\t}\r\n\t}\r\n}\r\nMOTION\r\nFrames: 1\r\n"
                  "Frame Time: 0.0333333\r\n90 0 0 3 0 0 0\r\n");
    momu_motion m;
    momu_err e = {0};
    EXPECT(momu_motion_load(p, &m, &e) == MOMU_OK, "%s", e.msg);
    if (e.status) return;
    /* root at OFFSET (1,1,1), G = Ry(90): b local t = (7,3,7) -> Ry(90)(7,3,7) = (7,3,-7): b = (8,4,-6);
     * end (0,0,1) -> Ry(90) -> (1,0,0): (9,4,-6) */
    float ref[9] = {1, 1, 1, 8, 4, -6, 9, 4, -6};
    EXPECT(test_close("bvh pos channels", m.pos, ref, 9, 1e-4, 0), "positions");
    EXPECT(fabs(m.fps - 30.0f) < 1e-3, "fps %g", (double)m.fps);
    momu_motion_free(&m);
}

static int load_fails(const char *name, const char *text, const char *needle, momu_status want) {
    const char *p = tmp_path(name);
    write_text(p, text);
    momu_motion m;
    momu_err e = {0};
    momu_status st = momu_motion_load(p, &m, &e);
    if (st == MOMU_OK) { momu_motion_free(&m); fprintf(stderr, "  %s: accepted\n", name); return 0; }
    int ok = (!want || st == want) && strstr(e.msg, p) && (!needle || strstr(e.msg, needle));
    if (!ok) fprintf(stderr, "  %s: status %d message: %s\n", name, (int)st, e.msg);
    return ok;
}

TEST(bvh_rejects_bad_files) {
    char buf[4096];
    /* truncated: last frame misses values */
    snprintf(buf, sizeof buf, "%.*s", (int)(strlen(BVH_SIMPLE) - 6), BVH_SIMPLE);
    EXPECT(load_fails("trunc.bvh", buf, "truncated", MOMU_ERR_FORMAT), "truncated motion");
    /* truncated hierarchy */
    snprintf(buf, sizeof buf, "%.*s", 120, BVH_SIMPLE);
    EXPECT(load_fails("trunc2.bvh", buf, NULL, MOMU_ERR_FORMAT), "truncated hierarchy");
    /* NaN value */
    strcpy(buf, BVH_SIMPLE);
    char *q = strstr(buf, "1 2 3 90 90");
    memcpy(q, "nan", 3);
    EXPECT(load_fails("nan.bvh", buf, "finite", MOMU_ERR_RANGE), "NaN");
    /* unknown channel */
    strcpy(buf, BVH_SIMPLE);
    q = strstr(buf, "Xrotation Yrotation Zrotation");
    memcpy(q, "Wrotation", 9);
    EXPECT(load_fails("chan.bvh", buf, "unknown channel", MOMU_ERR_FORMAT), "bad channel");
    /* absurd frame count: far more values than bytes */
    strcpy(buf, BVH_SIMPLE);
    q = strstr(buf, "Frames: 2");
    memcpy(q, "Frames: 9", 9);
    EXPECT(load_fails("many.bvh", buf, "truncated", MOMU_ERR_FORMAT), "frame count larger than the data");
    EXPECT(load_fails("huge.bvh", "HIERARCHY ROOT r { OFFSET 0 0 0 CHANNELS 3 Xrotation Yrotation Zrotation } MOTION "
                      "Frames: 99999999999999 Frame Time: 0.04 0 0 0", NULL, 0), "absurd frame count");
    /* extra values */
    snprintf(buf, sizeof buf, "%s1 2 3\n", BVH_SIMPLE);
    EXPECT(load_fails("extra.bvh", buf, "more values", MOMU_ERR_FORMAT), "extra values");
    EXPECT(load_fails("notbvh.bvh", "hello", "not a BVH", MOMU_ERR_FORMAT), "not a BVH");
    EXPECT(load_fails("zero.bvh", "HIERARCHY ROOT r { OFFSET 0 0 0 CHANNELS 3 Xrotation Yrotation Zrotation } MOTION "
                      "Frames: 1 Frame Time: 0 0 0 0", "Frame Time", MOMU_ERR_FORMAT), "zero frame time");
    EXPECT(load_fails("chn.bvh", "HIERARCHY ROOT r { OFFSET 0 0 0 CHANNELS 7 Xrotation } MOTION Frames: 1 "
                      "Frame Time: 0.1 0", "CHANNELS", MOMU_ERR_FORMAT), "channel count");
    EXPECT(load_fails("empty.bvh", "", NULL, 0), "empty file");
}

/* Fault injection (SQLite style): every truncation and 300 random byte corruptions of a valid file must
 * either load (finite positions) or fail with a message naming the file; never crash (run under ASan). */
TEST(bvh_fuzz_truncate_corrupt) {
    const char *p = tmp_path("fuzz.bvh");
    size_t n = strlen(BVH_SIMPLE);
    char buf[1024];
    int bad = 0;
    momu_rng g;
    momu_rng_seed(&g, 11);
    for (size_t it = 0; it < n + 300; it++) {
        size_t len = n;
        memcpy(buf, BVH_SIMPLE, n);
        if (it < n) len = it;
        else {
            static const char ALPH[] = "0123456789.-eE{} \nXYZrotationpsMOTIONFrames:Time";
            for (int k = 0; k < 3; k++) buf[momu_rng_below(&g, n)] = ALPH[momu_rng_below(&g, sizeof ALPH - 1)];
        }
        FILE *f = fopen(p, "wb");
        fwrite(buf, 1, len, f);
        fclose(f);
        momu_motion m;
        momu_err e = {0};
        if (momu_motion_load(p, &m, &e) == MOMU_OK) {
            for (size_t i = 0; i < m.n_frames * m.n_joints * 3; i++) bad += !isfinite(m.pos[i]);
            momu_motion_free(&m);
        } else {
            bad += !strstr(e.msg, p);
        }
    }
    EXPECT(bad == 0, "%d bad outcomes", bad);
}

/* ---- writer round trip on a synthetic DwM skeleton with constant bone lengths ---------------------- */

/* 25-joint kinematic tree (the writer's DwM plan): 23 = neck, 24 = head. Rest offsets are arbitrary but
 * 3/12 and 0/1 are exactly opposite about neck/head, so that the midpoints stay the virtual joints. */
static const int SYN_PAR[25] = {24, 24, -1, 23, 3, 4, 5, 2, 7, 8, 9, 9, 23, 12, 13, 14, 2, 16, 17, 18, 18, 14, 6, 2, 23};
static const float SYN_OFF[25][3] = {
    {-5, 1, 0}, {5, -1, 0}, {0, 0, 0}, {-14, 1, 1}, {-3, -27, 2}, {1, -12, 1}, {0, -14, 2}, {-10, -12, 2},
    {1, -52, 3}, {0, -40, -2}, {0, -8, -8}, {0, -7, 15}, {14, -1, -1}, {3, -27, 2}, {-1, -13, 1}, {0, -12, 2},
    {10, -12, 2}, {-1, -52, 3}, {0, -40, -2}, {0, -8, -8}, {0, -7, 15}, {2, -5, 1}, {1, -4, 2}, {0, 40, -3},
    {0, 18, 2}};

static void m3mul(double *c, const double *a, const double *b) {
    double t[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) t[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j];
    memcpy(c, t, sizeof t);
}

static void make_synthetic_dwm(momu_motion *m, size_t T) {
    momu_err e = {0};
    momu_motion_alloc(m, T, 23, 25.0f, &e);
    momu_skeleton_dwm(&m->skel, &e);
    static const int ORDER[25] = {2, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 23, 3, 4, 5, 6, 22, 12, 13, 14, 15, 21, 24, 0, 1};
    static const int zxy[3] = {2, 0, 1};
    for (size_t t = 0; t < T; t++) {
        double G[25][9], P[25][3];
        for (int k = 0; k < 25; k++) {
            int j = ORDER[k];
            double d[3], L[9];
            for (int c = 0; c < 3; c++) /* varied, smooth, large rotations */
                d[c] = (j == 2 ? 170.0 : 60.0) * sin(0.05 * (double)t * (1 + 0.37 * c) + j * 1.3 + c * 2.1);
            momu_euler_to_matrix(zxy, d, L);
            if (SYN_PAR[j] < 0) {
                memcpy(G[j], L, sizeof L);
                P[j][0] = 30 * sin(0.02 * (double)t);
                P[j][1] = 100 + 5 * sin(0.1 * (double)t);
                P[j][2] = 2.0 * (double)t;
            } else {
                int q = SYN_PAR[j];
                for (int c = 0; c < 3; c++)
                    P[j][c] = P[q][c] + G[q][c * 3] * SYN_OFF[j][0] + G[q][c * 3 + 1] * SYN_OFF[j][1] + G[q][c * 3 + 2] * SYN_OFF[j][2];
                m3mul(G[j], G[q], L);
            }
        }
        for (int j = 0; j < 23; j++)
            for (int c = 0; c < 3; c++) m->pos[(t * 23 + (size_t)j) * 3 + c] = (float)P[j][c];
    }
}

static double max_dist(const momu_motion *a, const momu_motion *b, double *mean) {
    double mx = 0, s = 0;
    size_t n = a->n_frames * a->n_joints;
    for (size_t i = 0; i < n; i++) {
        double dx = a->pos[i * 3] - b->pos[i * 3], dy = a->pos[i * 3 + 1] - b->pos[i * 3 + 1], dz = a->pos[i * 3 + 2] - b->pos[i * 3 + 2];
        double d = sqrt(dx * dx + dy * dy + dz * dz);
        mx = fmax(mx, d);
        s += d;
    }
    if (mean) *mean = s / (double)n;
    return mx;
}

/* Constant bone lengths: FK of the written BVH reproduces the input within 1 mm (target of the brief;
 * measured ~1e-4 cm, limited by the 6 decimals written). */
TEST(bvh_write_roundtrip_dwm_synthetic) {
    momu_motion m, back, raw;
    make_synthetic_dwm(&m, 120);
    const char *p = tmp_path("syn.bvh");
    momu_err e = {0};
    EXPECT(momu_motion_save(p, &m, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_motion_load(p, &back, &e) == MOMU_OK, "%s", e.msg);
    if (e.status) { momu_motion_free(&m); return; }
    EXPECT(back.n_frames == 120 && back.n_joints == 23 && momu_skeleton_is_dwm(&back.skel), "mapped back to DwM");
    EXPECT(fabs(back.fps - 25.0f) < 1e-4, "fps %g", (double)back.fps);
    double mean, mx = max_dist(&m, &back, &mean);
    EXPECT(mx < 0.1, "max FK error %g cm (mean %g), want < 1 mm", mx, mean);
    if (getenv("MOMU_TEST_VERBOSE")) fprintf(stderr, "  synthetic DwM BVH round trip: max %.3g cm, mean %.3g cm\n", mx, mean);
    /* raw reading: 23 points + neck + head + an End Site per leaf: 0 1 10 11 19 20 21 22 and 15 (unless
     * 21 hangs from 15: in this rigid synthetic figure both 14 and 15 keep a constant distance to 21) */
    EXPECT(momu_bvh_load_raw(p, &raw, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(raw.n_joints == 25 + 9 || raw.n_joints == 25 + 8, "raw joints %zu", raw.n_joints);
    int neck = momu_skeleton_find(&raw.skel, "neck");
    EXPECT(neck >= 0, "virtual neck present");
    if (neck >= 0) {
        float mid = 0.5f * (m.pos[3 * 3] + m.pos[12 * 3]);
        EXPECT(fabsf(raw.pos[(size_t)neck * 3] - mid) < 1e-2f, "neck is mid-shoulders: %g vs %g", (double)raw.pos[neck * 3], (double)mid);
    }
    momu_motion_free(&raw);
    momu_motion_free(&back);
    /* the mirrored figure has the other handedness: the rest pose follows it and stays exact */
    EXPECT(momu_motion_mirror(&m, momu_dwm_mirror_map(), &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_motion_save(p, &m, &e) == MOMU_OK && momu_motion_load(p, &back, &e) == MOMU_OK, "%s", e.msg);
    if (!e.status) {
        mx = max_dist(&m, &back, &mean);
        EXPECT(mx < 0.1, "mirrored: max FK error %g cm (mean %g)", mx, mean);
        momu_motion_free(&back);
    }
    momu_motion_free(&m);
}

/* Varying bone lengths: no exact reproduction, but the error stays about the length change (no
 * accumulation down the chains): scale bone vectors by up to +-5 %. */
TEST(bvh_write_varying_lengths_bounded) {
    momu_motion m, back;
    make_synthetic_dwm(&m, 60);
    for (size_t t = 0; t < 60; t++) /* stretch everything about the root by a time-varying 1 +- 0.03 */
        for (size_t j = 0; j < 23; j++)
            for (int c = 0; c < 3; c++) {
                float *r = m.pos + t * 23 * 3 + 2 * 3, *x = m.pos + (t * 23 + j) * 3;
                if (j != 2) x[c] = r[c] + (x[c] - r[c]) * (float)(1 + 0.03 * sin(0.3 * (double)t));
            }
    const char *p = tmp_path("syn2.bvh");
    momu_err e = {0};
    EXPECT(momu_motion_save(p, &m, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_motion_load(p, &back, &e) == MOMU_OK, "%s", e.msg);
    if (!e.status) {
        double mean, mx = max_dist(&m, &back, &mean);
        /* the farthest point is ~110 cm from the root: 3 % stretch moves it ~3.3 cm */
        EXPECT(mx < 4.5 && mean < 2.0, "max %g mean %g cm", mx, mean);
        momu_motion_free(&back);
    }
    /* stretch mode: position channels on every joint reproduce the varying lengths */
    EXPECT(momu_bvh_save(p, &m, 1, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_motion_load(p, &back, &e) == MOMU_OK, "%s", e.msg);
    if (!e.status) {
        double mean, mx = max_dist(&m, &back, &mean);
        EXPECT(mx < 1e-3, "stretch: max %g mean %g cm", mx, mean);
        momu_motion_free(&back);
    }
    momu_motion_free(&m);
}

/* A general tree from JSON (parents, no DwM names) round-trips through BVH too. */
TEST(bvh_write_general_tree) {
    const char *pj = tmp_path("tree.json"), *pb = tmp_path("tree.bvh");
    /* root 0, chain 0-1-2 and branch 0-3; positions: a rigid body rotating about y and translating */
    momu_motion m;
    momu_err e = {0};
    momu_motion_alloc(&m, 30, 4, 30.0f, &e);
    m.skel.parent = malloc(4 * sizeof(int));
    int par[4] = {-1, 0, 1, 0};
    memcpy(m.skel.parent, par, sizeof par);
    float rest[4][3] = {{0, 0, 0}, {0, 10, 0}, {5, 10, 0}, {0, -3, 4}};
    for (size_t t = 0; t < 30; t++) {
        double a = 0.2 * (double)t, c = cos(a), s = sin(a), bend = 0.5 * sin(0.3 * (double)t);
        for (int j = 0; j < 4; j++) {
            double x = rest[j][0], y = rest[j][1], z = rest[j][2];
            if (j == 2) { /* bend joint 1: rotate (5,0,0) about z by bend */
                x = 5 * cos(bend);
                y = 10 + 5 * sin(bend);
            }
            float *o = m.pos + (t * 4 + (size_t)j) * 3;
            o[0] = (float)(c * x + s * z + t);
            o[1] = (float)(y + 50);
            o[2] = (float)(-s * x + c * z);
        }
    }
    EXPECT(momu_motion_save(pj, &m, &e) == MOMU_OK, "%s", e.msg);
    momu_motion j2, back;
    EXPECT(momu_motion_load(pj, &j2, &e) == MOMU_OK, "%s", e.msg);
    if (e.status) { momu_motion_free(&m); return; }
    EXPECT(j2.skel.parent && j2.skel.parent[3] == 0 && !j2.skel.names, "parents from JSON");
    EXPECT(momu_motion_save(pb, &j2, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_motion_load(pb, &back, &e) == MOMU_OK, "%s", e.msg);
    if (!e.status) {
        /* joints 2 and 3 are leaves: written as JOINT + End Site; the reader returns 4 + 2 joints */
        EXPECT(back.n_joints == 6, "joints %zu", back.n_joints);
        /* BVH order is depth first (joint0 joint1 joint2 joint2_end joint3 joint3_end): match by name */
        double worst = 0;
        for (size_t j = 0; j < 4; j++) {
            char nm[16];
            snprintf(nm, sizeof nm, "joint%zu", j);
            int k = momu_skeleton_find(&back.skel, nm);
            EXPECT(k >= 0, "%s missing", nm);
            if (k < 0) continue;
            for (size_t t = 0; t < 30; t++)
                for (int c = 0; c < 3; c++)
                    worst = fmax(worst, fabs(back.pos[(t * 6 + (size_t)k) * 3 + c] - m.pos[(t * 4 + j) * 3 + c]));
        }
        EXPECT(worst < 0.01, "max abs error %g cm", worst);
        EXPECT(fabs(back.fps - 30.0f) < 1e-3, "fps %g", (double)back.fps);
        momu_motion_free(&back);
    }
    /* no tree: refused with a clear message */
    free(j2.skel.parent);
    j2.skel.parent = NULL;
    momu_err_clear(&e);
    EXPECT(momu_motion_save(pb, &j2, &e) == MOMU_ERR_ARG && strstr(e.msg, "tree"), "%s", e.msg);
    momu_motion_free(&j2);
    momu_motion_free(&m);
}

int main(void) {
    RUN(euler_axis_convention);
    RUN(euler_roundtrip_all_orders);
    RUN(bvh_read_hand_fk);
    RUN(bvh_read_position_channels_and_orders);
    RUN(bvh_rejects_bad_files);
    RUN(bvh_fuzz_truncate_corrupt);
    RUN(bvh_write_roundtrip_dwm_synthetic);
    RUN(bvh_write_varying_lengths_bounded);
    RUN(bvh_write_general_tree);
    return test_summary();
}
