/* Named numeric parameters of a policy (scheduler, router, predictor, queue).
 * Each policy declares its parameters as a static table of cs_param_spec; configuration code
 * checks user keys against that table (rejecting a misspelled 'chunk_sise' with a suggestion)
 * and fills a cs_params with the values, defaults included.
 * Ownership: specs are static; cs_params is a small value struct (no heap). */
#ifndef CAPSEARCH_PARAMS_H
#define CAPSEARCH_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#include "capsearch/error.h"

typedef enum cs_param_type { CS_PARAM_INT, CS_PARAM_DOUBLE, CS_PARAM_BOOL } cs_param_type;

typedef struct cs_param_spec {
  const char *name;
  cs_param_type type;
  double def;        /* default value */
  double min, max;   /* inclusive bounds */
  bool required;     /* must be given (no default), e.g. tolerance_factor */
  const char *help;
} cs_param_spec;

#define CS_PARAMS_MAX 16

typedef struct cs_params {
  int n;
  const char *names[CS_PARAMS_MAX]; /* borrowed from the spec table */
  double values[CS_PARAMS_MAX];
} cs_params;

/* Value of a parameter (looked up by name); `def` when absent. */
double cs_params_get(const cs_params *p, const char *name, double def);
bool cs_params_has(const cs_params *p, const char *name);
/* Sets a value, validating it against the spec (type, range); unknown names are errors with a
 * suggestion. `where` prefixes the message (e.g. "sweep.yml:12:7: replica_schedulers[0]"). */
int cs_params_set(cs_params *p, const cs_param_spec *specs, size_t nspecs, const char *policy, const char *name,
                  double value, const char *where, cs_err *err);
/* Fills defaults for unset parameters and checks that required ones are present. */
int cs_params_finish(cs_params *p, const cs_param_spec *specs, size_t nspecs, const char *policy,
                     const char *where, cs_err *err);

#endif
