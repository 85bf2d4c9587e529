/* The capacity searches a sweep's search_configs entry names (search_for): one registry
 * (registry.h) of qps, num_replicas and isoqps. Each is a cs_search_info whose first member is
 * its registry entry (name, aliases, summary, capability flags) and which carries the enum the
 * search machine runs (src/search/search.h). Code finds a search with cs_search_find (a
 * misspelled name gets "did you mean") and asks its flags; `capsearch list searches` reads the
 * same list. Ownership: everything is static and immutable. */
#ifndef CAPSEARCH_SEARCH_H
#define CAPSEARCH_SEARCH_H

#include "capsearch/error.h"
#include "capsearch/registry.h"
#include "capsearch/sweep.h"

/* Capability flags of a search entry. */
enum {
  /* The search varies the number of replicas at a fixed qps (the others vary the qps). */
  CS_SEARCH_VARIES_REPLICAS = 1u << 0,
  /* The entry takes a non-empty qps_multipliers list (and only such a search may). */
  CS_SEARCH_TAKES_MULTIPLIERS = 1u << 1,
};

typedef struct cs_search_info {
  cs_registry_entry info; /* first: name, summary, flags */
  cs_search_kind kind;
} cs_search_info;

/* The registry of searches, in documentation order. */
const cs_registry *cs_searches(void);
/* The search named name (or an alias); CS_EUNKNOWN with "unknown search 'x' (did you mean
 * 'qps'?)" otherwise. */
int cs_search_find(const char *name, const cs_search_info **out, cs_err *err);
/* The entry of a kind (never NULL for a valid kind). */
const cs_search_info *cs_search_of(cs_search_kind k);

#endif
