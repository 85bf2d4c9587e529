/* The runner's plan: feasibility checks of SPEC §3 (memory, heads, layers, node size) keep
 * infeasible jobs with their reasons; the --shard split covers every job exactly once and
 * balances estimated cost; job.json carries every key part with a versioned header. */
#include <math.h>
#include <stdlib.h>

#include "cs_test.h"
#include "runner/runner.h"
#include "util/yaml.h"

static char dir[512];

/* The plan of sweep `text` with the options o (config_path and catalog_dir are set here). */
static int plan_with(const char *text, cs__runner_opts *o, cs__plan *plan, cs_err *err) {
  static char path[700], cat[700];
  snprintf(path, sizeof path, "%s/t.csv", dir);
  cs_test_write(path, "num_prefill_tokens,num_decode_tokens\n100,10\n");
  snprintf(path, sizeof path, "%s/s.yml", dir);
  cs_test_write(path, text);
  o->config_path = path;
  o->catalog_dir = cs_test_source("configs", cat, sizeof cat);
  return cs__plan_load(o, plan, err);
}

static int plan_for(const char *text, cs__plan *plan, int shard_i, int shard_n, cs_err *err) {
  cs__runner_opts o;
  cs_run_opts_defaults(&o);
  o.shard_i = shard_i;
  o.shard_n = shard_n;
  return plan_with(text, &o, plan, err);
}

#define HEAD                                                                                          \
  "clusters: [{device: h100, network_device: h100_dgx, gpus_per_node: 8}]\n"                         \
  "global_schedulers: [{scheduler: round_robin}, {scheduler: lor}]\n"                                 \
  "request_queues: [{name: fcfs, provider: fcfs}]\n"                                                  \
  "replica_schedulers: [{scheduler: vllm_v1, chunk_size: 512}]\n"                                     \
  "slo_configs: [{name: s, type: and, quantile: 0.99, slos: [{metric: prefill_e2e_time, value: 10}]}]\n" \
  "traces: [{name: t, trace_file: t.csv, max_seq_len: 8192, enable_prefix_caching: false}]\n"         \
  "batch_sizes: [64]\n"

static const cs_sweep_job *find(const cs__plan *p, const char *model, int tp, int pp) {
  for (size_t i = 0; i < p->jobs.n; i++) {
    const cs_sweep_job *j = &p->jobs.v[i];
    if (!strcmp(p->sweep->models[j->model].name, model) && j->tp == tp && j->pp == pp) return j;
  }
  return NULL;
}

static void test_infeasible_jobs_are_kept_with_their_reason(void) {
  cs__plan p;
  cs_err err = {0};
  CS_ASSERT_OK(plan_for(HEAD "tp_dimensions: [1, 3, 16]\npp_dimensions: [1, 3]\n"
                             "models: [{name: small, identifier: meta-llama/Meta-Llama-3-8B},"
                             " {name: huge, identifier: meta-llama/Llama-3.1-405B}]\n"
                             "search_configs:\n"
                             "  - {trace: t, model: small, search_for: qps, num_replicas: 2, qps: 1, num_requests: 10}\n"
                             "  - {trace: t, model: huge, search_for: qps, num_replicas: 2, qps: 1, num_requests: 10}\n",
                        &p, 0, 0, &err),
               &err);
  CS_ASSERT_INT_EQ(p.jobs.n, 24); /* 2 searches x 2 routers x 3 tp x 2 pp */
  const cs_sweep_job *ok = find(&p, "small", 1, 1), *heads = find(&p, "small", 3, 1), *layers = find(&p, "small", 1, 3),
                     *node = find(&p, "small", 16, 1), *mem = find(&p, "huge", 1, 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ok);
  CU_ASSERT_PTR_NOT_NULL_FATAL(mem);
  CS_ASSERT_INT_EQ(ok->status, CS_JOB_PENDING);
  CS_ASSERT_INT_EQ(heads->status, CS_JOB_INFEASIBLE);
  CS_ASSERT_STR_CONTAINS(heads->reason, "does not divide the 32 attention heads");
  CS_ASSERT_INT_EQ(layers->status, CS_JOB_INFEASIBLE);
  CS_ASSERT_STR_CONTAINS(layers->reason, "does not divide the 32 layers");
  CS_ASSERT_INT_EQ(node->status, CS_JOB_INFEASIBLE);
  CS_ASSERT_STR_CONTAINS(node->reason, "gpus_per_node 8");
  CS_ASSERT_INT_EQ(mem->status, CS_JOB_INFEASIBLE);
  CS_ASSERT_STR_CONTAINS(mem->reason, "does not fit on h100 at tp 1 pp 1");
  CS_ASSERT_DBL_EQ(p.cost[mem->index], 0);
  CS_ASSERT_TRUE(p.cost[ok->index] > 0);
  /* job.json: format header and the job's parameters */
  cs__runner_opts o;
  cs_run_opts_defaults(&o);
  char *json = cs__job_json(&p, &o, mem);
  CS_ASSERT_STR_CONTAINS(json, "\"format\": \"capsearch-job\"");
  CS_ASSERT_STR_CONTAINS(json, "\"version\": 1");
  CS_ASSERT_STR_CONTAINS(json, "\"model_identifier\": \"meta-llama/Llama-3.1-405B\"");
  CS_ASSERT_STR_CONTAINS(json, "\"network_device\": \"h100_dgx\"");
  CS_ASSERT_STR_CONTAINS(json, "\"num_gpus\": 2");
  CS_ASSERT_STR_CONTAINS(json, "\"infeasible\": ");
  free(json);
  cs__plan_release(&p);
}

/* Each trace file is parsed once per process and every job reads the same rows: jobs on one
 * trace and limit share one trace, and a second sweep trace naming the same file (another name
 * and limit) shares the parsed rows instead of loading them again. */
static void test_jobs_share_one_parsed_trace(void) {
  cs__plan p;
  cs_err err = {0};
  CS_ASSERT_OK(plan_for("clusters: [{device: h100, network_device: h100_dgx, gpus_per_node: 8}]\n"
                        "global_schedulers: [{scheduler: round_robin}, {scheduler: lor}]\n"
                        "request_queues: [{name: fcfs, provider: fcfs}]\n"
                        "replica_schedulers: [{scheduler: vllm_v1, chunk_size: 512}]\n"
                        "slo_configs: [{name: s, type: and, quantile: 0.99, slos: [{metric: prefill_e2e_time, value: 10}]}]\n"
                        "traces: [{name: t, trace_file: t.csv, max_seq_len: 8192, enable_prefix_caching: false},"
                        " {name: u, trace_file: t.csv, max_seq_len: 4096, enable_prefix_caching: false}]\n"
                        "batch_sizes: [64]\ntp_dimensions: [1]\npp_dimensions: [1]\n"
                        "models: [{name: small, identifier: meta-llama/Meta-Llama-3-8B}]\n"
                        "search_configs:\n"
                        "  - {trace: t, model: small, search_for: qps, num_replicas: 2, qps: 1, num_requests: 10}\n"
                        "  - {trace: u, model: small, search_for: qps, num_replicas: 2, qps: 1, num_requests: 10}\n",
                        &p, 0, 0, &err),
               &err);
  CS_ASSERT_INT_EQ(p.sweep->ntraces, 2);
  CU_ASSERT_PTR_NOT_NULL_FATAL(p.traces[0]);
  CU_ASSERT_PTR_EQUAL(p.traces[0], p.traces[1]);
  CS_ASSERT_INT_EQ(p.jobs.n, 4);
  const cs_trace *first = cs__plan_job_trace(&p, &p.jobs.v[0]);
  for (size_t i = 0; i < p.jobs.n; i++) CU_ASSERT_PTR_EQUAL(cs__plan_job_trace(&p, &p.jobs.v[i]), first);
  CS_ASSERT_INT_EQ(first->n, 1);
  cs__plan_release(&p);
}

static void test_shards_cover_every_job_once_and_balance_cost(void) {
  const char *text = HEAD "tp_dimensions: [1, 2, 4]\npp_dimensions: [1]\n"
                          "models: [{name: m, identifier: meta-llama/Meta-Llama-3-8B}]\n"
                          "search_configs:\n"
                          "  - {trace: t, model: m, search_for: qps, num_replicas: 2, qps: 1, num_requests: 100}\n"
                          "  - {trace: t, model: m, search_for: qps, num_replicas: 8, qps: 1, num_requests: 300}\n"
                          "  - {trace: t, model: m, search_for: num_replicas, num_replicas: 4, qps: 1, num_requests: 50}\n";
  enum { N = 3 };
  cs__plan p[N];
  cs_err err = {0};
  for (int i = 0; i < N; i++) CS_ASSERT_OK(plan_for(text, &p[i], i, N, &err), &err);
  size_t n = p[0].jobs.n;
  CS_ASSERT_INT_EQ(n, 18);
  double load[N] = {0}, maxcost = 0, total = 0;
  for (size_t j = 0; j < n; j++) {
    int owners = 0;
    for (int i = 0; i < N; i++)
      if (p[i].selected[j]) {
        owners++;
        load[i] += p[i].cost[j];
      }
    CS_ASSERT_INT_EQ(owners, 1);
    if (p[0].cost[j] > maxcost) maxcost = p[0].cost[j];
    total += p[0].cost[j];
  }
  for (int i = 0; i < N; i++) CS_ASSERT_TRUE(load[i] <= total / N + maxcost);
  /* the same split again */
  cs__plan again;
  CS_ASSERT_OK(plan_for(text, &again, 1, N, &err), &err);
  for (size_t j = 0; j < n; j++) CS_ASSERT_INT_EQ(again.selected[j], p[1].selected[j]);
  cs__plan_release(&again);
  for (int i = 0; i < N; i++) cs__plan_release(&p[i]);
}

static void test_unknown_device_in_a_cluster_names_the_sweep_line(void) {
  cs__plan p;
  cs_err err = {0};
  int rc = plan_for("clusters: [{device: h10, network_device: h100_dgx, gpus_per_node: 8}]\n"
                    "global_schedulers: [{scheduler: round_robin}]\n"
                    "request_queues: [{name: fcfs, provider: fcfs}]\n"
                    "replica_schedulers: [{scheduler: vllm_v1, chunk_size: 512}]\n"
                    "slo_configs: [{name: s, type: and, quantile: 0.99, slos: [{metric: prefill_e2e_time, value: 10}]}]\n"
                    "traces: [{name: t, trace_file: t.csv, max_seq_len: 8192, enable_prefix_caching: false}]\n"
                    "batch_sizes: [64]\ntp_dimensions: [1]\npp_dimensions: [1]\n"
                    "models: [{name: m, identifier: meta-llama/Meta-Llama-3-8B}]\n"
                    "search_configs: [{trace: t, model: m, search_for: qps, num_replicas: 2, qps: 1, num_requests: 10}]\n",
                    &p, 0, 0, &err);
  CS_ASSERT_INT_NE(rc, 0);
  CS_ASSERT_STR_CONTAINS(err.msg, "s.yml:1: clusters[0].device");
  CS_ASSERT_STR_CONTAINS(err.msg, "h10");
  cs__plan_release(&p);
}

#define ONE_JOB                                                                     \
  HEAD "tp_dimensions: [1]\npp_dimensions: [1]\n"                                   \
       "models: [{name: small, identifier: meta-llama/Meta-Llama-3-8B}]\n"           \
       "search_configs:\n"                                                          \
       "  - {trace: t, model: small, search_for: qps, num_replicas: 2, qps: 1, num_requests: 10}\n"

/* config.json is written by the JSON writer: a time limit that is not a number is null (it was
 * pasted in as "nan", which no JSON reader accepts); a finite one keeps its %.17g bytes. */
static void test_config_json_is_valid_json_for_any_time_limit(void) {
  cs__plan p;
  cs__runner_opts o;
  cs_run_opts_defaults(&o);
  o.time_limit_s = NAN;
  cs_err err = {0};
  CS_ASSERT_OK(plan_with(ONE_JOB, &o, &p, &err), &err);
  CS_ASSERT_STR_CONTAINS(p.config_json, "\"run\": {\n    \"time_limit_min\": null,\n    \"seed\": ");
  cs__ydoc d;
  CS_ASSERT_OK(cs__ydoc_load_string(&d, "config.json", p.config_json, strlen(p.config_json), &err), &err);
  CS_ASSERT_TRUE(cs__y_is_null(cs__ymap_get(cs__ymap_get(d.root, "run"), "time_limit_min")));
  cs__ydoc_free(&d);
  cs__plan_release(&p);
  cs_run_opts_defaults(&o);
  o.time_limit_s = 6; /* 0.1 minutes */
  CS_ASSERT_OK(plan_with(ONE_JOB, &o, &p, &err), &err);
  CS_ASSERT_STR_CONTAINS(p.config_json, "\"time_limit_min\": 0.10000000000000001,\n");
  CS_ASSERT_TRUE(p.config_json[strlen(p.config_json) - 2] == '}');
  cs__plan_release(&p);
}

/* results.csv quotes as RFC 4180 says: a reason with a line break keeps it inside the quotes
 * (it was flattened to a space, so the file and the analysis tables disagreed). */
static void test_results_csv_keeps_line_breaks_inside_quotes(void) {
  cs__plan p;
  cs_err err = {0};
  CS_ASSERT_OK(plan_for(ONE_JOB, &p, 0, 0, &err), &err);
  CS_ASSERT_INT_EQ(p.jobs.n, 2);
  cs__job_result res[2] = {{.status = CS_JOB_FAILED, .sustained_qps = NAN}, {.status = CS_JOB_FAILED, .sustained_qps = NAN}};
  res[0].reason = "first line, \"quoted\"\nsecond line";
  res[1].reason = "plain";
  char *csv = cs__results_csv(&p, res);
  CS_ASSERT_STR_CONTAINS(csv, ",\"first line, \"\"quoted\"\"\nsecond line\",");
  CS_ASSERT_STR_CONTAINS(csv, ",plain,");
  free(csv);
  cs__plan_release(&p);
}

/* A probe key hashes job.json without the expansion index and the settings that only steer the
 * search; the store writes that text from the same record (it was cut out of job.json by string
 * surgery) and it must stay what the surgery made, or every committed probe would run again. */
static void test_probe_key_text_is_job_json_without_steering(void) {
  cs__plan p;
  cs__runner_opts o;
  cs_run_opts_defaults(&o);
  cs_err err = {0};
  CS_ASSERT_OK(plan_with(ONE_JOB, &o, &p, &err), &err);
  cs__runner_opts o2 = o;
  o2.max_iterations = 0;
  o2.granularity_pct = 0;
  o2.min_qps = 0;
  char *full = cs__job_json(&p, &o2, &p.jobs.v[1]);
  CS_ASSERT_STR_CONTAINS(full, "\n  \"index\": 1,\n");
  char *idx = strstr(full, "\n  \"index\": ");
  char *eol = strchr(idx + 1, '\n');
  memmove(idx, eol, strlen(eol) + 1);
  char *dec = cs__job_deciding_json(&p, &o, &p.jobs.v[1]);
  CS_ASSERT_STR_EQ(dec, full);
  free(dec);
  free(full);
  cs__plan_release(&p);
}

/* --dry-run's disk estimate against what the full seed sweep (`--keep-runs answers`) wrote:
 * the mean run-directory bytes of its 672 kept probes by size (from their probe.json file
 * lists), plus the list itself in probe.json (15,089 B kept against 591 B pruned, at 71 files
 * for 8 replicas, 95 for 16). The estimate was 200 B per request before, 27-35 % low. */
static void test_disk_estimate_matches_the_seed_sweeps_probes(void) {
  static const struct {
    int64_t requests;
    int replicas;
    double dir_bytes, files;
  } seen[] = {{12301, 8, 4030061, 71}, {12301, 16, 4464099, 95}, {23608, 8, 7279483, 71}, {23608, 16, 7725485, 95}};
  for (size_t i = 0; i < sizeof seen / sizeof *seen; i++) {
    cs__job_estimate e = {.requests = seen[i].requests, .max_probes = 10};
    cs__job_disk_estimate(&e, seen[i].replicas, false);
    double written = seen[i].dir_bytes + seen[i].files * (15089.0 - 591.0) / 83.0;
    CS_ASSERT_TRUE(fabs(e.probe_bytes / written - 1) < 0.03);
    CS_ASSERT_DBL_NEAR(e.disk_answers_bytes, 2 * e.probe_bytes + e.disk_none_bytes, 1e-6);
    CS_ASSERT_DBL_NEAR(e.disk_bytes, 10 * e.probe_bytes + e.disk_none_bytes, 1e-6);
    cs__job_estimate z = e;
    cs__job_disk_estimate(&z, seen[i].replicas, true); /* --compress: request_metrics.csv.gz */
    CS_ASSERT_TRUE(z.probe_bytes < e.probe_bytes);
  }
}

/* --dry-run's CPU estimate against the full seed sweep measured on the 2-core dev machine
 * (a5cb9bb, which simulates as e393167 does; 1,810 CPU-s in all): each job's simulation wall
 * plus 25 ms per probe taken, averaged over the 84 jobs of each size (2 models, 2 clusters, 7
 * routers, 2 chunk sizes, 3 SLOs that share simulations through the sibling memo). The traces
 * here have the seed's mean output lengths after clipping (257 / 123 tokens), so the old
 * estimate (1.2 us per output token: about 42 s a job, 4.0 h in all) is evaluated as on the seed. */
static void test_cpu_estimate_matches_the_seed_sweep(void) {
  static const struct {
    int64_t requests;
    int replicas;
    double cpu_s;
  } seen[] = {{12301, 8, 3.10}, {12301, 16, 5.13}, {23608, 8, 4.18}, {23608, 16, 9.27}};
  char path[700];
  snprintf(path, sizeof path, "%s/conv.csv", dir);
  cs_test_write(path, "num_prefill_tokens,num_decode_tokens\n3000,257\n");
  snprintf(path, sizeof path, "%s/tool.csv", dir);
  cs_test_write(path, "num_prefill_tokens,num_decode_tokens\n3000,123\n");
  const char *sweep =
      "clusters: [{device: h100, network_device: h100_dgx, gpus_per_node: 8}]\n"
      "global_schedulers: [{scheduler: round_robin}]\n"
      "request_queues: [{name: fcfs, provider: fcfs}]\n"
      "replica_schedulers: [{scheduler: vllm_v1, chunk_size: 512}]\n"
      "slo_configs: [{name: a, type: and, quantile: 0.99, slos: [{metric: prefill_e2e_time, value: 10}]},\n"
      "  {name: b, type: and, quantile: 0.99, slos: [{metric: request_e2e_time, value: 60}]},\n"
      "  {name: c, type: and, quantile: 0.99, slos: [{metric: prefill_e2e_time, value: 15}]}]\n"
      "traces: [{name: conv, trace_file: conv.csv, max_seq_len: 8192, enable_prefix_caching: true},\n"
      "  {name: tool, trace_file: tool.csv, max_seq_len: 8192, enable_prefix_caching: true}]\n"
      "batch_sizes: [512]\ntp_dimensions: [1]\npp_dimensions: [1]\n"
      "models: [{name: m, identifier: meta-llama/Meta-Llama-3-8B}]\n"
      "search_configs: [{trace: conv, model: m, search_for: qps, num_replicas: 8, qps: 4, num_requests: 12301},\n"
      "  {trace: conv, model: m, search_for: qps, num_replicas: 16, qps: 4, num_requests: 12301},\n"
      "  {trace: tool, model: m, search_for: qps, num_replicas: 8, qps: 4, num_requests: 23608},\n"
      "  {trace: tool, model: m, search_for: qps, num_replicas: 16, qps: 4, num_requests: 23608}]\n";
  snprintf(path, sizeof path, "%s/seed.yml", dir);
  cs_test_write(path, sweep);
  cs__runner_opts o;
  cs_run_opts_defaults(&o);
  static char cat[700];
  o.config_path = path;
  o.catalog_dir = cs_test_source("configs", cat, sizeof cat);
  cs__plan p;
  cs_err err = {0};
  CS_ASSERT_OK(cs__plan_load(&o, &p, &err), &err);
  CS_ASSERT_INT_EQ(p.jobs.n, 12);
  double est = 0, measured = 0;
  for (size_t i = 0; i < p.jobs.n; i++) {
    const cs_sweep_job *j = &p.jobs.v[i];
    cs__job_estimate e;
    cs_plan_job_estimate(&p, &o, j, &e);
    CS_ASSERT_INT_EQ(e.max_probes, 10);
    CS_ASSERT_INT_EQ(e.siblings, 3);
    for (size_t k = 0; k < sizeof seen / sizeof *seen; k++)
      if (seen[k].requests == e.requests && seen[k].replicas == j->num_replicas) {
        CS_ASSERT_TRUE(fabs(e.cpu_s / seen[k].cpu_s - 1) < 0.25);
        measured += 84 * seen[k].cpu_s / 3;
      }
    est += 84 * e.cpu_s / 3;
    /* the memo's saving and early stopping are counted: alone, or with --full-probes, costs more */
    cs__job_estimate alone = e;
    alone.siblings = 1;
    cs__job_cpu_estimate(&alone, j->num_replicas, false);
    CS_ASSERT_TRUE(alone.cpu_s > e.cpu_s);
    cs__job_estimate full = e;
    cs__job_cpu_estimate(&full, j->num_replicas, true);
    CS_ASSERT_TRUE(full.cpu_s > e.cpu_s);
  }
  CS_ASSERT_DBL_NEAR(measured, 1810, 20); /* the table is the sweep's */
  CS_ASSERT_TRUE(fabs(est / measured - 1) < 0.05);
  cs__plan_release(&p);
}

static const cs_test_case cases[] = {
    {"test_jobs_share_one_parsed_trace", test_jobs_share_one_parsed_trace},
    {"test_infeasible_jobs_are_kept_with_their_reason", test_infeasible_jobs_are_kept_with_their_reason},
    {"test_shards_cover_every_job_once_and_balance_cost", test_shards_cover_every_job_once_and_balance_cost},
    {"test_unknown_device_in_a_cluster_names_the_sweep_line", test_unknown_device_in_a_cluster_names_the_sweep_line},
    {"test_config_json_is_valid_json_for_any_time_limit", test_config_json_is_valid_json_for_any_time_limit},
    {"test_results_csv_keeps_line_breaks_inside_quotes", test_results_csv_keeps_line_breaks_inside_quotes},
    {"test_probe_key_text_is_job_json_without_steering", test_probe_key_text_is_job_json_without_steering},
    {"test_disk_estimate_matches_the_seed_sweeps_probes", test_disk_estimate_matches_the_seed_sweeps_probes},
    {"test_cpu_estimate_matches_the_seed_sweep", test_cpu_estimate_matches_the_seed_sweep},
    {NULL, NULL}};

int main(void) {
  cs_test_tmpdir(dir, sizeof dir);
  return cs_test_run("runner", cases);
}
