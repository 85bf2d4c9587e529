/* The terminal summary of `capsearch simulate`: request count, throughput and the P50/P90/P99 of
 * the latency metrics of one finished simulation, printed to stdout, and a warning when the KV
 * cache is small for the workload (the latencies then measure queueing for memory). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsearch/sim.h"

#include "cmd_simulate.h"
#include "commands.h"

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* A KV cache that preempted, or holds fewer tokens than a few of the longest requests, makes the
 * run memory-bound: say so, with the capacity and the levers, so an overloaded result is not read
 * as the configuration's speed. */
#define KV_FEW_REQUESTS 4
static void kv_warning(const cs_sim_config *c, const cs_sim_stats *st, const cs_request_record *rec, size_t n,
                       const sim_limit *lim) {
  double longest = 0;
  for (size_t i = 0; i < n; i++)
    if (rec[i].v[CS_RM_NUM_TOKENS] > longest) longest = rec[i].v[CS_RM_NUM_TOKENS];
  if (!n) longest = (double)lim->longest; /* none completed: the workload's longest request */
  int bs = c->block_size > 0 ? c->block_size : 16;
  long long kv_tokens = (long long)st->num_blocks * bs;
  bool small = longest > 0 && (double)kv_tokens < KV_FEW_REQUESTS * longest;
  if (st->num_preemptions <= 0 && !small) return;
  printf("warning: KV cache holds %lld tokens/replica (%lld blocks of %d)", kv_tokens, (long long)st->num_blocks, bs);
  if (small) printf(", fewer than %d of the longest request (%.0f tokens)", KV_FEW_REQUESTS, longest);
  if (st->num_preemptions > 0) printf("; %lld preemptions", (long long)st->num_preemptions);
  printf(": the latencies above include waiting for KV memory.\n"
         "  To give the KV cache room: more tensor parallelism (--tp), a device with more memory, a lower\n"
         "  --max-seq-len, fewer concurrent requests (--batch-size-cap) or a smaller token budget\n"
         "  (--chunk-size, vLLM's max_num_batched_tokens), or a larger --num-blocks (what vLLM's\n"
         "  gpu_memory_utilization above 0.9 gives).\n");
}

/* The length limit and what it did to the trace's rows (docs/traces.md "Overlong rows"). */
static void limit_line(const sim_limit *l) {
  if (l->limit <= 0) return;
  printf("length limit: %lld tokens (%s)", (long long)l->limit,
         l->asked > 0 && l->asked == l->limit ? "--max-seq-len" : "the model's context");
  if (l->st.limit > 0)
    printf("; %zu of the trace's rows over it%s", l->st.overlong,
           !l->st.overlong ? "" : l->overlong == CS_OVERLONG_DROP ? ", dropped" : ", clipped (Vidur V0's rule)");
  printf("\n");
}

void cs__sim_print_summary(const cs_sim_config *c, const cs_sim_result *res, const sim_limit *lim, const char *dir) {
  size_t n;
  const cs_request_record *rec = cs_sim_result_records(res, &n);
  const cs_sim_stats *st = cs_sim_result_stats(res);
  printf("capsearch simulate: %s on %d x %s (TP %d, PP %d), %s / %s, predictor %s\n", c->model->name,
         c->num_replicas, c->device->name, c->tp, c->pp, c->replica_scheduler, c->global_scheduler,
         cs_predictor_get_ops(c->predictor)->info.name);
  printf("requests: %lld arrived, %lld completed%s; simulated %.3f s\n", (long long)st->num_arrived,
         (long long)st->num_completed, st->hit_time_limit ? " (time limit reached)" : "", st->end_time);
  limit_line(lim);
  static const struct {
    const char *label;
    cs_rm m;
  } rows[] = {{"TTFT", CS_RM_TTFT}, {"TPOT", CS_RM_TPOT}, {"E2E", CS_RM_E2E}, {"sched delay", CS_RM_SCHED_DELAY}};
  double *v = malloc((n ? n : 1) * sizeof *v);
  printf("%-14s %12s %12s %12s\n", "seconds", "P50", "P90", "P99");
  for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
    for (size_t i = 0; i < n; i++) v[i] = rec[i].v[rows[k].m];
    qsort(v, n, sizeof *v, cmp_d);
    printf("%-14s %12.6f %12.6f %12.6f\n", rows[k].label, cs_quantile_sorted(v, n, 0.5), cs_quantile_sorted(v, n, 0.9),
           cs_quantile_sorted(v, n, 0.99));
  }
  free(v);
  double tokens = 0, out_tokens = 0;
  for (size_t i = 0; i < n; i++) {
    tokens += rec[i].v[CS_RM_NUM_TOKENS];
    out_tokens += rec[i].v[CS_RM_NUM_DECODE];
  }
  double T = st->end_time > 0 ? st->end_time : 1;
  printf("throughput: %.3f requests/s, %.1f tokens/s (%.1f output tokens/s)\n", (double)n / T, tokens / T,
         out_tokens / T);
  double mem_mean = 0, mem_max = 0;
  for (int k = 0; k < c->num_replicas; k++) {
    const cs_replica_stats *rs = cs_sim_result_replica(res, k);
    mem_mean += rs->memory_usage_weighted_mean / c->num_replicas;
    if (rs->memory_usage_max > mem_max) mem_max = rs->memory_usage_max;
  }
  printf("preemptions: %lld; KV cache: %lld blocks/replica, use %.1f%% mean, %.1f%% max; batches: %lld\n",
         (long long)st->num_preemptions, (long long)st->num_blocks, mem_mean, mem_max, (long long)st->num_batches);
  kv_warning(c, st, rec, n, lim);
  printf("wall: %.3f s, %lld events (%.0f events/s), %.1f MiB\n", st->wall_seconds, (long long)st->num_events,
         st->wall_seconds > 0 ? (double)st->num_events / st->wall_seconds : 0.0, (double)st->peak_bytes / 1048576.0);
  printf("output: %s\n", dir);
}
