/* Mooncake JSONL reader (kvcache-ai/Mooncake FAST25 traces): one JSON object per line with
 * `timestamp` (ms), `input_length`, `output_length` and `hash_ids` (ids of 512-token prefix
 * blocks; equal ids mean equal prefixes). Rows are converted at load to Vidur's form (reference
 * vidur-semantics.md §2.3; the recipe is a capsearch choice, documented in docs/traces.md):
 *  - arrived_at = timestamp / 1000 seconds;
 *  - each 512-token id h becomes 512/B sub-ids (512/B)*h + k for the full B-token blocks that lie
 *    inside the prompt; the prompt's partial tail block and every output block get fresh ids
 *    (above every expanded id, unique in the trace); exactly floor((P + D) / B) ids in all;
 *  - session_id: a request joins the session of the most recent earlier request with which it
 *    shares the longest hash-id prefix, when that prefix is at least CS__SESSION_MIN_BLOCKS
 *    Mooncake blocks long; otherwise it opens a new session. One block is not enough: in the
 *    conversation trace every request starts with the same id 0 (a shared system prompt).
 *
 * The parser is a small JSON-object-per-line parser rather than libyaml: the trace is ~12k
 * lines of numbers and libyaml's event machinery (and its YAML-1.1 leniency: unquoted keys,
 * comments) would be both slower and looser than JSON; this one accepts exactly JSON values
 * (nested values under unknown keys are skipped), rejects anything else with line:column and
 * what was expected, and loads the conversation trace in milliseconds. */
#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/internal.h"

#define CS__SESSION_MIN_BLOCKS 2

typedef struct jp {
  const char *path;
  const char *p, *line_start;
  size_t line;
  cs_err *err;
} jp;

static int jerr(jp *j, const char *what) {
  char got[24];
  if (!*j->p || *j->p == '\n')
    snprintf(got, sizeof got, "end of line");
  else
    snprintf(got, sizeof got, "'%c'", *j->p);
  return cs_err_set(j->err, CS_EPARSE, "%s:%zu:%zu: malformed JSON line: expected %s, got %s", j->path, j->line,
                    (size_t)(j->p - j->line_start) + 1, what, got);
}

static void ws(jp *j) {
  while (*j->p == ' ' || *j->p == '\t' || *j->p == '\r') j->p++;
}

/* A JSON string; its (unescaped-enough) text lands in key[0..cap) for key comparison. */
static int jstring(jp *j, char *key, size_t cap) {
  if (*j->p != '"') return jerr(j, "'\"'");
  j->p++;
  size_t n = 0;
  for (;;) {
    char c = *j->p;
    if (c == '"') break;
    if (c == '\0' || c == '\n') return jerr(j, "a closing '\"'");
    if ((unsigned char)c < 0x20) return jerr(j, "a printable character in the string");
    if (c == '\\') {
      j->p++;
      if (!strchr("\"\\/bfnrtu", *j->p) || !*j->p) return jerr(j, "a JSON escape");
      if (*j->p == 'u') {
        for (int i = 1; i <= 4; i++)
          if (!strchr("0123456789abcdefABCDEF", j->p[i]) || !j->p[i]) {
            j->p += i;
            return jerr(j, "four hex digits after \\u");
          }
        j->p += 4;
      }
      c = '?';
    }
    if (key && n + 1 < cap) key[n++] = c;
    j->p++;
  }
  j->p++;
  if (key) key[n] = '\0';
  return 0;
}

/* A JSON number; *out gets its value. */
static int jnumber(jp *j, double *out) {
  const char *s = j->p;
  if (*j->p == '-') j->p++;
  if (*j->p == '0')
    j->p++;
  else if (*j->p >= '1' && *j->p <= '9')
    while (*j->p >= '0' && *j->p <= '9') j->p++;
  else
    return jerr(j, "a number");
  if (*j->p == '.') {
    j->p++;
    if (*j->p < '0' || *j->p > '9') return jerr(j, "a digit after '.'");
    while (*j->p >= '0' && *j->p <= '9') j->p++;
  }
  if (*j->p == 'e' || *j->p == 'E') {
    j->p++;
    if (*j->p == '+' || *j->p == '-') j->p++;
    if (*j->p < '0' || *j->p > '9') return jerr(j, "a digit in the exponent");
    while (*j->p >= '0' && *j->p <= '9') j->p++;
  }
  if (!cs__parse_double(s, (size_t)(j->p - s), out)) {
    j->p = s;
    return jerr(j, "a finite number");
  }
  return 0;
}

static int jvalue_skip(jp *j, int depth);

static int jarray_skip(jp *j, int depth) {
  j->p++;
  ws(j);
  if (*j->p == ']') {
    j->p++;
    return 0;
  }
  for (;;) {
    int rc = jvalue_skip(j, depth + 1);
    if (rc) return rc;
    ws(j);
    if (*j->p == ']') break;
    if (*j->p != ',') return jerr(j, "',' or ']'");
    j->p++;
  }
  j->p++;
  return 0;
}

static int jobject_skip(jp *j, int depth) {
  j->p++;
  ws(j);
  if (*j->p == '}') {
    j->p++;
    return 0;
  }
  for (;;) {
    ws(j);
    int rc = jstring(j, NULL, 0);
    if (rc) return rc;
    ws(j);
    if (*j->p != ':') return jerr(j, "':'");
    j->p++;
    if ((rc = jvalue_skip(j, depth + 1))) return rc;
    ws(j);
    if (*j->p == '}') break;
    if (*j->p != ',') return jerr(j, "',' or '}'");
    j->p++;
  }
  j->p++;
  return 0;
}

static int jvalue_skip(jp *j, int depth) {
  ws(j);
  if (depth > 64) return jerr(j, "less deeply nested values");
  double d;
  switch (*j->p) {
  case '{': return jobject_skip(j, depth);
  case '[': return jarray_skip(j, depth);
  case '"': return jstring(j, NULL, 0);
  case 't': if (!strncmp(j->p, "true", 4)) { j->p += 4; return 0; } break;
  case 'f': if (!strncmp(j->p, "false", 5)) { j->p += 5; return 0; } break;
  case 'n': if (!strncmp(j->p, "null", 4)) { j->p += 4; return 0; } break;
  default: return jnumber(j, &d);
  }
  return jerr(j, "a JSON value");
}

/* A non-negative whole number in [0, max]. */
static int jwhole(jp *j, const char *key, double max, bool positive, double *out) {
  const char *at = j->p;
  int rc = jnumber(j, out);
  if (rc) return rc;
  if (*out != floor(*out) || *out < (positive ? 1 : 0) || *out > max) {
    return cs_err_set(j->err, *out == floor(*out) ? CS_ERANGE : CS_EPARSE,
                      "%s:%zu:%zu: key '%s': expected a whole number from %d to %.0f, got %.*s", j->path, j->line,
                      (size_t)(at - j->line_start) + 1, key, positive ? 1 : 0, max, (int)(j->p - at), at);
  }
  return 0;
}

typedef CS__VEC(uint64_t) u64vec;

typedef struct mc_line {
  double ts, in, out;
  bool has_ts, has_in, has_out, has_ids;
} mc_line;

/* One line's object; hash ids are appended to *ids. */
static int parse_line(jp *j, mc_line *m, u64vec *ids) {
  ws(j);
  if (*j->p != '{') return jerr(j, "'{' (one JSON object per line)");
  j->p++;
  ws(j);
  if (*j->p == '}') {
    j->p++;
  } else {
    char seen[16][32]; /* keys so far (short ones): a repeated key is refused, as the YAML reader does */
    int nseen = 0;
    for (;;) {
      char key[32];
      ws(j);
      const char *key_at = j->p;
      int rc = jstring(j, key, sizeof key);
      if (rc) return rc;
      for (int k = 0; k < nseen; k++)
        if (!strcmp(seen[k], key))
          return cs_err_set(j->err, CS_EPARSE, "%s:%zu:%zu: duplicate key '%s' in the JSON object", j->path, j->line,
                            (size_t)(key_at - j->line_start) + 1, key);
      if (nseen < 16 && strlen(key) < sizeof key - 1 && !strchr(key, '?')) /* whole and unescaped */
        strcpy(seen[nseen++], key);
      ws(j);
      if (*j->p != ':') return jerr(j, "':'");
      j->p++;
      ws(j);
      if (!strcmp(key, "timestamp")) { /* ms; fractions allowed (some traces have them) */
        const char *at = j->p;
        if ((rc = jnumber(j, &m->ts))) return rc;
        if (m->ts < 0)
          return cs_err_set(j->err, CS_ERANGE, "%s:%zu:%zu: key 'timestamp': expected a non-negative time in ms, got %.*s",
                            j->path, j->line, (size_t)(at - j->line_start) + 1, (int)(j->p - at), at);
        m->has_ts = true;
      } else if (!strcmp(key, "input_length")) {
        if ((rc = jwhole(j, key, CS__TRACE_MAX_TOKENS, true, &m->in))) return rc;
        m->has_in = true;
      } else if (!strcmp(key, "output_length")) {
        if ((rc = jwhole(j, key, CS__TRACE_MAX_TOKENS, true, &m->out))) return rc;
        m->has_out = true;
      } else if (!strcmp(key, "hash_ids")) {
        if (*j->p != '[') return jerr(j, "'[' (hash_ids is a list of integers)");
        ids->n = 0;
        j->p++;
        ws(j);
        if (*j->p == ']') {
          j->p++;
        } else {
          for (;;) {
            double h;
            ws(j);
            if ((rc = jwhole(j, key, 1.0e15, false, &h))) return rc;
            cs__vec_push(ids, (uint64_t)h);
            ws(j);
            if (*j->p == ']') break;
            if (*j->p != ',') return jerr(j, "',' or ']'");
            j->p++;
          }
          j->p++;
        }
        m->has_ids = true;
      } else if ((rc = jvalue_skip(j, 0))) {
        return rc;
      }
      ws(j);
      if (*j->p == '}') break;
      if (*j->p != ',') return jerr(j, "',' or '}'");
      j->p++;
    }
    j->p++;
  }
  ws(j);
  if (*j->p && *j->p != '\n') return jerr(j, "end of line after the object");
  const char *miss = !m->has_ts ? "timestamp" : !m->has_in ? "input_length" : !m->has_out ? "output_length"
                   : !m->has_ids ? "hash_ids" : NULL;
  if (miss)
    return cs_err_set(j->err, CS_EPARSE, "%s:%zu: missing key '%s' (expected timestamp, input_length, output_length, hash_ids)",
                      j->path, j->line, miss);
  return 0;
}

/* ---- prefix trie for sessions: (parent node, hash id) -> node, open addressing ---------------- */

typedef struct trie_slot {
  uint64_t id;
  uint32_t parent; /* 1 for the root, node + 2 otherwise; 0 marks an empty slot */
  uint32_t node;
} trie_slot;

typedef struct trie {
  trie_slot *slot;
  size_t cap, n;
  CS__VEC(int64_t) session; /* per node: session of the latest request through it */
  CS__VEC(uint32_t) path;   /* scratch: the nodes of the request being placed */
} trie;

static uint64_t mix(uint64_t a, uint64_t b) {
  uint64_t x = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull + (a << 6) + (a >> 2));
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ull;
  return x ^ (x >> 29);
}

static void trie_grow(trie *t) {
  trie_slot *old = t->slot;
  size_t oldcap = t->cap;
  t->cap = oldcap ? oldcap * 2 : 1024;
  t->slot = cs__xcalloc(t->cap, sizeof *t->slot);
  size_t mask = t->cap - 1;
  for (size_t k = 0; k < oldcap; k++) {
    if (!old[k].parent) continue;
    size_t i = mix(old[k].parent, old[k].id) & mask;
    while (t->slot[i].parent) i = (i + 1) & mask;
    t->slot[i] = old[k];
  }
  free(old);
}

/* Finds the child of `parent` (UINT32_MAX = root) labelled id; creates it when `create`. */
static uint32_t trie_child(trie *t, uint32_t parent, uint64_t id, bool create) {
  if (create && (t->n + 1) * 2 > t->cap) trie_grow(t);
  if (!t->cap) return UINT32_MAX; /* empty trie */
  uint32_t kp = parent == UINT32_MAX ? 1 : parent + 2;
  size_t mask = t->cap - 1, i = mix(kp, id) & mask;
  for (; t->slot[i].parent; i = (i + 1) & mask)
    if (t->slot[i].parent == kp && t->slot[i].id == id) return t->slot[i].node;
  if (!create) return UINT32_MAX;
  t->slot[i].parent = kp;
  t->slot[i].id = id;
  t->slot[i].node = (uint32_t)t->session.n;
  t->n++;
  cs__vec_push(&t->session, (int64_t)-1);
  return t->slot[i].node;
}

static void trie_free(trie *t) {
  free(t->slot);
  free(t->session.v);
  free(t->path.v);
}

/* The session for a request with Mooncake ids ids[0..n): walks the longest existing prefix,
 * decides the session, then marks every node on the request's path with it. */
static int64_t assign_session(trie *t, const uint64_t *ids, size_t n, int64_t *next_session) {
  uint32_t node = UINT32_MAX;
  size_t depth = 0;
  t->path.n = 0;
  for (; depth < n; depth++) { /* the longest prefix some earlier request had */
    uint32_t c = trie_child(t, node, ids[depth], false);
    if (c == UINT32_MAX) break;
    cs__vec_push(&t->path, c);
    node = c;
  }
  int64_t s = depth >= CS__SESSION_MIN_BLOCKS ? t->session.v[node] : (*next_session)++;
  for (size_t k = depth; k < n; k++) {
    node = trie_child(t, node, ids[k], true);
    cs__vec_push(&t->path, node);
  }
  for (size_t k = 0; k < t->path.n; k++) t->session.v[t->path.v[k]] = s;
  return s;
}

int cs__read_mooncake(const char *path, const char *data, size_t len, const cs_trace_opts *o, cs_trace **out,
                      cs_err *err) {
  const int bs = o->block_size;
  if (bs <= 0 || CS__MOONCAKE_BLOCK % bs)
    return cs_err_set(err, CS_EINVAL, "%s: block size %d must divide Mooncake's %d-token blocks", path, bs,
                      CS__MOONCAKE_BLOCK);
  const uint64_t sub = (uint64_t)(CS__MOONCAKE_BLOCK / bs);
  cs__trace_builder b = {0};
  u64vec ids = {0}, all_ids = {0}; /* this line's raw ids; every row's raw ids */
  CS__VEC(uint32_t) id_off = {0};   /* per row: where its raw ids start in all_ids */
  trie tr = {0};
  int64_t next_session = 0;
  uint64_t max_id = 0;
  size_t mismatch = 0, mismatch_line = 0;
  int rc = 0;
  jp j = {.path = path, .p = data, .err = err};
  const char *end = data + len;
  while (j.p < end) {
    j.line++;
    j.line_start = j.p;
    const char *eol = memchr(j.p, '\n', (size_t)(end - j.p));
    const char *next = eol ? eol + 1 : end;
    const char *q = j.p;
    while (q < next && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')) q++;
    if (q == next) { /* blank line */
      j.p = next;
      continue;
    }
    if (o->max_rows && (int64_t)b.rows.n >= o->max_rows) break;
    mc_line m = {0};
    if ((rc = parse_line(&j, &m, &ids))) goto out;
    j.p = next;
    cs_trace_row row = {.arrived_at = m.ts / 1000.0, .prefill = (int32_t)m.in, .decode = (int32_t)m.out};
    /* Mooncake's meaning: hash_ids[i] names prompt tokens [512 i, 512 (i + 1)); ids past the
     * prompt describe nothing and are dropped, blocks without an id get fresh ones below */
    size_t want = (size_t)((m.in + CS__MOONCAKE_BLOCK - 1) / CS__MOONCAKE_BLOCK);
    if (ids.n != want && !mismatch++) mismatch_line = j.line;
    if (ids.n > want) ids.n = want;
    row.session_id = assign_session(&tr, ids.v, ids.n, &next_session);
    cs__vec_push(&id_off, (uint32_t)all_ids.n);
    for (size_t k = 0; k < ids.n; k++) {
      cs__vec_push(&all_ids, ids.v[k]);
      if (ids.v[k] > max_id) max_id = ids.v[k];
    }
    cs__vec_push(&b.rows, row);
  }
  cs__vec_push(&id_off, (uint32_t)all_ids.n);
  /* B-token block hashes without expanding them: a row keeps its raw ids, and block k of its
   * prompt is id[k / sub] * sub + k % sub (cs_block_hash, shift log2(sub)); blocks past the ids
   * (the output's, or a prompt's without ids) get fresh ids counted from above every expanded
   * id, in row order. */
  uint64_t fresh = (max_id + 1) * sub, total = 0;
  for (size_t r = 0; r < b.rows.n; r++) total += ((uint64_t)b.rows.v[r].prefill + (uint64_t)b.rows.v[r].decode) / (uint64_t)bs;
  if (total > CS__TRACE_MAX_BLOCKS) {
    rc = cs_err_set(err, CS_ERANGE,
                    "%s: its requests add up to %" PRIu64 " blocks of %d tokens, more than the %" PRIu64
                    " a trace may have (fewer rows, or a larger block size)",
                    path, total, bs, CS__TRACE_MAX_BLOCKS);
    goto out;
  }
  for (size_t r = 0; r < b.rows.n; r++) {
    cs_trace_row *row = &b.rows.v[r];
    size_t nraw = id_off.v[r + 1] - id_off.v[r];
    size_t full_prompt = (size_t)row->prefill / (size_t)bs;
    size_t keep = ((size_t)row->prefill + (size_t)row->decode) / (size_t)bs;
    if (full_prompt > nraw * sub) full_prompt = nraw * sub; /* ids missing: the rest is fresh */
    row->hash_off = id_off.v[r];
    row->hash_n = (uint32_t)keep;
    row->hash_nfresh = (uint32_t)(keep - full_prompt);
    row->hash_fresh = fresh;
    fresh += keep - full_prompt;
  }
  b.hashes.v = all_ids.v; /* the pool is every row's raw ids */
  b.hashes.n = all_ids.n;
  b.hashes.cap = all_ids.cap;
  all_ids = (u64vec){0};
  rc = cs__trace_builder_finish(&b, path, CS_TRACE_MOONCAKE_JSONL, bs, true, true, true, out, err);
  if (!rc) {
    uint32_t shift = 0;
    while (((uint64_t)1 << shift) < sub) shift++;
    assert(((uint64_t)1 << shift) == sub); /* bs divides 512 = 2^9, so sub is a power of two */
    (*out)->hash_shift = shift;
    (*out)->hash_mismatch_rows = mismatch;
    (*out)->hash_mismatch_line = mismatch_line;
  }
out:
  cs__trace_builder_release(&b);
  free(ids.v);
  free(id_off.v);
  free(all_ids.v);
  trie_free(&tr);
  return rc;
}

/* ---- registration (CS_TRACE_FORMATS) -------------------------------------------------------- */

static bool ends_with(const char *s, const char *suf) {
  size_t a = strlen(s), b = strlen(suf);
  return a >= b && !strcmp(s + a - b, suf);
}

/* A .jsonl / .json name (gzipped or not), or a '{' first, means JSON lines. */
static bool mooncake_detect(const cs__trace_head *h) {
  return ends_with(h->path, ".jsonl") || ends_with(h->path, ".jsonl.gz") || ends_with(h->path, ".json") ||
         ends_with(h->path, ".json.gz") || h->text[0] == '{';
}

const cs__trace_format cs__trace_format_mooncake = {
    .info = {.name = "mooncake",
             .summary = "timestamp (ms), input_length, output_length, hash_ids (512-token "
                        "blocks; sessions derived from shared prefixes)",
             .flags = CS_TRACE_HAS_ARRIVALS | CS_TRACE_HAS_HASHES | CS_TRACE_HAS_SESSIONS},
    .label = "Mooncake JSONL",
    .detect = mooncake_detect,
    .read = cs__read_mooncake,
};
