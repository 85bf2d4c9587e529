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
 * The metrics that can only grow while a request waits, with the event that fixes them:
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
#include "sim/engine.h"

enum { CS__ESC_E2E = 1u, CS__ESC_TTFT = 2u, CS__ESC_SCHED = 4u };

static unsigned metric_bit(cs_rm m) {
  switch (m) {
  case CS_RM_E2E: return CS__ESC_E2E;
  case CS_RM_TTFT: return CS__ESC_TTFT;
  case CS_RM_SCHED_DELAY: return CS__ESC_SCHED;
  default: return 0;
  }
}

void cs__esc_setup(cs__sim *sim) {
  const cs_slo_config *slo = sim->cfg->early_stop_slo;
  sim->n_esc = 0;
  if (!slo || slo->n <= 0 || slo->n > (int)(sizeof sim->esc / sizeof sim->esc[0])) return;
  if (slo->n > 1 && slo->type == CS_SLO_OR) {
    cs__esc_watch w = {.limit = slo->slos[0].value};
    for (int k = 0; k < slo->n; k++) {
      unsigned bit = metric_bit(slo->slos[k].metric);
      if (!bit || !(slo->slos[k].value == slo->slos[k].value)) return; /* not certain in flight, or a NaN limit */
      w.metrics |= bit;
      if (slo->slos[k].value > w.limit) w.limit = slo->slos[k].value;
    }
    sim->esc[sim->n_esc++] = w;
    return;
  }
  for (int k = 0; k < slo->n; k++) {
    unsigned bit = metric_bit(slo->slos[k].metric);
    if (bit) sim->esc[sim->n_esc++] = (cs__esc_watch){.limit = slo->slos[k].value, .metrics = bit};
  }
}

/* Whether every metric in `bits` is still waiting for its event, so exceeds its limit for
 * certain once now - arrived_at does. f == 0 means "no prefill end yet" (Vidur's convention);
 * a request that arrived at 0 and was restarted could have had its prefill end at 0, so that
 * case is left out. */
static bool certain(const cs__request *r, unsigned bits) {
  if ((bits & CS__ESC_E2E) && r->completed) return false;
  if ((bits & CS__ESC_TTFT) &&
      (r->prefill_completed_at != 0 || r->is_prefill_complete || (r->arrived_at <= 0 && r->num_restarts > 0)))
    return false;
  if ((bits & CS__ESC_SCHED) && (r->scheduled || r->num_restarts > 0)) return false;
  return true;
}

void cs__esc_advance(cs__sim *sim) {
  for (int w = 0; w < sim->n_esc; w++) {
    cs__esc_watch *x = &sim->esc[w];
    while (x->next < sim->arrived.n) {
      cs__request *r = sim->arrived.v[x->next];
      if (!(sim->now - r->arrived_at > x->limit)) break; /* the same subtraction as the metric's */
      x->next++;
      if (r->slo_counted || !certain(r, x->metrics)) continue;
      r->slo_counted = true;
      if (++sim->violations >= sim->deciding_violations) { /* the verdict fails whatever comes next */
        sim->terminated = true;
        sim->stopped_early = true;
        return;
      }
    }
  }
}
