/* Batch building (vidur-semantics.md §1.2); the request state transitions are in engine.c, next
 * to their only callers. */
#include <assert.h>

#include "sim/engine.h"
#include "sched/policy.h"

/* ---- batches: recycled through per-size-class free lists (no allocation per iteration) ---- */

static int size_class(int32_t cap) { /* the least c with 2^c >= cap (cap >= 1) */
#if defined(__GNUC__)
  return cap <= 1 ? 0 : 32 - __builtin_clz((unsigned)(cap - 1));
#else
  int c = 0;
  while ((1 << c) < cap) c++;
  return c;
#endif
}

cs__batch *cs__sim_batch_new(cs__sim *sim, int32_t replica_id, int32_t capacity) {
  if (capacity < 1) capacity = 1;
  int cls = size_class(capacity);
  cs__batch_x *x = sim->batch_free[cls];
  if (x) {
    sim->batch_free[cls] = x->next_free;
  } else {
    int32_t cap = 1 << cls;
    x = cs__sim_alloc(sim, sizeof *x);
    x->cls = cls;
    x->cap = cap;
    x->b.requests = cs__sim_alloc(sim, sizeof(cs__request *) * (size_t)cap);
    x->b.num_tokens = cs__sim_alloc(sim, sizeof(int32_t) * (size_t)cap);
    x->b.was_prefill = cs__sim_alloc(sim, sizeof(bool) * (size_t)cap);
  }
  x->next_free = NULL;
  x->stage_total = x->stage_model = x->stage_start = 0;
  cs__batch *b = &x->b;
  b->id = sim->next_batch_id++;
  b->replica_id = replica_id;
  b->n = 0;
  b->total_tokens = b->num_prefill_tokens = b->num_decode_tokens = 0;
  b->scheduled_at = b->completed_at = 0;
  b->num_completed_prefills = 0;
  b->capacity = x->cap;
  return b;
}

void cs__batch_recycle(cs__sim *sim, cs__batch *b) {
  cs__batch_x *x = (cs__batch_x *)b;
  x->next_free = sim->batch_free[x->cls];
  sim->batch_free[x->cls] = x;
}
