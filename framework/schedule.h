/*
 * Arrival schedules for open-loop and trace load: the times at which
 * requests are due, decided in advance and never moved by the server's
 * answers. The warmup runs at the first stage's starting rate, then the
 * stages (the measured window), then the cooldown at the last rate.
 *
 * With W workers each worker draws its own schedule at 1/W of the rate
 * (Poisson and gamma streams with distinct seeds; constant streams phase
 * shifted so that together they are evenly spaced); trace arrivals are
 * dealt round-robin; their offsets count from the run's start, so a trace's
 * measured window is [warmup, duration].
 */
#ifndef PG_SCHEDULE_H
#define PG_SCHEDULE_H

#include "suite.h"

typedef struct pg_schedule pg_schedule;

/* Creates worker `worker`'s (0-based, of n_workers) schedule for an open
 * or trace load. Free with pg_schedule_free. */
int pg_schedule_new(pg_schedule **out, const pg_load *load, unsigned worker, unsigned n_workers);
void pg_schedule_free(pg_schedule *s);
/* Next arrival as an offset from the run's start (warmup included).
 * Returns 1 with *offset set, or 0 when the schedule is over. */
int pg_schedule_next(pg_schedule *s, pg_ns *offset);
/* Total schedule length: warmup + duration + cooldown. */
pg_ns pg_schedule_length(const pg_load *load);

#endif
