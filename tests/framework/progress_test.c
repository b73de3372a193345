/* Progress line, SIGINT/SIGTERM handling and the engine's interrupt. */
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli.h"
#include "clock.h"
#include "engine.h"
#include "error.h"
#include "mock.h"
#include "plugin_loader.h"
#include "progress.h"
#include "suite.h"

static pg_progress sample_progress(void)
{
	pg_progress p;

	memset(&p, 0, sizeof(p));
	p.elapsed = 12 * PG_NS_PER_S;
	p.planned = 30 * PG_NS_PER_S;
	p.phase = PG_PROGRESS_MEASURED;
	p.sent = 1064;
	p.completed = 1000;
	p.failed = 1;
	p.in_flight = 64;
	p.rps = 812.4;
	p.e2e_p95 = 231e6;
	p.ttft_p95 = 41e6;
	return p;
}

/* Reads everything written to f so far. */
static char *slurp(FILE *f)
{
	long n;
	char *buf;

	fflush(f);
	n = ftell(f);
	assert_true(n >= 0);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	rewind(f);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	return buf;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_line_shows_time_phase_rate_errors_and_p95(void **state)
{
	pg_progress p = sample_progress();
	char line[256];

	(void)state;
	pg_progress_format(line, sizeof(line), "chat", &p);
	assert_string_equal(line, "[ 12.0/30.0 s] chat steady  812 req/s  in flight 64  errors "
				  "0.1%  p95 e2e 231 ms  ttft 41 ms");
}

static void test_request_count_run_shows_requests_and_dashes_without_latency(void **state)
{
	pg_progress p = sample_progress();
	char line[256];

	(void)state;
	p.planned = 0;
	p.planned_requests = 1000;
	p.measured_started = 340;
	p.elapsed = 3 * PG_NS_PER_S;
	p.phase = PG_PROGRESS_WARMUP;
	p.completed = p.failed = 0;
	p.e2e_p95 = p.ttft_p95 = NAN;
	pg_progress_format(line, sizeof(line), "load", &p);
	assert_string_equal(line, "[  3.0 s 340/1000 req] load warmup  812 req/s  in flight 64  "
				  "errors 0.0%  p95 e2e -  ttft -");
}

static void test_short_latencies_keep_a_decimal_and_long_ones_are_seconds(void **state)
{
	pg_progress p = sample_progress();
	char line[256];

	(void)state;
	p.e2e_p95 = 12.5e9;
	p.ttft_p95 = 4.25e6;
	p.phase = PG_PROGRESS_COOLDOWN;
	pg_progress_format(line, sizeof(line), "x", &p);
	assert_non_null(strstr(line, "x cooldown "));
	assert_non_null(strstr(line, "p95 e2e 12.5 s  ttft 4.2 ms"));
}

static void test_line_is_cut_to_the_buffer(void **state)
{
	pg_progress p = sample_progress();
	char line[10];

	(void)state;
	memset(line, 'z', sizeof(line));
	pg_progress_format(line, sizeof(line), "chat", &p);
	assert_int_equal(strlen(line), sizeof(line) - 1);
	assert_memory_equal(line, "[ 12.0/30", 9);
}

static void test_plain_mode_writes_a_line_every_five_seconds(void **state)
{
	pg_progress_display *d = NULL;
	pg_progress p = sample_progress();
	FILE *f = tmpfile();
	char *out;
	int s;

	(void)state;
	assert_non_null(f);
	assert_int_equal(pg_progress_new(&d, f, PG_PROGRESS_PLAIN), 0);
	pg_progress_set_label(d, "chat");
	for (s = 1; s <= 11; s++) {
		p.elapsed = s * PG_NS_PER_S + 3 * PG_NS_PER_MS; /* the engine reports just after */
		pg_progress_report(d, &p);
	}
	pg_progress_free(d); /* nothing to erase in plain mode */
	out = slurp(f);
	assert_int_equal(count_lines(out), 2);
	assert_non_null(strstr(out, "perfgate: progress [  5.0/30.0 s] chat steady"));
	assert_non_null(strstr(out, "perfgate: progress [ 10.0/30.0 s] chat steady"));
	assert_null(strchr(out, '\r'));
	assert_null(strchr(out, '\033'));
	free(out);
	fclose(f);
}

static void test_plain_clock_restarts_with_each_run(void **state)
{
	pg_progress_display *d = NULL;
	pg_progress p = sample_progress();
	FILE *f = tmpfile();
	char *out;
	int s;

	(void)state;
	assert_non_null(f);
	assert_int_equal(pg_progress_new(&d, f, PG_PROGRESS_PLAIN), 0);
	pg_progress_set_label(d, "a");
	for (s = 1; s <= 9; s++) {
		p.elapsed = s * PG_NS_PER_S;
		pg_progress_report(d, &p);
	}
	/* the next run, without a new label: its clock starts from 0 again */
	for (s = 1; s <= 5; s++) {
		p.elapsed = s * PG_NS_PER_S;
		pg_progress_report(d, &p);
	}
	pg_progress_set_label(d, "b level 8");
	for (s = 1; s <= 5; s++) {
		p.elapsed = s * PG_NS_PER_S;
		pg_progress_report(d, &p);
	}
	pg_progress_free(d);
	out = slurp(f);
	assert_int_equal(count_lines(out), 3);
	assert_non_null(strstr(out, "] b level 8 steady"));
	free(out);
	fclose(f);
}

static void test_live_mode_rewrites_one_line_and_erases_it(void **state)
{
	pg_progress_display *d = NULL;
	pg_progress p = sample_progress();
	FILE *f = tmpfile();
	char *out;
	const char *erase = "\r\033[K";

	(void)state;
	assert_non_null(f);
	assert_int_equal(pg_progress_new(&d, f, PG_PROGRESS_LIVE), 0);
	pg_progress_set_label(d, "chat");
	pg_progress_report(d, &p);
	p.elapsed += PG_NS_PER_S;
	pg_progress_report(d, &p);
	pg_progress_clear(d);
	pg_progress_clear(d); /* nothing shown: no second erase */
	pg_progress_free(d);
	out = slurp(f);
	assert_null(strchr(out, '\n'));
	assert_int_equal(strncmp(out, "\r[ 12.0/30.0 s] chat steady", 27), 0);
	assert_non_null(strstr(out, "\033[K\r[ 13.0/30.0 s] chat steady"));
	assert_string_equal(out + strlen(out) - strlen(erase), erase);
	assert_ptr_equal(strstr(out, erase), out + strlen(out) - strlen(erase));
	free(out);
	fclose(f);
}

static void test_off_mode_and_null_display_write_nothing(void **state)
{
	pg_progress_display *d = NULL;
	pg_progress p = sample_progress();
	FILE *f = tmpfile();
	char *out;

	(void)state;
	assert_non_null(f);
	assert_int_equal(pg_progress_new(&d, f, PG_PROGRESS_OFF), 0);
	p.elapsed = 20 * PG_NS_PER_S;
	pg_progress_report(d, &p);
	pg_progress_report(NULL, &p);
	pg_progress_clear(NULL);
	pg_progress_set_label(NULL, "x");
	pg_progress_free(d);
	pg_progress_free(NULL);
	out = slurp(f);
	assert_string_equal(out, "");
	free(out);
	fclose(f);
}

static void test_label_control_characters_are_replaced(void **state)
{
	pg_progress_display *d = NULL;
	pg_progress p = sample_progress();
	FILE *f = tmpfile();
	char *out;

	(void)state;
	assert_non_null(f);
	assert_int_equal(pg_progress_new(&d, f, PG_PROGRESS_PLAIN), 0);
	pg_progress_set_label(d, "a\033[2Jb\nc");
	p.elapsed = 5 * PG_NS_PER_S;
	pg_progress_report(d, &p);
	pg_progress_free(d);
	out = slurp(f);
	assert_non_null(strstr(out, "] a?[2Jb?c steady"));
	assert_null(strchr(out, '\033'));
	assert_int_equal(count_lines(out), 1);
	free(out);
	fclose(f);
}

static void test_mode_is_off_when_quiet_and_plain_for_a_file(void **state)
{
	FILE *f = tmpfile();

	(void)state;
	assert_non_null(f);
	assert_int_equal(pg_progress_mode_for(f, 1), PG_PROGRESS_OFF);
	assert_int_equal(pg_progress_mode_for(f, 0), PG_PROGRESS_PLAIN);
	fclose(f);
}

/* ---- signals (each case in a child process) ----------------------------- */

/* Runs fn in a child; returns its wait status. */
static int in_child(int (*fn)(const char *), const char *arg)
{
	pid_t pid;
	int status = -1;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn(arg));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static int first_signal_only_sets_the_flag(const char *arg)
{
	(void)arg;
	if (pg_progress_signals_install() != 0 || pg_progress_interrupted() != 0)
		return 10;
	raise(SIGTERM);
	if (pg_progress_interrupted() != SIGTERM)
		return 11;
	if (atomic_load(pg_progress_interrupt_flag()) != SIGTERM)
		return 12;
	/* installing again (the next run) clears the flag */
	if (pg_progress_signals_install() != 0 || pg_progress_interrupted() != 0)
		return 13;
	raise(SIGINT);
	return pg_progress_interrupted() == SIGINT ? 0 : 14;
}

static void test_first_signal_sets_the_flag_and_returns(void **state)
{
	int st = in_child(first_signal_only_sets_the_flag, NULL);

	(void)state;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static int second_signal_exits_at_once(const char *tmp)
{
	if (pg_progress_signals_install() != 0 || pg_progress_set_abort_file(tmp) != 0)
		return 10;
	raise(SIGINT);
	raise(SIGINT);
	return 11; /* not reached */
}

static void test_second_signal_exits_130_and_removes_the_temp_file(void **state)
{
	char tmp[] = "/tmp/pg-progress-test-XXXXXX";
	struct stat st;
	int fd = mkstemp(tmp), status;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	status = in_child(second_signal_exits_at_once, tmp);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), PG_PROGRESS_EXIT_ABORT);
	assert_int_not_equal(stat(tmp, &st), 0);
	unlink(tmp);
}

static int restore_puts_the_default_back(const char *arg)
{
	(void)arg;
	if (pg_progress_signals_install() != 0)
		return 10;
	pg_progress_signals_restore();
	raise(SIGINT); /* the default action: killed */
	return 11;
}

static void test_restore_puts_back_the_previous_handlers(void **state)
{
	int st = in_child(restore_puts_the_default_back, NULL);

	(void)state;
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGINT);
}

/* ---- the engine's interrupt --------------------------------------------- */

typedef struct engine_fixture {
	pg_plugin_registry *reg;
	pg_suite *suite;
	pg_mock_server *mock;
	char base[128];
	pg_engine_opts eo;
	atomic_int flag;
	int reports;
	pg_progress first;
	int interrupt_on_report; /* set the flag from the first progress report */
} engine_fixture;

static void on_progress(void *ctx, const pg_progress *p)
{
	engine_fixture *fx = ctx;

	if (fx->reports++ == 0)
		fx->first = *p;
	if (fx->interrupt_on_report)
		atomic_store(&fx->flag, SIGINT);
}

static void fixture_start(engine_fixture *fx, const char *mock_query, const char *load_yaml)
{
	pg_suite_load_opts lo = PG_SUITE_LOAD_OPTS_INIT;
	pg_mock_config cfg = PG_MOCK_CONFIG_INIT;
	pg_engine_opts init = PG_ENGINE_OPTS_INIT;
	char text[1024];

	assert_int_equal(pg_plugins_new(&fx->reg, NULL), 0);
	snprintf(text, sizeof(text),
		 "name: t\ntarget:\n  url: \"mock://\"\nworkload:\n  prompts: [\"hi\"]\n"
		 "  max_tokens: 1000\nscenarios:\n  - name: s\n    load:\n%s",
		 load_yaml);
	lo.lookup = pg_cli_lookup_plugin;
	lo.lookup_ctx = fx->reg;
	if (pg_suite_load_buffer(&fx->suite, "t.yaml", text, strlen(text), &lo) != 0)
		fail_msg("suite: %s", pg_error_last());
	assert_int_equal(pg_mock_config_parse(&cfg, mock_query), 0);
	assert_int_equal(pg_mock_start(&fx->mock, &cfg, "127.0.0.1", 0), 0);
	snprintf(fx->base, sizeof(fx->base), "http://127.0.0.1:%d/v1", pg_mock_port(fx->mock));
	atomic_init(&fx->flag, 0);
	fx->eo = init;
	fx->eo.suite = fx->suite;
	fx->eo.scenario = &fx->suite->scenarios[0];
	fx->eo.load = &fx->suite->scenarios[0].load;
	fx->eo.base_url = fx->base;
	fx->eo.host = pg_host_api_get();
	fx->eo.adapter = fx->suite->target.plugin;
	fx->eo.adapter_options = fx->suite->target.options;
	fx->eo.transport = fx->suite->target.transport_plugin;
	fx->eo.transport_options = fx->suite->target.transport_options;
	fx->eo.workers = 2;
	fx->eo.progress = on_progress;
	fx->eo.progress_ctx = fx;
	fx->eo.interrupt = &fx->flag;
}

static void fixture_stop(engine_fixture *fx)
{
	pg_mock_stop(fx->mock);
	pg_suite_free(fx->suite);
	pg_plugins_free(fx->reg);
}

static void test_interrupt_cancels_requests_in_flight_and_ends_the_run(void **state)
{
	engine_fixture fx;
	pg_engine_result r;
	pg_ns t0;

	(void)state;
	memset(&fx, 0, sizeof(fx));
	/* every answer takes 100 x 50 ms = 5 s: all 4 users are still waiting
	 * when the first progress report (at 1 s) raises the interrupt */
	fixture_start(&fx, "decode_ms=50&output_tokens=100&slots=64",
		      "      concurrency: 4\n      duration: 60s\n      timeout: 120s\n");
	fx.interrupt_on_report = 1;
	t0 = pg_now_ns();
	if (pg_engine_run(&r, &fx.eo) != 0)
		fail_msg("engine: %s", pg_error_last());
	assert_true(pg_now_ns() - t0 < 40 * PG_NS_PER_S); /* far less than the 60 s planned */
	assert_int_equal(r.interrupted, 1);
	assert_true(r.interrupted_at >= PG_NS_PER_S);
	assert_int_equal(fx.reports, 1); /* no report once interrupted */
	assert_int_equal(fx.first.planned, 60 * PG_NS_PER_S);
	assert_int_equal(fx.first.phase, PG_PROGRESS_MEASURED);
	assert_int_equal(fx.first.sent, 4);
	assert_int_equal(fx.first.in_flight, 4);
	assert_int_equal(fx.first.completed, 0);
	assert_true(isnan(fx.first.e2e_p95));
	assert_int_equal(r.rec->started, 4);
	assert_int_equal(r.rec->cancelled, 4);
	assert_int_equal(r.rec->succeeded + r.rec->failed + r.rec->cancelled, r.rec->started);
	/* the measured window ends at the stop, not at the planned 60 s */
	assert_true(r.rec->window_end - r.rec->window_start < 40 * PG_NS_PER_S);
	pg_engine_result_clear(&r);
	fixture_stop(&fx);
}

static void test_run_without_interrupt_reports_progress_and_cancels_nothing(void **state)
{
	engine_fixture fx;
	pg_engine_result r;

	(void)state;
	memset(&fx, 0, sizeof(fx));
	/* 16 answers of 10 x 30 ms over 2 users: at least 2.4 s, so reports come */
	fixture_start(&fx, "decode_ms=30&output_tokens=10&slots=64",
		      "      concurrency: 2\n      requests: 16\n      timeout: 60s\n");
	if (pg_engine_run(&r, &fx.eo) != 0)
		fail_msg("engine: %s", pg_error_last());
	assert_int_equal(r.interrupted, 0);
	assert_true(fx.reports >= 1);
	assert_int_equal(fx.first.planned, 0);
	assert_int_equal(fx.first.planned_requests, 16);
	assert_true(fx.first.measured_started >= 2 && fx.first.measured_started <= 16);
	assert_true(fx.first.sent >= fx.first.completed);
	assert_int_equal(r.rec->cancelled, 0);
	assert_int_equal(r.rec->succeeded, 16);
	assert_int_equal(r.rec->started, r.rec->succeeded + r.rec->failed);
	pg_engine_result_clear(&r);
	fixture_stop(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_line_shows_time_phase_rate_errors_and_p95),
	    cmocka_unit_test(test_request_count_run_shows_requests_and_dashes_without_latency),
	    cmocka_unit_test(test_short_latencies_keep_a_decimal_and_long_ones_are_seconds),
	    cmocka_unit_test(test_line_is_cut_to_the_buffer),
	    cmocka_unit_test(test_plain_mode_writes_a_line_every_five_seconds),
	    cmocka_unit_test(test_plain_clock_restarts_with_each_run),
	    cmocka_unit_test(test_live_mode_rewrites_one_line_and_erases_it),
	    cmocka_unit_test(test_off_mode_and_null_display_write_nothing),
	    cmocka_unit_test(test_label_control_characters_are_replaced),
	    cmocka_unit_test(test_mode_is_off_when_quiet_and_plain_for_a_file),
	    cmocka_unit_test(test_first_signal_sets_the_flag_and_returns),
	    cmocka_unit_test(test_second_signal_exits_130_and_removes_the_temp_file),
	    cmocka_unit_test(test_restore_puts_back_the_previous_handlers),
	    cmocka_unit_test(test_interrupt_cancels_requests_in_flight_and_ends_the_run),
	    cmocka_unit_test(test_run_without_interrupt_reports_progress_and_cancels_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
