/* Where the default catalogs live. An installed binary finds them relative to itself
 * (<prefix>/bin/capsearch -> <prefix>/share/capsearch), so an installed tree can be moved; a
 * binary in a build directory inside the checkout finds the checkout's configs/. */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capsearch/catalog.h"
#include "util/fs.h"

#ifndef CS_DATA_REL
#define CS_DATA_REL "../share/capsearch" /* the install's datadir/capsearch seen from bindir */
#endif
#ifndef CS_CONFIG_DIR
#define CS_CONFIG_DIR "configs"
#endif

const char *cs_catalog_default_dir(void) {
  const char *env = getenv("CAPSEARCH_CONFIG_DIR");
  if (env && *env) return env;
  if (cs__is_dir(CS_CONFIG_DIR)) return CS_CONFIG_DIR;
  return "configs";
}

/* buf = dir/rel when dir/rel/models.yaml exists. */
static bool try_dir(const char *dir, const char *rel, char *buf, size_t n) {
  char probe[4096];
  if ((size_t)snprintf(probe, sizeof probe, "%s/%s/models.yaml", dir, rel) >= sizeof probe) return false;
  if (!cs__path_exists(probe)) return false;
  if ((size_t)snprintf(probe, sizeof probe, "%s/%s", dir, rel) >= sizeof probe) return false;
  char *real = realpath(probe, NULL); /* "<prefix>/share/capsearch", not ".../bin/../share/..." */
  bool ok = (size_t)snprintf(buf, n, "%s", real ? real : probe) < n;
  free(real);
  return ok;
}

int cs_catalog_locate(char *buf, size_t n) {
  const char *env = getenv("CAPSEARCH_CONFIG_DIR");
  if (env && *env) return snprintf(buf, n, "%s", env) < (int)n ? 0 : -1;
  char exe[4096];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len > 0) {
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) {
      *slash = '\0';
      if (try_dir(exe, CS_DATA_REL, buf, n) || try_dir(exe, "../configs", buf, n)) return 0;
    }
  }
  return snprintf(buf, n, "%s", cs__is_dir(CS_CONFIG_DIR) ? CS_CONFIG_DIR : "configs") < (int)n ? 0 : -1;
}
