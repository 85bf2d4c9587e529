/* The one CSV field writer: every CSV file capsearch writes (results.csv, request_metrics.csv,
 * plots/<metric>.csv, the analysis tables, predictor check --csv, ...) quotes its text fields
 * here, as RFC 4180 says: a field holding a comma, a double quote, CR or LF is enclosed in
 * double quotes with its quotes doubled; line breaks stay inside the quotes (a reader that
 * follows RFC 4180, libcsv or Python's csv module, gets the text back unchanged); any other
 * field is written as it is. Numbers are formatted by their writers (their formats never
 * need quoting). */
#ifndef CS_UTIL_CSVW_H
#define CS_UTIL_CSVW_H

#include <stdbool.h>

#include "util/sbuf.h"

/* Appends s (NULL = an empty field) to sb, quoted when it must be (public: cs_csv_field). */
#define cs__csv_field cs_csv_field
/* True when s must be quoted. */
bool cs__csv_needs_quotes(const char *s);

#endif
