/* Streaming JSON writer into a cs__sbuf (for config.json, args.json, results, --json output).
 * Pretty-printed with two-space indentation; numbers round-trip; strings are escaped.
 * Ownership: the writer borrows the sbuf; it holds no other resources. */
#ifndef CS_UTIL_JSON_H
#define CS_UTIL_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "util/sbuf.h"

typedef struct cs__jw {
  cs__sbuf *out;
  int depth;
  bool first[64]; /* per depth: no element written yet */
  bool after_key;
  bool compact;   /* single line, no indentation */
} cs__jw;

void cs__jw_init(cs__jw *w, cs__sbuf *out, bool compact);
void cs__jw_obj_begin(cs__jw *w);
void cs__jw_obj_end(cs__jw *w);
void cs__jw_arr_begin(cs__jw *w);
void cs__jw_arr_end(cs__jw *w);
void cs__jw_key(cs__jw *w, const char *key);
void cs__jw_str(cs__jw *w, const char *s); /* NULL writes null */
void cs__jw_num(cs__jw *w, double v);      /* non-finite writes null */
void cs__jw_int(cs__jw *w, int64_t v);
void cs__jw_bool(cs__jw *w, bool v);
void cs__jw_null(cs__jw *w);
/* key + value shorthands */
void cs__jw_kstr(cs__jw *w, const char *key, const char *s);
void cs__jw_knum(cs__jw *w, const char *key, double v);
void cs__jw_kint(cs__jw *w, const char *key, int64_t v);
void cs__jw_kbool(cs__jw *w, const char *key, bool v);
/* Escapes s as a JSON string literal (with quotes) into sb. */
void cs__json_escape(cs__sbuf *sb, const char *s);

#endif
