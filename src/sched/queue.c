/* Request queues (vidur-semantics.md §4.8): a binary heap of waiting requests ordered by
 * (key, request id), allocated from the simulation's arena.
 *  - fcfs: key = arrived_at, so a restarted request goes back near the front.
 *  - edf:  key = arrived_at + prefill_slo_time, with prefill_slo_time =
 *          max(P * slo_prefill_e2e_time_normalized, slo_prefill_e2e_time_min). */
#include <string.h>

#include "sched/policy.h"

typedef struct qent {
  double key;
  int64_t id;
  cs__request *r;
} qent;

struct cs__rqueue {
  cs__sim *sim;
  const cs__rqueue_ops *ops;
  const void *params; /* the order's parameters, bound once when the queue is made */
  qent *v;
  size_t n, cap;
};

static double fcfs_key(const cs__request *r, const void *params) {
  (void)params;
  return r->arrived_at;
}

typedef struct edf_params {
  double slo_prefill_e2e_time_normalized, slo_prefill_e2e_time_min;
} edf_params;

static double edf_key(const cs__request *r, const void *params) {
  const edf_params *p = params;
  double slo = (double)r->num_prefill * p->slo_prefill_e2e_time_normalized;
  if (slo < p->slo_prefill_e2e_time_min) slo = p->slo_prefill_e2e_time_min;
  return r->arrived_at + slo;
}

static const cs_param_spec edf_specs[] = {
    {CS_PARAM_FIELD(edf_params, slo_prefill_e2e_time_normalized), .type = CS_OPT_NUM, .def = 0.0,
     .range = {.min = 0.0, .max = 1e9},
     .flags = CS_PARAM_KEY, .help = "prefill deadline per prompt token, seconds"},
    {CS_PARAM_FIELD(edf_params, slo_prefill_e2e_time_min), .type = CS_OPT_NUM, .def = 0.0,
     .range = {.min = 0.0, .max = 1e9},
     .flags = CS_PARAM_KEY, .help = "lower bound of a prefill deadline, seconds"},
};

const cs__rqueue_ops cs__rqueue_fcfs = {
    .info = {.name = "fcfs", .summary = "first come first served: (arrived_at, id)", .params = NULL, .nparams = 0,
             .flags = CS_QUEUE_ARRIVAL_ORDER},
    .key = fcfs_key,
};

const cs__rqueue_ops cs__rqueue_edf = {
    .info = {.name = "edf",
             .summary = "earliest prefill deadline first: (arrived_at + prefill SLO, id)",
             .params = edf_specs,
             .nparams = sizeof edf_specs / sizeof edf_specs[0],
             .params_size = sizeof(edf_params)},
    .key = edf_key,
};

int cs__rqueue_require_arrival_order(const cs__rqueue_ops *ops, const char *policy, cs_err *err) {
  if (!ops || cs_registry_has(&ops->info, CS_QUEUE_ARRIVAL_ORDER)) return 0;
  return cs_err_set(err, CS_ECONFIG, "replica scheduler '%s' needs the 'fcfs' request queue (got '%s'; only sarathi "
                    "orders its waiting requests by another key)", policy, ops->info.name);
}

cs__rqueue *cs__rqueue_new(cs__sim *sim, const cs__rqueue_ops *ops, const cs_params *params) {
  cs__rqueue *q = cs__sim_alloc(sim, sizeof *q);
  q->sim = sim;
  q->ops = ops ? ops : &cs__rqueue_fcfs;
  const cs_policy_info *info = &q->ops->info;
  void *bound = cs__sim_alloc(sim, info->params_size ? info->params_size : 1);
  /* the caller validated `params` (simulation setup); should a value still be refused, the
   * order runs on its declared defaults */
  if (cs_params_bind(info->params, info->nparams, params, bound, info->name, "request queue", NULL))
    cs_params_bind(info->params, info->nparams, NULL, bound, info->name, "request queue", NULL);
  q->params = bound;
  q->cap = 64;
  q->v = cs__sim_alloc(sim, q->cap * sizeof *q->v);
  return q;
}

static bool less(const qent *a, const qent *b) { return a->key < b->key || (a->key == b->key && a->id < b->id); }

void cs__rqueue_push(cs__rqueue *q, cs__request *r) {
  if (q->n == q->cap) { /* grow inside the arena: geometric, so the waste is bounded by the final size */
    qent *nv = cs__sim_alloc(q->sim, 2 * q->cap * sizeof *nv);
    memcpy(nv, q->v, q->n * sizeof *nv);
    q->v = nv;
    q->cap *= 2;
  }
  qent e = {q->ops->key(r, q->params), r->id, r};
  size_t i = q->n++;
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!less(&e, &q->v[p])) break;
    q->v[i] = q->v[p];
    i = p;
  }
  q->v[i] = e;
}

cs__request *cs__rqueue_peek(const cs__rqueue *q) { return q->n ? q->v[0].r : NULL; }

cs__request *cs__rqueue_pop(cs__rqueue *q) {
  if (!q->n) return NULL;
  cs__request *top = q->v[0].r;
  qent last = q->v[--q->n];
  size_t i = 0, n = q->n;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && less(&q->v[c + 1], &q->v[c])) c++;
    if (!less(&q->v[c], &last)) break;
    q->v[i] = q->v[c];
    i = c;
  }
  if (n) q->v[i] = last;
  return top;
}

size_t cs__rqueue_size(const cs__rqueue *q) { return q->n; }
