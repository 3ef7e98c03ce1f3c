/* momu — the two 1-D convolutional VAEs of BiCoR-VAE (DESIGN.md §1.1, notes §3.2): one generic family,
 * configured for music (log-mel, 100 fps, 80 bands, time ÷8) or motion (features, 25 fps, 146-d, time ÷2),
 * so that both latents run on one clock (12.5 latent frames/s) with one channel count C.
 *
 * Dimension vocabulary: B batch, T input frames, Tp = T padded up to a multiple of f, f = 2^(L-1) the
 * time-downsampling factor of L levels, Tz = Tp / f latent frames, F input features (80 / 146), C latent
 * channels, W level widths (cfg.ch[i]), G GroupNorm groups. All activations are (B,T,channels) row-major.
 *
 * Architecture (LDM's Encoder/Decoder in 1-D, without attention; docs/MODELS.md has the numbers):
 *   encoder: conv_in(k3, F->W0)
 *            level i = 0..L-1: n_res_enc residual blocks (-> Wi) [+ downsample Conv1d(Wi,Wi,k4 s2 p1) if i<L-1]
 *            mid: n_mid residual blocks (W_{L-1});  GroupNorm -> SiLU -> conv_out(k3, -> 2C)
 *            moments (B,Tz,2C): mean = channels [0,C), logvar = channels [C,2C) clamped to [-30, 20]
 *   decoder: conv_in(k3, C->W_{L-1}); mid: n_mid residual blocks
 *            level i = L-1..0: n_res_dec residual blocks (-> Wi) [+ nearest x2 upsample + Conv1d(k3) if i>0]
 *            GroupNorm -> SiLU -> conv_out(k3, W0 -> F)
 *   residual block = nn_blocks.h res_block (GroupNorm -> SiLU -> conv k3, twice; 1x1 skip if widths differ).
 *   posterior: diagonal Gaussian, z = mean + exp(logvar/2) * eps (eps given by the caller, from momu_rng).
 * Tensor names follow PyTorch state_dict style: "encoder.conv_in.weight", "encoder.down.0.res.0.norm1.weight",
 * "encoder.down.0.downsample.conv.weight", "encoder.mid.res.0.conv1.weight", "encoder.norm_out.weight",
 * "encoder.conv_out.weight", "decoder.conv_in.weight", "decoder.mid.res.0...", "decoder.up.3.res.0...",
 * "decoder.up.3.upsample.conv.weight", "decoder.norm_out...", "decoder.conv_out...". tools/vae_fixtures.py
 * builds the identical network in PyTorch.
 *
 * Any length: inputs of any T >= 1 are padded at the end by REPLICATING the last frame up to Tp (a multiple
 * of f); outputs are cropped back to T. The latent has Tz = ceil(T / f) frames. Decode takes Tz latent frames
 * and returns any T <= Tz*f frames (the first T of the Tz*f decoded ones).
 *
 * Threading and determinism: built from nn_layers/nn_blocks calls (each its own OpenMP owner) and serial
 * glue, so results are byte-identical for any OMP_NUM_THREADS. Do not call from inside an omp region.
 */
#ifndef MOMU_VAE_H
#define MOMU_VAE_H
#include <stddef.h>

#include "momu/common.h"
#include "momu/nn_arena.h"
#include "momu/nn_blocks.h"
#include "momu/nn_layers.h"
#include "momu/nn_params.h"
#include "momu/rng.h"
#ifdef __cplusplus
extern "C" {
#endif

#define MOMU_VAE_MAX_LEVELS 6        /* time factor at most 32 */
#define MOMU_VAE_MAX_RES 8           /* residual blocks per level / mid, each of encoder and decoder */
#define MOMU_VAE_LOGVAR_MIN (-30.0f) /* LDM DiagonalGaussianDistribution clamp */
#define MOMU_VAE_LOGVAR_MAX 20.0f
#define MOMU_VAE_CONFIG_VERSION 1
#define MOMU_VAE_META_KEY "momu.vae_config"   /* safetensors metadata key holding momu_vae_config_to_json */

typedef enum { MOMU_VAE_MUSIC, MOMU_VAE_MOTION, MOMU_VAE_KIND_COUNT } momu_vae_kind;
const char   *momu_vae_kind_name(momu_vae_kind k);          /* "music_vae", "motion_vae" */
momu_vae_kind momu_vae_kind_from_name(const char *s);       /* MOMU_VAE_KIND_COUNT if unknown */

typedef enum { MOMU_VAE_RECON_L1, MOMU_VAE_RECON_MSE, MOMU_VAE_RECON_COUNT } momu_vae_recon;
const char    *momu_vae_recon_name(momu_vae_recon r);       /* "l1", "mse" */
momu_vae_recon momu_vae_recon_from_name(const char *s);     /* MOMU_VAE_RECON_COUNT if unknown */

typedef struct {
    momu_vae_kind  kind;
    size_t         in_dim;                    /* F: 80 mel bands / 146 motion features */
    double         fps;                       /* input frames per second (100 / 25); latent fps = fps / f */
    size_t         z_channels;                /* C (16) */
    size_t         n_levels;                  /* L, 1..MOMU_VAE_MAX_LEVELS; f = 2^(L-1) */
    size_t         ch[MOMU_VAE_MAX_LEVELS];   /* W0..W_{L-1}, each divisible by groups */
    size_t         n_res_enc;                 /* residual blocks per encoder level, 0..MOMU_VAE_MAX_RES */
    size_t         n_res_dec;                 /* residual blocks per decoder level, 0..MOMU_VAE_MAX_RES */
    size_t         n_mid;                     /* residual blocks in each mid, 0..MOMU_VAE_MAX_RES */
    size_t         groups;                    /* G for every GroupNorm (32 as LDM; must divide every width) */
    size_t         down_kernel;               /* 4 (Conv1d k4 s2 p1) or 3 (k3 s2 p1); both halve an even T */
    int            mid_attn;                  /* reserved: self-attention in the mid; must be 0 (not built) */
    momu_vae_recon recon_loss;                /* L1 (music) or MSE (motion) */
    double         kl_weight;                 /* lambda_KL of momu_vae_loss */
} momu_vae_config;

/* Defaults: music {F 80, fps 100, C 16, W 64/128/128/256, n_res_enc 1, n_res_dec 1, n_mid 1, G 32, L1,
 * kl 1e-4}; motion {F 146, fps 25, C 16, W 96/192, n_res_enc 1, n_res_dec 1, n_mid 1, G 32, MSE, kl 1e-4}.
 * (docs/MODELS.md records the measured step times that chose them.) */
void        momu_vae_config_default(momu_vae_config *c, momu_vae_kind kind);
momu_status momu_vae_config_validate(const momu_vae_config *c, momu_err *e);
size_t      momu_vae_config_factor(const momu_vae_config *c);          /* f = 2^(n_levels-1) */
/* One-line JSON object with every field, "kind" first and "version"; *json is malloc'd (caller frees). */
momu_status momu_vae_config_to_json(const momu_vae_config *c, char **json, momu_err *e);
/* Parses and validates. expect: the kind the caller needs (MOMU_VAE_KIND_COUNT accepts either); a JSON of
 * another kind, a missing/unknown "kind" (e.g. a diffusion checkpoint), an unknown key, a missing field or
 * another version is refused with MOMU_ERR_FORMAT naming `what` (e.g. the checkpoint path). */
momu_status momu_vae_config_from_json(momu_vae_config *c, const char *json, momu_vae_kind expect,
                                      const char *what, momu_err *e);

/* ---- the model: its config, tensor table and the op list driving forward / backward / inference ---- */
typedef enum { MOMU_VAE_OP_CONV, MOMU_VAE_OP_RES, MOMU_VAE_OP_UPSAMPLE, MOMU_VAE_OP_NORM_SILU } momu_vae_op_kind;
typedef struct {
    momu_vae_op_kind kind;
    size_t           Ci, Co;
    unsigned         k_in, k_out;      /* input / output length = Tp >> k */
    nn_conv1d_geom   geom;             /* CONV */
    int              w_id, b_id;       /* CONV weight/bias, NORM_SILU GroupNorm weight/bias; -1 otherwise */
    res_block        rb;               /* RES */
} momu_vae_op;

#define MOMU_VAE_MAX_OPS (4 + MOMU_VAE_MAX_LEVELS * (MOMU_VAE_MAX_RES + 2) + MOMU_VAE_MAX_RES)
typedef struct {
    momu_vae_config cfg;
    size_t          factor;            /* f */
    tensor_table    tab;               /* owned */
    size_t          n_enc, n_dec;
    momu_vae_op     enc[MOMU_VAE_MAX_OPS], dec[MOMU_VAE_MAX_OPS];
} momu_vae;

/* Validates cfg and registers every tensor in m->tab. */
momu_status momu_vae_init(momu_vae *m, const momu_vae_config *cfg, momu_err *e);
void        momu_vae_free(momu_vae *m);
size_t      momu_vae_n_params(const momu_vae *m);                     /* floats in tensors */
/* PyTorch's default initialisation, drawn in table order from rng: Conv1d weight and bias
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming_uniform a=sqrt 5), GroupNorm weight 1, bias 0. */
void        momu_vae_init_params(const momu_vae *m, float *params, momu_rng *rng);
size_t      momu_vae_latent_len(const momu_vae *m, size_t T);          /* Tz = ceil(T / f) */

/* ---- inference (no saved activations): memory linear in T, a few buffers of the largest layer ---- */
/* x:(B,T,F) -> mean:(B,Tz,C), logvar:(B,Tz,C) clamped (logvar may be NULL). */
momu_status momu_vae_encode(const momu_vae *m, const float *params, const float *x, size_t B, size_t T,
                            float *mean, float *logvar, momu_err *e);
/* z:(B,Tz,C) -> y:(B,T,F) with 1 <= T <= Tz*f (T = 0 means Tz*f). */
momu_status momu_vae_decode(const momu_vae *m, const float *params, const float *z, size_t B, size_t Tz,
                            size_t T, float *y, momu_err *e);
/* Bytes momu_vae_encode / decode allocate for (B, T) (T = input frames, or Tz*f for decode): two ping-pong
 * buffers of the largest activation and one residual block's working set; the conv layers add their own
 * im2col chunk (at most 16 MB, nn_layers.h). */
size_t      momu_vae_infer_bytes(const momu_vae *m, size_t B, size_t T, int decode);

/* ---- training: forward with saved activations, loss, backward ----
 * A context planned once for at most (B_max, T_max); each forward may use any B <= B_max, T <= T_max
 * (after padding). The pointers below are valid after momu_vae_forward, for its (B, T, Tz). */
typedef struct {
    const momu_vae *m;
    size_t          B_max, T_max;       /* planned (T_max padded to a multiple of f) */
    size_t          B, T, Tp, Tz;       /* of the last forward */
    nn_arena        arena;              /* saved activations of the last forward */
    nn_arena        scratch;            /* backward buffers */
    float          *recon;              /* (B,T,F)  the decoder output, cropped to T */
    float          *mean, *logvar;      /* (B,Tz,C) logvar clamped */
    float          *z;                  /* (B,Tz,C) mean + exp(logvar/2) eps  (= mean without eps) */
    float          *drecon;             /* (B,T,F)  d loss / d recon   (set by momu_vae_loss; caller may add) */
    float          *dmean, *dlogvar;    /* (B,Tz,C) d loss / d mean, d logvar (ditto) */
    /* internal */
    float          *xpad, *eps, *moments, *rpad;
    float          *enc_out[MOMU_VAE_MAX_OPS], *enc_save[MOMU_VAE_MAX_OPS];
    float          *dec_out[MOMU_VAE_MAX_OPS], *dec_save[MOMU_VAE_MAX_OPS];
    int             sampled;
} momu_vae_train;

momu_status momu_vae_train_init(momu_vae_train *tr, const momu_vae *m, size_t B_max, size_t T_max, momu_err *e);
void        momu_vae_train_free(momu_vae_train *tr);
size_t      momu_vae_train_bytes(const momu_vae_train *tr);          /* arena + scratch bytes */
/* x:(B,T,F); eps:(B,Tz,C) standard normals (e.g. momu_rng_fill_normal(rng, eps, B*Tz*C, 1)) or NULL for
 * z = mean (no sampling). Fills recon, mean, logvar, z. */
momu_status momu_vae_forward(momu_vae_train *tr, const float *params, const float *x, size_t B, size_t T,
                             const float *eps, momu_err *e);

typedef struct { double total, recon, kl; } momu_vae_loss_parts;
/* After momu_vae_forward on x:(B,T,F):
 *   recon = mean over B*T*F of |recon - x| (L1) or (recon - x)^2 (MSE)          (cfg.recon_loss)
 *   kl    = 0.5 * sum(mean^2 + exp(logvar) - 1 - logvar) / (B*Tz*C)              (a per-element mean)
 *   total = recon + cfg.kl_weight * kl
 * OVERWRITES tr->drecon, tr->dmean, tr->dlogvar with the gradients of total. Returns total. */
float       momu_vae_loss(momu_vae_train *tr, const float *x, momu_vae_loss_parts *parts);
/* Temporal-difference loss of the last forward's reconstruction: weight * mean over (b, t = 1..T-1, f) of
 * ((recon[t] - recon[t-1]) - (x[t] - x[t-1]))^2; ADDS its gradient to tr->drecon (call after momu_vae_loss).
 * On motion features it is a velocity / acceleration loss: an MSE on values barely penalises the fast
 * changes of joint speed that beats are made of (docs/MODELS.md "Sync through the VAEs"). Returns the
 * unweighted mean (0 when T < 2). */
double      momu_vae_delta_loss(momu_vae_train *tr, const float *x, double weight);
/* Back-propagates tr->drecon, tr->dmean (+ dmean_extra:(B,Tz,C) if non-NULL, e.g. the contrastive loss)
 * and tr->dlogvar through the last forward. ACCUMULATES parameter gradients into grads (the flat buffer of
 * m->tab; zero it before). The clamp of logvar passes gradient only inside [-30, 20]. */
momu_status momu_vae_backward(momu_vae_train *tr, const float *params, float *grads, const float *dmean_extra,
                              momu_err *e);

#ifdef __cplusplus
}
#endif
#endif
