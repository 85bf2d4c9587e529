/* Aggregated against disaggregated answers, side by side (docs/disaggregation.md): for sweeps
 * whose results.csv has a `deployment` column, analysis/disaggregation.csv lists every job of
 * each (model, trace, SLO) group, aggregated first, with its capacity per GPU-hour and per
 * dollar and the ratio to the group's best aggregated answer; the terminal summary gets one line
 * per deployment. Sweeps without disaggregation get neither (their outputs do not change). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/an_int.h"
#include "util/fs.h"

bool cs__an_any_deployment(const cs_analysis *a) {
  for (size_t i = 0; i < a->jobs.n; i++)
    if (a->jobs.v[i].deployment && a->jobs.v[i].deployment[0]) return true;
  return false;
}

static bool is_aggregated(const cs__job *j) { return j->pool_gpus <= 0; }

/* Requests served per GPU-hour and per dollar at the answer (NAN without one). */
static double per_gpu_hour(const cs__job *j) {
  return j->answered && j->num_gpus > 0 ? j->answer_qps * 3600.0 / j->num_gpus : NAN;
}
static double per_dollar(const cs__job *j) {
  return j->answered && j->cost_per_hour > 0 ? j->answer_qps * 3600.0 / j->cost_per_hour : NAN;
}

/* The group's best aggregated requests per dollar (NAN when none answered). */
static double best_aggregated(const cs_analysis *a, size_t g) {
  double best = NAN;
  const cs__group *G = &a->groups.v[g];
  for (size_t k = 0; k < G->jobs.n; k++) {
    const cs__job *j = &a->jobs.v[G->jobs.v[k]];
    double v = per_dollar(j);
    if (is_aggregated(j) && isfinite(v) && !(v <= best)) best = v;
  }
  return best;
}

static void num(cs__sbuf *sb, double v) {
  cs__sbuf_addc(sb, ',');
  if (isfinite(v)) cs__sbuf_addf(sb, "%.6g", v);
}

int cs__an_write_disagg(const cs_analysis *a, const char *dir, cs_err *err) {
  if (!cs__an_any_deployment(a)) return 0;
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__sbuf_adds(&sb, "model,trace,slo_name,deployment,job_hash,status,num_gpus,answer_qps,requests_per_gpu_hour,"
                     "cost_per_hour,requests_per_dollar,vs_best_aggregated\n");
  for (size_t g = 0; g < a->groups.n; g++) {
    const cs__group *G = &a->groups.v[g];
    double base = best_aggregated(a, g);
    for (int pass = 0; pass < 2; pass++) /* aggregated rows first */
      for (size_t k = 0; k < G->jobs.n; k++) {
        const cs__job *j = &a->jobs.v[G->jobs.v[k]];
        if (is_aggregated(j) != (pass == 0)) continue;
        cs__csv_field(&sb, G->model);
        cs__sbuf_addc(&sb, ',');
        cs__csv_field(&sb, G->trace);
        cs__sbuf_addc(&sb, ',');
        cs__csv_field(&sb, G->slo);
        cs__sbuf_addc(&sb, ',');
        cs__csv_field(&sb, j->deployment ? j->deployment : "aggregated");
        cs__sbuf_addf(&sb, ",%s,", j->hash);
        cs__csv_field(&sb, j->status ? j->status : "");
        if (j->answered) cs__sbuf_addf(&sb, ",%d", j->num_gpus);
        else cs__sbuf_addc(&sb, ',');
        num(&sb, j->answered ? j->answer_qps : NAN);
        num(&sb, per_gpu_hour(j));
        num(&sb, j->answered ? j->cost_per_hour : NAN);
        num(&sb, per_dollar(j));
        num(&sb, per_dollar(j) / base);
        cs__sbuf_addc(&sb, '\n');
      }
  }
  char *path = cs__path_join(dir, "disaggregation.csv");
  int rc = cs__write_file_atomic(path, sb.buf ? sb.buf : "", sb.len, false, err);
  free(path);
  cs__sbuf_release(&sb);
  return rc;
}

void cs__an_disagg_summary(const cs_analysis *a, size_t g, cs__sbuf *sb) {
  if (!cs__an_any_deployment(a)) return;
  const cs__group *G = &a->groups.v[g];
  double base = best_aggregated(a, g);
  cs__sbuf_adds(sb, "  aggregated vs disaggregated (requests per GPU-hour, per $; vs best aggregated per $):\n");
  for (int pass = 0; pass < 2; pass++)
    for (size_t k = 0; k < G->jobs.n; k++) {
      const cs__job *j = &a->jobs.v[G->jobs.v[k]];
      if (is_aggregated(j) != (pass == 0)) continue;
      char label[256];
      cs__an_config_label(j, label, sizeof label);
      if (!j->answered) {
        cs__sbuf_addf(sb, "    %-48s %s\n", label, j->status && *j->status ? j->status : "no answer");
        continue;
      }
      cs__sbuf_addf(sb, "    %-48s %8.4g QPS on %3d GPUs: %8.4g req/GPU-h, %8.4g req/$", label, j->answer_qps,
                    j->num_gpus, per_gpu_hour(j), per_dollar(j));
      double r = per_dollar(j) / base;
      if (isfinite(r)) cs__sbuf_addf(sb, " (%.2fx)", r);
      cs__sbuf_addc(sb, '\n');
    }
}
