/* analysis: costs, ranking, Pareto fronts, SLA gaps, bottleneck labels and robustness, on the
 * hand-made output directory tests/data/analysis/sweep (see make_fixture.py for its numbers). */
#include <stdlib.h>
#include <unistd.h>

#include "analysis/an_int.h"
#include "capsearch/analysis.h"
#include "cs_test.h"
#include "util/fs.h"

/* A private copy of the fixture (the analysis writes into OUT/analysis/). */
static const char *fixture_copy(char *buf, size_t size) {
  char src[1024], tmp[1024], cmd[4096];
  cs_test_source("tests/data/analysis/sweep", src, sizeof src);
  cs_test_tmpdir(tmp, sizeof tmp);
  snprintf(buf, size, "%s/out", tmp);
  snprintf(cmd, sizeof cmd, "cp -r '%s' '%s'", src, buf);
  if (system(cmd) != 0) return NULL;
  return buf;
}

static cs_analysis *load(const char *dir, const cs_analysis_opts *o) {
  cs_analysis *a = NULL;
  cs_err err = {0};
  CS_ASSERT_OK(cs_analysis_load(dir, o, &a, &err), &err);
  return a;
}

/* Row of a CSV whose columns `k1`/`k2` equal v1/v2; -1 when none. */
static long find_row(const cs__csv *c, const char *k1, const char *v1, const char *k2, const char *v2) {
  int c1 = cs__csv_col(c, k1), c2 = k2 ? cs__csv_col(c, k2) : -1;
  for (size_t r = 0; r < c->nrows; r++)
    if (!strcmp(cs__csv_str(c, r, c1), v1) && (!k2 || !strcmp(cs__csv_str(c, r, c2), v2))) return (long)r;
  return -1;
}

static double cell(const cs__csv *c, long row, const char *col) { return cs__csv_num(c, (size_t)row, cs__csv_col(c, col)); }
static const char *scell(const cs__csv *c, long row, const char *col) { return cs__csv_str(c, (size_t)row, cs__csv_col(c, col)); }

static void load_csv(const char *dir, const char *name, cs__csv *c) {
  char path[1200];
  cs_err err = {0};
  snprintf(path, sizeof path, "%s/analysis/%s", dir, name);
  CS_ASSERT_OK(cs__csv_load(path, c, &err), &err);
}

static void test_best_csv_has_known_qps_per_dollar_costs_and_ranks(void) {
  char dir[1100];
  if (!fixture_copy(dir, sizeof dir)) {
    CS__FAIL_MSG("cannot copy the fixture into %s", dir);
    return;
  }
  cs_analysis_opts o;
  cs_analysis_opts_init(&o);
  o.target_qps = 20;
  cs_analysis *a = load(dir, &o);
  cs_err err = {0};
  CS_ASSERT_OK(cs_analysis_write(a, &err), &err);
  CS_ASSERT_INT_EQ(cs_analysis_num_jobs(a), 7);
  cs__csv b;
  load_csv(dir, "best.csv", &b);
  long r1 = find_row(&b, "job_hash", "aaaa0001", NULL, NULL);
  CS_ASSERT_TRUE(r1 >= 0);
  /* 4 QPS on 1 H100 at $4/h: 1 QPS per $/h, $4/(4*3600) per request */
  CS_ASSERT_DBL_NEAR(cell(&b, r1, "rank"), 1, 0);
  CS_ASSERT_DBL_NEAR(cell(&b, r1, "qps_per_dollar"), 1.0, 1e-12);
  CS_ASSERT_DBL_NEAR(cell(&b, r1, "cost_per_hour"), 4.0, 1e-12);
  CS_ASSERT_DBL_NEAR(cell(&b, r1, "usd_per_request"), 4.0 / (4 * 3600.0), 1e-15);
  CS_ASSERT_DBL_NEAR(cell(&b, r1, "monthly_usd"), 4.0 * 730, 1e-9);
  /* 500 prompt + 100 output tokens per request on average */
  CS_ASSERT_DBL_NEAR(cell(&b, r1, "usd_per_million_tokens"), 4.0 / (4 * 3600.0) / 600 * 1e6, 1e-9);
  /* 20 QPS at 75% utilisation of 4 QPS replicas: ceil(20 / 3) = 7 replicas, $28/h */
  CS_ASSERT_DBL_NEAR(cell(&b, r1, "target_utilization"), 0.75, 1e-12);
  CS_ASSERT_DBL_NEAR(cell(&b, r1, "replicas_for_target"), 7, 0);
  CS_ASSERT_DBL_NEAR(cell(&b, r1, "cost_per_hour_for_target"), 28.0, 1e-12);
  /* 6 QPS on 2 H100s: 0.75; 2 QPS on 2 A100s at $2: 0.5; the unfinished job's probes give
   * 4 QPS on 2 replicas: 0.5 and it ranks above aaaa0002 on the higher QPS */
  long r3 = find_row(&b, "job_hash", "aaaa0003", NULL, NULL), r2 = find_row(&b, "job_hash", "aaaa0002", NULL, NULL);
  long r5 = find_row(&b, "job_hash", "aaaa0005", NULL, NULL), r4 = find_row(&b, "job_hash", "aaaa0004", NULL, NULL);
  CS_ASSERT_DBL_NEAR(cell(&b, r3, "qps_per_dollar"), 0.75, 1e-12);
  CS_ASSERT_DBL_NEAR(cell(&b, r3, "rank"), 2, 0);
  CS_ASSERT_DBL_NEAR(cell(&b, r5, "rank"), 3, 0);
  CS_ASSERT_STR_EQ(scell(&b, r5, "answer_from"), "probes (unfinished search)");
  CS_ASSERT_DBL_NEAR(cell(&b, r2, "qps_per_dollar"), 0.5, 1e-12);
  CS_ASSERT_DBL_NEAR(cell(&b, r2, "rank"), 4, 0);
  CS_ASSERT_STR_EQ(scell(&b, r4, "rank"), "");
  CS_ASSERT_STR_EQ(scell(&b, r4, "status"), "no_pass");
  /* the best's bottleneck: memory 85% while P75 batch 40 < 0.7 x 128 -> fixed rule (b) */
  CS_ASSERT_STR_CONTAINS(scell(&b, r1, "bottleneck"), "KV-cache memory bound");
  CS_ASSERT_STR_EQ(scell(&b, r1, "saturation"), "STABLE");
  /* num_replicas search: 2 replicas at the fixed 8 QPS on $4 GPUs; 4 QPS per replica, so 20
   * QPS at 75% needs ceil(20 / 3) = 7 replicas */
  long r7 = find_row(&b, "job_hash", "aaaa0007", NULL, NULL);
  CS_ASSERT_DBL_NEAR(cell(&b, r7, "rank"), 1, 0);
  CS_ASSERT_DBL_NEAR(cell(&b, r7, "answer_qps"), 8, 0);
  CS_ASSERT_DBL_NEAR(cell(&b, r7, "answer_replicas"), 2, 0);
  CS_ASSERT_DBL_NEAR(cell(&b, r7, "qps_per_dollar"), 1.0, 1e-12);
  CS_ASSERT_DBL_NEAR(cell(&b, r7, "replicas_for_target"), 7, 0);
  CS_ASSERT_DBL_NEAR(cell(&b, r7, "ttft_p99"), 0.25 + 2.25 * 8.91 / 9, 1e-9); /* the r2 run's */
  cs__csv_release(&b);
  cs_analysis_free(a);
}

static void test_pareto_csv_keeps_only_non_dominated_configurations(void) {
  char dir[1100];
  if (!fixture_copy(dir, sizeof dir)) return;
  cs_analysis *a = load(dir, NULL);
  cs_err err = {0};
  CS_ASSERT_OK(cs_analysis_write(a, &err), &err);
  cs__csv p;
  load_csv(dir, "pareto.csv", &p);
  /* TTFT P99: aaaa0001 (1.0 QPS/$, 1.982 s) and aaaa0003 (0.75, 0.4955 s) dominate the rest */
  CS_ASSERT_TRUE(find_row(&p, "front", "ttft_p99", "job_hash", "aaaa0001") >= 0);
  CS_ASSERT_TRUE(find_row(&p, "front", "ttft_p99", "job_hash", "aaaa0003") >= 0);
  CS_ASSERT_INT_EQ(find_row(&p, "front", "ttft_p99", "job_hash", "aaaa0002"), -1);
  CS_ASSERT_INT_EQ(find_row(&p, "front", "ttft_p99", "job_hash", "aaaa0006"), -1);
  CS_ASSERT_INT_EQ(find_row(&p, "front", "ttft_p99", "job_hash", "aaaa0007"), -1); /* same QPS/$, slower */
  long r = find_row(&p, "front", "ttft_p99", "job_hash", "aaaa0003");
  CS_ASSERT_DBL_NEAR(cell(&p, r, "latency_s"), 0.4955, 1e-9);
  /* TBT P99 of aaaa0003 comes from its replica-wise batch_execution_time (worst replica) */
  r = find_row(&p, "front", "tbt_p99", "job_hash", "aaaa0003");
  CS_ASSERT_TRUE(r >= 0);
  CS_ASSERT_DBL_NEAR(cell(&p, r, "latency_s"), 0.02 + 99 * 0.0001, 1e-9);
  CS_ASSERT_STR_EQ(scell(&p, r, "latency_source"), "batch_execution_time");
  CS_ASSERT_INT_EQ(find_row(&p, "front", "tbt_p99", "job_hash", "aaaa0005"), -1);
  cs__csv_release(&p);
  cs_analysis_free(a);
}

static void test_stats_sla_and_summary_report_run_level_numbers(void) {
  char dir[1100];
  if (!fixture_copy(dir, sizeof dir)) return;
  cs_analysis *a = load(dir, NULL);
  cs_err err = {0};
  CS_ASSERT_OK(cs_analysis_write(a, &err), &err);
  CS_ASSERT_INT_EQ(cs_analysis_num_runs(a), 14);
  cs__csv s;
  load_csv(dir, "stats.csv", &s);
  CS_ASSERT_INT_EQ(s.nrows, 14);
  long r = find_row(&s, "job_hash", "aaaa0001", "run", "r1_q4.0");
  CS_ASSERT_DBL_NEAR(cell(&s, r, "ttft_p50"), 1.1, 1e-9);
  CS_ASSERT_DBL_NEAR(cell(&s, r, "ttft_p90"), 1.82, 1e-9);
  CS_ASSERT_DBL_NEAR(cell(&s, r, "ttft_p99"), 1.982, 1e-9);
  CS_ASSERT_DBL_NEAR(cell(&s, r, "goodput_rps"), 10 / 2.5, 1e-12); /* all 10 meet TTFT <= 2 s */
  CS_ASSERT_DBL_NEAR(cell(&s, r, "preemptions"), 3, 0);
  CS_ASSERT_DBL_NEAR(cell(&s, r, "kv_memory_mean_pct"), 85, 1e-12);
  CS_ASSERT_DBL_NEAR(cell(&s, r, "num_gpus"), 1, 0);
  CS_ASSERT_STR_EQ(scell(&s, r, "tbt_source"), "tpot");
  /* gzip'd request_metrics.csv of aaaa0002 is read transparently */
  r = find_row(&s, "job_hash", "aaaa0002", "run", "r1_q2.0");
  CS_ASSERT_TRUE(r >= 0);
  CS_ASSERT_DBL_NEAR(cell(&s, r, "ttft_p99"), 0.3 + 0.9 * 8.91 / 9, 1e-9);
  /* multi-SLO job: TPOT <= 0.1 for all, TTFT <= 2 for all: goodput = 10 / 3.3 */
  r = find_row(&s, "job_hash", "aaaa0006", NULL, NULL);
  CS_ASSERT_DBL_NEAR(cell(&s, r, "goodput_rps"), 10 / 3.3, 1e-9);
  cs__csv_release(&s);
  cs__csv sla;
  load_csv(dir, "sla.csv", &sla);
  r = find_row(&sla, "job_hash", "aaaa0001", NULL, NULL);
  CS_ASSERT_DBL_NEAR(cell(&sla, r, "predicted"), 1.982, 1e-9);
  CS_ASSERT_STR_EQ(scell(&sla, r, "pass"), "pass");
  CS_ASSERT_DBL_NEAR(cell(&sla, r, "gap_pct"), (1.982 - 2.0) / 2.0 * 100, 1e-9);
  CS_ASSERT_TRUE(find_row(&sla, "job_hash", "aaaa0006", "metric", "decode_time_execution_plus_preemption_normalized") >= 0);
  cs__csv_release(&sla);
  char *text = cs_analysis_summary_text(a);
  CS_ASSERT_STR_CONTAINS(text, "best: h100 tp1 pp1 r1 vllm_v1/cs512");
  CS_ASSERT_STR_CONTAINS(text, "SLO ttft_tpot_p90");
  free(text);
  char path[1200];
  snprintf(path, sizeof path, "%s/analysis/summary.json", dir);
  char *js = cs_test_read(path, NULL);
  CS_ASSERT_STR_CONTAINS(js, "\"job_hash\": \"aaaa0001\"");
  CS_ASSERT_STR_CONTAINS(js, "\"partial\": true");
  free(js);
  snprintf(path, sizeof path, "%s/analysis/summary.md", dir);
  char *md = cs_test_read(path, NULL);
  CS_ASSERT_STR_CONTAINS(md, "| Meta-Llama-3-8B | chat | ttft_p99_2s | h100 tp1 pp1 r1 vllm_v1/cs512 bs128 round_robin | 4 |");
  CS_ASSERT_STR_CONTAINS(md, "## Missing (partial output directory: ");
  free(md);
  cs_analysis_free(a);
}

static void test_partial_directory_lists_interrupted_probe_and_unfinished_job(void) {
  char dir[1100];
  if (!fixture_copy(dir, sizeof dir)) return;
  cs_analysis *a = load(dir, NULL);
  bool probe = false, job = false;
  for (size_t i = 0; i < cs_analysis_num_missing(a); i++) {
    const char *m = cs_analysis_missing(a, i);
    probe = probe || strstr(m, "runs/aaaa0005/r2_q8.0: no probe.json");
    job = job || strstr(m, "job aaaa0005: not yet in results.csv");
  }
  CS_ASSERT_TRUE(probe);
  CS_ASSERT_TRUE(job);
  CS_ASSERT_INT_EQ(cs_analysis_num_warnings(a), 0);
  cs_analysis_free(a);
}

static bool any_warning(const cs_analysis *a, const char *needle) {
  for (size_t i = 0; i < cs_analysis_num_warnings(a); i++)
    if (strstr(cs_analysis_warning(a, i), needle)) return true;
  return false;
}

static void test_corrupt_and_foreign_files_become_warnings_naming_them(void) {
  char dir[1100], p[1300];
  if (!fixture_copy(dir, sizeof dir)) return;
  snprintf(p, sizeof p, "%s/runs/aaaa0001/r1_q8.0/probe.json", dir);
  cs_test_write(p, "{\"qps\": 8.0, \"pass\": tr");
  snprintf(p, sizeof p, "%s/runs/aaaa0003/r1_q4.0/2026-01-01_00-00-01-000000/request_metrics.csv", dir);
  cs_test_write(p, "hello,world\n1,2\n");
  snprintf(p, sizeof p, "%s/runs/aaaa0003/notes.txt", dir);
  cs_test_write(p, "x");
  snprintf(p, sizeof p, "%s/runs/not-a-job", dir);
  cs_test_write(p, "x");
  snprintf(p, sizeof p, "%s/runs/aaaa0006/job.json", dir);
  cs_test_write(p, "[1, 2");
  snprintf(p, sizeof p, "%s/runs/aaaa0001/r1_q4.0/2026-01-01_00-00-01-000000/plots/replica_memory_usage.json", dir);
  FILE *f = fopen(p, "wb");
  fwrite("\x1f\x8b\x08\x00garbage", 1, 11, f); /* a truncated gzip stream */
  fclose(f);
  cs_analysis *a = load(dir, NULL);
  CS_ASSERT_TRUE(any_warning(a, "r1_q8.0/probe.json"));
  CS_ASSERT_TRUE(any_warning(a, "aaaa0003/r1_q4.0/2026-01-01_00-00-01-000000/request_metrics.csv: not a request_metrics"));
  CS_ASSERT_TRUE(any_warning(a, "runs/aaaa0003/notes.txt"));
  CS_ASSERT_TRUE(any_warning(a, "runs/not-a-job"));
  CS_ASSERT_TRUE(any_warning(a, "aaaa0006/job.json"));
  CS_ASSERT_TRUE(any_warning(a, "replica_memory_usage.json"));
  cs_err err = {0};
  CS_ASSERT_OK(cs_analysis_write(a, &err), &err); /* still writes every file */
  cs_analysis_free(a);
}

static void test_price_override_and_spot_pricing_change_the_costs(void) {
  char dir[1100];
  if (!fixture_copy(dir, sizeof dir)) return;
  cs_analysis_opts o;
  cs_analysis_opts_init(&o);
  cs_err err = {0};
  CS_ASSERT_OK(cs_analysis_opts_add_price(&o, "h100=2.0", &err), &err);
  CS_ASSERT_TRUE(cs_analysis_opts_add_price(&o, "h100", &err) == CS_EUSAGE);
  CS_ASSERT_STR_CONTAINS(err.msg, "DEVICE=USD");
  CS_ASSERT_TRUE(cs_analysis_opts_add_price(&o, "h100=-1", &err) == CS_EUSAGE);
  cs_analysis *a = load(dir, &o);
  const cs__job *j = NULL;
  for (size_t i = 0; i < a->jobs.n; i++)
    if (!strcmp(a->jobs.v[i].hash, "aaaa0001")) j = &a->jobs.v[i];
  CS_ASSERT_DBL_NEAR(j->qps_per_dollar, 2.0, 1e-12);
  CS_ASSERT_STR_EQ(j->price_source, "--price");
  cs_analysis_free(a);
  cs_price_entry cat[] = {{"a100", 3.0, 1.5}, {"h100", 5.0, 2.5}};
  cs_analysis_opts_init(&o);
  o.pricing = CS_PRICING_SPOT;
  o.catalog_prices = cat;
  o.num_catalog_prices = 2;
  a = load(dir, &o);
  for (size_t i = 0; i < a->jobs.n; i++)
    if (!strcmp(a->jobs.v[i].hash, "aaaa0002")) j = &a->jobs.v[i];
  CS_ASSERT_DBL_NEAR(j->price, 1.5, 0);
  CS_ASSERT_DBL_NEAR(j->qps_per_dollar, 2.0 / 3.0, 1e-12);
  cs_analysis_free(a);
}

static void test_headroom_maps_to_configiq_utilisation(void) {
  CS_ASSERT_DBL_EQ(cs_analysis_utilization(0), 0.95);
  CS_ASSERT_DBL_EQ(cs_analysis_utilization(25), 0.75);
  CS_ASSERT_DBL_EQ(cs_analysis_utilization(50), 0.5);
  CS_ASSERT_DBL_EQ(cs_analysis_utilization(100), 0.5);
}

static void test_pareto_mark_keeps_ties_and_drops_dominated_points(void) {
  cs__pareto_pt pts[] = {{0, 1.0, 2.0}, {1, 0.5, 1.0}, {2, 0.5, 1.5}, {3, 1.0, 2.0}, {4, 0.2, 0.5}, {5, NAN, 0.1}};
  bool on[6];
  CS_ASSERT_INT_EQ(cs__pareto_mark(pts, 6, on), 4);
  CS_ASSERT_TRUE(on[0] && on[1] && !on[2] && on[3] && on[4] && !on[5]);
}

static void test_bottleneck_rules_fire_with_fixed_units(void) {
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
  strcpy(j.slo[0].metric, "prefill_e2e_time");
  j.slo[0].value = 1.0;
  cs__stats st;
  memset(&st, 0, sizeof st);
  st.ttft_cdf.have = true;
  for (int i = 0; i < 101; i++) st.ttft_cdf.v[i] = 0.95; /* 95% of the SLO: at risk */
  st.busy_mean = 95;
  st.mem_mean = 80;        /* percent */
  st.batch_size_p75 = 95;  /* > 0.9 x 100 */
  CS_ASSERT_STR_CONTAINS(cs__an_bottleneck(&j, &st), "batch size saturated");
  st.batch_size_p75 = 30;  /* < 0.7 x 100 with memory > 70%: Vidur's rule (b) never fired here */
  CS_ASSERT_STR_CONTAINS(cs__an_bottleneck(&j, &st), "memory bound");
  st.mem_mean = 50;
  st.busy_mean = 50;
  CS_ASSERT_STR_CONTAINS(cs__an_bottleneck(&j, &st), "pipeline bubbles");
  st.busy_mean = 95;
  CS_ASSERT_STR_CONTAINS(cs__an_bottleneck(&j, &st), "low prefill throughput");
  /* TBT: tail only (P25 low), non-chunked scheduler */
  strcpy(j.slo[0].metric, "decode_time_execution_plus_preemption_normalized");
  j.slo[0].value = 0.1;
  st.tbt_cdf.have = true;
  for (int i = 0; i < 101; i++) st.tbt_cdf.v[i] = i < 90 ? 0.02 : 0.2;
  st.tbt_p25 = 0.02;
  CS_ASSERT_STR_CONTAINS(cs__an_bottleneck(&j, &st), "switch to chunked prefill");
  st.tbt_p25 = 0.09;
  CS_ASSERT_STR_CONTAINS(cs__an_bottleneck(&j, &st), "increase parallelism");
  for (int i = 0; i < 101; i++) st.tbt_cdf.v[i] = 0.01;
  CS_ASSERT_STR_CONTAINS(cs__an_bottleneck(&j, &st), "none");
}

static void test_csv_reader_handles_quotes_crlf_and_short_rows(void) {
  char *text = strdup("a,\"b,c\",d\r\n1,\"x \"\"y\"\"\",3\r\n4,5\r\n");
  cs__csv c;
  cs_err err = {0};
  CS_ASSERT_OK(cs__csv_parse("t.csv", text, &c, &err), &err);
  CS_ASSERT_INT_EQ(c.ncols, 3);
  CS_ASSERT_INT_EQ(cs__csv_col(&c, "b,c"), 1);
  CS_ASSERT_STR_EQ(cs__csv_str(&c, 0, 1), "x \"y\"");
  CS_ASSERT_INT_EQ(c.nrows, 2);
  CS_ASSERT_INT_EQ(c.bad_rows, 1);
  CS_ASSERT_STR_EQ(cs__csv_str(&c, 1, 2), "");
  CS_ASSERT_TRUE(isnan(cs__csv_num(&c, 1, 2)));
  cs__csv_release(&c);
  /* a quoted newline stays in its field, blank lines are no rows, spaces are kept */
  text = strdup("\xEF\xBB\xBFname,v\n\n\"two\nlines\", 7 \n\r\nlast,8\n");
  CS_ASSERT_OK(cs__csv_parse("t.csv", text, &c, &err), &err);
  CS_ASSERT_INT_EQ(cs__csv_col(&c, "name"), 0);
  CS_ASSERT_INT_EQ(c.nrows, 2);
  CS_ASSERT_INT_EQ(c.bad_rows, 0);
  CS_ASSERT_STR_EQ(cs__csv_str(&c, 0, 0), "two\nlines");
  CS_ASSERT_STR_EQ(cs__csv_str(&c, 0, 1), " 7 ");
  CS_ASSERT_TRUE(cs__csv_num(&c, 0, 1) == 7);
  CS_ASSERT_STR_EQ(cs__csv_str(&c, 1, 0), "last");
  cs__csv_release(&c);
  text = strdup("\n\n");
  CS_ASSERT_INT_EQ(cs__csv_parse("t.csv", text, &c, &err), CS_EPARSE);
  CS_ASSERT_STR_CONTAINS(err.msg, "empty file");
}

static void test_missing_directory_is_an_error_naming_it(void) {
  cs_analysis *a = NULL;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_analysis_load("/nonexistent/out", NULL, &a, &err), CS_ENOENT);
  CS_ASSERT_STR_CONTAINS(err.msg, "/nonexistent/out");
  char tmp[1024];
  cs_test_tmpdir(tmp, sizeof tmp);
  CS_ASSERT_INT_EQ(cs_analysis_load(tmp, NULL, &a, &err), CS_ENOENT);
  CS_ASSERT_STR_CONTAINS(err.msg, "no results.csv and no runs/");
}

/* deploy.c's vLLM mapping per replica scheduler and model source */
static void test_vllm_command_maps_each_scheduler(void) {
  cs__job j;
  memset(&j, 0, sizeof j);
  char *f[CS__JF_COUNT];
  for (int k = 0; k < CS__JF_COUNT; k++) f[k] = "";
  memcpy(j.f, f, sizeof f);
  j.f[CS__JF_MODEL] = "Llama-2-70b-hf";
  j.f[CS__JF_RSCHED] = "sarathi";
  j.tp = 4, j.pp = 2, j.batch_size = 32, j.chunk_size = 1024;
  j.dep.prefix_caching = 0;
  j.dep.max_seq_len = 16384;
  snprintf(j.dep.model_id, sizeof j.dep.model_id, "meta-llama/Llama-2-70b-hf");
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__an_vllm_command(&j, &sb);
  CS_ASSERT_STR_EQ(sb.buf, "vllm serve meta-llama/Llama-2-70b-hf --tensor-parallel-size 4 --pipeline-parallel-size 2 "
                           "--max-num-seqs 32 --enable-chunked-prefill --max-num-batched-tokens 1024 "
                           "--no-enable-prefix-caching --gpu-memory-utilization 0.9 --max-model-len 16384 "
                           "--kv-cache-dtype auto");
  /* Vidur's vllm: whole prompts up to max_tokens_in_batch, no chunking; a local config's directory */
  j.f[CS__JF_RSCHED] = "vllm";
  j.dep.max_tokens_in_batch = 4096;
  j.dep.prefix_caching = -1;
  snprintf(j.dep.model_config, sizeof j.dep.model_config, "/models/my model/config.json");
  cs__sbuf_reset(&sb);
  cs__an_vllm_command(&j, &sb);
  CS_ASSERT_STR_EQ(sb.buf, "vllm serve '/models/my model' --tensor-parallel-size 4 --pipeline-parallel-size 2 "
                           "--max-num-seqs 32 --no-enable-chunked-prefill --max-num-batched-tokens 4096 "
                           "--gpu-memory-utilization 0.9 --max-model-len 16384 --kv-cache-dtype auto");
  cs__sbuf_release(&sb);
}

static const cs_test_case cases[] = {
    {"test_vllm_command_maps_each_scheduler", test_vllm_command_maps_each_scheduler},
    {"test_best_csv_has_known_qps_per_dollar_costs_and_ranks", test_best_csv_has_known_qps_per_dollar_costs_and_ranks},
    {"test_pareto_csv_keeps_only_non_dominated_configurations", test_pareto_csv_keeps_only_non_dominated_configurations},
    {"test_stats_sla_and_summary_report_run_level_numbers", test_stats_sla_and_summary_report_run_level_numbers},
    {"test_partial_directory_lists_interrupted_probe_and_unfinished_job",
     test_partial_directory_lists_interrupted_probe_and_unfinished_job},
    {"test_corrupt_and_foreign_files_become_warnings_naming_them", test_corrupt_and_foreign_files_become_warnings_naming_them},
    {"test_price_override_and_spot_pricing_change_the_costs", test_price_override_and_spot_pricing_change_the_costs},
    {"test_headroom_maps_to_configiq_utilisation", test_headroom_maps_to_configiq_utilisation},
    {"test_pareto_mark_keeps_ties_and_drops_dominated_points", test_pareto_mark_keeps_ties_and_drops_dominated_points},
    {"test_bottleneck_rules_fire_with_fixed_units", test_bottleneck_rules_fire_with_fixed_units},
    {"test_csv_reader_handles_quotes_crlf_and_short_rows", test_csv_reader_handles_quotes_crlf_and_short_rows},
    {"test_missing_directory_is_an_error_naming_it", test_missing_directory_is_an_error_naming_it},
    {NULL, NULL}};

int main(void) { return cs_test_run("analysis", cases); }
