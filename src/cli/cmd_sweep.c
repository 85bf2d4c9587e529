/* capsearch --config sweep.yml --output-dir out [--time-limit MIN] ...: the main job, a
 * parallel, resumable capacity search over a sweep (SPEC §2-§4, §9-§10; docs/sweep.md).
 * Exit codes: 0 ok, 1 some job failed, 2 usage or config error, 130 interrupted. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capsearch/opt.h"
#include "capsearch/run.h"
#include "capsearch/util.h"

#include "cmd_sweep.h"
#include "commands.h"

#ifndef CS_VERSION
#define CS_VERSION "0.0.0"
#endif

/* The one piece of mutable process state: a signal handler may only set a flag. */
static volatile sig_atomic_t stop_flag;

static void on_signal(int sig) {
  stop_flag = 1;
  signal(sig, SIG_DFL); /* a second Ctrl-C ends the process at once (committed work survives) */
}

static const char *const keep_names[] = {"all", "answers", "none", NULL};
static const int keep_values[] = {CS_KEEP_ALL, CS_KEEP_ANSWERS, CS_KEEP_NONE};

typedef struct sweep_args {
  cs_run_opts o;
  const char *config_dir;
} sweep_args;

/* --shard i/N, both through the checked parser: no sscanf overflow */
static int shard_arg(void *obj, const cs_opt *opt, const char *text, cs_err *err) {
  (void)opt;
  static const cs_opt n_opt = {CS_OPT_INT, "N", CS_OPT_FIELD(sweep_args, o.shard_n), .range = {1, 1 << 20, false, true}};
  cs_opt i_opt = {CS_OPT_INT, "i", CS_OPT_FIELD(sweep_args, o.shard_i), .range = {0, 0, false, true}};
  char part[64];
  const char *slash = strchr(text, '/');
  if (!slash || (size_t)(slash - text) >= sizeof part) return cs_err_set(err, CS_EUSAGE, "expected i/N with 0 <= i < N, got '%s'", text);
  memcpy(part, text, (size_t)(slash - text));
  part[slash - text] = '\0';
  int rc = cs_opt_set(&n_opt, obj, slash + 1, "N", err);
  if (rc) return rc;
  i_opt.range.max = ((sweep_args *)obj)->o.shard_n - 1;
  return cs_opt_set(&i_opt, obj, part, "i", err);
}

#define F(f) CS_OPT_FIELD(sweep_args, o.f)
static const cs_opt sweep_opts[] = {
    {CS_OPT_STR, "config", .arg = "FILE", .help = "the sweep (Vidur config-explorer YAML; docs/sweep.md)", F(config_path),
     .expect = "a sweep file"},
    {CS_OPT_STR, "config-path", .arg = "FILE", .help = "the same as --config (Vidur's name)", F(config_path),
     .expect = "a sweep file"},
    {CS_OPT_STR, "output-dir", .arg = "DIR", .help = "where runs/, results.csv, args.json, config.json go", F(out_dir),
     .expect = "a directory path"},
    {CS_OPT_NUM, "time-limit", .arg = "MIN", .help = "simulated time per simulation (30s, 2h: other units;\n0 = no limit: each simulation runs until its requests finish)",
     F(time_limit_s), .range = {0, 1e9, false, false}, .unit = &cs_opt_unit_minutes},
    {CS_OPT_STR, "cache-dir", .arg = "DIR", .help = "predictor table cache shared by all simulations", F(cache_dir)},
    {CS_OPT_INT, "num-threads", 'j', .help = "parallel jobs (default: all cores)", F(threads),
     .range = {1, 1 << 20, false, true}},
    {CS_OPT_INT, "max-iterations", .help = "probes per search", F(max_iterations), .range = {1, 100000, false, true}},
    {CS_OPT_NUM, "min-search-granularity", .arg = "PCT", .help = "stop bisecting below this bracket width",
     F(granularity_pct), .range = {0, 100, true, false}, .max_open = true, .expect = "a percentage in (0, 100)"},
    {CS_OPT_NUM, "min-qps", .arg = "Q", .help = "give up a qps search below this", F(min_qps), .range = {0, 1e9, false, false}},
    {CS_OPT_INT, "seed", .arg = "S", .help = "workload seed (default: the sweep's, else 42)", F(seed),
     .range = {0, 9007199254740992.0, false, true}, CS_OPT_SETS(sweep_args, o.has_seed)},
    {CS_OPT_FLAG, "dry-run", .help = "print the job table and exit", F(dry_run)},
    {CS_OPT_FLAG, "compress", .help = "write request_metrics.csv.gz", F(compress)},
    {CS_OPT_FLAG, "force", .help = "reuse an output dir that holds another sweep", F(force)},
    {CS_OPT_FLAG, "wait", .help = "wait for another run writing the output dir to end\n(default: refuse at once, naming it)",
     F(wait)},
    {CS_OPT_INT, "max-jobs", .help = "refuse a sweep of more jobs", F(max_jobs), .range = {1, 1e9, false, true}},
    {CS_OPT_INT, "max-requests", .help = "refuse a search of more requests", F(max_requests),
     .range = {1, 1e12, false, true}},
    {CS_OPT_NUM, "wall-budget", .arg = "SECONDS", .help = "start no new simulation after this much wall time",
     F(wall_budget_s), .range = {0, 1e9, true, false}, .unit = &cs_opt_unit_seconds},
    {CS_OPT_ENUM, "keep-runs", .arg = "all|answers|none",
     .help = "run directories kept: every probe's, only those that decided\neach answer, or none (probe.json stays)",
     F(keep_runs), .choices = keep_names, .values = keep_values, .noun = "keep-runs policy"},
    {CS_OPT_FLAG, "full-probes", .help = "simulate every probe to the end (Vidur's behaviour); by default\n"
                                         "a probe stops once its SLO verdict is a certain fail", F(full_probes)},
    {CS_OPT_FN, "shard", .arg = "i/N", .help = "run only shard i (0-based) of N; a final run without --shard\n"
                                                "assembles results.csv", .fn = shard_arg},
    {CS_OPT_STR, "config-dir", .arg = "DIR", .help = "model/device/network catalogs (default: configs/)",
     CS_OPT_FIELD(sweep_args, config_dir)},
    {CS_OPT_HELP, "help", 'h', .help = "this text"},
    {CS_OPT_END}};
#undef F

static const cs_opt_cmd sweep_cmd = {
    "sweep", "capsearch --config sweep.yml --output-dir DIR [options]",
    "Runs one capacity search per job of the sweep; running the same command again resumes.", sweep_opts, NULL, 0, 0};

static void usage(FILE *f) {
  sweep_args d;
  cs_run_opts_defaults(&d.o);
  d.config_dir = NULL;
  char *help = cs_opt_help_text(&sweep_cmd, &d);
  if (help) fputs(help, f);
  free(help);
}

static void fmt_dur(double s, char *buf, size_t n) {
  long t = (long)(s + 0.5);
  if (t >= 3600) snprintf(buf, n, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  else if (t >= 60) snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
  else snprintf(buf, n, "%lds", t);
}

typedef struct progress_ctx {
  bool tty;
} progress_ctx;

/* One write per line so lines never interleave; on a terminal one line that updates. The
 * estimate says its basis: probes left at most, how many probes it was learned from, threads. */
static void on_progress(void *vctx, const cs_progress *p) {
  progress_ctx *ctx = vctx;
  char el[32], eta[128], line[400];
  fmt_dur(p->elapsed_s, el, sizeof el);
  if (p->stopping) {
    snprintf(eta, sizeof eta, "stopping: running probes finish, no new ones (no ETA)");
  } else if (p->final) {
    snprintf(eta, sizeof eta, "done");
  } else if (p->eta_s >= 0 && p->probes_timed <= 0) {
    char d[32];
    fmt_dur(p->eta_s, d, sizeof d);
    snprintf(eta, sizeof eta, "ETA %s (from the estimated cost of the jobs left)", d);
  } else if (p->eta_s >= 0) {
    char d[32];
    fmt_dur(p->eta_s, d, sizeof d);
    snprintf(eta, sizeof eta, "ETA %s (<= %lld probes left, cost learned from %lld probes, %d thread%s)", d,
             (long long)p->probes_left, (long long)p->probes_timed, p->parallel, p->parallel == 1 ? "" : "s");
  } else {
    snprintf(eta, sizeof eta, "ETA ? (<= %lld probes left; none timed yet)", (long long)p->probes_left);
  }
  int n = snprintf(line, sizeof line, "%sjobs %zu/%zu, probes %lld run + %lld reused, %zu failed, %s elapsed, %s%s",
                   ctx->tty ? "\r\033[K" : "capsearch: ", p->jobs_done, p->jobs_total, (long long)p->probes_run,
                   (long long)p->probes_reused, p->jobs_failed, el, eta, ctx->tty && !p->final ? "" : "\n");
  if (n > 0) {
    ssize_t w = write(STDERR_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    (void)w;
  }
}

/* A wait for another process (--wait, or a job an overlapping --shard run holds), one write. */
static void on_waiting(void *vctx, const char *what) {
  progress_ctx *ctx = vctx;
  char line[1300];
  int n = snprintf(line, sizeof line, "%scapsearch: waiting: %s; Ctrl-C stops\n", ctx->tty ? "\r\033[K" : "", what);
  if (n > 0) {
    ssize_t w = write(STDERR_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    (void)w;
  }
}

/* A failed job and why, on every kind of run (a --shard run writes no results.csv to read it
 * from): one write, after the progress line. */
static void on_job_failed(void *vctx, const cs_sweep_job *j, const char *reason) {
  progress_ctx *ctx = vctx;
  char line[1400];
  int n = snprintf(line, sizeof line, "%scapsearch: job %zu (%s) failed: %s\n", ctx->tty ? "\r\033[K" : "", j->index,
                   j->hash, reason && *reason ? reason : "no reason recorded");
  if (n <= 0) return;
  size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
  line[len - 1] = '\n'; /* a reason cut short still ends its line */
  ssize_t w = write(STDERR_FILENO, line, len);
  (void)w;
}

/* A --time-limit shorter than a search's arrivals (num_requests / its start QPS) cuts every
 * probe: the requests arriving after it never finish and count as violating, so the search
 * would end blaming the SLO. One line per search config, for --dry-run and the run alike. */
static void warn_time_limit(const cs_sweep *s, const cs_run_opts *o) {
  if (!(o->time_limit_s > 0)) return; /* 0: no limit */
  for (size_t i = 0; i < s->nsearches; i++) {
    const cs_sweep_search *sc = &s->searches[i];
    double q = sc->qps.v, n = sc->num_requests.v;
    if (!(q > 0) || !(n > 0) || n / q <= o->time_limit_s) continue;
    fprintf(stderr,
            "capsearch: warning: --time-limit (%.6g s simulated) is shorter than the arrivals of search_configs[%zu] "
            "(%s on %s): %.0f requests at its QPS %g arrive over about %.6g s, so the limit cuts each probe and its "
            "unfinished requests count as violating the SLO; raise --time-limit (0 = no limit)\n",
            o->time_limit_s, i, sc->model, sc->trace, n, q, n / q);
  }
}

/* The sweep's notes before it runs: a V0 file's translation, each trace's warning, a time limit
 * shorter than the arrivals. */
static void print_notes(const cs_plan *plan, const cs_run_opts *o) {
  const cs_sweep *s = cs_plan_sweep(plan);
  warn_time_limit(s, o);
  if (s->from_v0)
    fprintf(stderr,
            "capsearch: note: %s was translated from Vidur's V0 explorer schema: %zu jobs, replicas = num_gpus / "
            "(tp * pp), SLO P99 request_scheduling_delay <= 5 s, router round_robin (docs/sweep.md)\n",
            o->config_path, cs_plan_jobs(plan)->n);
  for (size_t i = 0; i < s->ntraces; i++) { /* one line per trace that has one */
    char w[1200];
    if (cs_trace_warning(cs_plan_trace(plan, i), w, sizeof w)) fprintf(stderr, "capsearch: warning: %s\n", w);
  }
}

static void print_summary(const cs_run_opts *o, const cs_run_summary *sum) {
  char bounds[96] = "";
  if (sum->bounds)
    snprintf(bounds, sizeof bounds, " (%zu only a bound: the limit was not found; see results.csv answer_kind)",
             sum->bounds);
  if (sum->probes_wasted)
    fprintf(stderr,
            "capsearch: %lld speculative probes (run on threads the last jobs left idle) were not needed\n",
            (long long)sum->probes_wasted);
  if (sum->probes_shared)
    fprintf(stderr, "capsearch: %lld probes taken from a sibling's simulation (same job but for the SLO)\n",
            (long long)sum->probes_shared);
  if (sum->probes_pruned) /* a rerun with a stricter --keep-runs removes what earlier runs kept */
    fprintf(stderr,
            "capsearch: --keep-runs %s: removed the run files (<timestamp>/ directories) of %lld probes; their "
            "probe.json and output.log stay, so verdicts and results.csv are unchanged\n",
            o->keep_runs == CS_KEEP_NONE ? "none" : "answers", (long long)sum->probes_pruned);
  if (sum->jobs_other)
    fprintf(stderr,
            "capsearch: note: runs/ keeps %zu job directories of another sweep (an earlier one replaced with "
            "--force); they are left as they are, and analyze does not count them\n",
            sum->jobs_other);
  if (sum->probes_redone)
    fprintf(stderr,
            "capsearch: %lld committed probes were damaged or decided by other inputs and were simulated again "
            "(the reasons are in their output.log)\n",
            (long long)sum->probes_redone);
  fprintf(stderr,
          "capsearch: %zu jobs: %zu ok%s, %zu no_pass, %zu infeasible, %zu failed, %zu pending; %lld probes simulated, "
          "%lld reused; %.1f s\ncapsearch: results in %s/results.csv%s\n",
          sum->jobs, sum->ok, bounds, sum->no_pass, sum->infeasible, sum->failed, sum->pending,
          (long long)sum->probes_run, (long long)sum->probes_reused, sum->wall_s, o->out_dir,
          o->shard_n > 1 ? " (after a final run without --shard)" : "");
}

/* Runs the loaded plan with progress on stderr and Ctrl-C handling, then writes args.json and
 * output.log; returns the exit code. */
static int run_plan(cs_plan *plan, cs_run_opts *o) {
  cs_err err = {0};
  char *aj = cs_run_args_json(o, CS_VERSION, -1);
  o->args_json = aj;
  o->stop = &stop_flag;
  progress_ctx pctx = {isatty(STDERR_FILENO) == 1};
  o->progress = on_progress;
  o->progress_ctx = &pctx;
  o->waiting = on_waiting;
  o->job_failed = on_job_failed;
  o->progress_interval_s = pctx.tty ? 0.5 : 10;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  cs_run_summary sum;
  int rc;
#ifdef CS_HAVE_MPI
  /* under mpirun the ranks share the jobs (docs/scaling.md); rank 0 reports for all of them */
  bool mpi_root = true;
  rc = cs_run_mpi_launched() ? cs_plan_run_mpi(plan, o, &sum, &mpi_root, &err) : cs_plan_run(plan, o, &sum, &err);
  if (!mpi_root) {
    free(aj);
    return CS_EXIT_OK;
  }
#else
  rc = cs_plan_run(plan, o, &sum, &err);
#endif
  free(aj);
  if (rc && (rc != CS_EINTR || sum.untouched)) return cs__cli_fail(&err);
  cs_run_write_record(o, CS_VERSION, &sum);
  print_summary(o, &sum);
  if (rc == CS_EINTR) return cs__cli_fail(&err);
  return sum.failed ? CS_EXIT_FAIL : CS_EXIT_OK;
}

int cs__cmd_sweep(int argc, char **argv) {
  sweep_args a;
  cs_run_opts_defaults(&a.o);
  a.config_dir = NULL;
  cs_run_opts *o = &a.o;
  cs_err err = {0};
  int rc = cs_opt_parse(&sweep_cmd, argc, argv, &a, NULL, NULL, &err);
  if (rc == CS_OPT_HELP_ASKED) {
    usage(stdout);
    return CS_EXIT_OK;
  }
  if (rc) return cs__cli_fail(&err);
  if (!o->config_path || (!o->out_dir && !o->dry_run)) {
    fprintf(stderr, "capsearch: %s is required\n", !o->config_path ? "--config" : "--output-dir");
    usage(stderr);
    return CS_EXIT_USAGE;
  }
  cs__cli_path catalog_dir = cs__cli_catalog_dir(a.config_dir);
  o->catalog_dir = catalog_dir.s;
  cs_plan *plan;
  if ((rc = cs_plan_load(o, &plan, &err))) return cs__cli_fail(&err);
  print_notes(plan, o);
  if (o->dry_run) cs__print_sweep_plan(stdout, plan, o);
  rc = o->dry_run ? CS_EXIT_OK : run_plan(plan, o);
  cs_plan_free(plan);
  return rc;
}
