/* Field readers of the sweep-file parser (parser.h): required strings and numbers, positive
 * values, lists, policy parameters, each failing with file:line:col and what was expected. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/parser.h"
#include "util/num.h"
#include "util/opt.h"
#include "util/sbuf.h"
#include "util/text.h"

char *cs__cfg_adup(cs__cfg_parser *p, const char *s) { return s ? cs__arena_strdup(p->a, s) : NULL; }

int cs__cfg_fail_at(cs__cfg_parser *p, const cs__ynode *n, int code, const char *fmt, const char *a1, const char *a2) {
  char w[512];
  cs__y_where(p->d, n, w, sizeof w);
  char msg[768];
  snprintf(msg, sizeof msg, fmt, a1 ? a1 : "", a2 ? a2 : "");
  return cs_err_set(p->err, code, "%s: %s", w, msg);
}

/* A YAML number kept with its Python str() text (§7.4: the job key is built from it), checked
 * against r when r is not NULL. */
int cs__sweep_num_in(const cs__ydoc *d, const cs__ynode *n, const char *what, const cs_num_range *r, bool want_int,
                     cs_sweep_num *out, cs__arena *a, cs_err *err) {
  char buf[64];
  double checked;
  int rc0 = r ? cs__y_num(d, n, what, r, &checked, err) : 0;
  if (rc0) return rc0;
  if (want_int) {
    int64_t v;
    int rc = cs__y_int(d, n, what, &v, err);
    if (rc) return rc;
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    out->v = (double)v;
    out->is_int = true;
  } else {
    double v;
    int rc = cs__y_double(d, n, what, &v, err);
    if (rc) return rc;
    char *end;
    errno = 0;
    long long iv = strtoll(n->str, &end, 10);
    if (*end == '\0' && errno == 0) { /* Python int: str() prints the integer */
      snprintf(buf, sizeof buf, "%lld", iv);
      out->is_int = true;
    } else {
      cs__fmt_pyfloat(v, buf);
      out->is_int = false;
    }
    out->v = v;
  }
  out->text = cs__arena_strdup(a, buf);
  return 0;
}

int cs__sweep_num(const cs__ydoc *d, const cs__ynode *n, const char *what, bool want_int, cs_sweep_num *out,
                  cs__arena *a, cs_err *err) {
  return cs__sweep_num_in(d, n, what, NULL, want_int, out, a, err);
}

int cs__cfg_yfn_num(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *field,
                    cs_err *err) {
  return cs__sweep_num_in(c->d, n, what, &o->range, o->range.integer, field, c->a, err);
}

/* A non-empty list of integers in the entry's range; the count goes to the size_t at count_off. */
int cs__cfg_yfn_int_list(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *field,
                         cs_err *err) {
  (void)err; /* the parser's own */
  cs__cfg_parser *p = c->user;
  size_t *count = (size_t *)((char *)field - o->off + o->count_off);
  return cs__cfg_int_list_in(p, n, what, &o->range, o->empty_ok, field, count);
}

/* A required non-empty sequence at key `key` of map `m`. */
int cs__cfg_need_seq(cs__cfg_parser *p, const cs__ynode *m, const char *key, const char *what, const cs__ynode **out) {
  const cs__ynode *n = cs__ymap_get(m, key);
  if (!n || cs__y_is_null(n)) return cs__cfg_fail_at(p, m, CS_ECONFIG, "missing required key '%s'%s", key, what);
  int rc = cs__y_expect(p->d, n, CS_Y_SEQ, key, p->err);
  if (rc) return rc;
  if (n->n == 0) return cs__cfg_fail_at(p, n, CS_ECONFIG, "%s: empty list (expected at least one entry)", key, NULL);
  *out = n;
  return 0;
}

int cs__cfg_item_map(cs__cfg_parser *p, const cs__ynode *n, const char *where, const char *const *allowed) {
  int rc = cs__y_expect(p->d, n, CS_Y_MAP, where, p->err);
  if (rc) return rc;
  return cs__y_check_keys(p->d, n, allowed, where, p->err);
}

int cs__cfg_req_str(cs__cfg_parser *p, const cs__ynode *m, const char *key, const char *where, const char **out) {
  const cs__ynode *v = cs__ymap_get(m, key);
  char what[256];
  snprintf(what, sizeof what, "%s.%s", where, key);
  if (!v) return cs__cfg_fail_at(p, m, CS_ECONFIG, "%s: missing required key '%s'", where, key);
  const char *s;
  int rc = cs__y_str(p->d, v, what, &s, p->err);
  if (rc) return rc;
  *out = cs__cfg_adup(p, s);
  return 0;
}

int cs__cfg_req_num(cs__cfg_parser *p, const cs__ynode *m, const char *key, const char *where, bool want_int,
                   cs_sweep_num *out) {
  const cs__ynode *v = cs__ymap_get(m, key);
  char what[256];
  snprintf(what, sizeof what, "%s.%s", where, key);
  if (!v) return cs__cfg_fail_at(p, m, CS_ECONFIG, "%s: missing required key '%s'", where, key);
  return cs__sweep_num(p->d, v, what, want_int, out, p->a, p->err);
}

/* Extra numeric keys of a policy entry become its parameters (validated in policies.c). */
int cs__cfg_policy_params(cs__cfg_parser *p, const cs__ynode *m, const char *where, int *np, const char **names,
                          double *values, int *lines, int *cols) {
  *np = 0;
  for (size_t i = 0; i < m->n; i++) {
    const char *k = m->keys[i]->str;
    if (!strcmp(k, "scheduler")) continue;
    if (*np >= CS_PARAMS_MAX) return cs__cfg_fail_at(p, m->keys[i], CS_ECONFIG, "%s: too many parameters", where, NULL);
    char what[256];
    snprintf(what, sizeof what, "%s.%s", where, k);
    const cs__ynode *v = m->items[i];
    double dv;
    bool bv;
    /* any plain decimal number (no hex, nan or inf): the bounds are the policy's own, checked
     * when the sweep's policies are resolved (cs_sweep_resolve_policies) */
    static const cs_num_range any = {-1e300, 1e300, false, false};
    char why[160];
    if (v->kind == CS_Y_SCALAR && !v->quoted && cs__y_bool(p->d, v, what, &bv, NULL) == 0) {
      dv = bv ? 1 : 0;
    } else if (v->kind != CS_Y_SCALAR || v->quoted || cs_num_parse(v->str, &any, &dv, why, sizeof why)) {
      char w[512];
      cs__y_where(p->d, v, w, sizeof w);
      return cs_err_set(p->err, CS_ECONFIG, "%s: %s: expected a number, got %s%s%s", w, what,
                        v->kind == CS_Y_SCALAR ? "'" : "a ", v->kind == CS_Y_SCALAR ? v->str : "mapping or list",
                        v->kind == CS_Y_SCALAR ? "'" : "");
    }
    names[*np] = cs__cfg_adup(p, k);
    values[*np] = dv;
    lines[*np] = m->keys[i]->line;
    cols[*np] = m->keys[i]->col;
    (*np)++;
  }
  return 0;
}

int cs__cfg_int_list_in(cs__cfg_parser *p, const cs__ynode *n, const char *what, const cs_num_range *r,
                        bool allow_empty, int64_t **out, size_t *nout) {
  int rc = cs__y_expect(p->d, n, CS_Y_SEQ, what, p->err);
  if (rc) return rc;
  if (n->n == 0 && !allow_empty)
    return cs__cfg_fail_at(p, n, CS_ECONFIG, "%s: empty list (expected at least one entry)", what, NULL);
  *out = CS__ARENA_NEW(p->a, int64_t, n->n ? n->n : 1);
  for (size_t i = 0; i < n->n; i++) {
    char w[128];
    snprintf(w, sizeof w, "%s[%zu]", what, i);
    double v;
    if ((rc = cs__y_num(p->d, n->items[i], w, r, &v, p->err))) return rc;
    (*out)[i] = (int64_t)v;
    for (size_t k = 0; k < i; k++) /* a repeated size would repeat every job of it */
      if ((*out)[k] == (*out)[i]) {
        char first[160];
        snprintf(first, sizeof first, "%s[%zu]", what, k);
        return cs__cfg_fail_at(p, n->items[i], CS_ECONFIG, "%s: listed twice (the same as %s)", w, first);
      }
  }
  *nout = n->n;
  return 0;
}
