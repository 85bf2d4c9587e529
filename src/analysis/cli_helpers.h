/* Option handling shared by the analyze and report commands (src/cli/cmd_analyze.c defines these;
 * they print to stderr, so they live with the CLI and only their declarations live here). */
#ifndef CS_ANALYSIS_CLI_HELPERS_H
#define CS_ANALYSIS_CLI_HELPERS_H

#include <stddef.h>

#include "capsearch/analysis.h"

/* Applies one of the shared long options: 't' --target-qps, 'H' --headroom, 'P' --price,
 * 'M' --pricing, 'C' --config-dir. */
int cs__an_cli_common(int c, const char *arg, cs_analysis_opts *o, const char **config_dir, cs_err *err);
/* Price table from the device catalog (NULL with a warning on stderr when it cannot be loaded);
 * *cat_out owns the device names the table borrows. */
cs_price_entry *cs__an_cli_prices(const char *config_dir, size_t *n, cs_catalog **cat_out);
/* Loads the analysis with catalog prices and prints its warnings to stderr. */
int cs__an_cli_load(const char *out_dir, cs_analysis_opts *o, const char *config_dir, cs_analysis **a, cs_err *err);

#endif
