/* Expert-parallel all-to-all cost (include/capsearch/ep.h), hand-computed for known MoE layers on
 * the h100_dgx network profile (NVSwitch 450 GB/s and 3 us inside a node; 50 GB/s and 5 us per
 * GPU across nodes), and the predictors adding it per MoE layer of a stage. */
#include <stdlib.h>

#include "capsearch/ep.h"
#include "capsearch/predictor.h"
#include "cs_test.h"

static cs_catalog *cat;
static const cs_model *mixtral, *dsv3, *llama;
static const cs_network *dgx;

/* Mixtral-8x7B, EP 8 in one node, 4,096 tokens, no imbalance: each rank holds 512 tokens and
 * sends 512 x top-2 x 4,096 hidden x 2 bytes = 8,388,608 bytes, 7/8 of it to the 7 other GPUs
 * of its node: 3 us + 7,340,032 B / 450 GB/s = 19.311 us per all-to-all, 38.622 us per layer. */
static void test_mixtral_layer_in_one_node(void) {
  cs_ep_cost c;
  cs_err err = {0};
  CS_ASSERT_OK(cs_ep_cost_init(&c, mixtral, NULL, dgx, 8, 0, 1.0, &err), &err);
  CS_ASSERT_INT_EQ(c.moe_layers, 32);
  CS_ASSERT_DBL_EQ(c.bytes_per_token, 16384.0);
  CS_ASSERT_DBL_NEAR(cs_ep_layer_seconds(&c, 4096), 2 * (3e-6 + 7340032.0 / 450e9), 1e-15);
  CS_ASSERT_DBL_NEAR(cs_ep_layer_seconds(&c, 4096), 38.6223644e-6, 1e-12);
  /* the stated imbalance: the busiest rank carries 1.3x the mean payload */
  CS_ASSERT_OK(cs_ep_cost_init(&c, mixtral, NULL, dgx, 8, 0, 0, &err), &err);
  CS_ASSERT_DBL_EQ(c.imbalance, CS_EP_DEFAULT_IMBALANCE);
  CS_ASSERT_DBL_NEAR(cs_ep_layer_seconds(&c, 4096), 2 * (3e-6 + 1.3 * 7340032.0 / 450e9), 1e-15);
  CS_ASSERT_DBL_EQ(cs_ep_layer_seconds(&c, 0), 0);
}

/* DeepSeek-V3, EP 16 over two 8-GPU nodes, 4,096 tokens: 256 tokens a rank, 256 x top-8 x 7,168
 * x 2 bytes = 29,360,128 bytes; 7/16 stays in the node (3 us + 12,845,056 B / 450 GB/s =
 * 31.545 us), 8/16 crosses to the other node (5 us + 14,680,064 B / 50 GB/s = 298.601 us), at the
 * same time: the NIC sets 298.601 us, twice per layer. */
static void test_deepseek_v3_layer_across_nodes(void) {
  cs_ep_cost c;
  cs_err err = {0};
  CS_ASSERT_OK(cs_ep_cost_init(&c, dsv3, NULL, dgx, 16, 0, 1.0, &err), &err);
  CS_ASSERT_INT_EQ(c.moe_layers, 58); /* 61 layers, the first 3 dense */
  CS_ASSERT_DBL_NEAR(cs_ep_layer_seconds(&c, 4096), 2 * (5e-6 + 14680064.0 / 50e9), 1e-15);
  CS_ASSERT_DBL_NEAR(cs_ep_layer_seconds(&c, 4096), 597.20256e-6, 1e-12);
}

static void test_bad_ep_is_refused(void) {
  cs_ep_cost c;
  cs_err err = {0};
  CS_ASSERT_INT_NE(cs_ep_cost_init(&c, llama, NULL, dgx, 8, 0, 0, &err), 0);
  CS_ASSERT_STR_CONTAINS(err.msg, "needs a mixture-of-experts model");
  CS_ASSERT_INT_NE(cs_ep_cost_init(&c, mixtral, NULL, dgx, 3, 0, 0, &err), 0);
  CS_ASSERT_STR_CONTAINS(err.msg, "ep 3 does not divide the 8 experts");
  CS_ASSERT_INT_NE(cs_ep_cost_init(&c, mixtral, NULL, dgx, 8, 0, 0.5, &err), 0);
  CS_ASSERT_STR_CONTAINS(err.msg, "imbalance must be >= 1");
}

/* The constant predictor (10 ms a stage) on Mixtral TP 8 PP 2 with EP 8: each stage holds 16 MoE
 * layers and gains 16 x the layer's all-to-all; without EP it stays 10 ms. */
static void test_predictor_adds_the_all_to_all(void) {
  const cs_predictor_ops *ops;
  cs_err err = {0};
  CS_ASSERT_OK(cs_predictor_find("constant", &ops, &err), &err);
  cs_predictor_ctx ctx = {.model = mixtral, .network = dgx, .tp = 8, .pp = 2, .ep = 8, .ep_imbalance = 1.0};
  cs_predictor *p = NULL, *q = NULL;
  CS_ASSERT_OK(cs_predictor_new(ops, &ctx, &p, &err), &err);
  ctx.ep = 0;
  CS_ASSERT_OK(cs_predictor_new(ops, &ctx, &q, &err), &err);
  cs_batch_item items[2] = {{.num_tokens = 2048, .processed = 0, .is_prefill = true},
                            {.num_tokens = 2048, .processed = 0, .is_prefill = true}};
  cs_batch_view v = {.n = 2, .items = items, .total_tokens = 4096};
  cs_stage_time a, b;
  cs_predictor_stage_time(p, &v, 1, &a);
  cs_predictor_stage_time(q, &v, 1, &b);
  CS_ASSERT_DBL_NEAR(b.total_s, 0.010, 1e-15);
  CS_ASSERT_DBL_NEAR(a.total_s, 0.010 + 16 * 2 * (3e-6 + 7340032.0 / 450e9), 1e-15);
  CS_ASSERT_DBL_NEAR(a.model_s - b.model_s, a.total_s - b.total_s, 1e-15);
  cs_predictor_free(p);
  cs_predictor_free(q);
}

static const cs_test_case cases[] = {{"test_mixtral_layer_in_one_node", test_mixtral_layer_in_one_node},
                                     {"test_deepseek_v3_layer_across_nodes", test_deepseek_v3_layer_across_nodes},
                                     {"test_bad_ep_is_refused", test_bad_ep_is_refused},
                                     {"test_predictor_adds_the_all_to_all", test_predictor_adds_the_all_to_all},
                                     {NULL, NULL}};

int main(void) {
  char dir[4096];
  cs_test_source("configs", dir, sizeof dir);
  cs_err err = {0};
  if (cs_catalog_load(dir, &cat, &err) || cs_catalog_find_model(cat, "Mixtral-8x7B", &mixtral, &err) ||
      cs_catalog_find_model(cat, "DeepSeek-V3", &dsv3, &err) ||
      cs_catalog_find_model(cat, "Meta-Llama-3-70B", &llama, &err) ||
      cs_catalog_find_network(cat, "h100_dgx", &dgx, &err)) {
    fprintf(stderr, "catalog: %s\n", err.msg);
    return 1;
  }
  int rc = cs_test_run("predictor_ep", cases);
  cs_catalog_free(cat);
  return rc;
}
