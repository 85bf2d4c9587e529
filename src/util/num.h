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

#include "capsearch/util.h"

/* Public (capsearch/util.h); the library's code keeps the internal spellings. */
typedef cs_num_range cs__num_range;
#define cs__num_parse cs_num_parse
#define cs__num_range_text cs_num_range_text

#endif
