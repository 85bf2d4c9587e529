/* The reader of the Mooncake JSONL trace (src/trace), on the bytes as cs__read_file hands them over. */
#include "capsearch/trace.h"
#include "fuzz_common.h"
#include "trace/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = cs_fuzz_text(data, size);
  cs_trace_opts o = {.format = CS_TRACE_AUTO, .block_size = 16, .max_rows = 0};
  cs_trace *t = NULL;
  cs_err err = {0};
  if (cs__read_mooncake("fuzz", text, size, &o, &t, &err) == 0) cs_trace_free(t);
  free(text);
  return 0;
}
