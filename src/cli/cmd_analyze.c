/* capsearch analyze OUT: offline analysis of a sweep's output directory (finished or not) into
 * OUT/analysis/, with the best configuration per (model, trace, SLO) printed on stdout. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsearch/analysis.h"
#include "capsearch/catalog.h"
#include "analysis/cli_helpers.h"
#include "cli/commands.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: capsearch analyze OUT [--target-qps Q] [--headroom PCT] [--price DEVICE=USD]...\n"
          "                             [--pricing spot|ondemand] [--config-dir DIR] [-q]\n\n"
          "Reads a sweep's output directory (finished or interrupted) and writes OUT/analysis/:\n"
          "  stats.csv        one row per completed probe run (latency percentiles, batches, memory,\n"
          "                   busy time, preemptions, runtime, goodput)\n"
          "  best.csv         per (model, trace, SLO) every job's answer, ranked by QPS per dollar, with\n"
          "                   $/hour, $ per request, $ per million tokens, monthly cost and replicas\n"
          "                   for the target QPS\n"
          "  pareto.csv       Pareto fronts of QPS per dollar vs TTFT P90/P99 and TBT P99\n"
          "  sla.csv, bottlenecks.csv, summary.json, summary.md (Markdown)\n\n"
          "  --target-qps Q     traffic to size replicas for (default: each answer's own QPS)\n"
          "  --headroom PCT     spare capacity; utilisation = 1 - PCT/100 in [50%%, 95%%] (default 25)\n"
          "  --price DEV=USD    $/GPU-hour for a device, overriding everything (repeatable)\n"
          "  --pricing MODE     spot or ondemand prices from the device catalog (default: the price\n"
          "                     the sweep recorded, else the catalog's on-demand price)\n"
          "  --config-dir DIR   catalog directory (default: the built-in configs/)\n"
          "  -q, --quiet        no summary on stdout\n");
}

int cs__an_cli_common(int c, const char *arg, cs_analysis_opts *o, const char **config_dir, cs_err *err) {
  char *end;
  switch (c) {
  case 't':
    o->target_qps = strtod(arg, &end);
    if (*end || !(o->target_qps > 0))
      return cs_err_set(err, CS_EUSAGE, "--target-qps: expected a positive number, got '%s'", arg);
    return 0;
  case 'H':
    o->headroom_pct = strtod(arg, &end);
    if (*end || o->headroom_pct < 0 || o->headroom_pct > 1000)
      return cs_err_set(err, CS_EUSAGE, "--headroom: expected a percentage such as 25, got '%s'", arg);
    return 0;
  case 'P':
    return cs_analysis_opts_add_price(o, arg, err);
  case 'M':
    if (!strcmp(arg, "spot")) o->pricing = CS_PRICING_SPOT;
    else if (!strcmp(arg, "ondemand") || !strcmp(arg, "on-demand")) o->pricing = CS_PRICING_ONDEMAND;
    else return cs_err_set(err, CS_EUSAGE, "--pricing: expected 'spot' or 'ondemand', got '%s'", arg);
    return 0;
  case 'C':
    *config_dir = arg;
    return 0;
  default:
    return cs_err_set(err, CS_EUSAGE, "unexpected option");
  }
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

int cs__an_cli_load(const char *out_dir, cs_analysis_opts *o, const char *config_dir, cs_analysis **a, cs_err *err) {
  cs_catalog *cat;
  size_t np;
  cs_price_entry *prices = cs__an_cli_prices(config_dir, &np, &cat);
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

int cs__cmd_analyze(int argc, char **argv) {
  static const struct option longopts[] = {
      {"target-qps", required_argument, NULL, 't'}, {"headroom", required_argument, NULL, 'H'},
      {"price", required_argument, NULL, 'P'},      {"pricing", required_argument, NULL, 'M'},
      {"config-dir", required_argument, NULL, 'C'}, {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0}};
  cs_analysis_opts o;
  cs_analysis_opts_init(&o);
  const char *config_dir = NULL;
  bool quiet = false;
  cs_err err = {0};
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
    if (c == 'h') {
      usage(stdout);
      return CS_EXIT_OK;
    }
    if (c == 'q') {
      quiet = true;
      continue;
    }
    if (c == '?') return cs__cli_bad_option("analyze", argc, argv, "qh", longopts);
    if (cs__an_cli_common(c, optarg, &o, &config_dir, &err)) return cs__cli_fail(&err);
  }
  if (optind != argc - 1) {
    fprintf(stderr, "capsearch: analyze: expected one output directory, got %d argument(s)\n", argc - optind);
    usage(stderr);
    return CS_EXIT_USAGE;
  }
  const char *out = argv[optind];
  cs_analysis *a;
  if (cs__an_cli_load(out, &o, config_dir, &a, &err)) return cs__cli_fail(&err);
  if (cs_analysis_write(a, &err)) {
    cs_analysis_free(a);
    return cs__cli_fail(&err);
  }
  if (!quiet) {
    char *s = cs_analysis_summary_text(a);
    fputs(s, stdout);
    free(s);
    printf("\nwrote %s/analysis/: stats.csv best.csv pareto.csv sla.csv bottlenecks.csv summary.json summary.md\n", out);
  }
  cs_analysis_free(a);
  return CS_EXIT_OK;
}
