/* capsearch recommend: the fast analytic screen (no simulation) of every catalog device x valid
 * TP for a model and a workload, ranked by cost; --emit-sweep hands the top candidates over to
 * the simulation as a sweep file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capsearch/analysis.h"
#include "capsearch/catalog.h"
#include "capsearch/opt.h"
#include "capsearch/util.h"

#include "commands.h"

typedef struct rec_args {
  cs_recommend_input in;
  const char *workload, *emit, *trace, *config_dir;
  double isl, osl, ttft, tpot, pct, hit; /* 0 (hit: -1) = the preset's */
  bool json;
  int top;
} rec_args;

static const char *const pricings[] = {"ondemand", "on-demand", "spot", NULL};
static const int pricing_values[] = {CS_PRICING_ONDEMAND, CS_PRICING_ONDEMAND, CS_PRICING_SPOT};
#define F(f) CS_OPT_FIELD(rec_args, f)
#define RANGE(lo, hi) .range = {lo, hi, false, false}
static const cs_opt rec_opts[] = {
    {CS_OPT_STR, "model", .arg = "NAME", .help = "catalog model", F(in.model)},
    {CS_OPT_STR, "model-config", .arg = "FILE", .help = "a Hugging Face config.json instead", F(in.model_config)},
    {CS_OPT_STR, "workload", .arg = "W", .help = "preset (ISL/OSL and P50 TTFT/TPOT targets; docs/analysis.md):\n"
                                              "  chat 1155/211 tok, 200 ms/50 ms; rag 6000/256, 800/40 (52.5% prefix\n"
                                              "  hits); code 2048/28, 500/35. Explicit flags override its fields",
     F(workload)},
    {CS_OPT_NUM, "isl", .help = "mean input tokens per request", F(isl), RANGE(1, 1e7)},
    {CS_OPT_NUM, "osl", .help = "mean output tokens per request", F(osl), RANGE(1, 1e7)},
    {CS_OPT_NUM, "ttft-slo", .arg = "S", .help = "TTFT target (200ms: other units)", F(ttft), .range = {0, 1e6, true, false},
     .unit = &cs_opt_unit_seconds},
    {CS_OPT_NUM, "tpot-slo", .arg = "S", .help = "TPOT target (50ms: other units)", F(tpot), .range = {0, 1e6, true, false},
     .unit = &cs_opt_unit_seconds},
    {CS_OPT_NUM, "slo-percentile", .arg = "P", .help = "percentile the targets apply to (default 50, ConfigIQ's P50)",
     F(pct), RANGE(1, 99.99)},
    {CS_OPT_NUM, "prefix-hit", .arg = "F", .help = "fraction of the prompt served from the prefix cache", F(hit),
     RANGE(0, 0.99), .no_default = true},
    {CS_OPT_NUM, "qps", .arg = "RATE", .help = "request rate", F(in.qps), RANGE(1e-6, 1e9)},
    {CS_OPT_NUM, "users", .arg = "N", .help = "closed-loop users instead of --qps", F(in.users), RANGE(1, 1e9)},
    {CS_OPT_NUM, "think-time", .arg = "S", .help = "a user's pause between requests", F(in.think_time_s), RANGE(0, 1e6),
     .unit = &cs_opt_unit_seconds},
    {CS_OPT_NUM, "headroom", .arg = "PCT", .help = "spare capacity (25 -> 75% utilisation)", F(in.headroom_pct),
     RANGE(0, 100)},
    {CS_OPT_ENUM, "pricing", .arg = "MODE", .help = "ondemand or spot", F(in.pricing), .choices = pricings,
     .values = pricing_values, .noun = "pricing", .def_text = "ondemand"},
    {CS_OPT_INT, "max-tp", .help = "largest TP to consider", F(in.max_tp), .range = {1, 64, false, true}},
    {CS_OPT_STR, "devices", .arg = "a,b", .help = "only these catalog devices", F(in.device_filter)},
    {CS_OPT_FLAG, "json", .help = "machine-readable output", F(json)},
    {CS_OPT_STR, "emit-sweep", .arg = "FILE", .help = "write a sweep YAML for the top candidates", F(emit)},
    {CS_OPT_INT, "top", .help = "candidates in --emit-sweep", F(top), .range = {1, 64, false, true}},
    {CS_OPT_STR, "trace", .arg = "FILE", .help = "the trace of --emit-sweep", F(trace)},
    {CS_OPT_STR, "config-dir", .arg = "DIR", .help = "catalog directory", F(config_dir)},
    {CS_OPT_HELP, "help", 'h', .help = "this text"},
    {CS_OPT_END}};
#undef RANGE
#undef F

static const cs_opt_cmd rec_cmd = {
    "recommend",
    "capsearch recommend (--model NAME | --model-config config.json)\n"
    "                    (--workload chat|rag|code | --isl N --osl N --ttft-slo S --tpot-slo S)\n"
    "                    (--qps RATE | --users N [--think-time S]) [options]",
    "Screens every catalog device x valid TP without simulation: fits or not (memory plan),\n"
    "roofline prefill and decode times at the load, an M/G/1 TTFT tail ESTIMATE, instances\n"
    "needed with headroom, $/hour and $ per 1K tokens, ranked by $/hour.",
    rec_opts, NULL, 0, 0};

static void rec_args_init(rec_args *r) {
  memset(r, 0, sizeof *r);
  cs_recommend_input_init(&r->in);
  r->trace = "traces/chat_small.csv";
  r->hit = -1;
  r->top = 3;
}

static void usage(FILE *f) {
  rec_args d;
  rec_args_init(&d);
  char *help = cs_opt_help_text(&rec_cmd, &d);
  if (help) fputs(help, f);
  free(help);
}

static int print_json(const cs_recommend_result *r, const cs_recommend_input *in, const char *workload, cs_err *err) {
  cs_sbuf sb;
  cs_sbuf_init(&sb);
  cs_jw w;
  cs_jw_init(&w, &sb, false);
  cs_jw_obj_begin(&w);
  cs_jw_kstr(&w, "model", r->model);
  cs_jw_kstr(&w, "workload", workload);
  cs_jw_kint(&w, "isl", in->isl);
  cs_jw_kint(&w, "osl", in->osl);
  cs_jw_knum(&w, "ttft_slo_s", in->ttft_slo_s);
  cs_jw_knum(&w, "tpot_slo_s", in->tpot_slo_s);
  cs_jw_knum(&w, "slo_quantile", in->slo_quantile);
  cs_jw_knum(&w, "qps", r->qps);
  cs_jw_knum(&w, "target_utilization", r->util_target);
  cs_jw_kstr(&w, "pricing", in->pricing == CS_PRICING_SPOT ? "spot" : "ondemand");
  cs_jw_kstr(&w, "tail_estimate", "M/G/1 Pollaczek-Khinchine mean wait, CV 0.5, exponential tail: an estimate");
  cs_jw_key(&w, "candidates");
  cs_jw_arr_begin(&w);
  for (size_t i = 0; i < r->n; i++) {
    const cs_recommend_row *x = &r->rows[i];
    cs_jw_obj_begin(&w);
    if (x->rank) cs_jw_kint(&w, "rank", x->rank);
    else {
      cs_jw_key(&w, "rank");
      cs_jw_null(&w);
    }
    cs_jw_kstr(&w, "device", x->device);
    cs_jw_kbool(&w, "factors_borrowed", x->factors_borrowed);
    cs_jw_kstr(&w, "factors_borrowed_from", x->factors_from);
    cs_jw_kint(&w, "tp", x->tp);
    cs_jw_kbool(&w, "fits", x->fits);
    cs_jw_kbool(&w, "meets_slo", x->meets_slo);
    cs_jw_kstr(&w, "why_not", x->why);
    cs_jw_knum(&w, "kv_tokens", x->kv_tokens);
    cs_jw_kint(&w, "max_batch", x->max_batch);
    cs_jw_knum(&w, "prefill_s", x->ttft_s);
    cs_jw_knum(&w, "tpot_s", x->tpot_s);
    cs_jw_kint(&w, "decode_batch", x->decode_batch);
    cs_jw_knum(&w, "instance_capacity_rps", x->meets_slo ? x->instance_rps : NAN);
    cs_jw_knum(&w, "instance_output_tok_s", x->meets_slo ? x->instance_tok_s : NAN);
    cs_jw_knum(&w, "utilization", x->meets_slo ? x->util : NAN);
    cs_jw_knum(&w, "est_ttft_p50_s", x->est_ttft_p50_s);
    cs_jw_knum(&w, "est_ttft_p99_s", x->est_ttft_p99_s);
    cs_jw_kint(&w, "instances", x->instances);
    cs_jw_kint(&w, "gpus", (int64_t)x->instances * x->tp);
    cs_jw_knum(&w, "usd_per_hour", x->usd_per_hour);
    cs_jw_knum(&w, "usd_per_1k_tokens", x->usd_per_1k_tokens);
    cs_jw_knum(&w, "usd_per_request", x->usd_per_request);
    cs_jw_knum(&w, "monthly_usd", x->monthly_usd);
    cs_jw_obj_end(&w);
  }
  cs_jw_arr_end(&w);
  cs_jw_obj_end(&w);
  int rc = cs__cli_put_json(&w, &sb, stdout, "the JSON of recommend", err);
  cs_sbuf_release(&sb);
  return rc;
}

/* A row whose device has no roofline fit of its own carries the part its speed was borrowed from. */
static const char *borrowed_mark(const cs_recommend_row *x, char *buf, size_t size) {
  if (!x->factors_borrowed) return "";
  snprintf(buf, size, "  [speed BORROWED from %s]", x->factors_from ? x->factors_from : "?");
  return buf;
}

static void print_table(const cs_recommend_result *r, const cs_recommend_input *in, const char *workload) {
  int pct = (int)lround(in->slo_quantile * 100);
  printf("%s, %s (ISL %d, OSL %d tokens), %.4g QPS; targets TTFT P%d <= %g s, TPOT P%d <= %g s; "
         "instances sized at %.0f%% utilisation\n\n",
         r->model, workload, in->isl, in->osl, r->qps, pct, in->ttft_slo_s, pct, in->tpot_slo_s, r->util_target * 100);
  printf("%4s  %-9s %3s %4s %9s %5s %9s %8s %4s %9s %5s %5s %9s %9s %9s %10s %10s\n", "rank", "device", "TP", "fits",
         "KV tok", "maxB", "prefill", "TPOT", "B", "cap QPS", "inst", "util", "estTTFT50", "estTTFT99", "$/hour",
         "$/1K tok", "$/month");
  bool any_borrowed = false;
  for (size_t i = 0; i < r->n; i++) {
    const cs_recommend_row *x = &r->rows[i];
    char rank[8], mark[96];
    snprintf(rank, sizeof rank, x->rank ? "%d" : "-", x->rank);
    const char *bm = borrowed_mark(x, mark, sizeof mark);
    any_borrowed = any_borrowed || (x->factors_borrowed && x->fits);
    if (!x->fits) {
      printf("%4s  %-9s %3d %4s  %s\n", rank, x->device, x->tp, "no", x->why ? x->why : "");
      continue;
    }
    if (!x->meets_slo) {
      printf("%4s  %-9s %3d %4s %9.0f %5d %8.3fs %7.1fms  %s%s\n", rank, x->device, x->tp, "yes", x->kv_tokens,
             x->max_batch, x->ttft_s, x->tpot_s * 1000, x->why ? x->why : "", bm);
      continue;
    }
    printf("%4s  %-9s %3d %4s %9.0f %5d %8.3fs %6.1fms %4d %9.3g %5d %4.0f%% %8.3fs %8.3fs %9.2f %10.5f %10.0f%s%s\n",
           rank, x->device, x->tp, "yes", x->kv_tokens, x->max_batch, x->ttft_s, x->tpot_s * 1000, x->decode_batch,
           x->instance_rps, x->instances, x->util * 100, x->est_ttft_p50_s, x->est_ttft_p99_s, x->usd_per_hour,
           x->usd_per_1k_tokens, x->monthly_usd, x->why ? "  (no price)" : "", bm);
  }
  if (any_borrowed)
    printf("\ncaveat: rows marked [speed BORROWED from X] use the roofline factors fitted to another part X of\n"
           "the same architecture (no profile of their own, `capsearch list devices`): their prefill, TPOT and so\n"
           "their rank are less certain (expect 10-25%% error either way); simulate them before choosing.\n");
  printf("\nprefill and TPOT: roofline (predictor 'roofline'); estTTFT: an M/G/1 ESTIMATE (Pollaczek-Khinchine\n"
         "mean wait, service CV 0.5, exponential tail) - real tails come from simulating the candidates\n"
         "(--emit-sweep FILE, then capsearch --config FILE --output-dir DIR).\n");
}

/* The preset's fields, then the explicit flags over them: 0, or a usage message. */
static int apply_workload(rec_args *r, cs_err *err) {
  cs_recommend_input *in = &r->in;
  if (r->workload) {
    const cs_workload_preset *p;
    int rc = cs_workload_find(r->workload, &p, err);
    if (rc) return rc;
    in->isl = p->isl;
    in->osl = p->osl;
    in->ttft_slo_s = p->ttft_slo_s;
    in->tpot_slo_s = p->tpot_slo_s;
    in->prefix_hit = p->prefix_hit;
  } else {
    r->workload = "custom";
  }
  if (r->isl > 0) in->isl = (int)r->isl;
  if (r->osl > 0) in->osl = (int)r->osl;
  if (r->ttft > 0) in->ttft_slo_s = r->ttft;
  if (r->tpot > 0) in->tpot_slo_s = r->tpot;
  if (r->pct > 0) in->slo_quantile = r->pct / 100.0;
  if (r->hit >= 0) in->prefix_hit = r->hit;
  if (!in->isl || !in->osl || !(in->ttft_slo_s > 0) || !(in->tpot_slo_s > 0))
    return cs_err_set(err, CS_EUSAGE, "recommend: give --workload chat|rag|code or all of --isl --osl --ttft-slo --tpot-slo");
  return 0;
}

/* What --emit-sweep wrote: the sweep is a cartesian product of its clusters and TP sizes (the
 * schema cannot list device/TP pairs), so it may run more jobs than the top candidates; say how
 * many. The picks follow cs_recommend_emit_sweep: ranked, with a network entry, the first top. */
static void emit_note(const cs_recommend_result *r, int top, const char *emit, bool existed) {
  const char *devs[64];
  int tps[64], ndev = 0, ntp = 0, n = 0;
  for (size_t i = 0; i < r->n && n < top && n < 64; i++) {
    const cs_recommend_row *w = &r->rows[i];
    if (w->rank <= 0 || !w->network) continue;
    n++;
    bool seen = false;
    for (int k = 0; k < ndev; k++) seen = seen || !strcmp(devs[k], w->device);
    if (!seen) devs[ndev++] = w->device;
    seen = false;
    for (int k = 0; k < ntp; k++) seen = seen || tps[k] == w->tp;
    if (!seen) tps[ntp++] = w->tp;
  }
  int jobs = ndev * ntp;
  fprintf(stderr, "capsearch: wrote %s%s (top %d candidate(s): %d cluster(s) x %d TP size(s) = %d job(s)", emit,
          existed ? ", replacing the existing file," : "", n, ndev, ntp, jobs);
  if (jobs > n)
    fprintf(stderr, "; a sweep runs every combination, so %d of them are not among the top %d", jobs - n, n);
  fprintf(stderr, "; run: capsearch --config %s --output-dir DIR)\n", emit);
}

int cs__cmd_recommend(int argc, char **argv) {
  rec_args ra;
  rec_args_init(&ra);
  cs_err err = {0};
  int prc = cs_opt_parse(&rec_cmd, argc, argv, &ra, NULL, NULL, &err);
  if (prc == CS_OPT_HELP_ASKED) {
    usage(stdout);
    return CS_EXIT_OK;
  }
  if (prc || apply_workload(&ra, &err)) return cs__cli_fail(&err);
  cs_recommend_input in = ra.in;
  const char *workload = ra.workload, *emit = ra.emit, *trace = ra.trace, *config_dir = ra.config_dir;
  bool json = ra.json;
  int top = ra.top;
  cs_catalog *cat;
  if (cs_catalog_load(cs__cli_catalog_dir(config_dir).s, &cat, &err)) return cs__cli_fail(&err);
  cs_recommend_result r;
  if (cs_recommend_run(cat, &in, &r, &err)) {
    cs_catalog_free(cat);
    return cs__cli_fail(&err);
  }
  int code = CS_EXIT_OK;
  if (json && print_json(&r, &in, workload, &err)) code = cs__cli_fail(&err);
  else if (!json) print_table(&r, &in, workload);
  char *shipped = NULL;
  if (emit && !strcmp(trace, "traces/chat_small.csv") && access(trace, R_OK) != 0) {
    /* the default trace ships beside the catalogs (configs/ and traces/ in the checkout) */
    shipped = cs_path_join(cs__cli_catalog_dir(config_dir).s, "../traces/chat_small.csv");
    trace = shipped;
  }
  if (emit && code == CS_EXIT_OK) {
    bool existed = cs_path_exists(emit);
    if (cs_recommend_emit_sweep(&r, &in, trace, top, emit, &err)) code = cs__cli_fail(&err);
    else emit_note(&r, top, emit, existed);
    for (size_t i = 0, picked = 0; code == CS_EXIT_OK && i < r.n && picked < (size_t)top; i++) {
      if (r.rows[i].rank <= 0) continue;
      if (r.rows[i].network) picked++;
      else /* the same rule as the sweep file's header comment */
        fprintf(stderr, "capsearch: note: skipped %d. %s TP%d: the catalog has no network entry for %s (a sweep needs one)\n",
                r.rows[i].rank, r.rows[i].device, r.rows[i].tp, r.rows[i].device);
    }
  }
  free(shipped);
  cs_recommend_result_release(&r);
  cs_catalog_free(cat);
  return code;
}
