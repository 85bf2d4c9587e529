/* The vLLM-V1 KV-cache manager (src/sched/kv_v1.c) against a plain per-block model of the same
 * rules (vidur-semantics.md §4.7) on random operation sequences: admissions with and without
 * prefix hits (so several blocks come to hold one hash), prefill chunks, decode steps,
 * preemptions and completions, small pools (evictions, failed allocations, ring compactions),
 * hash views with 1, 2, 4 and 32 blocks per trace id plus fresh ids. The model keeps the free
 * queue as an array, the prefix cache as (hash, block) pairs in insertion order and every block
 * list in full; after each operation the manager must agree on the outcome, every running
 * request's block ids, the free queue's order and the prefix hits of random probes, counted
 * with and without the block ids (the routers' query). */
#include <stdlib.h>
#include <string.h>

#include "cs_test.h"
#include "sched/kv_v1.h"
#include "sim/engine.h"

enum { NB = 48, BS = 4, MAXREQ = 10, MAXBLK = 64, POOL = 24 };

typedef struct model {
  int32_t prealloc;
  int32_t queue[NB], nq;          /* free queue, front first */
  int32_t ref[NB];
  bool hashed[NB];
  uint64_t pair_hash[NB];         /* the prefix cache: (hash, block) in insertion order */
  int32_t pair_blk[NB], npairs;
} model;

typedef struct mreq {
  cs__request r;
  int32_t blocks[MAXBLK], nblocks, cached;
  bool live;
} mreq;

static uint64_t rng_state;
static uint32_t rnd(uint32_t n) {
  rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (uint32_t)(rng_state >> 33) % n;
}

static int32_t model_lookup(const model *m, uint64_t h) {
  for (int32_t i = 0; i < m->npairs; i++)
    if (m->pair_hash[i] == h) return m->pair_blk[i];
  return -1;
}

static int32_t model_computed(const model *m, const cs__request *r, int32_t *out) {
  uint32_t lim = (uint32_t)(r->num_prefill / BS);
  if (lim > r->hashes.n) lim = r->hashes.n;
  int32_t n = 0;
  for (uint32_t i = 0; i < lim; i++) {
    int32_t b = model_lookup(m, cs_block_hash(&r->hashes, i));
    if (b < 0) break;
    out[n++] = b;
  }
  return n;
}

static void model_evict(model *m, int32_t blk) {
  if (!m->hashed[blk]) return;
  for (int32_t i = 0; i < m->npairs; i++)
    if (m->pair_blk[i] == blk) {
      memmove(&m->pair_hash[i], &m->pair_hash[i + 1], sizeof(uint64_t) * (size_t)(m->npairs - i - 1));
      memmove(&m->pair_blk[i], &m->pair_blk[i + 1], sizeof(int32_t) * (size_t)(m->npairs - i - 1));
      m->npairs--;
      break;
    }
  m->hashed[blk] = false;
}

static bool model_allocate(model *m, mreq *q, int32_t n, const int32_t *comp, int32_t nc) {
  int64_t computed = (int64_t)q->r.num_processed + BS * nc;
  int64_t need = (computed + n + BS - 1) / BS - q->nblocks - nc, evictable = 0;
  for (int32_t i = 0; i < nc; i++) evictable += m->ref[comp[i]] == 0;
  if (need > m->nq - evictable) return false;
  int64_t take = 0;
  if (need > 0) take = need + m->prealloc < m->nq - evictable ? need + m->prealloc : m->nq - evictable;
  if (nc == 0 && q->nblocks == 0) q->cached = 0;
  for (int32_t i = 0; i < nc; i++) {
    int32_t b = comp[i];
    if (m->ref[b] == 0)
      for (int32_t k = 0; k < m->nq; k++)
        if (m->queue[k] == b) {
          memmove(&m->queue[k], &m->queue[k + 1], sizeof(int32_t) * (size_t)(m->nq - k - 1));
          m->nq--;
          break;
        }
    m->ref[b]++;
    q->blocks[q->nblocks++] = b;
  }
  if (nc) q->cached = q->nblocks;
  for (int64_t k = 0; k < take; k++) {
    int32_t b = m->queue[0];
    memmove(&m->queue[0], &m->queue[1], sizeof(int32_t) * (size_t)(m->nq - 1));
    m->nq--;
    model_evict(m, b);
    m->ref[b] = 1;
    q->blocks[q->nblocks++] = b;
  }
  int64_t full = (computed + n) / BS;
  for (int64_t i = q->cached; i < full && i < (int64_t)q->r.hashes.n && i < q->nblocks; i++) {
    int32_t b = q->blocks[i];
    m->hashed[b] = true;
    m->pair_hash[m->npairs] = cs_block_hash(&q->r.hashes, (uint32_t)i);
    m->pair_blk[m->npairs++] = b;
  }
  if (q->r.hashes.n && full > q->cached) q->cached = (int32_t)full;
  return true;
}

static void model_free(model *m, mreq *q) {
  for (int32_t k = q->nblocks - 1; k >= 0; k--)
    if (--m->ref[q->blocks[k]] == 0) m->queue[m->nq++] = q->blocks[k];
  q->nblocks = q->cached = 0;
}

/* The manager's state equals the model's: free queue order, every live request's blocks. */
static bool same_state(const cs__kv *kv, const model *m, const mreq *reqs, int step) {
  int32_t k = 0;
  for (uint64_t p = kv->ring_head; p != kv->ring_tail; p++) {
    int32_t b = kv->ring[p & kv->ring_mask];
    if (b < 0) continue;
    if (k >= m->nq || b != m->queue[k]) {
      CS__FAIL_MSG("step %d: free queue position %d holds block %d, the model's %d", step, k, b,
                   k < m->nq ? m->queue[k] : -1);
      return false;
    }
    k++;
  }
  if (k != m->nq || kv->num_free != m->nq) {
    CS__FAIL_MSG("step %d: %d blocks in the ring, num_free %lld, the model's %d", step, k, (long long)kv->num_free, m->nq);
    return false;
  }
  for (int i = 0; i < MAXREQ; i++) {
    if (!reqs[i].live) continue;
    const cs__kv_req *q = reqs[i].r.sched_priv;
    if (q->nblocks != reqs[i].nblocks ||
        (q->nblocks && memcmp(q->blocks, reqs[i].blocks, sizeof(int32_t) * (size_t)q->nblocks))) {
      CS__FAIL_MSG("step %d: request %d holds other blocks than the model's", step, i);
      return false;
    }
  }
  return true;
}

/* A new request: its hash view draws ids from a small pool, often a shared prefix. */
static void new_request(mreq *q, uint64_t *ids, int64_t id) {
  free(q->r.sched_priv);
  memset(q, 0, sizeof *q);
  uint32_t shift = (uint32_t[]){0, 1, 2, 5}[rnd(4)];
  int32_t p = 1 + (int32_t)rnd(44), d = 1 + (int32_t)rnd(12);
  uint32_t n = (uint32_t)((p + d) / BS), per = 1u << shift;
  uint32_t nid = n ? rnd(n + 1) : 0, nids = (nid + per - 1) / per;
  uint32_t shared = rnd(nids + 1);
  for (uint32_t i = 0; i < nids; i++) ids[i] = i < shared ? i % 3 : rnd(POOL); /* small ints: groups collide */
  q->r = (cs__request){.id = id, .num_prefill = p, .num_decode = d};
  uint64_t fresh = 1000000 + (uint64_t)id * 64 + rnd(16); /* fresh ids start at any lane of a map entry */
  q->r.hashes = (cs_block_hashes){.ids = ids, .fresh = fresh, .n = n, .nid = nid, .shift = shift};
  q->r.sched_priv = calloc(1, sizeof(cs__kv_req));
  q->live = true;
}

/* The prefix hits of a request that is never admitted (another replica's arrival, as a router
 * asks): a random view sharing ids and fresh ids with the live requests; the count alone (no
 * block ids wanted) must agree with the count and ids of the full walk and the model's. */
static bool probe_hits(const cs__kv *kv, const model *m, const mreq *reqs, int step) {
  static mreq p;
  static uint64_t ids[MAXBLK];
  const mreq *src = &reqs[rnd(MAXREQ)];
  new_request(&p, ids, 0);
  if (src->live && rnd(2)) { /* another request's view, possibly with a shorter prompt */
    p.r.hashes = src->r.hashes;
    p.r.num_prefill = 1 + (int32_t)rnd((uint32_t)src->r.num_prefill + 8);
  }
  int32_t got[MAXBLK + 1], want[MAXBLK + 1];
  int32_t nc = cs__kv_computed_blocks(kv, &p.r, got), n0 = cs__kv_computed_blocks(kv, &p.r, NULL);
  int32_t nm = model_computed(m, &p.r, want);
  free(p.r.sched_priv);
  p.r.sched_priv = NULL;
  if (nc != nm || n0 != nm || memcmp(got, want, sizeof(int32_t) * (size_t)nm)) {
    CS__FAIL_MSG("step %d: probe hits %d (count only %d), the model's %d", step, nc, n0, nm);
    return false;
  }
  return true;
}

static void drop(cs__kv *kv, model *m, mreq *q) {
  cs__kv_free(kv, &q->r);
  model_free(m, q);
  q->live = false;
}

/* Advances request q by one step (admission with or without hits, a prefill chunk or a decode
 * token); false when the two disagree. */
static bool step_request(cs__kv *kv, model *m, mreq *q, int step) {
  int32_t comp[MAXBLK], mcomp[MAXBLK], nc = 0, c = 0;
  if (!q->r.scheduled) { /* admission */
    nc = cs__kv_computed_blocks(kv, &q->r, comp);
    if (model_computed(m, &q->r, mcomp) != nc || memcmp(comp, mcomp, sizeof(int32_t) * (size_t)nc)) {
      CS__FAIL_MSG("step %d: prefix hits differ from the model's", step);
      return false;
    }
    if (rnd(4) == 0) nc = 0; /* compute it anyway: the hashes get a second block */
    c = nc * BS;
    if (c == q->r.num_prefill) {
      c -= BS;
      nc--;
    }
  }
  int32_t n = q->r.is_prefill_complete ? 1 : q->r.num_prefill - c - (q->r.scheduled ? q->r.num_processed : 0);
  int32_t budget = 1 + (int32_t)rnd(24);
  if (n > budget) n = budget;
  bool got = cs__kv_allocate(kv, &q->r, n, comp, nc), want = model_allocate(m, q, n, comp, nc);
  if (got != want) {
    CS__FAIL_MSG("step %d: allocation %s, the model's %s", step, got ? "succeeded" : "failed", want ? "succeeded" : "failed");
    return false;
  }
  if (!got) return true;
  if (!q->r.scheduled) {
    q->r.scheduled = true;
    q->r.num_processed = c;
  }
  q->r.num_processed += n;
  if (q->r.num_processed == q->r.num_prefill) {
    q->r.is_prefill_complete = true;
    q->r.num_processed++;
  }
  return true;
}

static void run_seed(uint64_t seed, int32_t prealloc_tokens) {
  rng_state = seed;
  cs__sim *sim = calloc(1, sizeof *sim);
  sim->svc = &cs__sim_engine_services;
  cs__arena_init(&sim->arena, 4096);
  cs__kv kv;
  cs__kv_init(&kv, sim, NB, BS, prealloc_tokens, true);
  model m = {.prealloc = (prealloc_tokens + BS - 1) / BS, .nq = NB};
  for (int32_t i = 0; i < NB; i++) m.queue[i] = i;
  static mreq reqs[MAXREQ];
  static uint64_t ids[MAXREQ][MAXBLK];
  memset(reqs, 0, sizeof reqs);
  int64_t next_id = 0;
  for (int step = 0; step < 4000; step++) {
    int i = (int)rnd(MAXREQ);
    mreq *q = &reqs[i];
    if (!q->live) {
      new_request(q, ids[i], next_id++);
    } else if (rnd(10) == 0) {
      drop(&kv, &m, q); /* preempted */
      continue;
    }
    if (!step_request(&kv, &m, q, step)) break;
    if (q->r.num_processed >= q->r.num_prefill + q->r.num_decode) drop(&kv, &m, q); /* completed */
    if (!same_state(&kv, &m, reqs, step) || !probe_hits(&kv, &m, reqs, step)) break;
  }
  for (int i = 0; i < MAXREQ; i++) free(reqs[i].r.sched_priv);
  memset(reqs, 0, sizeof reqs);
  cs__arena_release(&sim->arena);
  free(sim);
}

static void test_kv_matches_a_per_block_model_on_random_operations(void) {
  for (uint64_t seed = 1; seed <= 40; seed++) run_seed(seed, seed % 2 ? 0 : 8);
}

static const cs_test_case cases[] = {
    {"test_kv_matches_a_per_block_model_on_random_operations", test_kv_matches_a_per_block_model_on_random_operations},
    {NULL, NULL},
};

int main(void) {
  int (*volatile keep)(const cs_sim_config *, cs_sim_result **, cs_err *) = cs_sim_run; /* pull the engine in */
  (void)keep;
  return cs_test_run("sim_kv_model", cases);
}
