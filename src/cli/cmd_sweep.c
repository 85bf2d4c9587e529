/* capsearch --config sweep.yml --output-dir out [--time-limit MIN] ...: the main job, a
 * parallel, resumable capacity search over a sweep (SPEC §2-§4, §9-§10; docs/sweep.md).
 * Exit codes: 0 ok, 1 some job failed, 2 usage or config error, 130 interrupted. */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd_sweep.h"
#include "cli/commands.h"
#include "runner/runner.h"
#ifdef CS_HAVE_MPI
#include "runner/mpi/mpi_runner.h"
#endif
#include "store/store.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/sbuf.h"
#include "util/text.h"

#ifndef CS_VERSION
#define CS_VERSION "0.0.0"
#endif

/* The one piece of mutable process state: a signal handler may only set a flag. */
static volatile sig_atomic_t stop_flag;

static void on_signal(int sig) {
  stop_flag = 1;
  signal(sig, SIG_DFL); /* a second Ctrl-C ends the process at once (committed work survives) */
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: capsearch --config sweep.yml --output-dir DIR [options]\n"
          "Runs one capacity search per job of the sweep; running the same command again resumes.\n\n"
          "  --config FILE                 the sweep (Vidur config-explorer YAML; docs/sweep.md)\n"
          "  --output-dir DIR              where runs/, results.csv, args.json, config.json go\n"
          "  --time-limit MIN              simulated minutes per simulation (default 180)\n"
          "  --cache-dir DIR               predictor table cache shared by all simulations\n"
          "  -j, --num-threads N           parallel jobs (default: all cores)\n"
          "  --max-iterations N            probes per search (default 10)\n"
          "  --min-search-granularity PCT  stop bisecting below this bracket width (default 1)\n"
          "  --min-qps Q                   give up a qps search below this (default 0.1)\n"
          "  --seed S                      workload seed (default: the sweep's, else 42)\n"
          "  --dry-run                     print the job table and exit\n"
          "  --compress                    write request_metrics.csv.gz\n"
          "  --force                       reuse an output dir that holds another sweep\n"
          "  --wait                        wait for another run writing the output dir to end\n"
          "                                (default: refuse at once, naming it)\n"
          "  --max-jobs N                  refuse a sweep of more jobs (default 100000)\n"
          "  --max-requests N              refuse a search of more requests (default 10000000)\n"
          "  --wall-budget SECONDS         start no new simulation after this much wall time\n"
          "  --keep-runs all|answers|none  run directories kept: every probe's (default), only those\n"
          "                                that decided each answer, or none (probe.json stays)\n"
          "  --full-probes                 simulate every probe to the end (Vidur's behaviour); by\n"
          "                                default a probe stops once its SLO verdict is a certain fail\n"
          "  --shard i/N                   run only shard i (0-based) of N; a final run without\n"
          "                                --shard assembles results.csv\n"
          "  --config-dir DIR              model/device/network catalogs (default: configs/)\n");
}

static int bad(const char *flag, const char *val, const char *expected) {
  fprintf(stderr, "capsearch: %s: expected %s, got '%s'\n", flag, expected, val);
  return CS_EXIT_USAGE;
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
static void on_progress(void *vctx, const cs__progress *p) {
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

static char *args_json(const cs__runner_opts *o, const char *config_dir, bool dry_run, double wall_s) {
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__jw w;
  cs__jw_init(&w, &sb, false);
  cs__jw_obj_begin(&w);
  cs__jw_kstr(&w, "capsearch_version", CS_VERSION);
  cs__jw_kstr(&w, "config", o->config_path);
  cs__jw_kstr(&w, "output_dir", o->out_dir);
  cs__jw_knum(&w, "time_limit", o->time_limit_min);
  cs__jw_kstr(&w, "cache_dir", o->cache_dir);
  cs__jw_kint(&w, "num_threads", o->threads);
  cs__jw_kint(&w, "max_iterations", o->max_iterations);
  cs__jw_knum(&w, "min_search_granularity", o->granularity_pct);
  cs__jw_knum(&w, "min_qps", o->min_qps);
  if (o->has_seed) cs__jw_kint(&w, "seed", (int64_t)o->seed);
  else cs__jw_key(&w, "seed"), cs__jw_null(&w);
  cs__jw_kbool(&w, "dry_run", dry_run);
  cs__jw_kbool(&w, "compress", o->compress);
  cs__jw_kbool(&w, "force", o->force);
  cs__jw_knum(&w, "wall_budget", o->wall_budget_s);
  cs__jw_kbool(&w, "full_probes", o->full_probes);
  cs__jw_kstr(&w, "keep_runs",
              o->keep_runs == CS__KEEP_NONE ? "none" : o->keep_runs == CS__KEEP_ANSWERS ? "answers" : "all");
  if (o->shard_n > 1) {
    char sh[32];
    snprintf(sh, sizeof sh, "%d/%d", o->shard_i, o->shard_n);
    cs__jw_kstr(&w, "shard", sh);
  }
  cs__jw_kstr(&w, "config_dir", config_dir);
  if (wall_s >= 0) cs__jw_knum(&w, "sweep_wall_s", wall_s);
  cs__jw_obj_end(&w);
  cs__sbuf_addc(&sb, '\n');
  char *detached = cs__sbuf_detach(&sb);
  cs__sbuf_release(&sb); /* detach leaves a fresh empty buffer */
  return detached;
}

/* OUT/output.log is the sweep's log (the MPI runner's rank lines live there too); Vidur's analyzer
 * reads the sweep's time from its line "Simulation took time: X". Keep every other line, replace
 * that one with the time of every run into this directory, added up over resumes. Only the
 * reporting process gets here, after the run. */
static void write_output_log(const char *out_dir, const cs__runner_summary *sum) {
  char *path = cs__path_join(out_dir, "output.log"), *old = NULL;
  size_t len = 0;
  double before = 0;
  cs_err e = {0};
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  if (cs__path_exists(path) && !cs__read_file(path, &old, &len, &e)) {
    for (char *line = old; line && *line;) {
      char *nl = strchr(line, '\n');
      size_t n = nl ? (size_t)(nl - line) + 1 : strlen(line);
      if (!strncmp(line, "Simulation took time:", 21)) {
        if (sscanf(line, "Simulation took time: %lf", &before) != 1) before = 0;
      } else {
        cs__sbuf_add(&sb, line, n);
        if (!nl) cs__sbuf_addc(&sb, '\n');
      }
      line += n;
    }
  }
  free(old);
  free(path);
  cs__sbuf_addf(&sb, "capsearch: %zu jobs, %lld probes simulated in this run\nSimulation took time: %.3f\n", sum->jobs,
                (long long)sum->probes_run, before + sum->wall_s);
  cs__store_write_top(out_dir, "output.log", sb.buf, NULL);
  cs__sbuf_release(&sb);
}

int cs__cmd_sweep(int argc, char **argv) {
  enum { O_CONFIG = 256, O_OUT, O_TL, O_CACHE, O_MAXIT, O_GRAN, O_MINQ, O_SEED, O_DRY, O_COMP, O_FORCE, O_WALL,
         O_SHARD, O_CDIR, O_WAIT, O_FULL, O_KEEP, O_MAXJOBS, O_MAXREQ };
  static const struct option longopts[] = {{"config", required_argument, NULL, O_CONFIG},
                                           {"config-path", required_argument, NULL, O_CONFIG},
                                           {"output-dir", required_argument, NULL, O_OUT},
                                           {"time-limit", required_argument, NULL, O_TL},
                                           {"cache-dir", required_argument, NULL, O_CACHE},
                                           {"num-threads", required_argument, NULL, 'j'},
                                           {"max-iterations", required_argument, NULL, O_MAXIT},
                                           {"min-search-granularity", required_argument, NULL, O_GRAN},
                                           {"min-qps", required_argument, NULL, O_MINQ},
                                           {"seed", required_argument, NULL, O_SEED},
                                           {"dry-run", no_argument, NULL, O_DRY},
                                           {"compress", no_argument, NULL, O_COMP},
                                           {"force", no_argument, NULL, O_FORCE},
                                           {"wait", no_argument, NULL, O_WAIT},
                                           {"max-jobs", required_argument, NULL, O_MAXJOBS},
                                           {"max-requests", required_argument, NULL, O_MAXREQ},
                                           {"wall-budget", required_argument, NULL, O_WALL},
                                           {"shard", required_argument, NULL, O_SHARD},
                                           {"config-dir", required_argument, NULL, O_CDIR},
                                           {"full-probes", no_argument, NULL, O_FULL},
                                           {"keep-runs", required_argument, NULL, O_KEEP},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  cs__runner_opts o;
  cs__runner_opts_defaults(&o);
  const char *config_dir = NULL;
  bool dry_run = false;
  double d;
  int c, rc;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":j:h", longopts, NULL)) != -1) {
    switch (c) {
    case O_CONFIG:
      if (!optarg[0]) return bad("--config", optarg, "a sweep file");
      o.config_path = optarg;
      break;
    case O_OUT:
      if (!optarg[0]) return bad("--output-dir", optarg, "a directory path");
      o.out_dir = optarg;
      break;
    case O_TL:
      if ((rc = cs__cli_num("--time-limit", optarg, 0, 1e9, false, false, &o.time_limit_min))) return rc;
      break;
    case O_CACHE: o.cache_dir = optarg; break;
    case 'j':
      if ((rc = cs__cli_num("-j", optarg, 1, 1 << 20, false, true, &d))) return rc;
      o.threads = (int)d;
      break;
    case O_MAXIT:
      if ((rc = cs__cli_num("--max-iterations", optarg, 1, 100000, false, true, &d))) return rc;
      o.max_iterations = (int)d;
      break;
    case O_GRAN:
      if ((rc = cs__cli_num("--min-search-granularity", optarg, 0, 100, true, false, &o.granularity_pct))) return rc;
      if (o.granularity_pct >= 100) return bad("--min-search-granularity", optarg, "a percentage in (0, 100)");
      break;
    case O_MINQ:
      if ((rc = cs__cli_num("--min-qps", optarg, 0, 1e9, false, false, &o.min_qps))) return rc;
      break;
    case O_SEED:
      if ((rc = cs__cli_num("--seed", optarg, 0, 9007199254740992.0, false, true, &d))) return rc;
      o.has_seed = true;
      o.seed = (uint64_t)d;
      break;
    case O_DRY:
      dry_run = true;
      o.dry_run = true;
      break;
    case O_COMP: o.compress = true; break;
    case O_FULL: o.full_probes = true; break;
    case O_KEEP:
      if (!strcmp(optarg, "all")) o.keep_runs = CS__KEEP_ALL;
      else if (!strcmp(optarg, "answers")) o.keep_runs = CS__KEEP_ANSWERS;
      else if (!strcmp(optarg, "none")) o.keep_runs = CS__KEEP_NONE;
      else return bad("--keep-runs", optarg, "all, answers or none");
      break;
    case O_FORCE: o.force = true; break;
    case O_WAIT: o.wait = true; break;
    case O_WALL:
      if ((rc = cs__cli_num("--wall-budget", optarg, 0, 1e9, true, false, &o.wall_budget_s))) return rc;
      break;
    case O_MAXJOBS:
      if ((rc = cs__cli_num("--max-jobs", optarg, 1, 1e9, false, true, &d))) return rc;
      o.max_jobs = (size_t)d;
      break;
    case O_MAXREQ:
      if ((rc = cs__cli_num("--max-requests", optarg, 1, 1e12, false, true, &d))) return rc;
      o.max_requests = (int64_t)d;
      break;
    case O_SHARD: {
      /* i/N, both through the checked parser: no sscanf overflow */
      char part[64];
      const char *slash = strchr(optarg, '/');
      double di, dn;
      if (!slash || (size_t)(slash - optarg) >= sizeof part) return bad("--shard", optarg, "i/N with 0 <= i < N");
      memcpy(part, optarg, (size_t)(slash - optarg));
      part[slash - optarg] = '\0';
      if ((rc = cs__cli_num("--shard N", slash + 1, 1, 1 << 20, false, true, &dn)) ||
          (rc = cs__cli_num("--shard i", part, 0, dn - 1, false, true, &di)))
        return rc;
      o.shard_i = (int)di;
      o.shard_n = (int)dn;
      break;
    }
    case O_CDIR: config_dir = optarg; break;
    case 'h': usage(stdout); return CS_EXIT_OK;
    default: return cs__cli_bad_option("sweep", argc, argv, ":j:h", longopts);
    }
  }
  if (optind < argc) {
    fprintf(stderr, "capsearch: unexpected argument '%s'\n", argv[optind]);
    return CS_EXIT_USAGE;
  }
  if (!o.config_path || (!o.out_dir && !dry_run)) {
    fprintf(stderr, "capsearch: %s is required\n", !o.config_path ? "--config" : "--output-dir");
    usage(stderr);
    return CS_EXIT_USAGE;
  }
  cs__cli_path catalog_dir = cs__cli_catalog_dir(config_dir);
  o.catalog_dir = catalog_dir.s;
  cs_err err = {0};
  cs__plan plan;
  rc = cs__plan_load(&o, &plan, &err);
  if (rc) {
    cs__plan_release(&plan);
    return cs__cli_fail(&err);
  }
  if (plan.sweep->from_v0)
    fprintf(stderr,
            "capsearch: note: %s was translated from Vidur's V0 explorer schema: %zu jobs, replicas = num_gpus / "
            "(tp * pp), SLO P99 request_scheduling_delay <= 5 s, router round_robin (docs/sweep.md)\n",
            o.config_path, plan.jobs.n);
  for (size_t i = 0; i < plan.sweep->ntraces; i++) { /* one line per trace that has one */
    char w[1200];
    if (cs_trace_warning(plan.traces[i], w, sizeof w)) fprintf(stderr, "capsearch: warning: %s\n", w);
  }
  if (dry_run) {
    cs__print_sweep_plan(stdout, &plan, &o);
    cs__plan_release(&plan);
    return CS_EXIT_OK;
  }
  char *aj = args_json(&o, o.catalog_dir, false, -1);
  o.args_json = aj;
  o.stop = &stop_flag;
  progress_ctx pctx = {isatty(STDERR_FILENO) == 1};
  o.progress = on_progress;
  o.progress_ctx = &pctx;
  o.progress_interval_s = pctx.tty ? 0.5 : 10;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  cs__runner_summary sum;
#ifdef CS_HAVE_MPI
  /* under mpirun the ranks share the jobs (docs/scaling.md); rank 0 reports for all of them */
  bool mpi_root = true;
  rc = cs__mpi_launched() ? cs__mpi_plan_run(&plan, &o, &sum, &mpi_root, &err) : cs__plan_run(&plan, &o, &sum, &err);
  if (!mpi_root) {
    free(aj);
    cs__plan_release(&plan);
    return CS_EXIT_OK;
  }
#else
  rc = cs__plan_run(&plan, &o, &sum, &err);
#endif
  free(aj);
  if (rc && rc != CS_EINTR) {
    cs__plan_release(&plan);
    return cs__cli_fail(&err);
  }
  char bounds[96] = "";
  if (sum.bounds)
    snprintf(bounds, sizeof bounds, " (%zu only a bound: the limit was not found; see results.csv answer_kind)", sum.bounds);
  char *aj2 = args_json(&o, o.catalog_dir, false, sum.wall_s);
  cs__store_write_top(o.out_dir, "args.json", aj2, NULL);
  free(aj2);
  write_output_log(o.out_dir, &sum);
  if (sum.probes_wasted)
    fprintf(stderr,
            "capsearch: %lld speculative probes (run on threads the last jobs left idle) were not needed\n",
            (long long)sum.probes_wasted);
  if (sum.probes_redone)
    fprintf(stderr,
            "capsearch: %lld committed probes were damaged or decided by other inputs and were simulated again "
            "(the reasons are in their output.log)\n",
            (long long)sum.probes_redone);
  fprintf(stderr,
          "capsearch: %zu jobs: %zu ok%s, %zu no_pass, %zu infeasible, %zu failed, %zu pending; %lld probes simulated, "
          "%lld reused; %.1f s\ncapsearch: results in %s/results.csv%s\n",
          sum.jobs, sum.ok, bounds, sum.no_pass, sum.infeasible, sum.failed, sum.pending, (long long)sum.probes_run,
          (long long)sum.probes_reused, sum.wall_s, o.out_dir,
          o.shard_n > 1 ? " (after a final run without --shard)" : "");
  cs__plan_release(&plan);
  if (rc == CS_EINTR) return cs__cli_fail(&err);
  return sum.failed ? CS_EXIT_FAIL : CS_EXIT_OK;
}
