/* Global scheduler `round_robin` (vidur-semantics.md §3.1): a per-router counter c starting at 0;
 * each routed request goes to replica c mod R, then c += 1. Stateless otherwise: completions do
 * not feed back. */
#include <stdint.h>

#include "sim/types.h"

typedef struct rr_state {
  int32_t num_replicas;
  int64_t counter;
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
