/* One job = one capacity search (vidur-semantics.md §7.7) driven through the pure state
 * machine of src/search: each probe is either replayed from its committed probe.json or
 * simulated (cs_sim_run), judged (cs_slo_evaluate: unfinished requests count as violating,
 * SPEC §4), written into a temporary directory that is renamed into place, and committed by
 * writing probe.json last. Everything here is per-job state; the plan is read-only. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "capsearch/sim.h"
#include "runner/runner.h"
#include "search/search.h"
#include "sim/result.h"
#include "store/store.h"
#include "util/fs.h"
#include "util/sbuf.h"
#include "util/text.h"

double cs__wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Copies an entry's parameters (checked when the sweep was resolved) into p. */
static int copy_params(cs_params *p, const cs_policy_info *info, int n, const char *const *names, const double *values,
                       const char *where, cs_err *err) {
  for (int i = 0; i < n; i++) {
    int rc = cs_params_set(p, info->params, info->nparams, info->name, names[i], values[i], where, err);
    if (rc) return rc;
  }
  return 0;
}

/* Sets the parameters the sweep fills per job (CS_PARAM_FROM_*): a value outside the
 * scheduler's declared bounds fails the job with the reason instead of running another one. */
static int job_params(cs_params *p, const cs_policy_info *info, const cs_sweep_job *j, double max_seq_len,
                      cs_err *err) {
  for (size_t i = 0; i < info->nparams; i++) {
    const cs_param_spec *s = &info->params[i];
    double v;
    if (s->flags & CS_PARAM_FROM_BATCH_SIZE) v = (double)j->batch_size * j->pp;
    else if (s->flags & CS_PARAM_FROM_MAX_SEQ_LEN) v = max_seq_len;
    else continue;
    int rc = cs_params_set(p, info->params, info->nparams, info->name, s->name, v,
                           s->flags & CS_PARAM_FROM_BATCH_SIZE ? "batch size x pp" : "the trace's max_seq_len", err);
    if (rc) return rc;
  }
  return 0;
}

/* The simulator configuration of one probe (Vidur's invocation, §7.5, with capsearch's
 * deliberate fix: prefix caching follows the trace's enable_prefix_caching). */
static int sim_config(const cs__plan *plan, const cs__runner_opts *o, const cs_sweep_job *j, const cs__probe *pr,
                      cs_sim_config *c, cs_err *err) {
  const cs_sweep *s = plan->sweep;
  const cs_sweep_gsched *g = &s->gscheds[j->gsched];
  const cs_sweep_rsched *r = &s->rscheds[j->rsched];
  const cs_sweep_queue *q = &s->queues[j->queue];
  const cs_sweep_trace *t = &s->traces[j->trace];
  const cs_sweep_search *sc = &s->searches[j->search];
  cs_sim_config_defaults(c);
  c->model = plan->models[j->model];
  c->device = plan->devices[j->cluster];
  c->network = plan->networks[j->cluster];
  c->tp = j->tp;
  c->pp = j->pp;
  if (j->ep > 1) c->ep = j->ep, c->dp = cs__job_attention_dp(j);
  c->num_replicas = pr->replicas;
  int rc;
  if (!r->policy || !g->policy || !q->policy)
    return cs_err_set(err, CS_EINVAL, "the sweep's policies were not resolved (cs_sweep_resolve_policies)");
  c->replica_scheduler = r->scheduler;
  c->replica_policy = r->policy;
  if ((rc = copy_params(&c->replica_params, r->policy, r->nparams, r->param_names, r->param_values,
                        "replica_schedulers", err)) ||
      (rc = job_params(&c->replica_params, r->policy, j, t->max_seq_len.v, err)))
    return rc;
  c->global_scheduler = g->scheduler;
  c->global_policy = g->policy;
  if ((rc = copy_params(&c->global_params, g->policy, g->nparams, g->param_names, g->param_values,
                        "global_schedulers", err)))
    return rc;
  c->request_queue = q->provider;
  c->queue_policy = q->policy;
  const char *slo_name = "slo_prefill_e2e_time_normalized";
  if (q->has_slo_norm &&
      (rc = copy_params(&c->queue_params, q->policy, 1, &slo_name, &q->slo_prefill_e2e_time_normalized,
                        "request_queues", err)))
    return rc;
  c->prefix_caching = t->enable_prefix_caching;
  c->workload.arrival = CS_ARRIVAL_POISSON;
  c->workload.qps = pr->qps;
  c->workload.length = CS_LENGTH_TRACE;
  c->workload.trace = cs__plan_job_trace(plan, j);
  c->workload.num_requests = (int64_t)sc->num_requests.v;
  c->workload.max_seq_len = cs__plan_job_view(plan, j)->limit;
  c->workload.seed = o->has_seed ? o->seed : s->seed;
  c->time_limit_s = o->time_limit_s;
  c->vidur_restart_quirk = s->vidur_restart_quirk;
  c->predictor = plan->preds[plan->job_pred[j->index]].pred;
  /* stop once the SLO verdict is a certain fail: the search only reads the verdict */
  /* the search's last probe runs to the end too: failing, it is the nearest failing probe, which
   * the conclusion quotes, so complete_stopped would simulate it again from the start */
  c->early_stop_slo = o->full_probes || pr->last ? NULL : &s->slos[j->slo];
  c->early_stop_in_flight = !s->verdict_vidur; /* Vidur's verdict never sees unfinished requests */
  return 0;
}

int cs__probe_config(const cs__plan *plan, const cs__runner_opts *o, const cs_sweep_job *j, const cs__probe *pr,
                     cs_sim_config *c, cs_err *err) {
  return sim_config(plan, o, j, pr, c, err);
}

void cs__result_verdict(const cs__plan *plan, const cs_sweep_job *j, const cs_sim_result *res,
                        cs__probe_record *v) {
  size_t n = 0;
  const cs_request_record *recs = cs_sim_result_records(res, &n);
  *v = (cs__probe_record){0};
  cs__probe_verdict(plan->sweep, j, recs, n, cs_sim_result_stats(res)->num_arrived, v);
}

/* Whether the memo's result m of this probe may be written as this job's own: when its verdict
 * under this job's SLO holds, this job's simulation could not have stopped early (an early stop
 * is a certain fail of that SLO), so it would have been this same full run; and a full run
 * (--full-probes, the search's last probe, or a stopped probe rerun to the end) is that run by
 * definition. */
static bool memo_serves(const cs__plan *plan, const cs__runner_opts *o, const cs_sweep_job *j,
                        const cs__probe *pr, const cs_sim_result *m) {
  if (o->full_probes || pr->last) return true;
  cs__probe_record v;
  cs__result_verdict(plan, j, m, &v);
  return v.slo_pass;
}

/* The probe's simulation result: a sibling's from the memo (*from set to that job's hash, *owned
 * NULL: the memo keeps it), the speculative one from sj, or simulated now (*owned = *res). */
static int probe_result(const cs__plan *plan, const cs__runner_opts *o, const cs_sweep_job *j, const cs__probe *pr,
                        const cs_sim_config *cfg, const char *pdir, cs__spec_job *sj, cs__memo *memo,
                        const cs_sim_result **res, cs_sim_result **owned, double *wall, const char **from,
                        cs_err *err) {
  *owned = NULL;
  *from = NULL;
  const cs_sim_result *m = cs__memo_find(memo, pr, wall, from);
  if (m && memo_serves(plan, o, j, pr, m)) {
    *res = m;
    return 0;
  }
  *from = NULL;
  int rc = 0;
  bool ahead = sj && cs__spec_take(sj, pr, owned, wall, &rc, err);
  if (ahead) cs__store_log(pdir, "capsearch: simulated ahead on a thread the last jobs left idle", NULL);
  if (!ahead) {
    double t0 = cs__wall_now();
    rc = cs__probe_simulate(plan, j, cfg, owned, err);
    *wall = cs__wall_now() - t0;
  }
  *res = *owned;
  return rc;
}

/* Simulates one probe (or takes its result from the memo or sj) and commits it; a full result
 * it simulated goes to the memo. */
static int run_probe(const cs__plan *plan, const cs__runner_opts *o, const cs_sweep_job *j, const cs__probe *pr,
                     int probe_no, const char *pdir, const char *job_json, const char *key, cs__spec_job *sj,
                     cs__memo *memo, cs__probe_record *rec, bool *shared, cs_err *err) {
  int rc = cs__store_clean_probe(pdir, err);
  if (rc || (rc = cs__mkdir_p(pdir, err))) return rc;
  char qbuf[32], line[1600], how[96];
  cs__fmt_pyfloat(pr->qps, qbuf);
  snprintf(line, sizeof line, "capsearch: job %s probe %d: simulating %d replicas at qps %s", j->hash, probe_no,
           pr->replicas, qbuf);
  cs__store_log(pdir, line, NULL);
  cs_sim_config cfg;
  if ((rc = sim_config(plan, o, j, pr, &cfg, err))) return rc;
  const cs_sim_result *res = NULL;
  cs_sim_result *owned = NULL;
  double wall = 0;
  const char *from = NULL;
  rc = probe_result(plan, o, j, pr, &cfg, pdir, sj, memo, &res, &owned, &wall, &from, err);
  *shared = from != NULL;
  if (rc) {
    cs_sim_result_free(owned);
    snprintf(line, sizeof line, "capsearch: simulation failed: %s", err ? err->msg : "");
    cs__store_log(pdir, line, NULL);
    return rc;
  }
  if (from) snprintf(how, sizeof how, "taken from sibling job %s's simulation (%.3f s wall there)", from, wall);
  else snprintf(how, sizeof how, "simulated in %.3f s wall", wall);
  const cs_sim_stats *st = cs_sim_result_stats(res);
  size_t n = 0;
  const cs_request_record *recs = cs_sim_result_records(res, &n);
  *rec = (cs__probe_record){.qps = pr->qps,
                            .replicas = pr->replicas,
                            .completed = st->num_completed,
                            .arrived = st->num_arrived,
                            .events = st->num_events,
                            .end_time = st->end_time,
                            .hit_time_limit = st->hit_time_limit,
                            .stopped_early = st->stopped_early};
  cs__probe_verdict(plan->sweep, j, recs, n, st->num_arrived, rec);
  if (st->stopped_early && rec->slo_pass) { /* cannot happen (cs_slo_deciding_violations) */
    cs_sim_result_free(owned);
    return cs_err_set(err, CS_ESIM, "probe stopped early but its partial verdict passes; rerun with --full-probes");
  }
  cs__store_timestamp_name(probe_no, rec->timestamp_dir);
  snprintf(rec->key, sizeof rec->key, "%s", key);
  char *tmp = NULL, *fin = NULL;
  cs__digests dig = {0};
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__sbuf_addf(&sb, "%s/.tmp-%s", pdir, rec->timestamp_dir);
  tmp = cs__sbuf_detach(&sb);
  cs__sbuf_release(&sb);
  fin = cs__path_join(pdir, rec->timestamp_dir);
  /* --keep-runs answers|none: nothing synced now; the job's end prunes most of these files before
   * their writeback and makes the rest durable (keep.c) */
  bool lazy = o->keep_runs != CS_KEEP_ALL;
  cs_sim_write_opts wo = {.gzip_request_metrics = o->compress,
                          .write_plots = true,
                          .config_json = job_json,
                          .private_dir = true,
                          .no_sync = lazy};
  /* aggregated probes hash their files as they write them, so probe.json need not read them back */
  if ((rc = cs__mkdir_p(tmp, err)) ||
      (rc = j->disagg ? cs__probe_write(plan, j, res, &cfg, tmp, &wo, err)
                      : cs__sim_write_outputs_digests(res, &cfg, tmp, &wo, &dig, err)) ||
      (rc = cs__rename_dir_sync(tmp, fin, !lazy, err)))
    goto out;
  snprintf(line, sizeof line,
           "capsearch: %s: %lld events, %lld/%lld requests completed, end time %.3f s%s; "
           "SLO value %.6g (%s); arrivals over %.6g s, keep-up ratio %.4g (%s%s) -> %s",
           how, (long long)st->num_events, (long long)st->num_completed, (long long)st->num_arrived, st->end_time,
           st->hit_time_limit ? " (hit the time limit)"
           : st->stopped_early ? " (stopped early: enough requests violate the SLO that the full run fails)"
                               : "",
           rec->value, rec->slo_pass ? "holds" : "violated", rec->window_s, rec->keepup_ratio,
           rec->kept_up ? "kept up" : rec->too_short ? "too short to tell" : "fell behind",
           st->stopped_early ? ", of the partial run up to the stop" : "", rec->pass ? "pass" : "fail");
  cs__store_log(pdir, line, NULL);
  rc = lazy ? cs__store_write_probe_lazy(pdir, rec, rec->timestamp_dir, &dig, err)
            : cs__store_write_probe_digests(pdir, rec, rec->timestamp_dir, &dig, err);
  if (rc) goto out;
  snprintf(line, sizeof line, "capsearch: committed probe.json (%s)", rec->pass ? "pass" : "fail");
  cs__store_log(pdir, line, NULL);
out:
  free(tmp);
  free(fin);
  cs__digests_release(&dig);
  if (owned && !rc && !st->stopped_early && !j->disagg) cs__memo_put(memo, pr, owned, wall, j->hash);
  else cs_sim_result_free(owned);
  return rc;
}

/* The run was asked to stop (Ctrl-C) or its wall-clock budget is spent: no new simulation starts. */
static bool must_stop(const cs__runner_opts *o, double t0) {
  return (o->stop && *o->stop) || (o->wall_budget_s > 0 && cs__wall_now() - t0 > o->wall_budget_s);
}

/* Whether the conclusion (cs__job_conclude) may read failing probe k's details: the nearest
 * miss when nothing passed; otherwise the failing probes beyond the answer, nearest first,
 * until one that is not too short to tell. */
static bool read_by_conclusion(const cs_sweep_search *sc, const cs__job_result *res, const cs__probe_record *v,
                               size_t n, size_t k) {
  bool by_rep = sc->search_for == CS_SEARCH_NUM_REPLICAS;
  if (v[k].pass) return false;
  for (size_t i = 0; i < n; i++) { /* a nearer failing probe that settles it first? */
    if (v[i].pass || i == k) continue;
    if (res->has_answer && (by_rep ? v[i].replicas >= res->answer_replicas : v[i].qps <= res->answer_qps)) continue;
    bool nearer = by_rep ? v[i].replicas > v[k].replicas : v[i].qps < v[k].qps;
    if (nearer && (!res->has_answer || (!v[i].stopped_early && !v[i].too_short))) return false;
  }
  return !res->has_answer || (by_rep ? v[k].replicas < res->answer_replicas : v[k].qps > res->answer_qps);
}

/* Early stopping keeps every verdict, but a stopped probe's value and keep-up figures are
 * partial, and the conclusion quotes some failing probes. Those are simulated to the end first,
 * in their own directory under their own ordinal, as --full-probes would have: results.csv and
 * their run files then equal a run without early stopping. Nearest first, one at a time: the
 * conclusion reads the failing probes beyond the answer only up to the first that is not too
 * short, so the farther stopped ones stay partial (in the seed sweep most of a job's failing
 * probes lie beyond the answer, and each run to the end costs about a passing probe). */
static int complete_stopped(const cs__plan *plan, const cs__runner_opts *o, const cs_sweep_job *j,
                            const char *job_json, const char *key, const cs__job_result *res,
                            cs__probe_record *v, size_t n, double t0, cs__memo *memo, int64_t *probes_run,
                            int *probes_shared, cs_err *err) {
  const cs_sweep_search *sc = &plan->sweep->searches[j->search];
  bool by_rep = sc->search_for == CS_SEARCH_NUM_REPLICAS;
  cs__runner_opts full = *o;
  full.full_probes = true;
  full.spec = NULL;
  for (;;) { /* nearest first: once it ran to the end and is not too short, farther ones are not read */
    size_t k = n;
    for (size_t i = 0; i < n; i++) {
      if (!v[i].stopped_early || !read_by_conclusion(sc, res, v, n, i)) continue;
      if (k == n || (by_rep ? v[i].replicas > v[k].replicas : v[i].qps < v[k].qps)) k = i;
    }
    if (k == n) return 0;
    if (must_stop(o, t0)) return CS_EINTR; /* the job stays pending; a rerun finishes it */
    const char *dash = strrchr(v[k].timestamp_dir, '-');
    int probe_no = dash ? atoi(dash + 1) : 0;
    cs__probe pr = {.qps = v[k].qps, .replicas = v[k].replicas};
    char *pdir = cs__store_probe_dir(o->out_dir, j->hash, pr.replicas, pr.qps);
    cs__store_log(pdir, "capsearch: simulating to the end: the job's conclusion quotes this probe", NULL);
    bool shared = false;
    int rc = run_probe(plan, &full, j, &pr, probe_no, pdir, job_json, key, NULL, memo, &v[k], &shared, err);
    free(pdir);
    if (rc) return rc;
    if (shared) (*probes_shared)++;
    else (*probes_run)++;
  }
}

/* A committed probe is reused only when its files are intact and it was decided by the same
 * inputs (key); otherwise it is simulated again (CS_ENOENT, with err->code CS_EIO and the
 * reason in output.log). A marker of a newer format, or for another probe, fails the job. */
static int reuse_probe(const char *pdir, const cs__probe *pr, const char *key, cs__probe_record *rec,
                       cs_err *err) {
  cs_err e = {0};
  int rc = cs__store_read_probe(pdir, rec, &e);
  if (rc == CS_ENOENT) {
    err->code = 0;
    return rc;
  }
  if (rc == 0 && (rec->qps != pr->qps || rec->replicas != pr->replicas))
    return cs_err_set(err, CS_EFORMAT, "%s/probe.json: holds qps %g with %d replicas, expected qps %g with %d", pdir,
                      rec->qps, rec->replicas, pr->qps, pr->replicas);
  if (rc == CS_EFORMAT) return cs_err_set(err, rc, "%s", e.msg);
  if (rc == 0 && !strcmp(rec->key, key)) return 0;
  char line[CS_ERR_MSG_MAX + 160];
  if (rc == 0)
    snprintf(line, sizeof line,
             "capsearch: committed probe was decided by other inputs (key %.12s, now %.12s: the SLO, trace, "
             "catalog or a parameter changed); simulating it again",
             rec->key[0] ? rec->key : "none", key);
  else
    snprintf(line, sizeof line, "capsearch: committed probe is damaged (%s); simulating it again", e.msg);
  cs__store_log(pdir, line, NULL);
  err->code = CS_EIO;
  return CS_ENOENT;
}

static void search_params_of(const cs__runner_opts *o, const cs_sweep_search *sc, const cs_sweep_job *j,
                             cs__search_params *sp) {
  cs__search_params_defaults(sp);
  sp->kind = sc->search_for;
  sp->qps0 = sc->qps.v;
  sp->replicas0 = j->num_replicas;
  sp->max_iterations = o->max_iterations;
  sp->granularity_pct = o->granularity_pct;
  sp->min_qps = o->min_qps;
  sp->multipliers = sc->qps_multipliers;
  sp->nmult = sc->nmult;
}

void cs__job_search_params(const cs__plan *plan, const cs__runner_opts *o, const cs_sweep_job *j,
                           cs__search_params *sp) {
  search_params_of(o, &plan->sweep->searches[j->search], j, sp);
}

/* Whether the search asked for this probe before (it may, after a bound moved), and its verdict. */
static bool was_seen(const cs__probe_seen *seen, size_t n, const cs__probe *pr, bool *pass) {
  for (size_t k = 0; k < n; k++)
    if (seen[k].qps == pr->qps && seen[k].replicas == pr->replicas) {
      *pass = seen[k].pass;
      return true;
    }
  return false;
}

/* A failed probe's reason, naming the probe as its directory does (r<replicas>_q<qps>). */
static char *probe_failure(const cs__probe *pr, const char *msg) {
  char q[32];
  cs__fmt_pyfloat(pr->qps, q);
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__sbuf_addf(&sb, "probe r%d_q%s: %s", pr->replicas, q, msg);
  char *reason = cs__sbuf_detach(&sb);
  cs__sbuf_release(&sb);
  return reason;
}

/* runs/<hash>/job.json and key.json, the latter before any probe: the probes analysis counts */
static int write_job_files(const cs__runner_opts *o, const char *jdir, const char *job_json, const char *key,
                           cs_err *err) {
  int rc = cs__path_guard(o->out_dir, jdir, err);
  if (!rc) rc = cs__store_write_job(jdir, job_json, err);
  if (!rc) rc = cs__store_write_job_key(jdir, key, err);
  return rc;
}

/* A probe simulated (or written from a sibling's simulation) counted and reported. */
static void count_probe(const cs__runner_opts *o, size_t ji, bool shared, double wall_s, cs__job_result *res,
                        int64_t *probes_run) {
  if (shared) res->probes_shared++;
  else (*probes_run)++;
  if (o->probe_done) o->probe_done(o->probe_ctx, ji, shared ? CS__PROBE_SHARED : CS__PROBE_SIMULATED, wall_s);
}

void cs__run_job(const cs__plan *plan, const cs__runner_opts *o, size_t ji, double t0, cs__job_result *res,
                 int64_t *probes_run, int64_t *probes_reused) {
  cs__run_job_memo(plan, o, ji, t0, NULL, res, probes_run, probes_reused);
}

/* --keep-runs answers|none, once the job's search is over: a finished job's probes that are
 * not kept are pruned, and what the job leaves is made durable; a damaged file fails the job (a
 * rerun simulates that probe again) */
static void keep_runs(const cs__runner_opts *o, const cs_sweep_job *j, cs_search_kind kind, const cs__probe_seen *seen,
                      size_t n, cs__job_result *res) {
  cs_err err = {0};
  if (o->keep_runs == CS_KEEP_ALL || n == 0) return;
  res->probes_pruned = cs__prune_runs(o, j, kind, res, seen, n); /* finished jobs only */
  if (cs__settle_runs(o, j, seen, n, &err) == 0) return;
  if (res->status != CS_JOB_OK && res->status != CS_JOB_NO_PASS) return; /* its own reason stays */
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__sbuf_addf(&sb, "%s; run the same command again to simulate that probe again", err.msg);
  free(res->reason);
  res->status = CS_JOB_FAILED;
  res->has_answer = false;
  res->reason = cs__sbuf_detach(&sb);
  cs__sbuf_release(&sb);
}

/* The job's search with its lock held (cs__run_job_memo). */
static void run_job_locked(const cs__plan *plan, const cs__runner_opts *o, size_t ji, double t0, cs__memo *memo,
                           cs__job_result *res, int64_t *probes_run, int64_t *probes_reused) {
  const cs_sweep_job *j = &plan->jobs.v[ji];
  const cs_sweep *s = plan->sweep;
  const cs_sweep_search *sc = &s->searches[j->search];
  *res = (cs__job_result){.status = CS_JOB_PENDING};
  CS__VEC(cs__probe_record) records = {0}; /* every distinct probe's record, for the conclusion */
  *probes_run = *probes_reused = 0;
  CS__VEC(cs__probe_seen) seen = {0};
  cs__spec_job *sj = NULL;
  cs_err err = {0};
  char *jdir = cs__store_job_dir(o->out_dir, j->hash);
  char *job_json = cs__job_json(plan, o, j);
  char key[41];
  cs__probe_key(plan, o, j, key);
  if (write_job_files(o, jdir, job_json, key, &err)) {
    res->status = CS_JOB_FAILED;
    res->reason = cs__xstrdup(err.msg);
    goto out;
  }
  if (j->status == CS_JOB_INFEASIBLE) {
    res->status = CS_JOB_INFEASIBLE;
    res->reason = cs__xstrdup(j->reason ? j->reason : "infeasible");
    goto out;
  }
  cs__search_params sp;
  search_params_of(o, sc, j, &sp);
  cs__search search;
  cs__search_init(&search, &sp);
  if (o->spec) sj = cs__spec_begin(o->spec, plan, o, j, memo);
  cs__probe pr;
  int probe_no = 0;
  bool stopped = false;
  while (cs__search_next(&search, &pr)) {
    probe_no++;
    bool pass = false, known = was_seen(seen.v, seen.n, &pr, &pass);
    if (known && o->probe_done) o->probe_done(o->probe_ctx, ji, CS__PROBE_REPEATED, 0);
    if (!known) {
      char *pdir = cs__store_probe_dir(o->out_dir, j->hash, pr.replicas, pr.qps);
      cs__probe_record rec;
      char *plog = cs__path_join(pdir, "output.log");
      int rc = cs__path_guard(o->out_dir, plog, &err);
      free(plog);
      if (rc == 0) rc = reuse_probe(pdir, &pr, key, &rec, &err);
      if (rc == 0) {
        (*probes_reused)++;
        if (o->probe_done) o->probe_done(o->probe_ctx, ji, CS__PROBE_REUSED, 0);
      } else if (rc == CS_ENOENT) {
        if (must_stop(o, t0)) {
          free(pdir);
          stopped = true;
          break;
        }
        if (err.code == CS_EIO) res->probes_redone++; /* reuse_probe said why in output.log */
        if (sj && !cs__memo_find(memo, &pr, NULL, NULL)) cs__spec_ahead(sj, &search, seen.v, seen.n);
        double started = cs__wall_now();
        bool shared = false;
        rc = run_probe(plan, o, j, &pr, probe_no, pdir, job_json, key, sj, memo, &rec, &shared, &err);
        if (rc == 0) count_probe(o, ji, shared, cs__wall_now() - started, res, probes_run);
      }
      free(pdir);
      if (rc) {
        res->status = CS_JOB_FAILED;
        res->reason = probe_failure(&pr, err.msg);
        break;
      }
      pass = rec.pass;
      cs__probe_seen sp2 = {pr.qps, pr.replicas, pass};
      cs__vec_push(&seen, sp2);
      cs__vec_push(&records, rec);
    }
    cs__search_report(&search, pass);
  }
  if (sj) res->probes_wasted = cs__spec_end(sj);
  res->probes = search.nprobes;
  res->probes_run = (int)*probes_run;
  res->probes_reused = (int)*probes_reused;
  if (res->status == CS_JOB_FAILED) goto out;
  int crc = CS_EINTR;
  if (!stopped) {
    res->has_answer = cs__search_answer(&search, &res->answer_qps, &res->answer_replicas);
    res->status = res->has_answer ? CS_JOB_OK : CS_JOB_NO_PASS;
    crc = complete_stopped(plan, o, j, job_json, key, res, records.v, records.n, t0, memo, probes_run,
                           &res->probes_shared, &err);
  }
  if (crc) { /* interrupted (the job stays pending; a rerun finishes it) or failed */
    res->status = crc == CS_EINTR ? CS_JOB_PENDING : CS_JOB_FAILED;
    res->reason = cs__xstrdup(crc == CS_EINTR ? "interrupted; run the same command again to continue" : err.msg);
    res->has_answer = false;
    goto out;
  }
  res->probes_run = (int)*probes_run;
  cs__job_conclude(plan, j, records.v, records.n, res);
out:
  keep_runs(o, j, sc->search_for, seen.v, seen.n, res);
  free(seen.v);
  free(records.v);
  free(job_json);
  free(jdir);
}

/* Removes what interrupted or overlapping writers left inside the job's probe directories
 * (".tmp-<timestamp>" run directories beside a committed probe; the job's lock is held). */
static void remove_probe_leftovers(const char *jdir) {
  DIR *d = opendir(jdir);
  if (!d) return;
  CS__VEC(char *) probes = {0};
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] == 'r' && strstr(e->d_name, "_q")) cs__vec_push(&probes, cs__path_join(jdir, e->d_name));
  closedir(d);
  for (size_t i = 0; i < probes.n; i++) {
    struct stat st;
    if (lstat(probes.v[i], &st) == 0 && S_ISDIR(st.st_mode)) cs__store_remove_tmp_files(probes.v[i]);
    free(probes.v[i]);
  }
  free(probes.v);
}

/* Two processes may reach one job (an overlapping or rerun --shard): the job's lock makes the
 * second wait for the first, then replay the probes it committed, instead of both writing the
 * same probe directories. */
void cs__run_job_memo(const cs__plan *plan, const cs__runner_opts *o, size_t ji, double t0, cs__memo *memo,
                      cs__job_result *res, int64_t *probes_run, int64_t *probes_reused) {
  char *jdir = cs__store_job_dir(o->out_dir, plan->jobs.v[ji].hash);
  cs__store_waiter w = {o->stop, o->waiting, o->progress_ctx};
  cs__store_lock_t lk;
  cs_err err = {0};
  int rc = cs__path_guard(o->out_dir, jdir, &err);
  if (!rc) rc = cs__store_lock_job(jdir, &w, &lk, &err);
  if (rc) {
    *probes_run = *probes_reused = 0;
    *res = (cs__job_result){.status = rc == CS_EINTR ? CS_JOB_PENDING : CS_JOB_FAILED,
                            .reason = cs__xstrdup(err.msg)};
  } else {
    remove_probe_leftovers(jdir);
    run_job_locked(plan, o, ji, t0, memo, res, probes_run, probes_reused);
    cs__store_unlock(&lk);
  }
  free(jdir);
}
