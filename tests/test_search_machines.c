/* The capacity searches as state machines, driven by scripted oracles (a QPS or replica
 * threshold): exact probe sequences of Vidur V1's algorithms (vidur-semantics.md §7.7). */
#include "cs_test.h"
#include "search/search.h"

typedef struct run_log {
  cs__probe probes[64];
  int n;
} run_log;

/* passes iff qps <= qps_max and replicas >= min_replicas */
static bool drive(cs__search *s, double qps_max, int min_replicas, run_log *log) {
  cs__probe p;
  log->n = 0;
  while (cs__search_next(s, &p)) {
    if (log->n < 64) log->probes[log->n++] = p;
    cs__search_report(s, p.qps <= qps_max && p.replicas >= min_replicas);
  }
  double q;
  int r;
  return cs__search_answer(s, &q, &r);
}

static void test_qps_search_expands_then_bisects_to_granularity(void) {
  cs__search_params p;
  cs__search_params_defaults(&p);
  p.qps0 = 4;
  p.replicas0 = 8;
  cs__search s;
  cs__search_init(&s, &p);
  run_log log;
  CS_ASSERT_TRUE(drive(&s, 5.3, 0, &log));
  const double want[] = {8, 4, 6, 5, 5.5, 5.25, 5.375, 5.3125, 5.28125};
  CS_ASSERT_INT_EQ(log.n, 9);
  for (int i = 0; i < 9 && i < log.n; i++) {
    CS_ASSERT_DBL_EQ(log.probes[i].qps, want[i]);
    CS_ASSERT_INT_EQ(log.probes[i].replicas, 8);
  }
  double q;
  int r;
  cs__search_answer(&s, &q, &r);
  CS_ASSERT_DBL_EQ(q, 5.28125);
  CS_ASSERT_INT_EQ(r, 8);
  CS_ASSERT_STR_EQ(s.stop_reason, "granularity");
}

static void test_qps_search_that_always_passes_doubles_until_max_iterations(void) {
  cs__search_params p;
  cs__search_params_defaults(&p);
  p.qps0 = 1;
  cs__search s;
  cs__search_init(&s, &p);
  run_log log;
  CS_ASSERT_TRUE(drive(&s, 1e9, 0, &log));
  CS_ASSERT_INT_EQ(log.n, 10);
  CS_ASSERT_DBL_EQ(log.probes[0].qps, 2);
  CS_ASSERT_DBL_EQ(log.probes[9].qps, 1024);
  CS_ASSERT_DBL_EQ(s.best_qps, 1024);
  CS_ASSERT_STR_EQ(s.stop_reason, "max_iterations");
}

static void test_qps_search_that_never_passes_stops_below_min_qps(void) {
  cs__search_params p;
  cs__search_params_defaults(&p);
  p.qps0 = 1;
  cs__search s;
  cs__search_init(&s, &p);
  run_log log;
  CS_ASSERT_TRUE(!drive(&s, 0.01, 0, &log));
  const double want[] = {2, 1, 0.5, 0.25, 0.125, 0.0625};
  CS_ASSERT_INT_EQ(log.n, 6);
  for (int i = 0; i < 6 && i < log.n; i++) CS_ASSERT_DBL_EQ(log.probes[i].qps, want[i]);
  CS_ASSERT_STR_EQ(s.stop_reason, "min_qps");
}

static void test_qps_search_counts_the_failed_expansion_probe_as_an_iteration(void) {
  cs__search_params p;
  cs__search_params_defaults(&p);
  p.qps0 = 4;
  p.max_iterations = 3;
  cs__search s;
  cs__search_init(&s, &p);
  run_log log;
  drive(&s, 5.3, 0, &log);
  CS_ASSERT_INT_EQ(log.n, 3); /* 8 (fail), 4, 6 */
  CS_ASSERT_DBL_EQ(log.probes[2].qps, 6);
  CS_ASSERT_DBL_EQ(s.best_qps, 4);
}

static void test_num_replicas_search_finds_the_fewest_passing_replicas(void) {
  cs__search_params p;
  cs__search_params_defaults(&p);
  p.kind = CS_SEARCH_NUM_REPLICAS;
  p.qps0 = 10;
  p.replicas0 = 2;
  cs__search s;
  cs__search_init(&s, &p);
  run_log log;
  CS_ASSERT_TRUE(drive(&s, 1e9, 5, &log));
  const int want[] = {4, 8, 6, 5};
  CS_ASSERT_INT_EQ(log.n, 4);
  for (int i = 0; i < 4 && i < log.n; i++) {
    CS_ASSERT_INT_EQ(log.probes[i].replicas, want[i]);
    CS_ASSERT_DBL_EQ(log.probes[i].qps, 10);
  }
  double q;
  int r;
  cs__search_answer(&s, &q, &r);
  CS_ASSERT_INT_EQ(r, 5);
  CS_ASSERT_STR_EQ(s.stop_reason, "converged");
}

static void test_num_replicas_search_when_one_replica_suffices(void) {
  cs__search_params p;
  cs__search_params_defaults(&p);
  p.kind = CS_SEARCH_NUM_REPLICAS;
  p.qps0 = 1;
  p.replicas0 = 4;
  cs__search s;
  cs__search_init(&s, &p);
  run_log log;
  CS_ASSERT_TRUE(drive(&s, 1e9, 1, &log));
  const int want[] = {8, 4, 2, 1};
  CS_ASSERT_INT_EQ(log.n, 4);
  for (int i = 0; i < 4 && i < log.n; i++) CS_ASSERT_INT_EQ(log.probes[i].replicas, want[i]);
  CS_ASSERT_INT_EQ(s.best_replicas, 1);
}

static void test_isoqps_runs_every_multiplier_once(void) {
  const double mult[] = {0.5, 1, 2};
  cs__search_params p;
  cs__search_params_defaults(&p);
  p.kind = CS_SEARCH_ISOQPS;
  p.qps0 = 4;
  p.replicas0 = 3;
  p.multipliers = mult;
  p.nmult = 3;
  cs__search s;
  cs__search_init(&s, &p);
  run_log log;
  CS_ASSERT_TRUE(drive(&s, 5, 0, &log));
  CS_ASSERT_INT_EQ(log.n, 3);
  CS_ASSERT_DBL_EQ(log.probes[0].qps, 2);
  CS_ASSERT_DBL_EQ(log.probes[2].qps, 8);
  CS_ASSERT_DBL_EQ(s.best_qps, 4);
  CS_ASSERT_INT_EQ(cs__search_max_probes(&p), 3);
}

static void test_next_without_a_verdict_repeats_the_same_probe(void) {
  cs__search_params p;
  cs__search_params_defaults(&p);
  p.qps0 = 3;
  cs__search s;
  cs__search_init(&s, &p);
  cs__probe a, b;
  CS_ASSERT_TRUE(cs__search_next(&s, &a));
  CS_ASSERT_TRUE(cs__search_next(&s, &b));
  CS_ASSERT_DBL_EQ(a.qps, b.qps);
  CS_ASSERT_INT_EQ(s.iter, 0);
}

static void test_replaying_a_prefix_of_verdicts_asks_for_the_same_next_probe(void) {
  cs__search_params p;
  cs__search_params_defaults(&p);
  p.qps0 = 4;
  cs__search full;
  cs__search_init(&full, &p);
  run_log log;
  drive(&full, 5.3, 0, &log);
  /* a second machine fed the first 5 verdicts (as a resume would) asks for probe 6 */
  cs__search s;
  cs__search_init(&s, &p);
  cs__probe q;
  for (int i = 0; i < 5; i++) {
    CS_ASSERT_TRUE(cs__search_next(&s, &q));
    CS_ASSERT_DBL_EQ(q.qps, log.probes[i].qps);
    cs__search_report(&s, q.qps <= 5.3);
  }
  CS_ASSERT_TRUE(cs__search_next(&s, &q));
  CS_ASSERT_DBL_EQ(q.qps, log.probes[5].qps);
}

/* `last` (job.c runs such a probe to the end instead of stopping it early) is set exactly when
 * neither verdict leads to another probe, for each kind of search and threshold; the final probe
 * of a search ended by max_iterations and isoqps's last multiplier are last. */
static void test_a_probe_is_last_exactly_when_no_verdict_leads_on(void) {
  const double mult[] = {0.5, 1, 2};
  int lasts = 0, probes = 0;
  for (int kind = 0; kind < 3; kind++)
    for (int th = 0; th < 6; th++) {
      cs__search_params p;
      cs__search_params_defaults(&p);
      p.kind = kind == 0 ? CS_SEARCH_QPS : kind == 1 ? CS_SEARCH_NUM_REPLICAS : CS_SEARCH_ISOQPS;
      p.qps0 = 4;
      p.replicas0 = 4;
      p.max_iterations = 6;
      p.multipliers = mult;
      p.nmult = 3;
      double qps_max = 1.5 * th;
      int min_rep = 1 + 2 * th;
      cs__search s;
      cs__search_init(&s, &p);
      cs__probe pr, again, next;
      bool final_last = false;
      while (cs__search_next(&s, &pr)) {
        CS_ASSERT_TRUE(cs__search_next(&s, &again) && again.last == pr.last); /* asked again: the same */
        bool leads = false;
        for (int v = 0; v < 2; v++) {
          cs__search t = s;
          cs__search_report(&t, v == 1);
          leads = leads || cs__search_next(&t, &next);
        }
        CS_ASSERT_TRUE(pr.last == !leads);
        probes++;
        lasts += pr.last;
        final_last = pr.last;
        cs__search_report(&s, pr.qps <= qps_max && pr.replicas >= min_rep);
      }
      if (kind == 2 || s.iter >= p.max_iterations) CS_ASSERT_TRUE(final_last);
    }
  CS_ASSERT_TRUE(lasts > 0 && lasts < probes);
}

static const cs_test_case cases[] = {
    {"test_qps_search_expands_then_bisects_to_granularity", test_qps_search_expands_then_bisects_to_granularity},
    {"test_qps_search_that_always_passes_doubles_until_max_iterations",
     test_qps_search_that_always_passes_doubles_until_max_iterations},
    {"test_qps_search_that_never_passes_stops_below_min_qps", test_qps_search_that_never_passes_stops_below_min_qps},
    {"test_qps_search_counts_the_failed_expansion_probe_as_an_iteration",
     test_qps_search_counts_the_failed_expansion_probe_as_an_iteration},
    {"test_num_replicas_search_finds_the_fewest_passing_replicas",
     test_num_replicas_search_finds_the_fewest_passing_replicas},
    {"test_num_replicas_search_when_one_replica_suffices", test_num_replicas_search_when_one_replica_suffices},
    {"test_isoqps_runs_every_multiplier_once", test_isoqps_runs_every_multiplier_once},
    {"test_next_without_a_verdict_repeats_the_same_probe", test_next_without_a_verdict_repeats_the_same_probe},
    {"test_replaying_a_prefix_of_verdicts_asks_for_the_same_next_probe",
     test_replaying_a_prefix_of_verdicts_asks_for_the_same_next_probe},
    {"test_a_probe_is_last_exactly_when_no_verdict_leads_on", test_a_probe_is_last_exactly_when_no_verdict_leads_on},
    {NULL, NULL}};

int main(void) { return cs_test_run("search", cases); }
