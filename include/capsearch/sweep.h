/* The sweep file (Vidur's config-explorer YAML, vidur-semantics.md §7.2, plus capsearch
 * extensions) and its expansion into jobs (§7.3) with Vidur's job key and hash (§7.4).
 *
 * Flow: cs_sweep_load (parse + validate the YAML, no catalogs needed) ->
 *       cs_sweep_check_policies (scheduler / queue names and parameters against the registries) ->
 *       cs_sweep_expand (cartesian product, Vidur's filters, keys, hashes) ->
 *       feasibility (src/runner: memory, heads, layers; needs the catalogs).
 *
 * Ownership: a cs_sweep owns every string and array in it (one arena) and is immutable after
 * loading, shared across threads as const. A cs_sweep_jobs owns its jobs (_free). Jobs borrow
 * the sweep they were expanded from, which must outlive them. */
#ifndef CAPSEARCH_SWEEP_H
#define CAPSEARCH_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capsearch/error.h"
#include "capsearch/metrics.h"
#include "capsearch/params.h"
#include "capsearch/registry.h"
#include "capsearch/trace.h"

/* A YAML number as Vidur's Python would print it with str(): integers as written ("4"), floats
 * in Python repr ("4.0", "2.5"). Job keys are built from these texts. */
typedef struct cs_sweep_num {
  double v;
  const char *text;
  bool is_int;
} cs_sweep_num;

typedef struct cs_sweep_cluster {
  const char *device;         /* device catalog name ("h100") */
  const char *network_device; /* network catalog name ("h100_dgx") */
  int gpus_per_node;
  int num_gpus;               /* Vidur V0 schema only (0 otherwise): replicas = num_gpus / (tp * pp) */
  int line;
} cs_sweep_cluster;

typedef struct cs_sweep_gsched {
  const char *scheduler;       /* "round_robin", "ranked_sticky_lop_uncached", ... */
  bool has_top_k, has_tolerance;
  cs_sweep_num top_k, tolerance_factor;
  int nparams;                 /* every key besides `scheduler`, in file order */
  const char *param_names[CS_PARAMS_MAX];
  double param_values[CS_PARAMS_MAX];
  int param_line[CS_PARAMS_MAX], param_col[CS_PARAMS_MAX]; /* where each parameter's key is written */
  int line, col;
  const cs_registry_entry *policy; /* set by cs_sweep_resolve_policies, NULL before */
} cs_sweep_gsched;

typedef struct cs_sweep_queue {
  const char *name;     /* used in the job key */
  const char *provider; /* "fcfs" | "edf" */
  bool has_slo_norm;
  double slo_prefill_e2e_time_normalized;
  int slo_norm_line, slo_norm_col; /* where its key is written (0: not given) */
  int line, col;
  const cs_registry_entry *policy; /* set by cs_sweep_resolve_policies, NULL before */
} cs_sweep_queue;

typedef struct cs_sweep_rsched {
  const char *scheduler; /* "vllm_v1", "sarathi", ... */
  bool has_chunk;
  cs_sweep_num chunk_size;
  int nparams;           /* every key besides `scheduler` (chunk_size included) */
  const char *param_names[CS_PARAMS_MAX];
  double param_values[CS_PARAMS_MAX];
  int param_line[CS_PARAMS_MAX], param_col[CS_PARAMS_MAX]; /* where each parameter's key is written */
  int line, col;
  const cs_registry_entry *policy; /* set by cs_sweep_resolve_policies, NULL before */
} cs_sweep_rsched;

typedef struct cs_sweep_trace {
  const char *name;
  const char *trace_file;  /* as written in the sweep file */
  const char *path;        /* resolved: relative paths are relative to the sweep file's directory */
  cs_sweep_num max_seq_len;
  bool enable_prefix_caching;
  bool has_overlong;
  cs_overlong overlong;    /* extension: rows longer than the limit (default clip, Vidur V0) */
  int line;
} cs_sweep_trace;

typedef struct cs_sweep_model {
  const char *name;        /* used in the job key */
  const char *identifier;  /* Hugging Face id, looked up in the model catalog */
  const char *config;      /* extension: local HF config.json (resolved path), NULL when absent */
  int nexclude;
  int64_t *exclude_tp_dims;
  int line;
} cs_sweep_model;

typedef enum cs_search_kind { CS_SEARCH_QPS = 0, CS_SEARCH_NUM_REPLICAS, CS_SEARCH_ISOQPS } cs_search_kind;
const char *cs_search_kind_name(cs_search_kind k);

typedef struct cs_sweep_search {
  const char *trace, *model;
  cs_search_kind search_for;
  cs_sweep_num num_replicas, qps, num_requests;
  int nmult;
  double *qps_multipliers;  /* isoqps only */
  int line;
} cs_sweep_search;

typedef struct cs_sweep_price {
  const char *device;
  double per_gpu_hour;
  int line, col; /* where the device's key is written */
} cs_sweep_price;

/* capsearch extension `disaggregation` (docs/disaggregation.md): a prefill pool shape, a decode
 * pool shape and the xPyD replica ratios to try; each ratio becomes a job beside the aggregated
 * ones. */
typedef struct cs_sweep_disagg {
  const char *name;
  int prefill_tp, prefill_pp, decode_tp, decode_pp;
  int nratios;
  int *ratio_prefill, *ratio_decode; /* x prefill : y decode replicas */
  int placement;                     /* cs_kv_placement: 0 auto, 1 same node, 2 across nodes */
  int line;
} cs_sweep_disagg;

typedef struct cs_sweep {
  const char *file;         /* the sweep file as given */
  const char *dir;          /* its directory (relative trace paths resolve against it) */
  size_t nclusters, ngsched, nqueues, nrsched, nslos, ntraces, nmodels, nsearches;
  size_t nbatch, ntp, npp, nprices;
  cs_sweep_cluster *clusters;
  cs_sweep_gsched *gscheds;
  cs_sweep_queue *queues;
  cs_sweep_rsched *rscheds;
  cs_slo_config *slos;
  cs_sweep_trace *traces;
  cs_sweep_model *models;
  cs_sweep_search *searches;
  int64_t *batch_sizes, *tp_dims, *pp_dims;
  cs_sweep_price *prices;   /* extension: $/GPU-hour overrides per device */
  /* extensions */
  const char *predictor;    /* "roofline" (default) | "profile" | ... */
  int predictor_line, predictor_col; /* where its name is written (0: not given) */
  int npredictor_params;
  const char *predictor_param_names[CS_PARAMS_MAX];
  double predictor_param_values[CS_PARAMS_MAX];
  int predictor_param_line[CS_PARAMS_MAX], predictor_param_col[CS_PARAMS_MAX]; /* where each key is written */
  const char *profiling_dir, *predictions_dir; /* resolved paths, NULL when absent */
  bool has_seed;
  uint64_t seed;            /* workload seed (Vidur 42) */
  bool verdict_vidur;       /* `verdict: vidur`: Vidur's SLO judgement exactly (survivors only,
                               no keep-up check); default `capsearch` (docs/sweep.md "Verdict") */
  bool vidur_restart_quirk; /* Vidur's restart rule in every simulation (docs/simulator.md) */
  bool from_v0;             /* translated from Vidur's V0 explorer schema (docs/sweep.md): V0
                               expansion, replica counts and job keys */
  size_t ndisagg;           /* extension: disaggregated prefill/decode shapes */
  cs_sweep_disagg *disagg;
  size_t nep;               /* extension `ep_dimensions` (docs/disaggregation.md): expert-parallel */
  int64_t *ep_dims;         /* sizes for MoE models; 0 entries when absent */
  void *mem;                /* internal arena */
} cs_sweep;

/* Parses and validates a sweep file. Checks every key (unknown keys get a suggestion), types,
 * non-empty lists, unique names, cross references (a search naming a missing trace/model) and
 * that every trace file is readable. Errors name file:line:col. */
int cs_sweep_load(const char *path, cs_sweep **out, cs_err *err);
/* The same; check_trace_files = false skips the readability check of trace files (listing the
 * jobs of a sweep whose traces are not there yet). */
int cs_sweep_load_opts(const char *path, bool check_trace_files, cs_sweep **out, cs_err *err);
int cs_sweep_load_string(const char *name, const char *text, cs_sweep **out, cs_err *err);
void cs_sweep_free(cs_sweep *s);

/* Resolves the policy choices once: checks scheduler, router, queue and predictor names against
 * the registries and each entry's parameters against the policy's declared field table
 * (suggestions on misspellings, file:line:col), and stores each entry's registry entry in its
 * `policy`. Part of loading: call it before cs_sweep_expand (the job key asks the declared
 * flags) and before sharing the sweep across threads. */
int cs_sweep_resolve_policies(cs_sweep *s, cs_err *err);

/* The sweep as normalised JSON (what out/config.json holds), malloc'd. */
char *cs_sweep_to_json(const cs_sweep *s);

/* ---- Jobs -------------------------------------------------------------------------------- */
typedef enum cs_job_status {
  CS_JOB_PENDING = 0, /* not finished (yet) */
  CS_JOB_OK,          /* search finished with an answer */
  CS_JOB_NO_PASS,     /* search finished; no probe met the SLO */
  CS_JOB_INFEASIBLE,  /* cannot run (does not fit, TP does not divide heads, ...): reason */
  CS_JOB_FAILED       /* a simulation failed: reason */
} cs_job_status;
const char *cs_job_status_name(cs_job_status s);

typedef struct cs_sweep_job {
  size_t index;             /* position in expansion order */
  size_t search, model, cluster, trace, gsched, queue, rsched, slo; /* indices into the sweep */
  int tp, pp, batch_size;   /* batch_size as in the sweep; the cap is batch_size * pp */
  int num_replicas;         /* search.num_replicas; a disaggregated job: prefill + decode replicas */
  /* Disaggregated jobs (after every aggregated one): tp/pp above are the prefill pool's */
  bool disagg;
  size_t shape;             /* index into sweep.disagg */
  int prefill_replicas, decode_replicas, decode_tp, decode_pp;
  /* Expert parallelism (aggregated jobs of sweeps with ep_dimensions): 0 or 1 none; > 1 the
   * experts over ep GPUs of a replica, its attention as ep / tp data-parallel ranks of TP tp */
  int ep;
  char *key;                /* Vidur's job key (§7.4) */
  char hash[9];             /* sha1(key)[:8] */
  cs_job_status status;     /* PENDING, or INFEASIBLE with reason after feasibility checks */
  char *reason;             /* malloc'd, NULL when none */
} cs_sweep_job;

typedef struct cs_sweep_jobs {
  size_t n;
  cs_sweep_job *v;
} cs_sweep_jobs;

/* The number of jobs cs_sweep_expand would make, counted without making them (a small file
 * can describe billions), so a caller can refuse a sweep before expanding it. */
double cs_sweep_count_jobs(const cs_sweep *s);
/* Expands the sweep in Vidur's exact nesting order and filters (§7.3 rules 1-3). */
int cs_sweep_expand(const cs_sweep *s, cs_sweep_jobs *out, cs_err *err);
void cs_sweep_jobs_release(cs_sweep_jobs *jobs);
/* Marks a job infeasible with a printf-style reason (replaces an earlier one). */
void cs_sweep_job_set_infeasible(cs_sweep_job *j, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Vidur's key of a job (§7.4), malloc'd; hash = sha1(key)[:8]. */
char *cs_sweep_job_key(const cs_sweep *s, const cs_sweep_job *j);

#endif
