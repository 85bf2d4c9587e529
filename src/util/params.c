#include "capsearch/params.h"

#include <math.h>
#include <string.h>

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
  if (s->type == CS_PARAM_INT && value != floor(value))
    return cs_err_set(err, CS_ECONFIG, "%s: %s.%s: expected an integer, got %g", where, policy, name, value);
  if (s->type == CS_PARAM_BOOL && value != 0 && value != 1)
    return cs_err_set(err, CS_ECONFIG, "%s: %s.%s: expected true or false", where, policy, name);
  if (value < s->min || value > s->max)
    return cs_err_set(err, CS_ERANGE, "%s: %s.%s = %g is out of range (expected %g..%g)", where, policy, name, value,
                      s->min, s->max);
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
