#include "util/rng.h"

/* ---- numpy SeedSequence (pool size 4, 32-bit words) ---------------------------------------- */
#define SS_INIT_A 0x43b0d7e5u
#define SS_MULT_A 0x931e8875u
#define SS_INIT_B 0x8b51f9ddu
#define SS_MULT_B 0x58f38dedu
#define SS_MIX_L 0xca01f9ddu
#define SS_MIX_R 0x4973f715u
#define SS_XSHIFT 16

static uint32_t hashmix(uint32_t value, uint32_t *hash_const) {
  value ^= *hash_const;
  *hash_const *= SS_MULT_A;
  value *= *hash_const;
  value ^= value >> SS_XSHIFT;
  return value;
}

static uint32_t mix(uint32_t x, uint32_t y) {
  uint32_t r = SS_MIX_L * x - SS_MIX_R * y;
  r ^= r >> SS_XSHIFT;
  return r;
}

static void seedseq_state(uint64_t seed, uint64_t out[4]) {
  uint32_t entropy[2];
  int n_entropy = 0;
  entropy[n_entropy++] = (uint32_t)seed;
  if (seed >> 32) entropy[n_entropy++] = (uint32_t)(seed >> 32);
  uint32_t pool[4];
  uint32_t hc = SS_INIT_A;
  for (int i = 0; i < 4; i++) pool[i] = hashmix(i < n_entropy ? entropy[i] : 0, &hc);
  for (int s = 0; s < 4; s++)
    for (int d = 0; d < 4; d++)
      if (s != d) pool[d] = mix(pool[d], hashmix(pool[s], &hc));
  /* entropy longer than the pool would be mixed in here; a 64-bit seed never is */
  uint32_t words[8];
  uint32_t hb = SS_INIT_B;
  for (int i = 0; i < 8; i++) {
    uint32_t v = pool[i % 4];
    v ^= hb;
    hb *= SS_MULT_B;
    v *= hb;
    v ^= v >> SS_XSHIFT;
    words[i] = v;
  }
  for (int i = 0; i < 4; i++) out[i] = (uint64_t)words[2 * i] | (uint64_t)words[2 * i + 1] << 32;
}

#define PCG_MULT (((cs__u128)0x2360ED051FC65DA4ULL << 64) | 0x4385DF649FCCF645ULL)

static void pcg_step(cs__pcg64 *r) { r->state = r->state * PCG_MULT + r->inc; }

void cs__pcg64_seed(cs__pcg64 *r, uint64_t seed) {
  uint64_t v[4];
  seedseq_state(seed, v);
  cs__u128 initstate = ((cs__u128)v[0] << 64) | v[1];
  cs__u128 initseq = ((cs__u128)v[2] << 64) | v[3];
  r->state = 0;
  r->inc = (initseq << 1) | 1;
  pcg_step(r);
  r->state += initstate;
  pcg_step(r);
}

uint64_t cs__pcg64_next64(cs__pcg64 *r) {
  pcg_step(r);
  uint64_t hi = (uint64_t)(r->state >> 64), lo = (uint64_t)r->state;
  unsigned rot = (unsigned)(r->state >> 122);
  uint64_t x = hi ^ lo;
  return (x >> rot) | (x << ((-rot) & 63));
}

double cs__pcg64_random(cs__pcg64 *r) {
  return (double)(cs__pcg64_next64(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- MT19937 as CPython's random module uses it ------------------------------------------ */
static void mt_init_genrand(cs__mt *r, uint32_t s) {
  r->mt[0] = s;
  for (int i = 1; i < 624; i++)
    r->mt[i] = 1812433253u * (r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) + (uint32_t)i;
  r->mti = 624;
}

void cs__mt_seed_legacy(cs__mt *r, uint32_t seed) { mt_init_genrand(r, seed); }

void cs__mt_seed(cs__mt *r, uint64_t seed) {
  uint32_t key[2];
  int klen = 0;
  key[klen++] = (uint32_t)seed;
  if (seed >> 32) key[klen++] = (uint32_t)(seed >> 32);
  mt_init_genrand(r, 19650218u);
  int i = 1, j = 0;
  for (int k = 624 > klen ? 624 : klen; k; k--) {
    r->mt[i] = (r->mt[i] ^ ((r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) * 1664525u)) + key[j] + (uint32_t)j;
    i++;
    j++;
    if (i >= 624) {
      r->mt[0] = r->mt[623];
      i = 1;
    }
    if (j >= klen) j = 0;
  }
  for (int k = 623; k; k--) {
    r->mt[i] = (r->mt[i] ^ ((r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) * 1566083941u)) - (uint32_t)i;
    i++;
    if (i >= 624) {
      r->mt[0] = r->mt[623];
      i = 1;
    }
  }
  r->mt[0] = 0x80000000u;
}

uint32_t cs__mt_next32(cs__mt *r) {
  static const uint32_t mag01[2] = {0x0u, 0x9908b0dfu};
  uint32_t y;
  if (r->mti >= 624) {
    int kk;
    for (kk = 0; kk < 624 - 397; kk++) {
      y = (r->mt[kk] & 0x80000000u) | (r->mt[kk + 1] & 0x7fffffffu);
      r->mt[kk] = r->mt[kk + 397] ^ (y >> 1) ^ mag01[y & 1u];
    }
    for (; kk < 623; kk++) {
      y = (r->mt[kk] & 0x80000000u) | (r->mt[kk + 1] & 0x7fffffffu);
      r->mt[kk] = r->mt[kk + (397 - 624)] ^ (y >> 1) ^ mag01[y & 1u];
    }
    y = (r->mt[623] & 0x80000000u) | (r->mt[0] & 0x7fffffffu);
    r->mt[623] = r->mt[396] ^ (y >> 1) ^ mag01[y & 1u];
    r->mti = 0;
  }
  y = r->mt[r->mti++];
  y ^= (y >> 11);
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= (y >> 18);
  return y;
}

double cs__mt_random(cs__mt *r) {
  uint32_t a = cs__mt_next32(r) >> 5, b = cs__mt_next32(r) >> 6;
  return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
}

static uint64_t getrandbits(cs__mt *r, int k) {
  if (k <= 32) return cs__mt_next32(r) >> (32 - k);
  /* CPython fills 32-bit words little-end first; the last word is shifted */
  uint64_t lo = cs__mt_next32(r);
  uint64_t hi = cs__mt_next32(r) >> (64 - k);
  return lo | hi << 32;
}

uint64_t cs__mt_randbelow(cs__mt *r, uint64_t n) {
  int k = 0;
  for (uint64_t t = n; t; t >>= 1) k++;
  uint64_t v = getrandbits(r, k);
  while (v >= n) v = getrandbits(r, k);
  return v;
}

uint64_t cs__splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
