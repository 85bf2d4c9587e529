/* Disaggregated jobs (docs/disaggregation.md): for every qps or isoqps search, the same product
 * as the aggregated jobs with (tp, pp) replaced by each `disaggregation` shape and xPyD ratio:
 * search x model x cluster x trace x router x queue x replica scheduler x SLO x shape x ratio x
 * batch size. Both pools use the job's replica scheduler and batch size; a ratio fixes the
 * replica counts (a num_replicas search has nothing to search over and gets no such jobs). */
#include <string.h>

#include "sweep/expand_int.h"

static bool excluded(const cs_sweep_model *m, int64_t tp) {
  for (int i = 0; i < m->nexclude; i++)
    if (m->exclude_tp_dims[i] == tp) return true;
  return false;
}

static void add(const cs_sweep *s, cs__job_vec *v, cs_sweep_job j, size_t di, int ri) {
  const cs_sweep_disagg *g = &s->disagg[di];
  const cs_sweep_cluster *c = &s->clusters[j.cluster];
  j.index = v->n;
  j.disagg = true;
  j.shape = di;
  j.tp = g->prefill_tp;
  j.pp = g->prefill_pp;
  j.decode_tp = g->decode_tp;
  j.decode_pp = g->decode_pp;
  j.prefill_replicas = g->ratio_prefill[ri];
  j.decode_replicas = g->ratio_decode[ri];
  j.num_replicas = j.prefill_replicas + j.decode_replicas;
  cs__sweep_job_name(s, &j);
  j.status = CS_JOB_PENDING;
  int wide = j.tp > j.decode_tp ? j.tp : j.decode_tp;
  if (wide > c->gpus_per_node)
    cs_sweep_job_set_infeasible(&j, "tp %d > gpus_per_node %d of %s", wide, c->gpus_per_node, c->device);
  cs__vec_push(v, j);
}

void cs__sweep_expand_disagg(const cs_sweep *s, cs__job_vec *v) {
  for (size_t si = 0; si < s->nsearches; si++) {
    const cs_sweep_search *sc = &s->searches[si];
    if (sc->search_for == CS_SEARCH_NUM_REPLICAS) continue;
    for (size_t mi = 0; mi < s->nmodels; mi++) {
      if (strcmp(s->models[mi].name, sc->model)) continue;
      for (size_t ci = 0; ci < s->nclusters; ci++)
        for (size_t ti = 0; ti < s->ntraces; ti++) {
          if (strcmp(s->traces[ti].name, sc->trace)) continue;
          for (size_t gi = 0; gi < s->ngsched; gi++)
            for (size_t qi = 0; qi < s->nqueues; qi++)
              for (size_t ri = 0; ri < s->nrsched; ri++)
                for (size_t li = 0; li < s->nslos; li++)
                  for (size_t di = 0; di < s->ndisagg; di++) {
                    const cs_sweep_disagg *g = &s->disagg[di];
                    if (excluded(&s->models[mi], g->prefill_tp) || excluded(&s->models[mi], g->decode_tp)) continue;
                    for (int k = 0; k < g->nratios; k++)
                      for (size_t bi = 0; bi < s->nbatch; bi++) {
                        cs_sweep_job j = {.search = si, .model = mi, .cluster = ci, .trace = ti, .gsched = gi,
                                          .queue = qi, .rsched = ri, .slo = li,
                                          .batch_size = (int)s->batch_sizes[bi]};
                        add(s, v, j, di, k);
                      }
                  }
        }
    }
  }
}
