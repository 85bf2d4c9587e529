/* Command table of the capsearch executable (git.c / ninja.cc shape): each command lives in its
 * own file, parses its options with getopt_long next to its usage text, and is the only code
 * that prints to stdout or exits. Exit codes: 0 ok, 1 some job failed, 2 usage or config
 * error, 130 interrupted. */
#ifndef CS_CLI_COMMANDS_H
#define CS_CLI_COMMANDS_H

#include <stdbool.h>

#include "capsearch/error.h"
#include "capsearch/sim.h"

#define CS_EXIT_OK 0
#define CS_EXIT_FAIL 1
#define CS_EXIT_USAGE 2
#define CS_EXIT_INTERRUPTED 130

typedef int (*cs__cmd_fn)(int argc, char **argv);

typedef struct cs__command {
  const char *name;
  cs__cmd_fn fn;
  const char *summary;
} cs__command;

int cs__cmd_sweep(int argc, char **argv);     /* capsearch --config ... (the main job) */
int cs__cmd_simulate(int argc, char **argv);
/* Prints one finished simulation's summary to stdout (cmd_simulate_summary.c); dir: its run directory. */
void cs__sim_print_summary(const cs_sim_config *c, const cs_sim_result *res, const char *dir);
int cs__cmd_plan(int argc, char **argv);
int cs__cmd_recommend(int argc, char **argv);
int cs__cmd_analyze(int argc, char **argv);
int cs__cmd_report(int argc, char **argv);
int cs__cmd_list(int argc, char **argv);
int cs__cmd_trace(int argc, char **argv);
int cs__cmd_predictor(int argc, char **argv);

/* Prints "capsearch: <msg>" to stderr as one write and returns the exit code for err->code
 * (CS_EUSAGE/ECONFIG/EUNKNOWN/EPARSE/ERANGE/EINFEASIBLE/ENOENT -> 2, EINTR -> 130, else 1). */
int cs__cli_fail(const cs_err *err);
/* A path held by value, so a command needs no buffer of its own (cs__cli_catalog_dir(x).s is
 * valid to the end of the full expression; keep the struct for longer use). */
typedef struct cs__cli_path {
  char s[4096];
} cs__cli_path;
/* The catalog directory: --config-dir flag value when non-NULL, else cs_catalog_locate's
 * (relative to the executable, so an installed tree can move). */
cs__cli_path cs__cli_catalog_dir(const char *flag_value);

/* A flag's value through the checked number parser (util/num.h) with the flag's range: 0, or
 * prints "capsearch: --max-iterations: 1e12 is out of range (expected an integer from 1 to
 * 100000)" and returns CS_EXIT_USAGE. */
int cs__cli_num(const char *flag, const char *val, double min, double max, bool min_open, bool integer, double *out);

struct option;
/* The one manner of every command for a getopt_long failure (run with opterr = 0; call on '?'
 * or ':'): one line, exit 2. An unknown long option gets "did you mean '--x'?" from the
 * command's options (so does "-name" written with one dash); a known one says it needs a value
 * or takes none; an ambiguous prefix says so. cmd names the command in "see 'capsearch CMD
 * --help'" ("trace info"). cs__cli_option_error fills err (CS_EUSAGE) instead of printing. */
int cs__cli_option_error(const char *cmd, int argc, char **argv, const char *shortopts,
                         const struct option *longopts, cs_err *err);
int cs__cli_bad_option(const char *cmd, int argc, char **argv, const char *shortopts, const struct option *longopts);

#endif
