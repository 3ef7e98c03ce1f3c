/* momu — datasets: clip discovery, per-clip motion/music alignment (`momu data align`) and the prepared
 * training windows (`momu data prepare`). docs/DATA.md documents every file format written here.
 *
 * Clock convention (from momu/sync.h): motion_time = scale * music_time + offset_s, motion_time being the
 * motion file's nominal time (frame / fps). `momu data prepare` re-times the motion onto the music clock
 * at exactly 25 fps with this mapping. */
#ifndef MOMU_DATA_H
#define MOMU_DATA_H
#include <stdint.h>

#include "momu/common.h"
#include "momu/sync.h"
#ifdef __cplusplus
extern "C" {
#endif

#define MOMU_DATA_NAME_MAX 256
#define MOMU_DATA_PATH_MAX 4096
#define MOMU_DATA_MAX_CLIPS 100000

/* One paired clip. `song` identifies the song (manifest column source_mp3_md5; without a manifest, the
 * clip name), `style` the manifest's style column ("" without). */
typedef struct {
    char name[MOMU_DATA_NAME_MAX];
    char song[MOMU_DATA_NAME_MAX];
    char style[64];
    char motion_path[MOMU_DATA_PATH_MAX];
    char music_path[MOMU_DATA_PATH_MAX];
} momu_clip;

typedef struct { momu_clip *clips; size_t n; } momu_clip_list;

/* Lists the paired clips of DIR, sorted by name. With DIR/manifest.tsv (tab-separated, header line with
 * at least `name`, `motion_file`, `music_file`; `source_mp3_md5` and `style` used when present), the rows
 * of the manifest; otherwise motion files (.npy .bvh .json) and music files (.ogg .wav .flac .mp3 .opus
 * .aif .aiff) paired by stem, where the stem is the file name without its extension and without a final
 * ".motion" / ".music". A motion file without music (or music without motion) is an error naming it. */
momu_status momu_data_scan(const char *dir, momu_clip_list *out, momu_err *e);
/* Lists the audio files of DIR (extensions as above, sorted), for unpaired music. *paths malloc'ed array
 * of malloc'ed strings; free with momu_data_free_paths. */
momu_status momu_data_scan_audio(const char *dir, char ***paths, size_t *n, momu_err *e);
void        momu_data_free_paths(char **paths, size_t n);
void        momu_clip_list_free(momu_clip_list *l);

/* The sync envelopes of a clip at MOMU_SYNC_RATE (see momu/sync.h): the music file decoded at 16 kHz,
 * its log-mel flux; the motion's summed absolute change of joint speed at the motion's own fps. */
momu_status momu_data_clip_envelopes(const momu_clip *c, float **music_env, size_t *n_music, float **motion_env,
                                     size_t *n_motion, momu_err *e);

/* One row of align.tsv. */
typedef struct {
    char name[MOMU_DATA_NAME_MAX];
    momu_sync_alignment a;
} momu_align_row;

/* align.tsv: header + one row per clip, columns
 *   name scale offset_s corr score_before score_after null_mean null_std null_max z percentile rand_mean
 *   rand_p99 true_fps
 * (true_fps = 25 * scale, informative). Written atomically. */
momu_status momu_align_table_write(const char *path, const momu_align_row *rows, size_t n, momu_err *e);
/* Reads the columns name, scale, offset_s (others optional); rejects non-finite or implausible values
 * (scale outside [0.5, 2], |offset| > 60 s) naming the file and line. *rows malloc'ed. */
momu_status momu_align_table_read(const char *path, momu_align_row **rows, size_t *n, momu_err *e);

/* ---- prepare ------------------------------------------------------------------------------------ */

typedef struct {
    const char *data_dir;         /* paired clips */
    const char *align_path;       /* align.tsv, or NULL for scale 1 / offset 0 on every clip (warned) */
    const char *out_dir;          /* created if missing */
    double window_s, stride_s;    /* default 10, 5; rounded to an even number of motion frames */
    size_t val_songs;             /* > 0: this many validation songs; else val_fraction of the songs */
    double val_fraction;          /* default 0.15 */
    uint64_t seed;                /* split shuffle (default 1) */
    int mirror;                   /* add left/right mirrored copies of the TRAIN windows */
    const double *tempo;          /* tempo factors in [0.8, 1.25] (not 1) for extra TRAIN copies: music and */
    size_t n_tempo;               /* motion played tempo[k] times faster (at most 8); see docs/DATA.md */
    const char *const *music_only_dirs; /* unpaired audio folders for the music-only stage */
    size_t n_music_only;
} momu_prepare_opts;

void momu_prepare_opts_default(momu_prepare_opts *o);

/* Summary of what momu_data_prepare wrote. */
typedef struct {
    size_t n_train_windows, n_val_windows, n_music_only_windows;
    size_t n_train_songs, n_val_songs;
    size_t window_frames, stride_frames;  /* motion frames at 25 fps; mel frames are 4x */
    size_t motion_dim;
} momu_prepare_summary;

/* Writes into out_dir (all atomically): split.tsv, {train,val}_motion.npy (N, W, D) float32 raw motion
 * features, {train,val}_mel.npy (N, 4W, 80) log-mel, {train,val}_index.tsv, motion_stats.npy (2, D) and
 * mel_stats.npy (2, 80) over the TRAIN split only, music_only_mel.npy + music_only_index.tsv when
 * music-only folders are given, prepare.json (the settings and counts). See docs/DATA.md. */
momu_status momu_data_prepare(const momu_prepare_opts *o, momu_prepare_summary *sum, momu_err *e);

/* The by-song split rule (exposed for tests): songs are the distinct `song` keys sorted by byte order,
 * shuffled with momu_rng seeded `seed` (momu_rng_shuffle), and the first n_val of them are validation.
 * n_val = val_songs if > 0, else round(val_fraction * n_songs) clamped to [1, n_songs - 1] (0 when there is
 * one song). is_val[i] receives 1 for clips of validation songs. */
momu_status momu_data_split_by_song(const momu_clip_list *clips, size_t val_songs, double val_fraction,
                                    uint64_t seed, int *is_val, momu_err *e);

#ifdef __cplusplus
}
#endif
#endif
