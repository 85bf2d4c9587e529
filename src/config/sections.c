/* The sweep file's non-policy sections as field tables (util/opt.h): clusters, SLOs, traces,
 * models and searches. Each key is one line: its type, its bounds, whether it is required; the
 * reader (cs__opt_yaml_read) gives every section the same file:line:col messages, unknown-key
 * suggestions and missing-key errors. What a table cannot say (a path that must be readable, a
 * name that must exist elsewhere in the file) runs after it, per item. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsearch/search.h"
#include "config/config.h"
#include "config/parser.h"
#include "util/fs.h"
#include "util/text.h"

#define INT_IN(lo, hi) .range = {lo, hi, false, true}
#define POSITIVE(hi) .range = {0, hi, true, false}
#define REQ .required = true

/* The skeleton every section shares: a non-empty list of mappings, each read through tab into
 * an arena array of `size`-byte items, then `after` (may be NULL) checks what the table cannot. */
typedef int (*item_after)(cs__cfg_parser *p, const cs__ynode *m, const char *where, void *item, size_t i);

static int read_items(cs__cfg_parser *p, const cs__ynode *seq, const char *key, const cs_opt *tab,
                      const char *const *extra, size_t size, void **out, size_t *n, item_after after) {
  int rc = cs__y_expect(p->d, seq, CS_Y_SEQ, key, p->err);
  if (rc) return rc;
  if (seq->n == 0) return cs__cfg_fail_at(p, seq, CS_ECONFIG, "%s: empty list (expected at least one entry)", key, NULL);
  char *items = cs__arena_alloc(p->a, size * seq->n);
  memset(items, 0, size * seq->n);
  cs__opt_yctx c = {p->d, p->a, "the sweep file", p};
  *out = items; /* an item's check may look at the ones before it */
  for (size_t i = 0; i < seq->n; i++) {
    char where[64];
    snprintf(where, sizeof where, "%s[%zu]", key, i);
    void *item = items + i * size;
    if ((rc = cs__opt_yaml_read(&c, seq->items[i], tab, extra, where, item, p->err))) return rc;
    if (after && (rc = after(p, seq->items[i], where, item, i))) return rc;
  }
  *n = seq->n;
  return 0;
}

/* ---- clusters ------------------------------------------------------------------------------ */

static const cs_opt cluster_fields[] = {
    {CS_OPT_STR, "device", CS_OPT_FIELD(cs_sweep_cluster, device), REQ},
    {CS_OPT_STR, "network_device", CS_OPT_FIELD(cs_sweep_cluster, network_device), REQ},
    {CS_OPT_INT, "gpus_per_node", CS_OPT_FIELD(cs_sweep_cluster, gpus_per_node), INT_IN(1, 1024), REQ},
    {CS_OPT_END}};
/* Vidur V0: num_gpus instead of a network device (reference §7.5) */
static const cs_opt v0_cluster_fields[] = {
    {CS_OPT_STR, "device", CS_OPT_FIELD(cs_sweep_cluster, device), REQ},
    {CS_OPT_INT, "gpus_per_node", CS_OPT_FIELD(cs_sweep_cluster, gpus_per_node), INT_IN(1, 1024), REQ},
    {CS_OPT_INT, "num_gpus", CS_OPT_FIELD(cs_sweep_cluster, num_gpus), INT_IN(1, 1 << 20), REQ},
    {CS_OPT_END}};

static int cluster_after(cs__cfg_parser *p, const cs__ynode *m, const char *where, void *item, size_t i) {
  (void)where, (void)i;
  cs_sweep_cluster *c = item;
  if (p->v0) c->network_device = "a100_pairwise_nvlink"; /* V0 never passed one: Vidur's default */
  c->line = m->line;
  return 0;
}

int cs__cfg_y_clusters(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *field,
                       cs_err *err) {
  (void)o, (void)field, (void)err;
  cs__cfg_parser *p = c->user;
  return read_items(p, n, what, p->v0 ? v0_cluster_fields : cluster_fields, NULL, sizeof(cs_sweep_cluster),
                    (void **)&p->s->clusters, &p->s->nclusters, cluster_after);
}

/* ---- SLOs ---------------------------------------------------------------------------------- */

/* SLO metrics go through the one metric-name resolver (cs_slo_metric_find: request_metrics.csv
 * columns and their aliases, time distributions only), as analysis reads them. */
static int y_metric(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *field,
                    cs_err *err) {
  (void)o;
  const char *s;
  int rc = cs__y_str(c->d, n, what, &s, err);
  if (rc) return rc;
  cs_err e = {0};
  char w[512];
  cs__y_where(c->d, n, w, sizeof w);
  if ((rc = cs_slo_metric_find(s, field, &e))) return cs_err_set(err, rc, "%s: %s: %s", w, what, e.msg);
  return 0;
}

static const cs_opt slo_fields[] = {
    {CS_OPT_FN, "metric", CS_OPT_FIELD(cs_slo, metric), .yfn = y_metric, REQ},
    {CS_OPT_NUM, "value", CS_OPT_FIELD(cs_slo, value), .range = {0, 1e6, false, false}, REQ}, /* seconds */
    {CS_OPT_END}};

/* slos: 1 to 8 thresholds of one SLO config */
static int y_slo_list(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *field,
                      cs_err *err) {
  cs__cfg_parser *p = c->user;
  cs_slo_config *cfg = (cs_slo_config *)((char *)field - o->off);
  int rc = cs__y_expect(c->d, n, CS_Y_SEQ, what, err);
  if (rc) return rc;
  if (n->n == 0) return cs__cfg_fail_at(p, n, CS_ECONFIG, "%s: empty list (expected at least one SLO)", what, NULL);
  if (n->n > 8) return cs__cfg_fail_at(p, n, CS_ECONFIG, "%s: at most 8 SLOs per config", what, NULL);
  for (size_t k = 0; k < n->n; k++) {
    char iw[128];
    snprintf(iw, sizeof iw, "%s[%zu]", what, k);
    if ((rc = cs__opt_yaml_read(c, n->items[k], slo_fields, NULL, iw, &cfg->slos[k], err))) return rc;
  }
  cfg->n = (int)n->n;
  return 0;
}

static const char *const slo_types[] = {"and", "or", NULL};
static const int slo_type_values[] = {CS_SLO_AND, CS_SLO_OR};
static const cs_opt slo_config_fields[] = {
    {CS_OPT_STR, "name", CS_OPT_FIELD(cs_slo_config, name), REQ},
    {CS_OPT_ENUM, "type", CS_OPT_FIELD(cs_slo_config, type), .choices = slo_types, .values = slo_type_values,
     .expect = "'and' or 'or'", REQ},
    {CS_OPT_NUM, "quantile", CS_OPT_FIELD(cs_slo_config, quantile), POSITIVE(1), REQ},
    {CS_OPT_FN, "slos", CS_OPT_FIELD(cs_slo_config, slos), .yfn = y_slo_list, REQ},
    {CS_OPT_END}};

/* Two SLOs of one name would give two jobs the same key: refused here, where the entry is. */
static int slo_after(cs__cfg_parser *p, const cs__ynode *m, const char *where, void *item, size_t i) {
  const cs_slo_config *c = item;
  for (size_t k = 0; k < i; k++)
    if (c->name && p->s->slos[k].name && !strcmp(p->s->slos[k].name, c->name))
      return cs__cfg_fail_at(p, cs__ymap_get(m, "name"), CS_ECONFIG, "%s.name: duplicate SLO name '%s'", where, c->name);
  return 0;
}

int cs__cfg_y_slos(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *field,
                   cs_err *err) {
  (void)o, (void)field, (void)err;
  cs__cfg_parser *p = c->user;
  return read_items(p, n, what, slo_config_fields, NULL, sizeof(cs_slo_config), (void **)&p->s->slos, &p->s->nslos,
                    slo_after);
}

/* ---- traces -------------------------------------------------------------------------------- */

static const char *resolve_path(cs__cfg_parser *p, const char *rel) {
  if (rel[0] == '/' || !strcmp(p->s->dir, ".")) return cs__cfg_adup(p, rel);
  char *j = cs__path_join(p->s->dir, rel);
  const char *r = cs__cfg_adup(p, j);
  free(j);
  return r;
}

static int check_input(cs__cfg_parser *p, const cs__ynode *n, const char *where, const char *kind, const char *path) {
  cs_err e = {0};
  int rc = cs__check_input(path, &e);
  if (rc == 0) return 0;
  char w[512];
  cs__y_where(p->d, n, w, sizeof w);
  const char *why = e.msg;
  size_t pl = strlen(path);
  if (!strncmp(why, path, pl) && !strncmp(why + pl, ": ", 2)) why += pl + 2;
  if (!strncmp(why, "cannot open: ", 13)) why += 13;
  return cs_err_set(p->err, rc == CS_EIO ? CS_ENOENT : rc, "%s: %s: cannot read %s '%s': %s", w, where, kind, path,
                    why);
}

static int y_overlong(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *field,
                      cs_err *err) {
  (void)o;
  const char *s;
  int rc = cs__y_str(c->d, n, what, &s, err);
  if (rc) return rc;
  cs_err e = {0};
  if (!cs_overlong_parse(s, field, &e)) return 0;
  char w[512];
  cs__y_where(c->d, n, w, sizeof w);
  return cs_err_set(err, CS_ECONFIG, "%s: %s: %s", w, what, e.msg);
}

#define TRACE_FIELDS                                                                                             \
  {CS_OPT_STR, "name", CS_OPT_FIELD(cs_sweep_trace, name), REQ},                                                 \
      {CS_OPT_STR, "trace_file", CS_OPT_FIELD(cs_sweep_trace, trace_file), REQ},                                 \
      {CS_OPT_FN, "max_seq_len", CS_OPT_FIELD(cs_sweep_trace, max_seq_len), .yfn = cs__cfg_yfn_num,              \
       INT_IN(1, 1 << 24), REQ},                                                                                 \
      {CS_OPT_FLAG, "enable_prefix_caching", CS_OPT_FIELD(cs_sweep_trace, enable_prefix_caching)},              \
      {CS_OPT_FN, "overlong", CS_OPT_FIELD(cs_sweep_trace, overlong), .yfn = y_overlong,                        \
       CS_OPT_SETS(cs_sweep_trace, has_overlong)}
static const cs_opt trace_fields[] = {TRACE_FIELDS, {CS_OPT_END}};
static const char *const v0_trace_keys[] = {"num_requests", "start_qps", NULL}; /* v0.c reads them */

static int trace_after(cs__cfg_parser *p, const cs__ynode *m, const char *where, void *item, size_t i) {
  cs_sweep_trace *t = item;
  for (size_t k = 0; k < i; k++)
    if (!strcmp(p->s->traces[k].name, t->name))
      return cs__cfg_fail_at(p, cs__ymap_get(m, "name"), CS_ECONFIG, "%s.name: duplicate trace name '%s'", where, t->name);
  t->path = resolve_path(p, t->trace_file);
  int rc = p->skip_trace_check ? 0 : check_input(p, cs__ymap_get(m, "trace_file"), where, "trace file", t->path);
  t->line = m->line;
  return rc;
}

int cs__cfg_y_traces(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *field,
                     cs_err *err) {
  (void)o, (void)field, (void)err;
  cs__cfg_parser *p = c->user;
  /* traces[k] is checked against traces[0..k), so the array is the sweep's while it fills */
  return read_items(p, n, what, trace_fields, p->v0 ? v0_trace_keys : NULL, sizeof(cs_sweep_trace),
                    (void **)&p->s->traces, &p->s->ntraces, trace_after);
}

/* ---- models -------------------------------------------------------------------------------- */

static int y_model_config(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *field,
                          cs_err *err) {
  (void)o;
  const char *rel;
  int rc = cs__y_str(c->d, n, what, &rel, err);
  if (rc) return rc;
  const char *path = resolve_path(c->user, rel);
  *(const char **)field = path;
  return check_input(c->user, n, what, "model config", path);
}

static int y_exclude(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *field,
                     cs_err *err) {
  (void)err;
  cs_sweep_model *m = (cs_sweep_model *)((char *)field - o->off);
  size_t count = 0;
  int rc = cs__cfg_int_list_in(c->user, n, what, &o->range, true, &m->exclude_tp_dims, &count);
  m->nexclude = (int)count;
  return rc;
}

static const cs_opt model_fields[] = {
    {CS_OPT_STR, "name", CS_OPT_FIELD(cs_sweep_model, name), REQ},
    {CS_OPT_STR, "identifier", CS_OPT_FIELD(cs_sweep_model, identifier)},
    {CS_OPT_FN, "exclude_tp_dims", CS_OPT_FIELD(cs_sweep_model, exclude_tp_dims), .yfn = y_exclude, INT_IN(1, 1024)},
    {CS_OPT_FN, "config", CS_OPT_FIELD(cs_sweep_model, config), .yfn = y_model_config},
    {CS_OPT_END}};

static int model_after(cs__cfg_parser *p, const cs__ynode *m, const char *where, void *item, size_t i) {
  cs_sweep_model *md = item;
  if (!md->identifier && !md->config)
    return cs__cfg_fail_at(p, m, CS_ECONFIG, "%s: missing required key 'identifier' (or a local 'config' path)", where,
                           NULL);
  for (size_t k = 0; k < i; k++)
    if (!strcmp(p->s->models[k].name, md->name))
      return cs__cfg_fail_at(p, cs__ymap_get(m, "name"), CS_ECONFIG, "%s.name: duplicate model name '%s'", where,
                             md->name);
  md->line = m->line;
  return 0;
}

int cs__cfg_y_models(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *field,
                     cs_err *err) {
  (void)o, (void)field, (void)err;
  cs__cfg_parser *p = c->user;
  return read_items(p, n, what, model_fields, NULL, sizeof(cs_sweep_model), (void **)&p->s->models, &p->s->nmodels,
                    model_after);
}

/* ---- searches ------------------------------------------------------------------------------ */

static int y_multipliers(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *field,
                         cs_err *err) {
  cs__cfg_parser *p = c->user;
  cs_sweep_search *sc = (cs_sweep_search *)((char *)field - o->off);
  int rc = cs__y_expect(c->d, n, CS_Y_SEQ, what, err);
  if (rc) return rc;
  sc->nmult = (int)n->n;
  sc->qps_multipliers = CS__ARENA_NEW(p->a, double, n->n ? n->n : 1);
  for (size_t k = 0; k < n->n; k++) {
    char iw[128];
    snprintf(iw, sizeof iw, "%s[%zu]", what, k);
    if ((rc = cs__y_num(c->d, n->items[k], iw, &o->range, &sc->qps_multipliers[k], err))) return rc;
  }
  return 0;
}

/* search_for: a name of the search registry (capsearch/search.h), stored as its kind. */
static int y_search_for(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *field,
                        cs_err *err) {
  (void)o;
  const char *name;
  const cs_search_info *si;
  cs_err e = {0};
  int rc = cs__y_str(c->d, n, what, &name, err);
  if (rc) return rc;
  if (cs_search_find(name, &si, &e)) {
    char w[512];
    cs__y_where(c->d, n, w, sizeof w);
    return cs_err_set(err, CS_ECONFIG, "%s: %s: %s", w, what, e.msg);
  }
  *(cs_search_kind *)field = si->kind;
  return 0;
}

#define SF(f) CS_OPT_FIELD(cs_sweep_search, f)
static const cs_opt search_fields[] = {
    {CS_OPT_STR, "trace", SF(trace), REQ},
    {CS_OPT_STR, "model", SF(model), REQ},
    {CS_OPT_FN, "search_for", SF(search_for), .yfn = y_search_for, REQ},
    {CS_OPT_FN, "num_replicas", SF(num_replicas), .yfn = cs__cfg_yfn_num, INT_IN(1, 1 << 20), REQ},
    {CS_OPT_FN, "qps", SF(qps), .yfn = cs__cfg_yfn_num, POSITIVE(1e9), REQ},
    /* the runner caps num_requests lower (--max-requests) */
    {CS_OPT_FN, "num_requests", SF(num_requests), .yfn = cs__cfg_yfn_num, INT_IN(1, 1e12), REQ},
    {CS_OPT_FN, "qps_multipliers", SF(qps_multipliers), .yfn = y_multipliers, POSITIVE(1e6)},
    {CS_OPT_END}};
#undef SF

/* A name that must be one of the sweep's traces or models. */
static int find_name(cs__cfg_parser *p, const cs__ynode *m, const char *where, const char *key, const char *val,
                     const char *const *names, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(names[i], val)) return 0;
  char w[512];
  cs__y_where(p->d, cs__ymap_get(m, key), w, sizeof w);
  const char *sug = cs__suggest(val, names, n);
  if (sug)
    return cs_err_set(p->err, CS_ECONFIG, "%s: %s.%s: no %s named '%s' in the sweep (did you mean '%s'?)", w, where,
                      key, key, val, sug);
  return cs_err_set(p->err, CS_ECONFIG, "%s: %s.%s: no %s named '%s' in the sweep's %ss", w, where, key, key, val,
                    key);
}

static int search_after(cs__cfg_parser *p, const cs__ynode *m, const char *where, void *item, size_t i) {
  (void)i;
  cs_sweep *s = p->s;
  cs_sweep_search *sc = item;
  const char **names = CS__ARENA_NEW(p->a, const char *, s->ntraces + s->nmodels + 1);
  for (size_t k = 0; k < s->ntraces; k++) names[k] = s->traces[k].name;
  for (size_t k = 0; k < s->nmodels; k++) names[s->ntraces + k] = s->models[k].name;
  int rc;
  if ((rc = find_name(p, m, where, "trace", sc->trace, names, s->ntraces)) ||
      (rc = find_name(p, m, where, "model", sc->model, names + s->ntraces, s->nmodels)))
    return rc;
  bool takes = cs_registry_has(&cs_search_of(sc->search_for)->info, CS_SEARCH_TAKES_MULTIPLIERS);
  char takers[128];
  cs_registry_names(cs_searches(), CS_SEARCH_TAKES_MULTIPLIERS, " or ", takers, sizeof takers);
  if (takes && sc->nmult == 0)
    return cs__cfg_fail_at(p, m, CS_ECONFIG, "%s: search_for %s needs a non-empty 'qps_multipliers' list", where,
                           cs_search_kind_name(sc->search_for));
  if (!takes && sc->nmult > 0)
    return cs__cfg_fail_at(p, cs__ymap_get(m, "qps_multipliers"), CS_ECONFIG,
                           "%s.qps_multipliers: only valid with search_for: %s", where, takers);
  sc->line = m->line;
  return 0;
}

int cs__cfg_y_searches(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *field,
                       cs_err *err) {
  (void)o, (void)field, (void)err;
  cs__cfg_parser *p = c->user;
  return read_items(p, n, what, search_fields, NULL, sizeof(cs_sweep_search), (void **)&p->s->searches,
                    &p->s->nsearches, search_after);
}
