/* Azure LLM inference CSV traces (2023/2024): TIMESTAMP ("2023-11-16 18:15:46.6805900"),
 * ContextTokens, GeneratedTokens; arrivals become seconds since the first row. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trace/internal.h"
#include "util/text.h"

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
    r->c_ts = cs__trace_find_col(f, nf, "TIMESTAMP");
    r->c_ctx = cs__trace_find_col(f, nf, "ContextTokens");
    r->c_gen = cs__trace_find_col(f, nf, "GeneratedTokens");
    if (r->c_ts < 0) return cs__trace_missing_col(r->path, "TIMESTAMP", "Azure trace", f, nf, err);
    if (r->c_ctx < 0) return cs__trace_missing_col(r->path, "ContextTokens", "Azure trace", f, nf, err);
    if (r->c_gen < 0) return cs__trace_missing_col(r->path, "GeneratedTokens", "Azure trace", f, nf, err);
    return 0;
  }
  if (r->o->max_rows && (int64_t)r->b.rows.n >= r->o->max_rows) return 1;
  if (nf != r->nhdr)
    return cs_err_set(err, CS_EPARSE, "%s:%zu: expected %zu fields as in the header, got %zu", r->path, line, r->nhdr,
                      nf);
  cs_trace_row row = {.session_id = -1};
  int rc;
  if ((rc = cs__trace_parse_tokens(r->path, line, "ContextTokens", f[r->c_ctx], fl[r->c_ctx], &row.prefill, err)) ||
      (rc = cs__trace_parse_tokens(r->path, line, "GeneratedTokens", f[r->c_gen], fl[r->c_gen], &row.decode, err)))
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
  int rc = cs__trace_csv_each(path, data, len, azure_record, &r, err);
  if (!rc && !r.header) rc = cs_err_set(err, CS_EPARSE, "%s: empty file (expected a CSV header line)", path);
  if (rc) {
    cs__trace_builder_release(&r.b);
    return rc;
  }
  return cs__trace_builder_finish(&r.b, path, CS_TRACE_AZURE_CSV, o->block_size, true, false, false, out, err);
}

/* An Azure trace is a CSV whose header has the capitalised ContextTokens and GeneratedTokens. */
static bool azure_detect(const cs__trace_head *h) {
  char *hdr = cs__xstrndup(h->text, h->line_len);
  bool yes = strstr(hdr, "ContextTokens") && strstr(hdr, "GeneratedTokens");
  free(hdr);
  return yes;
}

const cs__trace_format cs__trace_format_azure = {
    .info = {.name = "azure",
             .summary = "TIMESTAMP, ContextTokens, GeneratedTokens (the 2023/2024 Azure LLM inference traces)",
             .flags = CS_TRACE_HAS_ARRIVALS},
    .label = "Azure CSV",
    .detect = azure_detect,
    .read = cs__read_azure_csv,
};
