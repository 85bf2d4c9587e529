/* Growable string buffer (git's strbuf idea), allocation helpers, growable arrays.
 * Ownership: a cs__sbuf is caller-owned; _init gives an empty buffer, _release frees its memory.
 * buf is always NUL-terminated. Allocation failure ends the process via cs__xmalloc: a message
 * and exit status 1 (out-of-memory is not a bad-input condition and cannot be recovered from
 * meaningfully here).
 * The buffer is public (capsearch/util.h, cs_sbuf); the library's code keeps the internal
 * spellings below, mapped onto the public names, so both name the same functions. */
#ifndef CS_UTIL_SBUF_H
#define CS_UTIL_SBUF_H

#include <stdarg.h>
#include <stddef.h>

#include "capsearch/util.h"

typedef cs_sbuf cs__sbuf;
#define cs__sbuf_init cs_sbuf_init
#define cs__sbuf_release cs_sbuf_release
#define cs__sbuf_reset cs_sbuf_reset
#define cs__sbuf_add cs_sbuf_add
#define cs__sbuf_adds cs_sbuf_adds
#define cs__sbuf_addc cs_sbuf_addc
#define cs__sbuf_addf cs_sbuf_addf
#define cs__sbuf_vaddf cs_sbuf_vaddf
/* Hands the buffer to the caller (free() it); the sbuf is left released, owning nothing, so no
 * _release is needed afterwards (it is harmless), and adding to it again allocates afresh. */
#define cs__sbuf_detach cs_sbuf_detach
#define cs__xstrdup cs_xstrdup
/* Room for `extra` more bytes (and the NUL). */
void cs__sbuf_grow(cs__sbuf *sb, size_t extra);

/* Allocation helpers that abort with a message on exhaustion. */
void *cs__xmalloc(size_t n);
void *cs__xcalloc(size_t n, size_t size);
void *cs__xrealloc(void *p, size_t n);
char *cs__xstrndup(const char *s, size_t n);

/* Growable array of any element type: CS__VEC(T) declares {T *v; size_t n, cap;}.
 * cs__vec_push(&vec, value) appends; free with free(vec.v). */
#define CS__VEC(T) \
  struct {         \
    T *v;          \
    size_t n, cap; \
  }
#define cs__vec_reserve(vec, want)                                                  \
  do {                                                                              \
    if ((want) > (vec)->cap) {                                                      \
      size_t cs__nc = (vec)->cap ? (vec)->cap * 2 : 16;                             \
      while (cs__nc < (want)) cs__nc *= 2;                                          \
      (vec)->v = cs__xrealloc((vec)->v, cs__nc * sizeof *(vec)->v);                 \
      (vec)->cap = cs__nc;                                                          \
    }                                                                               \
  } while (0)
#define cs__vec_push(vec, value)              \
  do {                                        \
    cs__vec_reserve((vec), (vec)->n + 1);     \
    (vec)->v[(vec)->n++] = (value);           \
  } while (0)

#endif
