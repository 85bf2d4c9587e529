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

static const cs_param_spec constant_params[] = {
    {.name = "stage_time_ms", .type = CS_OPT_NUM, .def = 10.0, .range = {0.0, 1e9},
     .help = "fixed model time of every batch stage, ms"},
    {.name = "per_token_ms", .type = CS_OPT_NUM, .def = 0.0, .range = {0.0, 1e9},
     .help = "added per token of the batch, ms (default 0)"},
    {.name = "cpu_overhead_ms", .type = CS_OPT_NUM, .def = 0.0, .range = {0.0, 1e9},
     .help = "CPU overhead added to every stage, ms"},
};

static int constant_create(const cs_predictor_ctx *ctx, void **state, cs_err *err) {
  (void)err;
  constant_state *s = cs__xcalloc(1, sizeof *s);
  s->stage_s = cs_params_get(&ctx->params, "stage_time_ms", 10.0) * 1e-3;
  s->per_token_s = cs_params_get(&ctx->params, "per_token_ms", 0.0) * 1e-3;
  s->cpu_s = cs_params_get(&ctx->params, "cpu_overhead_ms", 0.0) * 1e-3;
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
             .params = constant_params,
             .nparams = sizeof constant_params / sizeof constant_params[0]},
    .create = constant_create,
    .destroy = constant_destroy,
    .stage_time = constant_stage_time,
    .describe = constant_describe,
};
