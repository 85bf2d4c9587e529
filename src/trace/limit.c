/* Trace rows against a length limit (a sweep trace's max_seq_len and the model's context):
 * counting, Vidur V0's proportional clip (vidur-semantics.md §2.3), dropping. The limited
 * trace shares the original's block-hash pool; a clipped row keeps the hashes of the full
 * blocks that still lie inside it (its prompt prefix keeps its identity, so prefix caching
 * still sees the shared prefixes). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsearch/trace.h"
#include "util/sbuf.h"
#include "util/text.h"

static const char *const overlong_names[] = {"clip", "drop", "error"};

const char *cs_overlong_name(cs_overlong p) {
  return (unsigned)p < sizeof overlong_names / sizeof overlong_names[0] ? overlong_names[p] : "?";
}

int cs_overlong_parse(const char *name, cs_overlong *out, cs_err *err) {
  for (size_t i = 0; i < 3; i++)
    if (!strcmp(name, overlong_names[i])) {
      *out = (cs_overlong)i;
      return 0;
    }
  const char *sug = cs__suggest(name, overlong_names, 3);
  if (sug) return cs_err_set(err, CS_EUNKNOWN, "unknown overlong policy '%s' (did you mean '%s'?)", name, sug);
  return cs_err_set(err, CS_EUNKNOWN, "unknown overlong policy '%s' (expected clip, drop or error)", name);
}

void cs_trace_count_overlong(const cs_trace *t, int64_t limit, cs_trace_limit_stats *st) {
  memset(st, 0, sizeof *st);
  st->limit = limit;
  for (size_t i = 0; i < t->n; i++) {
    int64_t tot = (int64_t)t->rows[i].prefill + t->rows[i].decode;
    if (tot > st->longest) st->longest = tot;
    if (limit <= 0 || tot <= limit) continue;
    if (!st->overlong++) {
      st->first_row = i + 1;
      st->first_prefill = t->rows[i].prefill;
      st->first_decode = t->rows[i].decode;
    }
  }
}

bool cs_trace_clip_lengths(int32_t *prefill, int32_t *decode, int64_t limit) {
  int64_t p = *prefill, d = *decode, tot = p + d;
  if (limit <= 0 || tot <= limit) return true;
  int64_t diff = tot - limit;
  /* ceil(diff * x / tot) in integers: Vidur's math.ceil on the float quotient of small ints */
  int64_t cp = (diff * p + tot - 1) / tot, cd = (diff * d + tot - 1) / tot;
  p -= cp;
  d -= cd;
  if (p < 1) p = 1;
  if (d < 1) d = 1;
  if (p + d > limit) return false;
  *prefill = (int32_t)p;
  *decode = (int32_t)d;
  return true;
}

int cs_trace_limit(const cs_trace *t, int64_t limit, cs_overlong policy, cs_trace **out, cs_err *err) {
  *out = NULL;
  cs_trace_limit_stats st;
  cs_trace_count_overlong(t, limit, &st);
  if (st.overlong && (policy == CS_OVERLONG_ERROR || (policy == CS_OVERLONG_DROP && st.overlong == t->n)) )
    return cs_err_set(err, CS_ERANGE,
                      "%s: row %zu: prefill %" PRId32 " + decode %" PRId32 " = %" PRId64 " tokens exceeds the limit %" PRId64
                      " (%zu of %zu rows do; overlong: %s)",
                      t->path, st.first_row, st.first_prefill, st.first_decode,
                      (int64_t)st.first_prefill + st.first_decode, limit, st.overlong, t->n,
                      policy == CS_OVERLONG_ERROR ? "error; use clip or drop to keep the trace" : "drop leaves no row");
  if (limit < 2 && st.overlong)
    return cs_err_set(err, CS_ERANGE, "%s: a limit of %" PRId64 " tokens cannot hold a prompt and an output token", t->path,
                      limit);
  cs_trace *o = cs__xcalloc(1, sizeof *o);
  *o = *t;
  o->path = cs__xstrdup(t->path);
  o->rows = cs__xmalloc((t->n ? t->n : 1) * sizeof *o->rows);
  o->borrowed_hashes = true;
  o->max_total_tokens = 0;
  size_t n = 0;
  for (size_t i = 0; i < t->n; i++) {
    cs_trace_row r = t->rows[i];
    int64_t tot = (int64_t)r.prefill + r.decode;
    if (limit > 0 && tot > limit) {
      if (policy == CS_OVERLONG_DROP) continue;
      cs_trace_clip_lengths(&r.prefill, &r.decode, limit);
      uint32_t full = (uint32_t)(((int64_t)r.prefill + r.decode) / (t->block_size > 0 ? t->block_size : 16));
      if (r.hash_n > full) { /* the fresh ids sit at the end: they go first */
        uint32_t cut = r.hash_n - full;
        r.hash_nfresh = cut < r.hash_nfresh ? r.hash_nfresh - cut : 0;
        r.hash_n = full;
      }
      tot = (int64_t)r.prefill + r.decode;
    }
    if (tot > o->max_total_tokens) o->max_total_tokens = tot;
    o->rows[n++] = r;
  }
  o->n = n;
  *out = o;
  return 0;
}

bool cs_trace_warning(const cs_trace *t, char *buf, size_t size) {
  if (!t->hash_mismatch_rows && !t->unterminated) return false;
  int n = 0;
  if (t->hash_mismatch_rows)
    n = snprintf(buf, size,
                 "%s: %zu of %zu rows have a hash_ids count other than ceil(input_length / 512) (first: line %zu); "
                 "read as Mooncake means them: ids past the prompt ignored, blocks without an id never shared",
                 t->path, t->hash_mismatch_rows, t->n, t->hash_mismatch_line);
  if (t->unterminated && n >= 0 && (size_t)n < size)
    snprintf(buf + n, size - (size_t)n, "%s%s: the last line has no line break (was the file cut short?)", n ? "; " : "",
             t->path);
  return true;
}
