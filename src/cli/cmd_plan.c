/* capsearch plan: memory capacity planning for one model on one device (or every device),
 * without simulation: per-GPU breakdown, fit, KV capacity, concurrency, longest context. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "capsearch/catalog.h"
#include "capsearch/memplan.h"
#include "capsearch/opt.h"
#include "capsearch/util.h"

#include "cmd_plan.h"
#include "commands.h"

typedef struct plan_args {
  cs_memplan_input in;
  const char *model, *model_config, *device, *config_dir;
  bool all_devices;
  int fmt; /* cs__plan_format */
  bool json_set, csv_set, bf16; /* bf16: --dtype bfloat16 asked for */
} plan_args;

/* vLLM --dtype: "auto" -> 0 (16-bit); otherwise bytes per unquantized parameter. */
static int model_dtype_arg(void *obj, const cs_opt *o, const char *s, cs_err *err) {
  static const struct {
    const char *name;
    double bytes;
  } names[] = {{"auto", 0}, {"bfloat16", 2}, {"float16", 2}, {"half", 2}, {"float32", 4}, {"float", 4}};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (!strcasecmp(s, names[i].name)) {
      *(double *)((char *)obj + o->off) = names[i].bytes;
      ((plan_args *)obj)->bf16 = !strcasecmp(s, "bfloat16");
      return 0;
    }
  return cs_err_set(err, CS_EUSAGE, "unknown dtype '%s' (expected auto, bfloat16, float16, half, float32 or float; "
                    "quantized weights come from the checkpoint or --quantization)", s);
}

/* KV dtype: "auto" -> 0 (model default); otherwise bytes per element. */
static int kv_dtype_arg(void *obj, const cs_opt *o, const char *s, cs_err *err) {
  bool is_auto = !strcasecmp(s, "auto");
  double b = is_auto ? 0 : cs_dtype_bytes(s);
  if (!is_auto && b <= 0)
    return cs_err_set(err, CS_EUSAGE, "unknown dtype '%s' (expected auto, float32, bfloat16, float16, fp8, fp8_e4m3, "
                      "fp8_e5m2, int8, int4, fp4)", s);
  *(double *)((char *)obj + o->off) = b;
  return 0;
}

static int quant_arg(void *obj, const cs_opt *o, const char *s, cs_err *err) {
  if (cs_quant_from_name(s, &(cs_quant){0}))
    return cs_err_set(err, CS_EUSAGE, "unknown method '%s' (expected one of: %s)", s, cs_quant_names());
  *(const char **)((char *)obj + o->off) = s;
  return 0;
}

static const char *const engines[] = {"vllm", "vidur", NULL};
static const int engine_values[] = {CS_ENGINE_VLLM, CS_ENGINE_VIDUR};
#define F(f) CS_OPT_FIELD(plan_args, f)
#define POSINT(f, hi) F(f), .range = {1, hi, false, true}, .expect = "a positive integer"
static const cs_opt plan_opts[] = {
    {CS_OPT_STR, "model", .arg = "NAME", .help = "catalog model (HF id, short name or alias; capsearch list models),\n"
                                                "or a local config.json / a directory holding one", F(model)},
    {CS_OPT_STR, "model-config", .arg = "PATH", .help = "a local Hugging Face config.json instead", F(model_config)},
    {CS_OPT_STR, "device", .arg = "NAME", .help = "catalog device (capsearch list devices)", F(device)},
    {CS_OPT_FLAG, "all-devices", .help = "rank every device: smallest valid TP that fits, KV, concurrency, $/hour",
     F(all_devices)},
    {CS_OPT_INT, "tp", .help = "tensor parallel size", POSINT(in.tp, 1024)},
    {CS_OPT_INT, "pp", .help = "pipeline parallel size", POSINT(in.pp, 1024)},
    {CS_OPT_INT, "dp", .help = "data parallel size", POSINT(in.dp, 1 << 20)},
    {CS_OPT_INT, "max-model-len", .arg = "TOKENS", .help = "tokens per request (default: the model's max positions)",
     POSINT(in.max_model_len, 1099511627776.0)},
    {CS_OPT_NUM, "gpu-memory-utilization", .arg = "F", .help = "fraction of total GPU memory vLLM may use",
     F(in.gpu_memory_utilization), .range = {0, 1, true, false}, .expect = "a number in (0, 1]"},
    {CS_OPT_FN, "dtype", .arg = "D", .help = "vLLM --dtype of unquantized parameters: auto (16-bit), bfloat16,\n"
                                            "float16, half, float32, float", F(in.weight_bytes), .fn = model_dtype_arg,
     .def_text = "auto"},
    {CS_OPT_FN, "quantization", .arg = "Q", .help = "vLLM --quantization: fp8 (online, of an unquantized checkpoint) or\n"
                                                   "the checkpoint's own method; default: the config's quantization_config",
     F(in.quantization), .fn = quant_arg},
    {CS_OPT_FN, "kv-cache-dtype", .arg = "D", .help = "KV dtype: auto (= compute dtype), fp8, bfloat16, ... (fp8 doubles\n"
                                                     "capacity)", F(in.kv_bytes), .fn = kv_dtype_arg, .def_text = "auto"},
    {CS_OPT_INT, "max-num-batched-tokens", .help = "tokens of vLLM's profiling forward (default 8192 on >= 70 GiB GPUs\n"
                                                  "other than the A100, else 2048, as vLLM's)",
     POSINT(in.max_num_batched_tokens, 1073741824.0)},
    {CS_OPT_INT, "max-num-seqs", .help = "sequences per step (default 1024 / 256 likewise)", POSINT(in.max_num_seqs, 1 << 24)},
    {CS_OPT_FLAG, "enable-expert-parallel", .help = "MoE experts spread over TP x DP ranks instead of sliced",
     F(in.expert_parallel)},
    {CS_OPT_ENUM, "engine", .arg = "E", .help = "vllm: vLLM 0.19's start-up accounting; vidur: Vidur V1, exact",
     F(in.engine), .choices = engines, .values = engine_values, .noun = "engine"},
    {CS_OPT_INT, "block-size", .help = "KV block size in tokens", POSINT(in.block_size, 1 << 20)},
    {CS_OPT_NUM, "memory-margin", .arg = "F", .help = "Vidur engine: fraction of memory kept free", F(in.memory_margin),
     .range = {0, 1, false, false}, .expect = "a number in [0, 1]"},
    {CS_OPT_STR, "config-dir", .arg = "DIR", .help = "catalog directory (default: $CAPSEARCH_CONFIG_DIR or the built-in)",
     F(config_dir)},
    {CS_OPT_FLAG, "json", .help = "JSON output instead of the table", F(fmt), .value = CS__PLAN_JSON,
     CS_OPT_SETS(plan_args, json_set)},
    {CS_OPT_FLAG, "csv", .help = "CSV output instead of the table", F(fmt), .value = CS__PLAN_CSV,
     CS_OPT_SETS(plan_args, csv_set)},
    {CS_OPT_HELP, "help", 'h', .help = "this text"},
    {CS_OPT_END}};
#undef POSINT
#undef F

static const cs_opt_cmd plan_cmd = {
    "plan",
    "capsearch plan (--model NAME | --model-config PATH) (--device NAME | --all-devices) [options]",
    "Does the model fit, how much KV cache is left per GPU, how many requests of max-model-len\n"
    "tokens run at once, the longest context that fits, and the fewest GPUs that work.",
    plan_opts, NULL, 0, 0};

static void usage(FILE *f) {
  plan_args d = {0};
  cs_memplan_input_defaults(&d.in);
  char *help = cs_opt_help_text(&plan_cmd, &d);
  if (help) fputs(help, f);
  free(help);
}

static int usage_error(const char *fmt, const char *a, const char *b) {
  fprintf(stderr, "capsearch: plan: ");
  fprintf(stderr, fmt, a, b);
  fprintf(stderr, "\n");
  return CS_EXIT_USAGE;
}

/* What vLLM refuses at start-up for one device (the catalog-wide checks are cs_memplan_compute's):
 * a max_model_len above the model's derived max length (_get_and_verify_max_len), bfloat16 on a
 * GPU without it (compute capability < 8.0), a block size outside its choices. */
static int refuse_as_vllm(const plan_args *a, const cs_memplan_input *in, cs_err *err) {
  int64_t ctx = cs_model_context_limit(in->model);
  if (in->max_model_len > 0 && ctx > 0 && in->max_model_len > ctx)
    return cs_err_set(err, CS_EUSAGE,
                      "--max-model-len %lld exceeds the model's context of %lld tokens (max_position_embeddings, "
                      "as rope_scaling extends it); vLLM refuses a longer max_model_len",
                      (long long)in->max_model_len, (long long)ctx);
  if (in->engine != CS_ENGINE_VLLM) return 0;
  static const int sizes[] = {1, 8, 16, 32, 64, 128, 256};
  size_t k = 0;
  while (k < sizeof sizes / sizeof sizes[0] && in->block_size != sizes[k]) k++;
  if (k == sizeof sizes / sizeof sizes[0])
    return cs_err_set(err, CS_EUSAGE, "--block-size %d: vLLM takes 1, 8, 16, 32, 64, 128 or 256 tokens",
                      in->block_size);
  const char *arch = in->device ? in->device->arch : NULL;
  if (a->bf16 && arch && (!strcmp(arch, "volta") || !strcmp(arch, "turing")))
    return cs_err_set(err, CS_EUSAGE,
                      "--dtype bfloat16: %s (%s) has no bfloat16 (vLLM needs compute capability 8.0); use --dtype "
                      "float16 or auto",
                      in->device->name, in->device->arch);
  return 0;
}

int cs__cmd_plan(int argc, char **argv) {
  plan_args a = {0};
  cs_memplan_input_defaults(&a.in);
  cs_err perr = {0};
  int prc = cs_opt_parse(&plan_cmd, argc, argv, &a, NULL, NULL, &perr);
  if (prc == CS_OPT_HELP_ASKED) {
    usage(stdout);
    return CS_EXIT_OK;
  }
  if (prc) return cs__cli_fail(&perr);
  const char *model_name = a.model, *model_config = a.model_config, *device_name = a.device;
  const char *config_dir = a.config_dir;
  bool all_devices = a.all_devices;
  cs__plan_format fmt = (cs__plan_format)a.fmt;
  cs_memplan_input in = a.in;
  /* --model also takes a local config.json or a directory holding one */
  char *model_path = NULL;
  if (model_name && !model_config && (strchr(model_name, '/') || strstr(model_name, ".json"))) {
    if (cs_is_dir(model_name)) {
      model_path = cs_path_join(model_name, "config.json");
      if (cs_path_exists(model_path)) model_config = model_path, model_name = NULL;
    } else if (cs_path_exists(model_name)) {
      model_config = model_name, model_name = NULL;
    }
  }
  const char *problem = NULL;
  if (a.json_set && a.csv_set) problem = "--json and --csv exclude each other (give one output format)";
  else if (!!model_name == !!model_config) problem = "give exactly one of --model or --model-config";
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
  if (refuse_as_vllm(&a, &in, &err)) { /* the device's own check follows once it is known */
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
  if (refuse_as_vllm(&a, &in, &err) || cs_memplan_compute(&in, &p, &err)) {
    exit_code = cs__cli_fail(&err);
    goto out;
  }
  exit_code = cs__plan_print_one(&in, &p, fmt, stdout, &err) ? cs__cli_fail(&err) : CS_EXIT_OK;
out:
  free(model_path);
  cs_model_free(own);
  cs_catalog_free(cat);
  return exit_code;
}
