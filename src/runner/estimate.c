/* --dry-run's CPU and disk estimates of a job (capsearch/run.h, docs/sweep.md "Estimates"): the bytes of
 * the files its probes write, by --keep-runs mode. A probe run to the end writes one row per
 * request in request_metrics.csv and in each time series, quantile tables per replica and per
 * probe (src/sim/output.c); probe.json lists every run file with its size and sha1, and it and
 * output.log stay in every probe directory whatever the mode. The search reruns a stopped probe
 * in the same directory, so reruns add no directory. */
#include "runner/runner.h"

/* Bytes of one full-length probe's run directory, and how many files it holds. */
static double probe_dir_bytes(int64_t requests, int replicas, bool gzip, double *files) {
  bool per_replica = replicas > 1; /* Vidur writes the *_replicawise files only for R > 1 */
  double row = CS_EST_BYTES_PER_REQUEST * (gzip ? CS_EST_GZIP_RATIO : 1.0) +
               CS_EST_BYTES_PER_SERIES_ROW * (per_replica ? 4 : 2);
  double rep = CS_EST_BYTES_PER_REPLICA + (per_replica ? CS_EST_BYTES_PER_REPLICAWISE : 0);
  *files = CS_EST_FILES_PER_PROBE + 3.0 * replicas + (per_replica ? 17 : 0);
  return (double)requests * row + replicas * rep + CS_EST_BYTES_PER_PROBE;
}

void cs__job_disk_estimate(cs__job_estimate *e, int replicas, bool gzip) {
  double files = 0;
  e->probe_bytes = probe_dir_bytes(e->requests, replicas, gzip, &files) + files * CS_EST_BYTES_PER_LISTED_FILE;
  double records = e->max_probes * CS_EST_BYTES_KEPT_PER_PROBE + CS_EST_BYTES_PER_JOB;
  int kept = e->max_probes < CS_EST_ANSWER_PROBES ? e->max_probes : CS_EST_ANSWER_PROBES;
  e->disk_bytes = e->max_probes * e->probe_bytes + records;
  e->disk_answers_bytes = kept * e->probe_bytes + records;
  e->disk_none_bytes = records;
}

/* Expected CPU seconds (capsearch/run.h's constants, docs/sweep.md "Estimates"): the probes the
 * search may take, each writing its files; the share of them simulated to the end (early
 * stopping cuts failing probes short), less what siblings' memo serves. `stages` is replicas x
 * pipeline stages of one probe. */
void cs__job_cpu_estimate(cs__job_estimate *e, int stages, bool full_probes) {
  double share = full_probes ? CS_EST_SIMULATED_SHARE_FULL : CS_EST_SIMULATED_SHARE;
  int k = e->siblings > 1 ? e->siblings : 1;
  share *= 1.0 - CS_EST_MEMO_SAVING * (double)(k - 1) / (double)k;
  double full_run = (double)e->requests * stages * CS_EST_CPU_S_PER_REQUEST_REPLICA;
  e->cpu_s = e->max_probes * (CS_EST_CPU_S_PER_PROBE + stages * CS_EST_CPU_S_PER_REPLICA + share * full_run);
}
