/* Roofline model of one transformer layer's operations on one tensor-parallel shard.
 *
 * Every operation is a kernel with F floating-point operations and B bytes of HBM traffic; its
 * time is max(F / (peak · eff_c), B / (bw · eff_m)) + a launch/tail latency (aiconfigurator's
 * speed-of-light GEMM with an empirical efficiency, anchors.md §4.3; BLIS's per-step roofline,
 * §4.4). GEMMs move weights once per step plus the activations in and out; element-wise kernels
 * (norms, activation, residual add, RoPE, KV-cache save) are pure traffic. Attention follows
 * FlashAttention: no score matrix in HBM, K/V of the context read once per kernel, so decode is
 * bandwidth-bound and long prefills are compute-bound. Communication: a ring all-reduce moves
 * 2(TP-1)/TP of the activations over the link with 2(TP-1) latency steps; a pipeline send moves
 * one stage's activations once. MoE layers read only the experts the step touches: expected
 * unique experts nEff = N·(1 − ((N−k)/N)^T) for T tokens routed top-k (anchors §4.4). MLA
 * (DeepSeek) caches one latent vector of kv_lora_rank + rope dims per token, shared by all heads,
 * and decodes with the up-projections absorbed into the query and output (FlashMLA-style).
 *
 * Units: SI inside (seconds, bytes, FLOP/s); the results are milliseconds like Vidur's tables. */
#include <math.h>
#include <string.h>

#include "predictor/internal.h"

static const char *const tok_op_names[CS__NUM_TOK_OPS] = {
    "attn_pre_proj", "attn_post_proj", "attn_rope", "mlp_up_proj", "mlp_down_proj", "mlp_act",
    "input_layernorm", "post_attention_layernorm", "add", "attn_kv_cache_save", "all_reduce", "send_recv",
};

const char *cs__tok_op_name(int op) { return op >= 0 && op < CS__NUM_TOK_OPS ? tok_op_names[op] : "?"; }

/* Per-kernel memory scales relative to the device's eff_memory (which GEMMs' weight streaming
 * sets): fitted with `capsearch predictor check --fit-scales` on Vidur's mlp.csv profiles
 * (attention: the a100 Llama-2-70B TP2 attention.csv). Fused element-wise kernels (RMSNorm,
 * SiLU-and-mul, RoPE) reach a smaller share of HBM bandwidth than weight streaming on HBM parts
 * (a100, h100: the mean of the two is used) but about the same share on GDDR parts (a40), so
 * there are two sets, chosen by memory bandwidth (GDDR parts are all below 1.2 TB/s). GEMMs and
 * communication are 1 by construction. */
static const double hbm_scales[CS__RL_NSCALE] = {
    [CS__OP_ATTN_PRE_PROJ] = 1.0,   [CS__OP_ATTN_POST_PROJ] = 1.0,      [CS__OP_ATTN_ROPE] = 0.52,
    [CS__OP_MLP_UP_PROJ] = 1.0,     [CS__OP_MLP_DOWN_PROJ] = 1.0,       [CS__OP_MLP_ACT] = 0.60,
    [CS__OP_INPUT_LAYERNORM] = 0.42, [CS__OP_POST_ATTN_LAYERNORM] = 0.40, [CS__OP_ADD] = 1.15,
    [CS__OP_KV_CACHE_SAVE] = 0.60,  [CS__OP_ALL_REDUCE] = 1.0,          [CS__OP_SEND_RECV] = 1.0,
    [CS__RL_DECODE] = 0.95,         [CS__RL_PREFILL] = 1.0,
};
static const double gddr_scales[CS__RL_NSCALE] = {
    [CS__OP_ATTN_PRE_PROJ] = 1.0,   [CS__OP_ATTN_POST_PROJ] = 1.0,      [CS__OP_ATTN_ROPE] = 1.0,
    [CS__OP_MLP_UP_PROJ] = 1.0,     [CS__OP_MLP_DOWN_PROJ] = 1.0,       [CS__OP_MLP_ACT] = 1.0,
    [CS__OP_INPUT_LAYERNORM] = 0.76, [CS__OP_POST_ATTN_LAYERNORM] = 0.75, [CS__OP_ADD] = 1.07,
    [CS__OP_KV_CACHE_SAVE] = 1.0,   [CS__OP_ALL_REDUCE] = 1.0,          [CS__OP_SEND_RECV] = 1.0,
    [CS__RL_DECODE] = 0.95,         [CS__RL_PREFILL] = 1.0,
};

/* h200 (this project's measurement, the kernels of current PyTorch/vLLM on Hopper): norms, RoPE
 * and SiLU-and-mul stream at close to the GEMMs' share; decode scale for split-KV calls. Fitted
 * on layers.csv (CUDA-graph layers) and the large-token rows of mlp.csv. */
static const double h200_scales[CS__RL_NSCALE] = {
    [CS__OP_ATTN_PRE_PROJ] = 1.0,   [CS__OP_ATTN_POST_PROJ] = 1.0,      [CS__OP_ATTN_ROPE] = 0.90,
    [CS__OP_MLP_UP_PROJ] = 1.0,     [CS__OP_MLP_DOWN_PROJ] = 1.0,       [CS__OP_MLP_ACT] = 0.90,
    [CS__OP_INPUT_LAYERNORM] = 0.90, [CS__OP_POST_ATTN_LAYERNORM] = 0.90, [CS__OP_ADD] = 0.90,
    [CS__OP_KV_CACHE_SAVE] = 0.90,  [CS__OP_ALL_REDUCE] = 1.0,          [CS__OP_SEND_RECV] = 1.0,
    [CS__RL_DECODE] = 0.95,         [CS__RL_PREFILL] = 1.0,
};

void cs__roofline_default_scales(const cs_device *dev, double out[CS__RL_NSCALE]) {
  bool gddr = dev && dev->hbm_gbps > 0 && dev->hbm_gbps < 1200;
  cs__factors f;
  cs__roofline_device_factors(dev, &f);
  const double *s = gddr ? gddr_scales : f.from && !strcmp(f.from, "h200") ? h200_scales : hbm_scales;
  memcpy(out, s, sizeof hbm_scales);
}

int cs__roofline_init(cs__roofline *r, const cs_model *m, const cs_device *dev, const cs_network *net, int tp,
                      int pp, const cs__factors *f, cs_err *err) {
  memset(r, 0, sizeof *r);
  if (!m || !dev) return cs_err_set(err, CS_EINVAL, "roofline: a model and a device are required");
  if (m->num_layers <= 0 || m->hidden <= 0 || m->num_q_heads <= 0)
    return cs_err_set(err, CS_ECONFIG, "roofline: model '%s' lacks layers, hidden size or heads", m->name ? m->name : "?");
  double peak = dev->tflops_bf16;
  if (m->weight_bytes > 0 && m->weight_bytes <= 1.0 && dev->tflops_fp8 > 0) peak = dev->tflops_fp8;
  if (peak <= 0 || dev->hbm_gbps <= 0)
    return cs_err_set(err, CS_ECONFIG, "roofline: device '%s' needs dense TFLOPS and HBM bandwidth in the catalog",
                      dev->name ? dev->name : "?");
  r->model = m;
  r->tp = tp;
  r->pp = pp;
  r->peak_flops = peak * 1e12;
  r->hbm_bps = dev->hbm_gbps * 1e9;
  r->eff_c = f->eff_c;
  r->eff_m = f->eff_m;
  r->eff_comm = f->eff_comm;
  r->lat_s = f->lat_us * 1e-6;
  r->elem_lat_s = f->elem_lat_us * 1e-6;
  r->overlap_n = f->overlap_n > 0 ? f->overlap_n : CS__ROOFLINE_OVERLAP_N;
  r->attn_eff = f->attn_eff;
  r->attn_lat_s = f->attn_lat_us * 1e-6;
  r->dec_eff = f->dec_eff;
  r->n_sm = f->n_sm > 0 ? f->n_sm : 108;
  r->causal_w = f->causal_w > 0 ? f->causal_w : 1.0;
  cs__roofline_default_scales(dev, r->mem_scale);
  r->act_bytes = 2.0;
  r->factor_source = f->source;
  r->factors_borrowed = f->borrowed;

  /* links: all-reduce inside a node when TP fits in one, else across nodes */
  double link = dev->link_gbps > 0 ? dev->link_gbps : 32.0, lat = 5.0;
  double intra = link, intra_lat = lat, inter = link, inter_lat = lat;
  int per_node = 8;
  if (net) {
    if (net->intra_bw_gbps > 0) intra = net->intra_bw_gbps;
    if (net->intra_latency_us > 0) intra_lat = net->intra_latency_us;
    inter = net->inter_bw_gbps > 0 ? net->inter_bw_gbps : intra;
    inter_lat = net->inter_latency_us > 0 ? net->inter_latency_us : intra_lat;
    if (net->devices_per_node > 0) per_node = net->devices_per_node;
  }
  /* NVLink-bridged pairs (Vidur's *_pairwise_nvlink nodes): a ring over more than one pair
   * crosses PCIe between the pairs and runs at PCIe speed (Vidur's all_reduce.csv: TP4 reaches
   * 24 GB/s on a100, 49 GB/s on h100 against 195 GB/s at TP2). PCIe 5 on hopper and later. */
  if (net && net->topology && strstr(net->topology, "pairwise") && tp > 2 && tp <= per_node) {
    double pcie = dev->arch && (!strcmp(dev->arch, "hopper") || !strcmp(dev->arch, "blackwell")) ? 64.0 : 32.0;
    if (pcie < intra) intra = pcie;
  }
  r->tp_bps = (tp <= per_node ? intra : inter) * 1e9;
  r->tp_lat_s = (tp <= per_node ? intra_lat : inter_lat) * 1e-6;
  r->pp_bps = (tp * pp > per_node ? inter : intra) * 1e9;
  r->pp_lat_s = (tp * pp > per_node ? inter_lat : intra_lat) * 1e-6;

  r->E = m->hidden;
  r->d = m->head_dim > 0 ? m->head_dim : (double)m->hidden / m->num_q_heads;
  r->nq = (double)m->num_q_heads / tp;
  int kvh = m->num_kv_heads > 0 ? m->num_kv_heads : m->num_q_heads;
  r->nkv = ceil((double)kvh / tp);
  r->H = (double)m->mlp_hidden / tp;
  r->moe = m->num_experts > 0 && m->experts_per_token > 0;
  r->Hmoe = (double)(m->moe_mlp_hidden > 0 ? m->moe_mlp_hidden : m->mlp_hidden) / tp;
  r->mla = m->kv_lora_rank > 0;
  if (r->mla) {
    r->q_lora = m->q_lora_rank;
    r->kv_lora = m->kv_lora_rank;
    r->rope_d = m->qk_rope_head_dim;
    r->nope_d = m->qk_nope_head_dim;
    r->v_d = m->v_head_dim > 0 ? m->v_head_dim : r->nope_d;
  }
  return 0;
}

/* Roofline combination of compute and memory time. A hard max() is the ideal overlap; real
 * GEMMs lose some of it near the ridge point, so a p-norm (tc^n + tm^n)^(1/n) is used, with n
 * fitted (n -> infinity is max(), n = 1 is no overlap at all). */
static double combine(const cs__roofline *r, double tc, double tm) {
  double n = r->overlap_n;
  if (n <= 0 || n > 50) return tc > tm ? tc : tm;
  double hi = tc > tm ? tc : tm, lo = tc > tm ? tm : tc;
  if (hi <= 0) return 0;
  return hi * pow(1.0 + pow(lo / hi, n), 1.0 / n);
}

/* Split-K at skinny shapes. cuBLAS tiles the output in 128 weight columns x 64 tokens; with
 * fewer tiles than an eighth of the SMs (a QKV projection at TP 8, N = 768: 6 tiles) it splits
 * the K dimension across CTAs to stream the weights at full width, and a second, small kernel
 * sums the fp32 partials (with more tiles it splits inside the kernel, if at all). The partials
 * stay in L2 and the reduction is short next to the GEMM's fitted latency, so the GPU time is the
 * GEMM's; what shows is the second launch, in eager timing (the h200 profile: GEMMs with
 * N <= 1536 at up to 64 tokens read 4-6 us above the same weight bytes at N >= 4096;
 * check_eval.c), not inside the CUDA-graph layers of layers.csv. */
static bool splitk(const cs__roofline *r, double m, double n) {
  return ceil(n / 128.0) * ceil(m / 64.0) < r->n_sm / 8.0;
}

bool cs__roofline_tok_op_splitk(const cs__roofline *r, int op, double T) {
  if (r->mla || T <= 0) return false;
  switch (op) {
  case CS__OP_ATTN_PRE_PROJ: return splitk(r, T, (r->nq + 2 * r->nkv) * r->d);
  case CS__OP_ATTN_POST_PROJ:
  case CS__OP_MLP_DOWN_PROJ: return splitk(r, T, r->E);
  case CS__OP_MLP_UP_PROJ: return !r->moe && splitk(r, T, (r->model->gated_mlp ? 2 : 1) * r->H);
  default: return false;
  }
}

/* A GEMM of an (m × k) activation by a (k × n) weight. */
static double gemm_s(const cs__roofline *r, double m, double k, double n) {
  double wb = r->model->weight_bytes > 0 ? r->model->weight_bytes : 2.0;
  double flops = 2.0 * m * k * n;
  double bytes = wb * k * n + r->act_bytes * (m * k + m * n);
  double tc = flops / (r->peak_flops * r->eff_c), tm = bytes / (r->hbm_bps * r->eff_m);
  return combine(r, tc, tm) + r->lat_s;
}

static double mem_eff(const cs__roofline *r, int kernel) {
  double e = r->eff_m * r->mem_scale[kernel];
  return e < 1.0 ? e : 1.0;
}

/* vLLM's fused element-wise kernels (RMSNorm, RoPE, SiLU-and-mul, KV-cache write) launch one
 * CTA per token: below one token per SM only T SMs stream, so small batches run at T / SMs of the
 * kernel's share (a100 Llama-2-70B TP2 at 16 tokens: 7 us RMSNorm, 12 us SiLU-and-mul, against
 * 2-3 us for the bytes at full width). The residual add is a plain element-wise kernel. */
static double mem_s(const cs__roofline *r, double bytes, int kernel, double T) {
  double width = kernel == CS__OP_ADD || T >= r->n_sm ? 1.0 : T / r->n_sm;
  return bytes / (r->hbm_bps * mem_eff(r, kernel) * width) + r->elem_lat_s;
}

static double allreduce_s(const cs__roofline *r, double T) {
  if (r->tp <= 1) return 0;
  double bytes = r->act_bytes * T * r->E, p = r->tp;
  return 2.0 * (p - 1) / p * bytes / (r->tp_bps * r->eff_comm) + 2.0 * (p - 1) * r->tp_lat_s + r->nccl_launch_s;
}

double cs__roofline_tok_op_ms(const cs__roofline *r, int op, double T) {
  double ab = r->act_bytes, E = r->E, s = 0;
  double wb = r->model->weight_bytes > 0 ? r->model->weight_bytes : 2.0;
  bool gated = r->model->gated_mlp;
  if (T <= 0) return 0;
  switch (op) {
  case CS__OP_ATTN_PRE_PROJ:
    if (r->mla) {
      double qd = r->nq * (r->nope_d + r->rope_d);
      s = r->q_lora > 0 ? gemm_s(r, T, E, r->q_lora) + gemm_s(r, T, r->q_lora, qd) : gemm_s(r, T, E, qd);
      s += gemm_s(r, T, E, r->kv_lora + r->rope_d);                 /* latent KV */
      s += gemm_s(r, T, r->kv_lora, r->nq * (r->nope_d + r->v_d)); /* its up-projection */
    } else {
      s = gemm_s(r, T, E, (r->nq + 2 * r->nkv) * r->d);
    }
    break;
  case CS__OP_ATTN_POST_PROJ:
    s = gemm_s(r, T, r->nq * (r->mla ? r->v_d : r->d), E);
    break;
  case CS__OP_ATTN_ROPE:
    s = mem_s(r, r->mla ? 2 * ab * T * (r->nq + 1) * r->rope_d : 2 * ab * T * (r->nq + r->nkv) * r->d, op, T);
    break;
  case CS__OP_MLP_UP_PROJ:
    s = gemm_s(r, T, E, (gated ? 2 : 1) * r->H);
    break;
  case CS__OP_MLP_DOWN_PROJ:
    s = gemm_s(r, T, r->H, E);
    break;
  case CS__OP_MLP_ACT:
    /* gated: read gate and up, write the product (3 tensors). A plain GELU moves 2 tensors, but
     * its kernel reaches a larger share of bandwidth than SiLU-and-mul, whose share the
     * mlp_act scale encodes: charged 1.5 tensors (fitted on phi-2, a100/h100/a40). */
    s = mem_s(r, ab * T * r->H * (gated ? 3 : 1.5), op, T);
    break;
  case CS__OP_INPUT_LAYERNORM:
  case CS__OP_POST_ATTN_LAYERNORM:
    s = mem_s(r, 2 * ab * T * E + wb * E, op, T);
    break;
  case CS__OP_ADD:
    s = mem_s(r, 3 * ab * T * E, op, T);
    break;
  case CS__OP_KV_CACHE_SAVE:
    s = mem_s(r, r->mla ? 2 * ab * T * (r->kv_lora + r->rope_d) : 2 * ab * T * 2 * r->nkv * r->d, op, T);
    break;
  case CS__OP_ALL_REDUCE:
    s = allreduce_s(r, T);
    break;
  case CS__OP_SEND_RECV:
    s = r->pp > 1 ? ab * T * E / (r->pp_bps * r->eff_comm) + r->pp_lat_s : 0;
    break;
  default:
    s = 0;
  }
  return s * 1e3;
}

double cs__roofline_moe_op_ms(const cs__roofline *r, int op, double T) {
  const cs_model *m = r->model;
  double ab = r->act_bytes, E = r->E, Hm = r->Hmoe, k = m->experts_per_token, N = m->num_experts;
  double wb = m->weight_bytes > 0 ? m->weight_bytes : 2.0;
  double n_eff = N * (1.0 - pow((N - k) / N, T)); /* expected distinct experts touched */
  double up_n = (m->gated_mlp ? 2 : 1) * Hm, s = 0;
  double shared_H = m->num_shared_experts * Hm;
  if (T <= 0) return 0;
  switch (op) {
  case CS__OP_MLP_UP_PROJ: {
    double flops = 2 * T * k * E * up_n;
    double bytes = wb * n_eff * E * up_n + ab * T * k * (E + up_n);
    double tc = flops / (r->peak_flops * r->eff_c), tm = bytes / (r->hbm_bps * r->eff_m);
    s = combine(r, tc, tm) + r->lat_s + gemm_s(r, T, E, N); /* + router */
    if (shared_H > 0) s += gemm_s(r, T, E, (m->gated_mlp ? 2 : 1) * shared_H);
    break;
  }
  case CS__OP_MLP_DOWN_PROJ: {
    double flops = 2 * T * k * Hm * E;
    double bytes = wb * n_eff * Hm * E + ab * T * k * (Hm + E);
    double tc = flops / (r->peak_flops * r->eff_c), tm = bytes / (r->hbm_bps * r->eff_m);
    s = combine(r, tc, tm) + r->lat_s;
    if (shared_H > 0) s += gemm_s(r, T, shared_H, E);
    break;
  }
  case CS__OP_MLP_ACT:
    s = mem_s(r, ab * T * (k * Hm + shared_H) * (m->gated_mlp ? 3 : 2), CS__OP_MLP_ACT, T);
    break;
  default:
    return cs__roofline_tok_op_ms(r, op, T);
  }
  return s * 1e3;
}


/* For layer compositions outside this file (roofline_ep.c): the same GEMM, grouped-GEMM and
 * element-wise kernel models as above, milliseconds. */
double cs__roofline_gemm_ms(const cs__roofline *r, double m, double k, double n) { return gemm_s(r, m, k, n) * 1e3; }

double cs__roofline_kernel_ms(const cs__roofline *r, double flops, double bytes) {
  double tc = flops / (r->peak_flops * r->eff_c), tm = bytes / (r->hbm_bps * r->eff_m);
  return (combine(r, tc, tm) + r->lat_s) * 1e3;
}

double cs__roofline_elem_ms(const cs__roofline *r, double bytes, int kernel, double T) {
  return T > 0 ? mem_s(r, bytes, kernel, T) * 1e3 : 0;
}
