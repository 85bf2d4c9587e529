/* Memory capacity planning: does a model fit on a device at TP x PP (x DP), how much KV cache is
 * left, how many blocks, how many concurrent requests, the longest context.
 * Two engines:
 *  - CS_ENGINE_VLLM: vLLM 0.19's own start-up accounting, term by term (docs/plan.md,
 *    docs/plan-accuracy.md): torch-visible memory x gpu_memory_utilization, weights from the
 *    checkpoint's layout and quantization, the profiling run's activation peak at
 *    max_num_batched_tokens, non-torch memory by TP, KV blocks per KV-cache group.
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
  double weight_bytes;          /* vidur: bytes per weight (0 = 2); vllm: bytes of unquantized
                                   parameters (--dtype; 0 = auto, 16-bit) */
  double kv_bytes;              /* bytes per KV element; 0 = the model dtype (vLLM kv_cache_dtype=auto; fp8 KV = 1) */
  int block_size;               /* default 16 */
  cs_mem_engine engine;
  /* vllm engine only */
  const char *quantization;     /* --quantization (e.g. "fp8", online); NULL = the checkpoint's */
  int64_t max_num_batched_tokens; /* 0 = vLLM's default for the device (8192 on >= 70 GiB non-A100, else 2048) */
  int64_t max_num_seqs;         /* 0 = vLLM's default (1024 / 256 likewise) */
  bool expert_parallel;         /* --enable-expert-parallel: experts over EP = TP x DP ranks */
} cs_memplan_input;

typedef struct cs_memplan {
  int num_gpus;                 /* tp * pp * dp */
  double weights_gib;           /* per GPU */
  double activation_gib;        /* per GPU */
  double non_torch_gib;         /* per GPU */
  double kv_gib;                /* per GPU KV pool */
  double usable_gib;            /* per GPU memory the engine may use */
  double total_gib;             /* per GPU memory the engine sees (vllm: torch-visible total) */
  int64_t batched_tokens;       /* vllm: max_num_batched_tokens the profiling run used */
  int64_t num_seqs;             /* vllm: max_num_seqs */
  int kv_groups;                /* vllm: KV-cache groups (1 unless full and sliding layers mix) */
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
