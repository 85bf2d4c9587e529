/* The progress estimate (issue: an ETA counted in jobs grew for an hour, because fast-failing
 * jobs finish first). It counts what is left in probes, each costed in requests x replicas x
 * pipeline stages x mean tokens per request of its trace, and learns the seconds per unit from
 * the probes simulated so far:
 *   ETA = sum over unfinished jobs of (max probes - probes done) x unit cost
 *         x (simulated seconds / simulated units) / min(threads, groups with unfinished jobs)
 * (a sibling group's jobs run one after another on one thread: runner.c). Probes written from
 * a sibling's simulation count as done but are not timed.
 * A search often stops before its maximum, so the estimate leans long and shrinks as searches
 * end; it is only shown once a probe has been timed, and never after an interrupt. */
#include <stdlib.h>

#include "runner/runner.h"
#include "util/sbuf.h"

static double mean_tokens(const cs_trace *t, double nreq) {
  if (!t || !t->n) return 1;
  size_t n = nreq > 0 && nreq < (double)t->n ? (size_t)nreq : t->n;
  double sum = 0;
  for (size_t i = 0; i < n; i++) sum += (double)t->rows[i].prefill + t->rows[i].decode;
  return sum > 0 ? sum / (double)n : 1;
}

void cs__eta_init(cs__eta *e, const cs__plan *p, const cs__runner_opts *o, const size_t *ord, size_t nsel,
                  int threads) {
  size_t n = p->jobs.n ? p->jobs.n : 1;
  *e = (cs__eta){.n = p->jobs.n, .threads = threads > 0 ? threads : 1};
  e->unit = cs__xcalloc(n, sizeof *e->unit);
  e->max_probes = cs__xcalloc(n, sizeof *e->max_probes);
  e->done = cs__xcalloc(n, sizeof *e->done);
  e->open = cs__xcalloc(n, sizeof *e->open);
  for (size_t k = 0; k < nsel; k++) {
    size_t i = ord[k];
    const cs_sweep_job *j = &p->jobs.v[i];
    const cs_sweep_search *sc = &p->sweep->searches[j->search];
    double unit = cs__job_probe_cost(p->sweep, j);
    if (unit <= 0) continue; /* infeasible: no probe */
    e->unit[i] = unit * mean_tokens(p->traces ? p->traces[j->trace] : NULL, sc->num_requests.v);
    e->max_probes[i] = cs__job_max_probes(p->sweep, j, o);
    e->open[i] = true;
  }
}

void cs__eta_probe(cs__eta *e, size_t ji, bool simulated, double wall_s) {
  if (ji >= e->n) return;
  e->done[ji]++;
  if (simulated && wall_s >= 0) {
    e->timed_units += e->unit[ji];
    e->timed_wall += wall_s;
    e->timed++;
  }
}

void cs__eta_groups(cs__eta *e, const size_t *grouped, const size_t *start, size_t ngroups) {
  free(e->group);
  free(e->gopen);
  e->group = cs__xcalloc(e->n ? e->n : 1, sizeof *e->group);
  e->gopen = cs__xcalloc(ngroups ? ngroups : 1, sizeof *e->gopen);
  e->ngroups = ngroups;
  for (size_t g = 0; g < ngroups; g++)
    for (size_t k = start[g]; k < start[g + 1]; k++)
      if (grouped[k] < e->n) e->group[grouped[k]] = g;
}

/* Threads that can be busy: one per sibling group with an open job. */
static size_t open_groups(const cs__eta *e, size_t open) {
  if (!e->group) return open;
  for (size_t g = 0; g < e->ngroups; g++) e->gopen[g] = false;
  size_t n = 0;
  for (size_t i = 0; i < e->n; i++)
    if (e->open[i] && !e->gopen[e->group[i]]) e->gopen[e->group[i]] = true, n++;
  return n;
}

void cs__eta_job_done(cs__eta *e, size_t ji) {
  if (ji < e->n) e->open[ji] = false;
}

void cs__eta_fill(const cs__eta *e, cs__progress *prog, bool stopping) {
  double units = 0;
  int64_t left = 0;
  size_t open = 0;
  for (size_t i = 0; i < e->n; i++) {
    if (!e->open[i]) continue;
    int l = e->max_probes[i] - e->done[i];
    if (l < 0) l = 0;
    left += l;
    units += l * e->unit[i];
    open++;
  }
  prog->probes_left = left;
  prog->probes_timed = e->timed;
  size_t busy = open_groups(e, open);
  prog->parallel = (int)(busy < (size_t)e->threads ? busy : (size_t)e->threads);
  prog->stopping = stopping;
  prog->eta_s = -1;
  if (stopping) return;
  if (!open) prog->eta_s = 0;
  else if (e->timed > 0 && e->timed_units > 0)
    prog->eta_s = units * (e->timed_wall / e->timed_units) / (prog->parallel > 0 ? prog->parallel : 1);
}

void cs__eta_free(cs__eta *e) {
  free(e->unit);
  free(e->max_probes);
  free(e->done);
  free(e->open);
  free(e->group);
  free(e->gopen);
}
