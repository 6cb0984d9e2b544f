/* The generator's random numbers: xoshiro256** seeded through splitmix64.
 *
 * Every customer owns one stream, seeded from the run's seed and the
 * customer's number, so what a customer does depends on nothing but the
 * seed, its number and its own earlier draws: the output is the same
 * whatever the order customers are simulated in. */
#include <math.h>

#include "gen_internal.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void rs_gen_rng_seed(struct rs_gen_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);

    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t rs_gen_rng_next(struct rs_gen_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double rs_gen_rng_unit(struct rs_gen_rng *r)
{
    return (double)(rs_gen_rng_next(r) >> 11) * 0x1.0p-53;
}

int32_t rs_gen_rng_range(struct rs_gen_rng *r, int32_t lo, int32_t hi)
{
    if (hi <= lo)
        return lo;
    return lo + (int32_t)(rs_gen_rng_next(r) % (uint64_t)(hi - lo + 1));
}

double rs_gen_rng_normal(struct rs_gen_rng *r)
{
    /* Box-Muller; one value per call keeps the stream simple. */
    double u1 = rs_gen_rng_unit(r), u2 = rs_gen_rng_unit(r);

    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

double rs_gen_rng_uniform(struct rs_gen_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * rs_gen_rng_unit(r);
}

int32_t rs_gen_rng_exp_days(struct rs_gen_rng *r, double mean)
{
    double u = rs_gen_rng_unit(r);
    double d = -mean * log(1.0 - u);

    return d > 1e6 ? 1000000 : (int32_t)d + 1;
}
