/* Error code names, messages and the formatted error buffer. */
#include "capsearch/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *cs_strerror_name(int code) {
  switch (code) {
#define CS__ERR_NAME(name, val, desc) \
  case CS_##name:                     \
    return #name;
    CS_ERRNO_MAP(CS__ERR_NAME)
#undef CS__ERR_NAME
  case 0:
    return "OK";
  default:
    return "EUNKNOWNCODE";
  }
}

const char *cs_strerror(int code) {
  switch (code) {
#define CS__ERR_DESC(name, val, desc) \
  case CS_##name:                     \
    return desc;
    CS_ERRNO_MAP(CS__ERR_DESC)
#undef CS__ERR_DESC
  case 0:
    return "success";
  default:
    return "unknown error";
  }
}

/* Length of the valid UTF-8 sequence at s (1 to 4), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s) {
  size_t n = s[0] > 0xf4 ? 0 : s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
  for (size_t i = 1; i < n; i++)
    if ((s[i] & 0xc0) != 0x80) return 0;
  return n;
}

/* Messages quote user text (a trace's header, a field): a binary file must not send raw control
 * bytes or broken UTF-8 to the terminal, so those bytes become \xNN (the message may shorten). */
static void sanitize(char *msg, size_t cap) {
  char out[CS_ERR_MSG_MAX];
  size_t o = 0;
  const unsigned char *s = (const unsigned char *)msg;
  while (*s && o + 5 < sizeof out) {
    size_t n = *s >= 0x80 ? utf8_len(s) : ((*s < 0x20 && *s != '\n' && *s != '\t') || *s == 0x7f ? 0 : 1);
    if (n == 0) {
      o += (size_t)snprintf(out + o, sizeof out - o, "\\x%02x", *s);
      s++;
      continue;
    }
    if (o + n >= sizeof out) break;
    memcpy(out + o, s, n);
    o += n;
    s += n;
  }
  out[o] = '\0';
  snprintf(msg, cap, "%s", out);
}

int cs_err_set(cs_err *err, int code, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    sanitize(err->msg, sizeof err->msg);
  }
  return code;
}

void cs_err_prefix(cs_err *err, const char *fmt, ...) {
  if (!err) return;
  char prefix[CS_ERR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  char old[CS_ERR_MSG_MAX];
  memcpy(old, err->msg, sizeof old);
  size_t n = strlen(prefix);
  if (n > sizeof err->msg - 3) n = sizeof err->msg - 3;
  memcpy(err->msg, prefix, n);
  memcpy(err->msg + n, ": ", 2);
  size_t room = sizeof err->msg - n - 3;
  size_t m = strlen(old);
  if (m > room) m = room;
  memcpy(err->msg + n + 2, old, m);
  err->msg[n + 2 + m] = '\0';
}

void cs_err_clear(cs_err *err) {
  if (!err) return;
  err->code = 0;
  err->msg[0] = '\0';
}
