/* A committed probe's marker, probe.json (src/store), as a resume reads it: the record and the
 * verification of the files it lists (paths outside the probe directory must be refused). */
#include "fuzz_common.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cs_fuzz_file("probe.json", data, size);
  cs__probe_record r;
  cs_err err = {0};
  (void)cs__store_read_probe(cs_fuzz_dir(), &r, &err);
  return 0;
}
