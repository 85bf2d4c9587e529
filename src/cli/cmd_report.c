/* capsearch report OUT -o report.html: the analysis of an output directory as one self-contained
 * HTML file with SVG plots (a small inline script sorts tables; no network). Takes the same pricing options as analyze. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsearch/analysis.h"
#include "capsearch/util.h"

#include "cmd_analyze.h"
#include "commands.h"

static const cs_opt report_opts[] = {
    {CS_OPT_STR, "output", 'o', .arg = "FILE", .help = "where to write (default OUT/analysis/report.html)",
     CS_OPT_FIELD(cs__an_args, output)},
    CS__AN_COMMON_OPTS,
    {CS_OPT_HELP, "help", 'h', .help = "this text"},
    {CS_OPT_END}};

static const cs_opt_cmd report_cmd = {
    "report", "capsearch report OUT [-o FILE] [options]",
    "Writes one self-contained HTML file (inline CSS, SVG and a small script that sorts and\n"
    "filters the tables; no network) with the\n"
    "best configurations, Pareto fronts, QPS per dollar by configuration axis, TTFT/TPOT CDFs of\n"
    "the best configurations and the QPS probes of their searches.",
    report_opts, NULL, 0, 1};

int cs__cmd_report(int argc, char **argv) {
  cs__an_args args;
  const char *out = NULL;
  int prc = cs__an_cli_parse(&report_cmd, argc, argv, &args, &out);
  if (prc >= 0) return prc;
  cs_analysis_opts o = args.o;
  const char *config_dir = args.config_dir, *output = args.output;
  cs_err err = {0};
  cs_analysis *a;
  if (cs__an_cli_load(out, &o, config_dir, &a, &err)) return cs__cli_fail(&err);
  char *def = NULL;
  /* the default place is not a name the user gave: failing to write there is exit 1 */
  char *dir = output ? NULL : cs_path_join(out, "analysis");
  int rc = dir ? cs_mkdir_p(dir, &err) : 0;
  if (dir) output = def = cs_path_join(dir, "report.html");
  if (!rc) rc = cs_analysis_write_report(a, output, &err);
  if (!rc) fprintf(stderr, "capsearch: wrote %s (%zu jobs, %zu runs%s)\n", output, cs_analysis_num_jobs(a),
                   cs_analysis_num_runs(a), cs_analysis_num_missing(a) ? ", partial directory" : "");
  int exitc = !rc ? CS_EXIT_OK : dir ? cs__an_write_failed(&err, "report", dir, "-o FILE") : cs__cli_fail(&err);
  free(dir);
  free(def);
  cs_analysis_free(a);
  return exitc;
}
