/* Internal to src/store: the file list of probe.json (files.c). */
#ifndef CS_STORE_STORE_INT_H
#define CS_STORE_STORE_INT_H

#include "store/store.h"
#include "util/json.h"
#include "util/yaml.h"

/* Writes "files": [{path, size, sha1}, ...] for the files under probe_dir (see files.c); the
 * files under probe_dir/<sub>/ that dig names (sub and dig may be NULL) are not read. */
int cs__store_files_json(cs__jw *w, const char *probe_dir, const char *sub, const struct cs__digests *dig,
                         cs_err *err);

#endif
