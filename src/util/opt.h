/* The internal side of the option tables (capsearch/opt.h has the shape, the argv parser and the
 * help generator): reading a YAML mapping through a table (opt_yaml.c) and --help into a string
 * buffer. Ownership: strings read from YAML are copied into the caller's arena (or borrowed from
 * the document when it gives none). Pure and thread-safe. */
#ifndef CS_UTIL_OPT_H
#define CS_UTIL_OPT_H

#include <stdbool.h>
#include <stddef.h>

#include "capsearch/error.h"
#include "capsearch/opt.h"
#include "util/arena.h"
#include "util/num.h"
#include "util/sbuf.h"
#include "util/yaml.h"

/* The state of a YAML read: the document, where strings go (NULL: borrowed from the document),
 * what the top-level mapping is called in messages ("the sweep file") and the caller's own. */
typedef struct cs__opt_yctx {
  const cs__ydoc *d;
  cs__arena *a;
  const char *top;
  void *user;
} cs__opt_yctx;
/* A callback entry read from YAML (cs_opt.yfn): n is the key's value, what its place
 * ("clusters[0].qps"), field points at .off in the object; the message names file:line:col
 * itself. */
typedef cs_opt_yfn cs__opt_yfn;

/* Appends the generated help text of cmd (cs_opt_help_text) to out. */
void cs__opt_help(const cs_opt_cmd *cmd, const void *defaults, cs__sbuf *out);

/* Reads a YAML mapping through tab into obj (opt_yaml.c). where names the mapping in messages
 * ("clusters[0]", "" for the top level); extra lists further keys the caller reads itself
 * (NULL-terminated, or NULL). Unknown keys get "did you mean", a missing required key is named,
 * every value is typed and checked ("s.yml:4:20: clusters[0].gpus_per_node: expected an integer
 * from 1 to 1024, got 'eight'"); a key whose value is null counts as absent. */
int cs__opt_yaml_read(const cs__opt_yctx *c, const cs__ynode *map, const cs_opt *tab, const char *const *extra,
                      const char *where, void *obj, cs_err *err);
/* One entry's value from a YAML node, as cs__opt_yaml_read reads it; what names it. */
int cs__opt_yaml_value(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *obj,
                       cs_err *err);

#endif
