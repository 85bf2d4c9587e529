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
#include "capsearch/registry.h"

/* The quantities a request's metrics are computed from, recorded when it completes (names as
 * in the definitions above). P and D normalise the times; the token-count columns report
 * num_prefill / num_decode, the counts at first scheduling (vidur-semantics.md §6.1). */
typedef struct cs_request_facts {
  double a, s, f, c;            /* arrival, first schedule, first token, completion (s) */
  double e, m, p;               /* execution, model execution, preempted time (s) */
  double sched_delay;           /* time queued before being scheduled (s) */
  double P, D;                  /* post-restart prompt and output tokens */
  double num_prefill, num_decode, num_cached; /* reported token counts; prefix-cache hits */
  double inter_arrival;         /* V1: gap to the previous arrival on the same replica (s) */
  double restarts, replica, id;
} cs_request_facts;

/* Capability flags of a metric: CS_RMF_INT is written as an integer; CS_RMF_DIST is a request
 * time distribution, with plots/<column>.csv (101-row quantile table), _scatter.csv and
 * _replicawise.csv, and the only kind an SLO may name. Every metric is a request_metrics.csv
 * column. */
#define CS_RMF_INT 1u
#define CS_RMF_DIST 2u
/* Aliases of a metric line: CS_RM_ALIASES("ttft") or CS_RM_NO_ALIAS. */
#define CS_RM_ALIASES(...) ((const char *const[]){__VA_ARGS__, NULL})
#define CS_RM_NO_ALIAS NULL

/* The per-request metrics, one line each, in request_metrics.csv column order (Vidur V1):
 *   X(ID, "column", flags, "unit", aliases, "summary", value)
 * `value` is the metric's computation from `const cs_request_facts *r`; it is part of the line,
 * so a metric cannot be declared without one (cs_request_record_fill writes every column).
 * Aliases: Vidur's and vLLM's short names (ttft; tpot and tbt, Vidur's name for the decode time
 * per token; e2e, e2el as vLLM's benchmark says; scheduling_delay, sched_delay as analysis
 * stats.csv says). Adding a metric: one line here (docs/architecture.md). */
#define CS_REQUEST_METRICS(X)                                                                                    \
  X(REQUEST_ID, "Request Id", CS_RMF_INT, "", CS_RM_NO_ALIAS, "request id, in arrival order", r->id)            \
  X(E2E, "request_e2e_time", CS_RMF_DIST, "s", CS_RM_ALIASES("e2e", "e2el"), "arrival to completion, c - a",   \
    r->c - r->a)                                                                                                 \
  X(E2E_NORM, "request_e2e_time_normalized", CS_RMF_DIST, "s/token", CS_RM_NO_ALIAS, "(c - a) / D",             \
    (r->c - r->a) / r->D)                                                                                        \
  X(EXEC, "request_execution_time", CS_RMF_DIST, "s", CS_RM_NO_ALIAS, "time in batches, e", r->e)               \
  X(EXEC_NORM, "request_execution_time_normalized", CS_RMF_DIST, "s/token", CS_RM_NO_ALIAS, "e / D",            \
    r->e / r->D)                                                                                                 \
  X(MODEL_EXEC, "request_model_execution_time", CS_RMF_DIST, "s", CS_RM_NO_ALIAS,                               \
    "model execution time, m (execution without CPU overheads)", r->m)                                          \
  X(MODEL_EXEC_NORM, "request_model_execution_time_normalized", CS_RMF_DIST, "s/token", CS_RM_NO_ALIAS,        \
    "m / D", r->m / r->D)                                                                                        \
  X(PREEMPT, "request_preemption_time", CS_RMF_DIST, "s", CS_RM_NO_ALIAS,                                       \
    "time waiting between its iterations, p", r->p)                                                                \
  X(SCHED_DELAY, "request_scheduling_delay", CS_RMF_DIST, "s", CS_RM_ALIASES("scheduling_delay", "sched_delay"), \
    "arrival to first schedule, s - a", r->sched_delay)                                                          \
  X(EXEC_PLUS_PREEMPT, "request_execution_plus_preemption_time", CS_RMF_DIST, "s", CS_RM_NO_ALIAS, "e + p",     \
    r->e + r->p)                                                                                                 \
  X(EXEC_PLUS_PREEMPT_NORM, "request_execution_plus_preemption_time_normalized", CS_RMF_DIST, "s/token",        \
    CS_RM_NO_ALIAS, "(e + p) / D", (r->e + r->p) / r->D)                                                         \
  X(TTFT, "prefill_e2e_time", CS_RMF_DIST, "s", CS_RM_ALIASES("ttft"), "time to first token, f - a",            \
    r->f - r->a)                                                                                                 \
  X(TTFT_NORM, "prefill_e2e_time_normalized", CS_RMF_DIST, "s/token", CS_RM_NO_ALIAS, "(f - a) / P",            \
    (r->f - r->a) / r->P)                                                                                        \
  X(PREFILL_EPP, "prefill_time_execution_plus_preemption", CS_RMF_DIST, "s", CS_RM_NO_ALIAS,                    \
    "first schedule to first token, f - s", r->f - r->s)                                                         \
  X(PREFILL_EPP_NORM, "prefill_time_execution_plus_preemption_normalized", CS_RMF_DIST, "s/token",              \
    CS_RM_NO_ALIAS, "(f - s) / P", (r->f - r->s) / r->P)                                                         \
  X(TPOT, "decode_time_execution_plus_preemption_normalized", CS_RMF_DIST, "s/token",                          \
    CS_RM_ALIASES("tpot", "tbt"), "time per output token, (c - f) / D", (r->c - r->f) / r->D)                    \
  X(INTER_ARRIVAL, "request_inter_arrival_delay", 0u, "s", CS_RM_NO_ALIAS,                                      \
    "gap to the previous arrival on the same replica", r->inter_arrival)                                         \
  X(NUM_TOKENS, "request_num_tokens", CS_RMF_INT, "tokens", CS_RM_NO_ALIAS, "prompt + output tokens",           \
    r->num_prefill + r->num_decode)                                                                              \
  X(NUM_PREFILL, "request_num_prefill_tokens", CS_RMF_INT, "tokens", CS_RM_NO_ALIAS, "prompt tokens",           \
    r->num_prefill)                                                                                              \
  X(NUM_PREFILL_CACHED, "request_num_prefill_tokens_cached", CS_RMF_INT, "tokens", CS_RM_NO_ALIAS,              \
    "prompt tokens served from the prefix cache", r->num_cached)                                                 \
  X(NUM_DECODE, "request_num_decode_tokens", CS_RMF_INT, "tokens", CS_RM_NO_ALIAS, "output tokens",             \
    r->num_decode)                                                                                               \
  X(PD_RATIO, "request_pd_ratio", 0u, "", CS_RM_NO_ALIAS, "prompt / output tokens",                             \
    r->num_prefill / r->num_decode)                                                                              \
  X(NUM_RESTARTS, "request_num_restarts", CS_RMF_INT, "", CS_RM_NO_ALIAS, "times preempted and restarted",      \
    r->restarts)                                                                                                 \
  X(ARRIVED_AT, "request_arrived_at", 0u, "s", CS_RM_NO_ALIAS, "arrival time, a", r->a)                         \
  X(REPLICA, "replica", CS_RMF_INT, "", CS_RM_NO_ALIAS, "replica that completed it", r->replica)

typedef enum cs_rm {
#define CS__RM_ENUM(id, col, flags, unit, aliases, summary, value) CS_RM_##id,
  CS_REQUEST_METRICS(CS__RM_ENUM)
#undef CS__RM_ENUM
  CS_RM_COUNT
} cs_rm;

typedef struct cs_request_record {
  double v[CS_RM_COUNT];
} cs_request_record;

/* Computes every metric of a completed request (all CS_RM_COUNT columns). */
void cs_request_record_fill(const cs_request_facts *r, cs_request_record *out);

const char *cs_rm_name(cs_rm m);
bool cs_rm_is_integer(cs_rm m);
bool cs_rm_is_distribution(cs_rm m);
const char *cs_rm_unit(cs_rm m);    /* "s", "s/token", "tokens" or "" */
const char *cs_rm_summary(cs_rm m); /* one line: what it measures */
/* The metric's aliases, NULL-terminated (an empty list when none). */
const char *const *cs_rm_aliases(cs_rm m);
/* The metric registry (include/capsearch/registry.h's shape): entry i is metric i, its name the
 * column, its flags CS_RMF_*. */
const cs_registry *cs_rm_registry(void);
/* The one metric-name resolver (SLO configs, analysis, the CLI): a request_metrics.csv column
 * or an alias from CS_REQUEST_METRICS. Unknown: CS_EUNKNOWN with a suggestion. */
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

/* An SLO's metric, as the sweep file and analysis read it: cs_rm_find's names and
 * aliases, and only request time distributions (CS_ECONFIG otherwise). */
int cs_slo_metric_find(const char *name, cs_rm *out, cs_err *err);

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
