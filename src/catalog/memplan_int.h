/* Internal pieces of the vLLM memory accounting (memplan_vllm.c), used by memplan.c and tests
 * through the public cs_memplan. */
#ifndef CS_CATALOG_MEMPLAN_INT_H
#define CS_CATALOG_MEMPLAN_INT_H

#include <stdint.h>

#include "capsearch/catalog.h"

/* Layers [lo, hi) of pipeline stage s as vLLM splits them. */
void cs__pp_stage(int layers, int pp, int s, int *lo, int *hi);
/* Weight bytes on one GPU of stage s (of pp) at tensor-parallel size tp (ep > 1: expert
 * parallel over ep ranks); db = bytes of an unquantized parameter; q NULL = unquantized. */
double cs__vllm_stage_weights(const cs_model *m, const cs_quant *q, int tp, int ep, double db, int pp, int s);
/* KV bytes per token of one attention layer on one GPU (kvb = bytes per KV element). */
double cs__vllm_kv_layer_bytes(const cs_model *m, int tp, double kvb);
/* Peak activation bytes of vLLM's profiling run at T batched tokens and R sampled rows. */
double cs__vllm_activation_bytes(const cs_model *m, int tp, int ep, int64_t T, int64_t R);
/* Memory outside PyTorch's allocator per GPU, GiB. */
double cs__vllm_non_torch_gib(int tp);

#endif
