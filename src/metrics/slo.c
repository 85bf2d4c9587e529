/* SLO verdict of one run (vidur-semantics.md §7.6) with capsearch's fix: requests that arrived
 * but did not complete count as violating.
 *  - One SLO: the quantile is taken over the 101-row quantile table of the completed values plus
 *    one +inf per unfinished request (identical to Vidur when everything completed).
 *  - Several SLOs: the fraction of all arrived requests whose metrics meet the SLOs (and: all of
 *    them, or: any); unfinished requests count as failing. */
#include <math.h>
#include <stdlib.h>

#include "capsearch/metrics.h"
#include "metrics/sort.h"
#include "util/sbuf.h"

int cs_slo_metric_find(const char *name, cs_rm *out, cs_err *err) {
  int rc = cs_rm_find(name, out, err);
  if (rc) return rc;
  if (!cs_rm_is_distribution(*out))
    return cs_err_set(err, CS_ECONFIG,
                      "'%s' is not a request time distribution (an SLO needs one, such as prefill_e2e_time; "
                      "see 'capsearch list metrics')",
                      name);
  return 0;
}

static bool meets(const cs_slo_config *slo, const cs_request_record *r) {
  bool any = false, all = true;
  for (int k = 0; k < slo->n; k++) {
    double v = r->v[slo->slos[k].metric];
    bool ok = v <= slo->slos[k].value; /* NaN compares false, as in pandas */
    any = any || ok;
    all = all && ok;
  }
  return slo->type == CS_SLO_OR ? any : all;
}

void cs_slo_evaluate(const cs_slo_config *slo, const cs_request_record *records, size_t n_completed,
                     int64_t num_arrived, cs_slo_verdict *out) {
  int64_t total = num_arrived > (int64_t)n_completed ? num_arrived : (int64_t)n_completed;
  out->completed = (int64_t)n_completed;
  out->total = total;
  out->pass = false;
  out->value = NAN;
  if (total == 0 || slo->n <= 0) return;
  if (slo->n == 1) {
    size_t n = (size_t)total;
    double *v = cs__xmalloc(n * sizeof *v);
    for (size_t i = 0; i < n_completed; i++) v[i] = records[i].v[slo->slos[0].metric];
    for (size_t i = n_completed; i < n; i++) v[i] = INFINITY;
    cs_quantile_table t;
    cs__sort_doubles(v, n); /* v is scratch: sorted in place, no copy */
    cs__quantile_table_sorted(v, n, &t);
    free(v);
    out->value = cs_quantile_table_at(&t, slo->quantile);
    out->pass = out->value <= slo->slos[0].value;
    return;
  }
  int64_t good = 0;
  for (size_t i = 0; i < n_completed; i++) good += meets(slo, &records[i]);
  out->value = (double)good / (double)total;
  out->pass = out->value >= slo->quantile;
}

bool cs_slo_record_violates(const cs_slo_config *slo, const cs_request_record *r) {
  if (slo->n == 1) return !(r->v[slo->slos[0].metric] <= slo->slos[0].value);
  return !meets(slo, r);
}

/* One SLO over N samples: the verdict reads the 101-row table at q, i.e. rows i_T and i_T + 1
 * (or one row), and row r is the samples' quantile at cdf r * 0.01, which reads sorted samples
 * from index lo(N) = cs__quantile_pos(N, i_T * 0.01) up. The violators are the largest samples
 * (above the threshold; NaN sorts last). When at least N - lo(N) samples violate, every sample
 * the verdict reads is above the threshold; linear interpolation between two such values never
 * falls below the smaller (and an infinite end gives +inf), so the value is above the threshold
 * and the verdict fails. The count needed for every N <= max_total is the largest N - lo(N).
 * Several SLOs: good <= N - bad, so good / N <= (max_total - bad) / max_total (division rounds
 * monotonically); once that is below the quantile the verdict fails for every N. */
int64_t cs_slo_deciding_violations(const cs_slo_config *slo, int64_t max_total) {
  if (max_total <= 0 || slo->n <= 0) return INT64_MAX;
  if (slo->n == 1) {
    size_t it, lo;
    double t;
    cs__quantile_pos(101, slo->quantile, &it, &t);
    double cdf = (double)it * 0.01; /* the table's own cdf value for row it */
    int64_t need = 1;
    for (int64_t n = 1; n <= max_total; n++) {
      cs__quantile_pos((size_t)n, cdf, &lo, &t);
      if (n - (int64_t)lo > need) need = n - (int64_t)lo;
    }
    return need;
  }
  for (int64_t bad = 0; bad <= max_total; bad++)
    if (!((double)(max_total - bad) / (double)max_total >= slo->quantile)) return bad;
  return INT64_MAX;
}
