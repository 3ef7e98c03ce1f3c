/* momu — `momu model pack`: a training checkpoint without its live weights, in F16 or F32
 * (include/momu/model_pack.h). */
#define _FILE_OFFSET_BITS 64
#include "momu/model_pack.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "momu/denoiser.h"
#include "momu/vae_train.h"

typedef enum { PACK_VAE, PACK_DENOISER } pack_family;

static int starts_with(const char *s, const char *p) { return !strncmp(s, p, strlen(p)); }

/* Decides the fate of each source tensor: 1 keep (dtype in *dt), 0 drop (a live weight with an EMA twin);
 * an error for anything a momu checkpoint of this family does not hold. */
static momu_status pack_select(const safetensors_file *sf, pack_family fam, size_t i, safetensors_dtype wdt,
                               int *keep, safetensors_dtype *dt, momu_err *e) {
    const char *nm = sf->t[i].name;
    char twin[TENSOR_NAME_MAX + 64];
    *keep = 0;
    *dt = wdt;
    if (starts_with(nm, "ema.")) { *keep = 1; return MOMU_OK; }
    if (fam == PACK_VAE && starts_with(nm, "norm.")) { *keep = 1; *dt = SAFETENSORS_F32; return MOMU_OK; }
    if (fam == PACK_VAE && !starts_with(nm, "vae."))
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: unexpected tensor '%s' in a VAE checkpoint (vae.*, ema.*, norm.*)",
                         sf->path, nm);
    snprintf(twin, sizeof twin, "ema.%s", fam == PACK_VAE ? nm + 4 : nm);
    if (safetensors_find(sf, twin) < 0)
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: tensor '%s' has no EMA copy '%s': pack needs a checkpoint with "
                         "EMA weights (written by momu train)", sf->path, nm, twin);
    return MOMU_OK;
}

static size_t file_bytes(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (size_t)st.st_size : 0;
}

static int same_file(const char *a, const char *b) {
    struct stat x, y;
    if (!strcmp(a, b)) return 1;
    return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

/* Reads every tensor of out back and compares it with the source values src (in the same order). */
static momu_status pack_measure(const char *out, const safetensors_tensor *t, size_t n, momu_pack_report *r,
                                momu_err *e) {
    safetensors_file sf;
    momu_status st = safetensors_open(&sf, out, e);
    if (st) return st;
    double d2 = 0.0, x2 = 0.0;
    float *buf = NULL;
    size_t cap = 0;
    for (size_t i = 0; i < n && !st; i++) {
        int k = safetensors_find(&sf, t[i].name);
        if (k < 0) { st = momu_fail(e, MOMU_ERR_FORMAT, "%s: tensor '%s' missing after writing", out, t[i].name); break; }
        size_t ne = sf.t[k].numel;
        if (ne > cap) {
            free(buf);
            cap = ne;
            if (!(buf = momu_malloc_array(cap, sizeof(float), e))) { st = MOMU_ERR_OOM; break; }
        }
        if ((st = safetensors_read_f32(&sf, (size_t)k, buf, ne, e))) break;
        if (sf.t[k].dtype == SAFETENSORS_F16) r->n_rounded += ne;
        for (size_t j = 0; j < ne; j++) {
            double x = t[i].data[j], y = buf[j], d = fabs(y - x), ax = fabs(x);
            d2 += d * d;
            x2 += x * x;
            if (d > r->max_abs_err) {
                r->max_abs_err = d;
                snprintf(r->max_abs_tensor, sizeof r->max_abs_tensor, "%s", t[i].name);
            }
            if (ax >= 0x1p-14 && d / ax > r->max_rel_err) {
                r->max_rel_err = d / ax;
                snprintf(r->max_rel_tensor, sizeof r->max_rel_tensor, "%s", t[i].name);
            }
            if (x != 0.0 && ax < 0x1p-14 && sf.t[k].dtype == SAFETENSORS_F16) r->n_subnormal++;
            if (x != 0.0 && y == 0.0) {
                r->n_flushed++;
                if (ax > r->max_flushed) r->max_flushed = ax;
            }
        }
    }
    r->rel_l2_err = x2 > 0 ? sqrt(d2 / x2) : 0.0;
    free(buf);
    safetensors_close(&sf);
    return st;
}

momu_status momu_model_pack(const char *in_path, const char *out_path, safetensors_dtype dtype, momu_pack_report *r,
                            momu_err *e) {
    momu_pack_report rep_local;
    if (!r) r = &rep_local;
    memset(r, 0, sizeof *r);
    if (dtype != SAFETENSORS_F32 && dtype != SAFETENSORS_F16)
        return momu_fail(e, MOMU_ERR_ARG, "model pack: dtype must be F32 or F16");
    if (same_file(in_path, out_path))
        return momu_fail(e, MOMU_ERR_ARG, "%s: model pack would overwrite its input; give another output path",
                         out_path);
    safetensors_file sf;
    momu_status st = safetensors_open(&sf, in_path, e);
    if (st) return st;
    const char *fmt = safetensors_meta_get(&sf.meta, "momu.format");
    const char *kind = safetensors_meta_get(&sf.meta, "momu.kind");
    pack_family fam;
    if (fmt && !strcmp(fmt, "momu-vae") && kind) fam = PACK_VAE;
    else if (kind && starts_with(kind, "denoiser_")) fam = PACK_DENOISER;
    else {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: not a momu model checkpoint (momu.format '%s', momu.kind '%s'; "
                       "expected a VAE or a denoiser written by momu train)", in_path, fmt ? fmt : "none",
                       kind ? kind : "none");
        safetensors_close(&sf);
        return st;
    }
    snprintf(r->kind, sizeof r->kind, "%s", kind);
    r->n_tensors_in = sf.n;
    r->bytes_in = sf.file_size;

    safetensors_tensor *t = momu_calloc_array(sf.n ? sf.n : 1, sizeof *t, e);
    safetensors_dtype *dts = momu_calloc_array(sf.n ? sf.n : 1, sizeof *dts, e);
    size_t *src = momu_calloc_array(sf.n ? sf.n : 1, sizeof *src, e);
    float *vals = NULL;
    safetensors_meta meta;
    safetensors_meta_init(&meta);
    size_t n = 0, total = 0, n_ema = 0;
    if (!t || !dts || !src) st = MOMU_ERR_OOM;
    for (size_t i = 0; i < sf.n && !st; i++) {
        int keep;
        safetensors_dtype dt;
        if ((st = pack_select(&sf, fam, i, dtype, &keep, &dt, e)) || !keep) continue;
        total += sf.t[i].numel;   /* no overflow: the tensors fit in the (size-checked) file */
        n_ema += starts_with(sf.t[i].name, "ema.");
        src[n] = i;
        dts[n++] = dt;
    }
    if (!st && !n_ema)
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: no EMA weights (ema.*) in the file: nothing to pack", in_path);
    if (!st && !(vals = momu_malloc_array(total ? total : 1, sizeof(float), e))) st = MOMU_ERR_OOM;
    size_t off = 0;
    for (size_t j = 0; j < n && !st; j++) {
        const safetensors_entry *en = &sf.t[src[j]];
        t[j].name = en->name;
        t[j].ndim = en->ndim;
        for (int d = 0; d < en->ndim; d++) t[j].shape[d] = en->shape[d];
        t[j].data = vals + off;
        st = safetensors_read_f32(&sf, src[j], vals + off, en->numel, e);
        off += en->numel;
    }
    for (size_t i = 0; i < sf.meta.n && !st; i++) st = safetensors_meta_put(&meta, sf.meta.keys[i], sf.meta.vals[i], e);
    if (!st) st = safetensors_meta_put(&meta, SAFETENSORS_PACKED_KEY, in_path, e);
    if (!st) st = safetensors_meta_put(&meta, "momu.dtype", safetensors_dtype_name(dtype), e);
    if (!st) st = safetensors_write_ex(out_path, t, n, dtype, dts, &meta, SAFETENSORS_WRITE_CRC, e);
    if (!st) {
        r->n_tensors_out = n;
        r->n_values = total;
        r->bytes_out = file_bytes(out_path);
        st = pack_measure(out_path, t, n, r, e);
    }
    /* the proof that it ships: the model's own loader, EMA weights, as momu generate / vae / eval load it */
    if (!st && fam == PACK_VAE) {
        momu_vae_ckpt c;
        if (!(st = momu_vae_ckpt_load(out_path, MOMU_VAE_KIND_COUNT, 1, &c, e))) momu_vae_ckpt_free(&c);
    } else if (!st) {
        denoiser m;
        if (!(st = denoiser_load(&m, out_path, DENOISER_TASK_COUNT, 1, 0, NULL, e))) denoiser_free(&m);
    }
    safetensors_meta_free(&meta);
    free(vals);
    free(src);
    free(dts);
    free(t);
    safetensors_close(&sf);
    return st;
}
