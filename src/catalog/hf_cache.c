/* Models by name, offline: a Hugging Face repo id that is not in the catalog is looked up in
 * the local hub cache the way huggingface_hub / transformers find it without a network:
 *   cache = $HF_HUB_CACHE, else $HUGGINGFACE_HUB_CACHE (its old name), else
 *           ($HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface)/hub
 *   <cache>/models--ORG--NAME/refs/main        the commit the "main" revision points at
 *   <cache>/models--ORG--NAME/snapshots/<commit>/config.json
 * Without refs/main, a single snapshot holding config.json is used; several are ambiguous. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsearch/catalog.h"
#include "util/fs.h"

static int env_path(const char *var, const char *suffix, char *buf, size_t n) {
  const char *v = getenv(var);
  if (!v || !*v) return 0;
  return snprintf(buf, n, "%s%s", v, suffix) < (int)n ? 1 : 0;
}

int cs_hf_cache_dir(char *buf, size_t n) {
  if (env_path("HF_HUB_CACHE", "", buf, n) || env_path("HUGGINGFACE_HUB_CACHE", "", buf, n) ||
      env_path("HF_HOME", "/hub", buf, n) || env_path("XDG_CACHE_HOME", "/huggingface/hub", buf, n) ||
      env_path("HOME", "/.cache/huggingface/hub", buf, n))
    return 0;
  return -1;
}

/* ORG/NAME: one '/', no empty part, no "..", nothing a directory name cannot hold. */
static bool repo_id_ok(const char *id) {
  const char *slash = strchr(id, '/');
  if (!slash || slash == id || !slash[1] || strchr(slash + 1, '/') || strstr(id, "..")) return false;
  for (const char *p = id; *p; p++)
    if (!(*p == '/' || *p == '-' || *p == '_' || *p == '.' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
          (*p >= 'A' && *p <= 'Z')))
      return false;
  return true;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The only snapshot holding config.json; CS_ENOENT for none, CS_EUNKNOWN for several. */
static int only_snapshot(const char *repo, const char *id, char *out, size_t n, cs_err *err) {
  char snaps[4096];
  if ((size_t)snprintf(snaps, sizeof snaps, "%s/snapshots", repo) >= sizeof snaps)
    return cs_err_set(err, CS_ERANGE, "%s: path too long", repo);
  DIR *d = opendir(snaps);
  if (!d) return cs_err_set(err, CS_ENOENT, "%s has no snapshots/", repo);
  char *found[64];
  size_t nf = 0;
  struct dirent *e;
  while ((e = readdir(d)) && nf < 64) {
    if (e->d_name[0] == '.') continue;
    char p[4096];
    if ((size_t)snprintf(p, sizeof p, "%s/%s/config.json", snaps, e->d_name) < sizeof p && cs__path_exists(p))
      found[nf++] = strdup(p);
  }
  closedir(d);
  qsort(found, nf, sizeof *found, cmp_str);
  int rc = 0;
  if (nf == 0)
    rc = cs_err_set(err, CS_ENOENT, "no snapshot of %s in %s holds config.json", id, snaps);
  else if (nf > 1)
    rc = cs_err_set(err, CS_EUNKNOWN, "%s: %zu snapshots hold config.json and refs/main is missing; give one with --model %s",
                    snaps, nf, found[0]);
  else
    snprintf(out, n, "%s", found[0]);
  for (size_t i = 0; i < nf; i++) free(found[i]);
  return rc;
}

int cs_hf_cache_config(const char *repo_id, char *out, size_t n, cs_err *err) {
  char cache[4096], repo[4096];
  if (!repo_id_ok(repo_id)) return cs_err_set(err, CS_EINVAL, "'%s' is not a Hugging Face repo id (ORG/NAME)", repo_id);
  if (cs_hf_cache_dir(cache, sizeof cache)) return cs_err_set(err, CS_ENOENT, "no Hugging Face cache (HF_HUB_CACHE, HF_HOME and HOME unset)");
  int len = snprintf(repo, sizeof repo, "%s/models--", cache);
  for (const char *p = repo_id; *p && len < (int)sizeof repo - 3; p++) {
    if (*p == '/') {
      repo[len++] = '-';
      repo[len++] = '-';
    } else {
      repo[len++] = *p;
    }
  }
  repo[len] = '\0';
  if (!cs__is_dir(repo)) return cs_err_set(err, CS_ENOENT, "not in the Hugging Face cache %s", cache);
  char ref[4096];
  if ((size_t)snprintf(ref, sizeof ref, "%s/refs/main", repo) >= sizeof ref)
    return cs_err_set(err, CS_ERANGE, "%s: path too long", repo);
  if (!cs__path_exists(ref)) return only_snapshot(repo, repo_id, out, n, err);
  char *commit = NULL;
  size_t clen;
  int rc = cs__read_file(ref, &commit, &clen, err);
  if (rc) return rc;
  while (clen && (commit[clen - 1] == '\n' || commit[clen - 1] == '\r' || commit[clen - 1] == ' ')) commit[--clen] = '\0';
  if (!clen || strchr(commit, '/') || strstr(commit, "..")) {
    rc = cs_err_set(err, CS_EFORMAT, "%s: not a commit hash", ref);
  } else if ((size_t)snprintf(out, n, "%s/snapshots/%s/config.json", repo, commit) >= n) {
    rc = cs_err_set(err, CS_ERANGE, "%s: path too long", ref);
  } else if (!cs__path_exists(out)) {
    rc = cs_err_set(err, CS_ENOENT, "%s points at snapshot %s, which has no config.json", ref, commit);
  }
  free(commit);
  return rc;
}

/* A local config.json, or a directory holding one (as vLLM's --model takes). */
static bool local_config(const char *name, char *out, size_t n) {
  if (cs__is_dir(name)) {
    if ((size_t)snprintf(out, n, "%s/config.json", name) >= n) return false;
    return cs__path_exists(out);
  }
  if (!strstr(name, ".json") || !cs__path_exists(name)) return false;
  return (size_t)snprintf(out, n, "%s", name) < n;
}

int cs_model_resolve(const cs_catalog *cat, const char *name, const cs_model **out, cs_model **owned, cs_err *err) {
  *owned = NULL;
  cs_err miss = {0};
  if (!cs_catalog_find_model(cat, name, out, &miss)) return 0;
  if (miss.code != CS_EUNKNOWN) return cs_err_set(err, miss.code, "%s", miss.msg);
  char path[4096];
  cs_err why = {0};
  bool found = local_config(name, path, sizeof path);
  if (!found && strchr(name, '/') && !strstr(name, ".json")) found = cs_hf_cache_config(name, path, sizeof path, &why) == 0;
  if (found) {
    int rc = cs_model_load_hf_config(path, owned, err);
    *out = *owned;
    return rc;
  }
  if (strchr(name, '/') && why.msg[0])
    return cs_err_set(err, CS_EUNKNOWN,
                      "%s; %s; give the model's config.json: --model DIR or --model DIR/config.json (a sweep: "
                      "'config:' under the model), or fetch it with 'huggingface-cli download %s config.json'",
                      miss.msg, why.msg, name);
  return cs_err_set(err, CS_EUNKNOWN,
                    "%s; a model outside the catalog is given by its config.json: --model DIR or "
                    "--model DIR/config.json, or as ORG/NAME found in the local Hugging Face cache",
                    miss.msg);
}
