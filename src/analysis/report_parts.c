/* Report pieces: sortable/filterable tables, numbers for people, the overview (report.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analysis/report.h"
#include "analysis/svg.h"

static void esc(cs__sbuf *o, const char *s) { cs__svg_escape(o, s ? s : ""); }

void cs__rp_table_open(cs__sbuf *o) {
  cs__sbuf_adds(o, "<div class=\"tw\"><input class=\"cs-filter\" type=\"search\" placeholder=\"filter rows\" "
                   "aria-label=\"filter rows\"><table class=\"cs-table\"><tr>");
}

void cs__rp_table_close(cs__sbuf *o) { cs__sbuf_adds(o, "</table></div>\n"); }

void cs__rp_th(cs__sbuf *o, const char *label, char align) {
  if (align) cs__sbuf_addf(o, "<th class=\"%c\">", align);
  else cs__sbuf_adds(o, "<th>");
  esc(o, label);
  cs__sbuf_adds(o, "</th>");
}

void cs__rp_td_num(cs__sbuf *o, double v, const char *prefix, const char *suffix) {
  if (!isfinite(v)) {
    cs__sbuf_adds(o, isinf(v) && v > 0 ? "<td data-v=\"1e308\">inf</td>" : "<td>&ndash;</td>");
    return;
  }
  char b[64];
  cs__svg_fmt_num(v, b, sizeof b);
  cs__sbuf_addf(o, "<td data-v=\"%.17g\">%s%s%s</td>", v, prefix ? prefix : "", b, suffix ? suffix : "");
}

void cs__rp_td_money(cs__sbuf *o, double v) {
  if (!isfinite(v)) {
    cs__sbuf_adds(o, "<td>&ndash;</td>");
    return;
  }
  char b[64];
  if (fabs(v) >= 100) {
    cs__svg_fmt_num(round(v), b, sizeof b);
  } else if (fabs(v) >= 0.1) {
    snprintf(b, sizeof b, "%.2f", v);
  } else {
    cs__svg_fmt_num(v, b, sizeof b);
  }
  cs__sbuf_addf(o, "<td data-v=\"%.17g\">$%s</td>", v, b);
}

void cs__rp_td_str(cs__sbuf *o, const char *s, char align) {
  cs__sbuf_addf(o, "<td class=\"%c\">", align ? align : 'l');
  esc(o, s);
  cs__sbuf_adds(o, "</td>");
}

void cs__rp_secs(double v, char *buf, size_t n) {
  char b[64];
  if (isnan(v)) {
    snprintf(buf, n, "n/a");
  } else if (isinf(v)) {
    snprintf(buf, n, "inf (unfinished requests)");
  } else if (fabs(v) < 1.0) {
    cs__svg_fmt_num(v * 1000, b, sizeof b);
    snprintf(buf, n, "%s ms", b);
  } else {
    cs__svg_fmt_num(v, b, sizeof b);
    snprintf(buf, n, "%s s", b);
  }
}

/* Sorting: numbers by data-v (cells without one last), text otherwise; filtering: rows whose
 * text holds the box's words. Each table is independent. */
static const char script[] =
    "(function(){\n"
    "function rows(t){return Array.prototype.slice.call(t.rows,1);}\n"
    "document.querySelectorAll('table.cs-table').forEach(function(t){\n"
    " var hs=t.rows.length?t.rows[0].cells:[];\n"
    " Array.prototype.forEach.call(hs,function(h,i){\n"
    "  h.className+=' sortable';h.title='sort by this column';\n"
    "  h.addEventListener('click',function(){\n"
    "   var asc=h.getAttribute('data-sort')!=='asc';\n"
    "   Array.prototype.forEach.call(hs,function(x){x.removeAttribute('data-sort');});\n"
    "   h.setAttribute('data-sort',asc?'asc':'desc');\n"
    "   var rs=rows(t);\n"
    "   rs.sort(function(a,b){var x=a.cells[i],y=b.cells[i];if(!x||!y)return 0;\n"
    "    var u=x.getAttribute('data-v'),v=y.getAttribute('data-v'),r;\n"
    "    if(u!==null&&v!==null)r=parseFloat(u)-parseFloat(v);\n"
    "    else if(u!==null||v!==null)return u===null?1:-1;\n"
    "    else r=x.textContent.localeCompare(y.textContent);\n"
    "    return asc?r:-r;});\n"
    "   rs.forEach(function(r){r.parentNode.appendChild(r);});});});\n"
    " var f=t.parentNode.querySelector('input.cs-filter');\n"
    " if(f)f.addEventListener('input',function(){var q=f.value.toLowerCase().split(/\\s+/);\n"
    "  rows(t).forEach(function(r){var s=r.textContent.toLowerCase();\n"
    "   r.style.display=q.every(function(w){return s.indexOf(w)>=0;})?'':'none';});});\n"
    "});})();\n";

void cs__rp_script(cs__sbuf *o) {
  cs__sbuf_adds(o, "<script>\n");
  cs__sbuf_adds(o, script);
  cs__sbuf_adds(o, "</script>\n");
}

bool cs__rp_nearest_miss(const cs_analysis *a, const cs__group *G, cs__rp_miss *m) {
  bool found = false;
  for (size_t k = 0; k < G->jobs.n; k++) {
    const cs__job *j = &a->jobs.v[G->jobs.v[k]];
    for (size_t i = 0; i < j->probes.n; i++) {
      const cs__probe *p = &j->probes.v[i];
      /* a stopped probe's figures are of its partial run: they understate how far it misses */
      if (!p->complete || !p->have_stats || p->stopped_early || !j->nslo) continue;
      double worst = -INFINITY;
      int ws = 0;
      for (int s = 0; s < j->nslo; s++) {
        double t = j->slo[s].value, e = t > 0 ? (p->st.slo_pred[s] - t) / t : NAN;
        if (isnan(e)) continue;
        if (e > worst) worst = e, ws = s;
      }
      if (!isfinite(worst) && !(isinf(worst) && worst > 0)) continue;
      /* the smallest excess; ties go to the higher QPS */
      if (!found || worst < m->excess || (worst == m->excess && p->qps > m->probe->qps)) {
        *m = (cs__rp_miss){G->jobs.v[k], p, ws, worst};
        found = true;
      }
    }
  }
  return found;
}

void cs__rp_short_bottleneck(const char *full, char *buf, size_t n) {
  snprintf(buf, n, "%s", full ? full : "");
  char *cut = strstr(buf, " (");
  char *c1 = strchr(buf, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  if (c2 && (!cut || c2 < cut)) cut = c2;
  if (cut) *cut = '\0';
}
