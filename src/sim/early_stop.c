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
 * The other distributions are not counted in flight: the normalised forms of these divide by a
 * per-request token count (their deadlines are not in arrival order), execution and preemption
 * times grow only in some states, and decode time per token (TPOT) can still fall.
 *
 * An SLO with one metric, or `and`: one watch per such metric (any one certain decides); `or`
 * (a request violates when it meets none): one watch at the largest limit, only when every
 * metric is of this kind, and then every metric must be certain. A watch walks the arrived
 * requests in arrival order with a cursor as simulated time passes arrival + limit, so each
 * request is looked at once per watch (arrivals are in non-decreasing time order; were they not,
 * the cursor would only stop early, which counts fewer). A request counted here is marked and
 * not counted again when it completes (engine.c, record_request). */
#include <math.h>

#include "sim/engine.h"

enum { CS__ESC_E2E = 1u, CS__ESC_TTFT = 2u, CS__ESC_SCHED = 4u };

static int metric_bit(cs_rm m) { /* the bit's number, -1 for a metric not counted in flight */
  switch (m) {
  case CS_RM_E2E: return 0;
  case CS_RM_TTFT: return 1;
  case CS_RM_SCHED_DELAY: return 2;
  default: return -1;
  }
}

void cs__esc_setup(cs__sim *sim) {
  const cs_slo_config *slo = sim->cfg->early_stop_slo;
  sim->n_esc = 0;
  if (!slo || slo->n <= 0 || slo->n > (int)(sizeof sim->esc / sizeof sim->esc[0])) return;
  bool is_or = slo->n > 1 && slo->type == CS_SLO_OR;
  cs__esc_watch w = {.limit = -INFINITY, .lim = {-INFINITY, -INFINITY, -INFINITY}};
  for (int k = 0; k < slo->n; k++) {
    int b = metric_bit(slo->slos[k].metric);
    double v = slo->slos[k].value;
    if (b < 0 || isnan(v)) {
      if (is_or) return; /* a request may still meet this one: none is certain to violate */
      continue;
    }
    if (!is_or) w = (cs__esc_watch){.limit = -INFINITY, .lim = {-INFINITY, -INFINITY, -INFINITY}};
    w.metrics |= 1u << b;
    if (v > w.lim[b]) w.lim[b] = v; /* `or`: violating the larger limit of a metric violates both */
    if (v > w.limit) w.limit = v;
    if (!is_or) sim->esc[sim->n_esc++] = w;
  }
  if (is_or) sim->esc[sim->n_esc++] = w;
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

void cs__esc_advance(cs__sim *sim) {
  for (int w = 0; w < sim->n_esc; w++) {
    cs__esc_watch *x = &sim->esc[w];
    while (x->next < sim->arrived.n) {
      cs__request *r = sim->arrived.v[x->next];
      if (!(sim->now - r->arrived_at > x->limit)) break; /* the same subtraction as the metric's */
      x->next++;
      if (r->slo_counted || !certain(r, x)) continue;
      r->slo_counted = true;
      if (++sim->violations >= sim->deciding_violations) { /* the verdict fails whatever comes next */
        sim->terminated = true;
        sim->stopped_early = true;
        return;
      }
    }
  }
}
