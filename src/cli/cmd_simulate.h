/* capsearch simulate's inputs (cmd_simulate_opts.c): everything its YAML file and its flags can
 * set, read through option tables (util/opt.h); cmd_simulate.c resolves them into a simulation.
 * Strings borrow argv or the YAML document, which outlives the run. */
#ifndef CS_CLI_CMD_SIMULATE_H
#define CS_CLI_CMD_SIMULATE_H

#include <stdint.h>

#include "capsearch/params.h"
#include "capsearch/sim.h"
#include "capsearch/trace.h"
#include "capsearch/util.h"
#include "capsearch/yaml.h"

/* Everything the file and the flags can set, as strings/numbers before resolution. */
typedef struct sim_opts {
  const char *config; /* --config FILE */
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
  const char *trace;
  int arrival, lengths; /* cs_arrival_kind, cs_length_kind; -1 unset */
  double qps, cv, time_scale;
  int poisson_untruncated;
  int64_t prefill_tokens, decode_tokens, min_tokens, max_tokens, num_requests, max_seq_len;
  int overlong; /* cs_overlong: trace rows over the length limit (default clip, as in a sweep) */
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
  const cs_ydoc *doc;
  const cs_ynode *rnode, *gnode, *qnode, *pnode;
} sim_opts;

/* The length limit a run holds its requests to and what it did to the trace's rows, for the
 * summary: the smaller of --max-seq-len and the model's context, as a sweep's (docs/traces.md). */
typedef struct sim_limit {
  int64_t limit, context, asked; /* tokens; context 0 = unknown, asked 0 = no --max-seq-len */
  cs_trace_limit_stats st;       /* trace rows against limit (st.overlong 0 without a trace) */
  int overlong;                  /* cs_overlong */
  int64_t longest;               /* the longest request the workload can produce after the limit */
} sim_limit;

/* The defaults (Vidur's where it has one). */
void cs__sim_opts_init(sim_opts *o);
/* The YAML file's keys into o (policy maps are kept as nodes for cmd_simulate.c). */
int cs__sim_opts_load_yaml(sim_opts *o, const cs_ydoc *d, cs_err *err);
/* The flags into o: 0, CS_OPT_HELP_ASKED or an error code with err set. */
int cs__sim_opts_parse_flags(sim_opts *o, int argc, char **argv, cs_err *err);
/* The generated --help. */
void cs__sim_opts_help(cs_sbuf *out);

#endif
