/* `capsearch predictor check`: how well each predictor reproduces held-out profiled points, and
 * the fit of the roofline's efficiency factors (calibration).
 *
 * For every device folder of a Vidur profiling directory and every model in it:
 *   - points are split by parity of their rank in num_tokens (per model, TP and op): even ranks
 *     are the fit subset, odd ranks the held-out test subset;
 *   - profile: the interpolation built from the fit subset predicts the test subset;
 *   - roofline: eff_compute, eff_memory and the per-kernel latency of the device are fitted on
 *     the fit subset of all its models (coordinate descent over grids, minimising the mean
 *     absolute log error, which weighs a 2x over- and under-prediction alike), then predict the
 *     test subset;
 *   - attention.csv (where present): the same split within each (batch | chunk) series over
 *     kv_cache_size; the roofline's FlashAttention efficiency is fitted likewise.
 * The roofline's per-kernel memory scales are the built-in constants unless fit_scales is set
 * (then they are refitted per device too: how the constants were derived).
 * Node types (network/<name>/all_reduce.csv, for the checked devices, when no --model filter):
 * the same hold-out over message sizes per TP, fitting eff_comm and the per-step latency.
 * Reported per (device, model, op): count, median and P90 absolute percentage error.
 * Ownership: cs__check_result is caller-owned; _release frees it. Callers outside the predictor
 * use the public cs_predictor_check (capsearch/check.h). */
#ifndef CS_PREDICTOR_CHECK_H
#define CS_PREDICTOR_CHECK_H

#include "capsearch/catalog.h"
#include "capsearch/check.h"
#include "predictor/internal.h"
#include "util/sbuf.h"

typedef cs_check_row cs__check_row; /* public (capsearch/check.h) */

typedef struct cs__check_fit {
  char device[32];
  cs__factors f;               /* fitted eff_c, eff_m, lat_us (eff_comm from the catalog) */
  double attn_eff;             /* 0 when the device has no attention profile */
  double attn_lat_us;          /* fixed cost of an attention kernel */
  double overlap_n;            /* GEMM compute/memory overlap exponent used */
  bool is_network;             /* a node type's all-reduce fit: f.eff_comm and comm_lat_us */
  double comm_lat_us;          /* per ring step */
  double scales[CS__RL_NSCALE];/* per-kernel memory scales used (refitted with fit_scales) */
  int nfit;
  double mean_abs_log_err;
  char warn[512];              /* factors fitted onto their search bounds ("" when none) */
  /* medians of the held-out APE (%) over all models of the device */
  double prof_med;             /* profile, all mlp.csv ops */
  double rl_mlp_med;           /* roofline, mlp_up_proj + mlp_down_proj + mlp_act */
  double rl_linear_med;        /* roofline, the four GEMMs (attn pre/post proj, mlp up/down) */
  double rl_all_med;           /* roofline, all nine mlp.csv ops */
} cs__check_fit;

typedef struct cs__check_result {
  CS__VEC(cs__check_row) rows;
  CS__VEC(cs__check_fit) fits;
} cs__check_result;

/* device / model filters may be NULL (all); a model matches by "org/name" or "name"
 * (case-insensitive). Devices missing from the catalog are skipped with an error only when
 * asked for explicitly. */
int cs__predictor_check(const char *profiling_dir, const cs_catalog *cat, const char *device, const char *model,
                        bool fit_scales, cs__check_result *out, cs_err *err);
void cs__check_result_release(cs__check_result *r);

/* Median and P90 (linear interpolation between order statistics, numpy's default) of v[0..n);
 * sorts v in place. */
void cs__median_p90(double *v, size_t n, double *med, double *p90);

/* Sorted names of the subdirectories (want_dirs) or files of dir; free with cs__free_list. */
size_t cs__list_dir(const char *dir, bool want_dirs, char ***out);
void cs__free_list(char **l, size_t n);
/* Whether a model filter (NULL: all) matches "org/name" or "name", case-insensitively. */
bool cs__model_matches(const char *filter, const char *org, const char *name);

#endif
