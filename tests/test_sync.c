/* Tests of the sync envelopes, sync score and scale/offset alignment on synthetic envelopes. */
#include <stdlib.h>

#include "momu/rng.h"
#include "momu/sync.h"
#include "test.h"

#define RATE 50.0

static size_t argmax(const float *x, size_t n) {
    size_t k = 0;
    for (size_t i = 1; i < n; i++)
        if (x[i] > x[k]) k = i;
    return k;
}

/* Adds a Gaussian bump (sigma 1 sample) at time t seconds to env (rate RATE). */
static void add_bump(float *env, size_t n, double t, double amp) {
    double c = t * RATE;
    for (long i = (long)c - 4; i <= (long)c + 5; i++)
        if (i >= 0 && i < (long)n) env[i] += (float)(amp * exp(-0.5 * (i - c) * (i - c)));
}

/* Random event times (mean gap 0.5 s, gaps 0.25..0.75 s) over [0, dur). Returns the count. */
static size_t make_events(momu_rng *r, double dur, double *t, size_t max) {
    size_t n = 0;
    double x = 0.3;
    while (x < dur && n < max) {
        t[n++] = x;
        x += 0.25 + 0.5 * momu_rng_uniform(r);
    }
    return n;
}

TEST(test_music_envelope_peak_at_step) {
    /* 2 s of log-mel at 100 fps, 4 bands, loudness step at frame 100 (t = 1.0 s) -> 50 Hz sample 50 */
    size_t nf = 200, nb = 4;
    float *mel = calloc(nf * nb, sizeof(float));
    for (size_t t = 0; t < nf; t++)
        for (size_t k = 0; k < nb; k++) mel[t * nb + k] = t >= 100 ? -1.0f : -3.0f;
    float *env = NULL;
    size_t n = 0;
    momu_err e = {0};
    EXPECT(momu_sync_music_envelope(mel, nf, nb, 100.0, RATE, &env, &n, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(n == 100, "n %zu", n);
    if (env) { size_t k = argmax(env, n); EXPECT(k >= 49 && k <= 50, "peak at %zu, expected 49..50", k); }
    free(env);
    mel[7] = NAN;
    EXPECT(momu_sync_music_envelope(mel, nf, nb, 100.0, RATE, &env, &n, &e) == MOMU_ERR_RANGE, "NaN accepted");
    free(mel);
}

TEST(test_motion_envelope_peak_at_start) {
    /* 2 s at 25 fps, 2 joints: joint 1 still, then moving at 5 cm/frame from frame 25 (t = 1.0 s) */
    size_t nf = 50, nj = 2;
    float *p = calloc(nf * nj * 3, sizeof(float));
    for (size_t r = 0; r < nf; r++) p[(r * nj + 1) * 3 + 0] = r > 25 ? 5.0f * (float)(r - 25) : 0.0f;
    float *env = NULL;
    size_t n = 0;
    momu_err e = {0};
    EXPECT(momu_sync_motion_envelope(p, nf, nj, 25.0, RATE, &env, &n, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(n == 100, "n %zu", n);
    /* |v| jumps between v(24)=0 and v(25)=5 cm/frame, i.e. at frame 25 -> 50 Hz sample 50 */
    if (env) { size_t k = argmax(env, n); EXPECT(k == 50, "peak at %zu, expected 50", k); }
    free(env);
    free(p);
}

TEST(test_score_lag_window) {
    momu_rng r;
    momu_rng_seed(&r, 7);
    double t[400];
    size_t ne = make_events(&r, 60.0, t, 400), n = (size_t)(60.0 * RATE);
    float *a = calloc(n, sizeof(float)), *b = calloc(n, sizeof(float)), *c = calloc(n, sizeof(float));
    for (size_t k = 0; k < ne; k++) {
        add_bump(a, n, t[k], 1.0);
        add_bump(b, n, t[k] + 0.06, 1.0);  /* motion 60 ms late: inside the 0.12 s window */
        add_bump(c, n, t[k] + 0.30, 1.0);  /* 300 ms late: outside */
    }
    momu_sync_condition(a, n, RATE, NULL);
    momu_sync_condition(b, n, RATE, NULL);
    momu_sync_condition(c, n, RATE, NULL);
    double lag = 0;
    double sb = momu_sync_score(a, n, b, n, RATE, MOMU_SYNC_SCORE_MAX_LAG_S, &lag);
    double sc = momu_sync_score(a, n, c, n, RATE, MOMU_SYNC_SCORE_MAX_LAG_S, NULL);
    /* identical bump trains shifted by 3 samples: exact up to edge effects (>0.95); lag 0.06 s exactly */
    EXPECT(sb > 0.95, "score %.3f", sb);
    EXPECT(fabs(lag - 0.06) < 1e-9, "lag %.3f", lag);
    EXPECT(sc < 0.3, "score outside the window %.3f", sc);
    free(a); free(b); free(c);
}

/* music events at t; motion sees them at motion_time = s*t + o (plus 30% misses, jitter and noise) */
static void make_pair(uint64_t seed, double s, double o, double dur, float **mus, float **mot, size_t *n) {
    momu_rng r;
    momu_rng_seed(&r, seed);
    double t[400];
    size_t ne = make_events(&r, dur, t, 400);
    *n = (size_t)(dur * RATE);
    *mus = calloc(*n, sizeof(float));
    *mot = calloc(*n, sizeof(float));
    for (size_t k = 0; k < ne; k++) {
        add_bump(*mus, *n, t[k], 0.5 + momu_rng_uniform(&r));
        if (momu_rng_uniform(&r) < 0.3) continue;
        add_bump(*mot, *n, s * t[k] + o + 0.02 * momu_rng_normal(&r), 0.5 + momu_rng_uniform(&r));
    }
    for (size_t i = 0; i < *n; i++) {
        (*mus)[i] += 0.3f * fabsf(momu_rng_normal(&r));
        (*mot)[i] += 0.3f * fabsf(momu_rng_normal(&r));
    }
    momu_sync_condition(*mus, *n, RATE, NULL);
    momu_sync_condition(*mot, *n, RATE, NULL);
}

TEST(test_align_recovers_scale_offset) {
    float *mus, *mot;
    size_t n;
    make_pair(11, 0.985, 0.40, 40.0, &mus, &mot, &n);
    momu_sync_align_opts o;
    momu_sync_align_opts_default(&o);
    o.n_null = 8;
    momu_sync_alignment al;
    momu_err e = {0};
    EXPECT(momu_sync_align(mus, n, mot, n, RATE, &o, &al, &e) == MOMU_OK, "%s", e.msg);
    /* tolerances: scale within 0.001 (0.04 s of drift over 40 s), offset within 2 samples (0.04 s) */
    EXPECT(fabs(al.scale - 0.985) <= 0.001, "scale %.4f", al.scale);
    EXPECT(fabs(al.offset_s - 0.40) <= 0.04, "offset %.3f", al.offset_s);
    EXPECT(al.corr > 0.3, "corr %.3f", al.corr); /* ~0.39 with 30% misses + noise */
    EXPECT(al.corr_before < 0.2, "corr before %.3f", al.corr_before);
    EXPECT(al.score_after > 0.3, "score after %.3f", al.score_after);
    EXPECT(al.percentile == 100.0 && al.z > 5.0, "percentile %.1f z %.2f", al.percentile, al.z);
    /* negative offset and scale > 1 */
    free(mus); free(mot);
    make_pair(12, 1.02, -0.7, 40.0, &mus, &mot, &n);
    EXPECT(momu_sync_align(mus, n, mot, n, RATE, &o, &al, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(fabs(al.scale - 1.02) <= 0.001, "scale %.4f", al.scale);
    EXPECT(fabs(al.offset_s + 0.70) <= 0.04, "offset %.3f", al.offset_s);
    free(mus); free(mot);
}

TEST(test_align_unrelated_noise_low) {
    float *mus, *mot, *mus2, *mot2;
    size_t n, n2;
    make_pair(21, 1.0, 0.0, 40.0, &mus, &mot, &n);
    make_pair(22, 1.0, 0.0, 40.0, &mus2, &mot2, &n2);
    momu_sync_align_opts o;
    momu_sync_align_opts_default(&o);
    o.n_null = 8;
    momu_sync_alignment al;
    momu_err e = {0};
    /* music of pair 21 against motion of pair 22: unrelated event trains */
    EXPECT(momu_sync_align(mus, n, mot2, n2, RATE, &o, &al, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(al.corr < 0.2, "corr %.3f", al.corr);
    EXPECT(al.z < 3.0, "z %.2f", al.z);
    EXPECT(al.percentile < 100.0, "percentile %.1f", al.percentile);
    double s = momu_sync_score(mus, n, mot2, n2, RATE, MOMU_SYNC_SCORE_MAX_LAG_S, NULL);
    EXPECT(s < 0.15, "sync score %.3f", s);
    free(mus); free(mot); free(mus2); free(mot2);
}

TEST(test_align_bad_input) {
    float x[10] = {0};
    momu_sync_alignment al;
    momu_err e = {0};
    EXPECT(momu_sync_align(x, 10, x, 10, RATE, NULL, &al, &e) == MOMU_ERR_RANGE, "short envelopes accepted");
    EXPECT(strstr(e.msg, "shorter") != NULL, "message '%s'", e.msg);
}

int main(void) {
    RUN(test_music_envelope_peak_at_step);
    RUN(test_motion_envelope_peak_at_start);
    RUN(test_score_lag_window);
    RUN(test_align_recovers_scale_offset);
    RUN(test_align_unrelated_noise_low);
    RUN(test_align_bad_input);
    return test_summary();
}
