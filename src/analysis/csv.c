/* The analysis' CSV reader: libcsv (RFC 4180 quoting, LF or CRLF) over whole files read with
 * cs__read_file (gzip transparently; a run's request_metrics.csv is a few MB at most). Fields
 * are NUL-terminated strings in one owned buffer. Rows narrower or wider than the header are
 * kept (padded with "") and counted, so a caller can warn about them. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "analysis/an_int.h"
#include "util/fs.h"

static char empty_field[1] = "";

int cs__csv_load(const char *path, cs__csv *csv, cs_err *err) {
  char *text;
  size_t len;
  int rc = cs__read_file(path, &text, &len, err);
  if (rc) return rc;
  if (memchr(text, '\0', len)) {
    free(text);
    return cs_err_set(err, CS_EPARSE, "%s: binary data where a CSV file was expected", path);
  }
  return cs__csv_parse(path, text, csv, err);
}

/* libcsv callbacks: every field is appended NUL-terminated to one buffer and remembered by its
 * offset (the buffer moves as it grows); a record closes the current row of offsets. */
typedef struct parse_state {
  cs__sbuf text;
  CS__VEC(size_t) cur;            /* offsets of the current record's fields */
  CS__VEC(size_t *) recs;         /* records as offset arrays */
  CS__VEC(size_t) widths;
} parse_state;

static void on_field(void *s, size_t len, void *data) {
  parse_state *st = data;
  cs__vec_push(&st->cur, st->text.len);
  cs__sbuf_add(&st->text, s, len);
  cs__sbuf_addc(&st->text, '\0');
}

static void on_record(int term, void *data) {
  (void)term;
  parse_state *st = data;
  size_t *f = cs__xcalloc(st->cur.n ? st->cur.n : 1, sizeof *f);
  memcpy(f, st->cur.v, st->cur.n * sizeof *f);
  cs__vec_push(&st->recs, f);
  cs__vec_push(&st->widths, st->cur.n);
  st->cur.n = 0;
}

static int no_space(unsigned char c) { /* keep fields verbatim: libcsv trims spaces by default */
  (void)c;
  return 0;
}

static void free_state(parse_state *st) {
  for (size_t i = 0; i < st->recs.n; i++) free(st->recs.v[i]);
  free(st->recs.v);
  free(st->widths.v);
  free(st->cur.v);
  cs__sbuf_release(&st->text);
}

/* Fields as pointers into the finished buffer; rows narrower or wider than the header padded
 * with "" or cut, and flagged. */
static void build_rows(parse_state *st, cs__csv *csv) {
  csv->data = cs__sbuf_detach(&st->text);
  csv->ncols = st->widths.v[0];
  csv->header = cs__xcalloc(csv->ncols ? csv->ncols : 1, sizeof *csv->header);
  for (size_t i = 0; i < csv->ncols; i++) csv->header[i] = csv->data + st->recs.v[0][i];
  csv->nrows = st->recs.n - 1;
  csv->rows = cs__xcalloc(csv->nrows ? csv->nrows : 1, sizeof *csv->rows);
  csv->bad = cs__xcalloc(csv->nrows ? csv->nrows : 1, sizeof *csv->bad);
  for (size_t r = 0; r < csv->nrows; r++) {
    size_t nf = st->widths.v[r + 1];
    char **g = cs__xcalloc(csv->ncols ? csv->ncols : 1, sizeof *g);
    for (size_t i = 0; i < csv->ncols; i++) g[i] = i < nf ? csv->data + st->recs.v[r + 1][i] : empty_field;
    csv->rows[r] = g;
    csv->bad[r] = nf != csv->ncols;
    csv->bad_rows += csv->bad[r];
  }
}

int cs__csv_parse(const char *name, char *text, cs__csv *csv, cs_err *err) {
  memset(csv, 0, sizeof *csv);
  size_t len = strlen(text), pos = 0;
  if (!strncmp(text, "\xEF\xBB\xBF", 3)) pos = 3; /* UTF-8 BOM */
  struct csv_parser p;
  if (csv_init(&p, 0) != 0) {
    free(text);
    return cs_err_set(err, CS_ENOMEM, "%s: cannot start the CSV parser", name);
  }
  csv_set_space_func(&p, no_space);
  parse_state st = {0};
  cs__sbuf_init(&st.text);
  int rc = 0;
  if (csv_parse(&p, text + pos, len - pos, on_field, on_record, &st) != len - pos || csv_fini(&p, on_field, on_record, &st))
    rc = cs_err_set(err, CS_EPARSE, "%s: malformed CSV: %s", name, csv_strerror(csv_error(&p)));
  csv_free(&p);
  free(text);
  if (!rc && st.recs.n == 0) rc = cs_err_set(err, CS_EPARSE, "%s: empty file (expected a CSV header line)", name);
  if (!rc) build_rows(&st, csv);
  free_state(&st);
  return rc;
}

void cs__csv_release(cs__csv *csv) {
  if (!csv) return;
  for (size_t i = 0; i < csv->nrows; i++) free(csv->rows[i]);
  free(csv->rows);
  free(csv->bad);
  free(csv->header);
  free(csv->data);
  memset(csv, 0, sizeof *csv);
}

int cs__csv_col(const cs__csv *csv, const char *name) {
  for (size_t i = 0; i < csv->ncols; i++) {
    const char *h = csv->header[i];
    while (*h == ' ') h++;
    if (!strcmp(h, name)) return (int)i;
  }
  return -1;
}

const char *cs__csv_str(const cs__csv *csv, size_t row, int col) {
  if (col < 0 || (size_t)col >= csv->ncols || row >= csv->nrows) return "";
  return csv->rows[row][col];
}

double cs__csv_num(const cs__csv *csv, size_t row, int col) {
  const char *s = cs__csv_str(csv, row, col);
  while (*s == ' ') s++;
  if (!*s) return NAN;
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  while (*end == ' ') end++;
  if (*end || errno == ERANGE) return NAN;
  return v;
}

/* ---- quantiles ------------------------------------------------------------------------- */

const double cs__pcts[CS__P_N] = {0.50, 0.90, 0.99};

double cs__an_quantile(const double *sorted, size_t n, double q) {
  if (n == 0) return NAN;
  if (q <= 0) return sorted[0];
  if (q >= 1) return sorted[n - 1];
  double pos = q * (double)(n - 1);
  size_t lo = (size_t)floor(pos);
  size_t hi = lo + 1 < n ? lo + 1 : lo;
  double frac = pos - (double)lo;
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

double cs__qtab_at(const cs__qtab *t, double q) {
  if (!t->have) return NAN;
  return cs__an_quantile(t->v, 101, q);
}
