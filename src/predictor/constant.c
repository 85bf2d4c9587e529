/* The "constant" predictor: every batch stage takes the same time, whatever it holds.
 * Useful for hand-computed tests of the engine and schedulers (with stage_time_ms = 10 a
 * request of D decode tokens spends exactly D+1 iterations × 10 ms executing) and to debug a
 * sweep without any model of the hardware. An optional per-token term makes batches of
 * different sizes distinguishable while staying hand-computable. */
#include <stdio.h>
#include <stdlib.h>

#include "predictor/internal.h"
#include "util/sbuf.h"

typedef struct constant_state {
  double stage_s, per_token_s, cpu_s;
  int pp;
  char describe[160];
} constant_state;

typedef struct constant_params {
  double stage_time_ms, per_token_ms, cpu_overhead_ms;
} constant_params;

static const cs_param_spec constant_specs[] = {
    {CS_PARAM_FIELD(constant_params, stage_time_ms), .type = CS_OPT_NUM, .def = 10.0, .range = {.min = 0.0, .max = 1e9},
     .help = "fixed model time of every batch stage, ms"},
    {CS_PARAM_FIELD(constant_params, per_token_ms), .type = CS_OPT_NUM, .def = 0.0, .range = {.min = 0.0, .max = 1e9},
     .help = "added per token of the batch, ms (default 0)"},
    {CS_PARAM_FIELD(constant_params, cpu_overhead_ms), .type = CS_OPT_NUM, .def = 0.0,
     .range = {.min = 0.0, .max = 1e9},
     .help = "CPU overhead added to every stage, ms"},
};

static int constant_create(const cs_predictor_ctx *ctx, const void *params, void **state, cs_err *err) {
  (void)err;
  const constant_params *p = params;
  constant_state *s = cs__xcalloc(1, sizeof *s);
  s->stage_s = p->stage_time_ms * 1e-3;
  s->per_token_s = p->per_token_ms * 1e-3;
  s->cpu_s = p->cpu_overhead_ms * 1e-3;
  s->pp = ctx->pp;
  snprintf(s->describe, sizeof s->describe, "constant: %g ms per stage + %g ms per token + %g ms CPU",
           s->stage_s * 1e3, s->per_token_s * 1e3, s->cpu_s * 1e3);
  *state = s;
  return 0;
}

static void constant_destroy(void *state) { free(state); }

static void constant_stage_time(const void *state, const cs_batch_view *batch, int stage_id, cs_stage_time *out) {
  const constant_state *s = state;
  (void)stage_id;
  out->model_s = s->stage_s + s->per_token_s * (double)batch->total_tokens;
  out->total_s = out->model_s + s->cpu_s;
}

static const char *constant_describe(const void *state) { return ((const constant_state *)state)->describe; }

const cs_predictor_ops cs__pred_constant = {
    .info = {.name = "constant",
             .summary = "fixed time per batch stage (stage_time_ms), for hand-computed tests and debugging",
             .params = constant_specs,
             .nparams = sizeof constant_specs / sizeof constant_specs[0],
             .params_size = sizeof(constant_params)},
    .create = constant_create,
    .destroy = constant_destroy,
    .stage_time = constant_stage_time,
    .describe = constant_describe,
};
