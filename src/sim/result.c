/* Builds a cs_sim_result from a finished simulation; public accessors. */
#include "sim/result.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/sort.h"
#include "util/sbuf.h"

const char *const cs__batch_metric_names[CS__BM_COUNT] = {
    [CS__BM_SIZE] = "batch_size",
    [CS__BM_TOKENS] = "batch_num_tokens",
    [CS__BM_PREFILL] = "batch_num_prefill_tokens",
    [CS__BM_DECODE] = "batch_num_decode_tokens",
    [CS__BM_EXEC] = "batch_execution_time",
    [CS__BM_PREFILLS_DONE] = "batch_num_completed_prefills",
};

typedef struct idrec {
  double id;
  int32_t idx;
} idrec;

static int cmp_id(const void *a, const void *b) {
  const idrec *x = a, *y = b;
  return x->id < y->id ? -1 : x->id > y->id;
}

static void *dup_mem(const void *p, size_t n) {
  void *q = cs__xmalloc(n ? n : 1);
  if (n) memcpy(q, p, n);
  return q;
}

/* Per replica and per pipeline stage: memory, busy time, MFU, batch counts, batch tables. */
static void replica_results(cs__sim *sim, cs_sim_result *r) {
  int32_t R = sim->num_replicas, S = sim->num_stages;
  r->num_replicas = R;
  r->num_stages = S;
  r->replicas = cs__xcalloc((size_t)R, sizeof *r->replicas);
  r->stages = cs__xcalloc((size_t)R * (size_t)S, sizeof *r->stages);
  r->batch_replica = cs__xcalloc((size_t)R * CS__BM_COUNT, sizeof *r->batch_replica);
  for (int32_t k = 0; k < R; k++) {
    cs__replica *rep = &sim->replicas[k];
    cs_replica_stats *rs = &r->replicas[k];
    rs->memory_usage_min = rep->mem.have ? rep->mem.min : 0;
    rs->memory_usage_max = rep->mem.have ? rep->mem.max : 0;
    rs->memory_usage_weighted_mean = cs__meter_mean(&rep->mem);
    rs->memory_usage_sample_mean = cs__meter_sample_mean(&rep->mem);
    double busy = 0, mfu = 0;
    for (int32_t s = 0; s < S; s++) {
      cs__stage *st = &rep->stages[s];
      cs__stage_stats *ss = &r->stages[k * S + s];
      ss->busy_min = st->busy_meter.have ? st->busy_meter.min : 0;
      ss->busy_max = st->busy_meter.have ? st->busy_meter.max : 0;
      ss->busy_mean = cs__meter_mean(&st->busy_meter);
      ss->mfu_min = st->mfu_meter.have ? st->mfu_meter.min : 0;
      ss->mfu_max = st->mfu_meter.have ? st->mfu_meter.max : 0;
      ss->mfu_mean = cs__meter_mean(&st->mfu_meter);
      busy += ss->busy_mean;
      mfu += ss->mfu_mean;
    }
    rs->busy_time_percent = busy / S;
    rs->mfu_weighted_mean = mfu / S;
    rs->num_batches = rep->num_batches;
    rs->num_preemptions = rep->num_preemptions;
    for (int m = 0; m < CS__BM_COUNT; m++)
      if (m == CS__BM_EXEC) { /* sorted in place: the cluster's table reads the sorted parts */
        cs__sort_doubles(rep->bm_exec.v, rep->bm_exec.n);
        cs__quantile_table_sorted(rep->bm_exec.v, rep->bm_exec.n, &r->batch_replica[k * CS__BM_COUNT + m]);
      } else
        cs_quantile_table_build_counts(rep->bm_counts[m].v, rep->bm_counts[m].n,
                                       &r->batch_replica[k * CS__BM_COUNT + m]);
  }
}

/* The cluster's batch tables: the replica's own when there is one replica; otherwise the sum of
 * the replicas' histograms (whole-number metrics) or the quantiles of all execution times. */
static void cluster_batch_tables(cs__sim *sim, cs_sim_result *r) {
  int32_t R = sim->num_replicas;
  for (int m = 0; m < CS__BM_COUNT; m++) {
    if (R == 1) { /* the cluster is the replica */
      r->batch[m] = r->batch_replica[m];
      continue;
    }
    if (m != CS__BM_EXEC) { /* the cluster's histogram is the sum of the replicas' */
      size_t nv = 0;
      for (int32_t k = 0; k < R; k++)
        if (sim->replicas[k].bm_counts[m].n > nv) nv = sim->replicas[k].bm_counts[m].n;
      uint32_t *sum = cs__xcalloc(nv ? nv : 1, sizeof *sum);
      for (int32_t k = 0; k < R; k++)
        for (size_t x = 0; x < sim->replicas[k].bm_counts[m].n; x++) sum[x] += sim->replicas[k].bm_counts[m].v[x];
      cs_quantile_table_build_counts(sum, nv, &r->batch[m]);
      free(sum);
      continue;
    }
    /* the execution times: ranks searched in the replicas' sorted arrays, no merged copy */
    const double **parts = cs__xmalloc((size_t)R * sizeof *parts);
    size_t *np = cs__xmalloc((size_t)R * sizeof *np);
    for (int32_t k = 0; k < R; k++) {
      parts[k] = sim->replicas[k].bm_exec.v;
      np[k] = sim->replicas[k].bm_exec.n;
    }
    cs__quantile_table_parts(parts, np, (size_t)R, &r->batch[m]);
    free(parts);
    free(np);
  }
}

static void sim_stats(cs__sim *sim, double wall_s, cs_sim_stats *st) {
  int32_t R = sim->num_replicas;
  st->num_arrived = sim->num_arrived;
  st->num_completed = sim->num_completed;
  st->num_events = sim->num_events;
  st->num_batches = sim->num_batches;
  st->num_preemptions = sim->num_preemptions;
  st->num_blocks = sim->num_blocks;
  st->end_time = sim->now;
  st->hit_time_limit = sim->terminated && !sim->stopped_early;
  st->stopped_early = sim->stopped_early;
  st->wall_seconds = wall_s;
  size_t bytes = sim->arena.total + sim->heap.cap * sizeof(cs__event) + sim->records.cap * sizeof(cs_request_record) +
                 sim->arrived.cap * sizeof(void *) + sim->completion_times.cap * sizeof(double) +
                 sim->gqueue.cap * sizeof(void *) + sim->chrome.cap * sizeof(cs__chrome_ev) +
                 sim->batch_rows.cap * sizeof(cs__batch_row);
  for (int32_t k = 0; k < R; k++) {
    bytes += sim->replicas[k].bm_exec.cap * sizeof(double);
    for (int m = 0; m < CS__BM_COUNT; m++) bytes += sim->replicas[k].bm_counts[m].cap * sizeof(uint32_t);
  }
  for (int k = 0; k < CS__EV_KINDS; k++) bytes += sim->nowq[k].cap * sizeof(cs__event);
  st->peak_bytes = bytes;
}

/* Puts the records in id order in place (cycle by cycle: the one at j moves to dest[j]), so
 * the result can take the simulation's array instead of a second copy of every record. */
static void permute_records(cs_request_record *v, const int32_t *dest, size_t n) {
  unsigned char *done = cs__xcalloc(n ? n : 1, 1);
  for (size_t s = 0; s < n; s++) {
    if (done[s]) continue;
    cs_request_record carry = v[s];
    size_t j = s;
    do {
      size_t k = (size_t)dest[j];
      cs_request_record t = v[k];
      v[k] = carry;
      carry = t;
      done[k] = 1;
      j = k;
    } while (j != s);
  }
  free(done);
}

int cs__sim_make_result(cs__sim *sim, double wall_s, cs_sim_result **out) {
  cs_sim_result *r = cs__xcalloc(1, sizeof *r);
  sim_stats(sim, wall_s, &r->stats); /* before the records move (it reads their capacity) */
  size_t n = sim->records.n;
  /* sort by id, remembering the completion order */
  idrec *ix = cs__xmalloc((n ? n : 1) * sizeof *ix);
  for (size_t i = 0; i < n; i++) ix[i] = (idrec){sim->records.v[i].v[CS_RM_REQUEST_ID], (int32_t)i};
  qsort(ix, n, sizeof *ix, cmp_id);
  r->completion_order = cs__xmalloc((n ? n : 1) * sizeof *r->completion_order);
  for (size_t i = 0; i < n; i++) r->completion_order[ix[i].idx] = (int32_t)i;
  free(ix);
  permute_records(sim->records.v, r->completion_order, n);
  if (n) { /* give back the vector's spare capacity (a failed shrink keeps the block) */
    cs_request_record *shrunk = realloc(sim->records.v, n * sizeof *r->records);
    r->records = shrunk ? shrunk : sim->records.v;
  } else {
    free(sim->records.v);
    r->records = cs__xmalloc(sizeof *r->records);
  }
  sim->records.v = NULL;
  sim->records.n = sim->records.cap = 0;
  r->nrecords = n;
  r->narrivals = sim->arrived.n;
  r->arrivals = cs__xmalloc((r->narrivals ? r->narrivals : 1) * sizeof *r->arrivals);
  r->arrival_replica = cs__xmalloc((r->narrivals ? r->narrivals : 1) * sizeof *r->arrival_replica);
  for (size_t i = 0; i < r->narrivals; i++) {
    r->arrivals[i] = sim->arrived.v[i]->arrived_at;
    r->arrival_replica[i] = sim->arrived.v[i]->replica_id;
  }
  r->completions = dup_mem(sim->completion_times.v, sim->completion_times.n * sizeof(double));
  r->ncompletions = sim->completion_times.n;
  r->chrome = dup_mem(sim->chrome.v, sim->chrome.n * sizeof(cs__chrome_ev));
  r->nchrome = sim->chrome.n;
  r->batch_rows = dup_mem(sim->batch_rows.v, sim->batch_rows.n * sizeof(cs__batch_row));
  r->nbatch_rows = sim->batch_rows.n;
  snprintf(r->predictor_name, sizeof r->predictor_name, "%s", cs_predictor_get_ops(sim->cfg->predictor)->info.name);

  replica_results(sim, r);
  for (size_t i = 0; i < n; i++) {
    int32_t k = (int32_t)r->records[i].v[CS_RM_REPLICA];
    if (k < 0 || k >= r->num_replicas) continue;
    r->replicas[k].prefix_cached_tokens += (int64_t)r->records[i].v[CS_RM_NUM_PREFILL_CACHED];
    r->replicas[k].prefix_total_tokens += (int64_t)r->records[i].v[CS_RM_NUM_PREFILL];
  }
  cluster_batch_tables(sim, r);
  *out = r;
  return 0;
}

void cs_sim_result_free(cs_sim_result *r) {
  if (!r) return;
  free(r->records);
  free(r->completion_order);
  free(r->replicas);
  free(r->stages);
  free(r->batch_replica);
  free(r->arrivals);
  free(r->arrival_replica);
  free(r->completions);
  free(r->chrome);
  free(r->batch_rows);
  free(r->extra_values);
  free(r);
}

const cs_sim_stats *cs_sim_result_stats(const cs_sim_result *r) { return &r->stats; }

const cs_request_record *cs_sim_result_records(const cs_sim_result *r, size_t *n) {
  *n = r->nrecords;
  return r->records;
}

const cs_replica_stats *cs_sim_result_replica(const cs_sim_result *r, int replica) {
  if (replica < 0 || replica >= r->num_replicas) return NULL;
  return &r->replicas[replica];
}

const cs_quantile_table *cs_sim_result_batch_table(const cs_sim_result *r, const char *metric) {
  for (int m = 0; m < CS__BM_COUNT; m++)
    if (!strcmp(cs__batch_metric_names[m], metric)) return &r->batch[m];
  return NULL;
}
