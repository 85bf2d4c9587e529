/* Weight quantization as vLLM loads it: a checkpoint's quantization_config (or a catalog /
 * --quantization name) -> cs_quant, the ignore list resolved per layer and module, and the
 * bytes one linear layer takes on one GPU (packed weights, group scales, zero points). */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/catalog_int.h"
#include "util/sbuf.h"

static const char *const kind_names[CS__LIN_KINDS] = {
    "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
    "mlp.gate_proj",    "mlp.up_proj",      "mlp.down_proj",    "mlp.experts"};

static void set_defaults(cs_quant *q, const char *method, int bits, int group, double scale_bytes) {
  q->method = method;
  q->bits = bits;
  q->group_size = group;
  q->scale_bytes = scale_bytes;
}

int cs__quant_from_name(const char *name, cs_quant *q) {
  memset(q, 0, sizeof *q);
  if (!name) return -1;
  /* vLLM --quantization names (and the catalog's `quantization:` values) */
  if (!strcasecmp(name, "fp8") || !strcasecmp(name, "float8") || !strcasecmp(name, "fp8_e4m3"))
    set_defaults(q, "fp8", 8, -1, 4);
  else if (!strcasecmp(name, "int8") || !strcasecmp(name, "w8a8"))
    set_defaults(q, "int8", 8, 0, 4);
  else if (!strcasecmp(name, "int4") || !strcasecmp(name, "w4a16") || !strcasecmp(name, "gptq"))
    set_defaults(q, !strcasecmp(name, "gptq") ? "gptq" : "int4", 4, 128, 2);
  else if (!strcasecmp(name, "awq")) {
    set_defaults(q, "awq", 4, 128, 2);
    q->zero_points = true;
  } else if (!strcasecmp(name, "fp4") || !strcasecmp(name, "nvfp4"))
    set_defaults(q, "nvfp4", 4, 16, 1);
  else if (!strcasecmp(name, "mxfp4")) {
    set_defaults(q, "mxfp4", 4, 32, 1);
    q->experts_only = true;
  } else if (!strcasecmp(name, "bitsandbytes"))
    set_defaults(q, "bitsandbytes", 4, 64, 4);
  else
    return -1;
  return 0;
}

const char *cs__quant_names(void) { return "fp8, int8, int4 (w4a16), awq, gptq, nvfp4, mxfp4, bitsandbytes"; }

static int node_int(const cs__ydoc *d, const cs__ynode *map, const char *key, int *out) {
  const cs__ynode *v = cs__ymap_get(map, key);
  int64_t iv;
  if (!v || cs__y_is_null(v) || cs__y_int(d, v, key, &iv, NULL)) return 0;
  *out = (int)iv;
  return 1;
}
static bool node_bool(const cs__ydoc *d, const cs__ynode *map, const char *key, bool dflt) {
  const cs__ynode *v = cs__ymap_get(map, key);
  bool b;
  if (!v || cs__y_is_null(v) || cs__y_bool(d, v, key, &b, NULL)) return dflt;
  return b;
}
static const char *node_str(const cs__ynode *map, const char *key) {
  const cs__ynode *v = cs__ymap_get(map, key);
  return v && v->kind == CS_Y_SCALAR ? v->str : NULL;
}

/* A list of module names (strings) into a NULL-terminated arena array; appends to `have`. */
static const char *const *read_names(const cs__ynode *seq, cs__arena *mem, const char *const *have) {
  if (!seq || seq->kind != CS_Y_SEQ || seq->n == 0) return have;
  size_t nh = 0;
  while (have && have[nh]) nh++;
  const char **v = CS__ARENA_NEW(mem, const char *, nh + seq->n + 1);
  size_t n = 0;
  for (size_t i = 0; i < nh; i++) v[n++] = have[i];
  for (size_t i = 0; i < seq->n; i++)
    if (seq->items[i]->kind == CS_Y_SCALAR) v[n++] = cs__arena_strdup(mem, seq->items[i]->str);
  v[n] = NULL;
  return v;
}

/* compressed-tensors: the first config group's weight scheme. */
static void compressed_tensors(const cs__ydoc *d, const cs__ynode *qc, cs_quant *q) {
  set_defaults(q, "compressed-tensors", 8, 0, 4);
  const cs__ynode *groups = cs__ymap_get(qc, "config_groups");
  const cs__ynode *w = NULL;
  if (groups && groups->kind == CS_Y_MAP && groups->n > 0) w = cs__ymap_get(groups->items[0], "weights");
  if (!w || w->kind != CS_Y_MAP) return;
  node_int(d, w, "num_bits", &q->bits);
  const char *type = node_str(w, "type");
  const char *strategy = node_str(w, "strategy");
  bool is_float = type && !strcasecmp(type, "float");
  q->scale_bytes = is_float ? (q->bits == 4 ? 1 : 4) : 2; /* nvfp4: fp8 scales; fp8: fp32; int: bf16 */
  if (strategy && !strcasecmp(strategy, "tensor")) q->group_size = -1;
  else if (strategy && !strcasecmp(strategy, "channel")) q->group_size = 0;
  else if (strategy && (!strcasecmp(strategy, "group") || !strcasecmp(strategy, "tensor_group")))
    node_int(d, w, "group_size", &q->group_size);
  else if (strategy && !strcasecmp(strategy, "block")) {
    const cs__ynode *bs = cs__ymap_get(w, "block_structure");
    int64_t b;
    if (bs && bs->kind == CS_Y_SEQ && bs->n > 0 && !cs__y_int(d, bs->items[0], "block_structure", &b, NULL))
      q->block = (int)b;
  }
  q->zero_points = !node_bool(d, w, "symmetric", true);
}

int cs__quant_from_hf(const cs__ydoc *d, const cs__ynode *qc, cs__arena *mem, cs_quant *q, cs_err *err) {
  memset(q, 0, sizeof *q);
  const char *method = node_str(qc, "quant_method");
  if (!method) {
    char w[512];
    cs__y_where(d, qc, w, sizeof w);
    return cs_err_set(err, CS_EPARSE, "%s: quantization_config has no 'quant_method'", w);
  }
  if (!strcasecmp(method, "compressed-tensors")) {
    compressed_tensors(d, qc, q);
  } else if (!strcasecmp(method, "fp8") || !strcasecmp(method, "fbgemm_fp8")) {
    set_defaults(q, "fp8", 8, -1, 4);
    const cs__ynode *bs = cs__ymap_get(qc, "weight_block_size");
    int64_t b;
    if (bs && bs->kind == CS_Y_SEQ && bs->n > 0 && !cs__y_int(d, bs->items[0], "weight_block_size", &b, NULL))
      q->block = (int)b;
  } else if (!strcasecmp(method, "awq") || !strcasecmp(method, "awq_marlin")) {
    set_defaults(q, "awq", 4, 128, 2);
    if (!node_int(d, qc, "bits", &q->bits)) node_int(d, qc, "w_bit", &q->bits);
    if (!node_int(d, qc, "group_size", &q->group_size)) node_int(d, qc, "q_group_size", &q->group_size);
    q->zero_points = node_bool(d, qc, "zero_point", true);
  } else if (!strcasecmp(method, "gptq") || !strcasecmp(method, "gptq_marlin")) {
    set_defaults(q, "gptq", 4, 128, 2);
    node_int(d, qc, "bits", &q->bits);
    node_int(d, qc, "group_size", &q->group_size);
    q->zero_points = !node_bool(d, qc, "sym", true);
    q->g_idx = node_bool(d, qc, "desc_act", false);
  } else if (!strcasecmp(method, "mxfp4")) {
    cs__quant_from_name("mxfp4", q);
  } else if (!strcasecmp(method, "bitsandbytes")) {
    bool b8 = node_bool(d, qc, "load_in_8bit", false);
    if (b8) set_defaults(q, "bitsandbytes", 8, 0, 4);
    else set_defaults(q, "bitsandbytes", 4, 64, node_bool(d, qc, "bnb_4bit_use_double_quant", false) ? 1 : 4);
  } else {
    set_defaults(q, cs__arena_strdup(mem, method), 16, 0, 0);
    if (!node_int(d, qc, "bits", &q->bits) && !node_int(d, qc, "num_bits", &q->bits)) {
      char w[512];
      cs__y_where(d, qc, w, sizeof w);
      return cs_err_set(err, CS_EPARSE,
                        "%s: quantization_config: quant_method '%s' is not one capsearch models (%s) and gives no "
                        "'bits'",
                        w, method, "compressed-tensors, fp8, awq, gptq, mxfp4, bitsandbytes");
    }
    q->scale_bytes = 2;
    q->group_size = 128;
    node_int(d, qc, "group_size", &q->group_size);
  }
  if (q->bits < 1 || q->bits > 16) {
    char w[512];
    cs__y_where(d, qc, w, sizeof w);
    return cs_err_set(err, CS_EPARSE, "%s: quantization_config: %d bits per weight is out of range 1..16", w,
                      q->bits);
  }
  static const char *const lists[] = {"ignore", "ignored_layers", "modules_to_not_convert", "llm_int8_skip_modules",
                                      NULL};
  for (size_t i = 0; lists[i]; i++) q->ignore = read_names(cs__ymap_get(qc, lists[i]), mem, q->ignore);
  return 0;
}

/* Python re.match semantics (anchored at the start) on POSIX ERE, with \d \w \s spelled out. */
static bool regex_match(const char *pat, const char *name) {
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__sbuf_addf(&sb, "^(");
  for (const char *p = pat; *p; p++) {
    if (p[0] == '\\' && (p[1] == 'd' || p[1] == 'w' || p[1] == 's')) {
      cs__sbuf_addf(&sb, "%s", p[1] == 'd' ? "[0-9]" : p[1] == 'w' ? "[A-Za-z0-9_]" : "[ \t]");
      p++;
    } else {
      cs__sbuf_addf(&sb, "%c", *p);
    }
  }
  cs__sbuf_addf(&sb, ")");
  regex_t re;
  bool hit = false;
  if (regcomp(&re, sb.buf, REG_EXTENDED | REG_NOSUB) == 0) {
    hit = regexec(&re, name, 0, NULL, 0) == 0;
    regfree(&re);
  }
  cs__sbuf_release(&sb);
  return hit;
}

/* vLLM's ignore matching: "re:" patterns, else the entry as a whole dotted component run of
 * the module name ("lm_head", "model.layers.0.mlp.down_proj", "self_attn", "mlp.gate"). */
bool cs__quant_name_ignored(const cs_quant *q, const char *name) {
  for (size_t i = 0; q->ignore && q->ignore[i]; i++) {
    const char *e = q->ignore[i];
    if (!strncmp(e, "re:", 3)) {
      if (regex_match(e + 3, name)) return true;
      continue;
    }
    size_t n = strlen(e);
    for (const char *s = strstr(name, e); s && n; s = strstr(s + 1, e)) {
      bool start_ok = s == name || s[-1] == '.';
      bool end_ok = s[n] == 0 || s[n] == '.';
      if (start_ok && end_ok) return true;
    }
  }
  return false;
}

int cs__quant_resolve(cs_model *m, cs__arena *mem) {
  cs_quant *q = &m->quant;
  q->keep16 = NULL;
  if (!q->method || !q->ignore || !q->ignore[0]) return 0;
  unsigned char *keep = CS__ARENA_NEW(mem, unsigned char, m->num_layers);
  bool any = false;
  for (int l = 0; l < m->num_layers; l++) {
    keep[l] = 0;
    for (int k = 0; k < CS__LIN_KINDS; k++) {
      const char *kn = kind_names[k];
      if (!m->gated_mlp && k == CS__LIN_UP) kn = "mlp.fc1";
      if (!m->gated_mlp && k == CS__LIN_DOWN) kn = "mlp.fc2";
      char name[160];
      snprintf(name, sizeof name, "model.layers.%d.%s", l, kn);
      if (cs__quant_name_ignored(q, name)) keep[l] |= (unsigned char)(1u << k);
    }
    any |= keep[l] != 0;
  }
  q->keep16 = any ? keep : NULL;
  return 0;
}

double cs__quant_linear_bytes(const cs_quant *q, double out, double in, double dtype_bytes) {
  if (!q || !q->method) return out * in * dtype_bytes;
  double bytes = out * in * q->bits / 8.0;
  if (q->block > 0) {
    double b = q->block;
    bytes += ((double)(int64_t)((out + b - 1) / b)) * ((double)(int64_t)((in + b - 1) / b)) * 4.0;
  } else if (q->group_size > 0) {
    double groups = out * (double)(int64_t)((in + q->group_size - 1) / q->group_size);
    bytes += groups * q->scale_bytes;
    if (q->zero_points) bytes += groups * q->bits / 8.0;
  } else if (q->group_size == 0) {
    bytes += out * q->scale_bytes;
    if (q->zero_points) bytes += out * q->bits / 8.0;
  } else {
    bytes += q->scale_bytes;
  }
  if (q->g_idx) bytes += in * 4.0;
  return bytes;
}

int cs_quant_from_name(const char *name, cs_quant *q) { return cs__quant_from_name(name, q); }
const char *cs_quant_names(void) { return cs__quant_names(); }
