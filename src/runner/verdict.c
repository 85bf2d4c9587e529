/* A probe's verdict and what a job's result says about it (docs/sweep.md "Verdict"):
 *  - capsearch (default): the SLO holds, unfinished requests counting as violating (SPEC §4),
 *    AND the simulated system kept up with the offered load (cs_keepup_evaluate). The keep-up
 *    check is ANDed with the SLO, so a probe stopped early because its SLO cannot hold stays a
 *    fail whatever its keep-up figures.
 *  - vidur: Vidur's judgement exactly (vidur-semantics.md §7.6): the SLO over the completed
 *    requests only; no keep-up check.
 * A job's answer is marked by kind: `capacity` (a failing probe above it shows the limit),
 * `lower_bound` (no probe above it failed on the SLO or on keeping up: every probe passed, or
 * the failing ones had too little traffic to tell), `vidur` (Vidur's verdict: keep-up not
 * checked). A job with no passing probe reports its nearest miss. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "runner/runner.h"
#include "store/store.h"
#include "util/sbuf.h"
#include "util/text.h"

void cs__probe_verdict(const cs_sweep *s, const cs_sweep_job *j, const cs_request_record *recs, size_t n,
                       int64_t arrived, cs__probe_record *rec) {
  const cs_slo_config *slo = &s->slos[j->slo];
  cs_slo_verdict v;
  cs_slo_evaluate(slo, recs, n, s->verdict_vidur ? (int64_t)n : arrived, &v);
  cs_keepup k;
  cs_keepup_evaluate(recs, n, arrived, &k);
  rec->value = v.value;
  rec->slo_pass = v.pass;
  rec->window_s = k.span_s;
  rec->keepup_ratio = k.ratio;
  rec->sustained_qps = k.sustained_qps;
  rec->median_e2e = k.median_e2e;
  rec->kept_up = s->verdict_vidur ? true : k.kept_up;
  rec->too_short = s->verdict_vidur ? false : k.too_short;
  rec->pass = rec->slo_pass && rec->kept_up;
}

static const char *secs(double v, char *b, size_t n) {
  if (isinf(v)) snprintf(b, n, "inf (unfinished requests)");
  else if (fabs(v) < 1) snprintf(b, n, "%.3g ms", v * 1000);
  else snprintf(b, n, "%.4g s", v);
  return b;
}

/* "P99 request_e2e_time 75.3 s > 60 s at qps 0.25 (8 replicas)" and the like. */
void cs__probe_describe_miss(const cs_sweep *s, const cs_sweep_job *j, const cs__probe_record *r, cs__sbuf *sb) {
  const cs_slo_config *slo = &s->slos[j->slo];
  char q[32], b1[48], b2[48];
  cs__fmt_pyfloat(r->qps, q);
  if (!r->slo_pass) {
    if (slo->n == 1)
      cs__sbuf_addf(sb, "P%g %s %s > %s", slo->quantile * 100, cs_rm_name(slo->slos[0].metric),
                    secs(r->value, b1, sizeof b1), secs(slo->slos[0].value, b2, sizeof b2));
    else
      cs__sbuf_addf(sb, "%.4g%% of requests met SLO %s (needs %g%%)", r->value * 100, slo->name, slo->quantile * 100);
  } else if (r->too_short) {
    cs__sbuf_addf(sb,
                  "SLO held, but %lld requests arrived over only %.4g s, less than twice their median E2E %s: too "
                  "little traffic to tell capacity from a burst (raise num_requests)",
                  (long long)r->arrived, r->window_s, secs(r->median_e2e, b1, sizeof b1));
  } else if (r->completed < r->arrived) {
    cs__sbuf_addf(sb, "SLO held, but %lld of %lld requests were unfinished at the time limit",
                  (long long)(r->arrived - r->completed), (long long)r->arrived);
  } else {
    cs__sbuf_addf(sb, "SLO held, but completions kept pace with only %.3g%% of arrivals (needs %g%%): the backlog grew",
                  r->keepup_ratio * 100, CS_KEEPUP_MIN_RATIO * 100);
  }
  cs__sbuf_addf(sb, " at qps %s (%d replicas)", q, r->replicas);
  if (r->hit_time_limit && !r->pass) /* the SLO did not fail on its own: the limit cut the run */
    cs__sbuf_addf(sb,
                  "; the run hit --time-limit (ended at %.4g s simulated, %lld requests arrived, %lld finished): "
                  "requests it cut off count as violating; raise --time-limit (0 = no limit)",
                  r->end_time, (long long)r->arrived, (long long)r->completed);
}

/* The failed probe nearest to passing: the lowest QPS (qps, isoqps) or the most replicas. */
static const cs__probe_record *nearest_miss(const cs_sweep_search *sc, const cs__probe_record *v, size_t n) {
  const cs__probe_record *best = NULL;
  for (size_t i = 0; i < n; i++) {
    if (v[i].pass) continue;
    bool closer = !best || (sc->search_for == CS_SEARCH_NUM_REPLICAS ? v[i].replicas > best->replicas
                                                                      : v[i].qps < best->qps);
    if (closer) best = &v[i];
  }
  return best;
}

void cs__job_conclude(const cs__plan *plan, const cs_sweep_job *j, const cs__probe_record *v, size_t n,
                      cs__job_result *res) {
  const cs_sweep *s = plan->sweep;
  const cs_sweep_search *sc = &s->searches[j->search];
  bool by_rep = sc->search_for == CS_SEARCH_NUM_REPLICAS;
  res->sustained_qps = NAN;
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  if (!res->has_answer) {
    res->status = CS_JOB_NO_PASS;
    cs__sbuf_addf(&sb, "no probe met SLO %s%s", s->slos[j->slo].name, s->verdict_vidur ? "" : " and kept up");
    const cs__probe_record *m = nearest_miss(sc, v, n);
    if (m) {
      cs__sbuf_adds(&sb, "; nearest miss: ");
      cs__probe_describe_miss(s, j, m, &sb);
    }
    res->reason = cs__sbuf_detach(&sb);
    cs__sbuf_release(&sb);
    return;
  }
  for (size_t i = 0; i < n; i++)
    if (v[i].pass && v[i].qps == res->answer_qps && v[i].replicas == res->answer_replicas)
      res->sustained_qps = v[i].sustained_qps;
  /* failing probes beyond the answer, and whether any of them shows the limit */
  size_t beyond = 0, telling = 0;
  const cs__probe_record *short_one = NULL;
  for (size_t i = 0; i < n; i++) {
    if (v[i].pass) continue;
    bool past = by_rep ? v[i].replicas < res->answer_replicas : v[i].qps > res->answer_qps;
    if (!past) continue;
    beyond++;
    if (v[i].too_short) {
      if (!short_one || (by_rep ? v[i].replicas > short_one->replicas : v[i].qps < short_one->qps)) short_one = &v[i];
    } else {
      telling++;
    }
  }
  if (telling) {
    res->answer_kind = s->verdict_vidur ? "vidur" : "capacity";
  } else {
    res->answer_kind = by_rep ? "upper_bound" : "lower_bound";
    if (!beyond)
      cs__sbuf_addf(&sb, "%s: all %d probes passed; the limit was not found (raise --max-iterations)",
                    by_rep ? "upper bound" : "lower bound", res->probes);
    else {
      cs__sbuf_addf(&sb, "%s: the probes beyond it could not tell (", by_rep ? "upper bound" : "lower bound");
      cs__probe_describe_miss(s, j, short_one, &sb);
      cs__sbuf_addc(&sb, ')');
    }
    res->reason = cs__sbuf_detach(&sb);
  }
  cs__sbuf_release(&sb);
}

bool cs__answer_is_bound(const cs__job_result *r) { return r->answer_kind && strstr(r->answer_kind, "_bound"); }
