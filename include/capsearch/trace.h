/* Traces (request streams) and workload generators.
 *
 * Trace formats form a registry (CS_TRACE_FORMATS below; `capsearch list trace-formats`): each
 * has a reader in its own file under src/trace/ (Vidur CSV, Mooncake JSONL, Azure LLM inference
 * CSV; docs/traces.md), any of them gzip-compressed (detected by magic bytes). Mooncake's 512-token
 * hash ids are converted at load to 16-token block hashes and derived session ids.
 * Generators produce (arrival, prefill, decode, hashes, session) lazily, one request at a time.
 *
 * Ownership: a cs_trace owns its rows and hash pool; it is immutable after loading and shared
 * across threads as const. A cs_workload is owned by one simulation (_new/_free). */
#ifndef CAPSEARCH_TRACE_H
#define CAPSEARCH_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capsearch/error.h"
#include "capsearch/registry.h"

/* The trace formats, one line each: X(ID, name). The reader of `name` is the registry entry
 * cs__trace_format_<name> defined in its own file (src/trace/internal.h says how); the order
 * is the order of listing and of detection (the first format whose detector claims a file
 * reads it; a format without a detector reads what no other claims). Adding a format: a reader
 * file and one line here (docs/traces.md, "Adding a format"). */
#define CS_TRACE_FORMATS(X) \
  X(VIDUR_CSV, vidur)       \
  X(MOONCAKE_JSONL, mooncake) \
  X(AZURE_CSV, azure)

typedef enum cs_trace_format {
  CS_TRACE_AUTO = 0, /* detect */
#define CS__TRACE_FORMAT_ENUM(id, name) CS_TRACE_##id,
  CS_TRACE_FORMATS(CS__TRACE_FORMAT_ENUM)
#undef CS__TRACE_FORMAT_ENUM
  CS_TRACE_FORMAT_COUNT /* formats + 1 (auto) */
} cs_trace_format;

/* The values of a --format flag, "auto|vidur|mooncake|azure", as one string literal. */
#define CS__TRACE_FORMAT_BAR(id, name) "|" #name
#define CS_TRACE_FORMAT_CHOICES "auto" CS_TRACE_FORMATS(CS__TRACE_FORMAT_BAR)

/* Capability flags of a trace format (its registry entry's flags): what its files can carry. */
#define CS_TRACE_HAS_ARRIVALS 1u /* arrival times */
#define CS_TRACE_HAS_HASHES 2u   /* prefix-cache block hashes */
#define CS_TRACE_HAS_SESSIONS 4u /* session ids (given or derived) */

/* The most tokens a trace row's prompt or output may have: every reader refuses more (16M,
 * above every model's context) and `trace generate` writes no more. */
#define CS_TRACE_MAX_TOKENS (1 << 24)

typedef struct cs_trace_row {
  double arrived_at;   /* seconds from the trace start; NAN when the trace has no arrivals */
  int32_t prefill;     /* prompt tokens (> 0) */
  int32_t decode;      /* output tokens (> 0) */
  int64_t session_id;  /* -1 when none */
  uint32_t hash_off;   /* first id in cs_trace.hashes */
  uint32_t hash_n;     /* number of block hashes (full blocks of prompt + output) */
  uint32_t hash_nfresh;/* the last hash_nfresh blocks have ids of their own: hash_fresh, +1, ... */
  uint64_t hash_fresh;
} cs_trace_row;

/* A request's block hash ids, stored compactly (cs_block_hash expands one): blocks [0, nid) are
 * (ids[k >> shift] << shift) + k mod 2^shift (a Mooncake 512-token id names 32 consecutive
 * 16-token blocks: shift 5; other traces store one id per block: shift 0); blocks [nid, n)
 * are fresh + (k - nid), ids no other block has. n == 0: no hashes. */
typedef struct cs_block_hashes {
  const uint64_t *ids; /* borrowed from the trace; NULL when nid == 0 may leave it so */
  uint64_t fresh;
  uint32_t n, nid, shift;
} cs_block_hashes;

static inline uint64_t cs_block_hash(const cs_block_hashes *h, uint32_t k) {
  if (k < h->nid) return (h->ids[k >> h->shift] << h->shift) + (k & ((1u << h->shift) - 1u));
  return h->fresh + (k - h->nid);
}

typedef struct cs_trace {
  char *path;
  cs_trace_format format;
  size_t n;
  cs_trace_row *rows;
  uint64_t *hashes;    /* id pool: row r's ids start at hashes[r.hash_off] */
  size_t nhashes;      /* ids in the pool */
  uint32_t hash_shift; /* blocks per id = 2^hash_shift (see cs_block_hashes) */
  int block_size;      /* tokens per hashed block (16) */
  bool has_arrivals, has_hashes, has_sessions;
  int64_t max_total_tokens; /* max over rows of prefill + decode */
  bool borrowed_hashes;     /* hashes belong to another trace (cs_trace_limit's result) */
  /* Mooncake rows whose hash_ids count differs from ceil(input_length / 512): the ids describe
   * the prompt's blocks in order, so extra ids are ignored and missing blocks get fresh ids */
  size_t hash_mismatch_rows;
  size_t hash_mismatch_line; /* the first such row's line, 0 when none */
  /* the file's last line has no line break: legal, but also what a cut download looks like */
  bool unterminated;
} cs_trace;

/* The trace's load warnings (Mooncake hash_ids count mismatch; a last line without a line
 * break, perhaps truncated) as one line for stderr, or false when there is none. */
bool cs_trace_warning(const cs_trace *t, char *buf, size_t size);

typedef struct cs_trace_opts {
  cs_trace_format format;   /* CS_TRACE_AUTO to detect */
  int block_size;           /* target block size for hash ids (default 16) */
  int64_t max_rows;         /* 0 = all */
} cs_trace_opts;

int cs_trace_load(const char *path, const cs_trace_opts *opts, cs_trace **out, cs_err *err);
void cs_trace_free(cs_trace *t);
/* Writes the trace as a Vidur CSV (with hashes and sessions when present). */
int cs_trace_write_vidur_csv(const cs_trace *t, const char *path, bool gzip, cs_err *err);
const char *cs_trace_format_name(cs_trace_format f);

/* What to do with a row whose prompt + output exceeds a length limit (a sweep trace's
 * `overlong`, docs/traces.md): clip it with Vidur V0's proportional rule (vidur-semantics.md
 * §2.3), drop it, or refuse the trace. */
typedef enum cs_overlong { CS_OVERLONG_CLIP = 0, CS_OVERLONG_DROP, CS_OVERLONG_ERROR } cs_overlong;
const char *cs_overlong_name(cs_overlong p);
/* "clip", "drop", "error" -> policy; CS_EUNKNOWN with a suggestion otherwise. */
int cs_overlong_parse(const char *name, cs_overlong *out, cs_err *err);

typedef struct cs_trace_limit_stats {
  int64_t limit;
  size_t overlong;        /* rows with prefill + decode > limit */
  size_t first_row;       /* 1-based index of the first such row, 0 when none */
  int32_t first_prefill, first_decode;
  int64_t longest;        /* longest prefill + decode in the trace */
} cs_trace_limit_stats;

/* Counts the rows of `t` longer than `limit` tokens. */
void cs_trace_count_overlong(const cs_trace *t, int64_t limit, cs_trace_limit_stats *st);
/* Vidur V0's clip of one row to `limit` tokens: diff = P + D - limit; P -= ceil(diff P / (P + D)),
 * D -= ceil(diff D / (P + D)), both at least 1. Returns false when the row cannot fit (limit < 2). */
bool cs_trace_clip_lengths(int32_t *prefill, int32_t *decode, int64_t limit);
/* A trace whose rows all fit in `limit` tokens: clipped (block hashes cut to the full blocks of
 * the clipped row) or without the overlong rows (CS_OVERLONG_DROP). The result borrows `t`'s
 * hash pool, so `t` must outlive it. CS_ERANGE for CS_OVERLONG_ERROR (or nothing left after
 * dropping), naming the file and the first overlong row. */
int cs_trace_limit(const cs_trace *t, int64_t limit, cs_overlong policy, cs_trace **out, cs_err *err);
/* Row r's block hashes, cut to its first `max_n` blocks. */
cs_block_hashes cs_trace_row_hashes(const cs_trace *t, const cs_trace_row *r, uint32_t max_n);

typedef enum cs_arrival_kind {
  CS_ARRIVAL_POISSON = 0, /* exponential gaps; Vidur truncates at 3/qps by default */
  CS_ARRIVAL_GAMMA,       /* gamma gaps with coefficient of variation cv */
  CS_ARRIVAL_STATIC,      /* everything at t = 0 */
  CS_ARRIVAL_UNIFORM,     /* constant 1/qps */
  CS_ARRIVAL_TRACE        /* the trace's own arrived_at, times time_scale */
} cs_arrival_kind;

typedef enum cs_length_kind {
  CS_LENGTH_TRACE = 0, /* trace rows in file order, wrapping around */
  CS_LENGTH_FIXED,
  CS_LENGTH_UNIFORM,
  CS_LENGTH_ZIPF
} cs_length_kind;

typedef struct cs_workload_spec {
  cs_arrival_kind arrival;
  double qps;
  double cv;                 /* gamma */
  bool poisson_untruncated;  /* false = Vidur's min(x, 3/qps) */
  double time_scale;         /* trace arrivals: multiply timestamps (1 = as recorded) */
  cs_length_kind length;
  const cs_trace *trace;     /* lengths/arrivals/hashes/sessions source (borrowed) */
  int32_t fixed_prefill, fixed_decode;
  int32_t min_tokens, max_tokens;  /* uniform / zipf total length range */
  double pd_ratio;           /* uniform / zipf prefill:decode ratio (Vidur default 20) */
  double zipf_theta;         /* default 0.6 */
  double prefill_scale, decode_scale; /* default 1 */
  int64_t num_requests;      /* 0 = until duration or trace end */
  double duration;           /* seconds, 0 = none */
  int64_t max_seq_len;       /* prefill + decode must not exceed (0 = no check) */
  uint64_t seed;             /* default 42 */
} cs_workload_spec;

void cs_workload_spec_defaults(cs_workload_spec *s);

typedef struct cs_request_spec {
  double arrived_at;
  int32_t prefill, decode;
  int64_t session_id;
  cs_block_hashes hashes;    /* borrowed from the trace; ids NULL when none */
} cs_request_spec;

typedef struct cs_workload cs_workload;
/* Validates the spec (e.g. qps > 0 for poisson; trace present for trace lengths). */
int cs_workload_new(const cs_workload_spec *spec, cs_workload **out, cs_err *err);
void cs_workload_free(cs_workload *w);
/* Produces the next request; returns 1 when one was produced, 0 at the end, negative on error
 * (e.g. a trace row longer than max_seq_len: message names the trace file and row). */
int cs_workload_next(cs_workload *w, cs_request_spec *out, cs_err *err);

/* ---- additions (helper "trace") ------------------------------------------------------------ */

/* "auto" or a registered format's name or alias -> format; CS_EUNKNOWN with a suggestion or
 * the list of formats otherwise. */
int cs_trace_format_parse(const char *name, cs_trace_format *out, cs_err *err);
/* The trace-format registry (entries in CS_TRACE_FORMATS order; summary and flags per format). */
const cs_registry *cs_trace_formats(void);
/* A format's registry entry; NULL for CS_TRACE_AUTO or an out-of-range value. */
const cs_registry_entry *cs_trace_format_entry(cs_trace_format f);
/* A format's label for people ("Mooncake JSONL"); "auto" for CS_TRACE_AUTO. */
const char *cs_trace_format_label(cs_trace_format f);

typedef struct cs_trace_dist {
  double mean, p50, p90, p99; /* percentiles with linear interpolation (numpy's default) */
  int64_t min, max;
} cs_trace_dist;

typedef struct cs_trace_stats {
  size_t rows;
  cs_trace_dist prefill, decode, total;
  double arrival_span;     /* last - first arrival in seconds; NAN without arrivals */
  double mean_qps;         /* (rows - 1) / span; NAN without arrivals or with a zero span */
  bool arrivals_sorted;    /* arrivals never decrease */
  /* Block hashes over the prompts' full blocks (what prefix caching can reuse): prompt_blocks
   * of them in all, hash_blocks named by an id of the trace itself rather than a fresh one (a
   * Mooncake row with fewer hash_ids than its input needs gets fresh ids for the rest; output
   * blocks never count), hash_coverage = hash_blocks / prompt_blocks, hash_short_rows the rows
   * with a prompt block lacking an id. All 0 without hashes. */
  double hash_coverage;
  int64_t prompt_blocks, hash_blocks;
  size_t hash_short_rows;
  double session_coverage; /* fraction of rows with a session id */
  int64_t sessions;        /* distinct session ids */
  /* Fraction of all prompt tokens lying in hashed prompt blocks already seen in an earlier
   * request: the prefix-cache hit rate an unlimited cache would reach (0 without hashes). */
  double prefix_reuse;
} cs_trace_stats;

void cs_trace_stats_compute(const cs_trace *t, cs_trace_stats *out);

/* Synthetic multi-turn traces with shared prefixes (chat- and agent-like; docs/traces.md):
 * arrivals come from a workload generator (its lengths are not used); every request belongs to a
 * session: turn 1's prompt = one of `system_prompts` shared system prompts + new input, turn n's
 * prompt = turn n-1's prompt + output + new input, so each turn's block hashes extend the
 * previous turn's. Sessions interleave: each request continues a random one of
 * `active_sessions` open sessions (a finished one is replaced by a new session). New input,
 * output and system prompt lengths are log-uniform in [min, max]. */
typedef struct cs_trace_synth_spec {
  cs_workload_spec arrivals;       /* arrival law, qps, seed, num_requests and/or duration */
  int32_t system_prompts;          /* distinct shared system prompts (0 = none) */
  int32_t system_min, system_max;  /* system prompt tokens */
  int32_t input_min, input_max;    /* new tokens per turn (user message, tool result) */
  int32_t output_min, output_max;  /* output tokens per turn */
  double mean_turns;               /* turns per session, geometric with this mean (>= 1) */
  int32_t active_sessions;         /* sessions open at a time (>= 1) */
  int64_t max_seq_len;             /* a session ends before a turn would exceed it (0 = none) */
  int block_size;                  /* hash block size (16) */
} cs_trace_synth_spec;

/* The most rows a generated trace holds (the sweep's default --max-requests): a longer request
 * count or a duration that reaches it is refused with CS_ERANGE before memory grows unbounded. */
#define CS_TRACE_GEN_MAX_ROWS 10000000

/* Materialises a workload (synthetic lengths, num_requests > 0) as a trace with arrivals and
 * lengths only (`capsearch trace generate` without sessions). */
int cs_trace_from_workload(const cs_workload_spec *spec, cs_trace **out, cs_err *err);

void cs_trace_synth_defaults(cs_trace_synth_spec *s);
int cs_trace_synth(const cs_trace_synth_spec *s, cs_trace **out, cs_err *err);

#endif
