/* Least-loaded routers (vidur-semantics.md §3.3, §3.4, §3.8, §3.9; V1 semantics). Each keeps a
 * persistent load counter per replica and sends a request to `rng.choice` of the replicas with
 * the least load (Python Random(67) tie-breaks); they differ only in what a request weighs and
 * when its weight is taken back:
 *  - `lor`: outstanding requests: +1 when routed, -1 at REQUEST_END.
 *  - `lop`: outstanding prefill tokens: +P when routed, -P at PREFILL_END (P read again then,
 *    as Vidur does).
 *  - `sticky_lor` (Vidur V1) and `sticky_lop` (a capsearch extension: listed in Vidur's docs
 *    but not implemented there): session affinity; a new session's replica is chosen as the
 *    plain router would and remembered; every routed request adds its weight to its replica.
 *    A request without a session id is a session of its own. */
#include <stdbool.h>
#include <stdint.h>

#include "sched/router_util.h"
#include "sched/policy.h"

typedef struct least_state {
  int32_t num_replicas;
  int64_t *load; /* outstanding requests (lor) or prefill tokens (lop) per replica */
  int32_t *scratch;
  cs__mt rng;
  bool by_tokens; /* lop: weigh a request by its prompt; lor: by 1 */
  bool sticky;
  cs__rt_smap sessions;
} least_state;

static int least_init(least_state *s, const cs__router_ctx *ctx, const char *name, bool by_tokens, bool sticky,
                      cs_err *err) {
  if (ctx->num_replicas < 1)
    return cs_err_set(err, CS_EINVAL, "%s: num_replicas must be >= 1 (got %d)", name, (int)ctx->num_replicas);
  s->num_replicas = ctx->num_replicas;
  s->load = cs__sim_alloc(ctx->sim, (size_t)ctx->num_replicas * sizeof *s->load);
  s->scratch = cs__sim_alloc(ctx->sim, (size_t)ctx->num_replicas * sizeof *s->scratch);
  cs__mt_seed(&s->rng, ctx->seed);
  s->by_tokens = by_tokens;
  s->sticky = sticky;
  if (sticky) cs__rt_smap_init(&s->sessions, ctx->sim);
  return 0;
}

static int lor_init(void *state, const cs__router_ctx *ctx, cs_err *err) {
  return least_init(state, ctx, "lor", false, false, err);
}
static int sticky_lor_init(void *state, const cs__router_ctx *ctx, cs_err *err) {
  return least_init(state, ctx, "sticky_lor", false, true, err);
}
static int lop_init(void *state, const cs__router_ctx *ctx, cs_err *err) {
  return least_init(state, ctx, "lop", true, false, err);
}
static int sticky_lop_init(void *state, const cs__router_ctx *ctx, cs_err *err) {
  return least_init(state, ctx, "sticky_lop", true, true, err);
}

static int64_t weight(const least_state *s, const cs__request *r) { return s->by_tokens ? r->num_prefill : 1; }

static int32_t least_route(void *state, cs__request *r) {
  least_state *s = state;
  int32_t pick = s->sticky ? cs__rt_smap_get(&s->sessions, r->session_id) : -1;
  if (pick < 0) {
    pick = cs__rt_choice_min_i64(&s->rng, s->load, s->num_replicas, s->scratch);
    if (s->sticky) cs__rt_smap_put(&s->sessions, r->session_id, pick);
  }
  s->load[pick] += weight(s, r);
  return pick;
}

/* lop family: the prompt is prefilled; lor family: the request is done. */
static void least_release(void *state, cs__request *r) {
  least_state *s = state;
  if (r->replica_id >= 0 && r->replica_id < s->num_replicas) s->load[r->replica_id] -= weight(s, r);
}

const cs__global_sched_ops cs__gsched_lor = {
    .info = {.name = "lor",
             .summary = "least outstanding requests (routed minus completed), random tie-break (Vidur V1 lor)",
             .params = NULL,
             .nparams = 0},
    .state_size = sizeof(least_state),
    .init = lor_init,
    .route = least_route,
    .on_request_end = least_release,
};

const cs__global_sched_ops cs__gsched_sticky_lor = {
    .info = {.name = "sticky_lor",
             .summary = "session affinity; a new session goes to the least-outstanding-requests replica (Vidur V1)",
             .params = NULL,
             .nparams = 0},
    .state_size = sizeof(least_state),
    .init = sticky_lor_init,
    .route = least_route,
    .on_request_end = least_release,
};

const cs__global_sched_ops cs__gsched_lop = {
    .info = {.name = "lop",
             .summary = "least outstanding prefill tokens, random tie-break (Vidur V1 lop)",
             .params = NULL,
             .nparams = 0},
    .state_size = sizeof(least_state),
    .init = lop_init,
    .route = least_route,
    .on_prefill_end = least_release,
};

const cs__global_sched_ops cs__gsched_sticky_lop = {
    .info = {.name = "sticky_lop",
             .summary = "session affinity; new sessions by least outstanding prefill tokens (capsearch extension)",
             .params = NULL,
             .nparams = 0},
    .state_size = sizeof(least_state),
    .init = sticky_lop_init,
    .route = least_route,
    .on_prefill_end = least_release,
};
