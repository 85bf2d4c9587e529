/* --keep-runs answers|none (runner.h): after a job finishes, remove the simulator outputs
 * (the probe's <timestamp>/ directory) of the probes the user does not keep, through
 * cs__store_prune_probe_lazy (probe.json is rewritten as pruned first). probe.json and
 * output.log stay in every probe directory, so a rerun replays the search from them and
 * simulates nothing; results.csv does not change. A full-size sweep writes megabytes per probe
 * (request_metrics.csv and the time series hold one row per request), which is what this
 * bounds.
 * Under these modes a probe's files and probe.json are written without any sync (job.c); when
 * the job ends, the pruned probes' files go before the kernel has written them back (nearly no
 * disk I/O), and what stays is checked and made durable (cs__settle_runs). */
#include <stdio.h>
#include <stdlib.h>

#include "runner/runner.h"
#include "store/store.h"
#include "util/sbuf.h"

/* Whether probe k decided the job's answer: the answer's own probe and the failing probe on
 * the other side of it (qps and isoqps: the lowest failing qps above the answer; num_replicas:
 * the most replicas that failed below it); without an answer, the failing probe nearest to
 * passing (lowest qps, most replicas). */
static bool decided(cs_search_kind kind, const cs__job_result *res, const cs__probe_seen *v, size_t n, size_t k) {
  bool by_replicas = kind == CS_SEARCH_NUM_REPLICAS;
  if (res->has_answer && v[k].pass)
    return by_replicas ? v[k].replicas == res->answer_replicas : v[k].qps == res->answer_qps;
  if (v[k].pass) return false;
  for (size_t i = 0; i < n; i++) { /* is another failing probe nearer to the answer (or to passing)? */
    if (v[i].pass || i == k) continue;
    if (by_replicas) {
      if (res->has_answer && v[i].replicas >= res->answer_replicas) continue;
      if (v[i].replicas > v[k].replicas) return false;
    } else {
      if (res->has_answer && v[i].qps <= res->answer_qps) continue;
      if (v[i].qps < v[k].qps) return false;
    }
  }
  if (!res->has_answer) return true;
  return by_replicas ? v[k].replicas < res->answer_replicas : v[k].qps > res->answer_qps;
}

int cs__prune_runs(const cs__runner_opts *o, const cs_sweep_job *j, cs_search_kind kind, const cs__job_result *res,
                   const cs__probe_seen *seen, size_t n) {
  if (res->status != CS_JOB_OK && res->status != CS_JOB_NO_PASS) return 0; /* unfinished: keep all */
  int removed = 0;
  for (size_t k = 0; k < n; k++) {
    if (o->keep_runs == CS_KEEP_ANSWERS && decided(kind, res, seen, n, k)) continue;
    char *pdir = cs__store_probe_dir(o->out_dir, j->hash, seen[k].replicas, seen[k].qps);
    cs__probe_record rec = {0};
    cs_err err = {0};
    bool before = false;
    int rc = cs__store_prune_probe_lazy(pdir, &rec, &before, &err);
    if (!before && (rc == 0 || rec.timestamp_dir[0])) { /* read, not pruned before */
      char line[1700];
      if (rc)
        snprintf(line, sizeof line, "capsearch: --keep-runs: could not remove the run files: %s", err.msg);
      else {
        snprintf(line, sizeof line, "capsearch: --keep-runs %s: removed the run directory %s",
                 o->keep_runs == CS_KEEP_NONE ? "none" : "answers", rec.timestamp_dir);
        removed++;
      }
      cs__store_log(pdir, line, NULL);
    }
    free(pdir);
  }
  return removed;
}

int cs__settle_runs(const cs__runner_opts *o, const cs_sweep_job *j, const cs__probe_seen *seen, size_t n,
                    cs_err *err) {
  char **dirs = cs__xmalloc((n ? n : 1) * sizeof *dirs);
  for (size_t k = 0; k < n; k++) dirs[k] = cs__store_probe_dir(o->out_dir, j->hash, seen[k].replicas, seen[k].qps);
  int rc = cs__store_settle_probes(dirs, n, err);
  for (size_t k = 0; k < n; k++) free(dirs[k]);
  free(dirs);
  return rc;
}
