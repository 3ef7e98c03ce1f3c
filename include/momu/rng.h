/* momu — explicit random number state (xoshiro256**, seeded with splitmix64). Every random draw in momu
 * goes through a momu_rng passed by pointer, so a seed reproduces a run and the state can be checkpointed. */
#ifndef MOMU_RNG_H
#define MOMU_RNG_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint64_t s[4];
    int      has_spare;   /* Box-Muller produces normals in pairs */
    float    spare;
} momu_rng;

void     momu_rng_seed(momu_rng *r, uint64_t seed);
uint64_t momu_rng_u64(momu_rng *r);
float    momu_rng_uniform(momu_rng *r);                  /* [0, 1) with 24 random bits */
float    momu_rng_normal(momu_rng *r);                   /* N(0, 1) */
size_t   momu_rng_below(momu_rng *r, size_t n);          /* uniform integer in [0, n), unbiased; n > 0 */
void     momu_rng_fill_normal(momu_rng *r, float *x, size_t n, float std);
void     momu_rng_shuffle(momu_rng *r, size_t *idx, size_t n);
/* A derived, independent stream (e.g. per rank, per window): seed mixed with a tag. */
void     momu_rng_split(momu_rng *child, const momu_rng *parent, uint64_t tag);

#ifdef __cplusplus
}
#endif
#endif
