/* The sweep file's `disaggregation` section (capsearch extension, docs/disaggregation.md):
 *
 *   disaggregation:
 *     - name: p-tp2-d-tp2            # optional (default p<tp>x<pp>-d<tp>x<pp>)
 *       prefill: {tp: 2, pp: 1}       # pp defaults to 1
 *       decode: {tp: 2}
 *       ratios: [[1, 1], [1, 2], [1, 3]]   # x prefill : y decode replicas (xPyD)
 *       kv_placement: auto            # auto | intra_node | inter_node
 *
 * and the `ep_dimensions` list (expert parallelism of MoE models, the jobs in sweep/expand_ep.c):
 *
 *   ep_dimensions: [1, 8]               # 1 = no EP; EP = tp, or tp x dp for data-parallel attention
 *
 * Errors name file:line:col like the rest of the parser. */
#include <stdio.h>
#include <string.h>

#include "config/parser.h"

static int pool(cs__cfg_parser *p, const cs__ynode *m, const char *key, const char *where, int *tp, int *pp) {
  static const char *const keys[] = {"tp", "pp", NULL};
  char w[96];
  snprintf(w, sizeof w, "%s.%s", where, key);
  const cs__ynode *n = cs__ymap_get(m, key);
  if (!n) return cs__cfg_fail_at(p, m, CS_ECONFIG, "%s: missing required key '%s'", where, key);
  int rc = cs__cfg_item_map(p, n, w, keys);
  if (rc) return rc;
  cs_sweep_num v;
  if ((rc = cs__cfg_req_num(p, n, "tp", w, true, &v)) || (rc = cs__cfg_positive(p, n, "tp", w, v.v))) return rc;
  *tp = (int)v.v;
  *pp = 1;
  if (cs__ymap_get(n, "pp")) {
    if ((rc = cs__cfg_req_num(p, n, "pp", w, true, &v)) || (rc = cs__cfg_positive(p, n, "pp", w, v.v))) return rc;
    *pp = (int)v.v;
  }
  return 0;
}

static int ratios(cs__cfg_parser *p, const cs__ynode *m, const char *where, cs_sweep_disagg *g) {
  const cs__ynode *seq;
  char what[96];
  snprintf(what, sizeof what, " in %s", where);
  int rc = cs__cfg_need_seq(p, m, "ratios", what, &seq);
  if (rc) return rc;
  g->nratios = (int)seq->n;
  g->ratio_prefill = CS__ARENA_NEW(p->a, int, seq->n);
  g->ratio_decode = CS__ARENA_NEW(p->a, int, seq->n);
  for (size_t i = 0; i < seq->n; i++) {
    const cs__ynode *r = seq->items[i];
    snprintf(what, sizeof what, "%s.ratios[%zu]", where, i);
    if (r->kind != CS_Y_SEQ || r->n != 2)
      return cs__cfg_fail_at(p, r, CS_ECONFIG, "%s: expected [prefill replicas, decode replicas], e.g. [1, 3]", what,
                             NULL);
    int64_t x, y;
    if ((rc = cs__y_int(p->d, r->items[0], what, &x, p->err)) || (rc = cs__y_int(p->d, r->items[1], what, &y, p->err)))
      return rc;
    if (x < 1 || y < 1 || x > 4096 || y > 4096)
      return cs__cfg_fail_at(p, r, CS_ERANGE, "%s: replica counts must be between 1 and 4096", what, NULL);
    g->ratio_prefill[i] = (int)x;
    g->ratio_decode[i] = (int)y;
  }
  return 0;
}

static int placement(cs__cfg_parser *p, const cs__ynode *m, const char *where, int *out) {
  static const char *const names[] = {"auto", "intra_node", "inter_node"};
  *out = 0;
  const cs__ynode *n = cs__ymap_get(m, "kv_placement");
  if (!n) return 0;
  const char *s;
  int rc = cs__y_str(p->d, n, "kv_placement", &s, p->err);
  if (rc) return rc;
  for (int i = 0; i < 3; i++)
    if (!strcmp(s, names[i])) {
      *out = i;
      return 0;
    }
  return cs__cfg_fail_at(p, n, CS_ECONFIG, "%s.kv_placement: expected auto, intra_node or inter_node, got '%s'", where, s);
}

int cs__sweep_parse_disagg(cs__cfg_parser *p, const cs__ynode *root) {
  static const char *const keys[] = {"name", "prefill", "decode", "ratios", "kv_placement", NULL};
  const cs__ynode *seq = cs__ymap_get(root, "disaggregation");
  if (!seq || cs__y_is_null(seq)) return 0;
  if (p->v0) /* V0's clusters fix the GPU count and replica shape of every job */
    return cs__cfg_fail_at(p, seq, CS_ECONFIG,
                           "%s: not available in a Vidur V0 explorer file (its clusters fix num_gpus and one replica shape "
                           "per job); write the sweep in the V1 schema with search_configs (docs/sweep.md)",
                           "disaggregation", NULL);
  int rc = cs__cfg_need_seq(p, root, "disaggregation", "", &seq);
  if (rc) return rc;
  p->s->ndisagg = seq->n;
  p->s->disagg = CS__ARENA_NEW(p->a, cs_sweep_disagg, seq->n);
  for (size_t i = 0; i < seq->n; i++) {
    char where[64];
    snprintf(where, sizeof where, "disaggregation[%zu]", i);
    const cs__ynode *m = seq->items[i];
    cs_sweep_disagg *g = &p->s->disagg[i];
    if ((rc = cs__cfg_item_map(p, m, where, keys)) ||
        (rc = pool(p, m, "prefill", where, &g->prefill_tp, &g->prefill_pp)) ||
        (rc = pool(p, m, "decode", where, &g->decode_tp, &g->decode_pp)) || (rc = ratios(p, m, where, g)) ||
        (rc = placement(p, m, where, &g->placement)))
      return rc;
    if (cs__ymap_get(m, "name")) {
      if ((rc = cs__cfg_req_str(p, m, "name", where, &g->name))) return rc;
    } else {
      char nm[64];
      snprintf(nm, sizeof nm, "p%dx%d-d%dx%d", g->prefill_tp, g->prefill_pp, g->decode_tp, g->decode_pp);
      g->name = cs__cfg_adup(p, nm);
    }
    for (size_t k = 0; k < i; k++)
      if (!strcmp(p->s->disagg[k].name, g->name))
        return cs__cfg_fail_at(p, m, CS_ECONFIG, "%s: name '%s' is used twice", where, g->name);
    g->line = m->line;
  }
  return 0;
}

int cs__sweep_parse_ep(cs__cfg_parser *p, const cs__ynode *root) {
  const cs__ynode *n = cs__ymap_get(root, "ep_dimensions");
  if (!n || cs__y_is_null(n)) return 0;
  if (p->v0)
    return cs__cfg_fail_at(p, n, CS_ECONFIG,
                           "%s: not available in a Vidur V0 explorer file (its clusters fix each replica's GPUs); "
                           "write the sweep in the V1 schema with search_configs (docs/sweep.md)",
                           "ep_dimensions", NULL);
  return cs__cfg_int_list(p, n, "ep_dimensions", false, &p->s->ep_dims, &p->s->nep);
}
