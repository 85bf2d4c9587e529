/* vLLM-V1 KV-cache manager as Vidur's vllm_v1 uses it (vidur-semantics.md §4.7): a block pool
 * with a free queue (allocate/evict from the front, free to the back, touched cached blocks
 * leave from the middle; kept as a ring of block ids with holes, so allocation reads memory in
 * order), a
 * hash -> cached-block map for prefix caching keyed by the trace's block hash ids (each hash holds
 * its blocks in insertion order in a doubly-linked list, so insert, evict and lookup are O(1), as
 * vLLM's dict of dicts is), preallocation
 * of ceil(prealloc_tokens / block_size) extra blocks, release in reverse order.
 *
 * Ownership: all memory comes from the simulation's arena (cs__sim_alloc); per-request block
 * lists are recycled through size-class free lists, so memory is bounded by what is resident. */
#ifndef CS_SCHED_KV_V1_H
#define CS_SCHED_KV_V1_H

#include <stdbool.h>
#include <stdint.h>

#include "sched/policy.h"

typedef struct cs__kv_req {
  int32_t *blocks;       /* block ids held, in request order */
  int32_t nblocks, cap;
  int32_t cached_count;  /* blocks [0, cached_count) are registered in the prefix cache */
} cs__kv_req;

/* A block's hot state, 16 bytes so that four share a cache line (a request's blocks are
 * mostly neighbours in memory); the links of a hash's list live apart in cs__kv.link and are
 * only touched when several blocks hold one hash. */
typedef struct cs__kv_block {
  uint64_t hash;         /* valid while CS__KV_HASHED */
  int32_t slot;          /* index in the free ring while in the free queue, -1 otherwise */
  uint32_t rf;           /* reference count | CS__KV_HASHED | CS__KV_MULTI */
} cs__kv_block;
#define CS__KV_HASHED 0x80000000u /* registered in the prefix cache */
#define CS__KV_MULTI 0x40000000u  /* its hash's list holds other blocks too */
#define CS__KV_REF_MASK 0x3fffffffu

/* One entry of the prefix-cache map: the 16 hashes group*16 .. group*16+15, each with the
 * first-inserted block holding it (its circular list gives the others). The key and the lanes
 * in use (16 bytes, four entries a cache line) are what probing and prefix counting read and
 * what deletion shifts; the lanes' first blocks sit apart in a pool that never moves
 * (cs__kv.heads[key.heads]), read only for block ids. */
#define CS__KV_LANES 16
typedef struct cs__kv_key {
  uint64_t group;
  uint32_t used;         /* bit k: lane k holds blocks; 0 = empty entry */
  int32_t heads;         /* the entry's lane heads: cs__kv.heads[heads] */
} cs__kv_key;
typedef struct cs__kv_heads {
  int32_t head[CS__KV_LANES];
} cs__kv_heads;

typedef struct cs__kv {
  cs__sim *sim;
  int32_t block_size;
  int64_t num_blocks, num_free;
  int32_t prealloc_blocks;
  bool caching;
  cs__kv_block *b;
  int32_t (*link)[2];    /* [blk][0] prev, [blk][1] next: circular list of the blocks with one
                            hash, in insertion order (meaningful while CS__KV_MULTI) */
  int32_t *ring;         /* free queue: ring[pos & ring_mask] for pos in [ring_head, ring_tail),
                            -1 where a block left from the middle */
  uint64_t ring_mask, ring_head, ring_tail;
  cs__kv_key *map;       /* open addressing, linear probing, backward-shift deletion */
  cs__kv_heads *heads;   /* pool of lane heads, one per entry in use (room for map_mask / 2 + 1) */
  int32_t heads_top, heads_free; /* pool: slots [0, heads_top) handed out once; freed ones are
                                    listed from heads_free through head[0] (-1 ends) */
  uint64_t map_mask, map_used; /* capacity - 1, entries in use (the map doubles past half full) */
  uint64_t memo_group, memo_slot; /* the entry found last (consecutive blocks share one) */
  bool memo_ok;                   /* false after an entry moved (deletion, growth) */
  int32_t *list_free[32];/* recycled block lists by size class (next pointer stored in [0]) */
  int64_t hit_tokens, query_tokens; /* prefix-cache statistics at admission */
} cs__kv;

void cs__kv_init(cs__kv *kv, cs__sim *sim, int64_t num_blocks, int32_t block_size, int32_t prealloc_tokens,
                 bool caching);
/* Leading cached full blocks of r's prompt (at most floor(P / block_size)), written into
 * `out` (room for P / block_size + 1 ids) when non-NULL; returns the count. */
int32_t cs__kv_computed_blocks(const cs__kv *kv, const cs__request *r, int32_t *out);
/* The routers' prefix-cache question (sched/policy.h, cs__prefix_query): the same count as
 * cs__kv_computed_blocks(kv, q->r, NULL), from q's runs (prepared once for all replicas). */
int32_t cs__kv_query_blocks(const cs__kv *kv, const cs__prefix_query *q);
/* A hint before cs__kv_query_blocks: fetches the line of q's first lookup. */
void cs__kv_query_prefetch(const cs__kv *kv, const cs__prefix_query *q);
/* Allocates room for n more tokens of r after `ncomp` newly computed (cached) blocks; false
 * (and nothing changed) when the free blocks do not suffice. Most calls (a decode step) fit in
 * the blocks held and fill no new block: that check is inline, the rest is
 * cs__kv_allocate_blocks (which gives the same answer on the common case too). */
bool cs__kv_allocate_blocks(cs__kv *kv, cs__request *r, int32_t n, const int32_t *comp, int32_t ncomp);
static inline bool cs__kv_allocate(cs__kv *kv, cs__request *r, int32_t n, const int32_t *comp, int32_t ncomp) {
  if (ncomp == 0) {
    const cs__kv_req *q = r->sched_priv;
    int64_t bs = kv->block_size, end = (int64_t)r->num_processed + n;
    if (end <= (int64_t)q->nblocks * bs && (!kv->caching || !r->hashes.n || end < (int64_t)(q->cached_count + 1) * bs))
      return true;
  }
  return cs__kv_allocate_blocks(kv, r, n, comp, ncomp);
}
/* Releases r's blocks (reverse order under prefix caching). */
void cs__kv_free(cs__kv *kv, cs__request *r);
double cs__kv_usage_percent(const cs__kv *kv);

#endif
