/* Lookup tables, interpolation and CSV reading of the predictor module, and Vidur's batch -> key
 * rules (vidur-semantics.md §5.6) checked on synthetic prediction tables whose values encode
 * their own keys. No shared data needed. */
#include <stdlib.h>

#include "capsearch/predictor.h"
#include "cs_test.h"
#include "predictor/csvtab.h"
#include "predictor/interp.h"
#include "predictor/internal.h"

static void test_tab1_interpolates_and_extrapolates_with_half_table_slope(void) {
  double v[] = {0, 1, 2, 3, 4, 4, 4, 10, 12}; /* last half 4..8: from v[4]=4 to v[8]=12 */
  cs__tab1 t = {9, v};
  CS_ASSERT_DBL_EQ(cs__tab1_at(&t, 3), 3);
  CS_ASSERT_DBL_EQ(cs__tab1_at(&t, 7.5), 11);
  CS_ASSERT_DBL_EQ(cs__tab1_at(&t, -2), 0);
  CS_ASSERT_DBL_EQ(cs__tab1_at(&t, 12), 12 + 2 * 4); /* slope (12-4)/4 = 2 */
  double flat[] = {5, 5, 5, 5, 3};                   /* negative slope -> held constant */
  cs__tab1 f = {5, flat};
  CS_ASSERT_DBL_EQ(cs__tab1_at(&f, 100), 3);
}

static void test_tab2_extrapolates_past_last_row_and_column(void) {
  /* v(r, c) = 10 r + c on a 3 x 3 grid: linear, so extrapolation is exact */
  double v[9];
  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 3; c++) v[r * 3 + c] = 10 * r + c;
  cs__tab2 t = {3, 3, v};
  CS_ASSERT_DBL_EQ(cs__tab2_at(&t, 1, 2), 12);
  CS_ASSERT_DBL_EQ(cs__tab2_at(&t, 1, 5), 15);
  CS_ASSERT_DBL_EQ(cs__tab2_at(&t, 4, 1), 41);
  CS_ASSERT_DBL_EQ(cs__tab2_at(&t, 4, 4), 44);
}

static void test_points_average_duplicates_and_interpolate(void) {
  cs__pts p = {0};
  cs__pts_add(&p, 8, 2);
  cs__pts_add(&p, 1, 1);
  cs__pts_add(&p, 8, 4); /* duplicate x: averaged to 3 */
  cs__pts_add(&p, 16, 5);
  cs__pts_finish(&p);
  CS_ASSERT_INT_EQ(p.n, 3);
  CS_ASSERT_DBL_EQ(cs__pts_at(&p, 8), 3);
  CS_ASSERT_DBL_EQ(cs__pts_at(&p, 12), 4);
  CS_ASSERT_DBL_EQ(cs__pts_at(&p, 0), 1); /* clamped below */
  CU_ASSERT_TRUE(cs__pts_at(&p, 32) > 5);
  cs__pts_release(&p);
}

static void test_single_point_series_borrows_scaled_slope(void) {
  /* chunk 64 has kv points with slope 1 per kv token; chunk 128 only kv 0: it borrows slope 2 */
  cs__series2 s = {0};
  for (int kv = 0; kv <= 512; kv += 64) cs__series2_add(&s, 64, kv, 10 + kv);
  cs__series2_add(&s, 128, 0, 30);
  cs__series2_finish(&s);
  CS_ASSERT_DBL_NEAR(cs__series2_at(&s, 128, 100), 30 + 2 * 100, 1e-9);
  CS_ASSERT_DBL_NEAR(cs__series2_at(&s, 96, 0), 20, 1e-9); /* between keys: linear */
  cs__series2_release(&s);
}

static void test_csv_reads_quotes_pads_short_rows_and_names_bad_cells(void) {
  const char *text = "a,\"b,c\",d\n1,\"2\",True\n\n3,4\n5,x,7\n";
  cs__csvtab t;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs__csvtab_parse(&t, "f.csv", text, strlen(text), &err), 0);
  CS_ASSERT_INT_EQ(t.nrows, 3);
  CS_ASSERT_INT_EQ(cs__csvtab_col(&t, "b,c"), 1);
  double v;
  CS_ASSERT_INT_EQ(cs__csvtab_num(&t, 0, 2, &v, &err), 0);
  CS_ASSERT_DBL_EQ(v, 1);
  CS_ASSERT_INT_EQ(cs__csvtab_num(&t, 1, 2, &v, &err), 0); /* padded */
  CU_ASSERT_TRUE(isnan(v));
  CS_ASSERT_INT_EQ(cs__csvtab_num(&t, 2, 1, &v, &err), CS_EPARSE);
  CS_ASSERT_STR_EQ(err.msg, "f.csv:5: column 'b,c': expected a number, got 'x'");
  CS_ASSERT_INT_EQ(cs__csvtab_need(&t, "zzz", &err), CS_EPARSE);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "missing column 'zzz'"));
  cs__csvtab_release(&t);
  /* CRLF line ends and a blank line still give the right line number */
  const char *crlf = "a,b\r\n1,2\r\n\r\n1,x\r\n";
  CS_ASSERT_INT_EQ(cs__csvtab_parse(&t, "c.csv", crlf, strlen(crlf), &err), 0);
  CS_ASSERT_INT_EQ(t.nrows, 2);
  CS_ASSERT_INT_EQ(cs__csvtab_num(&t, 1, 1, &v, &err), CS_EPARSE);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "c.csv:4: column 'b'"));
  cs__csvtab_release(&t);
  const char *wide = "a,b\n1,2\n1,2,3\n";
  CS_ASSERT_INT_EQ(cs__csvtab_parse(&t, "w.csv", wide, strlen(wide), &err), CS_EPARSE);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "w.csv:3: more fields than the 2 header columns"));
}

/* Synthetic Vidur prediction tables: token ops all 0; attn_decode = 1000·batch + kv;
 * attn_prefill = 10000·kv + chunk (V0 files keyed by chunk²). One layer, so the stage time in ms
 * is exactly decode + prefill (times the batching overheads). */
static void write_tables(const char *dir) {
  static const char *const ops[] = {"attn_pre_proj", "attn_post_proj", "attn_rope", "mlp_up_proj", "mlp_down_proj",
                                    "mlp_act", "input_layernorm", "post_attention_layernorm", "add"};
  char path[1200];
  for (int i = 0; i < 9; i++) {
    snprintf(path, sizeof path, "%s/%s_0123abcd_predictions.csv", dir, ops[i]);
    CS_ASSERT_INT_EQ(cs_test_write(path, "num_tokens,prediction\n1,0\n4096,0\n"), 0);
  }
  snprintf(path, sizeof path, "%s/attn_decode_89abcdef_predictions.csv", dir);
  FILE *f = fopen(path, "w");
  fprintf(f, "batch_size,kv_cache_size,prediction\n");
  for (int b = 1; b <= 8; b++)
    for (int kv = 0; kv <= 1024; kv += 64) fprintf(f, "%d,%d,%d\n", b, kv, 1000 * b + kv);
  fclose(f);
  snprintf(path, sizeof path, "%s/attn_prefill_fedcba98_predictions.csv", dir);
  f = fopen(path, "w");
  fprintf(f, "kv_cache_size,prefill_chunk_size_squared,prediction\n");
  for (int kv = 0; kv <= 1024; kv += 64)
    for (int c = 1; c <= 512; c++) fprintf(f, "%d,%d,%d\n", kv, c * c, 10000 * kv + c);
  fclose(f);
}

static double run(const char *dir, int v1, const cs_batch_item *it, int n) {
  cs_model m = {0};
  m.name = "test/gqa";
  m.num_layers = 1;
  m.num_q_heads = 8;
  m.num_kv_heads = 2;
  m.head_dim = 64;
  m.hidden = 512;
  m.mlp_hidden = 1024;
  m.gated_mlp = true;
  m.post_attn_norm = true;
  cs_device d = {0};
  d.name = "a100";
  const cs_predictor_ops *ops = NULL;
  cs_predictor_find("profile", &ops, NULL);
  cs_predictor_ctx ctx = {0};
  ctx.model = &m;
  ctx.device = &d;
  ctx.tp = ctx.pp = 1;
  ctx.predictions_dir = dir;
  cs_err err = {0};
  cs_params_set(&ctx.params, ops->info.params, ops->info.nparams, "profile", "vidur_keys", v1, "t", &err);
  cs_predictor *p = NULL;
  if (cs_predictor_new(ops, &ctx, &p, &err)) {
    CS__FAIL_MSG("%s", err.msg);
    return NAN;
  }
  cs_batch_view b = {n, it, 0};
  for (int i = 0; i < n; i++) b.total_tokens += it[i].num_tokens;
  cs_stage_time t;
  cs_predictor_stage_time(p, &b, 0, &t);
  cs_predictor_free(p);
  return t.total_s * 1e3;
}

static void test_vidur_keys_v0_and_v1(void) {
  char dir[1024];
  cs_test_tmpdir(dir, sizeof dir);
  write_tables(dir);
  /* decode only: b = 2, avg = int(150.5) = 150 -> 192; x 1.1 (GQA, batched) */
  cs_batch_item dec[] = {{1, 100, false}, {1, 201, false}};
  CS_ASSERT_DBL_NEAR(run(dir, 0, dec, 2), (2000 + 192) * 1.1, 1e-6);
  /* one decode: no batching overhead */
  CS_ASSERT_DBL_NEAR(run(dir, 0, dec, 1), 1000 + 128, 1e-6);
  /* prefills c = 300 (processed 10) and 100 (processed 10):
   * V0: kv = 64 + 64 = 128, chunk = round(sqrt(300² + 100²)) = 316 -> 1280316 x 1.1
   * V1: kv = ceil(20 / 64)·64 = 64, chunk = ceil(316 / 32)·32 = 320 -> 640320 x 1.1 */
  cs_batch_item pre[] = {{300, 10, true}, {100, 10, true}};
  CS_ASSERT_DBL_NEAR(run(dir, 0, pre, 2), 1280316 * 1.1, 1e-3);
  CS_ASSERT_DBL_NEAR(run(dir, 1, pre, 2), 640320 * 1.1, 1e-3);
  /* mixed batch: both kernels */
  cs_batch_item mix[] = {{1, 64, false}, {300, 0, true}};
  CS_ASSERT_DBL_NEAR(run(dir, 0, mix, 2), (1000 + 64) + 300, 1e-6);
}

static void test_v1_prediction_tables_keyed_by_chunk_use_coarse_columns(void) {
  /* Vidur V1 exports attn_prefill by (kv_cache_size, prefill_chunk_size) with chunks every 32
   * up to 8192: the table keeps one column per 32 tokens and V1 keys hit them exactly. */
  char dir[1024], path[1200];
  cs_test_tmpdir(dir, sizeof dir);
  write_tables(dir);
  snprintf(path, sizeof path, "%s/attn_prefill_fedcba98_predictions.csv", dir);
  FILE *f = fopen(path, "w");
  fprintf(f, "kv_cache_size,prefill_chunk_size,prediction\n");
  for (int kv = 0; kv <= 1024; kv += 64)
    for (int c = 32; c <= 8192; c += 32) fprintf(f, "%d,%d,%d\n", kv, c, 10000 * kv + c);
  fclose(f);
  cs_batch_item pre[] = {{300, 10, true}, {100, 10, true}};
  CS_ASSERT_DBL_NEAR(run(dir, 1, pre, 2), 640320 * 1.1, 1e-3);
  cs_batch_item big[] = {{5000, 0, true}}; /* ceil(5000/32)*32 = 5024 */
  CS_ASSERT_DBL_NEAR(run(dir, 1, big, 1), 5024, 1e-6);
}

static void test_missing_prediction_table_is_named(void) {
  char dir[1024], path[1200];
  cs_test_tmpdir(dir, sizeof dir);
  write_tables(dir);
  snprintf(path, sizeof path, "%s/mlp_act_0123abcd_predictions.csv", dir);
  remove(path);
  cs_batch_item it[] = {{1, 1, false}};
  cs_model m = {0};
  m.name = "x";
  m.num_layers = 1;
  m.num_q_heads = 8;
  m.num_kv_heads = 2;
  m.hidden = 512;
  cs_device d = {0};
  d.name = "a100";
  const cs_predictor_ops *ops = NULL;
  cs_predictor_find("profile", &ops, NULL);
  cs_predictor_ctx ctx = {0};
  ctx.model = &m;
  ctx.device = &d;
  ctx.tp = ctx.pp = 1;
  ctx.predictions_dir = dir;
  cs_err err = {0};
  cs_predictor *p = NULL;
  CS_ASSERT_INT_EQ(cs_predictor_new(ops, &ctx, &p, &err), CS_ENOENT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no mlp_act_<hash>_predictions.csv"));
  (void)it;
}

static const cs_test_case cases[] = {
    {"test_tab1_interpolates_and_extrapolates_with_half_table_slope",
     test_tab1_interpolates_and_extrapolates_with_half_table_slope},
    {"test_tab2_extrapolates_past_last_row_and_column", test_tab2_extrapolates_past_last_row_and_column},
    {"test_points_average_duplicates_and_interpolate", test_points_average_duplicates_and_interpolate},
    {"test_single_point_series_borrows_scaled_slope", test_single_point_series_borrows_scaled_slope},
    {"test_csv_reads_quotes_pads_short_rows_and_names_bad_cells", test_csv_reads_quotes_pads_short_rows_and_names_bad_cells},
    {"test_vidur_keys_v0_and_v1", test_vidur_keys_v0_and_v1},
    {"test_v1_prediction_tables_keyed_by_chunk_use_coarse_columns",
     test_v1_prediction_tables_keyed_by_chunk_use_coarse_columns},
    {"test_missing_prediction_table_is_named", test_missing_prediction_table_is_named},
    {NULL, NULL},
};

int main(void) { return cs_test_run("predictor_tables", cases); }
