/* One field-table shape for everything capsearch reads by name: a command's flags, the keys of a
 * YAML section and a policy's parameters (git's parse-options is the model). A table is a static
 * const array of cs_opt; an entry says the name, the type, the bounds and unit of a number, the
 * help text, where the value goes (an offset into the caller's struct, found with CS_OPT_FIELD,
 * or a callback) and, for a policy parameter, its default and CS_PARAM_* flags (params.h).
 * One parser reads argv through a table (cs_opt_parse), one reader reads a YAML mapping through
 * it (internal, the config readers), cs_params_bind binds policy parameters through it, and
 * --help is generated from it. So every number goes through one checked parser (cs_num_parse),
 * every bad value gets one message style ("--tp: expected an integer from 1 to 1024, got 'x'"),
 * every unknown name one "did you mean", and a new flag, key or parameter is one line.
 *
 * Defaults: a command's defaults live in the caller's struct (its _init function): the parser
 * writes only what was given, and --help prints each default from a struct holding them. A
 * policy parameter's default is the entry's .def, which cs_params_bind writes when the parameter
 * is not given. Either way a default is written once.
 *
 * Ownership: tables are static const; string values borrow argv. Pure and thread-safe: no global
 * state (unlike getopt's optind). */
#ifndef CAPSEARCH_OPT_H
#define CAPSEARCH_OPT_H

#include <stdbool.h>
#include <stddef.h>

#include "capsearch/error.h"

/* ---- the one number parser --------------------------------------------------------------------
 * Every number capsearch reads from a file or a flag goes through it with the range its field
 * allows: no wrap, no silent narrowing, no NaN or infinity, no hex, no trailing garbage. */
typedef struct cs_num_range {
  double min, max; /* inclusive bounds */
  bool min_open;   /* min itself is excluded (a positive value: min 0, min_open) */
  bool integer;    /* an integer is required (4.0 and 1e3 are accepted when integral) */
} cs_num_range;

/* Parses s (the whole string; surrounding blanks are not allowed) into *out. On failure returns
 * -1 (not a number of the kind) or -2 (a number out of range) and writes a reason into why:
 * "expected an integer from 1 to 1024, got '4294967297'". Integers are exact up to 2^53. */
int cs_num_parse(const char *s, const cs_num_range *r, double *out, char *why, size_t why_size);
/* The range as text: "an integer from 1 to 1024", "a number > 0 and <= 1e+09". */
void cs_num_range_text(const cs_num_range *r, char *buf, size_t size);

/* ---- the table shape -------------------------------------------------------------------------- */
typedef enum cs_opt_type {
  CS_OPT_END = 0, /* terminates a command's or a section's table (policy tables are counted) */
  CS_OPT_GROUP,   /* a heading in --help ("scheduling:"); .help is the heading */
  CS_OPT_FLAG,    /* a boolean: no value on the command line (stores true, or .value), true/false in YAML */
  CS_OPT_INT,     /* an integer, bounds in .range (range.integer is implied) */
  CS_OPT_NUM,     /* a finite number, bounds in .range, optional .unit */
  CS_OPT_STR,     /* a non-empty string (an empty one only with .empty_ok) */
  CS_OPT_ENUM,    /* one of .choices; stores its index, or .values[index] */
  CS_OPT_LIST,    /* repeatable string: appended to a const char *[.range.max] at .off, count at .count_off */
  CS_OPT_FN,      /* .fn (command line) / .yfn (YAML) does the work */
  CS_OPT_HELP,    /* -h, --help */
} cs_opt_type;

/* The C type of the field at .off, found by _Generic in CS_OPT_FIELD (no cast can go wrong). */
typedef enum cs_opt_store {
  CS_ST_NONE = 0, CS_ST_BOOL, CS_ST_INT, CS_ST_UINT, CS_ST_LONG, CS_ST_ULONG, CS_ST_LLONG, CS_ST_ULLONG,
  CS_ST_DBL, CS_ST_STR,
} cs_opt_store;

#define CS_OPT_STORE_OF(x)                                                                                     \
  _Generic((x), bool: CS_ST_BOOL, int: CS_ST_INT, unsigned: CS_ST_UINT, long: CS_ST_LONG,                     \
           unsigned long: CS_ST_ULONG, long long: CS_ST_LLONG, unsigned long long: CS_ST_ULLONG,             \
           double: CS_ST_DBL, const char *: CS_ST_STR, char *: CS_ST_STR, default: CS_ST_NONE)
/* .off and .store of a field of struct T: CS_OPT_FIELD(cs__runner_opts, max_iterations) */
#define CS_OPT_FIELD(T, f) .off = offsetof(T, f), .store = CS_OPT_STORE_OF(((T *)0)->f)
/* A bool of T set to true when the entry is given (has_top_k next to top_k). */
#define CS_OPT_SETS(T, f) .set_at = offsetof(T, f) + 1

/* A unit: a number without suffix is in the unit itself; a suffix converts ("200ms" with
 * seconds). Bounds apply in the unit; the stored value is the number times .scale (minutes
 * stored as seconds: scale 60), so a conversion is declared once, here. */
typedef struct cs_opt_suffix {
  const char *suffix; /* "ms" */
  double mul, div;    /* value in the unit = number * mul / div */
} cs_opt_suffix;
typedef struct cs_opt_unit {
  const char *name;         /* "minutes", shown in --help */
  double scale;             /* stored = value in the unit * scale (0 means 1) */
  cs_opt_suffix suffix[4];  /* accepted suffixes; unused ones have suffix NULL */
} cs_opt_unit;
extern const cs_opt_unit cs_opt_unit_seconds; /* s, ms, min, h; stored in seconds */
extern const cs_opt_unit cs_opt_unit_minutes; /* min, s, h; stored in seconds */

typedef struct cs_opt cs_opt;
/* A callback entry (CS_OPT_FN) on the command line: parses text into obj; on failure fills err
 * with what was expected ("expected i/N with 0 <= i < N, got 'x'"); the parser puts the flag
 * name in front. */
typedef int (*cs_opt_fn)(void *obj, const cs_opt *o, const char *text, cs_err *err);
/* A callback entry read from YAML (the reader's state and node: capsearch/yaml.h). */
struct cs_opt_yctx;
struct cs_ynode;
typedef int (*cs_opt_yfn)(const struct cs_opt_yctx *c, const cs_opt *o, const struct cs_ynode *n,
                          const char *what, void *field, cs_err *err);

struct cs_opt {
  cs_opt_type type;
  const char *name;      /* long flag without "--", the YAML key, or the parameter's name */
  char short_name;       /* 'j' for -j, 0 for none */
  const char *arg;       /* the value's placeholder in --help: "N", "DIR" (default: by type) */
  const char *help;      /* help text; '\n' starts a continuation line */
  size_t off;            /* where the value goes (CS_OPT_FIELD) */
  cs_opt_store store;
  cs_num_range range;    /* bounds of INT/NUM (in .unit); all zero (integer unset): any finite number */
  bool max_open;         /* range.max itself is excluded (give .expect to say so) */
  double value;          /* FLAG: the value it stores (0: true / 1) */
  const cs_opt_unit *unit;
  const char *const *choices; /* ENUM: NULL-terminated */
  const int *values;     /* ENUM: stored value of each choice (default: its index) */
  const char *noun;      /* ENUM: "unknown verdict 'x' (did you mean 'vidur'?)" */
  const char *expect;    /* what a bad value message says was expected (default: from range/choices) */
  double def;            /* a policy parameter's default (cs_params_bind); command tables keep theirs in a struct */
  const char *def_text;  /* --help default text, overriding the value read from the defaults struct */
  bool no_default;       /* --help prints no default for this entry */
  bool required;         /* must be given (YAML key, policy parameter without default) */
  bool empty_ok;         /* STR: "" is a value */
  unsigned flags;        /* a policy parameter's CS_PARAM_* flags (params.h) */
  size_t set_at;         /* offset + 1 of a bool set true when given (CS_OPT_SETS); 0: none */
  size_t count_off;      /* LIST: offset of its int count (a YAML list reader may use it too) */
  cs_opt_fn fn;
  cs_opt_yfn yfn;
};

/* A command: its name in messages ("trace info"), usage lines, a paragraph before the options
 * and one after, and its table (ends with CS_OPT_END). */
typedef struct cs_opt_cmd {
  const char *name;
  const char *usage;    /* "capsearch trace info FILE [options]"; '\n' starts another line */
  const char *about;    /* text between the usage and the options (may be NULL) */
  const cs_opt *opts;
  const char *footer;   /* text after the options (may be NULL) */
  int min_pos, max_pos; /* positional arguments accepted (max_pos < 0: any number) */
} cs_opt_cmd;

#define CS_OPT_HELP_ASKED 1

/* Reads argv[1..argc) into obj through cmd->opts: long options (--name VALUE, --name=VALUE, a
 * unique prefix), short ones (-j 4, -j4, -qh) and positional arguments anywhere ("--" ends the
 * options); pos receives the positional arguments in order (at most max_pos of them, borrowed).
 * Returns 0, CS_OPT_HELP_ASKED for -h/--help, or CS_EUSAGE with one message in err:
 *   unknown option '--confg' (did you mean '--config'?)
 *   option '--device' needs a value | option '--json' takes no value | option '--t' is ambiguous
 *   --max-iterations: expected an integer from 1 to 100000, got '1e12'
 *   unexpected argument 'x'; see 'capsearch CMD --help' */
int cs_opt_parse(const cs_opt_cmd *cmd, int argc, char **argv, void *obj, const char **pos, int *npos,
                 cs_err *err);

/* Sets one entry from text, as the parser does; flag is the name used in the message. */
int cs_opt_set(const cs_opt *o, void *obj, const char *text, const char *flag, cs_err *err);

/* The generated help text of cmd: usage, about, one line per option with its placeholder, help
 * and "(default X)" read from defaults (a struct after its _init), footer. Heap string the
 * caller frees; NULL when out of memory. */
char *cs_opt_help_text(const cs_opt_cmd *cmd, const void *defaults);

/* The text a bad value's message says was expected: o->expect, else from range/choices/unit. */
void cs_opt_expect_text(const cs_opt *o, char *buf, size_t size);

/* Finds the entry named name (exact) in a table ending with CS_OPT_END; NULL when none. */
const cs_opt *cs_opt_find(const cs_opt *tab, const char *name);
/* Number of entries before CS_OPT_END. */
size_t cs_opt_count(const cs_opt *tab);
/* Stores a number into the field of entry o (by o->store, after the unit's scale); the value is
 * already checked. Reads it back likewise (for --help defaults and bound parameters). */
void cs_opt_store_num(const cs_opt *o, void *obj, double v);
double cs_opt_load_num(const cs_opt *o, const void *obj);

#endif
