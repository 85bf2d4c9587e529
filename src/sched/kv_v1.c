/* vLLM-V1 KV-cache manager (see kv_v1.h; vidur-semantics.md §4.7). */
#include "sched/kv_v1.h"

#include <assert.h>
#include <string.h>

static uint64_t mix(uint64_t h) { /* splitmix64 finaliser: trace ids may be small consecutive ints */
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

void cs__kv_init(cs__kv *kv, cs__sim *sim, int64_t num_blocks, int32_t block_size, int32_t prealloc_tokens,
                 bool caching) {
  memset(kv, 0, sizeof *kv);
  kv->sim = sim;
  kv->block_size = block_size;
  kv->num_blocks = num_blocks;
  kv->num_free = num_blocks;
  kv->prealloc_blocks = (prealloc_tokens + block_size - 1) / block_size;
  kv->caching = caching;
  kv->b = cs__sim_alloc(sim, sizeof *kv->b * (size_t)(num_blocks ? num_blocks : 1));
  for (int64_t i = 0; i < num_blocks; i++) {
    kv->b[i].prev = (int32_t)i - 1;
    kv->b[i].next = i + 1 < num_blocks ? (int32_t)i + 1 : -1;
    kv->b[i].hnext = -1;
    kv->b[i].in_free = true;
  }
  kv->free_head = num_blocks ? 0 : -1;
  kv->free_tail = (int32_t)num_blocks - 1;
  if (caching) {
    uint64_t cap = 16;
    while (cap < 2 * (uint64_t)num_blocks) cap *= 2;
    kv->map = cs__sim_alloc(sim, sizeof *kv->map * cap);
    for (uint64_t i = 0; i < cap; i++) kv->map[i].head = -1;
    kv->map_mask = cap - 1;
  }
}

/* ---- free queue ---- */
static void fq_remove(cs__kv *kv, int32_t i) {
  cs__kv_block *b = &kv->b[i];
  if (b->prev >= 0) kv->b[b->prev].next = b->next; else kv->free_head = b->next;
  if (b->next >= 0) kv->b[b->next].prev = b->prev; else kv->free_tail = b->prev;
  b->prev = b->next = -1;
  b->in_free = false;
  kv->num_free--;
}

static void fq_append(cs__kv *kv, int32_t i) {
  cs__kv_block *b = &kv->b[i];
  b->prev = kv->free_tail;
  b->next = -1;
  if (kv->free_tail >= 0) kv->b[kv->free_tail].next = i; else kv->free_head = i;
  kv->free_tail = i;
  b->in_free = true;
  kv->num_free++;
}

/* ---- hash map: hash -> list of blocks in insertion order ---- */
static uint64_t map_find(const cs__kv *kv, uint64_t h) {
  uint64_t i = mix(h) & kv->map_mask;
  while (kv->map[i].head >= 0 && kv->map[i].hash != h) i = (i + 1) & kv->map_mask;
  return i;
}

static int32_t cache_lookup(const cs__kv *kv, uint64_t h) {
  return kv->map[map_find(kv, h)].head;
}

static void cache_insert(cs__kv *kv, int32_t blk, uint64_t h) {
  cs__kv_block *b = &kv->b[blk];
  b->has_hash = true;
  b->hash = h;
  b->hnext = -1;
  uint64_t i = map_find(kv, h);
  if (kv->map[i].head < 0) {
    kv->map[i].hash = h;
    kv->map[i].head = blk;
    return;
  }
  int32_t t = kv->map[i].head;
  while (kv->b[t].hnext >= 0) t = kv->b[t].hnext;
  kv->b[t].hnext = blk;
}

static void map_delete_slot(cs__kv *kv, uint64_t i) { /* backward-shift deletion */
  uint64_t j = i;
  for (;;) {
    j = (j + 1) & kv->map_mask;
    if (kv->map[j].head < 0) break;
    uint64_t home = mix(kv->map[j].hash) & kv->map_mask;
    /* can the entry at j move to i? only if home is not cyclically in (i, j] */
    bool stays = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
    if (stays) continue;
    kv->map[i] = kv->map[j];
    i = j;
  }
  kv->map[i].head = -1;
}

static void cache_evict(cs__kv *kv, int32_t blk) {
  cs__kv_block *b = &kv->b[blk];
  if (!b->has_hash) return;
  uint64_t i = map_find(kv, b->hash);
  assert(kv->map[i].head >= 0);
  if (kv->map[i].head == blk) {
    kv->map[i].head = b->hnext;
    if (kv->map[i].head < 0) map_delete_slot(kv, i);
  } else {
    int32_t t = kv->map[i].head;
    while (kv->b[t].hnext != blk) t = kv->b[t].hnext;
    kv->b[t].hnext = b->hnext;
  }
  b->has_hash = false;
  b->hnext = -1;
}

/* ---- per-request block lists ---- */
static cs__kv_req *req_state(cs__request *r) { return r->sched_priv; }

static void list_reserve(cs__kv *kv, cs__kv_req *q, int32_t want) {
  if (want <= q->cap) return;
  int cls = 3;
  while ((1 << cls) < want) cls++;
  int32_t *nv = kv->list_free[cls];
  if (nv) {
    memcpy(&kv->list_free[cls], nv, sizeof(int32_t *));
  } else {
    nv = cs__sim_alloc(kv->sim, sizeof(int32_t) * ((size_t)1 << cls) + sizeof(int32_t *));
  }
  if (q->nblocks) memcpy(nv, q->blocks, sizeof(int32_t) * (size_t)q->nblocks);
  if (q->blocks) { /* recycle the old list */
    int ocls = 0;
    while ((1 << ocls) < q->cap) ocls++;
    memcpy(q->blocks, &kv->list_free[ocls], sizeof(int32_t *));
    kv->list_free[ocls] = q->blocks;
  }
  q->blocks = nv;
  q->cap = 1 << cls;
}

int32_t cs__kv_computed_blocks(const cs__kv *kv, const cs__request *r, int32_t *out) {
  if (!kv->caching || !r->hashes) return 0;
  uint32_t lim = (uint32_t)(r->num_prefill / kv->block_size);
  if (lim > r->hash_n) lim = r->hash_n;
  int32_t n = 0;
  for (uint32_t i = 0; i < lim; i++) {
    int32_t blk = cache_lookup(kv, r->hashes[i]);
    if (blk < 0) break;
    if (out) out[n] = blk;
    n++;
  }
  return n;
}

bool cs__kv_allocate(cs__kv *kv, cs__request *r, int32_t n, const int32_t *comp, int32_t ncomp) {
  cs__kv_req *q = req_state(r);
  int64_t bs = kv->block_size;
  int64_t computed = (int64_t)r->num_processed + bs * ncomp;
  int64_t required = (computed + n + bs - 1) / bs;
  int64_t need = required - q->nblocks - ncomp;
  int64_t evictable = 0;
  for (int32_t i = 0; i < ncomp; i++) evictable += kv->b[comp[i]].ref == 0;
  if (need > kv->num_free - evictable) return false;
  int64_t take = 0;
  if (need > 0) {
    take = need + kv->prealloc_blocks;
    int64_t free_after_touch = kv->num_free - evictable;
    if (take > free_after_touch) take = free_after_touch;
  }
  list_reserve(kv, q, q->nblocks + ncomp + (int32_t)take);
  if (ncomp == 0 && q->nblocks == 0) q->cached_count = 0;
  for (int32_t i = 0; i < ncomp; i++) { /* touch the cached blocks */
    int32_t blk = comp[i];
    if (kv->b[blk].ref == 0 && kv->b[blk].in_free) fq_remove(kv, blk);
    kv->b[blk].ref++;
    q->blocks[q->nblocks++] = blk;
  }
  if (ncomp) q->cached_count = q->nblocks;
  for (int64_t k = 0; k < take; k++) {
    int32_t blk = kv->free_head;
    fq_remove(kv, blk);
    cache_evict(kv, blk);
    kv->b[blk].ref = 1;
    q->blocks[q->nblocks++] = blk;
  }
  if (kv->caching && r->hashes) {
    int64_t full = (computed + n) / bs;
    for (int64_t i = q->cached_count; i < full && i < (int64_t)r->hash_n && i < q->nblocks; i++)
      cache_insert(kv, q->blocks[i], r->hashes[i]);
    if (full > q->cached_count) q->cached_count = (int32_t)full;
  }
  return true;
}

void cs__kv_free(cs__kv *kv, cs__request *r) {
  cs__kv_req *q = req_state(r);
  for (int32_t k = 0; k < q->nblocks; k++) {
    int32_t blk = q->blocks[kv->caching ? q->nblocks - 1 - k : k];
    if (--kv->b[blk].ref == 0) fq_append(kv, blk);
  }
  q->nblocks = 0;
  q->cached_count = 0;
}

double cs__kv_usage_percent(const cs__kv *kv) {
  if (!kv->num_blocks) return 0;
  return (1.0 - (double)kv->num_free / (double)kv->num_blocks) * 100.0;
}
