/* BiCoR-VAE rhythmic contrastive loss: window choice on Q(r), max-pooled segment vectors, symmetric
 * InfoNCE (include/momu/bicor.h documents the choices).
 * Dimensions: B crops, Tz latent frames, C channels, n windows, w window width (latent frames). */
#include <stdlib.h>
#include <string.h>

#include "momu/bicor.h"
#include "momu/motion.h"
#include "momu/nn_layers.h"

void momu_bicor_config_default(momu_bicor_config *c) {
    c->n_windows = 4;
    c->width = 4;
    c->tau = 0.1f;
    c->troughs = 0;
}

momu_status momu_bicor_config_check(const momu_bicor_config *c, momu_err *e) {
    if (c->n_windows < 1 || c->n_windows > MOMU_BICOR_MAX_WINDOWS)
        return momu_fail(e, MOMU_ERR_ARG, "contrast windows: %zu (expected 1..%d)", c->n_windows,
                         MOMU_BICOR_MAX_WINDOWS);
    if (c->width < 1) return momu_fail(e, MOMU_ERR_ARG, "contrast window width: 0 latent frames");
    if (c->troughs > c->n_windows)
        return momu_fail(e, MOMU_ERR_ARG, "contrast trough windows: %zu of %zu windows", c->troughs, c->n_windows);
    if (!(c->tau > 0.0f)) return momu_fail(e, MOMU_ERR_ARG, "contrast temperature: %g (must be > 0)", (double)c->tau);
    return MOMU_OK;
}

momu_status momu_bicor_feature_q(const float *feat, size_t T, size_t J, float fps, float *q, momu_err *e) {
    momu_motion m = {0};
    momu_status st = momu_features_to_motion(feat, T, J, fps, NULL, &m, e);
    if (st) return st;
    st = momu_kinematic_amplitude(m.pos, m.n_frames, m.n_joints, q, e);
    momu_motion_free(&m);
    return st;
}

void momu_bicor_q_to_latent(const float *q, size_t T, float *qz) {
    for (size_t i = 0; i < T / 2; i++) qz[i] = q[2 * i] > q[2 * i + 1] ? q[2 * i] : q[2 * i + 1];
}

/* Greedy suppression: adds windows to starts[n..) until n_max, at the largest qz (sign +1) or smallest (-1). */
static size_t select_greedy(const float *qz, size_t Tz, size_t n, size_t n_max, size_t width, float sign,
                            size_t *starts) {
    const size_t half = width / 2;
    while (n < n_max) {
        size_t best = Tz;
        float best_q = 0.0f;
        for (size_t c = half; c + width - half <= Tz; c++) {
            size_t s = c - half;   /* window [s, s+width) */
            int clash = 0;
            for (size_t k = 0; k < n && !clash; k++) clash = s < starts[k] + width && starts[k] < s + width;
            if (clash) continue;
            if (best == Tz || sign * qz[c] > best_q) { best = c; best_q = sign * qz[c]; }
        }
        if (best == Tz) break;
        starts[n++] = best - half;
    }
    return n;
}

size_t momu_bicor_select_windows_mixed(const float *qz, size_t Tz, size_t n_windows, size_t n_troughs, size_t width,
                                       size_t *starts) {
    if (!width || Tz < width) return 0;
    if (n_troughs > n_windows) n_troughs = n_windows;
    size_t n = select_greedy(qz, Tz, 0, n_windows - n_troughs, width, 1.0f, starts);
    return select_greedy(qz, Tz, n, n + n_troughs, width, -1.0f, starts);
}

size_t momu_bicor_select_windows(const float *qz, size_t Tz, size_t n_windows, size_t width, size_t *starts) {
    return momu_bicor_select_windows_mixed(qz, Tz, n_windows, 0, width, starts);
}

momu_status momu_bicor_ws_alloc(momu_bicor_ws *w, size_t max_windows, size_t C, momu_err *e) {
    memset(w, 0, sizeof *w);
    if (!max_windows || !C) return momu_fail(e, MOMU_ERR_ARG, "contrast workspace: zero windows or channels");
    size_t nc;
    if (!momu_mul_ok(max_windows, C, &nc)) return momu_fail(e, MOMU_ERR_OOM, "contrast workspace: size overflow");
    w->cap = max_windows;
    w->C = C;
    w->win_b = momu_malloc_array(max_windows, sizeof(size_t), e);
    w->win_s = momu_malloc_array(max_windows, sizeof(size_t), e);
    w->ca = momu_malloc_array(nc, sizeof(float), e);
    w->cm = momu_malloc_array(nc, sizeof(float), e);
    w->ia = momu_malloc_array(nc, sizeof(size_t), e);
    w->im = momu_malloc_array(nc, sizeof(size_t), e);
    w->dca = momu_malloc_array(nc, sizeof(float), e);
    w->dcm = momu_malloc_array(nc, sizeof(float), e);
    w->saved = momu_malloc_array(NN_INFONCE_SAVED(max_windows), sizeof(float), e);
    if (!w->win_b || !w->win_s || !w->ca || !w->cm || !w->ia || !w->im || !w->dca || !w->dcm || !w->saved) {
        momu_bicor_ws_free(w);
        return momu_fail(e, MOMU_ERR_OOM, "contrast workspace: out of memory");
    }
    return MOMU_OK;
}

void momu_bicor_ws_free(momu_bicor_ws *w) {
    free(w->win_b); free(w->win_s); free(w->ca); free(w->cm); free(w->ia); free(w->im);
    free(w->dca); free(w->dcm); free(w->saved);
    memset(w, 0, sizeof *w);
}

/* c[k,:] = max over t in [s, s+w) of z[b, t, :] (torch.nn.MaxPool1d(w) on the window), argmax offsets. */
static void pool(float *c, size_t *idx, const float *z, size_t Tz, size_t C, const size_t *win_b,
                 const size_t *win_s, size_t n, size_t width) {
    for (size_t k = 0; k < n; k++)
        nn_maxpool_forward(c + k * C, idx + k * C, z + (win_b[k] * Tz + win_s[k]) * C, 1, width, C, width, 1);
}

void momu_bicor_segments(float *c, const float *z, size_t Tz, size_t C, const size_t *win_b, const size_t *win_s,
                         size_t n, size_t width) {
    size_t *idx = malloc(n * C * sizeof *idx + 1);
    if (!idx) {   /* without scratch: the same max, no argmax */
        for (size_t k = 0; k < n; k++)
            for (size_t ch = 0; ch < C; ch++) {
                const float *zz = z + (win_b[k] * Tz + win_s[k]) * C + ch;
                float m = zz[0];
                for (size_t t = 1; t < width; t++) m = zz[t * C] > m ? zz[t * C] : m;
                c[k * C + ch] = m;
            }
        return;
    }
    pool(c, idx, z, Tz, C, win_b, win_s, n, width);
    free(idx);
}

momu_status momu_bicor_loss_forward(momu_bicor_ws *w, const float *za, const float *zm, size_t B, size_t Tz,
                                    size_t C, const size_t *win_b, const size_t *win_s, size_t n, size_t width,
                                    float tau, float *loss, momu_err *e) {
    *loss = 0.0f;
    w->n = 0;
    if (C != w->C) return momu_fail(e, MOMU_ERR_ARG, "contrast: %zu latent channels, workspace has %zu", C, w->C);
    if (n > w->cap) return momu_fail(e, MOMU_ERR_ARG, "contrast: %zu windows, workspace holds %zu", n, w->cap);
    if (!width || !(tau > 0.0f)) return momu_fail(e, MOMU_ERR_ARG, "contrast: width 0 or temperature <= 0");
    for (size_t k = 0; k < n; k++)
        if (win_b[k] >= B || win_s[k] + width > Tz)
            return momu_fail(e, MOMU_ERR_ARG, "contrast: window %zu (crop %zu, frames %zu..%zu) outside %zu x %zu",
                             k, win_b[k], win_s[k], win_s[k] + width, B, Tz);
    memcpy(w->win_b, win_b, n * sizeof *win_b);
    memcpy(w->win_s, win_s, n * sizeof *win_s);
    w->n = n;
    w->B = B;
    w->Tz = Tz;
    w->width = width;
    w->tau = tau;
    if (n < 2) return MOMU_OK;
    pool(w->ca, w->ia, za, Tz, C, win_b, win_s, n, width);
    pool(w->cm, w->im, zm, Tz, C, win_b, win_s, n, width);
    if (!w->same_crop_only) {
        *loss = nn_infonce_loss_forward(w->saved, w->ca, w->cm, n, C, tau);
        return MOMU_OK;
    }
    /* one InfoNCE per crop over its consecutive windows; mean over all windows (each is one positive) */
    double sum = 0;
    size_t off = 0;
    for (size_t k0 = 0, k1; k0 < n; k0 = k1) {
        for (k1 = k0 + 1; k1 < n && win_b[k1] == win_b[k0]; k1++) {}
        for (size_t k = k1; k < n; k++)
            if (win_b[k] == win_b[k0]) {
                w->n = 0;
                return momu_fail(e, MOMU_ERR_ARG, "contrast: the windows of crop %zu are not consecutive", win_b[k0]);
            }
        size_t g = k1 - k0;
        if (g >= 2) sum += (double)g * nn_infonce_loss_forward(w->saved + off, w->ca + k0 * C, w->cm + k0 * C, g, C, tau);
        off += NN_INFONCE_SAVED(g);
    }
    *loss = (float)(sum / (double)n);
    return MOMU_OK;
}

void momu_bicor_loss_backward(momu_bicor_ws *w, float *dza, float *dzm, float dloss) {
    const size_t n = w->n, C = w->C;
    if (n < 2) return;
    memset(w->dca, 0, n * C * sizeof(float));
    memset(w->dcm, 0, n * C * sizeof(float));
    if (!w->same_crop_only) {
        nn_infonce_loss_backward(dza ? w->dca : NULL, w->dcm, w->saved, w->ca, w->cm, n, C, w->tau, dloss);
    } else {
        size_t off = 0;
        for (size_t k0 = 0, k1; k0 < n; k0 = k1) {
            for (k1 = k0 + 1; k1 < n && w->win_b[k1] == w->win_b[k0]; k1++) {}
            size_t g = k1 - k0;
            if (g >= 2)
                nn_infonce_loss_backward(dza ? w->dca + k0 * C : NULL, w->dcm + k0 * C, w->saved + off, w->ca + k0 * C,
                                         w->cm + k0 * C, g, C, w->tau, dloss * (float)g / (float)n);
            off += NN_INFONCE_SAVED(g);
        }
    }
    /* c[k,ch] = z[b, s + idx[k,ch], ch]: the gradient goes to the argmax frame of each channel */
    for (size_t k = 0; k < n; k++) {
        const size_t base = (w->win_b[k] * w->Tz + w->win_s[k]) * C;
        for (size_t ch = 0; ch < C; ch++) {
            dzm[base + w->im[k * C + ch] * C + ch] += w->dcm[k * C + ch];
            if (dza) dza[base + w->ia[k * C + ch] * C + ch] += w->dca[k * C + ch];
        }
    }
}
