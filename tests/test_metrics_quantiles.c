/* Metric names/aliases, pandas linear quantiles, the 101-row tables, and the SLO verdict with
 * unfinished requests counted as violating (vidur-semantics.md §6, §7.6). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "capsearch/metrics.h"
#include "cs_test.h"
#include "metrics/sort.h"

static void test_metric_names_follow_vidur_v1_column_order(void) {
  CS_ASSERT_STR_EQ(cs_rm_name(CS_RM_REQUEST_ID), "Request Id");
  CS_ASSERT_STR_EQ(cs_rm_name(CS_RM_TTFT), "prefill_e2e_time");
  CS_ASSERT_STR_EQ(cs_rm_name(CS_RM_REPLICA), "replica");
  CS_ASSERT_INT_EQ(CS_RM_COUNT, 25);
  int ndist = 0;
  for (int m = 0; m < CS_RM_COUNT; m++) ndist += cs_rm_is_distribution((cs_rm)m);
  CS_ASSERT_INT_EQ(ndist, 15);
  CS_ASSERT_INT_EQ(cs_rm_is_integer(CS_RM_NUM_RESTARTS), 1);
  CS_ASSERT_INT_EQ(cs_rm_is_integer(CS_RM_E2E), 0);
}

static void test_metric_lookup_accepts_aliases_and_suggests(void) {
  cs_rm m;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_rm_find("ttft", &m, &err), 0);
  CS_ASSERT_INT_EQ(m, CS_RM_TTFT);
  CS_ASSERT_INT_EQ(cs_rm_find("tbt", &m, &err), 0);
  CS_ASSERT_INT_EQ(m, CS_RM_TPOT);
  CS_ASSERT_INT_EQ(cs_rm_find("request_scheduling_delay", &m, &err), 0);
  CS_ASSERT_INT_EQ(m, CS_RM_SCHED_DELAY);
  CS_ASSERT_INT_EQ(cs_rm_find("prefill_e2e_tme", &m, &err), CS_EUNKNOWN);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "did you mean 'prefill_e2e_time'"));
}

static void test_quantile_matches_pandas_linear_interpolation(void) {
  double a[] = {1, 2, 3, 4};
  CS_ASSERT_DBL_EQ(cs_quantile_sorted(a, 4, 0.5), 2.5);
  CS_ASSERT_DBL_EQ(cs_quantile_sorted(a, 4, 0.25), 1.75);
  CS_ASSERT_DBL_EQ(cs_quantile_sorted(a, 4, 0.0), 1);
  CS_ASSERT_DBL_EQ(cs_quantile_sorted(a, 4, 1.0), 4);
  double b[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  CS_ASSERT_DBL_NEAR(cs_quantile_sorted(b, 10, 0.9), 9.1, 1e-15);
  CS_ASSERT_DBL_NEAR(cs_quantile_sorted(b, 10, 0.99), 9.91, 1e-14);
  double c[] = {5};
  CS_ASSERT_DBL_EQ(cs_quantile_sorted(c, 1, 0.3), 5);
  CU_ASSERT(isnan(cs_quantile_sorted(c, 0, 0.3)));
}

static void test_quantile_table_has_101_rows_and_p99_is_exact(void) {
  double v[1000];
  unsigned s = 12345;
  for (int i = 0; i < 1000; i++) {
    s = s * 1103515245u + 12345u;
    v[i] = (s >> 8) / 16777216.0 * 10;
  }
  cs_quantile_table t;
  cs_quantile_table_build(v, 1000, &t);
  CS_ASSERT_INT_EQ(t.count, 1000);
  CS_ASSERT_DBL_EQ(t.cdf[35], 35 * 0.01);
  CS_ASSERT_DBL_EQ(t.cdf[100], 1.0);
  for (int i = 1; i <= 100; i++) CU_ASSERT(t.value[i] >= t.value[i - 1]);
  double sorted[1000];
  memcpy(sorted, v, sizeof v);
  for (int i = 1; i < 1000; i++) /* insertion sort: tiny and obviously right */
    for (int j = i; j > 0 && sorted[j] < sorted[j - 1]; j--) {
      double x = sorted[j];
      sorted[j] = sorted[j - 1];
      sorted[j - 1] = x;
    }
  CS_ASSERT_DBL_EQ(t.value[100], sorted[999]);
  CS_ASSERT_DBL_EQ(t.value[0], sorted[0]);
  CS_ASSERT_DBL_NEAR(cs_quantile_table_at(&t, 0.99), cs_quantile_sorted(sorted, 1000, 0.99), 1e-12);
  cs_quantile_table e;
  cs_quantile_table_build(NULL, 0, &e);
  CS_ASSERT_INT_EQ(e.count, 0);
  CU_ASSERT(isnan(e.value[50]));
}

/* Whole values given as counts give the same table, bit for bit, as the expanded samples:
 * several shapes (one value, gaps, a long tail, sizes that do and do not divide evenly). */
static void test_quantile_table_from_counts_equals_expanded_samples(void) {
  static const size_t sizes[] = {1, 2, 7, 100, 101, 997, 5000};
  unsigned s = 99;
  for (size_t c = 0; c < sizeof sizes / sizeof sizes[0]; c++) {
    size_t n = sizes[c], nv = 1 + (c * 37) % 600;
    uint32_t *counts = calloc(nv, sizeof *counts);
    double *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) {
      s = s * 1103515245u + 12345u;
      size_t x = (s >> 8) % nv;
      if (i % 3 == 0) x = x / 8; /* a heavier low end */
      counts[x]++;
      v[i] = (double)x;
    }
    cs_quantile_table a, b;
    cs_quantile_table_build(v, n, &a);
    cs_quantile_table_build_counts(counts, nv, &b);
    CS_ASSERT_INT_EQ(b.count, n);
    CU_ASSERT(memcmp(a.cdf, b.cdf, sizeof a.cdf) == 0);
    for (int i = 0; i <= 100; i++)
      if (memcmp(&a.value[i], &b.value[i], sizeof(double)))
        CS__FAIL_MSG("n %zu row %d: counts give %.17g, samples %.17g", n, i, b.value[i], a.value[i]);
    free(counts);
    free(v);
  }
  cs_quantile_table e;
  cs_quantile_table_build_counts(NULL, 0, &e);
  CS_ASSERT_INT_EQ(e.count, 0);
  CU_ASSERT(isnan(e.value[50]));
}

static cs_request_record rec(double ttft, double tpot) {
  cs_request_record r;
  memset(&r, 0, sizeof r);
  r.v[CS_RM_TTFT] = ttft;
  r.v[CS_RM_TPOT] = tpot;
  return r;
}

static void test_single_slo_uses_the_quantile_and_fails_on_unfinished(void) {
  cs_request_record r[100];
  for (int i = 0; i < 100; i++) r[i] = rec(i * 0.1, 0.01); /* ttft 0 .. 9.9 */
  cs_slo_config slo = {.name = "p99", .type = CS_SLO_AND, .quantile = 0.99, .n = 1};
  slo.slos[0] = (cs_slo){CS_RM_TTFT, 10.0};
  cs_slo_verdict v;
  cs_slo_evaluate(&slo, r, 100, 100, &v);
  CS_ASSERT_INT_EQ(v.pass, 1);
  CS_ASSERT_DBL_NEAR(v.value, 9.801, 1e-9);
  CS_ASSERT_INT_EQ(v.total, 100);
  /* 5 more arrived but never finished: the p99 is now +inf */
  cs_slo_evaluate(&slo, r, 100, 105, &v);
  CS_ASSERT_INT_EQ(v.pass, 0);
  CU_ASSERT(isinf(v.value));
  CS_ASSERT_INT_EQ(v.completed, 100);
  CS_ASSERT_INT_EQ(v.total, 105);
  /* one unfinished out of 1000 only moves the top percentile */
  cs_request_record *big = calloc(1000, sizeof *big);
  for (int i = 0; i < 1000; i++) big[i] = rec(1.0, 0.01);
  slo.quantile = 0.5;
  cs_slo_evaluate(&slo, big, 999, 1000, &v);
  CS_ASSERT_INT_EQ(v.pass, 1);
  CS_ASSERT_DBL_EQ(v.value, 1.0);
  free(big);
}

static void test_multi_slo_fraction_counts_unfinished_as_failing(void) {
  cs_request_record r[10];
  for (int i = 0; i < 10; i++) r[i] = rec(i < 9 ? 1.0 : 20.0, 0.05); /* one slow TTFT */
  cs_slo_config slo = {.name = "both", .type = CS_SLO_AND, .quantile = 0.9, .n = 2};
  slo.slos[0] = (cs_slo){CS_RM_TTFT, 10.0};
  slo.slos[1] = (cs_slo){CS_RM_TPOT, 0.1};
  cs_slo_verdict v;
  cs_slo_evaluate(&slo, r, 10, 10, &v);
  CS_ASSERT_DBL_NEAR(v.value, 0.9, 1e-15);
  CS_ASSERT_INT_EQ(v.pass, 1);
  cs_slo_evaluate(&slo, r, 10, 11, &v); /* 9 of 11 */
  CS_ASSERT_INT_EQ(v.pass, 0);
  slo.type = CS_SLO_OR;
  cs_slo_evaluate(&slo, r, 10, 10, &v);
  CS_ASSERT_DBL_EQ(v.value, 1.0);
  cs_slo_evaluate(&slo, r, 0, 0, &v);
  CS_ASSERT_INT_EQ(v.pass, 0);
}

static void test_radix_sort_orders_negatives_zeros_and_nan_last(void) {
  enum { N = 5000 };
  double *v = malloc(N * sizeof *v), *w = malloc(N * sizeof *w);
  unsigned s = 7;
  for (int i = 0; i < N; i++) {
    s = s * 1103515245u + 12345u;
    double x = ((int)(s >> 8) % 20001 - 10000) / 7.0;
    v[i] = i % 97 == 0 ? NAN : i % 89 == 0 ? -0.0 : i % 83 == 0 ? 1e300 : x;
    w[i] = v[i];
  }
  cs__sort_doubles(v, N);
  int nan_from = N;
  for (int i = 0; i < N; i++)
    if (isnan(v[i])) {
      nan_from = i;
      break;
    }
  for (int i = nan_from; i < N; i++) CU_ASSERT(isnan(v[i]));
  CS_ASSERT_INT_EQ(N - nan_from, (N + 96) / 97);
  for (int i = 1; i < nan_from; i++)
    if (!(v[i - 1] <= v[i])) CS__FAIL_MSG("not sorted at %d: %g > %g", i, v[i - 1], v[i]);
  double sv = 0, sw = 0;
  for (int i = 0; i < N; i++) {
    if (!isnan(v[i])) sv += v[i] == 1e300 ? 1 : v[i];
    if (!isnan(w[i])) sw += w[i] == 1e300 ? 1 : w[i];
  }
  CS_ASSERT_DBL_NEAR(sv, sw, 1e-6); /* same multiset */
  double small[] = {3, -1, 2, NAN, 0};
  cs__sort_doubles(small, 5);
  CS_ASSERT_DBL_EQ(small[0], -1);
  CS_ASSERT_DBL_EQ(small[3], 3);
  CU_ASSERT(isnan(small[4]));
  free(v);
  free(w);
}

/* The table of k sorted parts (the cluster's batch times from the replicas' arrays) equals the
 * table of their concatenation bit for bit, on the rank-search path (large parts) and on the
 * copy-and-sort path (small ones), with ties, -0.0, infinities and NaN (sorted last). */
static void test_quantile_table_of_sorted_parts_equals_the_concatenations(void) {
  static const size_t ks[] = {1, 2, 3, 8, 16};
  static const size_t sizes[] = {0, 1, 7, 300, 60000};
  unsigned s = 11;
  for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++)
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
      for (int style = 0; style < 3; style++) {
        size_t k = ks[ki], total = 0;
        double *parts[16];
        size_t np[16];
        for (size_t j = 0; j < k; j++) {
          np[j] = sizes[si] / k + (j % 2) * (sizes[si] % 7);
          parts[j] = malloc((np[j] ? np[j] : 1) * sizeof *parts[j]);
          for (size_t i = 0; i < np[j]; i++) {
            s = s * 1103515245u + 12345u;
            int x = (int)(s >> 8);
            double v = style == 0 ? (x % 50) * 0.25 : style == 1 ? (x % 1000003) / 977.0 - 300 : ldexp(x % 4096, x % 40 - 20);
            if (style > 0 && x % 211 == 0) v = NAN;
            if (style > 0 && x % 223 == 0) v = -0.0;
            if (style == 1 && x % 227 == 0) v = x % 2 ? INFINITY : -INFINITY;
            parts[j][i] = v;
          }
          cs__sort_doubles(parts[j], np[j]);
          total += np[j];
        }
        double *all = malloc((total ? total : 1) * sizeof *all);
        size_t o = 0;
        for (size_t j = 0; j < k; j++)
          for (size_t i = 0; i < np[j]; i++) all[o++] = parts[j][i];
        cs_quantile_table want, got;
        cs_quantile_table_build(all, total, &want);
        cs__quantile_table_parts((const double *const *)parts, np, k, &got);
        CS_ASSERT_INT_EQ(got.count, want.count);
        if (memcmp(got.value, want.value, sizeof got.value) || memcmp(got.cdf, want.cdf, sizeof got.cdf))
          CS__FAIL_MSG("k %zu total %zu style %d: tables differ (p50 %.17g vs %.17g)", k, total, style, got.value[50],
                       want.value[50]);
        if (total) { /* every rank, against the sorted concatenation */
          cs__sort_doubles(all, total);
          uint64_t key = 0;
          for (size_t r = 0; r < total; r += 1 + total / 97) {
            double v = cs__parts_rank((const double *const *)parts, np, k, r, &key);
            if (memcmp(&v, &all[r], sizeof v)) CS__FAIL_MSG("k %zu rank %zu: %.17g vs %.17g", k, r, v, all[r]);
          }
        }
        free(all);
        for (size_t j = 0; j < k; j++) free(parts[j]);
      }
}

/* Soundness of early stopping: for small totals and several quantiles, a run of any size
 * N <= max_total holding the deciding number of violators fails, however favourable the other
 * values (all far below the threshold, or just at it) and however large the violators (just
 * above it, or +inf / NaN); one violator fewer can still pass, so the count is not wasteful
 * beyond the table's interpolation. */
static void test_deciding_violations_decide_a_failing_verdict(void) {
  static const double qs[] = {0.5, 0.9, 0.95, 0.99, 0.999, 1.0, 0.01};
  enum { MAXN = 150 };
  cs_request_record *recs = calloc(MAXN, sizeof *recs);
  for (size_t qi = 0; qi < sizeof qs / sizeof qs[0]; qi++) {
    cs_slo_config one = {.name = "one", .type = CS_SLO_AND, .quantile = qs[qi], .n = 1};
    one.slos[0] = (cs_slo){CS_RM_TTFT, 2.0};
    cs_slo_config two = {.name = "two", .type = CS_SLO_AND, .quantile = qs[qi], .n = 2};
    two.slos[0] = (cs_slo){CS_RM_TTFT, 2.0};
    two.slos[1] = (cs_slo){CS_RM_TPOT, 0.1};
    const cs_slo_config *slos[] = {&one, &two};
    for (int k = 0; k < 2; k++) {
      for (int64_t maxn = 1; maxn <= MAXN; maxn += 7) {
        int64_t need = cs_slo_deciding_violations(slos[k], maxn);
        CU_ASSERT(need >= 1);
        if (need > maxn) continue;
        for (int64_t n = need; n <= maxn; n++)
          for (int style = 0; style < 3; style++) {
            for (int64_t i = 0; i < n; i++) {
              bool bad = i < need;
              double ok_v = style == 1 ? 2.0 : 0.001 * (double)i, bad_v = style == 0 ? 2.0000001 : style == 1 ? INFINITY : NAN;
              recs[i] = rec(bad ? bad_v : ok_v, bad && k == 1 ? 0.5 : 0.01);
              CU_ASSERT(cs_slo_record_violates(slos[k], &recs[i]) == bad);
            }
            cs_slo_verdict v;
            cs_slo_evaluate(slos[k], recs, (size_t)n, n, &v);
            if (v.pass) CS__FAIL_MSG("q %g slos %d max %lld n %lld style %d: %lld violators passed", qs[qi], k + 1,
                                     (long long)maxn, (long long)n, style, (long long)need);
          }
        if (k == 1 && need > 1) { /* tight for the fraction: need - 1 violators can pass at maxn */
          for (int64_t i = 0; i < maxn; i++) recs[i] = rec(i < need - 1 ? 5.0 : 0.5, 0.01);
          cs_slo_verdict v;
          cs_slo_evaluate(slos[k], recs, (size_t)maxn, maxn, &v);
          CU_ASSERT(v.pass);
        }
      }
    }
  }
  free(recs);
}

static const cs_test_case cases[] = {
    {"test_deciding_violations_decide_a_failing_verdict", test_deciding_violations_decide_a_failing_verdict},
    {"test_radix_sort_orders_negatives_zeros_and_nan_last", test_radix_sort_orders_negatives_zeros_and_nan_last},
    {"test_quantile_table_of_sorted_parts_equals_the_concatenations",
     test_quantile_table_of_sorted_parts_equals_the_concatenations},
    {"test_metric_names_follow_vidur_v1_column_order", test_metric_names_follow_vidur_v1_column_order},
    {"test_metric_lookup_accepts_aliases_and_suggests", test_metric_lookup_accepts_aliases_and_suggests},
    {"test_quantile_matches_pandas_linear_interpolation", test_quantile_matches_pandas_linear_interpolation},
    {"test_quantile_table_has_101_rows_and_p99_is_exact", test_quantile_table_has_101_rows_and_p99_is_exact},
    {"test_quantile_table_from_counts_equals_expanded_samples", test_quantile_table_from_counts_equals_expanded_samples},
    {"test_single_slo_uses_the_quantile_and_fails_on_unfinished", test_single_slo_uses_the_quantile_and_fails_on_unfinished},
    {"test_multi_slo_fraction_counts_unfinished_as_failing", test_multi_slo_fraction_counts_unfinished_as_failing},
    {NULL, NULL},
};

int main(void) { return cs_test_run("metrics_quantiles", cases); }
