/* Internal helpers shared by the sweep-file parser's files (parse.c, extensions.c).
 * Ownership: strings and arrays are allocated in the sweep's arena. */
#ifndef CS_CONFIG_CONFIG_H
#define CS_CONFIG_CONFIG_H

#include <stdbool.h>

#include "capsearch/sweep.h"
#include "util/arena.h"
#include "util/yaml.h"

/* Reads a YAML number keeping its Python str() text (vidur-semantics.md §7.4), in the range of
 * a policy entry's key (cs__cfg_range; parser.h). */
int cs__sweep_num(const cs__ydoc *d, const cs__ynode *n, const char *what, bool want_int, cs_sweep_num *out,
                  cs__arena *a, cs_err *err);

#endif
