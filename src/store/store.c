/* Run-directory store: layout, atomic commit, resume lookup (see store.h). */
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store_int.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/sbuf.h"
#include "util/sha1.h"
#include "util/text.h"
#include "util/yaml.h"

/* Removes "<name>.tmp-XXXXXX" leftovers of atomic writes interrupted by a kill. */
void cs__store_remove_tmp_files(const char *dir) {
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

char *cs__store_args_json(const cs__store_args *a) {
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__jw w;
  cs__jw_init(&w, &sb, false);
  cs__jw_obj_begin(&w);
  cs__jw_kstr(&w, "capsearch_version", a->capsearch_version);
  cs__jw_kstr(&w, "config", a->config);
  cs__jw_kstr(&w, "output_dir", a->output_dir);
  cs__jw_knum(&w, "time_limit", a->time_limit_s / 60); /* minutes, as given */
  cs__jw_kstr(&w, "cache_dir", a->cache_dir);
  cs__jw_kint(&w, "num_threads", a->num_threads);
  cs__jw_kint(&w, "max_iterations", a->max_iterations);
  cs__jw_knum(&w, "min_search_granularity", a->min_search_granularity);
  cs__jw_knum(&w, "min_qps", a->min_qps);
  cs__jw_key(&w, "seed");
  if (a->has_seed) cs__jw_uint(&w, a->seed);
  else cs__jw_null(&w);
  cs__jw_kbool(&w, "dry_run", a->dry_run);
  cs__jw_kbool(&w, "compress", a->compress);
  cs__jw_kbool(&w, "force", a->force);
  cs__jw_knum(&w, "wall_budget", a->wall_budget_s);
  cs__jw_kbool(&w, "full_probes", a->full_probes);
  cs__jw_kstr(&w, "keep_runs", a->keep_runs);
  if (a->shard) cs__jw_kstr(&w, "shard", a->shard);
  cs__jw_kstr(&w, "config_dir", a->config_dir);
  if (a->sweep_wall_s >= 0) cs__jw_knum(&w, "sweep_wall_s", a->sweep_wall_s);
  cs__jw_obj_end(&w);
  cs__sbuf_addc(&sb, '\n');
  char *text = cs__sbuf_detach(&sb);
  cs__sbuf_release(&sb);
  return text;
}

int cs__store_config_json(const char *sweep_json, const cs__store_run *run, char **out, cs_err *err) {
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__jw w;
  cs__jw_init(&w, &sb, false);
  cs__jw_obj_begin(&w);
  int rc = cs__jw_members(&w, sweep_json, err);
  cs__jw_key(&w, "run");
  cs__jw_obj_begin(&w);
  /* %.17g: the bytes every earlier config.json has, so existing output directories resume */
  cs__jw_knumf(&w, "time_limit_min", "%.17g", run->time_limit_s / 60);
  cs__jw_kuint(&w, "seed", run->seed);
  cs__jw_obj_end(&w);
  cs__jw_obj_end(&w);
  if (!rc) rc = cs__jw_finish(&w, "config.json", err);
  cs__sbuf_addc(&sb, '\n');
  *out = rc ? NULL : cs__sbuf_detach(&sb);
  cs__sbuf_release(&sb);
  return rc;
}

/* A config.json that differs may be damaged rather than another sweep's (a truncated write, an
 * edit): name the file and where it breaks, so the user repairs or moves it knowingly. */
static int check_damaged(const char *cfg, const char *text, size_t len, cs_err *err) {
  cs__ydoc doc;
  cs_err perr = {0};
  bool bad = len == 0 || text[0] != '{' || cs__ydoc_load_string(&doc, cfg, text, len, &perr) != 0;
  if (!bad) {
    bad = !doc.root || doc.root->kind != CS_Y_MAP;
    cs__ydoc_free(&doc);
  }
  if (!bad) return 0;
  return cs_err_set(err, CS_EFORMAT,
                    "%s is damaged (expected the JSON object a sweep writes%s%s); move it away or use another "
                    "--output-dir (--force overwrites it)",
                    cfg, perr.msg[0] ? ": " : "", perr.msg);
}

int cs__store_open(const char *out, const char *config_json, bool force, cs_err *err) {
  int rc = cs__mkdir_p(out, err);
  if (rc) return rc;
  char *runs = cs__path_join(out, "runs");
  char *cfg = cs__path_join(out, "config.json");
  rc = cs__path_guard(out, runs, err);
  if (!rc) rc = cs__path_guard(out, cfg, err);
  if (!rc) rc = cs__mkdir_p(runs, err);
  free(runs);
  if (rc) goto out;
  if (cs__path_exists(cfg)) {
    char *old = NULL;
    size_t len = 0;
    rc = cs__read_file(cfg, &old, &len, err);
    if (rc) goto out;
    bool same = len == strlen(config_json) && !memcmp(old, config_json, len);
    if (!same && !force) rc = check_damaged(cfg, old, len, err);
    free(old);
    if (same || rc) goto out;
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
  cs__store_remove_tmp_files(job_dir);
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

/* probe.json ends with its digest: the sha1 of the text it would be without that last member,
 * so the verdict (which no other checksum covers) is checked like the probe's files. */
static const char digest_head[] = ",\n  \"digest\": \"";
static const char digest_tail[] = "\"\n}\n";
static const char plain_tail[] = "\n}\n";

/* text: a JSON object as util/json.h writes it, ending "\n}\n"; appends the digest member. */
static void add_digest(cs__sbuf *sb) {
  cs__sha1 s;
  unsigned char d[20];
  cs__sha1_init(&s);
  cs__sha1_update(&s, sb->buf, sb->len);
  cs__sha1_final(&s, d);
  sb->len -= strlen(plain_tail);
  sb->buf[sb->len] = '\0';
  cs__sbuf_adds(sb, digest_head);
  for (int i = 0; i < 20; i++) cs__sbuf_addf(sb, "%02x", d[i]);
  cs__sbuf_adds(sb, digest_tail);
}

int cs__store_probe_digest(const char *text, size_t len, bool has_digest) {
  if (!has_digest) return 1;
  size_t hl = strlen(digest_head), tl = strlen(digest_tail);
  if (len < hl + 40 + tl) return -1;
  size_t body = len - tl - 40 - hl;
  const char *hex = text + body + hl;
  if (memcmp(text + body, digest_head, hl) || memcmp(hex + 40, digest_tail, tl)) return -1;
  cs__sha1 s;
  unsigned char d[20];
  cs__sha1_init(&s);
  cs__sha1_update(&s, text, body);
  cs__sha1_update(&s, plain_tail, strlen(plain_tail));
  cs__sha1_final(&s, d);
  for (int i = 0; i < 20; i++) {
    char two[3];
    snprintf(two, sizeof two, "%02x", d[i]);
    if (memcmp(hex + 2 * i, two, 2)) return -1;
  }
  return 0;
}

int cs__store_write_job_key(const char *job_dir, const char *key, cs_err *err) {
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__jw w;
  cs__jw_init(&w, &sb, false);
  cs__jw_obj_begin(&w);
  cs__jw_kstr(&w, "format", CS_STORE_KEY_FORMAT);
  cs__jw_kint(&w, "version", CS_STORE_VERSION);
  cs__jw_key(&w, "key");
  if (key) cs__jw_str(&w, key);
  else cs__jw_null(&w);
  cs__jw_obj_end(&w);
  cs__sbuf_addc(&sb, '\n');
  char *p = cs__path_join(job_dir, CS_STORE_KEY_FILE);
  char *old = NULL;
  size_t len = 0;
  int rc = cs__jw_finish(&w, p, err);
  bool same = rc == 0 && cs__path_exists(p) && cs__read_file(p, &old, &len, NULL) == 0 && len == sb.len &&
              !memcmp(old, sb.buf, len);
  if (rc == 0 && !same) rc = cs__write_file_atomic(p, sb.buf, sb.len, false, err);
  free(old);
  free(p);
  cs__sbuf_release(&sb);
  return rc;
}

size_t cs__store_mark_other_jobs(const char *out, bool (*ours)(void *ctx, const char *hash), void *ctx) {
  char *runs = cs__path_join(out, "runs");
  DIR *d = opendir(runs);
  size_t marked = 0;
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' || ours(ctx, e->d_name)) continue;
    char *jdir = cs__path_join(runs, e->d_name);
    char *jj = cs__path_join(jdir, "job.json");
    struct stat st;
    /* a job directory (never through a link) whose job is not one of this sweep's */
    if (lstat(jdir, &st) == 0 && S_ISDIR(st.st_mode) && lstat(jj, &st) == 0 && S_ISREG(st.st_mode) &&
        cs__store_write_job_key(jdir, NULL, NULL) == 0)
      marked++;
    free(jj);
    free(jdir);
  }
  if (d) closedir(d);
  free(runs);
  return marked;
}

static int write_probe(const char *probe_dir, const cs__probe_record *r, const char *sub, const cs__digests *dig,
                       bool durable, cs_err *err);

int cs__store_write_probe(const char *probe_dir, const cs__probe_record *r, cs_err *err) {
  return write_probe(probe_dir, r, NULL, NULL, true, err);
}

int cs__store_write_probe_digests(const char *probe_dir, const cs__probe_record *r, const char *sub,
                                  const struct cs__digests *dig, cs_err *err) {
  return write_probe(probe_dir, r, sub, dig, true, err);
}

int cs__store_write_probe_lazy(const char *probe_dir, const cs__probe_record *r, const char *sub,
                               const struct cs__digests *dig, cs_err *err) {
  return write_probe(probe_dir, r, sub, dig, false, err);
}

static int write_probe(const char *probe_dir, const cs__probe_record *r, const char *sub, const cs__digests *dig,
                       bool durable, cs_err *err) {
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
  if (r->stopped_early) cs__jw_kbool(&w, "stopped_early", true); /* absent: ran to the end */
  cs__jw_kstr(&w, "timestamp_dir", r->timestamp_dir);
  cs__jw_kbool(&w, "slo_pass", r->slo_pass);
  cs__jw_kbool(&w, "kept_up", r->kept_up);
  cs__jw_kbool(&w, "too_short", r->too_short);
  cs__jw_knum(&w, "keepup_ratio", r->keepup_ratio);
  cs__jw_knum(&w, "window_s", r->window_s);
  cs__jw_knum(&w, "sustained_qps", r->sustained_qps);
  cs__jw_knum(&w, "median_e2e", r->median_e2e);
  cs__jw_kstr(&w, "key", r->key);
  cs__jw_kbool(&w, "pruned", r->pruned);
  int rc = 0;
  if (r->pruned) {
    cs__jw_key(&w, "files");
    cs__jw_arr_begin(&w);
    cs__jw_arr_end(&w);
  } else {
    rc = cs__store_files_json(&w, probe_dir, sub, dig, err);
  }
  cs__jw_obj_end(&w);
  cs__sbuf_addc(&sb, '\n');
  char *p = cs__path_join(probe_dir, "probe.json");
  if (rc == 0) rc = cs__jw_finish(&w, p, err);
  if (rc == 0) add_digest(&sb);
  if (rc == 0)
    rc = durable ? cs__write_file_atomic(p, sb.buf, sb.len, false, err) : cs__write_file_replace(p, sb.buf, sb.len, err);
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

static int read_probe(const char *probe_dir, cs__probe_record *rec, bool verify, cs_err *err);

int cs__store_read_probe(const char *probe_dir, cs__probe_record *rec, cs_err *err) {
  return read_probe(probe_dir, rec, true, err);
}

/* probe.json alone (its digest checked), its files not read: for a probe about to be pruned */
static int read_probe(const char *probe_dir, cs__probe_record *rec, bool verify, cs_err *err) {
  char *p = cs__path_join(probe_dir, "probe.json");
  struct stat st;
  if (lstat(p, &st) != 0) {
    free(p);
    return CS_ENOENT;
  }
  if (!S_ISREG(st.st_mode)) {
    int rc = cs_err_set(err, CS_EPARSE, "%s: not a regular file", p);
    free(p);
    return rc;
  }
  cs__ydoc d;
  char *text = NULL;
  size_t len = 0;
  int rc = cs__read_file(p, &text, &len, err);
  if (rc == 0) rc = cs__ydoc_load_string(&d, p, text, len, err);
  if (rc) {
    free(text);
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
  if (cs__store_probe_digest(text, len, cs__ymap_get(d.root, "digest") != NULL) < 0) {
    rc = cs_err_set(err, CS_EIO, "%s: content differs from the digest it carries (edited or damaged)", p);
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
  /* counts as the writer writes them; a damaged file must not overflow the casts below */
  if (!(replicas >= 1 && replicas <= INT32_MAX) || !(completed >= 0 && completed <= 0x1p53) ||
      !(arrived >= 0 && arrived <= 0x1p53) || !(events >= 0 && events <= 0x1p53)) {
    rc = cs_err_set(err, CS_EPARSE, "%s: replicas, completed, arrived or events out of range (edited or damaged)", p);
    goto out;
  }
  rec->replicas = (int)replicas;
  rec->pass = pass;
  rec->completed = (int64_t)completed;
  rec->arrived = (int64_t)arrived;
  rec->events = (int64_t)events;
  rec->hit_time_limit = hit;
  const cs__ynode *se = cs__ymap_get(d.root, "stopped_early");
  if (se && (rc = cs__y_bool(&d, se, "stopped_early", &rec->stopped_early, err))) {
    rc = CS_EPARSE;
    goto out;
  }
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
  const cs__ynode *key = cs__ymap_get(d.root, "key");
  if (key && key->kind == CS_Y_SCALAR) snprintf(rec->key, sizeof rec->key, "%s", key->str);
  const cs__ynode *pruned = cs__ymap_get(d.root, "pruned");
  if (pruned && cs__y_bool(&d, pruned, "pruned", &rec->pruned, NULL)) rec->pruned = false;
  if (verify) rc = cs__store_files_verify(&d, probe_dir, err);
out:
  cs__ydoc_free(&d);
  free(text);
  free(p);
  return rc;
}

/* Removes everything in probe_dir but output.log (and probe.json when keep_marker); never
 * follows a link: probe_dir itself must be a real directory, and links inside are unlinked. */
static int clean_dir(const char *probe_dir, bool keep_marker, cs_err *err) {
  int fd = open(probe_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (!d) {
    int e = errno;
    if (fd >= 0) close(fd);
    if (e == ENOENT) return 0;
    return cs_err_set(err, CS_EIO, "%s: cannot open: %s", probe_dir,
                      e == ELOOP || e == ENOTDIR ? "not a directory (a symbolic link?)" : strerror(e));
  }
  CS__VEC(char *) victims = {0};
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, "output.log")) continue;
    if (keep_marker && !strcmp(e->d_name, "probe.json")) continue;
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

int cs__store_clean_probe(const char *probe_dir, cs_err *err) { return clean_dir(probe_dir, false, err); }

/* Both prunes: durable reads the probe's files and syncs the rewritten probe.json; lazy does
 * neither and leaves a probe pruned before as it is. */
static int prune(const char *probe_dir, cs__probe_record *r, bool durable, bool *was_pruned, cs_err *err) {
  int rc = read_probe(probe_dir, r, durable, err);
  *was_pruned = rc == 0 && r->pruned;
  if (rc || (!durable && r->pruned)) return rc;
  r->pruned = true;
  if ((rc = write_probe(probe_dir, r, NULL, NULL, durable, err))) return rc;
  return clean_dir(probe_dir, true, err);
}

int cs__store_prune_probe(const char *probe_dir, cs_err *err) {
  cs__probe_record r;
  bool was_pruned;
  return prune(probe_dir, &r, true, &was_pruned, err);
}

int cs__store_prune_probe_lazy(const char *probe_dir, cs__probe_record *r, bool *was_pruned, cs_err *err) {
  return prune(probe_dir, r, false, was_pruned, err);
}

int cs__store_log(const char *probe_dir, const char *line, cs_err *err) {
  /* openat below a directory opened without following links: neither the probe directory nor
   * output.log may be a link to somewhere else */
  int dfd = open(probe_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  int fd = dfd >= 0 ? openat(dfd, "output.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644) : -1;
  int e = errno;
  if (dfd >= 0) close(dfd);
  if (fd < 0)
    return cs_err_set(err, CS_EIO, "%s/output.log: cannot open: %s", probe_dir,
                      e == ELOOP || e == ENOTDIR ? "a symbolic link (never followed inside the output directory)"
                                                 : strerror(e));
  size_t n = strlen(line);
  char *buf = cs__xmalloc(n + 2);
  memcpy(buf, line, n);
  size_t m = n;
  if (!n || line[n - 1] != '\n') buf[m++] = '\n';
  ssize_t w = write(fd, buf, m);
  int rc = 0;
  if (w != (ssize_t)m) rc = cs_err_set(err, CS_EIO, "%s/output.log: write failed: %s", probe_dir, strerror(errno));
  close(fd);
  free(buf);
  return rc;
}
