/* Tests of the denoisers' rhythm channels (include/momu/rhythm.h): they are the sync envelopes of
 * include/momu/sync.h folded onto the latent clock, an onset lands on its own sub-frame, the tail past the
 * input is zero, and bad input is refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "momu/rhythm.h"
#include "momu/sync.h"
#include "test.h"

/* log-mel (nf, nb) at 100 fps: quiet, with a short loud burst starting at each frame of on[]. */
static float *burst_mel(size_t nf, size_t nb, const size_t *on, size_t n_on) {
    float *mel = malloc(nf * nb * sizeof(float));
    for (size_t t = 0; t < nf; t++) {
        int loud = 0;
        for (size_t k = 0; k < n_on; k++) loud |= t >= on[k] && t < on[k] + 4;
        for (size_t b = 0; b < nb; b++) mel[t * nb + b] = loud ? -1.0f : -3.0f + 0.01f * (float)((t * 7 + b) % 5);
    }
    return mel;
}

TEST(music_rhythm_is_the_folded_envelope) {
    size_t nf = 300, nb = 6, per = 8, Tz = 38;   /* 38 * 8 = 304 > 300: the last 4 samples are past the end */
    size_t on[] = {37, 101, 166, 230};
    float *mel = burst_mel(nf, nb, on, 4), *out = malloc(Tz * per * sizeof(float)), *env = NULL;
    size_t n_env = 0;
    momu_err e = {0};
    EXPECT(momu_rhythm_from_logmel(mel, nf, nb, 100.0, Tz, per, out, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_sync_music_envelope(mel, nf, nb, 100.0, 100.0, &env, &n_env, &e) == MOMU_OK && n_env == nf, "env");
    EXPECT(momu_sync_condition(env, n_env, 100.0, &e) == MOMU_OK, "%s", e.msg);
    size_t bad = 0;
    for (size_t i = 0; i < Tz * per; i++) bad += out[i] != (i < nf ? env[i] : 0.0f);
    EXPECT(bad == 0, "%zu samples differ from the conditioned envelope (or the zero tail)", bad);
    /* each onset is the largest value within +-5 frames: latent frame on/8, channel on%8 */
    for (size_t k = 0; k < 4; k++) {
        size_t best = on[k] - 5;
        for (size_t i = on[k] - 5; i <= on[k] + 5; i++)
            if (out[i] > out[best]) best = i;
        EXPECT(best == on[k], "onset at frame %zu peaks at %zu (latent frame %zu, channel %zu)", on[k], best,
               best / per, best % per);
    }
    free(env);
    free(mel);
    free(out);
}

TEST(motion_rhythm_is_the_folded_envelope) {
    /* 3 joints at 25 fps for 4 s: joint 1 moves in bursts (speed changes at the burst edges) */
    size_t T = 100, J = 3, per = 2, Tz = 50;
    float *pos = calloc(T * J * 3, sizeof(float)), *out = malloc(Tz * per * sizeof(float)), *env = NULL;
    float x = 0;
    for (size_t t = 0; t < T; t++) {
        if ((t / 12) % 2) x += 4.0f;   /* moving on frames 12..23, 36..47, ... */
        pos[(t * J + 1) * 3 + 0] = x;
        pos[(t * J + 2) * 3 + 1] = 0.1f * (float)sin(0.3 * (double)t);
    }
    size_t n_env = 0;
    momu_err e = {0};
    EXPECT(momu_rhythm_from_motion(pos, T, J, 25.0, Tz, per, out, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_sync_motion_envelope(pos, T, J, 25.0, 25.0, &env, &n_env, &e) == MOMU_OK && n_env == T, "env");
    EXPECT(momu_sync_condition(env, n_env, 25.0, &e) == MOMU_OK, "%s", e.msg);
    size_t bad = 0;
    for (size_t i = 0; i < Tz * per; i++) bad += out[i] != env[i];
    EXPECT(bad == 0, "%zu samples differ from the conditioned envelope", bad);
    free(env);
    free(pos);
    free(out);
}

TEST(append_and_errors) {
    float lat[6] = {1, 2, 3, 4, 5, 6}, rhy[4] = {10, 20, 30, 40}, dst[10];
    momu_rhythm_append(dst, lat, 3, rhy, 2, 2);
    const float want[10] = {1, 2, 3, 10, 20, 4, 5, 6, 30, 40};
    EXPECT(!memcmp(dst, want, sizeof want), "rows [latent | rhythm]");
    size_t on[] = {20};
    float *mel = burst_mel(80, 4, on, 1), out[80];
    momu_err e = {0};
    EXPECT(momu_rhythm_from_logmel(mel, 80, 4, 100.0, 0, 8, out, &e) == MOMU_ERR_ARG, "0 latent frames accepted");
    momu_err_clear(&e);
    mel[33] = NAN;
    EXPECT(momu_rhythm_from_logmel(mel, 80, 4, 100.0, 10, 8, out, &e) != MOMU_OK && strstr(e.msg, "non-finite"),
           "NaN accepted: %s", e.msg);
    free(mel);
}

int main(void) {
    RUN(music_rhythm_is_the_folded_envelope);
    RUN(motion_rhythm_is_the_folded_envelope);
    RUN(append_and_errors);
    return test_summary();
}
