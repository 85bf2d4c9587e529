/* The files of OUT/analysis/: stats.csv, best.csv, pareto.csv, sla.csv, bottlenecks.csv and
 * summary.json (summary.md comes from markdown.c), each written atomically. Machine-read numbers
 * round-trip (fmt_num); an unknown value is an empty field in CSV and null in JSON. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/an_int.h"
#include "util/fs.h"
#include "util/json.h"

/* Shortest text that reads back as the same double, without an exponent for ordinary
 * magnitudes ("40", not "4e+01"). */
static void fmt_num(double v, char *b, size_t size) {
  int p;
  for (p = 1; p < 17; p++) {
    snprintf(b, size, "%.*g", p, v);
    if (strtod(b, NULL) == v) break;
  }
  if (p == 17) snprintf(b, size, "%.17g", v);
  if (strchr(b, 'e') && fabs(v) >= 1e-4 && fabs(v) < 1e15) {
    int dec = p - 1 - (int)floor(log10(fabs(v)));
    snprintf(b, size, "%.*f", dec < 0 ? 0 : dec, v);
  }
}

static void num(cs__sbuf *sb, double v) {
  char b[40];
  cs__sbuf_addc(sb, ',');
  if (isnan(v)) return;
  if (isinf(v)) cs__sbuf_adds(sb, v > 0 ? "inf" : "-inf");
  else {
    fmt_num(v, b, sizeof b);
    cs__sbuf_adds(sb, b);
  }
}
static void str(cs__sbuf *sb, const char *s) {
  cs__sbuf_addc(sb, ',');
  cs__csv_field(sb, s);
}
static void inum(cs__sbuf *sb, long long v) { cs__sbuf_addf(sb, ",%lld", v); }

static const char *const job_cols[] = {"model", "trace", "device", "network_device", "global_scheduler",
                                       "request_queue", "replica_scheduler", "chunk_size", "tp", "pp",
                                       "batch_size", "slo_name", "search_for"};
#define NJOBCOLS (sizeof job_cols / sizeof job_cols[0])

static const char *jf(const cs__job *j, const char *name) {
  for (int k = 0; k < CS__JF_COUNT; k++)
    if (!strcmp(cs__jf_name(k), name)) return j->f[k];
  return "";
}

static void job_params(cs__sbuf *sb, const cs__job *j) {
  for (size_t c = 0; c < NJOBCOLS; c++) str(sb, jf(j, job_cols[c]));
}
static void job_header(cs__sbuf *sb) {
  for (size_t c = 0; c < NJOBCOLS; c++) cs__sbuf_addf(sb, ",%s", job_cols[c]);
}

static void pcts(cs__sbuf *sb, const double *v) {
  for (int k = 0; k < CS__P_N; k++) num(sb, v[k]);
}

static int write_stats(const cs_analysis *a, const char *dir, cs_err *err) {
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__sbuf_adds(&sb, "job_hash");
  job_header(&sb);
  cs__sbuf_adds(&sb, ",run,qps,replicas,num_gpus,pass,stopped_early");
  static const char *const m[] = {"ttft", "tpot", "e2e", "sched_delay", "tbt"};
  for (int i = 0; i < 5; i++) cs__sbuf_addf(&sb, ",%s_p50,%s_p90,%s_p99", m[i], m[i], m[i]);
  cs__sbuf_adds(&sb, ",tbt_source,batch_size_p50,batch_size_p90,batch_tokens_p50,batch_tokens_p90,"
                     "kv_memory_mean_pct,kv_memory_max_pct,busy_time_pct,mfu_pct,prefix_hit_ratio,completed,"
                     "arrived,preemptions,runtime_s,throughput_rps,goodput_rps,goodput_fraction,"
                     "mean_prompt_tokens,mean_output_tokens,output_tokens_per_s\n");
  for (size_t i = 0; i < a->jobs.n; i++) {
    const cs__job *j = &a->jobs.v[i];
    for (size_t k = 0; k < j->probes.n; k++) {
      const cs__probe *p = &j->probes.v[k];
      if (!p->have_stats) continue;
      const cs__stats *s = &p->st;
      cs__csv_field(&sb, j->hash);
      job_params(&sb, j);
      str(&sb, p->name);
      num(&sb, p->qps);
      inum(&sb, p->replicas);
      inum(&sb, (long long)p->replicas * (j->tp > 0 ? j->tp : 1) * j->pp);
      str(&sb, p->have_pass ? (p->pass ? "true" : "false") : "");
      str(&sb, p->stopped_early ? "true" : "false"); /* figures of the partial run up to the stop */
      pcts(&sb, s->ttft);
      pcts(&sb, s->tpot);
      pcts(&sb, s->e2e);
      pcts(&sb, s->sched);
      pcts(&sb, s->tbt);
      str(&sb, s->tbt_source);
      num(&sb, s->batch_size_p50);
      num(&sb, s->batch_size_p90);
      num(&sb, s->batch_tokens_p50);
      num(&sb, s->batch_tokens_p90);
      num(&sb, s->mem_mean);
      num(&sb, s->mem_max);
      num(&sb, s->busy_mean);
      num(&sb, s->mfu_mean);
      num(&sb, s->prefix_hit);
      inum(&sb, s->completed);
      inum(&sb, s->arrived);
      inum(&sb, s->restarts);
      num(&sb, s->runtime_s);
      num(&sb, s->throughput_rps);
      num(&sb, s->goodput_rps);
      num(&sb, s->good_frac);
      num(&sb, s->mean_prompt);
      num(&sb, s->mean_output);
      num(&sb, s->out_tok_s);
      cs__sbuf_addc(&sb, '\n');
    }
  }
  char *path = cs__path_join(dir, "stats.csv");
  int rc = cs__write_file_atomic(path, sb.buf, sb.len, false, err);
  free(path);
  cs__sbuf_release(&sb);
  return rc;
}

static int write_best(const cs_analysis *a, const char *dir, cs_err *err) {
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__sbuf_adds(&sb, "model,trace,slo_name,rank,job_hash,config,device,network_device,global_scheduler,"
                     "request_queue,replica_scheduler,chunk_size,tp,pp,batch_size,search_for,status,"
                     "answer_from,answer_qps,answer_replicas,num_gpus,price_per_gpu_hour,price_source,"
                     "cost_per_hour,qps_per_dollar,usd_per_request,usd_per_million_tokens,"
                     "usd_per_million_output_tokens,monthly_usd,target_qps,target_utilization,"
                     "replicas_for_target,gpus_for_target,cost_per_hour_for_target,ttft_p90,ttft_p99,"
                     "tbt_p99,tbt_source,goodput_rps,saturation,bottleneck,answer_kind,sustained_qps\n");
  for (size_t g = 0; g < a->groups.n; g++) {
    const cs__group *G = &a->groups.v[g];
    for (size_t k = 0; k < G->jobs.n; k++) {
      const cs__job *j = &a->jobs.v[G->jobs.v[k]];
      const cs__probe *p = cs__an_answer_probe(j);
      char label[256];
      cs__an_config_label(j, label, sizeof label);
      cs__csv_field(&sb, G->model);
      str(&sb, G->trace);
      str(&sb, G->slo);
      if (j->rank) inum(&sb, j->rank);
      else str(&sb, "");
      str(&sb, j->hash);
      str(&sb, label);
      static const cs__jf cols[] = {CS__JF_DEVICE, CS__JF_NETWORK, CS__JF_GSCHED, CS__JF_QUEUE, CS__JF_RSCHED,
                                    CS__JF_CHUNK,  CS__JF_TP,      CS__JF_PP,     CS__JF_BS,    CS__JF_SEARCH};
      for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) str(&sb, j->f[cols[c]]);
      str(&sb, j->status[0] ? j->status : "pending");
      str(&sb, !j->answered ? "" : j->answer_derived ? "probes (unfinished search)" : "results.csv");
      num(&sb, j->answered ? j->answer_qps : NAN);
      if (j->answered) inum(&sb, j->answer_replicas);
      else str(&sb, "");
      if (j->answered) inum(&sb, j->num_gpus);
      else str(&sb, "");
      num(&sb, j->price);
      str(&sb, j->price_source);
      num(&sb, j->cost_per_hour);
      num(&sb, j->qps_per_dollar);
      num(&sb, j->usd_per_request);
      num(&sb, j->usd_per_mtok);
      num(&sb, j->usd_per_mtok_out);
      num(&sb, j->monthly);
      num(&sb, j->target_qps);
      num(&sb, j->answered ? a->util : NAN);
      if (j->answered) {
        inum(&sb, j->replicas_for_target);
        inum(&sb, (long long)j->replicas_for_target * (j->tp > 0 ? j->tp : 1) * j->pp);
      } else {
        str(&sb, "");
        str(&sb, "");
      }
      num(&sb, j->cost_for_target);
      num(&sb, p ? p->st.ttft[1] : NAN);
      num(&sb, p ? p->st.ttft[2] : NAN);
      num(&sb, p ? p->st.tbt[2] : NAN);
      str(&sb, p ? p->st.tbt_source : "");
      num(&sb, p ? p->st.goodput_rps : NAN);
      str(&sb, j->saturation);
      str(&sb, j->bottleneck ? j->bottleneck : "");
      str(&sb, cs__an_answer_kind(j));
      num(&sb, j->answered ? j->rec_sustained_qps : NAN);
      cs__sbuf_addc(&sb, '\n');
    }
  }
  char *path = cs__path_join(dir, "best.csv");
  int rc = cs__write_file_atomic(path, sb.buf, sb.len, false, err);
  free(path);
  cs__sbuf_release(&sb);
  return rc;
}

/* (model, trace) pairs in group order, each once. */
static size_t model_traces(const cs_analysis *a, size_t *first_group) {
  size_t n = 0;
  for (size_t g = 0; g < a->groups.n; g++) {
    bool seen = false;
    for (size_t k = 0; k < n && !seen; k++) {
      const cs__group *o = &a->groups.v[first_group[k]];
      seen = !strcmp(o->model, a->groups.v[g].model) && !strcmp(o->trace, a->groups.v[g].trace);
    }
    if (!seen) first_group[n++] = g;
  }
  return n;
}

static int pt_cmp(const void *x, const void *y) {
  const cs__pareto_pt *a = x, *b = y;
  if (a->y != b->y) return a->y < b->y ? -1 : 1;
  if (a->x != b->x) return a->x > b->x ? -1 : 1;
  return (a->job > b->job) - (a->job < b->job);
}

static int write_pareto(const cs_analysis *a, const char *dir, cs_err *err) {
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__sbuf_adds(&sb, "model,trace,front,job_hash,slo_name,config,qps_per_dollar,latency_s,latency_source\n");
  size_t *mt = cs__xcalloc(a->groups.n + 1, sizeof *mt);
  size_t nmt = model_traces(a, mt);
  for (size_t m = 0; m < nmt; m++) {
    const cs__group *G = &a->groups.v[mt[m]];
    for (int axis = 0; axis < 3; axis++) {
      size_t n;
      cs__pareto_pt *pts = cs__an_pareto_points(a, G->model, G->trace, axis, &n);
      qsort(pts, n, sizeof *pts, pt_cmp);
      bool *on = cs__xcalloc(n + 1, sizeof *on);
      cs__pareto_mark(pts, n, on);
      for (size_t i = 0; i < n; i++) {
        if (!on[i]) continue;
        const cs__job *j = &a->jobs.v[pts[i].job];
        const cs__probe *p = cs__an_answer_probe(j);
        char label[256];
        cs__an_config_label(j, label, sizeof label);
        cs__csv_field(&sb, G->model);
        str(&sb, G->trace);
        str(&sb, cs__pareto_axis_names[axis]);
        str(&sb, j->hash);
        str(&sb, j->f[CS__JF_SLO]);
        str(&sb, label);
        num(&sb, pts[i].x);
        num(&sb, pts[i].y);
        str(&sb, axis == 2 ? p->st.tbt_source : "prefill_e2e_time");
        cs__sbuf_addc(&sb, '\n');
      }
      free(on);
      free(pts);
    }
  }
  free(mt);
  char *path = cs__path_join(dir, "pareto.csv");
  int rc = cs__write_file_atomic(path, sb.buf, sb.len, false, err);
  free(path);
  cs__sbuf_release(&sb);
  return rc;
}

static int write_sla_and_bottlenecks(const cs_analysis *a, const char *dir, cs_err *err) {
  cs__sbuf sla, bn;
  cs__sbuf_init(&sla);
  cs__sbuf_init(&bn);
  cs__sbuf_adds(&sla, "model,trace,slo_name,job_hash,metric,quantile,target,predicted,pass,gap_pct,slo_type,slo_pass\n");
  cs__sbuf_adds(&bn, "model,trace,slo_name,job_hash,config,bottleneck,saturation\n");
  for (size_t g = 0; g < a->groups.n; g++) {
    const cs__group *G = &a->groups.v[g];
    if (G->best < 0) continue;
    const cs__job *j = &a->jobs.v[G->best];
    char label[256];
    cs__an_config_label(j, label, sizeof label);
    cs__csv_field(&bn, G->model);
    str(&bn, G->trace);
    str(&bn, G->slo);
    str(&bn, j->hash);
    str(&bn, label);
    str(&bn, j->bottleneck);
    str(&bn, j->saturation);
    cs__sbuf_addc(&bn, '\n');
    const cs__probe *p = cs__an_answer_probe(j);
    for (int s = 0; s < j->nslo; s++) {
      double t = j->slo[s].value, pr = p ? p->st.slo_pred[s] : NAN;
      cs__csv_field(&sla, G->model);
      str(&sla, G->trace);
      str(&sla, G->slo);
      str(&sla, j->hash);
      str(&sla, j->slo[s].metric);
      num(&sla, j->slo_quantile);
      num(&sla, t);
      num(&sla, pr);
      str(&sla, isnan(pr) ? "" : pr <= t ? "pass" : "fail");
      num(&sla, isnan(pr) || t == 0 ? NAN : (pr - t) / t * 100.0);
      double frac;
      int v = cs__an_slo_verdict(j, p, &frac); /* `pass` is this target's; slo_pass the SLO's, by its type */
      str(&sla, j->slo_or ? "or" : "and");
      str(&sla, v < 0 ? "" : v ? "pass" : "fail");
      cs__sbuf_addc(&sla, '\n');
    }
  }
  char *p1 = cs__path_join(dir, "sla.csv"), *p2 = cs__path_join(dir, "bottlenecks.csv");
  int rc = cs__write_file_atomic(p1, sla.buf, sla.len, false, err);
  if (!rc) rc = cs__write_file_atomic(p2, bn.buf, bn.len, false, err);
  free(p1);
  free(p2);
  cs__sbuf_release(&sla);
  cs__sbuf_release(&bn);
  return rc;
}

static void jnum_or_null(cs__jw *w, const char *k, double v) {
  if (isfinite(v)) cs__jw_knum(w, k, v);
  else {
    cs__jw_key(w, k);
    cs__jw_null(w);
  }
}

static int write_summary(const cs_analysis *a, const char *dir, cs_err *err) {
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__jw w;
  cs__jw_init(&w, &sb, false);
  cs__jw_obj_begin(&w);
  cs__jw_kint(&w, "version", 1);
  cs__jw_kint(&w, "jobs", (int64_t)a->jobs.n);
  cs__jw_kint(&w, "completed_runs", (int64_t)a->num_runs);
  size_t pending = cs__an_pending_jobs(a);
  cs__jw_kbool(&w, "partial", pending > 0 || !a->have_results); /* work still to do */
  cs__jw_kint(&w, "pending_jobs", (int64_t)pending);
  jnum_or_null(&w, "target_qps", a->opts.target_qps);
  cs__jw_knum(&w, "headroom_pct", a->opts.headroom_pct);
  cs__jw_knum(&w, "target_utilization", a->util);
  cs__jw_kstr(&w, "pricing", a->opts.pricing == CS_PRICING_SPOT ? "spot"
                             : a->opts.pricing == CS_PRICING_ONDEMAND ? "ondemand" : "sweep");
  cs__jw_key(&w, "best");
  cs__jw_arr_begin(&w);
  for (size_t g = 0; g < a->groups.n; g++) {
    const cs__group *G = &a->groups.v[g];
    cs__jw_obj_begin(&w);
    cs__jw_kstr(&w, "model", G->model);
    cs__jw_kstr(&w, "trace", G->trace);
    cs__jw_kstr(&w, "slo_name", G->slo);
    cs__jw_kint(&w, "jobs", (int64_t)G->jobs.n);
    if (G->best >= 0) {
      const cs__job *j = &a->jobs.v[G->best];
      char label[256];
      cs__an_config_label(j, label, sizeof label);
      cs__jw_kstr(&w, "job_hash", j->hash);
      cs__jw_kstr(&w, "config", label);
      cs__jw_kbool(&w, "search_unfinished", j->answer_derived);
      cs__jw_kstr(&w, "answer_kind", cs__an_answer_kind(j));
      cs__jw_kbool(&w, "answer_is_bound", cs__an_answer_is_bound(j));
      cs__jw_knum(&w, "answer_qps", j->answer_qps);
      jnum_or_null(&w, "sustained_qps", j->rec_sustained_qps);
      cs__jw_kint(&w, "answer_replicas", j->answer_replicas);
      cs__jw_kint(&w, "num_gpus", j->num_gpus);
      cs__jw_knum(&w, "price_per_gpu_hour", j->price);
      cs__jw_kstr(&w, "price_source", j->price_source);
      cs__jw_knum(&w, "cost_per_hour", j->cost_per_hour);
      cs__jw_knum(&w, "qps_per_dollar", j->qps_per_dollar);
      cs__jw_knum(&w, "usd_per_request", j->usd_per_request);
      jnum_or_null(&w, "usd_per_million_tokens", j->usd_per_mtok);
      cs__jw_knum(&w, "monthly_usd", j->monthly);
      cs__jw_knum(&w, "target_qps", j->target_qps);
      cs__jw_kint(&w, "replicas_for_target", j->replicas_for_target);
      cs__jw_knum(&w, "cost_per_hour_for_target", j->cost_for_target);
      cs__jw_kstr(&w, "bottleneck", j->bottleneck);
      cs__jw_kstr(&w, "saturation", j->saturation);
      const cs__probe *p = cs__an_answer_probe(j);
      double frac;
      int v = cs__an_slo_verdict(j, p, &frac);
      cs__jw_kstr(&w, "slo_type", j->slo_or ? "or" : "and");
      cs__jw_key(&w, "slo_pass"); /* the SLO's verdict by its type; each sla item's pass is its target's */
      if (v < 0) cs__jw_null(&w);
      else cs__jw_bool(&w, v);
      cs__jw_key(&w, "sla");
      cs__jw_arr_begin(&w);
      for (int s = 0; p && s < j->nslo; s++) {
        double t = j->slo[s].value, pr = p->st.slo_pred[s];
        cs__jw_obj_begin(&w);
        cs__jw_kstr(&w, "metric", j->slo[s].metric);
        cs__jw_knum(&w, "quantile", j->slo_quantile);
        cs__jw_knum(&w, "target", t);
        jnum_or_null(&w, "predicted", pr);
        cs__jw_kbool(&w, "pass", pr <= t);
        jnum_or_null(&w, "gap_pct", (pr - t) / t * 100.0);
        cs__jw_obj_end(&w);
      }
      cs__jw_arr_end(&w);
    } else {
      cs__jw_key(&w, "job_hash");
      cs__jw_null(&w);
      const char *nm = NULL;
      for (size_t k = 0; k < G->jobs.n && !nm; k++) nm = strstr(a->jobs.v[G->jobs.v[k]].reason, "nearest miss: ");
      if (nm) cs__jw_kstr(&w, "nearest_miss", nm + 14);
    }
    cs__jw_obj_end(&w);
  }
  cs__jw_arr_end(&w);
  cs__jw_key(&w, "missing");
  cs__jw_arr_begin(&w);
  for (size_t i = 0; i < a->missing.n; i++) cs__jw_str(&w, a->missing.v[i]);
  cs__jw_arr_end(&w);
  cs__jw_key(&w, "warnings");
  cs__jw_arr_begin(&w);
  for (size_t i = 0; i < a->warnings.n; i++) cs__jw_str(&w, a->warnings.v[i]);
  cs__jw_arr_end(&w);
  cs__jw_obj_end(&w);
  cs__sbuf_addc(&sb, '\n');
  char *path = cs__path_join(dir, "summary.json");
  int rc = cs__jw_finish(&w, path, err);
  if (!rc) rc = cs__write_file_atomic(path, sb.buf, sb.len, false, err);
  free(path);
  cs__sbuf_release(&sb);
  return rc;
}

const char *cs_analysis_file_names(const cs_analysis *a) {
  /* in the order cs_analysis_write writes them; keep the two together */
  return cs__an_any_deployment(a) ? "stats.csv best.csv pareto.csv sla.csv bottlenecks.csv summary.json summary.md "
                                    "disaggregation.csv deploy.md deploy.json"
                                  : "stats.csv best.csv pareto.csv sla.csv bottlenecks.csv summary.json summary.md "
                                    "deploy.md deploy.json";
}

int cs_analysis_write(const cs_analysis *a, cs_err *err) {
  char *dir = cs__path_join(a->out_dir, "analysis");
  int rc = cs_analysis_write_to(a, dir, err);
  free(dir);
  return rc;
}

int cs_analysis_write_to(const cs_analysis *a, const char *dir, cs_err *err) {
  int rc = cs__mkdir_p(dir, err);
  if (!rc) rc = write_stats(a, dir, err);
  if (!rc) rc = write_best(a, dir, err);
  if (!rc) rc = write_pareto(a, dir, err);
  if (!rc) rc = write_sla_and_bottlenecks(a, dir, err);
  if (!rc) rc = write_summary(a, dir, err);
  if (!rc) rc = cs__an_write_markdown(a, dir, err);
  if (!rc) rc = cs__an_write_disagg(a, dir, err);
  if (!rc) rc = cs__an_write_deploy(a, dir, err);
  return rc;
}
