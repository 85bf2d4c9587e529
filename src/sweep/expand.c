/* Sweep -> jobs: the cartesian product in Vidur's exact nesting order and its filters
 * (vidur-semantics.md §7.3), the job key and its sha1 hash (§7.4).
 * Deliberate difference (SPEC §3): a TP larger than gpus_per_node is kept as an infeasible job
 * with its reason instead of being dropped silently; exclude_tp_dims (the user's own wish) and
 * rule 3 filter exactly as in Vidur. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsearch/sweep.h"
#include "sweep/expand_int.h"
#include "util/sbuf.h"
#include "util/sha1.h"
#include "util/text.h"

const char *cs_job_status_name(cs_job_status s) {
  switch (s) {
  case CS_JOB_PENDING: return "pending";
  case CS_JOB_OK: return "ok";
  case CS_JOB_NO_PASS: return "no_pass";
  case CS_JOB_INFEASIBLE: return "infeasible";
  case CS_JOB_FAILED: return "failed";
  }
  return "?";
}

/* Whether a given parameter enters the key: the ones the policy declares behaviour-changing
 * (CS_PARAM_KEY); every given one while the sweep's policies are not resolved. */
static bool enters_key(const cs_registry_entry *policy, const char *name) {
  for (size_t i = 0; policy && i < policy->nparams; i++)
    if (!strcmp(policy->params[i].name, name)) return (policy->params[i].flags & CS_PARAM_KEY) != 0;
  return true;
}

/* Parameters Vidur's key does not carry (it knows only top_k, tolerance_factor and chunk_size)
 * still change what a job simulates, so they name it too: "_<param><value>" in file order
 * (integral values without a fraction). A sweep without them keeps Vidur's keys and hashes. */
static void extra_params(cs__sbuf *sb, const cs_registry_entry *policy, int n, const char *const *names,
                         const double *values, const char *skip1, const char *skip2) {
  for (int i = 0; i < n; i++) {
    if (!strcmp(names[i], skip1) || !strcmp(names[i], skip2) || !enters_key(policy, names[i])) continue;
    char b[40];
    if (values[i] == (double)(long long)values[i] && values[i] > -1e15 && values[i] < 1e15)
      snprintf(b, sizeof b, "%lld", (long long)values[i]);
    else
      cs__fmt_pyfloat(values[i], b);
    cs__sbuf_addf(sb, "_%s%s", names[i], b);
  }
}

static bool same_mults(const cs_sweep_search *a, const cs_sweep_search *b) {
  if (a->nmult != b->nmult) return false;
  for (int i = 0; i < a->nmult; i++)
    if (a->qps_multipliers[i] != b->qps_multipliers[i]) return false;
  return true;
}

/* Vidur's search key leaves out fields that still change a job: num_replicas of a qps or isoqps
 * search, qps of a num_replicas search, the multipliers of an isoqps search. Where two searches
 * of the sweep would give one key and differ only in such fields, the key names them
 * ("_r<replicas>", "_q<qps>", "_m<m1>,<m2>..."), so that each job gets its own run directory;
 * every other search keeps Vidur's key (and existing output directories their hashes). */
static void search_twins(cs__sbuf *sb, const cs_sweep *s, const cs_sweep_search *sc) {
  bool by_rep = sc->search_for == CS_SEARCH_NUM_REPLICAS, reps = false, qps = false, mults = false;
  for (size_t i = 0; i < s->nsearches; i++) {
    const cs_sweep_search *o = &s->searches[i];
    if (o == sc || o->search_for != sc->search_for || strcmp(o->model, sc->model) || strcmp(o->trace, sc->trace) ||
        strcmp(o->num_requests.text, sc->num_requests.text) ||
        strcmp(by_rep ? o->num_replicas.text : o->qps.text, by_rep ? sc->num_replicas.text : sc->qps.text))
      continue;
    if (by_rep) qps |= strcmp(o->qps.text, sc->qps.text) != 0;
    else reps |= strcmp(o->num_replicas.text, sc->num_replicas.text) != 0;
    mults |= sc->search_for == CS_SEARCH_ISOQPS && !same_mults(o, sc);
  }
  if (reps) cs__sbuf_addf(sb, "_r%s", sc->num_replicas.text);
  if (qps) cs__sbuf_addf(sb, "_q%s", sc->qps.text);
  for (int i = 0; mults && i < sc->nmult; i++) {
    char b[40];
    cs__fmt_pyfloat(sc->qps_multipliers[i], b);
    cs__sbuf_addf(sb, "%s%s", i ? "," : "_m", b);
  }
}

char *cs_sweep_job_key(const cs_sweep *s, const cs_sweep_job *j) {
  const cs_sweep_model *m = &s->models[j->model];
  const cs_sweep_trace *t = &s->traces[j->trace];
  const cs_sweep_cluster *c = &s->clusters[j->cluster];
  const cs_sweep_gsched *g = &s->gscheds[j->gsched];
  const cs_sweep_rsched *r = &s->rscheds[j->rsched];
  const cs_sweep_search *sc = &s->searches[j->search];
  if (s->from_v0 && !j->disagg) return cs__sweep_v0_key(s, j);
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__sbuf_addf(&sb, "%s_%s_tk%s_%s_%s", m->name, t->name, t->max_seq_len.text, c->network_device, g->scheduler);
  if (g->has_top_k) cs__sbuf_addf(&sb, "_topk%s", g->top_k.text);
  if (g->has_tolerance) cs__sbuf_addf(&sb, "_%sx", g->tolerance_factor.text);
  extra_params(&sb, g->policy, g->nparams, g->param_names, g->param_values, "top_k", "tolerance_factor");
  cs__sbuf_addf(&sb, "_%s_%s", s->queues[j->queue].name, r->scheduler);
  if (r->has_chunk) cs__sbuf_addf(&sb, "_cs%s", r->chunk_size.text);
  extra_params(&sb, r->policy, r->nparams, r->param_names, r->param_values, "chunk_size", "chunk_size");
  cs__sbuf_addf(&sb, "_tp%d_pp%d_bsz%lld_slo%s_search", j->tp, j->pp, (long long)j->batch_size * j->pp,
                s->slos[j->slo].name);
  if (sc->search_for == CS_SEARCH_NUM_REPLICAS)
    cs__sbuf_addf(&sb, "num_replicas_r%s_reqs%s", sc->num_replicas.text, sc->num_requests.text);
  else
    cs__sbuf_addf(&sb, "%s_q%s_reqs%s", cs_search_kind_name(sc->search_for), sc->qps.text, sc->num_requests.text);
  search_twins(&sb, s, sc);
  if (j->ep > 1) cs__sbuf_addf(&sb, "_ep%d", j->ep); /* capsearch extension (docs/disaggregation.md) */
  if (j->disagg) /* capsearch extension: the pools (docs/disaggregation.md) */
    cs__sbuf_addf(&sb, "_disagg%dp_tp%d_pp%d_%dd_tp%d_pp%d", j->prefill_replicas, j->tp, j->pp, j->decode_replicas,
                  j->decode_tp, j->decode_pp);
  char *detached = cs__sbuf_detach(&sb);
  cs__sbuf_release(&sb); /* detach leaves a fresh empty buffer */
  return detached;
}

void cs_sweep_job_set_infeasible(cs_sweep_job *j, const char *fmt, ...) {
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  va_list ap;
  va_start(ap, fmt);
  cs__sbuf_vaddf(&sb, fmt, ap);
  va_end(ap);
  free(j->reason);
  j->reason = cs__sbuf_detach(&sb);
  cs__sbuf_release(&sb);
  j->status = CS_JOB_INFEASIBLE;
}

static bool excluded(const cs_sweep_model *m, int64_t tp) {
  for (int i = 0; i < m->nexclude; i++)
    if (m->exclude_tp_dims[i] == tp) return true;
  return false;
}

static int cmp_hash_idx(const void *a, const void *b) {
  const cs_sweep_job *const *x = a, *const *y = b;
  int c = strcmp((*x)->hash, (*y)->hash);
  if (c) return c;
  c = strcmp((*x)->key, (*y)->key);
  if (c) return c;
  return (*x)->index < (*y)->index ? -1 : (*x)->index > (*y)->index;
}

double cs_sweep_count_jobs(const cs_sweep *s) {
  double total = 0;
  for (size_t si = 0; si < s->nsearches; si++) {
    const cs_sweep_search *sc = &s->searches[si];
    size_t ng = 0;
    for (size_t gi = 0; gi < s->ngsched; gi++)
      ng += !(sc->search_for == CS_SEARCH_QPS && sc->num_replicas.v == 1 && strcmp(s->gscheds[gi].scheduler, "round_robin"));
    for (size_t mi = 0; mi < s->nmodels; mi++) {
      if (strcmp(s->models[mi].name, sc->model)) continue;
      size_t ntp = 0;
      for (size_t tpi = 0; tpi < s->ntp; tpi++) ntp += !excluded(&s->models[mi], s->tp_dims[tpi]);
      for (size_t ti = 0; ti < s->ntraces; ti++)
        if (!strcmp(s->traces[ti].name, sc->trace))
          total += (double)s->nclusters * (double)ng * (double)s->nqueues * (double)s->nrsched * (double)s->nslos *
                   (double)ntp * (double)s->npp * (double)s->nbatch * (double)(s->nep ? s->nep : 1);
    }
  }
  return total;
}

void cs__sweep_job_name(const cs_sweep *s, cs_sweep_job *j) {
  j->key = cs_sweep_job_key(s, j);
  char hex[41];
  cs__sha1_hex(j->key, strlen(j->key), hex);
  memcpy(j->hash, hex, 8);
  j->hash[8] = '\0';
}

int cs_sweep_expand(const cs_sweep *s, cs_sweep_jobs *out, cs_err *err) {
  cs__job_vec v = {0};
  if (s->from_v0) cs__sweep_expand_v0(s, &v); /* V0's own product and replica counts */
  for (size_t si = 0; !s->from_v0 && si < s->nsearches; si++) {
    const cs_sweep_search *sc = &s->searches[si];
    for (size_t mi = 0; mi < s->nmodels; mi++) {
      if (strcmp(s->models[mi].name, sc->model)) continue; /* rule 1 */
      for (size_t ci = 0; ci < s->nclusters; ci++)
        for (size_t ti = 0; ti < s->ntraces; ti++) {
          if (strcmp(s->traces[ti].name, sc->trace)) continue; /* rule 1 */
          for (size_t gi = 0; gi < s->ngsched; gi++) {
            /* rule 3: a qps search on one replica only needs one router */
            if (sc->search_for == CS_SEARCH_QPS && sc->num_replicas.v == 1 &&
                strcmp(s->gscheds[gi].scheduler, "round_robin"))
              continue;
            for (size_t qi = 0; qi < s->nqueues; qi++)
              for (size_t ri = 0; ri < s->nrsched; ri++)
                for (size_t li = 0; li < s->nslos; li++)
                  for (size_t tpi = 0; tpi < s->ntp; tpi++) {
                    if (excluded(&s->models[mi], s->tp_dims[tpi])) continue; /* rule 2 */
                    for (size_t ppi = 0; ppi < s->npp; ppi++)
                      for (size_t bi = 0; bi < s->nbatch; bi++) {
                        cs_sweep_job j = {0};
                        j.index = v.n;
                        j.search = si, j.model = mi, j.cluster = ci, j.trace = ti;
                        j.gsched = gi, j.queue = qi, j.rsched = ri, j.slo = li;
                        j.tp = (int)s->tp_dims[tpi];
                        j.pp = (int)s->pp_dims[ppi];
                        j.batch_size = (int)s->batch_sizes[bi];
                        j.num_replicas = (int)sc->num_replicas.v;
                        cs__sweep_job_name(s, &j);
                        j.status = CS_JOB_PENDING;
                        if (j.tp > s->clusters[ci].gpus_per_node)
                          cs_sweep_job_set_infeasible(&j, "tp %d > gpus_per_node %d of %s", j.tp,
                                                      s->clusters[ci].gpus_per_node, s->clusters[ci].device);
                        cs__vec_push(&v, j);
                      }
                  }
          }
        }
    }
  }
  cs__sweep_expand_ep(s, &v);
  cs__sweep_expand_disagg(s, &v);
  out->n = v.n;
  out->v = v.v;
  /* Two jobs must never share a run directory: refuse identical keys (the same router listed
   * twice, say) and, however unlikely, two keys whose 8-hex hashes collide. */
  if (v.n > 1) {
    cs_sweep_job **ptr = malloc(v.n * sizeof *ptr);
    for (size_t i = 0; i < v.n; i++) ptr[i] = &v.v[i];
    qsort(ptr, v.n, sizeof *ptr, cmp_hash_idx);
    int rc = 0;
    for (size_t i = 1; i < v.n && rc == 0; i++) {
      const cs_sweep_job *x = ptr[i - 1], *y = ptr[i];
      if (strcmp(x->hash, y->hash)) continue;
      if (!strcmp(x->key, y->key))
        rc = cs_err_set(err, CS_ECONFIG,
                        "%s: jobs %zu and %zu have the same key '%s' (a duplicated entry in the sweep file?)",
                        s->file, x->index, y->index, y->key);
      else /* 8 hex digits of sha1 (Vidur's names) can collide in very large sweeps */
        rc = cs_err_set(err, CS_ECONFIG,
                        "%s: jobs %zu and %zu have different keys but the same hash %s (run directories are "
                        "named by 8 hex digits of sha1, as in Vidur); split the sweep into two files",
                        s->file, x->index, y->index, y->hash);
    }
    free(ptr);
    if (rc) {
      cs_sweep_jobs_release(out);
      return rc;
    }
  }
  if (v.n == 0)
    return cs_err_set(err, CS_ECONFIG,
                      "%s: the sweep expands to no jobs (check that search_configs name models/traces and that "
                      "exclude_tp_dims leave some tp_dimensions)",
                      s->file);
  return 0;
}

void cs_sweep_jobs_release(cs_sweep_jobs *jobs) {
  if (!jobs) return;
  for (size_t i = 0; i < jobs->n; i++) {
    free(jobs->v[i].key);
    free(jobs->v[i].reason);
  }
  free(jobs->v);
  jobs->v = NULL;
  jobs->n = 0;
}
