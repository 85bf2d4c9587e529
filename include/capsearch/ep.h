/* Expert parallelism (EP) for mixture-of-experts models (docs/disaggregation.md, "Expert
 * parallelism"): a replica's routed experts are split across `ep` GPUs, whole experts per GPU,
 * and every MoE layer sends each token's hidden state to the GPUs holding its top-k experts
 * (dispatch) and brings the weighted outputs back (combine), two all-to-alls over the network
 * profile. Used by the predictors (cs_predictor_ctx.ep); the memory planner's
 * expert_parallel (cs_memplan_input) splits the expert weights the same way.
 *
 * Ownership: plain values; the model and network are borrowed. */
#ifndef CAPSEARCH_EP_H
#define CAPSEARCH_EP_H

#include <stdbool.h>
#include <stdint.h>

#include "capsearch/catalog.h"
#include "capsearch/error.h"

/* The stated load-imbalance assumption: the busiest EP rank receives this multiple of the mean
 * traffic (routing is never perfectly uniform; DeepSeek-V3's and Mixtral's published expert
 * loads put the hottest expert at roughly 1.2-1.5x the mean without a load balancer). */
#define CS_EP_DEFAULT_IMBALANCE 1.3

typedef struct cs_ep_cost {
  int ranks;                /* ep */
  int moe_layers;           /* layers with routed experts */
  double bytes_per_token;   /* one token's dispatch (or combine) payload: top_k x hidden x act bytes */
  double intra_Bps, inter_Bps, intra_lat_s, inter_lat_s;
  int per_node;             /* GPUs per node (EP ranks beyond it talk across nodes) */
  double imbalance;         /* >= 1 */
} cs_ep_cost;

/* Checks ep against the model (MoE, ep divides num_experts) and fills the cost constants from
 * the network profile (NULL: the device's link, 8 GPUs a node). act_bytes 0 = 2 (bf16);
 * imbalance 0 = CS_EP_DEFAULT_IMBALANCE. */
int cs_ep_cost_init(cs_ep_cost *c, const cs_model *m, const cs_device *d, const cs_network *net, int ep,
                    double act_bytes, double imbalance, cs_err *err);

/* Seconds of one MoE layer's dispatch + combine for a batch of `tokens` tokens spread evenly over
 * the EP ranks: each rank sends its tokens' payload to the other ranks ((ep - 1) / ep of it
 * leaves the GPU; the part bound for other nodes at the inter-node bandwidth, the rest at the
 * intra-node one, both at once), the busiest rank carrying `imbalance` x the mean; twice
 * (dispatch and combine), each with one message latency. 0 when ep <= 1 or tokens <= 0. */
double cs_ep_layer_seconds(const cs_ep_cost *c, int64_t tokens);

#endif
