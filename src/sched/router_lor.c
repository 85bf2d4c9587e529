/* Least-outstanding-requests routers (vidur-semantics.md §3.3, §3.8; V1 semantics):
 *  - `lor`: a persistent counter per replica, +1 when a request is routed there, -1 at its
 *    REQUEST_END; each request goes to `rng.choice` of the replicas with the smallest counter
 *    (rng = Python Random(router seed 67), tied ids ascending).
 *  - `sticky_lor`: session affinity; a new session's replica is chosen as `lor` would and
 *    remembered; every routed request (new or known session) bumps the counter.
 * A request without a session id is treated as a session of its own (routed like a new session,
 * nothing remembered): Vidur asserts instead. */
#include <stdint.h>

#include "sched/router_util.h"
#include "sim/types.h"

typedef struct lor_state {
  int32_t num_replicas;
  int64_t *pending; /* outstanding (routed, not yet completed) requests per replica */
  int32_t *scratch;
  cs__mt rng;
  cs__rt_smap sessions; /* sticky_lor only */
} lor_state;

static int lor_init_common(lor_state *s, const cs__router_ctx *ctx, const char *name, cs_err *err) {
  if (ctx->num_replicas < 1)
    return cs_err_set(err, CS_EINVAL, "%s: num_replicas must be >= 1 (got %d)", name, (int)ctx->num_replicas);
  s->num_replicas = ctx->num_replicas;
  s->pending = cs__sim_alloc(ctx->sim, (size_t)ctx->num_replicas * sizeof *s->pending);
  s->scratch = cs__sim_alloc(ctx->sim, (size_t)ctx->num_replicas * sizeof *s->scratch);
  cs__mt_seed(&s->rng, ctx->seed);
  return 0;
}

static int lor_init(void *state, const cs__router_ctx *ctx, cs_err *err) {
  return lor_init_common(state, ctx, "lor", err);
}

static int sticky_lor_init(void *state, const cs__router_ctx *ctx, cs_err *err) {
  lor_state *s = state;
  int rc = lor_init_common(s, ctx, "sticky_lor", err);
  if (rc) return rc;
  cs__rt_smap_init(&s->sessions, ctx->sim);
  return 0;
}

static int32_t lor_pick(lor_state *s) {
  return cs__rt_choice_min_i64(&s->rng, s->pending, s->num_replicas, s->scratch);
}

static int32_t lor_route(void *state, cs__request *r) {
  (void)r;
  lor_state *s = state;
  int32_t pick = lor_pick(s);
  s->pending[pick]++;
  return pick;
}

static int32_t sticky_lor_route(void *state, cs__request *r) {
  lor_state *s = state;
  int32_t pick = cs__rt_smap_get(&s->sessions, r->session_id);
  if (pick < 0) {
    pick = lor_pick(s);
    cs__rt_smap_put(&s->sessions, r->session_id, pick);
  }
  s->pending[pick]++;
  return pick;
}

static void lor_on_request_end(void *state, cs__request *r) {
  lor_state *s = state;
  if (r->replica_id >= 0 && r->replica_id < s->num_replicas) s->pending[r->replica_id]--;
}

const cs__global_sched_ops cs__gsched_lor = {
    .info = {.name = "lor",
             .summary = "least outstanding requests (routed minus completed), random tie-break (Vidur V1 lor)",
             .params = NULL,
             .nparams = 0},
    .state_size = sizeof(lor_state),
    .init = lor_init,
    .route = lor_route,
    .on_request_end = lor_on_request_end,
};

const cs__global_sched_ops cs__gsched_sticky_lor = {
    .info = {.name = "sticky_lor",
             .summary = "session affinity; a new session goes to the least-outstanding-requests replica (Vidur V1)",
             .params = NULL,
             .nparams = 0},
    .state_size = sizeof(lor_state),
    .init = sticky_lor_init,
    .route = sticky_lor_route,
    .on_request_end = lor_on_request_end,
};
