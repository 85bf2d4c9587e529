/* sched: the routers' prefix-cache question prepared once per request (sched/policy.h
 * cs__prefix_query, cs__prefix_query_prepare, cs__kv_query_blocks) against each replica walking
 * the request's hashes itself (cs__kv_computed_blocks, the scheduler's admission walk).
 * Twelve vLLM-V1 KV managers are filled by random admissions, prefills and releases of requests
 * whose hash views share ids and prefixes (1, 2, 4 and 32 blocks per trace id, consecutive ids,
 * fresh ids starting at any lane of a map entry, maps that grow and collide); then random
 * requests are routed by every cached-prefix-aware router twice, once through each way of
 * asking, and every replica's answer and every router's pick must be the same. */
#include "cs_test.h"
#include "sched_fake_sim.h"
#include "sched/kv_v1.h"
#include "sched/router_util.h"

extern const cs__global_sched_ops cs__gsched_lop_uncached, cs__gsched_tolerant_sticky_lop_uncached,
    cs__gsched_ranked_sticky_lop_uncached;

enum { R = 12, NB = 160, BS = 4, POOL = 40, LIVE = 8, MAXIDS = 64, ROUTES = 400 };

typedef struct held {
  cs__request r;
  uint64_t ids[MAXIDS];
  bool live;
} held;

static uint64_t rng_state;
static uint32_t rnd(uint32_t n) {
  rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (uint32_t)(rng_state >> 33) % n;
}

/* The KV managers the services below answer from (a test's shared fixture, set per seed). */
static cs__kv *replica_kv;

/* The per-replica way: each replica walks the request's own hashes. */
static int32_t walk_cached(const cs__request *r, int32_t replica) {
  return cs__kv_computed_blocks(&replica_kv[replica], r, NULL) * BS;
}

/* The shared way, as the engine answers (src/sim/engine.c): hints for all, then the counts. */
static int32_t query_cached(cs__sim *sim, int32_t replica, const cs__prefix_query *q) {
  (void)sim;
  return cs__kv_query_blocks(&replica_kv[replica], q) * BS;
}
static void query_cached_all(cs__sim *sim, const cs__prefix_query *q, int32_t *out) {
  for (int32_t x = 0; x < sim->num_replicas; x++) cs__kv_query_prefetch(&replica_kv[x], q);
  for (int32_t x = 0; x < sim->num_replicas; x++) out[x] = query_cached(sim, x, q);
}
static cs__sim_services query_services;
/* How many answers were hits, and hits over more than one map entry (16 blocks): the fixture
 * must exercise the walks, not only first-entry misses. */
static int64_t answers_hit, answers_long;

/* A random hash view: ids from a small pool, often a shared prefix or consecutive ids (runs
 * that merge), then fresh ids from any lane. */
static void random_view(cs__request *r, uint64_t *ids, int64_t id) {
  uint32_t shift = (uint32_t[]){0, 1, 2, 5}[rnd(4)], per = 1u << shift;
  int32_t p = 1 + (int32_t)rnd(180), d = 1 + (int32_t)rnd(8);
  uint32_t n = (uint32_t)((p + d) / BS);
  uint32_t nid = n ? rnd(n + 1) : 0, nids = (nid + per - 1) / per; /* n <= 47 < MAXIDS */
  uint32_t shared = rnd(nids + 1), base = rnd(POOL);
  bool consecutive = rnd(3) == 0;
  for (uint32_t i = 0; i < nids; i++)
    ids[i] = i < shared ? i % 5 : consecutive ? base + i : rnd(POOL);
  fake_req(r, id, 0, p, d);
  r->session_id = (int64_t)rnd(6);
  uint64_t fresh = 1000000 + (uint64_t)id * 256 + rnd(16);
  r->hashes = (cs_block_hashes){.ids = ids, .fresh = fresh, .n = n, .nid = nid, .shift = shift};
}

/* Admits h on kv with its prefix hits and prefills its whole prompt (and a few decode tokens);
 * false when the blocks do not suffice (nothing held then). */
static bool admit(cs__kv *kv, held *h) {
  int32_t comp[MAXIDS];
  h->r.sched_priv = calloc(1, sizeof(cs__kv_req));
  int32_t nc = cs__kv_computed_blocks(kv, &h->r, comp), c = nc * BS;
  if (c == h->r.num_prefill) { /* a full hit recomputes its last block */
    c -= BS;
    nc--;
  }
  int32_t n = h->r.num_prefill - c + (int32_t)rnd((uint32_t)h->r.num_decode + 1);
  if (!cs__kv_allocate(kv, &h->r, n, comp, nc)) {
    free(h->r.sched_priv);
    h->r.sched_priv = NULL;
    return false;
  }
  h->r.num_processed = c + n;
  h->live = true;
  return true;
}

static void release(cs__kv *kv, held *h) {
  cs__kv_free(kv, &h->r);
  free(h->r.sched_priv);
  h->r.sched_priv = NULL;
  h->live = false;
}

typedef struct side {
  cs__sim sim;
  void *state;
} side;

static void side_init(side *s, const cs__global_sched_ops *ops, const cs_params *params, int32_t ctx_block_size) {
  fake_sim_init(&s->sim);
  s->sim.num_replicas = R;
  for (int x = 0; x < R; x++) s->sim.ctx[x].block_size = ctx_block_size;
  cs__router_ctx ctx = {.sim = &s->sim, .num_replicas = R, .seed = 67, .params = params};
  s->state = cs__sim_alloc(&s->sim, ops->state_size);
  cs_err err = {0};
  CS_ASSERT_OK(ops->init(s->state, &ctx, &err), &err);
}

/* One seed: fills the managers, then routes ROUTES requests with `ops` both ways. false on the
 * first difference (reported). ctx_block_size != BS: the prepared runs fit no replica, which
 * must then answer from the request (the same answers). */
static bool run_seed(uint64_t seed, const cs__global_sched_ops *ops, const cs_params *params, int32_t ctx_block_size) {
  rng_state = seed;
  static cs__sim kv_sim; /* the managers' arena stand-in (the fake sims are large: static) */
  fake_sim_init(&kv_sim);
  static cs__kv kvs[R];
  static held live[R][LIVE];
  memset(live, 0, sizeof live);
  for (int x = 0; x < R; x++) cs__kv_init(&kvs[x], &kv_sim, NB, BS, 0, true);
  replica_kv = kvs;
  static side walk, shared;
  side_init(&walk, ops, params, ctx_block_size);
  walk.sim.cached = walk_cached;
  side_init(&shared, ops, params, ctx_block_size);
  shared.sim.svc = &query_services;
  bool ok = true;
  int64_t next_id = 0;
  static held probe;
  for (int step = 0; step < ROUTES && ok; step++) {
    for (int k = 0; k < 6; k++) { /* change a few caches: admissions and releases */
      int x = (int)rnd(R), i = (int)rnd(LIVE);
      held *h = &live[x][i];
      if (h->live) {
        release(&kvs[x], h);
      } else {
        random_view(&h->r, h->ids, next_id++);
        if (!admit(&kvs[x], h)) /* full: make room for a later admission */
          for (int j = 0; j < LIVE; j++)
            if (live[x][j].live) {
              release(&kvs[x], &live[x][j]);
              break;
            }
      }
    }
    const held *src = &live[rnd(R)][rnd(LIVE)];
    random_view(&probe.r, probe.ids, next_id++);
    if (src->live && rnd(4)) { /* a live request's view: a prefix that hits, maybe a shorter prompt */
      memcpy(probe.ids, src->ids, sizeof probe.ids);
      probe.r.hashes = src->r.hashes;
      probe.r.hashes.ids = probe.ids;
      probe.r.num_prefill = 1 + (int32_t)rnd((uint32_t)src->r.num_prefill + 8);
    }
    cs__prefix_query q;
    cs__prefix_query_init(&q, &shared.sim);
    cs__prefix_query_prepare(&q, &probe.r, ctx_block_size);
    int32_t want[R], got[R];
    walk.sim.svc->cached_prefill_lengths(&walk.sim, &q, want);
    shared.sim.svc->cached_prefill_lengths(&shared.sim, &q, got);
    for (int x = 0; x < R && ok; x++) {
      answers_hit += want[x] > 0;
      answers_long += want[x] > 16 * BS;
      if (got[x] != want[x]) {
        CS__FAIL_MSG("seed %llu route %d: replica %d: %d cached tokens asked once for all, %d walked by the replica",
                     (unsigned long long)seed, step, x, got[x], want[x]);
        ok = false;
      }
    }
    int32_t a = ops->route(walk.state, &probe.r), b = ops->route(shared.state, &probe.r);
    if (ok && a != b) {
      CS__FAIL_MSG("seed %llu route %d: %s picked %d asking once, %d walking per replica", (unsigned long long)seed,
                   step, ops->info.name, b, a);
      ok = false;
    }
    if (ok && rnd(2)) { /* its prompt is prefilled: the routers take its uncached tokens back */
      probe.r.replica_id = a;
      ops->on_prefill_end(walk.state, &probe.r);
      ops->on_prefill_end(shared.state, &probe.r);
    }
  }
  for (int x = 0; x < R; x++)
    for (int i = 0; i < LIVE; i++)
      if (live[x][i].live) release(&kvs[x], &live[x][i]);
  fake_sim_release(&walk.sim);
  fake_sim_release(&shared.sim);
  fake_sim_release(&kv_sim);
  return ok;
}

static void run_router(const cs__global_sched_ops *ops, const char *pname, double pval) {
  cs_params params = {0};
  if (pname) {
    params.n = 1;
    params.names[0] = pname;
    params.values[0] = pval;
  }
  answers_hit = answers_long = 0;
  for (uint64_t seed = 1; seed <= 6; seed++) {
    if (!run_seed(seed, ops, &params, BS)) return;
    if (!run_seed(seed + 100, ops, &params, 2 * BS)) return; /* runs of another block size */
  }
  CS_ASSERT_TRUE(answers_hit > 1000);
  CS_ASSERT_TRUE(answers_long > 100);
}

static void test_lop_uncached_same_picks_asked_once_or_per_replica(void) {
  run_router(&cs__gsched_lop_uncached, NULL, 0);
}
static void test_tolerant_sticky_same_picks_asked_once_or_per_replica(void) {
  run_router(&cs__gsched_tolerant_sticky_lop_uncached, "tolerance_factor", 2.0);
  run_router(&cs__gsched_tolerant_sticky_lop_uncached, "tolerance_factor", 3.0);
}
static void test_ranked_sticky_same_picks_asked_once_or_per_replica(void) {
  run_router(&cs__gsched_ranked_sticky_lop_uncached, "top_k", 2);
  run_router(&cs__gsched_ranked_sticky_lop_uncached, "top_k", 4);
}

/* The runs themselves: consecutive hashes merge, the counts add up to the matchable blocks. */
static void test_prepare_splits_hashes_into_runs(void) {
  static cs__sim sim;
  fake_sim_init(&sim);
  cs__prefix_query q;
  cs__prefix_query_init(&q, &sim);
  uint64_t ids[] = {7, 8, 3, 3};
  cs__request r;
  fake_req(&r, 0, 0, 4 * 9 + 3, 4);
  /* blocks 0-3: ids 7, 8 (2 blocks each: 14, 15, 16, 17, consecutive), 4-5: id 3 (6, 7),
   * 6-7: id 3 again (6, 7), then fresh 50, 51 ... */
  r.hashes = (cs_block_hashes){.ids = ids, .fresh = 50, .n = 12, .nid = 8, .shift = 1};
  cs__prefix_query_prepare(&q, &r, 4);
  CS_ASSERT_INT_EQ(q.nblocks, 9); /* floor(39 / 4) */
  CS_ASSERT_INT_EQ(q.nruns, 4);
  CS_ASSERT_INT_EQ((int64_t)q.runs[0].hash, 14);
  CS_ASSERT_INT_EQ(q.runs[0].count, 4);
  CS_ASSERT_INT_EQ((int64_t)q.runs[1].hash, 6);
  CS_ASSERT_INT_EQ(q.runs[1].count, 2);
  CS_ASSERT_INT_EQ((int64_t)q.runs[2].hash, 6);
  CS_ASSERT_INT_EQ(q.runs[2].count, 2);
  CS_ASSERT_INT_EQ((int64_t)q.runs[3].hash, 50);
  CS_ASSERT_INT_EQ(q.runs[3].count, 1);
  r.num_prefill = 3; /* less than a block: nothing to match */
  cs__prefix_query_prepare(&q, &r, 4);
  CS_ASSERT_INT_EQ(q.nblocks, 0);
  CS_ASSERT_INT_EQ(q.nruns, 0);
  fake_sim_release(&sim);
}

int main(void) {
  query_services = fake_services;
  query_services.cached_prefill_length = query_cached;
  query_services.cached_prefill_lengths = query_cached_all;
  static const cs_test_case cases[] = {
      {"test_prepare_splits_hashes_into_runs", test_prepare_splits_hashes_into_runs},
      {"test_lop_uncached_same_picks_asked_once_or_per_replica", test_lop_uncached_same_picks_asked_once_or_per_replica},
      {"test_tolerant_sticky_same_picks_asked_once_or_per_replica",
       test_tolerant_sticky_same_picks_asked_once_or_per_replica},
      {"test_ranked_sticky_same_picks_asked_once_or_per_replica", test_ranked_sticky_same_picks_asked_once_or_per_replica},
      {NULL, NULL},
  };
  return cs_test_run("sched_prefix_query", cases);
}
