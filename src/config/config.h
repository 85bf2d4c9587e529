/* Internal helpers shared by the sweep-file parser's files (parse.c, extensions.c).
 * Ownership: strings and arrays are allocated in the sweep's arena. */
#ifndef CS_CONFIG_CONFIG_H
#define CS_CONFIG_CONFIG_H

#include <stdbool.h>

#include "capsearch/sweep.h"
#include "util/arena.h"
#include "util/yaml.h"

/* Reads a YAML number keeping its Python str() text (vidur-semantics.md §7.4). A policy entry's
 * numbers have no range here: the policy declares their bounds (cs_sweep_resolve_policies). */
int cs__sweep_num(const cs__ydoc *d, const cs__ynode *n, const char *what, bool want_int, cs_sweep_num *out,
                  cs__arena *a, cs_err *err);

#endif
