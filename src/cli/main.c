/* capsearch entry point: dispatches to a command; with no command name (first argument is an
 * option such as --config) it runs the main job, the capacity-search sweep. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsearch/catalog.h"
#include "capsearch/util.h"

#include "cmd_list.h"
#include "commands.h"

#if __has_include("cs_build_info.h")
#include "cs_build_info.h" /* CS_GIT_COMMIT, written at build time (cmake/cs_build_info.cmake) */
#endif
#ifndef CS_VERSION
#define CS_VERSION "0.0.0"
#endif
#ifndef CS_GIT_COMMIT
#define CS_GIT_COMMIT "unknown"
#endif
#ifndef CS_BUILD_TYPE
#define CS_BUILD_TYPE "unknown"
#endif

static const cs__command commands[] = {
    {"simulate", cs__cmd_simulate, "run one simulation from a small YAML file or flags", NULL},
    {"plan", cs__cmd_plan, "memory capacity planning for a model on a device", NULL},
    {"recommend", cs__cmd_recommend, "fast analytic screen of devices x TP for a workload", NULL},
    {"analyze", cs__cmd_analyze, "offline analysis of a sweep's output directory", NULL},
    {"report", cs__cmd_report, "self-contained HTML report with plots of an output directory", NULL},
    {"list", cs__cmd_list, "list", cs__list_kinds},
    {"trace", cs__cmd_trace, "inspect, convert and generate traces (any trace format -> Vidur CSV)", NULL},
    {"predictor", cs__cmd_predictor, "check execution-time predictors against profiling data", NULL},
    {"sweep", cs__cmd_sweep, "the capacity-search sweep (same as running with --config directly)", NULL},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f) {
  fprintf(f,
          "usage: capsearch --config sweep.yml --output-dir DIR [--time-limit MIN] [-j N] [...]\n"
          "       capsearch <command> [options]   (capsearch <command> --help for details)\n\n"
          "The first form runs the capacity-search sweep; running it again resumes.\n\n"
          "commands:\n");
  for (size_t i = 0; i < NCOMMANDS; i++) {
    fprintf(f, "  %-10s %s", commands[i].name, commands[i].summary);
    for (size_t k = 0; commands[i].subs && commands[i].subs[k]; k++)
      fprintf(f, "%s%s", k ? " | " : " ", commands[i].subs[k]);
    fputc('\n', f);
  }
  fprintf(f, "\n  --version  print the version, git commit and build options\n"
             "  --help     this text (capsearch help CMD prints CMD --help)\n\n"
             "exit status: 0 success; 1 a job, run or file operation failed; 2 usage, input or\n"
             "configuration error (one line on stderr naming the flag or file:line:col);\n"
             "130 interrupted (Ctrl-C; run the same command again to resume a sweep).\n");
}

/* First line "capsearch VERSION" (help2man and the MPI tests read it), then what was built. */
static void print_version(void) {
#ifdef CS_HAVE_MPI
  printf("capsearch %s (mpi)\n", CS_VERSION);
#else
  printf("capsearch %s\n", CS_VERSION);
#endif
  printf("commit: %s\n", CS_GIT_COMMIT);
#ifdef _OPENMP
  printf("OpenMP: yes (%d)\n", (int)_OPENMP);
#else
  printf("OpenMP: no\n");
#endif
#ifdef CS_HAVE_MPI
  printf("MPI: yes\n");
#else
  printf("MPI: no (configure with -DCS_MPI=ON)\n");
#endif
#ifdef CS_BUILD_SANITIZE
  printf("build: %s, AddressSanitizer + UndefinedBehaviorSanitizer\n", CS_BUILD_TYPE);
#else
  printf("build: %s\n", CS_BUILD_TYPE);
#endif
}

/* Finds a command by name; NULL with a one-line "did you mean" on stderr when unknown. */
static const cs__command *find_command(const char *name) {
  for (size_t i = 0; i < NCOMMANDS; i++)
    if (!strcmp(name, commands[i].name)) return &commands[i];
  const char *names[NCOMMANDS];
  for (size_t i = 0; i < NCOMMANDS; i++) names[i] = commands[i].name;
  const char *sug = cs_suggest(name, names, NCOMMANDS);
  if (sug)
    fprintf(stderr, "capsearch: unknown command '%s' (did you mean '%s'?)\n", name, sug);
  else
    fprintf(stderr, "capsearch: unknown command '%s'; see 'capsearch --help'\n", name);
  return NULL;
}

/* capsearch help [CMD [SUB]]: the same text as capsearch CMD [SUB] --help. */
static int help(int argc, char **argv) {
  if (argc < 2) {
    usage(stdout);
    return CS_EXIT_OK;
  }
  const cs__command *cmd = find_command(argv[1]);
  if (!cmd) return CS_EXIT_USAGE;
  char *args[4] = {argv[1], NULL, NULL, NULL};
  int n = 1;
  if (argc > 2) args[n++] = argv[2]; /* a sub-command: help trace info */
  args[n++] = (char *)"--help";
  return cmd->fn(n, args);
}

static int run(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return CS_EXIT_USAGE;
  }
  const char *first = argv[1];
  if (!strcmp(first, "--version") || !strcmp(first, "-V")) {
    print_version();
    return CS_EXIT_OK;
  }
  if (!strcmp(first, "--help") || !strcmp(first, "-h")) {
    usage(stdout);
    return CS_EXIT_OK;
  }
  if (!strcmp(first, "help")) return help(argc - 1, argv + 1);
  if (first[0] == '-') return cs__cmd_sweep(argc, argv);
  const cs__command *cmd = find_command(first);
  return cmd ? cmd->fn(argc - 1, argv + 1) : CS_EXIT_USAGE;
}

int main(int argc, char **argv) { return cs__cli_finish_stdout(run(argc, argv)); }
