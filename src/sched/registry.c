/* Registries of the replica schedulers, global schedulers (routers) and request queues.
 * Each policy is a static const ops table defined in its own file; adding one is a line here.
 * Lists are in a fixed order (documentation and `capsearch list` order). */
#include <string.h>

#include "sim/types.h"
#include "util/sbuf.h"
#include "util/text.h"

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

static const cs__replica_sched_ops *const replica_scheds[] = {
    &cs__rsched_vllm, &cs__rsched_sarathi, &cs__rsched_orca, &cs__rsched_faster_transformer,
    &cs__rsched_lightllm,
    &cs__rsched_vllm_v1,
    NULL,
};

static const cs__global_sched_ops *const global_scheds[] = {
    &cs__gsched_round_robin,
    &cs__gsched_random, &cs__gsched_lor, &cs__gsched_lop, &cs__gsched_lop_uncached,
    &cs__gsched_sticky_round_robin, &cs__gsched_sticky_lor, &cs__gsched_sticky_lop,
    &cs__gsched_tolerant_sticky_lop_uncached, &cs__gsched_ranked_sticky_lop_uncached,
    NULL,
};

static const cs__rqueue_ops *const queues[] = {
    &cs__rqueue_fcfs,
    &cs__rqueue_edf,
    NULL,
};

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Public policy-info views, in the same order (ops tables start with their cs_policy_info). */
static const cs_policy_info *const replica_infos[] = {
    &cs__rsched_vllm.info, &cs__rsched_sarathi.info, &cs__rsched_orca.info, &cs__rsched_faster_transformer.info,
    &cs__rsched_lightllm.info,
    &cs__rsched_vllm_v1.info,
    NULL,
};
static const cs_policy_info *const global_infos[] = {
    &cs__gsched_round_robin.info,
    &cs__gsched_random.info, &cs__gsched_lor.info, &cs__gsched_lop.info, &cs__gsched_lop_uncached.info,
    &cs__gsched_sticky_round_robin.info, &cs__gsched_sticky_lor.info, &cs__gsched_sticky_lop.info,
    &cs__gsched_tolerant_sticky_lop_uncached.info, &cs__gsched_ranked_sticky_lop_uncached.info,
    NULL,
};
static const cs_policy_info *const queue_infos[] = {
    &cs__rqueue_fcfs.info,
    &cs__rqueue_edf.info,
    NULL,
};
_Static_assert(NELEMS(replica_infos) == NELEMS(replica_scheds), "replica scheduler lists out of step");
_Static_assert(NELEMS(global_infos) == NELEMS(global_scheds), "global scheduler lists out of step");
_Static_assert(NELEMS(queue_infos) == NELEMS(queues), "queue lists out of step");

const cs__replica_sched_ops *const *cs__replica_sched_registry(void) { return replica_scheds; }
const cs__global_sched_ops *const *cs__global_sched_registry(void) { return global_scheds; }
const cs_policy_info *const *cs_replica_sched_list(void) { return replica_infos; }
const cs_policy_info *const *cs_global_sched_list(void) { return global_infos; }
const cs_policy_info *const *cs_request_queue_list(void) { return queue_infos; }

const cs__replica_sched_ops *cs__replica_sched_lookup(const char *name) {
  for (size_t i = 0; replica_scheds[i]; i++)
    if (!strcmp(replica_scheds[i]->info.name, name)) return replica_scheds[i];
  return NULL;
}

const cs__global_sched_ops *cs__global_sched_lookup(const char *name) {
  for (size_t i = 0; global_scheds[i]; i++)
    if (!strcmp(global_scheds[i]->info.name, name)) return global_scheds[i];
  return NULL;
}

const cs__rqueue_ops *cs__rqueue_lookup(const char *name) {
  for (size_t i = 0; queues[i]; i++)
    if (!strcmp(queues[i]->info.name, name)) return queues[i];
  return NULL;
}

static int find_info(const cs_policy_info *const *list, const char *kind, const char *name,
                     const cs_policy_info **out, cs_err *err) {
  size_t n = 0;
  while (list[n]) n++;
  const char *names[64] = {0};
  for (size_t i = 0; i < n && i < 64; i++) {
    names[i] = list[i]->name;
    if (!strcmp(list[i]->name, name)) {
      *out = list[i];
      return 0;
    }
  }
  const char *sug = cs__suggest(name, names, n < 64 ? n : 64);
  if (sug) return cs_err_set(err, CS_EUNKNOWN, "unknown %s '%s' (did you mean '%s'?)", kind, name, sug);
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  for (size_t i = 0; i < n && i < 64; i++) cs__sbuf_addf(&sb, "%s%s", i ? ", " : "", names[i]);
  int rc = cs_err_set(err, CS_EUNKNOWN, "unknown %s '%s' (expected one of: %s)", kind, name, sb.buf);
  cs__sbuf_release(&sb);
  return rc;
}

int cs_replica_sched_info(const char *name, const cs_policy_info **out, cs_err *err) {
  return find_info(replica_infos, "replica scheduler", name, out, err);
}
int cs_global_sched_info(const char *name, const cs_policy_info **out, cs_err *err) {
  return find_info(global_infos, "global scheduler", name, out, err);
}
int cs_request_queue_info(const char *name, const cs_policy_info **out, cs_err *err) {
  return find_info(queue_infos, "request queue", name, out, err);
}
