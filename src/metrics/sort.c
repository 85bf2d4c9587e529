/* See sort.h. */
#include "metrics/sort.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/sbuf.h"

static uint64_t key_of(double d) {
  uint64_t u;
  if (isnan(d)) return UINT64_MAX;
  if (d == 0) d = 0.0; /* -0.0 and 0.0 compare equal: give them one key */
  memcpy(&u, &d, sizeof u);
  return (u >> 63) ? ~u : u | 0x8000000000000000ULL;
}

static double val_of(uint64_t k) {
  uint64_t u = (k >> 63) ? k & 0x7fffffffffffffffULL : ~k;
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}

/* The caller's array doubles as the second radix buffer: its 8-byte slots hold keys between
 * passes, always read and written through memcpy (no type punning). */
static uint64_t ld(const unsigned char *p, size_t i) {
  uint64_t k;
  memcpy(&k, p + 8 * i, 8);
  return k;
}
static void st(unsigned char *p, size_t i, uint64_t k) { memcpy(p + 8 * i, &k, 8); }

static void insertion(double *v, size_t n) {
  for (size_t i = 1; i < n; i++) {
    double x = v[i];
    size_t j = i;
    while (j > 0 && (v[j - 1] > x || (isnan(v[j - 1]) && !isnan(x)))) {
      v[j] = v[j - 1];
      j--;
    }
    v[j] = x;
  }
}

void cs__sort_doubles(double *v, size_t n) {
  if (n < 48) {
    insertion(v, n);
    return;
  }
  unsigned char *bufs[2] = {cs__xmalloc(n * 8), (unsigned char *)v};
  uint64_t all_and = UINT64_MAX, all_or = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t k = key_of(v[i]);
    st(bufs[0], i, k);
    all_and &= k;
    all_or |= k;
  }
  uint64_t differ = all_and ^ all_or; /* bits that vary: skip bytes where every key agrees */
  int cur = 0;                        /* the buffer holding the keys */
  for (int shift = 0; shift < 64; shift += 8) {
    if (!((differ >> shift) & 0xff)) continue;
    const unsigned char *a = bufs[cur];
    unsigned char *b = bufs[1 - cur];
    size_t count[257] = {0};
    for (size_t i = 0; i < n; i++) count[((ld(a, i) >> shift) & 0xff) + 1]++;
    for (int k = 0; k < 256; k++) count[k + 1] += count[k];
    for (size_t i = 0; i < n; i++) {
      uint64_t k = ld(a, i);
      st(b, count[(k >> shift) & 0xff]++, k);
    }
    cur = 1 - cur;
  }
  /* NaN keys (UINT64_MAX) decode to a NaN bit pattern, so NaNs come out last as NaNs */
  for (size_t i = 0; i < n; i++) {
    double d = val_of(ld(bufs[cur], i));
    memcpy((unsigned char *)v + 8 * i, &d, 8);
  }
  free(bufs[0]);
}

/* How many elements of sorted a[0, n) have a key <= k. */
static size_t count_le(const double *a, size_t n, uint64_t k) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (key_of(a[mid]) <= k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

double cs__parts_rank(const double *const *parts, const size_t *np, size_t k, size_t r, uint64_t *key_lo) {
  uint64_t lo = *key_lo, hi = UINT64_MAX; /* the answer's key is in [lo, hi] */
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    size_t c = 0;
    for (size_t j = 0; j < k && c <= r; j++) c += count_le(parts[j], np[j], mid);
    if (c > r) hi = mid;
    else lo = mid + 1;
  }
  *key_lo = lo;
  return val_of(lo);
}
