/* Vidur profiling CSVs and prediction tables -> points and tables (see profile_src.h). */
#include "predictor/profile_src.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sbuf.h"

void cs__shape_filter_from_model(cs__shape_filter *f, const cs_model *m, int tp) {
  f->n_head = m->num_q_heads;
  f->n_kv_head = m->num_kv_heads > 0 ? m->num_kv_heads : m->num_q_heads;
  f->n_embd = m->hidden;
  f->n_expanded_embd = m->mlp_hidden;
  f->gated = m->gated_mlp ? 1 : 0;
  f->tp = tp;
}

static bool match(double want, double got) { return want < 0 || want == got; }

/* Reads the named numeric column of row r, or -1 when the column is absent. */
static int num_opt(const cs__csvtab *t, size_t r, int c, double *v, cs_err *err) {
  if (c < 0) {
    *v = -1;
    return 0;
  }
  return cs__csvtab_num(t, r, c, v, err);
}

static int median_col(const cs__csvtab *t, const char *op, bool required, cs_err *err) {
  char name[96];
  snprintf(name, sizeof name, "time_stats.%s.median", op);
  return required ? cs__csvtab_need(t, name, err) : cs__csvtab_col(t, name);
}

int cs__mlp_shape(const cs__csvtab *t, cs__shape_filter *f, cs_err *err) {
  int ch = cs__csvtab_need(t, "n_head", err), ckv = cs__csvtab_need(t, "n_kv_head", err),
      ce = cs__csvtab_need(t, "n_embd", err), cx = cs__csvtab_need(t, "n_expanded_embd", err),
      cg = cs__csvtab_need(t, "use_gated_mlp", err);
  if (ch < 0 || ckv < 0 || ce < 0 || cx < 0 || cg < 0) return CS_EPARSE;
  if (t->nrows == 0) return cs_err_set(err, CS_EPARSE, "%s: no data rows", t->path);
  int rc;
  if ((rc = cs__csvtab_num(t, 0, ch, &f->n_head, err)) || (rc = cs__csvtab_num(t, 0, ckv, &f->n_kv_head, err)) ||
      (rc = cs__csvtab_num(t, 0, ce, &f->n_embd, err)) || (rc = cs__csvtab_num(t, 0, cx, &f->n_expanded_embd, err)) ||
      (rc = cs__csvtab_num(t, 0, cg, &f->gated, err)))
    return rc;
  f->tp = -1;
  return 0;
}

int cs__mlp_tps(const cs__csvtab *t, int *out, int cap, cs_err *err) {
  int c = cs__csvtab_need(t, "num_tensor_parallel_workers", err);
  if (c < 0) return c;
  int n = 0;
  for (size_t r = 0; r < t->nrows; r++) {
    double v;
    int rc = cs__csvtab_num(t, r, c, &v, err);
    if (rc) return rc;
    bool seen = false;
    for (int i = 0; i < n; i++) seen |= out[i] == (int)v;
    if (!seen && n < cap) out[n++] = (int)v;
  }
  /* ascending, for stable reports */
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && out[j - 1] > out[j]; j--) {
      int x = out[j];
      out[j] = out[j - 1];
      out[j - 1] = x;
    }
  return n;
}

int cs__mlp_points(const cs__csvtab *t, const cs__shape_filter *f, cs__pts out[CS__NUM_MLP_OPS], cs_err *err) {
  int ch = cs__csvtab_need(t, "n_head", err), ckv = cs__csvtab_need(t, "n_kv_head", err),
      ce = cs__csvtab_need(t, "n_embd", err), cx = cs__csvtab_need(t, "n_expanded_embd", err),
      cg = cs__csvtab_need(t, "use_gated_mlp", err), cn = cs__csvtab_need(t, "num_tokens", err),
      ct = cs__csvtab_need(t, "num_tensor_parallel_workers", err);
  if (ch < 0 || ckv < 0 || ce < 0 || cx < 0 || cg < 0 || cn < 0 || ct < 0) return CS_EPARSE;
  int cols[CS__NUM_MLP_OPS];
  for (int op = 0; op < CS__NUM_MLP_OPS; op++) {
    /* norms and add may be absent (Vidur treats missing / NaN as 0) */
    bool optional = op == CS__OP_INPUT_LAYERNORM || op == CS__OP_POST_ATTN_LAYERNORM || op == CS__OP_ADD;
    cols[op] = median_col(t, cs__tok_op_name(op), !optional, err);
    if (cols[op] < 0 && !optional) return CS_EPARSE;
  }
  memset(out, 0, sizeof(cs__pts) * CS__NUM_MLP_OPS);
  size_t used = 0;
  for (size_t r = 0; r < t->nrows; r++) {
    double h, kv, e, x, g, n, tp;
    int rc;
    if ((rc = cs__csvtab_num(t, r, ch, &h, err)) || (rc = cs__csvtab_num(t, r, ckv, &kv, err)) ||
        (rc = cs__csvtab_num(t, r, ce, &e, err)) || (rc = cs__csvtab_num(t, r, cx, &x, err)) ||
        (rc = cs__csvtab_num(t, r, cg, &g, err)) || (rc = cs__csvtab_num(t, r, cn, &n, err)) ||
        (rc = cs__csvtab_num(t, r, ct, &tp, err)))
      goto fail;
    if (!match(f->n_head, h) || !match(f->n_kv_head, kv) || !match(f->n_embd, e) ||
        !match(f->n_expanded_embd, x) || !match(f->gated, g) || (f->tp > 0 && tp != f->tp))
      continue;
    if (!(n > 0)) {
      rc = cs_err_set(err, CS_EPARSE, "%s:%zu: column 'num_tokens': expected a positive count", t->path, cs__csvtab_line(t, r));
      goto fail;
    }
    for (int op = 0; op < CS__NUM_MLP_OPS; op++) {
      double v;
      if ((rc = num_opt(t, r, cols[op], &v, err))) goto fail;
      if (cols[op] < 0 || isnan(v)) {
        if (op == CS__OP_INPUT_LAYERNORM || op == CS__OP_POST_ATTN_LAYERNORM || op == CS__OP_ADD) v = 0;
        else continue;
      }
      if (v < 0) {
        rc = cs_err_set(err, CS_EPARSE, "%s:%zu: column 'time_stats.%s.median': negative time %g", t->path, cs__csvtab_line(t, r),
                        cs__tok_op_name(op), v);
        goto fail;
      }
      cs__pts_add(&out[op], n, v);
    }
    used++;
  }
  if (!used) {
    int tps[16];
    int k = cs__mlp_tps(t, tps, 16, NULL);
    cs__sbuf sb;
    cs__sbuf_init(&sb);
    for (int i = 0; i < k; i++) cs__sbuf_addf(&sb, "%s%d", i ? ", " : "", tps[i]);
    int rc = cs_err_set(err, CS_ENOENT,
                        "%s: no rows for n_head %g, n_kv_head %g, n_embd %g, n_expanded_embd %g, TP %d "
                        "(the file has TP %s)",
                        t->path, f->n_head, f->n_kv_head, f->n_embd, f->n_expanded_embd, f->tp, k > 0 ? sb.buf : "none");
    cs__sbuf_release(&sb);
    return rc;
  }
  for (int op = 0; op < CS__NUM_MLP_OPS; op++) cs__pts_finish(&out[op]);
  return 0;
fail:
  for (int op = 0; op < CS__NUM_MLP_OPS; op++) cs__pts_release(&out[op]);
  return err ? err->code : CS_EPARSE;
}

int cs__attn_points(const cs__csvtab *t, const cs__shape_filter *f, cs__series2 *decode, cs__series2 *prefill,
                    cs__pts *kv_save, cs_err *err) {
  int ce = cs__csvtab_need(t, "n_embd", err), cq = cs__csvtab_need(t, "n_q_head", err),
      ckv = cs__csvtab_need(t, "n_kv_head", err), cb = cs__csvtab_need(t, "block_size", err),
      ct = cs__csvtab_need(t, "num_tensor_parallel_workers", err), cbs = cs__csvtab_need(t, "batch_size", err),
      cc = cs__csvtab_need(t, "prefill_chunk_size", err), ck = cs__csvtab_need(t, "kv_cache_size", err),
      cp = cs__csvtab_need(t, "is_prefill", err);
  if (ce < 0 || cq < 0 || ckv < 0 || cb < 0 || ct < 0 || cbs < 0 || cc < 0 || ck < 0 || cp < 0) return CS_EPARSE;
  int cdec = median_col(t, "attn_decode", true, err), cpre = median_col(t, "attn_prefill", true, err);
  if (cdec < 0 || cpre < 0) return CS_EPARSE;
  int csave = median_col(t, "attn_kv_cache_save", false, NULL);
  memset(decode, 0, sizeof *decode);
  memset(prefill, 0, sizeof *prefill);
  memset(kv_save, 0, sizeof *kv_save);
  size_t used = 0;
  int rc = 0;
  for (size_t r = 0; r < t->nrows; r++) {
    double e, q, kvh, bs, tp, b, c, kv, isp, v;
    if ((rc = cs__csvtab_num(t, r, ce, &e, err)) || (rc = cs__csvtab_num(t, r, cq, &q, err)) ||
        (rc = cs__csvtab_num(t, r, ckv, &kvh, err)) || (rc = cs__csvtab_num(t, r, cb, &bs, err)) ||
        (rc = cs__csvtab_num(t, r, ct, &tp, err)) || (rc = cs__csvtab_num(t, r, cbs, &b, err)) ||
        (rc = cs__csvtab_num(t, r, cc, &c, err)) || (rc = cs__csvtab_num(t, r, ck, &kv, err)) ||
        (rc = cs__csvtab_num(t, r, cp, &isp, err)))
      goto fail;
    if (!match(f->n_embd, e) || !match(f->n_head, q) || !match(f->n_kv_head, kvh) || bs != 16 ||
        (f->tp > 0 && tp != f->tp))
      continue;
    used++;
    if (isp != 0) {
      if ((rc = cs__csvtab_num(t, r, cpre, &v, err))) goto fail;
      if (!isnan(v)) cs__series2_add(prefill, c, kv, v);
    } else {
      if ((rc = cs__csvtab_num(t, r, cdec, &v, err))) goto fail;
      if (!isnan(v)) cs__series2_add(decode, b, kv, v);
    }
    if (csave >= 0) {
      if ((rc = cs__csvtab_num(t, r, csave, &v, err))) goto fail;
      if (!isnan(v)) cs__pts_add(kv_save, c > b ? c : b, v);
    }
  }
  if (!used || !decode->n || !prefill->n) {
    rc = cs_err_set(err, CS_ENOENT,
                    "%s: no %s rows for n_embd %g, n_q_head %g, n_kv_head %g, block_size 16, TP %d", t->path,
                    !used ? "" : !decode->n ? "decode" : "prefill", f->n_embd, f->n_head, f->n_kv_head, f->tp);
    goto fail;
  }
  cs__series2_finish(decode);
  cs__series2_finish(prefill);
  cs__pts_finish(kv_save);
  return 0;
fail:
  cs__series2_release(decode);
  cs__series2_release(prefill);
  cs__pts_release(kv_save);
  return rc ? rc : CS_EPARSE;
}

int cs__comm_points(const cs__csvtab *t, const char *collective, int tp, bool multi_node, double hidden, cs__pts *out,
                    cs_err *err) {
  char med[64];
  snprintf(med, sizeof med, "time_stats.%s.median", collective);
  int cm = cs__csvtab_need(t, med, err), cw = cs__csvtab_need(t, "num_workers", err),
      cs = cs__csvtab_need(t, "size", err), cc = cs__csvtab_need(t, "collective", err),
      cd = cs__csvtab_need(t, "devices_per_node", err);
  if (cm < 0 || cw < 0 || cs < 0 || cc < 0 || cd < 0) return CS_EPARSE;
  bool ar = !strcmp(collective, "all_reduce");
  memset(out, 0, sizeof *out);
  int rc = 0;
  for (size_t r = 0; r < t->nrows; r++) {
    if (strcmp(cs__csvtab_str(t, r, cc), collective)) continue;
    double w, size, dpn, v;
    if ((rc = cs__csvtab_num(t, r, cw, &w, err)) || (rc = cs__csvtab_num(t, r, cs, &size, err)) ||
        (rc = cs__csvtab_num(t, r, cd, &dpn, err)) || (rc = cs__csvtab_num(t, r, cm, &v, err))) {
      cs__pts_release(out);
      return rc;
    }
    if (ar ? (w != tp || dpn != tp) : dpn != (multi_node ? 1 : 2)) continue;
    if (!isnan(v)) cs__pts_add(out, size / hidden / 2.0, v);
  }
  if (!out->n) {
    if (ar) return cs_err_set(err, CS_ENOENT, "%s: no all_reduce rows with num_workers == devices_per_node == %d", t->path, tp);
    return cs_err_set(err, CS_ENOENT, "%s: no send_recv rows with devices_per_node == %d", t->path, multi_node ? 1 : 2);
  }
  cs__pts_finish(out);
  return 0;
}

/* ---- Vidur prediction tables -------------------------------------------------------------- */
int cs__pred_token_points(const cs__csvtab *t, cs__pts *out, cs_err *err) {
  int cn = cs__csvtab_need(t, "num_tokens", err), cp = cs__csvtab_need(t, "prediction", err);
  if (cn < 0 || cp < 0) return CS_EPARSE;
  memset(out, 0, sizeof *out);
  for (size_t r = 0; r < t->nrows; r++) {
    double n, v;
    int rc;
    if ((rc = cs__csvtab_num(t, r, cn, &n, err)) || (rc = cs__csvtab_num(t, r, cp, &v, err))) {
      cs__pts_release(out);
      return rc;
    }
    if (!isnan(v)) cs__pts_add(out, n, v);
  }
  if (!out->n) return cs_err_set(err, CS_EPARSE, "%s: no prediction rows", t->path);
  cs__pts_finish(out);
  return 0;
}

int cs__pred_decode_series(const cs__csvtab *t, cs__series2 *out, cs_err *err) {
  int cb = cs__csvtab_need(t, "batch_size", err), ck = cs__csvtab_need(t, "kv_cache_size", err),
      cp = cs__csvtab_need(t, "prediction", err);
  if (cb < 0 || ck < 0 || cp < 0) return CS_EPARSE;
  memset(out, 0, sizeof *out);
  for (size_t r = 0; r < t->nrows; r++) {
    double b, kv, v;
    int rc;
    if ((rc = cs__csvtab_num(t, r, cb, &b, err)) || (rc = cs__csvtab_num(t, r, ck, &kv, err)) ||
        (rc = cs__csvtab_num(t, r, cp, &v, err))) {
      cs__series2_release(out);
      return rc;
    }
    if (!isnan(v)) cs__series2_add(out, b, kv, v);
  }
  if (!out->n) return cs_err_set(err, CS_EPARSE, "%s: no prediction rows", t->path);
  cs__series2_finish(out);
  return 0;
}

int cs__pred_prefill_series(const cs__csvtab *t, cs__series2 *out, cs_err *err) {
  int ck = cs__csvtab_need(t, "kv_cache_size", err), cp = cs__csvtab_need(t, "prediction", err);
  int cs2 = cs__csvtab_col(t, "prefill_chunk_size_squared"), c1 = cs__csvtab_col(t, "prefill_chunk_size");
  if (ck < 0 || cp < 0) return CS_EPARSE;
  if (cs2 < 0 && c1 < 0)
    return cs_err_set(err, CS_EPARSE, "%s: missing column 'prefill_chunk_size_squared' (V0) or 'prefill_chunk_size' (V1)",
                      t->path);
  memset(out, 0, sizeof *out);
  for (size_t r = 0; r < t->nrows; r++) {
    double kv, c, v;
    int rc;
    if ((rc = cs__csvtab_num(t, r, ck, &kv, err)) || (rc = cs__csvtab_num(t, r, cs2 >= 0 ? cs2 : c1, &c, err)) ||
        (rc = cs__csvtab_num(t, r, cp, &v, err))) {
      cs__series2_release(out);
      return rc;
    }
    if (cs2 >= 0) c = round(sqrt(c)); /* V0 keys by chunk²; chunks are integers */
    if (!isnan(v)) cs__series2_add(out, c, kv, v);
  }
  if (!out->n) return cs_err_set(err, CS_EPARSE, "%s: no prediction rows", t->path);
  cs__series2_finish(out);
  return 0;
}

void cs__decode_tab_from_series(cs__tab2 *t, const cs__series2 *s, int g, double min_kv) {
  double maxkv = cs__series2_max_x(s);
  if (maxkv < min_kv) maxkv = min_kv;
  t->rows = (int32_t)cs__series2_max_key(s);
  if (t->rows < 1) t->rows = 1;
  t->cols = (int32_t)ceil(maxkv / g) + 1;
  t->v = cs__xmalloc(sizeof(double) * (size_t)t->rows * (size_t)t->cols);
  for (int32_t r = 0; r < t->rows; r++)
    for (int32_t c = 0; c < t->cols; c++) t->v[(size_t)r * (size_t)t->cols + (size_t)c] = cs__series2_at(s, r + 1, (double)c * g);
}

void cs__prefill_tab_from_series(cs__tab2 *t, const cs__series2 *s, int g, double min_kv, int32_t *chunk_gran) {
  double maxkv = cs__series2_max_x(s), maxc = cs__series2_max_key(s);
  if (maxkv < min_kv) maxkv = min_kv;
  int32_t cg = maxc <= 4096 ? 1 : 32;
  *chunk_gran = cg;
  t->rows = (int32_t)ceil(maxkv / g) + 1;
  t->cols = (int32_t)ceil(maxc / cg) + 1;
  t->v = cs__xmalloc(sizeof(double) * (size_t)t->rows * (size_t)t->cols);
  for (int32_t r = 0; r < t->rows; r++)
    for (int32_t c = 0; c < t->cols; c++) t->v[(size_t)r * (size_t)t->cols + (size_t)c] = cs__series2_at(s, (double)c * cg, (double)r * g);
}
