/* CSV trace readers on top of libcsv (it handles quoting: Vidur's block_hash_ids column is a
 * quoted JSON list such as "[1, 2, 3]"):
 *  - Vidur CSV (reference vidur-semantics.md §2.3): columns found by header name,
 *    arrived_at?, num_prefill_tokens, num_decode_tokens, block_hash_ids?, block_size?,
 *    session_id?; any other column (num_total_tokens, pd_ratio, ...) is ignored. Rows are
 *    validated as V1 does: P > 0, D > 0, and with hashes P + D - block_size*len(ids) in
 *    [0, block_size) (the ids cover exactly the full blocks of prompt + output).
 *  - Azure LLM inference CSV: TIMESTAMP ("2023-11-16 18:15:46.6805900"), ContextTokens,
 *    GeneratedTokens; arrivals become seconds since the first row.
 * The data is fed to libcsv one physical line at a time so that every record, and so every
 * error, carries the line it started on. */
#include <csv.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trace/internal.h"
#include "util/text.h"

typedef int (*record_fn)(void *user, size_t line, const char *const *f, const size_t *flen, size_t nf,
                         cs_err *err);

typedef struct csv_state {
  cs__sbuf fbuf;         /* the current record's fields, each NUL-terminated */
  CS__VEC(size_t) off;   /* field offsets into fbuf */
  CS__VEC(size_t) len;
  size_t line, rec_line; /* line being fed, line the current record started on */
  record_fn fn;
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

/* Calls fn once per record (the header included) until it returns non-zero. */
static int csv_each(const char *path, const char *data, size_t len, record_fn fn, void *user, cs_err *err) {
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

/* Index of a header column, -1 when absent. */
static int find_col(const char *const *f, size_t nf, const char *name) {
  for (size_t i = 0; i < nf; i++)
    if (!strcmp(f[i], name)) return (int)i;
  return -1;
}

static int missing_col(const char *path, const char *name, const char *kind, const char *const *f, size_t nf,
                       cs_err *err) {
  const char *sug = cs__suggest(name, (const char *const *)f, nf);
  cs__sbuf cols;
  cs__sbuf_init(&cols);
  for (size_t i = 0; i < nf && i < 12; i++) cs__sbuf_addf(&cols, "%s'%s'", i ? ", " : "", f[i]);
  int rc = cs_err_set(err, CS_EPARSE, "%s:1: missing column '%s' in the %s header%s%s%s (found %s)", path, name,
                      kind, sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "", cols.buf);
  cs__sbuf_release(&cols);
  return rc;
}

/* A token count: a whole number in [1, CS__TRACE_MAX_TOKENS]. */
static int parse_tokens(const char *path, size_t line, const char *col, const char *s, size_t n, int32_t *out,
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

/* ---- Vidur CSV ------------------------------------------------------------------------------- */

typedef struct vidur_rd {
  const char *path;
  const cs_trace_opts *o;
  cs__trace_builder b;
  bool header;
  size_t nhdr;
  int c_arr, c_p, c_d, c_hash, c_bs, c_sess;
  int block_size; /* from the block_size column (0 until the first row) */
} vidur_rd;

/* block_hash_ids: a JSON list of non-negative integers, "[1, 2, 3]" or "[]". */
/* JSON whitespace */
static bool jsonspace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static int parse_hash_list(vidur_rd *r, size_t line, const char *s, cs_err *err) {
  const char *p = s;
  while (jsonspace(*p)) p++;
  if (*p != '[')
    return cs_err_set(err, CS_EPARSE, "%s:%zu: column 'block_hash_ids': expected a JSON list like \"[1, 2]\", got '%s'",
                      r->path, line, s);
  p++;
  for (bool first = true;; first = false) {
    while (jsonspace(*p)) p++;
    if (*p == ']' && first) break;
    const char *q = p;
    while (*q >= '0' && *q <= '9') q++;
    uint64_t h;
    if (q == p || !cs__parse_u64(p, (size_t)(q - p), &h))
      return cs_err_set(err, CS_EPARSE,
                        "%s:%zu: column 'block_hash_ids': expected a non-negative integer at character %zu of '%s'",
                        r->path, line, (size_t)(p - s) + 1, s);
    cs__vec_push(&r->b.hashes, h);
    p = q;
    while (jsonspace(*p)) p++;
    if (*p == ']') break;
    if (*p != ',')
      return cs_err_set(err, CS_EPARSE, "%s:%zu: column 'block_hash_ids': expected ',' or ']' at character %zu of '%s'",
                        r->path, line, (size_t)(p - s) + 1, s);
    p++;
  }
  p++;
  while (jsonspace(*p)) p++;
  if (*p)
    return cs_err_set(err, CS_EPARSE, "%s:%zu: column 'block_hash_ids': unexpected text after the list in '%s'",
                      r->path, line, s);
  return 0;
}

static int vidur_record(void *user, size_t line, const char *const *f, const size_t *fl, size_t nf, cs_err *err) {
  vidur_rd *r = user;
  if (!r->header) {
    r->header = true;
    r->nhdr = nf;
    r->c_arr = find_col(f, nf, "arrived_at");
    r->c_p = find_col(f, nf, "num_prefill_tokens");
    r->c_d = find_col(f, nf, "num_decode_tokens");
    r->c_hash = find_col(f, nf, "block_hash_ids");
    r->c_bs = find_col(f, nf, "block_size");
    r->c_sess = find_col(f, nf, "session_id");
    if (r->c_p < 0) return missing_col(r->path, "num_prefill_tokens", "Vidur trace", f, nf, err);
    if (r->c_d < 0) return missing_col(r->path, "num_decode_tokens", "Vidur trace", f, nf, err);
    return 0;
  }
  if (r->o->max_rows && (int64_t)r->b.rows.n >= r->o->max_rows) return 1;
  if (nf != r->nhdr)
    return cs_err_set(err, CS_EPARSE, "%s:%zu: expected %zu fields as in the header, got %zu", r->path, line, r->nhdr,
                      nf);
  cs_trace_row row = {.arrived_at = NAN, .session_id = -1};
  int rc;
  if ((rc = parse_tokens(r->path, line, "num_prefill_tokens", f[r->c_p], fl[r->c_p], &row.prefill, err)) ||
      (rc = parse_tokens(r->path, line, "num_decode_tokens", f[r->c_d], fl[r->c_d], &row.decode, err)))
    return rc;
  if (r->c_arr >= 0) {
    if (!cs__parse_double(f[r->c_arr], fl[r->c_arr], &row.arrived_at) || row.arrived_at < 0)
      return cs_err_set(err, CS_EPARSE, "%s:%zu: column 'arrived_at': expected a non-negative number of seconds, got '%s'",
                        r->path, line, f[r->c_arr]);
  }
  if (r->c_sess >= 0 && fl[r->c_sess]) { /* an empty session_id means "no session" */
    int64_t s;
    if (!cs__parse_whole(f[r->c_sess], fl[r->c_sess], &s) || s < 0)
      return cs_err_set(err, CS_EPARSE, "%s:%zu: column 'session_id': expected a non-negative integer, got '%s'",
                        r->path, line, f[r->c_sess]);
    row.session_id = s;
  }
  if (r->c_hash >= 0) {
    int bs = r->o->block_size;
    if (r->c_bs >= 0) {
      int64_t v;
      if (!cs__parse_whole(f[r->c_bs], fl[r->c_bs], &v) || v <= 0 || v > (1 << 20))
        return cs_err_set(err, CS_EPARSE, "%s:%zu: column 'block_size': expected a positive number of tokens, got '%s'",
                          r->path, line, f[r->c_bs]);
      bs = (int)v;
    }
    if (r->block_size && bs != r->block_size)
      return cs_err_set(err, CS_EPARSE, "%s:%zu: column 'block_size': %d differs from %d on earlier rows (expected one block size per trace)",
                        r->path, line, bs, r->block_size);
    r->block_size = bs;
    size_t before = r->b.hashes.n;
    if ((rc = parse_hash_list(r, line, f[r->c_hash], err))) return rc;
    size_t n = r->b.hashes.n - before;
    /* §2.3 (V1): the ids cover the full blocks of prompt + output, no more, no fewer */
    int64_t rest = (int64_t)row.prefill + row.decode - (int64_t)bs * (int64_t)n;
    if (rest < 0 || rest >= bs)
      return cs_err_set(err, CS_EPARSE,
                        "%s:%zu: column 'block_hash_ids': %zu ids for %" PRId64 " tokens; expected floor((P + D) / %d) = %" PRId64
                        " (one id per full block of prompt + output)",
                        r->path, line, n, (int64_t)row.prefill + row.decode, bs, ((int64_t)row.prefill + row.decode) / bs);
    if (before > UINT32_MAX || n > UINT32_MAX)
      return cs_err_set(err, CS_ERANGE, "%s:%zu: too many block hashes in the trace", r->path, line);
    row.hash_off = (uint32_t)before;
    row.hash_n = (uint32_t)n;
  }
  cs__vec_push(&r->b.rows, row);
  return 0;
}

int cs__read_vidur_csv(const char *path, const char *data, size_t len, const cs_trace_opts *o, cs_trace **out,
                       cs_err *err) {
  vidur_rd r = {.path = path, .o = o};
  int rc = csv_each(path, data, len, vidur_record, &r, err);
  if (!rc && !r.header) rc = cs_err_set(err, CS_EPARSE, "%s: empty file (expected a CSV header line)", path);
  if (rc) {
    cs__trace_builder_release(&r.b);
    return rc;
  }
  return cs__trace_builder_finish(&r.b, path, CS_TRACE_VIDUR_CSV, r.block_size ? r.block_size : o->block_size,
                                  r.c_arr >= 0, r.c_hash >= 0, r.c_sess >= 0, out, err);
}

/* ---- Azure CSV ------------------------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (the usual era-based civil calendar
 * arithmetic: shift the year to start in March so the leap day is last). */
static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int digits(const char **p, int n) {
  int v = 0;
  for (int i = 0; i < n; i++, (*p)++) {
    if (**p < '0' || **p > '9') return -1;
    v = v * 10 + (**p - '0');
  }
  return v;
}

/* "YYYY-MM-DD HH:MM:SS[.fffffff]" (or 'T' between), then 'Z' or a UTC offset "+00:00" /
 * "-0500" (the Azure 2024 traces: "2024-05-10 00:00:00.009930+00:00", some rows without a
 * fraction): whole seconds since the epoch (UTC) and the fraction kept apart, so that
 * sub-microsecond digits survive the subtraction. */
static bool parse_timestamp(const char *s, int64_t *sec, double *frac) {
  const char *p = s;
  while (*p == ' ') p++;
  int y = digits(&p, 4);
  if (y < 0 || *p++ != '-') return false;
  int mo = digits(&p, 2);
  if (mo < 1 || mo > 12 || *p++ != '-') return false;
  int d = digits(&p, 2);
  if (d < 1 || d > 31 || (*p != ' ' && *p != 'T')) return false;
  p++;
  int h = digits(&p, 2);
  if (h < 0 || h > 23 || *p++ != ':') return false;
  int mi = digits(&p, 2);
  if (mi < 0 || mi > 59 || *p++ != ':') return false;
  int se = digits(&p, 2);
  if (se < 0 || se > 60) return false;
  double f = 0, scale = 0.1;
  if (*p == '.') {
    p++;
    if (*p < '0' || *p > '9') return false;
    for (; *p >= '0' && *p <= '9'; p++, scale /= 10) f += (*p - '0') * scale;
  }
  int off = 0; /* seconds east of UTC */
  if (*p == 'Z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int sign = *p++ == '-' ? -1 : 1;
    int oh = digits(&p, 2);
    if (*p == ':') p++;
    int om = digits(&p, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return false;
    off = sign * (oh * 3600 + om * 60);
  }
  while (*p == ' ') p++;
  if (*p) return false;
  *sec = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
  *frac = f;
  return true;
}

typedef struct azure_rd {
  const char *path;
  const cs_trace_opts *o;
  cs__trace_builder b;
  bool header;
  size_t nhdr;
  int c_ts, c_ctx, c_gen;
  int64_t sec0;
  double frac0;
} azure_rd;

static int azure_record(void *user, size_t line, const char *const *f, const size_t *fl, size_t nf, cs_err *err) {
  azure_rd *r = user;
  if (!r->header) {
    r->header = true;
    r->nhdr = nf;
    r->c_ts = find_col(f, nf, "TIMESTAMP");
    r->c_ctx = find_col(f, nf, "ContextTokens");
    r->c_gen = find_col(f, nf, "GeneratedTokens");
    if (r->c_ts < 0) return missing_col(r->path, "TIMESTAMP", "Azure trace", f, nf, err);
    if (r->c_ctx < 0) return missing_col(r->path, "ContextTokens", "Azure trace", f, nf, err);
    if (r->c_gen < 0) return missing_col(r->path, "GeneratedTokens", "Azure trace", f, nf, err);
    return 0;
  }
  if (r->o->max_rows && (int64_t)r->b.rows.n >= r->o->max_rows) return 1;
  if (nf != r->nhdr)
    return cs_err_set(err, CS_EPARSE, "%s:%zu: expected %zu fields as in the header, got %zu", r->path, line, r->nhdr,
                      nf);
  cs_trace_row row = {.session_id = -1};
  int rc;
  if ((rc = parse_tokens(r->path, line, "ContextTokens", f[r->c_ctx], fl[r->c_ctx], &row.prefill, err)) ||
      (rc = parse_tokens(r->path, line, "GeneratedTokens", f[r->c_gen], fl[r->c_gen], &row.decode, err)))
    return rc;
  int64_t sec;
  double frac;
  if (!parse_timestamp(f[r->c_ts], &sec, &frac))
    return cs_err_set(err, CS_EPARSE, "%s:%zu: column 'TIMESTAMP': expected a time like '2023-11-16 18:15:46.6805900', got '%s'",
                      r->path, line, f[r->c_ts]);
  if (r->b.rows.n == 0) {
    r->sec0 = sec;
    r->frac0 = frac;
  }
  row.arrived_at = (double)(sec - r->sec0) + (frac - r->frac0);
  if (row.arrived_at < 0)
    return cs_err_set(err, CS_EPARSE, "%s:%zu: column 'TIMESTAMP': '%s' is before the first row's time (expected rows in time order)",
                      r->path, line, f[r->c_ts]);
  cs__vec_push(&r->b.rows, row);
  return 0;
}

int cs__read_azure_csv(const char *path, const char *data, size_t len, const cs_trace_opts *o, cs_trace **out,
                       cs_err *err) {
  azure_rd r = {.path = path, .o = o};
  int rc = csv_each(path, data, len, azure_record, &r, err);
  if (!rc && !r.header) rc = cs_err_set(err, CS_EPARSE, "%s: empty file (expected a CSV header line)", path);
  if (rc) {
    cs__trace_builder_release(&r.b);
    return rc;
  }
  return cs__trace_builder_finish(&r.b, path, CS_TRACE_AZURE_CSV, o->block_size, true, false, false, out, err);
}
