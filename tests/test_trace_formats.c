/* The trace-format registry (CS_TRACE_FORMATS, src/trace/formats.c): one entry per line, names
 * and --format values derived from it, detection in registry order with one fallback format. */
#include <stdlib.h>

#include "capsearch/trace.h"
#include "cs_test.h"
#include "trace/internal.h"

static void test_every_format_line_has_a_complete_registry_entry(void) {
  const cs_registry *r = cs_trace_formats();
  CS_ASSERT_INT_EQ(cs_registry_count(r), CS_TRACE_FORMAT_COUNT - 1);
  char choices[256] = "auto";
  int fallbacks = 0;
  for (int k = 1; k < CS_TRACE_FORMAT_COUNT; k++) {
    const cs__trace_format *f = cs__trace_format_get((cs_trace_format)k);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CS_ASSERT_TRUE(r->entries[k - 1] == &f->info);
    CS_ASSERT_STR_EQ(cs_trace_format_name((cs_trace_format)k), f->info.name);
    CS_ASSERT_TRUE(f->label && f->label[0] && f->info.summary && f->info.summary[0]);
    CU_ASSERT_PTR_NOT_NULL(f->read);
    fallbacks += f->detect == NULL;
    cs_trace_format back = CS_TRACE_AUTO;
    cs_err err = {0};
    CS_ASSERT_OK(cs_trace_format_parse(f->info.name, &back, &err), &err);
    CS_ASSERT_INT_EQ(back, k);
    snprintf(choices + strlen(choices), sizeof choices - strlen(choices), "|%s", f->info.name);
  }
  CS_ASSERT_INT_EQ(fallbacks, 1); /* exactly one format reads what no detector claims */
  CS_ASSERT_STR_EQ(CS_TRACE_FORMAT_CHOICES, choices);
  CU_ASSERT_PTR_NULL(cs__trace_format_get(CS_TRACE_AUTO));
  CU_ASSERT_PTR_NULL(cs__trace_format_get(CS_TRACE_FORMAT_COUNT));
  CS_ASSERT_STR_EQ(cs_trace_format_name(CS_TRACE_AUTO), "auto");
}

static void test_unknown_format_lists_every_registered_name(void) {
  cs_trace_format f;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_trace_format_parse("parquet", &f, &err), CS_EUNKNOWN);
  CS_ASSERT_STR_CONTAINS(err.msg, "unknown trace format 'parquet'");
  CS_ASSERT_STR_CONTAINS(err.msg, "auto");
  for (int k = 1; k < CS_TRACE_FORMAT_COUNT; k++) CS_ASSERT_STR_CONTAINS(err.msg, cs_trace_format_name((cs_trace_format)k));
  CS_ASSERT_INT_EQ(cs_trace_format_parse("aut", &f, &err), CS_EUNKNOWN);
  CS_ASSERT_STR_CONTAINS(err.msg, "did you mean 'auto'");
}

/* Detection as before the registry: a JSON name or a '{' first -> Mooncake (also ahead of an
 * Azure header); Azure's capitalised columns -> Azure; any other text -> Vidur. */
static void test_detection_follows_registry_order(void) {
  static const struct {
    const char *path, *text;
    cs_trace_format want;
  } cases[] = {
      {"t.jsonl", "arrived_at,num_prefill_tokens\n", CS_TRACE_MOONCAKE_JSONL},
      {"t.json.gz", "", CS_TRACE_MOONCAKE_JSONL},
      {"t.csv", "\xEF\xBB\xBF \n {\"timestamp\": 0}\n", CS_TRACE_MOONCAKE_JSONL},
      {"t.json", "TIMESTAMP,ContextTokens,GeneratedTokens\n", CS_TRACE_MOONCAKE_JSONL},
      {"t.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n1,2,3\n", CS_TRACE_AZURE_CSV},
      {"t.csv", "\xEF\xBB\xBF" "TIMESTAMP,ContextTokens,GeneratedTokens", CS_TRACE_AZURE_CSV},
      {"t.csv", "num_prefill_tokens,num_decode_tokens\n1,2\nContextTokens,GeneratedTokens\n", CS_TRACE_VIDUR_CSV},
      {"t.txt", "", CS_TRACE_VIDUR_CSV},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cs_trace_format got = cs__trace_detect(cases[i].path, cases[i].text);
    if (got != cases[i].want) fprintf(stderr, "case %zu (%s)\n", i, cases[i].path);
    CS_ASSERT_INT_EQ(got, cases[i].want);
  }
}

static const cs_test_case cases[] = {
    {"test_every_format_line_has_a_complete_registry_entry", test_every_format_line_has_a_complete_registry_entry},
    {"test_unknown_format_lists_every_registered_name", test_unknown_format_lists_every_registered_name},
    {"test_detection_follows_registry_order", test_detection_follows_registry_order},
    {NULL, NULL},
};

int main(void) { return cs_test_run("trace_formats", cases); }
