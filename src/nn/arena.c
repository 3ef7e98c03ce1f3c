/* momu — activation arena (bump allocator sized once from a plan pass). See include/momu/nn_arena.h. */
#include "momu/nn_arena.h"

#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 64   /* bytes: a cache line, and enough for any SIMD load */

void nn_arena_init(nn_arena *a, const char *what) {
    memset(a, 0, sizeof *a);
    a->what = what ? what : "arena";
    a->planning = 1;
}

static momu_status arena_count(nn_arena *a, size_t n, size_t *bytes_out, momu_err *e) {
    size_t bytes = 0;
    if (!momu_mul_ok(n, sizeof(float), &bytes) || bytes > SIZE_MAX - ARENA_ALIGN)
        return momu_fail(e, MOMU_ERR_OOM, "%s: request of %zu floats overflows", a->what, n);
    bytes = (bytes + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
    if (a->used > SIZE_MAX - bytes) return momu_fail(e, MOMU_ERR_OOM, "%s: total size overflows", a->what);
    *bytes_out = bytes;
    return MOMU_OK;
}

float *nn_arena_take(nn_arena *a, size_t n, momu_err *e) {
    size_t bytes = 0;
    if (arena_count(a, n, &bytes, e)) return NULL;
    if (a->planning) {
        a->used += bytes;
        if (a->used > a->peak) a->peak = a->used;
        return NULL;
    }
    if (a->used + bytes > a->cap) {
        momu_fail(e, MOMU_ERR_STATE,
                  "%s: request of %zu floats exceeds the planned size (%zu of %zu bytes used); the arena does "
                  "not grow: re-plan for the new batch shape",
                  a->what, n, a->used, a->cap);
        return NULL;
    }
    float *p = (float *)(a->base + a->used);
    a->used += bytes;
    if (a->used > a->peak) a->peak = a->used;
    return p;
}

momu_status nn_arena_plan(nn_arena *a, size_t n, momu_err *e) {
    if (!a->planning) return momu_fail(e, MOMU_ERR_STATE, "%s: already sized; it cannot grow", a->what);
    size_t bytes = 0;
    momu_status st = arena_count(a, n, &bytes, e);
    if (st) return st;
    a->used += bytes;
    if (a->used > a->peak) a->peak = a->used;
    return MOMU_OK;
}

momu_status nn_arena_finish_plan(nn_arena *a, momu_err *e) {
    if (!a->planning) return momu_fail(e, MOMU_ERR_STATE, "%s: already sized; it cannot grow", a->what);
    size_t cap = a->peak ? a->peak : ARENA_ALIGN;
    void *p = NULL;
    if (posix_memalign(&p, ARENA_ALIGN, cap) != 0 || !p)
        return momu_fail(e, MOMU_ERR_OOM, "%s: out of memory allocating %zu bytes", a->what, cap);
    a->base = p;
    a->cap = cap;
    a->used = 0;
    a->planning = 0;
    return MOMU_OK;
}

/* While planning, a reset starts another pass over the same plan: the size is the peak over passes. */
void nn_arena_reset(nn_arena *a) { a->used = 0; }

size_t nn_arena_bytes(const nn_arena *a) { return a->planning ? a->peak : a->cap; }

void nn_arena_free(nn_arena *a) {
    free(a->base);
    const char *w = a->what;
    memset(a, 0, sizeof *a);
    a->what = w;
    a->planning = 1;
}
