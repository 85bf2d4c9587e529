/* analysis: status words that are true and answers that are only bounds marked everywhere, on
 * the hand-made output directory tests/data/analysis/sweep with its results.csv rewritten:
 * every job finished (one failed, whose failing probe never committed) and the best answer of
 * one group is a lower bound. */
#include <stdlib.h>

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

/* results.csv with an answer_kind column: aaaa0001 (the best of its group) a lower bound,
 * the others capacity or empty, and aaaa0005 failed. */
static void rewrite_results(const char *dir) {
  char p[1200];
  snprintf(p, sizeof p, "%s/results.csv", dir);
  char *t = cs_test_read(p, NULL);
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  char *line = t, *nl, *row4 = NULL;
  for (int n = 0; (nl = strchr(line, '\n')); line = nl + 1, n++) {
    *nl = '\0';
    const char *kind = n == 0 ? "answer_kind" : !strncmp(line, "aaaa0001,", 9) ? "lower_bound"
                                                : strstr(line, ",ok,") ? "capacity" : "";
    if (!strncmp(line, "aaaa0001,", 9)) {
      char *r = strstr(line, ",ok,");
      cs__sbuf_add(&sb, line, (size_t)(r - line));
      cs__sbuf_addf(&sb, ",ok,lower bound: all 3 probes passed; the limit was not found,%s\n", kind);
      continue;
    }
    if (!strncmp(line, "aaaa0004,", 9)) row4 = line;
    cs__sbuf_addf(&sb, "%s,%s\n", line, kind);
  }
  CS_ASSERT_TRUE(row4 != NULL);
  char *r = strstr(row4, ",no_pass,");
  cs__sbuf_addf(&sb, "aaaa0005%.*s,failed,probe r2_q8.0: simulation failed,\n", (int)(r - row4 - 8), row4 + 8);
  cs_test_write(p, sb.buf);
  cs__sbuf_release(&sb);
  free(t);
}

static char *read_out(const char *dir, const char *name) {
  char p[1200];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  char *t = cs_test_read(p, NULL);
  CS_ASSERT_TRUE(t != NULL);
  return t ? t : calloc(1, 1);
}

static void test_finished_sweep_with_failed_job_is_not_partial(void) {
  char dir[1100];
  if (!fixture_copy(dir, sizeof dir)) return;
  rewrite_results(dir);
  cs_analysis *a = NULL;
  cs_err err = {0};
  CS_ASSERT_OK(cs_analysis_load(dir, NULL, &a, &err), &err);
  for (size_t i = 0; i < cs_analysis_num_missing(a); i++)
    CU_ASSERT_PTR_NULL(strstr(cs_analysis_missing(a, i), "aaaa0005"));
  char *text = cs_analysis_summary_text(a);
  CS_ASSERT_STR_CONTAINS(text, "1 failed, 0 pending");
  CU_ASSERT_PTR_NULL(strstr(text, "partial"));
  CU_ASSERT_PTR_NULL(strstr(text, "interrupted"));
  free(text);
  CS_ASSERT_OK(cs_analysis_write(a, &err), &err);
  char *js = read_out(dir, "analysis/summary.json");
  CS_ASSERT_STR_CONTAINS(js, "\"partial\": false");
  CS_ASSERT_STR_CONTAINS(js, "\"pending_jobs\": 0");
  free(js);
  cs_analysis_free(a);
}

static void test_lower_bound_answer_is_marked_in_every_output(void) {
  char dir[1100], html[1200];
  if (!fixture_copy(dir, sizeof dir)) return;
  rewrite_results(dir);
  cs_analysis *a = NULL;
  cs_err err = {0};
  CS_ASSERT_OK(cs_analysis_load(dir, NULL, &a, &err), &err);
  char *text = cs_analysis_summary_text(a);
  CS_ASSERT_STR_CONTAINS(text, "[aaaa0001]  (ONLY A BOUND");
  CS_ASSERT_STR_CONTAINS(text, ">= 4 QPS (lower bound) on 1 GPU(s)");
  free(text);
  CS_ASSERT_OK(cs_analysis_write(a, &err), &err);
  snprintf(html, sizeof html, "%s/report.html", dir);
  CS_ASSERT_OK(cs_analysis_write_report(a, html, &err), &err);
  char *best = read_out(dir, "analysis/best.csv");
  const char *row = strstr(best, ",aaaa0001,");
  CU_ASSERT_PTR_NOT_NULL(row);
  if (row) {
    const char *end = strchr(row, '\n');
    const char *k = strstr(row, ",lower_bound,");
    CU_ASSERT_TRUE(k != NULL && k < end);
  }
  free(best);
  char *js = read_out(dir, "analysis/summary.json");
  CS_ASSERT_STR_CONTAINS(js, "\"answer_kind\": \"lower_bound\"");
  CS_ASSERT_STR_CONTAINS(js, "\"answer_is_bound\": true");
  free(js);
  char *md = read_out(dir, "analysis/summary.md");
  CS_ASSERT_STR_CONTAINS(md, "| >= 4 QPS (lower bound) |");
  free(md);
  char *h = read_out(dir, "report.html");
  CS_ASSERT_STR_CONTAINS(h, "<span class=\"lb\">lower bound</span>");
  CS_ASSERT_STR_CONTAINS(h, "&ge; 4");
  free(h);
  cs_analysis_free(a);
}

static const cs_test_case cases[] = {
    {"test_finished_sweep_with_failed_job_is_not_partial", test_finished_sweep_with_failed_job_is_not_partial},
    {"test_lower_bound_answer_is_marked_in_every_output", test_lower_bound_answer_is_marked_in_every_output},
    {NULL, NULL}};

int main(void) { return cs_test_run("analysis_status", cases); }
