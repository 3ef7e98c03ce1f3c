/* momu — activation arena: a bump allocator sized once from a plan pass (STYLE.md §9).
 *
 * The model's "carve activations" code runs twice. First in plan mode, where nn_arena_take only counts
 * (and returns NULL: the plan pass must not touch memory); then nn_arena_finish_plan allocates exactly
 * that many bytes. Later passes with the same (config, batch, length) take the same pointers; asking for
 * more than was planned fails with MOMU_ERR_STATE instead of growing (llm.c errors when B,T change).
 *
 *   nn_arena a; nn_arena_init(&a, "dit activations");
 *   carve(&acts, &a, cfg, B, T, &e);          // plan: counts
 *   nn_arena_finish_plan(&a, &e);             // allocate once
 *   for (step...) { nn_arena_reset(&a); carve(&acts, &a, cfg, B, T, &e); forward...; }
 */
#ifndef MOMU_NN_ARENA_H
#define MOMU_NN_ARENA_H
#include <stddef.h>

#include "momu/common.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char    *what;      /* for messages */
    unsigned char *base;      /* NULL while planning */
    size_t         cap;       /* bytes allocated (0 while planning) */
    size_t         used;      /* bytes taken since the last reset (or planned so far) */
    size_t         peak;      /* largest `used` seen */
    int            planning;  /* 1 until nn_arena_finish_plan */
} nn_arena;

void        nn_arena_init(nn_arena *a, const char *what);
/* n floats, 64-byte aligned. Planning: counts and returns NULL (no error). Sized: an uninitialised
 * pointer, or NULL + MOMU_ERR_STATE if the plan would be exceeded. */
float      *nn_arena_take(nn_arena *a, size_t n, momu_err *e);
/* Adds n floats to the plan without carving (for sizes computed by formula). Fails once sized. */
momu_status nn_arena_plan(nn_arena *a, size_t n, momu_err *e);
momu_status nn_arena_finish_plan(nn_arena *a, momu_err *e);   /* allocates `used` bytes; resets */
void        nn_arena_reset(nn_arena *a);                       /* used = 0; memory is kept */
size_t      nn_arena_bytes(const nn_arena *a);                 /* cap when sized, else planned bytes */
void        nn_arena_free(nn_arena *a);

#ifdef __cplusplus
}
#endif
#endif
