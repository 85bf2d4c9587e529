/* catalog: the shipped YAML catalogs load, agree with Vidur's tables (§5.2), find entries by
 * alias with suggestions, compute parameter counts, and reject sparse TFLOPS figures. */
#include <stdlib.h>

#include "capsearch/catalog.h"
#include "cs_test.h"

static cs_catalog *load_shipped(void) {
  char dir[4096];
  cs_test_source("configs", dir, sizeof dir);
  cs_catalog *c = NULL;
  cs_err err = {0};
  CS_ASSERT_OK(cs_catalog_load(dir, &c, &err), &err);
  return c;
}

static void test_shipped_catalogs_have_required_sizes(void) {
  cs_catalog *c = load_shipped();
  if (!c) return;
  CS_ASSERT_TRUE(cs_catalog_num_models(c) >= 16);
  CS_ASSERT_TRUE(cs_catalog_num_devices(c) >= 13);
  CS_ASSERT_TRUE(cs_catalog_num_networks(c) >= 10);
  cs_catalog_free(c);
}

typedef struct vidur_row {
  const char *name;
  int L, q, kv, E, H;
  bool gated, post_norm;
  int vocab;
  bool no_tp;
} vidur_row;

static void test_models_agree_with_vidur_model_table(void) {
  static const vidur_row rows[] = {
      {"meta-llama/Llama-2-7b-hf", 32, 32, 32, 4096, 11008, true, true, 32768, false},
      {"meta-llama/Llama-2-70b-hf", 80, 64, 8, 8192, 28672, true, true, 32768, false},
      {"codellama/CodeLlama-34b-Instruct-hf", 48, 64, 8, 8192, 22016, true, true, 32768, false},
      {"meta-llama/Meta-Llama-3-8B", 32, 32, 8, 4096, 14336, true, true, 128256, false},
      {"meta-llama/Meta-Llama-3-70B", 80, 64, 8, 8192, 28672, true, true, 128256, false},
      {"internlm/internlm-20b", 60, 40, 40, 5120, 13824, true, true, 103168, false},
      {"Qwen/Qwen-72B", 80, 64, 64, 8192, 24576, true, true, 152064, false},
      {"microsoft/phi-2", 32, 32, 32, 2560, 10240, false, false, 51200, true},
  };
  cs_catalog *c = load_shipped();
  if (!c) return;
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    const cs_model *m;
    cs_err err = {0};
    CS_ASSERT_OK(cs_catalog_find_model(c, rows[i].name, &m, &err), &err);
    if (!m) continue;
    CS_ASSERT_INT_EQ(m->num_layers, rows[i].L);
    CS_ASSERT_INT_EQ(m->num_q_heads, rows[i].q);
    CS_ASSERT_INT_EQ(m->num_kv_heads, rows[i].kv);
    CS_ASSERT_INT_EQ(m->hidden, rows[i].E);
    CS_ASSERT_INT_EQ(m->mlp_hidden, rows[i].H);
    CS_ASSERT_INT_EQ(m->gated_mlp, rows[i].gated);
    CS_ASSERT_INT_EQ(m->post_attn_norm, rows[i].post_norm);
    CS_ASSERT_INT_EQ(m->vocab, rows[i].vocab);
    CS_ASSERT_INT_EQ(m->no_tensor_parallel, rows[i].no_tp);
  }
  const cs_model *phi;
  cs_err err = {0};
  CS_ASSERT_OK(cs_catalog_find_model(c, "phi-2", &phi, &err), &err);
  CS_ASSERT_STR_EQ(phi->norm, "layer");
  cs_catalog_free(c);
}

static void test_vidur_devices_and_networks_keep_vidur_figures(void) {
  cs_catalog *c = load_shipped();
  if (!c) return;
  const struct {
    const char *name;
    double gib;
  } devs[] = {{"a100", 80}, {"h100", 80}, {"a40", 45}};
  for (size_t i = 0; i < 3; i++) {
    const cs_device *d;
    cs_err err = {0};
    CS_ASSERT_OK(cs_catalog_find_device(c, devs[i].name, &d, &err), &err);
    if (d) CS_ASSERT_DBL_EQ(d->memory_gib, devs[i].gib);
  }
  const struct {
    const char *name;
    int per_node;
  } nets[] = {{"a100_dgx", 8}, {"h100_dgx", 8}, {"a100_pairwise_nvlink", 4}, {"h100_pairwise_nvlink", 4},
              {"a40_pairwise_nvlink", 8}};
  for (size_t i = 0; i < 5; i++) {
    const cs_network *n;
    cs_err err = {0};
    CS_ASSERT_OK(cs_catalog_find_network(c, nets[i].name, &n, &err), &err);
    if (n) CS_ASSERT_INT_EQ(n->devices_per_node, nets[i].per_node);
  }
  /* every device: dense figures, fp8 exactly where the arch has it */
  for (size_t i = 0; i < cs_catalog_num_devices(c); i++) {
    const cs_device *d = cs_catalog_device_at(c, i);
    CS_ASSERT_TRUE(d->tflops_bf16 > 0 && d->hbm_gbps > 0 && d->price_ondemand > 0);
    if (d->tflops_fp8 > 0) CS_ASSERT_DBL_NEAR(d->tflops_fp8 / d->tflops_bf16, 2.0, 0.2);
    CS_ASSERT_TRUE(d->eff_source != NULL && d->price_source != NULL);
  }
  const cs_device *h;
  cs_err err = {0};
  CS_ASSERT_OK(cs_catalog_find_device(c, "h100", &h, &err), &err);
  CS_ASSERT_DBL_NEAR(h->tflops_bf16, 989.4, 1e-9);
  cs_catalog_free(c);
}

static void test_lookup_by_alias_short_name_and_case(void) {
  cs_catalog *c = load_shipped();
  if (!c) return;
  const cs_model *a, *b, *d;
  cs_err err = {0};
  CS_ASSERT_OK(cs_catalog_find_model(c, "Meta-Llama-3-8B", &a, &err), &err);
  CS_ASSERT_OK(cs_catalog_find_model(c, "llama3-8b", &b, &err), &err);
  CS_ASSERT_OK(cs_catalog_find_model(c, "META-LLAMA/meta-llama-3-8b", &d, &err), &err);
  CS_ASSERT_TRUE(a == b && b == d);
  CS_ASSERT_STR_EQ(a->name, "meta-llama/Meta-Llama-3-8B");
  const cs_device *x;
  CS_ASSERT_OK(cs_catalog_find_device(c, "A100-SXM4-80GB", &x, &err), &err);
  CS_ASSERT_STR_EQ(x->name, "a100");
  cs_catalog_free(c);
}

static void test_unknown_names_fail_with_suggestion(void) {
  cs_catalog *c = load_shipped();
  if (!c) return;
  const cs_model *m;
  const cs_device *d;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_catalog_find_model(c, "Meta-Llama-3-8C", &m, &err), CS_EUNKNOWN);
  CS_ASSERT_STR_CONTAINS(err.msg, "did you mean 'meta-llama/Meta-Llama-3-8B'");
  CS_ASSERT_INT_EQ(cs_catalog_find_device(c, "h10O", &d, &err), CS_EUNKNOWN);
  CS_ASSERT_STR_CONTAINS(err.msg, "unknown device 'h10O' (did you mean 'h100'?)");
  cs_catalog_free(c);
}

static void test_param_counts_match_published_totals(void) {
  cs_catalog *c = load_shipped();
  if (!c) return;
  const cs_model *m;
  cs_err err = {0};
  CS_ASSERT_OK(cs_catalog_find_model(c, "Meta-Llama-3-8B", &m, &err), &err);
  CS_ASSERT_INT_EQ(m->num_params, 8030261248LL); /* HF safetensors total */
  CS_ASSERT_OK(cs_catalog_find_model(c, "Mixtral-8x7B", &m, &err), &err);
  CS_ASSERT_INT_EQ(m->num_params, 46702792704LL);
  CS_ASSERT_OK(cs_catalog_find_model(c, "DeepSeek-V3", &m, &err), &err);
  CS_ASSERT_DBL_NEAR((double)m->num_params / 671e9, 1.0, 0.005); /* 671B without the MTP layer */
  CS_ASSERT_INT_EQ(cs_model_attn_kind(m), CS_ATTN_MLA);
  CS_ASSERT_DBL_EQ(m->weight_bytes, 1.0);
  CS_ASSERT_OK(cs_catalog_find_model(c, "Meta-Llama-3-70B", &m, &err), &err);
  CS_ASSERT_DBL_NEAR((double)m->num_params / 70.55e9, 1.0, 0.001);
  CS_ASSERT_INT_EQ(cs_model_attn_kind(m), CS_ATTN_GQA);
  int tps[16];
  int n = cs_model_valid_tp(m, 16, tps, 16);
  CS_ASSERT_INT_EQ(n, 5); /* 1 2 4 8 16 */
  CS_ASSERT_INT_EQ(tps[4], 16);
  CS_ASSERT_OK(cs_catalog_find_model(c, "phi-2", &m, &err), &err);
  CS_ASSERT_INT_EQ(cs_model_valid_tp(m, 8, tps, 16), 1);
  cs_catalog_free(c);
}

/* A minimal catalog in a scratch dir with a devices.yaml body under test. */
static int load_with_device(const char *device_entry, cs_err *err) {
  char dir[4096], p[4200];
  cs_test_tmpdir(dir, sizeof dir);
  snprintf(p, sizeof p, "%s/models.yaml", dir);
  cs_test_write(p, "models:\n  - name: org/tiny\n    num_layers: 2\n    num_q_heads: 4\n    hidden: 256\n"
                   "    mlp_hidden: 512\n    vocab: 1000\n    max_positions: 2048\n");
  snprintf(p, sizeof p, "%s/networks.yaml", dir);
  cs_test_write(p, "networks: []\n");
  char body[4096];
  snprintf(body, sizeof body,
           "architectures:\n  hopper: {max_dense_tflops_bf16: 989.4, fp8: true}\n"
           "  ampere: {max_dense_tflops_bf16: 312, fp8: false}\n"
           "devices:\n  - name: gpu\n    vendor: nvidia\n    memory_gb: 80\n    memory_gib: 80\n"
           "    hbm_gbps: 3350\n    interconnect: nvlink4\n    link_gbps: 450\n    price_ondemand: 4\n"
           "    price_source: test\n    eff_compute: 0.7\n    eff_memory: 0.8\n    eff_comm: 0.7\n"
           "    eff_source: test\n    source: test\n%s",
           device_entry);
  snprintf(p, sizeof p, "%s/devices.yaml", dir);
  cs_test_write(p, body);
  cs_catalog *c = NULL;
  int rc = cs_catalog_load(dir, &c, err);
  cs_catalog_free(c);
  return rc;
}

static void test_device_checks_reject_sparse_tflops(void) {
  cs_err err = {0};
  CS_ASSERT_OK(load_with_device("    arch: hopper\n    tflops_bf16: 989.4\n    tflops_fp8: 1978.9\n", &err), &err);
  /* the sparse bf16 figure in the dense field: above any dense hopper part */
  CS_ASSERT_INT_EQ(load_with_device("    arch: hopper\n    tflops_bf16: 1979\n", &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "exceeds the largest dense figure of any hopper device");
  CS_ASSERT_STR_CONTAINS(err.msg, "devices.yaml:");
  /* sparse figure of a smaller part: caught by its own sparse_tflops_bf16 */
  CS_ASSERT_INT_EQ(load_with_device("    arch: hopper\n    tflops_bf16: 756\n    sparse_tflops_bf16: 756\n", &err),
                   CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "is the sparse figure");
  /* fp8 equal to bf16: one of them is sparse */
  CS_ASSERT_INT_EQ(load_with_device("    arch: hopper\n    tflops_bf16: 756\n    tflops_fp8: 756\n", &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "dense fp8 is 2x dense bf16");
  CS_ASSERT_INT_EQ(load_with_device("    arch: ampere\n    tflops_bf16: 312\n    tflops_fp8: 624\n", &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "no fp8 tensor cores");
  CS_ASSERT_INT_EQ(load_with_device("    arch: ampere\n    tflops_bf16: 312\n    tflops_int8: 1248\n", &err),
                   CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "sparse figure");
}

static void test_catalog_errors_name_file_line_and_key(void) {
  cs_err err = {0};
  CS_ASSERT_INT_EQ(load_with_device("    arch: hoper\n    tflops_bf16: 900\n", &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "unknown arch 'hoper'");
  CS_ASSERT_INT_EQ(load_with_device("    arch: hopper\n    tflops_bf16: 900\n    tflops_bf61: 1\n", &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "devices.yaml:21:5: unknown key 'tflops_bf61'");
  CS_ASSERT_STR_CONTAINS(err.msg, "did you mean 'tflops_bf16'");
  CS_ASSERT_INT_EQ(load_with_device("    arch: hopper\n", &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "missing key 'tflops_bf16'");
  CS_ASSERT_STR_CONTAINS(err.msg, "devices.yaml:5:5");
  cs_catalog *c = NULL;
  CS_ASSERT_INT_EQ(cs_catalog_load("/nonexistent/capsearch-configs", &c, &err), CS_ENOENT);
  CS_ASSERT_TRUE(c == NULL);
}

static const cs_test_case cases[] = {
    {"test_shipped_catalogs_have_required_sizes", test_shipped_catalogs_have_required_sizes},
    {"test_models_agree_with_vidur_model_table", test_models_agree_with_vidur_model_table},
    {"test_vidur_devices_and_networks_keep_vidur_figures", test_vidur_devices_and_networks_keep_vidur_figures},
    {"test_lookup_by_alias_short_name_and_case", test_lookup_by_alias_short_name_and_case},
    {"test_unknown_names_fail_with_suggestion", test_unknown_names_fail_with_suggestion},
    {"test_param_counts_match_published_totals", test_param_counts_match_published_totals},
    {"test_device_checks_reject_sparse_tflops", test_device_checks_reject_sparse_tflops},
    {"test_catalog_errors_name_file_line_and_key", test_catalog_errors_name_file_line_and_key},
    {NULL, NULL}};

int main(void) { return cs_test_run("catalog_load", cases); }
