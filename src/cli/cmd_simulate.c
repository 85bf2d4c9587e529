/* capsearch simulate: one simulation from a small YAML file and/or flags; writes one Vidur-style
 * run directory and prints a one-screen summary. Flags override the file. Schema: docs/simulator.md
 * and configs/simulate-example.yml. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "capsearch/catalog.h"
#include "capsearch/opt.h"
#include "capsearch/predictor.h"
#include "capsearch/sim.h"
#include "capsearch/trace.h"
#include "capsearch/util.h"
#include "capsearch/yaml.h"

#include "cmd_simulate.h"
#include "commands.h"

/* Reads the extra keys of a policy map as numeric parameters checked against `info`. */
static int y_params(const cs_ydoc *d, const cs_ynode *map, const cs_policy_info *info, const char *skip[],
                    cs_params *out, cs_err *err) {
  if (!map) return 0;
  for (size_t i = 0; i < map->n; i++) {
    const char *k = map->keys[i]->str;
    bool skipped = !strcmp(k, "name");
    for (int s = 0; skip && skip[s]; s++) skipped = skipped || !strcmp(k, skip[s]);
    if (skipped) continue;
    char w[300];
    cs_y_where(d, map->keys[i], w, sizeof w);
    double v;
    const cs_ynode *val = map->items[i];
    bool b;
    if (val->kind == CS_Y_SCALAR && !val->quoted && (!strcmp(val->str, "true") || !strcmp(val->str, "false"))) {
      if (cs_y_bool(d, val, k, &b, err)) return err ? err->code : CS_ECONFIG;
      v = b;
    } else {
      int rc = cs_y_double(d, val, k, &v, err);
      if (rc) return rc;
    }
    int rc = cs_params_set(out, info->params, info->nparams, info->name, k, v, w, err);
    if (rc) return rc;
  }
  return 0;
}

/* ---- resolution ------------------------------------------------------------------------------ */

static int set_flag_param(cs_params *p, const cs_policy_info *info, const char *name, double v, const char *flag,
                          cs_err *err) {
  if (isnan(v)) return 0;
  char where[64];
  snprintf(where, sizeof where, "--%s", flag);
  return cs_params_set(p, info->params, info->nparams, info->name, name, v, where, err);
}

typedef struct sim_env {
  cs_catalog *cat;
  cs_model *own_model;
  cs_trace *trace;
  cs_trace *limited; /* the trace's rows held to the length limit, when any was over it */
  cs_predictor *pred;
  cs_sim_result *res;
  sim_limit lim;
} sim_env;

/* Synthetic lengths must fit the limit as they are: the generators have no overlong rule. */
static int synthetic_fits(const sim_opts *o, const cs_workload_spec *w, const sim_limit *l, cs_err *err) {
  char why[160];
  if (l->limit == l->asked)
    snprintf(why, sizeof why, "--max-seq-len %lld", (long long)l->limit);
  else
    snprintf(why, sizeof why, "the model's context of %lld tokens", (long long)l->limit);
  if (w->length == CS_LENGTH_FIXED && (int64_t)w->fixed_prefill + w->fixed_decode > l->limit)
    return cs_err_set(err, CS_EUSAGE,
                      "fixed lengths: workload.prefill_tokens %d%s + workload.decode_tokens %d%s exceed %s; give "
                      "shorter ones (or a trace)",
                      w->fixed_prefill, o->prefill_tokens ? "" : " (default)", w->fixed_decode,
                      o->decode_tokens ? "" : " (default)", why);
  if ((w->length == CS_LENGTH_UNIFORM || w->length == CS_LENGTH_ZIPF) && w->max_tokens > l->limit)
    return cs_err_set(err, CS_EUSAGE, "workload.max_tokens %d%s exceeds %s; give a lower one", w->max_tokens,
                      o->max_tokens ? "" : " (default)", why);
  return 0;
}

/* The length limit, as a sweep sets it (docs/traces.md "Overlong rows"): the smaller of
 * --max-seq-len and the model's context (max_position_embeddings as rope_scaling extends it);
 * trace rows over it follow --overlong through the sweep's own cs_trace_limit. */
static int hold_to_limit(const sim_opts *o, sim_env *env, cs_sim_config *c, cs_err *err) {
  sim_limit *l = &env->lim;
  cs_workload_spec *w = &c->workload;
  l->context = cs_model_context_limit(c->model);
  l->asked = o->max_seq_len;
  l->overlong = o->overlong;
  l->limit = l->asked > 0 && (l->context <= 0 || l->asked < l->context) ? l->asked : l->context;
  w->max_seq_len = l->limit > 0 ? l->limit : 0;
  if (l->asked > l->context && l->context > 0)
    fprintf(stderr, "capsearch: note: --max-seq-len %lld is above the context of %s (%lld tokens); requests are held "
            "to %lld tokens, as a sweep does\n", (long long)l->asked, c->model->name, (long long)l->context,
            (long long)l->context);
  if (l->limit <= 0) return 0;
  if (w->length != CS_LENGTH_TRACE) {
    l->longest = w->length == CS_LENGTH_FIXED ? (int64_t)w->fixed_prefill + w->fixed_decode : w->max_tokens;
    return synthetic_fits(o, w, l, err);
  }
  cs_trace_count_overlong(env->trace, l->limit, &l->st);
  l->longest = l->st.longest < l->limit ? l->st.longest : l->limit;
  if (!l->st.overlong) return 0;
  int rc = cs_trace_limit(env->trace, l->limit, (cs_overlong)o->overlong, &env->limited, err);
  if (rc) {
    cs_err_prefix(err, "%s %lld (%s)", l->limit == l->asked ? "--max-seq-len" : "the model's context",
                  (long long)l->limit, l->limit == l->asked ? "the length limit" : "the length limit without --max-seq-len");
    return rc;
  }
  w->trace = env->limited;
  l->longest = env->limited->max_total_tokens;
  return 0;
}

/* --param NAME=VALUE for the chosen predictor: the name is checked against its list (with a
 * suggestion when misspelled), the value must be a number. */
static int flag_params(const sim_opts *o, const cs_policy_info *info, cs_params *p, cs_err *err) {
  for (int i = 0; i < o->nparam_args; i++) {
    char name[64];
    double v;
    if (cs__cli_param_arg(o->param_args[i], name, &v, err)) return err->code;
    int rc = set_flag_param(p, info, name, v, "param", err);
    if (rc) return rc;
  }
  return 0;
}

/* vLLM refuses to start when one request of max_model_len tokens does not fit the KV cache;
 * --num-blocks that small would leave every longer request waiting forever. */
static int kv_holds_one(const cs_sim_config *c, const sim_limit *l, cs_err *err) {
  int64_t need = l->limit > 0 ? l->limit : l->longest, bs = c->block_size;
  if (c->num_blocks <= 0 || need <= 0 || c->num_blocks * bs >= need) return 0;
  return cs_err_set(err, CS_EUSAGE,
                    "--num-blocks %lld: a KV cache of %lld tokens (blocks of %lld) cannot hold one request of %lld "
                    "tokens (%s); vLLM refuses to start when max_model_len does not fit its KV cache. Give "
                    "--num-blocks %lld or more, or a lower --max-seq-len",
                    (long long)c->num_blocks, (long long)(c->num_blocks * bs), (long long)bs, (long long)need,
                    l->limit <= 0 ? "the longest request" : l->limit == l->asked ? "--max-seq-len" : "the model's context",
                    (long long)((need + bs - 1) / bs));
}

static int resolve(sim_opts *o, sim_env *env, cs_sim_config *c, cs_err *err) {
  int rc;
  cs_sim_config_defaults(c);
  if ((rc = cs_catalog_load(cs__cli_catalog_dir(o->config_dir).s, &env->cat, err))) return rc;
  if (o->model_config) {
    if ((rc = cs_model_load_hf_config(o->model_config, &env->own_model, err))) return rc;
    c->model = env->own_model;
  } else {
    if (!o->model) return cs_err_set(err, CS_EUSAGE, "no model: give --model NAME or --model-config FILE");
    if ((rc = cs_model_resolve(env->cat, o->model, &c->model, &env->own_model, err))) return rc;
  }
  if (!o->device) return cs_err_set(err, CS_EUSAGE, "no device: give --device NAME (see capsearch list devices)");
  if ((rc = cs_catalog_find_device(env->cat, o->device, &c->device, err))) return rc;
  if (o->network && (rc = cs_catalog_find_network(env->cat, o->network, &c->network, err))) return rc;
  c->tp = o->tp;
  c->pp = o->pp;
  c->num_replicas = o->replicas;
  c->replica_scheduler = o->rsched;
  c->global_scheduler = o->gsched;
  c->request_queue = o->queue;
  const cs_policy_info *ri, *gi, *qi;
  if ((rc = cs_replica_sched_info(o->rsched, &ri, err)) || (rc = cs_global_sched_info(o->gsched, &gi, err)) ||
      (rc = cs_request_queue_info(o->queue, &qi, err)))
    return rc;
  if ((rc = y_params(o->doc, o->rnode, ri, NULL, &c->replica_params, err)) ||
      (rc = y_params(o->doc, o->gnode, gi, NULL, &c->global_params, err)) ||
      (rc = y_params(o->doc, o->qnode, qi, NULL, &c->queue_params, err)) ||
      (rc = set_flag_param(&c->replica_params, ri, "chunk_size", o->chunk_size, "chunk-size", err)) ||
      (rc = set_flag_param(&c->replica_params, ri, "batch_size_cap", o->batch_cap, "batch-size-cap", err)) ||
      (rc = set_flag_param(&c->global_params, gi, "tolerance_factor", o->tolerance, "tolerance-factor", err)) ||
      (rc = set_flag_param(&c->global_params, gi, "top_k", o->top_k, "top-k", err)))
    return rc;
  c->block_size = o->block_size;
  c->num_blocks = o->num_blocks;
  c->memory_margin = o->memory_margin;
  c->watermark_fraction = o->watermark;
  c->prealloc_tokens = o->prealloc;
  c->time_limit_s = o->time_limit;
  c->router_seed = (uint64_t)o->router_seed;
  c->chrome_trace = o->chrome_trace;
  c->record_batches = o->batch_metrics;
  c->vidur_restart_quirk = o->restart_quirk;

  cs_workload_spec *w = &c->workload;
  w->arrival = o->arrival >= 0 ? (cs_arrival_kind)o->arrival : CS_ARRIVAL_POISSON;
  w->length = o->lengths >= 0 ? (cs_length_kind)o->lengths : o->trace ? CS_LENGTH_TRACE : CS_LENGTH_FIXED;
  if (o->trace) {
    cs_trace_opts to = {.format = CS_TRACE_AUTO, .block_size = o->block_size, .max_rows = 0};
    if ((rc = cs_trace_load(o->trace, &to, &env->trace, err))) return rc;
    char warn[1200];
    if (cs_trace_warning(env->trace, warn, sizeof warn)) fprintf(stderr, "capsearch: warning: %s\n", warn);
    w->trace = env->trace;
  } else if (w->length == CS_LENGTH_TRACE || w->arrival == CS_ARRIVAL_TRACE) {
    return cs_err_set(err, CS_EUSAGE, "trace lengths/arrivals need --trace FILE");
  }
  w->qps = o->qps;
  w->cv = o->cv;
  w->time_scale = o->time_scale;
  w->poisson_untruncated = o->poisson_untruncated;
  if (o->prefill_tokens) w->fixed_prefill = (int32_t)o->prefill_tokens;
  if (o->decode_tokens) w->fixed_decode = (int32_t)o->decode_tokens;
  if (o->min_tokens) w->min_tokens = (int32_t)o->min_tokens;
  if (o->max_tokens) w->max_tokens = (int32_t)o->max_tokens;
  if (!isnan(o->pd_ratio)) w->pd_ratio = o->pd_ratio;
  if (!isnan(o->theta)) w->zipf_theta = o->theta;
  w->prefill_scale = o->prefill_scale;
  w->decode_scale = o->decode_scale;
  if ((rc = hold_to_limit(o, env, c, err)) || (rc = kv_holds_one(c, &env->lim, err))) return rc;
  w->num_requests = o->num_requests;
  if (!w->num_requests && !o->trace && !(o->duration > 0)) w->num_requests = 128; /* Vidur's default */
  if (!w->num_requests && o->trace && w->arrival != CS_ARRIVAL_TRACE && !(o->duration > 0))
    w->num_requests = (int64_t)w->trace->n; /* one pass over the rows kept */
  w->duration = o->duration;
  w->seed = (uint64_t)o->seed;
  c->prefix_caching = o->prefix_caching > 0;

  const cs_predictor_ops *pops;
  if ((rc = cs_predictor_find(o->predictor, &pops, err))) return rc;
  cs_predictor_ctx pc = {.model = c->model, .device = c->device, .network = c->network, .tp = c->tp, .pp = c->pp,
                         .profiling_dir = o->profiling_dir, .predictions_dir = o->predictions_dir,
                         .cache_dir = o->cache_dir};
  const cs_policy_info *pinfo = &pops->info;
  const char *skip[] = {"profiling_dir", "predictions_dir", "cache_dir", NULL};
  if ((rc = y_params(o->doc, o->pnode, pinfo, skip, &pc.params, err))) return rc;
  if ((rc = flag_params(o, pinfo, &pc.params, err))) return rc;
  if ((rc = cs_params_finish(&pc.params, pinfo->params, pinfo->nparams, pinfo->name, "predictor", err))) return rc;
  if ((rc = cs_predictor_new(pops, &pc, &env->pred, err))) return rc;
  c->predictor = env->pred;
  return 0;
}


static char *run_dir_name(const char *parent) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  struct tm tm;
  time_t s = tv.tv_sec;
  localtime_r(&s, &tm);
  char name[64];
  size_t k = strftime(name, sizeof name, "%Y-%m-%d_%H-%M-%S", &tm);
  snprintf(name + k, sizeof name - k, "-%06ld", (long)tv.tv_usec);
  return cs_path_join(parent, name);
}

int cs__cmd_simulate(int argc, char **argv) {
  sim_opts o;
  cs__sim_opts_init(&o);
  cs_err err = {0};
  cs_ydoc doc = {0};
  sim_env env = {0};
  cs_sim_config cfg;
  char *dir = NULL;
  int rc = 0, exitc = CS_EXIT_OK;
  /* the flags once to find the file (and any bad flag), then the file, then the flags over it */
  sim_opts pre;
  cs__sim_opts_init(&pre);
  rc = cs__sim_opts_parse_flags(&pre, argc, argv, &err);
  if (rc == CS_OPT_HELP_ASKED) {
    cs_sbuf sb;
    cs_sbuf_init(&sb);
    cs__sim_opts_help(&sb);
    fputs(sb.buf, stdout);
    cs_sbuf_release(&sb);
    goto out;
  }
  if (rc) goto fail;
  if (pre.config && ((rc = cs_ydoc_load_file(&doc, pre.config, &err)) || (rc = cs__sim_opts_load_yaml(&o, &doc, &err))))
    goto fail;
  if ((rc = cs__sim_opts_parse_flags(&o, argc, argv, &err))) goto fail;
  if ((rc = resolve(&o, &env, &cfg, &err))) goto fail;
  if ((rc = cs_sim_run(&cfg, &env.res, &err))) goto fail;
  dir = o.no_timestamp ? cs_xstrdup(o.output_dir) : run_dir_name(o.output_dir);
  if ((rc = cs_mkdir_p(dir, &err))) goto fail;
  cs_sim_write_opts wo = {.gzip_request_metrics = o.compress, .write_plots = true, .config_json = NULL};
  if ((rc = cs_sim_write_outputs(env.res, &cfg, dir, &wo, &err))) goto fail;
  cs__sim_print_summary(&cfg, env.res, &env.lim, dir);
  goto out;
fail:
  exitc = cs__cli_fail(&err);
out:
  free(dir);
  cs_sim_result_free(env.res);
  cs_predictor_free(env.pred);
  cs_trace_free(env.limited);
  cs_trace_free(env.trace);
  cs_model_free(env.own_model);
  cs_catalog_free(env.cat);
  cs_ydoc_free(&doc);
  return exitc;
}
