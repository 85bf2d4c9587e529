/* Disaggregated prefill/decode runs (docs/disaggregation.md).
 *
 * The workload is drawn once. The prefill pool runs it as an ordinary simulation in which every
 * request asks for its prompt and one token (the prefill's own output, as vLLM's and llm-d's
 * disaggregation proxies request it). Each finished prefill sends the prompt's KV cache over its
 * replica's link (one transfer at a time per prefill replica, FIFO in completion order). The
 * decode pool then runs the same requests arriving when their KV has arrived, with the prompt
 * less its last token already in the KV cache (the decode engine recomputes the last prompt
 * token to sample the first output token, as vLLM's KV connectors do), and decodes every output
 * token. The prefill pool never waits for the decode pool (no back-pressure), which is how
 * vLLM's and Dynamo's disaggregated prefill behave: the prefill frees its KV once sent.
 * Both pools reuse the engine unchanged through its request-source hook, so each pool keeps its
 * own device, TP/PP, scheduler, router and predictor. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/disagg_int.h"
#include "util/sbuf.h"

typedef struct src_state {
  const cs_request_spec *specs;
  const int64_t *order; /* yield order as original ids; NULL = 0..n-1 */
  const cs__xfer *x;    /* decode pool: arrivals are the KV transfers' ends; NULL = prefill pool */
  size_t n, i;
} src_state;

static int src_next(void *ud, cs_request_spec *out, cs_err *err) {
  (void)err;
  src_state *s = ud;
  if (s->i >= s->n) return 0;
  int64_t k = s->order ? s->order[s->i] : (int64_t)s->i;
  s->i++;
  *out = s->specs[k];
  if (!s->x) {
    out->decode = 1; /* the prefill pool computes the prompt and its first token */
    return 1;
  }
  out->arrived_at = s->x[k].end;
  out->hashes = (cs_block_hashes){0}; /* the prompt's KV arrives with the request: no prefix-cache lookup */
  return 1;
}

static void obs_request_end(void *ud, cs__sim *sim, const cs__request *r) {
  (void)sim;
  cs__pool_run *p = ud;
  int64_t id = p->id_of ? p->id_of[r->id] : r->id;
  cs__pool_req *q = &p->req[id];
  *q = (cs__pool_req){.done = true,
                      .replica = r->replica_id,
                      .restarts = r->num_restarts,
                      .cached = r->num_prefill_cached,
                      .metric_p = r->metric_num_prefill,
                      .metric_d = r->metric_num_decode,
                      .scheduled_at = r->scheduled_at,
                      .prefill_completed_at = r->prefill_completed_at,
                      .completed_at = r->completed_at,
                      .exec = r->execution_time,
                      .model_exec = r->model_execution_time,
                      .preempt = r->preempted_time,
                      .sched_delay = r->scheduling_delay,
                      .inter_arrival = r->metric_inter_arrival};
  cs__vec_push(&p->done_order, id);
}

static void obs_batch_end(void *ud, cs__sim *sim, const cs__batch *b) {
  (void)sim;
  cs__pool_run *p = ud;
  double v[CS__BM_COUNT] = {[CS__BM_SIZE] = b->n,
                            [CS__BM_TOKENS] = (double)b->total_tokens,
                            [CS__BM_PREFILL] = (double)b->num_prefill_tokens,
                            [CS__BM_DECODE] = (double)b->num_decode_tokens,
                            [CS__BM_EXEC] = b->completed_at - b->scheduled_at,
                            [CS__BM_PREFILLS_DONE] = b->num_completed_prefills};
  for (int m = 0; m < CS__BM_COUNT; m++) cs__vec_push(&p->bm[m], v[m]);
}

static void pool_release(cs__pool_run *p) {
  free(p->req);
  free(p->done_order.v);
  for (int m = 0; m < CS__BM_COUNT; m++) free(p->bm[m].v);
  cs_sim_result_free(p->res);
}

/* The decode pool's configuration: its own cluster and policies, the run's shared settings. */
static int decode_config(const cs_disagg_config *cfg, cs_sim_config *d, cs_err *err) {
  const cs_sim_config *p = &cfg->prefill;
  *d = cfg->decode;
  if (d->model && d->model != p->model && (!p->model || strcmp(d->model->name, p->model->name)))
    return cs_err_set(err, CS_ECONFIG, "disaggregation: the decode pool serves %s but the prefill pool %s",
                      d->model->name, p->model ? p->model->name : "no model");
  const char *s = d->replica_scheduler ? d->replica_scheduler : "";
  const cs_policy_info *rs = d->replica_policy ? d->replica_policy : cs_registry_get(cs_replica_scheds(), s);
  if (rs) s = rs->name;
  if (!cs_registry_has(rs, CS_RSCHED_RESUMES_KV)) {
    char can[256];
    return cs_err_set(err, CS_ECONFIG,
                      "decode pool: replica scheduler '%s' cannot resume a request from a received KV cache "
                      "(use %s)",
                      s, cs_registry_names(cs_replica_scheds(), CS_RSCHED_RESUMES_KV, " or ", can, sizeof can));
  }
  d->model = p->model;
  d->workload = p->workload;
  d->block_size = p->block_size;
  d->prefix_caching = false;
  d->prealloc_tokens = p->prealloc_tokens;
  d->request_queue = p->request_queue;
  d->queue_policy = p->queue_policy;
  d->queue_params = p->queue_params;
  d->time_limit_s = p->time_limit_s;
  d->router_seed = p->router_seed;
  d->record_batches = p->record_batches;
  d->chrome_trace = p->chrome_trace;
  d->vidur_restart_quirk = p->vidur_restart_quirk;
  return 0;
}

static int draw_workload(const cs_workload_spec *ws, cs_request_spec **out, size_t *n, cs_err *err) {
  cs_workload *wl = NULL;
  int rc = cs_workload_new(ws, &wl, err);
  if (rc) return rc;
  CS__VEC(cs_request_spec) v = {0};
  cs_request_spec sp;
  while ((rc = cs_workload_next(wl, &sp, err)) == 1) {
    if (v.n && sp.arrived_at < v.v[v.n - 1].arrived_at) sp.arrived_at = v.v[v.n - 1].arrived_at;
    cs__vec_push(&v, sp);
  }
  cs_workload_free(wl);
  if (rc < 0) {
    free(v.v);
    return rc;
  }
  *out = v.v;
  *n = v.n;
  return 0;
}

typedef struct arrival_key {
  double end;
  int64_t id;
} arrival_key;

static int cmp_arrival_key(const void *a, const void *b) {
  const arrival_key *x = a, *y = b;
  if (x->end != y->end) return x->end < y->end ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

/* KV transfers in prefill completion order, one at a time per prefill replica; returns the
 * decode pool's arrival order (original ids sorted by (transfer end, id)). */
static int64_t *plan_transfers(const cs__pool_run *pre, const cs_kv_path *path, int32_t replicas, cs__xfer *x,
                               size_t *m) {
  double *link_free = cs__xcalloc((size_t)replicas, sizeof *link_free);
  size_t nd = pre->done_order.n;
  arrival_key *keys = cs__xmalloc((nd ? nd : 1) * sizeof *keys);
  for (size_t i = 0; i < nd; i++) {
    int64_t id = pre->done_order.v[i];
    const cs__pool_req *q = &pre->req[id];
    double start = q->completed_at > link_free[q->replica] ? q->completed_at : link_free[q->replica];
    x[id].start = start;
    x[id].end = start + cs_kv_transfer_seconds(path, x[id].prefill);
    link_free[q->replica] = x[id].end;
    keys[i] = (arrival_key){x[id].end, id};
  }
  free(link_free);
  qsort(keys, nd, sizeof *keys, cmp_arrival_key); /* unique keys: deterministic order */
  int64_t *order = cs__xmalloc((nd ? nd : 1) * sizeof *order);
  for (size_t i = 0; i < nd; i++) order[i] = keys[i].id;
  free(keys);
  *m = nd;
  return order;
}

static double wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int run_pools(const cs_disagg_config *cfg, const cs_sim_config *dcfg, const cs_kv_path *path,
                     const cs_request_spec *specs, size_t n, cs__pool_run *pre, cs__pool_run *dec, cs__xfer *x,
                     cs_err *err) {
  src_state sp = {.specs = specs, .n = n};
  cs__sim_source srcp = {.ud = &sp, .next = src_next};
  cs__sim_observer op = {.ud = pre, .on_request_end = obs_request_end, .on_batch_end = obs_batch_end};
  int rc = cs__sim_run_source(&cfg->prefill, &op, &srcp, &pre->res, err);
  if (rc) {
    cs_err_prefix(err, "prefill pool: ");
    return rc;
  }
  size_t m = 0;
  int64_t *order = plan_transfers(pre, path, cfg->prefill.num_replicas, x, &m);
  int32_t *kv_ready = cs__xmalloc((m ? m : 1) * sizeof *kv_ready);
  for (size_t i = 0; i < m; i++) kv_ready[i] = x[order[i]].prefill - 1;
  src_state sd = {.specs = specs, .order = order, .x = x, .n = m};
  cs__sim_source srcd = {.ud = &sd, .next = src_next, .kv_ready = kv_ready};
  cs__sim_observer od = {.ud = dec, .on_request_end = obs_request_end, .on_batch_end = obs_batch_end};
  dec->id_of = order;
  rc = cs__sim_run_source(dcfg, &od, &srcd, &dec->res, err);
  if (rc) cs_err_prefix(err, "decode pool: ");
  dec->id_of = NULL;
  free(kv_ready);
  free(order);
  return rc;
}

int cs_disagg_run(const cs_disagg_config *cfg, cs_sim_result **out, cs_err *err) {
  *out = NULL;
  double t0 = wall_now();
  cs_sim_config dcfg;
  cs_kv_path path;
  int rc = decode_config(cfg, &dcfg, err);
  if (!rc) rc = cs_kv_path_resolve(cfg, &path, err);
  if (rc) return rc;
  cs_request_spec *specs = NULL;
  size_t n = 0;
  if ((rc = draw_workload(&cfg->prefill.workload, &specs, &n, err))) return rc;
  cs__pool_run pre = {0}, dec = {0};
  pre.req = cs__xcalloc(n ? n : 1, sizeof *pre.req);
  dec.req = cs__xcalloc(n ? n : 1, sizeof *dec.req);
  cs__xfer *x = cs__xcalloc(n ? n : 1, sizeof *x);
  for (size_t i = 0; i < n; i++)
    x[i] = (cs__xfer){.arrived_at = specs[i].arrived_at, .prefill = specs[i].prefill, .decode = specs[i].decode};
  rc = run_pools(cfg, &dcfg, &path, specs, n, &pre, &dec, x, err);
  if (!rc) {
    rc = cs__disagg_merge(&pre, &dec, x, n, wall_now() - t0, out);
    pre.res = dec.res = NULL; /* taken over by the merged result */
  }
  pool_release(&pre);
  pool_release(&dec);
  free(x);
  free(specs);
  return rc;
}
