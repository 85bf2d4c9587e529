/* Shared machinery of the global schedulers (routers, src/sched/router_*.c):
 *  - Python `random.Random(seed).choice` over tied replica ids (vidur-semantics.md §3: ties are
 *    broken by `rng.choice(list of tied ids in ascending order)` = seq[_randbelow(len(seq))]);
 *  - a session -> replica map (open addressing, int64 keys) for the sticky routers;
 *  - a per-request int32 table indexed by request id (memoised cached-prefix lengths);
 *  - the prefix-cache question about a request, split into hash runs once for all replicas;
 *  - the lop_uncached load-imbalance map of §3.5 in O(R) instead of Vidur's O(R^2).
 * Ownership: everything lives in the simulation's arena (cs__sim_alloc); tables grow by doubling
 * into fresh arena memory (the old block is simply abandoned; total waste <= the final size).
 * Nothing here is freed individually. */
#ifndef CS_SCHED_ROUTER_UTIL_H
#define CS_SCHED_ROUTER_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "sched/policy.h"
#include "util/rng.h"

/* Picks one of the replicas whose value equals the minimum of vals[0..n), with Python
 * `rng.choice([ids with min value, ascending])` semantics: always draws (even for one tie).
 * `scratch` must hold n ids. */
int32_t cs__rt_choice_min_i64(cs__mt *rng, const int64_t *vals, int32_t n, int32_t *scratch);

/* Session -> replica map. Session ids are >= 0 (a request without a session has -1 and is
 * never stored). */
typedef struct cs__rt_smap {
  cs__sim *sim;
  uint64_t *keys;   /* session id + 1; 0 = empty slot */
  int32_t *vals;
  uint64_t cap;     /* power of two */
  uint64_t n;
} cs__rt_smap;

void cs__rt_smap_init(cs__rt_smap *m, cs__sim *sim);
/* Replica of a session, or -1 when the session is unknown (or sid < 0). */
int32_t cs__rt_smap_get(const cs__rt_smap *m, int64_t sid);
/* Sets (inserts or overwrites) the replica of a session; sid < 0 is ignored. */
void cs__rt_smap_put(cs__rt_smap *m, int64_t sid, int32_t replica);

/* A growable int32 table indexed by request id, values default `def`. */
typedef struct cs__rt_itab {
  cs__sim *sim;
  int32_t *v;
  int64_t cap;
  int32_t def;
} cs__rt_itab;

void cs__rt_itab_init(cs__rt_itab *t, cs__sim *sim, int32_t def);
int32_t cs__rt_itab_get(const cs__rt_itab *t, int64_t id);
void cs__rt_itab_set(cs__rt_itab *t, int64_t id, int32_t value);

/* The prefix-cache question about a request (sched/policy.h, cs__prefix_query), prepared once
 * per routing decision and put to every replica. init: empty, runs grown in sim's arena. */
void cs__prefix_query_init(cs__prefix_query *q, cs__sim *sim);
/* Splits r's first min(floor(P / block_size), hashes.n) block hashes into runs of consecutive
 * ids. q borrows r until the next prepare. block_size < 1 prepares no runs and a block size no
 * replica has, so that every replica answers from r by its own walk. */
void cs__prefix_query_prepare(cs__prefix_query *q, const cs__request *r, int32_t block_size);

/* §3.5 imbalance map: for each candidate c, imb[c] = max - min over x of
 * pending[x] + (x == c ? add[c] : 0). Exactly Vidur's O(R^2) definition, computed in O(R) from
 * the two largest and two smallest pending values. */
void cs__rt_imbalance(const int64_t *pending, const int64_t *add, int32_t n, int64_t *imb);

#endif
