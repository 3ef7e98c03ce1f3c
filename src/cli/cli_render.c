/* momu render — preview video of a motion with its music (include/momu/render.h, docs/RENDER.md).
 *   momu render --motion M --music A --out V.mp4 [--width 640] [--height 480] [--fps F] [--no-audio]
 *               [--beats music|motion|both|none]
 *   momu render --motion M [--music A] --frame K --png OUT.png        one frame as PNG */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "momu/motion.h"
#include "momu/render.h"

int cli_render(int argc, char **argv) {
    const char *cmd = "render", *motion = NULL, *music = NULL, *out = NULL, *png = NULL, *beats = "music";
    size_t width = 640, height = 480, frame = 0;
    float fps = 0.0f;
    int no_audio = 0;
    const cli_opt opts[] = {
        {"motion", CLI_STR, &motion, "motion file (.npy (T,J,3) cm at 25 fps, .json, .bvh)"},
        {"music", CLI_STR, &music, "music file (any format libsndfile reads); trimmed/padded to the motion"},
        {"out", CLI_STR, &out, "output video .mp4 (H.264 yuv420p + AAC)"},
        {"width", CLI_SIZE, &width, "video width in pixels (even)"},
        {"height", CLI_SIZE, &height, "video height in pixels (even)"},
        {"fps", CLI_FLOAT, &fps, "video frame rate (0: the motion's)"},
        {"no-audio", CLI_FLAG, &no_audio, "do not mux the music (its beats are still drawn)"},
        {"beats", CLI_STR, &beats, "beat markers: music (flash + yellow ring), motion (kinematic beats, magenta "
                                   "ring), both, none"},
        {"frame", CLI_SIZE, &frame, "with --png: the video frame to write"},
        {"png", CLI_STR, &png, "write video frame --frame as PNG instead of a video"},
    };
    size_t n_opts = sizeof opts / sizeof opts[0], n_pos = 0;
    const char *pos[1];
    int rc = cli_parse(argc - 1, argv + 1, opts, n_opts, pos, 0, &n_pos, cmd,
                       "--motion M --music A --out V.mp4 [--width 640] [--height 480] [--fps F] [--no-audio] "
                       "[--beats music|motion|both|none] | --motion M [--music A] --frame K --png OUT.png");
    if (rc == 1) return 0;
    if (rc) return 2;
    if (!motion || (!out && !png)) {
        cli_errorf(cmd, "need --motion and --out V.mp4 (or --png OUT.png) (see momu %s --help)", cmd);
        return 2;
    }
    momu_render_opts o;
    momu_render_opts_default(&o);
    o.width = width;
    o.height = height;
    o.fps = fps;
    o.audio = !no_audio;
    o.beats = momu_render_beats_from_name(beats);
    if (o.beats == MOMU_RENDER_BEATS_COUNT) {
        cli_errorf(cmd, "--beats %s: expected music, motion, both or none", beats);
        return 2;
    }
    if (!(fps >= 0.0f) || !isfinite(fps)) {
        cli_errorf(cmd, "--fps %g: must be >= 0", (double)fps);
        return 2;
    }
    momu_err e = {0};
    momu_motion m = {0};
    if (momu_motion_load(motion, &m, &e)) return cli_error(cmd, &e);
    double t0 = momu_time_s();
    momu_status st;
    if (png) {
        st = momu_render_png(png, &m, music, frame, &o, &e);
        if (!st) momu_log("%s: frame %zu -> %s (%zux%zu)\n", motion, frame, png, width, height);
    } else {
        st = momu_render_video(out, &m, music, &o, &e);
        if (!st)
            momu_log("%s: %zu frames at %g fps (%.2f s) -> %s (%zux%zu%s) in %.1f s\n", motion, m.n_frames,
                     (double)m.fps, (double)m.n_frames / (double)m.fps, out, width, height,
                     music && o.audio ? ", with music" : ", no audio", momu_time_s() - t0);
    }
    momu_motion_free(&m);
    return st ? cli_error(cmd, &e) : 0;
}
