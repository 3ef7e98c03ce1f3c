/* momu — named tensor table and flat parameter buffers. See include/momu/nn_params.h.
 * The layout follows llm.c's single-buffer ParameterTensors, but described by a table of named specs
 * (STYLE.md §8) instead of hand-kept index lists. */
#include "momu/nn_params.h"

#include <stdlib.h>
#include <string.h>

void table_init(tensor_table *tab) { memset(tab, 0, sizeof *tab); }

void table_free(tensor_table *tab) {
    free(tab->t);
    memset(tab, 0, sizeof *tab);
}

int table_find(const tensor_table *tab, const char *name) {
    for (int i = 0; i < tab->n; i++)
        if (!strcmp(tab->t[i].name, name)) return i;
    return -1;
}

int table_add(tensor_table *tab, const char *name, int decay, int ndim, const size_t *shape, momu_err *e) {
    if (!name || !*name) { momu_fail(e, MOMU_ERR_ARG, "tensor table: empty tensor name"); return -1; }
    size_t len = strlen(name);
    if (len > TENSOR_NAME_MAX) {
        momu_fail(e, MOMU_ERR_ARG, "tensor table: name '%.40s...' is %zu characters, more than %d", name, len,
                  TENSOR_NAME_MAX);
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        /* names go into JSON headers and messages verbatim: keep them printable and escape-free */
        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
            momu_fail(e, MOMU_ERR_ARG, "tensor table: name '%s' has a control character, '\"' or '\\'", name);
            return -1;
        }
    }
    if (ndim < 1 || ndim > TENSOR_MAX_DIMS) {
        momu_fail(e, MOMU_ERR_ARG, "tensor table: %s: ndim %d, expected 1..%d", name, ndim, TENSOR_MAX_DIMS);
        return -1;
    }
    if (table_find(tab, name) >= 0) {
        momu_fail(e, MOMU_ERR_ARG, "tensor table: duplicate tensor name '%s'", name);
        return -1;
    }
    if (tab->n >= TABLE_MAX_TENSORS) {
        momu_fail(e, MOMU_ERR_ARG, "tensor table: more than %d tensors", TABLE_MAX_TENSORS);
        return -1;
    }
    size_t numel = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] == 0) {
            momu_fail(e, MOMU_ERR_ARG, "tensor table: %s: dimension %d is 0", name, d);
            return -1;
        }
        if (!momu_mul_ok(numel, shape[d], &numel)) {
            momu_fail(e, MOMU_ERR_OOM, "tensor table: %s: element count overflows", name);
            return -1;
        }
    }
    size_t padded = (numel + TENSOR_ALIGN - 1) / TENSOR_ALIGN * TENSOR_ALIGN;
    /* keep total * 4 bytes * 5 buffers representable */
    if (numel > SIZE_MAX / 64 || tab->total > SIZE_MAX / 64 - padded) {
        momu_fail(e, MOMU_ERR_OOM, "tensor table: %s: total size overflows", name);
        return -1;
    }
    if (tab->n == tab->cap) {
        int nc = tab->cap ? tab->cap * 2 : 64;
        tensor_spec *nt = momu_realloc_array(tab->t, (size_t)nc, sizeof *nt, e);
        if (!nt) return -1;
        tab->t = nt;
        tab->cap = nc;
    }
    tensor_spec *s = &tab->t[tab->n];
    memset(s, 0, sizeof *s);
    memcpy(s->name, name, len + 1);
    s->ndim = ndim;
    for (int d = 0; d < TENSOR_MAX_DIMS; d++) s->shape[d] = d < ndim ? shape[d] : 1;
    s->decay = decay ? 1 : 0;
    s->offset = tab->total;
    s->numel = numel;
    tab->total += padded;
    return tab->n++;
}

float *table_ptr(const tensor_table *tab, float *base, int id) { return base + tab->t[id].offset; }
const float *table_cptr(const tensor_table *tab, const float *base, int id) { return base + tab->t[id].offset; }

const char *table_shape_str(const tensor_spec *s, char *buf, size_t n) {
    size_t k = 0;
    if (n == 0) return buf;
    buf[0] = 0;
    k += (size_t)snprintf(buf + k, n - k, "[");
    for (int d = 0; d < s->ndim && k < n; d++)
        k += (size_t)snprintf(buf + k, n - k, d ? ", %zu" : "%zu", s->shape[d]);
    if (k < n) snprintf(buf + k, n - k, "]");
    return buf;
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) { h ^= b[i]; h *= 0x100000001b3ull; }
    return h;
}

static uint64_t fnv1a_u64(uint64_t h, uint64_t v) {
    unsigned char b[8];   /* little-endian bytes, so the fingerprint does not depend on the host */
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
    return fnv1a(h, b, 8);
}

uint64_t table_fingerprint(const tensor_table *tab) {
    uint64_t h = 0xcbf29ce484222325ull;
    h = fnv1a_u64(h, (uint64_t)tab->n);
    for (int i = 0; i < tab->n; i++) {
        const tensor_spec *s = &tab->t[i];
        h = fnv1a(h, s->name, strlen(s->name) + 1);
        h = fnv1a_u64(h, (uint64_t)s->ndim);
        for (int d = 0; d < s->ndim; d++) h = fnv1a_u64(h, (uint64_t)s->shape[d]);
        h = fnv1a_u64(h, (uint64_t)s->decay);
        h = fnv1a_u64(h, (uint64_t)s->offset);
    }
    return fnv1a_u64(h, (uint64_t)tab->total);
}

size_t table_numel(const tensor_table *tab) {
    size_t n = 0;
    for (int i = 0; i < tab->n; i++) n += tab->t[i].numel;
    return n;
}

momu_status nn_params_alloc(nn_params *p, const tensor_table *tab, int flags, momu_err *e) {
    memset(p, 0, sizeof *p);
    if (!tab || tab->n == 0 || tab->total == 0) return momu_fail(e, MOMU_ERR_ARG, "nn_params_alloc: empty tensor table");
    size_t n_buf = 1 + ((flags & NN_ALLOC_OPTIM) ? 3 : 0) + ((flags & NN_ALLOC_EMA) ? 1 : 0);
    size_t floats, bytes;
    if (!momu_mul_ok(tab->total, n_buf, &floats) || !momu_mul_ok(floats, sizeof(float), &bytes))
        return momu_fail(e, MOMU_ERR_OOM, "nn_params_alloc: %zu floats x %zu buffers overflows", tab->total, n_buf);
    void *block = NULL;
    if (posix_memalign(&block, 64, bytes) != 0 || !block)
        return momu_fail(e, MOMU_ERR_OOM, "nn_params_alloc: out of memory allocating %zu bytes", bytes);
    memset(block, 0, bytes);
    float *f = block;
    p->tab = tab;
    p->total = tab->total;
    p->block = block;
    p->params = f; f += tab->total;
    if (flags & NN_ALLOC_OPTIM) {
        p->grads = f; f += tab->total;
        p->m = f; f += tab->total;
        p->v = f; f += tab->total;
    }
    if (flags & NN_ALLOC_EMA) p->ema = f;
    return MOMU_OK;
}

void nn_params_free(nn_params *p) {
    free(p->block);
    memset(p, 0, sizeof *p);
}

void nn_params_zero_grads(nn_params *p) {
    if (p->grads) memset(p->grads, 0, p->total * sizeof(float));
}

momu_status nn_params_swap_ema(nn_params *p, momu_err *e) {
    if (!p->ema) return momu_fail(e, MOMU_ERR_STATE, "no EMA buffer to swap in (allocate with NN_ALLOC_EMA)");
    float *t = p->params;
    p->params = p->ema;
    p->ema = t;
    return MOMU_OK;
}

static void fmt_bytes(char *buf, size_t n, size_t bytes) {
    if (bytes >= ((size_t)1 << 20)) snprintf(buf, n, "%.2f MiB", (double)bytes / (1 << 20));
    else if (bytes >= 1024) snprintf(buf, n, "%.1f KiB", (double)bytes / 1024);
    else snprintf(buf, n, "%zu B", bytes);
}

void nn_params_log_sizes(const nn_params *p, size_t activation_bytes, const char *what) {
    size_t one = p->total * sizeof(float);
    size_t opt = (p->m ? 2 * one : 0) + (p->ema ? one : 0);
    char a[32], b[32], c[32], d[32];
    fmt_bytes(a, sizeof a, one);
    fmt_bytes(b, sizeof b, p->grads ? one : 0);
    fmt_bytes(c, sizeof c, opt);
    fmt_bytes(d, sizeof d, activation_bytes);
    momu_log("%s: %d tensors, %zu parameters; memory: params %s, grads %s, optimizer %s, activations %s\n",
             what ? what : "model", p->tab ? p->tab->n : 0, p->tab ? table_numel(p->tab) : 0, a, b, c, d);
}
