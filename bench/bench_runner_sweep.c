/* Benchmark of the sweep runner: a 72-job sweep (2 clusters x 3 routers x 2 replica schedulers
 * x 3 SLOs x 2 searches) on the shipped chat trace, run from scratch at 1 and 2 threads.
 * Prints simulations per second and the parallel efficiency (speedup / threads).
 *   bench_runner_sweep [TRACE.csv [MAX_ITERATIONS [NUM_REQUESTS [OUT_ROOT]]]]
 * (default traces/chat_small.csv relative to the current directory, 4 iterations, 200
 * requests, output under /tmp). Each probe includes writing its run directory
 * (request_metrics.csv, plots/ with an fsync per file), as a real sweep does; pass /dev/shm as
 * OUT_ROOT to take the disk out of the figures (Vidur's docs recommend tmpfs for the same
 * reason). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "runner/runner.h"
#include "util/fs.h"

static const char *sweep_fmt =
    "clusters:\n"
    "  - {device: h100, network_device: h100_dgx, gpus_per_node: 8}\n"
    "  - {device: a100, network_device: a100_dgx, gpus_per_node: 8}\n"
    "global_schedulers:\n"
    "  - scheduler: round_robin\n"
    "  - scheduler: lor\n"
    "  - {scheduler: tolerant_sticky_lop_uncached, tolerance_factor: 2.0}\n"
    "request_queues: [{name: fcfs, provider: fcfs}]\n"
    "replica_schedulers:\n"
    "  - {scheduler: vllm_v1, chunk_size: 512}\n"
    "  - {scheduler: sarathi, chunk_size: 512}\n"
    "slo_configs:\n"
    "  - {name: ttft_p99_1s, type: and, quantile: 0.99, slos: [{metric: prefill_e2e_time, value: 1}]}\n"
    "  - {name: ttft_p99_3s, type: and, quantile: 0.99, slos: [{metric: prefill_e2e_time, value: 3}]}\n"
    "  - {name: e2e_p90_20s, type: and, quantile: 0.9, slos: [{metric: request_e2e_time, value: 20}]}\n"
    "traces:\n"
    "  - {name: chat, trace_file: '%s', max_seq_len: 8192, enable_prefix_caching: true}\n"
    "batch_sizes: [128]\n"
    "tp_dimensions: [1]\n"
    "pp_dimensions: [1]\n"
    "models:\n"
    "  - {name: Meta-Llama-3-8B, identifier: meta-llama/Meta-Llama-3-8B}\n"
    "  - {name: Qwen2.5-7B, identifier: Qwen/Qwen2.5-7B}\n"
    "search_configs:\n"
    "  - {trace: chat, model: Meta-Llama-3-8B, search_for: qps, num_replicas: 2, qps: 2, num_requests: %d}\n"
    "  - {trace: chat, model: Qwen2.5-7B, search_for: qps, num_replicas: 2, qps: 2, num_requests: %d}\n";

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
         (double)ru.ru_stime.tv_usec * 1e-6;
}

static double run(const char *sweep, const char *out, int threads, int iters, cs__runner_summary *sum) {
  cs__runner_opts o;
  cs_run_opts_defaults(&o);
  o.config_path = sweep;
  o.out_dir = out;
  o.threads = threads;
  o.max_iterations = iters;
  o.time_limit_s = 30 * 60;
  cs_err err = {0};
  cs__plan plan;
  double t0 = cs__wall_now();
  if (cs__plan_load(&o, &plan, &err) || cs__plan_run(&plan, &o, sum, &err)) {
    fprintf(stderr, "bench_runner_sweep: %s\n", err.msg);
    exit(1);
  }
  cs__plan_release(&plan);
  return cs__wall_now() - t0;
}

int main(int argc, char **argv) {
  const char *trace = argc > 1 ? argv[1] : "traces/chat_small.csv";
  int iters = argc > 2 ? atoi(argv[2]) : 4;
  int nreq = argc > 3 ? atoi(argv[3]) : 200;
  char abs_trace[4096];
  if (!realpath(trace, abs_trace)) {
    fprintf(stderr, "bench_runner_sweep: cannot find trace %s (run from the checkout or pass its path)\n", trace);
    return 1;
  }
  char root[4096];
  snprintf(root, sizeof root, "%s/bench_runner_XXXXXX", argc > 4 ? argv[4] : "/tmp");
  if (!mkdtemp(root)) {
    fprintf(stderr, "bench_runner_sweep: cannot create a directory under %s\n", argc > 4 ? argv[4] : "/tmp");
    return 1;
  }
  char sweep[4200], text[8192];
  snprintf(sweep, sizeof sweep, "%s/sweep.yml", root);
  snprintf(text, sizeof text, sweep_fmt, abs_trace, nreq, nreq);
  FILE *f = fopen(sweep, "w");
  if (!f) return 1;
  fputs(text, f);
  fclose(f);
  printf("sweep: 72 jobs, %d requests per simulation, max %d probes per search, output in %s\n", nreq, iters, root);
  double t[3] = {0};
  cs__runner_summary s[3];
  for (int th = 1; th <= 2; th++) {
    char out[4300];
    snprintf(out, sizeof out, "%s/out%d", root, th);
    double c0 = cpu_seconds();
    t[th] = run(sweep, out, th, iters, &s[th]);
    double cpu = cpu_seconds() - c0;
    printf("threads %d: %zu jobs, %lld simulations in %.2f s wall (%.2f s CPU) = %.1f simulations/s, "
           "CPU busy %.0f%% of %d core(s)\n",
           th, s[th].jobs, (long long)s[th].probes_run, t[th], cpu, (double)s[th].probes_run / t[th],
           100 * cpu / (t[th] * th), th);
  }
  double speedup = t[1] / t[2];
  printf("speedup at 2 threads: %.2fx, parallel efficiency %.0f%% (on a machine shared with other work the\n"
         "CPU-busy figure shows whether the threads got their cores)\n",
         speedup, 100 * speedup / 2);
  cs__rm_rf(root, NULL);
  return 0;
}
