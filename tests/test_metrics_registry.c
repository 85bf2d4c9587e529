/* The request-metric table (CS_REQUEST_METRICS): every metric is computed, described and
 * found by its name or aliases through the one resolver that SLO configs and analysis use. */
#include <stdint.h>
#include <stdlib.h>

#include "capsearch/metrics.h"
#include "cs_test.h"

static bool is_poison(double v) {
  uint64_t b;
  memcpy(&b, &v, sizeof b);
  return b == UINT64_C(0xA5A5A5A5A5A5A5A5);
}

static void test_record_fill_writes_every_column(void) {
  const cs_request_facts f = {.a = 1, .s = 1.5, .f = 2, .c = 6, .e = 3, .m = 2.5, .p = 0.5, .sched_delay = 0.5,
                              .P = 100, .D = 8, .num_prefill = 100, .num_decode = 8, .num_cached = 32,
                              .inter_arrival = 0.25, .restarts = 1, .replica = 3, .id = 7};
  cs_request_record r;
  memset(&r, 0xA5, sizeof r);
  cs_request_record_fill(&f, &r);
  for (int m = 0; m < CS_RM_COUNT; m++) {
    if (is_poison(r.v[m])) fprintf(stderr, "metric %s not written\n", cs_rm_name((cs_rm)m));
    CS_ASSERT_TRUE(!is_poison(r.v[m]));
  }
  /* the definitions of vidur-semantics.md §6.1 */
  CS_ASSERT_DBL_EQ(r.v[CS_RM_REQUEST_ID], 7);
  CS_ASSERT_DBL_EQ(r.v[CS_RM_E2E], 5);
  CS_ASSERT_DBL_EQ(r.v[CS_RM_E2E_NORM], 5.0 / 8);
  CS_ASSERT_DBL_EQ(r.v[CS_RM_EXEC_PLUS_PREEMPT_NORM], 3.5 / 8);
  CS_ASSERT_DBL_EQ(r.v[CS_RM_TTFT], 1);
  CS_ASSERT_DBL_EQ(r.v[CS_RM_TTFT_NORM], 0.01);
  CS_ASSERT_DBL_EQ(r.v[CS_RM_PREFILL_EPP], 0.5);
  CS_ASSERT_DBL_EQ(r.v[CS_RM_TPOT], 0.5);
  CS_ASSERT_DBL_EQ(r.v[CS_RM_SCHED_DELAY], 0.5);
  CS_ASSERT_DBL_EQ(r.v[CS_RM_NUM_TOKENS], 108);
  CS_ASSERT_DBL_EQ(r.v[CS_RM_NUM_PREFILL_CACHED], 32);
  CS_ASSERT_DBL_EQ(r.v[CS_RM_PD_RATIO], 12.5);
  CS_ASSERT_DBL_EQ(r.v[CS_RM_ARRIVED_AT], 1);
  CS_ASSERT_DBL_EQ(r.v[CS_RM_REPLICA], 3);
}

static void test_every_metric_is_described_and_every_name_is_unique(void) {
  const cs_registry *r = cs_rm_registry();
  CS_ASSERT_INT_EQ(cs_registry_count(r), CS_RM_COUNT);
  const char *seen[CS_RM_COUNT * 8];
  size_t n = 0;
  for (int m = 0; m < CS_RM_COUNT; m++) {
    CS_ASSERT_TRUE(cs_rm_summary((cs_rm)m)[0] != '\0');
    CU_ASSERT_PTR_NOT_NULL(cs_rm_unit((cs_rm)m));
    /* a time distribution has a time unit */
    if (cs_rm_is_distribution((cs_rm)m)) CS_ASSERT_TRUE(cs_rm_unit((cs_rm)m)[0] == 's');
    CS_ASSERT_STR_EQ(r->entries[m]->name, cs_rm_name((cs_rm)m));
    CS_ASSERT_INT_EQ(cs_registry_has(r->entries[m], CS_RMF_DIST), cs_rm_is_distribution((cs_rm)m));
    seen[n++] = cs_rm_name((cs_rm)m);
    for (const char *const *a = cs_rm_aliases((cs_rm)m); *a && n < CS_RM_COUNT * 8; a++) {
      cs_rm got = CS_RM_COUNT;
      cs_err err = {0};
      CS_ASSERT_OK(cs_rm_find(*a, &got, &err), &err);
      CS_ASSERT_INT_EQ(got, m);
      seen[n++] = *a;
    }
  }
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      if (!strcmp(seen[i], seen[j])) {
        fprintf(stderr, "metric name '%s' used twice\n", seen[i]);
        CU_FAIL("duplicate metric name or alias");
      }
}

/* Vidur's and vLLM's short names: ttft (both), tbt (Vidur's paper), tpot and e2el (vLLM's
 * benchmark), e2e / sched_delay (capsearch's stats.csv columns). */
static void test_vidur_and_vllm_short_names_resolve(void) {
  static const struct {
    const char *name;
    cs_rm m;
  } want[] = {{"ttft", CS_RM_TTFT},       {"tpot", CS_RM_TPOT},
              {"tbt", CS_RM_TPOT},        {"e2e", CS_RM_E2E},
              {"e2el", CS_RM_E2E},        {"scheduling_delay", CS_RM_SCHED_DELAY},
              {"sched_delay", CS_RM_SCHED_DELAY}, {"request_e2e_time", CS_RM_E2E}};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    cs_rm m = CS_RM_COUNT;
    cs_err err = {0};
    CS_ASSERT_OK(cs_slo_metric_find(want[i].name, &m, &err), &err);
    CS_ASSERT_INT_EQ(m, want[i].m);
  }
  cs_rm m;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_slo_metric_find("request_num_tokens", &m, &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "not a request time distribution");
  CS_ASSERT_INT_EQ(cs_slo_metric_find("e2ell", &m, &err), CS_EUNKNOWN);
  CS_ASSERT_STR_CONTAINS(err.msg, "did you mean 'e2el'");
  CS_ASSERT_INT_EQ(cs_slo_metric_find("batch_execution_time", &m, &err), CS_EUNKNOWN);
}

static const cs_test_case cases[] = {
    {"test_record_fill_writes_every_column", test_record_fill_writes_every_column},
    {"test_every_metric_is_described_and_every_name_is_unique", test_every_metric_is_described_and_every_name_is_unique},
    {"test_vidur_and_vllm_short_names_resolve", test_vidur_and_vllm_short_names_resolve},
    {NULL, NULL},
};

int main(void) { return cs_test_run("metrics_registry", cases); }
