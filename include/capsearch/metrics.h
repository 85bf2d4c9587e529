/* Per-request metrics (Vidur V1's request_metrics.csv columns, in Vidur's order), quantile
 * tables, and SLO evaluation over them.
 * Definitions (vidur-semantics.md §6.1): a = arrival, s = first schedule, f = prefill
 * completion (first token), c = completion, e = execution time, m = model execution time,
 * p = preempted time, P/D = post-restart prompt and output token counts.
 *
 * Ownership: records are plain values; cs_metric_table is caller-owned (_init/_release). */
#ifndef CAPSEARCH_METRICS_H
#define CAPSEARCH_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capsearch/error.h"

/* X(ID, "column", is_integer, is_time_distribution) in request_metrics.csv column order.
 * The 15 time distributions get a plots/<column>.csv quantile table. */
#define CS_REQUEST_METRICS(X)                                                          \
  X(REQUEST_ID, "Request Id", 1, 0)                                                    \
  X(E2E, "request_e2e_time", 0, 1)                                                     \
  X(E2E_NORM, "request_e2e_time_normalized", 0, 1)                                     \
  X(EXEC, "request_execution_time", 0, 1)                                              \
  X(EXEC_NORM, "request_execution_time_normalized", 0, 1)                              \
  X(MODEL_EXEC, "request_model_execution_time", 0, 1)                                  \
  X(MODEL_EXEC_NORM, "request_model_execution_time_normalized", 0, 1)                  \
  X(PREEMPT, "request_preemption_time", 0, 1)                                          \
  X(SCHED_DELAY, "request_scheduling_delay", 0, 1)                                     \
  X(EXEC_PLUS_PREEMPT, "request_execution_plus_preemption_time", 0, 1)                 \
  X(EXEC_PLUS_PREEMPT_NORM, "request_execution_plus_preemption_time_normalized", 0, 1) \
  X(TTFT, "prefill_e2e_time", 0, 1)                                                    \
  X(TTFT_NORM, "prefill_e2e_time_normalized", 0, 1)                                    \
  X(PREFILL_EPP, "prefill_time_execution_plus_preemption", 0, 1)                       \
  X(PREFILL_EPP_NORM, "prefill_time_execution_plus_preemption_normalized", 0, 1)       \
  X(TPOT, "decode_time_execution_plus_preemption_normalized", 0, 1)                    \
  X(INTER_ARRIVAL, "request_inter_arrival_delay", 0, 0)                                \
  X(NUM_TOKENS, "request_num_tokens", 1, 0)                                            \
  X(NUM_PREFILL, "request_num_prefill_tokens", 1, 0)                                   \
  X(NUM_PREFILL_CACHED, "request_num_prefill_tokens_cached", 1, 0)                     \
  X(NUM_DECODE, "request_num_decode_tokens", 1, 0)                                     \
  X(PD_RATIO, "request_pd_ratio", 0, 0)                                                \
  X(NUM_RESTARTS, "request_num_restarts", 1, 0)                                        \
  X(ARRIVED_AT, "request_arrived_at", 0, 0)                                            \
  X(REPLICA, "replica", 1, 0)

typedef enum cs_rm {
#define CS__RM_ENUM(id, col, isint, isdist) CS_RM_##id,
  CS_REQUEST_METRICS(CS__RM_ENUM)
#undef CS__RM_ENUM
  CS_RM_COUNT
} cs_rm;

typedef struct cs_request_record {
  double v[CS_RM_COUNT];
} cs_request_record;

const char *cs_rm_name(cs_rm m);
bool cs_rm_is_integer(cs_rm m);
bool cs_rm_is_distribution(cs_rm m);
/* Metric by column name; -1 (and a suggestion in err) when unknown. Also accepts aliases:
 * "ttft" -> prefill_e2e_time, "tpot"/"tbt" -> decode_time_execution_plus_preemption_normalized,
 * "e2e" -> request_e2e_time, "scheduling_delay" -> request_scheduling_delay. */
int cs_rm_find(const char *name, cs_rm *out, cs_err *err);

/* pandas Series.quantile(q) with linear interpolation on a sorted array. */
double cs_quantile_sorted(const double *sorted, size_t n, double q);

/* A 101-row quantile table (cdf = i * 0.01, i = 0..100), what plots/<metric>.csv holds and
 * what the single-SLO verdict reads. */
typedef struct cs_quantile_table {
  double cdf[101];
  double value[101];
  size_t count; /* samples behind it; 0 => values are NAN */
} cs_quantile_table;

void cs_quantile_table_build(const double *values, size_t n, cs_quantile_table *out);
/* The same table for whole values 0..nvals-1 given as counts (counts[v] samples equal v): the
 * bytes equal cs_quantile_table_build on the expanded samples, with no sort and memory that
 * grows with the largest value instead of the number of samples (batch sizes, token counts). */
void cs_quantile_table_build_counts(const uint32_t *counts, size_t nvals, cs_quantile_table *out);
/* Quantile q of the table itself, with pandas' linear interpolation over its 101 values
 * (for q = 0.99 this is exactly the p99 of the samples). */
double cs_quantile_table_at(const cs_quantile_table *t, double q);

/* ---- SLOs ---------------------------------------------------------------------------- */
typedef enum cs_slo_type { CS_SLO_AND = 0, CS_SLO_OR = 1 } cs_slo_type;

typedef struct cs_slo {
  cs_rm metric;
  double value; /* threshold: metric <= value passes */
} cs_slo;

typedef struct cs_slo_config {
  const char *name;
  cs_slo_type type;
  double quantile;  /* e.g. 0.99 */
  int n;
  cs_slo slos[8];
} cs_slo_config;

typedef struct cs_slo_verdict {
  bool pass;
  double value;       /* single SLO: the metric's quantile; several: fraction of requests meeting them */
  int64_t completed;  /* requests that completed */
  int64_t total;      /* requests that arrived (unfinished ones count as violating) */
} cs_slo_verdict;

/* Early stopping. A completed request violates `slo` when its record alone already fails it:
 * one SLO: the metric is above the threshold (or NaN); several: the record does not meet them
 * (`and`: all, `or`: any). Such a request counts against the run whatever happens later. */
bool cs_slo_record_violates(const cs_slo_config *slo, const cs_request_record *r);
/* The number of violating requests that decides a failing verdict whatever the other requests
 * do, for any run judged over at most `max_total` requests (the arrived ones, or the completed
 * ones): INT64_MAX when no count does. Once that many completed requests violate, the full run
 * cannot pass, so a search can stop simulating it (capsearch's --full-probes turns this off). */
int64_t cs_slo_deciding_violations(const cs_slo_config *slo, int64_t max_total);

/* Judges a run (vidur-semantics.md §7.6) with capsearch's fix: requests that arrived but did
 * not finish within the time limit count as violating. `records` are the completed requests;
 * `num_arrived` counts all requests that arrived. */
void cs_slo_evaluate(const cs_slo_config *slo, const cs_request_record *records, size_t n_completed,
                     int64_t num_arrived, cs_slo_verdict *out);

/* Did the simulated system keep up with the offered load? (docs/sweep.md "Verdict"; flow
 * balance of operational analysis, Denning & Buzen 1978: a system that is not saturated
 * completes, over an observation window, the work that arrives in it.) Window W = the second
 * half of the arrival span S, [t_first + S/2, t_last]. Kept up iff
 *   - every request finished (no time-limit cut),
 *   - the median E2E of the requests arriving in the first half is at most S/2 (else the run
 *     is too short to tell: `too_short`; num_requests spans too little time at this QPS), and
 *   - the requests completing inside W fall short of those arriving inside W by at most
 *     max(5 %, 2 sqrt(arrivals in W)) (the window's own Poisson noise).
 * A stable system passes (completions in W are the arrivals of an equally long window one
 * latency earlier); a burst drained long after it arrived, or a growing backlog, fails. */
#define CS_KEEPUP_MIN_RATIO 0.95
typedef struct cs_keepup {
  bool kept_up;
  bool too_short;       /* not kept up, and the median E2E exceeds half the arrival span */
  double span_s;        /* last - first arrival */
  double ratio;         /* completions / arrivals inside W (NAN when W holds no arrival) */
  double sustained_qps; /* completions inside W / its length: the throughput the run sustained */
  double median_e2e;     /* of the requests arriving in the first half of the span */
  int64_t unfinished;
} cs_keepup;

/* `records` are the completed requests (arrival and E2E columns used); `num_arrived` all
 * requests that arrived. */
void cs_keepup_evaluate(const cs_request_record *records, size_t n_completed, int64_t num_arrived, cs_keepup *out);

#endif
