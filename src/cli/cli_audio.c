/* momu audio — the audio front end on the command line (include/momu/audio.h).
 *   momu audio mel IN --out OUT.npy                    log-mel, float32 (frames, 80), 100 frames/s
 *   momu audio onsets IN [--envelope OUT.npy]          librosa-0.8 onset_detect (LORIS arguments), s per line
 *   momu audio invert MEL.npy --out OUT.wav [--iters N] [--seed N] [--magnitude S.npy]
 *                                                      NNLS + fast Griffin-Lim, 16 kHz WAV
 *   momu audio beats IN                                beat times (src/audio/beats.c, momu/beats.h)
 * A short summary (duration, frames) goes to stderr; results go to stdout or the named files. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "momu/audio.h"
#include "momu/beats.h"
#include "momu/npy.h"

static int audio_mel(int argc, char **argv) {
    const char *cmd = "audio mel", *out = NULL, *pos[1];
    size_t n_pos = 0;
    const cli_opt opts[] = {
        {"out", CLI_STR, &out, "output .npy: float32 (frames, 80) log10 Slaney mel magnitude, 100 frames/s"},
    };
    int rc = cli_parse(argc, argv, opts, 1, pos, 1, &n_pos, cmd,
                       "IN --out OUT.npy   (IN: any audio file libsndfile reads; mixed to mono, resampled to 16 kHz)");
    if (rc == 1) return 0;
    if (rc) return 2;
    if (n_pos != 1 || !out) {
        cli_errorf(cmd, "need one input file and --out OUT.npy (see momu %s --help)", cmd);
        return 2;
    }
    momu_err e = {0};
    float *x = NULL, *mel = NULL;
    size_t n, nf;
    double t0 = momu_time_s();
    if (momu_audio_load(pos[0], MOMU_SR, &x, &n, &e)) return cli_error(cmd, &e);
    double t1 = momu_time_s();
    if (momu_logmel(x, n, &mel, &nf, &e)) { free(x); return cli_error(cmd, &e); }
    double t2 = momu_time_s();
    size_t shape[2] = {nf, MOMU_N_MELS};
    momu_status st = momu_npy_write_f32(out, mel, 2, shape, &e);
    momu_log("%s: %.2f s at %d Hz -> %zu frames x %d mels -> %s (decode %.2f s, log-mel %.3f s)\n", pos[0],
             (double)n / MOMU_SR, MOMU_SR, nf, MOMU_N_MELS, out, t1 - t0, t2 - t1);
    free(x);
    free(mel);
    return st ? cli_error(cmd, &e) : 0;
}

static int audio_onsets(int argc, char **argv) {
    const char *cmd = "audio onsets", *env_out = NULL, *pos[1];
    size_t n_pos = 0;
    const cli_opt opts[] = {
        {"envelope", CLI_STR, &env_out, "also write the onset-strength envelope, float32 (frames,), 512/22050 s"},
    };
    int rc = cli_parse(argc, argv, opts, 1, pos, 1, &n_pos, cmd,
                       "IN [--envelope OUT.npy]   (librosa 0.8 onset_detect at 22050 Hz with the LORIS arguments; "
                       "one time in seconds per line)");
    if (rc == 1) return 0;
    if (rc) return 2;
    if (n_pos != 1) {
        cli_errorf(cmd, "need one input file (see momu %s --help)", cmd);
        return 2;
    }
    momu_err e = {0};
    float *x = NULL, *env = NULL;
    size_t n, nf, k;
    size_t *fr = NULL;
    if (momu_audio_load(pos[0], MOMU_ONSET_SR, &x, &n, &e)) return cli_error(cmd, &e);
    if (momu_onset_strength(x, n, MOMU_ONSET_SR, &env, &nf, &e) || momu_onset_peaks(env, nf, &fr, &k, &e)) {
        free(x);
        free(env);
        return cli_error(cmd, &e);
    }
    for (size_t i = 0; i < k; i++) printf("%.6f\n", (double)fr[i] * MOMU_ONSET_HOP / MOMU_ONSET_SR);
    momu_status st = MOMU_OK;
    if (env_out) {
        size_t shape[1] = {nf};
        st = momu_npy_write_f32(env_out, env, 1, shape, &e);
    }
    momu_log("%s: %.2f s, %zu envelope frames, %zu onsets\n", pos[0], (double)n / MOMU_ONSET_SR, nf, k);
    free(x);
    free(env);
    free(fr);
    return st ? cli_error(cmd, &e) : 0;
}

static int audio_invert(int argc, char **argv) {
    const char *cmd = "audio invert", *out = NULL, *mag_out = NULL, *pos[1];
    size_t n_pos = 0, iters = MOMU_GL_ITERS, seed = 0;
    const cli_opt opts[] = {
        {"out", CLI_STR, &out, "output WAV (16-bit PCM, 16 kHz mono)"},
        {"iters", CLI_SIZE, &iters, "Griffin-Lim iterations (fast variant, momentum 0.99)"},
        {"seed", CLI_SIZE, &seed, "seed of the random initial phase"},
        {"magnitude", CLI_STR, &mag_out, "debug dump: the NNLS linear magnitude, float32 (frames, 513)"},
    };
    int rc = cli_parse(argc, argv, opts, 4, pos, 1, &n_pos, cmd,
                       "MEL.npy --out OUT.wav [--iters N] [--seed N]   (MEL: float32 (frames, 80) as written by "
                       "momu audio mel)");
    if (rc == 1) return 0;
    if (rc) return 2;
    if (n_pos != 1 || !out) {
        cli_errorf(cmd, "need one MEL.npy and --out OUT.wav (see momu %s --help)", cmd);
        return 2;
    }
    if (iters < 1 || iters > 10000) {
        cli_errorf(cmd, "--iters must be in 1..10000, got %zu", iters);
        return 2;
    }
    momu_err e = {0};
    float *mel = NULL;
    size_t nf;
    if (momu_logmel_read(pos[0], &mel, &nf, &e)) return cli_error(cmd, &e);
    if (nf < 2) {
        free(mel);
        return cli_errorf(cmd, "%s: %zu frame; inversion needs at least 2", pos[0], nf);
    }
    float *mag = NULL, *y = NULL, *S = NULL;
    size_t ny, ns;
    double t0 = momu_time_s();
    momu_status st = momu_mel_to_linear(mel, nf, &mag, &e);
    if (st) {
        free(mel);
        return cli_errorf(cmd, "%s: %s", pos[0], e.msg);   /* name the file: the library only knows the array */
    }
    double t1 = momu_time_s();
    if (mag_out) {
        size_t shape[2] = {nf, MOMU_N_BINS};
        st = momu_npy_write_f32(mag_out, mag, 2, shape, &e);
    }
    if (!st) st = momu_griffin_lim(mag, nf, iters, (unsigned long long)seed, &y, &ny, &e);
    double t2 = momu_time_s();
    if (!st) st = momu_audio_write_wav(out, y, ny, MOMU_SR, &e);
    if (!st && momu_stft_mag(y, ny, MOMU_N_FFT, MOMU_HOP, MOMU_PAD_REFLECT, 1, &S, &ns, NULL) == MOMU_OK) {
        /* spectral convergence of the result against the magnitude Griffin-Lim was asked to match */
        double sc = momu_spectral_convergence(S, mag, nf * MOMU_N_BINS);
        momu_log("%s: %zu frames -> %.2f s at %d Hz -> %s; %zu Griffin-Lim iterations; spectral convergence "
                 "||(|STFT(y)| - S)||_F / ||S||_F = %.4f (S = NNLS magnitude from the mel); NNLS %.2f s, GL %.2f s\n",
                 pos[0], nf, (double)ny / MOMU_SR, MOMU_SR, out, iters, sc, t1 - t0, t2 - t1);
    }
    free(S);
    free(y);
    free(mag);
    free(mel);
    return st ? cli_error(cmd, &e) : 0;
}

/* ==== beats: the beat tracker's verb (src/audio/beats.c, include/momu/beats.h, owned by the beat-tracker
 * author, who may extend the options here) ==== */
static int audio_beats(int argc, char **argv) {
    const char *cmd = "audio beats", *pos[1];
    size_t n_pos = 0;
    momu_beat_opts o;
    momu_beat_opts_default(&o);
    float fixed_bpm = 0.0f, min_bpm = (float)o.min_bpm, max_bpm = (float)o.max_bpm, prior_bpm = (float)o.prior_bpm;
    float prior_oct = (float)o.prior_octaves, tightness = (float)o.tightness;
    int show_bpm = 0, no_steady = 0, no_trim = 0;
    const cli_opt opts[] = {
        {"bpm", CLI_FLAG, &show_bpm, "print the tempo used (BPM) to stderr"},
        {"fixed-bpm", CLI_FLOAT, &fixed_bpm, "> 0: skip tempo estimation and track at this tempo"},
        {"min-bpm", CLI_FLOAT, &min_bpm, "lowest tempo considered"},
        {"max-bpm", CLI_FLOAT, &max_bpm, "highest tempo considered"},
        {"prior-bpm", CLI_FLOAT, &prior_bpm, "centre of the log-Gaussian tempo prior"},
        {"prior-octaves", CLI_FLOAT, &prior_oct, "width (std, octaves) of the tempo prior"},
        {"tightness", CLI_FLOAT, &tightness, "DP weight of the tempo-deviation penalty (Ellis 2007 alpha)"},
        {"no-steady", CLI_FLAG, &no_steady, "never replace the DP path by a constant-tempo grid"},
        {"no-trim", CLI_FLAG, &no_trim, "keep weak beats at the start and the end"},
    };
    int rc = cli_parse(argc, argv, opts, sizeof opts / sizeof opts[0], pos, 1, &n_pos, cmd,
                       "IN [--bpm] [--fixed-bpm X] ...   (beat times in seconds, one per line)");
    if (rc == 1) return 0;
    if (rc) return 2;
    if (n_pos != 1) {
        cli_errorf(cmd, "need one input file (see momu %s --help)", cmd);
        return 2;
    }
    o.fixed_bpm = fixed_bpm;
    o.min_bpm = min_bpm;
    o.max_bpm = max_bpm;
    o.prior_bpm = prior_bpm;
    o.prior_octaves = prior_oct;
    o.tightness = tightness;
    o.steady = !no_steady;
    o.trim = !no_trim;
    momu_err e = {0};
    float *x = NULL;
    size_t n, nb;
    unsigned sr;
    double *t = NULL, bpm = 0.0;
    if (momu_audio_load_native(pos[0], &x, &n, &sr, &e)) return cli_error(cmd, &e);
    if (sr < 8000 || sr > 192000) {   /* the tracker's accepted range: resample the rest to 22050 Hz */
        float *y;
        size_t ny;
        momu_status st = momu_resample(x, n, sr, MOMU_ONSET_SR, &y, &ny, &e);
        free(x);
        if (st) return cli_error(cmd, &e);
        x = y;
        n = ny;
        sr = MOMU_ONSET_SR;
    }
    if (momu_beat_track(x, n, sr, &o, &t, &nb, &bpm, &e)) {
        free(x);
        return cli_error(cmd, &e);
    }
    for (size_t i = 0; i < nb; i++) printf("%.3f\n", t[i]);
    if (show_bpm) fprintf(stderr, "bpm %.2f\n", bpm);
    momu_logv("%s: %.2f s, tempo %.2f BPM, %zu beats\n", pos[0], (double)n / sr, bpm, nb);
    free(t);
    free(x);
    return 0;
}
/* ==== end of beats ==== */

static void audio_usage(FILE *f) {
    fprintf(f, "usage: momu audio VERB ...\n\n"
               "  mel IN --out OUT.npy            log-mel float32 (frames, %d), %d Hz, n_fft %d, hop %d, Slaney mel\n"
               "  onsets IN [--envelope E.npy]    onset times (librosa 0.8 onset_detect, LORIS arguments)\n"
               "  invert MEL.npy --out OUT.wav    mel -> NNLS magnitude -> fast Griffin-Lim [--iters N]\n"
               "  beats IN                        beat times and tempo\n\n"
               "'momu audio VERB --help' describes each verb.\n",
            MOMU_N_MELS, MOMU_SR, MOMU_N_FFT, MOMU_HOP);
}

int cli_audio(int argc, char **argv) {
    if (argc < 2) {
        audio_usage(stderr);
        return 2;
    }
    const char *v = argv[1];
    if (!strcmp(v, "-h") || !strcmp(v, "--help") || !strcmp(v, "help")) {
        audio_usage(stdout);
        return 0;
    }
    int rc;
    if (!strcmp(v, "mel")) rc = audio_mel(argc - 2, argv + 2);
    else if (!strcmp(v, "onsets")) rc = audio_onsets(argc - 2, argv + 2);
    else if (!strcmp(v, "invert")) rc = audio_invert(argc - 2, argv + 2);
    else if (!strcmp(v, "beats")) rc = audio_beats(argc - 2, argv + 2);
    else {
        fprintf(stderr, "momu audio: unknown verb '%s'\n", v);
        audio_usage(stderr);
        return 2;
    }
    momu_audio_cleanup();
    return rc;
}
