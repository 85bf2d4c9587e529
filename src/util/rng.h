/* Random number generators that reproduce the streams Vidur draws from, so that arrival times
 * can match Vidur bit for bit (reference vidur-semantics.md §2.4):
 *  - cs__pcg64: numpy's default_rng(seed) = SeedSequence(seed) -> PCG64 (XSL-RR), random() in [0,1)
 *  - cs__mt: CPython's random.Random(seed) = MT19937 with init_by_array, random(), _randbelow
 * Each simulation owns its generators (no globals), so results do not depend on thread count.
 * Ownership: plain value structs, no resources. */
#ifndef CS_UTIL_RNG_H
#define CS_UTIL_RNG_H

#include <stdint.h>

/* 128-bit arithmetic is a GCC/Clang extension; __extension__ keeps -Wpedantic quiet. */
__extension__ typedef unsigned __int128 cs__u128;

typedef struct cs__pcg64 {
  cs__u128 state, inc;
} cs__pcg64;

void cs__pcg64_seed(cs__pcg64 *r, uint64_t seed); /* = numpy.random.default_rng(seed) */
uint64_t cs__pcg64_next64(cs__pcg64 *r);
double cs__pcg64_random(cs__pcg64 *r); /* = Generator.random() */

typedef struct cs__mt {
  uint32_t mt[624];
  int mti;
} cs__mt;

void cs__mt_seed(cs__mt *r, uint64_t seed);   /* = random.Random(seed) for seed >= 0 */
void cs__mt_seed_legacy(cs__mt *r, uint32_t seed); /* = numpy RandomState(seed): init_genrand */
uint32_t cs__mt_next32(cs__mt *r);
double cs__mt_random(cs__mt *r);                 /* = random.random() */
uint64_t cs__mt_randbelow(cs__mt *r, uint64_t n); /* = random._randbelow(n), n >= 1 */

/* splitmix64: cheap seed derivation for independent sub-streams (e.g. per replica). */
uint64_t cs__splitmix64(uint64_t *x);

#endif
