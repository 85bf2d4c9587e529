/* What the analyze and report commands share (cmd_analyze.c): their pricing options as option
 * table entries (util/opt.h), the catalog's price table, and loading an analysis with its
 * warnings printed to stderr. */
#ifndef CS_CLI_CMD_ANALYZE_H
#define CS_CLI_CMD_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>

#include "capsearch/analysis.h"
#include "capsearch/opt.h"

typedef struct cs__an_args {
  cs_analysis_opts o;
  const char *config_dir;
  const char *output; /* report -o FILE, analyze -o DIR */
  bool quiet;         /* analyze -q */
} cs__an_args;

/* --price DEVICE=USD (repeatable) into args->o. */
int cs__an_price_arg(void *args, const cs_opt *opt, const char *text, cs_err *err);

/* The option entries both commands take. */
#define CS__AN_COMMON_OPTS                                                                                          \
  {CS_OPT_NUM, "target-qps", .arg = "Q", .help = "traffic to size replicas for (default: each answer's own QPS)",     \
   CS_OPT_FIELD(cs__an_args, o.target_qps), .range = {0, 1e12, true, false}, .no_default = true},                   \
      {CS_OPT_NUM, "headroom", .arg = "PCT",                                                                         \
       .help = "spare capacity; utilisation = 1 - PCT/100 in [50%, 95%]", CS_OPT_FIELD(cs__an_args, o.headroom_pct), \
       .range = {0, 100, false, false}},                                                                             \
      {CS_OPT_FN, "price", .arg = "DEV=USD", .help = "$/GPU-hour for a device, overriding everything (repeatable)", \
       .fn = cs__an_price_arg},                                                                                      \
      {CS_OPT_ENUM, "pricing", .arg = "MODE",                                                                        \
       .help = "spot or ondemand prices from the device catalog (default: the price\n"                              \
               "the sweep recorded, else the catalog's on-demand price)",                                           \
       CS_OPT_FIELD(cs__an_args, o.pricing), .choices = cs__an_pricings, .values = cs__an_pricing_values,            \
       .noun = "pricing", .no_default = true},                                                                       \
      {CS_OPT_STR, "config-dir", .arg = "DIR", .help = "catalog directory (default: the built-in configs/)",         \
       CS_OPT_FIELD(cs__an_args, config_dir)}
extern const char *const cs__an_pricings[];
extern const int cs__an_pricing_values[];

/* Parses an analyze/report command line (one output directory and options) into args: returns
 * -1 with *out set to go on, or the exit code when done (help printed, a usage message). */
int cs__an_cli_parse(const cs_opt_cmd *cmd, int argc, char **argv, cs__an_args *args, const char **out);
/* Price table from the device catalog (NULL with a warning on stderr when it cannot be loaded);
 * *cat_out owns the device names the table borrows. */
cs_price_entry *cs__an_cli_prices(const char *config_dir, size_t *n, cs_catalog **cat_out);
/* Loads the analysis with catalog prices and prints its warnings to stderr. */
int cs__an_cli_load(const char *out_dir, cs_analysis_opts *o, const char *config_dir, cs_analysis **a, cs_err *err);
/* A failed write into dir (not a path the user named: exit 1, not a usage error): one line
 * naming dir and the reason, and the flag that writes elsewhere. Returns CS_EXIT_FAIL. */
int cs__an_write_failed(const cs_err *err, const char *cmd, const char *dir, const char *flag);

#endif
