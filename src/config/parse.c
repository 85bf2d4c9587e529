/* Sweep file -> immutable cs_sweep (vidur-semantics.md §7.2 schema plus capsearch extensions,
 * docs/sweep.md). The top level is a field table (util/opt.h) whose entries read the sections:
 * the non-policy ones are field tables too (sections.c, extensions.c, disagg.c); the policy
 * sections are read here. Every value is read with its file:line:col; unknown keys get a
 * suggestion. Policy names and parameters are checked separately (policies.c) against the
 * registries. */
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
    if ((rc = cs__cfg_policy_params(p, m, where, &g->nparams, g->param_names, g->param_values, g->param_line,
                                     g->param_col)))
      return rc;
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
      if ((rc = cs__cfg_req_num(p, m, "slo_prefill_e2e_time_normalized", where, false, &v))) return rc;
      q->has_slo_norm = true;
      q->slo_prefill_e2e_time_normalized = v.v;
      for (size_t k = 0; k < m->n; k++)
        if (!strcmp(m->keys[k]->str, "slo_prefill_e2e_time_normalized"))
          q->slo_norm_line = m->keys[k]->line, q->slo_norm_col = m->keys[k]->col;
    }
    /* the name is the queue's part of the job key (Vidur's): two entries with one name would
     * give their jobs one key */
    for (size_t k = 0; k < i; k++)
      if (!strcmp(p->s->queues[k].name, q->name))
        return cs__cfg_fail_at(p, cs__ymap_get(m, "name"), CS_ECONFIG, "%s.name: duplicate request queue name '%s'",
                               where, q->name);
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
      if ((rc = cs__cfg_req_num(p, m, "chunk_size", where, true, &r->chunk_size))) return rc;
      r->has_chunk = true;
    }
    if ((rc = cs__cfg_policy_params(p, m, where, &r->nparams, r->param_names, r->param_values, r->param_line,
                                     r->param_col)))
      return rc;
    r->line = m->line;
    r->col = m->col;
  }
  return 0;
}

/* The policy sections as table entries: their readers above find their lists in the root. */
static int y_gscheds(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *field,
                     cs_err *err) {
  (void)o, (void)n, (void)what, (void)field, (void)err;
  cs__cfg_parser *p = c->user;
  return parse_gscheds(p, p->d->root);
}
static int y_queues(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *field,
                    cs_err *err) {
  (void)o, (void)n, (void)what, (void)field, (void)err;
  cs__cfg_parser *p = c->user;
  return parse_queues(p, p->d->root);
}
static int y_rscheds(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *field,
                     cs_err *err) {
  (void)o, (void)n, (void)what, (void)field, (void)err;
  cs__cfg_parser *p = c->user;
  return parse_rscheds(p, p->d->root);
}

/* The top level, in the order the sections are read (a later one may refer to an earlier one). */
#define LIST(key, f, nf, hi)                                                                                     \
  {CS_OPT_FN, key, CS_OPT_FIELD(cs_sweep, f), .count_off = offsetof(cs_sweep, nf), .yfn = cs__cfg_yfn_int_list,  \
   .range = {1, hi, false, true}, .required = true}
#define SECTION(key, fn) {CS_OPT_FN, key, .yfn = fn, .required = true}
static const cs_opt v1_sections[] = {
    SECTION("clusters", cs__cfg_y_clusters),
    SECTION("global_schedulers", y_gscheds),
    SECTION("request_queues", y_queues),
    SECTION("replica_schedulers", y_rscheds),
    SECTION("slo_configs", cs__cfg_y_slos),
    SECTION("traces", cs__cfg_y_traces),
    SECTION("models", cs__cfg_y_models),
    LIST("batch_sizes", batch_sizes, nbatch, 1 << 20),
    LIST("tp_dimensions", tp_dims, ntp, 1024),
    LIST("pp_dimensions", pp_dims, npp, 1024),
    SECTION("search_configs", cs__cfg_y_searches),
    {CS_OPT_END}};
/* Vidur V0 (v0.c): `schedulers`, no routers, queues, SLOs or searches */
static const cs_opt v0_sections[] = {
    SECTION("clusters", cs__cfg_y_clusters),
    SECTION("schedulers", y_rscheds),
    SECTION("traces", cs__cfg_y_traces),
    SECTION("models", cs__cfg_y_models),
    LIST("batch_sizes", batch_sizes, nbatch, 1 << 20),
    LIST("tp_dimensions", tp_dims, ntp, 1024),
    LIST("pp_dimensions", pp_dims, npp, 1024),
    {CS_OPT_END}};
#undef SECTION
#undef LIST

static const char *const top_keys[] = {
    "clusters",     "global_schedulers", "request_queues", "replica_schedulers", "slo_configs", "traces",
    "batch_sizes",  "tp_dimensions",     "pp_dimensions",  "models",             "search_configs",
    /* extensions (docs/sweep.md; extensions.c) */
    "prices",       "predictor",         "seed",           "disaggregation", "verdict",       "vidur_restart_quirk",
    "ep_dimensions",
    "schedulers", /* Vidur V0 (v0.c) */
    NULL};

static int parse_root(cs__cfg_parser *p, const cs__ynode *root) {
  int rc;
  if ((rc = cs__y_expect(p->d, root, CS_Y_MAP, "the sweep file", p->err)) ||
      (rc = cs__y_check_keys(p->d, root, top_keys, "the sweep file", p->err)) ||
      (rc = cs__sweep_detect_v0(p, root, &p->v0)))
    return rc;
  p->s->from_v0 = p->v0;
  cs__opt_yctx c = {p->d, p->a, "the sweep file", p};
  if ((rc = cs__opt_yaml_read(&c, root, p->v0 ? v0_sections : v1_sections, top_keys, "", p->s, p->err)) ||
      (p->v0 && (rc = cs__sweep_parse_v0(p, root))))
    return rc;
  return cs__opt_yaml_read(&c, root, cs__sweep_extension_fields, top_keys, "", p->s, p->err);
}

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
  s->predictor = "roofline";
  cs__cfg_parser p = {d, a, s, err, !check_traces, false};
  int rc;
  if (!d->root)
    rc = cs_err_set(err, CS_ECONFIG, "%s: empty sweep file (expected a mapping with clusters, models, ...)", file);
  else
    rc = parse_root(&p, d->root);
  if (!rc) {
    *out = s;
    return 0;
  }
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

