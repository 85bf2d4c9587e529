/* analysis: the recommend screen on the shipped catalogs (configs/): presets, fit, ranking by
 * cost, instances with headroom, spot pricing, and the emitted sweep file. */
#include <stdlib.h>

#include "capsearch/analysis.h"
#include "capsearch/catalog.h"
#include "cs_test.h"
#include "util/yaml.h"

static cs_catalog *catalog(void) {
  char dir[1024];
  cs_err err = {0};
  cs_catalog *cat = NULL;
  cs_test_source("configs", dir, sizeof dir);
  CS_ASSERT_OK(cs_catalog_load(dir, &cat, &err), &err);
  return cat;
}

static void chat70b(cs_recommend_input *in, double qps) {
  const cs_workload_preset *p;
  cs_err err = {0};
  cs_recommend_input_init(in);
  CS_ASSERT_OK(cs_workload_find("chat", &p, &err), &err);
  in->model = "meta-llama/Meta-Llama-3-70B";
  in->isl = p->isl;
  in->osl = p->osl;
  in->ttft_slo_s = p->ttft_slo_s;
  in->tpot_slo_s = p->tpot_slo_s;
  in->qps = qps;
}

static const cs_recommend_row *find(const cs_recommend_result *r, const char *dev, int tp) {
  for (size_t i = 0; i < r->n; i++)
    if (!strcmp(r->rows[i].device, dev) && r->rows[i].tp == tp) return &r->rows[i];
  return NULL;
}

static void test_workload_presets_and_unknown_name(void) {
  const cs_workload_preset *p;
  cs_err err = {0};
  CS_ASSERT_OK(cs_workload_find("RAG", &p, &err), &err);
  CS_ASSERT_INT_EQ(p->isl, 6000);
  CS_ASSERT_DBL_NEAR(p->prefix_hit, 0.525, 1e-12);
  CS_ASSERT_INT_EQ(cs_workload_find("chatt", &p, &err), CS_EUNKNOWN);
  CS_ASSERT_STR_CONTAINS(err.msg, "did you mean 'chat'");
}

static void test_ranking_is_by_cost_and_covers_the_load_with_headroom(void) {
  cs_catalog *cat = catalog();
  if (!cat) return;
  cs_recommend_input in;
  chat70b(&in, 20);
  cs_recommend_result r;
  cs_err err = {0};
  CS_ASSERT_OK(cs_recommend_run(cat, &in, &r, &err), &err);
  CS_ASSERT_TRUE(r.n >= 10);
  CS_ASSERT_INT_EQ(r.rows[0].rank, 1);
  int ranked = 0;
  for (size_t i = 0; i < r.n; i++) {
    const cs_recommend_row *x = &r.rows[i];
    if (!x->rank) continue;
    ranked++;
    CS_ASSERT_INT_EQ(x->rank, ranked); /* ranked rows come first, in order */
    if (i) CS_ASSERT_TRUE(r.rows[i - 1].usd_per_hour <= x->usd_per_hour);
    /* enough instances: each runs at most at 75% of its SLO capacity */
    CS_ASSERT_TRUE(x->instances * x->instance_rps * 0.75 >= 20 - 1e-9);
    CS_ASSERT_TRUE((x->instances - 1) * x->instance_rps * 0.75 < 20);
    CS_ASSERT_TRUE(x->tpot_s <= in.tpot_slo_s && x->est_ttft_p50_s <= in.ttft_slo_s);
    CS_ASSERT_DBL_NEAR(x->usd_per_1k_tokens, x->usd_per_hour / (20 * 3600.0 * (1155 + 211)) * 1000, 1e-12);
  }
  CS_ASSERT_TRUE(ranked >= 3);
  /* 70B in bf16 (~140 GB) cannot fit one 80 GB H100; it fits on TP 4 */
  const cs_recommend_row *h1 = find(&r, "h100", 1), *h4 = find(&r, "h100", 4);
  CS_ASSERT_TRUE(h1 && !h1->fits && h1->why);
  CS_ASSERT_TRUE(h4 && h4->fits && h4->max_batch > 0);
  cs_recommend_result_release(&r);
  /* twice the load never needs fewer instances */
  cs_recommend_result r2;
  chat70b(&in, 40);
  CS_ASSERT_OK(cs_recommend_run(cat, &in, &r2, &err), &err);
  cs_recommend_result r1;
  chat70b(&in, 20);
  CS_ASSERT_OK(cs_recommend_run(cat, &in, &r1, &err), &err);
  const cs_recommend_row *a = find(&r1, "h100", 4), *b = find(&r2, "h100", 4);
  CS_ASSERT_TRUE(a && b && b->instances >= a->instances);
  /* the P99 estimate is never below the P50 one (both are prefill + queue wait) */
  CS_ASSERT_TRUE(b->est_ttft_p99_s >= b->est_ttft_p50_s && b->est_ttft_p50_s >= b->ttft_s);
  cs_recommend_result_release(&r1);
  cs_recommend_result_release(&r2);
  cs_catalog_free(cat);
}

static void test_spot_pricing_is_never_dearer(void) {
  cs_catalog *cat = catalog();
  if (!cat) return;
  cs_recommend_input in;
  chat70b(&in, 10);
  in.device_filter = "h100,a100";
  cs_recommend_result od, sp;
  cs_err err = {0};
  CS_ASSERT_OK(cs_recommend_run(cat, &in, &od, &err), &err);
  in.pricing = CS_PRICING_SPOT;
  CS_ASSERT_OK(cs_recommend_run(cat, &in, &sp, &err), &err);
  for (size_t i = 0; i < od.n; i++) {
    CS_ASSERT_TRUE(!strcmp(od.rows[i].device, "h100") || !strcmp(od.rows[i].device, "a100"));
    const cs_recommend_row *s = find(&sp, od.rows[i].device, od.rows[i].tp);
    if (od.rows[i].rank && s) CS_ASSERT_TRUE(s->usd_per_hour <= od.rows[i].usd_per_hour);
  }
  cs_recommend_result_release(&od);
  cs_recommend_result_release(&sp);
  cs_catalog_free(cat);
}

static void test_missing_load_and_model_are_usage_errors(void) {
  cs_catalog *cat = catalog();
  if (!cat) return;
  cs_recommend_input in;
  chat70b(&in, 0);
  cs_recommend_result r;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_recommend_run(cat, &in, &r, &err), CS_EUSAGE);
  CS_ASSERT_STR_CONTAINS(err.msg, "--qps");
  chat70b(&in, 1);
  in.model = "no-such-model";
  CS_ASSERT_INT_EQ(cs_recommend_run(cat, &in, &r, &err), CS_EUNKNOWN);
  /* users convert to a rate: 100 / (0.2 + 211 x 0.05) */
  chat70b(&in, 0);
  in.users = 100;
  CS_ASSERT_OK(cs_recommend_run(cat, &in, &r, &err), &err);
  CS_ASSERT_DBL_NEAR(r.qps, 100 / (0.2 + 211 * 0.05), 1e-9);
  cs_recommend_result_release(&r);
  cs_catalog_free(cat);
}

static void test_emitted_sweep_is_yaml_with_the_top_candidates(void) {
  cs_catalog *cat = catalog();
  if (!cat) return;
  cs_recommend_input in;
  chat70b(&in, 20);
  cs_recommend_result r;
  cs_err err = {0};
  CS_ASSERT_OK(cs_recommend_run(cat, &in, &r, &err), &err);
  char tmp[1024], path[1100];
  cs_test_tmpdir(tmp, sizeof tmp);
  snprintf(path, sizeof path, "%s/sweep.yml", tmp);
  char trace[1024];
  cs_test_source("traces/chat_small.csv", trace, sizeof trace);
  CS_ASSERT_OK(cs_recommend_emit_sweep(&r, &in, trace, 2, path, &err), &err);
  /* a trace that is not there would give a sweep that cannot run: refused */
  CS_ASSERT_INT_EQ(cs_recommend_emit_sweep(&r, &in, "no/such/trace.csv", 2, path, &err), CS_ENOENT);
  cs__ydoc doc;
  CS_ASSERT_OK(cs__ydoc_load_file(&doc, path, &err), &err);
  if (!doc.root) return;
  const cs__ynode *cl = cs__ymap_get(doc.root, "clusters");
  CS_ASSERT_TRUE(cl && cl->kind == CS_Y_SEQ && cl->n >= 1);
  CS_ASSERT_STR_EQ(cs__ymap_get(cl->items[0], "device")->str, r.rows[0].device);
  const cs__ynode *slo = cs__ymap_get(doc.root, "slo_configs");
  CS_ASSERT_TRUE(slo && slo->kind == CS_Y_SEQ && slo->n == 1);
  CS_ASSERT_STR_EQ(cs__ymap_get(slo->items[0], "quantile")->str, "0.5");
  CS_ASSERT_STR_EQ(cs__ymap_get(cs__ymap_get(doc.root, "models")->items[0], "name")->str, "Meta-Llama-3-70B");
  cs__ydoc_free(&doc);
  cs_recommend_result_release(&r);
  cs_catalog_free(cat);
}

static const cs_test_case cases[] = {
    {"test_workload_presets_and_unknown_name", test_workload_presets_and_unknown_name},
    {"test_ranking_is_by_cost_and_covers_the_load_with_headroom",
     test_ranking_is_by_cost_and_covers_the_load_with_headroom},
    {"test_spot_pricing_is_never_dearer", test_spot_pricing_is_never_dearer},
    {"test_missing_load_and_model_are_usage_errors", test_missing_load_and_model_are_usage_errors},
    {"test_emitted_sweep_is_yaml_with_the_top_candidates", test_emitted_sweep_is_yaml_with_the_top_candidates},
    {NULL, NULL}};

int main(void) { return cs_test_run("analysis_recommend", cases); }
