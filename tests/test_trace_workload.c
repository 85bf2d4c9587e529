/* trace: workload generators (Vidur V1 arrivals and lengths, §2.1-§2.3) and the synthetic
 * multi-turn trace model. */
#include <stdlib.h>

#include "capsearch/trace.h"
#include "cs_test.h"
#include "util/rng.h"

static char dir[512];

static cs_trace *load_text(const char *name, const char *text) {
  char path[1024];
  if (!dir[0]) cs_test_tmpdir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/%s", dir, name);
  cs_test_write(path, text);
  cs_err err = {0};
  cs_trace *t = NULL;
  CS_ASSERT_OK(cs_trace_load(path, NULL, &t, &err), &err);
  return t;
}

static cs_workload *mk(const cs_workload_spec *s) {
  cs_err err = {0};
  cs_workload *w = NULL;
  CS_ASSERT_OK(cs_workload_new(s, &w, &err), &err);
  return w;
}

static void test_poisson_seed_42_first_arrival_matches_vidur_v1(void) {
  cs_workload_spec s;
  cs_workload_spec_defaults(&s);
  s.length = CS_LENGTH_FIXED;
  s.num_requests = 3;
  cs_workload *w = mk(&s);
  if (!w) return;
  cs_request_spec r;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_workload_next(w, &r, &err), 1);
  /* min(-ln(1 - 0.7739560485559633), 3) with numpy default_rng(42)'s first double */
  CS_ASSERT_DBL_EQ(r.arrived_at, -log(1.0 - 0.7739560485559633));
  /* CPython: -math.log(1 - 0.7739560485559633) (the brief's "1.4867..." is a typo) */
  CS_ASSERT_DBL_EQ(r.arrived_at, 1.4870258232016522);
  double first = r.arrived_at;
  CS_ASSERT_INT_EQ(cs_workload_next(w, &r, &err), 1);
  CS_ASSERT_DBL_EQ(r.arrived_at, first + -log(1.0 - 0.4388784397520523));
  CS_ASSERT_DBL_EQ(r.arrived_at, 2.0648435351999295); /* the same sum computed by CPython */
  CS_ASSERT_INT_EQ(cs_workload_next(w, &r, &err), 1);
  CS_ASSERT_INT_EQ(cs_workload_next(w, &r, &err), 0); /* num_requests reached */
  cs_workload_free(w);
}

static void test_poisson_gaps_are_truncated_at_three_over_qps_unless_untruncated(void) {
  const double qps = 2.5;
  for (int untrunc = 0; untrunc < 2; untrunc++) {
    cs_workload_spec s;
    cs_workload_spec_defaults(&s);
    s.length = CS_LENGTH_FIXED;
    s.qps = qps;
    s.seed = 7;
    s.poisson_untruncated = untrunc;
    s.num_requests = 400;
    cs_workload *w = mk(&s);
    if (!w) return;
    cs__pcg64 ref;
    cs__pcg64_seed(&ref, 7);
    cs_request_spec r;
    cs_err err = {0};
    double last = 0, cap = 3.0 * (1.0 / qps);
    int clamped = 0;
    while (cs_workload_next(w, &r, &err) == 1) {
      double x = -log(1.0 - cs__pcg64_random(&ref)) / qps;
      if (x > cap) {
        clamped++;
        if (!untrunc) x = cap;
      }
      CS_ASSERT_DBL_EQ(r.arrived_at, last + x); /* accumulated left to right, bit for bit */
      last = r.arrived_at;
    }
    CS_ASSERT_TRUE(clamped > 5); /* P(gap > 3/qps) = e^-3: ~20 of 400 */
    cs_workload_free(w);
  }
}

static void test_static_uniform_and_gamma_arrivals(void) {
  cs_workload_spec s;
  cs_workload_spec_defaults(&s);
  s.length = CS_LENGTH_FIXED;
  s.num_requests = 5;
  s.arrival = CS_ARRIVAL_STATIC;
  cs_workload *w = mk(&s);
  cs_request_spec r;
  cs_err err = {0};
  int n = 0;
  while (w && cs_workload_next(w, &r, &err) == 1) {
    CS_ASSERT_DBL_EQ(r.arrived_at, 0.0);
    n++;
  }
  CS_ASSERT_INT_EQ(n, 5);
  cs_workload_free(w);
  s.arrival = CS_ARRIVAL_UNIFORM;
  s.qps = 4.0;
  w = mk(&s);
  for (int k = 1; w && cs_workload_next(w, &r, &err) == 1; k++) CS_ASSERT_DBL_NEAR(r.arrived_at, k * 0.25, 1e-12);
  cs_workload_free(w);
  /* gamma: mean gap 1/qps and coefficient of variation cv */
  s.arrival = CS_ARRIVAL_GAMMA;
  s.qps = 2.0;
  const double cvs[2] = {0.5, 2.0};
  for (int c = 0; c < 2; c++) {
    s.cv = cvs[c];
    s.num_requests = 40000;
    w = mk(&s);
    double last = 0, sum = 0, sum2 = 0;
    int m = 0;
    while (w && cs_workload_next(w, &r, &err) == 1) {
      double g = r.arrived_at - last;
      CS_ASSERT_TRUE(g >= 0);
      last = r.arrived_at;
      sum += g;
      sum2 += g * g;
      m++;
    }
    double mean = sum / m, sd = sqrt(sum2 / m - mean * mean);
    CS_ASSERT_DBL_NEAR(mean, 0.5, 0.5 * 0.05);
    CS_ASSERT_DBL_NEAR(sd / mean, cvs[c], cvs[c] * 0.08);
    cs_workload_free(w);
  }
}

static void test_trace_lengths_wrap_around_in_file_order_with_hashes_and_sessions(void) {
  cs_trace *t = load_text("t.csv", "num_prefill_tokens,num_decode_tokens,block_hash_ids,block_size,session_id\n"
                                   "20,13,\"[7, 8]\",16,3\n40,8,\"[7, 8, 9]\",16,4\n");
  if (!t) return;
  cs_workload_spec s;
  cs_workload_spec_defaults(&s);
  s.trace = t;
  s.num_requests = 5;
  cs_workload *w = mk(&s);
  cs_request_spec r;
  cs_err err = {0};
  const int want_p[5] = {20, 40, 20, 40, 20};
  for (int k = 0; k < 5 && w; k++) {
    CS_ASSERT_INT_EQ(cs_workload_next(w, &r, &err), 1);
    CS_ASSERT_INT_EQ(r.prefill, want_p[k]);
    CS_ASSERT_INT_EQ(r.session_id, k % 2 ? 4 : 3);
    CS_ASSERT_INT_EQ(r.hashes.n, k % 2 ? 3 : 2);
    CS_ASSERT_TRUE(r.hashes.ids == t->hashes + t->rows[k % 2].hash_off); /* borrowed, not copied */
  }
  cs_workload_free(w);
  /* no num_requests and no duration: one pass over the trace */
  s.num_requests = 0;
  w = mk(&s);
  int n = 0;
  while (w && cs_workload_next(w, &r, &err) == 1) n++;
  CS_ASSERT_INT_EQ(n, 2);
  cs_workload_free(w);
  /* scale factors: tokens x factor, then int() truncation; hashes cut to the full blocks left */
  s.num_requests = 1;
  s.prefill_scale = 0.5;
  s.decode_scale = 1.3;
  w = mk(&s);
  CS_ASSERT_INT_EQ(cs_workload_next(w, &r, &err), 1);
  CS_ASSERT_INT_EQ(r.prefill, 10);
  CS_ASSERT_INT_EQ(r.decode, 16); /* int(13 * 1.3) = int(16.9) */
  CS_ASSERT_INT_EQ(r.hashes.n, 1);
  cs_workload_free(w);
  cs_trace_free(t);
}

static void test_duration_stops_after_the_first_arrival_past_it(void) {
  cs_workload_spec s;
  cs_workload_spec_defaults(&s);
  s.length = CS_LENGTH_FIXED;
  s.arrival = CS_ARRIVAL_UNIFORM;
  s.qps = 1.0;
  s.duration = 3.5;
  cs_workload *w = mk(&s);
  cs_request_spec r;
  cs_err err = {0};
  double last = 0;
  int n = 0;
  while (w && cs_workload_next(w, &r, &err) == 1) last = r.arrived_at, n++;
  /* V1 checks the previous arrival: 1, 2, 3 are < 3.5, so 4 is still produced (§2.1) */
  CS_ASSERT_INT_EQ(n, 4);
  CS_ASSERT_DBL_NEAR(last, 4.0, 1e-12);
  cs_workload_free(w);
}

static void test_max_seq_len_violation_names_trace_file_and_row(void) {
  cs_trace *t = load_text("long.csv", "num_prefill_tokens,num_decode_tokens\n100,10\n4000,200\n");
  if (!t) return;
  cs_workload_spec s;
  cs_workload_spec_defaults(&s);
  s.trace = t;
  s.max_seq_len = 4096;
  cs_workload *w = mk(&s);
  cs_request_spec r;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_workload_next(w, &r, &err), 1);
  CS_ASSERT_INT_EQ(cs_workload_next(w, &r, &err), CS_ERANGE);
  CS_ASSERT_STR_CONTAINS(err.msg, "long.csv: row 2: prefill 4000 + decode 200 = 4200 tokens exceeds max_seq_len 4096");
  cs_workload_free(w);
  cs_trace_free(t);
}

static void test_trace_arrivals_scale_and_validate(void) {
  cs_trace *t = load_text("arr.csv", "arrived_at,num_prefill_tokens,num_decode_tokens\n0.5,10,1\n2.0,20,2\n");
  cs_trace *bad = load_text("dec.csv", "arrived_at,num_prefill_tokens,num_decode_tokens\n3.0,10,1\n2.0,20,2\n");
  if (!t || !bad) return;
  cs_workload_spec s;
  cs_workload_spec_defaults(&s);
  s.trace = t;
  s.arrival = CS_ARRIVAL_TRACE;
  s.time_scale = 2.0;
  s.prefill_scale = 0.01; /* V1 trace replay clips scaled lengths to >= 1 */
  cs_workload *w = mk(&s);
  cs_request_spec r;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_workload_next(w, &r, &err), 1);
  CS_ASSERT_DBL_EQ(r.arrived_at, 1.0);
  CS_ASSERT_INT_EQ(r.prefill, 1);
  CS_ASSERT_INT_EQ(cs_workload_next(w, &r, &err), 1);
  CS_ASSERT_DBL_EQ(r.arrived_at, 4.0);
  CS_ASSERT_INT_EQ(cs_workload_next(w, &r, &err), 0);
  cs_workload_free(w);
  s.num_requests = 3;
  CS_ASSERT_INT_EQ(cs_workload_new(&s, &w, &err), CS_EINVAL);
  CS_ASSERT_STR_CONTAINS(err.msg, "num_requests 3 exceeds the trace's 2 rows");
  s.num_requests = 0;
  s.trace = bad;
  CS_ASSERT_INT_EQ(cs_workload_new(&s, &w, &err), CS_EINVAL);
  CS_ASSERT_STR_CONTAINS(err.msg, "dec.csv: trace arrivals must not decrease: row 2");
  /* without trace arrivals, shrinking lengths to 0 is an error (V1 asserts P > 0) */
  s.trace = t;
  s.arrival = CS_ARRIVAL_POISSON;
  w = mk(&s);
  CS_ASSERT_INT_EQ(cs_workload_next(w, &r, &err), CS_ERANGE);
  CS_ASSERT_STR_CONTAINS(err.msg, "arr.csv: row 1");
  cs_workload_free(w);
  cs_trace_free(t);
  cs_trace_free(bad);
}

static void test_fixed_uniform_and_zipf_lengths_follow_vidur_formulas(void) {
  cs_workload_spec s;
  cs_workload_spec_defaults(&s);
  s.num_requests = 3000;
  s.length = CS_LENGTH_FIXED;
  cs_workload *w = mk(&s);
  cs_request_spec r;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_workload_next(w, &r, &err), 1);
  CS_ASSERT_INT_EQ(r.prefill, 2048);
  CS_ASSERT_INT_EQ(r.decode, 512);
  CS_ASSERT_TRUE(r.hashes.n == 0 && r.session_id == -1);
  cs_workload_free(w);
  s.length = CS_LENGTH_UNIFORM;
  s.min_tokens = 1024;
  s.max_tokens = 2048;
  w = mk(&s);
  while (w && cs_workload_next(w, &r, &err) == 1) {
    int tot = r.prefill + r.decode;
    CS_ASSERT_TRUE(tot >= 1024 && tot <= 2049);
    CS_ASSERT_TRUE(r.decode >= 49 && r.decode <= 98); /* ceil(total / 21) */
  }
  cs_workload_free(w);
  s.length = CS_LENGTH_ZIPF;
  w = mk(&s);
  int at_min = 0, low_half = 0, n = 0;
  while (w && cs_workload_next(w, &r, &err) == 1) {
    int tot = r.prefill + r.decode; /* P and D are each truncated: the sum may lose one token */
    CS_ASSERT_TRUE(tot >= 1023 && tot <= 2049);
    at_min += tot <= 1024;
    low_half += tot < 1536;
    n++;
  }
  CS_ASSERT_INT_EQ(n, 3000);
  CS_ASSERT_TRUE(at_min > 0);
  CS_ASSERT_TRUE(low_half > n / 2); /* skewed toward min_tokens */
  cs_workload_free(w);
}

static void test_invalid_specs_are_rejected_with_reasons(void) {
  cs_workload_spec s;
  cs_workload_spec_defaults(&s);
  cs_workload *w = NULL;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_workload_new(&s, &w, &err), CS_EINVAL);
  CS_ASSERT_STR_CONTAINS(err.msg, "no trace was given");
  s.length = CS_LENGTH_FIXED;
  s.num_requests = 10;
  s.qps = 0;
  CS_ASSERT_INT_EQ(cs_workload_new(&s, &w, &err), CS_EINVAL);
  CS_ASSERT_STR_CONTAINS(err.msg, "qps must be a positive number");
  s.qps = 1;
  s.num_requests = 0;
  s.arrival = CS_ARRIVAL_STATIC;
  s.duration = 10;
  CS_ASSERT_INT_EQ(cs_workload_new(&s, &w, &err), CS_EINVAL);
  CS_ASSERT_STR_CONTAINS(err.msg, "no end");
  CS_ASSERT_TRUE(w == NULL);
}

static void test_synth_sessions_extend_previous_turn_hashes_and_are_deterministic(void) {
  cs_trace_synth_spec sy;
  cs_trace_synth_defaults(&sy);
  sy.arrivals.num_requests = 600;
  sy.active_sessions = 8;
  cs_trace *a = NULL, *b = NULL;
  cs_err err = {0};
  CS_ASSERT_OK(cs_trace_synth(&sy, &a, &err), &err);
  CS_ASSERT_OK(cs_trace_synth(&sy, &b, &err), &err);
  if (!a || !b) return;
  CS_ASSERT_INT_EQ(a->n, 600);
  CS_ASSERT_INT_EQ(a->nhashes, b->nhashes);
  CS_ASSERT_TRUE(!memcmp(a->hashes, b->hashes, a->nhashes * sizeof *a->hashes));
  /* arrivals are the pure V1 Poisson stream */
  cs_workload_spec ws;
  cs_workload_spec_defaults(&ws);
  ws.length = CS_LENGTH_FIXED;
  ws.num_requests = 600;
  cs_workload *w = mk(&ws);
  cs_request_spec r;
  size_t multi = 0;
  for (size_t i = 0; i < a->n && w; i++) {
    cs_workload_next(w, &r, &err);
    CS_ASSERT_DBL_EQ(a->rows[i].arrived_at, r.arrived_at);
    const cs_trace_row *row = &a->rows[i];
    CS_ASSERT_INT_EQ(row->hash_n, (row->prefill + row->decode) / 16);
    CS_ASSERT_TRUE(row->prefill + row->decode <= sy.max_seq_len);
    /* the previous turn of the same session: its ids are a prefix of this row's */
    for (size_t j = i; j-- > 0;) {
      if (a->rows[j].session_id != row->session_id) continue;
      multi++;
      CS_ASSERT_TRUE(row->prefill > a->rows[j].prefill + a->rows[j].decode);
      CS_ASSERT_TRUE(!memcmp(a->hashes + row->hash_off, a->hashes + a->rows[j].hash_off,
                             a->rows[j].hash_n * sizeof *a->hashes));
      break;
    }
  }
  CS_ASSERT_TRUE(multi > 200); /* mean 3 turns per session */
  cs_workload_free(w);
  cs_trace_stats st;
  cs_trace_stats_compute(a, &st);
  CS_ASSERT_TRUE(st.prefix_reuse > 0.3);
  CS_ASSERT_DBL_EQ(st.session_coverage, 1.0);
  cs_trace_free(a);
  cs_trace_free(b);
}

static const cs_test_case cases[] = {
    {"test_poisson_seed_42_first_arrival_matches_vidur_v1", test_poisson_seed_42_first_arrival_matches_vidur_v1},
    {"test_poisson_gaps_are_truncated_at_three_over_qps_unless_untruncated",
     test_poisson_gaps_are_truncated_at_three_over_qps_unless_untruncated},
    {"test_static_uniform_and_gamma_arrivals", test_static_uniform_and_gamma_arrivals},
    {"test_trace_lengths_wrap_around_in_file_order_with_hashes_and_sessions",
     test_trace_lengths_wrap_around_in_file_order_with_hashes_and_sessions},
    {"test_duration_stops_after_the_first_arrival_past_it", test_duration_stops_after_the_first_arrival_past_it},
    {"test_max_seq_len_violation_names_trace_file_and_row", test_max_seq_len_violation_names_trace_file_and_row},
    {"test_trace_arrivals_scale_and_validate", test_trace_arrivals_scale_and_validate},
    {"test_fixed_uniform_and_zipf_lengths_follow_vidur_formulas",
     test_fixed_uniform_and_zipf_lengths_follow_vidur_formulas},
    {"test_invalid_specs_are_rejected_with_reasons", test_invalid_specs_are_rejected_with_reasons},
    {"test_synth_sessions_extend_previous_turn_hashes_and_are_deterministic",
     test_synth_sessions_extend_previous_turn_hashes_and_are_deterministic},
    {NULL, NULL}};

int main(void) { return cs_test_run("trace_workload", cases); }
