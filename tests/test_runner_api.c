/* The public run API (capsearch/run.h), used as the command-line program uses it: this file
 * includes no internal header. A plan that fails to load leaves nothing to free and names the
 * sweep line; a loaded plan's accessors describe its jobs, trace views and estimates; --shard
 * splits the jobs between processes; the run record (args.json, output.log) adds up the wall
 * time over resumes and keeps the log's other lines. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capsearch/run.h"
#include "cs_test.h"

static char dir[512];
static char sweep_path[700], cat[700];

/* Loads sweep `text` (with a one-row trace t.csv beside it) through the public API. */
static int load(const char *text, cs_run_opts *o, cs_plan **plan, cs_err *err) {
  char path[700];
  snprintf(path, sizeof path, "%s/t.csv", dir);
  cs_test_write(path, "num_prefill_tokens,num_decode_tokens\n100,10\n");
  snprintf(sweep_path, sizeof sweep_path, "%s/s.yml", dir);
  cs_test_write(sweep_path, text);
  o->config_path = sweep_path;
  o->catalog_dir = cs_test_source("configs", cat, sizeof cat);
  return cs_plan_load(o, plan, err);
}

#define SWEEP(device)                                                                                 \
  "clusters: [{device: " device ", network_device: h100_dgx, gpus_per_node: 8}]\n"                    \
  "global_schedulers: [{scheduler: round_robin}, {scheduler: lor}]\n"                                 \
  "request_queues: [{name: fcfs, provider: fcfs}]\n"                                                  \
  "replica_schedulers: [{scheduler: vllm_v1, chunk_size: 512}]\n"                                     \
  "slo_configs: [{name: s, type: and, quantile: 0.99, slos: [{metric: prefill_e2e_time, value: 10}]}]\n" \
  "traces: [{name: t, trace_file: t.csv, max_seq_len: 8192, enable_prefix_caching: false}]\n"         \
  "batch_sizes: [64]\ntp_dimensions: [1, 2]\npp_dimensions: [1]\n"                                    \
  "models: [{name: small, identifier: meta-llama/Meta-Llama-3-8B}]\n"                                 \
  "search_configs: [{trace: t, model: small, search_for: qps, num_replicas: 2, qps: 1, num_requests: 10}]\n"

static void test_a_plan_that_fails_to_load_is_null_and_names_the_line(void) {
  cs_run_opts o;
  cs_run_opts_defaults(&o);
  cs_plan *p = (cs_plan *)&o; /* must be overwritten */
  cs_err err = {0};
  CS_ASSERT_INT_NE(load(SWEEP("h10"), &o, &p, &err), 0);
  CS_ASSERT_TRUE(p == NULL);
  CS_ASSERT_STR_CONTAINS(err.msg, "s.yml:1: clusters[0].device");
  cs_plan_free(p); /* NULL: a no-op */
}

static void test_the_accessors_describe_jobs_views_and_estimates(void) {
  cs_run_opts o;
  cs_run_opts_defaults(&o);
  cs_plan *p = NULL;
  cs_err err = {0};
  CS_ASSERT_OK(load(SWEEP("h100"), &o, &p, &err), &err);
  if (!p) return;
  const cs_sweep *s = cs_plan_sweep(p);
  const cs_sweep_jobs *jobs = cs_plan_jobs(p);
  CS_ASSERT_INT_EQ(s->ntraces, 1);
  CS_ASSERT_INT_EQ(jobs->n, 4); /* 2 routers x 2 tp */
  CS_ASSERT_INT_EQ(cs_plan_trace(p, 0)->n, 1);
  CS_ASSERT_TRUE(cs_plan_nviews(p) >= 1);
  for (size_t i = 0; i < jobs->n; i++) {
    const cs_sweep_job *j = &jobs->v[i];
    CS_ASSERT_TRUE(cs_plan_job_selected(p, i));
    size_t k = cs_plan_job_view(p, i);
    CS_ASSERT_TRUE(k < cs_plan_nviews(p));
    const cs_trace_view *v = cs_plan_view(p, k);
    CS_ASSERT_INT_EQ(v->trace, 0);
    CS_ASSERT_INT_EQ(v->limit, 8192); /* max_seq_len binds: Llama-3-8B's context is 8192 too */
    CS_ASSERT_INT_EQ(v->st.overlong, 0);
    CS_ASSERT_INT_EQ(cs_plan_job_gpus(p, j, 3), 3 * j->tp * j->pp);
    cs_job_estimate e;
    cs_plan_job_estimate(p, &o, j, &e);
    CS_ASSERT_INT_EQ(e.requests, 10);
    CS_ASSERT_TRUE(e.max_probes > 0 && e.max_probes <= o.max_iterations + 2);
    CS_ASSERT_DBL_NEAR(e.window_s, 10.0 / e.first_qps, 1e-12);
    /* 10 requests on the job's 2 replicas, one stage; no sibling (one SLO), early stopping */
    CS_ASSERT_INT_EQ(e.siblings, 1);
    CS_ASSERT_DBL_NEAR(e.cpu_s,
                       e.max_probes * (CS_EST_CPU_S_PER_PROBE + 2 * CS_EST_CPU_S_PER_REPLICA +
                                       CS_EST_SIMULATED_SHARE * 10.0 * 2 * CS_EST_CPU_S_PER_REQUEST_REPLICA),
                       1e-12);
  }
  cs_plan_free(p);
}

static void test_shards_split_the_jobs_between_processes(void) {
  int runs[4] = {0};
  for (int i = 0; i < 2; i++) {
    cs_run_opts o;
    cs_run_opts_defaults(&o);
    o.shard_i = i;
    o.shard_n = 2;
    cs_plan *p = NULL;
    cs_err err = {0};
    CS_ASSERT_OK(load(SWEEP("h100"), &o, &p, &err), &err);
    if (!p) return;
    int mine = 0;
    for (size_t j = 0; j < cs_plan_jobs(p)->n && j < 4; j++)
      if (cs_plan_job_selected(p, j)) runs[j]++, mine++;
    CS_ASSERT_INT_EQ(mine, 2);
    cs_plan_free(p);
  }
  for (int j = 0; j < 4; j++) CS_ASSERT_INT_EQ(runs[j], 1);
}

static void test_the_run_record_adds_up_wall_time_and_keeps_the_log(void) {
  char out[700], log[760], args[760];
  snprintf(out, sizeof out, "%s/out", dir);
  mkdir(out, 0755);
  snprintf(log, sizeof log, "%s/output.log", out);
  snprintf(args, sizeof args, "%s/args.json", out);
  cs_test_write(log, "rank 1: 3 jobs\nSimulation took time: 1.500\n");
  cs_run_opts o;
  cs_run_opts_defaults(&o);
  o.config_path = "s.yml";
  o.out_dir = out;
  cs_run_summary sum = {.jobs = 4, .probes_run = 7, .wall_s = 2.25};
  cs_run_write_record(&o, "9.9.9", &sum);
  sum.wall_s = 1;
  cs_run_write_record(&o, "9.9.9", &sum);
  char *text = cs_test_read(log, NULL);
  CS_ASSERT_TRUE(text != NULL);
  if (!text) return;
  CS_ASSERT_STR_EQ(text, "rank 1: 3 jobs\ncapsearch: 4 jobs, 7 probes simulated in this run\n"
                         "capsearch: 4 jobs, 7 probes simulated in this run\nSimulation took time: 4.750\n");
  free(text);
  text = cs_test_read(args, NULL);
  CS_ASSERT_TRUE(text != NULL);
  if (!text) return;
  CS_ASSERT_STR_CONTAINS(text, "\"sweep_wall_s\": 1");
  CS_ASSERT_STR_CONTAINS(text, "\"capsearch_version\": \"9.9.9\"");
  free(text);
  /* while the run goes on, args.json has no wall time yet */
  char *now = cs_run_args_json(&o, "9.9.9", -1);
  CS_ASSERT_TRUE(now && strstr(now, "sweep_wall_s") == NULL);
  free(now);
}

static const cs_test_case cases[] = {
    {"test_a_plan_that_fails_to_load_is_null_and_names_the_line", test_a_plan_that_fails_to_load_is_null_and_names_the_line},
    {"test_the_accessors_describe_jobs_views_and_estimates", test_the_accessors_describe_jobs_views_and_estimates},
    {"test_shards_split_the_jobs_between_processes", test_shards_split_the_jobs_between_processes},
    {"test_the_run_record_adds_up_wall_time_and_keeps_the_log", test_the_run_record_adds_up_wall_time_and_keeps_the_log},
    {NULL, NULL}};

int main(void) {
  cs_test_tmpdir(dir, sizeof dir);
  return cs_test_run("runner", cases);
}
