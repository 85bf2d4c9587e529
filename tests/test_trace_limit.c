/* Trace rows against a length limit (src/trace/limit.c): Vidur V0's proportional clip
 * (vidur-semantics.md §2.3), dropping, refusing, and the block hashes a clipped row keeps. */
#include <stdlib.h>

#include "capsearch/trace.h"
#include "cs_test.h"

static void test_clip_follows_vidur_v0_proportional_rule(void) {
  int32_t p = 100, d = 50;
  /* diff 30: P -= ceil(30*100/150) = 20, D -= ceil(30*50/150) = 10 */
  CU_ASSERT_TRUE(cs_trace_clip_lengths(&p, &d, 120));
  CS_ASSERT_INT_EQ(p, 80);
  CS_ASSERT_INT_EQ(d, 40);
  p = 7, d = 3; /* diff 5: P -= ceil(3.5) = 4, D -= ceil(1.5) = 2 */
  CU_ASSERT_TRUE(cs_trace_clip_lengths(&p, &d, 5));
  CS_ASSERT_INT_EQ(p, 3);
  CS_ASSERT_INT_EQ(d, 1);
  p = 9000, d = 1; /* the output keeps at least one token */
  CU_ASSERT_TRUE(cs_trace_clip_lengths(&p, &d, 8192));
  CS_ASSERT_INT_EQ(d, 1);
  CS_ASSERT_INT_LE(p + d, 8192);
  p = 10, d = 10;
  CU_ASSERT_FALSE(cs_trace_clip_lengths(&p, &d, 1));
}

static cs_trace *load(const char *text) {
  char dir[512], path[600];
  cs_test_tmpdir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/t.csv", dir);
  cs_test_write(path, text);
  cs_trace *t = NULL;
  cs_trace_opts o = {.format = CS_TRACE_AUTO, .block_size = 16};
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_trace_load(path, &o, &t, &err), 0);
  return t;
}

static const char *const rows3 =
    "num_prefill_tokens,num_decode_tokens,block_hash_ids\n"
    "40,8,\"[1, 2, 3]\"\n"
    "10,5,\"[]\"\n"
    "64,32,\"[4, 5, 6, 7, 8, 9]\"\n";

static void test_limit_counts_clips_and_cuts_hashes_to_full_blocks(void) {
  cs_trace *t = load(rows3);
  cs_trace_limit_stats st;
  cs_trace_count_overlong(t, 32, &st);
  CS_ASSERT_INT_EQ(st.overlong, 2);
  CS_ASSERT_INT_EQ(st.first_row, 1);
  CS_ASSERT_INT_EQ(st.longest, 96);
  cs_trace *c = NULL;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_trace_limit(t, 32, CS_OVERLONG_CLIP, &c, &err), 0);
  CS_ASSERT_INT_EQ(c->n, 3);
  /* diff 16: P 40 - ceil(13.3) = 26, D 8 - ceil(2.7) = 5: 31 tokens = 1 full 16-token block */
  CS_ASSERT_INT_EQ(c->rows[0].prefill, 26);
  CS_ASSERT_INT_EQ(c->rows[0].decode, 5);
  CS_ASSERT_INT_EQ(c->rows[0].hash_n, 1);
  CS_ASSERT_INT_EQ(c->rows[1].prefill, 10);
  CS_ASSERT_INT_EQ(c->rows[2].prefill + c->rows[2].decode, 31); /* 21 + 10 */
  CS_ASSERT_INT_EQ(c->rows[2].hash_n, 1);
  CS_ASSERT_INT_EQ(c->hashes[c->rows[2].hash_off], 4); /* the prompt prefix keeps its ids */
  CS_ASSERT_INT_LE(c->max_total_tokens, 32);
  cs_trace_free(c);
  CS_ASSERT_INT_EQ(cs_trace_limit(t, 32, CS_OVERLONG_DROP, &c, &err), 0);
  CS_ASSERT_INT_EQ(c->n, 1);
  CS_ASSERT_INT_EQ(c->rows[0].prefill, 10);
  cs_trace_free(c);
  CS_ASSERT_INT_EQ(cs_trace_limit(t, 32, CS_OVERLONG_ERROR, &c, &err), CS_ERANGE);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "row 1: prefill 40 + decode 8 = 48 tokens exceeds the limit 32 (2 of 3 rows"));
  CS_ASSERT_INT_EQ(cs_trace_limit(t, 8, CS_OVERLONG_DROP, &c, &err), CS_ERANGE);
  cs_trace_free(t);
}

static void test_overlong_policy_names_parse_with_suggestion(void) {
  cs_overlong p;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_overlong_parse("drop", &p, &err), 0);
  CS_ASSERT_INT_EQ(p, CS_OVERLONG_DROP);
  CS_ASSERT_INT_EQ(cs_overlong_parse("clipp", &p, &err), CS_EUNKNOWN);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "did you mean 'clip'"));
}

static const cs_test_case cases[] = {
    {"test_clip_follows_vidur_v0_proportional_rule", test_clip_follows_vidur_v0_proportional_rule},
    {"test_limit_counts_clips_and_cuts_hashes_to_full_blocks", test_limit_counts_clips_and_cuts_hashes_to_full_blocks},
    {"test_overlong_policy_names_parse_with_suggestion", test_overlong_policy_names_parse_with_suggestion},
    {NULL, NULL}};

int main(void) { return cs_test_run("trace_limit", cases); }
