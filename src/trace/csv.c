/* CSV reading shared by the CSV trace formats (vidur.c, azure.c), on top of libcsv (it handles
 * quoting: Vidur's block_hash_ids column is a quoted JSON list such as "[1, 2, 3]"). The data
 * is fed to libcsv one physical line at a time so that every record, and so every error,
 * carries the line it started on. */
#include <csv.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trace/internal.h"
#include "util/text.h"

typedef struct csv_state {
  cs__sbuf fbuf;         /* the current record's fields, each NUL-terminated */
  CS__VEC(size_t) off;   /* field offsets into fbuf */
  CS__VEC(size_t) len;
  size_t line, rec_line; /* line being fed, line the current record started on */
  cs__trace_csv_record_fn fn;
  void *user;
  cs_err *err;
  int rc;                /* first error (< 0) or 1 when the handler asked to stop */
} csv_state;

static void on_field(void *s, size_t n, void *data) {
  csv_state *st = data;
  if (st->rc) return;
  if (st->off.n == 0) st->rec_line = st->line;
  cs__vec_push(&st->off, st->fbuf.len);
  cs__vec_push(&st->len, n);
  cs__sbuf_add(&st->fbuf, s ? s : "", s ? n : 0);
  cs__sbuf_addc(&st->fbuf, '\0');
}

static void on_record(int c, void *data) {
  (void)c;
  csv_state *st = data;
  if (st->rc) return;
  if (st->off.n == 0) st->rec_line = st->line;
  const char *fields[256];
  size_t nf = st->off.n < 256 ? st->off.n : 256;
  for (size_t i = 0; i < nf; i++) fields[i] = st->fbuf.buf + st->off.v[i];
  st->rc = st->fn(st->user, st->rec_line, fields, st->len.v, nf, st->err);
  cs__sbuf_reset(&st->fbuf);
  st->off.n = st->len.n = 0;
}

/* See internal.h. */
int cs__trace_csv_each(const char *path, const char *data, size_t len, cs__trace_csv_record_fn fn, void *user,
                       cs_err *err) {
  struct csv_parser p;
  if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
    return cs_err_set(err, CS_ENOMEM, "%s: cannot initialise the CSV parser", path);
  csv_state st = {.fn = fn, .user = user, .err = err};
  cs__sbuf_init(&st.fbuf);
  size_t pos = 0;
  if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) pos = 3; /* UTF-8 byte-order mark */
  while (pos < len && !st.rc) {
    const char *nl = memchr(data + pos, '\n', len - pos);
    size_t n = nl ? (size_t)(nl - (data + pos)) + 1 : len - pos;
    st.line++;
    if (csv_parse(&p, data + pos, n, on_field, on_record, &st) != n) {
      st.rc = cs_err_set(err, CS_EPARSE, "%s:%zu: malformed CSV: %s (expected a well-quoted field)", path,
                         st.line, csv_strerror(csv_error(&p)));
      break;
    }
    pos += n;
  }
  if (!st.rc && csv_fini(&p, on_field, on_record, &st) != 0)
    st.rc = cs_err_set(err, CS_EPARSE, "%s:%zu: malformed CSV at end of file: %s (unterminated quoted field?)",
                       path, st.line, csv_strerror(csv_error(&p)));
  csv_free(&p);
  cs__sbuf_release(&st.fbuf);
  free(st.off.v);
  free(st.len.v);
  return st.rc < 0 ? st.rc : 0;
}

int cs__trace_find_col(const char *const *f, size_t nf, const char *name) {
  for (size_t i = 0; i < nf; i++)
    if (!strcmp(f[i], name)) return (int)i;
  return -1;
}

int cs__trace_missing_col(const char *path, const char *name, const char *kind, const char *const *f, size_t nf,
                          cs_err *err) {
  const char *sug = cs__suggest(name, (const char *const *)f, nf);
  cs__sbuf cols;
  cs__sbuf_init(&cols);
  for (size_t i = 0; i < nf && i < 12; i++) cs__sbuf_addf(&cols, "%s'%.60s%s'", i ? ", " : "", f[i], strlen(f[i]) > 60 ? "..." : "");
  int rc = cs_err_set(err, CS_EPARSE, "%s:1: missing column '%s' in the %s header%s%s%s (found %s)", path, name,
                      kind, sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "", cols.buf);
  cs__sbuf_release(&cols);
  return rc;
}

int cs__trace_parse_tokens(const char *path, size_t line, const char *col, const char *s, size_t n, int32_t *out,
                           cs_err *err) {
  int64_t v;
  if (!cs__parse_whole(s, n, &v))
    return cs_err_set(err, CS_EPARSE, "%s:%zu: column '%s': expected a whole number of tokens, got '%s'", path,
                      line, col, s);
  if (v <= 0 || v > CS__TRACE_MAX_TOKENS)
    return cs_err_set(err, CS_ERANGE, "%s:%zu: column '%s': expected a number of tokens from 1 to %d, got %" PRId64,
                      path, line, col, CS__TRACE_MAX_TOKENS, v);
  *out = (int32_t)v;
  return 0;
}
