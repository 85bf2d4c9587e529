/* The output directory (SPEC §9, vidur-semantics.md §7.4), docs/sweep.md describes it:
 *   out/args.json, out/config.json, out/results.csv
 *   out/runs/<hash>/job.json
 *   out/runs/<hash>/r<R>_q<qps>/output.log
 *   out/runs/<hash>/r<R>_q<qps>/<timestamp>/{config.json, request_metrics.csv[.gz], plots/}
 *   out/runs/<hash>/r<R>_q<qps>/probe.json      completion marker, written last
 * A probe directory without probe.json is incomplete: its partial contents are removed and the
 * probe runs again. probe.json and job.json carry a format name and version so that a newer
 * reader refuses an older layout instead of misreading it.
 *
 * Ownership: paths returned as char * are malloc'd (caller frees); records are plain values. */
#ifndef CS_STORE_STORE_H
#define CS_STORE_STORE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "capsearch/error.h"

#define CS_STORE_PROBE_FORMAT "capsearch-probe"
#define CS_STORE_JOB_FORMAT "capsearch-job"
#define CS_STORE_VERSION 1

/* One writer per output directory (lock.c). A lone run takes out/.lock exclusively; the
 * processes of one --shard or MPI run share it. A run that cannot take it fails at once with
 * CS_EUSAGE and a message naming the holder (pid, host, start time), or waits when `wait`.
 * Whoever holds the directory alone removes leftovers of interrupted atomic writes in out/.
 * The lock lasts until cs__store_unlock or the end of the process. */
typedef enum cs__store_lock_mode { CS_STORE_LOCK_EXCLUSIVE, CS_STORE_LOCK_SHARED } cs__store_lock_mode;
typedef struct cs__store_lock_t {
  int fd; /* -1 when not held */
} cs__store_lock_t;
int cs__store_lock(const char *out, cs__store_lock_mode mode, bool wait, cs__store_lock_t *lk, cs_err *err);
/* How a lock is waited for: until it is free, or until *stop (set by a signal handler; NULL =
 * never) is set, which ends the wait at once with CS_EINTR (nothing written). told (NULL = none)
 * hears once, before waiting, what is held and by whom (the holder's pid, host, start time). */
typedef struct cs__store_waiter {
  const volatile sig_atomic_t *stop;
  void (*told)(void *ctx, const char *what);
  void *ctx;
} cs__store_waiter;
/* cs__store_lock waiting as w says (NULL: refused at once, CS_EUSAGE). */
int cs__store_lock_wait(const char *out, cs__store_lock_mode mode, const cs__store_waiter *w, cs__store_lock_t *lk,
                        cs_err *err);
/* One process at a time per job, also within a --shard or MPI group (shards overlap when one is
 * rerun while it still runs, or with another N): an exclusive flock on runs/<hash>/.lock held
 * while the job runs. Another process waits as w says (then replays what the holder
 * committed); NULL: CS_EIO when held. Released with cs__store_unlock. */
int cs__store_lock_job(const char *job_dir, const cs__store_waiter *w, cs__store_lock_t *lk, cs_err *err);
void cs__store_unlock(cs__store_lock_t *lk);
/* Removes "<name>.tmp-XXXXXX" leftovers of atomic writes in dir (call only while alone). */
void cs__store_remove_tmp_files(const char *dir);

/* The settings of a run that change a probe's outcome, written by the store alone: to
 * config.json as "run": {time_limit_min (minutes, %.17g), seed} and to job.json as
 * "search": {time_limit_s (seconds, shortest round-trip), seed}. The names and forms are those
 * of every earlier output directory (which must keep resuming); a time limit that is not a
 * number is null in both. */
typedef struct cs__store_run {
  double time_limit_s; /* simulated seconds per simulation */
  uint64_t seed;
} cs__store_run;

/* out/args.json: the resolved command line of the last run into the directory (read by people
 * and by Vidur's scripts; nothing resumes from it). */
typedef struct cs__store_args {
  const char *capsearch_version, *config, *output_dir, *cache_dir, *config_dir;
  const char *keep_runs; /* "all", "answers", "none" */
  const char *shard;     /* "i/N", NULL: absent (not sharded) */
  double time_limit_s;   /* written in minutes, as --time-limit takes it */
  int num_threads, max_iterations;
  double min_search_granularity, min_qps, wall_budget_s;
  bool has_seed;         /* false: "seed": null (the sweep's seed) */
  uint64_t seed;
  bool dry_run, compress, force, full_probes;
  double sweep_wall_s;   /* < 0: absent (the run has not ended) */
} cs__store_args;
char *cs__store_args_json(const cs__store_args *a);

/* out/config.json's text: the members of sweep_json (the sweep as normalised JSON, a JSON
 * object) followed by "run". CS_EPARSE when sweep_json is not one JSON object. */
int cs__store_config_json(const char *sweep_json, const cs__store_run *run, char **out, cs_err *err);

/* Creates out/ and out/runs/ and writes config.json (call with the lock held). When
 * out/config.json exists with different content the directory holds another sweep: CS_EEXIST
 * unless `force`. A symbolic link at out/runs is refused. */
int cs__store_open(const char *out, const char *config_json, bool force, cs_err *err);
/* Writes out/<name> atomically (args.json, results.csv). */
int cs__store_write_top(const char *out, const char *name, const char *text, cs_err *err);

/* out/runs/<hash> and out/runs/<hash>/r<R>_q<qps> (qps as Python repr: q4.0, q5.5). */
char *cs__store_job_dir(const char *out, const char *hash);
char *cs__store_probe_dir(const char *out, const char *hash, int replicas, double qps);
/* Vidur-shaped, deterministic name of a probe's result directory: the probe's ordinal within
 * its job's search in the microseconds field, "1970-01-01_00-00-00-000003" (so names sort in
 * probe order and reruns are byte-identical). */
void cs__store_timestamp_name(int probe_no, char buf[32]);

/* Writes job.json (text made by the runner, which must carry format/version) unless an
 * identical one is there; also removes stale temporary files in the job directory. */
int cs__store_write_job(const char *job_dir, const char *json, cs_err *err);

/* runs/<hash>/key.json: {format, version, key}, the key (a probe's, below) under which the sweep
 * now in the directory decides the job's probes. A probe whose probe.json records another key
 * was decided by other inputs (an earlier sweep replaced with --force, an edited trace): a resume
 * simulates it again when the search asks for it, and analysis does not count it. Written (unless
 * identical) before the job's first probe. */
#define CS_STORE_KEY_FORMAT "capsearch-job-key"
#define CS_STORE_KEY_FILE "key.json"
/* key NULL: "key": null, the directory holds no job of the sweep now in out/ */
int cs__store_write_job_key(const char *job_dir, const char *key, cs_err *err);
/* Gives every job directory under out/runs/ whose hash `ours` does not know (jobs of an earlier
 * sweep, before --force) a key.json with "key": null, so analysis leaves it out; nothing is
 * removed. Returns how many such directories there are. */
size_t cs__store_mark_other_jobs(const char *out, bool (*ours)(void *ctx, const char *hash), void *ctx);

typedef struct cs__probe_record {
  double qps;
  int replicas;
  bool pass;
  double value;          /* the SLO value (quantile of the metric, or fraction meeting them) */
  int64_t completed, arrived, events;
  double end_time;       /* simulated seconds */
  bool hit_time_limit;
  bool stopped_early;    /* the simulation stopped once the verdict was a certain fail */
  char timestamp_dir[32];
  /* the verdict's parts (docs/sweep.md "Verdict"); a probe.json without them (older writers)
   * reads as slo_pass = pass, kept_up = true, the rest NAN / false */
  bool slo_pass;         /* the SLO alone held */
  bool kept_up;          /* completions kept pace with arrivals (or not checked: verdict vidur) */
  bool too_short;        /* not kept up and the arrival window too short to tell */
  double keepup_ratio;   /* completions / arrivals over the second half of the arrival window */
  double window_s;       /* arrival span */
  double sustained_qps;  /* completions per second over the second half of the arrival window */
  double median_e2e;
  char key[41];          /* sha1 of everything that decides the probe (job.json and inputs); "" = none */
  bool pruned;           /* its files were deleted on purpose (cs__store_prune_probe) */
} cs__probe_record;

/* Checks probe.json's text against the digest it ends with (the sha1 of the text without that
 * last member, which cs__store_write_probe* append): 0 when it matches, -1 when it does not (an
 * edited or damaged marker), 1 when has_digest is false (a probe.json written before probe.json
 * carried one: its verdict is taken as written). */
int cs__store_probe_digest(const char *text, size_t len, bool has_digest);
/* Checks every run file a loaded probe.json (d) lists, as cs__store_read_probe does: CS_EIO
 * naming the first that is missing, of another size or content, or not a regular file (files.c).
 * For readers of probe.json other than the store, e.g. the analysis. */
struct cs_ydoc;
int cs__store_files_verify(const struct cs_ydoc *d, const char *probe_dir, cs_err *err);
/* 0 and the record when probe.json exists and every file it lists is there with its recorded
 * size and sha1; CS_ENOENT when it does not exist; CS_EFORMAT when it was written by another
 * format version; CS_EPARSE when it is unreadable (truncated, say); CS_EIO naming the first
 * missing or damaged file, or probe.json itself when its digest does not match (the probe must
 * be simulated again). */
int cs__store_read_probe(const char *probe_dir, cs__probe_record *rec, cs_err *err);
/* The completion marker: probe.json, atomically, after everything else of the probe. It lists
 * every file then under probe_dir (but output.log) with size and sha1 (none when rec->pruned). */
int cs__store_write_probe(const char *probe_dir, const cs__probe_record *rec, cs_err *err);
/* The same, taking the size and sha1 of the files under probe_dir/<sub>/ that their writer
 * recorded while writing them (util/sha1.h cs__digests, names relative to sub) instead of
 * reading them back; a file it does not name, or of another size now, is read and hashed. */
struct cs__digests;
int cs__store_write_probe_digests(const char *probe_dir, const cs__probe_record *rec, const char *sub,
                                  const struct cs__digests *dig, cs_err *err);
/* --keep-runs answers|none: the same probe.json written and renamed into place without any sync
 * (its run files were written with cs_sim_write_opts.no_sync). Not durable: a crash may lose or
 * damage it or its files, which the next read of the probe detects (digest, sizes, sha1s) and
 * the probe is simulated again. cs__store_settle_probes makes what is kept durable. */
int cs__store_write_probe_lazy(const char *probe_dir, const cs__probe_record *rec, const char *sub,
                               const struct cs__digests *dig, cs_err *err);
/* Makes committed probes durable once their job has finished: each probe.json is read and every
 * file it lists checked (size and sha1: the pages are still cached) as cs__store_read_probe
 * does, then probe.json and the files are synced in one pass (writeback started for all, then
 * fdatasync), then their directories, deepest first, and each probe directory. The first probe
 * that fails the check is CS_EIO naming the file (nothing of it is synced; a rerun simulates it
 * again). */
int cs__store_settle_probes(char *const *probe_dirs, size_t n, cs_err *err);
/* Deletes a committed probe's result files on purpose (a keep-only-answers policy) so that a
 * resume still reuses its verdict: probe.json is first rewritten with pruned = true and an
 * empty file list, then everything but probe.json and output.log is removed. */
int cs__store_prune_probe(const char *probe_dir, cs_err *err);
/* cs__store_prune_probe without reading back the files about to go (probe.json's digest is
 * checked) and without syncing the pruned probe.json (cs__store_settle_probes does after); a
 * probe pruned before is left as it is, *was_pruned set. */
int cs__store_prune_probe_lazy(const char *probe_dir, cs__probe_record *rec, bool *was_pruned, cs_err *err);
/* Removes everything in an uncommitted probe directory except output.log. */
int cs__store_clean_probe(const char *probe_dir, cs_err *err);
/* Appends one line to <probe_dir>/output.log with a single write (O_APPEND). */
int cs__store_log(const char *probe_dir, const char *line, cs_err *err);

#endif
