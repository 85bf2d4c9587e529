/* The vLLM-V1 KV-cache manager (src/sched/kv_v1.c, vidur-semantics.md §4.7): preallocation of
 * 4 blocks, the free queue's order (allocate from the front, free to the back, reverse order
 * under prefix caching), prefix hits on full blocks only, touching evictable cached blocks,
 * eviction of cached hashes, all-or-nothing allocation; several blocks holding one hash (the
 * first inserted answers lookups), the map growing past its first size, and the free ring
 * keeping the queue's order through holes and compactions. */
#include <stdlib.h>
#include <string.h>

#include "cs_test.h"
#include "sched/kv_v1.h"
#include "sim/engine.h"

static cs__sim *fake_sim(void) {
  cs__sim *s = calloc(1, sizeof *s);
  s->svc = &cs__sim_engine_services;
  cs__arena_init(&s->arena, 4096);
  return s;
}

static const uint64_t H[] = {101, 102, 103, 104, 105, 106, 107, 108, 109, 110};

static cs__request req(int64_t id, int32_t p, int32_t d, bool hashes) {
  cs__request r = {.id = id, .num_prefill = p, .num_decode = d};
  r.sched_priv = calloc(1, sizeof(cs__kv_req));
  if (hashes) {
    r.hashes = (cs_block_hashes){.ids = H, .n = (uint32_t)((p + d) / 16), .nid = (uint32_t)((p + d) / 16)};
  }
  return r;
}

static void expect_blocks(const cs__request *r, const int32_t *want, int n) {
  const cs__kv_req *q = r->sched_priv;
  CS_ASSERT_INT_EQ(q->nblocks, n);
  for (int i = 0; i < n && i < q->nblocks; i++)
    if (q->blocks[i] != want[i]) CS__FAIL_MSG("block %d: got %d, want %d", i, q->blocks[i], want[i]);
}

static void test_kv_prealloc_prefix_hits_and_free_order(void) {
  cs__sim *sim = fake_sim();
  cs__kv kv;
  cs__kv_init(&kv, sim, 10, 16, 64, true);
  CS_ASSERT_INT_EQ(kv.prealloc_blocks, 4);
  cs__request a = req(0, 40, 8, true), b = req(1, 40, 8, true);
  /* 40 tokens need 3 blocks; 4 more are preallocated; 2 full blocks get cached */
  CU_ASSERT(cs__kv_allocate(&kv, &a, 40, NULL, 0));
  int32_t a_blocks[] = {0, 1, 2, 3, 4, 5, 6};
  expect_blocks(&a, a_blocks, 7);
  CS_ASSERT_INT_EQ(kv.num_free, 3);
  CS_ASSERT_DBL_NEAR(cs__kv_usage_percent(&kv), 70.0, 1e-12);
  int32_t comp[4];
  CS_ASSERT_INT_EQ(cs__kv_computed_blocks(&kv, &b, comp), 2); /* full prompt blocks only */
  CS_ASSERT_INT_EQ(comp[0], 0);
  CS_ASSERT_INT_EQ(comp[1], 1);
  /* free in reverse order: the free queue becomes 7 8 9 | 6 5 4 3 2 1 0 */
  cs__kv_free(&kv, &a);
  CS_ASSERT_INT_EQ(kv.num_free, 10);
  /* b hits blocks 0 and 1 (touched out of the free queue), computes 8 tokens: 1 new + 4 prealloc */
  CS_ASSERT_INT_EQ(cs__kv_computed_blocks(&kv, &b, comp), 2);
  CU_ASSERT(cs__kv_allocate(&kv, &b, 8, comp, 2));
  int32_t b_blocks[] = {0, 1, 7, 8, 9, 6, 5};
  expect_blocks(&b, b_blocks, 7);
  CS_ASSERT_INT_EQ(kv.num_free, 3);
  /* all or nothing: 5 blocks do not fit in 3 free */
  cs__request c = req(2, 80, 4, false);
  CU_ASSERT(!cs__kv_allocate(&kv, &c, 80, NULL, 0));
  CS_ASSERT_INT_EQ(kv.num_free, 3);
  CS_ASSERT_INT_EQ(((cs__kv_req *)c.sched_priv)->nblocks, 0);
  /* a decode step inside the preallocated room takes no block */
  b.num_processed = 41;
  CU_ASSERT(cs__kv_allocate(&kv, &b, 1, NULL, 0));
  CS_ASSERT_INT_EQ(kv.num_free, 3);
  cs__kv_free(&kv, &b);
  /* a request without hashes takes all 10 blocks, evicting every cached hash */
  cs__request e = req(3, 160, 1, false);
  CU_ASSERT(cs__kv_allocate(&kv, &e, 160, NULL, 0));
  CS_ASSERT_INT_EQ(kv.num_free, 0);
  CS_ASSERT_INT_EQ(cs__kv_computed_blocks(&kv, &b, comp), 0);
  cs__kv_free(&kv, &e);
  free(a.sched_priv);
  free(b.sched_priv);
  free(c.sched_priv);
  free(e.sched_priv);
  cs__arena_release(&sim->arena);
  free(sim);
}

static void test_kv_without_caching_frees_in_order_and_never_hits(void) {
  cs__sim *sim = fake_sim();
  cs__kv kv;
  cs__kv_init(&kv, sim, 8, 16, 0, false);
  cs__request a = req(0, 32, 2, true), b = req(1, 32, 2, true);
  CU_ASSERT(cs__kv_allocate(&kv, &a, 32, NULL, 0));
  int32_t a_blocks[] = {0, 1};
  expect_blocks(&a, a_blocks, 2);
  cs__kv_free(&kv, &a); /* queue: 2..7, 0, 1 */
  CS_ASSERT_INT_EQ(cs__kv_computed_blocks(&kv, &b, NULL), 0);
  a.num_processed = 0;
  cs__request big = req(2, 16 * 7, 1, false);
  CU_ASSERT(cs__kv_allocate(&kv, &big, 16 * 7, NULL, 0));
  int32_t big_blocks[] = {2, 3, 4, 5, 6, 7, 0};
  expect_blocks(&big, big_blocks, 7);
  free(a.sched_priv);
  free(b.sched_priv);
  free(big.sched_priv);
  cs__arena_release(&sim->arena);
  free(sim);
}

/* Two requests compute the same prefix before either is cached: both hold blocks with H[0] and
 * H[1]. Lookups return the first-inserted block still cached, also after evictions. */
static void test_kv_shared_hash_answers_first_inserted_block(void) {
  cs__sim *sim = fake_sim();
  cs__kv kv;
  cs__kv_init(&kv, sim, 8, 16, 0, true);
  cs__request a = req(0, 32, 1, true), b = req(1, 32, 1, true), c = req(2, 48, 1, true);
  CU_ASSERT(cs__kv_allocate(&kv, &a, 32, NULL, 0)); /* blocks 0 1 */
  CU_ASSERT(cs__kv_allocate(&kv, &b, 32, NULL, 0)); /* blocks 2 3, the same hashes again */
  int32_t comp[4];
  CS_ASSERT_INT_EQ(cs__kv_computed_blocks(&kv, &c, comp), 2);
  CS_ASSERT_INT_EQ(comp[0], 0);
  CS_ASSERT_INT_EQ(comp[1], 1);
  cs__kv_free(&kv, &a); /* queue: 4 5 6 7 1 0 */
  cs__request big = req(3, 16 * 5, 1, false);
  CU_ASSERT(cs__kv_allocate(&kv, &big, 16 * 5, NULL, 0)); /* 4 5 6 7 1: evicts a's H[1] */
  CS_ASSERT_INT_EQ(cs__kv_computed_blocks(&kv, &c, comp), 2);
  CS_ASSERT_INT_EQ(comp[0], 0);
  CS_ASSERT_INT_EQ(comp[1], 3);
  cs__request one = req(4, 16, 1, false);
  CU_ASSERT(cs__kv_allocate(&kv, &one, 16, NULL, 0)); /* block 0: evicts a's H[0] */
  CS_ASSERT_INT_EQ(cs__kv_computed_blocks(&kv, &c, comp), 2);
  CS_ASSERT_INT_EQ(comp[0], 2);
  CS_ASSERT_INT_EQ(comp[1], 3);
  cs__kv_free(&kv, &b);
  cs__kv_free(&kv, &big);
  cs__kv_free(&kv, &one); /* b's blocks stay cached while free */
  CS_ASSERT_INT_EQ(cs__kv_computed_blocks(&kv, &c, comp), 2);
  CS_ASSERT_INT_EQ(comp[0], 2);
  free(a.sched_priv);
  free(b.sched_priv);
  free(c.sched_priv);
  free(big.sched_priv);
  free(one.sched_priv);
  cs__arena_release(&sim->arena);
  free(sim);
}

/* Hashes that share no group of 16 fill one map entry each, so the map has to grow; every
 * hash stays findable, and evicting them all leaves nothing behind. */
static void test_kv_map_grows_with_scattered_hashes(void) {
  enum { NB = 96 };
  static uint64_t scattered[NB];
  for (int i = 0; i < NB; i++) scattered[i] = (uint64_t)1000003 * (uint64_t)(i + 1);
  cs__sim *sim = fake_sim();
  cs__kv kv;
  cs__kv_init(&kv, sim, NB, 16, 0, true);
  cs__request a = req(0, 16 * NB, 1, false);
  a.hashes = (cs_block_hashes){.ids = scattered, .n = NB, .nid = NB};
  CU_ASSERT(cs__kv_allocate(&kv, &a, 16 * NB, NULL, 0));
  CU_ASSERT(kv.map_mask + 1 >= 2 * (uint64_t)NB);
  cs__request probe = req(1, 16 * NB + 1, 1, false);
  probe.hashes = a.hashes;
  static int32_t comp[NB + 1];
  CS_ASSERT_INT_EQ(cs__kv_computed_blocks(&kv, &probe, comp), NB);
  for (int i = 0; i < NB; i++)
    if (comp[i] != i) CS__FAIL_MSG("hash %d: block %d, want %d", i, comp[i], i);
  cs__kv_free(&kv, &a);
  cs__request wipe = req(2, 16 * NB, 1, false);
  CU_ASSERT(cs__kv_allocate(&kv, &wipe, 16 * NB, NULL, 0));
  CS_ASSERT_INT_EQ(cs__kv_computed_blocks(&kv, &probe, comp), 0);
  CS_ASSERT_INT_EQ(kv.map_used, 0);
  free(a.sched_priv);
  free(probe.sched_priv);
  free(wipe.sched_priv);
  cs__arena_release(&sim->arena);
  free(sim);
}

/* A request hits its cached first block (which leaves the free queue from the middle), takes
 * one new block from the front and frees both, over and over: the ring fills with holes and is
 * compacted many times. A plain list mirrors the queue; every block taken must be its front. */
static void test_kv_free_ring_keeps_queue_order_through_compactions(void) {
  enum { NB = 8 };
  cs__sim *sim = fake_sim();
  cs__kv kv;
  cs__kv_init(&kv, sim, NB, 16, 0, true);
  int32_t model[4 * NB], nm = NB;
  for (int i = 0; i < NB; i++) model[i] = i;
  for (int cycle = 0; cycle < 60; cycle++) {
    cs__request x = req(cycle, 32, 1, true);
    x.hashes.n = x.hashes.nid = 2;
    int32_t comp[4];
    int32_t nc = cs__kv_computed_blocks(&kv, &x, comp) > 0 ? 1 : 0;
    if (nc) { /* the touched block leaves the model's queue */
      int k = 0;
      while (k < nm && model[k] != comp[0]) k++;
      CU_ASSERT(k < nm);
      memmove(&model[k], &model[k + 1], sizeof *model * (size_t)(nm - k - 1));
      nm--;
    }
    CU_ASSERT(cs__kv_allocate(&kv, &x, 32 - 16 * nc, comp, nc));
    const cs__kv_req *q = x.sched_priv;
    CS_ASSERT_INT_EQ(q->nblocks, 2);
    for (int k = nc; k < 2; k++) {
      if (q->blocks[k] != model[0])
        CS__FAIL_MSG("cycle %d: took block %d, queue front is %d", cycle, q->blocks[k], model[0]);
      memmove(&model[0], &model[1], sizeof *model * (size_t)(nm - 1));
      nm--;
    }
    model[nm++] = q->blocks[1]; /* freed in reverse order */
    model[nm++] = q->blocks[0];
    cs__kv_free(&kv, &x);
    CS_ASSERT_INT_EQ(kv.num_free, NB);
    free(x.sched_priv);
  }
  cs__arena_release(&sim->arena);
  free(sim);
}

static const cs_test_case cases[] = {
    {"test_kv_shared_hash_answers_first_inserted_block", test_kv_shared_hash_answers_first_inserted_block},
    {"test_kv_map_grows_with_scattered_hashes", test_kv_map_grows_with_scattered_hashes},
    {"test_kv_free_ring_keeps_queue_order_through_compactions", test_kv_free_ring_keeps_queue_order_through_compactions},
    {"test_kv_prealloc_prefix_hits_and_free_order", test_kv_prealloc_prefix_hits_and_free_order},
    {"test_kv_without_caching_frees_in_order_and_never_hits", test_kv_without_caching_frees_in_order_and_never_hits},
    {NULL, NULL},
};

int main(void) {
  int (*volatile keep)(const cs_sim_config *, cs_sim_result **, cs_err *) = cs_sim_run; /* pull the engine in */
  (void)keep;
  return cs_test_run("sim_kv", cases);
}
