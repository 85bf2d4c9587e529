/* The probes of disaggregated jobs (docs/disaggregation.md): the aggregated probe's simulator
 * configuration becomes the prefill pool (x replicas at the shape's prefill TP/PP); the decode
 * pool is the same with the decode TP/PP, y replicas and its own predictor. */
#include "capsearch/disagg.h"
#include "runner/runner.h"

static void disagg_config(const cs__plan *plan, const cs_sweep_job *j, const cs_sim_config *cfg, cs_disagg_config *dc) {
  const cs_sweep_disagg *g = &plan->sweep->disagg[j->shape];
  dc->prefill = *cfg;
  dc->prefill.num_replicas = j->prefill_replicas;
  dc->decode = *cfg;
  dc->decode.tp = j->decode_tp;
  dc->decode.pp = j->decode_pp;
  dc->decode.num_replicas = j->decode_replicas;
  dc->decode.predictor = plan->preds[plan->job_pred_decode[j->index]].pred;
  dc->link = (cs_kv_link){.network = cfg->network, .placement = (cs_kv_placement)g->placement};
}

int cs__probe_simulate(const cs__plan *plan, const cs_sweep_job *j, const cs_sim_config *cfg, cs_sim_result **res,
                       cs_err *err) {
  if (!j->disagg) return cs_sim_run(cfg, res, err);
  cs_disagg_config dc;
  disagg_config(plan, j, cfg, &dc);
  return cs_disagg_run(&dc, res, err);
}

int cs__probe_write(const cs__plan *plan, const cs_sweep_job *j, const cs_sim_result *res, const cs_sim_config *cfg,
                    const char *dir, const cs_sim_write_opts *wo, cs_err *err) {
  if (!j->disagg) return cs_sim_write_outputs(res, cfg, dir, wo, err);
  cs_disagg_config dc;
  disagg_config(plan, j, cfg, &dc);
  return cs_disagg_write_outputs(res, &dc, dir, wo, err);
}
