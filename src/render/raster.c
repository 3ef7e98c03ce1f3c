/* momu render — framebuffer, anti-aliased primitives by signed distance, PNG writer, pinhole camera.
 * Conventions in include/momu/render.h: pixel (i, j) has its centre at (i + 0.5, j + 0.5), y down. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "momu/render.h"

#define IMAGE_MAX_SIDE 16384
#define PI 3.14159265358979323846

momu_status momu_image_init(momu_image *im, size_t width, size_t height, momu_err *e) {
    memset(im, 0, sizeof *im);
    if (width < 1 || height < 1 || width > IMAGE_MAX_SIDE || height > IMAGE_MAX_SIDE)
        return momu_fail(e, MOMU_ERR_ARG, "image size %zux%zu: width and height must be in 1..%d", width, height,
                         IMAGE_MAX_SIDE);
    im->rgb = momu_calloc_array(width * height, 3, e);
    if (!im->rgb) return MOMU_ERR_OOM;
    im->width = width;
    im->height = height;
    return MOMU_OK;
}

void momu_image_free(momu_image *im) {
    if (!im) return;
    free(im->rgb);
    im->rgb = NULL;
    im->width = im->height = 0;
}

void momu_image_fill(momu_image *im, const uint8_t rgb[3]) {
    size_t n = im->width * im->height;
    for (size_t i = 0; i < n; i++) memcpy(im->rgb + 3 * i, rgb, 3);
}

void momu_image_gradient(momu_image *im, const uint8_t top[3], const uint8_t bottom[3]) {
    for (size_t y = 0; y < im->height; y++) {
        double f = im->height > 1 ? (double)y / (double)(im->height - 1) : 0.0;
        uint8_t c[3];
        for (int k = 0; k < 3; k++) c[k] = (uint8_t)lround(top[k] + f * (bottom[k] - top[k]));
        uint8_t *row = im->rgb + y * im->width * 3;
        for (size_t x = 0; x < im->width; x++) memcpy(row + 3 * x, c, 3);
    }
}

static inline void blend(uint8_t *px, const uint8_t rgb[3], double a) {
    if (a <= 0.0) return;
    if (a >= 1.0) { memcpy(px, rgb, 3); return; }
    for (int k = 0; k < 3; k++) {
        double v = px[k] + a * ((double)rgb[k] - px[k]);
        px[k] = (uint8_t)(v + 0.5);
    }
}

/* Clamped integer pixel range covering [lo, hi) in continuous coordinates; returns 0 if empty. */
static int pixel_range(double lo, double hi, size_t n, size_t *i0, size_t *i1) {
    if (!(hi > 0.0) || !(lo < (double)n)) return 0;
    double a = floor(lo), b = ceil(hi);
    *i0 = a < 0.0 ? 0 : (size_t)a;
    *i1 = b > (double)n ? n : (size_t)b;
    return *i0 < *i1;
}

static inline double clamp01(double v) { return v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v; }

void momu_draw_line(momu_image *im, double x0, double y0, double x1, double y1, double hw, const uint8_t rgb[3],
                    double alpha) {
    if (!(alpha > 0.0) || !(hw > 0.0) || !isfinite(x0) || !isfinite(y0) || !isfinite(x1) || !isfinite(y1)) return;
    double r = hw + 0.5;
    size_t ix0, ix1, iy0, iy1;
    if (!pixel_range(fmin(x0, x1) - r, fmax(x0, x1) + r, im->width, &ix0, &ix1)) return;
    if (!pixel_range(fmin(y0, y1) - r, fmax(y0, y1) + r, im->height, &iy0, &iy1)) return;
    double dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy, len = sqrt(len2);
    for (size_t y = iy0; y < iy1; y++) {
        double py = (double)y + 0.5 - y0;
        uint8_t *row = im->rgb + y * im->width * 3;
        size_t xa = ix0, xb = ix1;
        if (fabs(dy) > 1e-6 * len) {
            /* pixels within r of the segment are within r of its line: |dx py - dy px| <= r len, an interval in
             * px = x + 0.5 - x0 (a superset of the capsule's row, so nothing is lost) */
            double u0 = (dx * py - r * len) / dy, u1 = (dx * py + r * len) / dy;
            double lo = x0 + fmin(u0, u1) - 0.5, hi = x0 + fmax(u0, u1) - 0.5;
            if (hi < (double)ix0 || lo >= (double)ix1) continue;
            if (lo > (double)xa) xa = (size_t)floor(lo);
            if (hi + 1.0 < (double)xb) xb = (size_t)ceil(hi) + 1;
        }
        for (size_t x = xa; x < xb; x++) {
            double px = (double)x + 0.5 - x0;
            double t = len2 > 0.0 ? (px * dx + py * dy) / len2 : 0.0;
            t = clamp01(t);
            double ex = px - t * dx, ey = py - t * dy;
            double d = sqrt(ex * ex + ey * ey);
            double cov = clamp01(r - d);
            if (cov > 0.0) blend(row + 3 * x, rgb, alpha * cov);
        }
    }
}

void momu_draw_polyline(momu_image *im, const double *xy, size_t n, int closed, double hw, const uint8_t rgb[3],
                        double alpha) {
    if (!(alpha > 0.0) || !(hw > 0.0) || n < 1) return;
    double r = hw + 0.5, lo_x = HUGE_VAL, hi_x = -HUGE_VAL, lo_y = HUGE_VAL, hi_y = -HUGE_VAL;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(xy[2 * i]) || !isfinite(xy[2 * i + 1])) return;
        lo_x = fmin(lo_x, xy[2 * i]); hi_x = fmax(hi_x, xy[2 * i]);
        lo_y = fmin(lo_y, xy[2 * i + 1]); hi_y = fmax(hi_y, xy[2 * i + 1]);
    }
    size_t ix0, ix1, iy0, iy1;
    if (!pixel_range(lo_x - r, hi_x + r, im->width, &ix0, &ix1)) return;
    if (!pixel_range(lo_y - r, hi_y + r, im->height, &iy0, &iy1)) return;
    size_t n_seg = closed ? n : (n > 1 ? n - 1 : 1), bw = ix1 - ix0, bh = iy1 - iy0;
    /* coverage of the nearest segment = max over segments of each one's coverage; each segment visits only its
     * own bounding box, then every pixel is blended once */
    float *cov = calloc(bw * bh, sizeof(float));
    if (!cov) return;   /* drawing is best effort: nothing drawn when out of memory */
    for (size_t i = 0; i < n_seg; i++) {
        size_t i1 = n > 1 ? (i + 1) % n : i;
        double x0 = xy[2 * i], y0 = xy[2 * i + 1], dx = xy[2 * i1] - x0, dy = xy[2 * i1 + 1] - y0;
        double len2 = dx * dx + dy * dy;
        size_t sx0, sx1, sy0, sy1;
        if (!pixel_range(fmin(x0, x0 + dx) - r, fmax(x0, x0 + dx) + r, im->width, &sx0, &sx1)) continue;
        if (!pixel_range(fmin(y0, y0 + dy) - r, fmax(y0, y0 + dy) + r, im->height, &sy0, &sy1)) continue;
        for (size_t y = sy0; y < sy1; y++) {
            double py = (double)y + 0.5 - y0;
            float *crow = cov + (y - iy0) * bw;
            for (size_t x = sx0; x < sx1; x++) {
                double px = (double)x + 0.5 - x0;
                double t = len2 > 0.0 ? clamp01((px * dx + py * dy) / len2) : 0.0;
                double ex = px - t * dx, ey = py - t * dy;
                float c = (float)clamp01(r - sqrt(ex * ex + ey * ey));
                if (c > crow[x - ix0]) crow[x - ix0] = c;
            }
        }
    }
    for (size_t y = iy0; y < iy1; y++) {
        uint8_t *row = im->rgb + y * im->width * 3;
        const float *crow = cov + (y - iy0) * bw;
        for (size_t x = ix0; x < ix1; x++)
            if (crow[x - ix0] > 0.0f) blend(row + 3 * x, rgb, alpha * crow[x - ix0]);
    }
    free(cov);
}

void momu_draw_disc(momu_image *im, double cx, double cy, double radius, const uint8_t rgb[3], double alpha) {
    momu_draw_line(im, cx, cy, cx, cy, radius, rgb, alpha);
}

void momu_draw_ring(momu_image *im, double cx, double cy, double radius, double hw, const uint8_t rgb[3],
                    double alpha) {
    if (!(alpha > 0.0) || !(hw > 0.0) || !(radius >= 0.0) || !isfinite(cx) || !isfinite(cy)) return;
    double r = radius + hw + 0.5;
    size_t ix0, ix1, iy0, iy1;
    if (!pixel_range(cx - r, cx + r, im->width, &ix0, &ix1)) return;
    if (!pixel_range(cy - r, cy + r, im->height, &iy0, &iy1)) return;
    for (size_t y = iy0; y < iy1; y++) {
        double py = (double)y + 0.5 - cy;
        uint8_t *row = im->rgb + y * im->width * 3;
        for (size_t x = ix0; x < ix1; x++) {
            double px = (double)x + 0.5 - cx;
            double d = fabs(sqrt(px * px + py * py) - radius);
            double cov = clamp01(hw + 0.5 - d);
            if (cov > 0.0) blend(row + 3 * x, rgb, alpha * cov);
        }
    }
}

void momu_draw_rect(momu_image *im, double x0, double y0, double x1, double y1, const uint8_t rgb[3],
                    double alpha) {
    if (!(alpha > 0.0) || !(x1 > x0) || !(y1 > y0)) return;
    size_t ix0, ix1, iy0, iy1;
    if (!pixel_range(x0, x1, im->width, &ix0, &ix1) || !pixel_range(y0, y1, im->height, &iy0, &iy1)) return;
    for (size_t y = iy0; y < iy1; y++) {
        double cy = clamp01(fmin((double)y + 1, y1) - fmax((double)y, y0));
        uint8_t *row = im->rgb + y * im->width * 3;
        for (size_t x = ix0; x < ix1; x++) {
            double cx = clamp01(fmin((double)x + 1, x1) - fmax((double)x, x0));
            blend(row + 3 * x, rgb, alpha * cx * cy);
        }
    }
}

/* ---- PNG (ISO/IEC 15948): signature, IHDR, IDAT (zlib stream of stored deflate blocks), IEND ---------- */
/* The table is built per call (256 entries, no shared state: reentrant). */
static void crc_make(uint32_t t[256]) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        t[n] = c;
    }
}

static uint32_t crc_update(const uint32_t t[256], uint32_t crc, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) crc = t[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return crc;
}

uint32_t momu_crc32(const uint8_t *p, size_t n) {
    uint32_t t[256];
    crc_make(t);
    return crc_update(t, 0xffffffffu, p, n) ^ 0xffffffffu;
}

uint32_t momu_adler32(const uint8_t *p, size_t n) {
    uint32_t a = 1, b = 0;
    while (n) {
        size_t k = n < 5552 ? n : 5552;   /* zlib's NMAX: no overflow of b before the modulo */
        n -= k;
        while (k--) { a += *p++; b += a; }
        a %= 65521u;
        b %= 65521u;
    }
    return (b << 16) | a;
}

static void be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static int png_chunk(FILE *f, const uint32_t t[256], const char type[4], const uint8_t *data, size_t n) {
    uint8_t h[8];
    be32(h, (uint32_t)n);
    memcpy(h + 4, type, 4);
    uint32_t crc = crc_update(t, 0xffffffffu, (const uint8_t *)type, 4);
    crc = crc_update(t, crc, data, n) ^ 0xffffffffu;
    uint8_t tail[4];
    be32(tail, crc);
    return fwrite(h, 1, 8, f) == 8 && (n == 0 || fwrite(data, 1, n, f) == n) && fwrite(tail, 1, 4, f) == 4;
}

momu_status momu_png_write(const char *path, const momu_image *im, momu_err *e) {
    if (!im || !im->rgb || !im->width || !im->height) return momu_fail(e, MOMU_ERR_ARG, "%s: empty image", path);
    size_t stride = im->width * 3 + 1, raw_n = stride * im->height;
    size_t n_blocks = (raw_n + 65534) / 65535;
    size_t z_n = 2 + raw_n + 5 * n_blocks + 4;
    if (z_n > 0x7fffffffu) return momu_fail(e, MOMU_ERR_RANGE, "%s: image too large for one PNG chunk", path);
    uint8_t *raw = momu_malloc_array(raw_n, 1, e), *z = momu_malloc_array(z_n, 1, e);
    if (!raw || !z) { free(raw); free(z); return MOMU_ERR_OOM; }
    for (size_t y = 0; y < im->height; y++) {
        raw[y * stride] = 0;   /* filter type None */
        memcpy(raw + y * stride + 1, im->rgb + y * im->width * 3, im->width * 3);
    }
    size_t o = 0;
    z[o++] = 0x78;   /* CM 8 (deflate), CINFO 7 (32K window) */
    z[o++] = 0x01;   /* FLEVEL 0, FCHECK so that 0x7801 % 31 == 0 */
    for (size_t i = 0; i < raw_n; i += 65535) {
        size_t len = raw_n - i < 65535 ? raw_n - i : 65535;
        z[o++] = i + len == raw_n ? 1 : 0;   /* BFINAL, BTYPE 00 (stored) */
        z[o++] = (uint8_t)len; z[o++] = (uint8_t)(len >> 8);
        z[o++] = (uint8_t)~len; z[o++] = (uint8_t)(~len >> 8);
        memcpy(z + o, raw + i, len);
        o += len;
    }
    be32(z + o, momu_adler32(raw, raw_n));
    o += 4;
    free(raw);
    uint8_t ihdr[13];
    be32(ihdr, (uint32_t)im->width);
    be32(ihdr + 4, (uint32_t)im->height);
    ihdr[8] = 8;    /* bit depth */
    ihdr[9] = 2;    /* colour type RGB */
    ihdr[10] = ihdr[11] = ihdr[12] = 0;
    momu_atomic a;
    if (momu_atomic_open(&a, path, e)) { free(z); return e ? e->status : MOMU_ERR_IO; }
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    uint32_t t[256];
    crc_make(t);
    int ok = fwrite(sig, 1, 8, a.f) == 8 && png_chunk(a.f, t, "IHDR", ihdr, 13) &&
             png_chunk(a.f, t, "IDAT", z, o) && png_chunk(a.f, t, "IEND", NULL, 0);
    free(z);
    if (!ok) {
        momu_atomic_abort(&a);
        return momu_fail(e, MOMU_ERR_IO, "%s: write failed", path);
    }
    return momu_atomic_commit(&a, e);
}

/* ---- camera ----------------------------------------------------------------------------------------- */
static void normalise3(double v[3]) {
    double n = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    if (n > 0.0) { v[0] /= n; v[1] /= n; v[2] /= n; }
}

int momu_camera_project(const momu_camera *c, const double p[3], double *sx, double *sy, double *depth) {
    /* look-at basis: f forward, r = f x up (right), u = r x f */
    double f[3] = {c->target[0] - c->eye[0], c->target[1] - c->eye[1], c->target[2] - c->eye[2]};
    normalise3(f);
    double r[3] = {-f[2], 0.0, f[0]};   /* f x (0,1,0) */
    normalise3(r);
    double u[3] = {r[1] * f[2] - r[2] * f[1], r[2] * f[0] - r[0] * f[2], r[0] * f[1] - r[1] * f[0]};
    double d[3] = {p[0] - c->eye[0], p[1] - c->eye[1], p[2] - c->eye[2]};
    double cx = d[0] * r[0] + d[1] * r[1] + d[2] * r[2];
    double cy = d[0] * u[0] + d[1] * u[1] + d[2] * u[2];
    double cz = d[0] * f[0] + d[1] * f[1] + d[2] * f[2];
    if (depth) *depth = cz;
    if (!(cz > c->near)) return 0;
    double focal = 0.5 * (double)c->height / tan(0.5 * c->fov_y_deg * PI / 180.0);
    if (sx) *sx = 0.5 * (double)c->width + focal * cx / cz;
    if (sy) *sy = 0.5 * (double)c->height - focal * cy / cz;
    return 1;
}
