/* Vidur's V0 config-explorer schema (vidur-semantics.md §7.2): clusters with num_gpus,
 * `schedulers` (vllm | sarathi), traces carrying num_requests and start_qps, no routers, queues,
 * SLO list or search_configs. parse.c reads the shared sections (with V0's keys where they
 * differ); this file detects the schema and fills what V0 leaves implicit:
 *  - one router (round_robin, V0's only one) and one fcfs queue;
 *  - V0's SLO, a command-line flag there: P99 request_scheduling_delay <= 5 s (V0's defaults
 *    --scheduling-delay-slo-value 5.0 / --scheduling-delay-slo-quantile 0.99, reference §7.1);
 *  - one qps search per model x trace starting at the trace's start_qps with its num_requests.
 * Replica counts (num_gpus / (tp * pp)) and V0's job keys are set at expansion (sweep/expand_v0.c). */
#include <stdio.h>
#include <string.h>

#include "config/parser.h"

static const cs__ynode *key_node(const cs__ynode *m, const char *key) {
  if (!m || m->kind != CS_Y_MAP) return NULL;
  for (size_t i = 0; i < m->n; i++)
    if (!strcmp(m->keys[i]->str, key)) return m->keys[i];
  return NULL;
}

/* V0 iff a top-level `schedulers` key or a cluster with `num_gpus`; then no V1-only key may appear. */
int cs__sweep_detect_v0(cs__cfg_parser *p, const cs__ynode *root, bool *v0) {
  static const char *const v1_only[] = {"global_schedulers", "request_queues", "replica_schedulers", "slo_configs",
                                        "search_configs"};
  const cs__ynode *mark = key_node(root, "schedulers");
  const char *why = "the V0 key 'schedulers'";
  const cs__ynode *cl = cs__ymap_get(root, "clusters");
  if (!mark && cl && cl->kind == CS_Y_SEQ)
    for (size_t i = 0; i < cl->n && !mark; i++)
      if ((mark = key_node(cl->items[i], "num_gpus"))) why = "the V0 cluster key 'num_gpus'";
  *v0 = mark != NULL;
  if (!mark) return 0;
  for (size_t i = 0; i < sizeof v1_only / sizeof *v1_only; i++) {
    const cs__ynode *k = key_node(root, v1_only[i]);
    if (!k) continue;
    char w[512];
    cs__y_where(p->d, mark, w, sizeof w);
    char msg[640];
    snprintf(msg, sizeof msg,
             "'%%s' is Vidur V1 schema but %%s (at %s) makes this a Vidur V0 file; use one schema (docs/sweep.md)", w);
    return cs__cfg_fail_at(p, k, CS_ECONFIG, msg, v1_only[i], why);
  }
  return 0;
}

static int v0_check_schedulers(cs__cfg_parser *p, const cs__ynode *root) {
  const cs__ynode *seq = cs__ymap_get(root, "schedulers");
  for (size_t i = 0; i < p->s->nrsched; i++) {
    const char *name = p->s->rscheds[i].scheduler;
    if (strcmp(name, "vllm") && strcmp(name, "sarathi")) {
      char where[64];
      snprintf(where, sizeof where, "schedulers[%zu]", i);
      return cs__cfg_fail_at(p, cs__ymap_get(seq->items[i], "scheduler"), CS_ECONFIG,
                             "%s.scheduler: Vidur V0 knows vllm and sarathi, got '%s'", where, name);
    }
  }
  return 0;
}

/* What a V0 trace entry says about its search (the rest of the entry is read with the traces). */
typedef struct v0_search {
  cs_sweep_num num_requests, start_qps;
} v0_search;
static const cs_opt v0_search_fields[] = {
    {CS_OPT_FN, "num_requests", CS_OPT_FIELD(v0_search, num_requests), .yfn = cs__cfg_yfn_num,
     .range = {1, 1e12, false, true}, .required = true},
    {CS_OPT_FN, "start_qps", CS_OPT_FIELD(v0_search, start_qps), .yfn = cs__cfg_yfn_num, .range = {0, 1e9, true, false},
     .required = true},
    {CS_OPT_END}};
static const char *const trace_keys[] = {"name", "trace_file", "max_seq_len", "enable_prefix_caching", "overlong", NULL};

int cs__sweep_parse_v0(cs__cfg_parser *p, const cs__ynode *root) {
  cs_sweep *s = p->s;
  cs__opt_yctx c = {p->d, p->a, "the sweep file", p};
  int rc = v0_check_schedulers(p, root);
  if (rc) return rc;
  s->ngsched = 1;
  s->gscheds = CS__ARENA_NEW(p->a, cs_sweep_gsched, 1);
  s->gscheds[0].scheduler = "round_robin";
  s->nqueues = 1;
  s->queues = CS__ARENA_NEW(p->a, cs_sweep_queue, 1);
  s->queues[0].name = "fcfs";
  s->queues[0].provider = "fcfs";
  s->nslos = 1;
  s->slos = CS__ARENA_NEW(p->a, cs_slo_config, 1);
  s->slos[0].name = "v0_scheduling_delay_p99_5s";
  s->slos[0].type = CS_SLO_AND;
  s->slos[0].quantile = 0.99;
  s->slos[0].n = 1;
  s->slos[0].slos[0].metric = CS_RM_SCHED_DELAY;
  s->slos[0].slos[0].value = 5.0;
  const cs__ynode *tseq = cs__ymap_get(root, "traces"); /* parse.c has checked it */
  s->nsearches = s->nmodels * s->ntraces;
  s->searches = CS__ARENA_NEW(p->a, cs_sweep_search, s->nsearches);
  for (size_t ti = 0; ti < s->ntraces; ti++) {
    const cs__ynode *m = tseq->items[ti];
    char where[64];
    snprintf(where, sizeof where, "traces[%zu]", ti);
    v0_search vs = {0};
    if ((rc = cs__opt_yaml_read(&c, m, v0_search_fields, trace_keys, where, &vs, p->err))) return rc;
    cs_sweep_num nreq = vs.num_requests, qps = vs.start_qps;
    for (size_t mi = 0; mi < s->nmodels; mi++) {
      cs_sweep_search *sc = &s->searches[mi * s->ntraces + ti];
      sc->trace = s->traces[ti].name;
      sc->model = s->models[mi].name;
      sc->search_for = CS_SEARCH_QPS;
      sc->num_replicas = (cs_sweep_num){1, "1", true}; /* per job: num_gpus / (tp * pp) */
      sc->qps = qps;
      sc->num_requests = nreq;
      sc->line = m->line;
    }
  }
  return 0;
}
