/* momu eval — evaluation metrics (DESIGN.md §5).
 *   momu eval --music A --motion M [--ref-music A0] [--ref-motion M0]   one pair
 *   momu eval --pairs LIST.tsv                                          many pairs (see momu/eval.h)
 *       [--split NAME] [--out FILE.tsv|FILE.json] [--align align.tsv] [--fps F] [--tolerance S]
 *   momu eval beats --ref REF.txt --est EST.txt [--tolerance 0.07]      beat F-measure, BAS (and LORIS BCS/BHS
 *                   [--ref-duration S --est-duration S]                 with the clip lengths) of two time lists
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "momu/data.h"
#include "momu/eval.h"
#include "momu/json.h"

static int eval_beats(int argc, char **argv) {
    const char *ref_path = NULL, *est_path = NULL;
    float tol = (float)MOMU_BEAT_FMEASURE_TOL_S, ref_dur = 0.0f, est_dur = 0.0f;
    const cli_opt opts[] = {
        {"ref", CLI_STR, &ref_path, "reference times, one per line (seconds)"},
        {"est", CLI_STR, &est_path, "estimated times, one per line (seconds)"},
        {"tolerance", CLI_FLOAT, &tol, "hit window +-seconds (one-to-one matching)"},
        {"ref-duration", CLI_FLOAT, &ref_dur, "reference clip length in s: with --est-duration, LORIS BCS/BHS"},
        {"est-duration", CLI_FLOAT, &est_dur, "estimated clip length in s"},
    };
    size_t n_opts = sizeof opts / sizeof opts[0];
    int rc = cli_parse(argc, argv, opts, n_opts, NULL, 0, NULL, "eval beats",
                       "--ref REF.txt --est EST.txt [--tolerance S] [--ref-duration S --est-duration S]");
    if (rc == 1) return 0;
    if (rc) return 2;
    if (!ref_path || !est_path) {
        cli_errorf("eval beats", "--ref and --est are required (see momu eval beats --help)");
        return 2;
    }
    if (!(tol >= 0.0f)) {
        cli_errorf("eval beats", "--tolerance must be >= 0, got %g", (double)tol);
        return 2;
    }
    momu_err e = {0};
    double *ref = NULL, *est = NULL;
    size_t n_ref = 0, n_est = 0;
    if (momu_eval_read_times(ref_path, &ref, &n_ref, &e) || momu_eval_read_times(est_path, &est, &n_est, &e)) {
        free(ref);
        return cli_error("eval beats", &e);
    }
    double p, r;
    double tol_s = round((double)tol * 1e6) / 1e6; /* the float option 0.07 back to the decimal 0.07 */
    double f = momu_beat_fmeasure(ref, n_ref, est, n_est, tol_s, &p, &r);
    printf("# beat F-measure, +-%.3f s window, one-to-one matching; reference %s (%zu times), estimate %s "
           "(%zu times)\n",
           tol_s, ref_path, n_ref, est_path, n_est);
    printf("P\t%.4f\nR\t%.4f\nF\t%.4f\n", p, r, f);
    /* BAS with the reference as the music beats, the estimate as the kinematic beats */
    printf("BAS\t%.4f\n", momu_bas(ref, n_ref, est, n_est, MOMU_BAS_SIGMA_S));
    if (ref_dur > 0 && est_dur > 0) {
        momu_loris_clip c;
        if (momu_loris_clip_score(ref, n_ref, ref_dur, est, n_est, est_dur, &c, &e)) {
            free(ref);
            free(est);
            return cli_error("eval beats", &e);
        }
        printf("BCS\t%.4f\nBHS\t%.4f\n", c.bcs, c.bhs);
    }
    free(ref);
    free(est);
    return 0;
}

/* ---- pair evaluation ------------------------------------------------------------------------------ */

static const char *FAD_NOTE = "fad_standin is a Frechet distance on log-mel band statistics + onset-strength "
                              "statistics, a stand-in for FAD because no pretrained audio embedding (VGGish) can "
                              "be fetched; not comparable with published FAD";

static void tsv_num(FILE *f, double v) {
    if (isfinite(v)) fprintf(f, "\t%.6g", v);
    else fprintf(f, "\tnan");
}

static void write_tsv(FILE *f, const char *split, const momu_eval_pair_result *r, size_t n,
                      const momu_eval_summary *s, const momu_eval_opts *o) {
    fprintf(f, "# momu eval; split %s; fps %g%s; clip length (motion) mean %.2f s, min %.2f, max %.2f; count %zu\n",
            split, s->fps, s->mixed_fps ? " (mixed)" : "", s->clip_s_mean, s->clip_s_min, s->clip_s_max, n);
    fprintf(f, "# beat F-measure window +-%.3f s; BAS sigma %.3f s; sync lag +-%.3f s\n", o->tolerance_s,
            o->bas_sigma_s, o->sync_max_lag_s);
    fprintf(f, "name\tmusic_s\tmotion_s\tfps\tbpm\tn_onsets\tn_music_beats\tn_kin_q\tn_kin_speed\tloris_bcs\tloris_bhs"
               "\tbeat_f\tbeat_p\tbeat_r\tbas\tsync\tsync_lag_s\tskate_cm_s\tcontact_fraction\tm2a_bcs\tm2a_bhs"
               "\tonset_f\tpulse\n");
    for (size_t i = 0; i < n; i++) {
        const momu_eval_pair_result *p = &r[i];
        fprintf(f, "%s", p->name);
        tsv_num(f, p->music_s);
        tsv_num(f, p->motion_s);
        tsv_num(f, p->fps);
        tsv_num(f, p->bpm);
        fprintf(f, "\t%zu\t%zu\t%zu\t%zu", p->n_onsets, p->n_music_beats, p->n_kin_q, p->n_kin_speed);
        tsv_num(f, p->loris.bcs);
        tsv_num(f, p->loris.bhs);
        tsv_num(f, p->beat_f);
        tsv_num(f, p->beat_p);
        tsv_num(f, p->beat_r);
        tsv_num(f, p->bas);
        tsv_num(f, p->sync);
        tsv_num(f, p->sync_lag_s);
        tsv_num(f, p->has_skate ? p->skate.skate_cm_s : NAN);
        tsv_num(f, p->has_skate ? p->skate.contact_fraction : NAN);
        tsv_num(f, p->has_ref_music ? p->loris_music.bcs : NAN);
        tsv_num(f, p->has_ref_music ? p->loris_music.bhs : NAN);
        tsv_num(f, p->onset_f);
        tsv_num(f, p->pulse);
        fputc('\n', f);
    }
    fprintf(f, "\nmetric\tvalue\tnote\n");
#define ROW(k, v, note) do { fprintf(f, "%s", k); tsv_num(f, v); fprintf(f, "\t%s\n", note); } while (0)
    ROW("count", (double)n, "pairs");
    ROW("fps", s->fps, s->mixed_fps ? "mixed" : "");
    ROW("clip_s_mean", s->clip_s_mean, "motion length");
    ROW("a2m_BCS", 100 * s->loris.bcs, "x100; music onsets vs motion Q-peak beats, 1-s bins (LORIS)");
    ROW("a2m_CSD", 100 * s->loris.csd, "x100, ddof 1");
    ROW("a2m_BHS", 100 * s->loris.bhs, "x100");
    ROW("a2m_HSD", 100 * s->loris.hsd, "x100, ddof 1");
    ROW("a2m_F1", 100 * s->loris.f1, "x100, from the means");
    ROW("beat_F", s->beat_f_mean, "mean; music beats vs speed-minima kinematic beats, one-to-one");
    ROW("BAS", s->bas_mean, "mean over pairs (Bailando: per pair averaged over music beats)");
    ROW("BAS_sd", s->bas_sd, "ddof 1");
    ROW("sync", s->sync_mean, "mean sync score (momu/sync.h)");
    ROW("sync_sd", s->sync_sd, "ddof 1");
    ROW("pulse", s->pulse_mean, "mean pulse clarity of the musics (onset-flux autocorrelation peak, 0.25-1.5 s)");
    ROW("skate_cm_s", s->skate_cm_s, "horizontal foot speed in contact, pooled");
    ROW("contact_fraction", s->skate_contact_fraction, "");
    if (s->loris_music.n_clips) {
        ROW("m2a_BCS", 100 * s->loris_music.bcs, "x100; reference-music onsets vs this music's onsets");
        ROW("m2a_CSD", 100 * s->loris_music.csd, "x100");
        ROW("m2a_BHS", 100 * s->loris_music.bhs, "x100");
        ROW("m2a_HSD", 100 * s->loris_music.hsd, "x100");
        ROW("m2a_F1", 100 * s->loris_music.f1, "x100");
        ROW("onset_F", s->onset_f_mean, "mean; reference onsets vs onsets, one-to-one");
    }
    if (s->has_fid_k) {
        char note[200];
        snprintf(note, sizeof note, "kinetic features, normalised by the reference set; %zu clips vs %zu reference",
                 s->fid_k.n_gen, s->fid_k.n_ref);
        ROW("FID_k", s->fid_k.fid, note);
        ROW("Div_k", s->fid_k.div_gen, "");
        ROW("Div_k_ref", s->fid_k.div_ref, "");
    }
    if (s->has_fid_g) {
        char note[200];
        snprintf(note, sizeof note, "geometric features (35 relations); %zu clips vs %zu reference", s->fid_g.n_gen,
                 s->fid_g.n_ref);
        ROW("FID_g", s->fid_g.fid, note);
        ROW("Div_g", s->fid_g.div_gen, "");
        ROW("Div_g_ref", s->fid_g.div_ref, "");
    }
    if (s->has_fad) {
        ROW("fad_standin", s->fad_standin, FAD_NOTE);
        ROW("fad_standin_n", (double)s->n_fad_gen, "clips");
        ROW("fad_standin_n_ref", (double)s->n_fad_ref, "reference clips");
    }
#undef ROW
}

static void json_kv(FILE *f, const char *k, double v, int comma) {
    momu_json_write_string(f, k);
    fputc(':', f);
    momu_json_write_number(f, v);
    if (comma) fputc(',', f);
}

static void json_loris(FILE *f, const char *k, const momu_loris_summary *l) {
    momu_json_write_string(f, k);
    fprintf(f, ":{");
    json_kv(f, "n_clips", (double)l->n_clips, 1);
    json_kv(f, "BCS", 100 * l->bcs, 1);
    json_kv(f, "CSD", 100 * l->csd, 1);
    json_kv(f, "BHS", 100 * l->bhs, 1);
    json_kv(f, "HSD", 100 * l->hsd, 1);
    json_kv(f, "F1", 100 * l->f1, 0);
    fprintf(f, "},\n");
}

static void write_json(FILE *f, const char *split, const momu_eval_pair_result *r, size_t n,
                       const momu_eval_summary *s, const momu_eval_opts *o) {
    fprintf(f, "{\"split\":");
    momu_json_write_string(f, split);
    fprintf(f, ",\n");
    json_kv(f, "fps", s->fps, 1);
    fprintf(f, "\"mixed_fps\":%s,\n", s->mixed_fps ? "true" : "false");
    fprintf(f, "\"clip_seconds\":{");
    json_kv(f, "mean", s->clip_s_mean, 1);
    json_kv(f, "min", s->clip_s_min, 1);
    json_kv(f, "max", s->clip_s_max, 0);
    fprintf(f, "},\n");
    json_kv(f, "count", (double)n, 1);
    json_kv(f, "tolerance_s", o->tolerance_s, 1);
    json_kv(f, "bas_sigma_s", o->bas_sigma_s, 1);
    json_kv(f, "sync_max_lag_s", o->sync_max_lag_s, 1);
    fprintf(f, "\n\"pairs\":[\n");
    for (size_t i = 0; i < n; i++) {
        const momu_eval_pair_result *p = &r[i];
        fprintf(f, "{\"name\":");
        momu_json_write_string(f, p->name);
        fputc(',', f);
        json_kv(f, "music_s", p->music_s, 1);
        json_kv(f, "motion_s", p->motion_s, 1);
        json_kv(f, "fps", p->fps, 1);
        json_kv(f, "bpm", p->bpm, 1);
        json_kv(f, "n_onsets", (double)p->n_onsets, 1);
        json_kv(f, "n_music_beats", (double)p->n_music_beats, 1);
        json_kv(f, "n_kin_q", (double)p->n_kin_q, 1);
        json_kv(f, "n_kin_speed", (double)p->n_kin_speed, 1);
        json_kv(f, "loris_bcs", p->loris.bcs, 1);
        json_kv(f, "loris_bhs", p->loris.bhs, 1);
        json_kv(f, "beat_f", p->beat_f, 1);
        json_kv(f, "beat_p", p->beat_p, 1);
        json_kv(f, "beat_r", p->beat_r, 1);
        json_kv(f, "bas", p->bas, 1);
        json_kv(f, "sync", p->sync, 1);
        json_kv(f, "sync_lag_s", p->sync_lag_s, 1);
        json_kv(f, "skate_cm_s", p->has_skate ? p->skate.skate_cm_s : NAN, 1);
        json_kv(f, "contact_fraction", p->has_skate ? p->skate.contact_fraction : NAN, 1);
        json_kv(f, "m2a_bcs", p->has_ref_music ? p->loris_music.bcs : NAN, 1);
        json_kv(f, "m2a_bhs", p->has_ref_music ? p->loris_music.bhs : NAN, 1);
        json_kv(f, "onset_f", p->onset_f, 1);
        json_kv(f, "pulse", p->pulse, 0);
        fprintf(f, "}%s\n", i + 1 < n ? "," : "");
    }
    fprintf(f, "],\n\"aggregate\":{\n");
    json_loris(f, "a2m_loris", &s->loris);
    if (s->loris_music.n_clips) json_loris(f, "m2a_loris", &s->loris_music);
    json_kv(f, "beat_f", s->beat_f_mean, 1);
    json_kv(f, "beat_f_sd", s->beat_f_sd, 1);
    json_kv(f, "bas", s->bas_mean, 1);
    json_kv(f, "bas_sd", s->bas_sd, 1);
    json_kv(f, "sync", s->sync_mean, 1);
    json_kv(f, "sync_sd", s->sync_sd, 1);
    json_kv(f, "onset_f", s->onset_f_mean, 1);
    json_kv(f, "pulse", s->pulse_mean, 1);
    json_kv(f, "skate_cm_s", s->skate_cm_s, 1);
    json_kv(f, "contact_fraction", s->skate_contact_fraction, 1);
    json_kv(f, "FID_k", s->has_fid_k ? s->fid_k.fid : NAN, 1);
    json_kv(f, "Div_k", s->has_fid_k ? s->fid_k.div_gen : NAN, 1);
    json_kv(f, "Div_k_ref", s->has_fid_k ? s->fid_k.div_ref : NAN, 1);
    json_kv(f, "FID_g", s->has_fid_g ? s->fid_g.fid : NAN, 1);
    json_kv(f, "Div_g", s->has_fid_g ? s->fid_g.div_gen : NAN, 1);
    json_kv(f, "Div_g_ref", s->has_fid_g ? s->fid_g.div_ref : NAN, 1);
    json_kv(f, "FID_k_n", s->has_fid_k ? (double)s->fid_k.n_gen : NAN, 1);
    json_kv(f, "FID_k_n_ref", s->has_fid_k ? (double)s->fid_k.n_ref : NAN, 1);
    json_kv(f, "FID_g_n", s->has_fid_g ? (double)s->fid_g.n_gen : NAN, 1);
    json_kv(f, "FID_g_n_ref", s->has_fid_g ? (double)s->fid_g.n_ref : NAN, 1);
    json_kv(f, "fad_standin", s->has_fad ? s->fad_standin : NAN, 1);
    json_kv(f, "fad_standin_n", s->has_fad ? (double)s->n_fad_gen : NAN, 1);
    json_kv(f, "fad_standin_n_ref", s->has_fad ? (double)s->n_fad_ref : NAN, 0);
    fprintf(f, "},\n\"notes\":[");
    momu_json_write_string(f, FAD_NOTE);
    fprintf(f, ",\n");
    momu_json_write_string(f, "a2m LORIS scores: music onsets (librosa-0.8 onset_detect) vs motion Q-peak kinematic "
                              "beats, 1-second bins, x100; beat_f and bas: music beats (beat tracker) vs local "
                              "minima of mean joint speed; m2a: reference-music onsets vs this music's onsets");
    fprintf(f, "]}\n");
}

static void print_table(const char *split, size_t n, const momu_eval_summary *s) {
    printf("momu eval — split %s, %zu pair%s, fps %g%s, motion length mean %.1f s (%.1f–%.1f)\n", split, n,
           n == 1 ? "" : "s", s->fps, s->mixed_fps ? " (mixed)" : "", s->clip_s_mean, s->clip_s_min, s->clip_s_max);
    printf("  music→motion (LORIS, ×100)   BCS %.1f  CSD %.1f  BHS %.1f  HSD %.1f  F1 %.1f\n", 100 * s->loris.bcs,
           100 * s->loris.csd, 100 * s->loris.bhs, 100 * s->loris.hsd, 100 * s->loris.f1);
    printf("  beat F-measure (±70 ms)      %.3f  (sd %.3f)\n", s->beat_f_mean, s->beat_f_sd);
    printf("  BAS (σ 0.1 s)                %.4f  (sd %.4f)\n", s->bas_mean, s->bas_sd);
    printf("  sync score                   %.4f  (sd %.4f)\n", s->sync_mean, s->sync_sd);
    printf("  music pulse clarity          %.3f  (sd %.3f)\n", s->pulse_mean, s->pulse_sd);
    printf("  foot skating                 %.2f cm/s over %.0f%% contact frames\n", s->skate_cm_s,
           100 * s->skate_contact_fraction);
    if (s->loris_music.n_clips)
        printf("  motion→music (LORIS, ×100)   BCS %.1f  CSD %.1f  BHS %.1f  HSD %.1f  F1 %.1f   onset F %.3f\n",
               100 * s->loris_music.bcs, 100 * s->loris_music.csd, 100 * s->loris_music.bhs,
               100 * s->loris_music.hsd, 100 * s->loris_music.f1, s->onset_f_mean);
    if (s->has_fid_k)
        printf("  FID_k %.3f  Div_k %.3f (reference %.3f)   %zu clips vs %zu reference\n", s->fid_k.fid,
               s->fid_k.div_gen, s->fid_k.div_ref, s->fid_k.n_gen, s->fid_k.n_ref);
    if (s->has_fid_g)
        printf("  FID_g %.3f  Div_g %.3f (reference %.3f)   %zu clips vs %zu reference\n", s->fid_g.fid,
               s->fid_g.div_gen, s->fid_g.div_ref, s->fid_g.n_gen, s->fid_g.n_ref);
    if (s->has_fad)
        printf("  FAD stand-in %.3f  %zu clips vs %zu reference (%s)\n", s->fad_standin, s->n_fad_gen, s->n_fad_ref,
               FAD_NOTE);
    if (!s->has_fid_k && !s->has_fad)
        printf("  (FID/Div and the FAD stand-in need >= 2 distinct clips and >= 2 distinct reference clips)\n");
}

static int eval_pairs(int argc, char **argv) {
    const char *music = NULL, *motion = NULL, *ref_music = NULL, *ref_motion = NULL, *pairs_path = NULL;
    const char *split = "unspecified", *out_path = NULL, *align_path = NULL, *name = NULL;
    float fps = 0.0f, tol = (float)MOMU_BEAT_FMEASURE_TOL_S;
    const cli_opt opts[] = {
        {"music", CLI_STR, &music, "music file of one pair"},
        {"motion", CLI_STR, &motion, "motion file of one pair (.npy .bvh .json)"},
        {"ref-music", CLI_STR, &ref_music, "reference music of that pair (motion→music scores, FAD stand-in)"},
        {"ref-motion", CLI_STR, &ref_motion, "reference motion of that pair (FID/Div)"},
        {"name", CLI_STR, &name, "name of that pair (output, --align lookup; default the motion path)"},
        {"pairs", CLI_STR, &pairs_path, "TSV: name, music, motion[, reference_music, reference_motion]"},
        {"split", CLI_STR, &split, "data split named in every output"},
        {"out", CLI_STR, &out_path, "write per-pair rows + aggregates to FILE.tsv or FILE.json"},
        {"align", CLI_STR, &align_path, "align.tsv of momu data align: re-time motions (by pair name) first"},
        {"fps", CLI_FLOAT, &fps, "override the motion fps (0 = from the file; NPY: 25)"},
        {"tolerance", CLI_FLOAT, &tol, "beat F-measure window, +-seconds"},
    };
    size_t n_opts = sizeof opts / sizeof opts[0];
    int rc = cli_parse(argc, argv, opts, n_opts, NULL, 0, NULL, "eval",
                       "(--music A --motion M [--ref-music A0] [--ref-motion M0] | --pairs LIST.tsv) [--split NAME] "
                       "[--out FILE.tsv|.json] [--align align.tsv]");
    if (rc == 1) return 0;
    if (rc) return 2;
    if (!pairs_path == !(music || motion) || (!pairs_path && (!music || !motion))) {
        cli_errorf("eval", "give either --music and --motion, or --pairs (see momu eval --help)");
        return 2;
    }
    if (!(fps >= 0.0f) || !(tol >= 0.0f)) {
        cli_errorf("eval", "--fps and --tolerance must be >= 0");
        return 2;
    }
    char ext[16] = "";
    if (out_path) {
        momu_path_ext(out_path, ext, sizeof ext);
        if (strcmp(ext, "tsv") && strcmp(ext, "json")) {
            cli_errorf("eval", "--out %s: the extension must be .tsv or .json", out_path);
            return 2;
        }
    }
    momu_err e = {0};
    momu_eval_pair_list list = {0};
    momu_eval_pair one = {.name = name, .music = music, .motion = motion, .ref_music = ref_music,
                          .ref_motion = ref_motion};
    const momu_eval_pair *pairs = &one;
    size_t n = 1;
    if (pairs_path) {
        if (momu_eval_pairs_read(pairs_path, &list, &e)) return cli_error("eval", &e);
        pairs = list.pairs;
        n = list.n;
    }
    momu_eval_opts o;
    momu_eval_opts_default(&o);
    o.fps = fps;
    o.tolerance_s = round((double)tol * 1e6) / 1e6; /* the float option 0.07 back to the decimal 0.07 */
    momu_eval_align *al = NULL;
    if (align_path) {
        momu_align_row *rows = NULL;
        size_t nr = 0;
        if (momu_align_table_read(align_path, &rows, &nr, &e)) {
            momu_eval_pair_list_free(&list);
            return cli_error("eval", &e);
        }
        al = momu_calloc_array(nr ? nr : 1, sizeof *al, &e);
        for (size_t i = 0; al && i < nr; i++) {
            snprintf(al[i].name, sizeof al[i].name, "%s", rows[i].name);
            al[i].scale = rows[i].a.scale;
            al[i].offset_s = rows[i].a.offset_s;
        }
        free(rows);
        if (!al) { momu_eval_pair_list_free(&list); return cli_error("eval", &e); }
        o.align = al;
        o.n_align = nr;
    }
    momu_eval_pair_result *res = momu_calloc_array(n, sizeof *res, &e);
    int status = 0;
    if (!res) status = cli_error("eval", &e);
    momu_progress_t prog;
    momu_progress_init(&prog, "eval");
    size_t done = 0;
    for (; !status && done < n; done++) {
        momu_progress(&prog, done, n, "%s", pairs[done].name ? pairs[done].name : pairs[done].motion);
        if (momu_eval_pair_run(&pairs[done], &o, &res[done], &e)) status = cli_error("eval", &e);
    }
    if (!status) momu_progress(&prog, n, n, "done");
    momu_progress_end(&prog);
    momu_eval_summary sum;
    if (!status && momu_eval_summarise(res, n, &sum, &e)) status = cli_error("eval", &e);
    if (!status && out_path) {
        momu_atomic a;
        if (momu_atomic_open(&a, out_path, &e)) status = cli_error("eval", &e);
        else {
            if (!strcmp(ext, "json")) write_json(a.f, split, res, n, &sum, &o);
            else write_tsv(a.f, split, res, n, &sum, &o);
            if (momu_atomic_commit(&a, &e)) status = cli_error("eval", &e);
        }
    }
    if (!status) print_table(split, n, &sum);
    for (size_t i = 0; res && i < n; i++) momu_eval_pair_result_free(&res[i]);
    free(res);
    free(al);
    momu_eval_pair_list_free(&list);
    return status;
}

static void eval_usage(FILE *f) {
    fprintf(f, "usage: momu eval (--music A --motion M | --pairs LIST.tsv) [options]\n"
               "       momu eval beats --ref REF.txt --est EST.txt [--tolerance S]\n\n"
               "  (pairs)  every DESIGN.md section 5 metric of (music, motion) pairs: LORIS beat scores, beat\n"
               "           F-measure, BAS, sync score, foot skating, FID_k/FID_g/Div (with reference motions),\n"
               "           FAD stand-in (with reference music); --help with --music for all options\n"
               "  beats    beat F-measure between two time lists (--ref, --est, --tolerance)\n"
               "  report   the models on the validation songs: Markdown tables + beats plot (see --help)\n");
}

int cli_eval_report(int argc, char **argv);   /* cli_eval_report.c: argv[0] is the first option after `eval report` */

int cli_eval(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "vae")) return cli_eval_vae(argc - 2, argv + 2);
    if (argc >= 2 && !strcmp(argv[1], "report")) return cli_eval_report(argc - 2, argv + 2);
    if (argc < 2) {
        eval_usage(stderr);
        return 2;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "-h") || !strcmp(sub, "help")) {
        eval_usage(stdout);
        return 0;
    }
    if (!strcmp(sub, "beats")) return eval_beats(argc - 2, argv + 2);
    if (sub[0] == '-') return eval_pairs(argc - 1, argv + 1);
    cli_errorf("eval", "unknown subcommand '%s'", sub);
    eval_usage(stderr);
    return 2;
}
