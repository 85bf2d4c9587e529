/* capsearch extensions of the sweep file (docs/sweep.md):
 *   prices:    {<device>: <$ per GPU-hour>, ...}  overrides the device catalog's on-demand price
 *   predictor: roofline | {name: profile, profiling_dir: DIR, predictions_dir: DIR, <param>: v}
 *   seed:      <int>  the workload seed (Vidur's default 42)
 *   verdict:   capsearch (SLO and keep-up, default) | vidur (Vidur's SLO judgement exactly)
 *   vidur_restart_quirk: <bool>  Vidur's restart rule in every simulation */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
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

static int parse_prices(const cs__ydoc *d, const cs__ynode *n, cs_sweep *s, cs__arena *a, cs_err *err) {
  int rc = cs__y_expect(d, n, CS_Y_MAP, "prices", err);
  if (rc) return rc;
  s->nprices = n->n;
  s->prices = CS__ARENA_NEW(a, cs_sweep_price, n->n ? n->n : 1);
  for (size_t i = 0; i < n->n; i++) {
    char what[128];
    snprintf(what, sizeof what, "prices.%s", n->keys[i]->str);
    double v;
    if ((rc = cs__y_double(d, n->items[i], what, &v, err))) return rc;
    if (!(v > 0)) {
      char w[512];
      cs__y_where(d, n->items[i], w, sizeof w);
      return cs_err_set(err, CS_ERANGE, "%s: %s: expected a positive $/GPU-hour, got %g", w, what, v);
    }
    s->prices[i].device = cs__arena_strdup(a, n->keys[i]->str);
    s->prices[i].per_gpu_hour = v;
  }
  return 0;
}

static int parse_predictor(const cs__ydoc *d, const cs__ynode *n, cs_sweep *s, cs__arena *a, cs_err *err) {
  const char *name;
  int rc;
  if (n->kind == CS_Y_SCALAR) {
    if ((rc = cs__y_str(d, n, "predictor", &name, err))) return rc;
    s->predictor = cs__arena_strdup(a, name);
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
    s->predictor_param_values[s->npredictor_params++] = dv;
  }
  return 0;
}

int cs__sweep_parse_extensions(const cs__ydoc *d, const cs__ynode *root, cs_sweep *s, cs__arena *a, cs_err *err) {
  int rc;
  const cs__ynode *n;
  s->predictor = "roofline";
  if ((n = cs__ymap_get(root, "prices")) && !cs__y_is_null(n) && (rc = parse_prices(d, n, s, a, err))) return rc;
  if ((n = cs__ymap_get(root, "predictor")) && !cs__y_is_null(n) && (rc = parse_predictor(d, n, s, a, err)))
    return rc;
  if ((n = cs__ymap_get(root, "seed")) && !cs__y_is_null(n)) {
    int64_t v;
    if ((rc = cs__y_int(d, n, "seed", &v, err))) return rc;
    if (v < 0) {
      char w[512];
      cs__y_where(d, n, w, sizeof w);
      return cs_err_set(err, CS_ERANGE, "%s: seed: expected a non-negative integer", w);
    }
    s->has_seed = true;
    s->seed = (uint64_t)v;
  }
  if ((n = cs__ymap_get(root, "verdict")) && !cs__y_is_null(n)) {
    const char *v;
    if ((rc = cs__y_str(d, n, "verdict", &v, err))) return rc;
    if (strcmp(v, "vidur") && strcmp(v, "capsearch")) {
      static const char *const names[] = {"capsearch", "vidur"};
      const char *sug = cs__suggest(v, names, 2);
      char w[512];
      cs__y_where(d, n, w, sizeof w);
      return cs_err_set(err, CS_ECONFIG, "%s: verdict: unknown verdict '%s' (%s%s%s)", w, v,
                        sug ? "did you mean '" : "expected capsearch or vidur", sug ? sug : "", sug ? "'?" : "");
    }
    s->verdict_vidur = !strcmp(v, "vidur");
  }
  if ((n = cs__ymap_get(root, "vidur_restart_quirk")) && !cs__y_is_null(n) &&
      (rc = cs__y_bool(d, n, "vidur_restart_quirk", &s->vidur_restart_quirk, err)))
    return rc;
  return 0;
}
