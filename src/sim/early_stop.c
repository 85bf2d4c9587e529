/* Early stopping on requests still in flight (docs/sweep.md "Early stopping").
 *
 * The engine counts each completed request that violates the early-stopping SLO; once
 * cs_slo_deciding_violations() of them do, the verdict fails whatever comes next. In overload
 * most violators have not completed yet, so this also counts a request still in flight once it
 * is certain to violate: a metric measured from arrival to an event the request has not reached
 * yet is at least now - arrived_at when that event comes (events come in time order, and the
 * subtraction rounds monotonically), and a request that never completes counts as violating in
 * capsearch's verdict (cs_slo_evaluate over the arrived requests). Under `verdict: vidur`
 * unfinished requests are left out of the verdict, so nothing is counted in flight there (the
 * runner leaves cfg->early_stop_in_flight off).
 *
 * The metrics that can only grow while a request waits, with the event that fixes them (after
 * which the final value is known, and counted when above the limit):
 *   request_e2e_time          c - a   completion
 *   prefill_e2e_time          f - a   prefill end (f keeps its first value across restarts)
 *   request_scheduling_delay  s - a   first schedule (s keeps its first value across restarts)
 * Two per-token metrics divide such a time by the request's output token count D:
 *   decode_time_execution_plus_preemption_normalized (TPOT)   (c - f) / D   from the prefill end
 *   request_e2e_time_normalized                                (c - a) / D   from arrival
 * While the request is not complete, c >= now, and the D it is recorded with is at most D_max:
 * a restart sets D := total - processed with processed >= P under capsearch's restart (the prompt
 * is kept), so D never grows and D_max is the current D; under Vidur's restart quirk a mid-prefill
 * victim's D can grow, so D_max is the total token count P + D (constant across restarts). Hence
 * (c - x) / D >= (now - x) / D_max (subtraction and division by a positive number round
 * monotonically), and once that is above the limit the request violates for certain; TPOT is
 * watched only once f is set (its first value is kept), so a queue wait before the first token
 * counts for nothing. Their deadlines x + limit * D are not in arrival order: these watches keep
 * a min-heap by due time (TPOT entries pushed at the prefill end, normalised E2E ones as
 * requests arrive) and check each entry with the exact comparison above when its time has come.
 * The other distributions are not counted in flight: execution and preemption times grow only in
 * some states, TTFT normalised by the prompt (P can grow on restart without bound), and the
 * prefill execution times (f - s) can still fall while the request waits.
 *
 * An SLO with one metric, or `and`: one watch per such metric (any one certain decides; of
 * several limits on one per-token metric the smallest); `or` (a request violates when it meets
 * none): one watch at the largest limit, only when every metric is of the first three kinds, and
 * then every metric must be certain. A watch walks the arrived
 * requests in arrival order with a cursor as simulated time passes arrival + limit, so each
 * request is looked at once per watch (arrivals are in non-decreasing time order; were they not,
 * the cursor would only stop early, which counts fewer). A request counted here is marked and
 * not counted again when it completes (engine.c, record_request). */
#include <math.h>

#include "sim/engine.h"

enum { CS__ESC_E2E = 1u, CS__ESC_TTFT = 2u, CS__ESC_SCHED = 4u };
enum { CS__ESC_DUE_TPOT, CS__ESC_DUE_E2E_NORM };

static int metric_bit(cs_rm m) { /* the bit's number, -1 for a metric not counted in flight */
  switch (m) {
  case CS_RM_E2E: return 0;
  case CS_RM_TTFT: return 1;
  case CS_RM_SCHED_DELAY: return 2;
  default: return -1;
  }
}

/* One SLO or `and`: a per-token metric's watch keeps the smallest of its limits. */
static bool per_token_watch(cs__sim *sim, cs_rm m, double v) {
  double *lim = m == CS_RM_TPOT ? &sim->esc_tpot : m == CS_RM_E2E_NORM ? &sim->esc_e2e_norm : NULL;
  if (!lim) return false;
  if (isnan(*lim)) sim->n_esc++;
  if (isnan(*lim) || v < *lim) *lim = v;
  return true;
}

void cs__esc_setup(cs__sim *sim) {
  const cs_slo_config *slo = sim->cfg->early_stop_slo;
  sim->n_esc = sim->n_walk = 0;
  sim->esc_tpot = sim->esc_e2e_norm = NAN;
  if (!slo || slo->n <= 0 || slo->n > (int)(sizeof sim->esc / sizeof sim->esc[0])) return;
  bool is_or = slo->n > 1 && slo->type == CS_SLO_OR;
  cs__esc_watch w = {.limit = -INFINITY, .lim = {-INFINITY, -INFINITY, -INFINITY}};
  for (int k = 0; k < slo->n; k++) {
    int b = metric_bit(slo->slos[k].metric);
    double v = slo->slos[k].value;
    if (isnan(v)) {
      if (is_or) return; /* nothing violates a NaN limit: no request is certain to */
      continue;
    }
    if (b < 0) {
      if (is_or) return; /* a request may still meet this one: none is certain to violate */
      per_token_watch(sim, slo->slos[k].metric, v);
      continue;
    }
    if (!is_or) w = (cs__esc_watch){.limit = -INFINITY, .lim = {-INFINITY, -INFINITY, -INFINITY}};
    w.metrics |= 1u << b;
    if (v > w.lim[b]) w.lim[b] = v; /* `or`: violating the larger limit of a metric violates both */
    if (v > w.limit) w.limit = v;
    if (!is_or) sim->esc[sim->n_walk++] = w;
  }
  if (is_or) sim->esc[sim->n_walk++] = w;
  sim->n_esc += sim->n_walk;
}

/* Whether the request violates every metric of watch `x` for certain, now that
 * now - arrived_at > x->limit: each metric either still waits for its event (so will exceed its
 * limit) or already has its final value above its limit. f == 0 means "no prefill end yet"
 * (Vidur's convention); a request that arrived at 0 and was restarted could have had its
 * prefill end at 0, so that case is left out. A completed request is counted when recorded. */
static bool certain(const cs__request *r, const cs__esc_watch *x) {
  if ((x->metrics & CS__ESC_E2E) && r->completed) return false;
  if (x->metrics & CS__ESC_TTFT) {
    if (r->prefill_completed_at != 0) {
      if (!(r->prefill_completed_at - r->arrived_at > x->lim[1])) return false; /* f keeps its first value */
    } else if (r->is_prefill_complete || (r->arrived_at <= 0 && r->num_restarts > 0))
      return false;
  }
  if ((x->metrics & CS__ESC_SCHED) && (r->scheduled || r->num_restarts > 0) && !(r->scheduling_delay > x->lim[2]))
    return false; /* first scheduled: the delay is final */
  return true;
}

/* Counts one more certain violator; true when that decides the verdict (the run stops). */
static bool count(cs__sim *sim, cs__request *r) {
  r->slo_counted = true;
  if (++sim->violations < sim->deciding_violations) return false;
  sim->terminated = true; /* the verdict fails whatever comes next */
  sim->stopped_early = true;
  return true;
}

/* ---- per-token watches: a min-heap of due times ---- */

static void due_push(cs__sim *sim, cs__request *r, int kind, double from, double lim) {
  double dmax = sim->cfg->vidur_restart_quirk ? (double)r->num_prefill + r->num_decode : (double)r->num_decode;
  cs__esc_due e = {.due = from + lim * dmax, .r = r, .kind = kind};
  if (isnan(e.due)) return;
  cs__vec_reserve(&sim->esc_due, sim->esc_due.n + 1);
  cs__esc_due *h = sim->esc_due.v;
  size_t i = sim->esc_due.n++;
  while (i > 0 && e.due < h[(i - 1) / 2].due) {
    h[i] = h[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  h[i] = e;
}

static void due_pop(cs__sim *sim) {
  cs__esc_due *h = sim->esc_due.v;
  cs__esc_due last = h[--sim->esc_due.n];
  size_t n = sim->esc_due.n, i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && h[c + 1].due < h[c].due) c++;
    if (!(h[c].due < last.due)) break;
    h[i] = h[c];
    i = c;
  }
  if (n) h[i] = last;
}

void cs__esc_prefill_end(cs__sim *sim, cs__request *r) {
  if (!isnan(sim->esc_tpot) && r->prefill_completed_at != 0 && !r->completed && !r->slo_counted)
    due_push(sim, r, CS__ESC_DUE_TPOT, r->prefill_completed_at, sim->esc_tpot);
}

/* Whether the not yet completed request's per-token metric is above its limit for certain:
 * (c - x) / D >= (now - x) / D_max > limit (header comment). */
static bool due_certain(const cs__sim *sim, const cs__esc_due *e) {
  const cs__request *r = e->r;
  double dmax = sim->cfg->vidur_restart_quirk ? (double)r->num_prefill + r->num_decode : (double)r->num_decode;
  if (e->kind == CS__ESC_DUE_TPOT) return (sim->now - r->prefill_completed_at) / dmax > sim->esc_tpot;
  return (sim->now - r->arrived_at) / dmax > sim->esc_e2e_norm;
}

/* Returns true when the run stops. */
static bool due_advance(cs__sim *sim) {
  if (!isnan(sim->esc_e2e_norm)) /* the arrivals since the last call join the heap */
    for (; sim->esc_due_next < sim->arrived.n; sim->esc_due_next++) {
      cs__request *r = sim->arrived.v[sim->esc_due_next];
      if (!r->completed && !r->slo_counted) due_push(sim, r, CS__ESC_DUE_E2E_NORM, r->arrived_at, sim->esc_e2e_norm);
    }
  while (sim->esc_due.n && !(sim->esc_due.v[0].due > sim->now)) {
    cs__esc_due e = sim->esc_due.v[0];
    if (e.r->completed || e.r->slo_counted) { /* recorded (and judged) at completion, or counted */
      due_pop(sim);
      continue;
    }
    if (!due_certain(sim, &e)) return false; /* the due time rounded below: later, as time passes */
    due_pop(sim);
    if (count(sim, e.r)) return true;
  }
  return false;
}

void cs__esc_advance(cs__sim *sim) {
  for (int w = 0; w < sim->n_walk; w++) {
    cs__esc_watch *x = &sim->esc[w];
    while (x->next < sim->arrived.n) {
      cs__request *r = sim->arrived.v[x->next];
      if (!(sim->now - r->arrived_at > x->limit)) break; /* the same subtraction as the metric's */
      x->next++;
      if (r->slo_counted || !certain(r, x)) continue;
      if (count(sim, r)) return;
    }
  }
  if (sim->n_esc > sim->n_walk) due_advance(sim);
}
