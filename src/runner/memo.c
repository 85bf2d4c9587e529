/* The probe memo of a sibling group (runner.h): jobs that differ only by their SLO run the same
 * simulation at the same (replicas, qps), since the SLO enters a simulation only as its early
 * stop. The group's thread keeps the full (not stopped early) results its jobs simulated, and a
 * later sibling writes its own probe from one where its own run would have been that same full
 * simulation (job.c decides when). A result is owned by the memo from cs__memo_put until
 * cs__memo_free; lookups borrow it.
 *
 * Memory: one full-size result is mostly request records (~6-7 MB at 23,608 requests). Given
 * the group's readers (cs__memo_readers), the memo keeps only the results a sibling that has not
 * finished may still read: a search is deterministic given its verdicts, so each such
 * sibling's search is replayed from its start through the memo, its own verdict on each held
 * result choosing the next probe; at a probe the memo lacks its verdict is not known yet, and
 * the replay follows both (a probe a sibling stopped early is often one where the next sibling's
 * verdict agrees, and the results beyond it are then served). A sibling never reads
 * a result it simulated itself (it answers a repeated probe from its own verdicts), so its
 * replay passes through those without keeping them. Of the other results on some replay path,
 * one where the sibling's SLO holds is served and stays; a failing one is read only if the
 * sibling's conclusion reruns its stopped probe there to the end (job.c, complete_stopped),
 * which it does nearest first and only until a full, not too short failure settles it: so a
 * failing result stays only on a path where no nearer held failure settles it (with
 * --full-probes every result reached is served and stays). The others are freed at once.
 * The byte budget stays as a backstop: over it the highest-QPS results go first, since the
 * lowest-QPS probes are the longest simulations (most events), hence the costliest to repeat,
 * and every search starts there. */
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
  size_t reader;    /* the reader (cs__memo_readers) that simulated it */
  unsigned char *verdicts; /* per reader: 0 not asked yet, else 0x80 | CS__MEMO_* bits (NULL: none asked) */
} memo_entry;

struct cs__memo {
  size_t budget, bytes, peak;
  bool storing;
  CS__VEC(memo_entry) e;
  /* the readers (cs__memo_readers): none set -> no pruning, only the budget */
  const cs__search_params *sp;
  size_t nreaders, first; /* readers before `first` have finished */
  cs__memo_verdict_fn verdict;
  void *ctx;
  bool serves_all; /* --full-probes (cs__memo_serves_all) */
};

cs__memo *cs__memo_new(size_t budget_bytes) {
  cs__memo *m = cs__xcalloc(1, sizeof *m);
  m->budget = budget_bytes;
  m->storing = true;
  return m;
}

void cs__memo_free(cs__memo *m) {
  if (!m) return;
  for (size_t i = 0; i < m->e.n; i++) {
    cs_sim_result_free(m->e.v[i].res);
    free(m->e.v[i].verdicts);
  }
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

/* The entry of probe pr, or m->e.n when there is none. */
static size_t find_index(const cs__memo *m, const cs__probe *pr) {
  for (size_t i = 0; i < m->e.n; i++)
    if (m->e.v[i].pr.qps == pr->qps && m->e.v[i].pr.replicas == pr->replicas) return i;
  return m->e.n;
}

const cs_sim_result *cs__memo_find(const cs__memo *m, const cs__probe *pr, double *wall, const char **from) {
  if (!m) return NULL;
  size_t i = find_index(m, pr);
  if (i == m->e.n) return NULL;
  if (wall) *wall = m->e.v[i].wall;
  if (from) *from = m->e.v[i].from;
  return m->e.v[i].res;
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

void cs__memo_readers(cs__memo *m, const cs__search_params *sp, size_t n, cs__memo_verdict_fn verdict, void *ctx) {
  if (!m) return;
  m->sp = sp;
  m->nreaders = n;
  m->first = 0;
  m->verdict = verdict;
  m->ctx = ctx;
}

/* Reader r's verdict bits (CS__MEMO_*) on entry i (cached: a replay asks for them many times). */
static unsigned reader_bits(cs__memo *m, size_t i, size_t r) {
  memo_entry *x = &m->e.v[i];
  if (!x->verdicts) x->verdicts = cs__xcalloc(m->nreaders, 1);
  if (!x->verdicts[r]) x->verdicts[r] = (unsigned char)(0x80u | (m->verdict(m->ctx, r, x->res) & 0x7fu));
  return x->verdicts[r] & 0x7fu;
}

/* One probe of a replayed path: the entry holding it (m->e.n: none) and the reader's verdict
 * bits there (where the memo lacks it, the verdict the path assumes). */
typedef struct step {
  cs__probe p;
  size_t entry;
  unsigned bits;
} step;

/* One reader's replay: its search from the start through the memo (memo.c's head comment). */
typedef struct replay {
  cs__memo *m;
  size_t r;
  bool *keep;
  size_t want;  /* entries it could still keep: when none, the replay is over */
  long steps;   /* search steps left; past CS__MEMO_REPLAY_STEPS everything is kept */
  CS__VEC(step) path;
} replay;

#define CS__MEMO_REPLAY_STEPS 65536L

/* Whether the failing probe x of a finished path may be read by the reader's conclusion
 * (job.c read_by_conclusion, complete_stopped): beyond the answer (or nothing passed), and no
 * nearer failing probe settles it first: with no answer any nearer miss; otherwise a nearer one
 * beyond the answer that is a full, not too short run. A held result is such a run: the reader
 * is served it, or simulates the same run, or reruns its stopped probe there to the end
 * (nearest first) before x. A probe the memo lacks may stop early: it settles nothing. */
static bool conclusion_reads(const replay *w, const step *x, bool has, double aq, int ar, bool by_rep) {
  if (has && !(by_rep ? x->p.replicas < ar : x->p.qps > aq)) return false;
  for (size_t j = 0; j < w->path.n; j++) {
    const step *y = &w->path.v[j];
    if ((y->bits & CS__MEMO_PASS) || (y->p.qps == x->p.qps && y->p.replicas == x->p.replicas)) continue;
    if (has && !(by_rep ? y->p.replicas < ar : y->p.qps > aq)) continue;
    bool nearer = by_rep ? y->p.replicas > x->p.replicas : y->p.qps < x->p.qps;
    bool settles = y->entry < w->m->e.n && !(y->bits & CS__MEMO_TOO_SHORT);
    if (nearer && (!has || settles)) return false;
  }
  return true;
}

/* Marks the held results a finished path reads: those served to the reader (its SLO holds
 * there, or --full-probes) and the failing ones its conclusion may rerun. Not its own. */
static void mark_path(replay *w, const cs__search *s) {
  double aq = 0;
  int ar = 0;
  bool has = cs__search_answer(s, &aq, &ar);
  bool by_rep = s->p.kind == CS_SEARCH_NUM_REPLICAS;
  for (size_t k = 0; k < w->path.n && w->want; k++) {
    const step *x = &w->path.v[k];
    size_t i = x->entry;
    if (i == w->m->e.n || w->keep[i] || w->m->e.v[i].reader == w->r) continue;
    if (w->m->serves_all || (x->bits & CS__MEMO_SLO_PASS) || conclusion_reads(w, x, has, aq, ar, by_rep))
      w->keep[i] = true, w->want--;
  }
}

/* Walks search s (not awaiting a verdict) to its end: a probe the memo holds takes the reader's
 * verdict on it; where the memo lacks the probe the verdict is not known yet, so both are
 * followed (an isoqps search asks for the same probes either way, but its answer differs). */
static void walk(replay *w, cs__search s) {
  size_t depth = w->path.n;
  cs__probe p;
  bool more = true;
  while (w->want && w->steps > 0 && (more = cs__search_next(&s, &p))) {
    w->steps--;
    step st = {.p = p, .entry = find_index(w->m, &p)};
    if (st.entry == w->m->e.n) {
      cs__search pass = s;
      cs__search_report(&pass, true);
      size_t here = w->path.n;
      st.bits = CS__MEMO_PASS | CS__MEMO_SLO_PASS;
      cs__vec_push(&w->path, st);
      walk(w, pass);
      w->path.n = here;
      st.bits = 0;
    } else {
      st.bits = reader_bits(w->m, st.entry, w->r);
    }
    cs__vec_push(&w->path, st);
    cs__search_report(&s, st.bits & CS__MEMO_PASS);
  }
  if (w->want && w->steps > 0 && !more) mark_path(w, &s);
  w->path.n = depth;
}

/* Marks the entries reader r may read: those some path of its replayed search reads. */
static void mark_replay(cs__memo *m, size_t r, bool *keep) {
  replay w = {.m = m, .r = r, .keep = keep, .steps = CS__MEMO_REPLAY_STEPS};
  for (size_t i = 0; i < m->e.n; i++) w.want += !keep[i] && m->e.v[i].reader != r;
  cs__search s;
  cs__search_init(&s, &m->sp[r]);
  walk(&w, s);
  free(w.path.v);
  if (w.steps <= 0) /* too many paths to follow: keep what it might read (the budget still holds) */
    for (size_t i = 0; i < m->e.n; i++) keep[i] = keep[i] || m->e.v[i].reader != r;
}

static void drop(cs__memo *m, size_t k) {
  m->bytes -= m->e.v[k].bytes;
  cs_sim_result_free(m->e.v[k].res);
  free(m->e.v[k].verdicts);
  m->e.v[k] = m->e.v[--m->e.n];
}

/* Frees every entry on no unfinished reader's replay path (no-op without readers). */
static void prune(cs__memo *m) {
  if (!m->verdict || !m->e.n) return;
  bool *keep = cs__xcalloc(m->e.n, sizeof *keep);
  for (size_t r = m->first; r < m->nreaders; r++) mark_replay(m, r, keep);
  for (size_t i = m->e.n; i-- > 0;) /* from the end: drop moves the last entry into slot i */
    if (!keep[i]) drop(m, i);
  free(keep);
}

void cs__memo_serves_all(cs__memo *m, bool on) {
  if (m) m->serves_all = on;
}

void cs__memo_done_before(cs__memo *m, size_t first) {
  if (!m || !m->verdict) return;
  m->first = first;
  prune(m);
}

void cs__memo_put(cs__memo *m, const cs__probe *pr, cs_sim_result *res, double wall, const char *from) {
  if (!m || !m->storing || cs__memo_find(m, pr, NULL, NULL)) {
    cs_sim_result_free(res);
    return;
  }
  /* the group's jobs run one after another: the running one is the first unfinished reader */
  memo_entry x = {.pr = *pr, .res = res, .bytes = cs__sim_result_bytes(res), .wall = wall, .reader = m->first};
  snprintf(x.from, sizeof x.from, "%s", from ? from : "");
  cs__vec_push(&m->e, x);
  m->bytes += x.bytes;
  prune(m);
  while (m->bytes > m->budget && m->e.n) drop(m, evictee(m));
  if (m->bytes > m->peak) m->peak = m->bytes;
}
