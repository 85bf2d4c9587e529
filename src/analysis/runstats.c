/* Statistics of one completed probe run, read from its timestamped directory:
 * request_metrics.csv[.gz] (per-request Vidur V1 columns, vidur-semantics.md §6.2) for the
 * latency percentiles, restarts, tokens and goodput; plots/ quantile tables (§6.3) for TBT
 * (batch_execution_time), batch sizes and tokens; plots/ JSON files for memory, busy time, MFU and
 * prefix-cache hits. Anything unreadable is a warning naming the file and leaves NAN behind. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/an_load.h"
#include "util/fs.h"

static int dbl_cmp(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return (a > b) - (a < b);
}

/* See an_int.h: the sweep's resolver, nothing of analysis' own. */
int cs__an_slo_metric(const char *name, cs_rm *out, cs_err *err) { return cs_slo_metric_find(name, out, err); }

/* The request_metrics.csv column an SLO metric names, so a job's `ttft` or `e2el` reads the
 * column it was judged on. A name the resolver does not know is looked up as written (and
 * reported missing). */
static const char *metric_column(const char *m) {
  cs_rm id;
  return cs__an_slo_metric(m, &id, NULL) ? m : cs_rm_name(id);
}

static char *find_timestamp_dir(cs_analysis *a, const cs__job *j, cs__probe *p, const char *probe_dir) {
  if (p->timestamp_dir) {
    char *d = cs__path_join(probe_dir, p->timestamp_dir);
    if (cs__is_dir(d)) return d;
    cs__an_warn(a, "%s/probe.json: timestamp_dir '%s' does not exist; searching the run directory", probe_dir,
                p->timestamp_dir);
    free(d);
  }
  size_t n;
  char **names = cs__an_list_dir(probe_dir, &n);
  char *found = NULL;
  int count = 0;
  for (size_t i = 0; names && i < n; i++) {
    char *d = cs__path_join(probe_dir, names[i]);
    char *rm = cs__path_join(d, "request_metrics.csv");
    char *rmz = cs__path_join(d, "request_metrics.csv.gz");
    if (cs__is_dir(d) && (cs__path_exists(rm) || cs__path_exists(rmz))) {
      free(found);
      found = d;
      d = NULL;
      count++;
    }
    free(d);
    free(rm);
    free(rmz);
  }
  cs__an_free_list(names, names ? n : 0);
  if (count > 1)
    cs__an_warn(a, "runs/%s/%s: %d result directories; using the newest", j->hash, p->name, count);
  return found;
}

/* A quantile table file: `cdf,<metric>` or replica-wise `cdf,<metric>,replica`. Replica-wise
 * tables are combined by taking the worst (largest) replica at each quantile. */
static bool read_qtab(cs_analysis *a, const char *plots, const char *metric, cs__qtab *t) {
  char file[256];
  snprintf(file, sizeof file, "%s.csv", metric);
  char *path = cs__path_join(plots, file);
  t->have = false;
  for (int i = 0; i < 101; i++) t->v[i] = NAN;
  if (!cs__path_exists(path)) {
    free(path);
    return false;
  }
  cs__csv csv;
  cs_err e = {0};
  if (cs__csv_load(path, &csv, &e)) {
    cs__an_warn(a, "%s", e.msg);
    free(path);
    return false;
  }
  int cc = cs__csv_col(&csv, "cdf"), vc = cs__csv_col(&csv, metric);
  if (cc < 0 || vc < 0) {
    cs__an_warn(a, "%s: expected columns 'cdf' and '%s'; ignored", path, metric);
  } else {
    size_t samples = 0; /* rows with a value: none in the table of a run nothing completed in */
    for (size_t r = 0; r < csv.nrows; r++) {
      double c = cs__csv_num(&csv, r, cc), v = cs__csv_num(&csv, r, vc);
      samples += cs__csv_str(&csv, r, vc)[0] != '\0';
      if (isnan(c) || isnan(v) || c < 0 || c > 1) continue;
      int idx = (int)lround(c * 100);
      if (isnan(t->v[idx]) || v > t->v[idx]) t->v[idx] = v;
    }
    t->have = true;
    for (int i = 0; i < 101; i++)
      if (isnan(t->v[i])) t->have = false;
    if (!t->have && samples) cs__an_warn(a, "%s: expected 101 quantile rows (cdf 0, 0.01, ..., 1); ignored", path);
  }
  cs__csv_release(&csv);
  free(path);
  return t->have;
}

/* Averages every number under keys ending in `suffix` (Vidur's analyser: the mean of all
 * *weighted_mean values), and tracks the maximum of keys ending in `max_suffix`. */
static void walk_json(const cs__ynode *n, const char *suffix, const char *max_suffix, double *sum, int *cnt,
                      double *mx) {
  if (!n || n->kind != CS_Y_MAP) return;
  for (size_t i = 0; i < n->n; i++) {
    const cs__ynode *v = n->items[i];
    const char *k = n->keys[i]->str;
    size_t kl = strlen(k);
    if (v->kind == CS_Y_MAP) {
      walk_json(v, suffix, max_suffix, sum, cnt, mx);
      continue;
    }
    if (v->kind != CS_Y_SCALAR || cs__y_is_null(v)) continue;
    char *end;
    double x = strtod(v->str, &end);
    if (end == v->str || *end) continue;
    size_t sl = strlen(suffix);
    if (kl >= sl && !strcmp(k + kl - sl, suffix)) {
      *sum += x;
      (*cnt)++;
    }
    if (max_suffix) {
      size_t ml = strlen(max_suffix);
      if (kl >= ml && !strcmp(k + kl - ml, max_suffix) && (isnan(*mx) || x > *mx)) *mx = x;
    }
  }
}

static bool read_json_stat(cs_analysis *a, const char *plots, const char *file, const char *suffix,
                           const char *max_suffix, double *mean, double *mx) {
  char *path = cs__path_join(plots, file);
  *mean = NAN;
  if (mx) *mx = NAN;
  if (!cs__path_exists(path)) {
    free(path);
    return false;
  }
  cs__ydoc doc;
  cs_err e = {0};
  if (cs__ydoc_load_file(&doc, path, &e)) {
    cs__an_warn(a, "%s", e.msg);
    free(path);
    return false;
  }
  double sum = 0, m = NAN;
  int cnt = 0;
  if (!doc.root || doc.root->kind != CS_Y_MAP) cs__an_warn(a, "%s: expected a JSON object keyed by replica; ignored", path);
  else walk_json(doc.root, suffix, max_suffix, &sum, &cnt, &m);
  if (cnt) *mean = sum / cnt;
  if (mx) *mx = m;
  cs__ydoc_free(&doc);
  free(path);
  return cnt > 0;
}

static void prefix_hits(cs_analysis *a, const char *plots, double *hit) {
  double cached, total;
  *hit = NAN;
  char *path = cs__path_join(plots, "replica_prefix_cache_metrics.json");
  bool have = cs__path_exists(path);
  free(path);
  if (!have) return;
  /* the mean of per-replica sums times the replica count cancels in the ratio */
  if (read_json_stat(a, plots, "replica_prefix_cache_metrics.json", "cached_tokens_sum", NULL, &cached, NULL) &&
      read_json_stat(a, plots, "replica_prefix_cache_metrics.json", "total_tokens_sum", NULL, &total, NULL) &&
      total > 0)
    *hit = cached / total;
}

static void qtab_from_sorted(const double *s, size_t n, cs__qtab *t) {
  t->have = n > 0;
  for (int i = 0; i < 101; i++) t->v[i] = cs__an_quantile(s, n, i * 0.01);
}

/* The SLA table's "predicted" values: each SLO metric at the job's quantile, with requests that
 * never finished counted as +inf (capsearch's fix of Vidur's optimistic verdict, §7.6). */
static void slo_predictions(const cs__job *j, const cs__csv *csv, const int *slo_col, bool slo_ok, cs__stats *st) {
  size_t n = csv->nrows;
  double *sv = NULL;
  int64_t unfinished = st->arrived - (int64_t)n;
  for (int s = 0; s < j->nslo; s++) {
    st->slo_pred[s] = NAN;
    if (!slo_ok) continue;
    size_t k = 0;
    sv = cs__xrealloc(sv, (n + (size_t)unfinished + 1) * sizeof(double));
    for (size_t r = 0; r < n; r++) {
      double v = cs__csv_num(csv, r, slo_col[s]);
      sv[k++] = isnan(v) ? INFINITY : v;
    }
    for (int64_t u = 0; u < unfinished; u++) sv[k++] = INFINITY;
    qsort(sv, k, sizeof(double), dbl_cmp);
    double q = j->slo_quantile;
    /* interpolating towards +inf gives inf (or NaN for inf - inf): keep it inf */
    double pos = q * (double)(k - 1);
    size_t lo = (size_t)floor(pos);
    if (k && lo + 1 < k && isinf(sv[lo + 1]) && pos > (double)lo) st->slo_pred[s] = INFINITY;
    else st->slo_pred[s] = cs__an_quantile(sv, k, q);
  }
  free(sv);
}

/* Per-request statistics from request_metrics.csv. */
static bool read_requests(cs_analysis *a, const cs__job *j, cs__probe *p, const char *tsdir) {
  cs__stats *st = &p->st;
  char *path = cs__path_join(tsdir, "request_metrics.csv");
  if (!cs__path_exists(path)) {
    free(path);
    path = cs__path_join(tsdir, "request_metrics.csv.gz");
  }
  cs__csv csv;
  cs_err e = {0};
  if (cs__csv_load(path, &csv, &e)) {
    cs__an_warn(a, "%s", e.msg);
    free(path);
    return false;
  }
  enum { TTFT, TPOT, E2E, SCHED, NCOL };
  static const char *const names[NCOL] = {"prefill_e2e_time", "decode_time_execution_plus_preemption_normalized",
                                          "request_e2e_time", "request_scheduling_delay"};
  int col[NCOL];
  for (int c = 0; c < NCOL; c++) {
    col[c] = cs__csv_col(&csv, names[c]);
    if (col[c] < 0) {
      cs__an_warn(a, "%s: not a request_metrics table (no '%s' column); run skipped", path, names[c]);
      cs__csv_release(&csv);
      free(path);
      return false;
    }
  }
  if (csv.bad_rows) cs__an_warn(a, "%s: %zu malformed row(s) (truncated file?)", path, csv.bad_rows);
  int c_rs = cs__csv_col(&csv, "request_num_restarts"), c_pf = cs__csv_col(&csv, "request_num_prefill_tokens");
  int c_dc = cs__csv_col(&csv, "request_num_decode_tokens"), c_arr = cs__csv_col(&csv, "request_arrived_at");
  int slo_col[8];
  bool slo_ok = j->have_slo;
  for (int s = 0; s < j->nslo; s++) {
    slo_col[s] = cs__csv_col(&csv, metric_column(j->slo[s].metric));
    if (slo_col[s] < 0) {
      cs__an_warn(a, "%s: no column for SLO metric '%s'; goodput not computed", path, j->slo[s].metric);
      slo_ok = false;
    }
  }
  size_t n = csv.nrows;
  double *vals[NCOL];
  for (int c = 0; c < NCOL; c++) vals[c] = cs__xcalloc(n ? n : 1, sizeof(double));
  size_t m[NCOL] = {0};
  double prompt = 0, output = 0, last_done = 0;
  int64_t good = 0;
  st->restarts = 0;
  for (size_t r = 0; r < n; r++) {
    for (int c = 0; c < NCOL; c++) {
      double v = cs__csv_num(&csv, r, col[c]);
      if (!isnan(v)) vals[c][m[c]++] = v;
    }
    double rs = cs__csv_num(&csv, r, c_rs), pf = cs__csv_num(&csv, r, c_pf), dc = cs__csv_num(&csv, r, c_dc);
    if (!isnan(rs)) st->restarts += (int64_t)rs;
    if (!isnan(pf)) prompt += pf;
    if (!isnan(dc)) output += dc;
    double arr = cs__csv_num(&csv, r, c_arr), e2e = cs__csv_num(&csv, r, col[E2E]);
    if (!isnan(arr) && !isnan(e2e) && arr + e2e > last_done) last_done = arr + e2e;
    if (slo_ok) {
      bool all = true, any = false;
      for (int s = 0; s < j->nslo; s++) {
        double v = cs__csv_num(&csv, r, slo_col[s]);
        bool ok = !isnan(v) && v <= j->slo[s].value; /* NaN compares false, as in Vidur */
        all = all && ok;
        any = any || ok;
      }
      if (j->slo_or ? any : all) good++;
    }
  }
  for (int c = 0; c < NCOL; c++) qsort(vals[c], m[c], sizeof(double), dbl_cmp);
  for (int k = 0; k < CS__P_N; k++) {
    st->ttft[k] = cs__an_quantile(vals[TTFT], m[TTFT], cs__pcts[k]);
    st->tpot[k] = cs__an_quantile(vals[TPOT], m[TPOT], cs__pcts[k]);
    st->e2e[k] = cs__an_quantile(vals[E2E], m[E2E], cs__pcts[k]);
    st->sched[k] = cs__an_quantile(vals[SCHED], m[SCHED], cs__pcts[k]);
  }
  qtab_from_sorted(vals[TTFT], m[TTFT], &st->ttft_cdf);
  qtab_from_sorted(vals[TPOT], m[TPOT], &st->tpot_cdf);
  if (!st->completed) st->completed = (int64_t)n;
  if (st->arrived < st->completed) st->arrived = st->completed;
  st->runtime_s = isfinite(p->end_time) && p->end_time > 0 ? p->end_time : last_done;
  st->mean_prompt = n ? prompt / (double)n : NAN;
  st->mean_output = n ? output / (double)n : NAN;
  st->throughput_rps = st->runtime_s > 0 ? (double)st->completed / st->runtime_s : NAN;
  st->out_tok_s = st->runtime_s > 0 ? output / st->runtime_s : NAN;
  st->goodput_rps = slo_ok && st->runtime_s > 0 ? (double)good / st->runtime_s : NAN;
  st->good_frac = slo_ok && st->arrived > 0 ? (double)good / (double)st->arrived : NAN;
  slo_predictions(j, &csv, slo_col, slo_ok, st);
  for (int c = 0; c < NCOL; c++) free(vals[c]);
  cs__csv_release(&csv);
  free(path);
  return true;
}

void cs__an_load_run(cs_analysis *a, const cs__job *j, cs__probe *p, const char *probe_dir) {
  cs__stats *st = &p->st;
  if (p->pruned) { /* deleted on purpose: counted once, not a warning per probe */
    a->num_pruned++;
    return;
  }
  if (p->damaged) return; /* named when probe.json was read */
  char *ts = find_timestamp_dir(a, j, p, probe_dir);
  if (!ts) {
    cs__an_missing(a, "runs/%s/%s: probe.json present but no request_metrics.csv", j->hash, p->name);
    return;
  }
  if (!read_requests(a, j, p, ts)) {
    free(ts);
    return;
  }
  a->num_runs++;
  p->have_stats = true;
  char *plots = cs__path_join(ts, "plots");
  cs__qtab t;
  /* TBT: Vidur's analyser uses batch_execution_time as the TBT proxy (§8); the request-level
   * decode time per token (TPOT) when that table is absent. */
  if (read_qtab(a, plots, "batch_execution_time", &t)) {
    st->tbt_source = "batch_execution_time";
    for (int k = 0; k < CS__P_N; k++) st->tbt[k] = cs__qtab_at(&t, cs__pcts[k]);
    st->tbt_p25 = cs__qtab_at(&t, 0.25);
    st->tbt_cdf = t;
  } else {
    st->tbt_source = "tpot";
    for (int k = 0; k < CS__P_N; k++) st->tbt[k] = st->tpot[k];
    st->tbt_p25 = cs__qtab_at(&st->tpot_cdf, 0.25);
    st->tbt_cdf = st->tpot_cdf;
  }
  if (read_qtab(a, plots, "prefill_e2e_time", &t)) st->ttft_cdf = t;
  if (read_qtab(a, plots, "decode_time_execution_plus_preemption_normalized", &t)) st->tpot_cdf = t;
  read_qtab(a, plots, "batch_size", &t);
  st->batch_size_p50 = cs__qtab_at(&t, 0.5);
  st->batch_size_p75 = cs__qtab_at(&t, 0.75);
  st->batch_size_p90 = cs__qtab_at(&t, 0.9);
  read_qtab(a, plots, "batch_num_tokens", &t);
  st->batch_tokens_p50 = cs__qtab_at(&t, 0.5);
  st->batch_tokens_p90 = cs__qtab_at(&t, 0.9);
  /* the true time-weighted mean where the run has it; Vidur's field is a plain sample mean */
  if (!read_json_stat(a, plots, "replica_memory_usage.json", "_time_weighted_mean", "_max", &st->mem_mean, &st->mem_max))
    read_json_stat(a, plots, "replica_memory_usage.json", "weighted_mean", "_max", &st->mem_mean, &st->mem_max);
  read_json_stat(a, plots, "replica_busy_time.json", "weighted_mean", NULL, &st->busy_mean, NULL);
  read_json_stat(a, plots, "replica_mfu.json", "weighted_mean", NULL, &st->mfu_mean, NULL);
  prefix_hits(a, plots, &st->prefix_hit);
  free(plots);
  free(ts);
}
