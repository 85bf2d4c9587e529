/* A whole CSV file in memory, read with libcsv, with columns addressed by header name (Vidur's
 * profiling and prediction files are pandas exports: a header row, an unnamed index column
 * sometimes, quoted fields rarely). Numeric accessors report the file, column and line of a
 * malformed value.
 *
 * Ownership: cs__csvtab is caller-owned (_parse / _release); field strings live in it. */
#ifndef CS_PREDICTOR_CSVTAB_H
#define CS_PREDICTOR_CSVTAB_H

#include <stddef.h>
#include <stdint.h>

#include "capsearch/error.h"

typedef struct cs__csvtab {
  const char *path;   /* for messages (borrowed) */
  size_t ncols, nrows;
  char *text;         /* NUL-separated fields */
  uint32_t *off;      /* (nrows + 1) * ncols offsets into text; row 0 is the header */
  uint32_t *line;     /* 1-based line of each data row (for messages) */
} cs__csvtab;

/* Parses `len` bytes of CSV text. Rows with more fields than the header are errors naming the
 * line; shorter rows are padded with empty fields; blank lines are skipped. */
int cs__csvtab_parse(cs__csvtab *t, const char *path, const char *data, size_t len, cs_err *err);
void cs__csvtab_release(cs__csvtab *t);

/* Column index by exact header name, or -1. */
int cs__csvtab_col(const cs__csvtab *t, const char *name);
/* As _col but a missing column is an error naming the file and the column. */
int cs__csvtab_need(const cs__csvtab *t, const char *name, cs_err *err);
/* 1-based line number of data row r (blank lines and CRLF counted; quoted newlines are not). */
size_t cs__csvtab_line(const cs__csvtab *t, size_t r);
/* Field text of data row r (0-based, header excluded). */
const char *cs__csvtab_str(const cs__csvtab *t, size_t r, int c);
/* Number in data row r; an empty field or "nan" gives NAN and 0; anything else that is not a
 * number fails with "<file>:<line>: column '<name>': expected a number, got 'x'". "True"/"False"
 * read as 1/0 (pandas booleans). */
int cs__csvtab_num(const cs__csvtab *t, size_t r, int c, double *out, cs_err *err);

#endif
