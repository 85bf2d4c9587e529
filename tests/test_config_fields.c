/* The sweep file's sections read through field tables (util/opt.h): every number of every
 * non-policy section is checked against its own bounds and named by its place, in the V0 schema
 * and the extensions as well as in the V1 sections (before, the V0 and extension keys had no
 * bounds: num_gpus 4294967297 became 1 through an int cast). */
#include <stdarg.h>
#include <stdlib.h>

#include "capsearch/search.h"
#include "capsearch/sweep.h"
#include "cs_test.h"

static char dir[512];

static const char *v0_text =
    "clusters:\n"
    "  - {device: h100, num_gpus: NUM_GPUS, gpus_per_node: 8}\n"
    "schedulers:\n"
    "  - {scheduler: vllm}\n"
    "traces:\n"
    "  - {name: t, trace_file: t.csv, max_seq_len: 4096, num_requests: NREQ, start_qps: QPS}\n"
    "batch_sizes: [64]\n"
    "tp_dimensions: [1]\n"
    "pp_dimensions: [1]\n"
    "models:\n"
    "  - {name: m, identifier: meta-llama/Meta-Llama-3-8B}\n";

static const char *v1_text =
    "clusters: [{device: h100, network_device: h100_dgx, gpus_per_node: 8}]\n"
    "global_schedulers: [{scheduler: round_robin}]\n"
    "request_queues: [{name: fcfs, provider: fcfs}]\n"
    "replica_schedulers: [{scheduler: vllm_v1}]\n"
    "slo_configs: [{name: s, type: and, quantile: 0.9, slos: [{metric: ttft, value: 1}]}]\n"
    "traces: [{name: t, trace_file: t.csv, max_seq_len: 4096}]\n"
    "batch_sizes: [64]\n"
    "tp_dimensions: [1]\n"
    "pp_dimensions: [1]\n"
    "models: [{name: m, identifier: meta-llama/Meta-Llama-3-8B}]\n"
    "search_configs: [{trace: t, model: m, search_for: qps, num_replicas: 1, qps: 1, num_requests: 10}]\n"
    "EXTRA\n";

/* text with each "KEY" replaced by its value (pairs, NULL-terminated), loaded as <dir>/s.yml */
static int load(const char *text, cs_sweep **s, cs_err *err, ...) {
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", text);
  va_list ap;
  va_start(ap, err);
  for (const char *k; (k = va_arg(ap, const char *));) {
    const char *v = va_arg(ap, const char *);
    char *at = strstr(buf, k), tmp[4096];
    if (!at) continue;
    snprintf(tmp, sizeof tmp, "%.*s%s%s", (int)(at - buf), buf, v, at + strlen(k));
    snprintf(buf, sizeof buf, "%s", tmp);
  }
  va_end(ap);
  char *extra = strstr(buf, "EXTRA\n");
  if (extra) memmove(extra, extra + 6, strlen(extra + 6) + 1);
  char path[700];
  snprintf(path, sizeof path, "%s/s.yml", dir);
  cs_test_write(path, buf);
  memset(err, 0, sizeof *err);
  *s = NULL;
  int rc = cs_sweep_load(path, s, err);
  cs_sweep_free(*s);
  return rc;
}

static void test_v0_numbers_are_checked_against_their_bounds(void) {
  cs_sweep *s;
  cs_err err;
  CS_ASSERT_OK(load(v0_text, &s, &err, "NUM_GPUS", "8", "NREQ", "100", "QPS", "2", NULL), &err);
  CS_ASSERT_INT_NE(load(v0_text, &s, &err, "NUM_GPUS", "4294967297", "NREQ", "100", "QPS", "2", NULL), 0);
  CS_ASSERT_STR_CONTAINS(err.msg, "s.yml:2:30: clusters[0].num_gpus: 4294967297 is out of range");
  CS_ASSERT_INT_NE(load(v0_text, &s, &err, "NUM_GPUS", "8", "NREQ", "1e13", "QPS", "2", NULL), 0);
  CS_ASSERT_STR_CONTAINS(err.msg, "traces[0].num_requests: 1e13 is out of range");
  CS_ASSERT_INT_NE(load(v0_text, &s, &err, "NUM_GPUS", "8", "NREQ", "100", "QPS", "1e308", NULL), 0);
  CS_ASSERT_STR_CONTAINS(err.msg, "traces[0].start_qps: 1e308 is out of range");
}

static void test_extension_numbers_are_checked_and_named(void) {
  cs_sweep *s;
  cs_err err;
  CS_ASSERT_OK(load(v1_text, &s, &err, "EXTRA", "prices: {h100: 2.5}\nseed: 7", NULL), &err);
  CS_ASSERT_INT_NE(load(v1_text, &s, &err, "EXTRA", "prices: {h100: 1e300}", NULL), 0);
  CS_ASSERT_STR_CONTAINS(err.msg, "s.yml:12:16: prices.h100: 1e300 is out of range");
  CS_ASSERT_INT_NE(load(v1_text, &s, &err, "EXTRA", "seed: 1e300", NULL), 0);
  CS_ASSERT_STR_CONTAINS(err.msg, "s.yml:12:7: seed: 1e300 is out of range");
  CS_ASSERT_INT_NE(load(v1_text, &s, &err, "EXTRA",
                        "disaggregation: [{prefill: {tp: 2, pp: 4294967297}, decode: {tp: 1}, ratios: [[1, 1]]}]", NULL),
                   0);
  CS_ASSERT_STR_CONTAINS(err.msg, "disaggregation[0].prefill.pp: expected a positive value (at most 1024), got '4294967297'");
  CS_ASSERT_INT_NE(load(v1_text, &s, &err, "EXTRA",
                        "disaggregation: [{prefill: {tp: 1}, decode: {tp: 1}, ratios: [[1, 1]], kv_placement: intra}]",
                        NULL),
                   0);
  CS_ASSERT_STR_CONTAINS(err.msg, "disaggregation[0].kv_placement: expected auto, intra_node or inter_node, got 'intra' "
                                  "(did you mean 'intra_node'?)");
}

static void test_every_section_names_a_missing_key_and_suggests_a_misspelled_one(void) {
  cs_sweep *s;
  cs_err err;
  CS_ASSERT_INT_NE(load(v1_text, &s, &err, "quantile: 0.9, ", "", NULL), 0);
  CS_ASSERT_STR_CONTAINS(err.msg, "s.yml:5:15: slo_configs[0]: missing required key 'quantile'");
  CS_ASSERT_INT_NE(load(v1_text, &s, &err, "value: 1", "vaule: 1", NULL), 0);
  CS_ASSERT_STR_CONTAINS(err.msg, "unknown key 'vaule' in slo_configs[0].slos[0] (did you mean 'value'?)");
  CS_ASSERT_INT_NE(load(v1_text, &s, &err, "search_for: qps", "search_fr: qps", NULL), 0);
  CS_ASSERT_STR_CONTAINS(err.msg, "unknown key 'search_fr' in search_configs[0] (did you mean 'search_for'?)");
  CS_ASSERT_INT_NE(load(v1_text, &s, &err, "EXTRA", "verdict: vidr", NULL), 0);
  CS_ASSERT_STR_CONTAINS(err.msg, "s.yml:12:10: verdict: unknown verdict 'vidr' (did you mean 'vidur'?)");
}

/* search_for is looked up in the search registry (capsearch/search.h): the one lookup gives
 * "did you mean" or the registry's names, and the registry's flags say which search takes
 * qps_multipliers. */
static void test_search_for_is_a_name_of_the_search_registry(void) {
  cs_sweep *s;
  cs_err err;
  CS_ASSERT_INT_NE(load(v1_text, &s, &err, "search_for: qps", "search_for: qpss", NULL), 0);
  CS_ASSERT_STR_CONTAINS(err.msg, "s.yml:11:51: search_configs[0].search_for: unknown search 'qpss' (did you mean 'qps'?)");
  CS_ASSERT_INT_NE(load(v1_text, &s, &err, "search_for: qps", "search_for: bisect", NULL), 0);
  CS_ASSERT_STR_CONTAINS(err.msg, "unknown search 'bisect' (expected one of: qps, num_replicas, isoqps)");
  CS_ASSERT_INT_NE(load(v1_text, &s, &err, "search_for: qps", "search_for: isoqps", NULL), 0);
  CS_ASSERT_STR_CONTAINS(err.msg, "search_configs[0]: search_for isoqps needs a non-empty 'qps_multipliers' list");
  CS_ASSERT_INT_NE(load(v1_text, &s, &err, "num_requests: 10", "num_requests: 10, qps_multipliers: [2]", NULL), 0);
  CS_ASSERT_STR_CONTAINS(err.msg, "search_configs[0].qps_multipliers: only valid with search_for: isoqps");
  CS_ASSERT_OK(load(v1_text, &s, &err, "search_for: qps", "search_for: num_replicas", NULL), &err);
  /* every kind the search machine runs has its entry, under the name outputs write */
  const cs_search_info *si = NULL;
  for (int k = CS_SEARCH_QPS; k <= CS_SEARCH_ISOQPS; k++) {
    CS_ASSERT_INT_EQ(cs_search_find(cs_search_kind_name((cs_search_kind)k), &si, &err), 0);
    CS_ASSERT_INT_EQ((int)si->kind, k);
  }
  CS_ASSERT_INT_EQ((int)cs_registry_count(cs_searches()), 3);
}

static const cs_test_case cases[] = {
    {"test_v0_numbers_are_checked_against_their_bounds", test_v0_numbers_are_checked_against_their_bounds},
    {"test_search_for_is_a_name_of_the_search_registry", test_search_for_is_a_name_of_the_search_registry},
    {"test_extension_numbers_are_checked_and_named", test_extension_numbers_are_checked_and_named},
    {"test_every_section_names_a_missing_key_and_suggests_a_misspelled_one",
     test_every_section_names_a_missing_key_and_suggests_a_misspelled_one},
    {NULL, NULL}};

int main(void) {
  cs_test_tmpdir(dir, sizeof dir);
  char path[700];
  snprintf(path, sizeof path, "%s/t.csv", dir);
  cs_test_write(path, "arrived_at,num_prefill_tokens,num_decode_tokens\n0,10,10\n");
  return cs_test_run("config_fields", cases);
}
