/* Shared by the libFuzzer targets (one per input reader; tests/fuzz/README.md). Readers that
 * take a path get the input as a file in a scratch directory made once per process. */
#ifndef CS_FUZZ_COMMON_H
#define CS_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The scratch directory of this fuzzing process (created on first use). */
static inline const char *cs_fuzz_dir(void) {
  static char dir[64];
  if (!dir[0]) {
    snprintf(dir, sizeof dir, "/tmp/capsearch-fuzz-XXXXXX");
    if (!mkdtemp(dir)) abort();
  }
  return dir;
}

/* Writes the input to <scratch>/<name>; returns the path (static buffer). */
static inline const char *cs_fuzz_file(const char *name, const uint8_t *data, size_t size) {
  static char path[256];
  snprintf(path, sizeof path, "%s/%s", cs_fuzz_dir(), name);
  FILE *f = fopen(path, "wb");
  if (!f) abort();
  if (size && fwrite(data, 1, size, f) != size) abort();
  fclose(f);
  return path;
}

/* A NUL-terminated copy, as cs__read_file hands text to the readers. */
static inline char *cs_fuzz_text(const uint8_t *data, size_t size) {
  char *t = malloc(size + 1);
  if (!t) abort();
  if (size) memcpy(t, data, size);
  t[size] = '\0';
  return t;
}

#endif
