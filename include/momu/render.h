/* momu render — a headless software rasteriser for preview videos of a motion with its music (docs/RENDER.md).
 *
 * Pieces:
 *   - momu_image: an RGB24 framebuffer (row-major, top row first, 3 bytes per pixel); pixel (i, j) covers the
 *     square [i, i+1) x [j, j+1), its centre is (i + 0.5, j + 0.5), x to the right, y down;
 *   - anti-aliased drawing by signed distance: a capsule (thick line) of half width hw covers a pixel by
 *     clamp(hw + 0.5 - d, 0, 1), d the distance of the pixel centre to the segment; colours are blended
 *     c <- c + a * cov * (col - c);
 *   - a pinhole look-at camera (y up) projecting 3-D points to continuous pixel coordinates;
 *   - a PNG writer (stored deflate blocks, CRC-32, Adler-32; no zlib);
 *   - a scene: the motion resampled to the video rate, a camera that follows the root with damping, a floor
 *     from a running minimum of the foot points, a perspective floor grid, a beat flash and ring on each music
 *     beat (and/or each kinematic beat of the motion), the stick figure, a time bar;
 *   - momu_render_video: frames streamed as rawvideo rgb24 into ffmpeg (H.264 yuv420p + AAC music), written
 *     to a temporary file and renamed into place.
 * Nothing here prints except through momu_progress; errors name the file or argument. */
#ifndef MOMU_RENDER_H
#define MOMU_RENDER_H
#include <stddef.h>
#include <stdint.h>

#include "momu/common.h"
#include "momu/motion.h"
#ifdef __cplusplus
extern "C" {
#endif

/* ---- framebuffer and drawing ------------------------------------------------------------------------ */
typedef struct { size_t width, height; uint8_t *rgb; /* (height, width, 3) */ } momu_image;

/* width, height in 1..16384. */
momu_status momu_image_init(momu_image *im, size_t width, size_t height, momu_err *e);
void        momu_image_free(momu_image *im);
void        momu_image_fill(momu_image *im, const uint8_t rgb[3]);
/* Vertical gradient from `top` (row 0) to `bottom` (last row). */
void        momu_image_gradient(momu_image *im, const uint8_t top[3], const uint8_t bottom[3]);
/* Anti-aliased capsule from (x0,y0) to (x1,y1), half width hw (pixels), opacity alpha in [0, 1]. */
void momu_draw_line(momu_image *im, double x0, double y0, double x1, double y1, double hw, const uint8_t rgb[3],
                    double alpha);
/* Anti-aliased polyline through n points xy (n, 2) (closed: back to the first), half width hw; each pixel is
 * blended once with its distance to the nearest segment, so joints do not darken or brighten. */
void momu_draw_polyline(momu_image *im, const double *xy, size_t n, int closed, double hw, const uint8_t rgb[3],
                        double alpha);
/* Anti-aliased filled disc. */
void momu_draw_disc(momu_image *im, double cx, double cy, double radius, const uint8_t rgb[3], double alpha);
/* Anti-aliased circle outline of half width hw. */
void momu_draw_ring(momu_image *im, double cx, double cy, double radius, double hw, const uint8_t rgb[3],
                    double alpha);
/* Axis-aligned rectangle [x0, x1) x [y0, y1) with anti-aliased (fractional) edges. */
void momu_draw_rect(momu_image *im, double x0, double y0, double x1, double y1, const uint8_t rgb[3],
                    double alpha);

/* ---- PNG -------------------------------------------------------------------------------------------- */
uint32_t    momu_crc32(const uint8_t *p, size_t n);     /* PNG / zlib CRC-32 (0xEDB88320) */
uint32_t    momu_adler32(const uint8_t *p, size_t n);
/* 8-bit RGB PNG, filter 0, stored (uncompressed) deflate blocks; written atomically. */
momu_status momu_png_write(const char *path, const momu_image *im, momu_err *e);

/* ---- camera ----------------------------------------------------------------------------------------- */
typedef struct {
    double eye[3], target[3];   /* world, y up; eye != target, not looking straight up or down */
    double fov_y_deg;           /* vertical field of view, degrees (0, 180) */
    size_t width, height;       /* image size in pixels */
    double near;                /* points with camera depth <= near are not projected (> 0) */
} momu_camera;

/* Projects p: *sx, *sy continuous pixel coordinates (the target lands on (width/2, height/2)), *depth the
 * distance along the viewing direction. Returns 1 if depth > near, else 0 (sx, sy untouched). Any output
 * pointer may be NULL. */
int momu_camera_project(const momu_camera *c, const double p[3], double *sx, double *sy, double *depth);

/* ---- scene ------------------------------------------------------------------------------------------ */
typedef enum {
    MOMU_RENDER_BEATS_MUSIC,   /* flash + yellow ring on each music beat (default) */
    MOMU_RENDER_BEATS_MOTION,  /* magenta ring on each kinematic beat of the motion (momu_motion_beats_q) */
    MOMU_RENDER_BEATS_BOTH,
    MOMU_RENDER_BEATS_NONE,
    MOMU_RENDER_BEATS_COUNT
} momu_render_beats;
const char       *momu_render_beats_name(momu_render_beats b);
momu_render_beats momu_render_beats_from_name(const char *s);   /* MOMU_RENDER_BEATS_COUNT if unknown */

typedef struct {
    size_t width, height;       /* default 640 x 480 */
    double fps;                 /* video frames per second; <= 0: the motion's (default 0) */
    momu_render_beats beats;    /* default MOMU_RENDER_BEATS_MUSIC */
    int    audio;               /* 1: mux the music into the video (default 1) */
    int    mirror_x;            /* -1 auto (DwM skeleton: its coordinates are left-handed, so x is negated to
                                   draw it unmirrored), 0 no, 1 yes (default -1) */
} momu_render_opts;
void momu_render_opts_default(momu_render_opts *o);

typedef struct momu_render_scene momu_render_scene;

/* Builds a scene of motion m (copied and resampled to the video rate). music_beats: beat times in seconds
 * (may be NULL / 0, then no music beats are drawn). */
momu_status momu_render_scene_init(momu_render_scene **s, const momu_motion *m, const double *music_beats,
                                   size_t n_music_beats, const momu_render_opts *o, momu_err *e);
void        momu_render_scene_free(momu_render_scene *s);
size_t      momu_render_scene_frames(const momu_render_scene *s);
double      momu_render_scene_fps(const momu_render_scene *s);
/* The camera of video frame k (k < frames). */
void        momu_render_scene_camera(const momu_render_scene *s, size_t k, momu_camera *c);
/* World position of joint j at video frame k as drawn (after the optional x mirror). */
void        momu_render_scene_joint(const momu_render_scene *s, size_t k, size_t j, double p[3]);
/* Draws video frame k into im (of the scene's size). */
momu_status momu_render_scene_frame(const momu_render_scene *s, size_t k, momu_image *im, momu_err *e);

/* Colours (RGB) used by the scene, for tests and docs. */
extern const uint8_t MOMU_RENDER_COL_LEFT[3], MOMU_RENDER_COL_RIGHT[3], MOMU_RENDER_COL_CENTRE[3];
extern const uint8_t MOMU_RENDER_COL_MUSIC_BEAT[3], MOMU_RENDER_COL_MOTION_BEAT[3];

/* ---- video ------------------------------------------------------------------------------------------ */
/* Renders motion m to out_path (MP4, H.264 yuv420p; with o->audio and music_path the music as AAC, trimmed or
 * padded with silence to the motion's duration). music_path may be NULL (no audio, no music beats). ffmpeg is
 * taken from $MOMU_FFMPEG or else "ffmpeg" on PATH; its failure is reported with the tail of its stderr.
 * Shows a progress line. SIGPIPE is ignored (process-wide) while frames are written, then restored. */
momu_status momu_render_video(const char *out_path, const momu_motion *m, const char *music_path,
                              const momu_render_opts *o, momu_err *e);
/* The same with the music given as mono samples at sr Hz (e.g. momu_synth_song's output); music may be NULL. */
momu_status momu_render_video_samples(const char *out_path, const momu_motion *m, const float *music, size_t n,
                                      unsigned sr, const momu_render_opts *o, momu_err *e);
/* Renders one video frame k of the same scene to a PNG (music_path may be NULL). */
momu_status momu_render_png(const char *png_path, const momu_motion *m, const char *music_path, size_t k,
                            const momu_render_opts *o, momu_err *e);

#ifdef __cplusplus
}
#endif
#endif
