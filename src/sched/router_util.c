/* Router helpers: Python-compatible tie-breaking, session map, per-request table, imbalance.
 * See router_util.h for the contracts. */
#include "sched/router_util.h"

#include <string.h>

int32_t cs__rt_choice_min_i64(cs__mt *rng, const int64_t *vals, int32_t n, int32_t *scratch) {
  int64_t min = vals[0];
  for (int32_t i = 1; i < n; i++)
    if (vals[i] < min) min = vals[i];
  int32_t k = 0;
  for (int32_t i = 0; i < n; i++)
    if (vals[i] == min) scratch[k++] = i;
  /* random.choice(seq) = seq[_randbelow(len(seq))]; _randbelow(1) still consumes a word. */
  return scratch[cs__mt_randbelow(rng, (uint64_t)k)];
}

/* ---- session map -------------------------------------------------------------------------- */
static uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

static void smap_alloc(cs__rt_smap *m, uint64_t cap) {
  m->keys = cs__sim_alloc(m->sim, (size_t)cap * sizeof *m->keys);
  m->vals = cs__sim_alloc(m->sim, (size_t)cap * sizeof *m->vals);
  m->cap = cap;
  m->n = 0;
}

void cs__rt_smap_init(cs__rt_smap *m, cs__sim *sim) {
  m->sim = sim;
  smap_alloc(m, 64);
}

static uint64_t smap_slot(const cs__rt_smap *m, uint64_t key) {
  uint64_t i = mix64(key) & (m->cap - 1);
  while (m->keys[i] && m->keys[i] != key) i = (i + 1) & (m->cap - 1);
  return i;
}

int32_t cs__rt_smap_get(const cs__rt_smap *m, int64_t sid) {
  if (sid < 0) return -1;
  uint64_t i = smap_slot(m, (uint64_t)sid + 1);
  return m->keys[i] ? m->vals[i] : -1;
}

void cs__rt_smap_put(cs__rt_smap *m, int64_t sid, int32_t replica) {
  if (sid < 0) return;
  if ((m->n + 1) * 4 > m->cap * 3) { /* keep load <= 3/4: rehash into a table twice as large */
    uint64_t *ok = m->keys;
    int32_t *ov = m->vals;
    uint64_t ocap = m->cap, on = m->n;
    smap_alloc(m, ocap * 2);
    for (uint64_t j = 0; j < ocap; j++) {
      if (!ok[j]) continue;
      uint64_t s = smap_slot(m, ok[j]);
      m->keys[s] = ok[j];
      m->vals[s] = ov[j];
    }
    m->n = on;
  }
  uint64_t key = (uint64_t)sid + 1, i = smap_slot(m, key);
  if (!m->keys[i]) {
    m->keys[i] = key;
    m->n++;
  }
  m->vals[i] = replica;
}

/* ---- per-request table -------------------------------------------------------------------- */
void cs__rt_itab_init(cs__rt_itab *t, cs__sim *sim, int32_t def) {
  t->sim = sim;
  t->v = NULL;
  t->cap = 0;
  t->def = def;
}

int32_t cs__rt_itab_get(const cs__rt_itab *t, int64_t id) {
  return (id >= 0 && id < t->cap) ? t->v[id] : t->def;
}

void cs__rt_itab_set(cs__rt_itab *t, int64_t id, int32_t value) {
  if (id < 0) return;
  if (id >= t->cap) {
    int64_t cap = t->cap ? t->cap : 1024;
    while (cap <= id) cap *= 2;
    int32_t *nv = cs__sim_alloc(t->sim, (size_t)cap * sizeof *nv);
    if (t->cap) memcpy(nv, t->v, (size_t)t->cap * sizeof *nv);
    for (int64_t i = t->cap; i < cap; i++) nv[i] = t->def;
    t->v = nv;
    t->cap = cap;
  }
  t->v[id] = value;
}

/* ---- prefix-cache question ------------------------------------------------------------------ */
void cs__prefix_query_init(cs__prefix_query *q, cs__sim *sim) {
  memset(q, 0, sizeof *q);
  q->sim = sim;
}

/* Appends blocks hash, hash + 1, ... (count of them) to q's runs, extending the last run when
 * they continue it. */
static void query_push(cs__prefix_query *q, uint64_t hash, uint32_t count) {
  if (q->nruns) {
    cs__prefix_run *last = &q->runs[q->nruns - 1];
    if (last->hash + last->count == hash) {
      last->count += count;
      return;
    }
  }
  if (q->nruns == q->cap) { /* grow by doubling into fresh arena memory */
    int32_t cap = q->cap ? q->cap * 2 : 64;
    cs__prefix_run *nr = cs__sim_alloc(q->sim, (size_t)cap * sizeof *nr);
    if (q->nruns) memcpy(nr, q->runs, (size_t)q->nruns * sizeof *nr);
    q->runs = nr;
    q->cap = cap;
  }
  q->runs[q->nruns++] = (cs__prefix_run){.hash = hash, .count = count};
}

void cs__prefix_query_prepare(cs__prefix_query *q, const cs__request *r, int32_t block_size) {
  const cs_block_hashes *hs = &r->hashes;
  uint32_t lim = r->num_prefill > 0 && block_size > 0 ? (uint32_t)(r->num_prefill / block_size) : 0;
  if (lim > hs->n) lim = hs->n;
  q->r = r;
  q->block_size = block_size;
  q->nblocks = (int32_t)lim;
  q->nruns = 0;
  uint32_t i = 0, low = (1u << hs->shift) - 1u;
  while (i < lim && i < hs->nid) { /* one trace id's blocks at a time (cs_block_hash) */
    uint32_t end = (i | low) + 1u;
    if (end > lim) end = lim;
    if (end > hs->nid) end = hs->nid;
    query_push(q, (hs->ids[i >> hs->shift] << hs->shift) + (i & low), end - i);
    i = end;
  }
  if (i < lim) query_push(q, hs->fresh + (i - hs->nid), lim - i); /* fresh ids: one run */
}

/* ---- imbalance (§3.5) ---------------------------------------------------------------------- */
void cs__rt_imbalance(const int64_t *pending, const int64_t *add, int32_t n, int64_t *imb) {
  if (n == 1) { /* a single replica: max - min of one value */
    imb[0] = 0;
    return;
  }
  /* i1 = first arg-max, max2 = max over x != i1; likewise for the minimum. */
  int32_t imax = 0, imin = 0;
  for (int32_t i = 1; i < n; i++) {
    if (pending[i] > pending[imax]) imax = i;
    if (pending[i] < pending[imin]) imin = i;
  }
  int64_t max2 = INT64_MIN, min2 = INT64_MAX;
  for (int32_t i = 0; i < n; i++) {
    if (i != imax && pending[i] > max2) max2 = pending[i];
    if (i != imin && pending[i] < min2) min2 = pending[i];
  }
  for (int32_t c = 0; c < n; c++) {
    int64_t w = pending[c] + add[c];
    int64_t hi = c == imax ? max2 : pending[imax];
    int64_t lo = c == imin ? min2 : pending[imin];
    if (w > hi) hi = w;
    if (w < lo) lo = w;
    imb[c] = hi - lo;
  }
}
