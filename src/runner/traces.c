/* The sweep's traces, loaded and checked once when the sweep is loaded (also by --dry-run):
 * missing, unreadable or empty files are errors; each job's rows are held against its limit,
 * the smaller of the trace's max_seq_len and the model's context (max_position_embeddings as
 * rope_scaling extends it), and rows over it follow the trace's `overlong` policy (default
 * clip, Vidur V0's rule, vidur-semantics.md §2.3). Each file is parsed once per process (two
 * sweep traces naming one file share it); views are shared by every job with the same trace
 * and limit, read-only across threads (the workload generators only read the rows). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/runner.h"
#include "search/search.h"
#include "util/sbuf.h"

static int64_t job_limit(const cs__plan *p, const cs_sweep_job *j, bool *model_limited) {
  int64_t msl = (int64_t)p->sweep->traces[j->trace].max_seq_len.v;
  int64_t ctx = cs_model_context_limit(p->models[j->model]);
  *model_limited = ctx > 0 && ctx < msl;
  return *model_limited ? ctx : msl;
}

static double mean_decode(const cs_trace *t) {
  double s = 0;
  for (size_t i = 0; i < t->n; i++) s += t->rows[i].decode;
  return t->n ? s / (double)t->n : 0;
}

static int make_view(cs__plan *p, const cs_sweep_job *j, cs__trace_view *v, cs_err *err) {
  const cs_sweep *s = p->sweep;
  const cs_sweep_trace *st = &s->traces[j->trace];
  const cs_trace *t = p->traces[j->trace];
  memset(v, 0, sizeof *v);
  v->trace = j->trace;
  v->model = j->model;
  v->limit = job_limit(p, j, &v->model_limited);
  cs_trace_count_overlong(t, v->limit, &v->st);
  v->mean_decode = mean_decode(t);
  if (!v->st.overlong) return 0;
  int rc = cs_trace_limit(t, v->limit, st->overlong, &v->limited, err);
  if (rc) {
    char why[256];
    if (v->model_limited)
      snprintf(why, sizeof why, "the context of %s (%lld tokens) is below max_seq_len %s", s->models[j->model].name,
               (long long)v->limit, st->max_seq_len.text);
    else
      snprintf(why, sizeof why, "max_seq_len %s", st->max_seq_len.text);
    cs_err_prefix(err, "%s:%d: traces[%zu] '%s' (limit: %s)", s->file, st->line, j->trace, st->name, why);
    return rc;
  }
  v->mean_decode = mean_decode(v->limited);
  return 0;
}

/* The first sweep trace with trace i's file path (i itself when none before it). */
static size_t first_of_path(const cs_sweep *s, size_t i) {
  size_t k = 0;
  while (k < i && strcmp(s->traces[k].path, s->traces[i].path)) k++;
  return k;
}

int cs__plan_load_traces(cs__plan *p, cs_err *err) {
  const cs_sweep *s = p->sweep;
  p->traces = cs__xcalloc(s->ntraces ? s->ntraces : 1, sizeof *p->traces);
  for (size_t i = 0; i < s->ntraces; i++) {
    size_t same = first_of_path(s, i);
    if (same < i) { /* the same file under another name: parsed once, shared read-only */
      p->traces[i] = p->traces[same];
      continue;
    }
    cs_trace_opts to = {.format = CS_TRACE_AUTO, .block_size = 16, .max_rows = 0};
    int rc = cs_trace_load(s->traces[i].path, &to, &p->traces[i], err);
    if (rc) {
      cs_err_prefix(err, "%s:%d: traces[%zu] '%s'", s->file, s->traces[i].line, i, s->traces[i].name);
      return rc;
    }
  }
  p->job_view = cs__xcalloc(p->jobs.n ? p->jobs.n : 1, sizeof *p->job_view);
  CS__VEC(cs__trace_view) views = {0};
  int rc = 0;
  for (size_t i = 0; i < p->jobs.n && !rc; i++) {
    const cs_sweep_job *j = &p->jobs.v[i];
    bool ml;
    int64_t lim = job_limit(p, j, &ml);
    size_t k = 0;
    for (; k < views.n; k++)
      if (views.v[k].trace == j->trace && views.v[k].limit == lim) break;
    if (k == views.n) {
      cs__trace_view v;
      if ((rc = make_view(p, j, &v, err))) break;
      cs__vec_push(&views, v);
    }
    p->job_view[i] = k;
  }
  p->views = views.v;
  p->nviews = views.n;
  return rc;
}

void cs__plan_release_traces(cs__plan *p) {
  for (size_t i = 0; i < p->nviews; i++) cs_trace_free(p->views[i].limited);
  free(p->views);
  free(p->job_view);
  if (p->sweep && p->traces)
    for (size_t i = 0; i < p->sweep->ntraces; i++)
      if (first_of_path(p->sweep, i) == i) cs_trace_free(p->traces[i]);
  free(p->traces);
  p->views = NULL;
  p->job_view = NULL;
  p->traces = NULL;
  p->nviews = 0;
}

const cs__trace_view *cs__plan_job_view(const cs__plan *p, const cs_sweep_job *j) {
  return p->views ? &p->views[p->job_view[j->index]] : NULL;
}

const cs_trace *cs__plan_job_trace(const cs__plan *p, const cs_sweep_job *j) {
  const cs__trace_view *v = cs__plan_job_view(p, j);
  return v && v->limited ? v->limited : p->traces[j->trace];
}

void cs_plan_job_estimate(const cs__plan *p, const cs__runner_opts *o, const cs_sweep_job *j, cs__job_estimate *e) {
  const cs_sweep_search *sc = &p->sweep->searches[j->search];
  memset(e, 0, sizeof *e);
  e->requests = (int64_t)sc->num_requests.v;
  if (j->status == CS_JOB_INFEASIBLE) return;
  cs__search_params sp;
  cs__search_params_defaults(&sp);
  sp.kind = sc->search_for;
  sp.qps0 = sc->qps.v;
  sp.replicas0 = j->num_replicas;
  sp.max_iterations = o->max_iterations;
  sp.granularity_pct = o->granularity_pct;
  sp.min_qps = o->min_qps;
  sp.multipliers = sc->qps_multipliers;
  sp.nmult = sc->nmult;
  e->max_probes = cs__search_max_probes(&sp);
  cs__search s;
  cs__search_init(&s, &sp);
  cs__probe first;
  if (cs__search_next(&s, &first)) {
    e->first_qps = first.qps;
    e->first_replicas = first.replicas;
    e->window_s = first.qps > 0 ? (double)e->requests / first.qps : 0;
  }
  int replicas = sc->search_for == CS_SEARCH_NUM_REPLICAS ? 2 * j->num_replicas : j->num_replicas;
  for (size_t i = 0; i < p->jobs.n; i++) /* the memo's group (runner.c): the siblings this process runs */
    e->siblings += p->jobs.v[i].status != CS_JOB_INFEASIBLE && cs_plan_job_selected(p, i) &&
                   cs__jobs_siblings(j, &p->jobs.v[i]);
  cs__job_cpu_estimate(e, replicas * j->pp, o->full_probes);
  cs__job_disk_estimate(e, replicas, o->compress);
}
