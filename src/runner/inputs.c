/* What decides a probe besides its job.json: the content of the trace file (not its name), the
 * catalogs (models, devices, networks), a local model config.json, the predictor's parameters
 * and its profiling or predictions data. Their sha1s, with job.json (every parameter of the job,
 * the SLO values included), make the key a committed probe.json records; a resume reuses a
 * probe only under the same key, so nothing changed is ever silently reused (--force included). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runner/runner.h"
#include "util/fs.h"
#include "util/sbuf.h"
#include "util/sha1.h"

/* Adds "<tag> <sha1 of file>\n" (or "<tag> absent\n") to the digest text. */
static int add_file(cs__sbuf *sb, const char *tag, const char *path, cs_err *err) {
  char hex[41];
  uint64_t size = 0;
  cs_err e = {0};
  int rc = cs__file_sha1(path, hex, &size, &e);
  if (rc == CS_ENOENT) {
    cs__sbuf_addf(sb, "%s absent\n", tag);
    return 0;
  }
  if (rc) return cs_err_set(err, rc, "%s", e.msg);
  cs__sbuf_addf(sb, "%s %llu %s\n", tag, (unsigned long long)size, hex);
  return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Every regular file under dir, in byte order of their paths (a data directory of CSV tables). */
static int add_tree(cs__sbuf *sb, const char *dir, const char *rel, int depth, cs_err *err) {
  char *here = rel[0] ? cs__path_join(dir, rel) : cs__xstrdup(dir);
  DIR *d = opendir(here);
  free(here);
  if (!d) return 0; /* the predictor reports a missing directory itself */
  CS__VEC(char *) names = {0};
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') cs__vec_push(&names, cs__xstrdup(e->d_name));
  closedir(d);
  if (names.n) qsort(names.v, names.n, sizeof *names.v, cmp_str);
  int rc = 0;
  for (size_t i = 0; i < names.n; i++) {
    char *r = rel[0] ? cs__path_join(rel, names.v[i]) : cs__xstrdup(names.v[i]);
    char *full = cs__path_join(dir, r);
    struct stat st;
    if (rc == 0 && stat(full, &st) == 0) {
      if (S_ISDIR(st.st_mode) && depth < 8) rc = add_tree(sb, dir, r, depth + 1, err);
      else if (S_ISREG(st.st_mode)) rc = add_file(sb, r, full, err);
    }
    free(full);
    free(r);
    free(names.v[i]);
  }
  free(names.v);
  return rc;
}

int cs__plan_digest_inputs(cs__plan *p, const cs__runner_opts *o, cs_err *err) {
  const cs_sweep *s = p->sweep;
  const char *cat = o->catalog_dir ? o->catalog_dir : cs_catalog_default_dir();
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  static const char *const cats[] = {"models.yaml", "devices.yaml", "networks.yaml"};
  int rc = 0;
  for (size_t i = 0; i < 3 && !rc; i++) {
    char *f = cs__path_join(cat, cats[i]);
    rc = add_file(&sb, cats[i], f, err);
    free(f);
  }
  for (size_t i = 0; i < s->nmodels && !rc; i++)
    if (s->models[i].config) {
      char *f = cs__is_dir(s->models[i].config) ? cs__path_join(s->models[i].config, "config.json")
                                                : cs__xstrdup(s->models[i].config);
      rc = add_file(&sb, "model_config", f, err);
      free(f);
    }
  for (int i = 0; i < s->npredictor_params; i++)
    cs__sbuf_addf(&sb, "predictor %s=%.17g\n", s->predictor_param_names[i], s->predictor_param_values[i]);
  if (!rc && s->profiling_dir) rc = add_tree(&sb, s->profiling_dir, "", 0, err);
  if (!rc && s->predictions_dir) rc = add_tree(&sb, s->predictions_dir, "", 0, err);
  if (!rc) cs__sha1_hex(sb.buf ? sb.buf : "", sb.len, p->inputs_sha1);
  cs__sbuf_release(&sb);
  return rc;
}

int cs__plan_digest_trace(cs__plan *p, size_t trace, cs_err *err) {
  uint64_t size = 0;
  return cs__file_sha1(p->sweep->traces[trace].path, p->trace_sha1[trace], &size, err);
}

void cs__probe_key(const cs__plan *p, const cs__runner_opts *o, const cs_sweep_job *j, char key[41]) {
  char *text = cs__job_deciding_json(p, o, j);
  cs__sha1 h;
  cs__sha1_init(&h);
  static const char tag[] = "capsearch-probe-key 1\n";
  cs__sha1_update(&h, tag, sizeof tag - 1);
  cs__sha1_update(&h, text, strlen(text));
  cs__sha1_update(&h, p->trace_sha1[j->trace], 40);
  cs__sha1_update(&h, p->inputs_sha1, 40);
  unsigned char d[20];
  cs__sha1_final(&h, d);
  for (int i = 0; i < 20; i++) snprintf(key + 2 * i, 3, "%02x", d[i]);
  free(text);
}
