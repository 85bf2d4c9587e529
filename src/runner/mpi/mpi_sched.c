/* Job distribution over MPI ranks (docs/scaling.md). Every rank runs one OpenMP team: thread 0
 * is the communicator, the only thread that calls MPI (so MPI_THREAD_FUNNELED suffices), and
 * threads 1..T run whole jobs with cs__run_job. Job threads and the communicator meet in a
 * mailbox (a mutex, a condition variable, a queue of job indices to run and a list of finished
 * results). The communicator polls: MPI_Iprobe for messages, the mailbox for idle job threads
 * and finished results, and naps a millisecond when nothing happened (jobs last seconds, so
 * the latency costs nothing and the polling thread costs no core).
 *
 * Rank 0's communicator owns the job order (longest first) and serves both its own job threads
 * and the requests of the other ranks, one job per request, so a rank with idle threads pulls
 * work and load balances itself dynamically. A worker rank keeps at most one request in
 * flight, sends each finished job's result back, and says BYE once it has been told there are
 * no more jobs (or was stopped by a signal) and its threads are done. Rank 0 ends when every
 * other rank said BYE and its own threads are done. If the team is smaller than asked for
 * (OMP_THREAD_LIMIT), the communicator runs the jobs itself between polls. */
#include <mpi.h>
#include <omp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runner/mpi/mpi_int.h"
#include "store/store.h"
#include "util/sbuf.h"

typedef struct done_item {
  size_t job;
  int rank;
  cs__job_result r;
  int64_t run, reused;
} done_item;

typedef struct mailbox {
  pthread_mutex_t mu;
  pthread_cond_t cv;    /* a job was queued or no_more was set */
  CS__VEC(size_t) queue;
  size_t qhead;
  int idle;             /* job threads waiting for a job */
  int active;           /* job threads that have not exited */
  bool no_more;         /* no job will be queued any more */
  CS__VEC(done_item) done;
} mailbox;

static size_t queued(const mailbox *mb) { return mb->queue.n - mb->qhead; }

/* A job thread: the next job, or false when there is none and there will be none. */
static bool mb_take(mailbox *mb, size_t *job) {
  bool got = false;
  pthread_mutex_lock(&mb->mu);
  for (;;) {
    if (queued(mb)) {
      *job = mb->queue.v[mb->qhead++];
      got = true;
      break;
    }
    if (mb->no_more) break;
    mb->idle++;
    pthread_cond_wait(&mb->cv, &mb->mu);
    mb->idle--;
  }
  if (!got) mb->active--;
  pthread_mutex_unlock(&mb->mu);
  return got;
}

static void mb_put(mailbox *mb, const done_item *it) {
  pthread_mutex_lock(&mb->mu);
  cs__vec_push(&mb->done, *it);
  pthread_mutex_unlock(&mb->mu);
}

static void run_one(cs__mpi_ctx *c, size_t job, done_item *it) {
  *it = (done_item){.job = job, .rank = c->rank};
  cs__run_job(c->plan, c->o, job, c->t0, &it->r, &it->run, &it->reused);
}

static void job_thread(cs__mpi_ctx *c, mailbox *mb) {
  size_t job;
  while (mb_take(mb, &job)) {
    done_item it;
    run_one(c, job, &it);
    mb_put(mb, &it);
  }
}

/* The communicator running a job itself (a team of one thread). */
static bool self_run(cs__mpi_ctx *c, mailbox *mb, bool self) {
  if (!self) return false;
  size_t job;
  pthread_mutex_lock(&mb->mu);
  bool got = queued(mb) > 0;
  if (got) job = mb->queue.v[mb->qhead++];
  pthread_mutex_unlock(&mb->mu);
  if (!got) return false;
  done_item it;
  run_one(c, job, &it);
  mb_put(mb, &it);
  return true;
}

/* Jobs wanted now: idle job threads (plus the communicator itself when it works) minus jobs
 * already queued for them. Called with the lock held. */
static int demand(const mailbox *mb, bool self) {
  int d = mb->idle + (self && !mb->no_more ? 1 : 0) - (int)queued(mb);
  return d > 0 ? d : 0;
}

static void set_no_more(mailbox *mb) {
  mb->no_more = true;
  pthread_cond_broadcast(&mb->cv);
}

/* Moves the finished results out of the mailbox; true when this rank's threads are all done
 * (nothing queued, nothing running, nothing left to forward). */
static bool drain(mailbox *mb, done_item **items, size_t *n) {
  pthread_mutex_lock(&mb->mu);
  *items = mb->done.v;
  *n = mb->done.n;
  mb->done.v = NULL;
  mb->done.n = mb->done.cap = 0;
  bool done = mb->active == 0 && mb->no_more && queued(mb) == 0;
  pthread_mutex_unlock(&mb->mu);
  return done;
}

static void nap(void) {
  struct timespec ts = {0, 1000000};
  nanosleep(&ts, NULL);
}

static bool stopping(const cs__mpi_ctx *c) {
  if (c->o->stop && *c->o->stop) return true;
  return c->o->wall_budget_s > 0 && cs__wall_now() - c->t0 > c->o->wall_budget_s;
}

/* ---- result messages: MPI_Pack, so ranks of different byte orders would still agree ---- */

static void pack_result(const done_item *it, char **buf, int *len) {
  int n1, n2, n3, n4, pos = 0;
  int rlen = it->r.reason ? (int)strlen(it->r.reason) : -1;
  MPI_Pack_size(3, MPI_LONG_LONG, MPI_COMM_WORLD, &n1);
  MPI_Pack_size(7, MPI_INT, MPI_COMM_WORLD, &n2);
  MPI_Pack_size(1, MPI_DOUBLE, MPI_COMM_WORLD, &n3);
  MPI_Pack_size(rlen > 0 ? rlen : 0, MPI_CHAR, MPI_COMM_WORLD, &n4);
  int cap = n1 + n2 + n3 + n4;
  *buf = cs__xmalloc((size_t)cap);
  long long ll[3] = {(long long)it->job, (long long)it->run, (long long)it->reused};
  int in[7] = {(int)it->r.status, it->r.has_answer, it->r.answer_replicas, it->r.probes, it->r.probes_run,
               it->r.probes_reused, rlen};
  MPI_Pack(ll, 3, MPI_LONG_LONG, *buf, cap, &pos, MPI_COMM_WORLD);
  MPI_Pack(in, 7, MPI_INT, *buf, cap, &pos, MPI_COMM_WORLD);
  MPI_Pack(&it->r.answer_qps, 1, MPI_DOUBLE, *buf, cap, &pos, MPI_COMM_WORLD);
  if (rlen > 0) MPI_Pack(it->r.reason, rlen, MPI_CHAR, *buf, cap, &pos, MPI_COMM_WORLD);
  *len = pos;
}

static void recv_result(int src, done_item *it) {
  MPI_Status st;
  int len = 0, pos = 0;
  MPI_Probe(src, CS__MPI_TAG_RESULT, MPI_COMM_WORLD, &st);
  MPI_Get_count(&st, MPI_PACKED, &len);
  char *buf = cs__xmalloc(len > 0 ? (size_t)len : 1);
  MPI_Recv(buf, len, MPI_PACKED, src, CS__MPI_TAG_RESULT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  long long ll[3];
  int in[7];
  *it = (done_item){.rank = src};
  MPI_Unpack(buf, len, &pos, ll, 3, MPI_LONG_LONG, MPI_COMM_WORLD);
  MPI_Unpack(buf, len, &pos, in, 7, MPI_INT, MPI_COMM_WORLD);
  MPI_Unpack(buf, len, &pos, &it->r.answer_qps, 1, MPI_DOUBLE, MPI_COMM_WORLD);
  it->job = (size_t)ll[0];
  it->run = ll[1];
  it->reused = ll[2];
  it->r.status = (cs_job_status)in[0];
  it->r.has_answer = in[1] != 0;
  it->r.answer_replicas = in[2];
  it->r.probes = in[3];
  it->r.probes_run = in[4];
  it->r.probes_reused = in[5];
  if (in[6] >= 0) {
    it->r.reason = cs__xmalloc((size_t)in[6] + 1);
    if (in[6] > 0) MPI_Unpack(buf, len, &pos, it->r.reason, in[6], MPI_CHAR, MPI_COMM_WORLD);
    it->r.reason[in[6]] = '\0';
  }
  free(buf);
}

/* ---- rank 0 ---- */

typedef struct root_state {
  cs__progress prog;
  double done_cost, total_cost;
  double last_progress, last_results;
} root_state;

static void report(cs__mpi_ctx *c, root_state *st, bool final) {
  const cs__runner_opts *o = c->o;
  if (!o->progress) return;
  double now = cs__wall_now();
  if (!final && now - st->last_progress < o->progress_interval_s) return;
  st->last_progress = now;
  st->prog.elapsed_s = now - c->t0;
  st->prog.eta_s = -1;
  if (st->done_cost > 0 && st->total_cost > st->done_cost)
    st->prog.eta_s = st->prog.elapsed_s * (st->total_cost - st->done_cost) / st->done_cost;
  else if (st->done_cost >= st->total_cost)
    st->prog.eta_s = 0;
  st->prog.final = final;
  o->progress(o->progress_ctx, &st->prog);
}

static void record(cs__mpi_ctx *c, root_state *st, done_item *it) {
  if (it->job >= c->plan->jobs.n) { /* cannot happen between ranks of one binary */
    free(it->r.reason);
    return;
  }
  free(c->res[it->job].reason);
  c->res[it->job] = it->r;
  c->owner[it->job] = it->rank;
  c->probes_run += it->run;
  c->probes_reused += it->reused;
  st->prog.jobs_done += it->r.status != CS_JOB_PENDING;
  st->prog.jobs_failed += it->r.status == CS_JOB_FAILED;
  st->prog.probes_run += it->run;
  st->prog.probes_reused += it->reused;
  st->done_cost += c->plan->cost[it->job];
  report(c, st, false);
  /* like the one-process runner: results.csv shows the answers so far every few seconds */
  double now = cs__wall_now();
  if (c->o->shard_n <= 1 && now - st->last_results > 5) {
    char *csv = cs__results_csv(c->plan, c->res);
    cs__store_write_top(c->o->out_dir, "results.csv", csv, NULL);
    free(csv);
    st->last_results = now;
  }
}

static void root_loop(cs__mpi_ctx *c, mailbox *mb, bool self) {
  root_state st = {0};
  st.prog.jobs_total = c->nsel;
  for (size_t i = 0; i < c->nsel; i++) st.total_cost += c->plan->cost[c->order[i]];
  st.last_results = c->t0;
  size_t next = 0;
  int byes = 0;
  for (;;) {
    bool progressed = false, stop = stopping(c);
    done_item *items;
    size_t n;
    bool local_done = drain(mb, &items, &n);
    for (size_t i = 0; i < n; i++) record(c, &st, &items[i]);
    free(items);
    progressed |= n > 0;
    pthread_mutex_lock(&mb->mu);
    for (int d = demand(mb, self); d > 0 && !mb->no_more; d--) {
      if (stop || next >= c->nsel) {
        set_no_more(mb);
      } else {
        cs__vec_push(&mb->queue, c->order[next]);
        next++;
        pthread_cond_signal(&mb->cv);
        progressed = true;
      }
    }
    pthread_mutex_unlock(&mb->mu);
    progressed |= self_run(c, mb, self);
    int flag = 0;
    MPI_Status ms;
    while (MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &ms) == MPI_SUCCESS && flag) {
      progressed = true;
      int src = ms.MPI_SOURCE, dummy;
      if (ms.MPI_TAG == CS__MPI_TAG_RESULT) {
        done_item it;
        recv_result(src, &it);
        record(c, &st, &it);
      } else {
        MPI_Recv(&dummy, 1, MPI_INT, src, ms.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (ms.MPI_TAG == CS__MPI_TAG_BYE) {
          byes++;
        } else if (ms.MPI_TAG == CS__MPI_TAG_REQUEST) {
          stop = stop || stopping(c);
          long long job = !stop && next < c->nsel ? (long long)c->order[next++] : -1;
          MPI_Send(&job, 1, MPI_LONG_LONG, src, CS__MPI_TAG_JOB, MPI_COMM_WORLD);
        }
      }
    }
    if (local_done && byes == c->size - 1) {
      /* results that arrived between the drain and the last BYE were recorded above */
      break;
    }
    if (!progressed) nap();
  }
  report(c, &st, true);
}

/* ---- ranks 1..N-1 ---- */

static void worker_loop(cs__mpi_ctx *c, mailbox *mb, bool self) {
  bool outstanding = false, told_no_more = false;
  for (;;) {
    bool progressed = false;
    done_item *items;
    size_t n;
    bool local_done = drain(mb, &items, &n);
    for (size_t i = 0; i < n; i++) {
      char *buf;
      int len;
      pack_result(&items[i], &buf, &len);
      MPI_Send(buf, len, MPI_PACKED, 0, CS__MPI_TAG_RESULT, MPI_COMM_WORLD);
      free(buf);
      free(items[i].r.reason);
    }
    free(items);
    progressed |= n > 0;
    if (local_done && !outstanding) {
      int zero = 0;
      MPI_Send(&zero, 1, MPI_INT, 0, CS__MPI_TAG_BYE, MPI_COMM_WORLD);
      return;
    }
    if (!outstanding && !told_no_more) {
      pthread_mutex_lock(&mb->mu);
      if (stopping(c)) {
        told_no_more = true; /* a stopped rank asks for nothing more; rank 0 keeps the rest pending */
        set_no_more(mb);
      }
      bool want = !told_no_more && demand(mb, self) > 0;
      pthread_mutex_unlock(&mb->mu);
      if (want) {
        int zero = 0;
        MPI_Send(&zero, 1, MPI_INT, 0, CS__MPI_TAG_REQUEST, MPI_COMM_WORLD);
        outstanding = true;
      }
    }
    if (outstanding) {
      int flag = 0;
      MPI_Iprobe(0, CS__MPI_TAG_JOB, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
      if (flag) {
        long long job;
        MPI_Recv(&job, 1, MPI_LONG_LONG, 0, CS__MPI_TAG_JOB, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        outstanding = false;
        progressed = true;
        pthread_mutex_lock(&mb->mu);
        if (job < 0) {
          told_no_more = true;
          set_no_more(mb);
        } else {
          /* a job that arrives after a stop still goes through cs__run_job, which returns it
           * pending without simulating, so rank 0 hears about every job it handed out */
          cs__vec_push(&mb->queue, (size_t)job);
          pthread_cond_signal(&mb->cv);
        }
        pthread_mutex_unlock(&mb->mu);
      }
    }
    progressed |= self_run(c, mb, self);
    if (!progressed) nap();
  }
}

void cs__mpi_schedule(cs__mpi_ctx *c) {
  mailbox mb;
  memset(&mb, 0, sizeof mb);
  pthread_mutex_init(&mb.mu, NULL);
  pthread_cond_init(&mb.cv, NULL);
  int want = c->threads + 1;
#pragma omp parallel num_threads(want)
  {
    int team = omp_get_num_threads(), me = omp_get_thread_num();
    if (me == 0) {
      /* job threads count themselves in before the communicator can decide they are done */
      pthread_mutex_lock(&mb.mu);
      mb.active += team - 1;
      pthread_mutex_unlock(&mb.mu);
    }
#pragma omp barrier
    if (me == 0) {
      if (c->rank == 0) root_loop(c, &mb, team == 1);
      else worker_loop(c, &mb, team == 1);
    } else {
      job_thread(c, &mb);
    }
  }
  free(mb.queue.v);
  for (size_t i = 0; i < mb.done.n; i++) free(mb.done.v[i].r.reason);
  free(mb.done.v);
  pthread_cond_destroy(&mb.cv);
  pthread_mutex_destroy(&mb.mu);
}
