/* What the trace subcommands share (cmd_trace.c, cmd_trace_generate.c). */
#ifndef CS_CLI_CMD_TRACE_H
#define CS_CLI_CMD_TRACE_H

#include <stdbool.h>

#include "capsearch/opt.h"

/* --format NAME into the cs_trace_format at o->off. */
int cs__trace_format_arg(void *obj, const cs_opt *o, const char *text, cs_err *err);
bool cs__trace_ends_with(const char *s, const char *suf);
int cs__trace_cmd_generate(int argc, char **argv);

#endif
