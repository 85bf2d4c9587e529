/* Vidur CSV traces (reference vidur-semantics.md §2.3): columns found by header name,
 * arrived_at?, num_prefill_tokens, num_decode_tokens, block_hash_ids?, block_size?,
 * session_id?; any other column (num_total_tokens, pd_ratio, ...) is ignored. Rows are
 * validated as V1 does: P > 0, D > 0, and with hashes P + D - block_size*len(ids) in
 * [0, block_size) (the ids cover exactly the full blocks of prompt + output). */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trace/internal.h"
#include "util/text.h"

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
    r->c_arr = cs__trace_find_col(f, nf, "arrived_at");
    r->c_p = cs__trace_find_col(f, nf, "num_prefill_tokens");
    r->c_d = cs__trace_find_col(f, nf, "num_decode_tokens");
    r->c_hash = cs__trace_find_col(f, nf, "block_hash_ids");
    r->c_bs = cs__trace_find_col(f, nf, "block_size");
    r->c_sess = cs__trace_find_col(f, nf, "session_id");
    if (r->c_p < 0) return cs__trace_missing_col(r->path, "num_prefill_tokens", "Vidur trace", f, nf, err);
    if (r->c_d < 0) return cs__trace_missing_col(r->path, "num_decode_tokens", "Vidur trace", f, nf, err);
    return 0;
  }
  if (r->o->max_rows && (int64_t)r->b.rows.n >= r->o->max_rows) return 1;
  if (nf != r->nhdr)
    return cs_err_set(err, CS_EPARSE, "%s:%zu: expected %zu fields as in the header, got %zu", r->path, line, r->nhdr,
                      nf);
  cs_trace_row row = {.arrived_at = NAN, .session_id = -1};
  int rc;
  if ((rc = cs__trace_parse_tokens(r->path, line, "num_prefill_tokens", f[r->c_p], fl[r->c_p], &row.prefill, err)) ||
      (rc = cs__trace_parse_tokens(r->path, line, "num_decode_tokens", f[r->c_d], fl[r->c_d], &row.decode, err)))
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
  int rc = cs__trace_csv_each(path, data, len, vidur_record, &r, err);
  if (!rc && !r.header) rc = cs_err_set(err, CS_EPARSE, "%s: empty file (expected a CSV header line)", path);
  if (rc) {
    cs__trace_builder_release(&r.b);
    return rc;
  }
  return cs__trace_builder_finish(&r.b, path, CS_TRACE_VIDUR_CSV, r.block_size ? r.block_size : o->block_size,
                                  r.c_arr >= 0, r.c_hash >= 0, r.c_sess >= 0, out, err);
}


/* The format of every CSV that no other format claims (detect NULL). */
const cs__trace_format cs__trace_format_vidur = {
    .info = {.name = "vidur",
             .summary = "num_prefill_tokens, num_decode_tokens; arrived_at, block_hash_ids, "
                        "block_size, session_id when present",
             .flags = CS_TRACE_HAS_ARRIVALS | CS_TRACE_HAS_HASHES | CS_TRACE_HAS_SESSIONS},
    .label = "Vidur CSV",
    .detect = NULL,
    .read = cs__read_vidur_csv,
};
