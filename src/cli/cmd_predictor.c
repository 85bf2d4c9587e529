/* capsearch predictor: inspect and validate the execution-time predictors.
 *   predictor check --profiling-dir DIR [--device X] [--model Y] [--csv]
 *       held-out accuracy of `profile` and calibrated `roofline` against Vidur profiles, and the
 *       fitted roofline efficiency factors per device
 *   predictor time --model M --device D [--tp N] [--pp N] [--predictor NAME] [--batch SPEC] ...
 *       one stage time for a hand-written batch (debugging, hand checks) */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsearch/catalog.h"
#include "capsearch/predictor.h"
#include "cli/commands.h"
#include "predictor/check.h"
#include "predictor/check_eval.h"
#include "util/csvw.h"
#include "util/text.h"

static const char predictor_usage[] =
    "usage: capsearch predictor <check|time> [options]   (--help on each)\n\n"
    "  check   held-out error of the profile and roofline predictors on Vidur profiling data,\n"
    "          and the roofline efficiency factors fitted to it\n"
    "  time    stage time of one hand-written batch with any predictor\n";

static const char check_usage[] =
    "usage: capsearch predictor check --profiling-dir DIR [--device X] [--model Y] [--csv]\n"
    "                                 [--fit-scales] [--config-dir D]\n\n"
    "DIR is laid out as Vidur's data/profiling (compute/<device>/<org>/<model>/mlp.csv and, where\n"
    "profiled, attention.csv and layers.csv). The default roofline (the factors simulate uses) is\n"
    "compared with every profiled row; eager CUDA-event profiles get their dispatch floor added.\n"
    "Prints a per-op summary (median and worst |error|), then the held-out check: every other\n"
    "profiled point is held out, the profile predictor interpolates the rest and the roofline's\n"
    "factors are refitted on the rest (warnings on stderr when a factor ends on its search bound).\n"
    "  --device X   only this device (catalog name)     --model Y   only this model (org/name or name)\n"
    "  --csv        one row per profiled row: device,model,tp,op,num_tokens,batch_size,kv_cache_size,\n"
    "               prefill_chunk_size,measured_ms,predicted_ms,rel_error (predicted/measured - 1)\n"
    "  --fit-scales also refit the per-kernel memory scales (how the built-in constants were made)\n";

static const char time_usage[] =
    "usage: capsearch predictor time --model M --device D [--network N] [--tp N] [--pp N] [--stage S]\n"
    "          [--predictor roofline|profile|constant] [--param NAME=VALUE]...\n"
    "          [--profiling-dir DIR | --predictions-dir DIR] [--cache-dir DIR] [--config-dir D]\n"
    "          --batch SPEC\n\n"
    "SPEC is a comma-separated list of requests, each TOKENS@PROCESSED with a 'p' suffix for a\n"
    "prefill chunk: '512@0p,1@1000,1@2300' is a 512-token prefill chunk and two decodes with 1000\n"
    "and 2300 tokens of context. Prints the predictor's description and the stage time in ms.\n";

/* One row per profiled point: the default roofline against the measurement. */
static void print_eval_csv(const cs__eval_result *ev) {
  printf("device,model,tp,op,num_tokens,batch_size,kv_cache_size,prefill_chunk_size,measured_ms,predicted_ms,rel_error\n");
  cs__sbuf names;
  cs__sbuf_init(&names);
  for (size_t i = 0; i < ev->rows.n; i++) {
    const cs__eval_row *w = &ev->rows.v[i];
    char k[4][32];
    const double keys[4] = {w->num_tokens, w->batch_size, w->kv_cache_size, w->prefill_chunk_size};
    for (int j = 0; j < 4; j++) {
      if (keys[j] >= 0) snprintf(k[j], sizeof k[j], "%.0f", keys[j]);
      else k[j][0] = '\0';
    }
    cs__sbuf_reset(&names); /* directory names: quoted as RFC 4180 says when they hold a comma */
    cs__csv_field(&names, w->device);
    cs__sbuf_addc(&names, ',');
    cs__csv_field(&names, w->model);
    printf("%s,%d,%s,%s,%s,%s,%s,%.6g,%.6g,%.4f\n", names.buf, w->tp, cs__eval_op_name(w->op), k[0], k[1], k[2], k[3],
           w->measured_ms, w->predicted_ms, w->predicted_ms / w->measured_ms - 1.0);
  }
  cs__sbuf_release(&names);
}

static void print_eval_summary(const cs__eval_result *ev) {
  cs__eval_sums s;
  cs__eval_summarize(ev, &s);
  printf("default roofline against every profiled row (|predicted / measured - 1|; bias = median signed error):\n");
  printf("%-8s %-26s %6s  %8s %8s %8s  %s\n", "device", "op", "rows", "median", "worst", "bias", "worst num_tokens median");
  for (size_t i = 0; i < s.v.n; i++) {
    const cs__eval_sum *x = &s.v.v[i];
    printf("%-8s %-26s %6d  %7.1f%% %7.1f%% %+7.1f%%", x->device, cs__eval_op_name(x->op), x->n, 100 * x->med,
           100 * x->worst, 100 * x->bias);
    if (!isnan(x->worst_key_med)) printf("  %.1f%% at %.0f", 100 * x->worst_key_med, x->worst_key);
    printf("\n");
  }
  printf("\n");
  free(s.v.v);
}

static void print_holdout(const cs__check_result *r, bool fit_scales) {
  printf("%-20s %-40s %-25s %6s  %8s %8s  %8s %8s\n", "device", "model", "op", "n", "prof p50", "prof p90", "roof p50",
         "roof p90");
  for (size_t i = 0; i < r->rows.n; i++) {
    const cs__check_row *w = &r->rows.v[i];
    printf("%-20s %-40s %-25s %6d  %7.2f%% %7.2f%%  %7.2f%% %7.2f%%\n", w->device, w->model, w->op, w->n, w->prof_med,
           w->prof_p90, w->rl_med, w->rl_p90);
  }
  printf("\nfitted roofline factors (held-out median APE: profile all ops | roofline MLP up/down/act, GEMMs, all ops):\n");
  for (size_t i = 0; i < r->fits.n; i++) {
    const cs__check_fit *f = &r->fits.v[i];
    if (f->warn[0]) fprintf(stderr, "capsearch: predictor check: warning: %s: %s\n", f->device, f->warn);
    if (f->is_network) {
      printf("  %-20s eff_comm %.3f  latency_us_per_ring_step %.2f   (%d fit points, mean |log err| %.3f)\n", f->device,
             f->f.eff_comm, f->comm_lat_us, f->nfit, f->mean_abs_log_err);
      continue;
    }
    printf("  %-6s eff_compute %.3f  eff_memory %.3f  gemm_latency_us %.2f  elem_latency_us %.2f", f->device, f->f.eff_c,
           f->f.eff_m, f->f.lat_us, f->f.elem_lat_us);
    if (f->attn_eff > 0) printf("  attn_eff %.3f  attn_latency_us %.2f", f->attn_eff, f->attn_lat_us);
    printf("   (%d fit points, mean |log err| %.3f; %.2f%% | %.2f%%, %.2f%%, %.2f%%)\n", f->nfit, f->mean_abs_log_err,
           f->prof_med, f->rl_mlp_med, f->rl_linear_med, f->rl_all_med);
    if (fit_scales) {
      printf("         overlap_n %.2f; memory scales:", f->overlap_n);
      for (int k = 0; k < CS__RL_NSCALE; k++)
        printf(" %s %.3f", k == CS__RL_DECODE ? "attn_decode" : k == CS__RL_PREFILL ? "attn_prefill" : cs__tok_op_name(k),
               f->scales[k]);
      printf("\n");
    }
  }
}

static int check_cmd(int argc, char **argv) {
  static const struct option opts[] = {{"profiling-dir", required_argument, 0, 'p'}, {"device", required_argument, 0, 'd'},
                                       {"model", required_argument, 0, 'm'},         {"csv", no_argument, 0, 'c'},
                                       {"config-dir", required_argument, 0, 'C'},    {"help", no_argument, 0, 'h'},
                                       {"fit-scales", no_argument, 0, 'S'},          {0, 0, 0, 0}};
  const char *dir = NULL, *device = NULL, *model = NULL, *cfgdir = NULL;
  bool csv = false, fit_scales = false;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'p': dir = optarg; break;
    case 'd': device = optarg; break;
    case 'm': model = optarg; break;
    case 'c': csv = true; break;
    case 'S': fit_scales = true; break;
    case 'C': cfgdir = optarg; break;
    case 'h': fputs(check_usage, stdout); return CS_EXIT_OK;
    default: return cs__cli_bad_option("predictor check", argc, argv, "h", opts);
    }
  }
  if (!dir || optind < argc) {
    fprintf(stderr, "capsearch: predictor check: %s\n%s", dir ? "unexpected argument" : "--profiling-dir is required",
            check_usage);
    return CS_EXIT_USAGE;
  }
  cs_err err = {0};
  cs_catalog *cat = NULL;
  if (cs_catalog_load(cs__cli_catalog_dir(cfgdir).s, &cat, &err)) return cs__cli_fail(&err);
  cs__eval_result ev;
  if (cs__predictor_eval(dir, cat, device, model, &ev, &err)) {
    cs_catalog_free(cat);
    return cs__cli_fail(&err);
  }
  if (csv) {
    print_eval_csv(&ev);
    cs__eval_result_release(&ev);
    cs_catalog_free(cat);
    return CS_EXIT_OK;
  }
  print_eval_summary(&ev);
  cs__eval_result_release(&ev);
  cs__check_result r;
  if (cs__predictor_check(dir, cat, device, model, fit_scales, &r, &err)) {
    cs_catalog_free(cat);
    return cs__cli_fail(&err);
  }
  print_holdout(&r, fit_scales);
  cs__check_result_release(&r);
  cs_catalog_free(cat);
  return CS_EXIT_OK;
}

/* "512@0p,1@1000" -> items */
static int parse_batch(const char *spec, cs_batch_item **out, int *n) {
  int cap = 1;
  for (const char *s = spec; *s; s++) cap += *s == ',';
  cs_batch_item *it = calloc((size_t)cap, sizeof *it);
  int k = 0;
  const char *s = spec;
  while (*s) {
    char *end;
    long t = strtol(s, &end, 10), p = 0;
    if (end == s || t <= 0) goto bad;
    s = end;
    if (*s == '@') {
      p = strtol(s + 1, &end, 10);
      if (end == s + 1 || p < 0) goto bad;
      s = end;
    }
    it[k].num_tokens = (int32_t)t;
    it[k].processed = (int32_t)p;
    if (*s == 'p') it[k].is_prefill = true, s++;
    k++;
    if (*s == ',') s++;
    else if (*s) goto bad;
  }
  if (!k) goto bad;
  *out = it;
  *n = k;
  return 0;
bad:
  free(it);
  return -1;
}

static int time_cmd(int argc, char **argv) {
  static const struct option opts[] = {
      {"model", required_argument, 0, 'm'},         {"device", required_argument, 0, 'd'},
      {"network", required_argument, 0, 'n'},       {"tp", required_argument, 0, 't'},
      {"pp", required_argument, 0, 'P'},            {"stage", required_argument, 0, 's'},
      {"predictor", required_argument, 0, 'r'},     {"param", required_argument, 0, 'a'},
      {"profiling-dir", required_argument, 0, 'f'}, {"predictions-dir", required_argument, 0, 'D'},
      {"cache-dir", required_argument, 0, 'c'},     {"config-dir", required_argument, 0, 'C'},
      {"batch", required_argument, 0, 'b'},         {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  const char *model = NULL, *device = NULL, *network = NULL, *pred = "roofline", *cfgdir = NULL, *batch = NULL;
  const char *params[CS_PARAMS_MAX];
  int nparams = 0, stage = 0;
  cs_predictor_ctx ctx = {0};
  ctx.tp = ctx.pp = 1;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'm': model = optarg; break;
    case 'd': device = optarg; break;
    case 'n': network = optarg; break;
    case 't': ctx.tp = atoi(optarg); break;
    case 'P': ctx.pp = atoi(optarg); break;
    case 's': stage = atoi(optarg); break;
    case 'r': pred = optarg; break;
    case 'a':
      if (nparams == CS_PARAMS_MAX) {
        fprintf(stderr, "capsearch: predictor time: too many --param\n");
        return CS_EXIT_USAGE;
      }
      params[nparams++] = optarg;
      break;
    case 'f': ctx.profiling_dir = optarg; break;
    case 'D': ctx.predictions_dir = optarg; break;
    case 'c': ctx.cache_dir = optarg; break;
    case 'C': cfgdir = optarg; break;
    case 'b': batch = optarg; break;
    case 'h': fputs(time_usage, stdout); return CS_EXIT_OK;
    default: return cs__cli_bad_option("predictor time", argc, argv, "h", opts);
    }
  }
  if (!model || !device || !batch || optind < argc) {
    fprintf(stderr, "capsearch: predictor time: %s\n%s",
            optind < argc ? "unexpected argument" : "--model, --device and --batch are required", time_usage);
    return CS_EXIT_USAGE;
  }
  cs_batch_item *items = NULL;
  int n = 0;
  if (parse_batch(batch, &items, &n)) {
    fprintf(stderr, "capsearch: predictor time: --batch '%s': expected TOKENS[@PROCESSED][p],... e.g. 512@0p,1@1000\n", batch);
    return CS_EXIT_USAGE;
  }
  cs_err err = {0};
  cs_catalog *cat = NULL;
  const cs_predictor_ops *ops = NULL;
  cs_predictor *p = NULL;
  cs_model *own = NULL;
  int rc = CS_EXIT_OK;
  if (cs_predictor_find(pred, &ops, &err) || cs_catalog_load(cs__cli_catalog_dir(cfgdir).s, &cat, &err) ||
      cs_model_resolve(cat, model, &ctx.model, &own, &err) || cs_catalog_find_device(cat, device, &ctx.device, &err) ||
      (network && cs_catalog_find_network(cat, network, &ctx.network, &err))) {
    rc = cs__cli_fail(&err);
    goto out;
  }
  for (int i = 0; i < nparams; i++) {
    char name[64];
    const char *eq = strchr(params[i], '=');
    char *end = NULL;
    double v = eq ? strtod(eq + 1, &end) : 0;
    if (!eq || (size_t)(eq - params[i]) >= sizeof name || end == eq + 1 || *end) {
      fprintf(stderr, "capsearch: predictor time: --param '%s': expected NAME=NUMBER\n", params[i]);
      rc = CS_EXIT_USAGE;
      goto out;
    }
    memcpy(name, params[i], (size_t)(eq - params[i]));
    name[eq - params[i]] = '\0';
    if (cs_params_set(&ctx.params, ops->params, ops->nparams, ops->name, name, v, "--param", &err)) {
      rc = cs__cli_fail(&err);
      goto out;
    }
  }
  if (cs_predictor_new(ops, &ctx, &p, &err)) {
    rc = cs__cli_fail(&err);
    goto out;
  }
  cs_batch_view b = {n, items, 0};
  for (int i = 0; i < n; i++) b.total_tokens += items[i].num_tokens;
  cs_stage_time t;
  cs_predictor_stage_time(p, &b, stage, &t);
  printf("%s\n", cs_predictor_describe(p));
  printf("stage_time_ms %.6f\nmodel_time_ms %.6f\n", t.total_s * 1e3, t.model_s * 1e3);
out:
  cs_predictor_free(p);
  cs_model_free(own);
  cs_catalog_free(cat);
  free(items);
  return rc;
}

int cs__cmd_predictor(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
    fputs(predictor_usage, argc < 2 ? stderr : stdout);
    return argc < 2 ? CS_EXIT_USAGE : CS_EXIT_OK;
  }
  if (!strcmp(argv[1], "check")) return check_cmd(argc - 1, argv + 1);
  if (!strcmp(argv[1], "time")) return time_cmd(argc - 1, argv + 1);
  static const char *const subs[] = {"check", "time"};
  const char *sug = cs__suggest(argv[1], subs, 2);
  if (sug)
    fprintf(stderr, "capsearch: predictor: unknown subcommand '%s' (did you mean '%s'?)\n", argv[1], sug);
  else
    fprintf(stderr, "capsearch: predictor: unknown subcommand '%s' (expected check or time)\n", argv[1]);
  return CS_EXIT_USAGE;
}
