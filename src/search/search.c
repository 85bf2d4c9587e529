/* The three capacity searches of Vidur V1 (vidur-semantics.md §7.7), written as state
 * machines: each loop iteration of Vidur's code becomes one cs__search_next / report pair.
 *
 * search_qps:  left = 0, right = 2*qps0; while not found: probe right, pass -> left = right,
 *              right *= 2; fail -> found. Then bisect: stop when |left-right| < g% * right/100
 *              or right < min_qps, else probe mid = (left+right)/2. Every probe (also the
 *              failed expansion probe) uses up one of max_iterations. Answer = left.
 * num_replicas: left = 1, right = 2*R0; while not found: probe right replicas, fail ->
 *              left = right+1, right *= 2; pass -> found. Then while left <= right: mid =
 *              (left+right)//2, fail -> left = mid+1, pass -> right = mid-1. Answer = Vidur's
 *              left; we report the fewest replicas that actually passed (equal to left once
 *              the bisection completes; never an unverified count when iterations run out).
 * isoqps:      qps0 * m for each multiplier at R0. */
#include "search/search.h"

#include <math.h>

void cs__search_params_defaults(cs__search_params *p) {
  *p = (cs__search_params){.kind = CS_SEARCH_QPS,
                           .qps0 = 1,
                           .replicas0 = 1,
                           .max_iterations = 10,
                           .granularity_pct = 1,
                           .min_qps = 0.1};
}

void cs__search_init(cs__search *s, const cs__search_params *p) {
  *s = (cs__search){.p = *p};
  s->left = 0;
  s->right = 2 * p->qps0;
  s->lo = 1;
  s->hi = 2L * p->replicas0;
  s->best_replicas = 0;
  s->stop_reason = "";
}

static bool finish(cs__search *s, const char *why) {
  s->done = true;
  s->stop_reason = why;
  return false;
}

static bool next_probe(cs__search *s, cs__probe *out) {
  if (s->done) return false;
  if (s->awaiting) {
    *out = s->pending;
    return true;
  }
  cs__probe p = {.qps = 0, .replicas = s->p.replicas0};
  switch (s->p.kind) {
  case CS_SEARCH_QPS:
    if (s->iter >= s->p.max_iterations) return finish(s, "max_iterations");
    if (!s->found) {
      p.qps = s->right;
    } else {
      if (fabs(s->left - s->right) < s->p.granularity_pct * s->right / 100) return finish(s, "granularity");
      if (s->right < s->p.min_qps) return finish(s, "min_qps");
      p.qps = (s->left + s->right) / 2;
    }
    break;
  case CS_SEARCH_NUM_REPLICAS:
    if (s->iter >= s->p.max_iterations) return finish(s, "max_iterations");
    p.qps = s->p.qps0;
    if (!s->found) {
      p.replicas = (int)s->hi;
    } else {
      if (s->lo > s->hi) return finish(s, "converged");
      p.replicas = (int)((s->lo + s->hi) / 2);
    }
    break;
  case CS_SEARCH_ISOQPS:
    if (s->iter >= s->p.nmult) return finish(s, "all multipliers");
    p.qps = s->p.qps0 * s->p.multipliers[s->iter];
    break;
  }
  s->pending = p;
  s->awaiting = true;
  *out = p;
  return true;
}

/* Whether the probe s awaits is its last: neither verdict leads to another probe. */
static bool is_last(const cs__search *s) {
  for (int v = 0; v < 2; v++) {
    cs__search t = *s;
    cs__probe p;
    cs__search_report(&t, v == 1);
    if (next_probe(&t, &p)) return false;
  }
  return true;
}

bool cs__search_next(cs__search *s, cs__probe *out) {
  bool asked = s->awaiting;
  if (!next_probe(s, out)) return false;
  if (!asked) out->last = s->pending.last = is_last(s);
  return true;
}

void cs__search_report(cs__search *s, bool pass) {
  if (!s->awaiting) return;
  s->awaiting = false;
  s->iter++;
  s->nprobes++;
  const cs__probe *p = &s->pending;
  if (pass) s->any_pass = true;
  switch (s->p.kind) {
  case CS_SEARCH_QPS:
    if (!s->found) {
      if (pass) {
        s->left = s->right;
        s->right *= 2;
      } else {
        s->found = true;
      }
    } else if (pass) {
      s->left = p->qps;
    } else {
      s->right = p->qps;
    }
    if (pass && p->qps > s->best_qps) s->best_qps = p->qps;
    break;
  case CS_SEARCH_NUM_REPLICAS:
    if (!s->found) {
      if (pass) {
        s->found = true;
      } else {
        s->lo = s->hi + 1;
        s->hi *= 2;
      }
    } else if (pass) {
      s->hi = p->replicas - 1;
    } else {
      s->lo = p->replicas + 1;
    }
    if (pass && (s->best_replicas == 0 || p->replicas < s->best_replicas)) s->best_replicas = p->replicas;
    break;
  case CS_SEARCH_ISOQPS:
    if (pass && p->qps > s->best_qps) s->best_qps = p->qps;
    break;
  }
}

bool cs__search_answer(const cs__search *s, double *qps, int *replicas) {
  switch (s->p.kind) {
  case CS_SEARCH_QPS:
  case CS_SEARCH_ISOQPS:
    *qps = s->best_qps;
    *replicas = s->p.replicas0;
    break;
  case CS_SEARCH_NUM_REPLICAS:
    *qps = s->p.qps0;
    *replicas = s->best_replicas;
    break;
  }
  return s->any_pass;
}

int cs__search_max_probes(const cs__search_params *p) {
  return p->kind == CS_SEARCH_ISOQPS ? p->nmult : p->max_iterations;
}
