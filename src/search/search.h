/* Capacity searches as pure state machines (vidur-semantics.md §7.7): the search asks for the
 * next probe given the verdicts so far and never does I/O, so resuming a search is replaying
 * its stored verdicts through the same machine.
 *
 *   cs__search s; cs__search_init(&s, &params);
 *   cs__probe p;
 *   while (cs__search_next(&s, &p)) cs__search_report(&s, run(p));   // run -> pass/fail
 *   cs__search_answer(&s, ...);
 *
 * Ownership: plain value structs; `multipliers` is borrowed and must outlive the search. */
#ifndef CS_SEARCH_SEARCH_H
#define CS_SEARCH_SEARCH_H

#include <stdbool.h>

#include "capsearch/sweep.h"

typedef struct cs__search_params {
  cs_search_kind kind;
  double qps0;            /* the search's starting qps (num_replicas/isoqps: the fixed qps) */
  int replicas0;          /* the search's num_replicas */
  int max_iterations;     /* Vidur V1 default 10 (expansion steps count) */
  double granularity_pct; /* stop when |left - right| < pct * right / 100 (default 1) */
  double min_qps;         /* abandon a qps search whose upper bound falls below (default 0.1) */
  const double *multipliers; /* isoqps */
  int nmult;
} cs__search_params;

void cs__search_params_defaults(cs__search_params *p);

typedef struct cs__probe {
  double qps;
  int replicas;
  bool last; /* cs__search_next: under either verdict the search asks for no probe after this one */
} cs__probe;

typedef struct cs__search {
  cs__search_params p;
  int iter;          /* loop iterations used (Vidur counts expansion steps too) */
  bool found;        /* qps/num_replicas: the expansion phase is over */
  bool done;
  bool awaiting;     /* a probe was handed out and its verdict not yet reported */
  cs__probe pending;
  double left, right;      /* qps search bracket */
  long lo, hi;             /* num_replicas bracket (Vidur's left/right) */
  int nprobes;             /* verdicts received */
  bool any_pass;
  double best_qps;         /* qps: highest passing probe; isoqps: highest passing qps */
  int best_replicas;       /* num_replicas: fewest passing replicas */
  const char *stop_reason; /* static text: why the search ended */
} cs__search;

void cs__search_init(cs__search *s, const cs__search_params *p);
/* The next probe to run; false when the search is over. Calling it again before reporting
 * returns the same probe. */
bool cs__search_next(cs__search *s, cs__probe *out);
/* Verdict of the probe last returned by cs__search_next. */
void cs__search_report(cs__search *s, bool pass);
/* The answer: qps search -> (highest passing qps, replicas0); num_replicas -> (qps0, fewest
 * passing replicas); isoqps -> (highest passing qps, replicas0). False when nothing passed. */
bool cs__search_answer(const cs__search *s, double *qps, int *replicas);
/* Probes a search may use at most (for cost estimates). */
int cs__search_max_probes(const cs__search_params *p);

#endif
