/* momu vae encode|decode — a trained BiCoR-VAE checkpoint on files of any length.
 *   music VAE:  audio file (or a log-mel .npy of `momu audio mel`) -> log-mel -> normalise -> latent mean
 *               latent -> log-mel (clamped to [-5, 6]: the log10 floor and the reader's ceiling) ->
 *               .wav (Griffin-Lim, audio.h) or .npy (the log-mel)
 *   motion VAE: motion file (NPY/BVH/JSON, resampled to 25 fps when needed) -> features -> normalise -> mean
 *               latent -> features -> positions (momu_features_to_motion: root trajectory integrated from the
 *               origin) -> .npy/.bvh/.json
 * The latent file is float32 (Tz, C) at 12.5 frames/s. The EMA weights are used when the checkpoint has them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "momu/audio.h"
#include "momu/npy.h"
#include "momu/vae_train.h"

static int encode(int argc, char **argv) {
    const char *cmd = "vae encode", *ck = NULL, *out = NULL, *pos[1];
    size_t n_pos = 0;
    const cli_opt opts[] = {
        {"vae", CLI_STR, &ck, "VAE checkpoint (music or motion)"},
        {"out", CLI_STR, &out, "latent .npy (Tz, C) float32"},
    };
    int rc = cli_parse(argc, argv, opts, 2, pos, 1, &n_pos, cmd, "--vae CKPT IN --out Z.npy");
    if (rc) return rc == 1 ? 0 : 2;
    if (!ck || !out || n_pos != 1) return cli_errorf(cmd, "--vae CKPT, one input file and --out Z.npy are required"), 2;
    momu_err e = {0};
    momu_vae_ckpt c;
    if (momu_vae_ckpt_load(ck, MOMU_VAE_KIND_COUNT, 1, &c, &e)) return cli_error(cmd, &e);
    const size_t F = c.vae.cfg.in_dim;
    float *x = NULL;
    size_t T = 0;
    int fail = 0;
    if (c.vae.cfg.kind == MOMU_VAE_MUSIC) {
        char ext[16];
        momu_path_ext(pos[0], ext, sizeof ext);
        if (!strcmp(ext, "npy")) {
            fail = momu_logmel_read(pos[0], &x, &T, &e) != MOMU_OK;
        } else {
            float *wav = NULL;
            size_t n = 0;
            fail = momu_audio_load(pos[0], MOMU_SR, &wav, &n, &e) || momu_logmel(wav, n, &x, &T, &e);
            free(wav);
        }
        if (!fail && F != MOMU_N_MELS) fail = momu_fail(&e, MOMU_ERR_FORMAT, "%s: a music VAE of %zu bands", ck, F) != 0;
    } else {
        momu_motion m = {0}, r = {0};
        fail = momu_motion_load(pos[0], &m, &e) != MOMU_OK;
        if (!fail && m.n_joints != c.n_joints)
            fail = momu_fail(&e, MOMU_ERR_FORMAT, "%s: %zu joints, the motion VAE %s was trained on %zu (skeleton "
                             "mismatch; retarget the motion to the training skeleton first)",
                             pos[0], m.n_joints, ck, c.n_joints) != 0;
        if (!fail && fabsf(m.fps - MOMU_DWM_FPS) > 1e-3f) {   /* to 25 fps */
            size_t n_out = (size_t)floor((double)(m.n_frames - 1) / m.fps * MOMU_DWM_FPS) + 1;
            fail = momu_motion_resample(&m, 1.0, 0.0, MOMU_DWM_FPS, n_out, &r, &e) != MOMU_OK;
            if (!fail) { momu_motion_free(&m); m = r; memset(&r, 0, sizeof r); }
        }
        if (!fail) {
            T = m.n_frames;
            x = momu_malloc_array(T * F + 1, sizeof(float), &e);
            fail = !x || momu_features_dim(m.n_joints) != F || momu_motion_to_features(&m, x, &e);
            if (fail && !e.status) momu_fail(&e, MOMU_ERR_FORMAT, "%s: feature dim mismatch", pos[0]);
        }
        momu_motion_free(&m);
    }
    float *z = NULL;
    size_t Tz = 0, C = c.vae.cfg.z_channels;
    if (!fail) {
        for (size_t t = 0; t < T; t++)
            for (size_t k = 0; k < F; k++) x[t * F + k] = (x[t * F + k] - c.norm_mean[k]) / c.norm_std[k];
        Tz = momu_vae_latent_len(&c.vae, T);
        z = momu_malloc_array(Tz * C + 1, sizeof(float), &e);
        fail = !z || momu_vae_encode(&c.vae, c.params, x, 1, T, z, NULL, &e);
    }
    if (!fail) {
        size_t shape[2] = {Tz, C};
        fail = momu_npy_write_f32(out, z, 2, shape, &e) != MOMU_OK;
    }
    if (!fail) momu_log("vae encode: %s (%zu frames) -> %s (%zu x %zu latent, %g frames/s)\n", pos[0], T, out, Tz, C,
                        c.vae.cfg.fps / (double)c.vae.factor);
    free(x);
    free(z);
    momu_vae_ckpt_free(&c);
    return fail ? cli_error(cmd, &e) : 0;
}

static int decode(int argc, char **argv) {
    const char *cmd = "vae decode", *ck = NULL, *out = NULL, *pos[1];
    size_t n_pos = 0, iters = MOMU_GL_ITERS;
    int stretch = 0;
    const cli_opt opts[] = {
        {"vae", CLI_STR, &ck, "VAE checkpoint (music or motion)"},
        {"out", CLI_STR, &out, "music: .wav (Griffin-Lim) or .npy (log-mel); motion: .npy/.bvh/.json"},
        {"gl-iters", CLI_SIZE, &iters, "music: Griffin-Lim iterations"},
        {"bvh-stretch", CLI_FLAG, &stretch, "motion .bvh: per-frame joint offsets (exact positions)"},
    };
    int rc = cli_parse(argc, argv, opts, 4, pos, 1, &n_pos, cmd, "--vae CKPT Z.npy --out OUT.{wav,npy,bvh,json}");
    if (rc) return rc == 1 ? 0 : 2;
    if (!ck || !out || n_pos != 1) return cli_errorf(cmd, "--vae CKPT, one latent .npy and --out are required"), 2;
    momu_err e = {0};
    momu_vae_ckpt c;
    if (momu_vae_ckpt_load(ck, MOMU_VAE_KIND_COUNT, 1, &c, &e)) return cli_error(cmd, &e);
    const size_t F = c.vae.cfg.in_dim, C = c.vae.cfg.z_channels;
    momu_npy z = {0};
    int fail = momu_npy_read(pos[0], &z, 1, &e) != MOMU_OK;
    size_t Tz = 0;
    if (!fail) {
        if (z.ndim == 2 && z.shape[1] == C) Tz = z.shape[0];
        else if (z.ndim == 3 && z.shape[0] == 1 && z.shape[2] == C) Tz = z.shape[1];
        else fail = momu_fail(&e, MOMU_ERR_FORMAT, "%s: latent of shape ndim %d, expected (Tz, %zu)", pos[0], z.ndim, C) != 0;
        if (!fail && !Tz) fail = momu_fail(&e, MOMU_ERR_FORMAT, "%s: empty latent", pos[0]) != 0;
    }
    size_t T = Tz * c.vae.factor;
    float *y = fail ? NULL : momu_malloc_array(T * F + 1, sizeof(float), &e);
    if (!fail) fail = !y || momu_vae_decode(&c.vae, c.params, z.data, 1, Tz, T, y, &e);
    char ext[16];
    momu_path_ext(out, ext, sizeof ext);
    if (!fail) {
        for (size_t t = 0; t < T; t++)
            for (size_t k = 0; k < F; k++) y[t * F + k] = y[t * F + k] * c.norm_std[k] + c.norm_mean[k];
        if (c.vae.cfg.kind == MOMU_VAE_MUSIC) {
            for (size_t i = 0; i < T * F; i++) y[i] = fminf(6.0f, fmaxf(-5.0f, y[i]));
            if (!strcmp(ext, "npy")) {
                size_t shape[2] = {T, F};
                fail = momu_npy_write_f32(out, y, 2, shape, &e) != MOMU_OK;
            } else if (!strcmp(ext, "wav")) {
                float *wav = NULL;
                size_t n = 0;
                fail = momu_mel_invert(y, T, iters, &wav, &n, &e) || momu_audio_write_wav(out, wav, n, MOMU_SR, &e);
                free(wav);
            } else {
                fail = momu_fail(&e, MOMU_ERR_ARG, "%s: a music VAE decodes to .wav or .npy", out) != 0;
            }
        } else {
            momu_skeleton sk = {0};
            momu_motion m = {0};
            int dwm = c.n_joints == MOMU_DWM_JOINTS;
            if (dwm) fail = momu_skeleton_dwm(&sk, &e) != MOMU_OK;
            if (!fail) fail = momu_features_to_motion(y, T, c.n_joints, MOMU_DWM_FPS, dwm ? &sk : NULL, &m, &e) != MOMU_OK;
            if (!fail) fail = (!strcmp(ext, "bvh") ? momu_bvh_save(out, &m, stretch, &e) : momu_motion_save(out, &m, &e)) != MOMU_OK;
            momu_motion_free(&m);
            momu_skeleton_free(&sk);
        }
    }
    if (!fail) momu_log("vae decode: %s (%zu latent frames) -> %s (%zu frames)\n", pos[0], Tz, out, T);
    free(y);
    momu_npy_free(&z);
    momu_vae_ckpt_free(&c);
    return fail ? cli_error(cmd, &e) : 0;
}

int cli_vae(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "encode")) return encode(argc - 2, argv + 2);
    if (argc >= 2 && !strcmp(argv[1], "decode")) return decode(argc - 2, argv + 2);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: momu vae encode --vae CKPT IN --out Z.npy\n"
               "       momu vae decode --vae CKPT Z.npy --out OUT.{wav,npy,bvh,json}\n");
        return 0;
    }
    return cli_errorf("vae", "expected 'encode' or 'decode' (see momu vae --help)"), 2;
}
