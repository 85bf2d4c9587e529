/* Expert-parallel jobs (docs/disaggregation.md, "Expert parallelism"): with `ep_dimensions`, every
 * aggregated job is tried at each listed EP size, EP nested innermost (after batch size). ep 1
 * is the job as it is, key and hash unchanged; ep > 1 adds "_ep<N>" to the key. Whether an EP
 * size suits the model (a mixture of experts whose expert count it divides, a multiple of the
 * job's TP) needs the catalogs: the runner's feasibility check marks the jobs that do not. */
#include <stdlib.h>
#include <string.h>

#include "sweep/expand_int.h"

void cs__sweep_expand_ep(const cs_sweep *s, cs__job_vec *v) {
  if (!s->nep) return;
  cs__job_vec w = {0};
  for (size_t i = 0; i < v->n; i++) {
    cs_sweep_job *j = &v->v[i];
    bool kept = false;
    for (size_t e = 0; e < s->nep; e++) {
      if (s->ep_dims[e] == 1 && !kept) { /* the job itself */
        kept = true;
        j->index = w.n;
        cs__vec_push(&w, *j);
        continue;
      }
      cs_sweep_job x = *j;
      x.index = w.n;
      x.ep = (int)s->ep_dims[e];
      x.reason = j->reason ? cs__xstrdup(j->reason) : NULL;
      cs__sweep_job_name(s, &x);
      cs__vec_push(&w, x);
    }
    if (!kept) {
      free(j->key);
      free(j->reason);
    }
  }
  free(v->v);
  *v = w;
}
