/* Predictor registry, the constant predictor and the roofline predictor's physics (no data). */
#include <stdlib.h>

#include "capsearch/predictor.h"
#include "cs_test.h"
#include "predictor/internal.h"

#include "predictor_fixture.h"

static cs_predictor *make(const char *name, const cs_model *m, const cs_device *d, const cs_network *n, int tp, int pp,
                          const char *pname, double pval) {
  const cs_predictor_ops *ops = NULL;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_predictor_find(name, &ops, &err), 0);
  if (!ops) return NULL;
  cs_predictor_ctx ctx = {0};
  ctx.model = m;
  ctx.device = d;
  ctx.network = n;
  ctx.tp = tp;
  ctx.pp = pp;
  if (pname) CS_ASSERT_INT_EQ(cs_params_set(&ctx.params, ops->info.params, ops->info.nparams, name, pname, pval, "test", &err), 0);
  cs_predictor *p = NULL;
  int rc = cs_predictor_new(ops, &ctx, &p, &err);
  if (rc) CS__FAIL_MSG("cs_predictor_new(%s): %s", name, err.msg);
  return p;
}

static double stage(const cs_predictor *p, const cs_batch_item *items, int n, int stage_id) {
  cs_batch_view b = {n, items, 0};
  for (int i = 0; i < n; i++) b.total_tokens += items[i].num_tokens;
  cs_stage_time t = {0};
  cs_predictor_stage_time(p, &b, stage_id, &t);
  return t.total_s;
}

static void test_registry_lists_roofline_first_and_finds_by_name(void) {
  const cs_predictor_ops *const *reg = cs_predictor_registry();
  CS_ASSERT_STR_EQ(reg[0]->info.name, "roofline");
  int n = 0;
  bool has_constant = false;
  for (; reg[n]; n++) has_constant |= !strcmp(reg[n]->info.name, "constant");
  CU_ASSERT_TRUE(has_constant);
  const cs_predictor_ops *ops = NULL;
  CS_ASSERT_INT_EQ(cs_predictor_find("constant", &ops, NULL), 0);
  CS_ASSERT_STR_EQ(ops->info.name, "constant");
}

static void test_registry_unknown_name_suggests_closest(void) {
  const cs_predictor_ops *ops = NULL;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_predictor_find("rooflin", &ops, &err), CS_EUNKNOWN);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "did you mean 'roofline'"));
  CS_ASSERT_INT_EQ(cs_predictor_find("xyzzy-totally-else", &ops, &err), CS_EUNKNOWN);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "expected one of"));
}

static void test_new_rejects_misspelled_parameter_with_suggestion(void) {
  const cs_predictor_ops *ops = NULL;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_predictor_find("constant", &ops, NULL), 0);
  cs_params p = {0};
  CS_ASSERT_INT_EQ(cs_params_set(&p, ops->info.params, ops->info.nparams, "constant", "stage_time_sm", 3, "x.yml:3:5", &err),
                   CS_ECONFIG);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "did you mean 'stage_time_ms'"));
}

static void test_constant_gives_stage_time_ms_whatever_the_batch(void) {
  cs_model m = llama70();
  cs_device d = a100();
  cs_predictor *p = make("constant", &m, &d, NULL, 1, 1, "stage_time_ms", 25);
  cs_batch_item one[] = {{1, 100, false}};
  cs_batch_item many[] = {{512, 0, true}, {1, 3000, false}, {1, 10, false}};
  CS_ASSERT_DBL_EQ(stage(p, one, 1, 0), 0.025);
  CS_ASSERT_DBL_EQ(stage(p, many, 3, 0), 0.025);
  cs_predictor_free(p);
  p = make("constant", &m, &d, NULL, 1, 1, NULL, 0);
  CS_ASSERT_DBL_EQ(stage(p, one, 1, 0), 0.010); /* default 10 ms */
  CU_ASSERT_PTR_NOT_NULL(strstr(cs_predictor_describe(p), "10 ms"));
  cs_predictor_free(p);
  cs_predictor_free(NULL);
}

static void test_roofline_decode_step_is_weight_bandwidth_bound(void) {
  /* One decode token on Llama-2-70B TP1: ~138 GB of weights (L·params_per_layer·2 bytes)
   * streamed once, so the step takes about weights / (HBM bw · eff_m) and certainly more than the
   * pure-bandwidth floor. */
  cs_model m = llama70();
  cs_device d = a100();
  cs_network n = nvlink4();
  cs_predictor *p = make("roofline", &m, &d, &n, 1, 1, NULL, 0);
  cs_batch_item one[] = {{1, 128, false}};
  double t = stage(p, one, 1, 0);
  double per_layer = 8192.0 * 128 * (64 + 16) + 8192.0 * 8192 + 3.0 * 8192 * 28672;
  double floor_s = 80 * per_layer * 2 / 2039e9;
  CU_ASSERT_TRUE(t > floor_s);
  CU_ASSERT_TRUE(t < floor_s * 2.0);
  cs_predictor_free(p);
}

static void test_roofline_grows_with_tokens_context_and_shrinks_with_tp(void) {
  cs_model m = llama70();
  cs_device d = a100();
  cs_network n = nvlink4();
  cs_predictor *p1 = make("roofline", &m, &d, &n, 1, 1, NULL, 0);
  cs_predictor *p2 = make("roofline", &m, &d, &n, 2, 1, NULL, 0);
  cs_batch_item small[] = {{128, 0, true}}, big[] = {{2048, 0, true}};
  CU_ASSERT_TRUE(stage(p1, big, 1, 0) > 4 * stage(p1, small, 1, 0));
  cs_batch_item short_ctx[] = {{1, 100, false}, {1, 100, false}}, long_ctx[] = {{1, 4000, false}, {1, 4000, false}};
  CU_ASSERT_TRUE(stage(p1, long_ctx, 2, 0) > stage(p1, short_ctx, 2, 0));
  double t1 = stage(p1, big, 1, 0), t2 = stage(p2, big, 1, 0);
  CU_ASSERT_TRUE(t2 < t1);
  CU_ASSERT_TRUE(t2 > t1 / 2); /* the all-reduce is not free */
  cs_predictor_free(p1);
  cs_predictor_free(p2);
}

static void test_roofline_last_pipeline_stage_skips_send(void) {
  cs_model m = llama70();
  cs_device d = a100();
  cs_network n = nvlink4();
  cs_predictor *p = make("roofline", &m, &d, &n, 1, 2, NULL, 0);
  cs_batch_item b[] = {{512, 0, true}};
  double first = stage(p, b, 1, 0), last = stage(p, b, 1, 1);
  CU_ASSERT_TRUE(first > last);
  cs_predictor_free(p);
}

static void test_roofline_flags_borrowed_factors_for_unprofiled_device(void) {
  cs_model m = llama70();
  cs_device d = a100();
  d.name = "b200";
  d.arch = "blackwell";
  d.tflops_bf16 = 2250;
  d.hbm_gbps = 7700;
  cs_predictor *p = make("roofline", &m, &d, NULL, 1, 1, NULL, 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(cs_predictor_describe(p), "nearest architecture"));
  cs_predictor_free(p);
  d = a100();
  p = make("roofline", &m, &d, NULL, 1, 1, NULL, 0);
  CU_ASSERT_PTR_NULL(strstr(cs_predictor_describe(p), "WARNING"));
  cs_predictor_free(p);
  /* same architecture, other part: same factors, still flagged */
  d.name = "a100_40g";
  d.hbm_gbps = 1555;
  p = make("roofline", &m, &d, NULL, 1, 1, NULL, 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(cs_predictor_describe(p), "WARNING: no profile for device 'a100_40g'"));
  cs_predictor_free(p);
  /* a catalog entry with calibrated factors is used as given, with its provenance */
  d = a100();
  d.name = "custom";
  d.eff_compute = 0.5;
  d.eff_memory = 0.6;
  d.eff_comm = 0.4;
  d.eff_source = "fitted by hand, 2026";
  p = make("roofline", &m, &d, NULL, 1, 1, NULL, 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(cs_predictor_describe(p), "x 0.50"));
  CU_ASSERT_PTR_NOT_NULL(strstr(cs_predictor_describe(p), "fitted by hand, 2026"));
  cs_predictor_free(p);
}

static void test_roofline_moe_reads_only_touched_experts(void) {
  /* Mixtral-like: 8 experts top-2. One token touches 2 experts' weights, 64 tokens nearly all 8,
   * so a 1-token step is much cheaper than an 8-expert dense equivalent. */
  cs_model m = llama70();
  m.num_layers = 32;
  m.hidden = 4096;
  m.num_q_heads = 32;
  m.num_kv_heads = 8;
  m.mlp_hidden = 14336;
  m.moe_mlp_hidden = 14336;
  m.num_experts = 8;
  m.experts_per_token = 2;
  cs_device d = a100();
  cs__roofline r;
  cs__factors f;
  cs__roofline_device_factors(&d, &f);
  CS_ASSERT_INT_EQ(cs__roofline_init(&r, &m, &d, NULL, 1, 1, &f, NULL), 0);
  double one = cs__roofline_moe_op_ms(&r, CS__OP_MLP_UP_PROJ, 1), many = cs__roofline_moe_op_ms(&r, CS__OP_MLP_UP_PROJ, 64);
  double dense = cs__roofline_tok_op_ms(&r, CS__OP_MLP_UP_PROJ, 1);
  CU_ASSERT_TRUE(one > 1.8 * dense && one < 2.5 * dense);
  CU_ASSERT_TRUE(many > 3.5 * one);
}

static void test_roofline_mla_decode_reads_the_small_latent_cache(void) {
  /* DeepSeek-V3-like attention: 128 heads, latent KV of 512 + 64 per token shared by all heads;
   * the same heads with a per-head K/V cache (MHA, 128 x (128 + 128) per token) read ~57x more
   * bytes, so a long-context decode is far cheaper with MLA. */
  cs_model mla = llama70();
  mla.num_layers = 4;
  mla.hidden = 7168;
  mla.num_q_heads = 128;
  mla.num_kv_heads = 128;
  mla.head_dim = 128;
  mla.kv_lora_rank = 512;
  mla.q_lora_rank = 1536;
  mla.qk_rope_head_dim = 64;
  mla.qk_nope_head_dim = 128;
  mla.v_head_dim = 128;
  cs_model mha = mla;
  mha.kv_lora_rank = 0;
  cs_device d = a100();
  cs__factors f;
  cs__roofline_device_factors(&d, &f);
  cs__roofline a, b;
  CS_ASSERT_INT_EQ(cs__roofline_init(&a, &mla, &d, NULL, 1, 1, &f, NULL), 0);
  CS_ASSERT_INT_EQ(cs__roofline_init(&b, &mha, &d, NULL, 1, 1, &f, NULL), 0);
  double t_mla = cs__roofline_decode_shape_ms(&a, 64, 8192), t_mha = cs__roofline_decode_shape_ms(&b, 64, 8192);
  CU_ASSERT_TRUE(t_mha > 10 * t_mla);
  /* the latent cache save is small too */
  CU_ASSERT_TRUE(cs__roofline_tok_op_ms(&a, CS__OP_KV_CACHE_SAVE, 4096) < cs__roofline_tok_op_ms(&b, CS__OP_KV_CACHE_SAVE, 4096));
}

/* cs__roofline_attn_ms takes one-token decode items through a hoisted copy of add_item's
 * arithmetic: on random mixed batches it must give the very doubles of the per-item path
 * (cs__roofline_decode_ms / cs__roofline_prefill_ms), for causal weights that round (1.6) or not,
 * GQA and MHA shards, and MLA (which keeps the per-item path); memory- and compute-bound. */
static void test_roofline_attn_decode_fast_path_equals_per_item_path(void) {
  cs_device d = a100();
  cs_model gqa = llama70(), mha = llama70(), mla = llama70();
  gqa.num_q_heads = 56, gqa.head_dim = 112; /* constants that are not powers of two */
  mha.num_q_heads = mha.num_kv_heads = 40;
  mla.kv_lora_rank = 512, mla.q_lora_rank = 1536, mla.qk_rope_head_dim = 64, mla.qk_nope_head_dim = 128;
  mla.v_head_dim = 128;
  const cs_model *models[] = {&gqa, &mha, &mla};
  const double cws[] = {1.6, 1.0, 0.7};
  uint64_t x = 0x9e3779b97f4a7c15u;
  cs_batch_item items[64];
  for (int mi = 0; mi < 3; mi++)
    for (int ci = 0; ci < 3; ci++)
      for (int tp = 1; tp <= 4; tp *= 2) {
        cs__factors f;
        cs__roofline_device_factors(&d, &f);
        f.causal_w = cws[ci];
        cs__roofline r;
        CS_ASSERT_INT_EQ(cs__roofline_init(&r, models[mi], &d, NULL, tp, 1, &f, NULL), 0);
        for (int trial = 0; trial < 400; trial++) {
          if (trial == 200) r.peak_flops *= 1e-4; /* compute-bound decode: the FLOPs show in the time */
          int n = 1 + (int)((x = x * 6364136223846793005u + 1442695040888963407u) >> 58);
          cs_batch_view b = {n, items, 0};
          for (int i = 0; i < n; i++) {
            x = x * 6364136223846793005u + 1442695040888963407u;
            bool pre = (x >> 60) < 3;
            items[i].is_prefill = pre;
            items[i].num_tokens = pre ? 1 + (int32_t)((x >> 20) % 600) : (x >> 61) ? 1 : 2;
            items[i].processed = (int32_t)((x >> 30) % ((x >> 59) ? 9000 : 2000000));
            b.total_tokens += items[i].num_tokens;
          }
          double dec = -1, pre = -1;
          cs__roofline_attn_ms(&r, &b, &dec, &pre);
          CU_ASSERT_TRUE(dec == cs__roofline_decode_ms(&r, &b));
          CU_ASSERT_TRUE(pre == cs__roofline_prefill_ms(&r, &b));
        }
      }
}

static void test_roofline_fp8_weights_use_fp8_peak_and_half_the_bytes(void) {
  cs_model m16 = llama70(), m8 = llama70();
  m8.weight_bytes = 1;
  cs_device d = a100();
  d.name = "h100";
  d.arch = "hopper";
  d.tflops_bf16 = 989;
  d.tflops_fp8 = 1979;
  d.hbm_gbps = 3350;
  cs__factors f;
  cs__roofline_device_factors(&d, &f);
  cs__roofline a, b;
  CS_ASSERT_INT_EQ(cs__roofline_init(&a, &m16, &d, NULL, 1, 1, &f, NULL), 0);
  CS_ASSERT_INT_EQ(cs__roofline_init(&b, &m8, &d, NULL, 1, 1, &f, NULL), 0);
  CS_ASSERT_DBL_EQ(b.peak_flops, 1979e12);
  /* weight-bound at 1 token: about half the time; compute-bound at 8192: about half too */
  double r1 = cs__roofline_tok_op_ms(&b, CS__OP_MLP_UP_PROJ, 1) / cs__roofline_tok_op_ms(&a, CS__OP_MLP_UP_PROJ, 1);
  double rb = cs__roofline_tok_op_ms(&b, CS__OP_MLP_UP_PROJ, 8192) / cs__roofline_tok_op_ms(&a, CS__OP_MLP_UP_PROJ, 8192);
  CU_ASSERT_TRUE(r1 > 0.45 && r1 < 0.6);
  CU_ASSERT_TRUE(rb > 0.45 && rb < 0.6);
}

/* A predictor declares its parameters as fields of its own struct (params_size) and gets them
 * bound once by cs_predictor_new: every declared parameter lies inside that struct, so no
 * predictor reads a parameter by name. */
static void test_every_predictor_parameter_is_a_field_of_its_struct(void) {
  const cs_registry *r = cs_predictors();
  for (size_t i = 0; r->entries[i]; i++) {
    const cs_registry_entry *e = r->entries[i];
    if (e->nparams && !e->params_size) CS__FAIL_MSG("predictor %s declares no parameter struct", e->name);
    for (size_t k = 0; k < e->nparams; k++) {
      const cs_param_spec *s = &e->params[k];
      size_t size = s->store == CS_ST_BOOL ? sizeof(bool) : s->store == CS_ST_INT ? sizeof(int) : 8;
      if (s->store == CS_ST_NONE || s->off + size > e->params_size)
        CS__FAIL_MSG("predictor %s.%s: not a field of its %zu-byte struct", e->name, s->name, e->params_size);
    }
  }
}

/* A parameter given to the constant predictor reaches its stage time through the bound struct;
 * the defaults fill the rest. */
static void test_predictor_parameters_are_bound_with_their_defaults(void) {
  cs_batch_item it = {1, 0, true};
  cs_predictor *p = make("constant", NULL, NULL, NULL, 1, 1, "per_token_ms", 2);
  if (!p) return;
  CS_ASSERT_DBL_NEAR(stage(p, &it, 1, 0), 12e-3, 1e-12); /* 10 ms default + 2 ms x 1 token */
  cs_predictor_free(p);
}

static const cs_test_case cases[] = {
    {"test_registry_lists_roofline_first_and_finds_by_name", test_registry_lists_roofline_first_and_finds_by_name},
    {"test_registry_unknown_name_suggests_closest", test_registry_unknown_name_suggests_closest},
    {"test_new_rejects_misspelled_parameter_with_suggestion", test_new_rejects_misspelled_parameter_with_suggestion},
    {"test_constant_gives_stage_time_ms_whatever_the_batch", test_constant_gives_stage_time_ms_whatever_the_batch},
    {"test_roofline_decode_step_is_weight_bandwidth_bound", test_roofline_decode_step_is_weight_bandwidth_bound},
    {"test_roofline_grows_with_tokens_context_and_shrinks_with_tp", test_roofline_grows_with_tokens_context_and_shrinks_with_tp},
    {"test_roofline_last_pipeline_stage_skips_send", test_roofline_last_pipeline_stage_skips_send},
    {"test_roofline_flags_borrowed_factors_for_unprofiled_device", test_roofline_flags_borrowed_factors_for_unprofiled_device},
    {"test_roofline_moe_reads_only_touched_experts", test_roofline_moe_reads_only_touched_experts},
    {"test_roofline_mla_decode_reads_the_small_latent_cache", test_roofline_mla_decode_reads_the_small_latent_cache},
    {"test_roofline_attn_decode_fast_path_equals_per_item_path", test_roofline_attn_decode_fast_path_equals_per_item_path},
    {"test_roofline_fp8_weights_use_fp8_peak_and_half_the_bytes", test_roofline_fp8_weights_use_fp8_peak_and_half_the_bytes},
    {"test_every_predictor_parameter_is_a_field_of_its_struct", test_every_predictor_parameter_is_a_field_of_its_struct},
    {"test_predictor_parameters_are_bound_with_their_defaults", test_predictor_parameters_are_bound_with_their_defaults},
    {NULL, NULL},
};

int main(void) { return cs_test_run("predictor_core", cases); }
