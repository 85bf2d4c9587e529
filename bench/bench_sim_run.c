/* Simulator throughput benchmark (prints figures; never a timed test).
 *  1. 2,000 requests replaying Vidur's reference workload (Llama-2-70B, TP 2, one A100 replica,
 *     ../shared/data/vidur-runs/.../workload.csv) with vllm_v1 and sarathi, roofline predictor.
 *     Vidur itself took ~10.7 s and 1.48 GB for this (shared/data/README.md).
 *     Also the reference run itself: sarathi with Vidur's prediction tables (profile predictor),
 *     which reproduces Vidur's per-request metrics exactly (tests/test_sim_vidur_parity.c).
 *  2. 10,000 requests of the Splitwise conversation trace at 8 QPS on 8 replicas
 *     (round_robin and lop_uncached routers).
 *  3. The seed job's probes (bench_runner_seedjob.sh) without the search around them: 12,301
 *     Mooncake conversation requests (clipped to Llama-3-8B's 8,192 tokens as the runner does)
 *     on 8 x Llama-3-8B / H100, vllm_v1 chunk 512, prefix caching, Poisson at 8 QPS (a long,
 *     event-loop-bound probe) and 34 QPS (near the answer: bound by the KV manager).
 * Usage: bench_sim_run [SHARED_DATA_DIR] [REPEATS] [mooncake]   (default $CS_SHARED_DATA or
 *        ../shared/data, 5; `mooncake`: case 3 only)
 * Reports the best wall time of REPEATS runs, events/s, requests/s, the simulation's own memory
 * (arena + arrays) and the process peak RSS (getrusage). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "capsearch/catalog.h"
#include "capsearch/predictor.h"
#include "capsearch/sim.h"
#include "capsearch/trace.h"

static double cpu_now(void) { /* CPU time of this process: less noisy than wall time on a busy machine */
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int run_case(const char *label, cs_sim_config *c, int repeats) {
  double best = 1e30, best_cpu = 1e30;
  const cs_sim_stats *st = NULL;
  cs_sim_result *keep = NULL;
  for (int i = 0; i < repeats; i++) {
    cs_sim_result *res = NULL;
    cs_err err = {0};
    double c0 = cpu_now();
    int rc = cs_sim_run(c, &res, &err);
    double cpu = cpu_now() - c0;
    if (cpu < best_cpu) best_cpu = cpu;
    if (rc) {
      fprintf(stderr, "%s: %s\n", label, err.msg);
      return 1;
    }
    if (cs_sim_result_stats(res)->wall_seconds < best) {
      best = cs_sim_result_stats(res)->wall_seconds;
      cs_sim_result_free(keep);
      keep = res;
    } else {
      cs_sim_result_free(res);
    }
  }
  st = cs_sim_result_stats(keep);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("%-44s %8.2f ms wall %8.2f ms cpu  %7lld req  %9.0f req/s  %9lld events  %10.0f events/s  sim %6.1f MiB  maxrss %6.1f MiB\n",
         label, best * 1e3, best_cpu * 1e3, (long long)st->num_completed, (double)st->num_completed / best,
         (long long)st->num_events, (double)st->num_events / best, (double)st->peak_bytes / 1048576.0,
         (double)ru.ru_maxrss / 1024.0);
  cs_sim_result_free(keep);
  return 0;
}

/* Case 3: the seed job's probes at 8 and 34 QPS. */
static int mooncake_cases(const cs_catalog *cat, const char *data, int repeats) {
  cs_err err = {0};
  const cs_model *m;
  const cs_device *d;
  const cs_network *net = NULL;
  if (cs_catalog_find_model(cat, "meta-llama/Meta-Llama-3-8B", &m, &err) || cs_catalog_find_device(cat, "h100", &d, &err) ||
      cs_catalog_find_network(cat, "h100_dgx", &net, &err)) {
    fprintf(stderr, "catalog: %s\n", err.msg);
    return 1;
  }
  char path[1024];
  snprintf(path, sizeof path, "%s/traces/mooncake_conversation_trace.jsonl", data);
  cs_trace_opts to = {.format = CS_TRACE_AUTO, .block_size = 16};
  cs_trace *raw = NULL, *mc = NULL;
  if (cs_trace_load(path, &to, &raw, &err) || cs_trace_limit(raw, 8192, CS_OVERLONG_CLIP, &mc, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    cs_trace_free(raw);
    return 1;
  }
  const cs_predictor_ops *pops;
  cs_predictor *pred = NULL;
  cs_predictor_ctx pc = {.model = m, .device = d, .network = net, .tp = 1, .pp = 1};
  int rc = 1;
  if (cs_predictor_find("roofline", &pops, &err) ||
      cs_params_finish(&pc.params, pops->info.params, pops->info.nparams, pops->info.name, "bench", &err) ||
      cs_predictor_new(pops, &pc, &pred, &err)) {
    fprintf(stderr, "predictor: %s\n", err.msg);
    goto done;
  }
  printf("bench_sim_run: Llama-3-8B x 8 on h100, Mooncake conversation, vllm_v1 chunk 512, prefix caching\n");
  cs_sim_config c;
  cs_sim_config_defaults(&c);
  c.model = m;
  c.device = d;
  c.network = net;
  c.tp = 1;
  c.predictor = pred;
  c.num_replicas = 8;
  c.prefix_caching = true;
  c.replica_params.n = 2;
  c.replica_params.names[0] = "chunk_size";
  c.replica_params.values[0] = 512;
  c.replica_params.names[1] = "batch_size_cap";
  c.replica_params.values[1] = 512;
  c.workload.arrival = CS_ARRIVAL_POISSON;
  c.workload.length = CS_LENGTH_TRACE;
  c.workload.trace = mc;
  c.workload.num_requests = 12301;
  c.workload.max_seq_len = 8192;
  c.time_limit_s = 10800;
  c.workload.qps = 8;
  rc = run_case("12301 req mooncake, 8 replicas, 8 qps", &c, repeats);
  c.workload.qps = 34;
  rc |= run_case("12301 req mooncake, 8 replicas, 34 qps", &c, repeats);
done:
  cs_predictor_free(pred);
  cs_trace_free(mc);
  cs_trace_free(raw);
  return rc;
}

int main(int argc, char **argv) {
  const char *data = argc > 1 ? argv[1] : getenv("CS_SHARED_DATA");
  if (!data) data = "../shared/data";
  int repeats = argc > 2 ? atoi(argv[2]) : 5;
  if (repeats < 1) repeats = 1;
  cs_err err = {0};
  cs_catalog *cat = NULL;
  if (cs_catalog_load(cs_catalog_default_dir(), &cat, &err)) {
    fprintf(stderr, "catalog: %s\n", err.msg);
    return 1;
  }
  if (argc > 3 && !strcmp(argv[3], "mooncake")) {
    int rc = mooncake_cases(cat, data, repeats);
    cs_catalog_free(cat);
    return rc;
  }
  const cs_model *m;
  const cs_device *d;
  const cs_network *net = NULL;
  if (cs_catalog_find_model(cat, "meta-llama/Llama-2-70b-hf", &m, &err) || cs_catalog_find_device(cat, "a100", &d, &err)) {
    fprintf(stderr, "catalog: %s\n", err.msg);
    return 1;
  }
  cs_catalog_find_network(cat, "a100_pairwise_nvlink", &net, NULL);
  char path[1024];
  snprintf(path, sizeof path, "%s/vidur-runs/llama2-70b-tp2-a100/sarathi_qps1/workload.csv", data);
  cs_trace *wl = NULL, *conv = NULL;
  cs_trace_opts to = {.format = CS_TRACE_AUTO, .block_size = 16};
  if (cs_trace_load(path, &to, &wl, &err)) {
    fprintf(stderr, "%s (pass the shared data directory as the first argument)\n", err.msg);
    return 1;
  }
  snprintf(path, sizeof path, "%s/traces/splitwise_conv.csv", data);
  to.max_rows = 10000;
  if (cs_trace_load(path, &to, &conv, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  const cs_predictor_ops *pops;
  cs_predictor *pred = NULL;
  cs_predictor_ctx pc = {.model = m, .device = d, .network = net, .tp = 2, .pp = 1};
  if (cs_predictor_find("roofline", &pops, &err) ||
      cs_params_finish(&pc.params, pops->info.params, pops->info.nparams, pops->info.name, "bench", &err) ||
      cs_predictor_new(pops, &pc, &pred, &err)) {
    fprintf(stderr, "predictor: %s\n", err.msg);
    return 1;
  }
  printf("bench_sim_run: Llama-2-70B TP2 on a100, roofline predictor, best of %d\n", repeats);
  cs_sim_config c;
  cs_sim_config_defaults(&c);
  c.model = m;
  c.device = d;
  c.network = net;
  c.tp = 2;
  c.predictor = pred;
  c.workload.arrival = CS_ARRIVAL_TRACE;
  c.workload.length = CS_LENGTH_TRACE;
  c.workload.trace = wl;
  c.workload.max_seq_len = 4096;
  int rc = run_case("2000 req, 1 replica, vllm_v1 (Vidur: 10.7 s)", &c, repeats);
  const cs_policy_info *info;
  if (!cs_replica_sched_info("sarathi", &info, NULL)) {
    c.replica_scheduler = "sarathi";
    rc |= run_case("2000 req, 1 replica, sarathi (Vidur: 10.7 s)", &c, repeats);
    /* the Vidur reference run itself: Vidur's prediction tables through the profile predictor */
    const cs_predictor_ops *prof;
    cs_predictor *pp = NULL;
    char preds[1024];
    snprintf(preds, sizeof preds, "%s/vidur-runs/llama2-70b-tp2-a100/predictions", data);
    cs_predictor_ctx pc2 = {.model = m, .device = d, .network = net, .tp = 2, .pp = 1, .predictions_dir = preds};
    if (!cs_predictor_find("profile", &prof, NULL) &&
        !cs_params_finish(&pc2.params, prof->info.params, prof->info.nparams, prof->info.name, "bench", NULL) &&
        !cs_predictor_new(prof, &pc2, &pp, &err)) {
      c.predictor = pp;
      c.replica_params.n = 1;
      c.replica_params.names[0] = "chunk_size";
      c.replica_params.values[0] = 512;
      rc |= run_case("2000 req, sarathi, profile (= Vidur's run)", &c, repeats);
      c.predictor = pred;
      c.replica_params.n = 0;
      cs_predictor_free(pp);
    }
  }
  cs_sim_config_defaults(&c);
  c.model = m;
  c.device = d;
  c.network = net;
  c.tp = 2;
  c.predictor = pred;
  c.num_replicas = 8;
  c.workload.arrival = CS_ARRIVAL_POISSON;
  c.workload.qps = 8;
  c.workload.length = CS_LENGTH_TRACE;
  c.workload.trace = conv;
  c.workload.num_requests = 10000;
  c.workload.max_seq_len = conv->max_total_tokens;
  rc |= run_case("10000 req conv, 8 replicas, vllm_v1, rr", &c, repeats);
  if (!cs_global_sched_info("lop_uncached", &info, NULL)) {
    c.global_scheduler = "lop_uncached";
    rc |= run_case("10000 req conv, 8 replicas, vllm_v1, lop_uncach", &c, repeats);
  }
  cs_predictor_free(pred);
  rc |= mooncake_cases(cat, data, repeats);
  cs_trace_free(wl);
  cs_trace_free(conv);
  cs_catalog_free(cat);
  return rc;
}
