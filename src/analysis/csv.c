/* A small CSV reader for the analysis: RFC 4180 quoting, LF or CRLF, gzip transparently (via
 * cs__read_file). Whole files are small enough (a run's request_metrics.csv is a few MB at most)
 * to parse in place: fields are NUL-terminated slices of the owned text. Rows narrower or wider
 * than the header are kept (padded with "") and counted, so a caller can warn about them. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* Splits one record starting at *p; returns the fields (malloc'd array) and advances *p. */
static char **parse_record(char **p, size_t *nf) {
  CS__VEC(char *) fields = {0};
  char *s = *p;
  for (;;) {
    char *start = s, *w = s;
    if (*s == '"') {
      s++;
      start = w = s;
      for (;;) {
        if (*s == '\0') break;
        if (*s == '"') {
          if (s[1] == '"') {
            *w++ = '"';
            s += 2;
            continue;
          }
          s++;
          break;
        }
        *w++ = *s++;
      }
      /* anything between the closing quote and the separator is kept verbatim */
      while (*s && *s != ',' && *s != '\n' && *s != '\r') *w++ = *s++;
    } else {
      while (*s && *s != ',' && *s != '\n' && *s != '\r') s++;
      w = s;
    }
    char sep = *s;
    *w = '\0';
    cs__vec_push(&fields, start);
    if (sep == ',') {
      s++;
      continue;
    }
    if (sep == '\r') {
      s++;
      if (*s == '\n') s++;
    } else if (sep == '\n') {
      s++;
    }
    break;
  }
  *p = s;
  *nf = fields.n;
  return fields.v;
}

int cs__csv_parse(const char *name, char *text, cs__csv *csv, cs_err *err) {
  memset(csv, 0, sizeof *csv);
  csv->data = text;
  char *p = text;
  if (!strncmp(p, "\xEF\xBB\xBF", 3)) p += 3; /* UTF-8 BOM */
  while (*p == '\n' || *p == '\r') p++;
  if (!*p) {
    cs__csv_release(csv);
    return cs_err_set(err, CS_EPARSE, "%s: empty file (expected a CSV header line)", name);
  }
  csv->header = parse_record(&p, &csv->ncols);
  CS__VEC(char **) rows = {0};
  CS__VEC(bool) bad = {0};
  while (*p) {
    if (*p == '\n' || *p == '\r') {
      p++;
      continue;
    }
    size_t nf;
    char **f = parse_record(&p, &nf);
    cs__vec_push(&bad, nf != csv->ncols);
    if (nf != csv->ncols) {
      csv->bad_rows++;
      char **g = cs__xcalloc(csv->ncols ? csv->ncols : 1, sizeof *g);
      for (size_t i = 0; i < csv->ncols; i++) g[i] = i < nf ? f[i] : empty_field;
      free(f);
      f = g;
    }
    cs__vec_push(&rows, f);
  }
  csv->rows = rows.v;
  csv->nrows = rows.n;
  csv->bad = bad.v;
  return 0;
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

void cs__csv_field(cs__sbuf *sb, const char *s) {
  if (!s) s = "";
  if (!strpbrk(s, ",\"\n\r")) {
    cs__sbuf_adds(sb, s);
    return;
  }
  cs__sbuf_addc(sb, '"');
  for (; *s; s++) {
    if (*s == '"') cs__sbuf_addc(sb, '"');
    cs__sbuf_addc(sb, *s);
  }
  cs__sbuf_addc(sb, '"');
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
