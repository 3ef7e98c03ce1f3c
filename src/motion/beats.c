/* momu motion — kinematic amplitude Q(r) and kinematic beats.
 *
 * Q(r) follows MoMu-Diffusion §3 (after Davis & Agrawala 2018, "Visual Rhythm and Beat"; notes §3.3):
 * directogram of the frame differences with K = 8 overlapping angular windows, then a half-wave rectified
 * flux. The paper works on 2-D keypoints; for 3-D momu bins the camera-plane projection (x, y with y up,
 * viewed along z), the view a front camera of the DwM capture would have, so Q stays comparable to the
 * paper's 2-D definition. Window membership |theta_k - phi| <= 2 pi / K is inclusive, with the angular
 * difference taken mod 2 pi and a 1e-9 rad tolerance so that directions on a boundary (0, 45, 90, ...
 * degrees) fall into both neighbouring windows deterministically (3 windows in all).
 *
 * Beats: peaks of Q by LORIS's pick_peak (notes §3.3); and, for BAS, the local minima of the mean joint
 * speed as Bailando computes them (calc_db in Bailando's utils/metrics_new.py: per-frame mean joint speed,
 * scipy.ndimage.gaussian_filter1d(sigma=5), scipy.signal.argrelextrema(np.less)); Bailando's sigma of 5
 * frames is at 60 fps, so momu scales it to 5 * fps / 60 frames. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "momu/motion.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

momu_status momu_kinematic_amplitude(const float *pos, size_t n_frames, size_t n_joints, float *q, momu_err *e) {
    if (!pos || !q || !n_frames || !n_joints) return momu_fail(e, MOMU_ERR_ARG, "kinematic amplitude: empty motion");
    const size_t K = MOMU_Q_BINS, T = n_frames, J = n_joints;
    const double half = 2.0 * M_PI / (double)K;
    for (size_t r = 0; r < T; r++) q[r] = 0.0f;
    if (T < 3) return MOMU_OK;
    double prev[MOMU_Q_BINS] = {0}, cur[MOMU_Q_BINS];
    for (size_t r = 0; r + 1 < T; r++) {
        memset(cur, 0, sizeof cur);
        for (size_t j = 0; j < J; j++) {
            const float *a = pos + (r * J + j) * 3, *b = pos + ((r + 1) * J + j) * 3;
            double dx = (double)b[0] - a[0], dy = (double)b[1] - a[1];
            double mag = sqrt(dx * dx + dy * dy);
            if (mag == 0.0) continue;
            double phi = atan2(dy, dx);
            if (phi < 0) phi += 2.0 * M_PI;
            for (size_t k = 0; k < K; k++) {
                double d = fabs(2.0 * M_PI * (double)k / (double)K - phi);
                d = fmod(d, 2.0 * M_PI);
                if (d > M_PI) d = 2.0 * M_PI - d;
                if (d <= half + 1e-9) cur[k] += mag;
            }
        }
        if (r > 0) {
            double s = 0;
            for (size_t k = 0; k < K; k++) s += cur[k] > prev[k] ? cur[k] - prev[k] : 0.0;
            q[r] = (float)s;
        }
        memcpy(prev, cur, sizeof cur);
    }
    return MOMU_OK;
}

momu_status momu_motion_kinematic_amplitude(const momu_motion *m, float *q, momu_err *e) {
    if (!m || !m->pos) return momu_fail(e, MOMU_ERR_ARG, "kinematic amplitude: no motion");
    return momu_kinematic_amplitude(m->pos, m->n_frames, m->n_joints, q, e);
}

/* LORIS pick_peak (notes §3.3): env normalised by its max; local_mean[n] = mean(env[n:n+4]),
 * local_max[n] = max(env[n:n+6]), both zero-padded past the end; peak[n] = local_max - local_mean >
 * 0.1 * mean(env) and env[n] == local_max; then peak[n] *= (peak[n+1] != peak[n]) keeps the last of
 * each run of consecutive peaks (peak past the end counts as 0). */
void momu_pick_peaks_loris(const float *env, size_t n_env, size_t *idx, size_t *n_peaks) {
    *n_peaks = 0;
    if (!n_env) return;
    double mx = 0, mean = 0;
    for (size_t i = 0; i < n_env; i++) {
        if (env[i] > mx) mx = env[i];
        mean += env[i];
    }
    if (!(mx > 0)) return;
    mean /= (double)n_env * mx;
    int prev = 0;
    for (size_t n = 0; n < n_env; n++) {
        double lm = 0, lx = 0;
        for (size_t i = n; i < n + 4; i++) lm += i < n_env ? env[i] / mx : 0.0;
        lm /= 4.0;
        for (size_t i = n; i < n + 6; i++) {
            double v = i < n_env ? env[i] / mx : 0.0;
            if (v > lx) lx = v;
        }
        int pk = (lx - lm > 0.1 * mean) && (env[n] / mx == lx);
        if (prev && !pk) idx[(*n_peaks)++] = n - 1;
        prev = pk;
    }
    if (prev) idx[(*n_peaks)++] = n_env - 1;
}

static momu_status times_from_idx(const size_t *idx, size_t n, float fps, double **times, size_t *n_out, momu_err *e) {
    *times = momu_malloc_array(n ? n : 1, sizeof(double), e);
    if (!*times) return MOMU_ERR_OOM;
    for (size_t i = 0; i < n; i++) (*times)[i] = (double)idx[i] / fps;
    *n_out = n;
    return MOMU_OK;
}

momu_status momu_motion_beats_q(const momu_motion *m, double **times, size_t *n, momu_err *e) {
    *times = NULL;
    *n = 0;
    if (!m || !m->pos || !m->n_frames || !(m->fps > 0)) return momu_fail(e, MOMU_ERR_ARG, "beats: empty motion");
    float *q = momu_malloc_array(m->n_frames, sizeof(float), e);
    size_t *idx = momu_malloc_array(m->n_frames, sizeof(size_t), e);
    momu_status st = (!q || !idx) ? MOMU_ERR_OOM : momu_motion_kinematic_amplitude(m, q, e);
    size_t np = 0;
    if (!st) {
        momu_pick_peaks_loris(q, m->n_frames, idx, &np);
        st = times_from_idx(idx, np, m->fps, times, n, e);
    }
    free(q);
    free(idx);
    return st;
}

/* scipy.ndimage.gaussian_filter1d(x, sigma, mode='reflect', truncate=4.0): weights exp(-k^2 / (2 sigma^2))
 * for |k| <= radius = int(4 sigma + 0.5), normalised; 'reflect' extends d c b a | a b c d | d c b a. */
static void gaussian_filter1d(const double *x, size_t n, double sigma, double *y) {
    long radius = (long)(4.0 * sigma + 0.5);
    double *w = malloc((size_t)(2 * radius + 1) * sizeof *w), sum = 0;
    if (!w) { memcpy(y, x, n * sizeof *x); return; }
    for (long k = -radius; k <= radius; k++) sum += w[k + radius] = exp(-0.5 * (double)(k * k) / (sigma * sigma));
    for (long k = -radius; k <= radius; k++) w[k + radius] /= sum;
    long N = (long)n;
    for (long i = 0; i < N; i++) {
        double acc = 0;
        for (long k = -radius; k <= radius; k++) {
            long p = i + k;
            /* reflect with period 2N */
            long per = 2 * N;
            p %= per;
            if (p < 0) p += per;
            if (p >= N) p = per - 1 - p;
            acc += w[k + radius] * x[p];
        }
        y[i] = acc;
    }
    free(w);
}

momu_status momu_motion_speed_smoothed(const momu_motion *m, float *v, momu_err *e) {
    if (!m || !m->pos || m->n_frames < 2 || !(m->fps > 0))
        return momu_fail(e, MOMU_ERR_ARG, "speed: motion needs at least 2 frames");
    size_t T = m->n_frames, J = m->n_joints, n = T - 1;
    double *raw = momu_malloc_array(n, sizeof(double), e), *sm = momu_malloc_array(n, sizeof(double), e);
    if (!raw || !sm) { free(raw); free(sm); return MOMU_ERR_OOM; }
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (size_t j = 0; j < J; j++) {
            const float *a = m->pos + (i * J + j) * 3, *b = a + J * 3;
            double dx = (double)b[0] - a[0], dy = (double)b[1] - a[1], dz = (double)b[2] - a[2];
            s += sqrt(dx * dx + dy * dy + dz * dz);
        }
        raw[i] = s / (double)J;
    }
    gaussian_filter1d(raw, n, 5.0 * (double)m->fps / 60.0, sm);
    for (size_t i = 0; i < n; i++) v[i] = (float)sm[i];
    free(raw);
    free(sm);
    return MOMU_OK;
}

momu_status momu_motion_beats_speed(const momu_motion *m, double **times, size_t *n, momu_err *e) {
    *times = NULL;
    *n = 0;
    if (!m || !m->pos || m->n_frames < 2) return momu_fail(e, MOMU_ERR_ARG, "beats: motion needs at least 2 frames");
    size_t nv = m->n_frames - 1;
    float *v = momu_malloc_array(nv, sizeof(float), e);
    size_t *idx = momu_malloc_array(nv, sizeof(size_t), e);
    momu_status st = (!v || !idx) ? MOMU_ERR_OOM : momu_motion_speed_smoothed(m, v, e);
    size_t np = 0;
    if (!st) {
        /* argrelextrema(np.less, order=1, mode='clip'): strict minima; the ends compare with themselves */
        for (size_t i = 1; i + 1 < nv; i++)
            if (v[i] < v[i - 1] && v[i] < v[i + 1]) idx[np++] = i;
        st = times_from_idx(idx, np, m->fps, times, n, e);
    }
    free(v);
    free(idx);
    return st;
}
