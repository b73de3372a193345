/* Live progress line and SIGINT/SIGTERM handling (progress.h). */
#include "progress.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "error.h"

/* The handler may only touch lock-free atomics. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "atomic_int must be lock-free for the signal handler");

#define LABEL_MAX 96
#define LINE_MAX_BYTES 512

struct pg_progress_display {
	FILE *f;
	pg_progress_mode mode;
	char label[LABEL_MAX + 1];
	pg_ns next_plain;   /* PLAIN: write when elapsed reaches this */
	pg_ns last_elapsed; /* a smaller elapsed means a new run */
	int shown;	    /* LIVE: a line is on the terminal */
};

pg_progress_mode pg_progress_mode_for(FILE *f, int quiet)
{
	if (quiet)
		return PG_PROGRESS_OFF;
	return isatty(fileno(f)) ? PG_PROGRESS_LIVE : PG_PROGRESS_PLAIN;
}

int pg_progress_new(pg_progress_display **out, FILE *f, pg_progress_mode mode)
{
	pg_progress_display *d = calloc(1, sizeof(*d));

	*out = NULL;
	if (d == NULL) {
		pg_error_set("out of memory");
		return PG_ENOMEM;
	}
	d->f = f;
	d->mode = mode;
	d->next_plain = PG_PROGRESS_PLAIN_EVERY;
	*out = d;
	return 0;
}

void pg_progress_free(pg_progress_display *d)
{
	if (d == NULL)
		return;
	pg_progress_clear(d);
	free(d);
}

void pg_progress_set_label(pg_progress_display *d, const char *label)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; label != NULL && label[i] != '\0' && i < LABEL_MAX; i++)
		d->label[i] = label[i] >= 0x20 && label[i] < 0x7f ? label[i] : '?';
	d->label[i] = '\0';
	d->next_plain = PG_PROGRESS_PLAIN_EVERY;
	d->last_elapsed = 0;
}

/* "231 ms", "4.5 ms", "12.3 s"; "-" when there is no value. */
static void fmt_latency(char *buf, size_t size, double ns)
{
	double ms = ns / 1e6;

	if (isnan(ns) || ns < 0)
		snprintf(buf, size, "-");
	else if (ms < 10)
		snprintf(buf, size, "%.1f ms", ms);
	else if (ms < 10000)
		snprintf(buf, size, "%.0f ms", ms);
	else
		snprintf(buf, size, "%.1f s", ms / 1000);
}

void pg_progress_format(char *buf, size_t size, const char *label, const pg_progress *p)
{
	static const char *const phases[] = {"warmup", "steady", "cooldown"};
	const char *phase = p->phase >= 0 && p->phase <= 2 ? phases[p->phase] : "?";
	char when[64], e2e[32], ttft[32];
	double errors = p->completed > 0 ? 100.0 * (double)p->failed / (double)p->completed : 0.0;

	if (size == 0)
		return;
	if (p->planned > 0)
		snprintf(when, sizeof(when), "[%5.1f/%.1f s]", (double)p->elapsed / 1e9,
			 (double)p->planned / 1e9);
	else if (p->planned_requests > 0)
		snprintf(when, sizeof(when), "[%5.1f s %lld/%lld req]", (double)p->elapsed / 1e9,
			 (long long)p->measured_started, (long long)p->planned_requests);
	else
		snprintf(when, sizeof(when), "[%5.1f s]", (double)p->elapsed / 1e9);
	fmt_latency(e2e, sizeof(e2e), p->e2e_p95);
	fmt_latency(ttft, sizeof(ttft), p->ttft_p95);
	snprintf(buf, size,
		 "%s %s%s%s  %.0f req/s  in flight %lld  errors %.1f%%  p95 e2e %s  ttft %s", when,
		 label != NULL ? label : "", label != NULL && *label ? " " : "", phase, p->rps,
		 (long long)p->in_flight, errors, e2e, ttft);
}

/* Columns of the terminal behind f (80 when unknown). */
static int term_width(FILE *f)
{
	struct winsize ws;

	if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

void pg_progress_report(void *ctx, const pg_progress *p)
{
	pg_progress_display *d = ctx;
	char line[LINE_MAX_BYTES];
	int width;

	if (d == NULL || d->mode == PG_PROGRESS_OFF)
		return;
	pg_progress_format(line, sizeof(line), d->label, p);
	if (d->mode == PG_PROGRESS_LIVE) {
		/* a line wider than the terminal would wrap, and \r only goes back
		 * to the start of its last row */
		width = term_width(d->f);
		if (width > 1 && strlen(line) >= (size_t)width)
			line[width - 1] = '\0';
		fprintf(d->f, "\r%s\033[K", line);
		fflush(d->f);
		d->shown = 1;
		return;
	}
	if (p->elapsed < d->last_elapsed)
		d->next_plain = PG_PROGRESS_PLAIN_EVERY; /* a new run without a new label */
	d->last_elapsed = p->elapsed;
	if (p->elapsed < d->next_plain)
		return;
	fprintf(d->f, "perfgate: progress %s\n", line);
	fflush(d->f);
	d->next_plain = (p->elapsed / PG_PROGRESS_PLAIN_EVERY + 1) * PG_PROGRESS_PLAIN_EVERY;
}

void pg_progress_clear(pg_progress_display *d)
{
	if (d == NULL || !d->shown)
		return;
	fputs("\r\033[K", d->f);
	fflush(d->f);
	d->shown = 0;
}

/* ---- signals ------------------------------------------------------------- */

static atomic_int interrupt_sig;
static atomic_int abort_file_set;
static char abort_file[4096];
static struct sigaction saved_int, saved_term;
static int installed;

/* Async-signal-safe: an atomic exchange, and on the second signal unlink
 * and _exit. */
static void on_signal(int sig)
{
	int none = 0;

	if (atomic_compare_exchange_strong(&interrupt_sig, &none, sig))
		return;
	if (atomic_load(&abort_file_set))
		unlink(abort_file);
	_exit(PG_PROGRESS_EXIT_ABORT);
}

int pg_progress_signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	atomic_store(&interrupt_sig, 0);
	if (installed)
		return 0;
	if (sigaction(SIGINT, &sa, &saved_int) != 0) {
		pg_error_set("cannot catch SIGINT");
		return PG_EIO;
	}
	if (sigaction(SIGTERM, &sa, &saved_term) != 0) {
		sigaction(SIGINT, &saved_int, NULL);
		pg_error_set("cannot catch SIGTERM");
		return PG_EIO;
	}
	installed = 1;
	return 0;
}

void pg_progress_signals_restore(void)
{
	atomic_store(&abort_file_set, 0);
	if (!installed)
		return;
	sigaction(SIGINT, &saved_int, NULL);
	sigaction(SIGTERM, &saved_term, NULL);
	installed = 0;
}

const atomic_int *pg_progress_interrupt_flag(void)
{
	return &interrupt_sig;
}

int pg_progress_interrupted(void)
{
	return atomic_load(&interrupt_sig);
}

int pg_progress_set_abort_file(const char *path)
{
	size_t len;

	/* cleared first, so the handler never reads a half-copied name */
	atomic_store(&abort_file_set, 0);
	if (path == NULL)
		return 0;
	len = strlen(path);
	if (len >= sizeof(abort_file)) {
		pg_error_set("temp file name too long");
		return PG_EINVAL;
	}
	memcpy(abort_file, path, len + 1);
	atomic_store(&abort_file_set, 1);
	return 0;
}
