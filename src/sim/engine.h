/* Internal state of one simulation (src/sim only, plus tests through the observer hook).
 * Everything here lives in the simulation's arena or in a few malloc'd growable arrays that the
 * engine frees when the run ends. See engine.c for the event loop. */
#ifndef CS_SIM_ENGINE_H
#define CS_SIM_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "capsearch/sim.h"
#include "sched/policy.h"
#include "util/arena.h"
#include "util/sbuf.h"

/* KV blocks per replica are int32 ids; 2^28 blocks = 4.3 G tokens of 16 is far beyond any GPU. */
#define CS__MAX_BLOCKS CS_SIM_MAX_BLOCKS /* capsearch/sim.h */

/* V1 event numbering (vidur-semantics.md §1.3): at equal times lower numbers pop first. */
typedef enum cs__ev_kind {
  CS__EV_BATCH_STAGE_ARRIVAL = 1,
  CS__EV_REQUEST_ARRIVAL = 2,
  CS__EV_BATCH_STAGE_END = 3,
  CS__EV_BATCH_END = 4,
  CS__EV_PREFILL_END = 5,
  CS__EV_REQUEST_END = 6,
  CS__EV_GLOBAL_SCHEDULE = 7,
  CS__EV_REPLICA_SCHEDULE = 8,
  CS__EV_REPLICA_STAGE_SCHEDULE = 9
} cs__ev_kind;
#define CS__EV_KINDS 10 /* kind numbers are below this */

/* kind and seq in one key, kind in the top bits: (t, key) compares as (t, kind, seq) in one
 * integer comparison (seq, the per-simulation creation order and Vidur's event id, stays far
 * below 2^56). */
#define CS__EV_SEQ_BITS 56
typedef struct cs__event {
  double t;
  uint64_t key;    /* kind << CS__EV_SEQ_BITS | seq */
  void *p;         /* cs__batch or cs__request */
  int32_t replica;
  int32_t stage;
} cs__event;
static inline int32_t cs__event_kind(const cs__event *e) { return (int32_t)(e->key >> CS__EV_SEQ_BITS); }
static inline int64_t cs__event_seq(const cs__event *e) {
  return (int64_t)(e->key & ((UINT64_C(1) << CS__EV_SEQ_BITS) - 1));
}

/* A batch with the engine's private bookkeeping (the cs__batch is the first member). */
typedef struct cs__batch_x {
  cs__batch b;
  int cls;
  int32_t cap;
  struct cs__batch_x *next_free;
  double stage_total, stage_model, stage_start; /* the stage it is executing */
} cs__batch_x;

/* Time-weighted mean with Vidur's SeriesAverageMeter rules (§6.3): each value holds until the
 * next sample; segments starting at time 0 are skipped; the tail after the last sample is not
 * counted. */
typedef struct cs__meter {
  bool have;
  double last_x, last_y;
  double sum, dur;
  double min, max;
  double ysum;       /* plain sum of the samples (Vidur's "weighted mean" is their plain mean) */
  int64_t n;
} cs__meter;
void cs__meter_put(cs__meter *m, double x, double y);
double cs__meter_mean(const cs__meter *m);
double cs__meter_sample_mean(const cs__meter *m);

typedef struct cs__stage {
  cs__batch **fifo; /* ring buffer of num_stages batches */
  int32_t head, n, cap;
  bool busy;
  cs__meter busy_meter, mfu_meter;
} cs__stage;

/* Per-batch values kept for the batch quantile tables (and batch_metrics.csv). */
enum { CS__BM_SIZE, CS__BM_TOKENS, CS__BM_PREFILL, CS__BM_DECODE, CS__BM_EXEC, CS__BM_PREFILLS_DONE, CS__BM_COUNT };
extern const char *const cs__batch_metric_names[CS__BM_COUNT];

typedef struct cs__replica {
  const cs__replica_sched_ops *ops;
  void *state;
  cs__replica_ctx ctx;
  cs__stage *stages;
  int32_t running_batches;
  double last_first_arrival; /* V1 per-replica inter-arrival */
  cs__meter mem;
  int64_t num_batches, num_preemptions;
  CS__VEC(double) bm_exec;                /* CS__BM_EXEC per batch */
  CS__VEC(uint32_t) bm_counts[CS__BM_COUNT]; /* the whole-number metrics: [value] -> batches */
} cs__replica;

/* Test hook: called by the engine as the run goes (all callbacks optional). */
typedef struct cs__sim_observer {
  void *ud;
  void (*on_event)(void *ud, cs__sim *sim, const cs__event *ev);           /* before handling */
  void (*on_batch_formed)(void *ud, cs__sim *sim, const cs__batch *b);    /* after on_schedule */
  void (*on_batch_end)(void *ud, cs__sim *sim, const cs__batch *b);       /* after the schedulers saw it */
  void (*on_preemption)(void *ud, cs__sim *sim, int32_t replica, const cs__request *victim);
  void (*on_request_end)(void *ud, cs__sim *sim, const cs__request *r);
  int64_t max_events;  /* > 0: stop the run (as if the time limit was hit) after this many events */
} cs__sim_observer;

/* A request source replacing the workload generator (the pools of a disaggregated run,
 * src/sim/disagg.c): `next` yields requests in non-decreasing arrival order (1, 0 at the end,
 * negative on error); `kv_ready[i]`, when given, is the number of prompt tokens whose KV cache
 * arrives with the i-th request yielded (received from a prefill pool, so not computed here). */
typedef struct cs__sim_source {
  void *ud;
  int (*next)(void *ud, cs_request_spec *out, cs_err *err);
  const int32_t *kv_ready;
} cs__sim_source;

typedef struct cs__batch_row { /* batch_metrics.csv (record_batches) */
  int64_t id;
  int32_t replica, size, completed_prefills;
  int64_t tokens, prefill, decode;
  double scheduled_at, completed_at;
} cs__batch_row;

typedef struct cs__chrome_ev {
  int64_t batch_id;
  int32_t replica, stage, size;
  int64_t tokens;
  double start, dur;
} cs__chrome_ev;

/* Early stopping on requests still in flight (early_stop.c): requests in arrival order whose
 * age passes `limit` are checked once each, as the cursor `next` into sim->arrived passes them. */
typedef struct cs__esc_watch {
  double limit;     /* seconds after arrival: the largest of lim */
  double lim[3];    /* each metric's own limit, by CS__ESC_* bit number */
  unsigned metrics; /* CS__ESC_* bits: the request violates for certain when every one is certain */
  size_t next;
} cs__esc_watch;

/* A request whose per-token metric (TPOT from its prefill end, normalised E2E from its arrival)
 * may become certain at `due` (early_stop.c): a min-heap entry. */
typedef struct cs__esc_due {
  double due;
  cs__request *r;
  int kind; /* CS__ESC_DUE_* */
} cs__esc_due;

struct cs__sim {
  const cs__sim_services *svc; /* first member: how the policies reach the engine (sched/policy.h) */
  const cs_sim_config *cfg;
  cs__arena arena;
  const cs__sim_observer *obs;
  const cs__sim_source *src; /* NULL: the workload generator */
  double now;
  int64_t seq;
  bool terminated;
  bool stopped_early;  /* terminated by early_stop_slo */
  int64_t violations, deciding_violations; /* early stopping: counted, and enough to stop */
  cs__esc_watch esc[8]; /* early stopping on certain violators still in flight (early_stop.c) */
  int n_esc;            /* watches in all: the arrival-order walks of esc[] and the per-token ones */
  int n_walk;           /* of them in esc[] */
  double esc_tpot, esc_e2e_norm; /* per-token limits watched in flight (NAN: not watched) */
  size_t esc_due_next;           /* arrivals put in esc_due so far (normalised E2E) */
  CS__VEC(cs__esc_due) esc_due;  /* per-token watches by due time */
  int64_t num_events;
  int fail_code;   /* a policy broke a contract: the run stops and returns this error */
  cs_err fail;

  CS__VEC(cs__event) heap;
  /* Events pushed for the current time skip the heap: one FIFO per kind (engine.c, push()). */
  CS__VEC(cs__event) nowq[CS__EV_KINDS];
  size_t nowq_head[CS__EV_KINDS];
  uint32_t nowq_mask;  /* bit k: nowq[k] holds events */
  double nowq_t;       /* their time, while any */

  cs_workload *wl;
  bool have_next;
  cs_request_spec next;
  int64_t next_request_id;
  int64_t num_arrived, num_completed, num_preemptions;

  CS__VEC(cs__request *) gqueue;
  bool *touched;                         /* replicas routed to in one GLOBAL_SCHEDULE */

  const cs__global_sched_ops *router;
  void *router_state;
  cs__router_ctx router_ctx;
  cs_params replica_params, global_params, queue_params;
  const cs__rqueue_ops *queue_ops;

  int32_t num_replicas, num_stages;
  cs__replica *replicas;
  int64_t num_blocks;

  cs__batch_x *batch_free[32];
  int64_t next_batch_id, num_batches;
  CS__VEC(cs_batch_item) items;          /* predictor scratch */
  CS__VEC(cs__request *) done_scratch;   /* completed requests of one batch */

  /* MFU constants (§6.3) */
  double params_per_device, mfu_attn_coeff, mfu_peak;

  /* results */
  CS__VEC(cs_request_record) records;    /* completion order */
  CS__VEC(cs__request *) arrived;        /* arrival order (times and replicas for the series) */
  CS__VEC(double) completion_times;
  CS__VEC(cs__chrome_ev) chrome;
  CS__VEC(cs__batch_row) batch_rows;
};

/* Runs a simulation with an observer (NULL = none); cs_sim_run is this with NULL. */
int cs__sim_run_observed(const cs_sim_config *cfg, const cs__sim_observer *obs, cs_sim_result **out, cs_err *err);
/* The same with a request source instead of cfg->workload's generator (NULL = the generator). */
int cs__sim_run_source(const cs_sim_config *cfg, const cs__sim_observer *obs, const cs__sim_source *src,
                       cs_sim_result **out, cs_err *err);
void cs__batch_recycle(cs__sim *sim, cs__batch *b);
/* The engine's side of the policies' services (sched/policy.h): cs__sim_run_source installs it. */
extern const cs__sim_services cs__sim_engine_services;
cs__batch *cs__sim_batch_new(cs__sim *sim, int32_t replica_id, int32_t capacity);
int cs__sim_loop(cs__sim *sim, cs_err *err);
/* Early stopping on requests in flight: the watches of cfg->early_stop_slo (none when no
 * metric of it can only grow while a request waits), and their walk at the current time. */
void cs__esc_setup(cs__sim *sim);
void cs__esc_advance(cs__sim *sim);
/* Request r just finished its first prefill: its TPOT may become certain from now on. */
void cs__esc_prefill_end(cs__sim *sim, cs__request *r);
/* Copies a policy's user parameters (unknown names are errors with a suggestion) and fills defaults. */
/* The configuration's three policies: its resolved pointers, else looked up by name. */
int cs__sim_resolve(const cs_sim_config *cfg, const cs_policy_info **r, const cs_policy_info **g,
                    const cs_policy_info **q, cs_err *err);
int cs__sim_finish_params(const cs_params *in, const cs_policy_info *info, const char *kind, cs_params *out,
                          cs_err *err);
double cs__sim_now(const cs__sim *sim);
int32_t cs__sim_num_replicas(const cs__sim *sim);
double cs__sim_replica_memory_percent(cs__sim *sim, int32_t replica);
const cs_sim_config *cs__sim_config(const cs__sim *sim);

/* Builds the result object from a finished simulation (result.c). */
int cs__sim_make_result(cs__sim *sim, double wall_s, cs_sim_result **out);

#endif
