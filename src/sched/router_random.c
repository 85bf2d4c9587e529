/* Global scheduler `random` (vidur-semantics.md §3.2, V1): each request goes to
 * randint(0, R-1) = _randbelow(R) drawn from Python's *global* `random`, which Vidur V1 seeds
 * with the simulation seed (42 by default) through set_seeds and otherwise leaves unused (its
 * request generator draws from numpy). The stream is therefore a fresh MT19937 seeded `seed`;
 * the `seed` parameter (default 42) exposes it. The router tie-break seed (67) is not used. */
#include <stdint.h>

#include "capsearch/params.h"
#include "sched/policy.h"
#include "util/rng.h"

typedef struct rnd_state {
  int32_t num_replicas;
  cs__mt rng;
} rnd_state;

typedef struct rnd_params {
  int64_t seed;
} rnd_params;

static const cs_param_spec rnd_specs[] = {
    {CS_PARAM_FIELD(rnd_params, seed), .type = CS_OPT_INT, .def = 42, .range = {.min = 0, .max = 4294967295.0},
     .flags = CS_PARAM_KEY, .help = "seed of Python's global random (Vidur V1: the simulation seed, 42)"},
};

static int rnd_init(void *state, const cs__router_ctx *ctx, cs_err *err) {
  rnd_state *s = state;
  if (ctx->num_replicas < 1)
    return cs_err_set(err, CS_EINVAL, "random: num_replicas must be >= 1 (got %d)", (int)ctx->num_replicas);
  rnd_params p;
  int rc = cs_params_bind(rnd_specs, sizeof rnd_specs / sizeof rnd_specs[0], ctx->params, &p, "random",
                          "global scheduler", err);
  if (rc) return rc;
  s->num_replicas = ctx->num_replicas;
  cs__mt_seed(&s->rng, (uint64_t)p.seed);
  return 0;
}

static int32_t rnd_route(void *state, cs__request *r) {
  (void)r;
  rnd_state *s = state;
  return (int32_t)cs__mt_randbelow(&s->rng, (uint64_t)s->num_replicas);
}

const cs__global_sched_ops cs__gsched_random = {
    .info = {.name = "random",
             .summary = "uniformly random replica, randint(0, R-1) from Python random seeded 42 (Vidur random)",
             .params = rnd_specs,
             .nparams = sizeof rnd_specs / sizeof rnd_specs[0],
             .params_size = sizeof(rnd_params)},
    .state_size = sizeof(rnd_state),
    .init = rnd_init,
    .route = rnd_route,
};
