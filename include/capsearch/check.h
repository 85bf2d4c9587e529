/* `capsearch predictor check`: how well the predictors reproduce the points of a Vidur-layout
 * profiling directory (docs/predictors.md). Two reports over the same directory:
 *
 *   cs_predictor_eval    every profiled row against the default roofline (the factors
 *                        `simulate` uses for that device, no refit): mlp.csv token ops,
 *                        attention.csv (decode, prefill), layers.csv (whole decoder layers);
 *   cs_predictor_check   held-out accuracy: points split by the parity of their rank in
 *                        num_tokens (per model, TP and op); even ranks fit, odd ranks test. The
 *                        profile interpolation and the roofline whose efficiency factors were
 *                        fitted on the fit subset (coordinate descent minimising the mean
 *                        absolute log error) predict the test subset; node types'
 *                        all_reduce.csv the same over message sizes.
 *
 * Filters: device and model may be NULL (all); a model matches by "org/name" or "name",
 * case-insensitively; a device missing from the catalog is an error only when asked for by
 * name. Times are milliseconds; errors are fractions (eval) or percentages (check), as each
 * field says. Ownership: results are caller-owned, freed by their _release; the catalog is
 * borrowed. Errors: 0 or a negative CS_E* code with the message in *err (nothing matched, an
 * unreadable or malformed CSV file named with its line). */
#ifndef CAPSEARCH_CHECK_H
#define CAPSEARCH_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "capsearch/catalog.h"
#include "capsearch/error.h"

/* ---- every profiled row against the default roofline ---- */

typedef struct cs_eval_row {
  char device[32];
  char model[96];
  int tp;
  int op;                      /* named by cs_eval_op_name */
  /* the row's keys; < 0 where they do not apply to the op */
  double num_tokens, batch_size, kv_cache_size, prefill_chunk_size;
  double measured_ms, predicted_ms;
} cs_eval_row;

typedef struct cs_eval_result {
  struct {
    cs_eval_row *v;
    size_t n, cap;
  } rows;                      /* in directory order: devices, models, files, rows */
} cs_eval_result;

/* Compares the default roofline with every row of profiling_dir's device folders (filtered as
 * above). A profile timed with CUDA events around eager PyTorch calls (attention.csv says
 * profile_method CUDA_EVENT) is compared with the kernel model plus the host's dispatch time of
 * such a call (never added to simulated times). Fails when nothing matched. */
int cs_predictor_eval(const char *profiling_dir, const cs_catalog *cat, const char *device, const char *model,
                      cs_eval_result *out, cs_err *err);
void cs_eval_result_release(cs_eval_result *r);
/* The op's name: a token op's Vidur column name ("mlp_up_proj"), "attn_decode", "attn_prefill",
 * "layer_decode" or "layer_prefill". Static storage. */
const char *cs_eval_op_name(int op);

/* Per (device, op): |rel_error| = |predicted / measured - 1| over its rows. */
typedef struct cs_eval_sum {
  char device[32];
  int op, n;                /* op as cs_eval_row.op; n rows */
  double med, worst, bias;  /* median and worst |error|, median signed error (fractions) */
  double worst_key_med;     /* token ops: the largest per-num_tokens median |error|; else NAN */
  double worst_key;         /* the num_tokens where it is */
} cs_eval_sum;

typedef struct cs_eval_sums {
  struct {
    cs_eval_sum *v;
    size_t n, cap;
  } v;
} cs_eval_sums;

/* Summaries in the order rows first appear (devices, then ops as met); free(out->v.v). */
void cs_eval_summarize(const cs_eval_result *r, cs_eval_sums *out);

/* ---- held-out accuracy and the fitted roofline factors ---- */

typedef struct cs_check_row {
  char device[32];
  char model[96];
  char op[32];
  int n;                       /* held-out points */
  double prof_med, prof_p90;   /* profile: median, P90 absolute percentage error, % */
  double rl_med, rl_p90;       /* fitted roofline: the same */
} cs_check_row;

/* The memory-efficiency scales of the roofline's kernels: the twelve token ops, then the two
 * attention kernels (named by cs_check_scale_name). */
#define CS_CHECK_NSCALE 14

/* One device's fitted factors (or, is_network, one node type's all-reduce fit). */
typedef struct cs_check_fit {
  char device[32];             /* the device, or the node type */
  double eff_compute, eff_memory, eff_comm; /* achieved fraction of peak FLOP/s, HBM, link bandwidth */
  double gemm_latency_us, elem_latency_us;  /* fixed cost per GEMM / per element-wise kernel, µs */
  double attn_eff;             /* FlashAttention compute share; 0 when the device has no attention profile */
  double attn_latency_us;      /* fixed cost of an attention kernel, µs */
  double overlap_n;            /* GEMM compute/memory overlap exponent used */
  bool is_network;             /* a node type: only eff_comm and comm_latency_us are set */
  double comm_latency_us;      /* per ring step, µs */
  double scales[CS_CHECK_NSCALE]; /* per-kernel memory scales used (refitted with fit_scales) */
  int nfit;                    /* fit points */
  double mean_abs_log_err;     /* of the fit */
  char warn[512];              /* factors fitted onto their search bounds ("" when none) */
  /* medians of the held-out absolute percentage error (%) over all models of the device */
  double prof_med;             /* profile, all mlp.csv ops */
  double rl_mlp_med;           /* roofline, mlp_up_proj + mlp_down_proj + mlp_act */
  double rl_linear_med;        /* roofline, the four GEMMs (attn pre/post proj, mlp up/down) */
  double rl_all_med;           /* roofline, all nine mlp.csv ops */
} cs_check_fit;

typedef struct cs_check_result {
  cs_check_row *rows;          /* per (device, model, op) */
  size_t nrows;
  cs_check_fit *fits;          /* per device, then per node type */
  size_t nfits;
} cs_check_result;

/* The held-out comparison described at the top. fit_scales: refit the per-kernel memory scales
 * per device too (how the built-in constants were derived) instead of using the built-in ones.
 * Node types (network/<name>/all_reduce.csv of the checked devices) only without a model
 * filter. On error *out is empty. */
int cs_predictor_check(const char *profiling_dir, const cs_catalog *cat, const char *device, const char *model,
                       bool fit_scales, cs_check_result *out, cs_err *err);
void cs_check_result_release(cs_check_result *r);
/* Scale k's kernel (0 <= k < CS_CHECK_NSCALE): a token op's name, "attn_decode" or
 * "attn_prefill". Static storage. */
const char *cs_check_scale_name(int k);

#endif
