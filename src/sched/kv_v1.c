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
  kv->link = caching ? cs__sim_alloc(sim, sizeof *kv->link * (size_t)(num_blocks ? num_blocks : 1)) : NULL;
  uint64_t rcap = 16;
  while (rcap < 2 * (uint64_t)num_blocks) rcap *= 2;
  kv->ring = cs__sim_alloc(sim, sizeof *kv->ring * rcap);
  kv->ring_mask = rcap - 1;
  for (int64_t i = 0; i < num_blocks; i++) {
    kv->b[i].slot = (int32_t)i;
    kv->b[i].rf = 0;
    kv->ring[i] = (int32_t)i;
  }
  kv->ring_tail = (uint64_t)num_blocks;
  if (caching) { /* room for full groups at first; grows when hashes are scattered */
    uint64_t cap = 16;
    while (cap < 2 * (uint64_t)num_blocks / CS__KV_LANES) cap *= 2;
    kv->map = cs__sim_alloc(sim, sizeof *kv->map * cap);
    kv->map_mask = cap - 1;
  }
}

/* Blocks are visited in free-queue or request order, which is scattered in memory: ask for a
 * block's line a few iterations ahead (a hint only; it never changes a result). */
#if defined(__GNUC__)
#define KV_PREFETCH(p) __builtin_prefetch(p)
#else
#define KV_PREFETCH(p) ((void)(p))
#endif
enum { KV_AHEAD = 8 };

/* ---- free queue ----
 * A ring of block ids in queue order. A block leaving from the middle (a touched cached block)
 * leaves a hole (-1) that the front skips; when the ring is full of holes it is compacted in
 * place. At most num_blocks ids are live in a ring of >= 2 * num_blocks, so a compaction frees
 * at least half the ring: O(1) amortised per operation. */
static void fq_remove(cs__kv *kv, int32_t i) {
  kv->ring[kv->b[i].slot] = -1;
  kv->b[i].slot = -1;
  kv->num_free--;
}

static int32_t fq_pop_front(cs__kv *kv) {
  int32_t blk;
  while ((blk = kv->ring[kv->ring_head & kv->ring_mask]) < 0) kv->ring_head++;
  kv->ring_head++;
  kv->b[blk].slot = -1;
  kv->num_free--;
  return blk;
}

static void fq_compact(cs__kv *kv) {
  uint64_t w = kv->ring_head;
  for (uint64_t r = kv->ring_head; r != kv->ring_tail; r++) {
    int32_t blk = kv->ring[r & kv->ring_mask];
    if (blk < 0) continue;
    kv->ring[w & kv->ring_mask] = blk;
    kv->b[blk].slot = (int32_t)(w & kv->ring_mask);
    w++;
  }
  kv->ring_tail = w;
}

static void fq_append(cs__kv *kv, int32_t i) {
  if (kv->ring_tail - kv->ring_head > kv->ring_mask) fq_compact(kv);
  uint64_t slot = kv->ring_tail++ & kv->ring_mask;
  kv->ring[slot] = i;
  kv->b[i].slot = (int32_t)slot;
  kv->num_free++;
}

/* ---- hash map: hash -> list of blocks in insertion order ----
 * vLLM keeps dict[hash] -> dict[block id] -> block: insert, evict and lookup are O(1). Here a
 * hash's blocks form a circular doubly-linked list (the head is the first inserted, its prev the
 * last; a lone block needs no links, CS__KV_MULTI says there are others), and the map is keyed
 * by hash / 16: a request inserts (and the free queue later evicts) its blocks in order and
 * traces number a prompt's blocks consecutively (a Mooncake 512-token id expands to 32
 * consecutive 16-token ids), so sixteen operations share one entry, found once and remembered
 * (memo_*) until an entry moves. Where an entry sits never changes what a lookup returns. */
static uint64_t map_find(const cs__kv *kv, uint64_t g) {
  uint64_t i = mix(g) & kv->map_mask;
  while (kv->map[i].used && kv->map[i].group != g) i = (i + 1) & kv->map_mask;
  return i;
}

/* map_find through the memo; an empty slot found for an insertion is remembered too, as the
 * insertion fills it at once and insertions move no other entry. */
static uint64_t map_find_memo(cs__kv *kv, uint64_t g) {
  if (kv->memo_ok && kv->memo_group == g) return kv->memo_slot;
  uint64_t i = map_find(kv, g);
  kv->memo_group = g;
  kv->memo_slot = i;
  kv->memo_ok = true;
  return i;
}

static void map_grow(cs__kv *kv) {
  cs__kv_group *old = kv->map;
  uint64_t n = kv->map_mask + 1;
  kv->map = cs__sim_alloc(kv->sim, sizeof *kv->map * n * 2);
  kv->map_mask = n * 2 - 1;
  kv->memo_ok = false;
  for (uint64_t i = 0; i < n; i++)
    if (old[i].used) kv->map[map_find(kv, old[i].group)] = old[i];
}

static void cache_insert(cs__kv *kv, int32_t blk, uint64_t h) {
  cs__kv_block *b = &kv->b[blk];
  b->rf |= CS__KV_HASHED;
  b->hash = h;
  if (2 * (kv->map_used + 1) > kv->map_mask + 1) map_grow(kv);
  cs__kv_group *e = &kv->map[map_find_memo(kv, h / CS__KV_LANES)];
  unsigned lane = (unsigned)(h % CS__KV_LANES);
  if (!e->used) {
    e->group = h / CS__KV_LANES;
    kv->map_used++;
  }
  if (!((e->used >> lane) & 1)) {
    e->used |= 1u << lane;
    e->head[lane] = blk;
    return;
  }
  int32_t head = e->head[lane];
  if (!(kv->b[head].rf & CS__KV_MULTI)) { /* a lone block becomes a list of one */
    kv->b[head].rf |= CS__KV_MULTI;
    kv->link[head][0] = kv->link[head][1] = head;
  }
  int32_t tail = kv->link[head][0];
  b->rf |= CS__KV_MULTI;
  kv->link[blk][0] = tail;
  kv->link[blk][1] = head;
  kv->link[tail][1] = blk;
  kv->link[head][0] = blk;
}

static void map_delete_slot(cs__kv *kv, uint64_t i) { /* backward-shift deletion */
  uint64_t j = i;
  kv->map_used--;
  kv->memo_ok = false;
  for (;;) {
    j = (j + 1) & kv->map_mask;
    if (!kv->map[j].used) break;
    uint64_t home = mix(kv->map[j].group) & kv->map_mask;
    /* can the entry at j move to i? only if home is not cyclically in (i, j] */
    bool stays = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
    if (stays) continue;
    kv->map[i] = kv->map[j];
    i = j;
  }
  kv->map[i].used = 0;
}

static void cache_evict(cs__kv *kv, int32_t blk) {
  cs__kv_block *b = &kv->b[blk];
  if (!(b->rf & CS__KV_HASHED)) return;
  uint64_t i = map_find_memo(kv, b->hash / CS__KV_LANES);
  cs__kv_group *e = &kv->map[i];
  unsigned lane = (unsigned)(b->hash % CS__KV_LANES);
  assert(e->used >> lane & 1);
  if (!(b->rf & CS__KV_MULTI)) { /* the hash's last block */
    e->used &= ~(1u << lane);
    if (!e->used) map_delete_slot(kv, i);
  } else {
    int32_t prev = kv->link[blk][0], next = kv->link[blk][1];
    kv->link[prev][1] = next;
    kv->link[next][0] = prev;
    if (e->head[lane] == blk) e->head[lane] = next;
    if (prev == next) kv->b[next].rf &= ~CS__KV_MULTI; /* one block left: alone again */
  }
  b->rf &= ~(CS__KV_HASHED | CS__KV_MULTI);
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
  if (!kv->caching || !r->hashes.n) return 0;
  uint32_t lim = (uint32_t)(r->num_prefill / kv->block_size);
  if (lim > r->hashes.n) lim = r->hashes.n;
  int32_t n = 0;
  const cs__kv_group *e = NULL;
  for (uint32_t i = 0; i < lim; i++) { /* the first-inserted block still cached with the hash */
    uint64_t h = cs_block_hash(&r->hashes, i);
    if (!e || e->group != h / CS__KV_LANES) e = &kv->map[map_find(kv, h / CS__KV_LANES)];
    unsigned lane = (unsigned)(h % CS__KV_LANES);
    if (!e->used || !((e->used >> lane) & 1)) break;
    int32_t blk = e->head[lane];
    if (out) out[n] = blk;
    n++;
  }
  return n;
}

bool cs__kv_allocate(cs__kv *kv, cs__request *r, int32_t n, const int32_t *comp, int32_t ncomp) {
  cs__kv_req *q = req_state(r);
  int64_t bs = kv->block_size;
  int64_t computed = (int64_t)r->num_processed + bs * ncomp;
  if (ncomp == 0) { /* most calls (a decode step) fit in the blocks held and fill no new block */
    int64_t end = computed + n;
    if (end <= (int64_t)q->nblocks * bs && (!kv->caching || !r->hashes.n || end < (int64_t)(q->cached_count + 1) * bs))
      return true;
  }
  int64_t required = (computed + n + bs - 1) / bs;
  int64_t need = required - q->nblocks - ncomp;
  int64_t evictable = 0;
  for (int32_t i = 0; i < ncomp; i++) evictable += (kv->b[comp[i]].rf & CS__KV_REF_MASK) == 0;
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
    if ((kv->b[blk].rf & CS__KV_REF_MASK) == 0 && kv->b[blk].slot >= 0) fq_remove(kv, blk);
    assert((kv->b[blk].rf & CS__KV_REF_MASK) < CS__KV_REF_MASK);
    kv->b[blk].rf++;
    q->blocks[q->nblocks++] = blk;
  }
  if (ncomp) q->cached_count = q->nblocks;
  for (int64_t k = 0; k < take; k++) {
    int32_t ahead = kv->ring[(kv->ring_head + KV_AHEAD) & kv->ring_mask];
    if (ahead >= 0) KV_PREFETCH(&kv->b[ahead]);
    int32_t blk = fq_pop_front(kv);
    cache_evict(kv, blk);
    kv->b[blk].rf = 1;
    q->blocks[q->nblocks++] = blk;
  }
  if (kv->caching && r->hashes.n) {
    int64_t full = (computed + n) / bs;
    for (int64_t i = q->cached_count; i < full && i < (int64_t)r->hashes.n && i < q->nblocks; i++)
      cache_insert(kv, q->blocks[i], cs_block_hash(&r->hashes, (uint32_t)i));
    if (full > q->cached_count) q->cached_count = (int32_t)full;
  }
  return true;
}

void cs__kv_free(cs__kv *kv, cs__request *r) {
  cs__kv_req *q = req_state(r);
  for (int32_t k = 0; k < q->nblocks; k++) {
    int32_t far = k + KV_AHEAD;
    if (far < q->nblocks) KV_PREFETCH(&kv->b[q->blocks[kv->caching ? q->nblocks - 1 - far : far]]);
    int32_t blk = q->blocks[kv->caching ? q->nblocks - 1 - k : k];
    if ((--kv->b[blk].rf & CS__KV_REF_MASK) == 0) fq_append(kv, blk);
  }
  q->nblocks = 0;
  q->cached_count = 0;
  if (q->blocks) { /* recycle the list: memory stays bounded by the running requests */
    int cls = 0;
    while ((1 << cls) < q->cap) cls++;
    memcpy(q->blocks, &kv->list_free[cls], sizeof(int32_t *));
    kv->list_free[cls] = q->blocks;
    q->blocks = NULL;
    q->cap = 0;
  }
}

double cs__kv_usage_percent(const cs__kv *kv) {
  if (!kv->num_blocks) return 0;
  return (1.0 - (double)kv->num_free / (double)kv->num_blocks) * 100.0;
}
