/* Disaggregated prefill/decode serving (Splitwise, DistServe, Mooncake, llm-d P/D, Dynamo):
 * a cluster holds a prefill pool and a decode pool, each with its own device, TP/PP, replica
 * scheduler, router, predictor and replica count. A request is prefilled in the first pool, its
 * prompt's KV cache is sent to the second, and decoded there. docs/disaggregation.md has the
 * model, its assumptions and where it differs from the papers.
 *
 * Ownership: like cs_sim_config, a cs_disagg_config borrows everything it points to. The result
 * is an ordinary cs_sim_result (cs_sim_result_free), replicas numbered prefill first
 * (0..Rp-1) then decode (Rp..Rp+Rd-1), with a `kv_transfer_time` column appended to
 * request_metrics.csv. */
#ifndef CAPSEARCH_DISAGG_H
#define CAPSEARCH_DISAGG_H

#include <stdbool.h>
#include <stdint.h>

#include "capsearch/catalog.h"
#include "capsearch/error.h"
#include "capsearch/sim.h"

/* Where a prefill replica and a decode replica sit relative to each other. */
typedef enum cs_kv_placement {
  CS_KV_AUTO = 0, /* same node when both pools together fit in one node, else across nodes */
  CS_KV_INTRA,    /* same node: the network's intra-node link (NVLink) */
  CS_KV_INTER     /* different nodes: the network's per-GPU inter-node link (InfiniBand) */
} cs_kv_placement;

typedef struct cs_kv_link {
  const cs_network *network;  /* the network profile between the pools; NULL = the prefill pool's */
  cs_kv_placement placement;
  double kv_elem_bytes;       /* bytes per cached K or V element; 0 = 2 (fp16, the simulator's planner) */
} cs_kv_link;

typedef struct cs_disagg_config {
  /* The prefill pool; also the run's model, workload, block size, time limit, seeds and
   * recording options. Its replica count, device, TP/PP, schedulers and predictor are the pool's. */
  cs_sim_config prefill;
  /* The decode pool: device, network, tp, pp, num_replicas, replica_scheduler (vllm_v1 or
   * sarathi: they resume a request from the received KV), replica_params, global_scheduler,
   * global_params, predictor, num_blocks, memory_margin. Everything else comes from `prefill`. */
  cs_sim_config decode;
  cs_kv_link link;
} cs_disagg_config;

/* Bytes of KV cache one prompt token occupies across the whole model: MLA models keep one
 * latent of (kv_lora_rank + qk_rope_head_dim) per layer, others K and V of every KV head. */
double cs_kv_bytes_per_token(const cs_model *m, double elem_bytes);

/* The path the KV cache of one request takes from a prefill replica to a decode replica. */
typedef struct cs_kv_path {
  bool inter_node;
  int lanes;           /* GPU links used in parallel: min(prefill GPUs, decode GPUs) per replica */
  double lane_gbps;    /* GB/s per lane (10^9 bytes) */
  double latency_s;
  double bytes_per_token;
} cs_kv_path;

int cs_kv_path_resolve(const cs_disagg_config *cfg, cs_kv_path *out, cs_err *err);
/* latency + bytes / (lanes x lane bandwidth), seconds, for a prompt of `tokens` tokens. */
double cs_kv_transfer_seconds(const cs_kv_path *p, int64_t tokens);

/* Runs the disaggregated cluster (docs/disaggregation.md). Errors as cs_sim_run's, naming the pool. */
int cs_disagg_run(const cs_disagg_config *cfg, cs_sim_result **out, cs_err *err);

/* Writes the run's directory (as cs_sim_write_outputs), config.json describing both pools. */
int cs_disagg_write_outputs(const cs_sim_result *r, const cs_disagg_config *cfg, const char *dir,
                            const cs_sim_write_opts *opts, cs_err *err);

#endif
