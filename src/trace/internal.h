/* Internal helpers shared by the trace readers, writers and generators (src/trace only).
 * A reader fills a cs__trace_builder (growable rows + hash pool) and hands it to
 * cs__trace_builder_finish, which turns it into an immutable cs_trace.
 * Ownership: the builder owns its arrays until _finish moves them into the trace or _release
 * frees them. */
#ifndef CS_TRACE_INTERNAL_H
#define CS_TRACE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capsearch/trace.h"
#include "util/sbuf.h"

typedef struct cs__trace_builder {
  CS__VEC(cs_trace_row) rows;
  CS__VEC(uint64_t) hashes;
} cs__trace_builder;

void cs__trace_builder_release(cs__trace_builder *b);
/* Moves the builder's arrays into a new trace (the builder is left empty). Fails when the trace
 * has no rows ("<path>: no requests in the trace"). */
int cs__trace_builder_finish(cs__trace_builder *b, const char *path, cs_trace_format fmt, int block_size,
                             bool has_arrivals, bool has_hashes, bool has_sessions, cs_trace **out,
                             cs_err *err);

/* Strict number parsing of a whole field (leading/trailing blanks allowed, nothing else):
 * returns false when the text is not a number of that kind. */
bool cs__parse_double(const char *s, size_t len, double *out);
/* A whole number: "374" or an integral decimal like "374.0" / "3.74e2". */
bool cs__parse_whole(const char *s, size_t len, int64_t *out);
bool cs__parse_u64(const char *s, size_t len, uint64_t *out);

/* What a format's detector sees of a file: its name, and its text after a UTF-8 byte-order mark
 * and leading blanks (NUL-terminated), with the length of the first line of that text. */
typedef struct cs__trace_head {
  const char *path;
  const char *text;
  size_t line_len;
} cs__trace_head;

/* A trace format: registry entry (name, aliases, summary, CS_TRACE_HAS_* flags), a label for
 * people, a detector (true: the file is in this format; NULL: the format reads what no other
 * format claims) and the reader. `data` is the whole (inflated) file, NUL-terminated; the
 * reader hands its rows to cs__trace_builder_finish with its own cs_trace_format.
 * Each reader file defines `const cs__trace_format cs__trace_format_<name>` for its line in
 * CS_TRACE_FORMATS (trace.h). */
typedef struct cs__trace_format {
  cs_registry_entry info; /* first: the registry's entries point here */
  const char *label;
  bool (*detect)(const cs__trace_head *h);
  int (*read)(const char *path, const char *data, size_t len, const cs_trace_opts *o, cs_trace **out, cs_err *err);
} cs__trace_format;

#define CS__TRACE_FORMAT_DECL(id, name) extern const cs__trace_format cs__trace_format_##name;
CS_TRACE_FORMATS(CS__TRACE_FORMAT_DECL)
#undef CS__TRACE_FORMAT_DECL

/* A format's reader table; NULL for CS_TRACE_AUTO. */
const cs__trace_format *cs__trace_format_get(cs_trace_format f);
/* The format of a file (`data` NUL-terminated): the first registered format whose detector claims
 * it, else the one without a detector. */
cs_trace_format cs__trace_detect(const char *path, const char *data);

/* CSV reading shared by the CSV formats (csv.c). A record handler gets the fields of one record
 * (NUL-terminated, with lengths) and the line it started on; it returns 0 to go on, 1 to stop,
 * or a negative error. */
typedef int (*cs__trace_csv_record_fn)(void *user, size_t line, const char *const *f, const size_t *flen, size_t nf,
                                       cs_err *err);
/* Calls fn once per record (the header included) until it returns non-zero. */
int cs__trace_csv_each(const char *path, const char *data, size_t len, cs__trace_csv_record_fn fn, void *user,
                       cs_err *err);
/* Index of a header column, -1 when absent. */
int cs__trace_find_col(const char *const *f, size_t nf, const char *name);
/* "<path>:1: missing column 'x' in the <kind> header (did you mean ...) (found ...)". */
int cs__trace_missing_col(const char *path, const char *name, const char *kind, const char *const *f, size_t nf,
                          cs_err *err);
/* A token count: a whole number in [1, CS__TRACE_MAX_TOKENS]. */
int cs__trace_parse_tokens(const char *path, size_t line, const char *col, const char *s, size_t n, int32_t *out,
                           cs_err *err);

/* The readers (also called directly by the fuzzers in tests/fuzz). */
int cs__read_vidur_csv(const char *path, const char *data, size_t len, const cs_trace_opts *o,
                       cs_trace **out, cs_err *err);
int cs__read_azure_csv(const char *path, const char *data, size_t len, const cs_trace_opts *o,
                       cs_trace **out, cs_err *err);
int cs__read_mooncake(const char *path, const char *data, size_t len, const cs_trace_opts *o,
                      cs_trace **out, cs_err *err);

/* Mooncake's hash ids cover 512-token blocks (reference §2.3). */
#define CS__MOONCAKE_BLOCK 512
/* Bounds checked before anything is allocated for a row: tokens per request (prompt or output,
 * CS_TRACE_MAX_TOKENS) and block hashes in a whole trace (2^27 ids = 1 GiB). */
#define CS__TRACE_MAX_TOKENS CS_TRACE_MAX_TOKENS /* capsearch/trace.h */
#define CS__TRACE_MAX_BLOCKS ((uint64_t)1 << 27)

#endif
