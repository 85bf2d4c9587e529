/* catalog: memory planner. Vidur mode reproduces Vidur V1's block counts (§5.2 test vectors);
 * vLLM mode follows vLLM 0.19's start-up accounting (docs/plan.md); HF config.json loading. */
#include <stdlib.h>

#include "capsearch/catalog.h"
#include "capsearch/memplan.h"
#include "cs_test.h"

#define GIB 1073741824.0

static cs_catalog *cat;

static const cs_model *model(const char *name) {
  const cs_model *m = NULL;
  cs_err err = {0};
  CS_ASSERT_OK(cs_catalog_find_model(cat, name, &m, &err), &err);
  return m;
}
static const cs_device *device(const char *name) {
  const cs_device *d = NULL;
  cs_err err = {0};
  CS_ASSERT_OK(cs_catalog_find_device(cat, name, &d, &err), &err);
  return d;
}

static cs_memplan vidur(const char *m, const char *d, int tp, int pp) {
  cs_memplan_input in;
  cs_memplan_input_defaults(&in);
  in.engine = CS_ENGINE_VIDUR;
  in.model = model(m);
  in.device = device(d);
  in.tp = tp;
  in.pp = pp;
  in.max_model_len = 4096;
  cs_memplan p = {0};
  cs_err err = {0};
  CS_ASSERT_OK(cs_memplan_compute(&in, &p, &err), &err);
  return p;
}

static void test_vidur_mode_reproduces_vidur_block_counts(void) {
  cs_memplan p = vidur("Meta-Llama-3-8B", "h100", 1, 1);
  CS_ASSERT_INT_EQ(p.kv_tokens, 483328);
  CS_ASSERT_INT_EQ(p.num_blocks, 30208);
  CS_ASSERT_DBL_EQ(p.weights_gib * GIB / 2, 6979321856.0); /* params per device */
  p = vidur("Meta-Llama-3-70B", "a100", 4, 1);
  CS_ASSERT_DBL_EQ(p.weights_gib * GIB / 2, 17112760320.0);
  CS_ASSERT_INT_EQ(p.kv_tokens, 525926);
  CS_ASSERT_INT_EQ(p.num_blocks, 32870);
  p = vidur("Llama-2-7b-hf", "a100", 1, 1);
  CS_ASSERT_INT_EQ(p.kv_tokens, 122752);
  CS_ASSERT_INT_EQ(p.num_blocks, 7672);
  CS_ASSERT_INT_EQ(p.max_concurrent, 29); /* = Vidur V0's max_batch_size for this case (§5.1) */
  CS_ASSERT_TRUE(p.fits);
  /* PP halves the layers per stage: about twice the tokens per stage */
  cs_memplan q = vidur("Llama-2-7b-hf", "a100", 1, 2);
  CS_ASSERT_TRUE(q.kv_tokens > 2 * p.kv_tokens);
}

static void test_vidur_mode_rejects_models_it_cannot_plan(void) {
  cs_memplan_input in;
  cs_memplan_input_defaults(&in);
  in.engine = CS_ENGINE_VIDUR;
  in.model = model("Mixtral-8x7B");
  in.device = device("h100");
  cs_memplan p;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_memplan_compute(&in, &p, &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "use the vllm engine");
  in.model = model("Meta-Llama-3-8B");
  in.pp = 3;
  CS_ASSERT_INT_EQ(cs_memplan_compute(&in, &p, &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "PP 3 does not divide the 32 layers");
}

static void test_hf_config_mistral_small_kv_bytes_per_token_is_163840(void) {
  char path[4096];
  cs_test_source("tests/data/catalog/mistral-small-3.2-24b/config.json", path, sizeof path);
  cs_model *m = NULL;
  cs_err err = {0};
  CS_ASSERT_OK(cs_model_load_hf_config(path, &m, &err), &err);
  if (!m) return;
  CS_ASSERT_INT_EQ(m->num_layers, 40);
  CS_ASSERT_INT_EQ(m->head_dim, 128);
  CS_ASSERT_INT_EQ(m->num_kv_heads, 8);
  CS_ASSERT_STR_EQ(m->architecture, "Mistral3ForConditionalGeneration");
  CS_ASSERT_STR_EQ(m->short_name, "mistral-small-3.2-24b");
  CS_ASSERT_DBL_NEAR((double)m->num_params / 23.57e9, 1.0, 0.01); /* text model ~23.6B */
  cs_memplan_input in;
  cs_memplan_input_defaults(&in);
  in.model = m;
  in.device = device("h100");
  cs_memplan p;
  CS_ASSERT_OK(cs_memplan_compute(&in, &p, &err), &err);
  CS_ASSERT_DBL_EQ(p.kv_bytes_per_token, 163840.0);
  CS_ASSERT_DBL_EQ(p.kv_bytes_per_token_gpu, 163840.0);
  /* sampler-bound profiling peak: 1024 rows of 131,072 logits at 14 B, + 3 x 8192 x 5120 x 2 B */
  CS_ASSERT_DBL_NEAR(p.activation_gib, (1024.0 * 14 * 131072 + 6.0 * 8192 * 5120) / GIB, 1e-9);
  /* TP 16 > 8 KV heads: each rank keeps a whole KV head (ceil(8/16) = 1), not half of one */
  in.tp = 16;
  in.device = device("h100");
  int rc = cs_memplan_compute(&in, &p, &err);
  CS_ASSERT_INT_EQ(rc, 0);
  CS_ASSERT_DBL_EQ(p.kv_bytes_per_token_gpu, 40.0 * 2 * 1 * 128 * 2);
  cs_model_free(m);
}

static void test_vllm_mode_breakdown_follows_vllm(void) {
  cs_memplan_input in;
  cs_memplan_input_defaults(&in);
  in.model = model("Meta-Llama-3-70B");
  in.device = device("h100");
  in.tp = 4;
  cs_memplan p;
  cs_err err = {0};
  CS_ASSERT_OK(cs_memplan_compute(&in, &p, &err), &err);
  CS_ASSERT_DBL_NEAR(p.total_gib, 79.19, 1e-9);           /* torch-visible, not the 80 GiB label */
  CS_ASSERT_DBL_NEAR(p.usable_gib, 79.19 * 0.9, 1e-9);
  /* per rank: a quarter of every matrix and of the 64-padded vocabulary, whole norms, the
   * rotary cos/sin cache */
  const double E = 8192, L = 80, hd = 128, I = 28672, V = 128256;
  const double rank = L * (E * 16 * hd + 2 * E * 2 * hd + 16 * hd * E + 3 * E * I / 4 + 2 * E) + 2 * V / 4 * E + E;
  CS_ASSERT_DBL_NEAR(p.weights_gib, (rank * 2 + 8192.0 * 128 * 2) / GIB, 1e-9);
  CS_ASSERT_DBL_NEAR(p.non_torch_gib, 2.13, 1e-12);       /* TP 4: custom all-reduce buffers */
  CS_ASSERT_INT_EQ(p.batched_tokens, 8192);               /* vLLM's default on an H100 */
  CS_ASSERT_INT_EQ(p.num_seqs, 1024);
  CS_ASSERT_DBL_NEAR(p.kv_gib, p.usable_gib - p.weights_gib - p.activation_gib - p.non_torch_gib, 1e-9);
  CS_ASSERT_DBL_EQ(p.kv_bytes_per_token, 80.0 * 2 * 8 * 128 * 2);
  CS_ASSERT_DBL_EQ(p.kv_bytes_per_token_gpu, 80.0 * 2 * 2 * 128 * 2);
  CS_ASSERT_INT_EQ(p.num_blocks, (int64_t)(p.kv_gib * GIB / (p.kv_bytes_per_token_gpu * 16)));
  CS_ASSERT_INT_EQ(p.kv_tokens, p.num_blocks * 16);
  CS_ASSERT_INT_EQ(p.max_concurrent, p.num_blocks / (8192 / 16)); /* max_model_len = max positions */
  CS_ASSERT_INT_EQ(p.max_context, 8192);
  CS_ASSERT_TRUE(p.fits);
  CS_ASSERT_INT_EQ(p.num_gpus, 4);
  CS_ASSERT_INT_EQ(p.min_gpus, 2); /* 131 GiB of bf16 weights need two 71 GiB budgets */
  /* fp8 KV halves the bytes per token and doubles the blocks */
  cs_memplan q;
  in.kv_bytes = 1;
  CS_ASSERT_OK(cs_memplan_compute(&in, &q, &err), &err);
  CS_ASSERT_DBL_EQ(q.kv_bytes_per_token_gpu * 2, p.kv_bytes_per_token_gpu);
  CS_ASSERT_TRUE(q.num_blocks >= 2 * p.num_blocks && q.num_blocks <= 2 * p.num_blocks + 1);
  /* one GPU cannot hold the weights */
  in.kv_bytes = 0;
  in.tp = 1;
  CS_ASSERT_OK(cs_memplan_compute(&in, &q, &err), &err);
  CS_ASSERT_TRUE(!q.fits);
  CS_ASSERT_STR_CONTAINS(q.why, "weights alone exceed");
  CS_ASSERT_INT_EQ(q.min_gpus, 2);
}

static void test_vllm_mode_mla_latent_is_replicated_across_tp(void) {
  cs_memplan_input in;
  cs_memplan_input_defaults(&in);
  in.model = model("DeepSeek-V3");
  in.device = device("h200");
  in.tp = 8;
  cs_memplan p;
  cs_err err = {0};
  CS_ASSERT_OK(cs_memplan_compute(&in, &p, &err), &err);
  CS_ASSERT_DBL_EQ(p.kv_bytes_per_token, 61.0 * (512 + 64) * 2);
  CS_ASSERT_DBL_EQ(p.kv_bytes_per_token_gpu, 61.0 * (512 + 64) * 2); /* not divided by TP */
  CS_ASSERT_TRUE(p.fits);                                             /* fp8 671B on 8 x H200 */
  CS_ASSERT_TRUE(p.weights_gib > 78 && p.weights_gib < 81);           /* fp8 layers, bf16 embeddings */
  in.device = device("h100");
  CS_ASSERT_OK(cs_memplan_compute(&in, &p, &err), &err);
  CS_ASSERT_TRUE(!p.fits); /* 634 GiB of weights > 8 x 71 GiB */
  CS_ASSERT_TRUE(p.min_gpus >= 9);
}

static void test_invalid_inputs_fail_clearly(void) {
  cs_memplan_input in;
  cs_memplan_input_defaults(&in);
  in.model = model("Meta-Llama-3-70B");
  in.device = device("h100");
  cs_memplan p;
  cs_err err = {0};
  in.tp = 3;
  CS_ASSERT_INT_EQ(cs_memplan_compute(&in, &p, &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "TP 3 does not divide the 64 attention heads");
  CS_ASSERT_STR_CONTAINS(err.msg, "valid TP sizes: 1, 2, 4, 8, 16, 32, 64");
  in.tp = 1;
  in.max_model_len = -5;
  CS_ASSERT_INT_EQ(cs_memplan_compute(&in, &p, &err), CS_ERANGE);
  in.max_model_len = 0;
  in.gpu_memory_utilization = 1.5;
  CS_ASSERT_INT_EQ(cs_memplan_compute(&in, &p, &err), CS_ERANGE);
  in.gpu_memory_utilization = 0.9;
  in.model = model("phi-2");
  in.tp = 2;
  CS_ASSERT_INT_EQ(cs_memplan_compute(&in, &p, &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "does not support tensor parallelism");
}

static void test_hf_config_matches_catalog_entry(void) {
  char path[4096];
  const char *pairs[4][2] = {{"llama-3-8b", "Meta-Llama-3-8B"}, {"mixtral-8x7b", "Mixtral-8x7B"},
                            {"deepseek-v3", "DeepSeek-V3"}, {"qwen-72b", "Qwen-72B"}};
  for (size_t i = 0; i < 4; i++) {
    char rel[256];
    snprintf(rel, sizeof rel, "tests/data/catalog/%s/config.json", pairs[i][0]);
    cs_test_source(rel, path, sizeof path);
    cs_model *m = NULL;
    cs_err err = {0};
    CS_ASSERT_OK(cs_model_load_hf_config(path, &m, &err), &err);
    if (!m) continue;
    const cs_model *c = model(pairs[i][1]);
    CS_ASSERT_INT_EQ(m->num_params, c->num_params);
    CS_ASSERT_INT_EQ(m->mlp_hidden, c->mlp_hidden);
    CS_ASSERT_INT_EQ(m->num_kv_heads, c->num_kv_heads);
    CS_ASSERT_DBL_EQ(m->weight_bytes, c->weight_bytes);
    CS_ASSERT_INT_EQ(cs_model_attn_kind(m), cs_model_attn_kind(c));
    CS_ASSERT_INT_EQ(m->num_experts, c->num_experts);
    cs_model_free(m);
  }
}

static void test_hf_config_errors_name_file_line_col_and_key(void) {
  char path[4096];
  cs_model *m = NULL;
  cs_err err = {0};
  cs_test_source("tests/data/catalog/bad/malformed.json", path, sizeof path);
  CS_ASSERT_INT_EQ(cs_model_load_hf_config(path, &m, &err), CS_EPARSE);
  CS_ASSERT_STR_CONTAINS(err.msg, "malformed.json:4:");
  cs_test_source("tests/data/catalog/bad/missing_layers.json", path, sizeof path);
  CS_ASSERT_INT_EQ(cs_model_load_hf_config(path, &m, &err), CS_EPARSE);
  CS_ASSERT_STR_CONTAINS(err.msg, "missing_layers.json:1:1: missing key 'num_hidden_layers'");
  cs_test_source("tests/data/catalog/bad/wrong_type.json", path, sizeof path);
  CS_ASSERT_TRUE(cs_model_load_hf_config(path, &m, &err) < 0);
  CS_ASSERT_STR_CONTAINS(err.msg, "wrong_type.json:4:18: hidden_size: expected an integer, got 'big'");
  CS_ASSERT_TRUE(cs_model_load_hf_config("/nonexistent/config.json", &m, &err) < 0);
  CS_ASSERT_STR_CONTAINS(err.msg, "/nonexistent/config.json");
  CS_ASSERT_TRUE(m == NULL);
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
    {"test_vidur_mode_reproduces_vidur_block_counts", test_vidur_mode_reproduces_vidur_block_counts},
    {"test_vidur_mode_rejects_models_it_cannot_plan", test_vidur_mode_rejects_models_it_cannot_plan},
    {"test_hf_config_mistral_small_kv_bytes_per_token_is_163840", test_hf_config_mistral_small_kv_bytes_per_token_is_163840},
    {"test_vllm_mode_breakdown_follows_vllm", test_vllm_mode_breakdown_follows_vllm},
    {"test_vllm_mode_mla_latent_is_replicated_across_tp", test_vllm_mode_mla_latent_is_replicated_across_tp},
    {"test_invalid_inputs_fail_clearly", test_invalid_inputs_fail_clearly},
    {"test_hf_config_matches_catalog_entry", test_hf_config_matches_catalog_entry},
    {"test_hf_config_errors_name_file_line_col_and_key", test_hf_config_errors_name_file_line_col_and_key},
    {NULL, NULL}};

int main(void) {
  setup();
  int rc = cs_test_run("catalog_memplan", cases);
  cs_catalog_free(cat);
  return rc;
}
