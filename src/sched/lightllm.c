/* Replica scheduler `lightllm` (vidur-semantics.md §4.5, Vidur V0): token-level KV memory and an
 * admission estimator that checks the worst future memory of the running set.
 * Vidur requires block_size = 1 and one pipeline stage. capsearch keeps the replica's KV blocks
 * as sized by the memory planner and accounts in tokens internally: capacity = num_blocks x
 * block_size tokens, a prompt takes P tokens at admission and every decode one more token.
 * pp > 1 is rejected at init (as in Vidur).
 * Estimator: each request contributes (tokens held, tokens still to come): running ones
 * (processed, max(0, D - decoded - 1)), a candidate (P + 1, max(0, D - 2)). Sorted by the
 * remaining tokens descending, need = max_i(remaining_i * (i + 1) + sum_{j<=i} held_j) is the peak
 * memory if everything runs to completion; a candidate is admitted iff need < capacity.
 * Each step: with nothing running, try a prefill batch (whole prompts, token sum <=
 * max_tokens_in_batch, < batch_size_cap requests holding memory, micro-batch room, estimator);
 * otherwise every max_waiting_iters decode steps try a prefill batch first; else a decode batch
 * of every running request (one token each).
 * Divergence (documented): when the free tokens cannot cover one more token for every running
 * request Vidur raises an unhandled OOM error; here the latest running requests are preempted by
 * recomputation (restarted, memory freed, re-queued at the front) until the rest fit, and the
 * preemptions are counted like any other. */
#include <stdint.h>

#include "capsearch/params.h"
#include "sched/sched_params.h"
#include "sched/v0_blocks.h"

typedef struct lightllm_state {
  cs__v0 v0; /* first: the shared ops cast the state to cs__v0 */
  int64_t max_tokens_in_batch, max_waiting_iters, waiting_iters;
  int64_t *est_held, *est_rem; /* estimator list, kept sorted by remaining descending */
  int32_t est_n, est_cap;
} lightllm_state;

typedef struct lightllm_params {
  int64_t batch_size_cap, max_tokens_in_batch, max_waiting_iters;
} lightllm_params;

static const cs_param_spec lightllm_specs[] = {
    CS__PARAM_BATCH_SIZE_CAP(lightllm_params),
    CS__PARAM_MAX_TOKENS_IN_BATCH(lightllm_params, "token limit of a prefill batch (sum of prompts)"),
    {CS_PARAM_FIELD(lightllm_params, max_waiting_iters), .type = CS_OPT_INT, .def = 10, .range = {.min = 0, .max = 1e9},
     .flags = CS_PARAM_KEY, .help = "decode steps between attempts to admit new requests while requests are running"},
};

static int lightllm_init(void *state, const cs__replica_ctx *ctx, cs_err *err) {
  lightllm_state *s = state;
  if (ctx->num_stages != 1)
    return cs_err_set(err, CS_ECONFIG, "replica scheduler 'lightllm' supports only pp=1 (got pp=%d)",
                      (int)ctx->num_stages);
  lightllm_params p;
  int rc = cs_params_bind(lightllm_specs, CS__NELEMS(lightllm_specs), ctx->params, &p, "lightllm",
                          "replica scheduler", err);
  if (!rc) rc = cs__v0_init(&s->v0, ctx, p.batch_size_cap, true, "lightllm", err);
  if (!rc) rc = cs__v0_require_fcfs(&s->v0, "lightllm", err);
  if (rc) return rc;
  s->max_tokens_in_batch = p.max_tokens_in_batch;
  s->max_waiting_iters = p.max_waiting_iters;
  s->waiting_iters = 0;
  s->est_n = s->est_cap = 0;
  return 0;
}

/* Inserts (held, rem) keeping the list sorted by rem descending (ties keep insertion order, as
 * Python's stable sort does; the order among ties does not change the maximum below). */
static void est_push(lightllm_state *s, int64_t held, int64_t rem) {
  if (s->est_n == s->est_cap) {
    int32_t cap = s->est_cap ? s->est_cap * 2 : 256;
    int64_t *nh = cs__sim_alloc(s->v0.sim, (size_t)cap * sizeof *nh);
    int64_t *nr = cs__sim_alloc(s->v0.sim, (size_t)cap * sizeof *nr);
    for (int32_t i = 0; i < s->est_n; i++) {
      nh[i] = s->est_held[i];
      nr[i] = s->est_rem[i];
    }
    s->est_held = nh;
    s->est_rem = nr;
    s->est_cap = cap;
  }
  int32_t j = s->est_n++;
  while (j > 0 && s->est_rem[j - 1] < rem) {
    s->est_held[j] = s->est_held[j - 1];
    s->est_rem[j] = s->est_rem[j - 1];
    j--;
  }
  s->est_held[j] = held;
  s->est_rem[j] = rem;
}

static void est_push_request(lightllm_state *s, const cs__request *r) {
  int64_t held, rem;
  if (r->scheduled) {
    int64_t decoded = r->num_processed > r->num_prefill ? r->num_processed - r->num_prefill : 0;
    held = r->num_processed;
    rem = (int64_t)r->num_decode - decoded - 1;
  } else {
    held = (int64_t)r->num_prefill + 1;
    rem = (int64_t)r->num_decode - 2;
  }
  est_push(s, held, rem > 0 ? rem : 0);
}

static bool est_admits(const lightllm_state *s) {
  int64_t cum = 0, need = 0;
  for (int32_t i = 0; i < s->est_n; i++) {
    cum += s->est_held[i];
    int64_t x = s->est_rem[i] * (i + 1) + cum;
    if (i == 0 || x > need) need = x;
  }
  return need < s->v0.num_blocks;
}

static cs__batch *prefill_batch(lightllm_state *s) {
  cs__v0 *v = &s->v0;
  cs__v0_bb_reset(v);
  s->est_n = 0;
  for (int32_t i = 0; i < cs__v0_list_len(&v->running); i++) est_push_request(s, cs__v0_list_at(&v->running, i));
  int64_t tokens = 0;
  cs__request *h;
  while ((h = cs__v0_waiting_peek(v))) {
    int64_t t = cs__v0_next_tokens(h);
    if (tokens + t > s->max_tokens_in_batch) break;
    if (v->n_alloc == v->batch_size_cap) break;
    if (v->bb_n == v->max_micro_batch) break;
    est_push_request(s, h); /* appended even when it is then rejected, as in Vidur */
    if (!est_admits(s)) break;
    cs__v0_waiting_pop(v);
    cs__v0_allocate(v, h, h->num_prefill);
    cs__v0_bb_add(v, h, (int32_t)t);
    tokens += t;
  }
  return cs__v0_bb_emit(v);
}

static cs__batch *decode_batch(lightllm_state *s) {
  cs__v0 *v = &s->v0;
  cs__v0_bb_reset(v);
  while (cs__v0_list_len(&v->running)) {
    cs__request *r = cs__v0_list_pop_front(&v->running);
    cs__v0_allocate(v, r, 1);
    cs__v0_bb_add(v, r, cs__v0_next_tokens(r));
  }
  return cs__v0_bb_emit(v);
}

static cs__batch *lightllm_next_batch(void *state, double now) {
  (void)now;
  lightllm_state *s = state;
  cs__v0 *v = &s->v0;
  if (!cs__v0_list_len(&v->running)) {
    cs__batch *b = prefill_batch(s);
    if (b) s->waiting_iters = 0;
    return b;
  }
  if (s->waiting_iters >= s->max_waiting_iters) {
    s->waiting_iters = 0;
    cs__batch *b = prefill_batch(s);
    if (b) return b;
  }
  /* Vidur: OOM error here. capsearch: preempt the latest running requests until all fit. */
  while (cs__v0_list_len(&v->running) && cs__v0_free_blocks(v) < cs__v0_list_len(&v->running))
    cs__v0_preempt(v, cs__v0_list_pop_back(&v->running));
  if (!cs__v0_list_len(&v->running)) return prefill_batch(s);
  s->waiting_iters++;
  return decode_batch(s);
}

const cs__replica_sched_ops cs__rsched_lightllm = {
    .info = {.name = "lightllm",
             .summary = "LightLLM: token-level KV, admission by a peak-memory estimator, periodic prefill (Vidur V0; pp=1)",
             .params = lightllm_specs,
             .nparams = CS__NELEMS(lightllm_specs),
             .params_size = sizeof(lightllm_params)},
    .state_size = sizeof(lightllm_state),
    .init = lightllm_init,
    .add_request = cs__v0_add_request,
    .next_batch = lightllm_next_batch,
    .on_batch_end = cs__v0_on_batch_end,
    .is_empty = cs__v0_is_empty,
    .memory_usage_percent = cs__v0_memory_usage_percent,
    .num_waiting = cs__v0_num_waiting,
    .num_running_batches = cs__v0_num_running_batches,
};
