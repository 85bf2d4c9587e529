/* The trace-format registry: one entry per line of CS_TRACE_FORMATS (trace.h), each defined
 * with its reader in its own file; names, --format values, messages, detection and `capsearch
 * list trace-formats` all come from here. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "trace/internal.h"
#include "util/text.h"

#define FORMAT_PTR(id, name) &cs__trace_format_##name,
static const cs__trace_format *const formats[] = {CS_TRACE_FORMATS(FORMAT_PTR)};
#undef FORMAT_PTR
#define NFORMATS (sizeof formats / sizeof formats[0])
_Static_assert(NFORMATS + 1 == CS_TRACE_FORMAT_COUNT, "one registry entry per CS_TRACE_FORMATS line");

#define FORMAT_ENTRY(id, name) &cs__trace_format_##name.info,
static const cs_registry_entry *const entries[] = {CS_TRACE_FORMATS(FORMAT_ENTRY) NULL};
#undef FORMAT_ENTRY

static const cs_registry registry = {"trace format", entries};

const cs_registry *cs_trace_formats(void) { return &registry; }

/* Entry k of the registry is enum value k + 1 (CS_TRACE_AUTO is 0). */
const cs__trace_format *cs__trace_format_get(cs_trace_format f) {
  return f > CS_TRACE_AUTO && (size_t)f <= NFORMATS ? formats[f - 1] : NULL;
}

const cs_registry_entry *cs_trace_format_entry(cs_trace_format f) {
  const cs__trace_format *t = cs__trace_format_get(f);
  return t ? &t->info : NULL;
}

const char *cs_trace_format_name(cs_trace_format f) {
  if (f == CS_TRACE_AUTO) return "auto";
  const cs__trace_format *t = cs__trace_format_get(f);
  return t ? t->info.name : "unknown";
}

const char *cs_trace_format_label(cs_trace_format f) {
  if (f == CS_TRACE_AUTO) return "auto";
  const cs__trace_format *t = cs__trace_format_get(f);
  return t ? t->label : "unknown";
}

int cs_trace_format_parse(const char *name, cs_trace_format *out, cs_err *err) {
  if (name && !strcmp(name, "auto")) {
    *out = CS_TRACE_AUTO;
    return 0;
  }
  const cs_registry_entry *e = cs_registry_get(&registry, name);
  for (size_t i = 0; e && i < NFORMATS; i++)
    if (&formats[i]->info == e) {
      *out = (cs_trace_format)(i + 1);
      return 0;
    }
  /* suggest among "auto" and the names; list them all */
  const char *cands[NFORMATS + 1] = {"auto"};
  for (size_t i = 0; i < NFORMATS; i++) cands[i + 1] = formats[i]->info.name;
  char suffix[512];
  cs__choices_suffix(name, cands, NFORMATS + 1, "expected one of", "none", suffix, sizeof suffix);
  return cs_err_set(err, CS_EUNKNOWN, "unknown trace format '%s'%s", name ? name : "", suffix);
}

cs_trace_format cs__trace_detect(const char *path, const char *data) {
  const char *p = data;
  if ((unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF) p += 3;
  while (*p && isspace((unsigned char)*p)) p++;
  const char *eol = strchr(p, '\n');
  cs__trace_head h = {path, p, eol ? (size_t)(eol - p) : strlen(p)};
  size_t fallback = NFORMATS;
  for (size_t i = 0; i < NFORMATS; i++) {
    if (!formats[i]->detect) {
      if (fallback == NFORMATS) fallback = i;
    } else if (formats[i]->detect(&h)) {
      return (cs_trace_format)(i + 1);
    }
  }
  return fallback < NFORMATS ? (cs_trace_format)(fallback + 1) : CS_TRACE_AUTO;
}
