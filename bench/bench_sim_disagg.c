/* Cost of a disaggregated probe against an aggregated one of the same size (prints figures;
 * never a timed test). The same workload (the Splitwise conversation trace, Poisson arrivals)
 * on the same number of Llama-2-70B TP2 replicas on A100s: R aggregated replicas against R/2
 * prefill + R/2 decode replicas (cs_disagg_run), roofline predictor, vllm_v1.
 * Usage: bench_sim_disagg [SHARED_DATA_DIR] [REPEATS]   (default $CS_SHARED_DATA or ../shared/data, 5)
 * Reports the best CPU time of REPEATS runs of each and their ratio. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "capsearch/catalog.h"
#include "capsearch/disagg.h"
#include "capsearch/predictor.h"
#include "capsearch/sim.h"
#include "capsearch/trace.h"

static double cpu_now(void) { /* CPU time of this process: less noisy than wall time on a busy machine */
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Best CPU seconds of `repeats` runs (disaggregated when dc != NULL); -1 on error. */
static double best_of(const cs_sim_config *c, const cs_disagg_config *dc, int repeats, int64_t *done, int64_t *events) {
  double best = 1e30;
  for (int i = 0; i < repeats; i++) {
    cs_sim_result *res = NULL;
    cs_err err = {0};
    double t0 = cpu_now();
    int rc = dc ? cs_disagg_run(dc, &res, &err) : cs_sim_run(c, &res, &err);
    double t = cpu_now() - t0;
    if (rc) {
      fprintf(stderr, "%s\n", err.msg);
      return -1;
    }
    if (t < best) best = t;
    *done = cs_sim_result_stats(res)->num_completed;
    *events = cs_sim_result_stats(res)->num_events;
    cs_sim_result_free(res);
  }
  return best;
}

int main(int argc, char **argv) {
  const char *data = argc > 1 ? argv[1] : getenv("CS_SHARED_DATA");
  if (!data) data = "../shared/data";
  int repeats = argc > 2 ? atoi(argv[2]) : 5;
  if (repeats < 1) repeats = 1;
  cs_err err = {0};
  cs_catalog *cat = NULL;
  const cs_model *m;
  const cs_device *d;
  const cs_network *net;
  if (cs_catalog_load(cs_catalog_default_dir(), &cat, &err) ||
      cs_catalog_find_model(cat, "meta-llama/Llama-2-70b-hf", &m, &err) || cs_catalog_find_device(cat, "a100", &d, &err) ||
      cs_catalog_find_network(cat, "a100_dgx", &net, &err)) {
    fprintf(stderr, "catalog: %s\n", err.msg);
    return 1;
  }
  char path[1024];
  snprintf(path, sizeof path, "%s/traces/splitwise_conv.csv", data);
  cs_trace *conv = NULL;
  cs_trace_opts to = {.format = CS_TRACE_AUTO, .block_size = 16, .max_rows = 10000};
  if (cs_trace_load(path, &to, &conv, &err)) {
    fprintf(stderr, "%s (pass the shared data directory as the first argument)\n", err.msg);
    return 1;
  }
  const cs_predictor_ops *pops;
  cs_predictor *pred = NULL;
  cs_predictor_ctx pc = {.model = m, .device = d, .network = net, .tp = 2, .pp = 1};
  if (cs_predictor_find("roofline", &pops, &err) || cs_predictor_new(pops, &pc, &pred, &err)) {
    fprintf(stderr, "predictor: %s\n", err.msg);
    return 1;
  }
  printf("bench_sim_disagg: Llama-2-70B TP2 on a100_dgx, splitwise conv, vllm_v1, roofline, best CPU of %d\n", repeats);
  int rc = 0;
  const int sizes[2] = {4, 8};
  for (int k = 0; k < 2; k++) {
    int R = sizes[k];
    cs_sim_config c;
    cs_sim_config_defaults(&c);
    c.model = m;
    c.device = d;
    c.network = net;
    c.tp = 2;
    c.predictor = pred;
    c.num_replicas = R;
    c.workload.arrival = CS_ARRIVAL_POISSON;
    c.workload.qps = R;
    c.workload.length = CS_LENGTH_TRACE;
    c.workload.trace = conv;
    c.workload.num_requests = 10000;
    c.workload.max_seq_len = conv->max_total_tokens;
    cs_disagg_config dc = {.prefill = c, .decode = c};
    dc.prefill.num_replicas = dc.decode.num_replicas = R / 2;
    int64_t n1, e1, n2, e2;
    double agg = best_of(&c, NULL, repeats, &n1, &e1), dis = best_of(NULL, &dc, repeats, &n2, &e2);
    if (agg < 0 || dis < 0) {
      rc = 1;
      continue;
    }
    printf("%d replicas, %g QPS, 10000 req: aggregated %8.1f ms (%lld done, %lld events)  %dP%dD %8.1f ms (%lld done, "
           "%lld events)  ratio %.2f\n",
           R, c.workload.qps, agg * 1e3, (long long)n1, (long long)e1, R / 2, R / 2, dis * 1e3, (long long)n2,
           (long long)e2, dis / agg);
  }
  cs_predictor_free(pred);
  cs_trace_free(conv);
  cs_catalog_free(cat);
  return rc;
}
