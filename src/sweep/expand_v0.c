/* Jobs of a sweep translated from Vidur's V0 explorer schema (vidur-semantics.md §7.3-§7.4):
 * product models x traces x clusters x schedulers x tp x pp x batch_sizes in that nesting order,
 * num_replicas = num_gpus / (tp * pp); a job is kept iff num_replicas > 0, tp is not in the
 * model's exclude_tp_dims and tp <= gpus_per_node (V0 drops it; the V1 path keeps such a job as
 * infeasible). Keys are V0's, so run directories carry V0's hashes. */
#include <string.h>

#include "sweep/expand_int.h"

char *cs__sweep_v0_key(const cs_sweep *s, const cs_sweep_job *j) {
  const cs_sweep_trace *t = &s->traces[j->trace];
  const cs_sweep_rsched *r = &s->rscheds[j->rsched];
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__sbuf_addf(&sb, "%s_%s_tk%s_rq%s_%s_%s", s->models[j->model].name, t->name, t->max_seq_len.text,
                s->searches[j->search].num_requests.text, s->clusters[j->cluster].device, r->scheduler);
  if (r->has_chunk) cs__sbuf_addf(&sb, "_cs%s", r->chunk_size.text);
  cs__sbuf_addf(&sb, "_tp%d_pp%d_bsz%lld", j->tp, j->pp, (long long)j->batch_size * j->pp);
  char *detached = cs__sbuf_detach(&sb);
  cs__sbuf_release(&sb);
  return detached;
}

static bool excluded(const cs_sweep_model *m, int64_t tp) {
  for (int i = 0; i < m->nexclude; i++)
    if (m->exclude_tp_dims[i] == tp) return true;
  return false;
}

void cs__sweep_expand_v0(const cs_sweep *s, cs__job_vec *v) {
  for (size_t mi = 0; mi < s->nmodels; mi++)
    for (size_t ti = 0; ti < s->ntraces; ti++)
      for (size_t ci = 0; ci < s->nclusters; ci++)
        for (size_t ri = 0; ri < s->nrsched; ri++)
          for (size_t tpi = 0; tpi < s->ntp; tpi++) {
            int64_t tp = s->tp_dims[tpi];
            if (excluded(&s->models[mi], tp) || tp > s->clusters[ci].gpus_per_node) continue;
            for (size_t ppi = 0; ppi < s->npp; ppi++) {
              int64_t replicas = s->clusters[ci].num_gpus / (tp * s->pp_dims[ppi]);
              if (replicas <= 0) continue;
              for (size_t bi = 0; bi < s->nbatch; bi++) {
                cs_sweep_job j = {0};
                j.index = v->n;
                j.search = mi * s->ntraces + ti, j.model = mi, j.cluster = ci, j.trace = ti;
                j.rsched = ri; /* gsched, queue, slo: V0's single implicit ones (config/v0.c) */
                j.tp = (int)tp;
                j.pp = (int)s->pp_dims[ppi];
                j.batch_size = (int)s->batch_sizes[bi];
                j.num_replicas = (int)replicas;
                cs__sweep_job_name(s, &j);
                j.status = CS_JOB_PENDING;
                cs__vec_push(v, j);
              }
            }
          }
}
