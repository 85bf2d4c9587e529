/* SLO verdict of one run (vidur-semantics.md §7.6) with capsearch's fix: requests that arrived
 * but did not complete count as violating.
 *  - One SLO: the quantile is taken over the 101-row quantile table of the completed values plus
 *    one +inf per unfinished request (identical to Vidur when everything completed).
 *  - Several SLOs: the fraction of all arrived requests whose metrics meet the SLOs (and: all of
 *    them, or: any); unfinished requests count as failing. */
#include <math.h>
#include <stdlib.h>

#include "capsearch/metrics.h"
#include "util/sbuf.h"

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
    cs_quantile_table_build(v, n, &t);
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
