/* One cs_sim_result from the two pools of a disaggregated run (docs/disaggregation.md).
 *
 * Per request (a = arrival, s_p / f_p = first schedule / end in the prefill pool, x = KV transfer
 * end = arrival at the decode pool, s_d = first schedule there, f_d = first output token, c =
 * completion): e2e = c - a; TTFT = f_d - a (it includes the transfer and the decode pool's wait);
 * prefill time (execution + preemption) = f_d - s_p; TPOT = (c - f_d) / D; scheduling delay =
 * (s_p - a) + (s_d - x), the time queued in both pools; execution, model-execution and preempted
 * times and restarts are summed over both pools; cached prompt tokens and the inter-arrival gap
 * come from the prefill pool; `replica` is the decode replica (numbered after the prefill ones);
 * `kv_transfer_time` = x - f_p (waiting for the link and sending). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/disagg_int.h"
#include "util/json.h"
#include "util/sbuf.h"

static void make_record(const cs__pool_req *p, const cs__pool_req *d, const cs__xfer *x, int64_t id, int32_t rp,
                        cs_request_record *rec) {
  const cs_request_facts facts = {
      .a = x->arrived_at, .s = p->scheduled_at, .f = d->prefill_completed_at, .c = d->completed_at,
      .e = p->exec + d->exec, .m = p->model_exec + d->model_exec, .p = p->preempt + d->preempt,
      .sched_delay = p->sched_delay + d->sched_delay, .P = d->metric_p, .D = d->metric_d,
      .num_prefill = d->metric_p, .num_decode = d->metric_d, .num_cached = p->cached,
      .inter_arrival = p->inter_arrival, .restarts = p->restarts + d->restarts, .replica = rp + d->replica,
      .id = (double)id};
  cs_request_record_fill(&facts, rec);
}

static void merge_records(const cs__pool_run *pre, const cs__pool_run *dec, const cs__xfer *x, size_t n,
                          cs_sim_result *r) {
  int32_t rp = pre->res->num_replicas;
  size_t nc = 0;
  for (size_t id = 0; id < n; id++) nc += dec->req[id].done;
  int32_t *idx = cs__xmalloc((n ? n : 1) * sizeof *idx);
  r->records = cs__xmalloc((nc ? nc : 1) * sizeof *r->records);
  r->extra_values = cs__xmalloc((nc ? nc : 1) * sizeof *r->extra_values);
  size_t k = 0;
  for (size_t id = 0; id < n; id++) {
    if (!dec->req[id].done) continue;
    make_record(&pre->req[id], &dec->req[id], &x[id], (int64_t)id, rp, &r->records[k]);
    r->extra_values[k] = x[id].end - pre->req[id].completed_at;
    idx[id] = (int32_t)k++;
  }
  r->nrecords = nc;
  r->extra_column = "kv_transfer_time";
  r->completion_order = cs__xmalloc((nc ? nc : 1) * sizeof *r->completion_order);
  for (size_t j = 0; j < dec->done_order.n && j < nc; j++) r->completion_order[j] = idx[dec->done_order.v[j]];
  free(idx);
}

/* Replicas, stages (padded to the deeper pool's PP) and per-replica batch tables, prefill first. */
static void merge_replicas(const cs_sim_result *P, const cs_sim_result *D, cs_sim_result *r) {
  int32_t R = P->num_replicas + D->num_replicas;
  int32_t S = P->num_stages > D->num_stages ? P->num_stages : D->num_stages;
  r->num_replicas = R;
  r->num_stages = S;
  r->replicas = cs__xcalloc((size_t)R, sizeof *r->replicas);
  r->stages = cs__xcalloc((size_t)R * (size_t)S, sizeof *r->stages);
  r->batch_replica = cs__xcalloc((size_t)R * CS__BM_COUNT, sizeof *r->batch_replica);
  const cs_sim_result *pools[2] = {P, D};
  int32_t base = 0;
  for (int q = 0; q < 2; q++) {
    const cs_sim_result *s = pools[q];
    for (int32_t k = 0; k < s->num_replicas; k++) {
      r->replicas[base + k] = s->replicas[k];
      for (int32_t st = 0; st < s->num_stages; st++)
        r->stages[(size_t)(base + k) * (size_t)S + (size_t)st] = s->stages[(size_t)k * (size_t)s->num_stages + (size_t)st];
      memcpy(&r->batch_replica[(size_t)(base + k) * CS__BM_COUNT], &s->batch_replica[(size_t)k * CS__BM_COUNT],
             CS__BM_COUNT * sizeof *r->batch_replica);
    }
    base += s->num_replicas;
  }
}

static void merge_batches(const cs__pool_run *pre, const cs__pool_run *dec, cs_sim_result *r) {
  for (int m = 0; m < CS__BM_COUNT; m++) {
    size_t a = pre->bm[m].n, b = dec->bm[m].n;
    double *all = cs__xmalloc((a + b ? a + b : 1) * sizeof *all);
    if (a) memcpy(all, pre->bm[m].v, a * sizeof *all);
    if (b) memcpy(all + a, dec->bm[m].v, b * sizeof *all);
    cs_quantile_table_build(all, a + b, &r->batch[m]);
    free(all);
  }
  const cs_sim_result *P = pre->res, *D = dec->res;
  int32_t rp = P->num_replicas;
  r->nchrome = P->nchrome + D->nchrome;
  r->chrome = cs__xmalloc((r->nchrome ? r->nchrome : 1) * sizeof *r->chrome);
  if (P->nchrome) memcpy(r->chrome, P->chrome, P->nchrome * sizeof *r->chrome);
  for (size_t i = 0; i < D->nchrome; i++) {
    r->chrome[P->nchrome + i] = D->chrome[i];
    r->chrome[P->nchrome + i].replica += rp;
  }
  r->nbatch_rows = P->nbatch_rows + D->nbatch_rows;
  r->batch_rows = cs__xmalloc((r->nbatch_rows ? r->nbatch_rows : 1) * sizeof *r->batch_rows);
  if (P->nbatch_rows) memcpy(r->batch_rows, P->batch_rows, P->nbatch_rows * sizeof *r->batch_rows);
  for (size_t i = 0; i < D->nbatch_rows; i++) {
    r->batch_rows[P->nbatch_rows + i] = D->batch_rows[i];
    r->batch_rows[P->nbatch_rows + i].replica += rp;
  }
}

int cs__disagg_merge(cs__pool_run *pre, cs__pool_run *dec, const cs__xfer *x, size_t n, double wall_s,
                     cs_sim_result **out) {
  cs_sim_result *P = pre->res, *D = dec->res;
  cs_sim_result *r = cs__xcalloc(1, sizeof *r);
  merge_records(pre, dec, x, n, r);
  merge_replicas(P, D, r);
  merge_batches(pre, dec, r);
  r->arrivals = P->arrivals; /* taken over */
  r->arrival_replica = P->arrival_replica;
  r->narrivals = P->narrivals;
  r->completions = D->completions;
  r->ncompletions = D->ncompletions;
  P->arrivals = D->completions = NULL;
  P->arrival_replica = NULL;
  snprintf(r->predictor_name, sizeof r->predictor_name, "%s", P->predictor_name);
  cs_sim_stats *st = &r->stats;
  st->num_arrived = P->stats.num_arrived;
  st->num_completed = (int64_t)r->nrecords;
  st->num_events = P->stats.num_events + D->stats.num_events;
  st->num_batches = P->stats.num_batches + D->stats.num_batches;
  st->num_preemptions = P->stats.num_preemptions + D->stats.num_preemptions;
  st->num_blocks = D->stats.num_blocks;
  st->end_time = P->stats.end_time > D->stats.end_time ? P->stats.end_time : D->stats.end_time;
  st->hit_time_limit = P->stats.hit_time_limit || D->stats.hit_time_limit;
  st->wall_seconds = wall_s;
  st->peak_bytes = P->stats.peak_bytes + D->stats.peak_bytes;
  cs_sim_result_free(P);
  cs_sim_result_free(D);
  *out = r;
  return 0;
}

static void jw_pool(cs__jw *w, const char *key, const cs_sim_config *c, int32_t first_replica) {
  cs__jw_key(w, key);
  cs__jw_obj_begin(w);
  cs__jw_kint(w, "num_replicas", c->num_replicas);
  cs__jw_kint(w, "first_replica", first_replica);
  cs__jw_kstr(w, "device", c->device ? c->device->name : NULL);
  cs__jw_kstr(w, "network_device", c->network ? c->network->name : NULL);
  cs__jw_kint(w, "tensor_parallel_size", c->tp);
  cs__jw_kint(w, "num_pipeline_stages", c->pp);
  cs__jw_kstr(w, "replica_scheduler", c->replica_scheduler);
  for (int i = 0; i < c->replica_params.n; i++) cs__jw_knum(w, c->replica_params.names[i], c->replica_params.values[i]);
  cs__jw_kstr(w, "global_scheduler", c->global_scheduler);
  cs__jw_kstr(w, "predictor", c->predictor ? cs_predictor_get_ops(c->predictor)->info.name : NULL);
  cs__jw_obj_end(w);
}

/* {"disaggregation": {...}} followed by the members of the caller's object, if any, into sb;
 * CS_EPARSE when the caller's text is not a JSON object. */
static int config_json(const cs_disagg_config *cfg, const cs_sim_result *r, const char *extra, cs__sbuf *out,
                       cs_err *errp) {
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__jw w;
  cs__jw_init(&w, &sb, false);
  cs__jw_obj_begin(&w);
  cs__jw_key(&w, "disaggregation");
  cs__jw_obj_begin(&w);
  jw_pool(&w, "prefill", &cfg->prefill, 0);
  jw_pool(&w, "decode", &cfg->decode, r->num_replicas - cfg->decode.num_replicas);
  cs_kv_path path;
  cs_err err = {0};
  if (!cs_kv_path_resolve(cfg, &path, &err)) {
    cs__jw_key(&w, "kv_link");
    cs__jw_obj_begin(&w);
    cs__jw_kstr(&w, "placement", path.inter_node ? "inter_node" : "intra_node");
    cs__jw_kint(&w, "lanes", path.lanes);
    cs__jw_knum(&w, "lane_gbps", path.lane_gbps);
    cs__jw_knum(&w, "latency_s", path.latency_s);
    cs__jw_knum(&w, "kv_bytes_per_token", path.bytes_per_token);
    cs__jw_obj_end(&w);
  }
  cs__jw_obj_end(&w);
  int rc = extra ? cs__jw_members(&w, extra, errp) : 0;
  cs__jw_obj_end(&w);
  if (!rc) rc = cs__jw_finish(&w, "config.json", errp);
  *out = sb;
  return rc;
}

int cs_disagg_write_outputs(const cs_sim_result *r, const cs_disagg_config *cfg, const char *dir,
                            const cs_sim_write_opts *opts, cs_err *err) {
  cs_sim_write_opts o = {.write_plots = true};
  if (opts) o = *opts;
  cs__sbuf json;
  int rc = config_json(cfg, r, o.config_json, &json, err);
  o.config_json = json.buf;
  if (!rc) rc = cs_sim_write_outputs(r, &cfg->prefill, dir, &o, err);
  cs__sbuf_release(&json);
  return rc;
}
