/* The sweep as normalised JSON: what out/config.json holds and what a resumed run compares
 * against (a different sweep in an existing output directory is refused). Keys in schema
 * order, numbers in shortest round-trip form, trace paths as written and as resolved. */
#include <stdlib.h>

#include "capsearch/sweep.h"
#include "util/json.h"
#include "util/sbuf.h"

static void num(cs__jw *w, const char *k, const cs_sweep_num *n) {
  if (n->is_int) cs__jw_kint(w, k, (int64_t)n->v);
  else cs__jw_knum(w, k, n->v);
}

static void ints(cs__jw *w, const char *k, const int64_t *v, size_t n) {
  cs__jw_key(w, k);
  cs__jw_arr_begin(w);
  for (size_t i = 0; i < n; i++) cs__jw_int(w, v[i]);
  cs__jw_arr_end(w);
}

static void params(cs__jw *w, int n, const char *const *names, const double *values) {
  for (int i = 0; i < n; i++) cs__jw_knum(w, names[i], values[i]);
}

/* clusters: [{device, network_device, gpus_per_node[, num_gpus]}] */
static void clusters(cs__jw *w, const cs_sweep *s) {
  cs__jw_key(w, "clusters");
  cs__jw_arr_begin(w);
  for (size_t i = 0; i < s->nclusters; i++) {
    cs__jw_obj_begin(w);
    cs__jw_kstr(w, "device", s->clusters[i].device);
    cs__jw_kstr(w, "network_device", s->clusters[i].network_device);
    cs__jw_kint(w, "gpus_per_node", s->clusters[i].gpus_per_node);
    if (s->clusters[i].num_gpus) cs__jw_kint(w, "num_gpus", s->clusters[i].num_gpus);
    cs__jw_obj_end(w);
  }
  cs__jw_arr_end(w);
}

/* global_schedulers, request_queues, replica_schedulers: each with its parameters */
static void policies(cs__jw *w, const cs_sweep *s) {
  cs__jw_key(w, "global_schedulers");
  cs__jw_arr_begin(w);
  for (size_t i = 0; i < s->ngsched; i++) {
    const cs_sweep_gsched *g = &s->gscheds[i];
    cs__jw_obj_begin(w);
    cs__jw_kstr(w, "scheduler", g->scheduler);
    params(w, g->nparams, g->param_names, g->param_values);
    cs__jw_obj_end(w);
  }
  cs__jw_arr_end(w);
  cs__jw_key(w, "request_queues");
  cs__jw_arr_begin(w);
  for (size_t i = 0; i < s->nqueues; i++) {
    cs__jw_obj_begin(w);
    cs__jw_kstr(w, "name", s->queues[i].name);
    cs__jw_kstr(w, "provider", s->queues[i].provider);
    if (s->queues[i].has_slo_norm)
      cs__jw_knum(w, "slo_prefill_e2e_time_normalized", s->queues[i].slo_prefill_e2e_time_normalized);
    cs__jw_obj_end(w);
  }
  cs__jw_arr_end(w);
  cs__jw_key(w, "replica_schedulers");
  cs__jw_arr_begin(w);
  for (size_t i = 0; i < s->nrsched; i++) {
    const cs_sweep_rsched *r = &s->rscheds[i];
    cs__jw_obj_begin(w);
    cs__jw_kstr(w, "scheduler", r->scheduler);
    params(w, r->nparams, r->param_names, r->param_values);
    cs__jw_obj_end(w);
  }
  cs__jw_arr_end(w);
}

/* slo_configs: [{name, type, quantile, slos: [{metric, value}]}] */
static void slo_configs(cs__jw *w, const cs_sweep *s) {
  cs__jw_key(w, "slo_configs");
  cs__jw_arr_begin(w);
  for (size_t i = 0; i < s->nslos; i++) {
    const cs_slo_config *c = &s->slos[i];
    cs__jw_obj_begin(w);
    cs__jw_kstr(w, "name", c->name);
    cs__jw_kstr(w, "type", c->type == CS_SLO_AND ? "and" : "or");
    cs__jw_knum(w, "quantile", c->quantile);
    cs__jw_key(w, "slos");
    cs__jw_arr_begin(w);
    for (int k = 0; k < c->n; k++) {
      cs__jw_obj_begin(w);
      cs__jw_kstr(w, "metric", cs_rm_name(c->slos[k].metric));
      cs__jw_knum(w, "value", c->slos[k].value);
      cs__jw_obj_end(w);
    }
    cs__jw_arr_end(w);
    cs__jw_obj_end(w);
  }
  cs__jw_arr_end(w);
}

/* traces: [{name, trace_file, max_seq_len, enable_prefix_caching[, overlong]}] */
static void traces(cs__jw *w, const cs_sweep *s) {
  cs__jw_key(w, "traces");
  cs__jw_arr_begin(w);
  for (size_t i = 0; i < s->ntraces; i++) {
    const cs_sweep_trace *t = &s->traces[i];
    cs__jw_obj_begin(w);
    cs__jw_kstr(w, "name", t->name);
    cs__jw_kstr(w, "trace_file", t->trace_file);
    num(w, "max_seq_len", &t->max_seq_len);
    cs__jw_kbool(w, "enable_prefix_caching", t->enable_prefix_caching);
    if (t->has_overlong) cs__jw_kstr(w, "overlong", cs_overlong_name(t->overlong));
    cs__jw_obj_end(w);
  }
  cs__jw_arr_end(w);
}

/* batch_sizes, tp_dimensions, pp_dimensions, models */
static void models(cs__jw *w, const cs_sweep *s) {
  ints(w, "batch_sizes", s->batch_sizes, s->nbatch);
  ints(w, "tp_dimensions", s->tp_dims, s->ntp);
  ints(w, "pp_dimensions", s->pp_dims, s->npp);
  if (s->nep) ints(w, "ep_dimensions", s->ep_dims, s->nep); /* extension (docs/disaggregation.md) */
  cs__jw_key(w, "models");
  cs__jw_arr_begin(w);
  for (size_t i = 0; i < s->nmodels; i++) {
    const cs_sweep_model *m = &s->models[i];
    cs__jw_obj_begin(w);
    cs__jw_kstr(w, "name", m->name);
    if (m->identifier) cs__jw_kstr(w, "identifier", m->identifier);
    if (m->config) cs__jw_kstr(w, "config", m->config);
    ints(w, "exclude_tp_dims", m->exclude_tp_dims, (size_t)m->nexclude);
    cs__jw_obj_end(w);
  }
  cs__jw_arr_end(w);
}

/* search_configs */
static void searches(cs__jw *w, const cs_sweep *s) {
  cs__jw_key(w, "search_configs");
  cs__jw_arr_begin(w);
  for (size_t i = 0; i < s->nsearches; i++) {
    const cs_sweep_search *c = &s->searches[i];
    cs__jw_obj_begin(w);
    cs__jw_kstr(w, "trace", c->trace);
    cs__jw_kstr(w, "model", c->model);
    cs__jw_kstr(w, "search_for", cs_search_kind_name(c->search_for));
    num(w, "num_replicas", &c->num_replicas);
    num(w, "qps", &c->qps);
    num(w, "num_requests", &c->num_requests);
    if (c->nmult) {
      cs__jw_key(w, "qps_multipliers");
      cs__jw_arr_begin(w);
      for (int k = 0; k < c->nmult; k++) cs__jw_num(w, c->qps_multipliers[k]);
      cs__jw_arr_end(w);
    }
    cs__jw_obj_end(w);
  }
  cs__jw_arr_end(w);
}

/* prices, predictor, seed, verdict */
static void predictor_and_run(cs__jw *w, const cs_sweep *s) {
  if (s->nprices) {
    cs__jw_key(w, "prices");
    cs__jw_obj_begin(w);
    for (size_t i = 0; i < s->nprices; i++) cs__jw_knum(w, s->prices[i].device, s->prices[i].per_gpu_hour);
    cs__jw_obj_end(w);
  }
  cs__jw_key(w, "predictor");
  cs__jw_obj_begin(w);
  cs__jw_kstr(w, "name", s->predictor);
  if (s->profiling_dir) cs__jw_kstr(w, "profiling_dir", s->profiling_dir);
  if (s->predictions_dir) cs__jw_kstr(w, "predictions_dir", s->predictions_dir);
  params(w, s->npredictor_params, s->predictor_param_names, s->predictor_param_values);
  cs__jw_obj_end(w);
  cs__jw_kuint(w, "seed", s->seed);
  cs__jw_kstr(w, "verdict", s->verdict_vidur ? "vidur" : "capsearch");
  if (s->vidur_restart_quirk) cs__jw_kbool(w, "vidur_restart_quirk", true);
}

/* disaggregation shapes (only when the sweep has them) */
static void disaggregation(cs__jw *w, const cs_sweep *s) {
  if (s->ndisagg) {
    cs__jw_key(w, "disaggregation");
    cs__jw_arr_begin(w);
    for (size_t i = 0; i < s->ndisagg; i++) {
      const cs_sweep_disagg *g = &s->disagg[i];
      static const char *const placement[] = {"auto", "intra_node", "inter_node"};
      cs__jw_obj_begin(w);
      cs__jw_kstr(w, "name", g->name);
      cs__jw_kint(w, "prefill_tp", g->prefill_tp);
      cs__jw_kint(w, "prefill_pp", g->prefill_pp);
      cs__jw_kint(w, "decode_tp", g->decode_tp);
      cs__jw_kint(w, "decode_pp", g->decode_pp);
      cs__jw_kstr(w, "kv_placement", placement[g->placement]);
      cs__jw_key(w, "ratios");
      cs__jw_arr_begin(w);
      for (int k = 0; k < g->nratios; k++) {
        cs__jw_arr_begin(w);
        cs__jw_int(w, g->ratio_prefill[k]);
        cs__jw_int(w, g->ratio_decode[k]);
        cs__jw_arr_end(w);
      }
      cs__jw_arr_end(w);
      cs__jw_obj_end(w);
    }
    cs__jw_arr_end(w);
  }
}

char *cs_sweep_to_json(const cs_sweep *s) {
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__jw w;
  cs__jw_init(&w, &sb, false);
  cs__jw_obj_begin(&w);
  if (s->from_v0) cs__jw_kstr(&w, "translated_from", "vidur_v0"); /* docs/sweep.md */
  clusters(&w, s);
  policies(&w, s);
  slo_configs(&w, s);
  traces(&w, s);
  models(&w, s);
  searches(&w, s);
  predictor_and_run(&w, s);
  disaggregation(&w, s);
  cs__jw_obj_end(&w);
  cs__sbuf_addc(&sb, '\n');
  char *detached = cs__sbuf_detach(&sb);
  cs__sbuf_release(&sb); /* detach leaves a fresh empty buffer */
  return detached;
}
