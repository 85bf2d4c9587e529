/* The sweep on MPI (SPEC §10, docs/scaling.md): `mpirun -np N capsearch --config ... --output-dir
 * out` spreads the jobs of one sweep over N ranks that share the output directory.
 *
 *   rank 0      hands out job indices on request, longest-first (the runner's cost estimate),
 *               and runs jobs itself; it records every job's result, reports progress, and at
 *               the end assembles results.csv by replaying the committed probes (no new
 *               simulation), so the output equals a single-process run byte for byte.
 *   every rank  runs whole jobs with cs__run_job on its OpenMP threads; a job runs on one
 *               rank only, so no two ranks touch the same run directory (probe commits are
 *               atomic), and a rank that dies loses only its in-flight probes: the same
 *               command resumes.
 *
 * Only one thread per rank (the one that called MPI_Init_thread) talks MPI, so the runner needs
 * MPI_THREAD_FUNNELED and nothing more; the job threads hand jobs and results to it through a
 * mutex-protected mailbox.
 *
 * Compiled only with -DCS_MPI=ON, as the library cs_runner_mpi; its entry points are public
 * (capsearch/run.h: cs_run_mpi_launched, cs_plan_run_mpi). The library never prints: rank 0's
 * caller prints the summary and every error, the other ranks stay quiet.
 *
 * This file: initialise MPI, let rank 0 open the output directory, prepare traces and
 * predictors on every rank, distribute the jobs (mpi_sched.c), then let rank 0 assemble
 * results.csv by replaying what the ranks committed, exactly as the final run after --shard
 * does, and share the outcome with every rank. */
#include <mpi.h>
#include <omp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner/mpi/mpi_int.h"
#include "store/store.h"
#include "util/sbuf.h"

bool cs_run_mpi_launched(void) {
  const char *force = getenv("CAPSEARCH_MPI");
  if (force && !strcmp(force, "0")) return false;
  /* Open MPI's mpirun, PMIx launchers (Open MPI 5, Slurm --mpi=pmix), MPICH's hydra and
   * Slurm's PMI-1/PMI-2 each set one of these in every rank's environment. */
  static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK", "MPI_LOCALNRANKS"};
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
    if (getenv(vars[i])) return true;
  return false;
}

/* Ranks on this rank's node (collective: every rank calls it). */
static int node_ranks(void) {
  int local = 1;
  MPI_Comm node;
  if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) == MPI_SUCCESS) {
    MPI_Comm_size(node, &local);
    MPI_Comm_free(&node);
  }
  return local;
}

/* Job threads per rank when -j is not given: the cores this rank may use. When the launcher
 * bound the rank (the affinity mask is smaller than the machine) that is the mask; otherwise
 * the node's cores are split evenly between the ranks on the node. */
static int default_threads(int local) {
  int procs = omp_get_num_procs();
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  int t = procs;
  if (online > 0 && procs >= online && local > 1) t = procs / local;
  return t > 0 ? t : 1;
}

/* FNV-1a over what decides the jobs and their probes: every rank must run the same sweep with
 * the same search options (an MPMD launch or a relative path resolved on another node could
 * give a rank another one). */
static uint64_t fnv1a(const char *s, uint64_t h) {
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

static uint64_t plan_digest(const cs__plan *p, const cs__runner_opts *o) {
  char opts[256];
  snprintf(opts, sizeof opts, "|%zu|%d|%.17g|%.17g|%d/%d", p->jobs.n, o->max_iterations, o->granularity_pct,
           o->min_qps, o->shard_i, o->shard_n);
  return fnv1a(opts, fnv1a(p->config_json, 14695981039346656037ULL));
}

/* Every rank learns whether some rank failed; the lowest failing rank's message goes to all,
 * prefixed with its rank when that is not 0. Returns the shared code (0 when none failed). */
static int agree(int rank, int rc, cs_err *err) {
  int size;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int mine = rc ? rank : size, first = size;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (first == size) return 0;
  int code = rc;
  char msg[CS_ERR_MSG_MAX] = {0};
  if (rank == first) snprintf(msg, sizeof msg, "%s", err && err->msg[0] ? err->msg : cs_strerror(rc));
  MPI_Bcast(&code, 1, MPI_INT, first, MPI_COMM_WORLD);
  MPI_Bcast(msg, CS_ERR_MSG_MAX, MPI_CHAR, first, MPI_COMM_WORLD);
  msg[CS_ERR_MSG_MAX - 1] = '\0';
  if (first == 0) cs_err_set(err, code, "%s", msg);
  else cs_err_set(err, code, "rank %d: %s", first, msg);
  return code;
}

/* results.csv from the disk (vidur-semantics.md §7.7: resume is replay): every job's search
 * is replayed from its committed probes with a raised stop flag, so nothing is simulated. A
 * job a rank reported finished must replay to the same answer; if it does not, rank 0 does
 * not see that rank's files. A failed job keeps the rank's reason (its failing probe was never
 * committed, so a replay would only say "pending"). */
static int assemble(cs__mpi_ctx *c, cs_err *err) {
  static const volatile sig_atomic_t halt = 1;
  cs__runner_opts ro = *c->o;
  ro.stop = &halt;
  ro.wall_budget_s = 0;
  ro.progress = NULL;
  const cs__plan *p = c->plan;
  for (size_t k = 0; k < c->nsel; k++) {
    size_t ji = c->order[k];
    cs__job_result r;
    int64_t run = 0, reused = 0;
    cs__run_job(p, &ro, ji, c->t0, &r, &run, &reused);
    cs__job_result *w = &c->res[ji];
    bool finished = w->status == CS_JOB_OK || w->status == CS_JOB_NO_PASS || w->status == CS_JOB_INFEASIBLE;
    bool same = r.status == w->status && r.has_answer == w->has_answer && r.probes == w->probes &&
                (!r.has_answer || (r.answer_qps == w->answer_qps && r.answer_replicas == w->answer_replicas));
    if (w->status == CS_JOB_FAILED) {
      free(r.reason);
      continue;
    }
    if (finished && !same) {
      const char *hash = p->jobs.v[ji].hash;
      int rc = cs_err_set(err, CS_EIO,
                          "job %s: rank %d finished it (%s, %d probes) but rank 0 reads %s from %s/runs/%s; "
                          "--output-dir must be one directory on a file system every rank shares",
                          hash, c->owner[ji], cs_job_status_name(w->status), w->probes,
                          r.status == CS_JOB_PENDING ? "uncommitted probes" : cs_job_status_name(r.status),
                          c->o->out_dir, hash);
      free(r.reason);
      return rc;
    }
    free(w->reason);
    *w = r;
  }
  return 0;
}

/* out/output.log (excluded from the byte-for-byte comparison, like every output.log): which
 * rank, on which host, ran which job. For a person chasing a slow node or a missing file. */
static void log_line(const cs__mpi_ctx *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void log_line(const cs__mpi_ctx *c, const char *fmt, ...) {
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  cs__store_log(c->o->out_dir, line, NULL);
}

static void log_ranks(const cs__mpi_ctx *c) {
  char host[MPI_MAX_PROCESSOR_NAME] = {0};
  int hl = 0;
  MPI_Get_processor_name(host, &hl);
  long long info[2] = {(long long)getpid(), c->threads};
  char *hosts = NULL;
  long long *infos = NULL;
  if (c->rank == 0) {
    hosts = cs__xcalloc((size_t)c->size, MPI_MAX_PROCESSOR_NAME);
    infos = cs__xcalloc((size_t)c->size * 2, sizeof *infos);
  }
  MPI_Gather(host, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, hosts, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, 0, MPI_COMM_WORLD);
  MPI_Gather(info, 2, MPI_LONG_LONG, infos, 2, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
  if (c->rank == 0) {
    log_line(c, "capsearch: mpi: %d ranks share %zu jobs", c->size, c->nsel);
    for (int r = 0; r < c->size; r++) {
      char *h = hosts + (size_t)r * MPI_MAX_PROCESSOR_NAME;
      h[MPI_MAX_PROCESSOR_NAME - 1] = '\0';
      log_line(c, "capsearch: mpi: rank %d on %s, pid %lld, %lld job threads", r, h, infos[2 * r], infos[2 * r + 1]);
    }
  }
  free(hosts);
  free(infos);
}

static void log_jobs(const cs__mpi_ctx *c) {
  const cs__plan *p = c->plan;
  size_t *jobs = cs__xcalloc((size_t)c->size, sizeof *jobs);
  int64_t *probes = cs__xcalloc((size_t)c->size, sizeof *probes);
  for (size_t k = 0; k < c->nsel; k++) {
    size_t ji = c->order[k];
    const cs__job_result *r = &c->res[ji];
    int o = c->owner[ji];
    if (o < 0) {
      log_line(c, "capsearch: mpi: job %s not handed out (stopped)", p->jobs.v[ji].hash);
      continue;
    }
    jobs[o]++;
    probes[o] += r->probes_run;
    log_line(c, "capsearch: mpi: job %s ran on rank %d: %s, %d probes simulated, %d reused", p->jobs.v[ji].hash, o,
             cs_job_status_name(r->status), r->probes_run, r->probes_reused);
  }
  for (int o = 0; o < c->size; o++)
    log_line(c, "capsearch: mpi: rank %d ran %zu jobs, %lld probes simulated", o, jobs[o], (long long)probes[o]);
  free(jobs);
  free(probes);
}

static void summarize(const cs__mpi_ctx *c, cs__runner_summary *sum) {
  sum->jobs = c->nsel;
  for (size_t i = 0; i < c->plan->jobs.n; i++) /* in job order, like the one-process runner */
    if (c->plan->selected[i] && c->res[i].status == CS_JOB_FAILED && c->o->job_failed)
      c->o->job_failed(c->o->progress_ctx, &c->plan->jobs.v[i], c->res[i].reason);
  for (size_t k = 0; k < c->nsel; k++) {
    switch (c->res[c->order[k]].status) {
    case CS_JOB_OK:
      sum->ok++;
      sum->bounds += cs__answer_is_bound(&c->res[c->order[k]]);
      break;
    case CS_JOB_NO_PASS: sum->no_pass++; break;
    case CS_JOB_INFEASIBLE: sum->infeasible++; break;
    case CS_JOB_FAILED: sum->failed++; break;
    case CS_JOB_PENDING: sum->pending++; break;
    }
  }
  sum->probes_run = c->probes_run;
  sum->probes_reused = c->probes_reused;
  sum->interrupted = sum->pending > 0;
}

/* Rank 0's outcome to every rank: the code, the summary's counters, and (for rank 0) the message. */
static int share_outcome(int rank, int rc, cs__runner_summary *sum) {
  long long v[9] = {rc,
                    (long long)sum->jobs,
                    (long long)sum->ok,
                    (long long)sum->no_pass,
                    (long long)sum->infeasible,
                    (long long)sum->failed,
                    (long long)sum->pending,
                    sum->probes_run,
                    sum->probes_reused};
  double wall = sum->wall_s;
  MPI_Bcast(v, 9, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
  MPI_Bcast(&wall, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  if (rank != 0) {
    *sum = (cs__runner_summary){.jobs = (size_t)v[1],
                                .ok = (size_t)v[2],
                                .no_pass = (size_t)v[3],
                                .infeasible = (size_t)v[4],
                                .failed = (size_t)v[5],
                                .pending = (size_t)v[6],
                                .probes_run = v[7],
                                .probes_reused = v[8],
                                .wall_s = wall,
                                .interrupted = v[6] > 0};
  }
  return (int)v[0];
}

static int run_ranks(cs__mpi_ctx *c, cs__runner_summary *sum, cs_err *err) {
  const cs__runner_opts *o = c->o;
  cs__plan *p = c->plan;
  int rc = 0;
  unsigned long long mine = plan_digest(p, o), root = mine;
  MPI_Bcast(&root, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
  if (mine != root)
    rc = cs_err_set(err, CS_EUSAGE,
                    "this rank was started with another sweep or other search options than rank 0 (%s, %zu jobs); "
                    "give every rank the same command",
                    o->config_path, p->jobs.n);
  if ((rc = agree(c->rank, rc, err))) return rc;
  /* rank 0 alone opens the directory (creates it, checks config.json, sweeps up leftovers of
   * interrupted writes) before any rank writes into it */
  if (c->rank == 0) {
    rc = cs__plan_open_store(p, o, true, err);
    sum->untouched = rc == CS_EINTR; /* stopped while waiting for the directory (--wait) */
    if (!rc && o->args_json) rc = cs__store_write_top(o->out_dir, "args.json", o->args_json, err);
    if (!rc) sum->jobs_other = cs__plan_mark_other_jobs(p, o);
  }
  if ((rc = agree(c->rank, rc, err))) return rc;
  rc = cs__plan_prepare(p, o, err);
  if ((rc = agree(c->rank, rc, err))) return rc;
  int local = node_ranks();
  c->threads = o->threads > 0 ? o->threads : default_threads(local);
  if (c->threads > 4 * omp_get_num_procs()) c->threads = 4 * omp_get_num_procs(); /* -j 100000 */
  c->t0 = cs__wall_now();
  if (c->rank == 0) {
    c->order = cs__job_order(p, &c->nsel);
    c->res = cs__xcalloc(p->jobs.n ? p->jobs.n : 1, sizeof *c->res);
    c->owner = cs__xmalloc((p->jobs.n ? p->jobs.n : 1) * sizeof *c->owner);
    for (size_t i = 0; i < p->jobs.n; i++) c->res[i].status = CS_JOB_PENDING, c->owner[i] = -1;
  }
  log_ranks(c);
  cs__mpi_schedule(c);
  if (c->rank != 0) return 0;
  log_jobs(c);
  if ((rc = assemble(c, err))) return rc;
  if (o->shard_n <= 1) {
    char *csv = cs__results_csv(p, c->res);
    rc = cs__store_write_top(o->out_dir, "results.csv", csv, err);
    free(csv);
    if (rc) return rc;
  }
  summarize(c, sum);
  if (sum->interrupted)
    return cs_err_set(err, CS_EINTR, "stopped with %zu of %zu jobs unfinished; run the same command again to continue",
                      sum->pending, c->nsel);
  return 0;
}

int cs_plan_run_mpi(cs__plan *plan, const cs__runner_opts *o, cs__runner_summary *sum, bool *is_root, cs_err *err) {
  memset(sum, 0, sizeof *sum);
  *is_root = true;
  double t0 = cs__wall_now();
  int provided = MPI_THREAD_SINGLE, inited = 0;
  MPI_Initialized(&inited);
  if (!inited && MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
    return cs_err_set(err, CS_EIO, "MPI_Init_thread failed (run without mpirun, or set CAPSEARCH_MPI=0)");
  if (inited) MPI_Query_thread(&provided);
  int rank = 0, size = 1, rc;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  *is_root = rank == 0;
  if (provided < MPI_THREAD_FUNNELED) {
    rc = cs_err_set(err, CS_EIO, "the MPI library gives thread level %d, capsearch needs MPI_THREAD_FUNNELED",
                    provided);
    if (!inited) MPI_Finalize();
    return rc;
  }
  if (size == 1) {
    rc = cs__plan_run(plan, o, sum, err);
  } else {
    cs__mpi_ctx c = {.plan = plan, .o = o, .rank = rank, .size = size};
    rc = run_ranks(&c, sum, err);
    sum->wall_s = cs__wall_now() - t0;
    /* errors before the distribution were agreed on by all ranks; rank 0 speaks for the run */
    rc = share_outcome(rank, rc, sum);
    if (rank != 0 && err) err->msg[0] = '\0', err->code = rc;
    if (c.res)
      for (size_t i = 0; i < plan->jobs.n; i++) free(c.res[i].reason);
    free(c.res);
    free(c.owner);
    free(c.order);
  }
  if (!inited) MPI_Finalize();
  return rc;
}
