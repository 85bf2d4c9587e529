/* The probe memo of a sibling group (src/runner/memo.c): it lends the result of a probe it
 * holds, keeps at most its byte budget and, over it, frees the highest-QPS results first (the
 * lowest-QPS probes are the longest simulations); a memo not storing frees what it is given.
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

static const cs_test_case cases[] = {
    {"test_memo_lends_what_it_holds", test_memo_lends_what_it_holds},
    {"test_memo_over_budget_drops_the_highest_qps_first", test_memo_over_budget_drops_the_highest_qps_first},
    {"test_memo_not_storing_frees_what_it_is_given", test_memo_not_storing_frees_what_it_is_given},
    {NULL, NULL}};

int main(void) { return cs_test_run("runner_memo", cases); }
