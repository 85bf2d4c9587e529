/* The JSON writer (see json.h). Misuse is remembered in w->misuse and stops all output, so a
 * caller that checks cs__jw_finish never publishes a malformed document. */
#include "util/json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/text.h"

void cs__jw_init(cs__jw *w, cs__sbuf *out, bool compact) {
  memset(w, 0, sizeof *w);
  w->out = out;
  w->first[0] = true;
  w->compact = compact;
}

void cs__jw_init_tight(cs__jw *w, cs__sbuf *out) {
  cs__jw_init(w, out, true);
  w->tight = true;
}

void cs__jw_break(cs__jw *w) { w->brk = true; }

static bool misuse(cs__jw *w, const char *what) {
  if (!w->misuse) w->misuse = what;
  return false;
}

static void newline(cs__jw *w) {
  if (w->brk) {
    cs__sbuf_addc(w->out, '\n');
    w->brk = false;
  }
  if (w->compact) return;
  cs__sbuf_addc(w->out, '\n');
  for (int i = 0; i < w->depth; i++) cs__sbuf_adds(w->out, "  ");
}

/* Separators before a value; false (and nothing written) when a value may not come here. */
static bool before_value(cs__jw *w) {
  if (w->misuse) return false;
  if (w->after_key) {
    w->after_key = false;
    return true;
  }
  if (w->depth == 0) {
    if (w->done) return misuse(w, "a second top-level value");
    return true;
  }
  if (w->open[w->depth] == '{') return misuse(w, "a value without a key inside an object");
  if (!w->first[w->depth]) cs__sbuf_adds(w->out, w->compact && !w->tight ? ", " : ",");
  newline(w);
  w->first[w->depth] = false;
  return true;
}

static void value_done(cs__jw *w) {
  if (w->depth == 0) w->done = true;
}

/* Length of the valid UTF-8 sequence at p (1-4), 0 when it is not one. */
static size_t utf8_len(const unsigned char *p) {
  if (p[0] < 0x80) return 1;
  size_t n = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
  if (n == 0 || p[0] > 0xf4) return 0;
  for (size_t i = 1; i < n; i++)
    if ((p[i] & 0xc0) != 0x80) return 0;
  if (n == 3 && ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0))) return 0; /* overlong, surrogate */
  if (n == 4 && ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))) return 0; /* overlong, > U+10FFFF */
  return n;
}

void cs__json_escape(cs__sbuf *sb, const char *s) {
  cs__sbuf_addc(sb, '"');
  for (const unsigned char *p = (const unsigned char *)s; *p;) {
    switch (*p) {
    case '"': cs__sbuf_adds(sb, "\\\""); break;
    case '\\': cs__sbuf_adds(sb, "\\\\"); break;
    case '\n': cs__sbuf_adds(sb, "\\n"); break;
    case '\t': cs__sbuf_adds(sb, "\\t"); break;
    case '\r': cs__sbuf_adds(sb, "\\r"); break;
    default:
      if (*p < 0x20) {
        cs__sbuf_addf(sb, "\\u%04x", *p);
      } else {
        size_t n = utf8_len(p);
        if (n == 0) {
          cs__sbuf_adds(sb, "\\ufffd");
          n = 1;
        } else {
          cs__sbuf_add(sb, (const char *)p, n);
        }
        p += n;
        continue;
      }
    }
    p++;
  }
  cs__sbuf_addc(sb, '"');
}

static void open_(cs__jw *w, char c) {
  if (!before_value(w)) return;
  if (w->depth >= CS__JW_MAX_DEPTH) {
    misuse(w, "nesting deeper than CS__JW_MAX_DEPTH");
    return;
  }
  cs__sbuf_addc(w->out, c);
  w->depth++;
  w->first[w->depth] = true;
  w->open[w->depth] = c;
}

static void close_(cs__jw *w, char open, char c) {
  if (w->misuse) return;
  if (w->depth == 0 || w->open[w->depth] != open) {
    misuse(w, c == '}' ? "'}' that closes no object" : "']' that closes no array");
    return;
  }
  if (w->after_key) {
    misuse(w, "a key without its value");
    return;
  }
  bool empty = w->first[w->depth];
  w->depth--;
  if (!empty || w->brk) newline(w);
  cs__sbuf_addc(w->out, c);
  value_done(w);
}

void cs__jw_obj_begin(cs__jw *w) { open_(w, '{'); }
void cs__jw_obj_end(cs__jw *w) { close_(w, '{', '}'); }
void cs__jw_arr_begin(cs__jw *w) { open_(w, '['); }
void cs__jw_arr_end(cs__jw *w) { close_(w, '[', ']'); }

/* Separators before a key; false (and nothing written) when a key may not come here. */
static bool before_key(cs__jw *w) {
  if (w->misuse) return false;
  if (w->depth == 0 || w->open[w->depth] != '{') return misuse(w, "a key outside an object");
  if (w->after_key) return misuse(w, "a key without its value");
  if (!w->first[w->depth]) cs__sbuf_adds(w->out, w->compact && !w->tight ? ", " : ",");
  newline(w);
  w->first[w->depth] = false;
  w->after_key = true;
  return true;
}

void cs__jw_key(cs__jw *w, const char *key) {
  if (!before_key(w)) return;
  cs__json_escape(w->out, key ? key : "");
  cs__sbuf_adds(w->out, w->tight ? ":" : ": ");
}

/* A key whose text is already a valid JSON string literal. */
static void raw_key(cs__jw *w, const char *text, size_t len) {
  if (!before_key(w)) return;
  cs__sbuf_add(w->out, text, len);
  cs__sbuf_adds(w->out, w->tight ? ":" : ": ");
}

/* A scalar's text, already valid JSON. */
static void scalar(cs__jw *w, const char *text) {
  if (!before_value(w)) return;
  cs__sbuf_adds(w->out, text);
  value_done(w);
}

void cs__jw_str(cs__jw *w, const char *s) {
  if (!s) {
    scalar(w, "null");
    return;
  }
  if (!before_value(w)) return;
  cs__json_escape(w->out, s);
  value_done(w);
}

void cs__jw_num(cs__jw *w, double v) {
  char b[32];
  scalar(w, isfinite(v) ? cs__fmt_double(v, b) : "null");
}

void cs__jw_numf(cs__jw *w, const char *fmt, double v) {
  char b[64];
  if (!isfinite(v)) {
    scalar(w, "null");
    return;
  }
  snprintf(b, sizeof b, fmt, v);
  scalar(w, b);
}

void cs__jw_int(cs__jw *w, int64_t v) {
  char b[32];
  snprintf(b, sizeof b, "%lld", (long long)v);
  scalar(w, b);
}

void cs__jw_uint(cs__jw *w, uint64_t v) {
  char b[32];
  snprintf(b, sizeof b, "%llu", (unsigned long long)v);
  scalar(w, b);
}

void cs__jw_bool(cs__jw *w, bool v) { scalar(w, v ? "true" : "false"); }
void cs__jw_null(cs__jw *w) { scalar(w, "null"); }

void cs__jw_kstr(cs__jw *w, const char *key, const char *s) {
  cs__jw_key(w, key);
  cs__jw_str(w, s);
}
void cs__jw_knum(cs__jw *w, const char *key, double v) {
  cs__jw_key(w, key);
  cs__jw_num(w, v);
}
void cs__jw_knumf(cs__jw *w, const char *key, const char *fmt, double v) {
  cs__jw_key(w, key);
  cs__jw_numf(w, fmt, v);
}
void cs__jw_kint(cs__jw *w, const char *key, int64_t v) {
  cs__jw_key(w, key);
  cs__jw_int(w, v);
}
void cs__jw_kuint(cs__jw *w, const char *key, uint64_t v) {
  cs__jw_key(w, key);
  cs__jw_uint(w, v);
}
void cs__jw_kbool(cs__jw *w, const char *key, bool v) {
  cs__jw_key(w, key);
  cs__jw_bool(w, v);
}

int cs__jw_finish(const cs__jw *w, const char *what, cs_err *err) {
  if (w->misuse) return cs_err_set(err, CS_EINVAL, "%s: JSON writer misused: %s", what, w->misuse);
  if (!w->done) return cs_err_set(err, CS_EINVAL, "%s: JSON document left unfinished", what);
  return 0;
}

/* ---- splicing another document's members (cs__jw_members) -------------------------------- */

typedef struct lexer {
  const char *p;
  char tok[2]; /* punctuation token, or 's' string, 'n' number, 'l' literal */
  const char *start;
  size_t len;
} lexer;

static void skip_ws(lexer *x) {
  while (*x->p == ' ' || *x->p == '\t' || *x->p == '\n' || *x->p == '\r') x->p++;
}

/* The next token; false at the end of input or on a malformed one. */
static bool next(lexer *x) {
  skip_ws(x);
  const char *s = x->start = x->p;
  if (!*s) return false;
  if (strchr("{}[]:,", *s)) {
    x->tok[0] = *s;
    x->p++;
  } else if (*s == '"') {
    for (s++; *s != '"'; s++) {
      if ((unsigned char)*s < 0x20) return false;
      if (*s == '\\') {
        s++;
        if (*s == 'u') {
          for (int i = 1; i <= 4; i++)
            if (!strchr("0123456789abcdefABCDEF", s[i]) || !s[i]) return false;
          s += 4;
        } else if (!*s || !strchr("\"\\/bfnrt", *s)) {
          return false;
        }
      }
    }
    x->tok[0] = 's';
    x->p = s + 1;
  } else if (*s == '-' || (*s >= '0' && *s <= '9')) {
    if (*s == '-') s++;
    if (*s == '0') s++;
    else if (*s >= '1' && *s <= '9') while (*s >= '0' && *s <= '9') s++;
    else return false;
    if (*s == '.') {
      if (!(*++s >= '0' && *s <= '9')) return false;
      while (*s >= '0' && *s <= '9') s++;
    }
    if (*s == 'e' || *s == 'E') {
      s++;
      if (*s == '+' || *s == '-') s++;
      if (!(*s >= '0' && *s <= '9')) return false;
      while (*s >= '0' && *s <= '9') s++;
    }
    x->tok[0] = 'n';
    x->p = s;
  } else {
    static const char *const lits[] = {"true", "false", "null"};
    size_t k = 0;
    while (k < 3 && strncmp(s, lits[k], strlen(lits[k]))) k++;
    if (k == 3) return false;
    x->tok[0] = 'l';
    x->p = s + strlen(lits[k]);
  }
  x->len = (size_t)(x->p - x->start);
  return true;
}

static void raw(cs__jw *w, const lexer *x) {
  if (!before_value(w)) return;
  cs__sbuf_add(w->out, x->start, x->len);
  value_done(w);
}

/* One value whose first token is current; writes it through w when w != NULL. */
static bool value(lexer *x, cs__jw *w, int depth) {
  char t = x->tok[0];
  if (t == 's' || t == 'n' || t == 'l') {
    if (w) raw(w, x);
    return true;
  }
  if ((t != '{' && t != '[') || depth > CS__JW_MAX_DEPTH) return false;
  char close = t == '{' ? '}' : ']';
  if (w) open_(w, t);
  if (!next(x)) return false;
  if (x->tok[0] == close) goto closed;
  for (;;) {
    if (t == '{') {
      if (x->tok[0] != 's') return false;
      if (w) raw_key(w, x->start, x->len);
      if (!next(x) || x->tok[0] != ':' || !next(x)) return false;
    }
    if (!value(x, w, depth + 1) || !next(x)) return false;
    if (x->tok[0] == close) break;
    if (x->tok[0] != ',' || !next(x)) return false;
  }
closed:
  if (w) close_(w, t, close);
  return true;
}

/* The members of one well-formed object in text, written into w (when not NULL). */
static bool members(const char *text, cs__jw *w) {
  lexer x = {.p = text};
  if (!next(&x) || x.tok[0] != '{' || !next(&x)) return false;
  if (x.tok[0] == '}') goto end;
  for (;;) {
    if (x.tok[0] != 's') return false;
    if (w) raw_key(w, x.start, x.len);
    if (!next(&x) || x.tok[0] != ':' || !next(&x)) return false;
    if (!value(&x, w, 1) || !next(&x)) return false;
    if (x.tok[0] == '}') break;
    if (x.tok[0] != ',' || !next(&x)) return false;
  }
end:
  skip_ws(&x);
  return *x.p == '\0';
}

int cs__jw_members(cs__jw *w, const char *object, cs_err *err) {
  if (!members(object, NULL)) return cs_err_set(err, CS_EPARSE, "not one well-formed JSON object: %.60s", object);
  if (w->misuse) return 0;
  if (w->depth == 0 || w->open[w->depth] != '{' || w->after_key) {
    misuse(w, "members spliced outside an object");
    return 0;
  }
  members(object, w);
  return 0;
}
