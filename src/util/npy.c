/* momu — NumPy .npy reader/writer. Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 * magic "\x93NUMPY", major, minor, header length (u16 for 1.0, u32 for 2.0/3.0), a Python dict literal
 * {'descr': '<f4', 'fortran_order': False, 'shape': (T, J, 3), } padded with spaces to a multiple of 64. */
#include "momu/npy.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *find_key(const char *hdr, const char *key) {
    const char *p = strstr(hdr, key);
    if (!p) return NULL;
    p += strlen(key);
    while (*p == ' ' || *p == '\'' || *p == '"') p++;
    if (*p != ':') return NULL;
    p++;
    while (*p == ' ') p++;
    return p;
}

momu_status momu_npy_read(const char *path, momu_npy *out, int reject_nonfinite, momu_err *e) {
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) return momu_fail(e, MOMU_ERR_IO, "%s: cannot open (%s)", path, strerror(errno));
    momu_status st = MOMU_OK;
    char *hdr = NULL;
    unsigned char pre[12];
    if (fseek(f, 0, SEEK_END) != 0) { st = momu_fail(e, MOMU_ERR_IO, "%s: cannot seek", path); goto done; }
    long fsize_l = ftell(f);
    rewind(f);
    if (fsize_l < 0) { st = momu_fail(e, MOMU_ERR_IO, "%s: not a regular file", path); goto done; }
    size_t fsize = (size_t)fsize_l;
    if (fsize < 10 || fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: not a .npy file (missing \\x93NUMPY magic)", path);
        goto done;
    }
    unsigned major = pre[6];
    size_t hlen, pre_len;
    if (major == 1) {
        hlen = (size_t)pre[8] | ((size_t)pre[9] << 8);
        pre_len = 10;
    } else if (major == 2 || major == 3) {
        if (fread(pre + 10, 1, 2, f) != 2) {
            st = momu_fail(e, MOMU_ERR_FORMAT, "%s: truncated .npy preamble", path);
            goto done;
        }
        hlen = (size_t)pre[8] | ((size_t)pre[9] << 8) | ((size_t)pre[10] << 16) | ((size_t)pre[11] << 24);
        pre_len = 12;
    } else {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: unsupported .npy version %u", path, major);
        goto done;
    }
    if (hlen > 65536 || pre_len + hlen > fsize) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: .npy header length %zu is invalid for a %zu-byte file", path, hlen,
                       fsize);
        goto done;
    }
    hdr = malloc(hlen + 1);
    if (!hdr) { st = momu_fail(e, MOMU_ERR_OOM, "%s: out of memory", path); goto done; }
    if (fread(hdr, 1, hlen, f) != hlen) { st = momu_fail(e, MOMU_ERR_FORMAT, "%s: truncated header", path); goto done; }
    hdr[hlen] = 0;

    const char *d = find_key(hdr, "descr");
    size_t esize = 0;
    int is_f64 = 0;
    if (d && (!strncmp(d, "'<f4'", 5) || !strncmp(d, "'|f4'", 5))) esize = 4;
    else if (d && (!strncmp(d, "'<f8'", 5) || !strncmp(d, "'|f8'", 5))) { esize = 8; is_f64 = 1; }
    if (!esize) {
        char shown[16] = "?";
        if (d) { size_t k = 0; while (d[k] && d[k] != ',' && k < 15) { shown[k] = d[k]; k++; } shown[k] = 0; }
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: dtype %s not supported (need little-endian float32 '<f4' or float64 '<f8')",
                       path, shown);
        goto done;
    }
    const char *fo = find_key(hdr, "fortran_order");
    if (!fo || strncmp(fo, "False", 5) != 0) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: Fortran-ordered arrays are not supported (save with C order)", path);
        goto done;
    }
    const char *s = find_key(hdr, "shape");
    if (!s || *s != '(') { st = momu_fail(e, MOMU_ERR_FORMAT, "%s: .npy header has no shape", path); goto done; }
    s++;
    size_t numel = 1;
    int nd = 0;
    for (;;) {
        while (*s == ' ' || *s == ',') s++;
        if (*s == ')') break;
        if (*s < '0' || *s > '9') { st = momu_fail(e, MOMU_ERR_FORMAT, "%s: malformed shape in header", path); goto done; }
        if (nd >= MOMU_NPY_MAX_DIMS) { st = momu_fail(e, MOMU_ERR_FORMAT, "%s: more than %d dimensions", path, MOMU_NPY_MAX_DIMS); goto done; }
        errno = 0;
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || v > (unsigned long long)SIZE_MAX || !momu_mul_ok(numel, (size_t)v, &numel)) {
            st = momu_fail(e, MOMU_ERR_RANGE, "%s: shape is absurdly large", path);
            goto done;
        }
        out->shape[nd++] = (size_t)v;
        s = end;
    }
    out->ndim = nd;
    size_t bytes;
    if (!momu_mul_ok(numel, esize, &bytes) || bytes > MOMU_MAX_INPUT_BYTES) {
        st = momu_fail(e, MOMU_ERR_RANGE, "%s: array of %zu elements is larger than accepted", path, numel);
        goto done;
    }
    size_t data_off = pre_len + hlen;
    if (fsize - data_off < bytes) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: truncated: header promises %zu bytes of data, file has %zu", path,
                       bytes, fsize - data_off);
        goto done;
    }
    if (fsize - data_off > bytes) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: %zu unexpected trailing bytes after the array", path,
                       fsize - data_off - bytes);
        goto done;
    }
    out->numel = numel;
    out->data = momu_malloc_array(numel ? numel : 1, sizeof(float), e);
    if (!out->data) { st = MOMU_ERR_OOM; goto done; }
    const size_t chunk = 1 << 16;
    unsigned char *buf = malloc(chunk * esize);
    if (!buf) { st = momu_fail(e, MOMU_ERR_OOM, "%s: out of memory", path); goto done; }
    for (size_t i = 0; i < numel; i += chunk) {
        size_t n = numel - i < chunk ? numel - i : chunk;
        if (fread(buf, esize, n, f) != n) { st = momu_fail(e, MOMU_ERR_IO, "%s: read failed", path); break; }
        for (size_t k = 0; k < n; k++) {
            const unsigned char *b = buf + k * esize;
            float v;
            if (is_f64) {
                uint64_t u = 0;
                for (int q = 7; q >= 0; q--) u = (u << 8) | b[q];
                double dv;
                memcpy(&dv, &u, 8);
                v = (float)dv;
                if (isfinite(dv) && !isfinite(v)) v = NAN; /* float64 beyond float32 range */
            } else {
                uint32_t u = (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
                memcpy(&v, &u, 4);
            }
            if (reject_nonfinite && !isfinite(v)) {
                st = momu_fail(e, MOMU_ERR_RANGE, "%s: non-finite value (NaN or Inf) at flat index %zu", path, i + k);
                break;
            }
            out->data[i + k] = v;
        }
        if (st) break;
    }
    free(buf);
done:
    free(hdr);
    fclose(f);
    if (st) momu_npy_free(out);
    return st;
}

void momu_npy_free(momu_npy *a) {
    free(a->data);
    memset(a, 0, sizeof *a);
}

momu_status momu_npy_write_f32(const char *path, const float *data, int ndim, const size_t *shape, momu_err *e) {
    if (ndim < 0 || ndim > MOMU_NPY_MAX_DIMS) return momu_fail(e, MOMU_ERR_ARG, "%s: bad ndim %d", path, ndim);
    char dict[512];
    int n = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (");
    size_t numel = 1;
    for (int i = 0; i < ndim; i++) {
        n += snprintf(dict + n, sizeof dict - (size_t)n, "%zu,%s", shape[i], (ndim > 1 && i + 1 < ndim) ? " " : "");
        if (!momu_mul_ok(numel, shape[i], &numel)) return momu_fail(e, MOMU_ERR_RANGE, "%s: shape overflows", path);
    }
    if (ndim > 1) n--; /* drop the trailing comma except for 1-d tuples "(n,)" */
    n += snprintf(dict + n, sizeof dict - (size_t)n, "), }");
    size_t total = 10 + (size_t)n + 1;
    size_t pad = (64 - total % 64) % 64;
    size_t hlen = (size_t)n + pad + 1;
    momu_atomic a;
    momu_status st = momu_atomic_open(&a, path, e);
    if (st) return st;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 255), (unsigned char)(hlen >> 8)};
    fwrite(pre, 1, 10, a.f);
    fwrite(dict, 1, (size_t)n, a.f);
    for (size_t i = 0; i < pad; i++) fputc(' ', a.f);
    fputc('\n', a.f);
    for (size_t i = 0; i < numel; i++) {
        uint32_t u;
        memcpy(&u, &data[i], 4);
        unsigned char b[4] = {(unsigned char)u, (unsigned char)(u >> 8), (unsigned char)(u >> 16), (unsigned char)(u >> 24)};
        fwrite(b, 1, 4, a.f);
    }
    return momu_atomic_commit(&a, e);
}
