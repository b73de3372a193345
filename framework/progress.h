/*
 * A run's live progress on stderr, and its clean interruption.
 *
 * Progress: the engine reports about once a second (pg_engine_opts.progress
 * with a pg_progress_display as its context). On a terminal one line is
 * rewritten in place and erased when the run ends; otherwise a plain line
 * is written every PG_PROGRESS_PLAIN_EVERY, so CI logs stay short. The line
 * names the scenario (and repeat or sweep level) but never the target URL.
 *
 * Interruption: pg_progress_signals_install catches SIGINT and SIGTERM. The
 * first signal only sets a flag (pg_progress_interrupt_flag, handed to the
 * engine as pg_engine_opts.interrupt), so the run can stop cleanly and write
 * partial results; a second signal ends the process at once with _exit(130),
 * after removing the one temp file registered with
 * pg_progress_set_abort_file (nothing else: no output, no atexit handlers).
 */
#ifndef PG_PROGRESS_H
#define PG_PROGRESS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>

#include "engine.h"

typedef enum pg_progress_mode {
	PG_PROGRESS_OFF = 0,  /* --quiet: nothing */
	PG_PROGRESS_LIVE = 1, /* one line rewritten with \r (a terminal) */
	PG_PROGRESS_PLAIN = 2 /* a line every PG_PROGRESS_PLAIN_EVERY */
} pg_progress_mode;

#define PG_PROGRESS_PLAIN_EVERY (5 * PG_NS_PER_S)
/* The exit status after a second SIGINT/SIGTERM. */
#define PG_PROGRESS_EXIT_ABORT 130

typedef struct pg_progress_display pg_progress_display;

/* The mode for stream f: OFF when quiet, LIVE when f is a terminal, else
 * PLAIN. */
pg_progress_mode pg_progress_mode_for(FILE *f, int quiet);
/* Creates a display writing to f (not owned; usually stderr); free with
 * pg_progress_free. */
int pg_progress_new(pg_progress_display **out, FILE *f, pg_progress_mode mode);
/* Erases a live line still shown and frees d; NULL is a no-op. */
void pg_progress_free(pg_progress_display *d);
/* Sets what the line names, e.g. "chat", "chat repeat 2/3", "chat level
 * 40" (copied; control characters become '?'), and starts a new run: the
 * plain line's 5-second clock restarts. */
void pg_progress_set_label(pg_progress_display *d, const char *label);
/* The engine's progress callback; ctx is a pg_progress_display (NULL: no-op). */
void pg_progress_report(void *ctx, const pg_progress *p);
/* Erases the live line (call when a run ends, before other output);
 * a no-op in the other modes or when nothing is shown. */
void pg_progress_clear(pg_progress_display *d);
/* Formats the progress line for label into buf (no newline, always
 * NUL-terminated, cut to size), e.g. "[ 12.0/30.0 s] chat steady  812 req/s
 * in flight 64  errors 0.1%  p95 e2e 231 ms  ttft 41 ms" (one line). */
void pg_progress_format(char *buf, size_t size, const char *label, const pg_progress *p);

/* Installs the SIGINT/SIGTERM handlers (sigaction, SA_RESTART) and clears
 * the interrupt flag; PG_EIO when sigaction fails. */
int pg_progress_signals_install(void);
/* Puts back the handlers in force before pg_progress_signals_install and
 * forgets the abort file. */
void pg_progress_signals_restore(void);
/* The flag the handler sets: 0, or the number of the first signal caught.
 * Lives for the whole process. */
const atomic_int *pg_progress_interrupt_flag(void);
/* The first signal caught since the handlers were installed; 0: none. */
int pg_progress_interrupted(void);
/* Registers a temp file (path copied; NULL clears it) that a second signal
 * removes before ending the process; paths longer than 4095 bytes are not
 * registered (PG_EINVAL). */
int pg_progress_set_abort_file(const char *path);

#endif
