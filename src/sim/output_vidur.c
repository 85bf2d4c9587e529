/* Vidur-analyzer files of a run directory (output_vidur.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "capsearch/params.h"
#include "sim/output_vidur.h"
#include "util/json.h"
#include "util/text.h"

static void ynum(cs__sbuf *sb, const char *key, double v) {
  char b[32];
  if (!isfinite(v)) cs__sbuf_addf(sb, "%s: null\n", key);
  else if (v == floor(v) && fabs(v) < 1e15) cs__sbuf_addf(sb, "%s: %lld\n", key, (long long)v);
  else cs__sbuf_addf(sb, "%s: %s\n", key, cs__fmt_double(v, b));
}

/* A YAML string: a JSON string literal is valid YAML. */
static void ystr(cs__sbuf *sb, const char *key, const char *s) {
  cs__sbuf_addf(sb, "%s: ", key);
  if (s) cs__json_escape(sb, s);
  else cs__sbuf_adds(sb, "null");
  cs__sbuf_addc(sb, '\n');
}

static const char *arrival_provider(cs_arrival_kind k) {
  static const char *const n[] = {"poisson", "gamma", "static", "uniform", "trace"};
  return (unsigned)k < 5 ? n[k] : "unknown";
}

void cs__vidur_config_yml(const cs_sim_result *r, const cs_sim_config *cfg, cs__sbuf *sb) {
  const cs_workload_spec *ws = &cfg->workload;
  const char *rs = cfg->replica_scheduler ? cfg->replica_scheduler : "";
  double chunk = cs_params_get(&cfg->replica_params, "chunk_size", NAN);
  cs__sbuf_adds(sb, "# Vidur's flattened configuration of this run (for vidur/config_optimizer/analyzer);\n"
                    "# capsearch's own, complete configuration is config.json.\n");
  ynum(sb, "cluster_num_replicas", cfg->num_replicas);
  ystr(sb, "global_scheduler_provider", cfg->global_scheduler);
  ystr(sb, "replica_model_name", cfg->model->name);
  ystr(sb, "replica_device", cfg->device->name);
  ystr(sb, "replica_network_device", cfg->network ? cfg->network->name : NULL);
  ynum(sb, "replica_num_tensor_parallel_workers", cfg->tp);
  ynum(sb, "replica_num_pipeline_stages", cfg->pp);
  ynum(sb, "replica_memory_margin_fraction", cfg->memory_margin);
  ystr(sb, "replica_scheduler_provider", rs);
  ynum(sb, "replica_scheduler_batch_size_cap", cs_params_get(&cfg->replica_params, "batch_size_cap", NAN));
  ynum(sb, "replica_block_size", cfg->block_size);
  ynum(sb, "replica_scheduler_num_blocks", (double)r->stats.num_blocks);
  /* the dashboard groups by the chunk size of every scheduler; Vidur's key is Sarathi's */
  ynum(sb, "sarathi_scheduler_chunk_size", isnan(chunk) ? 0 : chunk);
  if (!strcmp(rs, "vllm")) ynum(sb, "vllm_scheduler_max_tokens_in_batch", cs_params_get(&cfg->replica_params, "max_tokens_in_batch", NAN));
  ystr(sb, "request_generator_provider", "synthetic");
  ystr(sb, "synthetic_request_generator_interval_provider", arrival_provider(ws->arrival));
  ynum(sb, "synthetic_request_generator_num_requests", (double)ws->num_requests);
  ynum(sb, "poisson_request_interval_generator_qps", ws->qps);
  ystr(sb, "synthetic_request_generator_length_provider", ws->trace ? "trace" : "synthetic");
  ystr(sb, "trace_request_length_generator_trace_file", ws->trace ? ws->trace->path : NULL);
  ynum(sb, "trace_request_length_generator_max_tokens", (double)ws->max_seq_len);
  ynum(sb, "trace_request_length_generator_prefill_scale_factor", ws->prefill_scale);
  ynum(sb, "trace_request_length_generator_decode_scale_factor", ws->decode_scale);
  ystr(sb, "execution_time_predictor_provider", r->predictor_name);
  ynum(sb, "time_limit", cfg->time_limit_s);
  ynum(sb, "seed", (double)ws->seed);
}

void cs__vidur_replica_json(const cs_sim_result *r, int k, int stage, int which, char *name, size_t n, cs__sbuf *sb) {
  static const char *const what[] = {"memory_usage", "mfu", "busy_time_percent"};
  double lo, hi, mean;
  char prefix[64];
  if (which == 0) {
    lo = r->replicas[k].memory_usage_min, hi = r->replicas[k].memory_usage_max;
    mean = r->replicas[k].memory_usage_sample_mean; /* Vidur's "weighted mean": a plain sample mean */
    snprintf(prefix, sizeof prefix, "replica_%d_%s", k + 1, what[which]);
  } else {
    const cs__stage_stats *ss = &r->stages[k * r->num_stages + stage];
    lo = which == 1 ? ss->mfu_min : ss->busy_min;
    hi = which == 1 ? ss->mfu_max : ss->busy_max;
    mean = which == 1 ? ss->mfu_mean : ss->busy_mean;
    snprintf(prefix, sizeof prefix, "replica_%d_stage_%d_%s", k + 1, stage + 1, what[which]);
  }
  snprintf(name, n, "%s.json", prefix);
  char key[96];
  cs__jw w;
  cs__jw_init(&w, sb, false);
  cs__jw_obj_begin(&w);
  snprintf(key, sizeof key, "%s_min", prefix);
  cs__jw_knum(&w, key, lo);
  snprintf(key, sizeof key, "%s_max", prefix);
  cs__jw_knum(&w, key, hi);
  snprintf(key, sizeof key, "%s_weighted_mean", prefix);
  cs__jw_knum(&w, key, mean);
  if (which == 0) {
    snprintf(key, sizeof key, "%s_time_weighted_mean", prefix);
    cs__jw_knum(&w, key, r->replicas[k].memory_usage_weighted_mean);
  }
  cs__jw_obj_end(&w);
  cs__sbuf_addc(sb, '\n');
}
