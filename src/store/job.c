/* job.json: the schema of format CS_STORE_JOB_FORMAT (see job.h), one section per function in
 * file order. */
#include "store/job.h"

#include <stdlib.h>

#include "util/json.h"
#include "util/sbuf.h"

static void knumtext(cs__jw *w, const char *k, const cs_sweep_num *n) {
  if (n->is_int) cs__jw_kint(w, k, (int64_t)n->v);
  else cs__jw_knum(w, k, n->v);
}

static void params(cs__jw *w, const char *k, const cs__store_params *p) {
  cs__jw_key(w, k);
  cs__jw_obj_begin(w);
  for (int i = 0; i < p->n; i++) cs__jw_knum(w, p->names[i], p->values[i]);
  cs__jw_obj_end(w);
}

/* identity, model, trace, cluster */
static void what(cs__jw *w, const cs__store_job *j) {
  cs__jw_kstr(w, "format", CS_STORE_JOB_FORMAT);
  cs__jw_kint(w, "version", CS_STORE_VERSION);
  cs__jw_kstr(w, "hash", j->hash);
  cs__jw_kstr(w, "key", j->key);
  if (j->index >= 0) cs__jw_kint(w, "index", j->index);
  cs__jw_kstr(w, "model", j->model);
  cs__jw_kstr(w, "model_identifier", j->model_identifier);
  cs__jw_kstr(w, "model_catalog_name", j->model_catalog_name);
  if (j->model_config) cs__jw_kstr(w, "model_config", j->model_config);
  cs__jw_kstr(w, "trace", j->trace);
  cs__jw_kstr(w, "trace_file", j->trace_file);
  knumtext(w, "max_seq_len", &j->max_seq_len);
  cs__jw_kbool(w, "enable_prefix_caching", j->enable_prefix_caching);
  cs__jw_kstr(w, "device", j->device);
  cs__jw_kstr(w, "network_device", j->network_device);
  cs__jw_kint(w, "gpus_per_node", j->gpus_per_node);
}

/* policies and parallelism */
static void how(cs__jw *w, const cs__store_job *j) {
  cs__jw_kstr(w, "global_scheduler", j->global_scheduler);
  params(w, "global_scheduler_params", &j->global_scheduler_params);
  cs__jw_kstr(w, "request_queue", j->request_queue);
  cs__jw_kstr(w, "request_queue_provider", j->request_queue_provider);
  if (j->has_slo_norm) cs__jw_knum(w, "slo_prefill_e2e_time_normalized", j->slo_prefill_e2e_time_normalized);
  cs__jw_kstr(w, "replica_scheduler", j->replica_scheduler);
  params(w, "replica_scheduler_params", &j->replica_scheduler_params);
  cs__jw_kint(w, "tp", j->tp);
  cs__jw_kint(w, "pp", j->pp);
  cs__jw_kint(w, "batch_size", j->batch_size);
  cs__jw_kint(w, "batch_size_cap", (int64_t)j->batch_size * j->pp);
  cs__jw_kint(w, "num_replicas", j->num_replicas);
}

/* "search": the search and the run settings that decide a probe */
static void search(cs__jw *w, const cs__store_job_search *s, const cs__store_run *run) {
  cs__jw_key(w, "search");
  cs__jw_obj_begin(w);
  cs__jw_kstr(w, "search_for", s->search_for);
  knumtext(w, "qps", &s->qps);
  knumtext(w, "num_replicas", &s->num_replicas);
  knumtext(w, "num_requests", &s->num_requests);
  if (s->nmult) {
    cs__jw_key(w, "qps_multipliers");
    cs__jw_arr_begin(w);
    for (int i = 0; i < s->nmult; i++) cs__jw_num(w, s->qps_multipliers[i]);
    cs__jw_arr_end(w);
  }
  cs__jw_kint(w, "max_iterations", s->max_iterations);
  cs__jw_knum(w, "min_search_granularity", s->min_search_granularity);
  cs__jw_knum(w, "min_qps", s->min_qps);
  cs__jw_knum(w, "time_limit_s", run->time_limit_s);
  cs__jw_kuint(w, "seed", run->seed); /* unsigned, as config.json and the config's type */
  cs__jw_obj_end(w);
}

static void slo(cs__jw *w, const cs__store_job_slo *s) {
  cs__jw_key(w, "slo");
  cs__jw_obj_begin(w);
  cs__jw_kstr(w, "name", s->name);
  cs__jw_kstr(w, "type", s->type);
  cs__jw_knum(w, "quantile", s->quantile);
  cs__jw_key(w, "slos");
  cs__jw_arr_begin(w);
  for (int i = 0; i < s->n; i++) {
    cs__jw_obj_begin(w);
    cs__jw_kstr(w, "metric", s->metric[i]);
    cs__jw_knum(w, "value", s->value[i]);
    cs__jw_obj_end(w);
  }
  cs__jw_arr_end(w);
  cs__jw_obj_end(w);
}

static void disagg(cs__jw *w, const cs__store_job_disagg *d) {
  cs__jw_key(w, "disaggregation");
  cs__jw_obj_begin(w);
  cs__jw_kstr(w, "shape", d->shape);
  cs__jw_kint(w, "prefill_replicas", d->prefill_replicas);
  cs__jw_kint(w, "prefill_tp", d->prefill_tp);
  cs__jw_kint(w, "prefill_pp", d->prefill_pp);
  cs__jw_kint(w, "decode_replicas", d->decode_replicas);
  cs__jw_kint(w, "decode_tp", d->decode_tp);
  cs__jw_kint(w, "decode_pp", d->decode_pp);
  cs__jw_obj_end(w);
}

/* the trace's rows against this job's length limit (docs/traces.md "Overlong rows") */
static void limit(cs__jw *w, const cs__store_job_limit *l) {
  cs__jw_key(w, "length_limit");
  cs__jw_obj_begin(w);
  cs__jw_kint(w, "tokens", l->tokens);
  cs__jw_kstr(w, "from", l->from);
  cs__jw_kint(w, "model_context", l->model_context);
  cs__jw_kint(w, "trace_rows", l->trace_rows);
  cs__jw_kint(w, "overlong_rows", l->overlong_rows);
  cs__jw_kstr(w, "overlong", l->overlong);
  cs__jw_obj_end(w);
}

char *cs__store_job_json(const cs__store_job *j, cs_err *err) {
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__jw w;
  cs__jw_init(&w, &sb, false);
  cs__jw_obj_begin(&w);
  what(&w, j);
  how(&w, j);
  search(&w, &j->search, &j->run);
  slo(&w, &j->slo);
  cs__jw_kstr(&w, "verdict", j->verdict); /* decides pass / fail */
  if (j->vidur_restart_quirk) cs__jw_kbool(&w, "vidur_restart_quirk", true);
  cs__jw_kstr(&w, "predictor", j->predictor);
  cs__jw_knum(&w, "price_per_gpu_hour", j->price_per_gpu_hour);
  cs__jw_kint(&w, "num_gpus", j->num_gpus);
  if (j->disaggregation) disagg(&w, j->disaggregation);
  if (j->ep > 1) { /* docs/disaggregation.md, "Expert parallelism" */
    cs__jw_key(&w, "expert_parallel");
    cs__jw_obj_begin(&w);
    cs__jw_kint(&w, "ep", j->ep);
    cs__jw_kint(&w, "dp", j->dp);
    cs__jw_obj_end(&w);
  }
  if (j->length_limit) limit(&w, j->length_limit);
  if (j->infeasible) cs__jw_kstr(&w, "infeasible", j->infeasible);
  cs__jw_obj_end(&w);
  cs__sbuf_addc(&sb, '\n');
  char *text = cs__jw_finish(&w, "job.json", err) ? NULL : cs__sbuf_detach(&sb);
  cs__sbuf_release(&sb);
  return text;
}
