/* capsearch trace: inspect, convert and generate request traces.
 *   trace info FILE            summary: rows, lengths, arrivals, hashes, sessions, prefix reuse
 *   trace convert IN -o OUT    any supported format -> Vidur CSV (gzip when OUT ends in .gz)
 *   trace generate -o OUT      synthetic traces (plain lengths, or chat/agent sessions) */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsearch/trace.h"
#include "cli/commands.h"
#include "util/json.h"
#include "util/text.h"

static const char trace_usage[] =
    "usage: capsearch trace <info|convert|generate> [options]   (--help on each)\n\n"
    "  info FILE              rows, format, length percentiles, arrivals, hash/session coverage,\n"
    "                         prefix reuse of a trace\n"
    "  convert IN -o OUT      Mooncake JSONL / Azure CSV / Vidur CSV -> Vidur CSV (.gz to compress)\n"
    "  generate -o OUT ...    synthetic trace (Poisson/gamma/static/uniform arrivals; fixed, uniform,\n"
    "                         zipf lengths; or multi-turn chat/agent sessions with block hashes)\n\n"
    "Formats are detected from the content; any input may be gzip-compressed.\n";

static const char info_usage[] =
    "usage: capsearch trace info FILE [--format auto|vidur|mooncake|azure] [--block-size B]\n"
    "                            [--max-seq-len N] [--json]\n\n"
    "Prints the number of rows, the format, prefill/decode/total token percentiles, the arrival span\n"
    "and mean QPS, which share of rows carries block hashes and session ids, and the prefix reuse\n"
    "ratio (share of prompt tokens in blocks an earlier request already had: the hit rate of an\n"
    "unlimited prefix cache). --max-seq-len N also counts the requests longer than N tokens (a\n"
    "sweep with that max_seq_len rejects the trace). --json prints the same as a JSON object.\n";

static const char convert_usage[] =
    "usage: capsearch trace convert IN [-o] OUT.csv[.gz] [--format auto|vidur|mooncake|azure]\n"
    "                               [--max-rows N] [--block-size B]\n\n"
    "Writes IN as a Vidur CSV: arrived_at, num_prefill_tokens, num_decode_tokens and, when the\n"
    "input has them, block_hash_ids, block_size, session_id. Mooncake's 512-token hash ids become\n"
    "B-token ids (default 16) and sessions come from shared prefix chains (docs/traces.md).\n"
    "The output is written atomically; a name ending in .gz is gzip-compressed.\n";

static const char generate_usage[] =
    "usage: capsearch trace generate -o OUT.csv[.gz] [options]\n\n"
    "arrivals:\n"
    "  --requests N            number of requests (2000)\n"
    "  --duration S            stop once an arrival reaches S seconds (Vidur V1 rule)\n"
    "  --arrival KIND          poisson (Vidur V1, gaps truncated at 3/qps), gamma, static, uniform\n"
    "  --qps Q                 request rate (1.0)      --cv CV   gamma coefficient of variation (1.0)\n"
    "  --poisson-untruncated   plain exponential gaps  --seed S  random seed (42)\n"
    "plain lengths (no sessions, no hashes):\n"
    "  --lengths KIND          fixed, uniform (default) or zipf (Vidur's generators)\n"
    "  --prefill N --decode N  fixed lengths (2048, 512)\n"
    "  --min-tokens N --max-tokens N --pd-ratio R --zipf-theta T   uniform/zipf (1024, 4096, 20, 0.6)\n"
    "multi-turn sessions with shared prefixes and block hashes:\n"
    "  --shape chat|agent      preset (see docs/traces.md); the flags below override it\n"
    "  --system-prompts K      distinct shared system prompts   --system-tokens MIN:MAX\n"
    "  --input-tokens MIN:MAX  new tokens per turn              --output-tokens MIN:MAX\n"
    "  --turns MEAN            mean turns per session           --active-sessions N\n"
    "  --max-seq-len N         a session ends before a turn would exceed N tokens\n"
    "  --block-size B          hash block size (16)\n";

static int usage_err(const char *fmt, const char *a, const char *b) {
  fprintf(stderr, "capsearch: trace ");
  fprintf(stderr, fmt, a, b);
  fprintf(stderr, "\n");
  return CS_EXIT_USAGE;
}

static bool parse_i64(const char *s, int64_t *v) {
  char *end;
  long long x = strtoll(s, &end, 10);
  if (!*s || *end) return false;
  *v = x;
  return true;
}

static bool parse_dbl(const char *s, double *v) {
  char *end;
  double x = strtod(s, &end);
  if (!*s || *end || !isfinite(x)) return false;
  *v = x;
  return true;
}

static bool parse_range(const char *s, int32_t *lo, int32_t *hi) {
  const char *c = strchr(s, ':');
  if (!c) return false;
  char a[32];
  size_t n = (size_t)(c - s);
  if (n == 0 || n >= sizeof a) return false;
  memcpy(a, s, n);
  a[n] = '\0';
  int64_t x, y;
  if (!parse_i64(a, &x) || !parse_i64(c + 1, &y) || x < 1 || y < x || y > INT32_MAX) return false;
  *lo = (int32_t)x;
  *hi = (int32_t)y;
  return true;
}

static bool ends_with(const char *s, const char *suf) {
  size_t a = strlen(s), b = strlen(suf);
  return a >= b && !strcmp(s + a - b, suf);
}

/* ---- info ---------------------------------------------------------------------------------- */

static void print_dist(const char *name, const cs_trace_dist *d) {
  printf("%-14s mean %.1f  p50 %.0f  p90 %.0f  p99 %.0f  min %" PRId64 "  max %" PRId64 "\n", name, d->mean, d->p50,
         d->p90, d->p99, d->min, d->max);
}

static void json_dist(cs__jw *w, const char *key, const cs_trace_dist *d) {
  cs__jw_key(w, key);
  cs__jw_obj_begin(w);
  cs__jw_knum(w, "mean", d->mean);
  const char *names[3] = {"p50", "p90", "p99"};
  const double vals[3] = {d->p50, d->p90, d->p99};
  for (int i = 0; i < 3; i++) { /* whole token counts print as integers ("1020", not "1.02e+03") */
    if (vals[i] == floor(vals[i]) && fabs(vals[i]) < 9e15)
      cs__jw_kint(w, names[i], (int64_t)vals[i]);
    else
      cs__jw_knum(w, names[i], vals[i]);
  }
  cs__jw_kint(w, "min", d->min);
  cs__jw_kint(w, "max", d->max);
  cs__jw_obj_end(w);
}

static int cmd_info(int argc, char **argv) {
  static const struct option opts[] = {{"format", required_argument, 0, 'f'},
                                       {"block-size", required_argument, 0, 'b'},
                                       {"max-seq-len", required_argument, 0, 'm'},
                                       {"json", no_argument, 0, 'j'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  cs_trace_opts o = {CS_TRACE_AUTO, 16, 0};
  bool json = false;
  int64_t max_seq = 0;
  cs_err err = {0};
  int c;
  int64_t v;
  while ((c = getopt_long(argc, argv, "f:b:m:jh", opts, NULL)) != -1) {
    switch (c) {
    case 'f':
      if (cs_trace_format_parse(optarg, &o.format, &err)) return cs__cli_fail(&err);
      break;
    case 'b':
      if (!parse_i64(optarg, &v) || v < 1 || v > 4096) return usage_err("info: --block-size: expected a positive integer, got '%s'%s", optarg, "");
      o.block_size = (int)v;
      break;
    case 'm':
      if (!parse_i64(optarg, &max_seq) || max_seq < 1) return usage_err("info: --max-seq-len: expected a positive integer, got '%s'%s", optarg, "");
      break;
    case 'j': json = true; break;
    case 'h': fputs(info_usage, stdout); return CS_EXIT_OK;
    default: return cs__cli_bad_option("trace info", argc, argv, "f:b:m:jh", opts);
    }
  }
  if (optind != argc - 1) return usage_err("info: expected exactly one trace FILE (see --help)%s%s", "", "");
  cs_trace *t = NULL;
  if (cs_trace_load(argv[optind], &o, &t, &err)) return cs__cli_fail(&err);
  char warn[1200];
  if (cs_trace_warning(t, warn, sizeof warn)) fprintf(stderr, "capsearch: warning: %s\n", warn);
  cs_trace_stats st;
  cs_trace_stats_compute(t, &st);
  size_t over = 0, first_over = 0;
  for (size_t i = 0; max_seq && i < t->n; i++)
    if ((int64_t)t->rows[i].prefill + t->rows[i].decode > max_seq && !over++) first_over = i + 1;
  if (json) {
    cs__sbuf sb;
    cs__sbuf_init(&sb);
    cs__jw w;
    cs__jw_init(&w, &sb, false);
    cs__jw_obj_begin(&w);
    cs__jw_kstr(&w, "file", t->path);
    cs__jw_kstr(&w, "format", cs_trace_format_name(t->format));
    cs__jw_kint(&w, "rows", (int64_t)st.rows);
    json_dist(&w, "prefill", &st.prefill);
    json_dist(&w, "decode", &st.decode);
    json_dist(&w, "total", &st.total);
    cs__jw_kint(&w, "max_total_tokens", t->max_total_tokens);
    cs__jw_kbool(&w, "has_arrivals", t->has_arrivals);
    cs__jw_knum(&w, "arrival_span_s", st.arrival_span);
    cs__jw_knum(&w, "mean_qps", st.mean_qps);
    cs__jw_kbool(&w, "arrivals_sorted", st.arrivals_sorted);
    cs__jw_kint(&w, "block_size", t->block_size);
    cs__jw_knum(&w, "hash_coverage", st.hash_coverage);
    cs__jw_knum(&w, "session_coverage", st.session_coverage);
    cs__jw_kint(&w, "sessions", st.sessions);
    cs__jw_knum(&w, "prefix_reuse", st.prefix_reuse);
    if (max_seq) {
      cs__jw_kint(&w, "max_seq_len", max_seq);
      cs__jw_kint(&w, "rows_over_max_seq_len", (int64_t)over);
    }
    cs__jw_obj_end(&w);
    cs__sbuf_addc(&sb, '\n');
    fputs(sb.buf, stdout);
    cs__sbuf_release(&sb);
  } else {
    printf("%-14s %s\n%-14s %s\n%-14s %zu\n", "file", t->path, "format", cs_trace_format_name(t->format), "rows",
           st.rows);
    print_dist("prefill", &st.prefill);
    print_dist("decode", &st.decode);
    print_dist("total tokens", &st.total);
    if (t->has_arrivals && st.arrival_span > 0)
      printf("%-14s span %.3f s, mean %.4g qps%s\n", "arrivals", st.arrival_span, st.mean_qps,
             st.arrivals_sorted ? "" : " (NOT in time order)");
    else if (t->has_arrivals)
      printf("%-14s all at %g s\n", "arrivals", t->rows[0].arrived_at);
    else
      printf("%-14s none (lengths only)\n", "arrivals");
    if (t->has_hashes)
      printf("%-14s %.1f%% of rows (block size %d)\n", "block hashes", 100.0 * st.hash_coverage, t->block_size);
    else
      printf("%-14s none\n", "block hashes");
    if (t->has_sessions)
      printf("%-14s %" PRId64 " sessions covering %.1f%% of rows\n", "sessions", st.sessions,
             100.0 * st.session_coverage);
    else
      printf("%-14s none\n", "sessions");
    if (t->has_hashes)
      printf("%-14s %.1f%% of prompt tokens in blocks seen earlier\n", "prefix reuse", 100.0 * st.prefix_reuse);
    if (max_seq && over)
      printf("%-14s %zu rows exceed %" PRId64 " tokens (first: row %zu)\n", "max_seq_len", over, max_seq, first_over);
    else if (max_seq)
      printf("%-14s every row fits %" PRId64 " tokens\n", "max_seq_len", max_seq);
  }
  cs_trace_free(t);
  return CS_EXIT_OK;
}

/* ---- convert ------------------------------------------------------------------------------- */

static int cmd_convert(int argc, char **argv) {
  static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                       {"format", required_argument, 0, 'f'},
                                       {"max-rows", required_argument, 0, 'n'},
                                       {"block-size", required_argument, 0, 'b'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  cs_trace_opts o = {CS_TRACE_AUTO, 16, 0};
  const char *outp = NULL;
  cs_err err = {0};
  int c;
  int64_t v;
  while ((c = getopt_long(argc, argv, "o:f:n:b:h", opts, NULL)) != -1) {
    switch (c) {
    case 'o': outp = optarg; break;
    case 'f':
      if (cs_trace_format_parse(optarg, &o.format, &err)) return cs__cli_fail(&err);
      break;
    case 'n':
      if (!parse_i64(optarg, &v) || v < 1) return usage_err("convert: --max-rows: expected a positive integer, got '%s'%s", optarg, "");
      o.max_rows = v;
      break;
    case 'b':
      if (!parse_i64(optarg, &v) || v < 1 || v > 4096) return usage_err("convert: --block-size: expected a positive integer, got '%s'%s", optarg, "");
      o.block_size = (int)v;
      break;
    case 'h': fputs(convert_usage, stdout); return CS_EXIT_OK;
    default: return cs__cli_bad_option("trace convert", argc, argv, "o:f:n:b:h", opts);
    }
  }
  if (!outp && optind == argc - 2) outp = argv[argc - 1]; /* `convert IN OUT` also works */
  if (optind != argc - 1 && !(optind == argc - 2 && outp == argv[argc - 1]))
    return usage_err("convert: expected one input file and -o OUT (see --help)%s%s", "", "");
  if (!outp) return usage_err("convert: missing -o OUT.csv%s%s", "", "");
  cs_trace *t = NULL;
  if (cs_trace_load(argv[optind], &o, &t, &err)) return cs__cli_fail(&err);
  char warn[1200];
  if (cs_trace_warning(t, warn, sizeof warn)) fprintf(stderr, "capsearch: warning: %s\n", warn);
  int rc = cs_trace_write_vidur_csv(t, outp, ends_with(outp, ".gz"), &err);
  if (!rc) fprintf(stderr, "capsearch: wrote %zu requests (%s -> vidur) to %s\n", t->n, cs_trace_format_name(t->format), outp);
  cs_trace_free(t);
  return rc ? cs__cli_fail(&err) : CS_EXIT_OK;
}

/* ---- generate ------------------------------------------------------------------------------ */

static bool pick(const char *s, const char *const *names, int n, int *out) {
  for (int i = 0; i < n; i++)
    if (!strcmp(s, names[i])) {
      *out = i;
      return true;
    }
  return false;
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

static int cmd_generate(int argc, char **argv) {
  enum { O_QPS = 256, O_CV, O_UNTRUNC, O_SEED, O_LENGTHS, O_PREFILL, O_DECODE, O_MIN, O_MAX, O_PD, O_THETA, O_SHAPE,
         O_SYSP, O_SYST, O_IN, O_OUT, O_TURNS, O_ACTIVE, O_MAXSEQ, O_BS, O_REQ, O_ARR, O_DUR };
  static const struct option opts[] = {
      {"output", required_argument, 0, 'o'}, {"requests", required_argument, 0, O_REQ},
      {"duration", required_argument, 0, O_DUR},
      {"arrival", required_argument, 0, O_ARR}, {"qps", required_argument, 0, O_QPS},
      {"cv", required_argument, 0, O_CV}, {"poisson-untruncated", no_argument, 0, O_UNTRUNC},
      {"seed", required_argument, 0, O_SEED}, {"lengths", required_argument, 0, O_LENGTHS},
      {"prefill", required_argument, 0, O_PREFILL}, {"decode", required_argument, 0, O_DECODE},
      {"min-tokens", required_argument, 0, O_MIN}, {"max-tokens", required_argument, 0, O_MAX},
      {"pd-ratio", required_argument, 0, O_PD}, {"zipf-theta", required_argument, 0, O_THETA},
      {"shape", required_argument, 0, O_SHAPE}, {"system-prompts", required_argument, 0, O_SYSP},
      {"system-tokens", required_argument, 0, O_SYST}, {"input-tokens", required_argument, 0, O_IN},
      {"output-tokens", required_argument, 0, O_OUT}, {"turns", required_argument, 0, O_TURNS},
      {"active-sessions", required_argument, 0, O_ACTIVE}, {"max-seq-len", required_argument, 0, O_MAXSEQ},
      {"block-size", required_argument, 0, O_BS}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  static const char *const arrivals[] = {"poisson", "gamma", "static", "uniform"};
  static const char *const lengths[] = {"trace", "fixed", "uniform", "zipf"};
  static const char *const shapes[] = {"chat", "agent"};
  cs_trace_synth_spec sy;
  cs_trace_synth_defaults(&sy);
  cs_workload_spec *ws = &sy.arrivals;
  ws->length = CS_LENGTH_UNIFORM;
  const char *outp = NULL;
  int shape = -1, k;
  bool req_set = false;
  /* session flags are applied after the preset, so remember them */
  const char *sysp = NULL, *syst = NULL, *in = NULL, *outr = NULL, *turns = NULL, *active = NULL, *maxseq = NULL;
  const char *bs = NULL;
  int c;
  int64_t v;
  double d;
  while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
    const char *flag = NULL;
    for (const struct option *op = opts; op->name; op++)
      if (op->val == c) flag = op->name;
    switch (c) {
    case 'o': outp = optarg; break;
    case O_REQ:
      if (!parse_i64(optarg, &v) || v < 1) goto bad;
      ws->num_requests = v;
      req_set = true;
      break;
    case O_DUR:
      if (!parse_dbl(optarg, &d) || d <= 0) goto bad;
      ws->duration = d;
      if (!req_set) ws->num_requests = 0; /* the duration alone ends the stream */
      break;
    case O_ARR:
      if (!pick(optarg, arrivals, 4, &k)) goto bad;
      ws->arrival = (cs_arrival_kind)k;
      break;
    case O_QPS:
      if (!parse_dbl(optarg, &d) || d <= 0) goto bad;
      ws->qps = d;
      break;
    case O_CV:
      if (!parse_dbl(optarg, &d) || d <= 0) goto bad;
      ws->cv = d;
      break;
    case O_UNTRUNC: ws->poisson_untruncated = true; break;
    case O_SEED:
      if (!parse_i64(optarg, &v) || v < 0) goto bad;
      ws->seed = (uint64_t)v;
      break;
    case O_LENGTHS:
      if (!pick(optarg, lengths, 4, &k) || k == 0) goto bad;
      ws->length = (cs_length_kind)k;
      break;
    case O_PREFILL:
    case O_DECODE:
    case O_MIN:
    case O_MAX:
      if (!parse_i64(optarg, &v) || v < 1 || v > INT32_MAX) goto bad;
      *(c == O_PREFILL ? &ws->fixed_prefill : c == O_DECODE ? &ws->fixed_decode : c == O_MIN ? &ws->min_tokens
                                                                                               : &ws->max_tokens) = (int32_t)v;
      break;
    case O_PD:
    case O_THETA:
      if (!parse_dbl(optarg, &d) || d <= 0) goto bad;
      *(c == O_PD ? &ws->pd_ratio : &ws->zipf_theta) = d;
      break;
    case O_SHAPE:
      if (!pick(optarg, shapes, 2, &shape)) goto bad;
      break;
    case O_SYSP: sysp = optarg; break;
    case O_SYST: syst = optarg; break;
    case O_IN: in = optarg; break;
    case O_OUT: outr = optarg; break;
    case O_TURNS: turns = optarg; break;
    case O_ACTIVE: active = optarg; break;
    case O_MAXSEQ: maxseq = optarg; break;
    case O_BS: bs = optarg; break;
    case 'h': fputs(generate_usage, stdout); return CS_EXIT_OK;
    default: return cs__cli_bad_option("trace generate", argc, argv, "o:h", opts);
    }
    continue;
  bad:
    return usage_err("generate: invalid value '%s' for --%s (see --help)", optarg, flag ? flag : "?");
  }
  if (optind != argc) return usage_err("generate: unexpected argument '%s'%s", argv[optind], "");
  if (!outp) return usage_err("generate: missing -o OUT.csv%s%s", "", "");
  bool sessions = shape >= 0 || sysp || syst || in || outr || turns || active;
  if (sessions) {
    preset(&sy, shape == 1);
    if (sysp && (!parse_i64(sysp, &v) || v < 0 || v > 100000)) return usage_err("generate: invalid value '%s' for --%s", sysp, "system-prompts");
    if (sysp) sy.system_prompts = (int32_t)v;
    if (syst && !parse_range(syst, &sy.system_min, &sy.system_max)) return usage_err("generate: invalid value '%s' for --%s (expected MIN:MAX)", syst, "system-tokens");
    if (in && !parse_range(in, &sy.input_min, &sy.input_max)) return usage_err("generate: invalid value '%s' for --%s (expected MIN:MAX)", in, "input-tokens");
    if (outr && !parse_range(outr, &sy.output_min, &sy.output_max)) return usage_err("generate: invalid value '%s' for --%s (expected MIN:MAX)", outr, "output-tokens");
    if (turns && (!parse_dbl(turns, &sy.mean_turns) || sy.mean_turns < 1)) return usage_err("generate: invalid value '%s' for --%s (expected >= 1)", turns, "turns");
    if (active && (!parse_i64(active, &v) || v < 1 || v > 1000000)) return usage_err("generate: invalid value '%s' for --%s", active, "active-sessions");
    if (active) sy.active_sessions = (int32_t)v;
  }
  if (maxseq && (!parse_i64(maxseq, &v) || v < 1)) return usage_err("generate: invalid value '%s' for --%s", maxseq, "max-seq-len");
  if (maxseq) sy.max_seq_len = ws->max_seq_len = v;
  if (bs && (!parse_i64(bs, &v) || v < 1 || v > 4096)) return usage_err("generate: invalid value '%s' for --%s", bs, "block-size");
  if (bs) sy.block_size = (int)v;
  cs_err err = {0};
  cs_trace *t = NULL;
  int rc = sessions ? cs_trace_synth(&sy, &t, &err) : cs_trace_from_workload(ws, &t, &err);
  if (!rc) rc = cs_trace_write_vidur_csv(t, outp, ends_with(outp, ".gz"), &err);
  if (!rc) fprintf(stderr, "capsearch: wrote %zu requests to %s\n", t->n, outp);
  cs_trace_free(t);
  return rc ? cs__cli_fail(&err) : CS_EXIT_OK;
}

int cs__cmd_trace(int argc, char **argv) {
  static const char *const subs[] = {"info", "convert", "generate"};
  if (argc < 2) {
    fputs(trace_usage, stderr);
    return CS_EXIT_USAGE;
  }
  const char *sub = argv[1];
  if (!strcmp(sub, "-h") || !strcmp(sub, "--help") || !strcmp(sub, "help")) {
    fputs(trace_usage, stdout);
    return CS_EXIT_OK;
  }
  optind = 1; /* each subcommand parses its own options */
  opterr = 0;
  if (!strcmp(sub, "info")) return cmd_info(argc - 1, argv + 1);
  if (!strcmp(sub, "convert")) return cmd_convert(argc - 1, argv + 1);
  if (!strcmp(sub, "generate")) return cmd_generate(argc - 1, argv + 1);
  const char *sug = cs__suggest(sub, subs, 3);
  if (sug) return usage_err("unknown subcommand '%s' (did you mean '%s'?)", sub, sug);
  return usage_err("unknown subcommand '%s'%s (expected info, convert or generate)", sub, "");
}
