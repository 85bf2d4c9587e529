/* The profile predictor on Vidur's data (../shared/data): prediction tables reproduce Vidur's
 * stage time by hand, raw profiles are interpolated through the profiled points, errors name the
 * file, line and column, and the table cache rejects corrupt, truncated and stale entries. */
#include <stdlib.h>
#include <sys/stat.h>

#include "capsearch/predictor.h"
#include "cs_test.h"
#include "predictor/csvtab.h"
#include "predictor/internal.h"
#include "predictor/profile_build.h"

#include "predictor_fixture.h"

static const char *pred_dir(char *buf, size_t n) {
  return cs_test_shared("vidur-runs/llama2-70b-tp2-a100/predictions", buf, n);
}

/* Reads a prediction CSV and returns the prediction of the row whose key columns equal k1(,k2). */
static double csv_lookup(const char *dir, const char *op, double k1, double k2, int nkeys) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "ls %s/%s_*_predictions.csv", dir, op);
  FILE *ls = popen(cmd, "r");
  char path[1024] = {0};
  if (!ls || !fgets(path, sizeof path, ls)) return NAN;
  pclose(ls);
  path[strcspn(path, "\n")] = 0;
  FILE *f = fopen(path, "r");
  if (!f) return NAN;
  char line[256];
  double res = NAN;
  if (!fgets(line, sizeof line, f)) goto done;
  while (fgets(line, sizeof line, f)) {
    double a, b, c;
    if (nkeys == 1 && sscanf(line, "%lf,%lf", &a, &b) == 2 && a == k1) {
      res = b;
      break;
    }
    if (nkeys == 2 && sscanf(line, "%lf,%lf,%lf", &a, &b, &c) == 3 && a == k1 && b == k2) {
      res = c;
      break;
    }
  }
done:
  fclose(f);
  return res;
}

static cs_predictor *make_profile(const cs_model *m, const cs_device *d, const cs_network *n, const char *preds,
                                  const char *prof, const char *cache, cs_err *err) {
  const cs_predictor_ops *ops = NULL;
  cs_predictor_find("profile", &ops, NULL);
  cs_predictor_ctx ctx = {0};
  ctx.model = m;
  ctx.device = d;
  ctx.network = n;
  ctx.tp = 2;
  ctx.pp = 1;
  ctx.predictions_dir = preds;
  ctx.profiling_dir = prof;
  ctx.cache_dir = cache;
  cs_predictor *p = NULL;
  if (cs_predictor_new(ops, &ctx, &p, err)) return NULL;
  return p;
}

static double stage_s(const cs_predictor *p, const cs_batch_item *it, int n) {
  cs_batch_view b = {n, it, 0};
  for (int i = 0; i < n; i++) b.total_tokens += it[i].num_tokens;
  cs_stage_time t;
  cs_predictor_stage_time(p, &b, 0, &t);
  return t.total_s;
}

static void test_prediction_tables_reproduce_vidur_stage_time_by_hand(void) {
  char dir[1024];
  if (!pred_dir(dir, sizeof dir)) {
    printf("(skipped: no shared data) ");
    return;
  }
  cs_model m = llama70();
  cs_device d = a100();
  cs_network n = nvlink4();
  cs_err err = {0};
  cs_predictor *p = make_profile(&m, &d, &n, dir, NULL, NULL, &err);
  if (!p) CS__FAIL_MSG("%s", err.msg);
  if (!p) return;
  /* vidur-semantics.md Appendix B batch, V0 keys: T = 302 -> T8 304; decode (2, avg 150 -> 192);
   * prefill (kv 512, chunk² 90000); f_d = f_p = 0.1 for GQA, prefill multiplier 1 (one prefill). */
  cs_batch_item it[] = {{1, 100, false}, {1, 200, false}, {300, 512, true}};
  double tok = 0;
  const char *ops[] = {"attn_pre_proj", "attn_post_proj", "attn_rope", "input_layernorm", "mlp_up_proj",
                       "mlp_down_proj", "mlp_act", "post_attention_layernorm", "add"};
  for (int i = 0; i < 9; i++) tok += csv_lookup(dir, ops[i], 304, 0, 1);
  double ar = csv_lookup(dir, "all_reduce", 304, 0, 1) + 0.02;
  double kvs = csv_lookup(dir, "attn_kv_cache_save", 302, 0, 1);
  double dec = csv_lookup(dir, "attn_decode", 2, 192, 2) * 1.1;
  double pre = csv_lookup(dir, "attn_prefill", 512, 90000, 2);
  double expect = (tok + kvs + dec + pre + 2 * ar) * 80 * 1e-3;
  CU_ASSERT_FALSE(isnan(expect));
  CS_ASSERT_DBL_NEAR(stage_s(p, it, 3), expect, 1e-12);
  /* beyond Vidur's grid (4096 tokens, batch 128) it extrapolates instead of failing */
  cs_batch_item big[] = {{6000, 3000, true}};
  double t_big = stage_s(p, big, 1);
  cs_batch_item edge[] = {{4000, 0, true}};
  CU_ASSERT_TRUE(isfinite(t_big) && t_big > stage_s(p, edge, 1));
  CU_ASSERT_PTR_NOT_NULL(strstr(cs_predictor_describe(p), "keys V0"));
  cs_predictor_free(p);
}

static void test_raw_profile_interpolates_through_profiled_points(void) {
  char prof[1024], mlp[1100];
  if (!cs_test_shared("profiling", prof, sizeof prof)) {
    printf("(skipped: no shared data) ");
    return;
  }
  cs_model m = llama70();
  cs_device d = a100();
  cs_network n = nvlink4();
  cs_predictor_ctx ctx = {0};
  ctx.model = &m;
  ctx.device = &d;
  ctx.network = &n;
  ctx.tp = 2;
  ctx.pp = 1;
  ctx.profiling_dir = prof;
  cs__profile s;
  cs_err err = {0};
  const cs_predictor_ops *ops;
  cs__profile_params pp; /* the declared defaults */
  CS_ASSERT_INT_EQ(cs_predictor_find("profile", &ops, &err), 0);
  CS_ASSERT_INT_EQ(cs_params_bind(ops->info.params, ops->info.nparams, NULL, &pp, "profile", "test", &err), 0);
  int rc = cs__profile_build(&s, &ctx, &pp, &err);
  if (rc) CS__FAIL_MSG("%s", err.msg);
  if (rc) return;
  CU_ASSERT_TRUE(s.t.have_attn);
  CU_ASSERT_FALSE(s.ar_fallback);
  /* a profiled point: mlp_up_proj median at TP 2 and num_tokens 512 from mlp.csv itself */
  snprintf(mlp, sizeof mlp, "%s/compute/a100/meta-llama/Llama-2-70b-hf/mlp.csv", prof);
  size_t len;
  char *text = cs_test_read(mlp, &len);
  cs__csvtab t;
  CS_ASSERT_INT_EQ(cs__csvtab_parse(&t, mlp, text, len, NULL), 0);
  int cn = cs__csvtab_col(&t, "num_tokens"), ct = cs__csvtab_col(&t, "num_tensor_parallel_workers"),
      cu = cs__csvtab_col(&t, "time_stats.mlp_up_proj.median");
  double sum = 0;
  int cnt = 0;
  for (size_t r = 0; r < t.nrows; r++) {
    double nt, tp, v;
    cs__csvtab_num(&t, r, cn, &nt, NULL);
    cs__csvtab_num(&t, r, ct, &tp, NULL);
    cs__csvtab_num(&t, r, cu, &v, NULL);
    if (nt == 512 && tp == 2) sum += v, cnt++;
  }
  CU_ASSERT_TRUE(cnt > 0);
  CS_ASSERT_DBL_NEAR(cs__tab1_at(&s.t.tok[CS__OP_MLP_UP_PROJ], 512), sum / cnt, 1e-12);
  /* between two profiled points the value lies between them */
  double a = cs__tab1_at(&s.t.tok[CS__OP_MLP_UP_PROJ], 512), b = cs__tab1_at(&s.t.tok[CS__OP_MLP_UP_PROJ], 520);
  double mid = cs__tab1_at(&s.t.tok[CS__OP_MLP_UP_PROJ], 516);
  CU_ASSERT_TRUE(mid >= (a < b ? a : b) && mid <= (a > b ? a : b));
  /* decode attention grows with context */
  CU_ASSERT_TRUE(cs__tab2_at(&s.t.decode, 31, 60) > cs__tab2_at(&s.t.decode, 31, 2));
  cs__csvtab_release(&t);
  free(text);
  cs__profile_release(&s);
}

static void test_missing_and_malformed_files_name_file_line_and_column(void) {
  char dir[1024], path[1200], sub[1200];
  cs_test_tmpdir(dir, sizeof dir);
  cs_model m = llama70();
  cs_device d = a100();
  cs_network n = nvlink4();
  cs_err err = {0};
  CU_ASSERT_PTR_NULL(make_profile(&m, &d, &n, NULL, dir, NULL, &err));
  CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "compute/a100/meta-llama/Llama-2-70b-hf/mlp.csv"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "missing"));
  snprintf(sub, sizeof sub, "mkdir -p %s/compute/a100/meta-llama/Llama-2-70b-hf", dir);
  CS_ASSERT_INT_EQ(system(sub), 0);
  snprintf(path, sizeof path, "%s/compute/a100/meta-llama/Llama-2-70b-hf/mlp.csv", dir);
  const char *head =
      "time_stats.attn_pre_proj.median,time_stats.attn_post_proj.median,time_stats.attn_rope.median,"
      "time_stats.mlp_up_proj.median,time_stats.mlp_down_proj.median,time_stats.mlp_act.median,"
      "n_head,n_kv_head,n_embd,n_expanded_embd,vocab_size,use_gated_mlp,num_tokens,num_tensor_parallel_workers\n";
  char text[2048];
  snprintf(text, sizeof text, "%s1,1,1,1,1,1,64,8,8192,28672,32768,True,8,2\n1,1,1,fast,1,1,64,8,8192,28672,32768,True,16,2\n",
           head);
  CS_ASSERT_INT_EQ(cs_test_write(path, text), 0);
  CU_ASSERT_PTR_NULL(make_profile(&m, &d, &n, NULL, dir, NULL, &err));
  CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "mlp.csv:3: column 'time_stats.mlp_up_proj.median'"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "'fast'"));
  /* a file without the op column */
  CS_ASSERT_INT_EQ(cs_test_write(path, "num_tokens,n_head\n1,2\n"), 0);
  CU_ASSERT_PTR_NULL(make_profile(&m, &d, &n, NULL, dir, NULL, &err));
  CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "missing column"));
  /* rows for another TP only */
  snprintf(text, sizeof text, "%s1,1,1,1,1,1,64,8,8192,28672,32768,True,8,4\n", head);
  CS_ASSERT_INT_EQ(cs_test_write(path, text), 0);
  CU_ASSERT_PTR_NULL(make_profile(&m, &d, &n, NULL, dir, NULL, &err));
  CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "the file has TP 4"));
  /* neither directory given */
  CU_ASSERT_PTR_NULL(make_profile(&m, &d, &n, NULL, NULL, NULL, &err));
  CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "--profiling-dir"));
}

/* A synthetic, small profiling directory keeps the cache test fast. */
static void write_small_profile(const char *dir) {
  char cmd[1200], path[1200];
  snprintf(cmd, sizeof cmd, "mkdir -p %s/compute/a100/meta-llama/Llama-2-70b-hf %s/network/a100_pairwise_nvlink", dir, dir);
  CU_ASSERT_EQUAL(system(cmd), 0);
  snprintf(path, sizeof path, "%s/compute/a100/meta-llama/Llama-2-70b-hf/mlp.csv", dir);
  FILE *f = fopen(path, "w");
  fprintf(f, "time_stats.attn_pre_proj.median,time_stats.attn_post_proj.median,time_stats.attn_rope.median,"
             "time_stats.mlp_up_proj.median,time_stats.mlp_down_proj.median,time_stats.mlp_act.median,"
             "n_head,n_kv_head,n_embd,n_expanded_embd,vocab_size,use_gated_mlp,num_tokens,num_tensor_parallel_workers\n");
  for (int t = 8; t <= 2048; t += 8) fprintf(f, "%g,%g,%g,%g,%g,%g,64,8,8192,28672,32768,True,%d,2\n", 0.05 + t * 1e-4,
                                             0.04 + t * 1e-4, 0.004, 0.28 + t * 4e-3, 0.14 + t * 2e-3, 0.01 + t * 1e-5, t);
  fclose(f);
  snprintf(path, sizeof path, "%s/network/a100_pairwise_nvlink/all_reduce.csv", dir);
  f = fopen(path, "w");
  fprintf(f, ",time_stats.all_reduce.median,rank,num_workers,size,collective,devices_per_node,max_devices_per_node\n");
  for (int i = 0; i < 20; i++) fprintf(f, "%d,%g,0,2,%d,all_reduce,2,4\n", i, 0.01 + i * 0.01, 2048 << i);
  fclose(f);
}

static void test_cache_entry_is_reused_and_corrupt_truncated_stale_entries_are_rebuilt(void) {
  char dir[1024], cache[1100];
  cs_test_tmpdir(dir, sizeof dir);
  write_small_profile(dir);
  snprintf(cache, sizeof cache, "%s/cache", dir);
  cs_model m = llama70();
  cs_device d = a100();
  cs_network n = nvlink4();
  cs_err err = {0};
  cs_batch_item it[] = {{300, 0, true}, {1, 700, false}};
  cs_predictor *p = make_profile(&m, &d, &n, NULL, dir, cache, &err);
  if (!p) CS__FAIL_MSG("%s", err.msg);
  if (!p) return;
  double want = stage_s(p, it, 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(cs_predictor_describe(p), "built and cached"));
  cs_predictor_free(p);
  p = make_profile(&m, &d, &n, NULL, dir, cache, &err);
  CU_ASSERT_PTR_NOT_NULL(strstr(cs_predictor_describe(p), "loaded from cache"));
  CS_ASSERT_DBL_EQ(stage_s(p, it, 2), want);
  cs_predictor_free(p);

  char cmd[1400], entry[1200];
  snprintf(cmd, sizeof cmd, "ls %s/profile-*.tbl", cache);
  FILE *ls = popen(cmd, "r");
  CU_ASSERT_PTR_NOT_NULL(fgets(entry, sizeof entry, ls));
  pclose(ls);
  entry[strcspn(entry, "\n")] = 0;
  size_t len;
  char *orig = cs_test_read(entry, &len);

  /* flip one byte in the payload: checksum mismatch -> rebuilt, same answer */
  char *bad = malloc(len);
  memcpy(bad, orig, len);
  bad[len / 2] ^= 0x5a;
  FILE *f = fopen(entry, "wb");
  fwrite(bad, 1, len, f);
  fclose(f);
  p = make_profile(&m, &d, &n, NULL, dir, cache, &err);
  CU_ASSERT_PTR_NOT_NULL(strstr(cs_predictor_describe(p), "checksum mismatch"));
  CS_ASSERT_DBL_EQ(stage_s(p, it, 2), want);
  cs_predictor_free(p);
  /* the rebuilt entry is valid again */
  p = make_profile(&m, &d, &n, NULL, dir, cache, &err);
  CU_ASSERT_PTR_NOT_NULL(strstr(cs_predictor_describe(p), "loaded from cache"));
  cs_predictor_free(p);

  /* truncated */
  f = fopen(entry, "wb");
  fwrite(orig, 1, len - 100, f);
  fclose(f);
  p = make_profile(&m, &d, &n, NULL, dir, cache, &err);
  CU_ASSERT_PTR_NOT_NULL(strstr(cs_predictor_describe(p), "truncated"));
  CS_ASSERT_DBL_EQ(stage_s(p, it, 2), want);
  cs_predictor_free(p);
  /* truncated inside the header */
  f = fopen(entry, "wb");
  fwrite(orig, 1, 20, f);
  fclose(f);
  p = make_profile(&m, &d, &n, NULL, dir, cache, &err);
  CU_ASSERT_PTR_NOT_NULL(strstr(cs_predictor_describe(p), "rebuilt"));
  cs_predictor_free(p);

  /* stale: the inputs changed (a profile row edited) -> another key; an old file copied under the
   * new key's name is rejected as built from other inputs */
  char mlp[1200];
  snprintf(mlp, sizeof mlp, "%s/compute/a100/meta-llama/Llama-2-70b-hf/mlp.csv", dir);
  f = fopen(mlp, "a");
  fprintf(f, "1,1,1,99,1,1,64,8,8192,28672,32768,True,4096,2\n");
  fclose(f);
  p = make_profile(&m, &d, &n, NULL, dir, cache, &err);
  CU_ASSERT_PTR_NOT_NULL(strstr(cs_predictor_describe(p), "built and cached"));
  cs_predictor_free(p);
  snprintf(cmd, sizeof cmd, "for f in %s/profile-*.tbl; do [ \"$f\" != \"%s\" ] && cp %s \"$f\"; done; true", cache, entry,
           entry);
  f = fopen(entry, "wb");
  fwrite(orig, 1, len, f);
  fclose(f);
  CS_ASSERT_INT_EQ(system(cmd), 0);
  p = make_profile(&m, &d, &n, NULL, dir, cache, &err);
  CU_ASSERT_PTR_NOT_NULL(strstr(cs_predictor_describe(p), "stale"));
  cs_predictor_free(p);
  free(bad);
  free(orig);
}

static void test_cpu_overhead_from_cpu_overheads_csv_is_added_per_stage(void) {
  char dir[1024], path[1400], cmd[1400];
  cs_test_tmpdir(dir, sizeof dir);
  write_small_profile(dir);
  snprintf(cmd, sizeof cmd, "mkdir -p %s/cpu_overhead/a100_pairwise_nvlink/meta-llama/Llama-2-70b-hf", dir);
  CS_ASSERT_INT_EQ(system(cmd), 0);
  snprintf(path, sizeof path, "%s/cpu_overhead/a100_pairwise_nvlink/meta-llama/Llama-2-70b-hf/cpu_overheads.csv", dir);
  /* per batch size b: schedule b/10, sampler 1, prepare 0.5, process 0.25, ray 2 (ms); another
   * model's and another TP's rows must be ignored */
  FILE *f = fopen(path, "w");
  fprintf(f, ",schedule_median,sampler_e2e_median,prepare_inputs_e2e_median,process_model_outputs_median,"
             "model_name,batch_size,tensor_parallel_degree,ray_comm_time_mean\n");
  for (int b = 1; b <= 16; b *= 2) {
    fprintf(f, "%d,%g,1,0.5,0.25,meta-llama/Llama-2-70b-hf,%d,2,2\n", b, b / 10.0, b);
    fprintf(f, "%d,99,99,99,99,meta-llama/Llama-2-70b-hf,%d,4,99\n", b, b);
    fprintf(f, "%d,99,99,99,99,other/model,%d,2,99\n", b, b);
  }
  fclose(f);
  cs_model m = llama70();
  cs_device d = a100();
  cs_network n = nvlink4();
  const cs_predictor_ops *ops = NULL;
  cs_predictor_find("profile", &ops, NULL);
  cs_predictor_ctx ctx = {0};
  ctx.model = &m;
  ctx.device = &d;
  ctx.network = &n;
  ctx.tp = 2;
  ctx.pp = 1;
  ctx.profiling_dir = dir;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_params_set(&ctx.params, ops->info.params, ops->info.nparams, "profile", "cpu_overhead", 1, "t", &err), 0);
  cs_predictor *p = NULL;
  if (cs_predictor_new(ops, &ctx, &p, &err)) CS__FAIL_MSG("%s", err.msg);
  if (!p) return;
  cs_batch_item it[4] = {{1, 10, false}, {1, 20, false}, {1, 30, false}, {1, 40, false}};
  cs_batch_view b = {4, it, 4};
  cs_stage_time t;
  cs_predictor_stage_time(p, &b, 0, &t);
  CS_ASSERT_DBL_NEAR((t.total_s - t.model_s) * 1e3, 0.4 + 1 + 0.5 + 0.25 + 2, 1e-9);
  b.n = 3; /* batch 3: between the profiled 2 and 4 */
  b.total_tokens = 3;
  cs_predictor_stage_time(p, &b, 0, &t);
  CS_ASSERT_DBL_NEAR((t.total_s - t.model_s) * 1e3, 0.3 + 1 + 0.5 + 0.25 + 2, 1e-9);
  cs_predictor_free(p);
}

static const cs_test_case cases[] = {
    {"test_prediction_tables_reproduce_vidur_stage_time_by_hand", test_prediction_tables_reproduce_vidur_stage_time_by_hand},
    {"test_raw_profile_interpolates_through_profiled_points", test_raw_profile_interpolates_through_profiled_points},
    {"test_missing_and_malformed_files_name_file_line_and_column", test_missing_and_malformed_files_name_file_line_and_column},
    {"test_cache_entry_is_reused_and_corrupt_truncated_stale_entries_are_rebuilt",
     test_cache_entry_is_reused_and_corrupt_truncated_stale_entries_are_rebuilt},
    {"test_cpu_overhead_from_cpu_overheads_csv_is_added_per_stage", test_cpu_overhead_from_cpu_overheads_csv_is_added_per_stage},
    {NULL, NULL},
};

int main(void) { return cs_test_run("predictor_profile", cases); }
