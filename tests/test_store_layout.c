/* Run-directory store: names, the probe.json completion marker, refusal of another sweep's
 * output directory, cleanup of uncommitted probes. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "cs_test.h"
#include "store/results.h"
#include "store/store.h"
#include "util/fs.h"

static void test_probe_dir_uses_python_float_repr_of_qps(void) {
  char *a = cs__store_probe_dir("out", "50fc5a05", 8, 4);
  char *b = cs__store_probe_dir("out", "50fc5a05", 16, 5.5);
  char *c = cs__store_probe_dir("out", "50fc5a05", 8, 5.28125);
  CS_ASSERT_STR_EQ(a, "out/runs/50fc5a05/r8_q4.0");
  CS_ASSERT_STR_EQ(b, "out/runs/50fc5a05/r16_q5.5");
  CS_ASSERT_STR_EQ(c, "out/runs/50fc5a05/r8_q5.28125");
  free(a), free(b), free(c);
  char ts[32];
  cs__store_timestamp_name(3, ts);
  CS_ASSERT_STR_EQ(ts, "1970-01-01_00-00-00-000003");
}

static void test_output_dir_of_another_sweep_is_refused_unless_forced(void) {
  char dir[512];
  cs_test_tmpdir(dir, sizeof dir);
  cs_err err = {0};
  CS_ASSERT_OK(cs__store_open(dir, "{\"a\": 1}\n", false, &err), &err);
  CS_ASSERT_OK(cs__store_open(dir, "{\"a\": 1}\n", false, &err), &err);
  CS_ASSERT_INT_EQ(cs__store_open(dir, "{\"a\": 2}\n", false, &err), CS_EEXIST);
  CS_ASSERT_STR_CONTAINS(err.msg, "different sweep");
  CS_ASSERT_STR_CONTAINS(err.msg, "--force");
  CS_ASSERT_OK(cs__store_open(dir, "{\"a\": 2}\n", true, &err), &err);
  char p[600];
  snprintf(p, sizeof p, "%s/config.json", dir);
  char *t = cs_test_read(p, NULL);
  CS_ASSERT_STR_EQ(t, "{\"a\": 2}\n");
  free(t);
  snprintf(p, sizeof p, "%s/runs", dir);
  CS_ASSERT_TRUE(cs__is_dir(p));
}

static void test_probe_record_round_trips_and_absent_marker_is_enoent(void) {
  char dir[512];
  cs_test_tmpdir(dir, sizeof dir);
  cs__probe_record r = {.qps = 5.5, .replicas = 3, .pass = true, .value = 0.123456789012345, .completed = 99,
                        .arrived = 100, .events = 12345, .end_time = 123.25, .hit_time_limit = true};
  cs__store_timestamp_name(2, r.timestamp_dir);
  cs__probe_record back;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs__store_read_probe(dir, &back, &err), CS_ENOENT);
  CS_ASSERT_OK(cs__store_write_probe(dir, &r, &err), &err);
  CS_ASSERT_OK(cs__store_read_probe(dir, &back, &err), &err);
  CS_ASSERT_DBL_EQ(back.qps, 5.5);
  CS_ASSERT_INT_EQ(back.replicas, 3);
  CS_ASSERT_TRUE(back.pass);
  CS_ASSERT_DBL_EQ(back.value, r.value);
  CS_ASSERT_INT_EQ(back.completed, 99);
  CS_ASSERT_INT_EQ(back.arrived, 100);
  CS_ASSERT_INT_EQ(back.events, 12345);
  CS_ASSERT_DBL_EQ(back.end_time, 123.25);
  CS_ASSERT_TRUE(back.hit_time_limit);
  CS_ASSERT_STR_EQ(back.timestamp_dir, "1970-01-01_00-00-00-000002");
}

static void test_probe_marker_of_another_version_is_refused_clearly(void) {
  char dir[512], p[600];
  cs_test_tmpdir(dir, sizeof dir);
  snprintf(p, sizeof p, "%s/probe.json", dir);
  cs_test_write(p, "{\"format\": \"capsearch-probe\", \"version\": 7, \"qps\": 1}\n");
  cs__probe_record back;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs__store_read_probe(dir, &back, &err), CS_EFORMAT);
  CS_ASSERT_STR_CONTAINS(err.msg, "version 1");
}

static void test_cleaning_an_uncommitted_probe_keeps_only_its_log(void) {
  char dir[512], p[600];
  cs_test_tmpdir(dir, sizeof dir);
  cs_err err = {0};
  CS_ASSERT_OK(cs__store_log(dir, "first", &err), &err);
  CS_ASSERT_OK(cs__store_log(dir, "second\n", &err), &err);
  snprintf(p, sizeof p, "%s/1970-01-01_00-00-00-000001/plots", dir);
  cs__mkdir_p(p, NULL);
  snprintf(p, sizeof p, "%s/.tmp-x/request_metrics.csv", dir);
  cs__mkdir_p(dir, NULL);
  snprintf(p, sizeof p, "%s/.tmp-x", dir);
  cs__mkdir_p(p, NULL);
  CS_ASSERT_OK(cs__store_clean_probe(dir, &err), &err);
  snprintf(p, sizeof p, "%s/1970-01-01_00-00-00-000001", dir);
  CS_ASSERT_TRUE(!cs__path_exists(p));
  snprintf(p, sizeof p, "%s/.tmp-x", dir);
  CS_ASSERT_TRUE(!cs__path_exists(p));
  snprintf(p, sizeof p, "%s/output.log", dir);
  char *t = cs_test_read(p, NULL);
  CS_ASSERT_STR_EQ(t, "first\nsecond\n");
  free(t);
}

static void test_job_json_is_rewritten_only_when_it_changes_and_tmp_leftovers_go(void) {
  char dir[512], p[600];
  cs_test_tmpdir(dir, sizeof dir);
  snprintf(p, sizeof p, "%s/job.json.tmp-abc123", dir);
  cs_test_write(p, "partial");
  cs_err err = {0};
  CS_ASSERT_OK(cs__store_write_job(dir, "{\"x\": 1}\n", &err), &err);
  CS_ASSERT_TRUE(!cs__path_exists(p));
  snprintf(p, sizeof p, "%s/job.json", dir);
  char *t = cs_test_read(p, NULL);
  CS_ASSERT_STR_EQ(t, "{\"x\": 1}\n");
  free(t);
}

static void test_tmp_leftovers_are_removed_only_when_no_other_process_holds_the_dir(void) {
  char a[512], b[512], p[700];
  cs_err err = {0};
  /* nobody else: a leftover of a killed writer goes */
  cs_test_tmpdir(a, sizeof a);
  snprintf(p, sizeof p, "%s/results.csv.tmp-AbC123", a);
  cs_test_write(p, "partial");
  cs__store_lock_t lk;
  CS_ASSERT_OK(cs__store_lock(a, CS_STORE_LOCK_SHARED, false, &lk, &err), &err);
  CS_ASSERT_OK(cs__store_open(a, "{}\n", false, &err), &err);
  CS_ASSERT_TRUE(!cs__path_exists(p));
  cs__store_unlock(&lk);
  /* another live process (a shared lock on .lock): its in-flight temporary file stays */
  cs_test_tmpdir(b, sizeof b);
  snprintf(p, sizeof p, "%s/.lock", b);
  int fd = open(p, O_RDONLY | O_CREAT, 0644);
  CS_ASSERT_TRUE(fd >= 0 && flock(fd, LOCK_SH) == 0);
  snprintf(p, sizeof p, "%s/config.json.tmp-XyZ789", b);
  cs_test_write(p, "in flight");
  CS_ASSERT_OK(cs__store_lock(b, CS_STORE_LOCK_SHARED, false, &lk, &err), &err);
  CS_ASSERT_OK(cs__store_open(b, "{}\n", false, &err), &err);
  CS_ASSERT_TRUE(cs__path_exists(p));
  cs__store_unlock(&lk);
  close(fd);
}

/* results.csv's layout is the schema's column list (store/results.h): the header of format
 * version 1, cells quoted only where RFC 4180 needs it, unset cells empty, numbers as repr
 * without an integral ".0". */
static void test_results_csv_is_written_from_the_schema(void) {
  cs__store_results t;
  cs__store_results_init(&t, false);
  cs__store_results_str(&t, CS__RC_HASH, "50fc5a05");
  cs__store_results_str(&t, CS__RC_SLO, "ttft, p99");
  cs__store_results_num(&t, CS__RC_QPS0, 4.0);
  cs__store_results_num(&t, CS__RC_PRICE, 1e-05);
  cs__store_results_int(&t, CS__RC_PROBES, 7);
  cs__store_results_str(&t, CS__RC_DEPLOYMENT, "aggregated"); /* not a column without the pools */
  cs__store_results_row(&t);
  char *csv = cs__store_results_finish(&t);
  CS_ASSERT_STR_EQ(csv,
                   "job_hash,model,trace,device,network_device,gpus_per_node,global_scheduler,tolerance_factor,top_k,"
                   "request_queue,replica_scheduler,chunk_size,tp,pp,batch_size,slo_name,search_for,num_replicas,start_qps,"
                   "num_requests,num_gpus,price_per_gpu_hour,cost_per_hour,answer_qps,answer_replicas,qps_per_dollar,probes,"
                   "status,reason,length_limit,overlong_rows,overlong_policy,answer_kind,sustained_qps\n"
                   "50fc5a05,,,,,,,,,,,,,,,\"ttft, p99\",,,4,,,1e-05,,,,,7,,,,,,,\n");
  free(csv);
  cs__store_results_init(&t, true);
  char *h = cs__store_results_finish(&t);
  CS_ASSERT_STR_CONTAINS(h, ",sustained_qps,deployment,prefill_replicas,prefill_tp,prefill_pp,decode_replicas,decode_tp,"
                            "decode_pp,qps_per_gpu\n");
  free(h);
}

static const cs_test_case cases[] = {
    {"test_probe_dir_uses_python_float_repr_of_qps", test_probe_dir_uses_python_float_repr_of_qps},
    {"test_output_dir_of_another_sweep_is_refused_unless_forced",
     test_output_dir_of_another_sweep_is_refused_unless_forced},
    {"test_probe_record_round_trips_and_absent_marker_is_enoent",
     test_probe_record_round_trips_and_absent_marker_is_enoent},
    {"test_probe_marker_of_another_version_is_refused_clearly", test_probe_marker_of_another_version_is_refused_clearly},
    {"test_cleaning_an_uncommitted_probe_keeps_only_its_log", test_cleaning_an_uncommitted_probe_keeps_only_its_log},
    {"test_job_json_is_rewritten_only_when_it_changes_and_tmp_leftovers_go",
     test_job_json_is_rewritten_only_when_it_changes_and_tmp_leftovers_go},
    {"test_tmp_leftovers_are_removed_only_when_no_other_process_holds_the_dir",
     test_tmp_leftovers_are_removed_only_when_no_other_process_holds_the_dir},
    {"test_results_csv_is_written_from_the_schema", test_results_csv_is_written_from_the_schema},
    {NULL, NULL}};

int main(void) { return cs_test_run("store", cases); }
