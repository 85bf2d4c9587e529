/* capsearch trace: inspect, convert and generate request traces.
 *   trace info FILE            summary: rows, lengths, arrivals, hashes, sessions, prefix reuse
 *   trace convert IN -o OUT    any supported format -> Vidur CSV (gzip when OUT ends in .gz)
 *   trace generate -o OUT      synthetic traces (plain lengths, or chat/agent sessions;
 *                              cmd_trace_generate.c) */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsearch/trace.h"
#include "capsearch/util.h"

#include "cmd_trace.h"
#include "commands.h"

static const char trace_usage[] =
    "usage: capsearch trace <info|convert|generate> [options]   (--help on each)\n\n"
    "  info FILE              rows, format, length percentiles, arrivals, hash/session coverage,\n"
    "                         prefix reuse of a trace\n"
    "  convert IN -o OUT      any trace format -> Vidur CSV (.gz to compress)\n"
    "  generate -o OUT ...    synthetic trace (Poisson/gamma/static/uniform arrivals; fixed, uniform,\n"
    "                         zipf lengths; or multi-turn chat/agent sessions with block hashes)\n\n"
    "Formats (detected from the name and content, or --format; any input may be gzip-compressed):\n";

/* The usage text, with the formats of the registry. */
static void trace_usage_print(FILE *f) {
  fputs(trace_usage, f);
  for (int k = 1; k < CS_TRACE_FORMAT_COUNT; k++)
    fprintf(f, "  %-10s %s: %s\n", cs_trace_format_name((cs_trace_format)k), cs_trace_format_label((cs_trace_format)k),
            cs_trace_format_entry((cs_trace_format)k)->summary);
}

static int usage_err(const char *fmt, const char *a, const char *b) {
  fprintf(stderr, "capsearch: trace ");
  fprintf(stderr, fmt, a, b);
  fprintf(stderr, "\n");
  return CS_EXIT_USAGE;
}

bool cs__trace_ends_with(const char *s, const char *suf) {
  size_t a = strlen(s), b = strlen(suf);
  return a >= b && !strcmp(s + a - b, suf);
}

int cs__trace_format_arg(void *obj, const cs_opt *o, const char *text, cs_err *err) {
  return cs_trace_format_parse(text, (cs_trace_format *)((char *)obj + o->off), err);
}

/* ---- info ---------------------------------------------------------------------------------- */

typedef struct info_args {
  cs_trace_opts o;
  bool json;
  int64_t max_seq;
} info_args;

#define FORMAT_OPT(T)                                                                                          \
  {CS_OPT_FN, "format", 'f', .arg = CS_TRACE_FORMAT_CHOICES, .help = "the input's format (detected by default)", \
   CS_OPT_FIELD(T, o.format), .fn = cs__trace_format_arg}
#define BLOCK_OPT(T, help_text)                                                                              \
  {CS_OPT_INT, "block-size", 'b', .arg = "B", .help = help_text, CS_OPT_FIELD(T, o.block_size),              \
   .range = {1, 4096, false, true}}

static const cs_opt info_opts[] = {
    FORMAT_OPT(info_args),
    BLOCK_OPT(info_args, "block size of the hash ids"),
    {CS_OPT_INT, "max-seq-len", 'm', .help = "also count the requests longer than N tokens", CS_OPT_FIELD(info_args, max_seq),
     .range = {1, 1e15, false, true}},
    {CS_OPT_FLAG, "json", 'j', .help = "the same as a JSON object", CS_OPT_FIELD(info_args, json)},
    {CS_OPT_HELP, "help", 'h', .help = "this text"},
    {CS_OPT_END}};

static const cs_opt_cmd info_cmd = {
    "trace info", "capsearch trace info FILE [options]",
    "Prints the number of rows, the format, prefill/decode/total token percentiles, the arrival span\n"
    "and mean QPS, which share of the prompts' full blocks has block hashes (and how many rows\n"
    "lack some), which share of rows has session ids, and the prefix reuse\n"
    "ratio (share of prompt tokens in blocks an earlier request already had: the hit rate of an\n"
    "unlimited prefix cache). --max-seq-len N also counts the requests longer than N tokens (a\n"
    "sweep with that max_seq_len rejects the trace).",
    info_opts, NULL, 0, 1};

static void print_dist(const char *name, const cs_trace_dist *d) {
  printf("%-14s mean %.1f  p50 %.0f  p90 %.0f  p99 %.0f  min %" PRId64 "  max %" PRId64 "\n", name, d->mean, d->p50,
         d->p90, d->p99, d->min, d->max);
}

static void json_dist(cs_jw *w, const char *key, const cs_trace_dist *d) {
  cs_jw_key(w, key);
  cs_jw_obj_begin(w);
  cs_jw_knum(w, "mean", d->mean);
  const char *names[3] = {"p50", "p90", "p99"};
  const double vals[3] = {d->p50, d->p90, d->p99};
  for (int i = 0; i < 3; i++) { /* whole token counts print as integers ("1020", not "1.02e+03") */
    if (vals[i] == floor(vals[i]) && fabs(vals[i]) < 9e15)
      cs_jw_kint(w, names[i], (int64_t)vals[i]);
    else
      cs_jw_knum(w, names[i], vals[i]);
  }
  cs_jw_kint(w, "min", d->min);
  cs_jw_kint(w, "max", d->max);
  cs_jw_obj_end(w);
}

static int info_json(const cs_trace *t, const cs_trace_stats *st, const info_args *a, size_t over, cs_err *err) {
  int64_t max_seq = a->max_seq;
  cs_sbuf sb;
  cs_sbuf_init(&sb);
  cs_jw w;
  cs_jw_init(&w, &sb, false);
  cs_jw_obj_begin(&w);
  cs_jw_kstr(&w, "file", t->path);
  cs_jw_kstr(&w, "format", cs_trace_format_name(t->format));
  cs_jw_kint(&w, "rows", (int64_t)st->rows);
  json_dist(&w, "prefill", &st->prefill);
  json_dist(&w, "decode", &st->decode);
  json_dist(&w, "total", &st->total);
  cs_jw_kint(&w, "max_total_tokens", t->max_total_tokens);
  cs_jw_kbool(&w, "has_arrivals", t->has_arrivals);
  cs_jw_knum(&w, "arrival_span_s", st->arrival_span);
  cs_jw_knum(&w, "mean_qps", st->mean_qps);
  cs_jw_kbool(&w, "arrivals_sorted", st->arrivals_sorted);
  cs_jw_kint(&w, "block_size", t->block_size);
  cs_jw_knum(&w, "hash_coverage", st->hash_coverage);
  cs_jw_kint(&w, "hash_blocks", st->hash_blocks);
  cs_jw_kint(&w, "prompt_blocks", st->prompt_blocks);
  cs_jw_kint(&w, "hash_short_rows", (int64_t)st->hash_short_rows);
  cs_jw_knum(&w, "session_coverage", st->session_coverage);
  cs_jw_kint(&w, "sessions", st->sessions);
  cs_jw_knum(&w, "prefix_reuse", st->prefix_reuse);
  if (max_seq) {
    cs_jw_kint(&w, "max_seq_len", max_seq);
    cs_jw_kint(&w, "rows_over_max_seq_len", (int64_t)over);
  }
  cs_jw_obj_end(&w);
  int rc = cs__cli_put_json(&w, &sb, stdout, "the JSON of trace info", err);
  cs_sbuf_release(&sb);
  return rc;
}

static void info_text(const cs_trace *t, const cs_trace_stats *st, const info_args *a, size_t over, size_t first_over) {
  int64_t max_seq = a->max_seq;
  printf("%-14s %s\n%-14s %s\n%-14s %zu\n", "file", t->path, "format", cs_trace_format_name(t->format), "rows",
         st->rows);
  print_dist("prefill", &st->prefill);
  print_dist("decode", &st->decode);
  print_dist("total tokens", &st->total);
  if (t->has_arrivals && st->arrival_span > 0)
    printf("%-14s span %.3f s, mean %.4g qps%s\n", "arrivals", st->arrival_span, st->mean_qps,
           st->arrivals_sorted ? "" : " (NOT in time order)");
  else if (t->has_arrivals)
    printf("%-14s all at %g s\n", "arrivals", t->rows[0].arrived_at);
  else
    printf("%-14s none (lengths only)\n", "arrivals");
  if (t->has_hashes && st->prompt_blocks)
    printf("%-14s %.1f%% of prompt blocks (%" PRId64 " of %" PRId64 ", block size %d), %zu of %zu rows short\n",
           "block hashes", 100.0 * st->hash_coverage, st->hash_blocks, st->prompt_blocks, t->block_size,
           st->hash_short_rows, st->rows);
  else if (t->has_hashes)
    printf("%-14s no prompt is a full block long (block size %d)\n", "block hashes", t->block_size);
  else
    printf("%-14s none\n", "block hashes");
  if (t->has_sessions)
    printf("%-14s %" PRId64 " sessions covering %.1f%% of rows\n", "sessions", st->sessions,
           100.0 * st->session_coverage);
  else
    printf("%-14s none\n", "sessions");
  if (t->has_hashes)
    printf("%-14s %.1f%% of prompt tokens in blocks seen earlier\n", "prefix reuse", 100.0 * st->prefix_reuse);
  if (max_seq && over)
    printf("%-14s %zu rows exceed %" PRId64 " tokens (first: row %zu)\n", "max_seq_len", over, max_seq, first_over);
  else if (max_seq)
    printf("%-14s every row fits %" PRId64 " tokens\n", "max_seq_len", max_seq);
}

static int cmd_info(int argc, char **argv) {
  info_args a = {{CS_TRACE_AUTO, 16, 0}, false, 0};
  info_args defaults = a;
  const char *pos[2];
  int np = 0;
  int rc = cs__cli_parse(&info_cmd, argc, argv, &a, &defaults, pos, &np);
  if (rc >= 0) return rc;
  if (np != 1) return usage_err("info: expected exactly one trace FILE (see --help)%s%s", "", "");
  cs_err err = {0};
  cs_trace *t = NULL;
  if (cs_trace_load(pos[0], &a.o, &t, &err)) return cs__cli_fail(&err);
  char warn[1200];
  if (cs_trace_warning(t, warn, sizeof warn)) fprintf(stderr, "capsearch: warning: %s\n", warn);
  cs_trace_stats st;
  cs_trace_stats_compute(t, &st);
  size_t over = 0, first_over = 0;
  for (size_t i = 0; a.max_seq && i < t->n; i++)
    if ((int64_t)t->rows[i].prefill + t->rows[i].decode > a.max_seq && !over++) first_over = i + 1;
  rc = 0;
  if (a.json) rc = info_json(t, &st, &a, over, &err);
  else info_text(t, &st, &a, over, first_over);
  cs_trace_free(t);
  return rc ? cs__cli_fail(&err) : CS_EXIT_OK;
}

/* ---- convert ------------------------------------------------------------------------------- */

typedef struct convert_args {
  cs_trace_opts o;
  const char *out;
} convert_args;

static const cs_opt convert_opts[] = {
    {CS_OPT_STR, "output", 'o', .arg = "OUT", .help = "the Vidur CSV to write (.gz to compress)",
     CS_OPT_FIELD(convert_args, out)},
    FORMAT_OPT(convert_args),
    {CS_OPT_INT, "max-rows", 'n', .help = "only the first N requests", CS_OPT_FIELD(convert_args, o.max_rows),
     .range = {1, 1e15, false, true}},
    BLOCK_OPT(convert_args, "block size of the output's hash ids"),
    {CS_OPT_HELP, "help", 'h', .help = "this text"},
    {CS_OPT_END}};

static const cs_opt_cmd convert_cmd = {
    "trace convert", "capsearch trace convert IN [-o] OUT.csv[.gz] [options]",
    "Writes IN as a Vidur CSV: arrived_at, num_prefill_tokens, num_decode_tokens and, when the\n"
    "input has them, block_hash_ids, block_size, session_id. Mooncake's 512-token hash ids become\n"
    "B-token ids (default 16) and sessions come from shared prefix chains (docs/traces.md).\n"
    "The output is written atomically; a name ending in .gz is gzip-compressed.",
    convert_opts, NULL, 0, 2};

static int cmd_convert(int argc, char **argv) {
  convert_args a = {{CS_TRACE_AUTO, 16, 0}, NULL};
  convert_args defaults = a;
  const char *pos[3];
  int np = 0;
  int rc = cs__cli_parse(&convert_cmd, argc, argv, &a, &defaults, pos, &np);
  if (rc >= 0) return rc;
  const char *outp = a.out;
  if (!outp && np == 2) outp = pos[1]; /* `convert IN OUT` also works */
  if (np != 1 && !(np == 2 && outp == pos[1]))
    return usage_err("convert: expected one input file and -o OUT (see --help)%s%s", "", "");
  if (!outp) return usage_err("convert: missing -o OUT.csv%s%s", "", "");
  cs_err err = {0};
  cs_trace *t = NULL;
  if (cs_trace_load(pos[0], &a.o, &t, &err)) return cs__cli_fail(&err);
  char warn[1200];
  if (cs_trace_warning(t, warn, sizeof warn)) fprintf(stderr, "capsearch: warning: %s\n", warn);
  bool existed = cs_path_exists(outp); /* replaced atomically, but never silently */
  rc = cs_trace_write_vidur_csv(t, outp, cs__trace_ends_with(outp, ".gz"), &err);
  if (!rc)
    fprintf(stderr, "capsearch: wrote %zu requests (%s -> vidur) to %s%s\n", t->n, cs_trace_format_name(t->format), outp,
            existed ? " (replaced the existing file)" : "");
  cs_trace_free(t);
  return rc ? cs__cli_fail(&err) : CS_EXIT_OK;
}

int cs__cmd_trace(int argc, char **argv) {
  static const char *const subs[] = {"info", "convert", "generate"};
  if (argc < 2) {
    trace_usage_print(stderr);
    return CS_EXIT_USAGE;
  }
  const char *sub = argv[1];
  if (!strcmp(sub, "-h") || !strcmp(sub, "--help") || !strcmp(sub, "help")) {
    trace_usage_print(stdout);
    return CS_EXIT_OK;
  }
  if (!strcmp(sub, "info")) return cmd_info(argc - 1, argv + 1);
  if (!strcmp(sub, "convert")) return cmd_convert(argc - 1, argv + 1);
  if (!strcmp(sub, "generate")) return cs__trace_cmd_generate(argc - 1, argv + 1);
  const char *sug = cs_suggest(sub, subs, 3);
  if (sug) return usage_err("unknown subcommand '%s' (did you mean '%s'?)", sub, sug);
  return usage_err("unknown subcommand '%s'%s (expected info, convert or generate)", sub, "");
}
