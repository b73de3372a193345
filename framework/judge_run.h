/*
 * Judging after the load: a suite whose scorer is flagged
 * PG_SCORER_AFTER_RUN (the `judge` scorer) grades nothing while requests
 * are measured; the engine keeps a random sample of the successful answers
 * instead (pg_engine_result.sample). Once a run (or a sweep level) is over,
 * pg_judge_run grades that sample serially with one scorer instance, the
 * suite's judge target reachable through the host API's complete(), and
 * folds the scores into the run's recorder the way in-run grading does, so
 * quality.score, pass_rate and p10 mean the same. Judging time is part of
 * no metric.
 */
#ifndef PG_JUDGE_RUN_H
#define PG_JUDGE_RUN_H

#include <stdio.h>

#include "engine.h"
#include "gate.h"
#include "suite.h"

/* Consecutive failed judge requests, with nothing graded yet, after which
 * the rest of a sample is left ungraded rather than tried. */
#define PG_JUDGE_GIVE_UP 3

/* Grades r->sample when suite's scorer is an after-run one (otherwise does
 * nothing) and frees the sample. label names the run in log lines (the
 * scenario's name, "x level 8" for a sweep level). An answer the scorer fails on (no score in the
 * judge's reply, the judge unreachable) is left ungraded and counted in
 * r->judge_failures; the first message is kept in r->judge_error and logged.
 * Returns PG_EIO (with a message) only when judging could not start: the
 * judge client or the scorer instance could not be created. */
int pg_judge_run(pg_engine_result *r, const pg_suite *suite, const char *label);

/* For a run whose judge graded none of a scenario's sampled answers,
 * prints "perfgate: could not run: ..." on err and returns 1 (the run
 * could not be carried out: exit 3); 0 when every judged scenario has at
 * least one grade. */
int pg_judge_none_graded(FILE *err, const pg_run_result *run);

#endif
