/* Memory capacity planning (include/capsearch/memplan.h).
 *  - CS_ENGINE_VIDUR: Vidur V1's planner, vidur-semantics §5.2, reproduced operation by
 *    operation (same integer divisions, same float order, Python's float floor division) so
 *    that KV block counts equal Vidur's: the simulator sizes each replica's KV pool with it.
 *  - CS_ENGINE_VLLM: llm-d config_explorer's capacity planner (anchors §3.1) with the §3.3
 *    fixes: explicit KV dtype, ceil(kv_heads/TP) KV-head replication, MLA latent replicated on
 *    every TP rank, per-architecture activation constants, non-torch memory by TP, and
 *    gpu_memory_utilization as a fraction of total memory (vLLM's meaning). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "capsearch/memplan.h"
#include "catalog/catalog_int.h"
#include "catalog/memplan_int.h"

#define GIB 1073741824.0

void cs_memplan_input_defaults(cs_memplan_input *in) {
  memset(in, 0, sizeof *in);
  in->tp = in->pp = in->dp = 1;
  in->gpu_memory_utilization = 0.9;
  in->memory_margin = 0.1;
  in->block_size = 16;
  in->engine = CS_ENGINE_VLLM;
}

/* Python's float // (Objects/floatobject.c float_floor_div), so Vidur's
 * `(available - weights) // kv_per_token` rounds exactly as it does in Python. */
static double py_floordiv(double vx, double wx) {
  double mod = fmod(vx, wx);
  double div = (vx - mod) / wx;
  if (mod != 0.0 && ((wx < 0) != (mod < 0))) div -= 1.0;
  if (div != 0.0) {
    double fl = floor(div);
    if (div - fl > 0.5) fl += 1.0;
    return fl;
  }
  return copysign(0.0, vx / wx);
}

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

static int check_input(const cs_memplan_input *in, cs_err *err) {
  if (!in->model || !in->device) return cs_err_set(err, CS_EINVAL, "memory plan: model and device are required");
  const cs_model *m = in->model;
  if (in->tp < 1 || in->pp < 1 || in->dp < 1)
    return cs_err_set(err, CS_ERANGE, "memory plan: tp, pp and dp must be >= 1 (got tp %d, pp %d, dp %d)", in->tp,
                      in->pp, in->dp);
  if (in->max_model_len < 0)
    return cs_err_set(err, CS_ERANGE, "memory plan: max_model_len must be positive, got %lld",
                      (long long)in->max_model_len);
  if (in->block_size < 1) return cs_err_set(err, CS_ERANGE, "memory plan: block_size must be >= 1");
  if (in->engine == CS_ENGINE_VLLM && !(in->gpu_memory_utilization > 0 && in->gpu_memory_utilization <= 1))
    return cs_err_set(err, CS_ERANGE, "memory plan: gpu_memory_utilization must be in (0, 1], got %g",
                      in->gpu_memory_utilization);
  if (in->engine == CS_ENGINE_VIDUR && !(in->memory_margin >= 0 && in->memory_margin < 1))
    return cs_err_set(err, CS_ERANGE, "memory plan: memory_margin must be in [0, 1), got %g", in->memory_margin);
  if (in->weight_bytes < 0 || in->kv_bytes < 0)
    return cs_err_set(err, CS_ERANGE, "memory plan: weight_bytes and kv_bytes must be >= 0");
  if (in->tp > 1 && m->no_tensor_parallel)
    return cs_err_set(err, CS_ECONFIG, "model '%s' does not support tensor parallelism (TP must be 1, got %d)",
                      m->name, in->tp);
  int valid[64];
  int nv = cs_model_valid_tp(m, in->tp, valid, 64);
  if (nv == 0 || valid[nv - 1] != in->tp) {
    int all[64];
    int na = cs_model_valid_tp(m, 64, all, 64);
    char list[256] = "";
    size_t len = 0;
    for (int i = 0; i < na && len + 8 < sizeof list; i++)
      len += (size_t)snprintf(list + len, sizeof list - len, "%s%d", i ? ", " : "", all[i]);
    if (m->num_q_heads % in->tp)
      return cs_err_set(err, CS_ECONFIG,
                        "TP %d does not divide the %d attention heads of '%s' (valid TP sizes: %s)", in->tp,
                        m->num_q_heads, m->name, list);
    char why[512];
    if (cs__model_quant_tp_refusal(m, in->tp, why, sizeof why))
      return cs_err_set(err, CS_ECONFIG, "%s (valid TP sizes: %s)", why, list);
    return cs_err_set(err, CS_ECONFIG,
                      "TP %d and the %d KV heads of '%s' do not divide one another (valid TP sizes: %s)", in->tp,
                      m->num_kv_heads, m->name, list);
  }
  if (in->engine == CS_ENGINE_VLLM && in->quantization) {
    cs_quant q;
    if (cs__quant_from_name(in->quantization, &q))
      return cs_err_set(err, CS_EINVAL, "memory plan: unknown quantization '%s' (expected one of: %s)",
                        in->quantization, cs__quant_names());
    if (m->quant.method && strcasecmp(q.method, m->quant.method))
      return cs_err_set(err, CS_ECONFIG,
                        "quantization '%s' does not match the checkpoint's quantization_config (%s) of '%s'; vLLM "
                        "refuses the mismatch (leave --quantization out to use the checkpoint's)",
                        in->quantization, m->quant.method, m->name);
    /* vLLM quantizes an unquantized checkpoint in flight only with these; the others read
     * quantized weights and their quantization_config from the checkpoint */
    if (!m->quant.method && strcasecmp(q.method, "fp8") && strcasecmp(q.method, "bitsandbytes"))
      return cs_err_set(err, CS_ECONFIG,
                        "quantization '%s' needs a checkpoint quantized with it, and '%s' has no quantization_config; "
                        "vLLM quantizes an unquantized checkpoint only with fp8 or bitsandbytes (or give a %s "
                        "checkpoint)",
                        in->quantization, m->name, q.method);
  }
  if (in->pp > m->num_layers)
    return cs_err_set(err, CS_ECONFIG, "PP %d exceeds the %d layers of '%s'", in->pp, m->num_layers, m->name);
  if (in->engine == CS_ENGINE_VIDUR) {
    if (m->num_layers % in->pp)
      return cs_err_set(err, CS_ECONFIG, "PP %d does not divide the %d layers of '%s' (Vidur needs equal stages)",
                        in->pp, m->num_layers, m->name);
    if (m->num_experts > 0 || m->kv_lora_rank > 0)
      return cs_err_set(err, CS_ECONFIG,
                        "the Vidur memory planner does not model %s (model '%s'); use the vllm engine",
                        m->num_experts > 0 ? "mixture-of-experts MLPs" : "multi-head latent attention", m->name);
  } else if (in->engine != CS_ENGINE_VLLM) {
    return cs_err_set(err, CS_EINVAL, "memory plan: unknown engine %d", (int)in->engine);
  }
  return 0;
}

/* Vidur V1 (§5.2). head_dim = E / q_heads as Vidur computes it; weights 2 bytes (fp16) and KV
 * 2 bytes unless the input overrides them. */
static void plan_vidur(const cs_memplan_input *in, int64_t T, cs_memplan *o) {
  const cs_model *m = in->model;
  const int64_t E = m->hidden, L = m->num_layers, H = m->mlp_hidden;
  const int64_t hd = E / m->num_q_heads;
  const int64_t q_tp = m->num_q_heads / in->tp;
  const int64_t kv_tp = ceil_div(m->num_kv_heads, in->tp);
  const int64_t mats = m->gated_mlp ? 3 : 2;
  const int64_t per_layer = E * hd * (q_tp + 2 * kv_tp) + E * hd * q_tp + mats * E * H / in->tp;
  const int64_t params_dev = per_layer * (L / in->pp);
  const double wb = in->weight_bytes > 0 ? in->weight_bytes : 2.0;
  const double kvb = in->kv_bytes > 0 ? in->kv_bytes : 2.0;
  const double avail = in->device->memory_gib * GIB * (1.0 - in->memory_margin);
  const double weights = wb * (double)params_dev;
  const double kv_per_token = kvb * 2.0 * (double)hd * (double)kv_tp * (double)(L / in->pp);
  double tokens = py_floordiv(avail - weights, kv_per_token);
  if (tokens < 0) tokens = 0;
  o->total_gib = in->device->memory_gib;
  o->usable_gib = avail / GIB;
  o->weights_gib = weights / GIB;
  o->kv_gib = avail > weights ? (avail - weights) / GIB : 0;
  o->kv_bytes_per_token = kvb * 2.0 * (double)hd * (double)m->num_kv_heads * (double)L;
  o->kv_bytes_per_token_gpu = kv_per_token;
  o->kv_tokens = (int64_t)tokens;
  o->num_blocks = o->kv_tokens / in->block_size;
  if (weights >= avail)
    o->why = "the weights alone exceed the usable memory (total x (1 - memory margin))";
  else if (o->kv_tokens < T)
    o->why = "the KV cache cannot hold one request of max_model_len tokens";
}

/* The quantization scheme in force: --quantization overrides nothing; it must agree with the
 * checkpoint's (vLLM refuses a mismatch) or quantize an unquantized checkpoint online. */
static const cs_quant *effective_quant(const cs_memplan_input *in, cs_quant *online) {
  if (in->quantization && !in->model->quant.method && !cs__quant_from_name(in->quantization, online)) return online;
  return in->model->quant.method ? &in->model->quant : NULL;
}

/* vLLM's batch defaults (EngineArgs): larger on >= 70 GiB GPUs other than the A100. */
static void batch_defaults(const cs_memplan_input *in, double total_gib, int64_t *T, int64_t *R) {
  bool big = total_gib >= 70 && !strstr(in->device->name, "a100");
  *T = in->max_num_batched_tokens > 0 ? in->max_num_batched_tokens : (big ? 8192 : 2048);
  int64_t seqs = in->max_num_seqs > 0 ? in->max_num_seqs : (big ? 1024 : 256);
  *R = seqs < *T ? seqs : *T;
}

/* KV-cache groups of one stage (vLLM's hybrid allocator, uniform page size): layers of one
 * kind (full, sliding) are cut into groups of group_size; each block is one page in every
 * group, and the log's token count is num_blocks / groups x block_size. */
static void kv_groups(int full, int sliding, int *group_size, int *groups) {
  if (full == 0 || sliding == 0) {
    *group_size = full + sliding;
    *groups = 1;
    return;
  }
  int lo = full < sliding ? full : sliding, hi = full < sliding ? sliding : full;
  *group_size = hi < 1.25 * lo ? hi : lo;
  *groups = (full + *group_size - 1) / *group_size + (sliding + *group_size - 1) / *group_size;
}

/* vLLM 0.19's start-up accounting per GPU; the replica's blocks are the fewest any pipeline
 * stage has. */
static void plan_vllm(const cs_memplan_input *in, int64_t T, cs_memplan *o) {
  const cs_model *m = in->model;
  cs_quant online;
  const cs_quant *q = effective_quant(in, &online);
  const double db = in->weight_bytes > 0 ? in->weight_bytes : 2.0; /* auto: 16-bit, float32 -> bf16 */
  const double kvb = in->kv_bytes > 0 ? in->kv_bytes : db; /* auto: the compute dtype */
  const int ep = in->expert_parallel && m->num_experts > 0 ? in->tp * in->dp : 1;
  o->total_gib = in->device->torch_gib > 0 ? in->device->torch_gib : in->device->memory_gib;
  o->usable_gib = o->total_gib * in->gpu_memory_utilization;
  batch_defaults(in, o->total_gib, &o->batched_tokens, &o->num_seqs);
  o->activation_gib = cs__vllm_activation_bytes(m, in->tp, ep, o->batched_tokens, o->num_seqs) / GIB;
  o->non_torch_gib = cs__vllm_non_torch_gib(in->tp);
  const double layer_kv = cs__vllm_kv_layer_bytes(m, in->tp, kvb);
  o->kv_bytes_per_token = cs__vllm_kv_layer_bytes(m, 1, kvb) * m->num_layers;
  if (m->kv_lora_rank == 0) o->kv_bytes_per_token = 2.0 * m->num_kv_heads * m->head_dim * kvb * m->num_layers;
  const int W = m->sliding_window;
  const bool window_binds = W > 0 && W < T; /* a window wider than the request is full attention */
  o->num_blocks = -1;
  for (int s = 0; s < in->pp; s++) {
    int lo, hi;
    cs__pp_stage(m->num_layers, in->pp, s, &lo, &hi);
    const int n = hi - lo;
    const int sliding = (int)llround((double)m->num_sliding_layers * n / m->num_layers);
    int gsize, groups;
    kv_groups(n - sliding, sliding, &gsize, &groups);
    const double w = cs__vllm_stage_weights(m, q, in->tp, ep, db, in->pp, s) / GIB;
    const double kv = o->usable_gib - w - o->activation_gib - o->non_torch_gib;
    const double page = layer_kv * in->block_size;
    int64_t blocks = kv > 0 ? (int64_t)floor(kv * GIB / page / gsize) : 0;
    int64_t tokens = blocks / groups * in->block_size;
    if (o->num_blocks < 0 || tokens < o->kv_tokens) {
      o->num_blocks = blocks;
      o->kv_tokens = tokens;
      o->kv_groups = groups;
      o->weights_gib = w;
      o->kv_gib = kv > 0 ? kv : 0;
      o->kv_bytes_per_token_gpu = layer_kv * n;
      /* one request of T tokens: every full layer holds T, a sliding one its window's worth */
      const double need = layer_kv * ((double)(n - sliding) * (double)T +
                                      (double)sliding * (double)(window_binds ? W - 1 + o->batched_tokens : T));
      /* vLLM's max concurrency: blocks per request summed over the groups, a sliding group
       * needing its window plus one batch and one block */
      const int64_t bs = in->block_size, full_blocks = ceil_div(T, bs);
      const int64_t slide_tokens = W - 1 + o->batched_tokens < T ? W - 1 + o->batched_tokens : T;
      const int64_t slide_blocks = window_binds ? ceil_div(slide_tokens, bs) + 1 : full_blocks;
      const int nf = (n - sliding + gsize - 1) / gsize, ns = groups - nf;
      o->max_concurrent = blocks / (nf * full_blocks + ns * slide_blocks);
      if (w >= o->usable_gib)
        o->why = "the weights alone exceed the usable memory (torch-visible total x gpu_memory_utilization)";
      else if (kv <= 0)
        o->why = "no memory is left for the KV cache after weights, activation peak and non-torch memory";
      else if (need > kv * GIB)
        o->why = "the KV cache cannot hold one request of max_model_len tokens";
      else
        o->why = NULL;
    }
  }
}

static void plan_one(const cs_memplan_input *in, cs_memplan *o) {
  memset(o, 0, sizeof *o);
  const int64_t T = in->max_model_len > 0 ? in->max_model_len : cs_model_context_limit(in->model);
  o->num_gpus = in->tp * in->pp * in->dp;
  if (in->engine == CS_ENGINE_VIDUR)
    plan_vidur(in, T, o);
  else
    plan_vllm(in, T, o);
  o->fits = o->why == NULL;
  if (in->engine == CS_ENGINE_VIDUR) o->max_concurrent = o->num_blocks / ceil_div(T, in->block_size);
  const int64_t limit = cs_model_context_limit(in->model);
  o->max_context = o->kv_tokens < limit ? o->kv_tokens : limit;
}

/* Fewest GPUs (TP x PP, TP within one 8-GPU node and valid for the model) that fit. */
static int min_gpus(const cs_memplan_input *in) {
  int tps[8];
  int ntp = cs_model_valid_tp(in->model, 8, tps, 8);
  for (int n = 1; n <= 1024; n++) {
    for (int i = 0; i < ntp; i++) {
      if (n % tps[i]) continue;
      int pp = n / tps[i];
      if (pp > in->model->num_layers) continue;
      if (in->engine == CS_ENGINE_VIDUR && in->model->num_layers % pp) continue;
      cs_memplan_input c = *in;
      c.tp = tps[i];
      c.pp = pp;
      c.dp = 1;
      cs_memplan p;
      plan_one(&c, &p);
      if (p.fits) return n;
    }
  }
  return 0;
}

int cs_memplan_compute(const cs_memplan_input *in, cs_memplan *out, cs_err *err) {
  int rc = check_input(in, err);
  if (rc) return rc;
  plan_one(in, out);
  out->min_gpus = out->fits && in->tp * in->pp == 1 ? 1 : min_gpus(in);
  return 0;
}
