/* The one JSON writer: every JSON file and --json output of capsearch is written through it
 * (config.json, args.json, job.json, probe.json, a probe's config.json and plots/<name>.json, ...).
 * It streams into a cs__sbuf, pretty-printed with two-space indentation (or on one line), and
 * it cannot produce invalid JSON:
 *   - strings are escaped; bytes that are not valid UTF-8 are written as \ufffd;
 *   - a number that is not finite (nan, inf) is written as null: the rule for every file;
 *   - nesting is checked: a key outside an object, a value without its key inside an object, a
 *     close that does not match its open, a second top-level value, nesting deeper than
 *     CS__JW_MAX_DEPTH are programmer errors; the first one is remembered, nothing more is
 *     written, and cs__jw_finish reports it (so a half-written document is never published).
 * Numbers are shortest round-trip (cs__fmt_double) unless a caller names a printf format for
 * a field whose bytes must stay as they were (cs__jw_numf).
 * Ownership: the writer borrows the sbuf; it holds no other resources.
 * The writer is public (capsearch/util.h, cs_jw); the library's code keeps the internal spellings
 * below, mapped onto the public names. */
#ifndef CS_UTIL_JSON_H
#define CS_UTIL_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "capsearch/error.h"
#include "util/sbuf.h"

#define CS__JW_MAX_DEPTH CS_JW_MAX_DEPTH
typedef cs_jw cs__jw;

#define cs__jw_init cs_jw_init
/* Compact with no space after ',' and ':' (Chrome's trace format, one event per line). */
void cs__jw_init_tight(cs__jw *w, cs__sbuf *out);
/* A line break before the next element or closing bracket (after its ',' if any): whitespace
 * only, for line-oriented files written compactly. */
void cs__jw_break(cs__jw *w);
#define cs__jw_obj_begin cs_jw_obj_begin
#define cs__jw_obj_end cs_jw_obj_end
#define cs__jw_arr_begin cs_jw_arr_begin
#define cs__jw_arr_end cs_jw_arr_end
#define cs__jw_key cs_jw_key
#define cs__jw_str cs_jw_str /* NULL writes null */
#define cs__jw_num cs_jw_num      /* non-finite writes null */
/* v in a printf format with one double conversion ("%.17g", "%.6f"); non-finite writes null. */
void cs__jw_numf(cs__jw *w, const char *fmt, double v);
#define cs__jw_int cs_jw_int
void cs__jw_uint(cs__jw *w, uint64_t v);
#define cs__jw_bool cs_jw_bool
#define cs__jw_null cs_jw_null
/* key + value shorthands */
#define cs__jw_kstr cs_jw_kstr
#define cs__jw_knum cs_jw_knum
void cs__jw_knumf(cs__jw *w, const char *key, const char *fmt, double v);
#define cs__jw_kint cs_jw_kint
void cs__jw_kuint(cs__jw *w, const char *key, uint64_t v);
#define cs__jw_kbool cs_jw_kbool
/* Appends the members of `object` (the text of a JSON object, such as another writer's
 * output) to the object being written, re-indented to its depth. CS_EPARSE when the text is
 * not one well-formed JSON object (nothing is appended). */
int cs__jw_members(cs__jw *w, const char *object, cs_err *err);
/* 0 when exactly one complete value was written without misuse; else CS_EINVAL naming the
 * first misuse (`what` names the document in the message). */
#define cs__jw_finish cs_jw_finish
/* Escapes s as a JSON string literal (with quotes) into sb. */
void cs__json_escape(cs__sbuf *sb, const char *s);

#endif
