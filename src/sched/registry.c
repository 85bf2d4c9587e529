/* Registries of the replica schedulers, global schedulers (routers) and request queues, in the
 * one registry shape (include/capsearch/registry.h). Each policy is a static const ops table in
 * its own file whose first member is its cs_registry_entry; adding one is a line here.
 * Lists are in a fixed order (documentation and `capsearch list` order). */
#include "capsearch/registry.h"
#include "sched/policy.h"

/* Replica schedulers (src/sched/<name>.c). */
extern const cs__replica_sched_ops cs__rsched_vllm_v1;
extern const cs__replica_sched_ops cs__rsched_vllm;
extern const cs__replica_sched_ops cs__rsched_sarathi;
extern const cs__replica_sched_ops cs__rsched_orca;
extern const cs__replica_sched_ops cs__rsched_faster_transformer;
extern const cs__replica_sched_ops cs__rsched_lightllm;

/* Global schedulers (src/sched/router_*.c). */
extern const cs__global_sched_ops cs__gsched_round_robin;
extern const cs__global_sched_ops cs__gsched_random;
extern const cs__global_sched_ops cs__gsched_lor;
extern const cs__global_sched_ops cs__gsched_lop;
extern const cs__global_sched_ops cs__gsched_lop_uncached;
extern const cs__global_sched_ops cs__gsched_sticky_round_robin;
extern const cs__global_sched_ops cs__gsched_sticky_lor;
extern const cs__global_sched_ops cs__gsched_sticky_lop;
extern const cs__global_sched_ops cs__gsched_tolerant_sticky_lop_uncached;
extern const cs__global_sched_ops cs__gsched_ranked_sticky_lop_uncached;

/* Request queues (src/sched/queue.c). */
extern const cs__rqueue_ops cs__rqueue_fcfs;
extern const cs__rqueue_ops cs__rqueue_edf;

static const cs_policy_info *const replica_entries[] = {
    &cs__rsched_vllm.info, &cs__rsched_sarathi.info, &cs__rsched_orca.info, &cs__rsched_faster_transformer.info,
    &cs__rsched_lightllm.info,
    &cs__rsched_vllm_v1.info,
    NULL,
};
static const cs_policy_info *const router_entries[] = {
    &cs__gsched_round_robin.info,
    &cs__gsched_random.info, &cs__gsched_lor.info, &cs__gsched_lop.info, &cs__gsched_lop_uncached.info,
    &cs__gsched_sticky_round_robin.info, &cs__gsched_sticky_lor.info, &cs__gsched_sticky_lop.info,
    &cs__gsched_tolerant_sticky_lop_uncached.info, &cs__gsched_ranked_sticky_lop_uncached.info,
    NULL,
};
static const cs_policy_info *const queue_entries[] = {
    &cs__rqueue_fcfs.info,
    &cs__rqueue_edf.info,
    NULL,
};

static const cs_registry replica_registry = {"replica scheduler", replica_entries};
static const cs_registry router_registry = {"global scheduler", router_entries};
static const cs_registry queue_registry = {"request queue", queue_entries};

const cs_registry *cs_replica_scheds(void) { return &replica_registry; }
const cs_registry *cs_routers(void) { return &router_registry; }
const cs_registry *cs_request_queues(void) { return &queue_registry; }
const cs_policy_info *const *cs_replica_sched_list(void) { return replica_entries; }
const cs_policy_info *const *cs_global_sched_list(void) { return router_entries; }
const cs_policy_info *const *cs_request_queue_list(void) { return queue_entries; }

int cs_replica_sched_info(const char *name, const cs_policy_info **out, cs_err *err) {
  return cs_registry_find(&replica_registry, name, out, err);
}
int cs_global_sched_info(const char *name, const cs_policy_info **out, cs_err *err) {
  return cs_registry_find(&router_registry, name, out, err);
}
int cs_request_queue_info(const char *name, const cs_policy_info **out, cs_err *err) {
  return cs_registry_find(&queue_registry, name, out, err);
}

/* The entry is the first member of its ops table (registry.h), so the cast recovers the table. */
const cs__replica_sched_ops *cs__replica_sched_ops_of(const cs_policy_info *e) {
  return (const cs__replica_sched_ops *)e;
}
const cs__global_sched_ops *cs__global_sched_ops_of(const cs_policy_info *e) { return (const cs__global_sched_ops *)e; }
const cs__rqueue_ops *cs__rqueue_ops_of(const cs_policy_info *e) { return (const cs__rqueue_ops *)e; }

const cs__rqueue_ops *cs__rqueue_lookup(const char *name) {
  const cs_policy_info *e = cs_registry_get(&queue_registry, name);
  return e ? cs__rqueue_ops_of(e) : NULL;
}
