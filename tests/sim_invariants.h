/* Reusable invariant harness for the simulator and every policy (ROSS_DRIVER_TEST idea).
 *
 * For "policies" and anyone adding a scheduler: include "sim_invariants.c" in a
 * tests/test_sim_<topic>.c file (it is header-plus-source, static functions only), build a
 * cs_sim_config and call sim_inv_run(); it runs the simulation with an observer that checks, at
 * every event:
 *   - simulated time never decreases, and every event is handled while it is the least
 *     pending one in (time, kind, seq) order (checked after the run);
 *   - a batch holds >= 1 request, at most batch_size_cap (when the scheduler declares it), no
 *     request twice and no request that is already in a batch in flight, tokens >= 1 per request,
 *     a prefill chunk never beyond the prompt, a decode step exactly 1 token, the batch's replica
 *     equal to the request's replica, vllm_v1's token budget (chunk_size) respected;
 *   - KV memory use within [0, 100] % of the replica's blocks after every schedule and batch end;
 *   - no request completes twice; a completed request processed exactly P + D tokens;
 *   - after the run: record ids strictly increasing (none lost twice or duplicated),
 *     completed <= arrived, and (when expect_all) every arrived request completed.
 * sim_inv_all() runs every registered replica scheduler x every registered router through light
 * load (everything must complete) and memory pressure (preemptions must be survived).
 * Violations are collected in sim_inv_result (count + first message) rather than asserted, so a
 * caller can report them with the case name. */
#ifndef CS_TEST_SIM_INVARIANTS_H
#define CS_TEST_SIM_INVARIANTS_H

#include <stdbool.h>
#include <stdint.h>

#include "capsearch/sim.h"

typedef struct sim_inv_result {
  int64_t arrived, completed, preemptions, batches, events;
  int64_t violations;
  char first[512];  /* the first violation, "" when none */
  int rc;           /* cs_sim_run's return code */
  char err[512];    /* its message when rc != 0 */
} sim_inv_result;

/* Runs cfg under the invariant observer; expect_all adds "everything completed". */
static void sim_inv_run(const cs_sim_config *cfg, bool expect_all, sim_inv_result *out);

#endif
