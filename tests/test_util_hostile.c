/* util against hostile input: the checked number parser, inputs that are not regular files or
 * are too large, YAML nested without end, an invalid byte placed at its line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cs_test.h"
#include "util/fs.h"
#include "util/num.h"
#include "util/yaml.h"

static int parse(const char *s, double lo, double hi, bool open, bool integer, double *v, char *why) {
  cs_num_range r = {lo, hi, open, integer};
  return cs_num_parse(s, &r, v, why, 256);
}

static void test_number_parser_refuses_wrap_overflow_nan_inf_and_garbage(void) {
  double v = -1;
  char why[256];
  CS_ASSERT_INT_EQ(parse("8", 1, 1024, false, true, &v, why), 0);
  CS_ASSERT_DBL_EQ(v, 8);
  CS_ASSERT_INT_EQ(parse("1e3", 1, 1024, false, true, &v, why), 0);
  CS_ASSERT_DBL_EQ(v, 1000);
  CS_ASSERT_INT_EQ(parse("4294967297", 1, 1024, false, true, &v, why), -2);
  CS_ASSERT_STR_CONTAINS(why, "4294967297 is out of range (expected an integer from 1 to 1024)");
  CS_ASSERT_INT_EQ(parse("9223372036854775808", 0, 1e30, false, true, &v, why), -2);
  CS_ASSERT_INT_EQ(parse("1e400", 0, 1e9, false, false, &v, why), -2);
  CS_ASSERT_STR_CONTAINS(why, "too large");
  static const char *const not_numbers[] = {"nan", "NaN", "inf", "-inf", ".inf", "0x10", " 5", "5 ", "", "1e", "+", ".", "1.2.3", "5abc"};
  for (size_t i = 0; i < sizeof not_numbers / sizeof *not_numbers; i++)
    CS_ASSERT_INT_EQ(parse(not_numbers[i], 0, 1e9, false, false, &v, why), -1);
  CS_ASSERT_INT_EQ(parse("-1", 0, 1, true, false, &v, why), -2);
  CS_ASSERT_INT_EQ(parse("0", 0, 1, true, false, &v, why), -2);
  CS_ASSERT_STR_CONTAINS(why, "expected a number > 0 and <= 1");
  CS_ASSERT_INT_EQ(parse("1.5", 1, 10, false, true, &v, why), -1);
  CS_ASSERT_INT_EQ(parse("-0", 0, 1, false, false, &v, why), 0);
  CS_ASSERT_TRUE(!signbit(v));
}

/* An integer is the one written or refused: 2^53 + 1 does not become 2^53 (strtod's neighbour),
 * and the bounds are printed in full, not as 9.0072e+15. */
static void test_integers_are_exact_or_refused_with_exact_bounds(void) {
  double v = -1;
  char why[256];
  const double max = 9007199254740992.0; /* 2^53, the seed's bound */
  CS_ASSERT_INT_EQ(parse("9007199254740992", 0, max, false, true, &v, why), 0);
  CS_ASSERT_DBL_EQ(v, max);
  CS_ASSERT_INT_EQ(parse("9007199254740993", 0, max, false, true, &v, why), -2);
  CS_ASSERT_STR_CONTAINS(why, "9007199254740993 is out of range (expected an integer from 0 to 9007199254740992)");
  CS_ASSERT_INT_EQ(parse("9007199254740993", 0, 1e30, false, true, &v, why), -2);
  CS_ASSERT_INT_EQ(parse("4503599627370496.5", 0, max, false, true, &v, why), -1); /* 2^52 + 0.5 rounds to even */
  CS_ASSERT_INT_EQ(parse("1.00000000000000000001", 0, 10, false, true, &v, why), -1);
  CS_ASSERT_INT_EQ(parse("9.007199254740992e15", 0, max, false, true, &v, why), 0);
  CS_ASSERT_INT_EQ(parse("0.5e1", 0, 10, false, true, &v, why), 0);
  CS_ASSERT_DBL_EQ(v, 5);
  CS_ASSERT_INT_EQ(parse("50e-1", 0, 10, false, true, &v, why), 0);
  CS_ASSERT_INT_EQ(parse("007", 0, 10, false, true, &v, why), 0);
  CS_ASSERT_DBL_EQ(v, 7);
  CS_ASSERT_INT_EQ(parse("0", 1, 16777216, false, true, &v, why), -2);
  CS_ASSERT_STR_CONTAINS(why, "(expected an integer from 1 to 16777216)");
  char t[40];
  cs__num_text(1e6, t, sizeof t);
  CS_ASSERT_STR_EQ(t, "1000000");
  cs__num_text(0.25, t, sizeof t);
  CS_ASSERT_STR_EQ(t, "0.25");
}

static void test_inputs_must_be_regular_files(void) {
  char dir[512], p[600];
  cs_test_tmpdir(dir, sizeof dir);
  cs_err err = {0};
  char *buf = NULL;
  size_t len = 0;
  CS_ASSERT_INT_EQ(cs__read_file("/dev/zero", &buf, &len, &err), CS_EINVAL);
  CS_ASSERT_STR_CONTAINS(err.msg, "/dev/zero: not a regular file");
  CS_ASSERT_INT_EQ(cs__read_file(dir, &buf, &len, &err), CS_EINVAL);
  CS_ASSERT_STR_CONTAINS(err.msg, "is a directory");
  snprintf(p, sizeof p, "%s/fifo", dir);
  CS_ASSERT_INT_EQ(mkfifo(p, 0644), 0);
  CS_ASSERT_INT_EQ(cs__read_file(p, &buf, &len, &err), CS_EINVAL); /* at once, no writer needed */
  CS_ASSERT_INT_EQ(cs__check_input(p, &err), CS_EINVAL);
  CS_ASSERT_INT_EQ(cs__mkdir_p("", &err), CS_EINVAL);
}

static void test_yaml_nesting_is_limited_and_bad_bytes_are_placed(void) {
  size_t n = 30000;
  char *deep = malloc(n + 1);
  memset(deep, '[', n);
  deep[n] = '\0';
  cs__ydoc d;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs__ydoc_load_string(&d, "deep.yml", deep, n, &err), CS_EPARSE);
  CS_ASSERT_STR_CONTAINS(err.msg, "deep.yml:1:201: nested more than 200 levels deep");
  free(deep);
  const char *text = "a: 1\nb: 2\n# \xff here\n";
  CS_ASSERT_INT_EQ(cs__ydoc_load_string(&d, "b.yml", text, strlen(text), &err), CS_EPARSE);
  CS_ASSERT_STR_CONTAINS(err.msg, "b.yml:3:3: malformed YAML/JSON");
  const char *quoted = "n: \"8\"\n";
  CS_ASSERT_OK(cs__ydoc_load_string(&d, "q.yml", quoted, strlen(quoted), &err), &err);
  int64_t iv;
  CS_ASSERT_INT_EQ(cs__y_int(&d, cs__ymap_get(d.root, "n"), "n", &iv, &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "q.yml:1:4: n: expected an integer, got the quoted string '8' (write numbers without quotes)");
  cs__ydoc_free(&d);
}

static const cs_test_case cases[] = {
    {"test_number_parser_refuses_wrap_overflow_nan_inf_and_garbage",
     test_number_parser_refuses_wrap_overflow_nan_inf_and_garbage},
    {"test_integers_are_exact_or_refused_with_exact_bounds", test_integers_are_exact_or_refused_with_exact_bounds},
    {"test_inputs_must_be_regular_files", test_inputs_must_be_regular_files},
    {"test_yaml_nesting_is_limited_and_bad_bytes_are_placed", test_yaml_nesting_is_limited_and_bad_bytes_are_placed},
    {NULL, NULL}};

int main(void) { return cs_test_run("util_hostile", cases); }
