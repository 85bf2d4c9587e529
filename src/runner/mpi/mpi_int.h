/* Internal contract between the MPI entry point (mpi_runner.c: init, setup, assembly) and the
 * job distribution (mpi_sched.c: communicator loops, mailbox, job threads).
 *
 * Ownership: the context borrows the plan and options; on rank 0 it owns res[] (reasons are
 * malloc'd), owner[] and the job order. */
#ifndef CS_RUNNER_MPI_MPI_INT_H
#define CS_RUNNER_MPI_MPI_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runner/runner.h"

typedef struct cs__mpi_ctx {
  cs__plan *plan;
  const cs__runner_opts *o;
  int rank, size;
  int threads;          /* job threads on this rank (the communicating thread comes on top) */
  double t0;            /* this rank's start, for --wall-budget */
  /* rank 0 only */
  size_t *order;        /* selected jobs, longest first */
  size_t nsel;
  cs__job_result *res;  /* per job (plan->jobs.n), CS_JOB_PENDING until a result arrives */
  int *owner;           /* per job: the rank that ran it, -1 when none did */
  int64_t probes_run, probes_reused;
} cs__mpi_ctx;

/* Message tags (MPI_COMM_WORLD). */
enum {
  CS__MPI_TAG_REQUEST = 701, /* worker rank -> 0: one int, "send me a job" */
  CS__MPI_TAG_JOB,           /* 0 -> worker rank: one long long, a job index or -1 (no more) */
  CS__MPI_TAG_RESULT,        /* worker rank -> 0: a packed job result */
  CS__MPI_TAG_BYE            /* worker rank -> 0: one int, this rank sends nothing more */
};

/* Runs the distribution on this rank until every selected job has a result on rank 0 (or the
 * run was stopped); rank 0 fills ctx->res, owner and the probe counts. */
void cs__mpi_schedule(cs__mpi_ctx *ctx);

#endif
