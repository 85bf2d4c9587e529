/* Test helpers on top of CUnit: typed asserts that print both values on failure (libuv
 * test/task.h idea), suite registration, and access to shared data.
 * Usage:
 *   static void test_x_does_y(void) { CS_ASSERT_INT_EQ(f(), 3); }
 *   static const cs_test_case cases[] = {{"test_x_does_y", test_x_does_y}, {NULL, NULL}};
 *   int main(void) { return cs_test_run("module", cases); }
 */
#ifndef CS_TEST_H
#define CS_TEST_H

#include <CUnit/Basic.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct cs_test_case {
  const char *name;
  void (*fn)(void);
} cs_test_case;

/* Runs one suite; returns 0 when every test passed, 1 otherwise (never a raw count). */
int cs_test_run(const char *suite, const cs_test_case *cases);
/* Exit status of a test that did not run (ctest's SKIP_RETURN_CODE, tests/CMakeLists.txt). */
#define CS_TEST_SKIP 77
/* A case that cannot run here (no shared data, a policy not built in) says why and returns;
 * when every case of the suite skipped, cs_test_run exits CS_TEST_SKIP. */
void cs_test_skip(const char *why);

/* $CS_SHARED_DATA/<rel> when that exists, else NULL (tests then skip with a message). */
const char *cs_test_shared(const char *rel, char *buf, size_t size);
/* $CS_SOURCE_DIR/<rel> (the checkout), falling back to ".." relative paths. */
const char *cs_test_source(const char *rel, char *buf, size_t size);
/* A fresh empty scratch directory under $TMPDIR, unique per call; removed at exit. */
const char *cs_test_tmpdir(char *buf, size_t size);
/* Writes text to a file (for test inputs); returns 0 on success. */
int cs_test_write(const char *path, const char *text);
/* Reads a whole file (malloc'd, NUL-terminated) or NULL. */
char *cs_test_read(const char *path, size_t *len);

#define CS__FAIL_MSG(...)                                         \
  do {                                                            \
    char cs__m[1024];                                             \
    snprintf(cs__m, sizeof cs__m, __VA_ARGS__);                   \
    CU_assertImplementation(CU_FALSE, __LINE__, cs__m, __FILE__, "", CU_FALSE); \
  } while (0)

#define CS_ASSERT_INT_EQ(a, b)                                                              \
  do {                                                                                      \
    long long cs__a = (long long)(a), cs__b = (long long)(b);                               \
    if (cs__a != cs__b) CS__FAIL_MSG("%s == %s: %lld != %lld", #a, #b, cs__a, cs__b);       \
    else CU_PASS(#a " == " #b);                                                             \
  } while (0)
#define CS_ASSERT_INT_NE(a, b)                                                              \
  do {                                                                                      \
    long long cs__a = (long long)(a), cs__b = (long long)(b);                               \
    if (cs__a == cs__b) CS__FAIL_MSG("%s != %s: both %lld", #a, #b, cs__a);                 \
    else CU_PASS(#a " != " #b);                                                             \
  } while (0)
#define CS_ASSERT_INT_LE(a, b)                                                              \
  do {                                                                                      \
    long long cs__a = (long long)(a), cs__b = (long long)(b);                               \
    if (!(cs__a <= cs__b)) CS__FAIL_MSG("%s <= %s: %lld > %lld", #a, #b, cs__a, cs__b);     \
    else CU_PASS(#a " <= " #b);                                                             \
  } while (0)
#define CS_ASSERT_DBL_NEAR(a, b, tol)                                                       \
  do {                                                                                      \
    double cs__a = (double)(a), cs__b = (double)(b), cs__t = (double)(tol);                 \
    if (!(fabs(cs__a - cs__b) <= cs__t))                                                    \
      CS__FAIL_MSG("%s ~= %s: %.17g vs %.17g (tol %g)", #a, #b, cs__a, cs__b, cs__t);       \
    else CU_PASS(#a " ~= " #b);                                                             \
  } while (0)
#define CS_ASSERT_DBL_EQ(a, b)                                                              \
  do {                                                                                      \
    double cs__a = (double)(a), cs__b = (double)(b);                                        \
    if (!(cs__a == cs__b)) CS__FAIL_MSG("%s == %s: %.17g != %.17g", #a, #b, cs__a, cs__b);  \
    else CU_PASS(#a " == " #b);                                                             \
  } while (0)
#define CS_ASSERT_STR_EQ(a, b)                                                              \
  do {                                                                                      \
    const char *cs__a = (a), *cs__b = (b);                                                  \
    if (!cs__a || !cs__b || strcmp(cs__a, cs__b))                                           \
      CS__FAIL_MSG("%s == %s: \"%s\" != \"%s\"", #a, #b, cs__a ? cs__a : "(null)",          \
                   cs__b ? cs__b : "(null)");                                               \
    else CU_PASS(#a " == " #b);                                                             \
  } while (0)
#define CS_ASSERT_STR_CONTAINS(hay, needle)                                                 \
  do {                                                                                      \
    const char *cs__h = (hay), *cs__n = (needle);                                           \
    if (!cs__h || !strstr(cs__h, cs__n))                                                    \
      CS__FAIL_MSG("%s contains \"%s\": got \"%s\"", #hay, cs__n, cs__h ? cs__h : "(null)"); \
    else CU_PASS(#hay " contains " #needle);                                                \
  } while (0)
#define CS_ASSERT_TRUE(c)                                   \
  do {                                                      \
    if (!(c)) CS__FAIL_MSG("expected true: %s", #c);        \
    else CU_PASS(#c);                                       \
  } while (0)
/* For calls returning 0 / CS_E*: prints the error message on failure. */
#define CS_ASSERT_OK(call, errp)                                                            \
  do {                                                                                      \
    int cs__rc = (call);                                                                    \
    if (cs__rc != 0) CS__FAIL_MSG("%s failed (%d): %s", #call, cs__rc, (errp)->msg);        \
    else CU_PASS(#call);                                                                    \
  } while (0)

#endif
