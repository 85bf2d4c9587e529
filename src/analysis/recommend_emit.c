/* recommend --emit-sweep: hands the screen over to the simulation with a ready-to-run sweep file
 * (seed 002's schema, docs/sweep.md) for the top ranked candidates: one cluster per candidate
 * device, their TP sizes, the screen's TTFT/TPOT targets as one SLO config, and a QPS search
 * per replica starting near the screen's per-instance capacity. Like any sweep it is a cartesian
 * product: with two devices and two TP sizes it runs all four combinations. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsearch/analysis.h"
#include "capsearch/run.h"
#include "util/fs.h"
#include "util/sbuf.h"

static void yaml_str(cs__sbuf *sb, const char *s) {
  cs__sbuf_addc(sb, '"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') cs__sbuf_addc(sb, '\\');
    cs__sbuf_addc(sb, *s);
  }
  cs__sbuf_addc(sb, '"');
}

/* `to` (absolute) as a path relative to the directory `from` (absolute): "../traces/x.csv".
 * A sweep resolves trace_file against its own directory, so this is what it must say. */
static void rel_path(const char *from, const char *to, char *out, size_t size) {
  size_t common = 0, i = 0;
  for (; from[i] && to[i] && from[i] == to[i]; i++)
    if (from[i] == '/') common = i + 1;
  if (!from[i] && to[i] == '/') common = i + 1; /* `to` lies under `from` */
  if (common <= 1) { /* nothing shared but the root: the absolute path reads better */
    snprintf(out, size, "%s", to);
    return;
  }
  size_t n = 0;
  out[0] = '\0';
  for (const char *q = from + common; *q; q++)
    if (q == from + common || q[-1] == '/') n += (size_t)snprintf(out + n, n < size ? size - n : 0, "../");
  snprintf(out + (n < size ? n : size - 1), n < size ? size - n : 1, "%s", to + common);
}

int cs_recommend_emit_sweep(const cs_recommend_result *r, const cs_recommend_input *in, const char *trace_file,
                            int top, const char *path, cs_err *err) {
  const cs_recommend_row *pick[64], *skip[64];
  int n = 0, nskip = 0;
  for (size_t i = 0; i < r->n && n < top && n < 64; i++) {
    if (r->rows[i].rank <= 0) continue;
    if (r->rows[i].network) pick[n++] = &r->rows[i];
    else if (nskip < 64) skip[nskip++] = &r->rows[i]; /* ranked above a pick, but a sweep needs a network */
  }
  if (!n)
    return cs_err_set(err, CS_EINFEASIBLE, "--emit-sweep: no candidate meets the SLO (with a known network) to hand over");
  char resolved[PATH_MAX], sweep_dir[PATH_MAX], trace[2 * PATH_MAX];
  if (!realpath(trace_file, resolved) || cs__is_dir(resolved))
    return cs_err_set(err, CS_ENOENT, "--trace: cannot read trace file '%s' (the emitted sweep would not run)", trace_file);
  char *dir = cs__path_dirname(path);
  bool dir_ok = realpath(dir, sweep_dir) != NULL;
  free(dir);
  if (dir_ok) rel_path(sweep_dir, resolved, trace, sizeof trace);
  else snprintf(trace, sizeof trace, "%s", resolved); /* the directory is made later: stay absolute */
  double cap = INFINITY;
  int tps[64], ntp = 0;
  for (int i = 0; i < n; i++) {
    cap = fmin(cap, pick[i]->instance_rps);
    bool seen = false;
    for (int k = 0; k < ntp; k++) seen = seen || tps[k] == pick[i]->tp;
    if (!seen) tps[ntp++] = pick[i]->tp;
  }
  double start = cap > 0.2 ? floor(cap * 10) / 10 : 0.1;
  /* The search's first probe runs at twice `qps` (Vidur's search, docs/sweep.md): enough requests
   * that it spans the keep-up check's window (CS_MIN_WINDOW_S) with 10% to spare, in hundreds. */
  double nreq = ceil(2 * start * CS_MIN_WINDOW_S * 1.1 / 100) * 100;
  if (nreq < 1000) nreq = 1000;
  int pct = (int)lround(in->slo_quantile * 100);
  char slo_name[128];
  snprintf(slo_name, sizeof slo_name, "ttft_p%d_%gms_and_tpot_p%d_%gms", pct, in->ttft_slo_s * 1000, pct,
           in->tpot_slo_s * 1000);
  int max_len = 8192;
  while (max_len < in->isl + in->osl) max_len *= 2;

  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__sbuf_addf(&sb,
                "# Written by capsearch recommend --emit-sweep for %s at %.4g QPS (ISL %d, OSL %d,\n"
                "# TTFT P%d <= %g s, TPOT P%d <= %g s). The screen's top %d candidate(s):\n",
                r->model, r->qps, in->isl, in->osl, pct, in->ttft_slo_s, pct, in->tpot_slo_s, n);
  for (int i = 0; i < n; i++)
    cs__sbuf_addf(&sb, "#   %d. %s TP%d: ~%.3g QPS per instance (roofline%s%s), %d instance(s), $%.2f/h\n",
                  pick[i]->rank, pick[i]->device, pick[i]->tp, pick[i]->instance_rps,
                  pick[i]->factors_borrowed ? ", speed BORROWED from " : "",
                  pick[i]->factors_borrowed && pick[i]->factors_from ? pick[i]->factors_from : "",
                  pick[i]->instances, pick[i]->usd_per_hour);
  for (int i = 0; i < nskip; i++)
    cs__sbuf_addf(&sb, "#   (skipped %d. %s TP%d: the catalog has no network entry for %s, which a sweep needs)\n",
                  skip[i]->rank, skip[i]->device, skip[i]->tp, skip[i]->device);
  cs__sbuf_adds(&sb, "# Run: capsearch --config THIS_FILE --output-dir out/recommend   (then capsearch analyze)\n"
                     "# The search finds each configuration's QPS per replica under the SLO by simulation.\n");
  cs__sbuf_adds(&sb, "clusters:\n");
  for (int i = 0; i < n; i++) {
    bool dup = false;
    for (int k = 0; k < i; k++) dup = dup || !strcmp(pick[k]->device, pick[i]->device);
    if (dup) continue;
    cs__sbuf_addf(&sb, "  - device: %s\n    network_device: %s\n    gpus_per_node: 8\n", pick[i]->device, pick[i]->network);
  }
  cs__sbuf_adds(&sb, "global_schedulers:\n  - scheduler: round_robin\n"
                     "request_queues:\n  - name: fcfs\n    provider: fcfs\n"
                     "replica_schedulers:\n  - scheduler: vllm_v1\n    chunk_size: 512\n");
  cs__sbuf_addf(&sb, "slo_configs:\n  - name: %s\n    type: and\n    quantile: %g\n    slos:\n"
                     "      - metric: prefill_e2e_time\n        value: %g\n"
                     "      - metric: decode_time_execution_plus_preemption_normalized\n        value: %g\n",
                slo_name, in->slo_quantile, in->ttft_slo_s, in->tpot_slo_s);
  cs__sbuf_adds(&sb, "traces:\n  - name: workload\n    trace_file: ");
  yaml_str(&sb, trace);
  cs__sbuf_addf(&sb, "\n    max_seq_len: %d\n    enable_prefix_caching: %s\n", max_len, in->prefix_hit > 0 ? "true" : "false");
  cs__sbuf_adds(&sb, "batch_sizes: [128]\ntp_dimensions: [");
  for (int k = 0; k < ntp; k++) cs__sbuf_addf(&sb, "%s%d", k ? ", " : "", tps[k]);
  cs__sbuf_adds(&sb, "]\npp_dimensions: [1]\nmodels:\n  - name: ");
  yaml_str(&sb, r->model_short);
  cs__sbuf_adds(&sb, "\n    identifier: ");
  yaml_str(&sb, r->model);
  cs__sbuf_addf(&sb, "\nsearch_configs:\n  - trace: workload\n    model: ");
  yaml_str(&sb, r->model_short);
  cs__sbuf_addf(&sb, "\n    search_for: qps\n    num_replicas: 1\n    qps: %g\n    num_requests: %.0f\n", start,
                nreq);
  int rc = cs__write_file_atomic(path, sb.buf, sb.len, false, err);
  cs__sbuf_release(&sb);
  return rc;
}
