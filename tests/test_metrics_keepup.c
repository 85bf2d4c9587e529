/* The keep-up check of a probe (src/metrics/keepup.c, docs/sweep.md "Verdict"): a stable run
 * keeps up, a burst drained long after its arrivals is too short to tell, a growing backlog
 * falls behind, and unfinished requests never keep up. */
#include <stdlib.h>

#include "capsearch/metrics.h"
#include "cs_test.h"

/* n requests arriving every `gap` s; request i finishes after e2e(i) seconds */
static cs_request_record *make(size_t n, double gap, double (*e2e)(size_t i, size_t n)) {
  cs_request_record *r = calloc(n, sizeof *r);
  for (size_t i = 0; i < n; i++) {
    r[i].v[CS_RM_ARRIVED_AT] = (double)i * gap;
    r[i].v[CS_RM_E2E] = e2e(i, n);
  }
  return r;
}

static double flat(size_t i, size_t n) { (void)i, (void)n; return 2.0; }
/* one server finishing a request per second whatever arrives: the queue grows */
static double serial(size_t i, size_t n) { (void)n; return 1.0 + (double)i * 1.0 - (double)i * 0.5; }
/* everything arrives at once and drains one request every 0.2 s */
static double drain(size_t i, size_t n) { (void)n; return 0.2 * (double)(i + 1); }

static void test_stable_run_keeps_up(void) {
  cs_request_record *r = make(200, 1.0, flat);
  cs_keepup k;
  cs_keepup_evaluate(r, 200, 200, &k);
  CU_ASSERT_TRUE(k.kept_up);
  CU_ASSERT_FALSE(k.too_short);
  CS_ASSERT_INT_EQ(k.span_s, 199);
  CU_ASSERT_TRUE(k.ratio >= 0.98 && k.ratio <= 1.0);
  CU_ASSERT_TRUE(fabs(k.sustained_qps - 1.0) < 0.02);
  free(r);
}

static void test_growing_backlog_falls_behind(void) {
  /* arrivals every 0.5 s, completions every 1 s: half the offered load is served */
  cs_request_record *r = make(400, 0.5, serial);
  cs_keepup k;
  cs_keepup_evaluate(r, 400, 400, &k);
  CU_ASSERT_FALSE(k.kept_up);
  CU_ASSERT_FALSE(k.too_short);
  CU_ASSERT_TRUE(k.ratio < 0.6);
  free(r);
}

static void test_burst_is_too_short_to_tell(void) {
  cs_request_record *r = make(300, 1e-4, drain);
  cs_keepup k;
  cs_keepup_evaluate(r, 300, 300, &k);
  CU_ASSERT_FALSE(k.kept_up);
  CU_ASSERT_TRUE(k.too_short);
  CU_ASSERT_TRUE(k.median_e2e > k.span_s / 2);
  free(r);
}

static void test_unfinished_requests_never_keep_up(void) {
  cs_request_record *r = make(200, 1.0, flat);
  cs_keepup k;
  cs_keepup_evaluate(r, 200, 201, &k);
  CU_ASSERT_FALSE(k.kept_up);
  CS_ASSERT_INT_EQ(k.unfinished, 1);
  free(r);
}

static const cs_test_case cases[] = {{"test_stable_run_keeps_up", test_stable_run_keeps_up},
                                     {"test_growing_backlog_falls_behind", test_growing_backlog_falls_behind},
                                     {"test_burst_is_too_short_to_tell", test_burst_is_too_short_to_tell},
                                     {"test_unfinished_requests_never_keep_up", test_unfinished_requests_never_keep_up},
                                     {NULL, NULL}};

int main(void) { return cs_test_run("metrics_keepup", cases); }
