/* The files a probe.json vouches for: every regular file under the probe directory except its
 * own marker, output.log (appended to by every attempt) and temporary names, listed in byte
 * order of their relative paths with size and sha1. The list is what was actually written, so
 * outputs added by any writer are covered without a fixed list here. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store_int.h"
#include "util/fs.h"
#include "util/sbuf.h"
#include "util/sha1.h"

typedef CS__VEC(char *) name_vec;

static bool skipped(const char *rel) {
  return !strcmp(rel, "probe.json") || !strcmp(rel, "output.log") || strstr(rel, ".tmp-") != NULL;
}

/* Relative paths of the regular files under dir/rel; a symbolic link or special file is an
 * error (nothing inside the output directory is followed). */
static int walk(const char *dir, const char *rel, name_vec *out, cs_err *err) {
  char *here = rel[0] ? cs__path_join(dir, rel) : cs__xstrdup(dir);
  DIR *d = opendir(here);
  if (!d) {
    int rc = cs_err_set(err, CS_EIO, "%s: cannot open directory: %s", here, strerror(errno));
    free(here);
    return rc;
  }
  name_vec names = {0};
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) cs__vec_push(&names, cs__xstrdup(e->d_name));
  closedir(d);
  int rc = 0;
  for (size_t i = 0; i < names.n; i++) {
    char *r = rel[0] ? cs__path_join(rel, names.v[i]) : cs__xstrdup(names.v[i]);
    char *full = cs__path_join(dir, r);
    struct stat st;
    if (rc == 0 && !skipped(r)) {
      if (lstat(full, &st) != 0) rc = cs_err_set(err, CS_EIO, "%s: %s", full, strerror(errno));
      else if (S_ISDIR(st.st_mode)) rc = walk(dir, r, out, err);
      else if (S_ISREG(st.st_mode)) cs__vec_push(out, cs__xstrdup(r));
      else rc = cs_err_set(err, CS_EUSAGE, "%s: not a regular file or directory (a link?); remove it", full);
    }
    free(full);
    free(r);
    free(names.v[i]);
  }
  free(names.v);
  free(here);
  return rc;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The size and sha1 its writer recorded for the file at relative path rel, when rel lies under
 * sub/ and the file still has that size (full: its path, for the size check). */
static const cs__file_digest *recorded(const char *rel, const char *full, const char *sub, const cs__digests *dig) {
  size_t n = sub ? strlen(sub) : 0;
  if (!dig || !n || strncmp(rel, sub, n) || rel[n] != '/') return NULL;
  const cs__file_digest *d = cs__digests_find(dig, rel + n + 1);
  struct stat st;
  if (!d || lstat(full, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != d->size) return NULL;
  return d;
}

int cs__store_files_json(cs__jw *w, const char *probe_dir, const char *sub, const cs__digests *dig, cs_err *err) {
  name_vec files = {0};
  int rc = walk(probe_dir, "", &files, err);
  if (files.n) qsort(files.v, files.n, sizeof *files.v, cmp_str);
  cs__jw_key(w, "files");
  cs__jw_arr_begin(w);
  for (size_t i = 0; i < files.n; i++) {
    char *full = cs__path_join(probe_dir, files.v[i]);
    char hex[41];
    uint64_t size = 0;
    const cs__file_digest *d = rc == 0 ? recorded(files.v[i], full, sub, dig) : NULL;
    if (d) {
      memcpy(hex, d->sha1, sizeof hex);
      size = d->size;
    }
    if (rc == 0 && (d || (rc = cs__file_sha1(full, hex, &size, err)) == 0)) {
      cs__jw_obj_begin(w);
      cs__jw_kstr(w, "path", files.v[i]);
      cs__jw_kint(w, "size", (int64_t)size);
      cs__jw_kstr(w, "sha1", hex);
      cs__jw_obj_end(w);
    }
    free(full);
    free(files.v[i]);
  }
  cs__jw_arr_end(w);
  free(files.v);
  return rc;
}

/* A recorded path must stay inside the probe directory: relative, no "..". */
static bool safe_rel(const char *p) {
  if (!p[0] || p[0] == '/') return false;
  for (const char *s = p; *s;) {
    const char *e = strchr(s, '/');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.')) return false;
    s += n + (e ? 1 : 0);
  }
  return true;
}

int cs__store_files_verify(const cs__ydoc *d, const char *probe_dir, cs_err *err) {
  const cs__ynode *files = cs__ymap_get(d->root, "files");
  if (!files || files->kind != CS_Y_SEQ)
    return cs_err_set(err, CS_EIO, "%s: lists no files with checksums (written by an older capsearch)", d->file);
  for (size_t i = 0; i < files->n; i++) {
    const cs__ynode *f = files->items[i];
    const char *path = NULL, *sha = NULL;
    int64_t size = -1;
    if (cs__y_str(d, cs__ymap_get(f, "path"), "files[].path", &path, NULL) ||
        cs__y_str(d, cs__ymap_get(f, "sha1"), "files[].sha1", &sha, NULL) ||
        cs__y_int(d, cs__ymap_get(f, "size"), "files[].size", &size, NULL) || !safe_rel(path) ||
        strlen(sha) != 40)
      return cs_err_set(err, CS_EIO, "%s:%d:%d: unreadable entry in files", d->file, f->line, f->col);
    char *full = cs__path_join(probe_dir, path);
    char hex[41];
    uint64_t got = 0;
    cs_err e = {0};
    int rc = cs__file_sha1(full, hex, &got, &e);
    if (rc) rc = cs_err_set(err, CS_EIO, "%s", e.msg);
    else if (got != (uint64_t)size)
      rc = cs_err_set(err, CS_EIO, "%s: %llu bytes, but probe.json recorded %lld", full, (unsigned long long)got,
                      (long long)size);
    else if (strcmp(hex, sha))
      rc = cs_err_set(err, CS_EIO, "%s: content differs from its checksum in probe.json", full);
    free(full);
    if (rc) return rc;
  }
  return 0;
}

static int cmp_len_desc(const void *a, const void *b) {
  size_t x = strlen(*(char *const *)a), y = strlen(*(char *const *)b);
  return x < y ? 1 : x > y ? -1 : strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds probe_dir's probe.json and every file under it to s, and the directories holding them
 * (relative to probe_dir, "" for itself) to dirs, once each. */
static int settle_add(const char *probe_dir, cs__syncset *s, name_vec *dirs, cs_err *err) {
  name_vec files = {0};
  int rc = walk(probe_dir, "", &files, err);
  char *marker = cs__path_join(probe_dir, "probe.json");
  if (rc == 0) rc = cs__syncset_add(s, marker, err);
  free(marker);
  size_t first = dirs->n;
  for (size_t i = 0; i < files.n; i++) {
    char *full = cs__path_join(probe_dir, files.v[i]);
    if (rc == 0) rc = cs__syncset_add(s, full, err);
    free(full);
    /* every directory between the file and probe_dir */
    for (char *slash = strrchr(files.v[i], '/'); slash; slash = strrchr(files.v[i], '/')) {
      *slash = '\0';
      bool known = false;
      for (size_t k = first; k < dirs->n && !known; k++) known = !strcmp(dirs->v[k], files.v[i]);
      if (!known) cs__vec_push(dirs, cs__xstrdup(files.v[i]));
    }
    free(files.v[i]);
  }
  free(files.v);
  if (dirs->n > first) qsort(dirs->v + first, dirs->n - first, sizeof *dirs->v, cmp_len_desc);
  cs__vec_push(dirs, cs__xstrdup(""));
  return rc;
}

int cs__store_settle_probes(char *const *probe_dirs, size_t n, cs_err *err) {
  cs__syncset s;
  cs__syncset_init(&s);
  CS__VEC(name_vec) dirs = {0}; /* per probe: its directories, deepest first, itself last */
  int rc = 0;
  for (size_t i = 0; i < n; i++) {
    cs__probe_record rec;
    cs_err e = {0};
    name_vec d = {0};
    /* a probe that fails its check is left as it is (a rerun simulates it again); the others
     * are made durable all the same */
    int prc = cs__store_read_probe(probe_dirs[i], &rec, &e);
    if (prc == 0) prc = settle_add(probe_dirs[i], &s, &d, &e);
    if (prc && rc == 0) rc = cs_err_set(err, CS_EIO, "%s", e.msg);
    cs__vec_push(&dirs, d);
  }
  int src = cs__syncset_sync(&s, rc ? NULL : err);
  if (rc == 0) rc = src;
  for (size_t i = 0; i < dirs.n; i++) {
    for (size_t k = 0; k < dirs.v[i].n; k++) {
      char *full = dirs.v[i].v[k][0] ? cs__path_join(probe_dirs[i], dirs.v[i].v[k]) : cs__xstrdup(probe_dirs[i]);
      if (src == 0 && cs__fsync_path(full, rc ? NULL : err) && rc == 0) rc = CS_EIO;
      free(full);
      free(dirs.v[i].v[k]);
    }
    free(dirs.v[i].v);
  }
  free(dirs.v);
  return rc;
}
