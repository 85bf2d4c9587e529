#include <math.h>
/* analysis: the SVG plot writer of the HTML report (nice ticks, escaping, what gets drawn). */
#include <stdlib.h>

#include "analysis/svg.h"
#include "cs_test.h"

static size_t count(const char *hay, const char *needle) {
  size_t n = 0;
  for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
  return n;
}

static void test_nice_numbers_are_1_2_5_multiples(void) {
  CS_ASSERT_DBL_NEAR(cs__svg_nice(7.3, true), 10, 1e-12);
  CS_ASSERT_DBL_NEAR(cs__svg_nice(3.2, true), 5, 1e-12);
  CS_ASSERT_DBL_NEAR(cs__svg_nice(0.26, true), 0.2, 1e-12);
  CS_ASSERT_DBL_NEAR(cs__svg_nice(1.2, false), 2, 1e-12);
  CS_ASSERT_DBL_NEAR(cs__svg_nice(430, false), 500, 1e-9);
}

static void test_ticks_cover_the_range_with_nice_steps(void) {
  double t[32], lo, hi;
  int n = cs__svg_ticks(0, 1.0, 6, t, 32, &lo, &hi);
  CS_ASSERT_INT_EQ(n, 6);
  CS_ASSERT_DBL_NEAR(t[1] - t[0], 0.2, 1e-12);
  CS_ASSERT_DBL_EQ(lo, 0);
  CS_ASSERT_DBL_NEAR(hi, 1.0, 1e-12);
  n = cs__svg_ticks(0.013, 0.087, 5, t, 32, &lo, &hi);
  CS_ASSERT_DBL_NEAR(t[1] - t[0], 0.02, 1e-12);
  CS_ASSERT_TRUE(lo <= 0.013 && hi >= 0.087);
  CS_ASSERT_DBL_EQ(t[0], 0.0); /* no -1e-18 from accumulated steps */
  n = cs__svg_ticks(5, 5, 6, t, 32, &lo, &hi); /* one value: widened around it */
  CS_ASSERT_TRUE(n >= 2 && lo < 5 && hi > 5);
  n = cs__svg_ticks(3, -2, 6, t, 32, &lo, &hi); /* reversed bounds */
  CS_ASSERT_TRUE(lo <= -2 && hi >= 3);
}

static void test_tick_labels_use_the_decimals_of_their_step(void) {
  char b[32];
  cs__svg_fmt_tick(0.25, 0.05, b, sizeof b);
  CS_ASSERT_STR_EQ(b, "0.25");
  cs__svg_fmt_tick(1500, 500, b, sizeof b);
  CS_ASSERT_STR_EQ(b, "1,500");
  cs__svg_fmt_tick(0.4, 0.2, b, sizeof b);
  CS_ASSERT_STR_EQ(b, "0.4");
  cs__svg_fmt_tick(2e-5, 1e-5, b, sizeof b);
  CS_ASSERT_STR_EQ(b, "0.00002");
  cs__svg_fmt_tick(2e6, 1e6, b, sizeof b);
  CS_ASSERT_STR_EQ(b, "2,000,000");
}

/* numbers for people: the report's "4.1e+03 QPS" is "4,100" */
static void test_numbers_for_people_have_no_exponent(void) {
  static const struct {
    double v;
    const char *want;
  } cases[] = {{4100, "4,100"}, {4123.6, "4,124"}, {7.534, "7.53"}, {64, "64"}, {12.26, "12.3"}, {0.03687, "0.0369"},
               {0.5, "0.5"}, {0, "0"}, {-1234567, "-1,234,567"}, {2e-5, "0.00002"}, {1.5e-7, "0.00000015"}, {1e-12, "1e-12"}, {NAN, "n/a"}};
  char b[64];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cs__svg_fmt_num(cases[i].v, b, sizeof b);
    CS_ASSERT_STR_EQ(b, cases[i].want);
  }
}

static void test_escape_makes_text_safe_in_xml(void) {
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__svg_escape(&sb, "<a & 'b' \"c\">");
  CS_ASSERT_STR_EQ(sb.buf, "&lt;a &amp; &#39;b&#39; &quot;c&quot;&gt;");
  cs__sbuf_release(&sb);
}

static void test_xy_plot_draws_each_finite_point_with_its_tooltip(void) {
  double x[] = {1, 2, NAN, 4}, y[] = {0.5, 1.5, 2, 1};
  const char *tips[] = {"a<b", "c", "d", "e"};
  cs__svg_series s[2] = {{"points", "#123456", CS__SVG_SCATTER, x, y, 4, tips, 0},
                         {"line", "#654321", CS__SVG_LINE, x, y, 4, NULL, 0}};
  cs__svg_plot p = {"T & t", "x", "y", 0, 0, s, 2, true, false};
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__svg_xy(&sb, &p);
  CS_ASSERT_INT_EQ(count(sb.buf, "class=\"cs-point\""), 3);
  CS_ASSERT_INT_EQ(count(sb.buf, "class=\"cs-line\""), 1);
  CS_ASSERT_STR_CONTAINS(sb.buf, "data-points=\"6\"");
  CS_ASSERT_STR_CONTAINS(sb.buf, "<title>a&lt;b</title>");
  CS_ASSERT_STR_CONTAINS(sb.buf, ">T &amp; t</text>");
  CS_ASSERT_STR_CONTAINS(sb.buf, ">points</text>");
  CS_ASSERT_TRUE(!strstr(sb.buf, "nan") && !strstr(sb.buf, "inf"));
  CS_ASSERT_INT_EQ(count(sb.buf, "<svg"), count(sb.buf, "</svg>"));
  cs__sbuf_release(&sb);
}

static void test_empty_plot_says_no_data(void) {
  double x[] = {NAN}, y[] = {1};
  cs__svg_series s = {"s", NULL, CS__SVG_LINE_POINTS, x, y, 1, NULL, 0};
  cs__svg_plot p = {"empty", "x", "y", 300, 200, &s, 1, false, false};
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__svg_xy(&sb, &p);
  CS_ASSERT_STR_CONTAINS(sb.buf, "no data");
  CS_ASSERT_INT_EQ(count(sb.buf, "cs-point"), 0);
  cs__sbuf_release(&sb);
}

static void test_bars_draw_finite_values_and_mark_missing_ones(void) {
  const char *labels[] = {"h100", "a100", "l4"};
  double v[] = {1.0, 0.5, NAN};
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__svg_bars(&sb, "by device", "QPS per $/h", labels, v, 3, "#1f77b4", 0, 0);
  CS_ASSERT_INT_EQ(count(sb.buf, "class=\"cs-bar\""), 2);
  CS_ASSERT_STR_CONTAINS(sb.buf, ">n/a</text>");
  CS_ASSERT_STR_CONTAINS(sb.buf, "<title>h100: 1</title>");
  cs__sbuf_release(&sb);
}

static const cs_test_case cases[] = {
    {"test_nice_numbers_are_1_2_5_multiples", test_nice_numbers_are_1_2_5_multiples},
    {"test_ticks_cover_the_range_with_nice_steps", test_ticks_cover_the_range_with_nice_steps},
    {"test_tick_labels_use_the_decimals_of_their_step", test_tick_labels_use_the_decimals_of_their_step},
    {"test_numbers_for_people_have_no_exponent", test_numbers_for_people_have_no_exponent},
    {"test_escape_makes_text_safe_in_xml", test_escape_makes_text_safe_in_xml},
    {"test_xy_plot_draws_each_finite_point_with_its_tooltip", test_xy_plot_draws_each_finite_point_with_its_tooltip},
    {"test_empty_plot_says_no_data", test_empty_plot_says_no_data},
    {"test_bars_draw_finite_values_and_mark_missing_ones", test_bars_draw_finite_values_and_mark_missing_ones},
    {NULL, NULL}};

int main(void) { return cs_test_run("analysis_svg", cases); }
