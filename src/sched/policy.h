/* The policy interface: the types the policies (src/sched, which implements it) and the engine
 * (src/sim, which drives it) share. It lives with the policies, below the engine in the library
 * order: requests with Vidur's exact accounting, batches, the engine services a policy may call
 * (a table the engine installs), and the policy interfaces (replica schedulers, global
 * schedulers, request queues), each a static const ops table
 * (Linux sched_class / Redis dictType shape) with state sized by the policy and allocated by
 * the engine in the simulation's arena (ROSS tw_lptype idea).
 *
 * Ownership: everything here lives in the simulation's arena and dies with it. Policies never
 * call malloc per event; they use cs__sim_alloc (the arena) for what they keep. */
#ifndef CS_SCHED_POLICY_H
#define CS_SCHED_POLICY_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capsearch/error.h"
#include "capsearch/params.h"
#include "capsearch/sim.h"

typedef struct cs__sim cs__sim;

/* ---- Requests (vidur-semantics.md §1.2) ---------------------------------------------- */
typedef struct cs__request {
  int64_t id;                /* 0,1,2,... in generation order */
  double arrived_at;
  int32_t num_prefill;       /* P (overwritten by restart) */
  int32_t num_decode;        /* D (overwritten by restart) */
  int32_t num_processed;     /* tokens computed so far (incl. the +1 at prefill end) */
  int32_t num_prefill_cached;/* prefix-cache hit at (last) admission */
  double scheduled_at, execution_time, model_execution_time, scheduling_delay, preempted_time;
  double completed_at, prefill_completed_at;
  double latest_stage_scheduled_at, latest_stage_completed_at;
  double latest_iteration_scheduled_at, latest_iteration_completed_at, latest_iteration_scheduling_delay;
  bool scheduled, preempted, completed, is_prefill_complete;
  int32_t num_restarts;
  int32_t replica_id;        /* -1 until a replica scheduler accepts it */
  int64_t session_id;        /* -1 when none */
  cs_block_hashes hashes;    /* block hash ids (prompt + output full blocks), borrowed from the trace */
  /* values frozen at first scheduling for the metrics (V1 records P, D, P+D then) */
  int32_t metric_num_prefill, metric_num_decode;
  bool metric_captured;
  bool slo_counted;          /* engine: counted in flight as a certain SLO violator (here, in padding) */
  double prefill_slo_time;   /* EDF deadline offset */
  /* policy-private fields (one owner at a time: the replica scheduler that holds it) */
  int32_t sched_blocks;      /* V0 block accounting: blocks allocated to this request */
  void *sched_priv;          /* e.g. the vllm_v1 KV manager's per-request block list */
  int64_t queue_seq;         /* insertion sequence for queues */
  /* engine-private (added after the policies' fields) */
  double metric_inter_arrival; /* V1: arrival gap to the previous request first scheduled on its replica */
} cs__request;

/* State transitions, exactly as Vidur (the engine makes these: src/sim/request.c). */
static inline int32_t cs__req_total_tokens(const cs__request *r) { return r->num_prefill + r->num_decode; }
static inline int32_t cs__req_processed_prefill(const cs__request *r) {
  return r->num_processed < r->num_prefill ? r->num_processed : r->num_prefill;
}
void cs__req_on_batch_schedule(cs__request *r, double t);
void cs__req_on_stage_schedule(cs__request *r, double t);
void cs__req_on_stage_end(cs__request *r, double t, double exec, double model_exec);
void cs__req_on_batch_end(cs__request *r, double t, int32_t num_tokens);
/* The two transitions the replica schedulers make themselves are defined here, inline, so the
 * policies (cs_sched) need nothing of the engine's library (cs_sim depends on cs_sched, never the
 * reverse).
 * Preemption by recomputation. Vidur: P := processed (a mid-prefill victim's unprocessed prompt
 * becomes decode tokens). capsearch's fix (`keep_prompt`): P := max(P, processed), so only
 * generated tokens join the prompt. */
static inline void cs__req_restart(cs__request *r, bool keep_prompt) {
  int32_t total = r->num_prefill + r->num_decode;
  int32_t p = r->num_processed;
  if (keep_prompt && p < r->num_prefill) p = r->num_prefill;
  r->num_prefill = p;
  r->num_decode = total - p;
  r->num_processed = 0;
  r->scheduled = r->preempted = r->completed = r->is_prefill_complete = false;
  r->num_restarts += 1;
}
/* A prefix-cache hit at admission: the first `cached_tokens` prompt tokens count as processed. */
static inline void cs__req_on_cache_hit(cs__request *r, int32_t cached_tokens) {
  assert(!r->scheduled && r->num_processed == 0 && cached_tokens <= r->num_prefill);
  r->num_processed = cached_tokens;
  r->num_prefill_cached = cached_tokens;
}

/* ---- Batches ----------------------------------------------------------------------------- */
typedef struct cs__batch {
  int64_t id;
  int32_t replica_id;
  int32_t n;                 /* requests */
  cs__request **requests;
  int32_t *num_tokens;       /* per request, this iteration */
  bool *was_prefill;         /* per request: prefill incomplete when the batch was formed */
  int64_t total_tokens, num_prefill_tokens, num_decode_tokens;
  double scheduled_at, completed_at;
  int32_t num_completed_prefills;
  int32_t capacity;          /* room in requests/num_tokens/was_prefill (set by cs__batch_new) */
} cs__batch;

/* Builder used by schedulers: cs__batch_new (an engine service, below) hands out a batch whose
 * storage the engine owns (arena); cs__batch_add appends one request to it. */
static inline void cs__batch_add(cs__batch *b, cs__request *r, int32_t num_tokens) {
  assert(b->n < b->capacity);
  b->requests[b->n] = r;
  b->num_tokens[b->n] = num_tokens;
  b->was_prefill[b->n] = !r->is_prefill_complete;
  b->n++;
  b->total_tokens += num_tokens;
  if (!r->is_prefill_complete)
    b->num_prefill_tokens += num_tokens;
  else
    b->num_decode_tokens += num_tokens;
}

/* ---- Prefix-cache queries (what the cached-prefix-aware routers ask every replica) ---------
 * "How many leading blocks of r's prompt does this replica's prefix cache hold?" is asked of
 * every replica at each routing decision. The answer differs by replica, but the question does
 * not: which blocks count (floor(P / block_size), at most the request's hashes) and their hash
 * ids belong to the request. So a router prepares the question once per request
 * (cs__prefix_query_prepare, sched/router_util.h) and every replica walks the same runs.
 *
 * Shape: the blocks [0, nblocks) of r's prompt in order, as runs of consecutive hash ids: run j
 * covers the next runs[j].count blocks, whose hashes are runs[j].hash, +1, +2, ... (a Mooncake
 * 512-token id names 32 consecutive 16-token blocks; consecutive ids and the fresh ids merge
 * into one run). The counts add up to nblocks; every count is >= 1.
 * Units: nblocks and counts in blocks of `block_size` tokens; the answers in tokens.
 * Ownership: the query borrows r (and through it the trace's hash ids): it is valid while r is
 * unchanged (num_prefill, hashes); the runs live in the preparer's arena memory.
 * A replica whose block size differs from block_size answers from r itself (the same answer, by
 * its own walk). */
typedef struct cs__prefix_run {
  uint64_t hash;             /* the run's first block's hash id */
  uint32_t count;            /* blocks in the run (>= 1) */
} cs__prefix_run;

typedef struct cs__prefix_query {
  const cs__request *r;      /* the request asked about (borrowed) */
  int32_t block_size;        /* tokens per block the runs were split for */
  int32_t nblocks;           /* blocks that may match: min(floor(P / block_size), hashes.n) */
  int32_t nruns;
  cs__prefix_run *runs;      /* [nruns], in prompt order (arena; room for `cap`) */
  int32_t cap;
  cs__sim *sim;              /* whose arena the runs grow into */
} cs__prefix_query;

/* ---- Replica schedulers ----------------------------------------------------------------- */
typedef struct cs__replica_ctx {
  cs__sim *sim;
  int32_t replica_id;
  int32_t num_stages;        /* PP */
  int64_t num_blocks;        /* KV blocks of this replica */
  int32_t block_size;
  int64_t max_tokens;        /* request generator's max tokens (max_seq_len) */
  int64_t max_batch_size;    /* Vidur V0 memory-derived batch size (orca/FT), already capped */
  double watermark_fraction;
  bool prefix_caching;
  int32_t prealloc_tokens;
  bool keep_prompt_on_restart;
  const cs_params *params;   /* the scheduler's declared parameters, defaults filled */
} cs__replica_ctx;

typedef struct cs__replica_sched_ops {
  cs_policy_info info;
  size_t state_size;
  int (*init)(void *state, const cs__replica_ctx *ctx, cs_err *err);
  void (*add_request)(void *state, cs__request *r);
  /* Forms the next batch for a free pipeline slot, or returns NULL. */
  cs__batch *(*next_batch)(void *state, double now);
  void (*on_batch_end)(void *state, cs__batch *b);
  bool (*is_empty)(const void *state);
  double (*memory_usage_percent)(const void *state);
  /* Tokens of q's request's prompt already in this replica's prefix cache (routers): the
   * leading cached full blocks x block_size; NULL = 0. Reads only: answers never change state. */
  int32_t (*cached_prefill_length)(void *state, const cs__prefix_query *q);
  /* A hint before cached_prefill_length(q), so that the replicas' first lookups overlap in
   * memory instead of waiting one after another; changes nothing observable. May be NULL. */
  void (*prefetch_prefix)(const void *state, const cs__prefix_query *q);
  int64_t (*num_waiting)(const void *state);
  int64_t (*num_running_batches)(const void *state);
} cs__replica_sched_ops;

/* The ops table of a replica scheduler's registry entry (cs_replica_scheds()). */
const cs__replica_sched_ops *cs__replica_sched_ops_of(const cs_policy_info *e);

/* ---- Global schedulers (routers) ---------------------------------------------------------- */
typedef struct cs__router_ctx {
  cs__sim *sim;
  int32_t num_replicas;
  uint64_t seed;             /* tie-break RNG seed (Vidur: Python Random(67)) */
  const cs_params *params;
} cs__router_ctx;

typedef struct cs__global_sched_ops {
  cs_policy_info info;
  size_t state_size;
  int (*init)(void *state, const cs__router_ctx *ctx, cs_err *err);
  /* Picks the replica for r (called for each queued request in (arrived_at, id) order). */
  int32_t (*route)(void *state, cs__request *r);
  void (*on_prefill_end)(void *state, cs__request *r);   /* may be NULL */
  void (*on_request_end)(void *state, cs__request *r);   /* may be NULL */
  void (*on_batch_end)(void *state, const cs__batch *b); /* may be NULL */
} cs__global_sched_ops;

/* The ops table of a router's registry entry (cs_routers()). */
const cs__global_sched_ops *cs__global_sched_ops_of(const cs_policy_info *e);

/* ---- Request queues (waiting lists of replica schedulers) --------------------------------- */
typedef struct cs__rqueue cs__rqueue;
typedef struct cs__rqueue_ops {
  cs_policy_info info;
  /* Ordered by (key, id): fcfs key = arrived_at; edf key = arrived_at + prefill_slo_time. */
  double (*key)(const cs__request *r, const void *params); /* params: bound struct (info.params_size) */
} cs__rqueue_ops;
/* The ops table of a queue's registry entry (cs_request_queues()); by name: NULL when unknown. */
const cs__rqueue_ops *cs__rqueue_ops_of(const cs_policy_info *e);
const cs__rqueue_ops *cs__rqueue_lookup(const char *name);
/* Fails with CS_ECONFIG naming `policy` unless the queue orders by arrival (fcfs): the
 * schedulers that Vidur runs only with FCFS. NULL ops = the default fcfs. */
int cs__rqueue_require_arrival_order(const cs__rqueue_ops *ops, const char *policy, cs_err *err);
/* A binary heap of requests ordered by (ops->key, id), allocated from the arena. The order's
 * parameters are bound from `params` (validated by the caller; NULL = defaults) once, here. */
cs__rqueue *cs__rqueue_new(cs__sim *sim, const cs__rqueue_ops *ops, const cs_params *params);
void cs__rqueue_push(cs__rqueue *q, cs__request *r);
cs__request *cs__rqueue_peek(const cs__rqueue *q);
cs__request *cs__rqueue_pop(cs__rqueue *q);
size_t cs__rqueue_size(const cs__rqueue *q);

/* ---- Engine services available to policies ------------------------------------------------
 * The policies are a library below the engine (cs_sim links cs_sched; cs_sched links nothing of
 * cs_sim), so they reach the simulation that runs them through this table of function pointers.
 * Whoever runs policies -- the engine (src/sim/engine.c, cs__sim_engine_services) or the unit
 * tests' stand-in (tests/sched_fake_sim.h) -- makes a `const cs__sim_services *` the FIRST member
 * of its struct cs__sim; a pointer to a struct points to its first member (C11 6.7.2.1p15), which
 * is how the inline wrappers below find the table without knowing the rest of the struct. */
typedef struct cs__sim_services {
  void *(*alloc)(cs__sim *sim, size_t n);                                    /* arena memory, zeroed */
  cs__batch *(*batch_new)(cs__sim *sim, int32_t replica_id, int32_t capacity); /* capacity >= 1 */
  const cs__replica_ctx *(*replica_ctx)(cs__sim *sim, int32_t replica);
  /* Replica-scheduler hooks the routers may query (cached prefix length, waiting count).
   * cached_prefill_length: one replica's answer to q (tokens, >= 0, <= q->r->num_prefill).
   * cached_prefill_lengths: every replica's, out[x] for x in [0, num_replicas) (the router's
   * num_replicas; `out` is the caller's), exactly what num_replicas calls of the former give,
   * with the replicas' lookups overlapped. */
  int32_t (*cached_prefill_length)(cs__sim *sim, int32_t replica, const cs__prefix_query *q);
  void (*cached_prefill_lengths)(cs__sim *sim, const cs__prefix_query *q, int32_t *out);
  int64_t (*num_waiting)(cs__sim *sim, int32_t replica);
  /* Statistics hook for schedulers. */
  void (*note_preemption)(cs__sim *sim, int32_t replica, cs__request *victim);
  /* The configured waiting-queue order and its parameters. */
  const cs__rqueue_ops *(*queue_ops)(cs__sim *sim);
  const cs_params *(*queue_params)(cs__sim *sim);
} cs__sim_services;

static inline const cs__sim_services *cs__sim_svc(cs__sim *sim) {
  return *(const cs__sim_services *const *)(void *)sim;
}
static inline void *cs__sim_alloc(cs__sim *sim, size_t n) { return cs__sim_svc(sim)->alloc(sim, n); }
static inline cs__batch *cs__batch_new(cs__sim *sim, int32_t replica_id, int32_t capacity) {
  return cs__sim_svc(sim)->batch_new(sim, replica_id, capacity);
}
static inline const cs__replica_ctx *cs__sim_replica_ctx(cs__sim *sim, int32_t replica) {
  return cs__sim_svc(sim)->replica_ctx(sim, replica);
}
static inline int32_t cs__sim_cached_prefill_length(cs__sim *sim, int32_t replica, const cs__prefix_query *q) {
  return cs__sim_svc(sim)->cached_prefill_length(sim, replica, q);
}
static inline void cs__sim_cached_prefill_lengths(cs__sim *sim, const cs__prefix_query *q, int32_t *out) {
  cs__sim_svc(sim)->cached_prefill_lengths(sim, q, out);
}
static inline int64_t cs__sim_num_waiting(cs__sim *sim, int32_t replica) {
  return cs__sim_svc(sim)->num_waiting(sim, replica);
}
static inline void cs__sim_note_preemption(cs__sim *sim, int32_t replica, cs__request *victim) {
  cs__sim_svc(sim)->note_preemption(sim, replica, victim);
}
static inline const cs__rqueue_ops *cs__sim_queue_ops(cs__sim *sim) { return cs__sim_svc(sim)->queue_ops(sim); }
static inline const cs_params *cs__sim_queue_params(cs__sim *sim) { return cs__sim_svc(sim)->queue_params(sim); }

#endif
