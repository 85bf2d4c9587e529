/* trace: Mooncake JSONL reader: the JSON line parser, 512 -> 16-token hash expansion,
 * prefix-chain sessions, and errors on malformed lines. */
#include <stdlib.h>

#include "capsearch/trace.h"
#include "cs_test.h"

static char dir[512];

static const char *tmpfile_with(const char *name, const char *text) {
  static char path[1024];
  if (!dir[0]) cs_test_tmpdir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/%s", dir, name);
  if (cs_test_write(path, text)) CS__FAIL_MSG("cannot write %s", path);
  return path;
}

static const char *load_fails(const char *text, int code) {
  static cs_err err;
  cs_trace *t = NULL;
  cs_err_clear(&err);
  int rc = cs_trace_load(tmpfile_with("bad.jsonl", text), NULL, &t, &err);
  CS_ASSERT_INT_EQ(rc, code);
  cs_trace_free(t);
  return err.msg;
}

/* Row i's block hashes, expanded from the trace's compact form. */
static void expand(const cs_trace *t, size_t i, uint64_t *out, uint32_t cap) {
  cs_block_hashes h = cs_trace_row_hashes(t, &t->rows[i], t->rows[i].hash_n);
  CS_ASSERT_TRUE(h.n <= cap);
  for (uint32_t k = 0; k < h.n && k < cap; k++) out[k] = cs_block_hash(&h, k);
}

static void test_hash_ids_expand_to_16_token_blocks_with_fresh_tail_and_output_ids(void) {
  /* P = 1000, D = 100: 62 full prompt blocks (2 Mooncake blocks: 32 + 30), 68 blocks in all */
  const char *p = tmpfile_with("a.jsonl", "{\"timestamp\": 1500, \"input_length\": 1000, \"output_length\": 100, "
                                          "\"hash_ids\": [5, 9]}\n"
                                          "{\"timestamp\": 2500, \"input_length\": 528, \"output_length\": 30, "
                                          "\"hash_ids\": [5, 3]}\n");
  cs_err err = {0};
  cs_trace *t = NULL;
  CS_ASSERT_OK(cs_trace_load(p, NULL, &t, &err), &err);
  if (!t) return;
  CS_ASSERT_INT_EQ(t->format, CS_TRACE_MOONCAKE_JSONL);
  CS_ASSERT_TRUE(t->has_arrivals && t->has_hashes && t->has_sessions);
  CS_ASSERT_DBL_EQ(t->rows[0].arrived_at, 1.5);
  CS_ASSERT_DBL_EQ(t->rows[1].arrived_at, 2.5);
  const cs_trace_row *r = &t->rows[0];
  CS_ASSERT_INT_EQ(r->hash_n, 68);
  uint64_t h[68], h2[558 / 16];
  expand(t, 0, h, 68);
  for (int k = 0; k < 32; k++) CS_ASSERT_INT_EQ(h[k], 5 * 32 + k);
  for (int k = 0; k < 30; k++) CS_ASSERT_INT_EQ(h[32 + k], 9 * 32 + k);
  /* fresh ids: above every expanded id (max id 9 -> 320), distinct */
  for (int k = 62; k < 68; k++) {
    CS_ASSERT_TRUE(h[k] >= 320);
    for (int m = 62; m < k; m++) CS_ASSERT_TRUE(h[k] != h[m]);
  }
  /* second row shares the first 512-token block (same ids) and has its own fresh ids */
  const cs_trace_row *r2 = &t->rows[1];
  expand(t, 1, h2, 558 / 16);
  CS_ASSERT_INT_EQ(r2->hash_n, 558 / 16);
  for (int k = 0; k < 32; k++) CS_ASSERT_INT_EQ(h2[k], h[k]);
  CS_ASSERT_INT_EQ(h2[32], 3 * 32); /* 528 prompt tokens: the 33rd 16-token block is full */
  for (uint32_t k = 0; k < r2->hash_n; k++) CS_ASSERT_TRUE(k < 33 || h2[k] >= 320);
  for (uint32_t k = 33; k < r2->hash_n; k++)
    for (int m = 62; m < 68; m++) CS_ASSERT_TRUE(h2[k] != h[m]);
  cs_trace_free(t);
}

/* hash_ids[i] names prompt tokens [512 i, 512 (i + 1)): ids past the prompt are ignored (they
 * neither share blocks nor move the fresh-id base), missing ones leave fresh blocks, and the
 * trace says how many rows disagreed, once. */
static void test_hash_ids_count_mismatch_follows_mooncake_and_is_counted(void) {
  const char *p = tmpfile_with("m.jsonl", "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 16, "
                                          "\"hash_ids\": [1, 2, 50]}\n"
                                          "{\"timestamp\": 1, \"input_length\": 1100, \"output_length\": 16, "
                                          "\"hash_ids\": [1]}\n"
                                          "{\"timestamp\": 2, \"input_length\": 512, \"output_length\": 16, "
                                          "\"hash_ids\": [2]}\n");
  cs_err err = {0};
  cs_trace *t = NULL;
  CS_ASSERT_OK(cs_trace_load(p, NULL, &t, &err), &err);
  if (!t) return;
  CS_ASSERT_INT_EQ(t->hash_mismatch_rows, 2);
  CS_ASSERT_INT_EQ(t->hash_mismatch_line, 1);
  uint64_t a[38], b[1116 / 16];
  expand(t, 0, a, 38);
  expand(t, 1, b, 1116 / 16);
  CS_ASSERT_INT_EQ(a[32], 2 * 32);           /* the second block is id 2 */
  CS_ASSERT_INT_EQ(t->rows[0].hash_n, 38);   /* 616 tokens */
  CS_ASSERT_INT_EQ(a[37], 3 * 32);           /* the first fresh id sits above id 2, not above 50 */
  CS_ASSERT_INT_EQ(b[0], 1 * 32);
  CS_ASSERT_TRUE(b[32] >= 3 * 32);           /* blocks 2 and 3 have no id: fresh, never shared */
  char w[512];
  CS_ASSERT_TRUE(cs_trace_warning(t, w, sizeof w));
  CS_ASSERT_STR_CONTAINS(w, "2 of 3 rows have a hash_ids count other than ceil(input_length / 512) (first: line 1)");
  cs_trace_free(t);
}

static void test_block_size_32_expands_each_id_into_16_sub_ids(void) {
  const char *p = tmpfile_with("b.jsonl", "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 8, "
                                          "\"hash_ids\": [2, 7]}\n");
  cs_trace_opts o = {CS_TRACE_AUTO, 32, 0};
  cs_err err = {0};
  cs_trace *t = NULL;
  CS_ASSERT_OK(cs_trace_load(p, &o, &t, &err), &err);
  if (!t) return;
  CS_ASSERT_INT_EQ(t->block_size, 32);
  CS_ASSERT_INT_EQ(t->rows[0].hash_n, 19); /* 608 / 32 */
  uint64_t h[19];
  expand(t, 0, h, 19);
  CS_ASSERT_INT_EQ(h[15], 2 * 16 + 15);
  CS_ASSERT_INT_EQ(h[16], 7 * 16);
  CS_ASSERT_INT_EQ(h[17], 7 * 16 + 1);  /* 18 full prompt blocks (576 tokens) */
  CS_ASSERT_TRUE(h[18] >= 8 * 16);     /* the block holding 600..607 is fresh */
  cs_trace_free(t);
  o.block_size = 24; /* does not divide 512 */
  CS_ASSERT_INT_EQ(cs_trace_load(p, &o, &t, &err), CS_EINVAL);
  CS_ASSERT_STR_CONTAINS(err.msg, "must divide");
}

static void test_sessions_follow_shared_prefix_chains_of_two_blocks(void) {
  const char *p = tmpfile_with("s.jsonl",
                               /* 0: new session 0 */
                               "{\"timestamp\": 0, \"input_length\": 1500, \"output_length\": 5, \"hash_ids\": [0, 1, 2]}\n"
                               /* 1: shares only the system block 0 -> new session 1 */
                               "{\"timestamp\": 1, \"input_length\": 1500, \"output_length\": 5, \"hash_ids\": [0, 4, 5]}\n"
                               /* 2: extends row 0's chain [0, 1] -> session 0 */
                               "{\"timestamp\": 2, \"input_length\": 2000, \"output_length\": 5, \"hash_ids\": [0, 1, 6, 7]}\n"
                               /* 3: extends row 1 by three blocks -> session 1 */
                               "\n"
                               "{\"timestamp\": 3, \"input_length\": 2000, \"output_length\": 5, \"hash_ids\": [0, 4, 5, 8]}\n"
                               /* 4: nothing shared -> session 2 */
                               "{\"timestamp\": 4, \"input_length\": 100, \"output_length\": 5, \"hash_ids\": [9]}\n");
  cs_err err = {0};
  cs_trace *t = NULL;
  CS_ASSERT_OK(cs_trace_load(p, NULL, &t, &err), &err);
  if (!t) return;
  CS_ASSERT_INT_EQ(t->n, 5);
  CS_ASSERT_INT_EQ(t->rows[0].session_id, 0);
  CS_ASSERT_INT_EQ(t->rows[1].session_id, 1);
  CS_ASSERT_INT_EQ(t->rows[2].session_id, 0);
  CS_ASSERT_INT_EQ(t->rows[3].session_id, 1);
  CS_ASSERT_INT_EQ(t->rows[4].session_id, 2);
  cs_trace_free(t);
}

static void test_unknown_keys_with_nested_values_are_skipped(void) {
  const char *p = tmpfile_with("u.jsonl", "{\"meta\": {\"a\": [1, {\"b\": null}], \"s\": \"x\\\"y\\u00e9\"}, \"timestamp\": 10.5, "
                                          "\"input_length\": 32, \"output_length\": 1, \"ok\": true, \"hash_ids\": []}\r\n");
  cs_err err = {0};
  cs_trace *t = NULL;
  CS_ASSERT_OK(cs_trace_load(p, NULL, &t, &err), &err);
  if (!t) return;
  CS_ASSERT_INT_EQ(t->rows[0].prefill, 32);
  CS_ASSERT_INT_EQ(t->rows[0].hash_n, 2); /* 33 tokens = 2 blocks, both fresh (no Mooncake ids) */
  CS_ASSERT_DBL_EQ(t->rows[0].arrived_at, 0.0105);
  cs_trace_free(t);
}

static void test_malformed_lines_report_line_column_and_expectation(void) {
  char buf[1024];
  const char *fx = cs_test_source("tests/data/trace/malformed_line.jsonl", buf, sizeof buf);
  cs_err err = {0};
  cs_trace *t = NULL;
  CS_ASSERT_INT_EQ(cs_trace_load(fx, NULL, &t, &err), CS_EPARSE);
  CS_ASSERT_STR_CONTAINS(err.msg, "malformed_line.jsonl:2:");
  CS_ASSERT_STR_CONTAINS(err.msg, "expected ',' or ']'");
  const char *good = "{\"timestamp\": 0, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [0]}\n";
  char text[512];
  snprintf(text, sizeof text, "%s{\"timestamp\": 0, \"input_length\": 10 \"output_length\": 1}\n", good);
  CS_ASSERT_STR_CONTAINS(load_fails(text, CS_EPARSE), "bad.jsonl:2:37: malformed JSON line: expected ',' or '}', got '\"'");
  snprintf(text, sizeof text, "%s{\"timestamp\": 0, \"input_length\": 10, \"output_length\": 1}\n", good);
  CS_ASSERT_STR_CONTAINS(load_fails(text, CS_EPARSE), "bad.jsonl:2: missing key 'hash_ids'");
  CS_ASSERT_STR_CONTAINS(load_fails("{\"timestamp\": 0, \"input_length\": -3, \"output_length\": 1, \"hash_ids\": [0]}\n",
                                    CS_ERANGE),
                         "bad.jsonl:1:34: key 'input_length': expected a whole number from 1 to 16777216, got -3");
  CS_ASSERT_STR_CONTAINS(load_fails("{\"timestamp\": 0, \"input_length\": 3, \"output_length\": 1.5, \"hash_ids\": [0]}\n",
                                    CS_EPARSE),
                         "key 'output_length'");
  CS_ASSERT_STR_CONTAINS(load_fails("{\"timestamp\": 0, \"input_length\": 3, \"output_length\": 1, \"hash_ids\": [\"a\"]}\n",
                                    CS_EPARSE),
                         "expected a number");
  CS_ASSERT_STR_CONTAINS(load_fails("{\"timestamp\": 0, \"input_length\": 3, \"output_length\": 1, \"hash_ids\": [1]} x\n",
                                    CS_EPARSE),
                         "expected end of line after the object");
  CS_ASSERT_STR_CONTAINS(load_fails("{\"timestamp: 0}\n", CS_EPARSE), "expected a closing '\"'");
  CS_ASSERT_STR_CONTAINS(load_fails("[1, 2]\n", CS_EPARSE), "bad.jsonl:1:1: malformed JSON line: expected '{'");
  /* a repeated key (which one would count?) is refused where it is, as the YAML reader does */
  CS_ASSERT_STR_CONTAINS(load_fails("{\"timestamp\": 5, \"input_length\": 100, \"output_length\": 10, \"hash_ids\": [1], "
                                    "\"hash_ids\": [2]}\n",
                                    CS_EPARSE),
                         "bad.jsonl:1:77: duplicate key 'hash_ids' in the JSON object");
  CS_ASSERT_STR_CONTAINS(load_fails("{\"x\": 1, \"timestamp\": 5, \"input_length\": 100, \"output_length\": 10, \"hash_ids\": [1], "
                                    "\"x\": 2}\n",
                                    CS_EPARSE),
                         "duplicate key 'x'");
  CS_ASSERT_STR_CONTAINS(load_fails("{\"timestamp\": 0, \"input_length\": 3, \"output_length\": 1, \"hash_ids\": [1], \"x\": tru}\n",
                                    CS_EPARSE),
                         "expected a JSON value");
  CS_ASSERT_STR_CONTAINS(load_fails("{\"timestamp\": 01, \"input_length\": 3, \"output_length\": 1, \"hash_ids\": [1]}\n",
                                    CS_EPARSE),
                         "1:16");
  CS_ASSERT_STR_CONTAINS(load_fails("\n\n", CS_EPARSE), "no requests");
  CS_ASSERT_STR_CONTAINS(load_fails("{\"timestamp\": -1, \"input_length\": 3, \"output_length\": 1, \"hash_ids\": [1]}\n",
                                    CS_ERANGE),
                         "bad.jsonl:1:15: key 'timestamp': expected a non-negative time in ms, got -1");
  char zbuf[1024];
  const char *z = cs_test_source("tests/data/trace/zero_input.jsonl", zbuf, sizeof zbuf);
  CS_ASSERT_INT_EQ(cs_trace_load(z, NULL, &t, &err), CS_ERANGE);
  CS_ASSERT_STR_CONTAINS(err.msg, "zero_input.jsonl:1:");
  CS_ASSERT_STR_CONTAINS(err.msg, "'input_length'");
}

static void test_every_truncation_and_byte_flip_of_a_line_fails_cleanly(void) {
  /* each prefix of a valid line, and the line with each byte replaced by a stray character, must
   * load or fail with a message naming the line: never crash or read past the buffer (ASan) */
  const char *line = "{\"timestamp\": 12.5, \"input_length\": 40, \"output_length\": 3, \"hash_ids\": [1, 22], "
                     "\"x\": {\"y\": [true, null, \"s\\u0041\"]}}";
  size_t n = strlen(line);
  char buf[256];
  int ok = 0, failed = 0;
  for (size_t cut = 0; cut <= n; cut++) {
    memcpy(buf, line, cut);
    buf[cut] = '\0';
    cs_err err = {0};
    cs_trace *t = NULL;
    int rc = cs_trace_load(tmpfile_with("cut.jsonl", buf), NULL, &t, &err);
    if (rc == 0) ok++;
    else if (strstr(err.msg, "cut.jsonl")) failed++;
    else CS__FAIL_MSG("cut %zu: unexpected message %s", cut, err.msg);
    cs_trace_free(t);
  }
  CS_ASSERT_INT_EQ(ok, 1); /* only the whole line is valid */
  CS_ASSERT_INT_EQ(failed, (int)n);
  const char stray[] = {'"', ',', ']', '}', '{', '[', '\\', '-', 'x', '\t'};
  for (size_t i = 0; i < n; i++) {
    memcpy(buf, line, n + 1);
    buf[i] = stray[i % sizeof stray];
    cs_err err = {0};
    cs_trace *t = NULL;
    int rc = cs_trace_load(tmpfile_with("flip.jsonl", buf), NULL, &t, &err);
    if (rc) CS_ASSERT_STR_CONTAINS(err.msg, "flip.jsonl:1");
    cs_trace_free(t);
  }
}

static void test_shared_mooncake_conversation_trace_converts_consistently(void) {
  char buf[1024];
  const char *p = cs_test_shared("traces/mooncake_conversation_trace.jsonl", buf, sizeof buf);
  if (!p) return;
  cs_err err = {0};
  cs_trace *t = NULL;
  CS_ASSERT_OK(cs_trace_load(p, NULL, &t, &err), &err);
  if (!t) return;
  CS_ASSERT_INT_EQ(t->n, 12031);
  CS_ASSERT_INT_EQ(t->max_total_tokens, 126527); /* fits the seed sweep's max_seq_len 131072 */
  size_t bad = 0;
  for (size_t i = 0; i < t->n; i++)
    bad += t->rows[i].hash_n != (uint32_t)((t->rows[i].prefill + t->rows[i].decode) / 16);
  CS_ASSERT_INT_EQ(bad, 0);
  cs_trace_stats st;
  cs_trace_stats_compute(t, &st);
  /* every request shares block 0; conversations are the chains sharing >= 2 blocks */
  CS_ASSERT_INT_EQ(st.sessions, 7373);
  CS_ASSERT_TRUE(st.prefix_reuse > 0.2 && st.prefix_reuse < 0.9);
  CS_ASSERT_DBL_NEAR(st.prefill.mean, 12035, 1.0);
  CS_ASSERT_TRUE(st.arrivals_sorted);
  cs_trace_free(t);
}

static void test_hash_coverage_counts_prompt_blocks_with_ids_not_rows(void) {
  /* 64 + 64 + 68 + 0 full prompt blocks; the second row names 32 of its 64 (one 512-token id of
   * two), the fourth is shorter than a block; output blocks never count */
  const char *p = tmpfile_with("short.jsonl", "{\"timestamp\": 0, \"input_length\": 1024, \"output_length\": 10, \"hash_ids\": [1, 2]}\n"
                                              "{\"timestamp\": 1, \"input_length\": 1024, \"output_length\": 10, \"hash_ids\": [1]}\n"
                                              "{\"timestamp\": 2, \"input_length\": 1100, \"output_length\": 10, \"hash_ids\": [1, 2, 3]}\n"
                                              "{\"timestamp\": 3, \"input_length\": 8, \"output_length\": 10, \"hash_ids\": [7]}\n");
  cs_err err = {0};
  cs_trace *t = NULL;
  CS_ASSERT_OK(cs_trace_load(p, NULL, &t, &err), &err);
  if (!t) return;
  cs_trace_stats st;
  cs_trace_stats_compute(t, &st);
  CS_ASSERT_INT_EQ(st.prompt_blocks, 196);
  CS_ASSERT_INT_EQ(st.hash_blocks, 164);
  CS_ASSERT_INT_EQ(st.hash_short_rows, 1);
  CS_ASSERT_DBL_EQ(st.hash_coverage, 164.0 / 196.0);
  cs_trace_free(t);
}

static const cs_test_case cases[] = {
    {"test_hash_coverage_counts_prompt_blocks_with_ids_not_rows", test_hash_coverage_counts_prompt_blocks_with_ids_not_rows},
    {"test_hash_ids_count_mismatch_follows_mooncake_and_is_counted", test_hash_ids_count_mismatch_follows_mooncake_and_is_counted},
    {"test_hash_ids_expand_to_16_token_blocks_with_fresh_tail_and_output_ids",
     test_hash_ids_expand_to_16_token_blocks_with_fresh_tail_and_output_ids},
    {"test_block_size_32_expands_each_id_into_16_sub_ids", test_block_size_32_expands_each_id_into_16_sub_ids},
    {"test_sessions_follow_shared_prefix_chains_of_two_blocks", test_sessions_follow_shared_prefix_chains_of_two_blocks},
    {"test_unknown_keys_with_nested_values_are_skipped", test_unknown_keys_with_nested_values_are_skipped},
    {"test_malformed_lines_report_line_column_and_expectation",
     test_malformed_lines_report_line_column_and_expectation},
    {"test_every_truncation_and_byte_flip_of_a_line_fails_cleanly",
     test_every_truncation_and_byte_flip_of_a_line_fails_cleanly},
    {"test_shared_mooncake_conversation_trace_converts_consistently",
     test_shared_mooncake_conversation_trace_converts_consistently},
    {NULL, NULL}};

int main(void) { return cs_test_run("trace_mooncake", cases); }
