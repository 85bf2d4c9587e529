/* Execution-time predictors: turn one batch on one pipeline stage into a duration.
 * A predictor is a policy (a static const cs_predictor_ops table, found by name in a registry);
 * the engine never knows which one it runs. Instances are immutable after creation and may be
 * shared by many simulations on many threads.
 *
 * Ownership: cs_predictor objects are _new/_free; the context's pointers are borrowed and must
 * outlive the predictor. */
#ifndef CAPSEARCH_PREDICTOR_H
#define CAPSEARCH_PREDICTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capsearch/catalog.h"
#include "capsearch/error.h"
#include "capsearch/params.h"
#include "capsearch/registry.h"

/* One request's share of a batch. */
typedef struct cs_batch_item {
  int32_t num_tokens; /* tokens processed for this request in this iteration (chunk or 1) */
  int32_t processed;  /* tokens already in its KV cache before this iteration (incl. prefix-cache hits) */
  bool is_prefill;    /* prefill not complete when the batch was formed */
} cs_batch_item;

typedef struct cs_batch_view {
  int n;                      /* requests */
  const cs_batch_item *items;
  int64_t total_tokens;       /* sum of num_tokens */
} cs_batch_view;

typedef struct cs_stage_time {
  double total_s;  /* whole stage duration (model + CPU overhead), seconds */
  double model_s;  /* model execution only */
} cs_stage_time;

typedef struct cs_predictor_ctx {
  const cs_model *model;
  const cs_device *device;
  const cs_network *network;
  int tp, pp;
  cs_params params;            /* predictor parameters (declared by the ops table) */
  const char *profiling_dir;   /* Vidur-layout profiling data (profile predictor) */
  const char *predictions_dir; /* Vidur *_predictions.csv tables (profile predictor) */
  const char *cache_dir;       /* where precomputed tables are cached; NULL = no cache */
  /* Expert parallelism (MoE, include/capsearch/ep.h): experts split whole over ep GPUs; 0 or 1 =
   * none. A predictor with ep_layers (roofline) costs the MoE layers as EP runs them; for the
   * others the registry adds every MoE layer's dispatch + combine all-to-all to the stage time. */
  int ep;
  double ep_imbalance;         /* 0 = CS_EP_DEFAULT_IMBALANCE */
  /* Data-parallel attention ("wide EP"): dp > 1 attention ranks of TP tp share one EP group of
   * ep = tp x dp GPUs, each rank holding its share of the batch's requests; 0 or 1 = none. Only
   * predictors with ep_layers accept it. */
  int dp;
} cs_predictor_ctx;

typedef struct cs_predictor_ops {
  cs_registry_entry info; /* first: name, summary, parameters (registry.h) */
  /* params: the predictor's parameter struct (info.params_size bytes, laid out by info.params),
   * bound by cs_predictor_new from ctx->params and the declared defaults; NULL when the
   * predictor declares no struct. Borrowed for the call only. */
  int (*create)(const cs_predictor_ctx *ctx, const void *params, void **state, cs_err *err);
  void (*destroy)(void *state);
  /* Must be pure and thread-safe: same batch and stage give the same time. */
  void (*stage_time)(const void *state, const cs_batch_view *batch, int stage_id, cs_stage_time *out);
  /* Optional: provenance / warnings to show the user (e.g. "factors of nearest arch"). */
  const char *(*describe)(const void *state);
  /* Composes expert-parallel MoE layers itself (ctx.ep, ctx.dp). Otherwise the registry adds each
   * MoE layer's all-to-all to the stage time and refuses dp > 1. */
  bool ep_layers;
} cs_predictor_ops;

typedef struct cs_predictor cs_predictor;

/* Registry: the predictors' entries (registry.h), a NULL-terminated list of their ops tables, and
 * lookup by name with a suggestion on a miss. */
const cs_registry *cs_predictors(void);
const cs_predictor_ops *const *cs_predictor_registry(void);
int cs_predictor_find(const char *name, const cs_predictor_ops **out, cs_err *err);

int cs_predictor_new(const cs_predictor_ops *ops, const cs_predictor_ctx *ctx, cs_predictor **out, cs_err *err);
void cs_predictor_free(cs_predictor *p);
void cs_predictor_stage_time(const cs_predictor *p, const cs_batch_view *batch, int stage_id, cs_stage_time *out);
const cs_predictor_ops *cs_predictor_get_ops(const cs_predictor *p);
const char *cs_predictor_describe(const cs_predictor *p);

/* The efficiency factors the roofline predictor uses for one device (what `capsearch list
 * devices` shows): the catalog's eff_* when the device states them, else the built-in fit of
 * its profiled part, else the nearest architecture's fit (borrowed = true). Provenance of the
 * fits: src/predictor/roofline_factors.c and docs/predictors.md. Strings are static or borrowed
 * from `dev` (valid while the catalog is). Never fails. */
typedef struct cs_roofline_factors {
  double eff_compute, eff_memory, eff_comm; /* achieved fraction of peak FLOP/s, HBM, link bandwidth */
  double gemm_latency_us, elem_latency_us;  /* fixed cost per GEMM / per element-wise kernel, µs */
  double attn_eff;                          /* FlashAttention compute share relative to eff_compute */
  double attn_latency_us;                   /* fixed cost per attention kernel, µs */
  double causal_weight;                     /* cost per FLOP of a chunk's causal part vs its cached part */
  double sms;                               /* streaming multiprocessors (waves, split-KV) */
  bool borrowed;                            /* no fit of this part: `calibrated_on`'s is used */
  const char *calibrated_on;                /* the profiled device whose fit is used ("" when none) */
  const char *source;                       /* one line: where the numbers come from */
} cs_roofline_factors;
void cs_roofline_device_factors(const cs_device *dev, cs_roofline_factors *out);

#endif
