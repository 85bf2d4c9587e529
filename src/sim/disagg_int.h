/* Internals of disaggregated runs shared by src/sim/disagg.c (the two pools) and
 * src/sim/disagg_merge.c (one cs_sim_result from both). */
#ifndef CS_SIM_DISAGG_INT_H
#define CS_SIM_DISAGG_INT_H

#include "capsearch/disagg.h"
#include "sim/result.h"

/* A request's state in one pool when it finished there (raw times, not derived metrics). */
typedef struct cs__pool_req {
  bool done;
  int32_t replica, restarts, cached, metric_p, metric_d;
  double scheduled_at, prefill_completed_at, completed_at;
  double exec, model_exec, preempt, sched_delay, inter_arrival;
} cs__pool_req;

/* What one pool's run leaves for the merge: per original request id, and cluster batch values. */
typedef struct cs__pool_run {
  cs__pool_req *req;            /* [n] by original request id */
  const int64_t *id_of;         /* pool request id -> original id (NULL = the same) */
  CS__VEC(int64_t) done_order;  /* original ids in completion order */
  CS__VEC(double) bm[CS__BM_COUNT];
  cs_sim_result *res;
} cs__pool_run;

/* Per original request: arrival, prompt, when the KV transfer began and ended. */
typedef struct cs__xfer {
  double arrived_at, start, end;
  int32_t prefill, decode;
} cs__xfer;

/* Builds the run's result from both pools (takes over the pools' results). */
int cs__disagg_merge(cs__pool_run *pre, cs__pool_run *dec, const cs__xfer *x, size_t n, double wall_s,
                     cs_sim_result **out);

#endif
