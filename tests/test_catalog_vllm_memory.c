/* catalog: the vLLM engine's accounting on real checkpoints, one test per fault it fixes:
 * tied embeddings by class default (Gemma), 16-bit embeddings / lm_head and group scales of
 * quantized checkpoints, online fp8, YaRN max length, AWQ TP refusals, Gemma-3 class defaults,
 * Qwen2-MoE shared experts, the torch-visible memory of consumer cards, pipeline splits. The
 * config.json files under tests/data/catalog are hand-typed copies of the public configs. */
#include <math.h>
#include <stdlib.h>

#include "capsearch/catalog.h"
#include "capsearch/memplan.h"
#include "catalog/catalog_int.h"
#include "catalog/memplan_int.h"
#include "cs_test.h"

#define GIB 1073741824.0

static cs_catalog *cat;

static const cs_device *device(const char *name) {
  const cs_device *d = NULL;
  cs_err err = {0};
  CS_ASSERT_OK(cs_catalog_find_device(cat, name, &d, &err), &err);
  return d;
}

static cs_model *load(const char *dir) {
  char rel[256], path[4096];
  snprintf(rel, sizeof rel, "tests/data/catalog/%s/config.json", dir);
  cs_test_source(rel, path, sizeof path);
  cs_model *m = NULL;
  cs_err err = {0};
  CS_ASSERT_OK(cs_model_load_hf_config(path, &m, &err), &err);
  return m;
}

static cs_memplan_input input(const cs_model *m, const char *dev, int tp) {
  cs_memplan_input in;
  cs_memplan_input_defaults(&in);
  in.model = m;
  in.device = device(dev);
  in.tp = tp;
  return in;
}

static cs_memplan plan(const cs_memplan_input *in) {
  cs_memplan p = {0};
  cs_err err = {0};
  CS_ASSERT_OK(cs_memplan_compute(in, &p, &err), &err);
  return p;
}

static void test_gemma_ties_embeddings_by_class_default(void) {
  cs_model *m = load("gemma-7b"); /* config.json has no tie_word_embeddings key */
  if (!m) return;
  CS_ASSERT_TRUE(m->tie_embeddings);
  CS_ASSERT_DBL_NEAR((double)m->num_params / 1e9, 8.54, 0.005); /* not 9.32 */
  cs_memplan_input in = input(m, "h100", 1);
  cs_memplan p = plan(&in);
  CS_ASSERT_DBL_NEAR(p.weights_gib, 15.91, 0.01);
  in = input(m, "rtx4090", 1);
  in.max_model_len = 4096;
  p = plan(&in);
  CS_ASSERT_TRUE(p.fits); /* a 24 GB card holds it with room for KV (untied: 0 KV tokens) */
  CS_ASSERT_TRUE(p.kv_tokens > 4096);
  cs_model_free(m);
}

static void test_w4a16_keeps_embeddings_16bit_and_adds_group_scales(void) {
  cs_model *m = load("llama-3.1-8b-w4a16");
  if (!m) return;
  CS_ASSERT_STR_EQ(m->quant.method, "compressed-tensors");
  CS_ASSERT_INT_EQ(m->quant.bits, 4);
  CS_ASSERT_INT_EQ(m->quant.group_size, 128);
  cs_memplan_input in = input(m, "h100", 1);
  cs_memplan p = plan(&in);
  CS_ASSERT_DBL_NEAR(p.weights_gib / 5.38, 1.0, 0.02); /* vLLM logged 5.38 GiB; 4 bits everywhere gave 3.74 */
  /* the two 128256 x 4096 bf16 tables alone are 1.96 GiB */
  const double linear = 32.0 * (4096.0 * 6144 + 4096.0 * 4096 + 3 * 4096.0 * 14336);
  CS_ASSERT_DBL_NEAR(p.weights_gib * GIB,
                     linear / 2 + linear / 128 * 2 + 2 * 128256.0 * 4096 * 2 + 32 * 2 * 4096.0 * 2 + 4096 * 2 +
                         131072.0 * 128 * 2,
                     1.0);
  cs_model_free(m);
}

static void test_fp8_dynamic_70b_keeps_lm_head_and_embeddings_16bit(void) {
  cs_model *m = load("llama-3.3-70b-fp8-dynamic");
  if (!m) return;
  cs_memplan_input in = input(m, "h100", 2);
  in.max_model_len = 8192;
  cs_memplan p = plan(&in);
  const double linear = 80.0 * (8192.0 * 10240 + 8192.0 * 8192 + 3 * 8192.0 * 28672) / 2;
  const double tables = 2 * 128256.0 / 2 * 8192 * 2;
  CS_ASSERT_TRUE(p.weights_gib * GIB > linear + tables);          /* 1 byte a weight + bf16 tables */
  CS_ASSERT_TRUE(p.weights_gib * GIB < (linear + tables) * 1.002); /* + per-channel scales, norms */
  /* every parameter at 1 byte would have left 7% more KV tokens than vLLM had */
  CS_ASSERT_TRUE(p.weights_gib > (double)m->num_params / 2 / GIB + 0.9);
  cs_model_free(m);
}

static void test_online_fp8_quantization(void) {
  const cs_model *m = NULL;
  cs_err err = {0};
  CS_ASSERT_OK(cs_catalog_find_model(cat, "Llama-3.1-8B", &m, &err), &err);
  cs_memplan_input in = input(m, "h100", 1);
  cs_memplan bf16 = plan(&in);
  in.quantization = "fp8";
  cs_memplan fp8 = plan(&in);
  const double linear = 32.0 * (4096.0 * 6144 + 4096.0 * 4096 + 3 * 4096.0 * 14336);
  CS_ASSERT_DBL_NEAR((bf16.weights_gib - fp8.weights_gib) * GIB, linear, 32 * 7 * 4.0 + 1); /* - the scales */
  CS_ASSERT_TRUE(fp8.kv_tokens > bf16.kv_tokens);
  /* a checkpoint quantized otherwise refuses --quantization fp8, as vLLM does */
  cs_model *awq = load("qwen2.5-72b-awq-29568");
  if (!awq) return;
  in = input(awq, "h200", 1);
  in.quantization = "fp8";
  cs_memplan p;
  CS_ASSERT_INT_EQ(cs_memplan_compute(&in, &p, &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "does not match the checkpoint's quantization_config (awq)");
  in.quantization = "bogus";
  CS_ASSERT_INT_EQ(cs_memplan_compute(&in, &p, &err), CS_EINVAL);
  CS_ASSERT_STR_CONTAINS(err.msg, "unknown quantization 'bogus'");
  cs_model_free(awq);
}

static void test_yarn_factor_4_derives_max_len_131072(void) {
  cs_model *m = load("qwen2.5-7b-instruct-yarn");
  if (!m) return;
  CS_ASSERT_INT_EQ(cs_model_context_limit(m), 131072); /* 32768 x 4 */
  CS_ASSERT_INT_EQ(m->sliding_window, 0);     /* use_sliding_window false */
  cs_model_free(m);
  m = load("llama-3.1-8b-w4a16"); /* rope_type llama3 does not scale the length */
  if (!m) return;
  CS_ASSERT_INT_EQ(cs_model_context_limit(m), 131072);
  cs_model_free(m);
}

static void test_awq_group_size_refuses_tp_2_4_8(void) {
  cs_model *m = load("qwen2.5-72b-awq-29568");
  if (!m) return;
  int tps[8];
  CS_ASSERT_INT_EQ(cs_model_valid_tp(m, 8, tps, 8), 1);
  CS_ASSERT_INT_EQ(tps[0], 1);
  const int bad[3] = {2, 4, 8};
  for (int i = 0; i < 3; i++) {
    cs_memplan_input in = input(m, "h100", bad[i]);
    cs_memplan p;
    cs_err err = {0};
    CS_ASSERT_INT_EQ(cs_memplan_compute(&in, &p, &err), CS_ECONFIG);
    CS_ASSERT_STR_CONTAINS(err.msg, "MLP width (intermediate_size) 29568");
    CS_ASSERT_STR_CONTAINS(err.msg, "not a multiple of the awq group size 128");
  }
  cs_memplan_input in = input(m, "h200", 1);
  cs_memplan p = plan(&in);
  CS_ASSERT_TRUE(p.weights_gib > 36 && p.weights_gib < 41); /* 4-bit layers, fp16 scales and zeros */
  cs_model_free(m);
}

static void test_gemma3_minimal_text_config_takes_class_defaults(void) {
  cs_model *m = load("gemma-3-4b-minimal");
  if (!m) return;
  CS_ASSERT_INT_EQ(m->num_q_heads, 8);
  CS_ASSERT_INT_EQ(m->num_kv_heads, 4);
  CS_ASSERT_INT_EQ(m->head_dim, 256);
  CS_ASSERT_INT_EQ(m->vocab, 262208);
  CS_ASSERT_INT_EQ(cs_model_context_limit(m), 131072); /* Gemma-3's linear rope factor does not scale it */
  CS_ASSERT_TRUE(m->tie_embeddings);
  CS_ASSERT_INT_EQ(m->sliding_window, 1024);
  CS_ASSERT_INT_EQ(m->num_sliding_layers, 29); /* every 6th of 34 layers is full */
  cs_memplan_input in = input(m, "h100", 1);
  in.max_model_len = 32768;
  cs_memplan p = plan(&in);
  /* 5 full + 29 sliding layers: groups of 5, 1 + 6 groups; tokens = blocks / 7 x 16 */
  CS_ASSERT_INT_EQ(p.kv_groups, 7);
  const double page = 2.0 * 4 * 256 * 2 * 16;
  CS_ASSERT_INT_EQ(p.num_blocks, (int64_t)floor(p.kv_gib * GIB / page / 5));
  CS_ASSERT_INT_EQ(p.kv_tokens, p.num_blocks / 7 * 16);
  /* a request: 2048 blocks in the full group, (1023 + 8192 tokens) / 16 + 1 in each sliding one */
  CS_ASSERT_INT_EQ(p.max_concurrent, p.num_blocks / (2048 + 6 * 577));
  cs_model_free(m);
}

static void test_qwen2_moe_counts_the_shared_expert(void) {
  cs_model *m = load("qwen1.5-moe-a2.7b");
  if (!m) return;
  CS_ASSERT_INT_EQ(m->shared_expert_hidden, 5632);
  CS_ASSERT_DBL_NEAR((double)m->num_params / 14.32e9, 1.0, 0.003); /* 14.3 B; 13.49 B without it */
  cs_model_free(m);
}

static void test_rtx3090_llama31_8b_20k_context_fits_with_31k_tokens(void) {
  const cs_model *m = NULL;
  cs_err err = {0};
  CS_ASSERT_OK(cs_catalog_find_model(cat, "Llama-3.1-8B", &m, &err), &err);
  cs_memplan_input in = input(m, "rtx3090", 1);
  in.gpu_memory_utilization = 0.90;
  in.max_model_len = 20000;
  /* the reported run profiled one 20k-token prefill (vLLM V0 without chunked prefill) */
  in.max_num_batched_tokens = 20000;
  cs_memplan p = plan(&in);
  CS_ASSERT_DBL_NEAR(p.total_gib, 23.58, 1e-9);
  CS_ASSERT_TRUE(p.fits);
  CS_ASSERT_DBL_NEAR(p.weights_gib, 14.99, 0.01);    /* "Loading model weights took 14.9888 GB" */
  CS_ASSERT_DBL_NEAR(p.activation_gib, 2.07, 0.05);  /* peak_torch_memory 17.06 - 14.99 */
  CS_ASSERT_DBL_NEAR((double)p.kv_tokens / 31232.0, 1.0, 0.04);
  /* vLLM 0.19 on the same card chunks prefills at 2048 tokens: a smaller profile, more KV */
  in.max_num_batched_tokens = 0;
  cs_memplan q = plan(&in);
  CS_ASSERT_INT_EQ(q.batched_tokens, 2048);
  CS_ASSERT_INT_EQ(q.num_seqs, 256);
  CS_ASSERT_TRUE(q.kv_tokens > p.kv_tokens);
}

static void test_pipeline_stages_split_as_vllm(void) {
  int lo, hi;
  /* get_pp_indices: 80 layers on 3 stages -> 27, 27, 26 */
  cs__pp_stage(80, 3, 0, &lo, &hi);
  CS_ASSERT_INT_EQ(hi - lo, 27);
  cs__pp_stage(80, 3, 1, &lo, &hi);
  CS_ASSERT_INT_EQ(hi - lo, 27);
  cs__pp_stage(80, 3, 2, &lo, &hi);
  CS_ASSERT_INT_EQ(lo, 54);
  CS_ASSERT_INT_EQ(hi, 80);
  cs__pp_stage(32, 4, 3, &lo, &hi);
  CS_ASSERT_INT_EQ(hi - lo, 8);
}

static void test_every_device_has_torch_visible_memory(void) {
  for (size_t i = 0; i < cs_catalog_num_devices(cat); i++) {
    const cs_device *d = cs_catalog_device_at(cat, i);
    CS_ASSERT_TRUE(d->torch_gib > 0);
    CS_ASSERT_TRUE(d->torch_gib < d->memory_gb); /* the driver keeps some; GiB > GB */
  }
  CS_ASSERT_DBL_NEAR(device("h100")->torch_gib, 79.19, 1e-9);
  const char *added[] = {"rtx3090", "rtx4090", "rtx5090", "rtx6000_ada", "a6000", "l20", "b100", "gb200"};
  for (size_t i = 0; i < 8; i++) CS_ASSERT_TRUE(device(added[i])->price_ondemand > 0);
}

static void setup(void) {
  char dir[4096];
  cs_test_source("configs", dir, sizeof dir);
  cs_err err = {0};
  if (cs_catalog_load(dir, &cat, &err)) {
    fprintf(stderr, "cannot load catalog: %s\n", err.msg);
    exit(1);
  }
}

static const cs_test_case cases[] = {
    {"test_gemma_ties_embeddings_by_class_default", test_gemma_ties_embeddings_by_class_default},
    {"test_w4a16_keeps_embeddings_16bit_and_adds_group_scales", test_w4a16_keeps_embeddings_16bit_and_adds_group_scales},
    {"test_fp8_dynamic_70b_keeps_lm_head_and_embeddings_16bit", test_fp8_dynamic_70b_keeps_lm_head_and_embeddings_16bit},
    {"test_online_fp8_quantization", test_online_fp8_quantization},
    {"test_yarn_factor_4_derives_max_len_131072", test_yarn_factor_4_derives_max_len_131072},
    {"test_awq_group_size_refuses_tp_2_4_8", test_awq_group_size_refuses_tp_2_4_8},
    {"test_gemma3_minimal_text_config_takes_class_defaults", test_gemma3_minimal_text_config_takes_class_defaults},
    {"test_qwen2_moe_counts_the_shared_expert", test_qwen2_moe_counts_the_shared_expert},
    {"test_rtx3090_llama31_8b_20k_context_fits_with_31k_tokens",
     test_rtx3090_llama31_8b_20k_context_fits_with_31k_tokens},
    {"test_pipeline_stages_split_as_vllm", test_pipeline_stages_split_as_vllm},
    {"test_every_device_has_torch_visible_memory", test_every_device_has_torch_visible_memory},
    {NULL, NULL}};

int main(void) {
  setup();
  int rc = cs_test_run("catalog_vllm_memory", cases);
  cs_catalog_free(cat);
  return rc;
}
