/* Internal contracts of the predictor module (src/predictor): the ops tables of each predictor,
 * Vidur's per-layer operation list, the roofline operation model (shared by the roofline
 * predictor, the calibration fit and `capsearch predictor check`), and the precomputed table
 * set of the profile predictor (lookups, stage composition, cache files).
 *
 * Ownership: cs__roofline and cs__ptables are value structs filled by _init/_build functions
 * and released with _release; they hold no borrowed pointers after creation except the model,
 * device and network of a roofline, which the predictor context guarantees to outlive it. */
#ifndef CS_PREDICTOR_INTERNAL_H
#define CS_PREDICTOR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capsearch/ep.h"
#include "capsearch/predictor.h"

extern const cs_predictor_ops cs__pred_roofline;
extern const cs_predictor_ops cs__pred_profile;
extern const cs_predictor_ops cs__pred_constant;

/* ---- Vidur's operations (vidur-semantics.md §5.3/§5.4) ------------------------------------ */
/* Token-level operations: their time depends only on the batch's token count. The names are
 * Vidur's column names (time_stats.<name>.median) and prediction-table file prefixes. */
typedef enum cs__tok_op {
  CS__OP_ATTN_PRE_PROJ,
  CS__OP_ATTN_POST_PROJ,
  CS__OP_ATTN_ROPE,
  CS__OP_MLP_UP_PROJ,
  CS__OP_MLP_DOWN_PROJ,
  CS__OP_MLP_ACT,
  CS__OP_INPUT_LAYERNORM,
  CS__OP_POST_ATTN_LAYERNORM,
  CS__OP_ADD,
  CS__OP_KV_CACHE_SAVE, /* keyed by T, not T8 (§5.6) */
  CS__OP_ALL_REDUCE,    /* TP > 1 only */
  CS__OP_SEND_RECV,     /* PP > 1 only */
  CS__NUM_TOK_OPS
} cs__tok_op;

/* Roofline per-kernel memory-efficiency scales: the token ops above plus the two attention
 * kernels (decode, prefill). */
#define CS__RL_DECODE CS__NUM_TOK_OPS
#define CS__RL_PREFILL (CS__NUM_TOK_OPS + 1)
#define CS__RL_NSCALE (CS__NUM_TOK_OPS + 2)

/* Number of ops found in mlp.csv (the first nine above). */
#define CS__NUM_MLP_OPS 9

const char *cs__tok_op_name(int op);

/* ---- Roofline operation model (roofline.c) ------------------------------------------------ */
typedef struct cs__roofline {
  const cs_model *model;
  int tp, pp;
  /* hardware, SI units */
  double peak_flops;    /* dense tensor FLOP/s at the weight precision */
  double hbm_bps;       /* HBM bytes/s */
  double eff_c, eff_m, eff_comm;
  double attn_eff;      /* FlashAttention compute efficiency relative to eff_c */
  double lat_s;         /* per-GEMM fixed cost (launch, tail, small-shape overheads) */
  double elem_lat_s;    /* per element-wise kernel fixed cost */
  double overlap_n;     /* compute/memory overlap exponent of GEMMs (p-norm; 0 = max) */
  double attn_lat_s;    /* fixed cost of an attention kernel (paged / varlen launch, tail) */
  double dec_eff;       /* HBM share of a decode kernel with >= 2 CTAs per SM (no split-KV) */
  double n_sm;          /* streaming multiprocessors: wave and split-KV granularity */
  double causal_w;      /* cost per FLOP of the causal triangle relative to cached context */
  double mem_scale[CS__RL_NSCALE]; /* element-wise / attention kernels reach eff_m x this of
                                    * HBM bandwidth (capped at 1); GEMMs use eff_m as is */
  double tp_bps, tp_lat_s; /* all-reduce link (intra- or inter-node) */
  double pp_bps, pp_lat_s; /* stage-to-stage link */
  double act_bytes;     /* activation element size (2: fp16/bf16) */
  double nccl_launch_s; /* fixed CPU cost per all-reduce */
  /* per-shard dimensions */
  double E, d, nq, nkv, H, Hmoe;
  double q_lora, kv_lora, rope_d, nope_d, v_d; /* MLA */
  bool mla, moe;
  const char *factor_source; /* provenance of eff_c/eff_m/eff_comm */
  bool factors_borrowed;     /* taken from the nearest architecture, not this device */
} cs__roofline;

/* Efficiency factors for a device: the catalog's eff_* when set, else the built-in fitted
 * table (configs may be older than the fit), else the nearest architecture's (flagged). */
typedef struct cs__factors {
  double eff_c, eff_m, eff_comm, lat_us, elem_lat_us;
  double attn_eff, attn_lat_us; /* FlashAttention: compute share relative to eff_c, fixed cost */
  double dec_eff;               /* decode HBM share without split-KV (many CTAs) */
  double n_sm;
  double overlap_n;             /* GEMM compute/memory overlap exponent (0: the default) */
  double causal_w;              /* cost per FLOP of a chunk's causal part relative to its cached part */
  const char *source;
  const char *from;             /* the profiled device whose fit is used ("" when none) */
  bool borrowed;
} cs__factors;
void cs__roofline_device_factors(const cs_device *dev, cs__factors *out);
/* One sentence: the measured residual bias of the default roofline for this device (printed
 * with every answer; from `predictor check` on the shared profiles, docs/predictors.md). */
const char *cs__roofline_known_bias(const cs_device *dev);

/* Fills a roofline for (model, device, network, tp, pp). Overrides <= 0 mean "from the device".
 * network may be NULL (then the device's link bandwidth is used). */
int cs__roofline_init(cs__roofline *r, const cs_model *m, const cs_device *dev, const cs_network *net, int tp,
                      int pp, const cs__factors *f, cs_err *err);
/* Query rows per FlashAttention prefill CTA (FA2 forward, head dim 128). */
#define CS__ROOFLINE_ATTN_QTILE 128.0
/* GEMM compute/memory overlap exponent, fitted on all three devices' mlp.csv (1.5-1.8). */
#define CS__ROOFLINE_OVERLAP_N 1.6
/* The built-in per-kernel memory scales (fitted with `predictor check --fit-scales`). */
void cs__roofline_default_scales(const cs_device *dev, double out[CS__RL_NSCALE]);
/* Time of one token-level op for T tokens on one dense layer, milliseconds. */
double cs__roofline_tok_op_ms(const cs__roofline *r, int op, double T);
/* Same for the MoE expert MLP of one MoE layer (up/down/act), T tokens. */
double cs__roofline_moe_op_ms(const cs__roofline *r, int op, double T);
/* Whether the token op's GEMM runs split-K with a separate reduction kernel at T tokens. */
bool cs__roofline_tok_op_splitk(const cs__roofline *r, int op, double T);
/* Attention kernels of one layer, milliseconds: decode (batched, one kernel) and prefill. */
double cs__roofline_decode_ms(const cs__roofline *r, const cs_batch_view *b);
double cs__roofline_prefill_ms(const cs__roofline *r, const cs_batch_view *b);
/* Both in one pass over the batch. */
void cs__roofline_attn_ms(const cs__roofline *r, const cs_batch_view *b, double *decode_ms, double *prefill_ms);
/* Single-shape attention (for calibration against attention.csv): decode of `batch` requests
 * with `kv` context each; prefill of one chunk `c` after `kv` cached tokens. */
double cs__roofline_decode_shape_ms(const cs__roofline *r, double batch, double kv);
double cs__roofline_prefill_shape_ms(const cs__roofline *r, double chunk, double kv);

/* Attention data-parallel ranks one predictor can split a batch over (wide expert parallelism). */
#define CS__ROOFLINE_MAX_DP 512
/* One layer's attention kernels (decode + prefill) on each of `ranks` data-parallel attention
 * ranks, the batch's requests dealt round-robin (request i to rank i % ranks): ms[j] and the
 * rank's tokens[j]; arrays of `ranks` (<= CS__ROOFLINE_MAX_DP) entries. */
void cs__roofline_attn_ranks_ms(const cs__roofline *r, const cs_batch_view *b, int ranks, double *ms, int64_t *tokens);
/* The kernel models of roofline_ops.c for other compositions, milliseconds: a GEMM of an (m x k)
 * activation by a (k x n) weight; a grouped GEMM of given FLOPs and HBM bytes; an element-wise
 * kernel of `bytes` traffic over T tokens (kernel = its CS__OP_* scale). */
double cs__roofline_gemm_ms(const cs__roofline *r, double m, double k, double n);
double cs__roofline_kernel_ms(const cs__roofline *r, double flops, double bytes);
double cs__roofline_elem_ms(const cs__roofline *r, double bytes, int kernel, double T);
/* Token-level part of a layer shared by dense and MoE layers (projections, RoPE, KV save, norms,
 * two TP all-reduces, residual add), ms (roofline.c). */
double cs__roofline_common_ms(const cs__roofline *r, double T);
/* All of one layer but its attention kernels under TP (moe: experts sliced by TP), ms. */
double cs__roofline_layer_ms(const cs__roofline *r, double T, bool moe);

/* ---- Expert-parallel MoE layers (roofline_ep.c) ------------------------------------------- */
/* EP over `ep` GPUs (= tp x dp): whole experts, num_experts / ep per rank. dp = 1: attention is
 * the replica's TP and every TP rank holds all tokens (vLLM --enable-expert-parallel without
 * DP: no all-to-all, the experts' partial outputs summed by the TP all-reduce). dp > 1: dp
 * attention ranks of TP tp each hold their share of the batch, the MoE exchanges tokens by
 * dispatch + combine all-to-alls and has no all-reduce (vLLM --data-parallel-size with
 * --enable-expert-parallel). */
typedef struct cs__roofline_ep {
  int ep, dp;
  double imbalance;       /* the busiest rank's multiple of the mean routed tokens */
  cs_ep_cost a2a;         /* dispatch + combine (used when dp > 1) */
  int64_t ntab;           /* tables below cover 0 .. ntab-1 tokens */
  double *moe_ms;         /* MoE layer without attention kernels, dp == 1, by batch tokens */
  double *side_ms;        /* dp > 1: one attention rank's MoE-layer part by its tokens */
  double *experts_ms;     /* dp > 1: routed experts + all-to-all by the group's tokens */
} cs__roofline_ep;
/* ep <= 1: e->ep = 1 and nothing else is set. Checks ep = tp x dp, a MoE model, ep | experts. */
int cs__roofline_ep_init(cs__roofline_ep *e, const cs__roofline *r, const cs_predictor_ctx *ctx, int64_t ntab,
                         cs_err *err);
void cs__roofline_ep_release(cs__roofline_ep *e);
/* Routed experts of one MoE layer on the busiest EP rank when the EP group holds T tokens, ms. */
double cs__roofline_ep_experts_ms(const cs__roofline *r, const cs__roofline_ep *e, double T);
/* One MoE layer (all but its attention kernels) under EP with dp == 1, T tokens, ms. */
double cs__roofline_ep_moe_layer_ms(const cs__roofline *r, const cs__roofline_ep *e, double T);
/* Model time of one stage of nd dense and nm MoE layers under EP, ms. dense_ms: the dense
 * layer's token-level table (NULL: no dense layers), tab: its length. */
double cs__roofline_ep_stage_ms(const cs__roofline *r, const cs__roofline_ep *e, const cs_batch_view *b, int nd,
                                int nm, const double *dense_ms, int64_t tab);

/* ---- Precomputed lookup tables (tables.c) ------------------------------------------------- */
/* A dense table over an integer axis 0..n-1 with linear extrapolation past the end (the slope
 * over the last half of the table, never negative, so random-forest flat steps do not zero it). */
typedef struct cs__tab1 {
  int32_t n;
  double *v;
} cs__tab1;

/* attn_decode[(b, kv)]: b = 1..nb (row b-1), kv = 0, g, 2g, ... (column kv/g).
 * attn_prefill[(kv, c)]: kv = 0, g, ... (row kv/g), c = 0..nc-1 (column c; V0 tables key it by c²). */
typedef struct cs__tab2 {
  int32_t rows, cols;
  double *v; /* rows*cols, row-major */
} cs__tab2;

typedef struct cs__ptables {
  cs__tab1 tok[CS__NUM_TOK_OPS]; /* n == 0: op absent (contributes 0) */
  cs__tab2 decode;
  cs__tab2 prefill;
  cs__tab1 cpu;                  /* total CPU overhead ms by batch size (n == 0: not modelled) */
  int32_t kv_gran;               /* g = 64 */
  int32_t chunk_gran;            /* prefill columns every chunk_gran tokens: 1 for grids up to 4096
                                  * (V0 keys use every integer chunk), 32 beyond (V1 grids) */
  bool have_attn;                /* false: attention falls back to the roofline */
} cs__ptables;

void cs__ptables_release(cs__ptables *t);
double cs__tab1_at(const cs__tab1 *t, double x);
double cs__tab2_at(const cs__tab2 *t, double row, double col);

/* Serialisation for the cache (versioned header, key, checksum). */
int cs__ptables_save(const cs__ptables *t, const char *path, uint64_t key, cs_err *err);
/* 0 on a valid entry with this key; CS_ENOENT when absent; CS_EFORMAT when corrupt, truncated,
 * stale or of another key (the caller rebuilds). */
int cs__ptables_load(cs__ptables *t, const char *path, uint64_t key, cs_err *err);

#endif
