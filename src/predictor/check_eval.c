/* Default-roofline error on every profiled row (check_eval.h). */
#include "predictor/check_eval.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "predictor/check.h"
#include "predictor/csvtab.h"
#include "predictor/profile_src.h"
#include "util/fs.h"

/* ---- helpers shared with check.c (check.h) ---- */
static int cmp_dbl(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

void cs__median_p90(double *v, size_t n, double *med, double *p90) {
  *med = *p90 = NAN;
  if (!n) return;
  qsort(v, n, sizeof *v, cmp_dbl);
  double q[2] = {0.5, 0.9}, *o[2] = {med, p90};
  for (int k = 0; k < 2; k++) {
    double pos = q[k] * (double)(n - 1);
    size_t lo = (size_t)pos;
    double fr = pos - (double)lo;
    *o[k] = lo + 1 < n ? v[lo] * (1 - fr) + v[lo + 1] * fr : v[lo];
  }
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Sorted names of the subdirectories (or files when want_dirs is false) of dir. */
size_t cs__list_dir(const char *dir, bool want_dirs, char ***out) {
  *out = NULL;
  DIR *d = opendir(dir);
  if (!d) return 0;
  CS__VEC(char *) v = {0};
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char *p = cs__path_join(dir, e->d_name);
    bool isd = cs__is_dir(p);
    free(p);
    if (isd == want_dirs) cs__vec_push(&v, cs__xstrdup(e->d_name));
  }
  closedir(d);
  if (v.n) qsort(v.v, v.n, sizeof *v.v, cmp_str);
  *out = v.v;
  return v.n;
}

void cs__free_list(char **l, size_t n) {
  for (size_t i = 0; i < n; i++) free(l[i]);
  free(l);
}

bool cs__model_matches(const char *filter, const char *org, const char *name) {
  if (!filter) return true;
  char full[256];
  snprintf(full, sizeof full, "%s/%s", org, name);
  return !strcasecmp(filter, full) || !strcasecmp(filter, name);
}

const char *cs_eval_op_name(int op) {
  switch (op) {
  case CS__EV_DECODE: return "attn_decode";
  case CS__EV_PREFILL: return "attn_prefill";
  case CS__EV_LAYER_DECODE: return "layer_decode";
  case CS__EV_LAYER_PREFILL: return "layer_prefill";
  default: return cs__tok_op_name(op);
  }
}

bool cs__eval_op_is_gemm(int op) {
  return op == CS__OP_ATTN_PRE_PROJ || op == CS__OP_ATTN_POST_PROJ || op == CS__OP_MLP_UP_PROJ ||
         op == CS__OP_MLP_DOWN_PROJ;
}

/* How an eager call is timed (profile_ops.py: `s.record(); fn(); e.record(); e.synchronize()`
 * with the GPU idle before): the start event fires at once, the kernel starts after the host's
 * dispatch (`pre`), and the end event is only issued after the host's work that follows the launch
 * (`post`, and every further queued PyTorch call of a multi-call op). So the call reads
 * pre + max(host work after the launch, GPU time): a kernel shorter than the host's remaining
 * work is hidden behind it, a longer one shows whole. Fitted on the h200 profile (PyTorch 2.11,
 * one host; medians over both models and TP 1-8): the GEMMs give pre 10.5 us and post 11.5 us
 * (with the device's 7 us GEMM latency inside the GPU time: below ~5 us of streaming every GEMM
 * reads ~22 us, above it 17.5 us + its kernel); a cuBLAS call does more host work after its
 * launch than an element-wise one (post 8 us: tiny RMSNorm / add calls read 15-20 us); rope is 14 calls (two tensors x mul, slice x2, neg,
 * cat, mul, add) queued at about 7.5 us each, SiLU-and-mul 3 (slice, silu, mul); SDPA's own
 * dispatch is about 48 us, 30 more with enable_gqa over several KV heads, 15 more with an offset
 * causal mask (cached context). */
#define EAGER_PRE_MS 0.0105
#define EAGER_POST_GEMM_MS 0.0115
#define EAGER_POST_MS 0.008
#define EAGER_QUEUED_CALL_MS 0.0075
#define EAGER_LAUNCH_MS 0.004
#define EAGER_SDPA_MS 0.048
#define EAGER_GQA_MS 0.030
#define EAGER_OFFSET_MASK_MS 0.015
/* eager SDPA decode with >= 2 CTAs per SM: share of HBM bandwidth (the same shapes reach >= 85%
 * inside the CUDA-graph layers of layers.csv) */
#define EAGER_DECODE_SHARE 0.52

double cs__eager_ms(int op, double kernel_ms, double kv, bool gqa, int launches) {
  double pre = EAGER_PRE_MS, after = cs__eval_op_is_gemm(op) ? EAGER_POST_GEMM_MS : EAGER_POST_MS;
  after += (launches - 1) * EAGER_LAUNCH_MS;
  switch (op) {
  case CS__OP_ATTN_ROPE: after += 13 * EAGER_QUEUED_CALL_MS; break;
  case CS__OP_MLP_ACT: after += 2 * EAGER_QUEUED_CALL_MS; break;
  case CS__EV_DECODE: pre = EAGER_SDPA_MS + (gqa ? EAGER_GQA_MS : 0); break;
  case CS__EV_PREFILL: pre = EAGER_SDPA_MS + (gqa ? EAGER_GQA_MS : 0) + (kv > 0 ? EAGER_OFFSET_MASK_MS : 0); break;
  case CS__EV_LAYER_DECODE:
  case CS__EV_LAYER_PREFILL: return kernel_ms;
  default: break;
  }
  return pre + (kernel_ms > after ? kernel_ms : after);
}

static int read_tab(const char *path, cs__csvtab *t, char **data, cs_err *err);

double cs__eager_call_ms(const cs__roofline *r, int op, double x, double kv, double kernel_ms) {
  switch (op) {
  case CS__EV_DECODE: return cs__eager_ms(op, kernel_ms, kv, r->nkv > 1 && r->nq != r->nkv, 1);
  case CS__EV_PREFILL: return cs__eager_ms(op, kernel_ms, kv, r->nq != r->nkv, 1);
  default: return cs__eager_ms(op, kernel_ms, kv, false, cs__roofline_tok_op_splitk(r, op, x) ? 2 : 1);
  }
}

void cs__eager_roofline(cs__roofline *r) { r->dec_eff = EAGER_DECODE_SHARE; }

/* CUDA_EVENT profiles time eager calls (check_eval.h); Vidur's (Kineto) and unlabelled ones do
 * not. The attention.csv of the folder says which. */
bool cs__eager_method(const char *mdir) {
  char *path = cs__path_join(mdir, "attention.csv"), *data = NULL;
  cs__csvtab t = {0};
  bool eager = false;
  if (cs__path_exists(path) && !read_tab(path, &t, &data, NULL)) {
    int c = cs__csvtab_col(&t, "profile_method");
    eager = c >= 0 && t.nrows > 0 && strstr(cs__csvtab_str(&t, 0, c), "CUDA_EVENT") != NULL;
  }
  cs__csvtab_release(&t);
  free(data);
  free(path);
  return eager;
}

typedef struct evctx {
  const char *devname, *model;
  const cs_device *dev;
  cs__eval_result *out;
} evctx;

static void push(evctx *c, int tp, int op, double T, double b, double kv, double chunk, double meas, double pred) {
  cs__eval_row r = {0};
  snprintf(r.device, sizeof r.device, "%s", c->devname);
  snprintf(r.model, sizeof r.model, "%s", c->model);
  r.tp = tp;
  r.op = op;
  r.num_tokens = T;
  r.batch_size = b;
  r.kv_cache_size = kv;
  r.prefill_chunk_size = chunk;
  r.measured_ms = meas;
  r.predicted_ms = pred;
  cs__vec_push(&c->out->rows, r);
}

/* A model shard of one layer from a profile's shape columns. */
void cs__shape_model(cs_model *m, const char *name, const cs__shape_filter *sh) {
  memset(m, 0, sizeof *m);
  m->name = name;
  m->num_layers = 1;
  m->num_q_heads = (int)sh->n_head;
  m->num_kv_heads = (int)sh->n_kv_head;
  m->hidden = (int)sh->n_embd;
  m->head_dim = m->hidden / (m->num_q_heads > 0 ? m->num_q_heads : 1);
  m->mlp_hidden = (int)sh->n_expanded_embd;
  m->gated_mlp = sh->gated != 0;
  m->post_attn_norm = true;
  m->weight_bytes = 2;
}

static int roofline_for(const evctx *c, const cs_model *m, int tp, cs__roofline *r, cs_err *err) {
  cs__factors f;
  cs__roofline_device_factors(c->dev, &f);
  return cs__roofline_init(r, m, c->dev, NULL, tp, 1, &f, err);
}

static int read_tab(const char *path, cs__csvtab *t, char **data, cs_err *err) {
  size_t len;
  *data = NULL;
  int rc = cs__read_file(path, data, &len, err);
  if (!rc) rc = cs__csvtab_parse(t, path, *data, len, err);
  return rc;
}

static int eval_mlp(evctx *c, const char *mdir, bool eager, cs__shape_filter *sh, cs_err *err) {
  char *path = cs__path_join(mdir, "mlp.csv"), *data = NULL;
  cs__csvtab t = {0};
  int tps[16], ntp = 0;
  int rc = read_tab(path, &t, &data, err);
  if (!rc) rc = cs__mlp_shape(&t, sh, err);
  if (!rc && (ntp = cs__mlp_tps(&t, tps, 16, err)) < 0) rc = ntp;
  for (int i = 0; i < ntp && !rc; i++) {
    cs__pts pts[CS__NUM_MLP_OPS];
    cs__shape_filter f = *sh;
    f.tp = tps[i];
    if ((rc = cs__mlp_points(&t, &f, pts, err))) break;
    cs_model m;
    cs__roofline r;
    cs__shape_model(&m, c->model, sh);
    rc = roofline_for(c, &m, tps[i], &r, err);
    for (int op = 0; op < CS__NUM_MLP_OPS; op++) {
      for (size_t k = 0; !rc && k < pts[op].n; k++) {
        if (!(pts[op].y[k] > 0)) continue; /* an op the profile does not have (NaN / 0) */
        double pred = cs__roofline_tok_op_ms(&r, op, pts[op].x[k]);
        if (eager) pred = cs__eager_call_ms(&r, op, pts[op].x[k], 0, pred);
        push(c, tps[i], op, pts[op].x[k], -1, -1, -1, pts[op].y[k], pred);
      }
      cs__pts_release(&pts[op]);
    }
  }
  cs__csvtab_release(&t);
  free(data);
  free(path);
  return rc;
}

static int eval_attention(evctx *c, const char *mdir, bool eager, const cs__shape_filter *sh, cs_err *err) {
  char *path = cs__path_join(mdir, "attention.csv"), *data = NULL;
  cs__csvtab t = {0};
  int tps[16], ntp = 0, rc = 0;
  if (!cs__path_exists(path)) goto out;
  rc = read_tab(path, &t, &data, err);
  if (!rc && (ntp = cs__mlp_tps(&t, tps, 16, err)) < 0) rc = ntp;
  for (int i = 0; i < ntp && !rc; i++) {
    cs__series2 dec, pre;
    cs__pts save;
    cs__shape_filter f = *sh;
    f.tp = tps[i];
    if ((rc = cs__attn_points(&t, &f, &dec, &pre, &save, err))) break;
    cs_model m;
    cs__roofline r;
    cs__shape_model(&m, c->model, sh);
    rc = roofline_for(c, &m, tps[i], &r, err);
    if (eager) cs__eager_roofline(&r);
    for (size_t k = 0; !rc && k < dec.n; k++)
      for (size_t j = 0; j < dec.s[k].n; j++) {
        double b = dec.key[k], kv = dec.s[k].x[j], y = dec.s[k].y[j];
        if (!(y > 0)) continue;
        double pred = cs__roofline_decode_shape_ms(&r, b, kv);
        if (eager) pred = cs__eager_call_ms(&r, CS__EV_DECODE, b, kv, pred);
        push(c, tps[i], CS__EV_DECODE, -1, b, kv, -1, y, pred);
      }
    for (size_t k = 0; !rc && k < pre.n; k++)
      for (size_t j = 0; j < pre.s[k].n; j++) {
        double ch = pre.key[k], kv = pre.s[k].x[j], y = pre.s[k].y[j];
        if (!(y > 0)) continue;
        double pred = cs__roofline_prefill_shape_ms(&r, ch, kv);
        if (eager) pred = cs__eager_call_ms(&r, CS__EV_PREFILL, ch, kv, pred);
        push(c, tps[i], CS__EV_PREFILL, -1, -1, kv, ch, y, pred);
      }
    cs__series2_release(&dec);
    cs__series2_release(&pre);
    cs__pts_release(&save);
  }
out:
  cs__csvtab_release(&t);
  free(data);
  free(path);
  return rc;
}

/* One decoder layer of a shard as the roofline composes it (roofline.c), without communication:
 * layers.csv times one TP rank's shard alone. */
static double layer_ms(const cs__roofline *r, const cs_batch_view *b) {
  static const int ops[] = {CS__OP_ATTN_PRE_PROJ, CS__OP_ATTN_POST_PROJ,   CS__OP_ATTN_ROPE, CS__OP_KV_CACHE_SAVE,
                            CS__OP_INPUT_LAYERNORM, CS__OP_POST_ATTN_LAYERNORM, CS__OP_ADD,     CS__OP_MLP_UP_PROJ,
                            CS__OP_MLP_DOWN_PROJ,  CS__OP_MLP_ACT};
  double ms = 0, dec, pre;
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) ms += cs__roofline_tok_op_ms(r, ops[i], (double)b->total_tokens);
  cs__roofline_attn_ms(r, b, &dec, &pre);
  return ms + dec + pre;
}

enum { L_MODEL, L_NH, L_NKV, L_E, L_X, L_TP, L_PHASE, L_B, L_C, L_KV, L_MS, L_NCOL };

static int layer_row(evctx *c, const cs__csvtab *t, size_t row, const int *col, cs_err *err) {
  double v[L_NCOL] = {0};
  int rc = 0;
  for (int k = L_NH; k < L_NCOL && !rc; k++)
    if (k != L_PHASE) rc = cs__csvtab_num(t, row, col[k], &v[k], err);
  if (rc) return rc;
  if (col[L_MODEL] >= 0 && strcmp(cs__csvtab_str(t, row, col[L_MODEL]), c->model)) return 0;
  bool prefill = !strcmp(cs__csvtab_str(t, row, col[L_PHASE]), "prefill");
  if (!(v[L_MS] > 0) || v[L_TP] < 1 || v[L_B] < 1) return 0;
  cs__shape_filter sh = {v[L_NH], v[L_NKV], v[L_E], v[L_X], 1, (int)v[L_TP]};
  cs_model m;
  cs__roofline r;
  cs__shape_model(&m, c->model, &sh);
  if ((rc = roofline_for(c, &m, (int)v[L_TP], &r, err))) return rc;
  int n = prefill ? 1 : (int)v[L_B];
  cs_batch_item *it = cs__xcalloc((size_t)n, sizeof *it);
  cs_batch_view b = {n, it, 0};
  for (int i = 0; i < n; i++) {
    it[i].num_tokens = prefill ? (int32_t)v[L_C] : 1;
    it[i].processed = prefill ? (int32_t)v[L_KV] : (int32_t)v[L_KV] - 1;
    it[i].is_prefill = prefill;
    b.total_tokens += it[i].num_tokens;
  }
  double pred = layer_ms(&r, &b);
  free(it);
  push(c, (int)v[L_TP], prefill ? CS__EV_LAYER_PREFILL : CS__EV_LAYER_DECODE, (double)b.total_tokens,
       prefill ? 1 : v[L_B], v[L_KV], prefill ? v[L_C] : -1, v[L_MS], pred);
  return 0;
}

static int eval_layers(evctx *c, const char *mdir, cs_err *err) {
  static const char *const names[L_NCOL] = {"model", "n_head", "n_kv_head", "n_embd", "n_expanded_embd", "tp",
                                            "phase", "batch_size", "prefill_chunk_size", "kv_cache_size",
                                            "layer_ms_median"};
  char *path = cs__path_join(mdir, "layers.csv"), *data = NULL;
  cs__csvtab t = {0};
  int rc = 0, col[L_NCOL];
  if (!cs__path_exists(path)) goto out;
  if ((rc = read_tab(path, &t, &data, err))) goto out;
  for (int k = 0; k < L_NCOL; k++)
    if ((col[k] = k == L_MODEL ? cs__csvtab_col(&t, names[k]) : cs__csvtab_need(&t, names[k], err)) < 0 && k != L_MODEL) {
      rc = CS_EPARSE;
      goto out;
    }
  for (size_t row = 0; row < t.nrows && !rc; row++) rc = layer_row(c, &t, row, col, err);
out:
  cs__csvtab_release(&t);
  free(data);
  free(path);
  return rc;
}

static int eval_device(const char *devdir, const char *devname, const cs_device *dev, const char *model_filter,
                       cs__eval_result *out, cs_err *err) {
  char **orgs;
  size_t norg = cs__list_dir(devdir, true, &orgs);
  int rc = 0;
  for (size_t o = 0; o < norg && !rc; o++) {
    char *odir = cs__path_join(devdir, orgs[o]), **names;
    size_t nn = cs__list_dir(odir, true, &names);
    for (size_t k = 0; k < nn && !rc; k++) {
      if (!cs__model_matches(model_filter, orgs[o], names[k])) continue;
      char *mdir = cs__path_join(odir, names[k]), *mlp = cs__path_join(mdir, "mlp.csv"), full[192];
      snprintf(full, sizeof full, "%s/%s", orgs[o], names[k]);
      evctx c = {devname, full, dev, out};
      if (cs__path_exists(mlp)) {
        bool eager = cs__eager_method(mdir);
        cs__shape_filter sh;
        if (!(rc = eval_mlp(&c, mdir, eager, &sh, err)) && !(rc = eval_attention(&c, mdir, eager, &sh, err)))
          rc = eval_layers(&c, mdir, err);
      }
      free(mlp);
      free(mdir);
    }
    cs__free_list(names, nn);
    free(odir);
  }
  cs__free_list(orgs, norg);
  return rc;
}

int cs_predictor_eval(const char *profiling_dir, const cs_catalog *cat, const char *device, const char *model,
                       cs__eval_result *out, cs_err *err) {
  memset(out, 0, sizeof *out);
  char *compute = cs__path_join(profiling_dir, "compute");
  const cs_device *want = NULL;
  int rc = 0;
  if (!cs__is_dir(compute))
    rc = cs_err_set(err, CS_ENOENT, "%s: no such directory (expected Vidur's data/profiling layout: compute/<device>/<org>/<model>/mlp.csv)", compute);
  if (!rc && device) rc = cs_catalog_find_device(cat, device, &want, err);
  char **devs = NULL;
  size_t nd = rc ? 0 : cs__list_dir(compute, true, &devs);
  for (size_t i = 0; i < nd && !rc; i++) {
    const cs_device *dev = NULL;
    if (cs_catalog_find_device(cat, devs[i], &dev, NULL)) continue; /* not a catalog device */
    if (want && dev != want) continue;
    char *dd = cs__path_join(compute, devs[i]);
    rc = eval_device(dd, devs[i], dev, model, out, err);
    free(dd);
  }
  cs__free_list(devs, nd);
  free(compute);
  if (!rc && !out->rows.n)
    rc = cs_err_set(err, CS_ENOENT, "%s: no profiles%s%s%s%s", profiling_dir, device ? " for device " : "",
                    device ? device : "", model ? " and model " : "", model ? model : "");
  if (rc) cs_eval_result_release(out);
  return rc;
}

void cs_eval_result_release(cs__eval_result *r) {
  free(r->rows.v);
  memset(r, 0, sizeof *r);
}

static double rel_err(const cs__eval_row *w) { return w->predicted_ms / w->measured_ms - 1.0; }

static double median_of(double *v, size_t n) {
  double med, p90;
  cs__median_p90(v, n, &med, &p90);
  return med;
}

typedef struct tok_err {
  double t, e;
} tok_err;

static int cmp_tok_err(const void *a, const void *b) {
  const tok_err *x = a, *y = b;
  return x->t < y->t ? -1 : x->t > y->t ? 1 : x->e < y->e ? -1 : x->e > y->e;
}

/* The largest per-num_tokens median of |error| (rows sorted by num_tokens, then error). */
static void worst_key(tok_err *v, size_t n, cs__eval_sum *s) {
  qsort(v, n, sizeof *v, cmp_tok_err);
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && v[j].t == v[i].t) j++;
    size_t k = j - i;
    double m = k % 2 ? v[i + k / 2].e : 0.5 * (v[i + k / 2 - 1].e + v[i + k / 2].e);
    if (isnan(s->worst_key_med) || m > s->worst_key_med) s->worst_key_med = m, s->worst_key = v[i].t;
    i = j;
  }
}

static void summarize_one(const cs__eval_result *r, const char *dev, int op, cs__eval_sum *s) {
  CS__VEC(double) a = {0}, sg = {0};
  CS__VEC(tok_err) tk = {0};
  memset(s, 0, sizeof *s);
  snprintf(s->device, sizeof s->device, "%s", dev);
  s->op = op;
  s->worst_key_med = s->worst_key = NAN;
  for (size_t i = 0; i < r->rows.n; i++) {
    const cs__eval_row *w = &r->rows.v[i];
    if (w->op != op || strcmp(w->device, dev)) continue;
    double e = rel_err(w);
    cs__vec_push(&a, fabs(e));
    cs__vec_push(&sg, e);
    if (fabs(e) > s->worst) s->worst = fabs(e);
    if (w->num_tokens >= 0 && op < CS__NUM_TOK_OPS) cs__vec_push(&tk, ((tok_err){w->num_tokens, fabs(e)}));
  }
  s->n = (int)a.n;
  s->med = median_of(a.v, a.n);
  s->bias = median_of(sg.v, sg.n);
  if (tk.n) worst_key(tk.v, tk.n, s);
  free(a.v);
  free(sg.v);
  free(tk.v);
}

void cs_eval_summarize(const cs__eval_result *r, cs__eval_sums *out) {
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < r->rows.n; i++) {
    const cs__eval_row *w = &r->rows.v[i];
    bool seen = false;
    for (size_t k = 0; k < out->v.n && !seen; k++) seen = out->v.v[k].op == w->op && !strcmp(out->v.v[k].device, w->device);
    if (seen) continue;
    cs__eval_sum s;
    summarize_one(r, w->device, w->op, &s);
    cs__vec_push(&out->v, s);
  }
}
