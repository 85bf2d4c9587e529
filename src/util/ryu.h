/* Shortest round-trip digits of a double (Ryu, see ryu.c). Pure and thread-safe. */
#ifndef CS_UTIL_RYU_H
#define CS_UTIL_RYU_H

#include <stdbool.h>
#include <stdint.h>

/* For finite v != 0 (the sign ignored): the fewest significant digits whose decimal reads back
 * as |v|, the one closest to |v| among them, into digits (NUL-terminated, no leading zero,
 * possibly trailing zeros), and the decimal exponent of the first digit (v = d.ddd x 10^exp10).
 * Returns the number of digits (1..17). */
int cs__ryu_digits(double v, char digits[18], int *exp10);

#endif
