/* The public run API (capsearch/run.h) over the runner's internals: the plan as an opaque
 * object, its read-only accessors, and the run's record (args.json, output.log) written after
 * the run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsearch/run.h"
#include "runner/runner.h"
#include "store/store.h"
#include "util/fs.h"
#include "util/sbuf.h"

int cs_plan_load(const cs_run_opts *o, cs_plan **plan, cs_err *err) {
  cs_plan *p = cs__xcalloc(1, sizeof *p);
  int rc = cs__plan_load(o, p, err);
  if (rc) {
    cs_plan_free(p);
    p = NULL;
  }
  *plan = p;
  return rc;
}

void cs_plan_free(cs_plan *plan) {
  if (!plan) return;
  cs__plan_release(plan);
  free(plan);
}

int cs_plan_run(cs_plan *plan, const cs_run_opts *o, cs_run_summary *sum, cs_err *err) {
  return cs__plan_run(plan, o, sum, err);
}

const cs_sweep *cs_plan_sweep(const cs_plan *plan) { return plan->sweep; }
const cs_sweep_jobs *cs_plan_jobs(const cs_plan *plan) { return &plan->jobs; }
bool cs_plan_job_selected(const cs_plan *plan, size_t job) { return plan->selected[job]; }
const cs_trace *cs_plan_trace(const cs_plan *plan, size_t trace) { return plan->traces[trace]; }
size_t cs_plan_nviews(const cs_plan *plan) { return plan->nviews; }
const cs_trace_view *cs_plan_view(const cs_plan *plan, size_t k) { return &plan->views[k]; }
size_t cs_plan_job_view(const cs_plan *plan, size_t job) { return plan->job_view[job]; }

/* OUT/output.log is the sweep's log (the MPI runner's rank lines live there too); Vidur's analyzer
 * reads the sweep's time from its line "Simulation took time: X". Keep every other line, replace
 * that one with the time of every run into this directory, added up over resumes. */
static void write_output_log(const char *out_dir, const cs_run_summary *sum) {
  char *path = cs__path_join(out_dir, "output.log"), *old = NULL;
  size_t len = 0;
  double before = 0;
  cs_err e = {0};
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  if (cs__path_exists(path) && !cs__read_file(path, &old, &len, &e)) {
    for (char *line = old; line && *line;) {
      char *nl = strchr(line, '\n');
      size_t n = nl ? (size_t)(nl - line) + 1 : strlen(line);
      if (!strncmp(line, "Simulation took time:", 21)) {
        if (sscanf(line, "Simulation took time: %lf", &before) != 1) before = 0;
      } else {
        cs__sbuf_add(&sb, line, n);
        if (!nl) cs__sbuf_addc(&sb, '\n');
      }
      line += n;
    }
  }
  free(old);
  free(path);
  if (sum->probes_shared)
    cs__sbuf_addf(&sb, "capsearch: %lld probes taken from a sibling's simulation (same job but for the SLO)\n",
                  (long long)sum->probes_shared);
  cs__sbuf_addf(&sb, "capsearch: %zu jobs, %lld probes simulated in this run\nSimulation took time: %.3f\n", sum->jobs,
                (long long)sum->probes_run, before + sum->wall_s);
  cs__store_write_top(out_dir, "output.log", sb.buf, NULL);
  cs__sbuf_release(&sb);
}

void cs_run_write_record(const cs_run_opts *o, const char *version, const cs_run_summary *sum) {
  char *aj = cs_run_args_json(o, version, sum->wall_s);
  cs__store_write_top(o->out_dir, "args.json", aj, NULL);
  free(aj);
  write_output_log(o->out_dir, sum);
}
