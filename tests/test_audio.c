/* Tests for src/audio: mel filterbank, log-mel and onsets against the NumPy re-implementation of librosa 0.8
 * (tools/audio_reference.py, fixtures in tests/fixtures/audio/), Griffin-Lim, decoding, bad input. */
#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "../src/audio/audio_internal.h"
#include "momu/audio.h"
#include "momu/npy.h"
#include "test.h"

#define FIX "tests/fixtures/audio/"

static float *load_fixture_wav(const char *name, unsigned want_sr, size_t *n) {
    float *x = NULL;
    unsigned sr = 0;
    momu_err e = {0};
    if (momu_audio_load_native(name, &x, n, &sr, &e) != MOMU_OK || sr != want_sr) {
        fprintf(stderr, "  cannot load %s (%s, sr %u)\n", name, e.msg, sr);
        free(x);
        return NULL;
    }
    return x;
}

static void path_in_tmp(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", test_tmpdir(), name); }

/* ---- padding / window ---- */

TEST(reflect_padding_matches_numpy) {
    /* numpy.pad([1,2,3], 5, 'reflect') = [2 1 2 3 2 | 1 2 3 | 2 1 2 3 2] */
    const float x[3] = {1, 2, 3};
    const float want[13] = {2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2};
    for (int i = 0; i < 13; i++)
        EXPECT(audio_pad_sample(x, 3, i - 5, MOMU_PAD_REFLECT) == want[i], "index %d", i - 5);
    /* numpy.pad([1,2], 3, 'reflect') = [2 1 2 | 1 2 | 1 2 1]; a single sample repeats */
    const float y[2] = {1, 2};
    const float wy[8] = {2, 1, 2, 1, 2, 1, 2, 1};
    for (int i = 0; i < 8; i++) EXPECT(audio_pad_sample(y, 2, i - 3, MOMU_PAD_REFLECT) == wy[i], "index %d", i - 3);
    EXPECT(audio_pad_sample(y, 1, -4, MOMU_PAD_REFLECT) == 1.0f, "n=1");
    EXPECT(audio_pad_sample(x, 3, -1, MOMU_PAD_CONSTANT) == 0.0f, "constant");
    float w[8];
    audio_hann(w, 8);   /* periodic: 0, 0.1464, 0.5, 0.8536, 1, ... */
    EXPECT(w[0] == 0.0f && fabsf(w[2] - 0.5f) < 1e-7f && fabsf(w[4] - 1.0f) < 1e-7f && fabsf(w[6] - 0.5f) < 1e-7f,
           "hann %g %g %g", w[0], w[2], w[4]);
}

/* ---- STFT: a pure tone lands in its bin with the expected height ---- */

TEST(stft_tone_peak) {
    size_t n = 16000, nf;
    float *x = malloc(n * sizeof(float)), *S;
    for (size_t i = 0; i < n; i++) x[i] = 0.5f * (float)sin(2.0 * 3.14159265358979 * 1000.0 * (double)i / 16000.0);
    momu_err e = {0};
    EXPECT(momu_stft_mag(x, n, 1024, 160, MOMU_PAD_REFLECT, 1, &S, &nf, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(nf == 101, "frames %zu", nf);
    /* 1000 Hz = bin 64 exactly; periodic Hann sums to N/2, so |X| = A * N/4 = 128 */
    const float *row = S + 50 * 513;
    size_t arg = 0;
    for (size_t k = 1; k < 513; k++) arg = row[k] > row[arg] ? k : arg;
    EXPECT(arg == 64 && fabsf(row[64] - 128.0f) < 0.01f, "peak bin %zu height %g", arg, row[arg]);
    free(S);
    free(x);
}

/* ---- mel filterbank ---- */

TEST(mel_filterbank_vs_fixture) {
    momu_npy ref;
    momu_err e = {0};
    EXPECT(momu_npy_read(FIX "mel_fb_16k.npy", &ref, 1, &e) == MOMU_OK, "%s", e.msg);
    if (e.status) return;
    EXPECT(ref.ndim == 2 && ref.shape[0] == 80 && ref.shape[1] == 513, "fixture shape");
    float *fb = malloc(80 * 513 * sizeof(float));
    EXPECT(momu_mel_filterbank(16000, 1024, 80, 0.0, 8000.0, fb, &e) == MOMU_OK, "%s", e.msg);
    /* the same double arithmetic and the same float32 roundings as librosa: allow 1 ulp */
    EXPECT(test_close("mel fb", fb, ref.data, 80 * 513, 0.0, 2.5e-7), "values");
    /* properties: non-negative; peaks strictly increasing; Slaney norm makes each triangle's area (in Hz)
     * ~1, so sum_k w[k] * (sr / n_fft) ~ 1 for the wider bands (the sampled triangle's sum is the area up to
     * the sampling of its tips) */
    size_t prev_peak = 0;
    for (size_t m = 0; m < 80; m++) {
        const float *r = fb + m * 513;
        size_t pk = 0;
        double sum = 0.0;
        for (size_t k = 0; k < 513; k++) {
            EXPECT(r[k] >= 0.0f, "negative weight m %zu k %zu", m, k);
            if (r[k] > r[pk]) pk = k;
            sum += r[k];
        }
        if (m > 0) EXPECT(pk >= prev_peak, "peak order at band %zu (%zu < %zu)", m, pk, prev_peak);
        prev_peak = pk;
        if (m >= 20) EXPECT(fabs(sum * 16000.0 / 1024.0 - 1.0) < 0.05, "band %zu area %g", m, sum * 15.625);
    }
    /* hand-computed: band 0 spans 0 .. mel_to_hz(2 * 45.245/81) Hz; its first weight (0 Hz) is 0 */
    EXPECT(fb[0] == 0.0f && fb[1] > 0.0f, "band 0 starts at bin 1");
    EXPECT(momu_mel_filterbank(16000, 1024, 80, 0.0, 9000.0, fb, &e) == MOMU_ERR_ARG, "fmax > sr/2 accepted");
    free(fb);
    momu_npy_free(&ref);
}

/* ---- log-mel vs the NumPy reference ----
 * Metric (stated in the fixture README): on the LINEAR mel, err = |mel_c - mel_ref| / max(mel_ref, 1e-3 *
 * max_m mel_ref[t, m], floor), i.e. relative error per band with the denominator kept at least 60 dB below
 * the frame's loudest band (float32 FFT rounding is relative to the frame's energy, not to each bin). */
static double logmel_max_rel_err(const float *got, const float *ref, size_t n_frames) {
    double worst = 0.0;
    for (size_t t = 0; t < n_frames; t++) {
        double fmax_mel = 0.0;
        for (size_t m = 0; m < 80; m++) fmax_mel = fmax(fmax_mel, pow(10.0, ref[t * 80 + m]));
        for (size_t m = 0; m < 80; m++) {
            double a = pow(10.0, got[t * 80 + m]), b = pow(10.0, ref[t * 80 + m]);
            double den = fmax(fmax(b, 1e-3 * fmax_mel), (double)MOMU_MEL_FLOOR);
            worst = fmax(worst, fabs(a - b) / den);
        }
    }
    return worst;
}

static void check_logmel_fixture(const char *wav, const char *npy) {
    size_t n, nf;
    float *x = load_fixture_wav(wav, 16000, &n), *mel = NULL;
    EXPECT(x != NULL, "load %s", wav);
    if (!x) return;
    momu_npy ref;
    momu_err e = {0};
    EXPECT(momu_npy_read(npy, &ref, 1, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_logmel(x, n, &mel, &nf, &e) == MOMU_OK, "%s", e.msg);
    if (mel && ref.data) {
        EXPECT(ref.ndim == 2 && ref.shape[0] == nf && ref.shape[1] == 80, "frames %zu vs fixture %zu", nf,
               ref.shape[0]);
        if (ref.shape[0] == nf) {
            double err = logmel_max_rel_err(mel, ref.data, nf);
            printf("  %s: %zu frames, max relative linear-mel error %.3g\n", npy, nf, err);
            EXPECT(err <= 1e-4, "max rel err %g > 1e-4", err);
        }
    }
    free(mel);
    free(x);
    momu_npy_free(&ref);
}

TEST(logmel_synth_vs_fixture) { check_logmel_fixture(FIX "synth_16k.wav", FIX "synth_16k_logmel.npy"); }
TEST(logmel_real_vs_fixture) { check_logmel_fixture(FIX "real_16k.wav", FIX "real_16k_logmel.npy"); }

TEST(logmel_frames_and_threads) {
    /* n_frames = 1 + n / 160 for short and odd lengths (reflection repeats for n < 512) */
    float x[1000];
    for (int i = 0; i < 1000; i++) x[i] = (float)sin(0.05 * i) * 0.3f;
    size_t lens[4] = {1, 7, 159, 1000};
    for (int i = 0; i < 4; i++) {
        float *mel;
        size_t nf;
        momu_err e = {0};
        EXPECT(momu_logmel(x, lens[i], &mel, &nf, &e) == MOMU_OK, "%s", e.msg);
        EXPECT(nf == 1 + lens[i] / 160, "n %zu -> %zu frames", lens[i], nf);
        for (size_t k = 0; k < nf * 80; k++) EXPECT(isfinite(mel[k]) && mel[k] >= -5.0f, "value");
        free(mel);
    }
#ifdef _OPENMP
    size_t n;
    float *y = load_fixture_wav(FIX "real_16k.wav", 16000, &n), *a = NULL, *b = NULL;
    if (!y) return;
    size_t na, nb;
    int old = omp_get_max_threads();
    omp_set_num_threads(1);
    momu_logmel(y, n, &a, &na, NULL);
    omp_set_num_threads(2);
    momu_logmel(y, n, &b, &nb, NULL);
    omp_set_num_threads(old);
    EXPECT(a && b && na == nb && !memcmp(a, b, na * 80 * sizeof(float)), "1 vs 2 threads differ");
    free(a);
    free(b);
    free(y);
#endif
}

/* ---- onsets vs the NumPy reference ---- */

static void check_onset_fixture(const char *wav, const char *env_npy, const char *frames_npy) {
    size_t n, nf, k;
    float *x = load_fixture_wav(wav, 22050, &n), *env = NULL;
    EXPECT(x != NULL, "load %s", wav);
    if (!x) return;
    momu_npy ref_env, ref_fr;
    momu_err e = {0};
    EXPECT(momu_npy_read(env_npy, &ref_env, 1, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_npy_read(frames_npy, &ref_fr, 1, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_onset_strength(x, n, 22050, &env, &nf, &e) == MOMU_OK, "%s", e.msg);
    if (env && ref_env.data) {
        EXPECT(ref_env.numel == nf, "env frames %zu vs %zu", nf, ref_env.numel);
        if (ref_env.numel == nf) {
            /* error relative to the envelope's range (its values are mean dB increases) */
            double mx = 0.0, err = 0.0;
            for (size_t i = 0; i < nf; i++) mx = fmax(mx, fabs(ref_env.data[i]));
            for (size_t i = 0; i < nf; i++) err = fmax(err, fabs((double)env[i] - ref_env.data[i]));
            printf("  %s: %zu frames, max |env error| / max env = %.3g\n", env_npy, nf, err / mx);
            EXPECT(err / mx <= 1e-4, "env rel err %g", err / mx);
        }
    }
    double *times = NULL;
    EXPECT(momu_onset_detect(x, n, 22050, &times, &k, &e) == MOMU_OK, "%s", e.msg);
    if (ref_fr.data) {
        EXPECT(k == ref_fr.numel, "%zu onsets vs %zu in the fixture", k, ref_fr.numel);
        for (size_t i = 0; i < k && i < ref_fr.numel; i++) {
            double want = (double)ref_fr.data[i] * 512.0 / 22050.0;
            EXPECT(times[i] == want, "onset %zu at %.6f s, fixture %.6f s", i, times[i], want);
        }
    }
    free(times);
    free(env);
    free(x);
    momu_npy_free(&ref_env);
    momu_npy_free(&ref_fr);
}

TEST(onsets_synth_vs_fixture) {
    check_onset_fixture(FIX "synth_22k.wav", FIX "synth_22k_onset_env.npy", FIX "synth_22k_onset_frames.npy");
}
TEST(onsets_real_vs_fixture) {
    check_onset_fixture(FIX "real_22k.wav", FIX "real_22k_onset_env.npy", FIX "real_22k_onset_frames.npy");
}

TEST(peak_pick_by_hand) {
    /* normalised env: [0 0 1 0 0 0 0 0.5 0.5 0 0 0 0.9 0 0.95 0 ...]. Frame 2: max of x[0..5) and >= mean
     * (1/6) + 0.2 -> onset. Frames 7/8 tie at 0.5: both equal the window max, 7 passes (mean 1/6 + 0.2 =
     * 0.367), 8 is within wait = 1 -> dropped. Frame 12 (0.9) is not the max of x[9..15) (0.95 at 14). Frame 14:
     * max, mean (0.9 + 0.95) / 6 = 0.308 + 0.2 <= 0.95 -> onset. */
    float env[20] = {0};
    env[2] = 1.0f; env[7] = 0.5f; env[8] = 0.5f; env[12] = 0.9f; env[14] = 0.95f;
    for (int i = 0; i < 20; i++) env[i] = env[i] * 4.0f + 2.0f;   /* normalisation must undo this */
    size_t *fr, k;
    momu_err e = {0};
    EXPECT(momu_onset_peaks(env, 20, &fr, &k, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(k == 3 && fr[0] == 2 && fr[1] == 7 && fr[2] == 14, "got %zu onsets: %zu %zu %zu", k, k > 0 ? fr[0] : 0,
           k > 1 ? fr[1] : 0, k > 2 ? fr[2] : 0);
    free(fr);
    float flat[5] = {1, 1, 1, 1, 1};
    EXPECT(momu_onset_peaks(flat, 5, &fr, &k, &e) == MOMU_OK && k == 0 && fr == NULL, "flat env has onsets");
}

/* ---- Griffin-Lim ---- */

TEST(griffin_lim_roundtrip_synthetic) {
    /* 1 s of a harmonic tone sweeping 200 -> 400 Hz with 6 harmonics and an amplitude pulse each 0.25 s */
    size_t n = 16000;
    float *x = malloc(n * sizeof(float));
    double ph = 0.0;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / 16000.0, f = 200.0 + 200.0 * t;
        ph += 2.0 * 3.14159265358979 * f / 16000.0;
        double v = 0.0;
        for (int h = 1; h <= 6; h++) v += sin(h * ph) / h;
        x[i] = (float)(0.2 * v * (0.6 + 0.4 * cos(2.0 * 3.14159265358979 * 4.0 * t)));
    }
    momu_err e = {0};
    float *mel, *mag, *y, *S;
    size_t nf, ny, nsf;
    EXPECT(momu_logmel(x, n, &mel, &nf, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_mel_to_linear(mel, nf, &mag, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_griffin_lim(mag, nf, 64, 1, &y, &ny, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(ny == (nf - 1) * 160, "length %zu", ny);
    EXPECT(momu_stft_mag(y, ny, 1024, 160, MOMU_PAD_REFLECT, 1, &S, &nsf, &e) == MOMU_OK && nsf == nf, "restft");
    double sc = momu_spectral_convergence(S, mag, nf * 513);
    /* the mel fit itself: the NNLS magnitude reproduces the mel */
    float *mel2;
    size_t nf2;
    EXPECT(momu_logmel(y, ny, &mel2, &nf2, &e) == MOMU_OK && nf2 == nf, "mel of output");
    double mae = 0.0;
    for (size_t i = 0; i < nf * 80; i++) mae += fabs(mel2[i] - mel[i]);
    mae /= (double)(nf * 80);
    /* Through the mel, the NNLS magnitude is smooth inside each band and not a consistent STFT of any
     * signal, so Griffin-Lim plateaus near 0.19 on this sweep (0.188 at 64 iterations); the
     * bound leaves room for rounding only. The log-mel MAE is dominated by the near-silent bands between
     * the harmonics. */
    printf("  GL 64 iterations via mel: spectral convergence %.4f vs the NNLS magnitude; log-mel MAE %.4f\n", sc,
           mae);
    EXPECT(sc <= 0.20, "spectral convergence %g", sc);
    EXPECT(mae <= 0.15, "log-mel MAE %g", mae);
    /* Griffin-Lim alone on a consistent magnitude (the true |STFT| of x) converges much further. */
    float *Sx, *yx, *Sy;
    size_t nfx, nyx, nfy;
    EXPECT(momu_stft_mag(x, n, 1024, 160, MOMU_PAD_REFLECT, 1, &Sx, &nfx, &e) == MOMU_OK && nfx == nf, "stft x");
    EXPECT(momu_griffin_lim(Sx, nfx, 64, 1, &yx, &nyx, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(momu_stft_mag(yx, nyx, 1024, 160, MOMU_PAD_REFLECT, 1, &Sy, &nfy, &e) == MOMU_OK && nfy == nfx, "stft y");
    double sc_true = momu_spectral_convergence(Sy, Sx, nfx * 513);
    printf("  GL 64 iterations on the true |STFT|: spectral convergence %.4f\n", sc_true);
    EXPECT(sc_true <= 0.10, "spectral convergence on a consistent magnitude %g", sc_true);
    free(Sx); free(yx); free(Sy);
    /* deterministic: same seed, same bits, also with 1 and 2 threads */
    float *y2, *y3;
    size_t ny2, ny3;
#ifdef _OPENMP
    int old = omp_get_max_threads();
    omp_set_num_threads(1);
#endif
    EXPECT(momu_griffin_lim(mag, nf, 8, 1, &y2, &ny2, &e) == MOMU_OK, "%s", e.msg);
#ifdef _OPENMP
    omp_set_num_threads(2);
#endif
    EXPECT(momu_griffin_lim(mag, nf, 8, 1, &y3, &ny3, &e) == MOMU_OK, "%s", e.msg);
#ifdef _OPENMP
    omp_set_num_threads(old);
#endif
    EXPECT(ny2 == ny3 && !memcmp(y2, y3, ny2 * sizeof(float)), "GL differs between runs / thread counts");
    free(y3);
    /* rejects a non-log-mel */
    mel[5] = NAN;
    float *bad = NULL;
    EXPECT(momu_mel_to_linear(mel, nf, &bad, &e) == MOMU_ERR_RANGE && bad == NULL, "NaN mel accepted");
    free(x); free(mel); free(mag); free(y); free(S); free(mel2); free(y2);
}

/* ---- decoding ---- */

static int write_sf(const char *path, int format, int ch, int sr, const float *x, sf_count_t frames) {
    SF_INFO info = {0};
    info.channels = ch;
    info.samplerate = sr;
    info.format = format;
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f) return 0;
    sf_count_t w = sf_writef_float(f, x, frames);
    sf_close(f);
    return w == frames;
}

TEST(decode_wav_and_flac) {
    const int sr = 44100;
    const sf_count_t frames = 44100;
    float *st = malloc((size_t)frames * 2 * sizeof(float));
    for (sf_count_t i = 0; i < frames; i++) {
        /* quantise to 16 bit first so PCM16 / FLAC round trips are exact */
        float l = (float)(lrint(0.5 * sin(2.0 * 3.14159265358979 * 441.0 * (double)i / sr) * 32768.0) / 32768.0);
        st[2 * i] = l;
        st[2 * i + 1] = 0.25f;
    }
    const char *names[2] = {"s.wav", "s.flac"};
    const int fmts[2] = {SF_FORMAT_WAV | SF_FORMAT_PCM_16, SF_FORMAT_FLAC | SF_FORMAT_PCM_16};
    for (int k = 0; k < 2; k++) {
        char p[600];
        path_in_tmp(p, sizeof p, names[k]);
        EXPECT(write_sf(p, fmts[k], 2, sr, st, frames), "write %s", p);
        float *x;
        size_t n;
        unsigned got_sr;
        momu_err e = {0};
        EXPECT(momu_audio_load_native(p, &x, &n, &got_sr, &e) == MOMU_OK, "%s", e.msg);
        if (e.status) continue;
        EXPECT(n == (size_t)frames && got_sr == 44100, "%s: n %zu sr %u", names[k], n, got_sr);
        double err = 0.0;
        for (size_t i = 0; i < n; i++) err = fmax(err, fabs(x[i] - 0.5 * (st[2 * i] + st[2 * i + 1])));
        EXPECT(err < 1e-6, "%s: mono mix error %g", names[k], err);
        free(x);
        /* resampled to 16 kHz: length round(n * 16000 / 44100), the 441 Hz tone keeps its amplitude */
        EXPECT(momu_audio_load(p, 16000, &x, &n, &e) == MOMU_OK, "%s", e.msg);
        EXPECT(n == 16000, "resampled length %zu", n);
        if (n == 16000) {
            double c = 0.0, s = 0.0;
            for (size_t i = 2000; i < 14000; i++) {
                double a = 2.0 * 3.14159265358979 * 441.0 * (double)i / 16000.0;
                c += (x[i] - 0.125) * cos(a);
                s += (x[i] - 0.125) * sin(a);
            }
            double amp = 2.0 * sqrt(c * c + s * s) / 12000.0;
            EXPECT(fabs(amp - 0.25) < 0.0025, "441 Hz amplitude after resampling %g (want 0.25)", amp);
        }
        free(x);
    }
    free(st);
}

TEST(decode_lossy_formats) {
    /* Ogg/Vorbis and MP3 written by libsndfile itself (skipped if this libsndfile cannot encode them):
     * the length comes back within an MPEG frame pair and a 1 kHz tone keeps its amplitude within 5 %. */
    const int sr = 16000, frames = 16000;
    float *x = malloc(frames * sizeof(float));
    for (int i = 0; i < frames; i++) x[i] = (float)(0.5 * sin(2.0 * 3.14159265358979 * 1000.0 * i / sr));
    const char *names[2] = {"s.ogg", "s.mp3"};
    const int fmts[2] = {SF_FORMAT_OGG | SF_FORMAT_VORBIS, SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III};
    for (int k = 0; k < 2; k++) {
        char p[600];
        path_in_tmp(p, sizeof p, names[k]);
        if (!write_sf(p, fmts[k], 1, sr, x, frames)) {
            printf("  %s: this libsndfile cannot encode it; skipped\n", names[k]);
            continue;
        }
        float *y;
        size_t n;
        momu_err e = {0};
        EXPECT(momu_audio_load(p, 16000, &y, &n, &e) == MOMU_OK, "%s", e.msg);
        if (e.status) continue;
        EXPECT(n + 2304 >= (size_t)frames && n <= (size_t)frames + 2304, "%s: %zu samples", names[k], n);
        double c = 0.0, s2 = 0.0;
        size_t cnt = 0;
        for (size_t i = 3000; i < 13000 && i < n; i++, cnt++) {
            double a = 2.0 * 3.14159265358979 * 1000.0 * (double)i / sr;
            c += y[i] * cos(a);
            s2 += y[i] * sin(a);
        }
        double amp = cnt ? 2.0 * sqrt(c * c + s2 * s2) / (double)cnt : 0.0;
        printf("  %s: %zu samples, 1 kHz amplitude %.4f (written 0.5)\n", names[k], n, amp);
        EXPECT(fabs(amp - 0.5) < 0.025, "%s: amplitude %g", names[k], amp);
        free(y);
    }
    free(x);
}

TEST(write_wav_roundtrip) {
    char p[600];
    path_in_tmp(p, sizeof p, "out.wav");
    float x[100];
    for (int i = 0; i < 100; i++) x[i] = (float)(i - 50) / 40.0f;   /* includes values beyond +-1: clipped */
    momu_err e = {0};
    EXPECT(momu_audio_write_wav(p, x, 100, 16000, &e) == MOMU_OK, "%s", e.msg);
    float *y;
    size_t n;
    unsigned sr;
    EXPECT(momu_audio_load_native(p, &y, &n, &sr, &e) == MOMU_OK && n == 100 && sr == 16000, "%s", e.msg);
    if (!e.status) {
        double err = 0.0;
        for (int i = 0; i < 100; i++) {
            double want = x[i] > 32767.0f / 32768.0f ? 32767.0 / 32768.0 : x[i] < -1.0f ? -1.0 : x[i];
            err = fmax(err, fabs(y[i] - want));
        }
        EXPECT(err <= 0.5 / 32768.0, "round trip error %g", err);
        free(y);
    }
    x[3] = NAN;
    EXPECT(momu_audio_write_wav(p, x, 100, 16000, &e) == MOMU_ERR_RANGE, "NaN written");
}

/* ---- bad input: clear error, nonzero status, no crash ---- */

static void expect_load_fails(const char *path, momu_status want, const char *what) {
    float *x = (float *)1;
    size_t n = 7;
    momu_err e = {0};
    momu_status st = momu_audio_load(path, 16000, &x, &n, &e);
    EXPECT(st == want, "%s: status %s, want %s (%s)", what, momu_status_name(st), momu_status_name(want), e.msg);
    EXPECT(x == NULL && n == 0, "%s: outputs not cleared", what);
    EXPECT(strstr(e.msg, path) != NULL, "%s: message does not name the file: %s", what, e.msg);
    printf("  %s -> %s\n", what, e.msg);
}

TEST(bad_audio_input) {
    char p[600];
    /* truncated WAV: a valid 1000-sample PCM16 file cut in the middle of its data */
    path_in_tmp(p, sizeof p, "trunc.wav");
    float x[1000];
    for (int i = 0; i < 1000; i++) x[i] = 0.1f;
    EXPECT(write_sf(p, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 16000, x, 1000), "write");
    EXPECT(truncate(p, 44 + 700) == 0, "truncate");
    expect_load_fails(p, MOMU_ERR_FORMAT, "truncated WAV");
    /* truncated FLAC: libsndfile decodes fewer frames than the stream header declares */
    path_in_tmp(p, sizeof p, "trunc.flac");
    float *tone = malloc(16000 * sizeof(float));
    for (int i = 0; i < 16000; i++) tone[i] = (float)(0.3 * sin(0.37 * i) + 0.2 * sin(0.011 * i * i * 1e-3));
    EXPECT(write_sf(p, SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 1, 16000, tone, 16000), "write flac");
    struct stat sb;
    if (stat(p, &sb) == 0) EXPECT(truncate(p, sb.st_size * 2 / 3) == 0, "truncate flac");
    expect_load_fails(p, MOMU_ERR_FORMAT, "truncated FLAC");
    free(tone);
    /* garbage bytes named .wav */
    path_in_tmp(p, sizeof p, "garbage.wav");
    FILE *f = fopen(p, "wb");
    for (int i = 0; i < 4000; i++) fputc((i * 7919 + 13) & 0xff, f);
    fclose(f);
    expect_load_fails(p, MOMU_ERR_FORMAT, "garbage .wav");
    /* empty file */
    path_in_tmp(p, sizeof p, "empty.wav");
    f = fopen(p, "wb");
    fclose(f);
    expect_load_fails(p, MOMU_ERR_FORMAT, "empty file");
    /* a float WAV with a NaN sample */
    path_in_tmp(p, sizeof p, "nan.wav");
    x[500] = NAN;
    EXPECT(write_sf(p, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 1, 16000, x, 1000), "write float wav");
    expect_load_fails(p, MOMU_ERR_RANGE, "NaN sample");
    x[500] = 0.1f;
    /* absurdly long: 11000 samples at 1 Hz = 3.06 h */
    path_in_tmp(p, sizeof p, "long.wav");
    float *z = calloc(11000, sizeof(float));
    EXPECT(write_sf(p, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 1, z, 11000), "write long");
    free(z);
    expect_load_fails(p, MOMU_ERR_RANGE, "3 h of audio");
    /* missing file */
    path_in_tmp(p, sizeof p, "missing.wav");
    expect_load_fails(p, MOMU_ERR_IO, "missing file");
    /* library calls with bad arguments */
    float *o;
    size_t no;
    momu_err e = {0};
    EXPECT(momu_logmel(x, 0, &o, &no, &e) == MOMU_ERR_ARG, "empty logmel");
    x[10] = INFINITY;
    momu_err_clear(&e);
    EXPECT(momu_logmel(x, 1000, &o, &no, &e) == MOMU_ERR_RANGE && o == NULL, "Inf sample accepted by logmel");
    EXPECT(momu_onset_strength(x, 1000, 22050, &o, &no, &e) == MOMU_ERR_RANGE && o == NULL, "Inf accepted by onsets");
    x[10] = 0.1f;
    EXPECT(momu_resample(x, 10, 0, 16000, &o, &no, &e) == MOMU_ERR_ARG, "rate 0");
    EXPECT(momu_griffin_lim(x, 1, 10, 0, &o, &no, &e) == MOMU_ERR_ARG, "GL 1 frame");
    float mel_bad[80];
    for (int i = 0; i < 80; i++) mel_bad[i] = 40.0f;   /* not a log10 magnitude */
    EXPECT(momu_mel_to_linear(mel_bad, 1, &o, &e) == MOMU_ERR_RANGE, "mel of 1e40 accepted");
}

TEST(logmel_read_validates) {
    char p[600];
    momu_err e = {0};
    float *mel = NULL;
    size_t nf = 0;
    float v[3 * 80];
    for (int i = 0; i < 240; i++) v[i] = -2.0f + 0.01f * (float)i;
    size_t good[2] = {3, 80}, wrong[2] = {3, 79}, flat[1] = {240}, three[3] = {3, 8, 10};
    path_in_tmp(p, sizeof p, "mel_ok.npy");
    momu_npy_write_f32(p, v, 2, good, NULL);
    EXPECT(momu_logmel_read(p, &mel, &nf, &e) == MOMU_OK && nf == 3 && mel && mel[239] == v[239], "%s", e.msg);
    free(mel);
    const size_t *shapes[3] = {wrong, flat, three};
    const int ndims[3] = {2, 1, 3};
    const char *want[3] = {"shape (3, 79), expected (frames, 80)", "shape (240), expected", "shape (3, 8, 10)"};
    for (int k = 0; k < 3; k++) {
        path_in_tmp(p, sizeof p, "mel_bad.npy");
        momu_npy_write_f32(p, v, ndims[k], shapes[k], NULL);
        momu_err_clear(&e);
        mel = (float *)1;
        EXPECT(momu_logmel_read(p, &mel, &nf, &e) == MOMU_ERR_FORMAT && mel == NULL, "shape %d accepted", k);
        EXPECT(strstr(e.msg, want[k]) && strstr(e.msg, "mel_bad.npy"), "message: %s", e.msg);
    }
    v[100] = 50.0f;   /* a linear, not log10, value */
    path_in_tmp(p, sizeof p, "mel_range.npy");
    momu_npy_write_f32(p, v, 2, good, NULL);
    momu_err_clear(&e);
    EXPECT(momu_logmel_read(p, &mel, &nf, &e) == MOMU_ERR_RANGE && strstr(e.msg, "frame 1 band 20"), "%s", e.msg);
    v[100] = NAN;
    momu_npy_write_f32(p, v, 2, good, NULL);
    momu_err_clear(&e);
    EXPECT(momu_logmel_read(p, &mel, &nf, &e) != MOMU_OK && mel == NULL, "NaN mel accepted");
}

int main(void) {
    RUN(reflect_padding_matches_numpy);
    RUN(stft_tone_peak);
    RUN(mel_filterbank_vs_fixture);
    RUN(logmel_synth_vs_fixture);
    RUN(logmel_real_vs_fixture);
    RUN(logmel_frames_and_threads);
    RUN(onsets_synth_vs_fixture);
    RUN(onsets_real_vs_fixture);
    RUN(peak_pick_by_hand);
    RUN(griffin_lim_roundtrip_synthetic);
    RUN(decode_wav_and_flac);
    RUN(decode_lossy_formats);
    RUN(write_wav_roundtrip);
    RUN(bad_audio_input);
    RUN(logmel_read_validates);
    momu_audio_cleanup();
    return test_summary();
}
