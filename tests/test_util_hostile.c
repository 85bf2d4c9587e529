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
    {"test_inputs_must_be_regular_files", test_inputs_must_be_regular_files},
    {"test_yaml_nesting_is_limited_and_bad_bytes_are_placed", test_yaml_nesting_is_limited_and_bad_bytes_are_placed},
    {NULL, NULL}};

int main(void) { return cs_test_run("util_hostile", cases); }
