/* The probe memo of a sibling group (src/runner/memo.c): it lends the result of a probe it
 * holds, keeps only the results on an unfinished sibling's replayed search path, keeps at most
 * its byte budget and, over it, frees the highest-QPS results first (the lowest-QPS probes are
 * the longest simulations); a memo not storing frees what it is given.
 * Leaks show under scripts/test.sh --sanitize. */
#include <stdlib.h>
#include <string.h>

#include "cs_test.h"
#include "runner/runner.h"
#include "sim/result.h"

/* A result with n request records (all that memo.c reads of it are the arrays' lengths). */
static cs_sim_result *fake_result(size_t n) {
  cs_sim_result *r = calloc(1, sizeof *r);
  r->records = calloc(n, sizeof *r->records);
  r->completion_order = calloc(n, sizeof *r->completion_order);
  r->nrecords = n;
  return r;
}

static void test_memo_lends_what_it_holds(void) {
  cs__memo *m = cs__memo_new((size_t)1 << 30);
  cs__probe a = {.qps = 4, .replicas = 8}, b = {.qps = 4, .replicas = 16};
  cs_sim_result *r = fake_result(10);
  cs__memo_put(m, &a, r, 1.5, "abcd1234");
  double wall = 0;
  const char *from = NULL;
  CS_ASSERT_TRUE(cs__memo_find(m, &a, &wall, &from) == r);
  CS_ASSERT_DBL_EQ(wall, 1.5);
  CS_ASSERT_STR_EQ(from, "abcd1234");
  CS_ASSERT_TRUE(cs__memo_find(m, &b, NULL, NULL) == NULL); /* same qps, other replicas */
  CS_ASSERT_TRUE(cs__memo_find(NULL, &a, NULL, NULL) == NULL);
  cs__memo_put(m, &a, fake_result(10), 2.0, "ffff0000"); /* a second result of a held probe is freed */
  CS_ASSERT_TRUE(cs__memo_find(m, &a, &wall, NULL) == r);
  CS_ASSERT_DBL_EQ(wall, 1.5);
  cs__memo_free(m);
}

static void test_memo_over_budget_drops_the_highest_qps_first(void) {
  cs_sim_result *empty = fake_result(0);
  size_t one = cs__sim_result_bytes(empty) + 1000 * (sizeof(cs_request_record) + sizeof(int32_t));
  cs_sim_result_free(empty);
  cs_sim_result *probe = fake_result(1000);
  CS_ASSERT_INT_EQ((long long)cs__sim_result_bytes(probe), (long long)one);
  cs_sim_result_free(probe);
  cs__memo *m = cs__memo_new(2 * one + one / 2); /* room for two */
  cs__probe q8 = {.qps = 8, .replicas = 1}, q2 = {.qps = 2, .replicas = 1}, q4 = {.qps = 4, .replicas = 1};
  cs__memo_put(m, &q8, fake_result(1000), 1, "j");
  cs__memo_put(m, &q2, fake_result(1000), 1, "j");
  cs__memo_put(m, &q4, fake_result(1000), 1, "j");
  CS_ASSERT_TRUE(cs__memo_find(m, &q8, NULL, NULL) == NULL);
  CS_ASSERT_TRUE(cs__memo_find(m, &q2, NULL, NULL) != NULL);
  CS_ASSERT_TRUE(cs__memo_find(m, &q4, NULL, NULL) != NULL);
  cs__probe q16 = {.qps = 16, .replicas = 1};
  cs__memo_put(m, &q16, fake_result(1000), 1, "j"); /* the highest: not kept */
  CS_ASSERT_TRUE(cs__memo_find(m, &q16, NULL, NULL) == NULL);
  CS_ASSERT_TRUE(cs__memo_peak_bytes(m) <= 2 * one + one / 2);
  CS_ASSERT_TRUE(cs__memo_peak_bytes(m) >= 2 * one);
  cs__memo_free(m);
}

static void test_memo_not_storing_frees_what_it_is_given(void) {
  cs__memo *m = cs__memo_new((size_t)1 << 30);
  cs__probe a = {.qps = 1, .replicas = 1};
  cs__memo_storing(m, false);
  cs__memo_put(m, &a, fake_result(5), 1, "j");
  CS_ASSERT_TRUE(cs__memo_find(m, &a, NULL, NULL) == NULL);
  cs__memo_put(NULL, &a, fake_result(5), 1, "j"); /* no memo: freed */
  cs__memo_free(m);
  cs__memo_free(NULL);
}

/* Readers for the pruning tests: the fake result of qps q has 10*q records, and reader r passes
 * a probe when its qps is at most pass_up_to[r]. */
static bool fake_verdict(void *ctx, size_t r, const cs_sim_result *res) {
  const double *pass_up_to = ctx;
  return (double)res->nrecords / 10 <= pass_up_to[r];
}

static bool holds(const cs__memo *m, double qps) {
  cs__probe p = {.qps = qps, .replicas = 1};
  return cs__memo_find(m, &p, NULL, NULL) != NULL;
}

static void put_qps(cs__memo *m, double qps) {
  cs__probe p = {.qps = qps, .replicas = 1};
  cs__memo_put(m, &p, fake_result((size_t)(qps * 10)), 1, "j");
}

static void qps_readers(cs__search_params *sp, size_t n) {
  for (size_t r = 0; r < n; r++) {
    cs__search_params_defaults(&sp[r]);
    sp[r].kind = CS_SEARCH_QPS;
    sp[r].qps0 = 1;
  }
}

/* Three qps searches from qps 1 (probes 2, 4, 8, ... then bisection), run in order: reader 0
 * passes up to 5 (2, 4 pass, 8 fails, then 6), reader 1 up to 3 (2 passes, 4 fails, then 3),
 * reader 2 up to 1 (2 fails, then 1). A reader never reads what it simulated itself. */
static void test_memo_keeps_only_what_an_unfinished_sibling_reads(void) {
  cs__search_params sp[3];
  qps_readers(sp, 3);
  double pass_up_to[3] = {5, 3, 1};
  cs__memo *m = cs__memo_new((size_t)1 << 30);
  cs__memo_readers(m, sp, 3, fake_verdict, pass_up_to);
  put_qps(m, 2); /* reader 0 simulates: 2 is on readers 1 and 2's paths, 4 on reader 1's */
  put_qps(m, 4);
  CS_ASSERT_TRUE(holds(m, 2) && holds(m, 4));
  put_qps(m, 8); /* on reader 0's own path only */
  CS_ASSERT_TRUE(!holds(m, 8));
  put_qps(m, 16); /* on nobody's path */
  CS_ASSERT_TRUE(!holds(m, 16));
  cs__memo_done_before(m, 1); /* reader 1 runs: what it simulates, reader 2 does not read */
  CS_ASSERT_TRUE(holds(m, 2) && holds(m, 4));
  put_qps(m, 3);
  CS_ASSERT_TRUE(!holds(m, 3));
  cs__memo_done_before(m, 2); /* reader 2 runs: 4 was reader 1's only */
  CS_ASSERT_TRUE(!holds(m, 4) && holds(m, 2));
  cs__memo_done_before(m, 3); /* everyone finished */
  CS_ASSERT_TRUE(!holds(m, 2));
  CS_ASSERT_TRUE(cs__memo_peak_bytes(m) > 0);
  cs__memo_free(m);
}

/* Where the memo lacks a probe the reader's verdict there is not known yet: the replay follows
 * both, so a result beyond it is kept, but not one that only a verdict the memo already gives
 * otherwise would lead to. */
static void test_memo_replay_follows_both_verdicts_of_a_missing_probe(void) {
  cs__search_params sp[2];
  qps_readers(sp, 2);
  double pass_up_to[2] = {100, 100};
  cs__memo *m = cs__memo_new((size_t)1 << 30);
  cs__memo_readers(m, sp, 2, fake_verdict, pass_up_to);
  put_qps(m, 4); /* 2, reader 1's first probe, is missing: 4 is next if 2 passes */
  CS_ASSERT_TRUE(holds(m, 4));
  put_qps(m, 3); /* next only if 2 passes and 4 fails, but reader 1 passes 4 */
  CS_ASSERT_TRUE(!holds(m, 3));
  put_qps(m, 8);
  CS_ASSERT_TRUE(holds(m, 8) && holds(m, 4));
  cs__memo_free(m);
}

static const cs_test_case cases[] = {
    {"test_memo_keeps_only_what_an_unfinished_sibling_reads", test_memo_keeps_only_what_an_unfinished_sibling_reads},
    {"test_memo_replay_follows_both_verdicts_of_a_missing_probe",
     test_memo_replay_follows_both_verdicts_of_a_missing_probe},
    {"test_memo_lends_what_it_holds", test_memo_lends_what_it_holds},
    {"test_memo_over_budget_drops_the_highest_qps_first", test_memo_over_budget_drops_the_highest_qps_first},
    {"test_memo_not_storing_frees_what_it_is_given", test_memo_not_storing_frees_what_it_is_given},
    {NULL, NULL}};

int main(void) { return cs_test_run("runner_memo", cases); }
