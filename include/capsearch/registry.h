/* One shape for everything capsearch finds by name: replica schedulers, routers (global
 * schedulers), request queues, predictors, searches, trace formats, metrics.
 *
 * An implementation is a `static const` ops table in its own file whose FIRST member is a
 * cs_registry_entry (`.info`): name, aliases, one-line summary, declared parameters (params.h)
 * and capability flags. A registry is a NULL-terminated list of pointers to those entries plus
 * the word its messages use ("replica scheduler"). Code finds an implementation with
 * cs_registry_find (exact name or alias; an unknown name gets "did you mean" or the list of
 * valid names) and then asks its flags, never its name. Because `.info` comes first, a found
 * entry converts back to its ops table with a cast (`(const my_ops *)entry`).
 *
 * Adding an implementation: one new file defining the ops table, one line in the registry's
 * list. Ownership: everything here is static and immutable; lookups are thread-safe. */
#ifndef CAPSEARCH_REGISTRY_H
#define CAPSEARCH_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "capsearch/error.h"
#include "capsearch/params.h"

typedef struct cs_registry_entry {
  const char *name;              /* the canonical name (written to outputs) */
  const char *summary;           /* one line for `capsearch list` */
  const cs_param_spec *params;   /* declared parameters, NULL when none */
  size_t nparams;
  size_t params_size;            /* size of the typed parameter struct that `params` lays out
                                    (offsets into it); 0 = the implementation takes no bound struct */
  const char *const *aliases;    /* other accepted names, NULL-terminated; NULL = none */
  unsigned flags;                /* capability flags; their meaning is defined per registry */
} cs_registry_entry;

typedef struct cs_registry {
  const char *kind;                         /* "replica scheduler": the word in messages */
  const cs_registry_entry *const *entries;  /* NULL-terminated, documentation order */
} cs_registry;

/* Number of entries. */
size_t cs_registry_count(const cs_registry *r);
/* The entry called `name` (or with `name` among its aliases); NULL when none. */
const cs_registry_entry *cs_registry_get(const cs_registry *r, const char *name);
/* As cs_registry_get, but a miss fails with CS_EUNKNOWN and
 * "unknown <kind> 'x' (did you mean 'y'?)" or "unknown <kind> 'x' (expected one of: a, b, c)". */
int cs_registry_find(const cs_registry *r, const char *name, const cs_registry_entry **out, cs_err *err);
/* The names of the entries that have every bit of `flags` (0: all), joined by `sep`, into buf
 * (truncated to cap; for messages such as "use vllm_v1 or sarathi"). Returns buf. */
const char *cs_registry_names(const cs_registry *r, unsigned flags, const char *sep, char *buf, size_t cap);
/* The declaration of parameter `name` in the first entry that declares it; NULL when none does.
 * Entries that share a parameter declare it alike (a test checks), so this is the parameter's
 * one declaration, e.g. for a command-line flag that sets it. */
const cs_param_spec *cs_registry_param(const cs_registry *r, const char *name);
/* True when every bit of `flags` is set on the entry. */
static inline bool cs_registry_has(const cs_registry_entry *e, unsigned flags) {
  return e && (e->flags & flags) == flags;
}

#endif
