/* Output of `capsearch plan` (human table, JSON, CSV), shared by cmd_plan.c and
 * cmd_plan_fmt.c. Printing lives in src/cli only. */
#ifndef CS_CLI_CMD_PLAN_H
#define CS_CLI_CMD_PLAN_H

#include <stdio.h>

#include "capsearch/catalog.h"
#include "capsearch/memplan.h"

typedef enum cs__plan_format { CS__PLAN_TABLE, CS__PLAN_JSON, CS__PLAN_CSV } cs__plan_format;

/* One model on one device: the per-GPU breakdown and capacity figures; CS_EIO (message in err)
 * when the JSON could not be written. */
int cs__plan_print_one(const cs_memplan_input *in, const cs_memplan *p, cs__plan_format fmt, FILE *f, cs_err *err);
/* Every catalog device ranked: per device the smallest valid TP (<= 8, PP as given) that fits,
 * its KV GiB, max concurrency and $/hour; cheapest fitting first. in->device is ignored. */
int cs__plan_print_all_devices(const cs_catalog *cat, const cs_memplan_input *in, cs__plan_format fmt, FILE *f,
                               cs_err *err);

#endif
