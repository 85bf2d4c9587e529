/* Offline analysis of a sweep's output directory (capsearch analyze / report) and the fast
 * analytic screen (capsearch recommend).
 *
 * analyze reads only the output directory: results.csv, runs/<hash>/job.json, and for each probe
 * runs/<hash>/r<R>_q<qps>/probe.json (completion marker) with its timestamped directory
 * (request_metrics.csv[.gz], the plots/ CSV and JSON files). Anything missing, foreign or corrupt
 * becomes a warning naming the file, never a failure: an interrupted sweep is analysed as far as
 * it got and the analysis lists what is missing.
 *
 * Ownership: cs_analysis is an opaque _load/_free object that owns everything it read; strings it
 * returns are borrowed until cs_analysis_free. cs_analysis_opts is a caller-owned value struct
 * (_init fills defaults); the price table it points to is borrowed during cs_analysis_load only.
 */
#ifndef CAPSEARCH_ANALYSIS_H
#define CAPSEARCH_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>

#include "capsearch/error.h"

/* One device's $/GPU-hour (the CLI fills a table from the device catalog). */
typedef struct cs_price_entry {
  const char *device;    /* catalog key, matched case-insensitively against the job's device */
  double ondemand;       /* $/GPU-hour, 0 = unknown */
  double spot;           /* $/GPU-hour, 0 = unknown */
} cs_price_entry;

#define CS_ANALYSIS_MAX_OVERRIDES 16

typedef enum cs_pricing { CS_PRICING_DEFAULT = 0, CS_PRICING_ONDEMAND, CS_PRICING_SPOT } cs_pricing;

typedef struct cs_analysis_opts {
  double target_qps;        /* traffic to size replicas for; 0 = the best answer's own QPS */
  double headroom_pct;      /* ConfigIQ headroom in percent (default 25 -> 75% utilisation) */
  cs_pricing pricing;       /* DEFAULT: the price the sweep recorded (job.json / results.csv),
                               else the catalog's on-demand price */
  const cs_price_entry *catalog_prices; /* may be NULL */
  size_t num_catalog_prices;
  int num_overrides;        /* --price DEVICE=USD, highest precedence */
  char override_device[CS_ANALYSIS_MAX_OVERRIDES][64];
  double override_price[CS_ANALYSIS_MAX_OVERRIDES];
} cs_analysis_opts;

void cs_analysis_opts_init(cs_analysis_opts *o);
/* Parses "h100=3.50" into an override; errors say what was expected (the caller names the flag). */
int cs_analysis_opts_add_price(cs_analysis_opts *o, const char *spec, cs_err *err);
/* Target utilisation for a headroom percentage: ConfigIQ's mapping (0 -> 95%, 25 -> 75%,
 * 50 and 100 -> 50%), i.e. 1 - headroom/100 clamped to [0.50, 0.95]. */
double cs_analysis_utilization(double headroom_pct);

typedef struct cs_analysis cs_analysis;

/* Reads out_dir. Fails only when out_dir is not a readable directory or holds nothing that looks
 * like a sweep (no results.csv and no runs/); everything else becomes a warning. */
int cs_analysis_load(const char *out_dir, const cs_analysis_opts *opts, cs_analysis **out, cs_err *err);
void cs_analysis_free(cs_analysis *a);

/* Writes out_dir/analysis/{stats,best,pareto,sla,bottlenecks}.csv, summary.json, summary.md,
 * disaggregation.csv (sweeps with a disaggregation section), deploy.md and deploy.json, each file
 * atomically. */
int cs_analysis_write(const cs_analysis *a, cs_err *err);
/* The same files into dir (created with its parents when missing) instead: for an output
 * directory that cannot be written (archived, read-only). */
int cs_analysis_write_to(const cs_analysis *a, const char *dir, cs_err *err);
/* The names of the files cs_analysis_write writes for a, space-separated (static text). */
const char *cs_analysis_file_names(const cs_analysis *a);
/* Writes one self-contained HTML file (inline CSS and SVG, no script, no network). */
int cs_analysis_write_report(const cs_analysis *a, const char *html_path, cs_err *err);

/* The terminal summary: the best configuration per (model, trace, SLO) in a few lines, then what
 * is missing. malloc'd; the caller frees it. */
char *cs_analysis_summary_text(const cs_analysis *a);

size_t cs_analysis_num_jobs(const cs_analysis *a);
size_t cs_analysis_num_runs(const cs_analysis *a);       /* completed probe runs */
size_t cs_analysis_num_warnings(const cs_analysis *a);
const char *cs_analysis_warning(const cs_analysis *a, size_t i);
size_t cs_analysis_num_missing(const cs_analysis *a);
const char *cs_analysis_missing(const cs_analysis *a, size_t i);

/* ---- recommend: the analytic screen (seeds 001/003/004) --------------------------------- */

typedef struct cs_catalog cs_catalog;
typedef struct cs_model cs_model;

typedef struct cs_workload_preset {
  const char *name;      /* "chat", "rag", "code" */
  int isl, osl;          /* mean input / output tokens per request */
  double ttft_slo_s;     /* P50 TTFT target, seconds */
  double tpot_slo_s;     /* P50 TPOT target, seconds */
  double e2e_slo_s;      /* ConfigIQ's E2E figure (informational: it is not consistent with OSL x TPOT) */
  double prefix_hit;     /* fraction of the prompt served from the prefix cache */
  const char *source;
} cs_workload_preset;

/* The built-in presets (NULL-name terminated, count in *n); lookup by name (did-you-mean on a miss). */
const cs_workload_preset *cs_workload_presets(size_t *n);
int cs_workload_find(const char *name, const cs_workload_preset **out, cs_err *err);

typedef struct cs_recommend_input {
  const char *model;           /* catalog name (ignored when model_config is set) */
  const char *model_config;    /* path to a HF config.json, or NULL */
  int isl, osl;
  double ttft_slo_s, tpot_slo_s;
  double slo_quantile;         /* percentile the targets apply to, as a fraction (default 0.5, ConfigIQ's P50) */
  double prefix_hit;           /* fraction of the prompt served from the prefix cache (rag: 0.525) */
  double qps;                  /* request rate; 0 = derive from users */
  double users;                /* concurrent users (each: one request, then think_time_s) */
  double think_time_s;         /* default 0: a user sends its next request when one finishes */
  double headroom_pct;         /* default 25 */
  cs_pricing pricing;          /* ondemand (default) or spot */
  int max_tp;                  /* default 8 */
  const char *device_filter;   /* comma-separated device names, or NULL for all */
} cs_recommend_input;

void cs_recommend_input_init(cs_recommend_input *in);

typedef struct cs_recommend_row {
  const char *device;          /* borrowed from the catalog */
  const char *network;         /* the catalog's node type for it (NULL when none) */
  int tp;
  int gpus;                    /* per instance (= tp) */
  bool fits;
  const char *why;             /* reason it does not fit / cannot meet the SLO, or NULL */
  double kv_tokens;            /* KV cache capacity per instance, tokens */
  int max_batch;               /* concurrent requests the KV cache holds at isl+osl */
  double ttft_s;               /* roofline prefill of isl tokens (batch 1) */
  double tpot_s;               /* roofline decode time per token at the batch the load implies */
  int decode_batch;            /* that batch */
  double instance_rps;         /* sustainable requests/s of one instance at the SLO */
  double instance_tok_s;       /* output tokens/s of one instance at that rate */
  double util;                 /* each instance's load as a fraction of its SLO capacity */
  double est_ttft_p50_s, est_ttft_p99_s; /* M/G/1 ESTIMATE: queue wait + prefill */
  bool meets_slo;
  int instances;               /* needed for the load with headroom */
  double usd_per_hour;         /* all instances */
  double usd_per_1k_tokens;    /* input + output tokens */
  double usd_per_request;
  double monthly_usd;          /* 730 h */
  int rank;                    /* 1 = cheapest that fits and meets the SLO; 0 = not ranked */
  bool factors_borrowed;       /* the roofline has no fit of this part: its speed is another part's */
  const char *factors_from;    /* the part whose factors were borrowed (NULL when not borrowed) */
} cs_recommend_row;

typedef struct cs_recommend_result {
  const char *model;           /* the model's name (Hugging Face id) */
  const char *model_short;     /* its short name (what sweep files use) */
  double qps;                  /* the load screened (from users when qps was 0) */
  double util_target;
  size_t n;
  cs_recommend_row *rows;      /* ranked rows first, then the others; owned */
  cs_model *owned_model;       /* the --model-config model, freed by _release */
} cs_recommend_result;

int cs_recommend_run(const cs_catalog *cat, const cs_recommend_input *in, cs_recommend_result *out, cs_err *err);
void cs_recommend_result_release(cs_recommend_result *r);
/* Writes a sweep YAML (seed-002 schema) for the top `top` ranked candidates. */
int cs_recommend_emit_sweep(const cs_recommend_result *r, const cs_recommend_input *in, const char *trace_file,
                            int top, const char *path, cs_err *err);

#endif
