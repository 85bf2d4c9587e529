#include "cs_test.h"

#include <stdlib.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/sbuf.h"

static char scratch_root[4096];
static unsigned skipped_cases; /* cases that called cs_test_skip */

void cs_test_skip(const char *why) {
  fprintf(stderr, "SKIP: %s\n", why);
  skipped_cases++;
}

static void cleanup_scratch(void) {
  if (scratch_root[0] && !getenv("CS_TEST_KEEP")) cs__rm_rf(scratch_root, NULL);
}

int cs_test_run(const char *suite, const cs_test_case *cases) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite(suite, NULL, NULL);
  unsigned ncases = 0;
  for (const cs_test_case *c = cases; c->name; c++, ncases++) CU_add_test(s, c->name, c->fn);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  if (!failed && ncases && skipped_cases >= ncases) return CS_TEST_SKIP; /* ctest: Skipped */
  return failed ? 1 : 0;
}

const char *cs_test_shared(const char *rel, char *buf, size_t size) {
  const char *root = getenv("CS_SHARED_DATA");
  if (!root) root = "../shared/data";
  snprintf(buf, size, "%s/%s", root, rel);
  if (!cs__path_exists(buf)) {
    fprintf(stderr, "note: shared data %s not found; skipping the part that needs it\n", buf);
    return NULL;
  }
  return buf;
}

const char *cs_test_source(const char *rel, char *buf, size_t size) {
  const char *root = getenv("CS_SOURCE_DIR");
  if (!root) root = "..";
  snprintf(buf, size, "%s/%s", root, rel);
  return buf;
}

const char *cs_test_tmpdir(char *buf, size_t size) {
  static int counter;
  if (!scratch_root[0]) {
    const char *t = getenv("TMPDIR");
    snprintf(scratch_root, sizeof scratch_root, "%s/cs_test_XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(scratch_root)) return NULL;
    atexit(cleanup_scratch);
  }
  snprintf(buf, size, "%s/d%d", scratch_root, counter++);
  if (cs__mkdir_p(buf, NULL) != 0) return NULL;
  return buf;
}

int cs_test_write(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t n = strlen(text);
  int rc = fwrite(text, 1, n, f) == n ? 0 : -1;
  fclose(f);
  return rc;
}

char *cs_test_read(const char *path, size_t *len) {
  char *buf;
  size_t n;
  if (cs__read_file(path, &buf, &n, NULL) != 0) return NULL;
  if (len) *len = n;
  return buf;
}
