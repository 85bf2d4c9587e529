/* capsearch list models|devices|networks|schedulers|predictors|searches|metrics|trace-formats: what the catalogs and
 * registries hold, as a table or --json. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsearch/catalog.h"
#include "capsearch/opt.h"
#include "capsearch/util.h"

#include "cmd_list.h"
#include "commands.h"

const char *const cs__list_kinds[] = {"models",     "devices",  "networks", "schedulers",
                                      "predictors", "searches", "metrics",  "trace-formats", NULL};
#define NKINDS (sizeof cs__list_kinds / sizeof cs__list_kinds[0] - 1)

void cs__list_kinds_text(const char *sep, const char *last_sep, char *buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t k = 0; k < NKINDS && used < size; k++) {
    int n = snprintf(buf + used, size - used, "%s%s", k == 0 ? "" : k + 1 == NKINDS ? last_sep : sep, cs__list_kinds[k]);
    if (n < 0) break;
    used += (size_t)n;
  }
}

typedef struct list_args {
  bool json;
  const char *config_dir;
} list_args;

static const cs_opt list_opts[] = {
    {CS_OPT_FLAG, "json", .help = "machine-readable output", CS_OPT_FIELD(list_args, json)},
    {CS_OPT_STR, "config-dir", .arg = "DIR", .help = "catalog directory (default: $CAPSEARCH_CONFIG_DIR or the built-in)",
     CS_OPT_FIELD(list_args, config_dir)},
    {CS_OPT_HELP, "help", 'h', .help = "this text"},
    {CS_OPT_END}};

static const cs_opt_cmd list_cmd = {
    "list",
    "capsearch list models|devices|networks|schedulers|predictors|searches|metrics|trace-formats [--json] [--config-dir "
    "DIR]",
    "  models      catalog models (configs/models.yaml): architecture, parameters, dtype\n"
    "  devices     catalog GPUs (configs/devices.yaml): memory, dense TFLOPS, bandwidth, $/hour\n"
    "  networks    catalog node types (configs/networks.yaml): GPUs per node, bandwidth, latency\n"
    "  schedulers  replica schedulers, global schedulers and request queues with their parameters\n"
    "  predictors  execution-time predictors\n"
    "  searches    capacity searches (search_configs[].search_for)\n"
    "  metrics     per-request metrics (request_metrics.csv columns, usable in SLOs)\n"
    "  trace-formats  trace file formats (readers) and what their files can carry",
    list_opts, NULL, 0, 1};

static void usage(FILE *f) {
  char *help = cs_opt_help_text(&list_cmd, NULL);
  if (help) fputs(help, f);
  free(help);
}

static const char *attn(const cs_model *m) {
  switch (cs_model_attn_kind(m)) {
  case CS_ATTN_MHA: return "MHA";
  case CS_ATTN_GQA: return "GQA";
  case CS_ATTN_MQA: return "MQA";
  default: return "MLA";
  }
}

static void models_table(const cs_catalog *c, FILE *f) {
  fprintf(f, "%-36s %-30s %8s %6s %9s %6s %6s %7s %7s %4s %-9s %s\n", "name", "short name", "params", "layers",
          "heads q/kv", "hidden", "mlp", "vocab", "max pos", "attn", "experts", "dtype");
  for (size_t i = 0; i < cs_catalog_num_models(c); i++) {
    const cs_model *m = cs_catalog_model_at(c, i);
    char heads[32], moe[32];
    snprintf(heads, sizeof heads, "%d/%d", m->num_q_heads, m->num_kv_heads);
    if (m->num_experts > 0)
      snprintf(moe, sizeof moe, "%d top%d", m->num_experts, m->experts_per_token);
    else
      snprintf(moe, sizeof moe, "-");
    fprintf(f, "%-36s %-30s %7.2fB %6d %9s %6d %6d %7d %7d %4s %-9s %s%s\n", m->name, m->short_name,
            (double)m->num_params / 1e9, m->num_layers, heads, m->hidden, m->mlp_hidden, m->vocab, m->max_positions,
            attn(m), moe, m->dtype, m->weight_bytes < 2 ? " (quantized)" : "");
  }
}

static void models_json(const cs_catalog *c, cs_jw *w) {
  cs_jw_arr_begin(w);
  for (size_t i = 0; i < cs_catalog_num_models(c); i++) {
    const cs_model *m = cs_catalog_model_at(c, i);
    cs_jw_obj_begin(w);
    cs_jw_kstr(w, "name", m->name);
    cs_jw_kstr(w, "short_name", m->short_name);
    cs_jw_kstr(w, "architecture", m->architecture);
    cs_jw_kstr(w, "family", m->family);
    cs_jw_kint(w, "num_params", m->num_params);
    cs_jw_kint(w, "num_layers", m->num_layers);
    cs_jw_kint(w, "num_q_heads", m->num_q_heads);
    cs_jw_kint(w, "num_kv_heads", m->num_kv_heads);
    cs_jw_kint(w, "head_dim", m->head_dim);
    cs_jw_kint(w, "hidden", m->hidden);
    cs_jw_kint(w, "mlp_hidden", m->mlp_hidden);
    cs_jw_kbool(w, "gated_mlp", m->gated_mlp);
    cs_jw_kbool(w, "post_attn_norm", m->post_attn_norm);
    cs_jw_kstr(w, "norm", m->norm);
    cs_jw_kstr(w, "activation", m->activation);
    cs_jw_kint(w, "vocab", m->vocab);
    cs_jw_kint(w, "max_positions", m->max_positions);
    cs_jw_kstr(w, "dtype", m->dtype);
    cs_jw_knum(w, "weight_bytes", m->weight_bytes);
    cs_jw_kbool(w, "tie_embeddings", m->tie_embeddings);
    cs_jw_kbool(w, "no_tensor_parallel", m->no_tensor_parallel);
    cs_jw_kstr(w, "attention", attn(m));
    cs_jw_kint(w, "num_experts", m->num_experts);
    cs_jw_kint(w, "experts_per_token", m->experts_per_token);
    cs_jw_kint(w, "moe_mlp_hidden", m->moe_mlp_hidden);
    cs_jw_kint(w, "num_shared_experts", m->num_shared_experts);
    cs_jw_kint(w, "first_dense_layers", m->first_dense_layers);
    cs_jw_kint(w, "kv_lora_rank", m->kv_lora_rank);
    cs_jw_kint(w, "q_lora_rank", m->q_lora_rank);
    cs_jw_kint(w, "qk_rope_head_dim", m->qk_rope_head_dim);
    cs_jw_kint(w, "qk_nope_head_dim", m->qk_nope_head_dim);
    cs_jw_kint(w, "v_head_dim", m->v_head_dim);
    cs_jw_kstr(w, "source", m->source);
    cs_jw_obj_end(w);
  }
  cs_jw_arr_end(w);
}

static void devices_table(const cs_catalog *c, FILE *f) {
  fprintf(f, "%-10s %-9s %7s %8s %8s %7s %6s %-15s %7s %6s  %s\n", "name", "arch", "mem GiB", "bf16 TF", "fp8 TF",
          "HBM GB/s", "link", "interconnect", "$/hour", "spot", "roofline factors used (compute/memory/comm)");
  for (size_t i = 0; i < cs_catalog_num_devices(c); i++) {
    const cs_device *d = cs_catalog_device_at(c, i);
    char fp8[32], spot[32];
    snprintf(fp8, sizeof fp8, d->tflops_fp8 > 0 ? "%.1f" : "-", d->tflops_fp8);
    snprintf(spot, sizeof spot, d->price_spot > 0 ? "%.2f" : "-", d->price_spot);
    cs_roofline_factors rf;
    cs_roofline_device_factors(d, &rf);
    char from[64] = "";
    if (rf.borrowed) snprintf(from, sizeof from, "BORROWED from %s: ", rf.calibrated_on ? rf.calibrated_on : "?");
    fprintf(f, "%-10s %-9s %7.2f %8.1f %8s %7.0f %6.0f %-15s %7.2f %6s  %.3f/%.3f/%.2f %s%s\n", d->name, d->arch,
            d->memory_gib, d->tflops_bf16, fp8, d->hbm_gbps, d->link_gbps, d->interconnect, d->price_ondemand, spot,
            rf.eff_compute, rf.eff_memory, rf.eff_comm, from, rf.source ? rf.source : "?");
  }
}

/* An optional catalog number (0 = not given, e.g. no fp8 tensor cores, no spot price): null. */
static void knum_opt(cs_jw *w, const char *key, double v) {
  if (v > 0)
    cs_jw_knum(w, key, v);
  else
    cs_jw_knum(w, key, NAN);
}

/* The factors the roofline predictor actually uses for d (catalog, built-in fit or borrowed). */
static void roofline_json(cs_jw *w, const cs_device *d) {
  cs_roofline_factors rf;
  cs_roofline_device_factors(d, &rf);
  cs_jw_key(w, "roofline");
  cs_jw_obj_begin(w);
  cs_jw_knum(w, "eff_compute", rf.eff_compute);
  cs_jw_knum(w, "eff_memory", rf.eff_memory);
  cs_jw_knum(w, "eff_comm", rf.eff_comm);
  cs_jw_knum(w, "gemm_latency_us", rf.gemm_latency_us);
  cs_jw_knum(w, "elem_latency_us", rf.elem_latency_us);
  cs_jw_knum(w, "attn_eff", rf.attn_eff);
  cs_jw_knum(w, "attn_latency_us", rf.attn_latency_us);
  cs_jw_knum(w, "causal_weight", rf.causal_weight);
  cs_jw_knum(w, "sms", rf.sms);
  cs_jw_kbool(w, "borrowed", rf.borrowed);
  cs_jw_kstr(w, "calibrated_on", rf.calibrated_on);
  cs_jw_kstr(w, "source", rf.source);
  cs_jw_obj_end(w);
}

static void devices_json(const cs_catalog *c, cs_jw *w) {
  cs_jw_arr_begin(w);
  for (size_t i = 0; i < cs_catalog_num_devices(c); i++) {
    const cs_device *d = cs_catalog_device_at(c, i);
    cs_jw_obj_begin(w);
    cs_jw_kstr(w, "name", d->name);
    cs_jw_kstr(w, "display", d->display);
    cs_jw_kstr(w, "vendor", d->vendor);
    cs_jw_kstr(w, "arch", d->arch);
    cs_jw_knum(w, "memory_gb", d->memory_gb);
    cs_jw_knum(w, "memory_gib", d->memory_gib);
    cs_jw_knum(w, "torch_gib", d->torch_gib);
    cs_jw_knum(w, "tflops_bf16", d->tflops_bf16);
    knum_opt(w, "tflops_fp8", d->tflops_fp8);
    knum_opt(w, "tflops_int8", d->tflops_int8);
    knum_opt(w, "tflops_fp32", d->tflops_fp32);
    cs_jw_knum(w, "hbm_gbps", d->hbm_gbps);
    cs_jw_kstr(w, "interconnect", d->interconnect);
    cs_jw_knum(w, "link_gbps", d->link_gbps);
    cs_jw_knum(w, "price_ondemand", d->price_ondemand);
    knum_opt(w, "price_spot", d->price_spot);
    cs_jw_kstr(w, "price_source", d->price_source);
    cs_jw_knum(w, "eff_compute", d->eff_compute);
    cs_jw_knum(w, "eff_memory", d->eff_memory);
    cs_jw_knum(w, "eff_comm", d->eff_comm);
    cs_jw_kstr(w, "eff_source", d->eff_source);
    roofline_json(w, d);
    cs_jw_kstr(w, "source", d->source);
    cs_jw_obj_end(w);
  }
  cs_jw_arr_end(w);
}

static void networks_table(const cs_catalog *c, FILE *f) {
  fprintf(f, "%-22s %-10s %8s %-16s %10s %9s %10s %9s\n", "name", "device", "per node", "topology", "intra GB/s",
          "intra us", "inter GB/s", "inter us");
  for (size_t i = 0; i < cs_catalog_num_networks(c); i++) {
    const cs_network *n = cs_catalog_network_at(c, i);
    fprintf(f, "%-22s %-10s %8d %-16s %10.2f %9.1f %10.2f %9.1f\n", n->name, n->device, n->devices_per_node,
            n->topology, n->intra_bw_gbps, n->intra_latency_us, n->inter_bw_gbps, n->inter_latency_us);
  }
}

static void networks_json(const cs_catalog *c, cs_jw *w) {
  cs_jw_arr_begin(w);
  for (size_t i = 0; i < cs_catalog_num_networks(c); i++) {
    const cs_network *n = cs_catalog_network_at(c, i);
    cs_jw_obj_begin(w);
    cs_jw_kstr(w, "name", n->name);
    cs_jw_kstr(w, "device", n->device);
    cs_jw_kint(w, "devices_per_node", n->devices_per_node);
    cs_jw_kstr(w, "topology", n->topology);
    cs_jw_knum(w, "intra_bw_gbps", n->intra_bw_gbps);
    cs_jw_knum(w, "intra_latency_us", n->intra_latency_us);
    cs_jw_knum(w, "inter_bw_gbps", n->inter_bw_gbps);
    cs_jw_knum(w, "inter_latency_us", n->inter_latency_us);
    cs_jw_kstr(w, "source", n->source);
    cs_jw_obj_end(w);
  }
  cs_jw_arr_end(w);
}

int cs__cmd_list(int argc, char **argv) {
  list_args args = {0};
  const char *pos[2];
  int np = 0;
  cs_err perr = {0};
  int prc = cs_opt_parse(&list_cmd, argc, argv, &args, pos, &np, &perr);
  if (prc == CS_OPT_HELP_ASKED) {
    usage(stdout);
    return CS_EXIT_OK;
  }
  if (prc) return cs__cli_fail(&perr);
  bool json = args.json;
  const char *config_dir = args.config_dir;
  char all[256];
  if (np != 1) {
    cs__list_kinds_text(", ", ", ", all, sizeof all);
    fprintf(stderr, "capsearch: list: expected one of %s\n", all);
    return CS_EXIT_USAGE;
  }
  const char *kind = pos[0];
  size_t k = 0;
  while (k < NKINDS && strcmp(kind, cs__list_kinds[k])) k++;
  if (k == NKINDS) {
    const char *sug = cs_suggest(kind, cs__list_kinds, NKINDS);
    if (sug)
      fprintf(stderr, "capsearch: list: unknown kind '%s' (did you mean '%s'?)\n", kind, sug);
    else {
      cs__list_kinds_text(", ", " or ", all, sizeof all);
      fprintf(stderr, "capsearch: list: unknown kind '%s' (expected %s)\n", kind, all);
    }
    return CS_EXIT_USAGE;
  }
  cs_err err = {0};
  if (k >= 3) {
    int rc = cs__list_policies(kind, json, stdout, &err);
    return rc == -1 ? CS_EXIT_USAGE : rc ? cs__cli_fail(&err) : CS_EXIT_OK;
  }
  cs_catalog *cat = NULL;
  if (cs_catalog_load(cs__cli_catalog_dir(config_dir).s, &cat, &err)) return cs__cli_fail(&err);
  int rc = 0;
  if (json) {
    cs_sbuf sb;
    cs_sbuf_init(&sb);
    cs_jw w;
    cs_jw_init(&w, &sb, false);
    if (k == 0) models_json(cat, &w);
    else if (k == 1) devices_json(cat, &w);
    else networks_json(cat, &w);
    rc = cs__cli_put_json(&w, &sb, stdout, "the JSON of list", &err);
    cs_sbuf_release(&sb);
  } else if (k == 0) {
    models_table(cat, stdout);
  } else if (k == 1) {
    devices_table(cat, stdout);
  } else {
    networks_table(cat, stdout);
  }
  cs_catalog_free(cat);
  return rc ? cs__cli_fail(&err) : CS_EXIT_OK;
}
