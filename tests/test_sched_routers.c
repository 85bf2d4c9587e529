/* sched: global schedulers (routers) on hand-made replica states, vidur-semantics.md §3.
 * Expected pick sequences were produced by a Python transcription of Vidur V1's routers
 * (random.Random(67).choice tie-breaks; random.Random(42).randint for `random`), so they pin
 * both the rules and the exact consumption of the Python random streams. */
#include "cs_test.h"
#include "sched_fake_sim.h"
#include "sched/router_util.h"
#include "util/rng.h"

extern const cs__global_sched_ops cs__gsched_round_robin, cs__gsched_random, cs__gsched_lor, cs__gsched_lop,
    cs__gsched_lop_uncached, cs__gsched_sticky_round_robin, cs__gsched_sticky_lor, cs__gsched_sticky_lop,
    cs__gsched_tolerant_sticky_lop_uncached, cs__gsched_ranked_sticky_lop_uncached;

typedef struct router {
  cs__sim sim;
  const cs__global_sched_ops *ops;
  void *state;
  cs_params params;
} router;

static router *router_new(const cs__global_sched_ops *ops, int32_t R, const char *pname, double pval) {
  router *rt = calloc(1, sizeof *rt);
  fake_sim_init(&rt->sim);
  rt->sim.num_replicas = R;
  rt->ops = ops;
  if (pname) {
    rt->params.n = 1;
    rt->params.names[0] = pname;
    rt->params.values[0] = pval;
  }
  cs__router_ctx ctx = {.sim = &rt->sim, .num_replicas = R, .seed = 67, .params = &rt->params};
  rt->state = cs__sim_alloc(&rt->sim, ops->state_size);
  cs_err err = {0};
  CS_ASSERT_OK(ops->init(rt->state, &ctx, &err), &err);
  return rt;
}

static void router_free(router *rt) {
  fake_sim_release(&rt->sim);
  free(rt);
}

static int32_t route(router *rt, cs__request *r) {
  int32_t k = rt->ops->route(rt->state, r);
  r->replica_id = k; /* as the engine / replica scheduler does on acceptance */
  return k;
}

static void test_round_robin_cycles_replicas_in_order(void) {
  router *rt = router_new(&cs__gsched_round_robin, 3, NULL, 0);
  cs__request r;
  fake_req(&r, 0, 0, 10, 10);
  for (int i = 0; i < 7; i++) CS_ASSERT_INT_EQ(route(rt, &r), i % 3);
  router_free(rt);
}

static void test_random_matches_python_random_42_randint(void) {
  router *rt = router_new(&cs__gsched_random, 5, NULL, 0);
  const int want[12] = {0, 0, 2, 1, 1, 1, 0, 4, 0, 4, 3, 0}; /* Random(42).randint(0, 4) */
  cs__request r;
  fake_req(&r, 0, 0, 10, 10);
  for (int i = 0; i < 12; i++) CS_ASSERT_INT_EQ(route(rt, &r), want[i]);
  router_free(rt);
}

static void test_choice_draws_even_for_a_single_tie(void) {
  /* Python's choice calls _randbelow(1), which still consumes one 32-bit word. */
  cs__mt a, b;
  cs__mt_seed(&a, 67);
  cs__mt_seed(&b, 67);
  int64_t vals[3] = {5, 1, 5};
  int32_t scratch[3];
  CS_ASSERT_INT_EQ(cs__rt_choice_min_i64(&a, vals, 3, scratch), 1);
  cs__mt_next32(&b);
  CS_ASSERT_INT_EQ(cs__mt_next32(&a), cs__mt_next32(&b));
  /* With several ties the pick is seq[_randbelow(len)] over ascending ids. */
  int64_t tied[4] = {0, 2, 0, 0};
  cs__mt c, d;
  cs__mt_seed(&c, 67);
  cs__mt_seed(&d, 67);
  const int32_t ids[3] = {0, 2, 3};
  for (int i = 0; i < 20; i++) CS_ASSERT_INT_EQ(cs__rt_choice_min_i64(&c, tied, 4, scratch), ids[cs__mt_randbelow(&d, 3)]);
}

static void test_lor_counts_outstanding_requests_with_random_ties(void) {
  router *rt = router_new(&cs__gsched_lor, 4, NULL, 0);
  const int want[10] = {0, 1, 3, 2, 1, 2, 3, 1, 1, 0};
  cs__request rs[10];
  for (int k = 0; k < 10; k++) {
    fake_req(&rs[k], k, k, 10, 10);
    CS_ASSERT_INT_EQ(route(rt, &rs[k]), want[k]);
    if (k >= 2 && k % 3 == 0) rt->ops->on_request_end(rt->state, &rs[k - 2]);
  }
  router_free(rt);
}

static void test_lop_counts_pending_prefill_tokens(void) {
  router *rt = router_new(&cs__gsched_lop, 3, NULL, 0);
  const int32_t P[10] = {100, 50, 50, 30, 200, 10, 10, 70, 80, 5};
  const int want[10] = {0, 1, 2, 0, 1, 2, 0, 1, 2, 0};
  cs__request rs[10];
  for (int k = 0; k < 10; k++) {
    fake_req(&rs[k], k, k, P[k], 10);
    CS_ASSERT_INT_EQ(route(rt, &rs[k]), want[k]);
    if (k >= 2) rt->ops->on_prefill_end(rt->state, &rs[k - 2]);
  }
  router_free(rt);
}

static void test_imbalance_equals_quadratic_definition(void) {
  const int64_t pending[5] = {7, 3, 7, 0, 3};
  const int64_t add[5] = {0, 9, 4, 2, 100};
  int64_t imb[5];
  cs__rt_imbalance(pending, add, 5, imb);
  for (int c = 0; c < 5; c++) {
    int64_t hi = INT64_MIN, lo = INT64_MAX;
    for (int x = 0; x < 5; x++) {
      int64_t v = pending[x] + (x == c ? add[x] : 0);
      if (v > hi) hi = v;
      if (v < lo) lo = v;
    }
    CS_ASSERT_INT_EQ(imb[c], hi - lo);
  }
  int64_t one;
  cs__rt_imbalance(pending, add, 1, &one);
  CS_ASSERT_INT_EQ(one, 0);
}

/* The scenario of the Python reference: 3 replicas, cached prefix lengths by formula,
 * sessions i % 5 (every 4th request a fresh session), prefill end of request i-3 after
 * routing request i. */
static int32_t scenario_cached(const cs__request *r, int32_t replica) {
  int32_t c = (int32_t)(((r->id * 7 + replica * 3) % 5) * 16);
  return c < r->num_prefill ? c : r->num_prefill;
}

static void run_scenario(const cs__global_sched_ops *ops, const char *pname, double pval, const int *want) {
  router *rt = router_new(ops, 3, pname, pval);
  rt->sim.cached = scenario_cached;
  cs__request rs[24];
  for (int i = 0; i < 24; i++) {
    fake_req(&rs[i], i, i, 20 + (i * 37) % 90, 5);
    rs[i].session_id = i % 4 ? i % 5 : 100 + i;
    int32_t got = route(rt, &rs[i]);
    if (got != want[i]) CS__FAIL_MSG("%s: request %d routed to %d, Vidur picks %d", ops->info.name, i, got, want[i]);
    if (i >= 3) rt->ops->on_prefill_end(rt->state, &rs[i - 3]);
  }
  router_free(rt);
  CU_PASS("scenario");
}

static void test_lop_uncached_minimises_imbalance_of_uncached_tokens(void) {
  const int want[24] = {1, 2, 0, 2, 2, 1, 0, 1, 2, 2, 0, 1, 0, 2, 2, 1, 0, 1, 2, 2, 0, 1, 2, 2};
  run_scenario(&cs__gsched_lop_uncached, NULL, 0, want);
}

static void test_tolerant_sticky_keeps_session_within_tolerance(void) {
  const int want[24] = {1, 2, 0, 2, 2, 1, 2, 0, 2, 1, 1, 2, 0, 2, 1, 2, 0, 0, 2, 1, 2, 0, 2, 1};
  run_scenario(&cs__gsched_tolerant_sticky_lop_uncached, "tolerance_factor", 1.5, want);
}

static void test_ranked_sticky_keeps_session_in_top_k_drawing_per_replica(void) {
  const int want[24] = {1, 2, 0, 2, 2, 1, 2, 0, 1, 2, 1, 2, 0, 2, 2, 1, 0, 0, 2, 2, 1, 0, 0, 2};
  run_scenario(&cs__gsched_ranked_sticky_lop_uncached, "top_k", 2, want);
}

static void test_sticky_round_robin_round_robins_sessions_not_requests(void) {
  router *rt = router_new(&cs__gsched_sticky_round_robin, 3, NULL, 0);
  const int64_t sess[8] = {10, 11, 10, 10, 12, 13, 11, 12};
  const int want[8] = {0, 1, 0, 0, 2, 0, 1, 2};
  cs__request r;
  for (int i = 0; i < 8; i++) {
    fake_req(&r, i, i, 10, 10);
    r.session_id = sess[i];
    CS_ASSERT_INT_EQ(route(rt, &r), want[i]);
  }
  /* a request without a session is a session of its own: it takes the next slot */
  fake_req(&r, 9, 9, 10, 10);
  CS_ASSERT_INT_EQ(route(rt, &r), 1);
  fake_req(&r, 10, 10, 10, 10);
  CS_ASSERT_INT_EQ(route(rt, &r), 2);
  router_free(rt);
}

static void test_sticky_lor_and_sticky_lop_follow_sessions(void) {
  const cs__global_sched_ops *ops[2] = {&cs__gsched_sticky_lor, &cs__gsched_sticky_lop};
  for (int o = 0; o < 2; o++) {
    router *rt = router_new(ops[o], 4, NULL, 0);
    cs__request rs[64];
    int32_t where[8];
    for (int s = 0; s < 8; s++) where[s] = -1;
    for (int i = 0; i < 64; i++) {
      fake_req(&rs[i], i, i, 10 + i, 10);
      rs[i].session_id = 1000 + (i * 5) % 8;
      int32_t k = route(rt, &rs[i]);
      int s = (i * 5) % 8;
      if (where[s] < 0) where[s] = k;
      if (k != where[s]) CS__FAIL_MSG("%s: session %d moved from %d to %d", ops[o]->info.name, s, where[s], k);
      if (i >= 2) {
        if (rt->ops->on_request_end) rt->ops->on_request_end(rt->state, &rs[i - 2]);
        if (rt->ops->on_prefill_end) rt->ops->on_prefill_end(rt->state, &rs[i - 2]);
      }
    }
    /* the first four sessions arrive on an empty-ish cluster: by load they spread out */
    CS_ASSERT_TRUE(where[0] != where[5] && where[2] != where[7]);
    router_free(rt);
  }
}

static void test_sticky_lor_new_session_goes_to_least_loaded(void) {
  router *rt = router_new(&cs__gsched_sticky_lor, 3, NULL, 0);
  cs__request rs[8];
  /* session 1 three times on one replica, then a new session must avoid that replica */
  for (int i = 0; i < 3; i++) {
    fake_req(&rs[i], i, i, 10, 10);
    rs[i].session_id = 1;
  }
  int32_t k0 = route(rt, &rs[0]);
  CS_ASSERT_INT_EQ(route(rt, &rs[1]), k0);
  CS_ASSERT_INT_EQ(route(rt, &rs[2]), k0);
  fake_req(&rs[3], 3, 3, 10, 10);
  rs[3].session_id = 2;
  CS_ASSERT_INT_NE(route(rt, &rs[3]), k0);
  router_free(rt);
}

static void test_session_map_survives_growth(void) {
  cs__sim sim;
  fake_sim_init(&sim);
  cs__rt_smap m;
  cs__rt_smap_init(&m, &sim);
  for (int64_t s = 0; s < 5000; s++) cs__rt_smap_put(&m, s * 1000003, (int32_t)(s % 7));
  int bad = 0;
  for (int64_t s = 0; s < 5000; s++) bad += cs__rt_smap_get(&m, s * 1000003) != (int32_t)(s % 7);
  CS_ASSERT_INT_EQ(bad, 0);
  CS_ASSERT_INT_EQ(cs__rt_smap_get(&m, 12345), -1);
  CS_ASSERT_INT_EQ(cs__rt_smap_get(&m, -1), -1);
  fake_sim_release(&sim);
}

static void test_required_parameters_are_enforced(void) {
  cs__sim sim;
  fake_sim_init(&sim);
  cs_params none = {0};
  cs__router_ctx ctx = {.sim = &sim, .num_replicas = 2, .seed = 67, .params = &none};
  void *st = cs__sim_alloc(&sim, cs__gsched_ranked_sticky_lop_uncached.state_size);
  cs_err err = {0};
  CS_ASSERT_TRUE(cs__gsched_ranked_sticky_lop_uncached.init(st, &ctx, &err) < 0);
  CS_ASSERT_STR_CONTAINS(err.msg, "top_k");
  st = cs__sim_alloc(&sim, cs__gsched_tolerant_sticky_lop_uncached.state_size);
  CS_ASSERT_TRUE(cs__gsched_tolerant_sticky_lop_uncached.init(st, &ctx, &err) < 0);
  CS_ASSERT_STR_CONTAINS(err.msg, "tolerance_factor");
  fake_sim_release(&sim);
}

int main(void) {
  static const cs_test_case cases[] = {
      {"test_round_robin_cycles_replicas_in_order", test_round_robin_cycles_replicas_in_order},
      {"test_random_matches_python_random_42_randint", test_random_matches_python_random_42_randint},
      {"test_choice_draws_even_for_a_single_tie", test_choice_draws_even_for_a_single_tie},
      {"test_lor_counts_outstanding_requests_with_random_ties", test_lor_counts_outstanding_requests_with_random_ties},
      {"test_lop_counts_pending_prefill_tokens", test_lop_counts_pending_prefill_tokens},
      {"test_imbalance_equals_quadratic_definition", test_imbalance_equals_quadratic_definition},
      {"test_lop_uncached_minimises_imbalance_of_uncached_tokens", test_lop_uncached_minimises_imbalance_of_uncached_tokens},
      {"test_tolerant_sticky_keeps_session_within_tolerance", test_tolerant_sticky_keeps_session_within_tolerance},
      {"test_ranked_sticky_keeps_session_in_top_k_drawing_per_replica",
       test_ranked_sticky_keeps_session_in_top_k_drawing_per_replica},
      {"test_sticky_round_robin_round_robins_sessions_not_requests",
       test_sticky_round_robin_round_robins_sessions_not_requests},
      {"test_sticky_lor_and_sticky_lop_follow_sessions", test_sticky_lor_and_sticky_lop_follow_sessions},
      {"test_sticky_lor_new_session_goes_to_least_loaded", test_sticky_lor_new_session_goes_to_least_loaded},
      {"test_session_map_survives_growth", test_session_map_survives_growth},
      {"test_required_parameters_are_enforced", test_required_parameters_are_enforced},
      {NULL, NULL},
  };
  return cs_test_run("sched_routers", cases);
}
