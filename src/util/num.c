/* Checked number parsing (num.h). strtod reads the text; what it accepts beyond a plain
 * decimal or exponent number (hex floats, "nan", "inf", leading blanks) is refused first. */
#include "util/num.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CS__EXACT_INT 9007199254740992.0 /* 2^53: integers above are not exact in a double */

static bool plain_number(const char *s) {
  const char *p = s;
  if (*p == '+' || *p == '-') p++;
  bool digits = false;
  while (*p >= '0' && *p <= '9') p++, digits = true;
  if (*p == '.') {
    p++;
    while (*p >= '0' && *p <= '9') p++, digits = true;
  }
  if (!digits) return false;
  if (*p == 'e' || *p == 'E') {
    p++;
    if (*p == '+' || *p == '-') p++;
    if (!(*p >= '0' && *p <= '9')) return false;
    while (*p >= '0' && *p <= '9') p++;
  }
  return *p == '\0';
}

/* Whether the plain number text s (plain_number) denotes an integer, and that integer exactly the
 * double v: 1 yes, 0 an integer v only approximates (strtod rounded it: 2^53 + 1 reads as 2^53),
 * -1 not an integer ("2.5"). Digits with the exponent applied are compared with v's exact
 * decimal value ("%.0f" prints a double exactly). */
static int exact_integer(const char *s, double v) {
  char dig[400];
  size_t nd = 0;
  long intd = -1; /* digits before the point */
  const char *p = s + (*s == '+' || *s == '-');
  for (; (*p >= '0' && *p <= '9') || *p == '.'; p++) {
    if (*p == '.') intd = (long)nd;
    else if (nd < sizeof dig - 1) dig[nd++] = *p;
    else return 0; /* more digits than this reads: not taken as exact */
  }
  if (intd < 0) intd = (long)nd;
  long e = (*p == 'e' || *p == 'E') ? strtol(p + 1, NULL, 10) : 0;
  if (e > 400 || e < -400) return e > 0 ? 0 : (v == 0 ? 1 : -1);
  long ilen = intd + e; /* digits of the integer part */
  for (long i = ilen < 0 ? 0 : ilen; i < (long)nd; i++)
    if (dig[i] != '0') return -1;
  char want[440];
  size_t n = 0;
  for (long i = 0; i < ilen && n < sizeof want - 1; i++) {
    char c = i < (long)nd ? dig[i] : '0';
    if (n || c != '0') want[n++] = c; /* no leading zeros */
  }
  if (!n) want[n++] = '0';
  want[n] = '\0';
  char got[440];
  snprintf(got, sizeof got, "%.0f", fabs(v));
  return strcmp(want, got) ? 0 : 1;
}

void cs__num_text(double v, char *buf, size_t size) {
  if (v == floor(v) && fabs(v) <= CS__EXACT_INT) {
    snprintf(buf, size, "%.0f", v);
    return;
  }
  for (int p = 1; p <= 17; p++) { /* the shortest text that reads back as v */
    snprintf(buf, size, "%.*g", p, v);
    if (strtod(buf, NULL) == v) return;
  }
}

void cs_num_range_text(const cs_num_range *r, char *buf, size_t size) {
  char lo[40], hi[40];
  cs__num_text(r->min, lo, sizeof lo);
  cs__num_text(r->max, hi, sizeof hi);
  const char *kind = r->integer ? "an integer" : "a number";
  if (r->min_open) snprintf(buf, size, "%s > %s and <= %s", kind, lo, hi);
  else snprintf(buf, size, "%s from %s to %s", kind, lo, hi);
}

int cs_num_parse(const char *s, const cs_num_range *r, double *out, char *why, size_t why_size) {
  char want[128];
  cs_num_range_text(r, want, sizeof want);
  if (!s || !plain_number(s)) {
    snprintf(why, why_size, "expected %s, got '%.60s'", want, s ? s : "");
    return -1;
  }
  /* from here on the text is a number: a failure is its range (-2) */
  errno = 0;
  char *end;
  double v = strtod(s, &end);
  if (*end != '\0' || !isfinite(v) || (errno == ERANGE && fabs(v) > 1)) {
    snprintf(why, why_size, "%.60s is too large (expected %s)", s, want);
    return -2;
  }
  if (r->integer) { /* exactly the integer written, or refused: never a neighbour strtod rounded to */
    int ex = exact_integer(s, v);
    if (ex < 0) {
      snprintf(why, why_size, "expected %s, got '%.60s'", want, s);
      return -1;
    }
    if (!ex || fabs(v) > CS__EXACT_INT) {
      snprintf(why, why_size, "%.60s is out of range (expected %s)", s, want);
      return -2;
    }
  }
  if (v < r->min || v > r->max || (r->min_open && v == r->min)) {
    snprintf(why, why_size, "%.60s is out of range (expected %s)", s, want);
    return -2;
  }
  *out = v == 0 ? 0 : v; /* no -0 */
  return 0;
}
