/* Option tables (opt.h): the values of one entry, the command-line parser and the generated
 * --help. The YAML side is opt_yaml.c. */
#include "util/opt.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/text.h"

const cs_opt_unit cs_opt_unit_seconds = {"seconds", 1, {{"ms", 1, 1000}, {"s", 1, 1}, {"min", 60, 1}, {"h", 3600, 1}}};
const cs_opt_unit cs_opt_unit_minutes = {"minutes", 60, {{"s", 1, 60}, {"min", 1, 1}, {"h", 60, 1}, {NULL, 0, 0}}};

size_t cs_opt_count(const cs_opt *tab) {
  size_t n = 0;
  while (tab[n].type != CS_OPT_END) n++;
  return n;
}

const cs_opt *cs_opt_find(const cs_opt *tab, const char *name) {
  for (; tab->type != CS_OPT_END; tab++)
    if (tab->name && !strcmp(tab->name, name)) return tab;
  return NULL;
}

/* Entries of one table whose repeats the parser tracks (tables are far smaller). */
#define CS__OPT_MAX_SEEN 256

static const char *placeholder(const cs_opt *o);
static bool takes_value(const cs_opt *o) { return o->type != CS_OPT_FLAG && o->type != CS_OPT_HELP && o->type != CS_OPT_GROUP; }

/* The bounds of a number entry: an all-zero range (integer not set) means any finite number. */
static cs_num_range range_of(const cs_opt *o) {
  cs_num_range r = o->range;
  if (r.min == 0 && r.max == 0 && !r.min_open && !r.integer) r.min = -DBL_MAX, r.max = DBL_MAX;
  if (o->type == CS_OPT_INT) r.integer = true;
  return r;
}

static void choices_text(const char *const *ch, char *buf, size_t size) {
  size_t n = 0, used = 0;
  while (ch[n]) n++;
  buf[0] = '\0';
  for (size_t i = 0; i < n && used < size; i++) {
    const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
    int w = snprintf(buf + used, size - used, "%s%s", sep, ch[i]);
    if (w < 0) break;
    used += (size_t)w;
  }
}

void cs_opt_expect_text(const cs_opt *o, char *buf, size_t size) {
  if (o->expect) {
    snprintf(buf, size, "%s", o->expect);
    return;
  }
  switch (o->type) {
  case CS_OPT_INT:
  case CS_OPT_NUM: {
    cs_num_range r = range_of(o);
    char t[160];
    if (r.min == -DBL_MAX && r.max == DBL_MAX) snprintf(t, sizeof t, "%s", r.integer ? "an integer" : "a number");
    else cs_num_range_text(&r, t, sizeof t);
    snprintf(buf, size, "%s%s%s", t, o->unit ? " " : "", o->unit ? o->unit->name : "");
    for (int i = 0; o->unit && i < 4 && o->unit->suffix[i].suffix; i++) { /* " (or with a suffix: s, min, h)" */
      size_t used = strlen(buf);
      snprintf(buf + used, size - used, "%s%s", i ? ", " : " (or with a suffix: ", o->unit->suffix[i].suffix);
      if (i + 1 == 4 || !o->unit->suffix[i + 1].suffix) {
        used = strlen(buf);
        snprintf(buf + used, size - used, ")");
      }
    }
    return;
  }
  case CS_OPT_ENUM: choices_text(o->choices, buf, size); return;
  default: snprintf(buf, size, "a non-empty string"); return;
  }
}

void cs_opt_store_num(const cs_opt *o, void *obj, double v) {
  char *p = (char *)obj + o->off;
  if (o->unit && o->unit->scale != 0) v *= o->unit->scale;
  switch (o->store) {
  case CS_ST_BOOL: *(bool *)p = v != 0; break;
  case CS_ST_INT: *(int *)p = (int)v; break;
  case CS_ST_UINT: *(unsigned *)p = (unsigned)v; break;
  case CS_ST_LONG: *(long *)p = (long)v; break;
  case CS_ST_ULONG: *(unsigned long *)p = (unsigned long)v; break;
  case CS_ST_LLONG: *(long long *)p = (long long)v; break;
  case CS_ST_ULLONG: *(unsigned long long *)p = (unsigned long long)v; break;
  case CS_ST_DBL: *(double *)p = v; break;
  default: break;
  }
}

double cs_opt_load_num(const cs_opt *o, const void *obj) {
  const char *p = (const char *)obj + o->off;
  double v = 0;
  switch (o->store) {
  case CS_ST_BOOL: v = *(const bool *)p; break;
  case CS_ST_INT: v = *(const int *)p; break;
  case CS_ST_UINT: v = *(const unsigned *)p; break;
  case CS_ST_LONG: v = (double)*(const long *)p; break;
  case CS_ST_ULONG: v = (double)*(const unsigned long *)p; break;
  case CS_ST_LLONG: v = (double)*(const long long *)p; break;
  case CS_ST_ULLONG: v = (double)*(const unsigned long long *)p; break;
  case CS_ST_DBL: v = *(const double *)p; break;
  default: break;
  }
  if (o->unit && o->unit->scale != 0) v /= o->unit->scale;
  return v;
}

/* A number with an optional unit suffix, checked against the entry's range (in its unit). */
static int parse_number(const cs_opt *o, const char *text, double *out) {
  cs_num_range r = range_of(o);
  char why[256];
  if (o->unit) {
    size_t tl = strlen(text);
    for (int i = 0; i < 4 && o->unit->suffix[i].suffix; i++) {
      const cs_opt_suffix *s = &o->unit->suffix[i];
      size_t sl = strlen(s->suffix);
      if (tl <= sl || strcmp(text + tl - sl, s->suffix) || text[tl - sl - 1] == 'e') continue;
      char num[64];
      if (tl - sl >= sizeof num) return -1;
      memcpy(num, text, tl - sl);
      num[tl - sl] = '\0';
      cs_num_range any = {-DBL_MAX, DBL_MAX, false, false};
      double x;
      if (cs_num_parse(num, &any, &x, why, sizeof why)) return -1;
      double v = x * s->mul / s->div;
      if (!isfinite(v) || v < r.min || v > r.max || (r.min_open && v == r.min) || (o->max_open && v == r.max))
        return -1;
      *out = v;
      return 0;
    }
  }
  if (cs_num_parse(text, &r, out, why, sizeof why)) return -1;
  return o->max_open && *out == r.max ? -1 : 0;
}

static int pick_choice(const cs_opt *o, const char *text, const char *flag, int *out, cs_err *err) {
  size_t n = 0;
  while (o->choices[n]) n++;
  for (size_t i = 0; i < n; i++)
    if (!strcmp(o->choices[i], text)) {
      *out = o->values ? o->values[i] : (int)i;
      return 0;
    }
  const char *sug = cs__suggest(text, o->choices, n);
  if (sug && o->noun) return cs_err_set(err, CS_EUSAGE, "%s: unknown %s '%s' (did you mean '%s'?)", flag, o->noun, text, sug);
  char want[512];
  cs_opt_expect_text(o, want, sizeof want);
  if (sug) return cs_err_set(err, CS_EUSAGE, "%s: expected %s, got '%s' (did you mean '%s'?)", flag, want, text, sug);
  return cs_err_set(err, CS_EUSAGE, "%s: expected %s, got '%s'", flag, want, text);
}

static void mark_set(const cs_opt *o, void *obj) {
  if (o->set_at) *(bool *)((char *)obj + o->set_at - 1) = true;
}

int cs_opt_set(const cs_opt *o, void *obj, const char *text, const char *flag, cs_err *err) {
  char *p = (char *)obj + o->off;
  char want[512];
  switch (o->type) {
  case CS_OPT_HELP: return CS_OPT_HELP_ASKED;
  case CS_OPT_FLAG: cs_opt_store_num(o, obj, o->value != 0 ? o->value : 1); break;
  case CS_OPT_INT:
  case CS_OPT_NUM: {
    double v;
    if (parse_number(o, text, &v)) {
      cs_opt_expect_text(o, want, sizeof want);
      return cs_err_set(err, CS_EUSAGE, "%s: expected %s, got '%.200s'", flag, want, text);
    }
    cs_opt_store_num(o, obj, v);
    break;
  }
  case CS_OPT_STR:
    if (!text[0] && !o->empty_ok) {
      cs_opt_expect_text(o, want, sizeof want);
      return cs_err_set(err, CS_EUSAGE, "%s: expected %s, got ''", flag, want);
    }
    *(const char **)p = text;
    break;
  case CS_OPT_ENUM: {
    int k = 0, rc = pick_choice(o, text, flag, &k, err);
    if (rc) return rc;
    cs_opt_store_num(o, obj, k);
    break;
  }
  case CS_OPT_LIST: {
    int *n = (int *)((char *)obj + o->count_off);
    if (*n >= (int)o->range.max) return cs_err_set(err, CS_EUSAGE, "%s: given more than %d times", flag, *n);
    ((const char **)p)[(*n)++] = text;
    break;
  }
  case CS_OPT_FN: {
    cs_err e = {0};
    int rc = o->fn(obj, o, text, &e);
    if (rc) return cs_err_set(err, rc, "%s: %s", flag, e.msg);
    break;
  }
  default: break;
  }
  mark_set(o, obj);
  return 0;
}

/* ---- the command line ------------------------------------------------------------------ */

static const cs_opt *find_long(const cs_opt *tab, const char *name, size_t len, size_t *nmatch) {
  const cs_opt *hit = NULL;
  *nmatch = 0;
  for (const cs_opt *o = tab; o->type != CS_OPT_END; o++) {
    if (!o->name || strncmp(o->name, name, len)) continue;
    if (strlen(o->name) == len) {
      *nmatch = 1;
      return o;
    }
    hit = o;
    ++*nmatch;
  }
  return *nmatch == 1 ? hit : NULL;
}

static const cs_opt *find_short(const cs_opt *tab, char c) {
  for (const cs_opt *o = tab; o->type != CS_OPT_END; o++)
    if (o->short_name && o->short_name == c) return o;
  return NULL;
}

static int unknown_long(const cs_opt_cmd *cmd, const char *arg, const char *key, size_t len, cs_err *err) {
  const char *names[128];
  size_t n = 0;
  for (const cs_opt *o = cmd->opts; o->type != CS_OPT_END && n < 128; o++)
    if (o->name) names[n++] = o->name;
  char k[128];
  snprintf(k, sizeof k, "%.*s", (int)(len < sizeof k ? len : sizeof k - 1), key);
  const char *sug = cs__suggest(k, names, n);
  if (sug) return cs_err_set(err, CS_EUSAGE, "unknown option '%.200s' (did you mean '--%s'?)", arg, sug);
  return cs_err_set(err, CS_EUSAGE, "unknown option '%.200s'; see 'capsearch %s --help'", arg, cmd->name);
}

static int ambiguous(const cs_opt_cmd *cmd, const char *name, size_t len, cs_err *err) {
  char list[512] = "";
  size_t used = 0;
  for (const cs_opt *o = cmd->opts; o->type != CS_OPT_END && used < sizeof list; o++)
    if (o->name && !strncmp(o->name, name, len))
      used += (size_t)snprintf(list + used, sizeof list - used, "%s--%s", used ? ", " : "", o->name);
  return cs_err_set(err, CS_EUSAGE, "option '--%.*s' is ambiguous (%s)", (int)len, name, list);
}

/* What a value-taking entry expects, for the message about a swallowed option: the entry's
 * own words, else its placeholder read as a noun ("DIR": a directory). */
static void value_kind(const cs_opt *o, char *buf, size_t size) {
  const char *a = o->arg ? o->arg : "";
  if (o->expect || o->type == CS_OPT_INT || o->type == CS_OPT_NUM || o->type == CS_OPT_ENUM)
    cs_opt_expect_text(o, buf, size);
  else if (!strcmp(a, "DIR")) snprintf(buf, size, "a directory");
  else if (!strcmp(a, "FILE") || !strcmp(a, "F")) snprintf(buf, size, "a file");
  else if (!strcmp(a, "PATH") || !strcmp(a, "OUT")) snprintf(buf, size, "a path");
  else snprintf(buf, size, "a value (%s)", placeholder(o));
}

/* Sets entry o from a value given as the next argument (or attached) after checking the two
 * slips a table alone cannot catch: the value is one of the command's own options ("--output-dir
 * --dry-run" would run the sweep into ./--dry-run), and a single-valued entry given again
 * (silently last-wins). seen[] counts the entries given so far in this parse. A value attached
 * with '=' ("--output-dir=--x") is taken as written. */
static int take_value(const cs_opt_cmd *cmd, const cs_opt *o, void *obj, const char *val, bool separate,
                      const char *flag, unsigned char *seen, cs_err *err) {
  size_t k = (size_t)(o - cmd->opts), nmatch = 0;
  if (separate && val && val[0] == '-' && val[1] == '-' && val[2] &&
      find_long(cmd->opts, val + 2, strcspn(val + 2, "="), &nmatch) && nmatch == 1) {
    char kind[512];
    value_kind(o, kind, sizeof kind);
    return cs_err_set(err, CS_EUSAGE, "%s expects %s, got the option '%.200s' (write --%s=%.200s if that is the value)",
                      flag, kind, val, o->name, val);
  }
  bool single = o->type != CS_OPT_LIST && o->type != CS_OPT_HELP && o->type != CS_OPT_FLAG;
  if (single && k < CS__OPT_MAX_SEEN && seen[k]++)
    return cs_err_set(err, CS_EUSAGE, "option '--%s' given more than once (it takes one value)", o->name);
  return cs_opt_set(o, obj, val, flag, err);
}

static int parse_long(const cs_opt_cmd *cmd, int argc, char **argv, int *i, void *obj, unsigned char *seen,
                      cs_err *err) {
  const char *arg = argv[*i], *name = arg + 2;
  size_t len = strcspn(name, "="), nmatch;
  const cs_opt *o = find_long(cmd->opts, name, len, &nmatch);
  if (nmatch > 1) return ambiguous(cmd, name, len, err);
  if (!o) return unknown_long(cmd, arg, name, len, err);
  char flag[128];
  snprintf(flag, sizeof flag, "--%s", o->name);
  const char *val = NULL;
  bool separate = false;
  if (!takes_value(o)) {
    if (name[len] == '=') return cs_err_set(err, CS_EUSAGE, "option '%s' takes no value", flag);
  } else if (name[len] == '=') {
    val = name + len + 1;
  } else if (*i + 1 < argc) {
    val = argv[++*i];
    separate = true;
  } else {
    return cs_err_set(err, CS_EUSAGE, "option '%s' needs a value", flag);
  }
  return take_value(cmd, o, obj, val, separate, flag, seen, err);
}

static int parse_short(const cs_opt_cmd *cmd, int argc, char **argv, int *i, void *obj, unsigned char *seen,
                       cs_err *err) {
  const char *arg = argv[*i];
  for (const char *p = arg + 1; *p; p++) {
    const cs_opt *o = find_short(cmd->opts, *p);
    if (!o && p == arg + 1 && p[1]) /* "-device": a long option written with one dash */
      return unknown_long(cmd, arg, arg + 1, strcspn(arg + 1, "="), err);
    if (!o) return cs_err_set(err, CS_EUSAGE, "unknown option '-%c'; see 'capsearch %s --help'", *p, cmd->name);
    char flag[4] = {'-', *p, '\0', '\0'};
    if (!takes_value(o)) {
      int rc = cs_opt_set(o, obj, NULL, flag, err);
      if (rc) return rc;
      continue;
    }
    bool separate = !p[1];
    const char *val = p[1] ? p + 1 : *i + 1 < argc ? argv[++*i] : NULL;
    if (!val) return cs_err_set(err, CS_EUSAGE, "option '%s' needs a value", flag);
    return take_value(cmd, o, obj, val, separate, flag, seen, err);
  }
  return 0;
}

/* A table's own mistakes (a programmer's, caught by any test that parses with it). */
static int check_table(const cs_opt_cmd *cmd, cs_err *err) {
  for (const cs_opt *o = cmd->opts; o->type != CS_OPT_END; o++) {
    bool numeric = o->type == CS_OPT_INT || o->type == CS_OPT_NUM || o->type == CS_OPT_ENUM || o->type == CS_OPT_FLAG;
    bool bad = (o->type != CS_OPT_GROUP && !o->name) || (numeric && o->store == CS_ST_NONE && o->type != CS_OPT_FLAG) ||
               (o->type == CS_OPT_STR && o->store != CS_ST_STR) || (o->type == CS_OPT_ENUM && !o->choices) ||
               (o->type == CS_OPT_FN && !o->fn) || (o->type == CS_OPT_LIST && !(o->range.max >= 1));
    if (o->type == CS_OPT_INT && o->store == CS_ST_INT) bad |= o->range.max > INT_MAX || o->range.min < INT_MIN;
    for (const cs_opt *q = cmd->opts; !bad && q < o; q++)
      bad = (q->name && o->name && !strcmp(q->name, o->name)) || (q->short_name && q->short_name == o->short_name);
    if (bad) return cs_err_set(err, CS_EINVAL, "option table of '%s': bad entry '%s'", cmd->name, o->name ? o->name : "?");
  }
  return 0;
}

int cs_opt_parse(const cs_opt_cmd *cmd, int argc, char **argv, void *obj, const char **pos, int *npos,
                  cs_err *err) {
  int np = 0, rc = check_table(cmd, err);
  bool only_pos = false;
  unsigned char seen[CS__OPT_MAX_SEEN] = {0};
  if (npos) *npos = 0;
  if (rc) return rc;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (only_pos || a[0] != '-' || a[1] == '\0') {
      if (cmd->max_pos >= 0 && np >= cmd->max_pos)
        return cs_err_set(err, CS_EUSAGE, "unexpected argument '%.200s'; see 'capsearch %s --help'", a, cmd->name);
      if (pos) pos[np] = a;
      np++;
      continue;
    }
    if (!strcmp(a, "--")) {
      only_pos = true;
      continue;
    }
    rc = a[1] == '-' ? parse_long(cmd, argc, argv, &i, obj, seen, err)
                     : parse_short(cmd, argc, argv, &i, obj, seen, err);
    if (rc) return rc;
  }
  if (npos) *npos = np;
  return 0;
}

/* ---- --help -------------------------------------------------------------------------------- */

static void default_text(const cs_opt *o, const void *defaults, char *buf, size_t size) {
  buf[0] = '\0';
  if (o->def_text) {
    snprintf(buf, size, "%s", o->def_text);
    return;
  }
  if (!defaults || o->no_default) return;
  const char *p = (const char *)defaults + o->off;
  if (o->type == CS_OPT_STR && *(const char *const *)p) {
    snprintf(buf, size, "%s", *(const char *const *)p);
  } else if (o->type == CS_OPT_INT || o->type == CS_OPT_NUM) {
    double v = cs_opt_load_num(o, defaults);
    if (v != 0 && !isnan(v)) snprintf(buf, size, "%.10g", v);
  } else if (o->type == CS_OPT_ENUM) {
    int v = (int)cs_opt_load_num(o, defaults);
    for (int i = 0; o->choices[i]; i++)
      if ((o->values ? o->values[i] : i) == v) snprintf(buf, size, "%s", o->choices[i]);
  }
}

static const char *placeholder(const cs_opt *o) {
  if (o->arg) return o->arg;
  switch (o->type) {
  case CS_OPT_INT: return "N";
  case CS_OPT_NUM: return "X";
  case CS_OPT_ENUM: return "NAME";
  default: return "VALUE";
  }
}

#define HELP_COL 32

static void help_line(const cs_opt *o, const void *defaults, cs__sbuf *out) {
  size_t start = out->len;
  cs__sbuf_adds(out, "  ");
  if (o->short_name) cs__sbuf_addf(out, "-%c, ", o->short_name);
  cs__sbuf_addf(out, "--%s", o->name);
  if (takes_value(o)) cs__sbuf_addf(out, " %s", placeholder(o));
  size_t used = out->len - start;
  char def[128];
  default_text(o, defaults, def, sizeof def);
  const char *h = o->help ? o->help : "";
  if (used + 1 >= HELP_COL) cs__sbuf_addf(out, "\n%*s", HELP_COL, "");
  else cs__sbuf_addf(out, "%*s", (int)(HELP_COL - used), "");
  for (const char *s = h; *s; s++) {
    if (*s == '\n') cs__sbuf_addf(out, "\n%*s", HELP_COL, "");
    else cs__sbuf_addc(out, *s);
  }
  if (def[0]) cs__sbuf_addf(out, " (default %s)", def);
  cs__sbuf_addc(out, '\n');
}

static void add_block(cs__sbuf *out, const char *prefix, const char *text) {
  for (const char *s = text; *s;) {
    size_t n = strcspn(s, "\n");
    cs__sbuf_addf(out, "%s%.*s\n", prefix, (int)n, s);
    s += n + (s[n] == '\n');
  }
}

void cs__opt_help(const cs_opt_cmd *cmd, const void *defaults, cs__sbuf *out) {
  bool first = true;
  for (const char *s = cmd->usage; *s; first = false) {
    size_t n = strcspn(s, "\n");
    cs__sbuf_addf(out, "%s%.*s\n", first ? "usage: " : "       ", (int)n, s);
    s += n + (s[n] == '\n');
  }
  if (cmd->about) {
    cs__sbuf_addc(out, '\n');
    add_block(out, "", cmd->about);
  }
  cs__sbuf_addc(out, '\n');
  for (const cs_opt *o = cmd->opts; o->type != CS_OPT_END; o++) {
    if (o->type == CS_OPT_GROUP) cs__sbuf_addf(out, "%s\n", o->help);
    else help_line(o, defaults, out);
  }
  if (cmd->footer) {
    cs__sbuf_addc(out, '\n');
    add_block(out, "", cmd->footer);
  }
}

char *cs_opt_help_text(const cs_opt_cmd *cmd, const void *defaults) {
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__opt_help(cmd, defaults, &sb);
  return cs__sbuf_detach(&sb);
}
