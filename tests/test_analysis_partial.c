/* analysis of probes whose figures are not full-run ones, and of SLOs judged by their own type,
 * on copies of the hand-made output directory tests/data/analysis/sweep edited per case:
 * a probe stopped early (stats.csv marks it), an `or` SLO that holds although one target is
 * missed (no FAIL line), and an answer whose run files --keep-runs deleted (said so). */
#include <stdlib.h>
#include <string.h>

#include "analysis/an_int.h"
#include "capsearch/analysis.h"
#include "cs_test.h"

static const char *fixture_copy(char *buf, size_t size) {
  char src[1024], tmp[1024], cmd[4096];
  cs_test_source("tests/data/analysis/sweep", src, sizeof src);
  cs_test_tmpdir(tmp, sizeof tmp);
  snprintf(buf, size, "%s/out", tmp);
  snprintf(cmd, sizeof cmd, "cp -r '%s' '%s'", src, buf);
  if (system(cmd) != 0) return NULL;
  return buf;
}

/* Replaces the first `from` in the file dir/rel with `to`; false when absent. */
static bool edit(const char *dir, const char *rel, const char *from, const char *to) {
  char path[1400];
  snprintf(path, sizeof path, "%s/%s", dir, rel);
  char *text = cs_test_read(path, NULL);
  char *at = text ? strstr(text, from) : NULL;
  if (!at) {
    free(text);
    return false;
  }
  size_t n = strlen(text) + strlen(to) + 1;
  char *out = malloc(n);
  snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
  int rc = cs_test_write(path, out);
  free(out);
  free(text);
  return rc == 0;
}

/* A quantile table of prefill_e2e_time with n empty values (cdf 0, 0.01, ...), malloc'd. */
static char *empty_qtab(int n) {
  size_t cap = 64 + (size_t)n * 16, used = 0;
  char *b = malloc(cap);
  used += (size_t)snprintf(b, cap, "cdf,prefill_e2e_time\n");
  for (int i = 0; i < n; i++) used += (size_t)snprintf(b + used, cap - used, "%g,\n", i / 100.0);
  return b;
}

static cs_analysis *load_and_write(const char *dir) {
  cs_analysis *a = NULL;
  cs_err err = {0};
  CS_ASSERT_OK(cs_analysis_load(dir, NULL, &a, &err), &err);
  CS_ASSERT_OK(cs_analysis_write(a, &err), &err);
  return a;
}

static char *read_out(const char *dir, const char *name) {
  char path[1400];
  snprintf(path, sizeof path, "%s/analysis/%s", dir, name);
  return cs_test_read(path, NULL);
}

/* The stats.csv field of column `col` in the row of job/run ("" when absent). */
static void stats_field(const char *dir, const char *job, const char *run, const char *col, char *buf, size_t size) {
  char path[1400];
  snprintf(path, sizeof path, "%s/analysis/stats.csv", dir);
  cs__csv c;
  cs_err err = {0};
  buf[0] = '\0';
  CS_ASSERT_OK(cs__csv_load(path, &c, &err), &err);
  int cj = cs__csv_col(&c, "job_hash"), cr = cs__csv_col(&c, "run"), cc = cs__csv_col(&c, col);
  for (size_t r = 0; r < c.nrows; r++)
    if (!strcmp(cs__csv_str(&c, r, cj), job) && !strcmp(cs__csv_str(&c, r, cr), run))
      snprintf(buf, size, "%s", cs__csv_str(&c, r, cc));
  cs__csv_release(&c);
}

static void test_stopped_probe_is_marked_in_stats_csv(void) {
  char dir[1100];
  if (!fixture_copy(dir, sizeof dir)) return;
  CS_ASSERT_TRUE(edit(dir, "runs/aaaa0001/r1_q6.0/probe.json", "\"hit_time_limit\": false",
                      "\"hit_time_limit\": false, \"stopped_early\": true"));
  cs_analysis *a = load_and_write(dir);
  char v[64];
  stats_field(dir, "aaaa0001", "r1_q6.0", "stopped_early", v, sizeof v);
  CS_ASSERT_STR_EQ(v, "true");
  stats_field(dir, "aaaa0001", "r1_q8.0", "stopped_early", v, sizeof v);
  CS_ASSERT_STR_EQ(v, "false");
  stats_field(dir, "aaaa0001", "r1_q6.0", "pass", v, sizeof v);
  CS_ASSERT_STR_EQ(v, "false");
  cs_analysis_free(a);
}

/* aaaa0006's SLO made `or` with a TPOT target no request meets: every request meets the TTFT
 * target, so the SLO holds (100% >= 90%) though the TPOT line is above its target. */
static void test_or_slo_is_judged_as_or(void) {
  char dir[1100];
  if (!fixture_copy(dir, sizeof dir)) return;
  CS_ASSERT_TRUE(edit(dir, "runs/aaaa0006/job.json", "\"type\": \"and\"", "\"type\": \"or\""));
  CS_ASSERT_TRUE(edit(dir, "runs/aaaa0006/job.json", "\"value\": 0.1", "\"value\": 0.0001"));
  cs_analysis *a = load_and_write(dir);
  char *text = cs_analysis_summary_text(a);
  CS_ASSERT_TRUE(strstr(text, "FAIL") == NULL);
  CS_ASSERT_STR_CONTAINS(text, "SLO ttft_tpot_p90 (or): 100.0% of requests meet at least one target (P90 needs 90%): pass");
  CS_ASSERT_STR_CONTAINS(text, "above target, informational: an `or` SLO");
  free(text);
  char *md = read_out(dir, "summary.md");
  CS_ASSERT_TRUE(md && strstr(md, "**fail**") == NULL);
  CS_ASSERT_STR_CONTAINS(md, "above target (informational: `or` SLO)");
  free(md);
  char *sla = read_out(dir, "sla.csv");
  CS_ASSERT_STR_CONTAINS(sla, ",slo_type,slo_pass\n");
  CS_ASSERT_STR_CONTAINS(sla, ",fail,");
  CS_ASSERT_STR_CONTAINS(sla, ",or,pass\n");
  free(sla);
  cs_analysis_free(a);
}

/* The same SLO as `and` does fail on its TPOT line: the type decides, not the wording. */
static void test_and_slo_keeps_its_fail_line(void) {
  char dir[1100];
  if (!fixture_copy(dir, sizeof dir)) return;
  CS_ASSERT_TRUE(edit(dir, "runs/aaaa0006/job.json", "\"value\": 0.1", "\"value\": 0.0001"));
  cs_analysis *a = load_and_write(dir);
  char *text = cs_analysis_summary_text(a);
  CS_ASSERT_STR_CONTAINS(text, "SLO ttft_tpot_p90 (and): 0.0% of requests meet every target (P90 needs 90%): FAIL");
  CS_ASSERT_STR_CONTAINS(text, "FAIL (gap");
  free(text);
  cs_analysis_free(a);
}

/* A run in which no request completed (a probe stopped early) writes its quantile tables with
 * 101 empty values: that is no damage, so no warning. A table with some values missing is. */
static void test_empty_quantile_table_of_a_run_without_samples_is_no_warning(void) {
  char dir[1100], path[1400];
  if (!fixture_copy(dir, sizeof dir)) return;
  char *text = empty_qtab(101);
  snprintf(path, sizeof path, "%s/runs/aaaa0001/r1_q6.0/2026-01-01_00-00-03-000000/plots/prefill_e2e_time.csv", dir);
  CS_ASSERT_INT_EQ(cs_test_write(path, text), 0);
  free(text);
  cs_analysis *a = load_and_write(dir);
  for (size_t i = 0; i < cs_analysis_num_warnings(a); i++)
    CS_ASSERT_TRUE(strstr(cs_analysis_warning(a, i), "quantile rows") == NULL);
  cs_analysis_free(a);
  CS_ASSERT_TRUE(edit(dir, "runs/aaaa0001/r1_q6.0/2026-01-01_00-00-03-000000/plots/prefill_e2e_time.csv", "0.5,\n",
                      "0.5,7\n"));
  a = load_and_write(dir);
  bool warned = false;
  for (size_t i = 0; i < cs_analysis_num_warnings(a); i++)
    warned = warned || strstr(cs_analysis_warning(a, i), "prefill_e2e_time.csv: expected 101 quantile rows");
  CS_ASSERT_TRUE(warned);
  cs_analysis_free(a);
}

static void test_pruned_answer_says_not_kept(void) {
  char dir[1100], cmd[1300];
  if (!fixture_copy(dir, sizeof dir)) return;
  CS_ASSERT_TRUE(edit(dir, "runs/aaaa0001/r1_q4.0/probe.json", "\"hit_time_limit\": false",
                      "\"hit_time_limit\": false, \"pruned\": true"));
  snprintf(cmd, sizeof cmd, "rm -r '%s/runs/aaaa0001/r1_q4.0/2026-01-01_00-00-01-000000'", dir);
  CS_ASSERT_INT_EQ(system(cmd), 0);
  cs_analysis *a = load_and_write(dir);
  char *text = cs_analysis_summary_text(a);
  CS_ASSERT_STR_CONTAINS(text, "bottleneck: unknown (the answer's run files were not kept: --keep-runs none)");
  CS_ASSERT_TRUE(strstr(text, "missing or damaged") == NULL);
  free(text);
  cs_analysis_free(a);
}

static const cs_test_case cases[] = {
    {"test_stopped_probe_is_marked_in_stats_csv", test_stopped_probe_is_marked_in_stats_csv},
    {"test_or_slo_is_judged_as_or", test_or_slo_is_judged_as_or},
    {"test_and_slo_keeps_its_fail_line", test_and_slo_keeps_its_fail_line},
    {"test_empty_quantile_table_of_a_run_without_samples_is_no_warning",
     test_empty_quantile_table_of_a_run_without_samples_is_no_warning},
    {"test_pruned_answer_says_not_kept", test_pruned_answer_says_not_kept},
    {NULL, NULL}};

int main(void) { return cs_test_run("analysis_partial", cases); }
