/* capsearch analyze OUT: offline analysis of a sweep's output directory (finished or not) into
 * OUT/analysis/, with the best configuration per (model, trace, SLO) printed on stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsearch/analysis.h"
#include "capsearch/catalog.h"

#include "cmd_analyze.h"
#include "commands.h"

const char *const cs__an_pricings[] = {"spot", "ondemand", "on-demand", NULL};
const int cs__an_pricing_values[] = {CS_PRICING_SPOT, CS_PRICING_ONDEMAND, CS_PRICING_ONDEMAND};

int cs__an_price_arg(void *args, const cs_opt *opt, const char *text, cs_err *err) {
  (void)opt;
  return cs_analysis_opts_add_price(&((cs__an_args *)args)->o, text, err);
}

static const cs_opt analyze_opts[] = {
    {CS_OPT_STR, "output", 'o', .arg = "DIR",
     .help = "write the files into DIR instead of OUT/analysis/ (an output directory that\n"
             "cannot be written: archived, read-only); OUT is only read",
     CS_OPT_FIELD(cs__an_args, output)},
    CS__AN_COMMON_OPTS,
    {CS_OPT_FLAG, "quiet", 'q', .help = "no summary on stdout", CS_OPT_FIELD(cs__an_args, quiet)},
    {CS_OPT_HELP, "help", 'h', .help = "this text"},
    {CS_OPT_END}};

static const cs_opt_cmd analyze_cmd = {
    "analyze", "capsearch analyze OUT [-o DIR] [options]",
    "Reads a sweep's output directory (finished or interrupted) and writes OUT/analysis/ (or -o DIR):\n"
    "  stats.csv        one row per completed probe run (latency percentiles, batches, memory,\n"
    "                   busy time, preemptions, runtime, goodput)\n"
    "  best.csv         per (model, trace, SLO) every job's answer, ranked by QPS per dollar, with\n"
    "                   $/hour, $ per request, $ per million tokens, monthly cost and replicas\n"
    "                   for the target QPS\n"
    "  pareto.csv       Pareto fronts of QPS per dollar vs TTFT P90/P99 and TBT P99\n"
    "  sla.csv, bottlenecks.csv, summary.json, summary.md (Markdown)\n"
    "  disaggregation.csv  aggregated vs disaggregated deployments (sweeps with a\n"
    "                   disaggregation section only)\n"
    "  deploy.md, deploy.json  per best configuration the `vllm serve` command and the\n"
    "                   replicas for the target QPS\n"
    "(capsearch report OUT writes OUT/analysis/report.html.)\n"
    "Exit codes: 0 written, 2 bad arguments or an OUT that is not a sweep's directory (also a -o\n"
    "DIR that is a file), 1 the files could not be written (docs/analysis.md \"Exit codes\").",
    analyze_opts, NULL, 0, 1};

/* Parses an analyze/report command line into args: 0 with *out the output directory, or the
 * exit code (help printed, or a usage message). */
int cs__an_cli_parse(const cs_opt_cmd *cmd, int argc, char **argv, cs__an_args *args, const char **out) {
  memset(args, 0, sizeof *args);
  cs_analysis_opts_init(&args->o);
  cs__an_args defaults = *args; /* --help shows these, whatever flags came before it */
  const char *pos[2];
  int np = 0;
  int rc = cs__cli_parse(cmd, argc, argv, args, &defaults, pos, &np);
  if (rc >= 0) return rc;
  if (np != 1) {
    fprintf(stderr, "capsearch: %s: expected one output directory, got %d argument(s); see 'capsearch %s --help'\n",
            cmd->name, np, cmd->name);
    return CS_EXIT_USAGE;
  }
  *out = pos[0];
  return -1;
}

cs_price_entry *cs__an_cli_prices(const char *config_dir, size_t *n, cs_catalog **cat_out) {
  cs_catalog *cat = NULL;
  cs_err e = {0};
  *n = 0;
  *cat_out = NULL;
  if (cs_catalog_load(cs__cli_catalog_dir(config_dir).s, &cat, &e)) {
    fprintf(stderr, "capsearch: warning: device catalog unavailable (%s); using the sweep's prices\n", e.msg);
    return NULL;
  }
  size_t nd = cs_catalog_num_devices(cat);
  cs_price_entry *p = calloc(nd ? nd : 1, sizeof *p);
  if (!p) {
    cs_catalog_free(cat);
    return NULL;
  }
  for (size_t i = 0; i < nd; i++) {
    const cs_device *d = cs_catalog_device_at(cat, i);
    p[i].device = d->name;
    p[i].ondemand = d->price_ondemand;
    p[i].spot = d->price_spot;
  }
  *n = nd;
  *cat_out = cat;
  return p;
}

/* Each --price names a catalog device, checked as the sweep file's prices: are (did you mean on
 * a typo), and is stored under the catalog's own name so an alias matches the jobs' devices. */
static int check_price_devices(const cs_catalog *cat, cs_analysis_opts *o, cs_err *err) {
  for (int i = 0; cat && i < o->num_overrides; i++) {
    const cs_device *d;
    int rc = cs_catalog_find_device(cat, o->override_device[i], &d, err);
    if (rc) {
      cs_err_prefix(err, "--price %s=%g", o->override_device[i], o->override_price[i]);
      return rc;
    }
    if (strlen(d->name) < sizeof o->override_device[i]) strcpy(o->override_device[i], d->name);
  }
  return 0;
}

/* Utilisation is 1 - headroom/100 clamped to [50%, 95%] (ConfigIQ's rule): say so when it bites. */
static void note_headroom(double pct) {
  double u = cs_analysis_utilization(pct);
  if (u != 1.0 - pct / 100.0)
    fprintf(stderr, "capsearch: note: --headroom %g gives %.0f%% utilisation (clamped to [50%%, 95%%])\n", pct,
            100 * u);
}

int cs__an_cli_load(const char *out_dir, cs_analysis_opts *o, const char *config_dir, cs_analysis **a, cs_err *err) {
  cs_catalog *cat;
  size_t np;
  cs_price_entry *prices = cs__an_cli_prices(config_dir, &np, &cat);
  if (check_price_devices(cat, o, err)) {
    free(prices);
    cs_catalog_free(cat);
    return CS_EUSAGE;
  }
  note_headroom(o->headroom_pct);
  o->catalog_prices = prices;
  o->num_catalog_prices = np;
  int rc = cs_analysis_load(out_dir, o, a, err);
  free(prices);
  cs_catalog_free(cat);
  o->catalog_prices = NULL;
  if (rc) return rc;
  size_t nw = cs_analysis_num_warnings(*a);
  for (size_t i = 0; i < nw && i < 20; i++) fprintf(stderr, "capsearch: warning: %s\n", cs_analysis_warning(*a, i));
  if (nw > 20) fprintf(stderr, "capsearch: warning: ... and %zu more (analysis/summary.json lists them all)\n", nw - 20);
  return 0;
}

int cs__an_write_failed(const cs_err *err, const char *cmd, const char *dir, const char *flag) {
  fprintf(stderr, "capsearch: %s: cannot write into %s: %s; %s writes elsewhere, reading the sweep's directory only\n",
          cmd, dir, err->msg[0] ? err->msg : "write failed", flag);
  return CS_EXIT_FAIL;
}

/* Writes the analysis into `named` (-o: a name that cannot be a directory is a usage error) or
 * OUT/analysis/; a failed write is exit 1 and says how to write elsewhere. */
static int write_analysis(const cs_analysis *a, const char *out, const char *named, cs_err *err) {
  if (named && cs_mkdir_p(named, err)) {
    cs_err_prefix(err, "analyze -o");
    return cs__cli_fail(err);
  }
  char *dir = named ? NULL : cs_path_join(out, "analysis");
  const char *to = named ? named : dir;
  int rc = cs_analysis_write_to(a, to, err) ? cs__an_write_failed(err, "analyze", to, "-o DIR") : 0;
  free(dir);
  return rc;
}

int cs__cmd_analyze(int argc, char **argv) {
  cs__an_args args;
  const char *out = NULL;
  int prc = cs__an_cli_parse(&analyze_cmd, argc, argv, &args, &out);
  if (prc >= 0) return prc;
  cs_analysis_opts o = args.o;
  const char *config_dir = args.config_dir;
  bool quiet = args.quiet;
  cs_err err = {0};
  cs_analysis *a;
  if (cs__an_cli_load(out, &o, config_dir, &a, &err)) return cs__cli_fail(&err);
  int wrc = write_analysis(a, out, args.output, &err);
  if (wrc) {
    cs_analysis_free(a);
    return wrc;
  }
  if (!quiet) {
    char *s = cs_analysis_summary_text(a);
    fputs(s, stdout);
    free(s);
    if (args.output) printf("\nwrote %s: %s\n", args.output, cs_analysis_file_names(a));
    else printf("\nwrote %s/analysis/: %s\n", out, cs_analysis_file_names(a));
  }
  cs_analysis_free(a);
  return CS_EXIT_OK;
}
