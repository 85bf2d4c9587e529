/* A Hugging Face config.json (src/catalog/hf_config.c). */
#include "capsearch/catalog.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = cs_fuzz_file("config.json", data, size);
  cs_model *m = NULL;
  cs_err err = {0};
  if (cs_model_load_hf_config(path, &m, &err) == 0) cs_model_free(m);
  return 0;
}
