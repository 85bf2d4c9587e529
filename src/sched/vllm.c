/* Replica scheduler `vllm` (vidur-semantics.md §4.1, Vidur V0): vLLM v0 style, prefill first,
 * no chunking.
 * Each step: admit waiting requests in queue order into a *prefill-only* batch while (in this
 * order) the request can get its whole prompt's blocks above the watermark, the *padded* token
 * count (requests x longest prompt) stays <= max_tokens_in_batch, fewer than batch_size_cap
 * requests hold memory, and the micro-batch (batch_size_cap / pp) is not full. If no prefill
 * was admitted, form a decode batch from the running requests sorted by arrival, each getting
 * one more block when needed with the §4.0 victim loop (preempting the latest running requests).
 * A prompt longer than max_tokens_in_batch can never start (as in Vidur; it stays waiting). */
#include <stdint.h>

#include "capsearch/params.h"
#include "sched/sched_params.h"
#include "sched/v0_blocks.h"

typedef struct vllm_params {
  int64_t batch_size_cap, max_tokens_in_batch;
} vllm_params;

typedef struct vllm_state {
  cs__v0 v0; /* first: the shared ops cast the state to cs__v0 */
  int64_t max_tokens_in_batch;
} vllm_state;

static const cs_param_spec vllm_specs[] = {
    CS__PARAM_BATCH_SIZE_CAP(vllm_params),
    CS__PARAM_MAX_TOKENS_IN_BATCH(vllm_params, "padded token limit of a prefill batch (requests x longest prompt)"),
};

static int vllm_init(void *state, const cs__replica_ctx *ctx, cs_err *err) {
  vllm_state *s = state;
  vllm_params p;
  int rc = cs_params_bind(vllm_specs, CS__NELEMS(vllm_specs), ctx->params, &p, "vllm", "replica scheduler", err);
  if (!rc) rc = cs__v0_init(&s->v0, ctx, p.batch_size_cap, false, "vllm", err);
  if (!rc) rc = cs__v0_require_fcfs(&s->v0, "vllm", err);
  if (rc) return rc;
  s->max_tokens_in_batch = p.max_tokens_in_batch;
  return 0;
}

static cs__batch *vllm_next_batch(void *state, double now) {
  (void)now;
  vllm_state *s = state;
  cs__v0 *v = &s->v0;
  cs__v0_bb_reset(v);

  /* 1. prefill batch */
  int64_t longest = 0;
  cs__request *h;
  while ((h = cs__v0_waiting_peek(v))) {
    int64_t t = cs__v0_next_tokens(h);
    if (!cs__v0_can_allocate_request(v, h)) break;
    int64_t m = t > longest ? t : longest;
    if ((int64_t)(v->bb_n + 1) * m > s->max_tokens_in_batch) break;
    if (v->n_alloc == v->batch_size_cap) break;
    if (v->bb_n == v->max_micro_batch) break;
    cs__v0_waiting_pop(v);
    cs__v0_allocate_request(v, h);
    cs__v0_bb_add(v, h, (int32_t)t);
    longest = m;
  }
  if (v->bb_n) return cs__v0_bb_emit(v);

  /* 2. decode batch */
  cs__v0_list_sort_by_arrival(&v->running);
  while (cs__v0_list_len(&v->running)) {
    if (v->bb_n == v->max_micro_batch) break;
    cs__request *r = cs__v0_list_pop_front(&v->running);
    if (cs__v0_make_room(v, r)) cs__v0_bb_add(v, r, cs__v0_next_tokens(r));
  }
  return cs__v0_bb_emit(v);
}

const cs__replica_sched_ops cs__rsched_vllm = {
    .info = {.name = "vllm",
             .summary = "vLLM v0: whole-prompt prefill batches first, then decodes; paged KV with preemption (Vidur V0)",
             .params = vllm_specs,
             .nparams = CS__NELEMS(vllm_specs),
             .params_size = sizeof(vllm_params)},
    .state_size = sizeof(vllm_state),
    .init = vllm_init,
    .add_request = cs__v0_add_request,
    .next_batch = vllm_next_batch,
    .on_batch_end = cs__v0_on_batch_end,
    .is_empty = cs__v0_is_empty,
    .memory_usage_percent = cs__v0_memory_usage_percent,
    .num_waiting = cs__v0_num_waiting,
    .num_running_batches = cs__v0_num_running_batches,
};
