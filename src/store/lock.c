/* Who may write an output directory (see store.h): one process alone, or a group of processes
 * that split the jobs between them (--shard, MPI ranks). An flock on out/.lock held for the
 * life of the process says which: exclusive for a lone run, shared for the group. The kernel
 * drops the lock when the process dies, so a killed run never blocks the next one. The lock
 * file's text names the last holder (pid, host, start time) for the message of a refused run;
 * a line whose process has ended (a kill -9, a shard member that ended first) is called stale. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "util/fs.h"

static void write_holder(int fd, const char *mode) {
  char host[256] = "?";
  if (gethostname(host, sizeof host - 1) != 0) snprintf(host, sizeof host, "?");
  host[sizeof host - 1] = '\0';
  time_t now = time(NULL);
  struct tm tm;
  char when[64] = "?";
  if (gmtime_r(&now, &tm)) strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  char line[512];
  int n = snprintf(line, sizeof line, "pid %ld on host %s, started %s, %s\n", (long)getpid(), host, when, mode);
  if (n <= 0) return;
  if (ftruncate(fd, 0) != 0) return;
  ssize_t w = pwrite(fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1, 0);
  (void)w;
}

/* Whether the holder line names a process that has ended: its host is this one and no process
 * has its pid (a kill -9 leaves its line behind; a --shard member that ends while others still
 * share the lock cannot clear it). Another host's process cannot be checked from here. */
static bool holder_ended(const char *line) {
  long pid = 0;
  char host[256] = "", mine[256] = "";
  if (sscanf(line, "pid %ld on host %255[^,],", &pid, host) != 2 || pid <= 0) return false;
  if (gethostname(mine, sizeof mine - 1) != 0 || strcmp(host, mine)) return false;
  return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* The holder line of the lock file, without its newline ("holder unknown" when empty), saying
 * so when the process it names has ended: whoever holds the lock now did not record itself. */
static void read_holder(int fd, char *buf, size_t size) {
  ssize_t n = pread(fd, buf, size - 1, 0);
  if (n <= 0) n = 0;
  buf[n] = '\0';
  char *nl = strchr(buf, '\n');
  if (nl) *nl = '\0';
  if (!buf[0]) snprintf(buf, size, "holder unknown");
  else if (holder_ended(buf)) {
    size_t k = strlen(buf);
    snprintf(buf + k, size - k, "; stale: that process has ended, the holder now is one that did not record itself");
  }
}

static int busy(const char *out, int fd, bool shared, cs_err *err) {
  char who[300];
  read_holder(fd, who, sizeof who);
  return cs_err_set(err, CS_EUSAGE,
                    "%s is in use by another capsearch run (%s); only one run may write an output directory "
                    "(%s): wait for it to finish, add --wait to queue behind it, or use another --output-dir",
                    out, who,
                    shared ? "--shard and MPI runs share one with each other, never with a run without --shard"
                           : "--shard and MPI runs share one with each other");
}

static int open_lock(const char *out, const char *name, int *fd, cs_err *err) {
  char *p = cs__path_join(out, name);
  struct stat st;
  if (lstat(p, &st) == 0 && !S_ISREG(st.st_mode)) {
    int rc = cs_err_set(err, CS_EUSAGE, "%s: not a regular file (capsearch never follows links inside its output "
                                        "directory); remove it", p);
    free(p);
    return rc;
  }
  *fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  int e = errno;
  free(p);
  if (*fd < 0) return cs_err_set(err, CS_EIO, "%s/%s: cannot open: %s", out, name, strerror(e));
  return 0;
}

/* flock without blocking: 0 when taken, 1 when another holds it, -1 on another error. */
static int try_take(int fd, int op) {
  int r;
  do r = flock(fd, op | LOCK_NB);
  while (r != 0 && errno == EINTR);
  return r == 0 ? 0 : errno == EWOULDBLOCK ? 1 : -1;
}

/* flock, waiting only when w is given: 0 when taken, 1 when busy (another holds it and w is
 * NULL, or flock failed), 2 when w->stop was set while waiting. The wait polls rather than
 * blocks in flock, so that a signal (whose handler only sets the flag) ends it at once; w->told
 * hears once, before the first wait, who holds the lock: "<what> (<holder line>)<then>". */
static int take_waiting(int fd, int op, const cs__store_waiter *w, const char *what, const char *then) {
  for (bool told = false;;) {
    int r = try_take(fd, op);
    if (r <= 0) return r == 0 ? 0 : 1;
    if (!w) return 1;
    if (w->stop && *w->stop) return 2;
    if (!told && w->told) {
      char who[300], line[CS_ERR_MSG_MAX];
      read_holder(fd, who, sizeof who);
      snprintf(line, sizeof line, "%s (%s)%s", what, who, then);
      w->told(w->ctx, line);
    }
    told = true;
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}

/* A member of a shard/MPI group that starts while another member briefly holds the lock
 * exclusively (sweeping up a killed writer's leftovers) must not be refused: it retries the
 * shared lock for up to 30 s unless the holder is a lone run, which holds it for its whole life. */
static int take_shared_after_sweeper(int fd) {
  for (int tries = 0; tries < 600; tries++) {
    char who[300];
    read_holder(fd, who, sizeof who);
    if (strstr(who, "writing alone") && !strstr(who, "; stale:")) return -1;
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    if (try_take(fd, LOCK_SH) == 0) return 0;
  }
  return -1;
}

static int stopped(const char *out, int fd, cs_err *err) {
  char who[300];
  read_holder(fd, who, sizeof who);
  return cs_err_set(err, CS_EINTR, "interrupted while waiting for %s (in use by another capsearch run: %s); "
                                   "nothing was written", out, who);
}

int cs__store_lock_wait(const char *out, cs__store_lock_mode mode, const cs__store_waiter *w, cs__store_lock_t *lk,
                        cs_err *err) {
  lk->fd = -1;
  int rc = cs__mkdir_p(out, err), r;
  if (rc || (rc = open_lock(out, ".lock", &lk->fd, err))) return rc;
  char what[CS_ERR_MSG_MAX / 2];
  snprintf(what, sizeof what, "%s is in use by another capsearch run", out);
  if (mode == CS_STORE_LOCK_EXCLUSIVE) {
    if ((r = take_waiting(lk->fd, LOCK_EX, w, what, "")) != 0) {
      rc = r == 2 ? stopped(out, lk->fd, err) : busy(out, lk->fd, false, err);
      goto fail;
    }
    cs__store_remove_tmp_files(out);
    write_holder(lk->fd, "writing alone");
    return 0;
  }
  /* shared: the first of the group sweeps up leftovers of killed writers, while it is alone */
  if (try_take(lk->fd, LOCK_EX) == 0) {
    write_holder(lk->fd, "sharing it with --shard or MPI ranks");
    cs__store_remove_tmp_files(out);
  }
  if ((r = take_waiting(lk->fd, LOCK_SH, w, what, "")) != 0 && (r == 2 || take_shared_after_sweeper(lk->fd) != 0)) {
    rc = r == 2 ? stopped(out, lk->fd, err) : busy(out, lk->fd, true, err);
    goto fail;
  }
  char who[300]; /* a member that ended (or was killed) left its line: the group is named by a live one */
  read_holder(lk->fd, who, sizeof who);
  if (strstr(who, "; stale:")) write_holder(lk->fd, "sharing it with --shard or MPI ranks");
  return 0;
fail:
  close(lk->fd);
  lk->fd = -1;
  return rc;
}

int cs__store_lock(const char *out, cs__store_lock_mode mode, bool wait, cs__store_lock_t *lk, cs_err *err) {
  static const cs__store_waiter forever = {NULL, NULL, NULL};
  return cs__store_lock_wait(out, mode, wait ? &forever : NULL, lk, err);
}

/* runs/<hash>/.lock, exclusive while one process runs the job (see store.h). The file stays
 * (empty once released), so that a directory is the same whoever ran its jobs. */
int cs__store_lock_job(const char *job_dir, const cs__store_waiter *w, cs__store_lock_t *lk, cs_err *err) {
  lk->fd = -1;
  int rc = cs__mkdir_p(job_dir, err);
  if (rc || (rc = open_lock(job_dir, ".lock", &lk->fd, err))) return rc;
  char what[CS_ERR_MSG_MAX / 2];
  snprintf(what, sizeof what, "%s: the job is being run by another capsearch process", job_dir);
  int r = take_waiting(lk->fd, LOCK_EX, w, what, "; its committed probes are reused once it ends");
  if (r == 0) {
    write_holder(lk->fd, "running this job");
    return 0;
  }
  char who[300];
  read_holder(lk->fd, who, sizeof who);
  rc = r == 2 ? cs_err_set(err, CS_EINTR, "interrupted while waiting for %s (run by %s)", job_dir, who)
              : cs_err_set(err, CS_EIO, "%s/.lock: cannot lock (held by %s): %s", job_dir, who, strerror(errno));
  close(lk->fd);
  lk->fd = -1;
  return rc;
}

/* The last holder leaves the lock file empty, so a finished directory is the same whoever ran it. */
void cs__store_unlock(cs__store_lock_t *lk) {
  if (!lk || lk->fd < 0) return;
  if (flock(lk->fd, LOCK_EX | LOCK_NB) == 0 && ftruncate(lk->fd, 0) != 0) {
    /* an unremovable holder line only makes a later refusal name a finished run */
  }
  close(lk->fd);
  lk->fd = -1;
}
