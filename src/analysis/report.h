/* Pieces of the HTML report (report.c) kept apart: tables a reader can sort and filter (an
 * inline script, still one self-contained file), numbers formatted for people, the overview of
 * recommended configurations and the nearest miss of an SLO nothing met. */
#ifndef CS_ANALYSIS_REPORT_H
#define CS_ANALYSIS_REPORT_H

#include "analysis/an_int.h"

/* <div class="tw"><input class="cs-filter"...><table class="cs-table"> ... </table></div>:
 * a header click sorts by that column (numbers by their data-v value), the box filters rows. */
void cs__rp_table_open(cs__sbuf *o);
void cs__rp_table_close(cs__sbuf *o);
/* A header cell: left-aligned text (l), wrapping text (w) or a number (neither). */
void cs__rp_th(cs__sbuf *o, const char *label, char align);
/* A number cell formatted for people (cs__svg_fmt_num), with its value in data-v for sorting;
 * prefix/suffix around the number ("$", " s"); non-finite values show "–" (or "inf"). */
void cs__rp_td_num(cs__sbuf *o, double v, const char *prefix, const char *suffix);
void cs__rp_td_money(cs__sbuf *o, double v); /* "$1,234.50" */
void cs__rp_td_str(cs__sbuf *o, const char *s, char align);
/* A duration for people: "850 ms", "2.3 s", "inf (unfinished requests)". */
void cs__rp_secs(double v, char *buf, size_t n);
/* The sorting/filtering script, one <script> element (no network, no external file). */
void cs__rp_script(cs__sbuf *o);

/* The closest any probe of a group came to its SLO: the largest relative excess over a target
 * (0.25 = 25 % over), minimised over the group's completed probes; false when none has stats. */
typedef struct cs__rp_miss {
  size_t job;
  const cs__probe *probe;
  int slo;       /* the SLO item that missed most */
  double excess; /* (predicted - target) / target */
} cs__rp_miss;
bool cs__rp_nearest_miss(const cs_analysis *a, const cs__group *G, cs__rp_miss *m);

/* The overview that opens the report: per (model, trace, SLO) the recommended configuration
 * with its replicas and cost for the target, or why there is none and the nearest miss; then
 * the vllm serve line of each recommendation. */
void cs__rp_overview(cs__sbuf *o, const cs_analysis *a);
/* The short bottleneck: "TTFT: KV-cache memory bound" of the full advice. */
void cs__rp_short_bottleneck(const char *full, char *buf, size_t n);

#endif
