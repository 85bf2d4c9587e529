/* Synthetic multi-turn traces with shared prefixes (the chat/agent traces in traces/ are made
 * with this; see include/capsearch/trace.h for the model and docs/traces.md for the presets).
 *
 * Block hashes follow Vidur's convention (reference §2.3): one id per full block of prompt +
 * output. A session's next prompt is its previous prompt + output + new input, so the new row's
 * first floor((P_prev + D_prev)/B) ids are exactly the previous row's ids; the previous partial
 * block continues with new tokens, so it and everything after get fresh ids. A system prompt's
 * full blocks carry the same ids in every session that uses it. Ids are numbered densely from 0
 * in order of first use (short CSV files). */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trace/internal.h"
#include "util/rng.h"

typedef CS__VEC(uint64_t) idvec;

typedef struct session {
  bool open;
  int64_t id;
  int turns_left;
  int64_t tokens; /* history: previous prompt + output (or the system prompt before turn 1) */
  idvec ids;      /* ids of the history's full blocks */
} session;

void cs_trace_synth_defaults(cs_trace_synth_spec *s) {
  memset(s, 0, sizeof *s);
  cs_workload_spec_defaults(&s->arrivals);
  s->arrivals.length = CS_LENGTH_FIXED; /* only the arrivals are used */
  s->arrivals.num_requests = 2000;
  /* the "chat" preset: short system prompts, prompts ~200-2000 tokens, outputs 50-500 */
  s->system_prompts = 8;
  s->system_min = 100;
  s->system_max = 400;
  s->input_min = 50;
  s->input_max = 700;
  s->output_min = 50;
  s->output_max = 500;
  s->mean_turns = 2.5;
  s->active_sessions = 64;
  s->max_seq_len = 4096;
  s->block_size = 16;
}

/* log-uniform integer in [lo, hi] */
static int32_t loguni(cs__pcg64 *r, int32_t lo, int32_t hi) {
  if (hi <= lo) return lo;
  double x = exp(log((double)lo) + (log((double)hi + 1.0) - log((double)lo)) * cs__pcg64_random(r));
  int32_t v = (int32_t)x;
  return v < lo ? lo : v > hi ? hi : v;
}

/* Geometric number of turns >= 1 with the given mean. */
static int turns(cs__pcg64 *r, double mean) {
  if (mean <= 1.0) return 1;
  double p = 1.0 / mean, u = 1.0 - cs__pcg64_random(r); /* (0, 1] */
  double k = floor(log(u) / log(1.0 - p));
  return k > 1e6 ? 1000001 : 1 + (int)k;
}

/* Half a read trace's limit: the pool grows by doubling, so its peak stays near 1 GB. */
#define GEN_MAX_BLOCKS (CS__TRACE_MAX_BLOCKS / 2)

static int too_many(cs_err *err) {
  return cs_err_set(err, CS_ERANGE,
                    "trace generation: more than %d requests (the most a generated trace holds); "
                    "lower the request count, the duration or the qps",
                    CS_TRACE_GEN_MAX_ROWS);
}

/* A stream ended by its duration alone holds about duration x qps requests: one far past the cap
 * is refused before generating anything (the per-row check still catches the rest). */
static int expect_too_many(const cs_workload_spec *a, cs_err *err) {
  if (a->num_requests > 0 || !(a->duration > 0) || !(a->qps > 0)) return 0;
  double n = a->duration * a->qps;
  if (n <= 2.0 * CS_TRACE_GEN_MAX_ROWS) return 0;
  return cs_err_set(err, CS_ERANGE,
                    "trace generation: a duration of %g s at %g qps makes about %.3g requests, more than %d "
                    "(the most a generated trace holds); lower the duration or the qps",
                    a->duration, a->qps, n, CS_TRACE_GEN_MAX_ROWS);
}

static int check(const cs_trace_synth_spec *s, cs_err *err) {
  if (s->arrivals.num_requests <= 0 && !(s->arrivals.duration > 0))
    return cs_err_set(err, CS_EINVAL, "trace synth: set a positive number of requests or a duration");
  if (s->block_size <= 0) return cs_err_set(err, CS_EINVAL, "trace synth: block size must be positive");
  if (s->input_min < 1 || s->input_max < s->input_min || s->output_min < 1 || s->output_max < s->output_min)
    return cs_err_set(err, CS_EINVAL, "trace synth: input and output token ranges need 1 <= min <= max");
  if (s->system_prompts < 0 || (s->system_prompts > 0 && (s->system_min < 1 || s->system_max < s->system_min)))
    return cs_err_set(err, CS_EINVAL, "trace synth: system prompt range needs 1 <= min <= max");
  if (!(s->mean_turns >= 1.0 && isfinite(s->mean_turns)))
    return cs_err_set(err, CS_EINVAL, "trace synth: mean turns must be >= 1 (got %g)", s->mean_turns);
  if (s->active_sessions < 1 || s->active_sessions > 1000000)
    return cs_err_set(err, CS_EINVAL, "trace synth: active sessions must be in [1, 1000000]");
  int64_t first = (int64_t)(s->system_prompts ? s->system_max : 0) + s->input_max + s->output_max;
  if (s->max_seq_len && first > s->max_seq_len)
    return cs_err_set(err, CS_EINVAL, "trace synth: a first turn can need %" PRId64 " tokens, more than max_seq_len %" PRId64,
                      first, s->max_seq_len);
  return 0;
}

int cs_trace_synth(const cs_trace_synth_spec *s, cs_trace **out, cs_err *err) {
  *out = NULL;
  int rc = check(s, err);
  if (!rc) rc = expect_too_many(&s->arrivals, err);
  if (rc) return rc;
  cs_workload_spec ws = s->arrivals;
  ws.length = CS_LENGTH_FIXED; /* fixed lengths draw nothing: arrivals are the pure V1 stream */
  ws.fixed_prefill = ws.fixed_decode = 1;
  ws.max_seq_len = 0;
  cs_workload *w = NULL;
  if ((rc = cs_workload_new(&ws, &w, err))) return rc;

  const int bs = s->block_size;
  uint64_t mixer = s->arrivals.seed ^ 0x5EED5EED5EED5EEDull;
  cs__pcg64 rng;
  cs__pcg64_seed(&rng, cs__splitmix64(&mixer)); /* its own stream: arrivals stay untouched */
  uint64_t next_id = 0;
  int nsys = s->system_prompts;
  int32_t *sys_len = cs__xcalloc(nsys ? (size_t)nsys : 1, sizeof *sys_len);
  idvec *sys_ids = cs__xcalloc(nsys ? (size_t)nsys : 1, sizeof *sys_ids);
  for (int k = 0; k < nsys; k++) sys_len[k] = loguni(&rng, s->system_min, s->system_max);
  session *pool = cs__xcalloc((size_t)s->active_sessions, sizeof *pool);
  int64_t next_session = 0;
  cs__trace_builder b = {0};
  cs_request_spec req;
  while ((rc = cs_workload_next(w, &req, err)) == 1) {
    if (b.rows.n >= CS_TRACE_GEN_MAX_ROWS) {
      rc = too_many(err);
      break;
    }
    session *se = &pool[cs__pcg64_next64(&rng) % (uint64_t)s->active_sessions];
    int32_t in = loguni(&rng, s->input_min, s->input_max), outt = loguni(&rng, s->output_min, s->output_max);
    if (se->open && (se->turns_left <= 0 || (s->max_seq_len && se->tokens + in + outt > s->max_seq_len)))
      se->open = false;
    if (!se->open) { /* a new session in this slot */
      se->open = true;
      se->id = next_session++;
      se->turns_left = turns(&rng, s->mean_turns);
      se->ids.n = 0;
      se->tokens = 0;
      if (nsys) {
        int k = (int)(cs__pcg64_next64(&rng) % (uint64_t)nsys);
        if (!sys_ids[k].n) /* ids of a system prompt's full blocks, fixed at first use */
          for (int32_t j = 0; j < sys_len[k] / bs; j++) cs__vec_push(&sys_ids[k], next_id++);
        for (size_t j = 0; j < sys_ids[k].n; j++) cs__vec_push(&se->ids, sys_ids[k].v[j]);
        se->tokens = sys_len[k];
      }
    }
    cs_trace_row row = {.arrived_at = req.arrived_at, .session_id = se->id};
    row.prefill = (int32_t)(se->tokens + in);
    row.decode = outt;
    size_t keep = (size_t)(((int64_t)row.prefill + row.decode) / bs);
    if (b.hashes.n + keep > GEN_MAX_BLOCKS) {
      rc = cs_err_set(err, CS_ERANGE,
                      "trace generation: more than %" PRIu64 " block hashes after %zu requests (the most a "
                      "generated trace holds); lower the request count, the duration, the qps or the lengths",
                      GEN_MAX_BLOCKS, b.rows.n);
      break;
    }
    row.hash_off = (uint32_t)b.hashes.n;
    row.hash_n = (uint32_t)keep;
    for (size_t j = 0; j < keep; j++) {
      uint64_t id = j < se->ids.n ? se->ids.v[j] : next_id++;
      cs__vec_push(&b.hashes, id);
    }
    /* the history now is this prompt + output: its full blocks are this row's ids */
    se->ids.n = 0;
    for (size_t j = 0; j < keep; j++) cs__vec_push(&se->ids, b.hashes.v[row.hash_off + j]);
    se->tokens = (int64_t)row.prefill + row.decode;
    se->turns_left--;
    cs__vec_push(&b.rows, row);
  }
  if (rc == 0) rc = cs__trace_builder_finish(&b, "(generated)", CS_TRACE_VIDUR_CSV, bs, true, true, true, out, err);
  cs__trace_builder_release(&b);
  for (int k = 0; k < nsys; k++) free(sys_ids[k].v);
  for (int32_t k = 0; k < s->active_sessions; k++) free(pool[k].ids.v);
  free(sys_ids);
  free(sys_len);
  free(pool);
  cs_workload_free(w);
  return rc < 0 ? rc : 0;
}

int cs_trace_from_workload(const cs_workload_spec *spec, cs_trace **out, cs_err *err) {
  *out = NULL;
  cs_workload *w = NULL;
  int rc = expect_too_many(spec, err);
  if (rc) return rc;
  rc = cs_workload_new(spec, &w, err);
  if (rc) return rc;
  cs__trace_builder b = {0};
  cs_request_spec req;
  while ((rc = cs_workload_next(w, &req, err)) == 1) {
    if (b.rows.n >= CS_TRACE_GEN_MAX_ROWS) {
      rc = too_many(err);
      break;
    }
    cs_trace_row row = {.arrived_at = req.arrived_at, .prefill = req.prefill, .decode = req.decode,
                        .session_id = req.session_id};
    cs__vec_push(&b.rows, row);
  }
  if (rc == 0) rc = cs__trace_builder_finish(&b, "(generated)", CS_TRACE_VIDUR_CSV, 16, true, false, false, out, err);
  cs__trace_builder_release(&b);
  cs_workload_free(w);
  return rc < 0 ? rc : 0;
}
