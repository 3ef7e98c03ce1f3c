/* momu audio — decoding (libsndfile), mixing to mono, resampling (libsamplerate), 16-bit WAV output. */
#include <errno.h>
#include <math.h>
#include <samplerate.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audio_internal.h"

static uint32_t rd_u32le(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* libsndfile quietly shortens a WAV whose data chunk is cut off (it logs a warning and returns fewer
 * frames), so a truncated download would decode as a shorter song. Walk the RIFF chunks ourselves and
 * refuse a data chunk that claims more bytes than the file holds. 0 and 0xFFFFFFFF are the sizes streaming
 * writers leave when they cannot seek back; those are accepted (libsndfile then reads to the end). */
static momu_status check_wav_chunks(FILE *f, const char *path, long long file_size, momu_err *e) {
    unsigned char h[12];
    if (fseek(f, 0, SEEK_SET) != 0 || fread(h, 1, 12, f) != 12) return MOMU_OK;   /* too short: sf_open reports */
    if (memcmp(h, "RIFF", 4) != 0 || memcmp(h + 8, "WAVE", 4) != 0) return MOMU_OK;
    long long pos = 12;
    for (int guard = 0; guard < 4096; guard++) {
        unsigned char c[8];
        if (pos + 8 > file_size) break;
        if (fseek(f, (long)pos, SEEK_SET) != 0 || fread(c, 1, 8, f) != 8) break;
        uint32_t sz = rd_u32le(c + 4);
        if (memcmp(c, "data", 4) == 0) {
            if (sz == 0 || sz == 0xFFFFFFFFu) return MOMU_OK;
            if (pos + 8 + (long long)sz > file_size)
                return momu_fail(e, MOMU_ERR_FORMAT,
                                 "%s: truncated WAV: the data chunk declares %u bytes but only %lld are present",
                                 path, sz, file_size - pos - 8);
            return MOMU_OK;
        }
        pos += 8 + (long long)sz + (sz & 1);
    }
    return MOMU_OK;   /* no data chunk found: libsndfile will say what is wrong */
}

momu_status momu_audio_load_native(const char *path, float **samples, size_t *n, unsigned *sr, momu_err *e) {
    *samples = NULL;
    *n = 0;
    *sr = 0;
    if (!path || !*path) return momu_fail(e, MOMU_ERR_ARG, "no audio path given");
    struct stat stt;
    if (stat(path, &stt) != 0) return momu_fail(e, MOMU_ERR_IO, "%s: cannot open (%s)", path, strerror(errno));
    if (!S_ISREG(stt.st_mode)) return momu_fail(e, MOMU_ERR_IO, "%s: not a regular file", path);
    if (stt.st_size == 0) return momu_fail(e, MOMU_ERR_FORMAT, "%s: empty file", path);
    FILE *fp = fopen(path, "rb");
    if (!fp) return momu_fail(e, MOMU_ERR_IO, "%s: cannot open (%s)", path, strerror(errno));
    momu_status st = check_wav_chunks(fp, path, (long long)stt.st_size, e);
    fclose(fp);
    if (st) return st;

    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf)
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: not a readable audio file (libsndfile: %s)", path,
                         sf_strerror(NULL));
    if (info.channels < 1 || info.channels > 64) {
        sf_close(sf);
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: %d channels (accepted: 1..64)", path, info.channels);
    }
    if (info.samplerate < 1 || info.samplerate > 1000000) {
        sf_close(sf);
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: sample rate %d Hz (accepted: 1..1000000)", path, info.samplerate);
    }
    if (info.frames <= 0) {
        sf_close(sf);
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: no audio samples", path);
    }
    double seconds = (double)info.frames / info.samplerate;
    if (seconds > MOMU_AUDIO_MAX_SECONDS) {
        sf_close(sf);
        return momu_fail(e, MOMU_ERR_RANGE,
                         "%s: declares %.0f s of audio, more than the %.0f s (3 h) accepted (too long, or a corrupt "
                         "or truncated file: a cut Ogg stream reports a garbage length)",
                         path, seconds, MOMU_AUDIO_MAX_SECONDS);
    }
    const size_t ch = (size_t)info.channels, frames = (size_t)info.frames;
    if (frames > MOMU_MAX_INPUT_BYTES / sizeof(float)) {
        sf_close(sf);
        return momu_fail(e, MOMU_ERR_RANGE, "%s: %zu frames need more than the %zu bytes accepted for one input",
                         path, frames, MOMU_MAX_INPUT_BYTES);
    }
    float *mono = momu_malloc_array(frames, sizeof(float), e);
    float *buf = momu_malloc_array(4096, ch * sizeof(float), e);
    if (!mono || !buf) {
        free(mono); free(buf); sf_close(sf);
        return MOMU_ERR_OOM;
    }
    size_t got = 0;
    while (got < frames) {
        sf_count_t want = (sf_count_t)(frames - got < 4096 ? frames - got : 4096);
        sf_count_t r = sf_readf_float(sf, buf, want);
        if (r <= 0) break;
        for (sf_count_t i = 0; i < r; i++) {
            /* mono = channel mean, as librosa.to_mono */
            double acc = 0.0;
            for (size_t c = 0; c < ch; c++) acc += buf[(size_t)i * ch + c];
            float v = (float)(acc / (double)ch);
            if (!isfinite(v)) {
                free(mono); free(buf); sf_close(sf);
                return momu_fail(e, MOMU_ERR_RANGE, "%s: non-finite sample (NaN or Inf) at frame %zu", path,
                                 got + (size_t)i);
            }
            mono[got + (size_t)i] = v;
        }
        got += (size_t)r;
    }
    int err = sf_error(sf);
    int is_mp3 = (info.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_MPEG;
    sf_close(sf);
    free(buf);
    if (err != SF_ERR_NO_ERROR && got < frames) {
        free(mono);
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: corrupt audio after %zu of %zu frames (libsndfile: %s)", path, got,
                         frames, sf_error_number(err));
    }
    /* An MP3's frame count is an estimate from its header (Xing/LAME tag or bitrate): allow a shortfall of
     * two MPEG frames or 1 %; other formats state the count exactly. */
    size_t slack = is_mp3 ? (frames / 100 > 2304 ? frames / 100 : 2304) : 0;
    if (got + slack < frames) {
        free(mono);
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: truncated or corrupt: decoded %zu of the %zu frames declared", path,
                         got, frames);
    }
    if (got == 0) {
        free(mono);
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: no audio samples", path);
    }
    *samples = mono;
    *n = got;
    *sr = (unsigned)info.samplerate;
    return MOMU_OK;
}

momu_status momu_resample(const float *x, size_t n, unsigned sr_in, unsigned sr_out, float **y, size_t *n_out,
                          momu_err *e) {
    *y = NULL;
    *n_out = 0;
    if (!x || n == 0) return momu_fail(e, MOMU_ERR_ARG, "resampling an empty signal");
    if (sr_in == 0 || sr_out == 0 || sr_in > 1000000 || sr_out > 1000000)
        return momu_fail(e, MOMU_ERR_ARG, "resampling %u Hz -> %u Hz: rates must be in 1..1000000", sr_in, sr_out);
    double ratio = (double)sr_out / (double)sr_in;
    double want_d = floor((double)n * ratio + 0.5);
    if (want_d < 1.0 || want_d > (double)SIZE_MAX / 8 || want_d > 9e15)
        return momu_fail(e, MOMU_ERR_RANGE, "resampling %zu samples %u -> %u Hz gives an unusable length", n, sr_in,
                         sr_out);
    size_t want = (size_t)want_d;
    float *out = momu_calloc_array(want + 64, sizeof(float), e);
    if (!out) return MOMU_ERR_OOM;
    if (sr_in == sr_out) {
        memcpy(out, x, n * sizeof(float));
        *y = out;
        *n_out = n;
        return MOMU_OK;
    }
    if (!src_is_valid_ratio(ratio)) {
        free(out);
        return momu_fail(e, MOMU_ERR_ARG, "resampling ratio %g (%u -> %u Hz) not supported by libsamplerate", ratio,
                         sr_in, sr_out);
    }
    /* One src_simple call over the whole signal: the converter sees the end of input and flushes its filter,
     * so the output is time-aligned with the input (no leading delay) and has about n*ratio samples. */
    SRC_DATA d;
    memset(&d, 0, sizeof d);
    d.data_in = x;
    d.input_frames = (long)n;
    d.data_out = out;
    d.output_frames = (long)(want + 64);
    d.src_ratio = ratio;
    d.end_of_input = 1;
    int err = src_simple(&d, SRC_SINC_BEST_QUALITY, 1);
    if (err) {
        free(out);
        return momu_fail(e, MOMU_ERR_STATE, "resampling %u -> %u Hz failed (libsamplerate: %s)", sr_in, sr_out,
                         src_strerror(err));
    }
    /* libsamplerate may stop a few samples short of n*ratio; the tail stays zero (calloc) so the length is
     * always round(n*ratio), which keeps frame counts predictable. */
    *y = out;
    *n_out = want;
    return MOMU_OK;
}

momu_status momu_audio_load(const char *path, unsigned target_sr, float **samples, size_t *n, momu_err *e) {
    *samples = NULL;
    *n = 0;
    if (target_sr == 0 || target_sr > 1000000)
        return momu_fail(e, MOMU_ERR_ARG, "%s: target sample rate %u Hz out of range", path ? path : "(null)",
                         target_sr);
    float *x;
    size_t nx;
    unsigned sr;
    momu_status st = momu_audio_load_native(path, &x, &nx, &sr, e);
    if (st) return st;
    if (sr == target_sr) {
        *samples = x;
        *n = nx;
        return MOMU_OK;
    }
    momu_err le = {MOMU_OK, {0}};
    st = momu_resample(x, nx, sr, target_sr, samples, n, &le);
    free(x);
    if (st) return momu_fail(e, st, "%s: %.900s", path, le.msg);   /* name the file as well */
    return MOMU_OK;
}

static void put_u32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
}
static void put_u16(unsigned char *p, uint16_t v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }

momu_status momu_audio_write_wav(const char *path, const float *x, size_t n, unsigned sr, momu_err *e) {
    if (!path || !*path) return momu_fail(e, MOMU_ERR_ARG, "no output path given");
    if (!x && n) return momu_fail(e, MOMU_ERR_ARG, "%s: no samples", path);
    if (sr == 0 || sr > 1000000) return momu_fail(e, MOMU_ERR_ARG, "%s: sample rate %u Hz out of range", path, sr);
    if (n > (0xFFFFFFFFu - 36u) / 2u) return momu_fail(e, MOMU_ERR_RANGE, "%s: %zu samples do not fit a WAV", path, n);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return momu_fail(e, MOMU_ERR_RANGE, "%s: non-finite sample at index %zu", path, i);
    /* canonical 44-byte RIFF/WAVE header, PCM 16-bit mono, little-endian fields (written byte by byte) */
    unsigned char h[44];
    memcpy(h, "RIFF", 4); put_u32(h + 4, (uint32_t)(36 + 2 * n)); memcpy(h + 8, "WAVEfmt ", 8);
    put_u32(h + 16, 16); put_u16(h + 20, 1); put_u16(h + 22, 1); put_u32(h + 24, sr); put_u32(h + 28, sr * 2u);
    put_u16(h + 32, 2); put_u16(h + 34, 16); memcpy(h + 36, "data", 4); put_u32(h + 40, (uint32_t)(2 * n));
    momu_atomic a;
    momu_status st = momu_atomic_open(&a, path, e);
    if (st) return st;
    fwrite(h, 1, sizeof h, a.f);
    unsigned char buf[8192];
    size_t fill = 0;
    for (size_t i = 0; i < n; i++) {
        /* scale 32768 (the inverse of libsndfile's and numpy's int16 / 32768 on reading, so a read-write
         * round trip is exact), round to nearest, clip to [-32768, 32767] */
        long s = lrint((double)x[i] * 32768.0);
        s = s > 32767 ? 32767 : s < -32768 ? -32768 : s;
        put_u16(buf + fill, (uint16_t)(int16_t)s);
        fill += 2;
        if (fill == sizeof buf) { fwrite(buf, 1, fill, a.f); fill = 0; }
    }
    if (fill) fwrite(buf, 1, fill, a.f);
    return momu_atomic_commit(&a, e);
}
