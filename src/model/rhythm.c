/* momu — rhythm channels of the denoisers' condition (include/momu/rhythm.h). */
#include "momu/rhythm.h"

#include <stdlib.h>
#include <string.h>

#include "momu/sync.h"

/* Conditions env (n samples at fps) and folds it onto (Tz, per); frees env. */
static momu_status fold(float *env, size_t n, double fps, size_t Tz, size_t per, float *out, momu_err *e) {
    momu_status st = momu_sync_condition(env, n, fps, e);
    if (!st)
        for (size_t i = 0; i < Tz * per; i++) out[i] = i < n ? env[i] : 0.0f;
    free(env);
    return st;
}

static momu_status check(size_t Tz, size_t per, float *out, momu_err *e) {
    size_t tot;
    if (!out || Tz == 0 || per == 0 || !momu_mul_ok(Tz, per, &tot))
        return momu_fail(e, MOMU_ERR_ARG, "rhythm: empty output (%zu latent frames x %zu)", Tz, per);
    return MOMU_OK;
}

momu_status momu_rhythm_from_logmel(const float *logmel, size_t nf, size_t F, double fps, size_t Tz, size_t per,
                                    float *out, momu_err *e) {
    momu_status st = check(Tz, per, out, e);
    if (st) return st;
    float *env = NULL;
    size_t n = 0;
    if ((st = momu_sync_music_envelope(logmel, nf, F, fps, fps, &env, &n, e))) return st;
    return fold(env, n, fps, Tz, per, out, e);
}

momu_status momu_rhythm_from_motion(const float *pos, size_t T, size_t J, double fps, size_t Tz, size_t per,
                                    float *out, momu_err *e) {
    momu_status st = check(Tz, per, out, e);
    if (st) return st;
    float *env = NULL;
    size_t n = 0;
    if ((st = momu_sync_motion_envelope(pos, T, J, fps, fps, &env, &n, e))) return st;
    return fold(env, n, fps, Tz, per, out, e);
}

void momu_rhythm_append(float *dst, const float *lat, size_t C, const float *rhy, size_t R, size_t Tz) {
    for (size_t z = 0; z < Tz; z++) {
        memcpy(dst + z * (C + R), lat + z * C, C * sizeof(float));
        if (R) memcpy(dst + z * (C + R) + C, rhy + z * R, R * sizeof(float));
    }
}
