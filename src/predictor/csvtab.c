/* In-memory CSV tables via libcsv (see csvtab.h). */
#include "predictor/csvtab.h"

#include <csv.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/sbuf.h"

typedef struct parse_state {
  CS__VEC(char) text;
  CS__VEC(uint32_t) off;
  CS__VEC(uint32_t) lines; /* line of each data row */
  size_t ncols;     /* 0 until the header row ends */
  size_t field;     /* fields seen in the current row */
  size_t line;      /* 1-based line of the current row (approximate for quoted newlines) */
  int error;        /* set when a row is too long */
  size_t error_line;
} parse_state;

static void on_field(void *s, size_t len, void *data) {
  parse_state *ps = data;
  if (ps->error) return;
  if (ps->ncols && ps->field >= ps->ncols) {
    ps->error = 1;
    ps->error_line = ps->line;
    return;
  }
  if (ps->text.n + len + 1 > UINT32_MAX) {
    ps->error = 2;
    return;
  }
  cs__vec_push(&ps->off, (uint32_t)ps->text.n);
  cs__vec_reserve(&ps->text, ps->text.n + len + 1);
  if (len) memcpy(ps->text.v + ps->text.n, s, len);
  ps->text.n += len;
  ps->text.v[ps->text.n++] = '\0';
  ps->field++;
}

/* With CSV_REPALL_NL every unquoted CR and LF ends a (possibly empty) row, so lines can be
 * counted exactly: an LF ends a line, a CR is followed by the LF of CRLF (or is a lone old-Mac
 * line end, then lines drift; nobody writes those any more). */
static void on_row(int c, void *data) {
  parse_state *ps = data;
  size_t here = ps->line;
  if (c != '\r') ps->line++;
  if (ps->error) return;
  if (ps->field == 0) return; /* blank line */
  if (ps->ncols) cs__vec_push(&ps->lines, (uint32_t)here);
  if (!ps->ncols) {
    ps->ncols = ps->field;
  } else {
    /* pad short rows with empty fields so every row has ncols offsets */
    while (ps->field < ps->ncols) {
      cs__vec_push(&ps->off, (uint32_t)ps->text.n);
      cs__vec_push(&ps->text, '\0');
      ps->field++;
    }
  }
  ps->field = 0;
}

int cs__csvtab_parse(cs__csvtab *t, const char *path, const char *data, size_t len, cs_err *err) {
  memset(t, 0, sizeof *t);
  t->path = path;
  struct csv_parser p;
  if (csv_init(&p, CSV_APPEND_NULL | CSV_REPALL_NL) != 0) return cs_err_set(err, CS_ENOMEM, "%s: cannot start the CSV parser", path);
  parse_state ps = {0};
  ps.line = 1;
  int rc = 0;
  if (csv_parse(&p, data, len, on_field, on_row, &ps) != len || csv_fini(&p, on_field, on_row, &ps) != 0) {
    rc = cs_err_set(err, CS_EPARSE, "%s:%zu: malformed CSV (%s)", path, ps.line, csv_strerror(csv_error(&p)));
    goto out;
  }
  if (ps.error == 1) {
    rc = cs_err_set(err, CS_EPARSE, "%s:%zu: more fields than the %zu header columns", path, ps.error_line, ps.ncols);
    goto out;
  }
  if (ps.error == 2) {
    rc = cs_err_set(err, CS_ERANGE, "%s: file too large for the CSV reader (4 GiB of text)", path);
    goto out;
  }
  if (!ps.ncols) {
    rc = cs_err_set(err, CS_EPARSE, "%s: empty file (expected a CSV header row)", path);
    goto out;
  }
  t->ncols = ps.ncols;
  t->nrows = ps.off.n / ps.ncols - 1;
  t->text = ps.text.v;
  t->off = ps.off.v;
  t->line = ps.lines.v;
  ps.text.v = NULL;
  ps.off.v = NULL;
  ps.lines.v = NULL;
out:
  csv_free(&p);
  free(ps.text.v);
  free(ps.off.v);
  free(ps.lines.v);
  return rc;
}

void cs__csvtab_release(cs__csvtab *t) {
  if (!t) return;
  free(t->text);
  free(t->off);
  free(t->line);
  memset(t, 0, sizeof *t);
}

int cs__csvtab_col(const cs__csvtab *t, const char *name) {
  for (size_t c = 0; c < t->ncols; c++)
    if (!strcmp(t->text + t->off[c], name)) return (int)c;
  return -1;
}

int cs__csvtab_need(const cs__csvtab *t, const char *name, cs_err *err) {
  int c = cs__csvtab_col(t, name);
  if (c < 0) return cs_err_set(err, CS_EPARSE, "%s: missing column '%s' in the header", t->path, name);
  return c;
}

size_t cs__csvtab_line(const cs__csvtab *t, size_t r) { return t->line ? t->line[r] : r + 2; }

const char *cs__csvtab_str(const cs__csvtab *t, size_t r, int c) {
  return t->text + t->off[(r + 1) * t->ncols + (size_t)c];
}

int cs__csvtab_num(const cs__csvtab *t, size_t r, int c, double *out, cs_err *err) {
  const char *s = cs__csvtab_str(t, r, c);
  while (*s == ' ') s++;
  if (!*s || !strcasecmp(s, "nan")) {
    *out = NAN;
    return 0;
  }
  if (!strcmp(s, "True")) {
    *out = 1;
    return 0;
  }
  if (!strcmp(s, "False")) {
    *out = 0;
    return 0;
  }
  char *end;
  double v = strtod(s, &end);
  while (*end == ' ') end++;
  if (end == s || *end) {
    return cs_err_set(err, CS_EPARSE, "%s:%zu: column '%s': expected a number, got '%s'", t->path, cs__csvtab_line(t, r),
                      t->text + t->off[c], s);
  }
  *out = v;
  return 0;
}
