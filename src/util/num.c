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

static void fmt_bound(double v, char *buf, size_t size) {
  if (fabs(v) < 1e15 && v == floor(v)) snprintf(buf, size, "%.0f", v);
  else snprintf(buf, size, "%g", v);
}

void cs_num_range_text(const cs_num_range *r, char *buf, size_t size) {
  char lo[40], hi[40];
  fmt_bound(r->min, lo, sizeof lo);
  fmt_bound(r->max, hi, sizeof hi);
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
  if (r->integer && (v != floor(v) || fabs(v) > CS__EXACT_INT)) {
    if (v != floor(v)) snprintf(why, why_size, "expected %s, got '%.60s'", want, s);
    else snprintf(why, why_size, "%.60s is out of range (expected %s)", s, want);
    return v != floor(v) ? -1 : -2;
  }
  if (v < r->min || v > r->max || (r->min_open && v == r->min)) {
    snprintf(why, why_size, "%.60s is out of range (expected %s)", s, want);
    return -2;
  }
  *out = v == 0 ? 0 : v; /* no -0 */
  return 0;
}
