/* momu generate — dance from music, music from dance, or both together (DESIGN.md §1.2–1.4, docs/SAMPLING.md).
 *   momu generate dance --music IN --out OUT.{bvh,npy,json}
 *   momu generate music --motion IN --out OUT.wav
 *   momu generate both  --seconds S --out-music A.wav --out-motion B.{bvh,npy,json}
 * A thin front end of include/momu/generate.h: files in, options parsed, momu_generate_* called, files out.
 * Models: --model DIR, else the default folder (momu_models_default_dir: $MOMU_MODELS, <exe dir>/models,
 * ./models); each file can be overridden. Same seed and options give identical bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "momu/audio.h"
#include "momu/generate.h"
#include "momu/motion.h"

static int on_step(void *user, const char *stage, int step, int n_steps, int t) {
    momu_progress(user, (size_t)step, (size_t)n_steps, "%s t=%d", stage, t);
    return 0;
}

int cli_generate(int argc, char **argv) {
    const char *cmd = "generate";
    const char *mode = argc >= 2 ? argv[1] : NULL;
    const char *music_in = NULL, *motion_in = NULL, *out = NULL, *out_music = NULL, *out_motion = NULL;
    const char *sampler = "dpmpp", *spacing = "logsnr", *prefix = NULL, *model_dir = NULL;
    const char *music_vae = NULL, *motion_vae = NULL, *music_den = NULL, *motion_den = NULL, *blend = "ramp";
    momu_gen_opts dflt;
    momu_gen_opts_default(&dflt);
    char g_default[64];
    snprintf(g_default, sizeof g_default, "%g,%g", (double)dflt.guidance_lo, (double)dflt.guidance_hi);
    const char *g_interval = g_default;
    float seconds = 0.0f, guidance = dflt.guidance, tc = dflt.tc, eta = 0.0f;
    int seed = 0, steps = 25, resample = 4;
    size_t window = 0, overlap = 0, gl_iters = MOMU_GL_ITERS;
    const cli_opt opts[] = {
        {"music", CLI_STR, &music_in, "dance: the music to dance to (any audio file)"},
        {"motion", CLI_STR, &motion_in, "music: the dance to score (BVH/NPY/JSON)"},
        {"out", CLI_STR, &out, "dance: OUT.{bvh,npy,json}; music: OUT.wav"},
        {"out-music", CLI_STR, &out_music, "both: the music WAV"},
        {"out-motion", CLI_STR, &out_motion, "both: the motion file"},
        {"seconds", CLI_FLOAT, &seconds, "length (both: required; dance/music: crop the input, 0 = all)"},
        {"seed", CLI_INT, &seed, "random seed (x_T and step noise)"},
        {"steps", CLI_INT, &steps, "sampling steps"},
        {"sampler", CLI_STR, &sampler, "ddpm | ddim | dpmpp"},
        {"spacing", CLI_STR, &spacing, "timestep spacing: logsnr | trailing | linspace | leading"},
        {"eta", CLI_FLOAT, &eta, "DDIM eta (0 deterministic)"},
        {"guidance", CLI_FLOAT, &guidance, "classifier-free / cross guidance scale"},
        {"guidance-interval", CLI_STR, &g_interval, "dance/music: LO,HI — CFG only for t in [LO*T, HI*T), the "
                                                   "conditional model alone elsewhere"},
        {"tc", CLI_FLOAT, &tc, "both: cross-guidance starts below t = tc*T"},
        {"prefix", CLI_STR, &prefix, "continue this target-modality file (dance: motion, music: audio)"},
        {"resample", CLI_INT, &resample, "with --prefix: RePaint passes per step"},
        {"window", CLI_SIZE, &window, "latent frames per window (12.5 per second); 0: the denoiser's training "
                                      "window (momu.window_latent_frames), else 125"},
        {"overlap", CLI_SIZE, &overlap, "overlap of consecutive windows, latent frames; 0: window / 5"},
        {"blend", CLI_STR, &blend, "window blend: ramp | flat"},
        {"gl-iters", CLI_SIZE, &gl_iters, "Griffin-Lim iterations for music"},
        {"model", CLI_STR, &model_dir, "folder with the four model files (default: $MOMU_MODELS, <momu's folder>/models, ./models)"},
        {"music-vae", CLI_STR, &music_vae, "override DIR/music_vae.safetensors"},
        {"motion-vae", CLI_STR, &motion_vae, "override DIR/motion_vae.safetensors"},
        {"music-denoiser", CLI_STR, &music_den, "override DIR/denoiser_music.safetensors"},
        {"motion-denoiser", CLI_STR, &motion_den, "override DIR/denoiser_motion.safetensors"},
    };
    const size_t n_opts = sizeof opts / sizeof opts[0];
    const char *usage = "dance --music IN --out OUT | music --motion IN --out OUT.wav | both --seconds S "
                        "--out-music A.wav --out-motion B.bvh   [options]";
    if (!mode || !strcmp(mode, "--help") || !strcmp(mode, "-h")) {
        cli_print_help(opts, n_opts, cmd, usage);
        return mode ? 0 : 2;
    }
    int md = !strcmp(mode, "dance") ? 1 : !strcmp(mode, "music") ? 0 : !strcmp(mode, "both") ? 2 : -1;
    if (md < 0) { cli_errorf(cmd, "'%s' is not one of dance, music, both", mode); return 2; }
    const char *pos[1];
    size_t n_pos = 0;
    int rc = cli_parse(argc - 2, argv + 2, opts, n_opts, pos, 0, &n_pos, cmd, usage);
    if (rc == 1) return 0;
    if (rc) return 2;

    momu_err e = {0};
    momu_gen_opts go;
    momu_gen_opts_default(&go);
    go.steps = steps;
    go.eta = eta;
    go.guidance = guidance;
    if (cli_parse_interval(g_interval, &go.guidance_lo, &go.guidance_hi)) {
        cli_errorf(cmd, "--guidance-interval '%s': need LO,HI with 0 <= LO < HI <= 1", g_interval);
        return 2;
    }
    go.tc = tc;
    go.seed = seed;
    go.seconds = md == 2 ? 0.0 : (double)seconds;
    go.window = window;
    go.overlap = overlap;
    go.resample = resample;
    go.gl_iters = gl_iters;
    go.blend = !strcmp(blend, "flat") ? MOMU_BLEND_FLAT : MOMU_BLEND_RAMP;
    if (strcmp(blend, "flat") && strcmp(blend, "ramp")) {
        cli_errorf(cmd, "--blend: '%s' is not ramp or flat", blend);
        return 2;
    }
    if (momu_sampler_parse(sampler, &go.sampler, &e) || momu_spacing_parse(spacing, &go.spacing, &e)) {
        cli_error(cmd, &e);
        return 2;
    }
    if (steps < 1 || steps > MOMU_DIFF_T) {
        cli_errorf(cmd, "--steps %d outside [1, %d]", steps, MOMU_DIFF_T);
        return 2;
    }
    if (!(tc >= 0 && tc <= 1)) { cli_errorf(cmd, "--tc %g outside [0, 1]", (double)tc); return 2; }
    if (md == 1 && (!music_in || !out)) { cli_errorf(cmd, "dance needs --music IN and --out OUT"); return 2; }
    if (md == 0 && (!motion_in || !out)) { cli_errorf(cmd, "music needs --motion IN and --out OUT.wav"); return 2; }
    if (md == 2 && (!(seconds > 0) || !out_music || !out_motion)) {
        cli_errorf(cmd, "both needs --seconds S > 0, --out-music A.wav and --out-motion B.bvh");
        return 2;
    }
    if (md == 2 && prefix) { cli_errorf(cmd, "--prefix is for dance or music"); return 2; }
    if (window && (window < 2 || (overlap && overlap >= window))) {
        cli_errorf(cmd, "--window %zu / --overlap %zu: need 0 <= overlap < window", window, overlap);
        return 2;
    }

    /* the model folder: --model, else discovered, unless every file in use is given on its own */
    char dir[4200];
    int need_dir = !music_vae || !motion_vae || (md != 1 && !music_den) || (md != 0 && !motion_den);
    if (need_dir && !model_dir) {
        if (momu_models_default_dir(NULL, dir, sizeof dir, &e))
            return cli_errorf(cmd, "%s\n(train the models as docs/MODELS.md says, then put them in one of these "
                                   "folders or point --model at them)", e.msg);
        model_dir = dir;
    }
    momu_generator_files gf = {model_dir, music_vae, motion_vae, music_den, motion_den, md == 1, md == 0};
    momu_generator G;
    momu_status st = momu_generator_load(&G, &gf, &e);
    if (st) {
        if (st == MOMU_ERR_IO)
            return cli_errorf(cmd, "%s (generate needs trained models: train them with `momu train vae` and "
                                   "`momu train diffusion`, or point --model at a folder holding them)", e.msg);
        return cli_error(cmd, &e);
    }

    momu_progress_t pg;
    momu_progress_init(&pg, "generate");
    momu_gen_stats stats;
    go.progress = on_step;
    go.progress_user = &pg;
    go.stats = &stats;
    float *pcm = NULL, *pre_pcm = NULL;
    size_t n_pcm = 0, n_pre = 0;
    momu_motion mo = {0}, cond_m = {0}, pre_m = {0};
    if (md == 1) {
        float *x = NULL;
        size_t n = 0;
        st = momu_audio_load(music_in, MOMU_SR, &x, &n, &e);
        if (!st && prefix) st = momu_motion_load(prefix, &pre_m, &e);
        if (!st) st = momu_generate_dance(&G, x, n, MOMU_SR, &go, prefix ? &pre_m : NULL, &mo, &e);
        momu_progress_end(&pg);
        if (!st) st = momu_motion_save(out, &mo, &e);
        free(x);
    } else if (md == 0) {
        st = momu_motion_load(motion_in, &cond_m, &e);
        if (!st && prefix) st = momu_audio_load(prefix, MOMU_SR, &pre_pcm, &n_pre, &e);
        if (!st) st = momu_generate_music(&G, &cond_m, &go, pre_pcm, n_pre, &pcm, &n_pcm, &e);
        momu_progress_end(&pg);
        if (!st) st = momu_audio_write_wav(out, pcm, n_pcm, MOMU_SR, &e);
    } else {
        st = momu_generate_both(&G, seconds, &go, &pcm, &n_pcm, &mo, &e);
        momu_progress_end(&pg);
        if (!st) st = momu_audio_write_wav(out_music, pcm, n_pcm, MOMU_SR, &e);
        if (!st) st = momu_motion_save(out_motion, &mo, &e);
    }
    if (!st) {
        if (stats.prefix_frames)
            momu_log("prefix %s: %zu of %zu latent frames kept\n", prefix, stats.prefix_frames, stats.Tz);
        if (md != 2)
            momu_log("generate %s: %.2f s (%zu latent frames, %zu windows) %s %d steps, guidance %g on [%g, %g) T, "
                     "seed %d -> %s (sampling %.1f s, decode %.1f s)\n", mode, (double)stats.Tz / MOMU_GEN_LATENT_FPS,
                     stats.Tz, stats.n_windows, momu_sampler_name(go.sampler), steps, (double)guidance,
                     (double)go.guidance_lo, (double)go.guidance_hi, seed, out, stats.t_sample_s, stats.t_decode_s);
        else
            momu_log("generate both: %.2f s (%zu latent frames, %zu windows) %s %d steps, guidance %g, tc %g, "
                     "seed %d -> %s, %s (sampling %.1f s, decode %.1f s)\n", (double)stats.Tz / MOMU_GEN_LATENT_FPS,
                     stats.Tz, stats.n_windows, momu_sampler_name(go.sampler), steps, (double)guidance, (double)tc,
                     seed, out_music, out_motion, stats.t_sample_s, stats.t_decode_s);
    }
    free(pcm);
    free(pre_pcm);
    momu_motion_free(&mo);
    momu_motion_free(&cond_m);
    momu_motion_free(&pre_m);
    momu_generator_free(&G);
    return st ? cli_error(cmd, &e) : 0;
}
