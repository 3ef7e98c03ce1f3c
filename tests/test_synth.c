/* Tests of momu_synth_song (src/audio/synth.c): determinism, level, and that the beat tracker finds the tempo
 * and the beats it was written with. */
#include <stdint.h>

#include "momu/beats.h"
#include "momu/eval.h"
#include "momu/synth.h"
#include "test.h"

static uint64_t fnv1a(const void *p, size_t n) {
    const unsigned char *b = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) { h ^= b[i]; h *= 1099511628211ull; }
    return h;
}

TEST(synth_deterministic) {
    float *a = NULL, *b = NULL, *c = NULL;
    size_t na, nb, nc;
    momu_err e = {0};
    EXPECT(momu_synth_song(3.0, 120.0, 7, 16000, &a, &na, NULL, NULL, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_synth_song(3.0, 120.0, 7, 16000, &b, &nb, NULL, NULL, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_synth_song(3.0, 120.0, 8, 16000, &c, &nc, NULL, NULL, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(na == 48000 && nb == na && nc == na, "lengths %zu %zu %zu", na, nb, nc);
    if (a && b && c && na == nb && nb == nc) {
        EXPECT(memcmp(a, b, na * sizeof(float)) == 0, "same seed gives different samples");
        EXPECT(fnv1a(a, na * 4) != fnv1a(c, nc * 4), "different seeds give the same samples");
    }
    free(a); free(b); free(c);
}

TEST(synth_level_and_beats) {
    float *x = NULL;
    double *bt = NULL, *est = NULL, bpm = 0.0;
    size_t n, nb, ne;
    momu_err e = {0};
    const unsigned sr = 16000;
    for (uint64_t seed = 1; seed <= 2; seed++) {
        EXPECT(momu_synth_song(20.0, 110.0, seed, sr, &x, &n, &bt, &nb, &e) == MOMU_OK, "%s", e.msg);
        if (!x) return;
        EXPECT(n == 20 * sr, "n %zu", n);
        EXPECT(nb == 37 && fabs(bt[0]) < 1e-12 && fabs(bt[36] - 36 * 60.0 / 110.0) < 1e-9, "beats %zu", nb);
        double peak = 0.0, ss = 0.0;
        for (size_t i = 0; i < n; i++) {
            peak = fmax(peak, fabs((double)x[i]));
            ss += (double)x[i] * x[i];
        }
        double rms = sqrt(ss / (double)n);
        EXPECT(peak <= 1.0 && peak > 0.5, "peak %g", peak);
        EXPECT(rms > 0.05 && rms < 0.4, "rms %g", rms);
        EXPECT(momu_beat_track(x, n, sr, NULL, &est, &ne, &bpm, &e) == MOMU_OK, "%s", e.msg);
        EXPECT(fabs(bpm - 110.0) <= 0.02 * 110.0, "seed %llu: tempo %g, expected 110 +- 2 %%",
               (unsigned long long)seed, bpm);
        double f = momu_beat_fmeasure(bt, nb, est, ne, MOMU_BEAT_FMEASURE_TOL_S, NULL, NULL);
        EXPECT(f >= 0.9, "seed %llu: beat F %g (%zu tracked, %zu true)", (unsigned long long)seed, f, ne, nb);
        printf("  seed %llu: peak %.3f rms %.3f tempo %.2f F %.3f\n", (unsigned long long)seed, peak, rms, bpm, f);
        free(x); free(bt); free(est);
        x = NULL; bt = NULL; est = NULL;
    }
}

TEST(synth_rejects_bad_args) {
    float *x = NULL;
    size_t n;
    momu_err e = {0};
    EXPECT(momu_synth_song(0.0, 110.0, 1, 16000, &x, &n, NULL, NULL, &e) == MOMU_ERR_ARG && strstr(e.msg, "seconds"),
           "%s", e.msg);
    momu_err_clear(&e);
    EXPECT(momu_synth_song(5.0, 300.0, 1, 16000, &x, &n, NULL, NULL, &e) == MOMU_ERR_ARG && strstr(e.msg, "bpm"),
           "%s", e.msg);
    momu_err_clear(&e);
    EXPECT(momu_synth_song(5.0, 100.0, 1, 100, &x, &n, NULL, NULL, &e) == MOMU_ERR_ARG && strstr(e.msg, "rate"),
           "%s", e.msg);
    EXPECT(x == NULL, "output set on error");
}

int main(void) {
    RUN(synth_deterministic);
    RUN(synth_level_and_beats);
    RUN(synth_rejects_bad_args);
    return test_summary();
}
