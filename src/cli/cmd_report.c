/* capsearch report: placeholder until the module behind it lands; it says so and exits 2. */
#include <stdio.h>

#include "cli/commands.h"

int cs__cmd_report(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "capsearch: 'report' is not available in this build yet\n");
  return CS_EXIT_USAGE;
}
