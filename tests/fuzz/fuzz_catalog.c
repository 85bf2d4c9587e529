/* The catalogs (src/catalog): the input holds models.yaml, devices.yaml and networks.yaml in
 * that order, separated by lines "%%" (a missing part is an empty file). */
#include "capsearch/catalog.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const names[] = {"models.yaml", "devices.yaml", "networks.yaml"};
  static const char sep[] = "\n%%\n";
  const uint8_t *p = data, *end = data + size;
  for (int i = 0; i < 3; i++) {
    const uint8_t *q = p;
    while (q + 4 <= end && memcmp(q, sep, 4)) q++;
    if (q + 4 > end || i == 2) q = end;
    cs_fuzz_file(names[i], p, (size_t)(q - p));
    p = q + 4 <= end ? q + 4 : end;
  }
  cs_catalog *c = NULL;
  cs_err err = {0};
  if (cs_catalog_load(cs_fuzz_dir(), &c, &err) == 0) cs_catalog_free(c);
  return 0;
}
