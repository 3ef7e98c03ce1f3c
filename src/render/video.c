/* momu render — preview video: frames of the scene streamed as rawvideo rgb24 into ffmpeg, which encodes
 * H.264 (yuv420p) and muxes the music (AAC) into an MP4 written under a temporary name and renamed into
 * place. ffmpeg is spawned with posix_spawnp (no shell: paths may contain spaces); its stderr goes to a file
 * in a private temporary directory, whose tail is reported when it fails. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "momu/audio.h"
#include "momu/beats.h"
#include "momu/render.h"

extern char **environ;

/* Music: decoded at its own rate (mono), beats tracked on the part that plays with the motion. */
static momu_status load_music(const char *path, double dur, float **x, size_t *n, unsigned *sr, double **beats,
                              size_t *n_beats, int want_beats, momu_err *e) {
    *x = NULL;
    *beats = NULL;
    *n_beats = 0;
    momu_status st = momu_audio_load_native(path, x, n, sr, e);
    if (st) return st;
    if (!want_beats) return MOMU_OK;
    size_t used = (size_t)llround(dur * (double)*sr);
    if (used > *n) used = *n;
    if (used < 1 || *sr < 8000 || *sr > 192000) return MOMU_OK;   /* nothing to track */
    st = momu_beat_track(*x, used, *sr, NULL, beats, n_beats, NULL, e);
    if (st) { free(*x); *x = NULL; }
    return st;
}

static void remove_tree(const char *dir, const char *a, const char *b) {
    char p[4200];
    if (a) { snprintf(p, sizeof p, "%s/%s", dir, a); unlink(p); }
    if (b) { snprintf(p, sizeof p, "%s/%s", dir, b); unlink(p); }
    rmdir(dir);
}

/* The last ~1500 characters of a file, newlines kept, into buf. */
static void file_tail(const char *path, char *buf, size_t cap) {
    buf[0] = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return;
    long want = (long)cap - 1;
    if (fseek(f, 0, SEEK_END) == 0) {
        long sz = ftell(f);
        fseek(f, sz > want ? sz - want : 0, SEEK_SET);
    }
    size_t got = fread(buf, 1, cap - 1, f);
    buf[got] = 0;
    while (got && (buf[got - 1] == '\n' || buf[got - 1] == '\r')) buf[--got] = 0;
    fclose(f);
}

static int write_all(int fd, const uint8_t *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static momu_status render_video(const char *out_path, const momu_motion *m, const float *x, size_t n, unsigned sr,
                                const double *beats, size_t n_beats, const momu_render_opts *o, momu_err *e);

momu_status momu_render_video(const char *out_path, const momu_motion *m, const char *music_path,
                              const momu_render_opts *o, momu_err *e) {
    momu_render_opts def;
    if (!o) { momu_render_opts_default(&def); o = &def; }
    if (!out_path || !*out_path) return momu_fail(e, MOMU_ERR_ARG, "render: no output path");
    if ((o->width & 1) || (o->height & 1))
        return momu_fail(e, MOMU_ERR_ARG, "render: --width/--height %zux%zu: H.264 yuv420p needs even sizes",
                         o->width, o->height);
    if (momu_motion_check(m, "render: motion", e)) return e ? e->status : MOMU_ERR_ARG;
    float *x = NULL;
    size_t n = 0;
    unsigned sr = 0;
    double *beats = NULL;
    size_t n_beats = 0;
    int want_beats = o->beats == MOMU_RENDER_BEATS_MUSIC || o->beats == MOMU_RENDER_BEATS_BOTH;
    momu_status st;
    if (music_path && (st = load_music(music_path, (double)m->n_frames / (double)m->fps, &x, &n, &sr, &beats,
                                       &n_beats, want_beats, e)))
        return st;
    st = render_video(out_path, m, x, n, sr, beats, n_beats, o, e);
    free(x);
    free(beats);
    return st;
}

momu_status momu_render_video_samples(const char *out_path, const momu_motion *m, const float *music, size_t n,
                                      unsigned sr, const momu_render_opts *o, momu_err *e) {
    momu_render_opts def;
    if (!o) { momu_render_opts_default(&def); o = &def; }
    if (!out_path || !*out_path) return momu_fail(e, MOMU_ERR_ARG, "render: no output path");
    if ((o->width & 1) || (o->height & 1))
        return momu_fail(e, MOMU_ERR_ARG, "render: --width/--height %zux%zu: H.264 yuv420p needs even sizes",
                         o->width, o->height);
    if (momu_motion_check(m, "render: motion", e)) return e ? e->status : MOMU_ERR_ARG;
    if (music && (sr < 1000 || sr > 384000))
        return momu_fail(e, MOMU_ERR_ARG, "render: music sample rate %u out of range", sr);
    for (size_t i = 0; music && i < n; i++)
        if (!isfinite(music[i])) return momu_fail(e, MOMU_ERR_RANGE, "render: music sample %zu is not finite", i);
    double *beats = NULL;
    size_t n_beats = 0;
    double dur = (double)m->n_frames / (double)m->fps;
    size_t used = music ? (size_t)llround(dur * (double)sr) : 0;
    if (used > n) used = n;
    momu_status st;
    if (used && sr >= 8000 && sr <= 192000 &&
        (o->beats == MOMU_RENDER_BEATS_MUSIC || o->beats == MOMU_RENDER_BEATS_BOTH) &&
        (st = momu_beat_track(music, used, sr, NULL, &beats, &n_beats, NULL, e)))
        return st;
    st = render_video(out_path, m, music, music ? n : 0, sr, beats, n_beats, o, e);
    free(beats);
    return st;
}

/* x may be NULL (no music). */
static momu_status render_video(const char *out_path, const momu_motion *m, const float *x, size_t n, unsigned sr,
                                const double *beats, size_t n_beats, const momu_render_opts *o, momu_err *e) {
    momu_status st;
    momu_render_scene *s = NULL;
    st = momu_render_scene_init(&s, m, beats, n_beats, o, e);
    if (st) return st;
    size_t n_frames = momu_render_scene_frames(s);
    double fps = momu_render_scene_fps(s), dur = (double)n_frames / fps;

    /* private temporary directory: the music WAV and ffmpeg's stderr */
    char dir[4096];
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/momu-render-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        momu_render_scene_free(s);
        return momu_fail(e, MOMU_ERR_IO, "render: cannot create a temporary directory %s: %s", dir, strerror(errno));
    }
    char wav[4200], log[4200], part[4200];
    snprintf(wav, sizeof wav, "%s/music.wav", dir);
    snprintf(log, sizeof log, "%s/ffmpeg.log", dir);
    snprintf(part, sizeof part, "%s.tmp.%ld", out_path, (long)getpid());
    int with_audio = o->audio && x;
    if (with_audio) {   /* trimmed or padded with silence to the video's duration */
        size_t n_out = (size_t)llround(dur * (double)sr);
        float *y = momu_calloc_array(n_out ? n_out : 1, sizeof(float), e);
        if (!y) { st = MOMU_ERR_OOM; goto out_dir; }
        memcpy(y, x, (n < n_out ? n : n_out) * sizeof(float));
        st = momu_audio_write_wav(wav, y, n_out, sr, e);
        free(y);
        if (st) goto out_dir;
    }

    char size_arg[64], fps_arg[64];
    snprintf(size_arg, sizeof size_arg, "%zux%zu", o->width, o->height);
    snprintf(fps_arg, sizeof fps_arg, "%.9g", fps);
    const char *ffmpeg = getenv("MOMU_FFMPEG");
    if (!ffmpeg || !*ffmpeg) ffmpeg = "ffmpeg";
    const char *argv[48];
    size_t a = 0;
    argv[a++] = ffmpeg; argv[a++] = "-hide_banner"; argv[a++] = "-loglevel"; argv[a++] = "error"; argv[a++] = "-y";
    argv[a++] = "-f"; argv[a++] = "rawvideo"; argv[a++] = "-pix_fmt"; argv[a++] = "rgb24";
    argv[a++] = "-s"; argv[a++] = size_arg; argv[a++] = "-framerate"; argv[a++] = fps_arg;
    argv[a++] = "-i"; argv[a++] = "pipe:0";
    if (with_audio) { argv[a++] = "-i"; argv[a++] = wav; }
    argv[a++] = "-map"; argv[a++] = "0:v:0";
    if (with_audio) { argv[a++] = "-map"; argv[a++] = "1:a:0"; }
    argv[a++] = "-c:v"; argv[a++] = "libx264"; argv[a++] = "-preset"; argv[a++] = "veryfast";
    argv[a++] = "-crf"; argv[a++] = "20"; argv[a++] = "-pix_fmt"; argv[a++] = "yuv420p";
    if (with_audio) { argv[a++] = "-c:a"; argv[a++] = "aac"; argv[a++] = "-b:a"; argv[a++] = "160k"; }
    argv[a++] = "-movflags"; argv[a++] = "+faststart"; argv[a++] = "-f"; argv[a++] = "mp4";
    argv[a++] = part;
    argv[a] = NULL;

    int fds[2];
    if (pipe(fds)) { st = momu_fail(e, MOMU_ERR_IO, "render: pipe: %s", strerror(errno)); goto out_dir; }
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid;
    int rc = posix_spawnp(&pid, ffmpeg, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[0]);
    if (rc) {
        close(fds[1]);
        st = momu_fail(e, MOMU_ERR_STATE, "render: cannot run %s: %s%s", ffmpeg, strerror(rc),
                       rc == ENOENT ? " (install ffmpeg: apt-get install ffmpeg, or set MOMU_FFMPEG)" : "");
        goto out_dir;
    }
    /* a dying ffmpeg must give EPIPE, not kill us with SIGPIPE */
    struct sigaction ign, old;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &old);

    momu_image im;
    int write_failed = 0;
    if ((st = momu_image_init(&im, o->width, o->height, e)) == MOMU_OK) {
        momu_progress_t pr;
        momu_progress_init(&pr, "render");
        double t0 = momu_time_s();
        for (size_t k = 0; k < n_frames; k++) {
            if ((st = momu_render_scene_frame(s, k, &im, e))) break;
            if (write_all(fds[1], im.rgb, im.width * im.height * 3)) { write_failed = 1; break; }
            momu_progress(&pr, k + 1, n_frames, "frame %zu/%zu  %.1f frames/s", k + 1, n_frames,
                          (double)(k + 1) / fmax(momu_time_s() - t0, 1e-9));
        }
        momu_progress_end(&pr);
        momu_image_free(&im);
    }
    close(fds[1]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    sigaction(SIGPIPE, &old, NULL);
    int ff_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!st && (write_failed || !ff_ok)) {
        char tail[1600];
        file_tail(log, tail, sizeof tail);
        if (WIFEXITED(status))
            st = momu_fail(e, MOMU_ERR_IO, "render: %s: ffmpeg failed (exit %d)%s%s", out_path, WEXITSTATUS(status),
                           tail[0] ? ":\n" : "", tail);
        else
            st = momu_fail(e, MOMU_ERR_IO, "render: %s: ffmpeg was killed (signal %d)%s%s", out_path,
                           WIFSIGNALED(status) ? WTERMSIG(status) : 0, tail[0] ? ":\n" : "", tail);
    }
    if (!st && rename(part, out_path))
        st = momu_fail(e, MOMU_ERR_IO, "render: cannot rename %s to %s: %s", part, out_path, strerror(errno));
    if (st) unlink(part);
out_dir:
    momu_render_scene_free(s);
    remove_tree(dir, "music.wav", "ffmpeg.log");
    return st;
}

momu_status momu_render_png(const char *png_path, const momu_motion *m, const char *music_path, size_t k,
                            const momu_render_opts *o, momu_err *e) {
    momu_render_opts def;
    if (!o) { momu_render_opts_default(&def); o = &def; }
    if (momu_motion_check(m, "render: motion", e)) return e ? e->status : MOMU_ERR_ARG;
    float *x = NULL;
    size_t n = 0;
    unsigned sr = 0;
    double *beats = NULL;
    size_t n_beats = 0;
    int want_beats = o->beats == MOMU_RENDER_BEATS_MUSIC || o->beats == MOMU_RENDER_BEATS_BOTH;
    momu_status st;
    if (music_path && (st = load_music(music_path, (double)m->n_frames / (double)m->fps, &x, &n, &sr, &beats,
                                       &n_beats, want_beats, e)))
        return st;
    free(x);
    momu_render_scene *s = NULL;
    st = momu_render_scene_init(&s, m, beats, n_beats, o, e);
    free(beats);
    if (st) return st;
    momu_image im;
    if (!(st = momu_image_init(&im, o->width, o->height, e))) {
        if (!(st = momu_render_scene_frame(s, k, &im, e))) st = momu_png_write(png_path, &im, e);
        momu_image_free(&im);
    }
    momu_render_scene_free(s);
    return st;
}
