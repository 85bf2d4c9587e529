/* Disaggregated prefill/decode runs (src/sim/disagg.c, kv_transfer.c), hand-computed:
 * KV bytes and transfer time for known models and networks, and two requests through both
 * pools with the 10 ms constant-stage predictor of sim_fixture.h. */
#include "capsearch/disagg.h"
#include "capsearch/memplan.h"
#include "cs_test.h"
#include "sim_fixture.h"

#define EPS 1e-12

static cs_catalog *cat;

static void load_catalog(void) {
  char dir[4096];
  cs_test_source("configs", dir, sizeof dir);
  cs_err err = {0};
  if (cs_catalog_load(dir, &cat, &err)) {
    fprintf(stderr, "cannot load catalog: %s\n", err.msg);
    exit(1);
  }
}

static const cs_model *model(const char *name) {
  const cs_model *m = NULL;
  cs_err err = {0};
  if (cs_catalog_find_model(cat, name, &m, &err)) fprintf(stderr, "%s\n", err.msg);
  return m;
}

static const cs_network *network(const char *name) {
  const cs_network *n = NULL;
  cs_err err = {0};
  if (cs_catalog_find_network(cat, name, &n, &err)) fprintf(stderr, "%s\n", err.msg);
  return n;
}

/* Llama-3-70B: 80 layers x 8 KV heads x 128 dims x (K, V) x 2 bytes = 327,680 bytes a token.
 * A 1,000-token prompt is 327.68 MB. Prefill TP2 -> decode TP4: 2 links in parallel.
 * Across h100_dgx nodes (50 GB/s per GPU, 5 us): 5e-6 + 327.68e6 / (2 x 50e9) = 3.2818 ms.
 * One node (1 x TP2 + 1 x TP4 = 6 GPUs <= 8; NVSwitch 450 GB/s, 3 us): 3e-6 + 327.68e6 / 900e9. */
static void test_kv_transfer_llama3_70b(void) {
  const cs_model *m = model("Meta-Llama-3-70B");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CS_ASSERT_DBL_EQ(cs_kv_bytes_per_token(m, 0), 327680.0);
  cs_disagg_config c;
  memset(&c, 0, sizeof c);
  cs_sim_config_defaults(&c.prefill);
  cs_sim_config_defaults(&c.decode);
  c.prefill.model = m;
  c.prefill.network = network("h100_dgx");
  c.prefill.tp = 2;
  c.decode.tp = 4;
  c.link.placement = CS_KV_INTER;
  cs_kv_path p;
  cs_err err = {0};
  CS_ASSERT_OK(cs_kv_path_resolve(&c, &p, &err), &err);
  CS_ASSERT_INT_EQ(p.lanes, 2);
  CS_ASSERT_TRUE(p.inter_node);
  CS_ASSERT_DBL_NEAR(cs_kv_transfer_seconds(&p, 1000), 5e-6 + 327.68e6 / 100e9, EPS);
  CS_ASSERT_DBL_NEAR(cs_kv_transfer_seconds(&p, 1000), 3.2818e-3, 1e-12);
  c.link.placement = CS_KV_AUTO; /* no devices set: different nodes are assumed */
  const cs_device *h100 = NULL;
  CS_ASSERT_OK(cs_catalog_find_device(cat, "h100", &h100, &err), &err);
  c.prefill.device = c.decode.device = h100;
  CS_ASSERT_OK(cs_kv_path_resolve(&c, &p, &err), &err);
  CS_ASSERT_TRUE(!p.inter_node);
  CS_ASSERT_DBL_NEAR(cs_kv_transfer_seconds(&p, 1000), 3e-6 + 327.68e6 / 900e9, EPS);
  c.decode.num_replicas = 2; /* 2 + 8 = 10 GPUs: more than one node */
  CS_ASSERT_OK(cs_kv_path_resolve(&c, &p, &err), &err);
  CS_ASSERT_TRUE(p.inter_node);
}

/* DeepSeek-V3 (MLA): one latent of 512 + 64 per layer, 61 layers, 2 bytes: 70,272 bytes a token. */
static void test_kv_bytes_mla(void) {
  const cs_model *m = model("DeepSeek-V3");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CS_ASSERT_DBL_EQ(cs_kv_bytes_per_token(m, 0), 70272.0);
  CS_ASSERT_DBL_EQ(cs_kv_bytes_per_token(m, 1), 35136.0); /* fp8 KV */
}

/* The fixture's Tiny-7B: 32 layers x 32 KV heads x 128 x 2 x 2 = 524,288 bytes a token; a
 * 100-token prompt over one 50 GB/s link with 5 us latency: T = 5e-6 + 52,428,800 / 50e9. */
static const cs_network fx_net = {.name = "testnet", .devices_per_node = 8, .intra_bw_gbps = 400,
                                  .intra_latency_us = 1, .inter_bw_gbps = 50, .inter_latency_us = 5};

static void fx_disagg(cs_disagg_config *c, const cs_trace *t, const cs_predictor *p, const char *decode_sched) {
  memset(c, 0, sizeof *c);
  fx_config(&c->prefill, t, p);
  fx_config(&c->decode, t, p);
  c->prefill.network = c->decode.network = &fx_net;
  c->decode.replica_scheduler = decode_sched;
  c->link.placement = CS_KV_INTER;
}

/* Two requests of 100 prompt and 3 output tokens, both at t = 0, one replica per pool.
 * Prefill pool: one batch of both prompts, 0 -> 10 ms. KV transfers over the one link, in turn:
 * request 0 from 10 ms to x0 = 10 ms + T, request 1 from x0 to x1 = x0 + T.
 * Decode pool: request 0 arrives at x0 and is scheduled at once (its last prompt token):
 * first token at x0 + 10 ms; request 1 arrives at x1 < x0 + 10 ms and waits; the batch at
 * x0 + 10 ms holds request 0's decode and request 1's last prompt token (its first token at
 * x0 + 20 ms); then tokens every 10 ms: request 0 done at x0 + 30 ms, request 1 at x0 + 40 ms. */
static void check_two_requests(const char *decode_sched) {
  const double T = 5e-6 + 52428800.0 / 50e9, x0 = 0.010 + T;
  fx_row rows[] = {{.at = 0, .p = 100, .d = 3}, {.at = 0, .p = 100, .d = 3}};
  cs_trace *t = fx_trace(rows, 2);
  cs_predictor *p = fx_predictor(10, 1);
  cs_disagg_config c;
  fx_disagg(&c, t, p, decode_sched);
  cs_sim_result *res = NULL;
  cs_err err = {0};
  CS_ASSERT_OK(cs_disagg_run(&c, &res, &err), &err);
  size_t n = 0;
  const cs_request_record *rec = cs_sim_result_records(res, &n);
  CS_ASSERT_INT_EQ(n, 2);
  if (n == 2) {
    CS_ASSERT_DBL_NEAR(rec[0].v[CS_RM_TTFT], x0 + 0.010, EPS);
    CS_ASSERT_DBL_NEAR(rec[0].v[CS_RM_E2E], x0 + 0.030, EPS);
    CS_ASSERT_DBL_NEAR(rec[0].v[CS_RM_TPOT], 0.020 / 3, EPS);
    CS_ASSERT_DBL_NEAR(rec[1].v[CS_RM_TTFT], x0 + 0.020, EPS);
    CS_ASSERT_DBL_NEAR(rec[1].v[CS_RM_E2E], x0 + 0.040, EPS);
    CS_ASSERT_DBL_NEAR(rec[1].v[CS_RM_SCHED_DELAY], 0.010 - T, EPS); /* waited in the decode pool */
    CS_ASSERT_DBL_NEAR(rec[0].v[CS_RM_EXEC], 0.040, EPS);            /* 1 prefill + 3 decode batches */
    CS_ASSERT_INT_EQ(rec[1].v[CS_RM_REPLICA], 1);                    /* the decode replica, after the prefill one */
    CS_ASSERT_INT_EQ(rec[1].v[CS_RM_NUM_DECODE], 3);
    CS_ASSERT_INT_EQ(rec[1].v[CS_RM_NUM_PREFILL], 100);
  }
  const cs_sim_stats *st = cs_sim_result_stats(res);
  CS_ASSERT_INT_EQ(st->num_arrived, 2);
  CS_ASSERT_INT_EQ(st->num_completed, 2);
  CS_ASSERT_INT_EQ(st->num_batches, 1 + 4);
  /* the extra column: transfer 0 took T, transfer 1 waited T for the link then took T */
  char dir[4096], path[4200];
  cs_test_tmpdir(dir, sizeof dir);
  CS_ASSERT_OK(cs_disagg_write_outputs(res, &c, dir, NULL, &err), &err);
  snprintf(path, sizeof path, "%s/request_metrics.csv", dir);
  char *csv = cs_test_read(path, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(csv);
  CS_ASSERT_STR_CONTAINS(csv, ",replica,kv_transfer_time\n");
  char want[64];
  snprintf(want, sizeof want, ",%.6f\n", 2 * T);
  CS_ASSERT_STR_CONTAINS(csv, want);
  free(csv);
  snprintf(path, sizeof path, "%s/config.json", dir);
  char *js = cs_test_read(path, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(js);
  CS_ASSERT_STR_CONTAINS(js, "\"placement\": \"inter_node\"");
  free(js);
  cs_sim_result_free(res);
  cs_predictor_free(p);
  cs_trace_free(t);
}

static void test_two_requests_vllm_v1(void) { check_two_requests("vllm_v1"); }
static void test_two_requests_sarathi(void) { check_two_requests("sarathi"); }

/* A decode pool whose scheduler always recomputes the whole prompt cannot use received KV. */
static void test_decode_scheduler_rejected(void) {
  fx_row rows[] = {{.at = 0, .p = 100, .d = 3}};
  cs_trace *t = fx_trace(rows, 1);
  cs_predictor *p = fx_predictor(10, 1);
  cs_disagg_config c;
  fx_disagg(&c, t, p, "orca");
  cs_sim_result *res = NULL;
  cs_err err = {0};
  CS_ASSERT_INT_NE(cs_disagg_run(&c, &res, &err), 0);
  CS_ASSERT_STR_CONTAINS(err.msg, "decode pool: replica scheduler 'orca'");
  cs_predictor_free(p);
  cs_trace_free(t);
}

/* The aggregated request_metrics.csv keeps Vidur's 25 columns: no extra column. */
static void test_aggregated_columns_unchanged(void) {
  fx_row rows[] = {{.at = 0, .p = 100, .d = 3}};
  cs_trace *t = fx_trace(rows, 1);
  cs_predictor *p = fx_predictor(10, 1);
  cs_sim_config c;
  fx_config(&c, t, p);
  cs_sim_result *res = NULL;
  cs_err err = {0};
  CS_ASSERT_OK(cs_sim_run(&c, &res, &err), &err);
  char dir[4096], path[4200];
  cs_test_tmpdir(dir, sizeof dir);
  CS_ASSERT_OK(cs_sim_write_outputs(res, &c, dir, NULL, &err), &err);
  snprintf(path, sizeof path, "%s/request_metrics.csv", dir);
  char *csv = cs_test_read(path, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(csv);
  CS_ASSERT_STR_CONTAINS(csv, ",request_arrived_at,replica\n");
  CU_ASSERT_PTR_NULL(strstr(csv, "kv_transfer_time"));
  free(csv);
  cs_sim_result_free(res);
  cs_predictor_free(p);
  cs_trace_free(t);
}

/* Mixture-of-experts models size their KV cache with vLLM's planner (Vidur's has no MoE), with
 * the experts split over the TP ranks when EP = TP; any other EP is refused. */
static void test_moe_replica_with_expert_parallelism(void) {
  const cs_model *m = model("Mixtral-8x7B");
  const cs_device *h100 = NULL;
  cs_err err = {0};
  CS_ASSERT_OK(cs_catalog_find_device(cat, "h100", &h100, &err), &err);
  fx_row rows[] = {{.at = 0, .p = 100, .d = 3}};
  cs_trace *t = fx_trace(rows, 1);
  cs_predictor *p = fx_predictor(10, 1);
  cs_sim_config c;
  fx_config(&c, t, p);
  c.model = m;
  c.device = h100;
  c.num_blocks = 0;
  c.tp = c.ep = 8;
  cs_sim_result *res = NULL;
  CS_ASSERT_OK(cs_sim_run(&c, &res, &err), &err);
  if (res) {
    CS_ASSERT_INT_EQ(cs_sim_result_stats(res)->num_completed, 1);
    CS_ASSERT_TRUE(cs_sim_result_stats(res)->num_blocks > 1000);
    cs_sim_result_free(res);
  }
  c.ep = 4;
  CS_ASSERT_INT_NE(cs_sim_run(&c, &res, &err), 0);
  CS_ASSERT_STR_CONTAINS(err.msg, "EP 4: the simulator splits the experts over a replica's TP ranks");
  cs_predictor_free(p);
  cs_trace_free(t);
}

/* Wide EP: Mixtral on 8 H100s as 8 data-parallel attention ranks (TP 1) sharing EP 8. Each GPU
 * holds the attention and embeddings whole and one expert (vLLM's planner at tp 1, dp 8,
 * expert_parallel), and the replica's scheduler pools the 8 ranks' KV caches. The two requests
 * of a 10 ms constant step run in one batch either way. EP must equal TP x DP. */
static void test_wide_ep_replica_pools_the_attention_ranks_kv(void) {
  const cs_model *m = model("Mixtral-8x7B");
  const cs_device *h100 = NULL;
  cs_err err = {0};
  CS_ASSERT_OK(cs_catalog_find_device(cat, "h100", &h100, &err), &err);
  fx_row rows[] = {{.at = 0, .p = 100, .d = 3}, {.at = 0, .p = 100, .d = 3}};
  cs_trace *t = fx_trace(rows, 2);
  cs_predictor *p = fx_predictor(10, 1);
  cs_sim_config c;
  fx_config(&c, t, p);
  c.model = m;
  c.device = h100;
  c.num_blocks = 0;
  c.tp = 1;
  c.dp = c.ep = 8;
  cs_memplan_input in;
  cs_memplan_input_defaults(&in);
  in.model = m, in.device = h100, in.engine = CS_ENGINE_VLLM, in.expert_parallel = true;
  in.tp = 1, in.dp = 8, in.max_model_len = 4096, in.gpu_memory_utilization = 1 - c.memory_margin;
  in.block_size = c.block_size;
  cs_memplan plan;
  CS_ASSERT_OK(cs_memplan_compute(&in, &plan, &err), &err);
  CS_ASSERT_TRUE(plan.fits && plan.weights_gib < 16);
  cs_sim_result *res = NULL;
  CS_ASSERT_OK(cs_sim_run(&c, &res, &err), &err);
  if (res) {
    CS_ASSERT_INT_EQ(cs_sim_result_stats(res)->num_completed, 2);
    CS_ASSERT_INT_EQ(cs_sim_result_stats(res)->num_blocks, 8 * plan.num_blocks);
    cs_sim_result_free(res);
  }
  c.ep = 4;
  CS_ASSERT_INT_NE(cs_sim_run(&c, &res, &err), 0);
  CS_ASSERT_STR_CONTAINS(err.msg, "(EP = TP 1 x DP 8)");
  cs_predictor_free(p);
  cs_trace_free(t);
}

static const cs_test_case cases[] = {
    {"test_moe_replica_with_expert_parallelism", test_moe_replica_with_expert_parallelism},
    {"test_wide_ep_replica_pools_the_attention_ranks_kv", test_wide_ep_replica_pools_the_attention_ranks_kv},
    {"test_kv_transfer_llama3_70b", test_kv_transfer_llama3_70b},
    {"test_kv_bytes_mla", test_kv_bytes_mla},
    {"test_two_requests_vllm_v1", test_two_requests_vllm_v1},
    {"test_two_requests_sarathi", test_two_requests_sarathi},
    {"test_decode_scheduler_rejected", test_decode_scheduler_rejected},
    {"test_aggregated_columns_unchanged", test_aggregated_columns_unchanged},
    {NULL, NULL}};

int main(void) {
  load_catalog();
  int rc = cs_test_run("sim_disagg", cases);
  cs_catalog_free(cat);
  return rc;
}
