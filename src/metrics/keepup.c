/* The keep-up check of a probe (metrics.h, docs/sweep.md "Verdict"): completions against
 * arrivals over the second half of the arrival window. */
#include <math.h>
#include <stdlib.h>

#include "capsearch/metrics.h"
#include "metrics/sort.h"
#include "util/sbuf.h"

void cs_keepup_evaluate(const cs_request_record *r, size_t n, int64_t num_arrived, cs_keepup *out) {
  *out = (cs_keepup){.ratio = NAN, .sustained_qps = NAN, .median_e2e = NAN, .span_s = 0};
  out->unfinished = num_arrived > (int64_t)n ? num_arrived - (int64_t)n : 0;
  if (n == 0) {
    out->too_short = num_arrived > 0;
    return;
  }
  double first = INFINITY, last = -INFINITY;
  for (size_t i = 0; i < n; i++) {
    double a = r[i].v[CS_RM_ARRIVED_AT];
    if (a < first) first = a;
    if (a > last) last = a;
  }
  /* the typical latency before any backlog could build: the median E2E of the requests that
   * arrived in the first half of the span (a growing backlog inflates later latencies) */
  double w0 = first + (last - first) / 2;
  double *e2e = cs__xmalloc(n * sizeof *e2e);
  size_t ne = 0;
  for (size_t i = 0; i < n; i++)
    if (r[i].v[CS_RM_ARRIVED_AT] < w0 || n == 1) e2e[ne++] = r[i].v[CS_RM_E2E];
  cs__sort_doubles(e2e, ne);
  out->median_e2e = cs_quantile_sorted(e2e, ne, 0.5);
  free(e2e);
  out->span_s = last - first;
  int64_t arr = 0, done = 0;
  for (size_t i = 0; i < n; i++) {
    double a = r[i].v[CS_RM_ARRIVED_AT], c = a + r[i].v[CS_RM_E2E];
    arr += a >= w0;
    done += c >= w0 && c <= last;
  }
  if (arr > 0) out->ratio = (double)done / (double)arr;
  out->sustained_qps = last > w0 ? (double)done / (last - w0) : NAN;
  /* the deficit a stable run may show: 5 %, or two standard deviations of the window's own
   * Poisson arrival count, whichever is larger */
  double allow = fmax((1 - CS_KEEPUP_MIN_RATIO) * (double)arr, 2 * sqrt((double)arr));
  bool short_run = !(out->median_e2e <= out->span_s / 2);
  out->kept_up = out->unfinished == 0 && out->span_s > 0 && !short_run && arr > 0 && (double)(arr - done) <= allow;
  out->too_short = !out->kept_up && out->unfinished == 0 && short_run;
}
