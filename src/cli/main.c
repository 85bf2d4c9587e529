/* capsearch entry point: dispatches to a command; with no command name (first argument is an
 * option such as --config) it runs the main job, the capacity-search sweep. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsearch/catalog.h"
#include "cli/commands.h"
#include "util/text.h"

#ifndef CS_VERSION
#define CS_VERSION "0.0.0"
#endif

static const cs__command commands[] = {
    {"simulate", cs__cmd_simulate, "run one simulation from a small YAML file or flags"},
    {"plan", cs__cmd_plan, "memory capacity planning for a model on a device"},
    {"recommend", cs__cmd_recommend, "fast analytic screen of devices x TP for a workload"},
    {"analyze", cs__cmd_analyze, "offline analysis of a sweep's output directory"},
    {"report", cs__cmd_report, "self-contained HTML report with plots of an output directory"},
    {"list", cs__cmd_list, "list models | devices | networks | schedulers | predictors | metrics"},
    {"trace", cs__cmd_trace, "inspect and convert traces (Mooncake JSONL, Azure CSV -> Vidur CSV)"},
    {"predictor", cs__cmd_predictor, "check execution-time predictors against profiling data"},
    {"sweep", cs__cmd_sweep, "the capacity-search sweep (same as running with --config directly)"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f) {
  fprintf(f,
          "usage: capsearch --config sweep.yml --output-dir DIR [--time-limit MIN] [-j N] [...]\n"
          "       capsearch <command> [options]   (capsearch <command> --help for details)\n\n"
          "The first form runs the capacity-search sweep; running it again resumes.\n\n"
          "commands:\n");
  for (size_t i = 0; i < NCOMMANDS; i++) fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\n  --version  print the version\n  --help     this text\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return CS_EXIT_USAGE;
  }
  const char *first = argv[1];
  if (!strcmp(first, "--version") || !strcmp(first, "-V")) {
#ifdef CS_HAVE_MPI
    printf("capsearch %s (mpi)\n", CS_VERSION); /* an MPI build says so (tests/test_mpi_*.sh) */
#else
    printf("capsearch %s\n", CS_VERSION);
#endif
    return CS_EXIT_OK;
  }
  if (!strcmp(first, "--help") || !strcmp(first, "-h") || !strcmp(first, "help")) {
    usage(stdout);
    return CS_EXIT_OK;
  }
  if (first[0] == '-') return cs__cmd_sweep(argc, argv);
  for (size_t i = 0; i < NCOMMANDS; i++)
    if (!strcmp(first, commands[i].name)) return commands[i].fn(argc - 1, argv + 1);
  const char *names[NCOMMANDS];
  for (size_t i = 0; i < NCOMMANDS; i++) names[i] = commands[i].name;
  const char *sug = cs__suggest(first, names, NCOMMANDS);
  if (sug)
    fprintf(stderr, "capsearch: unknown command '%s' (did you mean '%s'?)\n", first, sug);
  else
    fprintf(stderr, "capsearch: unknown command '%s'; see 'capsearch --help'\n", first);
  return CS_EXIT_USAGE;
}
