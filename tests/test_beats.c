/* Tests of the beat tracker (src/audio/beats.c) on synthetic click tracks made here.
 *
 * Clicks: 30 ms bursts of white noise with a 5 ms exponential decay, attack at the exact click sample.
 * Tolerances: tempo within ±2 % of the click tempo; beats scored against the clicks with a ±20 ms window,
 * one-to-one matching (the same rule as the ±70 ms MIR F-measure, written again here so that this test
 * does not depend on the eval module); F >= 0.95. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "momu/rng.h"
#include "test.h"
/* The tracker's source is compiled into this test so that its private real FFT can be checked against a
 * naive DFT (STYLE §7); the library's copy of beats.o is then not linked (every symbol is defined here). */
#include "../src/audio/beats.c"

#define SR 16000u

/* Adds a click at each time in ts[0..n) to x (len samples). */
static void add_clicks(float *x, size_t len, const double *ts, size_t n, float amp, momu_rng *r) {
    size_t burst = (size_t)(0.030 * SR);
    for (size_t k = 0; k < n; k++) {
        size_t s0 = (size_t)llround(ts[k] * SR);
        for (size_t i = 0; i < burst && s0 + i < len; i++)
            x[s0 + i] += amp * expf(-(float)i / (0.005f * SR)) * (2.0f * momu_rng_uniform(r) - 1.0f);
    }
}

/* Greedy one-to-one matching of sorted lists within ±tol (a maximum matching for equal windows). */
static double fmeasure(const double *ref, size_t nr, const double *est, size_t ne, double tol) {
    size_t i = 0, j = 0, m = 0;
    while (i < nr && j < ne) {
        double d = est[j] - ref[i];
        if (fabs(d) <= tol) { m++; i++; j++; }
        else if (d < 0) j++;
        else i++;
    }
    if (!m) return 0.0;
    double p = (double)m / (double)ne, rc = (double)m / (double)nr;
    return 2.0 * p * rc / (p + rc);
}

/* A click track at bpm for `seconds`, first click at t0; jitter_s uniform timing jitter, noise_amp white
 * noise level, off_amp > 0 adds weaker clicks on the off-beats (a syncopation distractor). */
typedef struct { double bpm, seconds, t0, jitter_s; float noise_amp, off_amp; uint64_t seed; } click_spec;

static float *make_track(const click_spec *c, size_t *len, double **clicks, size_t *n_clicks) {
    momu_rng r;
    momu_rng_seed(&r, c->seed);
    *len = (size_t)(c->seconds * SR);
    float *x = calloc(*len, sizeof(float));
    double per = 60.0 / c->bpm;
    size_t n = (size_t)((c->seconds - 0.05 - c->t0) / per) + 1;
    double *ts = malloc(n * sizeof(double)), *off = malloc(n * sizeof(double));
    for (size_t k = 0; k < n; k++) {
        ts[k] = c->t0 + (double)k * per + c->jitter_s * (2.0 * momu_rng_uniform(&r) - 1.0);
        if (ts[k] < 0.0) ts[k] = 0.0;
        off[k] = c->t0 + ((double)k + 0.5) * per;
    }
    add_clicks(x, *len, ts, n, 0.5f, &r);
    if (c->off_amp > 0.0f) add_clicks(x, *len, off, n - 1, c->off_amp, &r);
    for (size_t i = 0; i < *len; i++) x[i] += c->noise_amp * (2.0f * momu_rng_uniform(&r) - 1.0f);
    free(off);
    *clicks = ts;
    *n_clicks = n;
    return x;
}

static void check_click_track(const click_spec *c, const char *label) {
    size_t len, nc, nb = 0;
    double *clicks, *beats = NULL, bpm = 0.0;
    float *x = make_track(c, &len, &clicks, &nc);
    momu_err e = {0};
    momu_status st = momu_beat_track(x, len, SR, NULL, &beats, &nb, &bpm, &e);
    EXPECT(st == MOMU_OK, "%s: status %d (%s)", label, st, e.msg);
    EXPECT(fabs(bpm / c->bpm - 1.0) <= 0.02, "%s: tempo %.3f, want %.1f ±2%%", label, bpm, c->bpm);
    double f = fmeasure(clicks, nc, beats, nb, 0.020);
    EXPECT(f >= 0.95, "%s: F(±20 ms) = %.3f with %zu beats for %zu clicks (first beat %.3f, click %.3f)", label, f,
           nb, nc, nb ? beats[0] : -1.0, clicks[0]);
    for (size_t i = 1; i < nb; i++)
        if (!(beats[i] > beats[i - 1])) { EXPECT(0, "%s: beats not increasing at %zu", label, i); break; }
    free(x); free(clicks); free(beats);
}

TEST(clicks_clean) {
    click_spec c100 = {100.0, 20.0, 0.37, 0.0, 0.0f, 0.0f, 1};
    click_spec c128 = {128.0, 20.0, 0.11, 0.0, 0.0f, 0.0f, 2};
    click_spec c150 = {150.0, 20.0, 0.52, 0.0, 0.0f, 0.0f, 3};
    check_click_track(&c100, "100 bpm clean");
    check_click_track(&c128, "128 bpm clean");
    check_click_track(&c150, "150 bpm clean");
}

TEST(clicks_noisy) {
    /* white noise at 1/10 of the click amplitude, ±8 ms timing jitter, weaker off-beat clicks */
    click_spec c100 = {100.0, 20.0, 0.20, 0.008, 0.05f, 0.0f, 11};
    click_spec c128 = {128.0, 20.0, 0.05, 0.0, 0.05f, 0.15f, 12};
    click_spec c150 = {150.0, 20.0, 0.30, 0.008, 0.05f, 0.15f, 13};
    check_click_track(&c100, "100 bpm noise+jitter");
    check_click_track(&c128, "128 bpm noise+offbeats");
    check_click_track(&c150, "150 bpm noise+jitter+offbeats");
}

/* The private real FFT (power spectrum) against a naive double-precision DFT, sizes 4..2048:
 * |error| <= 5e-6 · max power (float FFT; observed <= 4e-7). */
TEST(rfft_vs_naive_dft) {
    momu_rng r;
    momu_rng_seed(&r, 3);
    for (size_t n = 4; n <= 2048; n *= 2) {
        beat_rfft f;
        EXPECT(beat_rfft_init(&f, n, NULL) == MOMU_OK, "init %zu", n);
        float *x = malloc(n * sizeof(float)), *re = malloc(n / 2 * sizeof(float)), *im = malloc(n / 2 * sizeof(float));
        float *pw = malloc((n / 2 + 1) * sizeof(float));
        double *ref = malloc((n / 2 + 1) * sizeof(double)), pmax = 0.0;
        for (size_t i = 0; i < n; i++) x[i] = momu_rng_uniform(&r) - 0.5f;
        beat_rfft_power(&f, x, re, im, pw);
        for (size_t k = 0; k <= n / 2; k++) {
            double a = 0.0, b = 0.0;
            for (size_t i = 0; i < n; i++) {
                double w = 2.0 * M_PI * (double)(k * i % n) / (double)n;
                a += x[i] * cos(w);
                b -= x[i] * sin(w);
            }
            ref[k] = a * a + b * b;
            if (ref[k] > pmax) pmax = ref[k];
        }
        size_t bad = 0, worst = 0;
        for (size_t k = 0; k <= n / 2; k++) {
            if (fabs(pw[k] - ref[k]) > 5e-6 * pmax) bad++;
            if (fabs(pw[k] - ref[k]) > fabs(pw[worst] - ref[worst])) worst = k;
        }
        EXPECT(bad == 0, "n %zu: %zu bins off, worst k %zu: %g vs %g (max %g)", n, bad, worst, pw[worst], ref[worst], pmax);
        beat_rfft_free(&f);
        free(x); free(re); free(im); free(pw); free(ref);
    }
}

/* The onset novelty peaks at the click: frame t is centred at t/fps, so the peak lies within one frame. */
TEST(onset_envelope_alignment) {
    size_t len = SR * 2;
    float *x = calloc(len, sizeof(float));
    double t[1] = {1.003};
    momu_rng r;
    momu_rng_seed(&r, 5);
    add_clicks(x, len, t, 1, 0.5f, &r);
    float *env = NULL;
    size_t nf = 0;
    double fps = 0.0;
    momu_err e = {0};
    EXPECT(momu_beat_onset_envelope(x, len, SR, &env, &nf, &fps, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(fabs(fps - 100.0) < 1e-9, "fps %.6f", fps);
    EXPECT(nf == len / 160 + 1, "n_frames %zu", nf);
    size_t arg = 0;
    for (size_t i = 0; i < nf; i++) if (env[i] > env[arg]) arg = i;
    EXPECT(fabs((double)arg / fps - t[0]) <= 0.011, "peak at %.3f s, click at %.3f s", (double)arg / fps, t[0]);
    for (size_t i = 0; i < nf; i++) if (!(env[i] >= 0.0f)) { EXPECT(0, "env[%zu] = %g < 0", i, env[i]); break; }
    free(env); free(x);
}

/* momu_beat_tempo on an ideal impulse train: the fractional period is recovered. */
TEST(tempo_impulse_train) {
    const double fps = 100.0, per = 100.0 * 60.0 / 123.0;   /* 48.78 frames */
    size_t n = 3000;
    float *env = calloc(n, sizeof(float));
    for (double t = 10.0; t < n - 1; t += per) {
        size_t i = (size_t)t;
        double f = t - (double)i;
        env[i] += (float)(1.0 - f);
        env[i + 1] += (float)f;
    }
    double bpm = 0.0;
    momu_err e = {0};
    EXPECT(momu_beat_tempo(env, n, fps, NULL, &bpm, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(fabs(bpm - 123.0) <= 0.5, "tempo %.3f, want 123", bpm);
    memset(env, 0, n * sizeof(float));
    EXPECT(momu_beat_tempo(env, n, fps, NULL, &bpm, &e) == MOMU_OK && bpm == 0.0, "flat envelope: bpm %g", bpm);
    free(env);
}

/* A tempo ramp (90 -> 130 BPM over 24 s): no crash, beats increasing, most clicks found by the DP
 * (the steady-grid shortcut must not fire on it). */
TEST(tempo_change) {
    size_t len = SR * 24;
    float *x = calloc(len, sizeof(float));
    double ts[64];
    size_t n = 0;
    double t = 0.3;
    while (t < 23.5 && n < 64) {
        ts[n++] = t;
        double bpm = 90.0 + 40.0 * t / 24.0;
        t += 60.0 / bpm;
    }
    momu_rng r;
    momu_rng_seed(&r, 21);
    add_clicks(x, len, ts, n, 0.5f, &r);
    double *beats = NULL, bpm = 0.0;
    size_t nb = 0;
    momu_err e = {0};
    EXPECT(momu_beat_track(x, len, SR, NULL, &beats, &nb, &bpm, &e) == MOMU_OK, "%s", e.msg);
    for (size_t i = 1; i < nb; i++)
        if (!(beats[i] > beats[i - 1])) { EXPECT(0, "beats not increasing at %zu", i); break; }
    double f = fmeasure(ts, n, beats, nb, 0.070);
    EXPECT(f >= 0.8, "tempo ramp: F(±70 ms) = %.3f (%zu beats, %zu clicks, bpm %.1f)", f, nb, n, bpm);
    free(beats); free(x);
}

/* Two steady sections, 120 then 135 BPM, 20 s each, beat continuous across the change: the piece is not
 * steady as a whole, its halves are; both tempos must be followed to ±20 ms, with and without the
 * steady-grid step. */
TEST(sectional_tempo) {
    size_t len = SR * 40;
    float *x = calloc(len, sizeof(float));
    double ts[128];
    size_t n = 0;
    for (double t = 0.4; t < 39.8 && n < 128; t += t < 20.0 ? 0.5 : 60.0 / 135.0) ts[n++] = t;
    momu_rng r;
    momu_rng_seed(&r, 51);
    add_clicks(x, len, ts, n, 0.5f, &r);
    momu_beat_opts o;
    momu_beat_opts_default(&o);
    for (int steady = 0; steady < 2; steady++) {
        double *beats = NULL, bpm = 0.0;
        size_t nb = 0;
        momu_err e = {0};
        o.steady = steady;
        EXPECT(momu_beat_track(x, len, SR, &o, &beats, &nb, &bpm, &e) == MOMU_OK, "%s", e.msg);
        double f = fmeasure(ts, n, beats, nb, 0.020);
        EXPECT(f >= 0.95, "steady %d: F(±20 ms) = %.3f (%zu beats, %zu clicks)", steady, f, nb, n);
        free(beats);
    }
    free(x);
}

TEST(silence_and_short) {
    double *beats = (double *)1, bpm = -1.0;
    size_t nb = 99;
    momu_err e = {0};
    float *z = calloc(SR * 5, sizeof(float));
    EXPECT(momu_beat_track(z, SR * 5, SR, NULL, &beats, &nb, &bpm, &e) == MOMU_OK, "silence: %s", e.msg);
    EXPECT(nb == 0 && beats == NULL && bpm == 0.0, "silence: %zu beats, bpm %g", nb, bpm);
    momu_beat_opts o;
    momu_beat_opts_default(&o);
    o.fixed_bpm = 120.0;
    EXPECT(momu_beat_track(z, SR * 5, SR, &o, &beats, &nb, &bpm, &e) == MOMU_OK && nb == 0, "silence fixed bpm");
    EXPECT(momu_beat_track(z, 0, SR, NULL, &beats, &nb, &bpm, &e) == MOMU_OK && nb == 0, "empty input");
    EXPECT(momu_beat_track(NULL, 0, SR, NULL, &beats, &nb, &bpm, &e) == MOMU_OK && nb == 0, "NULL empty input");
    z[100] = 0.9f;
    EXPECT(momu_beat_track(z, 300, SR, NULL, &beats, &nb, &bpm, &e) == MOMU_OK && nb == 0, "300 samples");
    EXPECT(momu_beat_track(z, SR / 2, SR, NULL, &beats, &nb, &bpm, &e) == MOMU_OK, "half a second: %s", e.msg);
    free(beats);
    free(z);
}

TEST(bad_arguments) {
    float x[1600] = {0};
    double *beats = NULL, bpm = 0.0;
    size_t nb = 0;
    momu_err e = {0};
    EXPECT(momu_beat_track(x, 1600, SR, NULL, NULL, &nb, &bpm, &e) == MOMU_ERR_ARG, "NULL times");
    EXPECT(momu_beat_track(x, 1600, SR, NULL, &beats, NULL, &bpm, NULL) == MOMU_ERR_ARG, "NULL n_beats");
    momu_err_clear(&e);
    EXPECT(momu_beat_track(x, 1600, 1000, NULL, &beats, &nb, &bpm, &e) == MOMU_ERR_ARG, "sr 1000");
    EXPECT(strstr(e.msg, "1000") != NULL, "message names the rate: %s", e.msg);
    EXPECT(momu_beat_track(x, 1600, 0, NULL, &beats, &nb, &bpm, NULL) == MOMU_ERR_ARG, "sr 0");
    EXPECT(momu_beat_track(NULL, 1600, SR, NULL, &beats, &nb, &bpm, NULL) == MOMU_ERR_ARG, "NULL samples");
    x[77] = NAN;
    momu_err_clear(&e);
    EXPECT(momu_beat_track(x, 1600, SR, NULL, &beats, &nb, &bpm, &e) == MOMU_ERR_RANGE, "NaN sample");
    EXPECT(strstr(e.msg, "77") != NULL, "message names the sample: %s", e.msg);
    x[77] = INFINITY;
    EXPECT(momu_beat_track(x, 1600, SR, NULL, &beats, &nb, &bpm, NULL) == MOMU_ERR_RANGE, "Inf sample");
    x[77] = 0.0f;
    /* more than 6 hours is refused before anything is read or allocated */
    EXPECT(momu_beat_track(x, (size_t)SR * 3600 * 7, SR, NULL, &beats, &nb, &bpm, NULL) == MOMU_ERR_RANGE, "7 h");
    momu_beat_opts o;
    momu_beat_opts_default(&o);
    o.min_bpm = 200.0; o.max_bpm = 100.0;
    EXPECT(momu_beat_track(x, 1600, SR, &o, &beats, &nb, &bpm, NULL) == MOMU_ERR_ARG, "min > max");
    momu_beat_opts_default(&o);
    o.tightness = -1.0;
    EXPECT(momu_beat_track(x, 1600, SR, &o, &beats, &nb, &bpm, NULL) == MOMU_ERR_ARG, "negative tightness");
    momu_beat_opts_default(&o);
    o.prior_octaves = NAN;
    EXPECT(momu_beat_track(x, 1600, SR, &o, &beats, &nb, &bpm, NULL) == MOMU_ERR_ARG, "NaN prior");
    momu_beat_opts_default(&o);
    o.fixed_bpm = 5.0;
    EXPECT(momu_beat_track(x, 1600, SR, &o, &beats, &nb, &bpm, NULL) == MOMU_ERR_ARG, "fixed_bpm 5");
    float env[10] = {0};
    env[3] = NAN;
    EXPECT(momu_beat_tempo(env, 10, 100.0, NULL, &bpm, NULL) == MOMU_ERR_RANGE, "NaN envelope");
    EXPECT(momu_beat_tempo(env, 10, 0.0, NULL, &bpm, NULL) == MOMU_ERR_ARG, "fps 0");
    EXPECT(beats == NULL && nb == 0, "outputs cleared on error");
}

/* The options are honoured: a forced tempo, and the tempo range excluding the true tempo. */
TEST(options) {
    click_spec c = {120.0, 16.0, 0.25, 0.0, 0.0f, 0.0f, 31};
    size_t len, nc, nb = 0;
    double *clicks, *beats = NULL, bpm = 0.0;
    float *x = make_track(&c, &len, &clicks, &nc);
    momu_beat_opts o;
    momu_beat_opts_default(&o);
    o.fixed_bpm = 60.0;
    momu_err e = {0};
    EXPECT(momu_beat_track(x, len, SR, &o, &beats, &nb, &bpm, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(fabs(bpm - 60.0) < 0.6, "fixed 60: bpm %.2f", bpm);
    EXPECT(nb >= 13 && nb <= 17, "fixed 60 on a 16-s track: %zu beats", nb);
    free(beats); beats = NULL;
    momu_beat_opts_default(&o);
    o.min_bpm = 180.0; o.max_bpm = 300.0;
    EXPECT(momu_beat_track(x, len, SR, &o, &beats, &nb, &bpm, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(fabs(bpm - 240.0) <= 4.8, "range 180..300 on 120-bpm clicks: bpm %.2f (want the double, 240)", bpm);
    free(beats); free(x); free(clicks);
}

/* Bit-identical output with 1 and 2 OpenMP threads. */
TEST(threads_deterministic) {
#ifdef _OPENMP
    click_spec c = {128.0, 12.0, 0.1, 0.005, 0.05f, 0.1f, 41};
    size_t len, nc, n1 = 0, n2 = 0;
    double *clicks, *b1 = NULL, *b2 = NULL, bpm1 = 0.0, bpm2 = 0.0;
    float *x = make_track(&c, &len, &clicks, &nc);
    int old = omp_get_max_threads();
    omp_set_num_threads(1);
    EXPECT(momu_beat_track(x, len, SR, NULL, &b1, &n1, &bpm1, NULL) == MOMU_OK, "1 thread");
    omp_set_num_threads(2);
    EXPECT(momu_beat_track(x, len, SR, NULL, &b2, &n2, &bpm2, NULL) == MOMU_OK, "2 threads");
    omp_set_num_threads(old);
    EXPECT(n1 == n2 && bpm1 == bpm2 && (n1 == 0 || memcmp(b1, b2, n1 * sizeof(double)) == 0),
           "1 vs 2 threads: %zu/%zu beats, bpm %.9g/%.9g", n1, n2, bpm1, bpm2);
    free(b1); free(b2); free(x); free(clicks);
#endif
}

int main(void) {
    RUN(clicks_clean);
    RUN(clicks_noisy);
    RUN(rfft_vs_naive_dft);
    RUN(onset_envelope_alignment);
    RUN(tempo_impulse_train);
    RUN(tempo_change);
    RUN(sectional_tempo);
    RUN(silence_and_short);
    RUN(bad_arguments);
    RUN(options);
    RUN(threads_deterministic);
    return test_summary();
}
