/* momu motion — features for the models, their inverse, normalisation statistics, mirror augmentation.
 *
 * Layout (D = 6 J + 8 per frame; include/momu/motion.h lists it):
 *   heading phi(t): the hip line a = hip_L - hip_R projected on the floor, phi = atan2(-a_z, a_x), so that
 *     R_y(phi) (1,0,0) is the hip direction; the heading frame of t maps world vectors by R_y(-phi(t)):
 *     local x runs along the hip line (toward hip_L), local z across it (forward or backward depending on
 *     the data's handedness; DwM is left-handed, see its README), y stays up.
 *   [0] local z and [1] local x of the root's horizontal velocity (root(t+1) - root(t)) * fps, cm/s;
 *   [2] heading rate wrap(phi(t+1) - phi(t)) * fps, rad/s;
 *   [3] root height above the floor estimate, cm. The floor is the running minimum, over +-1 s, of the
 *       foot points (heel_L, toe_L, heel_R, toe_R; all joints if they are missing): this re-grounds the
 *       vertical drift of the DwM captures (README "Known quirks": up to 50 cm over a clip) per window;
 *   [4 .. 4+3J)    R_y(-phi) (P_j - root), cm (the root's own entry is 0);
 *   [4+3J .. 4+6J) R_y(-phi(t)) (P_j(t+1) - P_j(t)) * fps, cm/s;
 *   [4+6J .. 8+6J) contacts: 1 if the point is below 5 cm above the floor estimate and slower than
 *       30 cm/s (on DwM the heel/toe points spend ~30-45 % of frames in that state; thresholds chosen from
 *       the height and speed percentiles of six clips).
 * The last frame repeats the previous velocities, heading rate and contacts. The inverse integrates the
 * heading rate and the root velocity from phi = 0 at the origin with the floor at y = 0: it reproduces the
 * input up to a rotation about y and a horizontal translation (and the re-grounding). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "momu/motion.h"
#include "momu/npy.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define FEAT_FLOOR_WINDOW_S 1.0
#define FEAT_CONTACT_HEIGHT_CM 5.0
#define FEAT_CONTACT_SPEED_CMS 30.0

size_t momu_features_dim(size_t n_joints) { return 6 * n_joints + 8; }

static double wrap_pi(double a) {
    while (a > M_PI) a -= 2 * M_PI;
    while (a < -M_PI) a += 2 * M_PI;
    return a;
}

/* y = R_y(ang) x for the horizontal part: R_y(a) = [[c,0,s],[0,1,0],[-s,0,c]]. */
static void rot_y(double ang, const double *x, double *y) {
    double c = cos(ang), s = sin(ang);
    double x0 = x[0], x2 = x[2];
    y[0] = c * x0 + s * x2;
    y[1] = x[1];
    y[2] = -s * x0 + c * x2;
}

momu_status momu_motion_to_features(const momu_motion *m, float *feat, momu_err *e) {
    if (!m || !m->pos || !m->n_frames || !m->n_joints || !feat) return momu_fail(e, MOMU_ERR_ARG, "features: empty motion");
    if (!(m->fps > 0)) return momu_fail(e, MOMU_ERR_ARG, "features: frame rate must be positive");
    const size_t T = m->n_frames, J = m->n_joints, D = momu_features_dim(J);
    int hl = momu_skeleton_find(&m->skel, "hip_L"), hr = momu_skeleton_find(&m->skel, "hip_R");
    if (hl < 0 || hr < 0) return momu_fail(e, MOMU_ERR_ARG, "features: the skeleton needs joints named hip_L and hip_R");
    int root = momu_skeleton_find(&m->skel, "spine");
    if (root < 0) root = 0;
    static const char *const FEET[4] = {"heel_L", "toe_L", "heel_R", "toe_R"};
    int foot[4], have_feet = 1;
    for (int k = 0; k < 4; k++) {
        foot[k] = momu_skeleton_find(&m->skel, FEET[k]);
        if (foot[k] < 0) have_feet = 0;
    }
    double *phi = momu_malloc_array(T, sizeof(double), e), *low = momu_malloc_array(T, sizeof(double), e);
    double *floor_y = momu_malloc_array(T, sizeof(double), e);
    if (!phi || !low || !floor_y) { free(phi); free(low); free(floor_y); return MOMU_ERR_OOM; }
    const float *P = m->pos;
#define POS(t, j) (P + ((size_t)(t) * J + (size_t)(j)) * 3)
    for (size_t t = 0; t < T; t++) {
        const float *a = POS(t, hl), *b = POS(t, hr);
        double ax = (double)a[0] - b[0], az = (double)a[2] - b[2];
        phi[t] = (ax == 0 && az == 0) ? (t ? phi[t - 1] : 0.0) : atan2(-az, ax);
        double lo = INFINITY;
        if (have_feet) for (int k = 0; k < 4; k++) lo = fmin(lo, POS(t, foot[k])[1]);
        else for (size_t j = 0; j < J; j++) lo = fmin(lo, POS(t, j)[1]);
        low[t] = lo;
    }
    size_t W = (size_t)(FEAT_FLOOR_WINDOW_S * m->fps + 0.5);
    for (size_t t = 0; t < T; t++) {
        size_t a = t > W ? t - W : 0, b = t + W < T ? t + W : T - 1;
        double lo = INFINITY;
        for (size_t k = a; k <= b; k++) lo = fmin(lo, low[k]);
        floor_y[t] = lo;
    }
    const double fps = m->fps;
    for (size_t t = 0; t < T; t++) {
        float *f = feat + t * D;
        size_t tv = T > 1 ? (t + 1 < T ? t : t - 1) : 0; /* velocity frame: last repeats previous */
        size_t tn = T > 1 ? tv + 1 : 0;
        const float *r0 = POS(tv, root), *r1 = POS(tn, root), *rt = POS(t, root);
        double v[3] = {((double)r1[0] - r0[0]) * fps, 0, ((double)r1[2] - r0[2]) * fps}, vl[3];
        rot_y(-phi[tv], v, vl);
        f[0] = (float)vl[2];
        f[1] = (float)vl[0];
        f[2] = (float)(wrap_pi(phi[tn] - phi[tv]) * fps);
        f[3] = (float)((double)rt[1] - floor_y[t]);
        for (size_t j = 0; j < J; j++) {
            const float *p = POS(t, j);
            double d[3] = {(double)p[0] - rt[0], (double)p[1] - rt[1], (double)p[2] - rt[2]}, l[3];
            rot_y(-phi[t], d, l);
            for (int c = 0; c < 3; c++) f[4 + j * 3 + c] = (float)l[c];
            const float *p0 = POS(tv, j), *p1 = POS(tn, j);
            double dv[3] = {((double)p1[0] - p0[0]) * fps, ((double)p1[1] - p0[1]) * fps, ((double)p1[2] - p0[2]) * fps};
            rot_y(-phi[tv], dv, l);
            for (int c = 0; c < 3; c++) f[4 + 3 * J + j * 3 + c] = (float)l[c];
        }
        for (int k = 0; k < 4; k++) {
            float c = 0.0f;
            if (have_feet && T > 1) {
                const float *p0 = POS(tv, foot[k]), *p1 = POS(tn, foot[k]);
                double dx = (double)p1[0] - p0[0], dy = (double)p1[1] - p0[1], dz = (double)p1[2] - p0[2];
                double speed = sqrt(dx * dx + dy * dy + dz * dz) * fps;
                double h = (double)POS(t, foot[k])[1] - floor_y[t];
                c = (h < FEAT_CONTACT_HEIGHT_CM && speed < FEAT_CONTACT_SPEED_CMS) ? 1.0f : 0.0f;
            }
            f[4 + 6 * J + (size_t)k] = c;
        }
    }
#undef POS
    free(phi);
    free(low);
    free(floor_y);
    for (size_t i = 0; i < T * D; i++)
        if (!isfinite(feat[i])) return momu_fail(e, MOMU_ERR_RANGE, "features: non-finite value at frame %zu", i / D);
    return MOMU_OK;
}

momu_status momu_features_to_motion(const float *feat, size_t n_frames, size_t n_joints, float fps,
                                    const momu_skeleton *skel, momu_motion *out, momu_err *e) {
    memset(out, 0, sizeof *out);
    if (!feat || !n_frames || !n_joints || !(fps > 0)) return momu_fail(e, MOMU_ERR_ARG, "features_to_motion: empty input or fps <= 0");
    if (skel && skel->n_joints != n_joints)
        return momu_fail(e, MOMU_ERR_ARG, "features_to_motion: skeleton has %zu joints, features %zu", skel->n_joints, n_joints);
    const size_t T = n_frames, J = n_joints, D = momu_features_dim(J);
    for (size_t i = 0; i < T * D; i++)
        if (!isfinite(feat[i])) return momu_fail(e, MOMU_ERR_RANGE, "features_to_motion: non-finite value at frame %zu", i / D);
    momu_status st = momu_motion_alloc(out, T, J, fps, e);
    if (st) return st;
    if (skel) {
        st = momu_skeleton_copy(&out->skel, skel, e);
        if (st) { momu_motion_free(out); return st; }
    }
    out->skel.n_joints = J;
    double phi = 0, rx = 0, rz = 0;
    for (size_t t = 0; t < T; t++) {
        const float *f = feat + t * D;
        double ry = f[3];
        for (size_t j = 0; j < J; j++) {
            double l[3] = {f[4 + j * 3], f[4 + j * 3 + 1], f[4 + j * 3 + 2]}, w[3];
            rot_y(phi, l, w);
            float *p = out->pos + (t * J + j) * 3;
            p[0] = (float)(rx + w[0]);
            p[1] = (float)(ry + w[1]);
            p[2] = (float)(rz + w[2]);
        }
        double vl[3] = {f[1], 0, f[0]}, vw[3];
        rot_y(phi, vl, vw);
        rx += vw[0] / fps;
        rz += vw[2] / fps;
        phi = wrap_pi(phi + f[2] / fps);
    }
    return MOMU_OK;
}

momu_status momu_motion_mirror(momu_motion *m, const int *map, momu_err *e) {
    if (!m || !m->pos || !map) return momu_fail(e, MOMU_ERR_ARG, "mirror: no motion or no mirror map");
    size_t J = m->n_joints;
    for (size_t j = 0; j < J; j++)
        if (map[j] < 0 || (size_t)map[j] >= J || (size_t)map[map[j]] != j)
            return momu_fail(e, MOMU_ERR_ARG, "mirror: map is not a pairing (joint %zu -> %d)", j, map[j]);
    for (size_t t = 0; t < m->n_frames; t++) {
        float *p = m->pos + t * J * 3;
        for (size_t j = 0; j < J; j++) {
            size_t k = (size_t)map[j];
            if (k > j) {
                float tmp[3];
                memcpy(tmp, p + j * 3, sizeof tmp);
                memcpy(p + j * 3, p + k * 3, sizeof tmp);
                memcpy(p + k * 3, tmp, sizeof tmp);
            }
        }
        for (size_t j = 0; j < J; j++) p[j * 3] = -p[j * 3];
    }
    return MOMU_OK;
}

/* ---- normalisation statistics ------------------------------------------------------------------- */

void momu_feature_stats_free(momu_feature_stats *st) {
    if (!st) return;
    free(st->mean);
    free(st->std);
    memset(st, 0, sizeof *st);
}

momu_status momu_feature_stats_compute(const float *const *feats, const size_t *n_frames, size_t n_seq,
                                       size_t dim, float std_floor, momu_feature_stats *st, momu_err *e) {
    memset(st, 0, sizeof *st);
    if (!dim || !n_seq) return momu_fail(e, MOMU_ERR_ARG, "feature stats: no sequences or dim 0");
    if (!(std_floor > 0) || !isfinite(std_floor)) return momu_fail(e, MOMU_ERR_ARG, "feature stats: std floor must be > 0");
    double *s1 = momu_calloc_array(dim, sizeof(double), e), *s2 = momu_calloc_array(dim, sizeof(double), e);
    st->mean = momu_malloc_array(dim, sizeof(float), e);
    st->std = momu_malloc_array(dim, sizeof(float), e);
    if (!s1 || !s2 || !st->mean || !st->std) { free(s1); free(s2); momu_feature_stats_free(st); return MOMU_ERR_OOM; }
    size_t n = 0;
    for (size_t s = 0; s < n_seq; s++) { /* mean first, then squared deviations: two passes, stable */
        for (size_t t = 0; t < n_frames[s]; t++)
            for (size_t d = 0; d < dim; d++) s1[d] += feats[s][t * dim + d];
        n += n_frames[s];
    }
    if (!n) { free(s1); free(s2); momu_feature_stats_free(st); return momu_fail(e, MOMU_ERR_ARG, "feature stats: no frames"); }
    for (size_t d = 0; d < dim; d++) s1[d] /= (double)n;
    for (size_t s = 0; s < n_seq; s++)
        for (size_t t = 0; t < n_frames[s]; t++)
            for (size_t d = 0; d < dim; d++) {
                double x = feats[s][t * dim + d] - s1[d];
                s2[d] += x * x;
            }
    st->dim = dim;
    for (size_t d = 0; d < dim; d++) {
        double sd = sqrt(s2[d] / (double)n);
        st->mean[d] = (float)s1[d];
        st->std[d] = (float)(sd > std_floor ? sd : std_floor);
    }
    free(s1);
    free(s2);
    for (size_t d = 0; d < dim; d++)
        if (!isfinite(st->mean[d]) || !isfinite(st->std[d])) {
            momu_feature_stats_free(st);
            return momu_fail(e, MOMU_ERR_RANGE, "feature stats: non-finite statistic for feature %zu", d);
        }
    return MOMU_OK;
}

momu_status momu_feature_stats_save(const char *path, const momu_feature_stats *st, momu_err *e) {
    if (!st || !st->dim) return momu_fail(e, MOMU_ERR_ARG, "%s: empty feature statistics", path);
    float *buf = momu_malloc_array(2 * st->dim, sizeof(float), e);
    if (!buf) return MOMU_ERR_OOM;
    memcpy(buf, st->mean, st->dim * sizeof(float));
    memcpy(buf + st->dim, st->std, st->dim * sizeof(float));
    size_t shape[2] = {2, st->dim};
    momu_status s = momu_npy_write_f32(path, buf, 2, shape, e);
    free(buf);
    return s;
}

momu_status momu_feature_stats_load(const char *path, momu_feature_stats *st, momu_err *e) {
    memset(st, 0, sizeof *st);
    momu_npy a;
    momu_status s = momu_npy_read(path, &a, 1, e);
    if (s) return s;
    if (a.ndim != 2 || a.shape[0] != 2 || !a.shape[1]) {
        momu_npy_free(&a);
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: feature statistics must have shape (2, D) (mean row, std row)", path);
    }
    size_t D = a.shape[1];
    for (size_t d = 0; d < D; d++)
        if (!(a.data[D + d] > 0)) {
            double bad = a.data[D + d];
            momu_npy_free(&a);
            return momu_fail(e, MOMU_ERR_RANGE, "%s: std of feature %zu is %g, must be > 0", path, d, bad);
        }
    st->mean = momu_malloc_array(D, sizeof(float), e);
    st->std = momu_malloc_array(D, sizeof(float), e);
    if (!st->mean || !st->std) { momu_npy_free(&a); momu_feature_stats_free(st); return MOMU_ERR_OOM; }
    memcpy(st->mean, a.data, D * sizeof(float));
    memcpy(st->std, a.data + D, D * sizeof(float));
    st->dim = D;
    momu_npy_free(&a);
    return MOMU_OK;
}

void momu_features_normalise(const momu_feature_stats *st, float *feat, size_t n_frames) {
    for (size_t t = 0; t < n_frames; t++)
        for (size_t d = 0; d < st->dim; d++) feat[t * st->dim + d] = (feat[t * st->dim + d] - st->mean[d]) / st->std[d];
}

void momu_features_denormalise(const momu_feature_stats *st, float *feat, size_t n_frames) {
    for (size_t t = 0; t < n_frames; t++)
        for (size_t d = 0; d < st->dim; d++) feat[t * st->dim + d] = feat[t * st->dim + d] * st->std[d] + st->mean[d];
}
