/* Catalogs of models, devices (GPUs) and networks (node types), loaded from the YAML files in
 * configs/ (models.yaml, devices.yaml, networks.yaml) or, for a model, from a Hugging Face
 * config.json. Every later stage reads these structs.
 *
 * Ownership: a cs_catalog owns every entry and string in it; entries are borrowed `const`
 * pointers valid until cs_catalog_free, and are immutable after loading, so threads share them.
 * A cs_model loaded alone (cs_model_load_hf_config) is owned by the caller: cs_model_free. */
#ifndef CAPSEARCH_CATALOG_H
#define CAPSEARCH_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capsearch/error.h"

typedef enum cs_attn_kind { CS_ATTN_MHA, CS_ATTN_GQA, CS_ATTN_MQA, CS_ATTN_MLA } cs_attn_kind;

/* How a checkpoint stores its weights (HF quantization_config, or a catalog `quantization:`),
 * as vLLM loads them: only the decoder's linear layers are quantized; embeddings, lm_head,
 * norms, MoE routers and the modules in `ignore` stay at the 16-bit dtype. */
typedef struct cs_quant {
  const char *method;        /* quant_method: "fp8", "compressed-tensors", "awq", "gptq", "mxfp4",
                                "bitsandbytes", ...; NULL = unquantized */
  int bits;                  /* bits per quantized weight */
  int group_size;            /* > 0: one scale per group_size inputs; 0: one per output channel;
                                -1: one per tensor */
  int block;                 /* > 0: block-wise scales over block x block tiles (fp8 128x128) */
  double scale_bytes;        /* bytes per scale (2 for fp16/bf16 scales, 4 for fp32, 1 for e8m0) */
  bool zero_points;          /* asymmetric: a packed zero point per group (AWQ, GPTQ sym=false) */
  bool g_idx;                /* GPTQ act-order: one int32 group index per input row */
  bool experts_only;         /* only the MoE experts are quantized (gpt-oss mxfp4) */
  const char *const *ignore; /* NULL-terminated module names / "re:" patterns kept at 16 bits */
  const unsigned char *keep16; /* per layer, bit k: linear kind k (q k v o gate up down experts)
                                  matched `ignore` and stays 16-bit; NULL when none did */
} cs_quant;

typedef struct cs_model {
  const char *name;          /* canonical id, the Hugging Face id: "meta-llama/Meta-Llama-3-70B" */
  const char *short_name;    /* "Meta-Llama-3-70B" (what sweep files use as models[].name) */
  const char *architecture;  /* HF architectures[0], e.g. "LlamaForCausalLM" */
  const char *family;        /* "llama", "qwen2", "mistral", "mixtral", "deepseek_v3", "phi", ... */
  int num_layers;            /* L */
  int num_q_heads;           /* attention heads */
  int num_kv_heads;          /* key/value heads (== q heads for MHA, 1 for MQA) */
  int head_dim;              /* config head_dim, else hidden / heads */
  int hidden;                /* E (hidden_size) */
  int mlp_hidden;            /* H (intermediate_size) for dense layers */
  bool gated_mlp;            /* SwiGLU-style 3-matrix MLP */
  bool post_attn_norm;       /* has post_attention_layernorm (Vidur's stage composition) */
  const char *norm;          /* "rms" or "layer" */
  const char *activation;    /* "silu", "gelu", ... */
  int vocab;
  int max_positions;         /* max_position_embeddings */
  int64_t max_context;       /* longest prompt + output served: max_positions, or what rope_scaling
                                extends it to (vLLM's rule: YaRN factor x original_max_position_embeddings,
                                linear/dynamic factor x max_positions); catalog key max_context */
  const char *dtype;         /* weight dtype: "bfloat16", "float16", "float8", ... */
  double weight_bytes;       /* bytes per weight element from dtype */
  bool tie_embeddings;
  bool no_tensor_parallel;   /* model cannot be split (Vidur marks phi-2 so) */
  /* Mixture of experts (0 when dense) */
  int num_experts;
  int experts_per_token;
  int moe_mlp_hidden;        /* per-expert intermediate size */
  int num_shared_experts;
  int first_dense_layers;    /* leading dense layers before MoE layers (DeepSeek first_k_dense_replace) */
  /* Multi-head latent attention (DeepSeek), 0 when not MLA */
  int kv_lora_rank;
  int q_lora_rank;
  int qk_rope_head_dim;
  int qk_nope_head_dim;
  int v_head_dim;
  int shared_expert_hidden;  /* Qwen2-MoE shared_expert_intermediate_size (one gated shared expert) */
  /* Module layout details vLLM allocates (derived from the architecture unless given) */
  bool qkv_bias;             /* q/k/v projections carry a bias (Qwen2, Phi) */
  bool o_bias;               /* output projection, MLP and lm_head carry biases (Phi-2) */
  bool qk_norm;              /* per-head RMSNorm on q and k (Qwen3, Gemma-3) */
  int rotary_dim;            /* rotated dims per head (partial_rotary_factor x head_dim), 0 = head_dim */
  int sliding_window;        /* tokens, 0 when no layer uses a sliding window */
  int num_sliding_layers;    /* layers that attend over the sliding window only (the rest are full) */
  cs_quant quant;            /* checkpoint quantization (method NULL when none) */
  int64_t num_params;        /* total parameters (computed from the architecture if not given) */
  const char *source;        /* provenance: "configs/models.yaml:12" or the config.json path */
} cs_model;

typedef struct cs_device {
  const char *name;          /* catalog key: "a100_80g", "h100", "h100_pcie", ... (Vidur names: a100, h100, a40) */
  const char *display;       /* "NVIDIA H100 SXM5 80GB" */
  const char *vendor;        /* "nvidia", "amd" */
  const char *arch;          /* "ampere", "hopper", "blackwell", "ada", "volta", "cdna3" */
  double memory_gb;          /* marketed capacity, decimal GB as printed on the datasheet */
  double memory_gib;         /* usable capacity in GiB used by planners (Vidur uses the GB figure as GiB) */
  double torch_gib;          /* total memory as torch/vLLM see it (cudaMemGetInfo total), GiB: what
                                gpu_memory_utilization multiplies; 0 = unknown (memory_gib is used) */
  double tflops_bf16;        /* dense tensor TFLOPS, bf16/fp16; never the sparse figure */
  double tflops_fp8;         /* dense; 0 when the device has no fp8 tensor cores */
  double tflops_int8;        /* dense TOPS; 0 when not listed */
  double tflops_fp32;        /* non-tensor fp32 */
  double hbm_gbps;           /* memory bandwidth, GB/s */
  const char *interconnect;  /* "nvlink4", "pcie5", "infinity_fabric" */
  double link_gbps;          /* GPU-GPU bandwidth per direction per GPU, GB/s */
  double price_ondemand;     /* $/GPU-hour */
  double price_spot;         /* $/GPU-hour, 0 when unknown */
  const char *price_source;  /* provider and date of the prices */
  /* Roofline efficiency factors (fraction of peak actually achieved), with provenance */
  double eff_compute;        /* large-GEMM fraction of dense peak */
  double eff_memory;         /* fraction of HBM bandwidth achieved by streaming kernels */
  double eff_comm;           /* fraction of link bandwidth achieved by all-reduce */
  const char *eff_source;    /* "fitted to vidur profiling h100 (date)" or "nearest architecture: hopper" */
  const char *source;        /* where the figures come from */
} cs_device;

typedef struct cs_network {
  const char *name;          /* "h100_dgx", "a100_pairwise_nvlink", "pcie_4x", ... */
  const char *device;        /* device catalog key this node type holds */
  int devices_per_node;
  double intra_bw_gbps;      /* per GPU per direction inside a node, GB/s */
  double intra_latency_us;
  double inter_bw_gbps;      /* per GPU across nodes, GB/s */
  double inter_latency_us;
  const char *topology;      /* "nvswitch", "pairwise_nvlink", "pcie" */
  const char *source;
} cs_network;

typedef struct cs_catalog cs_catalog;

/* Loads models.yaml, devices.yaml and networks.yaml from `dir`. Errors name file:line:col. */
int cs_catalog_load(const char *dir, cs_catalog **out, cs_err *err);
void cs_catalog_free(cs_catalog *cat);
/* The directory the default catalogs are read from: $CAPSEARCH_CONFIG_DIR, else the configs/
 * next to the executable's source tree (compiled in), else "./configs". */
const char *cs_catalog_default_dir(void);
/* The same search for the executable: $CAPSEARCH_CONFIG_DIR; else, relative to the running
 * executable (/proc/self/exe), <exe dir>/../share/capsearch (an installed tree, wherever it was
 * moved) or <exe dir>/../configs (a build directory inside the checkout); else the compiled-in
 * configs/ of the source tree; else "./configs". Writes the directory into buf (n bytes); -1
 * when it does not fit. */
int cs_catalog_locate(char *buf, size_t n);

size_t cs_catalog_num_models(const cs_catalog *cat);
const cs_model *cs_catalog_model_at(const cs_catalog *cat, size_t i);
size_t cs_catalog_num_devices(const cs_catalog *cat);
const cs_device *cs_catalog_device_at(const cs_catalog *cat, size_t i);
size_t cs_catalog_num_networks(const cs_catalog *cat);
const cs_network *cs_catalog_network_at(const cs_catalog *cat, size_t i);

/* Lookup by name or alias (case-insensitive; a model also by its short name). Unknown names
 * fail with CS_EUNKNOWN and "unknown model 'x' (did you mean 'y'?)". */
int cs_catalog_find_model(const cs_catalog *cat, const char *name, const cs_model **out, cs_err *err);
int cs_catalog_find_device(const cs_catalog *cat, const char *name, const cs_device **out, cs_err *err);
int cs_catalog_find_network(const cs_catalog *cat, const char *name, const cs_network **out, cs_err *err);

/* Reads a Hugging Face config.json (libyaml parses JSON). Malformed or incomplete files fail
 * naming the file, line/column and the missing key. */
int cs_model_load_hf_config(const char *path, cs_model **out, cs_err *err);
void cs_model_free(cs_model *m);
/* The longest prompt + output the model serves: max_context, else max_positions. */
int64_t cs_model_context_limit(const cs_model *m);

/* Models by name, offline (src/catalog/hf_cache.c). The local Hugging Face hub cache directory
 * as huggingface_hub computes it ($HF_HUB_CACHE, else $HF_HOME/hub, else
 * ~/.cache/huggingface/hub; -1 when none can be formed). */
int cs_hf_cache_dir(char *buf, size_t n);
/* The cached config.json of repo id ORG/NAME: snapshots/<refs/main>/config.json (transformers'
 * offline resolution of the main revision). CS_ENOENT with a message saying where it looked. */
int cs_hf_cache_config(const char *repo_id, char *out, size_t n, cs_err *err);
/* A model by any name: the catalog first, then a local config.json or a directory holding one,
 * then ORG/NAME in the Hugging Face cache. A model read from a file is returned in *owned as
 * well (the caller frees it with cs_model_free; NULL for catalog models). An unknown model's
 * error keeps the catalog's "did you mean" and says how to give a config. */
int cs_model_resolve(const cs_catalog *cat, const char *name, const cs_model **out, cs_model **owned, cs_err *err);

cs_attn_kind cs_model_attn_kind(const cs_model *m);
/* Valid tensor-parallel sizes: divisors of the attention heads (and of the KV heads or
 * multiples of them), 1..max; writes up to cap sizes, returns the count. */
int cs_model_valid_tp(const cs_model *m, int max_tp, int *out, int cap);

/* Bytes per element of a dtype or quantization name ("bfloat16", "fp16", "fp8_e4m3", "int4",
 * "float32", ...; case-insensitive); 0 when the name is unknown. */
double cs_dtype_bytes(const char *name);
/* A vLLM --quantization / catalog `quantization:` name -> scheme in *q (method, bits, ...);
 * -1 when unknown. cs_quant_names() lists the known names for "expected one of" messages. */
int cs_quant_from_name(const char *name, cs_quant *q);
const char *cs_quant_names(void);

#endif
