/* Bottleneck label of a best configuration: Vidur's rule cases (vidur-semantics.md §8,
 * analyzer/bottleneck_cases.py), tried in Vidur's order, first match wins, with its broken rule
 * fixed:
 *   Vidur's case (b) "low memory, increase parallelism" tests `memory_usage_mean > 0.7` and
 *   `batch_size_p75 < 0.7`. Both comparisons are broken: memory use is recorded in percent
 *   (0-100), so the first is true for any non-idle run, and a batch size is a count, so the
 *   second is false for every batch of one request or more; together the case never fires.
 *   Fix 1: memory use > 70 (percent). Fix 2: P75 batch size < 0.7 x the batch-size cap.
 * Extension: the TBT tail rule treats vllm_v1 as a chunked-prefill scheduler (Vidur only knew
 * Sarathi), and a run whose tails all sit under 80% of their SLOs is labelled as such instead of
 * "Could not interpret the bottleneck". */
#include <math.h>
#include <string.h>

#include "analysis/an_int.h"
#include "capsearch/sim.h"

#define RISK 0.8          /* a tail above 80% of its SLO is at risk (Vidur) */
#define BATCH_SAT 0.9     /* (a): P75 batch above 90% of the cap */
#define MEM_HIGH_PCT 70.0 /* (b), fixed: memory use in percent */
#define BATCH_LOW 0.7     /* (b), fixed: P75 batch below 70% of the cap */
#define IDLE_PCT 40.0     /* (c): idle = 100 - busy% */
#define TBT_BASE 0.75     /* TBT P25 above 75% of the SLO: latency, not tail */

/* SLO metric names resolve as the sweep resolves them (aliases included); Vidur's TBT proxy
 * batch_execution_time is no SLO metric there, so it is none here either. */
static bool slo_metric_is(const char *name, cs_rm want) {
  cs_rm m;
  return !cs__an_slo_metric(name, &m, NULL) && m == want;
}
static bool is_ttft(const char *m) { return slo_metric_is(m, CS_RM_TTFT); }
static bool is_tbt(const char *m) { return slo_metric_is(m, CS_RM_TPOT); }

const char *cs__an_bottleneck(const cs__job *j, const cs__stats *st) {
  /* SLO targets from the job; Vidur's defaults (TTFT P90 <= 2 s, TBT P99 <= 0.2 s) when the
   * job's SLO names neither. */
  double ttft_slo = NAN, tbt_slo = NAN, q = j->have_slo ? j->slo_quantile : NAN;
  for (int s = 0; s < j->nslo; s++) {
    if (is_ttft(j->slo[s].metric)) ttft_slo = j->slo[s].value;
    if (is_tbt(j->slo[s].metric)) tbt_slo = j->slo[s].value;
  }
  double qt = q, qb = q;
  if (isnan(ttft_slo) && isnan(tbt_slo)) {
    ttft_slo = 2.0;
    qt = 0.90;
    tbt_slo = 0.2;
    qb = 0.99;
  }
  double cap = (double)j->batch_size * (j->pp > 0 ? j->pp : 1);
  double idle = isnan(st->busy_mean) ? NAN : 100.0 - st->busy_mean;
  double bs75 = st->batch_size_p75;

  if (!isnan(ttft_slo)) {
    double ttft = cs__qtab_at(&st->ttft_cdf, qt);
    if (ttft > RISK * ttft_slo) {
      if (cap > 0 && bs75 > BATCH_SAT * cap)
        return "TTFT: batch size saturated (P75 batch > 90% of the cap): raise the batch size cap";
      if (st->mem_mean > MEM_HIGH_PCT && cap > 0 && bs75 < BATCH_LOW * cap)
        return "TTFT: KV-cache memory bound (memory > 70% while batches stay under 70% of the cap): "
               "more memory per replica (higher TP/PP or a larger-memory device)";
      if (idle > IDLE_PCT)
        return "TTFT: pipeline bubbles (stages idle > 40% of the time): fewer pipeline stages";
      return "TTFT: low prefill throughput: more compute per replica (higher TP, faster device) or more replicas";
    }
  }
  if (!isnan(tbt_slo)) {
    double tbt = cs__qtab_at(&st->tbt_cdf, qb);
    if (tbt > RISK * tbt_slo) {
      if (st->tbt_p25 > TBT_BASE * tbt_slo) {
        if (idle > IDLE_PCT) return "TBT: pipeline bubbles (stages idle > 40% of the time): fewer pipeline stages";
        return "TBT: high model execution latency (P25 TBT > 75% of the SLO): increase parallelism (TP)";
      }
      const char *rs = j->f[CS__JF_RSCHED];
      if (!cs_registry_has(cs_registry_get(cs_replica_scheds(), rs), CS_RSCHED_CHUNKED_PREFILL))
        return "TBT: decodes stall behind whole prefills: switch to chunked prefill (sarathi, vllm_v1)";
      if (j->chunk_size > 1024) return "TBT: long prefill chunks in decode batches: reduce the chunk size";
      return "TBT: tail latency not explained by the rules (chunked, chunk <= 1024)";
    }
  }
  return "none: every SLO tail is within 80% of its target";
}
