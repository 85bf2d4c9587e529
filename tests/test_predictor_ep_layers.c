/* Expert-parallel MoE layers in the roofline predictor (src/predictor/roofline_ep.c): the routed
 * experts on the busiest EP rank hand-computed for a Mixtral-8x7B layer, the stage composition
 * with EP over a replica's TP ranks and with data-parallel attention ("wide EP"), and where EP
 * wins or loses against TP on one 8-GPU H100 node. */
#include <math.h>
#include <stdlib.h>

#include "capsearch/ep.h"
#include "capsearch/predictor.h"
#include "cs_test.h"
#include "predictor/internal.h"

static cs_catalog *cat;
static const cs_model *mixtral;
static const cs_device *h100;
static const cs_network *dgx;

/* A roofline of Mixtral on h100 with round factors: compute at 0.5 x 989.4 TFLOPS, HBM at
 * 0.8 x 3,350 GB/s (the SiLU-and-mul kernel at 0.6 of that), no fixed costs, max() overlap. */
static void hand_roofline(cs__roofline *r, int tp) {
  cs__factors f;
  cs__roofline_device_factors(h100, &f);
  CS_ASSERT_INT_EQ(cs__roofline_init(r, mixtral, h100, dgx, tp, 1, &f, NULL), 0);
  r->eff_c = 0.5;
  r->eff_m = 0.8;
  r->lat_s = r->elem_lat_s = 0;
  r->overlap_n = 100; /* > 50: a hard max() */
  r->n_sm = 132;
  r->mem_scale[CS__OP_MLP_ACT] = 0.6;
}

/* EP 8, one expert per rank, imbalance 1.3.
 * 4,096 tokens: the busiest rank gets 4,096 x 2 / 8 x 1.3 = 1,331.2 token-expert pairs and reads
 * its one expert (14,336 wide, gated: up 4,096 x 28,672, down 14,336 x 4,096, bf16):
 *   up   2 x 1331.2 x 4096 x 28672 FLOP / 494.7 TFLOP/s = 632.047 us (its 322 MB take 120 us)
 *   down 2 x 1331.2 x 14336 x 4096 FLOP / 494.7 TFLOP/s = 316.023 us
 *   act  2 B x 1331.2 x 14336 x 3 / (2,680 GB/s x 0.6)  =  71.209 us      -> 1.019280 ms
 * 1 token (decode of one request): one pair, and the busiest rank reads one whole expert:
 *   up   (234,881,024 + 2 x 32,768) B / 2,680 GB/s = 87.667 us
 *   down (117,440,512 + 2 x 18,432) B / 2,680 GB/s = 43.835 us
 *   act  86,016 B / (1,608 GB/s x 1/132 SMs busy)  =  7.061 us          -> 0.138562 ms
 * where TP 8 reads 1/8 of the two experts the token touches: a quarter of those bytes. */
static void test_routed_experts_on_the_busiest_rank_hand_computed(void) {
  cs__roofline r;
  hand_roofline(&r, 8);
  cs__roofline_ep e = {.ep = 8, .dp = 1, .imbalance = 1.3};
  CS_ASSERT_DBL_NEAR(cs__roofline_ep_experts_ms(&r, &e, 4096), 1.0192796693975361, 1e-12);
  CS_ASSERT_DBL_NEAR(cs__roofline_ep_experts_ms(&r, &e, 1), 0.13856248358208956, 1e-12);
  CS_ASSERT_DBL_EQ(cs__roofline_ep_experts_ms(&r, &e, 0), 0);
  /* the same layer under TP 8: up + down read 1/8 of the 2 experts touched (a quarter of the
   * EP rank's weight bytes): (2 x 2 x 4096 x 3584 + 2 x 2 x 7680) + (2 x 2 x 1792 x 4096 + 2 x 2 x
   * 5888) B / 2,680 GB/s */
  double tp_up_down = cs__roofline_moe_op_ms(&r, CS__OP_MLP_UP_PROJ, 1) + cs__roofline_moe_op_ms(&r, CS__OP_MLP_DOWN_PROJ, 1) -
                      cs__roofline_gemm_ms(&r, 1, 4096, 8); /* minus its router */
  CS_ASSERT_DBL_NEAR(tp_up_down, (58750976.0 + 29383680.0) / 2680e9 * 1e3, 1e-12);
  /* no imbalance: 1,024 pairs a rank at 4,096 tokens, 1.3x less compute */
  cs__roofline_ep even = {.ep = 8, .dp = 1, .imbalance = 1.0};
  CS_ASSERT_DBL_NEAR(cs__roofline_ep_experts_ms(&r, &even, 4096), 1.0192796693975361 / 1.3, 1e-12);
}

static cs_predictor *roofline(int tp, int ep, int dp) {
  const cs_predictor_ops *ops;
  cs_err err = {0};
  CS_ASSERT_OK(cs_predictor_find("roofline", &ops, &err), &err);
  cs_predictor_ctx c = {.model = mixtral, .device = h100, .network = dgx, .tp = tp, .pp = 1, .ep = ep, .dp = dp};
  cs_predictor *p = NULL;
  CS_ASSERT_OK(cs_predictor_new(ops, &c, &p, &err), &err);
  return p;
}

static double stage_ms(const cs_predictor *p, int n, int tokens, int context, bool prefill) {
  cs_batch_item *it = calloc((size_t)n, sizeof *it);
  for (int i = 0; i < n; i++) it[i] = (cs_batch_item){.num_tokens = tokens, .processed = context, .is_prefill = prefill};
  cs_batch_view v = {.n = n, .items = it, .total_tokens = (int64_t)n * tokens};
  cs_stage_time st;
  cs_predictor_stage_time(p, &v, 0, &st);
  free(it);
  return st.model_s * 1e3;
}

/* EP = TP 8 (no DP): attention, norms and both all-reduces as under TP; only the 32 MoE layers'
 * expert MLPs differ, and no all-to-all is added (the tokens are on every TP rank already). */
static void test_ep_over_tp_ranks_changes_only_the_expert_mlp(void) {
  cs__roofline r;
  cs__factors f;
  cs__roofline_device_factors(h100, &f);
  CS_ASSERT_INT_EQ(cs__roofline_init(&r, mixtral, h100, dgx, 8, 1, &f, NULL), 0);
  r.nccl_launch_s = 0.02e-3;
  cs__roofline_ep e = {.ep = 8, .dp = 1, .imbalance = CS_EP_DEFAULT_IMBALANCE};
  cs_predictor *tp = roofline(8, 1, 1), *ep = roofline(8, 8, 1);
  const int sizes[] = {1, 64, 4096, 20000}; /* the last beyond the precomputed tables */
  for (int i = 0; i < 4; i++) {
    double T = sizes[i];
    double want = 32 * (cs__roofline_ep_moe_layer_ms(&r, &e, T) - cs__roofline_layer_ms(&r, T, true));
    CS_ASSERT_DBL_NEAR(stage_ms(ep, sizes[i], 1, 100, false) - stage_ms(tp, sizes[i], 1, 100, false), want, 1e-9);
  }
  cs_predictor_free(tp);
  cs_predictor_free(ep);
}

/* DP 8 x EP 8, TP 1: eight decode requests go one to each attention rank; every MoE layer is one
 * rank's attention + its norms, projections and router on 1 token, then the busiest rank's
 * experts for the group's 8 tokens and their dispatch + combine over NVSwitch. */
static void test_wide_ep_stage_composition(void) {
  cs__roofline r;
  cs__factors f;
  cs__roofline_device_factors(h100, &f);
  CS_ASSERT_INT_EQ(cs__roofline_init(&r, mixtral, h100, dgx, 1, 1, &f, NULL), 0);
  cs__roofline_ep e = {.ep = 8, .dp = 8, .imbalance = CS_EP_DEFAULT_IMBALANCE};
  cs_ep_cost a2a;
  cs_err err = {0};
  CS_ASSERT_OK(cs_ep_cost_init(&a2a, mixtral, h100, dgx, 8, 0, 0, &err), &err);
  double layer = cs__roofline_decode_shape_ms(&r, 1, 1000) + cs__roofline_common_ms(&r, 1) +
                 cs__roofline_gemm_ms(&r, 1, 4096, 8) + cs__roofline_ep_experts_ms(&r, &e, 8) +
                 cs_ep_layer_seconds(&a2a, 8) * 1e3;
  cs_predictor *p = roofline(1, 8, 8);
  CS_ASSERT_DBL_NEAR(stage_ms(p, 8, 1, 1000, false), 32 * layer, 1e-9);
  /* nine requests: rank 0 holds two and sets every layer's pace */
  double layer9 = cs__roofline_decode_shape_ms(&r, 2, 1000) + cs__roofline_common_ms(&r, 2) +
                  cs__roofline_gemm_ms(&r, 2, 4096, 8) + cs__roofline_ep_experts_ms(&r, &e, 9) +
                  cs_ep_layer_seconds(&a2a, 9) * 1e3;
  CS_ASSERT_DBL_NEAR(stage_ms(p, 9, 1, 1000, false), 32 * layer9, 1e-9);
  CS_ASSERT_STR_CONTAINS(cs_predictor_describe(p), "EP 8: whole experts");
  CS_ASSERT_STR_CONTAINS(cs_predictor_describe(p), "data-parallel attention over 8 ranks of TP 1");
  cs_predictor_free(p);
}

/* Mixtral-8x7B on one DGX H100 (8 GPUs), default factors. EP over the TP ranks loses a one-request
 * decode step (the busiest rank reads a whole expert, TP reads a quarter of one) and never wins
 * (same weights and all-reduces at large batches, plus the imbalance). Wide EP loses a single
 * 2,048-token prefill (one attention rank holds it all) and wins a large prefill batch (no
 * all-reduces; the attention ranks work in parallel). */
static void test_where_ep_wins_and_loses_against_tp(void) {
  cs_predictor *tp = roofline(8, 1, 1), *ep = roofline(8, 8, 1), *wide = roofline(1, 8, 8);
  CS_ASSERT_TRUE(stage_ms(ep, 1, 1, 1000, false) > 1.2 * stage_ms(tp, 1, 1, 1000, false));
  CS_ASSERT_TRUE(stage_ms(ep, 512, 1, 1000, false) >= stage_ms(tp, 512, 1, 1000, false));
  CS_ASSERT_TRUE(stage_ms(ep, 8, 2048, 0, true) >= stage_ms(tp, 8, 2048, 0, true));
  CS_ASSERT_TRUE(stage_ms(wide, 1, 2048, 0, true) > stage_ms(tp, 1, 2048, 0, true));
  CS_ASSERT_TRUE(stage_ms(wide, 8, 2048, 0, true) < 0.85 * stage_ms(tp, 8, 2048, 0, true));
  CS_ASSERT_TRUE(stage_ms(wide, 512, 1, 1000, false) < stage_ms(tp, 512, 1, 1000, false));
  cs_predictor_free(tp);
  cs_predictor_free(ep);
  cs_predictor_free(wide);
}

static void test_inconsistent_ep_and_dp_are_refused(void) {
  const cs_predictor_ops *roof, *constant;
  cs_err err = {0};
  CS_ASSERT_OK(cs_predictor_find("roofline", &roof, &err), &err);
  CS_ASSERT_OK(cs_predictor_find("constant", &constant, &err), &err);
  cs_predictor *p = NULL;
  cs_predictor_ctx c = {.model = mixtral, .device = h100, .network = dgx, .tp = 8, .pp = 1, .ep = 4};
  CS_ASSERT_INT_NE(cs_predictor_new(roof, &c, &p, &err), 0);
  CS_ASSERT_STR_CONTAINS(err.msg, "ep 4 must equal tp 8 x dp 1");
  c.ep = 0, c.dp = 2;
  CS_ASSERT_INT_NE(cs_predictor_new(roof, &c, &p, &err), 0);
  CS_ASSERT_STR_CONTAINS(err.msg, "needs expert parallelism over its tp x dp = 16 GPUs");
  c.tp = 4, c.ep = 8;
  CS_ASSERT_INT_NE(cs_predictor_new(constant, &c, &p, &err), 0);
  CS_ASSERT_STR_CONTAINS(err.msg, "cannot split a batch over data-parallel attention ranks");
  CS_ASSERT_TRUE(p == NULL);
}

static const cs_test_case cases[] = {
    {"test_routed_experts_on_the_busiest_rank_hand_computed", test_routed_experts_on_the_busiest_rank_hand_computed},
    {"test_ep_over_tp_ranks_changes_only_the_expert_mlp", test_ep_over_tp_ranks_changes_only_the_expert_mlp},
    {"test_wide_ep_stage_composition", test_wide_ep_stage_composition},
    {"test_where_ep_wins_and_loses_against_tp", test_where_ep_wins_and_loses_against_tp},
    {"test_inconsistent_ep_and_dp_are_refused", test_inconsistent_ep_and_dp_are_refused},
    {NULL, NULL}};

int main(void) {
  char dir[4096];
  cs_test_source("configs", dir, sizeof dir);
  cs_err err = {0};
  if (cs_catalog_load(dir, &cat, &err) || cs_catalog_find_model(cat, "Mixtral-8x7B", &mixtral, &err) ||
      cs_catalog_find_device(cat, "h100", &h100, &err) || cs_catalog_find_network(cat, "h100_dgx", &dgx, &err)) {
    fprintf(stderr, "catalog: %s\n", err.msg);
    return 1;
  }
  int rc = cs_test_run("predictor_ep_layers", cases);
  cs_catalog_free(cat);
  return rc;
}
