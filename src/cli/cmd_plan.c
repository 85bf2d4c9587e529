/* capsearch plan: memory capacity planning for one model on one device (or every device),
 * without simulation: per-GPU breakdown, fit, KV capacity, concurrency, longest context. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "capsearch/catalog.h"
#include "capsearch/memplan.h"
#include "cli/commands.h"
#include "catalog/catalog_int.h"
#include "cli/cmd_plan.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/sbuf.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: capsearch plan (--model NAME | --model-config PATH) (--device NAME | --all-devices)\n"
          "                      [--tp N] [--pp N] [--dp N] [--max-model-len TOKENS]\n"
          "                      [--gpu-memory-utilization F] [--dtype D] [--quantization Q]\n"
          "                      [--kv-cache-dtype D] [--max-num-batched-tokens N] [--max-num-seqs N]\n"
          "                      [--enable-expert-parallel] [--engine vllm|vidur] [--block-size N]\n"
          "                      [--memory-margin F]\n"
          "                      [--config-dir DIR] [--json | --csv]\n\n"
          "Does the model fit, how much KV cache is left per GPU, how many requests of max-model-len\n"
          "tokens run at once, the longest context that fits, and the fewest GPUs that work.\n\n"
          "  --model NAME               catalog model (HF id, short name or alias; capsearch list models),\n"
          "                             or a local config.json / a directory holding one\n"
          "  --model-config PATH        a local Hugging Face config.json instead\n"
          "  --device NAME              catalog device (capsearch list devices)\n"
          "  --all-devices              rank every device: smallest valid TP that fits, KV, concurrency, $/hour\n"
          "  --tp, --pp, --dp N         tensor / pipeline / data parallel sizes (default 1)\n"
          "  --max-model-len TOKENS     tokens per request (default: the model's max positions)\n"
          "  --gpu-memory-utilization F fraction of total GPU memory vLLM may use (default 0.9)\n"
          "  --dtype D                  vLLM --dtype of unquantized parameters: auto (16-bit), bfloat16,\n"
          "                             float16, half, float32, float (default auto)\n"
          "  --quantization Q           vLLM --quantization: fp8 (online, of an unquantized checkpoint) or the\n"
          "                             checkpoint's own method; default: the config's quantization_config\n"
          "  --kv-cache-dtype D         KV dtype: auto (= compute dtype), fp8, bfloat16, ... (fp8 doubles capacity)\n"
          "  --max-num-batched-tokens N tokens of vLLM's profiling forward (default 8192 on >= 70 GiB GPUs other\n"
          "                             than the A100, else 2048, as vLLM's)\n"
          "  --max-num-seqs N           sequences per step (default 1024 / 256 likewise)\n"
          "  --enable-expert-parallel   MoE experts spread over TP x DP ranks instead of sliced\n"
          "  --engine E                 vllm: vLLM 0.19's start-up accounting (default); vidur: Vidur V1, exact\n"
          "  --block-size N             KV block size in tokens (default 16)\n"
          "  --memory-margin F          Vidur engine: fraction of memory kept free (default 0.1)\n"
          "  --config-dir DIR           catalog directory (default: $CAPSEARCH_CONFIG_DIR or the built-in)\n"
          "  --json, --csv              machine-readable output instead of the table\n");
}

static int usage_error(const char *fmt, const char *a, const char *b) {
  fprintf(stderr, "capsearch: plan: ");
  fprintf(stderr, fmt, a, b);
  fprintf(stderr, "\n");
  return CS_EXIT_USAGE;
}

static int parse_pos_int(const char *flag, const char *s, int64_t max, int64_t *out) {
  char *end;
  long long v = strtoll(s, &end, 10);
  if (!*s || *end || v < 1 || v > max)
    return usage_error("%s: expected a positive integer, got '%s'", flag, s);
  *out = v;
  return 0;
}

static int parse_fraction(const char *flag, const char *s, bool zero_ok, double *out) {
  char *end;
  double v = strtod(s, &end);
  if (!*s || *end || !(zero_ok ? v >= 0 : v > 0) || !(v <= 1))
    return usage_error("%s: expected a number in (0, 1], got '%s'", flag, s);
  *out = v;
  return 0;
}

/* vLLM --dtype: "auto" -> 0 (16-bit); otherwise bytes per unquantized parameter. */
static int parse_model_dtype(const char *s, double *out) {
  static const struct {
    const char *name;
    double bytes;
  } names[] = {{"auto", 0}, {"bfloat16", 2}, {"float16", 2}, {"half", 2}, {"float32", 4}, {"float", 4}};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (!strcasecmp(s, names[i].name)) {
      *out = names[i].bytes;
      return 0;
    }
  return usage_error("--dtype: unknown dtype '%s' (expected auto, bfloat16, float16, half, float32 or float; "
                     "quantized weights come from the checkpoint or --quantization)%s", s, "");
}

/* "auto" -> 0 (model default); otherwise bytes per element. */
static int parse_dtype(const char *flag, const char *s, double *out) {
  if (!strcasecmp(s, "auto")) {
    *out = 0;
    return 0;
  }
  double b = cs__dtype_bytes(s);
  if (b <= 0)
    return usage_error("%s: unknown dtype '%s' (expected auto, float32, bfloat16, float16, fp8, fp8_e4m3, "
                       "fp8_e5m2, int8, int4, fp4)", flag, s);
  *out = b;
  return 0;
}

enum { OPT_MODEL = 256, OPT_MODEL_CONFIG, OPT_DEVICE, OPT_ALL, OPT_TP, OPT_PP, OPT_DP, OPT_LEN, OPT_UTIL,
       OPT_DTYPE, OPT_KVDTYPE, OPT_ENGINE, OPT_BLOCK, OPT_MARGIN, OPT_CONFIG_DIR, OPT_JSON, OPT_CSV, OPT_QUANT,
       OPT_MNBT, OPT_SEQS, OPT_EP };

/* The options that mirror vLLM's engine arguments. */
static int parse_vllm_opt(int c, const char *arg, cs_memplan_input *in) {
  int64_t v;
  int rc = 0;
  switch (c) {
  case OPT_UTIL: return parse_fraction("--gpu-memory-utilization", arg, false, &in->gpu_memory_utilization);
  case OPT_DTYPE: return parse_model_dtype(arg, &in->weight_bytes);
  case OPT_KVDTYPE: return parse_dtype("--kv-cache-dtype", arg, &in->kv_bytes);
  case OPT_QUANT:
    if (cs__quant_from_name(arg, &(cs_quant){0}))
      return usage_error("--quantization: unknown method '%s' (expected one of: %s)", arg, cs__quant_names());
    in->quantization = arg;
    return 0;
  case OPT_MNBT:
    if (!(rc = parse_pos_int("--max-num-batched-tokens", arg, INT64_C(1) << 30, &v))) in->max_num_batched_tokens = v;
    return rc;
  case OPT_SEQS:
    if (!(rc = parse_pos_int("--max-num-seqs", arg, 1 << 24, &v))) in->max_num_seqs = v;
    return rc;
  default: in->expert_parallel = true; return 0;
  }
}

int cs__cmd_plan(int argc, char **argv) {
  static const struct option opts[] = {
      {"model", required_argument, 0, OPT_MODEL},
      {"model-config", required_argument, 0, OPT_MODEL_CONFIG},
      {"device", required_argument, 0, OPT_DEVICE},
      {"all-devices", no_argument, 0, OPT_ALL},
      {"tp", required_argument, 0, OPT_TP},
      {"pp", required_argument, 0, OPT_PP},
      {"dp", required_argument, 0, OPT_DP},
      {"max-model-len", required_argument, 0, OPT_LEN},
      {"gpu-memory-utilization", required_argument, 0, OPT_UTIL},
      {"dtype", required_argument, 0, OPT_DTYPE},
      {"kv-cache-dtype", required_argument, 0, OPT_KVDTYPE},
      {"quantization", required_argument, 0, OPT_QUANT},
      {"max-num-batched-tokens", required_argument, 0, OPT_MNBT},
      {"max-num-seqs", required_argument, 0, OPT_SEQS},
      {"enable-expert-parallel", no_argument, 0, OPT_EP},
      {"engine", required_argument, 0, OPT_ENGINE},
      {"block-size", required_argument, 0, OPT_BLOCK},
      {"memory-margin", required_argument, 0, OPT_MARGIN},
      {"config-dir", required_argument, 0, OPT_CONFIG_DIR},
      {"json", no_argument, 0, OPT_JSON},
      {"csv", no_argument, 0, OPT_CSV},
      {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  const char *model_name = NULL, *model_config = NULL, *device_name = NULL, *config_dir = NULL;
  bool all_devices = false;
  cs__plan_format fmt = CS__PLAN_TABLE;
  cs_memplan_input in;
  cs_memplan_input_defaults(&in);
  int64_t v;
  int c, rc;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    rc = 0;
    switch (c) {
    case OPT_MODEL: model_name = optarg; break;
    case OPT_MODEL_CONFIG: model_config = optarg; break;
    case OPT_DEVICE: device_name = optarg; break;
    case OPT_ALL: all_devices = true; break;
    case OPT_TP: if (!(rc = parse_pos_int("--tp", optarg, 1024, &v))) in.tp = (int)v; break;
    case OPT_PP: if (!(rc = parse_pos_int("--pp", optarg, 1024, &v))) in.pp = (int)v; break;
    case OPT_DP: if (!(rc = parse_pos_int("--dp", optarg, 1 << 20, &v))) in.dp = (int)v; break;
    case OPT_LEN: if (!(rc = parse_pos_int("--max-model-len", optarg, INT64_C(1) << 40, &v))) in.max_model_len = v; break;
    case OPT_BLOCK: if (!(rc = parse_pos_int("--block-size", optarg, 1 << 20, &v))) in.block_size = (int)v; break;
    case OPT_MARGIN: rc = parse_fraction("--memory-margin", optarg, true, &in.memory_margin); break;
    case OPT_UTIL: case OPT_DTYPE: case OPT_QUANT: case OPT_MNBT: case OPT_SEQS: case OPT_EP: case OPT_KVDTYPE:
      rc = parse_vllm_opt(c, optarg, &in);
      break;
    case OPT_ENGINE:
      if (!strcmp(optarg, "vllm")) in.engine = CS_ENGINE_VLLM;
      else if (!strcmp(optarg, "vidur")) in.engine = CS_ENGINE_VIDUR;
      else rc = usage_error("--engine: expected vllm or vidur, got '%s'%s", optarg, "");
      break;
    case OPT_CONFIG_DIR: config_dir = optarg; break;
    case OPT_JSON: fmt = CS__PLAN_JSON; break;
    case OPT_CSV: fmt = CS__PLAN_CSV; break;
    case 'h': usage(stdout); return CS_EXIT_OK;
    default: return cs__cli_bad_option("plan", argc, argv, "h", opts);
    }
    if (rc) return rc;
  }
  if (optind < argc) return usage_error("unexpected argument '%s'%s; see 'capsearch plan --help'", argv[optind], "");
  /* --model also takes a local config.json or a directory holding one */
  char *model_path = NULL;
  if (model_name && !model_config && (strchr(model_name, '/') || strstr(model_name, ".json"))) {
    if (cs__is_dir(model_name)) {
      model_path = cs__path_join(model_name, "config.json");
      if (cs__path_exists(model_path)) model_config = model_path, model_name = NULL;
    } else if (cs__path_exists(model_name)) {
      model_config = model_name, model_name = NULL;
    }
  }
  const char *problem = NULL;
  if (!!model_name == !!model_config) problem = "give exactly one of --model or --model-config";
  else if (!device_name && !all_devices) problem = "give --device NAME or --all-devices";
  else if (device_name && all_devices) problem = "--device and --all-devices exclude each other";
  if (problem) {
    free(model_path);
    return usage_error("%s%s", problem, "");
  }

  cs_err err = {0};
  cs_catalog *cat = NULL;
  cs_model *own = NULL;
  int exit_code = CS_EXIT_OK;
  if (cs_catalog_load(cs__cli_catalog_dir(config_dir).s, &cat, &err)) {
    exit_code = cs__cli_fail(&err);
    goto out;
  }
  if (model_config) {
    if (cs_model_load_hf_config(model_config, &own, &err)) {
      exit_code = cs__cli_fail(&err);
      goto out;
    }
    in.model = own;
  } else if (cs_model_resolve(cat, model_name, &in.model, &own, &err)) {
    exit_code = cs__cli_fail(&err);
    goto out;
  }
  if (all_devices) {
    exit_code = cs__plan_print_all_devices(cat, &in, fmt, stdout, &err) ? cs__cli_fail(&err) : CS_EXIT_OK;
    goto out;
  }
  if (cs_catalog_find_device(cat, device_name, &in.device, &err)) {
    exit_code = cs__cli_fail(&err);
    goto out;
  }
  cs_memplan p;
  if (cs_memplan_compute(&in, &p, &err)) {
    exit_code = cs__cli_fail(&err);
    goto out;
  }
  if (in.max_model_len > cs_model_context_limit(in.model))
    fprintf(stderr, "capsearch: plan: note: --max-model-len %lld exceeds the model's derived max length %lld\n",
            (long long)in.max_model_len, (long long)cs_model_context_limit(in.model));
  cs__plan_print_one(&in, &p, fmt, stdout);
out:
  free(model_path);
  cs_model_free(own);
  cs_catalog_free(cat);
  return exit_code;
}
