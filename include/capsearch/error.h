/* Error codes and the error-message buffer every fallible function takes as its last argument.
 *
 * Ownership: a cs_err is caller-owned, usually on the stack; functions fill it on failure and
 * leave it untouched on success. Passing NULL is allowed and discards the message.
 * Functions return 0 on success or a negative CS_E* code; the code says what kind of failure,
 * the message says what was wrong, where, and what was expected (git's style:
 * "sweep.yml:14:5: unknown key 'chunk_sise' in replica_schedulers[1] (did you mean 'chunk_size'?)").
 */
#ifndef CAPSEARCH_ERROR_H
#define CAPSEARCH_ERROR_H

#include <stddef.h>

/* X(name, value, description): one list generates the enum, the names and the messages. */
#define CS_ERRNO_MAP(X)                                              \
  X(EINVAL, -1, "invalid argument")                                  \
  X(ENOMEM, -2, "out of memory")                                     \
  X(EIO, -3, "input/output error")                                   \
  X(ENOENT, -4, "no such file or entry")                             \
  X(EPARSE, -5, "malformed input")                                   \
  X(ECONFIG, -6, "invalid configuration")                            \
  X(EUNKNOWN, -7, "unknown name")                                    \
  X(ERANGE, -8, "value out of range")                                \
  X(EINFEASIBLE, -9, "configuration cannot run")                     \
  X(EEXIST, -10, "already exists")                                   \
  X(EINTR, -11, "interrupted")                                       \
  X(EFORMAT, -12, "unsupported or newer file format")                \
  X(ESIM, -13, "simulation failed")                                  \
  X(EUSAGE, -14, "usage error")

typedef enum cs_errno {
  CS_OK = 0,
#define CS__ERR_ENUM(name, val, desc) CS_##name = (val),
  CS_ERRNO_MAP(CS__ERR_ENUM)
#undef CS__ERR_ENUM
} cs_errno;

#define CS_ERR_MSG_MAX 1024

typedef struct cs_err {
  int code;                  /* the CS_E* code of the failure, 0 when none */
  char msg[CS_ERR_MSG_MAX];  /* a complete sentence-like message, no trailing newline */
} cs_err;

/* Name ("EINVAL") and description of a code; "unknown error" for codes outside the list. */
const char *cs_strerror_name(int code);
const char *cs_strerror(int code);

/* Fills err (when non-NULL) with code and a printf-style message; returns code, so that
 * `return cs_err_set(err, CS_EPARSE, "%s:%d:%d: ...", ...);` reads naturally. */
int cs_err_set(cs_err *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Prepends "prefix: " to an already-set message (e.g. the job name around a trace error). */
void cs_err_prefix(cs_err *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

void cs_err_clear(cs_err *err);

#endif
