#include "capsearch/params.h"

#include <math.h>
#include <string.h>

#include "util/num.h"
#include "util/text.h"

double cs_params_get(const cs_params *p, const char *name, double def) {
  if (!p) return def;
  for (int i = 0; i < p->n; i++)
    if (!strcmp(p->names[i], name)) return p->values[i];
  return def;
}

bool cs_params_has(const cs_params *p, const char *name) {
  if (!p) return false;
  for (int i = 0; i < p->n; i++)
    if (!strcmp(p->names[i], name)) return true;
  return false;
}

int cs_params_set(cs_params *p, const cs_param_spec *specs, size_t nspecs, const char *policy, const char *name,
                  double value, const char *where, cs_err *err) {
  const cs_param_spec *s = NULL;
  for (size_t i = 0; i < nspecs; i++)
    if (!strcmp(specs[i].name, name)) s = &specs[i];
  if (!s) {
    const char *names[CS_PARAMS_MAX] = {0};
    size_t n = nspecs < CS_PARAMS_MAX ? nspecs : CS_PARAMS_MAX;
    for (size_t i = 0; i < n; i++) names[i] = specs[i].name;
    char suffix[600];
    cs__choices_suffix(name, names, n, "it takes", "no parameters", suffix, sizeof suffix);
    return cs_err_set(err, CS_ECONFIG, "%s: unknown parameter '%s' for '%s'%s", where, name, policy, suffix);
  }
  if (!isfinite(value))
    return cs_err_set(err, CS_ERANGE, "%s: %s.%s: expected a finite number, got %g", where, policy, name, value);
  if (s->type == CS_OPT_INT && value != floor(value))
    return cs_err_set(err, CS_ECONFIG, "%s: %s.%s: expected an integer, got %g", where, policy, name, value);
  if (s->type == CS_OPT_FLAG && value != 0 && value != 1)
    return cs_err_set(err, CS_ECONFIG, "%s: %s.%s: expected true or false", where, policy, name);
  const cs_num_range *r = &s->range;
  bool bounded = r->min != 0 || r->max != 0 || r->min_open || r->integer; /* as in opt.h: all zero = any number */
  if (bounded &&
      (value < r->min || value > r->max || (r->min_open && value == r->min) || (s->max_open && value == r->max))) {
    char v[40], lo[40], hi[40];
    cs__num_text(value, v, sizeof v);
    cs__num_text(r->min, lo, sizeof lo);
    cs__num_text(r->max, hi, sizeof hi);
    return cs_err_set(err, CS_ERANGE, "%s: %s.%s = %s is out of range (expected %s..%s)", where, policy, name, v, lo, hi);
  }
  for (int i = 0; i < p->n; i++)
    if (!strcmp(p->names[i], name)) {
      p->values[i] = value;
      return 0;
    }
  if (p->n >= CS_PARAMS_MAX) return cs_err_set(err, CS_ECONFIG, "%s: too many parameters for '%s'", where, policy);
  p->names[p->n] = s->name;
  p->values[p->n] = value;
  p->n++;
  return 0;
}

int cs_params_finish(cs_params *p, const cs_param_spec *specs, size_t nspecs, const char *policy, const char *where,
                     cs_err *err) {
  for (size_t i = 0; i < nspecs; i++) {
    if (cs_params_has(p, specs[i].name)) continue;
    if (specs[i].required)
      return cs_err_set(err, CS_ECONFIG, "%s: '%s' requires parameter '%s' (%s)", where, policy, specs[i].name,
                        specs[i].help ? specs[i].help : "no default");
    if (p->n >= CS_PARAMS_MAX) return cs_err_set(err, CS_ECONFIG, "%s: too many parameters for '%s'", where, policy);
    p->names[p->n] = specs[i].name;
    p->values[p->n] = specs[i].def;
    p->n++;
  }
  return 0;
}

static const cs_param_spec *spec_of(const cs_param_spec *specs, size_t nspecs, const char *name) {
  for (size_t i = 0; i < nspecs; i++)
    if (!strcmp(specs[i].name, name)) return &specs[i];
  return NULL;
}

int cs_params_bind(const cs_param_spec *specs, size_t nspecs, const cs_params *given, void *out, const char *policy,
                   const char *where, cs_err *err) {
  cs_params p = {0};
  for (int i = 0; given && i < given->n; i++) {
    int rc = cs_params_set(&p, specs, nspecs, policy, given->names[i], given->values[i], where, err);
    if (rc) return rc;
  }
  int rc = cs_params_finish(&p, specs, nspecs, policy, where, err);
  if (rc) return rc;
  for (size_t i = 0; i < nspecs; i++) {
    if (specs[i].store == CS_ST_NONE || specs[i].store == CS_ST_STR)
      return cs_err_set(err, CS_EINVAL, "parameter table of '%s': '%s' has no numeric field (CS_PARAM_FIELD)", policy,
                        specs[i].name);
    cs_opt_store_num(&specs[i], out, cs_params_get(&p, specs[i].name, specs[i].def));
  }
  return 0;
}

double cs_params_bound_get(const cs_param_spec *specs, size_t nspecs, const void *bound, const char *name,
                           double def) {
  const cs_param_spec *s = spec_of(specs, nspecs, name);
  if (!s || !bound || s->store == CS_ST_NONE || s->store == CS_ST_STR) return def;
  return cs_opt_load_num(s, bound);
}
