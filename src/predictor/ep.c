/* Expert-parallel all-to-all cost (include/capsearch/ep.h). The DeepEP / DeepSeek-V3 report
 * shape: dispatch and combine are two all-to-alls per MoE layer whose payload is top_k hidden
 * vectors per token; the part that stays inside a node rides NVLink, the part that leaves it the
 * per-GPU NIC, concurrently, so the slower of the two sets the time. */
#include <math.h>

#include "capsearch/ep.h"

int cs_ep_cost_init(cs_ep_cost *c, const cs_model *m, const cs_device *d, const cs_network *net, int ep,
                    double act_bytes, double imbalance, cs_err *err) {
  *c = (cs_ep_cost){.ranks = 1};
  if (ep <= 1) return 0;
  if (m->num_experts <= 0 || m->experts_per_token <= 0)
    return cs_err_set(err, CS_EINFEASIBLE, "expert parallelism (ep %d) needs a mixture-of-experts model; %s is dense", ep,
                      m->name);
  if (m->num_experts % ep)
    return cs_err_set(err, CS_EINFEASIBLE, "ep %d does not divide the %d experts of %s", ep, m->num_experts, m->name);
  if (imbalance == 0) imbalance = CS_EP_DEFAULT_IMBALANCE;
  if (!(imbalance >= 1) || !isfinite(imbalance))
    return cs_err_set(err, CS_ERANGE, "expert load imbalance must be >= 1 (got %g)", imbalance);
  double link = d && d->link_gbps > 0 ? d->link_gbps : 32;
  c->ranks = ep;
  c->moe_layers = m->num_layers - m->first_dense_layers;
  c->bytes_per_token = (double)m->experts_per_token * m->hidden * (act_bytes > 0 ? act_bytes : 2);
  c->intra_Bps = (net && net->intra_bw_gbps > 0 ? net->intra_bw_gbps : link) * 1e9;
  c->inter_Bps = (net && net->inter_bw_gbps > 0 ? net->inter_bw_gbps : link) * 1e9;
  c->intra_lat_s = (net && net->intra_latency_us > 0 ? net->intra_latency_us : 5) * 1e-6;
  c->inter_lat_s = (net && net->inter_latency_us > 0 ? net->inter_latency_us : 5) * 1e-6;
  c->per_node = net && net->devices_per_node > 0 ? net->devices_per_node : 8;
  c->imbalance = imbalance;
  return 0;
}

double cs_ep_layer_seconds(const cs_ep_cost *c, int64_t tokens) {
  if (c->ranks <= 1 || tokens <= 0) return 0;
  double ep = c->ranks;
  double sent = (double)tokens / ep * c->bytes_per_token * c->imbalance; /* the busiest rank's payload */
  int local = c->per_node < c->ranks ? c->per_node : c->ranks;           /* ranks in its node, itself included */
  double intra = sent * (local - 1) / ep, inter = sent * (ep - local) / ep;
  double t_intra = intra > 0 ? c->intra_lat_s + intra / c->intra_Bps : 0;
  double t_inter = inter > 0 ? c->inter_lat_s + inter / c->inter_Bps : 0;
  return 2 * (t_intra > t_inter ? t_intra : t_inter); /* dispatch + combine */
}
