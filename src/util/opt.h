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
#include "capsearch/yaml.h"
#include "util/arena.h"
#include "util/num.h"
#include "util/sbuf.h"
#include "util/yaml.h"

/* The state of a YAML read (public: capsearch/yaml.h, cs_opt_yctx). */
typedef cs_opt_yctx cs__opt_yctx;
/* A callback entry read from YAML (cs_opt.yfn): n is the key's value, what its place
 * ("clusters[0].qps"), field points at .off in the object; the message names file:line:col
 * itself. */
typedef cs_opt_yfn cs__opt_yfn;

/* Appends the generated help text of cmd (cs_opt_help_text) to out. */
void cs__opt_help(const cs_opt_cmd *cmd, const void *defaults, cs__sbuf *out);

/* Reading a YAML mapping through a table (opt_yaml.c) is public (capsearch/yaml.h); the library's
 * code keeps the internal spellings. */
#define cs__opt_yaml_read cs_opt_yaml_read
#define cs__opt_yaml_value cs_opt_yaml_value

#endif
