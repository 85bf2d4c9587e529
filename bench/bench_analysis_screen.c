/* bench: the recommend screen over the whole catalog, and the analysis of an output directory.
 *   bench_analysis_screen [OUT_DIR]
 * Prints ms per recommend run (Llama-3-70B, chat, 20 QPS) and, with OUT_DIR, ms per analysis
 * load (read + derive, no writing). Figures depend on the machine; say which when quoting. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "capsearch/analysis.h"
#include "capsearch/catalog.h"

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  cs_err err = {0};
  cs_catalog *cat;
  if (cs_catalog_load(cs_catalog_default_dir(), &cat, &err)) {
    fprintf(stderr, "bench: %s\n", err.msg);
    return 1;
  }
  cs_recommend_input in;
  cs_recommend_input_init(&in);
  in.model = "meta-llama/Meta-Llama-3-70B";
  in.isl = 1155, in.osl = 211, in.ttft_slo_s = 0.2, in.tpot_slo_s = 0.05, in.qps = 20;
  int iters = 20;
  size_t rows = 0;
  double t0 = now_ms();
  for (int i = 0; i < iters; i++) {
    cs_recommend_result r;
    if (cs_recommend_run(cat, &in, &r, &err)) {
      fprintf(stderr, "bench: %s\n", err.msg);
      return 1;
    }
    rows = r.n;
    cs_recommend_result_release(&r);
  }
  printf("recommend: %zu device x TP rows, %.2f ms per screen (%d runs)\n", rows, (now_ms() - t0) / iters, iters);
  cs_catalog_free(cat);
  if (argc > 1) {
    t0 = now_ms();
    size_t runs = 0;
    for (int i = 0; i < 5; i++) {
      cs_analysis *a;
      if (cs_analysis_load(argv[1], NULL, &a, &err)) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return 1;
      }
      runs = cs_analysis_num_runs(a);
      cs_analysis_free(a);
    }
    printf("analyze: %zu runs read, %.2f ms per load\n", runs, (now_ms() - t0) / 5);
  }
  return 0;
}
