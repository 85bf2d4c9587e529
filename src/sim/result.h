/* The result of one simulation (internal layout; public accessors in capsearch/sim.h). */
#ifndef CS_SIM_RESULT_H
#define CS_SIM_RESULT_H

#include "sim/engine.h"
#include "util/sha1.h"

typedef struct cs__stage_stats {
  double busy_min, busy_max, busy_mean;
  double mfu_min, mfu_max, mfu_mean;
} cs__stage_stats;

struct cs_sim_result {
  cs_sim_stats stats;
  cs_request_record *records;      /* sorted by request id */
  size_t nrecords;
  int32_t *completion_order;       /* indexes into records, in completion order */
  int32_t num_replicas, num_stages;
  cs_replica_stats *replicas;
  cs__stage_stats *stages;         /* [replica * num_stages + stage] */
  cs_quantile_table batch[CS__BM_COUNT];      /* cluster-wide */
  cs_quantile_table *batch_replica;           /* [replica * CS__BM_COUNT + metric] */
  double *arrivals;                /* arrival times, arrival order */
  int32_t *arrival_replica;        /* replica each arrival was routed to (-1: not routed yet) */
  size_t narrivals;
  double *completions;             /* completion times, completion order */
  size_t ncompletions;
  cs__chrome_ev *chrome;
  size_t nchrome;
  cs__batch_row *batch_rows;       /* completion order (record_batches) */
  size_t nbatch_rows;
  char predictor_name[64];
  /* Disaggregated runs (src/sim/disagg.c): one more request_metrics.csv column at the end, one
   * value per record (NULL otherwise, so aggregated outputs are unchanged). */
  const char *extra_column;
  double *extra_values;
};

/* cs_sim_write_outputs, recording each file's size and sha1 in dig as it writes it (names
 * relative to dir; gzip-compressed files are not recorded). */
int cs__sim_write_outputs_digests(const cs_sim_result *r, const cs_sim_config *cfg, const char *dir,
                                  const cs_sim_write_opts *opts, cs__digests *dig, cs_err *err);

#endif
