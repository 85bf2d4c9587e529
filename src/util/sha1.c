#include "util/sha1.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sbuf.h"

static uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void block(cs__sha1 *s, const unsigned char *p) {
  uint32_t w[80];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
           (uint32_t)p[4 * i + 3];
  for (int i = 16; i < 80; i++) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
  uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4];
  for (int i = 0; i < 80; i++) {
    uint32_t f, k;
    if (i < 20) {
      f = (b & c) | (~b & d);
      k = 0x5A827999;
    } else if (i < 40) {
      f = b ^ c ^ d;
      k = 0x6ED9EBA1;
    } else if (i < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8F1BBCDC;
    } else {
      f = b ^ c ^ d;
      k = 0xCA62C1D6;
    }
    uint32_t t = rol(a, 5) + f + e + k + w[i];
    e = d;
    d = c;
    c = rol(b, 30);
    b = a;
    a = t;
  }
  s->h[0] += a;
  s->h[1] += b;
  s->h[2] += c;
  s->h[3] += d;
  s->h[4] += e;
}

void cs__sha1_init(cs__sha1 *s) {
  s->h[0] = 0x67452301;
  s->h[1] = 0xEFCDAB89;
  s->h[2] = 0x98BADCFE;
  s->h[3] = 0x10325476;
  s->h[4] = 0xC3D2E1F0;
  s->len = 0;
  s->fill = 0;
}

void cs__sha1_update(cs__sha1 *s, const void *data, size_t n) {
  const unsigned char *p = data;
  s->len += n;
  while (n > 0) {
    size_t take = 64 - s->fill < n ? 64 - s->fill : n;
    memcpy(s->buf + s->fill, p, take);
    s->fill += take;
    p += take;
    n -= take;
    if (s->fill == 64) {
      block(s, s->buf);
      s->fill = 0;
    }
  }
}

void cs__sha1_final(cs__sha1 *s, unsigned char out[20]) {
  uint64_t bits = s->len * 8;
  unsigned char pad = 0x80;
  cs__sha1_update(s, &pad, 1);
  unsigned char zero = 0;
  while (s->fill != 56) cs__sha1_update(s, &zero, 1);
  unsigned char lenb[8];
  for (int i = 0; i < 8; i++) lenb[i] = (unsigned char)(bits >> (56 - 8 * i));
  cs__sha1_update(s, lenb, 8);
  for (int i = 0; i < 5; i++) {
    out[4 * i] = (unsigned char)(s->h[i] >> 24);
    out[4 * i + 1] = (unsigned char)(s->h[i] >> 16);
    out[4 * i + 2] = (unsigned char)(s->h[i] >> 8);
    out[4 * i + 3] = (unsigned char)s->h[i];
  }
}

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
