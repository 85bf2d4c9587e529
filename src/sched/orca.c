/* Replica scheduler `orca` (vidur-semantics.md §4.3, Vidur V0): iteration-level batching with a
 * worst-case reservation. A request is admitted only if max_tokens / block_size blocks (a whole
 * maximum-length sequence) are free, takes them all at once and holds them until it completes,
 * so there is never a preemption. Each step: every running request first (from the front, up to
 * max_batch_size) with one token, then waiting requests with their whole prompt while the batch
 * has room and a worst-case reservation fits. No token limit. max_batch_size = min(the memory
 * planner's batch size, batch_size_cap); it is not divided by the pipeline stages. */
#include <stdint.h>

#include "capsearch/params.h"
#include "sched/sched_params.h"
#include "sched/v0_blocks.h"

typedef struct orca_state {
  cs__v0 v0; /* first: the shared ops cast the state to cs__v0 */
  int64_t max_batch_size;
} orca_state;

typedef struct orca_params {
  int64_t batch_size_cap;
} orca_params;

static const cs_param_spec orca_specs[] = {CS__PARAM_BATCH_SIZE_CAP(orca_params)};

/* Shared with faster_transformer: max_batch_size = min(memory-derived, cap). */
static int64_t orca_max_batch(const cs__v0 *v, const cs__replica_ctx *ctx) {
  int64_t m = ctx->max_batch_size > 0 ? ctx->max_batch_size : v->batch_size_cap;
  return m < v->batch_size_cap ? m : v->batch_size_cap;
}

static int orca_init(void *state, const cs__replica_ctx *ctx, cs_err *err) {
  orca_state *s = state;
  orca_params p;
  int rc = cs_params_bind(orca_specs, CS__NELEMS(orca_specs), ctx->params, &p, "orca", "replica scheduler", err);
  if (!rc) rc = cs__v0_init(&s->v0, ctx, p.batch_size_cap, false, "orca", err);
  if (!rc) rc = cs__v0_require_fcfs(&s->v0, "orca", err);
  if (rc) return rc;
  s->max_batch_size = orca_max_batch(&s->v0, ctx);
  if (s->v0.max_blocks_per_seq < 1)
    return cs_err_set(err, CS_ECONFIG, "orca: max_tokens %lld is shorter than one KV block", (long long)ctx->max_tokens);
  return 0;
}

static cs__batch *orca_next_batch(void *state, double now) {
  (void)now;
  orca_state *s = state;
  cs__v0 *v = &s->v0;
  cs__v0_bb_reset(v);
  while (cs__v0_list_len(&v->running)) {
    if (v->bb_n == s->max_batch_size) break;
    cs__request *r = cs__v0_list_pop_front(&v->running);
    cs__v0_bb_add(v, r, cs__v0_next_tokens(r));
  }
  while (cs__v0_waiting_peek(v)) {
    if (v->bb_n == s->max_batch_size) break;
    if (!cs__v0_can_allocate(v, v->max_blocks_per_seq)) break;
    cs__request *r = cs__v0_waiting_pop(v);
    cs__v0_allocate(v, r, v->max_blocks_per_seq);
    cs__v0_bb_add(v, r, cs__v0_next_tokens(r));
  }
  return cs__v0_bb_emit(v);
}

const cs__replica_sched_ops cs__rsched_orca = {
    .info = {.name = "orca",
             .summary = "Orca: iteration-level batching, worst-case (max_tokens) KV reservation per request (Vidur V0)",
             .params = orca_specs,
             .nparams = CS__NELEMS(orca_specs),
             .params_size = sizeof(orca_params)},
    .state_size = sizeof(orca_state),
    .init = orca_init,
    .add_request = cs__v0_add_request,
    .next_batch = orca_next_batch,
    .on_batch_end = cs__v0_on_batch_end,
    .is_empty = cs__v0_is_empty,
    .memory_usage_percent = cs__v0_memory_usage_percent,
    .num_waiting = cs__v0_num_waiting,
    .num_running_batches = cs__v0_num_running_batches,
};
