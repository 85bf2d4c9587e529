/* A minimal stand-in for the simulation engine, for unit tests of the policies in src/sched
 * (tests/test_sched_*.c link cs_sched only, not the engine). It provides the engine services
 * that policies call (sched/policy.h "Engine services", a table installed by fake_sim_init), batches,
 * and the engine's request transitions of vidur-semantics.md §1.2 (a compact copy: enough to
 * drive schedulers step by step by hand).
 * The real engine runs the same policies in the invariant harness (tests/sim_invariants.*).
 * Include this header from exactly one test file per executable. */
#ifndef CS_TESTS_SCHED_FAKE_SIM_H
#define CS_TESTS_SCHED_FAKE_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sched/policy.h"

#define FAKE_MAX_ALLOCS 65536
#define FAKE_MAX_REPLICAS 16

struct cs__sim {
  const cs__sim_services *svc; /* first member, as sched/policy.h requires */
  void *allocs[FAKE_MAX_ALLOCS];
  int nallocs;
  int64_t next_batch_id;
  /* cached_prefill_length(req, replica) for routers; NULL = 0 */
  int32_t (*cached)(const cs__request *r, int32_t replica);
  int32_t num_replicas; /* how many replicas cached_prefill_lengths answers for (the router's) */
  const cs__rqueue_ops *queue_ops;
  cs_params queue_params;
  int64_t preemptions;
  cs__request *last_victim;
  cs__replica_ctx ctx[FAKE_MAX_REPLICAS];
};

/* Test-only engine services (the table is in sched/policy.h), installed by fake_sim_init. */
static void *fake_alloc(cs__sim *sim, size_t n) {
  void *p = calloc(1, n ? n : 1);
  if (sim->nallocs < FAKE_MAX_ALLOCS) sim->allocs[sim->nallocs++] = p;
  return p;
}
static const cs__replica_ctx *fake_replica_ctx(cs__sim *sim, int32_t replica) { return &sim->ctx[replica]; }
static int32_t fake_cached_prefill_length(cs__sim *sim, int32_t replica, const cs__prefix_query *q) {
  return sim->cached ? sim->cached(q->r, replica) : 0;
}
static void fake_cached_prefill_lengths(cs__sim *sim, const cs__prefix_query *q, int32_t *out) {
  for (int32_t x = 0; x < sim->num_replicas; x++) out[x] = fake_cached_prefill_length(sim, x, q);
}
static int64_t fake_num_waiting(cs__sim *sim, int32_t replica) {
  (void)sim;
  (void)replica;
  return 0;
}
static void fake_note_preemption(cs__sim *sim, int32_t replica, cs__request *victim) {
  (void)replica;
  sim->preemptions++;
  sim->last_victim = victim;
}
static const cs__rqueue_ops *fake_queue_ops(cs__sim *sim) { return sim->queue_ops; }
static const cs_params *fake_queue_params(cs__sim *sim) { return &sim->queue_params; }

static cs__batch *fake_batch_new(cs__sim *sim, int32_t replica_id, int32_t capacity) {
  cs__batch *b = fake_alloc(sim, sizeof *b);
  b->id = sim->next_batch_id++;
  b->replica_id = replica_id;
  b->capacity = capacity;
  b->requests = fake_alloc(sim, (size_t)capacity * sizeof *b->requests);
  b->num_tokens = fake_alloc(sim, (size_t)capacity * sizeof *b->num_tokens);
  b->was_prefill = fake_alloc(sim, (size_t)capacity * sizeof *b->was_prefill);
  return b;
}

static const cs__sim_services fake_services = {
    .alloc = fake_alloc,
    .batch_new = fake_batch_new,
    .replica_ctx = fake_replica_ctx,
    .cached_prefill_length = fake_cached_prefill_length,
    .cached_prefill_lengths = fake_cached_prefill_lengths,
    .num_waiting = fake_num_waiting,
    .note_preemption = fake_note_preemption,
    .queue_ops = fake_queue_ops,
    .queue_params = fake_queue_params,
};

void cs__req_on_batch_schedule(cs__request *r, double t) {
  r->latest_iteration_scheduled_at = t;
  if (r->scheduled) return;
  r->scheduled = true;
  if (r->num_restarts > 0) return;
  r->scheduled_at = t;
}
void cs__req_on_batch_end(cs__request *r, double t, int32_t n) {
  r->num_processed += n;
  if (r->num_processed == r->num_prefill) {
    r->is_prefill_complete = true;
    r->num_processed += 1;
    if (r->prefill_completed_at == 0) r->prefill_completed_at = t;
  }
  if (r->num_processed == r->num_prefill + r->num_decode) {
    r->completed = true;
    r->completed_at = t;
  }
}
static inline void fake_sim_init(cs__sim *sim) {
  memset(sim, 0, sizeof *sim);
  sim->svc = &fake_services;
}
static inline void fake_sim_release(cs__sim *sim) {
  for (int i = 0; i < sim->nallocs; i++) free(sim->allocs[i]);
  sim->nallocs = 0;
}

static inline void fake_req(cs__request *r, int64_t id, double arrived, int32_t p, int32_t d) {
  memset(r, 0, sizeof *r);
  r->id = id;
  r->arrived_at = arrived;
  r->num_prefill = p;
  r->num_decode = d;
  r->replica_id = -1;
  r->session_id = -1;
}

/* Runs a formed batch: schedule, then end it at time t (request transitions, then the
 * scheduler's on_batch_end), as the engine does with one pipeline stage. */
static inline void fake_run_batch(const cs__replica_sched_ops *ops, void *state, cs__batch *b, double t) {
  for (int32_t i = 0; i < b->n; i++) cs__req_on_batch_schedule(b->requests[i], t);
  for (int32_t i = 0; i < b->n; i++) cs__req_on_batch_end(b->requests[i], t, b->num_tokens[i]);
  ops->on_batch_end(state, b);
}

#endif
