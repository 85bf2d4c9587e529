/* The files Vidur's capacity-search analyzer reads from a run directory, beside capsearch's own
 * (vidur/config_optimizer/analyzer/stats_extractor.py: a flat config.yml and per-replica
 * utilisation files plots/replica_<i>_memory_usage.json, replica_<i>_stage_<j>_{mfu,
 * busy_time_percent}.json whose top-level keys end in _weighted_mean). Text only; output.c
 * writes them. */
#ifndef CS_SIM_OUTPUT_VIDUR_H
#define CS_SIM_OUTPUT_VIDUR_H

#include "sim/result.h"
#include "util/sbuf.h"

/* Vidur's flattened configuration (its config.yml keys: cluster_num_replicas, replica_device,
 * replica_scheduler_provider, poisson_request_interval_generator_qps,
 * trace_request_length_generator_trace_file, ...). */
void cs__vidur_config_yml(const cs_sim_result *r, const cs_sim_config *cfg, cs__sbuf *sb);
/* The file name and content of one utilisation file, named as Vidur names them (1-based):
 * which 0: replica_<k>_memory_usage.json; 1: replica_<k>_stage_<s>_mfu.json; 2:
 * replica_<k>_stage_<s>_busy_time_percent.json (stage ignored for memory). */
void cs__vidur_replica_json(const cs_sim_result *r, int k, int stage, int which, char *name, size_t n, cs__sbuf *sb);

#endif
