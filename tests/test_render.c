/* Tests of the preview renderer's pure parts (src/render/raster.c, scene.c): anti-aliased lines, blending,
 * projection, PNG bytes, and that the stick figure, head, beat flash and ring land where they should.
 * tests/cli_render.sh covers the ffmpeg path. */
#include <stdint.h>

#include "momu/render.h"
#include "momu/synth.h"
#include "test.h"

static const uint8_t WHITE[3] = {255, 255, 255}, BLACK[3] = {0, 0, 0};

static const uint8_t *px(const momu_image *im, size_t x, size_t y) { return im->rgb + (y * im->width + x) * 3; }

static double seg_dist(double px_, double py, double x0, double y0, double x1, double y1) {
    double dx = x1 - x0, dy = y1 - y0, t = ((px_ - x0) * dx + (py - y0) * dy) / (dx * dx + dy * dy);
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return hypot(px_ - x0 - t * dx, py - y0 - t * dy);
}

TEST(line_pixels_where_expected) {
    momu_image im;
    momu_err e = {0};
    EXPECT(momu_image_init(&im, 64, 48, &e) == MOMU_OK, "%s", e.msg);
    momu_image_fill(&im, BLACK);
    momu_draw_line(&im, 10.0, 20.0, 50.0, 20.0, 2.0, WHITE, 1.0);
    for (size_t x = 11; x < 50; x++) {
        for (size_t y = 18; y <= 21; y++) EXPECT(px(&im, x, y)[0] == 255, "(%zu,%zu) = %d, expected 255", x, y, px(&im, x, y)[0]);
        EXPECT(px(&im, x, 17)[0] == 0 && px(&im, x, 22)[0] == 0, "(%zu, 17/22) set", x);
    }
    EXPECT(px(&im, 30, 5)[0] == 0 && px(&im, 60, 20)[0] == 0, "far pixels set");
    /* round cap: centre (8.5, 19.5) lies 1.58 from the end point: coverage 2.5 - 1.58 = 0.92 */
    EXPECT(abs(px(&im, 8, 19)[0] - 234) <= 1, "cap pixel %d, expected ~234", px(&im, 8, 19)[0]);
    momu_image_free(&im);
}

TEST(line_antialias_bounds) {
    momu_image im;
    momu_err e = {0};
    EXPECT(momu_image_init(&im, 48, 40, &e) == MOMU_OK, "%s", e.msg);
    momu_image_fill(&im, BLACK);
    const double x0 = 5.3, y0 = 7.1, x1 = 40.7, y1 = 30.2, hw = 1.5;
    momu_draw_line(&im, x0, y0, x1, y1, hw, WHITE, 1.0);
    size_t n_full = 0, n_part = 0;
    for (size_t y = 0; y < im.height; y++)
        for (size_t x = 0; x < im.width; x++) {
            double d = seg_dist(x + 0.5, y + 0.5, x0, y0, x1, y1), cov = hw + 0.5 - d;
            cov = cov < 0 ? 0 : cov > 1 ? 1 : cov;
            int v = px(&im, x, y)[0];
            EXPECT(fabs(v - 255.0 * cov) <= 0.51, "(%zu,%zu) d %.3f: %d, expected %.1f", x, y, d, v, 255.0 * cov);
            if (d <= hw - 0.5) EXPECT(v == 255, "inside pixel (%zu,%zu) = %d", x, y, v);
            if (d >= hw + 0.5) EXPECT(v == 0, "outside pixel (%zu,%zu) = %d", x, y, v);
            n_full += v == 255;
            n_part += v > 0 && v < 255;
        }
    EXPECT(n_full > 50 && n_part > 50, "full %zu partial %zu: no anti-aliasing?", n_full, n_part);
    momu_image_free(&im);
}

TEST(blend_and_shapes) {
    momu_image im;
    momu_err e = {0};
    EXPECT(momu_image_init(&im, 32, 32, &e) == MOMU_OK, "%s", e.msg);
    const uint8_t grey[3] = {100, 100, 100}, red[3] = {255, 0, 0};
    momu_image_fill(&im, grey);
    momu_draw_disc(&im, 16.0, 16.0, 5.0, red, 0.5);
    const uint8_t *c = px(&im, 16, 16);
    EXPECT(c[0] == 178 && c[1] == 50 && c[2] == 50, "half red on grey: %d %d %d", c[0], c[1], c[2]);
    EXPECT(px(&im, 16, 25)[0] == 100, "outside the disc changed");
    momu_image_fill(&im, BLACK);
    momu_draw_ring(&im, 16.0, 16.0, 8.0, 1.0, WHITE, 1.0);
    /* (24, 15): centre 8.515 from the middle, coverage 1.5 - 0.515 -> 251 */
    EXPECT(px(&im, 16, 16)[0] == 0 && px(&im, 24, 15)[0] == 251 && px(&im, 15, 7)[0] == 251, "ring %d %d %d",
           px(&im, 16, 16)[0], px(&im, 24, 15)[0], px(&im, 15, 7)[0]);
    momu_image_fill(&im, BLACK);
    momu_draw_rect(&im, 2.0, 3.0, 10.5, 6.0, WHITE, 1.0);
    EXPECT(px(&im, 2, 3)[0] == 255 && px(&im, 9, 5)[0] == 255 && px(&im, 10, 4)[0] == 128 && px(&im, 11, 4)[0] == 0 &&
           px(&im, 5, 6)[0] == 0, "rect %d %d %d", px(&im, 2, 3)[0], px(&im, 10, 4)[0], px(&im, 5, 6)[0]);
    /* a closed polyline square: each pixel blended once (corners not darker than edges) */
    momu_image_fill(&im, BLACK);
    double sq[8] = {5, 5, 25, 5, 25, 25, 5, 25};
    momu_draw_polyline(&im, sq, 4, 1, 1.0, WHITE, 0.5);
    EXPECT(px(&im, 5, 5)[0] == px(&im, 14, 4)[0] && px(&im, 14, 4)[0] == 128, "corner %d edge %d", px(&im, 5, 5)[0],
           px(&im, 14, 4)[0]);
    EXPECT(px(&im, 4, 4)[0] == 101, "outer corner %d, expected 0.5 * (1.5 - 0.707) * 255", px(&im, 4, 4)[0]);
    EXPECT(px(&im, 15, 15)[0] == 0, "inside of the square set");
    momu_image_free(&im);
    EXPECT(momu_image_init(&im, 0, 10, &e) == MOMU_ERR_ARG && strstr(e.msg, "width"), "%s", e.msg);
}

TEST(camera_projection) {
    momu_camera c = {{0, 0, 10}, {0, 0, 0}, 90.0, 100, 100, 0.1};
    double x, y, d, p0[3] = {0, 0, 0}, p1[3] = {1, 0, 0}, p2[3] = {0, 2, 0}, p3[3] = {0, 0, 20}, p4[3] = {2, -1, 5};
    EXPECT(momu_camera_project(&c, p0, &x, &y, &d) && fabs(x - 50) < 1e-9 && fabs(y - 50) < 1e-9 && fabs(d - 10) < 1e-9,
           "target -> %g %g depth %g", x, y, d);
    EXPECT(momu_camera_project(&c, p1, &x, &y, NULL) && fabs(x - 55) < 1e-9 && fabs(y - 50) < 1e-9, "%g %g", x, y);
    EXPECT(momu_camera_project(&c, p2, &x, &y, NULL) && fabs(x - 50) < 1e-9 && fabs(y - 40) < 1e-9, "%g %g", x, y);
    EXPECT(momu_camera_project(&c, p4, &x, &y, NULL) && fabs(x - 70) < 1e-9 && fabs(y - 60) < 1e-9, "%g %g", x, y);
    EXPECT(!momu_camera_project(&c, p3, &x, &y, &d) && fabs(d + 10) < 1e-9, "behind the camera projected (depth %g)", d);
    /* looking along -x from +x: right is -z; fov 60 on 200 px high: focal = 100 / tan(30 deg) */
    momu_camera r = {{10, 1, 0}, {0, 1, 0}, 60.0, 300, 200, 0.1};
    double q[3] = {0, 3, -1}, f = 100.0 / tan(30.0 * 3.14159265358979323846 / 180.0);
    EXPECT(momu_camera_project(&r, q, &x, &y, NULL) && fabs(x - (150 + f * 0.1)) < 1e-9 && fabs(y - (100 - f * 0.2)) < 1e-9,
           "side view %g %g", x, y);
}

static uint32_t be32r(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* Parses a PNG written by momu_png_write (stored blocks only) and returns the unfiltered pixels. */
static int png_read_stored(const char *path, size_t *w, size_t *h, uint8_t **rgb) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (n < 8 || memcmp(buf, sig, 8)) return 0;
    size_t o = 8, zn = 0;
    uint8_t *z = malloc(n);
    while (o + 12 <= n) {
        uint32_t len = be32r(buf + o);
        if (o + 12 + len > n) { free(z); return 0; }
        if (momu_crc32(buf + o + 4, len + 4) != be32r(buf + o + 8 + len)) { free(z); return 0; }
        if (!memcmp(buf + o + 4, "IHDR", 4)) {
            *w = be32r(buf + o + 8);
            *h = be32r(buf + o + 12);
            if (buf[o + 16] != 8 || buf[o + 17] != 2) { free(z); return 0; }
        } else if (!memcmp(buf + o + 4, "IDAT", 4)) {
            memcpy(z + zn, buf + o + 8, len);
            zn += len;
        } else if (!memcmp(buf + o + 4, "IEND", 4)) break;
        o += 12 + len;
    }
    if (zn < 6 || z[0] != 0x78 || ((z[0] << 8) | z[1]) % 31) { free(z); return 0; }
    size_t raw_n = (*w * 3 + 1) * *h, r = 0, i = 2;
    uint8_t *raw = malloc(raw_n + 1);
    int final = 0;
    while (!final && i + 5 <= zn) {
        final = z[i] & 1;
        if ((z[i] >> 1) & 3) break;   /* not stored */
        size_t len = z[i + 1] | (size_t)z[i + 2] << 8, nlen = z[i + 3] | (size_t)z[i + 4] << 8;
        if ((len ^ 0xffff) != nlen || r + len > raw_n || i + 5 + len > zn) break;
        memcpy(raw + r, z + i + 5, len);
        r += len;
        i += 5 + len;
    }
    int ok = final && r == raw_n && i + 4 == zn && momu_adler32(raw, raw_n) == be32r(z + i);
    *rgb = malloc(*w * *h * 3);
    for (size_t y = 0; ok && y < *h; y++) {
        if (raw[y * (*w * 3 + 1)] != 0) ok = 0;
        memcpy(*rgb + y * *w * 3, raw + y * (*w * 3 + 1) + 1, *w * 3);
    }
    free(raw);
    free(z);
    return ok;
}

TEST(png_roundtrip) {
    EXPECT(momu_crc32((const uint8_t *)"IEND", 4) == 0xAE426082u, "crc32(IEND) %08x", momu_crc32((const uint8_t *)"IEND", 4));
    EXPECT(momu_adler32((const uint8_t *)"Wikipedia", 9) == 0x11E60398u, "adler32 %08x",
           momu_adler32((const uint8_t *)"Wikipedia", 9));
    size_t sizes[2][2] = {{3, 2}, {200, 120}};   /* the second needs two stored blocks */
    for (int s = 0; s < 2; s++) {
        momu_image im;
        momu_err e = {0};
        EXPECT(momu_image_init(&im, sizes[s][0], sizes[s][1], &e) == MOMU_OK, "%s", e.msg);
        for (size_t i = 0; i < im.width * im.height * 3; i++) im.rgb[i] = (uint8_t)(i * 7 + i / 5);
        char path[600];
        snprintf(path, sizeof path, "%s/t%d.png", test_tmpdir(), s);
        EXPECT(momu_png_write(path, &im, &e) == MOMU_OK, "%s", e.msg);
        size_t w = 0, h = 0;
        uint8_t *rgb = NULL;
        EXPECT(png_read_stored(path, &w, &h, &rgb), "%s does not parse", path);
        EXPECT(w == im.width && h == im.height && rgb && !memcmp(rgb, im.rgb, w * h * 3), "pixels differ (%zux%zu)", w, h);
        free(rgb);
        remove(path);
        momu_image_free(&im);
    }
}

/* A static 4-joint figure: root at 100 cm, neck above, feet left and right; T frames at 25 fps. */
static void make_figure(momu_motion *m, size_t T) {
    momu_err e = {0};
    EXPECT(momu_motion_alloc(m, T, 4, 25.0f, &e) == MOMU_OK, "%s", e.msg);
    m->skel.names = calloc(4, MOMU_JOINT_NAME_MAX);
    m->skel.parent = malloc(4 * sizeof(int));
    const char *names[4] = {"root", "neck", "left_foot", "right_foot"};
    const int par[4] = {-1, 0, 0, 0};
    const float p[4][3] = {{0, 100, 0}, {0, 160, 0}, {-40, 0, 0}, {40, 0, 0}};
    for (int j = 0; j < 4; j++) {
        strcpy(m->skel.names[j], names[j]);
        m->skel.parent[j] = par[j];
    }
    for (size_t t = 0; t < T; t++) memcpy(m->pos + t * 12, p, sizeof p);
}

static int near_col(const uint8_t *c, const uint8_t *ref, int tol) {
    return abs(c[0] - ref[0]) <= tol && abs(c[1] - ref[1]) <= tol && abs(c[2] - ref[2]) <= tol;
}

TEST(scene_skeleton_pixels) {
    momu_motion m = {0};
    make_figure(&m, 10);
    momu_render_opts o;
    momu_render_opts_default(&o);
    o.width = 160;
    o.height = 120;
    o.beats = MOMU_RENDER_BEATS_NONE;
    momu_render_scene *s = NULL;
    momu_err e = {0};
    EXPECT(momu_render_scene_init(&s, &m, NULL, 0, &o, &e) == MOMU_OK, "%s", e.msg);
    if (!s) { momu_motion_free(&m); return; }
    EXPECT(momu_render_scene_frames(s) == 10 && momu_render_scene_fps(s) == 25.0, "%zu frames",
           momu_render_scene_frames(s));
    momu_image im;
    EXPECT(momu_image_init(&im, 160, 120, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_render_scene_frame(s, 5, &im, &e) == MOMU_OK, "%s", e.msg);
    momu_camera c;
    momu_render_scene_camera(s, 5, &c);
    double a[3], b[3], x, y;
    const uint8_t *want[3] = {MOMU_RENDER_COL_CENTRE, MOMU_RENDER_COL_LEFT, MOMU_RENDER_COL_RIGHT};
    for (size_t j = 1; j < 4; j++) {   /* the middle of each bone root -> j has its side's colour */
        momu_render_scene_joint(s, 5, 0, a);
        momu_render_scene_joint(s, 5, j, b);
        double mid[3] = {0.5 * (a[0] + b[0]), 0.5 * (a[1] + b[1]), 0.5 * (a[2] + b[2])};
        EXPECT(momu_camera_project(&c, mid, &x, &y, NULL), "bone %zu behind the camera", j);
        const uint8_t *p = px(&im, (size_t)x, (size_t)y);
        EXPECT(near_col(p, want[j - 1], 30), "bone %zu at (%.1f, %.1f): %d %d %d", j, x, y, p[0], p[1], p[2]);
    }
    momu_render_scene_joint(s, 5, 2, a);
    EXPECT(momu_camera_project(&c, a, &x, &y, NULL) && x < 80.0, "left foot (x = -40) drawn at %.1f, not left", x);
    EXPECT(!near_col(px(&im, 4, 4), MOMU_RENDER_COL_LEFT, 60) && !near_col(px(&im, 4, 4), MOMU_RENDER_COL_CENTRE, 60),
           "corner has a bone colour");
    EXPECT(momu_render_scene_frame(s, 10, &im, &e) == MOMU_ERR_ARG && strstr(e.msg, "out of range"), "%s", e.msg);
    momu_render_scene_free(s);
    momu_image_free(&im);
    momu_motion_free(&m);
}

TEST(scene_dwm_head_and_mirror) {
    momu_motion m = {0};
    momu_err e = {0};
    EXPECT(momu_motion_alloc(&m, 5, MOMU_DWM_JOINTS, 25.0f, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_skeleton_dwm(&m.skel, &e) == MOMU_OK, "%s", e.msg);
    /* a T-ish pose, data's left side (3..11) at +x */
    const float pose[MOMU_DWM_JOINTS][3] = {
        {6, 168, 0}, {-6, 168, 0}, {0, 105, 0}, {18, 148, 0}, {40, 148, 0}, {50, 148, 0}, {62, 148, 0}, {10, 100, 0},
        {12, 52, 0}, {12, 12, 0}, {12, 5, -5}, {12, 3, 12}, {-18, 148, 0}, {-40, 148, 0}, {-50, 148, 0}, {-62, 148, 0},
        {-10, 100, 0}, {-12, 52, 0}, {-12, 12, 0}, {-12, 5, -5}, {-12, 3, 12}, {-56, 150, 4}, {56, 150, 4}};
    for (size_t t = 0; t < 5; t++) memcpy(m.pos + t * MOMU_DWM_JOINTS * 3, pose, sizeof pose);
    momu_render_opts o;
    momu_render_opts_default(&o);
    o.width = 160;
    o.height = 120;
    double beats[1] = {0.08};
    momu_render_scene *s = NULL;
    EXPECT(momu_render_scene_init(&s, &m, beats, 1, &o, &e) == MOMU_OK, "%s", e.msg);
    if (!s) { momu_motion_free(&m); return; }
    double p[3], x, y;
    momu_render_scene_joint(s, 0, 4, p);
    EXPECT(p[0] == -40.0, "DwM x not mirrored: elbow_L x %g", p[0]);
    momu_image im, im0;
    EXPECT(momu_image_init(&im, 160, 120, &e) == MOMU_OK && momu_image_init(&im0, 160, 120, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_render_scene_frame(s, 2, &im, &e) == MOMU_OK, "%s", e.msg);   /* t = 0.08: on the beat */
    EXPECT(momu_render_scene_frame(s, 1, &im0, &e) == MOMU_OK, "%s", e.msg);  /* t = 0.04: before it */
    momu_camera c;
    momu_render_scene_camera(s, 2, &c);
    double head[3] = {0, 168, 0};
    EXPECT(momu_camera_project(&c, head, &x, &y, NULL) && near_col(px(&im, (size_t)x, (size_t)y), MOMU_RENDER_COL_CENTRE, 10),
           "head at (%.1f, %.1f) not drawn", x, y);
    momu_render_scene_joint(s, 2, 4, p);   /* upper arm L: between points 3 and 4, drawn at -x */
    double q[3];
    momu_render_scene_joint(s, 2, 3, q);
    double mid[3] = {0.5 * (p[0] + q[0]), 0.5 * (p[1] + q[1]), 0.5 * (p[2] + q[2])};
    EXPECT(momu_camera_project(&c, mid, &x, &y, NULL) && x < 80.0 &&
               near_col(px(&im, (size_t)x, (size_t)y), MOMU_RENDER_COL_LEFT, 30),
           "upper arm L at (%.1f, %.1f): %d %d %d", x, y, px(&im, (size_t)x, (size_t)y)[0], px(&im, (size_t)x, (size_t)y)[1],
           px(&im, (size_t)x, (size_t)y)[2]);
    EXPECT(px(&im, 3, 3)[2] > px(&im0, 3, 3)[2] + 10, "no beat flash: %d vs %d", px(&im, 3, 3)[2], px(&im0, 3, 3)[2]);
    size_t n_ring = 0, n_ring0 = 0;
    for (size_t i = 0; i < 160 * 120; i++) {
        n_ring += near_col(im.rgb + 3 * i, MOMU_RENDER_COL_MUSIC_BEAT, 40);
        n_ring0 += near_col(im0.rgb + 3 * i, MOMU_RENDER_COL_MUSIC_BEAT, 40);
    }
    EXPECT(n_ring > 20 && n_ring0 == 0, "beat ring pixels %zu (before the beat %zu)", n_ring, n_ring0);
    momu_render_scene_free(s);
    momu_image_free(&im);
    momu_image_free(&im0);
    momu_motion_free(&m);
}

TEST(scene_rejects_bad_input) {
    momu_motion m = {0};
    make_figure(&m, 3);
    momu_render_opts o;
    momu_render_opts_default(&o);
    o.width = 4;
    momu_render_scene *s = NULL;
    momu_err e = {0};
    EXPECT(momu_render_scene_init(&s, &m, NULL, 0, &o, &e) == MOMU_ERR_ARG && strstr(e.msg, "width") && !s, "%s", e.msg);
    momu_err_clear(&e);
    momu_render_opts_default(&o);
    m.pos[4] = NAN;
    EXPECT(momu_render_scene_init(&s, &m, NULL, 0, &o, &e) != MOMU_OK && !s, "NaN motion accepted");
    EXPECT(momu_render_beats_from_name("motion") == MOMU_RENDER_BEATS_MOTION &&
               momu_render_beats_from_name("x") == MOMU_RENDER_BEATS_COUNT, "beats names");
    momu_motion_free(&m);
}

/* momu_render_video_samples with the demo song: an MP4 appears (ffmpeg needed; skipped without it). */
TEST(video_from_samples) {
    if (system("command -v ffmpeg >/dev/null 2>&1") != 0) { printf("  skipped: no ffmpeg\n"); return; }
    momu_motion m = {0};
    make_figure(&m, 25);
    float *x = NULL;
    size_t n;
    momu_err e = {0};
    EXPECT(momu_synth_song(1.0, 120.0, 1, 16000, &x, &n, NULL, NULL, &e) == MOMU_OK, "%s", e.msg);
    momu_render_opts o;
    momu_render_opts_default(&o);
    o.width = 64;
    o.height = 48;
    char path[600];
    snprintf(path, sizeof path, "%s/v.mp4", test_tmpdir());
    momu_verbosity = 0;   /* no progress line in the test output */
    EXPECT(momu_render_video_samples(path, &m, x, n, 16000, &o, &e) == MOMU_OK, "%s", e.msg);
    FILE *f = fopen(path, "rb");
    EXPECT(f != NULL, "%s missing", path);
    if (f) {
        char head[12] = {0};
        EXPECT(fread(head, 1, 12, f) == 12 && !memcmp(head + 4, "ftyp", 4), "%s is not an MP4", path);
        fclose(f);
    }
    remove(path);
    o.width = 63;
    momu_err_clear(&e);
    EXPECT(momu_render_video_samples(path, &m, x, n, 16000, &o, &e) == MOMU_ERR_ARG && strstr(e.msg, "even"), "%s", e.msg);
    free(x);
    momu_motion_free(&m);
}

int main(void) {
    RUN(line_pixels_where_expected);
    RUN(line_antialias_bounds);
    RUN(blend_and_shapes);
    RUN(camera_projection);
    RUN(png_roundtrip);
    RUN(scene_skeleton_pixels);
    RUN(scene_dwm_head_and_mirror);
    RUN(scene_rejects_bad_input);
    RUN(video_from_samples);
    return test_summary();
}
