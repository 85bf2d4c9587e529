/* Readers of Vidur's profiling CSVs and exported prediction tables (vidur-semantics.md §5.3,
 * §5.5, §5.8), producing profiled points (interp.h) and dense tables (internal.h).
 * All functions take an already-parsed cs__csvtab so the caller reads each file once (and can
 * hash its bytes for the cache key). Errors name the file, the column and the line. */
#ifndef CS_PREDICTOR_PROFILE_SRC_H
#define CS_PREDICTOR_PROFILE_SRC_H

#include "predictor/csvtab.h"
#include "predictor/interp.h"

/* Which model shape rows must have (a profiling file may hold several; -1 = any). */
typedef struct cs__shape_filter {
  double n_head, n_kv_head, n_embd, n_expanded_embd, gated;
  int tp;
} cs__shape_filter;

void cs__shape_filter_from_model(cs__shape_filter *f, const cs_model *m, int tp);

/* mlp.csv: points (num_tokens -> time_stats.<op>.median, ms) of the nine token ops.
 * A file with no matching row fails naming the file and the shapes/TPs it does hold. */
int cs__mlp_points(const cs__csvtab *t, const cs__shape_filter *f, cs__pts out[CS__NUM_MLP_OPS], cs_err *err);
/* The distinct TP degrees in an mlp.csv (for `predictor check`); returns the count. */
int cs__mlp_tps(const cs__csvtab *t, int *out, int cap, cs_err *err);
/* The model shape of the first row of an mlp.csv. */
int cs__mlp_shape(const cs__csvtab *t, cs__shape_filter *f, cs_err *err);

/* attention.csv: decode series (key batch_size, x kv_cache_size), prefill series (key
 * prefill_chunk_size, x kv_cache_size) and kv-cache-save points (x = max(chunk, batch);
 * left empty when the file has no such column). block_size must be 16. */
int cs__attn_points(const cs__csvtab *t, const cs__shape_filter *f, cs__series2 *decode, cs__series2 *prefill,
                    cs__pts *kv_save, cs_err *err);

/* all_reduce.csv / send_recv.csv: points (num_tokens = size / hidden / 2 -> median ms).
 * collective "all_reduce": rows with num_workers == devices_per_node == tp;
 * "send_recv": rows with devices_per_node == (multi_node ? 1 : 2). */
int cs__comm_points(const cs__csvtab *t, const char *collective, int tp, bool multi_node, double hidden, cs__pts *out,
                    cs_err *err);

/* Vidur *_predictions.csv tables: token ops (num_tokens, prediction), attn_decode
 * (batch_size, kv_cache_size, prediction), attn_prefill (kv_cache_size,
 * prefill_chunk_size_squared | prefill_chunk_size, prediction). */
int cs__pred_token_points(const cs__csvtab *t, cs__pts *out, cs_err *err);
int cs__pred_decode_series(const cs__csvtab *t, cs__series2 *out, cs_err *err);
int cs__pred_prefill_series(const cs__csvtab *t, cs__series2 *out, cs_err *err);

/* Dense tables from series: decode rows b = 1..max batch, cols kv = 0, g, ..;
 * prefill rows kv = 0, g, .., cols chunk = 0..max chunk. Sizes cover at least min_kv. */
void cs__decode_tab_from_series(cs__tab2 *t, const cs__series2 *s, int g, double min_kv);
/* *chunk_gran is set to 1 (max chunk <= 4096) or 32 (larger V1 grids: keeps the table small). */
void cs__prefill_tab_from_series(cs__tab2 *t, const cs__series2 *s, int g, double min_kv, int32_t *chunk_gran);

#endif
