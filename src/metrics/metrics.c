/* Request-metric names, pandas-compatible quantiles, 101-row quantile tables
 * (vidur-semantics.md §6.1, §6.3). SLO evaluation lives in slo.c. */
#include "capsearch/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/sort.h"
#include "util/sbuf.h"
#include "util/text.h"

/* The metric registry, one entry per line of CS_REQUEST_METRICS (the enum comes from the same
 * list, so the two cannot disagree in length or order); entry i is metric i. */
typedef struct rm_def {
  cs_registry_entry info; /* name = the column; flags = CS_RMF_* */
  const char *unit;
} rm_def;

static const rm_def rm_defs[CS_RM_COUNT] = {
#define CS__RM_DEF(id, col, fl, un, al, sum, value) {{.name = col, .summary = sum, .aliases = al, .flags = fl}, un},
    CS_REQUEST_METRICS(CS__RM_DEF)
#undef CS__RM_DEF
};

static const cs_registry_entry *const rm_entries[] = {
#define CS__RM_ENTRY(id, col, flags, unit, aliases, summary, value) &rm_defs[CS_RM_##id].info,
    CS_REQUEST_METRICS(CS__RM_ENTRY)
#undef CS__RM_ENTRY
        NULL};

static const cs_registry rm_registry = {"metric", rm_entries};

const cs_registry *cs_rm_registry(void) { return &rm_registry; }

void cs_request_record_fill(const cs_request_facts *r, cs_request_record *out) {
#define CS__RM_FILL(id, col, flags, unit, aliases, summary, value) out->v[CS_RM_##id] = (value);
  CS_REQUEST_METRICS(CS__RM_FILL)
#undef CS__RM_FILL
}

static const char *const no_aliases[] = {NULL};

const char *cs_rm_name(cs_rm m) { return (unsigned)m < CS_RM_COUNT ? rm_defs[m].info.name : "?"; }
bool cs_rm_is_integer(cs_rm m) { return (unsigned)m < CS_RM_COUNT && cs_registry_has(&rm_defs[m].info, CS_RMF_INT); }
bool cs_rm_is_distribution(cs_rm m) {
  return (unsigned)m < CS_RM_COUNT && cs_registry_has(&rm_defs[m].info, CS_RMF_DIST);
}
const char *cs_rm_unit(cs_rm m) { return (unsigned)m < CS_RM_COUNT ? rm_defs[m].unit : ""; }
const char *cs_rm_summary(cs_rm m) { return (unsigned)m < CS_RM_COUNT ? rm_defs[m].info.summary : ""; }
const char *const *cs_rm_aliases(cs_rm m) {
  return (unsigned)m < CS_RM_COUNT && rm_defs[m].info.aliases ? rm_defs[m].info.aliases : no_aliases;
}

/* Up to this many aliases per metric take part in suggestions. */
#define MAX_ALIASES 4

int cs_rm_find(const char *name, cs_rm *out, cs_err *err) {
  if (!name) return cs_err_set(err, CS_EINVAL, "metric name is missing");
  const cs_registry_entry *e = cs_registry_get(&rm_registry, name);
  if (e) {
    *out = (cs_rm)((const rm_def *)e - rm_defs);
    return 0;
  }
  /* not cs_registry_find: its list of every name would be 25 long column names */
  const char *cands[CS_RM_COUNT * (1 + MAX_ALIASES)];
  size_t n = 0;
  for (int i = 0; i < CS_RM_COUNT; i++) cands[n++] = rm_defs[i].info.name;
  for (int i = 0; i < CS_RM_COUNT; i++) {
    const char *const *a = cs_rm_aliases((cs_rm)i);
    for (size_t k = 0; k < MAX_ALIASES && a[k]; k++) cands[n++] = a[k];
  }
  const char *sug = cs__suggest(name, cands, n);
  if (sug) return cs_err_set(err, CS_EUNKNOWN, "unknown metric '%s' (did you mean '%s'?)", name, sug);
  return cs_err_set(err, CS_EUNKNOWN,
                    "unknown metric '%s' (expected a request_metrics.csv column such as prefill_e2e_time, "
                    "or an alias such as ttft, tpot or e2e; see `capsearch list metrics`)",
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

/* See sort.h. */
void cs__quantile_pos(size_t n, double q, size_t *i, double *t) {
  /* pandas passes q*100 to np.percentile, which divides by 100 again: replay that rounding. */
  double qq = (q * 100.0) / 100.0;
  double vi = (double)(n - 1) * qq;
  *t = 0;
  if (vi <= 0) {
    *i = 0;
  } else if (vi >= (double)(n - 1)) {
    *i = n - 1;
  } else {
    double lo = floor(vi);
    *i = (size_t)lo;
    *t = vi - lo;
  }
}

double cs_quantile_sorted(const double *sorted, size_t n, double q) {
  if (n == 0) return NAN;
  size_t i;
  double t;
  cs__quantile_pos(n, q, &i, &t);
  return t == 0 ? sorted[i] : lerp(sorted[i], sorted[i + 1], t);
}

void cs__quantile_table_sorted(const double *sorted, size_t n, cs_quantile_table *out) {
  out->count = n;
  for (int i = 0; i <= 100; i++) {
    out->cdf[i] = i * 0.01;
    out->value[i] = n ? cs_quantile_sorted(sorted, n, out->cdf[i]) : NAN;
  }
}

void cs_quantile_table_build(const double *values, size_t n, cs_quantile_table *out) {
  double *s = NULL;
  if (n) {
    s = cs__xmalloc(n * sizeof *s);
    memcpy(s, values, n * sizeof *s);
    cs__sort_doubles(s, n);
  }
  cs__quantile_table_sorted(s, n, out);
  free(s);
}

/* Rank searches cost about 101 x 64 x k x log2(n / k) key steps, a radix sort of a copy about
 * 16 steps per value: the cheaper one runs (the table is the same). */
static bool search_is_cheaper(size_t k, size_t n) {
  return 101.0 * 64.0 * (double)k * log2((double)n / (double)k + 2.0) < 16.0 * (double)n;
}

void cs__quantile_table_parts(const double *const *parts, const size_t *np, size_t k, cs_quantile_table *out) {
  size_t n = 0;
  for (size_t j = 0; j < k; j++) n += np[j];
  if (!n || !search_is_cheaper(k, n)) {
    double *all = cs__xmalloc((n ? n : 1) * sizeof *all);
    size_t o = 0;
    for (size_t j = 0; j < k; j++) {
      if (np[j]) memcpy(all + o, parts[j], np[j] * sizeof *all);
      o += np[j];
    }
    cs__sort_doubles(all, n);
    cs__quantile_table_sorted(all, n, out);
    free(all);
    return;
  }
  out->count = n;
  uint64_t key = 0;
  for (int r = 0; r <= 100; r++) {
    out->cdf[r] = r * 0.01;
    size_t i;
    double t;
    cs__quantile_pos(n, out->cdf[r], &i, &t);
    double a = cs__parts_rank(parts, np, k, i, &key);
    if (t == 0) {
      out->value[r] = a;
    } else {
      uint64_t key2 = key;
      out->value[r] = lerp(a, cs__parts_rank(parts, np, k, i + 1, &key2), t);
    }
  }
}

/* The k-th smallest sample (0-based) of a counts histogram, walking forward from a cursor
 * (v, below = samples with value < v) since the table asks for increasing k. */
static double kth_count(const uint32_t *counts, size_t nvals, uint64_t k, size_t *v, uint64_t *below) {
  while (*v < nvals && *below + counts[*v] <= k) *below += counts[(*v)++];
  return (double)*v;
}

void cs_quantile_table_build_counts(const uint32_t *counts, size_t nvals, cs_quantile_table *out) {
  uint64_t n = 0;
  for (size_t v = 0; v < nvals; v++) n += counts[v];
  out->count = (size_t)n;
  size_t cur = 0;
  uint64_t below = 0;
  for (int r = 0; r <= 100; r++) {
    out->cdf[r] = r * 0.01;
    if (!n) {
      out->value[r] = NAN;
      continue;
    }
    size_t i;
    double t;
    cs__quantile_pos((size_t)n, out->cdf[r], &i, &t);
    double a = kth_count(counts, nvals, i, &cur, &below);
    if (t == 0) {
      out->value[r] = a;
    } else {
      size_t cur2 = cur;
      uint64_t below2 = below;
      out->value[r] = lerp(a, kth_count(counts, nvals, i + 1, &cur2, &below2), t);
    }
  }
}

double cs_quantile_table_at(const cs_quantile_table *t, double q) {
  if (!t->count) return NAN;
  return cs_quantile_sorted(t->value, 101, q);
}
