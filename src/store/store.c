/* Run-directory store: layout, atomic commit, resume lookup (see store.h). */
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/json.h"
#include "util/sbuf.h"
#include "util/text.h"
#include "util/yaml.h"

/* Removes "<name>.tmp-XXXXXX" leftovers of atomic writes interrupted by a kill. */
static void remove_tmp_files(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  CS__VEC(char *) victims = {0};
  while ((e = readdir(d)) != NULL)
    if (strstr(e->d_name, ".tmp-")) cs__vec_push(&victims, cs__path_join(dir, e->d_name));
  closedir(d);
  for (size_t i = 0; i < victims.n; i++) {
    cs__rm_rf(victims.v[i], NULL);
    free(victims.v[i]);
  }
  free(victims.v);
}

int cs__store_open(const char *out, const char *config_json, bool force, cs_err *err) {
  int rc = cs__mkdir_p(out, err);
  if (rc) return rc;
  char *runs = cs__path_join(out, "runs");
  rc = cs__mkdir_p(runs, err);
  free(runs);
  if (rc) return rc;
  /* Several processes may share one output directory (--shard, MPI ranks). Each holds a
   * shared flock on out/.lock for its lifetime (the descriptor stays open until exit, so a
   * killed process releases it). Leftovers of interrupted atomic writes are removed only
   * when no other live process holds the lock: otherwise they may be its writes in flight. */
  char *lock = cs__path_join(out, ".lock");
  int fd = open(lock, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
  free(lock);
  if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0) {
    remove_tmp_files(out);
    flock(fd, LOCK_SH);
  } else if (fd >= 0) {
    flock(fd, LOCK_SH);
  }
  char *cfg = cs__path_join(out, "config.json");
  if (cs__path_exists(cfg)) {
    char *old = NULL;
    size_t len = 0;
    rc = cs__read_file(cfg, &old, &len, err);
    if (rc) goto out;
    bool same = len == strlen(config_json) && !memcmp(old, config_json, len);
    free(old);
    if (same) goto out;
    if (!force) {
      rc = cs_err_set(err, CS_EEXIST,
                      "%s holds the results of a different sweep (its config.json differs from this one); use "
                      "another --output-dir, or --force to reuse it",
                      out);
      goto out;
    }
  }
  rc = cs__write_file_atomic(cfg, config_json, strlen(config_json), false, err);
out:
  free(cfg);
  return rc;
}

int cs__store_write_top(const char *out, const char *name, const char *text, cs_err *err) {
  char *p = cs__path_join(out, name);
  int rc = cs__write_file_atomic(p, text, strlen(text), false, err);
  free(p);
  return rc;
}

char *cs__store_job_dir(const char *out, const char *hash) {
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__sbuf_addf(&sb, "%s/runs/%s", out, hash);
  char *detached = cs__sbuf_detach(&sb);
  cs__sbuf_release(&sb); /* detach leaves a fresh empty buffer */
  return detached;
}

char *cs__store_probe_dir(const char *out, const char *hash, int replicas, double qps) {
  char q[32];
  cs__fmt_pyfloat(qps, q);
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__sbuf_addf(&sb, "%s/runs/%s/r%d_q%s", out, hash, replicas, q);
  char *detached = cs__sbuf_detach(&sb);
  cs__sbuf_release(&sb); /* detach leaves a fresh empty buffer */
  return detached;
}

void cs__store_timestamp_name(int probe_no, char buf[32]) {
  snprintf(buf, 32, "1970-01-01_00-00-00-%06d", probe_no % 1000000);
}

int cs__store_write_job(const char *job_dir, const char *json, cs_err *err) {
  int rc = cs__mkdir_p(job_dir, err);
  if (rc) return rc;
  remove_tmp_files(job_dir);
  char *p = cs__path_join(job_dir, "job.json");
  char *old = NULL;
  size_t len = 0;
  if (cs__path_exists(p) && cs__read_file(p, &old, &len, NULL) == 0 && len == strlen(json) &&
      !memcmp(old, json, len)) {
    free(old);
    free(p);
    return 0;
  }
  free(old);
  rc = cs__write_file_atomic(p, json, strlen(json), false, err);
  free(p);
  return rc;
}

int cs__store_write_probe(const char *probe_dir, const cs__probe_record *r, cs_err *err) {
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__jw w;
  cs__jw_init(&w, &sb, false);
  cs__jw_obj_begin(&w);
  cs__jw_kstr(&w, "format", CS_STORE_PROBE_FORMAT);
  cs__jw_kint(&w, "version", CS_STORE_VERSION);
  cs__jw_knum(&w, "qps", r->qps);
  cs__jw_kint(&w, "replicas", r->replicas);
  cs__jw_kbool(&w, "pass", r->pass);
  cs__jw_knum(&w, "value", r->value);
  cs__jw_kint(&w, "completed", r->completed);
  cs__jw_kint(&w, "arrived", r->arrived);
  cs__jw_kint(&w, "events", r->events);
  cs__jw_knum(&w, "end_time", r->end_time);
  cs__jw_kbool(&w, "hit_time_limit", r->hit_time_limit);
  cs__jw_kstr(&w, "timestamp_dir", r->timestamp_dir);
  cs__jw_kbool(&w, "slo_pass", r->slo_pass);
  cs__jw_kbool(&w, "kept_up", r->kept_up);
  cs__jw_kbool(&w, "too_short", r->too_short);
  cs__jw_knum(&w, "keepup_ratio", r->keepup_ratio);
  cs__jw_knum(&w, "window_s", r->window_s);
  cs__jw_knum(&w, "sustained_qps", r->sustained_qps);
  cs__jw_knum(&w, "median_e2e", r->median_e2e);
  cs__jw_obj_end(&w);
  cs__sbuf_addc(&sb, '\n');
  char *p = cs__path_join(probe_dir, "probe.json");
  int rc = cs__write_file_atomic(p, sb.buf, sb.len, false, err);
  free(p);
  cs__sbuf_release(&sb);
  return rc;
}

static int get_num(const cs__ydoc *d, const char *key, double *out, cs_err *err) {
  const cs__ynode *n = cs__ymap_get(d->root, key);
  if (n && n->kind == CS_Y_SCALAR && !strcmp(n->str, "null")) {
    *out = NAN;
    return 0;
  }
  return cs__y_double(d, n ? n : d->root, key, out, err);
}

int cs__store_read_probe(const char *probe_dir, cs__probe_record *rec, cs_err *err) {
  char *p = cs__path_join(probe_dir, "probe.json");
  if (!cs__path_exists(p)) {
    free(p);
    return CS_ENOENT;
  }
  cs__ydoc d;
  int rc = cs__ydoc_load_file(&d, p, err);
  if (rc) {
    free(p);
    return CS_EPARSE;
  }
  *rec = (cs__probe_record){0};
  const cs__ynode *fmt = d.root ? cs__ymap_get(d.root, "format") : NULL;
  const cs__ynode *ver = d.root ? cs__ymap_get(d.root, "version") : NULL;
  int64_t v = 0;
  if (!fmt || fmt->kind != CS_Y_SCALAR || strcmp(fmt->str, CS_STORE_PROBE_FORMAT) || !ver ||
      cs__y_int(&d, ver, "version", &v, NULL) || v != CS_STORE_VERSION) {
    rc = cs_err_set(err, CS_EFORMAT, "%s: not a %s file of version %d (written by another capsearch version?)", p,
                    CS_STORE_PROBE_FORMAT, CS_STORE_VERSION);
    goto out;
  }
  double replicas, completed, arrived, events;
  bool pass = false, hit = false;
  const char *ts = NULL;
  if ((rc = get_num(&d, "qps", &rec->qps, err)) || (rc = get_num(&d, "replicas", &replicas, err)) ||
      (rc = cs__y_bool(&d, cs__ymap_get(d.root, "pass"), "pass", &pass, err)) ||
      (rc = get_num(&d, "value", &rec->value, err)) || (rc = get_num(&d, "completed", &completed, err)) ||
      (rc = get_num(&d, "arrived", &arrived, err)) || (rc = get_num(&d, "events", &events, err)) ||
      (rc = get_num(&d, "end_time", &rec->end_time, err)) ||
      (rc = cs__y_bool(&d, cs__ymap_get(d.root, "hit_time_limit"), "hit_time_limit", &hit, err)) ||
      (rc = cs__y_str(&d, cs__ymap_get(d.root, "timestamp_dir"), "timestamp_dir", &ts, err))) {
    rc = CS_EPARSE;
    goto out;
  }
  rec->replicas = (int)replicas;
  rec->pass = pass;
  rec->completed = (int64_t)completed;
  rec->arrived = (int64_t)arrived;
  rec->events = (int64_t)events;
  rec->hit_time_limit = hit;
  snprintf(rec->timestamp_dir, sizeof rec->timestamp_dir, "%s", ts);
  rec->slo_pass = pass;
  rec->kept_up = true;
  rec->keepup_ratio = rec->window_s = rec->median_e2e = rec->sustained_qps = NAN;
  const cs__ynode *n;
  if ((n = cs__ymap_get(d.root, "slo_pass")) && cs__y_bool(&d, n, "slo_pass", &rec->slo_pass, NULL)) rec->slo_pass = pass;
  if ((n = cs__ymap_get(d.root, "kept_up")) && cs__y_bool(&d, n, "kept_up", &rec->kept_up, NULL)) rec->kept_up = true;
  if ((n = cs__ymap_get(d.root, "too_short")) && cs__y_bool(&d, n, "too_short", &rec->too_short, NULL)) rec->too_short = false;
  if (cs__ymap_get(d.root, "keepup_ratio")) get_num(&d, "keepup_ratio", &rec->keepup_ratio, NULL);
  if (cs__ymap_get(d.root, "window_s")) get_num(&d, "window_s", &rec->window_s, NULL);
  if (cs__ymap_get(d.root, "sustained_qps")) get_num(&d, "sustained_qps", &rec->sustained_qps, NULL);
  if (cs__ymap_get(d.root, "median_e2e")) get_num(&d, "median_e2e", &rec->median_e2e, NULL);
out:
  cs__ydoc_free(&d);
  free(p);
  return rc;
}

int cs__store_clean_probe(const char *probe_dir, cs_err *err) {
  DIR *d = opendir(probe_dir);
  if (!d) return errno == ENOENT ? 0 : cs_err_set(err, CS_EIO, "%s: cannot open: %s", probe_dir, strerror(errno));
  CS__VEC(char *) victims = {0};
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, "output.log")) continue;
    cs__vec_push(&victims, cs__path_join(probe_dir, e->d_name));
  }
  closedir(d);
  int rc = 0;
  for (size_t i = 0; i < victims.n; i++) {
    if (rc == 0) rc = cs__rm_rf(victims.v[i], err);
    free(victims.v[i]);
  }
  free(victims.v);
  return rc;
}

int cs__store_log(const char *probe_dir, const char *line, cs_err *err) {
  char *p = cs__path_join(probe_dir, "output.log");
  int fd = open(p, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) {
    int rc = cs_err_set(err, CS_EIO, "%s: cannot open: %s", p, strerror(errno));
    free(p);
    return rc;
  }
  size_t n = strlen(line);
  char *buf = cs__xmalloc(n + 2);
  memcpy(buf, line, n);
  size_t m = n;
  if (!n || line[n - 1] != '\n') buf[m++] = '\n';
  ssize_t w = write(fd, buf, m);
  int rc = 0;
  if (w != (ssize_t)m) rc = cs_err_set(err, CS_EIO, "%s: write failed: %s", p, strerror(errno));
  close(fd);
  free(buf);
  free(p);
  return rc;
}
