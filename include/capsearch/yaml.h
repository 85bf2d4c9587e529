/* Reading a YAML (or JSON) file through the field tables of capsearch/opt.h: the read-only
 * document tree every capsearch input is parsed into (catalogs, sweep files, simulate files,
 * Hugging Face config.json; JSON is YAML 1.2 flow syntax), typed reads of its scalars, and the
 * table reader that checks a mapping's keys and values as the sweep file's sections are checked.
 * Every node keeps its 1-based line and column, so every message names "file:line:col".
 *
 * Ownership: a cs_ydoc owns all its nodes and strings (nothing points into libyaml's buffers);
 * nodes are borrowed and valid until cs_ydoc_free. Aliases resolve to the anchored node
 * (shared, read-only). Strings a read returns borrow from the document. Errors: 0 or a
 * negative CS_E* code (CS_ECONFIG for a bad value) with the message in *err: "sim.yml:4:20: replica.tp: expected an integer from 1 to 1024, got 'eight'".
 * No libyaml type appears here; thread-safe on distinct documents. */
#ifndef CAPSEARCH_YAML_H
#define CAPSEARCH_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include "capsearch/error.h"
#include "capsearch/opt.h"

typedef enum cs_ykind { CS_Y_SCALAR, CS_Y_SEQ, CS_Y_MAP } cs_ykind;

typedef struct cs_ynode cs_ynode;
struct cs_ynode {
  cs_ykind kind;
  int line, col;     /* 1-based position of the node's start */
  const char *str;   /* scalar text (CS_Y_SCALAR) */
  bool quoted;       /* scalar was quoted: never a number/bool/null */
  size_t n;          /* items (SEQ) or pairs (MAP) */
  cs_ynode **items;  /* SEQ items, or MAP values */
  cs_ynode **keys;   /* MAP keys (scalars) */
};

typedef struct cs_ydoc {
  char *file;      /* name used in messages */
  cs_ynode *root;  /* NULL for an empty document */
  void *mem;       /* library-internal: the nodes' memory */
} cs_ydoc;

/* Parses the file at path (gzip inflated, at most 1 GiB) into *doc; the message of an
 * unreadable file names it, a syntax error names file:line:col. Call cs_ydoc_free(doc)
 * afterwards whether it succeeded or not. */
int cs_ydoc_load_file(cs_ydoc *doc, const char *path, cs_err *err);
/* Frees everything the document owns; a zeroed document is a no-op. */
void cs_ydoc_free(cs_ydoc *doc);

/* The value of `key` in a mapping; NULL when absent or map is not a mapping. */
const cs_ynode *cs_ymap_get(const cs_ynode *map, const char *key);

/* Typed reads of a scalar node; `what` names the value in the message ("replica.tp"). A
 * missing node (NULL) or one of another kind is an error. */
int cs_y_double(const cs_ydoc *d, const cs_ynode *n, const char *what, double *out, cs_err *err);
int cs_y_bool(const cs_ydoc *d, const cs_ynode *n, const char *what, bool *out, cs_err *err);
int cs_y_str(const cs_ydoc *d, const cs_ynode *n, const char *what, const char **out, cs_err *err);
/* Checks a node's kind: "expected a mapping, got a sequence". */
int cs_y_expect(const cs_ydoc *d, const cs_ynode *n, cs_ykind kind, const char *what, cs_err *err);
/* "file:line:col" of a node (just "file" for NULL) into buf[size], for a message's start. */
void cs_y_where(const cs_ydoc *d, const cs_ynode *n, char *buf, size_t size);

/* ---- a mapping through a field table (cs_opt) ---- */

/* The state of one read, handed to CS_OPT_FN entries' .yfn callbacks. */
struct cs__arena;
typedef struct cs_opt_yctx {
  const cs_ydoc *d;      /* the document */
  struct cs__arena *a;   /* library-internal: where strings are copied; NULL: borrowed from d */
  const char *top;       /* what the top-level mapping is called in messages ("the simulate config") */
  void *user;            /* the caller's own */
} cs_opt_yctx;

/* Reads the mapping `map` through the table tab (ending with CS_OPT_END) into obj: each key
 * names an entry, whose value is typed and checked as the entry says (bounds, unit, choices;
 * a null value counts as absent); unknown keys get "did you mean", a missing required key is
 * named. where names the mapping in messages ("workload"; "" for the top level); extra lists
 * further keys the caller reads itself (NULL-terminated, or NULL). */
int cs_opt_yaml_read(const cs_opt_yctx *c, const cs_ynode *map, const cs_opt *tab, const char *const *extra,
                     const char *where, void *obj, cs_err *err);
/* One entry's value from a node, as cs_opt_yaml_read reads it; what names it in messages. */
int cs_opt_yaml_value(const cs_opt_yctx *c, const cs_opt *o, const cs_ynode *n, const char *what, void *obj,
                      cs_err *err);

#endif
