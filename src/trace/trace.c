/* Trace loading (detection and dispatch through the format registry, formats.c), number parsing
 * shared by the readers, and the Vidur CSV writer. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trace/internal.h"
#include "util/fs.h"
#include "util/text.h"

/* ---- number parsing ------------------------------------------------------------------------ */

/* Copies a field into a small NUL-terminated buffer without surrounding blanks; false when it is
 * empty or too long to be a number. */
static bool field_copy(const char *s, size_t len, char buf[64]) {
  while (len && isspace((unsigned char)*s)) s++, len--;
  while (len && isspace((unsigned char)s[len - 1])) len--;
  if (!len || len >= 64) return false;
  memcpy(buf, s, len);
  buf[len] = '\0';
  return true;
}

bool cs__parse_double(const char *s, size_t len, double *out) {
  char buf[64], *end;
  if (!field_copy(s, len, buf)) return false;
  errno = 0;
  double v = strtod(buf, &end);
  if (*end || end == buf || !isfinite(v)) return false; /* also rejects "nan"/"inf" */
  *out = v;
  return true;
}

bool cs__parse_whole(const char *s, size_t len, int64_t *out) {
  char buf[64], *end;
  if (!field_copy(s, len, buf)) return false;
  errno = 0;
  long long v = strtoll(buf, &end, 10);
  if (!*end && end != buf && errno != ERANGE) {
    *out = v;
    return true;
  }
  /* pandas writes integer columns that held a NaN as floats ("374.0"): accept integral values */
  double d;
  if (!cs__parse_double(s, len, &d) || d != floor(d) || fabs(d) > 9.0e15) return false;
  *out = (int64_t)d;
  return true;
}

bool cs__parse_u64(const char *s, size_t len, uint64_t *out) {
  char buf[64], *end;
  if (!field_copy(s, len, buf) || buf[0] == '-' || buf[0] == '+') return false;
  errno = 0;
  unsigned long long v = strtoull(buf, &end, 10);
  if (*end || end == buf || errno == ERANGE) return false;
  *out = v;
  return true;
}

/* ---- builder -------------------------------------------------------------------------------- */

void cs__trace_builder_release(cs__trace_builder *b) {
  free(b->rows.v);
  free(b->hashes.v);
  memset(b, 0, sizeof *b);
}

int cs__trace_builder_finish(cs__trace_builder *b, const char *path, cs_trace_format fmt, int block_size,
                             bool has_arrivals, bool has_hashes, bool has_sessions, cs_trace **out,
                             cs_err *err) {
  if (b->rows.n == 0) {
    cs__trace_builder_release(b);
    return cs_err_set(err, CS_EPARSE, "%s: no requests in the trace (expected at least one data row)", path);
  }
  cs_trace *t = cs__xcalloc(1, sizeof *t);
  t->path = cs__xstrdup(path);
  t->format = fmt;
  t->n = b->rows.n;
  t->rows = b->rows.v;
  t->hashes = b->hashes.v;
  t->nhashes = b->hashes.n;
  t->block_size = block_size;
  t->has_arrivals = has_arrivals;
  t->has_hashes = has_hashes;
  t->has_sessions = has_sessions;
  for (size_t i = 0; i < t->n; i++) {
    int64_t tot = (int64_t)t->rows[i].prefill + t->rows[i].decode;
    if (tot > t->max_total_tokens) t->max_total_tokens = tot;
  }
  memset(b, 0, sizeof *b);
  *out = t;
  return 0;
}

void cs_trace_free(cs_trace *t) {
  if (!t) return;
  free(t->path);
  free(t->rows);
  if (!t->borrowed_hashes) free(t->hashes);
  free(t);
}

/* ---- loading -------------------------------------------------------------------------------- */

int cs_trace_load(const char *path, const cs_trace_opts *opts, cs_trace **out, cs_err *err) {
  cs_trace_opts o = {CS_TRACE_AUTO, 16, 0};
  if (opts) o = *opts;
  if (o.block_size <= 0) o.block_size = 16;
  *out = NULL;
  if (o.max_rows < 0)
    return cs_err_set(err, CS_EINVAL, "%s: max_rows must be >= 0 (got %" PRId64 ")", path, o.max_rows);
  char *data = NULL;
  size_t len = 0;
  int rc = cs__read_file(path, &data, &len, err);
  if (rc) return rc;
  if (o.format == CS_TRACE_AUTO) o.format = cs__trace_detect(path, data);
  const cs__trace_format *fmt = cs__trace_format_get(o.format);
  if (fmt) {
    rc = fmt->read(path, data, len, &o, out, err);
    if (rc == 0 && *out && len > 0 && data[len - 1] != '\n') (*out)->unterminated = true;
  } else
    rc = cs_err_set(err, CS_EINVAL, "%s: no trace format to read it with (format %d)", path, (int)o.format);
  free(data);
  return rc;
}

cs_block_hashes cs_trace_row_hashes(const cs_trace *t, const cs_trace_row *r, uint32_t max_n) {
  cs_block_hashes h = {0};
  if (!t->has_hashes || !r->hash_n || !max_n) return h;
  h.ids = t->hashes ? t->hashes + r->hash_off : NULL; /* NULL: every block fresh (nid 0) */
  h.shift = t->hash_shift;
  h.fresh = r->hash_fresh;
  h.nid = r->hash_n - r->hash_nfresh;
  h.n = r->hash_n < max_n ? r->hash_n : max_n;
  if (h.nid > h.n) h.nid = h.n;
  return h;
}

/* ---- writing -------------------------------------------------------------------------------- */

int cs_trace_write_vidur_csv(const cs_trace *t, const char *path, bool gzip, cs_err *err) {
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__sbuf_grow(&sb, t->n * (t->has_hashes ? 96 : 32) + (t->nhashes << t->hash_shift) * 8);
  if (t->has_arrivals) cs__sbuf_adds(&sb, "arrived_at,");
  cs__sbuf_adds(&sb, "num_prefill_tokens,num_decode_tokens");
  if (t->has_hashes) cs__sbuf_adds(&sb, ",block_hash_ids,block_size");
  if (t->has_sessions) cs__sbuf_adds(&sb, ",session_id");
  cs__sbuf_addc(&sb, '\n');
  char fb[32];
  for (size_t i = 0; i < t->n; i++) {
    const cs_trace_row *r = &t->rows[i];
    /* arrivals in Python's repr, as pandas writes them, so a Vidur-written trace round-trips */
    if (t->has_arrivals) cs__sbuf_addf(&sb, "%s,", cs__fmt_pyfloat(r->arrived_at, fb));
    cs__sbuf_addf(&sb, "%" PRId32 ",%" PRId32, r->prefill, r->decode);
    if (t->has_hashes) {
      cs__sbuf_adds(&sb, ",\"[");
      cs_block_hashes h = cs_trace_row_hashes(t, r, r->hash_n);
      for (uint32_t k = 0; k < h.n; k++) cs__sbuf_addf(&sb, k ? ", %" PRIu64 : "%" PRIu64, cs_block_hash(&h, k));
      cs__sbuf_addf(&sb, "]\",%d", t->block_size);
    }
    if (t->has_sessions) cs__sbuf_addf(&sb, ",%" PRId64, r->session_id);
    cs__sbuf_addc(&sb, '\n');
  }
  int rc = cs__write_file_atomic(path, sb.buf, sb.len, gzip, err);
  cs__sbuf_release(&sb);
  return rc;
}
