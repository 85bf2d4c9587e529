/* Plan: sweep -> checked jobs with everything they need resolved. Catalog lookups, the
 * feasibility checks of SPEC §3 (TP divides the attention heads, PP divides the layers, the
 * model fits in memory at TP x PP on the device: Vidur's V1 planner, vidur-semantics.md §5.2),
 * cost estimates, the --shard split, and (cs__plan_prepare) the shared read-only traces and
 * predictors, each created once before the parallel region. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsearch/memplan.h"
#include "runner/runner.h"
#include "search/search.h"
#include "util/sbuf.h"

void cs_run_opts_defaults(cs__runner_opts *o) {
  *o = (cs__runner_opts){.max_iterations = 10,
                         .granularity_pct = 1,
                         .min_qps = 0.1,
                         .time_limit_s = 180 * 60,
                         .max_jobs = 100000,
                         .max_requests = 10000000,
                         .progress_interval_s = 1};
}

static int resolve_models(cs__plan *p, cs_err *err) {
  const cs_sweep *s = p->sweep;
  p->models = cs__xcalloc(s->nmodels, sizeof *p->models);
  p->owned_models = cs__xcalloc(s->nmodels, sizeof *p->owned_models);
  for (size_t i = 0; i < s->nmodels; i++) {
    const cs_sweep_model *m = &s->models[i];
    int rc;
    if (m->config) {
      if ((rc = cs_model_load_hf_config(m->config, &p->owned_models[i], err))) {
        cs_err_prefix(err, "%s:%d: models[%zu] '%s'", s->file, m->line, i, m->name);
        return rc;
      }
      p->models[i] = p->owned_models[i];
      continue;
    }
    /* the catalog, else a local config.json or ORG/NAME in the Hugging Face cache */
    if ((rc = cs_model_resolve(p->catalog, m->identifier, &p->models[i], &p->owned_models[i], err)) == 0) continue;
    cs_err_prefix(err, "%s:%d: models[%zu].identifier (add it to the model catalog or give a local 'config')",
                  s->file, m->line, i);
    return rc;
  }
  return 0;
}

static int resolve_clusters(cs__plan *p, cs_err *err) {
  const cs_sweep *s = p->sweep;
  p->devices = cs__xcalloc(s->nclusters, sizeof *p->devices);
  p->networks = cs__xcalloc(s->nclusters, sizeof *p->networks);
  p->prices = cs__xcalloc(s->nclusters, sizeof *p->prices);
  for (size_t i = 0; i < s->nclusters; i++) {
    const cs_sweep_cluster *c = &s->clusters[i];
    int rc;
    if ((rc = cs_catalog_find_device(p->catalog, c->device, &p->devices[i], err))) {
      cs_err_prefix(err, "%s:%d: clusters[%zu].device", s->file, c->line, i);
      return rc;
    }
    if ((rc = cs_catalog_find_network(p->catalog, c->network_device, &p->networks[i], err))) {
      cs_err_prefix(err, "%s:%d: clusters[%zu].network_device", s->file, c->line, i);
      return rc;
    }
    p->prices[i] = p->devices[i]->price_ondemand;
    for (size_t k = 0; k < s->nprices; k++)
      if (!strcmp(s->prices[k].device, c->device) || !strcmp(s->prices[k].device, p->devices[i]->name))
        p->prices[i] = s->prices[k].per_gpu_hour;
  }
  for (size_t k = 0; k < s->nprices; k++) {
    const cs_device *d;
    if (cs_catalog_find_device(p->catalog, s->prices[k].device, &d, err)) {
      cs_err_prefix(err, "%s:%d:%d: prices", s->file, s->prices[k].line, s->prices[k].col);
      return CS_ECONFIG;
    }
  }
  return 0;
}

/* One pool of a job (the whole replica when aggregated): false and the job infeasible when not. */
static bool check_pool(cs__plan *p, cs_sweep_job *j, int tp, int pp, const char *pool) {
  const cs_sweep *s = p->sweep;
  const cs_model *m = p->models[j->model];
  const cs_device *d = p->devices[j->cluster];
  if (m->no_tensor_parallel && tp > 1) {
    cs_sweep_job_set_infeasible(j, "%s%s cannot be split by tensor parallelism (tp %d)", pool, s->models[j->model].name, tp);
    return false;
  }
  if (m->num_q_heads > 0 && m->num_q_heads % tp) {
    cs_sweep_job_set_infeasible(j, "%stp %d does not divide the %d attention heads of %s", pool, tp, m->num_q_heads,
                                s->models[j->model].name);
    return false;
  }
  if (m->num_layers > 0 && m->num_layers % pp) {
    cs_sweep_job_set_infeasible(j, "%spp %d does not divide the %d layers of %s", pool, pp, m->num_layers,
                                s->models[j->model].name);
    return false;
  }
  cs_memplan_input in;
  cs_memplan_input_defaults(&in);
  in.model = m;
  in.device = d;
  in.tp = tp;
  in.pp = pp;
  in.dp = 1;
  in.max_model_len = (int64_t)s->traces[j->trace].max_seq_len.v;
  in.engine = CS_ENGINE_VIDUR;
  in.memory_margin = 0.1;
  in.block_size = 16;
  if (m->num_experts > 0 || m->kv_lora_rank > 0) { /* as the simulator sizes them (sim/setup.c) */
    in.engine = CS_ENGINE_VLLM;
    in.gpu_memory_utilization = 1 - in.memory_margin;
    in.expert_parallel = !j->disagg && j->ep > 1;
    in.dp = in.expert_parallel ? cs__job_attention_dp(j) : 1;
  }
  cs_memplan plan;
  cs_err e = {0};
  if (cs_memplan_compute(&in, &plan, &e)) {
    cs_sweep_job_set_infeasible(j, "%smemory plan failed: %s", pool, e.msg);
    return false;
  }
  if (!plan.fits || plan.num_blocks < 1) {
    char ep[32] = "";
    if (in.expert_parallel) snprintf(ep, sizeof ep, " ep %d", j->ep);
    cs_sweep_job_set_infeasible(j, "%s%s does not fit on %s at tp %d pp %d%s: %s (weights %.1f GiB per GPU of %.1f GiB)",
                                pool, s->models[j->model].name, d->name, tp, pp, ep,
                                plan.why ? plan.why : "no KV cache left", plan.weights_gib, d->memory_gib);
    return false;
  }
  /* the simulator's bound on block tables over all replicas (capsearch/sim.h), known here */
  if ((double)plan.num_blocks * j->num_replicas > (double)CS_SIM_MAX_BLOCKS) {
    cs_sweep_job_set_infeasible(j, "%s%d replicas x %lld KV blocks each exceed the %lld blocks a simulation holds "
                                "(about 8 GiB of block tables; at most %lld replicas here)",
                                pool, j->num_replicas, (long long)plan.num_blocks, (long long)CS_SIM_MAX_BLOCKS,
                                (long long)(CS_SIM_MAX_BLOCKS / plan.num_blocks));
    return false;
  }
  return true;
}

static void check_feasible(cs__plan *p, cs_sweep_job *j) {
  if (j->status == CS_JOB_INFEASIBLE || !cs__job_policy_params_fit(p->sweep, j)) return;
  if (!j->disagg) {
    if (j->ep <= 1 || cs__ep_job_check(p, j)) check_pool(p, j, j->tp, j->pp, "");
    return;
  }
  const char *rs = p->sweep->rscheds[j->rsched].scheduler;
  if (!cs_registry_has(p->sweep->rscheds[j->rsched].policy, CS_RSCHED_RESUMES_KV)) {
    char can[256];
    cs_sweep_job_set_infeasible(j, "decode pool: replica scheduler '%s' cannot resume from a received KV cache "
                                   "(%s can)", rs, cs_registry_names(cs_replica_scheds(), CS_RSCHED_RESUMES_KV, " or ", can, sizeof can));
    return;
  }
  if (check_pool(p, j, j->tp, j->pp, "prefill pool: ")) check_pool(p, j, j->decode_tp, j->decode_pp, "decode pool: ");
}

int cs__job_max_probes(const cs_sweep *s, const cs_sweep_job *j, const cs__runner_opts *o) {
  const cs_sweep_search *sc = &s->searches[j->search];
  cs__search_params sp;
  cs__search_params_defaults(&sp);
  sp.kind = sc->search_for;
  sp.max_iterations = o->max_iterations;
  sp.nmult = sc->nmult;
  return cs__search_max_probes(&sp);
}

double cs__job_probe_cost(const cs_sweep *s, const cs_sweep_job *j) {
  if (j->status == CS_JOB_INFEASIBLE) return 0;
  const cs_sweep_search *sc = &s->searches[j->search];
  double replicas = sc->search_for == CS_SEARCH_NUM_REPLICAS ? 2.0 * j->num_replicas : j->num_replicas;
  return sc->num_requests.v * replicas * j->pp;
}

static double job_cost(const cs_sweep *s, const cs_sweep_job *j, const cs__runner_opts *o) {
  return cs__job_probe_cost(s, j) * cs__job_max_probes(s, j, o);
}

/* --shard i/N: longest-processing-time-first assignment (deterministic: ties by index and
 * by lowest shard), so every shard gets about the same estimated work. */
static void select_shard(cs__plan *p, const cs__runner_opts *o) {
  size_t n = p->jobs.n;
  p->selected = cs__xcalloc(n ? n : 1, sizeof *p->selected);
  if (o->shard_n <= 1) {
    for (size_t i = 0; i < n; i++) p->selected[i] = true;
    return;
  }
  size_t *order = cs__xmalloc((n ? n : 1) * sizeof *order);
  for (size_t i = 0; i < n; i++) order[i] = i;
  /* insertion sort by cost desc, index asc (n is small: thousands) */
  for (size_t i = 1; i < n; i++) {
    size_t v = order[i], k = i;
    while (k > 0 && (p->cost[order[k - 1]] < p->cost[v] ||
                     (p->cost[order[k - 1]] == p->cost[v] && order[k - 1] > v))) {
      order[k] = order[k - 1];
      k--;
    }
    order[k] = v;
  }
  double *load = cs__xcalloc((size_t)o->shard_n, sizeof *load);
  for (size_t i = 0; i < n; i++) {
    int best = 0;
    for (int k = 1; k < o->shard_n; k++)
      if (load[k] < load[best]) best = k;
    /* cost-free (infeasible) jobs go round-robin so every shard records some */
    if (p->cost[order[i]] == 0) best = (int)(order[i] % (size_t)o->shard_n);
    load[best] += p->cost[order[i]];
    p->selected[order[i]] = best == o->shard_i;
  }
  free(load);
  free(order);
}

/* Bounded work: the job count before expanding, and each search's requests (--max-jobs,
 * --max-requests raise the limits). */
static int check_size(const cs_sweep *s, const cs__runner_opts *o, cs_err *err) {
  double n = cs_sweep_count_jobs(s);
  if (o->max_jobs && n > (double)o->max_jobs)
    return cs_err_set(err, CS_ERANGE, "%s: the sweep expands to %.0f jobs, more than %zu (raise --max-jobs to run it)",
                      s->file, n, o->max_jobs);
  for (size_t i = 0; i < s->nsearches; i++)
    if (o->max_requests && s->searches[i].num_requests.v > (double)o->max_requests)
      return cs_err_set(err, CS_ERANGE,
                        "%s:%d: search_configs[%zu].num_requests: %s requests is more than %lld (raise "
                        "--max-requests to run it)",
                        s->file, s->searches[i].line, i, s->searches[i].num_requests.text, (long long)o->max_requests);
  return 0;
}

int cs__plan_load(const cs__runner_opts *o, cs__plan *p, cs_err *err) {
  memset(p, 0, sizeof *p);
  p->lock.fd = -1;
  int rc;
  if ((rc = cs_sweep_load_opts(o->config_path, true, &p->sweep, err))) return rc;
  if ((rc = cs_sweep_resolve_policies(p->sweep, err))) return rc;
  if ((rc = check_size(p->sweep, o, err)) || (rc = cs_sweep_expand(p->sweep, &p->jobs, err))) return rc;
  const char *dir = o->catalog_dir ? o->catalog_dir : cs_catalog_default_dir();
  if ((rc = cs_catalog_load(dir, &p->catalog, err))) return rc;
  if ((rc = resolve_models(p, err)) || (rc = resolve_clusters(p, err)) || (rc = cs__plan_load_traces(p, err))) return rc;
  p->cost = cs__xcalloc(p->jobs.n ? p->jobs.n : 1, sizeof *p->cost);
  for (size_t i = 0; i < p->jobs.n; i++) {
    check_feasible(p, &p->jobs.v[i]);
    p->cost[i] = job_cost(p->sweep, &p->jobs.v[i], o);
  }
  select_shard(p, o);
  /* config.json = the sweep as parsed plus the settings that change a probe's outcome (the
   * simulated time limit and the seed): a resume with other values is another sweep. Search
   * settings (iterations, granularity, min qps) only change which probes are asked for, so a
   * rerun with more iterations continues the committed searches. */
  char *sj = cs_sweep_to_json(p->sweep);
  cs__store_run run = {.time_limit_s = o->time_limit_s, .seed = o->has_seed ? o->seed : p->sweep->seed};
  rc = cs__store_config_json(sj, &run, &p->config_json, err);
  free(sj);
  return rc;
}

int cs_plan_job_gpus(const cs__plan *plan, const cs_sweep_job *j, int replicas) {
  (void)plan;
  if (j->disagg) return j->prefill_replicas * j->tp * j->pp + j->decode_replicas * j->decode_tp * j->decode_pp;
  return replicas * j->tp * j->pp * cs__job_attention_dp(j);
}

double cs__plan_job_price(const cs__plan *plan, const cs_sweep_job *j) { return plan->prices[j->cluster]; }

static int make_predictor(cs__plan *p, const cs__runner_opts *o, cs__pred_slot *slot, cs_err *err) {
  const cs_sweep *s = p->sweep;
  const cs_predictor_ops *ops;
  int rc = cs_predictor_find(s->predictor, &ops, err);
  if (rc) return rc;
  cs_predictor_ctx ctx = {0};
  ctx.model = p->models[slot->model];
  ctx.device = p->devices[slot->cluster];
  ctx.network = p->networks[slot->cluster];
  ctx.tp = slot->tp;
  ctx.pp = slot->pp;
  ctx.ep = slot->ep;
  ctx.dp = slot->dp;
  char where[512];
  snprintf(where, sizeof where, "%s: predictor", s->file);
  for (int i = 0; i < s->npredictor_params; i++)
    if ((rc = cs_params_set(&ctx.params, ops->info.params, ops->info.nparams, ops->info.name, s->predictor_param_names[i],
                            s->predictor_param_values[i], where, err)))
      return rc;
  if ((rc = cs_params_finish(&ctx.params, ops->info.params, ops->info.nparams, ops->info.name, where, err))) return rc;
  ctx.profiling_dir = s->profiling_dir;
  ctx.predictions_dir = s->predictions_dir;
  ctx.cache_dir = o->cache_dir;
  return cs_predictor_new(ops, &ctx, &slot->pred, err);
}

int cs__plan_prepare(cs__plan *p, const cs__runner_opts *o, cs_err *err) {
  /* traces are loaded by cs__plan_load; a predictor that fails marks its jobs */
  const cs_sweep *s = p->sweep;
  /* what decides a probe besides job.json: the trace files' content and the other inputs */
  p->trace_sha1 = cs__xcalloc(s->ntraces ? s->ntraces : 1, sizeof *p->trace_sha1);
  int drc = cs__plan_digest_inputs(p, o, err);
  for (size_t i = 0; i < s->ntraces && !drc; i++)
    if (p->traces && p->traces[i]) drc = cs__plan_digest_trace(p, i, err);
  if (drc) return drc;
  p->job_pred = cs__xcalloc(p->jobs.n ? p->jobs.n : 1, sizeof *p->job_pred);
  p->job_pred_decode = cs__xcalloc(p->jobs.n ? p->jobs.n : 1, sizeof *p->job_pred_decode);
  CS__VEC(cs__pred_slot) preds = {0};
  for (size_t i = 0; i < p->jobs.n; i++) {
    cs_sweep_job *j = &p->jobs.v[i];
    if (!p->selected[i] || j->status == CS_JOB_INFEASIBLE) continue;
    for (int pool = 0; pool < (j->disagg ? 2 : 1); pool++) {
      int tp = pool ? j->decode_tp : j->tp, pp = pool ? j->decode_pp : j->pp;
      int ep = j->ep > 1 ? j->ep : 0, dp = j->ep > 1 ? cs__job_attention_dp(j) : 0;
      size_t k = 0;
      for (; k < preds.n; k++)
        if (preds.v[k].model == j->model && preds.v[k].cluster == j->cluster && preds.v[k].tp == tp &&
            preds.v[k].pp == pp && preds.v[k].ep == ep && preds.v[k].dp == dp)
          break;
      if (k == preds.n) {
        cs__pred_slot slot = {.model = j->model, .cluster = j->cluster, .tp = tp, .pp = pp, .ep = ep, .dp = dp};
        cs_err e = {0};
        if (make_predictor(p, o, &slot, &e)) slot.error = cs__xstrdup(e.msg);
        cs__vec_push(&preds, slot);
      }
      if (pool)
        p->job_pred_decode[i] = k;
      else
        p->job_pred[i] = k;
      if (!preds.v[k].pred) cs_sweep_job_set_infeasible(j, "predictor '%s': %s", s->predictor, preds.v[k].error);
    }
  }
  p->preds = preds.v;
  p->npreds = preds.n;
  return 0;
}

int cs__plan_open_store(cs__plan *p, const cs__runner_opts *o, bool shared, cs_err *err) {
  cs__store_waiter w = {o->stop, o->waiting, o->progress_ctx};
  int rc = cs__store_lock_wait(o->out_dir, shared ? CS_STORE_LOCK_SHARED : CS_STORE_LOCK_EXCLUSIVE,
                               o->wait ? &w : NULL, &p->lock, err);
  if (!rc) rc = cs__store_open(o->out_dir, p->config_json, o->force, err);
  return rc;
}

void cs__plan_release(cs__plan *p) {
  if (!p) return;
  cs__store_unlock(&p->lock);
  const cs_sweep *s = p->sweep;
  for (size_t i = 0; i < p->npreds; i++) {
    cs_predictor_free(p->preds[i].pred);
    free(p->preds[i].error);
  }
  free(p->preds);
  cs__plan_release_traces(p);
  free(p->trace_sha1);
  if (s && p->owned_models)
    for (size_t i = 0; i < s->nmodels; i++) cs_model_free(p->owned_models[i]);
  free(p->owned_models);
  free((void *)p->models);
  free((void *)p->devices);
  free((void *)p->networks);
  free(p->prices);
  free(p->job_pred);
  free(p->job_pred_decode);
  free(p->cost);
  free(p->selected);
  free(p->config_json);
  cs_sweep_jobs_release(&p->jobs);
  cs_catalog_free(p->catalog);
  cs_sweep_free(p->sweep);
  memset(p, 0, sizeof *p);
  p->lock.fd = -1;
}
