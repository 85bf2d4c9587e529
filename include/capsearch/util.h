/* The utilities a program built on capsearch writes its output with (the command-line program
 * uses exactly these): a growable string buffer, the JSON writer and CSV field writer every
 * capsearch file goes through, number formatting, "did you mean" suggestions, and a few file
 * helpers. Option tables and the checked number parser are in capsearch/opt.h. Each is the
 * library's own implementation (src/util), not a copy.
 *
 * Ownership: a cs_sbuf and a cs_jw are caller-owned structs (_init / _release for the buffer;
 * the writer only borrows its buffer); strings returned as `char *` are malloc'd and the caller
 * frees them; `const char *` results borrow. Allocation failure aborts with a message (out of
 * memory is not a bad-input condition). Errors: an int return is 0 or a negative CS_E* code
 * with the message in *err (capsearch/error.h). Everything here is thread-safe on distinct
 * objects and keeps no global state. */
#ifndef CAPSEARCH_UTIL_H
#define CAPSEARCH_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capsearch/error.h"

/* ---- string buffer (git's strbuf idea) ---- */

/* buf is always NUL-terminated after _init (len bytes of text, cap bytes allocated). */
typedef struct cs_sbuf {
  char *buf;
  size_t len;
  size_t cap;
} cs_sbuf;

void cs_sbuf_init(cs_sbuf *sb);    /* empty */
void cs_sbuf_release(cs_sbuf *sb); /* frees; the buffer is empty and may be reused */
void cs_sbuf_reset(cs_sbuf *sb);   /* empty, keeping the memory */
void cs_sbuf_add(cs_sbuf *sb, const void *data, size_t len);
void cs_sbuf_adds(cs_sbuf *sb, const char *s);
void cs_sbuf_addc(cs_sbuf *sb, char c);
void cs_sbuf_addf(cs_sbuf *sb, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void cs_sbuf_vaddf(cs_sbuf *sb, const char *fmt, va_list ap);
/* Hands the text to the caller (free() it); the buffer is left released, owning nothing. */
char *cs_sbuf_detach(cs_sbuf *sb);
/* strdup that aborts on exhaustion; NULL is not allowed. */
char *cs_xstrdup(const char *s);

/* ---- the JSON writer ----
 * Every JSON file and --json output of capsearch is written through it. It streams into a
 * cs_sbuf, pretty-printed with two-space indentation (or compact, on one line), and cannot
 * produce invalid JSON: strings are escaped (bytes that are not valid UTF-8 become \ufffd); a
 * number that is not finite is written as null; nesting is checked (a key outside an object, a
 * value without its key inside one, a close that does not match its open, a second top-level
 * value, nesting deeper than CS_JW_MAX_DEPTH): the first such misuse is remembered, nothing more
 * is written, and cs_jw_finish reports it. Numbers are the shortest text that reads back as
 * the same double (cs_fmt_double). */
#define CS_JW_MAX_DEPTH 63

/* Writer state; read no field, use the functions. */
typedef struct cs_jw {
  cs_sbuf *out;
  int depth;
  bool first[CS_JW_MAX_DEPTH + 1]; /* per depth: no element written yet */
  char open[CS_JW_MAX_DEPTH + 1];  /* per depth: '{' or '[' (depth 0: the document) */
  bool after_key;
  bool compact; /* single line, no indentation */
  bool tight;   /* compact without spaces after ',' and ':' */
  bool brk;     /* a line break after the next separator */
  bool done;    /* the top-level value is complete */
  const char *misuse; /* the first nesting error, NULL while none */
} cs_jw;

/* Starts one JSON document appended to *out (borrowed until the last call). */
void cs_jw_init(cs_jw *w, cs_sbuf *out, bool compact);
void cs_jw_obj_begin(cs_jw *w);
void cs_jw_obj_end(cs_jw *w);
void cs_jw_arr_begin(cs_jw *w);
void cs_jw_arr_end(cs_jw *w);
void cs_jw_key(cs_jw *w, const char *key); /* inside an object, before each value */
void cs_jw_str(cs_jw *w, const char *s);   /* NULL writes null */
void cs_jw_num(cs_jw *w, double v);        /* non-finite writes null */
void cs_jw_int(cs_jw *w, int64_t v);
void cs_jw_bool(cs_jw *w, bool v);
void cs_jw_null(cs_jw *w);
/* key + value in one call */
void cs_jw_kstr(cs_jw *w, const char *key, const char *s);
void cs_jw_knum(cs_jw *w, const char *key, double v);
void cs_jw_kint(cs_jw *w, const char *key, int64_t v);
void cs_jw_kbool(cs_jw *w, const char *key, bool v);
/* 0 when exactly one complete value was written without misuse; else CS_EINVAL naming the
 * first misuse (`what` names the document in the message). */
int cs_jw_finish(const cs_jw *w, const char *what, cs_err *err);

/* ---- CSV fields (RFC 4180) ----
 * Appends s (NULL = an empty field) to sb; a field holding a comma, a double quote, CR or LF is
 * enclosed in double quotes with its quotes doubled, any other is written as it is. */
void cs_csv_field(cs_sbuf *sb, const char *s);

/* ---- numbers (the checked number parser, cs_num_parse, is in capsearch/opt.h) ---- */

/* v as the shortest "%g"-like text that reads back as the same double ("0.1", "4", "1e-07"),
 * for machine-read output; returns buf (32 bytes). */
char *cs_fmt_double(double v, char buf[32]);

/* ---- names ---- */

/* The candidate closest to `name` by edit distance (ninja's edit_distance), or NULL when none is
 * close enough (distance <= max(2, len / 3)); a case-insensitive match wins outright, ties go
 * to the earliest candidate. Returns one of `candidates` (borrowed). */
const char *cs_suggest(const char *name, const char *const *candidates, size_t n);

/* ---- files ---- */

/* Reads a whole file (at most 1 GiB; gzip-compressed files are inflated) into a malloc'd,
 * NUL-terminated *out of *len bytes (the NUL not counted). A directory, special file, truncated
 * gzip stream or larger file is an error naming the file. */
int cs_read_file(const char *path, char **out, size_t *len, cs_err *err);
/* mkdir -p; existing directories are fine. */
int cs_mkdir_p(const char *path, cs_err *err);
bool cs_path_exists(const char *path);
bool cs_is_dir(const char *path);
/* a + "/" + b, malloc'd. */
char *cs_path_join(const char *a, const char *b);

#endif
