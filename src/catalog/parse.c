/* Parsers of one catalog entry from configs/{models,devices,networks}.yaml. Each entry type is
 * described by a field table (key, type, offset, required) so that unknown keys get a "did you
 * mean", missing keys are named, and adding a field is one line. Device entries also run the
 * dense-versus-sparse TFLOPS checks (anchors.md §8 "data-hygiene rule"). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "catalog/catalog_int.h"
#include "util/sbuf.h"

typedef enum ftype { F_STR, F_INT, F_I64, F_DBL, F_BOOL } ftype;

typedef struct field {
  const char *key;
  ftype type;
  size_t off;
  bool required;
} field;

#define FM(key, type, req) {#key, type, offsetof(cs_model, key), req}
static const field model_fields[] = {
    FM(name, F_STR, true),           FM(short_name, F_STR, false),      FM(architecture, F_STR, false),
    FM(family, F_STR, false),        FM(num_layers, F_INT, true),       FM(num_q_heads, F_INT, true),
    FM(num_kv_heads, F_INT, false),  FM(head_dim, F_INT, false),        FM(hidden, F_INT, true),
    FM(mlp_hidden, F_INT, true),     FM(gated_mlp, F_BOOL, false),      FM(post_attn_norm, F_BOOL, false),
    FM(norm, F_STR, false),          FM(activation, F_STR, false),      FM(vocab, F_INT, true),
    FM(max_positions, F_INT, true),  FM(dtype, F_STR, false),           FM(tie_embeddings, F_BOOL, false),
    FM(no_tensor_parallel, F_BOOL, false), FM(num_experts, F_INT, false), FM(experts_per_token, F_INT, false),
    FM(moe_mlp_hidden, F_INT, false), FM(num_shared_experts, F_INT, false), FM(first_dense_layers, F_INT, false),
    FM(kv_lora_rank, F_INT, false),  FM(q_lora_rank, F_INT, false),     FM(qk_rope_head_dim, F_INT, false),
    FM(qk_nope_head_dim, F_INT, false), FM(v_head_dim, F_INT, false),   FM(num_params, F_I64, false),
    FM(source, F_STR, false),        FM(max_context, F_I64, false),
};
#undef FM

#define FD(key, type, req) {#key, type, offsetof(cs_device, key), req}
static const field device_fields[] = {
    FD(name, F_STR, true),           FD(display, F_STR, false),        FD(vendor, F_STR, true),
    FD(arch, F_STR, true),           FD(memory_gb, F_DBL, true),       FD(memory_gib, F_DBL, true),
    FD(torch_gib, F_DBL, false),
    FD(tflops_bf16, F_DBL, true),    FD(tflops_fp8, F_DBL, false),     FD(tflops_int8, F_DBL, false),
    FD(tflops_fp32, F_DBL, false),   FD(hbm_gbps, F_DBL, true),        FD(interconnect, F_STR, true),
    FD(link_gbps, F_DBL, true),      FD(price_ondemand, F_DBL, true),  FD(price_spot, F_DBL, false),
    FD(price_source, F_STR, true),   FD(eff_compute, F_DBL, true),     FD(eff_memory, F_DBL, true),
    FD(eff_comm, F_DBL, true),       FD(eff_source, F_STR, true),      FD(source, F_STR, true),
};
#undef FD

#define FN(key, type, req) {#key, type, offsetof(cs_network, key), req}
static const field network_fields[] = {
    FN(name, F_STR, true),           FN(device, F_STR, true),          FN(devices_per_node, F_INT, true),
    FN(intra_bw_gbps, F_DBL, true),  FN(intra_latency_us, F_DBL, true), FN(inter_bw_gbps, F_DBL, true),
    FN(inter_latency_us, F_DBL, true), FN(topology, F_STR, true),      FN(source, F_STR, false),
};
#undef FN

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))

/* Reads every field of `tab` present in `map` into the struct at `base`; `extra` are further
 * keys the caller handles itself (NULL-terminated). */
static int read_fields(const cs__ydoc *d, const cs__ynode *map, cs__arena *mem, const field *tab, size_t n,
                       const char *const *extra, const char *what, void *base, cs_err *err) {
  const char *allowed[48];
  size_t na = 0;
  for (size_t i = 0; i < n && na < 40; i++) allowed[na++] = tab[i].key;
  for (size_t i = 0; extra && extra[i] && na < 47; i++) allowed[na++] = extra[i];
  allowed[na] = NULL;
  int rc = cs__y_check_keys(d, map, allowed, what, err);
  if (rc) return rc;
  for (size_t i = 0; i < n; i++) {
    const cs__ynode *v = cs__ymap_get(map, tab[i].key);
    char *p = (char *)base + tab[i].off;
    char label[160];
    snprintf(label, sizeof label, "%s.%s", what, tab[i].key);
    if (!v) {
      if (!tab[i].required) continue;
      char w[512];
      cs__y_where(d, map, w, sizeof w);
      return cs_err_set(err, CS_ECONFIG, "%s: %s: missing key '%s'", w, what, tab[i].key);
    }
    int64_t iv;
    const char *s;
    switch (tab[i].type) {
    case F_STR:
      if ((rc = cs__y_str(d, v, label, &s, err))) return rc;
      *(const char **)p = cs__arena_strdup(mem, s);
      break;
    case F_INT:
      if ((rc = cs__y_int(d, v, label, &iv, err))) return rc;
      if (iv < 0 || iv > 1000000000) {
        char w[512];
        cs__y_where(d, v, w, sizeof w);
        return cs_err_set(err, CS_ECONFIG, "%s: %s: expected a non-negative integer, got %lld", w, label,
                          (long long)iv);
      }
      *(int *)p = (int)iv;
      break;
    case F_I64:
      if ((rc = cs__y_int(d, v, label, &iv, err))) return rc;
      *(int64_t *)p = iv;
      break;
    case F_DBL:
      if ((rc = cs__y_double(d, v, label, (double *)p, err))) return rc;
      if (*(double *)p < 0) {
        char w[512];
        cs__y_where(d, v, w, sizeof w);
        return cs_err_set(err, CS_ECONFIG, "%s: %s: expected a non-negative number, got %s", w, label, v->str);
      }
      break;
    case F_BOOL:
      if ((rc = cs__y_bool(d, v, label, (bool *)p, err))) return rc;
      break;
    }
  }
  return 0;
}

/* `aliases: [a, b]` (or one string) into a NULL-terminated arena array. */
static int read_aliases(const cs__ydoc *d, const cs__ynode *map, cs__arena *mem, const char *what,
                        const char ***out, cs_err *err) {
  const cs__ynode *a = cs__ymap_get(map, "aliases");
  size_t n = a ? (a->kind == CS_Y_SEQ ? a->n : 1) : 0;
  const char **v = CS__ARENA_NEW(mem, const char *, n + 1);
  char label[160];
  snprintf(label, sizeof label, "%s.aliases", what);
  for (size_t i = 0; i < n; i++) {
    const char *s;
    int rc = cs__y_str(d, a->kind == CS_Y_SEQ ? a->items[i] : a, label, &s, err);
    if (rc) return rc;
    v[i] = cs__arena_strdup(mem, s);
  }
  v[n] = NULL;
  *out = v;
  return 0;
}

/* Name of the entry for messages: "model 'meta-llama/...'" (or just "model" before a name). */
static void entry_label(const cs__ynode *map, const char *kind, char *buf, size_t size) {
  const cs__ynode *nm = cs__ymap_get(map, "name");
  if (nm && nm->kind == CS_Y_SCALAR)
    snprintf(buf, size, "%s '%s'", kind, nm->str);
  else
    snprintf(buf, size, "%s", kind);
}

int cs__parse_model(const cs__ydoc *d, const cs__ynode *map, cs__arena *mem, cs_model *out, const char ***aliases,
                    cs_err *err) {
  int rc = cs__y_expect(d, map, CS_Y_MAP, "models[]", err);
  if (rc) return rc;
  char what[200];
  entry_label(map, "model", what, sizeof what);
  memset(out, 0, sizeof *out);
  out->gated_mlp = true;
  out->post_attn_norm = true;
  static const char *const extra[] = {"aliases", "quantization", NULL};
  if ((rc = read_fields(d, map, mem, model_fields, NFIELDS(model_fields), extra, what, out, err))) return rc;
  if ((rc = read_aliases(d, map, mem, what, aliases, err))) return rc;
  if (!out->short_name) {
    const char *slash = strrchr(out->name, '/');
    out->short_name = slash ? slash + 1 : out->name;
  }
  const cs__ynode *q = cs__ymap_get(map, "quantization");
  char w[512];
  cs__y_where(d, map, w, sizeof w);
  char where[768];
  snprintf(where, sizeof where, "%s: model '%s'", w, out->name);
  if (q) {
    const char *qs;
    if ((rc = cs__y_str(d, q, "quantization", &qs, err))) return rc;
    if (cs__quant_from_name(qs, &out->quant)) {
      cs__y_where(d, q, w, sizeof w);
      return cs_err_set(err, CS_ECONFIG, "%s: model '%s': unknown quantization '%s' (expected one of: %s)", w,
                        out->name, qs, cs__quant_names());
    }
    out->weight_bytes = out->quant.bits / 8.0;
  }
  char src[600];
  if (!out->source) {
    snprintf(src, sizeof src, "%s", w);
    out->source = cs__arena_strdup(mem, src);
  }
  return cs__model_finish(out, where, err);
}

int cs__parse_arch(const cs__ydoc *d, const cs__ynode *key, const cs__ynode *map, cs__arena *mem,
                   cs__arch_limit *out, cs_err *err) {
  char what[160];
  snprintf(what, sizeof what, "architectures.%s", key->str);
  int rc = cs__y_expect(d, map, CS_Y_MAP, what, err);
  if (rc) return rc;
  static const char *const allowed[] = {"max_dense_tflops_bf16", "fp8", NULL};
  if ((rc = cs__y_check_keys(d, map, allowed, what, err))) return rc;
  out->name = cs__arena_strdup(mem, key->str);
  const cs__ynode *mx = cs__ymap_get(map, "max_dense_tflops_bf16");
  char label[200];
  snprintf(label, sizeof label, "%s.max_dense_tflops_bf16", what);
  if ((rc = cs__y_double(d, mx, label, &out->max_dense_tflops_bf16, err))) return rc;
  const cs__ynode *f8 = cs__ymap_get(map, "fp8");
  out->fp8 = false;
  snprintf(label, sizeof label, "%s.fp8", what);
  if (f8 && (rc = cs__y_bool(d, f8, label, &out->fp8, err))) return rc;
  return 0;
}

/* The dense-vs-sparse checks (devices.yaml header explains them). */
static int check_device_tflops(const cs__ydoc *d, const cs__ynode *map, const cs_device *dev,
                               const cs__arch_limit *arch, double sparse_bf16, cs_err *err) {
  char w[512];
  const cs__ynode *at = cs__ymap_get(map, "tflops_bf16");
  cs__y_where(d, at, w, sizeof w);
  if (dev->tflops_bf16 <= 0) return cs_err_set(err, CS_ECONFIG, "%s: device '%s': tflops_bf16 must be > 0", w, dev->name);
  if (sparse_bf16 > 0 && dev->tflops_bf16 > 0.55 * sparse_bf16)
    return cs_err_set(err, CS_ECONFIG,
                      "%s: device '%s': tflops_bf16 %g is the sparse figure or close to it (sparse_tflops_bf16 "
                      "is %g; the dense figure is half of it)",
                      w, dev->name, dev->tflops_bf16, sparse_bf16);
  if (dev->tflops_bf16 > 1.05 * arch->max_dense_tflops_bf16)
    return cs_err_set(err, CS_ECONFIG,
                      "%s: device '%s': tflops_bf16 %g exceeds the largest dense figure of any %s device (%g); "
                      "datasheets print sparse figures at 2x, use the dense one (or raise "
                      "architectures.%s.max_dense_tflops_bf16 for a new part)",
                      w, dev->name, dev->tflops_bf16, arch->name, arch->max_dense_tflops_bf16, arch->name);
  if (dev->tflops_fp8 > 0) {
    cs__y_where(d, cs__ymap_get(map, "tflops_fp8"), w, sizeof w);
    if (!arch->fp8)
      return cs_err_set(err, CS_ECONFIG, "%s: device '%s': tflops_fp8 given but %s has no fp8 tensor cores (use 0)", w,
                        dev->name, arch->name);
    double r = dev->tflops_fp8 / dev->tflops_bf16;
    if (r < 1.8 || r > 2.2)
      return cs_err_set(err, CS_ECONFIG,
                        "%s: device '%s': tflops_fp8 %g is %.2fx tflops_bf16 %g; dense fp8 is 2x dense bf16, so one "
                        "of them is a sparse (or wrong) figure",
                        w, dev->name, dev->tflops_fp8, r, dev->tflops_bf16);
  }
  if (dev->tflops_int8 > 2.2 * dev->tflops_bf16) {
    cs__y_where(d, cs__ymap_get(map, "tflops_int8"), w, sizeof w);
    return cs_err_set(err, CS_ECONFIG,
                      "%s: device '%s': tflops_int8 %g is more than 2.2x tflops_bf16 %g; that is a sparse figure", w,
                      dev->name, dev->tflops_int8, dev->tflops_bf16);
  }
  return 0;
}

int cs__parse_device(const cs__ydoc *d, const cs__ynode *map, cs__arena *mem, const cs__arch_limit *archs,
                     size_t narchs, cs_device *out, const char ***aliases, cs_err *err) {
  int rc = cs__y_expect(d, map, CS_Y_MAP, "devices[]", err);
  if (rc) return rc;
  char what[200];
  entry_label(map, "device", what, sizeof what);
  memset(out, 0, sizeof *out);
  static const char *const extra[] = {"aliases", "sparse_tflops_bf16", NULL};
  if ((rc = read_fields(d, map, mem, device_fields, NFIELDS(device_fields), extra, what, out, err))) return rc;
  if ((rc = read_aliases(d, map, mem, what, aliases, err))) return rc;
  if (!out->display) out->display = out->name;
  char w[512];
  const cs__arch_limit *arch = NULL;
  for (size_t i = 0; i < narchs && !arch; i++)
    if (!strcmp(archs[i].name, out->arch)) arch = &archs[i];
  if (!arch) {
    cs__y_where(d, cs__ymap_get(map, "arch"), w, sizeof w);
    cs__sbuf sb;
    cs__sbuf_init(&sb);
    for (size_t i = 0; i < narchs; i++) cs__sbuf_addf(&sb, "%s%s", i ? ", " : "", archs[i].name);
    rc = cs_err_set(err, CS_ECONFIG,
                    "%s: device '%s': unknown arch '%s' (expected one of: %s; add it under architectures:)", w,
                    out->name, out->arch, sb.buf);
    cs__sbuf_release(&sb);
    return rc;
  }
  double sparse = 0;
  const cs__ynode *sp = cs__ymap_get(map, "sparse_tflops_bf16");
  if (sp && (rc = cs__y_double(d, sp, "sparse_tflops_bf16", &sparse, err))) return rc;
  if ((rc = check_device_tflops(d, map, out, arch, sparse, err))) return rc;
  struct {
    const char *key;
    double v;
  } positive[] = {{"memory_gb", out->memory_gb}, {"memory_gib", out->memory_gib}, {"hbm_gbps", out->hbm_gbps},
                  {"link_gbps", out->link_gbps}};
  for (size_t i = 0; i < sizeof positive / sizeof positive[0]; i++)
    if (!(positive[i].v > 0)) {
      cs__y_where(d, cs__ymap_get(map, positive[i].key), w, sizeof w);
      return cs_err_set(err, CS_ECONFIG, "%s: device '%s': %s must be > 0", w, out->name, positive[i].key);
    }
  struct {
    const char *key;
    double v;
  } fractions[] = {{"eff_compute", out->eff_compute}, {"eff_memory", out->eff_memory}, {"eff_comm", out->eff_comm}};
  for (size_t i = 0; i < 3; i++)
    if (!(fractions[i].v > 0 && fractions[i].v <= 1)) {
      cs__y_where(d, cs__ymap_get(map, fractions[i].key), w, sizeof w);
      return cs_err_set(err, CS_ECONFIG, "%s: device '%s': %s must be in (0, 1], got %g", w, out->name,
                        fractions[i].key, fractions[i].v);
    }
  if (out->torch_gib > out->memory_gb) {
    cs__y_where(d, cs__ymap_get(map, "torch_gib"), w, sizeof w);
    return cs_err_set(err, CS_ECONFIG, "%s: device '%s': torch_gib %g exceeds memory_gb %g", w, out->name,
                      out->torch_gib, out->memory_gb);
  }
  if (out->memory_gib > out->memory_gb * 1.0) {
    cs__y_where(d, cs__ymap_get(map, "memory_gib"), w, sizeof w);
    /* a GiB is larger than a GB: the usable GiB figure cannot exceed the marketed GB figure */
    return cs_err_set(err, CS_ECONFIG, "%s: device '%s': memory_gib %g exceeds memory_gb %g", w, out->name,
                      out->memory_gib, out->memory_gb);
  }
  return 0;
}

int cs__parse_network(const cs__ydoc *d, const cs__ynode *map, cs__arena *mem, cs_network *out, cs_err *err) {
  int rc = cs__y_expect(d, map, CS_Y_MAP, "networks[]", err);
  if (rc) return rc;
  char what[200];
  entry_label(map, "network", what, sizeof what);
  memset(out, 0, sizeof *out);
  if ((rc = read_fields(d, map, mem, network_fields, NFIELDS(network_fields), NULL, what, out, err))) return rc;
  char w[512];
  if (out->devices_per_node < 1) {
    cs__y_where(d, cs__ymap_get(map, "devices_per_node"), w, sizeof w);
    return cs_err_set(err, CS_ECONFIG, "%s: network '%s': devices_per_node must be >= 1", w, out->name);
  }
  if (!(out->intra_bw_gbps > 0) || !(out->inter_bw_gbps > 0)) {
    cs__y_where(d, map, w, sizeof w);
    return cs_err_set(err, CS_ECONFIG, "%s: network '%s': intra_bw_gbps and inter_bw_gbps must be > 0", w, out->name);
  }
  static const char *const topologies[] = {"nvswitch", "pairwise_nvlink", "pcie", "xgmi", NULL};
  bool ok = false;
  for (size_t i = 0; topologies[i]; i++) ok |= !strcmp(out->topology, topologies[i]);
  if (!ok) {
    cs__y_where(d, cs__ymap_get(map, "topology"), w, sizeof w);
    return cs_err_set(err, CS_ECONFIG,
                      "%s: network '%s': unknown topology '%s' (expected nvswitch, pairwise_nvlink, pcie or xgmi)", w,
                      out->name, out->topology);
  }
  return 0;
}
