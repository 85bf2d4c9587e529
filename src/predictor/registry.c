/* Registry of execution-time predictors and the thin object wrapping one instance.
 * Each predictor is a static const cs_predictor_ops table in its own file; adding one is a line
 * here. The list order is the documentation / `capsearch list predictors` order, default first. */
#include <stdlib.h>
#include <string.h>

#include "capsearch/ep.h"
#include "predictor/internal.h"
#include "util/sbuf.h"
#include "util/text.h"

static const cs_predictor_ops *const predictors[] = {
    &cs__pred_roofline,
    &cs__pred_profile,
    &cs__pred_constant,
    NULL,
};

struct cs_predictor {
  const cs_predictor_ops *ops;
  void *state;
  cs_ep_cost ep;       /* ranks 1 = no expert parallelism */
  int layers_per_stage, first_dense;
};

static const cs_registry_entry *const entries[] = {
    &cs__pred_roofline.info,
    &cs__pred_profile.info,
    &cs__pred_constant.info,
    NULL,
};
static const cs_registry registry = {"predictor", entries};

const cs_registry *cs_predictors(void) { return &registry; }
const cs_predictor_ops *const *cs_predictor_registry(void) { return predictors; }

int cs_predictor_find(const char *name, const cs_predictor_ops **out, cs_err *err) {
  const cs_registry_entry *e;
  if (!name) return cs_err_set(err, CS_EINVAL, "no predictor name given");
  int rc = cs_registry_find(&registry, name, &e, err);
  if (rc) return rc;
  *out = (const cs_predictor_ops *)e; /* the entry is the ops table's first member */
  return 0;
}

int cs_predictor_new(const cs_predictor_ops *ops, const cs_predictor_ctx *ctx, cs_predictor **out, cs_err *err) {
  *out = NULL;
  if (!ops || !ctx) return cs_err_set(err, CS_EINVAL, "cs_predictor_new: no predictor or context given");
  if (ctx->tp < 1 || ctx->pp < 1)
    return cs_err_set(err, CS_EINVAL, "predictor '%s': tensor and pipeline parallel sizes must be >= 1 (got TP %d, PP %d)",
                      ops->info.name, ctx->tp, ctx->pp);
  /* Defaults for every parameter the caller did not set (the completed list is what the
   * profile predictor's cache key hashes), then every value checked against the declared table
   * and bound into the predictor's own struct: the predictor reads fields, never names. */
  cs_predictor_ctx c = *ctx;
  int rc = cs_params_finish(&c.params, ops->info.params, ops->info.nparams, ops->info.name, "predictor", err);
  if (rc) return rc;
  void *bound = cs__xcalloc(1, ops->info.params_size ? ops->info.params_size : 1);
  if ((rc = cs_params_bind(ops->info.params, ops->info.nparams, &c.params, bound, ops->info.name, "predictor", err))) {
    free(bound);
    return rc;
  }
  cs_ep_cost ep = {.ranks = 1};
  if (c.ep > 1 && (rc = cs_ep_cost_init(&ep, c.model, c.device, c.network, c.ep, 0, c.ep_imbalance, err))) {
    free(bound);
    return rc;
  }
  if (c.dp > 1 && !ops->ep_layers) {
    free(bound);
    return cs_err_set(err, CS_EINFEASIBLE,
                      "predictor '%s' cannot split a batch over data-parallel attention ranks (dp %d); use 'roofline'",
                      ops->info.name, c.dp);
  }
  if (ops->ep_layers) ep = (cs_ep_cost){.ranks = 1}; /* it costs EP's MoE layers itself */
  void *state = NULL;
  rc = ops->create(&c, bound, &state, err);
  free(bound);
  if (rc) return rc;
  cs_predictor *p = cs__xcalloc(1, sizeof *p);
  p->ops = ops;
  p->state = state;
  p->ep = ep;
  if (c.model) {
    p->layers_per_stage = c.model->num_layers / c.pp;
    p->first_dense = c.model->first_dense_layers;
  }
  *out = p;
  return 0;
}

void cs_predictor_free(cs_predictor *p) {
  if (!p) return;
  if (p->ops->destroy) p->ops->destroy(p->state);
  free(p);
}

void cs_predictor_stage_time(const cs_predictor *p, const cs_batch_view *batch, int stage_id, cs_stage_time *out) {
  p->ops->stage_time(p->state, batch, stage_id, out);
  if (p->ep.ranks > 1) { /* the MoE layers of this stage: dispatch + combine */
    int lo = stage_id * p->layers_per_stage, hi = lo + p->layers_per_stage;
    int moe = hi - (lo > p->first_dense ? lo : p->first_dense);
    double a2a = moe > 0 ? moe * cs_ep_layer_seconds(&p->ep, batch->total_tokens) : 0;
    out->total_s += a2a;
    out->model_s += a2a;
  }
}

const cs_predictor_ops *cs_predictor_get_ops(const cs_predictor *p) { return p->ops; }

const char *cs_predictor_describe(const cs_predictor *p) {
  if (!p) return "";
  if (p->ops->describe) return p->ops->describe(p->state);
  return p->ops->info.summary;
}
