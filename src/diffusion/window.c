/* momu diffusion — any-length sampling: MultiDiffusion-style windows over a model trained on W frames. */
#include <stdlib.h>
#include <string.h>

#include "momu/diffusion.h"

size_t momu_windowed_start(const momu_windowed *w, size_t k) {
    if (w->Tz <= w->W) return 0;
    size_t s = k * (w->W - w->O);
    return s > w->Tz - w->W ? w->Tz - w->W : s;
}

/* Weight of frame j (0..len-1) of window k: a linear ramp over the O frames at each interior edge. */
static float win_weight(const momu_windowed *w, size_t k, size_t j, size_t len) {
    if (w->blend == MOMU_BLEND_FLAT || w->n_windows == 1 || w->O == 0) return 1.0f;
    float r = 1.0f, O = (float)w->O;
    if (k > 0) { float a = ((float)j + 0.5f) / O; if (a < r) r = a; }
    if (k + 1 < w->n_windows) { float b = ((float)(len - j) - 0.5f) / O; if (b < r) r = b; }
    return r;
}

momu_status momu_windowed_init(momu_windowed *w, const momu_cond_model *inner, size_t Tz, size_t C, size_t W,
                               size_t O, momu_blend blend, momu_err *e) {
    return momu_windowed_init_cond(w, inner, Tz, C, C, W, O, blend, e);
}

momu_status momu_windowed_init_cond(momu_windowed *w, const momu_cond_model *inner, size_t Tz, size_t C, size_t Cc,
                                    size_t W, size_t O, momu_blend blend, momu_err *e) {
    if (!w || !inner || !inner->fn) return momu_fail(e, MOMU_ERR_ARG, "windows: NULL model");
    if (Tz == 0 || C == 0 || Cc == 0 || W == 0) return momu_fail(e, MOMU_ERR_ARG, "windows: empty length/channels/window");
    if (O >= W) return momu_fail(e, MOMU_ERR_ARG, "windows: overlap %zu must be below the window %zu", O, W);
    if (blend != MOMU_BLEND_RAMP && blend != MOMU_BLEND_FLAT)
        return momu_fail(e, MOMU_ERR_ARG, "windows: unknown blend %d", (int)blend);
    memset(w, 0, sizeof *w);
    w->inner = *inner;
    w->Tz = Tz; w->C = C; w->Cc = Cc; w->W = W; w->O = O; w->blend = blend;
    size_t stride = W - O;
    w->n_windows = Tz <= W ? 1 : (Tz - W + stride - 1) / stride + 1;
    size_t L = Tz < W ? Tz : W, nw, nwc, tot;
    if (!momu_mul_ok(L, C, &nw) || !momu_mul_ok(L, Cc, &nwc) || !momu_mul_ok(nw, 3, &tot) || tot + nwc < tot)
        return momu_fail(e, MOMU_ERR_OOM, "windows: size overflow");
    if (w->n_windows == 1) return MOMU_OK;   /* passes straight through */
    w->xw = momu_malloc_array(tot + nwc, sizeof(float), e);
    w->wsum = momu_malloc_array(Tz, sizeof(float), e);
    if (!w->xw || !w->wsum) { momu_windowed_free(w); return MOMU_ERR_OOM; }
    w->ew = w->xw + nw; w->ew2 = w->ew + nw; w->cw = w->ew2 + nw;
    for (size_t f = 0; f < Tz; f++) w->wsum[f] = 0.0f;
    for (size_t k = 0; k < w->n_windows; k++) {
        size_t s0 = momu_windowed_start(w, k);
        for (size_t j = 0; j < W; j++) w->wsum[s0 + j] += win_weight(w, k, j, W);
    }
    return MOMU_OK;
}

void momu_windowed_free(momu_windowed *w) {
    if (!w) return;
    free(w->xw);
    free(w->wsum);
    w->xw = w->cw = w->ew = w->ew2 = w->wsum = NULL;
}

/* Shared body: fn2 != 0 evaluates (cond, uncond) pairs into eps and eps2. */
static int windowed_run(momu_windowed *w, const float *x, int t, const float *cond, float *eps, float *eps2,
                        size_t n) {
    size_t C = w->C;
    if (n != w->Tz * C) return -1;
    const momu_cond_model *m = &w->inner;
    if (w->n_windows == 1)
        return eps2 ? m->fn2(m->user, x, t, cond, eps, eps2, n) : m->fn(m->user, x, t, cond, eps, n);
    memset(eps, 0, n * sizeof(float));
    if (eps2) memset(eps2, 0, n * sizeof(float));
    size_t nw = w->W * C;
    for (size_t k = 0; k < w->n_windows; k++) {
        size_t s0 = momu_windowed_start(w, k);
        memcpy(w->xw, x + s0 * C, nw * sizeof(float));
        if (cond) memcpy(w->cw, cond + s0 * w->Cc, w->W * w->Cc * sizeof(float));
        int rc = eps2 ? m->fn2(m->user, w->xw, t, cond ? w->cw : NULL, w->ew, w->ew2, nw)
                      : m->fn(m->user, w->xw, t, cond ? w->cw : NULL, w->ew, nw);
        if (rc) return rc;
        for (size_t j = 0; j < w->W; j++) {
            float a = win_weight(w, k, j, w->W);
            float *d = eps + (s0 + j) * C, *d2 = eps2 ? eps2 + (s0 + j) * C : NULL;
            for (size_t c = 0; c < C; c++) {
                d[c] += a * w->ew[j * C + c];
                if (d2) d2[c] += a * w->ew2[j * C + c];
            }
        }
    }
    for (size_t f = 0; f < w->Tz; f++) {
        float inv = 1.0f / w->wsum[f];
        for (size_t c = 0; c < C; c++) {
            eps[f * C + c] *= inv;
            if (eps2) eps2[f * C + c] *= inv;
        }
    }
    return 0;
}

static int windowed_fn(void *user, const float *x, int t, const float *cond, float *eps, size_t n) {
    return windowed_run(user, x, t, cond, eps, NULL, n);
}
static int windowed_fn2(void *user, const float *x, int t, const float *cond, float *eps_c, float *eps_u,
                        size_t n) {
    return windowed_run(user, x, t, cond, eps_c, eps_u, n);
}

momu_cond_model momu_windowed_model(momu_windowed *w) {
    momu_cond_model m = {windowed_fn, w->inner.fn2 ? windowed_fn2 : NULL, w};
    return m;
}
