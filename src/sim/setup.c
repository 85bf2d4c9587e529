/* Simulation setup: configuration defaults and validation (clear errors with suggestions),
 * KV sizing through the memory planner, policy instantiation, and cs_sim_run itself. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capsearch/memplan.h"
#include "sim/engine.h"
#include "util/sbuf.h"

void cs_sim_config_defaults(cs_sim_config *c) {
  memset(c, 0, sizeof *c);
  c->tp = c->pp = c->num_replicas = 1;
  c->replica_scheduler = "vllm_v1";
  c->global_scheduler = "round_robin";
  c->request_queue = "fcfs";
  c->block_size = 16;
  c->memory_margin = 0.1;
  c->watermark_fraction = 0.01;
  c->prealloc_tokens = 64;
  c->router_seed = 67;
  cs_workload_spec_defaults(&c->workload);
}

/* Copies user parameters, rejecting names the policy does not declare, then fills defaults. */
int cs__sim_finish_params(const cs_params *in, const cs_policy_info *info, const char *kind, cs_params *out,
                         cs_err *err) {
  cs_params p = {0};
  char where[128];
  snprintf(where, sizeof where, "%s '%s'", kind, info->name);
  for (int i = 0; in && i < in->n; i++) {
    int rc = cs_params_set(&p, info->params, info->nparams, info->name, in->names[i], in->values[i], where, err);
    if (rc) return rc;
  }
  int rc = cs_params_finish(&p, info->params, info->nparams, info->name, where, err);
  if (rc) return rc;
  *out = p;
  return 0;
}

int cs__sim_resolve(const cs_sim_config *cfg, const cs_policy_info **r, const cs_policy_info **g,
                    const cs_policy_info **q, cs_err *err) {
  int rc = 0;
  if (!(*r = cfg->replica_policy))
    rc = cs_replica_sched_info(cfg->replica_scheduler ? cfg->replica_scheduler : "", r, err);
  if (!rc && !(*g = cfg->global_policy))
    rc = cs_global_sched_info(cfg->global_scheduler ? cfg->global_scheduler : "", g, err);
  if (!rc && !(*q = cfg->queue_policy))
    rc = cs_request_queue_info(cfg->request_queue ? cfg->request_queue : "fcfs", q, err);
  return rc;
}

/* The value of the parameter that carries `flag` (CS_PARAM_FROM_BATCH_SIZE, ...), `def` when
 * the policy declares none. */
static double flagged_param(const cs_policy_info *info, const cs_params *p, unsigned flag, double def) {
  for (size_t i = 0; i < info->nparams; i++)
    if ((info->params[i].flags & flag) == flag) return cs_params_get(p, info->params[i].name, info->params[i].def);
  return def;
}

/* Data-parallel attention (wide EP): vLLM runs one scheduler per attention rank, each with its
 * own batch limits and KV cache. The simulator runs the replica's dp ranks as one scheduler over
 * their pooled caches (an assumption: a perfectly balanced DP load balancer), so the per-rank
 * batch limits are multiplied by dp. */
static void scale_rank_limits(cs_params *p, const cs_policy_info *info, int dp) {
  for (int i = 0; i < p->n; i++)
    for (size_t k = 0; k < info->nparams; k++)
      if ((info->params[k].flags & CS_PARAM_PER_RANK) && !strcmp(p->names[i], info->params[k].name))
        p->values[i] *= dp;
}

/* Vidur V0's parameter count per device (§5.1): used for the MFU metric and the memory-derived
 * batch size of orca / faster_transformer. Embeddings and LM head are not counted. */
static double params_per_device(const cs_model *m, int tp, int pp) {
  double E = m->hidden, hd = m->head_dim > 0 ? m->head_dim : (double)m->hidden / m->num_q_heads;
  double q_tp = (double)(m->num_q_heads / tp), kv_tp = ceil((double)m->num_kv_heads / tp);
  double mlp = m->mlp_hidden > 0 ? m->mlp_hidden : (m->moe_mlp_hidden * (double)(m->experts_per_token > 0 ? m->experts_per_token : 1));
  double per_layer = E * hd * (q_tp + 2 * kv_tp) + E * hd * q_tp + floor((m->gated_mlp ? 3 : 2) * E * mlp / tp);
  return per_layer * (m->num_layers / pp);
}

static int validate(const cs_sim_config *cfg, cs_err *err) {
  if (!cfg->model) return cs_err_set(err, CS_ECONFIG, "simulation: no model given");
  if (!cfg->device) return cs_err_set(err, CS_ECONFIG, "simulation: no device given");
  if (!cfg->predictor) return cs_err_set(err, CS_ECONFIG, "simulation: no execution-time predictor given");
  const cs_model *m = cfg->model;
  if (cfg->tp < 1 || cfg->pp < 1 || cfg->num_replicas < 1)
    return cs_err_set(err, CS_ECONFIG, "simulation: tp, pp and replicas must be >= 1 (got tp %d, pp %d, replicas %d)",
                      cfg->tp, cfg->pp, cfg->num_replicas);
  if (m->num_q_heads <= 0 || m->num_layers <= 0)
    return cs_err_set(err, CS_ECONFIG, "model '%s' has no attention heads or layers", m->name);
  if (m->num_q_heads % cfg->tp)
    return cs_err_set(err, CS_EINFEASIBLE, "TP %d does not divide the %d attention heads of %s (valid TP: divisors of %d)",
                      cfg->tp, m->num_q_heads, m->name, m->num_q_heads);
  if (m->no_tensor_parallel && cfg->tp > 1)
    return cs_err_set(err, CS_EINFEASIBLE, "model %s cannot be split by tensor parallelism (TP %d)", m->name, cfg->tp);
  if (m->num_layers % cfg->pp)
    return cs_err_set(err, CS_EINFEASIBLE, "PP %d does not divide the %d layers of %s", cfg->pp, m->num_layers, m->name);
  const int dp = cfg->dp > 1 ? cfg->dp : 1;
  if ((cfg->ep > 1 || dp > 1) && (cfg->ep != cfg->tp * dp || m->num_experts <= 0 || m->num_experts % cfg->ep))
    return cs_err_set(err, CS_EINFEASIBLE,
                      "EP %d: the simulator splits the experts over a replica's TP ranks, or over its TP x DP ranks "
                      "with data-parallel attention (EP = TP %d x DP %d), of a mixture-of-experts model whose "
                      "experts EP divides (%s has %d experts)",
                      cfg->ep, cfg->tp, dp, m->name, m->num_experts);
  if (cfg->block_size < 1) return cs_err_set(err, CS_ECONFIG, "block_size must be >= 1 (got %d)", cfg->block_size);
  if (cfg->time_limit_s < 0 || !isfinite(cfg->time_limit_s))
    return cs_err_set(err, CS_ECONFIG, "time limit must be >= 0 seconds (got %g)", cfg->time_limit_s);
  if (cfg->num_blocks < 0 || cfg->num_blocks > CS__MAX_BLOCKS)
    return cs_err_set(err, CS_ERANGE, "num_blocks must be between 0 and %lld (got %lld)", (long long)CS__MAX_BLOCKS,
                      (long long)cfg->num_blocks);
  if (cfg->num_replicas > 100000)
    return cs_err_set(err, CS_ERANGE, "replicas must be <= 100000 (got %d)", cfg->num_replicas);
  return 0;
}

static int64_t max_tokens_of(const cs_sim_config *cfg) {
  if (cfg->workload.max_seq_len > 0) return cfg->workload.max_seq_len;
  if (cfg->workload.length == CS_LENGTH_TRACE && cfg->workload.trace && cfg->workload.trace->max_total_tokens > 0)
    return cfg->workload.trace->max_total_tokens;
  if (cfg->model->max_positions > 0) return cfg->model->max_positions;
  return 4096;
}

/* KV blocks per replica when the config leaves them to the planner: the memory planner's count
 * (Vidur's, or vLLM's for MoE / MLA models), or for V0 schedulers Vidur V0's
 * (max_tokens / block_size) x memory-derived batch size `mbs` x PP (vidur-semantics.md §5.1);
 * with data-parallel attention, the dp ranks' caches pooled. */
static int size_kv(cs__sim *sim, const cs_sim_config *cfg, const cs__replica_sched_ops *rops, int64_t max_tokens,
                   double mbs, cs_err *err) {
  const cs_model *m = cfg->model;
  const int dp = cfg->dp > 1 ? cfg->dp : 1;
  int rc;
  cs_memplan_input in;
  cs_memplan_input_defaults(&in);
  in.model = m;
  in.device = cfg->device;
  in.tp = cfg->tp;
  in.pp = cfg->pp;
  in.dp = 1;
  in.max_model_len = max_tokens;
  in.memory_margin = cfg->memory_margin;
  in.block_size = cfg->block_size;
  in.engine = CS_ENGINE_VIDUR;
  if (m->num_experts > 0 || m->kv_lora_rank > 0) { /* Vidur's planner has no MoE / MLA: vLLM's */
    in.engine = CS_ENGINE_VLLM;
    in.gpu_memory_utilization = 1 - cfg->memory_margin;
    in.expert_parallel = cfg->ep > 1;
    in.dp = dp; /* the plan is per GPU; each attention rank holds its own KV cache */
  }
  cs_memplan plan;
  if ((rc = cs_memplan_compute(&in, &plan, err))) return rc;
  if (!plan.fits || plan.num_blocks < 1)
    return cs_err_set(err, CS_EINFEASIBLE, "%s does not fit on %s at TP %d x PP %d: %s", m->name, cfg->device->name,
                      cfg->tp, cfg->pp, plan.why ? plan.why : "no room for the KV cache");
  double blocks = (double)plan.num_blocks * dp; /* the attention ranks' caches, pooled */
  sim->num_blocks = blocks < (double)CS__MAX_BLOCKS ? (int64_t)blocks : CS__MAX_BLOCKS;
  if (!cs_registry_has(&rops->info, CS_RSCHED_V1_KV_SIZING)) {
    if (mbs < 1)
      return cs_err_set(err, CS_EINFEASIBLE,
                        "%s on %s at TP %d x PP %d: not even one request of %lld tokens fits in the KV cache "
                        "(Vidur V0 sizing for '%s')",
                        m->name, cfg->device->name, cfg->tp, cfg->pp, (long long)max_tokens, rops->info.name);
    double nb = (double)(max_tokens / cfg->block_size) * mbs * cfg->pp * dp;
    sim->num_blocks = nb < (double)CS__MAX_BLOCKS ? (int64_t)nb : CS__MAX_BLOCKS;
  }
  return 0;
}

static int setup(cs__sim *sim, const cs_sim_config *cfg, cs_err *err) {
  int rc = validate(cfg, err);
  if (rc) return rc;
  const cs_policy_info *rinfo, *ginfo, *qinfo;
  if ((rc = cs__sim_resolve(cfg, &rinfo, &ginfo, &qinfo, err))) return rc;
  const cs__replica_sched_ops *rops = cs__replica_sched_ops_of(rinfo);
  sim->router = cs__global_sched_ops_of(ginfo);
  sim->queue_ops = cs__rqueue_ops_of(qinfo);
  if ((rc = cs__sim_finish_params(&cfg->replica_params, rinfo, "replica scheduler", &sim->replica_params, err))) return rc;
  const int dp = cfg->dp > 1 ? cfg->dp : 1;
  if (dp > 1) scale_rank_limits(&sim->replica_params, rinfo, dp);
  if ((rc = cs__sim_finish_params(&cfg->global_params, ginfo, "global scheduler", &sim->global_params, err))) return rc;
  if ((rc = cs__sim_finish_params(&cfg->queue_params, qinfo, "request queue", &sim->queue_params, err))) return rc;

  const cs_model *m = cfg->model;
  int64_t max_tokens = max_tokens_of(cfg);
  /* V0 memory-derived batch size (§5.1): orca / faster_transformer batch limit (capped by
   * batch_size_cap) and, uncapped x PP, the request slots of V0 KV sizing */
  double ppd = params_per_device(m, cfg->tp, cfg->pp);
  double hd = m->head_dim > 0 ? m->head_dim : (double)m->hidden / m->num_q_heads;
  double avail = cfg->device->memory_gib * 1073741824.0 * (1 - cfg->memory_margin);
  double kv_req = 2.0 * 2.0 * hd * ceil((double)m->num_kv_heads / cfg->tp) * (double)max_tokens * m->num_layers;
  double mbs = kv_req > 0 ? floor((avail - 2 * ppd) / kv_req) : 1;
  int64_t cap = (int64_t)flagged_param(rinfo, &sim->replica_params, CS_PARAM_FROM_BATCH_SIZE, 1e18);
  int64_t max_batch = mbs < 1 ? 1 : (int64_t)mbs;
  if (max_batch > cap) max_batch = cap;

  sim->num_blocks = cfg->num_blocks;
  if (sim->num_blocks == 0 && (rc = size_kv(sim, cfg, rops, max_tokens, mbs, err))) return rc;
  /* every replica allocates its block table at start (as vLLM does): bound them all together */
  if ((double)sim->num_blocks * cfg->num_replicas > (double)CS__MAX_BLOCKS)
    return cs_err_set(err, CS_ERANGE,
                      "%d replicas x %lld KV blocks each exceed the %lld blocks (about 8 GiB of block tables) a "
                      "simulation holds over all replicas: at most %lld replicas of this size, or fewer blocks each",
                      cfg->num_replicas, (long long)sim->num_blocks, (long long)CS__MAX_BLOCKS,
                      (long long)(CS__MAX_BLOCKS / sim->num_blocks));

  sim->params_per_device = ppd;
  sim->mfu_attn_coeff = 4.0 * (m->num_layers / cfg->pp) * (double)(m->num_q_heads / cfg->tp) * hd;
  sim->mfu_peak = cfg->device->tflops_bf16 * 1099511627776.0; /* Vidur divides by 2^40 (§6.3) */

  sim->num_replicas = cfg->num_replicas;
  sim->num_stages = cfg->pp;
  sim->touched = cs__sim_alloc(sim, (size_t)sim->num_replicas);
  sim->replicas = cs__sim_alloc(sim, sizeof *sim->replicas * (size_t)sim->num_replicas);
  for (int32_t k = 0; k < sim->num_replicas; k++) {
    cs__replica *rep = &sim->replicas[k];
    rep->ops = rops;
    rep->ctx = (cs__replica_ctx){.sim = sim,
                                 .replica_id = k,
                                 .num_stages = cfg->pp,
                                 .num_blocks = sim->num_blocks,
                                 .block_size = cfg->block_size,
                                 .max_tokens = max_tokens,
                                 .max_batch_size = max_batch,
                                 .watermark_fraction = cfg->watermark_fraction,
                                 .prefix_caching = cfg->prefix_caching,
                                 .prealloc_tokens = cfg->prealloc_tokens,
                                 .keep_prompt_on_restart = !cfg->vidur_restart_quirk,
                                 .params = &sim->replica_params};
    rep->stages = cs__sim_alloc(sim, sizeof *rep->stages * (size_t)cfg->pp);
    for (int s = 0; s < cfg->pp; s++) {
      rep->stages[s].cap = cfg->pp + 1;
      rep->stages[s].fifo = cs__sim_alloc(sim, sizeof(cs__batch *) * (size_t)(cfg->pp + 1));
    }
    rep->state = cs__sim_alloc(sim, rops->state_size ? rops->state_size : 1);
    if ((rc = rops->init(rep->state, &rep->ctx, err))) return rc;
  }
  sim->router_ctx = (cs__router_ctx){
      .sim = sim, .num_replicas = sim->num_replicas, .seed = cfg->router_seed, .params = &sim->global_params};
  sim->router_state = cs__sim_alloc(sim, sim->router->state_size ? sim->router->state_size : 1);
  if ((rc = sim->router->init(sim->router_state, &sim->router_ctx, err))) return rc;
  if (sim->src) return 0;
  /* The per-request results in one block of the final size each (a sweep's probes know it):
   * no doubling past it, no copies while they grow. Pages are touched only as requests arrive,
   * so a count far above what a duration or the trace lets through costs address space only;
   * past 2^20 requests the arrays grow as usual. */
  if (cfg->workload.num_requests > 0) {
    size_t n = cfg->workload.num_requests < (1 << 20) ? (size_t)cfg->workload.num_requests : (size_t)1 << 20;
    sim->records.v = cs__xmalloc(n * sizeof *sim->records.v);
    sim->records.cap = n;
    sim->arrived.v = cs__xmalloc(n * sizeof *sim->arrived.v);
    sim->arrived.cap = n;
    sim->completion_times.v = cs__xmalloc(n * sizeof *sim->completion_times.v);
    sim->completion_times.cap = n;
  }
  return cs_workload_new(&cfg->workload, &sim->wl, err);
}

static void sim_release(cs__sim *sim) {
  cs_workload_free(sim->wl);
  free(sim->heap.v);
  for (int k = 0; k < CS__EV_KINDS; k++) free(sim->nowq[k].v);
  free(sim->gqueue.v);
  free(sim->items.v);
  free(sim->done_scratch.v);
  free(sim->records.v);
  free(sim->arrived.v);
  free(sim->completion_times.v);
  free(sim->chrome.v);
  free(sim->batch_rows.v);
  free(sim->esc_due.v);
  for (int32_t k = 0; sim->replicas && k < sim->num_replicas; k++)
    for (int m = 0; m < CS__BM_COUNT; m++) free(sim->replicas[k].bm_counts[m].v);
  for (int32_t k = 0; sim->replicas && k < sim->num_replicas; k++) free(sim->replicas[k].bm_exec.v);
  cs__arena_release(&sim->arena);
}

static double wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int cs__sim_run_observed(const cs_sim_config *cfg, const cs__sim_observer *obs, cs_sim_result **out, cs_err *err) {
  return cs__sim_run_source(cfg, obs, NULL, out, err);
}

int cs__sim_run_source(const cs_sim_config *cfg, const cs__sim_observer *obs, const cs__sim_source *src,
                       cs_sim_result **out, cs_err *err) {
  *out = NULL;
  double t0 = wall_now();
  cs__sim sim;
  memset(&sim, 0, sizeof sim);
  sim.svc = &cs__sim_engine_services;
  sim.cfg = cfg;
  sim.obs = obs;
  sim.src = src;
  sim.deciding_violations = INT64_MAX;
  if (cfg->early_stop_slo && !src && cfg->workload.num_requests > 0) /* a source may yield more */
    sim.deciding_violations = cs_slo_deciding_violations(cfg->early_stop_slo, cfg->workload.num_requests);
  if (sim.deciding_violations != INT64_MAX && cfg->early_stop_in_flight) cs__esc_setup(&sim);
  cs__arena_init(&sim.arena, 256 * 1024);
  int rc = setup(&sim, cfg, err);
  if (!rc) rc = cs__sim_loop(&sim, err);
  if (!rc) rc = cs__sim_make_result(&sim, wall_now() - t0, out);
  sim_release(&sim);
  return rc;
}

int cs_sim_run(const cs_sim_config *cfg, cs_sim_result **out, cs_err *err) {
  return cs__sim_run_observed(cfg, NULL, out, err);
}
