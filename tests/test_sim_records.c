/* Every per-request metric of a simulated request holds a computed value: a metric declared in
 * CS_REQUEST_METRICS but never written would leave whatever the stack held in its slot. The
 * stack is filled with a known byte pattern before each run, so such a slot shows the pattern
 * (or differs between two runs that filled it differently). */
#include <stdint.h>

#include "cs_test.h"
#include "sim_fixture.h"

#define STACK_BYTES (256 * 1024)

/* Fills the stack below the caller with `pat`, where the simulation's frames will lie. */
static __attribute__((noinline)) void dirty_stack(unsigned char pat) {
  volatile unsigned char buf[STACK_BYTES];
  for (size_t i = 0; i < sizeof buf; i++) buf[i] = pat;
}

static bool has_pattern(double v, unsigned char pat) {
  unsigned char b[sizeof v];
  memcpy(b, &v, sizeof v);
  for (size_t i = 0; i < sizeof b; i++)
    if (b[i] != pat) return false;
  return true;
}

/* Runs the simulation after dirtying the stack with `pat`; returns a copy of the records. */
static cs_request_record *run_records(const cs_sim_config *c, unsigned char pat, size_t *n) {
  cs_sim_result *res = NULL;
  cs_err err = {0};
  dirty_stack(pat);
  if (cs_sim_run(c, &res, &err)) {
    fprintf(stderr, "cs_sim_run: %s\n", err.msg);
    *n = 0;
    return NULL;
  }
  const cs_request_record *rec = cs_sim_result_records(res, n);
  cs_request_record *copy = malloc((*n ? *n : 1) * sizeof *copy);
  memcpy(copy, rec, *n * sizeof *copy);
  cs_sim_result_free(res);
  return copy;
}

static void test_every_request_metric_slot_is_computed_not_left_from_the_stack(void) {
  fx_row rows[] = {{0.0, 100, 4, 0, 0, 0}, {0.005, 37, 9, 0, 0, 0}, {0.02, 300, 1, 0, 0, 0}, {0.5, 64, 17, 0, 0, 0}};
  cs_trace *t = fx_trace(rows, sizeof rows / sizeof rows[0]);
  cs_predictor *p = fx_predictor(10, 1);
  cs_sim_config c;
  fx_config(&c, t, p);
  size_t na = 0, nb = 0;
  cs_request_record *a = run_records(&c, 0xA5, &na);
  cs_request_record *b = run_records(&c, 0x5A, &nb);
  CS_ASSERT_INT_EQ(na, sizeof rows / sizeof rows[0]);
  CS_ASSERT_INT_EQ(nb, na);
  for (size_t i = 0; a && b && i < na && i < nb; i++)
    for (int m = 0; m < CS_RM_COUNT; m++) {
      if (has_pattern(a[i].v[m], 0xA5) || has_pattern(b[i].v[m], 0x5A) ||
          memcmp(&a[i].v[m], &b[i].v[m], sizeof(double)) != 0) {
        fprintf(stderr, "request %zu: metric %s was not computed\n", i, cs_rm_name((cs_rm)m));
        CU_FAIL("a metric slot holds stack contents");
      }
    }
  free(a);
  free(b);
  cs_predictor_free(p);
  cs_trace_free(t);
}

static const cs_test_case cases[] = {
    {"every_request_metric_slot_is_computed_not_left_from_the_stack",
     test_every_request_metric_slot_is_computed_not_left_from_the_stack},
    {NULL, NULL},
};

int main(void) { return cs_test_run("sim_records", cases); }
