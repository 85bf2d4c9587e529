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
  while (rcap < (uint64_t)num_blocks + (uint64_t)num_blocks / 2) rcap *= 2;
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
    kv->heads = cs__sim_alloc(sim, sizeof *kv->heads * (cap / 2 + 1));
    kv->heads_free = -1;
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

static int kv_ctz32(uint32_t x) { /* x != 0 */
#if defined(__GNUC__)
  return __builtin_ctz(x);
#else
  int n = 0;
  while (!(x & 1u)) {
    x >>= 1;
    n++;
  }
  return n;
#endif
}

/* ---- free queue ----
 * A ring of block ids in queue order. A block leaving from the middle (a touched cached block)
 * leaves a hole (-1) that the front skips (take_front); when a request's blocks would not fit
 * at the back (cs__kv_free), the ring is compacted in place. At most num_blocks ids are live in
 * a ring of >= 2 * num_blocks, so a compaction frees at least half the ring: O(1) amortised
 * per operation. */
static void fq_remove(cs__kv *kv, int32_t i) {
  kv->ring[kv->b[i].slot] = -1;
  kv->b[i].slot = -1;
  kv->num_free--;
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

/* ---- hash map: hash -> list of blocks in insertion order ----
 * vLLM keeps dict[hash] -> dict[block id] -> block: insert, evict and lookup are O(1). Here a
 * hash's blocks form a circular doubly-linked list (the head is the first inserted, its prev the
 * last; a lone block needs no links, CS__KV_MULTI says there are others), and the map is keyed
 * by hash / 16: a request inserts (and the free queue later evicts) its blocks in order and
 * traces number a prompt's blocks consecutively (a Mooncake 512-token id expands to 32
 * consecutive 16-token ids), so sixteen operations share one entry, found once and remembered
 * (memo_*) until an entry moves. A prompt's ids are mostly consecutive too, so four consecutive
 * groups have consecutive home slots: one cache line of keys (KV_NEAR) serves a prompt's walk
 * over four entries. Where an entry sits never changes what a lookup returns. */
enum { KV_NEAR = 4 };
static uint64_t map_home(const cs__kv *kv, uint64_t g) {
  return ((mix(g / KV_NEAR) * KV_NEAR) | (g % KV_NEAR)) & kv->map_mask;
}

/* The slot of group g, or the empty slot where it would go, probing from slot i (g's home). */
static uint64_t map_probe(const cs__kv *kv, uint64_t g, uint64_t i) {
  while (kv->map[i].used && kv->map[i].group != g) i = (i + 1) & kv->map_mask;
  return i;
}

static uint64_t map_find(const cs__kv *kv, uint64_t g) { return map_probe(kv, g, map_home(kv, g)); }

/* map_find through the memo; an empty slot found for an insertion is remembered too, as the
 * insertion fills it at once and insertions move no other entry. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static uint64_t map_find_remember(cs__kv *kv, uint64_t g) {
  uint64_t i = map_find(kv, g);
  kv->memo_group = g;
  kv->memo_slot = i;
  kv->memo_ok = true;
  return i;
}
static inline uint64_t map_find_memo(cs__kv *kv, uint64_t g) {
  if (kv->memo_ok && kv->memo_group == g) return kv->memo_slot;
  return map_find_remember(kv, g);
}

static void map_grow(cs__kv *kv) {
  cs__kv_key *old = kv->map;
  cs__kv_heads *old_heads = kv->heads;
  uint64_t n = kv->map_mask + 1;
  kv->map = cs__sim_alloc(kv->sim, sizeof *kv->map * n * 2);
  kv->heads = cs__sim_alloc(kv->sim, sizeof *kv->heads * (n + 1));
  memcpy(kv->heads, old_heads, sizeof *kv->heads * (size_t)kv->heads_top); /* slots keep their index */
  kv->map_mask = n * 2 - 1;
  kv->memo_ok = false;
  for (uint64_t i = 0; i < n; i++)
    if (old[i].used) kv->map[map_find(kv, old[i].group)] = old[i];
}

/* A pool slot for a new entry's lane heads (the pool holds one per entry in use). */
static int32_t heads_take(cs__kv *kv) {
  int32_t x = kv->heads_free;
  if (x < 0) return kv->heads_top++;
  kv->heads_free = kv->heads[x].head[0];
  return x;
}

/* blk joins the end of the list of the blocks holding lane `lane` of entry e. */
static void list_append(cs__kv *kv, const cs__kv_heads *e, unsigned lane, int32_t blk) {
  int32_t head = e->head[lane];
  if (!(kv->b[head].rf & CS__KV_MULTI)) { /* a lone block becomes a list of one */
    kv->b[head].rf |= CS__KV_MULTI;
    kv->link[head][0] = kv->link[head][1] = head;
  }
  int32_t tail = kv->link[head][0];
  kv->b[blk].rf |= CS__KV_MULTI;
  kv->link[blk][0] = tail;
  kv->link[blk][1] = head;
  kv->link[tail][1] = blk;
  kv->link[head][0] = blk;
}

/* Registers blk under hash h, lane `lane` of entry i (found or just claimed for h's group). */
static void lane_insert(cs__kv *kv, uint64_t i, unsigned lane, int32_t blk, uint64_t h) {
  cs__kv_block *b = &kv->b[blk];
  cs__kv_key *e = &kv->map[i];
  b->rf |= CS__KV_HASHED;
  b->hash = h;
  if (!((e->used >> lane) & 1)) {
    e->used |= 1u << lane;
    kv->heads[e->heads].head[lane] = blk;
  } else {
    list_append(kv, &kv->heads[e->heads], lane, blk);
  }
}

/* Registers blocks[0, m) under hashes h .. h + m - 1, lanes lane .. lane + m - 1 of entry i
 * (lane + m <= 16): lane_insert for each in turn. When none of those lanes holds blocks yet
 * (a fresh prompt's blocks: nearly always), each block becomes its lane's head, set at once. */
static void group_insert(cs__kv *kv, uint64_t i, unsigned lane, uint32_t m, const int32_t *blocks, uint64_t h) {
  cs__kv_key *e = &kv->map[i];
  uint32_t lanes = (uint32_t)(((1u << m) - 1u) << lane);
  if (e->used & lanes) {
    for (uint32_t j = 0; j < m; j++) lane_insert(kv, i, lane + j, blocks[j], h + j);
    return;
  }
  e->used |= lanes;
  memcpy(&kv->heads[e->heads].head[lane], blocks, sizeof(int32_t) * m);
  for (uint32_t j = 0; j < m; j++) {
    cs__kv_block *b = &kv->b[blocks[j]];
    b->rf |= CS__KV_HASHED;
    b->hash = h + j;
  }
}

/* Registers blocks[0, count) under the consecutive hashes h, h + 1, ...: one map entry per
 * group of 16 hashes, found once. The map grows exactly when inserting them one by one would
 * grow it (before an insertion that would leave it over half full): only the first insertion
 * into an entry can add one, so the check runs before it and once after it. */
static void cache_insert_run(cs__kv *kv, const int32_t *blocks, uint64_t h, uint32_t count) {
  while (count) {
    unsigned lane = (unsigned)(h % CS__KV_LANES);
    uint32_t m = CS__KV_LANES - lane;
    if (m > count) m = count;
    if (2 * (kv->map_used + 1) > kv->map_mask + 1) map_grow(kv);
    uint64_t i = map_find_memo(kv, h / CS__KV_LANES);
    if (!kv->map[i].used) {
      kv->map[i].group = h / CS__KV_LANES;
      kv->map[i].heads = heads_take(kv);
      kv->map_used++;
    }
    group_insert(kv, i, lane, m, blocks, h);
    /* inserting one by one, the map would be checked again before the second block; lane
     * insertions never change map_used, so the check may as well run after the last one
     * (and the entry, in use by then, moves with the others) */
    if (m > 1 && 2 * (kv->map_used + 1) > kv->map_mask + 1) map_grow(kv);
    blocks += m;
    h += m;
    count -= m;
  }
}

static void map_delete_slot(cs__kv *kv, uint64_t i) { /* backward-shift deletion */
  uint64_t j = i;
  kv->map_used--;
  kv->memo_ok = false;
  kv->heads[kv->map[i].heads].head[0] = kv->heads_free; /* its heads slot back to the pool */
  kv->heads_free = kv->map[i].heads;
  for (;;) {
    j = (j + 1) & kv->map_mask;
    if (!kv->map[j].used) break;
    uint64_t home = map_home(kv, kv->map[j].group);
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
  cs__kv_key *e = &kv->map[i];
  unsigned lane = (unsigned)(b->hash % CS__KV_LANES);
  assert(e->used >> lane & 1);
  if (!(b->rf & CS__KV_MULTI)) { /* the hash's last block */
    e->used &= ~(1u << lane);
    if (!e->used) map_delete_slot(kv, i);
  } else {
    int32_t prev = kv->link[blk][0], next = kv->link[blk][1];
    kv->link[prev][1] = next;
    kv->link[next][0] = prev;
    int32_t *hd = &kv->heads[e->heads].head[lane];
    if (*hd == blk) *hd = next;
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

/* The hashes of r's blocks come in runs of consecutive values (one trace id's blocks, then the
 * fresh ids), so a run's blocks in one map entry are consecutive lanes: the leading ones
 * present are counted at once from the entry's lane mask, one probe per entry. */
int32_t cs__kv_computed_blocks(const cs__kv *kv, const cs__request *r, int32_t *out) {
  if (!kv->caching || !r->hashes.n) return 0;
  const cs_block_hashes *hs = &r->hashes;
  uint32_t lim = (uint32_t)(r->num_prefill / kv->block_size);
  if (lim > hs->n) lim = hs->n;
  uint32_t i = 0;
  uint64_t last_group = 0, slot = 0, quad = 0;
  bool have = false;
  while (i < lim) {
    uint64_t h = cs_block_hash(hs, i);
    uint32_t end = lim; /* the run of consecutive hashes from block i */
    if (i < hs->nid) {
      uint32_t id_end = (i | ((1u << hs->shift) - 1u)) + 1u;
      if (id_end < end) end = id_end;
      if (hs->nid < end) end = hs->nid;
    }
    while (i < end) {
      unsigned lane = (unsigned)(h % CS__KV_LANES);
      uint32_t m = CS__KV_LANES - lane;
      if (m > end - i) m = end - i;
      uint64_t g = h / CS__KV_LANES;
      if (!have || last_group != g) { /* consecutive groups share their homes' mix (map_home) */
        if (!have || last_group / KV_NEAR != g / KV_NEAR) quad = mix(g / KV_NEAR) * KV_NEAR;
        last_group = g;
        slot = map_probe(kv, g, (quad | (g % KV_NEAR)) & kv->map_mask);
        have = true;
      }
      /* lanes lane, lane + 1, ... present: the trailing ones of used >> lane (< 2^16) */
      uint32_t k = (uint32_t)kv_ctz32(~(kv->map[slot].used >> lane));
      if (k > m) k = m;
      if (out && k) memcpy(out + i, &kv->heads[kv->map[slot].heads].head[lane], sizeof(int32_t) * k);
      i += k;
      if (k < m) return (int32_t)i;
      h += k;
    }
  }
  return (int32_t)i;
}

/* Asks for the lines of the map entries of the next KV_QUERY_AHEAD groups of distinct homes
 * after the one of hash h (run j, `left` blocks of it from h on): a walk that found its first
 * entry usually goes on through many, and their lines, scattered, would otherwise come one
 * after another. A hint only. */
enum { KV_QUERY_AHEAD = 8 };
static void query_ahead(const cs__kv *kv, const cs__prefix_query *q, int32_t j, uint64_t h, uint32_t left) {
  uint64_t last = h / CS__KV_LANES / KV_NEAR;
  int n = 0;
  for (;;) {
    while (left) {
      uint32_t m = CS__KV_LANES - (unsigned)(h % CS__KV_LANES);
      if (m > left) m = left;
      uint64_t g = h / CS__KV_LANES;
      if (g / KV_NEAR != last) { /* a new line of keys (map_home: KV_NEAR groups share one) */
        last = g / KV_NEAR;
        KV_PREFETCH(&kv->map[map_home(kv, g)]);
        if (++n == KV_QUERY_AHEAD) return;
      }
      h += m;
      left -= m;
    }
    if (++j >= q->nruns) return;
    h = q->runs[j].hash;
    left = q->runs[j].count;
  }
}

/* The routers' question (sched/policy.h): the runs are already split, so each map entry costs
 * one probe and a lane-mask count, and the walk stops at the first missing block. */
int32_t cs__kv_query_blocks(const cs__kv *kv, const cs__prefix_query *q) {
  if (!kv->caching) return 0;
  if (q->block_size != kv->block_size) return cs__kv_computed_blocks(kv, q->r, NULL);
  uint32_t done = 0;
  for (int32_t j = 0; j < q->nruns; j++) {
    uint64_t h = q->runs[j].hash;
    uint32_t left = q->runs[j].count;
    while (left) {
      unsigned lane = (unsigned)(h % CS__KV_LANES);
      uint32_t m = CS__KV_LANES - lane;
      if (m > left) m = left;
      const cs__kv_key *e = &kv->map[map_find(kv, h / CS__KV_LANES)];
      uint32_t k = (uint32_t)kv_ctz32(~(e->used >> lane)); /* lanes present from `lane` on */
      if (k < m) return (int32_t)(done + k);
      if (done == 0) query_ahead(kv, q, j, h + m, left - m); /* the first entry matched in full */
      done += m;
      h += m;
      left -= m;
    }
  }
  return (int32_t)done;
}

/* Asks for the line of the query's first map entry (a hint; changes nothing). */
void cs__kv_query_prefetch(const cs__kv *kv, const cs__prefix_query *q) {
  if (!kv->caching || q->nblocks == 0 || q->block_size != kv->block_size) return;
  KV_PREFETCH(&kv->map[map_home(kv, q->runs[0].hash / CS__KV_LANES)]);
}

/* Moves `take` blocks from the front of the free queue to the end of q's list, evicting their
 * hashes from the prefix cache, in queue order (one pass, the ring's cursor kept local). */
static void take_front(cs__kv *kv, cs__kv_req *q, int64_t take) {
  const int32_t *ring = kv->ring;
  const uint64_t mask = kv->ring_mask;
  uint64_t head = kv->ring_head;
  int32_t *out = q->blocks + q->nblocks;
  for (int64_t k = 0; k < take; k++) {
    int32_t blk;
    while ((blk = ring[head & mask]) < 0) head++;
    head++;
    int32_t ahead = ring[(head + KV_AHEAD) & mask];
    if (ahead >= 0) KV_PREFETCH(&kv->b[ahead]);
    cs__kv_block *b = &kv->b[blk];
    if (b->rf & CS__KV_HASHED) cache_evict(kv, blk);
    b->slot = -1;
    b->rf = 1;
    out[k] = blk;
  }
  kv->ring_head = head;
  kv->num_free -= take;
  q->nblocks += (int32_t)take;
}

/* Registers blocks[from, to) under their hashes, a run of consecutive hashes at a time (one
 * trace id's blocks, or the fresh ids), so the id is read once per run, not once per block. */
static void insert_range(cs__kv *kv, const int32_t *blocks, const cs_block_hashes *hs, uint32_t from, uint32_t to) {
  uint32_t i = from;
  while (i < to) {
    uint64_t h;
    uint32_t end = to;
    if (i < hs->nid) {
      uint32_t low = (1u << hs->shift) - 1u;
      h = (hs->ids[i >> hs->shift] << hs->shift) + (i & low);
      uint32_t id_end = (i | low) + 1u; /* the next id's first block */
      if (id_end < end) end = id_end;
      if (hs->nid < end) end = hs->nid;
    } else {
      h = hs->fresh + (i - hs->nid);
    }
    cache_insert_run(kv, blocks + i, h, end - i);
    i = end;
  }
}

bool cs__kv_allocate_blocks(cs__kv *kv, cs__request *r, int32_t n, const int32_t *comp, int32_t ncomp) {
  cs__kv_req *q = req_state(r);
  int64_t bs = kv->block_size;
  int64_t computed = (int64_t)r->num_processed + bs * ncomp;
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
  take_front(kv, q, take);
  if (kv->caching && r->hashes.n) {
    int64_t full = (computed + n) / bs, to = full;
    if (to > (int64_t)r->hashes.n) to = r->hashes.n;
    if (to > q->nblocks) to = q->nblocks;
    if (to > q->cached_count) insert_range(kv, q->blocks, &r->hashes, (uint32_t)q->cached_count, (uint32_t)to);
    if (full > q->cached_count) q->cached_count = (int32_t)full;
  }
  return true;
}

void cs__kv_free(cs__kv *kv, cs__request *r) {
  cs__kv_req *q = req_state(r);
  int32_t nb = q->nblocks;
  /* room for all of them at the back of the ring (compaction keeps the queue's order) */
  if (kv->ring_tail - kv->ring_head + (uint64_t)nb > kv->ring_mask + 1) fq_compact(kv);
  int32_t *ring = kv->ring;
  const uint64_t mask = kv->ring_mask;
  uint64_t tail = kv->ring_tail;
  const int32_t *list = q->blocks;
  int32_t idx = 0, step = 1;
  if (kv->caching) { /* reverse order: the prompt's tail is evicted first */
    idx = nb - 1;
    step = -1;
  }
  for (int32_t k = 0; k < nb; k++, idx += step) {
    if (k + KV_AHEAD < nb) KV_PREFETCH(&kv->b[list[idx + step * KV_AHEAD]]);
    int32_t blk = list[idx];
    cs__kv_block *b = &kv->b[blk];
    if ((--b->rf & CS__KV_REF_MASK) == 0) { /* to the back of the free queue */
      ring[tail & mask] = blk;
      b->slot = (int32_t)(tail & mask);
      tail++;
    }
  }
  kv->num_free += (int64_t)(tail - kv->ring_tail);
  kv->ring_tail = tail;
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
