/* bench/audio_roundtrip.c — Griffin-Lim round trips and log-mel speed on real music (run by hand; the
 * research data must not enter the repository, so nothing here is committed as a result file).
 *
 *   cc -O3 -march=native -fopenmp -Iinclude bench/audio_roundtrip.c build/libmomu.a \
 *      $(pkg-config --libs sndfile samplerate fftw3f) -lopenblas -lm -o bench/out/audio_roundtrip
 *   bench/out/audio_roundtrip ITERS OFFSET_S DURATION_S FILE...
 *
 * For each file: the excerpt [OFFSET, OFFSET + DURATION) at 16 kHz, and
 *   A  S = |STFT(x)| (the true magnitude), y = GriffinLim(S): SC_A = ||(|STFT(y)| - S)||_F / ||S||_F
 *   B  S = NNLS magnitude from the log-mel of x, y = GriffinLim(S): SC_B (same formula, this S),
 *      SC_B_true (against |STFT(x)|), and the mean |log10 mel(y) - log10 mel(x)|
 *   C  y = momu_mel_invert(log-mel of x) (what `momu audio invert` does): SC against the NNLS magnitude and
 *      against |STFT(x)|, and the log-mel MAE
 * plus the log-mel time of the whole file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "momu/audio.h"

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s ITERS OFFSET_S DURATION_S FILE...\n", argv[0]);
        return 2;
    }
    size_t iters = (size_t)atoi(argv[1]);
    double off = atof(argv[2]), dur = atof(argv[3]);
    printf("file\tseconds_total\tlogmel_s\texcerpt_s\titers\tSC_A_true_mag\tSC_B_nnls_mag\tSC_B_vs_true\tlogmel_MAE\tgl_s"
           "\tSC_C_nnls_mag\tSC_C_vs_true\tlogmel_MAE_C\tinvert_s\n");
    for (int f = 4; f < argc; f++) {
        momu_err e = {0};
        float *x, *mel, *mag, *St, *y, *S, *m2;
        size_t n, nf, ns, ny, n2;
        if (momu_audio_load(argv[f], MOMU_SR, &x, &n, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
        double t0 = momu_time_s();
        momu_logmel(x, n, &mel, &nf, &e);
        double t_mel = momu_time_s() - t0;
        free(mel);
        size_t a = (size_t)(off * MOMU_SR), len = (size_t)(dur * MOMU_SR);
        if (a >= n) a = 0;
        if (len > n - a) len = n - a;
        const float *xe = x + a;
        momu_logmel(xe, len, &mel, &nf, &e);
        momu_stft_mag(xe, len, MOMU_N_FFT, MOMU_HOP, MOMU_PAD_REFLECT, 1, &St, &ns, &e);
        /* A: Griffin-Lim alone */
        momu_griffin_lim(St, nf, iters, 0, &y, &ny, &e);
        momu_stft_mag(y, ny, MOMU_N_FFT, MOMU_HOP, MOMU_PAD_REFLECT, 1, &S, &ns, &e);
        double sc_a = momu_spectral_convergence(S, St, nf * MOMU_N_BINS);
        free(y); free(S);
        /* B: through the mel */
        momu_mel_to_linear(mel, nf, &mag, &e);
        double t1 = momu_time_s();
        momu_griffin_lim(mag, nf, iters, 0, &y, &ny, &e);
        double t_gl = momu_time_s() - t1;
        momu_stft_mag(y, ny, MOMU_N_FFT, MOMU_HOP, MOMU_PAD_REFLECT, 1, &S, &ns, &e);
        double sc_b = momu_spectral_convergence(S, mag, nf * MOMU_N_BINS);
        double sc_bt = momu_spectral_convergence(S, St, nf * MOMU_N_BINS);
        momu_logmel(y, ny, &m2, &n2, &e);
        double mae = 0.0;
        for (size_t i = 0; i < nf * MOMU_N_MELS; i++) mae += fabs(m2[i] - mel[i]);
        mae /= (double)(nf * MOMU_N_MELS);
        free(y); free(S); free(m2);
        /* C: momu_mel_invert, what `momu audio invert` does */
        double t2 = momu_time_s();
        momu_mel_invert(mel, nf, iters, &y, &ny, &e);
        double t_c = momu_time_s() - t2;
        momu_stft_mag(y, ny, MOMU_N_FFT, MOMU_HOP, MOMU_PAD_REFLECT, 1, &S, &ns, &e);
        double sc_ct = momu_spectral_convergence(S, St, nf * MOMU_N_BINS);
        double sc_cn = momu_spectral_convergence(S, mag, nf * MOMU_N_BINS);
        momu_logmel(y, ny, &m2, &n2, &e);
        double mae_c = 0.0;
        for (size_t i = 0; i < nf * MOMU_N_MELS; i++) mae_c += fabs(m2[i] - mel[i]);
        mae_c /= (double)(nf * MOMU_N_MELS);
        printf("%s\t%.1f\t%.3f\t%.1f\t%zu\t%.4f\t%.4f\t%.4f\t%.4f\t%.2f\t%.4f\t%.4f\t%.4f\t%.2f\n", argv[f],
               (double)n / MOMU_SR, t_mel, (double)len / MOMU_SR, iters, sc_a, sc_b, sc_bt, mae, t_gl, sc_cn, sc_ct,
               mae_c, t_c);
        fflush(stdout);
        free(x); free(mel); free(mag); free(St); free(y); free(S); free(m2);
    }
    momu_audio_cleanup();
    return 0;
}
