/* Request queues (vidur-semantics.md §4.8): fcfs pops by (arrived_at, id) so a restarted request
 * goes back near the front; edf by (arrived_at + prefill SLO, id); growth past the initial size. */
#include <stdlib.h>

#include "cs_test.h"
#include "sim/engine.h"

static cs__sim *fake_sim(void) {
  cs__sim *s = calloc(1, sizeof *s);
  s->svc = &cs__sim_engine_services;
  cs__arena_init(&s->arena, 4096);
  return s;
}
static void fake_free(cs__sim *s) {
  cs__arena_release(&s->arena);
  free(s);
}

static void test_fcfs_pops_by_arrival_then_id(void) {
  cs__sim *sim = fake_sim();
  cs__rqueue *q = cs__rqueue_new(sim, cs__rqueue_lookup("fcfs"), NULL);
  cs__request r[6] = {{.id = 0, .arrived_at = 3}, {.id = 1, .arrived_at = 1}, {.id = 2, .arrived_at = 1},
                      {.id = 3, .arrived_at = 0.5}, {.id = 4, .arrived_at = 2}, {.id = 5, .arrived_at = 1}};
  for (int i = 5; i >= 0; i--) cs__rqueue_push(q, &r[i]);
  CS_ASSERT_INT_EQ(cs__rqueue_size(q), 6);
  int expect[6] = {3, 1, 2, 5, 4, 0};
  for (int i = 0; i < 6; i++) {
    CS_ASSERT_INT_EQ(cs__rqueue_peek(q)->id, expect[i]);
    CS_ASSERT_INT_EQ(cs__rqueue_pop(q)->id, expect[i]);
  }
  CU_ASSERT_PTR_NULL(cs__rqueue_pop(q));
  CU_ASSERT_PTR_NULL(cs__rqueue_peek(q));
  fake_free(sim);
}

static void test_fcfs_restarted_request_goes_back_to_the_front(void) {
  cs__sim *sim = fake_sim();
  cs__rqueue *q = cs__rqueue_new(sim, cs__rqueue_lookup("fcfs"), NULL);
  cs__request old = {.id = 2, .arrived_at = 1.0}, a = {.id = 7, .arrived_at = 5.0}, b = {.id = 8, .arrived_at = 6.0};
  cs__rqueue_push(q, &a);
  cs__rqueue_push(q, &b);
  cs__rqueue_push(q, &old); /* preempted later, but arrived first */
  CS_ASSERT_INT_EQ(cs__rqueue_pop(q)->id, 2);
  fake_free(sim);
}

static void test_edf_orders_by_prefill_deadline(void) {
  cs__sim *sim = fake_sim();
  cs_params p = {0};
  const cs__rqueue_ops *edf = cs__rqueue_lookup("edf");
  CU_ASSERT_PTR_NOT_NULL_FATAL(edf);
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_params_set(&p, edf->info.params, edf->info.nparams, "edf", "slo_prefill_e2e_time_normalized",
                                 0.01, "test", &err), 0);
  CS_ASSERT_INT_EQ(cs_params_set(&p, edf->info.params, edf->info.nparams, "edf", "slo_prefill_e2e_time_min", 0.5,
                                 "test", &err), 0);
  cs__rqueue *q = cs__rqueue_new(sim, edf, &p);
  /* deadlines: 0 + max(1000*0.01, 0.5) = 10; 1 + max(10*0.01, 0.5) = 1.5; 2 + 0.5 = 2.5 */
  cs__request r0 = {.id = 0, .arrived_at = 0, .num_prefill = 1000}, r1 = {.id = 1, .arrived_at = 1, .num_prefill = 10},
              r2 = {.id = 2, .arrived_at = 2, .num_prefill = 20};
  cs__rqueue_push(q, &r0);
  cs__rqueue_push(q, &r1);
  cs__rqueue_push(q, &r2);
  CS_ASSERT_INT_EQ(cs__rqueue_pop(q)->id, 1);
  CS_ASSERT_INT_EQ(cs__rqueue_pop(q)->id, 2);
  CS_ASSERT_INT_EQ(cs__rqueue_pop(q)->id, 0);
  CU_ASSERT_PTR_NULL(cs__rqueue_lookup("lifo"));
  fake_free(sim);
}

/* The deadline parameters are bound once, when the queue is made: a push reads two struct
 * fields (it used to look both names up on every push, reading whatever the caller's
 * parameter list held at that moment). */
static void test_edf_binds_its_parameters_when_the_queue_is_made(void) {
  cs__sim *sim = fake_sim();
  const cs__rqueue_ops *edf = cs__rqueue_lookup("edf");
  CU_ASSERT_PTR_NOT_NULL_FATAL(edf);
  cs_params p = {0};
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_params_set(&p, edf->info.params, edf->info.nparams, "edf", "slo_prefill_e2e_time_normalized",
                                 0.01, "test", &err), 0);
  cs__rqueue *q = cs__rqueue_new(sim, edf, &p);
  p.values[0] = 0; /* a later change of the caller's list does not reach the queue */
  /* deadlines with 0.01 s per token: 0 + 10 = 10 and 1 + 0.1 = 1.1 (with 0: 0 and 1) */
  cs__request r0 = {.id = 0, .arrived_at = 0, .num_prefill = 1000}, r1 = {.id = 1, .arrived_at = 1, .num_prefill = 10};
  cs__rqueue_push(q, &r0);
  cs__rqueue_push(q, &r1);
  CS_ASSERT_INT_EQ(cs__rqueue_pop(q)->id, 1);
  CS_ASSERT_INT_EQ(cs__rqueue_pop(q)->id, 0);
  fake_free(sim);
}

static void test_queue_grows_and_stays_ordered(void) {
  cs__sim *sim = fake_sim();
  cs__rqueue *q = cs__rqueue_new(sim, cs__rqueue_lookup("fcfs"), NULL);
  enum { N = 1000 };
  cs__request *r = calloc(N, sizeof *r);
  unsigned s = 99;
  for (int i = 0; i < N; i++) {
    s = s * 1103515245u + 12345u;
    r[i].id = i;
    r[i].arrived_at = (double)((s >> 8) % 200);
    cs__rqueue_push(q, &r[i]);
  }
  CS_ASSERT_INT_EQ(cs__rqueue_size(q), N);
  cs__request *prev = cs__rqueue_pop(q);
  for (int i = 1; i < N; i++) {
    cs__request *x = cs__rqueue_pop(q);
    if (x->arrived_at < prev->arrived_at || (x->arrived_at == prev->arrived_at && x->id < prev->id))
      CS__FAIL_MSG("out of order at %d", i);
    prev = x;
  }
  CS_ASSERT_INT_EQ(cs__rqueue_size(q), 0);
  free(r);
  fake_free(sim);
}

static const cs_test_case cases[] = {
    {"test_fcfs_pops_by_arrival_then_id", test_fcfs_pops_by_arrival_then_id},
    {"test_fcfs_restarted_request_goes_back_to_the_front", test_fcfs_restarted_request_goes_back_to_the_front},
    {"test_edf_orders_by_prefill_deadline", test_edf_orders_by_prefill_deadline},
    {"test_edf_binds_its_parameters_when_the_queue_is_made", test_edf_binds_its_parameters_when_the_queue_is_made},
    {"test_queue_grows_and_stays_ordered", test_queue_grows_and_stays_ordered},
    {NULL, NULL},
};

int main(void) {
  return cs_test_run("sim_queue", cases);
}
