/* Least-outstanding-prefill routers (vidur-semantics.md §3.4, §3.9; V1 semantics):
 *  - `lop`: a persistent count of pending prefill tokens per replica, += P when a request is
 *    routed there, -= P at its PREFILL_END (P read again then, as Vidur does); each request goes
 *    to `rng.choice` of the replicas with the least pending prefill (Python Random(67) ties).
 *  - `sticky_lop` (a capsearch extension: listed in Vidur's docs but not implemented there):
 *    session affinity; a new session's replica is chosen as `lop` would and remembered; every
 *    routed request adds its prompt to its replica's pending count. A request without a session
 *    id is a session of its own. */
#include <stdint.h>

#include "sched/router_util.h"
#include "sim/types.h"

typedef struct lop_state {
  int32_t num_replicas;
  int64_t *pending; /* prefill tokens routed but not yet prefilled, per replica */
  int32_t *scratch;
  cs__mt rng;
  cs__rt_smap sessions; /* sticky_lop only */
} lop_state;

static int lop_init_common(lop_state *s, const cs__router_ctx *ctx, const char *name, cs_err *err) {
  if (ctx->num_replicas < 1)
    return cs_err_set(err, CS_EINVAL, "%s: num_replicas must be >= 1 (got %d)", name, (int)ctx->num_replicas);
  s->num_replicas = ctx->num_replicas;
  s->pending = cs__sim_alloc(ctx->sim, (size_t)ctx->num_replicas * sizeof *s->pending);
  s->scratch = cs__sim_alloc(ctx->sim, (size_t)ctx->num_replicas * sizeof *s->scratch);
  cs__mt_seed(&s->rng, ctx->seed);
  return 0;
}

static int lop_init(void *state, const cs__router_ctx *ctx, cs_err *err) {
  return lop_init_common(state, ctx, "lop", err);
}

static int sticky_lop_init(void *state, const cs__router_ctx *ctx, cs_err *err) {
  lop_state *s = state;
  int rc = lop_init_common(s, ctx, "sticky_lop", err);
  if (rc) return rc;
  cs__rt_smap_init(&s->sessions, ctx->sim);
  return 0;
}

static int32_t lop_route(void *state, cs__request *r) {
  lop_state *s = state;
  int32_t pick = cs__rt_choice_min_i64(&s->rng, s->pending, s->num_replicas, s->scratch);
  s->pending[pick] += r->num_prefill;
  return pick;
}

static int32_t sticky_lop_route(void *state, cs__request *r) {
  lop_state *s = state;
  int32_t pick = cs__rt_smap_get(&s->sessions, r->session_id);
  if (pick < 0) {
    pick = cs__rt_choice_min_i64(&s->rng, s->pending, s->num_replicas, s->scratch);
    cs__rt_smap_put(&s->sessions, r->session_id, pick);
  }
  s->pending[pick] += r->num_prefill;
  return pick;
}

static void lop_on_prefill_end(void *state, cs__request *r) {
  lop_state *s = state;
  if (r->replica_id >= 0 && r->replica_id < s->num_replicas) s->pending[r->replica_id] -= r->num_prefill;
}

const cs__global_sched_ops cs__gsched_lop = {
    .info = {.name = "lop",
             .summary = "least outstanding prefill tokens, random tie-break (Vidur V1 lop)",
             .params = NULL,
             .nparams = 0},
    .state_size = sizeof(lop_state),
    .init = lop_init,
    .route = lop_route,
    .on_prefill_end = lop_on_prefill_end,
};

const cs__global_sched_ops cs__gsched_sticky_lop = {
    .info = {.name = "sticky_lop",
             .summary = "session affinity; new sessions by least outstanding prefill tokens (capsearch extension)",
             .params = NULL,
             .nparams = 0},
    .state_size = sizeof(lop_state),
    .init = sticky_lop_init,
    .route = sticky_lop_route,
    .on_prefill_end = lop_on_prefill_end,
};
