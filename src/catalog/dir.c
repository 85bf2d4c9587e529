/* Where the default catalogs live. */
#include <stdlib.h>

#include "capsearch/catalog.h"
#include "util/fs.h"

#ifndef CS_CONFIG_DIR
#define CS_CONFIG_DIR "configs"
#endif

const char *cs_catalog_default_dir(void) {
  const char *env = getenv("CAPSEARCH_CONFIG_DIR");
  if (env && *env) return env;
  if (cs__is_dir(CS_CONFIG_DIR)) return CS_CONFIG_DIR;
  return "configs";
}
