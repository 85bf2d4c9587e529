/* Internal data model of the analysis: what was read from an output directory and what is
 * derived from it. Shared by load.c (reading), derive.c (costs, Pareto, bottlenecks), write.c
 * (CSV/JSON), report.c (HTML) and csv.c (a small header-keyed CSV reader).
 * Ownership: cs_analysis owns every job, probe and string below (freed by cs_analysis_free). */
#ifndef CS_ANALYSIS_AN_INT_H
#define CS_ANALYSIS_AN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capsearch/analysis.h"
#include "capsearch/metrics.h"
#include "util/csvw.h" /* cs__csv_field: the one CSV field writer */
#include "util/sbuf.h"

/* ---- CSV ------------------------------------------------------------------------------- */
/* A whole CSV file parsed into rows of fields (RFC 4180 quoting, CRLF or LF). */
typedef struct cs__csv {
  char *data;          /* owned text, fields point into it */
  size_t ncols;        /* header width */
  char **header;       /* ncols names */
  size_t nrows;
  char ***rows;        /* nrows arrays of ncols fields ("" for short rows) */
  size_t bad_rows;     /* rows whose width differs from the header (kept, padded) */
  bool *bad;           /* nrows flags: this row's width differs from the header */
} cs__csv;

int cs__csv_load(const char *path, cs__csv *csv, cs_err *err);
int cs__csv_parse(const char *name, char *text, cs__csv *csv, cs_err *err); /* takes text */
void cs__csv_release(cs__csv *csv);
/* Column index by exact header name, -1 when absent. */
int cs__csv_col(const cs__csv *csv, const char *name);
/* Field as a number (NAN when empty / not a number / col < 0). */
double cs__csv_num(const cs__csv *csv, size_t row, int col);
const char *cs__csv_str(const cs__csv *csv, size_t row, int col);

/* ---- quantiles ------------------------------------------------------------------------- */
/* pandas linear-interpolation quantile of sorted values (NAN when n == 0). */
double cs__an_quantile(const double *sorted, size_t n, double q);

/* A 101-row quantile table (plots/<metric>.csv), NAN-filled when absent. */
typedef struct cs__qtab {
  bool have;
  double v[101];
} cs__qtab;
double cs__qtab_at(const cs__qtab *t, double q);

/* ---- the data model -------------------------------------------------------------------- */
#define CS__P_N 3 /* P50, P90, P99 */
extern const double cs__pcts[CS__P_N];

typedef struct cs__stats {
  double ttft[CS__P_N], tpot[CS__P_N], e2e[CS__P_N], sched[CS__P_N];
  double tbt[CS__P_N], tbt_p25;     /* batch_execution_time (max over replicas) or TPOT */
  const char *tbt_source;           /* "batch_execution_time" or "tpot" */
  double batch_size_p50, batch_size_p75, batch_size_p90;
  double batch_tokens_p50, batch_tokens_p90;
  double mem_mean, mem_max;         /* KV memory use, percent (replica mean / max) */
  double busy_mean, mfu_mean;       /* percent */
  double prefix_hit;                /* fraction, NAN when unknown */
  int64_t completed, arrived, restarts;
  double runtime_s;                 /* simulated time of the run */
  double throughput_rps;            /* completed / runtime */
  double goodput_rps;               /* completed requests meeting every SLO of the job / runtime */
  double good_frac;                 /* of arrived requests */
  double mean_prompt, mean_output;  /* tokens per completed request */
  double out_tok_s;                 /* output tokens per second */
  cs__qtab ttft_cdf, tpot_cdf, tbt_cdf; /* for the report and the bottleneck rules */
  double slo_pred[8];               /* each SLO's metric at its quantile */
} cs__stats;

typedef struct cs__probe {
  char *name;           /* "r2_q4.0" */
  double qps;
  int replicas;
  bool complete;        /* probe.json present and readable */
  bool pass, have_pass;
  double value;
  bool hit_time_limit;
  bool stopped_early;   /* the simulation stopped once its SLO verdict was a certain fail: its statistics
                           are of the partial run (stats.csv stopped_early), never full-run figures */
  double end_time;
  char *timestamp_dir;
  bool pruned;          /* --keep-runs deleted its files on purpose: the verdict stays, no statistics */
  bool damaged;         /* a run file differs from its size or sha1 in probe.json: verdict stays, no statistics */
  bool have_stats;
  cs__stats st;
} cs__probe;

/* Job columns (results.csv header names), in output order. */
/* The job parameters the analysis keeps: results.csv columns of the store's schema
 * (store/results.h, same ids), read from job.json under the same names where it has them. */
#define CS__JOB_FIELDS(X)                                                                                  \
  X(MODEL) X(TRACE) X(DEVICE) X(NETWORK) X(GPN) X(GSCHED) X(TOL) X(TOPK) X(QUEUE) X(RSCHED) X(CHUNK) X(TP) \
  X(PP) X(BS) X(SLO) X(SEARCH) X(NREP) X(QPS0) X(NREQ)
typedef enum cs__jf {
#define CS__JF_ENUM(id) CS__JF_##id,
  CS__JOB_FIELDS(CS__JF_ENUM)
#undef CS__JF_ENUM
  CS__JF_COUNT
} cs__jf;
/* The field's results.csv column name. */
const char *cs__jf_name(int k);

/* An SLO metric name read from a job (job.json): resolved as the sweep resolves it
 * (cs_slo_metric_find), so analysis accepts exactly what a sweep file accepts. */
int cs__an_slo_metric(const char *name, cs_rm *out, cs_err *err);

typedef struct cs__slo_item {
  char metric[96];
  double value;
} cs__slo_item;

typedef struct cs__job {
  char *hash;
  char *f[CS__JF_COUNT]; /* never NULL ("" when unknown) */
  int tp, pp, replicas, batch_size, chunk_size;
  /* SLO config from job.json */
  bool have_slo;
  bool slo_or;
  double slo_quantile;
  int nslo;
  cs__slo_item slo[8];
  /* what the sweep recorded */
  char *status, *reason;
  char *answer_kind;         /* results.csv answer_kind ("" when absent): capacity, lower_bound, ... */
  double rec_sustained_qps;  /* results.csv sustained_qps, NAN when absent */
  double rec_answer_qps, rec_answer_replicas;
  double rec_price;          /* price_per_gpu_hour recorded, NAN when none */
  bool in_results, have_job_json, have_run_dir;
  char *deployment;          /* results.csv "deployment" (sweeps with disaggregation), NULL when absent */
  int pool_gpus;             /* a disaggregated job's GPUs (both pools); 0 = replicas x tp x pp */
  int ep, dp;                /* expert parallelism and its data-parallel attention ranks (results.csv
                                ep, dp columns; 0 when absent): a replica is tp x pp x dp GPUs */
  CS__VEC(cs__probe) probes; /* sorted by probe order (timestamp_dir, then name) */
  /* derived */
  bool answered;             /* a passing answer exists */
  bool answer_derived;       /* answer reconstructed from probes (no final results row) */
  bool unbacked;             /* results.csv's answer has no passing probe of the job behind it: not ranked */
  double answer_qps;         /* qps search: best passing qps; replica search: start qps */
  int answer_replicas;
  int answer_probe;          /* index into probes of the answer's run, -1 when none */
  double price;              /* $/GPU-hour used */
  const char *price_source;
  int num_gpus;
  double cost_per_hour, qps_per_dollar, usd_per_request, usd_per_mtok, usd_per_mtok_out, monthly;
  int replicas_for_target;
  double target_qps, cost_for_target;
  int rank;                  /* within its (model, trace, SLO) group, 1 = best; 0 = unranked */
  int group;                 /* index of its (model, trace, SLO) group */
  const char *bottleneck;    /* static text, best configurations only */
  const char *saturation;    /* STABLE / BACKLOGGED / OVERLOADED at the answer's run */
  struct {                   /* what deploy.c needs from job.json ("" / -1 / 0 when unknown) */
    char model_id[256];      /* model_identifier: the HF id */
    char model_config[1024]; /* a local config.json the sweep used */
    double max_seq_len, max_tokens_in_batch;
    double trace_max_seq_len;     /* the trace entry's max_seq_len (fills FROM_MAX_SEQ_LEN parameters) */
    int prefix_caching;      /* 1, 0, or -1 unknown */
  } dep;
} cs__job;

typedef struct cs__group {
  const char *model, *trace, *slo; /* borrowed from the first job */
  CS__VEC(size_t) jobs;             /* indices sorted by rank */
  int best;                         /* job index of rank 1, -1 when none passed */
} cs__group;

typedef struct cs__pareto_pt {
  size_t job;
  double x, y;                      /* qps per dollar, latency (s) */
} cs__pareto_pt;

struct cs_analysis {
  char *out_dir;
  cs_analysis_opts opts;
  double util;
  CS__VEC(cs__job) jobs;
  CS__VEC(cs__group) groups;
  CS__VEC(char *) warnings;
  CS__VEC(char *) missing;
  size_t num_runs;
  size_t num_pruned; /* probe runs whose files --keep-runs deleted (one summary warning) */
  bool have_results;
};

void cs__an_warn(cs_analysis *a, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void cs__an_missing(cs_analysis *a, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* load.c */
int cs__an_scan(cs_analysis *a, cs_err *err);
/* markdown.c: OUT/analysis/summary.md */
int cs__an_write_markdown(const cs_analysis *a, const char *dir, cs_err *err);
/* disagg.c: analysis/disaggregation.csv and the summary's side-by-side lines (sweeps with a
 * disaggregation section only) */
int cs__an_write_disagg(const cs_analysis *a, const char *dir, cs_err *err);
bool cs__an_any_deployment(const cs_analysis *a); /* a job of the sweep has a deployment (disaggregation) */
void cs__an_disagg_summary(const cs_analysis *a, size_t group, cs__sbuf *sb);
/* deploy.c: OUT/analysis/deploy.{md,json}, and one best configuration's `vllm serve` line */
int cs__an_write_deploy(const cs_analysis *a, const char *dir, cs_err *err);
void cs__an_vllm_command(const cs__job *j, cs__sbuf *sb);
/* derive.c */
void cs__an_derive(cs_analysis *a);
/* Marks the Pareto-optimal points (maximise x, minimise y; ties keep both); returns count. */
size_t cs__pareto_mark(const cs__pareto_pt *pts, size_t n, bool *on_front);
/* The points of one (model, trace) for a latency axis (0 = TTFT P90, 1 = TTFT P99, 2 = TBT P99),
 * one per answered job; malloc'd, count in *n. */
cs__pareto_pt *cs__an_pareto_points(const cs_analysis *a, const char *model, const char *trace, int axis,
                                    size_t *n);
extern const char *const cs__pareto_axis_names[3];
/* The bottleneck label for a job at its answer (Vidur §8 rules, fixed). */
const char *cs__an_bottleneck(const cs__job *j, const cs__stats *st);
/* A human label for a configuration: "h100 tp2 pp1 r1 vllm_v1/cs512 bs128 lor". */
void cs__an_config_label(const cs__job *j, char *buf, size_t size);
/* What kind of answer a job has (docs/analysis.md): "" (none), "capacity", "vidur",
 * "lower_bound" (qps: the limit was not found, or the search is unfinished), "upper_bound"
 * (num_replicas). Bounds are marked in every output and never shown as a plain figure. */
const char *cs__an_answer_kind(const cs__job *j);
bool cs__an_answer_is_bound(const cs__job *j);
/* Jobs of a group whose results.csv answer no probe backs (cs__job.unbacked). */
size_t cs__an_group_unbacked(const cs_analysis *a, const cs__group *G);
/* The answer's QPS as people read it: "22.25" or ">= 4096 (lower bound)". */
void cs__an_answer_text(const cs__job *j, char *buf, size_t size);
/* Jobs whose work is not done (status pending, or not yet in results.csv). */
size_t cs__an_pending_jobs(const cs_analysis *a);
/* The job's SLO verdict at a run, judged by the SLO's type: one target, its metric at the
 * quantile against it; several, the fraction of arrived requests meeting every (`and`) or any
 * (`or`) target against the quantile, that fraction in *frac (NAN for one target). 1 holds,
 * 0 fails, -1 unknown (no statistics). */
int cs__an_slo_verdict(const cs__job *j, const cs__probe *p, double *frac);
/* One target's line at a run: "pass" when met; when missed "FAIL" (md: "**fail**"), or for an
 * `or` SLO, where one missed target does not fail it, a note that the line is informational. */
const char *cs__an_target_word(const cs__job *j, double predicted, double target, bool md);
/* Value of the SLO metric `metric` at quantile q for a run, from its stats (NAN if unknown). */
const cs__probe *cs__an_answer_probe(const cs__job *j);

#endif
