/* capsearch trace generate -o OUT: synthetic traces, either plain lengths (Vidur's fixed,
 * uniform and zipf generators with its arrival processes) or multi-turn chat/agent sessions
 * with shared prefixes and block hashes (docs/traces.md). */
#include <stdio.h>
#include <string.h>

#include "capsearch/trace.h"
#include "capsearch/util.h"

#include "cmd_trace.h"
#include "commands.h"

typedef struct tok_range {
  int32_t lo, hi;
} tok_range;

typedef struct gen_args {
  cs_trace_synth_spec sy; /* sy.arrivals: the arrival law and plain lengths */
  const char *out;
  int shape; /* -1 none, 0 chat, 1 agent */
  bool req_set, dur_set;
  /* session flags, applied over the --shape preset */
  int sysp;
  tok_range sys, in, outr;
  double turns;
  int active;
  int64_t max_seq;
  bool has_sysp, has_sys, has_in, has_out, has_turns, has_active, has_max_seq;
} gen_args;

/* MIN:MAX token counts, both through the checked parser. */
static int range_arg(void *obj, const cs_opt *o, const char *text, cs_err *err) {
  static const cs_num_range r = {1, CS_TRACE_MAX_TOKENS, false, true};
  const char *c = strchr(text, ':');
  char a[32], why[256];
  double lo, hi;
  size_t n = c ? (size_t)(c - text) : 0;
  if (!c || n == 0 || n >= sizeof a) goto bad;
  memcpy(a, text, n);
  a[n] = '\0';
  if (cs_num_parse(a, &r, &lo, why, sizeof why) || cs_num_parse(c + 1, &r, &hi, why, sizeof why) || hi < lo) goto bad;
  tok_range *t = (tok_range *)((char *)obj + o->off);
  t->lo = (int32_t)lo;
  t->hi = (int32_t)hi;
  return 0;
bad:
  return cs_err_set(err, CS_EUSAGE, "expected MIN:MAX with 1 <= MIN <= MAX <= %d (the trace readers' limit), got '%s'",
                     CS_TRACE_MAX_TOKENS, text);
}

static const char *const arrivals[] = {"poisson", "gamma", "static", "uniform", NULL};
static const char *const lengths[] = {"fixed", "uniform", "zipf", NULL};
static const int length_values[] = {CS_LENGTH_FIXED, CS_LENGTH_UNIFORM, CS_LENGTH_ZIPF};
static const char *const shapes[] = {"chat", "agent", NULL};

#define F(f) CS_OPT_FIELD(gen_args, f)
#define W(f) CS_OPT_FIELD(gen_args, sy.arrivals.f)
#define TOKENS .range = {1, CS_TRACE_MAX_TOKENS, false, true} /* what the trace readers accept */
#define POS(hi) .range = {0, hi, true, false}
static const cs_opt gen_opts[] = {
    {CS_OPT_STR, "output", 'o', .arg = "OUT", .help = "the Vidur CSV to write (.gz to compress)", F(out)},
    {CS_OPT_GROUP, .help = "arrivals:"},
    {CS_OPT_INT, "requests", .help = "number of requests", W(num_requests), .range = {1, CS_TRACE_GEN_MAX_ROWS, false, true},
     CS_OPT_SETS(gen_args, req_set)},
    {CS_OPT_NUM, "duration", .arg = "S", .help = "stop once an arrival reaches S seconds (Vidur V1 rule)", W(duration),
     POS(1e12), .unit = &cs_opt_unit_seconds, CS_OPT_SETS(gen_args, dur_set)},
    {CS_OPT_ENUM, "arrival", .arg = "KIND", .help = "poisson (Vidur V1, gaps truncated at 3/qps), gamma, static, uniform",
     W(arrival), .choices = arrivals, .noun = "arrival process"},
    {CS_OPT_NUM, "qps", .arg = "Q", .help = "request rate", W(qps), POS(1e9)},
    {CS_OPT_NUM, "cv", .help = "gamma coefficient of variation", W(cv), POS(1e6)},
    {CS_OPT_FLAG, "poisson-untruncated", .help = "plain exponential gaps", W(poisson_untruncated)},
    {CS_OPT_INT, "seed", .arg = "S", .help = "random seed", W(seed), .range = {0, 9007199254740992.0, false, true}},
    {CS_OPT_GROUP, .help = "plain lengths (no sessions, no hashes):"},
    {CS_OPT_ENUM, "lengths", .arg = "KIND", .help = "fixed, uniform or zipf (Vidur's generators)", W(length),
     .choices = lengths, .values = length_values, .noun = "length generator"},
    {CS_OPT_INT, "prefill", .help = "fixed prompt length", W(fixed_prefill), TOKENS},
    {CS_OPT_INT, "decode", .help = "fixed output length", W(fixed_decode), TOKENS},
    {CS_OPT_INT, "min-tokens", .help = "uniform/zipf: shortest request", W(min_tokens), TOKENS},
    {CS_OPT_INT, "max-tokens", .help = "uniform/zipf: longest request", W(max_tokens), TOKENS},
    {CS_OPT_NUM, "pd-ratio", .arg = "R", .help = "uniform/zipf: prefill:decode ratio", W(pd_ratio), POS(1e6)},
    {CS_OPT_NUM, "zipf-theta", .arg = "T", .help = "zipf exponent", W(zipf_theta), POS(1e6)},
    {CS_OPT_GROUP, .help = "multi-turn sessions with shared prefixes and block hashes:"},
    {CS_OPT_ENUM, "shape", .arg = "chat|agent", .help = "preset (see docs/traces.md); the flags below override it",
     F(shape), .choices = shapes, .noun = "shape"},
    {CS_OPT_INT, "system-prompts", .arg = "K", .help = "distinct shared system prompts", F(sysp),
     .range = {0, 100000, false, true}, CS_OPT_SETS(gen_args, has_sysp)},
    {CS_OPT_FN, "system-tokens", .arg = "MIN:MAX", .help = "system prompt tokens", F(sys), .fn = range_arg,
     CS_OPT_SETS(gen_args, has_sys)},
    {CS_OPT_FN, "input-tokens", .arg = "MIN:MAX", .help = "new tokens per turn", F(in), .fn = range_arg,
     CS_OPT_SETS(gen_args, has_in)},
    {CS_OPT_FN, "output-tokens", .arg = "MIN:MAX", .help = "output tokens per turn", F(outr), .fn = range_arg,
     CS_OPT_SETS(gen_args, has_out)},
    {CS_OPT_NUM, "turns", .arg = "MEAN", .help = "mean turns per session", F(turns), .range = {1, 1e6, false, false},
     CS_OPT_SETS(gen_args, has_turns)},
    {CS_OPT_INT, "active-sessions", .help = "sessions open at a time", F(active), .range = {1, 1e6, false, true},
     CS_OPT_SETS(gen_args, has_active)},
    {CS_OPT_INT, "max-seq-len", .help = "a session ends before a turn would exceed N tokens", F(max_seq),
     .range = {1, CS_TRACE_MAX_TOKENS, false, true}, CS_OPT_SETS(gen_args, has_max_seq)},
    {CS_OPT_INT, "block-size", .arg = "B", .help = "hash block size", F(sy.block_size), .range = {1, 4096, false, true}},
    {CS_OPT_HELP, "help", 'h', .help = "this text"},
    {CS_OPT_END}};
#undef POS
#undef TOKENS
#undef W
#undef F

static const cs_opt_cmd gen_cmd = {"trace generate", "capsearch trace generate -o OUT.csv[.gz] [options]", NULL,
                                    gen_opts, NULL, 0, 0};

static void gen_args_init(gen_args *a) {
  memset(a, 0, sizeof *a);
  cs_trace_synth_defaults(&a->sy);
  a->sy.arrivals.length = CS_LENGTH_UNIFORM;
  a->shape = -1;
}

static void preset(cs_trace_synth_spec *sy, bool agent) {
  if (!agent) return; /* cs_trace_synth_defaults is the chat preset */
  sy->system_prompts = 4;   /* a few agents, each with long tool definitions */
  sy->system_min = 1000;
  sy->system_max = 2500;
  sy->input_min = 50;       /* tool results / user turns */
  sy->input_max = 1000;
  sy->output_min = 20;      /* tool calls and short answers */
  sy->output_max = 250;
  sy->mean_turns = 6.0;     /* many steps per task */
  sy->active_sessions = 16;
  sy->max_seq_len = 8192;
}

/* The session flags over the preset; true when the trace has sessions at all. */
static bool apply_sessions(gen_args *a) {
  cs_trace_synth_spec *sy = &a->sy;
  bool sessions = a->shape >= 0 || a->has_sysp || a->has_sys || a->has_in || a->has_out || a->has_turns || a->has_active;
  if (sessions) {
    preset(sy, a->shape == 1);
    if (a->has_sysp) sy->system_prompts = a->sysp;
    if (a->has_sys) sy->system_min = a->sys.lo, sy->system_max = a->sys.hi;
    if (a->has_in) sy->input_min = a->in.lo, sy->input_max = a->in.hi;
    if (a->has_out) sy->output_min = a->outr.lo, sy->output_max = a->outr.hi;
    if (a->has_turns) sy->mean_turns = a->turns;
    if (a->has_active) sy->active_sessions = a->active;
  }
  if (a->has_max_seq) sy->max_seq_len = sy->arrivals.max_seq_len = a->max_seq;
  return sessions;
}

int cs__trace_cmd_generate(int argc, char **argv) {
  gen_args a, defaults;
  gen_args_init(&a);
  gen_args_init(&defaults);
  int rc = cs__cli_parse(&gen_cmd, argc, argv, &a, &defaults, NULL, NULL);
  if (rc >= 0) return rc;
  if (!a.out) {
    fprintf(stderr, "capsearch: trace generate: missing -o OUT.csv\n");
    return CS_EXIT_USAGE;
  }
  if (a.dur_set && !a.req_set) a.sy.arrivals.num_requests = 0; /* the duration alone ends the stream */
  bool sessions = apply_sessions(&a);
  cs_err err = {0};
  cs_trace *t = NULL;
  rc = sessions ? cs_trace_synth(&a.sy, &t, &err) : cs_trace_from_workload(&a.sy.arrivals, &t, &err);
  bool existed = cs_path_exists(a.out); /* replaced atomically, but never silently */
  if (!rc) rc = cs_trace_write_vidur_csv(t, a.out, cs__trace_ends_with(a.out, ".gz"), &err);
  if (!rc) fprintf(stderr, "capsearch: wrote %zu requests to %s%s\n", t->n, a.out, existed ? " (replaced the existing file)" : "");
  cs_trace_free(t);
  return rc ? cs__cli_fail(&err) : CS_EXIT_OK;
}
