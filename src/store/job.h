/* job.json (runs/<hash>/job.json): every parameter of a job, written by the store alone from a
 * record the runner fills. The key names, their order and number forms are the schema of
 * format CS_STORE_JOB_FORMAT version CS_STORE_VERSION; the probe key hashes this text, so a
 * change here is a change of the format (and of every probe key).
 * Ownership: the record borrows every string and array; cs__store_job_json returns malloc'd text. */
#ifndef CS_STORE_JOB_H
#define CS_STORE_JOB_H

#include <stdbool.h>
#include <stdint.h>

#include "capsearch/sweep.h"
#include "store/store.h"

/* A parameter list written as an object of numbers ({"chunk_size": 512}). */
typedef struct cs__store_params {
  int n;
  const char *const *names;
  const double *values;
} cs__store_params;

typedef struct cs__store_job_search {
  const char *search_for;
  cs_sweep_num qps, num_replicas, num_requests; /* written as the sweep had them (int or not) */
  int nmult;
  const double *qps_multipliers;
  int max_iterations;
  double min_search_granularity, min_qps;
} cs__store_job_search;

typedef struct cs__store_job_slo {
  const char *name, *type;
  double quantile;
  int n;
  const char *metric[8];
  double value[8];
} cs__store_job_slo;

typedef struct cs__store_job_disagg {
  const char *shape;
  int prefill_replicas, prefill_tp, prefill_pp, decode_replicas, decode_tp, decode_pp;
} cs__store_job_disagg;

typedef struct cs__store_job_limit {
  int64_t tokens;
  const char *from; /* "model context" or "max_seq_len" */
  int64_t model_context, trace_rows, overlong_rows;
  const char *overlong;
} cs__store_job_limit;

typedef struct cs__store_job {
  const char *hash, *key;
  int64_t index; /* position in the expansion; < 0: left out (the probe key's text) */
  const char *model, *model_identifier, *model_catalog_name, *model_config; /* model_config NULL: absent */
  const char *trace, *trace_file;
  cs_sweep_num max_seq_len;
  bool enable_prefix_caching;
  const char *device, *network_device;
  int gpus_per_node;
  const char *global_scheduler;
  cs__store_params global_scheduler_params;
  const char *request_queue, *request_queue_provider;
  bool has_slo_norm;
  double slo_prefill_e2e_time_normalized;
  const char *replica_scheduler;
  cs__store_params replica_scheduler_params;
  int tp, pp, batch_size, num_replicas;
  cs__store_job_search search;
  cs__store_run run;
  cs__store_job_slo slo;
  const char *verdict;
  bool vidur_restart_quirk;
  const char *predictor;
  double price_per_gpu_hour;
  int64_t num_gpus;
  const cs__store_job_disagg *disaggregation; /* NULL: aggregated */
  int ep, dp;                                 /* expert parallelism: ep > 1 only (else absent) */
  const cs__store_job_limit *length_limit;    /* NULL: no trace view */
  const char *infeasible;                     /* the reason, NULL when feasible */
} cs__store_job;

/* job.json's text (newline-terminated); NULL only if the writer was misused (err says how). */
char *cs__store_job_json(const cs__store_job *j, cs_err *err);

#endif
