/* Text helpers: "did you mean" suggestions and number formatting that round-trips.
 * All functions are pure and thread-safe. */
#ifndef CS_UTIL_TEXT_H
#define CS_UTIL_TEXT_H

#include <stddef.h>

#include "capsearch/util.h"

/* Levenshtein distance (ninja's edit_distance idea), case-sensitive. */
size_t cs__edit_distance(const char *a, const char *b);
/* The candidate closest to `name`, or NULL when none is close enough (distance <= max(2, len/3));
 * ties go to the earliest candidate. Case-insensitive matches win outright. Public: cs_suggest. */
#define cs__suggest cs_suggest
/* The parenthetical ending of an "unknown name" message, into buf: " (did you mean 'x'?)" when a
 * candidate is close to `name` (NULL = never suggest), else " (<intro>: a, b, c)", or
 * " (<intro>: <none>)" when there are no candidates. Defined in util/registry.c. */
void cs__choices_suffix(const char *name, const char *const *cands, size_t n, const char *intro, const char *none,
                        char *buf, size_t cap);

/* Python's repr(float): shortest string that round-trips, "4.0" for integral values,
 * exponent form outside [1e-4, 1e16) ("1e-05", "1e+16"). buf needs 32 bytes. */
char *cs__fmt_pyfloat(double v, char buf[32]);
/* printf("%.6f", v) byte for byte (-0.0 included), mostly without printf, for |v| < 8796093;
 * returns the length, or 0 (nothing written) for larger or non-finite v. */
size_t cs__fmt_fixed6(double v, char buf[32]);
/* Shortest round-trip "%g"-like form for machine-read files ("0.1", "4", "1e-07"). Public:
 * cs_fmt_double. */
#define cs__fmt_double cs_fmt_double

#endif
