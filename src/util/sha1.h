/* SHA-1 (FIPS 180-4): job names the way Vidur does (sha1(job key)[:8]), checksums of the files
 * a probe.json vouches for, and the key of what decides a probe. */
#ifndef CS_UTIL_SHA1_H
#define CS_UTIL_SHA1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nettle/sha1.h>

/* An incremental SHA-1 (nettle's context): init, update with the data in any pieces, final
 * writes the 20-byte digest (the context must be initialised again before reuse). */
typedef struct cs__sha1 {
  struct sha1_ctx ctx;
} cs__sha1;

void cs__sha1_init(cs__sha1 *s);
void cs__sha1_update(cs__sha1 *s, const void *data, size_t n);
void cs__sha1_final(cs__sha1 *s, unsigned char out[20]);
/* Lower-case hex of sha1(data), NUL-terminated (41 bytes). */
void cs__sha1_hex(const void *data, size_t n, char out[41]);

/* What a writer recorded about the files it wrote, hashing each buffer as it wrote it, so the
 * store's file list (probe.json) need not read them back: name (relative to the directory
 * written), size and sha1. Ownership: the list owns its names; cs__digests_release frees them. */
typedef struct cs__file_digest {
  char *name;
  uint64_t size;
  char sha1[41];
} cs__file_digest;
typedef struct cs__digests {
  cs__file_digest *v;
  size_t n, cap;
} cs__digests;
/* Records sha1(data) and n under name (a later record of the same name replaces it). */
void cs__digests_add(cs__digests *d, const char *name, const void *data, size_t n);
/* The record of name, or NULL. */
const cs__file_digest *cs__digests_find(const cs__digests *d, const char *name);
void cs__digests_release(cs__digests *d);

/* FNV-1a 64-bit, for cache keys and hash tables (not for anything user-visible as "sha1"). */
uint64_t cs__fnv1a64(const void *data, size_t n, uint64_t seed);

#endif
