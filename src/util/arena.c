#include "util/arena.h"

#include <stdlib.h>
#include <string.h>

#include "util/sbuf.h"

struct cs__arena_block {
  cs__arena_block *next;
  size_t size, used;
  _Alignas(16) unsigned char data[];
};

void cs__arena_init(cs__arena *a, size_t block_size) {
  a->head = NULL;
  a->block_size = block_size ? block_size : 1 << 20;
  a->total = 0;
}

void cs__arena_release(cs__arena *a) {
  cs__arena_block *b = a->head;
  while (b) {
    cs__arena_block *n = b->next;
    free(b);
    b = n;
  }
  a->head = NULL;
  a->total = 0;
}

void cs__arena_reset(cs__arena *a) {
  cs__arena_block *keep = NULL, *b = a->head;
  while (b) {
    cs__arena_block *n = b->next;
    if (!keep || b->size > keep->size) {
      if (keep) free(keep);
      keep = b;
    } else {
      free(b);
    }
    b = n;
  }
  a->head = keep;
  a->total = 0;
  if (keep) {
    keep->next = NULL;
    keep->used = 0;
    a->total = keep->size;
  }
}

void *cs__arena_alloc(cs__arena *a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  cs__arena_block *b = a->head;
  if (!b || b->size - b->used < n) {
    size_t sz = a->block_size > n ? a->block_size : n;
    b = cs__xmalloc(sizeof *b + sz);
    b->size = sz;
    b->used = 0;
    b->next = a->head;
    a->head = b;
    a->total += sz;
  }
  void *p = b->data + b->used;
  b->used += n;
  memset(p, 0, n);
  return p;
}

char *cs__arena_strdup(cs__arena *a, const char *s) {
  size_t n = strlen(s) + 1;
  char *p = cs__arena_alloc(a, n);
  memcpy(p, s, n);
  return p;
}
