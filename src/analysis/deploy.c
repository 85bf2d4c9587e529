/* Deploy what the sweep found: per best configuration, the `vllm serve` command line that
 * realises it and the replicas for the target QPS (OUT/analysis/deploy.md and deploy.json).
 * Mapping (docs/analysis.md, "Deploy"): model -> the positional model (HF id, or the directory
 * of a local config.json); tp/pp -> --tensor-parallel-size/--pipeline-parallel-size; batch size
 * -> --max-num-seqs; chunk size -> --max-num-batched-tokens with chunked prefill (vllm_v1,
 * sarathi), Vidur vllm's max_tokens_in_batch without it (as simulated: the trace's max_seq_len when
 * the sweep left it unset); the trace's prefix caching ->
 * --[no-]enable-prefix-caching; the simulator's 10 % memory margin -> --gpu-memory-utilization
 * 0.9; the simulated length limit (job.json length_limit.tokens: the smaller of max_seq_len and the
 * model's context) -> --max-model-len; the simulated KV cache holds the model dtype ->
 * --kv-cache-dtype auto. Flag names are vLLM's (vllm/engine/arg_utils.py); the test checks them
 * against tests/data/deploy/vllm_serve_flags.txt. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/an_int.h"
#include "capsearch/sim.h"
#include "util/fs.h"
#include "util/json.h"

#define MAX_ARGS 32
#define MAX_NOTES 6

typedef struct deploy {
  char argv[MAX_ARGS][1100];
  int argc;
  const char *notes[MAX_NOTES];
  int nnotes;
} deploy;

static void arg(deploy *d, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void arg(deploy *d, const char *fmt, ...) {
  if (d->argc >= MAX_ARGS) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(d->argv[d->argc++], sizeof d->argv[0], fmt, ap);
  va_end(ap);
}

static void note(deploy *d, const char *s) {
  if (d->nnotes < MAX_NOTES) d->notes[d->nnotes++] = s;
}

static bool is(const cs__job *j, const char *sched) { return !strcmp(j->f[CS__JF_RSCHED], sched); }

/* The model argument: a local config.json's directory, else the HF id, else the sweep's name. */
static void model_arg(const cs__job *j, deploy *d) {
  const char *cfg = j->dep.model_config;
  if (cfg[0]) {
    const char *slash = strrchr(cfg, '/');
    bool is_json = strlen(cfg) > 5 && !strcmp(cfg + strlen(cfg) - 5, ".json");
    if (is_json && slash) arg(d, "%.*s", (int)(slash - cfg), cfg);
    else arg(d, "%s", is_json ? "." : cfg);
    note(d, "the model directory must also hold the weights and tokenizer, not only config.json");
    return;
  }
  arg(d, "%s", j->dep.model_id[0] ? j->dep.model_id : j->f[CS__JF_MODEL]);
}

/* A scheduler parameter the sweep filled from the trace's max_seq_len because the sweep did not
 * set it (runner/job.c): what was simulated is that value, not vLLM's default. 0 = none. */
static double from_max_seq_len(const cs__job *j) {
  const cs_registry_entry *e = cs_registry_get(cs_replica_scheds(), j->f[CS__JF_RSCHED]);
  for (size_t i = 0; e && i < e->nparams; i++)
    if (e->params[i].flags & CS_PARAM_FROM_MAX_SEQ_LEN) return j->dep.trace_max_seq_len;
  return 0;
}

static void build(const cs__job *j, deploy *d) {
  memset(d, 0, sizeof *d);
  arg(d, "vllm");
  arg(d, "serve");
  model_arg(j, d);
  arg(d, "--tensor-parallel-size");
  arg(d, "%d", j->tp > 0 ? j->tp : 1);
  arg(d, "--pipeline-parallel-size");
  arg(d, "%d", j->pp > 0 ? j->pp : 1);
  if (j->ep > 1) { /* docs/disaggregation.md, "Expert parallelism" */
    if (j->dp > 1) {
      arg(d, "--data-parallel-size");
      arg(d, "%d", j->dp);
    }
    arg(d, "--enable-expert-parallel");
  }
  if (j->batch_size > 0) {
    arg(d, "--max-num-seqs");
    arg(d, "%d", j->batch_size);
  }
  bool chunked = cs_registry_has(cs_registry_get(cs_replica_scheds(), j->f[CS__JF_RSCHED]), CS_RSCHED_CHUNKED_PREFILL);
  if (chunked) {
    arg(d, "--enable-chunked-prefill");
    if (j->chunk_size > 0) {
      arg(d, "--max-num-batched-tokens");
      arg(d, "%d", j->chunk_size);
    }
    if (is(j, "sarathi")) note(d, "simulated with Sarathi-Serve's chunked prefill, which vLLM's chunked prefill implements");
  } else {
    arg(d, "--no-enable-chunked-prefill");
    double mtb = j->dep.max_tokens_in_batch > 0 ? j->dep.max_tokens_in_batch : from_max_seq_len(j);
    if (mtb > 0) {
      arg(d, "--max-num-batched-tokens");
      arg(d, "%.0f", mtb);
    }
    if (is(j, "vllm"))
      note(d, "whole-prompt prefill batches are vLLM's V0 engine (VLLM_USE_V1=0); the V1 engine always chunks");
    else
      note(d, "vLLM has no scheduler like the simulated one: this is the nearest vLLM setting, not what was simulated");
  }
  if (j->dep.prefix_caching >= 0) arg(d, j->dep.prefix_caching ? "--enable-prefix-caching" : "--no-enable-prefix-caching");
  arg(d, "--gpu-memory-utilization");
  arg(d, "0.9");
  if (j->dep.max_seq_len > 0) {
    arg(d, "--max-model-len");
    arg(d, "%.0f", j->dep.max_seq_len);
  }
  arg(d, "--kv-cache-dtype");
  arg(d, "auto");
  if (j->pp > 1) note(d, "--max-num-seqs is per pipeline micro-batch, as Vidur's batch_size");
  if (j->pool_gpus > 0) /* docs/disaggregation.md */
    note(d, "disaggregated: this line is the prefill pool's; start the decode pool with its own TP/PP (results.csv) "
            "and put both behind a P/D proxy with a KV connector (vLLM's NixlConnector, llm-d P/D, Dynamo)");
}

/* One shell word: single-quoted unless it is plainly safe. */
static void shell_word(cs__sbuf *sb, const char *s) {
  if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-=:+@") == strlen(s)) {
    cs__sbuf_adds(sb, s);
    return;
  }
  cs__sbuf_addc(sb, '\'');
  for (; *s; s++) {
    if (*s == '\'') cs__sbuf_adds(sb, "'\\''");
    else cs__sbuf_addc(sb, *s);
  }
  cs__sbuf_addc(sb, '\'');
}

void cs__an_vllm_command(const cs__job *j, cs__sbuf *sb) {
  deploy d;
  build(j, &d);
  for (int i = 0; i < d.argc; i++) {
    if (i) cs__sbuf_addc(sb, ' ');
    shell_word(sb, d.argv[i]);
  }
}

static const char *router(const cs__job *j) {
  const char *g = j->f[CS__JF_GSCHED];
  if (!strcmp(g, "round_robin")) return "round robin";
  if (!strcmp(g, "random")) return "random";
  if (strstr(g, "lor")) return "least outstanding requests";
  if (strstr(g, "lop")) return "least outstanding prefill tokens";
  return g;
}

static void json_one(cs__jw *w, const cs_analysis *a, const cs__group *G, const cs__job *j) {
  deploy d;
  build(j, &d);
  cs__sbuf cmd;
  cs__sbuf_init(&cmd);
  cs__an_vllm_command(j, &cmd);
  int per = (j->tp > 0 ? j->tp : 1) * (j->pp > 0 ? j->pp : 1);
  cs__jw_obj_begin(w);
  cs__jw_kstr(w, "model", G->model);
  cs__jw_kstr(w, "trace", G->trace);
  cs__jw_kstr(w, "slo", G->slo);
  cs__jw_kstr(w, "job", j->hash);
  cs__jw_kstr(w, "device", j->f[CS__JF_DEVICE]);
  cs__jw_kint(w, "gpus_per_replica", per);
  cs__jw_knum(w, "target_qps", j->target_qps);
  cs__jw_knum(w, "utilisation", a->util);
  cs__jw_kint(w, "replicas", j->replicas_for_target);
  cs__jw_kint(w, "gpus", (int64_t)j->replicas_for_target * per);
  cs__jw_knum(w, "usd_per_hour", j->cost_for_target);
  cs__jw_kstr(w, "router", router(j));
  cs__jw_kbool(w, "lower_bound", cs__an_answer_is_bound(j));
  cs__jw_kstr(w, "command", cmd.buf);
  cs__jw_key(w, "argv");
  cs__jw_arr_begin(w);
  for (int i = 0; i < d.argc; i++) cs__jw_str(w, d.argv[i]);
  cs__jw_arr_end(w);
  cs__jw_key(w, "notes");
  cs__jw_arr_begin(w);
  for (int i = 0; i < d.nnotes; i++) cs__jw_str(w, d.notes[i]);
  cs__jw_arr_end(w);
  cs__jw_obj_end(w);
  cs__sbuf_release(&cmd);
}

static void md_one(cs__sbuf *o, const cs_analysis *a, const cs__group *G, const cs__job *j) {
  deploy d;
  build(j, &d);
  int per = (j->tp > 0 ? j->tp : 1) * (j->pp > 0 ? j->pp : 1);
  cs__sbuf_addf(o, "## %s / %s / SLO %s\n\n", G->model, G->trace, G->slo);
  cs__sbuf_addf(o, "Job `%s` on %s%s. Each replica (%d GPU%s):\n\n```sh\n", j->hash, j->f[CS__JF_DEVICE],
                cs__an_answer_is_bound(j) ? " (its QPS is only a bound)" : "", per, per == 1 ? "" : "s");
  cs__an_vllm_command(j, o);
  cs__sbuf_addf(o, "\n```\n\n**%d replica%s** (%d GPUs, $%.2f/hour) for %.4g QPS at %.0f %% utilisation, behind a %s "
                   "load balancer (the simulated router).\n",
                j->replicas_for_target, j->replicas_for_target == 1 ? "" : "s", j->replicas_for_target * per,
                j->cost_for_target, j->target_qps, a->util * 100, router(j));
  for (int i = 0; i < d.nnotes; i++) cs__sbuf_addf(o, "%s- %s\n", i ? "" : "\n", d.notes[i]);
  cs__sbuf_adds(o, "\n");
}

int cs__an_write_deploy(const cs_analysis *a, const char *dir, cs_err *err) {
  cs__sbuf js, md;
  cs__sbuf_init(&js);
  cs__sbuf_init(&md);
  cs__jw w;
  cs__jw_init(&w, &js, false);
  cs__jw_obj_begin(&w);
  cs__jw_kstr(&w, "format", "capsearch-deploy");
  cs__jw_kint(&w, "version", 1);
  cs__jw_key(&w, "deployments");
  cs__jw_arr_begin(&w);
  cs__sbuf_adds(&md, "# Deploying the best configurations with vLLM\n\n"
                     "One `vllm serve` per replica; the flags realise what was simulated "
                     "(mapping: docs/analysis.md, \"Deploy\").\n\n");
  size_t n = 0;
  for (size_t g = 0; g < a->groups.n; g++) {
    const cs__group *G = &a->groups.v[g];
    if (G->best < 0) continue;
    json_one(&w, a, G, &a->jobs.v[G->best]);
    md_one(&md, a, G, &a->jobs.v[G->best]);
    n++;
  }
  if (!n) cs__sbuf_adds(&md, "No configuration met its SLO, so there is nothing to deploy yet.\n");
  cs__jw_arr_end(&w);
  cs__jw_obj_end(&w);
  cs__sbuf_addc(&js, '\n');
  char *pj = cs__path_join(dir, "deploy.json"), *pm = cs__path_join(dir, "deploy.md");
  int rc = cs__jw_finish(&w, pj, err); /* a misused writer: no half-written deploy.json */
  if (!rc) rc = cs__write_file_atomic(pj, js.buf, js.len, false, err);
  if (!rc) rc = cs__write_file_atomic(pm, md.buf, md.len, false, err);
  free(pj);
  free(pm);
  cs__sbuf_release(&js);
  cs__sbuf_release(&md);
  return rc;
}
