/* Option tables read from YAML (opt.h): the same entries, types and bounds as the command line,
 * with messages that name file:line:col and the value's place in the file. */
#include <stdio.h>
#include <string.h>

#include "util/opt.h"
#include "util/text.h"

static int choice(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *obj,
                  cs_err *err) {
  const char *s;
  int rc = cs__y_str(c->d, n, what, &s, err);
  if (rc) return rc;
  cs_err e = {0};
  char tmp[sizeof e.msg];
  /* the command line's message, placed: "s.yml:3:7: verdict: unknown verdict 'vidr' (...)" */
  if (!cs_opt_set(o, obj, s, what, &e)) return 0;
  snprintf(tmp, sizeof tmp, "%s", e.msg);
  char w[512];
  cs__y_where(c->d, n, w, sizeof w);
  return cs_err_set(err, CS_ECONFIG, "%s: %s", w, tmp);
}

int cs__opt_yaml_value(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *obj,
                       cs_err *err) {
  char *field = (char *)obj + o->off;
  int rc = 0;
  switch (o->type) {
  case CS_OPT_INT:
  case CS_OPT_NUM: {
    cs_num_range r = o->range;
    if (o->type == CS_OPT_INT) r.integer = true;
    double v;
    if ((rc = cs__y_num(c->d, n, what, &r, &v, err))) {
      /* the entry's own words for what was expected, where it has them */
      if (!o->expect || n->kind != CS_Y_SCALAR || n->quoted) return rc;
      char w[512];
      cs__y_where(c->d, n, w, sizeof w);
      return cs_err_set(err, rc, "%s: %s: expected %s, got '%s'", w, what, o->expect, n->str);
    }
    if (o->max_open && v == r.max) {
      char w[512], want[256];
      cs__y_where(c->d, n, w, sizeof w);
      cs_opt_expect_text(o, want, sizeof want);
      return cs_err_set(err, CS_ERANGE, "%s: %s: %s is out of range (expected %s)", w, what, n->str, want);
    }
    cs_opt_store_num(o, obj, v);
    break;
  }
  case CS_OPT_FLAG: {
    bool b;
    if ((rc = cs__y_bool(c->d, n, what, &b, err))) return rc;
    cs_opt_store_num(o, obj, b);
    break;
  }
  case CS_OPT_STR: {
    const char *s;
    if ((rc = cs__y_str(c->d, n, what, &s, err))) return rc;
    *(const char **)field = c->a ? cs__arena_strdup(c->a, s) : s;
    break;
  }
  case CS_OPT_ENUM:
    if ((rc = choice(c, o, n, what, obj, err))) return rc;
    break;
  case CS_OPT_FN:
    if (!o->yfn) return cs_err_set(err, CS_EINVAL, "%s: no YAML reader", what);
    if ((rc = o->yfn(c, o, n, what, field, err))) return rc;
    break;
  default: return cs_err_set(err, CS_EINVAL, "%s: not a YAML field", what);
  }
  if (o->set_at) *(bool *)((char *)obj + o->set_at - 1) = true;
  return 0;
}

static int check_keys(const cs__opt_yctx *c, const cs__ynode *map, const cs_opt *tab, const char *const *extra,
                      const char *where, cs_err *err) {
  const char *allowed[96];
  size_t n = 0;
  for (const cs_opt *o = tab; o->type != CS_OPT_END && n < 64; o++)
    if (o->name) allowed[n++] = o->name;
  for (size_t i = 0; extra && extra[i] && n < 95; i++) allowed[n++] = extra[i];
  allowed[n] = NULL;
  return cs__y_check_keys(c->d, map, allowed, where[0] ? where : c->top, err);
}

int cs__opt_yaml_read(const cs__opt_yctx *c, const cs__ynode *map, const cs_opt *tab, const char *const *extra,
                      const char *where, void *obj, cs_err *err) {
  int rc = cs__y_expect(c->d, map, CS_Y_MAP, where[0] ? where : c->top, err);
  if (rc || (rc = check_keys(c, map, tab, extra, where, err))) return rc;
  for (const cs_opt *o = tab; o->type != CS_OPT_END; o++) {
    if (!o->name) continue;
    const cs__ynode *n = cs__ymap_get(map, o->name);
    if (!n || cs__y_is_null(n)) {
      if (!o->required) continue;
      char w[512];
      cs__y_where(c->d, map, w, sizeof w);
      if (where[0]) return cs_err_set(err, CS_ECONFIG, "%s: %s: missing required key '%s'", w, where, o->name);
      return cs_err_set(err, CS_ECONFIG, "%s: missing required key '%s'", w, o->name);
    }
    char what[256];
    snprintf(what, sizeof what, "%s%s%s", where, where[0] ? "." : "", o->name);
    if ((rc = cs__opt_yaml_value(c, o, n, what, obj, err))) return rc;
  }
  return 0;
}
