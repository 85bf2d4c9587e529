/* capsearch report: one self-contained HTML file (inline CSS and SVG; no script, no fonts, no
 * network) with the analysis tables and plots: best configurations, Pareto fronts, QPS per dollar
 * by configuration axis, TTFT/TPOT CDFs of the best configurations, and the QPS probes of the
 * best configuration's search. The same analysis gives the same bytes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/an_int.h"
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
    ".note{font-size:12px;color:#666}details{font-size:12.5px;margin:4px 0}svg.cs-plot{border:1px solid #e3e3e3}"
    ".cs-title{font-size:13px;font-weight:600}.cs-tick{font-size:10px;fill:#444}.cs-label{font-size:11px;fill:#333}"
    ".cs-grid{stroke:#eee}.cs-frame{fill:none;stroke:#999}.cs-legend-text{font-size:10.5px}"
    ".cs-value{font-size:9.5px;fill:#333}.cs-nodata{font-size:13px;fill:#999}";

static void esc(cs__sbuf *o, const char *s) { cs__svg_escape(o, s ? s : ""); }

static void td_num(cs__sbuf *o, const char *fmt, double v) {
  cs__sbuf_adds(o, "<td>");
  if (isfinite(v)) cs__sbuf_addf(o, fmt, v);
  else cs__sbuf_adds(o, isinf(v) ? "inf" : "&ndash;");
  cs__sbuf_adds(o, "</td>");
}
static void td_str(cs__sbuf *o, const char *s) {
  cs__sbuf_adds(o, "<td class=\"l\">");
  esc(o, s);
  cs__sbuf_adds(o, "</td>");
}

static void best_table(cs__sbuf *o, const cs_analysis *a) {
  cs__sbuf_adds(o, "<table><tr><th class=\"l\">model</th><th class=\"l\">trace</th><th class=\"w\">SLO</th>"
                   "<th class=\"w\">best configuration</th><th>QPS</th><th>GPUs</th><th>$/h</th><th>QPS per $/h</th>"
                   "<th>$ / 1K req</th><th>$ / M tok</th><th>replicas for target</th><th>$ / month (target)</th>"
                   "<th class=\"w\">bottleneck</th></tr>\n");
  for (size_t g = 0; g < a->groups.n; g++) {
    const cs__group *G = &a->groups.v[g];
    cs__sbuf_adds(o, "<tr>");
    td_str(o, G->model);
    td_str(o, G->trace);
    cs__sbuf_adds(o, "<td class=\"w\">");
    esc(o, G->slo);
    cs__sbuf_adds(o, "</td>");
    if (G->best < 0) {
      const char *nm = NULL;
      for (size_t k = 0; k < G->jobs.n && !nm; k++) nm = strstr(a->jobs.v[G->jobs.v[k]].reason, "nearest miss: ");
      cs__sbuf_adds(o, "<td class=\"l fail\" colspan=\"10\">no configuration met the SLO");
      if (nm) {
        cs__sbuf_adds(o, "; ");
        esc(o, nm);
      }
      cs__sbuf_adds(o, "</td></tr>\n");
      continue;
    }
    const cs__job *j = &a->jobs.v[G->best];
    char label[256];
    cs__an_config_label(j, label, sizeof label);
    cs__sbuf_adds(o, "<td class=\"w\">");
    esc(o, label);
    cs__sbuf_adds(o, "</td>");
    if (cs__an_answer_is_bound(j)) {
      char ans[128];
      cs__an_answer_text(j, ans, sizeof ans);
      cs__sbuf_adds(o, "<td class=\"fail\">");
      esc(o, ans);
      cs__sbuf_adds(o, "</td>");
    } else {
      td_num(o, "%.3g", j->answer_qps);
    }
    td_num(o, "%.0f", j->num_gpus);
    td_num(o, "%.2f", j->cost_per_hour);
    td_num(o, "%.3g", j->qps_per_dollar);
    td_num(o, "%.3g", j->usd_per_request * 1000);
    td_num(o, "%.3g", j->usd_per_mtok);
    td_num(o, "%.0f", j->replicas_for_target);
    td_num(o, "%.0f", j->cost_for_target * 730);
    /* the short form: "TTFT: KV-cache memory bound"; the full advice is under each SLO */
    char shortb[160];
    snprintf(shortb, sizeof shortb, "%s", j->bottleneck ? j->bottleneck : "");
    char *cut = strstr(shortb, " (");
    char *c1 = strchr(shortb, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c2 && (!cut || c2 < cut)) cut = c2;
    if (cut) *cut = '\0';
    cs__sbuf_adds(o, "<td class=\"w\">");
    esc(o, shortb);
    cs__sbuf_adds(o, "</td>");
    cs__sbuf_adds(o, "</tr>\n");
  }
  cs__sbuf_adds(o, "</table>\n");
}

static void ranking_table(cs__sbuf *o, const cs_analysis *a, const cs__group *G) {
  cs__sbuf_adds(o, "<table><tr><th>rank</th><th class=\"l\">configuration</th><th class=\"l\">job</th><th>QPS</th>"
                   "<th>GPUs</th><th>$/h</th><th>QPS per $/h</th><th>$ / 1K req</th><th>TTFT P90 (s)</th>"
                   "<th>TTFT P99 (s)</th><th>TBT P99 (ms)</th><th class=\"l\">status</th></tr>\n");
  size_t shown = 0;
  for (size_t k = 0; k < G->jobs.n && shown < 15; k++, shown++) {
    const cs__job *j = &a->jobs.v[G->jobs.v[k]];
    const cs__probe *p = cs__an_answer_probe(j);
    char label[256];
    cs__an_config_label(j, label, sizeof label);
    cs__sbuf_adds(o, j->rank == 1 ? "<tr class=\"best\">" : "<tr>");
    if (j->rank) cs__sbuf_addf(o, "<td>%d</td>", j->rank);
    else cs__sbuf_adds(o, "<td>&ndash;</td>");
    td_str(o, label);
    td_str(o, j->hash);
    if (j->answered && cs__an_answer_is_bound(j)) {
      char ans[128];
      cs__an_answer_text(j, ans, sizeof ans);
      td_str(o, ans);
    } else {
      td_num(o, "%.3g", j->answered ? j->answer_qps : NAN);
    }
    td_num(o, "%.0f", j->answered ? j->num_gpus : NAN);
    td_num(o, "%.2f", j->cost_per_hour);
    td_num(o, "%.3g", j->qps_per_dollar);
    td_num(o, "%.3g", j->usd_per_request * 1000);
    td_num(o, "%.3f", p ? p->st.ttft[1] : NAN);
    td_num(o, "%.3f", p ? p->st.ttft[2] : NAN);
    td_num(o, "%.1f", p ? p->st.tbt[2] * 1000 : NAN);
    char st[160];
    snprintf(st, sizeof st, "%s%s%s", j->status[0] ? j->status : "unfinished",
             cs__an_answer_is_bound(j) ? " (only a bound)" : "", j->reason[0] ? ": " : "");
    cs__sbuf_adds(o, "<td class=\"l\">");
    esc(o, st);
    esc(o, j->reason);
    cs__sbuf_adds(o, "</td></tr>\n");
  }
  cs__sbuf_adds(o, "</table>\n");
  if (G->jobs.n > shown) cs__sbuf_addf(o, "<p class=\"note\">%zu more in analysis/best.csv</p>\n", G->jobs.n - shown);
}

static void sla_table(cs__sbuf *o, const cs__job *j) {
  const cs__probe *p = cs__an_answer_probe(j);
  if (!p || !j->nslo) return;
  cs__sbuf_adds(o, "<table><tr><th class=\"l\">SLO metric</th><th>quantile</th><th>target</th><th>predicted</th>"
                   "<th>verdict</th><th>gap</th></tr>\n");
  for (int s = 0; s < j->nslo; s++) {
    double t = j->slo[s].value, pr = p->st.slo_pred[s];
    cs__sbuf_adds(o, "<tr>");
    td_str(o, j->slo[s].metric);
    td_num(o, "P%g", j->slo_quantile * 100);
    td_num(o, "%.4g s", t);
    td_num(o, "%.4g s", pr);
    cs__sbuf_addf(o, "<td class=\"%s\">%s</td>", pr <= t ? "pass" : "fail", pr <= t ? "pass" : "fail");
    td_num(o, "%+.1f%%", (pr - t) / t * 100);
    cs__sbuf_adds(o, "</tr>\n");
  }
  cs__sbuf_adds(o, "</table>\n");
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
      snprintf(tip, sizeof tip, "%s [%s]: %.3g QPS per $/h, %.3g s", label, a->jobs.v[pts[i].job].hash, pts[i].x,
               pts[i].y);
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
static void axis_bars(cs__sbuf *o, const cs_analysis *a, const cs__group *G) {
  static const cs__jf axes[] = {CS__JF_DEVICE, CS__JF_TP,    CS__JF_PP,   CS__JF_RSCHED,
                                CS__JF_CHUNK,  CS__JF_GSCHED, CS__JF_BS,  CS__JF_NREP};
  static const char *const names[] = {"device", "TP", "PP", "replica scheduler", "chunk size", "global scheduler",
                                      "batch size", "replicas"};
  int drawn = 0;
  cs__sbuf_adds(o, "<div class=\"row\">\n");
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
      char title[96];
      snprintf(title, sizeof title, "best QPS per $/h by %s", names[ax]);
      cs__svg_bars(o, title, "QPS per $/h", vals, best, nv, palette[ax % 6], 340, 260);
      drawn++;
    }
  }
  cs__sbuf_adds(o, "</div>\n");
}

static void cdf_plots(cs__sbuf *o, const cs_analysis *a, const cs__group *G) {
  double ys[101];
  for (int i = 0; i < 101; i++) ys[i] = i * 0.01;
  cs__sbuf_adds(o, "<div class=\"row\">\n");
  for (int which = 0; which < 2; which++) {
    cs__svg_series s[3];
    char names[3][200];
    size_t ns = 0;
    for (size_t k = 0; k < G->jobs.n && ns < 3; k++) {
      const cs__job *j = &a->jobs.v[G->jobs.v[k]];
      const cs__probe *p = j->rank ? cs__an_answer_probe(j) : NULL;
      const cs__qtab *t = p ? (which ? &p->st.tpot_cdf : &p->st.ttft_cdf) : NULL;
      if (!t || !t->have) continue;
      char label[256];
      cs__an_config_label(j, label, sizeof label);
      snprintf(names[ns], sizeof names[ns], "#%d %.60s", j->rank, label);
      s[ns] = (cs__svg_series){names[ns], palette[ns], CS__SVG_LINE, t->v, ys, 101, NULL, 0};
      ns++;
    }
    cs__svg_plot p = {which ? "TPOT CDF of the best configurations" : "TTFT CDF of the best configurations",
                      which ? "decode time per output token (s)" : "time to first token (s)",
                      "fraction of requests", 560, 300, s, ns, true, true};
    cs__svg_xy(o, &p);
  }
  cs__sbuf_adds(o, "</div>\n");
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

int cs_analysis_write_report(const cs_analysis *a, const char *html_path, cs_err *err) {
  cs__sbuf o;
  cs__sbuf_init(&o);
  cs__sbuf_addf(&o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>capsearch report: ");
  esc(&o, a->out_dir);
  cs__sbuf_addf(&o, "</title>\n<style>%s</style></head>\n<body>\n<h1>capsearch report</h1>\n<p class=\"meta\">", css);
  esc(&o, a->out_dir);
  cs__sbuf_addf(&o, " &middot; %zu jobs &middot; %zu completed runs &middot; replicas sized at %.0f%% utilisation "
                    "(headroom %.0f%%)%s</p>\n",
                a->jobs.n, a->num_runs, a->util * 100, a->opts.headroom_pct,
                a->opts.target_qps > 0 ? "" : " for each answer's own QPS");
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
  cs__sbuf_adds(&o, "<h2>Best configuration per model, trace and SLO</h2>\n");
  best_table(&o, a);
  for (size_t g = 0; g < a->groups.n; g++) {
    const cs__group *G = &a->groups.v[g];
    bool first = true;
    for (size_t h = 0; h < g && first; h++)
      first = strcmp(a->groups.v[h].model, G->model) || strcmp(a->groups.v[h].trace, G->trace);
    if (first) {
      cs__sbuf_adds(&o, "<h2>");
      esc(&o, G->model);
      cs__sbuf_adds(&o, " &middot; ");
      esc(&o, G->trace);
      cs__sbuf_adds(&o, "</h2>\n<h3>Pareto fronts: QPS per dollar against latency tails</h3>\n");
      pareto_plots(&o, a, G->model, G->trace);
    }
    cs__sbuf_adds(&o, "<h3>SLO ");
    esc(&o, G->slo);
    cs__sbuf_addf(&o, " (%zu jobs)</h3>\n", G->jobs.n);
    ranking_table(&o, a, G);
    if (G->best >= 0) {
      const cs__job *b = &a->jobs.v[G->best];
      cs__sbuf_adds(&o, "<h4>SLA of the best configuration</h4>\n");
      sla_table(&o, b);
      cs__sbuf_adds(&o, "<p class=\"note\">Bottleneck: ");
      esc(&o, b->bottleneck);
      cs__sbuf_adds(&o, ". Load: ");
      esc(&o, b->saturation[0] ? b->saturation : "unknown");
      cs__sbuf_adds(&o, ".</p>\n");
    }
    cs__sbuf_adds(&o, "<h4>QPS per dollar by configuration axis</h4>\n");
    axis_bars(&o, a, G);
    cs__sbuf_adds(&o, "<h4>Latency CDFs of the best configurations (at their answer QPS)</h4>\n");
    cdf_plots(&o, a, G);
    if (G->best >= 0) {
      cs__sbuf_adds(&o, "<h4>The best configuration's search</h4>\n<div class=\"row\">\n");
      probe_plot(&o, &a->jobs.v[G->best]);
      cs__sbuf_adds(&o, "</div>\n");
    }
  }
  cs__sbuf_adds(&o, "<p class=\"note\">Written by capsearch report from the output directory alone; the same numbers "
                    "are in analysis/*.csv (capsearch analyze).</p>\n</body></html>\n");
  int rc = cs__write_file_atomic(html_path, o.buf, o.len, false, err);
  cs__sbuf_release(&o);
  return rc;
}
