/* The sweep run: a sweep file -> a plan (every job checked and resolved) -> one capacity search
 * per job on all cores (OpenMP; MPI across nodes in an MPI build) -> the output directory
 * (SPEC §2-§4, §9-§10; docs/sweep.md, docs/scaling.md). What `capsearch --config ...` does.
 *
 *   cs_run_opts o;  cs_run_opts_defaults(&o);  o.config_path = ...;  o.out_dir = ...;
 *   cs_plan *plan;
 *   if (cs_plan_load(&o, &plan, &err)) ...              // parse, check, expand, resolve
 *   cs_plan_run(plan, &o, &sum, &err);                   // CS_EINTR when stopped early
 *   cs_run_write_record(&o, version, &sum);              // args.json with the wall time, output.log
 *   cs_plan_free(plan);
 *
 * Ownership: a plan owns the sweep, its jobs and everything resolved for them (catalog, traces,
 * predictors, the output directory's lock); what the accessors return is borrowed from the plan
 * and lives until cs_plan_free. cs_run_opts only borrows its strings. The library never prints:
 * progress goes through cs_run_opts.progress. Errors: an int return is 0 or a negative CS_E*
 * code with the message in *err (capsearch/error.h). */
#ifndef CAPSEARCH_RUN_H
#define CAPSEARCH_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capsearch/error.h"
#include "capsearch/sweep.h"
#include "capsearch/trace.h"

/* --keep-runs: the simulator outputs kept after a job finishes. all: every probe's (Vidur's
 * layout); answers: only the probes that decided the answer (the answer's probe and the failing
 * probe next to it; without an answer the failing probe nearest to passing); none: no run
 * directory. probe.json and output.log always stay, so a rerun replays the search. */
enum { CS_KEEP_ALL = 0, CS_KEEP_ANSWERS, CS_KEEP_NONE };

/* Where a run stands, handed to cs_run_opts.progress (one thread at a time). */
typedef struct cs_progress {
  size_t jobs_done, jobs_total, jobs_failed;
  int64_t probes_run, probes_reused;
  double elapsed_s, eta_s; /* wall seconds; eta < 0 when unknown */
  /* the estimate's basis: at most probes_left probes remain (each search's maximum less what
   * it ran), costed at what probes_timed simulated probes took per unit of requests x
   * replicas x tokens, spread over `parallel` threads */
  int64_t probes_left, probes_timed;
  int parallel;
  bool stopping;           /* interrupted: running probes finish, no new ones, no ETA */
  bool final;              /* the last call of the run */
} cs_progress;

struct cs__spec_pool;

/* The options of one run; cs_run_opts_defaults fills the defaults named in the comments. The
 * strings are borrowed and must outlive the plan and the run. */
typedef struct cs_run_opts {
  const char *config_path;   /* the sweep file (required) */
  const char *out_dir;       /* the output directory (required unless dry_run) */
  const char *catalog_dir;   /* model/device/network catalogs; NULL = cs_catalog_default_dir() */
  const char *cache_dir;     /* predictor table cache, NULL = none */
  int threads;               /* 0 = all cores */
  int max_iterations;        /* probes per search, 10 */
  double granularity_pct;    /* stop bisecting below this bracket width, percent; 1 */
  double min_qps;            /* give up a qps search below this, requests/s; 0.1 */
  double time_limit_s;       /* simulated seconds per simulation, 10800 (--time-limit is in minutes) */
  bool has_seed;
  uint64_t seed;             /* with has_seed: overrides the sweep's seed */
  bool compress;             /* request_metrics.csv.gz */
  bool full_probes;          /* no early stopping: every probe runs to the end (Vidur) */
  int keep_runs;             /* CS_KEEP_ALL (default), _ANSWERS, _NONE: which run files stay */
  bool force;                /* reuse an output directory that holds another sweep */
  bool wait;                 /* wait for another run holding the output directory (--wait) */
  size_t max_jobs;           /* refuse a sweep of more jobs (--max-jobs), 100000 */
  int64_t max_requests;      /* refuse a search of more requests (--max-requests), 1e7 */
  double wall_budget_s;      /* 0 = none: stop starting probes after this many wall seconds */
  int shard_i, shard_n;      /* --shard i/N (0-based i), n = 0 when not sharded */
  bool dry_run;              /* only list the jobs: trace files need not exist yet */
  const char *args_json;     /* the resolved command line, written to out/args.json (cs_run_args_json) */
  const volatile sig_atomic_t *stop; /* set (by a signal handler) to start no new probes; NULL = none */
  void (*progress)(void *ctx, const cs_progress *p); /* NULL = no progress reports */
  void *progress_ctx;
  /* told (with progress_ctx, from any thread) when the run waits for another process: for the
   * output directory (wait) or for a job that process runs (overlapping --shard runs); what says
   * what is held and by whom. NULL = not told. o->stop ends such a wait at once. */
  void (*waiting)(void *ctx, const char *what);
  /* told (with progress_ctx, one call at a time) of each failed job this process (or, under MPI,
   * rank 0 for every rank) ran, in job order once the run ends, with the reason results.csv
   * carries: shard runs write no results.csv, so this is where their failures show. NULL = not told. */
  void (*job_failed)(void *ctx, const cs_sweep_job *job, const char *reason);
  double progress_interval_s; /* minimum wall seconds between progress calls (final always); 1 */
  /* runner-internal, left NULL by callers: the speculation pool (set by the thread runner) and
   * the per-probe hook (kind: simulated with its wall seconds, reused from disk, or repeated) */
  struct cs__spec_pool *spec;
  void (*probe_done)(void *ctx, size_t ji, int kind, double wall_s);
  void *probe_ctx;
} cs_run_opts;

/* The defaults above; every string NULL, every flag false. */
void cs_run_opts_defaults(cs_run_opts *o);

/* What a run did, filled by cs_plan_run. Job counts by status (cs_job_status); probes are whole
 * simulations. */
typedef struct cs_run_summary {
  size_t jobs, ok, no_pass, infeasible, failed, pending;
  size_t bounds;           /* ok jobs whose answer is only a bound (answer_kind lower/upper_bound) */
  size_t jobs_other;       /* job directories in runs/ of another sweep (kept, not analysed) */
  int64_t probes_run, probes_reused;
  int64_t probes_redone;   /* of probes_run: damaged or stale committed probes (see output.log) */
  int64_t probes_wasted;   /* speculative simulations not used */
  int64_t probes_shared;   /* probes written from a simulation of a job that differs only by its SLO (not
                              in probes_run; docs/sweep.md "Jobs that differ only by SLO") */
  int64_t probes_pruned;   /* run directories --keep-runs removed in this run (also of probes committed
                              by earlier runs kept with a looser --keep-runs) */
  double wall_s;           /* wall seconds of this run */
  bool interrupted;        /* stopped by o->stop or the wall budget */
  bool untouched;          /* stopped while waiting for the output directory: nothing in it was written */
} cs_run_summary;

typedef struct cs_plan cs_plan;

/* Parses and checks the sweep file (o->config_path), expands it into jobs, resolves the catalog
 * entries, loads and checks the traces (a missing, unreadable or empty file is an error, also
 * for a dry run), holds each job's rows against its length limit, and marks infeasible jobs (TP vs heads, PP vs layers, memory; SPEC §3) with their reason. Creates no
 * predictor and touches no output directory. On success *plan is the caller's (cs_plan_free);
 * on error *plan is NULL and err says what and where (file:line:col of the sweep). */
int cs_plan_load(const cs_run_opts *o, cs_plan **plan, cs_err *err);
/* Frees the plan and releases the output directory's lock; NULL is a no-op. */
void cs_plan_free(cs_plan *plan);

/* Runs the plan's selected jobs (all, or --shard's part) on o->threads threads, writing the
 * output directory o->out_dir (config.json, args.json from o->args_json, runs/, results.csv;
 * atomic and resumable: a rerun replays the committed probes). Fills *sum. Returns 0, CS_EINTR
 * when stopped early by o->stop or the wall budget (every finished probe is committed), or
 * another CS_E* code (output directory locked or holding another sweep, unreadable trace). Failed
 * jobs are counted in the summary, not an error. Call once per plan. */
int cs_plan_run(cs_plan *plan, const cs_run_opts *o, cs_run_summary *sum, cs_err *err);

/* An MPI build only (-DCS_MPI=ON; library cs_runner_mpi, docs/scaling.md). True when a launcher
 * (mpirun/mpiexec, Slurm's srun) started this process as part of an MPI job, judged from the
 * launcher's environment; CAPSEARCH_MPI=0 forces false. */
bool cs_run_mpi_launched(void);
/* An MPI build only: initialises MPI, runs the plan's selected jobs on all ranks sharing
 * o->out_dir, finalises MPI. With one rank it is cs_plan_run. *is_root is true on rank 0, whose
 * return code, *sum and *err describe the whole run (output byte-identical to one process); the
 * other ranks get the same code and summary and an empty message. */
int cs_plan_run_mpi(cs_plan *plan, const cs_run_opts *o, cs_run_summary *sum, bool *is_root, cs_err *err);

/* out/args.json's text for the options o and the program version: the resolved command line
 * and, with wall_s >= 0, the run's wall seconds (wall_s < 0 while the run goes on). Malloc'd,
 * the caller frees it. */
char *cs_run_args_json(const cs_run_opts *o, const char *version, double wall_s);
/* After a run (on the reporting process: rank 0 under MPI): rewrites o->out_dir/args.json with
 * sum->wall_s and o->out_dir/output.log, whose line "Simulation took time: X" (read by Vidur's
 * analyzer) becomes the wall seconds of every run into that directory, added up over resumes;
 * its other lines stay. Best effort: a file that cannot be written is left as it was. */
void cs_run_write_record(const cs_run_opts *o, const char *version, const cs_run_summary *sum);

/* ---- reading a loaded plan (the sweep command's notes and --dry-run table) ---- */

/* The sweep as parsed and checked (its traces, models, clusters, policies, SLOs by index). */
const cs_sweep *cs_plan_sweep(const cs_plan *plan);
/* The expanded jobs in expansion order; a job's status/reason say whether it is infeasible. */
const cs_sweep_jobs *cs_plan_jobs(const cs_plan *plan);
/* Whether this process runs job `job` (index into cs_plan_jobs): every job, or --shard's part. */
bool cs_plan_job_selected(const cs_plan *plan, size_t job);
/* The sweep's trace `trace` (index into the sweep's traces) as loaded, before any job's length
 * limit. */
const cs_trace *cs_plan_trace(const cs_plan *plan, size_t trace);

/* One trace as a job sees it: its rows against the job's length limit, the smaller of the
 * trace's max_seq_len and the model's context (docs/traces.md "Overlong rows"). Tokens. */
typedef struct cs_trace_view {
  size_t trace;                 /* sweep trace index */
  size_t model;                 /* sweep model index the limit came from */
  int64_t limit;
  bool model_limited;           /* the model's context is the binding limit */
  cs_trace_limit_stats st;      /* rows over the limit (counted before clip / drop) */
  cs_trace *limited;            /* clipped / dropped copy; NULL when no row is overlong */
  double mean_decode;           /* mean output tokens of the rows the jobs use (estimates) */
} cs_trace_view;
/* The distinct (trace, limit) views of the plan, 0 <= k < cs_plan_nviews, and the view a job
 * uses (index k). */
size_t cs_plan_nviews(const cs_plan *plan);
const cs_trace_view *cs_plan_view(const cs_plan *plan, size_t k);
size_t cs_plan_job_view(const cs_plan *plan, size_t job);

/* GPUs a job occupies at `replicas` replicas: replicas x tp x pp x data-parallel attention
 * ranks (ep / tp with expert parallelism), or both pools of a disaggregated job. */
int cs_plan_job_gpus(const cs_plan *plan, const cs_sweep_job *j, int replicas);

/* What a job will cost before it runs (--dry-run). CPU: the expected CPU seconds of the job's
 * probes, from constants fitted on the full seed sweep (docs/sweep.md "Estimates"): a probe
 * run to the end costs in proportion to requests x replicas x pipeline stages, every probe
 * taken adds its run files; early stopping and a sibling's memo (jobs that differ only by their
 * SLO share full simulations) cut what is simulated; each replica adds its own state and files
 * to every probe. Disk: the bytes of the files each probe
 * run to the end writes (the constants below), for each --keep-runs mode; a probe stopped
 * early writes less, so `all` is an upper estimate. */
typedef struct cs_job_estimate {
  int64_t requests;        /* per probe */
  int max_probes;          /* the most probes the job's search can take */
  double first_qps;        /* the search's first probe, requests/s */
  int first_replicas;
  double window_s;         /* arrival window of the first probe: requests / first_qps, seconds */
  int siblings;            /* jobs this process runs that differ from it only by the SLO, itself included */
  double cpu_s;            /* expected CPU seconds of all its probes (not an upper bound) */
  double probe_bytes;      /* one full-length probe's run directory and its files' list in probe.json */
  double disk_bytes;       /* --keep-runs all: every probe's run directory, records and job.json */
  double disk_answers_bytes; /* --keep-runs answers: the two deciding probes' run directories */
  double disk_none_bytes;  /* --keep-runs none: probe.json + output.log of each probe, job.json */
} cs_job_estimate;
/* CPU constants fitted on the seed sweep measured on the 2-core dev machine at a5cb9bb (336
 * jobs, 3,084 probes, 1,810 CPU-s; e393167, this fit's base, simulates the same way) and checked
 * on the quickstart (docs/sweep.md "Estimates": the seed's total within 1 %, the quickstart's
 * 12.4 s within its measured 10-22 CPU-s; 80 % of the seed's jobs within -35 %..+62 %). A faster simulator makes them high: refit them. */
#define CS_EST_CPU_S_PER_REQUEST_REPLICA 3.8e-6 /* a probe run to the end: x requests x replicas x pp */
#define CS_EST_CPU_S_PER_PROBE 0.025  /* each probe taken: run files, tables, probe.json, sync */
/* each probe taken, per replica x pp: its KV block table and per-replica output files (simulate
 * --replicas 200 with 50 requests: 0.70 CPU-s against 0.04 s for one replica) */
#define CS_EST_CPU_S_PER_REPLICA 0.0033
/* Probes run to the end that a search simulates, per probe it may take (max probes): with early
 * stopping about half are failing probes stopped at ~35 % of a full run, and some stopped
 * probes are rerun to the end; with --full-probes every probe taken runs to the end. */
#define CS_EST_SIMULATED_SHARE 0.75
#define CS_EST_SIMULATED_SHARE_FULL 0.95
/* In a group of k siblings, the share of a later sibling's simulations served by the memo:
 * each job's simulated work is x (1 - CS_EST_MEMO_SAVING x (k - 1) / k). */
#define CS_EST_MEMO_SAVING 0.35
/* File sizes of a probe's run directory (src/sim/output.c's layout), fitted on the 672 run
 * directories the full seed sweep kept (12,301 and 23,608 Mooncake requests, 8 and 16
 * replicas: each group within 1 %) and on traces/chat_small.csv (200 requests, 1 and 4
 * replicas: within 2 %). Per request: a request_metrics.csv row and a row in each time series
 * (arrival and completion, and their per-replica copies when R > 1); per replica: the batch
 * quantile tables and replica JSONs, and when R > 1 the 15 per-replica quantile tables. */
#define CS_EST_BYTES_PER_REQUEST 195.0      /* one request_metrics.csv row */
#define CS_EST_BYTES_PER_SERIES_ROW 24.0    /* one time-series row: 2 series, 4 when R > 1 */
#define CS_EST_BYTES_PER_REPLICA 11000.0    /* batch_*.csv rows and replica JSONs */
#define CS_EST_BYTES_PER_REPLICAWISE 41000.0 /* per replica when R > 1: *_replicawise.csv */
#define CS_EST_BYTES_PER_PROBE 43000.0      /* 15 quantile tables, config.json, config.yml */
#define CS_EST_FILES_PER_PROBE 30           /* + 3 per replica, + 17 when R > 1 */
#define CS_EST_BYTES_PER_LISTED_FILE 175.0  /* probe.json's path, size and sha1 of each run file */
#define CS_EST_BYTES_KEPT_PER_PROBE 1200.0  /* probe.json (without the list) + output.log, always kept */
#define CS_EST_BYTES_PER_JOB 1700.0         /* job.json */
/* --compress: request_metrics.csv.gz / .csv at gzip level 6 (chat_small; 12,031 Mooncake rows: 0.344) */
#define CS_EST_GZIP_RATIO 0.34
/* Run directories --keep-runs answers keeps per job: the answer's probe and the failing probe
 * next to it (a job without answer keeps one, its failing probe nearest to passing). */
#define CS_EST_ANSWER_PROBES 2
/* The keep-up check wants at least this much traffic per probe, seconds (docs/sweep.md "Verdict"). */
#define CS_MIN_WINDOW_S 120.0
/* Fills *e for job j of the plan under the options o (iterations, time limit). */
void cs_plan_job_estimate(const cs_plan *plan, const cs_run_opts *o, const cs_sweep_job *j, cs_job_estimate *e);

#endif
