/* sched: Vidur V0 replica schedulers (vidur-semantics.md §4.0-§4.5) stepped by hand on a fake
 * engine: batch composition, token limits, chunking order, block accounting and victims. */
#include "cs_test.h"
#include "sched_fake_sim.h"

extern const cs__replica_sched_ops cs__rsched_vllm, cs__rsched_sarathi, cs__rsched_orca,
    cs__rsched_faster_transformer, cs__rsched_lightllm;
extern const cs__rqueue_ops cs__rqueue_fcfs, cs__rqueue_edf;

typedef struct sched {
  cs__sim sim;
  const cs__replica_sched_ops *ops;
  void *state;
  cs_params params;
  double t;
} sched;

typedef struct setup {
  int64_t num_blocks;
  int32_t block_size, num_stages;
  int64_t max_tokens, max_batch_size;
  double watermark;
  const char *pnames[4];
  double pvals[4];
} setup;

static sched *sched_new(const cs__replica_sched_ops *ops, setup su) {
  sched *s = calloc(1, sizeof *s);
  fake_sim_init(&s->sim);
  s->sim.queue_ops = &cs__rqueue_fcfs;
  s->ops = ops;
  for (int i = 0; i < 4 && su.pnames[i]; i++) {
    s->params.names[i] = su.pnames[i];
    s->params.values[i] = su.pvals[i];
    s->params.n = i + 1;
  }
  cs__replica_ctx ctx = {.sim = &s->sim,
                         .replica_id = 0,
                         .num_stages = su.num_stages ? su.num_stages : 1,
                         .num_blocks = su.num_blocks,
                         .block_size = su.block_size ? su.block_size : 16,
                         .max_tokens = su.max_tokens ? su.max_tokens : 4096,
                         .max_batch_size = su.max_batch_size,
                         .watermark_fraction = su.watermark,
                         .keep_prompt_on_restart = true,
                         .params = &s->params};
  s->state = cs__sim_alloc(&s->sim, ops->state_size);
  cs_err err = {0};
  CS_ASSERT_OK(ops->init(s->state, &ctx, &err), &err);
  return s;
}

static void sched_free(sched *s) {
  fake_sim_release(&s->sim);
  free(s);
}

static cs__batch *step(sched *s) { return s->ops->next_batch(s->state, s->t); }
static void finish(sched *s, cs__batch *b) {
  s->t += 1.0;
  fake_run_batch(s->ops, s->state, b, s->t);
}

static void test_vllm_prefill_batch_respects_padded_token_limit(void) {
  sched *s = sched_new(&cs__rsched_vllm, (setup){.num_blocks = 1000, .pnames = {"max_tokens_in_batch"}, .pvals = {1000}});
  cs__request r[3];
  const int32_t P[3] = {300, 200, 400};
  for (int i = 0; i < 3; i++) {
    fake_req(&r[i], i, i * 0.1, P[i], 2);
    s->ops->add_request(s->state, &r[i]);
  }
  /* 1 x 300, 2 x 300 = 600 fit; 3 x 400 = 1200 > 1000 even though the plain sum 900 would fit */
  cs__batch *b = step(s);
  CS_ASSERT_TRUE(b != NULL);
  CS_ASSERT_INT_EQ(b->n, 2);
  CS_ASSERT_INT_EQ(b->num_tokens[0], 300);
  CS_ASSERT_INT_EQ(b->num_tokens[1], 200);
  CS_ASSERT_INT_EQ(b->num_decode_tokens, 0);
  finish(s, b);
  /* prefill first: the waiting 400-token prompt goes before the two decodes */
  b = step(s);
  CS_ASSERT_INT_EQ(b->n, 1);
  CS_ASSERT_TRUE(b->requests[0] == &r[2]);
  CS_ASSERT_INT_EQ(b->num_tokens[0], 400);
  finish(s, b);
  /* then one decode batch with all three, sorted by arrival */
  b = step(s);
  CS_ASSERT_INT_EQ(b->n, 3);
  for (int i = 0; i < 3; i++) {
    CS_ASSERT_TRUE(b->requests[i] == &r[i]);
    CS_ASSERT_INT_EQ(b->num_tokens[i], 1);
  }
  finish(s, b);
  CS_ASSERT_TRUE(r[0].completed && r[1].completed && r[2].completed);
  CS_ASSERT_TRUE(s->ops->is_empty(s->state));
  CS_ASSERT_DBL_EQ(s->ops->memory_usage_percent(s->state), 0.0);
  sched_free(s);
}

static void test_vllm_prompt_over_token_limit_never_starts(void) {
  sched *s = sched_new(&cs__rsched_vllm, (setup){.num_blocks = 1000, .pnames = {"max_tokens_in_batch"}, .pvals = {256}});
  cs__request r;
  fake_req(&r, 0, 0, 300, 2);
  s->ops->add_request(s->state, &r);
  CS_ASSERT_TRUE(step(s) == NULL);
  CS_ASSERT_INT_EQ(s->ops->num_waiting(s->state), 1);
  CS_ASSERT_TRUE(!s->ops->is_empty(s->state));
  sched_free(s);
}

static void test_vllm_victim_is_last_running_request(void) {
  /* 10 blocks of 16 tokens; three 48-token prompts take 3 blocks each. After the prefill each
   * holds 49 tokens and needs a 4th block, but only one block is free. */
  sched *s = sched_new(&cs__rsched_vllm, (setup){.num_blocks = 10});
  cs__request r[3];
  for (int i = 0; i < 3; i++) {
    fake_req(&r[i], i, i, 48, 10);
    s->ops->add_request(s->state, &r[i]);
  }
  cs__batch *b = step(s);
  CS_ASSERT_INT_EQ(b->n, 3);
  CS_ASSERT_DBL_EQ(s->ops->memory_usage_percent(s->state), 90.0);
  finish(s, b);
  b = step(s);
  /* r0 takes the free block; r1 cannot, so the last running request (r2) is preempted */
  CS_ASSERT_INT_EQ(s->sim.preemptions, 1);
  CS_ASSERT_TRUE(s->sim.last_victim == &r[2]);
  CS_ASSERT_INT_EQ(r[2].num_restarts, 1);
  CS_ASSERT_INT_EQ(r[2].num_processed, 0);
  CS_ASSERT_INT_EQ(b->n, 2);
  CS_ASSERT_TRUE(b->requests[0] == &r[0] && b->requests[1] == &r[1]);
  CS_ASSERT_DBL_EQ(s->ops->memory_usage_percent(s->state), 80.0);
  CS_ASSERT_INT_EQ(s->ops->num_waiting(s->state), 1);
  sched_free(s);
}

static void test_vllm_watermark_blocks_admission(void) {
  /* 100 blocks, watermark 10%: a 90-block prompt may start (100 - 90 >= 10), a 91-block one not */
  sched *s = sched_new(&cs__rsched_vllm, (setup){.num_blocks = 100, .watermark = 0.1,
                                                 .pnames = {"max_tokens_in_batch"}, .pvals = {1e6}});
  cs__request a, b;
  fake_req(&a, 0, 0, 91 * 16, 2);
  s->ops->add_request(s->state, &a);
  CS_ASSERT_TRUE(step(s) == NULL);
  sched_free(s);
  s = sched_new(&cs__rsched_vllm, (setup){.num_blocks = 100, .watermark = 0.1, .pnames = {"max_tokens_in_batch"}, .pvals = {1e6}});
  fake_req(&b, 0, 0, 90 * 16, 2);
  s->ops->add_request(s->state, &b);
  CS_ASSERT_TRUE(step(s) != NULL);
  sched_free(s);
}

static void test_sarathi_splits_prompts_into_chunks_decode_first(void) {
  sched *s = sched_new(&cs__rsched_sarathi, (setup){.num_blocks = 1000, .pnames = {"chunk_size"}, .pvals = {100}});
  cs__request a, b;
  fake_req(&a, 0, 0.0, 250, 3);
  fake_req(&b, 1, 0.5, 80, 3);
  s->ops->add_request(s->state, &a);
  s->ops->add_request(s->state, &b);
  /* steps 1-2: a's chunks of 100 use the whole budget, b cannot start (0 tokens left) */
  for (int k = 0; k < 2; k++) {
    cs__batch *x = step(s);
    CS_ASSERT_INT_EQ(x->n, 1);
    CS_ASSERT_TRUE(x->requests[0] == &a);
    CS_ASSERT_INT_EQ(x->num_tokens[0], 100);
    finish(s, x);
  }
  /* step 3: a's last 50, then b's first 50 */
  cs__batch *x = step(s);
  CS_ASSERT_INT_EQ(x->n, 2);
  CS_ASSERT_TRUE(x->requests[0] == &a && x->requests[1] == &b);
  CS_ASSERT_INT_EQ(x->num_tokens[0], 50);
  CS_ASSERT_INT_EQ(x->num_tokens[1], 50);
  finish(s, x);
  CS_ASSERT_TRUE(a.is_prefill_complete && !b.is_prefill_complete);
  /* step 4: decode first (a, 1 token), then b's remaining 30 */
  x = step(s);
  CS_ASSERT_INT_EQ(x->n, 2);
  CS_ASSERT_TRUE(x->requests[0] == &a && x->requests[1] == &b);
  CS_ASSERT_INT_EQ(x->num_tokens[0], 1);
  CS_ASSERT_INT_EQ(x->num_tokens[1], 30);
  CS_ASSERT_INT_EQ(x->num_prefill_tokens, 30);
  CS_ASSERT_INT_EQ(x->num_decode_tokens, 1);
  finish(s, x);
  /* the whole prompt was reserved at admission: ceil(250/16) + ceil(80/16) blocks */
  CS_ASSERT_DBL_NEAR(s->ops->memory_usage_percent(s->state), (16 + 5) * 100.0 / 1000, 1e-12);
  sched_free(s);
}

static void test_sarathi_decodes_ignore_the_chunk_budget(void) {
  /* Two pipeline stages: two micro-batches of four 1-token prompts each fill the budget of 4;
   * when both have ended, all eight decode together: 8 tokens > chunk_size 4. */
  sched *s = sched_new(&cs__rsched_sarathi, (setup){.num_blocks = 1000, .num_stages = 2, .pnames = {"chunk_size"}, .pvals = {4}});
  cs__request r[8];
  for (int i = 0; i < 8; i++) {
    fake_req(&r[i], i, i, 1, 5);
    s->ops->add_request(s->state, &r[i]);
  }
  cs__batch *a = step(s), *b = step(s);
  CS_ASSERT_INT_EQ(a->n, 4);
  CS_ASSERT_INT_EQ(b->n, 4);
  finish(s, a);
  finish(s, b);
  cs__batch *x = step(s);
  CS_ASSERT_INT_EQ(x->n, 8);
  CS_ASSERT_INT_EQ(x->total_tokens, 8);
  CS_ASSERT_INT_EQ(x->num_decode_tokens, 8);
  sched_free(s);
}

static void test_sarathi_accepts_edf_but_vllm_rejects_it(void) {
  cs__sim sim;
  fake_sim_init(&sim);
  sim.queue_ops = &cs__rqueue_edf;
  cs_params none = {0};
  cs__replica_ctx ctx = {.sim = &sim, .num_stages = 1, .num_blocks = 100, .block_size = 16, .max_tokens = 4096,
                         .params = &none};
  cs_err err = {0};
  void *st = cs__sim_alloc(&sim, cs__rsched_sarathi.state_size);
  CS_ASSERT_OK(cs__rsched_sarathi.init(st, &ctx, &err), &err);
  st = cs__sim_alloc(&sim, cs__rsched_vllm.state_size);
  CS_ASSERT_TRUE(cs__rsched_vllm.init(st, &ctx, &err) == CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "fcfs");
  fake_sim_release(&sim);
}

static void test_orca_reserves_worst_case_blocks(void) {
  /* max_tokens 160 = 10 blocks per request whatever its length; 25 blocks admit two */
  sched *s = sched_new(&cs__rsched_orca, (setup){.num_blocks = 25, .max_tokens = 160, .max_batch_size = 8});
  cs__request r[3];
  for (int i = 0; i < 3; i++) {
    fake_req(&r[i], i, i, 20, i == 0 ? 2 : 5);
    s->ops->add_request(s->state, &r[i]);
  }
  cs__batch *b = step(s);
  CS_ASSERT_INT_EQ(b->n, 2);
  CS_ASSERT_INT_EQ(b->num_tokens[0], 20);
  CS_ASSERT_DBL_EQ(s->ops->memory_usage_percent(s->state), 80.0);
  finish(s, b);
  b = step(s); /* the two decodes; r2 still does not fit */
  CS_ASSERT_INT_EQ(b->n, 2);
  CS_ASSERT_INT_EQ(b->total_tokens, 2);
  finish(s, b);
  CS_ASSERT_TRUE(r[0].completed);
  b = step(s); /* r0's reservation is back: r1 decodes, r2 starts with its whole prompt */
  CS_ASSERT_INT_EQ(b->n, 2);
  CS_ASSERT_TRUE(b->requests[0] == &r[1] && b->requests[1] == &r[2]);
  CS_ASSERT_INT_EQ(b->num_tokens[1], 20);
  CS_ASSERT_INT_EQ(s->sim.preemptions, 0);
  sched_free(s);
}

static void test_orca_batch_is_capped_by_max_batch_size(void) {
  sched *s = sched_new(&cs__rsched_orca, (setup){.num_blocks = 10000, .max_tokens = 160, .max_batch_size = 3,
                                                 .pnames = {"batch_size_cap"}, .pvals = {128}});
  cs__request r[5];
  for (int i = 0; i < 5; i++) {
    fake_req(&r[i], i, i, 10, 9);
    s->ops->add_request(s->state, &r[i]);
  }
  cs__batch *b = step(s);
  CS_ASSERT_INT_EQ(b->n, 3);
  sched_free(s);
}

static void test_faster_transformer_runs_static_batches_to_completion(void) {
  sched *s = sched_new(&cs__rsched_faster_transformer, (setup){.num_blocks = 100, .max_tokens = 160, .max_batch_size = 2});
  cs__request a, b, c;
  fake_req(&a, 0, 0, 20, 2); /* done after one decode */
  fake_req(&b, 1, 1, 20, 4); /* three decodes */
  fake_req(&c, 2, 2, 20, 2);
  s->ops->add_request(s->state, &a);
  s->ops->add_request(s->state, &b);
  s->ops->add_request(s->state, &c);
  cs__batch *x = step(s);
  CS_ASSERT_INT_EQ(x->n, 2);
  finish(s, x);
  x = step(s); /* the same static batch again, not c */
  CS_ASSERT_INT_EQ(x->n, 2);
  CS_ASSERT_TRUE(x->requests[0] == &a && x->requests[1] == &b);
  finish(s, x);
  CS_ASSERT_TRUE(a.completed);
  for (int k = 0; k < 2; k++) {
    x = step(s); /* b alone; a's reservation is held until the batch is done */
    CS_ASSERT_INT_EQ(x->n, 1);
    CS_ASSERT_TRUE(x->requests[0] == &b);
    CS_ASSERT_DBL_EQ(s->ops->memory_usage_percent(s->state), 20.0);
    finish(s, x);
  }
  CS_ASSERT_TRUE(b.completed);
  CS_ASSERT_DBL_EQ(s->ops->memory_usage_percent(s->state), 0.0);
  x = step(s);
  CS_ASSERT_INT_EQ(x->n, 1);
  CS_ASSERT_TRUE(x->requests[0] == &c);
  finish(s, x);
  finish(s, step(s));
  CS_ASSERT_TRUE(c.completed);
  CS_ASSERT_TRUE(s->ops->is_empty(s->state));
  sched_free(s);
}

static void test_lightllm_estimator_limits_admission(void) {
  /* 10 blocks x 16 = 160 tokens. One (P=50, D=60) needs 51 + 58 = 109 < 160; two need
   * max(58 + 51, 2 x 58 + 102) = 218 >= 160, so only one is admitted. */
  sched *s = sched_new(&cs__rsched_lightllm, (setup){.num_blocks = 10});
  cs__request r[2];
  for (int i = 0; i < 2; i++) {
    fake_req(&r[i], i, i, 50, 60);
    s->ops->add_request(s->state, &r[i]);
  }
  cs__batch *b = step(s);
  CS_ASSERT_INT_EQ(b->n, 1);
  CS_ASSERT_INT_EQ(b->num_tokens[0], 50);
  CS_ASSERT_DBL_NEAR(s->ops->memory_usage_percent(s->state), 50 * 100.0 / 160, 1e-12);
  finish(s, b);
  b = step(s); /* a decode allocates one token */
  CS_ASSERT_INT_EQ(b->n, 1);
  CS_ASSERT_INT_EQ(b->num_tokens[0], 1);
  CS_ASSERT_DBL_NEAR(s->ops->memory_usage_percent(s->state), 51 * 100.0 / 160, 1e-12);
  sched_free(s);
}

static void test_lightllm_retries_prefill_every_max_waiting_iters(void) {
  sched *s = sched_new(&cs__rsched_lightllm, (setup){.num_blocks = 1000, .pnames = {"max_waiting_iters"}, .pvals = {3}});
  cs__request a, b;
  fake_req(&a, 0, 0, 10, 50);
  s->ops->add_request(s->state, &a);
  finish(s, step(s));
  fake_req(&b, 1, 0.5, 10, 50);
  s->ops->add_request(s->state, &b);
  for (int k = 0; k < 3; k++) { /* three decode steps before the next prefill attempt */
    cs__batch *x = step(s);
    CS_ASSERT_INT_EQ(x->n, 1);
    CS_ASSERT_TRUE(x->requests[0] == &a);
    finish(s, x);
  }
  cs__batch *x = step(s);
  CS_ASSERT_INT_EQ(x->n, 1);
  CS_ASSERT_TRUE(x->requests[0] == &b);
  CS_ASSERT_INT_EQ(x->num_tokens[0], 10);
  sched_free(s);
}

static void test_lightllm_out_of_memory_preempts_instead_of_crashing(void) {
  sched *s = sched_new(&cs__rsched_lightllm, (setup){.num_blocks = 1}); /* 16 tokens */
  cs__request a;
  fake_req(&a, 0, 0, 7, 2);
  s->ops->add_request(s->state, &a);
  finish(s, step(s));
  a.num_decode = 100; /* grows beyond what the estimator planned for */
  int batches = 0;
  cs__batch *x;
  while ((x = step(s)) && batches < 100) {
    finish(s, x);
    batches++;
  }
  CS_ASSERT_INT_EQ(s->sim.preemptions, 1);
  CS_ASSERT_TRUE(s->sim.last_victim == &a);
  CS_ASSERT_INT_EQ(a.num_restarts, 1);
  CS_ASSERT_INT_LE(batches, 20);
  CS_ASSERT_DBL_EQ(s->ops->memory_usage_percent(s->state), 0.0);
  sched_free(s);
}

static void test_lightllm_rejects_pipeline_parallelism(void) {
  cs__sim sim;
  fake_sim_init(&sim);
  sim.queue_ops = &cs__rqueue_fcfs;
  cs_params none = {0};
  cs__replica_ctx ctx = {.sim = &sim, .num_stages = 2, .num_blocks = 100, .block_size = 16, .max_tokens = 4096,
                         .params = &none};
  cs_err err = {0};
  void *st = cs__sim_alloc(&sim, cs__rsched_lightllm.state_size);
  CS_ASSERT_TRUE(cs__rsched_lightllm.init(st, &ctx, &err) == CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "pp=1");
  fake_sim_release(&sim);
}

static void test_micro_batch_is_cap_over_stages(void) {
  sched *s = sched_new(&cs__rsched_vllm, (setup){.num_blocks = 10000, .num_stages = 4, .pnames = {"batch_size_cap"}, .pvals = {8}});
  cs__request r[5];
  for (int i = 0; i < 5; i++) {
    fake_req(&r[i], i, i, 10, 9);
    s->ops->add_request(s->state, &r[i]);
  }
  CS_ASSERT_INT_EQ(step(s)->n, 2);
  CS_ASSERT_INT_EQ(step(s)->n, 2);
  CS_ASSERT_INT_EQ(s->ops->num_running_batches(s->state), 2);
  sched_free(s);
}

int main(void) {
  static const cs_test_case cases[] = {
      {"test_vllm_prefill_batch_respects_padded_token_limit", test_vllm_prefill_batch_respects_padded_token_limit},
      {"test_vllm_prompt_over_token_limit_never_starts", test_vllm_prompt_over_token_limit_never_starts},
      {"test_vllm_victim_is_last_running_request", test_vllm_victim_is_last_running_request},
      {"test_vllm_watermark_blocks_admission", test_vllm_watermark_blocks_admission},
      {"test_sarathi_splits_prompts_into_chunks_decode_first", test_sarathi_splits_prompts_into_chunks_decode_first},
      {"test_sarathi_decodes_ignore_the_chunk_budget", test_sarathi_decodes_ignore_the_chunk_budget},
      {"test_sarathi_accepts_edf_but_vllm_rejects_it", test_sarathi_accepts_edf_but_vllm_rejects_it},
      {"test_orca_reserves_worst_case_blocks", test_orca_reserves_worst_case_blocks},
      {"test_orca_batch_is_capped_by_max_batch_size", test_orca_batch_is_capped_by_max_batch_size},
      {"test_faster_transformer_runs_static_batches_to_completion", test_faster_transformer_runs_static_batches_to_completion},
      {"test_lightllm_estimator_limits_admission", test_lightllm_estimator_limits_admission},
      {"test_lightllm_retries_prefill_every_max_waiting_iters", test_lightllm_retries_prefill_every_max_waiting_iters},
      {"test_lightllm_out_of_memory_preempts_instead_of_crashing", test_lightllm_out_of_memory_preempts_instead_of_crashing},
      {"test_lightllm_rejects_pipeline_parallelism", test_lightllm_rejects_pipeline_parallelism},
      {"test_micro_batch_is_cap_over_stages", test_micro_batch_is_cap_over_stages},
      {NULL, NULL},
  };
  return cs_test_run("sched_v0", cases);
}
