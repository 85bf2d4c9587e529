/* A small read-only document tree over libyaml, for every YAML and JSON input (catalogs, sweep
 * files, simulate files, Hugging Face config.json — JSON is YAML 1.2 flow syntax that libyaml
 * parses). Every node keeps its 1-based line and column so errors can say "file:line:col: ...".
 *
 * Ownership: cs__ydoc owns all nodes and strings; nodes are borrowed pointers valid until
 * cs__ydoc_free. Nothing in the tree points into libyaml's buffers. Aliases resolve to the
 * anchored node (shared, read-only). */
#ifndef CS_UTIL_YAML_H
#define CS_UTIL_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capsearch/error.h"

typedef enum cs__ykind { CS_Y_SCALAR, CS_Y_SEQ, CS_Y_MAP } cs__ykind;

typedef struct cs__ynode cs__ynode;
struct cs__ynode {
  cs__ykind kind;
  int line, col;     /* 1-based position of the node's start */
  const char *str;   /* scalar text (CS_Y_SCALAR) */
  bool quoted;       /* scalar was quoted: never a number/bool/null */
  size_t n;          /* items (SEQ) or pairs (MAP) */
  cs__ynode **items; /* SEQ items, or MAP values */
  cs__ynode **keys;  /* MAP keys (scalars) */
};

typedef struct cs__ydoc {
  char *file;      /* name used in messages */
  cs__ynode *root; /* NULL for an empty document */
  void *mem;       /* internal arena */
} cs__ydoc;

int cs__ydoc_load_file(cs__ydoc *doc, const char *path, cs_err *err);
int cs__ydoc_load_string(cs__ydoc *doc, const char *name, const char *text, size_t len, cs_err *err);
void cs__ydoc_free(cs__ydoc *doc);

/* Map lookup (NULL if absent or node is not a map). */
const cs__ynode *cs__ymap_get(const cs__ynode *map, const char *key);
const char *cs__ykind_name(cs__ykind k);
bool cs__y_is_null(const cs__ynode *n);

/* Typed scalar reads. `what` names the value in the message ("clusters[0].gpus_per_node").
 * Errors: "<file>:<line>:<col>: <what>: expected an integer, got 'abc'". */
int cs__y_int(const cs__ydoc *d, const cs__ynode *n, const char *what, int64_t *out, cs_err *err);
int cs__y_double(const cs__ydoc *d, const cs__ynode *n, const char *what, double *out, cs_err *err);
/* A number through the checked parser (util/num.h) with the field's range: "<file>:<line>:<col>:
 * <what>: 4294967297 is out of range (expected an integer from 1 to 1024)". */
struct cs_num_range;
int cs__y_num(const cs__ydoc *d, const cs__ynode *n, const char *what, const struct cs_num_range *r, double *out,
              cs_err *err);
int cs__y_bool(const cs__ydoc *d, const cs__ynode *n, const char *what, bool *out, cs_err *err);
int cs__y_str(const cs__ydoc *d, const cs__ynode *n, const char *what, const char **out, cs_err *err);
/* Checks kind; message "expected a mapping, got a sequence". */
int cs__y_expect(const cs__ydoc *d, const cs__ynode *n, cs__ykind kind, const char *what, cs_err *err);

/* Rejects keys of `map` not in `allowed` (NULL-terminated), suggesting the closest allowed key:
 * "sweep.yml:14:5: unknown key 'chunk_sise' in replica_schedulers[1] (did you mean 'chunk_size'?)" */
int cs__y_check_keys(const cs__ydoc *d, const cs__ynode *map, const char *const *allowed, const char *where,
                     cs_err *err);

/* Formats "<file>:<line>:<col>: " for a node into buf. */
void cs__y_where(const cs__ydoc *d, const cs__ynode *n, char *buf, size_t size);

#endif
