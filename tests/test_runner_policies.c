/* Policies resolved once when a sweep is loaded (cs_sweep_resolve_policies): every entry holds
 * its registry entry, each parameter is checked against the bounds its policy declares (one
 * place), parameters the sweep fills per job are neither given twice nor silently replaced,
 * and the job key carries exactly what changes behaviour. */
#include <stdlib.h>

#include "cs_test.h"
#include "runner/runner.h"

static char dir[512];

static int plan_for(const char *text, cs__plan *plan, cs_err *err) {
  char path[700], cat[700];
  snprintf(path, sizeof path, "%s/t.csv", dir);
  cs_test_write(path, "num_prefill_tokens,num_decode_tokens\n100,10\n");
  snprintf(path, sizeof path, "%s/s.yml", dir);
  cs_test_write(path, text);
  cs__runner_opts o;
  cs_run_opts_defaults(&o);
  o.config_path = path;
  o.catalog_dir = cs_test_source("configs", cat, sizeof cat);
  return cs__plan_load(&o, plan, err);
}

#define SWEEP_PP(GSCHED, QUEUES, RSCHED, BATCH, PP)                                                          \
  "clusters: [{device: h100, network_device: h100_dgx, gpus_per_node: 8}]\n"                         \
  "global_schedulers: " GSCHED "\n"                                                                   \
  "request_queues: " QUEUES "\n"                                                                      \
  "replica_schedulers: " RSCHED "\n"                                                                  \
  "slo_configs: [{name: s, type: and, quantile: 0.99, slos: [{metric: prefill_e2e_time, value: 10}]}]\n" \
  "traces: [{name: t, trace_file: t.csv, max_seq_len: 8192, enable_prefix_caching: false}]\n"         \
  "batch_sizes: " BATCH "\ntp_dimensions: [1]\n"                                                      \
  "pp_dimensions: [" PP "]\nmodels: [{name: m, identifier: meta-llama/Meta-Llama-3-8B}]\n"            \
  "search_configs: [{trace: t, model: m, search_for: num_replicas, num_replicas: 2, qps: 1, num_requests: 10}]\n"
#define SWEEP(GSCHED, QUEUES, RSCHED, BATCH) SWEEP_PP(GSCHED, QUEUES, RSCHED, BATCH, "1")

static void test_loading_resolves_every_entry_to_its_registry_entry(void) {
  cs__plan p;
  cs_err err = {0};
  CS_ASSERT_OK(plan_for(SWEEP("[{scheduler: round_robin}, {scheduler: ranked_sticky_lop_uncached, top_k: 2}]",
                              "[{name: q, provider: edf, slo_prefill_e2e_time_normalized: 0.01}]",
                              "[{scheduler: sarathi, chunk_size: 256}]", "[64]"),
                        &p, &err),
               &err);
  const cs_policy_info *e;
  CS_ASSERT_OK(cs_global_sched_info("ranked_sticky_lop_uncached", &e, &err), &err);
  CU_ASSERT_PTR_EQUAL(p.sweep->gscheds[1].policy, e);
  CS_ASSERT_OK(cs_replica_sched_info("sarathi", &e, &err), &err);
  CU_ASSERT_PTR_EQUAL(p.sweep->rscheds[0].policy, e);
  CS_ASSERT_OK(cs_request_queue_info("edf", &e, &err), &err);
  CU_ASSERT_PTR_EQUAL(p.sweep->queues[0].policy, e);
  cs__plan_release(&p);
}

/* chunk_size had four different bounds (sweep file 2^24, sarathi 1e9, vllm_v1 2^20, simulate
 * 2^20): the policy's declaration is now the only one, for every scheduler alike. */
static void test_a_parameter_is_checked_against_the_bounds_its_policy_declares(void) {
  cs__plan p;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(plan_for(SWEEP("[{scheduler: round_robin}]", "[{name: q, provider: fcfs}]",
                                  "[{scheduler: vllm_v1, chunk_size: 20000000}]", "[64]"),
                            &p, &err),
                   CS_ERANGE);
  CS_ASSERT_STR_CONTAINS(err.msg, "s.yml:");
  CS_ASSERT_STR_CONTAINS(err.msg, "replica_schedulers[0]: vllm_v1.chunk_size = 20000000 is out of range");
  cs__plan_release(&p);
  CS_ASSERT_INT_EQ(plan_for(SWEEP("[{scheduler: round_robin}]", "[{name: q, provider: fcfs}]",
                                  "[{scheduler: sarathi, chunk_size: 100000000}]", "[64]"),
                            &p, &err),
                   CS_ERANGE);
  CS_ASSERT_STR_CONTAINS(err.msg, "sarathi.chunk_size = 100000000 is out of range (expected 1..16777216)");
  cs__plan_release(&p);
}

/* A parameter's message points at its own key, not at the entry that holds it (it named the
 * entry's line:col before, which on a long entry is far from the offending key). */
static void test_a_parameter_error_names_the_line_and_column_of_its_key(void) {
  cs__plan p;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(plan_for(SWEEP("[{scheduler: round_robin}]", "[{name: q, provider: fcfs}]",
                                  "[{scheduler: vllm_v1, chunk_size: 20000000}]", "[64]"),
                            &p, &err),
                   CS_ERANGE);
  CS_ASSERT_STR_CONTAINS(err.msg, "s.yml:4:43: replica_schedulers[0]: vllm_v1.chunk_size = 20000000 is out of range");
  cs__plan_release(&p);
  CS_ASSERT_INT_EQ(plan_for(SWEEP("[{scheduler: round_robin},\n  {scheduler: ranked_sticky_lop_uncached,\n   top_kk: 2}]",
                                  "[{name: q, provider: fcfs}]", "[{scheduler: vllm_v1}]", "[64]"),
                            &p, &err),
                   CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "s.yml:4:4: global_schedulers[1]: unknown parameter 'top_kk'");
  cs__plan_release(&p);
  CS_ASSERT_INT_EQ(plan_for(SWEEP("[{scheduler: round_robin}]",
                                  "[{name: q, provider: fcfs},\n  {name: e, provider: edf,\n    slo_prefill_e2e_time_normalized: 2e9}]",
                                  "[{scheduler: vllm_v1}]", "[64]"),
                            &p, &err),
                   CS_ERANGE);
  CS_ASSERT_STR_CONTAINS(err.msg, "s.yml:5:5: request_queues[1]: edf.slo_prefill_e2e_time_normalized = 2000000000 is out of range");
  cs__plan_release(&p);
  /* a predictor parameter too (it named only the file) */
  CS_ASSERT_INT_EQ(plan_for(SWEEP("[{scheduler: round_robin}]", "[{name: q, provider: fcfs}]", "[{scheduler: vllm_v1}]",
                                  "[64]") "predictor: {name: roofline,\n  eff_compte: 0.5}\n",
                            &p, &err),
                   CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "s.yml:13:3: predictor: unknown parameter 'eff_compte' for 'roofline' (did you mean 'eff_compute'?)");
  cs__plan_release(&p);
  /* a message about the entry as a whole still names the entry */
  CS_ASSERT_INT_EQ(plan_for(SWEEP("[{scheduler: round_robin},\n  {scheduler: ranked_sticky_lop_uncached}]",
                                  "[{name: q, provider: fcfs}]", "[{scheduler: vllm_v1}]", "[64]"),
                            &p, &err),
                   CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "s.yml:3:3: global_schedulers[1]: 'ranked_sticky_lop_uncached' requires parameter 'top_k'");
  cs__plan_release(&p);
}

/* batch_size_cap comes from batch_sizes x pp: written in an entry it used to be overwritten
 * without a word. */
static void test_a_parameter_the_sweep_fills_cannot_be_given_in_an_entry(void) {
  cs__plan p;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(plan_for(SWEEP("[{scheduler: round_robin}]", "[{name: q, provider: fcfs}]",
                                  "[{scheduler: vllm_v1, batch_size_cap: 32}]", "[64]"),
                            &p, &err),
                   CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "vllm_v1.batch_size_cap is set by the sweep for each job (from batch_sizes x pp)");
  cs__plan_release(&p);
}

/* A batch size beyond the scheduler's bound used to run silently with the default cap (128). */
static void test_a_batch_size_beyond_the_schedulers_bound_makes_the_job_infeasible(void) {
  cs__plan p;
  cs_err err = {0};
  CS_ASSERT_OK(plan_for(SWEEP_PP("[{scheduler: round_robin}]", "[{name: q, provider: fcfs}]",
                                 "[{scheduler: vllm_v1, chunk_size: 512}]", "[64, 1000000]", "2"),
                        &p, &err),
               &err);
  CU_ASSERT_EQUAL_FATAL(p.jobs.n, 2);
  CS_ASSERT_INT_EQ(p.jobs.v[0].status, CS_JOB_PENDING);
  CS_ASSERT_INT_EQ(p.jobs.v[1].status, CS_JOB_INFEASIBLE);
  CS_ASSERT_STR_CONTAINS(p.jobs.v[1].reason, "'vllm_v1' takes batch_size_cap from 1 to 1.04858e+06, the job asks 2e+06 (batch size x pp)");
  cs__plan_release(&p);
}

static void test_two_request_queues_with_one_name_are_refused(void) {
  cs__plan p;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(plan_for(SWEEP("[{scheduler: round_robin}]",
                                  "[{name: q, provider: fcfs}, {name: q, provider: edf, slo_prefill_e2e_time_normalized: 0.1}]",
                                  "[{scheduler: sarathi, chunk_size: 512}]", "[64]"),
                            &p, &err),
                   CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "request_queues[1].name: duplicate request queue name 'q'");
  cs__plan_release(&p);
}

int main(void) {
  cs_test_tmpdir(dir, sizeof dir);
  static const cs_test_case cases[] = {
      {"test_loading_resolves_every_entry_to_its_registry_entry", test_loading_resolves_every_entry_to_its_registry_entry},
      {"test_a_parameter_is_checked_against_the_bounds_its_policy_declares",
       test_a_parameter_is_checked_against_the_bounds_its_policy_declares},
      {"test_a_parameter_the_sweep_fills_cannot_be_given_in_an_entry",
       test_a_parameter_the_sweep_fills_cannot_be_given_in_an_entry},
      {"test_a_batch_size_beyond_the_schedulers_bound_makes_the_job_infeasible",
       test_a_batch_size_beyond_the_schedulers_bound_makes_the_job_infeasible},
      {"test_two_request_queues_with_one_name_are_refused", test_two_request_queues_with_one_name_are_refused},
      {"test_a_parameter_error_names_the_line_and_column_of_its_key", test_a_parameter_error_names_the_line_and_column_of_its_key},
    {NULL, NULL},
  };
  return cs_test_run("runner_policies", cases);
}
