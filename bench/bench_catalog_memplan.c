/* Benchmark: catalog load time and cs_memplan_compute calls per second (Vidur engine, the path
 * the simulator calls per replica, and vLLM engine including the min-GPU search).
 * Usage: bench_catalog_memplan [CONFIG_DIR] */
#include <stdio.h>
#include <time.h>

#include "capsearch/catalog.h"
#include "capsearch/memplan.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : cs_catalog_default_dir();
  cs_err err = {0};
  cs_catalog *cat = NULL;
  const int loads = 50;
  double t0 = now();
  for (int i = 0; i < loads; i++) {
    cs_catalog_free(cat);
    if (cs_catalog_load(dir, &cat, &err)) {
      fprintf(stderr, "%s\n", err.msg);
      return 1;
    }
  }
  double t_load = (now() - t0) / loads;
  const cs_model *small, *big;
  const cs_device *dev;
  if (cs_catalog_find_model(cat, "Meta-Llama-3-8B", &small, &err) ||
      cs_catalog_find_model(cat, "Llama-3.1-405B", &big, &err) || cs_catalog_find_device(cat, "h100", &dev, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  struct {
    const char *label;
    const cs_model *m;
    cs_mem_engine e;
  } cases[] = {{"vidur  Meta-Llama-3-8B TP1", small, CS_ENGINE_VIDUR},
               {"vllm   Meta-Llama-3-8B TP1", small, CS_ENGINE_VLLM},
               {"vllm   Llama-3.1-405B TP1 (min-GPU search runs)", big, CS_ENGINE_VLLM}};
  printf("catalog load: %.3f ms (%zu models, %zu devices, %zu networks)\n", t_load * 1e3,
         cs_catalog_num_models(cat), cs_catalog_num_devices(cat), cs_catalog_num_networks(cat));
  for (size_t c = 0; c < 3; c++) {
    cs_memplan_input in;
    cs_memplan_input_defaults(&in);
    in.model = cases[c].m;
    in.device = dev;
    in.engine = cases[c].e;
    in.max_model_len = 4096;
    const int n = 200000;
    int64_t sink = 0;
    t0 = now();
    for (int i = 0; i < n; i++) {
      cs_memplan p;
      in.block_size = 16 + (i & 1) * 16; /* keep the compiler from hoisting the call */
      if (cs_memplan_compute(&in, &p, &err)) return 1;
      sink += p.num_blocks;
    }
    double dt = now() - t0;
    printf("%-48s %8.0f ns/call (%lld)\n", cases[c].label, dt / n * 1e9, (long long)(sink % 7));
  }
  cs_catalog_free(cat);
  return 0;
}
