#include "util/yaml.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "util/arena.h"
#include "util/fs.h"
#include "util/num.h"
#include "util/sbuf.h"
#include "util/text.h"

typedef struct anchor {
  char *name;
  cs__ynode *node;
} anchor;

/* Nesting deeper than this is refused with a message (the tree builder recurses per level;
 * no real config nests beyond a handful). */
#define CS__YAML_MAX_DEPTH 200

typedef struct builder {
  yaml_parser_t parser;
  cs__arena *arena;
  const char *file;
  const char *text; /* the input, to place reader errors (libyaml gives only a byte offset) */
  size_t len;
  int depth;
  CS__VEC(anchor) anchors;
  cs_err *err;
} builder;

static int parse_error(builder *b) {
  yaml_parser_t *p = &b->parser;
  const char *what = p->problem ? p->problem : "syntax error";
  if (p->error == YAML_READER_ERROR) {
    /* an invalid byte (not UTF-8, a control character): libyaml reports its offset only */
    size_t off = p->problem_offset < b->len ? p->problem_offset : b->len, line = 1, col = 1;
    for (size_t i = 0; i < off; i++) {
      if (b->text[i] == '\n') line++, col = 1;
      else if (((unsigned char)b->text[i] & 0xC0) != 0x80) col++;
    }
    if (p->problem_value >= 0)
      return cs_err_set(b->err, CS_EPARSE, "%s:%zu:%zu: malformed YAML/JSON: %s (byte 0x%02X)", b->file, line, col,
                        what, (unsigned)p->problem_value & 0xFF);
    return cs_err_set(b->err, CS_EPARSE, "%s:%zu:%zu: malformed YAML/JSON: %s", b->file, line, col, what);
  }
  if (p->context)
    return cs_err_set(b->err, CS_EPARSE, "%s:%zu:%zu: %s %s (%s at line %zu)", b->file, p->problem_mark.line + 1,
                      p->problem_mark.column + 1, "malformed YAML/JSON:", what, p->context, p->context_mark.line + 1);
  return cs_err_set(b->err, CS_EPARSE, "%s:%zu:%zu: malformed YAML/JSON: %s", b->file, p->problem_mark.line + 1,
                    p->problem_mark.column + 1, what);
}

static cs__ynode *new_node(builder *b, cs__ykind k, const yaml_mark_t *m) {
  cs__ynode *n = CS__ARENA_NEW(b->arena, cs__ynode, 1);
  n->kind = k;
  n->line = (int)m->line + 1;
  n->col = (int)m->column + 1;
  return n;
}

static void remember_anchor(builder *b, const yaml_char_t *name, cs__ynode *n) {
  if (!name) return;
  anchor a = {cs__arena_strdup(b->arena, (const char *)name), n};
  cs__vec_push(&b->anchors, a);
}

static int build(builder *b, yaml_event_t *ev, cs__ynode **out);

static int next_event(builder *b, yaml_event_t *ev) {
  if (!yaml_parser_parse(&b->parser, ev)) return parse_error(b);
  return 0;
}

static int build_children(builder *b, cs__ynode *n, yaml_event_type_t end) {
  if (b->depth >= CS__YAML_MAX_DEPTH)
    return cs_err_set(b->err, CS_EPARSE, "%s:%d:%d: nested more than %d levels deep", b->file, n->line, n->col,
                      CS__YAML_MAX_DEPTH);
  b->depth++;
  CS__VEC(cs__ynode *) items = {0};
  CS__VEC(cs__ynode *) keys = {0};
  int rc = 0;
  for (;;) {
    yaml_event_t ev;
    if ((rc = next_event(b, &ev))) break;
    if (ev.type == end) {
      yaml_event_delete(&ev);
      break;
    }
    cs__ynode *child = NULL;
    rc = build(b, &ev, &child);
    yaml_event_delete(&ev);
    if (rc) break;
    if (n->kind == CS_Y_MAP) {
      if (child->kind != CS_Y_SCALAR) {
        rc = cs_err_set(b->err, CS_EPARSE, "%s:%d:%d: mapping keys must be plain strings", b->file, child->line,
                        child->col);
        break;
      }
      yaml_event_t vev;
      if ((rc = next_event(b, &vev))) break;
      cs__ynode *val = NULL;
      rc = build(b, &vev, &val);
      yaml_event_delete(&vev);
      if (rc) break;
      for (size_t i = 0; i < keys.n; i++)
        if (!strcmp(keys.v[i]->str, child->str)) {
          rc = cs_err_set(b->err, CS_EPARSE, "%s:%d:%d: duplicate key '%s' (first at line %d)", b->file, child->line,
                          child->col, child->str, keys.v[i]->line);
          break;
        }
      if (rc) break;
      cs__vec_push(&keys, child);
      cs__vec_push(&items, val);
    } else {
      cs__vec_push(&items, child);
    }
  }
  if (rc == 0) {
    n->n = items.n;
    n->items = CS__ARENA_NEW(b->arena, cs__ynode *, items.n);
    if (items.n) memcpy(n->items, items.v, items.n * sizeof *items.v);
    if (n->kind == CS_Y_MAP) {
      n->keys = CS__ARENA_NEW(b->arena, cs__ynode *, keys.n);
      if (keys.n) memcpy(n->keys, keys.v, keys.n * sizeof *keys.v);
    }
  }
  free(items.v);
  free(keys.v);
  b->depth--;
  return rc;
}

static int build(builder *b, yaml_event_t *ev, cs__ynode **out) {
  switch (ev->type) {
  case YAML_SCALAR_EVENT: {
    cs__ynode *n = new_node(b, CS_Y_SCALAR, &ev->start_mark);
    n->str = cs__arena_strdup(b->arena, (const char *)ev->data.scalar.value);
    n->quoted = ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    remember_anchor(b, ev->data.scalar.anchor, n);
    *out = n;
    return 0;
  }
  case YAML_SEQUENCE_START_EVENT: {
    cs__ynode *n = new_node(b, CS_Y_SEQ, &ev->start_mark);
    remember_anchor(b, ev->data.sequence_start.anchor, n);
    *out = n;
    return build_children(b, n, YAML_SEQUENCE_END_EVENT);
  }
  case YAML_MAPPING_START_EVENT: {
    cs__ynode *n = new_node(b, CS_Y_MAP, &ev->start_mark);
    remember_anchor(b, ev->data.mapping_start.anchor, n);
    *out = n;
    return build_children(b, n, YAML_MAPPING_END_EVENT);
  }
  case YAML_ALIAS_EVENT:
    for (size_t i = b->anchors.n; i-- > 0;)
      if (!strcmp(b->anchors.v[i].name, (const char *)ev->data.alias.anchor)) {
        *out = b->anchors.v[i].node;
        return 0;
      }
    return cs_err_set(b->err, CS_EPARSE, "%s:%zu:%zu: unknown alias '*%s'", b->file, ev->start_mark.line + 1,
                      ev->start_mark.column + 1, ev->data.alias.anchor);
  default:
    return cs_err_set(b->err, CS_EPARSE, "%s:%zu:%zu: unexpected YAML event", b->file, ev->start_mark.line + 1,
                      ev->start_mark.column + 1);
  }
}

int cs__ydoc_load_string(cs__ydoc *doc, const char *name, const char *text, size_t len, cs_err *err) {
  memset(doc, 0, sizeof *doc);
  cs__arena *arena = cs__xmalloc(sizeof *arena);
  cs__arena_init(arena, 64 * 1024);
  doc->mem = arena;
  doc->file = cs__xstrdup(name);
  builder b;
  memset(&b, 0, sizeof b);
  b.arena = arena;
  b.file = doc->file;
  b.text = text;
  b.len = len;
  b.err = err;
  if (!yaml_parser_initialize(&b.parser)) return cs_err_set(err, CS_ENOMEM, "%s: cannot start YAML parser", name);
  yaml_parser_set_input_string(&b.parser, (const unsigned char *)text, len);
  int rc = 0;
  yaml_event_t ev;
  bool in_doc = false;
  for (;;) {
    if ((rc = next_event(&b, &ev))) break;
    yaml_event_type_t t = ev.type;
    if (t == YAML_STREAM_END_EVENT) {
      yaml_event_delete(&ev);
      break;
    }
    if (t == YAML_DOCUMENT_START_EVENT) {
      if (doc->root || in_doc) {
        yaml_event_delete(&ev);
        if (doc->root) {
          rc = cs_err_set(err, CS_EPARSE, "%s:%zu:%zu: expected a single YAML document", name,
                          ev.start_mark.line + 1, ev.start_mark.column + 1);
          break;
        }
      }
      in_doc = true;
      yaml_event_delete(&ev);
      continue;
    }
    if (t == YAML_DOCUMENT_END_EVENT || t == YAML_STREAM_START_EVENT) {
      yaml_event_delete(&ev);
      continue;
    }
    rc = build(&b, &ev, &doc->root);
    yaml_event_delete(&ev);
    if (rc) break;
  }
  yaml_parser_delete(&b.parser);
  free(b.anchors.v);
  if (rc) {
    cs__ydoc_free(doc);
    memset(doc, 0, sizeof *doc);
  }
  return rc;
}

int cs__ydoc_load_file(cs__ydoc *doc, const char *path, cs_err *err) {
  char *text;
  size_t len;
  memset(doc, 0, sizeof *doc);
  int rc = cs__read_file(path, &text, &len, err);
  if (rc) return rc;
  rc = cs__ydoc_load_string(doc, path, text, len, err);
  free(text);
  return rc;
}

void cs__ydoc_free(cs__ydoc *doc) {
  if (!doc) return;
  if (doc->mem) {
    cs__arena_release(doc->mem);
    free(doc->mem);
  }
  free(doc->file);
  doc->mem = NULL;
  doc->file = NULL;
  doc->root = NULL;
}

const cs__ynode *cs__ymap_get(const cs__ynode *map, const char *key) {
  if (!map || map->kind != CS_Y_MAP) return NULL;
  for (size_t i = 0; i < map->n; i++)
    if (!strcmp(map->keys[i]->str, key)) return map->items[i];
  return NULL;
}

const char *cs__ykind_name(cs__ykind k) {
  switch (k) {
  case CS_Y_SCALAR:
    return "a scalar";
  case CS_Y_SEQ:
    return "a list";
  case CS_Y_MAP:
    return "a mapping";
  }
  return "?";
}

bool cs__y_is_null(const cs__ynode *n) {
  if (!n) return true;
  if (n->kind != CS_Y_SCALAR || n->quoted) return false;
  return n->str[0] == '\0' || !strcmp(n->str, "~") || !strcmp(n->str, "null") || !strcmp(n->str, "Null") ||
         !strcmp(n->str, "NULL");
}

void cs__y_where(const cs__ydoc *d, const cs__ynode *n, char *buf, size_t size) {
  if (n)
    snprintf(buf, size, "%s:%d:%d", d && d->file ? d->file : "<input>", n->line, n->col);
  else
    snprintf(buf, size, "%s", d && d->file ? d->file : "<input>");
}

int cs__y_expect(const cs__ydoc *d, const cs__ynode *n, cs__ykind kind, const char *what, cs_err *err) {
  char w[512];
  cs__y_where(d, n, w, sizeof w);
  if (!n) return cs_err_set(err, CS_ECONFIG, "%s: %s: missing (expected %s)", w, what, cs__ykind_name(kind));
  if (n->kind != kind)
    return cs_err_set(err, CS_ECONFIG, "%s: %s: expected %s, got %s", w, what, cs__ykind_name(kind),
                      cs__ykind_name(n->kind));
  return 0;
}

static int scalar_or_fail(const cs__ydoc *d, const cs__ynode *n, const char *what, const char *expected, cs_err *err) {
  char w[512];
  cs__y_where(d, n, w, sizeof w);
  if (!n) return cs_err_set(err, CS_ECONFIG, "%s: %s: missing (expected %s)", w, what, expected);
  if (n->kind != CS_Y_SCALAR)
    return cs_err_set(err, CS_ECONFIG, "%s: %s: expected %s, got %s", w, what, expected, cs__ykind_name(n->kind));
  return 0;
}

/* A quoted scalar where a number belongs: "got the quoted string '8' (write numbers without
 * quotes)" when the text is a number, else the plain "got 'big'". */
static int quoted_number(const char *w, const char *what, const char *expected, const cs__ynode *n, cs_err *err) {
  cs_num_range any = {-INFINITY, INFINITY, false, false};
  double v;
  char why[8];
  if (cs_num_parse(n->str, &any, &v, why, sizeof why) == 0)
    return cs_err_set(err, CS_ECONFIG,
                      "%s: %s: expected %s, got the quoted string '%.60s' (write numbers without quotes)", w, what,
                      expected, n->str);
  return cs_err_set(err, CS_ECONFIG, "%s: %s: expected %s, got '%.60s'", w, what, expected, n->str);
}

int cs__y_num(const cs__ydoc *d, const cs__ynode *n, const char *what, const cs_num_range *r, double *out,
              cs_err *err) {
  char want[128];
  cs_num_range_text(r, want, sizeof want);
  int rc = scalar_or_fail(d, n, what, want, err);
  if (rc) return rc;
  char w[512], why[256];
  cs__y_where(d, n, w, sizeof w);
  if (n->quoted) return quoted_number(w, what, want, n, err);
  int bad = cs_num_parse(n->str, r, out, why, sizeof why);
  if (bad) return cs_err_set(err, bad == -2 ? CS_ERANGE : CS_ECONFIG, "%s: %s: %s", w, what, why);
  return 0;
}

int cs__y_int(const cs__ydoc *d, const cs__ynode *n, const char *what, int64_t *out, cs_err *err) {
  int rc = scalar_or_fail(d, n, what, "an integer", err);
  if (rc) return rc;
  char w[512];
  cs__y_where(d, n, w, sizeof w);
  if (n->quoted) return quoted_number(w, what, "an integer", n, err);
  const char *s = n->str;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (!n->quoted && *s && *end == '\0' && errno == 0) {
    *out = v;
    return 0;
  }
  /* accept 4.0 / 1e3 when integral (JSON writers often emit them) */
  double dv = strtod(s, &end);
  if (!n->quoted && *s && *end == '\0' && isfinite(dv) && dv == floor(dv) && fabs(dv) < 9e15) {
    *out = (int64_t)dv;
    return 0;
  }
  if (!n->quoted && *s && *end == '\0' && isfinite(dv) && dv == floor(dv))
    return cs_err_set(err, CS_ERANGE, "%s: %s: %s is out of range (integers are exact up to 2^53)", w, what, s);
  return cs_err_set(err, CS_ECONFIG, "%s: %s: expected an integer, got '%s'", w, what, s);
}

int cs__y_double(const cs__ydoc *d, const cs__ynode *n, const char *what, double *out, cs_err *err) {
  int rc = scalar_or_fail(d, n, what, "a number", err);
  if (rc) return rc;
  char w[512];
  cs__y_where(d, n, w, sizeof w);
  const char *s = n->str;
  char *end;
  errno = 0;
  if (n->quoted) return quoted_number(w, what, "a number", n, err);
  double v = strtod(s, &end);
  if (n->quoted || !*s || *end != '\0' || errno == ERANGE || !isfinite(v))
    return cs_err_set(err, CS_ECONFIG, "%s: %s: expected a number, got '%s'", w, what, s);
  *out = v;
  return 0;
}

int cs__y_bool(const cs__ydoc *d, const cs__ynode *n, const char *what, bool *out, cs_err *err) {
  int rc = scalar_or_fail(d, n, what, "true or false", err);
  if (rc) return rc;
  const char *s = n->str;
  if (!n->quoted) {
    if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "on")) {
      *out = true;
      return 0;
    }
    if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "off")) {
      *out = false;
      return 0;
    }
  }
  char w[512];
  cs__y_where(d, n, w, sizeof w);
  return cs_err_set(err, CS_ECONFIG, "%s: %s: expected true or false, got '%s'", w, what, s);
}

int cs__y_str(const cs__ydoc *d, const cs__ynode *n, const char *what, const char **out, cs_err *err) {
  int rc = scalar_or_fail(d, n, what, "a string", err);
  if (rc) return rc;
  if (n->str[0] == '\0') {
    char w[512];
    cs__y_where(d, n, w, sizeof w);
    return cs_err_set(err, CS_ECONFIG, "%s: %s: expected a non-empty string", w, what);
  }
  *out = n->str;
  return 0;
}

int cs__y_check_keys(const cs__ydoc *d, const cs__ynode *map, const char *const *allowed, const char *where,
                     cs_err *err) {
  if (!map || map->kind != CS_Y_MAP) return 0;
  size_t na = 0;
  while (allowed[na]) na++;
  for (size_t i = 0; i < map->n; i++) {
    const char *k = map->keys[i]->str;
    bool ok = false;
    for (size_t j = 0; j < na && !ok; j++) ok = !strcmp(k, allowed[j]);
    if (ok) continue;
    char w[512];
    cs__y_where(d, map->keys[i], w, sizeof w);
    const char *sug = cs__suggest(k, allowed, na);
    if (sug)
      return cs_err_set(err, CS_ECONFIG, "%s: unknown key '%s' in %s (did you mean '%s'?)", w, k, where, sug);
    cs__sbuf sb;
    cs__sbuf_init(&sb);
    for (size_t j = 0; j < na; j++) cs__sbuf_addf(&sb, "%s%s", j ? ", " : "", allowed[j]);
    int rc = cs_err_set(err, CS_ECONFIG, "%s: unknown key '%s' in %s (expected one of: %s)", w, k, where, sb.buf);
    cs__sbuf_release(&sb);
    return rc;
  }
  return 0;
}
