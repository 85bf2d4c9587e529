/* RFC 4180 field quoting (see csvw.h). */
#include "util/csvw.h"

#include <string.h>

bool cs__csv_needs_quotes(const char *s) { return s && strpbrk(s, ",\"\r\n") != NULL; }

void cs__csv_field(cs__sbuf *sb, const char *s) {
  if (!s) return;
  if (!cs__csv_needs_quotes(s)) {
    cs__sbuf_adds(sb, s);
    return;
  }
  cs__sbuf_addc(sb, '"');
  for (const char *q; (q = strchr(s, '"')) != NULL; s = q + 1) {
    cs__sbuf_add(sb, s, (size_t)(q - s) + 1);
    cs__sbuf_addc(sb, '"');
  }
  cs__sbuf_adds(sb, s);
  cs__sbuf_addc(sb, '"');
}
