/* bench/beats_track — runs momu_beat_track on a WAV/FLAC/Ogg file read with libsndfile at its own rate
 * (no resampling) and prints one beat time per line; the tempo goes to stderr. A development helper for
 * bench/beats_fof.sh that does not depend on `momu audio beats`.
 *   beats_track FILE [tightness [prior_bpm [prior_octaves]]] */
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>

#include "momu/beats.h"

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: beats_track FILE [tightness [prior_bpm [prior_octaves]]]\n"); return 2; }
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(argv[1], SFM_READ, &info);
    if (!sf) { fprintf(stderr, "beats_track: %s: %s\n", argv[1], sf_strerror(NULL)); return 1; }
    size_t nf = (size_t)info.frames, ch = (size_t)info.channels;
    float *buf = malloc(nf * ch * sizeof(float)), *x = malloc(nf * sizeof(float));
    if (!buf || !x) return 1;
    size_t got = (size_t)sf_readf_float(sf, buf, (sf_count_t)nf);
    sf_close(sf);
    for (size_t i = 0; i < got; i++) {
        double s = 0.0;
        for (size_t c = 0; c < ch; c++) s += buf[i * ch + c];
        x[i] = (float)(s / (double)ch);
    }
    if (getenv("BEATS_DUMP_ENV")) {   /* development: dump the onset envelope instead */
        float *env = NULL; size_t n_env = 0; double fps = 0.0; momu_err e0 = {0};
        if (momu_beat_onset_envelope(x, got, (unsigned)info.samplerate, &env, &n_env, &fps, &e0)) return 1;
        printf("%.6f\n", fps);
        for (size_t i = 0; i < n_env; i++) printf("%.5f\n", env[i]);
        free(env);
        return 0;
    }
    momu_verbosity = 2;
    momu_beat_opts o;
    momu_beat_opts_default(&o);
    if (argc > 2) o.tightness = atof(argv[2]);
    if (argc > 3) o.prior_bpm = atof(argv[3]);
    if (argc > 4) o.prior_octaves = atof(argv[4]);
    double *t = NULL, bpm = 0.0;
    size_t nb = 0;
    momu_err e = {0};
    if (momu_beat_track(x, got, (unsigned)info.samplerate, &o, &t, &nb, &bpm, &e)) {
        fprintf(stderr, "beats_track: %s\n", e.msg);
        return 1;
    }
    for (size_t i = 0; i < nb; i++) printf("%.3f\n", t[i]);
    fprintf(stderr, "bpm %.2f\n", bpm);
    free(t); free(buf); free(x);
    return 0;
}
