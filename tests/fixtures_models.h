/* Fixtures shared by the C tests (tests/fixtures_models.c, linked into every test binary): a tiny prepared
 * folder (the layout of docs/DATA.md §7) with tiny VAEs and denoisers trained on it by the training code,
 * random-weight tiny model files in the formats of momu_vae_ckpt_load and denoiser_load, and whole-file
 * read / write. Nothing here uses tests/test.h (its state is per binary): callers pass the scratch folder
 * (test_tmpdir()) and turn the 1 / 0 results into EXPECTs; failures are printed to stderr. */
#ifndef MOMU_TESTS_FIXTURES_MODELS_H
#define MOMU_TESTS_FIXTURES_MODELS_H
#include <stddef.h>
#include <stdint.h>

#include "momu/denoiser.h"
#include "momu/rng.h"
#include "momu/vae.h"
#include "momu/vae_train.h"

/* ---- the tiny prepared folder ---------------------------------------------------------------------------- */
/* FIX_NTR train and FIX_NVA val windows of FIX_W motion frames (4 FIX_W mel frames of FIX_M bands), FIX_J
 * joints (FIX_DF motion features) */
enum { FIX_NTR = 6, FIX_NVA = 3, FIX_W = 16, FIX_M = 80, FIX_J = 23 };
#define FIX_DF (6 * FIX_J + 8)

/* Fills window n of split (0 train, 1 val): mel (4 FIX_W, FIX_M) and mot (FIX_W, FIX_DF); r is one stream over
 * all windows, train before val, window by window, mel before motion. */
typedef void (*fix_window_fill)(float *mel, float *mot, int split, size_t n, momu_rng *r);

/* mel: a per-band ramp with beats every 8 mel frames plus noise; motion: random features with a pulse in
 * feature 3 in step with the mel beats */
void fix_fill_beats(float *mel, float *mot, int split, size_t n, momu_rng *r);

/* Makes the folder dir (mkdir: it must not exist) with {train,val}_{mel,motion}.npy filled by fill (RNG seed
 * 5), mel_stats.npy (mean 0.5, std 2), motion_stats.npy (0, 1), val_index.tsv (windows 0,1 of clip A, 2 of
 * clip B) and prepare.json. 1 on success. */
int fix_prepared_write(const char *dir, fix_window_fill fill);

/* The tiny VAE config: 4 latent channels, 4 groups, one res block per level and in the middle; music 4
 * levels of 8 channels, motion 2. */
void fix_vae_config_tiny(momu_vae_config *c, momu_vae_kind kind);

/* Training options of a tiny VAE run: 2 steps of batch 2, 0.48-s crops, a checkpoint only at the end, a
 * 2x2 bicor; music_vae: the frozen music VAE of the motion stage (NULL for music). */
void fix_vae_train_opts(momu_vae_train_opts *o, momu_vae_kind kind, const char *data_dir, const char *out,
                        const char *music_vae, const momu_vae_config *c);

/* Training options of a tiny music denoiser run: 6 steps of batch 3, width 8, 2 heads, 1 block, warm-up 2,
 * lr 1e-3, a checkpoint only at the end. */
void fix_denoiser_train_opts(denoiser_train_opts *o, const char *data_dir, const char *music_vae,
                             const char *motion_vae, const char *out);

/* The folder tmp/prep (fix_fill_beats) and two tiny VAEs trained on it for 2 steps each (their quality does
 * not matter), tmp/music_vae.safetensors and tmp/motion_vae.safetensors. */
typedef struct { char dir[600], music_vae[700], motion_vae[700]; } fix_prepared;
int fix_prepared_make(fix_prepared *p, const char *tmp);

/* ---- random-weight model files ----------------------------------------------------------------------------- */
/* A VAE checkpoint (vae.* + norm.* + metadata); tiny: 4 latent channels, 8 channels per level, one res block
 * per level and none in the middle, else the default config. norm: mean -2 (music) or 0 (motion), std 1. */
int fix_write_random_vae(const char *path, momu_vae_kind kind, int tiny, momu_rng *r);
/* The music VAE's stored normalisation mean (every band) that fix_write_random_vae writes; default -2. */
extern float fix_music_norm_mean;
/* A denoiser checkpoint; tiny: width 16, 2 heads, 1 block, frequency dim 16, weights N(0, 0.1²), else the
 * default config with N(0, 0.02²) (not adaLN-zero: the output must depend on x). */
int fix_write_random_denoiser(const char *path, denoiser_task task, size_t latent_ch, int tiny, momu_rng *r);
/* The same with `rhythm` rhythm channels in the condition (denoiser_config.cond_extra). */
int fix_write_random_denoiser_r(const char *path, denoiser_task task, size_t latent_ch, size_t rhythm, int tiny,
                                momu_rng *r);

/* ---- files --------------------------------------------------------------------------------------------------- */
/* The whole file (malloc'ed, one spare byte; *n its size), NULL (*n = 0) if it cannot be opened. */
unsigned char *fix_file_read(const char *path, size_t *n);
/* Writes n bytes as path, removing it first: ext4 flushes a file rewritten through truncation on close
 * (auto_da_alloc), which made thousands of rewrites take seconds on a busy disk. */
void fix_file_write(const char *path, const void *b, size_t n);
#endif
