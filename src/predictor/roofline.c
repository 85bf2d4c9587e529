/* The "roofline" predictor (default): needs no profiling data, works for every model and device
 * in the catalogs. Stage time follows Vidur's composition (vidur-semantics.md §5.7) with each
 * operation timed by the roofline model of roofline_ops.c:
 *   per layer  attn = pre_proj + post_proj + rope + kv_cache_save + decode + prefill + TP comm + input_norm
 *              mlp  = up + down + act + TP comm + post_attn_norm      (MoE layers: expert versions)
 *              block = attn + mlp + add
 *   stage      = Σ layers of this stage + PP send (all stages but the last) + CPU overhead.
 * stage_time is O(batch size): a pass over the items for the two attention kernels plus a fixed
 * number of closed-form op times; nothing is allocated. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "predictor/internal.h"
#include "util/sbuf.h"

/* Batches up to this many tokens take their token-level op times from tables built at
 * creation (16K doubles per layer kind, a few ms to build); larger ones use the closed form. */
#define TOK_TABLE 16384

typedef struct roofline_state {
  cs__roofline r;
  int pp;
  int *dense_layers, *moe_layers; /* per stage */
  double *dense_ms, *moe_ms;      /* token-level ms of one dense / MoE layer for T < TOK_TABLE */
  double cpu_s;
  cs__roofline_ep ep;             /* expert parallelism (ep 1: none) */
  char *describe;
} roofline_state;

/* The parameters (roofline_specs); 0 or -1 = the device's own factor (cs_roofline_device_factors). */
typedef struct roofline_params {
  double eff_compute, eff_memory, eff_comm, attn_eff, attn_latency_us, decode_eff, gemm_latency_us, elem_latency_us,
      nccl_launch_ms, cpu_overhead_ms;
} roofline_params;

static const cs_param_spec roofline_specs[] = {
    {CS_PARAM_FIELD(roofline_params, eff_compute), .type = CS_OPT_NUM, .def = 0.0, .range = {.min = 0.0, .max = 1.0},
     .help = "fraction of dense peak reached by GEMMs (0 = from the device)"},
    {CS_PARAM_FIELD(roofline_params, eff_memory), .type = CS_OPT_NUM, .def = 0.0, .range = {.min = 0.0, .max = 1.0},
     .help = "fraction of HBM bandwidth reached (0 = from the device)"},
    {CS_PARAM_FIELD(roofline_params, eff_comm), .type = CS_OPT_NUM, .def = 0.0, .range = {.min = 0.0, .max = 1.0},
     .help = "fraction of link bandwidth reached by all-reduce (0 = from the device)"},
    {CS_PARAM_FIELD(roofline_params, attn_eff), .type = CS_OPT_NUM, .def = 0.0, .range = {.min = 0.0, .max = 1.0},
     .help = "FlashAttention compute efficiency relative to eff_compute (0 = the device's fitted value)"},
    {CS_PARAM_FIELD(roofline_params, attn_latency_us), .type = CS_OPT_NUM, .def = -1.0,
     .range = {.min = -1.0, .max = 1e4},
     .help = "fixed cost per attention kernel, us (-1 = the device's fitted value)"},
    {CS_PARAM_FIELD(roofline_params, decode_eff), .type = CS_OPT_NUM, .def = 0.0, .range = {.min = 0.0, .max = 1.0},
     .help = "HBM share of decode attention with >= 2 CTAs per SM, no split-KV (0 = the device's fitted value)"},
    {CS_PARAM_FIELD(roofline_params, gemm_latency_us), .type = CS_OPT_NUM, .def = -1.0,
     .range = {.min = -1.0, .max = 1e4},
     .help = "fixed cost per GEMM, us (-1 = the device's fitted value)"},
    {CS_PARAM_FIELD(roofline_params, elem_latency_us), .type = CS_OPT_NUM, .def = -1.0,
     .range = {.min = -1.0, .max = 1e4},
     .help = "fixed cost per element-wise kernel, us (-1 = the device's fitted value)"},
    {CS_PARAM_FIELD(roofline_params, nccl_launch_ms), .type = CS_OPT_NUM, .def = 0.02,
     .range = {.min = 0.0, .max = 1e3},
     .help = "CPU launch cost per all-reduce, ms (Vidur V0: 0.02)"},
    {CS_PARAM_FIELD(roofline_params, cpu_overhead_ms), .type = CS_OPT_NUM, .def = 0.0,
     .range = {.min = 0.0, .max = 1e4},
     .help = "scheduler/sampler CPU time per stage, ms (Vidur skips it: 0)"},
};

/* Layers of each pipeline stage: L/PP each (the first L%PP stages take one more), split into
 * the leading dense layers and MoE layers. */
static void split_layers(const cs_model *m, int pp, int *dense, int *moe) {
  int L = m->num_layers, start = 0;
  bool is_moe = m->num_experts > 0 && m->experts_per_token > 0;
  for (int s = 0; s < pp; s++) {
    int n = L / pp + (s < L % pp ? 1 : 0);
    int nd = 0;
    for (int i = start; i < start + n; i++)
      if (!is_moe || i < m->first_dense_layers) nd++;
    dense[s] = nd;
    moe[s] = n - nd;
    start += n;
  }
}

/* Token-level part of one layer (everything but the two attention kernels), ms. */
double cs__roofline_common_ms(const cs__roofline *r, double T) {
  return cs__roofline_tok_op_ms(r, CS__OP_ATTN_PRE_PROJ, T) + cs__roofline_tok_op_ms(r, CS__OP_ATTN_POST_PROJ, T) +
         cs__roofline_tok_op_ms(r, CS__OP_ATTN_ROPE, T) + cs__roofline_tok_op_ms(r, CS__OP_KV_CACHE_SAVE, T) +
         cs__roofline_tok_op_ms(r, CS__OP_INPUT_LAYERNORM, T) + 2 * cs__roofline_tok_op_ms(r, CS__OP_ALL_REDUCE, T) +
         (r->model->post_attn_norm ? cs__roofline_tok_op_ms(r, CS__OP_POST_ATTN_LAYERNORM, T) : 0) +
         cs__roofline_tok_op_ms(r, CS__OP_ADD, T);
}

double cs__roofline_layer_ms(const cs__roofline *r, double T, bool moe) {
  double mlp = moe ? cs__roofline_moe_op_ms(r, CS__OP_MLP_UP_PROJ, T) + cs__roofline_moe_op_ms(r, CS__OP_MLP_DOWN_PROJ, T) +
                         cs__roofline_moe_op_ms(r, CS__OP_MLP_ACT, T)
                   : cs__roofline_tok_op_ms(r, CS__OP_MLP_UP_PROJ, T) + cs__roofline_tok_op_ms(r, CS__OP_MLP_DOWN_PROJ, T) +
                         cs__roofline_tok_op_ms(r, CS__OP_MLP_ACT, T);
  return cs__roofline_common_ms(r, T) + mlp;
}

static void roofline_destroy(void *state);

static int roofline_create(const cs_predictor_ctx *ctx, const void *params, void **state, cs_err *err) {
  const roofline_params *p = params;
  cs__factors f;
  if (!ctx->model || !ctx->device) return cs_err_set(err, CS_EINVAL, "predictor 'roofline' needs a model and a device");
  cs__roofline_device_factors(ctx->device, &f);
  bool overridden = false;
  if (p->eff_compute > 0) f.eff_c = p->eff_compute, overridden = true;
  if (p->eff_memory > 0) f.eff_m = p->eff_memory, overridden = true;
  if (p->eff_comm > 0) f.eff_comm = p->eff_comm, overridden = true;
  if (p->gemm_latency_us >= 0) f.lat_us = p->gemm_latency_us;
  if (p->elem_latency_us >= 0) f.elem_lat_us = p->elem_latency_us;
  if (p->attn_eff > 0) f.attn_eff = p->attn_eff, overridden = true;
  if (p->attn_latency_us >= 0) f.attn_lat_us = p->attn_latency_us;
  if (p->decode_eff > 0) f.dec_eff = p->decode_eff, overridden = true;
  roofline_state *s = cs__xcalloc(1, sizeof *s);
  int rc = cs__roofline_init(&s->r, ctx->model, ctx->device, ctx->network, ctx->tp, ctx->pp, &f, err);
  if (rc) {
    free(s);
    return rc;
  }
  s->r.nccl_launch_s = p->nccl_launch_ms * 1e-3;
  s->cpu_s = p->cpu_overhead_ms * 1e-3;
  s->pp = ctx->pp;
  s->dense_layers = cs__xcalloc((size_t)ctx->pp, sizeof(int));
  s->moe_layers = cs__xcalloc((size_t)ctx->pp, sizeof(int));
  split_layers(ctx->model, ctx->pp, s->dense_layers, s->moe_layers);
  bool any_dense = false, any_moe = false;
  for (int i = 0; i < ctx->pp; i++) any_dense |= s->dense_layers[i] > 0, any_moe |= s->moe_layers[i] > 0;
  if (any_dense) s->dense_ms = cs__xmalloc(sizeof(double) * TOK_TABLE);
  if (any_moe) s->moe_ms = cs__xmalloc(sizeof(double) * TOK_TABLE);
  for (int64_t t = 0; t < TOK_TABLE; t++) {
    if (s->dense_ms) s->dense_ms[t] = cs__roofline_layer_ms(&s->r, (double)t, false);
    if (s->moe_ms) s->moe_ms[t] = cs__roofline_layer_ms(&s->r, (double)t, true);
  }
  if ((rc = cs__roofline_ep_init(&s->ep, &s->r, ctx, TOK_TABLE, err))) {
    roofline_destroy(s);
    return rc;
  }

  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__sbuf_addf(&sb, "roofline: %s on %s, TP %d PP %d; %.0f TFLOPS x %.2f, %.0f GB/s x %.2f, link x %.2f, %.1f us/GEMM, %.1f us/element-wise kernel, attention x %.2f + %.1f us (%s%s)",
                ctx->model->name ? ctx->model->name : "?", ctx->device->name ? ctx->device->name : "?", ctx->tp,
                ctx->pp, s->r.peak_flops * 1e-12, f.eff_c, s->r.hbm_bps * 1e-9, f.eff_m, f.eff_comm, f.lat_us, f.elem_lat_us,
                f.attn_eff, f.attn_lat_us, overridden ? "overridden by parameters; else " : "",
                f.source ? f.source : "?");
  if (f.borrowed && !overridden)
    cs__sbuf_addf(&sb, "; WARNING: no profile for device '%s', efficiency factors borrowed from the nearest architecture ('%s')",
                  ctx->device->name ? ctx->device->name : "?", f.from ? f.from : "?");
  if (f.dec_eff > 0) cs__sbuf_addf(&sb, "; decode with >= 2 CTAs per SM at x %.2f of HBM", f.dec_eff);
  if (s->ep.ep > 1)
    cs__sbuf_addf(&sb, "; EP %d: whole experts, busiest rank x %.2f of the mean routed tokens%s", s->ep.ep,
                  s->ep.imbalance, s->ep.dp > 1 ? ", data-parallel attention over" : "");
  if (s->ep.dp > 1) cs__sbuf_addf(&sb, " %d ranks of TP %d", s->ep.dp, ctx->tp);
  cs__sbuf_addf(&sb, "; %s", cs__roofline_known_bias(ctx->device));
  s->describe = cs__sbuf_detach(&sb);
  cs__sbuf_release(&sb);
  cs__sbuf_release(&sb); /* detach leaves a fresh allocation behind */
  *state = s;
  return 0;
}

static void roofline_destroy(void *state) {
  roofline_state *s = state;
  if (!s) return;
  free(s->dense_layers);
  free(s->moe_layers);
  free(s->dense_ms);
  free(s->moe_ms);
  cs__roofline_ep_release(&s->ep);
  free(s->describe);
  free(s);
}

static void roofline_stage_time(const void *state, const cs_batch_view *b, int stage_id, cs_stage_time *out) {
  const roofline_state *s = state;
  const cs__roofline *r = &s->r;
  int64_t T = b->total_tokens;
  if (stage_id < 0) stage_id = 0;
  if (stage_id >= s->pp) stage_id = s->pp - 1;
  if (T <= 0 || b->n == 0) {
    out->model_s = 0;
    out->total_s = s->cpu_s;
    return;
  }
  /* token-level parts from the tables precomputed at creation (closed form past their end) */
  bool tab = T < TOK_TABLE;
  int nd = s->dense_layers[stage_id], nm = s->moe_layers[stage_id];
  double ms = 0;
  if (s->ep.dp > 1) {
    ms = cs__roofline_ep_stage_ms(r, &s->ep, b, nd, nm, s->dense_ms, TOK_TABLE);
  } else {
    double dec, pre;
    cs__roofline_attn_ms(r, b, &dec, &pre);
    double attn = dec + pre;
    const double *moe = s->ep.ep > 1 ? s->ep.moe_ms : s->moe_ms;
    if (nd > 0) ms += nd * (attn + (tab ? s->dense_ms[T] : cs__roofline_layer_ms(r, (double)T, false)));
    if (nm > 0)
      ms += nm * (attn + (tab ? moe[T]
                              : s->ep.ep > 1 ? cs__roofline_ep_moe_layer_ms(r, &s->ep, (double)T)
                                             : cs__roofline_layer_ms(r, (double)T, true)));
  }
  if (stage_id < s->pp - 1) ms += cs__roofline_tok_op_ms(r, CS__OP_SEND_RECV, (double)T);
  out->model_s = ms * 1e-3;
  out->total_s = out->model_s + s->cpu_s;
}

static const char *roofline_describe(const void *state) { return ((const roofline_state *)state)->describe; }

const cs_predictor_ops cs__pred_roofline = {
    .info = {.name = "roofline",
             .summary = "analytic FLOPs/bytes roofline per operation with fitted efficiency factors (default; no data needed)",
             .params = roofline_specs,
             .nparams = sizeof roofline_specs / sizeof roofline_specs[0],
             .params_size = sizeof(roofline_params)},
    .create = roofline_create,
    .destroy = roofline_destroy,
    .stage_time = roofline_stage_time,
    .describe = roofline_describe,
    .ep_layers = true,
};
