/* Resolves the sweep's policy choices once, at load (sweep.h): scheduler, router and queue names
 * against the registries (unknown ones get a suggestion), each entry's parameters against the
 * policy's declared field table (a misspelled 'chunk_sise' gets 'chunk_size', a value outside
 * the declared bounds names its place), and the registry entry stored in the sweep entry, so
 * the runner and the simulations it starts never look a name up again. */
#include <stdio.h>
#include <string.h>

#include "capsearch/predictor.h"
#include "capsearch/sim.h"
#include "capsearch/sweep.h"
#include "runner/runner.h"

/* The sweep itself provides these per job (batch_sizes x pp, the trace's max_seq_len). */
static const unsigned from_sweep = CS_PARAM_FROM_BATCH_SIZE | CS_PARAM_FROM_MAX_SEQ_LEN;

/* Where a policy entry's parameters are written: the entry (file:line:col: label) and, when
 * known, each parameter's key, so a message points at the key it is about. */
typedef struct entry_place {
  const char *file, *label;
  int line, col;                     /* line < 0: the file has no place for it (the predictor) */
  const int *param_line, *param_col; /* NULL: only the entry's place is known */
} entry_place;

static void place_text(const entry_place *pl, int i, char *buf, size_t size) {
  bool own = i >= 0 && pl->param_line && pl->param_line[i] > 0;
  if (pl->line < 0 && !own) snprintf(buf, size, "%s: %s", pl->file, pl->label);
  else snprintf(buf, size, "%s:%d:%d: %s", pl->file, own ? pl->param_line[i] : pl->line, own ? pl->param_col[i] : pl->col,
                pl->label);
}

static int check_params(const cs_policy_info *info, int n, const char *const *names, const double *values,
                        const entry_place *pl, bool sweep_sets_batch, cs_err *err) {
  cs_params p = {0};
  char where[600];
  for (int i = 0; i < n; i++) {
    place_text(pl, i, where, sizeof where);
    int rc = cs_params_set(&p, info->params, info->nparams, info->name, names[i], values[i], where, err);
    if (rc) return rc;
    for (size_t k = 0; sweep_sets_batch && k < info->nparams; k++)
      if ((info->params[k].flags & from_sweep) && !strcmp(info->params[k].name, names[i]))
        return cs_err_set(err, CS_ECONFIG, "%s: %s.%s is set by the sweep for each job (from %s); remove it here",
                          where, info->name, names[i],
                          info->params[k].flags & CS_PARAM_FROM_BATCH_SIZE ? "batch_sizes x pp" : "max_seq_len");
  }
  place_text(pl, -1, where, sizeof where);
  if (sweep_sets_batch)
    for (size_t i = 0; i < info->nparams; i++)
      if ((info->params[i].flags & from_sweep) && !cs_params_has(&p, info->params[i].name))
        cs_params_set(&p, info->params, info->nparams, info->name, info->params[i].name, info->params[i].def, where,
                      NULL);
  return cs_params_finish(&p, info->params, info->nparams, info->name, where, err);
}

static int find(int (*lookup)(const char *, const cs_policy_info **, cs_err *), const char *name,
                const char *where, const cs_policy_info **out, cs_err *err) {
  int rc = lookup(name, out, err);
  if (rc) cs_err_prefix(err, "%s", where);
  return rc;
}

int cs_sweep_resolve_policies(cs_sweep *s, cs_err *err) {
  char where[600], label[64];
  const cs_policy_info *info;
  int rc;
  for (size_t i = 0; i < s->ngsched; i++) {
    cs_sweep_gsched *g = &s->gscheds[i];
    snprintf(label, sizeof label, "global_schedulers[%zu]", i);
    entry_place pl = {s->file, label, g->line, g->col, g->param_line, g->param_col};
    place_text(&pl, -1, where, sizeof where);
    if ((rc = find(cs_global_sched_info, g->scheduler, where, &info, err)) ||
        (rc = check_params(info, g->nparams, g->param_names, g->param_values, &pl, false, err)))
      return rc;
    g->policy = info;
  }
  for (size_t i = 0; i < s->nrsched; i++) {
    cs_sweep_rsched *r = &s->rscheds[i];
    snprintf(label, sizeof label, "replica_schedulers[%zu]", i);
    entry_place pl = {s->file, label, r->line, r->col, r->param_line, r->param_col};
    place_text(&pl, -1, where, sizeof where);
    if ((rc = find(cs_replica_sched_info, r->scheduler, where, &info, err)) ||
        (rc = check_params(info, r->nparams, r->param_names, r->param_values, &pl, true, err)))
      return rc;
    r->policy = info;
  }
  for (size_t i = 0; i < s->nqueues; i++) {
    cs_sweep_queue *q = &s->queues[i];
    snprintf(label, sizeof label, "request_queues[%zu]", i);
    entry_place pl = {s->file, label, q->line, q->col, &q->slo_norm_line, &q->slo_norm_col};
    place_text(&pl, -1, where, sizeof where);
    const char *name = "slo_prefill_e2e_time_normalized";
    double v = q->slo_prefill_e2e_time_normalized;
    if ((rc = find(cs_request_queue_info, q->provider, where, &info, err)) ||
        (rc = check_params(info, q->has_slo_norm ? 1 : 0, &name, &v, &pl, false, err)))
      return rc;
    q->policy = info;
  }
  const cs_predictor_ops *ops;
  if (s->predictor_line > 0)
    snprintf(where, sizeof where, "%s:%d:%d: predictor", s->file, s->predictor_line, s->predictor_col);
  else
    snprintf(where, sizeof where, "%s: predictor", s->file);
  if ((rc = cs_predictor_find(s->predictor, &ops, err))) {
    cs_err_prefix(err, "%s", where);
    return rc;
  }
  entry_place pl = {s->file, "predictor", -1, -1, s->predictor_param_line, s->predictor_param_col};
  return check_params(&ops->info, s->npredictor_params, s->predictor_param_names, s->predictor_param_values, &pl,
                      false, err);
}

bool cs__job_policy_params_fit(const cs_sweep *s, cs_sweep_job *j) {
  const cs_sweep_rsched *r = &s->rscheds[j->rsched];
  if (!r->policy || j->status == CS_JOB_INFEASIBLE) return true;
  for (size_t i = 0; i < r->policy->nparams; i++) {
    const cs_param_spec *ps = &r->policy->params[i];
    double v;
    if (ps->flags & CS_PARAM_FROM_BATCH_SIZE) v = (double)j->batch_size * j->pp;
    else if (ps->flags & CS_PARAM_FROM_MAX_SEQ_LEN) v = s->traces[j->trace].max_seq_len.v;
    else continue;
    if (v < ps->range.min || v > ps->range.max) {
      cs_sweep_job_set_infeasible(j, "replica scheduler '%s' takes %s from %g to %g, the job asks %g (%s)",
                                  r->policy->name, ps->name, ps->range.min, ps->range.max, v,
                                  ps->flags & CS_PARAM_FROM_BATCH_SIZE ? "batch size x pp" : "the trace's max_seq_len");
      return false;
    }
  }
  return true;
}
