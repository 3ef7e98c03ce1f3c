/* momu motion — convert between motion formats, print kinematic beats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "momu/motion.h"

static int load_with_fps(const char *cmd, const char *path, float fps, int raw, momu_motion *m) {
    momu_err e = {0};
    char ext[16];
    momu_path_ext(path, ext, sizeof ext);
    momu_status st = raw && !strcmp(ext, "bvh") ? momu_bvh_load_raw(path, m, &e) : momu_motion_load(path, m, &e);
    if (st) return cli_error(cmd, &e);
    if (fps > 0) {
        if (strcmp(ext, "npy")) {
            momu_motion_free(m);
            return cli_errorf(cmd, "--fps applies to .npy input only (%s carries its own frame rate)", path);
        }
        m->fps = fps;
    }
    return 0;
}

static int motion_convert(int argc, char **argv) {
    const char *cmd = "motion convert";
    float fps = 0;
    int raw = 0, stretch = 0;
    const cli_opt opts[] = {
        {"fps", CLI_FLOAT, &fps, "frame rate of .npy input (0: 25, the DwM rate)"},
        {"bvh-stretch", CLI_FLAG, &stretch, "BVH output: position channels on every joint, so varying bone lengths "
                                            "are reproduced exactly (default: fixed offsets, median bone lengths)"},
        {"raw", CLI_FLAG, &raw, "BVH input: keep every BVH joint (virtual joints, End Sites) instead of mapping to DwM"},
    };
    const char *pos[2];
    size_t np;
    int r = cli_parse(argc - 1, argv + 1, opts, sizeof opts / sizeof opts[0], pos, 2, &np, cmd,
                      "IN OUT   (formats by extension: .npy .bvh .json)");
    if (r) return r == 1 ? 0 : 2;
    if (np != 2) return cli_errorf(cmd, "needs IN and OUT (see momu %s --help)", cmd), 2;
    if (fps < 0) return cli_errorf(cmd, "--fps must be positive"), 2;
    momu_motion m;
    if (load_with_fps(cmd, pos[0], fps, raw, &m)) return 1;
    momu_err e = {0};
    char oext[16];
    momu_path_ext(pos[1], oext, sizeof oext);
    if (stretch && strcmp(oext, "bvh")) {
        momu_motion_free(&m);
        return cli_errorf(cmd, "--bvh-stretch applies to .bvh output only"), 2;
    }
    if (stretch ? momu_bvh_save(pos[1], &m, 1, &e) : momu_motion_save(pos[1], &m, &e)) {
        momu_motion_free(&m);
        return cli_error(cmd, &e);
    }
    momu_log("momu %s: %s -> %s: %zu frames, %zu joints, %g fps (%.2f s)\n", cmd, pos[0], pos[1], m.n_frames,
             m.n_joints, (double)m.fps, (double)m.n_frames / m.fps);
    momu_motion_free(&m);
    return 0;
}

static int motion_beats(int argc, char **argv) {
    const char *cmd = "motion beats";
    float fps = 0;
    const char *method = "q";
    const cli_opt opts[] = {
        {"method", CLI_STR, &method, "q: peaks of the kinematic amplitude Q (LORIS pick_peak); speed: minima of the "
                                     "smoothed mean joint speed (Bailando BAS)"},
        {"fps", CLI_FLOAT, &fps, "frame rate of .npy input (0: 25, the DwM rate)"},
    };
    const char *pos[1];
    size_t np;
    int r = cli_parse(argc - 1, argv + 1, opts, sizeof opts / sizeof opts[0], pos, 1, &np, cmd,
                      "IN   (prints one beat time in seconds per line)");
    if (r) return r == 1 ? 0 : 2;
    if (np != 1) return cli_errorf(cmd, "needs IN (see momu %s --help)", cmd), 2;
    if (strcmp(method, "q") && strcmp(method, "speed"))
        return cli_errorf(cmd, "--method must be q or speed, got '%s'", method), 2;
    if (fps < 0) return cli_errorf(cmd, "--fps must be positive"), 2;
    momu_motion m;
    if (load_with_fps(cmd, pos[0], fps, 0, &m)) return 1;
    momu_err e = {0};
    double *t = NULL;
    size_t n = 0;
    momu_status st = !strcmp(method, "q") ? momu_motion_beats_q(&m, &t, &n, &e) : momu_motion_beats_speed(&m, &t, &n, &e);
    if (st) {
        momu_motion_free(&m);
        return cli_error(cmd, &e);
    }
    for (size_t i = 0; i < n; i++) printf("%.4f\n", t[i]);
    double dur = (double)m.n_frames / m.fps;
    momu_log("momu %s: %s: %zu beats (method %s) in %.2f s, %.1f per minute\n", cmd, pos[0], n, method, dur,
             dur > 0 ? 60.0 * (double)n / dur : 0.0);
    free(t);
    momu_motion_free(&m);
    return 0;
}

int cli_motion(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "convert")) return motion_convert(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "beats")) return motion_beats(argc - 1, argv + 1);
    FILE *f = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) ? stdout : stderr;
    fprintf(f, "usage: momu motion convert IN OUT [--fps F] [--raw] [--bvh-stretch]\n"
               "       momu motion beats IN [--method q|speed] [--fps F]\n"
               "formats by extension: .npy (T,J,3) float32/64, .bvh, .json; 'momu motion SUB --help' for details\n");
    if (f == stdout) return 0;
    if (argc >= 2) fprintf(stderr, "momu motion: unknown subcommand '%s'\n", argv[1]);
    return 2;
}
