/* The sweep file's `disaggregation` section: parsing (errors with file:line:col), expansion
 * (disaggregated jobs after the unchanged aggregated ones, their keys, feasibility by
 * gpus_per_node) and num_replicas searches getting none. */
#include <stdlib.h>
#include <string.h>

#include "capsearch/sweep.h"
#include "cs_test.h"

static int load_text(const char *text, cs_sweep **s, cs_err *err) {
  char dir[512], path[1024];
  cs_test_tmpdir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/t.csv", dir);
  cs_test_write(path, "num_prefill_tokens,num_decode_tokens\n10,10\n");
  snprintf(path, sizeof path, "%s/s.yml", dir);
  cs_test_write(path, text);
  return cs_sweep_load(path, s, err);
}

#define HEAD                                                                                       \
  "clusters: [{device: h100, network_device: h100_dgx, gpus_per_node: 4}]\n"                      \
  "global_schedulers: [{scheduler: round_robin}, {scheduler: lor}]\n"                              \
  "request_queues: [{name: fcfs, provider: fcfs}]\n"                                               \
  "replica_schedulers: [{scheduler: vllm_v1, chunk_size: 512}]\n"                                  \
  "slo_configs: [{name: s, type: and, quantile: 0.99, slos: [{metric: prefill_e2e_time, value: 10}]}]\n" \
  "traces: [{name: t, trace_file: t.csv, max_seq_len: 4096, enable_prefix_caching: false}]\n"      \
  "batch_sizes: [64]\n"                                                                            \
  "tp_dimensions: [1, 2]\n"                                                                        \
  "pp_dimensions: [1]\n"                                                                           \
  "models: [{name: m, identifier: meta-llama/Meta-Llama-3-8B}]\n"
#define QPS_SEARCH "search_configs: [{trace: t, model: m, search_for: qps, num_replicas: 2, qps: 1, num_requests: 10}]\n"
#define SHAPES                                                                                     \
  "disaggregation:\n"                                                                              \
  "  - name: a\n"                                                                                  \
  "    prefill: {tp: 1}\n"                                                                         \
  "    decode: {tp: 2, pp: 1}\n"                                                                   \
  "    ratios: [[1, 1], [1, 3]]\n"                                                                 \
  "  - prefill: {tp: 2}\n"                                                                         \
  "    decode: {tp: 8}\n"                                                                          \
  "    ratios: [[2, 1]]\n"                                                                         \
  "    kv_placement: inter_node\n"

static void test_disaggregated_jobs_follow_unchanged_aggregated_ones(void) {
  cs_sweep *plain = NULL, *s = NULL;
  cs_err err = {0};
  CS_ASSERT_OK(load_text(HEAD QPS_SEARCH, &plain, &err), &err);
  CS_ASSERT_OK(load_text(HEAD QPS_SEARCH SHAPES, &s, &err), &err);
  cs_sweep_jobs a = {0}, b = {0};
  CS_ASSERT_OK(cs_sweep_expand(plain, &a, &err), &err);
  CS_ASSERT_OK(cs_sweep_expand(s, &b, &err), &err);
  CS_ASSERT_INT_EQ(a.n, 4);              /* 2 routers x 2 tp */
  CS_ASSERT_INT_EQ(b.n, 4 + 2 * (2 + 1)); /* + 2 routers x 3 ratios */
  for (size_t i = 0; i < a.n && i < b.n; i++) {
    CS_ASSERT_STR_EQ(a.v[i].hash, b.v[i].hash);
    CS_ASSERT_TRUE(!b.v[i].disagg);
  }
  const cs_sweep_job *j = &b.v[5]; /* first router: shape a 1P1D (4), shape a 1P3D (5), shape 2 (6) */
  CS_ASSERT_TRUE(j->disagg);
  CS_ASSERT_INT_EQ(j->prefill_replicas, 1);
  CS_ASSERT_INT_EQ(j->decode_replicas, 3);
  CS_ASSERT_INT_EQ(j->num_replicas, 4);
  CS_ASSERT_INT_EQ(j->tp, 1);
  CS_ASSERT_INT_EQ(j->decode_tp, 2);
  CS_ASSERT_STR_CONTAINS(j->key, "_searchqps_q1_reqs10_disagg1p_tp1_pp1_3d_tp2_pp1");
  CS_ASSERT_INT_EQ(j->status, CS_JOB_PENDING);
  j = &b.v[6]; /* the second shape: decode TP8 > 4 GPUs per node */
  CS_ASSERT_TRUE(j->disagg);
  CS_ASSERT_INT_EQ(j->shape, 1);
  CS_ASSERT_INT_EQ(j->status, CS_JOB_INFEASIBLE);
  CS_ASSERT_STR_CONTAINS(j->reason, "tp 8 > gpus_per_node 4");
  CS_ASSERT_STR_EQ(s->disagg[1].name, "p2x1-d8x1");
  CS_ASSERT_INT_EQ(s->disagg[1].placement, 2);
  char *js = cs_sweep_to_json(s);
  CS_ASSERT_STR_CONTAINS(js, "\"disaggregation\"");
  free(js);
  cs_sweep_jobs_release(&a);
  cs_sweep_jobs_release(&b);
  cs_sweep_free(plain);
  cs_sweep_free(s);
}

static void test_num_replicas_search_gets_no_disaggregated_jobs(void) {
  cs_sweep *s = NULL;
  cs_err err = {0};
  CS_ASSERT_OK(load_text(HEAD "search_configs: [{trace: t, model: m, search_for: num_replicas, num_replicas: 2, qps: 1, "
                              "num_requests: 10}]\n" SHAPES,
                         &s, &err),
               &err);
  cs_sweep_jobs b = {0};
  CS_ASSERT_OK(cs_sweep_expand(s, &b, &err), &err);
  CS_ASSERT_INT_EQ(b.n, 4);
  cs_sweep_jobs_release(&b);
  cs_sweep_free(s);
}

static void test_bad_sections_name_the_place(void) {
  cs_sweep *s = NULL;
  cs_err err = {0};
  CS_ASSERT_INT_NE(load_text(HEAD QPS_SEARCH "disaggregation:\n  - prefill: {tp: 1}\n    decode: {tp: 1}\n"
                                             "    ratios: [[1, 1], [3]]\n",
                             &s, &err),
                   0);
  CS_ASSERT_STR_CONTAINS(err.msg, "s.yml:15:22:");
  CS_ASSERT_STR_CONTAINS(err.msg, "disaggregation[0].ratios[1]: expected [prefill replicas, decode replicas]");
  CS_ASSERT_INT_NE(load_text(HEAD QPS_SEARCH "disaggregation:\n  - prefill: {tp: 1}\n    decode: {tp: 1}\n"
                                             "    ratio: [[1, 1]]\n",
                             &s, &err),
                   0);
  CS_ASSERT_STR_CONTAINS(err.msg, "ratio");
  CS_ASSERT_INT_NE(load_text(HEAD QPS_SEARCH "disaggregation:\n  - prefill: {tp: 0}\n    decode: {tp: 1}\n"
                                             "    ratios: [[1, 1]]\n",
                             &s, &err),
                   0);
  CS_ASSERT_STR_CONTAINS(err.msg, "disaggregation[0].prefill.tp: expected a positive value");
  CS_ASSERT_INT_NE(load_text(HEAD QPS_SEARCH "disaggregation:\n  - prefill: {tp: 1}\n    decode: {tp: 1}\n"
                                             "    ratios: [[1, 1]]\n    kv_placement: nvlink\n",
                             &s, &err),
                   0);
  CS_ASSERT_STR_CONTAINS(err.msg, "expected auto, intra_node or inter_node, got 'nvlink'");
}

/* ep_dimensions (docs/disaggregation.md): each aggregated job once per EP size, EP innermost in
 * the file's order; ep 1 keeps the job's key and hash, ep 8 adds "_ep8"; disaggregated jobs get
 * no EP and keep their keys; the job count counts EP; config.json names the list only when given. */
static void test_ep_dimensions_nest_innermost_and_keep_ep1_keys(void) {
  cs_sweep *plain = NULL, *dis = NULL, *s = NULL;
  cs_err err = {0};
  CS_ASSERT_OK(load_text(HEAD QPS_SEARCH, &plain, &err), &err);
  CS_ASSERT_OK(load_text(HEAD QPS_SEARCH SHAPES, &dis, &err), &err);
  CS_ASSERT_OK(load_text(HEAD QPS_SEARCH "ep_dimensions: [8, 1]\n" SHAPES, &s, &err), &err);
  cs_sweep_jobs a = {0}, d = {0}, b = {0};
  CS_ASSERT_OK(cs_sweep_expand(plain, &a, &err), &err);
  CS_ASSERT_OK(cs_sweep_expand(dis, &d, &err), &err);
  CS_ASSERT_OK(cs_sweep_expand(s, &b, &err), &err);
  CS_ASSERT_INT_EQ(b.n, 2 * 4 + 6);
  CS_ASSERT_DBL_EQ(cs_sweep_count_jobs(s), 2 * 4);      /* the aggregated ones */
  CS_ASSERT_DBL_EQ(cs_sweep_count_jobs(plain), 4);
  for (size_t i = 0; i < a.n && 2 * i + 1 < b.n; i++) {
    const cs_sweep_job *e8 = &b.v[2 * i], *e1 = &b.v[2 * i + 1];
    CS_ASSERT_INT_EQ(e8->ep, 8);
    CS_ASSERT_INT_EQ(e8->index, 2 * i);
    CS_ASSERT_INT_EQ(e8->tp, a.v[i].tp);
    CS_ASSERT_INT_EQ(strlen(e8->key), strlen(a.v[i].key) + 4);
    CS_ASSERT_TRUE(!strncmp(e8->key, a.v[i].key, strlen(a.v[i].key)) && !strcmp(e8->key + strlen(a.v[i].key), "_ep8"));
    CS_ASSERT_INT_EQ(e1->ep, 0);
    CS_ASSERT_INT_EQ(e1->index, 2 * i + 1);
    CS_ASSERT_STR_EQ(e1->hash, a.v[i].hash);
  }
  for (size_t i = 4; i < d.n && i + 4 < b.n; i++) { /* the disaggregated jobs, unchanged */
    CS_ASSERT_TRUE(b.v[i + 4].disagg);
    CS_ASSERT_INT_EQ(b.v[i + 4].ep, 0);
    CS_ASSERT_STR_EQ(b.v[i + 4].hash, d.v[i].hash);
  }
  char *js = cs_sweep_to_json(s), *jp = cs_sweep_to_json(plain);
  CS_ASSERT_STR_CONTAINS(js, "\"ep_dimensions\"");
  CS_ASSERT_TRUE(!strstr(jp, "ep_dimensions"));
  free(js);
  free(jp);
  cs_sweep *bad = NULL;
  CS_ASSERT_INT_NE(load_text(HEAD QPS_SEARCH "ep_dimensions: [0]\n", &bad, &err), 0);
  CS_ASSERT_STR_CONTAINS(err.msg, "ep_dimensions[0]");
  CS_ASSERT_INT_NE(load_text(HEAD QPS_SEARCH "ep_dimensions: []\n", &bad, &err), 0);
  CS_ASSERT_STR_CONTAINS(err.msg, "ep_dimensions");
  cs_sweep_jobs_release(&a);
  cs_sweep_jobs_release(&d);
  cs_sweep_jobs_release(&b);
  cs_sweep_free(plain);
  cs_sweep_free(dis);
  cs_sweep_free(s);
}

static const cs_test_case cases[] = {
    {"test_disaggregated_jobs_follow_unchanged_aggregated_ones", test_disaggregated_jobs_follow_unchanged_aggregated_ones},
    {"test_num_replicas_search_gets_no_disaggregated_jobs", test_num_replicas_search_gets_no_disaggregated_jobs},
    {"test_bad_sections_name_the_place", test_bad_sections_name_the_place},
    {"test_ep_dimensions_nest_innermost_and_keep_ep1_keys", test_ep_dimensions_nest_innermost_and_keep_ep1_keys},
    {NULL, NULL}};

int main(void) { return cs_test_run("sweep_disagg", cases); }
