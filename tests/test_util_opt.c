/* The option-table module (util/opt.h): one parser for every command's flags and the YAML
 * schemas, with one message style, one number parser with units and bounds, and --help made
 * from the table. */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cs_test.h"
#include "capsearch/params.h"
#include "util/opt.h"

typedef struct demo {
  int threads;
  double limit_s;
  double qps;
  int64_t seed;
  bool has_seed;
  bool dry;
  int keep;
  const char *dir;
  const char *params[2];
  int nparams;
  int fn_calls;
} demo;

static int demo_fn(void *obj, const cs_opt *o, const char *text, cs_err *err) {
  (void)o;
  if (strcmp(text, "ok")) return cs_err_set(err, CS_EUSAGE, "expected ok, got '%s'", text);
  ((demo *)obj)->fn_calls++;
  return 0;
}

static const char *const keeps[] = {"all", "answers", "none", NULL};
static const cs_opt demo_opts[] = {
    {CS_OPT_INT, "num-threads", 'j', .help = "parallel jobs", CS_OPT_FIELD(demo, threads), .range = {1, 64, false, true}},
    {CS_OPT_NUM, "time-limit", .arg = "MIN", .help = "simulated minutes", CS_OPT_FIELD(demo, limit_s),
     .range = {0, 1e6, false, false}, .unit = &cs_opt_unit_minutes},
    {CS_OPT_NUM, "qps", .help = "request rate", CS_OPT_FIELD(demo, qps), .range = {0, 1e9, true, false}},
    {CS_OPT_INT, "seed", .help = "seed", CS_OPT_FIELD(demo, seed), .range = {0, 9007199254740992.0, false, true},
     CS_OPT_SETS(demo, has_seed)},
    {CS_OPT_FLAG, "dry-run", .help = "list only", CS_OPT_FIELD(demo, dry)},
    {CS_OPT_ENUM, "keep-runs", .help = "which runs", CS_OPT_FIELD(demo, keep), .choices = keeps, .noun = "policy"},
    {CS_OPT_STR, "output-dir", 'o', .arg = "DIR", .help = "where", CS_OPT_FIELD(demo, dir), .expect = "a directory path"},
    {CS_OPT_LIST, "param", .help = "NAME=VALUE\n(repeatable)", CS_OPT_FIELD(demo, params), .range = {0, 2, false, false},
     .count_off = offsetof(demo, nparams)},
    {CS_OPT_FN, "check", .help = "a callback", .fn = demo_fn},
    {CS_OPT_HELP, "help", 'h', .help = "this text"},
    {CS_OPT_END}};
static const cs_opt_cmd demo_cmd = {"demo", "capsearch demo [options] FILE", "A demo.", demo_opts, NULL, 0, 1};

static int run(demo *d, cs_err *err, const char **pos, int *npos, int argc, ...) {
  char *argv[32] = {(char *)"demo"};
  va_list ap;
  va_start(ap, argc);
  for (int i = 1; i < argc; i++) argv[i] = va_arg(ap, char *);
  va_end(ap);
  memset(d, 0, sizeof *d);
  memset(err, 0, sizeof *err);
  return cs_opt_parse(&demo_cmd, argc, argv, d, pos, npos, err);
}

static void test_opt_parses_long_short_attached_and_positional_forms(void) {
  demo d;
  cs_err err;
  const char *pos[1];
  int np;
  CS_ASSERT_INT_EQ(run(&d, &err, pos, &np, 9, "-j4", "--time-limit=3", "file.yml", "--seed", "-0", "--dry-run", "-o",
                       "out"),
                   0);
  CS_ASSERT_INT_EQ(d.threads, 4);
  CS_ASSERT_DBL_EQ(d.limit_s, 180); /* minutes are stored as seconds, converted once */
  CS_ASSERT_TRUE(d.has_seed);
  CS_ASSERT_TRUE(d.dry);
  CS_ASSERT_STR_EQ(d.dir, "out");
  CS_ASSERT_INT_EQ(np, 1);
  CS_ASSERT_STR_EQ(pos[0], "file.yml");
  CS_ASSERT_INT_EQ(run(&d, &err, pos, &np, 5, "--time-limit", "90s", "--keep-runs", "none"), 0);
  CS_ASSERT_DBL_EQ(d.limit_s, 90);
  CS_ASSERT_INT_EQ(d.keep, 2);
  CS_ASSERT_INT_EQ(run(&d, &err, pos, &np, 3, "--num-t", "2"), 0); /* a unique prefix */
  CS_ASSERT_INT_EQ(d.threads, 2);
  CS_ASSERT_INT_EQ(run(&d, &err, pos, &np, 4, "--", "-j", "x"), CS_EUSAGE);
  CS_ASSERT_STR_EQ(err.msg, "unexpected argument 'x'; see 'capsearch demo --help'");
  CS_ASSERT_INT_EQ(run(&d, &err, pos, &np, 3, "-j", "8"), 0);
  CS_ASSERT_INT_EQ(run(&d, &err, pos, &np, 2, "-h"), CS_OPT_HELP_ASKED);
  CS_ASSERT_INT_EQ(run(&d, &err, pos, &np, 6, "--param", "a=1", "--param", "b=2", "--check=ok"), 0);
  CS_ASSERT_INT_EQ(d.nparams, 2);
  CS_ASSERT_STR_EQ(d.params[1], "b=2");
  CS_ASSERT_INT_EQ(d.fn_calls, 1);
}

static void test_opt_every_bad_value_names_the_flag_and_what_was_expected(void) {
  demo d;
  cs_err err;
  static const char *const bad_threads[] = {"0", "65", "nan", "inf", "1.5", "4294967297", "0x10", "", " 4"};
  for (size_t i = 0; i < sizeof bad_threads / sizeof *bad_threads; i++) {
    CS_ASSERT_INT_EQ(run(&d, &err, NULL, NULL, 3, "--num-threads", bad_threads[i]), CS_EUSAGE);
    CS_ASSERT_STR_CONTAINS(err.msg, "--num-threads: expected an integer from 1 to 64, got '");
  }
  CS_ASSERT_INT_EQ(run(&d, &err, NULL, NULL, 3, "-j", "0"), CS_EUSAGE);
  CS_ASSERT_STR_EQ(err.msg, "-j: expected an integer from 1 to 64, got '0'");
  static const char *const bad_limits[] = {"nan", "-1", "1e999", "inf", "5x", "2e6", "ms"};
  for (size_t i = 0; i < sizeof bad_limits / sizeof *bad_limits; i++) {
    CS_ASSERT_INT_EQ(run(&d, &err, NULL, NULL, 3, "--time-limit", bad_limits[i]), CS_EUSAGE);
    CS_ASSERT_STR_CONTAINS(err.msg, "--time-limit: expected a number from 0 to 1000000 minutes (or with a suffix: s, min, h), got '");
  }
  CS_ASSERT_INT_EQ(run(&d, &err, NULL, NULL, 3, "--qps", "0"), CS_EUSAGE);
  CS_ASSERT_STR_EQ(err.msg, "--qps: expected a number > 0 and <= 1000000000, got '0'");
  CS_ASSERT_INT_EQ(run(&d, &err, NULL, NULL, 3, "--keep-runs", "anwsers"), CS_EUSAGE);
  CS_ASSERT_STR_EQ(err.msg, "--keep-runs: unknown policy 'anwsers' (did you mean 'answers'?)");
  CS_ASSERT_INT_EQ(run(&d, &err, NULL, NULL, 3, "--keep-runs", "zzzzzzzz"), CS_EUSAGE);
  CS_ASSERT_STR_EQ(err.msg, "--keep-runs: expected all, answers or none, got 'zzzzzzzz'");
  CS_ASSERT_INT_EQ(run(&d, &err, NULL, NULL, 3, "--output-dir", ""), CS_EUSAGE);
  CS_ASSERT_STR_EQ(err.msg, "--output-dir: expected a directory path, got ''");
  CS_ASSERT_INT_EQ(run(&d, &err, NULL, NULL, 7, "--param", "a", "--param", "b", "--param", "c"), CS_EUSAGE);
  CS_ASSERT_STR_EQ(err.msg, "--param: given more than 2 times");
  CS_ASSERT_INT_EQ(run(&d, &err, NULL, NULL, 3, "--check", "no"), CS_EUSAGE);
  CS_ASSERT_STR_EQ(err.msg, "--check: expected ok, got 'no'");
}

/* "--output-dir --dry-run" once ran a whole sweep into ./--dry-run; "-o a -o b" silently took b. */
static void test_opt_a_value_that_is_an_option_or_a_repeated_flag_is_refused(void) {
  demo d;
  cs_err err;
  CS_ASSERT_INT_EQ(run(&d, &err, NULL, NULL, 3, "--output-dir", "--dry-run"), CS_EUSAGE);
  CS_ASSERT_STR_EQ(err.msg, "--output-dir expects a directory path, got the option '--dry-run' "
                            "(write --output-dir=--dry-run if that is the value)");
  CS_ASSERT_TRUE(!d.dry);
  CS_ASSERT_INT_EQ(run(&d, &err, NULL, NULL, 3, "-o", "--dry"), CS_EUSAGE); /* a unique prefix names it too */
  CS_ASSERT_STR_CONTAINS(err.msg, "-o expects a directory path, got the option '--dry'");
  CS_ASSERT_INT_EQ(run(&d, &err, NULL, NULL, 3, "--seed", "--qps=3"), CS_EUSAGE);
  CS_ASSERT_STR_CONTAINS(err.msg, "--seed expects an integer from 0 to ");
  CS_ASSERT_INT_EQ(run(&d, &err, NULL, NULL, 3, "--check", "--output-dir"), CS_EUSAGE);
  CS_ASSERT_STR_CONTAINS(err.msg, "--check expects a value (VALUE), got the option '--output-dir'");
  CS_ASSERT_INT_EQ(run(&d, &err, NULL, NULL, 2, "--output-dir=--dry-run"), 0); /* attached: taken as written */
  CS_ASSERT_STR_EQ(d.dir, "--dry-run");
  CS_ASSERT_INT_EQ(run(&d, &err, NULL, NULL, 3, "-o", "--zz"), 0); /* not an option of the command */
  CS_ASSERT_STR_EQ(d.dir, "--zz");
  CS_ASSERT_INT_EQ(run(&d, &err, NULL, NULL, 5, "--output-dir", "a", "-o", "b"), CS_EUSAGE);
  CS_ASSERT_STR_EQ(err.msg, "option '--output-dir' given more than once (it takes one value)");
  CS_ASSERT_INT_EQ(run(&d, &err, NULL, NULL, 3, "-j2", "--num-threads=4"), CS_EUSAGE);
  CS_ASSERT_STR_EQ(err.msg, "option '--num-threads' given more than once (it takes one value)");
  CS_ASSERT_INT_EQ(run(&d, &err, NULL, NULL, 3, "--dry-run", "--dry-run"), 0); /* a flag says the same twice */
  CS_ASSERT_INT_EQ(run(&d, &err, NULL, NULL, 5, "--param", "a", "--param", "b"), 0); /* documented repeatable */
}

static void test_opt_unknown_missing_and_ambiguous_options_get_one_line(void) {
  demo d;
  cs_err err;
  CS_ASSERT_INT_EQ(run(&d, &err, NULL, NULL, 3, "--num-thread", "2"), 0); /* prefix, not a typo */
  CS_ASSERT_INT_EQ(run(&d, &err, NULL, NULL, 3, "--sede", "2"), CS_EUSAGE);
  CS_ASSERT_STR_EQ(err.msg, "unknown option '--sede' (did you mean '--seed'?)");
  CS_ASSERT_INT_EQ(run(&d, &err, NULL, NULL, 2, "-outpt-dir"), 0); /* a known short option takes the rest */
  CS_ASSERT_STR_EQ(d.dir, "utpt-dir");
  CS_ASSERT_INT_EQ(run(&d, &err, NULL, NULL, 2, "-dry-rnu"), CS_EUSAGE);
  CS_ASSERT_STR_EQ(err.msg, "unknown option '-dry-rnu' (did you mean '--dry-run'?)");
  CS_ASSERT_INT_EQ(run(&d, &err, NULL, NULL, 2, "--zzzzzzzzzz"), CS_EUSAGE);
  CS_ASSERT_STR_EQ(err.msg, "unknown option '--zzzzzzzzzz'; see 'capsearch demo --help'");
  CS_ASSERT_INT_EQ(run(&d, &err, NULL, NULL, 2, "-z"), CS_EUSAGE);
  CS_ASSERT_STR_EQ(err.msg, "unknown option '-z'; see 'capsearch demo --help'");
  CS_ASSERT_INT_EQ(run(&d, &err, NULL, NULL, 2, "--seed"), CS_EUSAGE);
  CS_ASSERT_STR_EQ(err.msg, "option '--seed' needs a value");
  CS_ASSERT_INT_EQ(run(&d, &err, NULL, NULL, 2, "-j"), CS_EUSAGE);
  CS_ASSERT_STR_EQ(err.msg, "option '-j' needs a value");
  CS_ASSERT_INT_EQ(run(&d, &err, NULL, NULL, 2, "--dry-run=yes"), CS_EUSAGE);
  CS_ASSERT_STR_EQ(err.msg, "option '--dry-run' takes no value");
}

static void test_opt_help_is_generated_from_the_table_with_its_defaults(void) {
  demo d = {.threads = 4, .limit_s = 10800, .keep = 1};
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__opt_help(&demo_cmd, &d, &sb);
  CS_ASSERT_STR_CONTAINS(sb.buf, "usage: capsearch demo [options] FILE\n\nA demo.\n\n");
  CS_ASSERT_STR_CONTAINS(sb.buf, "  -j, --num-threads N           parallel jobs (default 4)\n");
  CS_ASSERT_STR_CONTAINS(sb.buf, "  --time-limit MIN              simulated minutes (default 180)\n");
  CS_ASSERT_STR_CONTAINS(sb.buf, "  --keep-runs NAME              which runs (default answers)\n");
  CS_ASSERT_STR_CONTAINS(sb.buf, "  --param VALUE                 NAME=VALUE\n                                (repeatable)\n");
  CS_ASSERT_TRUE(strstr(sb.buf, "--dry-run                     list only\n") != NULL);
  cs__sbuf_release(&sb);
}

static const cs_opt bad_table[] = {{CS_OPT_INT, "n", CS_OPT_FIELD(demo, threads), .range = {0, 1e12, false, true}},
                                    {CS_OPT_END}};

static void test_opt_a_table_whose_bounds_overflow_its_field_is_refused(void) {
  cs_opt_cmd cmd = {"bad", "x", NULL, bad_table, NULL, 0, 0};
  char *argv[] = {(char *)"bad", (char *)"--n", (char *)"5"};
  demo d = {0};
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_opt_parse(&cmd, 3, argv, &d, NULL, NULL, &err), CS_EINVAL);
  CS_ASSERT_STR_CONTAINS(err.msg, "bad entry 'n'");
}

typedef struct ydemo {
  int gpus;
  const char *device;
  bool prefix;
  int verdict;
  bool has_verdict;
} ydemo;
static const char *const verdicts[] = {"capsearch", "vidur", NULL};
static const cs_opt ydemo_fields[] = {
    {CS_OPT_STR, "device", CS_OPT_FIELD(ydemo, device), .required = true},
    {CS_OPT_INT, "gpus_per_node", CS_OPT_FIELD(ydemo, gpus), .range = {1, 1024, false, true}, .required = true},
    {CS_OPT_FLAG, "enable_prefix_caching", CS_OPT_FIELD(ydemo, prefix)},
    {CS_OPT_ENUM, "verdict", CS_OPT_FIELD(ydemo, verdict), .choices = verdicts, .noun = "verdict",
     CS_OPT_SETS(ydemo, has_verdict)},
    {CS_OPT_END}};

static int yread(const char *text, ydemo *y, cs_err *err) {
  cs__ydoc d;
  memset(y, 0, sizeof *y);
  memset(err, 0, sizeof *err);
  int rc = cs__ydoc_load_string(&d, "s.yml", text, strlen(text), err);
  if (rc) return rc;
  cs__arena a;
  cs__arena_init(&a, 1024);
  cs__opt_yctx c = {&d, &a, "the file", NULL};
  rc = cs__opt_yaml_read(&c, d.root->items[0], ydemo_fields, NULL, "clusters[0]", y, err);
  if (!rc) CS_ASSERT_STR_EQ(y->device, "h100"); /* copied: valid after the document is freed */
  cs__ydoc_free(&d);
  if (!rc) CS_ASSERT_STR_EQ(y->device, "h100");
  cs__arena_release(&a);
  return rc;
}

static void test_opt_yaml_fields_read_through_the_same_table(void) {
  ydemo y;
  cs_err err;
  CS_ASSERT_INT_EQ(yread("- {device: h100, gpus_per_node: 8, enable_prefix_caching: true, verdict: vidur}\n", &y, &err), 0);
  CS_ASSERT_INT_EQ(yread("- {device: h100, gpus_per_node: eight}\n", &y, &err), CS_ECONFIG);
  CS_ASSERT_STR_EQ(err.msg, "s.yml:1:33: clusters[0].gpus_per_node: expected an integer from 1 to 1024, got 'eight'");
  CS_ASSERT_INT_EQ(yread("- {device: h100, gpus_per_nod: 8}\n", &y, &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "s.yml:1:18: unknown key 'gpus_per_nod' in clusters[0] (did you mean 'gpus_per_node'?)");
  CS_ASSERT_INT_EQ(yread("- {device: h100}\n", &y, &err), CS_ECONFIG);
  CS_ASSERT_STR_EQ(err.msg, "s.yml:1:3: clusters[0]: missing required key 'gpus_per_node'");
  CS_ASSERT_INT_EQ(yread("- {device: h100, gpus_per_node: 8, verdict: vidr}\n", &y, &err), CS_ECONFIG);
  CS_ASSERT_STR_EQ(err.msg, "s.yml:1:45: clusters[0].verdict: unknown verdict 'vidr' (did you mean 'vidur'?)");
  CS_ASSERT_INT_EQ(yread("- {device: h100, gpus_per_node: 4294967297}\n", &y, &err), CS_ERANGE);
  CS_ASSERT_STR_CONTAINS(err.msg, "4294967297 is out of range (expected an integer from 1 to 1024)");
}

/* A policy parameter is an entry of the same shape: one table binds a policy's struct (any
 * integer width, by the field's own type), and the command line parses through the same entry
 * with the command line's message. */
typedef struct pdemo {
  int small;
  int64_t chunk_size;
  double slack;
  bool eager;
} pdemo;
static const cs_param_spec pdemo_specs[] = {
    {CS_PARAM_FIELD(pdemo, small), .type = CS_OPT_INT, .def = 3, .range = {.min = 0, .max = 100}, .help = "an int field"},
    {CS_PARAM_FIELD(pdemo, chunk_size), .type = CS_OPT_INT, .def = 512, .range = {.min = 1, .max = 1 << 24}, .flags = CS_PARAM_KEY},
    {CS_PARAM_FIELD(pdemo, slack), .type = CS_OPT_NUM, .def = 0.5, .range = {.min = 0, .max = 1}},
    {CS_PARAM_FIELD(pdemo, eager), .type = CS_OPT_FLAG, .def = 1, .range = {.min = 0, .max = 1}},
};

static void test_opt_policy_parameters_are_entries_of_the_same_shape(void) {
  pdemo p;
  memset(&p, 0xff, sizeof p);
  cs_params given = {0};
  cs_err err;
  CS_ASSERT_INT_EQ(cs_params_set(&given, pdemo_specs, 4, "demo", "chunk_size", 64, "w", &err), 0);
  CS_ASSERT_INT_EQ(cs_params_bind(pdemo_specs, 4, &given, &p, "demo", "w", &err), 0);
  CS_ASSERT_INT_EQ(p.small, 3);
  CS_ASSERT_INT_EQ((int)p.chunk_size, 64);
  CS_ASSERT_TRUE(p.slack == 0.5 && p.eager);
  CS_ASSERT_TRUE(cs_params_bound_get(pdemo_specs, 4, &p, "small", -1) == 3);
  CS_ASSERT_INT_EQ(cs_params_set(&given, pdemo_specs, 4, "demo", "chunk_sise", 1, "w", &err), CS_ECONFIG);
  CS_ASSERT_STR_EQ(err.msg, "w: unknown parameter 'chunk_sise' for 'demo' (did you mean 'chunk_size'?)");
  CS_ASSERT_INT_EQ(cs_opt_set(&pdemo_specs[1], &p, "1e9", "--chunk-size", &err), CS_EUSAGE);
  CS_ASSERT_STR_EQ(err.msg, "--chunk-size: expected an integer from 1 to 16777216, got '1e9'");
  CS_ASSERT_INT_EQ(cs_opt_set(&pdemo_specs[0], &p, "7", "--small", &err), 0);
  CS_ASSERT_INT_EQ(p.small, 7);
  CS_ASSERT_INT_EQ((int)p.chunk_size, 64); /* the int field's neighbour is untouched */
  /* bounds mean what they mean in a command's table: no .range = any finite number */
  static const cs_param_spec free_spec[] = {{CS_PARAM_FIELD(pdemo, slack), .type = CS_OPT_NUM}};
  CS_ASSERT_INT_EQ(cs_params_set(&given, free_spec, 1, "demo", "slack", -3.5, "w", &err), 0);
  /* a parameter without a field cannot be bound (a programmer's mistake, named) */
  static const cs_param_spec nofield[] = {{.name = "x", .type = CS_OPT_NUM, .range = {.min = 0, .max = 1}}};
  CS_ASSERT_INT_EQ(cs_params_bind(nofield, 1, NULL, &p, "demo", "w", &err), CS_EINVAL);
  CS_ASSERT_STR_CONTAINS(err.msg, "'x' has no numeric field");
}

/* The public help text is the same text the internal buffer version writes. */
static void test_opt_public_help_text_matches_the_buffer_version(void) {
  demo d = {.threads = 4, .limit_s = 10800, .keep = 1};
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__opt_help(&demo_cmd, &d, &sb);
  char *txt = cs_opt_help_text(&demo_cmd, &d);
  CS_ASSERT_TRUE(txt != NULL);
  CS_ASSERT_STR_EQ(txt, sb.buf);
  free(txt);
  cs__sbuf_release(&sb);
}

static const cs_test_case cases[] = {
    {"test_opt_parses_long_short_attached_and_positional_forms", test_opt_parses_long_short_attached_and_positional_forms},
    {"test_opt_every_bad_value_names_the_flag_and_what_was_expected",
     test_opt_every_bad_value_names_the_flag_and_what_was_expected},
    {"test_opt_a_value_that_is_an_option_or_a_repeated_flag_is_refused",
     test_opt_a_value_that_is_an_option_or_a_repeated_flag_is_refused},
    {"test_opt_unknown_missing_and_ambiguous_options_get_one_line",
     test_opt_unknown_missing_and_ambiguous_options_get_one_line},
    {"test_opt_help_is_generated_from_the_table_with_its_defaults",
     test_opt_help_is_generated_from_the_table_with_its_defaults},
    {"test_opt_a_table_whose_bounds_overflow_its_field_is_refused",
     test_opt_a_table_whose_bounds_overflow_its_field_is_refused},
    {"test_opt_yaml_fields_read_through_the_same_table", test_opt_yaml_fields_read_through_the_same_table},
    {"test_opt_policy_parameters_are_entries_of_the_same_shape", test_opt_policy_parameters_are_entries_of_the_same_shape},
    {"test_opt_public_help_text_matches_the_buffer_version", test_opt_public_help_text_matches_the_buffer_version},
    {NULL, NULL}};

int main(void) { return cs_test_run("util_opt", cases); }
