/* Hugging Face config.json -> cs_model. Reads the keys transformers' config classes use (with
 * the older GPT-style spellings as fallbacks), multimodal wrappers' text_config, MoE and MLA
 * keys, and quantization_config for the bytes per weight. Missing keys fail naming
 * file:line:col and the key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/catalog_int.h"
#include "util/fs.h"
#include "util/sbuf.h"

typedef struct hf_model {
  cs_model m; /* first, so cs_model_free can recover the wrapper */
  cs__arena mem;
} hf_model;

typedef struct reader {
  const cs__ydoc *d;
  const cs__ynode *cfg;  /* the map holding the text model's keys */
  const cs__ynode *root; /* the top-level map */
  cs_err *err;
  const char *model_type; /* the text config's model_type, for class defaults */
} reader;

/* Defaults of transformers' config classes for keys a config.json may leave out (vLLM builds
 * the config class, so an absent key takes the class default). Key names as in keys[0]. */
typedef struct class_default {
  const char *model_type, *key;
  int value;
} class_default;
static const class_default class_defaults[] = {
    {"gemma3_text", "vocab_size", 262208},     {"gemma3_text", "hidden_size", 2304},
    {"gemma3_text", "intermediate_size", 9216}, {"gemma3_text", "num_hidden_layers", 26},
    {"gemma3_text", "num_attention_heads", 8}, {"gemma3_text", "num_key_value_heads", 4},
    {"gemma3_text", "head_dim", 256},          {"gemma3_text", "max_position_embeddings", 131072},
    {"gemma3_text", "sliding_window", 4096},   {"gemma2", "vocab_size", 256000},
    {"gemma2", "hidden_size", 2304},           {"gemma2", "intermediate_size", 9216},
    {"gemma2", "num_hidden_layers", 26},       {"gemma2", "num_attention_heads", 8},
    {"gemma2", "num_key_value_heads", 4},      {"gemma2", "head_dim", 256},
    {"gemma2", "max_position_embeddings", 8192}, {"gemma2", "sliding_window", 4096},
    {"gemma", "vocab_size", 256000},           {"gemma", "hidden_size", 3072},
    {"gemma", "intermediate_size", 24576},     {"gemma", "num_hidden_layers", 28},
    {"gemma", "num_attention_heads", 16},      {"gemma", "num_key_value_heads", 16},
    {"gemma", "head_dim", 256},                {"gemma", "max_position_embeddings", 8192},
    {"llama", "vocab_size", 32000},            {"llama", "hidden_size", 4096},
    {"llama", "intermediate_size", 11008},     {"llama", "num_hidden_layers", 32},
    {"llama", "num_attention_heads", 32},      {"llama", "max_position_embeddings", 2048},
    {"mistral", "vocab_size", 32000},          {"mistral", "hidden_size", 4096},
    {"mistral", "intermediate_size", 14336},   {"mistral", "num_hidden_layers", 32},
    {"mistral", "num_attention_heads", 32},    {"mistral", "num_key_value_heads", 8},
    {"mistral", "max_position_embeddings", 131072}, {"mixtral", "vocab_size", 32000},
    {"mixtral", "hidden_size", 4096},          {"mixtral", "intermediate_size", 14336},
    {"mixtral", "num_hidden_layers", 32},      {"mixtral", "num_attention_heads", 32},
    {"mixtral", "num_key_value_heads", 8},     {"mixtral", "max_position_embeddings", 131072},
    {"mixtral", "num_local_experts", 8},       {"mixtral", "num_experts_per_tok", 2},
    {"qwen2", "vocab_size", 151936},           {"qwen2", "hidden_size", 4096},
    {"qwen2", "intermediate_size", 22016},     {"qwen2", "num_hidden_layers", 32},
    {"qwen2", "num_attention_heads", 32},      {"qwen2", "num_key_value_heads", 32},
    {"qwen2", "max_position_embeddings", 32768}, {"qwen3", "vocab_size", 151936},
    {"qwen3", "hidden_size", 4096},            {"qwen3", "intermediate_size", 22016},
    {"qwen3", "num_hidden_layers", 32},        {"qwen3", "num_attention_heads", 32},
    {"qwen3", "num_key_value_heads", 32},      {"qwen3", "head_dim", 128},
    {"qwen3", "max_position_embeddings", 32768}, {"phi", "vocab_size", 51200},
    {"phi", "hidden_size", 2048},              {"phi", "intermediate_size", 8192},
    {"phi", "num_hidden_layers", 24},          {"phi", "num_attention_heads", 32},
    {"phi", "max_position_embeddings", 2048},  {"phi3", "vocab_size", 32064},
    {"phi3", "hidden_size", 3072},             {"phi3", "intermediate_size", 8192},
    {"phi3", "num_hidden_layers", 32},         {"phi3", "num_attention_heads", 32},
    {"phi3", "max_position_embeddings", 4096},
};

static bool class_default_of(const reader *r, const char *key, int *out) {
  if (!r->model_type) return false;
  for (size_t i = 0; i < sizeof class_defaults / sizeof class_defaults[0]; i++)
    if (!strcmp(class_defaults[i].model_type, r->model_type) && !strcmp(class_defaults[i].key, key)) {
      *out = class_defaults[i].value;
      return true;
    }
  return false;
}

/* First present, non-null key of `keys` in the text config (then the root). */
static const cs__ynode *get_any(const reader *r, const char *const *keys, const char **which) {
  for (int pass = 0; pass < 2; pass++) {
    const cs__ynode *m = pass ? r->root : r->cfg;
    if (pass && m == r->cfg) break;
    for (size_t i = 0; keys[i]; i++) {
      const cs__ynode *v = cs__ymap_get(m, keys[i]);
      if (v && !cs__y_is_null(v)) {
        if (which) *which = keys[i];
        return v;
      }
    }
  }
  return NULL;
}

/* Reads an integer key; when absent: error if required (naming keys[0]), else leaves *out. */
static int get_int(const reader *r, const char *const *keys, bool required, const char *meaning, int *out) {
  const char *which = keys[0];
  const cs__ynode *v = get_any(r, keys, &which);
  if (!v) {
    if (class_default_of(r, keys[0], out)) return 0;
    if (!required) return 0;
    char w[512];
    cs__y_where(r->d, r->cfg, w, sizeof w);
    return cs_err_set(r->err, CS_EPARSE, "%s: missing key '%s' (%s)", w, keys[0], meaning);
  }
  int64_t iv;
  int rc = cs__y_int(r->d, v, which, &iv, r->err);
  if (rc) return rc;
  const cs__model_bound *b = cs__model_bound_of(keys[0]);
  if (!b) return cs_err_set(r->err, CS_EINVAL, "no range declared for config.json key '%s'", keys[0]);
  if (iv < b->lo || iv > b->hi) {
    char w[512];
    cs__y_where(r->d, v, w, sizeof w);
    return cs_err_set(r->err, CS_EPARSE, "%s: %s: expected an integer from %d to %d, got %lld", w, which, b->lo,
                      b->hi, (long long)iv);
  }
  *out = (int)iv;
  return 0;
}

static const char *get_str(const reader *r, const char *const *keys) {
  const cs__ynode *v = get_any(r, keys, NULL);
  return v && v->kind == CS_Y_SCALAR ? v->str : NULL;
}

/* The context rope_scaling extends max_position_embeddings to, as vLLM derives max_model_len
 * (vllm/config.py _get_and_verify_max_len): "yarn" scales original_max_position_embeddings by
 * factor; "linear"/"dynamic" scale max_position_embeddings; "llama3", "longrope", "su" and
 * "default" already give the extended length in max_position_embeddings. */
static int64_t rope_context(const reader *r, int max_positions) {
  const cs__ynode *rs = get_any(r, (const char *const[]){"rope_scaling", NULL}, NULL);
  if (!rs || rs->kind != CS_Y_MAP) return max_positions;
  if (r->model_type && !strncmp(r->model_type, "gemma3", 6)) return max_positions; /* vLLM exempts Gemma-3 */
  const cs__ynode *t = cs__ymap_get(rs, "rope_type");
  if (!t || t->kind != CS_Y_SCALAR) t = cs__ymap_get(rs, "type");
  const char *type = t && t->kind == CS_Y_SCALAR ? t->str : "";
  const cs__ynode *f = cs__ymap_get(rs, "factor");
  double factor = 0;
  if (!f || cs__y_double(r->d, f, "rope_scaling.factor", &factor, NULL) || !(factor >= 1) || factor > 1e4)
    return max_positions;
  double base = max_positions;
  if (!strcmp(type, "yarn")) {
    const cs__ynode *o = cs__ymap_get(rs, "original_max_position_embeddings");
    double orig = 0;
    if (o && !cs__y_double(r->d, o, "original_max_position_embeddings", &orig, NULL) && orig >= 1 && orig <= 2e9)
      base = orig;
  } else if (strcmp(type, "linear") && strcmp(type, "dynamic")) {
    return max_positions;
  }
  double ext = base * factor;
  return ext > max_positions ? (int64_t)ext : max_positions;
}

/* Architectures with a plain (2-matrix) MLP and LayerNorm, and those whose attention and MLP
 * read the same norm in parallel (no post-attention norm). Everything else is Llama-like. */
static bool arch_matches(const char *arch, const char *const *prefixes) {
  for (size_t i = 0; prefixes[i]; i++)
    if (!strncmp(arch, prefixes[i], strlen(prefixes[i]))) return true;
  return false;
}
static const char *const plain_mlp_archs[] = {"PhiFor", "GPT2", "GPTNeoX", "GPTJ", "OPT", "Bloom",
                                              "Falcon", "GPTBigCode", "Starcoder2", "MPT", NULL};
static const char *const parallel_archs[] = {"PhiFor", "GPTJ", "Falcon", "GPTNeoX", NULL};

/* quantization_config (top level, else in the text config) -> m->quant. */
static int read_quant(const reader *r, cs__arena *mem, cs_model *m) {
  const cs__ynode *q = cs__ymap_get(r->root, "quantization_config");
  if (!q || q->kind != CS_Y_MAP) q = cs__ymap_get(r->cfg, "quantization_config");
  if (!q || q->kind != CS_Y_MAP) return 0;
  int rc = cs__quant_from_hf(r->d, q, mem, &m->quant, r->err);
  if (rc) return rc;
  m->weight_bytes = m->quant.bits / 8.0;
  return 0;
}

static double get_num(const reader *r, const cs__ynode *map, const char *key, double dflt) {
  const cs__ynode *v = map ? cs__ymap_get(map, key) : NULL;
  double x;
  if (!v || cs__y_is_null(v) || cs__y_double(r->d, v, key, &x, NULL)) return dflt;
  return x;
}

/* Sliding-window layers: Gemma-2 alternates (even layers slide), Gemma-3 slides on all but
 * every sliding_window_pattern-th layer, `layer_types` lists them; Mistral/Phi-3 slide on every
 * layer; Qwen2's use_sliding_window false turns it off. */
static void read_sliding(const reader *r, cs_model *m) {
  int win = 0;
  get_int(r, (const char *const[]){"sliding_window", NULL}, false, "", &win);
  const cs__ynode *use = get_any(r, (const char *const[]){"use_sliding_window", NULL}, NULL);
  bool on = true;
  if (use) cs__y_bool(r->d, use, "use_sliding_window", &on, NULL);
  if (win <= 0 || !on) return;
  m->sliding_window = win;
  const cs__ynode *lt = get_any(r, (const char *const[]){"layer_types", NULL}, NULL);
  int pattern = 0;
  const char *fam = m->family ? m->family : "";
  if (lt && lt->kind == CS_Y_SEQ) {
    int n = 0;
    for (size_t i = 0; i < lt->n; i++)
      if (lt->items[i]->kind == CS_Y_SCALAR && strstr(lt->items[i]->str, "sliding")) n++;
    m->num_sliding_layers = n;
    return;
  }
  if (!strcmp(fam, "gemma2")) pattern = 2;
  if (!strncmp(fam, "gemma3", 6)) {
    pattern = 6;
    get_int(r, (const char *const[]){"sliding_window_pattern", NULL}, false, "", &pattern);
  }
  m->num_sliding_layers = pattern > 0 ? m->num_layers - m->num_layers / pattern : m->num_layers;
}

/* Default name: _name_or_path when it looks like an HF id, else the config's directory name. */
static const char *model_name(const reader *r, const char *path, cs__arena *mem) {
  const cs__ynode *np = cs__ymap_get(r->root, "_name_or_path");
  if (np && np->kind == CS_Y_SCALAR && np->str[0] && np->str[0] != '/' && np->str[0] != '.')
    return cs__arena_strdup(mem, np->str);
  char *dir = cs__path_dirname(path);
  const char *base = strrchr(dir, '/');
  base = base ? base + 1 : dir;
  const char *out = cs__arena_strdup(mem, strcmp(base, ".") ? base : path);
  free(dir);
  return out;
}

static int read_model(const reader *r, const char *path, cs__arena *mem, cs_model *m) {
  static const char *const k_layers[] = {"num_hidden_layers", "n_layer", "num_layers", "n_layers", NULL};
  static const char *const k_hidden[] = {"hidden_size", "n_embd", "d_model", NULL};
  static const char *const k_heads[] = {"num_attention_heads", "n_head", "n_heads", NULL};
  static const char *const k_kv[] = {"num_key_value_heads", "multi_query_group_num", "n_head_kv", "num_kv_heads", NULL};
  static const char *const k_hd[] = {"head_dim", NULL};
  static const char *const k_inter[] = {"intermediate_size", "n_inner", "ffn_hidden_size", "ffn_dim", NULL};
  static const char *const k_vocab[] = {"vocab_size", "padded_vocab_size", NULL};
  static const char *const k_pos[] = {"max_position_embeddings", "n_positions", "seq_length",
                                      "max_sequence_length", NULL};
  static const char *const k_experts[] = {"num_local_experts", "n_routed_experts", "num_experts", NULL};
  static const char *const k_topk[] = {"num_experts_per_tok", "moe_topk", NULL};
  static const char *const k_moe_h[] = {"moe_intermediate_size", NULL};
  static const char *const k_shared[] = {"n_shared_experts", NULL};
  static const char *const k_shared_h[] = {"shared_expert_intermediate_size", NULL};
  static const char *const k_first[] = {"first_k_dense_replace", NULL};
  static const char *const k_kvl[] = {"kv_lora_rank", NULL};
  static const char *const k_ql[] = {"q_lora_rank", NULL};
  static const char *const k_rope[] = {"qk_rope_head_dim", NULL};
  static const char *const k_nope[] = {"qk_nope_head_dim", NULL};
  static const char *const k_v[] = {"v_head_dim", NULL};
  static const char *const k_dtype[] = {"torch_dtype", "dtype", NULL};
  static const char *const k_act[] = {"hidden_act", "activation_function", NULL};
  static const char *const k_type[] = {"model_type", NULL};
  int rc;
  if ((rc = get_int(r, k_layers, true, "the number of transformer layers", &m->num_layers))) return rc;
  if ((rc = get_int(r, k_hidden, true, "the hidden size", &m->hidden))) return rc;
  if ((rc = get_int(r, k_heads, true, "the number of attention heads", &m->num_q_heads))) return rc;
  if ((rc = get_int(r, k_kv, false, "", &m->num_kv_heads))) return rc;
  const cs__ynode *mq = get_any(r, (const char *const[]){"multi_query", NULL}, NULL);
  bool multi_query = false;
  if (mq && !cs__y_bool(r->d, mq, "multi_query", &multi_query, NULL) && multi_query && !m->num_kv_heads)
    m->num_kv_heads = 1;
  if ((rc = get_int(r, k_hd, false, "", &m->head_dim))) return rc;
  if ((rc = get_int(r, k_experts, false, "", &m->num_experts))) return rc;
  if ((rc = get_int(r, k_moe_h, false, "", &m->moe_mlp_hidden))) return rc;
  /* intermediate_size is required unless every layer is MoE with its own expert width */
  bool need_inter = !(m->num_experts > 0 && m->moe_mlp_hidden > 0);
  if ((rc = get_int(r, k_inter, need_inter, "the MLP width", &m->mlp_hidden))) return rc;
  if ((rc = get_int(r, k_vocab, true, "the vocabulary size", &m->vocab))) return rc;
  if ((rc = get_int(r, k_pos, true, "the longest context the model supports", &m->max_positions))) return rc;
  m->max_context = rope_context(r, m->max_positions);
  if (m->num_experts > 0) {
    if ((rc = get_int(r, k_topk, true, "experts each token is routed to", &m->experts_per_token))) return rc;
    if ((rc = get_int(r, k_shared, false, "", &m->num_shared_experts))) return rc;
    if ((rc = get_int(r, k_shared_h, false, "", &m->shared_expert_hidden))) return rc;
    if ((rc = get_int(r, k_first, false, "", &m->first_dense_layers))) return rc;
  }
  if ((rc = get_int(r, k_kvl, false, "", &m->kv_lora_rank))) return rc;
  if (m->kv_lora_rank > 0) {
    if ((rc = get_int(r, k_ql, false, "", &m->q_lora_rank))) return rc;
    if ((rc = get_int(r, k_rope, true, "MLA rotary head dim", &m->qk_rope_head_dim))) return rc;
    if ((rc = get_int(r, k_nope, true, "MLA non-rotary head dim", &m->qk_nope_head_dim))) return rc;
    if ((rc = get_int(r, k_v, true, "MLA value head dim", &m->v_head_dim))) return rc;
    m->head_dim = m->qk_nope_head_dim + m->qk_rope_head_dim;
  }
  const cs__ynode *archs = cs__ymap_get(r->root, "architectures");
  if (archs && archs->kind == CS_Y_SEQ && archs->n > 0 && archs->items[0]->kind == CS_Y_SCALAR)
    m->architecture = cs__arena_strdup(mem, archs->items[0]->str);
  else
    m->architecture = "unknown";
  const char *s;
  if ((s = get_str(r, k_type))) m->family = cs__arena_strdup(mem, s);
  if ((s = get_str(r, k_act))) m->activation = cs__arena_strdup(mem, s);
  if ((s = get_str(r, k_dtype))) {
    if (cs__dtype_bytes(s) <= 0) {
      char w[512];
      cs__y_where(r->d, get_any(r, k_dtype, NULL), w, sizeof w);
      return cs_err_set(r->err, CS_EPARSE, "%s: unknown torch_dtype '%s' (expected one of: %s)", w, s,
                        cs__dtype_names());
    }
    m->dtype = cs__arena_strdup(mem, s);
  }
  const cs__ynode *tie = get_any(r, (const char *const[]){"tie_word_embeddings", NULL}, NULL);
  m->tie_embeddings = cs__arch_ties_embeddings(m->architecture); /* the config class default */
  if (tie && (rc = cs__y_bool(r->d, tie, "tie_word_embeddings", &m->tie_embeddings, r->err))) return rc;
  double prf = get_num(r, r->cfg, "partial_rotary_factor", 0);
  int hd = m->head_dim > 0 ? m->head_dim : m->hidden / (m->num_q_heads > 0 ? m->num_q_heads : 1);
  if (prf > 0 && prf < 1) m->rotary_dim = (int)(prf * hd);
  get_int(r, (const char *const[]){"rotary_dim", NULL}, false, "", &m->rotary_dim);
  read_sliding(r, m);
  /* Qwen (v1) configs give intermediate_size as twice the width of each of its gated MLP's
   * matrices (modeling_qwen.py uses intermediate_size // 2); Vidur's table has the half. */
  if (!strcmp(m->architecture, "QWenLMHeadModel")) m->mlp_hidden /= 2;
  m->gated_mlp = !arch_matches(m->architecture, plain_mlp_archs);
  m->post_attn_norm = !arch_matches(m->architecture, parallel_archs);
  m->norm = m->gated_mlp ? "rms" : "layer";
  if ((rc = read_quant(r, mem, m))) return rc;
  m->name = model_name(r, path, mem);
  const char *slash = strrchr(m->name, '/');
  m->short_name = slash ? slash + 1 : m->name;
  m->source = cs__arena_strdup(mem, path);
  return 0;
}

int cs_model_load_hf_config(const char *path, cs_model **out, cs_err *err) {
  *out = NULL;
  cs__ydoc doc = {0};
  int rc = cs__ydoc_load_file(&doc, path, err);
  if (rc) return rc;
  hf_model *hm = cs__xcalloc(1, sizeof *hm);
  cs__arena_init(&hm->mem, 4096);
  reader r = {&doc, doc.root, doc.root, err, NULL};
  if (!doc.root) {
    rc = cs_err_set(err, CS_EPARSE, "%s: empty file (expected a Hugging Face config.json object)", path);
    goto out;
  }
  if ((rc = cs__y_expect(&doc, doc.root, CS_Y_MAP, "config.json top level", err))) goto out;
  const cs__ynode *tc = cs__ymap_get(doc.root, "text_config");
  if (tc && tc->kind == CS_Y_MAP) r.cfg = tc; /* multimodal wrapper (Mistral3, Llava, Gemma-3, ...) */
  r.model_type = get_str(&r, (const char *const[]){"model_type", NULL});
  if (r.cfg != r.root && !cs__ymap_get(r.cfg, "model_type")) {
    /* a text_config without model_type is the wrapper's text class (gemma3 -> gemma3_text) */
    const char *top = r.model_type;
    r.model_type = top && !strcmp(top, "gemma3") ? "gemma3_text" : top;
  }
  if ((rc = read_model(&r, path, &hm->mem, &hm->m))) goto out;
  char where[1100];
  snprintf(where, sizeof where, "%s", path);
  rc = cs__model_finish(&hm->m, where, err);
  if (rc) rc = CS_EPARSE;
  else rc = cs__quant_resolve(&hm->m, &hm->mem);
out:
  cs__ydoc_free(&doc);
  if (rc) {
    cs_model_free(&hm->m);
    return rc;
  }
  *out = &hm->m;
  return 0;
}

void cs_model_free(cs_model *m) {
  if (!m) return;
  hf_model *hm = (hf_model *)(void *)m;
  cs__arena_release(&hm->mem);
  free(hm);
}
