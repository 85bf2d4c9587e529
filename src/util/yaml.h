/* A small read-only document tree over libyaml, for every YAML and JSON input (catalogs, sweep
 * files, simulate files, Hugging Face config.json — JSON is YAML 1.2 flow syntax that libyaml
 * parses). Every node keeps its 1-based line and column so errors can say "file:line:col: ...".
 *
 * Ownership: a document owns all nodes and strings; nodes are borrowed pointers valid until
 * cs__ydoc_free. Nothing in the tree points into libyaml's buffers. Aliases resolve to the
 * anchored node (shared, read-only). */
#ifndef CS_UTIL_YAML_H
#define CS_UTIL_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capsearch/error.h"
#include "capsearch/yaml.h"

/* The tree and the reads a program outside the library needs are public (capsearch/yaml.h); the
 * library's code keeps the internal spellings, mapped onto the public names. */
typedef cs_ykind cs__ykind;
typedef cs_ynode cs__ynode;
typedef cs_ydoc cs__ydoc;

#define cs__ydoc_load_file cs_ydoc_load_file
int cs__ydoc_load_string(cs__ydoc *doc, const char *name, const char *text, size_t len, cs_err *err);
#define cs__ydoc_free cs_ydoc_free

/* Map lookup (NULL if absent or node is not a map). */
#define cs__ymap_get cs_ymap_get
const char *cs__ykind_name(cs__ykind k);
bool cs__y_is_null(const cs__ynode *n);

/* Typed scalar reads. `what` names the value in the message ("clusters[0].gpus_per_node").
 * Errors: "<file>:<line>:<col>: <what>: expected an integer, got 'abc'". */
int cs__y_int(const cs__ydoc *d, const cs__ynode *n, const char *what, int64_t *out, cs_err *err);
#define cs__y_double cs_y_double
/* A number through the checked parser (util/num.h) with the field's range: "<file>:<line>:<col>:
 * <what>: 4294967297 is out of range (expected an integer from 1 to 1024)". */
struct cs_num_range;
int cs__y_num(const cs__ydoc *d, const cs__ynode *n, const char *what, const struct cs_num_range *r, double *out,
              cs_err *err);
#define cs__y_bool cs_y_bool
#define cs__y_str cs_y_str
/* Checks kind; message "expected a mapping, got a sequence". */
#define cs__y_expect cs_y_expect

/* Rejects keys of `map` not in `allowed` (NULL-terminated), suggesting the closest allowed key:
 * "sweep.yml:14:5: unknown key 'chunk_sise' in replica_schedulers[1] (did you mean 'chunk_size'?)" */
int cs__y_check_keys(const cs__ydoc *d, const cs__ynode *map, const char *const *allowed, const char *where,
                     cs_err *err);

/* Formats "<file>:<line>:<col>" for a node into buf. */
#define cs__y_where cs_y_where

#endif
