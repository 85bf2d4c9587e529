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
  uint64_t *a = cs__xmalloc(n * sizeof *a), *b = cs__xmalloc(n * sizeof *b);
  uint64_t all_and = UINT64_MAX, all_or = 0;
  for (size_t i = 0; i < n; i++) {
    a[i] = key_of(v[i]);
    all_and &= a[i];
    all_or |= a[i];
  }
  uint64_t differ = all_and ^ all_or; /* bits that vary: skip bytes where every key agrees */
  for (int shift = 0; shift < 64; shift += 8) {
    if (!((differ >> shift) & 0xff)) continue;
    size_t count[257] = {0};
    for (size_t i = 0; i < n; i++) count[((a[i] >> shift) & 0xff) + 1]++;
    for (int k = 0; k < 256; k++) count[k + 1] += count[k];
    for (size_t i = 0; i < n; i++) b[count[(a[i] >> shift) & 0xff]++] = a[i];
    uint64_t *t = a;
    a = b;
    b = t;
  }
  for (size_t i = 0; i < n; i++) v[i] = val_of(a[i]);
  /* NaN keys (UINT64_MAX) decode to a NaN bit pattern, so NaNs come out last as NaNs */
  free(a);
  free(b);
}
