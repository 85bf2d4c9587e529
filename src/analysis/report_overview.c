/* The overview that opens the report: the recommended configuration per (model, trace, SLO)
 * with its replicas and cost for the target, lower-bound answers marked, the nearest miss where
 * nothing met the SLO, and the vllm serve line of each recommendation. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analysis/report.h"
#include "analysis/svg.h"

static void esc(cs__sbuf *o, const char *s) { cs__svg_escape(o, s ? s : ""); }

static void miss_text(cs__sbuf *o, const cs_analysis *a, const cs__group *G) {
  cs__rp_miss m;
  if (cs__an_group_unbacked(a, G)) {
    cs__sbuf_adds(o, "no configuration ranked: results.csv gives an answer no probe of the job backs (see the warnings)");
    return;
  }
  if (!cs__rp_nearest_miss(a, G, &m)) {
    /* no probe missed its SLO: the sweep's own nearest miss (e.g. the SLO held but the
     * replicas did not keep up), from results.csv */
    const char *nm = NULL;
    for (size_t k = 0; k < G->jobs.n && !nm; k++) nm = strstr(a->jobs.v[G->jobs.v[k]].reason, "nearest miss: ");
    cs__sbuf_adds(o, "no configuration met the SLO");
    if (nm) {
      cs__sbuf_adds(o, "; ");
      esc(o, nm);
    } else {
      cs__sbuf_adds(o, " (no completed probe to compare)");
    }
    return;
  }
  const cs__job *j = &a->jobs.v[m.job];
  char label[256], pred[64], tgt[64], q[32], pct[32];
  cs__an_config_label(j, label, sizeof label);
  cs__rp_secs(m.probe->st.slo_pred[m.slo], pred, sizeof pred);
  cs__rp_secs(j->slo[m.slo].value, tgt, sizeof tgt);
  cs__svg_fmt_num(m.probe->qps, q, sizeof q);
  cs__svg_fmt_num(m.excess * 100, pct, sizeof pct);
  cs__sbuf_adds(o, "no configuration met the SLO. Nearest miss: ");
  esc(o, label);
  cs__sbuf_addf(o, " [%s] at %s QPS: ", j->hash, q);
  esc(o, j->slo[m.slo].metric);
  cs__sbuf_addf(o, " P%g %s, ", j->slo_quantile * 100, pred);
  if (isinf(m.excess)) cs__sbuf_addf(o, "requests unfinished (target %s)", tgt);
  else cs__sbuf_addf(o, "%s %% over its %s target", pct, tgt);
}

static void row(cs__sbuf *o, const cs_analysis *a, const cs__group *G) {
  cs__sbuf_adds(o, "<tr>");
  cs__rp_td_str(o, G->model, 'l');
  cs__rp_td_str(o, G->trace, 'l');
  cs__rp_td_str(o, G->slo, 'w');
  if (G->best < 0) {
    cs__sbuf_adds(o, "<td class=\"w fail\" colspan=\"9\">");
    miss_text(o, a, G);
    cs__sbuf_adds(o, "</td></tr>\n");
    return;
  }
  const cs__job *j = &a->jobs.v[G->best];
  char label[256], shortb[160];
  cs__an_config_label(j, label, sizeof label);
  cs__sbuf_adds(o, "<td class=\"w\">");
  esc(o, label);
  cs__sbuf_addf(o, " <span class=\"note\">[%s]</span>", j->hash);
  bool lower = cs__an_answer_is_bound(j);
  if (lower) cs__sbuf_adds(o, " <span class=\"lb\">lower bound</span>");
  cs__sbuf_adds(o, "</td>");
  double per = j->answer_replicas > 0 ? j->answer_qps / j->answer_replicas : j->answer_qps;
  cs__rp_td_num(o, per, lower ? "&ge; " : "", NULL);
  cs__rp_td_num(o, j->replicas_for_target, NULL, NULL);
  cs__rp_td_num(o, (double)j->replicas_for_target * (j->tp > 0 ? j->tp : 1) * (j->pp > 0 ? j->pp : 1), NULL, NULL);
  cs__rp_td_money(o, j->cost_for_target);
  cs__rp_td_money(o, j->cost_for_target * 730);
  cs__rp_td_money(o, j->usd_per_request * 1000);
  cs__rp_td_num(o, j->qps_per_dollar, NULL, NULL);
  cs__rp_short_bottleneck(j->bottleneck, shortb, sizeof shortb);
  cs__rp_td_str(o, shortb, 'w');
  cs__sbuf_adds(o, "</tr>\n");
}

void cs__rp_overview(cs__sbuf *o, const cs_analysis *a) {
  char q[32];
  cs__svg_fmt_num(a->opts.target_qps, q, sizeof q);
  cs__sbuf_adds(o, "<h2 id=\"overview\">Recommended configurations</h2>\n<p class=\"meta\">");
  if (a->opts.target_qps > 0) cs__sbuf_addf(o, "Sized for %s QPS", q);
  else cs__sbuf_adds(o, "Sized for each answer's own QPS (give --target-qps to size for your traffic)");
  cs__sbuf_addf(o, " at %.0f %% utilisation; cost at the listed $/GPU-hour, a month is 730 hours. The cheapest "
                   "configuration per QPS that met the SLO is recommended.</p>\n",
                a->util * 100);
  cs__rp_table_open(o);
  static const struct {
    const char *label;
    char align;
  } cols[] = {{"model", 'l'},        {"trace", 'l'},          {"SLO", 'w'},        {"recommendation", 'w'},
              {"QPS per replica", 0}, {"replicas", 0},         {"GPUs", 0},          {"$ / hour", 0},
              {"$ / month", 0},       {"$ per 1K requests", 0}, {"QPS per $/hour", 0}, {"bottleneck", 'w'}};
  for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) cs__rp_th(o, cols[c].label, cols[c].align);
  cs__sbuf_adds(o, "</tr>\n");
  for (size_t g = 0; g < a->groups.n; g++) row(o, a, &a->groups.v[g]);
  cs__rp_table_close(o);
  bool any = false;
  for (size_t g = 0; g < a->groups.n; g++) {
    const cs__group *G = &a->groups.v[g];
    if (G->best < 0) continue;
    const cs__job *j = &a->jobs.v[G->best];
    if (!any) cs__sbuf_adds(o, "<h3>Deploy with vLLM</h3>\n<p class=\"note\">One server per replica "
                               "(analysis/deploy.md; the mapping is in docs/analysis.md).</p>\n");
    any = true;
    cs__sbuf_adds(o, "<p class=\"dep\"><b>");
    esc(o, G->slo);
    cs__sbuf_addf(o, "</b> &times; %d replica%s:</p><pre><code>", j->replicas_for_target,
                  j->replicas_for_target == 1 ? "" : "s");
    cs__sbuf cmd;
    cs__sbuf_init(&cmd);
    cs__an_vllm_command(j, &cmd);
    esc(o, cmd.buf);
    cs__sbuf_release(&cmd);
    cs__sbuf_adds(o, "</code></pre>\n");
  }
}
