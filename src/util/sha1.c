#include "util/sha1.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sbuf.h"

/* SHA-1 itself is nettle's (Debian's nettle-dev): a well-kept library whose x86_64 build picks
 * the CPU's SHA instructions at run time, instead of a compression function of our own. */
void cs__sha1_init(cs__sha1 *s) { sha1_init(&s->ctx); }

void cs__sha1_update(cs__sha1 *s, const void *data, size_t n) { sha1_update(&s->ctx, n, data); }

void cs__sha1_final(cs__sha1 *s, unsigned char out[20]) { sha1_digest(&s->ctx, SHA1_DIGEST_SIZE, out); }

void cs__sha1_hex(const void *data, size_t n, char out[41]) {
  cs__sha1 s;
  unsigned char d[20];
  cs__sha1_init(&s);
  cs__sha1_update(&s, data, n);
  cs__sha1_final(&s, d);
  static const char hex[] = "0123456789abcdef";
  for (int i = 0; i < 20; i++) {
    out[2 * i] = hex[d[i] >> 4];
    out[2 * i + 1] = hex[d[i] & 15];
  }
  out[40] = '\0';
}

uint64_t cs__fnv1a64(const void *data, size_t n, uint64_t seed) {
  const unsigned char *p = data;
  uint64_t h = 0xcbf29ce484222325ULL ^ seed;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

const cs__file_digest *cs__digests_find(const cs__digests *d, const char *name) {
  for (size_t i = 0; d && i < d->n; i++)
    if (!strcmp(d->v[i].name, name)) return &d->v[i];
  return NULL;
}

void cs__digests_add(cs__digests *d, const char *name, const void *data, size_t n) {
  cs__file_digest *e = (cs__file_digest *)cs__digests_find(d, name);
  if (!e) {
    if (d->n == d->cap) {
      d->cap = d->cap ? 2 * d->cap : 64;
      d->v = cs__xrealloc(d->v, d->cap * sizeof *d->v);
    }
    e = &d->v[d->n++];
    e->name = cs__xstrdup(name);
  }
  e->size = (uint64_t)n;
  cs__sha1_hex(data, n, e->sha1);
}

void cs__digests_release(cs__digests *d) {
  for (size_t i = 0; i < d->n; i++) free(d->v[i].name);
  free(d->v);
  d->v = NULL;
  d->n = d->cap = 0;
}
