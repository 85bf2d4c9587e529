/* Routers and V0 replica schedulers inside the real engine (policies' integration tests, on top
 * of the every-policy sweep in test_sim_invariants.c): session stickiness over a whole run,
 * round-robin balance, Vidur's restart quirk with mid-prefill victims, sarathi with the edf
 * queue, orca/faster_transformer under worst-case reservations. */
#include "cs_test.h"
#include "sim_fixture.h"
#include "sim_invariants.c"

static cs_trace *session_trace(int n, int sessions) {
  fx_row *rows = calloc((size_t)n, sizeof *rows);
  for (int i = 0; i < n; i++) {
    int32_t p = 20 + (i * 97) % 400, d = 5 + (i * 53) % 195;
    rows[i] = (fx_row){i * 0.01, p, d, 1 + i % sessions, (uint32_t)((p + d) / 16), (uint64_t)(i % sessions) * 100000};
  }
  cs_trace *t = fx_trace(rows, (size_t)n);
  t->has_sessions = true;
  free(rows);
  return t;
}

static void base(cs_sim_config *c, const cs_trace *t, const cs_predictor *p, int64_t blocks) {
  fx_config(c, t, p);
  c->num_replicas = 4;
  c->num_blocks = blocks;
  c->workload.max_seq_len = 640;
}

/* Records each completed request's (session, replica). */
typedef struct placement {
  int32_t replica_of_session[64];
  int64_t per_replica[8];
  int moved;
  int64_t done;
} placement;

static void on_end(void *ud, cs__sim *sim, const cs__request *r) {
  (void)sim;
  placement *pl = ud;
  pl->done++;
  pl->per_replica[r->replica_id]++;
  if (r->session_id < 0 || r->session_id >= 64) return;
  int32_t *slot = &pl->replica_of_session[r->session_id];
  if (*slot < 0) *slot = r->replica_id;
  else if (*slot != r->replica_id) pl->moved++;
}

static int run_placement(const cs_sim_config *c, placement *pl) {
  memset(pl, 0, sizeof *pl);
  for (int i = 0; i < 64; i++) pl->replica_of_session[i] = -1;
  cs__sim_observer obs = {.ud = pl, .on_request_end = on_end};
  cs_sim_result *res = NULL;
  cs_err err = {0};
  int rc = cs__sim_run_observed(c, &obs, &res, &err);
  if (rc) fprintf(stderr, "run: %s\n", err.msg);
  cs_sim_result_free(res);
  return rc;
}

static void test_sticky_routers_keep_each_session_on_one_replica(void) {
  cs_trace *t = session_trace(200, 12);
  cs_predictor *p = fx_predictor(5, 1);
  const char *sticky[] = {"sticky_round_robin", "sticky_lor", "sticky_lop"};
  for (int k = 0; k < 3; k++) {
    cs_sim_config c;
    base(&c, t, p, 2000);
    c.global_scheduler = sticky[k];
    c.replica_scheduler = "sarathi";
    placement pl;
    CS_ASSERT_INT_EQ(run_placement(&c, &pl), 0);
    CS_ASSERT_INT_EQ(pl.done, 200);
    if (pl.moved) CS__FAIL_MSG("%s moved %d requests away from their session's replica", sticky[k], pl.moved);
    int used = 0;
    for (int r = 0; r < 4; r++) used += pl.per_replica[r] > 0;
    CS_ASSERT_INT_EQ(used, 4); /* 12 sessions spread over all 4 replicas */
  }
  cs_predictor_free(p);
  cs_trace_free(t);
}

static void test_plain_lop_does_move_sessions(void) {
  /* the contrast that makes the sticky test meaningful: without affinity sessions spread */
  cs_trace *t = session_trace(200, 12);
  cs_predictor *p = fx_predictor(5, 1);
  cs_sim_config c;
  base(&c, t, p, 2000);
  c.global_scheduler = "lop";
  c.replica_scheduler = "vllm";
  placement pl;
  CS_ASSERT_INT_EQ(run_placement(&c, &pl), 0);
  CS_ASSERT_TRUE(pl.moved > 0);
  cs_predictor_free(p);
  cs_trace_free(t);
}

static void test_round_robin_balances_requests_exactly(void) {
  cs_trace *t = session_trace(200, 12);
  cs_predictor *p = fx_predictor(5, 1);
  cs_sim_config c;
  base(&c, t, p, 2000);
  c.global_scheduler = "round_robin";
  c.replica_scheduler = "orca";
  placement pl;
  CS_ASSERT_INT_EQ(run_placement(&c, &pl), 0);
  for (int r = 0; r < 4; r++) CS_ASSERT_INT_EQ(pl.per_replica[r], 50);
  cs_predictor_free(p);
  cs_trace_free(t);
}

static void expect_clean(const cs_sim_config *c, bool expect_preemption, const char *what) {
  sim_inv_result r;
  sim_inv_run(c, true, &r);
  if (r.rc) CS__FAIL_MSG("%s: run failed: %s", what, r.err);
  if (r.violations) CS__FAIL_MSG("%s: %s (%lld violations)", what, r.first, (long long)r.violations);
  if (expect_preemption && r.preemptions == 0) CS__FAIL_MSG("%s: no preemption under memory pressure", what);
  CS_ASSERT_INT_EQ(r.completed, r.arrived);
}

static void test_restart_with_and_without_vidur_quirk_survives_preemption(void) {
  /* small chunks and little memory: sarathi's victims include partially prefilled requests,
   * whose restart differs between capsearch (prompt kept) and Vidur (the quirk) */
  cs_trace *t = session_trace(150, 10);
  cs_predictor *p = fx_predictor(5, 1);
  const char *scheds[] = {"sarathi", "vllm"};
  for (int k = 0; k < 2; k++) {
    for (int quirk = 0; quirk < 2; quirk++) {
      cs_sim_config c;
      base(&c, t, p, 60);
      c.global_scheduler = "lor";
      c.replica_scheduler = scheds[k];
      c.vidur_restart_quirk = quirk;
      if (k == 0) fx_set_param(&c.replica_params, "chunk_size", 64);
      char what[64];
      snprintf(what, sizeof what, "%s quirk=%d", scheds[k], quirk);
      expect_clean(&c, true, what);
    }
  }
  cs_predictor_free(p);
  cs_trace_free(t);
}

static void test_sarathi_runs_with_the_edf_queue(void) {
  cs_trace *t = session_trace(150, 10);
  cs_predictor *p = fx_predictor(5, 1);
  cs_sim_config c;
  base(&c, t, p, 120);
  c.global_scheduler = "lop";
  c.replica_scheduler = "sarathi";
  c.request_queue = "edf";
  fx_set_param(&c.queue_params, "slo_prefill_e2e_time_normalized", 0.001);
  expect_clean(&c, false, "sarathi edf");
  /* vllm asserts FCFS in Vidur: a configuration error, not a crash */
  c.replica_scheduler = "vllm";
  sim_inv_result r;
  sim_inv_run(&c, true, &r);
  CS_ASSERT_INT_EQ(r.rc, CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(r.err, "fcfs");
  cs_predictor_free(p);
  cs_trace_free(t);
}

static void test_worst_case_reservation_schedulers_finish_with_one_slot(void) {
  /* 640-token sequences = 40 blocks; 50 blocks leave room for exactly one request per replica */
  cs_trace *t = session_trace(80, 10);
  cs_predictor *p = fx_predictor(5, 1);
  const char *scheds[] = {"orca", "faster_transformer"};
  for (int k = 0; k < 2; k++) {
    cs_sim_config c;
    base(&c, t, p, 50);
    c.global_scheduler = "round_robin";
    c.replica_scheduler = scheds[k];
    expect_clean(&c, false, scheds[k]);
  }
  cs_predictor_free(p);
  cs_trace_free(t);
}

static void test_lightllm_runs_with_token_level_memory_on_default_blocks(void) {
  cs_trace *t = session_trace(150, 10);
  cs_predictor *p = fx_predictor(5, 1);
  cs_sim_config c;
  base(&c, t, p, 80); /* 80 blocks x 16 = 1280 tokens per replica, block_size stays 16 */
  c.global_scheduler = "lop_uncached";
  c.replica_scheduler = "lightllm";
  expect_clean(&c, false, "lightllm");
  cs_predictor_free(p);
  cs_trace_free(t);
}

static void test_every_policy_survives_memory_pressure_with_two_stages(void) {
  /* not covered by test_sim_invariants.c: pressure and PP = 2 together (victims while other
   * micro-batches of the same replica are in flight) */
  cs_trace *t = session_trace(120, 8);
  cs_predictor *p = fx_predictor(5, 2);
  cs_sim_config c;
  base(&c, t, p, 48);
  c.num_replicas = 3;
  c.pp = 2;
  char report[8192] = "";
  int runs = 0;
  int fails = sim_inv_all(&c, true, true, report, sizeof report, &runs);
  if (fails) fprintf(stderr, "\n%s", report);
  CS_ASSERT_INT_EQ(fails, 0);
  CU_ASSERT(runs >= 50);
  cs_predictor_free(p);
  cs_trace_free(t);
}

int main(void) {
  static const cs_test_case cases[] = {
      {"test_sticky_routers_keep_each_session_on_one_replica", test_sticky_routers_keep_each_session_on_one_replica},
      {"test_plain_lop_does_move_sessions", test_plain_lop_does_move_sessions},
      {"test_round_robin_balances_requests_exactly", test_round_robin_balances_requests_exactly},
      {"test_restart_with_and_without_vidur_quirk_survives_preemption", test_restart_with_and_without_vidur_quirk_survives_preemption},
      {"test_sarathi_runs_with_the_edf_queue", test_sarathi_runs_with_the_edf_queue},
      {"test_worst_case_reservation_schedulers_finish_with_one_slot",
       test_worst_case_reservation_schedulers_finish_with_one_slot},
      {"test_lightllm_runs_with_token_level_memory_on_default_blocks",
       test_lightllm_runs_with_token_level_memory_on_default_blocks},
      {"test_every_policy_survives_memory_pressure_with_two_stages",
       test_every_policy_survives_memory_pressure_with_two_stages},
      {NULL, NULL},
  };
  return cs_test_run("sim_policies", cases);
}
