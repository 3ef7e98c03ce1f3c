/* momu synth — the demo song (include/momu/synth.h).
 *
 * Layout of one bar (4 beats, 8 eighths): kick on every beat, snare on beats 2 and 4 (indices 1 and 3), hats on
 * every eighth (louder on the beat), bass notes on a seeded eighth-note pattern, one pad chord per bar from a
 * seeded 4-bar progression in A minor. Tones are read from band-limited wavetables (additive synthesis, a
 * fixed number of harmonics far below Nyquist), drums are synthesised directly (pitch-swept sine for the kick,
 * filtered noise for snare and hats). Mixed in double, normalised, soft-limited with tanh (peak < 0.8). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "momu/rng.h"
#include "momu/synth.h"

#define PI 3.14159265358979323846
#define TAB 4096

/* One cycle: sum_{h=1..n_harm} sin(2 pi h x) / h^power, normalised to peak 1; TAB+1 entries (wrap). */
static void table_make(double *t, int n_harm, double power) {
    double peak = 0.0;
    for (int i = 0; i <= TAB; i++) {
        double v = 0.0;
        for (int h = 1; h <= n_harm; h++) v += sin(2.0 * PI * h * i / TAB) / pow(h, power);
        t[i] = v;
        peak = fmax(peak, fabs(v));
    }
    for (int i = 0; i <= TAB; i++) t[i] /= peak;
}

static inline double table_at(const double *t, double phase) {
    double p = (phase - floor(phase)) * TAB;
    int i = (int)p;
    if (i >= TAB) i = TAB - 1;
    double f = p - i;
    return t[i] + f * (t[i + 1] - t[i]);
}

static double midi_hz(double m) { return 440.0 * pow(2.0, (m - 69.0) / 12.0); }

typedef struct { double attack, tau, sustain, release; } envelope;

/* Attack (linear), decay towards sustain (exp, tau), gate off at dur, exponential release. */
static double env_at(const envelope *v, double t, double dur) {
    double gate = fmin(t, dur), lvl;
    if (gate < v->attack) lvl = gate / v->attack;
    else lvl = v->sustain + (1.0 - v->sustain) * exp(-(gate - v->attack) / v->tau);
    if (t > dur) lvl *= exp(-(t - dur) / v->release);
    return lvl;
}

/* Adds a wavetable tone (optionally a second voice detuned by `detune` cents) into mix. */
static void add_tone(double *mix, size_t n, unsigned sr, double t0, double dur, double hz, double detune,
                     const double *tab, const envelope *v, double gain) {
    double len = dur + 6.0 * v->release;
    size_t i0 = (size_t)ceil(t0 * sr), i1 = (size_t)ceil((t0 + len) * sr);
    if (i1 > n) i1 = n;
    double hz2 = hz * pow(2.0, detune / 1200.0);
    for (size_t i = i0; i < i1; i++) {
        double t = (double)i / sr - t0;
        double s = table_at(tab, hz * t);
        if (detune != 0.0) s = 0.5 * (s + table_at(tab, hz2 * t + 0.25));
        mix[i] += gain * env_at(v, t, dur) * s;
    }
}

static void add_kick(double *mix, size_t n, unsigned sr, double t0, double gain) {
    size_t i0 = (size_t)ceil(t0 * sr), i1 = (size_t)ceil((t0 + 0.4) * sr);
    if (i1 > n) i1 = n;
    for (size_t i = i0; i < i1; i++) {
        double t = (double)i / sr - t0;
        /* f(t) = 48 + 110 exp(-t/0.03) Hz; phase = integral of f */
        double phase = 48.0 * t + 110.0 * 0.03 * (1.0 - exp(-t / 0.03));
        double click = t < 0.004 ? (1.0 - t / 0.004) * 0.3 : 0.0;
        mix[i] += gain * (exp(-t / 0.13) * sin(2.0 * PI * phase) + click);
    }
}

/* Noise burst through a one-pole high-pass (y = a (y' + x - x')), exponential decay tau; plus a tone. */
static void add_noise_hit(double *mix, size_t n, unsigned sr, double t0, double tau, double hp_a, double tone_hz,
                          double tone_gain, double gain, momu_rng *r) {
    size_t i0 = (size_t)ceil(t0 * sr), i1 = (size_t)ceil((t0 + 7.0 * tau) * sr);
    if (i1 > n) i1 = n;
    double xp = 0.0, y = 0.0;
    for (size_t i = i0; i < i1; i++) {
        double t = (double)i / sr - t0;
        double x = 2.0 * momu_rng_uniform(r) - 1.0;
        y = hp_a * (y + x - xp);
        xp = x;
        double tone = tone_gain * exp(-t / (0.6 * tau)) * sin(2.0 * PI * tone_hz * t);
        mix[i] += gain * (exp(-t / tau) * y + tone);
    }
}

/* Chords in A minor as (root MIDI note in 52..63, minor?). */
typedef struct { int root, minor; } chord;
static const chord AM = {57, 1}, F = {53, 0}, C = {60, 0}, G = {55, 0}, DM = {62, 1}, E = {52, 0};
#define N_PROG 4
#define N_BASS 3

momu_status momu_synth_song(double seconds, double bpm, uint64_t seed, unsigned sr, float **x, size_t *n,
                            double **beat_times, size_t *n_beats, momu_err *e) {
    *x = NULL;
    *n = 0;
    if (beat_times) *beat_times = NULL;
    if (n_beats) *n_beats = 0;
    if (!(seconds > 0.0) || !(seconds <= 600.0))
        return momu_fail(e, MOMU_ERR_ARG, "synth: seconds %g: must be in (0, 600]", seconds);
    if (!(bpm >= 40.0) || !(bpm <= 240.0)) return momu_fail(e, MOMU_ERR_ARG, "synth: bpm %g: must be in [40, 240]", bpm);
    if (sr < 8000 || sr > 192000) return momu_fail(e, MOMU_ERR_ARG, "synth: sample rate %u: must be in 8000..192000", sr);
    const chord prog[N_PROG][4] = {{AM, F, C, G}, {AM, DM, G, C}, {F, G, AM, AM}, {AM, G, F, E}};
    /* bass on eighths: 0 rest, 1 root, 2 octave, 3 fifth */
    static const int bass_pat[N_BASS][8] = {{1, 0, 0, 1, 0, 0, 1, 0}, {1, 0, 1, 0, 1, 0, 2, 0}, {1, 0, 3, 1, 0, 1, 2, 3}};
    momu_rng r;
    momu_rng_seed(&r, seed);
    size_t pi = momu_rng_below(&r, N_PROG), bi = momu_rng_below(&r, N_BASS);
    int open_hat = (int)momu_rng_below(&r, 2);
    double off_gain = 0.06 * fmin(1.0, fmax(0.2, (bpm - 70.0) / 40.0));

    size_t len = (size_t)llround(seconds * sr);
    if (len < 1) len = 1;
    double beat = 60.0 / bpm;
    size_t nb = (size_t)ceil(seconds / beat);
    while (nb > 0 && (double)(nb - 1) * beat >= seconds) nb--;
    double *mix = momu_calloc_array(len, sizeof(double), e);
    double *pad_tab = momu_malloc_array(TAB + 1, sizeof(double), e), *bass_tab = momu_malloc_array(TAB + 1, sizeof(double), e);
    float *out = momu_malloc_array(len, sizeof(float), e);
    double *bt = beat_times ? momu_malloc_array(nb ? nb : 1, sizeof(double), e) : NULL;
    if (!mix || !pad_tab || !bass_tab || !out || (beat_times && !bt)) {
        free(mix); free(pad_tab); free(bass_tab); free(out); free(bt);
        return MOMU_ERR_OOM;
    }
    table_make(pad_tab, 6, 1.6);    /* soft, string-like */
    table_make(bass_tab, 10, 1.0);  /* band-limited saw */

    const envelope bass_env = {0.005, 0.15, 0.55, 0.04}, pad_env = {0.25, 0.8, 0.75, 0.35};
    for (size_t b = 0; b < nb; b++) {
        double t = (double)b * beat;
        if (bt) bt[b] = t;
        add_kick(mix, len, sr, t, 0.9);
        if (b % 4 == 1 || b % 4 == 3) add_noise_hit(mix, len, sr, t, 0.07, 0.85, 185.0, 0.5, 0.42, &r);
        add_noise_hit(mix, len, sr, t, 0.012, 0.5, 0.0, 0.0, 0.10, &r);                       /* hat on the beat */
        /* off-beat hat, quieter at slow tempi so that the eighths do not read as the beat */
        add_noise_hit(mix, len, sr, t + 0.5 * beat, open_hat ? 0.045 : 0.012, 0.5, 0.0, 0.0, off_gain, &r);
        if (b % 4 == 0) {   /* a new bar: pad chord and bass line */
            const chord *c = &prog[pi][(b / 4) % 4];
            int third = c->minor ? 3 : 4;
            double bar = 4.0 * beat;
            int notes[3] = {c->root, c->root + third, c->root + 7};
            for (int k = 0; k < 3; k++)
                add_tone(mix, len, sr, t, bar * 0.96, midi_hz(notes[k]), 7.0, pad_tab, &pad_env, 0.07);
            int bass_root = c->root - 24;
            while (bass_root < 33) bass_root += 12;
            while (bass_root >= 45) bass_root -= 12;
            const int *pat = bass_pat[bi];
            for (int s = 0; s < 8; s++) {
                if (!pat[s]) continue;
                int span = 1;
                while (s + span < 8 && !pat[s + span] && span < 3) span++;
                int note = bass_root + (pat[s] == 2 ? 12 : pat[s] == 3 ? 7 : 0);
                add_tone(mix, len, sr, t + s * 0.5 * beat, 0.5 * beat * span * 0.85, midi_hz(note), 0.0, bass_tab,
                         &bass_env, 0.3);
            }
        }
    }
    /* fades (20 ms in, 300 ms out), normalisation, tanh soft limiter */
    size_t fin = (size_t)(0.02 * sr), fout = (size_t)(0.3 * sr);
    for (size_t i = 0; i < len && i < fin; i++) mix[i] *= (double)i / (double)fin;
    for (size_t i = 0; i < len && i < fout; i++) mix[len - 1 - i] *= (double)i / (double)fout;
    double peak = 0.0;
    for (size_t i = 0; i < len; i++) peak = fmax(peak, fabs(mix[i]));
    double g = peak > 0.0 ? 1.2 / peak : 0.0;
    for (size_t i = 0; i < len; i++) out[i] = (float)(0.76 * tanh(g * mix[i]) / tanh(1.2));   /* peak 0.76 */
    free(mix);
    free(pad_tab);
    free(bass_tab);
    *x = out;
    *n = len;
    if (beat_times) *beat_times = bt;
    if (n_beats) *n_beats = nb;
    return MOMU_OK;
}
