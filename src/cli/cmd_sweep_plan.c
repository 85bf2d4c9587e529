/* --dry-run output: every trace checked against its jobs' length limits (overlong rows and
 * what the trace's policy does with them), the job table with requests, probes, CPU and disk
 * estimates per job, and the totals. */
#include <stdio.h>
#include <string.h>

#include "cmd_sweep.h"

/* Three significant digits (2.95G, 974k, 29M): enough to compare with what a run writes. */
static void fmt_bytes(double b, char *buf, size_t n) {
  double unit = b >= 1e9 ? 1e9 : b >= 1e6 ? 1e6 : 1e3;
  const char *u = b >= 1e9 ? "G" : b >= 1e6 ? "M" : "k";
  snprintf(buf, n, b / unit >= 100 ? "%.0f%s" : "%.3g%s", b / unit, u);
}

static void fmt_cpu(double s, char *buf, size_t n) {
  if (s >= 3600) snprintf(buf, n, "%.1fh", s / 3600);
  else if (s >= 60) snprintf(buf, n, "%.0fm", s / 60);
  else snprintf(buf, n, "%.0fs", s);
}

static void print_traces(FILE *f, const cs_plan *p) {
  const cs_sweep *s = cs_plan_sweep(p);
  const cs_sweep_jobs *jobs = cs_plan_jobs(p);
  fprintf(f, "traces:\n");
  for (size_t i = 0; i < s->ntraces; i++) {
    const cs_sweep_trace *t = &s->traces[i];
    const cs_trace *tr = cs_plan_trace(p, i);
    cs_trace_limit_stats msl;
    cs_trace_count_overlong(tr, (int64_t)t->max_seq_len.v, &msl);
    fprintf(f, "  %s: %s: %zu rows, longest %lld tokens; %zu rows over max_seq_len %s; overlong: %s\n", t->name, t->path,
            tr->n, (long long)tr->max_total_tokens, msl.overlong, t->max_seq_len.text, cs_overlong_name(t->overlong));
    for (size_t k = 0; k < cs_plan_nviews(p); k++) {
      const cs_trace_view *v = cs_plan_view(p, k);
      if (v->trace != i) continue;
      char why[256];
      int n = snprintf(why, sizeof why, "%s", v->model_limited ? "context of" : "max_seq_len");
      for (size_t m = 0; v->model_limited && m < s->nmodels && n > 0 && (size_t)n < sizeof why; m++) {
        bool uses = false;
        for (size_t ji = 0; ji < jobs->n && !uses; ji++)
          uses = jobs->v[ji].model == m && cs_plan_job_view(p, ji) == k;
        if (uses) n += snprintf(why + n, sizeof why - (size_t)n, " %s", s->models[m].name);
      }
      if (!v->st.overlong) {
        fprintf(f, "    limit %lld (%s): no row overlong\n", (long long)v->limit, why);
        continue;
      }
      fprintf(f, "    limit %lld (%s): %zu of %zu rows overlong (first: row %zu, %lld tokens) -> %s\n",
              (long long)v->limit, why, v->st.overlong, tr->n, v->st.first_row,
              (long long)v->st.first_prefill + v->st.first_decode,
              t->overlong == CS_OVERLONG_DROP ? "dropped" : "clipped (Vidur V0's proportional rule)");
    }
  }
}

void cs__print_sweep_plan(FILE *f, const cs_plan *p, const cs_run_opts *o) {
  const cs_sweep *s = cs_plan_sweep(p);
  const cs_sweep_jobs *jobs = cs_plan_jobs(p);
  size_t infeasible = 0, selected = 0, short_jobs = 0, first_short = 0;
  double cpu = 0, disk = 0, probes = 0, reqs = 0, disk_answers = 0, disk_none = 0;
  print_traces(f, p);
  fprintf(f, "%-5s %-8s %-18s %-22s %-6s %-30s %-16s %-28s %3s %3s%s %4s %5s %7s %6s %6s %6s  %s\n", "job", "hash",
          "model", "trace", "device", "global_scheduler", "replica_sched", "slo", "tp", "pp", s->nep ? "  ep" : "", "R",
          "gpus", "reqs", "probes", "cpu", "disk", "status");
  for (size_t i = 0; i < jobs->n; i++) {
    const cs_sweep_job *j = &jobs->v[i];
    if (!cs_plan_job_selected(p, i)) continue;
    selected++;
    char g[64], r[48], c[16], d[16];
    const cs_sweep_gsched *gs = &s->gscheds[j->gsched];
    const cs_sweep_rsched *rs = &s->rscheds[j->rsched];
    snprintf(g, sizeof g, "%s%s%s%s%s", gs->scheduler, gs->has_top_k ? " k=" : "", gs->has_top_k ? gs->top_k.text : "",
             gs->has_tolerance ? " x" : "", gs->has_tolerance ? gs->tolerance_factor.text : "");
    snprintf(r, sizeof r, "%s%s%s", rs->scheduler, rs->has_chunk ? " cs" : "", rs->has_chunk ? rs->chunk_size.text : "");
    bool inf = j->status == CS_JOB_INFEASIBLE;
    infeasible += inf;
    cs_job_estimate e;
    cs_plan_job_estimate(p, o, j, &e);
    fmt_cpu(e.cpu_s, c, sizeof c);
    fmt_bytes(e.disk_bytes, d, sizeof d);
    bool short_win = !inf && e.window_s < CS_MIN_WINDOW_S;
    if (short_win && !short_jobs++) first_short = i;
    cpu += e.cpu_s;
    disk += e.disk_bytes;
    disk_answers += e.disk_answers_bytes;
    disk_none += e.disk_none_bytes;
    probes += e.max_probes;
    reqs += (double)e.requests * e.max_probes;
    char st[96];
    if (inf) snprintf(st, sizeof st, "infeasible: ");
    else if (short_win) snprintf(st, sizeof st, "runnable (short window: %.3g s at the first probe)", e.window_s);
    else snprintf(st, sizeof st, "runnable");
    char tp[24], pp[24], ep[24] = ""; /* a disaggregated job: prefill/decode pool */
    if (s->nep) snprintf(ep, sizeof ep, " %3d", j->ep > 1 ? j->ep : 1);
    if (j->disagg) {
      snprintf(tp, sizeof tp, "%d/%d", j->tp, j->decode_tp);
      snprintf(pp, sizeof pp, "%d/%d", j->pp, j->decode_pp);
    } else {
      snprintf(tp, sizeof tp, "%d", j->tp);
      snprintf(pp, sizeof pp, "%d", j->pp);
    }
    fprintf(f, "%-5zu %-8s %-18s %-22s %-6s %-30s %-16s %-28s %3s %3s%s %4d %5d %7lld %6d %6s %6s  %s%s\n", j->index,
            j->hash, s->models[j->model].name, s->traces[j->trace].name, s->clusters[j->cluster].device, g, r,
            s->slos[j->slo].name, tp, pp, ep, j->num_replicas, cs_plan_job_gpus(p, j, j->num_replicas),
            (long long)e.requests, e.max_probes, inf ? "-" : c, inf ? "-" : d, st, inf ? j->reason : "");
  }
  char c[16], d[16];
  fmt_cpu(cpu, c, sizeof c);
  fmt_bytes(disk, d, sizeof d);
  fprintf(f, "%zu jobs (%zu runnable, %zu infeasible); at most %.0f probes simulating %.0f requests: about %s CPU, %s disk\n",
          selected, selected - infeasible, infeasible, probes, reqs, c, d);
  char da[16], dn[16];
  fmt_bytes(disk_answers, da, sizeof da);
  fmt_bytes(disk_none, dn, sizeof dn);
  const char *mine[3] = {"", "", ""}; /* the mode this run was given */
  if (o->keep_runs >= CS_KEEP_ALL && o->keep_runs <= CS_KEEP_NONE) mine[o->keep_runs] = " (this run)";
  fprintf(f, "disk by --keep-runs: all %s%s, answers %s%s, none %s%s\n", d, mine[CS_KEEP_ALL], da, mine[CS_KEEP_ANSWERS],
          dn, mine[CS_KEEP_NONE]);
  fprintf(f,
          "  (estimates of the bytes written: a probe run to the end writes %.0f B per request in request_metrics.csv%s"
          " and %.0f B in each time series (2, 4 with several replicas), %.0f kB per replica (%.0f kB with several) and "
          "%.0f kB of tables; all: every probe run to the end; answers: %d run directories per job (the answer's probe "
          "and the failing one next to it); every mode keeps each probe's probe.json and output.log; docs/sweep.md "
          "\"Estimates\")\n",
          CS_EST_BYTES_PER_REQUEST, o->compress ? " before gzip" : "", CS_EST_BYTES_PER_SERIES_ROW,
          CS_EST_BYTES_PER_REPLICA / 1e3, (CS_EST_BYTES_PER_REPLICA + CS_EST_BYTES_PER_REPLICAWISE) / 1e3,
          CS_EST_BYTES_PER_PROBE / 1e3, CS_EST_ANSWER_PROBES);
  if (short_jobs) {
    const cs_sweep_job *j = &jobs->v[first_short];
    cs_job_estimate e;
    cs_plan_job_estimate(p, o, j, &e);
    fprintf(f,
            "note: %zu job(s) (first: job %zu) simulate less than %.0f s of arrivals at their first probe (%lld requests at "
            "qps %g = %.3g s): too little time to tell sustained capacity from a burst at that QPS; such probes fail the "
            "keep-up check (docs/sweep.md \"Verdict\"); raise num_requests\n",
            short_jobs, j->index, CS_MIN_WINDOW_S, (long long)e.requests, e.first_qps, e.window_s);
  }
}
