/* trace: Vidur CSV and Azure CSV readers, gzip, writer round trip, bad-input errors. */
#include <stdlib.h>
#include <unistd.h>

#include "capsearch/trace.h"
#include "cs_test.h"
#include "util/fs.h"

static char dir[512];

static const char *tmpfile_with(const char *name, const char *text) {
  static char path[1024];
  if (!dir[0]) cs_test_tmpdir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/%s", dir, name);
  if (cs_test_write(path, text)) CS__FAIL_MSG("cannot write %s", path);
  return path;
}

static const char *fixture(const char *name) {
  static char buf[1024];
  char rel[256];
  snprintf(rel, sizeof rel, "tests/data/trace/%s", name);
  return cs_test_source(rel, buf, sizeof buf);
}

/* Loads and expects failure; returns the message. */
static const char *load_fails(const char *path, int code) {
  static cs_err err;
  cs_trace *t = NULL;
  cs_err_clear(&err);
  int rc = cs_trace_load(path, NULL, &t, &err);
  CS_ASSERT_INT_EQ(rc, code);
  CS_ASSERT_TRUE(t == NULL);
  cs_trace_free(t);
  return err.msg;
}

static void test_vidur_csv_reads_hashes_sessions_and_ignores_extra_columns(void) {
  const char *p = tmpfile_with("v.csv",
                               "arrived_at,num_prefill_tokens,num_decode_tokens,num_total_tokens,block_hash_ids,"
                               "block_size,session_id,pd_ratio\n"
                               "0.0,20,13,33,\"[7, 8]\",16,3,1.5\n"
                               "1.25,40,8,48,\"[7, 8, 9]\",16,,5\n"
                               "2.5,10,5,15,\"[]\",16,4,2\n");
  cs_err err = {0};
  cs_trace *t = NULL;
  CS_ASSERT_OK(cs_trace_load(p, NULL, &t, &err), &err);
  if (!t) return;
  CS_ASSERT_INT_EQ(t->format, CS_TRACE_VIDUR_CSV);
  CS_ASSERT_INT_EQ(t->n, 3);
  CS_ASSERT_TRUE(t->has_arrivals && t->has_hashes && t->has_sessions);
  CS_ASSERT_INT_EQ(t->block_size, 16);
  CS_ASSERT_DBL_EQ(t->rows[1].arrived_at, 1.25);
  CS_ASSERT_INT_EQ(t->rows[1].prefill, 40);
  CS_ASSERT_INT_EQ(t->rows[1].decode, 8);
  CS_ASSERT_INT_EQ(t->rows[0].session_id, 3);
  CS_ASSERT_INT_EQ(t->rows[1].session_id, -1); /* empty session id = none */
  CS_ASSERT_INT_EQ(t->rows[1].hash_n, 3);
  CS_ASSERT_INT_EQ(t->hashes[t->rows[1].hash_off + 2], 9);
  CS_ASSERT_INT_EQ(t->rows[2].hash_n, 0);
  CS_ASSERT_INT_EQ(t->max_total_tokens, 48);
  cs_trace_free(t);
}

static void test_vidur_csv_without_arrivals_has_nan_arrivals(void) {
  const char *p = tmpfile_with("lengths.csv", "num_prefill_tokens,num_decode_tokens,num_total_tokens,pd_ratio\n"
                                              "3772,54,3826,69.85\n2015,156,2171,12.9\n");
  cs_err err = {0};
  cs_trace *t = NULL;
  CS_ASSERT_OK(cs_trace_load(p, NULL, &t, &err), &err);
  if (!t) return;
  CS_ASSERT_TRUE(!t->has_arrivals && !t->has_hashes && !t->has_sessions);
  CS_ASSERT_TRUE(isnan(t->rows[0].arrived_at));
  CS_ASSERT_INT_EQ(t->rows[1].prefill, 2015);
  cs_trace_free(t);
}

static void test_missing_column_names_file_column_and_suggestion(void) {
  const char *msg = load_fails(fixture("missing_column.csv"), CS_EPARSE);
  CS_ASSERT_STR_CONTAINS(msg, "missing_column.csv:1: missing column 'num_decode_tokens'");
  CS_ASSERT_STR_CONTAINS(msg, "did you mean 'num_decode_token'");
}

static void test_negative_length_names_line_and_column(void) {
  const char *msg = load_fails(fixture("negative_prefill.csv"), CS_ERANGE);
  CS_ASSERT_STR_CONTAINS(msg, "negative_prefill.csv:3: column 'num_prefill_tokens'");
  CS_ASSERT_STR_CONTAINS(msg, "from 1 to");
}

static void test_zero_decode_is_rejected(void) {
  const char *p = tmpfile_with("zero.csv", "num_prefill_tokens,num_decode_tokens\n10,1\n10,0\n");
  const char *msg = load_fails(p, CS_ERANGE);
  CS_ASSERT_STR_CONTAINS(msg, "zero.csv:3: column 'num_decode_tokens'");
}

static void test_non_numeric_field_names_line_column_and_value(void) {
  const char *msg = load_fails(fixture("non_numeric.csv"), CS_EPARSE);
  CS_ASSERT_STR_CONTAINS(msg, "non_numeric.csv:3: column 'num_decode_tokens': expected a whole number");
  CS_ASSERT_STR_CONTAINS(msg, "'abc'");
  const char *p = tmpfile_with("frac.csv", "num_prefill_tokens,num_decode_tokens\n10.5,3\n");
  CS_ASSERT_STR_CONTAINS(load_fails(p, CS_EPARSE), "frac.csv:2: column 'num_prefill_tokens'");
}

static void test_integral_decimals_are_accepted_as_token_counts(void) {
  const char *p = tmpfile_with("dec.csv", "num_prefill_tokens,num_decode_tokens\n374.0,4.4e1\n");
  cs_err err = {0};
  cs_trace *t = NULL;
  CS_ASSERT_OK(cs_trace_load(p, NULL, &t, &err), &err);
  if (t) CS_ASSERT_INT_EQ(t->rows[0].decode, 44);
  cs_trace_free(t);
}

static void test_hash_count_must_cover_full_blocks_of_prompt_and_output(void) {
  /* 20 + 13 = 33 tokens = 2 full blocks of 16: three ids is one too many */
  const char *p = tmpfile_with("hc.csv", "num_prefill_tokens,num_decode_tokens,block_hash_ids,block_size\n"
                                         "20,13,\"[1, 2, 3]\",16\n");
  const char *msg = load_fails(p, CS_EPARSE);
  CS_ASSERT_STR_CONTAINS(msg, "hc.csv:2: column 'block_hash_ids': 3 ids for 33 tokens");
  CS_ASSERT_STR_CONTAINS(load_fails(fixture("bad_hash_list.csv"), CS_EPARSE), "bad_hash_list.csv:3: column 'block_hash_ids'");
  const char *q = tmpfile_with("bs.csv", "num_prefill_tokens,num_decode_tokens,block_hash_ids,block_size\n"
                                         "20,13,\"[1, 2]\",16\n64,0,\"[1]\",32\n");
  CS_ASSERT_STR_CONTAINS(load_fails(q, CS_ERANGE), "bs.csv:3");
  const char *r = tmpfile_with("bs2.csv", "num_prefill_tokens,num_decode_tokens,block_hash_ids,block_size\n"
                                          "20,13,\"[1, 2]\",16\n63,1,\"[1, 2]\",32\n");
  CS_ASSERT_STR_CONTAINS(load_fails(r, CS_EPARSE), "bs2.csv:3: column 'block_size': 32 differs from 16");
}

static void test_field_count_and_quoting_errors_name_the_line(void) {
  const char *p = tmpfile_with("fc.csv", "num_prefill_tokens,num_decode_tokens\n1,2\n3,4,5\n");
  CS_ASSERT_STR_CONTAINS(load_fails(p, CS_EPARSE), "fc.csv:3: expected 2 fields");
  const char *q = tmpfile_with("q.csv", "num_prefill_tokens,num_decode_tokens,block_hash_ids\n16,16,\"[1, 2]\n");
  CS_ASSERT_STR_CONTAINS(load_fails(q, CS_EPARSE), "q.csv:2: malformed CSV");
  const char *e = tmpfile_with("empty.csv", "num_prefill_tokens,num_decode_tokens\n");
  CS_ASSERT_STR_CONTAINS(load_fails(e, CS_EPARSE), "no requests");
}

static void test_crlf_bom_blank_lines_and_multiline_quotes_keep_line_numbers(void) {
  const char *p = tmpfile_with("crlf.csv", "\xEF\xBB\xBFnum_prefill_tokens,num_decode_tokens,block_hash_ids\r\n"
                                           "16,16,\"[1,\n 2]\"\r\n"
                                           "\r\n"
                                           " 32 , 1 ,\"[3, 4]\"\r\n"
                                           "5,0,\"[]\"\r\n");
  cs_err err = {0};
  cs_trace *t = NULL;
  CS_ASSERT_INT_EQ(cs_trace_load(p, NULL, &t, &err), CS_ERANGE);
  /* header line 1, a record spanning lines 2-3, a blank line 4, line 5, the bad row on line 6 */
  CS_ASSERT_STR_CONTAINS(err.msg, "crlf.csv:6: column 'num_decode_tokens'");
  cs_trace_opts o = {CS_TRACE_AUTO, 16, 2};
  CS_ASSERT_OK(cs_trace_load(p, &o, &t, &err), &err);
  if (!t) return;
  CS_ASSERT_INT_EQ(t->n, 2);
  CS_ASSERT_INT_EQ(t->rows[1].prefill, 32);
  CS_ASSERT_INT_EQ(t->hashes[t->rows[0].hash_off + 1], 2);
  cs_trace_free(t);
}

static void test_every_truncation_of_a_hashed_row_fails_cleanly(void) {
  const char *text = "arrived_at,num_prefill_tokens,num_decode_tokens,block_hash_ids,block_size,session_id\n"
                     "0.5,20,13,\"[7, 8]\",16,3\n";
  size_t n = strlen(text), hdr = (size_t)(strchr(text, '\n') - text) + 1;
  char buf[256];
  for (size_t cut = hdr; cut <= n; cut++) {
    memcpy(buf, text, cut);
    buf[cut] = '\0';
    cs_err err = {0};
    cs_trace *t = NULL;
    int rc = cs_trace_load(tmpfile_with("cut.csv", buf), NULL, &t, &err);
    if (rc) CS_ASSERT_STR_CONTAINS(err.msg, "cut.csv");
    /* a cut row that still parses must still be internally consistent */
    if (!rc) CS_ASSERT_INT_EQ(t->rows[0].hash_n, (t->rows[0].prefill + t->rows[0].decode) / 16);
    cs_trace_free(t);
  }
}

static void test_gzip_trace_loads_like_plain_and_truncated_gzip_fails(void) {
  const char *text = "arrived_at,num_prefill_tokens,num_decode_tokens\n0.0,374,44\n4.314579,396,109\n";
  char gz[1024];
  if (!dir[0]) cs_test_tmpdir(dir, sizeof dir);
  snprintf(gz, sizeof gz, "%s/t.csv.gz", dir);
  cs_err err = {0};
  CS_ASSERT_OK(cs__write_file_atomic(gz, text, strlen(text), true, &err), &err);
  cs_trace *t = NULL;
  CS_ASSERT_OK(cs_trace_load(gz, NULL, &t, &err), &err);
  if (t) {
    CS_ASSERT_INT_EQ(t->n, 2);
    CS_ASSERT_DBL_EQ(t->rows[1].arrived_at, 4.314579);
  }
  cs_trace_free(t);
  char raw[4096]; /* the compressed bytes (cs_test_read would inflate them) */
  FILE *f = fopen(gz, "rb");
  size_t len = f ? fread(raw, 1, sizeof raw, f) : 0;
  if (f) fclose(f);
  CS_ASSERT_TRUE(len > 20);
  if (len <= 20) return;
  char cut[1024];
  snprintf(cut, sizeof cut, "%s/cut.csv.gz", dir);
  f = fopen(cut, "wb");
  fwrite(raw, 1, len - 12, f);
  fclose(f);
  const char *msg = load_fails(cut, CS_EPARSE);
  CS_ASSERT_STR_CONTAINS(msg, "cut.csv.gz: truncated gzip stream");
}

static void test_azure_timestamps_become_seconds_since_first_row(void) {
  const char *p = tmpfile_with("az.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n"
                                         "2023-11-16 23:59:59.6805900,374,44\n"
                                         "2023-11-17 00:00:01.1805900,396,109\n"
                                         "2023-11-17 00:00:01.1805901,10,1\n");
  cs_err err = {0};
  cs_trace *t = NULL;
  CS_ASSERT_OK(cs_trace_load(p, NULL, &t, &err), &err);
  if (!t) return;
  CS_ASSERT_INT_EQ(t->format, CS_TRACE_AZURE_CSV);
  CS_ASSERT_DBL_EQ(t->rows[0].arrived_at, 0.0);
  CS_ASSERT_DBL_NEAR(t->rows[1].arrived_at, 1.5, 1e-12); /* across midnight */
  CS_ASSERT_DBL_NEAR(t->rows[2].arrived_at, 1.5000001, 1e-12);
  CS_ASSERT_INT_EQ(t->rows[1].prefill, 396);
  CS_ASSERT_INT_EQ(t->rows[1].decode, 109);
  cs_trace_free(t);
}

/* The 2024 Azure traces: a UTC offset, and rows whose time has no fractional seconds. */
static void test_azure_2024_timestamps_with_utc_offset_and_no_fraction(void) {
  const char *p = tmpfile_with("az24.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n"
                                           "2024-05-10 00:00:00.009930+00:00,2048,28\n"
                                           "2024-05-10 00:00:01+00:00,1024,10\n"
                                           "2024-05-09 19:00:02.5-05:00,512,5\n");
  cs_err err = {0};
  cs_trace *t = NULL;
  CS_ASSERT_OK(cs_trace_load(p, NULL, &t, &err), &err);
  if (!t) return;
  CS_ASSERT_INT_EQ(t->n, 3);
  CS_ASSERT_DBL_NEAR(t->rows[1].arrived_at, 1.0 - 0.009930, 1e-12);
  CS_ASSERT_DBL_NEAR(t->rows[2].arrived_at, 2.5 - 0.009930, 1e-12); /* 19:00 at -05:00 is 00:00 UTC */
  cs_trace_free(t);
}

static void test_azure_errors_name_line_and_column(void) {
  CS_ASSERT_STR_CONTAINS(load_fails(fixture("azure_zero_context.csv"), CS_ERANGE),
                         "azure_zero_context.csv:3: column 'ContextTokens'");
  const char *p = tmpfile_with("azt.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-13-16 18:15:46,1,1\n");
  CS_ASSERT_STR_CONTAINS(load_fails(p, CS_EPARSE), "azt.csv:2: column 'TIMESTAMP'");
  const char *q = tmpfile_with("azo.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,1,1\n"
                                          "2023-11-16 18:15:45,1,1\n");
  CS_ASSERT_STR_CONTAINS(load_fails(q, CS_EPARSE), "azo.csv:3");
  cs_trace_opts o = {CS_TRACE_AZURE_CSV, 16, 0};
  const char *r = tmpfile_with("azm.csv", "TIMESTAMP,ContextToken,GeneratedTokens\n2023-11-16 18:15:46,1,1\n");
  cs_err err = {0};
  cs_trace *t = NULL;
  CS_ASSERT_INT_EQ(cs_trace_load(r, &o, &t, &err), CS_EPARSE);
  CS_ASSERT_STR_CONTAINS(err.msg, "missing column 'ContextTokens' in the Azure trace header");
}

static void test_max_rows_stops_early(void) {
  const char *p = tmpfile_with("mr.csv", "num_prefill_tokens,num_decode_tokens\n1,1\n2,2\n3,3\n4,x\n");
  cs_trace_opts o = {CS_TRACE_AUTO, 16, 2};
  cs_err err = {0};
  cs_trace *t = NULL;
  CS_ASSERT_OK(cs_trace_load(p, &o, &t, &err), &err);
  if (t) CS_ASSERT_INT_EQ(t->n, 2);
  cs_trace_free(t);
}

static void test_written_csv_reloads_identically_plain_and_gzip(void) {
  const char *p = tmpfile_with("w.csv", "arrived_at,num_prefill_tokens,num_decode_tokens,block_hash_ids,block_size,"
                                        "session_id\n0.1,20,13,\"[7, 8]\",16,3\n1e-07,40,8,\"[7, 8, 9]\",16,5\n");
  cs_err err = {0};
  cs_trace *a = NULL, *b = NULL;
  CS_ASSERT_OK(cs_trace_load(p, NULL, &a, &err), &err);
  if (!a) return;
  for (int gz = 0; gz < 2; gz++) {
    char out[1024];
    snprintf(out, sizeof out, "%s/out%d.csv%s", dir, gz, gz ? ".gz" : "");
    CS_ASSERT_OK(cs_trace_write_vidur_csv(a, out, gz, &err), &err);
    CS_ASSERT_OK(cs_trace_load(out, NULL, &b, &err), &err);
    if (!b) continue;
    CS_ASSERT_INT_EQ(b->n, a->n);
    CS_ASSERT_INT_EQ(b->nhashes, a->nhashes);
    for (size_t i = 0; i < a->n; i++) {
      CS_ASSERT_DBL_EQ(b->rows[i].arrived_at, a->rows[i].arrived_at);
      CS_ASSERT_INT_EQ(b->rows[i].session_id, a->rows[i].session_id);
      CS_ASSERT_INT_EQ(b->rows[i].hash_n, a->rows[i].hash_n);
    }
    for (size_t i = 0; i < a->nhashes; i++) CS_ASSERT_INT_EQ(b->hashes[i], a->hashes[i]);
    if (!gz) {
      char *txt = cs_test_read(out, NULL);
      CS_ASSERT_STR_CONTAINS(txt, "0.1,20,13,\"[7, 8]\",16,3\n");
      free(txt);
    }
    cs_trace_free(b);
    b = NULL;
  }
  cs_trace_free(a);
}

static void test_unknown_format_name_suggests(void) {
  cs_trace_format f;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_trace_format_parse("moncake", &f, &err), CS_EUNKNOWN);
  CS_ASSERT_STR_CONTAINS(err.msg, "did you mean 'mooncake'");
  CS_ASSERT_OK(cs_trace_format_parse("azure", &f, &err), &err);
  CS_ASSERT_INT_EQ(f, CS_TRACE_AZURE_CSV);
}

static void test_shared_splitwise_and_vidur_workload_load(void) {
  char buf[1024];
  const char *p = cs_test_shared("traces/splitwise_conv.csv", buf, sizeof buf);
  if (!p) return;
  cs_err err = {0};
  cs_trace *t = NULL;
  CS_ASSERT_OK(cs_trace_load(p, NULL, &t, &err), &err);
  if (t) {
    CS_ASSERT_INT_EQ(t->n, 19366);
    CS_ASSERT_DBL_EQ(t->rows[1].arrived_at, 4.314579);
    CS_ASSERT_INT_EQ(t->rows[1].prefill, 396);
    CS_ASSERT_INT_EQ(t->rows[1].decode, 109);
  }
  cs_trace_free(t);
  p = cs_test_shared("traces/arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv", buf, sizeof buf);
  if (p) {
    CS_ASSERT_OK(cs_trace_load(p, NULL, &t, &err), &err);
    if (t) CS_ASSERT_TRUE(!t->has_arrivals && t->n > 1000 && t->rows[0].prefill == 3772);
    cs_trace_free(t);
  }
  p = cs_test_shared("vidur-runs/llama2-70b-tp2-a100/sarathi_qps1/workload.csv", buf, sizeof buf);
  if (p) {
    CS_ASSERT_OK(cs_trace_load(p, NULL, &t, &err), &err);
    if (t) CS_ASSERT_TRUE(t->has_arrivals && t->n == 2000 && t->max_total_tokens <= 4096);
    cs_trace_free(t);
  }
}

static const cs_test_case cases[] = {
    {"test_vidur_csv_reads_hashes_sessions_and_ignores_extra_columns",
     test_vidur_csv_reads_hashes_sessions_and_ignores_extra_columns},
    {"test_vidur_csv_without_arrivals_has_nan_arrivals", test_vidur_csv_without_arrivals_has_nan_arrivals},
    {"test_missing_column_names_file_column_and_suggestion", test_missing_column_names_file_column_and_suggestion},
    {"test_negative_length_names_line_and_column", test_negative_length_names_line_and_column},
    {"test_zero_decode_is_rejected", test_zero_decode_is_rejected},
    {"test_non_numeric_field_names_line_column_and_value", test_non_numeric_field_names_line_column_and_value},
    {"test_integral_decimals_are_accepted_as_token_counts", test_integral_decimals_are_accepted_as_token_counts},
    {"test_hash_count_must_cover_full_blocks_of_prompt_and_output",
     test_hash_count_must_cover_full_blocks_of_prompt_and_output},
    {"test_field_count_and_quoting_errors_name_the_line", test_field_count_and_quoting_errors_name_the_line},
    {"test_crlf_bom_blank_lines_and_multiline_quotes_keep_line_numbers",
     test_crlf_bom_blank_lines_and_multiline_quotes_keep_line_numbers},
    {"test_every_truncation_of_a_hashed_row_fails_cleanly", test_every_truncation_of_a_hashed_row_fails_cleanly},
    {"test_gzip_trace_loads_like_plain_and_truncated_gzip_fails",
     test_gzip_trace_loads_like_plain_and_truncated_gzip_fails},
    {"test_azure_timestamps_become_seconds_since_first_row", test_azure_timestamps_become_seconds_since_first_row},
    {"test_azure_errors_name_line_and_column", test_azure_errors_name_line_and_column},
    {"test_azure_2024_timestamps_with_utc_offset_and_no_fraction", test_azure_2024_timestamps_with_utc_offset_and_no_fraction},
    {"test_max_rows_stops_early", test_max_rows_stops_early},
    {"test_written_csv_reloads_identically_plain_and_gzip", test_written_csv_reloads_identically_plain_and_gzip},
    {"test_unknown_format_name_suggests", test_unknown_format_name_suggests},
    {"test_shared_splitwise_and_vidur_workload_load", test_shared_splitwise_and_vidur_workload_load},
    {NULL, NULL}};

int main(void) { return cs_test_run("trace_readers", cases); }
