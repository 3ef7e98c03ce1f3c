/* momu — xoshiro256** (Blackman & Vigna, https://prng.di.unimi.it/) seeded by splitmix64. */
#include "momu/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void momu_rng_seed(momu_rng *r, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
    r->has_spare = 0;
    r->spare = 0.0f;
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t momu_rng_u64(momu_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

float momu_rng_uniform(momu_rng *r) { return (float)(momu_rng_u64(r) >> 40) * (1.0f / 16777216.0f); }

float momu_rng_normal(momu_rng *r) {
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    /* Box-Muller in double; u1 in (0, 1] so the log is finite */
    double u1 = ((double)(momu_rng_u64(r) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
    double u2 = (double)(momu_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
    double rad = sqrt(-2.0 * log(u1));
    double th = 6.283185307179586 * u2;
    r->spare = (float)(rad * sin(th));
    r->has_spare = 1;
    return (float)(rad * cos(th));
}

size_t momu_rng_below(momu_rng *r, size_t n) {
    uint64_t lim = UINT64_MAX - UINT64_MAX % (uint64_t)n;
    uint64_t v;
    do v = momu_rng_u64(r); while (v >= lim);
    return (size_t)(v % (uint64_t)n);
}

void momu_rng_fill_normal(momu_rng *r, float *x, size_t n, float std) {
    for (size_t i = 0; i < n; i++) x[i] = std * momu_rng_normal(r);
}

void momu_rng_shuffle(momu_rng *r, size_t *idx, size_t n) {
    for (size_t i = n; i > 1; i--) {
        size_t j = momu_rng_below(r, i);
        size_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}

void momu_rng_split(momu_rng *child, const momu_rng *parent, uint64_t tag) {
    uint64_t x = parent->s[0] ^ rotl(parent->s[1], 13) ^ rotl(parent->s[2], 29) ^ rotl(parent->s[3], 47);
    x ^= splitmix64(&tag);
    momu_rng_seed(child, x);
}
