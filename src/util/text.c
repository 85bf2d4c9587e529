#include "util/text.h"

#include <ctype.h>
#include <stdbool.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/ryu.h"
#include "util/sbuf.h"

size_t cs__edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  size_t *row = cs__xmalloc((lb + 1) * sizeof *row);
  for (size_t j = 0; j <= lb; j++) row[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t prev = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t cur = row[j];
      size_t sub = prev + (a[i - 1] != b[j - 1]);
      size_t del = row[j] + 1, ins = row[j - 1] + 1;
      row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
      prev = cur;
    }
  }
  size_t d = row[lb];
  free(row);
  return d;
}

const char *cs__suggest(const char *name, const char *const *candidates, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!strcasecmp(name, candidates[i])) return candidates[i];
  size_t len = strlen(name);
  size_t limit = len / 3 > 2 ? len / 3 : 2;
  const char *best = NULL;
  size_t bestd = (size_t)-1;
  for (size_t i = 0; i < n; i++) {
    size_t d = cs__edit_distance(name, candidates[i]);
    if (d < bestd) {
      bestd = d;
      best = candidates[i];
    }
  }
  /* a candidate that keeps none of the name's characters is no suggestion ("zz" -> "l4") */
  if (best && bestd <= limit && bestd < len) return best;
  /* a candidate that contains the name (or vice versa), e.g. "llama-3-70b" in "meta-llama/Meta-Llama-3-70B" */
  for (size_t i = 0; i < n; i++) {
    const char *c = candidates[i];
    size_t lc = strlen(c);
    if (len >= 3 && lc >= len) {
      for (size_t k = 0; k + len <= lc; k++)
        if (!strncasecmp(c + k, name, len)) return c;
    }
  }
  return NULL;
}

/* v's 17 correctly rounded significant digits D17 ("%.16e"), kept to derive shorter roundings:
 * rounding D17 to p digits gives the correctly rounded p-digit decimal of v unless D17's digits
 * after the p-th are exactly 5 then zeros. (The p-digit rounding boundary M has p + 1 digits,
 * so it is a 17-digit decimal: v below M gives D17 <= M, above gives D17 >= M; only D17 == M
 * hides the side, and then printf decides.) */
typedef struct d17 {
  bool neg;
  char dig[17];
  int exp10;
} d17;

static void d17_of(double v, d17 *d) {
  char b[40];
  snprintf(b, sizeof b, "%.16e", v);
  const char *s = b;
  d->neg = *s == '-';
  if (d->neg) s++;
  int n = 0;
  for (; *s && *s != 'e'; s++)
    if (*s >= '0' && *s <= '9' && n < 17) d->dig[n++] = *s;
  d->exp10 = atoi(s + 1);
}

/* S(p) written as printf's "%.*e" with p - 1 decimals; false when D17 cannot tell (a tie). */
static bool d17_round(const d17 *d, int p, char *out, size_t size) {
  char m[18];
  int e = d->exp10;
  memcpy(m, d->dig, (size_t)p);
  if (p < 17) {
    bool tie = d->dig[p] == '5';
    for (int i = p + 1; i < 17 && tie; i++) tie = d->dig[i] == '0';
    if (tie) return false;
    if (d->dig[p] >= '5') { /* round up (above the tie), carrying */
      int i = p - 1;
      while (i >= 0 && m[i] == '9') m[i--] = '0';
      if (i >= 0) {
        m[i]++;
      } else {
        m[0] = '1';
        e++;
      }
    }
  }
  size_t o = 0;
  if (d->neg) out[o++] = '-';
  out[o++] = m[0];
  if (p > 1) out[o++] = '.';
  for (int i = 1; i < p; i++) out[o++] = m[i];
  snprintf(out + o, size - o, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
  return true;
}

static bool round_trips(double v, const d17 *d, int p, char *out, size_t size) {
  if (!d || !d17_round(d, p, out, size)) snprintf(out, size, "%.*e", p - 1, v);
  return strtod(out, NULL) == v;
}

/* The fewest significant digits p (1..17) whose correctly rounded decimal reads back as v,
 * written to out as printf's "%.*e", for the doubles cs__fmt_pyfloat does not hand to Ryu.
 * Subnormals: the gaps to both neighbours are equal, so the predicate is monotone (S(p) inside
 * implies S(p+1) inside) and a binary search finds p, the candidates cut from one 17-digit
 * conversion (see d17). At a power of two the lower gap is half the upper one: the plain
 * search from 1 up with printf, where the shortest correctly rounded decimal may be longer
 * than the shortest decimal in the interval, and it is the former that is wanted. */
static int shortest_digits(double v, char *out, size_t size) {
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  if ((bits & 0xFFFFFFFFFFFFFull) == 0) {
    for (int p = 1; p <= 17; p++)
      if (round_trips(v, NULL, p, out, size)) return p;
    return 17;
  }
  d17 d;
  d17_of(v, &d);
  int lo = 1, hi = 17;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (round_trips(v, &d, mid, out, size)) hi = mid;
    else lo = mid + 1;
  }
  if (!d17_round(&d, lo, out, size)) snprintf(out, size, "%.*e", lo - 1, v);
  return lo;
}

/* "%.6f" through integer arithmetic where that is provably the same text (see text.h). With
 * a = |v| < 2^43 / 10^6, x = fl(a * 10^6) < 2^43, so x's ulp is at most 2^-9 and the exact
 * product X lies within 2^-10 of x. x's integer part and fraction f are exact. Unless f is
 * within 2^-9 of one half, X and x round to the same integer r (X cannot cross the tie), and
 * printf's correctly rounded "%.6f" is r / 10^6 with six decimals. Near a tie snprintf
 * decides; larger and non-finite values are left to the caller. */
size_t cs__fmt_fixed6(double v, char buf[32]) {
  double a = fabs(v);
  if (!(a < 8796093.0)) return 0;
  double x = a * 1e6, ip = floor(x), f = x - ip;
  if (fabs(f - 0.5) <= 1.0 / 512) return (size_t)snprintf(buf, 32, "%.6f", v);
  uint64_t r = (uint64_t)ip + (f > 0.5);
  char tmp[24];
  int n = 0;
  for (int i = 0; i < 6; i++, r /= 10) tmp[n++] = (char)('0' + r % 10);
  tmp[n++] = '.';
  do {
    tmp[n++] = (char)('0' + r % 10);
    r /= 10;
  } while (r);
  size_t o = 0;
  if (signbit(v)) buf[o++] = '-';
  while (n) buf[o++] = tmp[--n];
  buf[o] = '\0';
  return o;
}

char *cs__fmt_pyfloat(double v, char buf[32]) {
  if (isnan(v)) {
    strcpy(buf, "nan");
    return buf;
  }
  if (isinf(v)) {
    strcpy(buf, v < 0 ? "-inf" : "inf");
    return buf;
  }
  if (v == 0) {
    strcpy(buf, signbit(v) ? "-0.0" : "0.0");
    return buf;
  }
  bool neg = signbit(v);
  char digits[24];
  size_t nd = 0;
  int exp10;
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  if ((bits & 0xFFFFFFFFFFFFFull) != 0 && (bits & 0x7FF0000000000000ull) != 0) {
    /* a normal double off a power of two: the gaps to its neighbours are equal, so the
     * closest decimal of p digits (correctly rounded) reads back whenever any p-digit decimal
     * does, and the shortest decimal that reads back (Ryu) is the shortest correctly rounded
     * one, which is what the contract asks for; no printf or strtod */
    nd = (size_t)cs__ryu_digits(v, digits, &exp10);
  } else {
    char e[40];
    shortest_digits(v, e, sizeof e);
    /* e = "[-]d.ddde[+-]XX" -> digits and exponent */
    const char *s = e;
    if (*s == '-') s++;
    for (; *s && *s != 'e'; s++)
      if (isdigit((unsigned char)*s)) digits[nd++] = *s;
    exp10 = atoi(s + 1);
  }
  digits[nd] = '\0';
  while (nd > 1 && digits[nd - 1] == '0') digits[--nd] = '\0';
  char *o = buf;
  if (neg) *o++ = '-';
  if (exp10 >= -5 && exp10 < 16) {
    if (exp10 < 0) {
      *o++ = '0';
      *o++ = '.';
      for (int i = 0; i < -exp10 - 1; i++) *o++ = '0';
      memcpy(o, digits, nd);
      o += nd;
    } else {
      for (int i = 0; i <= exp10; i++) *o++ = i < (int)nd ? digits[i] : '0';
      *o++ = '.';
      if ((int)nd > exp10 + 1) {
        memcpy(o, digits + exp10 + 1, nd - (size_t)exp10 - 1);
        o += nd - (size_t)exp10 - 1;
      } else {
        *o++ = '0';
      }
    }
    *o = '\0';
    /* Python switches to exponent form below 1e-4 */
    if (exp10 < -4) goto expform;
    return buf;
  }
expform:
  o = buf;
  if (neg) *o++ = '-';
  *o++ = digits[0];
  if (nd > 1) {
    *o++ = '.';
    memcpy(o, digits + 1, nd - 1);
    o += nd - 1;
  }
  sprintf(o, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
  return buf;
}

char *cs__fmt_double(double v, char buf[32]) {
  if (isnan(v)) {
    strcpy(buf, "nan");
    return buf;
  }
  /* whole numbers print as integers ("1020", not "1.02e+03") */
  if (v == floor(v) && fabs(v) < 1e15) {
    snprintf(buf, 32, "%.0f", v);
    if (!strcmp(buf, "-0")) strcpy(buf, "0");
    return buf;
  }
  for (int p = 1; p <= 17; p++) {
    snprintf(buf, 32, "%.*g", p, v);
    if (strtod(buf, NULL) == v) return buf;
  }
  return buf;
}
