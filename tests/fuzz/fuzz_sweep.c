/* The sweep reader (src/config) and the expansion of what it accepts (src/sweep). */
#include "capsearch/sweep.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = cs_fuzz_text(data, size);
  cs_sweep *s = NULL;
  cs_err err = {0};
  if (cs_sweep_load_string("fuzz.yml", text, &s, &err) == 0) {
    cs_sweep_jobs jobs = {0};
    if (cs_sweep_count_jobs(s) <= 10000 && cs_sweep_expand(s, &jobs, &err) == 0) cs_sweep_jobs_release(&jobs);
    cs_sweep_free(s);
  }
  free(text);
  return 0;
}
