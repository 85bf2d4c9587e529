/* Reading an output directory (SPEC §9): results.csv, runs/<hash>/job.json and the probe runs
 * runs/<hash>/r<R>_q<qps>/ with their probe.json completion markers. Nothing here fails on a
 * bad file: a corrupt or foreign file becomes a warning naming it, an absent one an entry in the
 * "missing" list, so an interrupted sweep is analysed as far as it got. */
#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analysis/an_int.h"
#include "analysis/an_load.h"
#include "store/results.h" /* results.csv's columns */
#include "store/store.h"   /* the format names and version the store writes */
#include "util/fs.h"
#include "util/yaml.h"

static const cs__rcol jf_cols[CS__JF_COUNT] = {
#define CS__JF_COL(id) CS__RC_##id,
    CS__JOB_FIELDS(CS__JF_COL)
#undef CS__JF_COL
};

const char *cs__jf_name(int k) { return cs__store_results_cols[jf_cols[k]]; }

#define COL(id) cs__store_results_cols[CS__RC_##id]

static void vpush(void *vec, const char *fmt, va_list ap) {
  CS__VEC(char *) *v = vec;
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__sbuf_vaddf(&sb, fmt, ap);
  cs__vec_push(v, cs__sbuf_detach(&sb));
  cs__sbuf_release(&sb);
}

void cs__an_warn(cs_analysis *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vpush(&a->warnings, fmt, ap);
  va_end(ap);
}

void cs__an_missing(cs_analysis *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vpush(&a->missing, fmt, ap);
  va_end(ap);
}

/* ---- JSON helpers (libyaml parses JSON) ---------------------------------------------------- */

bool cs__jnum(const cs__ynode *map, const char *key, double *out) {
  const cs__ynode *n = cs__ymap_get(map, key);
  if (!n || n->kind != CS_Y_SCALAR || cs__y_is_null(n)) return false;
  char *end;
  double v = strtod(n->str, &end);
  if (end == n->str || *end) return false;
  *out = v;
  return true;
}

bool cs__jbool(const cs__ynode *map, const char *key, bool *out) {
  const cs__ynode *n = cs__ymap_get(map, key);
  if (!n || n->kind != CS_Y_SCALAR) return false;
  if (!strcasecmp(n->str, "true")) *out = true;
  else if (!strcasecmp(n->str, "false")) *out = false;
  else return false;
  return true;
}

const char *cs__jstr(const cs__ynode *map, const char *key) {
  const cs__ynode *n = cs__ymap_get(map, key);
  if (!n || n->kind != CS_Y_SCALAR || cs__y_is_null(n)) return NULL;
  return n->str;
}

/* ---- jobs -------------------------------------------------------------------------------- */

static cs__job *find_job(cs_analysis *a, const char *hash) {
  for (size_t i = 0; i < a->jobs.n; i++)
    if (!strcmp(a->jobs.v[i].hash, hash)) return &a->jobs.v[i];
  return NULL;
}

static cs__job *add_job(cs_analysis *a, const char *hash) {
  cs__job j;
  memset(&j, 0, sizeof j);
  j.hash = cs__xstrdup(hash);
  for (int k = 0; k < CS__JF_COUNT; k++) j.f[k] = cs__xstrdup("");
  j.status = cs__xstrdup("");
  j.reason = cs__xstrdup("");
  j.answer_kind = cs__xstrdup("");
  j.rec_sustained_qps = NAN;
  j.rec_answer_qps = NAN;
  j.rec_answer_replicas = NAN;
  j.rec_price = NAN;
  j.answer_probe = -1;
  j.slo_quantile = NAN;
  j.dep.prefix_caching = -1;
  cs__vec_push(&a->jobs, j);
  return &a->jobs.v[a->jobs.n - 1];
}

static void set_field(cs__job *j, int k, const char *v, bool overwrite) {
  if (!v) return;
  if (!overwrite && j->f[k][0]) return;
  free(j->f[k]);
  j->f[k] = cs__xstrdup(v);
}

static void read_results(cs_analysis *a) {
  char *path = cs__path_join(a->out_dir, "results.csv");
  if (!cs__path_exists(path)) {
    cs__an_missing(a, "results.csv (the sweep has not written its job table yet; jobs come from runs/*/job.json)");
    free(path);
    return;
  }
  cs__csv csv;
  cs_err e = {0};
  if (cs__csv_load(path, &csv, &e)) {
    cs__an_warn(a, "%s", e.msg);
    free(path);
    return;
  }
  int hc = cs__csv_col(&csv, COL(HASH));
  if (hc < 0) {
    cs__an_warn(a, "%s: not a capsearch results table (no 'job_hash' column); ignored", path);
    cs__csv_release(&csv);
    free(path);
    return;
  }
  if (csv.bad_rows)
    cs__an_warn(a, "%s: %zu row(s) do not have the header's %zu columns (truncated file?); skipped", path,
                csv.bad_rows, csv.ncols);
  a->have_results = true;
  int cols[CS__JF_COUNT];
  for (int k = 0; k < CS__JF_COUNT; k++) cols[k] = cs__csv_col(&csv, cs__jf_name(k));
  int c_status = cs__csv_col(&csv, COL(STATUS)), c_reason = cs__csv_col(&csv, COL(REASON));
  int c_aq = cs__csv_col(&csv, COL(ANSWER_QPS)), c_ar = cs__csv_col(&csv, COL(ANSWER_REPLICAS));
  int c_price = cs__csv_col(&csv, COL(PRICE));
  int c_kind = cs__csv_col(&csv, COL(ANSWER_KIND)), c_sus = cs__csv_col(&csv, COL(SUSTAINED_QPS));
  int c_dep = cs__csv_col(&csv, COL(DEPLOYMENT)), c_pool[6];
  int c_ep = cs__csv_col(&csv, COL(EP)), c_dp = cs__csv_col(&csv, COL(DP)); /* with ep_dimensions */
  for (int k = 0; k < 6; k++) c_pool[k] = cs__csv_col(&csv, cs__store_results_cols[CS__RC_PREFILL_REPLICAS + k]);
  for (size_t r = 0; r < csv.nrows; r++) {
    const char *h = cs__csv_str(&csv, r, hc);
    if (csv.bad[r]) continue; /* counted in the warning above */
    if (!*h) {
      cs__an_warn(a, "%s: row %zu has an empty job_hash; skipped", path, r + 2);
      continue;
    }
    cs__job *j = find_job(a, h);
    if (!j) j = add_job(a, h);
    j->in_results = true;
    for (int k = 0; k < CS__JF_COUNT; k++)
      if (cols[k] >= 0) set_field(j, k, cs__csv_str(&csv, r, cols[k]), true);
    free(j->status);
    j->status = cs__xstrdup(cs__csv_str(&csv, r, c_status));
    free(j->reason);
    j->reason = cs__xstrdup(cs__csv_str(&csv, r, c_reason));
    j->rec_answer_qps = cs__csv_num(&csv, r, c_aq);
    j->rec_answer_replicas = cs__csv_num(&csv, r, c_ar);
    j->rec_price = cs__csv_num(&csv, r, c_price);
    free(j->answer_kind);
    j->answer_kind = cs__xstrdup(cs__csv_str(&csv, r, c_kind));
    j->rec_sustained_qps = cs__csv_num(&csv, r, c_sus);
    if (c_dep >= 0) {
      free(j->deployment);
      j->deployment = cs__xstrdup(cs__csv_str(&csv, r, c_dep));
      double v[6];
      for (int k = 0; k < 6; k++) v[k] = cs__csv_num(&csv, r, c_pool[k]);
      bool ok = strcmp(j->deployment, "aggregated") != 0;
      for (int k = 0; k < 6; k++) ok = ok && v[k] >= 1 && v[k] < 1e6;
      j->pool_gpus = ok ? (int)(v[0] * v[1] * v[2] + v[3] * v[4] * v[5]) : 0;
    }
    double ep = cs__csv_num(&csv, r, c_ep), dp = cs__csv_num(&csv, r, c_dp); /* NAN when absent */
    j->ep = ep >= 1 && ep < 1e6 ? (int)ep : 0;
    j->dp = dp >= 1 && dp < 1e6 ? (int)dp : 0;
  }
  cs__csv_release(&csv);
  free(path);
}

/* What the vLLM command of deploy.c needs: the HF id, a local config, the context length, the
 * trace's prefix caching, Vidur vllm's max_tokens_in_batch. */
static void read_deploy_fields(cs__job *j, const cs__ynode *root) {
  const char *s = cs__jstr(root, "model_identifier");
  snprintf(j->dep.model_id, sizeof j->dep.model_id, "%s", s ? s : "");
  s = cs__jstr(root, "model_config");
  snprintf(j->dep.model_config, sizeof j->dep.model_config, "%s", s ? s : "");
  /* The length the simulation held rows to: length_limit.tokens, the sweep's min of max_seq_len and
   * the model's context (runner/traces.c); the bare max_seq_len only for job.json files without it. */
  if (!cs__jnum(cs__ymap_get(root, "length_limit"), "tokens", &j->dep.max_seq_len) &&
      !cs__jnum(root, "max_seq_len", &j->dep.max_seq_len))
    j->dep.max_seq_len = 0;
  if (!cs__jnum(root, "max_seq_len", &j->dep.trace_max_seq_len)) j->dep.trace_max_seq_len = 0;
  if (!cs__jnum(cs__ymap_get(root, "replica_scheduler_params"), "max_tokens_in_batch", &j->dep.max_tokens_in_batch))
    j->dep.max_tokens_in_batch = 0;
  bool pc;
  j->dep.prefix_caching = cs__jbool(root, "enable_prefix_caching", &pc) ? pc : -1;
}

/* job.json: the job's parameters plus the SLO config {name, type, quantile, slos:[{metric, value}]}. */
static void read_job_json(cs_analysis *a, cs__job *j, const char *path) {
  cs__ydoc doc;
  cs_err e = {0};
  if (cs__ydoc_load_file(&doc, path, &e)) {
    cs__an_warn(a, "%s", e.msg);
    return;
  }
  const cs__ynode *root = doc.root;
  if (!root || root->kind != CS_Y_MAP) {
    cs__an_warn(a, "%s: expected a JSON object with the job's parameters; ignored", path);
    cs__ydoc_free(&doc);
    return;
  }
  const char *fmt = cs__jstr(root, "format");
  double ver = CS_STORE_VERSION;
  if ((fmt && strcmp(fmt, CS_STORE_JOB_FORMAT)) || (cs__jnum(root, "version", &ver) && ver > CS_STORE_VERSION)) {
    cs__an_warn(a, "%s: format '%s' version %g is not one this analysis reads (%s %d); ignored", path,
                fmt ? fmt : "?", ver, CS_STORE_JOB_FORMAT, CS_STORE_VERSION);
    cs__ydoc_free(&doc);
    return;
  }
  j->have_job_json = true;
  for (int k = 0; k < CS__JF_COUNT; k++) {
    const cs__ynode *n = cs__ymap_get(root, cs__jf_name(k));
    if (n && n->kind == CS_Y_SCALAR && !cs__y_is_null(n)) set_field(j, k, n->str, false);
  }
  /* the runner nests some parameters: search.{search_for, qps, num_replicas, num_requests},
   * replica_scheduler_params.chunk_size, global_scheduler_params.{tolerance_factor, top_k} */
  static const struct {
    const char *obj, *key;
    cs__jf f;
  } nested[] = {{"search", "search_for", CS__JF_SEARCH},
                {"search", "qps", CS__JF_QPS0},
                {"search", "num_replicas", CS__JF_NREP},
                {"search", "num_requests", CS__JF_NREQ},
                {"replica_scheduler_params", "chunk_size", CS__JF_CHUNK},
                {"global_scheduler_params", "tolerance_factor", CS__JF_TOL},
                {"global_scheduler_params", "top_k", CS__JF_TOPK}};
  for (size_t k = 0; k < sizeof nested / sizeof nested[0]; k++) {
    const cs__ynode *n = cs__ymap_get(cs__ymap_get(root, nested[k].obj), nested[k].key);
    if (n && n->kind == CS_Y_SCALAR && !cs__y_is_null(n)) set_field(j, (int)nested[k].f, n->str, false);
  }
  double v;
  if (isnan(j->rec_price) && cs__jnum(root, "price_per_gpu_hour", &v)) j->rec_price = v;
  read_deploy_fields(j, root);
  const cs__ynode *slo = cs__ymap_get(root, "slo");
  if (!slo) slo = cs__ymap_get(root, "slo_config");
  if (slo && slo->kind == CS_Y_MAP) {
    const char *name = cs__jstr(slo, "name");
    if (name) set_field(j, CS__JF_SLO, name, false);
    const char *type = cs__jstr(slo, "type");
    j->slo_or = type && !strcasecmp(type, "or");
    if (!cs__jnum(slo, "quantile", &j->slo_quantile)) j->slo_quantile = NAN;
    const cs__ynode *items = cs__ymap_get(slo, "slos");
    if (items && items->kind == CS_Y_SEQ) {
      for (size_t i = 0; i < items->n && j->nslo < 8; i++) {
        const char *m = cs__jstr(items->items[i], "metric");
        double val;
        if (!m || !cs__jnum(items->items[i], "value", &val)) {
          cs__an_warn(a, "%s: slo.slos[%zu] needs a metric and a numeric value; ignored", path, i);
          continue;
        }
        snprintf(j->slo[j->nslo].metric, sizeof j->slo[j->nslo].metric, "%s", m);
        j->slo[j->nslo].value = val;
        j->nslo++;
      }
    }
    j->have_slo = j->nslo > 0 && !isnan(j->slo_quantile);
    if (!j->have_slo) cs__an_warn(a, "%s: incomplete SLO config (need quantile and slos); no goodput", path);
  }
  cs__ydoc_free(&doc);
}

/* "r2_q4.0" -> replicas 2, qps 4.0 */
static bool parse_probe_name(const char *name, int *replicas, double *qps) {
  if (name[0] != 'r') return false;
  char *end;
  long r = strtol(name + 1, &end, 10);
  if (end == name + 1 || r <= 0 || strncmp(end, "_q", 2)) return false;
  const char *q = end + 2;
  double v = strtod(q, &end);
  if (end == q || *end || !(v > 0)) return false;
  *replicas = (int)r;
  *qps = v;
  return true;
}

/* Reads a committed probe's marker into p (p->complete when it is usable). jkey: the key the
 * sweep now in the directory decides the job's probes under ("" when unknown); a probe decided
 * under another key is left incomplete and *stale set, so it is not counted. The run files
 * probe.json lists (size and sha1, as a resume checks them) are checked too: a damaged one is
 * named, and the probe keeps its verdict (probe.json is intact) but gives no statistics. */
static void read_probe_json(cs_analysis *a, cs__probe *p, const char *dir, const char *path, const char *jkey,
                            bool *stale) {
  cs__ydoc doc;
  cs_err e = {0};
  char *text = NULL;
  size_t len = 0;
  if (cs__read_file(path, &text, &len, &e) || cs__ydoc_load_string(&doc, path, text, len, &e)) {
    cs__an_warn(a, "%s (probe run treated as incomplete)", e.msg);
    free(text);
    return;
  }
  bool damaged = cs__store_probe_digest(text, len, doc.root && cs__ymap_get(doc.root, "digest")) < 0;
  free(text);
  if (damaged) {
    cs__an_warn(a, "%s: content differs from the digest it carries (edited or damaged); probe run treated as "
                "incomplete (a resume simulates it again)", path);
    cs__ydoc_free(&doc);
    return;
  }
  const cs__ynode *root = doc.root;
  double v;
  if (!root || root->kind != CS_Y_MAP || !cs__jnum(root, "qps", &v)) {
    cs__an_warn(a, "%s: expected a JSON object with qps, replicas, pass; probe run treated as incomplete", path);
    cs__ydoc_free(&doc);
    return;
  }
  const char *fmt = cs__jstr(root, "format");
  double ver = CS_STORE_VERSION; /* probe.json of the first writers named neither */
  if ((fmt && strcmp(fmt, CS_STORE_PROBE_FORMAT)) || (cs__jnum(root, "version", &ver) && ver > CS_STORE_VERSION)) {
    cs__an_warn(a, "%s: format '%s' version %g is not one this analysis reads (%s %d); treated as incomplete", path,
                fmt ? fmt : "?", ver, CS_STORE_PROBE_FORMAT, CS_STORE_VERSION);
    cs__ydoc_free(&doc);
    return;
  }
  /* the probe's own record is the truth, not its directory's name: a directory moved or renamed
   * (two probes swapped) would put one probe's verdict and statistics under another's QPS */
  double rep = p->replicas;
  if (v != p->qps || (cs__jnum(root, "replicas", &rep) && rep != p->replicas)) {
    cs__an_warn(a, "%s: holds qps %g with %g replicas, but its directory says qps %g with %d (moved or renamed?); "
                "probe run not used (a sweep resume fails the job on it)", path, v, rep, p->qps, p->replicas);
    cs__ydoc_free(&doc);
    return;
  }
  const char *key = cs__jstr(root, "key");
  if (jkey[0] && (!key || strcmp(key, jkey))) {
    *stale = true;
    cs__ydoc_free(&doc);
    return;
  }
  p->complete = true;
  cs__jbool(root, "pruned", &p->pruned);
  if (!p->pruned && cs__ymap_get(root, "files") && cs__store_files_verify(&doc, dir, &e)) {
    p->damaged = true;
    cs__an_warn(a, "%s: damaged run file; the probe's verdict counts, its statistics are not used (a resume "
                "simulates it again)", e.msg);
  }
  p->have_pass = cs__jbool(root, "pass", &p->pass);
  if (!cs__jnum(root, "value", &p->value)) p->value = NAN;
  if (!cs__jnum(root, "end_time", &p->end_time)) p->end_time = NAN;
  cs__jbool(root, "hit_time_limit", &p->hit_time_limit);
  cs__jbool(root, "stopped_early", &p->stopped_early);
  if (cs__jnum(root, "completed", &v)) p->st.completed = (int64_t)v;
  if (cs__jnum(root, "arrived", &v)) p->st.arrived = (int64_t)v;
  const char *ts = cs__jstr(root, "timestamp_dir");
  if (ts) p->timestamp_dir = cs__xstrdup(ts);
  cs__ydoc_free(&doc);
}

static int probe_cmp(const void *x, const void *y) {
  const cs__probe *a = x, *b = y;
  if (a->timestamp_dir && b->timestamp_dir) {
    int c = strcmp(a->timestamp_dir, b->timestamp_dir);
    if (c) return c;
  } else if (a->timestamp_dir || b->timestamp_dir) {
    return a->timestamp_dir ? -1 : 1;
  }
  return strcmp(a->name, b->name);
}

static bool known_job_file(const char *name) {
  size_t n = strlen(name);
  return !strcmp(name, "job.json") || (n > 4 && !strcmp(name + n - 4, ".log")) || !strncmp(name, ".tmp", 4) ||
         strstr(name, ".tmp-") != NULL || !strcmp(name, "search.json") || !strcmp(name, CS_STORE_KEY_FILE) ||
         !strcmp(name, ".lock"); /* the job's lock (store.h cs__store_lock_job) */
}

static int name_cmp(const void *x, const void *y) { return strcmp(*(char *const *)x, *(char *const *)y); }

/* Sorted entry names of a directory (without . and ..); NULL when it cannot be read. */
char **cs__an_list_dir(const char *path, size_t *n) {
  DIR *d = opendir(path);
  if (!d) return NULL;
  CS__VEC(char *) v = {0};
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    cs__vec_push(&v, cs__xstrdup(e->d_name));
  }
  closedir(d);
  if (v.n) qsort(v.v, v.n, sizeof *v.v, name_cmp);
  *n = v.n;
  if (!v.v) v.v = cs__xcalloc(1, sizeof *v.v);
  return v.v;
}

void cs__an_free_list(char **names, size_t n) {
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
}

/* The key of runs/<hash>/key.json into key ("" when there is none: written before capsearch
 * recorded it, and then every committed probe counts, as it did). False when the key is null:
 * the directory holds a job of another sweep (cs__store_mark_other_jobs). */
static bool read_job_key(cs_analysis *a, const char *jdir, char key[41]) {
  key[0] = '\0';
  char *path = cs__path_join(jdir, CS_STORE_KEY_FILE);
  cs__ydoc doc;
  cs_err e = {0};
  bool ours = true;
  if (cs__path_exists(path)) {
    if (cs__ydoc_load_file(&doc, path, &e) == 0) {
      const char *fmt = doc.root ? cs__jstr(doc.root, "format") : NULL;
      const cs__ynode *kn = doc.root ? cs__ymap_get(doc.root, "key") : NULL;
      const char *k = doc.root ? cs__jstr(doc.root, "key") : NULL;
      if (fmt && !strcmp(fmt, CS_STORE_KEY_FORMAT) && kn && cs__y_is_null(kn)) ours = false;
      else if (fmt && !strcmp(fmt, CS_STORE_KEY_FORMAT) && k && strlen(k) == 40) snprintf(key, 41, "%s", k);
      else cs__an_warn(a, "%s: expected {format: \"%s\", key: <sha1>}; every committed probe counted", path,
                       CS_STORE_KEY_FORMAT);
      cs__ydoc_free(&doc);
    } else {
      cs__an_warn(a, "%s; every committed probe counted", e.msg);
    }
  }
  free(path);
  return ours;
}

static void scan_job_dir(cs_analysis *a, cs__job *j, const char *jdir, const char *jkey) {
  size_t n;
  char **names = cs__an_list_dir(jdir, &n);
  if (!names) {
    cs__an_warn(a, "%s: cannot read the directory", jdir);
    return;
  }
  cs__sbuf stale;
  cs__sbuf_init(&stale);
  int nstale = 0;
  for (size_t i = 0; i < n; i++) {
    char *p = cs__path_join(jdir, names[i]);
    int r;
    double q;
    if (cs__is_dir(p) && parse_probe_name(names[i], &r, &q)) {
      cs__probe pr;
      memset(&pr, 0, sizeof pr);
      pr.name = cs__xstrdup(names[i]);
      pr.replicas = r;
      pr.qps = q;
      pr.value = pr.end_time = NAN;
      char *pj = cs__path_join(p, "probe.json");
      bool old = false;
      if (cs__path_exists(pj)) read_probe_json(a, &pr, p, pj, jkey, &old);
      /* a failed job's failing probe never commits: that is the failure, reported with its
       * reason, not missing work */
      else if (strcmp(j->status, "failed"))
        cs__an_missing(a, "runs/%s/%s: no probe.json (run interrupted or still running)", j->hash, names[i]);
      if (pr.complete) cs__an_load_run(a, j, &pr, p);
      free(pj);
      if (old) { /* left where it is (nothing a user produced is removed), but not this sweep's */
        cs__sbuf_addf(&stale, "%s%s", nstale++ ? ", " : "", names[i]);
        free(pr.name);
      } else {
        cs__vec_push(&j->probes, pr);
      }
    } else if (!known_job_file(names[i])) {
      cs__an_warn(a, "%s: not part of a capsearch run directory (expected r<R>_q<qps>/ or job.json); ignored", p);
    }
    free(p);
  }
  cs__an_free_list(names, n);
  if (nstale)
    cs__an_warn(a,
                "%s: %d committed probe(s) were decided by other inputs than the sweep now in this directory "
                "(an earlier sweep replaced with --force, or a changed trace or catalog); kept but not counted: %s",
                jdir, nstale, stale.buf);
  cs__sbuf_release(&stale);
  if (j->probes.n) qsort(j->probes.v, j->probes.n, sizeof *j->probes.v, probe_cmp);
}

static bool looks_like_hash(const char *s) {
  size_t n = strlen(s);
  if (n < 6 || n > 40) return false;
  for (size_t i = 0; i < n; i++)
    if (!strchr("0123456789abcdef", s[i])) return false;
  return true;
}

int cs__an_scan(cs_analysis *a, cs_err *err) {
  if (!cs__is_dir(a->out_dir)) return cs_err_set(err, CS_ENOENT, "%s: not a directory (expected a sweep's --output-dir)", a->out_dir);
  char *runs = cs__path_join(a->out_dir, "runs");
  char *res = cs__path_join(a->out_dir, "results.csv");
  bool have_runs = cs__is_dir(runs), have_res = cs__path_exists(res);
  free(res);
  if (!have_runs && !have_res) {
    free(runs);
    return cs_err_set(err, CS_ENOENT, "%s: no results.csv and no runs/ directory (is this a capsearch output directory?)",
                      a->out_dir);
  }
  read_results(a);
  if (have_runs) {
    size_t n;
    char **names = cs__an_list_dir(runs, &n);
    for (size_t i = 0; names && i < n; i++) {
      char *jdir = cs__path_join(runs, names[i]);
      if (!cs__is_dir(jdir) || !looks_like_hash(names[i])) {
        if (strncmp(names[i], ".tmp", 4))
          cs__an_warn(a, "%s: not a job directory (expected runs/<hash>/); ignored", jdir);
        free(jdir);
        continue;
      }
      char jkey[41];
      if (!read_job_key(a, jdir, jkey)) {
        cs__an_warn(a, "%s: a job of another sweep than the one now in this directory (an earlier sweep replaced "
                    "with --force); kept but not counted", jdir);
        free(jdir);
        continue;
      }
      cs__job *j = find_job(a, names[i]);
      char *jj = cs__path_join(jdir, "job.json");
      bool has_jj = cs__path_exists(jj);
      if (!j && !has_jj) {
        cs__an_warn(a, "%s: neither in results.csv nor described by a job.json; ignored", jdir);
        free(jj);
        free(jdir);
        continue;
      }
      if (!j) j = add_job(a, names[i]);
      j->have_run_dir = true;
      if (has_jj) read_job_json(a, j, jj);
      else cs__an_missing(a, "runs/%s/job.json", names[i]);
      free(jj);
      /* job pointer stays valid: scan_job_dir adds no jobs */
      scan_job_dir(a, j, jdir, jkey);
      free(jdir);
    }
    cs__an_free_list(names, names ? n : 0);
  } else {
    cs__an_missing(a, "runs/ (no probe runs yet)");
  }
  free(runs);
  for (size_t i = 0; i < a->jobs.n; i++) {
    cs__job *j = &a->jobs.v[i];
    if (j->in_results && !j->have_run_dir && (!strcmp(j->status, "ok") || !strcmp(j->status, "no_pass")))
      cs__an_missing(a, "runs/%s/ (results.csv lists job %s as %s but its runs are gone)", j->hash, j->hash, j->status);
    else if (j->in_results && !strcmp(j->status, "pending"))
      cs__an_missing(a, "job %s: search not finished (status pending)", j->hash);
    else if (!j->in_results && a->have_results)
      cs__an_missing(a, "job %s: not yet in results.csv (search not finished)", j->hash);
    j->tp = atoi(j->f[CS__JF_TP]);
    j->pp = atoi(j->f[CS__JF_PP]);
    if (j->pp <= 0) j->pp = 1;
    j->replicas = atoi(j->f[CS__JF_NREP]);
    j->batch_size = atoi(j->f[CS__JF_BS]);
    j->chunk_size = atoi(j->f[CS__JF_CHUNK]);
  }
  return 0;
}
