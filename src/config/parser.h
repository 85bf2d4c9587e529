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
#include "util/yaml.h"

typedef struct cs__cfg_parser {
  const cs__ydoc *d;
  cs__arena *a;
  cs_sweep *s;
  cs_err *err;
  bool skip_trace_check; /* listing jobs (--dry-run) needs no trace file yet */
  bool v0;               /* Vidur V0 schema (v0.c) */
} cs__cfg_parser;

/* The allowed range of a sweep-file number by its place ("search_configs[0].qps"), or NULL. */
struct cs__num_range;
const struct cs__num_range *cs__cfg_range(const char *what);
char *cs__cfg_adup(cs__cfg_parser *p, const char *s);
int cs__cfg_fail_at(cs__cfg_parser *p, const cs__ynode *n, int code, const char *fmt, const char *a1, const char *a2);
int cs__cfg_need_seq(cs__cfg_parser *p, const cs__ynode *m, const char *key, const char *what, const cs__ynode **out);
int cs__cfg_item_map(cs__cfg_parser *p, const cs__ynode *n, const char *where, const char *const *allowed);
int cs__cfg_req_str(cs__cfg_parser *p, const cs__ynode *m, const char *key, const char *where, const char **out);
int cs__cfg_req_num(cs__cfg_parser *p, const cs__ynode *m, const char *key, const char *where, bool want_int, cs_sweep_num *out);
int cs__cfg_positive(cs__cfg_parser *p, const cs__ynode *m, const char *key, const char *where, double v);
int cs__cfg_policy_params(cs__cfg_parser *p, const cs__ynode *m, const char *where, int *np, const char **names, double *values);
int cs__cfg_int_list(cs__cfg_parser *p, const cs__ynode *n, const char *what, bool allow_empty, int64_t **out, size_t *nout);

/* Vidur's V0 explorer schema (v0.c): detection (mixing V0 and V1 keys is an error) and the
 * V0-only sections, translated into the V1 structures (round_robin router, fcfs queue, V0's
 * scheduling-delay SLO, one qps search per model x trace). */
int cs__sweep_detect_v0(cs__cfg_parser *p, const cs__ynode *root, bool *v0);
int cs__sweep_parse_v0(cs__cfg_parser *p, const cs__ynode *root);

/* The `disaggregation` extension (disagg.c); absent = none. */
int cs__sweep_parse_disagg(cs__cfg_parser *p, const cs__ynode *root);
/* The `ep_dimensions` list (disagg.c; docs/disaggregation.md): expert-parallel sizes to try. */
int cs__sweep_parse_ep(cs__cfg_parser *p, const cs__ynode *root);

#endif
