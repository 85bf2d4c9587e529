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
 * Compiled only with -DCS_MPI=ON (CS_HAVE_MPI); the library never prints: rank 0's caller
 * prints the summary and every error, the other ranks stay quiet. */
#ifndef CS_RUNNER_MPI_MPI_RUNNER_H
#define CS_RUNNER_MPI_MPI_RUNNER_H

#include <stdbool.h>

#include "runner/runner.h"

/* True when a launcher started this process as part of an MPI job (mpirun/mpiexec of Open MPI,
 * MPICH's hydra, Slurm's srun with PMI or PMIx), judged from the launcher's environment, so a
 * plain `capsearch` never initialises MPI. CAPSEARCH_MPI=0 in the environment forces false. */
bool cs__mpi_launched(void);

/* Initialises MPI, runs the plan's selected jobs on all ranks, and finalises MPI. With one rank
 * it is cs__plan_run. On return *is_root tells whether this is rank 0, the rank whose rc, sum
 * and err describe the whole run (the other ranks get the same rc and sum, and an empty err
 * message: rank 0 reports). Errors of any rank (a trace a node cannot read, an output directory
 * rank 0 cannot see) reach rank 0 with the rank named. */
int cs__mpi_plan_run(cs__plan *plan, const cs__runner_opts *o, cs__runner_summary *sum, bool *is_root, cs_err *err);

#endif
