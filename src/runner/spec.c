/* Speculative search (runner.h): every core busy to the end of a sweep. When the last jobs run
 * on fewer threads than there are, a job about to simulate probe P queues the probes its search
 * asks for next under each verdict of P (and, with more idle threads, under each verdict of
 * those) as OpenMP tasks. Threads waiting at the end of the job loop run them; a probe's result
 * stays in memory until the search asks for it, and is committed then by the job's own thread
 * in the search's order, exactly as if simulated at that moment: simulations are deterministic,
 * so answers and run files equal the sequential search's. The job thread claims a queued probe
 * back and simulates it itself when no thread took it. Probes the search never asks for are
 * cancelled (their runs stop within 1024 events) and counted as wasted.
 *
 * Slots are shared by the job thread and the task: reference counted, freed by the last user,
 * so a job never waits for a cancelled speculation to notice. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runner/runner.h"
#include "util/fs.h"
#include "util/sbuf.h"

enum { SPEC_QUEUED, SPEC_RUNNING, SPEC_DONE };
enum { SPEC_MAX = 16, SPEC_DEPTH = 3 };

typedef struct spec_slot {
  _Atomic int state, refs, cancel;
  cs__probe pr;
  const cs__plan *plan;
  const cs__runner_opts *o;
  const cs_sweep_job *j;
  cs__spec_pool *pool;
  cs_sim_result *res;
  double wall;
  int rc;
  cs_err err;
} spec_slot;

struct cs__spec_job {
  cs__spec_pool *pool;
  const cs__plan *plan;
  const cs__runner_opts *o;
  const cs_sweep_job *j;
  const cs__memo *memo; /* the job's sibling group's: its probes need no speculation */
  spec_slot *slot[SPEC_MAX];
  bool taken[SPEC_MAX];
  int n;
};

static void slot_release(spec_slot *sl) {
  if (atomic_fetch_sub(&sl->refs, 1) != 1) return;
  cs_sim_result_free(sl->res);
  free(sl);
}

static void slot_run(spec_slot *sl) {
  int expect = SPEC_QUEUED;
  if (!atomic_load(&sl->cancel) && atomic_compare_exchange_strong(&sl->state, &expect, SPEC_RUNNING)) {
    cs_sim_config cfg;
    double t0 = cs__wall_now();
    sl->rc = cs__probe_config(sl->plan, sl->o, sl->j, &sl->pr, &cfg, &sl->err);
    cfg.cancel = &sl->cancel;
    if (!sl->rc) sl->rc = cs__probe_simulate(sl->plan, sl->j, &cfg, &sl->res, &sl->err);
    sl->wall = cs__wall_now() - t0;
    atomic_store(&sl->state, SPEC_DONE);
  }
  atomic_fetch_sub(&sl->pool->inflight, 1);
  slot_release(sl);
}

cs__spec_job *cs__spec_begin(cs__spec_pool *pool, const cs__plan *plan, const cs__runner_opts *o,
                             const cs_sweep_job *j, const cs__memo *memo) {
  cs__spec_job *sj = cs__xcalloc(1, sizeof *sj);
  *sj = (cs__spec_job){.pool = pool, .plan = plan, .o = o, .j = j, .memo = memo};
  return sj;
}

static bool known(const cs__spec_job *sj, const cs__probe *p) {
  if (cs__memo_find(sj->memo, p, NULL, NULL)) return true;
  for (int i = 0; i < sj->n; i++)
    if (sj->slot[i]->pr.qps == p->qps && sj->slot[i]->pr.replicas == p->replicas) return true;
  return false;
}

/* A hypothetical search path: the verdicts assumed so far (probes not simulated yet). */
typedef struct path {
  cs__probe pr[SPEC_DEPTH + 1];
  bool pass[SPEC_DEPTH + 1];
  int n;
} path;

/* Advances s (awaiting a verdict) by `pass`, then past probes whose verdict is known (seen or
 * assumed on this path) to the next probe needing a simulation; false when the search ends. */
static bool next_unknown(cs__search *s, bool pass, const cs__probe_seen *seen, size_t nseen, const path *pa,
                         cs__probe *out) {
  cs__search_report(s, pass);
  while (cs__search_next(s, out)) {
    int k = -1;
    for (size_t i = 0; i < nseen && k < 0; i++)
      if (seen[i].qps == out->qps && seen[i].replicas == out->replicas) k = (int)i, pass = seen[i].pass;
    for (int i = 0; i < pa->n && k < 0; i++)
      if (pa->pr[i].qps == out->qps && pa->pr[i].replicas == out->replicas) k = i, pass = pa->pass[i];
    if (k < 0) return true;
    cs__search_report(s, pass);
  }
  return false;
}

static bool committed(const cs__spec_job *sj, const cs__probe *p) {
  char *pdir = cs__store_probe_dir(sj->o->out_dir, sj->j->hash, p->replicas, p->qps);
  char *pj = cs__path_join(pdir, "probe.json");
  bool yes = cs__path_exists(pj);
  free(pj);
  free(pdir);
  return yes;
}

static void queue(cs__spec_job *sj, const cs__probe *p) {
  spec_slot *sl = cs__xcalloc(1, sizeof *sl);
  sl->pr = *p;
  sl->plan = sj->plan;
  sl->o = sj->o;
  sl->j = sj->j;
  sl->pool = sj->pool;
  atomic_init(&sl->state, SPEC_QUEUED);
  atomic_init(&sl->refs, 2);
  atomic_init(&sl->cancel, 0);
  sj->slot[sj->n] = sl;
  sj->taken[sj->n++] = false;
  atomic_fetch_add(&sj->pool->inflight, 1);
#pragma omp task firstprivate(sl)
  slot_run(sl);
}

void cs__spec_ahead(cs__spec_job *sj, const cs__search *s, const cs__probe_seen *seen, size_t nseen) {
  cs__spec_pool *pool = sj->pool;
  if (atomic_load(&pool->unstarted) > 0) return;
  long idle = pool->threads - atomic_load(&pool->active) - atomic_load(&pool->inflight);
  if (idle <= 0) return;
  /* breadth first over the verdicts: both successors of the current probe, then theirs; a node
   * is a search awaiting probe `at`, reached by the verdicts assumed on its path */
  typedef struct node {
    cs__search s;
    path pa;
    cs__probe at;
  } node;
  node *q = cs__xmalloc(sizeof *q * (2u << SPEC_DEPTH));
  int head = 0, tail = 0;
  q[tail++] = (node){.s = *s, .pa = {.n = 0}, .at = s->pending};
  const cs__probe cur = s->pending;
  while (head < tail && idle > 0 && sj->n < SPEC_MAX) {
    const node nd = q[head++];
    /* the likelier verdict first: a pass while a qps search still doubles, else a fail */
    bool first = !nd.s.found && nd.s.p.kind == CS_SEARCH_QPS;
    for (int v = 0; v < 2 && idle > 0 && sj->n < SPEC_MAX; v++) {
      bool pass = v == 0 ? first : !first;
      node ch = nd;
      ch.pa.pr[ch.pa.n] = nd.at;
      ch.pa.pass[ch.pa.n] = pass;
      ch.pa.n++;
      if (!next_unknown(&ch.s, pass, seen, nseen, &ch.pa, &ch.at)) continue;
      bool is_cur = ch.at.qps == cur.qps && ch.at.replicas == cur.replicas;
      if (!is_cur && !known(sj, &ch.at) && !committed(sj, &ch.at)) {
        queue(sj, &ch.at);
        idle--;
      }
      if (ch.pa.n < SPEC_DEPTH) q[tail++] = ch;
    }
  }
  free(q);
}

bool cs__spec_take(cs__spec_job *sj, const cs__probe *p, cs_sim_result **res, double *wall, int *rc, cs_err *err) {
  for (int i = 0; i < sj->n; i++) {
    spec_slot *sl = sj->slot[i];
    if (sj->taken[i] || sl->pr.qps != p->qps || sl->pr.replicas != p->replicas || sl->pr.last != p->last)
      continue; /* a last probe runs to the end (job.c): a result of the other kind is not the same run */
    sj->taken[i] = true;
    int expect = SPEC_QUEUED;
    if (atomic_compare_exchange_strong(&sl->state, &expect, SPEC_RUNNING)) return false; /* nobody took it */
    struct timespec nap = {0, 200000}; /* 0.2 ms */
    while (atomic_load(&sl->state) != SPEC_DONE) nanosleep(&nap, NULL);
    *res = sl->res;
    sl->res = NULL;
    *wall = sl->wall;
    *rc = sl->rc;
    if (sl->rc && err) *err = sl->err;
    return true;
  }
  return false;
}

int cs__spec_end(cs__spec_job *sj) {
  int wasted = 0;
  for (int i = 0; i < sj->n; i++) {
    spec_slot *sl = sj->slot[i];
    if (!sj->taken[i]) {
      atomic_store(&sl->cancel, 1);
      int expect = SPEC_QUEUED; /* unstarted: it will never run */
      if (!atomic_compare_exchange_strong(&sl->state, &expect, SPEC_DONE)) wasted++;
    }
    slot_release(sl);
  }
  free(sj);
  return wasted;
}
