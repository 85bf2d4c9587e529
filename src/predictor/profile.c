/* The "profile" predictor: Vidur's own data, either
 *   --predictions-dir: Vidur's exported *_predictions.csv tables (what its random forests
 *     predicted over its grid; with them capsearch reproduces Vidur's stage times), or
 *   --profiling-dir: raw profiling CSVs laid out as Vidur's data/profiling
 *     (compute/{device}/{hf_id}/mlp.csv, attention.csv; network/{network}/all_reduce.csv,
 *     send_recv.csv; cpu_overhead/{network}/{hf_id}/cpu_overheads.csv), interpolated between
 *     profiled points instead of a random forest (interp.h).
 * Both become the same dense tables (internal.h cs__ptables), cached in --cache-dir, and one
 * stage time is a dozen table lookups with Vidur's batch -> key rules (vidur-semantics.md §5.6)
 * and composition (§5.7). The table building and the cache live in profile_build.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "predictor/profile_build.h"
#include "util/sbuf.h"

static const cs_param_spec profile_specs[] = {
    {CS_PARAM_FIELD(cs__profile_params, attn_decode_overhead), .type = CS_OPT_NUM, .def = 0.1,
     .range = {.min = 0.0, .max = 10.0},
     .help = "f_d: decode attention x (1 + f_d) when batched, GQA models only (Vidur V0 0.1, V1 0.0)"},
    {CS_PARAM_FIELD(cs__profile_params, attn_prefill_overhead), .type = CS_OPT_NUM, .def = 0.1,
     .range = {.min = 0.0, .max = 10.0},
     .help = "f_p: prefill attention x (1 + f_p) when batched, GQA models only (Vidur V0 0.1, V1 0.0)"},
    {CS_PARAM_FIELD(cs__profile_params, vidur_keys), .type = CS_OPT_INT, .def = 0, .range = {.min = 0, .max = 1},
     .help = "attention lookup keys: 0 = Vidur V0 (prefill by (sum kv, sum c^2)), 1 = V1 (kv sum rounded, chunk to 32)"},
    {CS_PARAM_FIELD(cs__profile_params, nccl_launch_ms), .type = CS_OPT_NUM, .def = 0.02,
     .range = {.min = 0.0, .max = 1e3},
     .help = "CPU launch cost per all-reduce, ms (V0 0.02, V1 0)"},
    {CS_PARAM_FIELD(cs__profile_params, nccl_skew_ms), .type = CS_OPT_NUM, .def = 0.0,
     .range = {.min = 0.0, .max = 1e3},
     .help = "per-device skew, ms x TP^1.25 per all-reduce"},
    {CS_PARAM_FIELD(cs__profile_params, cpu_overhead), .type = CS_OPT_FLAG, .def = 0, .range = {.min = 0, .max = 1},
     .help = "model CPU overhead from cpu_overheads.csv (Vidur skips it)"},
    {CS_PARAM_FIELD(cs__profile_params, roofline_fallback), .type = CS_OPT_FLAG, .def = 1,
     .range = {.min = 0, .max = 1},
     .help = "time operations without a profile (attention, all-reduce, send/recv) by the roofline instead of failing"},
};

static int profile_create(const cs_predictor_ctx *ctx, const void *params, void **state, cs_err *err) {
  cs__profile *s = cs__xcalloc(1, sizeof *s);
  int rc = cs__profile_build(s, ctx, params, err);
  if (rc) {
    cs__profile_release(s);
    free(s);
    return rc;
  }
  *state = s;
  return 0;
}

static void profile_destroy(void *state) {
  if (!state) return;
  cs__profile_release(state);
  free(state);
}

/* Decode attention (vidur-semantics.md §5.6): b = |decodes|, key kv = int(mean processed)
 * rounded up to g; x (1 + f_d) when b > 1 on GQA models. */
static double decode_ms(const cs__profile *s, const cs_batch_view *b) {
  int64_t nd = 0, sum = 0;
  for (int i = 0; i < b->n; i++)
    if (!b->items[i].is_prefill) nd++, sum += b->items[i].processed;
  if (!nd) return 0;
  if (!s->t.have_attn) return cs__roofline_decode_ms(&s->rl, b);
  int64_t g = s->t.kv_gran, avg = (int64_t)((double)sum / (double)nd);
  int64_t kv = (avg + g - 1) / g * g;
  double v = cs__tab2_at(&s->t.decode, (double)(nd - 1), (double)(kv / g));
  if (nd > 1 && s->gqa) v *= 1 + s->f_d;
  return v;
}

/* Prefill attention: V0 key (Σ ceil(p/g)·g, round(√Σc²)); V1 key (ceil(Σp/g)·g,
 * ceil(round(√Σc²)/32)·32). x (1 + f_p) with more than one prefill on GQA models. */
static double prefill_ms(const cs__profile *s, const cs_batch_view *b) {
  int64_t np = 0, kv_v0 = 0, psum = 0, g = s->t.kv_gran;
  double csq = 0;
  for (int i = 0; i < b->n; i++) {
    const cs_batch_item *it = &b->items[i];
    if (!it->is_prefill) continue;
    np++;
    kv_v0 += ((int64_t)it->processed + g - 1) / g * g;
    psum += it->processed;
    csq += (double)it->num_tokens * it->num_tokens;
  }
  if (!np) return 0;
  if (!s->t.have_attn) return cs__roofline_prefill_ms(&s->rl, b);
  int64_t kv, c = (int64_t)llround(sqrt(csq)); /* √ of an integer is never exactly .5 */
  if (s->v1_keys) {
    kv = (psum + g - 1) / g * g;
    c = (c + 31) / 32 * 32;
  } else {
    kv = kv_v0;
  }
  double v = cs__tab2_at(&s->t.prefill, (double)(kv / g), (double)c / s->t.chunk_gran);
  if (np > 1 && s->gqa) v *= 1 + s->f_p;
  return v;
}

static void profile_stage_time(const void *state, const cs_batch_view *b, int stage_id, cs_stage_time *out) {
  const cs__profile *s = state;
  int64_t T = b->total_tokens;
  if (T <= 0 || b->n == 0) {
    out->model_s = out->total_s = 0;
    return;
  }
  if (stage_id < 0) stage_id = 0;
  if (stage_id >= s->pp) stage_id = s->pp - 1;
  double T8 = (double)((T + 7) / 8 * 8);
  const cs__tab1 *tok = s->t.tok;
  double tp_comm = 0;
  if (s->tp > 1) {
    tp_comm = s->ar_fallback ? cs__roofline_tok_op_ms(&s->rl, CS__OP_ALL_REDUCE, T8) - s->rl.nccl_launch_s * 1e3
                             : cs__tab1_at(&tok[CS__OP_ALL_REDUCE], T8);
    tp_comm += s->nccl_launch_ms + s->nccl_skew_ms * pow(s->tp, 1.25);
  }
  double attn = cs__tab1_at(&tok[CS__OP_ATTN_PRE_PROJ], T8) + cs__tab1_at(&tok[CS__OP_ATTN_POST_PROJ], T8) +
                cs__tab1_at(&tok[CS__OP_ATTN_ROPE], T8) + cs__tab1_at(&tok[CS__OP_KV_CACHE_SAVE], (double)T) +
                decode_ms(s, b) + prefill_ms(s, b) + tp_comm + cs__tab1_at(&tok[CS__OP_INPUT_LAYERNORM], T8);
  double mlp = cs__tab1_at(&tok[CS__OP_MLP_UP_PROJ], T8) + cs__tab1_at(&tok[CS__OP_MLP_DOWN_PROJ], T8) +
               cs__tab1_at(&tok[CS__OP_MLP_ACT], T8) + tp_comm +
               (s->post_attn_norm ? cs__tab1_at(&tok[CS__OP_POST_ATTN_LAYERNORM], T8) : 0);
  double block = attn + mlp + cs__tab1_at(&tok[CS__OP_ADD], T8);
  double ms = block * s->layers_per_stage;
  if (stage_id < s->pp - 1)
    ms += s->sr_fallback ? cs__roofline_tok_op_ms(&s->rl, CS__OP_SEND_RECV, T8) : cs__tab1_at(&tok[CS__OP_SEND_RECV], T8);
  out->model_s = ms * 1e-3;
  out->total_s = out->model_s + (s->t.cpu.n > 0 ? cs__tab1_at(&s->t.cpu, b->n) * 1e-3 : 0);
}

static const char *profile_describe(const void *state) { return ((const cs__profile *)state)->describe; }

const cs_predictor_ops cs__pred_profile = {
    .info = {.name = "profile",
             .summary = "Vidur profiling CSVs (--profiling-dir) or Vidur prediction tables (--predictions-dir), interpolated",
             .params = profile_specs,
             .nparams = sizeof profile_specs / sizeof profile_specs[0],
             .params_size = sizeof(cs__profile_params)},
    .create = profile_create,
    .destroy = profile_destroy,
    .stage_time = profile_stage_time,
    .describe = profile_describe,
};
