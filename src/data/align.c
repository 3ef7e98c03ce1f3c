/* momu — the sync envelopes of a paired clip (music file + motion file), for `momu data align` and the
 * sync score of the evaluation. Definitions in momu/sync.h; the choice of envelopes in docs/DATA.md. */
#include <stdlib.h>

#include "momu/audio.h"
#include "momu/data.h"
#include "momu/motion.h"

momu_status momu_data_clip_envelopes(const momu_clip *c, float **music_env, size_t *n_music, float **motion_env,
                                     size_t *n_motion, momu_err *e) {
    *music_env = *motion_env = NULL;
    *n_music = *n_motion = 0;
    float *x = NULL, *mel = NULL;
    size_t n = 0, nf = 0;
    momu_status st = momu_audio_load(c->music_path, MOMU_SR, &x, &n, e);
    if (!st) st = momu_logmel(x, n, &mel, &nf, e);
    free(x);
    if (!st) st = momu_sync_music_envelope(mel, nf, MOMU_N_MELS, (double)MOMU_SR / MOMU_HOP, MOMU_SYNC_RATE, music_env,
                                           n_music, e);
    free(mel);
    if (st) return st;
    momu_motion m = {0};
    st = momu_motion_load(c->motion_path, &m, e);
    if (!st) st = momu_sync_motion_envelope(m.pos, m.n_frames, m.n_joints, m.fps, MOMU_SYNC_RATE, motion_env, n_motion, e);
    momu_motion_free(&m);
    if (st) {
        free(*music_env);
        *music_env = NULL;
        *n_music = 0;
    }
    return st;
}
