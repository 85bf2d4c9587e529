/* Building the profile predictor's tables: inputs, cache key, cache, CSV -> tables. */
#include "predictor/profile_build.h"

#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "predictor/csvtab.h"
#include "predictor/interp.h"
#include "predictor/profile_src.h"
#include "util/fs.h"
#include "util/sbuf.h"
#include "util/sha1.h"

#define KV_GRAN 64
#define MIN_KV 4096 /* tables cover at least Vidur's V0 grid (kv up to 4096) */

enum { IN_TOK0 = 0, IN_DECODE = CS__NUM_TOK_OPS, IN_PREFILL, IN_MLP, IN_ATTN, IN_CPU, IN_COUNT };

typedef struct input {
  char *path;     /* NULL when not needed */
  bool required;
  char *data;     /* file bytes, NULL when absent */
  size_t len;
} input;

typedef struct build_ctx {
  const cs_predictor_ctx *ctx;
  bool predictions; /* from a --predictions-dir */
  bool fallback, cpu;
  input in[IN_COUNT];
} build_ctx;

char *cs__profile_compute_path(const char *profiling_dir, const char *device, const char *model, const char *file) {
  char *first = NULL;
  char shortname[64];
  snprintf(shortname, sizeof shortname, "%s", device);
  char *us = strchr(shortname, '_');
  if (us) *us = '\0';
  const char *names[2] = {device, shortname};
  for (int i = 0; i < 2; i++) {
    if (i == 1 && !strcmp(shortname, device)) break;
    cs__sbuf sb;
    cs__sbuf_init(&sb);
    cs__sbuf_addf(&sb, "%s/compute/%s/%s/%s", profiling_dir, names[i], model, file);
    if (cs__path_exists(sb.buf)) {
      free(first);
      char *found = cs__sbuf_detach(&sb);
      cs__sbuf_release(&sb); /* detach leaves a fresh empty buffer */
      return found;
    }
    if (!first) first = cs__sbuf_detach(&sb);
    cs__sbuf_release(&sb);
  }
  return first;
}

static char *fmt_path(const char *fmt, const char *a, const char *b, const char *c) {
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__sbuf_addf(&sb, fmt, a, b, c);
  char *p = cs__sbuf_detach(&sb);
  cs__sbuf_release(&sb);
  return p;
}

/* "<op>_<8 hex>_predictions.csv" in dir; NULL when none; an error when several match. */
static int find_prediction(const char *dir, const char *op, char **out, cs_err *err) {
  *out = NULL;
  DIR *d = opendir(dir);
  if (!d) return cs_err_set(err, CS_ENOENT, "%s: cannot open the predictions directory", dir);
  size_t ol = strlen(op);
  const char *suffix = "_predictions.csv";
  int rc = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    const char *n = e->d_name;
    if (strlen(n) != ol + 1 + 8 + strlen(suffix) || strncmp(n, op, ol) || n[ol] != '_') continue;
    bool hex = true;
    for (size_t i = 0; i < 8; i++) hex &= isxdigit((unsigned char)n[ol + 1 + i]) != 0;
    if (!hex || strcmp(n + ol + 9, suffix)) continue;
    if (*out) {
      rc = cs_err_set(err, CS_ECONFIG, "%s: several '%s' prediction tables (%s and %s); keep one set per directory", dir,
                      op, strrchr(*out, '/') + 1, n);
      free(*out);
      *out = NULL;
      break;
    }
    *out = cs__path_join(dir, n);
  }
  closedir(d);
  return rc;
}

static int plan_inputs(build_ctx *b, cs_err *err) {
  const cs_predictor_ctx *c = b->ctx;
  const char *net = c->network && c->network->name ? c->network->name : NULL;
  int rc;
  if (b->predictions) {
    for (int op = 0; op < CS__NUM_TOK_OPS; op++) {
      if (op == CS__OP_ALL_REDUCE && c->tp <= 1) continue;
      if (op == CS__OP_SEND_RECV && c->pp <= 1) continue;
      if ((rc = find_prediction(c->predictions_dir, cs__tok_op_name(op), &b->in[op].path, err))) return rc;
      b->in[op].required = op < CS__NUM_MLP_OPS || ((op == CS__OP_ALL_REDUCE || op == CS__OP_SEND_RECV) && !b->fallback);
      if (!b->in[op].path && b->in[op].required)
        return cs_err_set(err, CS_ENOENT, "%s: no %s_<hash>_predictions.csv (Vidur's exported prediction table)",
                          c->predictions_dir, cs__tok_op_name(op));
    }
    if ((rc = find_prediction(c->predictions_dir, "attn_decode", &b->in[IN_DECODE].path, err)) ||
        (rc = find_prediction(c->predictions_dir, "attn_prefill", &b->in[IN_PREFILL].path, err)))
      return rc;
    b->in[IN_DECODE].required = b->in[IN_PREFILL].required = !b->fallback;
    if (!b->fallback && (!b->in[IN_DECODE].path || !b->in[IN_PREFILL].path))
      return cs_err_set(err, CS_ENOENT, "%s: no attn_%s_<hash>_predictions.csv", c->predictions_dir,
                        b->in[IN_DECODE].path ? "prefill" : "decode");
  } else {
    const char *dev = c->device->name, *model = c->model->name;
    b->in[IN_MLP].path = cs__profile_compute_path(c->profiling_dir, dev, model, "mlp.csv");
    b->in[IN_MLP].required = true;
    b->in[IN_ATTN].path = cs__profile_compute_path(c->profiling_dir, dev, model, "attention.csv");
    b->in[IN_ATTN].required = !b->fallback;
    if (c->tp > 1 || c->pp > 1) {
      if (!net) return cs_err_set(err, CS_ECONFIG, "predictor 'profile': TP/PP > 1 needs a network (node type) for the communication profiles");
      if (c->tp > 1) {
        b->in[CS__OP_ALL_REDUCE].path = fmt_path("%s/network/%s/%s", c->profiling_dir, net, "all_reduce.csv");
        b->in[CS__OP_ALL_REDUCE].required = !b->fallback;
      }
      if (c->pp > 1) {
        b->in[CS__OP_SEND_RECV].path = fmt_path("%s/network/%s/%s", c->profiling_dir, net, "send_recv.csv");
        b->in[CS__OP_SEND_RECV].required = !b->fallback;
      }
    }
    if (b->cpu) {
      if (!net) return cs_err_set(err, CS_ECONFIG, "predictor 'profile': cpu_overhead needs a network (node type)");
      b->in[IN_CPU].path = fmt_path("%s/cpu_overhead/%s/%s/cpu_overheads.csv", c->profiling_dir, net, model);
      b->in[IN_CPU].required = true;
    }
  }
  /* read every input once: bytes for the key, the same bytes for parsing */
  for (int i = 0; i < IN_COUNT; i++) {
    input *in = &b->in[i];
    if (!in->path) continue;
    if (!cs__path_exists(in->path)) {
      if (in->required) return cs_err_set(err, CS_ENOENT, "%s: missing profiling file (needed by predictor 'profile')", in->path);
      continue;
    }
    if ((rc = cs__read_file(in->path, &in->data, &in->len, err))) return rc;
  }
  return 0;
}

static uint64_t chain(uint64_t h, const void *p, size_t n) { return cs__fnv1a64(p, n, h ^ 0xcbf29ce484222325ULL); }

static uint64_t cache_key(const build_ctx *b) {
  const cs_predictor_ctx *c = b->ctx;
  const cs_model *m = c->model;
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__sbuf_addf(&sb, "capsearch-profile-tables-v1|%s|%s|L%d q%d kv%d d%d E%d H%d g%d pan%d|%s|%s|tp%d pp%d",
                b->predictions ? "predictions" : "profiling", m->name ? m->name : "", m->num_layers, m->num_q_heads,
                m->num_kv_heads, m->head_dim, m->hidden, m->mlp_hidden, m->gated_mlp, m->post_attn_norm,
                c->device->name ? c->device->name : "", c->network && c->network->name ? c->network->name : "", c->tp,
                c->pp);
  for (int i = 0; i < c->params.n; i++) cs__sbuf_addf(&sb, "|%s=%.17g", c->params.names[i], c->params.values[i]);
  uint64_t h = cs__fnv1a64(sb.buf, sb.len, 0);
  cs__sbuf_release(&sb);
  for (int i = 0; i < IN_COUNT; i++) {
    const input *in = &b->in[i];
    char tag[32];
    int n = snprintf(tag, sizeof tag, "|in%d:%zu|", i, in->data ? in->len : (size_t)-1);
    h = chain(h, tag, (size_t)n);
    if (in->data) h = chain(h, in->data, in->len);
  }
  return h;
}

static int parse(const input *in, cs__csvtab *t, cs_err *err) { return cs__csvtab_parse(t, in->path, in->data, in->len, err); }

static void tab1_of(cs__tab1 *t, const cs__pts *p) {
  double mx = p->n ? p->x[p->n - 1] : 0;
  int32_t n = (int32_t)ceil(mx) + 1;
  cs__tab1_from_pts(t, p, n < 2 ? 2 : n);
}

static int build_cpu(const build_ctx *b, cs__ptables *t, cs_err *err) {
  cs__csvtab csv;
  int rc = parse(&b->in[IN_CPU], &csv, err);
  if (rc) return rc;
  static const char *const cols[] = {"schedule_median", "sampler_e2e_median", "prepare_inputs_e2e_median",
                                     "process_model_outputs_median", "ray_comm_time_mean"};
  int ci[5], cm = cs__csvtab_need(&csv, "model_name", err), cb = cs__csvtab_need(&csv, "batch_size", err),
             ct = cs__csvtab_need(&csv, "tensor_parallel_degree", err);
  rc = cm < 0 || cb < 0 || ct < 0 ? CS_EPARSE : 0;
  for (int k = 0; k < 5 && !rc; k++)
    if ((ci[k] = cs__csvtab_need(&csv, cols[k], err)) < 0) rc = CS_EPARSE;
  cs__pts p = {0};
  for (size_t r = 0; r < csv.nrows && !rc; r++) {
    if (strcmp(cs__csvtab_str(&csv, r, cm), b->ctx->model->name)) continue;
    double bs, tp, sum = 0, v;
    if ((rc = cs__csvtab_num(&csv, r, cb, &bs, err)) || (rc = cs__csvtab_num(&csv, r, ct, &tp, err))) break;
    if (tp != b->ctx->tp) continue;
    for (int k = 0; k < 5 && !rc; k++) {
      rc = cs__csvtab_num(&csv, r, ci[k], &v, err);
      if (!isnan(v)) sum += v;
    }
    if (!rc) cs__pts_add(&p, bs, sum);
  }
  if (!rc && !p.n)
    rc = cs_err_set(err, CS_ENOENT, "%s: no rows for model '%s' at TP %d", b->in[IN_CPU].path, b->ctx->model->name,
                    b->ctx->tp);
  if (!rc) {
    cs__pts_finish(&p);
    tab1_of(&t->cpu, &p);
  }
  cs__pts_release(&p);
  cs__csvtab_release(&csv);
  return rc;
}

static int build_tables(const build_ctx *b, cs__ptables *t, cs_err *err) {
  const cs_predictor_ctx *c = b->ctx;
  cs__csvtab csv;
  int rc = 0;
  memset(t, 0, sizeof *t);
  t->kv_gran = KV_GRAN;
  t->chunk_gran = 1;
  if (b->predictions) {
    for (int op = 0; op < CS__NUM_TOK_OPS && !rc; op++) {
      if (!b->in[op].data) continue;
      cs__pts p = {0};
      if (!(rc = parse(&b->in[op], &csv, err)) && !(rc = cs__pred_token_points(&csv, &p, err))) tab1_of(&t->tok[op], &p);
      cs__pts_release(&p);
      cs__csvtab_release(&csv);
    }
    if (!rc && b->in[IN_DECODE].data && b->in[IN_PREFILL].data) {
      cs__series2 s = {0};
      if (!(rc = parse(&b->in[IN_DECODE], &csv, err)) && !(rc = cs__pred_decode_series(&csv, &s, err)))
        cs__decode_tab_from_series(&t->decode, &s, KV_GRAN, MIN_KV);
      cs__series2_release(&s);
      cs__csvtab_release(&csv);
      if (!rc && !(rc = parse(&b->in[IN_PREFILL], &csv, err)) && !(rc = cs__pred_prefill_series(&csv, &s, err)))
        cs__prefill_tab_from_series(&t->prefill, &s, KV_GRAN, MIN_KV, &t->chunk_gran);
      cs__series2_release(&s);
      cs__csvtab_release(&csv);
      t->have_attn = !rc;
    }
  } else {
    cs__shape_filter f;
    cs__shape_filter_from_model(&f, c->model, c->tp);
    cs__pts mlp[CS__NUM_MLP_OPS];
    if ((rc = parse(&b->in[IN_MLP], &csv, err))) return rc;
    rc = cs__mlp_points(&csv, &f, mlp, err);
    cs__csvtab_release(&csv);
    if (rc) return rc;
    for (int op = 0; op < CS__NUM_MLP_OPS; op++) {
      tab1_of(&t->tok[op], &mlp[op]);
      cs__pts_release(&mlp[op]);
    }
    if (b->in[IN_ATTN].data) {
      cs__series2 dec, pre;
      cs__pts save;
      if ((rc = parse(&b->in[IN_ATTN], &csv, err))) return rc;
      rc = cs__attn_points(&csv, &f, &dec, &pre, &save, err);
      cs__csvtab_release(&csv);
      if (rc && !(rc == CS_ENOENT && b->fallback)) return rc;
      if (!rc) {
        cs__decode_tab_from_series(&t->decode, &dec, KV_GRAN, MIN_KV);
        cs__prefill_tab_from_series(&t->prefill, &pre, KV_GRAN, MIN_KV, &t->chunk_gran);
        if (save.n) tab1_of(&t->tok[CS__OP_KV_CACHE_SAVE], &save);
        t->have_attn = true;
        cs__series2_release(&dec);
        cs__series2_release(&pre);
        cs__pts_release(&save);
      }
      rc = 0;
    }
    int per_node = c->network && c->network->devices_per_node > 0 ? c->network->devices_per_node : 8;
    for (int op = CS__OP_ALL_REDUCE; op <= CS__OP_SEND_RECV && !rc; op++) {
      if (!b->in[op].data) continue;
      cs__pts p = {0};
      if ((rc = parse(&b->in[op], &csv, err))) return rc;
      rc = cs__comm_points(&csv, cs__tok_op_name(op), c->tp, c->tp * c->pp > per_node, c->model->hidden, &p, err);
      cs__csvtab_release(&csv);
      if (rc == CS_ENOENT && b->fallback) rc = 0; /* no rows for this TP: roofline instead */
      else if (!rc) tab1_of(&t->tok[op], &p);
      cs__pts_release(&p);
    }
  }
  if (!rc && b->cpu && b->in[IN_CPU].data) rc = build_cpu(b, t, err);
  if (rc) cs__ptables_release(t);
  return rc;
}

static void describe(cs__profile *s, const build_ctx *b, const char *cache_note) {
  const cs_predictor_ctx *c = b->ctx;
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__sbuf_addf(&sb, "profile: %s on %s, TP %d PP %d, from %s %s; keys %s, f_d %g f_p %g%s; tables %s",
                c->model->name, c->device->name, c->tp, c->pp, b->predictions ? "Vidur prediction tables in" : "profiling CSVs in",
                b->predictions ? c->predictions_dir : c->profiling_dir, s->v1_keys ? "V1" : "V0", s->f_d, s->f_p,
                s->gqa ? "" : " (not GQA: unused)", cache_note);
  if (!s->t.have_attn) cs__sbuf_addf(&sb, "; WARNING: no attention profile, attention timed by the roofline");
  if (s->ar_fallback) cs__sbuf_addf(&sb, "; WARNING: no all-reduce profile for TP %d, timed by the roofline", c->tp);
  if (s->sr_fallback) cs__sbuf_addf(&sb, "; WARNING: no send/recv profile, timed by the roofline");
  if (!s->t.tok[CS__OP_KV_CACHE_SAVE].n) cs__sbuf_addf(&sb, "; attn_kv_cache_save not profiled (0)");
  s->describe = cs__sbuf_detach(&sb);
  cs__sbuf_release(&sb);
}

int cs__profile_build(cs__profile *s, const cs_predictor_ctx *c, const cs__profile_params *p, cs_err *err) {
  memset(s, 0, sizeof *s);
  build_ctx b = {0};
  b.ctx = c;
  int rc = 0;
  if (!c->model || !c->device) return cs_err_set(err, CS_EINVAL, "predictor 'profile' needs a model and a device");
  if (!c->model->name) return cs_err_set(err, CS_EINVAL, "predictor 'profile': the model has no name (Hugging Face id)");
  if (!c->profiling_dir && !c->predictions_dir)
    return cs_err_set(err, CS_EUSAGE, "predictor 'profile' needs --profiling-dir (Vidur data/profiling layout) or "
                                      "--predictions-dir (Vidur *_predictions.csv tables)");
  b.predictions = c->predictions_dir != NULL;
  b.fallback = p->roofline_fallback;
  b.cpu = p->cpu_overhead;
  if (b.cpu && b.predictions)
    return cs_err_set(err, CS_EUSAGE, "predictor 'profile': cpu_overhead needs --profiling-dir (cpu_overheads.csv)");
  s->tp = c->tp;
  s->pp = c->pp;
  s->layers_per_stage = c->model->num_layers / c->pp;
  s->post_attn_norm = c->model->post_attn_norm;
  s->gqa = c->model->num_kv_heads > 0 && c->model->num_q_heads > c->model->num_kv_heads;
  s->v1_keys = p->vidur_keys != 0;
  s->f_d = p->attn_decode_overhead;
  s->f_p = p->attn_prefill_overhead;
  s->nccl_launch_ms = p->nccl_launch_ms;
  s->nccl_skew_ms = p->nccl_skew_ms;
  if ((rc = plan_inputs(&b, err))) goto out;
  s->key = cache_key(&b);
  const char *note = "built (no --cache-dir)";
  char notebuf[CS_ERR_MSG_MAX + 64];
  bool loaded = false;
  if (c->cache_dir) {
    char name[64];
    snprintf(name, sizeof name, "profile-%016llx.tbl", (unsigned long long)s->key);
    s->cache_path = cs__path_join(c->cache_dir, name);
    cs_err lerr = {0};
    int lrc = cs__ptables_load(&s->t, s->cache_path, s->key, &lerr);
    if (!lrc) {
      loaded = true;
      note = "loaded from cache";
    } else if (lrc == CS_EFORMAT) {
      snprintf(notebuf, sizeof notebuf, "rebuilt (cache entry rejected: %s)", lerr.msg);
      note = notebuf;
    } else {
      note = "built and cached";
    }
  }
  if (!loaded) {
    if ((rc = build_tables(&b, &s->t, err))) goto out;
    if (c->cache_dir) {
      cs_err werr = {0};
      if (cs__mkdir_p(c->cache_dir, &werr) || cs__ptables_save(&s->t, s->cache_path, s->key, &werr)) {
        snprintf(notebuf, sizeof notebuf, "built; NOT cached: %s", werr.msg);
        note = notebuf;
      }
    }
  }
  s->from_cache = loaded;
  s->ar_fallback = c->tp > 1 && s->t.tok[CS__OP_ALL_REDUCE].n == 0;
  s->sr_fallback = c->pp > 1 && s->t.tok[CS__OP_SEND_RECV].n == 0;
  if (!s->t.have_attn || s->ar_fallback || s->sr_fallback) {
    if (!b.fallback) {
      rc = cs_err_set(err, CS_ENOENT, "predictor 'profile': no %s profile and roofline_fallback is off",
                      !s->t.have_attn ? "attention" : s->ar_fallback ? "all-reduce" : "send/recv");
      goto out;
    }
    cs__factors f;
    cs__roofline_device_factors(c->device, &f);
    if ((rc = cs__roofline_init(&s->rl, c->model, c->device, c->network, c->tp, c->pp, &f, err))) {
      cs_err_prefix(err, "predictor 'profile' (roofline fallback for unprofiled operations)");
      goto out;
    }
    s->rl.nccl_launch_s = 0;
  }
  describe(s, &b, note);
out:
  for (int i = 0; i < IN_COUNT; i++) {
    free(b.in[i].path);
    free(b.in[i].data);
  }
  return rc;
}

void cs__profile_release(cs__profile *s) {
  if (!s) return;
  cs__ptables_release(&s->t);
  free(s->cache_path);
  free(s->describe);
  memset(s, 0, sizeof *s);
}
