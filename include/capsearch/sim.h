/* One request-level discrete-event simulation of a cluster of identical replicas (Vidur's
 * simulator, vidur-semantics.md §1-§6): arrivals, a global scheduler routing requests to
 * replicas, a replica scheduler forming batches each iteration, pipeline stages with
 * micro-batches in flight, a paged KV cache, and per-request metrics.
 *
 * Ownership: the config borrows everything it points to (catalog entries, trace, predictor),
 * which must outlive cs_sim_run. A cs_sim_result owns its records (_free). Nothing is global:
 * simulations on different threads share only const inputs. */
#ifndef CAPSEARCH_SIM_H
#define CAPSEARCH_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capsearch/catalog.h"
#include "capsearch/error.h"
#include "capsearch/metrics.h"
#include "capsearch/params.h"
#include "capsearch/predictor.h"
#include "capsearch/registry.h"
#include "capsearch/trace.h"

/* A policy as configuration code sees it: its registry entry (registry.h): name, aliases,
 * summary, declared parameters and capability flags. */
typedef cs_registry_entry cs_policy_info;

/* Capability flags of replica schedulers (cs_policy_info.flags): code asks these, never names. */
enum {
  CS_RSCHED_CHUNKED_PREFILL = 1u << 0, /* splits prompts into chunks under a token budget (chunk_size) */
  CS_RSCHED_RESUMES_KV = 1u << 1,      /* resumes a request from a received KV cache (a decode pool) */
  CS_RSCHED_V1_KV_SIZING = 1u << 2     /* KV blocks from Vidur V1's token-capacity planner, not V0's
                                          (max_tokens / block_size) x memory-derived batch x PP */
};
/* Capability flags of request queues. */
enum { CS_QUEUE_ARRIVAL_ORDER = 1u << 0 /* ordered by (arrived_at, id): fcfs */ };

/* The registries (docs/adding-a-policy.md) and NULL-terminated views of their entries. */
const cs_registry *cs_replica_scheds(void);
const cs_registry *cs_routers(void);
const cs_registry *cs_request_queues(void);
const cs_policy_info *const *cs_replica_sched_list(void);
const cs_policy_info *const *cs_global_sched_list(void);
const cs_policy_info *const *cs_request_queue_list(void);
/* cs_registry_find on the registries above (unknown names fail with a suggestion). */
int cs_replica_sched_info(const char *name, const cs_policy_info **out, cs_err *err);
int cs_global_sched_info(const char *name, const cs_policy_info **out, cs_err *err);
int cs_request_queue_info(const char *name, const cs_policy_info **out, cs_err *err);

/* KV blocks a simulation holds per replica and over all its replicas together: 2^28, about
 * 8 GiB of block tables (the vllm_v1 cache keeps ~32 bytes a block: the block and its place in
 * the free ring). cs_sim_run refuses more (CS_ERANGE) before it allocates any replica. */
#define CS_SIM_MAX_BLOCKS ((int64_t)1 << 28)

typedef struct cs_sim_config {
  const cs_model *model;
  const cs_device *device;
  const cs_network *network;
  int tp, pp, num_replicas;
  int ep;                        /* expert parallelism (MoE): 0/1 none, or tp (experts split over the TP
                                    ranks: vLLM's planner with expert_parallel sizes the KV cache; give
                                    the predictor ctx.ep too for the all-to-all) */
  int dp;                        /* data-parallel attention ("wide EP"): 0/1 none; dp > 1 needs ep = tp x dp.
                                    A replica is tp x pp x dp GPUs; its dp attention ranks run as one
                                    scheduler over their pooled KV caches with dp x the per-rank batch
                                    limits (batch_size_cap, chunk_size, max_tokens_in_batch); give the
                                    predictor ctx.dp too */

  const char *replica_scheduler; /* "vllm", "sarathi", "orca", "faster_transformer", "lightllm", "vllm_v1" */
  cs_params replica_params;      /* chunk_size, batch_size_cap, max_tokens_in_batch, ... */
  const char *global_scheduler;  /* "round_robin", "lop_uncached", ... */
  cs_params global_params;       /* tolerance_factor, top_k */
  const char *request_queue;     /* "fcfs", "edf" */
  cs_params queue_params;
  /* The three policies resolved (registry entries): NULL = look up the names above. A caller
   * that runs many simulations (the sweep runner) resolves once and sets these; the simulation
   * then uses them and never looks a name up. */
  const cs_policy_info *replica_policy, *global_policy, *queue_policy;

  int block_size;                /* 16 */
  double memory_margin;          /* 0.1 (Vidur's memory planner) */
  int64_t num_blocks;            /* 0 = from the memory planner */
  double watermark_fraction;     /* 0.01 */
  bool prefix_caching;
  int prealloc_tokens;           /* vllm_v1 KV manager preallocation, 64 */

  cs_workload_spec workload;     /* arrivals and lengths */
  double time_limit_s;           /* simulated-time horizon, 0 = none */
  uint64_t router_seed;          /* tie-break RNG of routers (Vidur 67) */
  const cs_predictor *predictor;

  bool record_batches;           /* keep per-batch rows (batch_metrics.csv) */
  bool chrome_trace;             /* record a Chrome trace of batch stages */
  bool vidur_restart_quirk;      /* Vidur's restart: a mid-prefill victim's unprocessed prompt becomes decode tokens */
  /* Early stopping (NULL = run to the end): stop as soon as as many requests violate the SLO
   * (completed ones, and with early_stop_in_flight those certain to) as
   * cs_slo_deciding_violations(slo, workload.num_requests) says decide a failing verdict;
   * stats.stopped_early tells. The SLO is borrowed. */
  const cs_slo_config *early_stop_slo;
  /* With early_stop_slo: the verdict counts requests that never complete as violating (capsearch's
   * verdict, not `verdict: vidur`), so a request still in flight that is already certain to
   * violate (older than an arrival-to-X limit it has not yet reached) counts too. */
  bool early_stop_in_flight;
  /* Set by another thread to abandon the run (its result is then partial and meant to be
   * discarded): checked every 1024 events. NULL = never. */
  const _Atomic int *cancel;
} cs_sim_config;

void cs_sim_config_defaults(cs_sim_config *c);

typedef struct cs_replica_stats {
  double memory_usage_min, memory_usage_max, memory_usage_weighted_mean; /* percent of KV blocks */
  double memory_usage_sample_mean;  /* plain mean of the memory samples */
  double busy_time_percent;      /* time-weighted mean over stages */
  double mfu_weighted_mean;
  int64_t num_batches;
  int64_t num_preemptions;
  int64_t prefix_cached_tokens, prefix_total_tokens;
} cs_replica_stats;

typedef struct cs_sim_stats {
  int64_t num_arrived;           /* requests that arrived before the run stopped */
  int64_t num_completed;
  int64_t num_events;
  int64_t num_batches;
  int64_t num_preemptions;       /* restarts */
  int64_t num_blocks;            /* KV blocks per replica */
  double end_time;               /* simulated seconds at the last handled event */
  bool hit_time_limit;
  bool stopped_early;            /* ended by early_stop_slo: the SLO's verdict fails for certain */
  double wall_seconds;
  size_t peak_bytes;             /* memory the simulation reserved */
} cs_sim_stats;

typedef struct cs_sim_result cs_sim_result;

int cs_sim_run(const cs_sim_config *cfg, cs_sim_result **out, cs_err *err);
void cs_sim_result_free(cs_sim_result *r);

const cs_sim_stats *cs_sim_result_stats(const cs_sim_result *r);
/* Completed requests sorted by request id. */
const cs_request_record *cs_sim_result_records(const cs_sim_result *r, size_t *n);
const cs_replica_stats *cs_sim_result_replica(const cs_sim_result *r, int replica);
/* Batch distributions (per cluster): batch_size, batch_num_tokens, batch_num_prefill_tokens,
 * batch_num_decode_tokens, batch_execution_time. */
const cs_quantile_table *cs_sim_result_batch_table(const cs_sim_result *r, const char *metric);

typedef struct cs_sim_write_opts {
  bool gzip_request_metrics;     /* request_metrics.csv.gz */
  bool write_plots;              /* plots/<metric>.csv quantile tables (default true) */
  const char *config_json;       /* extra JSON object merged into config.json (the job), may be NULL */
  bool private_dir;              /* `dir` is private and will be published by one rename: write
                                    files in place, make them durable together, then sync the
                                    directories; no per-file temporary names (the probe commit) */
  bool no_sync;                  /* with private_dir: neither sync the files and directories nor
                                    start their writeback; the caller makes them durable later
                                    or removes them (--keep-runs answers|none) */
} cs_sim_write_opts;

/* Writes a Vidur-compatible result directory into `dir` (which must exist): config.json,
 * request_metrics.csv, plots/<metric>.csv (101-row quantile tables), plots/<metric>_replicawise.csv,
 * plots/replica_<name>.json, batch tables, chrome_trace.json when recorded. Every file is written
 * atomically; `dir` is complete when this returns 0. */
int cs_sim_write_outputs(const cs_sim_result *r, const cs_sim_config *cfg, const char *dir,
                         const cs_sim_write_opts *opts, cs_err *err);

#endif
