/* Request state transitions and batch building, exactly as Vidur (vidur-semantics.md §1.2). */
#include <assert.h>

#include "sim/engine.h"
#include "sched/policy.h"

void cs__req_on_batch_schedule(cs__request *r, double t) {
  r->latest_iteration_scheduled_at = t;
  r->latest_iteration_scheduling_delay = t - r->latest_iteration_completed_at;
  if (r->scheduled) return;
  r->scheduled = true;
  if (r->num_restarts > 0) return; /* scheduled_at keeps its first value */
  r->scheduled_at = t;
  r->scheduling_delay = t - r->arrived_at;
}

void cs__req_on_stage_schedule(cs__request *r, double t) {
  r->latest_stage_scheduled_at = t;
  if (r->latest_stage_completed_at == 0)
    r->preempted_time = 0;
  else
    r->preempted_time += t - r->latest_stage_completed_at;
  r->preempted = false;
}

void cs__req_on_stage_end(cs__request *r, double t, double exec, double model_exec) {
  r->execution_time += exec;
  r->model_execution_time += model_exec;
  r->latest_stage_completed_at = t;
  r->preempted = true;
}

void cs__req_on_batch_end(cs__request *r, double t, int32_t num_tokens) {
  r->num_processed += num_tokens;
  r->latest_iteration_completed_at = t;
  if (r->num_processed == r->num_prefill) {
    r->is_prefill_complete = true;
    r->num_processed += 1; /* the prefill pass produces the first output token */
    if (r->prefill_completed_at == 0) r->prefill_completed_at = t;
  }
  if (r->num_processed == r->num_prefill + r->num_decode) {
    r->completed_at = t;
    r->completed = true;
  }
}

/* ---- batches: recycled through per-size-class free lists (no allocation per iteration) ---- */

static int size_class(int32_t cap) {
  int c = 0;
  while ((1 << c) < cap) c++;
  return c;
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
