/* KV-cache transfer between a prefill and a decode replica (docs/disaggregation.md).
 *
 * Bytes: the whole prompt's KV cache, all layers (cs_kv_bytes_per_token x prompt tokens).
 * Time: every GPU of the sending replica holds a shard (its TP heads, its PP layers) and sends it
 * over its own link, so min(prefill GPUs, decode GPUs) links run in parallel (the narrower side
 * receives or sends through fewer links); each link runs at the network profile's per-GPU
 * bandwidth, intra-node (NVLink) when the pools share a node, inter-node (one NIC per GPU)
 * otherwise, plus the profile's one-message latency. Splitwise §4.3 / DistServe §4.3 use the same
 * "bytes / link bandwidth" estimate; their layer-wise overlap with the prefill is not modelled
 * (the transfer starts when the prefill ends: conservative). */
#include <math.h>
#include <string.h>

#include "capsearch/disagg.h"

double cs_kv_bytes_per_token(const cs_model *m, double elem_bytes) {
  if (elem_bytes <= 0) elem_bytes = 2;
  double L = m->num_layers;
  if (m->kv_lora_rank > 0) return L * (double)(m->kv_lora_rank + m->qk_rope_head_dim) * elem_bytes;
  double hd = m->head_dim > 0 ? m->head_dim : (double)m->hidden / (m->num_q_heads > 0 ? m->num_q_heads : 1);
  int kvh = m->num_kv_heads > 0 ? m->num_kv_heads : m->num_q_heads;
  return 2.0 * L * (double)kvh * hd * elem_bytes;
}

static int gpus_of(const cs_sim_config *c) { return c->tp * c->pp; }

int cs_kv_path_resolve(const cs_disagg_config *cfg, cs_kv_path *out, cs_err *err) {
  memset(out, 0, sizeof *out);
  const cs_network *net = cfg->link.network ? cfg->link.network : cfg->prefill.network;
  if (!net)
    return cs_err_set(err, CS_ECONFIG, "disaggregation: no network profile between the prefill and decode pools");
  if (!cfg->prefill.model) return cs_err_set(err, CS_ECONFIG, "disaggregation: no model given");
  int gp = gpus_of(&cfg->prefill), gd = gpus_of(&cfg->decode);
  if (gp < 1 || gd < 1) return cs_err_set(err, CS_ECONFIG, "disaggregation: pool TP and PP must be >= 1");
  bool inter;
  switch (cfg->link.placement) {
  case CS_KV_INTRA: inter = false; break;
  case CS_KV_INTER: inter = true; break;
  default: {
    /* one node only holds one device type, and only as many GPUs as the profile says */
    bool same_dev = cfg->prefill.device && cfg->decode.device &&
                    (cfg->prefill.device == cfg->decode.device ||
                     !strcmp(cfg->prefill.device->name, cfg->decode.device->name));
    int64_t total = (int64_t)cfg->prefill.num_replicas * gp + (int64_t)cfg->decode.num_replicas * gd;
    inter = !same_dev || net->devices_per_node < 1 || total > net->devices_per_node;
  }
  }
  double bw = inter ? net->inter_bw_gbps : net->intra_bw_gbps;
  double lat = inter ? net->inter_latency_us : net->intra_latency_us;
  if (!(bw > 0))
    return cs_err_set(err, CS_ECONFIG, "network '%s' has no %s bandwidth for the KV transfer", net->name,
                      inter ? "inter-node" : "intra-node");
  out->inter_node = inter;
  out->lanes = gp < gd ? gp : gd;
  out->lane_gbps = bw;
  out->latency_s = lat > 0 ? lat * 1e-6 : 0;
  out->bytes_per_token = cs_kv_bytes_per_token(cfg->prefill.model, cfg->link.kv_elem_bytes);
  return 0;
}

double cs_kv_transfer_seconds(const cs_kv_path *p, int64_t tokens) {
  double bytes = p->bytes_per_token * (double)tokens;
  return p->latency_s + bytes / ((double)p->lanes * p->lane_gbps * 1e9);
}
