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

int cs_err_set(cs_err *err, int code, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
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
