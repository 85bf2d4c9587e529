/* Micro-benchmark of the policies alone (no engine, no predictor): routing cost per request
 * for every router at R = 8 and 64 replicas, and batch-formation cost of each V0 replica
 * scheduler driving 20,000 requests to completion on one replica. Uses the fake engine of the
 * unit tests. Figures are wall-clock on whatever machine runs it (a busy shared machine gives
 * noisy numbers). Build: cmake --build <dir> --target bench_sched_policies */
#include <stdio.h>
#include <time.h>

#include "../tests/sched_fake_sim.h"

extern const cs__global_sched_ops cs__gsched_round_robin, cs__gsched_random, cs__gsched_lor, cs__gsched_lop,
    cs__gsched_lop_uncached, cs__gsched_sticky_round_robin, cs__gsched_sticky_lor, cs__gsched_sticky_lop,
    cs__gsched_tolerant_sticky_lop_uncached, cs__gsched_ranked_sticky_lop_uncached;
extern const cs__replica_sched_ops cs__rsched_vllm, cs__rsched_sarathi, cs__rsched_orca,
    cs__rsched_faster_transformer, cs__rsched_lightllm;
extern const cs__rqueue_ops cs__rqueue_fcfs;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int32_t bench_cached(const cs__request *r, int32_t replica) {
  return (int32_t)(((r->id * 7 + replica * 3) % 5) * 16) % (r->num_prefill + 1);
}

static void bench_router(const cs__global_sched_ops *ops, int32_t R, int n) {
  static cs__sim sim;
  fake_sim_init(&sim);
  sim.cached = bench_cached;
  cs_params params = {0};
  params.n = 2;
  params.names[0] = "tolerance_factor";
  params.values[0] = 2.0;
  params.names[1] = "top_k";
  params.values[1] = 2;
  cs__router_ctx ctx = {.sim = &sim, .num_replicas = R, .seed = 67, .params = &params};
  void *st = cs__sim_alloc(&sim, ops->state_size);
  cs_err err = {0};
  if (ops->init(st, &ctx, &err)) {
    printf("%s: %s\n", ops->info.name, err.msg);
    return;
  }
  cs__request *rs = calloc((size_t)n, sizeof *rs);
  for (int i = 0; i < n; i++) {
    fake_req(&rs[i], i, i, 100 + i % 900, 50);
    rs[i].session_id = i % 1000;
  }
  double t0 = now_s();
  for (int i = 0; i < n; i++) {
    rs[i].replica_id = ops->route(st, &rs[i]);
    if (i >= 64) { /* keep ~64 requests outstanding */
      if (ops->on_prefill_end) ops->on_prefill_end(st, &rs[i - 64]);
      if (ops->on_request_end) ops->on_request_end(st, &rs[i - 64]);
    }
  }
  double dt = now_s() - t0;
  printf("  %-30s R=%-3d %8.1f ns/request\n", ops->info.name, (int)R, dt / n * 1e9);
  free(rs);
  fake_sim_release(&sim);
}

static void bench_replica(const cs__replica_sched_ops *ops, int n) {
  static cs__sim sim;
  fake_sim_init(&sim);
  sim.queue_ops = &cs__rqueue_fcfs;
  cs_params params = {0};
  cs__replica_ctx ctx = {.sim = &sim, .num_stages = 1, .num_blocks = 20000, .block_size = 16, .max_tokens = 4096,
                         .max_batch_size = 64, .watermark_fraction = 0.01, .keep_prompt_on_restart = true,
                         .params = &params};
  void *st = cs__sim_alloc(&sim, ops->state_size);
  cs_err err = {0};
  if (ops->init(st, &ctx, &err)) {
    printf("%s: %s\n", ops->info.name, err.msg);
    return;
  }
  cs__request *rs = calloc((size_t)n, sizeof *rs);
  for (int i = 0; i < n; i++) {
    fake_req(&rs[i], i, i * 1e-3, 50 + (i * 97) % 1500, 1 + (i * 31) % 300);
    ops->add_request(st, &rs[i]);
  }
  double t0 = now_s(), t = 0;
  int64_t batches = 0, tokens = 0;
  cs__batch *b;
  while ((b = ops->next_batch(st, t))) {
    t += 1e-3;
    batches++;
    tokens += b->total_tokens;
    fake_run_batch(ops, st, b, t);
  }
  double dt = now_s() - t0;
  int done = 0;
  for (int i = 0; i < n; i++) done += rs[i].completed;
  printf("  %-20s %7lld batches %9lld tokens %6d/%d done  %6.1f ns/batch-step  preemptions %lld\n", ops->info.name,
         (long long)batches, (long long)tokens, done, n, batches ? dt / (double)batches * 1e9 : 0.0,
         (long long)sim.preemptions);
  free(rs);
  fake_sim_release(&sim);
}

int main(void) {
  const cs__global_sched_ops *routers[] = {&cs__gsched_round_robin, &cs__gsched_random, &cs__gsched_lor,
                                           &cs__gsched_lop, &cs__gsched_lop_uncached, &cs__gsched_sticky_round_robin,
                                           &cs__gsched_sticky_lor, &cs__gsched_sticky_lop,
                                           &cs__gsched_tolerant_sticky_lop_uncached,
                                           &cs__gsched_ranked_sticky_lop_uncached};
  printf("routers (200,000 requests):\n");
  for (size_t i = 0; i < sizeof routers / sizeof *routers; i++) {
    bench_router(routers[i], 8, 200000);
    bench_router(routers[i], 64, 200000);
  }
  const cs__replica_sched_ops *scheds[] = {&cs__rsched_vllm, &cs__rsched_sarathi, &cs__rsched_orca,
                                           &cs__rsched_faster_transformer, &cs__rsched_lightllm};
  printf("V0 replica schedulers (20,000 requests, one replica, fake 1 ms iterations):\n");
  for (size_t i = 0; i < sizeof scheds / sizeof *scheds; i++) bench_replica(scheds[i], 20000);
  return 0;
}
