/* momu — safetensors reader and writer, float16 conversion. See include/momu/safetensors.h.
 * Format: https://github.com/huggingface/safetensors (README "Format"): u64 LE header size N, N bytes of
 * UTF-8 JSON, then the byte buffer; the reference implementation caps N at 100 MB and requires the
 * tensors to cover the buffer exactly, without holes or overlaps. We enforce the same, and more. */
#define _FILE_OFFSET_BITS 64
#include "momu/safetensors.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "momu/json.h"

/* ------------------------------------------------------------------------------------------------ dtypes */

static const char *DTYPE_NAMES[SAFETENSORS_DTYPE_COUNT] = {"F32", "F16"};
static const size_t DTYPE_SIZE[SAFETENSORS_DTYPE_COUNT] = {4, 2};

const char *safetensors_dtype_name(safetensors_dtype d) {
    return (d >= 0 && d < SAFETENSORS_DTYPE_COUNT) ? DTYPE_NAMES[d] : "?";
}

safetensors_dtype safetensors_dtype_from_name(const char *s) {
    for (int i = 0; i < SAFETENSORS_DTYPE_COUNT; i++)
        if (!strcmp(s, DTYPE_NAMES[i])) return (safetensors_dtype)i;
    return SAFETENSORS_DTYPE_COUNT;
}

/* The other dtypes of the safetensors spec: recognised so the message can say "unsupported", not "bad". */
static int dtype_is_known_other(const char *s) {
    static const char *other[] = {"BOOL", "U8", "I8", "I16", "U16", "I32", "U32", "I64", "U64", "F64", "BF16",
                                  "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64"};
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        if (!strcmp(s, other[i])) return 1;
    return 0;
}

static uint32_t f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

/* CRC-32 of zlib / PNG (reflected polynomial 0xEDB88320), streaming: crc = crc32_update(crc, ...) starting
 * from 0; equal to Python's zlib.crc32. */
static uint32_t crc32_update(uint32_t crc, const unsigned char *p, size_t n) {
    uint32_t table[256];   /* rebuilt per call (2k operations; callers pass >= 16 KB chunks): no shared state */
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1u) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    crc = ~crc;
    for (size_t i = 0; i < n; i++) crc = table[(crc ^ p[i]) & 0xffu] ^ (crc >> 8);
    return ~crc;
}

/* The checksum's key as it appears in a header written by momu (compact JSON), up to its value. */
#define CRC_PATTERN "\"" SAFETENSORS_CRC_KEY "\":\""

/* IEEE 754-2008 binary32 -> binary16, round to nearest, ties to even (as numpy's npy_floatbits_to_halfbits
 * and torch's c10::detail::fp16_ieee_from_fp32_value). */
uint16_t f32_to_f16(float f) {
    uint32_t x = f32_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t e = (x >> 23) & 0xffu, mant = x & 0x7fffffu;
    if (e == 0xff) {
        if (!mant) return sign | 0x7c00u;                       /* inf */
        uint16_t hm = (uint16_t)(mant >> 13);                   /* keep the top payload bits */
        if (!hm) hm = 0x200;                                     /* payload only in the low bits: stay NaN */
        return sign | 0x7c00u | hm;
    }
    if (e > 142) return sign | 0x7c00u;                          /* >= 2^16: overflow to inf */
    if (e >= 113) {                                              /* half normal range, 2^-14 .. */
        uint32_t h = ((e - 112) << 10) | (mant >> 13);
        uint32_t r = mant & 0x1fffu;
        if (r > 0x1000u || (r == 0x1000u && (h & 1u))) h++;      /* a carry into the exponent is correct,
                                                                    up to 0x7c00 = inf */
        return (uint16_t)(sign | h);
    }
    if (e == 0) return sign;                                     /* f32 subnormals are < 2^-126: zero */
    /* half subnormal: value / 2^-24 = (mant | 2^23) * 2^(e - 126 - 23 + 23) -> shift right by 126 - e */
    uint32_t m = mant | 0x800000u, shift = 126 - e;              /* shift >= 14 */
    if (shift > 24) return sign;                                 /* < 2^-25: rounds to zero */
    uint32_t q = m >> shift, r = m & ((1u << shift) - 1u), half = 1u << (shift - 1);
    if (r > half || (r == half && (q & 1u))) q++;
    return (uint16_t)(sign | q);
}

float f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t e = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
    if (e == 0) {
        float v = (float)mant * 5.9604644775390625e-8f;          /* mant * 2^-24, exact */
        return bits_f32(f32_bits(v) | sign);
    }
    if (e == 31) return bits_f32(sign | 0x7f800000u | (mant << 13));
    return bits_f32(sign | ((e + 112) << 23) | (mant << 13));
}

/* ----------------------------------------------------------------------------------------------- metadata */

void safetensors_meta_init(safetensors_meta *m) { memset(m, 0, sizeof *m); }

void safetensors_meta_free(safetensors_meta *m) {
    for (size_t i = 0; i < m->n; i++) { free(m->keys[i]); free(m->vals[i]); }
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

static char *dup_str(const char *s, momu_err *e) {
    size_t n = strlen(s);
    char *d = momu_malloc_array(n + 1, 1, e);
    if (d) memcpy(d, s, n + 1);
    return d;
}

momu_status safetensors_meta_put(safetensors_meta *m, const char *key, const char *val, momu_err *e) {
    if (!key || !val) return momu_fail(e, MOMU_ERR_ARG, "safetensors metadata: NULL key or value");
    char *v = dup_str(val, e);
    if (!v) return MOMU_ERR_OOM;
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->keys[i], key)) { free(m->vals[i]); m->vals[i] = v; return MOMU_OK; }
    if (m->n == m->cap) {
        size_t nc = m->cap ? 2 * m->cap : 16;
        char **nk = momu_realloc_array(m->keys, nc, sizeof *nk, e);
        if (!nk) { free(v); return MOMU_ERR_OOM; }
        m->keys = nk;
        char **nv = momu_realloc_array(m->vals, nc, sizeof *nv, e);
        if (!nv) { free(v); return MOMU_ERR_OOM; }
        m->vals = nv;
        m->cap = nc;
    }
    char *k = dup_str(key, e);
    if (!k) { free(v); return MOMU_ERR_OOM; }
    m->keys[m->n] = k;
    m->vals[m->n] = v;
    m->n++;
    return MOMU_OK;
}

momu_status safetensors_meta_putf(safetensors_meta *m, const char *key, momu_err *e, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof buf)
        return momu_fail(e, MOMU_ERR_ARG, "safetensors metadata: value of '%s' longer than %zu bytes (use _put)",
                         key, sizeof buf - 1);
    return safetensors_meta_put(m, key, buf, e);
}

const char *safetensors_meta_get(const safetensors_meta *m, const char *key) {
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->keys[i], key)) return m->vals[i];
    return NULL;
}

/* ------------------------------------------------------------------------------------------------ writer */

static void put_u64_le(unsigned char *b, uint64_t v) {
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
}

static size_t tensor_numel(const safetensors_tensor *t) {
    size_t n = 1;
    for (int d = 0; d < t->ndim; d++) n *= t->shape[d];
    return n;
}

momu_status safetensors_write(const char *path, const safetensors_tensor *t, size_t n, safetensors_dtype dtype,
                              const safetensors_meta *meta, momu_err *e) {
    return safetensors_write_ex(path, t, n, dtype, NULL, meta, 0, e);
}

momu_status safetensors_write_ex(const char *path, const safetensors_tensor *t, size_t n, safetensors_dtype dtype,
                                 const safetensors_dtype *dtypes, const safetensors_meta *meta, int flags,
                                 momu_err *e) {
    if (dtype < 0 || dtype >= SAFETENSORS_DTYPE_COUNT) return momu_fail(e, MOMU_ERR_ARG, "%s: bad dtype", path);
    for (size_t i = 0; dtypes && i < n; i++)
        if (dtypes[i] < 0 || dtypes[i] >= SAFETENSORS_DTYPE_COUNT)
            return momu_fail(e, MOMU_ERR_ARG, "%s: bad dtype for tensor %zu", path, i);
    /* validate everything before creating the file */
    for (size_t i = 0; i < n; i++) {
        safetensors_dtype dt = dtypes ? dtypes[i] : dtype;
        if (!t[i].name || !*t[i].name || !strcmp(t[i].name, "__metadata__"))
            return momu_fail(e, MOMU_ERR_ARG, "%s: tensor %zu has an empty or reserved name", path, i);
        if (t[i].ndim < 0 || t[i].ndim > SAFETENSORS_MAX_DIMS)
            return momu_fail(e, MOMU_ERR_ARG, "%s: %s: ndim %d, expected 0..%d", path, t[i].name, t[i].ndim,
                             SAFETENSORS_MAX_DIMS);
        size_t ne = 1;
        for (int d = 0; d < t[i].ndim; d++)
            if (!momu_mul_ok(ne, t[i].shape[d], &ne))
                return momu_fail(e, MOMU_ERR_ARG, "%s: %s: size overflows", path, t[i].name);
        if (ne > (SIZE_MAX >> 4)) return momu_fail(e, MOMU_ERR_ARG, "%s: %s: size overflows", path, t[i].name);
        if (ne && !t[i].data) return momu_fail(e, MOMU_ERR_ARG, "%s: %s: no data", path, t[i].name);
        for (size_t k = 0; k < ne; k++) {
            if (!isfinite(t[i].data[k]))
                return momu_fail(e, MOMU_ERR_RANGE, "%s: tensor %s has a non-finite value at index %zu", path,
                                 t[i].name, k);
            /* the reader rejects inf, so the writer must not produce it */
            if (dt == SAFETENSORS_F16 && (f32_to_f16(t[i].data[k]) & 0x7fffu) == 0x7c00u)
                return momu_fail(e, MOMU_ERR_RANGE,
                                 "%s: tensor %s value %g at index %zu overflows float16 (largest 65504); save as F32",
                                 path, t[i].name, (double)t[i].data[k], k);
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(t[i].name, t[j].name))
                return momu_fail(e, MOMU_ERR_ARG, "%s: duplicate tensor name '%s'", path, t[i].name);
    }
    /* the JSON header, in memory */
    char *hdr = NULL;
    size_t hlen = 0;
    FILE *hf = open_memstream(&hdr, &hlen);
    if (!hf) return momu_fail(e, MOMU_ERR_OOM, "%s: cannot build the header", path);
    fputc('{', hf);
    int first = 1;
    int crc = (flags & SAFETENSORS_WRITE_CRC) != 0;
    if ((meta && meta->n) || crc) {
        fputs("\"__metadata__\":{", hf);
        size_t k = 0;
        for (size_t i = 0; meta && i < meta->n; i++) {
            if (!strcmp(meta->keys[i], SAFETENSORS_CRC_KEY)) continue;   /* a stale checksum (re-packing) */
            if (k++) fputc(',', hf);
            momu_json_write_string(hf, meta->keys[i]);
            fputc(':', hf);
            momu_json_write_string(hf, meta->vals[i]);
        }
        if (crc) fprintf(hf, "%s%s00000000\"", k ? "," : "", CRC_PATTERN);   /* patched once the data is written */
        fputc('}', hf);
        first = 0;
    }
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        safetensors_dtype dt = dtypes ? dtypes[i] : dtype;
        size_t bytes = tensor_numel(&t[i]) * DTYPE_SIZE[dt];
        if (!first) fputc(',', hf);
        first = 0;
        momu_json_write_string(hf, t[i].name);
        fprintf(hf, ":{\"dtype\":\"%s\",\"shape\":[", DTYPE_NAMES[dt]);
        for (int d = 0; d < t[i].ndim; d++) fprintf(hf, d ? ",%zu" : "%zu", t[i].shape[d]);
        fprintf(hf, "],\"data_offsets\":[%zu,%zu]}", off, off + bytes);
        off += bytes;
    }
    fputc('}', hf);
    /* pad with spaces so the byte buffer starts 8-byte aligned (8 + N is a multiple of 8) */
    fflush(hf);
    while (hlen % 8) { fputc(' ', hf); fflush(hf); }
    if (ferror(hf)) { fclose(hf); free(hdr); return momu_fail(e, MOMU_ERR_OOM, "%s: cannot build the header", path); }
    fclose(hf);

    momu_atomic a;
    momu_status st = momu_atomic_open(&a, path, e);
    if (st) { free(hdr); return st; }
    unsigned char len8[8];
    put_u64_le(len8, (uint64_t)hlen);
    /* the checksum's placeholder: the pattern occurs only there (a '"' inside a JSON string is escaped, and
     * other keys are followed by '{' or by a value that is not the checksum key) */
    const char *ph = crc ? strstr(hdr, CRC_PATTERN) : NULL;
    size_t crc_at = ph ? 8 + (size_t)(ph - hdr) + strlen(CRC_PATTERN) : 0;
    uint32_t sum = crc32_update(crc32_update(0, len8, 8), (const unsigned char *)hdr, hlen);
    fwrite(len8, 1, 8, a.f);
    fwrite(hdr, 1, hlen, a.f);
    free(hdr);
    enum { CHUNK = 4096 };
    unsigned char buf[CHUNK * 4];
    for (size_t i = 0; i < n; i++) {
        size_t ne = tensor_numel(&t[i]);
        safetensors_dtype dt = dtypes ? dtypes[i] : dtype;
        size_t ds = DTYPE_SIZE[dt];
        for (size_t k0 = 0; k0 < ne; k0 += CHUNK) {
            size_t nk = ne - k0 < CHUNK ? ne - k0 : CHUNK;
            const float *src = t[i].data + k0;
            if (dt == SAFETENSORS_F32) {
                for (size_t k = 0; k < nk; k++) {
                    uint32_t u = f32_bits(src[k]);
                    for (int b = 0; b < 4; b++) buf[4 * k + (size_t)b] = (unsigned char)(u >> (8 * b));
                }
            } else {
                for (size_t k = 0; k < nk; k++) {
                    uint16_t u = f32_to_f16(src[k]);
                    buf[2 * k] = (unsigned char)u;
                    buf[2 * k + 1] = (unsigned char)(u >> 8);
                }
            }
            fwrite(buf, 1, nk * ds, a.f);
            if (crc) sum = crc32_update(sum, buf, nk * ds);
        }
    }
    if (crc) {
        char hex[9];
        snprintf(hex, sizeof hex, "%08x", (unsigned)sum);
        if (fseeko(a.f, (off_t)crc_at, SEEK_SET) != 0 || fwrite(hex, 1, 8, a.f) != 8) {
            momu_atomic_abort(&a);
            return momu_fail(e, MOMU_ERR_IO, "%s: cannot write the checksum (%s)", path, strerror(errno));
        }
    }
    return momu_atomic_commit(&a, e);
}

momu_status safetensors_write_tables(const char *path, size_t n_tables, const char *const *prefixes,
                                     const tensor_table *const *tabs, const float *const *bases,
                                     safetensors_dtype dtype, const safetensors_meta *meta, momu_err *e) {
    size_t n = 0, np = 0;
    for (size_t k = 0; k < n_tables; k++) {
        n += (size_t)tabs[k]->n;
        size_t lp = prefixes && prefixes[k] ? strlen(prefixes[k]) : 0;
        if (lp > np) np = lp;
    }
    safetensors_tensor *t = momu_calloc_array(n ? n : 1, sizeof *t, e);
    /* names with a prefix live in one block of n fixed-size slots */
    size_t slot = np + TENSOR_NAME_MAX + 1;
    char *names = momu_malloc_array(n ? n : 1, slot, e);
    if (!t || !names) { free(t); free(names); return MOMU_ERR_OOM; }
    size_t j = 0;
    for (size_t k = 0; k < n_tables; k++) {
        const tensor_table *tab = tabs[k];
        const char *pre = prefixes && prefixes[k] ? prefixes[k] : "";
        for (int i = 0; i < tab->n; i++, j++) {
            const tensor_spec *s = &tab->t[i];
            char *nm = names + j * slot;
            snprintf(nm, slot, "%s%s", pre, s->name);
            t[j].name = nm;
            t[j].ndim = s->ndim;
            for (int d = 0; d < s->ndim; d++) t[j].shape[d] = s->shape[d];
            t[j].data = bases[k] + s->offset;
        }
    }
    momu_status st = safetensors_write(path, t, n, dtype, meta, e);
    free(t);
    free(names);
    return st;
}

momu_status safetensors_write_table(const char *path, const tensor_table *tab, const float *base,
                                    safetensors_dtype dtype, const safetensors_meta *meta, momu_err *e) {
    return safetensors_write_tables(path, 1, NULL, &tab, &base, dtype, meta, e);
}

/* ------------------------------------------------------------------------------------------------ reader */

static void entries_free(safetensors_file *sf) {
    for (size_t i = 0; i < sf->n; i++) free(sf->t[i].name);
    free(sf->t);
    sf->t = NULL;
    sf->n = 0;
}

void safetensors_close(safetensors_file *sf) {
    if (sf->f) fclose(sf->f);
    entries_free(sf);
    safetensors_meta_free(&sf->meta);
    memset(sf, 0, sizeof *sf);
}

/* A JSON number that is a non-negative integer exactly representable in a double (< 2^53). */
static int json_size(const momu_json *j, size_t *out) {
    if (!j || j->type != MOMU_JSON_NUMBER) return 0;
    double v = j->num;
    if (!(v >= 0.0) || v >= 9007199254740992.0 || v != floor(v)) return 0;
    if ((double)(size_t)v != v) return 0;
    *out = (size_t)v;
    return 1;
}

static int cmp_entry_name(const void *a, const void *b) {
    const safetensors_entry *x = *(const safetensors_entry *const *)a, *y = *(const safetensors_entry *const *)b;
    return strcmp(x->name, y->name);
}

static int cmp_entry_offset(const void *a, const void *b) {
    const safetensors_entry *x = *(const safetensors_entry *const *)a, *y = *(const safetensors_entry *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return 0;
}

static momu_status parse_entry(safetensors_file *sf, const char *name, const momu_json *v, size_t data_len,
                               safetensors_entry *out, momu_err *e) {
    const char *p = sf->path;
    if (v->type != MOMU_JSON_OBJECT)
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: header entry '%s' is not an object", p, name);
    for (size_t k = 0; k < v->n; k++)
        if (strcmp(v->keys[k], "dtype") && strcmp(v->keys[k], "shape") && strcmp(v->keys[k], "data_offsets"))
            return momu_fail(e, MOMU_ERR_FORMAT, "%s: tensor '%s': unknown field '%s'", p, name, v->keys[k]);
    const momu_json *dt = momu_json_get(v, "dtype"), *sh = momu_json_get(v, "shape"),
                    *of = momu_json_get(v, "data_offsets");
    if (!dt || dt->type != MOMU_JSON_STRING)
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: tensor '%s': missing or non-string \"dtype\"", p, name);
    safetensors_dtype d = safetensors_dtype_from_name(dt->str);
    if (d == SAFETENSORS_DTYPE_COUNT) {
        if (dtype_is_known_other(dt->str))
            return momu_fail(e, MOMU_ERR_FORMAT,
                             "%s: tensor '%s': dtype %s is not supported (momu reads F32 and F16); convert the "
                             "checkpoint to float32", p, name, dt->str);
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: tensor '%s': unknown dtype '%.32s'", p, name, dt->str);
    }
    if (!sh || sh->type != MOMU_JSON_ARRAY)
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: tensor '%s': missing or non-array \"shape\"", p, name);
    if (sh->n > SAFETENSORS_MAX_DIMS)
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: tensor '%s': %zu dimensions, at most %d accepted", p, name,
                         sh->n, SAFETENSORS_MAX_DIMS);
    if (!of || of->type != MOMU_JSON_ARRAY || of->n != 2)
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: tensor '%s': \"data_offsets\" must be [begin, end]", p, name);
    memset(out, 0, sizeof *out);
    out->dtype = d;
    out->ndim = (int)sh->n;
    size_t numel = 1;
    for (size_t k = 0; k < sh->n; k++) {
        if (!json_size(&sh->items[k], &out->shape[k]))
            return momu_fail(e, MOMU_ERR_FORMAT, "%s: tensor '%s': shape[%zu] is not a non-negative integer", p,
                             name, k);
        if (!momu_mul_ok(numel, out->shape[k], &numel))
            return momu_fail(e, MOMU_ERR_RANGE, "%s: tensor '%s': element count overflows", p, name);
    }
    size_t bytes;
    if (!momu_mul_ok(numel, DTYPE_SIZE[d], &bytes))
        return momu_fail(e, MOMU_ERR_RANGE, "%s: tensor '%s': byte size overflows", p, name);
    out->numel = numel;
    if (!json_size(&of->items[0], &out->begin) || !json_size(&of->items[1], &out->end))
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: tensor '%s': data_offsets are not non-negative integers", p,
                         name);
    if (out->begin > out->end)
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: tensor '%s': data_offsets [%zu, %zu] run backwards", p, name,
                         out->begin, out->end);
    if (out->end > data_len)
        return momu_fail(e, MOMU_ERR_FORMAT,
                         "%s: tensor '%s': data_offsets [%zu, %zu] out of range: the data buffer has %zu bytes", p,
                         name, out->begin, out->end, data_len);
    if (out->end - out->begin != bytes)
        return momu_fail(e, MOMU_ERR_FORMAT,
                         "%s: tensor '%s': data_offsets span %zu bytes, but shape x %s needs %zu", p, name,
                         out->end - out->begin, DTYPE_NAMES[d], bytes);
    return MOMU_OK;
}

static momu_status parse_header(safetensors_file *sf, const momu_json *root, size_t data_len, momu_err *e) {
    const char *p = sf->path;
    if (root->type != MOMU_JSON_OBJECT) return momu_fail(e, MOMU_ERR_FORMAT, "%s: header is not a JSON object", p);
    size_t n_t = 0;
    for (size_t i = 0; i < root->n; i++) n_t += strcmp(root->keys[i], "__metadata__") != 0;
    if (root->n - n_t > 1) return momu_fail(e, MOMU_ERR_FORMAT, "%s: header has more than one __metadata__", p);
    sf->t = momu_calloc_array(n_t ? n_t : 1, sizeof *sf->t, e);
    if (!sf->t) return MOMU_ERR_OOM;
    momu_status st;
    for (size_t i = 0; i < root->n; i++) {
        const momu_json *v = &root->items[i];
        if (!strcmp(root->keys[i], "__metadata__")) {
            if (v->type != MOMU_JSON_OBJECT)
                return momu_fail(e, MOMU_ERR_FORMAT, "%s: __metadata__ is not an object of strings", p);
            for (size_t k = 0; k < v->n; k++) {
                if (v->items[k].type != MOMU_JSON_STRING)
                    return momu_fail(e, MOMU_ERR_FORMAT, "%s: __metadata__ value of '%s' is not a string", p,
                                     v->keys[k]);
                if (safetensors_meta_get(&sf->meta, v->keys[k]))
                    return momu_fail(e, MOMU_ERR_FORMAT, "%s: __metadata__ key '%s' appears twice", p, v->keys[k]);
                if ((st = safetensors_meta_put(&sf->meta, v->keys[k], v->items[k].str, e))) return st;
            }
            continue;
        }
        safetensors_entry *t = &sf->t[sf->n];
        if ((st = parse_entry(sf, root->keys[i], v, data_len, t, e))) return st;
        if (!(t->name = dup_str(root->keys[i], e))) return MOMU_ERR_OOM;
        sf->n++;
    }
    if (sf->n == 0) return MOMU_OK;
    /* names unique; buffer covered exactly: sorted by offset, each tensor starts where the previous ended */
    safetensors_entry **ix = momu_malloc_array(sf->n, sizeof *ix, e);
    if (!ix) return MOMU_ERR_OOM;
    for (size_t i = 0; i < sf->n; i++) ix[i] = &sf->t[i];
    qsort(ix, sf->n, sizeof *ix, cmp_entry_name);
    for (size_t i = 1; i < sf->n; i++)
        if (!strcmp(ix[i]->name, ix[i - 1]->name)) {
            st = momu_fail(e, MOMU_ERR_FORMAT, "%s: tensor name '%s' appears twice in the header", p, ix[i]->name);
            free(ix);
            return st;
        }
    qsort(ix, sf->n, sizeof *ix, cmp_entry_offset);
    size_t at = 0;
    for (size_t i = 0; i < sf->n; i++) {
        if (ix[i]->begin < at) {
            st = momu_fail(e, MOMU_ERR_FORMAT, "%s: tensors '%s' and '%s' overlap (bytes %zu..%zu and %zu..%zu)", p,
                           ix[i - 1]->name, ix[i]->name, ix[i - 1]->begin, ix[i - 1]->end, ix[i]->begin, ix[i]->end);
            free(ix);
            return st;
        }
        if (ix[i]->begin > at) {
            st = momu_fail(e, MOMU_ERR_FORMAT, "%s: a hole in the data buffer: bytes %zu..%zu belong to no tensor "
                           "(before '%s')", p, at, ix[i]->begin, ix[i]->name);
            free(ix);
            return st;
        }
        at = ix[i]->end;
    }
    free(ix);
    if (at != data_len)
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: the data buffer has %zu bytes but the tensors cover %zu", p,
                         data_len, at);
    return MOMU_OK;
}

/* The file's CRC-32 with the 8 hex digits of the checksum (at byte crc_at) read as '0's must equal want. */
static momu_status verify_crc(safetensors_file *sf, const char *want, size_t crc_at, momu_err *e) {
    const char *p = sf->path;
    unsigned long w = 0;
    int hex_ok = strlen(want) == 8;
    for (int i = 0; i < 8 && hex_ok; i++) hex_ok = (want[i] >= '0' && want[i] <= '9') || (want[i] >= 'a' && want[i] <= 'f');
    if (hex_ok) w = strtoul(want, NULL, 16);
    if (!hex_ok || crc_at == 0 || crc_at + 8 > sf->data_start)
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: corrupted: the checksum %s '%.16s' is not 8 hex digits in a "
                         "header written by momu", p, SAFETENSORS_CRC_KEY, want);
    if (fseeko(sf->f, 0, SEEK_SET) != 0)
        return momu_fail(e, MOMU_ERR_IO, "%s: seek failed (%s)", p, strerror(errno));
    unsigned char buf[1 << 16];
    uint32_t sum = 0;
    size_t at = 0;
    while (at < sf->file_size) {
        size_t want_n = sf->file_size - at < sizeof buf ? sf->file_size - at : sizeof buf;
        if (fread(buf, 1, want_n, sf->f) != want_n)
            return momu_fail(e, MOMU_ERR_IO, "%s: read failed at byte %zu while checking the checksum", p, at);
        for (size_t k = crc_at; k < crc_at + 8; k++)
            if (k >= at && k < at + want_n) buf[k - at] = '0';
        sum = crc32_update(sum, buf, want_n);
        at += want_n;
    }
    if (sum != (uint32_t)w)
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: corrupted: CRC-32 of the file is %08x, its %s says %s (damaged "
                         "or modified after it was written; copy or re-pack it again)", p, (unsigned)sum,
                         SAFETENSORS_CRC_KEY, want);
    return MOMU_OK;
}

momu_status safetensors_open(safetensors_file *sf, const char *path, momu_err *e) {
    memset(sf, 0, sizeof *sf);
    if (strlen(path) >= sizeof sf->path) return momu_fail(e, MOMU_ERR_ARG, "%.200s...: path too long", path);
    strcpy(sf->path, path);
    sf->f = fopen(path, "rb");
    if (!sf->f) return momu_fail(e, MOMU_ERR_IO, "%s: cannot open (%s)", path, strerror(errno));
    momu_status st;
    struct stat stt;
    if (fstat(fileno(sf->f), &stt) != 0 || !S_ISREG(stt.st_mode)) {
        st = momu_fail(e, MOMU_ERR_IO, "%s: not a regular file", path);
        goto fail;
    }
    if ((uint64_t)stt.st_size > (uint64_t)MOMU_MAX_INPUT_BYTES + SAFETENSORS_MAX_HEADER + 8) {
        st = momu_fail(e, MOMU_ERR_RANGE, "%s: file is %lld bytes, more than momu accepts", path,
                       (long long)stt.st_size);
        goto fail;
    }
    sf->file_size = (size_t)stt.st_size;
    unsigned char len8[8];
    if (sf->file_size < 8 || fread(len8, 1, 8, sf->f) != 8) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: truncated: %zu bytes, shorter than the 8-byte header length", path,
                       sf->file_size);
        goto fail;
    }
    uint64_t hl = 0;
    for (int i = 0; i < 8; i++) hl |= (uint64_t)len8[i] << (8 * i);
    if (hl > (uint64_t)(sf->file_size - 8)) {
        st = momu_fail(e, MOMU_ERR_FORMAT,
                       "%s: header length %llu is larger than the rest of the file (%zu bytes): truncated or not a "
                       "safetensors file", path, (unsigned long long)hl, sf->file_size - 8);
        goto fail;
    }
    if (hl > SAFETENSORS_MAX_HEADER) {
        st = momu_fail(e, MOMU_ERR_RANGE, "%s: header length %llu exceeds the %zu-byte limit", path,
                       (unsigned long long)hl, SAFETENSORS_MAX_HEADER);
        goto fail;
    }
    if (hl < 2) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: header length %llu is too short for a JSON object", path,
                       (unsigned long long)hl);
        goto fail;
    }
    size_t n_hdr = (size_t)hl;
    char *hdr = momu_malloc_array(n_hdr + 1, 1, e);
    if (!hdr) { st = MOMU_ERR_OOM; goto fail; }
    if (fread(hdr, 1, n_hdr, sf->f) != n_hdr) {
        free(hdr);
        st = momu_fail(e, MOMU_ERR_IO, "%s: read failed in the header", path);
        goto fail;
    }
    hdr[n_hdr] = 0;
    if (hdr[0] != '{') {
        free(hdr);
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: header does not start with '{': not a safetensors file", path);
        goto fail;
    }
    momu_json *root = NULL;
    char what[1100];
    snprintf(what, sizeof what, "%s (safetensors header)", path);
    st = momu_json_parse(hdr, n_hdr, what, &root, e);
    const char *ph = st ? NULL : strstr(hdr, CRC_PATTERN);
    size_t crc_at = ph ? 8 + (size_t)(ph - hdr) + strlen(CRC_PATTERN) : 0;
    free(hdr);
    if (st) { if (st != MOMU_ERR_OOM) st = MOMU_ERR_FORMAT; goto fail; }
    sf->data_start = 8 + n_hdr;
    st = parse_header(sf, root, sf->file_size - sf->data_start, e);
    momu_json_free(root);
    if (st) goto fail;
    const char *want_crc = safetensors_meta_get(&sf->meta, SAFETENSORS_CRC_KEY);
    if (want_crc && (st = verify_crc(sf, want_crc, crc_at, e))) goto fail;
    /* a damaged checksum key reads as "no checksum": packed files always have one, so that is damage too */
    if (!want_crc && safetensors_meta_get(&sf->meta, SAFETENSORS_PACKED_KEY)) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: corrupted: a packed model (%s) without its checksum %s", path,
                       SAFETENSORS_PACKED_KEY, SAFETENSORS_CRC_KEY);
        goto fail;
    }
    return MOMU_OK;
fail:
    safetensors_close(sf);
    return st;
}

int safetensors_find(const safetensors_file *sf, const char *name) {
    for (size_t i = 0; i < sf->n; i++)
        if (!strcmp(sf->t[i].name, name)) return (int)i;
    return -1;
}

momu_status safetensors_read_f32(safetensors_file *sf, size_t i, float *dst, size_t n, momu_err *e) {
    if (i >= sf->n) return momu_fail(e, MOMU_ERR_ARG, "%s: no tensor %zu", sf->path, i);
    const safetensors_entry *t = &sf->t[i];
    if (n != t->numel)
        return momu_fail(e, MOMU_ERR_ARG, "%s: tensor '%s' has %zu elements, caller expected %zu", sf->path,
                         t->name, t->numel, n);
    if (fseeko(sf->f, (off_t)(sf->data_start + t->begin), SEEK_SET) != 0)
        return momu_fail(e, MOMU_ERR_IO, "%s: seek failed (%s)", sf->path, strerror(errno));
    size_t ds = DTYPE_SIZE[t->dtype];
    enum { CHUNK = 4096 };
    unsigned char buf[CHUNK * 4];
    for (size_t k0 = 0; k0 < n; k0 += CHUNK) {
        size_t nk = n - k0 < CHUNK ? n - k0 : CHUNK;
        if (fread(buf, ds, nk, sf->f) != nk)
            return momu_fail(e, MOMU_ERR_FORMAT, "%s: tensor '%s': truncated data", sf->path, t->name);
        for (size_t k = 0; k < nk; k++) {
            float v;
            if (t->dtype == SAFETENSORS_F32) {
                const unsigned char *b = buf + 4 * k;
                v = bits_f32((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24);
            } else {
                v = f16_to_f32((uint16_t)(buf[2 * k] | buf[2 * k + 1] << 8));
            }
            if (!isfinite(v))
                return momu_fail(e, MOMU_ERR_RANGE, "%s: tensor '%s' has a non-finite value (%g) at index %zu",
                                 sf->path, t->name, (double)v, k0 + k);
            dst[k0 + k] = v;
        }
    }
    return MOMU_OK;
}

static void shape_str(char *buf, size_t n, int ndim, const size_t *shape) {
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int d = 0; d < ndim && k < n; d++) k += (size_t)snprintf(buf + k, n - k, d ? ", %zu" : "%zu", shape[d]);
    if (k < n) snprintf(buf + k, n - k, "]");
}

/* Appends one problem to a bounded message, counting those that no longer fit. */
typedef struct { char msg[800]; size_t len; int n, shown; } problems;
static void problem(problems *pr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(problems *pr, const char *fmt, ...) {
    pr->n++;
    if (pr->shown >= 4 || pr->len >= sizeof pr->msg - 1) return;
    char one[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(one, sizeof one, fmt, ap);
    va_end(ap);
    int w = snprintf(pr->msg + pr->len, sizeof pr->msg - pr->len, "%s%s", pr->shown ? "; " : "", one);
    if (w > 0) pr->len += (size_t)w;
    if (pr->len >= sizeof pr->msg) pr->len = sizeof pr->msg - 1;
    pr->shown++;
}

/* index of the file tensor named prefix + name, or -1 */
static int find_prefixed(const safetensors_file *sf, const char *prefix, size_t lp, const char *name) {
    for (size_t i = 0; i < sf->n; i++)
        if (!strncmp(sf->t[i].name, prefix, lp) && !strcmp(sf->t[i].name + lp, name)) return (int)i;
    return -1;
}

momu_status safetensors_load_table_prefix(const char *path, const char *prefix, const tensor_table *tab,
                                          float *base, safetensors_dtype want, safetensors_meta *meta_out,
                                          momu_err *e) {
    if (!prefix) prefix = "";
    size_t lp = strlen(prefix);
    if (meta_out) safetensors_meta_init(meta_out);
    safetensors_file sf;
    momu_status st = safetensors_open(&sf, path, e);
    if (st) return st;
    problems pr;
    memset(&pr, 0, sizeof pr);
    char a[128], b[128];
    for (int i = 0; i < tab->n; i++) {
        const tensor_spec *s = &tab->t[i];
        int j = find_prefixed(&sf, prefix, lp, s->name);
        if (j < 0) {
            problem(&pr, "missing tensor '%s%s' (expected %s)", prefix, s->name, table_shape_str(s, a, sizeof a));
            continue;
        }
        const safetensors_entry *t = &sf.t[j];
        int same = t->ndim == s->ndim;
        for (int d = 0; same && d < s->ndim; d++) same = t->shape[d] == s->shape[d];
        if (!same) {
            shape_str(b, sizeof b, t->ndim, t->shape);
            problem(&pr, "tensor '%s%s' has shape %s, expected %s", prefix, s->name, b,
                    table_shape_str(s, a, sizeof a));
        }
        if (want != SAFETENSORS_DTYPE_COUNT && t->dtype != want)
            problem(&pr, "tensor '%s%s' has dtype %s, expected %s", prefix, s->name, DTYPE_NAMES[t->dtype],
                    safetensors_dtype_name(want));
    }
    for (size_t j = 0; j < sf.n; j++)
        if (!strncmp(sf.t[j].name, prefix, lp) && table_find(tab, sf.t[j].name + lp) < 0) {
            shape_str(b, sizeof b, sf.t[j].ndim, sf.t[j].shape);
            problem(&pr, "unexpected tensor '%s' %s (not in the model)", sf.t[j].name, b);
        }
    if (pr.n) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: does not match the model (%d problem%s): %s%s", path, pr.n,
                       pr.n > 1 ? "s" : "", pr.msg, pr.n > pr.shown ? "; ..." : "");
        safetensors_close(&sf);
        return st;
    }
    /* read into a scratch copy, so base is untouched unless every tensor reads cleanly */
    float *tmp = momu_calloc_array(tab->total, sizeof(float), e);
    if (!tmp) { safetensors_close(&sf); return MOMU_ERR_OOM; }
    for (int i = 0; i < tab->n && !st; i++) {
        const tensor_spec *s = &tab->t[i];
        st = safetensors_read_f32(&sf, (size_t)find_prefixed(&sf, prefix, lp, s->name), tmp + s->offset, s->numel,
                                  e);
    }
    if (!st) {
        memcpy(base, tmp, tab->total * sizeof(float));
        if (meta_out) { *meta_out = sf.meta; safetensors_meta_init(&sf.meta); }
    }
    free(tmp);
    safetensors_close(&sf);
    return st;
}

momu_status safetensors_load_table(const char *path, const tensor_table *tab, float *base,
                                   safetensors_dtype want, safetensors_meta *meta_out, momu_err *e) {
    return safetensors_load_table_prefix(path, "", tab, base, want, meta_out, e);
}
