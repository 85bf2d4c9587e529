/* Named numeric parameters of a policy (scheduler, router, predictor, queue).
 * A policy parameter is an entry of the one field-table shape (capsearch/opt.h): each policy
 * declares its parameters once, in its own file, as a static table of cs_opt over its own typed
 * parameter struct (name, type, default, bounds, doc, offset, flags). Configuration code checks
 * user keys against that table (rejecting a misspelled 'chunk_sise' with a suggestion) and
 * collects the values in a cs_params; the policy binds them into its struct once
 * (cs_params_bind) and from then on reads plain fields, never names.
 *
 *   typedef struct my_params { int64_t chunk_size; double slack; } my_params;
 *   static const cs_param_spec my_specs[] = {
 *       {CS_PARAM_FIELD(my_params, chunk_size), .type = CS_OPT_INT, .def = 512, .range = {.min = 1, .max = 1 << 24},
 *        .flags = CS_PARAM_KEY, .help = "tokens per iteration"}, ...};
 *
 * Types: CS_OPT_INT (an integer field of any width, e.g. int64_t), CS_OPT_NUM (double),
 * CS_OPT_FLAG (bool, written 0/1 or true/false). The field's C type is taken from the struct
 * (CS_OPT_FIELD), so the bind cannot write the wrong width.
 * Ownership: specs are static; cs_params is a small value struct (no heap). */
#ifndef CAPSEARCH_PARAMS_H
#define CAPSEARCH_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#include "capsearch/error.h"
#include "capsearch/opt.h"

/* A policy parameter: an option-table entry (.name, .type, .def, .range, .required, .help,
 * .off/.store, .flags). Policy tables are counted (nspecs), not CS_OPT_END-terminated. */
typedef cs_opt cs_param_spec;

enum {
  /* Behaviour-changing: a value given in a sweep names the job (enters its key, src/sweep). */
  CS_PARAM_KEY = 1u << 0,
  /* Filled by the sweep itself, not the scheduler entry: the job's batch size x PP
   * (batch_size_cap) and the trace's max_seq_len (max_tokens_in_batch), as Vidur does. */
  CS_PARAM_FROM_BATCH_SIZE = 1u << 1,
  CS_PARAM_FROM_MAX_SEQ_LEN = 1u << 2,
  /* A limit per attention rank: with data-parallel attention (dp ranks run as one scheduler over
   * their pooled KV caches) the simulation multiplies it by dp. */
  CS_PARAM_PER_RANK = 1u << 3,
};

/* .name, .off and .store of field f of parameter struct T: the key is the field's own name. */
#define CS_PARAM_FIELD(T, f) .name = #f, CS_OPT_FIELD(T, f)

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
/* Writes every declared parameter into `out` (a struct laid out by the specs' offsets): the
 * value in `given` (NULL: none) when present and valid, else the default; a missing required
 * parameter or an invalid value fails with a message naming `where` and `policy`. */
int cs_params_bind(const cs_param_spec *specs, size_t nspecs, const cs_params *given, void *out, const char *policy,
                   const char *where, cs_err *err);
/* The value of parameter `name` in a struct bound by cs_params_bind, as a double; `def` when
 * the specs do not declare it. */
double cs_params_bound_get(const cs_param_spec *specs, size_t nspecs, const void *bound, const char *name,
                           double def);
/* Fills defaults for unset parameters and checks that required ones are present. */
int cs_params_finish(cs_params *p, const cs_param_spec *specs, size_t nspecs, const char *policy,
                     const char *where, cs_err *err);

#endif
