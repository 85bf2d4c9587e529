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
 * Read through field tables (util/opt.h); errors name file:line:col like the rest of the parser. */
#include <stdio.h>
#include <string.h>

#include "config/parser.h"

static const cs_opt pool_fields[] = {
    {CS_OPT_INT, "tp", .off = 0, .store = CS_ST_INT, .range = {1, 1024, false, true},
     .expect = "a positive value (at most 1024)", .required = true},
    {CS_OPT_INT, "pp", .off = sizeof(int), .store = CS_ST_INT, .range = {1, 1024, false, true},
     .expect = "a positive value (at most 1024)"},
    {CS_OPT_END}};

/* prefill/decode: {tp: N, pp: M} into the two ints at field (tp, then pp; pp defaults to 1) */
static int y_pool(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *field,
                  cs_err *err) {
  (void)o;
  int *tp_pp = field;
  tp_pp[1] = 1;
  return cs__opt_yaml_read(c, n, pool_fields, NULL, what, tp_pp, err);
}

static int y_ratios(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *seq, const char *what, void *field,
                    cs_err *err) {
  static const cs_num_range replicas = {1, 4096, false, true};
  cs__cfg_parser *p = c->user;
  cs_sweep_disagg *g = (cs_sweep_disagg *)((char *)field - o->off);
  int rc = cs__y_expect(c->d, seq, CS_Y_SEQ, what, err);
  if (rc) return rc;
  if (seq->n == 0) return cs__cfg_fail_at(p, seq, CS_ECONFIG, "%s: empty list (expected at least one entry)", what, NULL);
  g->nratios = (int)seq->n;
  g->ratio_prefill = CS__ARENA_NEW(p->a, int, seq->n);
  g->ratio_decode = CS__ARENA_NEW(p->a, int, seq->n);
  for (size_t i = 0; i < seq->n; i++) {
    const cs__ynode *r = seq->items[i];
    char iw[96];
    snprintf(iw, sizeof iw, "%s[%zu]", what, i);
    if (r->kind != CS_Y_SEQ || r->n != 2)
      return cs__cfg_fail_at(p, r, CS_ECONFIG, "%s: expected [prefill replicas, decode replicas], e.g. [1, 3]", iw, NULL);
    double x, y;
    if ((rc = cs__y_num(c->d, r->items[0], iw, &replicas, &x, err)) ||
        (rc = cs__y_num(c->d, r->items[1], iw, &replicas, &y, err)))
      return rc;
    g->ratio_prefill[i] = (int)x;
    g->ratio_decode[i] = (int)y;
  }
  return 0;
}

static const char *const placements[] = {"auto", "intra_node", "inter_node", NULL};
#define GF(f) CS_OPT_FIELD(cs_sweep_disagg, f)
static const cs_opt disagg_fields[] = {
    {CS_OPT_STR, "name", GF(name)},
    {CS_OPT_FN, "prefill", GF(prefill_tp), .yfn = y_pool, .required = true},
    {CS_OPT_FN, "decode", GF(decode_tp), .yfn = y_pool, .required = true},
    {CS_OPT_FN, "ratios", GF(ratio_prefill), .yfn = y_ratios, .required = true},
    {CS_OPT_ENUM, "kv_placement", GF(placement), .choices = placements},
    {CS_OPT_END}};
#undef GF

int cs__cfg_y_disagg(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *seq, const char *what, void *field,
                     cs_err *err) {
  (void)o, (void)field;
  cs__cfg_parser *p = c->user;
  if (p->v0) /* V0's clusters fix the GPU count and replica shape of every job */
    return cs__cfg_fail_at(p, seq, CS_ECONFIG,
                           "%s: not available in a Vidur V0 explorer file (its clusters fix num_gpus and one replica shape "
                           "per job); write the sweep in the V1 schema with search_configs (docs/sweep.md)",
                           "disaggregation", NULL);
  int rc = cs__y_expect(c->d, seq, CS_Y_SEQ, what, err);
  if (rc) return rc;
  if (seq->n == 0) return cs__cfg_fail_at(p, seq, CS_ECONFIG, "%s: empty list (expected at least one entry)", what, NULL);
  p->s->ndisagg = seq->n;
  p->s->disagg = CS__ARENA_NEW(p->a, cs_sweep_disagg, seq->n);
  for (size_t i = 0; i < seq->n; i++) {
    char where[64];
    snprintf(where, sizeof where, "disaggregation[%zu]", i);
    const cs__ynode *m = seq->items[i];
    cs_sweep_disagg *g = &p->s->disagg[i];
    if ((rc = cs__opt_yaml_read(c, m, disagg_fields, NULL, where, g, err))) return rc;
    if (!g->name) {
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

int cs__cfg_y_ep(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *field,
                 cs_err *err) {
  cs__cfg_parser *p = c->user;
  if (p->v0)
    return cs__cfg_fail_at(p, n, CS_ECONFIG,
                           "%s: not available in a Vidur V0 explorer file (its clusters fix each replica's GPUs); "
                           "write the sweep in the V1 schema with search_configs (docs/sweep.md)",
                           "ep_dimensions", NULL);
  return cs__cfg_yfn_int_list(c, o, n, what, field, err);
}
