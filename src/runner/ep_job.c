/* Expert-parallel jobs (sweeps with ep_dimensions; docs/disaggregation.md, "Expert parallelism"):
 * feasibility and the replica's GPU count. A job with ep > 1 splits a MoE model's experts over
 * ep GPUs of each replica: ep = tp is EP over the replica's TP ranks, ep = tp x dp adds dp
 * data-parallel attention ranks (wide EP), so a replica holds tp x pp x (ep / tp) GPUs. */
#include "runner/runner.h"

int cs__job_attention_dp(const cs_sweep_job *j) { return j->ep > 1 && j->tp > 0 ? j->ep / j->tp : 1; }

/* EP's own conditions (the shape and memory checks of every job follow in env.c). */
bool cs__ep_job_check(cs__plan *p, cs_sweep_job *j) {
  const cs_model *m = p->models[j->model];
  const char *name = p->sweep->models[j->model].name;
  if (m->num_experts <= 0 || m->experts_per_token <= 0)
    cs_sweep_job_set_infeasible(j, "ep %d: %s is not a mixture-of-experts model", j->ep, name);
  else if (m->num_experts % j->ep)
    cs_sweep_job_set_infeasible(j, "ep %d does not divide the %d experts of %s", j->ep, m->num_experts, name);
  else if (j->ep % j->tp)
    cs_sweep_job_set_infeasible(j,
                                "ep %d is not a multiple of tp %d (EP spans the TP ranks of a replica, or tp x dp "
                                "ranks with data-parallel attention)",
                                j->ep, j->tp);
  else
    return true;
  return false;
}
