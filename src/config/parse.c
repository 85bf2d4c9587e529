/* Sweep file -> immutable cs_sweep (vidur-semantics.md §7.2 schema plus capsearch extensions,
 * docs/sweep.md). Every value is read with its file:line:col; unknown keys get a suggestion.
 * Policy names and parameters are checked separately (policies.c) against the registries. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsearch/sweep.h"
#include "config/config.h"
#include "config/parser.h"
#include "util/arena.h"
#include "util/fs.h"
#include "util/num.h"
#include "util/sbuf.h"
#include "util/text.h"
#include "util/yaml.h"

static int parse_clusters(cs__cfg_parser *p, const cs__ynode *root) {
  static const char *const keys[] = {"device", "network_device", "gpus_per_node", NULL};
  static const char *const v0_keys[] = {"device", "num_gpus", "gpus_per_node", NULL};
  const cs__ynode *seq;
  int rc = cs__cfg_need_seq(p, root, "clusters", "", &seq);
  if (rc) return rc;
  p->s->nclusters = seq->n;
  p->s->clusters = CS__ARENA_NEW(p->a, cs_sweep_cluster, seq->n);
  for (size_t i = 0; i < seq->n; i++) {
    char where[64];
    snprintf(where, sizeof where, "clusters[%zu]", i);
    const cs__ynode *m = seq->items[i];
    cs_sweep_cluster *c = &p->s->clusters[i];
    cs_sweep_num g;
    if ((rc = cs__cfg_item_map(p, m, where, p->v0 ? v0_keys : keys)) ||
        (rc = cs__cfg_req_str(p, m, "device", where, &c->device)) ||
        (!p->v0 && (rc = cs__cfg_req_str(p, m, "network_device", where, &c->network_device))) ||
        (rc = cs__cfg_req_num(p, m, "gpus_per_node", where, true, &g)) || (rc = cs__cfg_positive(p, m, "gpus_per_node", where, g.v)))
      return rc;
    if (p->v0) { /* V0 never passed a network device: Vidur's default (reference §7.5) */
      cs_sweep_num ng;
      if ((rc = cs__cfg_req_num(p, m, "num_gpus", where, true, &ng)) || (rc = cs__cfg_positive(p, m, "num_gpus", where, ng.v)))
        return rc;
      c->num_gpus = (int)ng.v;
      c->network_device = "a100_pairwise_nvlink";
    }
    c->gpus_per_node = (int)g.v;
    c->line = m->line;
  }
  return 0;
}

static int parse_gscheds(cs__cfg_parser *p, const cs__ynode *root) {
  const cs__ynode *seq;
  int rc = cs__cfg_need_seq(p, root, "global_schedulers", "", &seq);
  if (rc) return rc;
  p->s->ngsched = seq->n;
  p->s->gscheds = CS__ARENA_NEW(p->a, cs_sweep_gsched, seq->n);
  for (size_t i = 0; i < seq->n; i++) {
    char where[64];
    snprintf(where, sizeof where, "global_schedulers[%zu]", i);
    const cs__ynode *m = seq->items[i];
    cs_sweep_gsched *g = &p->s->gscheds[i];
    if ((rc = cs__y_expect(p->d, m, CS_Y_MAP, where, p->err)) || (rc = cs__cfg_req_str(p, m, "scheduler", where, &g->scheduler)))
      return rc;
    const cs__ynode *v;
    if ((v = cs__ymap_get(m, "top_k"))) {
      if ((rc = cs__cfg_req_num(p, m, "top_k", where, true, &g->top_k))) return rc;
      g->has_top_k = true;
    }
    if ((v = cs__ymap_get(m, "tolerance_factor"))) {
      if ((rc = cs__cfg_req_num(p, m, "tolerance_factor", where, false, &g->tolerance_factor))) return rc;
      g->has_tolerance = true;
    }
    if ((rc = cs__cfg_policy_params(p, m, where, &g->nparams, g->param_names, g->param_values))) return rc;
    g->line = m->line;
    g->col = m->col;
  }
  return 0;
}

static int parse_queues(cs__cfg_parser *p, const cs__ynode *root) {
  static const char *const keys[] = {"name", "provider", "slo_prefill_e2e_time_normalized", NULL};
  const cs__ynode *seq;
  int rc = cs__cfg_need_seq(p, root, "request_queues", "", &seq);
  if (rc) return rc;
  p->s->nqueues = seq->n;
  p->s->queues = CS__ARENA_NEW(p->a, cs_sweep_queue, seq->n);
  for (size_t i = 0; i < seq->n; i++) {
    char where[64];
    snprintf(where, sizeof where, "request_queues[%zu]", i);
    const cs__ynode *m = seq->items[i];
    cs_sweep_queue *q = &p->s->queues[i];
    if ((rc = cs__cfg_item_map(p, m, where, keys)) || (rc = cs__cfg_req_str(p, m, "name", where, &q->name)) ||
        (rc = cs__cfg_req_str(p, m, "provider", where, &q->provider)))
      return rc;
    if (cs__ymap_get(m, "slo_prefill_e2e_time_normalized")) {
      cs_sweep_num v;
      if ((rc = cs__cfg_req_num(p, m, "slo_prefill_e2e_time_normalized", where, false, &v)) ||
          (rc = cs__cfg_positive(p, m, "slo_prefill_e2e_time_normalized", where, v.v)))
        return rc;
      q->has_slo_norm = true;
      q->slo_prefill_e2e_time_normalized = v.v;
    }
    q->line = m->line;
    q->col = m->col;
  }
  return 0;
}

static int parse_rscheds(cs__cfg_parser *p, const cs__ynode *root) {
  const char *key = p->v0 ? "schedulers" : "replica_schedulers";
  const cs__ynode *seq;
  int rc = cs__cfg_need_seq(p, root, key, "", &seq);
  if (rc) return rc;
  p->s->nrsched = seq->n;
  p->s->rscheds = CS__ARENA_NEW(p->a, cs_sweep_rsched, seq->n);
  for (size_t i = 0; i < seq->n; i++) {
    char where[64];
    snprintf(where, sizeof where, "%s[%zu]", key, i);
    const cs__ynode *m = seq->items[i];
    cs_sweep_rsched *r = &p->s->rscheds[i];
    if ((rc = cs__y_expect(p->d, m, CS_Y_MAP, where, p->err)) || (rc = cs__cfg_req_str(p, m, "scheduler", where, &r->scheduler)))
      return rc;
    if (cs__ymap_get(m, "chunk_size")) {
      if ((rc = cs__cfg_req_num(p, m, "chunk_size", where, true, &r->chunk_size)) ||
          (rc = cs__cfg_positive(p, m, "chunk_size", where, r->chunk_size.v)))
        return rc;
      r->has_chunk = true;
    }
    if ((rc = cs__cfg_policy_params(p, m, where, &r->nparams, r->param_names, r->param_values))) return rc;
    r->line = m->line;
    r->col = m->col;
  }
  return 0;
}

/* SLO metrics go through the one metric-name resolver (cs_slo_metric_find: request_metrics.csv
 * columns and their aliases, time distributions only), as analysis reads them. */
static int parse_slo_metric(cs__cfg_parser *p, const cs__ynode *n, const char *what, cs_rm *out) {
  const char *s;
  int rc = cs__y_str(p->d, n, what, &s, p->err);
  if (rc) return rc;
  cs_err e = {0};
  char w[512];
  cs__y_where(p->d, n, w, sizeof w);
  if ((rc = cs_slo_metric_find(s, out, &e))) return cs_err_set(p->err, rc, "%s: %s: %s", w, what, e.msg);
  return 0;
}

static int parse_slos(cs__cfg_parser *p, const cs__ynode *root) {
  static const char *const keys[] = {"name", "type", "quantile", "slos", NULL};
  static const char *const skeys[] = {"metric", "value", NULL};
  const cs__ynode *seq;
  int rc = cs__cfg_need_seq(p, root, "slo_configs", "", &seq);
  if (rc) return rc;
  p->s->nslos = seq->n;
  p->s->slos = CS__ARENA_NEW(p->a, cs_slo_config, seq->n);
  for (size_t i = 0; i < seq->n; i++) {
    char where[64];
    snprintf(where, sizeof where, "slo_configs[%zu]", i);
    const cs__ynode *m = seq->items[i];
    cs_slo_config *c = &p->s->slos[i];
    const char *type;
    cs_sweep_num q;
    if ((rc = cs__cfg_item_map(p, m, where, keys)) || (rc = cs__cfg_req_str(p, m, "name", where, &c->name)) ||
        (rc = cs__cfg_req_str(p, m, "type", where, &type)) || (rc = cs__cfg_req_num(p, m, "quantile", where, false, &q)))
      return rc;
    if (!strcmp(type, "and")) c->type = CS_SLO_AND;
    else if (!strcmp(type, "or")) c->type = CS_SLO_OR;
    else return cs__cfg_fail_at(p, cs__ymap_get(m, "type"), CS_ECONFIG, "%s.type: expected 'and' or 'or', got '%s'", where, type);
    if (!(q.v > 0 && q.v <= 1))
      return cs__cfg_fail_at(p, cs__ymap_get(m, "quantile"), CS_ERANGE, "%s.quantile: expected a value in (0, 1], got %s",
                     where, q.text);
    c->quantile = q.v;
    const cs__ynode *sl = cs__ymap_get(m, "slos");
    char sw[96];
    snprintf(sw, sizeof sw, "%s.slos", where);
    if (!sl) return cs__cfg_fail_at(p, m, CS_ECONFIG, "%s: missing required key 'slos'", where, NULL);
    if ((rc = cs__y_expect(p->d, sl, CS_Y_SEQ, sw, p->err))) return rc;
    if (sl->n == 0) return cs__cfg_fail_at(p, sl, CS_ECONFIG, "%s: empty list (expected at least one SLO)", sw, NULL);
    if (sl->n > 8) return cs__cfg_fail_at(p, sl, CS_ECONFIG, "%s: at most 8 SLOs per config", sw, NULL);
    c->n = (int)sl->n;
    for (size_t k = 0; k < sl->n; k++) {
      char iw[128];
      snprintf(iw, sizeof iw, "%s[%zu]", sw, k);
      const cs__ynode *e = sl->items[k];
      cs_sweep_num v;
      if ((rc = cs__cfg_item_map(p, e, iw, skeys))) return rc;
      const cs__ynode *mn = cs__ymap_get(e, "metric");
      if (!mn) return cs__cfg_fail_at(p, e, CS_ECONFIG, "%s: missing required key 'metric'", iw, NULL);
      char mw[160];
      snprintf(mw, sizeof mw, "%s.metric", iw);
      if ((rc = parse_slo_metric(p, mn, mw, &c->slos[k].metric)) || (rc = cs__cfg_req_num(p, e, "value", iw, false, &v)))
        return rc;
      c->slos[k].value = v.v;
    }
  }
  return 0;
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

static int check_readable(cs__cfg_parser *p, const cs__ynode *n, const char *where, const char *path) {
  return check_input(p, n, where, "trace file", path);
}

static const char *resolve_path(cs__cfg_parser *p, const char *rel) {
  if (rel[0] == '/' || !strcmp(p->s->dir, ".")) return cs__cfg_adup(p, rel);
  char *j = cs__path_join(p->s->dir, rel);
  const char *r = cs__cfg_adup(p, j);
  free(j);
  return r;
}

static int parse_traces(cs__cfg_parser *p, const cs__ynode *root) {
  static const char *const keys[] = {"name", "trace_file", "max_seq_len", "enable_prefix_caching", "overlong", NULL};
  static const char *const v0_keys[] = {"name",     "trace_file", "max_seq_len", "enable_prefix_caching",
                                        "overlong", "num_requests", "start_qps", NULL};
  const cs__ynode *seq;
  int rc = cs__cfg_need_seq(p, root, "traces", "", &seq);
  if (rc) return rc;
  p->s->ntraces = seq->n;
  p->s->traces = CS__ARENA_NEW(p->a, cs_sweep_trace, seq->n);
  for (size_t i = 0; i < seq->n; i++) {
    char where[64];
    snprintf(where, sizeof where, "traces[%zu]", i);
    const cs__ynode *m = seq->items[i];
    cs_sweep_trace *t = &p->s->traces[i];
    if ((rc = cs__cfg_item_map(p, m, where, p->v0 ? v0_keys : keys)) ||
        (rc = cs__cfg_req_str(p, m, "name", where, &t->name)) || (rc = cs__cfg_req_str(p, m, "trace_file", where, &t->trace_file)) ||
        (rc = cs__cfg_req_num(p, m, "max_seq_len", where, true, &t->max_seq_len)) ||
        (rc = cs__cfg_positive(p, m, "max_seq_len", where, t->max_seq_len.v)))
      return rc;
    const cs__ynode *pc = cs__ymap_get(m, "enable_prefix_caching");
    if (pc) {
      char what[96];
      snprintf(what, sizeof what, "%s.enable_prefix_caching", where);
      if ((rc = cs__y_bool(p->d, pc, what, &t->enable_prefix_caching, p->err))) return rc;
    }
    if (cs__ymap_get(m, "overlong")) {
      const char *ov;
      cs_err e = {0};
      if ((rc = cs__cfg_req_str(p, m, "overlong", where, &ov))) return rc;
      if (cs_overlong_parse(ov, &t->overlong, &e))
        return cs__cfg_fail_at(p, cs__ymap_get(m, "overlong"), CS_ECONFIG, "%s.overlong: %s", where, e.msg);
      t->has_overlong = true;
    }
    for (size_t k = 0; k < i; k++)
      if (!strcmp(p->s->traces[k].name, t->name))
        return cs__cfg_fail_at(p, cs__ymap_get(m, "name"), CS_ECONFIG, "%s.name: duplicate trace name '%s'", where, t->name);
    t->path = resolve_path(p, t->trace_file);
    if (!p->skip_trace_check && (rc = check_readable(p, cs__ymap_get(m, "trace_file"), where, t->path)))
      return rc;
    t->line = m->line;
  }
  return 0;
}

static int parse_models(cs__cfg_parser *p, const cs__ynode *root) {
  static const char *const keys[] = {"name", "identifier", "exclude_tp_dims", "config", NULL};
  const cs__ynode *seq;
  int rc = cs__cfg_need_seq(p, root, "models", "", &seq);
  if (rc) return rc;
  p->s->nmodels = seq->n;
  p->s->models = CS__ARENA_NEW(p->a, cs_sweep_model, seq->n);
  for (size_t i = 0; i < seq->n; i++) {
    char where[64];
    snprintf(where, sizeof where, "models[%zu]", i);
    const cs__ynode *m = seq->items[i];
    cs_sweep_model *md = &p->s->models[i];
    if ((rc = cs__cfg_item_map(p, m, where, keys)) || (rc = cs__cfg_req_str(p, m, "name", where, &md->name))) return rc;
    if (cs__ymap_get(m, "identifier")) {
      if ((rc = cs__cfg_req_str(p, m, "identifier", where, &md->identifier))) return rc;
    } else if (!cs__ymap_get(m, "config")) {
      return cs__cfg_fail_at(p, m, CS_ECONFIG, "%s: missing required key 'identifier' (or a local 'config' path)", where, NULL);
    }
    if (cs__ymap_get(m, "config")) {
      const char *c;
      if ((rc = cs__cfg_req_str(p, m, "config", where, &c))) return rc;
      md->config = resolve_path(p, c);
      char cw[96];
      snprintf(cw, sizeof cw, "%s.config", where);
      if ((rc = check_input(p, cs__ymap_get(m, "config"), cw, "model config", md->config))) return rc;
    }
    const cs__ynode *ex = cs__ymap_get(m, "exclude_tp_dims");
    if (ex && !cs__y_is_null(ex)) {
      size_t n = 0;
      char what[96];
      snprintf(what, sizeof what, "%s.exclude_tp_dims", where);
      if ((rc = cs__cfg_int_list(p, ex, what, true, &md->exclude_tp_dims, &n))) return rc;
      md->nexclude = (int)n;
    }
    for (size_t k = 0; k < i; k++)
      if (!strcmp(p->s->models[k].name, md->name))
        return cs__cfg_fail_at(p, cs__ymap_get(m, "name"), CS_ECONFIG, "%s.name: duplicate model name '%s'", where, md->name);
    md->line = m->line;
  }
  return 0;
}

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

static int parse_searches(cs__cfg_parser *p, const cs__ynode *root) {
  static const char *const keys[] = {"trace",        "model", "search_for", "num_replicas", "qps",
                                     "num_requests", "qps_multipliers", NULL};
  const cs__ynode *seq;
  int rc = cs__cfg_need_seq(p, root, "search_configs", "", &seq);
  if (rc) return rc;
  cs_sweep *s = p->s;
  s->nsearches = seq->n;
  s->searches = CS__ARENA_NEW(p->a, cs_sweep_search, seq->n);
  const char **tn = CS__ARENA_NEW(p->a, const char *, s->ntraces);
  const char **mn = CS__ARENA_NEW(p->a, const char *, s->nmodels);
  for (size_t i = 0; i < s->ntraces; i++) tn[i] = s->traces[i].name;
  for (size_t i = 0; i < s->nmodels; i++) mn[i] = s->models[i].name;
  for (size_t i = 0; i < seq->n; i++) {
    char where[64];
    snprintf(where, sizeof where, "search_configs[%zu]", i);
    const cs__ynode *m = seq->items[i];
    cs_sweep_search *sc = &s->searches[i];
    const char *sf;
    if ((rc = cs__cfg_item_map(p, m, where, keys)) || (rc = cs__cfg_req_str(p, m, "trace", where, &sc->trace)) ||
        (rc = find_name(p, m, where, "trace", sc->trace, tn, s->ntraces)) ||
        (rc = cs__cfg_req_str(p, m, "model", where, &sc->model)) ||
        (rc = find_name(p, m, where, "model", sc->model, mn, s->nmodels)) ||
        (rc = cs__cfg_req_str(p, m, "search_for", where, &sf)))
      return rc;
    if (!strcmp(sf, "qps")) sc->search_for = CS_SEARCH_QPS;
    else if (!strcmp(sf, "num_replicas")) sc->search_for = CS_SEARCH_NUM_REPLICAS;
    else if (!strcmp(sf, "isoqps")) sc->search_for = CS_SEARCH_ISOQPS;
    else {
      static const char *const kinds[] = {"qps", "num_replicas", "isoqps"};
      const char *sug = cs__suggest(sf, kinds, 3);
      char w[512];
      cs__y_where(p->d, cs__ymap_get(m, "search_for"), w, sizeof w);
      return cs_err_set(p->err, CS_ECONFIG, "%s: %s.search_for: unknown search '%s' (%s%s%s)", w, where, sf,
                        sug ? "did you mean '" : "expected qps, num_replicas or isoqps", sug ? sug : "",
                        sug ? "'?" : "");
    }
    if ((rc = cs__cfg_req_num(p, m, "num_replicas", where, true, &sc->num_replicas)) ||
        (rc = cs__cfg_positive(p, m, "num_replicas", where, sc->num_replicas.v)) ||
        (rc = cs__cfg_req_num(p, m, "qps", where, false, &sc->qps)) || (rc = cs__cfg_positive(p, m, "qps", where, sc->qps.v)) ||
        (rc = cs__cfg_req_num(p, m, "num_requests", where, true, &sc->num_requests)) ||
        (rc = cs__cfg_positive(p, m, "num_requests", where, sc->num_requests.v)))
      return rc;
    const cs__ynode *mu = cs__ymap_get(m, "qps_multipliers");
    if (mu && !cs__y_is_null(mu)) {
      char what[96];
      snprintf(what, sizeof what, "%s.qps_multipliers", where);
      if ((rc = cs__y_expect(p->d, mu, CS_Y_SEQ, what, p->err))) return rc;
      sc->nmult = (int)mu->n;
      sc->qps_multipliers = CS__ARENA_NEW(p->a, double, mu->n ? mu->n : 1);
      for (size_t k = 0; k < mu->n; k++) {
        char iw[128];
        snprintf(iw, sizeof iw, "%s[%zu]", what, k);
        if ((rc = cs__y_num(p->d, mu->items[k], iw, cs__cfg_range(what), &sc->qps_multipliers[k], p->err)))
          return rc;
        if (!(sc->qps_multipliers[k] > 0))
          return cs__cfg_fail_at(p, mu->items[k], CS_ERANGE, "%s: expected a positive multiplier", iw, NULL);
      }
    }
    if (sc->search_for == CS_SEARCH_ISOQPS && sc->nmult == 0)
      return cs__cfg_fail_at(p, m, CS_ECONFIG, "%s: search_for isoqps needs a non-empty 'qps_multipliers' list", where, NULL);
    if (sc->search_for != CS_SEARCH_ISOQPS && sc->nmult > 0)
      return cs__cfg_fail_at(p, mu, CS_ECONFIG, "%s.qps_multipliers: only valid with search_for: isoqps", where, NULL);
    sc->line = m->line;
  }
  return 0;
}

int cs__sweep_parse_extensions(const cs__ydoc *d, const cs__ynode *root, cs_sweep *s, cs__arena *a, cs_err *err);

static const char *const top_keys[] = {
    "clusters",     "global_schedulers", "request_queues", "replica_schedulers", "slo_configs", "traces",
    "batch_sizes",  "tp_dimensions",     "pp_dimensions",  "models",             "search_configs",
    /* extensions (docs/sweep.md) */
    "prices",       "predictor",         "seed",           "disaggregation", "verdict",       "vidur_restart_quirk",
    "ep_dimensions",
    "schedulers", /* Vidur V0 (v0.c) */
    NULL};

static int parse_doc(const cs__ydoc *d, const char *file, bool check_traces, cs_sweep **out, cs_err *err) {
  cs__arena *a = cs__xcalloc(1, sizeof *a);
  cs__arena_init(a, 1 << 14);
  cs_sweep *s = cs__arena_alloc(a, sizeof *s);
  s->mem = a;
  s->file = cs__arena_strdup(a, file);
  char *dir = cs__path_dirname(file);
  s->dir = cs__arena_strdup(a, dir);
  free(dir);
  s->seed = 42;
  cs__cfg_parser p = {d, a, s, err, !check_traces, false};
  const cs__ynode *root = d->root;
  int rc;
  if (!root) {
    rc = cs_err_set(err, CS_ECONFIG, "%s: empty sweep file (expected a mapping with clusters, models, ...)", file);
    goto out;
  }
  if ((rc = cs__y_expect(d, root, CS_Y_MAP, "the sweep file", err)) ||
      (rc = cs__y_check_keys(d, root, top_keys, "the sweep file", err)) || (rc = cs__sweep_detect_v0(&p, root, &p.v0)))
    goto out;
  s->from_v0 = p.v0;
  if ((rc = parse_clusters(&p, root)) || (!p.v0 && (rc = parse_gscheds(&p, root))) ||
      (!p.v0 && (rc = parse_queues(&p, root))) || (rc = parse_rscheds(&p, root)) || (!p.v0 && (rc = parse_slos(&p, root))) ||
      (rc = parse_traces(&p, root)) || (rc = parse_models(&p, root)))
    goto out;
  const char *lists[3] = {"batch_sizes", "tp_dimensions", "pp_dimensions"};
  int64_t **dst[3] = {&s->batch_sizes, &s->tp_dims, &s->pp_dims};
  size_t *ns[3] = {&s->nbatch, &s->ntp, &s->npp};
  for (int i = 0; i < 3; i++) {
    const cs__ynode *n = cs__ymap_get(root, lists[i]);
    if (!n) {
      rc = cs__cfg_fail_at(&p, root, CS_ECONFIG, "missing required key '%s'", lists[i], NULL);
      goto out;
    }
    if ((rc = cs__cfg_int_list(&p, n, lists[i], false, dst[i], ns[i]))) goto out;
  }
  if ((rc = (p.v0 ? cs__sweep_parse_v0(&p, root) : parse_searches(&p, root))) || (rc = cs__sweep_parse_extensions(d, root, s, a, err)) ||
      (rc = cs__sweep_parse_disagg(&p, root)) || (rc = cs__sweep_parse_ep(&p, root)))
    goto out;
  *out = s;
  return 0;
out:
  cs__arena_release(a);
  free(a);
  return rc;
}

int cs_sweep_load(const char *path, cs_sweep **out, cs_err *err) { return cs_sweep_load_opts(path, true, out, err); }

int cs_sweep_load_opts(const char *path, bool check_trace_files, cs_sweep **out, cs_err *err) {
  cs__ydoc d;
  int rc = cs__ydoc_load_file(&d, path, err);
  if (rc) return rc;
  rc = parse_doc(&d, path, check_trace_files, out, err);
  cs__ydoc_free(&d);
  return rc;
}

int cs_sweep_load_string(const char *name, const char *text, cs_sweep **out, cs_err *err) {
  cs__ydoc d;
  int rc = cs__ydoc_load_string(&d, name, text, strlen(text), err);
  if (rc) return rc;
  rc = parse_doc(&d, name, true, out, err);
  cs__ydoc_free(&d);
  return rc;
}

void cs_sweep_free(cs_sweep *s) {
  if (!s) return;
  cs__arena *a = s->mem;
  cs__arena_release(a);
  free(a);
}

const char *cs_search_kind_name(cs_search_kind k) {
  switch (k) {
  case CS_SEARCH_QPS: return "qps";
  case CS_SEARCH_NUM_REPLICAS: return "num_replicas";
  case CS_SEARCH_ISOQPS: return "isoqps";
  }
  return "?";
}
