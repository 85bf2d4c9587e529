/* The one checked number parser is public (capsearch/opt.h: cs_num_parse, cs_num_range). The
 * internal spellings below are kept for the modules that still use them; new code uses the
 * public names. */
#ifndef CS_UTIL_NUM_H
#define CS_UTIL_NUM_H

#include "capsearch/opt.h"

typedef cs_num_range cs__num_range;
#define cs__num_parse cs_num_parse
#define cs__num_range_text cs_num_range_text

#endif
