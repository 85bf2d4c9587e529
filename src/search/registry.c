/* The registry of capacity searches (include/capsearch/search.h). Adding a search is its state
 * machine in search.c, an enum value and one entry here. */
#include "capsearch/search.h"

static const cs_search_info searches[] = {
    {.info = {.name = "qps", .summary = "highest qps that meets the SLOs with num_replicas replicas (doubling, then bisection)"},
     .kind = CS_SEARCH_QPS},
    {.info = {.name = "num_replicas",
              .summary = "fewest replicas that meet the SLOs at the fixed qps (doubling, then bisection)",
              .flags = CS_SEARCH_VARIES_REPLICAS},
     .kind = CS_SEARCH_NUM_REPLICAS},
    {.info = {.name = "isoqps",
              .summary = "qps x m for every m of qps_multipliers at num_replicas; no search",
              .flags = CS_SEARCH_TAKES_MULTIPLIERS},
     .kind = CS_SEARCH_ISOQPS},
};

static const cs_registry_entry *const entries[] = {&searches[0].info, &searches[1].info, &searches[2].info, NULL};
static const cs_registry registry = {"search", entries};

const cs_registry *cs_searches(void) { return &registry; }

int cs_search_find(const char *name, const cs_search_info **out, cs_err *err) {
  const cs_registry_entry *e;
  int rc = cs_registry_find(&registry, name, &e, err);
  *out = rc ? NULL : (const cs_search_info *)e; /* the entry is the info's first member */
  return rc;
}

const cs_search_info *cs_search_of(cs_search_kind k) {
  for (size_t i = 0; i < sizeof searches / sizeof searches[0]; i++)
    if (searches[i].kind == k) return &searches[i];
  return NULL;
}

const char *cs_search_kind_name(cs_search_kind k) {
  const cs_search_info *s = cs_search_of(k);
  return s ? s->info.name : "?";
}
