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

/* Readers for the pruning tests: the fake result of qps q has 1024*q records, and reader r passes
 * a probe when its qps is at most pass_up_to[r]. */
static unsigned fake_verdict(void *ctx, size_t r, const cs_sim_result *res) {
  const double *pass_up_to = ctx;
  return (double)res->nrecords / 1024 <= pass_up_to[r] ? CS__MEMO_PASS | CS__MEMO_SLO_PASS : 0u;
}

static bool holds(const cs__memo *m, double qps) {
  cs__probe p = {.qps = qps, .replicas = 1};
  return cs__memo_find(m, &p, NULL, NULL) != NULL;
}

static void put_qps(cs__memo *m, double qps) {
  cs__probe p = {.qps = qps, .replicas = 1};
  cs__memo_put(m, &p, fake_result((size_t)(qps * 1024)), 1, "j");
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

/* Readers with more to their verdicts: reader r passes up to pass_up_to[r]; at too_short[r] its
 * failing verdict is too short to tell; at slo_only[r] its SLO holds but it did not keep up. */
typedef struct verdicts3 {
  double pass_up_to[3], too_short[3], slo_only[3];
} verdicts3;

static unsigned verdict3(void *ctx, size_t r, const cs_sim_result *res) {
  const verdicts3 *v = ctx;
  double q = (double)res->nrecords / 1024;
  if (q <= v->pass_up_to[r]) return CS__MEMO_PASS | CS__MEMO_SLO_PASS;
  return (q == v->too_short[r] ? CS__MEMO_TOO_SHORT : 0u) | (q == v->slo_only[r] ? CS__MEMO_SLO_PASS : 0u);
}

/* Reader 0 passes everything (2, 4, 8, 16 held), reader 1 up to 7, reader 2 up to 5. 8 fails
 * for readers 1 and 2 and is on both paths; reader 1 then puts 6, which fails for reader 2
 * nearer than 8. Returns whether 8 is still held once reader 2 runs (and checks the rest). */
static bool farther_failure_kept(verdicts3 *v, bool serves_all) {
  cs__search_params sp[3];
  qps_readers(sp, 3);
  cs__memo *m = cs__memo_new((size_t)1 << 30);
  cs__memo_readers(m, sp, 3, verdict3, v);
  cs__memo_serves_all(m, serves_all);
  put_qps(m, 2);
  put_qps(m, 4);
  put_qps(m, 8);
  put_qps(m, 16); /* beyond 8, which fails for both others: on nobody's path */
  CS_ASSERT_TRUE(holds(m, 2) && holds(m, 4) && holds(m, 8) && !holds(m, 16));
  cs__memo_done_before(m, 1);
  put_qps(m, 6); /* reader 1's pass, reader 2's failure nearer than 8 */
  CS_ASSERT_TRUE(holds(m, 6));
  CS_ASSERT_TRUE(holds(m, 8)); /* reader 1, running, may still rerun its stopped probe at 8 */
  cs__memo_done_before(m, 2);
  CS_ASSERT_TRUE(holds(m, 6) && holds(m, 2) && holds(m, 4));
  bool kept = holds(m, 8);
  cs__memo_free(m);
  return kept;
}

/* A failing result is read only by the rerun of a stopped probe the conclusion quotes, nearest
 * failure first until one that is not too short: a nearer full failure makes it unreadable. */
static void test_memo_frees_a_failure_a_nearer_full_failure_settles(void) {
  verdicts3 v = {.pass_up_to = {100, 7, 5}};
  CS_ASSERT_TRUE(!farther_failure_kept(&v, false));
  verdicts3 short6 = {.pass_up_to = {100, 7, 5}, .too_short = {0, 0, 6}};
  CS_ASSERT_TRUE(farther_failure_kept(&short6, false)); /* 6 too short to tell: 8 may be quoted */
  CS_ASSERT_TRUE(farther_failure_kept(&v, true));       /* --full-probes: 8 is served as it is */
  verdicts3 slo8 = {.pass_up_to = {100, 7, 5}, .slo_only = {0, 0, 8}};
  CS_ASSERT_TRUE(farther_failure_kept(&slo8, false)); /* its SLO holds at 8: served as it is */
}

/* When nothing passes, the conclusion quotes only the nearest miss: reader 1 fails 2 and 1, so
 * 2 goes once 1 is held, even if 1 is too short to tell, unless a lower probe may pass. */
static void test_memo_with_no_answer_keeps_only_the_nearest_miss(void) {
  cs__search_params sp[2];
  qps_readers(sp, 2);
  verdicts3 v = {.pass_up_to = {100, 0.5}, .too_short = {0, 1}};
  cs__memo *m = cs__memo_new((size_t)1 << 30);
  cs__memo_readers(m, sp, 2, verdict3, &v);
  put_qps(m, 2);
  CS_ASSERT_TRUE(holds(m, 2));
  put_qps(m, 1); /* 1 is too short: on a path where 0.5 passes, 2 may still be quoted */
  CS_ASSERT_TRUE(holds(m, 2) && holds(m, 1));
  put_qps(m, 0.5); /* now reader 1 passes 0.5: the answer, and 1 does not settle 2 */
  CS_ASSERT_TRUE(holds(m, 2) && holds(m, 1) && holds(m, 0.5));
  cs__memo_free(m);
  v.pass_up_to[1] = 0.01; /* nothing passes: the path ends with no answer below 0.125 */
  v.too_short[1] = 0.125;  /* so the nearest miss settles nothing, yet is the only one quoted */
  sp[1].min_qps = 0.2;
  m = cs__memo_new((size_t)1 << 30);
  cs__memo_readers(m, sp, 2, verdict3, &v);
  put_qps(m, 2);
  put_qps(m, 1);
  put_qps(m, 0.5);
  put_qps(m, 0.25);
  put_qps(m, 0.125);
  CS_ASSERT_TRUE(holds(m, 0.125)); /* the search gives up below it: the nearest miss */
  CS_ASSERT_TRUE(!holds(m, 2) && !holds(m, 1) && !holds(m, 0.5) && !holds(m, 0.25));
  cs__memo_free(m);
}

static const cs_test_case cases[] = {
    {"test_memo_keeps_only_what_an_unfinished_sibling_reads", test_memo_keeps_only_what_an_unfinished_sibling_reads},
    {"test_memo_replay_follows_both_verdicts_of_a_missing_probe",
     test_memo_replay_follows_both_verdicts_of_a_missing_probe},
    {"test_memo_frees_a_failure_a_nearer_full_failure_settles", test_memo_frees_a_failure_a_nearer_full_failure_settles},
    {"test_memo_with_no_answer_keeps_only_the_nearest_miss", test_memo_with_no_answer_keeps_only_the_nearest_miss},
    {"test_memo_lends_what_it_holds", test_memo_lends_what_it_holds},
    {"test_memo_over_budget_drops_the_highest_qps_first", test_memo_over_budget_drops_the_highest_qps_first},
    {"test_memo_not_storing_frees_what_it_is_given", test_memo_not_storing_frees_what_it_is_given},
    {NULL, NULL}};

int main(void) { return cs_test_run("runner_memo", cases); }
