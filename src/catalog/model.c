/* Model architecture arithmetic: dtype sizes, defaults and checks, parameter count, attention
 * kind, valid tensor-parallel sizes. Pure functions of a cs_model. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "catalog/catalog_int.h"

typedef struct dtype_size {
  const char *name;
  double bytes;
} dtype_size;

/* Names as they appear in HF torch_dtype / vLLM --dtype / --kv-cache-dtype / quant_method. */
static const dtype_size dtypes[] = {
    {"float32", 4},     {"fp32", 4},      {"float", 4},      {"bfloat16", 2},  {"bf16", 2},
    {"float16", 2},     {"fp16", 2},      {"half", 2},       {"fp8", 1},       {"float8", 1},
    {"fp8_e4m3", 1},    {"fp8_e5m2", 1},  {"float8_e4m3fn", 1}, {"float8_e5m2", 1}, {"int8", 1},
    {"w8a8", 1},        {"int4", 0.5},    {"fp4", 0.5},      {"nvfp4", 0.5625}, {"mxfp4", 4.25 / 8},
    {"awq", 0.5},       {"gptq", 0.5},    {"w4a16", 0.5},
};

double cs__dtype_bytes(const char *name) {
  if (!name) return 0;
  for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
    if (!strcasecmp(name, dtypes[i].name)) return dtypes[i].bytes;
  return 0;
}

const char *cs__dtype_names(void) {
  return "float32, bfloat16, float16, fp8 (fp8_e4m3, fp8_e5m2), int8, int4, fp4, nvfp4, mxfp4, awq, gptq";
}

static int bad(cs_err *err, const char *where, const char *fmt_field, long long v, const char *expect) {
  return cs_err_set(err, CS_ECONFIG, "%s: %s is %lld, expected %s", where, fmt_field, v, expect);
}

/* The one range of every architecture number a model file may give, generous beyond any
 * published model yet small enough that plan's per-layer and per-GPU searches stay quick (a
 * config.json with 10 million layers made `plan` run for hours). `hf_key` is the config.json
 * spelling (its first), `off` the cs_model field (SIZE_MAX for keys only config.json has);
 * `unset0`: 0 in the struct means "not given, derived" and is not range-checked. */
#define CS__MB(field, key, lo, hi, unset0) {#field, key, offsetof(cs_model, field), lo, hi, unset0}
static const cs__model_bound model_bounds[] = {
    CS__MB(num_layers, "num_hidden_layers", 1, 1024, false),
    CS__MB(hidden, "hidden_size", 1, 131072, false),
    CS__MB(num_q_heads, "num_attention_heads", 1, 8192, false),
    CS__MB(num_kv_heads, "num_key_value_heads", 1, 8192, true),
    CS__MB(head_dim, "head_dim", 1, 8192, true),
    CS__MB(mlp_hidden, "intermediate_size", 0, 1048576, false),
    CS__MB(vocab, "vocab_size", 1, 4194304, false),
    CS__MB(max_positions, "max_position_embeddings", 1, 268435456, false),
    CS__MB(num_experts, "num_local_experts", 0, 4096, false),
    CS__MB(experts_per_token, "num_experts_per_tok", 0, 4096, false),
    CS__MB(moe_mlp_hidden, "moe_intermediate_size", 0, 1048576, false),
    CS__MB(num_shared_experts, "n_shared_experts", 0, 4096, false),
    CS__MB(shared_expert_hidden, "shared_expert_intermediate_size", 0, 1048576, false),
    CS__MB(first_dense_layers, "first_k_dense_replace", 0, 1024, false),
    CS__MB(kv_lora_rank, "kv_lora_rank", 0, 65536, false),
    CS__MB(q_lora_rank, "q_lora_rank", 0, 65536, false),
    CS__MB(qk_rope_head_dim, "qk_rope_head_dim", 0, 8192, false),
    CS__MB(qk_nope_head_dim, "qk_nope_head_dim", 0, 8192, false),
    CS__MB(v_head_dim, "v_head_dim", 0, 8192, false),
    CS__MB(rotary_dim, "rotary_dim", 0, 8192, false),
    CS__MB(sliding_window, "sliding_window", 0, 1073741824, false),
    {NULL, "sliding_window_pattern", SIZE_MAX, 0, 1024, false},
};
#undef CS__MB

const cs__model_bound *cs__model_bound_of(const char *hf_key) {
  for (size_t i = 0; i < sizeof model_bounds / sizeof model_bounds[0]; i++)
    if (!strcmp(model_bounds[i].hf_key, hf_key)) return &model_bounds[i];
  return NULL;
}

static int check_bounds(const cs_model *m, const char *where, cs_err *err) {
  for (size_t i = 0; i < sizeof model_bounds / sizeof model_bounds[0]; i++) {
    const cs__model_bound *b = &model_bounds[i];
    if (b->off == SIZE_MAX) continue;
    int v = *(const int *)(const void *)((const char *)m + b->off);
    if (v == 0 && b->unset0) continue;
    if (v < b->lo || v > b->hi)
      return cs_err_set(err, CS_ECONFIG, "%s: %s is %d, expected %d to %d", where, b->field, v, b->lo, b->hi);
  }
  return 0;
}

int cs__model_finish(cs_model *m, const char *where, cs_err *err) {
  int brc = check_bounds(m, where, err);
  if (brc) return brc;
  if (m->num_layers < 1) return bad(err, where, "num_layers", m->num_layers, ">= 1");
  if (m->num_q_heads < 1) return bad(err, where, "num_q_heads", m->num_q_heads, ">= 1");
  if (m->hidden < 1) return bad(err, where, "hidden", m->hidden, ">= 1");
  if (m->vocab < 1) return bad(err, where, "vocab", m->vocab, ">= 1");
  if (m->max_positions < 1) return bad(err, where, "max_positions", m->max_positions, ">= 1");
  if (m->max_context < 0) return bad(err, where, "max_context", (long long)m->max_context, ">= 0");
  if (m->max_context == 0) m->max_context = m->max_positions;
  if (m->num_kv_heads == 0) m->num_kv_heads = m->num_q_heads;
  bool mla = m->kv_lora_rank > 0;
  if (!mla && m->num_q_heads % m->num_kv_heads != 0)
    return cs_err_set(err, CS_ECONFIG, "%s: num_q_heads %d is not a multiple of num_kv_heads %d", where, m->num_q_heads,
                      m->num_kv_heads);
  if (mla && (m->qk_rope_head_dim < 1 || m->qk_nope_head_dim < 1 || m->v_head_dim < 1))
    return cs_err_set(err, CS_ECONFIG,
                      "%s: multi-head latent attention (kv_lora_rank %d) needs qk_rope_head_dim, qk_nope_head_dim and "
                      "v_head_dim >= 1",
                      where, m->kv_lora_rank);
  if (m->head_dim == 0) {
    if (mla) {
      m->head_dim = m->qk_nope_head_dim + m->qk_rope_head_dim;
    } else {
      if (m->hidden % m->num_q_heads != 0)
        return cs_err_set(err, CS_ECONFIG, "%s: hidden %d is not divisible by num_q_heads %d; give head_dim", where,
                          m->hidden, m->num_q_heads);
      m->head_dim = m->hidden / m->num_q_heads;
    }
  }
  if (m->num_experts > 0) {
    if (m->experts_per_token < 1 || m->experts_per_token > m->num_experts)
      return cs_err_set(err, CS_ECONFIG, "%s: experts_per_token is %d, expected 1..num_experts (%d)", where,
                        m->experts_per_token, m->num_experts);
    if (m->moe_mlp_hidden == 0) m->moe_mlp_hidden = m->mlp_hidden;
    if (m->moe_mlp_hidden < 1) return bad(err, where, "moe_mlp_hidden", m->moe_mlp_hidden, ">= 1");
    if (m->first_dense_layers > m->num_layers)
      return bad(err, where, "first_dense_layers", m->first_dense_layers, "<= num_layers");
    if (m->first_dense_layers > 0 && m->mlp_hidden < 1)
      return bad(err, where, "mlp_hidden", m->mlp_hidden, ">= 1 (the dense layers' MLP width)");
  } else {
    if (m->mlp_hidden < 1) return bad(err, where, "mlp_hidden", m->mlp_hidden, ">= 1");
    if (m->experts_per_token || m->num_shared_experts || m->moe_mlp_hidden)
      return cs_err_set(err, CS_ECONFIG, "%s: MoE fields given but num_experts is 0", where);
  }
  if (!m->norm) m->norm = "rms";
  if (strcmp(m->norm, "rms") && strcmp(m->norm, "layer"))
    return cs_err_set(err, CS_ECONFIG, "%s: norm is '%s', expected 'rms' or 'layer'", where, m->norm);
  if (!m->activation) m->activation = m->gated_mlp ? "silu" : "gelu";
  if (!m->family) m->family = "unknown";
  if (!m->architecture) m->architecture = "unknown";
  if (!m->dtype) m->dtype = "bfloat16";
  double db = cs__dtype_bytes(m->dtype);
  if (db <= 0)
    return cs_err_set(err, CS_ECONFIG, "%s: unknown dtype '%s' (expected one of: %s)", where, m->dtype,
                      cs__dtype_names());
  if (m->quant.method && m->quant.bits > 0 && m->weight_bytes <= 0) m->weight_bytes = m->quant.bits / 8.0;
  if (m->weight_bytes <= 0) m->weight_bytes = db;
  cs__model_arch_defaults(m);
  if (m->num_params <= 0) m->num_params = cs__model_param_count(m);
  return 0;
}

static bool arch_is(const char *arch, const char *const *names, bool prefix) {
  for (size_t i = 0; names[i]; i++)
    if (prefix ? !strncmp(arch, names[i], strlen(names[i])) : !strcmp(arch, names[i])) return true;
  return false;
}

/* Layout details vLLM's model classes have by architecture (not in config.json). */
void cs__model_arch_defaults(cs_model *m) {
  const char *a = m->architecture ? m->architecture : "";
  static const char *const qkv_bias[] = {"Qwen2", "QWen", "PhiForCausalLM", NULL};
  static const char *const all_bias[] = {"PhiForCausalLM", NULL};
  static const char *const qk_norm[] = {"Qwen3", "Gemma3", "Olmo2", NULL};
  if (arch_is(a, qkv_bias, true)) m->qkv_bias = true;
  if (arch_is(a, all_bias, false)) m->o_bias = true;
  if (arch_is(a, qk_norm, true)) m->qk_norm = true;
  if (m->rotary_dim <= 0) m->rotary_dim = m->kv_lora_rank > 0 ? m->qk_rope_head_dim : m->head_dim;
}

bool cs__arch_ties_embeddings(const char *arch) {
  /* transformers config classes whose tie_word_embeddings defaults to true */
  static const char *const tied[] = {"Gemma", "GPT2", "GPTBigCode", "OPT", "Bloom", "Falcon", "Starcoder2", NULL};
  return arch && arch_is(arch, tied, true);
}

int64_t cs__model_param_count(const cs_model *m) {
  const int64_t E = m->hidden, L = m->num_layers, V = m->vocab;
  const int64_t nq = m->num_q_heads, nkv = m->num_kv_heads, hd = m->head_dim;
  int64_t total = V * E + (m->tie_embeddings ? 0 : V * E) + (m->o_bias ? V : 0);
  const int64_t norm = (m->norm && !strcmp(m->norm, "layer")) ? 2 * E : E; /* LayerNorm has a bias */
  total += norm;                                                             /* final norm */
  int64_t attn;
  if (m->kv_lora_rank > 0) {
    /* MLA (DeepSeek-V2/V3): low-rank q (optional) and a shared compressed KV latent. */
    const int64_t qk = m->qk_nope_head_dim + m->qk_rope_head_dim;
    const int64_t ql = m->q_lora_rank;
    attn = ql > 0 ? E * ql + ql + ql * nq * qk : E * nq * qk;
    attn += E * (m->kv_lora_rank + m->qk_rope_head_dim) + m->kv_lora_rank;
    attn += (int64_t)m->kv_lora_rank * nq * (m->qk_nope_head_dim + m->v_head_dim);
    attn += nq * m->v_head_dim * E;
  } else {
    attn = E * (nq + 2 * nkv) * hd + nq * hd * E; /* q, k, v projections + output projection */
  }
  if (m->qkv_bias) attn += (nq + 2 * nkv) * hd;
  if (m->o_bias) attn += E;
  if (m->qk_norm) attn += 2 * hd;
  const int64_t mats = m->gated_mlp ? 3 : 2;
  int64_t dense_mlp = mats * E * m->mlp_hidden;
  if (m->o_bias) dense_mlp += m->mlp_hidden + E;
  int64_t moe_mlp = 0;
  if (m->num_experts > 0) {
    moe_mlp = (int64_t)(m->num_experts + m->num_shared_experts) * mats * E * m->moe_mlp_hidden +
              E * m->num_experts; /* + router */
    if (m->shared_expert_hidden > 0) moe_mlp += mats * E * m->shared_expert_hidden + E; /* + its gate */
  }
  const int64_t layer_norms = (m->post_attn_norm ? 2 : 1) * norm;
  for (int64_t l = 0; l < L; l++) {
    bool moe = m->num_experts > 0 && l >= m->first_dense_layers;
    total += attn + layer_norms + (moe ? moe_mlp : dense_mlp);
  }
  return total;
}

cs_attn_kind cs_model_attn_kind(const cs_model *m) {
  if (m->kv_lora_rank > 0) return CS_ATTN_MLA;
  if (m->num_kv_heads == m->num_q_heads) return CS_ATTN_MHA;
  if (m->num_kv_heads == 1) return CS_ATTN_MQA;
  return CS_ATTN_GQA;
}

int cs_model_valid_tp(const cs_model *m, int max_tp, int *out, int cap) {
  int n = 0;
  for (int tp = 1; tp <= max_tp && n < cap; tp++) {
    if (tp > 1 && m->no_tensor_parallel) break;
    if (m->num_q_heads % tp) continue;
    /* KV heads are split across ranks or, when fewer than the ranks, replicated: vLLM needs one
     * to divide the other. MLA has one latent shared by all heads, replicated on every rank. */
    if (m->kv_lora_rank == 0 && m->num_kv_heads % tp && tp % m->num_kv_heads) continue;
    if (cs__model_quant_tp_refusal(m, tp, NULL, 0)) continue;
    out[n++] = tp;
  }
  return n;
}

/* vLLM's quantized linear layers need every TP shard to hold whole quantization groups (the
 * row-parallel down/o projections split their inputs) and whole packed words (column-parallel
 * outputs); fp8 block-wise scales need whole blocks. vLLM refuses the engine otherwise
 * ("The input size is not aligned with the quantized weight shape"). */
bool cs__model_quant_tp_refusal(const cs_model *m, int tp, char *why, size_t size) {
  const cs_quant *q = &m->quant;
  if (!q->method || tp <= 1) return false;
  /* mxfp4, nvfp4 and bitsandbytes kernels pad or re-block their shards */
  if (!strcmp(q->method, "mxfp4") || !strcmp(q->method, "nvfp4") || !strcmp(q->method, "bitsandbytes")) return false;
  const int g = q->block > 0 ? q->block : q->group_size;
  if (g <= 0) return false;
  struct {
    const char *what;
    int64_t width;
  } split[] = {{"MLP width (intermediate_size)", m->num_experts > 0 && m->first_dense_layers == 0 ? 0 : m->mlp_hidden},
               {"expert width (moe_intermediate_size)", m->num_experts > 0 ? m->moe_mlp_hidden : 0},
               {"attention output width (heads x head_dim)", (int64_t)m->num_q_heads * m->head_dim}};
  for (size_t i = 0; i < 3; i++) {
    if (split[i].width <= 0) continue;
    if (split[i].width % tp == 0 && (split[i].width / tp) % g == 0) continue;
    if (why)
      snprintf(why, size,
               "TP %d splits the %s %lld of '%s' into %lld per GPU, not a multiple of the %s group size %d "
               "(vLLM refuses: the input size is not aligned with the quantized weight shape)",
               tp, split[i].what, (long long)split[i].width, m->name, (long long)(split[i].width / tp), q->method, g);
    return true;
  }
  return false;
}

int64_t cs_model_context_limit(const cs_model *m) { return m->max_context > 0 ? m->max_context : m->max_positions; }

double cs_dtype_bytes(const char *name) { return cs__dtype_bytes(name); }
