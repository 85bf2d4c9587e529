/* Growable string buffer (git's strbuf idea).
 * Ownership: a cs__sbuf is caller-owned; _init gives an empty buffer, _release frees its memory.
 * buf is always NUL-terminated. Allocation failure aborts via cs__xmalloc (out-of-memory is not
 * a bad-input condition and cannot be recovered from meaningfully here). */
#ifndef CS_UTIL_SBUF_H
#define CS_UTIL_SBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct cs__sbuf {
  char *buf;
  size_t len;
  size_t cap;
} cs__sbuf;

void cs__sbuf_init(cs__sbuf *sb);
void cs__sbuf_release(cs__sbuf *sb);
void cs__sbuf_reset(cs__sbuf *sb);
void cs__sbuf_grow(cs__sbuf *sb, size_t extra);
void cs__sbuf_add(cs__sbuf *sb, const void *data, size_t len);
void cs__sbuf_adds(cs__sbuf *sb, const char *s);
void cs__sbuf_addc(cs__sbuf *sb, char c);
void cs__sbuf_addf(cs__sbuf *sb, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void cs__sbuf_vaddf(cs__sbuf *sb, const char *fmt, va_list ap);
/* Hands the buffer to the caller (free() it); the sbuf is left released, owning nothing, so no
 * _release is needed afterwards (it is harmless), and adding to it again allocates afresh. */
char *cs__sbuf_detach(cs__sbuf *sb);

/* Allocation helpers that abort with a message on exhaustion. */
void *cs__xmalloc(size_t n);
void *cs__xcalloc(size_t n, size_t size);
void *cs__xrealloc(void *p, size_t n);
char *cs__xstrdup(const char *s);
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
