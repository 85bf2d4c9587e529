/* The one checked number parser is public (capsearch/opt.h: cs_num_parse, cs_num_range). The
 * internal spellings below are kept for the modules that still use them; new code uses the
 * public names. */
#ifndef CS_UTIL_NUM_H
#define CS_UTIL_NUM_H

#include "capsearch/opt.h"

typedef cs_num_range cs__num_range;
/* v as a message shows it: an integer up to 2^53 in full ("16777216", "9007199254740992"), else
 * the shortest text that reads back as v ("0.25", "1e+300"). */
void cs__num_text(double v, char *buf, size_t size);
#define cs__num_parse cs_num_parse
#define cs__num_range_text cs_num_range_text

#endif
