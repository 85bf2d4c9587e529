/* Roofline model of the attention kernels vLLM runs (FlashAttention-2 style), per layer shard.
 *
 * Prefill (varlen / chunked, causal, GQA): one CTA per (request, query head, 128-row query tile);
 * every query row attends to the cached context and to the causal part of its own chunk, the
 * partly masked diagonal tile computed whole. Compute runs at eff_c x attn_eff of the dense peak,
 * with fewer CTAs than about 0.8 x SMs FlashAttention-2 splits the context across CTAs (one more
 * small combine kernel when there is cached context). Two CTAs share an SM, so partial waves
 * barely show in prefill (a100: none measurable).
 * Traffic: K/V of the context read once, Q read and O written (no score matrix in HBM).
 *
 * Decode (one query token per request, paged or contiguous KV): memory-bound. One CTA per
 * (request, KV head), the query heads of a GQA group packed into it. With fewer CTAs than SMs the
 * kernel splits the context (split-KV); either way it streams at the part's streaming share
 * (eff_m x the decode scale), as in CUDA graphs (h200 layers.csv: >= 85% of HBM at every batch).
 * dec_eff > 0 models a kernel that, with two or more CTAs per SM, reaches only that share of HBM
 * (h200 attention.csv, eager SDPA calls: about half), linear between one and two CTAs per SM;
 * `predictor check` sets it for such profiles only.
 *
 * MLA (DeepSeek) caches one latent vector per token shared by all heads and decodes absorbed
 * (FlashMLA-style): one CTA per request and 64 query heads. */
#include <math.h>

#include "predictor/internal.h"

typedef struct attn_acc {
  double flops, bytes, ctas;
  bool cached; /* a prefill over cached context: split-KV when few CTAs, plus its combine kernel */
} attn_acc;

static void add_item(const cs__roofline *r, double c, double p, bool prefill, attn_acc *a) {
  double ab = r->act_bytes;
  double diag = prefill ? (c < CS__ROOFLINE_ATTN_QTILE ? c : CS__ROOFLINE_ATTN_QTILE) / 2.0 : 0;
  double ctx = p + r->causal_w * ((c + 1) / 2.0 + diag);
  double qtiles = prefill ? ceil(c / CS__ROOFLINE_ATTN_QTILE) : 1;
  if (r->mla) {
    double lat_d = r->kv_lora + r->rope_d;
    a->flops += 2.0 * r->nq * c * ctx * (lat_d + r->kv_lora);
    a->bytes += ab * ((p + c) * lat_d + 2.0 * c * r->nq * lat_d);
    a->ctas += prefill ? qtiles * r->nq : ceil(r->nq / 64.0);
  } else {
    a->flops += 4.0 * r->nq * r->d * c * ctx;
    a->bytes += ab * (2.0 * r->nkv * r->d * (p + c) + 2.0 * r->nq * r->d * c);
    a->ctas += prefill ? qtiles * r->nq : r->nkv;
  }
  a->cached |= prefill && p > 0;
}

static double mem_share(const cs__roofline *r, int kernel) {
  double e = r->eff_m * r->mem_scale[kernel];
  return e < 1.0 ? e : 1.0;
}

static double decode_kernel_ms(const cs__roofline *r, const attn_acc *a) {
  if (a->bytes <= 0) return 0;
  double hi = mem_share(r, CS__RL_DECODE), lo = r->dec_eff > 0 ? r->dec_eff : hi;
  double x = a->ctas / r->n_sm, share = x <= 1 ? hi : x >= 2 ? lo : hi + (lo - hi) * (x - 1);
  /* past one wave without splits the last wave is partial: half of its idle SMs show in time */
  double waves = x < 0.8 ? 1.0 : 1.0 + 0.5 * (ceil(x) / x - 1.0);
  double tc = a->flops / (r->peak_flops * r->eff_c * r->attn_eff), tm = a->bytes * waves / (r->hbm_bps * share);
  return ((tc > tm ? tc : tm) + r->attn_lat_s) * 1e3;
}

static double prefill_kernel_ms(const cs__roofline *r, const attn_acc *a) {
  if (a->flops <= 0 && a->bytes <= 0) return 0;
  double combine = a->ctas < 0.8 * r->n_sm && a->cached ? r->attn_lat_s : 0;
  double tc = a->flops / (r->peak_flops * r->eff_c * r->attn_eff);
  double tm = a->bytes / (r->hbm_bps * mem_share(r, CS__RL_PREFILL));
  return ((tc > tm ? tc : tm) + r->attn_lat_s + combine) * 1e3;
}

double cs__roofline_decode_ms(const cs__roofline *r, const cs_batch_view *b) {
  attn_acc a = {0};
  for (int i = 0; i < b->n; i++)
    if (!b->items[i].is_prefill) add_item(r, b->items[i].num_tokens, b->items[i].processed, false, &a);
  return decode_kernel_ms(r, &a);
}

double cs__roofline_prefill_ms(const cs__roofline *r, const cs_batch_view *b) {
  attn_acc a = {0};
  for (int i = 0; i < b->n; i++)
    if (b->items[i].is_prefill) add_item(r, b->items[i].num_tokens, b->items[i].processed, true, &a);
  return prefill_kernel_ms(r, &a);
}

/* Both kernels of a batch. A one-token decode item of a non-MLA model (nearly every item of a
 * decode-heavy run) takes add_item's own arithmetic with c = 1 and its constants hoisted: the same
 * operations in the same order, so the same doubles (ctx = p + cw x 1, flops = (4 nq d x 1) x ctx,
 * bytes = ab x ((2 nkv d) x (p + 1) + 2 nq d x 1)); test_predictor_core compares it with
 * cs__roofline_decode_ms / cs__roofline_prefill_ms on random batches. */
void cs__roofline_attn_ms(const cs__roofline *r, const cs_batch_view *b, double *decode_ms, double *prefill_ms) {
  attn_acc p = {0};
  double df = 0, db = 0, dc = 0; /* the decode sums, in registers */
  const bool fast = !r->mla;
  const double k1 = 4.0 * r->nq * r->d, kb = 2.0 * r->nkv * r->d, kq = 2.0 * r->nq * r->d, cw = r->causal_w;
  const double ab = r->act_bytes, nkv = r->nkv;
  for (int i = 0; i < b->n; i++) {
    const cs_batch_item *it = &b->items[i];
    if (it->is_prefill) {
      add_item(r, it->num_tokens, it->processed, true, &p);
    } else if (fast && it->num_tokens == 1) {
      double pr = it->processed;
      df += k1 * (pr + cw);
      db += ab * (kb * (pr + 1.0) + kq);
      dc += nkv;
    } else {
      attn_acc t = {df, db, dc, false};
      add_item(r, it->num_tokens, it->processed, false, &t);
      df = t.flops, db = t.bytes, dc = t.ctas;
    }
  }
  attn_acc d = {df, db, dc, false};
  *decode_ms = decode_kernel_ms(r, &d);
  *prefill_ms = prefill_kernel_ms(r, &p);
}

double cs__roofline_decode_shape_ms(const cs__roofline *r, double batch, double kv) {
  attn_acc a = {0};
  add_item(r, 1, kv, false, &a);
  a.flops *= batch, a.bytes *= batch, a.ctas *= batch;
  return decode_kernel_ms(r, &a);
}

double cs__roofline_prefill_shape_ms(const cs__roofline *r, double chunk, double kv) {
  attn_acc a = {0};
  add_item(r, chunk, kv, true, &a);
  return prefill_kernel_ms(r, &a);
}

void cs__roofline_attn_ranks_ms(const cs__roofline *r, const cs_batch_view *b, int ranks, double *ms, int64_t *tokens) {
  attn_acc d[CS__ROOFLINE_MAX_DP], p[CS__ROOFLINE_MAX_DP];
  if (ranks > CS__ROOFLINE_MAX_DP) ranks = CS__ROOFLINE_MAX_DP;
  for (int j = 0; j < ranks; j++) d[j] = p[j] = (attn_acc){0}, tokens[j] = 0;
  for (int i = 0; i < b->n; i++) {
    const cs_batch_item *it = &b->items[i];
    int j = i % ranks;
    add_item(r, it->num_tokens, it->processed, it->is_prefill, it->is_prefill ? &p[j] : &d[j]);
    tokens[j] += it->num_tokens;
  }
  for (int j = 0; j < ranks; j++) ms[j] = decode_kernel_ms(r, &d[j]) + prefill_kernel_ms(r, &p[j]);
}
