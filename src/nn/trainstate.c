/* momu — training-state file: Adam moments, EMA, step counters, RNG and data cursor, as a safetensors file
 * with string metadata (layout in include/momu/nn_optim.h). Kept apart from the weights (llm.c's
 * save_state / STYLE.md §21) so the weights file stays a plain model checkpoint. */
#include <errno.h>
#include <stdio.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "momu/nn_optim.h"

#define TRAINSTATE_VERSION 1

static uint32_t f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

/* The optimizer settings as a JSON object; %a gives exact hexadecimal floats, so a resumed run can compare
 * its settings with the saved ones without rounding doubts. */
static void adamw_config_str(const adamw_config *c, char *buf, size_t n) {
    snprintf(buf, n,
             "{\"lr\": \"%a\", \"beta1\": \"%a\", \"beta2\": \"%a\", \"eps\": \"%a\", \"weight_decay\": \"%a\", "
             "\"clip_norm\": \"%a\", \"ema_decay\": \"%a\", \"warmup_steps\": %zu, \"total_steps\": %zu, "
             "\"lr_min\": \"%a\"}",
             c->lr, c->beta1, c->beta2, c->eps, c->weight_decay, c->clip_norm, c->ema_decay, c->warmup_steps,
             c->total_steps, c->lr_min);
}

momu_status trainstate_save(const char *path, const nn_params *p, const nn_optim *o, const trainstate_extra *x,
                            const safetensors_meta *extra_meta, momu_err *e) {
    if (!p->tab || !p->m || !p->v)
        return momu_fail(e, MOMU_ERR_STATE, "%s: no optimizer state to save (allocate with NN_ALLOC_OPTIM)", path);
    safetensors_meta meta;
    safetensors_meta_init(&meta);
    momu_status st = MOMU_OK;
    if (extra_meta)
        for (size_t i = 0; i < extra_meta->n && !st; i++)
            st = safetensors_meta_put(&meta, extra_meta->keys[i], extra_meta->vals[i], e);
    const adamw_config *c = &o->cfg;
    const momu_rng *r = &x->rng;
    if (!st) st = safetensors_meta_put(&meta, "momu.format", "trainstate", e);
    if (!st) st = safetensors_meta_putf(&meta, "momu.trainstate_version", e, "%d", TRAINSTATE_VERSION);
    if (!st) st = safetensors_meta_putf(&meta, "table_fingerprint", e, "%016" PRIx64, table_fingerprint(p->tab));
    if (!st) st = safetensors_meta_putf(&meta, "table_total", e, "%zu", p->total);
    if (!st) st = safetensors_meta_putf(&meta, "step", e, "%zu", o->step);
    if (!st) st = safetensors_meta_putf(&meta, "n_skipped", e, "%zu", o->n_skipped);
    if (!st)
        st = safetensors_meta_putf(&meta, "rng", e, "%016" PRIx64 " %016" PRIx64 " %016" PRIx64 " %016" PRIx64
                                   " %d %08" PRIx32, r->s[0], r->s[1], r->s[2], r->s[3], r->has_spare ? 1 : 0,
                                   f32_bits(r->spare));
    if (!st) st = safetensors_meta_putf(&meta, "data_cursor", e, "%" PRIu64, x->data_cursor);
    if (!st) st = safetensors_meta_putf(&meta, "data_epoch", e, "%" PRIu64, x->data_epoch);
    if (!st) st = safetensors_meta_putf(&meta, "world_size", e, "%" PRIu32, x->world_size ? x->world_size : 1);
    if (!st) st = safetensors_meta_putf(&meta, "rank", e, "%" PRIu32, x->rank);
    char cfg[512];
    adamw_config_str(c, cfg, sizeof cfg);
    if (!st) st = safetensors_meta_put(&meta, "adamw", cfg, e);
    if (st) { safetensors_meta_free(&meta); return st; }
    safetensors_tensor t[3];
    memset(t, 0, sizeof t);
    size_t n = 0;
    t[n].name = "adam.m"; t[n].ndim = 1; t[n].shape[0] = p->total; t[n].data = p->m; n++;
    t[n].name = "adam.v"; t[n].ndim = 1; t[n].shape[0] = p->total; t[n].data = p->v; n++;
    if (p->ema) { t[n].name = "ema"; t[n].ndim = 1; t[n].shape[0] = p->total; t[n].data = p->ema; n++; }
    st = safetensors_write(path, t, n, SAFETENSORS_F32, &meta, e);
    safetensors_meta_free(&meta);
    return st;
}

/* Strict decimal / hex parsing of a metadata value: all characters consumed, no sign, no overflow. */
static int parse_u64(const char *s, int base, uint64_t *out) {
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ') return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, base);
    if (errno || *end) return 0;
    *out = (uint64_t)v;
    return 1;
}

static momu_status need_u64(const safetensors_file *sf, const char *key, int base, uint64_t *out, momu_err *e) {
    const char *s = safetensors_meta_get(&sf->meta, key);
    if (!s) return momu_fail(e, MOMU_ERR_FORMAT, "%s: training state lacks metadata '%s'", sf->path, key);
    if (!parse_u64(s, base, out))
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: training state metadata '%s' = '%.40s' is not a valid number",
                         sf->path, key, s);
    return MOMU_OK;
}

static momu_status parse_rng(const safetensors_file *sf, momu_rng *r, momu_err *e) {
    const char *s = safetensors_meta_get(&sf->meta, "rng");
    if (!s) return momu_fail(e, MOMU_ERR_FORMAT, "%s: training state lacks metadata 'rng'", sf->path);
    char buf[128];
    if (strlen(s) >= sizeof buf) return momu_fail(e, MOMU_ERR_FORMAT, "%s: bad 'rng' metadata", sf->path);
    strcpy(buf, s);
    char *tok[6];
    size_t nt = 0;
    char *save = NULL;
    for (char *q = strtok_r(buf, " ", &save); q; q = strtok_r(NULL, " ", &save)) {
        if (nt == 6) { nt = 7; break; }   /* too many fields */
        tok[nt++] = q;
    }
    uint64_t v[6];
    int ok = nt == 6;
    for (size_t i = 0; ok && i < 6; i++) ok = parse_u64(tok[i], i == 4 ? 10 : 16, &v[i]);
    if (!ok || v[4] > 1 || v[5] > 0xffffffffu)
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: bad 'rng' metadata '%.80s' (expected 4 hex words, 0|1, hex bits)",
                         sf->path, s);
    momu_rng nr;
    for (int i = 0; i < 4; i++) nr.s[i] = v[i];
    if (!(nr.s[0] | nr.s[1] | nr.s[2] | nr.s[3]))
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: 'rng' state is all zero (invalid for xoshiro256**)", sf->path);
    nr.has_spare = (int)v[4];
    nr.spare = bits_f32((uint32_t)v[5]);
    *r = nr;
    return MOMU_OK;
}

static momu_status check_flat(safetensors_file *sf, const char *name, size_t total, int *idx, momu_err *e) {
    int i = safetensors_find(sf, name);
    *idx = i;
    if (i < 0) return momu_fail(e, MOMU_ERR_FORMAT, "%s: training state lacks tensor '%s'", sf->path, name);
    const safetensors_entry *t = &sf->t[i];
    if (t->dtype != SAFETENSORS_F32 || t->ndim != 1 || t->shape[0] != total)
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: tensor '%s' is %s with %zu elements, expected F32 [%zu]", sf->path,
                         name, safetensors_dtype_name(t->dtype), t->numel, total);
    return MOMU_OK;
}

momu_status trainstate_load(const char *path, nn_params *p, nn_optim *o, trainstate_extra *x, momu_err *e) {
    if (!p->tab || !p->m || !p->v)
        return momu_fail(e, MOMU_ERR_STATE, "%s: no optimizer buffers to load into (allocate with NN_ALLOC_OPTIM)",
                         path);
    safetensors_file sf;
    momu_status st = safetensors_open(&sf, path, e);
    if (st) return st;
    float *tmp = NULL;
    const char *fmt = safetensors_meta_get(&sf.meta, "momu.format");
    const char *ver = safetensors_meta_get(&sf.meta, "momu.trainstate_version");
    if (!fmt || strcmp(fmt, "trainstate")) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: not a momu training-state file (metadata momu.format is %s%s%s)", path,
                       fmt ? "'" : "", fmt ? fmt : "absent", fmt ? "'" : "");
        goto done;
    }
    uint64_t version, fp, total, step, n_skipped, cursor, epoch, world, rank;
    if ((st = need_u64(&sf, "momu.trainstate_version", 10, &version, e))) goto done;
    if (version != TRAINSTATE_VERSION) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: training-state version %s, this momu reads version %d; HINT: resume "
                       "with the momu that wrote it, or restart training from the weights", path, ver, TRAINSTATE_VERSION);
        goto done;
    }
    if ((st = need_u64(&sf, "table_fingerprint", 16, &fp, e)) || (st = need_u64(&sf, "table_total", 10, &total, e)) ||
        (st = need_u64(&sf, "step", 10, &step, e)) || (st = need_u64(&sf, "n_skipped", 10, &n_skipped, e)) ||
        (st = need_u64(&sf, "data_cursor", 10, &cursor, e)) || (st = need_u64(&sf, "data_epoch", 10, &epoch, e)) ||
        (st = need_u64(&sf, "world_size", 10, &world, e)) || (st = need_u64(&sf, "rank", 10, &rank, e)))
        goto done;
    uint64_t want_fp = table_fingerprint(p->tab);
    if (fp != want_fp || total != (uint64_t)p->total) {
        st = momu_fail(e, MOMU_ERR_FORMAT,
                       "%s: training state belongs to a different model: table fingerprint %016" PRIx64 " with %" PRIu64
                       " floats, expected %016" PRIx64 " with %zu (%d tensors)", path, fp, total, want_fp, p->total,
                       p->tab->n);
        goto done;
    }
    if (x->world_size != 0 && (world != x->world_size || rank != x->rank)) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: training state saved by rank %" PRIu64 " of %" PRIu64
                       ", expected rank %" PRIu32 " of %" PRIu32 " (resharding is not supported)",
                       path, rank, world, x->rank, x->world_size);
        goto done;
    }
    momu_rng rng;
    if ((st = parse_rng(&sf, &rng, e))) goto done;
    int im, iv, ie = -1;
    if ((st = check_flat(&sf, "adam.m", p->total, &im, e)) || (st = check_flat(&sf, "adam.v", p->total, &iv, e)))
        goto done;
    if (p->ema && (st = check_flat(&sf, "ema", p->total, &ie, e))) goto done;
    size_t nbuf = p->ema ? 3 : 2;
    tmp = momu_malloc_array(p->total, nbuf * sizeof(float), e);
    if (!tmp) { st = MOMU_ERR_OOM; goto done; }
    if ((st = safetensors_read_f32(&sf, (size_t)im, tmp, p->total, e)) ||
        (st = safetensors_read_f32(&sf, (size_t)iv, tmp + p->total, p->total, e)) ||
        (p->ema && (st = safetensors_read_f32(&sf, (size_t)ie, tmp + 2 * p->total, p->total, e))))
        goto done;
    /* everything validated: commit */
    memcpy(p->m, tmp, p->total * sizeof(float));
    memcpy(p->v, tmp + p->total, p->total * sizeof(float));
    if (p->ema) memcpy(p->ema, tmp + 2 * p->total, p->total * sizeof(float));
    o->step = (size_t)step;
    o->n_skipped = (size_t)n_skipped;
    x->rng = rng;
    x->data_cursor = cursor;
    x->data_epoch = epoch;
    x->world_size = (uint32_t)world;
    x->rank = (uint32_t)rank;
    const char *cfg = safetensors_meta_get(&sf.meta, "adamw");
    char mine[512];
    adamw_config_str(&o->cfg, mine, sizeof mine);
    if (cfg && strcmp(cfg, mine))
        momu_log("%s: note: optimizer settings differ from the saved ones; using the current ones\n", path);
done:
    free(tmp);
    safetensors_close(&sf);
    return st;
}
