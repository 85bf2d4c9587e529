/* OUT/analysis/summary.md: the analysis as Markdown (for a pull request, a wiki page or a
 * notebook): the best configuration per (model, trace, SLO), each group's ranking, the SLA table
 * and bottleneck of its best configuration, and what is missing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/an_int.h"
#include "util/fs.h"

/* Markdown table cells: '|' would split the cell. */
static void cell(cs__sbuf *o, const char *s) {
  cs__sbuf_adds(o, " ");
  for (; s && *s; s++) {
    if (*s == '|') cs__sbuf_adds(o, "\\|");
    else if (*s == '\n') cs__sbuf_addc(o, ' ');
    else cs__sbuf_addc(o, *s);
  }
  cs__sbuf_adds(o, " |");
}

static void ncell(cs__sbuf *o, const char *fmt, double v) {
  char b[64];
  if (isfinite(v)) snprintf(b, sizeof b, fmt, v);
  else snprintf(b, sizeof b, "%s", isinf(v) ? "inf" : "–");
  cell(o, b);
}

/* One row of the table of the best configuration per (model, trace, SLO). */
static void best_row(cs__sbuf *o, const cs_analysis *a, const cs__group *G) {
  cs__sbuf_adds(o, "|");
  cell(o, G->model);
  cell(o, G->trace);
  cell(o, G->slo);
  if (G->best < 0) {
    const char *nm = NULL;
    for (size_t k = 0; k < G->jobs.n && !nm; k++) nm = strstr(a->jobs.v[G->jobs.v[k]].reason, "nearest miss: ");
    if (cs__an_group_unbacked(a, G)) cs__sbuf_adds(o, " no configuration ranked: an answer no probe backs (see the warnings)");
    else cs__sbuf_adds(o, " no configuration met the SLO");
    if (nm && !cs__an_group_unbacked(a, G)) cs__sbuf_addf(o, "; %s", nm);
    cs__sbuf_adds(o, " | | | | | | | | | |\n");
    return;
  }
  const cs__job *j = &a->jobs.v[G->best];
  char label[256];
  cs__an_config_label(j, label, sizeof label);
  cell(o, label);
  char ans[128];
  cs__an_answer_text(j, ans, sizeof ans);
  cell(o, cs__an_answer_is_bound(j) ? ans : (snprintf(ans, sizeof ans, "%.4g", j->answer_qps), ans));
  ncell(o, "%.0f", j->num_gpus);
  ncell(o, "%.2f", j->cost_per_hour);
  ncell(o, "%.4g", j->qps_per_dollar);
  ncell(o, "%.4g", j->usd_per_request * 1000);
  ncell(o, "%.4g", j->usd_per_mtok);
  ncell(o, "%.0f", j->replicas_for_target);
  ncell(o, "%.2f", j->cost_for_target);
  cell(o, j->bottleneck);
  cs__sbuf_addc(o, '\n');
}

/* A group's section: its ranking (top 10), the SLA table and bottleneck of its best configuration. */
static void group_section(cs__sbuf *o, const cs_analysis *a, const cs__group *G) {
  cs__sbuf_addf(o, "\n## %s / %s / SLO %s\n\n| rank | configuration | job | QPS | GPUs | $/h | QPS per $/h | "
                    "TTFT P99 (s) | TBT P99 (ms) | status |\n|---:|---|---|---:|---:|---:|---:|---:|---:|---|\n",
                G->model, G->trace, G->slo);
  for (size_t k = 0; k < G->jobs.n && k < 10; k++) {
    const cs__job *j = &a->jobs.v[G->jobs.v[k]];
    const cs__probe *p = cs__an_answer_probe(j);
    char label[256];
    cs__an_config_label(j, label, sizeof label);
    cs__sbuf_adds(o, "|");
    ncell(o, "%.0f", j->rank ? (double)j->rank : NAN);
    cell(o, label);
    cell(o, j->hash);
    char ans[128];
    cs__an_answer_text(j, ans, sizeof ans);
    if (j->answered && cs__an_answer_is_bound(j)) cell(o, ans);
    else ncell(o, "%.4g", j->answered ? j->answer_qps : NAN);
    ncell(o, "%.0f", j->answered ? (double)j->num_gpus : NAN);
    ncell(o, "%.2f", j->cost_per_hour);
    ncell(o, "%.4g", j->qps_per_dollar);
    ncell(o, "%.3f", p ? p->st.ttft[2] : NAN);
    ncell(o, "%.1f", p ? p->st.tbt[2] * 1000 : NAN);
    cell(o, j->status[0] ? j->status : j->answer_derived ? "unfinished (lower bound)" : "unfinished");
    cs__sbuf_addc(o, '\n');
  }
  if (G->jobs.n > 10) cs__sbuf_addf(o, "\n%zu more in best.csv.\n", G->jobs.n - 10);
  if (G->best < 0) return;
  const cs__job *j = &a->jobs.v[G->best];
  const cs__probe *p = cs__an_answer_probe(j);
  if (p && j->nslo) {
    double frac;
    int v = cs__an_slo_verdict(j, p, &frac);
    if (j->nslo > 1 && v >= 0)
      cs__sbuf_addf(o, "\nSLO `%s` (%s): %.1f%% of requests meet %s (P%g needs %g%%): %s.\n", G->slo,
                    j->slo_or ? "or" : "and", frac * 100, j->slo_or ? "at least one target" : "every target",
                    j->slo_quantile * 100, j->slo_quantile * 100, v ? "pass" : "**fail**");
    cs__sbuf_adds(o, "\nSLA of the best configuration:\n\n| metric | quantile | target | predicted | verdict | gap |\n"
                      "|---|---:|---:|---:|---|---:|\n");
    for (int s = 0; s < j->nslo; s++) {
      double t = j->slo[s].value, pr = p->st.slo_pred[s];
      cs__sbuf_adds(o, "|");
      cell(o, j->slo[s].metric);
      ncell(o, "P%g", j->slo_quantile * 100);
      ncell(o, "%.4g s", t);
      ncell(o, "%.4g s", pr);
      cell(o, cs__an_target_word(j, pr, t, true));
      ncell(o, "%+.1f%%", (pr - t) / t * 100);
      cs__sbuf_addc(o, '\n');
    }
  }
  cs__sbuf_addf(o, "\nBottleneck: %s.%s%s\n", j->bottleneck ? j->bottleneck : "unknown",
                j->saturation[0] ? " Load: " : "", j->saturation);
}

/* What the output directory lacks, and the warnings of the analysis. */
static void missing_and_warnings(cs__sbuf *o, const cs_analysis *a) {
  if (a->missing.n) {
    size_t pending = cs__an_pending_jobs(a);
    if (pending || !a->have_results)
      cs__sbuf_addf(o, "\n## Missing (partial output directory: %zu job(s) pending)\n\n", pending);
    else
      cs__sbuf_addf(o, "\n## Missing (every job finished; these files are gone)\n\n");
    for (size_t i = 0; i < a->missing.n; i++) cs__sbuf_addf(o, "- %s\n", a->missing.v[i]);
  }
  if (a->warnings.n) {
    cs__sbuf_addf(o, "\n## Warnings\n\n");
    for (size_t i = 0; i < a->warnings.n; i++) cs__sbuf_addf(o, "- %s\n", a->warnings.v[i]);
  }
}

int cs__an_write_markdown(const cs_analysis *a, const char *dir, cs_err *err) {
  cs__sbuf o;
  cs__sbuf_init(&o);
  cs__sbuf_addf(&o, "# capsearch analysis\n\n%zu jobs, %zu completed runs; replicas sized at %.0f%% utilisation "
                    "(headroom %.0f%%)",
                a->jobs.n, a->num_runs, a->util * 100, a->opts.headroom_pct);
  if (a->opts.target_qps > 0) cs__sbuf_addf(&o, " for %g QPS", a->opts.target_qps);
  cs__sbuf_adds(&o, ".\n\n## Best configuration per model, trace and SLO\n\n"
                    "| model | trace | SLO | best configuration | QPS | GPUs | $/h | QPS per $/h | $ / 1K req | "
                    "$ / M tok | replicas for target | $/h for target | bottleneck |\n"
                    "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
  for (size_t g = 0; g < a->groups.n; g++) best_row(&o, a, &a->groups.v[g]);
  for (size_t g = 0; g < a->groups.n; g++) group_section(&o, a, &a->groups.v[g]);
  missing_and_warnings(&o, a);
  char *path = cs__path_join(dir, "summary.md");
  int rc = cs__write_file_atomic(path, o.buf, o.len, false, err);
  free(path);
  cs__sbuf_release(&o);
  return rc;
}
