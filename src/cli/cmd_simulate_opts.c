/* capsearch simulate's flags and YAML keys as option tables (util/opt.h): each number is
 * read through the checked parser with its bounds, each unknown name gets a suggestion, and
 * --help is generated from the flag table. The YAML file and the flags share sim_opts; flags
 * are read after the file, so they win. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "capsearch/opt.h"
#include "capsearch/registry.h"
#include "capsearch/sim.h"
#include "capsearch/trace.h"
#include "capsearch/yaml.h"

#include "cmd_simulate.h"

void cs__sim_opts_init(sim_opts *o) {
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
  o->arrival = -1; /* poisson */
  o->lengths = -1; /* the trace's with a trace, else fixed */
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


static const char *const arrivals[] = {"poisson", "gamma", "static", "uniform", "trace", NULL};
static const char *const lengths[] = {"trace", "fixed", "uniform", "zipf", NULL};
static const char *const overlongs[] = {"clip", "drop", "error", NULL}; /* cs_overlong's order */

#define F(f) CS_OPT_FIELD(sim_opts, f)
#define I(lo, hi) .range = {lo, hi, false, true}
#define POS(hi) .range = {0, hi, true, false}
#define RUN_TIME "simulated-time horizon (0 = none; 90s, 2h: other units)"

/* ---- YAML ---------------------------------------------------------------------------------- */

static int y_policy_key(const cs_opt_yctx *c, const cs_opt *o, const cs_ynode *n, const char *what, void *field,
                        cs_err *err);

static const cs_opt top_fields[] = {
    {CS_OPT_STR, "model", F(model)},
    {CS_OPT_STR, "model_config", F(model_config)},
    {CS_OPT_STR, "device", F(device)},
    {CS_OPT_STR, "network", F(network)},
    {CS_OPT_INT, "tp", F(tp), I(1, 1024)},
    {CS_OPT_INT, "pp", F(pp), I(1, 1024)},
    {CS_OPT_INT, "replicas", F(replicas), I(1, 1e6)},
    {CS_OPT_FN, "replica_scheduler", F(rsched), .yfn = y_policy_key},
    {CS_OPT_FN, "global_scheduler", F(gsched), .yfn = y_policy_key},
    {CS_OPT_FN, "request_queue", F(queue), .yfn = y_policy_key},
    {CS_OPT_INT, "block_size", F(block_size), I(1, 4096)},
    {CS_OPT_INT, "num_blocks", F(num_blocks), I(0, 1e12)},
    {CS_OPT_NUM, "memory_margin", F(memory_margin), .range = {0, 1, false, false}},
    {CS_OPT_NUM, "watermark_fraction", F(watermark), .range = {0, 1, false, false}},
    {CS_OPT_FLAG, "prefix_caching", F(prefix_caching)},
    {CS_OPT_INT, "prealloc_tokens", F(prealloc), I(0, 1 << 24)},
    {CS_OPT_FN, "predictor", F(predictor), .yfn = y_policy_key},
    {CS_OPT_INT, "seed", F(seed), I(0, 9007199254740992.0)},
    {CS_OPT_NUM, "time_limit", F(time_limit), .range = {0, 1e12, false, false}},
    {CS_OPT_STR, "output_dir", F(output_dir)},
    {CS_OPT_FLAG, "compress", F(compress)},
    {CS_OPT_FLAG, "chrome_trace", F(chrome_trace)},
    {CS_OPT_FLAG, "batch_metrics", F(batch_metrics)},
    {CS_OPT_FLAG, "no_timestamp", F(no_timestamp)},
    {CS_OPT_FLAG, "vidur_restart_quirk", F(restart_quirk)},
    {CS_OPT_INT, "router_seed", F(router_seed), I(0, 9007199254740992.0)},
    {CS_OPT_STR, "config_dir", F(config_dir)},
    {CS_OPT_END}};

static const cs_opt workload_fields[] = {
    {CS_OPT_STR, "trace", F(trace)},
    {CS_OPT_ENUM, "arrival", F(arrival), .choices = arrivals, .noun = "arrival process"},
    {CS_OPT_NUM, "qps", F(qps), POS(1e9)},
    {CS_OPT_NUM, "cv", F(cv), POS(1e6)},
    {CS_OPT_NUM, "time_scale", F(time_scale), POS(1e6)},
    {CS_OPT_FLAG, "poisson_untruncated", F(poisson_untruncated)},
    {CS_OPT_ENUM, "lengths", F(lengths), .choices = lengths, .noun = "length generator"},
    {CS_OPT_INT, "prefill_tokens", F(prefill_tokens), I(1, 2147483647)},
    {CS_OPT_INT, "decode_tokens", F(decode_tokens), I(1, 2147483647)},
    {CS_OPT_INT, "min_tokens", F(min_tokens), I(1, 2147483647)},
    {CS_OPT_INT, "max_tokens", F(max_tokens), I(1, 2147483647)},
    {CS_OPT_NUM, "pd_ratio", F(pd_ratio), POS(1e6)},
    {CS_OPT_NUM, "theta", F(theta), POS(1e3)},
    {CS_OPT_NUM, "prefill_scale", F(prefill_scale), POS(1e6)},
    {CS_OPT_NUM, "decode_scale", F(decode_scale), POS(1e6)},
    {CS_OPT_INT, "num_requests", F(num_requests), I(1, CS_TRACE_GEN_MAX_ROWS)},
    {CS_OPT_NUM, "duration", F(duration), POS(1e12)},
    {CS_OPT_INT, "max_seq_len", F(max_seq_len), I(1, 1e9)},
    {CS_OPT_ENUM, "overlong", F(overlong), .choices = overlongs, .noun = "overlong policy"},
    {CS_OPT_INT, "seed", F(seed), I(0, 9007199254740992.0)},
    {CS_OPT_END}};

/* Maps a policy key's offset to the offset of its node (the parameters, read later). */
static const cs_ynode **policy_node(sim_opts *o, size_t off) {
  if (off == offsetof(sim_opts, rsched)) return &o->rnode;
  if (off == offsetof(sim_opts, gsched)) return &o->gnode;
  if (off == offsetof(sim_opts, queue)) return &o->qnode;
  return &o->pnode;
}

/* A policy is a name, or a map with its name and parameters (checked once the policy is known). */
static int y_policy_key(const cs_opt_yctx *c, const cs_opt *o, const cs_ynode *n, const char *what, void *field,
                        cs_err *err) {
  const char **name = field;
  if (n->kind == CS_Y_SCALAR) return cs_y_str(c->d, n, what, name, err);
  int rc = cs_y_expect(c->d, n, CS_Y_MAP, what, err);
  if (rc) return rc;
  const cs_ynode *nm = cs_ymap_get(n, "name");
  if (!nm) {
    char w[300];
    cs_y_where(c->d, n, w, sizeof w);
    return cs_err_set(err, CS_ECONFIG, "%s: %s: missing 'name' (the policy to use)", w, what);
  }
  *policy_node(c->user, o->off) = n;
  return cs_y_str(c->d, nm, what, name, err);
}

int cs__sim_opts_load_yaml(sim_opts *o, const cs_ydoc *d, cs_err *err) {
  static const char *const sections[] = {"workload", NULL};
  if (!d->root) return 0;
  cs_opt_yctx c = {d, NULL, "the simulate config", o};
  o->doc = d;
  int rc = cs_opt_yaml_read(&c, d->root, top_fields, sections, "", o, err);
  if (rc) return rc;
  if (o->pnode) {
    static const cs_opt dirs[] = {{CS_OPT_STR, "profiling_dir", F(profiling_dir)},
                                   {CS_OPT_STR, "predictions_dir", F(predictions_dir)},
                                   {CS_OPT_STR, "cache_dir", F(cache_dir)},
                                   {CS_OPT_END}};
    for (const cs_opt *f = dirs; f->type != CS_OPT_END; f++) {
      const cs_ynode *n = cs_ymap_get(o->pnode, f->name);
      if (n && (rc = cs_opt_yaml_value(&c, f, n, f->name, o, err))) return rc;
    }
  }
  const cs_ynode *w = cs_ymap_get(d->root, "workload");
  return w ? cs_opt_yaml_read(&c, w, workload_fields, NULL, "workload", o, err) : 0;
}

/* ---- flags --------------------------------------------------------------------------------- */

/* A policy flag names the policy and drops the file's parameter map of the one it replaces. */
static int policy_flag(void *obj, const cs_opt *o, const char *text, cs_err *err) {
  if (!text[0]) return cs_err_set(err, CS_EUSAGE, "expected a policy name, got ''");
  *(const char **)((char *)obj + o->off) = text;
  *policy_node(obj, o->off) = NULL;
  return 0;
}

static const cs_opt sim_flags[] = {
    {CS_OPT_STR, "config", .arg = "FILE", .help = "the YAML file (flags override it)", F(config)},
    {CS_OPT_GROUP, .help = "cluster:"},
    {CS_OPT_STR, "model", .arg = "NAME", .help = "catalog model (HF id or short name)", F(model)},
    {CS_OPT_STR, "model-config", .arg = "FILE", .help = "a Hugging Face config.json instead", F(model_config)},
    {CS_OPT_STR, "device", .arg = "NAME", .help = "catalog device (a100, h100, ...)", F(device)},
    {CS_OPT_STR, "network", .arg = "NAME", .help = "node type", F(network)},
    {CS_OPT_INT, "tp", .help = "tensor parallel size", F(tp), I(1, 1024)},
    {CS_OPT_INT, "pp", .help = "pipeline parallel size", F(pp), I(1, 1024)},
    {CS_OPT_INT, "replicas", .help = "replicas", F(replicas), I(1, 1e6)},
    {CS_OPT_STR, "config-dir", .arg = "DIR", .help = "catalog directory (default: the shipped configs/)", F(config_dir)},
    {CS_OPT_GROUP, .help = "scheduling:"},
    {CS_OPT_FN, "replica-scheduler", .arg = "S", .help = "vllm_v1, vllm, sarathi, orca, faster_transformer, lightllm",
     F(rsched), .fn = policy_flag, .def_text = "vllm_v1"},
    /* the bounds of the policy-parameter flags are the policies' declarations (with_declared_bounds) */
    {CS_OPT_INT, "chunk-size", .help = "token budget per iteration (sarathi, vllm_v1)", F(chunk_size)},
    {CS_OPT_INT, "batch-size-cap", .help = "maximum batch size / running requests", F(batch_cap)},
    {CS_OPT_FN, "global-scheduler", .arg = "S", .help = "round_robin, random, lor, lop, lop_uncached, sticky_*, ...",
     F(gsched), .fn = policy_flag, .def_text = "round_robin"},
    {CS_OPT_NUM, "tolerance-factor", .help = "tolerant_sticky_lop_uncached", F(tolerance)},
    {CS_OPT_INT, "top-k", .help = "ranked_sticky_lop_uncached", F(top_k)},
    {CS_OPT_FN, "queue", .arg = "fcfs|edf", .help = "request queue", F(queue), .fn = policy_flag, .def_text = "fcfs"},
    {CS_OPT_FLAG, "prefix-caching", .help = "enable prefix caching (needs block hashes in the trace)", F(prefix_caching)},
    {CS_OPT_INT, "num-blocks", .help = "KV blocks per replica (default: Vidur's memory planner)", F(num_blocks),
     I(1, 1e12)},
    {CS_OPT_GROUP, .help = "workload:"},
    {CS_OPT_STR, "trace", .arg = "FILE", .help = "a trace file, any format of 'capsearch list trace-formats' (.gz ok): lengths (and arrivals)",
     F(trace)},
    {CS_OPT_ENUM, "arrival", .arg = "KIND", .help = "poisson (default), gamma, static, uniform, trace", F(arrival),
     .choices = arrivals, .noun = "arrival process"},
    {CS_OPT_NUM, "qps", .arg = "Q", .help = "request rate", F(qps), .range = {1e-9, 1e9, false, false}},
    {CS_OPT_NUM, "cv", .help = "gamma coefficient of variation", F(cv), .range = {1e-6, 1e6, false, false}},
    {CS_OPT_INT, "num-requests", .help = "requests to simulate (default: the trace's rows, else 128)", F(num_requests),
     I(1, CS_TRACE_GEN_MAX_ROWS)},
    {CS_OPT_INT, "max-seq-len", .help = "longest request (prompt + output); default and ceiling: the model's context",
     F(max_seq_len), I(1, 1e9)},
    {CS_OPT_ENUM, "overlong", .arg = "clip|drop|error",
     .help = "trace rows over that length: clip (Vidur V0's rule, as a sweep), drop or error", F(overlong),
     .choices = overlongs, .noun = "overlong policy", .def_text = "clip"},
    {CS_OPT_INT, "seed", .arg = "S", .help = "workload seed", F(seed), I(0, 9007199254740992.0)},
    {CS_OPT_NUM, "time-limit", .arg = "SECONDS", .help = RUN_TIME, F(time_limit), .range = {0, 1e12, false, false},
     .unit = &cs_opt_unit_seconds},
    {CS_OPT_GROUP, .help = "execution time:"},
    {CS_OPT_FN, "predictor", .arg = "NAME", .help = "roofline, profile, constant, ...", F(predictor), .fn = policy_flag,
     .def_text = "roofline"},
    {CS_OPT_STR, "profiling-dir", .arg = "DIR", .help = "profile predictor: Vidur's profiling data", F(profiling_dir)},
    {CS_OPT_STR, "predictions-dir", .arg = "DIR", .help = "profile predictor: Vidur's prediction tables",
     F(predictions_dir)},
    {CS_OPT_STR, "cache-dir", .arg = "DIR", .help = "predictor table cache", F(cache_dir)},
    {CS_OPT_LIST, "param", .arg = "NAME=VALUE", .help = "a predictor parameter (repeatable; `capsearch list predictors`)",
     F(param_args), .range = {0, CS_PARAMS_MAX, false, false}, .count_off = offsetof(sim_opts, nparam_args)},
    {CS_OPT_GROUP, .help = "output:"},
    {CS_OPT_STR, "output-dir", .arg = "DIR", .help = "parent of the run directory", F(output_dir)},
    {CS_OPT_FLAG, "no-timestamp", .help = "write into --output-dir itself", F(no_timestamp)},
    {CS_OPT_FLAG, "compress", .help = "request_metrics.csv.gz", F(compress)},
    {CS_OPT_FLAG, "chrome-trace", .help = "chrome_trace.json", F(chrome_trace)},
    {CS_OPT_FLAG, "batch-metrics", .help = "batch_metrics.csv (one row per batch)", F(batch_metrics)},
    {CS_OPT_FLAG, "vidur-restart-quirk", .help = "Vidur's mid-prefill restart (unprocessed prompt becomes decode)",
     F(restart_quirk)},
    {CS_OPT_HELP, "help", 'h', .help = "this text"},
    {CS_OPT_END}};

static const cs_opt_cmd sim_cmd = {
    "simulate", "capsearch simulate [--config FILE] [options]",
    "Runs one request-level simulation (Vidur semantics) and writes a run directory\n"
    "<output-dir>/<YYYY-MM-DD_HH-MM-SS-ffffff>/ (config.json, request_metrics.csv, plots/).\n"
    "Flags override the YAML file (schema: docs/simulator.md, configs/simulate-example.yml).",
    sim_flags, NULL, 0, 0};

#define NFLAGS (sizeof sim_flags / sizeof sim_flags[0])

/* The flags that set a policy parameter take their bounds from the parameter's one declaration
 * in the policies' own tables (cs_registry_param), so a bound is written once. set_flag_param
 * (cmd_simulate.c) checks the value again against the policy actually chosen. */
static void with_declared_bounds(cs_opt *tab) {
  static const struct {
    const char *flag, *param;
    const cs_registry *(*registry)(void);
  } params[] = {{"chunk-size", "chunk_size", cs_replica_scheds},
                {"batch-size-cap", "batch_size_cap", cs_replica_scheds},
                {"tolerance-factor", "tolerance_factor", cs_routers},
                {"top-k", "top_k", cs_routers}};
  for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
    const cs_param_spec *ps = cs_registry_param(params[i].registry(), params[i].param);
    cs_opt *o = NULL;
    for (cs_opt *f = tab; f->type != CS_OPT_END; f++)
      if (f->name && !strcmp(f->name, params[i].flag)) o = f;
    if (ps && o) o->range = ps->range, o->max_open = ps->max_open;
  }
}

int cs__sim_opts_parse_flags(sim_opts *o, int argc, char **argv, cs_err *err) {
  cs_opt flags[NFLAGS];
  memcpy(flags, sim_flags, sizeof flags);
  with_declared_bounds(flags);
  cs_opt_cmd cmd = sim_cmd;
  cmd.opts = flags;
  return cs_opt_parse(&cmd, argc, argv, o, NULL, NULL, err);
}

void cs__sim_opts_help(cs_sbuf *out) {
  sim_opts d;
  cs__sim_opts_init(&d);
  char *help = cs_opt_help_text(&sim_cmd, &d);
  if (help) cs_sbuf_adds(out, help);
  free(help);
}
