/* momu data align|prepare — per-clip motion/music alignment and the prepared training windows
 * (docs/DATA.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "momu/data.h"
#include "momu/sync.h"

typedef struct { float *mus, *mot; size_t n_mus, n_mot; } clip_env;

static void free_envs(clip_env *env, size_t n) {
    if (!env) return;
    for (size_t i = 0; i < n; i++) { free(env[i].mus); free(env[i].mot); }
    free(env);
}

/* --cross: every motion (re-timed by its own alignment) against every music: the sync score at the motion's
 * own alignment and, with --cross-search, the best correlation of a full scale/offset search of that pair
 * (the fair comparison: own pairs were searched too). */
static int write_cross(const char *path, const momu_clip_list *cl, const clip_env *env, const momu_align_row *rows,
                       const momu_sync_align_opts *o, int search, momu_err *e) {
    momu_atomic a;
    if (momu_atomic_open(&a, path, e)) return 1;
    fprintf(a.f, "motion\tmusic\town\tscore_at_alignment\tsearch_corr\tsearch_scale\tsearch_offset_s\n");
    momu_progress_t p;
    momu_progress_init(&p, "cross");
    size_t n = cl->n, done = 0;
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < n; i++) {
            double s = momu_sync_score_aligned(env[i].mus, env[i].n_mus, env[j].mot, env[j].n_mot, MOMU_SYNC_RATE,
                                               rows[j].a.scale, rows[j].a.offset_s);
            momu_sync_alignment al = {0};
            if (search) {
                momu_sync_align_opts oo = *o;
                oo.n_null = 0;
                if (momu_sync_align(env[i].mus, env[i].n_mus, env[j].mot, env[j].n_mot, MOMU_SYNC_RATE, &oo, &al, e)) {
                    momu_atomic_abort(&a);
                    return 1;
                }
            }
            fprintf(a.f, "%s\t%s\t%d\t%.4f\t%.4f\t%.5f\t%.3f\n", cl->clips[j].name, cl->clips[i].name, i == j, s,
                    search ? al.corr : NAN, search ? al.scale : NAN, search ? al.offset_s : NAN);
            momu_progress(&p, ++done, n * n, "%s x %s", cl->clips[j].name, cl->clips[i].name);
        }
    momu_progress_end(&p);
    return momu_atomic_commit(&a, e) ? 1 : 0;
}

static int cmd_align(int argc, char **argv) {
    const char *data = NULL, *out = "align.tsv", *cross = NULL;
    momu_sync_align_opts o;
    momu_sync_align_opts_default(&o);
    float smin = (float)o.scale_min, smax = (float)o.scale_max, sstep = (float)o.scale_step,
          maxoff = (float)o.max_offset_s;
    size_t n_null = o.n_null, seed = (size_t)o.seed;
    int cross_search = 0;
    const cli_opt opts[] = {
        {"data", CLI_STR, &data, "folder of paired clips (manifest.tsv, or NAME.motion.* + NAME.music.*)"},
        {"out", CLI_STR, &out, "alignment table (TSV, written atomically)"},
        {"scale-min", CLI_FLOAT, &smin, "smallest time scale searched (motion_time = scale*music_time + offset)"},
        {"scale-max", CLI_FLOAT, &smax, "largest time scale searched"},
        {"scale-step", CLI_FLOAT, &sstep, "coarse scale step (refined to step/10)"},
        {"max-offset", CLI_FLOAT, &maxoff, "offsets searched within +-this many seconds"},
        {"null", CLI_SIZE, &n_null, "circularly shifted searches for the significance (0: none)"},
        {"seed", CLI_SIZE, &seed, "seed of the null shifts"},
        {"cross", CLI_STR, &cross, "also write every motion x music sync score at the motion's alignment (TSV)"},
        {"cross-search", CLI_FLAG, &cross_search, "with --cross: also run the full search on every pair (slow)"},
    };
    int rc = cli_parse(argc, argv, opts, sizeof opts / sizeof *opts, NULL, 0, NULL, "data align",
                       "--data DIR [--out align.tsv] [options]");
    if (rc) return rc == 1 ? 0 : 2;
    if (!data) return cli_errorf("data align", "--data DIR is required"), 2;
    o.scale_min = smin; o.scale_max = smax; o.scale_step = sstep; o.max_offset_s = maxoff;
    o.n_null = n_null; o.seed = seed;
    momu_err e = {0};
    momu_clip_list cl;
    if (momu_data_scan(data, &cl, &e)) return cli_error("data align", &e);
    momu_align_row *rows = calloc(cl.n, sizeof *rows);
    clip_env *env = calloc(cl.n, sizeof *env);
    if (!rows || !env) { free(rows); free(env); momu_clip_list_free(&cl); return cli_errorf("data align", "out of memory"); }
    momu_progress_t p;
    momu_progress_init(&p, "align");
    int fail = 0;
    for (size_t i = 0; i < cl.n && !fail; i++) {
        clip_env *c = &env[i];
        snprintf(rows[i].name, sizeof rows[i].name, "%s", cl.clips[i].name);
        if (momu_data_clip_envelopes(&cl.clips[i], &c->mus, &c->n_mus, &c->mot, &c->n_mot, &e) ||
            momu_sync_align(c->mus, c->n_mus, c->mot, c->n_mot, MOMU_SYNC_RATE, &o, &rows[i].a, &e)) {
            fail = 1;
            break;
        }
        const momu_sync_alignment *a = &rows[i].a;
        momu_progress(&p, i + 1, cl.n, "%s scale %.4f offset %+.2f s corr %.3f (before %.3f) z %.1f", rows[i].name,
                      a->scale, a->offset_s, a->corr, a->corr_before, a->z);
        if (!c->mot || !c->mus) fail = 1;
        if (!cross) { free(c->mus); free(c->mot); c->mus = c->mot = NULL; }
    }
    momu_progress_end(&p);
    if (!fail && momu_align_table_write(out, rows, cl.n, &e)) fail = 1;
    if (!fail && cross && write_cross(cross, &cl, env, rows, &o, cross_search, &e)) fail = 1;
    if (!fail) momu_log("momu data align: %zu clips -> %s%s%s\n", cl.n, out, cross ? ", " : "", cross ? cross : "");
    free_envs(env, cl.n);
    free(rows);
    momu_clip_list_free(&cl);
    return fail ? cli_error("data align", &e) : 0;
}

static int cmd_prepare(int argc, char **argv) {
    momu_prepare_opts o;
    momu_prepare_opts_default(&o);
    const char *data = NULL, *align = NULL, *out = NULL;
    float win = (float)o.window_s, stride = (float)o.stride_s, valf = (float)o.val_fraction;
    size_t val_songs = 0, seed = (size_t)o.seed;
    int mirror = 0;
    const char *tempo = NULL;
    const cli_opt opts[] = {
        {"data", CLI_STR, &data, "folder of paired clips"},
        {"align", CLI_STR, &align, "align.tsv from momu data align (omitted: scale 1, offset 0, warned)"},
        {"out", CLI_STR, &out, "output folder (created)"},
        {"window-seconds", CLI_FLOAT, &win, "window length, rounded to an even number of 25 fps frames"},
        {"stride-seconds", CLI_FLOAT, &stride, "window stride, rounded to an even number of 25 fps frames"},
        {"val-songs", CLI_SIZE, &val_songs, "number of validation songs (0: use --val-fraction)"},
        {"val-fraction", CLI_FLOAT, &valf, "fraction of songs for validation"},
        {"seed", CLI_SIZE, &seed, "seed of the by-song split"},
        {"mirror", CLI_FLAG, &mirror, "add left/right mirrored copies of the training windows"},
        {"tempo", CLI_STR, &tempo, "extra training copies at these tempo factors, e.g. 0.95,1.05 (music+motion)"},
    };
    /* --music-only DIR may repeat: collected here before the table parser sees the rest */
    const char **mo = calloc((size_t)argc + 1, sizeof *mo);
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    if (!mo || !rest) { free(mo); free(rest); return cli_errorf("data prepare", "out of memory"); }
    size_t n_mo = 0;
    int n_rest = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--music-only")) {
            if (i + 1 >= argc) { free(mo); free(rest); return cli_errorf("data prepare", "--music-only needs a folder"), 2; }
            mo[n_mo++] = argv[++i];
        } else if (!strncmp(argv[i], "--music-only=", 13)) {
            mo[n_mo++] = argv[i] + 13;
        } else {
            rest[n_rest++] = argv[i];
        }
    }
    int rc = cli_parse(n_rest, rest, opts, sizeof opts / sizeof *opts, NULL, 0, NULL, "data prepare",
                       "--data DIR --align align.tsv --out OUTDIR [--music-only DIR2 ...] [options]\n"
                       "  --music-only DIR        unpaired audio folder for the music-only stage (repeatable)");
    free(rest);
    if (rc) { free(mo); return rc == 1 ? 0 : 2; }
    if (!data || !out) { free(mo); return cli_errorf("data prepare", "--data DIR and --out OUTDIR are required"), 2; }
    o.data_dir = data; o.align_path = align; o.out_dir = out;
    o.window_s = win; o.stride_s = stride; o.val_songs = val_songs; o.val_fraction = valf; o.seed = seed;
    o.mirror = mirror; o.music_only_dirs = mo; o.n_music_only = n_mo;
    double tf[8];
    size_t n_tf = 0;
    for (const char *p = tempo; p && *p;) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || (*end && *end != ',') || n_tf == 8) {
            free(mo);
            return cli_errorf("data prepare", "--tempo expects up to 8 comma-separated numbers, got '%s'", tempo), 2;
        }
        tf[n_tf++] = v;
        p = *end ? end + 1 : end;
    }
    o.tempo = tf;
    o.n_tempo = n_tf;
    momu_err e = {0};
    momu_prepare_summary s;
    momu_status st = momu_data_prepare(&o, &s, &e);
    free(mo);
    if (st) return cli_error("data prepare", &e);
    momu_log("momu data prepare: %zu train windows (%zu songs), %zu validation windows (%zu songs), %zu music-only "
             "windows; window %zu motion frames / %zu mel frames, stride %zu; motion dim %zu -> %s\n",
             s.n_train_windows, s.n_train_songs, s.n_val_windows, s.n_val_songs, s.n_music_only_windows,
             s.window_frames, 4 * s.window_frames, s.stride_frames, s.motion_dim, out);
    return 0;
}

int cli_data(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "align")) return cmd_align(argc - 2, argv + 2);
    if (argc >= 2 && !strcmp(argv[1], "prepare")) return cmd_prepare(argc - 2, argv + 2);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: momu data align|prepare [options]   (momu data align --help, momu data prepare --help)\n");
        return 0;
    }
    fprintf(stderr, "usage: momu data align|prepare [options]\n");
    return 2;
}
