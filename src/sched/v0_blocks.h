/* Shared machinery of Vidur's V0 replica schedulers (vllm, sarathi, orca, faster_transformer,
 * lightllm), vidur-semantics.md §4.0:
 *  - per-replica KV block accounting (the "allocation map": blocks held by each request live in
 *    cs__request.sched_blocks, 0 = not in the map), watermark, memory usage;
 *  - the waiting queue: the engine's cs__rqueue (fcfs/edf) plus a front stack for requests
 *    preempted by recomputation, which V0 re-inserts at the *front* of its waiting list;
 *  - the running list (V0's `preempted_requests`: requests between iterations) as a deque;
 *  - vllm/sarathi's can_allocate_request / allocate_request and the victim loop (preempt the
 *    last running request until the current one fits, else preempt the current one);
 *  - a batch builder with scratch arrays, so a step that forms no batch allocates nothing.
 * Ownership: the struct is embedded in each scheduler's state; every array lives in the
 * simulation's arena (cs__sim_alloc) and grows by doubling. Requests are borrowed from the
 * engine. */
#ifndef CS_SCHED_V0_BLOCKS_H
#define CS_SCHED_V0_BLOCKS_H

#include <stdbool.h>
#include <stdint.h>

#include "sched/policy.h"

/* A deque of requests: live items are v[head .. tail). */
typedef struct cs__v0_list {
  cs__request **v;
  int32_t head, tail, cap;
} cs__v0_list;

static inline int32_t cs__v0_list_len(const cs__v0_list *l) { return l->tail - l->head; }
static inline cs__request *cs__v0_list_at(const cs__v0_list *l, int32_t i) { return l->v[l->head + i]; }
static inline cs__request *cs__v0_list_pop_front(cs__v0_list *l) { return l->v[l->head++]; }
static inline cs__request *cs__v0_list_pop_back(cs__v0_list *l) { return l->v[--l->tail]; }
void cs__v0_list_push(cs__sim *sim, cs__v0_list *l, cs__request *r);
/* Stable sort by arrived_at (Python `sorted(key=lambda r: r.arrived_at)`). */
void cs__v0_list_sort_by_arrival(cs__v0_list *l);

typedef struct cs__v0 {
  cs__sim *sim;
  int32_t replica_id, num_stages, block_size;
  bool keep_prompt;
  int64_t num_blocks;       /* KV capacity in blocks (lightllm: in tokens, block size 1) */
  int64_t allocated;        /* blocks held by requests in the allocation map */
  int64_t n_alloc;          /* len(allocation_map) */
  int64_t watermark_blocks; /* int(watermark_fraction * num_blocks) */
  int64_t max_blocks_per_seq;
  int64_t batch_size_cap, max_micro_batch;
  int32_t num_running_batches;
  int64_t num_preemptions;
  cs__rqueue *queue;        /* waiting requests (engine's fcfs / edf heap) */
  cs__v0_list front;        /* preempted requests, re-inserted at the queue front (stack: last = head) */
  cs__v0_list running;      /* V0 `preempted_requests`: running requests between iterations */
  /* batch builder scratch */
  cs__request **bb_req;
  int32_t *bb_tok;
  int32_t bb_n, bb_cap;
} cs__v0;

/* Sets up the block accounting, the queue and the lists for a scheduler whose bound
 * batch_size_cap is `cap`. `token_level` = lightllm: account in tokens (capacity
 * num_blocks*block_size, block size 1). */
int cs__v0_init(cs__v0 *v, const cs__replica_ctx *ctx, int64_t cap, bool token_level, const char *name, cs_err *err);
/* Fails with CS_ECONFIG unless the simulation's request queue is fcfs (Vidur asserts FCFS). */
int cs__v0_require_fcfs(const cs__v0 *v, const char *name, cs_err *err);

/* Waiting queue: front stack first, then the rqueue. */
cs__request *cs__v0_waiting_peek(const cs__v0 *v);
cs__request *cs__v0_waiting_pop(cs__v0 *v);
int64_t cs__v0_waiting_len(const cs__v0 *v);

/* Block accounting (§4.0). */
static inline int64_t cs__v0_free_blocks(const cs__v0 *v) { return v->num_blocks - v->allocated; }
static inline bool cs__v0_can_allocate(const cs__v0 *v, int64_t n) { return cs__v0_free_blocks(v) >= n; }
void cs__v0_allocate(cs__v0 *v, cs__request *r, int64_t n);
void cs__v0_free(cs__v0 *v, cs__request *r);
static inline int64_t cs__v0_ceil_blocks(const cs__v0 *v, int64_t tokens) {
  return (tokens + v->block_size - 1) / v->block_size;
}
/* vllm/sarathi: admission needs ceil(P/bs) blocks above the watermark; a running request needs
 * one free block (§4.0). */
bool cs__v0_can_allocate_request(const cs__v0 *v, const cs__request *r);
void cs__v0_allocate_request(cs__v0 *v, cs__request *r);
/* Preemption by recomputation: restart (keep_prompt per ctx), free, re-queue at the front, count. */
void cs__v0_preempt(cs__v0 *v, cs__request *r);
/* The victim loop of §4.0 for running request r (already popped from v->running): while r cannot
 * get its block, preempt the *last* request of v->running; when none is left, preempt r itself
 * and return false. Otherwise allocate r's block and return true. */
bool cs__v0_make_room(cs__v0 *v, cs__request *r);

/* V0 `_get_request_next_num_tokens`: 1 once the prefill is complete, else the whole prompt. */
static inline int32_t cs__v0_next_tokens(const cs__request *r) { return r->is_prefill_complete ? 1 : r->num_prefill; }

/* Batch builder. */
void cs__v0_bb_reset(cs__v0 *v);
void cs__v0_bb_add(cs__v0 *v, cs__request *r, int32_t tokens);
/* Materialises the scratch batch (NULL when empty) and counts it as running. */
cs__batch *cs__v0_bb_emit(cs__v0 *v);

/* Shared ops. on_batch_end: one fewer batch in flight; completed requests free their blocks,
 * the others go to the end of the running list, in batch order. */
void cs__v0_add_request(void *state, cs__request *r);
void cs__v0_on_batch_end(void *state, cs__batch *b);
bool cs__v0_is_empty(const void *state);
double cs__v0_memory_usage_percent(const void *state);
int64_t cs__v0_num_waiting(const void *state);
int64_t cs__v0_num_running_batches(const void *state);


#endif
