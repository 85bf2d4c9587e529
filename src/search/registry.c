/* The capacity searches a sweep's search_configs[].search_for names, in the one registry shape
 * (include/capsearch/registry.h); the state machines are in search.c. */
#include "capsearch/registry.h"
#include "capsearch/sweep.h"

static const cs_search_def search_qps = {
    .info = {.name = "qps", .summary = "highest arrival rate meeting the SLO on num_replicas replicas (Vidur)"},
    .kind = CS_SEARCH_QPS,
};
static const cs_search_def search_replicas = {
    .info = {.name = "num_replicas", .summary = "fewest replicas meeting the SLO at a fixed qps (Vidur)"},
    .kind = CS_SEARCH_NUM_REPLICAS,
};
static const cs_search_def search_isoqps = {
    .info = {.name = "isoqps",
             .summary = "the SLO at qps x each of qps_multipliers on num_replicas replicas (Vidur)"},
    .kind = CS_SEARCH_ISOQPS,
};

static const cs_registry_entry *const entries[] = {&search_qps.info, &search_replicas.info, &search_isoqps.info,
                                                    NULL};
static const cs_registry registry = {"search", entries};

const cs_registry *cs_searches(void) { return &registry; }

const char *cs_search_kind_name(cs_search_kind k) {
  for (size_t i = 0; entries[i]; i++)
    if (((const cs_search_def *)entries[i])->kind == k) return entries[i]->name;
  return "?";
}
