/* Tests of clip discovery, the by-song split, align.tsv and `momu data prepare` on tiny synthetic fixtures
 * written here (16 kHz WAVs of clicks and (T,23,3) motions). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "momu/audio.h"
#include "momu/data.h"
#include "momu/npy.h"
#include "momu/rng.h"
#include "test.h"

#define T_FRAMES 150 /* 6 s at 25 fps */

static char g_dir[600];

static void mkd(const char *p) { mkdir(p, 0777); }

/* A stick figure walking forward (+z, 1 cm/frame) whose left wrist swings with a frame-dependent pattern, so
 * that feature rows identify their frame; n_frames at 25 fps. */
static int write_motion(const char *path, size_t n_frames, uint64_t seed) {
    size_t J = 23;
    float *p = calloc(n_frames * J * 3, sizeof(float));
    momu_rng r;
    momu_rng_seed(&r, seed);
    for (size_t t = 0; t < n_frames; t++)
        for (size_t j = 0; j < J; j++) {
            float *q = p + (t * J + j) * 3;
            int left = (j >= 3 && j <= 11) || j == 22;
            q[0] = (left ? 12.0f : -12.0f) * (j == 2 ? 0.0f : 1.0f);
            q[1] = (j == 10 || j == 11 || j == 19 || j == 20) ? 5.0f : 60.0f + 4.0f * (float)j;
            q[2] = (float)t + ((j == 11 || j == 20) ? 15.0f : 0.0f);
            q[0] += 0.3f * momu_rng_normal(&r);
            q[1] += 0.3f * momu_rng_normal(&r);
        }
    for (size_t t = 0; t < n_frames; t++) {
        float *w = p + (t * J + 6) * 3;
        w[0] += 10.0f * sinf(0.37f * (float)t) + 0.2f * (float)t;
        w[1] += 8.0f * cosf(0.23f * (float)t);
    }
    size_t shape[3] = {n_frames, J, 3};
    momu_err e = {0};
    int ok = momu_npy_write_f32(path, p, 3, shape, &e) == MOMU_OK;
    if (!ok) fprintf(stderr, "%s\n", e.msg);
    free(p);
    return ok;
}

/* Clicks every 0.5 s (starting at `first` s) over noise, 16 kHz. */
static int write_music(const char *path, double seconds, double first, uint64_t seed) {
    size_t n = (size_t)(seconds * 16000);
    float *x = calloc(n, sizeof(float));
    momu_rng r;
    momu_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) x[i] = 0.01f * momu_rng_normal(&r);
    for (double t = first; t < seconds; t += 0.5)
        for (size_t k = 0; k < 400; k++) {
            size_t i = (size_t)(t * 16000) + k;
            if (i < n) x[i] += 0.5f * expf(-(float)k / 80.0f) * momu_rng_normal(&r);
        }
    momu_err e = {0};
    int ok = momu_audio_write_wav(path, x, n, 16000, &e) == MOMU_OK;
    if (!ok) fprintf(stderr, "%s\n", e.msg);
    free(x);
    return ok;
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (f) { fputs(text, f); fclose(f); }
}

static char *path_in(const char *dir, const char *name) {
    static char buf[8][1200];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

/* g_dir/clips: 4 clips, songs s1 (A, B), s2 (C), s3 (D), with a manifest. */
static int make_fixture(void) {
    snprintf(g_dir, sizeof g_dir, "%s/clips", test_tmpdir());
    mkd(g_dir);
    const char *names[4] = {"A", "B", "C", "D"};
    char fn[64];
    for (int i = 0; i < 4; i++) {
        snprintf(fn, sizeof fn, "%s.motion.npy", names[i]);
        if (!write_motion(path_in(g_dir, fn), T_FRAMES, 100 + (uint64_t)i)) return 0;
        snprintf(fn, sizeof fn, "%s.music.wav", names[i]);
        if (!write_music(path_in(g_dir, fn), 6.0, 0.1 * i, 200 + (uint64_t)i)) return 0;
    }
    write_text(path_in(g_dir, "manifest.tsv"),
               "name\tstyle\tmotion_file\tmusic_file\tsource_mp3_md5\n"
               "A\twaltz\tA.motion.npy\tA.music.wav\ts1\n"
               "B\twaltz\tB.motion.npy\tB.music.wav\ts1\n"
               "C\trumba\tC.motion.npy\tC.music.wav\ts2\n"
               "D\twaltz\tD.motion.npy\tD.music.wav\ts3\n");
    return 1;
}

TEST(test_scan_manifest_and_stems) {
    momu_clip_list cl;
    momu_err e = {0};
    EXPECT(momu_data_scan(g_dir, &cl, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(cl.n == 4, "n %zu", cl.n);
    if (cl.n == 4) {
        EXPECT(!strcmp(cl.clips[1].name, "B") && !strcmp(cl.clips[1].song, "s1"), "clip 1 %s/%s", cl.clips[1].name, cl.clips[1].song);
        EXPECT(!strcmp(cl.clips[2].style, "rumba"), "style %s", cl.clips[2].style);
    }
    momu_clip_list_free(&cl);
    /* without a manifest: stems pair X.motion.npy with X.music.wav; a lone motion is a missing pair */
    char d2[700];
    snprintf(d2, sizeof d2, "%s/stems", test_tmpdir());
    mkd(d2);
    EXPECT(write_motion(path_in(d2, "X.motion.npy"), 60, 1) && write_music(path_in(d2, "X.music.wav"), 2.4, 0, 1), "fixture");
    EXPECT(momu_data_scan(d2, &cl, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(cl.n == 1 && !strcmp(cl.clips[0].name, "X") && !strcmp(cl.clips[0].song, "X"), "stem pairing");
    momu_clip_list_free(&cl);
    write_motion(path_in(d2, "Y.motion.npy"), 60, 2);
    momu_err_clear(&e);
    EXPECT(momu_data_scan(d2, &cl, &e) == MOMU_ERR_FORMAT, "missing pair accepted");
    EXPECT(strstr(e.msg, "missing pair") && strstr(e.msg, "Y.motion.npy"), "message '%s'", e.msg);
    remove(path_in(d2, "Y.motion.npy"));
}

TEST(test_split_by_song) {
    momu_clip_list cl;
    momu_err e = {0};
    if (momu_data_scan(g_dir, &cl, &e)) { EXPECT(0, "%s", e.msg); return; }
    int seen_val[4] = {0};
    for (uint64_t seed = 1; seed <= 24; seed++) {
        int v[4];
        EXPECT(momu_data_split_by_song(&cl, 1, 0.15, seed, v, &e) == MOMU_OK, "%s", e.msg);
        /* A and B share song s1: always in the same split; exactly one song in validation */
        EXPECT(v[0] == v[1], "seed %llu: A %d B %d", (unsigned long long)seed, v[0], v[1]);
        int songs = v[0] + v[2] + v[3];
        EXPECT(songs == 1, "seed %llu: %d validation songs", (unsigned long long)seed, songs);
        for (int i = 0; i < 4; i++) seen_val[i] |= v[i];
        int w[4];
        momu_data_split_by_song(&cl, 1, 0.15, seed, w, &e);
        EXPECT(!memcmp(v, w, sizeof v), "split not deterministic");
    }
    EXPECT(seen_val[0] && seen_val[2] && seen_val[3], "some song never drawn for validation over 24 seeds");
    int v[4];
    EXPECT(momu_data_split_by_song(&cl, 3, 0.15, 1, v, &e) == MOMU_ERR_ARG, "all songs in validation accepted");
    /* fraction: round(0.5 * 3 songs) = 2 */
    EXPECT(momu_data_split_by_song(&cl, 0, 0.5, 1, v, &e) == MOMU_OK, "%s", e.msg);
    EXPECT((v[0] + v[2] + v[3]) == 2, "fraction split %d %d %d", v[0], v[2], v[3]);
    momu_clip_list_free(&cl);
}

TEST(test_align_table_roundtrip) {
    momu_align_row rows[2] = {0};
    strcpy(rows[0].name, "A");
    rows[0].a.scale = 0.9876;
    rows[0].a.offset_s = -0.42;
    strcpy(rows[1].name, "B");
    rows[1].a.scale = 1.0;
    momu_err e = {0};
    const char *p = path_in(test_tmpdir(), "align_rt.tsv");
    EXPECT(momu_align_table_write(p, rows, 2, &e) == MOMU_OK, "%s", e.msg);
    momu_align_row *r = NULL;
    size_t n = 0;
    EXPECT(momu_align_table_read(p, &r, &n, &e) == MOMU_OK, "%s", e.msg);
    EXPECT(n == 2 && r && fabs(r[0].a.scale - 0.9876) < 1e-9 && fabs(r[0].a.offset_s + 0.42) < 1e-9, "roundtrip");
    free(r);
    write_text(p, "name\tscale\toffset_s\r\nA\t0.99\t0.5\r\n");  /* CRLF line ends */
    EXPECT(momu_align_table_read(p, &r, &n, &e) == MOMU_OK && n == 1 && fabs(r[0].a.offset_s - 0.5) < 1e-12, "CRLF: %s", e.msg);
    free(r);
    write_text(p, "name\tscale\toffset_s\nA\tnan\t0\n");
    EXPECT(momu_align_table_read(p, &r, &n, &e) == MOMU_ERR_FORMAT, "NaN scale accepted");
    EXPECT(strstr(e.msg, "align_rt.tsv:2") != NULL, "message '%s'", e.msg);
    momu_err_clear(&e);
    write_text(p, "name\tscale\toffset_s\nA\t3.0\t0\n");
    EXPECT(momu_align_table_read(p, &r, &n, &e) == MOMU_ERR_RANGE, "scale 3 accepted");
}

static int read_npy(const char *dir, const char *name, momu_npy *a) {
    momu_err e = {0};
    if (momu_npy_read(path_in(dir, name), a, 1, &e)) { fprintf(stderr, "  %s\n", e.msg); return 0; }
    return 1;
}

static size_t count_lines(const char *path) {
    FILE *f = fopen(path, "r");
    size_t n = 0;
    int c;
    if (!f) return 0;
    while ((c = fgetc(f)) != EOF) n += c == '\n';
    fclose(f);
    return n;
}

TEST(test_prepare_shapes_split_stats) {
    char out[700];
    snprintf(out, sizeof out, "%s/prep1", test_tmpdir());
    momu_prepare_opts o;
    momu_prepare_opts_default(&o);
    o.data_dir = g_dir;
    o.out_dir = out;
    o.window_s = 2.0;  /* 50 motion frames, 200 mel frames */
    o.stride_s = 2.0;
    o.val_songs = 1;
    o.seed = 3;
    momu_prepare_summary s;
    momu_err e = {0};
    int q = momu_verbosity;
    momu_verbosity = 0;
    EXPECT(momu_data_prepare(&o, &s, &e) == MOMU_OK, "%s", e.msg);
    momu_verbosity = q;
    /* 150 frames per clip -> windows at 0, 50, 100: 3 per clip, 12 in all */
    EXPECT(s.window_frames == 50 && s.stride_frames == 50, "W %zu S %zu", s.window_frames, s.stride_frames);
    EXPECT(s.n_train_windows + s.n_val_windows == 12, "windows %zu + %zu", s.n_train_windows, s.n_val_windows);
    EXPECT(s.n_val_songs == 1 && s.n_train_songs == 2, "songs %zu/%zu", s.n_train_songs, s.n_val_songs);
    momu_npy tm = {0}, tl = {0}, vm = {0}, st = {0}, ms = {0};
    if (read_npy(out, "train_motion.npy", &tm) && read_npy(out, "train_mel.npy", &tl) &&
        read_npy(out, "val_motion.npy", &vm) && read_npy(out, "motion_stats.npy", &st) &&
        read_npy(out, "mel_stats.npy", &ms)) {
        size_t D = s.motion_dim;
        EXPECT(D == 6 * 23 + 8, "D %zu", D);
        EXPECT(tm.ndim == 3 && tm.shape[0] == s.n_train_windows && tm.shape[1] == 50 && tm.shape[2] == D,
               "train motion shape (%zu,%zu,%zu)", tm.shape[0], tm.shape[1], tm.shape[2]);
        EXPECT(tl.ndim == 3 && tl.shape[0] == s.n_train_windows && tl.shape[1] == 200 && tl.shape[2] == 80,
               "train mel shape (%zu,%zu,%zu)", tl.shape[0], tl.shape[1], tl.shape[2]);
        EXPECT(vm.shape[0] == s.n_val_windows, "val rows %zu", vm.shape[0]);
        EXPECT(st.ndim == 2 && st.shape[0] == 2 && st.shape[1] == D, "stats shape");
        /* windows tile the clips without overlap here, so the stats are the plain mean/std over the train
         * windows (float32 data, double sums: tolerance 1e-4 relative + 1e-3 absolute) */
        if (st.ndim == 2 && tm.ndim == 3 && tm.shape[0] > 0) {
            size_t rows_n = tm.shape[0] * tm.shape[1];
            float *mean = calloc(2 * D, sizeof(float));
            for (size_t k = 0; k < D; k++) {
                double a = 0, b = 0;
                for (size_t r = 0; r < rows_n; r++) a += tm.data[r * D + k];
                a /= (double)rows_n;
                for (size_t r = 0; r < rows_n; r++) b += (tm.data[r * D + k] - a) * (tm.data[r * D + k] - a);
                mean[k] = (float)a;
                mean[D + k] = (float)fmax(sqrt(b / (double)rows_n), 1e-2);
            }
            EXPECT(test_close("motion stats", st.data, mean, 2 * D, 1e-3, 1e-4), "motion stats differ");
            free(mean);
            double m0 = 0;
            for (size_t r = 0; r < tl.shape[0] * tl.shape[1]; r++) m0 += tl.data[r * 80];
            m0 /= (double)(tl.shape[0] * tl.shape[1]);
            EXPECT(fabs(ms.data[0] - m0) < 1e-3, "mel band 0 mean %.5f vs %.5f", ms.data[0], m0);
        }
    }
    momu_npy_free(&tm); momu_npy_free(&tl); momu_npy_free(&vm); momu_npy_free(&st); momu_npy_free(&ms);
    /* the index files list each window once; no song in both splits */
    size_t nt = count_lines(path_in(out, "train_index.tsv")), nv = count_lines(path_in(out, "val_index.tsv"));
    EXPECT(nt == s.n_train_windows + 1 && nv == s.n_val_windows + 1, "index lines %zu %zu", nt, nv);
    FILE *f = fopen(path_in(out, "split.tsv"), "r");
    char line[512], split_of[3][16] = {"", "", ""};
    int bad = 0;
    while (f && fgets(line, sizeof line, f)) {
        char clip[64], song[64], style[64], sp[16];
        if (sscanf(line, "%63s %63s %63s %15s", clip, song, style, sp) != 4 || song[0] != 's') continue;
        int k = song[1] - '1';
        if (k < 0 || k > 2) continue;
        if (split_of[k][0] && strcmp(split_of[k], sp)) bad = 1;
        snprintf(split_of[k], sizeof split_of[k], "%s", sp);
    }
    if (f) fclose(f);
    EXPECT(!bad, "a song in both splits");
    struct stat sb;
    EXPECT(stat(path_in(out, "prepare.json"), &sb) == 0, "prepare.json missing");
}

TEST(test_prepare_applies_alignment) {
    /* clip C alone, as shipped and with offset 0.4 s (10 frames): motion_time = music_time + 0.4, so
     * the aligned window 0 row k must equal the unaligned row k + 10 (exact frames: interpolation is exact) */
    char dir[700], out0[700], out1[700];
    snprintf(dir, sizeof dir, "%s/one", test_tmpdir());
    snprintf(out0, sizeof out0, "%s/prep_noalign", test_tmpdir());
    snprintf(out1, sizeof out1, "%s/prep_align", test_tmpdir());
    mkd(dir);
    EXPECT(write_motion(path_in(dir, "C.motion.npy"), T_FRAMES, 102) && write_music(path_in(dir, "C.music.wav"), 6.0, 0.2, 202), "fixture");
    write_text(path_in(dir, "align.tsv"), "name\tscale\toffset_s\nC\t1.0\t0.4\n");
    momu_prepare_opts o;
    momu_prepare_opts_default(&o);
    o.data_dir = dir;
    o.window_s = 2.0;
    o.stride_s = 2.0;
    momu_prepare_summary s0, s1;
    momu_err e = {0};
    int q = momu_verbosity;
    momu_verbosity = 0;
    o.out_dir = out0;
    EXPECT(momu_data_prepare(&o, &s0, &e) == MOMU_OK, "%s", e.msg);
    o.out_dir = out1;
    o.align_path = path_in(dir, "align.tsv");
    EXPECT(momu_data_prepare(&o, &s1, &e) == MOMU_OK, "%s", e.msg);
    momu_verbosity = q;
    /* one song: no validation; 150 frames -> 3 windows; aligned: music time 0..(149-10)/25 -> 140 frames -> 2 */
    EXPECT(s0.n_train_windows == 3 && s0.n_val_windows == 0, "unaligned windows %zu/%zu", s0.n_train_windows, s0.n_val_windows);
    EXPECT(s1.n_train_windows == 2, "aligned windows %zu", s1.n_train_windows);
    momu_npy a = {0}, b = {0}, la = {0}, lb = {0};
    if (read_npy(out0, "train_motion.npy", &a) && read_npy(out1, "train_motion.npy", &b) &&
        read_npy(out0, "train_mel.npy", &la) && read_npy(out1, "train_mel.npy", &lb) && a.ndim == 3 && b.ndim == 3) {
        size_t D = a.shape[2];
        /* rows 0..38 of aligned window 0 = rows 10..48 of unaligned window 0 (the last row's velocity
         * repeats the previous one, so row 49 is left out); tolerance 1e-3 cm absolute + 1e-4 relative */
        EXPECT(test_close("aligned rows", b.data, a.data + 10 * D, 39 * D, 1e-3, 1e-4), "alignment not applied");
        /* and not trivially: unshifted rows differ */
        double diff = 0;
        for (size_t k = 0; k < 39 * D; k++) diff = fmax(diff, fabs(b.data[k] - a.data[k]));
        EXPECT(diff > 1.0, "aligned equals unaligned (max diff %.3g)", diff);
        /* the music clock is the reference: mel window 0 is the same in both */
        EXPECT(test_close("mel", lb.data, la.data, 200 * 80, 0, 0), "mel moved");
    }
    momu_npy_free(&a); momu_npy_free(&b); momu_npy_free(&la); momu_npy_free(&lb);
}

TEST(test_prepare_tempo_augmentation) {
    /* tempo 1.1 on clip C: the augmented clock u maps to music time 1.1 u, so augmented mel frame 10 is
     * the original mel frame 11 exactly, and the augmented clip is 6/1.1 = 5.45 s -> 136 frames -> 2 windows */
    char dir[700], out[700];
    snprintf(dir, sizeof dir, "%s/one", test_tmpdir());  /* made by test_prepare_applies_alignment */
    snprintf(out, sizeof out, "%s/prep_tempo", test_tmpdir());
    momu_prepare_opts o;
    momu_prepare_opts_default(&o);
    const double tf[1] = {1.1};
    o.data_dir = dir;
    o.out_dir = out;
    o.window_s = 2.0;
    o.stride_s = 2.0;
    o.tempo = tf;
    o.n_tempo = 1;
    momu_prepare_summary s;
    momu_err e = {0};
    int q = momu_verbosity;
    momu_verbosity = 0;
    EXPECT(momu_data_prepare(&o, &s, &e) == MOMU_OK, "%s", e.msg);
    momu_verbosity = q;
    EXPECT(s.n_train_windows == 3 + 2, "windows %zu", s.n_train_windows);
    momu_npy l = {0};
    if (read_npy(out, "train_mel.npy", &l) && l.ndim == 3 && l.shape[0] == 5) {
        const float *orig = l.data, *aug = l.data + 3 * 200 * 80;  /* window 3 = first augmented one */
        EXPECT(test_close("mel at tempo 1.1", aug + 10 * 80, orig + 11 * 80, 80, 1e-5, 1e-5), "augmented mel");
    }
    momu_npy_free(&l);
    const double bad[1] = {1.5};
    o.tempo = bad;
    EXPECT(momu_data_prepare(&o, &s, &e) == MOMU_ERR_ARG, "tempo 1.5 accepted");
}

TEST(test_prepare_bad_input) {
    momu_prepare_opts o;
    momu_prepare_opts_default(&o);
    momu_prepare_summary s;
    momu_err e = {0};
    char dir[700], out[700];
    snprintf(out, sizeof out, "%s/prep_bad", test_tmpdir());
    o.out_dir = out;
    o.window_s = 2.0;
    o.stride_s = 2.0;
    int q = momu_verbosity;
    momu_verbosity = 0;
    /* corrupt motion file */
    snprintf(dir, sizeof dir, "%s/corrupt", test_tmpdir());
    mkd(dir);
    write_text(path_in(dir, "K.motion.npy"), "\x93NUMPY garbage that is not a header");
    write_music(path_in(dir, "K.music.wav"), 3.0, 0, 5);
    o.data_dir = dir;
    EXPECT(momu_data_prepare(&o, &s, &e) != MOMU_OK, "corrupt motion accepted");
    EXPECT(strstr(e.msg, "K.motion.npy") != NULL, "message '%s'", e.msg);
    /* mismatched lengths: 6 s of music, 1.6 s of motion */
    momu_err_clear(&e);
    snprintf(dir, sizeof dir, "%s/mismatch", test_tmpdir());
    mkd(dir);
    write_motion(path_in(dir, "M.motion.npy"), 40, 6);
    write_music(path_in(dir, "M.music.wav"), 6.0, 0, 6);
    o.data_dir = dir;
    EXPECT(momu_data_prepare(&o, &s, &e) == MOMU_ERR_RANGE, "mismatched lengths accepted (%s)", e.msg);
    EXPECT(strstr(e.msg, "mismatched lengths") != NULL, "message '%s'", e.msg);
    /* an alignment table without the clip */
    momu_err_clear(&e);
    o.data_dir = g_dir;
    write_text(path_in(test_tmpdir(), "partial.tsv"), "name\tscale\toffset_s\nA\t1\t0\n");
    o.align_path = path_in(test_tmpdir(), "partial.tsv");
    EXPECT(momu_data_prepare(&o, &s, &e) == MOMU_ERR_FORMAT, "missing align row accepted");
    EXPECT(strstr(e.msg, "no row for clip B") != NULL, "message '%s'", e.msg);
    /* missing data folder */
    momu_err_clear(&e);
    o.align_path = NULL;
    o.data_dir = path_in(test_tmpdir(), "nope");
    EXPECT(momu_data_prepare(&o, &s, &e) == MOMU_ERR_IO, "missing folder accepted");
    momu_verbosity = q;
}

int main(void) {
    if (!make_fixture()) { fprintf(stderr, "cannot write fixtures\n"); return 2; }
    RUN(test_scan_manifest_and_stems);
    RUN(test_split_by_song);
    RUN(test_align_table_roundtrip);
    RUN(test_prepare_shapes_split_stats);
    RUN(test_prepare_applies_alignment);
    RUN(test_prepare_tempo_augmentation);
    RUN(test_prepare_bad_input);
    return test_summary();
}
