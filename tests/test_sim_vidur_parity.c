/* Golden test against a real Vidur run (shared/data/vidur-runs/llama2-70b-tp2-a100, Vidur
 * 7d47513, seed 42): Llama-2-70B TP2 on one A100, sarathi chunk 512, 2,000 requests replayed
 * from the exact workload Vidur simulated, stage times from Vidur's own prediction tables
 * (profile predictor). Every request's e2e, TTFT, scheduling delay, execution time and TPOT must
 * equal Vidur's; KV blocks come from Vidur's V0 sizing. Skips when the shared data, the
 * profile predictor or sarathi are unavailable. */
#include <stdlib.h>

#include "capsearch/catalog.h"
#include "cs_test.h"
#include "sim/engine.h"

#define RUN "vidur-runs/llama2-70b-tp2-a100"

typedef struct vrow {
  double e2e, ttft, delay, exec, tpot;
  int restarts;
  bool have;
} vrow;

/* Vidur V0's request_metrics.csv: header names, plain comma-separated numbers. */
static int load_vidur(const char *path, vrow *rows, int n) {
  size_t len;
  char *txt = cs_test_read(path, &len);
  if (!txt) return -1;
  char *save = NULL, *line = strtok_r(txt, "\n", &save);
  int col[7] = {-1, -1, -1, -1, -1, -1, -1}, ncol = 0;
  static const char *const names[7] = {"Request Id", "request_e2e_time", "prefill_e2e_time", "request_scheduling_delay",
                                       "request_execution_time",
                                       "decode_time_execution_plus_preemption_normalized", "request_num_restarts"};
  for (char *s2 = NULL, *f = strtok_r(line, ",", &s2); f; f = strtok_r(NULL, ",", &s2), ncol++)
    for (int k = 0; k < 7; k++)
      if (!strcmp(f, names[k])) col[k] = ncol;
  int count = 0;
  while ((line = strtok_r(NULL, "\n", &save))) {
    double v[64] = {0};
    int c = 0;
    for (char *p = line; c < 64; c++) {
      v[c] = strtod(p, &p);
      if (*p != ',') break;
      p++;
    }
    int id = (int)v[col[0]];
    if (id < 0 || id >= n) continue;
    rows[id] = (vrow){v[col[1]], v[col[2]], v[col[3]], v[col[4]], v[col[5]], (int)v[col[6]], true};
    count++;
  }
  free(txt);
  return count;
}

static void test_sarathi_run_matches_vidur_request_by_request(void) {
  char wl[1024], vm[1024], preds[1024];
  if (!cs_test_shared(RUN "/sarathi_qps1/workload.csv", wl, sizeof wl) ||
      !cs_test_shared(RUN "/sarathi_qps1/request_metrics.csv", vm, sizeof vm) ||
      !cs_test_shared(RUN "/predictions", preds, sizeof preds)) {
    cs_test_skip("shared Vidur run not available");
    return;
  }
  const cs_policy_info *info;
  const cs_predictor_ops *pops;
  if (cs_replica_sched_info("sarathi", &info, NULL) || cs_predictor_find("profile", &pops, NULL)) {
    cs_test_skip("sarathi or the profile predictor is not built in");
    return;
  }
  cs_err err = {0};
  cs_catalog *cat = NULL;
  CS_ASSERT_INT_EQ(cs_catalog_load(cs_catalog_default_dir(), &cat, &err), 0);
  if (!cat) return;
  const cs_model *m = NULL;
  const cs_device *d = NULL;
  const cs_network *net = NULL;
  CS_ASSERT_INT_EQ(cs_catalog_find_model(cat, "meta-llama/Llama-2-70b-hf", &m, &err), 0);
  CS_ASSERT_INT_EQ(cs_catalog_find_device(cat, "a100", &d, &err), 0);
  CS_ASSERT_INT_EQ(cs_catalog_find_network(cat, "a100_pairwise_nvlink", &net, &err), 0);
  cs_trace *t = NULL;
  cs_trace_opts to = {.format = CS_TRACE_AUTO, .block_size = 16};
  CS_ASSERT_INT_EQ(cs_trace_load(wl, &to, &t, &err), 0);
  cs_predictor *p = NULL;
  cs_predictor_ctx pc = {.model = m, .device = d, .network = net, .tp = 2, .pp = 1, .predictions_dir = preds};
  CS_ASSERT_INT_EQ(cs_params_finish(&pc.params, pops->info.params, pops->info.nparams, pops->info.name, "test", &err), 0);
  int rc = cs_predictor_new(pops, &pc, &p, &err);
  if (rc) fprintf(stderr, "predictor: %s\n", err.msg);
  CS_ASSERT_INT_EQ(rc, 0);
  if (!m || !d || !t || !p) goto out;

  cs_sim_config c;
  cs_sim_config_defaults(&c);
  c.model = m;
  c.device = d;
  c.network = net;
  c.tp = 2;
  c.replica_scheduler = "sarathi";
  c.replica_params.n = 1;
  c.replica_params.names[0] = "chunk_size";
  c.replica_params.values[0] = 512;
  c.predictor = p;
  c.workload.arrival = CS_ARRIVAL_TRACE;
  c.workload.length = CS_LENGTH_TRACE;
  c.workload.trace = t;
  c.workload.max_seq_len = 4096;
  cs_sim_result *res = NULL;
  rc = cs_sim_run(&c, &res, &err);
  if (rc) fprintf(stderr, "sim: %s\n", err.msg);
  CS_ASSERT_INT_EQ(rc, 0);
  if (!res) goto out;
  CS_ASSERT_INT_EQ(cs_sim_result_stats(res)->num_blocks, 3328); /* Vidur V0: 13 slots x 256 blocks */
  vrow *v = calloc(2000, sizeof *v);
  CS_ASSERT_INT_EQ(load_vidur(vm, v, 2000), 2000);
  size_t n;
  const cs_request_record *rec = cs_sim_result_records(res, &n);
  CS_ASSERT_INT_EQ(n, 2000);
  int bad = 0;
  double worst = 0;
  for (size_t i = 0; i < n && i < 2000; i++) {
    int id = (int)rec[i].v[CS_RM_REQUEST_ID];
    const vrow *w = &v[id];
    double dv[5] = {rec[i].v[CS_RM_E2E] - w->e2e, rec[i].v[CS_RM_TTFT] - w->ttft, rec[i].v[CS_RM_SCHED_DELAY] - w->delay,
                    rec[i].v[CS_RM_EXEC] - w->exec, rec[i].v[CS_RM_TPOT] - w->tpot};
    for (int k = 0; k < 5; k++) {
      double a = fabs(dv[k]);
      if (a > worst) worst = a;
      if (a > 1e-9 && bad++ < 5) fprintf(stderr, "request %d metric %d differs by %g\n", id, k, dv[k]);
    }
    if (!w->have || (int)rec[i].v[CS_RM_NUM_RESTARTS] != w->restarts) bad++;
  }
  fprintf(stderr, "largest difference to Vidur: %.3g s over 2000 requests\n", worst);
  CS_ASSERT_INT_EQ(bad, 0);
  free(v);
  cs_sim_result_free(res);
out:
  cs_predictor_free(p);
  cs_trace_free(t);
  cs_catalog_free(cat);
}

static const cs_test_case cases[] = {
    {"test_sarathi_run_matches_vidur_request_by_request", test_sarathi_run_matches_vidur_request_by_request},
    {NULL, NULL},
};

int main(void) { return cs_test_run("sim_vidur_parity", cases); }
