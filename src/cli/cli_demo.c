/* momu demo — the main job on the default model, into ./momu-demo/ (README, DESIGN.md command-line contract):
 *   1. dance from a song (--music FILE, or a 110-BPM piece made by momu_synth_song),
 *   2. music from that dance,
 *   3. both together (cross-guidance), --seconds long (default 20),
 * each written as WAV + BVH + NPY + a preview MP4 (momu_render_video_samples), then a summary of the files and
 * their beat scores (the `momu eval` instruments: momu_eval_pair_run on the written WAV + NPY) printed and
 * written to summary.txt. Every stage prints its wall time. Library calls only (include/momu/generate.h);
 * no model: a message naming the folders searched and how to train one (docs/MODELS.md), exit 1. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "momu/audio.h"
#include "momu/eval.h"
#include "momu/generate.h"
#include "momu/motion.h"
#include "momu/render.h"
#include "momu/sync.h"
#include "momu/synth.h"

#define DEMO_BPM 110.0   /* the synthesised song's tempo (momu_synth_song is reliable in 80..140) */

static int on_step(void *user, const char *stage, int step, int n_steps, int t) {
    momu_progress(user, (size_t)step, (size_t)n_steps, "%s t=%d", stage, t);
    return 0;
}

/* mkdir -p */
static momu_status make_dirs(const char *path, momu_err *e) {
    char p[4096];
    if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p) return momu_fail(e, MOMU_ERR_ARG, "--out: path too long");
    for (char *s = p + 1;; s++) {
        if (*s == '/' || !*s) {
            char c = *s;
            *s = 0;
            struct stat sb;
            if (stat(p, &sb)) {
                if (mkdir(p, 0777) && errno != EEXIST)
                    return momu_fail(e, MOMU_ERR_IO, "%s: cannot create folder (%s)", p, strerror(errno));
            } else if (!S_ISDIR(sb.st_mode)) {
                return momu_fail(e, MOMU_ERR_IO, "%s: not a folder", p);
            }
            *s = c;
            if (!c) break;
        }
    }
    return MOMU_OK;
}

typedef struct {
    const char *name, *title;
    char wav[4200], bvh[4200], npy[4200], mp4[4200];
    int has_video;
    momu_eval_pair_result r;
    int has_eval;
    double t_gen, t_write, t_video;
} demo_part;

/* Writes one part's files; pcm at MOMU_SR. */
static momu_status write_part(demo_part *p, const char *out, const float *pcm, size_t n, const momu_motion *m,
                              int video, momu_err *e) {
    snprintf(p->wav, sizeof p->wav, "%s/%s.wav", out, p->name);
    snprintf(p->bvh, sizeof p->bvh, "%s/%s.bvh", out, p->name);
    snprintf(p->npy, sizeof p->npy, "%s/%s.npy", out, p->name);
    snprintf(p->mp4, sizeof p->mp4, "%s/%s.mp4", out, p->name);
    double t0 = momu_time_s();
    momu_status st = momu_audio_write_wav(p->wav, pcm, n, MOMU_SR, e);
    if (!st) st = momu_motion_save(p->bvh, m, e);
    if (!st) st = momu_motion_save(p->npy, m, e);
    double t1 = momu_time_s();
    p->t_write = t1 - t0;
    if (st || !video) return st;
    momu_render_opts ro;
    momu_render_opts_default(&ro);
    momu_err ev = {0};
    if (momu_render_video_samples(p->mp4, m, pcm, n, MOMU_SR, &ro, &ev))
        momu_log("demo: warning: no preview video for %s: %s\n  (install ffmpeg: scripts/deps.sh; or pass "
                 "--no-video)\n", p->name, ev.msg);
    else
        p->has_video = 1;
    p->t_video = momu_time_s() - t1;
    return MOMU_OK;
}

/* Beat scores of the written pair (music WAV, motion NPY), as `momu eval` computes them. */
static void eval_part(demo_part *p) {
    momu_eval_pair pair = {p->name, p->wav, p->npy, NULL, NULL};
    momu_eval_opts eo;
    momu_eval_opts_default(&eo);
    momu_err e = {0};
    memset(&p->r, 0, sizeof p->r);
    if (momu_eval_pair_run(&pair, &eo, &p->r, &e)) momu_log("demo: warning: %s: no beat scores: %s\n", p->name, e.msg);
    else p->has_eval = 1;
}

static void print_summary(FILE *f, const demo_part *parts, size_t n_parts, const char *song, double seconds,
                          int seed, int steps, const char *model_dir) {
    fprintf(f, "momu demo: model %s, seed %d, %d steps, %s, %.1f s per part\n", model_dir, seed, steps, song,
            seconds);
    fprintf(f, "beat F: music beats vs kinematic beats (speed minima), +-%.0f ms, one-to-one; BAS: sigma %.1f s; "
               "sync: envelope cross-correlation, best lag within +-%.2f s (docs/EVAL.md)\n",
            1000.0 * MOMU_BEAT_FMEASURE_TOL_S, MOMU_BAS_SIGMA_S, MOMU_SYNC_SCORE_MAX_LAG_S);
    fprintf(f, "%-22s %6s %6s %6s %6s %8s  %s\n", "part", "beatF", "BAS", "sync", "bpm", "seconds", "files");
    for (size_t i = 0; i < n_parts; i++) {
        const demo_part *p = &parts[i];
        if (p->has_eval)
            fprintf(f, "%-22s %6.3f %6.3f %6.3f %6.1f %8.2f  %s.{wav,bvh,npy%s}\n", p->title, p->r.beat_f, p->r.bas,
                    p->r.sync, p->r.bpm, p->r.motion_s, p->name, p->has_video ? ",mp4" : "");
        else
            fprintf(f, "%-22s %6s %6s %6s %6s %8s  %s.{wav,bvh,npy%s}\n", p->title, "-", "-", "-", "-", "-", p->name,
                    p->has_video ? ",mp4" : "");
    }
}

int cli_demo(int argc, char **argv) {
    const char *cmd = "demo";
    const char *music_in = NULL, *out = "momu-demo", *model_opt = NULL;
    float seconds = 20.0f, guidance = MOMU_GEN_GUIDANCE;
    int seed = 0, steps = 25, no_video = 0;
    size_t gl_iters = MOMU_GL_ITERS;
    const cli_opt opts[] = {
        {"music", CLI_STR, &music_in, "dance to this song (any audio file; cropped to --seconds); default: a "
                                      "110-BPM piece synthesised by momu"},
        {"seconds", CLI_FLOAT, &seconds, "length of each part"},
        {"seed", CLI_INT, &seed, "random seed (song and sampling)"},
        {"steps", CLI_INT, &steps, "sampling steps (DPM-Solver++)"},
        {"guidance", CLI_FLOAT, &guidance, "classifier-free / cross guidance scale"},
        {"gl-iters", CLI_SIZE, &gl_iters, "Griffin-Lim iterations for music"},
        {"out", CLI_STR, &out, "output folder (created)"},
        {"model", CLI_STR, &model_opt, "folder with the four model files (default: $MOMU_MODELS, <momu's "
                                       "folder>/models, ./models)"},
        {"no-video", CLI_FLAG, &no_video, "skip the preview MP4s"},
    };
    const size_t n_opts = sizeof opts / sizeof opts[0];
    const char *usage = "[--music FILE] [--seconds 20] [--seed N] [--steps 25] [--out momu-demo] [--model DIR] "
                        "[--no-video]";
    const char *pos[1];
    size_t n_pos = 0;
    int rc = cli_parse(argc - 1, argv + 1, opts, n_opts, pos, 0, &n_pos, cmd, usage);
    if (rc == 1) return 0;
    if (rc) return 2;
    if (!(seconds >= 1.0f && seconds <= 600.0f)) { cli_errorf(cmd, "--seconds %g outside [1, 600]", (double)seconds); return 2; }
    if (steps < 1 || steps > MOMU_DIFF_T) { cli_errorf(cmd, "--steps %d outside [1, %d]", steps, MOMU_DIFF_T); return 2; }

    momu_err e = {0};
    char dir[4200];
    if (momu_models_default_dir(model_opt, dir, sizeof dir, &e))
        return cli_errorf(cmd, "%s\nThe demo needs the four trained models (%s, %s, %s, %s). Train them as "
                               "docs/MODELS.md describes, then put them in models/ or point --model or "
                               "$MOMU_MODELS at their folder.", e.msg, MOMU_GEN_FILE_NAMES[0],
                          MOMU_GEN_FILE_NAMES[1], MOMU_GEN_FILE_NAMES[2], MOMU_GEN_FILE_NAMES[3]);
    double t_start = momu_time_s(), t0 = t_start;
    momu_generator G;
    momu_generator_files gf = {dir, NULL, NULL, NULL, NULL, 0, 0};
    if (momu_generator_load(&G, &gf, &e)) return cli_error(cmd, &e);
    if (make_dirs(out, &e)) { momu_generator_free(&G); return cli_error(cmd, &e); }
    momu_log("demo: models from %s (%.1f s)\n", dir, momu_time_s() - t0);

    momu_gen_opts go;
    momu_gen_opts_default(&go);
    go.steps = steps;
    go.seed = seed;
    go.guidance = guidance;
    go.gl_iters = gl_iters;
    momu_progress_t pg;
    go.progress = on_step;
    go.progress_user = &pg;

    demo_part parts[3] = {{.name = "1-dance-from-music", .title = "1 dance from music"},
                          {.name = "2-music-from-dance", .title = "2 music from dance"},
                          {.name = "3-both", .title = "3 both together"}};
    float *song = NULL, *pcm2 = NULL, *pcm3 = NULL;
    size_t n_song = 0, n2 = 0, n3 = 0;
    momu_motion dance = {0}, both = {0};
    char song_desc[4400];
    momu_status st;

    /* 1. dance from a song */
    t0 = momu_time_s();
    if (music_in) {
        st = momu_audio_load(music_in, MOMU_SR, &song, &n_song, &e);
        size_t cap = (size_t)lround((double)seconds * MOMU_SR);
        if (!st && n_song > cap) n_song = cap;
        snprintf(song_desc, sizeof song_desc, "song %s", music_in);
    } else {
        st = momu_synth_song(seconds, DEMO_BPM, (uint64_t)(int64_t)seed, MOMU_SR, &song, &n_song, NULL, NULL, &e);
        snprintf(song_desc, sizeof song_desc, "song synthesised at %.0f BPM", DEMO_BPM);
    }
    if (!st) {
        momu_progress_init(&pg, "demo");
        st = momu_generate_dance(&G, song, n_song, MOMU_SR, &go, NULL, &dance, &e);
        momu_progress_end(&pg);
    }
    parts[0].t_gen = momu_time_s() - t0;
    if (!st) st = write_part(&parts[0], out, song, n_song, &dance, !no_video, &e);
    if (!st)
        momu_log("demo [1/3] dance from music: %.1f s of motion (generate %.1f s, files %.1f s, video %.1f s)\n",
                 (double)dance.n_frames / dance.fps, parts[0].t_gen, parts[0].t_write, parts[0].t_video);

    /* 2. music from that dance */
    if (!st) {
        t0 = momu_time_s();
        momu_progress_init(&pg, "demo");
        st = momu_generate_music(&G, &dance, &go, NULL, 0, &pcm2, &n2, &e);
        momu_progress_end(&pg);
        parts[1].t_gen = momu_time_s() - t0;
        if (!st) st = write_part(&parts[1], out, pcm2, n2, &dance, !no_video, &e);
        if (!st)
            momu_log("demo [2/3] music from dance: %.1f s of music (generate %.1f s, files %.1f s, video %.1f s)\n",
                     (double)n2 / MOMU_SR, parts[1].t_gen, parts[1].t_write, parts[1].t_video);
    }

    /* 3. both together */
    if (!st) {
        t0 = momu_time_s();
        momu_progress_init(&pg, "demo");
        st = momu_generate_both(&G, seconds, &go, &pcm3, &n3, &both, &e);
        momu_progress_end(&pg);
        parts[2].t_gen = momu_time_s() - t0;
        if (!st) st = write_part(&parts[2], out, pcm3, n3, &both, !no_video, &e);
        if (!st)
            momu_log("demo [3/3] both together: %.1f s (generate %.1f s, files %.1f s, video %.1f s)\n",
                     (double)n3 / MOMU_SR, parts[2].t_gen, parts[2].t_write, parts[2].t_video);
    }

    /* summary */
    if (!st) {
        t0 = momu_time_s();
        for (size_t i = 0; i < 3; i++) eval_part(&parts[i]);
        momu_log("demo: beat scores (%.1f s)\n", momu_time_s() - t0);
        char sp[4200];
        snprintf(sp, sizeof sp, "%s/summary.txt", out);
        momu_atomic a;
        st = momu_atomic_open(&a, sp, &e);
        if (!st) {
            print_summary(a.f, parts, 3, song_desc, seconds, seed, steps, dir);
            st = momu_atomic_commit(&a, &e);
        }
        printf("\n");
        print_summary(stdout, parts, 3, song_desc, seconds, seed, steps, dir);
        printf("files in %s/ (summary.txt); total %.1f s\n", out, momu_time_s() - t_start);
    }
    for (size_t i = 0; i < 3; i++)
        if (parts[i].has_eval) momu_eval_pair_result_free(&parts[i].r);
    free(song);
    free(pcm2);
    free(pcm3);
    momu_motion_free(&dance);
    momu_motion_free(&both);
    momu_generator_free(&G);
    return st ? cli_error(cmd, &e) : 0;
}
