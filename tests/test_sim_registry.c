/* The one registry shape (include/capsearch/registry.h): lookup by name and alias, "did you
 * mean" and "expected one of" messages, and every registered policy well-formed, so adding a
 * policy is its file plus one registry line. */
#include <string.h>

#include "capsearch/predictor.h"
#include "capsearch/registry.h"
#include "capsearch/sim.h"
#include "cs_test.h"
#include "sim_fixture.h"

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
      if (!s->required && (s->def < s->range.min || s->def > s->range.max))
        CS__FAIL_MSG("%s %s: default %g of '%s' outside %g..%g", r->kind, e->name, s->def, s->name, s->range.min, s->range.max);
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

/* A parameter several schedulers take (chunk_size, batch_size_cap) is one concept: same type,
 * default, bounds and flags everywhere (chunk_size had 1..1e9 in sarathi, 1..2^20 in vllm_v1). */
static void test_a_parameter_shared_by_policies_is_declared_alike(void) {
  const cs_registry *regs[] = {cs_replica_scheds(), cs_routers(), cs_request_queues()};
  for (size_t g = 0; g < 3; g++)
    for (size_t i = 0; regs[g]->entries[i]; i++)
      for (size_t j = 0; j < i; j++) {
        const cs_registry_entry *a = regs[g]->entries[i], *b = regs[g]->entries[j];
        for (size_t x = 0; x < a->nparams; x++)
          for (size_t y = 0; y < b->nparams; y++) {
            const cs_param_spec *p = &a->params[x], *q = &b->params[y];
            if (strcmp(p->name, q->name)) continue;
            if (p->type != q->type || p->def != q->def || p->range.min != q->range.min || p->range.max != q->range.max || p->flags != q->flags)
              CS__FAIL_MSG("%s.%s (%g, %g..%g) and %s.%s (%g, %g..%g) differ", a->name, p->name, p->def, p->range.min, p->range.max,
                           b->name, q->name, q->def, q->range.min, q->range.max);
          }
      }
}

/* Every simulation policy binds its parameters into its own struct: each field lies inside it
 * and each one changes behaviour (enters the job key). */
static void test_every_policy_parameter_is_a_field_of_its_struct(void) {
  const cs_registry *regs[] = {cs_replica_scheds(), cs_routers(), cs_request_queues()};
  for (size_t g = 0; g < 3; g++)
    for (size_t i = 0; regs[g]->entries[i]; i++) {
      const cs_registry_entry *e = regs[g]->entries[i];
      for (size_t k = 0; k < e->nparams; k++) {
        const cs_param_spec *s = &e->params[k];
        size_t size = s->type == CS_OPT_FLAG ? sizeof(bool) : 8;
        if (s->off + size > e->params_size)
          CS__FAIL_MSG("%s.%s: offset %zu outside its %zu-byte struct", e->name, s->name, s->off, e->params_size);
        if (!(s->flags & CS_PARAM_KEY)) CS__FAIL_MSG("%s.%s: not marked behaviour-changing", e->name, s->name);
      }
    }
}

/* A configuration resolved once (the sweep runner's way) runs without a name lookup: the names
 * are not even valid here, and the outputs name the resolved policies. */
static void test_a_resolved_configuration_never_looks_a_name_up(void) {
  fx_row rows[] = {{0.0, 100, 4, 0, 0, 0}, {0.1, 50, 2, 0, 0, 0}};
  cs_trace *t = fx_trace(rows, 2);
  cs_predictor *p = fx_predictor(5, 1);
  cs_sim_config c;
  fx_config(&c, t, p);
  cs_err err = {0};
  CS_ASSERT_OK(cs_replica_sched_info("sarathi", &c.replica_policy, &err), &err);
  CS_ASSERT_OK(cs_global_sched_info("round_robin", &c.global_policy, &err), &err);
  CS_ASSERT_OK(cs_request_queue_info("fcfs", &c.queue_policy, &err), &err);
  c.replica_scheduler = c.global_scheduler = c.request_queue = "not-looked-up";
  cs_sim_result *r = NULL;
  CS_ASSERT_OK(cs_sim_run(&c, &r, &err), &err);
  CS_ASSERT_INT_EQ(cs_sim_result_stats(r)->num_completed, 2);
  char d[512], path[600];
  cs_test_tmpdir(d, sizeof d);
  CS_ASSERT_OK(cs_sim_write_outputs(r, &c, d, NULL, &err), &err);
  snprintf(path, sizeof path, "%s/config.json", d);
  char *json = cs_test_read(path, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(json);
  CS_ASSERT_STR_CONTAINS(json, "\"name\": \"sarathi\"");
  free(json);
  cs_sim_result_free(r);
  cs_predictor_free(p);
  cs_trace_free(t);
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
      {"test_a_resolved_configuration_never_looks_a_name_up", test_a_resolved_configuration_never_looks_a_name_up},
      {"test_a_parameter_shared_by_policies_is_declared_alike", test_a_parameter_shared_by_policies_is_declared_alike},
      {"test_every_policy_parameter_is_a_field_of_its_struct", test_every_policy_parameter_is_a_field_of_its_struct},
      {NULL, NULL},
  };
  return cs_test_run("sim_registry", cases);
}
