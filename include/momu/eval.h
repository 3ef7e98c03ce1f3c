/* momu — evaluation metrics (DESIGN.md §5, reference/momu-diffusion-notes.md §6).
 *
 * Pure metric functions on time lists, feature vectors and joint positions (they need no audio or motion
 * decoder), then the file-level pair evaluation behind `momu eval` (src/eval/pairs.c, which uses the audio,
 * motion, beats and sync modules). docs/EVAL.md says what each reported number compares.
 *
 * Conventions: times in seconds (double), sorted or not (functions sort private copies); positions are
 * (n_frames, n_joints, 3) float row-major, y up, centimetres. NaN/Inf inputs are rejected with
 * MOMU_ERR_RANGE where a function returns a status; the plain-double functions return NaN for them. */
#ifndef MOMU_EVAL_H
#define MOMU_EVAL_H
#include <stddef.h>

#include "momu/common.h"
#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------------------
 * Beat F-measure (the MIR standard; mir_eval.beat.f_measure).
 *
 * An estimated time hits a reference time when |est - ref| <= tol_s (+1e-9 s for float rounding); each
 * reference and each estimate is used at most once. mir_eval finds a maximum bipartite matching
 * (mir_eval.util.match_events, Hopcroft-Karp). Here every window has the same width, so the graph is a
 * unit-interval graph, and the two-pointer greedy on the sorted lists (match each reference, in order, to the
 * earliest unused estimate inside its window; skip estimates left of the window) yields a maximum matching
 * (exchange argument: any optimal matching can be rearranged into the greedy one without losing a pair).
 * precision = matches / n_est, recall = matches / n_ref, F = 2PR/(P+R); every one is 0 when either list is
 * empty or nothing matches (as mir_eval). Unlike mir_eval.beat.evaluate, nothing is trimmed (no 5-s skip).
 * Returns F, or NaN when an input time is not finite or tol_s < 0. precision / recall may be NULL. */
#define MOMU_BEAT_FMEASURE_TOL_S 0.07
double momu_beat_fmeasure(const double *ref, size_t n_ref, const double *est, size_t n_est, double tol_s,
                          double *precision, double *recall);

/* ------------------------------------------------------------------------------------------------------
 * LORIS beat scores (notes §6.1, [C-LORIS beats_scores.py]).
 *
 * Each onset list is marked into 1-second bins, ceil(duration) bins (time t marks bin floor(t); times
 * outside [0, n_bins) are ignored). The reference is truncated to the generated length (gt[:len(syn)]);
 * when the generated clip is the longer one, its extra bins count in `cover` only.
 *   cover = #marked generated bins, total = #marked reference bins (after truncation),
 *   hit = #bins marked in both;  BCS = hit/cover (0 if cover 0), BHS = hit/total (0 if total 0). */
typedef struct {
    size_t n_bins_ref, n_bins_gen;   /* ceil(duration) of each (reference before truncation) */
    size_t total, cover, hit;
    double bcs, bhs;                 /* in [0,1] */
} momu_loris_clip;

momu_status momu_loris_clip_score(const double *ref_times, size_t n_ref, double ref_duration_s,
                                  const double *gen_times, size_t n_gen, double gen_duration_s,
                                  momu_loris_clip *out, momu_err *e);

/* Aggregate over clips: BCS, BHS = means of the per-clip values; CSD, HSD = sample standard deviations
 * (ddof = 1, NaN for fewer than 2 clips, as numpy); F1 = 2·BCS·BHS/(BCS+BHS) from the means (0 if both 0).
 * All in [0,1]; tables report ×100. */
typedef struct {
    size_t n_clips;
    double bcs, csd, bhs, hsd, f1;
} momu_loris_summary;

momu_status momu_loris_aggregate(const momu_loris_clip *clips, size_t n_clips, momu_loris_summary *out,
                                 momu_err *e);

/* ------------------------------------------------------------------------------------------------------
 * BAS, beat align score (Bailando utils/metrics_new.py `BA`, after FACT/AIST++):
 *   BAS = (1/|B_music|) Σ_{b in B_music} exp(-min_k (b - k)² / (2σ²)),  k over the kinematic beats.
 * Bailando averages over MUSIC beats (DESIGN.md §5 follows it); the FACT paper's text averages over the
 * kinematic beats instead — call with the arguments swapped for that convention. σ = 3 frames at 30 fps in
 * Bailando's code; scaled to time that is MOMU_BAS_SIGMA_S = 0.1 s whatever the fps.
 * Returns NaN for non-finite input or sigma_s <= 0; 0 when there are no kinematic beats; NaN when there
 * are no music beats (undefined). */
#define MOMU_BAS_SIGMA_S 0.1
double momu_bas(const double *music_beats, size_t n_music, const double *kin_beats, size_t n_kin,
                double sigma_s);

/* ------------------------------------------------------------------------------------------------------
 * Fréchet distance, normalisation, diversity (src/eval/fid.c). Feature sets are (n, d) row-major doubles.
 *
 * Fréchet distance of N(μ1,Σ1), N(μ2,Σ2): ‖μ1−μ2‖² + Tr(Σ1 + Σ2 − 2(Σ1Σ2)^{1/2}) (Heusel et al. 2017,
 * Dowson & Landau 1982), computed in double with Tr((Σ1Σ2)^{1/2}) = Σ_i sqrt(max(0, λ_i(√Σ1 Σ2 √Σ1))),
 * √Σ1 from a cyclic Jacobi eigen-decomposition: stable for singular (rank-deficient) covariances, where
 * scipy.linalg.sqrtm needs an eps offset. The result is clamped at 0. */

/* Symmetric eigen-decomposition by cyclic Jacobi rotations. a (d,d) is overwritten (its diagonal ends as
 * the eigenvalues); evals (d) unsorted; evecs (d,d) row-major with eigenvector i in COLUMN i, or NULL. */
momu_status momu_eval_sym_eig(double *a, size_t d, double *evals, double *evecs, momu_err *e);
/* Mean (d) and unbiased covariance (d,d) (np.cov, ddof 1) of x (n,d); n >= 2. */
momu_status momu_eval_gaussian(const double *x, size_t n, size_t d, double *mu, double *cov, momu_err *e);
momu_status momu_frechet_distance(const double *mu1, const double *cov1, const double *mu2, const double *cov2,
                                  size_t d, double *fid, momu_err *e);
/* Fréchet distance of the Gaussians fitted to two sets (each n >= 2), no normalisation. */
momu_status momu_frechet_features(const double *x1, size_t n1, const double *x2, size_t n2, size_t d,
                                  double *fid, momu_err *e);

/* Reference-set statistics for normalisation (Bailando metrics_new.py normalize(): mean and np.std with
 * ddof 0 over the reference set, x' = (x − mean)/(std + 1e-10)). Deviation: a feature whose reference std
 * is <= MOMU_EVAL_STD_MIN (constant over the reference set) gets std 1 (centred only), instead of a 1e10
 * blow-up of any difference. */
#define MOMU_EVAL_STD_MIN 1e-8
momu_status momu_eval_norm_stats(const double *ref, size_t n, size_t d, double *mean, double *std, momu_err *e);
void        momu_eval_normalise(double *x, size_t n, size_t d, const double *mean, const double *std);
/* Mean pairwise Euclidean distance Σ_{i<j}‖x_i − x_j‖ / (n(n−1)/2) (Bailando calculate_avg_distance);
 * NaN for n < 2 or non-finite input. */
double      momu_diversity(const double *x, size_t n, size_t d);

/* FID and diversities as Bailando reports them: both sets normalised with the reference statistics, then
 * fid = Fréchet distance, div_ref / div_gen = diversity of each normalised set. */
typedef struct {
    size_t n_ref, n_gen, dim;
    double fid, div_ref, div_gen;
} momu_fid_result;
momu_status momu_fid_div(const double *ref, size_t n_ref, const double *gen, size_t n_gen, size_t d,
                         momu_fid_result *out, momu_err *e);

/* ------------------------------------------------------------------------------------------------------
 * Motion features for FID_k / FID_g (src/eval/motion_metrics.c). Positions (T, J, 3) cm, y up, at fps.
 *
 * Kinetic features (AIST++ extract_kinetic_features, used by Bailando): per joint j, in this order,
 *   [3j+0] mean horizontal kinetic energy |v̄_xz|², [3j+1] mean vertical kinetic energy |v̄_y|²,
 *   [3j+2] mean energy expenditure |ā|,
 * v̄, ā averaged over a ±2-frame sliding window, positions in METRES and Δt = 1/fps (so the units match
 * AIST++: m²/s², m/s²). The finite-difference acceleration is the correct one (fairmotion's has a
 * misplaced parenthesis), so values are not bit-comparable with published AIST++ numbers. feat: 3·J
 * doubles. T >= 3. */
#define MOMU_KINETIC_PER_JOINT 3
momu_status momu_kinetic_features(const float *pos, size_t T, size_t J, double fps, double *feat, momu_err *e);

/* Joint roles used by the geometric features and foot skating; -1 = absent. head[0], head[1] may be the
 * same joint (one head joint). Sides: [0] left, [1] right. heel, toe and root are optional. */
typedef struct {
    int head[2], root;
    int shoulder[2], elbow[2], wrist[2], hip[2], knee[2], ankle[2], heel[2], toe[2];
} momu_eval_joints;
/* Dance-with-Melody 23 points (dataset skeleton.tsv): head 0/1, root 2 (spine), shoulders 3/12, elbows
 * 4/13, wrists 6/15, hips 7/16, knees 8/17, ankles 9/18, heels 10/19, toes 11/20. */
void momu_eval_joints_dwm(momu_eval_joints *r);
/* By joint name, case-insensitive, ignoring a "prefix:" (Mixamo): DwM names first, then common BVH
 * (LeftArm/LeftForeArm/LeftHand/LeftUpLeg/LeftLeg/LeftFoot/LeftToeBase, Hips, Head) and SMPL-style names
 * (left_shoulder ...). Fails naming the first required role it cannot find. */
momu_status momu_eval_joints_from_names(const char *const *names, size_t J, momu_eval_joints *r, momu_err *e);

/* Geometric features: MOMU_GEO_FEATURES boolean pose relations per frame, averaged over the frames (so
 * each is the fraction of frames where it holds, in [0,1]), in the spirit of AIST++/Bailando's manual
 * features (Müller et al. 2005), re-defined for the DwM skeleton. Length unit `hum` = the clip's mean
 * upper-arm (shoulder→elbow) length; forward axis = the horizontal mean heel→toe direction (independent of
 * the handedness of the coordinates); lateral axis = the horizontal shoulder line L→R; neck = mid-shoulders;
 * head = mid of the head points. The relations (names from momu_geo_feature_name(i)), L then R:
 *   0,1 wrist above head centre          2,3 wrist above its shoulder
 *   4,5 wrist > 0.5 hum in front of neck 6,7 wrist > 0.2 hum behind neck      8,9 wrist > 1.5 hum to the side
 *   10,11 elbow angle < 110°             12,13 elbow above its shoulder       14,15 knee angle < 150°
 *   16,17 foot's lowest point > 0.15 hum above the other foot's              18,19 ankle > 0.5 hum ahead of the other
 *   20 ankles > 2 hum apart (horizontal) 21 feet crossed (left ankle to the right of the right one)
 *   22 wrists > 3 hum apart              23 wrists < 0.7 hum apart            24,25 wrist < 1 hum from head
 *   26 neck-root line > 25° from vertical 27 shoulder line > 25° from hip line (twist)
 *   28 head above lower ankle < 0.8 × its clip mean (crouched)               29 root horizontal speed > 3 hum/s
 *   30,31 wrist speed relative to root > 4 hum/s                             32,33 ankle speed > 3 hum/s
 *   34 head line > 30° from the shoulder line (head turned; 0 with one head joint)
 * feat: MOMU_GEO_FEATURES doubles. T >= 2. */
#define MOMU_GEO_FEATURES 35
const char *momu_geo_feature_name(size_t i);
momu_status momu_geometric_features(const float *pos, size_t T, size_t J, double fps, const momu_eval_joints *r,
                                    double *feat, momu_err *e);

/* Foot skating: mean horizontal speed (cm/s) of the given foot points over the frames where they are in
 * contact. Floor(t) = minimum over ±floor_window_s of the lowest foot point (a running floor: DwM's height
 * drifts); a point's rest height = the rest_percentile quantile of its height above that floor over the
 * clip; contact at frame t iff height - rest < height_cm AND |vertical speed| < vspeed_cm_s. Speeds by
 * central differences (frames 1..T-2). Pooled over points and frames. DwM foot points: ankles 9/18, heels
 * 10/19, toes 11/20. */
typedef struct {
    double height_cm;       /* default 3 */
    double vspeed_cm_s;     /* default 15 */
    double floor_window_s;  /* default 1 (±1 s) */
    double rest_percentile; /* default 0.05 */
} momu_foot_skate_opts;
void momu_foot_skate_opts_default(momu_foot_skate_opts *o);
typedef struct {
    double skate_cm_s;        /* mean horizontal speed in contact (0 when never in contact) */
    double contact_fraction;  /* n_contact / n_total */
    size_t n_contact, n_total;
} momu_foot_skate_result;
momu_status momu_foot_skate(const float *pos, size_t T, size_t J, double fps, const int *foot, size_t n_foot,
                            const momu_foot_skate_opts *opts, momu_foot_skate_result *out, momu_err *e);

/* ------------------------------------------------------------------------------------------------------
 * Music quality: a Fréchet distance on audio statistics, a STAND-IN for FAD (no pretrained audio embedding
 * such as VGGish can be fetched here; values are not comparable with published FAD). Per clip, from a
 * log-mel (T, B) at fps frames/s (momu's: 80 bands, 100 fps, log10), D = 2B + 3 values:
 *   [0,B) mean of each band; [B,2B) standard deviation (ddof 0) of each band;
 *   [2B] mean and [2B+1] std of the onset strength flux[t] = mean_b max(0, S[t,b] − S[t−1,b])
 *        (librosa.onset.onset_strength on a log spectrogram, lag 1);
 *   [2B+2] pulse clarity: the largest autocorrelation (normalised by lag 0) of the mean-removed flux over
 *        lags 0.25–1.5 s (240–40 BPM).
 * The distance is momu_frechet_features on the raw (unnormalised) vectors of two sets, as FAD is. */
#define MOMU_AUDIO_STAT_DIM(n_bands) (2 * (size_t)(n_bands) + 3)
momu_status momu_audio_stat_features(const float *logmel, size_t T, size_t n_bands, double fps, double *feat,
                                     momu_err *e);

/* ------------------------------------------------------------------------------------------------------
 * File-level evaluation of (music, motion) pairs (src/eval/pairs.c; `momu eval`).
 *
 * Per pair, with the colleagues' instruments: music onsets = momu_onset_detect (librosa 0.8 onset_detect at
 * 22050 Hz, the LORIS instrument); music beats = momu_beat_track (Ellis DP beat tracker, as AIST++/Bailando
 * take music beats from librosa beat tracking); kinematic beats = momu_motion_beats_q (LORIS peaks of Q)
 * and momu_motion_beats_speed (Bailando local minima of mean joint speed).
 *   loris        music→motion LORIS: reference = music onsets, generated = Q-peak kinematic beats (notes §6.2)
 *   beat_f/p/r   beat F-measure (±tolerance, one-to-one): reference = music beats, estimate = speed-minima
 *                kinematic beats, both restricted to [0, min(music, motion length)]
 *   bas          BAS: music beats (same restriction) against speed-minima kinematic beats, σ = 0.1 s
 *   sync         momu_sync_score on the momu_sync_*_envelope pair (momu/sync.h), best lag in sync_lag_s
 *   skate        foot skating on ankles, heels, toes (roles by joint name, or DwM for 23 unnamed joints)
 *   pulse        the music's pulse clarity (momu_audio_stat_features): how periodic its onsets are, whatever
 *                the motion (real songs about 0.2-0.5; music without a steady beat near 0)
 * With a reference music: loris_music = motion→music LORIS (reference onsets vs this music's onsets, each
 * over its own length) and onset_f (the same lists, ±tolerance F-measure).
 * Set metrics (momu_eval_summarise): evaluated set = the distinct motions / musics of all pairs, reference set
 * = the distinct reference motions / musics of the pairs that name one (a file listed on several rows counts
 * once, by path); each set needs >= 2 clips. FID_k, FID_g, Div_k, Div_g on the motions, the FAD stand-in on the
 * musics. */
typedef struct {
    const char *name;        /* used for alignment lookup and output; NULL = the motion path */
    const char *music, *motion;
    const char *ref_music, *ref_motion;   /* NULL or "" when absent */
} momu_eval_pair;

/* One alignment (momu/sync.h clock: motion_time = scale·music_time + offset_s), by pair name. */
typedef struct {
    char name[256];
    double scale, offset_s;
} momu_eval_align;

typedef struct {
    double fps;              /* > 0 overrides the motion files' fps (NPY carries none: 25 assumed) */
    double tolerance_s;      /* beat F-measure window (MOMU_BEAT_FMEASURE_TOL_S) */
    double bas_sigma_s;      /* MOMU_BAS_SIGMA_S */
    double sync_max_lag_s;   /* MOMU_SYNC_SCORE_MAX_LAG_S */
    momu_foot_skate_opts skate;
    const momu_eval_align *align;  /* optional: motions whose pair name is listed are re-timed onto the
                                    * music clock first (held first frame where the source starts late) */
    size_t n_align;
} momu_eval_opts;
void momu_eval_opts_default(momu_eval_opts *o);

typedef struct {
    char name[256];
    double music_s, motion_s, fps;
    size_t n_frames, n_joints;
    double bpm;                          /* tempo from the beat tracker */
    size_t n_onsets, n_music_beats, n_kin_q, n_kin_speed;
    momu_loris_clip loris;
    double beat_f, beat_p, beat_r, bas;
    double sync, sync_lag_s;
    int has_skate;
    momu_foot_skate_result skate;
    int has_ref_music, has_ref_motion, geo_ok;
    momu_loris_clip loris_music;
    double onset_f;
    double pulse;                        /* the music's pulse clarity (momu_audio_stat_features [2B+2]) */
    size_t kin_dim;                      /* 3·J */
    double *kin, *geo, *audio;           /* features of this pair (kin_dim, MOMU_GEO_FEATURES, audio stats) */
    double *ref_kin, *ref_geo, *ref_audio;
    char *music_path, *motion_path, *ref_music_path, *ref_motion_path; /* copies (NULL when absent) */
} momu_eval_pair_result;

momu_status momu_eval_pair_run(const momu_eval_pair *p, const momu_eval_opts *o, momu_eval_pair_result *r,
                               momu_err *e);
void        momu_eval_pair_result_free(momu_eval_pair_result *r);

typedef struct {
    size_t n_pairs;
    double fps;                          /* of the first pair; mixed_fps = 1 if they differ */
    int mixed_fps;
    double clip_s_mean, clip_s_min, clip_s_max;   /* motion lengths */
    momu_loris_summary loris, loris_music;        /* loris_music.n_clips = 0 without reference music */
    double beat_f_mean, beat_f_sd, bas_mean, bas_sd, sync_mean, sync_sd, onset_f_mean, onset_f_sd;
    double pulse_mean, pulse_sd;                  /* the musics' pulse clarity */
    double skate_cm_s, skate_contact_fraction;    /* pooled over contact frames */
    int has_fid_k, has_fid_g, has_fad;
    momu_fid_result fid_k, fid_g;     /* n_ref / n_gen inside: the distinct clips used */
    double fad_standin;
    size_t n_fad_gen, n_fad_ref;
} momu_eval_summary;

momu_status momu_eval_summarise(const momu_eval_pair_result *r, size_t n, momu_eval_summary *s, momu_err *e);

/* ------------------------------------------------------------------------------------------------------
 * Time lists on disk: one time in seconds per line (the first whitespace/tab-separated field of each line);
 * blank lines and lines starting with '#' are skipped, and so is a first line whose first field is not a
 * number (a header such as "time"). Any later line whose first field is not a finite number is an
 * error naming the file and line. At most 10^7 times, files at most 256 MiB. *times is malloc'ed (free());
 * NULL when the file holds no time (*n = 0). */
momu_status momu_eval_read_times(const char *path, double **times, size_t *n, momu_err *e);

/* Pair list (TSV, tab-separated): name, music, motion[, reference_music, reference_motion] per line; an
 * optional header line starting with "name"; blank lines and '#' lines skipped; empty optional columns
 * mean absent. Relative paths are taken relative to the list file's directory. */
typedef struct {
    momu_eval_pair *pairs;
    size_t n;
    char **owned;        /* the strings the pairs point into */
    size_t n_owned;
} momu_eval_pair_list;
momu_status momu_eval_pairs_read(const char *path, momu_eval_pair_list *out, momu_err *e);
void        momu_eval_pair_list_free(momu_eval_pair_list *l);

#ifdef __cplusplus
}
#endif
#endif
