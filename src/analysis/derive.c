/* What the analysis derives from the runs: each job's answer, its price and costs, the ranking per
 * (model, trace, SLO), Pareto fronts and the bottleneck label of each best configuration. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analysis/an_int.h"
#include "store/store.h" /* the probe directory's name */
#include "util/fs.h"

#define HOURS_PER_MONTH 730.0 /* ConfigIQ's monthly figure */

double cs_analysis_utilization(double headroom_pct) {
  double u = 1.0 - headroom_pct / 100.0;
  if (u > 0.95) u = 0.95;
  if (u < 0.50) u = 0.50;
  return u;
}

const cs__probe *cs__an_answer_probe(const cs__job *j) {
  if (j->answer_probe < 0 || (size_t)j->answer_probe >= j->probes.n) return NULL;
  const cs__probe *p = &j->probes.v[j->answer_probe];
  return p->have_stats ? p : NULL;
}

int cs__an_slo_verdict(const cs__job *j, const cs__probe *p, double *frac) {
  *frac = NAN;
  if (!p || !p->have_stats || j->nslo <= 0) return -1;
  if (j->nslo == 1) {
    double pr = p->st.slo_pred[0];
    return isnan(pr) ? -1 : pr <= j->slo[0].value;
  }
  *frac = p->st.good_frac;
  return isnan(*frac) ? -1 : *frac >= j->slo_quantile;
}

const char *cs__an_target_word(const cs__job *j, double predicted, double target, bool md) {
  if (predicted <= target) return "pass";
  if (j->slo_or && j->nslo > 1)
    return md ? "above target (informational: `or` SLO)" : "above target, informational: an `or` SLO";
  return md ? "**fail**" : "FAIL";
}

const char *cs__an_answer_kind(const cs__job *j) {
  if (!j->answered) return "";
  if (j->answer_derived) return "lower_bound";
  if (j->answer_kind && j->answer_kind[0]) return j->answer_kind;
  /* results.csv from before the answer_kind column: its reason said so */
  if (!strncmp(j->reason, "lower bound", 11)) return "lower_bound";
  return "capacity";
}

bool cs__an_answer_is_bound(const cs__job *j) { return strstr(cs__an_answer_kind(j), "_bound") != NULL; }

void cs__an_answer_text(const cs__job *j, char *buf, size_t size) {
  const char *k = cs__an_answer_kind(j);
  if (!j->answered) snprintf(buf, size, "-");
  else if (!strcmp(k, "lower_bound"))
    snprintf(buf, size, ">= %.4g QPS (lower bound%s)", j->answer_qps, j->answer_derived ? ": search unfinished" : "");
  else if (!strcmp(k, "upper_bound"))
    snprintf(buf, size, "%.4g QPS on <= %d replicas (upper bound)", j->answer_qps, j->answer_replicas);
  else snprintf(buf, size, "%.4g QPS", j->answer_qps);
}

size_t cs__an_pending_jobs(const cs_analysis *a) {
  size_t n = 0;
  for (size_t i = 0; i < a->jobs.n; i++) {
    const cs__job *j = &a->jobs.v[i];
    n += !strcmp(j->status, "pending") || !j->status[0];
  }
  return n;
}

static bool same_qps(double a, double b) { return fabs(a - b) <= 1e-9 * fmax(1.0, fabs(b)); }

/* A finished job's answer in results.csv that no committed probe of the job backs (a passing
 * probe.json, intact, at exactly that QPS and replica count): results.csv edited by hand, or the
 * probe damaged, moved or removed. The job is not ranked (its answer is not shown as one); the
 * warning names the job, the probe file and what it holds instead. */
static void unbacked_answer(cs_analysis *a, cs__job *j) {
  char *dir = cs__store_probe_dir(a->out_dir, j->hash, j->answer_replicas, j->answer_qps);
  const char *why = "does not exist";
  for (size_t i = 0; i < j->probes.n; i++) {
    const cs__probe *p = &j->probes.v[i];
    if (!same_qps(p->qps, j->answer_qps) || p->replicas != j->answer_replicas) continue;
    why = !p->complete ? "is damaged, misplaced or of other inputs (see its warning)" : "records a failing verdict";
  }
  if (!strcmp(why, "does not exist") && cs__path_exists(dir))
    why = "is missing, unreadable or of other inputs";
  cs__an_warn(a, "job %s: results.csv gives the answer %g QPS on %d replicas, but %s/probe.json %s; the job is not "
              "ranked", j->hash, j->answer_qps, j->answer_replicas, dir, why);
  free(dir);
  j->answered = false;
  j->answer_probe = -1;
  j->unbacked = true;
}

size_t cs__an_group_unbacked(const cs_analysis *a, const cs__group *G) {
  size_t n = 0;
  for (size_t k = 0; k < G->jobs.n; k++) n += a->jobs.v[G->jobs.v[k]].unbacked;
  return n;
}

/* The answer: what results.csv recorded for a finished search, else the best passing probe so
 * far (an interrupted search's lower bound, flagged as derived). */
static void find_answer(cs_analysis *a, cs__job *j) {
  bool by_replicas = !strcmp(j->f[CS__JF_SEARCH], "num_replicas");
  bool isoqps = !strcmp(j->f[CS__JF_SEARCH], "isoqps");
  j->answered = false;
  j->unbacked = false;
  j->answer_probe = -1;
  if (isoqps) return; /* fixed multipliers, no verdict */
  bool finished = !strcmp(j->status, "ok");
  if (finished && (by_replicas ? j->rec_answer_replicas > 0 : j->rec_answer_qps > 0)) {
    j->answered = true;
    j->answer_qps = by_replicas ? atof(j->f[CS__JF_QPS0]) : j->rec_answer_qps;
    j->answer_replicas = by_replicas ? (int)j->rec_answer_replicas : j->replicas;
    if (!by_replicas && j->rec_answer_replicas > 0) j->answer_replicas = (int)j->rec_answer_replicas;
    if (!(j->answer_qps > 0) && j->rec_answer_qps > 0) j->answer_qps = j->rec_answer_qps;
    for (size_t i = 0; i < j->probes.n; i++) {
      const cs__probe *p = &j->probes.v[i];
      if (!p->complete || (p->have_pass && !p->pass)) continue;
      if (same_qps(p->qps, j->answer_qps) && p->replicas == j->answer_replicas) j->answer_probe = (int)i;
    }
    if (j->answer_probe < 0) unbacked_answer(a, j);
    return;
  }
  if (!strcmp(j->status, "no_pass") || !strcmp(j->status, "infeasible") || !strcmp(j->status, "failed")) return;
  for (size_t i = 0; i < j->probes.n; i++) {
    const cs__probe *p = &j->probes.v[i];
    if (!p->complete || !p->have_pass || !p->pass) continue;
    bool better = j->answer_probe < 0 ||
                  (by_replicas ? p->replicas < j->answer_replicas : p->qps > j->answer_qps);
    if (better) {
      j->answer_probe = (int)i;
      j->answer_qps = p->qps;
      j->answer_replicas = p->replicas;
    }
  }
  j->answered = j->answer_probe >= 0;
  j->answer_derived = j->answered;
}

static void find_price(cs_analysis *a, cs__job *j) {
  const cs_analysis_opts *o = &a->opts;
  const char *dev = j->f[CS__JF_DEVICE];
  j->price = NAN;
  for (int i = 0; i < o->num_overrides; i++)
    if (!strcasecmp(o->override_device[i], dev)) {
      j->price = o->override_price[i];
      j->price_source = "--price";
      return;
    }
  const cs_price_entry *cat = NULL;
  for (size_t i = 0; i < o->num_catalog_prices; i++)
    if (o->catalog_prices[i].device && !strcasecmp(o->catalog_prices[i].device, dev)) cat = &o->catalog_prices[i];
  if (o->pricing == CS_PRICING_SPOT) {
    if (cat && cat->spot > 0) {
      j->price = cat->spot;
      j->price_source = "catalog spot";
      return;
    }
    /* one warning per device is enough: the caller deduplicates by message */
  }
  if (o->pricing == CS_PRICING_ONDEMAND && cat && cat->ondemand > 0) {
    j->price = cat->ondemand;
    j->price_source = "catalog on-demand";
    return;
  }
  if (o->pricing != CS_PRICING_ONDEMAND && j->rec_price > 0) {
    j->price = j->rec_price;
    j->price_source = o->pricing == CS_PRICING_SPOT ? "sweep (no spot price in the catalog)" : "sweep";
    return;
  }
  if (cat && cat->ondemand > 0) {
    j->price = cat->ondemand;
    j->price_source = "catalog on-demand";
    return;
  }
  j->price_source = "none";
}

static void costs(cs_analysis *a, cs__job *j) {
  j->num_gpus = 0;
  j->cost_per_hour = j->qps_per_dollar = j->usd_per_request = j->usd_per_mtok = j->usd_per_mtok_out = NAN;
  j->monthly = j->target_qps = j->cost_for_target = NAN;
  j->replicas_for_target = 0;
  if (!j->answered) return;
  int tp = (j->tp > 0 ? j->tp : 1) * (j->dp > 1 ? j->dp : 1); /* GPUs across a replica's pipeline stage */
  j->num_gpus = j->pool_gpus > 0 ? j->pool_gpus : j->answer_replicas * tp * j->pp;
  j->cost_per_hour = j->num_gpus * j->price;
  j->qps_per_dollar = j->answer_qps / j->cost_per_hour;
  j->usd_per_request = j->cost_per_hour / (j->answer_qps * 3600.0);
  j->monthly = j->cost_per_hour * HOURS_PER_MONTH;
  const cs__probe *p = cs__an_answer_probe(j);
  if (p) {
    double tok = p->st.mean_prompt + p->st.mean_output;
    if (tok > 0) j->usd_per_mtok = j->usd_per_request / tok * 1e6;
    if (p->st.mean_output > 0) j->usd_per_mtok_out = j->usd_per_request / p->st.mean_output * 1e6;
  }
  /* replicas for the target: per-replica capacity at the SLO, loaded to the headroom's
   * utilisation (ConfigIQ: instances = ceil(demand / (capacity x utilisation))) */
  double per_replica = j->answer_qps / j->answer_replicas;
  j->target_qps = a->opts.target_qps > 0 ? a->opts.target_qps : j->answer_qps;
  j->replicas_for_target = (int)ceil(j->target_qps / (per_replica * a->util) - 1e-9);
  if (j->replicas_for_target < 1) j->replicas_for_target = 1;
  j->cost_for_target = j->replicas_for_target * tp * j->pp * j->price;
  if (j->pool_gpus > 0) { /* disaggregated: scale whole xPyD units (both pools together) */
    int units = (int)ceil(j->target_qps / (j->answer_qps * a->util) - 1e-9);
    if (units < 1) units = 1;
    j->replicas_for_target = units * j->answer_replicas;
    j->cost_for_target = (double)units * j->num_gpus * j->price;
  }
}

/* BLIS-style saturation label of the answer's run: did the replicas keep up with arrivals? */
static const char *saturation(const cs__probe *p) {
  if (!p || p->st.arrived <= 0) return "";
  double done = (double)p->st.completed / (double)p->st.arrived;
  if (done >= 1.0 && !p->hit_time_limit) return "STABLE";
  return done >= 0.95 ? "BACKLOGGED" : "OVERLOADED";
}

/* ranking: QPS per dollar (desc), then answer QPS (desc), then hash, so ties never depend on
 * directory order; unanswered and unpriced jobs last, by hash. */
static int rank_cmp_impl(const cs__job *x, const cs__job *y) {
  bool ax = x->answered && isfinite(x->qps_per_dollar), ay = y->answered && isfinite(y->qps_per_dollar);
  if (ax != ay) return ax ? -1 : 1;
  if (ax) {
    if (x->qps_per_dollar != y->qps_per_dollar) return x->qps_per_dollar > y->qps_per_dollar ? -1 : 1;
    if (x->answer_qps != y->answer_qps) return x->answer_qps > y->answer_qps ? -1 : 1;
  } else if (x->answered != y->answered) {
    return x->answered ? -1 : 1;
  }
  return strcmp(x->hash, y->hash);
}

typedef struct { const cs__job *jobs; size_t idx; } rank_item;
static int rank_cmp(const void *p, const void *q) {
  const rank_item *a = p, *b = q;
  return rank_cmp_impl(&a->jobs[a->idx], &b->jobs[b->idx]);
}

static void build_groups(cs_analysis *a) {
  for (size_t i = 0; i < a->jobs.n; i++) {
    cs__job *j = &a->jobs.v[i];
    size_t g;
    for (g = 0; g < a->groups.n; g++) {
      cs__group *G = &a->groups.v[g];
      if (!strcmp(G->model, j->f[CS__JF_MODEL]) && !strcmp(G->trace, j->f[CS__JF_TRACE]) &&
          !strcmp(G->slo, j->f[CS__JF_SLO]))
        break;
    }
    if (g == a->groups.n) {
      cs__group G;
      memset(&G, 0, sizeof G);
      G.model = j->f[CS__JF_MODEL];
      G.trace = j->f[CS__JF_TRACE];
      G.slo = j->f[CS__JF_SLO];
      G.best = -1;
      cs__vec_push(&a->groups, G);
    }
    j->group = (int)g;
    cs__vec_push(&a->groups.v[g].jobs, i);
  }
  for (size_t g = 0; g < a->groups.n; g++) {
    cs__group *G = &a->groups.v[g];
    rank_item *it = cs__xcalloc(G->jobs.n, sizeof *it);
    for (size_t k = 0; k < G->jobs.n; k++) it[k] = (rank_item){a->jobs.v, G->jobs.v[k]};
    qsort(it, G->jobs.n, sizeof *it, rank_cmp);
    int rank = 0;
    for (size_t k = 0; k < G->jobs.n; k++) {
      G->jobs.v[k] = it[k].idx;
      cs__job *j = &a->jobs.v[it[k].idx];
      j->rank = j->answered && isfinite(j->qps_per_dollar) ? ++rank : 0;
      if (j->rank == 1) G->best = (int)it[k].idx;
    }
    free(it);
  }
}

void cs__an_derive(cs_analysis *a) {
  a->util = cs_analysis_utilization(a->opts.headroom_pct);
  CS__VEC(const char *) unpriced = {0};
  for (size_t i = 0; i < a->jobs.n; i++) {
    cs__job *j = &a->jobs.v[i];
    find_answer(a, j);
    find_price(a, j);
    if (isnan(j->price)) {
      bool seen = false;
      for (size_t k = 0; k < unpriced.n; k++) seen = seen || !strcmp(unpriced.v[k], j->f[CS__JF_DEVICE]);
      if (!seen) {
        cs__vec_push(&unpriced, j->f[CS__JF_DEVICE]);
        cs__an_warn(a, "no price for device '%s' (not in the sweep's records or the catalog); pass --price %s=USD",
                    j->f[CS__JF_DEVICE], j->f[CS__JF_DEVICE][0] ? j->f[CS__JF_DEVICE] : "DEVICE");
      }
    }
    costs(a, j);
    j->saturation = saturation(cs__an_answer_probe(j));
  }
  free(unpriced.v);
  build_groups(a);
  for (size_t g = 0; g < a->groups.n; g++) {
    cs__group *G = &a->groups.v[g];
    if (G->best < 0) continue;
    cs__job *j = &a->jobs.v[G->best];
    const cs__probe *p = cs__an_answer_probe(j);
    const cs__probe *ap = j->answer_probe >= 0 ? &j->probes.v[j->answer_probe] : NULL;
    j->bottleneck = p                    ? cs__an_bottleneck(j, &p->st)
                    : ap && ap->pruned ? "unknown (the answer's run files were not kept: --keep-runs none)"
                                       : "unknown (the answer's run files are missing or damaged)";
  }
}

/* ---- Pareto ------------------------------------------------------------------------------ */

const char *const cs__pareto_axis_names[3] = {"ttft_p90", "ttft_p99", "tbt_p99"};

size_t cs__pareto_mark(const cs__pareto_pt *pts, size_t n, bool *on) {
  size_t cnt = 0;
  for (size_t i = 0; i < n; i++) {
    on[i] = isfinite(pts[i].x) && !isnan(pts[i].y);
    for (size_t k = 0; k < n && on[i]; k++) {
      if (k == i || !isfinite(pts[k].x) || isnan(pts[k].y)) continue;
      bool ge = pts[k].x >= pts[i].x && pts[k].y <= pts[i].y;
      bool strict = pts[k].x > pts[i].x || pts[k].y < pts[i].y;
      if (ge && strict) on[i] = false;
    }
    if (on[i]) cnt++;
  }
  return cnt;
}

cs__pareto_pt *cs__an_pareto_points(const cs_analysis *a, const char *model, const char *trace, int axis,
                                    size_t *n) {
  cs__pareto_pt *pts = cs__xcalloc(a->jobs.n ? a->jobs.n : 1, sizeof *pts);
  size_t k = 0;
  for (size_t i = 0; i < a->jobs.n; i++) {
    const cs__job *j = &a->jobs.v[i];
    if (strcmp(j->f[CS__JF_MODEL], model) || strcmp(j->f[CS__JF_TRACE], trace)) continue;
    const cs__probe *p = cs__an_answer_probe(j);
    if (!j->answered || !p || !isfinite(j->qps_per_dollar)) continue;
    double y = axis == 0 ? p->st.ttft[1] : axis == 1 ? p->st.ttft[2] : p->st.tbt[2];
    pts[k++] = (cs__pareto_pt){i, j->qps_per_dollar, y};
  }
  *n = k;
  return pts;
}

/* ---- labels ------------------------------------------------------------------------------ */

void cs__an_config_label(const cs__job *j, char *buf, size_t size) {
  const char *chunk = j->f[CS__JF_CHUNK];
  if (j->pool_gpus > 0 && j->deployment) { /* disaggregated: the shape and xPyD say it all */
    snprintf(buf, size, "%s %s %s%s%s bs%s %s", j->f[CS__JF_DEVICE], j->deployment, j->f[CS__JF_RSCHED],
             chunk[0] ? "/cs" : "", chunk, j->f[CS__JF_BS], j->f[CS__JF_GSCHED]);
    return;
  }
  char ep[32] = ""; /* expert parallelism (docs/disaggregation.md): "ep8", "ep8/dp8" with DP attention */
  if (j->ep > 1 && j->dp > 1) snprintf(ep, sizeof ep, " ep%d/dp%d", j->ep, j->dp);
  else if (j->ep > 1) snprintf(ep, sizeof ep, " ep%d", j->ep);
  snprintf(buf, size, "%s tp%s pp%s%s r%d %s%s%s bs%s %s", j->f[CS__JF_DEVICE], j->f[CS__JF_TP], j->f[CS__JF_PP], ep,
           j->answered ? j->answer_replicas : j->replicas, j->f[CS__JF_RSCHED], chunk[0] ? "/cs" : "", chunk,
           j->f[CS__JF_BS], j->f[CS__JF_GSCHED]);
}
