/* momu train diffusion — train the music-given-motion or motion-given-music latent denoiser
 * (include/momu/denoiser.h, denoiser_train_run; docs/MODELS.md "Denoisers"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "momu/denoiser.h"

int cli_train_diffusion(int argc, char **argv) {
    const char *cmd = "train diffusion";
    denoiser_train_opts o;
    denoiser_train_opts_default(&o);
    const char *task = NULL;
    int no_rhythm = 0;
    size_t seed = (size_t)o.seed, warmup = o.train.opt.warmup_steps;
    float lr = (float)o.train.opt.lr, every = (float)o.ckpt_every_min, limit = 0.0f, ema = (float)o.train.opt.ema_decay,
          clip = (float)o.train.opt.clip_norm;
    const cli_opt opts[] = {
        {"task", CLI_STR, &task, "music (music given motion) or motion (motion given music)"},
        {"music-vae", CLI_STR, &o.music_vae_path, "trained music VAE checkpoint (frozen; its EMA weights encode)"},
        {"motion-vae", CLI_STR, &o.motion_vae_path, "trained motion VAE checkpoint (frozen)"},
        {"data", CLI_STR, &o.data_dir, "prepared folder (momu data prepare)"},
        {"out", CLI_STR, &o.out_path, "checkpoint (safetensors; the training state goes to OUT.state)"},
        {"resume", CLI_FLAG, &o.resume, "continue from --out and --out.state (bit for bit)"},
        {"steps", CLI_SIZE, &o.steps, "total optimizer steps"},
        {"stop-after", CLI_SIZE, &o.stop_after, "stop after this many steps in this run (0: run to --steps)"},
        {"batch", CLI_SIZE, &o.train.batch, "windows per batch"},
        {"lr", CLI_FLOAT, &lr, "learning rate (AdamW, linear warm-up then constant)"},
        {"warmup", CLI_SIZE, &warmup, "warm-up steps"},
        {"clip", CLI_FLOAT, &clip, "gradient-norm clip (0: off)"},
        {"ema", CLI_FLOAT, &ema, "EMA decay of the weights"},
        {"cfg-drop", CLI_FLOAT, &o.train.cfg_drop, "probability of replacing the condition by the learned null"},
        {"seed", CLI_SIZE, &seed, "seed (weights, batches, timesteps, noise, condition drop)"},
        {"width", CLI_SIZE, &o.model.width, "model width D"},
        {"heads", CLI_SIZE, &o.model.heads, "attention heads (D/heads even)"},
        {"blocks", CLI_SIZE, &o.model.n_blocks, "DiT blocks"},
        {"no-rhythm", CLI_FLAG, &no_rhythm, "condition on the other modality's latent alone, without its rhythm "
                                            "channels (the first models' recipe; include/momu/rhythm.h)"},
        {"val-max", CLI_SIZE, &o.val_max, "at most this many validation windows (0: all)"},
        {"ckpt-every-min", CLI_FLOAT, &every, "checkpoint (with validation loss) every this many minutes"},
        {"time-limit-min", CLI_FLOAT, &limit, "stop with a checkpoint after this many minutes (0: none)"},
    };
    int rc = cli_parse(argc - 1, argv + 1, opts, sizeof opts / sizeof *opts, NULL, 0, NULL, cmd,
                       "--task music|motion --music-vae A --motion-vae M --data PREPARED_DIR --out CKPT.safetensors "
                       "[options]");
    if (rc) return rc == 1 ? 0 : 2;
    o.task = denoiser_task_from_name(task);
    if (!task || o.task == DENOISER_TASK_COUNT) return cli_errorf(cmd, "--task music|motion is required"), 2;
    if (!o.music_vae_path || !o.motion_vae_path || !o.data_dir || !o.out_path)
        return cli_errorf(cmd, "--music-vae, --motion-vae, --data and --out are required"), 2;
    o.seed = seed;
    o.rhythm = !no_rhythm;
    o.train.opt.lr = lr;
    o.train.opt.warmup_steps = warmup;
    o.train.opt.clip_norm = clip;
    o.train.opt.ema_decay = ema;
    o.ckpt_every_min = every;
    o.time_limit_min = limit;
    char line[2048];
    size_t off = (size_t)snprintf(line, sizeof line, "momu train");
    for (int i = 0; i < argc && off < sizeof line; i++) off += (size_t)snprintf(line + off, sizeof line - off, " %s", argv[i]);
    o.cmdline = line;
    momu_err e = {0};
    denoiser_train_result r;
    if (denoiser_train_run(&o, &r, &e)) return cli_error(cmd, &e);
    printf("step %zu  %.1f s (encode %.1f s)  %.2f steps/s  train loss %.5f  val loss %.5f (EMA %.5f)  "
           "scale %.4g cond scale %.4g  %zu train / %zu val windows of %zu latent frames\n",
           r.step, r.wall_s, r.encode_s, r.steps_per_s, (double)r.last_loss, (double)r.val_loss,
           (double)r.val_loss_ema, (double)r.scale_factor, (double)r.cond_scale_factor, r.n_train, r.n_val, r.T);
    return 0;
}
