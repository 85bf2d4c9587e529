/* capsearch predictor: inspect and validate the execution-time predictors.
 *   predictor check --profiling-dir DIR [--device X] [--model Y] [--csv]
 *       held-out accuracy of `profile` and calibrated `roofline` against Vidur profiles, and the
 *       fitted roofline efficiency factors per device
 *   predictor time --model M --device D [--tp N] [--pp N] [--predictor NAME] [--batch SPEC] ...
 *       one stage time for a hand-written batch (debugging, hand checks) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsearch/catalog.h"
#include "capsearch/check.h"
#include "capsearch/opt.h"
#include "capsearch/predictor.h"
#include "capsearch/util.h"

#include "commands.h"

static const char predictor_usage[] =
    "usage: capsearch predictor <check|time> [options]   (--help on each)\n\n"
    "  check   held-out error of the profile and roofline predictors on Vidur profiling data,\n"
    "          and the roofline efficiency factors fitted to it\n"
    "  time    stage time of one hand-written batch with any predictor\n";

typedef struct check_args {
  const char *dir, *device, *model, *cfgdir;
  bool csv, fit_scales;
} check_args;

#define F(f) CS_OPT_FIELD(check_args, f)
static const cs_opt check_opts[] = {
    {CS_OPT_STR, "profiling-dir", .arg = "DIR", .help = "Vidur's data/profiling (required)", F(dir)},
    {CS_OPT_STR, "device", .arg = "X", .help = "only this device (catalog name)", F(device)},
    {CS_OPT_STR, "model", .arg = "Y", .help = "only this model (org/name or name)", F(model)},
    {CS_OPT_FLAG, "csv", .help = "one row per profiled row: device,model,tp,op,num_tokens,batch_size,\n"
                                 "kv_cache_size,prefill_chunk_size,measured_ms,predicted_ms,rel_error\n"
                                 "(predicted/measured - 1)", F(csv)},
    {CS_OPT_FLAG, "fit-scales", .help = "also refit the per-kernel memory scales (how the built-in constants\n"
                                        "were made)", F(fit_scales)},
    {CS_OPT_STR, "config-dir", .arg = "D", .help = "catalog directory", F(cfgdir)},
    {CS_OPT_HELP, "help", 'h', .help = "this text"},
    {CS_OPT_END}};
#undef F

static const cs_opt_cmd check_cmd_def = {
    "predictor check", "capsearch predictor check --profiling-dir DIR [options]",
    "DIR is laid out as Vidur's data/profiling (compute/<device>/<org>/<model>/mlp.csv and, where\n"
    "profiled, attention.csv and layers.csv). The default roofline (the factors simulate uses) is\n"
    "compared with every profiled row; eager CUDA-event profiles get their dispatch floor added.\n"
    "Prints a per-op summary (median and worst |error|), then the held-out check: every other\n"
    "profiled point is held out, the profile predictor interpolates the rest and the roofline's\n"
    "factors are refitted on the rest (warnings on stderr when a factor ends on its search bound).",
    check_opts, NULL, 0, 0};

typedef struct time_args {
  const char *model, *device, *network, *pred, *cfgdir, *batch;
  const char *params[CS_PARAMS_MAX];
  int nparams, stage;
  cs_predictor_ctx ctx;
} time_args;

#define F(f) CS_OPT_FIELD(time_args, f)
static const cs_opt time_opts[] = {
    {CS_OPT_STR, "model", .arg = "M", .help = "catalog model (required)", F(model)},
    {CS_OPT_STR, "device", .arg = "D", .help = "catalog device (required)", F(device)},
    {CS_OPT_STR, "network", .arg = "N", .help = "node type", F(network)},
    {CS_OPT_INT, "tp", .help = "tensor parallel size", F(ctx.tp), .range = {1, 1024, false, true}},
    {CS_OPT_INT, "pp", .help = "pipeline parallel size", F(ctx.pp), .range = {1, 1024, false, true}},
    {CS_OPT_INT, "stage", .arg = "S", .help = "pipeline stage", F(stage), .range = {0, 1023, false, true}},
    {CS_OPT_STR, "predictor", .arg = "NAME", .help = "roofline, profile or constant", F(pred)},
    {CS_OPT_LIST, "param", .arg = "NAME=VALUE", .help = "a predictor parameter (repeatable)", F(params),
     .range = {0, CS_PARAMS_MAX, false, false}, .count_off = offsetof(time_args, nparams)},
    {CS_OPT_STR, "profiling-dir", .arg = "DIR", .help = "profile predictor: Vidur's profiling data", F(ctx.profiling_dir)},
    {CS_OPT_STR, "predictions-dir", .arg = "DIR", .help = "profile predictor: Vidur's prediction tables",
     F(ctx.predictions_dir)},
    {CS_OPT_STR, "cache-dir", .arg = "DIR", .help = "predictor table cache", F(ctx.cache_dir)},
    {CS_OPT_STR, "config-dir", .arg = "D", .help = "catalog directory", F(cfgdir)},
    {CS_OPT_STR, "batch", .arg = "SPEC", .help = "the batch (required)", F(batch)},
    {CS_OPT_HELP, "help", 'h', .help = "this text"},
    {CS_OPT_END}};
#undef F

static const cs_opt_cmd time_cmd_def = {
    "predictor time", "capsearch predictor time --model M --device D --batch SPEC [options]",
    "SPEC is a comma-separated list of requests, each TOKENS@PROCESSED with a 'p' suffix for a\n"
    "prefill chunk: '512@0p,1@1000,1@2300' is a 512-token prefill chunk and two decodes with 1000\n"
    "and 2300 tokens of context. Prints the predictor's description and the stage time in ms.",
    time_opts, NULL, 0, 0};

/* One row per profiled point: the default roofline against the measurement. */
static void print_eval_csv(const cs_eval_result *ev) {
  printf("device,model,tp,op,num_tokens,batch_size,kv_cache_size,prefill_chunk_size,measured_ms,predicted_ms,rel_error\n");
  cs_sbuf names;
  cs_sbuf_init(&names);
  for (size_t i = 0; i < ev->rows.n; i++) {
    const cs_eval_row *w = &ev->rows.v[i];
    char k[4][32];
    const double keys[4] = {w->num_tokens, w->batch_size, w->kv_cache_size, w->prefill_chunk_size};
    for (int j = 0; j < 4; j++) {
      if (keys[j] >= 0) snprintf(k[j], sizeof k[j], "%.0f", keys[j]);
      else k[j][0] = '\0';
    }
    cs_sbuf_reset(&names); /* directory names: quoted as RFC 4180 says when they hold a comma */
    cs_csv_field(&names, w->device);
    cs_sbuf_addc(&names, ',');
    cs_csv_field(&names, w->model);
    printf("%s,%d,%s,%s,%s,%s,%s,%.6g,%.6g,%.4f\n", names.buf, w->tp, cs_eval_op_name(w->op), k[0], k[1], k[2], k[3],
           w->measured_ms, w->predicted_ms, w->predicted_ms / w->measured_ms - 1.0);
  }
  cs_sbuf_release(&names);
}

static void print_eval_summary(const cs_eval_result *ev) {
  cs_eval_sums s;
  cs_eval_summarize(ev, &s);
  printf("default roofline against every profiled row (|predicted / measured - 1|; bias = median signed error):\n");
  printf("%-8s %-26s %6s  %8s %8s %8s  %s\n", "device", "op", "rows", "median", "worst", "bias", "worst num_tokens median");
  for (size_t i = 0; i < s.v.n; i++) {
    const cs_eval_sum *x = &s.v.v[i];
    printf("%-8s %-26s %6d  %7.1f%% %7.1f%% %+7.1f%%", x->device, cs_eval_op_name(x->op), x->n, 100 * x->med,
           100 * x->worst, 100 * x->bias);
    if (!isnan(x->worst_key_med)) printf("  %.1f%% at %.0f", 100 * x->worst_key_med, x->worst_key);
    printf("\n");
  }
  printf("\n");
  free(s.v.v);
}

static void print_holdout(const cs_check_result *r, bool fit_scales) {
  printf("%-20s %-40s %-25s %6s  %8s %8s  %8s %8s\n", "device", "model", "op", "n", "prof p50", "prof p90", "roof p50",
         "roof p90");
  for (size_t i = 0; i < r->nrows; i++) {
    const cs_check_row *w = &r->rows[i];
    printf("%-20s %-40s %-25s %6d  %7.2f%% %7.2f%%  %7.2f%% %7.2f%%\n", w->device, w->model, w->op, w->n, w->prof_med,
           w->prof_p90, w->rl_med, w->rl_p90);
  }
  printf("\nfitted roofline factors (held-out median APE: profile all ops | roofline MLP up/down/act, GEMMs, all ops):\n");
  for (size_t i = 0; i < r->nfits; i++) {
    const cs_check_fit *f = &r->fits[i];
    if (f->warn[0]) fprintf(stderr, "capsearch: predictor check: warning: %s: %s\n", f->device, f->warn);
    if (f->is_network) {
      printf("  %-20s eff_comm %.3f  latency_us_per_ring_step %.2f   (%d fit points, mean |log err| %.3f)\n", f->device,
             f->eff_comm, f->comm_latency_us, f->nfit, f->mean_abs_log_err);
      continue;
    }
    printf("  %-6s eff_compute %.3f  eff_memory %.3f  gemm_latency_us %.2f  elem_latency_us %.2f", f->device, f->eff_compute,
           f->eff_memory, f->gemm_latency_us, f->elem_latency_us);
    if (f->attn_eff > 0) printf("  attn_eff %.3f  attn_latency_us %.2f", f->attn_eff, f->attn_latency_us);
    printf("   (%d fit points, mean |log err| %.3f; %.2f%% | %.2f%%, %.2f%%, %.2f%%)\n", f->nfit, f->mean_abs_log_err,
           f->prof_med, f->rl_mlp_med, f->rl_linear_med, f->rl_all_med);
    if (fit_scales) {
      printf("         overlap_n %.2f; memory scales:", f->overlap_n);
      for (int k = 0; k < CS_CHECK_NSCALE; k++) printf(" %s %.3f", cs_check_scale_name(k), f->scales[k]);
      printf("\n");
    }
  }
}

static int check_cmd(int argc, char **argv) {
  check_args a = {0};
  int prc = cs__cli_parse(&check_cmd_def, argc, argv, &a, &a, NULL, NULL);
  if (prc >= 0) return prc;
  if (!a.dir) {
    fprintf(stderr, "capsearch: predictor check: --profiling-dir is required; see 'capsearch predictor check --help'\n");
    return CS_EXIT_USAGE;
  }
  const char *dir = a.dir, *device = a.device, *model = a.model, *cfgdir = a.cfgdir;
  bool csv = a.csv, fit_scales = a.fit_scales;
  cs_err err = {0};
  cs_catalog *cat = NULL;
  if (cs_catalog_load(cs__cli_catalog_dir(cfgdir).s, &cat, &err)) return cs__cli_fail(&err);
  cs_eval_result ev;
  if (cs_predictor_eval(dir, cat, device, model, &ev, &err)) {
    cs_catalog_free(cat);
    return cs__cli_fail(&err);
  }
  if (csv) {
    print_eval_csv(&ev);
    cs_eval_result_release(&ev);
    cs_catalog_free(cat);
    return CS_EXIT_OK;
  }
  print_eval_summary(&ev);
  cs_eval_result_release(&ev);
  cs_check_result r;
  if (cs_predictor_check(dir, cat, device, model, fit_scales, &r, &err)) {
    cs_catalog_free(cat);
    return cs__cli_fail(&err);
  }
  print_holdout(&r, fit_scales);
  cs_check_result_release(&r);
  cs_catalog_free(cat);
  return CS_EXIT_OK;
}

/* One "TOKENS[@PROCESSED][p]" item, each number through the checked parser. */
static bool parse_item(const char *s, size_t len, cs_batch_item *it) {
  static const cs_num_range tokens = {1, 2147483647, false, true}, done = {0, 2147483647, false, true};
  char buf[64], why[128];
  double t, p = 0;
  if (len == 0 || len >= sizeof buf) return false;
  memcpy(buf, s, len);
  buf[len] = '\0';
  if (buf[len - 1] == 'p') it->is_prefill = true, buf[--len] = '\0';
  char *at = strchr(buf, '@');
  if (at) *at = '\0';
  if (cs_num_parse(buf, &tokens, &t, why, sizeof why) || (at && cs_num_parse(at + 1, &done, &p, why, sizeof why)))
    return false;
  it->num_tokens = (int32_t)t;
  it->processed = (int32_t)p;
  return true;
}

/* "512@0p,1@1000" -> items */
static int parse_batch(const char *spec, cs_batch_item **out, int *n) {
  int cap = 1;
  for (const char *s = spec; *s; s++) cap += *s == ',';
  cs_batch_item *it = calloc((size_t)cap, sizeof *it);
  int k = 0;
  for (const char *s = spec;; k++) {
    size_t len = strcspn(s, ",");
    if (!parse_item(s, len, &it[k])) {
      free(it);
      return -1;
    }
    if (!s[len]) break;
    s += len + 1;
  }
  *out = it;
  *n = k + 1;
  return 0;
}

static int time_cmd(int argc, char **argv) {
  time_args a = {0};
  a.pred = "roofline";
  a.ctx.tp = a.ctx.pp = 1;
  time_args defaults = a;
  int prc = cs__cli_parse(&time_cmd_def, argc, argv, &a, &defaults, NULL, NULL);
  if (prc >= 0) return prc;
  if (!a.model || !a.device || !a.batch) {
    fprintf(stderr, "capsearch: predictor time: --model, --device and --batch are required; see 'capsearch predictor "
                    "time --help'\n");
    return CS_EXIT_USAGE;
  }
  if (a.stage >= a.ctx.pp) { /* stages are numbered 0 .. pp - 1 */
    fprintf(stderr, "capsearch: predictor time: --stage %d: out of range: the pipeline has %d stage%s (--pp %d), "
                    "expected 0..%d\n", a.stage, a.ctx.pp, a.ctx.pp == 1 ? "" : "s", a.ctx.pp, a.ctx.pp - 1);
    return CS_EXIT_USAGE;
  }
  const char *model = a.model, *device = a.device, *network = a.network, *pred = a.pred, *cfgdir = a.cfgdir;
  const char *batch = a.batch, *const *params = a.params;
  int nparams = a.nparams, stage = a.stage;
  cs_predictor_ctx ctx = a.ctx;
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
    double v;
    if (cs__cli_param_arg(params[i], name, &v, &err) ||
        cs_params_set(&ctx.params, ops->info.params, ops->info.nparams, ops->info.name, name, v, "--param", &err)) {
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
  const char *sug = cs_suggest(argv[1], subs, 2);
  if (sug)
    fprintf(stderr, "capsearch: predictor: unknown subcommand '%s' (did you mean '%s'?)\n", argv[1], sug);
  else
    fprintf(stderr, "capsearch: predictor: unknown subcommand '%s' (expected check or time)\n", argv[1]);
  return CS_EXIT_USAGE;
}
