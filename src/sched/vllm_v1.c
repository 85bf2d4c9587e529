/* Replica scheduler `vllm_v1` (vidur-semantics.md §4.6): vLLM V1's scheduler as Vidur ports it.
 * One token budget (chunk_size) per step: running requests first (decodes take 1 token, partial
 * prefills the rest of their prompt up to the budget), preempting the most recently admitted
 * running request by recomputation when the KV cache is full; then, only if nothing was
 * preempted, new requests from the FCFS queue with prefix-cache hits on full blocks.
 * Extension (Vidur asserts PP = 1): with PP > 1 requests already in a batch in flight are skipped
 * and never chosen as victims. */
#include <string.h>

#include "sched/kv_v1.h"
#include "sched/sched_params.h"
#include "sched/policy.h"

typedef struct v1_req {
  cs__kv_req kv; /* first member: the KV manager reads r->sched_priv as a cs__kv_req */
  uint64_t flight; /* in a batch in flight iff equal to v1_state.epoch (see v1_on_batch_end) */
} v1_req;

typedef struct v1_state {
  cs__replica_ctx ctx;
  cs__kv kv;
  cs__rqueue *waiting;
  cs__request **running;
  int32_t nrunning;
  int32_t chunk_size, cap;
  int64_t running_batches;
  uint64_t epoch;        /* bumped whenever no batch is in flight any more: every mark goes stale */
  cs__request **sched_r; /* scratch of one step */
  int32_t *sched_n;
  int32_t *comp;         /* scratch: computed blocks of the head request */
  int32_t comp_cap;
} v1_state;

typedef struct v1_params {
  int64_t chunk_size, batch_size_cap;
} v1_params;

static const cs_param_spec v1_specs[] = {
    CS__PARAM_CHUNK_SIZE(v1_params),
    CS__PARAM_BATCH_SIZE_CAP(v1_params),
};

static int v1_init(void *state, const cs__replica_ctx *ctx, cs_err *err) {
  v1_state *s = state;
  s->ctx = *ctx;
  s->epoch = 1; /* a request's mark starts at 0: not in flight */
  const cs__rqueue_ops *qops = cs__sim_queue_ops(ctx->sim);
  int rc = cs__rqueue_require_arrival_order(qops, "vllm_v1", err);
  if (rc) return rc;
  v1_params p;
  if ((rc = cs_params_bind(v1_specs, CS__NELEMS(v1_specs), ctx->params, &p, "vllm_v1", "replica scheduler", err)))
    return rc;
  s->chunk_size = (int32_t)p.chunk_size; /* both bounded far below 2^31 by their specs */
  s->cap = (int32_t)p.batch_size_cap;
  if (ctx->num_blocks < 1)
    return cs_err_set(err, CS_EINFEASIBLE, "vllm_v1: the replica has no KV-cache blocks");
  cs__kv_init(&s->kv, ctx->sim, ctx->num_blocks, ctx->block_size, ctx->prealloc_tokens, ctx->prefix_caching);
  s->waiting = cs__rqueue_new(ctx->sim, qops, cs__sim_queue_params(ctx->sim));
  s->running = cs__sim_alloc(ctx->sim, sizeof *s->running * (size_t)s->cap);
  s->sched_r = cs__sim_alloc(ctx->sim, sizeof *s->sched_r * (size_t)s->cap);
  s->sched_n = cs__sim_alloc(ctx->sim, sizeof *s->sched_n * (size_t)s->cap);
  return 0;
}

static void v1_add_request(void *state, cs__request *r) {
  v1_state *s = state;
  if (!r->sched_priv) r->sched_priv = cs__sim_alloc(s->ctx.sim, sizeof(v1_req));
  cs__rqueue_push(s->waiting, r);
}

static bool in_flight(const v1_state *s, const cs__request *r) { return ((const v1_req *)r->sched_priv)->flight == s->epoch; }

static void ensure_comp(v1_state *s, int32_t n) {
  if (n <= s->comp_cap) return;
  int32_t c = s->comp_cap ? s->comp_cap : 64;
  while (c < n) c *= 2;
  s->comp = cs__sim_alloc(s->ctx.sim, sizeof *s->comp * (size_t)c);
  s->comp_cap = c;
}

/* Removes and returns the last running request that is not in a batch in flight. */
static cs__request *pop_victim(v1_state *s) {
  for (int32_t i = s->nrunning - 1; i >= 0; i--) {
    cs__request *v = s->running[i];
    if (s->running_batches && in_flight(s, v)) continue;
    memmove(&s->running[i], &s->running[i + 1], sizeof *s->running * (size_t)(s->nrunning - i - 1));
    s->nrunning--;
    return v;
  }
  return NULL;
}

static cs__batch *v1_next_batch(void *state, double now) {
  (void)now;
  v1_state *s = state;
  int32_t budget = s->chunk_size, ns = 0;
  bool preempted = false, stop = false;
  const bool any_in_flight = s->running_batches > 0; /* none with one pipeline stage */
  /* 1. running requests, in admission order */
  for (int32_t idx = 0; idx < s->nrunning && budget > 0 && !stop; idx++) {
    cs__request *r = s->running[idx];
    if (any_in_flight && in_flight(s, r)) continue;
    int32_t n = r->is_prefill_complete ? 1 : r->num_prefill - r->num_processed;
    if (n > budget) n = budget;
    while (!cs__kv_allocate(&s->kv, r, n, NULL, 0)) {
      cs__request *victim = pop_victim(s);
      cs__kv_free(&s->kv, victim);
      cs__req_restart(victim, s->ctx.keep_prompt_on_restart);
      cs__rqueue_push(s->waiting, victim);
      cs__sim_note_preemption(s->ctx.sim, s->ctx.replica_id, victim);
      preempted = true;
      if (victim == r) {
        stop = true;
        break;
      }
    }
    if (stop) break;
    s->sched_r[ns] = r;
    s->sched_n[ns++] = n;
    budget -= n;
  }
  /* 2. new requests, only if nothing was preempted in this step */
  while (!preempted && budget > 0 && cs__rqueue_size(s->waiting) > 0) {
    if (s->nrunning >= s->cap) break;
    cs__request *h = cs__rqueue_peek(s->waiting);
    ensure_comp(s, h->num_prefill / s->ctx.block_size + 1);
    int32_t nc = cs__kv_computed_blocks(&s->kv, h, s->comp);
    int32_t c = nc * s->ctx.block_size;
    bool received = h->num_processed > c; /* prompt KV received from a prefill pool (disaggregation) */
    if (received) {
      c = h->num_processed;
      nc = 0;
    }
    int32_t n = h->num_prefill - c;
    if (n == 0 && !received) { /* full hit on a block-aligned prompt: recompute the last block */
      c -= s->ctx.block_size;
      n = s->ctx.block_size;
      nc--;
    }
    if (n > budget) n = budget;
    if (!cs__kv_allocate(&s->kv, h, n, s->comp, nc)) break; /* head-of-line blocking */
    if (s->kv.caching) {
      s->kv.query_tokens += h->num_prefill;
      s->kv.hit_tokens += c;
    }
    cs__rqueue_pop(s->waiting);
    s->running[s->nrunning++] = h;
    s->sched_r[ns] = h;
    s->sched_n[ns++] = n;
    budget -= n;
    if (!received) cs__req_on_cache_hit(h, c);
  }
  if (!ns) return NULL;
  cs__batch *b = cs__batch_new(s->ctx.sim, s->ctx.replica_id, ns);
  /* cs__batch_add's work with the token sums in registers (whole numbers: any order) */
  int64_t prefill_tokens = 0, decode_tokens = 0;
  for (int32_t i = 0; i < ns; i++) {
    cs__request *r = s->sched_r[i];
    int32_t n = s->sched_n[i];
    bool pre = !r->is_prefill_complete;
    b->requests[i] = r;
    b->num_tokens[i] = n;
    b->was_prefill[i] = pre;
    if (pre)
      prefill_tokens += n;
    else
      decode_tokens += n;
    ((v1_req *)r->sched_priv)->flight = s->epoch;
  }
  b->n = ns;
  b->num_prefill_tokens = prefill_tokens;
  b->num_decode_tokens = decode_tokens;
  b->total_tokens = prefill_tokens + decode_tokens;
  s->running_batches++;
  return b;
}

static void v1_on_batch_end(void *state, cs__batch *b) {
  v1_state *s = state;
  bool done = false;
  if (--s->running_batches == 0) { /* the last batch in flight: unmark all at once */
    s->epoch++;
    for (int32_t i = 0; i < b->n; i++) done |= b->requests[i]->completed;
  } else {
    for (int32_t i = 0; i < b->n; i++) {
      ((v1_req *)b->requests[i]->sched_priv)->flight = 0;
      done |= b->requests[i]->completed;
    }
  }
  if (!done) return; /* requests complete only at the end of a batch they are in */
  int32_t k = 0;
  for (int32_t i = 0; i < s->nrunning; i++) {
    cs__request *r = s->running[i];
    if (r->completed) {
      cs__kv_free(&s->kv, r);
      continue;
    }
    s->running[k++] = r;
  }
  s->nrunning = k;
}

static bool v1_is_empty(const void *state) {
  const v1_state *s = state;
  return s->nrunning == 0 && cs__rqueue_size(s->waiting) == 0;
}

static double v1_memory(const void *state) { return cs__kv_usage_percent(&((const v1_state *)state)->kv); }

static int32_t v1_cached_prefill_length(void *state, const cs__prefix_query *q) {
  v1_state *s = state;
  return cs__kv_query_blocks(&s->kv, q) * s->ctx.block_size;
}
static void v1_prefetch_prefix(const void *state, const cs__prefix_query *q) {
  cs__kv_query_prefetch(&((const v1_state *)state)->kv, q);
}

static int64_t v1_num_waiting(const void *state) { return (int64_t)cs__rqueue_size(((const v1_state *)state)->waiting); }
static int64_t v1_num_running_batches(const void *state) { return ((const v1_state *)state)->running_batches; }

const cs__replica_sched_ops cs__rsched_vllm_v1 = {
    .info = {.name = "vllm_v1",
             .summary = "vLLM V1: chunked prefill under one token budget, prefix caching, preemption by recomputation",
             .params = v1_specs,
             .nparams = CS__NELEMS(v1_specs),
             .params_size = sizeof(v1_params),
             .flags = CS_RSCHED_CHUNKED_PREFILL | CS_RSCHED_RESUMES_KV | CS_RSCHED_V1_KV_SIZING},
    .state_size = sizeof(v1_state),
    .init = v1_init,
    .add_request = v1_add_request,
    .next_batch = v1_next_batch,
    .on_batch_end = v1_on_batch_end,
    .is_empty = v1_is_empty,
    .memory_usage_percent = v1_memory,
    .cached_prefill_length = v1_cached_prefill_length,
    .prefetch_prefix = v1_prefetch_prefix,
    .num_waiting = v1_num_waiting,
    .num_running_batches = v1_num_running_batches,
};
