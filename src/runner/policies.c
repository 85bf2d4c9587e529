/* Checks the sweep's policy choices against the registries (sim.h, predictor.h): scheduler,
 * router and queue names (unknown ones get a suggestion) and each entry's parameters against
 * the policy's declared cs_param_spec (a misspelled 'chunk_sise' gets 'chunk_size'). */
#include <stdio.h>
#include <string.h>

#include "capsearch/predictor.h"
#include "capsearch/sim.h"
#include "capsearch/sweep.h"

static int check_params(const cs_policy_info *info, int n, const char *const *names, const double *values,
                        const char *where, bool sweep_sets_batch, cs_err *err) {
  cs_params p = {0};
  for (int i = 0; i < n; i++) {
    int rc = cs_params_set(&p, info->params, info->nparams, info->name, names[i], values[i], where, err);
    if (rc) return rc;
  }
  /* the sweep itself provides batch_size_cap (batch_sizes x pp) and max_tokens_in_batch */
  if (sweep_sets_batch)
    for (size_t i = 0; i < info->nparams; i++)
      if (!strcmp(info->params[i].name, "batch_size_cap") || !strcmp(info->params[i].name, "max_tokens_in_batch"))
        if (!cs_params_has(&p, info->params[i].name))
          cs_params_set(&p, info->params, info->nparams, info->name, info->params[i].name, info->params[i].def, where,
                        NULL);
  return cs_params_finish(&p, info->params, info->nparams, info->name, where, err);
}

int cs_sweep_check_policies(const cs_sweep *s, cs_err *err) {
  char where[600];
  const cs_policy_info *info;
  int rc;
  for (size_t i = 0; i < s->ngsched; i++) {
    const cs_sweep_gsched *g = &s->gscheds[i];
    snprintf(where, sizeof where, "%s:%d:%d: global_schedulers[%zu]", s->file, g->line, g->col, i);
    if ((rc = cs_global_sched_info(g->scheduler, &info, err))) {
      cs_err_prefix(err, "%s", where);
      return rc;
    }
    if ((rc = check_params(info, g->nparams, g->param_names, g->param_values, where, false, err))) return rc;
  }
  for (size_t i = 0; i < s->nrsched; i++) {
    const cs_sweep_rsched *r = &s->rscheds[i];
    snprintf(where, sizeof where, "%s:%d:%d: replica_schedulers[%zu]", s->file, r->line, r->col, i);
    if ((rc = cs_replica_sched_info(r->scheduler, &info, err))) {
      cs_err_prefix(err, "%s", where);
      return rc;
    }
    if ((rc = check_params(info, r->nparams, r->param_names, r->param_values, where, true, err))) return rc;
  }
  for (size_t i = 0; i < s->nqueues; i++) {
    const cs_sweep_queue *q = &s->queues[i];
    snprintf(where, sizeof where, "%s:%d:%d: request_queues[%zu]", s->file, q->line, q->col, i);
    if ((rc = cs_request_queue_info(q->provider, &info, err))) {
      cs_err_prefix(err, "%s", where);
      return rc;
    }
    const char *name = "slo_prefill_e2e_time_normalized";
    double v = q->slo_prefill_e2e_time_normalized;
    if ((rc = check_params(info, q->has_slo_norm ? 1 : 0, &name, &v, where, false, err))) return rc;
  }
  const cs_predictor_ops *ops;
  snprintf(where, sizeof where, "%s: predictor", s->file);
  if ((rc = cs_predictor_find(s->predictor, &ops, err))) {
    cs_err_prefix(err, "%s", where);
    return rc;
  }
  return check_params(&ops->info, s->npredictor_params, s->predictor_param_names, s->predictor_param_values, where, false,
                      err);
}
