/* Sweep-file parsing: every key of the seed's schema, capsearch's extensions, and clear
 * file:line:col errors for bad sweeps (unknown key with suggestion, wrong type, empty list,
 * a search naming a missing trace or model, an unreadable trace file). */
#include <stdlib.h>

#include "capsearch/sweep.h"
#include "cs_test.h"

static char dir[512];

static const char *base_text(void) {
  return "clusters:\n"
         "  - device: h100\n"
         "    network_device: h100_dgx\n"
         "    gpus_per_node: 8\n"
         "global_schedulers:\n"
         "  - scheduler: round_robin\n"
         "  - scheduler: tolerant_sticky_lop_uncached\n"
         "    tolerance_factor: 2.0\n"
         "request_queues:\n"
         "  - {name: fcfs, provider: fcfs}\n"
         "replica_schedulers:\n"
         "  - scheduler: vllm_v1\n"
         "    chunk_size: 512\n"
         "slo_configs:\n"
         "  - name: both\n"
         "    type: or\n"
         "    quantile: 0.9\n"
         "    slos:\n"
         "      - {metric: prefill_e2e_time, value: 10}\n"
         "      - {metric: decode_time_execution_plus_preemption_normalized, value: 0.1}\n"
         "traces:\n"
         "  - {name: t, trace_file: t.csv, max_seq_len: 4096, enable_prefix_caching: true}\n"
         "batch_sizes: [64, 128]\n"
         "tp_dimensions: [1, 2]\n"
         "pp_dimensions: [1]\n"
         "models:\n"
         "  - {name: m, identifier: meta-llama/Meta-Llama-3-8B, exclude_tp_dims: [2]}\n"
         "search_configs:\n"
         "  - {trace: t, model: m, search_for: qps, num_replicas: 2, qps: 4.50, num_requests: 100}\n";
}

/* Loads `text` as <dir>/s.yml next to a readable t.csv. */
static int load(const char *text, cs_sweep **s, cs_err *err) {
  char path[700];
  snprintf(path, sizeof path, "%s/s.yml", dir);
  cs_test_write(path, text);
  return cs_sweep_load(path, s, err);
}

/* base_text with `from` replaced by `to`. */
static int load_edit(const char *from, const char *to, cs_sweep **s, cs_err *err) {
  const char *b = base_text();
  const char *at = strstr(b, from);
  if (!at) return -100;
  char buf[8192];
  snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - b), b, to, at + strlen(from));
  return load(buf, s, err);
}

static void test_seed_schema_parses_with_every_value(void) {
  cs_sweep *s = NULL;
  cs_err err = {0};
  CS_ASSERT_OK(load(base_text(), &s, &err), &err);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CS_ASSERT_INT_EQ(s->nclusters, 1);
  CS_ASSERT_STR_EQ(s->clusters[0].network_device, "h100_dgx");
  CS_ASSERT_INT_EQ(s->ngsched, 2);
  CS_ASSERT_TRUE(s->gscheds[1].has_tolerance);
  CS_ASSERT_STR_EQ(s->gscheds[1].tolerance_factor.text, "2.0");
  CS_ASSERT_INT_EQ(s->gscheds[1].nparams, 1);
  CS_ASSERT_STR_EQ(s->rscheds[0].chunk_size.text, "512");
  CS_ASSERT_INT_EQ(s->slos[0].type, CS_SLO_OR);
  CS_ASSERT_INT_EQ(s->slos[0].n, 2);
  CS_ASSERT_INT_EQ(s->slos[0].slos[1].metric, CS_RM_TPOT);
  CS_ASSERT_DBL_EQ(s->slos[0].quantile, 0.9);
  CS_ASSERT_TRUE(s->traces[0].enable_prefix_caching);
  CS_ASSERT_STR_CONTAINS(s->traces[0].path, "/t.csv");
  CS_ASSERT_INT_EQ(s->nbatch, 2);
  CS_ASSERT_INT_EQ(s->models[0].nexclude, 1);
  CS_ASSERT_INT_EQ(s->searches[0].search_for, CS_SEARCH_QPS);
  /* Python str(4.50) */
  CS_ASSERT_STR_EQ(s->searches[0].qps.text, "4.5");
  CS_ASSERT_STR_EQ(s->predictor, "roofline");
  CS_ASSERT_INT_EQ(s->seed, 42);
  char *json = cs_sweep_to_json(s);
  CS_ASSERT_STR_CONTAINS(json, "\"tolerance_factor\": 2");
  CS_ASSERT_STR_CONTAINS(json, "\"metric\": \"decode_time_execution_plus_preemption_normalized\"");
  free(json);
  cs_sweep_free(s);
}

static void test_sweep_json_writes_the_seed_unsigned(void) {
  cs_sweep *s = NULL;
  cs_err err = {0};
  CS_ASSERT_OK(load(base_text(), &s, &err), &err);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  s->seed = (UINT64_C(1) << 63) + 1; /* above what the parser takes; the type allows it */
  char *json = cs_sweep_to_json(s);
  CS_ASSERT_STR_CONTAINS(json, "\"seed\": 9223372036854775809");
  free(json);
  cs_sweep_free(s);
}

static void test_extensions_prices_predictor_seed_and_isoqps(void) {
  char text[8192];
  snprintf(text, sizeof text, "%s%s", base_text(),
           "  - {trace: t, model: m, search_for: isoqps, num_replicas: 2, qps: 4, num_requests: 100,"
           " qps_multipliers: [0.5, 1, 2]}\n"
           "prices: {h100: 6.98}\n"
           "predictor: {name: roofline}\n"
           "seed: 7\n");
  cs_sweep *s = NULL;
  cs_err err = {0};
  CS_ASSERT_OK(load(text, &s, &err), &err);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CS_ASSERT_INT_EQ(s->nprices, 1);
  CS_ASSERT_DBL_EQ(s->prices[0].per_gpu_hour, 6.98);
  CS_ASSERT_INT_EQ(s->seed, 7);
  CS_ASSERT_TRUE(s->has_seed);
  CS_ASSERT_INT_EQ(s->searches[1].nmult, 3);
  CS_ASSERT_DBL_EQ(s->searches[1].qps_multipliers[2], 2);
  cs_sweep_free(s);
}

static void test_unknown_key_names_its_place_and_suggests(void) {
  cs_sweep *s = NULL;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(load_edit("    network_device: h100_dgx\n", "    network_devise: h100_dgx\n", &s, &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "s.yml:3:5: unknown key 'network_devise' in clusters[0]");
  CS_ASSERT_STR_CONTAINS(err.msg, "did you mean 'network_device'?");
  CS_ASSERT_INT_EQ(load_edit("batch_sizes:", "batch_size:", &s, &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "did you mean 'batch_sizes'?");
}

static void test_wrong_type_says_what_was_expected(void) {
  cs_sweep *s = NULL;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(load_edit("gpus_per_node: 8", "gpus_per_node: eight", &s, &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "s.yml:4:20: clusters[0].gpus_per_node: expected an integer from 1 to 1024, got 'eight'");
  CS_ASSERT_INT_EQ(load_edit("tp_dimensions: [1, 2]", "tp_dimensions: 1", &s, &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "tp_dimensions: expected a list, got a scalar");
  CS_ASSERT_INT_EQ(load_edit("type: or", "type: xor", &s, &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "expected 'and' or 'or'");
  CS_ASSERT_INT_EQ(load_edit("metric: prefill_e2e_time,", "metric: prefill_e2e_tim,", &s, &err), CS_EUNKNOWN);
  CS_ASSERT_STR_CONTAINS(err.msg, "did you mean 'prefill_e2e_time'?");
  CS_ASSERT_INT_EQ(load_edit("search_for: qps", "search_for: qpss", &s, &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "did you mean 'qps'?");
}

static void test_empty_list_is_refused(void) {
  cs_sweep *s = NULL;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(load_edit("batch_sizes: [64, 128]", "batch_sizes: []", &s, &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "batch_sizes: empty list");
  CS_ASSERT_INT_EQ(load_edit("request_queues:\n  - {name: fcfs, provider: fcfs}\n", "request_queues: []\n", &s, &err),
                   CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "request_queues: empty list");
}

static void test_search_naming_a_missing_trace_or_model_is_refused(void) {
  cs_sweep *s = NULL;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(load_edit("{trace: t, model: m,", "{trace: tt, model: m,", &s, &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "search_configs[0].trace: no trace named 'tt'");
  CS_ASSERT_STR_CONTAINS(err.msg, "did you mean 't'?");
  CS_ASSERT_INT_EQ(load_edit("{trace: t, model: m,", "{trace: t, model: llama,", &s, &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "no model named 'llama'");
}

static void test_unreadable_trace_file_is_refused_with_its_path(void) {
  cs_sweep *s = NULL;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(load_edit("trace_file: t.csv", "trace_file: missing.csv", &s, &err), CS_ENOENT);
  CS_ASSERT_STR_CONTAINS(err.msg, "cannot read trace file");
  CS_ASSERT_STR_CONTAINS(err.msg, "missing.csv");
  CS_ASSERT_STR_CONTAINS(err.msg, "s.yml:22:");
}

static void test_missing_required_key_and_isoqps_without_multipliers(void) {
  cs_sweep *s = NULL;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(load_edit(" max_seq_len: 4096,", "", &s, &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "traces[0]: missing required key 'max_seq_len'");
  CS_ASSERT_INT_EQ(load_edit("search_for: qps", "search_for: isoqps", &s, &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "qps_multipliers");
  CS_ASSERT_INT_EQ(load_edit("qps: 4.50", "qps: -1", &s, &err), CS_ERANGE);
  CS_ASSERT_INT_EQ(load("", &s, &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "empty sweep file");
}

static void test_slo_metric_aliases_resolve_like_the_metric_registry(void) {
  cs_sweep *s = NULL;
  cs_err err = {0};
  CS_ASSERT_OK(load_edit("metric: prefill_e2e_time,", "metric: ttft,", &s, &err), &err);
  if (s) CS_ASSERT_INT_EQ(s->slos[0].slos[0].metric, CS_RM_TTFT);
  cs_sweep_free(s);
  s = NULL;
  CS_ASSERT_OK(load_edit("metric: decode_time_execution_plus_preemption_normalized,", "metric: tpot,", &s, &err), &err);
  if (s) CS_ASSERT_INT_EQ(s->slos[0].slos[1].metric, CS_RM_TPOT);
  cs_sweep_free(s);
  s = NULL;
  CS_ASSERT_INT_EQ(load_edit("metric: prefill_e2e_time,", "metric: request_num_tokens,", &s, &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "not a request time distribution");
  cs_sweep_free(s);
}

static const cs_test_case cases[] = {
    {"test_slo_metric_aliases_resolve_like_the_metric_registry", test_slo_metric_aliases_resolve_like_the_metric_registry},
    {"test_seed_schema_parses_with_every_value", test_seed_schema_parses_with_every_value},
    {"test_sweep_json_writes_the_seed_unsigned", test_sweep_json_writes_the_seed_unsigned},
    {"test_extensions_prices_predictor_seed_and_isoqps", test_extensions_prices_predictor_seed_and_isoqps},
    {"test_unknown_key_names_its_place_and_suggests", test_unknown_key_names_its_place_and_suggests},
    {"test_wrong_type_says_what_was_expected", test_wrong_type_says_what_was_expected},
    {"test_empty_list_is_refused", test_empty_list_is_refused},
    {"test_search_naming_a_missing_trace_or_model_is_refused", test_search_naming_a_missing_trace_or_model_is_refused},
    {"test_unreadable_trace_file_is_refused_with_its_path", test_unreadable_trace_file_is_refused_with_its_path},
    {"test_missing_required_key_and_isoqps_without_multipliers",
     test_missing_required_key_and_isoqps_without_multipliers},
    {NULL, NULL}};

int main(void) {
  cs_test_tmpdir(dir, sizeof dir);
  char path[700];
  snprintf(path, sizeof path, "%s/t.csv", dir);
  cs_test_write(path, "num_prefill_tokens,num_decode_tokens\n10,10\n");
  return cs_test_run("config", cases);
}
