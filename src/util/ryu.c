/* Shortest round-trip decimal of a double: Ryu's digit search (Ulf Adams, "Ryu: fast float-to-
 * string conversion", PLDI 2018), written from the paper's algorithm for 64-bit doubles with
 * the full tables of util/ryu_tables.h. Exact integer arithmetic only (64 x 128-bit products),
 * no locale, no printf, thread-safe.
 *
 * Given v = m2 * 2^e2, the interval of reals that read back as v is [mm, mp] around it (ends
 * included when m2 is even: round-half-even). Ryu scales mv = 4 * m2 and its neighbours by
 * 10^-e10 with one multiplication each, then drops decimal digits while the scaled interval
 * still holds an integer, rounding the last one correctly; the result has the fewest digits of
 * any decimal in the interval and is the closest such decimal to v. */
#include "util/ryu.h"

#include <string.h>

#include "util/ryu_tables.h"

#if defined(__SIZEOF_INT128__)
__extension__ typedef unsigned __int128 u128;

/* (m * mul) >> j for a 125-bit mul given as {low, high}; j >= 64. */
static uint64_t mul_shift(uint64_t m, const uint64_t mul[2], int32_t j) {
  u128 b0 = (u128)m * mul[0], b2 = (u128)m * mul[1];
  return (uint64_t)(((b0 >> 64) + b2) >> (j - 64));
}
#else
static uint64_t umul128(uint64_t a, uint64_t b, uint64_t *hi) {
  uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
  uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  uint64_t mid = (p00 >> 32) + (uint32_t)p10 + (uint32_t)p01;
  *hi = p11 + (p10 >> 32) + (p01 >> 32) + (mid >> 32);
  return (mid << 32) | (uint32_t)p00;
}

static uint64_t mul_shift(uint64_t m, const uint64_t mul[2], int32_t j) {
  uint64_t h0, h2, l2 = umul128(m, mul[1], &h2);
  (void)umul128(m, mul[0], &h0);
  uint64_t lo = h0 + l2, hi = h2 + (lo < h0); /* (b0 >> 64) + b2 as a 128-bit {lo, hi} */
  int32_t s = j - 64;
  if (s == 0) return lo;
  if (s >= 64) return hi >> (s - 64);
  return (hi << (64 - s)) | (lo >> s);
}
#endif

/* floor(log2(5^e)) + 1 for 0 <= e <= 3528 (1 for e = 0). */
static int32_t pow5bits(int32_t e) { return (int32_t)(((uint32_t)e * 1217359u) >> 19) + 1; }
/* floor(log10(2^e)) for 0 <= e <= 1650. */
static uint32_t log10_pow2(int32_t e) { return ((uint32_t)e * 78913u) >> 18; }
/* floor(log10(5^e)) for 0 <= e <= 2620. */
static uint32_t log10_pow5(int32_t e) { return ((uint32_t)e * 732923u) >> 20; }

static uint32_t pow5_factor(uint64_t v) {
  uint32_t n = 0;
  while (v % 5 == 0) {
    v /= 5;
    n++;
  }
  return n;
}
static bool multiple_of_pow5(uint64_t v, uint32_t p) { return pow5_factor(v) >= p; }
static bool multiple_of_pow2(uint64_t v, uint32_t p) { return (v & ((1ull << p) - 1)) == 0; }

/* The scaled interval: vr (v), vp (upper end), vm (lower end) times 10^-e10, truncated, and
 * whether the truncations of vm and vr dropped only zeros. */
typedef struct scaled {
  uint64_t vr, vp, vm;
  int32_t e10;
  bool vm_zeros, vr_zeros;
} scaled;

static void scale(uint64_t m2, int32_t e2, bool accept, uint32_t mm_shift, scaled *s) {
  uint64_t mv = 4 * m2;
  s->vm_zeros = s->vr_zeros = false;
  if (e2 >= 0) {
    uint32_t q = log10_pow2(e2) - (e2 > 3);
    int32_t k = CS__RYU_POW5_INV_BITS + pow5bits((int32_t)q) - 1, i = -e2 + (int32_t)q + k;
    s->e10 = (int32_t)q;
    s->vr = mul_shift(4 * m2, cs__ryu_pow5_inv[q], i);
    s->vp = mul_shift(4 * m2 + 2, cs__ryu_pow5_inv[q], i);
    s->vm = mul_shift(4 * m2 - 1 - mm_shift, cs__ryu_pow5_inv[q], i);
    if (q <= 21) { /* at most one of mp, mv, mm is a multiple of 5 */
      if (mv % 5 == 0) s->vr_zeros = multiple_of_pow5(mv, q);
      else if (accept) s->vm_zeros = multiple_of_pow5(mv - 1 - mm_shift, q);
      else s->vp -= multiple_of_pow5(mv + 2, q);
    }
  } else {
    uint32_t q = log10_pow5(-e2) - (-e2 > 1);
    int32_t i = -e2 - (int32_t)q, k = pow5bits(i) - CS__RYU_POW5_BITS, j = (int32_t)q - k;
    s->e10 = (int32_t)q + e2;
    s->vr = mul_shift(4 * m2, cs__ryu_pow5[i], j);
    s->vp = mul_shift(4 * m2 + 2, cs__ryu_pow5[i], j);
    s->vm = mul_shift(4 * m2 - 1 - mm_shift, cs__ryu_pow5[i], j);
    if (q <= 1) { /* mv has at least q trailing zero bits, and so do mp and mm */
      s->vr_zeros = true;
      if (accept) s->vm_zeros = mm_shift == 1;
      else s->vp--;
    } else if (q < 63) { /* the product has q trailing zeros iff mv has q trailing zero bits */
      s->vr_zeros = multiple_of_pow2(mv, q);
    }
  }
}

/* Drops digits while the interval still holds an integer; returns the rounded digits. */
static uint64_t shortest(scaled *s, bool accept, int32_t *removed) {
  uint64_t vr = s->vr, vp = s->vp, vm = s->vm;
  int32_t n = 0;
  uint32_t last = 0;
  if (s->vm_zeros || s->vr_zeros) { /* rare: exact ends or an exact tie may matter */
    bool vmz = s->vm_zeros, vrz = s->vr_zeros;
    while (vp / 10 > vm / 10) {
      vmz &= vm % 10 == 0;
      vrz &= last == 0;
      last = (uint32_t)(vr % 10);
      vr /= 10, vp /= 10, vm /= 10, n++;
    }
    if (vmz)
      while (vm % 10 == 0) {
        vrz &= last == 0;
        last = (uint32_t)(vr % 10);
        vr /= 10, vp /= 10, vm /= 10, n++;
      }
    if (vrz && last == 5 && vr % 2 == 0) last = 4; /* exactly ...50..0: round half to even */
    *removed = n;
    return vr + ((vr == vm && (!accept || !vmz)) || last >= 5);
  }
  bool up = false;
  while (vp / 10 > vm / 10) {
    up = vr % 10 >= 5;
    vr /= 10, vp /= 10, vm /= 10, n++;
  }
  *removed = n;
  return vr + (vr == vm || up);
}

int cs__ryu_digits(double v, char digits[18], int *exp10) {
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  uint64_t m = bits & ((1ull << 52) - 1);
  uint32_t e = (uint32_t)((bits >> 52) & 0x7ff);
  int32_t e2 = e ? (int32_t)e - 1023 - 52 - 2 : 1 - 1023 - 52 - 2;
  uint64_t m2 = e ? (1ull << 52) | m : m;
  bool accept = (m2 & 1) == 0;
  uint32_t mm_shift = m != 0 || e <= 1; /* the lower gap is half the upper one at 2^k, k > -1022 */
  scaled s;
  scale(m2, e2, accept, mm_shift, &s);
  int32_t removed;
  uint64_t out = shortest(&s, accept, &removed);
  char tmp[20];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + out % 10);
    out /= 10;
  } while (out);
  for (int i = 0; i < n; i++) digits[i] = tmp[n - 1 - i];
  digits[n] = '\0';
  *exp10 = s.e10 + removed + n - 1;
  return n;
}
