/* Shared fixtures of the simulator tests: a tiny model and device, a constant-time predictor
 * defined here (so hand-computed scenarios are exact whatever the real predictors do), and an
 * in-memory trace builder. Included by tests/test_sim_*.c (header-only, static functions). */
#ifndef CS_TEST_SIM_FIXTURE_H
#define CS_TEST_SIM_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "capsearch/sim.h"
#include "util/sbuf.h"

static const cs_model fx_model = {
    .name = "test/Tiny-7B", .short_name = "Tiny-7B", .family = "llama", .num_layers = 32, .num_q_heads = 32,
    .num_kv_heads = 32, .head_dim = 128, .hidden = 4096, .mlp_hidden = 11008, .gated_mlp = true,
    .post_attn_norm = true, .vocab = 32000, .max_positions = 4096, .dtype = "float16", .weight_bytes = 2};
static const cs_device fx_device = {.name = "testgpu", .memory_gb = 80, .memory_gib = 80, .tflops_bf16 = 312,
                                    .hbm_gbps = 2000};

/* ---- a fixed-time predictor: every stage takes fx_stage_ms ---- */
typedef struct fx_pred {
  double stage_s;
} fx_pred;
typedef struct fx_pred_params {
  double stage_time_ms;
} fx_pred_params;
static int fx_create(const cs_predictor_ctx *ctx, const void *params, void **state, cs_err *err) {
  (void)ctx;
  (void)err;
  fx_pred *p = calloc(1, sizeof *p);
  p->stage_s = ((const fx_pred_params *)params)->stage_time_ms * 1e-3;
  *state = p;
  return 0;
}
static void fx_destroy(void *state) { free(state); }
static void fx_stage_time(const void *state, const cs_batch_view *b, int stage, cs_stage_time *out) {
  (void)b;
  (void)stage;
  out->total_s = out->model_s = ((const fx_pred *)state)->stage_s;
}
static const cs_param_spec fx_params[] = {
    {CS_PARAM_FIELD(fx_pred_params, stage_time_ms), .type = CS_OPT_NUM, .def = 10,
     .range = {.min = 0, .max = 1e9}, .help = "ms"}};
static const cs_predictor_ops fx_pred_ops = {.info = {.name = "test_constant",
                                                      .summary = "fixed stage time",
                                                      .params = fx_params,
                                                      .nparams = 1,
                                                      .params_size = sizeof(fx_pred_params)},
                                             .create = fx_create,
                                             .destroy = fx_destroy,
                                             .stage_time = fx_stage_time};

static inline cs_predictor *fx_predictor(double stage_ms, int pp) {
  cs_predictor_ctx ctx = {.model = &fx_model, .device = &fx_device, .tp = 1, .pp = pp};
  ctx.params.n = 1;
  ctx.params.names[0] = "stage_time_ms";
  ctx.params.values[0] = stage_ms;
  cs_predictor *p = NULL;
  cs_err err = {0};
  if (cs_predictor_new(&fx_pred_ops, &ctx, &p, &err)) {
    fprintf(stderr, "predictor: %s\n", err.msg);
    abort();
  }
  return p;
}

/* ---- in-memory traces ---- */
typedef struct fx_row {
  double at;
  int32_t p, d;
  int64_t session;
  uint32_t nh;          /* hashes: ids hash_base + 0..nh-1 */
  uint64_t hash_base;
} fx_row;

static inline cs_trace *fx_trace(const fx_row *rows, size_t n) {
  cs_trace *t = calloc(1, sizeof *t);
  t->path = strdup("memory.csv");
  t->n = n;
  t->rows = calloc(n, sizeof *t->rows);
  size_t nh = 0;
  for (size_t i = 0; i < n; i++) nh += rows[i].nh;
  t->hashes = calloc(nh ? nh : 1, sizeof *t->hashes);
  t->block_size = 16;
  t->has_arrivals = true;
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    t->rows[i] = (cs_trace_row){.arrived_at = rows[i].at, .prefill = rows[i].p, .decode = rows[i].d,
                                .session_id = rows[i].session ? rows[i].session : -1, .hash_off = (uint32_t)o,
                                .hash_n = rows[i].nh};
    for (uint32_t k = 0; k < rows[i].nh; k++) t->hashes[o++] = rows[i].hash_base + k;
    if (rows[i].nh) t->has_hashes = true;
    if (rows[i].p + rows[i].d > t->max_total_tokens) t->max_total_tokens = rows[i].p + rows[i].d;
  }
  t->nhashes = nh;
  return t;
}

/* A config replaying `t` (its arrivals and lengths) on one vllm_v1 replica. */
static inline void fx_config(cs_sim_config *c, const cs_trace *t, const cs_predictor *p) {
  cs_sim_config_defaults(c);
  c->model = &fx_model;
  c->device = &fx_device;
  c->predictor = p;
  c->num_blocks = 1000;
  c->workload.arrival = CS_ARRIVAL_TRACE;
  c->workload.length = CS_LENGTH_TRACE;
  c->workload.trace = t;
  c->workload.max_seq_len = 4096;
}

static inline void fx_set_param(cs_params *p, const char *name, double v) {
  for (int i = 0; i < p->n; i++)
    if (!strcmp(p->names[i], name)) {
      p->values[i] = v;
      return;
    }
  p->names[p->n] = name;
  p->values[p->n++] = v;
}

#endif
