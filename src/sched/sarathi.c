/* Replica scheduler `sarathi` (vidur-semantics.md §4.2, Vidur V0): chunked prefill, decode
 * first, stall-free mixing of decodes and prefill chunks. chunk_size is the per-iteration token
 * budget for prefill chunks; decodes take one token each regardless of the budget.
 * Each step:
 *  1. walk the running list from the front (up to the micro-batch size): requests still in
 *     prefill are set aside; decodes get their next block via the §4.0 victim loop (victims are
 *     taken from the end of the remaining list and may be partially prefilled) and one token;
 *  2. the set-aside prefills get the next chunk min(P - processed, budget left) (0 -> skipped);
 *     their whole prompt was reserved at admission, so no memory check;
 *  3. running list := skipped + not-yet-visited, stably sorted by arrival;
 *  4. admit waiting requests while fewer than batch_size_cap hold memory, the micro-batch has
 *     room, their prompt's blocks fit above the watermark and the budget leaves > 0 tokens.
 * Usable with the fcfs or edf request queue. */
#include <stdint.h>

#include "capsearch/params.h"
#include "sched/sched_params.h"
#include "sched/v0_blocks.h"

typedef struct sarathi_state {
  cs__v0 v0; /* first: the shared ops cast the state to cs__v0 */
  int64_t chunk_size;
  cs__v0_list prefills; /* scratch: running prefills of this step, in pop order */
  cs__v0_list keep;     /* scratch: the next running list */
} sarathi_state;

typedef struct sarathi_params {
  int64_t batch_size_cap, chunk_size;
} sarathi_params;

static const cs_param_spec sarathi_specs[] = {
    CS__PARAM_BATCH_SIZE_CAP(sarathi_params),
    CS__PARAM_CHUNK_SIZE(sarathi_params),
};

static int sarathi_init(void *state, const cs__replica_ctx *ctx, cs_err *err) {
  sarathi_state *s = state;
  sarathi_params p;
  int rc = cs_params_bind(sarathi_specs, CS__NELEMS(sarathi_specs), ctx->params, &p, "sarathi", "replica scheduler",
                          err);
  if (!rc) rc = cs__v0_init(&s->v0, ctx, p.batch_size_cap, false, "sarathi", err);
  if (rc) return rc;
  s->chunk_size = p.chunk_size;
  return 0;
}

/* Next tokens of r given the tokens already in the batch (sarathi's override). */
static int32_t sarathi_tokens(const sarathi_state *s, const cs__request *r, int64_t in_batch) {
  if (r->is_prefill_complete) return 1;
  int64_t t = (int64_t)r->num_prefill - r->num_processed;
  int64_t room = s->chunk_size - in_batch;
  if (room < t) t = room;
  return t > 0 ? (int32_t)t : 0;
}

static cs__batch *sarathi_next_batch(void *state, double now) {
  (void)now;
  sarathi_state *s = state;
  cs__v0 *v = &s->v0;
  cs__v0_bb_reset(v);
  int64_t tokens = 0;
  s->prefills.head = s->prefills.tail = 0;
  s->keep.head = s->keep.tail = 0;

  /* 1. decodes first */
  while (cs__v0_list_len(&v->running)) {
    if (v->bb_n == v->max_micro_batch) break;
    cs__request *r = cs__v0_list_pop_front(&v->running);
    if (!r->is_prefill_complete) {
      cs__v0_list_push(v->sim, &s->prefills, r);
      continue;
    }
    if (cs__v0_make_room(v, r)) {
      cs__v0_bb_add(v, r, 1);
      tokens += 1;
    }
  }
  /* 2. chunks of running prefills */
  for (int32_t i = 0; i < cs__v0_list_len(&s->prefills); i++) {
    cs__request *r = cs__v0_list_at(&s->prefills, i);
    int32_t t = sarathi_tokens(s, r, tokens);
    if (t == 0) {
      cs__v0_list_push(v->sim, &s->keep, r);
      continue;
    }
    cs__v0_bb_add(v, r, t);
    tokens += t;
  }
  /* 3. running := skipped + remaining, stably sorted by arrival */
  for (int32_t i = 0; i < cs__v0_list_len(&v->running); i++) cs__v0_list_push(v->sim, &s->keep, cs__v0_list_at(&v->running, i));
  cs__v0_list tmp = v->running;
  v->running = s->keep;
  s->keep = tmp;
  cs__v0_list_sort_by_arrival(&v->running);

  /* 4. new requests */
  cs__request *h;
  while ((h = cs__v0_waiting_peek(v))) {
    if (v->n_alloc == v->batch_size_cap) break;
    if (v->bb_n == v->max_micro_batch) break;
    if (!cs__v0_can_allocate_request(v, h)) break;
    int32_t t = sarathi_tokens(s, h, tokens);
    if (t == 0) break;
    cs__v0_waiting_pop(v);
    cs__v0_allocate_request(v, h);
    cs__v0_bb_add(v, h, t);
    tokens += t;
  }
  return cs__v0_bb_emit(v);
}

const cs__replica_sched_ops cs__rsched_sarathi = {
    .info = {.name = "sarathi",
             .summary = "Sarathi-Serve: chunked prefill (chunk_size budget), decode-first stall-free batches (Vidur V0)",
             .params = sarathi_specs,
             .nparams = CS__NELEMS(sarathi_specs),
             .params_size = sizeof(sarathi_params),
             .flags = CS_RSCHED_CHUNKED_PREFILL | CS_RSCHED_RESUMES_KV},
    .state_size = sizeof(sarathi_state),
    .init = sarathi_init,
    .add_request = cs__v0_add_request,
    .next_batch = sarathi_next_batch,
    .on_batch_end = cs__v0_on_batch_end,
    .is_empty = cs__v0_is_empty,
    .memory_usage_percent = cs__v0_memory_usage_percent,
    .num_waiting = cs__v0_num_waiting,
    .num_running_batches = cs__v0_num_running_batches,
};
