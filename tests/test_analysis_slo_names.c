/* SLO metric names: analysis accepts exactly what a sweep file accepts, and resolves each to the
 * same metric (one resolver, cs_slo_metric_find). Checked through the real sweep parser
 * (cs_sweep_load) for every column name and alias of CS_REQUEST_METRICS and for names one
 * side or the other used to accept (Vidur's TBT proxy batch_execution_time, vLLM's itl). */
#include <stdlib.h>

#include "analysis/an_int.h"
#include "capsearch/sweep.h"
#include "cs_test.h"

static char dir[512];

static const char sweep_head[] =
    "clusters: [{device: h100, network_device: h100_dgx, gpus_per_node: 8}]\n"
    "global_schedulers: [{scheduler: round_robin}]\n"
    "request_queues: [{name: fcfs, provider: fcfs}]\n"
    "replica_schedulers: [{scheduler: vllm_v1, chunk_size: 512}]\n"
    "traces: [{name: t, trace_file: t.csv, max_seq_len: 4096, enable_prefix_caching: true}]\n"
    "batch_sizes: [64]\n"
    "tp_dimensions: [1]\n"
    "pp_dimensions: [1]\n"
    "models: [{name: m, identifier: meta-llama/Meta-Llama-3-8B}]\n"
    "search_configs: [{trace: t, model: m, search_for: qps, num_replicas: 1, qps: 1, num_requests: 10}]\n";

/* 0 and the metric when a sweep with `metric: <name>` loads; the error code otherwise. */
static int sweep_metric(const char *name, cs_rm *out) {
  char path[700], text[4096];
  snprintf(path, sizeof path, "%s/s.yml", dir);
  snprintf(text, sizeof text,
           "%sslo_configs: [{name: s, type: and, quantile: 0.9, slos: [{metric: \"%s\", value: 1}]}]\n", sweep_head,
           name);
  cs_test_write(path, text);
  cs_sweep *s = NULL;
  cs_err err = {0};
  int rc = cs_sweep_load(path, &s, &err);
  if (!rc) *out = s->slos[0].slos[0].metric;
  cs_sweep_free(s);
  return rc;
}

static void check_same(const char *name) {
  cs_rm sm = CS_RM_COUNT, am = CS_RM_COUNT;
  int src = sweep_metric(name, &sm);
  int arc = cs__an_slo_metric(name, &am, NULL);
  if ((src == 0) != (arc == 0) || (!src && sm != am))
    fprintf(stderr, "'%s': sweep %s (%d), analysis %s (%d)\n", name, src ? "refuses" : "accepts", (int)sm,
            arc ? "refuses" : "accepts", (int)am);
  CS_ASSERT_INT_EQ(src == 0, arc == 0);
  if (!src && !arc) CS_ASSERT_INT_EQ(sm, am);
}

static void test_sweep_and_analysis_accept_the_same_slo_metric_names(void) {
  cs_test_tmpdir(dir, sizeof dir);
  char csv[700];
  snprintf(csv, sizeof csv, "%s/t.csv", dir);
  cs_test_write(csv, "num_prefill_tokens,num_decode_tokens\n10,5\n");
  int accepted = 0;
  for (int m = 0; m < CS_RM_COUNT; m++) {
    check_same(cs_rm_name((cs_rm)m));
    for (const char *const *a = cs_rm_aliases((cs_rm)m); *a; a++) check_same(*a);
    cs_rm got;
    accepted += !sweep_metric(cs_rm_name((cs_rm)m), &got);
  }
  CS_ASSERT_INT_EQ(accepted, 15); /* the request time distributions */
  static const char *const other[] = {"ttft", "e2el", "sched_delay", "batch_execution_time", "itl", "TTFT",
                                      "request_num_tokens", "ttft_p99", ""};
  for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) check_same(other[i]);
}

/* A job whose SLO names batch_execution_time (no SLO metric for the sweep) gets no TBT target
 * from it: the bottleneck falls back to Vidur's default targets, as for any job without a TBT
 * SLO, instead of reading it as a TBT SLO. */
static void test_bottleneck_reads_slo_metrics_as_the_sweep_does(void) {
  cs__job j;
  memset(&j, 0, sizeof j);
  char rs[] = "vllm";
  for (int k = 0; k < CS__JF_COUNT; k++) j.f[k] = rs + 4; /* "" */
  j.f[CS__JF_RSCHED] = rs;
  j.batch_size = 100;
  j.pp = 1;
  j.have_slo = true;
  j.slo_quantile = 0.99;
  j.nslo = 1;
  j.slo[0].value = 0.1;
  cs__stats st;
  memset(&st, 0, sizeof st);
  st.busy_mean = 95;
  st.tbt_cdf.have = true;
  for (int i = 0; i < 101; i++) st.tbt_cdf.v[i] = i < 90 ? 0.02 : 0.15; /* above 80% of 0.1, under 0.2 */
  st.tbt_p25 = 0.02;
  strcpy(j.slo[0].metric, "tbt"); /* an alias of the TBT SLO metric: its target is 0.1 */
  CS_ASSERT_STR_CONTAINS(cs__an_bottleneck(&j, &st), "switch to chunked prefill");
  strcpy(j.slo[0].metric, "batch_execution_time"); /* not an SLO metric: Vidur's 0.2 s default */
  CS_ASSERT_STR_CONTAINS(cs__an_bottleneck(&j, &st), "none");
}

static const cs_test_case cases[] = {
    {"test_sweep_and_analysis_accept_the_same_slo_metric_names", test_sweep_and_analysis_accept_the_same_slo_metric_names},
    {"test_bottleneck_reads_slo_metrics_as_the_sweep_does", test_bottleneck_reads_slo_metrics_as_the_sweep_does},
    {NULL, NULL},
};

int main(void) { return cs_test_run("analysis_slo_names", cases); }
