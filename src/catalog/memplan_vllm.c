/* vLLM V1 (0.19) start-up memory accounting, per GPU, term by term (docs/plan.md):
 *   KV = torch-visible total x gpu_memory_utilization - weights - peak activation - non-torch,
 * then KV blocks as vLLM rounds them per KV-cache group. Weights follow the checkpoint's real
 * layout (per-module dtype and quantization, vocab padding, biases, tied embeddings, TP/EP
 * sharding, pipeline stages); the activation peak is that of vLLM's profiling forward at
 * max_num_batched_tokens plus its dummy sampler run (docs/plan-accuracy.md states the formula,
 * its calibration and its error). */
#include <math.h>
#include <string.h>
#include <strings.h>

#include "capsearch/memplan.h"
#include "catalog/catalog_int.h"
#include "catalog/memplan_int.h"

#define GIB 1073741824.0

typedef struct wctx {
  const cs_model *m;
  const cs_quant *q; /* effective scheme; NULL when unquantized */
  int tp, ep;        /* ep > 1: whole experts spread over ep ranks */
  double db;         /* bytes of an unquantized parameter (--dtype) */
} wctx;

static double lin(const wctx *c, int layer, int kind, double out, double in) {
  const cs_quant *q = c->q;
  bool plain = !q || (q->experts_only && kind != CS__LIN_EXPERTS) || (q->keep16 && (q->keep16[layer] >> kind & 1));
  return plain ? out * in * c->db : cs__quant_linear_bytes(q, out, in, c->db);
}

static double kv_heads_gpu(const cs_model *m, int tp) {
  return m->num_kv_heads >= tp ? (double)(m->num_kv_heads / tp) : 1.0; /* replicated below one per rank */
}

static double attn_bytes(const wctx *c, int l) {
  const cs_model *m = c->m;
  const double E = m->hidden, hd = m->head_dim, nq = (double)(m->num_q_heads / c->tp);
  double b;
  if (m->kv_lora_rank > 0) {
    const double qk = m->qk_nope_head_dim + m->qk_rope_head_dim;
    if (m->q_lora_rank > 0)
      b = lin(c, l, CS__LIN_Q, m->q_lora_rank, E) + m->q_lora_rank * c->db + lin(c, l, CS__LIN_Q, nq * qk, m->q_lora_rank);
    else
      b = lin(c, l, CS__LIN_Q, nq * qk, E);
    b += lin(c, l, CS__LIN_K, m->kv_lora_rank + m->qk_rope_head_dim, E) + m->kv_lora_rank * c->db;
    b += lin(c, l, CS__LIN_V, nq * (m->qk_nope_head_dim + m->v_head_dim), m->kv_lora_rank);
    return b + lin(c, l, CS__LIN_O, E, nq * m->v_head_dim);
  }
  const double kv = kv_heads_gpu(m, c->tp);
  b = lin(c, l, CS__LIN_Q, nq * hd, E) + lin(c, l, CS__LIN_K, kv * hd, E) + lin(c, l, CS__LIN_V, kv * hd, E) +
      lin(c, l, CS__LIN_O, E, nq * hd);
  if (m->qkv_bias) b += (nq + 2 * kv) * hd * c->db;
  if (m->o_bias) b += E * c->db;
  if (m->qk_norm) b += 2 * hd * c->db;
  return b;
}

/* A gated (or plain) MLP of width `inter`, TP-split. */
static double mlp_bytes(const wctx *c, int l, double inter) {
  const double E = c->m->hidden, I = inter / c->tp;
  if (!c->m->gated_mlp)
    return lin(c, l, CS__LIN_UP, I, E) + lin(c, l, CS__LIN_DOWN, E, I) + (c->m->o_bias ? (I + E) * c->db : 0);
  return lin(c, l, CS__LIN_GATE, I, E) + lin(c, l, CS__LIN_UP, I, E) + lin(c, l, CS__LIN_DOWN, E, I);
}

static bool is_moe_layer(const cs_model *m, int l) { return m->num_experts > 0 && l >= m->first_dense_layers; }

/* Routed experts of one layer on one rank: TP slices every expert's width; EP hands out whole
 * experts (vLLM --enable-expert-parallel, EP = TP x DP). */
static double experts_bytes(const wctx *c, int l) {
  const cs_model *m = c->m;
  const double E = m->hidden;
  double n = m->num_experts, I = (double)m->moe_mlp_hidden / c->tp;
  if (c->ep > 1) {
    n = ceil((double)m->num_experts / c->ep);
    I = m->moe_mlp_hidden;
  }
  const double up = m->gated_mlp ? 2 * I : I;
  double b = n * (lin(c, l, CS__LIN_EXPERTS, up, E) + lin(c, l, CS__LIN_EXPERTS, E, I));
  b += E * m->num_experts * c->db; /* router, never quantized */
  if (m->num_shared_experts > 0) b += mlp_bytes(c, l, (double)m->num_shared_experts * m->moe_mlp_hidden);
  if (m->shared_expert_hidden > 0) b += mlp_bytes(c, l, m->shared_expert_hidden) + E * c->db;
  return b;
}

static double layer_bytes(const wctx *c, int l) {
  const cs_model *m = c->m;
  const double norm = (m->norm && !strcmp(m->norm, "layer") ? 2.0 : 1.0) * m->hidden * c->db;
  double b = attn_bytes(c, l) + (m->post_attn_norm ? 2 : 1) * norm;
  return b + (is_moe_layer(m, l) ? experts_bytes(c, l) : mlp_bytes(c, l, m->mlp_hidden));
}

/* vLLM's pipeline split (get_pp_indices): L // PP layers each, the remainder going one each to
 * the stages before the last. */
void cs__pp_stage(int layers, int pp, int s, int *lo, int *hi) {
  int base = layers / pp, rem = layers % pp, start = 0;
  *lo = 0;
  *hi = layers;
  for (int i = 0; i <= s; i++) {
    int n = base + (i >= pp - 1 - rem && i < pp - 1 ? 1 : 0);
    if (i == s) {
      *lo = start;
      *hi = start + n;
      return;
    }
    start += n;
  }
}

double cs__vllm_stage_weights(const cs_model *m, const cs_quant *q, int tp, int ep, double db, int pp, int s) {
  wctx c = {m, q && q->method ? q : NULL, tp, ep, db};
  int lo, hi;
  cs__pp_stage(m->num_layers, pp, s, &lo, &hi);
  double b = 0;
  for (int l = lo; l < hi; l++) b += layer_bytes(&c, l);
  const double vp = ceil(m->vocab / 64.0) * 64.0 / tp; /* VocabParallelEmbedding pads to 64 */
  const double norm = (m->norm && !strcmp(m->norm, "layer") ? 2.0 : 1.0) * m->hidden * db;
  if (s == 0) b += vp * m->hidden * db;
  if (s == pp - 1) {
    if (!m->tie_embeddings || pp > 1) b += vp * m->hidden * db;
    if (m->o_bias) b += vp * db;
    b += norm;
  }
  b += (double)cs_model_context_limit(m) * (m->rotary_dim > 0 ? m->rotary_dim : m->head_dim) * db; /* cos/sin */
  return b;
}

/* KV bytes per token of one layer on one GPU. */
double cs__vllm_kv_layer_bytes(const cs_model *m, int tp, double kvb) {
  if (m->kv_lora_rank > 0) return (double)(m->kv_lora_rank + m->qk_rope_head_dim) * kvb; /* replicated */
  return 2.0 * kv_heads_gpu(m, tp) * m->head_dim * kvb;
}

/* Peak of the profiling run (bytes): the last hidden states and residual stream (3 x T x E x
 * 2 B), plus the larger of the MLP intermediates of one layer (T x (2 or 3) x I/TP x 2 B) and
 * the dummy sampler over R = min(T, max_num_seqs) rows of logits (bf16 logits over the padded
 * vocabulary, then fp32 logits, probabilities and exponential noise: 2 + 12 bytes a logit),
 * plus the fused-MoE workspaces, which stay allocated. */
double cs__vllm_activation_bytes(const cs_model *m, int tp, int ep, int64_t T, int64_t R) {
  const double E = m->hidden, t = (double)T;
  const double vp = ceil(m->vocab / 64.0) * 64.0;
  double dense_i = 0;
  if (m->num_experts == 0 || m->first_dense_layers > 0) dense_i = (double)m->mlp_hidden / tp;
  if (m->num_experts > 0)
    dense_i = fmax(dense_i, ((double)m->num_shared_experts * m->moe_mlp_hidden + m->shared_expert_hidden) / tp);
  const double mlp = 2.0 * t * (m->gated_mlp ? 3 : 2) * dense_i;
  const double sampler = (double)R * (2.0 * vp + 12.0 * m->vocab);
  double act = 6.0 * t * E + fmax(mlp, sampler);
  if (m->num_experts > 0) {
    double I = ep > 1 ? (double)m->moe_mlp_hidden : (double)m->moe_mlp_hidden / tp;
    act += 2.0 * t * m->experts_per_token * (fmax(I, E) + fmax(2 * I, E));
  }
  return act;
}

/* CUDA context, cuBLAS/NCCL workspaces and, at TP >= 2, the custom all-reduce buffers: what
 * vLLM 0.19 logged on H100 (0.24-0.27 GiB at TP 1; 2.06 at TP 2, 2.13 at TP 4). */
double cs__vllm_non_torch_gib(int tp) { return tp <= 1 ? 0.25 : 2.0 + 0.065 * log2((double)tp); }
