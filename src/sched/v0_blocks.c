/* V0 replica-scheduler common code (vidur-semantics.md §4.0); see v0_blocks.h. */
#include "sched/v0_blocks.h"

#include <string.h>

#include "capsearch/params.h"

/* ---- lists --------------------------------------------------------------------------------- */
void cs__v0_list_push(cs__sim *sim, cs__v0_list *l, cs__request *r) {
  if (l->tail == l->cap) {
    int32_t len = l->tail - l->head;
    if (l->head > 0 && len < l->cap / 2) { /* reuse the consumed front */
      memmove(l->v, l->v + l->head, (size_t)len * sizeof *l->v);
    } else {
      int32_t cap = l->cap ? l->cap * 2 : 64;
      cs__request **nv = cs__sim_alloc(sim, (size_t)cap * sizeof *nv);
      if (len) memcpy(nv, l->v + l->head, (size_t)len * sizeof *nv);
      l->v = nv;
      l->cap = cap;
    }
    l->head = 0;
    l->tail = len;
  }
  l->v[l->tail++] = r;
}

void cs__v0_list_sort_by_arrival(cs__v0_list *l) {
  /* Insertion sort: stable, and the list is nearly sorted already (batch-end appends). */
  if (!l->v) return; /* never appended to: NULL + 0 is undefined (clang's UBSan says so) */
  cs__request **a = l->v + l->head;
  int32_t n = l->tail - l->head;
  for (int32_t i = 1; i < n; i++) {
    cs__request *x = a[i];
    int32_t j = i;
    while (j > 0 && a[j - 1]->arrived_at > x->arrived_at) {
      a[j] = a[j - 1];
      j--;
    }
    a[j] = x;
  }
}

/* ---- init ---------------------------------------------------------------------------------- */
int cs__v0_init(cs__v0 *v, const cs__replica_ctx *ctx, int64_t cap, bool token_level, const char *name, cs_err *err) {
  memset(v, 0, sizeof *v);
  if (ctx->num_stages < 1)
    return cs_err_set(err, CS_EINVAL, "%s: pipeline stages must be >= 1 (got %d)", name, (int)ctx->num_stages);
  if (ctx->block_size < 1)
    return cs_err_set(err, CS_EINVAL, "%s: block_size must be >= 1 (got %d)", name, (int)ctx->block_size);
  if (ctx->num_blocks < 1)
    return cs_err_set(err, CS_EINFEASIBLE, "%s: replica %d has no KV-cache blocks", name, (int)ctx->replica_id);
  v->sim = ctx->sim;
  v->replica_id = ctx->replica_id;
  v->num_stages = ctx->num_stages;
  v->keep_prompt = ctx->keep_prompt_on_restart;
  if (token_level) { /* lightllm: one "block" per token */
    v->block_size = 1;
    v->num_blocks = ctx->num_blocks * ctx->block_size;
  } else {
    v->block_size = ctx->block_size;
    v->num_blocks = ctx->num_blocks;
  }
  v->watermark_blocks = (int64_t)(ctx->watermark_fraction * (double)v->num_blocks);
  v->max_blocks_per_seq = ctx->max_tokens / v->block_size;
  v->batch_size_cap = cap;
  if (v->batch_size_cap < 1)
    return cs_err_set(err, CS_ERANGE, "%s: batch_size_cap must be >= 1 (got %lld)", name, (long long)v->batch_size_cap);
  v->max_micro_batch = v->batch_size_cap / v->num_stages;
  if (v->max_micro_batch < 1)
    return cs_err_set(err, CS_ECONFIG, "%s: batch_size_cap %lld is smaller than the %d pipeline stages", name,
                      (long long)v->batch_size_cap, (int)v->num_stages);
  const cs__rqueue_ops *qops = cs__sim_queue_ops(ctx->sim);
  if (!qops) return cs_err_set(err, CS_EINVAL, "%s: the simulation has no request queue", name);
  v->queue = cs__rqueue_new(ctx->sim, qops, cs__sim_queue_params(ctx->sim));
  return 0;
}

int cs__v0_require_fcfs(const cs__v0 *v, const char *name, cs_err *err) {
  return cs__rqueue_require_arrival_order(cs__sim_queue_ops(v->sim), name, err);
}

/* ---- waiting queue ------------------------------------------------------------------------- */
cs__request *cs__v0_waiting_peek(const cs__v0 *v) {
  if (cs__v0_list_len(&v->front)) return v->front.v[v->front.tail - 1];
  return cs__rqueue_peek(v->queue);
}

cs__request *cs__v0_waiting_pop(cs__v0 *v) {
  if (cs__v0_list_len(&v->front)) return cs__v0_list_pop_back(&v->front);
  return cs__rqueue_pop(v->queue);
}

int64_t cs__v0_waiting_len(const cs__v0 *v) {
  return (int64_t)cs__v0_list_len(&v->front) + (int64_t)cs__rqueue_size(v->queue);
}

/* ---- blocks -------------------------------------------------------------------------------- */
void cs__v0_allocate(cs__v0 *v, cs__request *r, int64_t n) {
  if (n <= 0) {
    if (r->sched_blocks > 0) return;
    n = 1; /* a request in the allocation map always holds at least one block */
  }
  if (r->sched_blocks == 0) v->n_alloc++;
  r->sched_blocks += (int32_t)n;
  v->allocated += n;
}

void cs__v0_free(cs__v0 *v, cs__request *r) {
  if (r->sched_blocks == 0) return;
  v->allocated -= r->sched_blocks;
  v->n_alloc--;
  r->sched_blocks = 0;
}

bool cs__v0_can_allocate_request(const cs__v0 *v, const cs__request *r) {
  if (r->sched_blocks == 0) {
    int64_t need = cs__v0_ceil_blocks(v, r->num_prefill);
    return cs__v0_free_blocks(v) - need >= v->watermark_blocks;
  }
  /* Vidur asks for one free block whatever the need (the need is 0 or 1 block). */
  int64_t reserved = (int64_t)r->sched_blocks * v->block_size;
  int64_t need_tokens = r->num_processed > reserved ? r->num_processed - reserved : 0;
  int64_t need = cs__v0_ceil_blocks(v, need_tokens);
  return cs__v0_free_blocks(v) >= (need > 1 ? need : 1);
}

void cs__v0_allocate_request(cs__v0 *v, cs__request *r) {
  if (r->sched_blocks == 0) {
    int64_t need = cs__v0_ceil_blocks(v, r->num_prefill);
    cs__v0_allocate(v, r, need);
    return;
  }
  /* [QUIRK §4.0] `processed` already counts the token produced by the last iteration, so the
   * blocks lag one token behind: a new block is taken once processed exceeds the reservation. */
  int64_t reserved = (int64_t)r->sched_blocks * v->block_size;
  int64_t need_tokens = r->num_processed > reserved ? r->num_processed - reserved : 0;
  if (need_tokens > 0) cs__v0_allocate(v, r, cs__v0_ceil_blocks(v, need_tokens));
}

void cs__v0_preempt(cs__v0 *v, cs__request *r) {
  cs__req_restart(r, v->keep_prompt);
  cs__v0_free(v, r);
  cs__v0_list_push(v->sim, &v->front, r);
  v->num_preemptions++;
  cs__sim_note_preemption(v->sim, v->replica_id, r);
}

bool cs__v0_make_room(cs__v0 *v, cs__request *r) {
  while (!cs__v0_can_allocate_request(v, r)) {
    if (cs__v0_list_len(&v->running)) {
      cs__v0_preempt(v, cs__v0_list_pop_back(&v->running));
    } else {
      cs__v0_preempt(v, r);
      return false;
    }
  }
  cs__v0_allocate_request(v, r);
  return true;
}

/* ---- batch builder ------------------------------------------------------------------------- */
void cs__v0_bb_reset(cs__v0 *v) { v->bb_n = 0; }

void cs__v0_bb_add(cs__v0 *v, cs__request *r, int32_t tokens) {
  if (v->bb_n == v->bb_cap) {
    int32_t cap = v->bb_cap ? v->bb_cap * 2 : 256;
    cs__request **nr = cs__sim_alloc(v->sim, (size_t)cap * sizeof *nr);
    int32_t *nt = cs__sim_alloc(v->sim, (size_t)cap * sizeof *nt);
    if (v->bb_n) {
      memcpy(nr, v->bb_req, (size_t)v->bb_n * sizeof *nr);
      memcpy(nt, v->bb_tok, (size_t)v->bb_n * sizeof *nt);
    }
    v->bb_req = nr;
    v->bb_tok = nt;
    v->bb_cap = cap;
  }
  v->bb_req[v->bb_n] = r;
  v->bb_tok[v->bb_n] = tokens;
  v->bb_n++;
}

cs__batch *cs__v0_bb_emit(cs__v0 *v) {
  if (!v->bb_n) return NULL;
  cs__batch *b = cs__batch_new(v->sim, v->replica_id, v->bb_n);
  for (int32_t i = 0; i < v->bb_n; i++) cs__batch_add(b, v->bb_req[i], v->bb_tok[i]);
  v->bb_n = 0;
  v->num_running_batches++;
  return b;
}

/* ---- shared ops ---------------------------------------------------------------------------- */
void cs__v0_add_request(void *state, cs__request *r) {
  cs__v0 *v = state;
  r->replica_id = v->replica_id;
  r->sched_blocks = 0;
  cs__rqueue_push(v->queue, r);
}

void cs__v0_on_batch_end(void *state, cs__batch *b) {
  cs__v0 *v = state;
  v->num_running_batches--;
  for (int32_t i = 0; i < b->n; i++) {
    cs__request *r = b->requests[i];
    if (r->completed) cs__v0_free(v, r);
    else cs__v0_list_push(v->sim, &v->running, r);
  }
}

bool cs__v0_is_empty(const void *state) {
  const cs__v0 *v = state;
  return cs__v0_waiting_len(v) == 0 && v->n_alloc == 0;
}

double cs__v0_memory_usage_percent(const void *state) {
  const cs__v0 *v = state;
  return (double)v->allocated * 100.0 / (double)v->num_blocks;
}

int64_t cs__v0_num_waiting(const void *state) { return cs__v0_waiting_len(state); }

int64_t cs__v0_num_running_batches(const void *state) {
  const cs__v0 *v = state;
  return v->num_running_batches;
}
