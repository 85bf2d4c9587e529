/* Expert-parallel MoE layers in the roofline predictor (internal.h, "Expert-parallel MoE layers";
 * docs/disaggregation.md, "Expert parallelism").
 *
 * Tensor parallelism slices every expert's width over the TP ranks: each rank reads 1/tp of
 * every expert the step touches and computes 1/tp of every routed token's FLOPs (roofline_ops.c).
 * Expert parallelism hands out whole experts, num_experts / ep per rank, so each rank computes
 * only the tokens routed to its own experts. The step waits for the busiest rank, which gets
 * `imbalance` x the mean routed tokens (the stated assumption of include/capsearch/ep.h) and
 * reads whole experts: at least one as soon as any token reaches it. Small batches therefore
 * pay more weight traffic under EP (a decode step that touches two experts reads 1/tp of each
 * under TP, one whole expert on the busiest EP rank), and large batches pay the imbalance.
 *
 * Communication. dp = 1 (vLLM --enable-expert-parallel with TP only): the TP all-reduce after
 * attention leaves every token on every rank, each rank runs its experts on the tokens routed to
 * them and the partial outputs are summed by the same all-reduce as under TP; no all-to-all.
 * dp > 1 (vLLM --data-parallel-size with --enable-expert-parallel, "wide EP"): dp attention
 * ranks of TP tp each hold their share of the batch's requests (dealt round-robin); every MoE
 * layer dispatches tokens to their experts and combines them back (ep.c's all-to-all over the
 * EP group's tokens) and has no all-reduce; the router and shared experts run on each attention
 * rank's own tokens at its TP, and so do dense layers. The MoE exchange is a barrier, so every
 * layer waits for the slowest attention rank. */
#include <math.h>
#include <stdlib.h>

#include "predictor/internal.h"
#include "util/sbuf.h"

/* The router and the shared experts of one MoE layer on an attention rank's T tokens, at the
 * attention TP (r->Hmoe is one TP shard of an expert's width), ms. */
static double router_shared_ms(const cs__roofline *r, double T) {
  const cs_model *m = r->model;
  if (T <= 0) return 0;
  double s = cs__roofline_gemm_ms(r, T, r->E, m->num_experts), sh = m->num_shared_experts * r->Hmoe;
  if (sh > 0)
    s += cs__roofline_gemm_ms(r, T, r->E, (m->gated_mlp ? 2 : 1) * sh) + cs__roofline_gemm_ms(r, T, sh, r->E) +
         cs__roofline_elem_ms(r, r->act_bytes * T * sh * (m->gated_mlp ? 3 : 2), CS__OP_MLP_ACT, T);
  return s;
}

double cs__roofline_ep_experts_ms(const cs__roofline *r, const cs__roofline_ep *e, double T) {
  const cs_model *m = r->model;
  if (T <= 0 || e->ep <= 1) return 0;
  double N = m->num_experts, k = m->experts_per_token, ep = e->ep, local = N / ep, E = r->E;
  double H = m->moe_mlp_hidden > 0 ? m->moe_mlp_hidden : m->mlp_hidden, up = (m->gated_mlp ? 2 : 1) * H;
  double wb = m->weight_bytes > 0 ? m->weight_bytes : 2.0, ab = r->act_bytes;
  /* token-expert pairs on the busiest rank: the mean x imbalance, at least one, at most every
   * token on as many of its experts as the rank holds */
  double hits = k < local ? k : local, routed = T * k / ep * e->imbalance;
  if (routed < 1) routed = 1;
  if (routed > T * hits) routed = T * hits;
  /* whole experts it reads: its share of the distinct experts touched, x imbalance, >= 1 */
  double touched = e->imbalance * N * (1.0 - pow((N - k) / N, T)) / ep;
  if (touched < 1) touched = 1;
  if (touched > local) touched = local;
  return cs__roofline_kernel_ms(r, 2 * routed * E * up, wb * touched * E * up + ab * routed * (E + up)) +
         cs__roofline_kernel_ms(r, 2 * routed * H * E, wb * touched * H * E + ab * routed * (H + E)) +
         cs__roofline_elem_ms(r, ab * routed * H * (m->gated_mlp ? 3 : 2), CS__OP_MLP_ACT, routed);
}

double cs__roofline_ep_moe_layer_ms(const cs__roofline *r, const cs__roofline_ep *e, double T) {
  return cs__roofline_common_ms(r, T) + router_shared_ms(r, T) + cs__roofline_ep_experts_ms(r, e, T);
}

/* dp > 1: one attention rank's part of a MoE layer with T tokens (no MLP all-reduce: the
 * combine all-to-all sums the experts' outputs), ms. */
static double side_ms(const cs__roofline *r, const cs__roofline_ep *e, double T) {
  (void)e;
  return cs__roofline_common_ms(r, T) - cs__roofline_tok_op_ms(r, CS__OP_ALL_REDUCE, T) + router_shared_ms(r, T);
}

/* dp > 1: routed experts on the busiest rank and the dispatch + combine of the group's T tokens. */
static double exchange_ms(const cs__roofline *r, const cs__roofline_ep *e, double T) {
  return cs__roofline_ep_experts_ms(r, e, T) + cs_ep_layer_seconds(&e->a2a, (int64_t)T) * 1e3;
}

static double lookup(const double *tab, int64_t n, int64_t T, double closed) { return T < n ? tab[T] : closed; }

double cs__roofline_ep_stage_ms(const cs__roofline *r, const cs__roofline_ep *e, const cs_batch_view *b, int nd,
                                int nm, const double *dense_ms, int64_t tab) {
  double attn[CS__ROOFLINE_MAX_DP], dense = 0, side = 0;
  int64_t tok[CS__ROOFLINE_MAX_DP];
  cs__roofline_attn_ranks_ms(r, b, e->dp, attn, tok);
  for (int j = 0; j < e->dp; j++) { /* every layer waits for the slowest attention rank */
    double T = (double)tok[j];
    double d = nd > 0 ? attn[j] + (dense_ms && tok[j] < tab ? dense_ms[tok[j]] : cs__roofline_layer_ms(r, T, false)) : 0;
    double s = attn[j] + (tok[j] < e->ntab ? e->side_ms[tok[j]] : side_ms(r, e, T));
    if (d > dense) dense = d;
    if (s > side) side = s;
  }
  int64_t T = b->total_tokens;
  return nd * dense + nm * (side + lookup(e->experts_ms, e->ntab, T, exchange_ms(r, e, (double)T)));
}

int cs__roofline_ep_init(cs__roofline_ep *e, const cs__roofline *r, const cs_predictor_ctx *ctx, int64_t ntab,
                         cs_err *err) {
  *e = (cs__roofline_ep){.ep = 1, .dp = 1, .imbalance = 1};
  int dp = ctx->dp > 1 ? ctx->dp : 1;
  if (ctx->ep <= 1) {
    if (dp > 1)
      return cs_err_set(err, CS_EINFEASIBLE,
                        "data-parallel attention (dp %d) needs expert parallelism over its tp x dp = %d GPUs (ep)", dp,
                        ctx->tp * dp);
    return 0;
  }
  if (dp > CS__ROOFLINE_MAX_DP)
    return cs_err_set(err, CS_ERANGE, "data-parallel attention ranks must be <= %d (got dp %d)", CS__ROOFLINE_MAX_DP, dp);
  if (ctx->ep != ctx->tp * dp)
    return cs_err_set(err, CS_EINFEASIBLE,
                      "ep %d must equal tp %d x dp %d: the experts are split over the GPUs of the replica's attention "
                      "ranks",
                      ctx->ep, ctx->tp, dp);
  int rc = cs_ep_cost_init(&e->a2a, ctx->model, ctx->device, ctx->network, ctx->ep, 0, ctx->ep_imbalance, err);
  if (rc) return rc;
  e->ep = ctx->ep;
  e->dp = dp;
  e->imbalance = e->a2a.imbalance;
  e->ntab = ntab > 0 ? ntab : 0;
  size_t n = (size_t)e->ntab;
  if (dp == 1) {
    e->moe_ms = cs__xmalloc(sizeof(double) * (n ? n : 1));
    for (size_t t = 0; t < n; t++) e->moe_ms[t] = cs__roofline_ep_moe_layer_ms(r, e, (double)t);
    return 0;
  }
  e->side_ms = cs__xmalloc(sizeof(double) * (n ? n : 1));
  e->experts_ms = cs__xmalloc(sizeof(double) * (n ? n : 1));
  for (size_t t = 0; t < n; t++) {
    e->side_ms[t] = side_ms(r, e, (double)t);
    e->experts_ms[t] = exchange_ms(r, e, (double)t);
  }
  return 0;
}

void cs__roofline_ep_release(cs__roofline_ep *e) {
  free(e->moe_ms);
  free(e->side_ms);
  free(e->experts_ms);
  *e = (cs__roofline_ep){.ep = 1, .dp = 1, .imbalance = 1};
}
