/* The sweep-file parser's state and its field readers (parse.c reads the sections with them).
 * Every reader names the value by its place in the file ("clusters[0].gpus_per_node") and fails
 * with "<file>:<line>:<col>: ..." and what was expected.
 * Ownership: strings and arrays are allocated in the sweep's arena (p->a). */
#ifndef CS_CONFIG_PARSER_H
#define CS_CONFIG_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capsearch/sweep.h"
#include "util/arena.h"
#include "util/opt.h"
#include "util/yaml.h"

typedef struct cs__cfg_parser {
  const cs__ydoc *d;
  cs__arena *a;
  cs_sweep *s;
  cs_err *err;
  bool skip_trace_check; /* listing jobs (--dry-run) needs no trace file yet */
  bool v0;               /* Vidur V0 schema (v0.c) */
} cs__cfg_parser;

char *cs__cfg_adup(cs__cfg_parser *p, const char *s);
int cs__cfg_fail_at(cs__cfg_parser *p, const cs__ynode *n, int code, const char *fmt, const char *a1, const char *a2);
int cs__cfg_need_seq(cs__cfg_parser *p, const cs__ynode *m, const char *key, const char *what, const cs__ynode **out);
int cs__cfg_item_map(cs__cfg_parser *p, const cs__ynode *n, const char *where, const char *const *allowed);
int cs__cfg_req_str(cs__cfg_parser *p, const cs__ynode *m, const char *key, const char *where, const char **out);
int cs__cfg_req_num(cs__cfg_parser *p, const cs__ynode *m, const char *key, const char *where, bool want_int, cs_sweep_num *out);
/* A policy entry's parameters (every key but `scheduler`): names, values as plain decimal numbers
 * or booleans, and the line:col of each key (for messages once the policy's bounds are known). */
int cs__cfg_policy_params(cs__cfg_parser *p, const cs__ynode *m, const char *where, int *np, const char **names,
                          double *values, int *lines, int *cols);
/* A list of integers, each in r. */
int cs__cfg_int_list_in(cs__cfg_parser *p, const cs__ynode *n, const char *what, const cs_num_range *r,
                        bool allow_empty, int64_t **out, size_t *nout);
/* A number kept with its text (cs_sweep_num), checked against r (NULL: none). */
int cs__sweep_num_in(const cs__ydoc *d, const cs__ynode *n, const char *what, const cs_num_range *r, bool want_int,
                     cs_sweep_num *out, cs__arena *a, cs_err *err);

/* Field-table readers (util/opt.h yfn; c->user is the cs__cfg_parser): a cs_sweep_num in the
 * entry's range (range.integer: an integer); a list of integers in the range, its count a
 * size_t at .count_off (.empty_ok: may be empty). */
int cs__cfg_yfn_num(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *field,
                    cs_err *err);
int cs__cfg_yfn_int_list(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *field,
                         cs_err *err);

/* Vidur's V0 explorer schema (v0.c): detection (mixing V0 and V1 keys is an error) and the
 * V0-only sections, translated into the V1 structures (round_robin router, fcfs queue, V0's
 * scheduling-delay SLO, one qps search per model x trace). */
int cs__sweep_detect_v0(cs__cfg_parser *p, const cs__ynode *root, bool *v0);
int cs__sweep_parse_v0(cs__cfg_parser *p, const cs__ynode *root);

/* The sections as field-table readers (c->user: the parser): clusters, slo_configs, traces,
 * models, search_configs (sections.c) and disaggregation (disagg.c). */
int cs__cfg_y_clusters(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *field,
                       cs_err *err);
int cs__cfg_y_slos(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *field,
                   cs_err *err);
int cs__cfg_y_traces(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *field,
                     cs_err *err);
int cs__cfg_y_models(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *field,
                     cs_err *err);
int cs__cfg_y_searches(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *field,
                       cs_err *err);
int cs__cfg_y_disagg(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *field,
                     cs_err *err);
/* The `ep_dimensions` list (disagg.c; docs/disaggregation.md): expert-parallel sizes to try. */
int cs__cfg_y_ep(const cs__opt_yctx *c, const cs_opt *o, const cs__ynode *n, const char *what, void *field,
                 cs_err *err);
/* The top-level extension keys (extensions.c): prices, predictor, seed, verdict,
 * vidur_restart_quirk, disaggregation, ep_dimensions. */
extern const cs_opt cs__sweep_extension_fields[];

#endif
