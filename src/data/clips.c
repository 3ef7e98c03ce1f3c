/* momu — clip discovery (manifest.tsv or stems), the by-song split and the align.tsv table. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "momu/data.h"
#include "momu/rng.h"

static const char *const MOTION_EXT[] = {"npy", "bvh", "json"};
static const char *const AUDIO_EXT[] = {"ogg", "wav", "flac", "mp3", "opus", "aif", "aiff"};

static int ext_in(const char *path, const char *const *list, size_t n) {
    char ext[16];
    momu_path_ext(path, ext, sizeof ext);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(ext, list[i])) return 1;
    return 0;
}

static int is_regular(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static momu_status join_path(char *out, size_t n, const char *dir, const char *name, momu_err *e) {
    int k = snprintf(out, n, "%s/%s", dir, name);
    if (k < 0 || (size_t)k >= n) return momu_fail(e, MOMU_ERR_ARG, "%s/%s: path too long", dir, name);
    return MOMU_OK;
}

/* The stem of a file name: without the extension and without a final ".motion" / ".music". */
static void file_stem(const char *name, char *stem, size_t n) {
    snprintf(stem, n, "%s", name);
    char *dot = strrchr(stem, '.');
    if (dot && dot != stem) *dot = 0;
    size_t l = strlen(stem);
    if (l > 7 && !strcmp(stem + l - 7, ".motion")) stem[l - 7] = 0;
    else if (l > 6 && !strcmp(stem + l - 6, ".music")) stem[l - 6] = 0;
}

static int cmp_clip(const void *a, const void *b) {
    return strcmp(((const momu_clip *)a)->name, ((const momu_clip *)b)->name);
}

void momu_clip_list_free(momu_clip_list *l) {
    if (!l) return;
    free(l->clips);
    l->clips = NULL;
    l->n = 0;
}

static momu_status push_clip(momu_clip_list *l, size_t *cap, momu_err *e) {
    if (l->n >= MOMU_DATA_MAX_CLIPS) return momu_fail(e, MOMU_ERR_RANGE, "more than %d clips", MOMU_DATA_MAX_CLIPS);
    if (l->n == *cap) {
        size_t nc = *cap ? 2 * *cap : 64;
        momu_clip *c = momu_realloc_array(l->clips, nc, sizeof *c, e);
        if (!c) return MOMU_ERR_OOM;
        l->clips = c;
        *cap = nc;
    }
    memset(&l->clips[l->n], 0, sizeof l->clips[0]);
    l->n++;
    return MOMU_OK;
}

/* Splits a TSV line in place into at most max fields; returns the count. */
static size_t split_tabs(char *line, char **f, size_t max) {
    size_t n = 0;
    char *p = line;
    while (n < max) {
        f[n++] = p;
        char *t = strchr(p, '\t');
        if (!t) break;
        *t = 0;
        p = t + 1;
    }
    return n;
}

static int col_index(char **h, size_t nh, const char *name) {
    for (size_t i = 0; i < nh; i++)
        if (!strcmp(h[i], name)) return (int)i;
    return -1;
}

#define MAX_COLS 64

static momu_status scan_manifest(const char *dir, const char *mpath, momu_clip_list *out, momu_err *e) {
    unsigned char *buf;
    size_t len;
    momu_status st = momu_read_file(mpath, (size_t)64 << 20, &buf, &len, e);
    if (st) return st;
    size_t cap = 0;
    char *save = NULL, *line = strtok_r((char *)buf, "\n", &save);
    char *h[MAX_COLS];
    if (!line) { free(buf); return momu_fail(e, MOMU_ERR_FORMAT, "%s: empty manifest", mpath); }
    size_t l0 = strlen(line);
    if (l0 && line[l0 - 1] == '\r') line[l0 - 1] = 0;
    size_t nh = split_tabs(line, h, MAX_COLS);
    int c_name = col_index(h, nh, "name"), c_mot = col_index(h, nh, "motion_file"),
        c_mus = col_index(h, nh, "music_file"), c_song = col_index(h, nh, "source_mp3_md5"),
        c_style = col_index(h, nh, "style");
    if (c_name < 0 || c_mot < 0 || c_mus < 0) {
        free(buf);
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: header lacks name, motion_file or music_file", mpath);
    }
    size_t lineno = 1;
    while ((line = strtok_r(NULL, "\n", &save))) {
        lineno++;
        size_t ll = strlen(line);
        if (ll && line[ll - 1] == '\r') line[--ll] = 0;
        if (!ll) continue;
        char *f[MAX_COLS];
        size_t nf = split_tabs(line, f, MAX_COLS);
        if (nf != nh) {
            st = momu_fail(e, MOMU_ERR_FORMAT, "%s:%zu: %zu fields, header has %zu", mpath, lineno, nf, nh);
            break;
        }
        if ((st = push_clip(out, &cap, e))) break;
        momu_clip *c = &out->clips[out->n - 1];
        if (strlen(f[c_name]) == 0 || strlen(f[c_name]) >= sizeof c->name) {
            st = momu_fail(e, MOMU_ERR_FORMAT, "%s:%zu: bad clip name", mpath, lineno);
            break;
        }
        strcpy(c->name, f[c_name]);
        snprintf(c->song, sizeof c->song, "%s", c_song >= 0 && f[c_song][0] ? f[c_song] : c->name);
        snprintf(c->style, sizeof c->style, "%s", c_style >= 0 ? f[c_style] : "");
        if ((st = join_path(c->motion_path, sizeof c->motion_path, dir, f[c_mot], e)) ||
            (st = join_path(c->music_path, sizeof c->music_path, dir, f[c_mus], e)))
            break;
        if (!is_regular(c->motion_path)) {
            st = momu_fail(e, MOMU_ERR_IO, "%s: missing motion file of clip %s (listed in %s)", c->motion_path,
                           c->name, mpath);
            break;
        }
        if (!is_regular(c->music_path)) {
            st = momu_fail(e, MOMU_ERR_IO, "%s: missing music file of clip %s (listed in %s)", c->music_path,
                           c->name, mpath);
            break;
        }
    }
    free(buf);
    if (!st && out->n == 0) st = momu_fail(e, MOMU_ERR_FORMAT, "%s: no clips listed", mpath);
    return st;
}

/* Sorted regular-file names of dir with an extension in list. */
static momu_status list_files(const char *dir, const char *const *list, size_t n_list, char ***names, size_t *n,
                              momu_err *e) {
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return momu_fail(e, MOMU_ERR_IO, "%s: cannot open folder (%s)", dir, strerror(errno));
    size_t cap = 0;
    momu_status st = MOMU_OK;
    struct dirent *de;
    char path[MOMU_DATA_PATH_MAX];
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        if (!ext_in(de->d_name, list, n_list)) continue;
        if (join_path(path, sizeof path, dir, de->d_name, NULL) || !is_regular(path)) continue;
        if (*n >= MOMU_DATA_MAX_CLIPS) { st = momu_fail(e, MOMU_ERR_RANGE, "%s: too many files", dir); break; }
        if (*n == cap) {
            size_t nc = cap ? 2 * cap : 64;
            char **p = momu_realloc_array(*names, nc, sizeof *p, e);
            if (!p) { st = MOMU_ERR_OOM; break; }
            *names = p;
            cap = nc;
        }
        (*names)[*n] = strdup(de->d_name);
        if (!(*names)[*n]) { st = momu_fail(e, MOMU_ERR_OOM, "out of memory"); break; }
        (*n)++;
    }
    closedir(d);
    if (st) { momu_data_free_paths(*names, *n); *names = NULL; *n = 0; return st; }
    for (size_t i = 1; i < *n; i++)  /* insertion sort: byte order, deterministic */
        for (size_t j = i; j > 0 && strcmp((*names)[j - 1], (*names)[j]) > 0; j--) {
            char *t = (*names)[j]; (*names)[j] = (*names)[j - 1]; (*names)[j - 1] = t;
        }
    return MOMU_OK;
}

void momu_data_free_paths(char **paths, size_t n) {
    if (!paths) return;
    for (size_t i = 0; i < n; i++) free(paths[i]);
    free(paths);
}

momu_status momu_data_scan_audio(const char *dir, char ***paths, size_t *n, momu_err *e) {
    momu_status st = list_files(dir, AUDIO_EXT, sizeof AUDIO_EXT / sizeof *AUDIO_EXT, paths, n, e);
    if (st) return st;
    for (size_t i = 0; i < *n; i++) {
        size_t l = strlen(dir) + strlen((*paths)[i]) + 2;
        char *p = malloc(l);
        if (!p) { momu_data_free_paths(*paths, *n); *paths = NULL; *n = 0; return momu_fail(e, MOMU_ERR_OOM, "out of memory"); }
        snprintf(p, l, "%s/%s", dir, (*paths)[i]);
        free((*paths)[i]);
        (*paths)[i] = p;
    }
    if (*n == 0) return momu_fail(e, MOMU_ERR_FORMAT, "%s: no audio files (.ogg .wav .flac .mp3 .opus .aif .aiff)", dir);
    return MOMU_OK;
}

static momu_status scan_stems(const char *dir, momu_clip_list *out, momu_err *e) {
    char **mot = NULL, **mus = NULL;
    size_t n_mot = 0, n_mus = 0, cap = 0;
    momu_status st = list_files(dir, MOTION_EXT, 3, &mot, &n_mot, e);
    if (!st) st = list_files(dir, AUDIO_EXT, sizeof AUDIO_EXT / sizeof *AUDIO_EXT, &mus, &n_mus, e);
    char *used = st ? NULL : calloc(n_mus + 1, 1);
    if (!st && !used) st = momu_fail(e, MOMU_ERR_OOM, "out of memory");
    char s1[MOMU_DATA_PATH_MAX], s2[MOMU_DATA_PATH_MAX];
    for (size_t i = 0; !st && i < n_mot; i++) {
        file_stem(mot[i], s1, sizeof s1);
        size_t found = n_mus;
        for (size_t k = 0; k < n_mus; k++) {
            file_stem(mus[k], s2, sizeof s2);
            if (!strcmp(s1, s2)) {
                if (found < n_mus) {
                    st = momu_fail(e, MOMU_ERR_FORMAT, "%s/%s: two music files (%s, %s) share the stem '%s'", dir,
                                   mot[i], mus[found], mus[k], s1);
                    break;
                }
                found = k;
            }
        }
        if (st) break;
        if (found == n_mus) {
            st = momu_fail(e, MOMU_ERR_FORMAT, "%s/%s: missing pair: no music file with the stem '%s'", dir, mot[i], s1);
            break;
        }
        if (used[found]) {
            st = momu_fail(e, MOMU_ERR_FORMAT, "%s/%s: music shared by two motion files (stem '%s')", dir, mus[found], s1);
            break;
        }
        used[found] = 1;
        if (strlen(s1) >= MOMU_DATA_NAME_MAX) { st = momu_fail(e, MOMU_ERR_ARG, "%s: name too long", mot[i]); break; }
        if ((st = push_clip(out, &cap, e))) break;
        momu_clip *c = &out->clips[out->n - 1];
        strcpy(c->name, s1);
        strcpy(c->song, s1);
        if ((st = join_path(c->motion_path, sizeof c->motion_path, dir, mot[i], e)) ||
            (st = join_path(c->music_path, sizeof c->music_path, dir, mus[found], e)))
            break;
    }
    for (size_t k = 0; !st && k < n_mus; k++)
        if (!used[k]) st = momu_fail(e, MOMU_ERR_FORMAT, "%s/%s: missing pair: no motion file with the same stem", dir, mus[k]);
    if (!st && out->n == 0) st = momu_fail(e, MOMU_ERR_FORMAT, "%s: no motion/music pairs found", dir);
    free(used);
    momu_data_free_paths(mot, n_mot);
    momu_data_free_paths(mus, n_mus);
    return st;
}

momu_status momu_data_scan(const char *dir, momu_clip_list *out, momu_err *e) {
    memset(out, 0, sizeof *out);
    if (!dir || !*dir) return momu_fail(e, MOMU_ERR_ARG, "no data folder given");
    char mpath[MOMU_DATA_PATH_MAX];
    momu_status st = join_path(mpath, sizeof mpath, dir, "manifest.tsv", e);
    if (st) return st;
    st = is_regular(mpath) ? scan_manifest(dir, mpath, out, e) : scan_stems(dir, out, e);
    if (st) { momu_clip_list_free(out); return st; }
    qsort(out->clips, out->n, sizeof *out->clips, cmp_clip);
    for (size_t i = 1; i < out->n; i++)
        if (!strcmp(out->clips[i - 1].name, out->clips[i].name)) {
            st = momu_fail(e, MOMU_ERR_FORMAT, "%s: clip name %s appears twice", dir, out->clips[i].name);
            momu_clip_list_free(out);
            return st;
        }
    return MOMU_OK;
}

/* ---- split ---- */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

momu_status momu_data_split_by_song(const momu_clip_list *clips, size_t val_songs, double val_fraction,
                                    uint64_t seed, int *is_val, momu_err *e) {
    size_t n = clips->n;
    if (n == 0) return momu_fail(e, MOMU_ERR_ARG, "split: no clips");
    if (!(val_fraction >= 0 && val_fraction < 1))
        return momu_fail(e, MOMU_ERR_ARG, "split: --val-fraction %g is outside [0, 1)", val_fraction);
    const char **songs = momu_malloc_array(n, sizeof *songs, e);
    size_t *perm = momu_malloc_array(n, sizeof *perm, e);
    if (!songs || !perm) { free(songs); free(perm); return MOMU_ERR_OOM; }
    for (size_t i = 0; i < n; i++) songs[i] = clips->clips[i].song;
    qsort(songs, n, sizeof *songs, cmp_str);
    size_t ns = 0;
    for (size_t i = 0; i < n; i++)
        if (ns == 0 || strcmp(songs[ns - 1], songs[i])) songs[ns++] = songs[i];
    size_t n_val;
    if (val_songs > 0) {
        if (val_songs >= ns) {
            free(songs); free(perm);
            return momu_fail(e, MOMU_ERR_ARG, "split: --val-songs %zu leaves no training song (%zu songs)", val_songs, ns);
        }
        n_val = val_songs;
    } else if (ns < 2 || val_fraction == 0) {
        n_val = 0;
    } else {
        n_val = (size_t)lround(val_fraction * (double)ns);
        if (n_val < 1) n_val = 1;
        if (n_val > ns - 1) n_val = ns - 1;
    }
    for (size_t i = 0; i < ns; i++) perm[i] = i;
    momu_rng r;
    momu_rng_seed(&r, seed);
    momu_rng_shuffle(&r, perm, ns);
    for (size_t i = 0; i < n; i++) {
        is_val[i] = 0;
        for (size_t k = 0; k < n_val; k++)
            if (!strcmp(clips->clips[i].song, songs[perm[k]])) is_val[i] = 1;
    }
    free(songs);
    free(perm);
    return MOMU_OK;
}

/* ---- align.tsv ---- */

static const char *ALIGN_COLS[] = {"name", "scale", "offset_s", "corr", "score_before", "score_after", "null_mean",
                                   "null_std", "null_max", "z", "percentile", "rand_mean", "rand_p99",
                                   "true_fps"};
#define N_ALIGN_COLS (sizeof ALIGN_COLS / sizeof *ALIGN_COLS)

momu_status momu_align_table_write(const char *path, const momu_align_row *rows, size_t n, momu_err *e) {
    momu_atomic a;
    momu_status st = momu_atomic_open(&a, path, e);
    if (st) return st;
    for (size_t c = 0; c < N_ALIGN_COLS; c++) fprintf(a.f, "%s%c", ALIGN_COLS[c], c + 1 < N_ALIGN_COLS ? '\t' : '\n');
    for (size_t i = 0; i < n; i++) {
        const momu_sync_alignment *x = &rows[i].a;
        fprintf(a.f, "%s\t%.5f\t%.3f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.2f\t%.1f\t%.4f\t%.4f\t%.3f\n", rows[i].name,
                x->scale, x->offset_s, x->corr, x->corr_before, x->score_after, x->null_mean, x->null_std, x->null_max,
                x->z, x->percentile, x->rand_mean, x->rand_p99, 25.0 * x->scale);
    }
    return momu_atomic_commit(&a, e);
}

static momu_status parse_num(const char *s, double *v, const char *path, size_t line, const char *col, momu_err *e) {
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(*v))
        return momu_fail(e, MOMU_ERR_FORMAT, "%s:%zu: column %s: '%s' is not a finite number", path, line, col, s);
    return MOMU_OK;
}

momu_status momu_align_table_read(const char *path, momu_align_row **rows, size_t *n, momu_err *e) {
    *rows = NULL;
    *n = 0;
    unsigned char *buf;
    size_t len;
    momu_status st = momu_read_file(path, (size_t)64 << 20, &buf, &len, e);
    if (st) return st;
    char *save = NULL, *line = strtok_r((char *)buf, "\n", &save);
    char *h[MAX_COLS];
    if (!line) { free(buf); return momu_fail(e, MOMU_ERR_FORMAT, "%s: empty alignment table", path); }
    size_t l0 = strlen(line);
    if (l0 && line[l0 - 1] == '\r') line[l0 - 1] = 0;
    size_t nh = split_tabs(line, h, MAX_COLS);
    int ci[N_ALIGN_COLS];
    for (size_t c = 0; c < N_ALIGN_COLS; c++) ci[c] = col_index(h, nh, ALIGN_COLS[c]);
    if (ci[0] < 0 || ci[1] < 0 || ci[2] < 0) {
        free(buf);
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: header lacks name, scale or offset_s (not an align.tsv)", path);
    }
    size_t cap = 0, lineno = 1;
    momu_align_row *r = NULL;
    while (!st && (line = strtok_r(NULL, "\n", &save))) {
        lineno++;
        size_t ll = strlen(line);
        if (ll && line[ll - 1] == '\r') line[--ll] = 0;
        if (!ll) continue;
        char *f[MAX_COLS];
        size_t nf = split_tabs(line, f, MAX_COLS);
        if (nf != nh) { st = momu_fail(e, MOMU_ERR_FORMAT, "%s:%zu: %zu fields, header has %zu", path, lineno, nf, nh); break; }
        if (*n == cap) {
            size_t nc = cap ? 2 * cap : 64;
            if (nc > MOMU_DATA_MAX_CLIPS) { st = momu_fail(e, MOMU_ERR_RANGE, "%s: too many rows", path); break; }
            momu_align_row *q = momu_realloc_array(r, nc, sizeof *q, e);
            if (!q) { st = MOMU_ERR_OOM; break; }
            r = q;
            cap = nc;
        }
        momu_align_row *x = &r[*n];
        memset(x, 0, sizeof *x);
        if (!*f[ci[0]] || strlen(f[ci[0]]) >= sizeof x->name) { st = momu_fail(e, MOMU_ERR_FORMAT, "%s:%zu: bad name", path, lineno); break; }
        strcpy(x->name, f[ci[0]]);
        double v[N_ALIGN_COLS] = {0};
        for (size_t c = 1; c < N_ALIGN_COLS && !st; c++)
            if (ci[c] >= 0) st = parse_num(f[ci[c]], &v[c], path, lineno, ALIGN_COLS[c], e);
        if (st) break;
        if (!(v[1] >= 0.5 && v[1] <= 2.0)) { st = momu_fail(e, MOMU_ERR_RANGE, "%s:%zu: scale %g outside [0.5, 2]", path, lineno, v[1]); break; }
        if (!(fabs(v[2]) <= 60.0)) { st = momu_fail(e, MOMU_ERR_RANGE, "%s:%zu: offset %g s beyond 60 s", path, lineno, v[2]); break; }
        x->a.scale = v[1]; x->a.offset_s = v[2]; x->a.corr = v[3]; x->a.corr_before = v[4]; x->a.score_after = v[5];
        x->a.null_mean = v[6]; x->a.null_std = v[7]; x->a.null_max = v[8]; x->a.z = v[9]; x->a.percentile = v[10];
        x->a.rand_mean = v[11]; x->a.rand_p99 = v[12];
        for (size_t k = 0; k < *n; k++)
            if (!strcmp(r[k].name, x->name)) { st = momu_fail(e, MOMU_ERR_FORMAT, "%s:%zu: clip %s listed twice", path, lineno, x->name); break; }
        if (!st) (*n)++;
    }
    free(buf);
    if (!st && *n == 0) st = momu_fail(e, MOMU_ERR_FORMAT, "%s: no rows", path);
    if (st) { free(r); *n = 0; return st; }
    *rows = r;
    return MOMU_OK;
}
