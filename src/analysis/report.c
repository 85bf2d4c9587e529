/* capsearch report: one self-contained HTML file (inline CSS, SVG and a small sorting/filtering
 * script; no fonts, no network) that opens with the recommended configurations and their cost,
 * then per model and trace the Pareto fronts, and per SLO the ranking, the SLA of the best, QPS
 * per dollar by configuration axis, latency CDFs and the best configuration's search. A plot
 * without data is left out and the reason is said once. The same analysis gives the same bytes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/an_int.h"
#include "analysis/report.h"
#include "analysis/svg.h"
#include "util/fs.h"

static const char *const palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"};
#define PASS_COLOR "#2ca02c"
#define FAIL_COLOR "#d62728"

static const char css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px 32px;color:#222;"
    "max-width:1400px}h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:2px solid "
    "#ddd;padding-bottom:4px}h3{font-size:16px;margin:20px 0 6px}h4{font-size:14px;margin:14px 0 6px;color:#444}"
    ".meta{color:#555;font-size:13px}table{border-collapse:collapse;font-size:12.5px;margin:6px 0 10px}"
    "th,td{border:1px solid #ddd;padding:3px 8px;text-align:right;white-space:nowrap}th{background:#f3f5f8}"
    "td.l,th.l{text-align:left}td.w,th.w{white-space:normal;overflow-wrap:anywhere;min-width:120px;max-width:230px;text-align:left}th{white-space:normal}tr:nth-child(even) td{background:#fafbfc}tr.best td{background:#eaf6ea}"
    ".pass{color:#1a7f1a;font-weight:600}.fail{color:#c62828;font-weight:600}.warn{background:#fff4e5;"
    "border:1px solid #f0c36d;padding:6px 10px;margin:8px 0;font-size:13px}.row{display:flex;flex-wrap:wrap;gap:12px}"
    ".note{font-size:12px;color:#666}.nodata{font-size:13px;color:#555;background:#f6f8fa;padding:6px 10px;"
    "border-left:3px solid #c8ccd1}details{font-size:12.5px;margin:4px 0}svg.cs-plot{border:1px solid #e3e3e3}"
    ".cs-title{font-size:13px;font-weight:600}.cs-tick{font-size:10px;fill:#444}.cs-label{font-size:11px;fill:#333}"
    ".cs-grid{stroke:#eee}.cs-frame{fill:none;stroke:#999}.cs-legend-text{font-size:10.5px}"
    ".cs-value{font-size:9.5px;fill:#333}.cs-nodata{font-size:13px;fill:#999}"
    ".tw{overflow-x:auto;max-width:100%}.cs-filter{font-size:12px;padding:2px 6px;margin:4px 0 0;width:220px;"
    "max-width:90%}th.sortable{cursor:pointer}th[data-sort=asc]::after{content:' \\25B2'}"
    "th[data-sort=desc]::after{content:' \\25BC'}.lb{color:#9a6700;font-weight:600;font-size:11.5px}"
    "pre{background:#f6f8fa;border:1px solid #e1e4e8;padding:8px 10px;overflow-x:auto;font-size:12px;"
    "white-space:pre-wrap;overflow-wrap:anywhere}p.dep{margin:10px 0 2px;font-size:13px}"
    "svg.cs-plot{max-width:100%;height:auto}"
    "@media (max-width:700px){body{margin:10px 10px}h1{font-size:20px}.cs-filter{width:160px}}";

static void esc(cs__sbuf *o, const char *s) { cs__svg_escape(o, s ? s : ""); }

static void ranking_table(cs__sbuf *o, const cs_analysis *a, const cs__group *G) {
  static const struct {
    const char *label;
    char align;
  } cols[] = {{"rank", 0},          {"configuration", 'w'},  {"job", 'l'},          {"QPS", 0},
              {"GPUs", 0},          {"$ / hour", 0},         {"QPS per $/hour", 0}, {"$ per 1K requests", 0},
              {"TTFT P90 (s)", 0},  {"TTFT P99 (s)", 0},     {"TBT P99 (ms)", 0},   {"status", 'w'}};
  cs__rp_table_open(o);
  for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) cs__rp_th(o, cols[c].label, cols[c].align);
  cs__sbuf_adds(o, "</tr>\n");
  size_t shown = 0;
  for (size_t k = 0; k < G->jobs.n && shown < 15; k++, shown++) {
    const cs__job *j = &a->jobs.v[G->jobs.v[k]];
    const cs__probe *p = cs__an_answer_probe(j);
    char label[256];
    cs__an_config_label(j, label, sizeof label);
    cs__sbuf_adds(o, j->rank == 1 ? "<tr class=\"best\">" : "<tr>");
    cs__rp_td_num(o, j->rank ? (double)j->rank : NAN, NULL, NULL);
    cs__rp_td_str(o, label, 'w');
    cs__rp_td_str(o, j->hash, 'l');
    bool lower = cs__an_answer_is_bound(j);
    cs__rp_td_num(o, j->answered ? j->answer_qps : NAN, lower ? "&ge; " : "", NULL);
    cs__rp_td_num(o, j->answered ? (double)j->num_gpus : NAN, NULL, NULL);
    cs__rp_td_money(o, j->cost_per_hour);
    cs__rp_td_num(o, j->qps_per_dollar, NULL, NULL);
    cs__rp_td_money(o, j->usd_per_request * 1000);
    cs__rp_td_num(o, p ? p->st.ttft[1] : NAN, NULL, NULL);
    cs__rp_td_num(o, p ? p->st.ttft[2] : NAN, NULL, NULL);
    cs__rp_td_num(o, p ? p->st.tbt[2] * 1000 : NAN, NULL, NULL);
    char st[160];
    snprintf(st, sizeof st, "%s%s%s", j->status[0] ? j->status : "unfinished",
             cs__an_answer_is_bound(j) ? " (only a bound)" : "", j->reason[0] ? ": " : "");
    cs__sbuf_adds(o, "<td class=\"w\">");
    esc(o, st);
    esc(o, j->reason);
    cs__sbuf_adds(o, "</td></tr>\n");
  }
  cs__rp_table_close(o);
  if (G->jobs.n > shown) cs__sbuf_addf(o, "<p class=\"note\">%zu more in analysis/best.csv</p>\n", G->jobs.n - shown);
}

static void sla_table(cs__sbuf *o, const cs__job *j) {
  const cs__probe *p = cs__an_answer_probe(j);
  if (!p || !j->nslo) return;
  cs__rp_table_open(o);
  cs__sbuf_adds(o, "<th class=\"l\">SLO metric</th><th>quantile</th><th>target</th><th>predicted</th>"
                   "<th>verdict</th><th>gap</th></tr>\n");
  for (int s = 0; s < j->nslo; s++) {
    double t = j->slo[s].value, pr = p->st.slo_pred[s];
    char b[64];
    cs__sbuf_adds(o, "<tr>");
    cs__rp_td_str(o, j->slo[s].metric, 'l');
    cs__rp_td_num(o, j->slo_quantile * 100, "P", NULL);
    cs__rp_secs(t, b, sizeof b);
    cs__sbuf_addf(o, "<td data-v=\"%.17g\">%s</td>", t, b);
    cs__rp_secs(pr, b, sizeof b);
    if (isfinite(pr)) cs__sbuf_addf(o, "<td data-v=\"%.17g\">%s</td>", pr, b);
    else cs__sbuf_addf(o, "<td>%s</td>", b);
    bool info = !(pr <= t) && j->slo_or && j->nslo > 1; /* an `or` SLO holds with one target missed */
    cs__sbuf_addf(o, "<td class=\"%s\">%s</td>", pr <= t ? "pass" : info ? "w" : "fail",
                  pr <= t ? "pass" : info ? "above target (informational: or SLO)" : "fail");
    cs__rp_td_num(o, (pr - t) / t * 100, NULL, " %");
    cs__sbuf_adds(o, "</tr>\n");
  }
  cs__rp_table_close(o);
}

static void pareto_plots(cs__sbuf *o, const cs_analysis *a, const char *model, const char *trace) {
  static const char *const xl[3] = {"TTFT P90 (s)", "TTFT P99 (s)", "TBT P99 (s)"};
  cs__sbuf_adds(o, "<div class=\"row\">\n");
  for (int axis = 0; axis < 3; axis++) {
    size_t n;
    cs__pareto_pt *pts = cs__an_pareto_points(a, model, trace, axis, &n);
    bool *on = cs__xcalloc(n + 1, sizeof *on);
    cs__pareto_mark(pts, n, on);
    double *x = cs__xcalloc(n + 1, sizeof *x), *y = cs__xcalloc(n + 1, sizeof *y);
    double *fx = cs__xcalloc(n + 1, sizeof *fx), *fy = cs__xcalloc(n + 1, sizeof *fy);
    char **tips = cs__xcalloc(n + 1, sizeof *tips), **ftips = cs__xcalloc(n + 1, sizeof *ftips);
    size_t nf = 0;
    for (size_t i = 0; i < n; i++) {
      char label[256], tip[400];
      cs__an_config_label(&a->jobs.v[pts[i].job], label, sizeof label);
      char qd[32], lat[48];
      cs__svg_fmt_num(pts[i].x, qd, sizeof qd);
      cs__rp_secs(pts[i].y, lat, sizeof lat);
      snprintf(tip, sizeof tip, "%s [%s]: %s QPS per $/h, %s", label, a->jobs.v[pts[i].job].hash, qd, lat);
      x[i] = pts[i].y;
      y[i] = pts[i].x;
      tips[i] = cs__xstrdup(tip);
      if (on[i]) {
        /* insertion by latency so the front's line is monotone */
        size_t k = nf++;
        while (k > 0 && fx[k - 1] > pts[i].y) {
          fx[k] = fx[k - 1], fy[k] = fy[k - 1], ftips[k] = ftips[k - 1];
          k--;
        }
        fx[k] = pts[i].y, fy[k] = pts[i].x, ftips[k] = tips[i];
      }
    }
    char title[160];
    snprintf(title, sizeof title, "QPS per $/h vs %s", xl[axis]);
    cs__svg_series s[2] = {
        {"all configurations", "#9aa4b1", CS__SVG_SCATTER, x, y, n, (const char *const *)tips, 3.0},
        {"Pareto front", "#d62728", CS__SVG_LINE_POINTS, fx, fy, nf, (const char *const *)ftips, 4.5}};
    cs__svg_plot p = {title, xl[axis], "QPS per $/h", 420, 300, s, 2, true, true};
    cs__svg_xy(o, &p);
    for (size_t i = 0; i < n; i++) free(tips[i]);
    free(tips);
    free(ftips);
    free(x), free(y), free(fx), free(fy), free(on), free(pts);
  }
  cs__sbuf_adds(o, "</div>\n<p class=\"note\">Each point is a job's answer (the highest QPS meeting its SLO) with the "
                   "latency of that run; TBT is the batch execution time (Vidur's proxy) where the run recorded it, "
                   "else TPOT. Hover a point for its configuration.</p>\n");
}

/* QPS per dollar by configuration axis: the best value among the group's jobs for each setting. */
static int axis_bars(cs__sbuf *o, const cs_analysis *a, const cs__group *G) {
  static const cs__jf axes[] = {CS__JF_DEVICE, CS__JF_TP,    CS__JF_PP,   CS__JF_RSCHED,
                                CS__JF_CHUNK,  CS__JF_GSCHED, CS__JF_BS,  CS__JF_NREP};
  static const char *const names[] = {"device", "TP", "PP", "replica scheduler", "chunk size", "global scheduler",
                                      "batch size", "replicas"};
  int drawn = 0;
  for (int pass = 0; pass < 2 && !drawn; pass++) {
    for (size_t ax = 0; ax < sizeof axes / sizeof axes[0]; ax++) {
      const char *vals[32];
      double best[32];
      size_t nv = 0;
      for (size_t k = 0; k < G->jobs.n; k++) {
        const cs__job *j = &a->jobs.v[G->jobs.v[k]];
        const char *v = j->f[axes[ax]][0] ? j->f[axes[ax]] : "-";
        size_t i;
        for (i = 0; i < nv && strcmp(vals[i], v); i++) {
        }
        if (i == nv) {
          if (nv == 32) continue;
          vals[nv] = v;
          best[nv++] = NAN;
        }
        if (j->rank && (isnan(best[i]) || j->qps_per_dollar > best[i])) best[i] = j->qps_per_dollar;
      }
      /* first pass: axes the sweep varied; second pass (nothing varied): the device axis */
      if (pass == 0 ? nv < 2 : axes[ax] != CS__JF_DEVICE) continue;
      size_t have = 0;
      for (size_t i = 0; i < nv; i++) have += isfinite(best[i]) ? 1 : 0;
      if (!have) continue; /* no setting of this axis has an answer: no empty panel */
      if (!drawn) cs__sbuf_adds(o, "<h4>QPS per dollar by configuration axis</h4>\n<div class=\"row\">\n");
      char title[96];
      snprintf(title, sizeof title, "best QPS per $/h by %s", names[ax]);
      cs__svg_bars(o, title, "QPS per $/h", vals, best, nv, palette[ax % 6], 340, 260);
      drawn++;
    }
  }
  if (drawn) cs__sbuf_adds(o, "</div>\n");
  return drawn;
}

/* The TTFT and TPOT CDFs of the three best configurations; returns how many plots had data. */
static int cdf_plots(cs__sbuf *o, const cs_analysis *a, const cs__group *G) {
  double ys[101];
  for (int i = 0; i < 101; i++) ys[i] = i * 0.01;
  int drawn = 0;
  for (int which = 0; which < 2; which++) {
    cs__svg_series s[3];
    char names[3][300];
    size_t ns = 0;
    for (size_t k = 0; k < G->jobs.n && ns < 3; k++) {
      const cs__job *j = &a->jobs.v[G->jobs.v[k]];
      const cs__probe *p = j->rank ? cs__an_answer_probe(j) : NULL;
      const cs__qtab *t = p ? (which ? &p->st.tpot_cdf : &p->st.ttft_cdf) : NULL;
      if (!t || !t->have) continue;
      char label[256];
      cs__an_config_label(j, label, sizeof label);
      snprintf(names[ns], sizeof names[ns], "#%d %s", j->rank, label);
      s[ns] = (cs__svg_series){names[ns], palette[ns], CS__SVG_LINE, t->v, ys, 101, NULL, 0};
      ns++;
    }
    cs__svg_plot p = {which ? "TPOT CDF of the best configurations" : "TTFT CDF of the best configurations",
                      which ? "decode time per output token (s)" : "time to first token (s)",
                      "fraction of requests", 560, 300, s, ns, true, true};
    if (!ns) continue;
    if (!drawn++)
      cs__sbuf_adds(o, "<h4>Latency CDFs of the best configurations (at their answer QPS)</h4>\n<div class=\"row\">\n");
    cs__svg_xy(o, &p);
  }
  if (drawn) cs__sbuf_adds(o, "</div>\n");
  return drawn;
}

static void probe_plot(cs__sbuf *o, const cs__job *j) {
  bool by_replicas = !strcmp(j->f[CS__JF_SEARCH], "num_replicas");
  size_t n = j->probes.n;
  double *x = cs__xcalloc(n + 1, sizeof *x), *y = cs__xcalloc(n + 1, sizeof *y);
  double *px = cs__xcalloc(n + 1, sizeof *px), *py = cs__xcalloc(n + 1, sizeof *py);
  double *fx = cs__xcalloc(n + 1, sizeof *fx), *fy = cs__xcalloc(n + 1, sizeof *fy);
  size_t m = 0, np = 0, nf = 0;
  for (size_t i = 0; i < n; i++) {
    const cs__probe *p = &j->probes.v[i];
    if (!p->complete) continue;
    x[m] = (double)(m + 1);
    y[m] = by_replicas ? p->replicas : p->qps;
    if (p->have_pass && p->pass) px[np] = x[m], py[np++] = y[m];
    else fx[nf] = x[m], fy[nf++] = y[m];
    m++;
  }
  char title[200];
  snprintf(title, sizeof title, "search probes of %s", j->hash);
  cs__svg_series s[3] = {{NULL, "#b0b7c0", CS__SVG_LINE, x, y, m, NULL, 0},
                         {"meets the SLO", PASS_COLOR, CS__SVG_SCATTER, px, py, np, NULL, 5},
                         {"violates the SLO", FAIL_COLOR, CS__SVG_SCATTER, fx, fy, nf, NULL, 5}};
  cs__svg_plot p = {title, "probe", by_replicas ? "replicas" : "QPS", 440, 300, s, 3, true, true};
  cs__svg_xy(o, &p);
  free(x), free(y), free(px), free(py), free(fx), free(fy);
}

static void list_details(cs__sbuf *o, const char *what, char *const *items, size_t n) {
  if (!n) return;
  cs__sbuf_addf(o, "<details><summary>%s (%zu)</summary><ul>\n", what, n);
  for (size_t i = 0; i < n; i++) {
    cs__sbuf_adds(o, "<li>");
    esc(o, items[i]);
    cs__sbuf_adds(o, "</li>\n");
  }
  cs__sbuf_adds(o, "</ul></details>\n");
}

/* Answered jobs of one (model, trace): without any, the Pareto plots would be empty. */
static size_t answered_in(const cs_analysis *a, const char *model, const char *trace) {
  size_t n = 0;
  for (size_t i = 0; i < a->jobs.n; i++) {
    const cs__job *j = &a->jobs.v[i];
    n += j->answered && j->rank && !strcmp(j->f[CS__JF_MODEL], model) && !strcmp(j->f[CS__JF_TRACE], trace);
  }
  return n;
}

static void model_trace_section(cs__sbuf *o, const cs_analysis *a, const cs__group *G) {
  cs__sbuf_adds(o, "<h2>");
  esc(o, G->model);
  cs__sbuf_adds(o, " &middot; ");
  esc(o, G->trace);
  cs__sbuf_adds(o, "</h2>\n");
  if (answered_in(a, G->model, G->trace)) {
    cs__sbuf_adds(o, "<h3>Pareto fronts: QPS per dollar against latency tails</h3>\n");
    pareto_plots(o, a, G->model, G->trace);
  } else {
    cs__sbuf_adds(o, "<p class=\"nodata\">No configuration of this model and trace met any SLO, so there are no "
                     "answers to plot: no Pareto fronts, cost bars or latency CDFs below. The rankings list each "
                     "job's status and the overview names the nearest miss.</p>\n");
  }
}

static void group_section(cs__sbuf *o, const cs_analysis *a, const cs__group *G) {
  cs__sbuf_adds(o, "<h3>SLO ");
  esc(o, G->slo);
  cs__sbuf_addf(o, " (%zu jobs)</h3>\n", G->jobs.n);
  ranking_table(o, a, G);
  if (G->best < 0) {
    if (answered_in(a, G->model, G->trace))
      cs__sbuf_adds(o, "<p class=\"nodata\">No configuration met this SLO, so it has no cost bars, CDFs or "
                       "search plot; the overview names the nearest miss.</p>\n");
    return;
  }
  const cs__job *b = &a->jobs.v[G->best];
  cs__sbuf_adds(o, "<h4>SLA of the best configuration</h4>\n");
  sla_table(o, b);
  cs__sbuf_adds(o, "<p class=\"note\">Bottleneck: ");
  esc(o, b->bottleneck);
  cs__sbuf_adds(o, ". Load: ");
  esc(o, b->saturation[0] ? b->saturation : "unknown");
  cs__sbuf_adds(o, ".</p>\n");
  axis_bars(o, a, G);
  if (!cdf_plots(o, a, G))
    cs__sbuf_adds(o, "<p class=\"nodata\">The best configurations' runs have no latency tables (plots/*.csv), so "
                     "there are no CDFs.</p>\n");
  cs__sbuf_adds(o, "<h4>The best configuration's search</h4>\n<div class=\"row\">\n");
  probe_plot(o, b);
  cs__sbuf_adds(o, "</div>\n");
}

int cs_analysis_write_report(const cs_analysis *a, const char *html_path, cs_err *err) {
  cs__sbuf o;
  cs__sbuf_init(&o);
  cs__sbuf_addf(&o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                    "<title>capsearch report: ");
  esc(&o, a->out_dir);
  cs__sbuf_addf(&o, "</title>\n<style>%s</style></head>\n<body>\n<h1>capsearch report</h1>\n<p class=\"meta\">", css);
  esc(&o, a->out_dir);
  cs__sbuf_addf(&o, " &middot; %zu jobs &middot; %zu completed runs &middot; tables sort by a click on a column and "
                    "filter by the box above them</p>\n",
                a->jobs.n, a->num_runs);
  size_t pending = cs__an_pending_jobs(a);
  if (pending || (a->missing.n && !a->have_results))
    cs__sbuf_addf(&o, "<div class=\"warn\">Partial output directory (an interrupted or running sweep): %zu job(s) "
                      "pending, %zu item(s) missing; unfinished searches show their best passing probe as a lower "
                      "bound.</div>\n",
                  pending, a->missing.n);
  else if (a->missing.n)
    cs__sbuf_addf(&o, "<div class=\"warn\">Every job finished, but %zu item(s) are missing from the output "
                      "directory.</div>\n",
                  a->missing.n);
  list_details(&o, "Missing", a->missing.v, a->missing.n);
  list_details(&o, "Warnings", a->warnings.v, a->warnings.n);
  cs__rp_overview(&o, a);
  for (size_t g = 0; g < a->groups.n; g++) {
    const cs__group *G = &a->groups.v[g];
    bool first = true;
    for (size_t h = 0; h < g && first; h++)
      first = strcmp(a->groups.v[h].model, G->model) || strcmp(a->groups.v[h].trace, G->trace);
    if (first) model_trace_section(&o, a, G);
    group_section(&o, a, G);
  }
  cs__sbuf_adds(&o, "<p class=\"note\">Written by capsearch report from the output directory alone; the same numbers "
                    "are in analysis/*.csv (capsearch analyze).</p>\n");
  cs__rp_script(&o);
  cs__sbuf_adds(&o, "</body></html>\n");
  int rc = cs__write_file_atomic(html_path, o.buf, o.len, false, err);
  cs__sbuf_release(&o);
  return rc;
}
