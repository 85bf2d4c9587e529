/* What the trace subcommands share (cmd_trace.c, cmd_trace_generate.c). */
#ifndef CS_CLI_CMD_TRACE_H
#define CS_CLI_CMD_TRACE_H

#include <stdbool.h>

#include "util/opt.h"

/* Parses a subcommand's command line: -1 to go on, or the exit code when done (help printed on
 * stdout, or a usage message on stderr). defaults: the struct --help reads defaults from. */
int cs__trace_parse(const cs__opt_cmd *cmd, int argc, char **argv, void *args, const void *defaults,
                    const char **pos, int *npos);
/* --format NAME into the cs_trace_format at o->off. */
int cs__trace_format_arg(void *obj, const cs__opt *o, const char *text, cs_err *err);
bool cs__trace_ends_with(const char *s, const char *suf);
int cs__trace_cmd_generate(int argc, char **argv);

#endif
