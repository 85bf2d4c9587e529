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

/* Readers: `data` is the whole (inflated) file, NUL-terminated. */
int cs__read_vidur_csv(const char *path, const char *data, size_t len, const cs_trace_opts *o,
                       cs_trace **out, cs_err *err);
int cs__read_azure_csv(const char *path, const char *data, size_t len, const cs_trace_opts *o,
                       cs_trace **out, cs_err *err);
int cs__read_mooncake(const char *path, const char *data, size_t len, const cs_trace_opts *o,
                      cs_trace **out, cs_err *err);

/* Mooncake's hash ids cover 512-token blocks (reference §2.3). */
#define CS__MOONCAKE_BLOCK 512
/* Bounds checked before anything is allocated for a row: tokens per request (prompt or output;
 * 16M, above every model's context) and block hashes in a whole trace (2^27 ids = 1 GiB). */
#define CS__TRACE_MAX_TOKENS (1 << 24)
#define CS__TRACE_MAX_BLOCKS ((uint64_t)1 << 27)

#endif
