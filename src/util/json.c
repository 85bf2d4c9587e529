#include "util/json.h"

#include <math.h>
#include <stdio.h>

#include "util/text.h"

void cs__jw_init(cs__jw *w, cs__sbuf *out, bool compact) {
  w->out = out;
  w->depth = 0;
  w->first[0] = true;
  w->after_key = false;
  w->compact = compact;
}

static void newline(cs__jw *w) {
  if (w->compact) return;
  cs__sbuf_addc(w->out, '\n');
  for (int i = 0; i < w->depth; i++) cs__sbuf_adds(w->out, "  ");
}

static void before_value(cs__jw *w) {
  if (w->after_key) {
    w->after_key = false;
    return;
  }
  if (w->depth > 0) {
    if (!w->first[w->depth]) cs__sbuf_addc(w->out, ',');
    if (w->compact && !w->first[w->depth]) cs__sbuf_addc(w->out, ' ');
    newline(w);
  }
  w->first[w->depth] = false;
}

void cs__json_escape(cs__sbuf *sb, const char *s) {
  cs__sbuf_addc(sb, '"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
    case '"':
      cs__sbuf_adds(sb, "\\\"");
      break;
    case '\\':
      cs__sbuf_adds(sb, "\\\\");
      break;
    case '\n':
      cs__sbuf_adds(sb, "\\n");
      break;
    case '\t':
      cs__sbuf_adds(sb, "\\t");
      break;
    case '\r':
      cs__sbuf_adds(sb, "\\r");
      break;
    default:
      if (*p < 0x20)
        cs__sbuf_addf(sb, "\\u%04x", *p);
      else
        cs__sbuf_addc(sb, (char)*p);
    }
  }
  cs__sbuf_addc(sb, '"');
}

static void open(cs__jw *w, char c) {
  before_value(w);
  cs__sbuf_addc(w->out, c);
  w->depth++;
  w->first[w->depth] = true;
}

static void close_(cs__jw *w, char c) {
  bool empty = w->first[w->depth];
  w->depth--;
  if (!empty) newline(w);
  cs__sbuf_addc(w->out, c);
}

void cs__jw_obj_begin(cs__jw *w) { open(w, '{'); }
void cs__jw_obj_end(cs__jw *w) { close_(w, '}'); }
void cs__jw_arr_begin(cs__jw *w) { open(w, '['); }
void cs__jw_arr_end(cs__jw *w) { close_(w, ']'); }

void cs__jw_key(cs__jw *w, const char *key) {
  before_value(w);
  cs__json_escape(w->out, key);
  cs__sbuf_adds(w->out, ": ");
  w->after_key = true;
}

void cs__jw_str(cs__jw *w, const char *s) {
  before_value(w);
  if (!s)
    cs__sbuf_adds(w->out, "null");
  else
    cs__json_escape(w->out, s);
}

void cs__jw_num(cs__jw *w, double v) {
  before_value(w);
  if (!isfinite(v)) {
    cs__sbuf_adds(w->out, "null");
    return;
  }
  char b[32];
  cs__sbuf_adds(w->out, cs__fmt_double(v, b));
}

void cs__jw_int(cs__jw *w, int64_t v) {
  before_value(w);
  cs__sbuf_addf(w->out, "%lld", (long long)v);
}

void cs__jw_bool(cs__jw *w, bool v) {
  before_value(w);
  cs__sbuf_adds(w->out, v ? "true" : "false");
}

void cs__jw_null(cs__jw *w) {
  before_value(w);
  cs__sbuf_adds(w->out, "null");
}

void cs__jw_kstr(cs__jw *w, const char *key, const char *s) {
  cs__jw_key(w, key);
  cs__jw_str(w, s);
}
void cs__jw_knum(cs__jw *w, const char *key, double v) {
  cs__jw_key(w, key);
  cs__jw_num(w, v);
}
void cs__jw_kint(cs__jw *w, const char *key, int64_t v) {
  cs__jw_key(w, key);
  cs__jw_int(w, v);
}
void cs__jw_kbool(cs__jw *w, const char *key, bool v) {
  cs__jw_key(w, key);
  cs__jw_bool(w, v);
}
