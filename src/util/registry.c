/* Lookup in a registry (include/capsearch/registry.h): exact name or alias, else a message
 * with the nearest name ("did you mean") or the list of valid ones. */
#include "capsearch/registry.h"

#include <stdio.h>
#include <string.h>

#include "util/text.h"

/* Names and aliases considered for a suggestion (more are still found, only not suggested). */
#define MAX_CANDIDATES 128

size_t cs_registry_count(const cs_registry *r) {
  size_t n = 0;
  while (r && r->entries && r->entries[n]) n++;
  return n;
}

static bool matches(const cs_registry_entry *e, const char *name) {
  if (!strcmp(e->name, name)) return true;
  for (size_t k = 0; e->aliases && e->aliases[k]; k++)
    if (!strcmp(e->aliases[k], name)) return true;
  return false;
}

const cs_registry_entry *cs_registry_get(const cs_registry *r, const char *name) {
  if (!r || !name) return NULL;
  for (size_t i = 0; r->entries[i]; i++)
    if (matches(r->entries[i], name)) return r->entries[i];
  return NULL;
}

const char *cs_registry_names(const cs_registry *r, unsigned flags, const char *sep, char *buf, size_t cap) {
  size_t used = 0;
  if (cap) buf[0] = '\0';
  for (size_t i = 0; r && r->entries[i] && used < cap; i++)
    if (cs_registry_has(r->entries[i], flags))
      used += (size_t)snprintf(buf + used, cap - used, "%s%s", used ? sep : "", r->entries[i]->name);
  return buf;
}

const cs_param_spec *cs_registry_param(const cs_registry *r, const char *name) {
  for (size_t i = 0; r && r->entries[i]; i++)
    for (size_t k = 0; k < r->entries[i]->nparams; k++)
      if (!strcmp(r->entries[i]->params[k].name, name)) return &r->entries[i]->params[k];
  return NULL;
}

void cs__choices_suffix(const char *name, const char *const *cands, size_t n, const char *intro, const char *none,
                        char *buf, size_t cap) {
  const char *sug = name ? cs__suggest(name, cands, n) : NULL;
  if (sug) {
    snprintf(buf, cap, " (did you mean '%s'?)", sug);
    return;
  }
  size_t used = (size_t)snprintf(buf, cap, " (%s: ", intro);
  for (size_t i = 0; i < n && used < cap; i++)
    used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", cands[i]);
  if (!n && used < cap) used += (size_t)snprintf(buf + used, cap - used, "%s", none);
  if (used < cap) snprintf(buf + used, cap - used, ")");
}

int cs_registry_find(const cs_registry *r, const char *name, const cs_registry_entry **out, cs_err *err) {
  *out = cs_registry_get(r, name);
  if (*out) return 0;
  const char *kind = r && r->kind ? r->kind : "name";
  if (!name) return cs_err_set(err, CS_EINVAL, "no %s given", kind);
  /* suggest among names and aliases; list only the canonical names */
  const char *cands[MAX_CANDIDATES];
  size_t nnames = 0, ncands = 0;
  for (size_t i = 0; r && r->entries[i] && ncands < MAX_CANDIDATES; i++) cands[ncands++] = r->entries[i]->name;
  nnames = ncands;
  for (size_t i = 0; r && r->entries[i]; i++)
    for (size_t k = 0; r->entries[i]->aliases && r->entries[i]->aliases[k] && ncands < MAX_CANDIDATES; k++)
      cands[ncands++] = r->entries[i]->aliases[k];
  char suffix[700];
  const char *sug = cs__suggest(name, cands, ncands);
  if (sug) {
    const cs_registry_entry *e = cs_registry_get(r, sug); /* an alias suggests its canonical name */
    snprintf(suffix, sizeof suffix, " (did you mean '%s'?)", e ? e->name : sug);
  } else {
    cs__choices_suffix(NULL, cands, nnames, "expected one of", "none", suffix, sizeof suffix);
  }
  return cs_err_set(err, CS_EUNKNOWN, "unknown %s '%s'%s", kind, name, suffix);
}
