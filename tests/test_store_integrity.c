/* Run-directory store, what may not be trusted: one writer per output directory, probe.json
 * proving its files (size and sha1), deliberate pruning, and no symbolic link followed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cs_test.h"
#include "store/store.h"
#include "util/fs.h"
#include "util/sha1.h"

static void test_second_lone_writer_is_refused_naming_the_holder(void) {
  char dir[512];
  cs_test_tmpdir(dir, sizeof dir);
  cs_err err = {0};
  cs__store_lock_t a, b;
  CS_ASSERT_OK(cs__store_lock(dir, CS_STORE_LOCK_EXCLUSIVE, false, &a, &err), &err);
  CS_ASSERT_INT_EQ(cs__store_lock(dir, CS_STORE_LOCK_EXCLUSIVE, false, &b, &err), CS_EUSAGE);
  char pid[32];
  snprintf(pid, sizeof pid, "pid %ld on host ", (long)getpid());
  CS_ASSERT_STR_CONTAINS(err.msg, pid);
  CS_ASSERT_STR_CONTAINS(err.msg, "started ");
  CS_ASSERT_STR_CONTAINS(err.msg, "--wait");
  /* a shard may not join a lone run, nor a lone run a group of shards */
  CS_ASSERT_INT_EQ(cs__store_lock(dir, CS_STORE_LOCK_SHARED, false, &b, &err), CS_EUSAGE);
  cs__store_unlock(&a);
  CS_ASSERT_OK(cs__store_lock(dir, CS_STORE_LOCK_SHARED, false, &a, &err), &err);
  CS_ASSERT_OK(cs__store_lock(dir, CS_STORE_LOCK_SHARED, false, &b, &err), &err);
  cs__store_lock_t c;
  CS_ASSERT_INT_EQ(cs__store_lock(dir, CS_STORE_LOCK_EXCLUSIVE, false, &c, &err), CS_EUSAGE);
  cs__store_unlock(&b);
  cs__store_unlock(&a);
  /* the last one out leaves the lock file empty, so finished directories compare equal */
  char p[600];
  snprintf(p, sizeof p, "%s/.lock", dir);
  size_t len = 1;
  free(cs_test_read(p, &len));
  CS_ASSERT_INT_EQ(len, 0);
}

/* A committed probe with a result directory of two files. */
static void commit_probe(const char *dir, cs__probe_record *r) {
  char p[700];
  *r = (cs__probe_record){.qps = 2, .replicas = 1, .pass = true, .value = 0.5};
  cs__store_timestamp_name(1, r->timestamp_dir);
  snprintf(r->key, sizeof r->key, "%040d", 7);
  snprintf(p, sizeof p, "%s/%s/plots", dir, r->timestamp_dir);
  cs__mkdir_p(p, NULL);
  snprintf(p, sizeof p, "%s/%s/request_metrics.csv", dir, r->timestamp_dir);
  cs_test_write(p, "request_id,e2e\n0,1.5\n1,2.5\n");
  snprintf(p, sizeof p, "%s/%s/plots/x.csv", dir, r->timestamp_dir);
  cs_test_write(p, "cdf,x\n0.5,1\n");
  cs__store_log(dir, "log line", NULL);
  cs_err err = {0};
  CS_ASSERT_OK(cs__store_write_probe(dir, r, &err), &err);
}

static void test_probe_json_lists_every_file_with_size_and_sha1(void) {
  char dir[512], p[700];
  cs_test_tmpdir(dir, sizeof dir);
  cs__probe_record r, back;
  commit_probe(dir, &r);
  snprintf(p, sizeof p, "%s/probe.json", dir);
  char *t = cs_test_read(p, NULL);
  CS_ASSERT_STR_CONTAINS(t, "\"path\": \"1970-01-01_00-00-00-000001/plots/x.csv\"");
  CS_ASSERT_STR_CONTAINS(t, "\"path\": \"1970-01-01_00-00-00-000001/request_metrics.csv\"");
  CS_ASSERT_STR_CONTAINS(t, "\"size\": 27");
  CS_ASSERT_TRUE(strstr(t, "output.log") == NULL);
  free(t);
  cs_err err = {0};
  CS_ASSERT_OK(cs__store_read_probe(dir, &back, &err), &err);
  CS_ASSERT_STR_EQ(back.key, r.key);
  CS_ASSERT_TRUE(!back.pruned);
}

/* The sizes and sha1s a writer recorded while writing (cs__digests) give probe.json the bytes
 * that reading the files back gives; a record whose size no longer matches the file, or one for
 * a file outside the result directory, is not trusted: that file is read. */
static void test_probe_json_from_recorded_digests_equals_the_one_read_back(void) {
  char dir[512], p[700];
  cs_test_tmpdir(dir, sizeof dir);
  cs__probe_record r;
  commit_probe(dir, &r);
  snprintf(p, sizeof p, "%s/probe.json", dir);
  char *want = cs_test_read(p, NULL);
  const char *metrics = "request_id,e2e\n0,1.5\n1,2.5\n", *x = "cdf,x\n0.5,1\n";
  for (int k = 0; k < 3; k++) {
    cs__digests dig = {0};
    cs__digests_add(&dig, "request_metrics.csv", metrics, strlen(metrics));
    /* k 1: a stale record (other size); k 2: a wrong sha1 of the right size, which is trusted:
     * this run proves it is used instead of reading the file */
    if (k == 0) cs__digests_add(&dig, "plots/x.csv", x, strlen(x));
    if (k == 1) cs__digests_add(&dig, "plots/x.csv", "cdf,x\n", 6);
    if (k == 2) cs__digests_add(&dig, "plots/x.csv", "cdf,y\n0.5,1\n", strlen(x));
    cs_err err = {0};
    CS_ASSERT_OK(cs__store_write_probe_digests(dir, &r, r.timestamp_dir, &dig, &err), &err);
    char *got = cs_test_read(p, NULL);
    if (k < 2) CS_ASSERT_STR_EQ(got, want);
    else CS_ASSERT_TRUE(strcmp(got, want) != 0);
    free(got);
    cs__digests_release(&dig);
  }
  free(want);
}

static void test_damaged_or_missing_files_are_reported(void) {
  char dir[512], p[700];
  cs__probe_record r, back;
  cs_err err = {0};
  /* truncated */
  cs_test_tmpdir(dir, sizeof dir);
  commit_probe(dir, &r);
  snprintf(p, sizeof p, "%s/%s/request_metrics.csv", dir, r.timestamp_dir);
  cs_test_write(p, "request_id,e2e\n0,1.5\n");
  CS_ASSERT_INT_EQ(cs__store_read_probe(dir, &back, &err), CS_EIO);
  CS_ASSERT_STR_CONTAINS(err.msg, "request_metrics.csv");
  /* same size, other bytes */
  cs_test_write(p, "request_id,e2e\n0,1.5\n1,2.6\n");
  CS_ASSERT_INT_EQ(cs__store_read_probe(dir, &back, &err), CS_EIO);
  CS_ASSERT_STR_CONTAINS(err.msg, "checksum");
  /* deleted */
  unlink(p);
  CS_ASSERT_INT_EQ(cs__store_read_probe(dir, &back, &err), CS_EIO);
  /* a truncated probe.json itself */
  cs_test_tmpdir(dir, sizeof dir);
  commit_probe(dir, &r);
  snprintf(p, sizeof p, "%s/probe.json", dir);
  char *t = cs_test_read(p, NULL);
  t[strlen(t) / 2] = '\0';
  cs_test_write(p, t);
  free(t);
  CS_ASSERT_INT_EQ(cs__store_read_probe(dir, &back, &err), CS_EPARSE);
  /* an older marker without a file list is not trusted either */
  cs_test_write(p, "{\"format\": \"capsearch-probe\", \"version\": 1, \"qps\": 2, \"replicas\": 1, \"pass\": true, "
                   "\"value\": 1, \"completed\": 1, \"arrived\": 1, \"events\": 1, \"end_time\": 1, "
                   "\"hit_time_limit\": false, \"timestamp_dir\": \"x\"}\n");
  CS_ASSERT_INT_EQ(cs__store_read_probe(dir, &back, &err), CS_EIO);
  CS_ASSERT_STR_CONTAINS(err.msg, "checksums");
}

static void test_pruned_probe_keeps_its_verdict_without_files(void) {
  char dir[512], p[700];
  cs_test_tmpdir(dir, sizeof dir);
  cs__probe_record r, back;
  commit_probe(dir, &r);
  cs_err err = {0};
  CS_ASSERT_OK(cs__store_prune_probe(dir, &err), &err);
  snprintf(p, sizeof p, "%s/%s", dir, r.timestamp_dir);
  CS_ASSERT_TRUE(!cs__path_exists(p));
  snprintf(p, sizeof p, "%s/output.log", dir);
  CS_ASSERT_TRUE(cs__path_exists(p));
  CS_ASSERT_OK(cs__store_read_probe(dir, &back, &err), &err);
  CS_ASSERT_TRUE(back.pruned);
  CS_ASSERT_TRUE(back.pass);
  CS_ASSERT_STR_EQ(back.key, r.key);
}

/* --keep-runs answers|none: a lazily committed probe is checked when its job ends; a damaged
 * file is reported (not made durable as if it were good), an intact probe settles, and a lazy
 * prune gives the same probe.json as the durable one */
static void test_settle_checks_lazily_written_probes(void) {
  char a[512], b[512], p[700];
  cs__probe_record r;
  cs_err err = {0};
  cs_test_tmpdir(a, sizeof a);
  cs_test_tmpdir(b, sizeof b);
  commit_probe(a, &r);
  commit_probe(b, &r);
  CS_ASSERT_OK(cs__store_write_probe_lazy(b, &r, NULL, NULL, &err), &err);
  char *dirs[2] = {a, b};
  CS_ASSERT_OK(cs__store_settle_probes(dirs, 2, &err), &err);
  snprintf(p, sizeof p, "%s/%s/plots/x.csv", b, r.timestamp_dir);
  cs_test_write(p, "cdf,x\n0.5,2\n");
  CS_ASSERT_INT_EQ(cs__store_settle_probes(dirs, 2, &err), CS_EIO);
  CS_ASSERT_STR_CONTAINS(err.msg, "plots/x.csv");
  /* the lazy prune writes the durable prune's bytes, and only once */
  cs__probe_record back;
  bool before = true;
  CS_ASSERT_OK(cs__store_prune_probe_lazy(b, &back, &before, &err), &err);
  CS_ASSERT_TRUE(!before);
  CS_ASSERT_OK(cs__store_prune_probe(a, &err), &err);
  snprintf(p, sizeof p, "%s/probe.json", a);
  char *want = cs_test_read(p, NULL);
  snprintf(p, sizeof p, "%s/probe.json", b);
  char *got = cs_test_read(p, NULL);
  CS_ASSERT_STR_EQ(got, want);
  free(got);
  free(want);
  CS_ASSERT_OK(cs__store_prune_probe_lazy(b, &back, &before, &err), &err);
  CS_ASSERT_TRUE(before);
  CS_ASSERT_OK(cs__store_settle_probes(dirs, 2, &err), &err);
}

static void test_links_inside_the_output_directory_are_never_followed(void) {
  char out[512], victim[512], p[700], q[700];
  cs_test_tmpdir(out, sizeof out);
  cs_test_tmpdir(victim, sizeof victim);
  snprintf(p, sizeof p, "%s/precious.txt", victim);
  cs_test_write(p, "keep me\n");
  snprintf(p, sizeof p, "%s/runs/abcd1234", out);
  cs__mkdir_p(p, NULL);
  snprintf(p, sizeof p, "%s/runs/abcd1234/r1_q2.0", out);
  CS_ASSERT_INT_EQ(symlink(victim, p), 0);
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs__path_guard(out, p, &err), CS_EUSAGE);
  CS_ASSERT_STR_CONTAINS(err.msg, "symbolic link");
  snprintf(q, sizeof q, "%s/runs/abcd1234", out);
  CS_ASSERT_OK(cs__path_guard(out, q, &err), &err);
  /* even unguarded, cleaning and logging do not go through the link */
  CS_ASSERT_TRUE(cs__store_clean_probe(p, &err) != 0);
  CS_ASSERT_TRUE(cs__store_log(p, "x", &err) != 0);
  snprintf(q, sizeof q, "%s/output.log", victim);
  CS_ASSERT_TRUE(!cs__path_exists(q));
  snprintf(q, sizeof q, "%s/precious.txt", victim);
  char *t = cs_test_read(q, NULL);
  CS_ASSERT_STR_EQ(t, "keep me\n");
  free(t);
  /* a symlinked output.log is not appended to */
  snprintf(p, sizeof p, "%s/runs/abcd1234/r1_q4.0", out);
  cs__mkdir_p(p, NULL);
  snprintf(p, sizeof p, "%s/runs/abcd1234/r1_q4.0/output.log", out);
  CS_ASSERT_INT_EQ(symlink(q, p), 0);
  snprintf(p, sizeof p, "%s/runs/abcd1234/r1_q4.0", out);
  CS_ASSERT_TRUE(cs__store_log(p, "appended", &err) != 0);
  t = cs_test_read(q, NULL);
  CS_ASSERT_STR_EQ(t, "keep me\n");
  free(t);
}

static const cs_test_case cases[] = {
    {"test_probe_json_from_recorded_digests_equals_the_one_read_back",
     test_probe_json_from_recorded_digests_equals_the_one_read_back},
    {"test_second_lone_writer_is_refused_naming_the_holder", test_second_lone_writer_is_refused_naming_the_holder},
    {"test_probe_json_lists_every_file_with_size_and_sha1", test_probe_json_lists_every_file_with_size_and_sha1},
    {"test_damaged_or_missing_files_are_reported", test_damaged_or_missing_files_are_reported},
    {"test_pruned_probe_keeps_its_verdict_without_files", test_pruned_probe_keeps_its_verdict_without_files},
    {"test_settle_checks_lazily_written_probes", test_settle_checks_lazily_written_probes},
    {"test_links_inside_the_output_directory_are_never_followed",
     test_links_inside_the_output_directory_are_never_followed},
    {NULL, NULL}};

int main(void) { return cs_test_run("store_integrity", cases); }
