/* Bump allocator (git's mem-pool idea): one per simulation; everything a probe allocates is
 * released at once by cs__arena_reset/_release, so the hot path never calls free().
 * Ownership: caller-owned struct; _init/_release. Memory is 16-byte aligned and zeroed. */
#ifndef CS_UTIL_ARENA_H
#define CS_UTIL_ARENA_H

#include <stddef.h>

typedef struct cs__arena_block cs__arena_block;
typedef struct cs__arena {
  cs__arena_block *head;  /* block being filled */
  size_t block_size;      /* default size of new blocks */
  size_t total;           /* bytes reserved from the system, for memory reports */
} cs__arena;

void cs__arena_init(cs__arena *a, size_t block_size);
void cs__arena_release(cs__arena *a);
/* Frees all blocks but the largest, which is kept for reuse. */
void cs__arena_reset(cs__arena *a);
void *cs__arena_alloc(cs__arena *a, size_t n);
char *cs__arena_strdup(cs__arena *a, const char *s);
#define CS__ARENA_NEW(a, T, count) ((T *)cs__arena_alloc((a), sizeof(T) * (size_t)(count)))

#endif
