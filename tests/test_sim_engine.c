/* Hand-computed scenarios that pin the engine's accounting (vidur-semantics.md §1.2-§1.5) and
 * vllm_v1 (§4.6-§4.7), with a 10 ms constant-stage predictor defined in sim_fixture.h. */
#include "cs_test.h"
#include "sim/engine.h"
#include "sim_fixture.h"

#define EPS 1e-9

typedef struct run {
  cs_trace *t;
  cs_predictor *p;
  cs_sim_config c;
  cs_sim_result *res;
  const cs_request_record *rec;
  size_t n;
} run;

static void run_start(run *r, const fx_row *rows, size_t n) {
  memset(r, 0, sizeof *r);
  r->t = fx_trace(rows, n);
  r->p = fx_predictor(10, 1);
  fx_config(&r->c, r->t, r->p);
}

static int run_go(run *r) {
  cs_err err = {0};
  int rc = cs_sim_run(&r->c, &r->res, &err);
  if (rc) {
    fprintf(stderr, "cs_sim_run: %s\n", err.msg);
    return rc;
  }
  r->rec = cs_sim_result_records(r->res, &r->n);
  return 0;
}

static void run_end(run *r) {
  cs_sim_result_free(r->res);
  cs_predictor_free(r->p);
  cs_trace_free(r->t);
}

static void test_single_request_ttft_e2e_and_tpot_follow_iterations(void) {
  /* P=100, D=4 at t=1: one prefill iteration (10 ms, +1 token), then 3 decodes. */
  fx_row rows[] = {{1.0, 100, 4, 0, 0, 0}};
  run r;
  run_start(&r, rows, 1);
  CS_ASSERT_INT_EQ(run_go(&r), 0);
  CS_ASSERT_INT_EQ(r.n, 1);
  const double *v = r.rec[0].v;
  CS_ASSERT_DBL_NEAR(v[CS_RM_TTFT], 0.01, EPS);
  CS_ASSERT_DBL_NEAR(v[CS_RM_E2E], 0.04, EPS);
  CS_ASSERT_DBL_NEAR(v[CS_RM_EXEC], 0.04, EPS);
  CS_ASSERT_DBL_NEAR(v[CS_RM_PREEMPT], 0.0, EPS);
  CS_ASSERT_DBL_NEAR(v[CS_RM_SCHED_DELAY], 0.0, EPS);
  CS_ASSERT_DBL_NEAR(v[CS_RM_TPOT], 0.03 / 4, EPS);
  CS_ASSERT_DBL_NEAR(v[CS_RM_TTFT_NORM], 0.01 / 100, EPS);
  CS_ASSERT_DBL_NEAR(v[CS_RM_ARRIVED_AT], 1.0, 0);
  CS_ASSERT_DBL_NEAR(v[CS_RM_INTER_ARRIVAL], 1.0, 0);
  CS_ASSERT_INT_EQ(v[CS_RM_NUM_TOKENS], 104);
  CS_ASSERT_INT_EQ(v[CS_RM_NUM_RESTARTS], 0);
  const cs_sim_stats *st = cs_sim_result_stats(r.res);
  CS_ASSERT_INT_EQ(st->num_batches, 4);
  CS_ASSERT_INT_EQ(st->num_completed, 1);
  CS_ASSERT_DBL_NEAR(st->end_time, 1.04, EPS);
  run_end(&r);
}

static void test_decode_one_completes_at_prefill_end(void) {
  fx_row rows[] = {{0.5, 20, 1, 0, 0, 0}};
  run r;
  run_start(&r, rows, 1);
  CS_ASSERT_INT_EQ(run_go(&r), 0);
  CS_ASSERT_DBL_NEAR(r.rec[0].v[CS_RM_E2E], 0.01, EPS);
  CS_ASSERT_DBL_NEAR(r.rec[0].v[CS_RM_TPOT], 0.0, EPS);
  run_end(&r);
}

static void test_vllm_v1_chunked_prefill_splits_by_token_budget(void) {
  /* r0 P=600 and r1 P=100 at t=0, chunk 512: step 1 = r0[512]; step 2 = r0[88] + r1[100];
   * so r0's first token at 0.02 and r1's at 0.02; batch tokens {512, 188, 2 decodes...}. */
  fx_row rows[] = {{0.0, 600, 2, 0, 0, 0}, {0.0, 100, 2, 0, 0, 0}};
  run r;
  run_start(&r, rows, 2);
  CS_ASSERT_INT_EQ(run_go(&r), 0);
  CS_ASSERT_INT_EQ(r.n, 2);
  CS_ASSERT_DBL_NEAR(r.rec[0].v[CS_RM_TTFT], 0.02, EPS);
  CS_ASSERT_DBL_NEAR(r.rec[1].v[CS_RM_TTFT], 0.02, EPS);
  CS_ASSERT_DBL_NEAR(r.rec[1].v[CS_RM_SCHED_DELAY], 0.01, EPS);
  CS_ASSERT_DBL_NEAR(r.rec[0].v[CS_RM_E2E], 0.03, EPS);
  const cs_quantile_table *bt = cs_sim_result_batch_table(r.res, "batch_num_tokens");
  CS_ASSERT_INT_EQ(bt->count, 3);
  CS_ASSERT_DBL_EQ(bt->value[100], 512);
  CS_ASSERT_DBL_EQ(bt->value[50], 188);
  CS_ASSERT_DBL_EQ(bt->value[0], 2);
  const cs_quantile_table *bp = cs_sim_result_batch_table(r.res, "batch_num_prefill_tokens");
  CS_ASSERT_DBL_EQ(bp->value[50], 188);
  run_end(&r);
}

static void test_vllm_v1_chunk_size_parameter_changes_the_split(void) {
  fx_row rows[] = {{0.0, 1000, 2, 0, 0, 0}};
  run r;
  run_start(&r, rows, 1);
  fx_set_param(&r.c.replica_params, "chunk_size", 256);
  CS_ASSERT_INT_EQ(run_go(&r), 0);
  /* ceil(1000/256) = 4 prefill iterations, then one decode */
  CS_ASSERT_DBL_NEAR(r.rec[0].v[CS_RM_TTFT], 0.04, EPS);
  CS_ASSERT_DBL_NEAR(r.rec[0].v[CS_RM_E2E], 0.05, EPS);
  run_end(&r);
}

static void test_prefix_cache_hit_skips_cached_full_blocks(void) {
  /* Same prompt twice (70 tokens: 4 full blocks + 6), the second after the first finished:
   * the 4 full blocks (64 tokens) hit, 6 tokens are computed. */
  fx_row rows[] = {{0.0, 70, 2, 0, 4, 1000}, {1.0, 70, 2, 0, 4, 1000}};
  run r;
  run_start(&r, rows, 2);
  r.c.prefix_caching = true;
  CS_ASSERT_INT_EQ(run_go(&r), 0);
  CS_ASSERT_INT_EQ(r.n, 2);
  CS_ASSERT_INT_EQ(r.rec[0].v[CS_RM_NUM_PREFILL_CACHED], 0);
  CS_ASSERT_INT_EQ(r.rec[1].v[CS_RM_NUM_PREFILL_CACHED], 64);
  const cs_replica_stats *rs = cs_sim_result_replica(r.res, 0);
  CS_ASSERT_INT_EQ(rs->prefix_cached_tokens, 64);
  CS_ASSERT_INT_EQ(rs->prefix_total_tokens, 140);
  const cs_quantile_table *bp = cs_sim_result_batch_table(r.res, "batch_num_prefill_tokens");
  CS_ASSERT_DBL_EQ(bp->value[100], 70);
  /* batches: 70, 0 (decode), 6, 0 -> sorted 0,0,6,70; the median interpolates 0 and 6 */
  CS_ASSERT_INT_EQ(bp->count, 4);
  CS_ASSERT_DBL_EQ(bp->value[50], 3);
  run_end(&r);
}

static void test_prefix_cache_full_aligned_hit_recomputes_last_block(void) {
  fx_row rows[] = {{0.0, 64, 2, 0, 4, 7}, {1.0, 64, 2, 0, 4, 7}};
  run r;
  run_start(&r, rows, 2);
  r.c.prefix_caching = true;
  CS_ASSERT_INT_EQ(run_go(&r), 0);
  CS_ASSERT_INT_EQ(r.rec[1].v[CS_RM_NUM_PREFILL_CACHED], 48);
  run_end(&r);
}

static void test_prefix_caching_off_gives_no_hits(void) {
  fx_row rows[] = {{0.0, 70, 2, 0, 4, 1000}, {1.0, 70, 2, 0, 4, 1000}};
  run r;
  run_start(&r, rows, 2);
  CS_ASSERT_INT_EQ(run_go(&r), 0);
  CS_ASSERT_INT_EQ(r.rec[1].v[CS_RM_NUM_PREFILL_CACHED], 0);
  run_end(&r);
}

static void test_requests_without_hashes_under_prefix_caching_run(void) {
  fx_row rows[] = {{0.0, 10, 3, 0, 0, 0}, {0.0, 70, 2, 0, 0, 0}};
  run r;
  run_start(&r, rows, 2);
  r.c.prefix_caching = true;
  CS_ASSERT_INT_EQ(run_go(&r), 0);
  CS_ASSERT_INT_EQ(r.n, 2);
  run_end(&r);
}

static void test_preemption_restarts_victim_and_accounts_preempted_time(void) {
  /* 10 blocks of 16 tokens. Both requests (P=16, D=100) are admitted at t=0 with 1 + 4
   * preallocated blocks each. At t=0.64 r0 (80 tokens) needs a 6th block: r1 is preempted
   * (restart: P=80, D=36), r0 finishes alone at t=1.00, then r1 re-prefills 80 tokens
   * (0.01) and decodes 35 more: done at 1.36 with 0.36 s preempted. */
  fx_row rows[] = {{0.0, 16, 100, 0, 0, 0}, {0.0, 16, 100, 0, 0, 0}};
  run r;
  run_start(&r, rows, 2);
  r.c.num_blocks = 10;
  CS_ASSERT_INT_EQ(run_go(&r), 0);
  CS_ASSERT_INT_EQ(r.n, 2);
  CS_ASSERT_INT_EQ(cs_sim_result_stats(r.res)->num_preemptions, 1);
  const double *v0 = r.rec[0].v, *v1 = r.rec[1].v;
  CS_ASSERT_DBL_NEAR(v0[CS_RM_E2E], 1.00, EPS);
  CS_ASSERT_INT_EQ(v0[CS_RM_NUM_RESTARTS], 0);
  CS_ASSERT_DBL_NEAR(v1[CS_RM_E2E], 1.36, EPS);
  CS_ASSERT_INT_EQ(v1[CS_RM_NUM_RESTARTS], 1);
  CS_ASSERT_DBL_NEAR(v1[CS_RM_TTFT], 0.01, EPS);    /* first prefill completion is kept */
  CS_ASSERT_DBL_NEAR(v1[CS_RM_EXEC], 1.00, EPS);    /* 64 + 36 stage executions */
  CS_ASSERT_DBL_NEAR(v1[CS_RM_PREEMPT], 0.36, EPS); /* waiting between 0.64 and 1.00 */
  CS_ASSERT_INT_EQ(v1[CS_RM_NUM_DECODE], 100);      /* frozen at first scheduling */
  CS_ASSERT_DBL_NEAR(v1[CS_RM_E2E_NORM], 1.36 / 36, EPS); /* post-restart D (Vidur) */
  CS_ASSERT_DBL_NEAR(cs_sim_result_replica(r.res, 0)->memory_usage_max, 100.0, EPS);
  run_end(&r);
}

static void test_restart_keeps_prompt_unless_vidur_quirk(void) {
  cs__request q = {.num_prefill = 100, .num_decode = 10, .num_processed = 40};
  cs__request k = q;
  cs__req_restart(&k, true);
  CS_ASSERT_INT_EQ(k.num_prefill, 100);
  CS_ASSERT_INT_EQ(k.num_decode, 10);
  CS_ASSERT_INT_EQ(k.num_restarts, 1);
  cs__request v = q;
  cs__req_restart(&v, false);
  CS_ASSERT_INT_EQ(v.num_prefill, 40);
  CS_ASSERT_INT_EQ(v.num_decode, 70);
  cs__request d = {.num_prefill = 100, .num_decode = 10, .num_processed = 104, .is_prefill_complete = true};
  cs__req_restart(&d, true);
  CS_ASSERT_INT_EQ(d.num_prefill, 104);
  CS_ASSERT_INT_EQ(d.num_decode, 6);
  CS_ASSERT_INT_EQ(d.num_processed, 0);
  CS_ASSERT_INT_EQ(d.is_prefill_complete, 0);
}

static void test_time_limit_handles_crossing_event_then_stops(void) {
  /* r0 finishes at 0.04; r1 arrives at 5.0 > limit 1.0: its arrival is handled (counted as
   * arrived), nothing after it, and it does not complete. */
  fx_row rows[] = {{0.0, 100, 4, 0, 0, 0}, {5.0, 100, 4, 0, 0, 0}, {6.0, 10, 4, 0, 0, 0}};
  run r;
  run_start(&r, rows, 3);
  r.c.time_limit_s = 1.0;
  CS_ASSERT_INT_EQ(run_go(&r), 0);
  const cs_sim_stats *st = cs_sim_result_stats(r.res);
  CS_ASSERT_INT_EQ(st->hit_time_limit, 1);
  CS_ASSERT_INT_EQ(st->num_arrived, 2);
  CS_ASSERT_INT_EQ(st->num_completed, 1);
  CS_ASSERT_DBL_EQ(st->end_time, 5.0);
  run_end(&r);
}

static void test_pipeline_stages_sum_execution_and_overlap_micro_batches(void) {
  /* PP=2: each stage 10 ms, so one iteration takes 20 ms and execution_time sums both stages.
   * Two requests arriving together share batches; a third arriving at 0.005 forms a second
   * micro-batch that runs on stage 0 while the first is on stage 1. */
  fx_row rows[] = {{0.0, 100, 2, 0, 0, 0}};
  run r;
  run_start(&r, rows, 1);
  r.c.pp = 2;
  CS_ASSERT_INT_EQ(run_go(&r), 0);
  CS_ASSERT_DBL_NEAR(r.rec[0].v[CS_RM_TTFT], 0.02, EPS);
  CS_ASSERT_DBL_NEAR(r.rec[0].v[CS_RM_E2E], 0.04, EPS);
  CS_ASSERT_DBL_NEAR(r.rec[0].v[CS_RM_EXEC], 0.04, EPS);
  run_end(&r);
  fx_row rows2[] = {{0.0, 100, 2, 0, 0, 0}, {0.005, 100, 2, 0, 0, 0}};
  run_start(&r, rows2, 2);
  r.c.pp = 2;
  CS_ASSERT_INT_EQ(run_go(&r), 0);
  /* r1 is formed at 0.005 into a second micro-batch; stage 0 is busy until 0.01 */
  CS_ASSERT_DBL_NEAR(r.rec[1].v[CS_RM_SCHED_DELAY], 0.0, EPS);
  CS_ASSERT_DBL_NEAR(r.rec[1].v[CS_RM_TTFT], 0.025, EPS);
  CS_ASSERT_DBL_NEAR(r.rec[1].v[CS_RM_PREEMPT], 0.0, EPS);
  run_end(&r);
}

static void test_bad_config_errors_name_the_problem(void) {
  fx_row rows[] = {{0.0, 10, 2, 0, 0, 0}};
  run r;
  run_start(&r, rows, 1);
  cs_err err = {0};
  cs_sim_result *res = NULL;
  r.c.replica_scheduler = "vllm_v2";
  CS_ASSERT_INT_EQ(cs_sim_run(&r.c, &res, &err), CS_EUNKNOWN);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "did you mean 'vllm_v1'"));
  r.c.replica_scheduler = "vllm_v1";
  r.c.tp = 3;
  CS_ASSERT_INT_EQ(cs_sim_run(&r.c, &res, &err), CS_EINFEASIBLE);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "TP 3"));
  r.c.tp = 1;
  fx_set_param(&r.c.replica_params, "chunk_sise", 128);
  CS_ASSERT_INT_EQ(cs_sim_run(&r.c, &res, &err), CS_ECONFIG);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "did you mean 'chunk_size'"));
  r.c.replica_params.n = 0;
  r.c.global_scheduler = "round_robbin";
  CS_ASSERT_INT_EQ(cs_sim_run(&r.c, &res, &err), CS_EUNKNOWN);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "round_robin"));
  CU_ASSERT_PTR_NULL(res);
  run_end(&r);
}

static void test_kv_blocks_come_from_the_memory_planner_and_misfits_are_infeasible(void) {
  fx_row rows[] = {{0.0, 100, 4, 0, 0, 0}};
  run r;
  run_start(&r, rows, 1);
  r.c.num_blocks = 0; /* Vidur's V1 planner: 80 GB device, 7B model at TP 1 */
  CS_ASSERT_INT_EQ(run_go(&r), 0);
  int64_t blocks = cs_sim_result_stats(r.res)->num_blocks;
  CU_ASSERT(blocks > 1000 && blocks < 100000);
  cs_sim_result_free(r.res);
  r.res = NULL;
  cs_device small = fx_device;
  small.memory_gb = small.memory_gib = 8; /* 13.5 GB of fp16 weights do not fit */
  r.c.device = &small;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_sim_run(&r.c, &r.res, &err), CS_EINFEASIBLE);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "does not fit"));
  CU_ASSERT_PTR_NULL(r.res);
  run_end(&r);
}

static const cs_test_case cases[] = {
    {"test_kv_blocks_come_from_the_memory_planner_and_misfits_are_infeasible",
     test_kv_blocks_come_from_the_memory_planner_and_misfits_are_infeasible},
    {"test_single_request_ttft_e2e_and_tpot_follow_iterations", test_single_request_ttft_e2e_and_tpot_follow_iterations},
    {"test_decode_one_completes_at_prefill_end", test_decode_one_completes_at_prefill_end},
    {"test_vllm_v1_chunked_prefill_splits_by_token_budget", test_vllm_v1_chunked_prefill_splits_by_token_budget},
    {"test_vllm_v1_chunk_size_parameter_changes_the_split", test_vllm_v1_chunk_size_parameter_changes_the_split},
    {"test_prefix_cache_hit_skips_cached_full_blocks", test_prefix_cache_hit_skips_cached_full_blocks},
    {"test_prefix_cache_full_aligned_hit_recomputes_last_block", test_prefix_cache_full_aligned_hit_recomputes_last_block},
    {"test_prefix_caching_off_gives_no_hits", test_prefix_caching_off_gives_no_hits},
    {"test_requests_without_hashes_under_prefix_caching_run", test_requests_without_hashes_under_prefix_caching_run},
    {"test_preemption_restarts_victim_and_accounts_preempted_time", test_preemption_restarts_victim_and_accounts_preempted_time},
    {"test_restart_keeps_prompt_unless_vidur_quirk", test_restart_keeps_prompt_unless_vidur_quirk},
    {"test_time_limit_handles_crossing_event_then_stops", test_time_limit_handles_crossing_event_then_stops},
    {"test_pipeline_stages_sum_execution_and_overlap_micro_batches", test_pipeline_stages_sum_execution_and_overlap_micro_batches},
    {"test_bad_config_errors_name_the_problem", test_bad_config_errors_name_the_problem},
    {NULL, NULL},
};

int main(void) { return cs_test_run("sim_engine", cases); }
