/* Command table of the capsearch executable (git.c / ninja.cc shape): each command lives in its
 * own file, declares its options in an option table (util/opt.h) from which its --help is made,
 * and is the only code that prints to stdout or exits. Exit codes (docs/analysis.md "Exit codes"):
 * 0 ok; 2 a bad command line or input, found before anything is written (also an output path the
 * user named that cannot be one); 1 the work failed: a sweep job, or a write for any other reason
 * (permission, full disk, something in the way of a file capsearch names itself); 130 interrupted. */
#ifndef CS_CLI_COMMANDS_H
#define CS_CLI_COMMANDS_H

#include <stdbool.h>
#include <stdio.h>

#include "capsearch/error.h"
#include "capsearch/sim.h"
#include "capsearch/util.h"

#define CS_EXIT_OK 0
#define CS_EXIT_FAIL 1
#define CS_EXIT_USAGE 2
#define CS_EXIT_INTERRUPTED 130

typedef int (*cs__cmd_fn)(int argc, char **argv);

typedef struct cs__command {
  const char *name;
  cs__cmd_fn fn;
  const char *summary;
  const char *const *subs; /* NULL-terminated words the summary ends with ("a | b"), from the command's
                              own table (list's kinds), NULL when none */
} cs__command;

int cs__cmd_sweep(int argc, char **argv);     /* capsearch --config ... (the main job) */
int cs__cmd_simulate(int argc, char **argv);
/* Prints one finished simulation's summary to stdout (cmd_simulate_summary.c); dir: its run directory. */
struct sim_limit;
void cs__sim_print_summary(const cs_sim_config *c, const cs_sim_result *res, const struct sim_limit *lim,
                           const char *dir);
int cs__cmd_plan(int argc, char **argv);
int cs__cmd_recommend(int argc, char **argv);
int cs__cmd_analyze(int argc, char **argv);
int cs__cmd_report(int argc, char **argv);
int cs__cmd_list(int argc, char **argv);
int cs__cmd_trace(int argc, char **argv);
int cs__cmd_predictor(int argc, char **argv);

/* Prints "capsearch: <msg>" to stderr as one write and returns the exit code for err->code
 * (CS_EUSAGE/ECONFIG/EUNKNOWN/EPARSE/ERANGE/EINFEASIBLE/ENOENT/EEXIST/EFORMAT/EINVAL -> 2, EINTR -> 130,
 * else 1): for errors about what the user named; a write into a place capsearch chose fails with 1. */
int cs__cli_fail(const cs_err *err);
/* Parses a command's flags with its option table (util/opt.h): -1 to go on, or the exit code
 * when done: --help printed on stdout from the table (defaults: the struct its defaults are read
 * from), or a usage message on stderr via cs__cli_fail. pos/npos: positional arguments (NULL
 * when the command takes none). */
struct cs_opt_cmd;
int cs__cli_parse(const struct cs_opt_cmd *cmd, int argc, char **argv, void *args, const void *defaults,
                  const char **pos, int *npos);
/* A path held by value, so a command needs no buffer of its own (cs__cli_catalog_dir(x).s is
 * valid to the end of the full expression; keep the struct for longer use). */
typedef struct cs__cli_path {
  char s[4096];
} cs__cli_path;
/* The catalog directory: --config-dir flag value when non-NULL, else cs_catalog_locate's
 * (relative to the executable, so an installed tree can move). */
cs__cli_path cs__cli_catalog_dir(const char *flag_value);

/* Writes a JSON document built with w into sb to f (a newline after it when sb has none) and
 * flushes f: 0, or CS_EIO with a message naming `what` ("the JSON of trace info") and the
 * system's reason when a write fails (a full disk, a closed pipe) or w was misused, so a cut
 * document never exits 0. */
int cs__cli_put_json(const cs_jw *w, const cs_sbuf *sb, FILE *f, const char *what, cs_err *err);
/* The exit code once the command has run: rc, or CS_EXIT_FAIL with a message when the command
 * succeeded but what it printed could not all be written to stdout (stdout is buffered: a write
 * error may show only at the flush). */
int cs__cli_finish_stdout(int rc);

/* --param NAME=NUMBER: the name (at most 63 bytes) and the number through the checked parser;
 * CS_EUSAGE "--param: expected NAME=NUMBER, got 'x'" otherwise. */
int cs__cli_param_arg(const char *arg, char name[64], double *value, cs_err *err);

#endif
