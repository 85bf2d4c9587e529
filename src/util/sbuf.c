#include "util/sbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Out of memory is not recoverable where these helpers are called (no caller checks), but it is
 * not a crash either: one line naming the request and its usual cause, then exit status 1 at
 * once. _Exit, not exit: other threads are still running, so no atexit handler or stdio flush
 * may touch shared state; what a sweep committed is on disk already (commits survive a kill). */
static void oom(size_t n) {
  fprintf(stderr,
          "capsearch: out of memory allocating %zu bytes (the memory limit of the process or the machine is "
          "reached; a simulation's memory grows with replicas x KV blocks and with requests, times -j)\n",
          n);
  _Exit(1);
}

void *cs__xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) oom(n);
  return p;
}

void *cs__xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p) oom(n * size);
  return p;
}

void *cs__xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) oom(n);
  return q;
}

char *cs__xstrdup(const char *s) { return cs__xstrndup(s, strlen(s)); }

char *cs__xstrndup(const char *s, size_t n) {
  char *p = cs__xmalloc(n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

void cs__sbuf_init(cs__sbuf *sb) {
  sb->buf = NULL;
  sb->len = 0;
  sb->cap = 0;
  cs__sbuf_grow(sb, 0);
}

void cs__sbuf_release(cs__sbuf *sb) {
  free(sb->buf);
  sb->buf = NULL;
  sb->len = sb->cap = 0;
}

void cs__sbuf_reset(cs__sbuf *sb) {
  sb->len = 0;
  if (sb->buf) sb->buf[0] = '\0';
}

void cs__sbuf_grow(cs__sbuf *sb, size_t extra) {
  size_t want = sb->len + extra + 1;
  if (want <= sb->cap) return;
  size_t nc = sb->cap ? sb->cap : 64;
  while (nc < want) nc *= 2;
  sb->buf = cs__xrealloc(sb->buf, nc);
  if (sb->cap == 0) sb->buf[0] = '\0';
  sb->cap = nc;
}

void cs__sbuf_add(cs__sbuf *sb, const void *data, size_t len) {
  cs__sbuf_grow(sb, len);
  memcpy(sb->buf + sb->len, data, len);
  sb->len += len;
  sb->buf[sb->len] = '\0';
}

void cs__sbuf_adds(cs__sbuf *sb, const char *s) { cs__sbuf_add(sb, s, strlen(s)); }

void cs__sbuf_addc(cs__sbuf *sb, char c) { cs__sbuf_add(sb, &c, 1); }

void cs__sbuf_vaddf(cs__sbuf *sb, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
  if (n < 0) {
    va_end(ap2);
    return;
  }
  if ((size_t)n >= sb->cap - sb->len) {
    cs__sbuf_grow(sb, (size_t)n);
    vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap2);
  }
  va_end(ap2);
  sb->len += (size_t)n;
}

void cs__sbuf_addf(cs__sbuf *sb, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  cs__sbuf_vaddf(sb, fmt, ap);
  va_end(ap);
}

char *cs__sbuf_detach(cs__sbuf *sb) {
  char *p = sb->buf;
  if (!p) p = cs__xstrdup("");
  /* the sbuf is left released (no memory): adding to it again allocates afresh */
  sb->buf = NULL;
  sb->len = sb->cap = 0;
  return p;
}
