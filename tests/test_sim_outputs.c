/* The result directory (vidur-semantics.md §6.2-§6.3): V1 columns, quantile tables, JSON
 * summaries, and byte-identical directories for identical inputs and seed. */
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cs_test.h"
#include "sim/engine.h"
#include "sim/result.h"
#include "util/fs.h"
#include "util/sha1.h"
#include "sim_fixture.h"

static cs_trace *lengths_trace(void) {
  fx_row rows[50];
  for (int i = 0; i < 50; i++)
    rows[i] = (fx_row){0, 50 + (i * 37) % 700, 5 + (i * 13) % 120, 0, 0, 0};
  cs_trace *t = fx_trace(rows, 50);
  t->has_arrivals = false;
  return t;
}

static void poisson_config(cs_sim_config *c, const cs_trace *t, const cs_predictor *p, int replicas) {
  fx_config(c, t, p);
  c->workload.arrival = CS_ARRIVAL_POISSON;
  c->workload.qps = 20;
  c->workload.num_requests = 200;
  c->num_replicas = replicas;
  c->num_blocks = 400;
}

/* Compares every file of two directory trees byte for byte; returns the number compared. */
static int compare_trees(const char *a, const char *b) {
  DIR *d = opendir(a);
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char pa[1024], pb[1024];
    snprintf(pa, sizeof pa, "%s/%s", a, e->d_name);
    snprintf(pb, sizeof pb, "%s/%s", b, e->d_name);
    struct stat st;
    stat(pa, &st);
    if (S_ISDIR(st.st_mode)) {
      int k = compare_trees(pa, pb);
      if (k < 0) n = -1000000;
      n += k;
      continue;
    }
    size_t la = 0, lb = 0;
    char *fa = cs_test_read(pa, &la), *fb = cs_test_read(pb, &lb);
    if (!fa || !fb || la != lb || memcmp(fa, fb, la)) {
      CS__FAIL_MSG("%s and %s differ", pa, pb);
      n = -1000000;
    }
    free(fa);
    free(fb);
    n++;
  }
  closedir(d);
  return n;
}

static int count_lines(const char *s) {
  int n = 0;
  for (; *s; s++) n += *s == '\n';
  return n;
}

static void test_same_seed_gives_byte_identical_directories(void) {
  cs_trace *t = lengths_trace();
  cs_predictor *p = fx_predictor(12, 1);
  char d1[512], d2[512];
  cs_test_tmpdir(d1, sizeof d1);
  cs_test_tmpdir(d2, sizeof d2);
  for (int k = 0; k < 2; k++) {
    cs_sim_config c;
    poisson_config(&c, t, p, 2);
    c.chrome_trace = true;
    c.prefix_caching = true;
    cs_sim_result *res = NULL;
    cs_err err = {0};
    CS_ASSERT_INT_EQ(cs_sim_run(&c, &res, &err), 0);
    cs_sim_write_opts o = {.write_plots = true, .config_json = "{\"job\": {\"name\": \"x\"}}"};
    CS_ASSERT_INT_EQ(cs_sim_write_outputs(res, &c, k ? d2 : d1, &o, &err), 0);
    cs_sim_result_free(res);
  }
  int n = compare_trees(d1, d2);
  CU_ASSERT(n >= 30);
  cs_predictor_free(p);
  cs_trace_free(t);
}

static void test_request_metrics_csv_has_v1_columns_sorted_by_id(void) {
  cs_trace *t = lengths_trace();
  cs_predictor *p = fx_predictor(12, 1);
  char d[512], path[600];
  cs_test_tmpdir(d, sizeof d);
  cs_sim_config c;
  poisson_config(&c, t, p, 2);
  cs_sim_result *res = NULL;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_sim_run(&c, &res, &err), 0);
  CS_ASSERT_INT_EQ(cs_sim_result_stats(res)->num_completed, 200);
  CS_ASSERT_INT_EQ(cs_sim_write_outputs(res, &c, d, NULL, &err), 0);
  snprintf(path, sizeof path, "%s/request_metrics.csv", d);
  char *csv = cs_test_read(path, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(csv);
  const char *hdr =
      "Request Id,request_e2e_time,request_e2e_time_normalized,request_execution_time,"
      "request_execution_time_normalized,request_model_execution_time,request_model_execution_time_normalized,"
      "request_preemption_time,request_scheduling_delay,request_execution_plus_preemption_time,"
      "request_execution_plus_preemption_time_normalized,prefill_e2e_time,prefill_e2e_time_normalized,"
      "prefill_time_execution_plus_preemption,prefill_time_execution_plus_preemption_normalized,"
      "decode_time_execution_plus_preemption_normalized,request_inter_arrival_delay,request_num_tokens,"
      "request_num_prefill_tokens,request_num_prefill_tokens_cached,request_num_decode_tokens,request_pd_ratio,"
      "request_num_restarts,request_arrived_at,replica\n";
  CU_ASSERT(!strncmp(csv, hdr, strlen(hdr)));
  CS_ASSERT_INT_EQ(count_lines(csv), 201);
  CU_ASSERT(!strncmp(csv + strlen(hdr), "0,", 2));
  /* second row is request 1; integers are integers, floats %.6f (request 0: 50 + 5 tokens) */
  CU_ASSERT_PTR_NOT_NULL(strstr(csv, ",55,50,0,5,10.000000,0,"));
  free(csv);
  snprintf(path, sizeof path, "%s/plots/prefill_e2e_time.csv", d);
  char *tab = cs_test_read(path, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(tab);
  CS_ASSERT_INT_EQ(count_lines(tab), 102);
  CU_ASSERT(!strncmp(tab, "cdf,prefill_e2e_time\n0.0,", 25));
  CU_ASSERT_PTR_NOT_NULL(strstr(tab, "\n0.35000000000000003,"));
  CU_ASSERT_PTR_NOT_NULL(strstr(tab, "\n0.07,"));
  free(tab);
  snprintf(path, sizeof path, "%s/plots/prefill_e2e_time_replicawise.csv", d);
  char *rw = cs_test_read(path, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(rw);
  CS_ASSERT_INT_EQ(count_lines(rw), 1 + 2 * 101);
  free(rw);
  const char *must[] = {"plots/batch_size.csv", "plots/batch_num_tokens.csv", "plots/batch_execution_time.csv",
                        "plots/batch_num_completed_prefills.csv", "plots/replica_memory_usage.json",
                        "plots/replica_busy_time.json", "plots/replica_mfu.json",
                        "plots/replica_prefix_cache_metrics.json", "plots/request_arrival_time_series.csv",
                        "plots/request_completion_time_series.csv", "config.json",
                        "plots/request_arrival_timeseries_replicawise.csv",
                        "plots/request_completion_timeseries_replicawise.csv"};
  for (size_t i = 0; i < sizeof must / sizeof must[0]; i++) {
    snprintf(path, sizeof path, "%s/%s", d, must[i]);
    struct stat st;
    if (stat(path, &st)) CS__FAIL_MSG("missing %s", must[i]);
  }
  snprintf(path, sizeof path, "%s/config.json", d);
  char *cj = cs_test_read(path, NULL);
  CU_ASSERT_PTR_NOT_NULL(strstr(cj, "\"num_blocks\": 400"));
  CU_ASSERT_PTR_NOT_NULL(strstr(cj, "\"chunk_size\": 512"));
  free(cj);
  cs_sim_result_free(res);
  cs_predictor_free(p);
  cs_trace_free(t);
}

/* The seeds are uint64_t: config.json writes them unsigned, as the sweep's files do. */
static void test_config_json_writes_seeds_unsigned(void) {
  cs_trace *t = lengths_trace();
  cs_predictor *p = fx_predictor(12, 1);
  char d[512], path[600];
  cs_test_tmpdir(d, sizeof d);
  cs_sim_config c;
  poisson_config(&c, t, p, 1);
  c.workload.num_requests = 20;
  c.workload.seed = (UINT64_C(1) << 63) + 1;
  c.router_seed = (UINT64_C(1) << 63) + 3;
  cs_sim_result *res = NULL;
  cs_err err = {0};
  CS_ASSERT_OK(cs_sim_run(&c, &res, &err), &err);
  CS_ASSERT_OK(cs_sim_write_outputs(res, &c, d, NULL, &err), &err);
  snprintf(path, sizeof path, "%s/config.json", d);
  char *cj = cs_test_read(path, NULL);
  CS_ASSERT_STR_CONTAINS(cj, "\"seed\": 9223372036854775809,");
  CS_ASSERT_STR_CONTAINS(cj, "\"router_seed\": 9223372036854775811");
  free(cj);
  cs_sim_result_free(res);
  cs_predictor_free(p);
  cs_trace_free(t);
}

static void test_gzip_request_metrics_when_asked(void) {
  cs_trace *t = lengths_trace();
  cs_predictor *p = fx_predictor(12, 1);
  char d[512], path[600];
  cs_test_tmpdir(d, sizeof d);
  cs_sim_config c;
  poisson_config(&c, t, p, 1);
  cs_sim_result *res = NULL;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_sim_run(&c, &res, &err), 0);
  cs_sim_write_opts o = {.gzip_request_metrics = true, .write_plots = false};
  CS_ASSERT_INT_EQ(cs_sim_write_outputs(res, &c, d, &o, &err), 0);
  snprintf(path, sizeof path, "%s/request_metrics.csv.gz", d);
  size_t n = 0;
  FILE *f = fopen(path, "rb");
  unsigned char magic[2] = {0, 0};
  if (f) {
    n = fread(magic, 1, 2, f);
    fclose(f);
  }
  CS_ASSERT_INT_EQ(n, 2);
  CS_ASSERT_INT_EQ(magic[0], 0x1f);
  CS_ASSERT_INT_EQ(magic[1], 0x8b);
  cs_sim_result_free(res);
  cs_predictor_free(p);
  cs_trace_free(t);
}

static void test_writing_into_a_missing_or_readonly_directory_fails_cleanly(void) {
  cs_trace *t = lengths_trace();
  cs_predictor *p = fx_predictor(12, 1);
  char d[512], sub[600];
  cs_test_tmpdir(d, sizeof d);
  cs_sim_config c;
  poisson_config(&c, t, p, 1);
  c.workload.num_requests = 20;
  cs_sim_result *res = NULL;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_sim_run(&c, &res, &err), 0);
  snprintf(sub, sizeof sub, "%s/missing", d);
  CS_ASSERT_INT_EQ(cs_sim_write_outputs(res, &c, sub, NULL, &err), CS_ENOENT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "missing"));
  snprintf(sub, sizeof sub, "%s/ro", d);
  mkdir(sub, 0555);
  if (access(sub, W_OK) != 0) { /* not when running as root */
    int rc = cs_sim_write_outputs(res, &c, sub, NULL, &err);
    CU_ASSERT(rc < 0);
    CU_ASSERT(err.msg[0] != '\0');
  }
  chmod(sub, 0755);
  c.num_blocks = (int64_t)1 << 40;
  cs_sim_result *r2 = NULL;
  CS_ASSERT_INT_EQ(cs_sim_run(&c, &r2, &err), CS_ERANGE);
  cs_sim_result_free(res);
  cs_predictor_free(p);
  cs_trace_free(t);
}

/* Checks each regular file under root/rel against its record in dig (sha1 and size as read
 * back from the disk); returns the number of files, -1000000 on a missing or wrong record. */
static int check_digests(const char *root, const char *rel, const cs__digests *dig) {
  char here[1024];
  snprintf(here, sizeof here, "%s%s%s", root, rel[0] ? "/" : "", rel);
  DIR *d = opendir(here);
  if (!d) return -1000000;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char r[1024], full[2048];
    snprintf(r, sizeof r, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
    snprintf(full, sizeof full, "%s/%s", root, r);
    struct stat st;
    stat(full, &st);
    if (S_ISDIR(st.st_mode)) {
      n += check_digests(root, r, dig);
      continue;
    }
    const cs__file_digest *f = cs__digests_find(dig, r);
    char hex[41];
    uint64_t size = 0;
    cs_err err = {0};
    CS_ASSERT_INT_EQ(cs__file_sha1(full, hex, &size, &err), 0);
    if (!f || f->size != size || strcmp(f->sha1, hex)) {
      CS__FAIL_MSG("%s: recorded %s (%lld bytes), on disk %s (%lld bytes)", r, f ? f->sha1 : "nothing",
                   f ? (long long)f->size : -1LL, hex, (long long)size);
      n = -1000000;
    }
    n++;
  }
  closedir(d);
  return n;
}

/* Hashing while writing (the sweep's probe.json file list): every file written, in place or
 * atomically, is recorded under its path relative to the output directory with the sha1 and
 * size of its bytes on disk; a gzip-compressed file is not recorded (zlib writes its bytes). */
static void test_digests_recorded_while_writing_equal_the_files_on_disk(void) {
  cs_trace *t = lengths_trace();
  cs_predictor *p = fx_predictor(12, 1);
  for (int k = 0; k < 3; k++) {
    char d[512];
    cs_test_tmpdir(d, sizeof d);
    cs_sim_config c;
    poisson_config(&c, t, p, 2);
    c.chrome_trace = k == 1;
    cs_sim_result *res = NULL;
    cs_err err = {0};
    CS_ASSERT_INT_EQ(cs_sim_run(&c, &res, &err), 0);
    cs_sim_write_opts o = {.write_plots = true, .private_dir = k != 0, .gzip_request_metrics = k == 2};
    cs__digests dig = {0};
    char dir[600];
    snprintf(dir, sizeof dir, "%s%s", d, k == 1 ? "/" : ""); /* a trailing slash changes no name */
    CS_ASSERT_INT_EQ(cs__sim_write_outputs_digests(res, &c, dir, &o, &dig, &err), 0);
    if (k == 2) {
      CU_ASSERT_PTR_NULL(cs__digests_find(&dig, "request_metrics.csv.gz"));
      char gz[700];
      snprintf(gz, sizeof gz, "%s/request_metrics.csv.gz", d);
      CS_ASSERT_INT_EQ(unlink(gz), 0);
    }
    int n = check_digests(d, "", &dig);
    CU_ASSERT(n >= 30);
    CS_ASSERT_INT_EQ(n, (int)dig.n);
    CU_ASSERT_PTR_NOT_NULL(cs__digests_find(&dig, "plots/request_e2e_time.csv"));
    cs__digests_release(&dig);
    cs_sim_result_free(res);
  }
  cs_predictor_free(p);
  cs_trace_free(t);
}

static const cs_test_case cases[] = {
    {"test_writing_into_a_missing_or_readonly_directory_fails_cleanly",
     test_writing_into_a_missing_or_readonly_directory_fails_cleanly},
    {"test_same_seed_gives_byte_identical_directories", test_same_seed_gives_byte_identical_directories},
    {"test_request_metrics_csv_has_v1_columns_sorted_by_id", test_request_metrics_csv_has_v1_columns_sorted_by_id},
    {"test_config_json_writes_seeds_unsigned", test_config_json_writes_seeds_unsigned},
    {"test_gzip_request_metrics_when_asked", test_gzip_request_metrics_when_asked},
    {"test_digests_recorded_while_writing_equal_the_files_on_disk",
     test_digests_recorded_while_writing_equal_the_files_on_disk},
    {NULL, NULL},
};

int main(void) { return cs_test_run("sim_outputs", cases); }
