/* What the runner writes about jobs: runs/<hash>/job.json (every parameter of the job, with a
 * format name and version) and results.csv (one row per job in expansion order). Both are
 * byte-identical for the same sweep, options and seed: no wall times, no thread counts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/runner.h"
#include "store/store.h"
#include "util/json.h"
#include "util/sbuf.h"
#include "util/text.h"

static void knumtext(cs__jw *w, const char *k, const cs_sweep_num *n) {
  if (n->is_int) cs__jw_kint(w, k, (int64_t)n->v);
  else cs__jw_knum(w, k, n->v);
}

char *cs__job_json(const cs__plan *plan, const cs__runner_opts *o, const cs_sweep_job *j) {
  const cs_sweep *s = plan->sweep;
  const cs_sweep_model *m = &s->models[j->model];
  const cs_sweep_trace *t = &s->traces[j->trace];
  const cs_sweep_cluster *c = &s->clusters[j->cluster];
  const cs_sweep_gsched *g = &s->gscheds[j->gsched];
  const cs_sweep_rsched *r = &s->rscheds[j->rsched];
  const cs_sweep_queue *q = &s->queues[j->queue];
  const cs_sweep_search *sc = &s->searches[j->search];
  const cs_slo_config *slo = &s->slos[j->slo];
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__jw w;
  cs__jw_init(&w, &sb, false);
  cs__jw_obj_begin(&w);
  cs__jw_kstr(&w, "format", CS_STORE_JOB_FORMAT);
  cs__jw_kint(&w, "version", CS_STORE_VERSION);
  cs__jw_kstr(&w, "hash", j->hash);
  cs__jw_kstr(&w, "key", j->key);
  cs__jw_kint(&w, "index", (int64_t)j->index);
  cs__jw_kstr(&w, "model", m->name);
  cs__jw_kstr(&w, "model_identifier", m->identifier);
  cs__jw_kstr(&w, "model_catalog_name", plan->models ? plan->models[j->model]->name : NULL);
  if (m->config) cs__jw_kstr(&w, "model_config", m->config);
  cs__jw_kstr(&w, "trace", t->name);
  cs__jw_kstr(&w, "trace_file", t->trace_file);
  knumtext(&w, "max_seq_len", &t->max_seq_len);
  cs__jw_kbool(&w, "enable_prefix_caching", t->enable_prefix_caching);
  cs__jw_kstr(&w, "device", c->device);
  cs__jw_kstr(&w, "network_device", c->network_device);
  cs__jw_kint(&w, "gpus_per_node", c->gpus_per_node);
  cs__jw_kstr(&w, "global_scheduler", g->scheduler);
  cs__jw_key(&w, "global_scheduler_params");
  cs__jw_obj_begin(&w);
  for (int i = 0; i < g->nparams; i++) cs__jw_knum(&w, g->param_names[i], g->param_values[i]);
  cs__jw_obj_end(&w);
  cs__jw_kstr(&w, "request_queue", q->name);
  cs__jw_kstr(&w, "request_queue_provider", q->provider);
  if (q->has_slo_norm) cs__jw_knum(&w, "slo_prefill_e2e_time_normalized", q->slo_prefill_e2e_time_normalized);
  cs__jw_kstr(&w, "replica_scheduler", r->scheduler);
  cs__jw_key(&w, "replica_scheduler_params");
  cs__jw_obj_begin(&w);
  for (int i = 0; i < r->nparams; i++) cs__jw_knum(&w, r->param_names[i], r->param_values[i]);
  cs__jw_obj_end(&w);
  cs__jw_kint(&w, "tp", j->tp);
  cs__jw_kint(&w, "pp", j->pp);
  cs__jw_kint(&w, "batch_size", j->batch_size);
  cs__jw_kint(&w, "batch_size_cap", (int64_t)j->batch_size * j->pp);
  cs__jw_kint(&w, "num_replicas", j->num_replicas);
  cs__jw_key(&w, "search");
  cs__jw_obj_begin(&w);
  cs__jw_kstr(&w, "search_for", cs_search_kind_name(sc->search_for));
  knumtext(&w, "qps", &sc->qps);
  if (s->from_v0) /* V0 has no search replica count: the job's num_gpus / (tp * pp) */
    cs__jw_kint(&w, "num_replicas", j->num_replicas);
  else
    knumtext(&w, "num_replicas", &sc->num_replicas);
  knumtext(&w, "num_requests", &sc->num_requests);
  if (sc->nmult) {
    cs__jw_key(&w, "qps_multipliers");
    cs__jw_arr_begin(&w);
    for (int i = 0; i < sc->nmult; i++) cs__jw_num(&w, sc->qps_multipliers[i]);
    cs__jw_arr_end(&w);
  }
  cs__jw_kint(&w, "max_iterations", o->max_iterations);
  cs__jw_knum(&w, "min_search_granularity", o->granularity_pct);
  cs__jw_knum(&w, "min_qps", o->min_qps);
  cs__jw_knum(&w, "time_limit_s", o->time_limit_s);
  cs__jw_kint(&w, "seed", (int64_t)(o->has_seed ? o->seed : s->seed));
  cs__jw_obj_end(&w);
  cs__jw_key(&w, "slo");
  cs__jw_obj_begin(&w);
  cs__jw_kstr(&w, "name", slo->name);
  cs__jw_kstr(&w, "type", slo->type == CS_SLO_AND ? "and" : "or");
  cs__jw_knum(&w, "quantile", slo->quantile);
  cs__jw_key(&w, "slos");
  cs__jw_arr_begin(&w);
  for (int i = 0; i < slo->n; i++) {
    cs__jw_obj_begin(&w);
    cs__jw_kstr(&w, "metric", cs_rm_name(slo->slos[i].metric));
    cs__jw_knum(&w, "value", slo->slos[i].value);
    cs__jw_obj_end(&w);
  }
  cs__jw_arr_end(&w);
  cs__jw_obj_end(&w);
  cs__jw_kstr(&w, "verdict", s->verdict_vidur ? "vidur" : "capsearch"); /* decides pass / fail */
  if (s->vidur_restart_quirk) cs__jw_kbool(&w, "vidur_restart_quirk", true);
  cs__jw_kstr(&w, "predictor", s->predictor);
  cs__jw_knum(&w, "price_per_gpu_hour", cs__plan_job_price(plan, j));
  cs__jw_kint(&w, "num_gpus", cs__plan_job_gpus(plan, j, j->num_replicas));
  if (j->disagg) {
    cs__jw_key(&w, "disaggregation");
    cs__jw_obj_begin(&w);
    cs__jw_kstr(&w, "shape", s->disagg[j->shape].name);
    cs__jw_kint(&w, "prefill_replicas", j->prefill_replicas);
    cs__jw_kint(&w, "prefill_tp", j->tp);
    cs__jw_kint(&w, "prefill_pp", j->pp);
    cs__jw_kint(&w, "decode_replicas", j->decode_replicas);
    cs__jw_kint(&w, "decode_tp", j->decode_tp);
    cs__jw_kint(&w, "decode_pp", j->decode_pp);
    cs__jw_obj_end(&w);
  }
  const cs__trace_view *v = cs__plan_job_view(plan, j);
  if (v) {
    /* the trace's rows against this job's length limit (docs/traces.md "Overlong rows") */
    cs__jw_key(&w, "length_limit");
    cs__jw_obj_begin(&w);
    cs__jw_kint(&w, "tokens", v->limit);
    cs__jw_kstr(&w, "from", v->model_limited ? "model context" : "max_seq_len");
    cs__jw_kint(&w, "model_context", cs_model_context_limit(plan->models[j->model]));
    cs__jw_kint(&w, "trace_rows", (int64_t)plan->traces[j->trace]->n);
    cs__jw_kint(&w, "overlong_rows", (int64_t)v->st.overlong);
    cs__jw_kstr(&w, "overlong", cs_overlong_name(t->overlong));
    cs__jw_obj_end(&w);
  }
  if (j->status == CS_JOB_INFEASIBLE) cs__jw_kstr(&w, "infeasible", j->reason);
  cs__jw_obj_end(&w);
  cs__sbuf_addc(&sb, '\n');
  char *detached = cs__sbuf_detach(&sb);
  cs__sbuf_release(&sb); /* detach leaves a fresh empty buffer */
  return detached;
}

static void field(cs__sbuf *sb, const char *s) {
  if (!s) s = "";
  if (!strpbrk(s, ",\"\n\r")) {
    cs__sbuf_adds(sb, s);
    return;
  }
  cs__sbuf_addc(sb, '"');
  for (; *s; s++) {
    if (*s == '"') cs__sbuf_addc(sb, '"');
    cs__sbuf_addc(sb, *s == '\n' || *s == '\r' ? ' ' : *s);
  }
  cs__sbuf_addc(sb, '"');
}

/* Shortest round-trip form without exponents for everyday magnitudes: Python's repr with an
 * integral ".0" dropped ("160", "5.28125", "22.58823529411765", "1e-05"). */
static void fnum(cs__sbuf *sb, double v) {
  char b[32];
  cs__fmt_pyfloat(v, b);
  size_t n = strlen(b);
  if (n > 2 && !strcmp(b + n - 2, ".0")) b[n - 2] = '\0';
  cs__sbuf_adds(sb, b);
}

#define RESULTS_HEADER                                                                                        \
  "job_hash,model,trace,device,network_device,gpus_per_node,global_scheduler,tolerance_factor,top_k,"          \
  "request_queue,replica_scheduler,chunk_size,tp,pp,batch_size,slo_name,search_for,num_replicas,start_qps,"    \
  "num_requests,num_gpus,price_per_gpu_hour,cost_per_hour,answer_qps,answer_replicas,qps_per_dollar,probes,"   \
  "status,reason,length_limit,overlong_rows,overlong_policy,answer_kind,sustained_qps\n"

#define DISAGG_HEADER \
  ",deployment,prefill_replicas,prefill_tp,prefill_pp,decode_replicas,decode_tp,decode_pp,qps_per_gpu\n"

/* deployment = "aggregated" or "<shape> <x>P<y>D"; an aggregated job has one pool of replicas
 * doing both phases (reported as prefill = decode = its replicas and shape). */
static void disagg_fields(cs__sbuf *sb, const cs_sweep *s, const cs_sweep_job *j, int gpus, const cs__job_result *r) {
  cs__sbuf_addc(sb, ',');
  if (j->disagg) {
    char dep[160];
    snprintf(dep, sizeof dep, "%s %dP%dD", s->disagg[j->shape].name, j->prefill_replicas, j->decode_replicas);
    field(sb, dep);
    cs__sbuf_addf(sb, ",%d,%d,%d,%d,%d,%d,", j->prefill_replicas, j->tp, j->pp, j->decode_replicas, j->decode_tp,
                  j->decode_pp);
  } else {
    int rep = r->has_answer ? r->answer_replicas : j->num_replicas;
    cs__sbuf_addf(sb, "aggregated,%d,%d,%d,%d,%d,%d,", rep, j->tp, j->pp, rep, j->tp, j->pp);
  }
  if (r->has_answer && gpus > 0) fnum(sb, r->answer_qps / gpus);
}

char *cs__results_csv(const cs__plan *plan, const cs__job_result *res) {
  const cs_sweep *s = plan->sweep;
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__sbuf_adds(&sb, RESULTS_HEADER);
  if (s->ndisagg) { /* sweeps with a disaggregation section: the pools, side by side */
    sb.len--;
    cs__sbuf_adds(&sb, DISAGG_HEADER);
  }
  for (size_t i = 0; i < plan->jobs.n; i++) {
    const cs_sweep_job *j = &plan->jobs.v[i];
    const cs__job_result *r = &res[i];
    const cs_sweep_gsched *g = &s->gscheds[j->gsched];
    const cs_sweep_rsched *rs = &s->rscheds[j->rsched];
    const cs_sweep_search *sc = &s->searches[j->search];
    int replicas = r->has_answer ? r->answer_replicas : j->num_replicas;
    int gpus = cs__plan_job_gpus(plan, j, replicas);
    double price = cs__plan_job_price(plan, j);
    double cost = gpus * price;
    cs__sbuf_addf(&sb, "%s,", j->hash);
    field(&sb, s->models[j->model].name);
    cs__sbuf_addc(&sb, ',');
    field(&sb, s->traces[j->trace].name);
    cs__sbuf_addc(&sb, ',');
    field(&sb, s->clusters[j->cluster].device);
    cs__sbuf_addc(&sb, ',');
    field(&sb, s->clusters[j->cluster].network_device);
    cs__sbuf_addf(&sb, ",%d,", s->clusters[j->cluster].gpus_per_node);
    field(&sb, g->scheduler);
    cs__sbuf_addc(&sb, ',');
    if (g->has_tolerance) fnum(&sb, g->tolerance_factor.v);
    cs__sbuf_addc(&sb, ',');
    if (g->has_top_k) fnum(&sb, g->top_k.v);
    cs__sbuf_addc(&sb, ',');
    field(&sb, s->queues[j->queue].name);
    cs__sbuf_addc(&sb, ',');
    field(&sb, rs->scheduler);
    cs__sbuf_addc(&sb, ',');
    if (rs->has_chunk) fnum(&sb, rs->chunk_size.v);
    cs__sbuf_addf(&sb, ",%d,%d,%d,", j->tp, j->pp, j->batch_size);
    field(&sb, s->slos[j->slo].name);
    cs__sbuf_addf(&sb, ",%s,%d,", cs_search_kind_name(sc->search_for), j->num_replicas);
    fnum(&sb, sc->qps.v);
    cs__sbuf_addf(&sb, ",%lld,%d,", (long long)sc->num_requests.v, gpus);
    fnum(&sb, price);
    cs__sbuf_addc(&sb, ',');
    fnum(&sb, cost);
    cs__sbuf_addc(&sb, ',');
    if (r->has_answer) {
      fnum(&sb, r->answer_qps);
      cs__sbuf_addf(&sb, ",%d,", r->answer_replicas);
      if (cost > 0) fnum(&sb, r->answer_qps / cost);
      cs__sbuf_addc(&sb, ',');
    } else {
      cs__sbuf_adds(&sb, ",,,");
    }
    cs__sbuf_addf(&sb, "%d,%s,", r->probes, cs_job_status_name(r->status));
    field(&sb, r->reason);
    const cs__trace_view *v = cs__plan_job_view(plan, j);
    if (v)
      cs__sbuf_addf(&sb, ",%lld,%zu,%s", (long long)v->limit, v->st.overlong, cs_overlong_name(s->traces[j->trace].overlong));
    else
      cs__sbuf_adds(&sb, ",,,");
    cs__sbuf_addf(&sb, ",%s,", r->has_answer && r->answer_kind ? r->answer_kind : "");
    if (r->has_answer && isfinite(r->sustained_qps)) fnum(&sb, r->sustained_qps);
    if (s->ndisagg) disagg_fields(&sb, s, j, gpus, r);
    cs__sbuf_addc(&sb, '\n');
  }
  char *detached = cs__sbuf_detach(&sb);
  cs__sbuf_release(&sb); /* detach leaves a fresh empty buffer */
  return detached;
}
