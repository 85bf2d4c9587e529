/* The one registry shape (include/capsearch/registry.h): lookup by name and alias, "did you
 * mean" and "expected one of" messages, and every registered policy well-formed, so adding a
 * policy is its file plus one registry line. */
#include <string.h>

#include "capsearch/predictor.h"
#include "capsearch/registry.h"
#include "capsearch/sim.h"
#include "cs_test.h"

static const char *const two_aliases[] = {"first_in_first_out", "fifo", NULL};
static const cs_registry_entry e_fcfs = {.name = "fcfs", .summary = "s", .aliases = two_aliases, .flags = 1u};
static const cs_registry_entry e_edf = {.name = "edf", .summary = "s"};
static const cs_registry_entry *const demo_entries[] = {&e_fcfs, &e_edf, NULL};
static const cs_registry demo = {"request queue", demo_entries};

static void test_registry_finds_names_and_aliases(void) {
  const cs_registry_entry *e = NULL;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_registry_count(&demo), 2);
  CS_ASSERT_INT_EQ(cs_registry_find(&demo, "edf", &e, &err), 0);
  CU_ASSERT_PTR_EQUAL(e, &e_edf);
  CS_ASSERT_INT_EQ(cs_registry_find(&demo, "fifo", &e, &err), 0);
  CU_ASSERT_PTR_EQUAL(e, &e_fcfs);
  CU_ASSERT_TRUE(cs_registry_has(e, 1u));
  CU_ASSERT_FALSE(cs_registry_has(&e_edf, 1u));
  CU_ASSERT_PTR_NULL(cs_registry_get(&demo, "lifo_queue"));
}

static void test_registry_unknown_name_suggests_the_nearest_or_lists_all(void) {
  const cs_registry_entry *e = NULL;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_registry_find(&demo, "edff", &e, &err), CS_EUNKNOWN);
  CS_ASSERT_STR_EQ(err.msg, "unknown request queue 'edff' (did you mean 'edf'?)");
  /* an alias that is close suggests the canonical name */
  CS_ASSERT_INT_EQ(cs_registry_find(&demo, "fifp", &e, &err), CS_EUNKNOWN);
  CS_ASSERT_STR_EQ(err.msg, "unknown request queue 'fifp' (did you mean 'fcfs'?)");
  CS_ASSERT_INT_EQ(cs_registry_find(&demo, "priority_by_deadline", &e, &err), CS_EUNKNOWN);
  CS_ASSERT_STR_EQ(err.msg, "unknown request queue 'priority_by_deadline' (expected one of: fcfs, edf)");
}

/* Names unique across names and aliases; every declared parameter's default inside its bounds
 * (unless it must be given) and its name unique; a summary for `capsearch list`. */
static void check_registry(const cs_registry *r) {
  size_t n = cs_registry_count(r);
  CU_ASSERT_TRUE_FATAL(n > 0);
  for (size_t i = 0; i < n; i++) {
    const cs_registry_entry *e = r->entries[i];
    CU_ASSERT_PTR_NOT_NULL(e->summary);
    CU_ASSERT_PTR_EQUAL(cs_registry_get(r, e->name), e);
    for (size_t k = 0; e->aliases && e->aliases[k]; k++) CU_ASSERT_PTR_EQUAL(cs_registry_get(r, e->aliases[k]), e);
    for (size_t k = 0; k < e->nparams; k++) {
      const cs_param_spec *s = &e->params[k];
      if (!s->required && (s->def < s->min || s->def > s->max))
        CS__FAIL_MSG("%s %s: default %g of '%s' outside %g..%g", r->kind, e->name, s->def, s->name, s->min, s->max);
      for (size_t m = 0; m < k; m++)
        if (!strcmp(e->params[m].name, s->name)) CS__FAIL_MSG("%s %s: parameter '%s' twice", r->kind, e->name, s->name);
    }
  }
}

static void test_every_registered_policy_is_well_formed(void) {
  check_registry(cs_replica_scheds());
  check_registry(cs_routers());
  check_registry(cs_request_queues());
  check_registry(cs_predictors());
}

static void test_capabilities_answer_what_code_used_to_ask_by_name(void) {
  const cs_policy_info *e;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_replica_sched_info("vllm_v1", &e, &err), 0);
  CU_ASSERT_TRUE(cs_registry_has(e, CS_RSCHED_CHUNKED_PREFILL | CS_RSCHED_RESUMES_KV | CS_RSCHED_V1_KV_SIZING));
  CS_ASSERT_INT_EQ(cs_replica_sched_info("sarathi", &e, &err), 0);
  CU_ASSERT_TRUE(cs_registry_has(e, CS_RSCHED_CHUNKED_PREFILL | CS_RSCHED_RESUMES_KV));
  CU_ASSERT_FALSE(cs_registry_has(e, CS_RSCHED_V1_KV_SIZING));
  CS_ASSERT_INT_EQ(cs_replica_sched_info("vllm", &e, &err), 0);
  CU_ASSERT_FALSE(cs_registry_has(e, CS_RSCHED_CHUNKED_PREFILL));
  CS_ASSERT_INT_EQ(cs_request_queue_info("fcfs", &e, &err), 0);
  CU_ASSERT_TRUE(cs_registry_has(e, CS_QUEUE_ARRIVAL_ORDER));
  CS_ASSERT_INT_EQ(cs_request_queue_info("edf", &e, &err), 0);
  CU_ASSERT_FALSE(cs_registry_has(e, CS_QUEUE_ARRIVAL_ORDER));
}

int main(void) {
  static const cs_test_case cases[] = {
      {"test_registry_finds_names_and_aliases", test_registry_finds_names_and_aliases},
      {"test_registry_unknown_name_suggests_the_nearest_or_lists_all",
       test_registry_unknown_name_suggests_the_nearest_or_lists_all},
      {"test_every_registered_policy_is_well_formed", test_every_registered_policy_is_well_formed},
      {"test_capabilities_answer_what_code_used_to_ask_by_name", test_capabilities_answer_what_code_used_to_ask_by_name},
      {NULL, NULL},
  };
  return cs_test_run("sim_registry", cases);
}
