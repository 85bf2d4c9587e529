/* The discrete-event engine (vidur-semantics.md §1.3-§1.5, V1 semantics).
 *
 * Events are taken in (time, event kind number, per-simulation sequence) order (V1's
 * tie-breaking): future ones from a binary heap (libuv heap-inl.h idea), those for the current
 * time from one FIFO per kind (see push()). Arrivals are injected lazily: the workload's next
 * request is pushed only when its time is not later than the heap's top (§1.5). The event that
 * crosses the time limit is handled, then the loop stops. One `switch` in run_loop() reads top
 * to bottom like the phases; policies (routers, replica schedulers, queues, predictors) are the
 * pluggable part. Setup and validation live in setup.c. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/engine.h"
#include "util/sbuf.h"

/* ---- event heap ---------------------------------------------------------------------- */

static inline bool ev_less(const cs__event *a, const cs__event *b) {
  return a->t < b->t || (a->t == b->t && a->key < b->key);
}

static void heap_push(cs__sim *sim, const cs__event *ev) {
  cs__event e = *ev;
  cs__vec_reserve(&sim->heap, sim->heap.n + 1);
  cs__event *h = sim->heap.v;
  size_t i = sim->heap.n++;
  while (i > 0) {
    size_t par = (i - 1) / 2;
    if (!ev_less(&e, &h[par])) break;
    h[i] = h[par];
    i = par;
  }
  h[i] = e;
}

/* Most events are pushed for the current time (a batch's stage arrival, stage schedule, batch
 * end, replica schedule: five of its six), and those need no heap: while they share one time,
 * (time, kind, seq) orders them by kind, then by push order. So an event for the time of the
 * current-time FIFOs (sim->nowq_t, or any time when all are empty) is appended to its kind's
 * FIFO, the rest go to the heap, and next_event() takes the smaller of the heap's top and the
 * first event of the lowest non-empty kind: the order of one heap, with O(1) for the common
 * case. */
static inline void push(cs__sim *sim, double t, int kind, int32_t replica, int32_t stage, void *p) {
  cs__event e = {.t = t, .key = (uint64_t)kind << CS__EV_SEQ_BITS | (uint64_t)sim->seq++, .p = p, .replica = replica,
                 .stage = stage};
  if (t == sim->now && (!sim->nowq_mask || t == sim->nowq_t)) {
    cs__vec_push(&sim->nowq[kind], e);
    sim->nowq_mask |= 1u << kind;
    sim->nowq_t = t;
    return;
  }
  heap_push(sim, &e);
}

static cs__event pop(cs__sim *sim) {
  cs__event *h = sim->heap.v;
  cs__event top = h[0];
  cs__event last = h[--sim->heap.n];
  size_t n = sim->heap.n, i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && ev_less(&h[c + 1], &h[c])) c++;
    if (!ev_less(&h[c], &last)) break;
    h[i] = h[c];
    i = c;
  }
  if (n) h[i] = last;
  return top;
}

/* The next event in (time, kind, seq) order, removed; false when there is none. */
static bool next_event(cs__sim *sim, cs__event *out) {
  if (sim->nowq_mask) {
#if defined(__GNUC__)
    int k = __builtin_ctz(sim->nowq_mask);
#else
    int k = 1;
    while (!((sim->nowq_mask >> k) & 1)) k++;
#endif
    const cs__event *e = &sim->nowq[k].v[sim->nowq_head[k]];
    if (!sim->heap.n || ev_less(e, &sim->heap.v[0])) {
      *out = *e;
      if (++sim->nowq_head[k] == sim->nowq[k].n) {
        sim->nowq_head[k] = sim->nowq[k].n = 0;
        sim->nowq_mask &= ~(1u << k);
      }
      return true;
    }
  }
  if (!sim->heap.n) return false;
  *out = pop(sim);
  return true;
}

/* The time of the next event; only called when there is one. */
static double next_time(const cs__sim *sim) {
  if (sim->nowq_mask && (!sim->heap.n || sim->nowq_t < sim->heap.v[0].t)) return sim->nowq_t;
  return sim->heap.v[0].t;
}

/* ---- request state transitions, exactly as Vidur (vidur-semantics.md §1.2) ----------------
 * Defined here, in the engine's translation unit, so the per-request loops of each batch
 * inline them. */

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

/* ---- meters ---------------------------------------------------------------------------- */

static inline void meter_put(cs__meter *m, double x, double y) {
  if (!m->have) {
    m->min = m->max = y;
  } else {
    if (y < m->min) m->min = y;
    if (y > m->max) m->max = y;
    if (m->last_x != 0) { /* Vidur skips the segment that starts at time 0 */
      m->sum += m->last_y * (x - m->last_x);
      m->dur += x - m->last_x;
    }
  }
  m->have = true;
  m->last_x = x;
  m->last_y = y;
  m->ysum += y;
  m->n++;
}

void cs__meter_put(cs__meter *m, double x, double y) { meter_put(m, x, y); }

double cs__meter_sample_mean(const cs__meter *m) { return m->n ? m->ysum / (double)m->n : 0; }

double cs__meter_mean(const cs__meter *m) {
  if (m->dur > 0) return m->sum / m->dur;
  return m->have ? m->last_y : 0;
}

/* ---- engine services for policies ------------------------------------------------------- */

static void *svc_alloc(cs__sim *sim, size_t n) { return cs__arena_alloc(&sim->arena, n); }
static const cs__replica_ctx *svc_replica_ctx(cs__sim *sim, int32_t replica) { return &sim->replicas[replica].ctx; }

static int32_t svc_cached_prefill_length(cs__sim *sim, int32_t replica, const cs__prefix_query *q) {
  cs__replica *rep = &sim->replicas[replica];
  return rep->ops->cached_prefill_length ? rep->ops->cached_prefill_length(rep->state, q) : 0;
}

/* Every replica's answer: the hints first, so that the replicas' first lookups (one cache
 * miss each, in maps of their own) overlap instead of queueing. */
static void svc_cached_prefill_lengths(cs__sim *sim, const cs__prefix_query *q, int32_t *out) {
  for (int32_t x = 0; x < sim->num_replicas; x++) {
    const cs__replica *rep = &sim->replicas[x];
    if (rep->ops->prefetch_prefix) rep->ops->prefetch_prefix(rep->state, q);
  }
  for (int32_t x = 0; x < sim->num_replicas; x++) out[x] = svc_cached_prefill_length(sim, x, q);
}

static int64_t svc_num_waiting(cs__sim *sim, int32_t replica) {
  cs__replica *rep = &sim->replicas[replica];
  return rep->ops->num_waiting ? rep->ops->num_waiting(rep->state) : 0;
}

static void svc_note_preemption(cs__sim *sim, int32_t replica, cs__request *victim) {
  sim->num_preemptions++;
  sim->replicas[replica].num_preemptions++;
  if (sim->obs && sim->obs->on_preemption) sim->obs->on_preemption(sim->obs->ud, sim, replica, victim);
}

static const cs__rqueue_ops *svc_queue_ops(cs__sim *sim) { return sim->queue_ops; }
static const cs_params *svc_queue_params(cs__sim *sim) { return &sim->queue_params; }

const cs__sim_services cs__sim_engine_services = {
    .alloc = svc_alloc,
    .batch_new = cs__sim_batch_new,
    .replica_ctx = svc_replica_ctx,
    .cached_prefill_length = svc_cached_prefill_length,
    .cached_prefill_lengths = svc_cached_prefill_lengths,
    .num_waiting = svc_num_waiting,
    .note_preemption = svc_note_preemption,
    .queue_ops = svc_queue_ops,
    .queue_params = svc_queue_params,
};

double cs__sim_now(const cs__sim *sim) { return sim->now; }
int32_t cs__sim_num_replicas(const cs__sim *sim) { return sim->num_replicas; }
const cs_sim_config *cs__sim_config(const cs__sim *sim) { return sim->cfg; }

double cs__sim_replica_memory_percent(cs__sim *sim, int32_t replica) {
  cs__replica *rep = &sim->replicas[replica];
  return rep->ops->memory_usage_percent ? rep->ops->memory_usage_percent(rep->state) : 0;
}

/* ---- handlers ------------------------------------------------------------------------------ */

static void on_request_arrival(cs__sim *sim, cs__request *r) {
  cs__vec_push(&sim->gqueue, r);
  cs__vec_push(&sim->arrived, r);
  sim->num_arrived++;
  push(sim, sim->now, CS__EV_GLOBAL_SCHEDULE, -1, -1, NULL);
}

static int cmp_arrival(const void *a, const void *b) {
  const cs__request *x = *(cs__request *const *)a, *y = *(cs__request *const *)b;
  if (x->arrived_at != y->arrived_at) return x->arrived_at < y->arrived_at ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

static void on_global_schedule(cs__sim *sim) {
  if (!sim->gqueue.n) return;
  qsort(sim->gqueue.v, sim->gqueue.n, sizeof *sim->gqueue.v, cmp_arrival);
  /* one REPLICA_SCHEDULE per distinct replica, in ascending replica order */
  bool *touched = sim->touched;
  memset(touched, 0, (size_t)sim->num_replicas);
  for (size_t i = 0; i < sim->gqueue.n; i++) {
    cs__request *r = sim->gqueue.v[i];
    int32_t rep = sim->router->route(sim->router_state, r);
    if (rep < 0 || rep >= sim->num_replicas) { /* a policy bug: stop with an error, never guess */
      if (!sim->fail_code)
        sim->fail_code = cs_err_set(&sim->fail, CS_ESIM, "global scheduler '%s' routed request %lld to replica %d of %d",
                                    sim->router->info.name, (long long)r->id, (int)rep, (int)sim->num_replicas);
      sim->terminated = true;
      rep = 0;
    }
    r->replica_id = rep;
    r->prefill_slo_time = 0;
    sim->replicas[rep].ops->add_request(sim->replicas[rep].state, r);
    touched[rep] = true;
  }
  sim->gqueue.n = 0;
  for (int32_t k = 0; k < sim->num_replicas; k++)
    if (touched[k]) push(sim, sim->now, CS__EV_REPLICA_SCHEDULE, k, -1, NULL);
}

static void on_replica_schedule(cs__sim *sim, int32_t k) {
  cs__replica *rep = &sim->replicas[k];
  while (rep->running_batches < sim->num_stages) {
    cs__batch *b = rep->ops->next_batch(rep->state, sim->now);
    if (!b) break;
    rep->running_batches++;
    rep->num_batches++;
    sim->num_batches++;
    const double now = sim->now;
    b->scheduled_at = now;
    cs__request *const *reqs = b->requests;
    for (int32_t i = 0, n = b->n; i < n; i++) {
      cs__request *r = reqs[i];
      cs__req_on_batch_schedule(r, now);
      if (!r->metric_captured) { /* V1 records P, D and the per-replica inter-arrival here */
        r->metric_captured = true;
        r->metric_num_prefill = r->num_prefill;
        r->metric_num_decode = r->num_decode;
        r->metric_inter_arrival = r->arrived_at - rep->last_first_arrival;
        rep->last_first_arrival = r->arrived_at;
      }
    }
    if (sim->obs && sim->obs->on_batch_formed) sim->obs->on_batch_formed(sim->obs->ud, sim, b);
    push(sim, sim->now, CS__EV_BATCH_STAGE_ARRIVAL, k, 0, b);
  }
  meter_put(&rep->mem, sim->now, cs__sim_replica_memory_percent(sim, k));
}

static void on_stage_arrival(cs__sim *sim, int32_t k, int32_t s, cs__batch *b) {
  cs__stage *st = &sim->replicas[k].stages[s];
  st->fifo[(st->head + st->n) % st->cap] = b;
  st->n++;
  push(sim, sim->now, CS__EV_REPLICA_STAGE_SCHEDULE, k, s, NULL);
}

/* MFU of a stage (§6.3): (2 T params + sum 4 (L/PP) (q/TP) hd t (t + processed)) / time / peak. */
static double mfu_of(const cs__sim *sim, const cs__batch *b, double attn_tt, double stage_s) {
  if (stage_s <= 0 || sim->mfu_peak <= 0) return 0;
  double flops = 2.0 * (double)b->total_tokens * sim->params_per_device + sim->mfu_attn_coeff * attn_tt;
  return flops / stage_s / sim->mfu_peak * 100.0;
}

static void on_stage_schedule(cs__sim *sim, int32_t k, int32_t s) {
  cs__stage *st = &sim->replicas[k].stages[s];
  if (st->busy || !st->n) return;
  cs__batch *b = st->fifo[st->head];
  st->head = (st->head + 1) % st->cap;
  st->n--;
  cs__vec_reserve(&sim->items, (size_t)b->n);
  /* locals: the stores to the requests would otherwise reload the arrays for every item */
  cs_batch_item *items = sim->items.v;
  cs__request *const *reqs = b->requests;
  const int32_t *ntok = b->num_tokens;
  const bool *was_prefill = b->was_prefill;
  const int32_t n = b->n;
  const double now = sim->now;
  double attn_tt = 0; /* sum of t (t + processed), for the MFU */
  for (int32_t i = 0; i < n; i++) {
    cs__request *r = reqs[i];
    int32_t processed = r->num_processed;
    double t = ntok[i];
    items[i] = (cs_batch_item){.num_tokens = ntok[i], .processed = processed, .is_prefill = was_prefill[i]};
    attn_tt += t * (t + processed);
    cs__req_on_stage_schedule(r, now);
  }
  cs_batch_view view = {.n = n, .items = items, .total_tokens = b->total_tokens};
  cs_stage_time tm = {0, 0};
  cs_predictor_stage_time(sim->cfg->predictor, &view, s, &tm);
  if (!(tm.total_s >= 0) || !isfinite(tm.total_s)) tm.total_s = 0; /* never go back in time */
  if (!(tm.model_s >= 0) || !isfinite(tm.model_s)) tm.model_s = tm.total_s;
  cs__batch_x *x = (cs__batch_x *)b;
  x->stage_total = tm.total_s;
  x->stage_model = tm.model_s;
  x->stage_start = sim->now;
  st->busy = true;
  meter_put(&st->busy_meter, sim->now, 100);
  meter_put(&st->mfu_meter, sim->now, mfu_of(sim, b, attn_tt, tm.total_s));
  push(sim, sim->now + tm.total_s, CS__EV_BATCH_STAGE_END, k, s, b);
}

static void on_stage_end(cs__sim *sim, int32_t k, int32_t s, cs__batch *b) {
  cs__stage *st = &sim->replicas[k].stages[s];
  cs__batch_x *x = (cs__batch_x *)b;
  st->busy = false;
  const double now = sim->now, total = x->stage_total, model = x->stage_model;
  cs__request *const *reqs = b->requests;
  for (int32_t i = 0, n = b->n; i < n; i++) cs__req_on_stage_end(reqs[i], now, total, model);
  meter_put(&st->busy_meter, sim->now, 0);
  meter_put(&st->mfu_meter, sim->now, 0);
  if (sim->cfg->chrome_trace) {
    cs__chrome_ev ce = {b->id, k, s, b->n, b->total_tokens, x->stage_start, x->stage_total};
    cs__vec_push(&sim->chrome, ce);
  }
  push(sim, sim->now, CS__EV_REPLICA_STAGE_SCHEDULE, k, s, NULL);
  if (s == sim->num_stages - 1)
    push(sim, sim->now, CS__EV_BATCH_END, k, -1, b);
  else
    push(sim, sim->now, CS__EV_BATCH_STAGE_ARRIVAL, k, s + 1, b);
}

/* One batch more with value x of the whole-number metric m (x: a count, so >= 0). */
static inline void bm_count(cs__replica *rep, int m, size_t x) {
  if (x >= rep->bm_counts[m].n) {
    cs__vec_reserve(&rep->bm_counts[m], x + 1);
    memset(rep->bm_counts[m].v + rep->bm_counts[m].n, 0, (x + 1 - rep->bm_counts[m].n) * sizeof(uint32_t));
    rep->bm_counts[m].n = x + 1;
  }
  rep->bm_counts[m].v[x]++;
}

static void on_batch_end(cs__sim *sim, int32_t k, cs__batch *b) {
  cs__replica *rep = &sim->replicas[k];
  b->completed_at = sim->now;
  int32_t prefills = 0;
  bool any_done = false;
  const double now = sim->now;
  cs__request *const *reqs = b->requests;
  const int32_t *ntok = b->num_tokens;
  for (int32_t i = 0, n = b->n; i < n; i++) {
    cs__request *r = reqs[i];
    cs__req_on_batch_end(r, now, ntok[i]);
    prefills += r->prefill_completed_at == now;
    any_done |= r->completed;
  }
  b->num_completed_prefills = prefills;
  if (sim->router->on_batch_end) sim->router->on_batch_end(sim->router_state, b);
  rep->ops->on_batch_end(rep->state, b);
  rep->running_batches--;
  cs__vec_push(&rep->bm_exec, b->completed_at - b->scheduled_at);
  bm_count(rep, CS__BM_SIZE, (size_t)b->n);
  bm_count(rep, CS__BM_TOKENS, (size_t)b->total_tokens);
  bm_count(rep, CS__BM_PREFILL, (size_t)b->num_prefill_tokens);
  bm_count(rep, CS__BM_DECODE, (size_t)b->num_decode_tokens);
  bm_count(rep, CS__BM_PREFILLS_DONE, (size_t)prefills);
  if (sim->cfg->record_batches) {
    cs__batch_row row = {b->id, k, b->n, prefills, b->total_tokens, b->num_prefill_tokens, b->num_decode_tokens,
                         b->scheduled_at, b->completed_at};
    cs__vec_push(&sim->batch_rows, row);
  }
  meter_put(&rep->mem, sim->now, cs__sim_replica_memory_percent(sim, k));
  if (sim->obs && sim->obs->on_batch_end) sim->obs->on_batch_end(sim->obs->ud, sim, b);
  push(sim, sim->now, CS__EV_REPLICA_SCHEDULE, k, -1, NULL);
  /* PREFILL_END and REQUEST_END in batch order; the heap orders the two kinds by number. Most
   * batches (decode steps) have neither. */
  if (prefills || any_done)
    for (int32_t i = 0; i < b->n; i++) {
      cs__request *r = b->requests[i];
      if (r->prefill_completed_at == b->completed_at) push(sim, sim->now, CS__EV_PREFILL_END, k, -1, r);
      if (r->completed) push(sim, sim->now, CS__EV_REQUEST_END, k, -1, r);
    }
  cs__batch_recycle(sim, b);
  if (sim->n_esc) cs__esc_advance(sim); /* time passed: requests in flight may now violate for certain */
}

/* Per-request record (§6.1, V1 definitions; the computations are CS_REQUEST_METRICS'). */
static void record_request(cs__sim *sim, const cs__request *r) {
  const cs_request_facts facts = {
      .a = r->arrived_at, .s = r->scheduled_at, .f = r->prefill_completed_at, .c = r->completed_at,
      .e = r->execution_time, .m = r->model_execution_time, .p = r->preempted_time,
      .sched_delay = r->scheduling_delay, .P = r->num_prefill, .D = r->num_decode,
      .num_prefill = r->metric_num_prefill, .num_decode = r->metric_num_decode,
      .num_cached = r->num_prefill_cached, .inter_arrival = r->metric_inter_arrival,
      .restarts = r->num_restarts, .replica = r->replica_id, .id = (double)r->id};
  cs_request_record rec;
  cs_request_record_fill(&facts, &rec);
  cs__vec_push(&sim->records, rec);
  cs__vec_push(&sim->completion_times, r->completed_at);
  sim->num_completed++;
  /* a request counted while in flight (early_stop.c) is not counted again */
  if (sim->cfg->early_stop_slo && !r->slo_counted && cs_slo_record_violates(sim->cfg->early_stop_slo, &rec) &&
      ++sim->violations >= sim->deciding_violations) { /* the verdict fails whatever comes next */
    sim->terminated = true;
    sim->stopped_early = true;
  }
}

static void on_request_end(cs__sim *sim, cs__request *r) {
  if (sim->router->on_request_end) sim->router->on_request_end(sim->router_state, r);
  record_request(sim, r);
  if (sim->obs && sim->obs->on_request_end) sim->obs->on_request_end(sim->obs->ud, sim, r);
}

/* ---- the loop ---------------------------------------------------------------------------- */

static int pull_next(cs__sim *sim, cs_err *err) {
  int rc = sim->src ? sim->src->next(sim->src->ud, &sim->next, err) : cs_workload_next(sim->wl, &sim->next, err);
  if (rc < 0) return rc;
  sim->have_next = rc == 1;
  return 0;
}

static cs__request *new_request(cs__sim *sim, const cs_request_spec *sp) {
  cs__request *r = cs__sim_alloc(sim, sizeof *r);
  r->id = sim->next_request_id++;
  r->arrived_at = sp->arrived_at;
  r->num_prefill = sp->prefill;
  r->num_decode = sp->decode;
  r->replica_id = -1;
  r->session_id = sp->session_id;
  r->hashes = sp->hashes;
  if (sim->src && sim->src->kv_ready) { /* prompt KV received, not computed; the last token is always computed */
    int32_t k = sim->src->kv_ready[r->id];
    r->num_processed = k < sp->prefill ? (k > 0 ? k : 0) : sp->prefill - 1;
  }
  return r;
}

int cs__sim_loop(cs__sim *sim, cs_err *err) {
  /* the run's constants in locals: the handlers' stores through pointers would make the compiler
   * reload them from sim and cfg for every event */
  const double limit = sim->cfg->time_limit_s > 0 ? sim->cfg->time_limit_s : INFINITY;
  const cs__sim_observer *obs = sim->obs;
  const int64_t max_events = obs && obs->max_events > 0 ? obs->max_events : INT64_MAX;
  const _Atomic int *cancel = sim->cfg->cancel;
  int rc = pull_next(sim, err);
  if (rc < 0) return rc;
  while (!sim->terminated) {
    bool pending = sim->heap.n || sim->nowq_mask;
    if (sim->have_next && (!pending || sim->next.arrived_at <= next_time(sim))) {
      if (sim->next.prefill < 1 || sim->next.decode < 1)
        return cs_err_set(err, CS_ESIM, "request %lld has %d prompt and %d output tokens (expected at least 1 each)",
                          (long long)sim->next_request_id, (int)sim->next.prefill, (int)sim->next.decode);
      cs__request *r = new_request(sim, &sim->next);
      push(sim, r->arrived_at, CS__EV_REQUEST_ARRIVAL, -1, -1, r);
      if ((rc = pull_next(sim, err)) < 0) return rc;
      continue;
    }
    cs__event ev;
    if (!next_event(sim, &ev)) break;
    sim->now = ev.t;
    if (ev.t > limit) sim->terminated = true; /* this event is still handled */
    int64_t ne = ++sim->num_events;
    if (ne >= max_events) sim->terminated = true;
    if (!(ne & 1023) && cancel && atomic_load_explicit(cancel, memory_order_relaxed)) sim->terminated = true;
    if (obs && obs->on_event) obs->on_event(obs->ud, sim, &ev);
    switch ((cs__ev_kind)cs__event_kind(&ev)) {
    case CS__EV_REQUEST_ARRIVAL: on_request_arrival(sim, ev.p); break;
    case CS__EV_GLOBAL_SCHEDULE: on_global_schedule(sim); break;
    case CS__EV_REPLICA_SCHEDULE: on_replica_schedule(sim, ev.replica); break;
    case CS__EV_BATCH_STAGE_ARRIVAL: on_stage_arrival(sim, ev.replica, ev.stage, ev.p); break;
    case CS__EV_REPLICA_STAGE_SCHEDULE: on_stage_schedule(sim, ev.replica, ev.stage); break;
    case CS__EV_BATCH_STAGE_END: on_stage_end(sim, ev.replica, ev.stage, ev.p); break;
    case CS__EV_BATCH_END: on_batch_end(sim, ev.replica, ev.p); break;
    case CS__EV_PREFILL_END:
      if (sim->router->on_prefill_end) sim->router->on_prefill_end(sim->router_state, ev.p);
      if (sim->n_esc) cs__esc_prefill_end(sim, ev.p);
      break;
    case CS__EV_REQUEST_END: on_request_end(sim, ev.p); break;
    }
  }
  if (sim->fail_code) {
    if (err) *err = sim->fail;
    return sim->fail_code;
  }
  return 0;
}
