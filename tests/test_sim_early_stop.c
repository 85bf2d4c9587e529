/* Early stopping on requests still in flight (src/sim/early_stop.c) against the full run, on
 * one replica with a constant-time predictor: every probe's verdict equals the full run's, a
 * passing run is never stopped (and runs exactly the same events), overloaded runs under
 * E2E, TTFT, scheduling-delay and mixed SLOs stop sooner than on completed requests alone, and
 * a run stops on in-flight violators where completed ones alone never decide. Two runs that
 * pass only as long as nothing is counted twice or for a queue wait that says nothing certain
 * (TPOT's clock starts at the first token; the normalised E2E's limit is per output token) pin
 * those mistakes, and every request counted in flight under TPOT or the normalised E2E must
 * violate in the full run. */
#include "cs_test.h"
#include "sim/engine.h"
#include "sim_fixture.h"

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

enum { FULL, COMPLETED_ONLY, IN_FLIGHT };

typedef struct outcome {
  bool ok, stopped, pass;
  int64_t events, completed, counted_in_flight;
} outcome;

static void count_in_flight(void *ud, cs__sim *sim, const cs__request *r) {
  (void)sim;
  if (r->slo_counted) ((outcome *)ud)->counted_in_flight++;
}

/* Simulates `t` under `slo` (mode: FULL = no early stopping) and judges it as capsearch does
 * (unfinished requests violate). */
static outcome run(const cs_trace *t, const cs_predictor *p, int cap, double time_limit, const cs_slo_config *slo,
                   int mode) {
  outcome o = {0};
  cs_sim_config c;
  fx_config(&c, t, p);
  c.num_blocks = 20000;
  c.workload.num_requests = (int64_t)t->n;
  c.time_limit_s = time_limit;
  fx_set_param(&c.replica_params, "batch_size_cap", cap);
  c.early_stop_slo = mode == FULL ? NULL : slo;
  c.early_stop_in_flight = mode == IN_FLIGHT;
  cs__sim_observer obs = {.ud = &o, .on_request_end = count_in_flight};
  cs_sim_result *res = NULL;
  cs_err err = {0};
  if (cs__sim_run_observed(&c, &obs, &res, &err)) {
    fprintf(stderr, "simulation: %s\n", err.msg);
    return o;
  }
  const cs_sim_stats *st = cs_sim_result_stats(res);
  size_t n = 0;
  const cs_request_record *recs = cs_sim_result_records(res, &n);
  cs_slo_verdict v;
  cs_slo_evaluate(slo, recs, n, st->num_arrived, &v);
  o.ok = true;
  o.stopped = st->stopped_early;
  o.pass = v.pass;
  o.events = st->num_events;
  o.completed = st->num_completed;
  cs_sim_result_free(res);
  return o;
}

/* `n` requests of 16 prompt tokens arriving `gap` s apart; every `every`-th one has `long_d`
 * output tokens, the others `short_d`. */
static cs_trace *burst(int n, double gap, int every, int long_d, int short_d) {
  fx_row *rows = calloc((size_t)n, sizeof *rows);
  for (int i = 0; i < n; i++) rows[i] = (fx_row){.at = i * gap, .p = 16, .d = i % every == 0 ? long_d : short_d};
  cs_trace *t = fx_trace(rows, (size_t)n);
  free(rows);
  return t;
}

static cs_slo_config slo1(const char *metric, double value, double q) {
  cs_slo_config s = {.name = metric, .type = CS_SLO_AND, .quantile = q, .n = 1};
  s.slos[0].value = value;
  cs_err err = {0};
  if (cs_slo_metric_find(metric, &s.slos[0].metric, &err)) abort();
  return s;
}

static cs_slo_config slo2(cs_slo_type type, const char *m1, double v1, const char *m2, double v2, double q) {
  cs_slo_config s = slo1(m1, v1, q);
  s.type = type;
  s.n = 2;
  s.slos[1] = slo1(m2, v2, q).slos[0];
  return s;
}

static void test_in_flight_stops_sooner_with_the_full_runs_verdict(void) {
  cs_predictor *p = fx_predictor(10, 1);
  /* overloaded: 120 requests in 1.2 s, 8 at a time, 60 output tokens each (0.6 s per request) */
  cs_trace *heavy = burst(120, 0.01, 1, 60, 60);
  /* light: 40 requests 0.5 s apart */
  cs_trace *light = burst(40, 0.5, 1, 30, 30);
  const cs_trace *traces[] = {heavy, light};
  const double limits[] = {0, 4}; /* no time limit; one where completed requests alone never decide */
  const char *tpot = "decode_time_execution_plus_preemption_normalized";
  cs_slo_config slos[] = {
      slo1("request_e2e_time", 1.0, 0.5),
      slo1("request_e2e_time", 1.0, 0.99),
      slo1("prefill_e2e_time", 0.5, 0.9),
      slo1("request_scheduling_delay", 0.3, 0.5),
      slo2(CS_SLO_AND, "prefill_e2e_time", 0.5, tpot, 0.02, 0.9),
      slo2(CS_SLO_OR, "prefill_e2e_time", 0.5, "request_e2e_time", 1.5, 0.9),
      slo2(CS_SLO_OR, "prefill_e2e_time", 0.5, tpot, 0.02, 0.9),
  };
  int sooner[NELEMS(slos)] = {0}, only_in_flight = 0, passing = 0, failing = 0;
  for (size_t s = 0; s < NELEMS(slos); s++)
    for (size_t k = 0; k < NELEMS(traces); k++)
      for (size_t l = 0; l < NELEMS(limits); l++) {
        outcome full = run(traces[k], p, 8, limits[l], &slos[s], FULL);
        outcome done = run(traces[k], p, 8, limits[l], &slos[s], COMPLETED_ONLY);
        outcome fly = run(traces[k], p, 8, limits[l], &slos[s], IN_FLIGHT);
        CS_ASSERT_TRUE(full.ok && done.ok && fly.ok);
        CS_ASSERT_TRUE(!full.stopped);
        if (full.pass) {
          passing++;
          CS_ASSERT_TRUE(!fly.stopped && !done.stopped);
          CS_ASSERT_INT_EQ(fly.events, full.events);
          CS_ASSERT_TRUE(fly.pass);
        } else {
          failing++;
          if (!fly.stopped) CS_ASSERT_INT_EQ(fly.events, full.events);
          CS_ASSERT_TRUE(fly.stopped || !done.stopped);    /* in flight never decides later */
          CS_ASSERT_TRUE(fly.events <= done.events);
          if (fly.stopped && fly.events < done.events) sooner[s]++;
          if (fly.stopped && !done.stopped) only_in_flight++;
        }
      }
  CS_ASSERT_TRUE(passing > 0 && failing > 0);
  /* every SLO whose metrics can be certain in flight stopped sooner somewhere; `or` with TPOT never */
  for (size_t s = 0; s + 1 < NELEMS(slos); s++) {
    if (!sooner[s]) fprintf(stderr, "SLO %zu (%s) never stopped sooner\n", s, slos[s].name);
    CS_ASSERT_TRUE(sooner[s] > 0);
  }
  CS_ASSERT_INT_EQ(sooner[NELEMS(slos) - 1], 0);
  CS_ASSERT_TRUE(only_in_flight > 0);
  cs_trace_free(heavy);
  cs_trace_free(light);
  cs_predictor_free(p);
}

/* 49 of 100 requests are long (4 s) and counted in flight under E2E <= 1 s; the median holds.
 * Counting them again at completion (98) would reach the deciding count and stop a passing run. */
static void test_a_request_counted_in_flight_is_not_counted_again(void) {
  cs_predictor *p = fx_predictor(10, 1);
  fx_row rows[100];
  for (int i = 0; i < 100; i++) rows[i] = (fx_row){.at = i * 0.001, .p = 16, .d = i < 49 ? 400 : 2};
  cs_trace *t = fx_trace(rows, 100);
  cs_slo_config slo = slo1("request_e2e_time", 1.0, 0.5);
  int64_t need = cs_slo_deciding_violations(&slo, 100);
  CS_ASSERT_TRUE(need > 49 && need <= 98);
  outcome full = run(t, p, 128, 0, &slo, FULL);
  outcome fly = run(t, p, 128, 0, &slo, IN_FLIGHT);
  CS_ASSERT_TRUE(full.ok && fly.ok && full.pass);
  CS_ASSERT_INT_EQ(fly.counted_in_flight, 49);
  CS_ASSERT_TRUE(!fly.stopped && fly.pass);
  CS_ASSERT_INT_EQ(fly.events, full.events);
  cs_trace_free(t);
  cs_predictor_free(p);
}

/* Requests wait seconds in the queue, far longer than the TPOT limit and the normalised-E2E
 * limit per token, yet both hold: TPOT counts from the first token, and no request's age passes
 * its limit times D, so nothing may be counted in flight. */
static void test_metrics_that_can_still_fall_are_not_counted_in_flight(void) {
  cs_predictor *p = fx_predictor(10, 1);
  cs_trace *t = burst(100, 0.001, 1, 20, 20);
  const char *names[] = {"decode_time_execution_plus_preemption_normalized", "request_e2e_time_normalized"};
  const double values[] = {0.05, 0.5};
  for (int k = 0; k < 2; k++) {
    cs_slo_config slo = slo1(names[k], values[k], 0.5);
    outcome full = run(t, p, 4, 0, &slo, FULL);
    outcome fly = run(t, p, 4, 0, &slo, IN_FLIGHT);
    CS_ASSERT_TRUE(full.ok && fly.ok && full.pass);
    CS_ASSERT_TRUE(!fly.stopped && fly.pass);
    CS_ASSERT_INT_EQ(fly.counted_in_flight, 0);
    CS_ASSERT_INT_EQ(fly.events, full.events);
  }
  cs_trace_free(t);
  cs_predictor_free(p);
}

/* ---- per-token metrics (TPOT, normalised E2E) counted in flight ---- */

typedef struct counted_ids {
  bool counted[512];
} counted_ids;

static void note_counted(void *ud, cs__sim *sim, const cs__request *r) {
  (void)sim;
  if (r->id >= 0 && r->id < 512 && r->slo_counted) ((counted_ids *)ud)->counted[r->id] = true;
}

/* Runs `rows` under `slo` with requests counted in flight (never stopping when `watch_only`:
 * the quantile 0 needs every request to violate) and returns whether each completed request
 * was counted in flight; `full` gets whether each violates in the full run. */
static bool counted_vs_full(const fx_row *rows, int n, int cap, int blocks, int chunk, bool quirk, const cs_slo_config *slo,
                            bool *counted, bool *violates, int64_t *events_fly, int64_t *events_full) {
  cs_predictor *p = fx_predictor(10, 1);
  cs_trace *t = fx_trace(rows, (size_t)n);
  bool ok = true;
  for (int mode = 0; mode < 2 && ok; mode++) {
    cs_sim_config c;
    fx_config(&c, t, p);
    c.num_blocks = blocks;
    c.workload.num_requests = n;
    c.vidur_restart_quirk = quirk;
    fx_set_param(&c.replica_params, "batch_size_cap", cap);
    fx_set_param(&c.replica_params, "chunk_size", chunk);
    c.early_stop_slo = mode ? slo : NULL;
    c.early_stop_in_flight = mode == 1;
    counted_ids ids = {0};
    cs__sim_observer obs = {.ud = &ids, .on_request_end = note_counted};
    cs_sim_result *res = NULL;
    cs_err err = {0};
    if (cs__sim_run_observed(&c, &obs, &res, &err)) {
      fprintf(stderr, "simulation: %s\n", err.msg);
      ok = false;
      break;
    }
    const cs_sim_stats *st = cs_sim_result_stats(res);
    size_t nr = 0;
    const cs_request_record *recs = cs_sim_result_records(res, &nr);
    if (mode == 0) {
      *events_full = st->num_events;
      for (size_t i = 0; i < nr; i++) violates[(int)recs[i].v[CS_RM_REQUEST_ID]] = cs_slo_record_violates(slo, &recs[i]);
    } else {
      *events_fly = st->num_events;
      ok = !st->stopped_early && (int)nr == n;
      memcpy(counted, ids.counted, (size_t)n * sizeof *counted);
    }
    cs_sim_result_free(res);
  }
  cs_trace_free(t);
  cs_predictor_free(p);
  return ok;
}

/* Every request counted in flight under TPOT or the normalised E2E violates it in the full run,
 * with and without preemption and under both restart rules (Vidur's quirk lets a mid-prefill
 * victim's D grow), and the counting changes no event; the watches do count some. A bound that
 * started TPOT's clock at arrival (a queue wait is not decode time), or divided by the current D
 * under the quirk (a chunk of 24 tokens and 40 blocks preempt requests mid-prefill), would count
 * requests that meet the limit, and fail here. */
static void test_per_token_metrics_counted_in_flight_violate_in_the_full_run(void) {
  enum { N = 120 };
  fx_row rows[N];
  for (int i = 0; i < N; i++) /* a burst: long queue waits; prompts of 1-7 blocks, 2-40 output tokens */
    rows[i] = (fx_row){.at = i * 0.004, .p = 16 * (1 + i % 7) - i % 5, .d = 2 + (i * 7) % 39};
  const char *tpot = "decode_time_execution_plus_preemption_normalized", *e2en = "request_e2e_time_normalized";
  cs_slo_config slos[] = {
      slo1(tpot, 0.012, 0.0),
      slo1(tpot, 0.02, 0.0),
      slo1(e2en, 0.05, 0.0),
      slo1(e2en, 0.2, 0.0),
      slo2(CS_SLO_AND, tpot, 0.015, e2en, 0.1, 0.0),
      slo2(CS_SLO_AND, "prefill_e2e_time", 0.5, tpot, 0.012, 0.0),
  };
  const int caps[] = {4, 16}, blocks[] = {1000, 40}, chunks[] = {512, 24};
  int64_t counted_total = 0, violators_total = 0, cases = 0;
  for (size_t s = 0; s < NELEMS(slos); s++)
    for (int c = 0; c < 2; c++)
      for (int b = 0; b < 2; b++)
        for (int k = 0; k < 4; k++) {
          int quirk = k & 1, chunk = chunks[k >> 1];
          bool counted[N] = {0}, violates[N] = {0};
          int64_t ev_fly = -1, ev_full = -2;
          CS_ASSERT_TRUE(counted_vs_full(rows, N, caps[c], blocks[b], chunk, quirk, &slos[s], counted, violates, &ev_fly,
                                         &ev_full));
          CS_ASSERT_INT_EQ(ev_fly, ev_full);
          for (int i = 0; i < N; i++) {
            if (counted[i] && !violates[i])
              fprintf(stderr, "SLO %zu cap %d blocks %d chunk %d quirk %d: request %d counted but meets it\n", s,
                      caps[c], blocks[b], chunk, quirk, i);
            CS_ASSERT_TRUE(!counted[i] || violates[i]);
            counted_total += counted[i];
            violators_total += violates[i];
          }
          cases++;
        }
  CS_ASSERT_INT_EQ(cases, (int64_t)NELEMS(slos) * 16);
  CS_ASSERT_TRUE(counted_total > 0 && counted_total < violators_total);
}

static const cs_test_case cases[] = {
    {"in_flight_stops_sooner_with_the_full_runs_verdict", test_in_flight_stops_sooner_with_the_full_runs_verdict},
    {"a_request_counted_in_flight_is_not_counted_again", test_a_request_counted_in_flight_is_not_counted_again},
    {"metrics_that_can_still_fall_are_not_counted_in_flight",
     test_metrics_that_can_still_fall_are_not_counted_in_flight},
    {"per_token_metrics_counted_in_flight_violate_in_the_full_run",
     test_per_token_metrics_counted_in_flight_violate_in_the_full_run},
    {NULL, NULL},
};

int main(void) { return cs_test_run("sim_early_stop", cases); }
