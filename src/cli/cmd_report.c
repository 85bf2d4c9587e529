/* capsearch report OUT -o report.html: the analysis of an output directory as one self-contained
 * HTML file with SVG plots (no script, no network). Takes the same pricing options as analyze. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/cli_helpers.h"
#include "capsearch/analysis.h"
#include "cli/commands.h"
#include "util/fs.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: capsearch report OUT [-o FILE] [--target-qps Q] [--headroom PCT] [--price DEVICE=USD]...\n"
          "                            [--pricing spot|ondemand] [--config-dir DIR]\n\n"
          "Writes one self-contained HTML file (inline CSS and SVG, no script, no network) with the\n"
          "best configurations, Pareto fronts, QPS per dollar by configuration axis, TTFT/TPOT CDFs of\n"
          "the best configurations and the QPS probes of their searches.\n\n"
          "  -o, --output FILE  where to write (default OUT/analysis/report.html)\n"
          "  other options as in 'capsearch analyze --help'\n");
}

int cs__cmd_report(int argc, char **argv) {
  static const struct option longopts[] = {
      {"output", required_argument, NULL, 'o'},     {"target-qps", required_argument, NULL, 't'},
      {"headroom", required_argument, NULL, 'H'},   {"price", required_argument, NULL, 'P'},
      {"pricing", required_argument, NULL, 'M'},    {"config-dir", required_argument, NULL, 'C'},
      {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0}};
  cs_analysis_opts o;
  cs_analysis_opts_init(&o);
  const char *config_dir = NULL, *output = NULL;
  cs_err err = {0};
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
    if (c == 'h') {
      usage(stdout);
      return CS_EXIT_OK;
    }
    if (c == 'o') {
      output = optarg;
      continue;
    }
    if (c == '?') return cs__cli_bad_option("report", argc, argv, "o:h", longopts);
    if (cs__an_cli_common(c, optarg, &o, &config_dir, &err)) return cs__cli_fail(&err);
  }
  if (optind != argc - 1) {
    fprintf(stderr, "capsearch: report: expected one output directory, got %d argument(s)\n", argc - optind);
    usage(stderr);
    return CS_EXIT_USAGE;
  }
  const char *out = argv[optind];
  cs_analysis *a;
  if (cs__an_cli_load(out, &o, config_dir, &a, &err)) return cs__cli_fail(&err);
  char *def = NULL;
  if (!output) {
    char *dir = cs__path_join(out, "analysis");
    int rc = cs__mkdir_p(dir, &err);
    def = cs__path_join(dir, "report.html");
    free(dir);
    if (rc) {
      free(def);
      cs_analysis_free(a);
      return cs__cli_fail(&err);
    }
    output = def;
  }
  int rc = cs_analysis_write_report(a, output, &err);
  if (!rc) fprintf(stderr, "capsearch: wrote %s (%zu jobs, %zu runs%s)\n", output, cs_analysis_num_jobs(a),
                   cs_analysis_num_runs(a), cs_analysis_num_missing(a) ? ", partial directory" : "");
  free(def);
  cs_analysis_free(a);
  return rc ? cs__cli_fail(&err) : CS_EXIT_OK;
}
