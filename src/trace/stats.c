/* Summary statistics of a trace (for `capsearch trace info` and for reports). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trace/internal.h"

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* numpy.percentile's default (linear interpolation between closest ranks) on sorted v. */
static double pct(const int64_t *v, size_t n, double q) {
  double pos = q * (double)(n - 1);
  size_t lo = (size_t)pos;
  if (lo + 1 >= n) return (double)v[n - 1];
  double frac = pos - (double)lo;
  return (double)v[lo] + frac * (double)(v[lo + 1] - v[lo]);
}

static void dist(int64_t *v, size_t n, cs_trace_dist *d) {
  qsort(v, n, sizeof *v, cmp_i64);
  double sum = 0;
  for (size_t i = 0; i < n; i++) sum += (double)v[i];
  d->mean = sum / (double)n;
  d->p50 = pct(v, n, 0.50);
  d->p90 = pct(v, n, 0.90);
  d->p99 = pct(v, n, 0.99);
  d->min = v[0];
  d->max = v[n - 1];
}

/* Open-addressing set of 64-bit ids (value + 1 stored, so 0 marks an empty slot). */
typedef struct idset {
  uint64_t *slot;
  size_t cap, n;
} idset;

static uint64_t h64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  return x ^ (x >> 33);
}

static bool idset_has(const idset *s, uint64_t id) {
  size_t m = s->cap - 1;
  for (size_t i = h64(id) & m; s->slot[i]; i = (i + 1) & m)
    if (s->slot[i] == id + 1) return true;
  return false;
}

static void idset_add(idset *s, uint64_t id);

/* Doubles the table (kept at most half full); most ids in a trace repeat, so the set stays far
 * smaller than the hash pool. */
static void idset_grow(idset *s) {
  idset old = *s;
  s->cap = old.cap ? old.cap * 2 : 1024;
  s->slot = cs__xcalloc(s->cap, sizeof *s->slot);
  s->n = 0;
  for (size_t i = 0; i < old.cap; i++)
    if (old.slot[i]) idset_add(s, old.slot[i] - 1);
  free(old.slot);
}

static void idset_add(idset *s, uint64_t id) {
  if ((s->n + 1) * 2 > s->cap) idset_grow(s);
  size_t m = s->cap - 1, i = h64(id) & m;
  for (; s->slot[i]; i = (i + 1) & m)
    if (s->slot[i] == id + 1) return;
  s->slot[i] = id + 1;
  s->n++;
}

/* Prompt blocks named by the trace's own ids: a row's first hash_n - hash_nfresh blocks (the
 * fresh ones fill in where ids are missing, and cover every output block). */
static void hash_cover(const cs_trace *t, cs_trace_stats *o) {
  if (!t->has_hashes || t->block_size <= 0) return;
  for (size_t i = 0; i < t->n; i++) {
    const cs_trace_row *r = &t->rows[i];
    int64_t need = r->prefill / t->block_size;
    int64_t named = r->hash_n ? (int64_t)r->hash_n - (int64_t)r->hash_nfresh : 0;
    int64_t have = named < need ? named : need;
    o->prompt_blocks += need;
    o->hash_blocks += have;
    o->hash_short_rows += have < need;
  }
  if (o->prompt_blocks) o->hash_coverage = (double)o->hash_blocks / (double)o->prompt_blocks;
}

void cs_trace_stats_compute(const cs_trace *t, cs_trace_stats *o) {
  memset(o, 0, sizeof *o);
  o->rows = t->n;
  o->arrival_span = o->mean_qps = NAN;
  if (!t->n) return;
  int64_t *v = cs__xmalloc(t->n * sizeof *v);
  for (size_t i = 0; i < t->n; i++) v[i] = t->rows[i].prefill;
  dist(v, t->n, &o->prefill);
  for (size_t i = 0; i < t->n; i++) v[i] = t->rows[i].decode;
  dist(v, t->n, &o->decode);
  for (size_t i = 0; i < t->n; i++) v[i] = (int64_t)t->rows[i].prefill + t->rows[i].decode;
  dist(v, t->n, &o->total);

  o->arrivals_sorted = true;
  if (t->has_arrivals) {
    double lo = t->rows[0].arrived_at, hi = lo;
    for (size_t i = 1; i < t->n; i++) {
      double a = t->rows[i].arrived_at;
      if (a < t->rows[i - 1].arrived_at) o->arrivals_sorted = false;
      if (a < lo) lo = a;
      if (a > hi) hi = a;
    }
    o->arrival_span = hi - lo;
    if (hi > lo) o->mean_qps = (double)(t->n - 1) / (hi - lo);
  }

  size_t with_sess = 0;
  for (size_t i = 0; i < t->n; i++)
    if (t->rows[i].session_id >= 0) v[with_sess++] = t->rows[i].session_id;
  o->session_coverage = (double)with_sess / (double)t->n;
  hash_cover(t, o);
  if (with_sess) {
    qsort(v, with_sess, sizeof *v, cmp_i64);
    o->sessions = 1;
    for (size_t i = 1; i < with_sess; i++) o->sessions += v[i] != v[i - 1];
  }
  free(v);

  if (t->has_hashes) {
    idset seen = {0};
    idset_grow(&seen);
    double prompt = 0, reused = 0;
    for (size_t i = 0; i < t->n; i++) {
      const cs_trace_row *r = &t->rows[i];
      prompt += r->prefill;
      uint32_t prompt_blocks = (uint32_t)(r->prefill / t->block_size);
      cs_block_hashes h = cs_trace_row_hashes(t, r, r->hash_n);
      for (uint32_t k = 0; k < h.n && k < prompt_blocks; k++)
        if (idset_has(&seen, cs_block_hash(&h, k))) reused += t->block_size;
      for (uint32_t k = 0; k < h.n; k++) idset_add(&seen, cs_block_hash(&h, k));
    }
    o->prefix_reuse = prompt > 0 ? reused / prompt : 0;
    free(seen.slot);
  }
}
