/* State of the profile predictor and how it is built: locate the input files, hash their bytes
 * with everything else the tables depend on, load the tables from --cache-dir when a valid entry
 * exists, else build them from the CSVs and store them.
 * Ownership: cs__profile is filled by _build and freed by _release (both caller-owned). */
#ifndef CS_PREDICTOR_PROFILE_BUILD_H
#define CS_PREDICTOR_PROFILE_BUILD_H

#include "predictor/internal.h"

typedef struct cs__profile {
  cs__ptables t;
  cs__roofline rl;             /* fallback for operations without a profile */
  bool ar_fallback, sr_fallback;
  int tp, pp, layers_per_stage;
  bool post_attn_norm, gqa, v1_keys;
  double f_d, f_p, nccl_launch_ms, nccl_skew_ms;
  uint64_t key;                /* cache key */
  bool from_cache;             /* tables came from --cache-dir */
  char *cache_path;            /* entry path, NULL without --cache-dir */
  char *describe;
} cs__profile;

/* The profile predictor's parameters, bound from its field table (profile.c). */
typedef struct cs__profile_params {
  double attn_decode_overhead, attn_prefill_overhead, nccl_launch_ms, nccl_skew_ms;
  int vidur_keys;
  bool cpu_overhead, roofline_fallback;
} cs__profile_params;

int cs__profile_build(cs__profile *s, const cs_predictor_ctx *ctx, const cs__profile_params *p, cs_err *err);
void cs__profile_release(cs__profile *s);

/* <profiling_dir>/compute/<device>/<model>/<file>, trying the device's catalog name and then
 * Vidur's short name ("a100_80g" -> "a100"); malloc'd path of the first that exists, else of
 * the first candidate. */
char *cs__profile_compute_path(const char *profiling_dir, const char *device, const char *model, const char *file);

#endif
