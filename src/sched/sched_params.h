/* Parameters that more than one replica scheduler declares, written once: name, default,
 * bounds, doc and flags. A scheduler puts the field in its own parameter struct (int64_t) and
 * the macro in its field table (capsearch/params.h); everything else is declared in its file. */
#ifndef CS_SCHED_SCHED_PARAMS_H
#define CS_SCHED_SCHED_PARAMS_H

#include <stddef.h>

#include "capsearch/params.h"

/* Bounds: up to 2^24 tokens / 2^20 requests, the sweep file's own limits for these numbers. */
#define CS__PARAM_CHUNK_SIZE(T)                                                                             \
  {CS_PARAM_FIELD(T, chunk_size), .type = CS_OPT_INT, .def = 512,                                           \
   .range = {.min = 1, .max = 1 << 24},                                                                     \
   .flags = CS_PARAM_KEY | CS_PARAM_PER_RANK, .help = "token budget of one iteration (chunked prefill)"}
#define CS__PARAM_BATCH_SIZE_CAP(T)                                                                         \
  {CS_PARAM_FIELD(T, batch_size_cap), .type = CS_OPT_INT, .def = 128,                                       \
   .range = {.min = 1, .max = 1 << 20},                                                                     \
   .flags = CS_PARAM_KEY | CS_PARAM_FROM_BATCH_SIZE | CS_PARAM_PER_RANK,                                    \
   .help = "max requests holding KV memory at once (micro-batch: batch_size_cap / pp)"}
#define CS__PARAM_MAX_TOKENS_IN_BATCH(T, doc)                                                               \
  {CS_PARAM_FIELD(T, max_tokens_in_batch), .type = CS_OPT_INT, .def = 4096,                                 \
   .range = {.min = 1, .max = 1e9},                                                                         \
   .flags = CS_PARAM_KEY | CS_PARAM_FROM_MAX_SEQ_LEN | CS_PARAM_PER_RANK, .help = doc}

#define CS__NELEMS(a) (sizeof(a) / sizeof((a)[0]))

#endif
