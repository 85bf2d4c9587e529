/* The workload seed in the store's JSON files: one representation everywhere, unsigned as the
 * config's uint64_t, so job.json, config.json and args.json agree for every seed the API takes
 * (the parsers stop at 2^53, where signed and unsigned text are the same). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cs_test.h"
#include "store/job.h"
#include "store/store.h"

#define BIG_SEED "9223372036854775809" /* 2^63 + 1: negative as an int64_t */

static void test_job_json_writes_the_seed_unsigned(void) {
  cs__store_job j;
  memset(&j, 0, sizeof j);
  j.index = -1;
  j.run.time_limit_s = 60;
  j.run.seed = (UINT64_C(1) << 63) + 1;
  cs_err err = {0};
  char *text = cs__store_job_json(&j, &err);
  CS_ASSERT_TRUE(text != NULL);
  CS_ASSERT_STR_CONTAINS(text, "\"seed\": " BIG_SEED);
  free(text);
}

static void test_config_and_args_json_write_the_seed_unsigned(void) {
  cs__store_run run = {60, (UINT64_C(1) << 63) + 1};
  char *text = NULL;
  cs_err err = {0};
  CS_ASSERT_OK(cs__store_config_json("{}", &run, &text, &err), &err);
  CS_ASSERT_STR_CONTAINS(text, "\"seed\": " BIG_SEED);
  free(text);
  cs__store_args a;
  memset(&a, 0, sizeof a);
  a.has_seed = true;
  a.seed = run.seed;
  a.sweep_wall_s = -1;
  text = cs__store_args_json(&a);
  CS_ASSERT_STR_CONTAINS(text, "\"seed\": " BIG_SEED);
  free(text);
}

static const cs_test_case cases[] = {
    {"test_job_json_writes_the_seed_unsigned", test_job_json_writes_the_seed_unsigned},
    {"test_config_and_args_json_write_the_seed_unsigned", test_config_and_args_json_write_the_seed_unsigned},
    {NULL, NULL}};

int main(void) { return cs_test_run("store_seed", cases); }
