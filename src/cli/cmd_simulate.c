/* capsearch simulate: one simulation from a small YAML file and/or flags; writes one Vidur-style
 * run directory and prints a one-screen summary. Flags override the file. Schema: docs/simulator.md
 * and configs/simulate-example.yml. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "capsearch/catalog.h"
#include "capsearch/predictor.h"
#include "capsearch/sim.h"
#include "capsearch/trace.h"
#include "cli/commands.h"
#include "util/fs.h"
#include "util/sbuf.h"
#include "util/text.h"
#include "util/yaml.h"

static const char sim_usage[] =
    "usage: capsearch simulate [--config FILE] [options]\n\n"
    "Runs one request-level simulation (Vidur semantics) and writes a run directory\n"
    "<output-dir>/<YYYY-MM-DD_HH-MM-SS-ffffff>/ (config.json, request_metrics.csv, plots/).\n"
    "Flags override the YAML file (schema: docs/simulator.md, configs/simulate-example.yml).\n\n"
    "cluster:\n"
    "  --model NAME             catalog model (HF id or short name)   --model-config FILE  HF config.json\n"
    "  --device NAME            catalog device (a100, h100, ...)      --network NAME       node type\n"
    "  --tp N  --pp N           tensor / pipeline parallel sizes (1)  --replicas N         replicas (1)\n"
    "  --config-dir DIR         catalog directory (default: the shipped configs/)\n"
    "scheduling:\n"
    "  --replica-scheduler S    vllm_v1 (default), vllm, sarathi, orca, faster_transformer, lightllm\n"
    "  --chunk-size N           token budget per iteration (sarathi, vllm_v1)\n"
    "  --batch-size-cap N       maximum batch size / running requests\n"
    "  --global-scheduler S     round_robin (default), random, lor, lop, lop_uncached, sticky_*, ...\n"
    "  --tolerance-factor X     tolerant_sticky_lop_uncached    --top-k N   ranked_sticky_lop_uncached\n"
    "  --queue fcfs|edf         request queue (fcfs)\n"
    "  --prefix-caching         enable prefix caching (needs block hashes in the trace)\n"
    "  --num-blocks N           KV blocks per replica (default: Vidur's memory planner)\n"
    "workload:\n"
    "  --trace FILE             Vidur CSV / Mooncake JSONL / Azure CSV (.gz ok): lengths (and arrivals)\n"
    "  --arrival KIND           poisson (default), gamma, static, uniform, trace\n"
    "  --qps Q  --cv CV         request rate; gamma coefficient of variation\n"
    "  --num-requests N         requests to simulate (default: the trace's rows, else 128)\n"
    "  --max-seq-len N          longest request (prompt + output) allowed\n"
    "  --seed S                 workload seed (42)\n"
    "  --time-limit SECONDS     simulated-time horizon in seconds (0 = none)\n"
    "execution time:\n"
    "  --predictor NAME         roofline (default), profile, constant, ...\n"
    "  --profiling-dir DIR  --predictions-dir DIR  --cache-dir DIR   profile predictor inputs\n"
    "  --param NAME=VALUE       a predictor parameter (repeatable; `capsearch list predictors`)\n"
    "output:\n"
    "  --output-dir DIR         parent of the run directory (simulator_output)\n"
    "  --no-timestamp           write into --output-dir itself\n"
    "  --compress               request_metrics.csv.gz     --chrome-trace  chrome_trace.json\n"
    "  --batch-metrics          batch_metrics.csv (one row per batch)\n"
    "  --vidur-restart-quirk    Vidur's mid-prefill restart (unprocessed prompt becomes decode)\n"
    "  -h, --help               this text\n";

/* Everything the file and the flags can set, as strings/numbers before resolution. */
typedef struct sim_opts {
  const char *model, *model_config, *device, *network, *config_dir;
  int tp, pp, replicas;
  const char *rsched, *gsched, *queue;
  cs_params rparams, gparams, qparams;        /* from the YAML maps (validated later) */
  double chunk_size, batch_cap, tolerance, top_k; /* from flags, NAN = unset */
  int block_size;
  int64_t num_blocks;
  double memory_margin, watermark;
  int prefix_caching; /* -1 unset */
  int prealloc;
  const char *trace, *arrival, *lengths;
  double qps, cv, time_scale;
  int poisson_untruncated;
  int64_t prefill_tokens, decode_tokens, min_tokens, max_tokens, num_requests, max_seq_len;
  double pd_ratio, theta, prefill_scale, decode_scale, duration;
  int64_t seed;
  double time_limit;
  const char *predictor, *profiling_dir, *predictions_dir, *cache_dir;
  cs_params pparams;
  const char *param_args[CS_PARAMS_MAX]; /* --param NAME=VALUE, checked once the predictor is known */
  int nparam_args;
  const char *output_dir;
  int no_timestamp, compress, chrome_trace, restart_quirk, batch_metrics;
  int64_t router_seed;
  /* names of YAML policy params, resolved against the policy once it is known */
  const cs__ydoc *doc;
  const cs__ynode *rnode, *gnode, *qnode, *pnode;
} sim_opts;

static void opts_init(sim_opts *o) {
  memset(o, 0, sizeof *o);
  o->tp = o->pp = o->replicas = 1;
  o->rsched = "vllm_v1";
  o->gsched = "round_robin";
  o->queue = "fcfs";
  o->chunk_size = o->batch_cap = o->tolerance = o->top_k = NAN;
  o->block_size = 16;
  o->memory_margin = 0.1;
  o->watermark = 0.01;
  o->prefix_caching = -1;
  o->prealloc = 64;
  o->arrival = NULL;
  o->lengths = NULL;
  o->qps = 1.0;
  o->cv = 1.0;
  o->time_scale = 1.0;
  o->pd_ratio = NAN;
  o->theta = NAN;
  o->prefill_scale = o->decode_scale = 1.0;
  o->seed = 42;
  o->predictor = "roofline";
  o->output_dir = "simulator_output";
  o->router_seed = 67;
}

/* ---- YAML ---------------------------------------------------------------------------------- */

static int y_policy(const cs__ydoc *d, const cs__ynode *n, const char *what, const char **name, const cs__ynode **map,
                    cs_err *err) {
  if (n->kind == CS_Y_SCALAR) return cs__y_str(d, n, what, name, err);
  int rc = cs__y_expect(d, n, CS_Y_MAP, what, err);
  if (rc) return rc;
  const cs__ynode *nm = cs__ymap_get(n, "name");
  char w[300];
  if (!nm) {
    cs__y_where(d, n, w, sizeof w);
    return cs_err_set(err, CS_ECONFIG, "%s: %s: missing 'name' (the policy to use)", w, what);
  }
  *map = n;
  return cs__y_str(d, nm, what, name, err);
}

/* Reads the extra keys of a policy map as numeric parameters checked against `info`. */
static int y_params(const cs__ydoc *d, const cs__ynode *map, const cs_policy_info *info, const char *skip[],
                    cs_params *out, cs_err *err) {
  if (!map) return 0;
  for (size_t i = 0; i < map->n; i++) {
    const char *k = map->keys[i]->str;
    bool skipped = !strcmp(k, "name");
    for (int s = 0; skip && skip[s]; s++) skipped = skipped || !strcmp(k, skip[s]);
    if (skipped) continue;
    char w[300];
    cs__y_where(d, map->keys[i], w, sizeof w);
    double v;
    const cs__ynode *val = map->items[i];
    bool b;
    if (val->kind == CS_Y_SCALAR && !val->quoted && (!strcmp(val->str, "true") || !strcmp(val->str, "false"))) {
      if (cs__y_bool(d, val, k, &b, err)) return err ? err->code : CS_ECONFIG;
      v = b;
    } else {
      int rc = cs__y_double(d, val, k, &v, err);
      if (rc) return rc;
    }
    int rc = cs_params_set(out, info->params, info->nparams, info->name, k, v, w, err);
    if (rc) return rc;
  }
  return 0;
}

static int y_int(const cs__ydoc *d, const cs__ynode *m, const char *k, int64_t *out, cs_err *err) {
  const cs__ynode *n = cs__ymap_get(m, k);
  return n ? cs__y_int(d, n, k, out, err) : 0;
}
static int y_i32(const cs__ydoc *d, const cs__ynode *m, const char *k, int *out, cs_err *err) {
  int64_t v = *out;
  int rc = y_int(d, m, k, &v, err);
  *out = (int)v;
  return rc;
}
static int y_dbl(const cs__ydoc *d, const cs__ynode *m, const char *k, double *out, cs_err *err) {
  const cs__ynode *n = cs__ymap_get(m, k);
  return n ? cs__y_double(d, n, k, out, err) : 0;
}
static int y_bool(const cs__ydoc *d, const cs__ynode *m, const char *k, int *out, cs_err *err) {
  const cs__ynode *n = cs__ymap_get(m, k);
  bool b;
  if (!n) return 0;
  int rc = cs__y_bool(d, n, k, &b, err);
  if (!rc) *out = b;
  return rc;
}
static int y_strk(const cs__ydoc *d, const cs__ynode *m, const char *k, const char **out, cs_err *err) {
  const cs__ynode *n = cs__ymap_get(m, k);
  return n ? cs__y_str(d, n, k, out, err) : 0;
}

static const char *const top_keys[] = {
    "model", "model_config", "device", "network", "tp", "pp", "replicas", "replica_scheduler", "global_scheduler",
    "request_queue", "block_size", "num_blocks", "memory_margin", "watermark_fraction", "prefix_caching",
    "prealloc_tokens", "workload", "predictor", "seed", "time_limit", "output_dir", "compress", "chrome_trace", "batch_metrics",
    "no_timestamp", "vidur_restart_quirk", "router_seed", "config_dir", NULL};
static const char *const workload_keys[] = {
    "trace", "arrival", "qps", "cv", "time_scale", "poisson_untruncated", "lengths", "prefill_tokens",
    "decode_tokens", "min_tokens", "max_tokens", "pd_ratio", "theta", "prefill_scale", "decode_scale",
    "num_requests", "duration", "max_seq_len", "seed", NULL};

static int load_yaml(sim_opts *o, const cs__ydoc *d, cs_err *err) {
  const cs__ynode *r = d->root;
  int rc;
  if (!r) return 0;
  if ((rc = cs__y_expect(d, r, CS_Y_MAP, "simulate config", err))) return rc;
  if ((rc = cs__y_check_keys(d, r, top_keys, "the simulate config", err))) return rc;
  o->doc = d;
  if ((rc = y_strk(d, r, "model", &o->model, err)) || (rc = y_strk(d, r, "model_config", &o->model_config, err)) ||
      (rc = y_strk(d, r, "device", &o->device, err)) || (rc = y_strk(d, r, "network", &o->network, err)) ||
      (rc = y_strk(d, r, "config_dir", &o->config_dir, err)) || (rc = y_i32(d, r, "tp", &o->tp, err)) ||
      (rc = y_i32(d, r, "pp", &o->pp, err)) || (rc = y_i32(d, r, "replicas", &o->replicas, err)) ||
      (rc = y_i32(d, r, "block_size", &o->block_size, err)) || (rc = y_int(d, r, "num_blocks", &o->num_blocks, err)) ||
      (rc = y_dbl(d, r, "memory_margin", &o->memory_margin, err)) ||
      (rc = y_dbl(d, r, "watermark_fraction", &o->watermark, err)) ||
      (rc = y_bool(d, r, "prefix_caching", &o->prefix_caching, err)) ||
      (rc = y_i32(d, r, "prealloc_tokens", &o->prealloc, err)) || (rc = y_int(d, r, "seed", &o->seed, err)) ||
      (rc = y_dbl(d, r, "time_limit", &o->time_limit, err)) || (rc = y_strk(d, r, "output_dir", &o->output_dir, err)) ||
      (rc = y_bool(d, r, "compress", &o->compress, err)) || (rc = y_bool(d, r, "chrome_trace", &o->chrome_trace, err)) ||
      (rc = y_bool(d, r, "batch_metrics", &o->batch_metrics, err)) ||
      (rc = y_bool(d, r, "no_timestamp", &o->no_timestamp, err)) ||
      (rc = y_bool(d, r, "vidur_restart_quirk", &o->restart_quirk, err)) ||
      (rc = y_int(d, r, "router_seed", &o->router_seed, err)))
    return rc;
  const cs__ynode *n;
  if ((n = cs__ymap_get(r, "replica_scheduler")) && (rc = y_policy(d, n, "replica_scheduler", &o->rsched, &o->rnode, err)))
    return rc;
  if ((n = cs__ymap_get(r, "global_scheduler")) && (rc = y_policy(d, n, "global_scheduler", &o->gsched, &o->gnode, err)))
    return rc;
  if ((n = cs__ymap_get(r, "request_queue")) && (rc = y_policy(d, n, "request_queue", &o->queue, &o->qnode, err)))
    return rc;
  if ((n = cs__ymap_get(r, "predictor")) && (rc = y_policy(d, n, "predictor", &o->predictor, &o->pnode, err))) return rc;
  if (o->pnode && ((rc = y_strk(d, o->pnode, "profiling_dir", &o->profiling_dir, err)) ||
                   (rc = y_strk(d, o->pnode, "predictions_dir", &o->predictions_dir, err)) ||
                   (rc = y_strk(d, o->pnode, "cache_dir", &o->cache_dir, err))))
    return rc;
  const cs__ynode *w = cs__ymap_get(r, "workload");
  if (w) {
    if ((rc = cs__y_expect(d, w, CS_Y_MAP, "workload", err))) return rc;
    if ((rc = cs__y_check_keys(d, w, workload_keys, "workload", err))) return rc;
    if ((rc = y_strk(d, w, "trace", &o->trace, err)) || (rc = y_strk(d, w, "arrival", &o->arrival, err)) ||
        (rc = y_strk(d, w, "lengths", &o->lengths, err)) || (rc = y_dbl(d, w, "qps", &o->qps, err)) ||
        (rc = y_dbl(d, w, "cv", &o->cv, err)) || (rc = y_dbl(d, w, "time_scale", &o->time_scale, err)) ||
        (rc = y_bool(d, w, "poisson_untruncated", &o->poisson_untruncated, err)) ||
        (rc = y_int(d, w, "prefill_tokens", &o->prefill_tokens, err)) ||
        (rc = y_int(d, w, "decode_tokens", &o->decode_tokens, err)) ||
        (rc = y_int(d, w, "min_tokens", &o->min_tokens, err)) || (rc = y_int(d, w, "max_tokens", &o->max_tokens, err)) ||
        (rc = y_dbl(d, w, "pd_ratio", &o->pd_ratio, err)) || (rc = y_dbl(d, w, "theta", &o->theta, err)) ||
        (rc = y_dbl(d, w, "prefill_scale", &o->prefill_scale, err)) ||
        (rc = y_dbl(d, w, "decode_scale", &o->decode_scale, err)) ||
        (rc = y_int(d, w, "num_requests", &o->num_requests, err)) ||
        (rc = y_dbl(d, w, "duration", &o->duration, err)) || (rc = y_int(d, w, "max_seq_len", &o->max_seq_len, err)) ||
        (rc = y_int(d, w, "seed", &o->seed, err)))
      return rc;
  }
  return 0;
}

/* ---- flags ---------------------------------------------------------------------------------- */

enum {
  O_CONFIG = 1000, O_MODEL, O_MODEL_CONFIG, O_DEVICE, O_NETWORK, O_TP, O_PP, O_REPLICAS, O_RSCHED, O_CHUNK, O_CAP,
  O_GSCHED, O_TOL, O_TOPK, O_QUEUE, O_TRACE, O_ARRIVAL, O_QPS, O_CV, O_NREQ, O_MAXSEQ, O_PREFIX, O_PREDICTOR,
  O_PROFDIR, O_PREDDIR, O_CACHEDIR, O_SEED, O_TLIMIT, O_OUTDIR, O_COMPRESS, O_CHROME, O_CONFDIR, O_NOTS, O_NBLOCKS,
  O_QUIRK, O_BATCHM, O_PARAM
};

static const struct option long_opts[] = {
    {"config", required_argument, 0, O_CONFIG}, {"model", required_argument, 0, O_MODEL},
    {"model-config", required_argument, 0, O_MODEL_CONFIG}, {"device", required_argument, 0, O_DEVICE},
    {"network", required_argument, 0, O_NETWORK}, {"tp", required_argument, 0, O_TP},
    {"pp", required_argument, 0, O_PP}, {"replicas", required_argument, 0, O_REPLICAS},
    {"replica-scheduler", required_argument, 0, O_RSCHED}, {"chunk-size", required_argument, 0, O_CHUNK},
    {"batch-size-cap", required_argument, 0, O_CAP}, {"global-scheduler", required_argument, 0, O_GSCHED},
    {"tolerance-factor", required_argument, 0, O_TOL}, {"top-k", required_argument, 0, O_TOPK},
    {"queue", required_argument, 0, O_QUEUE}, {"trace", required_argument, 0, O_TRACE},
    {"arrival", required_argument, 0, O_ARRIVAL}, {"qps", required_argument, 0, O_QPS},
    {"cv", required_argument, 0, O_CV}, {"num-requests", required_argument, 0, O_NREQ},
    {"max-seq-len", required_argument, 0, O_MAXSEQ}, {"prefix-caching", no_argument, 0, O_PREFIX},
    {"predictor", required_argument, 0, O_PREDICTOR}, {"profiling-dir", required_argument, 0, O_PROFDIR},
    {"predictions-dir", required_argument, 0, O_PREDDIR}, {"cache-dir", required_argument, 0, O_CACHEDIR},
    {"seed", required_argument, 0, O_SEED}, {"time-limit", required_argument, 0, O_TLIMIT},
    {"output-dir", required_argument, 0, O_OUTDIR}, {"compress", no_argument, 0, O_COMPRESS},
    {"chrome-trace", no_argument, 0, O_CHROME}, {"config-dir", required_argument, 0, O_CONFDIR},
    {"no-timestamp", no_argument, 0, O_NOTS}, {"num-blocks", required_argument, 0, O_NBLOCKS},
    {"vidur-restart-quirk", no_argument, 0, O_QUIRK}, {"batch-metrics", no_argument, 0, O_BATCHM}, {"param", required_argument, 0, O_PARAM}, {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0}};

static int num_arg(const char *flag, const char *s, double lo, double hi, bool integer, double *out, cs_err *err) {
  char *end;
  double v = strtod(s, &end);
  if (end == s || *end || !isfinite(v) || (integer && v != floor(v)))
    return cs_err_set(err, CS_EUSAGE, "--%s: expected %s, got '%s'", flag, integer ? "an integer" : "a number", s);
  if (v < lo || v > hi) return cs_err_set(err, CS_EUSAGE, "--%s: %s is out of range (expected %g..%g)", flag, s, lo, hi);
  *out = v;
  return 0;
}

static int parse_flags(sim_opts *o, int argc, char **argv, cs_err *err) {
  int c, rc = 0;
  double v;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
    const char *flag = optind > 1 && optind - 1 < argc ? argv[optind - 1] : "?";
    for (size_t i = 0; long_opts[i].name; i++)
      if (long_opts[i].val == c) flag = long_opts[i].name;
    switch (c) {
    case 'h': return 1;
    case O_CONFIG: break; /* loaded before */
    case O_MODEL: o->model = optarg; break;
    case O_MODEL_CONFIG: o->model_config = optarg; break;
    case O_DEVICE: o->device = optarg; break;
    case O_NETWORK: o->network = optarg; break;
    case O_CONFDIR: o->config_dir = optarg; break;
    case O_TP: if (!(rc = num_arg(flag, optarg, 1, 1024, true, &v, err))) o->tp = (int)v; break;
    case O_PP: if (!(rc = num_arg(flag, optarg, 1, 1024, true, &v, err))) o->pp = (int)v; break;
    case O_REPLICAS: if (!(rc = num_arg(flag, optarg, 1, 1e6, true, &v, err))) o->replicas = (int)v; break;
    case O_RSCHED: o->rsched = optarg; o->rnode = NULL; break;
    case O_GSCHED: o->gsched = optarg; o->gnode = NULL; break;
    case O_QUEUE: o->queue = optarg; o->qnode = NULL; break;
    /* policy parameters: the bounds are the policy's own (set_flag_param checks them) */
    case O_CHUNK: rc = num_arg(flag, optarg, -HUGE_VAL, HUGE_VAL, true, &o->chunk_size, err); break;
    case O_CAP: rc = num_arg(flag, optarg, -HUGE_VAL, HUGE_VAL, true, &o->batch_cap, err); break;
    case O_TOL: rc = num_arg(flag, optarg, -HUGE_VAL, HUGE_VAL, false, &o->tolerance, err); break;
    case O_TOPK: rc = num_arg(flag, optarg, -HUGE_VAL, HUGE_VAL, true, &o->top_k, err); break;
    case O_TRACE: o->trace = optarg; break;
    case O_ARRIVAL: o->arrival = optarg; break;
    case O_QPS: rc = num_arg(flag, optarg, 1e-9, 1e9, false, &o->qps, err); break;
    case O_CV: rc = num_arg(flag, optarg, 1e-6, 1e6, false, &o->cv, err); break;
    case O_NREQ: if (!(rc = num_arg(flag, optarg, 1, 1e12, true, &v, err))) o->num_requests = (int64_t)v; break;
    case O_MAXSEQ: if (!(rc = num_arg(flag, optarg, 1, 1e9, true, &v, err))) o->max_seq_len = (int64_t)v; break;
    case O_NBLOCKS: if (!(rc = num_arg(flag, optarg, 1, 1e12, true, &v, err))) o->num_blocks = (int64_t)v; break;
    case O_PREFIX: o->prefix_caching = 1; break;
    case O_PREDICTOR: o->predictor = optarg; o->pnode = NULL; break;
    case O_PROFDIR: o->profiling_dir = optarg; break;
    case O_PREDDIR: o->predictions_dir = optarg; break;
    case O_CACHEDIR: o->cache_dir = optarg; break;
    case O_SEED: if (!(rc = num_arg(flag, optarg, 0, 9007199254740992.0, true, &v, err))) o->seed = (int64_t)v; break;
    case O_TLIMIT: rc = num_arg(flag, optarg, 0, 1e12, false, &o->time_limit, err); break;
    case O_OUTDIR: o->output_dir = optarg; break;
    case O_COMPRESS: o->compress = 1; break;
    case O_CHROME: o->chrome_trace = 1; break;
    case O_BATCHM: o->batch_metrics = 1; break;
    case O_NOTS: o->no_timestamp = 1; break;
    case O_QUIRK: o->restart_quirk = 1; break;
    case O_PARAM:
      if (o->nparam_args == CS_PARAMS_MAX) return cs_err_set(err, CS_EUSAGE, "--param: at most %d", CS_PARAMS_MAX);
      o->param_args[o->nparam_args++] = optarg;
      break;
    default: return cs__cli_option_error("simulate", argc, argv, "h", long_opts, err);
    }
    if (rc) return rc;
  }
  if (optind < argc) return cs_err_set(err, CS_EUSAGE, "unexpected argument '%s' (see capsearch simulate --help)", argv[optind]);
  return 0;
}

/* ---- resolution ------------------------------------------------------------------------------ */

static int pick(const char *what, const char *s, const char *const *names, int n, int *out, cs_err *err) {
  for (int i = 0; i < n; i++)
    if (!strcmp(names[i], s)) {
      *out = i;
      return 0;
    }
  const char *sug = cs__suggest(s, names, (size_t)n);
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  for (int i = 0; i < n; i++) cs__sbuf_addf(&sb, "%s%s", i ? ", " : "", names[i]);
  int rc = sug ? cs_err_set(err, CS_EUSAGE, "unknown %s '%s' (did you mean '%s'?)", what, s, sug)
               : cs_err_set(err, CS_EUSAGE, "unknown %s '%s' (expected one of: %s)", what, s, sb.buf);
  cs__sbuf_release(&sb);
  return rc;
}

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
  cs_predictor *pred;
  cs_sim_result *res;
} sim_env;

/* --param NAME=VALUE for the chosen predictor: the name is checked against its list (with a
 * suggestion when misspelled), the value must be a number. */
static int flag_params(const sim_opts *o, const cs_policy_info *info, cs_params *p, cs_err *err) {
  for (int i = 0; i < o->nparam_args; i++) {
    const char *a = o->param_args[i], *eq = strchr(a, '=');
    char name[64], *end = NULL;
    double v = eq ? strtod(eq + 1, &end) : 0;
    if (!eq || eq == a || (size_t)(eq - a) >= sizeof name || end == eq + 1 || *end || !isfinite(v))
      return cs_err_set(err, CS_EUSAGE, "--param '%s': expected NAME=NUMBER", a);
    memcpy(name, a, (size_t)(eq - a));
    name[eq - a] = '\0';
    int rc = set_flag_param(p, info, name, v, "param", err);
    if (rc) return rc;
  }
  return 0;
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
  static const char *const arrivals[] = {"poisson", "gamma", "static", "uniform", "trace"};
  static const char *const lengths[] = {"trace", "fixed", "uniform", "zipf"};
  int a = 0, l = 0;
  if (o->arrival && (rc = pick("arrival process", o->arrival, arrivals, 5, &a, err))) return rc;
  if (o->lengths && (rc = pick("length generator", o->lengths, lengths, 4, &l, err))) return rc;
  if (!o->lengths) l = o->trace ? 0 : 1;
  w->arrival = (cs_arrival_kind)a;
  w->length = (cs_length_kind)l;
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
  w->num_requests = o->num_requests;
  if (!w->num_requests && !o->trace && !(o->duration > 0)) w->num_requests = 128; /* Vidur's default */
  if (!w->num_requests && o->trace && w->arrival != CS_ARRIVAL_TRACE && !(o->duration > 0))
    w->num_requests = (int64_t)env->trace->n;
  w->duration = o->duration;
  w->max_seq_len = o->max_seq_len;
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
  return cs__path_join(parent, name);
}

int cs__cmd_simulate(int argc, char **argv) {
  sim_opts o;
  opts_init(&o);
  cs_err err = {0};
  cs__ydoc doc = {0};
  sim_env env = {0};
  cs_sim_config cfg;
  char *dir = NULL;
  int rc = 0, exitc = CS_EXIT_OK;
  /* the file first, so that flags override it */
  for (int i = 1; i < argc; i++) {
    const char *f = NULL;
    if (!strcmp(argv[i], "--config") && i + 1 < argc) f = argv[i + 1];
    else if (!strncmp(argv[i], "--config=", 9)) f = argv[i] + 9;
    if (f) {
      if ((rc = cs__ydoc_load_file(&doc, f, &err)) || (rc = load_yaml(&o, &doc, &err))) goto fail;
      break;
    }
  }
  rc = parse_flags(&o, argc, argv, &err);
  if (rc == 1) {
    fputs(sim_usage, stdout);
    goto out;
  }
  if (rc) goto fail;
  if ((rc = resolve(&o, &env, &cfg, &err))) goto fail;
  if ((rc = cs_sim_run(&cfg, &env.res, &err))) goto fail;
  dir = o.no_timestamp ? cs__xstrdup(o.output_dir) : run_dir_name(o.output_dir);
  if ((rc = cs__mkdir_p(dir, &err))) goto fail;
  cs_sim_write_opts wo = {.gzip_request_metrics = o.compress, .write_plots = true, .config_json = NULL};
  if ((rc = cs_sim_write_outputs(env.res, &cfg, dir, &wo, &err))) goto fail;
  cs__sim_print_summary(&cfg, env.res, dir);
  goto out;
fail:
  exitc = cs__cli_fail(&err);
out:
  free(dir);
  cs_sim_result_free(env.res);
  cs_predictor_free(env.pred);
  cs_trace_free(env.trace);
  cs_model_free(env.own_model);
  cs_catalog_free(env.cat);
  cs__ydoc_free(&doc);
  return exitc;
}
