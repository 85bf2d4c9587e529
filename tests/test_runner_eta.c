/* The progress estimate (src/runner/eta.c): remaining probes x their cost x the seconds per
 * unit learned from simulated probes, over the threads still busy; unknown before any probe
 * was timed, none after an interrupt, 0 when nothing is left. */
#include <math.h>
#include <stdlib.h>

#include "cs_test.h"
#include "runner/runner.h"

/* Three jobs: a cheap one (unit 1, 4 probes), an expensive one (unit 10, 4 probes) and a
 * finished one; 2 threads. */
static void make(cs__eta *e) {
  *e = (cs__eta){.n = 3, .threads = 2};
  e->unit = calloc(3, sizeof *e->unit);
  e->max_probes = calloc(3, sizeof *e->max_probes);
  e->done = calloc(3, sizeof *e->done);
  e->open = calloc(3, sizeof *e->open);
  e->unit[0] = 1, e->unit[1] = 10, e->unit[2] = 5;
  e->max_probes[0] = e->max_probes[1] = e->max_probes[2] = 4;
  e->open[0] = e->open[1] = e->open[2] = true;
}

static void test_eta_counts_remaining_probes_at_the_learned_cost(void) {
  cs__eta e;
  make(&e);
  cs__progress p = {0};
  cs__eta_fill(&e, &p, false);
  CS_ASSERT_TRUE(p.eta_s < 0); /* nothing timed yet: unknown, not a guess */
  CS_ASSERT_INT_EQ(p.probes_left, 12);
  /* the cheap job's probes finish first (as fast-failing jobs do): 2 probes of 1 unit, 0.5 s each */
  cs__eta_probe(&e, 0, true, 0.5);
  cs__eta_probe(&e, 0, true, 0.5);
  cs__eta_job_done(&e, 2); /* the third job ends early */
  cs__eta_fill(&e, &p, false);
  /* left: job 0: 2 x 1 unit, job 1: 4 x 10 units = 42 units x 0.5 s/unit / 2 threads */
  CS_ASSERT_INT_EQ(p.probes_left, 6);
  CS_ASSERT_INT_EQ(p.probes_timed, 2);
  CS_ASSERT_INT_EQ(p.parallel, 2);
  CS_ASSERT_TRUE(fabs(p.eta_s - 10.5) < 1e-9);
  /* a probe taken from disk counts as done but teaches no cost */
  cs__eta_probe(&e, 1, false, 0);
  cs__eta_job_done(&e, 0);
  cs__eta_fill(&e, &p, false);
  /* job 1 alone: 3 x 10 units x 0.5 s/unit on the one thread still busy */
  CS_ASSERT_INT_EQ(p.parallel, 1);
  CS_ASSERT_TRUE(fabs(p.eta_s - 15.0) < 1e-9);
  cs__eta_fill(&e, &p, true);
  CS_ASSERT_TRUE(p.eta_s < 0); /* interrupted: no ETA */
  CS_ASSERT_TRUE(p.stopping);
  cs__eta_job_done(&e, 1);
  cs__eta_fill(&e, &p, false);
  CS_ASSERT_TRUE(p.eta_s == 0);
  cs__eta_free(&e);
}

/* Sibling groups (jobs that differ only by SLO) run their jobs one after another on one
 * thread: jobs 0 and 1 in one group, job 2 alone, so two open groups keep both threads busy
 * and once job 2 ends only one can be, however many of the group's jobs are open. */
static void test_eta_counts_one_thread_per_sibling_group(void) {
  cs__eta e;
  make(&e);
  e.threads = 3;
  const size_t grouped[] = {1, 0, 2}, start[] = {0, 2, 3};
  cs__eta_groups(&e, grouped, start, 2);
  cs__eta_probe(&e, 1, true, 5.0); /* 10 units: 0.5 s/unit */
  cs__progress p = {0};
  cs__eta_fill(&e, &p, false);
  CS_ASSERT_INT_EQ(p.parallel, 2);
  /* left: job 0 4 x 1, job 1 3 x 10, job 2 4 x 5 = 54 units x 0.5 s / 2 */
  CS_ASSERT_TRUE(fabs(p.eta_s - 13.5) < 1e-9);
  cs__eta_job_done(&e, 2);
  cs__eta_fill(&e, &p, false);
  CS_ASSERT_INT_EQ(p.parallel, 1);
  CS_ASSERT_TRUE(fabs(p.eta_s - 17.0) < 1e-9);
  cs__eta_free(&e);
}

static const cs_test_case cases[] = {
    {"test_eta_counts_one_thread_per_sibling_group", test_eta_counts_one_thread_per_sibling_group},
    {"test_eta_counts_remaining_probes_at_the_learned_cost", test_eta_counts_remaining_probes_at_the_learned_cost},
    {NULL, NULL}};

int main(void) { return cs_test_run("runner_eta", cases); }
