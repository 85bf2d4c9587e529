/* Every registered replica scheduler x every registered router through the invariant harness
 * (tests/sim_invariants.c): light load (everything completes), memory pressure (preemptions
 * happen for vllm/sarathi/vllm_v1 and are survived), PP = 2, prefix caching with sessions. */
#include "cs_test.h"
#include "sim_fixture.h"
#include "sim_invariants.c"

static cs_trace *mixed_trace(void) {
  /* 40 rows: prompts 20..420, outputs 5..200, 8 sessions sharing 2-block prefixes */
  fx_row rows[40];
  for (int i = 0; i < 40; i++) {
    int32_t p = 20 + (i * 97) % 400, d = 5 + (i * 53) % 195;
    rows[i] = (fx_row){0, p, d, 1 + i % 8, (uint32_t)((p + d) / 16), (uint64_t)(i % 8) * 100000};
  }
  cs_trace *t = fx_trace(rows, 40);
  t->has_arrivals = false;
  t->has_sessions = true;
  return t;
}

static void base_config(cs_sim_config *c, const cs_trace *t, const cs_predictor *p, double qps, int64_t blocks) {
  fx_config(c, t, p);
  c->workload.arrival = CS_ARRIVAL_POISSON;
  c->workload.qps = qps;
  c->workload.num_requests = 120;
  c->workload.max_seq_len = 640;
  c->num_replicas = 3;
  c->num_blocks = blocks;
}

static void check(const cs_sim_config *c, bool all, bool preempt, const char *what) {
  char report[8192] = "";
  int runs = 0;
  int fails = sim_inv_all(c, all, preempt, report, sizeof report, &runs);
  if (report[0]) fprintf(stderr, "\n[%s]\n%s", what, report);
  CU_ASSERT(runs >= 6);
  CS_ASSERT_INT_EQ(fails, 0);
}

static void test_every_policy_completes_everything_under_light_load(void) {
  cs_trace *t = mixed_trace();
  cs_predictor *p = fx_predictor(5, 1);
  cs_sim_config c;
  base_config(&c, t, p, 2.0, 4000);
  check(&c, true, false, "light load");
  cs_predictor_free(p);
  cs_trace_free(t);
}

static void test_every_policy_survives_memory_pressure_with_preemption(void) {
  cs_trace *t = mixed_trace();
  cs_predictor *p = fx_predictor(5, 1);
  cs_sim_config c;
  base_config(&c, t, p, 200.0, 48); /* 768 tokens of KV per replica, bursts of arrivals */
  check(&c, true, true, "memory pressure");
  cs_predictor_free(p);
  cs_trace_free(t);
}

static void test_every_policy_keeps_invariants_with_two_pipeline_stages(void) {
  cs_trace *t = mixed_trace();
  cs_predictor *p = fx_predictor(5, 2);
  cs_sim_config c;
  base_config(&c, t, p, 50.0, 200);
  c.pp = 2;
  check(&c, true, false, "pp 2");
  cs_predictor_free(p);
  cs_trace_free(t);
}

static void test_every_policy_keeps_invariants_with_prefix_caching(void) {
  cs_trace *t = mixed_trace();
  cs_predictor *p = fx_predictor(5, 1);
  cs_sim_config c;
  base_config(&c, t, p, 20.0, 400);
  c.prefix_caching = true;
  check(&c, true, false, "prefix caching");
  cs_predictor_free(p);
  cs_trace_free(t);
}

static void test_harness_catches_an_unfinished_run(void) {
  /* a time limit leaves requests unfinished: expect_all must report it */
  cs_trace *t = mixed_trace();
  cs_predictor *p = fx_predictor(5, 1);
  cs_sim_config c;
  base_config(&c, t, p, 200.0, 400);
  c.time_limit_s = 0.05;
  sim_inv_result r;
  sim_inv_run(&c, true, &r);
  CS_ASSERT_INT_EQ(r.rc, 0);
  CU_ASSERT(r.violations > 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(r.first, "requests completed"));
  cs_predictor_free(p);
  cs_trace_free(t);
}

static const cs_test_case cases[] = {
    {"test_every_policy_completes_everything_under_light_load", test_every_policy_completes_everything_under_light_load},
    {"test_every_policy_survives_memory_pressure_with_preemption", test_every_policy_survives_memory_pressure_with_preemption},
    {"test_every_policy_keeps_invariants_with_two_pipeline_stages", test_every_policy_keeps_invariants_with_two_pipeline_stages},
    {"test_every_policy_keeps_invariants_with_prefix_caching", test_every_policy_keeps_invariants_with_prefix_caching},
    {"test_harness_catches_an_unfinished_run", test_harness_catches_an_unfinished_run},
    {NULL, NULL},
};

int main(void) { return cs_test_run("sim_invariants", cases); }
