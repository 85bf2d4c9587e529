/* What the runner writes about jobs: runs/<hash>/job.json (every parameter of the job,
 * written by the store from the record filled here) and results.csv (one row per job in expansion order). Both are
 * byte-identical for the same sweep, options and seed: no wall times, no thread counts. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/runner.h"
#include "store/job.h"
#include "store/results.h"
#include "store/store.h"
#include "util/json.h"
#include "util/sbuf.h"
#include "util/text.h"

/* job.json's record: the job's parameters as the store writes them (store/job.h). `deciding`
 * leaves out what only steers the search (which probes are asked for, not what one answers):
 * the expansion index, iterations, granularity, minimum QPS; that text is the probe key's. */
static void job_record(const cs__plan *plan, const cs__runner_opts *o, const cs_sweep_job *j, bool deciding,
                       cs__store_job *r, cs__store_job_disagg *d, cs__store_job_limit *l) {
  const cs_sweep *s = plan->sweep;
  const cs_sweep_model *m = &s->models[j->model];
  const cs_sweep_trace *t = &s->traces[j->trace];
  const cs_sweep_cluster *c = &s->clusters[j->cluster];
  const cs_sweep_gsched *g = &s->gscheds[j->gsched];
  const cs_sweep_rsched *rs = &s->rscheds[j->rsched];
  const cs_sweep_queue *q = &s->queues[j->queue];
  const cs_sweep_search *sc = &s->searches[j->search];
  const cs_slo_config *slo = &s->slos[j->slo];
  *r = (cs__store_job){
      .hash = j->hash, .key = j->key, .index = deciding ? -1 : (int64_t)j->index,
      .model = m->name, .model_identifier = m->identifier,
      .model_catalog_name = plan->models ? plan->models[j->model]->name : NULL, .model_config = m->config,
      .trace = t->name, .trace_file = t->trace_file, .max_seq_len = t->max_seq_len,
      .enable_prefix_caching = t->enable_prefix_caching, .device = c->device, .network_device = c->network_device,
      .gpus_per_node = c->gpus_per_node, .global_scheduler = g->scheduler,
      .global_scheduler_params = {g->nparams, (const char *const *)g->param_names, g->param_values},
      .request_queue = q->name, .request_queue_provider = q->provider, .has_slo_norm = q->has_slo_norm,
      .slo_prefill_e2e_time_normalized = q->slo_prefill_e2e_time_normalized, .replica_scheduler = rs->scheduler,
      .replica_scheduler_params = {rs->nparams, (const char *const *)rs->param_names, rs->param_values},
      .tp = j->tp, .pp = j->pp, .batch_size = j->batch_size, .num_replicas = j->num_replicas,
      .run = {o->time_limit_s, o->has_seed ? o->seed : s->seed},
      .verdict = s->verdict_vidur ? "vidur" : "capsearch", .vidur_restart_quirk = s->vidur_restart_quirk,
      .predictor = s->predictor, .price_per_gpu_hour = cs__plan_job_price(plan, j),
      .num_gpus = cs_plan_job_gpus(plan, j, j->num_replicas), .ep = j->ep > 1 ? j->ep : 0,
      .dp = cs__job_attention_dp(j),
      .infeasible = j->status == CS_JOB_INFEASIBLE ? j->reason : NULL};
  r->search = (cs__store_job_search){
      .search_for = cs_search_kind_name(sc->search_for), .qps = sc->qps, .num_replicas = sc->num_replicas,
      .num_requests = sc->num_requests, .nmult = sc->nmult, .qps_multipliers = sc->qps_multipliers,
      .max_iterations = deciding ? 0 : o->max_iterations, .min_search_granularity = deciding ? 0 : o->granularity_pct,
      .min_qps = deciding ? 0 : o->min_qps};
  if (s->from_v0) /* V0 has no search replica count: the job's num_gpus / (tp * pp) */
    r->search.num_replicas = (cs_sweep_num){.v = j->num_replicas, .is_int = true};
  r->slo = (cs__store_job_slo){.name = slo->name, .type = slo->type == CS_SLO_AND ? "and" : "or",
                               .quantile = slo->quantile, .n = slo->n};
  for (int i = 0; i < slo->n && i < 8; i++) {
    r->slo.metric[i] = cs_rm_name(slo->slos[i].metric);
    r->slo.value[i] = slo->slos[i].value;
  }
  if (j->disagg) {
    *d = (cs__store_job_disagg){s->disagg[j->shape].name, j->prefill_replicas, j->tp, j->pp,
                                j->decode_replicas, j->decode_tp, j->decode_pp};
    r->disaggregation = d;
  }
  const cs__trace_view *v = cs__plan_job_view(plan, j);
  if (v) {
    *l = (cs__store_job_limit){v->limit, v->model_limited ? "model context" : "max_seq_len",
                               cs_model_context_limit(plan->models[j->model]), (int64_t)plan->traces[j->trace]->n,
                               (int64_t)v->st.overlong, cs_overlong_name(t->overlong)};
    r->length_limit = l;
  }
}

static char *job_json(const cs__plan *plan, const cs__runner_opts *o, const cs_sweep_job *j, bool deciding) {
  cs__store_job r;
  cs__store_job_disagg d;
  cs__store_job_limit l;
  job_record(plan, o, j, deciding, &r, &d, &l);
  char *text = cs__store_job_json(&r, NULL);
  assert(text); /* the record's shape is fixed: only a misuse of the writer fails */
  return text;
}

char *cs__job_json(const cs__plan *plan, const cs__runner_opts *o, const cs_sweep_job *j) {
  return job_json(plan, o, j, false);
}

char *cs__job_deciding_json(const cs__plan *plan, const cs__runner_opts *o, const cs_sweep_job *j) {
  return job_json(plan, o, j, true);
}

/* The job's parameters: what it is (columns job_hash .. num_requests). */
static void row_params(cs__store_results *t, const cs_sweep *s, const cs_sweep_job *j) {
  const cs_sweep_gsched *g = &s->gscheds[j->gsched];
  const cs_sweep_rsched *rs = &s->rscheds[j->rsched];
  const cs_sweep_search *sc = &s->searches[j->search];
  const cs_sweep_cluster *c = &s->clusters[j->cluster];
  cs__store_results_str(t, CS__RC_HASH, j->hash);
  cs__store_results_str(t, CS__RC_MODEL, s->models[j->model].name);
  cs__store_results_str(t, CS__RC_TRACE, s->traces[j->trace].name);
  cs__store_results_str(t, CS__RC_DEVICE, c->device);
  cs__store_results_str(t, CS__RC_NETWORK, c->network_device);
  cs__store_results_int(t, CS__RC_GPN, c->gpus_per_node);
  cs__store_results_str(t, CS__RC_GSCHED, g->scheduler);
  if (g->has_tolerance) cs__store_results_num(t, CS__RC_TOL, g->tolerance_factor.v);
  if (g->has_top_k) cs__store_results_num(t, CS__RC_TOPK, g->top_k.v);
  cs__store_results_str(t, CS__RC_QUEUE, s->queues[j->queue].name);
  cs__store_results_str(t, CS__RC_RSCHED, rs->scheduler);
  if (rs->has_chunk) cs__store_results_num(t, CS__RC_CHUNK, rs->chunk_size.v);
  cs__store_results_int(t, CS__RC_TP, j->tp);
  cs__store_results_int(t, CS__RC_PP, j->pp);
  cs__store_results_int(t, CS__RC_BS, j->batch_size);
  cs__store_results_str(t, CS__RC_SLO, s->slos[j->slo].name);
  cs__store_results_str(t, CS__RC_SEARCH, cs_search_kind_name(sc->search_for));
  cs__store_results_int(t, CS__RC_NREP, j->num_replicas);
  cs__store_results_num(t, CS__RC_QPS0, sc->qps.v);
  cs__store_results_int(t, CS__RC_NREQ, (long long)sc->num_requests.v);
}

/* deployment = "aggregated" or "<shape> <x>P<y>D"; an aggregated job has one pool of replicas
 * doing both phases (reported as prefill = decode = its replicas and shape). */
static void row_pools(cs__store_results *t, const cs_sweep *s, const cs_sweep_job *j, int gpus, const cs__job_result *r) {
  int rep = r->has_answer ? r->answer_replicas : j->num_replicas;
  int pool[6] = {rep, j->tp, j->pp, rep, j->tp, j->pp};
  if (j->disagg) {
    char dep[160];
    snprintf(dep, sizeof dep, "%s %dP%dD", s->disagg[j->shape].name, j->prefill_replicas, j->decode_replicas);
    cs__store_results_str(t, CS__RC_DEPLOYMENT, dep);
    int d[6] = {j->prefill_replicas, j->tp, j->pp, j->decode_replicas, j->decode_tp, j->decode_pp};
    memcpy(pool, d, sizeof pool);
  } else {
    cs__store_results_str(t, CS__RC_DEPLOYMENT, "aggregated");
  }
  for (int k = 0; k < 6; k++) cs__store_results_int(t, (cs__rcol)(CS__RC_PREFILL_REPLICAS + k), pool[k]);
  if (r->has_answer && gpus > 0) cs__store_results_num(t, CS__RC_QPS_PER_GPU, r->answer_qps / gpus);
}

/* What the search found (columns num_gpus .. sustained_qps, and the pools). */
static void row_answer(cs__store_results *t, const cs__plan *plan, const cs_sweep_job *j, const cs__job_result *r) {
  const cs_sweep *s = plan->sweep;
  int replicas = r->has_answer ? r->answer_replicas : j->num_replicas;
  int gpus = cs_plan_job_gpus(plan, j, replicas);
  double price = cs__plan_job_price(plan, j);
  double cost = gpus * price;
  cs__store_results_int(t, CS__RC_GPUS, gpus);
  cs__store_results_num(t, CS__RC_PRICE, price);
  cs__store_results_num(t, CS__RC_COST, cost);
  if (r->has_answer) {
    cs__store_results_num(t, CS__RC_ANSWER_QPS, r->answer_qps);
    cs__store_results_int(t, CS__RC_ANSWER_REPLICAS, r->answer_replicas);
    if (cost > 0) cs__store_results_num(t, CS__RC_QPS_PER_DOLLAR, r->answer_qps / cost);
    if (r->answer_kind) cs__store_results_str(t, CS__RC_ANSWER_KIND, r->answer_kind);
    if (isfinite(r->sustained_qps)) cs__store_results_num(t, CS__RC_SUSTAINED_QPS, r->sustained_qps);
  }
  cs__store_results_int(t, CS__RC_PROBES, r->probes);
  cs__store_results_str(t, CS__RC_STATUS, cs_job_status_name(r->status));
  cs__store_results_str(t, CS__RC_REASON, r->reason);
  const cs__trace_view *v = cs__plan_job_view(plan, j);
  if (v) {
    cs__store_results_int(t, CS__RC_LENGTH_LIMIT, (long long)v->limit);
    cs__store_results_int(t, CS__RC_OVERLONG_ROWS, (long long)v->st.overlong);
    cs__store_results_str(t, CS__RC_OVERLONG_POLICY, cs_overlong_name(s->traces[j->trace].overlong));
  }
  if (s->ndisagg) row_pools(t, s, j, gpus, r);
  cs__store_results_int(t, CS__RC_EP, j->ep > 1 ? j->ep : 1); /* only a sweep with ep_dimensions has them */
  cs__store_results_int(t, CS__RC_DP, cs__job_attention_dp(j));
}

char *cs__results_csv(const cs__plan *plan, const cs__job_result *res) {
  cs__store_results t;
  /* with a disaggregation section: the pools; with ep_dimensions: ep, dp */
  cs__store_results_init_cols(&t, plan->sweep->ndisagg > 0, plan->sweep->nep > 0);
  for (size_t i = 0; i < plan->jobs.n; i++) {
    row_params(&t, plan->sweep, &plan->jobs.v[i]);
    row_answer(&t, plan, &plan->jobs.v[i], &res[i]);
    cs__store_results_row(&t);
  }
  return cs__store_results_finish(&t);
}

char *cs_run_args_json(const cs__runner_opts *o, const char *version, double wall_s) {
  char shard[32];
  snprintf(shard, sizeof shard, "%d/%d", o->shard_i, o->shard_n);
  cs__store_args a = {
      .capsearch_version = version, .config = o->config_path, .output_dir = o->out_dir, .cache_dir = o->cache_dir,
      .config_dir = o->catalog_dir,
      .keep_runs = o->keep_runs == CS_KEEP_NONE ? "none" : o->keep_runs == CS_KEEP_ANSWERS ? "answers" : "all",
      .shard = o->shard_n > 1 ? shard : NULL, .time_limit_s = o->time_limit_s, .num_threads = o->threads,
      .max_iterations = o->max_iterations, .min_search_granularity = o->granularity_pct, .min_qps = o->min_qps,
      .wall_budget_s = o->wall_budget_s, .has_seed = o->has_seed, .seed = o->seed, .compress = o->compress,
      .force = o->force, .full_probes = o->full_probes, .sweep_wall_s = wall_s};
  return cs__store_args_json(&a);
}
