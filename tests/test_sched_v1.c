/* vllm_v1 with several micro-batches in flight (PP > 1), driven by hand through the fake engine:
 * a request in a batch in flight is never batched again until that batch ends, and is eligible
 * again as soon as it ends. The scheduler marks requests in flight and, when the last batch in
 * flight ends, unmarks them all at once (an epoch) instead of one by one; these cases pin that
 * to the plain rule, including a request left out of the batch formed right after. */
#include "cs_test.h"
#include "sched_fake_sim.h"

extern const cs__replica_sched_ops cs__rsched_vllm_v1;
extern const cs__rqueue_ops cs__rqueue_fcfs;

typedef struct sched {
  cs__sim sim;
  cs_params params;
  void *state;
  double t;
} sched;

static sched *v1_new(int32_t chunk_size) {
  sched *s = calloc(1, sizeof *s);
  fake_sim_init(&s->sim);
  s->sim.queue_ops = &cs__rqueue_fcfs;
  s->params.names[0] = "chunk_size";
  s->params.values[0] = chunk_size;
  s->params.n = 1;
  cs__replica_ctx ctx = {.sim = &s->sim, .num_stages = 2, .num_blocks = 1000, .block_size = 16, .max_tokens = 4096,
                         .keep_prompt_on_restart = true, .params = &s->params};
  s->state = cs__sim_alloc(&s->sim, cs__rsched_vllm_v1.state_size);
  cs_err err = {0};
  CS_ASSERT_OK(cs__rsched_vllm_v1.init(s->state, &ctx, &err), &err);
  return s;
}

static cs__batch *step(sched *s) { return cs__rsched_vllm_v1.next_batch(s->state, s->t); }
static void finish(sched *s, cs__batch *b) {
  s->t += 1.0;
  fake_run_batch(&cs__rsched_vllm_v1, s->state, b, s->t);
}
static bool holds(const cs__batch *b, const cs__request *r) {
  for (int32_t i = 0; b && i < b->n; i++)
    if (b->requests[i] == r) return true;
  return false;
}

static void test_v1_request_left_out_when_all_batches_ended_is_eligible_next(void) {
  sched *s = v1_new(2); /* two tokens a step: two one-token items */
  cs__request r[3];
  for (int i = 0; i < 3; i++) {
    fake_req(&r[i], i, 0, 1, 8);
    cs__rsched_vllm_v1.add_request(s->state, &r[i]);
  }
  cs__batch *b1 = step(s), *b2 = step(s); /* {0,1} then {2} while {0,1} is in flight */
  CS_ASSERT_INT_EQ(b1->n, 2);
  CS_ASSERT_INT_EQ(b2->n, 1);
  CU_ASSERT(holds(b2, &r[2]));
  CU_ASSERT_PTR_NULL(step(s)); /* everyone in flight */
  finish(s, b1);
  cs__batch *b3 = step(s); /* 0 and 1 are back; 2 still in flight */
  CS_ASSERT_INT_EQ(b3->n, 2);
  CU_ASSERT(holds(b3, &r[0]) && holds(b3, &r[1]));
  finish(s, b3);
  finish(s, b2); /* the last batch in flight ends: all unmarked at once, 2 among them */
  cs__batch *b4 = step(s); /* {0,1}: the budget runs out before 2 */
  CS_ASSERT_INT_EQ(b4->n, 2);
  CU_ASSERT(!holds(b4, &r[2]));
  cs__batch *b5 = step(s); /* 2 is in no batch in flight: it forms the second micro-batch */
  CU_ASSERT_PTR_NOT_NULL(b5);
  CU_ASSERT(holds(b5, &r[2]));
  CU_ASSERT_PTR_NULL(step(s));
  finish(s, b5); /* not the last one: 2 alone is unmarked */
  cs__batch *b6 = step(s);
  CU_ASSERT(holds(b6, &r[2]) && !holds(b6, &r[0]) && !holds(b6, &r[1]));
  CS_ASSERT_INT_EQ(b6 ? b6->n : 0, 1);
  fake_sim_release(&s->sim);
  free(s);
}

/* Random orders of forming and ending up to three micro-batches against a per-request count of
 * the batches in flight that hold it. Every item takes one token (one-token prompts, then
 * decodes) and requests are admitted in id order, so a batch must be the first min(budget,
 * free) requests in id order that no batch in flight holds. */
static void test_v1_in_flight_marks_follow_batches_in_any_order(void) {
  enum { N = 12, MAXB = 3 };
  uint64_t rng = 7;
  for (int trial = 0; trial < 50; trial++) {
    const int budget = 1 + trial % 8;
    sched *s = v1_new(budget);
    cs__request r[N];
    int held[N] = {0};
    for (int i = 0; i < N; i++) {
      fake_req(&r[i], i, 0, 1, 1000);
      cs__rsched_vllm_v1.add_request(s->state, &r[i]);
    }
    cs__batch *fl[MAXB];
    int nfl = 0;
    for (int op = 0; op < 200; op++) {
      rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
      bool form = nfl < MAXB && (nfl == 0 || (rng >> 40) % 2);
      if (form) {
        cs__batch *b = step(s);
        int want[N], nwant = 0;
        for (int i = 0; i < N && nwant < budget; i++)
          if (!held[i]) want[nwant++] = i;
        CS_ASSERT_INT_EQ(b ? b->n : 0, nwant);
        if (!b) continue;
        for (int32_t j = 0; j < b->n && j < nwant; j++) {
          int id = (int)b->requests[j]->id;
          CS_ASSERT_INT_EQ(id, want[j]);
          held[id]++;
        }
        fl[nfl++] = b;
      } else {
        int k = (int)((rng >> 20) % (uint64_t)nfl);
        cs__batch *b = fl[k];
        fl[k] = fl[--nfl];
        for (int32_t j = 0; j < b->n; j++) held[b->requests[j]->id]--;
        finish(s, b);
      }
    }
    fake_sim_release(&s->sim);
    free(s);
  }
}

int main(void) {
  static const cs_test_case cases[] = {
      {"test_v1_request_left_out_when_all_batches_ended_is_eligible_next",
       test_v1_request_left_out_when_all_batches_ended_is_eligible_next},
      {"test_v1_in_flight_marks_follow_batches_in_any_order", test_v1_in_flight_marks_follow_batches_in_any_order},
      {NULL, NULL},
  };
  return cs_test_run("sched_v1", cases);
}
