/* Load time of the real traces: Mooncake conversation JSONL (12k requests, parse + 512 -> 16-token
 * hash expansion + session derivation) and splitwise_conv.csv (19k rows, libcsv).
 * Usage: bench_trace_load [SHARED_DATA_DIR] [REPEATS]   (default ../shared/data, 5) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "capsearch/trace.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int bench(const char *dir, const char *name, int reps) {
  char path[2048];
  snprintf(path, sizeof path, "%s/traces/%s", dir, name);
  double best = 1e30, sum = 0;
  size_t rows = 0, hashes = 0;
  for (int i = 0; i < reps; i++) {
    cs_err err = {0};
    cs_trace *t = NULL;
    double t0 = now();
    if (cs_trace_load(path, NULL, &t, &err)) {
      fprintf(stderr, "bench_trace_load: %s\n", err.msg);
      return 1;
    }
    double dt = now() - t0;
    rows = t->n;
    hashes = t->nhashes;
    cs_trace_free(t);
    sum += dt;
    if (dt < best) best = dt;
  }
  printf("%-40s rows %6zu  hashes %9zu  best %8.2f ms  mean %8.2f ms  (%d runs)\n", name, rows, hashes, best * 1e3,
         sum / reps * 1e3, reps);
  return 0;
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "../shared/data";
  int reps = argc > 2 ? atoi(argv[2]) : 5;
  if (reps < 1) reps = 1;
  int rc = bench(dir, "mooncake_conversation_trace.jsonl", reps);
  rc |= bench(dir, "mooncake_synthetic_trace.jsonl", reps);
  rc |= bench(dir, "splitwise_conv.csv", reps);
  return rc;
}
