/* File-level evaluation of (music, motion) pairs: decodes, extracts onsets / beats / kinematic beats /
 * envelopes / features with the audio, motion and sync modules, and computes every DESIGN.md §5 metric.
 * What is compared with what is documented in momu/eval.h (momu_eval_pair_result). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "momu/audio.h"
#include "momu/beats.h"
#include "momu/eval.h"
#include "momu/motion.h"
#include "momu/sync.h"

void momu_eval_opts_default(momu_eval_opts *o) {
    memset(o, 0, sizeof *o);
    o->fps = 0.0;
    o->tolerance_s = MOMU_BEAT_FMEASURE_TOL_S;
    o->bas_sigma_s = MOMU_BAS_SIGMA_S;
    o->sync_max_lag_s = MOMU_SYNC_SCORE_MAX_LAG_S;
    momu_foot_skate_opts_default(&o->skate);
}

void momu_eval_pair_result_free(momu_eval_pair_result *r) {
    if (!r) return;
    free(r->kin);
    free(r->geo);
    free(r->audio);
    free(r->ref_kin);
    free(r->ref_geo);
    free(r->ref_audio);
    r->kin = r->geo = r->audio = r->ref_kin = r->ref_geo = r->ref_audio = NULL;
    free(r->music_path);
    free(r->motion_path);
    free(r->ref_music_path);
    free(r->ref_motion_path);
    r->music_path = r->motion_path = r->ref_music_path = r->ref_motion_path = NULL;
}

static char *dup_str(const char *s) {
    char *c = malloc(strlen(s) + 1);
    if (c) strcpy(c, s);
    return c;
}

/* Times inside [0, limit] only (in place); returns the new count. */
static size_t keep_until(double *t, size_t n, double limit) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (t[i] >= 0 && t[i] <= limit) t[k++] = t[i];
    return k;
}

typedef struct {
    float *x22;         /* the music at 22050 Hz (onsets, beat tracking) */
    size_t n22;
    float *mel;         /* log-mel (n_mel, 80) at 100 fps */
    size_t n_mel;
    double seconds;
} music_data;

static void music_free(music_data *m) {
    free(m->x22);
    free(m->mel);
    memset(m, 0, sizeof *m);
}

static momu_status music_load(const char *path, music_data *m, momu_err *e) {
    memset(m, 0, sizeof *m);
    float *x = NULL, *x16 = NULL;
    size_t n = 0, n16 = 0;
    unsigned sr = 0;
    momu_status st = momu_audio_load_native(path, &x, &n, &sr, e);
    if (!st) st = momu_resample(x, n, sr, MOMU_ONSET_SR, &m->x22, &m->n22, e);
    if (!st) st = momu_resample(x, n, sr, MOMU_SR, &x16, &n16, e);
    if (!st) st = momu_logmel(x16, n16, &m->mel, &m->n_mel, e);
    if (!st) m->seconds = (double)n / (double)sr;
    free(x);
    free(x16);
    if (st) music_free(m);
    return st;
}

static momu_status motion_load(const char *path, const momu_eval_opts *o, const char *pair_name, momu_motion *m,
                               momu_err *e) {
    momu_status st = momu_motion_load(path, m, e);
    if (st) return st;
    if (o->fps > 0) m->fps = (float)o->fps;
    if (o->align && pair_name) {
        for (size_t i = 0; i < o->n_align; i++) {
            if (strcmp(o->align[i].name, pair_name)) continue;
            /* motion_time = scale·music_time + offset (momu/sync.h); resample's input time is
             * time_scale·(offset' + i/fps), so time_scale = scale, offset' = offset/scale. Frames whose
             * source time falls before the file's start hold its first frame. */
            double scale = o->align[i].scale, off = o->align[i].offset_s;
            double last = ((double)(m->n_frames - 1) / m->fps - off) / scale;
            if (!(last > 1.0)) return momu_fail(e, MOMU_ERR_RANGE, "%s: alignment (scale %g, offset %g s) leaves "
                                                "no motion", path, scale, off);
            size_t n_out = (size_t)floor(last * m->fps) + 1;
            momu_motion r = {0};
            st = momu_motion_resample(m, scale, off / scale, m->fps, n_out, &r, e);
            momu_motion_free(m);
            if (st) return st;
            *m = r;
            break;
        }
    }
    return MOMU_OK;
}

static momu_status motion_features(const momu_motion *m, const momu_eval_opts *o, double **kin, double **geo,
                                   int *geo_ok, momu_err *e) {
    *kin = momu_malloc_array(m->n_joints * MOMU_KINETIC_PER_JOINT, sizeof **kin, e);
    *geo = momu_malloc_array(MOMU_GEO_FEATURES, sizeof **geo, e);
    if (!*kin || !*geo) return momu_fail(e, MOMU_ERR_OOM, "eval: out of memory");
    momu_status st = momu_kinetic_features(m->pos, m->n_frames, m->n_joints, m->fps, *kin, e);
    if (st) return st;
    momu_eval_joints roles;
    *geo_ok = 0;
    (void)o;
    if (m->skel.names) {
        const char **names = momu_malloc_array(m->n_joints, sizeof *names, e);
        if (!names) return momu_fail(e, MOMU_ERR_OOM, "eval: out of memory");
        for (size_t j = 0; j < m->n_joints; j++) names[j] = m->skel.names[j];
        momu_err e2 = {0};
        *geo_ok = momu_eval_joints_from_names(names, m->n_joints, &roles, &e2) == MOMU_OK;
        free(names);
    } else if (m->n_joints == MOMU_DWM_JOINTS) {
        momu_eval_joints_dwm(&roles);
        *geo_ok = 1;
    }
    if (*geo_ok) {
        st = momu_geometric_features(m->pos, m->n_frames, m->n_joints, m->fps, &roles, *geo, e);
        if (st) return st;
    }
    return MOMU_OK;
}

momu_status momu_eval_pair_run(const momu_eval_pair *p, const momu_eval_opts *o, momu_eval_pair_result *r,
                               momu_err *e) {
    memset(r, 0, sizeof *r);
    if (!p || !o || !p->music || !p->motion) return momu_fail(e, MOMU_ERR_ARG, "eval: pair without music or motion");
    snprintf(r->name, sizeof r->name, "%s", p->name ? p->name : p->motion);
    r->music_path = dup_str(p->music);
    r->motion_path = dup_str(p->motion);
    if (p->ref_music && p->ref_music[0]) r->ref_music_path = dup_str(p->ref_music);
    if (p->ref_motion && p->ref_motion[0]) r->ref_motion_path = dup_str(p->ref_motion);
    if (!r->music_path || !r->motion_path || (p->ref_music && p->ref_music[0] && !r->ref_music_path) ||
        (p->ref_motion && p->ref_motion[0] && !r->ref_motion_path)) {
        momu_eval_pair_result_free(r);
        return momu_fail(e, MOMU_ERR_OOM, "eval: out of memory");
    }
    r->beat_f = r->beat_p = r->beat_r = r->bas = r->sync = r->onset_f = r->pulse = NAN;
    music_data mu = {0}, ref = {0};
    momu_motion mo = {0};
    double *onsets = NULL, *beats = NULL, *kq = NULL, *ks = NULL, *ref_onsets = NULL;
    float *env_a = NULL, *env_m = NULL;
    size_t n_on = 0, n_beats = 0, n_kq = 0, n_ks = 0, n_ref_on = 0, n_env_a = 0, n_env_m = 0;
    momu_status st = music_load(p->music, &mu, e);
    if (!st) st = motion_load(p->motion, o, p->name, &mo, e);
    if (!st) st = momu_motion_check(&mo, p->motion, e);
    if (!st && mo.n_frames < 3)
        st = momu_fail(e, MOMU_ERR_RANGE, "%s: %zu frames; the metrics need at least 3", p->motion, mo.n_frames);
    if (!st && mu.seconds < 0.1)
        st = momu_fail(e, MOMU_ERR_RANGE, "%s: %.3f s of audio; the metrics need at least 0.1 s", p->music,
                       mu.seconds);
    if (st) goto done;
    r->music_s = mu.seconds;
    r->n_frames = mo.n_frames;
    r->n_joints = mo.n_joints;
    r->fps = mo.fps;
    r->motion_s = (double)mo.n_frames / mo.fps;
    double overlap = r->music_s < r->motion_s ? r->music_s : r->motion_s;

    /* music: onsets (LORIS instrument) and beats (beat tracker, for BAS and the beat F-measure) */
    st = momu_onset_detect(mu.x22, mu.n22, MOMU_ONSET_SR, &onsets, &n_on, e);
    if (!st) st = momu_beat_track(mu.x22, mu.n22, MOMU_ONSET_SR, NULL, &beats, &n_beats, &r->bpm, e);
    /* motion: LORIS kinematic beats (peaks of Q) and Bailando kinematic beats (minima of joint speed) */
    if (!st) st = momu_motion_beats_q(&mo, &kq, &n_kq, e);
    if (!st) st = momu_motion_beats_speed(&mo, &ks, &n_ks, e);
    if (st) goto done;
    r->n_onsets = n_on;
    r->n_kin_q = n_kq;
    r->n_kin_speed = n_ks;

    /* music→motion LORIS scores: reference = the music's onsets, generated = the motion's Q-peak beats
     * (notes §6.2), each over its own clip length */
    st = momu_loris_clip_score(onsets, n_on, r->music_s, kq, n_kq, r->motion_s, &r->loris, e);
    if (st) goto done;
    /* BAS and beat F-measure on the span both cover */
    n_beats = keep_until(beats, n_beats, overlap);
    n_ks = keep_until(ks, n_ks, overlap);
    r->n_music_beats = n_beats;
    r->beat_f = momu_beat_fmeasure(beats, n_beats, ks, n_ks, o->tolerance_s, &r->beat_p, &r->beat_r);
    r->bas = n_beats ? momu_bas(beats, n_beats, ks, n_ks, o->bas_sigma_s) : NAN;

    /* sync score (momu/sync.h) */
    st = momu_sync_music_envelope(mu.mel, mu.n_mel, MOMU_N_MELS, (double)MOMU_SR / MOMU_HOP, MOMU_SYNC_RATE, &env_a,
                                  &n_env_a, e);
    if (!st) st = momu_sync_motion_envelope(mo.pos, mo.n_frames, mo.n_joints, mo.fps, MOMU_SYNC_RATE, &env_m,
                                            &n_env_m, e);
    if (st) goto done;
    r->sync = momu_sync_score(env_a, n_env_a, env_m, n_env_m, MOMU_SYNC_RATE, o->sync_max_lag_s, &r->sync_lag_s);

    /* foot skating on the heel, toe and ankle points */
    {
        int feet[6], n_feet = 0;
        momu_eval_joints roles;
        int have_roles = 0;
        if (mo.skel.names) {
            const char **names = momu_malloc_array(mo.n_joints, sizeof *names, e);
            if (!names) { st = MOMU_ERR_OOM; goto done; }
            for (size_t j = 0; j < mo.n_joints; j++) names[j] = mo.skel.names[j];
            have_roles = momu_eval_joints_from_names(names, mo.n_joints, &roles, NULL) == MOMU_OK;
            free(names);
        } else if (mo.n_joints == MOMU_DWM_JOINTS) {
            momu_eval_joints_dwm(&roles);
            have_roles = 1;
        }
        if (have_roles)
            for (int s = 0; s < 2; s++) {
                if (roles.ankle[s] >= 0) feet[n_feet++] = roles.ankle[s];
                if (roles.heel[s] >= 0) feet[n_feet++] = roles.heel[s];
                if (roles.toe[s] >= 0) feet[n_feet++] = roles.toe[s];
            }
        if (n_feet && mo.n_frames >= 3) {
            st = momu_foot_skate(mo.pos, mo.n_frames, mo.n_joints, mo.fps, feet, (size_t)n_feet, &o->skate, &r->skate,
                                 e);
            if (st) goto done;
            r->has_skate = 1;
        }
    }

    /* per-clip features for the set metrics */
    r->kin_dim = mo.n_joints * MOMU_KINETIC_PER_JOINT;
    st = motion_features(&mo, o, &r->kin, &r->geo, &r->geo_ok, e);
    if (st) goto done;
    r->audio = momu_malloc_array(MOMU_AUDIO_STAT_DIM(MOMU_N_MELS), sizeof *r->audio, e);
    if (!r->audio) { st = MOMU_ERR_OOM; goto done; }
    st = momu_audio_stat_features(mu.mel, mu.n_mel, MOMU_N_MELS, (double)MOMU_SR / MOMU_HOP, r->audio, e);
    if (st) goto done;
    r->pulse = r->audio[2 * MOMU_N_MELS + 2];

    /* references */
    if (p->ref_music && p->ref_music[0]) {
        st = music_load(p->ref_music, &ref, e);
        if (!st) st = momu_onset_detect(ref.x22, ref.n22, MOMU_ONSET_SR, &ref_onsets, &n_ref_on, e);
        if (st) goto done;
        /* motion→music LORIS scores: reference music's onsets vs this (generated) music's onsets */
        st = momu_loris_clip_score(ref_onsets, n_ref_on, ref.seconds, onsets, n_on, r->music_s, &r->loris_music, e);
        if (st) goto done;
        r->onset_f = momu_beat_fmeasure(ref_onsets, n_ref_on, onsets, n_on, o->tolerance_s, NULL, NULL);
        r->ref_audio = momu_malloc_array(MOMU_AUDIO_STAT_DIM(MOMU_N_MELS), sizeof *r->ref_audio, e);
        if (!r->ref_audio) { st = MOMU_ERR_OOM; goto done; }
        st = momu_audio_stat_features(ref.mel, ref.n_mel, MOMU_N_MELS, (double)MOMU_SR / MOMU_HOP, r->ref_audio, e);
        if (st) goto done;
        r->has_ref_music = 1;
    }
    if (p->ref_motion && p->ref_motion[0]) {
        momu_motion rm = {0};
        /* the reference motion is taken as is (no alignment: it is a sample of the real distribution) */
        momu_eval_opts o2 = *o;
        o2.align = NULL;
        o2.n_align = 0;
        st = motion_load(p->ref_motion, &o2, NULL, &rm, e);
        if (!st) st = momu_motion_check(&rm, p->ref_motion, e);
        if (!st && rm.n_frames < 3)
            st = momu_fail(e, MOMU_ERR_RANGE, "%s: %zu frames; the metrics need at least 3", p->ref_motion,
                           rm.n_frames);
        if (!st && rm.n_joints != mo.n_joints)
            st = momu_fail(e, MOMU_ERR_ARG, "%s: %zu joints, but the evaluated motion %s has %zu", p->ref_motion,
                           rm.n_joints, p->motion, mo.n_joints);
        int ref_geo_ok = 0;
        if (!st) st = motion_features(&rm, o, &r->ref_kin, &r->ref_geo, &ref_geo_ok, e);
        momu_motion_free(&rm);
        if (st) goto done;
        r->geo_ok = r->geo_ok && ref_geo_ok;
        r->has_ref_motion = 1;
    }
done:
    music_free(&mu);
    music_free(&ref);
    momu_motion_free(&mo);
    free(onsets);
    free(beats);
    free(kq);
    free(ks);
    free(ref_onsets);
    free(env_a);
    free(env_m);
    if (st) momu_eval_pair_result_free(r);
    return st;
}

static void mean_sd(const double *x, size_t n, double *mean, double *sd) {
    double s = 0.0, q = 0.0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i])) { s += x[i]; k++; }
    *mean = k ? s / (double)k : NAN;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i])) q += (x[i] - *mean) * (x[i] - *mean);
    *sd = k > 1 ? sqrt(q / (double)(k - 1)) : NAN;
}

/* Feature vectors of kind 0 kinetic, 1 geometric, 2 audio, of the pairs (ref 0) or of their references
 * (ref 1), into out (n × d), one per distinct file path; returns how many. Rows without it are skipped. */
static size_t gather(const momu_eval_pair_result *r, size_t n, int kind, int ref, size_t d, double *out) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const double *x = kind == 0 ? (ref ? r[i].ref_kin : r[i].kin)
                        : kind == 1 ? (ref ? r[i].ref_geo : r[i].geo)
                                    : (ref ? r[i].ref_audio : r[i].audio);
        if (!x || (kind == 1 && !r[i].geo_ok)) continue;
        const char *pi = kind == 2 ? (ref ? r[i].ref_music_path : r[i].music_path)
                                   : (ref ? r[i].ref_motion_path : r[i].motion_path);
        int dup = 0;
        for (size_t j = 0; j < i && !dup; j++) {
            const char *pj = kind == 2 ? (ref ? r[j].ref_music_path : r[j].music_path)
                                       : (ref ? r[j].ref_motion_path : r[j].motion_path);
            const double *xj = kind == 0 ? (ref ? r[j].ref_kin : r[j].kin)
                             : kind == 1 ? (ref ? r[j].ref_geo : r[j].geo)
                                         : (ref ? r[j].ref_audio : r[j].audio);
            dup = xj && pi && pj && !strcmp(pi, pj) && (kind != 1 || r[j].geo_ok);
        }
        if (!dup) memcpy(out + k++ * d, x, d * sizeof *x);
    }
    return k;
}

momu_status momu_eval_summarise(const momu_eval_pair_result *r, size_t n, momu_eval_summary *s, momu_err *e) {
    memset(s, 0, sizeof *s);
    if (!r || n == 0) return momu_fail(e, MOMU_ERR_ARG, "eval: no pairs to summarise");
    s->n_pairs = n;
    double *v = momu_malloc_array(n, sizeof *v, e);
    momu_loris_clip *lc = momu_malloc_array(n, sizeof *lc, e);
    if (!v || !lc) {
        free(v);
        free(lc);
        return momu_fail(e, MOMU_ERR_OOM, "eval: out of memory");
    }
    momu_status st = MOMU_OK;
    s->fps = r[0].fps;
    s->mixed_fps = 0;
    s->clip_s_min = INFINITY;
    double cs = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (r[i].fps != s->fps) s->mixed_fps = 1;
        cs += r[i].motion_s;
        s->clip_s_min = fmin(s->clip_s_min, r[i].motion_s);
        s->clip_s_max = fmax(s->clip_s_max, r[i].motion_s);
        lc[i] = r[i].loris;
    }
    s->clip_s_mean = cs / (double)n;
    st = momu_loris_aggregate(lc, n, &s->loris, e);
    if (st) goto done;
    size_t nm = 0;
    for (size_t i = 0; i < n; i++)
        if (r[i].has_ref_music) lc[nm++] = r[i].loris_music;
    if (nm) {
        st = momu_loris_aggregate(lc, nm, &s->loris_music, e);
        if (st) goto done;
    }
#define MS(field, mean, sd)                                   \
    do {                                                      \
        for (size_t i = 0; i < n; i++) v[i] = r[i].field;     \
        mean_sd(v, n, &s->mean, &s->sd);                      \
    } while (0)
    MS(beat_f, beat_f_mean, beat_f_sd);
    MS(bas, bas_mean, bas_sd);
    MS(sync, sync_mean, sync_sd);
    MS(onset_f, onset_f_mean, onset_f_sd);
    MS(pulse, pulse_mean, pulse_sd);
#undef MS
    {
        /* foot skating pooled over all contact frames of all clips */
        double sum = 0.0;
        size_t nc = 0, nt = 0;
        for (size_t i = 0; i < n; i++)
            if (r[i].has_skate) {
                sum += r[i].skate.skate_cm_s * (double)r[i].skate.n_contact;
                nc += r[i].skate.n_contact;
                nt += r[i].skate.n_total;
            }
        s->skate_cm_s = nc ? sum / (double)nc : NAN;
        s->skate_contact_fraction = nt ? (double)nc / (double)nt : NAN;
    }
    /* set metrics: evaluated set = the distinct motions (musics) of all pairs; reference set = the distinct
     * reference motions (musics) of the pairs that have one. Duplicates (the same file on several rows)
     * are counted once, recognised by identical feature vectors. */
    {
        int same_dim = 1, all_geo = 1;
        for (size_t i = 0; i < n; i++) {
            if (r[i].kin_dim != r[0].kin_dim) same_dim = 0;
            if (!r[i].geo_ok) all_geo = 0;
        }
        size_t dk = r[0].kin_dim, da = MOMU_AUDIO_STAT_DIM(MOMU_N_MELS);
        size_t dmax = dk > da ? dk : da;
        if (dmax < MOMU_GEO_FEATURES) dmax = MOMU_GEO_FEATURES;
        double *g = momu_malloc_array(n * dmax, sizeof *g, e), *rf = momu_malloc_array(n * dmax, sizeof *rf, e);
        if (!g || !rf) { free(g); free(rf); st = momu_fail(e, MOMU_ERR_OOM, "eval: out of memory"); goto done; }
        size_t ng, nr;
        if (same_dim) {
            ng = gather(r, n, 0, 0, dk, g);
            nr = gather(r, n, 0, 1, dk, rf);
            if (ng >= 2 && nr >= 2) {
                st = momu_fid_div(rf, nr, g, ng, dk, &s->fid_k, e);
                s->has_fid_k = !st;
            }
            if (!st && all_geo) {
                ng = gather(r, n, 1, 0, MOMU_GEO_FEATURES, g);
                nr = gather(r, n, 1, 1, MOMU_GEO_FEATURES, rf);
                if (ng >= 2 && nr >= 2) {
                    st = momu_fid_div(rf, nr, g, ng, MOMU_GEO_FEATURES, &s->fid_g, e);
                    s->has_fid_g = !st;
                }
            }
        }
        if (!st) {
            ng = gather(r, n, 2, 0, da, g);
            nr = gather(r, n, 2, 1, da, rf);
            if (ng >= 2 && nr >= 2) {
                st = momu_frechet_features(rf, nr, g, ng, da, &s->fad_standin, e);
                s->has_fad = !st;
                s->n_fad_gen = ng;
                s->n_fad_ref = nr;
            }
        }
        free(g);
        free(rf);
        if (st) goto done;
    }
done:
    free(v);
    free(lc);
    return st;
}
