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

/* x86 SHA extensions (Intel's SHA-NI: four rounds per instruction), about ten times the
 * portable block function's speed on the megabytes of run files a sweep hashes; used when the
 * CPU reports them (cpuid, asked once per hash), the portable code otherwise. Same digest. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define CS_SHA1_NI 1

static bool cpu_has_sha_ni(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 9)) || !(c & (1u << 19))) return false; /* SSSE3, SSE4.1 */
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  return (b >> 29) & 1u; /* SHA */
}

/* Rounds 4g..4g+3 (g >= 1): message words W[4g..4g+3] from the four previous groups (the
 * ring m), e from the state before the previous group, then four rounds of function F. */
#define NI_GROUP(g, F)                                                                                     \
  do {                                                                                                     \
    if ((g) >= 4)                                                                                          \
      m[(g) & 3] = _mm_sha1msg2_epu32(                                                                     \
          _mm_xor_si128(_mm_sha1msg1_epu32(m[(g) & 3], m[((g) + 1) & 3]), m[((g) + 2) & 3]), m[((g) + 3) & 3]); \
    e = _mm_sha1nexte_epu32(prev, m[(g) & 3]);                                                             \
    prev = abcd;                                                                                           \
    abcd = _mm_sha1rnds4_epu32(abcd, e, F);                                                                \
  } while (0)

__attribute__((target("sha,ssse3,sse4.1"))) static void blocks_ni(uint32_t h[5], const unsigned char *p, size_t nb) {
  const __m128i bswap = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
  __m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(const void *)h), 0x1B);
  __m128i e0 = _mm_set_epi32((int)h[4], 0, 0, 0);
  for (; nb > 0; nb--, p += 64) {
    __m128i abcd0 = abcd, m[4], e, prev;
    for (int i = 0; i < 4; i++) m[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i)), bswap);
    e = _mm_add_epi32(e0, m[0]);
    prev = abcd;
    abcd = _mm_sha1rnds4_epu32(abcd, e, 0);
    NI_GROUP(1, 0); NI_GROUP(2, 0); NI_GROUP(3, 0); NI_GROUP(4, 0);
    NI_GROUP(5, 1); NI_GROUP(6, 1); NI_GROUP(7, 1); NI_GROUP(8, 1); NI_GROUP(9, 1);
    NI_GROUP(10, 2); NI_GROUP(11, 2); NI_GROUP(12, 2); NI_GROUP(13, 2); NI_GROUP(14, 2);
    NI_GROUP(15, 3); NI_GROUP(16, 3); NI_GROUP(17, 3); NI_GROUP(18, 3); NI_GROUP(19, 3);
    e0 = _mm_sha1nexte_epu32(prev, e0);
    abcd = _mm_add_epi32(abcd, abcd0);
  }
  _mm_storeu_si128((__m128i *)(void *)h, _mm_shuffle_epi32(abcd, 0x1B));
  h[4] = (uint32_t)_mm_extract_epi32(e0, 3);
}
#endif

static void compress(cs__sha1 *s, const unsigned char *p, size_t nb) {
#ifdef CS_SHA1_NI
  if (s->ni) {
    blocks_ni(s->h, p, nb);
    return;
  }
#endif
  for (; nb > 0; nb--, p += 64) block(s, p);
}

void cs__sha1_init(cs__sha1 *s) {
  s->h[0] = 0x67452301;
  s->h[1] = 0xEFCDAB89;
  s->h[2] = 0x98BADCFE;
  s->h[3] = 0x10325476;
  s->h[4] = 0xC3D2E1F0;
  s->len = 0;
  s->fill = 0;
#ifdef CS_SHA1_NI
  s->ni = cpu_has_sha_ni();
#else
  s->ni = false;
#endif
}

void cs__sha1_update(cs__sha1 *s, const void *data, size_t n) {
  const unsigned char *p = data;
  s->len += n;
  if (s->fill > 0) { /* top up the partial block first */
    size_t take = 64 - s->fill < n ? 64 - s->fill : n;
    memcpy(s->buf + s->fill, p, take);
    s->fill += take;
    p += take;
    n -= take;
    if (s->fill < 64) return;
    compress(s, s->buf, 1);
    s->fill = 0;
  }
  if (n >= 64) { /* whole blocks straight from the caller's buffer */
    compress(s, p, n / 64);
    p += n / 64 * 64;
    n %= 64;
  }
  memcpy(s->buf, p, n);
  s->fill = n;
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
