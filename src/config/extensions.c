/* capsearch extensions of the sweep file (docs/sweep.md):
 *   prices:    {<device>: <$ per GPU-hour>, ...}  overrides the device catalog's on-demand price
 *   predictor: roofline | {name: profile, profiling_dir: DIR, predictions_dir: DIR, <param>: v}
 *   seed:      <int>  the workload seed (Vidur's default 42)
 *   verdict:   capsearch (SLO and keep-up, default) | vidur (Vidur's SLO judgement exactly)
 *   vidur_restart_quirk: <bool>  Vidur's restart rule in every simulation
 *   disaggregation: [...]  prefill/decode pools (disagg.c)
 * as the entries of a field table (util/opt.h) that parse.c reads after the sections. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/parser.h"
#include "util/fs.h"
#include "util/sbuf.h"
#include "util/text.h"

static const char *resolve(const cs_sweep *s, cs__arena *a, const char *rel) {
  if (rel[0] == '/' || !strcmp(s->dir, ".")) return cs__arena_strdup(a, rel);
  char *j = cs__path_join(s->dir, rel);
  const char *r = cs__arena_strdup(a, j);
  free(j);
  return r;
}

static int y_prices(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *sect, void *field,
                    cs_err *err) {
  (void)sect, (void)field;
  const cs__ydoc *d = c->d;
  cs__arena *a = c->a;
  cs_sweep *s = ((cs__cfg_parser *)c->user)->s;
  int rc = cs__y_expect(d, n, CS_Y_MAP, "prices", err);
  if (rc) return rc;
  s->nprices = n->n;
  s->prices = CS__ARENA_NEW(a, cs_sweep_price, n->n ? n->n : 1);
  for (size_t i = 0; i < n->n; i++) {
    char what[128];
    snprintf(what, sizeof what, "prices.%s", n->keys[i]->str);
    double v; /* $ per GPU-hour */
    if ((rc = cs__y_num(d, n->items[i], what, &o->range, &v, err))) return rc;
    s->prices[i].device = cs__arena_strdup(a, n->keys[i]->str);
    s->prices[i].per_gpu_hour = v;
    s->prices[i].line = n->keys[i]->line;
    s->prices[i].col = n->keys[i]->col;
  }
  return 0;
}

static int y_predictor(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *sect, void *field,
                       cs_err *err) {
  (void)o, (void)sect, (void)field;
  const cs__ydoc *d = c->d;
  cs__arena *a = c->a;
  cs_sweep *s = ((cs__cfg_parser *)c->user)->s;
  const char *name;
  int rc;
  if (n->kind == CS_Y_SCALAR) {
    if ((rc = cs__y_str(d, n, "predictor", &name, err))) return rc;
    s->predictor = cs__arena_strdup(a, name);
    s->predictor_line = n->line;
    s->predictor_col = n->col;
    return 0;
  }
  if ((rc = cs__y_expect(d, n, CS_Y_MAP, "predictor", err))) return rc;
  const cs__ynode *nm = cs__ymap_get(n, "name");
  if (!nm) {
    char w[512];
    cs__y_where(d, n, w, sizeof w);
    return cs_err_set(err, CS_ECONFIG, "%s: predictor: missing required key 'name' (e.g. roofline, profile)", w);
  }
  if ((rc = cs__y_str(d, nm, "predictor.name", &name, err))) return rc;
  s->predictor = cs__arena_strdup(a, name);
  s->predictor_line = nm->line;
  s->predictor_col = nm->col;
  for (size_t i = 0; i < n->n; i++) {
    const char *k = n->keys[i]->str;
    const cs__ynode *v = n->items[i];
    char what[128];
    snprintf(what, sizeof what, "predictor.%s", k);
    if (!strcmp(k, "name")) continue;
    if (!strcmp(k, "profiling_dir") || !strcmp(k, "predictions_dir")) {
      const char *p;
      if ((rc = cs__y_str(d, v, what, &p, err))) return rc;
      const char *r = resolve(s, a, p);
      if (!cs__is_dir(r)) {
        char w[512];
        cs__y_where(d, v, w, sizeof w);
        return cs_err_set(err, CS_ENOENT, "%s: %s: '%s' is not a directory", w, what, r);
      }
      if (k[1] == 'r' && k[2] == 'o') s->profiling_dir = r;
      else s->predictions_dir = r;
      continue;
    }
    if (s->npredictor_params >= CS_PARAMS_MAX) {
      char w[512];
      cs__y_where(d, v, w, sizeof w);
      return cs_err_set(err, CS_ECONFIG, "%s: predictor: too many parameters", w);
    }
    double dv;
    bool bv;
    if (v->kind == CS_Y_SCALAR && !v->quoted && cs__y_bool(d, v, what, &bv, NULL) == 0) dv = bv ? 1 : 0;
    else if ((rc = cs__y_double(d, v, what, &dv, err))) return rc;
    s->predictor_param_names[s->npredictor_params] = cs__arena_strdup(a, k);
    s->predictor_param_line[s->npredictor_params] = n->keys[i]->line;
    s->predictor_param_col[s->npredictor_params] = n->keys[i]->col;
    s->predictor_param_values[s->npredictor_params++] = dv;
  }
  return 0;
}

static const char *const verdicts[] = {"capsearch", "vidur", NULL};
static const int verdict_values[] = {false, true};
const cs_opt cs__sweep_extension_fields[] = {
    {CS_OPT_FN, "prices", .yfn = y_prices, .range = {0, 1e9, true, false}},
    {CS_OPT_FN, "predictor", .yfn = y_predictor},
    {CS_OPT_INT, "seed", CS_OPT_FIELD(cs_sweep, seed), .range = {0, 9007199254740992.0, false, true},
     CS_OPT_SETS(cs_sweep, has_seed)},
    {CS_OPT_ENUM, "verdict", CS_OPT_FIELD(cs_sweep, verdict_vidur), .choices = verdicts, .values = verdict_values,
     .noun = "verdict"},
    {CS_OPT_FLAG, "vidur_restart_quirk", CS_OPT_FIELD(cs_sweep, vidur_restart_quirk)},
    {CS_OPT_FN, "disaggregation", .yfn = cs__cfg_y_disagg},
    {CS_OPT_FN, "ep_dimensions", CS_OPT_FIELD(cs_sweep, ep_dims), .count_off = offsetof(cs_sweep, nep),
     .yfn = cs__cfg_y_ep, .range = {1, 1024, false, true}},
    {CS_OPT_END}};
