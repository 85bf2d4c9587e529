/* `capsearch list` kinds backed by the policy registries (cmd_list_policies.c). */
#ifndef CS_CLI_CMD_LIST_H
#define CS_CLI_CMD_LIST_H

#include <stdbool.h>
#include <stdio.h>

#include "capsearch/error.h"

/* kind is "schedulers", "predictors", "searches", "metrics" or "trace-formats"; returns 0, -1 for
 * another kind, or CS_EIO (message in err) when the JSON could not be written. */
int cs__list_policies(const char *kind, bool json, FILE *f, cs_err *err);

#endif
