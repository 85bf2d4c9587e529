/* The probe memo of a sibling group (runner.h): jobs that differ only by their SLO run the same
 * simulation at the same (replicas, qps), since the SLO enters a simulation only as its early
 * stop. The group's thread keeps the full (not stopped early) results its jobs simulated, and a
 * later sibling writes its own probe from one where its own run would have been that same full
 * simulation (job.c decides when). A result is owned by the memo from cs__memo_put until
 * cs__memo_free; lookups borrow it.
 *
 * Memory: one full-size result is mostly request records (~6-7 MB at 23,608 requests), so the
 * memo holds at most `budget` bytes. Over budget it drops the highest-QPS results first: the
 * lowest-QPS probes are the longest simulations (most events), hence the costliest to repeat,
 * and every sibling's search starts there. */
#include <stdio.h>
#include <stdlib.h>

#include "runner/runner.h"
#include "sim/result.h"
#include "util/sbuf.h"

typedef struct memo_entry {
  cs__probe pr;
  cs_sim_result *res;
  size_t bytes;
  double wall;      /* seconds the simulation took */
  char from[9];     /* the hash of the job that simulated it */
} memo_entry;

struct cs__memo {
  size_t budget, bytes, peak;
  bool storing;
  CS__VEC(memo_entry) e;
};

cs__memo *cs__memo_new(size_t budget_bytes) {
  cs__memo *m = cs__xcalloc(1, sizeof *m);
  m->budget = budget_bytes;
  m->storing = true;
  return m;
}

void cs__memo_free(cs__memo *m) {
  if (!m) return;
  for (size_t i = 0; i < m->e.n; i++) cs_sim_result_free(m->e.v[i].res);
  free(m->e.v);
  free(m);
}

void cs__memo_storing(cs__memo *m, bool on) {
  if (m) m->storing = on;
}

size_t cs__memo_peak_bytes(const cs__memo *m) { return m ? m->peak : 0; }

/* The heap bytes a result holds (what freeing it returns), from its arrays' lengths. */
size_t cs__sim_result_bytes(const cs_sim_result *r) {
  size_t b = sizeof *r;
  b += r->nrecords * (sizeof *r->records + sizeof *r->completion_order);
  if (r->extra_values) b += r->nrecords * sizeof *r->extra_values;
  b += (size_t)r->num_replicas * (sizeof *r->replicas + (size_t)CS__BM_COUNT * sizeof *r->batch_replica);
  b += (size_t)r->num_replicas * (size_t)r->num_stages * sizeof *r->stages;
  b += r->narrivals * (sizeof *r->arrivals + sizeof *r->arrival_replica);
  b += r->ncompletions * sizeof *r->completions;
  b += r->nchrome * sizeof *r->chrome + r->nbatch_rows * sizeof *r->batch_rows;
  return b;
}

const cs_sim_result *cs__memo_find(const cs__memo *m, const cs__probe *pr, double *wall, const char **from) {
  if (!m) return NULL;
  for (size_t i = 0; i < m->e.n; i++) {
    const memo_entry *x = &m->e.v[i];
    if (x->pr.qps != pr->qps || x->pr.replicas != pr->replicas) continue;
    if (wall) *wall = x->wall;
    if (from) *from = x->from;
    return x->res;
  }
  return NULL;
}

/* The entry to drop first: the highest QPS, then the most replicas. */
static size_t evictee(const cs__memo *m) {
  size_t k = 0;
  for (size_t i = 1; i < m->e.n; i++) {
    const cs__probe *a = &m->e.v[i].pr, *b = &m->e.v[k].pr;
    if (a->qps > b->qps || (a->qps == b->qps && a->replicas > b->replicas)) k = i;
  }
  return k;
}

void cs__memo_put(cs__memo *m, const cs__probe *pr, cs_sim_result *res, double wall, const char *from) {
  if (!m || !m->storing || cs__memo_find(m, pr, NULL, NULL)) {
    cs_sim_result_free(res);
    return;
  }
  memo_entry x = {.pr = *pr, .res = res, .bytes = cs__sim_result_bytes(res), .wall = wall};
  snprintf(x.from, sizeof x.from, "%s", from ? from : "");
  cs__vec_push(&m->e, x);
  m->bytes += x.bytes;
  while (m->bytes > m->budget && m->e.n) {
    size_t k = evictee(m);
    m->bytes -= m->e.v[k].bytes;
    cs_sim_result_free(m->e.v[k].res);
    m->e.v[k] = m->e.v[--m->e.n];
  }
  if (m->bytes > m->peak) m->peak = m->bytes;
}
