/* Jobs -> cores (vidur-semantics.md §7.9, re-done with OpenMP): one job (a whole sequential
 * capacity search) per thread, schedule(dynamic, 1) over jobs sorted longest-first by
 * estimated cost (requests x replicas x probes), per-job result slots sized before the
 * parallel region. Shared files (results.csv, progress) are written inside one critical
 * section; run files belong to exactly one job, hence one thread. */
#include <omp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/runner.h"
#include "store/store.h"
#include "util/fs.h"
#include "util/sbuf.h"

typedef struct shared_state {
  cs__progress prog;
  cs__eta eta;
  const cs__runner_opts *o;
  double t0, last_progress, last_results;
} shared_state;

static void report(const cs__runner_opts *o, shared_state *st, double t0, bool final) {
  if (!o->progress) return;
  double now = cs__wall_now();
  if (!final && now - st->last_progress < o->progress_interval_s) return;
  st->last_progress = now;
  st->prog.elapsed_s = now - t0;
  cs__eta_fill(&st->eta, &st->prog, o->stop && *o->stop);
  st->prog.final = final;
  o->progress(o->progress_ctx, &st->prog);
}

/* opts.probe_done: every finished probe refines the estimate (called by the job's thread) */
static void on_probe(void *ctx, size_t ji, int kind, double wall_s) {
  shared_state *st = ctx;
#pragma omp critical(cs_runner_shared)
  {
    st->prog.probes_run += kind == CS__PROBE_SIMULATED;
    st->prog.probes_reused += kind == CS__PROBE_REUSED;
    /* a probe from a sibling's simulation (memo.c) is done but teaches nothing about speed */
    cs__eta_probe(&st->eta, ji, kind == CS__PROBE_SIMULATED, wall_s);
    report(st->o, st, st->t0, false);
  }
}

/* The readers of a sibling group's memo (memo.c): the group's jobs in run order. */
typedef struct group_readers {
  const cs__plan *p;
  const size_t *jobs; /* the group's job indices */
  cs__search_params *sp;
} group_readers;

/* cs__memo_verdict_fn: the group's job r's verdict, the one its search would report */
static unsigned reader_verdict(void *ctx, size_t r, const cs_sim_result *res) {
  const group_readers *g = ctx;
  cs__probe_record v;
  cs__result_verdict(g->p, &g->p->jobs.v[g->jobs[r]], res, &v);
  return (v.pass ? CS__MEMO_PASS : 0u) | (v.slo_pass ? CS__MEMO_SLO_PASS : 0u) | (v.too_short ? CS__MEMO_TOO_SHORT : 0u);
}

/* A memo for the group jobs[0..n-1] (NULL when it has nothing to share), with its readers. */
static cs__memo *group_memo(const cs__plan *p, const cs__runner_opts *o, const size_t *jobs, size_t n,
                            group_readers *g) {
  *g = (group_readers){.p = p, .jobs = jobs};
  if (n < 2 || p->jobs.v[jobs[0]].disagg) return NULL;
  g->sp = cs__xmalloc(n * sizeof *g->sp);
  for (size_t k = 0; k < n; k++) cs__job_search_params(p, o, &p->jobs.v[jobs[k]], &g->sp[k]);
  cs__memo *m = cs__memo_new(CS__MEMO_BUDGET_BYTES);
  cs__memo_readers(m, g->sp, n, reader_verdict, g);
  cs__memo_serves_all(m, o->full_probes);
  return m;
}

static void group_memo_free(cs__memo *m, group_readers *g) {
  cs__memo_free(m);
  free(g->sp);
}

typedef struct cost_idx {
  double cost;
  size_t idx;
} cost_idx;

/* Longest first; ties by expansion index (qsort is not stable, so the index decides). */
static int cmp_cost_desc(const void *a, const void *b) {
  const cost_idx *x = a, *y = b;
  if (x->cost != y->cost) return x->cost > y->cost ? -1 : 1;
  return x->idx < y->idx ? -1 : x->idx > y->idx;
}

size_t *cs__job_order(const cs__plan *p, size_t *n) {
  cost_idx *ci = cs__xmalloc((p->jobs.n ? p->jobs.n : 1) * sizeof *ci);
  size_t k = 0;
  for (size_t i = 0; i < p->jobs.n; i++)
    if (p->selected[i]) ci[k++] = (cost_idx){p->cost[i], i};
  qsort(ci, k, sizeof *ci, cmp_cost_desc);
  size_t *ord = cs__xmalloc((k ? k : 1) * sizeof *ord);
  for (size_t i = 0; i < k; i++) ord[i] = ci[i].idx;
  free(ci);
  *n = k;
  return ord;
}

bool cs__jobs_siblings(const cs_sweep_job *a, const cs_sweep_job *b) {
  return a->search == b->search && a->model == b->model && a->cluster == b->cluster && a->trace == b->trace &&
         a->gsched == b->gsched && a->queue == b->queue && a->rsched == b->rsched && a->tp == b->tp &&
         a->pp == b->pp && a->batch_size == b->batch_size && a->num_replicas == b->num_replicas &&
         a->disagg == b->disagg && a->shape == b->shape && a->prefill_replicas == b->prefill_replicas &&
         a->decode_replicas == b->decode_replicas && a->decode_tp == b->decode_tp && a->decode_pp == b->decode_pp &&
         a->ep == b->ep;
}

/* The jobs of ord (cost order) in sibling groups (cs__jobs_siblings): each group's members
 * consecutive in *grouped, in cost order, the groups in the order of their first member;
 * start[g]..start[g + 1] delimit group g. Returns the group count. Quadratic in the job count,
 * but a comparison stops at the first field that differs. */
static size_t group_jobs(const cs__plan *p, const size_t *ord, size_t n, size_t *grouped, size_t *start) {
  bool *taken = cs__xcalloc(n ? n : 1, sizeof *taken);
  size_t g = 0, k = 0;
  for (size_t i = 0; i < n; i++) {
    if (taken[i]) continue;
    start[g++] = k;
    const cs_sweep_job *a = &p->jobs.v[ord[i]];
    for (size_t m = i; m < n; m++) {
      if (taken[m] || (m != i && !cs__jobs_siblings(a, &p->jobs.v[ord[m]]))) continue;
      taken[m] = true;
      grouped[k++] = ord[m];
    }
  }
  start[g] = k;
  free(taken);
  return g;
}

static bool is_job_of(void *ctx, const char *hash) {
  const cs__plan *p = ctx;
  for (size_t i = 0; i < p->jobs.n; i++)
    if (!strcmp(p->jobs.v[i].hash, hash)) return true;
  return false;
}

size_t cs__plan_mark_other_jobs(const cs__plan *p, const cs__runner_opts *o) {
  return cs__store_mark_other_jobs(o->out_dir, is_job_of, (void *)p);
}

/* A job's result into the shared state (the job's thread, in the critical section). */
static void job_finished(const cs__plan *p, const cs__runner_opts *o, shared_state *st, cs__runner_summary *sum,
                         cs__job_result *res, size_t ji, const cs__job_result *r, double t0, bool sharded) {
#pragma omp critical(cs_runner_shared)
  {
    sum->probes_wasted += r->probes_wasted;
    sum->probes_redone += r->probes_redone;
    sum->probes_shared += r->probes_shared;
    sum->probes_pruned += r->probes_pruned;
    res[ji] = *r;
    st->prog.jobs_done += r->status != CS_JOB_PENDING;
    st->prog.jobs_failed += r->status == CS_JOB_FAILED;
    cs__eta_job_done(&st->eta, ji);
    report(o, st, t0, false);
    /* refresh results.csv every few seconds so a long sweep shows its answers early */
    double now = cs__wall_now();
    if (!sharded && now - st->last_results > 5) {
      char *csv = cs__results_csv(p, res);
      cs__store_write_top(o->out_dir, "results.csv", csv, NULL);
      free(csv);
      st->last_results = now;
    }
  }
}

/* The selected jobs' statuses into sum; each failed job and its reason to o->job_failed. */
static void count_results(const cs__plan *p, const cs__runner_opts *o, const cs__job_result *res,
                          cs__runner_summary *sum) {
  for (size_t i = 0; i < p->jobs.n; i++) {
    if (!p->selected[i]) continue;
    switch (res[i].status) {
    case CS_JOB_OK:
      sum->ok++;
      sum->bounds += cs__answer_is_bound(&res[i]);
      break;
    case CS_JOB_NO_PASS: sum->no_pass++; break;
    case CS_JOB_INFEASIBLE: sum->infeasible++; break;
    case CS_JOB_FAILED:
      sum->failed++;
      if (o->job_failed) o->job_failed(o->progress_ctx, &p->jobs.v[i], res[i].reason);
      break;
    case CS_JOB_PENDING: sum->pending++; break;
    }
  }
}

int cs__plan_run(cs__plan *p, const cs__runner_opts *o, cs__runner_summary *sum, cs_err *err) {
  memset(sum, 0, sizeof *sum);
  double t0 = cs__wall_now();
  int rc = cs__plan_open_store(p, o, o->shard_n > 1, err);
  sum->untouched = rc == CS_EINTR; /* stopped while waiting for the directory (--wait) */
  if (rc) return rc;
  if (o->args_json && (rc = cs__store_write_top(o->out_dir, "args.json", o->args_json, err))) return rc;
  if ((rc = cs__plan_prepare(p, o, err))) return rc;
  sum->jobs_other = cs__plan_mark_other_jobs(p, o);

  size_t n = p->jobs.n, nsel = 0;
  cs__job_result *res = cs__xcalloc(n ? n : 1, sizeof *res);
  for (size_t i = 0; i < n; i++) res[i].status = CS_JOB_PENDING;
  size_t *ord = cs__job_order(p, &nsel);
  shared_state st = {0};
  st.prog.jobs_total = nsel;
  st.last_results = t0;
  st.t0 = t0;
  st.o = o;
  bool sharded = o->shard_n > 1;
  /* no more than a few threads per core (-j 100000 would exhaust OpenMP); threads beyond the
   * job count are not idle: they simulate ahead for the searches (spec.c) */
  int procs = omp_get_num_procs(), threads = o->threads > 0 ? o->threads : procs;
  if (threads > 4 * procs) threads = 4 * procs;
  if (threads < 1) threads = 1;
  cs__fd_limit_at_least(256 + (uint64_t)threads * (CS_SYNCSET_MAX + 8)); /* each thread's probe files */
  cs__eta_init(&st.eta, p, o, ord, nsel, threads);
  /* speculative probes on the threads the last jobs leave idle (spec.c) */
  cs__spec_pool pool = {.threads = threads};
  atomic_init(&pool.unstarted, (long)nsel);
  atomic_init(&pool.active, 0);
  atomic_init(&pool.inflight, 0);
  cs__runner_opts jo = *o;
  jo.spec = threads > 1 ? &pool : NULL;
  jo.probe_done = on_probe; /* the jobs report each probe to the estimate */
  jo.probe_ctx = &st;

  /* one sibling group per iteration (memo.c): its jobs one after another on one thread, sharing
   * the full simulations that serve them all; groups keep the longest-first order */
  size_t *grouped = cs__xmalloc((nsel ? nsel : 1) * sizeof *grouped);
  size_t *gstart = cs__xmalloc((nsel + 1) * sizeof *gstart);
  size_t ngroups = group_jobs(p, ord, nsel, grouped, gstart);
  cs__eta_groups(&st.eta, grouped, gstart, ngroups);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (size_t g = 0; g < ngroups; g++) {
    size_t first = gstart[g], end = gstart[g + 1];
    /* the group's jobs leave the queue together: speculation waits for no job of it */
    atomic_fetch_sub(&pool.unstarted, (long)(end - first));
    group_readers gr;
    cs__memo *memo = group_memo(p, &jo, grouped + first, end - first, &gr);
    for (size_t k = first; k < end; k++) {
      size_t ji = grouped[k];
      cs__job_result r;
      int64_t run = 0, reused = 0;
      cs__memo_storing(memo, k + 1 < end);
      atomic_fetch_add(&pool.active, 1);
      cs__run_job_memo(p, &jo, ji, t0, memo, &r, &run, &reused);
      atomic_fetch_sub(&pool.active, 1);
      job_finished(p, o, &st, sum, res, ji, &r, t0, sharded);
      cs__memo_done_before(memo, k + 1 - first);
    }
    group_memo_free(memo, &gr);
  }
  free(grouped);
  free(gstart);
  free(ord);
  report(o, &st, t0, true);
  cs__eta_free(&st.eta);

  if (!sharded) {
    char *csv = cs__results_csv(p, res);
    rc = cs__store_write_top(o->out_dir, "results.csv", csv, err);
    free(csv);
  }
  sum->jobs = nsel;
  count_results(p, o, res, sum);
  sum->probes_run = st.prog.probes_run;
  sum->probes_reused = st.prog.probes_reused;
  sum->wall_s = cs__wall_now() - t0;
  sum->interrupted = sum->pending > 0;
  for (size_t i = 0; i < n; i++) free(res[i].reason);
  free(res);
  if (rc) return rc;
  if (sum->interrupted)
    return cs_err_set(err, CS_EINTR, "stopped with %zu of %zu jobs unfinished; run the same command again to continue",
                      sum->pending, nsel);
  return 0;
}
