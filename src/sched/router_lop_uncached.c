/* Prefix-cache-aware least-outstanding-prefill routers (vidur-semantics.md §3.5-§3.7, V1):
 *  - `lop_uncached`: uncached(req, r) = P - cached_prefill_length(req on r), queried from every
 *    replica's scheduler at routing time and memoised (Vidur memoises per (request, replica); all
 *    queries of a request happen in its routing call, so keeping the routed replica's value is
 *    enough). imbalance(c) = max - min over replicas x of pending[x] + (x == c ? uncached(c) : 0);
 *    the request goes to `rng.choice` of the minimum-imbalance replicas; pending += uncached;
 *    at PREFILL_END pending -= P(now) - memoised cached length (exactly Vidur's arithmetic).
 *  - `tolerant_sticky_lop_uncached(tolerance_factor)`: session affinity while the session's replica
 *    stays within the slack imbalance(sticky) <= tolerance_factor * min imbalance; otherwise (and
 *    for new sessions) re-pick as lop_uncached and remember.
 *  - `ranked_sticky_lop_uncached(top_k)`: keep the session's replica iff it is among the top_k
 *    replicas sorted by (imbalance, rng.random()); one random() per replica in id order each
 *    time a known session is tested; otherwise re-pick as lop_uncached and remember.
 * A request without a session id is a session of its own (Vidur asserts a session id). */
#include <stdint.h>

#include "capsearch/params.h"
#include "sched/router_util.h"
#include "sched/policy.h"

enum { LU_PLAIN, LU_TOLERANT, LU_RANKED };

typedef struct lu_state {
  cs__sim *sim;
  int kind;
  int32_t num_replicas;
  double tolerance_factor;
  int64_t top_k;
  int64_t *pending; /* uncached prefill tokens routed but not yet prefilled, per replica */
  int64_t *uncached;/* uncached(req, x) of the request being routed */
  int32_t *cached;  /* cached_prefill_length(req on x) of the request being routed */
  cs__prefix_query query; /* the request being routed, as the replicas' prefix caches are asked */
  int32_t block_size;     /* the replicas' block size (replica 0's; another answers from r) */
  int64_t *imb;
  double *rnd;
  int32_t *scratch;
  cs__mt rng;
  cs__rt_smap sessions;
  cs__rt_itab memo; /* request id -> cached length on the replica it was routed to */
} lu_state;

/* The parameters of the sticky variants (each declares the one it takes). */
typedef struct lu_params {
  double tolerance_factor;
  int64_t top_k;
} lu_params;

static const cs_param_spec tolerant_specs[] = {
    {CS_PARAM_FIELD(lu_params, tolerance_factor), .type = CS_OPT_NUM, .def = 2.0, .range = {.min = 0, .max = 1e6},
     .required = true, .flags = CS_PARAM_KEY,
     .help = "keep a session's replica while its load imbalance <= tolerance_factor x the minimum"},
};
static const cs_param_spec ranked_specs[] = {
    {CS_PARAM_FIELD(lu_params, top_k), .type = CS_OPT_INT, .def = 2,
     .range = {.min = 1, .max = 1 << 20}, .required = true,
     .flags = CS_PARAM_KEY, .help = "keep a session's replica while it ranks among the top_k least-imbalanced replicas"},
};

static int lu_init_kind(lu_state *s, const cs__router_ctx *ctx, int kind, const char *name, cs_err *err) {
  if (ctx->num_replicas < 1)
    return cs_err_set(err, CS_EINVAL, "%s: num_replicas must be >= 1 (got %d)", name, (int)ctx->num_replicas);
  size_t n = (size_t)ctx->num_replicas;
  s->sim = ctx->sim;
  s->kind = kind;
  s->num_replicas = ctx->num_replicas;
  s->pending = cs__sim_alloc(ctx->sim, n * sizeof *s->pending);
  s->uncached = cs__sim_alloc(ctx->sim, n * sizeof *s->uncached);
  s->cached = cs__sim_alloc(ctx->sim, n * sizeof *s->cached);
  s->imb = cs__sim_alloc(ctx->sim, n * sizeof *s->imb);
  s->rnd = cs__sim_alloc(ctx->sim, n * sizeof *s->rnd);
  s->scratch = cs__sim_alloc(ctx->sim, n * sizeof *s->scratch);
  cs__mt_seed(&s->rng, ctx->seed);
  cs__rt_smap_init(&s->sessions, ctx->sim);
  cs__rt_itab_init(&s->memo, ctx->sim, INT32_MIN);
  cs__prefix_query_init(&s->query, ctx->sim);
  s->block_size = cs__sim_replica_ctx(ctx->sim, 0)->block_size;
  lu_params p = {0};
  int rc = 0;
  if (kind == LU_TOLERANT)
    rc = cs_params_bind(tolerant_specs, 1, ctx->params, &p, name, "global scheduler", err);
  else if (kind == LU_RANKED)
    rc = cs_params_bind(ranked_specs, 1, ctx->params, &p, name, "global scheduler", err);
  s->tolerance_factor = p.tolerance_factor;
  s->top_k = p.top_k;
  return rc;
}

static int lu_init(void *state, const cs__router_ctx *ctx, cs_err *err) {
  return lu_init_kind(state, ctx, LU_PLAIN, "lop_uncached", err);
}
static int tolerant_init(void *state, const cs__router_ctx *ctx, cs_err *err) {
  return lu_init_kind(state, ctx, LU_TOLERANT, "tolerant_sticky_lop_uncached", err);
}
static int ranked_init(void *state, const cs__router_ctx *ctx, cs_err *err) {
  return lu_init_kind(state, ctx, LU_RANKED, "ranked_sticky_lop_uncached", err);
}

/* Queries every replica's cached prefix for r (its hash runs split once for all of them) and
 * fills uncached[] and the imbalance map. */
static void lu_imbalance_map(lu_state *s, const cs__request *r) {
  cs__prefix_query_prepare(&s->query, r, s->block_size);
  cs__sim_cached_prefill_lengths(s->sim, &s->query, s->cached);
  for (int32_t x = 0; x < s->num_replicas; x++) s->uncached[x] = (int64_t)r->num_prefill - s->cached[x];
  cs__rt_imbalance(s->pending, s->uncached, s->num_replicas, s->imb);
}

static bool keep_sticky(lu_state *s, int32_t sticky) {
  if (s->kind == LU_TOLERANT) {
    int64_t min = s->imb[0];
    for (int32_t x = 1; x < s->num_replicas; x++)
      if (s->imb[x] < min) min = s->imb[x];
    /* Python compares int <= float * int in double precision. */
    return (double)s->imb[sticky] <= s->tolerance_factor * (double)min;
  }
  /* ranked: sorted(replicas, key=(imbalance, random()))[:top_k] contains sticky? The sort is
   * stable, so equal keys keep id order. One random() per replica, in id order. */
  for (int32_t x = 0; x < s->num_replicas; x++) s->rnd[x] = cs__mt_random(&s->rng);
  int64_t ahead = 0;
  for (int32_t x = 0; x < s->num_replicas; x++) {
    if (x == sticky) continue;
    bool before = s->imb[x] < s->imb[sticky] ||
                  (s->imb[x] == s->imb[sticky] && (s->rnd[x] < s->rnd[sticky] ||
                                                   (s->rnd[x] == s->rnd[sticky] && x < sticky)));
    if (before) ahead++;
  }
  return ahead < s->top_k;
}

static int32_t lu_route(void *state, cs__request *r) {
  lu_state *s = state;
  lu_imbalance_map(s, r);
  int32_t pick = -1;
  if (s->kind != LU_PLAIN) {
    int32_t sticky = cs__rt_smap_get(&s->sessions, r->session_id);
    if (sticky >= 0 && sticky < s->num_replicas && keep_sticky(s, sticky)) pick = sticky;
  }
  if (pick < 0) {
    pick = cs__rt_choice_min_i64(&s->rng, s->imb, s->num_replicas, s->scratch);
    if (s->kind != LU_PLAIN) cs__rt_smap_put(&s->sessions, r->session_id, pick);
  }
  s->pending[pick] += s->uncached[pick];
  cs__rt_itab_set(&s->memo, r->id, s->cached[pick]);
  return pick;
}

static void lu_on_prefill_end(void *state, cs__request *r) {
  lu_state *s = state;
  int32_t x = r->replica_id;
  if (x < 0 || x >= s->num_replicas) return;
  int32_t cached = cs__rt_itab_get(&s->memo, r->id);
  if (cached == INT32_MIN) { /* never routed here */
    cs__prefix_query_prepare(&s->query, r, s->block_size);
    cached = cs__sim_cached_prefill_length(s->sim, x, &s->query);
  }
  s->pending[x] -= (int64_t)r->num_prefill - cached;
}

const cs__global_sched_ops cs__gsched_lop_uncached = {
    .info = {.name = "lop_uncached",
             .summary = "least load imbalance of uncached (prefix-cache-missing) prefill tokens (Vidur V1)",
             .params = NULL,
             .nparams = 0},
    .state_size = sizeof(lu_state),
    .init = lu_init,
    .route = lu_route,
    .on_prefill_end = lu_on_prefill_end,
};

const cs__global_sched_ops cs__gsched_tolerant_sticky_lop_uncached = {
    .info = {.name = "tolerant_sticky_lop_uncached",
             .summary = "session affinity within tolerance_factor x the least imbalance, else lop_uncached (Vidur V1)",
             .params = tolerant_specs,
             .nparams = 1,
             .params_size = sizeof(lu_params)},
    .state_size = sizeof(lu_state),
    .init = tolerant_init,
    .route = lu_route,
    .on_prefill_end = lu_on_prefill_end,
};

const cs__global_sched_ops cs__gsched_ranked_sticky_lop_uncached = {
    .info = {.name = "ranked_sticky_lop_uncached",
             .summary = "session affinity while among the top_k least-imbalanced replicas, else lop_uncached (Vidur V1)",
             .params = ranked_specs,
             .nparams = 1,
             .params_size = sizeof(lu_params)},
    .state_size = sizeof(lu_state),
    .init = ranked_init,
    .route = lu_route,
    .on_prefill_end = lu_on_prefill_end,
};
