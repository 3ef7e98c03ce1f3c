/* momu train vae — BiCoR-VAE training, stage music or motion (include/momu/vae_train.h,
 * docs/MODELS.md "Training"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "momu/vae_train.h"

int cli_train_vae(int argc, char **argv) {
    const char *cmd = "train vae";
    momu_vae_train_opts o;
    momu_vae_train_opts_default(&o);
    const char *stage = NULL, *model_config = NULL, *negatives = "batch";
    size_t seed = (size_t)o.seed, n_windows = o.bicor.n_windows, troughs = o.bicor.troughs, width = o.bicor.width, stop_after = 0;
    float crop = (float)o.crop_seconds, lr = (float)o.lr, kl = -1.0f, contrast = (float)o.contrast,
          every = (float)o.ckpt_every_min, limit = 0.0f, tau = o.bicor.tau, ema = (float)o.ema_decay, delta = 0.0f;
    int no_contrast = 0;
    const cli_opt opts[] = {
        {"stage", CLI_STR, &stage, "music (music VAE) or motion (motion VAE against the frozen music VAE)"},
        {"data", CLI_STR, &o.data_dir, "prepared folder (momu data prepare)"},
        {"out", CLI_STR, &o.out_path, "checkpoint (safetensors; the training state goes to OUT.state)"},
        {"music-vae", CLI_STR, &o.music_vae_path, "stage motion: the trained music VAE checkpoint (frozen)"},
        {"resume", CLI_FLAG, &o.resume, "continue from --out and --out.state (bit for bit)"},
        {"steps", CLI_SIZE, &o.steps, "total optimizer steps (the cosine schedule's length)"},
        {"stop-after", CLI_SIZE, &stop_after, "stop after this many steps in this run (0: run to --steps)"},
        {"batch", CLI_SIZE, &o.batch, "crops per batch"},
        {"crop-seconds", CLI_FLOAT, &crop, "crop length (rounded to an even number of motion frames)"},
        {"lr", CLI_FLOAT, &lr, "peak learning rate (AdamW, warm-up then cosine)"},
        {"warmup", CLI_SIZE, &o.warmup, "warm-up steps"},
        {"kl", CLI_FLOAT, &kl, "KL weight (negative: the model config's, 1e-4)"},
        {"contrast", CLI_FLOAT, &contrast, "stage motion: weight of the rhythmic contrastive loss"},
        {"no-contrast", CLI_FLAG, &no_contrast, "stage motion: no contrastive loss (ablation)"},
        {"delta", CLI_FLOAT, &delta, "stage motion: weight of the frame-to-frame difference loss on the "
                                     "reconstruction (velocities / accelerations; 0: off)"},
        {"windows", CLI_SIZE, &n_windows, "contrastive windows per crop (peaks of Q)"},
        {"troughs", CLI_SIZE, &troughs, "of --windows, this many at the stillest moments (smallest Q) instead of peaks"},
        {"window-frames", CLI_SIZE, &width, "contrastive window width in latent frames (12.5 Hz)"},
        {"tau", CLI_FLOAT, &tau, "InfoNCE temperature"},
        {"negatives", CLI_STR, &negatives, "contrast negatives: batch (all windows of the batch) or crop (same crop only)"},
        {"ema", CLI_FLOAT, &ema, "EMA decay of the weights"},
        {"seed", CLI_SIZE, &seed, "seed (weights, batches, noise)"},
        {"ckpt-every-min", CLI_FLOAT, &every, "checkpoint (with validation) every this many minutes"},
        {"ckpt-every-steps", CLI_SIZE, &o.ckpt_every_steps, "also every this many steps (0: off)"},
        {"time-limit-min", CLI_FLOAT, &limit, "stop with a checkpoint after this many minutes (0: none)"},
        {"model-config", CLI_STR, &model_config, "model config JSON (as stored in a checkpoint; default built-in)"},
    };
    int rc = cli_parse(argc - 1, argv + 1, opts, sizeof opts / sizeof *opts, NULL, 0, NULL, cmd,
                       "--stage music|motion --data PREPARED_DIR --out CKPT.safetensors [options]");
    if (rc) return rc == 1 ? 0 : 2;
    if (!stage || (strcmp(stage, "music") && strcmp(stage, "motion")))
        return cli_errorf(cmd, "--stage music|motion is required"), 2;
    if (!o.data_dir || !o.out_path) return cli_errorf(cmd, "--data and --out are required"), 2;
    o.stage = strcmp(stage, "music") ? MOMU_VAE_MOTION : MOMU_VAE_MUSIC;
    if (strcmp(negatives, "batch") && strcmp(negatives, "crop"))
        return cli_errorf(cmd, "--negatives: 'batch' or 'crop', got '%s'", negatives), 2;
    o.negatives_same_crop = !strcmp(negatives, "crop");
    o.seed = seed;
    o.stop_after = stop_after;
    o.crop_seconds = crop;
    o.lr = lr;
    o.lr_min = lr / 10.0;
    o.kl = kl;
    o.contrast = no_contrast ? 0.0 : contrast;
    if (!(delta >= 0.0f && delta <= 1e4f)) return cli_errorf(cmd, "--delta %g: must be in [0, 1e4]", (double)delta), 2;
    o.delta = delta;
    o.ckpt_every_min = every;
    o.time_limit_min = limit;
    o.ema_decay = ema;
    o.bicor.n_windows = n_windows;
    o.bicor.troughs = troughs;
    o.bicor.width = width;
    o.bicor.tau = tau;
    momu_err e = {0};
    momu_vae_config cfg;
    if (model_config) {
        unsigned char *txt = NULL;
        size_t len = 0;
        if (momu_read_file(model_config, (size_t)1 << 20, &txt, &len, &e) ||
            momu_vae_config_from_json(&cfg, (const char *)txt, o.stage, model_config, &e)) {
            free(txt);
            return cli_error(cmd, &e);
        }
        free(txt);
        o.cfg = &cfg;
    }
    char line[2048];
    size_t off = (size_t)snprintf(line, sizeof line, "momu train");
    for (int i = 0; i < argc && off < sizeof line; i++) off += (size_t)snprintf(line + off, sizeof line - off, " %s", argv[i]);
    o.cmdline = line;
    momu_vae_train_result r;
    if (momu_vae_train_run(&o, &r, &e)) return cli_error(cmd, &e);
    printf("step %zu  %.1f s  %.2f steps/s  train loss %.5f (recon %.5f kl %.4f contrast %.4f)  "
           "val loss %.5f (recon %.5f kl %.4f contrast %.4f)\n",
           r.step, r.wall_s, r.steps_per_s, r.last.total, r.last.recon, r.last.kl, r.last_contrast, r.val_total,
           r.val_recon, r.val_kl, r.val_contrast);
    return 0;
}
