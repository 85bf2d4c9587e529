/* Internal to src/sweep: the growing job list of an expansion (expand.c, expand_disagg.c). */
#ifndef CS_SWEEP_EXPAND_INT_H
#define CS_SWEEP_EXPAND_INT_H

#include "capsearch/sweep.h"
#include "util/sbuf.h"

typedef CS__VEC(cs_sweep_job) cs__job_vec;

/* Sets the job's key and hash from its fields. */
void cs__sweep_job_name(const cs_sweep *s, cs_sweep_job *j);
/* Replaces each aggregated job by one per ep_dimensions entry (expand_ep.c). */
void cs__sweep_expand_ep(const cs_sweep *s, cs__job_vec *v);
/* Appends the disaggregated jobs (after every aggregated one, so those keep Vidur's order). */
void cs__sweep_expand_disagg(const cs_sweep *s, cs__job_vec *v);

/* Vidur V0 schema (expand_v0.c): its jobs, in V0's order, with per-job replica counts; its key. */
void cs__sweep_expand_v0(const cs_sweep *s, cs__job_vec *v);
char *cs__sweep_v0_key(const cs_sweep *s, const cs_sweep_job *j);

#endif
