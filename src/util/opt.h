/* Declarative option and field tables (git's parse-options is the model). One table per command
 * (its flags) or per YAML section (its keys) says, per entry: the name, the type, the bounds and
 * unit of a number, the help text and where the value goes (an offset into the caller's struct,
 * or a callback). One parser reads argv through a table, one reader reads a YAML mapping through
 * it (opt_yaml.c), and --help is generated from it. So every number goes through the checked
 * parser (num.h), every bad value gets one message style ("--tp: expected an integer from 1 to
 * 1024, got 'x'"), every unknown name one "did you mean", and a new flag or key is one line.
 *
 * Defaults live in the caller's struct (its _init/_defaults function): the parser only writes
 * what was given, and --help prints each default from a struct holding them, so a default is
 * written once and the help text cannot disagree with it.
 *
 * Ownership: tables are static const; string values borrow argv (CLI) or are copied into the
 * caller's arena (YAML). Pure and thread-safe: no global state (unlike getopt's optind). */
#ifndef CS_UTIL_OPT_H
#define CS_UTIL_OPT_H

#include <stdbool.h>
#include <stddef.h>

#include "capsearch/error.h"
#include "util/arena.h"
#include "util/num.h"
#include "util/sbuf.h"
#include "util/yaml.h"

typedef enum cs__opt_type {
  CS_OPT_END = 0, /* terminates a table */
  CS_OPT_GROUP,   /* a heading in --help ("scheduling:"); .help is the heading */
  CS_OPT_FLAG,    /* no value: stores true (bool or int field), or 1 for an int */
  CS_OPT_INT,     /* an integer, bounds in .range (range.integer is implied) */
  CS_OPT_NUM,     /* a finite number, bounds in .range, optional .unit */
  CS_OPT_STR,     /* a non-empty string (an empty one only with .empty_ok) */
  CS_OPT_ENUM,    /* one of .choices; stores its index, or .values[index] */
  CS_OPT_LIST,    /* repeatable string: appended to a const char *[.range.max] at .off, count at .count_off */
  CS_OPT_FN,      /* .fn (CLI) / .yfn (YAML) does the work */
  CS_OPT_HELP,    /* -h, --help */
} cs__opt_type;

/* The C type of the field at .off, found by _Generic in CS_OPT_FIELD (no cast can go wrong). */
typedef enum cs__opt_store {
  CS_ST_NONE = 0, CS_ST_BOOL, CS_ST_INT, CS_ST_UINT, CS_ST_LONG, CS_ST_ULONG, CS_ST_LLONG, CS_ST_ULLONG,
  CS_ST_DBL, CS_ST_STR,
} cs__opt_store;

#define CS__OPT_STORE_OF(x)                                                                                    \
  _Generic((x), bool: CS_ST_BOOL, int: CS_ST_INT, unsigned: CS_ST_UINT, long: CS_ST_LONG,                     \
           unsigned long: CS_ST_ULONG, long long: CS_ST_LLONG, unsigned long long: CS_ST_ULLONG,             \
           double: CS_ST_DBL, const char *: CS_ST_STR, char *: CS_ST_STR, default: CS_ST_NONE)
/* .off and .store of a field of struct T: CS_OPT_FIELD(cs__runner_opts, max_iterations) */
#define CS_OPT_FIELD(T, f) .off = offsetof(T, f), .store = CS__OPT_STORE_OF(((T *)0)->f)
/* A bool of T set to true when the entry is given (has_top_k next to top_k). */
#define CS_OPT_SETS(T, f) .set_at = offsetof(T, f) + 1

/* A unit: a number without suffix is in the unit itself; a suffix converts ("200ms" with
 * seconds). Bounds apply in the unit; the stored value is the number times .scale (minutes
 * stored as seconds: scale 60), so a conversion is declared once, here. */
typedef struct cs__opt_suffix {
  const char *suffix; /* "ms" */
  double mul, div;    /* value in the unit = number * mul / div */
} cs__opt_suffix;
typedef struct cs__opt_unit {
  const char *name;          /* "minutes", shown in --help */
  double scale;              /* stored = value in the unit * scale (0 means 1) */
  cs__opt_suffix suffix[4];  /* accepted suffixes; unused ones have suffix NULL */
} cs__opt_unit;
extern const cs__opt_unit cs__unit_seconds; /* s, ms, min, h; stored in seconds */
extern const cs__opt_unit cs__unit_minutes; /* min, s, h; stored in seconds */

typedef struct cs__opt cs__opt;
/* A callback entry (CS_OPT_FN) on the command line: parses text into obj; on failure fills err
 * with what was expected ("expected i/N with 0 <= i < N, got 'x'"); the parser puts the flag
 * name in front. */
typedef int (*cs__opt_fn)(void *obj, const cs__opt *o, const char *text, cs_err *err);
/* The state of a YAML read: the document, where strings go (NULL: borrowed from the document),
 * what the top-level mapping is called in messages ("the sweep file") and the caller's own. */
typedef struct cs__opt_yctx {
  const cs__ydoc *d;
  cs__arena *a;
  const char *top;
  void *user;
} cs__opt_yctx;
/* A callback entry read from YAML: n is the key's value, what its place ("clusters[0].qps"),
 * field points at .off in the object; the message names file:line:col itself. */
typedef int (*cs__opt_yfn)(const cs__opt_yctx *c, const cs__opt *o, const cs__ynode *n, const char *what,
                           void *field, cs_err *err);

struct cs__opt {
  cs__opt_type type;
  const char *name;      /* long flag without "--", or the YAML key */
  char short_name;       /* 'j' for -j, 0 for none */
  const char *arg;       /* the value's placeholder in --help: "N", "DIR" (default: by type) */
  const char *help;      /* help text; '\n' starts a continuation line */
  size_t off;            /* where the value goes (CS_OPT_FIELD) */
  cs__opt_store store;
  cs__num_range range;   /* bounds of INT/NUM (in .unit); all zero (integer unset): any finite number */
  bool max_open;         /* range.max itself is excluded (give .expect to say so) */
  double value;          /* FLAG: the value it stores (0: true / 1) */
  const cs__opt_unit *unit;
  const char *const *choices; /* ENUM: NULL-terminated */
  const int *values;     /* ENUM: stored value of each choice (default: its index) */
  const char *noun;      /* ENUM: "unknown verdict 'x' (did you mean 'vidur'?)" */
  const char *expect;    /* what a bad value message says was expected (default: from range/choices) */
  const char *def;       /* --help default text, overriding the value read from the defaults struct */
  bool no_default;       /* --help prints no default for this entry */
  bool required;         /* YAML: the key must be present */
  bool empty_ok;         /* STR: "" is a value */
  size_t set_at;         /* offset + 1 of a bool set true when given (CS_OPT_SETS); 0: none */
  size_t count_off;      /* LIST: offset of its int count (a YAML list reader may use it too) */
  cs__opt_fn fn;
  cs__opt_yfn yfn;
};

/* A command: its name in messages ("trace info"), usage lines, a paragraph before the options
 * and one after, and its table (ends with CS_OPT_END). */
typedef struct cs__opt_cmd {
  const char *name;
  const char *usage;    /* "capsearch trace info FILE [options]"; '\n' starts another line */
  const char *about;    /* text between the usage and the options (may be NULL) */
  const cs__opt *opts;
  const char *footer;   /* text after the options (may be NULL) */
  int min_pos, max_pos; /* positional arguments accepted (max_pos < 0: any number) */
} cs__opt_cmd;

#define CS_OPT_HELP_ASKED 1

/* Reads argv[1..argc) into obj through cmd->opts: long options (--name VALUE, --name=VALUE, a
 * unique prefix), short ones (-j 4, -j4, -qh) and positional arguments anywhere ("--" ends the
 * options); pos receives the positional arguments in order (at most max_pos of them, borrowed).
 * Returns 0, CS_OPT_HELP_ASKED for -h/--help, or CS_EUSAGE with one message in err:
 *   unknown option '--confg' (did you mean '--config'?)
 *   option '--device' needs a value | option '--json' takes no value | option '--t' is ambiguous
 *   --max-iterations: expected an integer from 1 to 100000, got '1e12'
 *   unexpected argument 'x'; see 'capsearch CMD --help' */
int cs__opt_parse(const cs__opt_cmd *cmd, int argc, char **argv, void *obj, const char **pos, int *npos,
                  cs_err *err);

/* Sets one entry from text, as the parser does; flag is the name used in the message. */
int cs__opt_set(const cs__opt *o, void *obj, const char *text, const char *flag, cs_err *err);

/* Appends the generated help text of cmd: usage, about, one line per option with its
 * placeholder, help and "(default X)" read from defaults (a struct after its _init), footer. */
void cs__opt_help(const cs__opt_cmd *cmd, const void *defaults, cs__sbuf *out);

/* The text a bad value's message says was expected: o->expect, else from range/choices/unit. */
void cs__opt_expect_text(const cs__opt *o, char *buf, size_t size);

/* Reads a YAML mapping through tab into obj (opt_yaml.c). where names the mapping in messages
 * ("clusters[0]", "" for the top level); extra lists further keys the caller reads itself
 * (NULL-terminated, or NULL). Unknown keys get "did you mean", a missing required key is named,
 * every value is typed and checked ("s.yml:4:20: clusters[0].gpus_per_node: expected an integer
 * from 1 to 1024, got 'eight'"); a key whose value is null counts as absent. */
int cs__opt_yaml_read(const cs__opt_yctx *c, const cs__ynode *map, const cs__opt *tab, const char *const *extra,
                      const char *where, void *obj, cs_err *err);
/* One entry's value from a YAML node, as cs__opt_yaml_read reads it; what names it. */
int cs__opt_yaml_value(const cs__opt_yctx *c, const cs__opt *o, const cs__ynode *n, const char *what, void *obj,
                       cs_err *err);

/* Finds the entry named name (exact) in a table; NULL when none. */
const cs__opt *cs__opt_find(const cs__opt *tab, const char *name);

/* Number of entries before CS_OPT_END. */
size_t cs__opt_count(const cs__opt *tab);

/* Stores a number into the field of entry o (by o->store, after the unit's scale); the value is
 * already checked. Reads it back likewise (for --help defaults). */
void cs__opt_store_num(const cs__opt *o, void *obj, double v);
double cs__opt_load_num(const cs__opt *o, const void *obj);

#endif
