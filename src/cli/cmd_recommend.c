/* capsearch recommend: the fast analytic screen (no simulation) of every catalog device x valid
 * TP for a model and a workload, ranked by cost; --emit-sweep hands the top candidates over to
 * the simulation as a sweep file. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capsearch/analysis.h"
#include "capsearch/catalog.h"
#include "cli/commands.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/sbuf.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: capsearch recommend (--model NAME | --model-config config.json)\n"
          "                           (--workload chat|rag|code | --isl N --osl N --ttft-slo S --tpot-slo S)\n"
          "                           (--qps RATE | --users N [--think-time S]) [options]\n\n"
          "Screens every catalog device x valid TP without simulation: fits or not (memory plan),\n"
          "roofline prefill and decode times at the load, an M/G/1 TTFT tail ESTIMATE, instances\n"
          "needed with headroom, $/hour and $ per 1K tokens, ranked by $/hour.\n\n"
          "  --workload W         preset (ISL/OSL and P50 TTFT/TPOT targets; docs/analysis.md):\n"
          "                         chat 1155/211 tok, 200 ms/50 ms; rag 6000/256, 800/40 (52.5%% prefix\n"
          "                         hits); code 2048/28, 500/35. Explicit flags override its fields\n"
          "  --isl N, --osl N     mean input / output tokens per request\n"
          "  --ttft-slo S, --tpot-slo S  targets in seconds (or with an 'ms' suffix: 200ms)\n"
          "  --slo-percentile P   percentile the targets apply to (default 50, ConfigIQ's P50)\n"
          "  --prefix-hit F       fraction of the prompt served from the prefix cache (0..1)\n"
          "  --qps RATE           request rate; or --users N closed-loop users (--think-time S)\n"
          "  --headroom PCT       spare capacity (default 25 -> 75%% utilisation)\n"
          "  --pricing MODE       ondemand (default) or spot\n"
          "  --max-tp N           largest TP to consider (default 8)\n"
          "  --devices a,b        only these catalog devices\n"
          "  --json               machine-readable output\n"
          "  --emit-sweep FILE    write a sweep YAML for the top candidates (--top N, default 3) on\n"
          "                       --trace FILE (default traces/chat_small.csv)\n"
          "  --config-dir DIR     catalog directory\n");
}

static int parse_secs(const char *flag, const char *s, double *out, cs_err *err) {
  char *end;
  double v = strtod(s, &end);
  if (!strcmp(end, "ms")) v /= 1000, end += 2;
  else if (!strcmp(end, "s")) end += 1;
  if (*end || !(v > 0) || !isfinite(v))
    return cs_err_set(err, CS_EUSAGE, "%s: expected a positive duration in seconds (or '200ms'), got '%s'", flag, s);
  *out = v;
  return 0;
}

static int parse_pos(const char *flag, const char *s, double lo, double hi, double *out, cs_err *err) {
  char *end;
  double v = strtod(s, &end);
  if (*end || end == s || !(v >= lo && v <= hi))
    return cs_err_set(err, CS_EUSAGE, "%s: expected a number in [%g, %g], got '%s'", flag, lo, hi, s);
  *out = v;
  return 0;
}

static void print_json(const cs_recommend_result *r, const cs_recommend_input *in, const char *workload) {
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__jw w;
  cs__jw_init(&w, &sb, false);
  cs__jw_obj_begin(&w);
  cs__jw_kstr(&w, "model", r->model);
  cs__jw_kstr(&w, "workload", workload);
  cs__jw_kint(&w, "isl", in->isl);
  cs__jw_kint(&w, "osl", in->osl);
  cs__jw_knum(&w, "ttft_slo_s", in->ttft_slo_s);
  cs__jw_knum(&w, "tpot_slo_s", in->tpot_slo_s);
  cs__jw_knum(&w, "slo_quantile", in->slo_quantile);
  cs__jw_knum(&w, "qps", r->qps);
  cs__jw_knum(&w, "target_utilization", r->util_target);
  cs__jw_kstr(&w, "pricing", in->pricing == CS_PRICING_SPOT ? "spot" : "ondemand");
  cs__jw_kstr(&w, "tail_estimate", "M/G/1 Pollaczek-Khinchine mean wait, CV 0.5, exponential tail: an estimate");
  cs__jw_key(&w, "candidates");
  cs__jw_arr_begin(&w);
  for (size_t i = 0; i < r->n; i++) {
    const cs_recommend_row *x = &r->rows[i];
    cs__jw_obj_begin(&w);
    if (x->rank) cs__jw_kint(&w, "rank", x->rank);
    else {
      cs__jw_key(&w, "rank");
      cs__jw_null(&w);
    }
    cs__jw_kstr(&w, "device", x->device);
    cs__jw_kint(&w, "tp", x->tp);
    cs__jw_kbool(&w, "fits", x->fits);
    cs__jw_kbool(&w, "meets_slo", x->meets_slo);
    cs__jw_kstr(&w, "why_not", x->why);
    cs__jw_knum(&w, "kv_tokens", x->kv_tokens);
    cs__jw_kint(&w, "max_batch", x->max_batch);
    cs__jw_knum(&w, "prefill_s", x->ttft_s);
    cs__jw_knum(&w, "tpot_s", x->tpot_s);
    cs__jw_kint(&w, "decode_batch", x->decode_batch);
    cs__jw_knum(&w, "instance_capacity_rps", x->meets_slo ? x->instance_rps : NAN);
    cs__jw_knum(&w, "instance_output_tok_s", x->meets_slo ? x->instance_tok_s : NAN);
    cs__jw_knum(&w, "utilization", x->meets_slo ? x->util : NAN);
    cs__jw_knum(&w, "est_ttft_p50_s", x->est_ttft_p50_s);
    cs__jw_knum(&w, "est_ttft_p99_s", x->est_ttft_p99_s);
    cs__jw_kint(&w, "instances", x->instances);
    cs__jw_kint(&w, "gpus", (int64_t)x->instances * x->tp);
    cs__jw_knum(&w, "usd_per_hour", x->usd_per_hour);
    cs__jw_knum(&w, "usd_per_1k_tokens", x->usd_per_1k_tokens);
    cs__jw_knum(&w, "usd_per_request", x->usd_per_request);
    cs__jw_knum(&w, "monthly_usd", x->monthly_usd);
    cs__jw_obj_end(&w);
  }
  cs__jw_arr_end(&w);
  cs__jw_obj_end(&w);
  printf("%s\n", sb.buf);
  cs__sbuf_release(&sb);
}

static void print_table(const cs_recommend_result *r, const cs_recommend_input *in, const char *workload) {
  int pct = (int)lround(in->slo_quantile * 100);
  printf("%s, %s (ISL %d, OSL %d tokens), %.4g QPS; targets TTFT P%d <= %g s, TPOT P%d <= %g s; "
         "instances sized at %.0f%% utilisation\n\n",
         r->model, workload, in->isl, in->osl, r->qps, pct, in->ttft_slo_s, pct, in->tpot_slo_s, r->util_target * 100);
  printf("%4s  %-9s %3s %4s %9s %5s %9s %8s %4s %9s %5s %5s %9s %9s %9s %10s %10s\n", "rank", "device", "TP", "fits",
         "KV tok", "maxB", "prefill", "TPOT", "B", "cap QPS", "inst", "util", "estTTFT50", "estTTFT99", "$/hour",
         "$/1K tok", "$/month");
  for (size_t i = 0; i < r->n; i++) {
    const cs_recommend_row *x = &r->rows[i];
    char rank[8];
    snprintf(rank, sizeof rank, x->rank ? "%d" : "-", x->rank);
    if (!x->fits) {
      printf("%4s  %-9s %3d %4s  %s\n", rank, x->device, x->tp, "no", x->why ? x->why : "");
      continue;
    }
    if (!x->meets_slo) {
      printf("%4s  %-9s %3d %4s %9.0f %5d %8.3fs %7.1fms  %s\n", rank, x->device, x->tp, "yes", x->kv_tokens,
             x->max_batch, x->ttft_s, x->tpot_s * 1000, x->why ? x->why : "");
      continue;
    }
    printf("%4s  %-9s %3d %4s %9.0f %5d %8.3fs %6.1fms %4d %9.3g %5d %4.0f%% %8.3fs %8.3fs %9.2f %10.5f %10.0f%s\n", rank,
           x->device, x->tp, "yes", x->kv_tokens, x->max_batch, x->ttft_s, x->tpot_s * 1000, x->decode_batch,
           x->instance_rps, x->instances, x->util * 100, x->est_ttft_p50_s, x->est_ttft_p99_s, x->usd_per_hour,
           x->usd_per_1k_tokens, x->monthly_usd, x->why ? "  (no price)" : "");
  }
  printf("\nprefill and TPOT: roofline (predictor 'roofline'); estTTFT: an M/G/1 ESTIMATE (Pollaczek-Khinchine\n"
         "mean wait, service CV 0.5, exponential tail) - real tails come from simulating the candidates\n"
         "(--emit-sweep FILE, then capsearch --config FILE --output-dir DIR).\n");
}

int cs__cmd_recommend(int argc, char **argv) {
  enum { O_MODEL = 256, O_MCFG, O_WL, O_ISL, O_OSL, O_TTFT, O_TPOT, O_PCT, O_HIT, O_QPS, O_USERS, O_THINK, O_HEAD,
         O_PRICING, O_MAXTP, O_DEV, O_JSON, O_EMIT, O_TOP, O_TRACE, O_CFG };
  static const struct option longopts[] = {
      {"model", required_argument, NULL, O_MODEL},      {"model-config", required_argument, NULL, O_MCFG},
      {"workload", required_argument, NULL, O_WL},      {"isl", required_argument, NULL, O_ISL},
      {"osl", required_argument, NULL, O_OSL},          {"ttft-slo", required_argument, NULL, O_TTFT},
      {"tpot-slo", required_argument, NULL, O_TPOT},    {"slo-percentile", required_argument, NULL, O_PCT},
      {"prefix-hit", required_argument, NULL, O_HIT},   {"qps", required_argument, NULL, O_QPS},
      {"users", required_argument, NULL, O_USERS},      {"think-time", required_argument, NULL, O_THINK},
      {"headroom", required_argument, NULL, O_HEAD},    {"pricing", required_argument, NULL, O_PRICING},
      {"max-tp", required_argument, NULL, O_MAXTP},     {"devices", required_argument, NULL, O_DEV},
      {"json", no_argument, NULL, O_JSON},              {"emit-sweep", required_argument, NULL, O_EMIT},
      {"top", required_argument, NULL, O_TOP},          {"trace", required_argument, NULL, O_TRACE},
      {"config-dir", required_argument, NULL, O_CFG},   {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  cs_recommend_input in;
  cs_recommend_input_init(&in);
  const char *workload = NULL, *emit = NULL, *trace = "traces/chat_small.csv", *config_dir = NULL;
  double isl = 0, osl = 0, ttft = 0, tpot = 0, pct = 0, hit = -1, v;
  bool json = false;
  int top = 3;
  cs_err err = {0};
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    int rc = 0;
    switch (c) {
    case 'h':
      usage(stdout);
      return CS_EXIT_OK;
    case O_MODEL: in.model = optarg; break;
    case O_MCFG: in.model_config = optarg; break;
    case O_WL: workload = optarg; break;
    case O_ISL: rc = parse_pos("--isl", optarg, 1, 1e7, &isl, &err); break;
    case O_OSL: rc = parse_pos("--osl", optarg, 1, 1e7, &osl, &err); break;
    case O_TTFT: rc = parse_secs("--ttft-slo", optarg, &ttft, &err); break;
    case O_TPOT: rc = parse_secs("--tpot-slo", optarg, &tpot, &err); break;
    case O_PCT: rc = parse_pos("--slo-percentile", optarg, 1, 99.99, &pct, &err); break;
    case O_HIT: rc = parse_pos("--prefix-hit", optarg, 0, 0.99, &hit, &err); break;
    case O_QPS: rc = parse_pos("--qps", optarg, 1e-6, 1e9, &in.qps, &err); break;
    case O_USERS: rc = parse_pos("--users", optarg, 1, 1e9, &in.users, &err); break;
    case O_THINK: rc = parse_pos("--think-time", optarg, 0, 1e6, &in.think_time_s, &err); break;
    case O_HEAD: rc = parse_pos("--headroom", optarg, 0, 1000, &in.headroom_pct, &err); break;
    case O_PRICING:
      if (!strcmp(optarg, "spot")) in.pricing = CS_PRICING_SPOT;
      else if (!strcmp(optarg, "ondemand") || !strcmp(optarg, "on-demand")) in.pricing = CS_PRICING_ONDEMAND;
      else rc = cs_err_set(&err, CS_EUSAGE, "--pricing: expected 'spot' or 'ondemand', got '%s'", optarg);
      break;
    case O_MAXTP:
      rc = parse_pos("--max-tp", optarg, 1, 64, &v, &err);
      in.max_tp = (int)v;
      break;
    case O_DEV: in.device_filter = optarg; break;
    case O_JSON: json = true; break;
    case O_EMIT: emit = optarg; break;
    case O_TOP:
      rc = parse_pos("--top", optarg, 1, 64, &v, &err);
      top = (int)v;
      break;
    case O_TRACE: trace = optarg; break;
    case O_CFG: config_dir = optarg; break;
    default: return cs__cli_bad_option("recommend", argc, argv, "h", longopts);
    }
    if (rc) return cs__cli_fail(&err);
  }
  if (optind != argc) {
    fprintf(stderr, "capsearch: recommend: unexpected argument '%s'\n", argv[optind]);
    return CS_EXIT_USAGE;
  }
  if (workload) {
    const cs_workload_preset *p;
    if (cs_workload_find(workload, &p, &err)) return cs__cli_fail(&err);
    in.isl = p->isl;
    in.osl = p->osl;
    in.ttft_slo_s = p->ttft_slo_s;
    in.tpot_slo_s = p->tpot_slo_s;
    in.prefix_hit = p->prefix_hit;
  } else {
    workload = "custom";
  }
  if (isl > 0) in.isl = (int)isl;
  if (osl > 0) in.osl = (int)osl;
  if (ttft > 0) in.ttft_slo_s = ttft;
  if (tpot > 0) in.tpot_slo_s = tpot;
  if (pct > 0) in.slo_quantile = pct / 100.0;
  if (hit >= 0) in.prefix_hit = hit;
  if (!in.isl || !in.osl || !(in.ttft_slo_s > 0) || !(in.tpot_slo_s > 0)) {
    fprintf(stderr, "capsearch: recommend: give --workload chat|rag|code or all of --isl --osl --ttft-slo --tpot-slo\n");
    return CS_EXIT_USAGE;
  }
  cs_catalog *cat;
  if (cs_catalog_load(cs__cli_catalog_dir(config_dir).s, &cat, &err)) return cs__cli_fail(&err);
  cs_recommend_result r;
  if (cs_recommend_run(cat, &in, &r, &err)) {
    cs_catalog_free(cat);
    return cs__cli_fail(&err);
  }
  if (json) print_json(&r, &in, workload);
  else print_table(&r, &in, workload);
  int code = CS_EXIT_OK;
  char *shipped = NULL;
  if (emit && !strcmp(trace, "traces/chat_small.csv") && access(trace, R_OK) != 0) {
    /* the default trace ships beside the catalogs (configs/ and traces/ in the checkout) */
    shipped = cs__path_join(cs__cli_catalog_dir(config_dir).s, "../traces/chat_small.csv");
    trace = shipped;
  }
  if (emit) {
    if (cs_recommend_emit_sweep(&r, &in, trace, top, emit, &err)) code = cs__cli_fail(&err);
    else fprintf(stderr, "capsearch: wrote %s (top %d candidate(s); run: capsearch --config %s --output-dir DIR)\n", emit,
                 top, emit);
  }
  free(shipped);
  cs_recommend_result_release(&r);
  cs_catalog_free(cat);
  return code;
}
