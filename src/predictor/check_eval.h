/* `capsearch predictor check`, per profiled row: the default roofline (the factors `simulate`
 * uses for that device, no refit) against every measured point of a Vidur-layout profiling
 * directory: mlp.csv (token ops), attention.csv (attn_decode, attn_prefill) and layers.csv (whole
 * decoder layers replayed in a CUDA graph: ops layer_decode, layer_prefill).
 *
 * Measurement method. Vidur's profiles time kernels with Kineto (GPU time only). A profile whose
 * attention.csv says profile_method CUDA_EVENT (../shared/tools/profile_ops.py) timed each eager
 * PyTorch call between CUDA events, so every call also carries the host's dispatch time (the GPU
 * waits for the launch, and the end event waits for the host): the comparison models that
 * (cs__eager_ms) around the kernel model for such files. It is a property of the measurement, never added to simulated times. layers.csv
 * rows are CUDA-graph replays: no floor.
 *
 * Ownership: cs__eval_result is caller-owned; _release frees it. */
#ifndef CS_PREDICTOR_CHECK_EVAL_H
#define CS_PREDICTOR_CHECK_EVAL_H

#include "capsearch/catalog.h"
#include "capsearch/check.h"
#include "predictor/internal.h"
#include "predictor/profile_src.h"
#include "util/sbuf.h"

/* Ops beyond the token ops (cs__tok_op) that rows can carry. */
#define CS__EV_DECODE 100
#define CS__EV_PREFILL 101
#define CS__EV_LAYER_DECODE 102
#define CS__EV_LAYER_PREFILL 103

/* The predictor's spellings of the public result types (capsearch/check.h). */
typedef cs_eval_row cs__eval_row;
typedef cs_eval_result cs__eval_result;
typedef cs_eval_sum cs__eval_sum;
typedef cs_eval_sums cs__eval_sums;

bool cs__eval_op_is_gemm(int op);

/* What one eager call of `op` as profile_ops.py makes it reads (ms), given the kernel time the
 * roofline predicts: the host's dispatch before the launch plus the longer of the GPU time and
 * the host's work until it records the end event (check_eval.c). kv is the cached context of a
 * prefill (an offset causal mask takes another path), gqa whether the call passes enable_gqa
 * with more than one KV head, launches the kernels the call launches (2 for a split-K GEMM). */
double cs__eager_ms(int op, double kernel_ms, double kv, bool gqa, int launches);
/* The same for a call of roofline r's shard: x is num_tokens (token ops), batch (decode) or
 * chunk (prefill); GQA and split-K follow from r. */
double cs__eager_call_ms(const cs__roofline *r, int op, double x, double kv, double kernel_ms);
/* Sets what eager SDPA decode reaches of HBM (check_eval.c) on a roofline used for such rows. */
void cs__eager_roofline(cs__roofline *r);
/* Whether the profile folder mdir was timed with CUDA events around eager calls (its
 * attention.csv says profile_method CUDA_EVENT). */
bool cs__eager_method(const char *mdir);

/* A one-layer model of a profile's shape columns (bf16 weights); m->name borrows name. */
void cs__shape_model(cs_model *m, const char *name, const cs__shape_filter *sh);

/* cs_predictor_eval, cs_eval_summarize, cs_eval_op_name: public (capsearch/check.h). */

#endif
