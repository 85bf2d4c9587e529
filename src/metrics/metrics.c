/* Request-metric names, pandas-compatible quantiles, 101-row quantile tables
 * (vidur-semantics.md §6.1, §6.3). SLO evaluation lives in slo.c. */
#include "capsearch/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/sort.h"
#include "util/sbuf.h"
#include "util/text.h"

static const char *const rm_names[CS_RM_COUNT] = {
#define CS__RM_NAME(id, col, isint, isdist) col,
    CS_REQUEST_METRICS(CS__RM_NAME)
#undef CS__RM_NAME
};
static const bool rm_int[CS_RM_COUNT] = {
#define CS__RM_INT(id, col, isint, isdist) isint,
    CS_REQUEST_METRICS(CS__RM_INT)
#undef CS__RM_INT
};
static const bool rm_dist[CS_RM_COUNT] = {
#define CS__RM_DIST(id, col, isint, isdist) isdist,
    CS_REQUEST_METRICS(CS__RM_DIST)
#undef CS__RM_DIST
};

const char *cs_rm_name(cs_rm m) { return (unsigned)m < CS_RM_COUNT ? rm_names[m] : "?"; }
bool cs_rm_is_integer(cs_rm m) { return (unsigned)m < CS_RM_COUNT && rm_int[m]; }
bool cs_rm_is_distribution(cs_rm m) { return (unsigned)m < CS_RM_COUNT && rm_dist[m]; }

/* Short names people use for the common SLO metrics. */
static const struct {
  const char *alias;
  cs_rm m;
} aliases[] = {
    {"ttft", CS_RM_TTFT},
    {"tpot", CS_RM_TPOT},
    {"tbt", CS_RM_TPOT},
    {"e2e", CS_RM_E2E},
    {"scheduling_delay", CS_RM_SCHED_DELAY},
};
#define NALIAS (sizeof aliases / sizeof aliases[0])

int cs_rm_find(const char *name, cs_rm *out, cs_err *err) {
  if (!name) return cs_err_set(err, CS_EINVAL, "metric name is missing");
  for (int i = 0; i < CS_RM_COUNT; i++)
    if (!strcmp(rm_names[i], name)) {
      *out = (cs_rm)i;
      return 0;
    }
  for (size_t i = 0; i < NALIAS; i++)
    if (!strcmp(aliases[i].alias, name)) {
      *out = aliases[i].m;
      return 0;
    }
  const char *cands[CS_RM_COUNT + NALIAS];
  size_t n = 0;
  for (int i = 0; i < CS_RM_COUNT; i++) cands[n++] = rm_names[i];
  for (size_t i = 0; i < NALIAS; i++) cands[n++] = aliases[i].alias;
  const char *sug = cs__suggest(name, cands, n);
  if (sug) return cs_err_set(err, CS_EUNKNOWN, "unknown metric '%s' (did you mean '%s'?)", name, sug);
  return cs_err_set(err, CS_EUNKNOWN,
                    "unknown metric '%s' (expected a request_metrics.csv column such as prefill_e2e_time, "
                    "or ttft, tpot, tbt, e2e, scheduling_delay; see `capsearch list metrics`)",
                    name);
}

/* numpy's _lerp: a + (b-a)*t, computed from the b side when t >= 0.5 (numpy >= 1.22), so that
 * the result is exact at both ends. An infinite end (an unfinished request counted as +inf)
 * gives +inf as soon as it takes part (t > 0), instead of numpy's inf*0 = nan at t = 0. */
static double lerp(double a, double b, double t) {
  if (t == 0) return a;
  if (isinf(b) || isinf(a)) return b > a ? b : a;
  double d = b - a;
  return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

double cs_quantile_sorted(const double *sorted, size_t n, double q) {
  if (n == 0) return NAN;
  /* pandas passes q*100 to np.percentile, which divides by 100 again: replay that rounding. */
  double qq = (q * 100.0) / 100.0;
  double vi = (double)(n - 1) * qq;
  if (vi <= 0) return sorted[0];
  if (vi >= (double)(n - 1)) return sorted[n - 1];
  double lo = floor(vi);
  size_t i = (size_t)lo;
  return lerp(sorted[i], sorted[i + 1], vi - lo);
}

void cs_quantile_table_build(const double *values, size_t n, cs_quantile_table *out) {
  out->count = n;
  double *s = NULL;
  if (n) {
    s = cs__xmalloc(n * sizeof *s);
    memcpy(s, values, n * sizeof *s);
    cs__sort_doubles(s, n);
  }
  for (int i = 0; i <= 100; i++) {
    out->cdf[i] = i * 0.01;
    out->value[i] = n ? cs_quantile_sorted(s, n, out->cdf[i]) : NAN;
  }
  free(s);
}

double cs_quantile_table_at(const cs_quantile_table *t, double q) {
  if (!t->count) return NAN;
  return cs_quantile_sorted(t->value, 101, q);
}
