/* Held-out accuracy of the profile and roofline predictors, and roofline calibration (check.h). */
#include "predictor/check.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "predictor/check_eval.h"
#include "predictor/csvtab.h"
#include "predictor/interp.h"
#include "predictor/profile_src.h"
#include "util/fs.h"

#define NOPS (CS__NUM_MLP_OPS + 2) /* the nine mlp.csv ops, attn_decode, attn_prefill */
#define OP_DECODE CS__NUM_MLP_OPS
#define OP_PREFILL (CS__NUM_MLP_OPS + 1)
#define OP_COMM NOPS /* all-reduce samples of a network: x = size / 2 (one "token" of hidden 1) */

static const char *op_label(int op) {
  return op == OP_DECODE ? "attn_decode" : op == OP_PREFILL ? "attn_prefill" : cs__tok_op_name(op);
}

typedef struct sample {
  int group, op;
  double x, kv, ms; /* x: tokens (mlp ops), batch (decode) or chunk (prefill); kv for attention */
  bool fit;
} sample;

typedef struct group {
  cs__roofline rl;
  cs_model *m;
  int model, tp;
  bool eager; /* timed around eager calls (check_eval.h): predictions carry the call's host time */
} group;

typedef struct dvec {
  CS__VEC(double) v;
} dvec;

typedef struct devwork {
  const cs_device *dev;
  CS__VEC(group) groups;
  CS__VEC(sample) s;
  CS__VEC(char *) models;
  dvec *prof; /* [model * NOPS + op] */
  size_t prof_cap;
} devwork;

static dvec *prof_list(devwork *w, int model, int op) {
  size_t need = (size_t)(model + 1) * NOPS;
  if (need > w->prof_cap) {
    w->prof = cs__xrealloc(w->prof, need * sizeof *w->prof);
    memset(w->prof + w->prof_cap, 0, (need - w->prof_cap) * sizeof *w->prof);
    w->prof_cap = need;
  }
  return &w->prof[(size_t)model * NOPS + (size_t)op];
}

static int group_for(devwork *w, int model, int tp, bool eager, const cs__shape_filter *sh, cs_err *err) {
  for (size_t g = 0; g < w->groups.n; g++)
    if (w->groups.v[g].model == model && w->groups.v[g].tp == tp) return (int)g;
  group g = {0};
  g.model = model;
  g.tp = tp;
  g.eager = eager;
  g.m = cs__xcalloc(1, sizeof *g.m);
  cs__shape_model(g.m, w->models.v[model], sh);
  cs__factors f;
  cs__roofline_device_factors(w->dev, &f);
  int rc = cs__roofline_init(&g.rl, g.m, w->dev, NULL, tp, 1, &f, err);
  if (rc) {
    free(g.m);
    return rc;
  }
  if (eager) cs__eager_roofline(&g.rl);
  cs__vec_push(&w->groups, g);
  return (int)w->groups.n - 1;
}

/* Profile hold-out and roofline samples of one 1-D series (mlp op of one model/TP). */
static void add_series_1d(devwork *w, int model, int grp, int op, const cs__pts *p) {
  cs__pts fit = {0};
  for (size_t i = 0; i < p->n; i += 2) cs__pts_add(&fit, p->x[i], p->y[i]);
  cs__pts_finish(&fit);
  dvec *pl = prof_list(w, model, op);
  for (size_t i = 0; i < p->n; i++) {
    bool is_fit = i % 2 == 0;
    cs__vec_push(&w->s, ((sample){grp, op, p->x[i], 0, p->y[i], is_fit}));
    if (!is_fit && p->y[i] > 0) cs__vec_push(&pl->v, 100.0 * fabs(cs__pts_at(&fit, p->x[i]) - p->y[i]) / p->y[i]);
  }
  cs__pts_release(&fit);
}

/* Same for an attention family: hold out odd ranks within each series. */
static void add_series_2d(devwork *w, int model, int grp, int op, const cs__series2 *s) {
  cs__series2 fit = {0};
  for (size_t k = 0; k < s->n; k++)
    for (size_t i = 0; i < s->s[k].n; i += 2) cs__series2_add(&fit, s->key[k], s->s[k].x[i], s->s[k].y[i]);
  cs__series2_finish(&fit);
  dvec *pl = prof_list(w, model, op);
  for (size_t k = 0; k < s->n; k++)
    for (size_t i = 0; i < s->s[k].n; i++) {
      double y = s->s[k].y[i], x = s->s[k].x[i];
      bool is_fit = i % 2 == 0;
      cs__vec_push(&w->s, ((sample){grp, op, s->key[k], x, y, is_fit}));
      if (!is_fit && y > 0) cs__vec_push(&pl->v, 100.0 * fabs(cs__series2_at(&fit, s->key[k], x) - y) / y);
    }
  cs__series2_release(&fit);
}

/* The roofline's time for a sample; on an eager profile with the call's host time around it
 * (check_eval.h), so that the refit fits kernels, not the host's dispatch floor. */
static double rl_predict(const group *g, const sample *s) {
  if (s->op == OP_COMM) return cs__roofline_tok_op_ms(&g->rl, CS__OP_ALL_REDUCE, s->x);
  double ms = s->op == OP_DECODE    ? cs__roofline_decode_shape_ms(&g->rl, s->x, s->kv)
              : s->op == OP_PREFILL ? cs__roofline_prefill_shape_ms(&g->rl, s->x, s->kv)
                                    : cs__roofline_tok_op_ms(&g->rl, s->op, s->x);
  if (!g->eager) return ms;
  int op = s->op == OP_DECODE ? CS__EV_DECODE : s->op == OP_PREFILL ? CS__EV_PREFILL : s->op;
  return cs__eager_call_ms(&g->rl, op, s->x, s->kv, ms);
}

#define NP (9 + CS__RL_NSCALE) /* eff_c, eff_m, lat_us, attn_eff, attn_lat_us, overlap n, elem lat, memory scales,
                                * eff_comm, per-step link latency */
#define P_COMM (7 + CS__RL_NSCALE)
#define P_COMM_LAT (8 + CS__RL_NSCALE)


static void set_factors(devwork *w, const double *p) {
  for (size_t g = 0; g < w->groups.n; g++) {
    cs__roofline *r = &w->groups.v[g].rl;
    r->eff_c = p[0];
    r->eff_m = p[1];
    r->lat_s = p[2] * 1e-6;
    r->attn_eff = p[3];
    r->attn_lat_s = p[4] * 1e-6;
    r->overlap_n = p[5];
    r->elem_lat_s = p[6] * 1e-6;
    memcpy(r->mem_scale, p + 7, sizeof r->mem_scale);
    r->eff_comm = p[P_COMM];
    r->tp_lat_s = p[P_COMM_LAT] * 1e-6;
  }
}

/* Kinds of samples a fit phase looks at (bit mask). */
#define K_GEMM 1
#define K_ELEM 2
#define K_ATTN 4
#define K_COMM 8

static int kind_of(int op) {
  if (op == OP_COMM) return K_COMM;
  if (op >= CS__NUM_MLP_OPS) return K_ATTN;
  return cs__eval_op_is_gemm(op) ? K_GEMM : K_ELEM;
}

/* Mean |log(pred / measured)| over the fit subset of the samples of the given kinds. */
static double loss(devwork *w, const double *p, int kinds, int *n_out) {
  set_factors(w, p);
  double sum = 0;
  int n = 0;
  for (size_t i = 0; i < w->s.n; i++) {
    const sample *s = &w->s.v[i];
    if (!s->fit || s->ms <= 0 || !(kind_of(s->op) & kinds)) continue;
    double pr = rl_predict(&w->groups.v[s->group], s);
    if (pr <= 0) continue;
    sum += fabs(log(pr / s->ms));
    n++;
  }
  if (n_out) *n_out = n;
  return n ? sum / n : 0;
}

static void param_bounds(double *lo, double *hi) {
  for (int k = 0; k < NP; k++) lo[k] = 0.1, hi[k] = 4.0; /* scales */
  lo[0] = lo[1] = 0.2, hi[0] = hi[1] = 1.0;
  lo[2] = 0.0, hi[2] = 20.0;
  lo[3] = 0.05, hi[3] = 1.0;
  lo[4] = 0.0, hi[4] = 40.0;
  lo[5] = 1.0, hi[5] = 8.0;
  lo[6] = 0.0, hi[6] = 20.0;
  lo[P_COMM] = 0.1, hi[P_COMM] = 1.0;
  lo[P_COMM_LAT] = 0.0, hi[P_COMM_LAT] = 40.0;
}

static const char *param_name(int j) {
  static const char *const names[] = {"eff_compute", "eff_memory", "gemm_latency_us", "attn_eff",
                                      "attn_latency_us", "overlap_n", "elem_latency_us"};
  if (j < 7) return names[j];
  if (j == P_COMM) return "eff_comm";
  if (j == P_COMM_LAT) return "latency_us_per_ring_step";
  return "memory scale";
}

/* A fitted value on its search bound is no fit: the data wants a value the grid does not allow
 * (an eager-timing floor, say), and the factor is not to be trusted. Appended to warn. */
static void note_bounds(const double *p, const int *which, int nwhich, char *warn, size_t cap) {
  double lo[NP], hi[NP];
  param_bounds(lo, hi);
  for (int k = 0; k < nwhich; k++) {
    int j = which[k];
    double span = hi[j] - lo[j];
    if (p[j] > lo[j] + 1e-6 * span && p[j] < hi[j] - 1e-6 * span) continue;
    size_t n = strlen(warn);
    snprintf(warn + n, cap - n, "%s%s fitted onto its search bound %g (range %g..%g)", n ? "; " : "", param_name(j), p[j],
             lo[j], hi[j]);
  }
}

/* Coordinate descent: for each parameter a coarse grid then a fine grid around the best. */
static double fit(devwork *w, double *p, const int *which, int nwhich, int kinds) {
  double lo[NP], hi[NP];
  param_bounds(lo, hi);
  double best = loss(w, p, kinds, NULL);
  for (int round = 0; round < 3; round++)
    for (int k = 0; k < nwhich; k++) {
      int j = which[k];
      double step = (hi[j] - lo[j]) / 40, center = p[j];
      for (int pass = 0; pass < 2; pass++) {
        double a = pass ? center - step : lo[j], b = pass ? center + step : hi[j];
        int npts = pass ? 21 : 41;
        for (int i = 0; i < npts; i++) {
          double save = p[j];
          p[j] = a + (b - a) * i / (npts - 1);
          if (p[j] < lo[j] || p[j] > hi[j] || (j != 2 && p[j] <= 0)) {
            p[j] = save;
            continue;
          }
          double l = loss(w, p, kinds, NULL);
          if (l < best) best = l, center = p[j];
          else p[j] = save;
        }
        p[j] = center;
      }
    }
  return best;
}

static int load_model(devwork *w, const char *dir, int model, cs_err *err) {
  bool eager = cs__eager_method(dir);
  char *path = cs__path_join(dir, "mlp.csv"), *data = NULL;
  size_t len;
  cs__csvtab t = {0};
  int rc = cs__read_file(path, &data, &len, err);
  if (!rc) rc = cs__csvtab_parse(&t, path, data, len, err);
  cs__shape_filter sh;
  int tps[16], ntp = 0;
  if (!rc) rc = cs__mlp_shape(&t, &sh, err);
  if (!rc && (ntp = cs__mlp_tps(&t, tps, 16, err)) < 0) rc = ntp;
  for (int i = 0; i < ntp && !rc; i++) {
    cs__pts pts[CS__NUM_MLP_OPS];
    sh.tp = tps[i];
    if ((rc = cs__mlp_points(&t, &sh, pts, err))) break;
    int g = group_for(w, model, tps[i], eager, &sh, err);
    if (g < 0) rc = g;
    for (int op = 0; op < CS__NUM_MLP_OPS; op++) {
      if (!rc) add_series_1d(w, model, g, op, &pts[op]);
      cs__pts_release(&pts[op]);
    }
  }
  cs__csvtab_release(&t);
  free(data);
  free(path);
  if (rc) return rc;
  /* attention.csv, where profiled */
  path = cs__path_join(dir, "attention.csv");
  if (!cs__path_exists(path)) {
    free(path);
    return 0;
  }
  rc = cs__read_file(path, &data, &len, err);
  if (!rc) rc = cs__csvtab_parse(&t, path, data, len, err);
  if (!rc && (ntp = cs__mlp_tps(&t, tps, 16, err)) < 0) rc = ntp;
  for (int i = 0; i < ntp && !rc; i++) {
    cs__series2 dec, pre;
    cs__pts save;
    sh.tp = tps[i];
    if ((rc = cs__attn_points(&t, &sh, &dec, &pre, &save, err))) break;
    int g = group_for(w, model, tps[i], eager, &sh, err);
    if (g < 0) rc = g;
    if (!rc) {
      add_series_2d(w, model, g, OP_DECODE, &dec);
      add_series_2d(w, model, g, OP_PREFILL, &pre);
    }
    cs__series2_release(&dec);
    cs__series2_release(&pre);
    cs__pts_release(&save);
  }
  cs__csvtab_release(&t);
  free(data);
  free(path);
  return rc;
}

/* Every model folder of a device folder (filtered) into w. */
static int load_device(devwork *w, const char *devdir, const char *model_filter, cs_err *err) {
  int rc = 0;
  char **orgs;
  size_t norg = cs__list_dir(devdir, true, &orgs);
  for (size_t o = 0; o < norg && !rc; o++) {
    char *odir = cs__path_join(devdir, orgs[o]);
    char **names;
    size_t nn = cs__list_dir(odir, true, &names);
    for (size_t k = 0; k < nn && !rc; k++) {
      if (!cs__model_matches(model_filter, orgs[o], names[k])) continue;
      char *mdir = cs__path_join(odir, names[k]), *mlp = cs__path_join(mdir, "mlp.csv");
      if (cs__path_exists(mlp)) {
        char full[256];
        snprintf(full, sizeof full, "%s/%s", orgs[o], names[k]);
        cs__vec_push(&w->models, cs__xstrdup(full));
        rc = load_model(w, mdir, (int)w->models.n - 1, err);
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

/* The calibration: 1. device factors from the GEMMs (weight streaming at small T fixes
 * eff_memory, large T eff_compute); 2. element-wise kernels' memory scales (only with
 * fit_scales: they are device-independent constants otherwise); 3. attention. Fills cf's
 * factors, warnings and fit loss; leaves the fitted factors set on w's rooflines. */
static void fit_device(devwork *w, const cs_device *dev, bool fit_scales, cs__check_fit *cf) {
  cs__roofline_device_factors(dev, &cf->f);
  const cs__roofline *r0 = &w->groups.v[0].rl;
  double p[NP] = {cf->f.eff_c, cf->f.eff_m, cf->f.lat_us, r0->attn_eff, r0->attn_lat_s * 1e6, r0->overlap_n, cf->f.elem_lat_us};
  p[P_COMM] = cf->f.eff_comm;
  p[P_COMM_LAT] = r0->tp_lat_s * 1e6;
  cs__roofline_default_scales(dev, p + 7);
  int gemm_params[4] = {0, 1, 2}, ng = 3, el_params[8] = {6}, ne = 1, attn_params[4] = {3, 4}, na = 2;
  if (fit_scales) {
    static const int el[] = {CS__OP_ATTN_ROPE, CS__OP_MLP_ACT, CS__OP_INPUT_LAYERNORM, CS__OP_POST_ATTN_LAYERNORM,
                             CS__OP_ADD};
    for (size_t k = 0; k < sizeof el / sizeof el[0]; k++) el_params[ne++] = 7 + el[k];
    gemm_params[ng++] = 5; /* overlap exponent */
    attn_params[na++] = 7 + CS__RL_DECODE;
    attn_params[na++] = 7 + CS__RL_PREFILL;
  }
  fit(w, p, gemm_params, ng, K_GEMM);
  note_bounds(p, gemm_params, ng, cf->warn, sizeof cf->warn);
  fit(w, p, el_params, ne, K_ELEM);
  note_bounds(p, el_params, ne, cf->warn, sizeof cf->warn);
  cf->mean_abs_log_err = loss(w, p, K_GEMM | K_ELEM, &cf->nfit);
  int nattn = 0;
  loss(w, p, K_ATTN, &nattn);
  if (nattn) fit(w, p, attn_params, na, K_ATTN);
  if (nattn) note_bounds(p, attn_params, na, cf->warn, sizeof cf->warn);
  memcpy(cf->scales, p + 7, sizeof cf->scales);
  cf->f.elem_lat_us = p[6];
  cf->overlap_n = p[5];
  cf->attn_lat_us = nattn ? p[4] : 0;
  cf->f.eff_c = p[0];
  cf->f.eff_m = p[1];
  cf->f.lat_us = p[2];
  cf->attn_eff = nattn ? p[3] : 0;
  cf->f.source = "fitted by predictor check";
  cf->f.borrowed = false;
  set_factors(w, p);
}

/* Held-out medians over all models: profile (all mlp ops), refitted roofline (MLP up/down/act,
 * the four GEMMs, all mlp ops). */
static void heldout_summary(devwork *w, cs__check_fit *cf) {
  dvec all_prof = {0}, all_mlp = {0}, all_lin = {0}, all_rl = {0};
  for (size_t i = 0; i < w->prof_cap; i++)
    if ((int)(i % NOPS) < CS__NUM_MLP_OPS)
      for (size_t k = 0; k < w->prof[i].v.n; k++) cs__vec_push(&all_prof.v, w->prof[i].v.v[k]);
  for (size_t i = 0; i < w->s.n; i++) {
    const sample *s = &w->s.v[i];
    if (s->fit || s->ms <= 0 || s->op >= CS__NUM_MLP_OPS) continue;
    double e = 100.0 * fabs(rl_predict(&w->groups.v[s->group], s) - s->ms) / s->ms;
    cs__vec_push(&all_rl.v, e);
    if (s->op == CS__OP_MLP_UP_PROJ || s->op == CS__OP_MLP_DOWN_PROJ || s->op == CS__OP_MLP_ACT) cs__vec_push(&all_mlp.v, e);
    if (kind_of(s->op) == K_GEMM) cs__vec_push(&all_lin.v, e);
  }
  double dummy;
  cs__median_p90(all_prof.v.v, all_prof.v.n, &cf->prof_med, &dummy);
  cs__median_p90(all_mlp.v.v, all_mlp.v.n, &cf->rl_mlp_med, &dummy);
  cs__median_p90(all_lin.v.v, all_lin.v.n, &cf->rl_linear_med, &dummy);
  cs__median_p90(all_rl.v.v, all_rl.v.n, &cf->rl_all_med, &dummy);
  free(all_prof.v.v);
  free(all_mlp.v.v);
  free(all_lin.v.v);
  free(all_rl.v.v);
}

/* Roofline and profile errors on the held-out points, one row per model and op. */
static void heldout_rows(devwork *w, const char *devname, cs__check_result *out) {
  size_t nm = w->models.n;
  dvec *rl = cs__xcalloc(nm * NOPS, sizeof *rl);
  for (size_t i = 0; i < w->s.n; i++) {
    const sample *s = &w->s.v[i];
    if (s->fit || s->ms <= 0) continue;
    double pr = rl_predict(&w->groups.v[s->group], s);
    cs__vec_push(&rl[(size_t)w->groups.v[s->group].model * NOPS + (size_t)s->op].v, 100.0 * fabs(pr - s->ms) / s->ms);
  }
  for (size_t m = 0; m < nm; m++)
    for (int op = 0; op < NOPS; op++) {
      dvec *pv = prof_list(w, (int)m, op), *rv = &rl[m * NOPS + (size_t)op];
      if (!pv->v.n && !rv->v.n) continue;
      cs__check_row row = {0};
      snprintf(row.device, sizeof row.device, "%s", devname);
      snprintf(row.model, sizeof row.model, "%s", w->models.v[m]);
      snprintf(row.op, sizeof row.op, "%s", op_label(op));
      row.n = (int)rv->v.n;
      cs__median_p90(pv->v.v, pv->v.n, &row.prof_med, &row.prof_p90);
      cs__median_p90(rv->v.v, rv->v.n, &row.rl_med, &row.rl_p90);
      cs__vec_push(&out->rows, row);
    }
  for (size_t i = 0; i < nm * NOPS; i++) free(rl[i].v.v);
  free(rl);
}

static void devwork_release(devwork *w) {
  for (size_t g = 0; g < w->groups.n; g++) free(w->groups.v[g].m);
  free(w->groups.v);
  free(w->s.v);
  for (size_t i = 0; i < w->prof_cap; i++) free(w->prof[i].v.v);
  free(w->prof);
  for (size_t i = 0; i < w->models.n; i++) free(w->models.v[i]);
  free(w->models.v);
}

static int check_device(const char *devdir, const char *devname, const cs_device *dev, const char *model_filter,
                        bool fit_scales, cs__check_result *out, cs_err *err) {
  devwork w = {0};
  w.dev = dev;
  int rc = load_device(&w, devdir, model_filter, err);
  if (!rc && w.groups.n) {
    cs__check_fit cf = {0};
    snprintf(cf.device, sizeof cf.device, "%s", devname);
    fit_device(&w, dev, fit_scales, &cf);
    heldout_summary(&w, &cf);
    cs__vec_push(&out->fits, cf);
    heldout_rows(&w, devname, out);
  }
  devwork_release(&w);
  return rc;
}

/* All-reduce of one node type: per TP degree with num_workers == devices_per_node (Vidur's
 * filter), hold out odd-ranked sizes; fit eff_comm and the per-step latency of the ring. */
static int check_network(const char *path, const cs_network *net, const cs_device *dev, cs__check_result *out,
                         cs_err *err) {
  char *data = NULL;
  size_t len;
  cs__csvtab t = {0};
  devwork w = {0};
  w.dev = dev;
  int rc = cs__read_file(path, &data, &len, err);
  if (!rc) rc = cs__csvtab_parse(&t, path, data, len, err);
  int cw = rc ? -1 : cs__csvtab_need(&t, "num_workers", err);
  if (!rc && cw < 0) rc = CS_EPARSE;
  int tps[16], ntp = 0;
  for (size_t r = 0; r < t.nrows && !rc; r++) {
    double v;
    if ((rc = cs__csvtab_num(&t, r, cw, &v, err))) break;
    bool seen = false;
    for (int i = 0; i < ntp; i++) seen |= tps[i] == (int)v;
    if (!seen && ntp < 16 && v >= 2) tps[ntp++] = (int)v;
  }
  cs_model unit = {0}; /* hidden 1, fp16: one "token" is 2 bytes */
  unit.name = net->name;
  unit.num_layers = unit.num_q_heads = unit.num_kv_heads = unit.hidden = unit.head_dim = 1;
  unit.weight_bytes = 2;
  CS__VEC(dvec) prof = {0};
  for (int i = 0; i < ntp && !rc; i++) {
    cs__pts pts;
    if (cs__comm_points(&t, "all_reduce", tps[i], false, 1.0, &pts, NULL)) continue; /* not profiled at this TP */
    group g = {0};
    g.tp = tps[i];
    g.model = i;
    cs__factors f;
    cs__roofline_device_factors(dev, &f);
    if ((rc = cs__roofline_init(&g.rl, &unit, dev, net, tps[i], 1, &f, err))) {
      cs__pts_release(&pts);
      break;
    }
    cs__vec_push(&w.groups, g);
    cs__pts fit = {0};
    for (size_t k = 0; k < pts.n; k += 2) cs__pts_add(&fit, pts.x[k], pts.y[k]);
    cs__pts_finish(&fit);
    dvec d = {0};
    for (size_t k = 0; k < pts.n; k++) {
      bool is_fit = k % 2 == 0;
      cs__vec_push(&w.s, ((sample){(int)w.groups.n - 1, OP_COMM, pts.x[k], 0, pts.y[k], is_fit}));
      if (!is_fit && pts.y[k] > 0) cs__vec_push(&d.v, 100.0 * fabs(cs__pts_at(&fit, pts.x[k]) - pts.y[k]) / pts.y[k]);
    }
    cs__vec_push(&prof, d);
    cs__pts_release(&fit);
    cs__pts_release(&pts);
  }
  if (!rc && w.groups.n) {
    double p[NP] = {0};
    p[P_COMM] = w.groups.v[0].rl.eff_comm;
    p[P_COMM_LAT] = w.groups.v[0].rl.tp_lat_s * 1e6;
    /* keep everything but the communication factors as initialised (the same in every group) */
    p[0] = w.groups.v[0].rl.eff_c, p[1] = w.groups.v[0].rl.eff_m, p[2] = w.groups.v[0].rl.lat_s * 1e6;
    static const int comm_params[] = {P_COMM, P_COMM_LAT};
    cs__check_fit cf = {0};
    snprintf(cf.device, sizeof cf.device, "%s", net->name);
    cs__roofline_device_factors(dev, &cf.f);
    cf.mean_abs_log_err = fit(&w, p, comm_params, 2, K_COMM);
    note_bounds(p, comm_params, 2, cf.warn, sizeof cf.warn);
    loss(&w, p, K_COMM, &cf.nfit);
    cf.f.eff_comm = p[P_COMM];
    cf.comm_lat_us = p[P_COMM_LAT];
    cf.is_network = true;
    for (size_t g = 0; g < w.groups.n; g++) {
      dvec rl = {0};
      for (size_t i = 0; i < w.s.n; i++) {
        const sample *sm = &w.s.v[i];
        if (sm->fit || sm->group != (int)g || sm->ms <= 0) continue;
        cs__vec_push(&rl.v, 100.0 * fabs(rl_predict(&w.groups.v[g], sm) - sm->ms) / sm->ms);
      }
      cs__check_row row = {0};
      snprintf(row.device, sizeof row.device, "%s", net->name);
      snprintf(row.model, sizeof row.model, "-");
      snprintf(row.op, sizeof row.op, "all_reduce_tp%d", w.groups.v[g].tp);
      row.n = (int)rl.v.n;
      cs__median_p90(prof.v[g].v.v, prof.v[g].v.n, &row.prof_med, &row.prof_p90);
      cs__median_p90(rl.v.v, rl.v.n, &row.rl_med, &row.rl_p90);
      cs__vec_push(&out->rows, row);
      free(rl.v.v);
    }
    cs__vec_push(&out->fits, cf);
  }
  for (size_t i = 0; i < prof.n; i++) free(prof.v[i].v.v);
  free(prof.v);
  free(w.groups.v);
  free(w.s.v);
  cs__csvtab_release(&t);
  free(data);
  return rc;
}

int cs__predictor_check(const char *profiling_dir, const cs_catalog *cat, const char *device, const char *model,
                        bool fit_scales, cs__check_result *out, cs_err *err) {
  memset(out, 0, sizeof *out);
  char *compute = cs__path_join(profiling_dir, "compute"), **devs = NULL;
  const cs_device *want = NULL;
  int rc = 0;
  if (!cs__is_dir(compute))
    rc = cs_err_set(err, CS_ENOENT, "%s: no such directory (expected Vidur's data/profiling layout: compute/<device>/<org>/<model>/mlp.csv)", compute);
  if (!rc && device) rc = cs_catalog_find_device(cat, device, &want, err);
  size_t nd = rc ? 0 : cs__list_dir(compute, true, &devs);
  bool any = false;
  for (size_t i = 0; i < nd && !rc; i++) {
    const cs_device *dev = NULL;
    if (cs_catalog_find_device(cat, devs[i], &dev, NULL)) continue; /* not a catalog device */
    if (want && dev != want) continue;
    any = true;
    char *dd = cs__path_join(compute, devs[i]);
    rc = check_device(dd, devs[i], dev, model, fit_scales, out, err);
    free(dd);
  }
  cs__free_list(devs, nd);
  free(compute);
  /* node types: all-reduce profiles of the networks whose device is checked */
  char *netdir = cs__path_join(profiling_dir, "network");
  char **nets;
  size_t nn = cs__list_dir(netdir, true, &nets);
  for (size_t i = 0; i < nn && !rc && !model; i++) {
    const cs_network *net = NULL;
    const cs_device *dev = NULL;
    if (cs_catalog_find_network(cat, nets[i], &net, NULL) || !net->device ||
        cs_catalog_find_device(cat, net->device, &dev, NULL))
      continue;
    if (want && dev != want) continue;
    char *nd2 = cs__path_join(netdir, nets[i]), *ar = cs__path_join(nd2, "all_reduce.csv");
    if (cs__path_exists(ar)) rc = check_network(ar, net, dev, out, err);
    free(ar);
    free(nd2);
  }
  cs__free_list(nets, nn);
  free(netdir);
  if (!rc && (!any || !out->rows.n))
    rc = cs_err_set(err, CS_ENOENT, "%s: no mlp.csv profiles%s%s%s%s", profiling_dir, device ? " for device " : "",
                    device ? device : "", model ? " and model " : "", model ? model : "");
  if (rc) cs__check_result_release(out);
  return rc;
}

void cs__check_result_release(cs__check_result *r) {
  free(r->rows.v);
  free(r->fits.v);
  memset(r, 0, sizeof *r);
}
