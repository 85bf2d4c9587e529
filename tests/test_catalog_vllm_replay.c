/* catalog: replays every row of ../shared/data/vllm-memory/measured.csv (real vLLM 0.19
 * start-ups on H100-80GB, with each model's config.json) through the vLLM engine: weights
 * within 2% and KV tokens within 3% of what vLLM logged, and each term within its stated
 * error (docs/plan-accuracy.md). Skips when the shared data is absent. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "capsearch/catalog.h"
#include "capsearch/memplan.h"
#include "cs_test.h"

enum { C_MODEL, C_DIR, C_GPU, C_TORCH, C_UTIL, C_TP, C_PP, C_LEN, C_DTYPE, C_QUANT, C_KVDT, C_W, C_ACT, C_NT, C_CG,
       C_KVGIB, C_TOKENS, C_BLOCKS, C_NCOLS };

static cs_catalog *cat;

/* Splits one CSV line (no quoted fields in this file) in place. */
static int split(char *line, char **f, int cap) {
  int n = 0;
  for (char *p = line; n < cap; n++) {
    f[n] = p;
    char *c = strchr(p, ',');
    if (!c) {
      p[strcspn(p, "\r\n")] = 0;
      return n + 1;
    }
    *c = 0;
    p = c + 1;
  }
  return n;
}

static void check_row(char **f, const char *dir, int *rows) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s/config.json", dir, f[C_DIR]);
  cs_model *m = NULL;
  cs_err err = {0};
  CS_ASSERT_OK(cs_model_load_hf_config(path, &m, &err), &err);
  if (!m) return;
  const cs_device *d = NULL;
  CS_ASSERT_OK(cs_catalog_find_device(cat, f[C_GPU], &d, &err), &err);
  if (!d) {
    cs_model_free(m);
    return;
  }
  CS_ASSERT_DBL_NEAR(d->torch_gib, atof(f[C_TORCH]), 0.005);
  cs_memplan_input in;
  cs_memplan_input_defaults(&in);
  in.model = m;
  in.device = d;
  in.tp = atoi(f[C_TP]);
  in.pp = atoi(f[C_PP]);
  in.max_model_len = atoll(f[C_LEN]);
  in.gpu_memory_utilization = atof(f[C_UTIL]);
  in.weight_bytes = strstr(f[C_DTYPE], "float32") ? 4 : 2;
  in.kv_bytes = !strcmp(f[C_KVDT], "fp8") ? 1 : 0;
  if (strcmp(f[C_QUANT], "None")) in.quantization = f[C_QUANT];
  cs_memplan p = {0};
  CS_ASSERT_OK(cs_memplan_compute(&in, &p, &err), &err);
  const double w = atof(f[C_W]), tokens = atof(f[C_TOKENS]);
  fprintf(stderr, "  %-40s tp%s len %-6s kv %-4s weights %6.2f/%6.2f (%+.2f%%)  act %.2f/%s  non-torch %.2f/%s  "
                  "KV tokens %8lld/%8.0f (%+.2f%%)\n",
          f[C_MODEL], f[C_TP], f[C_LEN], f[C_KVDT], p.weights_gib, w, 100 * (p.weights_gib / w - 1), p.activation_gib,
          f[C_ACT], p.non_torch_gib, f[C_NT], (long long)p.kv_tokens, tokens, 100 * ((double)p.kv_tokens / tokens - 1));
  CS_ASSERT_DBL_NEAR(p.weights_gib / w, 1.0, 0.02);
  CS_ASSERT_DBL_NEAR((double)p.kv_tokens / tokens, 1.0, 0.03);
  CS_ASSERT_DBL_NEAR(p.activation_gib, atof(f[C_ACT]), 0.1);
  CS_ASSERT_DBL_NEAR(p.non_torch_gib, atof(f[C_NT]), 0.25);
  CS_ASSERT_TRUE(p.fits);
  (*rows)++;
  cs_model_free(m);
}

static void test_every_measured_row_within_3pct_kv_2pct_weights(void) {
  char dir[4096], csv[4200];
  if (!cs_test_shared("vllm-memory", dir, sizeof dir)) {
    fprintf(stderr, "  skipped: no shared data (vllm-memory)\n");
    return;
  }
  snprintf(csv, sizeof csv, "%s/measured.csv", dir);
  char *text = cs_test_read(csv, NULL);
  CS_ASSERT_TRUE(text != NULL);
  if (!text) return;
  int rows = 0, lines = 0;
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    if (lines++ == 0) {
      CS_ASSERT_TRUE(!strncmp(line, "model_id,model_dir,gpu,torch_total_gib,", 39));
      continue;
    }
    char *f[40];
    int n = split(line, f, 40);
    CS_ASSERT_TRUE(n >= C_NCOLS);
    if (n >= C_NCOLS) check_row(f, dir, &rows);
  }
  CS_ASSERT_INT_EQ(rows, lines - 1);
  CS_ASSERT_TRUE(rows > 0);
  free(text);
}

static void setup(void) {
  char d[4096];
  cs_test_source("configs", d, sizeof d);
  cs_err err = {0};
  if (cs_catalog_load(d, &cat, &err)) {
    fprintf(stderr, "cannot load catalog: %s\n", err.msg);
    exit(1);
  }
}

static const cs_test_case cases[] = {
    {"test_every_measured_row_within_3pct_kv_2pct_weights", test_every_measured_row_within_3pct_kv_2pct_weights},
    {NULL, NULL}};

int main(void) {
  setup();
  int rc = cs_test_run("catalog_vllm_replay", cases);
  cs_catalog_free(cat);
  return rc;
}
