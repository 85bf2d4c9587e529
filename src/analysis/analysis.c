/* cs_analysis lifecycle and options; the terminal summary. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/an_int.h"
#include "util/fs.h"
#include "util/num.h"

void cs_analysis_opts_init(cs_analysis_opts *o) {
  memset(o, 0, sizeof *o);
  o->headroom_pct = 25.0;
  o->pricing = CS_PRICING_DEFAULT;
}

int cs_analysis_opts_add_price(cs_analysis_opts *o, const char *spec, cs_err *err) {
  const char *eq = strchr(spec, '=');
  if (!eq || eq == spec || !eq[1])
    return cs_err_set(err, CS_EUSAGE, "expected DEVICE=USD_PER_GPU_HOUR (e.g. h100=3.50), got '%s'", spec);
  if ((size_t)(eq - spec) >= sizeof o->override_device[0])
    return cs_err_set(err, CS_EUSAGE, "'%s': device name too long", spec);
  static const cs_num_range usd = {0, 1e9, true, false};
  double v;
  char why[256];
  if (cs_num_parse(eq + 1, &usd, &v, why, sizeof why))
    return cs_err_set(err, CS_EUSAGE, "'%s': expected a positive $/GPU-hour after '=', got '%s'", spec, eq + 1);
  int slot = o->num_overrides;
  for (int i = 0; i < o->num_overrides; i++)
    if ((size_t)(eq - spec) == strlen(o->override_device[i]) && !strncmp(o->override_device[i], spec, (size_t)(eq - spec)))
      slot = i; /* the last --price for a device wins */
  if (slot == CS_ANALYSIS_MAX_OVERRIDES)
    return cs_err_set(err, CS_EUSAGE, "at most %d devices", CS_ANALYSIS_MAX_OVERRIDES);
  memcpy(o->override_device[slot], spec, (size_t)(eq - spec));
  o->override_device[slot][eq - spec] = '\0';
  o->override_price[slot] = v;
  if (slot == o->num_overrides) o->num_overrides++;
  return 0;
}

static int job_cmp(const void *x, const void *y) {
  const cs__job *a = x, *b = y;
  int c;
  if ((c = strcmp(a->f[CS__JF_MODEL], b->f[CS__JF_MODEL]))) return c;
  if ((c = strcmp(a->f[CS__JF_TRACE], b->f[CS__JF_TRACE]))) return c;
  if ((c = strcmp(a->f[CS__JF_SLO], b->f[CS__JF_SLO]))) return c;
  return strcmp(a->hash, b->hash);
}

static int str_cmp(const void *x, const void *y) { return strcmp(*(char *const *)x, *(char *const *)y); }

int cs_analysis_load(const char *out_dir, const cs_analysis_opts *opts, cs_analysis **out, cs_err *err) {
  *out = NULL;
  cs_analysis *a = cs__xcalloc(1, sizeof *a);
  a->out_dir = cs__xstrdup(out_dir);
  if (opts) a->opts = *opts;
  else cs_analysis_opts_init(&a->opts);
  a->opts.catalog_prices = NULL; /* borrowed only while loading: copy what derive needs below */
  int rc = cs__an_scan(a, err);
  if (rc) {
    cs_analysis_free(a);
    return rc;
  }
  if (a->num_pruned)
    cs__an_warn(a,
                "%zu probe run(s) had their files deleted by --keep-runs: their verdicts count, but stats.csv has no "
                "latency statistics for them",
                a->num_pruned);
  if (a->jobs.n) qsort(a->jobs.v, a->jobs.n, sizeof *a->jobs.v, job_cmp);
  a->opts.catalog_prices = opts ? opts->catalog_prices : NULL;
  cs__an_derive(a);
  a->opts.catalog_prices = NULL;
  a->opts.num_catalog_prices = 0;
  /* warnings and missing entries in a fixed order, whatever the directory order was */
  if (a->missing.n) qsort(a->missing.v, a->missing.n, sizeof(char *), str_cmp);
  *out = a;
  return 0;
}

void cs_analysis_free(cs_analysis *a) {
  if (!a) return;
  for (size_t i = 0; i < a->jobs.n; i++) {
    cs__job *j = &a->jobs.v[i];
    free(j->hash);
    for (int k = 0; k < CS__JF_COUNT; k++) free(j->f[k]);
    free(j->status);
    free(j->reason);
    free(j->answer_kind);
    free(j->deployment);
    for (size_t p = 0; p < j->probes.n; p++) {
      free(j->probes.v[p].name);
      free(j->probes.v[p].timestamp_dir);
    }
    free(j->probes.v);
  }
  free(a->jobs.v);
  for (size_t g = 0; g < a->groups.n; g++) free(a->groups.v[g].jobs.v);
  free(a->groups.v);
  for (size_t i = 0; i < a->warnings.n; i++) free(a->warnings.v[i]);
  free(a->warnings.v);
  for (size_t i = 0; i < a->missing.n; i++) free(a->missing.v[i]);
  free(a->missing.v);
  free(a->out_dir);
  free(a);
}

size_t cs_analysis_num_jobs(const cs_analysis *a) { return a->jobs.n; }
size_t cs_analysis_num_runs(const cs_analysis *a) { return a->num_runs; }
size_t cs_analysis_num_warnings(const cs_analysis *a) { return a->warnings.n; }
const char *cs_analysis_warning(const cs_analysis *a, size_t i) { return i < a->warnings.n ? a->warnings.v[i] : NULL; }
size_t cs_analysis_num_missing(const cs_analysis *a) { return a->missing.n; }
const char *cs_analysis_missing(const cs_analysis *a, size_t i) { return i < a->missing.n ? a->missing.v[i] : NULL; }

/* ---- terminal summary -------------------------------------------------------------------- */

static const char *secs(double v, char *buf, size_t n) {
  if (isnan(v)) snprintf(buf, n, "n/a");
  else if (isinf(v)) snprintf(buf, n, "inf (unfinished requests)");
  else if (v < 1.0) snprintf(buf, n, "%.0f ms", v * 1000);
  else snprintf(buf, n, "%.2f s", v);
  return buf;
}

/* A group where nothing passed: each job's nearest miss (results.csv reason), up to three. */
static void nearest_misses(cs__sbuf *sb, const cs_analysis *a, const cs__group *G) {
  size_t shown = 0, nfail = 0, ninf = 0;
  for (size_t k = 0; k < G->jobs.n; k++) {
    const cs__job *j = &a->jobs.v[G->jobs.v[k]];
    const char *nm = strstr(j->reason, "nearest miss: ");
    nfail += !strcmp(j->status, "failed");
    ninf += !strcmp(j->status, "infeasible");
    if (!nm || shown >= 3) continue;
    char label[256];
    cs__an_config_label(j, label, sizeof label);
    cs__sbuf_addf(sb, "  %s  [%s]\n        %s\n", label, j->hash, nm);
    shown++;
  }
  if (nfail || ninf) cs__sbuf_addf(sb, "  (%zu failed, %zu infeasible: see results.csv reason)\n", nfail, ninf);
}

char *cs_analysis_summary_text(const cs_analysis *a) {
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  size_t ok = 0, bounds = 0, unbacked = 0, nopass = 0, infeasible = 0, failed = 0, pending = cs__an_pending_jobs(a);
  for (size_t i = 0; i < a->jobs.n; i++) {
    const cs__job *j = &a->jobs.v[i];
    if (j->unbacked) unbacked++;
    else if (!strcmp(j->status, "ok")) ok++, bounds += cs__an_answer_is_bound(j);
    else if (!strcmp(j->status, "no_pass")) nopass++;
    else if (!strcmp(j->status, "infeasible")) infeasible++;
    else if (!strcmp(j->status, "failed")) failed++;
  }
  cs__sbuf_addf(&sb, "%zu jobs: %zu finished with an answer", a->jobs.n, ok);
  if (bounds) cs__sbuf_addf(&sb, " (%zu only a bound)", bounds);
  if (unbacked) cs__sbuf_addf(&sb, ", %zu with an answer no probe backs (not ranked; see the warnings)", unbacked);
  cs__sbuf_addf(&sb, ", %zu no-pass, %zu infeasible, %zu failed, %zu pending; %zu completed runs\n", nopass, infeasible,
                failed, pending, a->num_runs);
  for (size_t g = 0; g < a->groups.n; g++) {
    const cs__group *G = &a->groups.v[g];
    cs__sbuf_addf(&sb, "\n%s / %s / SLO %s:\n", G->model[0] ? G->model : "?", G->trace[0] ? G->trace : "?",
                  G->slo[0] ? G->slo : "?");
    cs__an_disagg_summary(a, g, &sb);
    if (G->best < 0 && cs__an_group_unbacked(a, G)) {
      cs__sbuf_addf(&sb, "  no configuration ranked: %zu of %zu job(s) have an answer no probe backs (see the warnings)\n",
                    cs__an_group_unbacked(a, G), G->jobs.n);
      continue;
    }
    if (G->best < 0) {
      cs__sbuf_addf(&sb, "  no configuration met the SLO (%zu job(s))\n", G->jobs.n);
      nearest_misses(&sb, a, G);
      continue;
    }
    const cs__job *j = &a->jobs.v[G->best];
    char label[256], b1[64];
    cs__an_config_label(j, label, sizeof label);
    char ans[128];
    cs__an_answer_text(j, ans, sizeof ans);
    bool bound = cs__an_answer_is_bound(j);
    cs__sbuf_addf(&sb, "  best: %s  [%s]%s\n", label, j->hash,
                  bound ? "  (ONLY A BOUND: the capacity limit was not found; the figures below are bounds too)" : "");
    if (bound && j->reason[0]) cs__sbuf_addf(&sb, "        why: %s\n", j->reason);
    cs__sbuf_addf(&sb, "        %s on %d GPU(s) at $%.2f/GPU-h (%s): $%.2f/h, %s%.4g QPS per $/h, $%s%.3g per 1K requests",
                  ans, j->num_gpus, j->price, j->price_source, j->cost_per_hour, bound ? ">= " : "", j->qps_per_dollar,
                  bound ? "<= " : "", j->usd_per_request * 1000);
    if (isfinite(j->usd_per_mtok)) cs__sbuf_addf(&sb, ", $%.3g per M tokens", j->usd_per_mtok);
    cs__sbuf_addc(&sb, '\n');
    cs__sbuf_addf(&sb, "        %.4g QPS at %.0f%% utilisation: %d replica(s), %d GPUs, $%.2f/h, $%.0f/month\n",
                  j->target_qps, a->util * 100, j->replicas_for_target,
                  j->pool_gpus > 0 ? j->replicas_for_target / j->answer_replicas * j->num_gpus
                                   : j->replicas_for_target * (j->tp > 0 ? j->tp : 1) * j->pp,
                  j->cost_for_target, j->cost_for_target * 730.0);
    const cs__probe *p = cs__an_answer_probe(j);
    if (p) {
      double frac;
      int v = cs__an_slo_verdict(j, p, &frac);
      if (j->nslo > 1 && v >= 0) /* the SLO's own verdict first: the lines below are per target */
        cs__sbuf_addf(&sb, "        SLO %s (%s): %.1f%% of requests meet %s (P%g needs %g%%): %s\n", G->slo,
                      j->slo_or ? "or" : "and", frac * 100, j->slo_or ? "at least one target" : "every target",
                      j->slo_quantile * 100, j->slo_quantile * 100, v ? "pass" : "FAIL");
      for (int s = 0; s < j->nslo; s++) {
        double t = j->slo[s].value, pr = p->st.slo_pred[s];
        cs__sbuf_addf(&sb, "        SLA %s P%g: target %s, predicted ", j->slo[s].metric, j->slo_quantile * 100,
                      secs(t, b1, sizeof b1));
        cs__sbuf_addf(&sb, "%s, %s (gap %+.1f%%)\n", secs(pr, b1, sizeof b1), cs__an_target_word(j, pr, t, false),
                      (pr - t) / t * 100);
      }
    }
    cs__sbuf_addf(&sb, "        bottleneck: %s%s%s\n", j->bottleneck ? j->bottleneck : "n/a",
                  j->saturation && *j->saturation ? "; load " : "", j->saturation ? j->saturation : "");
    cs__sbuf_adds(&sb, "        deploy: ");
    cs__an_vllm_command(j, &sb);
    cs__sbuf_addf(&sb, "  (x %d replica(s); analysis/deploy.md)\n", j->replicas_for_target);
  }
  if (a->missing.n) {
    if (pending || !a->have_results)
      cs__sbuf_addf(&sb, "\npartial output directory (%zu job(s) pending: interrupted or still running): %zu item(s) missing\n",
                    pending, a->missing.n);
    else
      cs__sbuf_addf(&sb, "\nevery job finished, but %zu item(s) are missing from the output directory\n", a->missing.n);
    for (size_t i = 0; i < a->missing.n && i < 10; i++) cs__sbuf_addf(&sb, "  missing: %s\n", a->missing.v[i]);
    if (a->missing.n > 10) cs__sbuf_addf(&sb, "  ... and %zu more (analysis/summary.json lists all)\n", a->missing.n - 10);
  }
  char *text = cs__sbuf_detach(&sb);
  cs__sbuf_release(&sb);
  return text;
}
