/* Pieces of the main command (cmd_sweep.c) that live in their own files. */
#ifndef CS_CLI_CMD_SWEEP_H
#define CS_CLI_CMD_SWEEP_H

#include <stdio.h>

#include "capsearch/run.h"

/* --dry-run: the traces against their limits, the job table with per-job estimates, totals. */
void cs__print_sweep_plan(FILE *f, const cs_plan *p, const cs_run_opts *o);

#endif
