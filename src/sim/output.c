/* Vidur-V1-compatible result directory (vidur-semantics.md §6.2-§6.3):
 *   config.json                      the resolved configuration (+ the caller's job JSON)
 *   request_metrics.csv[.gz]         V1 columns and order, sorted by Request Id, floats "%.6f"
 *   plots/<metric>.csv               101-row quantile tables (cdf,<metric>) of the 15 time metrics
 *   plots/<metric>_replicawise.csv   the same per replica (cdf,<metric>,replica) when R > 1
 *   plots/request_{arrival,completion}_time_series.csv (+ _timeseries_replicawise.csv when R > 1)
 *   plots/batch_*.csv                per-replica batch quantile tables (cdf,<metric>,replica);
 *                                    exact pandas quantiles where Vidur uses DDSketch (1% accuracy)
 *   plots/replica_{memory_usage,busy_time,mfu,prefix_cache_metrics}.json
 *   config.yml, plots/replica_<i>_memory_usage.json, replica_<i>_stage_<j>_{mfu,
 *   busy_time_percent}.json: Vidur's own names, what its capacity-search analyzer reads
 *   chrome_trace.json                when recorded
 *   batch_metrics.csv                one row per batch when record_batches
 * Every file is written atomically; identical inputs give byte-identical files. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/sort.h"
#include "sim/output_vidur.h"
#include "sim/result.h"
#include "util/fs.h"
#include "util/csvw.h"
#include "util/json.h"
#include "util/text.h"

/* The text buffer every writer below fills, with how its files are committed: atomically one
 * by one (tmp + fsync + rename), or, inside a private directory the caller publishes with one
 * rename (opts->private_dir), written in place with their writeback started, then made durable
 * together at the end (one fdatasync pass, cs__syncset) before the directories are synced: one
 * journal commit per probe instead of one per file; with opts->no_sync, written in place and
 * left to the caller (cs__syncset lazy). `sb` is the first member, so writers keep taking a
 * cs__sbuf *. */
typedef struct outbuf {
  cs__sbuf sb;
  bool in_place;
  cs__syncset sync; /* in_place: the files written, not yet durable */
  cs__digests *dig; /* when set: the size and sha1 of each file written (not gzip: zlib writes
                       those bytes), named relative to the output directory (base_len chars) */
  size_t base_len;
} outbuf;

static int write_sbuf(const char *dir, const char *name, cs__sbuf *sb, bool gz, cs_err *err) {
  char *path = cs__path_join(dir, name);
  outbuf *ob = (outbuf *)sb;
  const char *data = sb->buf ? sb->buf : "";
  int rc = ob->in_place ? cs__write_file_deferred(path, data, sb->len, gz, &ob->sync, err)
                        : cs__write_file_atomic(path, data, sb->len, gz, err);
  if (rc == 0 && ob->dig && !gz) {
    const char *rel = path + ob->base_len;
    while (*rel == '/') rel++;
    cs__digests_add(ob->dig, rel, data, sb->len);
  }
  free(path);
  cs__sbuf_reset(sb);
  return rc;
}

/* A finished JSON document from w (the writer checked it) as plots/<name>. */
static int write_json(const char *dir, const char *name, const cs__jw *w, cs__sbuf *sb, cs_err *err) {
  int rc = cs__jw_finish(w, name, err);
  return rc ? rc : write_sbuf(dir, name, sb, false, err);
}

/* A JSON number: integral values as integers (100, not 1e+02), others shortest round-trip. */
static void jw_knum(cs__jw *w, const char *key, double v) {
  if (isfinite(v) && v == floor(v) && fabs(v) < 1e15)
    cs__jw_kint(w, key, (int64_t)v);
  else
    cs__jw_knum(w, key, v);
}

static void add_py(cs__sbuf *sb, double v) {
  char b[32];
  if (isnan(v)) return; /* pandas writes NaN as an empty field */
  cs__sbuf_adds(sb, cs__fmt_pyfloat(v, b));
}

/* ",<n>": a non-negative count or id without printf (time series: two per request). */
static void add_comma_u(cs__sbuf *sb, unsigned long long u) {
  char b[24], *p = b + sizeof b;
  do {
    *--p = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  *--p = ',';
  cs__sbuf_add(sb, p, (size_t)(b + sizeof b - p));
}

/* One request_metrics.csv field: "%lld" for whole-number columns, "%.6f" otherwise, written
 * without printf on the common path (12,000+ rows x 20 columns per probe). */
static void add_f6(cs__sbuf *sb, double v, bool is_int) {
  if (isnan(v)) return;
  if (isinf(v)) {
    cs__sbuf_adds(sb, v < 0 ? "-inf" : "inf");
    return;
  }
  char b[32];
  if (is_int) {
    long long x = (long long)v;
    unsigned long long u = x < 0 ? 0ull - (unsigned long long)x : (unsigned long long)x;
    char *p = b + sizeof b;
    do {
      *--p = (char)('0' + u % 10);
      u /= 10;
    } while (u);
    if (x < 0) *--p = '-';
    cs__sbuf_add(sb, p, (size_t)(b + sizeof b - p));
    return;
  }
  size_t n = cs__fmt_fixed6(v, b);
  if (n)
    cs__sbuf_add(sb, b, n);
  else
    cs__sbuf_addf(sb, "%.6f", v);
}

static void write_table_rows(cs__sbuf *sb, const cs_quantile_table *t, int replica) {
  for (int i = 0; i <= 100; i++) {
    add_py(sb, t->cdf[i]);
    cs__sbuf_addc(sb, ',');
    add_py(sb, t->value[i]);
    if (replica >= 0) add_comma_u(sb, (unsigned long long)replica);
    cs__sbuf_addc(sb, '\n');
  }
}

/* "cdf,<metric>[,replica]": the header of a quantile table */
static void cdf_header(cs__sbuf *sb, const char *metric, bool replica) {
  cs__sbuf_adds(sb, "cdf,");
  cs__csv_field(sb, metric);
  cs__sbuf_adds(sb, replica ? ",replica\n" : "\n");
}

static int write_request_metrics(const cs_sim_result *r, const char *dir, bool gz, cs__sbuf *sb, cs_err *err) {
  for (int m = 0; m < CS_RM_COUNT; m++) {
    if (m) cs__sbuf_addc(sb, ',');
    cs__csv_field(sb, cs_rm_name((cs_rm)m));
  }
  if (r->extra_column) {
    cs__sbuf_addc(sb, ',');
    cs__csv_field(sb, r->extra_column);
  }
  cs__sbuf_addc(sb, '\n');
  for (size_t i = 0; i < r->nrecords; i++) {
    for (int m = 0; m < CS_RM_COUNT; m++) {
      if (m) cs__sbuf_addc(sb, ',');
      add_f6(sb, r->records[i].v[m], cs_rm_is_integer((cs_rm)m));
    }
    if (r->extra_column) {
      cs__sbuf_addc(sb, ',');
      add_f6(sb, r->extra_values[i], false);
    }
    cs__sbuf_addc(sb, '\n');
  }
  return write_sbuf(dir, gz ? "request_metrics.csv.gz" : "request_metrics.csv", sb, gz, err);
}

/* The records' indices grouped by replica (ascending within each): replica k's are
 * idx[start[k] .. start[k+1]); records whose replica is outside [0, R) are left out. One pass
 * instead of a scan of every record per replica and metric. Both arrays malloc'd. */
static void group_by_replica(const cs_sim_result *r, size_t **idx_out, size_t **start_out) {
  size_t n = r->nrecords, R = (size_t)r->num_replicas;
  size_t *start = cs__xcalloc(R + 2, sizeof *start), *idx = cs__xmalloc((n ? n : 1) * sizeof *idx);
  for (size_t i = 0; i < n; i++) {
    int32_t k = (int32_t)r->records[i].v[CS_RM_REPLICA];
    if (k >= 0 && (size_t)k < R) start[k + 2]++;
  }
  for (size_t k = 2; k < R + 2; k++) start[k] += start[k - 1];
  for (size_t i = 0; i < n; i++) {
    int32_t k = (int32_t)r->records[i].v[CS_RM_REPLICA];
    if (k >= 0 && (size_t)k < R) idx[start[k + 1]++] = i;
  }
  *idx_out = idx;
  *start_out = start;
}

static int write_plots(const cs_sim_result *r, const char *plots, cs__sbuf *sb, cs_err *err) {
  int rc;
  size_t n = r->nrecords;
  double *vals = cs__xmalloc((n ? n : 1) * sizeof *vals);
  size_t *idx = NULL, *start = NULL;
  if (r->num_replicas > 1) group_by_replica(r, &idx, &start);
  char name[160];
  for (int m = 0; m < CS_RM_COUNT; m++) {
    if (!cs_rm_is_distribution((cs_rm)m)) continue;
    const char *col = cs_rm_name((cs_rm)m);
    for (size_t i = 0; i < n; i++) vals[i] = r->records[i].v[m];
    cs_quantile_table t;
    cs__sort_doubles(vals, n); /* vals is scratch: sorted in place, no copy */
    cs__quantile_table_sorted(vals, n, &t);
    cdf_header(sb, col, false);
    write_table_rows(sb, &t, -1);
    snprintf(name, sizeof name, "%s.csv", col);
    if ((rc = write_sbuf(plots, name, sb, false, err))) goto out;
    if (r->num_replicas > 1) {
      cdf_header(sb, col, true);
      for (int32_t k = 0; k < r->num_replicas; k++) {
        size_t c = 0;
        for (size_t j = start[k]; j < start[k + 1]; j++) vals[c++] = r->records[idx[j]].v[m];
        if (!c) continue;
        cs__sort_doubles(vals, c);
        cs__quantile_table_sorted(vals, c, &t);
        write_table_rows(sb, &t, k);
      }
      snprintf(name, sizeof name, "%s_replicawise.csv", col);
      if ((rc = write_sbuf(plots, name, sb, false, err))) goto out;
    }
  }
  cs__sbuf_adds(sb, "Time (sec),request_arrival\n");
  for (size_t i = 0; i < r->narrivals; i++) {
    add_py(sb, r->arrivals[i]);
    add_comma_u(sb, i + 1);
    cs__sbuf_addc(sb, '\n');
  }
  if ((rc = write_sbuf(plots, "request_arrival_time_series.csv", sb, false, err))) goto out;
  cs__sbuf_adds(sb, "Time (sec),request_completion\n");
  for (size_t i = 0; i < r->ncompletions; i++) {
    add_py(sb, r->completions[i]);
    add_comma_u(sb, i + 1);
    cs__sbuf_addc(sb, '\n');
  }
  if ((rc = write_sbuf(plots, "request_completion_time_series.csv", sb, false, err))) goto out;
  if (r->num_replicas > 1) { /* per-replica cumulative counts, rows in time order */
    int64_t *cnt = cs__xcalloc((size_t)r->num_replicas, sizeof *cnt);
    cs__sbuf_adds(sb, "Time (sec),request_arrival,replica\n");
    for (size_t i = 0; i < r->narrivals; i++) {
      int32_t k = r->arrival_replica[i];
      if (k < 0 || k >= r->num_replicas) continue;
      add_py(sb, r->arrivals[i]);
      add_comma_u(sb, (unsigned long long)++cnt[k]);
      add_comma_u(sb, (unsigned long long)k);
      cs__sbuf_addc(sb, '\n');
    }
    rc = write_sbuf(plots, "request_arrival_timeseries_replicawise.csv", sb, false, err);
    memset(cnt, 0, (size_t)r->num_replicas * sizeof *cnt);
    cs__sbuf_adds(sb, "Time (sec),request_completion,replica\n");
    for (size_t i = 0; !rc && i < r->ncompletions; i++) {
      int32_t k = (int32_t)r->records[r->completion_order[i]].v[CS_RM_REPLICA];
      if (k < 0 || k >= r->num_replicas) continue;
      add_py(sb, r->completions[i]);
      add_comma_u(sb, (unsigned long long)++cnt[k]);
      add_comma_u(sb, (unsigned long long)k);
      cs__sbuf_addc(sb, '\n');
    }
    if (!rc) rc = write_sbuf(plots, "request_completion_timeseries_replicawise.csv", sb, false, err);
    free(cnt);
    if (rc) goto out;
  }
  for (int m = 0; m < CS__BM_COUNT; m++) {
    cdf_header(sb, cs__batch_metric_names[m], true);
    for (int32_t k = 0; k < r->num_replicas; k++) {
      const cs_quantile_table *t = &r->batch_replica[k * CS__BM_COUNT + m];
      if (t->count) write_table_rows(sb, t, k);
    }
    snprintf(name, sizeof name, "%s.csv", cs__batch_metric_names[m]);
    if ((rc = write_sbuf(plots, name, sb, false, err))) goto out;
  }
  rc = 0;
out:
  free(vals);
  free(idx);
  free(start);
  return rc;
}

static int write_replica_json(const cs_sim_result *r, const char *plots, cs__sbuf *sb, cs_err *err) {
  cs__jw w;
  char key[32];
  int rc;
  cs__jw_init(&w, sb, false);
  cs__jw_obj_begin(&w);
  for (int32_t k = 0; k < r->num_replicas; k++) {
    snprintf(key, sizeof key, "%d", k);
    cs__jw_key(&w, key);
    cs__jw_obj_begin(&w);
    jw_knum(&w, "replica_memory_usage_min", r->replicas[k].memory_usage_min);
    jw_knum(&w, "replica_memory_usage_max", r->replicas[k].memory_usage_max);
    /* Vidur's field holds the plain mean of the memory samples; the time-weighted mean (each
     * sample held until the next) has its own name */
    jw_knum(&w, "replica_memory_usage_weighted_mean", r->replicas[k].memory_usage_sample_mean);
    jw_knum(&w, "replica_memory_usage_time_weighted_mean", r->replicas[k].memory_usage_weighted_mean);
    cs__jw_obj_end(&w);
  }
  cs__jw_obj_end(&w);
  cs__sbuf_addc(sb, '\n');
  if ((rc = write_json(plots, "replica_memory_usage.json", &w, sb, err))) return rc;
  for (int which = 0; which < 2; which++) {
    cs__jw_init(&w, sb, false);
    cs__jw_obj_begin(&w);
    for (int32_t k = 0; k < r->num_replicas; k++) {
      snprintf(key, sizeof key, "%d", k);
      cs__jw_key(&w, key);
      cs__jw_obj_begin(&w);
      for (int32_t s = 0; s < r->num_stages; s++) {
        const cs__stage_stats *ss = &r->stages[k * r->num_stages + s];
        snprintf(key, sizeof key, "%d", s);
        cs__jw_key(&w, key);
        cs__jw_obj_begin(&w);
        if (which == 0) {
          jw_knum(&w, "busy_time_percent_min", ss->busy_min);
          jw_knum(&w, "busy_time_percent_max", ss->busy_max);
          jw_knum(&w, "busy_time_percent_weighted_mean", ss->busy_mean);
        } else {
          jw_knum(&w, "mfu_min", ss->mfu_min);
          jw_knum(&w, "mfu_max", ss->mfu_max);
          jw_knum(&w, "mfu_weighted_mean", ss->mfu_mean);
        }
        cs__jw_obj_end(&w);
      }
      cs__jw_obj_end(&w);
    }
    cs__jw_obj_end(&w);
    cs__sbuf_addc(sb, '\n');
    if ((rc = write_json(plots, which == 0 ? "replica_busy_time.json" : "replica_mfu.json", &w, sb, err))) return rc;
  }
  cs__jw_init(&w, sb, false);
  cs__jw_obj_begin(&w);
  for (int32_t k = 0; k < r->num_replicas; k++) {
    snprintf(key, sizeof key, "%d", k);
    cs__jw_key(&w, key);
    cs__jw_obj_begin(&w);
    int64_t c = r->replicas[k].prefix_cached_tokens, t = r->replicas[k].prefix_total_tokens;
    cs__jw_kint(&w, "cached_tokens_sum", c);
    cs__jw_kint(&w, "total_tokens_sum", t);
    jw_knum(&w, "hit_ratio", t ? (double)c / (double)t : 0.0);
    cs__jw_obj_end(&w);
  }
  cs__jw_obj_end(&w);
  cs__sbuf_addc(sb, '\n');
  if ((rc = write_json(plots, "replica_prefix_cache_metrics.json", &w, sb, err))) return rc;
  for (int32_t k = 0; k < r->num_replicas; k++)
    for (int which = 0; which < 3; which++)
      for (int32_t st = 0; st < (which ? r->num_stages : 1); st++) {
        char name[96];
        cs__vidur_replica_json(r, k, st, which, name, sizeof name, sb);
        if ((rc = write_sbuf(plots, name, sb, false, err))) return rc;
      }
  return 0;
}

static void jw_params(cs__jw *w, const char *key, const char *name, const cs_params *p, const char *kind,
                      const cs_policy_info *pi) {
  cs__jw_key(w, key);
  cs__jw_obj_begin(w);
  cs__jw_kstr(w, "name", name);
  cs_params full;
  if (name && pi && !cs__sim_finish_params(p, pi, kind, &full, NULL))
    for (size_t i = 0; i < pi->nparams; i++) { /* declared order: stable output */
      double v = cs_params_get(&full, pi->params[i].name, pi->params[i].def);
      if (pi->params[i].type == CS_OPT_FLAG)
        cs__jw_kbool(w, pi->params[i].name, v != 0);
      else if (pi->params[i].type == CS_OPT_INT)
        cs__jw_kint(w, pi->params[i].name, (int64_t)v);
      else
        jw_knum(w, pi->params[i].name, v);
    }
  cs__jw_obj_end(w);
}

static const char *arrival_name(cs_arrival_kind k) {
  static const char *const n[] = {"poisson", "gamma", "static", "uniform", "trace"};
  return (unsigned)k < 5 ? n[k] : "?";
}
static const char *length_name(cs_length_kind k) {
  static const char *const n[] = {"trace", "fixed", "uniform", "zipf"};
  return (unsigned)k < 4 ? n[k] : "?";
}

static int write_config(const cs_sim_result *r, const cs_sim_config *cfg, const char *extra, cs__sbuf *sb, cs_err *err) {
  cs__jw w;
  cs__jw_init(&w, sb, false);
  cs__jw_obj_begin(&w);
  cs__jw_kstr(&w, "simulator", "capsearch");
  cs__jw_kuint(&w, "seed", cfg->workload.seed);
  jw_knum(&w, "time_limit", cfg->time_limit_s);
  cs__jw_key(&w, "cluster_config");
  cs__jw_obj_begin(&w);
  cs__jw_kint(&w, "num_replicas", cfg->num_replicas);
  cs__jw_key(&w, "replica_config");
  cs__jw_obj_begin(&w);
  const cs_model *m = cfg->model;
  cs__jw_kstr(&w, "model_name", m->name);
  jw_knum(&w, "memory_margin_fraction", cfg->memory_margin);
  cs__jw_kint(&w, "num_pipeline_stages", cfg->pp);
  cs__jw_kint(&w, "tensor_parallel_size", cfg->tp);
  cs__jw_kstr(&w, "device", cfg->device->name);
  cs__jw_kstr(&w, "network_device", cfg->network ? cfg->network->name : NULL);
  cs__jw_kint(&w, "world_size", (int64_t)cfg->tp * cfg->pp);
  cs__jw_key(&w, "model_config");
  cs__jw_obj_begin(&w);
  cs__jw_kint(&w, "num_layers", m->num_layers);
  cs__jw_kint(&w, "num_q_heads", m->num_q_heads);
  cs__jw_kint(&w, "num_kv_heads", m->num_kv_heads);
  cs__jw_kint(&w, "embedding_dim", m->hidden);
  cs__jw_kint(&w, "mlp_hidden_dim", m->mlp_hidden);
  cs__jw_kbool(&w, "use_gated_mlp", m->gated_mlp);
  cs__jw_kint(&w, "vocab_size", m->vocab);
  cs__jw_obj_end(&w);
  cs__jw_obj_end(&w);
  const cs_policy_info *rpi = NULL, *gpi = NULL, *qpi = NULL;
  if (cs__sim_resolve(cfg, &rpi, &gpi, &qpi, NULL)) rpi = gpi = qpi = NULL; /* cs_sim_run refused it */
  jw_params(&w, "global_scheduler_config", gpi ? gpi->name : cfg->global_scheduler, &cfg->global_params,
            "global scheduler", gpi);
  jw_params(&w, "replica_scheduler_config", rpi ? rpi->name : cfg->replica_scheduler, &cfg->replica_params,
            "replica scheduler", rpi);
  jw_params(&w, "request_queue_config", qpi ? qpi->name : cfg->request_queue ? cfg->request_queue : "fcfs",
            &cfg->queue_params, "request queue", qpi);
  cs__jw_kint(&w, "block_size", cfg->block_size);
  cs__jw_kint(&w, "num_blocks", r->stats.num_blocks);
  jw_knum(&w, "watermark_blocks_fraction", cfg->watermark_fraction);
  cs__jw_kbool(&w, "enable_prefix_caching", cfg->prefix_caching);
  cs__jw_kint(&w, "num_preallocate_tokens", cfg->prealloc_tokens);
  cs__jw_kbool(&w, "keep_prompt_on_restart", !cfg->vidur_restart_quirk);
  cs__jw_obj_end(&w);
  const cs_workload_spec *ws = &cfg->workload;
  cs__jw_key(&w, "request_generator_config");
  cs__jw_obj_begin(&w);
  cs__jw_kstr(&w, "arrival", arrival_name(ws->arrival));
  jw_knum(&w, "qps", ws->qps);
  if (ws->arrival == CS_ARRIVAL_GAMMA) jw_knum(&w, "cv", ws->cv);
  if (ws->arrival == CS_ARRIVAL_POISSON) cs__jw_kbool(&w, "poisson_truncated", !ws->poisson_untruncated);
  if (ws->arrival == CS_ARRIVAL_TRACE) jw_knum(&w, "time_scale_factor", ws->time_scale);
  cs__jw_kstr(&w, "length", length_name(ws->length));
  cs__jw_kstr(&w, "trace_file", ws->trace ? ws->trace->path : NULL);
  if (ws->length == CS_LENGTH_FIXED) {
    cs__jw_kint(&w, "prefill_tokens", ws->fixed_prefill);
    cs__jw_kint(&w, "decode_tokens", ws->fixed_decode);
  }
  if (ws->length == CS_LENGTH_UNIFORM || ws->length == CS_LENGTH_ZIPF) {
    cs__jw_kint(&w, "min_tokens", ws->min_tokens);
    cs__jw_kint(&w, "max_tokens", ws->max_tokens);
    jw_knum(&w, "prefill_to_decode_ratio", ws->pd_ratio);
    if (ws->length == CS_LENGTH_ZIPF) jw_knum(&w, "theta", ws->zipf_theta);
  }
  jw_knum(&w, "prefill_scale_factor", ws->prefill_scale);
  jw_knum(&w, "decode_scale_factor", ws->decode_scale);
  cs__jw_kint(&w, "num_requests", ws->num_requests);
  jw_knum(&w, "duration", ws->duration);
  cs__jw_kint(&w, "max_tokens", ws->max_seq_len);
  cs__jw_kuint(&w, "seed", ws->seed);
  cs__jw_obj_end(&w);
  cs__jw_key(&w, "execution_time_predictor_config");
  cs__jw_obj_begin(&w);
  cs__jw_kstr(&w, "name", r->predictor_name);
  cs__jw_obj_end(&w);
  cs__jw_kuint(&w, "router_seed", cfg->router_seed);
  /* the caller's JSON object (the job): its members follow ours */
  int rc = extra ? cs__jw_members(&w, extra, err) : 0;
  cs__jw_obj_end(&w);
  if (!rc) rc = cs__jw_finish(&w, "config.json", err);
  cs__sbuf_addc(sb, '\n');
  return rc;
}

/* Chrome's trace-event format (chrome://tracing, Perfetto): one complete event per batch and
 * line, written compactly. */
static int write_chrome(const cs_sim_result *r, const char *dir, cs__sbuf *sb, cs_err *err) {
  cs__jw w;
  cs__jw_init_tight(&w, sb);
  cs__jw_obj_begin(&w);
  cs__jw_key(&w, "traceEvents");
  cs__jw_arr_begin(&w);
  char name[48];
  for (size_t i = 0; i < r->nchrome; i++) {
    const cs__chrome_ev *e = &r->chrome[i];
    snprintf(name, sizeof name, "batch %lld", (long long)e->batch_id);
    cs__jw_break(&w);
    cs__jw_obj_begin(&w);
    cs__jw_kstr(&w, "name", name);
    cs__jw_kstr(&w, "ph", "X");
    jw_knum(&w, "ts", e->start * 1e6);
    jw_knum(&w, "dur", e->dur * 1e6);
    cs__jw_kint(&w, "pid", e->replica);
    cs__jw_kint(&w, "tid", e->stage);
    cs__jw_key(&w, "args");
    cs__jw_obj_begin(&w);
    cs__jw_kint(&w, "batch_id", e->batch_id);
    cs__jw_kint(&w, "batch_size", e->size);
    cs__jw_kint(&w, "num_tokens", e->tokens);
    cs__jw_obj_end(&w);
    cs__jw_obj_end(&w);
  }
  cs__jw_break(&w);
  cs__jw_arr_end(&w);
  cs__jw_obj_end(&w);
  int rc = cs__jw_finish(&w, "chrome_trace.json", err);
  cs__sbuf_addc(sb, '\n');
  return rc ? rc : write_sbuf(dir, "chrome_trace.json", sb, false, err);
}

static int cmp_row(const void *a, const void *b) {
  const cs__batch_row *x = a, *y = b;
  return x->id < y->id ? -1 : x->id > y->id;
}

/* One row per batch, sorted by batch id (record_batches). */
static int write_batches(const cs_sim_result *r, const char *dir, cs__sbuf *sb, cs_err *err) {
  cs__batch_row *rows = cs__xmalloc((r->nbatch_rows ? r->nbatch_rows : 1) * sizeof *rows);
  if (r->nbatch_rows) memcpy(rows, r->batch_rows, r->nbatch_rows * sizeof *rows);
  qsort(rows, r->nbatch_rows, sizeof *rows, cmp_row);
  cs__sbuf_adds(sb, "Batch Id,replica,batch_scheduled_at,batch_completed_at,batch_size,batch_num_tokens,"
                    "batch_num_prefill_tokens,batch_num_decode_tokens,batch_execution_time,"
                    "batch_num_completed_prefills\n");
  for (size_t i = 0; i < r->nbatch_rows; i++) {
    const cs__batch_row *w = &rows[i];
    cs__sbuf_addf(sb, "%lld,%d,%.6f,%.6f,%d,%lld,%lld,%lld,%.6f,%d\n", (long long)w->id, w->replica, w->scheduled_at,
                  w->completed_at, w->size, (long long)w->tokens, (long long)w->prefill, (long long)w->decode,
                  w->completed_at - w->scheduled_at, w->completed_prefills);
  }
  free(rows);
  return write_sbuf(dir, "batch_metrics.csv", sb, false, err);
}

int cs_sim_write_outputs(const cs_sim_result *r, const cs_sim_config *cfg, const char *dir,
                         const cs_sim_write_opts *opts, cs_err *err) {
  return cs__sim_write_outputs_digests(r, cfg, dir, opts, NULL, err);
}

int cs__sim_write_outputs_digests(const cs_sim_result *r, const cs_sim_config *cfg, const char *dir,
                                  const cs_sim_write_opts *opts, cs__digests *dig, cs_err *err) {
  cs_sim_write_opts def = {.gzip_request_metrics = false, .write_plots = true, .config_json = NULL};
  if (!opts) opts = &def;
  if (!cs__is_dir(dir)) return cs_err_set(err, CS_ENOENT, "%s: output directory does not exist", dir);
  outbuf ob = {.in_place = opts->private_dir, .dig = dig, .base_len = strlen(dir)};
  cs__sbuf *sb = &ob.sb;
  cs__sbuf_init(sb);
  cs__syncset_init(&ob.sync);
  ob.sync.lazy = opts->private_dir && opts->no_sync;
  char *plots = cs__path_join(dir, "plots");
  int rc;
  if ((rc = write_config(r, cfg, opts->config_json, sb, err))) goto out;
  if ((rc = write_sbuf(dir, "config.json", sb, false, err))) goto out;
  cs__vidur_config_yml(r, cfg, sb);
  if ((rc = write_sbuf(dir, "config.yml", sb, false, err))) goto out;
  if ((rc = write_request_metrics(r, dir, opts->gzip_request_metrics, sb, err))) goto out;
  if (opts->write_plots) {
    if ((rc = cs__mkdir_p(plots, err))) goto out;
    if ((rc = write_plots(r, plots, sb, err))) goto out;
    if ((rc = write_replica_json(r, plots, sb, err))) goto out;
  }
  if (cfg->chrome_trace && (rc = write_chrome(r, dir, sb, err))) goto out;
  if (cfg->record_batches && (rc = write_batches(r, dir, sb, err))) goto out;
  if (ob.in_place && !ob.sync.lazy) {
    /* the files' data first, then the entries naming them: the caller's rename publishes both */
    if ((rc = cs__syncset_sync(&ob.sync, err))) goto out;
    if (opts->write_plots && (rc = cs__fsync_path(plots, err))) goto out;
    if ((rc = cs__fsync_path(dir, err))) goto out;
  }
  rc = 0;
out:
  cs__syncset_release(&ob.sync);
  free(plots);
  cs__sbuf_release(sb);
  return rc;
}
