/* Replica scheduler `faster_transformer` (vidur-semantics.md §4.4, Vidur V0): static
 * request-level batching. A batch is formed from the waiting queue like orca's admission
 * (worst-case reservation of max_tokens / block_size blocks, up to max_batch_size requests,
 * whole prompts) and then runs as a unit: while any of its requests is unfinished, the batch is
 * re-formed from its unfinished requests (one token each) before any new batch is considered
 * (batches waiting for their next iteration are served first-in first-out).
 * Divergence from Vidur (documented): Vidur frees memory only for the requests of the final,
 * all-completed iteration, so requests that finished earlier in the batch never release their
 * reservation (its `_pending_free_map` is never filled) and the replica eventually stalls. Here
 * the whole batch's reservation is released when its last request completes, which is what
 * static batching means. */
#include <stdint.h>

#include "capsearch/params.h"
#include "sched/sched_params.h"
#include "sched/v0_blocks.h"

/* A static batch: its original members (request->sched_priv points here). */
typedef struct ft_group {
  cs__request **members;
  int32_t n;
  struct ft_group *next; /* FIFO of groups waiting for their next iteration */
} ft_group;

typedef struct ft_state {
  cs__v0 v0; /* first: the shared ops cast the state to cs__v0 */
  int64_t max_batch_size;
  ft_group *head, *tail;
  ft_group *free_groups; /* finished groups, reused (members arrays hold max_batch_size) */
  int64_t groups_alive;
} ft_state;

typedef struct ft_params {
  int64_t batch_size_cap;
} ft_params;

static const cs_param_spec ft_specs[] = {CS__PARAM_BATCH_SIZE_CAP(ft_params)};

static int ft_init(void *state, const cs__replica_ctx *ctx, cs_err *err) {
  ft_state *s = state;
  ft_params p;
  int rc = cs_params_bind(ft_specs, CS__NELEMS(ft_specs), ctx->params, &p, "faster_transformer", "replica scheduler",
                          err);
  if (!rc) rc = cs__v0_init(&s->v0, ctx, p.batch_size_cap, false, "faster_transformer", err);
  if (!rc) rc = cs__v0_require_fcfs(&s->v0, "faster_transformer", err);
  if (rc) return rc;
  int64_t m = ctx->max_batch_size > 0 ? ctx->max_batch_size : s->v0.batch_size_cap;
  s->max_batch_size = m < s->v0.batch_size_cap ? m : s->v0.batch_size_cap;
  if (s->v0.max_blocks_per_seq < 1)
    return cs_err_set(err, CS_ECONFIG, "faster_transformer: max_tokens %lld is shorter than one KV block",
                      (long long)ctx->max_tokens);
  s->head = s->tail = s->free_groups = NULL;
  return 0;
}

static cs__batch *ft_next_batch(void *state, double now) {
  (void)now;
  ft_state *s = state;
  cs__v0 *v = &s->v0;
  cs__v0_bb_reset(v);
  if (s->head) { /* the next iteration of a static batch */
    ft_group *g = s->head;
    s->head = g->next;
    if (!s->head) s->tail = NULL;
    g->next = NULL;
    for (int32_t i = 0; i < g->n; i++)
      if (!g->members[i]->completed) cs__v0_bb_add(v, g->members[i], cs__v0_next_tokens(g->members[i]));
    return cs__v0_bb_emit(v);
  }
  while (cs__v0_waiting_peek(v)) {
    if (v->bb_n == s->max_batch_size) break;
    if (!cs__v0_can_allocate(v, v->max_blocks_per_seq)) break;
    cs__request *r = cs__v0_waiting_pop(v);
    cs__v0_allocate(v, r, v->max_blocks_per_seq);
    cs__v0_bb_add(v, r, cs__v0_next_tokens(r));
  }
  if (!v->bb_n) return NULL;
  ft_group *g = s->free_groups;
  if (g) {
    s->free_groups = g->next;
  } else {
    g = cs__sim_alloc(v->sim, sizeof *g);
    g->members = cs__sim_alloc(v->sim, (size_t)s->max_batch_size * sizeof *g->members);
  }
  g->next = NULL;
  g->n = v->bb_n;
  for (int32_t i = 0; i < g->n; i++) {
    g->members[i] = v->bb_req[i];
    g->members[i]->sched_priv = g;
  }
  s->groups_alive++;
  return cs__v0_bb_emit(v);
}

static void ft_on_batch_end(void *state, cs__batch *b) {
  ft_state *s = state;
  cs__v0 *v = &s->v0;
  v->num_running_batches--;
  if (b->n == 0) return;
  ft_group *g = b->requests[0]->sched_priv;
  bool all_done = true;
  for (int32_t i = 0; i < b->n; i++)
    if (!b->requests[i]->completed) all_done = false;
  if (all_done) {
    for (int32_t i = 0; i < g->n; i++) {
      cs__v0_free(v, g->members[i]);
      g->members[i]->sched_priv = NULL;
    }
    s->groups_alive--;
    g->next = s->free_groups;
    s->free_groups = g;
    return;
  }
  if (s->tail) s->tail->next = g;
  else s->head = g;
  s->tail = g;
}

static bool ft_is_empty(const void *state) {
  const ft_state *s = state;
  return cs__v0_is_empty(state) && !s->head && s->groups_alive == 0;
}

const cs__replica_sched_ops cs__rsched_faster_transformer = {
    .info = {.name = "faster_transformer",
             .summary = "FasterTransformer: static request-level batches run to completion (Vidur V0)",
             .params = ft_specs,
             .nparams = CS__NELEMS(ft_specs),
             .params_size = sizeof(ft_params)},
    .state_size = sizeof(ft_state),
    .init = ft_init,
    .add_request = cs__v0_add_request,
    .next_batch = ft_next_batch,
    .on_batch_end = ft_on_batch_end,
    .is_empty = ft_is_empty,
    .memory_usage_percent = cs__v0_memory_usage_percent,
    .num_waiting = cs__v0_num_waiting,
    .num_running_batches = cs__v0_num_running_batches,
};
