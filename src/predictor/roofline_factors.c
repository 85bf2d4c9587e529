/* Roofline efficiency factors per device: the built-in calibrations (one per profiled part), the
 * catalog's stated factors, and borrowing by architecture for parts without a profile.
 *
 * Provenance of the built-in rows (all fitted with `capsearch predictor check`, check.c):
 *   a100, h100, a40: GEMM and element-wise factors on Vidur's mlp.csv profiles (microsoft/vidur
 *     25e0082d, 8 models x TP 1-8, kernel times from Kineto), eff_comm on all_reduce.csv (the mean
 *     of the device's node types; a40 has none and takes a100's). Attention factors: a100 from
 *     its Llama-2-70B TP2 attention.csv (vLLM paged FlashAttention-2, May 2024); h100 has no
 *     attention profile and takes h200's (same architecture); a40 takes a100's.
 *   h200: this project's measurement (../shared/data/profiling/compute/h200: Meta-Llama-3-8B and
 *     Llama-2-7b, TP 1-8, PyTorch 2.11 cuBLAS GEMMs, SDPA FlashAttention-2, CUDA-event timing of
 *     eager calls with the host's time around each call modelled as in check_eval.c), GEMM and
 *     attention factors; eff 0.76 / 0.88 and overlap 2.5 chosen (grid over 0.75-0.77 / 0.88-0.92
 *     / 2-3.5) for the lowest worst per-token-count GEMM median on mlp.csv with whole layers
 *     within 10%; the kernel latencies from layers.csv (CUDA-graph replay, as vLLM's decode runs).
 *     eff_comm: no H200 all-reduce profile, h100's (NVLink4 both).
 * n_sm: streaming multiprocessors (datasheets), the granularity of waves and split-KV.
 * causal_w: the causal triangle of a chunk costs this many times its FLOPs (a100's 2024 vLLM
 * FlashAttention-2: kv = 0 prefills ran at 0.6x the rate of the cached part; h200's: 1.0). */
#include <string.h>

#include "predictor/internal.h"

typedef struct builtin_factors {
  const char *name; /* the profiled device's catalog name (Vidur's) */
  const char *arch;
  double eff_c, eff_m, eff_comm, lat_us, elem_lat_us, attn_eff, attn_lat_us, dec_eff, n_sm, overlap_n, causal_w;
} builtin_factors;

static const builtin_factors builtin[] = {
    {"a100", "ampere", 0.732, 0.808, 0.61, 5.70, 1.75, 0.44, 16.0, 0, 108, 1.6, 1.6},
    {"h100", "hopper", 0.738, 0.942, 0.73, 6.10, 1.60, 0.44, 8.0, 0, 132, 1.6, 1.0},
    {"a40", "ampere", 0.786, 0.800, 0.61, 3.45, 1.50, 0.44, 16.0, 0, 84, 1.6, 1.6},
    {"h200", "hopper", 0.760, 0.880, 0.73, 7.00, 6.00, 0.44, 8.0, 0, 132, 2.5, 1.0},
};
#define NBUILTIN (sizeof builtin / sizeof builtin[0])

/* Architecture -> the profiled device whose factors are the best stand-in. */
static const struct {
  const char *arch, *device;
} nearest[] = {
    {"ampere", "a100"}, {"hopper", "h100"}, {"blackwell", "h100"}, {"ada", "a40"},
    {"volta", "a100"},  {"cdna3", "h100"},  {"cdna2", "a100"},
};

/* Streaming multiprocessors of parts without a built-in row (datasheets); else by architecture. */
static const struct {
  const char *device;
  double n_sm;
} sm_counts[] = {{"a100_40g", 108}, {"h100_pcie", 114}, {"b200", 148}, {"l40s", 142}, {"l40", 142},
                 {"l4", 58},        {"a10g", 80},       {"v100", 80}};

static bool same_name_ci(const char *s, const char *p) {
  for (; *s && *p; s++, p++) {
    char a = *s;
    if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
    if (a != *p) return false;
  }
  return !*s && !*p;
}

/* Only the profiled parts themselves count as calibrated: an A100 40GB or an H100 PCIe is the
 * same architecture with other memory or clocks, so it gets the same factors, flagged as
 * borrowed. */
void cs__roofline_device_factors(const cs_device *dev, cs__factors *out) {
  memset(out, 0, sizeof *out);
  const builtin_factors *b = NULL;
  for (size_t i = 0; i < NBUILTIN && dev && dev->name; i++)
    if (same_name_ci(dev->name, builtin[i].name)) b = &builtin[i];
  bool borrowed = false;
  if (!b) {
    const char *want = "a100";
    for (size_t i = 0; dev && dev->arch && i < sizeof nearest / sizeof nearest[0]; i++)
      if (!strcmp(dev->arch, nearest[i].arch)) want = nearest[i].device;
    for (size_t i = 0; i < NBUILTIN; i++)
      if (!strcmp(builtin[i].name, want)) b = &builtin[i];
    borrowed = true;
  }
  out->eff_c = b->eff_c;
  out->eff_m = b->eff_m;
  out->eff_comm = b->eff_comm;
  out->lat_us = b->lat_us;
  out->elem_lat_us = b->elem_lat_us;
  out->attn_eff = b->attn_eff;
  out->attn_lat_us = b->attn_lat_us;
  out->dec_eff = b->dec_eff;
  out->n_sm = b->n_sm;
  out->overlap_n = b->overlap_n;
  out->causal_w = b->causal_w;
  for (size_t i = 0; dev && dev->name && i < sizeof sm_counts / sizeof sm_counts[0]; i++)
    if (same_name_ci(dev->name, sm_counts[i].device)) out->n_sm = sm_counts[i].n_sm;
  out->borrowed = borrowed;
  out->from = b->name;
  out->source = borrowed ? "built-in factors of the nearest profiled architecture"
                         : "built-in factors fitted to this device's profiles";
  /* The catalog wins for the three headline factors when it states calibrated ones (it carries
   * its own provenance); its "default (uncalibrated)" guesses lose to a fit of the same or the
   * nearest architecture. */
  bool calibrated = dev && dev->eff_source && !strstr(dev->eff_source, "uncalibrated");
  if (dev && calibrated && dev->eff_compute > 0 && dev->eff_memory > 0) {
    out->eff_c = dev->eff_compute;
    out->eff_m = dev->eff_memory;
    if (dev->eff_comm > 0) out->eff_comm = dev->eff_comm;
    out->source = dev->eff_source;
    out->borrowed = !strncmp(dev->eff_source, "borrowed", 8) || strstr(dev->eff_source, "nearest") != NULL;
  }
}

/* Residual bias measured by `predictor check` against each calibration (docs/predictors.md):
 * the roofline is a fit, so its errors are stated with every answer instead of being hidden. */
const char *cs__roofline_known_bias(const cs_device *dev) {
  cs__factors f;
  cs__roofline_device_factors(dev, &f);
  if (f.borrowed)
    return "known bias: calibrated on another part of the same architecture; expect 10-25% error either way "
           "(check with `capsearch predictor check` on a profile of this part)";
  if (f.from && !strcmp(f.from, "h200"))
    return "known bias: on this part's measured profile GEMMs are within 10% median at every token count, attention "
           "8-10%, whole decode layers 3-4% slow and prefill layers about 6% fast (optimistic) "
           "(docs/predictors.md)";
  return "known bias: median per-operation error within 12% on this part's profiles, decode attention the "
         "least certain; on Vidur's A100 run decode (TPOT, E2E) is 7-9% optimistic (docs/predictors.md)";
}
