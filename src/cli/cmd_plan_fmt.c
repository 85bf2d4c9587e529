/* Formatting of `capsearch plan` results: a readable table by default, JSON and CSV for
 * scripts (numbers round-trip there; the table rounds). */
#include <stdlib.h>
#include <string.h>

#include "capsearch/util.h"

#include "cmd_plan.h"
#include "commands.h"

static const char *engine_name(cs_mem_engine e) { return e == CS_ENGINE_VIDUR ? "vidur" : "vllm"; }
static const char *attn_name(cs_attn_kind k) {
  switch (k) {
  case CS_ATTN_MHA: return "MHA";
  case CS_ATTN_GQA: return "GQA";
  case CS_ATTN_MQA: return "MQA";
  default: return "MLA";
  }
}

static int64_t model_len(const cs_memplan_input *in) {
  return in->max_model_len > 0 ? in->max_model_len : cs_model_context_limit(in->model);
}

/* "1,234,567" */
static const char *grouped(int64_t v, char buf[32]) {
  char raw[32];
  snprintf(raw, sizeof raw, "%lld", (long long)(v < 0 ? -v : v));
  size_t n = strlen(raw), o = 0;
  if (v < 0) buf[o++] = '-';
  for (size_t i = 0; i < n; i++) {
    if (i && (n - i) % 3 == 0) buf[o++] = ',';
    buf[o++] = raw[i];
  }
  buf[o] = 0;
  return buf;
}

static void valid_tp_list(const cs_model *m, char *buf, size_t size) {
  int tps[64];
  int n = cs_model_valid_tp(m, 64, tps, 64);
  size_t len = 0;
  buf[0] = 0;
  for (int i = 0; i < n && len + 8 < size; i++) len += (size_t)snprintf(buf + len, size - len, "%s%d", i ? " " : "", tps[i]);
}

static void json_one(cs_jw *w, const cs_memplan_input *in, const cs_memplan *p) {
  const cs_model *m = in->model;
  const cs_device *d = in->device;
  cs_jw_obj_begin(w);
  cs_jw_kstr(w, "model", m->name);
  cs_jw_kstr(w, "device", d->name);
  cs_jw_kstr(w, "engine", engine_name(in->engine));
  cs_jw_kint(w, "tp", in->tp);
  cs_jw_kint(w, "pp", in->pp);
  cs_jw_kint(w, "dp", in->dp);
  cs_jw_kint(w, "num_gpus", p->num_gpus);
  cs_jw_kint(w, "max_model_len", model_len(in));
  cs_jw_kint(w, "num_params", m->num_params);
  cs_jw_knum(w, "total_gib", p->total_gib);
  cs_jw_knum(w, "usable_gib", p->usable_gib);
  cs_jw_knum(w, "weights_gib", p->weights_gib);
  cs_jw_knum(w, "activation_gib", p->activation_gib);
  cs_jw_knum(w, "non_torch_gib", p->non_torch_gib);
  cs_jw_knum(w, "kv_gib", p->kv_gib);
  cs_jw_kbool(w, "fits", p->fits);
  cs_jw_kstr(w, "why", p->why);
  cs_jw_knum(w, "kv_bytes_per_token", p->kv_bytes_per_token);
  cs_jw_knum(w, "kv_bytes_per_token_gpu", p->kv_bytes_per_token_gpu);
  cs_jw_kint(w, "block_size", in->block_size);
  if (in->engine == CS_ENGINE_VLLM) {
    cs_jw_kstr(w, "quantization", in->quantization ? in->quantization : m->quant.method);
    cs_jw_kint(w, "max_num_batched_tokens", p->batched_tokens);
    cs_jw_kint(w, "max_num_seqs", p->num_seqs);
    cs_jw_kint(w, "kv_groups", p->kv_groups);
  }
  cs_jw_kint(w, "kv_blocks", p->num_blocks);
  cs_jw_kint(w, "kv_tokens", p->kv_tokens);
  cs_jw_kint(w, "max_concurrent", p->max_concurrent);
  cs_jw_kint(w, "max_context", p->max_context);
  cs_jw_kint(w, "min_gpus", p->min_gpus);
  int tps[64];
  int n = cs_model_valid_tp(m, 64, tps, 64);
  cs_jw_key(w, "valid_tp");
  cs_jw_arr_begin(w);
  for (int i = 0; i < n; i++) cs_jw_int(w, tps[i]);
  cs_jw_arr_end(w);
  cs_jw_knum(w, "price_per_hour", d->price_ondemand * p->num_gpus);
  cs_jw_obj_end(w);
}

static const char csv_header[] =
    "model,device,engine,tp,pp,dp,num_gpus,max_model_len,usable_gib,weights_gib,activation_gib,non_torch_gib,"
    "kv_gib,fits,kv_bytes_per_token,kv_bytes_per_token_gpu,kv_blocks,kv_tokens,max_concurrent,max_context,"
    "min_gpus,price_per_hour\n";

static void csv_one(FILE *f, const cs_memplan_input *in, const cs_memplan *p) {
  char b[8][32];
  cs_sbuf names; /* catalog names: quoted as RFC 4180 says when they hold a comma */
  cs_sbuf_init(&names);
  cs_csv_field(&names, in->model->name);
  cs_sbuf_addc(&names, ',');
  cs_csv_field(&names, in->device->name);
  fprintf(f, "%s,%s,%d,%d,%d,%d,%lld,%s,%s,%s,%s,%s,%s,%s,%s,%lld,%lld,%lld,%lld,%d,%s\n", names.buf,
          engine_name(in->engine), in->tp, in->pp, in->dp, p->num_gpus, (long long)model_len(in),
          cs_fmt_double(p->usable_gib, b[0]), cs_fmt_double(p->weights_gib, b[1]),
          cs_fmt_double(p->activation_gib, b[2]), cs_fmt_double(p->non_torch_gib, b[3]),
          cs_fmt_double(p->kv_gib, b[4]), p->fits ? "true" : "false", cs_fmt_double(p->kv_bytes_per_token, b[5]),
          cs_fmt_double(p->kv_bytes_per_token_gpu, b[6]), (long long)p->num_blocks, (long long)p->kv_tokens,
          (long long)p->max_concurrent, (long long)p->max_context, p->min_gpus,
          cs_fmt_double(in->device->price_ondemand * p->num_gpus, b[7]));
  cs_sbuf_release(&names);
}

int cs__plan_print_one(const cs_memplan_input *in, const cs_memplan *p, cs__plan_format fmt, FILE *f, cs_err *err) {
  const cs_model *m = in->model;
  const cs_device *d = in->device;
  if (fmt == CS__PLAN_JSON) {
    cs_sbuf sb;
    cs_sbuf_init(&sb);
    cs_jw w;
    cs_jw_init(&w, &sb, false);
    json_one(&w, in, p);
    int rc = cs__cli_put_json(&w, &sb, f, "the JSON of plan", err);
    cs_sbuf_release(&sb);
    return rc;
  }
  if (fmt == CS__PLAN_CSV) {
    fputs(csv_header, f);
    csv_one(f, in, p);
    return 0;
  }
  char g[6][32], tps[256];
  const int64_t T = model_len(in);
  fprintf(f, "model     %s (%s, %.2fB params, %s %dq/%dkv heads, %s, %g bytes/weight)\n", m->name, m->architecture,
          (double)m->num_params / 1e9, attn_name(cs_model_attn_kind(m)), m->num_q_heads, m->num_kv_heads, m->dtype,
          in->weight_bytes > 0 ? in->weight_bytes : m->weight_bytes);
  fprintf(f, "device    %s (%s, %g GiB) x %d  [TP %d x PP %d x DP %d]\n", d->name, d->display, p->total_gib,
          p->num_gpus, in->tp, in->pp, in->dp);
  if (in->engine == CS_ENGINE_VIDUR)
    fprintf(f, "engine    vidur (Vidur V1 planner: fp16, memory margin %g), max_model_len %lld\n\n", in->memory_margin,
            (long long)T);
  else
    fprintf(f,
            "engine    vllm (vLLM 0.19 start-up accounting), gpu_memory_utilization %g of %.2f GiB, max_model_len "
            "%lld,\n          max_num_batched_tokens %lld, max_num_seqs %lld%s%s\n\n",
            in->gpu_memory_utilization, p->total_gib, (long long)T, (long long)p->batched_tokens,
            (long long)p->num_seqs, in->quantization || m->quant.method ? ", quantization " : "",
            in->quantization ? in->quantization : m->quant.method ? m->quant.method : "");
  fprintf(f, "per GPU                          GiB\n");
  fprintf(f, "  usable memory             %9.2f\n", p->usable_gib);
  fprintf(f, "  weights                   %9.2f\n", p->weights_gib);
  fprintf(f, "  activation                %9.2f\n", p->activation_gib);
  fprintf(f, "  non-torch                 %9.2f\n", p->non_torch_gib);
  fprintf(f, "  KV cache                  %9.2f\n\n", p->kv_gib);
  fprintf(f, "fits                        %s%s%s\n", p->fits ? "yes" : "no", p->why ? ": " : "", p->why ? p->why : "");
  fprintf(f, "KV bytes/token              %s (whole model), %s per GPU\n",
          grouped((int64_t)p->kv_bytes_per_token, g[0]), grouped((int64_t)p->kv_bytes_per_token_gpu, g[1]));
  fprintf(f, "KV blocks (%2d tokens)      %s per replica (%s tokens)\n", in->block_size, grouped(p->num_blocks, g[2]),
          grouped(p->kv_tokens, g[3]));
  fprintf(f, "max concurrent requests     %s per replica at %s tokens\n", grouped(p->max_concurrent, g[4]),
          grouped(T, g[5]));
  fprintf(f, "longest context that fits   %s tokens (model max %s)\n", grouped(p->max_context, g[0]),
          grouped(cs_model_context_limit(m), g[1]));
  if (p->min_gpus > 0)
    fprintf(f, "min GPUs                    %d (TP <= 8 per node, PP for the rest)\n", p->min_gpus);
  else
    fprintf(f, "min GPUs                    none up to 1024 fit\n");
  valid_tp_list(m, tps, sizeof tps);
  fprintf(f, "valid TP sizes              %s\n", tps);
  fprintf(f, "cost                        $%.2f/hour (%d x $%.2f on-demand", d->price_ondemand * p->num_gpus,
          p->num_gpus, d->price_ondemand);
  if (d->price_spot > 0) fprintf(f, "; spot $%.2f", d->price_spot * p->num_gpus);
  fprintf(f, ")\n");
  return 0;
}

typedef struct ranked {
  const cs_device *d;
  int tp;
  cs_memplan p;
} ranked;

static int cmp_ranked(const void *a, const void *b) {
  const ranked *x = a, *y = b;
  if ((x->tp > 0) != (y->tp > 0)) return x->tp > 0 ? -1 : 1;
  double cx = x->d->price_ondemand * x->p.num_gpus, cy = y->d->price_ondemand * y->p.num_gpus;
  if (x->tp > 0 && cx != cy) return cx < cy ? -1 : 1;
  return strcmp(x->d->name, y->d->name);
}

int cs__plan_print_all_devices(const cs_catalog *cat, const cs_memplan_input *in0, cs__plan_format fmt, FILE *f,
                               cs_err *err) {
  size_t n = cs_catalog_num_devices(cat);
  ranked *r = calloc(n ? n : 1, sizeof *r);
  if (!r) return cs_err_set(err, CS_ENOMEM, "out of memory");
  int tps[8];
  int ntp = cs_model_valid_tp(in0->model, 8, tps, 8);
  for (size_t i = 0; i < n; i++) {
    cs_memplan_input in = *in0;
    in.device = r[i].d = cs_catalog_device_at(cat, i);
    for (int k = 0; k < ntp; k++) {
      in.tp = tps[k];
      cs_memplan p;
      int rc = cs_memplan_compute(&in, &p, err);
      if (rc) {
        free(r);
        return rc;
      }
      r[i].p = p;
      if (p.fits) {
        r[i].tp = tps[k];
        break;
      }
    }
  }
  qsort(r, n, sizeof *r, cmp_ranked);
  int rc = 0;
  if (fmt == CS__PLAN_JSON) {
    cs_sbuf sb;
    cs_sbuf_init(&sb);
    cs_jw w;
    cs_jw_init(&w, &sb, false);
    cs_jw_arr_begin(&w);
    for (size_t i = 0; i < n; i++) {
      cs_memplan_input in = *in0;
      in.device = r[i].d;
      in.tp = r[i].tp > 0 ? r[i].tp : tps[ntp - 1];
      json_one(&w, &in, &r[i].p);
    }
    cs_jw_arr_end(&w);
    rc = cs__cli_put_json(&w, &sb, f, "the JSON of plan", err);
    cs_sbuf_release(&sb);
  } else if (fmt == CS__PLAN_CSV) {
    fputs(csv_header, f);
    for (size_t i = 0; i < n; i++) {
      cs_memplan_input in = *in0;
      in.device = r[i].d;
      in.tp = r[i].tp > 0 ? r[i].tp : tps[ntp - 1];
      csv_one(f, &in, &r[i].p);
    }
  } else {
    const int64_t T = model_len(in0);
    fprintf(f, "%s, max_model_len %lld, PP %d, engine %s: smallest TP (<= 8) that fits on each device\n\n",
            in0->model->name, (long long)T, in0->pp, engine_name(in0->engine));
    fprintf(f, "%-10s %8s %4s %5s %11s %9s %12s %10s %10s\n", "device", "mem GiB", "TP", "GPUs", "weights/GPU",
            "KV GiB", "KV tokens", "max conc.", "$/hour");
    for (size_t i = 0; i < n; i++) {
      char g[2][32];
      if (r[i].tp == 0) {
        fprintf(f, "%-10s %8.2f    -     -           -         -            -          -          -  (%s)\n",
                r[i].d->name, r[i].p.total_gib, r[i].p.why ? r[i].p.why : "does not fit");
        continue;
      }
      fprintf(f, "%-10s %8.2f %4d %5d %11.2f %9.2f %12s %10s %10.2f\n", r[i].d->name, r[i].p.total_gib, r[i].tp,
              r[i].p.num_gpus, r[i].p.weights_gib, r[i].p.kv_gib, grouped(r[i].p.kv_tokens, g[0]),
              grouped(r[i].p.max_concurrent, g[1]), r[i].d->price_ondemand * r[i].p.num_gpus);
    }
  }
  free(r);
  return rc;
}
