/* Invariant harness: see sim_invariants.h for what it checks and how to use it.
 * Include this file (not just the header) from a tests/test_sim_*.c file. */
#include "sim_invariants.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine.h"
#include "sched/policy.h"

typedef struct inv_ev { /* one handled event */
  double t;
  int64_t seq, pushed; /* its sequence number; events pushed before it was handled */
  int32_t kind;
} inv_ev;

typedef struct inv_state {
  sim_inv_result *res;
  double last_t;
  inv_ev *evs;
  size_t nevs, cap_evs;
  unsigned char *flags; /* per request id: 1 in flight, 2 completed */
  size_t nflags;
  int64_t preemptions, batches;
} inv_state;

static void inv_fail(inv_state *s, const char *fmt, ...) {
  s->res->violations++;
  if (s->res->first[0]) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->res->first, sizeof s->res->first, fmt, ap);
  va_end(ap);
}

static unsigned char *inv_flag(inv_state *s, int64_t id) {
  if ((size_t)id >= s->nflags) {
    size_t n = s->nflags ? s->nflags : 1024;
    while (n <= (size_t)id) n *= 2;
    s->flags = realloc(s->flags, n);
    memset(s->flags + s->nflags, 0, n - s->nflags);
    s->nflags = n;
  }
  return &s->flags[id];
}

static void inv_memory(inv_state *s, cs__sim *sim, int32_t k, const char *when) {
  double m = cs__sim_replica_memory_percent(sim, k);
  if (!(m >= -1e-9 && m <= 100 + 1e-9)) inv_fail(s, "replica %d memory use %.3f%% outside [0, 100] %s", k, m, when);
}

static void inv_on_event(void *ud, cs__sim *sim, const cs__event *ev) {
  inv_state *s = ud;
  if (ev->t < s->last_t) inv_fail(s, "time went back from %.17g to %.17g (event kind %d)", s->last_t, ev->t, cs__event_kind(ev));
  s->last_t = ev->t;
  if (s->nevs == s->cap_evs) {
    s->cap_evs = s->cap_evs ? 2 * s->cap_evs : 4096;
    s->evs = realloc(s->evs, s->cap_evs * sizeof *s->evs);
  }
  s->evs[s->nevs++] = (inv_ev){ev->t, cs__event_seq(ev), sim->seq, cs__event_kind(ev)};
}

static bool inv_ev_less(const inv_ev *a, const inv_ev *b) {
  if (a->t != b->t) return a->t < b->t;
  if (a->kind != b->kind) return a->kind < b->kind;
  return a->seq < b->seq;
}

/* Each event was the least pending one when handled, in (time, kind, seq) order: every event
 * handled while j was already pushed (pushed > j's seq: a run of the events just before j)
 * orders before j. */
static void inv_event_order(inv_state *s) {
  for (size_t j = 0; j < s->nevs; j++)
    for (size_t i = j; i-- > 0 && s->evs[i].pushed > s->evs[j].seq;)
      if (!inv_ev_less(&s->evs[i], &s->evs[j])) {
        inv_fail(s, "event %lld (t %.17g, kind %d) handled before the pending event %lld (t %.17g, kind %d)",
                 (long long)s->evs[i].seq, s->evs[i].t, s->evs[i].kind, (long long)s->evs[j].seq, s->evs[j].t,
                 s->evs[j].kind);
        return;
      }
}

static void inv_on_batch_formed(void *ud, cs__sim *sim, const cs__batch *b) {
  inv_state *s = ud;
  s->batches++;
  const cs__replica_ctx *ctx = cs__sim_replica_ctx(sim, b->replica_id);
  if (b->n < 1) inv_fail(s, "empty batch %lld", (long long)b->id);
  if (cs_params_has(ctx->params, "batch_size_cap") && b->n > cs_params_get(ctx->params, "batch_size_cap", 0))
    inv_fail(s, "batch %lld has %d requests > batch_size_cap %g", (long long)b->id, b->n,
             cs_params_get(ctx->params, "batch_size_cap", 0));
  int64_t total = 0;
  for (int32_t i = 0; i < b->n; i++) {
    const cs__request *r = b->requests[i];
    int32_t n = b->num_tokens[i];
    total += n;
    unsigned char *f = inv_flag(s, r->id);
    if (*f & 1) inv_fail(s, "request %lld is in two batches in flight (batch %lld)", (long long)r->id, (long long)b->id);
    if (*f & 2) inv_fail(s, "completed request %lld scheduled again", (long long)r->id);
    *f |= 1;
    if (n < 1) inv_fail(s, "request %lld gets %d tokens in batch %lld", (long long)r->id, n, (long long)b->id);
    if (b->was_prefill[i] && r->num_processed + n > r->num_prefill)
      inv_fail(s, "request %lld prefill chunk %d beyond its prompt (%d of %d done)", (long long)r->id, n,
               r->num_processed, r->num_prefill);
    if (!b->was_prefill[i] && n != 1) inv_fail(s, "request %lld decodes %d tokens at once", (long long)r->id, n);
    if (r->replica_id != b->replica_id)
      inv_fail(s, "request %lld of replica %d in a batch of replica %d", (long long)r->id, r->replica_id, b->replica_id);
  }
  if (total != b->total_tokens) inv_fail(s, "batch %lld token total %lld != sum %lld", (long long)b->id,
                                         (long long)b->total_tokens, (long long)total);
  if (!strcmp(cs__sim_config(sim)->replica_scheduler, "vllm_v1") &&
      (double)total > cs_params_get(ctx->params, "chunk_size", 512))
    inv_fail(s, "vllm_v1 batch %lld has %lld tokens > chunk_size", (long long)b->id, (long long)total);
  inv_memory(s, sim, b->replica_id, "after forming a batch");
}

static void inv_on_batch_end(void *ud, cs__sim *sim, const cs__batch *b) {
  inv_state *s = ud;
  for (int32_t i = 0; i < b->n; i++) *inv_flag(s, b->requests[i]->id) &= (unsigned char)~1u;
  inv_memory(s, sim, b->replica_id, "after a batch end");
}

static void inv_on_preemption(void *ud, cs__sim *sim, int32_t replica, const cs__request *v) {
  inv_state *s = ud;
  (void)sim;
  (void)replica;
  (void)v;
  s->preemptions++;
}

static void inv_on_request_end(void *ud, cs__sim *sim, const cs__request *r) {
  inv_state *s = ud;
  (void)sim;
  unsigned char *f = inv_flag(s, r->id);
  if (*f & 2) inv_fail(s, "request %lld completed twice", (long long)r->id);
  *f |= 2;
  if (r->num_processed != r->num_prefill + r->num_decode)
    inv_fail(s, "request %lld completed with %d of %d tokens", (long long)r->id, r->num_processed,
             r->num_prefill + r->num_decode);
}

static void sim_inv_run(const cs_sim_config *cfg, bool expect_all, sim_inv_result *out) {
  memset(out, 0, sizeof *out);
  inv_state s = {.res = out};
  cs__sim_observer obs = {.ud = &s,
                          .on_event = inv_on_event,
                          .on_batch_formed = inv_on_batch_formed,
                          .on_batch_end = inv_on_batch_end,
                          .on_preemption = inv_on_preemption,
                          .on_request_end = inv_on_request_end,
                          .max_events = 20000000};
  cs_sim_result *res = NULL;
  cs_err err = {0};
  out->rc = cs__sim_run_observed(cfg, &obs, &res, &err);
  if (out->rc) {
    snprintf(out->err, sizeof out->err, "%s", err.msg);
    free(s.flags);
    free(s.evs);
    return;
  }
  inv_event_order(&s);
  const cs_sim_stats *st = cs_sim_result_stats(res);
  out->arrived = st->num_arrived;
  out->completed = st->num_completed;
  out->preemptions = s.preemptions;
  out->batches = s.batches;
  out->events = st->num_events;
  size_t n;
  const cs_request_record *rec = cs_sim_result_records(res, &n);
  for (size_t i = 1; i < n; i++)
    if (!(rec[i].v[CS_RM_REQUEST_ID] > rec[i - 1].v[CS_RM_REQUEST_ID]))
      inv_fail(&s, "request %g recorded twice or out of order", rec[i].v[CS_RM_REQUEST_ID]);
  if ((int64_t)n != st->num_completed) inv_fail(&s, "%zu records for %lld completions", n, (long long)st->num_completed);
  if (st->num_completed > st->num_arrived) inv_fail(&s, "more completions than arrivals");
  if (expect_all && st->num_completed != st->num_arrived)
    inv_fail(&s, "%lld of %lld requests completed%s", (long long)st->num_completed, (long long)st->num_arrived,
             st->hit_time_limit ? " (event cap hit: livelock?)" : "");
  cs_sim_result_free(res);
  free(s.flags);
  free(s.evs);
}

/* Required router parameters get their declared defaults so every router can run. */
static void inv_fill_required(cs_params *p, const cs_policy_info *info) {
  p->n = 0;
  for (size_t i = 0; i < info->nparams; i++)
    if (info->params[i].required) {
      p->names[p->n] = info->params[i].name;
      p->values[p->n++] = info->params[i].def;
    }
}

/* Every registered replica scheduler x every registered router on `base` (a config with model,
 * device, predictor and workload). Returns the number of failing combinations; appends one
 * line per failure (and per skipped combination) to `report`. Schedulers that reject the
 * setup with CS_ECONFIG/EINFEASIBLE (e.g. lightllm with PP > 1) are skipped, not failed.
 * lightllm runs with block_size 1 (token-level memory) and the same token capacity. */
static int sim_inv_all(const cs_sim_config *base, bool expect_all, bool expect_preemption, char *report, size_t cap,
                       int *runs) {
  int failures = 0;
  size_t used = strlen(report);
  const cs_policy_info *const *rs = cs_replica_sched_list();
  const cs_policy_info *const *gs = cs_global_sched_list();
  for (size_t i = 0; rs[i]; i++) {
    bool preempting = false, skipped = false;
    for (size_t j = 0; gs[j]; j++) {
      cs_sim_config c = *base;
      c.replica_scheduler = rs[i]->name;
      c.global_scheduler = gs[j]->name;
      c.replica_params.n = 0;
      inv_fill_required(&c.global_params, gs[j]);
      if (!strcmp(rs[i]->name, "lightllm")) {
        c.num_blocks = base->num_blocks * base->block_size;
        c.block_size = 1;
      }
      sim_inv_result r;
      sim_inv_run(&c, expect_all, &r);
      (*runs)++;
      if (r.rc == CS_ECONFIG || r.rc == CS_EINFEASIBLE) { /* reported once per scheduler */
        if (!skipped)
          used += (size_t)snprintf(report + used, used < cap ? cap - used : 0, "skip %s: %s\n", rs[i]->name, r.err);
        skipped = true;
        continue;
      }
      if (r.rc || r.violations) {
        failures++;
        used += (size_t)snprintf(report + used, used < cap ? cap - used : 0, "FAIL %s x %s: %s%s (%lld violations)\n",
                                 rs[i]->name, gs[j]->name, r.rc ? r.err : "", r.first, (long long)r.violations);
      }
      if (r.preemptions > 0) preempting = true;
    }
    /* schedulers that preempt by recomputation must do so under memory pressure */
    bool should = !strcmp(rs[i]->name, "vllm_v1") || !strcmp(rs[i]->name, "vllm") || !strcmp(rs[i]->name, "sarathi");
    if (expect_preemption && should && !preempting) {
      failures++;
      used += (size_t)snprintf(report + used, used < cap ? cap - used : 0,
                               "FAIL %s: no preemption under memory pressure\n", rs[i]->name);
    }
  }
  return failures;
}
