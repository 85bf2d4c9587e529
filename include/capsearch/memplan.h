/* Memory capacity planning: does a model fit on a device at TP x PP (x DP), how much KV cache is
 * left, how many blocks, how many concurrent requests, the longest context.
 * Two engines:
 *  - CS_ENGINE_VLLM: llm-d config_explorer's formulas (anchors.md §3.1) with the §3.3 fixes:
 *    explicit KV dtype, ceil(kv_heads/TP) replication, MLA latent replicated across TP,
 *    activation and non-torch constants, gpu_memory_utilization of total memory.
 *  - CS_ENGINE_VIDUR: Vidur's V1 planner (vidur-semantics.md §5.2): fp16, memory margin 0.1,
 *    2 bytes x per-device parameter count without embeddings, all-layer KV / PP. The simulator
 *    uses this one by default so that block counts match Vidur.
 * Ownership: plain value structs; borrowed model/device pointers. */
#ifndef CAPSEARCH_MEMPLAN_H
#define CAPSEARCH_MEMPLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "capsearch/catalog.h"
#include "capsearch/error.h"

typedef enum cs_mem_engine { CS_ENGINE_VLLM = 0, CS_ENGINE_VIDUR = 1 } cs_mem_engine;

typedef struct cs_memplan_input {
  const cs_model *model;
  const cs_device *device;
  int tp, pp, dp;               /* >= 1 */
  int64_t max_model_len;        /* tokens per request; 0 = model's max positions */
  double gpu_memory_utilization;/* vLLM meaning, default 0.9 */
  double memory_margin;         /* Vidur meaning, default 0.1 */
  double weight_bytes;          /* 0 = from model dtype */
  double kv_bytes;              /* bytes per KV element; 0 = the model dtype (vLLM kv_cache_dtype=auto; fp8 KV = 1) */
  int block_size;               /* default 16 */
  cs_mem_engine engine;
} cs_memplan_input;

typedef struct cs_memplan {
  int num_gpus;                 /* tp * pp * dp */
  double weights_gib;           /* per GPU */
  double activation_gib;        /* per GPU */
  double non_torch_gib;         /* per GPU */
  double kv_gib;                /* per GPU KV pool */
  double usable_gib;            /* per GPU memory the engine may use */
  bool fits;                    /* weights + overheads leave room for at least one max-length request */
  const char *why;              /* static reason when it does not fit (NULL when it fits) */
  double kv_bytes_per_token;    /* whole model (all layers, all heads, per replica) */
  double kv_bytes_per_token_gpu;/* per GPU, with ceil(kv_heads/TP) replication and L/PP layers */
  int64_t kv_tokens;            /* tokens the KV pool of one replica holds */
  int64_t num_blocks;           /* KV blocks per replica (what the simulator uses) */
  int64_t max_concurrent;       /* requests of max_model_len that fit at once, per replica */
  int64_t max_context;          /* longest context that fits (capped at max positions) */
  int min_gpus;                 /* fewest GPUs (TP*PP with valid TP) on which the model fits */
} cs_memplan;

void cs_memplan_input_defaults(cs_memplan_input *in);
int cs_memplan_compute(const cs_memplan_input *in, cs_memplan *out, cs_err *err);

#endif
