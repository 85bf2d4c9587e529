/* The one checked number parser: every number capsearch reads from a file or a flag goes
 * through it with the range its field allows. No wrap, no silent narrowing, no NaN or
 * infinity, no trailing garbage; the reason comes back as text for a message that names the
 * place ("sweep.yml:3:40: clusters[0].gpus_per_node: ..." or "--max-iterations: ...").
 * Pure and thread-safe. */
#ifndef CS_UTIL_NUM_H
#define CS_UTIL_NUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cs__num_range {
  double min, max;   /* inclusive bounds */
  bool min_open;     /* min itself is excluded (a positive value: min 0, min_open) */
  bool integer;      /* an integer is required (4.0 and 1e3 are accepted when integral) */
} cs__num_range;

/* Parses s (the whole string; surrounding blanks are not allowed) into *out. On failure
 * returns -1 (not a number of the kind) or -2 (a number out of range) and writes a reason into why: "expected an integer from 1 to 1024, got
 * '4294967297'". Integers are exact up to 2^53. */
int cs__num_parse(const char *s, const cs__num_range *r, double *out, char *why, size_t why_size);
/* The range as text: "an integer from 1 to 1024", "a number > 0 and <= 1e+09". */
void cs__num_range_text(const cs__num_range *r, char *buf, size_t size);

#endif
