/* The sweep runner's internals: jobs -> cores (the only module with OpenMP). One job (one whole
 * capacity search) per thread, dynamic scheduling over jobs ordered longest-first by estimated
 * cost, per-job state only; catalogs, traces and predictors are created once before the
 * parallel region and shared read-only. The entry points callers use are public
 * (capsearch/run.h: cs_plan_load, cs_plan_run, ...); this header is the runner's own, for its
 * files, the MPI runner and the tests.
 *
 *   cs__plan plan;  cs__plan_load(&opts, &plan, &err);   // parse, check, expand, resolve
 *   cs__plan_run(&plan, &opts, &summary, &err);
 *   cs__plan_release(&plan);
 *
 * Ownership: a plan owns the sweep, jobs and everything resolved for them. */
#ifndef CS_RUNNER_RUNNER_H
#define CS_RUNNER_RUNNER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capsearch/catalog.h"
#include "capsearch/predictor.h"
#include "capsearch/run.h"
#include "capsearch/sim.h"
#include "capsearch/sweep.h"
#include "capsearch/trace.h"
#include "search/search.h"
#include "store/store.h"

/* The runner's spellings of the public run types (capsearch/run.h). */
typedef cs_progress cs__progress;
typedef cs_run_opts cs__runner_opts;
typedef cs_run_summary cs__runner_summary;
typedef cs_trace_view cs__trace_view;
typedef cs_job_estimate cs__job_estimate;

/* The kind cs__runner_opts.probe_done is called with after each probe of a job: simulated (with
 * its wall seconds), reused (committed on disk), repeated (the search asked for a point it had
 * already decided) or shared (written from a sibling job's simulation, memo.c). */
enum { CS__PROBE_REPEATED, CS__PROBE_REUSED, CS__PROBE_SIMULATED, CS__PROBE_SHARED };

/* The most probes a job's search can take, and the cost of one probe (requests x replicas x
 * pipeline stages, 0 for an infeasible job): the units the progress estimate counts in. */
int cs__job_max_probes(const cs_sweep *s, const cs_sweep_job *j, const cs__runner_opts *o);
double cs__job_probe_cost(const cs_sweep *s, const cs_sweep_job *j);

/* Fills e's disk fields (estimate.c) from e->requests and e->max_probes, for probes of
 * `replicas` replicas, request_metrics.csv gzipped or not (--compress). */
void cs__job_disk_estimate(cs__job_estimate *e, int replicas, bool gzip);
/* e->cpu_s from e->requests, max_probes and siblings (estimate.c). */
void cs__job_cpu_estimate(cs__job_estimate *e, int stages, bool full_probes);

/* The remaining-work estimate of the progress line (eta.c): per job its probe cost and how
 * many probes it ran, and the seconds per unit learned from simulated probes. Not thread-safe:
 * the runner calls it inside its critical section. */
typedef struct cs__eta {
  size_t n;
  double *unit;      /* per job: one probe's cost, requests x replicas x stages x tokens */
  int *max_probes, *done;
  bool *open;        /* selected, feasible and not finished */
  double timed_units, timed_wall;
  int64_t timed;
  int threads;
  /* sibling groups (cs__eta_groups; NULL: each job its own): a group's jobs run one after
   * another on one thread, so at most one thread per open group is busy */
  size_t *group, ngroups;
  bool *gopen; /* scratch of cs__eta_fill, ngroups entries */
} cs__eta;

typedef struct cs__pred_slot {
  size_t model, cluster;
  int tp, pp;
  int ep, dp;          /* expert parallelism, data-parallel attention (0/1 none) */
  cs_predictor *pred;  /* NULL when creation failed (reason then marks the jobs infeasible) */
  char *error;
} cs__pred_slot;

struct cs_plan {
  cs_sweep *sweep;
  cs_sweep_jobs jobs;
  cs_catalog *catalog;
  const cs_model **models;      /* per sweep model */
  cs_model **owned_models;      /* loaded from a local config.json */
  const cs_device **devices;    /* per sweep cluster */
  const cs_network **networks;  /* per sweep cluster */
  double *prices;               /* $/GPU-hour per sweep cluster */
  cs_trace **traces;            /* per sweep trace, loaded and checked by cs__plan_load */
  size_t nviews;
  cs__trace_view *views;        /* distinct (trace, limit) pairs */
  size_t *job_view;             /* per job: index into views */
  size_t npreds;
  cs__pred_slot *preds;
  size_t *job_pred;             /* per job: index into preds */
  size_t *job_pred_decode;      /* per disaggregated job: the decode pool's predictor */
  double *cost;                 /* per job: estimated cost (0 for infeasible) */
  bool *selected;               /* per job: this process runs it (--shard) */
  char *config_json;
  char (*trace_sha1)[41];       /* per sweep trace: sha1 of its file ("" until loaded) */
  char inputs_sha1[41];         /* catalogs, model config.json, predictor params and data */
  cs__store_lock_t lock;        /* the output directory, held from cs__plan_run to release */
};
typedef struct cs_plan cs__plan;

/* False (and the job marked infeasible with the reason) when a parameter the sweep fills per job
 * (batch size x pp, max_seq_len) is outside the bounds the job's replica scheduler declares. */
bool cs__job_policy_params_fit(const cs_sweep *s, cs_sweep_job *j);
/* Parses and checks the sweep, expands it, resolves catalog entries, marks infeasible jobs
 * (TP vs heads, PP vs layers, memory); loads and checks the traces. Creates no predictor. */
int cs__plan_load(const cs__runner_opts *o, cs__plan *plan, cs_err *err);
void cs__plan_release(cs__plan *plan);
/* Expert-parallel jobs (ep_job.c): data-parallel attention ranks per replica (ep / tp, 1 without
 * EP); the feasibility check of a job with ep > 1 (marks it infeasible with its reason). */
int cs__job_attention_dp(const cs_sweep_job *j);
bool cs__ep_job_check(cs__plan *p, cs_sweep_job *j);
/* The price of one of a job's GPUs, $/GPU-hour (its GPU count: cs_plan_job_gpus). */
double cs__plan_job_price(const cs__plan *plan, const cs_sweep_job *j);

typedef struct cs__job_result {
  cs_job_status status;
  char *reason;            /* malloc'd */
  bool has_answer;
  double answer_qps;
  int answer_replicas;
  const char *answer_kind; /* static: "capacity", "lower_bound", "upper_bound" (num_replicas),
                              "vidur" (verdict: vidur), NULL without an answer (verdict.c) */
  double sustained_qps;    /* completions per second the answer's probe sustained (NAN: none) */
  int probes;              /* probes the search used (run or reused) */
  int probes_run, probes_reused;
  int probes_wasted;       /* speculative simulations the search did not use */
  int probes_redone;       /* committed probes found damaged or stale, simulated again */
  int probes_shared;       /* written from a sibling job's simulation (memo.c), not in probes_run */
  int probes_pruned;       /* run directories --keep-runs removed after the job (keep.c) */
} cs__job_result;

/* Runs the selected jobs, writing the output directory; CS_EINTR when stopped early (every
 * finished probe is committed). Failed jobs are counted in the summary, not an error. */
int cs__plan_run(cs__plan *plan, const cs__runner_opts *o, cs__runner_summary *sum, cs_err *err);
/* Marks the job directories under runs/ that are not jobs of this plan (an earlier sweep's, left
 * by --force) for analysis to leave out (cs__store_mark_other_jobs); returns their count. Call
 * with the directory open (cs__plan_open_store). */
size_t cs__plan_mark_other_jobs(const cs__plan *p, const cs__runner_opts *o);

/* The rows a job simulates (its trace, limited to its job's limit). */
const cs_trace *cs__plan_job_trace(const cs__plan *plan, const cs_sweep_job *j);
const cs__trace_view *cs__plan_job_view(const cs__plan *plan, const cs_sweep_job *j);

typedef struct cs__probe_seen {
  double qps;
  int replicas;
  bool pass;
} cs__probe_seen;
/* Removes the run directories --keep-runs does not keep for a finished job (keep.c); returns how
 * many it removed (those of probes pruned before are not counted again). */
int cs__prune_runs(const cs__runner_opts *o, const cs_sweep_job *j, cs_search_kind kind, const cs__job_result *res,
                   const cs__probe_seen *seen, size_t n);
/* --keep-runs answers|none, when the job's search is over (finished, failed or interrupted) and
 * cs__prune_runs has run: checks the files of every committed probe the job has left and makes
 * them durable (cs__store_settle_probes; they were written without syncs). CS_EIO naming a
 * damaged file: a rerun simulates that probe again. */
int cs__settle_runs(const cs__runner_opts *o, const cs_sweep_job *j, const cs__probe_seen *seen, size_t n,
                    cs_err *err);

/* ---- speculative search (spec.c) ----
 * When every job has started and threads sit idle, a job's thread queues the probes its search
 * may ask for next (both verdicts of the probe it is about to simulate, and theirs) as OpenMP
 * tasks; idle threads run them into memory. The job still commits probes in its own order
 * through the same code, so answers and run files equal the sequential search's; results not
 * asked for are discarded (counted as wasted) and their runs cancelled. */
typedef struct cs__spec_pool {
  int threads;
  _Atomic long unstarted, active, inflight; /* jobs not started, jobs running, queued/running probes */
} cs__spec_pool;
typedef struct cs__spec_job cs__spec_job;
typedef struct cs__memo cs__memo;
/* memo: the job's sibling group's (memo.c; NULL: none), whose probes are not speculated on */
cs__spec_job *cs__spec_begin(cs__spec_pool *pool, const cs__plan *plan, const cs__runner_opts *o,
                             const cs_sweep_job *j, const cs__memo *memo);
/* Before the job simulates the probe `s` awaits: queue its likely successors on idle threads. */
void cs__spec_ahead(cs__spec_job *sj, const cs__search *s, const cs__probe_seen *seen, size_t nseen);
/* The speculative result of probe p, waiting while it runs; false when none was queued (or it
 * was claimed back unstarted: the caller simulates it). */
bool cs__spec_take(cs__spec_job *sj, const cs__probe *p, cs_sim_result **res, double *wall, int *rc, cs_err *err);
/* Cancels what was not taken; returns the number of speculative simulations wasted. */
int cs__spec_end(cs__spec_job *sj);
int cs__probe_config(const cs__plan *plan, const cs__runner_opts *o, const cs_sweep_job *j, const cs__probe *pr,
                     cs_sim_config *c, cs_err *err);

/* ---- the probe memo of a sibling group (memo.c) ----
 * Jobs that differ only by their SLO ("siblings") simulate the same thing at the same
 * (replicas, qps): the SLO enters a simulation only as its early stop. The runner hands a
 * group's jobs to one thread, one after another, with a memo of the full results they
 * simulated; a job writes a probe from a memo result only where its own simulation would have
 * been that same full run (job.c, memo_serves), so no output depends on a hit. Results are
 * owned by the memo from cs__memo_put to cs__memo_free; cs__memo_find lends them. */
/* The most bytes of results a group's memo holds (per simulation thread). */
#define CS__MEMO_BUDGET_BYTES ((size_t)16 << 20)
cs__memo *cs__memo_new(size_t budget_bytes);
void cs__memo_free(cs__memo *m);
/* Whether cs__memo_put keeps results (off for a group's last job: nobody would read them). */
void cs__memo_storing(cs__memo *m, bool on);
/* The result memoized for probe pr (NULL when none), the wall seconds it took and the hash of
 * the job that simulated it. */
const cs_sim_result *cs__memo_find(const cs__memo *m, const cs__probe *pr, double *wall, const char **from);
/* Takes res, a full (not stopped early, not cancelled) simulation of probe pr; over the budget
 * the highest-QPS results are freed first. NULL m frees res. */
void cs__memo_put(cs__memo *m, const cs__probe *pr, cs_sim_result *res, double wall, const char *from);
size_t cs__memo_peak_bytes(const cs__memo *m);
/* A sibling's verdict on a memoized full result, as bits: CS__MEMO_PASS (cs__probe_record.pass
 * under its own SLO: what its search reports for that probe, whether it is served the result or
 * simulates it), CS__MEMO_SLO_PASS (.slo_pass: job.c serves the result itself), CS__MEMO_TOO_SHORT
 * (.too_short: a failing probe that does not settle the job's conclusion). */
enum { CS__MEMO_PASS = 1, CS__MEMO_SLO_PASS = 2, CS__MEMO_TOO_SHORT = 4 };
typedef unsigned (*cs__memo_verdict_fn)(void *ctx, size_t reader, const cs_sim_result *res);
/* The group's jobs in run order as the memo's readers: reader r's search parameters sp[r]
 * (borrowed) and verdict(ctx, r, result). From then on the memo keeps only the results some
 * reader not yet finished will read (memo.c), after every cs__memo_put and cs__memo_done_before;
 * a result put is the first unfinished reader's (the one running). */
void cs__memo_readers(cs__memo *m, const cs__search_params *sp, size_t n, cs__memo_verdict_fn verdict, void *ctx);
/* --full-probes: every held result a reader's search reaches is served to it, failing ones too
 * (job.c memo_serves), so none is freed as superseded by a nearer full failure. */
void cs__memo_serves_all(cs__memo *m, bool on);
/* Readers 0..first-1 have finished: frees what only they would have read. */
void cs__memo_done_before(cs__memo *m, size_t first);
/* Job j's verdict on a full simulation result, as its probe would record it (job.c). */
void cs__result_verdict(const cs__plan *plan, const cs_sweep_job *j, const cs_sim_result *res,
                        struct cs__probe_record *v);
/* The search parameters of job j's capacity search (job.c). */
void cs__job_search_params(const cs__plan *plan, const cs__runner_opts *o, const cs_sweep_job *j,
                           cs__search_params *sp);
/* The heap bytes one result holds. */
size_t cs__sim_result_bytes(const cs_sim_result *r);
/* Whether two jobs differ only by their SLO (and what names them: index, key, hash). */
bool cs__jobs_siblings(const cs_sweep_job *a, const cs_sweep_job *b);
/* cs__run_job with its group's memo (NULL: none, as cs__run_job); res->probes_shared counts
 * the probes written from a sibling's simulation (not in *probes_run). */
void cs__run_job_memo(const cs__plan *plan, const cs__runner_opts *o, size_t job, double t0, cs__memo *memo,
                      cs__job_result *res, int64_t *probes_run, int64_t *probes_reused);

/* ---- internal cross-file helpers ---- */
struct cs__probe_record;
struct cs_sbuf;
/* A probe's verdict from its completed requests (verdict.c): pass, slo_pass, kept_up, ... */
void cs__probe_verdict(const cs_sweep *s, const cs_sweep_job *j, const cs_request_record *recs, size_t n,
                       int64_t arrived, struct cs__probe_record *rec);
/* Why a probe failed, one clause: "P99 request_e2e_time 75 s > 60 s at qps 0.25 (8 replicas)". */
void cs__probe_describe_miss(const cs_sweep *s, const cs_sweep_job *j, const struct cs__probe_record *r,
                             struct cs_sbuf *sb);
/* The answer is a lower bound (qps) or upper bound (replicas), not a measured limit. */
bool cs__answer_is_bound(const cs__job_result *r);
/* A finished search's status, answer kind and reason from its probes' records. */
void cs__job_conclude(const cs__plan *plan, const cs_sweep_job *j, const struct cs__probe_record *v, size_t n,
                      cs__job_result *res);
/* Loads every trace of the sweep and builds the per-job views (traces.c); errors name the
 * sweep file's line and the trace file. */
int cs__plan_load_traces(cs__plan *plan, cs_err *err);
void cs__plan_release_traces(cs__plan *plan);
int cs__plan_prepare(cs__plan *plan, const cs__runner_opts *o, cs_err *err); /* traces + predictors */
/* eta.c, after cs__plan_prepare (it reads the traces' token counts) */
void cs__eta_init(cs__eta *e, const cs__plan *p, const cs__runner_opts *o, const size_t *ord, size_t nsel,
                  int threads);
void cs__eta_probe(cs__eta *e, size_t ji, bool simulated, double wall_s);
void cs__eta_job_done(cs__eta *e, size_t ji);
/* The runner's sibling groups: jobs grouped[start[g]..start[g + 1]) form group g. */
void cs__eta_groups(cs__eta *e, const size_t *grouped, const size_t *start, size_t ngroups);
/* eta_s, probes_left, probes_timed, parallel and stopping of prog */
void cs__eta_fill(const cs__eta *e, cs__progress *prog, bool stopping);
void cs__eta_free(cs__eta *e);
/* sha1s of what decides a probe besides job.json (inputs.c), and the key of a probe. */
int cs__plan_digest_inputs(cs__plan *plan, const cs__runner_opts *o, cs_err *err);
int cs__plan_digest_trace(cs__plan *plan, size_t trace, cs_err *err);
void cs__probe_key(const cs__plan *plan, const cs__runner_opts *o, const cs_sweep_job *j, char key[41]);
/* Takes the output directory (exclusive, or shared for --shard/MPI), then cs__store_open. */
int cs__plan_open_store(cs__plan *plan, const cs__runner_opts *o, bool shared, cs_err *err);
void cs__run_job(const cs__plan *plan, const cs__runner_opts *o, size_t job, double t0, cs__job_result *res,
                 int64_t *probes_run, int64_t *probes_reused);
char *cs__job_json(const cs__plan *plan, const cs__runner_opts *o, const cs_sweep_job *j);
/* job.json without what only steers the search (the expansion index, iterations, granularity,
 * minimum QPS): the text a probe key hashes. */
char *cs__job_deciding_json(const cs__plan *plan, const cs__runner_opts *o, const cs_sweep_job *j);
char *cs__results_csv(const cs__plan *plan, const cs__job_result *res);
/* The selected jobs' indices, longest estimated cost first, ties by expansion index (the
 * order every runner hands jobs out in); malloc'd, *n set to the count. */
size_t *cs__job_order(const cs__plan *plan, size_t *n);
double cs__wall_now(void);
/* A probe's simulation and its outputs, aggregated or disaggregated (disagg_probe.c). */
int cs__probe_simulate(const cs__plan *plan, const cs_sweep_job *j, const cs_sim_config *cfg, cs_sim_result **res,
                       cs_err *err);
int cs__probe_write(const cs__plan *plan, const cs_sweep_job *j, const cs_sim_result *res, const cs_sim_config *cfg,
                    const char *dir, const cs_sim_write_opts *wo, cs_err *err);

#endif
