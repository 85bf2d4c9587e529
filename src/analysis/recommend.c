/* capsearch recommend: the fast analytic screen of seeds 001/003/004. For each catalog device x
 * valid TP: does the model fit (memplan), what roofline prefill / decode times the load implies
 * (the roofline predictor through predictor.h), an M/G/1 tail ESTIMATE of TTFT, how many
 * instances the load needs with headroom, and what that costs. Ranked by $/hour.
 *
 * Model of one instance (TP GPUs, PP 1) under Poisson arrivals at rate lambda:
 *   - prefills are the queue's server: rho_p = lambda x prefill(ISL); TTFT wait is M/G/1
 *     Pollaczek-Khinchine, mean W = rho_p S (1 + CV^2) / (2 (1 - rho_p)) with S = prefill and
 *     CV = 0.5 (ConfigIQ), with an exponential tail P(wait > t) = rho_p exp(-rho_p t / W) (exact
 *     for M/M/1) for the percentiles; TTFT_q = prefill + wait_q. This is an ESTIMATE; the tails
 *     that matter come from the simulation (capsearch --config ...).
 *   - decode steps fill the time prefills leave: TPOT = t_step(B) / (1 - rho_p), where t_step(B)
 *     is the predictor's stage time for B decode tokens at context ISL + OSL/2 and B, the
 *     concurrent decodes, follows Little's law B = lambda x OSL x TPOT (fixed point). B may not
 *     exceed the requests the KV cache holds (memplan) nor 256 (vLLM's max_num_seqs).
 *   - capacity = the highest lambda meeting the TTFT and TPOT targets at their percentile;
 *     instances = ceil(load / (capacity x utilisation)), ConfigIQ's headroom rule. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "capsearch/analysis.h"
#include "capsearch/catalog.h"
#include "capsearch/memplan.h"
#include "capsearch/predictor.h"
#include "util/sbuf.h"
#include "util/text.h"

#define MAX_BATCH 256      /* vLLM's default max_num_seqs */
#define SERVICE_CV 0.5     /* ConfigIQ's service-time coefficient of variation */

/* Presets. TTFT/TPOT targets are ConfigIQ's P50 SLA table (seed 003, README "SLA Targets by
 * Workload"); chat and code lengths are the means of the Azure LLM inference 2023 traces
 * (splitwise_conv.csv: 1155 prompt / 211 output tokens; splitwise_code.csv: 2048 / 28); rag's
 * 6000-token prompt is ConfigIQ's RAG example with its prefix-cache defaults (75% cacheable x
 * 70% hit rate = 52.5% of the prompt served from cache) and a 256-token answer. */
static const cs_workload_preset presets[] = {
    {"chat", 1155, 211, 0.200, 0.050, 2.0, 0.0, "ConfigIQ SLA (P50); lengths: Azure 2023 conversation trace means"},
    {"rag", 6000, 256, 0.800, 0.040, 1.5, 0.525, "ConfigIQ SLA (P50) and RAG example, 52.5% prefix-cache hits"},
    {"code", 2048, 28, 0.500, 0.035, 1.2, 0.0, "ConfigIQ SLA (P50); lengths: Azure 2023 code trace means"},
    {NULL, 0, 0, 0, 0, 0, 0, NULL}};

const cs_workload_preset *cs_workload_presets(size_t *n) {
  if (n) *n = 3;
  return presets;
}

int cs_workload_find(const char *name, const cs_workload_preset **out, cs_err *err) {
  const char *names[3];
  for (int i = 0; i < 3; i++) {
    names[i] = presets[i].name;
    if (!strcasecmp(name, presets[i].name)) {
      *out = &presets[i];
      return 0;
    }
  }
  const char *s = cs__suggest(name, names, 3);
  return cs_err_set(err, CS_EUNKNOWN, "--workload: unknown workload '%s'%s%s%s (expected chat, rag or code)", name,
                    s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
}

void cs_recommend_input_init(cs_recommend_input *in) {
  memset(in, 0, sizeof *in);
  in->headroom_pct = 25;
  in->pricing = CS_PRICING_ONDEMAND;
  in->max_tp = 8;
  in->slo_quantile = 0.5;
}

/* Per configuration: precomputed step times so the load search is table lookups. */
typedef struct screen {
  double prefill_s;
  int maxb;
  double *step; /* step[b], b = 1..maxb */
  int osl;
} screen;

/* Step time at a (fractional) decode batch: the table entry of the next whole batch. */
static double step_at(const screen *s, double b) {
  int bi = (int)ceil(b - 1e-9);
  return s->step[bi < 1 ? 1 : bi > s->maxb ? s->maxb : bi];
}

typedef struct perf {
  double batch, tpot, rho_p, ttft_p50, ttft_p99, ttft_q;
} perf;

static double wait_quantile(double rho, double w_mean, double q) {
  if (rho <= 0 || w_mean <= 0 || 1 - q >= rho) return 0;
  return w_mean / rho * log(rho / (1 - q));
}

/* Performance at rate lam; false when the load cannot be served at all (prefill saturated or
 * the decode batch outgrows the KV cache). Prefills are the queue's server (rho_p = lam x
 * prefill); decode steps fill the rest of the time, so each token takes
 * TPOT = t_step(B) / (1 - rho_p), and B = lam x OSL x TPOT (Little's law, fixed point). */
static bool perf_at(const screen *s, double lam, double q, perf *p) {
  double rho = lam * s->prefill_s;
  if (rho >= 1) return false;
  double b = lam * s->osl * s->step[1] / (1 - rho);
  for (int it = 0; it < 100; it++) {
    if (b > s->maxb) return false;
    double nb = lam * s->osl * step_at(s, b) / (1 - rho);
    if (fabs(nb - b) < 1e-9 * (1 + b)) break;
    b = nb;
  }
  if (b > s->maxb) return false;
  double w = rho * s->prefill_s * (1 + SERVICE_CV * SERVICE_CV) / (2 * (1 - rho));
  p->batch = b;
  p->tpot = step_at(s, b) / (1 - rho);
  p->rho_p = rho;
  p->ttft_p50 = s->prefill_s + wait_quantile(rho, w, 0.5);
  p->ttft_p99 = s->prefill_s + wait_quantile(rho, w, 0.99);
  p->ttft_q = s->prefill_s + wait_quantile(rho, w, q);
  return true;
}

static bool meets(const screen *s, const cs_recommend_input *in, double lam, perf *p) {
  return perf_at(s, lam, in->slo_quantile, p) && p->ttft_q <= in->ttft_slo_s && p->tpot <= in->tpot_slo_s;
}

static const cs_network *network_for(const cs_catalog *cat, const cs_device *d) {
  const cs_network *first = NULL;
  for (size_t i = 0; i < cs_catalog_num_networks(cat); i++) {
    const cs_network *n = cs_catalog_network_at(cat, i);
    if (!n->device || strcasecmp(n->device, d->name)) continue;
    if (!first) first = n;
    if (n->topology && !strcmp(n->topology, "nvswitch")) return n;
  }
  return first;
}

static bool device_selected(const char *filter, const char *name) {
  if (!filter || !*filter) return true;
  size_t n = strlen(name);
  for (const char *p = filter; *p;) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len == n && !strncasecmp(p, name, n)) return true;
    p += len + (e ? 1 : 0);
  }
  return false;
}

/* The roofline's times for one instance of TP `tp`: the prefill of the uncached part of one
 * prompt, and one decode step at every batch size 1..maxb (s->step, malloc'd, the caller frees).
 * -1 when the predictor has no model of this device. */
static int time_steps(const cs_recommend_input *in, const cs_model *m, const cs_device *d, const cs_network *net,
                      const cs_predictor_ops *roof, int tp, int maxb, screen *s) {
  cs_predictor_ctx ctx;
  memset(&ctx, 0, sizeof ctx);
  ctx.model = m;
  ctx.device = d;
  ctx.network = net;
  ctx.tp = tp;
  ctx.pp = 1;
  cs_predictor *pred;
  cs_err e = {0};
  if (cs_predictor_new(roof, &ctx, &pred, &e)) return -1;
  s->maxb = maxb;
  s->osl = in->osl;
  s->step = calloc((size_t)maxb + 1, sizeof(double));
  cs_batch_item *items = calloc((size_t)maxb, sizeof *items);
  cs_stage_time st;
  /* prefill of the uncached part of the prompt, after the cached prefix */
  int cached = (int)(in->isl * in->prefix_hit);
  cs_batch_item pre = {in->isl - cached, cached, true};
  cs_batch_view bv = {1, &pre, pre.num_tokens};
  cs_predictor_stage_time(pred, &bv, 0, &st);
  s->prefill_s = st.total_s;
  for (int b = 1; b <= maxb; b++) {
    items[b - 1] = (cs_batch_item){1, in->isl + in->osl / 2, false};
    cs_batch_view dv = {b, items, b};
    cs_predictor_stage_time(pred, &dv, 0, &st);
    s->step[b] = st.total_s;
  }
  cs_predictor_free(pred);
  free(items);
  return 0;
}

static void screen_one(const cs_recommend_input *in, const cs_model *m, const cs_device *d, const cs_network *net,
                       const cs_predictor_ops *roof, int tp, double qps, double util, cs_recommend_row *r) {
  memset(r, 0, sizeof *r);
  r->device = d->name;
  r->network = net ? net->name : NULL;
  r->tp = r->gpus = tp;
  cs_roofline_factors rf; /* as `list devices` reports them: a borrowed speed is stated per row */
  cs_roofline_device_factors(d, &rf);
  r->factors_borrowed = rf.borrowed;
  r->factors_from = rf.borrowed ? (rf.calibrated_on && rf.calibrated_on[0] ? rf.calibrated_on : "?") : NULL;
  r->ttft_s = r->tpot_s = r->est_ttft_p50_s = r->est_ttft_p99_s = NAN;
  r->usd_per_hour = r->usd_per_1k_tokens = r->usd_per_request = r->monthly_usd = NAN;
  cs_memplan_input mi;
  cs_memplan_input_defaults(&mi);
  mi.model = m;
  mi.device = d;
  mi.tp = tp;
  mi.pp = mi.dp = 1;
  mi.max_model_len = in->isl + in->osl;
  mi.engine = CS_ENGINE_VLLM;
  cs_memplan mp;
  cs_err e = {0};
  if (cs_memplan_compute(&mi, &mp, &e)) {
    r->why = "memory plan failed";
    return;
  }
  r->fits = mp.fits;
  r->kv_tokens = (double)mp.kv_tokens;
  if (!mp.fits) {
    r->why = mp.why ? mp.why : "does not fit";
    return;
  }
  int maxb = (int)(mp.kv_tokens / (in->isl + in->osl));
  if (maxb > MAX_BATCH) maxb = MAX_BATCH;
  r->max_batch = maxb;
  if (maxb < 1) {
    r->fits = false;
    r->why = "KV cache holds less than one request";
    return;
  }
  screen s = {0};
  if (time_steps(in, m, d, net, roof, tp, maxb, &s)) {
    r->why = "roofline predictor unavailable for this device";
    return;
  }
  r->ttft_s = s.prefill_s;
  perf p;
  /* capacity: the highest rate meeting the targets (bisection; meeting is monotone in lam) */
  double lo = 0, hi = 1.0 / s.prefill_s;
  if (!meets(&s, in, hi * 1e-6, &p)) {
    r->why = s.prefill_s > in->ttft_slo_s ? "prefill alone exceeds the TTFT target"
             : s.step[1] > in->tpot_slo_s ? "one decode step exceeds the TPOT target"
                                          : "misses the SLO even at a trickle of load";
    r->tpot_s = s.step[1];
    free(s.step);
    return;
  }
  for (int it = 0; it < 60; it++) {
    double mid = (lo + hi) / 2;
    if (meets(&s, in, mid, &p)) lo = mid;
    else hi = mid;
  }
  double cap = lo;
  r->meets_slo = true;
  r->instances = (int)ceil(qps / (cap * util) - 1e-9);
  if (r->instances < 1) r->instances = 1;
  double lam = qps / r->instances;
  if (!perf_at(&s, lam, in->slo_quantile, &p)) perf_at(&s, cap, in->slo_quantile, &p);
  r->tpot_s = p.tpot;
  r->decode_batch = (int)ceil(p.batch - 1e-9);
  r->util = lam / cap;
  r->est_ttft_p50_s = p.ttft_p50;
  r->est_ttft_p99_s = p.ttft_p99;
  r->instance_rps = cap;
  r->instance_tok_s = cap * in->osl;
  free(s.step);
  double price = in->pricing == CS_PRICING_SPOT && d->price_spot > 0 ? d->price_spot : d->price_ondemand;
  if (!(price > 0)) {
    r->why = "no price in the device catalog";
    return;
  }
  r->usd_per_hour = r->instances * tp * price;
  r->usd_per_request = r->usd_per_hour / (qps * 3600);
  r->usd_per_1k_tokens = r->usd_per_request / (in->isl + in->osl) * 1000;
  r->monthly_usd = r->usd_per_hour * 730;
}

static int row_cmp(const void *x, const void *y) {
  const cs_recommend_row *a = x, *b = y;
  bool ra = a->meets_slo && isfinite(a->usd_per_hour), rb = b->meets_slo && isfinite(b->usd_per_hour);
  if (ra != rb) return ra ? -1 : 1;
  if (ra && a->usd_per_hour != b->usd_per_hour) return a->usd_per_hour < b->usd_per_hour ? -1 : 1;
  if (a->fits != b->fits) return a->fits ? -1 : 1;
  int c = strcmp(a->device, b->device);
  return c ? c : a->tp - b->tp;
}

int cs_recommend_run(const cs_catalog *cat, const cs_recommend_input *in, cs_recommend_result *out, cs_err *err) {
  memset(out, 0, sizeof *out);
  if (in->isl <= 0 || in->osl <= 0)
    return cs_err_set(err, CS_EUSAGE, "--isl and --osl must be positive (or give --workload chat|rag|code)");
  if (!(in->ttft_slo_s > 0) || !(in->tpot_slo_s > 0))
    return cs_err_set(err, CS_EUSAGE, "--ttft-slo and --tpot-slo must be positive seconds");
  if (!(in->slo_quantile > 0 && in->slo_quantile < 1))
    return cs_err_set(err, CS_EUSAGE, "--slo-percentile must be between 0 and 100 (exclusive)");
  const cs_model *m = NULL;
  cs_model *owned = NULL;
  int rc;
  if (in->model_config) {
    if ((rc = cs_model_load_hf_config(in->model_config, &owned, err))) return rc;
    m = owned;
  } else if (!in->model) {
    return cs_err_set(err, CS_EUSAGE, "recommend needs --model NAME or --model-config config.json");
  } else if ((rc = cs_model_resolve(cat, in->model, &m, &owned, err))) {
    return rc;
  }
  const cs_predictor_ops *roof;
  if ((rc = cs_predictor_find("roofline", &roof, err))) {
    cs_model_free(owned);
    return rc;
  }
  double qps = in->qps;
  if (!(qps > 0)) {
    if (!(in->users > 0)) {
      cs_model_free(owned);
      return cs_err_set(err, CS_EUSAGE, "recommend needs the load: --qps RATE or --users N");
    }
    /* closed-loop users: each waits for its answer (at the SLO latency) and thinks */
    qps = in->users / (in->think_time_s + in->ttft_slo_s + in->osl * in->tpot_slo_s);
  }
  out->model = m->name;
  out->model_short = m->short_name && *m->short_name ? m->short_name : m->name;
  out->qps = qps;
  out->util_target = cs_analysis_utilization(in->headroom_pct);
  CS__VEC(cs_recommend_row) rows = {0};
  for (size_t i = 0; i < cs_catalog_num_devices(cat); i++) {
    const cs_device *d = cs_catalog_device_at(cat, i);
    if (!device_selected(in->device_filter, d->name)) continue;
    const cs_network *net = network_for(cat, d);
    int per_node = net && net->devices_per_node > 0 ? net->devices_per_node : 8;
    int tps[16];
    int ntp = cs_model_valid_tp(m, in->max_tp < per_node ? in->max_tp : per_node, tps, 16);
    for (int k = 0; k < ntp; k++) {
      cs_recommend_row r;
      screen_one(in, m, d, net, roof, tps[k], qps, out->util_target, &r);
      cs__vec_push(&rows, r);
    }
  }
  if (rows.n) qsort(rows.v, rows.n, sizeof *rows.v, row_cmp);
  int rank = 0;
  for (size_t i = 0; i < rows.n; i++)
    if (rows.v[i].meets_slo && isfinite(rows.v[i].usd_per_hour)) rows.v[i].rank = ++rank;
  out->rows = rows.v;
  out->n = rows.n;
  out->owned_model = owned;
  return 0;
}

void cs_recommend_result_release(cs_recommend_result *r) {
  if (!r) return;
  free(r->rows);
  cs_model_free(r->owned_model);
  memset(r, 0, sizeof *r);
}
