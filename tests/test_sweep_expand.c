/* Expansion of the seed's sweep (configs/seed-sweep.yml): Vidur's job count and hashes
 * (vidur-semantics.md §7.3-§7.4), filters, and infeasible-but-kept jobs. */
#include <stdlib.h>

#include "capsearch/sweep.h"
#include "cs_test.h"
#include "util/fs.h"

/* Copies configs/seed-sweep.yml into a scratch dir with stand-in trace files (expansion does
 * not read them; the parser only checks they are readable). */
static cs_sweep *load_seed(void) {
  char src[1024], dir[512], path[1024];
  cs_test_source("configs/seed-sweep.yml", src, sizeof src);
  char *text = cs_test_read(src, NULL);
  if (!text) return NULL;
  cs_test_tmpdir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/data/processed_traces", dir);
  cs__mkdir_p(path, NULL);
  snprintf(path, sizeof path, "%s/data/processed_traces/mooncake_conversation_trace.csv", dir);
  cs_test_write(path, "num_prefill_tokens,num_decode_tokens\n10,10\n");
  snprintf(path, sizeof path, "%s/data/processed_traces/mooncake_toolagent_trace.csv", dir);
  cs_test_write(path, "num_prefill_tokens,num_decode_tokens\n10,10\n");
  snprintf(path, sizeof path, "%s/seed.yml", dir);
  cs_test_write(path, text);
  free(text);
  cs_sweep *s = NULL;
  cs_err err = {0};
  if (cs_sweep_load(path, &s, &err)) fprintf(stderr, "%s\n", err.msg);
  return s;
}

static const cs_sweep_job *by_key(const cs_sweep_jobs *j, const char *key) {
  for (size_t i = 0; i < j->n; i++)
    if (!strcmp(j->v[i].key, key)) return &j->v[i];
  return NULL;
}

static void test_seed_sweep_expands_to_336_jobs_with_vidur_hashes(void) {
  cs_sweep *s = load_seed();
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  cs_sweep_jobs jobs = {0};
  cs_err err = {0};
  CS_ASSERT_OK(cs_sweep_expand(s, &jobs, &err), &err);
  CS_ASSERT_INT_EQ(jobs.n, 336);
  const cs_sweep_job *a = by_key(&jobs,
      "Meta-Llama-3-8B_mooncake_conversation_tk131072_h100_dgx_round_robin_fcfs_vllm_v1_cs512_tp1_pp1_bsz512_"
      "slottft_p99_10s_searchqps_q4_reqs12301");
  const cs_sweep_job *b = by_key(&jobs,
      "Meta-Llama-3-8B_mooncake_conversation_tk131072_h100_dgx_round_robin_fcfs_vllm_v1_cs1024_tp1_pp1_bsz512_"
      "slottft_p99_10s_searchqps_q4_reqs12301");
  const cs_sweep_job *c = by_key(&jobs,
      "Meta-Llama-3-70B_mooncake_toolagent_tk131072_a100_dgx_ranked_sticky_lop_uncached_topk4_fcfs_vllm_v1_cs1024_"
      "tp4_pp1_bsz512_slottft_p99_10s_and_tpot_p99_100ms_searchqps_q8_reqs23608");
  CU_ASSERT_PTR_NOT_NULL_FATAL(a);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  CU_ASSERT_PTR_NOT_NULL_FATAL(c);
  CS_ASSERT_STR_EQ(a->hash, "50fc5a05");
  CS_ASSERT_STR_EQ(b->hash, "a5cc0361");
  CS_ASSERT_STR_EQ(c->hash, "ea25c7ba");
  /* the first job is the first of the nesting order */
  CS_ASSERT_STR_EQ(jobs.v[0].hash, "50fc5a05");
  CS_ASSERT_INT_EQ(jobs.v[0].num_replicas, 8);
  for (size_t i = 0; i < jobs.n; i++) CS_ASSERT_INT_EQ(jobs.v[i].status, CS_JOB_PENDING);
  cs_sweep_jobs_release(&jobs);
  cs_sweep_free(s);
}

static void test_tolerance_factor_keeps_its_float_text_in_the_key(void) {
  cs_sweep *s = load_seed();
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  cs_sweep_jobs jobs = {0};
  { cs_err e0 = {0}; CS_ASSERT_OK(cs_sweep_expand(s, &jobs, &e0), &e0); }
  int n2 = 0, n3 = 0;
  for (size_t i = 0; i < jobs.n; i++) {
    if (strstr(jobs.v[i].key, "_tolerant_sticky_lop_uncached_2.0x_fcfs_")) n2++;
    if (strstr(jobs.v[i].key, "_tolerant_sticky_lop_uncached_3.0x_fcfs_")) n3++;
  }
  CS_ASSERT_INT_EQ(n2, 48);
  CS_ASSERT_INT_EQ(n3, 48);
  cs_sweep_jobs_release(&jobs);
  cs_sweep_free(s);
}

static cs_sweep *load_text(const char *text) {
  char dir[512], path[1024];
  cs_test_tmpdir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/t.csv", dir);
  cs_test_write(path, "num_prefill_tokens,num_decode_tokens\n10,10\n");
  snprintf(path, sizeof path, "%s/s.yml", dir);
  cs_test_write(path, text);
  cs_sweep *s = NULL;
  cs_err err = {0};
  if (cs_sweep_load(path, &s, &err)) fprintf(stderr, "%s\n", err.msg);
  return s;
}

#define SMALL_HEAD                                                                                 \
  "clusters: [{device: h100, network_device: h100_dgx, gpus_per_node: 4}]\n"                      \
  "global_schedulers: [{scheduler: round_robin}, {scheduler: lor}]\n"                              \
  "request_queues: [{name: fcfs, provider: fcfs}]\n"                                               \
  "replica_schedulers: [{scheduler: vllm_v1, chunk_size: 512}]\n"                                  \
  "slo_configs: [{name: s, type: and, quantile: 0.99, slos: [{metric: prefill_e2e_time, value: 10}]}]\n" \
  "traces: [{name: t, trace_file: t.csv, max_seq_len: 4096, enable_prefix_caching: false}]\n"      \
  "batch_sizes: [64]\n"                                                                            \
  "tp_dimensions: [1, 8]\n"                                                                        \
  "pp_dimensions: [1]\n"                                                                           \
  "models: [{name: m, identifier: meta-llama/Meta-Llama-3-8B}]\n"

static void test_one_replica_qps_search_keeps_only_round_robin(void) {
  cs_sweep *s = load_text(SMALL_HEAD
                          "search_configs:\n"
                          "  - {trace: t, model: m, search_for: qps, num_replicas: 1, qps: 2.5, num_requests: 100}\n"
                          "  - {trace: t, model: m, search_for: num_replicas, num_replicas: 1, qps: 2, num_requests: 100}\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  cs_sweep_jobs jobs = {0};
  { cs_err e0 = {0}; CS_ASSERT_OK(cs_sweep_expand(s, &jobs, &e0), &e0); }
  /* search 0: 1 router x 2 tp; search 1: 2 routers x 2 tp */
  CS_ASSERT_INT_EQ(jobs.n, 6);
  CS_ASSERT_STR_CONTAINS(jobs.v[0].key, "_round_robin_");
  CS_ASSERT_STR_CONTAINS(jobs.v[0].key, "_searchqps_q2.5_reqs100");
  CS_ASSERT_STR_CONTAINS(jobs.v[2].key, "_searchnum_replicas_r1_reqs100");
  /* tp 8 on a 4-GPU node is kept, marked infeasible with its reason */
  CS_ASSERT_INT_EQ(jobs.v[1].tp, 8);
  CS_ASSERT_INT_EQ(jobs.v[1].status, CS_JOB_INFEASIBLE);
  CS_ASSERT_STR_CONTAINS(jobs.v[1].reason, "gpus_per_node 4");
  CS_ASSERT_INT_EQ(jobs.v[0].status, CS_JOB_PENDING);
  cs_sweep_jobs_release(&jobs);
  cs_sweep_free(s);
}

static void test_duplicate_entries_giving_one_key_are_refused(void) {
  cs_sweep *s = load_text(
      "clusters: [{device: h100, network_device: h100_dgx, gpus_per_node: 4}]\n"
      "global_schedulers: [{scheduler: round_robin}, {scheduler: round_robin}]\n"
      "request_queues: [{name: fcfs, provider: fcfs}]\n"
      "replica_schedulers: [{scheduler: vllm_v1, chunk_size: 512}]\n"
      "slo_configs: [{name: s, type: and, quantile: 0.99, slos: [{metric: prefill_e2e_time, value: 10}]}]\n"
      "traces: [{name: t, trace_file: t.csv, max_seq_len: 4096, enable_prefix_caching: false}]\n"
      "batch_sizes: [64]\ntp_dimensions: [1]\npp_dimensions: [1]\n"
      "models: [{name: m, identifier: x}]\n"
      "search_configs: [{trace: t, model: m, search_for: qps, num_replicas: 2, qps: 1, num_requests: 10}]\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  cs_sweep_jobs jobs = {0};
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_sweep_expand(s, &jobs, &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "same key");
  cs_sweep_free(s);
}

static void test_entries_differing_in_other_parameters_get_distinct_jobs(void) {
  cs_sweep *s = load_text(
      "clusters: [{device: h100, network_device: h100_dgx, gpus_per_node: 4}]\n"
      "global_schedulers: [{scheduler: random, seed: 1}, {scheduler: random, seed: 2}]\n"
      "request_queues: [{name: fcfs, provider: fcfs}]\n"
      "replica_schedulers: [{scheduler: lightllm, max_waiting_iters: 10}, {scheduler: lightllm, max_waiting_iters: 20},\n"
      "                     {scheduler: vllm_v1, chunk_size: 512}]\n"
      "slo_configs: [{name: s, type: and, quantile: 0.99, slos: [{metric: prefill_e2e_time, value: 10}]}]\n"
      "traces: [{name: t, trace_file: t.csv, max_seq_len: 4096, enable_prefix_caching: false}]\n"
      "batch_sizes: [64]\ntp_dimensions: [1]\npp_dimensions: [1]\n"
      "models: [{name: m, identifier: x}]\n"
      "search_configs: [{trace: t, model: m, search_for: num_replicas, num_replicas: 2, qps: 1, num_requests: 10}]\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  cs_sweep_jobs jobs = {0};
  cs_err err = {0};
  CS_ASSERT_OK(cs_sweep_expand(s, &jobs, &err), &err);
  CS_ASSERT_INT_EQ(jobs.n, 6);
  /* Vidur's key has chunk_size: that entry keeps Vidur's key exactly */
  CU_ASSERT_PTR_NOT_NULL(by_key(&jobs, "m_t_tk4096_h100_dgx_random_seed1_fcfs_vllm_v1_cs512_tp1_pp1_bsz64_slos_search"
                                       "num_replicas_r2_reqs10"));
  CU_ASSERT_PTR_NOT_NULL(by_key(&jobs, "m_t_tk4096_h100_dgx_random_seed2_fcfs_lightllm_max_waiting_iters20_tp1_pp1_"
                                       "bsz64_slos_searchnum_replicas_r2_reqs10"));
  for (size_t a = 0; a < jobs.n; a++)
    for (size_t b = a + 1; b < jobs.n; b++) CU_ASSERT_STRING_NOT_EQUAL(jobs.v[a].hash, jobs.v[b].hash);
  cs_sweep_jobs_release(&jobs);
  cs_sweep_free(s);
}

/* Vidur's search key has no num_replicas for a qps search and no qps for a num_replicas one:
 * searches differing only there got one key and the sweep was refused as a duplicate. */
static void test_searches_differing_only_outside_vidurs_key_get_distinct_jobs(void) {
  cs_sweep *s = load_text(
      "clusters: [{device: h100, network_device: h100_dgx, gpus_per_node: 4}]\n"
      "global_schedulers: [{scheduler: round_robin}]\n"
      "request_queues: [{name: fcfs, provider: fcfs}]\n"
      "replica_schedulers: [{scheduler: vllm_v1, chunk_size: 512}]\n"
      "slo_configs: [{name: s, type: and, quantile: 0.99, slos: [{metric: prefill_e2e_time, value: 10}]}]\n"
      "traces: [{name: t, trace_file: t.csv, max_seq_len: 4096, enable_prefix_caching: false}]\n"
      "batch_sizes: [64]\ntp_dimensions: [1]\npp_dimensions: [1]\n"
      "models: [{name: m, identifier: x}]\n"
      "search_configs:\n"
      "  - {trace: t, model: m, search_for: qps, num_replicas: 2, qps: 1, num_requests: 10}\n"
      "  - {trace: t, model: m, search_for: qps, num_replicas: 4, qps: 1, num_requests: 10}\n"
      "  - {trace: t, model: m, search_for: qps, num_replicas: 4, qps: 2, num_requests: 10}\n"
      "  - {trace: t, model: m, search_for: num_replicas, num_replicas: 2, qps: 1, num_requests: 10}\n"
      "  - {trace: t, model: m, search_for: num_replicas, num_replicas: 2, qps: 3.5, num_requests: 10}\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  cs_sweep_jobs jobs = {0};
  cs_err err = {0};
  CS_ASSERT_OK(cs_sweep_expand(s, &jobs, &err), &err);
  CS_ASSERT_INT_EQ(jobs.n, 5);
  const char *head = "m_t_tk4096_h100_dgx_round_robin_fcfs_vllm_v1_cs512_tp1_pp1_bsz64_slos_search";
  const char *want[] = {"qps_q1_reqs10_r2", "qps_q1_reqs10_r4", "qps_q2_reqs10", "num_replicas_r2_reqs10_q1",
                        "num_replicas_r2_reqs10_q3.5"};
  for (int i = 0; i < 5; i++) {
    char key[256];
    snprintf(key, sizeof key, "%s%s", head, want[i]);
    CU_ASSERT_PTR_NOT_NULL(by_key(&jobs, key));
  }
  cs_sweep_jobs_release(&jobs);
  cs_sweep_free(s);
}

static const cs_test_case cases[] = {
    {"test_searches_differing_only_outside_vidurs_key_get_distinct_jobs",
     test_searches_differing_only_outside_vidurs_key_get_distinct_jobs},
    {"test_entries_differing_in_other_parameters_get_distinct_jobs",
     test_entries_differing_in_other_parameters_get_distinct_jobs},
    {"test_seed_sweep_expands_to_336_jobs_with_vidur_hashes", test_seed_sweep_expands_to_336_jobs_with_vidur_hashes},
    {"test_tolerance_factor_keeps_its_float_text_in_the_key", test_tolerance_factor_keeps_its_float_text_in_the_key},
    {"test_one_replica_qps_search_keeps_only_round_robin", test_one_replica_qps_search_keeps_only_round_robin},
    {"test_duplicate_entries_giving_one_key_are_refused", test_duplicate_entries_giving_one_key_are_refused},
    {NULL, NULL}};

int main(void) { return cs_test_run("sweep_expand", cases); }
