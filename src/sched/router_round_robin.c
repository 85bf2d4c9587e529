/* Global schedulers `round_robin` (vidur-semantics.md §3.1): a per-router counter c starting at
 * 0; each routed request goes to replica c mod R, then c += 1; completions do not feed back.
 * `sticky_round_robin` (§3.8): session affinity; the first request of each new session takes the
 * next replica of a round robin over sessions (a session counter), later requests of the session
 * follow it. A request without a session id counts as a new session of its own (Vidur asserts).
 */
#include <stdint.h>

#include "sched/router_util.h"
#include "sched/policy.h"

typedef struct rr_state {
  int32_t num_replicas;
  int64_t counter;
  cs__rt_smap sessions; /* sticky_round_robin only */
} rr_state;

static int rr_init(void *state, const cs__router_ctx *ctx, cs_err *err) {
  rr_state *s = state;
  if (ctx->num_replicas < 1)
    return cs_err_set(err, CS_EINVAL, "round_robin: num_replicas must be >= 1 (got %d)", (int)ctx->num_replicas);
  s->num_replicas = ctx->num_replicas;
  s->counter = 0;
  return 0;
}

static int32_t rr_route(void *state, cs__request *r) {
  (void)r;
  rr_state *s = state;
  int32_t pick = (int32_t)(s->counter % s->num_replicas);
  s->counter++;
  return pick;
}

const cs__global_sched_ops cs__gsched_round_robin = {
    .info = {.name = "round_robin",
             .summary = "replica (n mod R) for the n-th routed request (Vidur round_robin)",
             .params = NULL,
             .nparams = 0},
    .state_size = sizeof(rr_state),
    .init = rr_init,
    .route = rr_route,
};

static int sticky_rr_init(void *state, const cs__router_ctx *ctx, cs_err *err) {
  rr_state *s = state;
  if (ctx->num_replicas < 1)
    return cs_err_set(err, CS_EINVAL, "sticky_round_robin: num_replicas must be >= 1 (got %d)",
                      (int)ctx->num_replicas);
  s->num_replicas = ctx->num_replicas;
  s->counter = 0;
  cs__rt_smap_init(&s->sessions, ctx->sim);
  return 0;
}

static int32_t sticky_rr_route(void *state, cs__request *r) {
  rr_state *s = state;
  int32_t pick = cs__rt_smap_get(&s->sessions, r->session_id);
  if (pick < 0) {
    pick = (int32_t)(s->counter % s->num_replicas);
    s->counter++;
    cs__rt_smap_put(&s->sessions, r->session_id, pick);
  }
  return pick;
}

const cs__global_sched_ops cs__gsched_sticky_round_robin = {
    .info = {.name = "sticky_round_robin",
             .summary = "session affinity; new sessions assigned round robin over sessions (Vidur V1)",
             .params = NULL,
             .nparams = 0},
    .state_size = sizeof(rr_state),
    .init = sticky_rr_init,
    .route = sticky_rr_route,
};
