/* `capsearch list` kinds backed by the policy registries (cmd_list_policies.c). */
#ifndef CS_CLI_CMD_LIST_H
#define CS_CLI_CMD_LIST_H

#include <stdbool.h>
#include <stdio.h>

#include "capsearch/error.h"

/* kind is "schedulers", "predictors", "searches", "metrics" or "trace-formats"; returns 0, -1 for
 * another kind, or CS_EIO (message in err) when the JSON could not be written. */
int cs__list_policies(const char *kind, bool json, FILE *f, cs_err *err);
/* The kinds `capsearch list` dispatches on, in order, NULL-terminated: the top-level --help and
 * list's own messages are made from this table, so they name exactly what list takes. */
extern const char *const cs__list_kinds[];
/* The kinds joined by sep ("models, devices, ..."), last_sep before the last one (" or "). */
void cs__list_kinds_text(const char *sep, const char *last_sep, char *buf, size_t size);

#endif
