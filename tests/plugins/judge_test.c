/* Tests of the `judge` scorer: the grading prompt it writes, how it reads
 * the judge's reply, and its failures. host->complete is a stub that keeps
 * the prompt and answers a scripted reply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "perfgate/plugin.h"
#include "plugin_loader.h"
#include "support/fake_host.h"

const pg_plugin_desc *pg_builtin_scorer_judge(void);

static pg_host_api host;	    /* fake_host plus the complete stub */
static const char *next_reply;	    /* what the stub answers */
static int next_rc;		    /* or the error it returns, when negative */
static char last_prompt[64 * 1024]; /* the prompt it was sent */
static int calls;

static int stub_complete(const char *prompt, char **out_text)
{
	calls++;
	snprintf(last_prompt, sizeof(last_prompt), "%s", prompt);
	*out_text = NULL;
	if (next_rc < 0) {
		host.set_error("judge http://j/v1: cannot connect: refused");
		return next_rc;
	}
	*out_text = host.strdup(next_reply);
	return 0;
}

static int setup(void **state)
{
	host = fake_host;
	host.complete = stub_complete;
	next_reply = "";
	next_rc = 0;
	last_prompt[0] = '\0';
	calls = 0;
	return fake_host_setup(state);
}

static const pg_scorer_ops *ops(void)
{
	return pg_builtin_scorer_judge()->ops;
}

/* Creates a judge with name, value option pairs up to NULL; returns create's
 * code (the instance in *inst). */
static int create(void **inst, fake_options *fo, ...)
{
	va_list ap;

	fake_options_init(fo, pg_builtin_scorer_judge()->options);
	va_start(ap, fo);
	fake_options_set_list(fo, ap);
	va_end(ap);
	return ops()->create(inst, &host, fake_options_get(fo));
}

static pg_score_input input(const char *answer, const char *expected)
{
	pg_score_input in;

	memset(&in, 0, sizeof(in));
	in.answer = answer;
	in.answer_len = strlen(answer);
	in.expected = expected;
	in.prompt = "What is the capital of France?";
	return in;
}

/* The score a fresh judge (no options but rubric when given) reads from
 * reply; -1 when score() failed. */
static double read_reply(const char *reply, const char *rubric)
{
	pg_score_input in = input("Paris", "Paris");
	fake_options fo;
	void *inst = NULL;
	double score = -2;
	int pass = -1, rc;

	if (rubric != NULL)
		assert_int_equal(create(&inst, &fo, "rubric", rubric, NULL), 0);
	else
		assert_int_equal(create(&inst, &fo, NULL), 0);
	next_reply = reply;
	rc = ops()->score(inst, &in, &score, &pass);
	ops()->destroy(inst);
	if (rc < 0)
		return -1;
	assert_int_equal(pass, score >= 0.7);
	return score;
}

static void descriptor_is_an_after_run_scorer(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_judge();
	pg_plugin_desc old = *d;

	(void)state;
	assert_int_equal(pg_plugin_desc_check(d, "judge"), 0);
	assert_int_equal(d->kind, PG_PLUGIN_SCORER);
	assert_true(pg_plugin_flags(d) & PG_SCORER_AFTER_RUN);
	/* a 1.0 descriptor ends before flags: none are read from it */
	old.size = (uint32_t)offsetof(pg_plugin_desc, flags);
	assert_int_equal(pg_plugin_desc_check(&old, "old"), 0);
	assert_int_equal(pg_plugin_flags(&old), 0);
}

static void common_reply_formats_are_read(void **state)
{
	(void)state;
	assert_float_equal(read_reply("Score: 8", NULL), 0.8, 1e-12);
	assert_float_equal(read_reply("8/10", NULL), 0.8, 1e-12);
	assert_float_equal(read_reply("**Score:** 7.5\nclose enough", NULL), 0.75, 1e-12);
	assert_float_equal(read_reply("Rating: 80/100", NULL), 0.8, 1e-12);
	assert_float_equal(read_reply("7", NULL), 0.7, 1e-12);
	assert_float_equal(read_reply("7. Mostly right.", NULL), 0.7, 1e-12);
	assert_float_equal(read_reply("{\"score\": 9, \"why\": \"ok\"}", NULL), 0.9, 1e-12);
	assert_float_equal(read_reply("Good. Score = 9 out of 10.", NULL), 0.9, 1e-12);
	assert_float_equal(read_reply("I would score this 6/10", NULL), 0.6, 1e-12);
	assert_float_equal(read_reply("It scored 2 facts. Score: 3/10", NULL), 0.3, 1e-12);
	assert_float_equal(read_reply("GRADE: 10/10", NULL), 1.0, 1e-12);
	assert_float_equal(read_reply("Score: 0/10", NULL), 0.0, 1e-12);
}

static void builtin_rubric_reads_bare_numbers_on_its_0_to_10_scale(void **state)
{
	(void)state;
	/* "1" under a 0-10 rubric is a bad grade, not a perfect one */
	assert_float_equal(read_reply("Score: 1", NULL), 0.1, 1e-12);
}

static void auto_scale_infers_the_range_with_a_custom_rubric(void **state)
{
	(void)state;
	assert_float_equal(read_reply("{\"score\": 0.8}", "grade it"), 0.8, 1e-12);
	assert_float_equal(read_reply("Score: 1", "grade it"), 1.0, 1e-12);
	assert_float_equal(read_reply("Score: 8", "grade it"), 0.8, 1e-12);
	assert_float_equal(read_reply("Score: 80", "grade it"), 0.8, 1e-12);
	assert_float_equal(read_reply("Score: 800", "grade it"), -1, 0);
}

static void fixed_scale_reads_bare_numbers_and_a_denominator_wins(void **state)
{
	pg_score_input in = input("Paris", "Paris");
	fake_options fo;
	void *inst = NULL;
	double score = -1;
	int pass = -1;

	(void)state;
	assert_int_equal(create(&inst, &fo, "scale", "100", "pass_score", "0.75", NULL), 0);
	next_reply = "Score: 70";
	assert_int_equal(ops()->score(inst, &in, &score, &pass), 0);
	assert_float_equal(score, 0.7, 1e-12);
	assert_int_equal(pass, 0);
	next_reply = "Score: 8/10";
	assert_int_equal(ops()->score(inst, &in, &score, &pass), 0);
	assert_float_equal(score, 0.8, 1e-12);
	assert_int_equal(pass, 1);
	ops()->destroy(inst);
}

static void a_reply_without_a_score_fails_quoting_it(void **state)
{
	pg_score_input in = input("Paris", "Paris");
	char longer[300], want[200];
	fake_options fo;
	void *inst = NULL;
	double score = -1;
	int pass = -1;

	(void)state;
	assert_int_equal(create(&inst, &fo, NULL), 0);
	next_reply = "I cannot grade this.\nSorry.";
	assert_int_equal(ops()->score(inst, &in, &score, &pass), PG_EPARSE);
	assert_non_null(strstr(fake_host_last_error(),
			       "no score in the judge's reply \"I cannot grade this. Sorry.\""));
	/* only the first 80 characters are quoted */
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	next_reply = longer;
	assert_int_equal(ops()->score(inst, &in, &score, &pass), PG_EPARSE);
	snprintf(want, sizeof(want), "\"%.80s\"", longer);
	assert_non_null(strstr(fake_host_last_error(), want));
	next_reply = "Score: 11/10";
	assert_int_equal(ops()->score(inst, &in, &score, &pass), PG_EPARSE);
	assert_non_null(strstr(fake_host_last_error(), "above its scale"));
	ops()->destroy(inst);
}

static void a_failed_judge_call_passes_its_code_and_message_on(void **state)
{
	pg_score_input in = input("Paris", "Paris");
	fake_options fo;
	void *inst = NULL;
	double score = -1;
	int pass = -1;

	(void)state;
	assert_int_equal(create(&inst, &fo, NULL), 0);
	next_rc = PG_EIO;
	assert_int_equal(ops()->score(inst, &in, &score, &pass), PG_EIO);
	assert_string_equal(fake_host_last_error(), "judge http://j/v1: cannot connect: refused");
	ops()->destroy(inst);
}

static void default_prompt_holds_rubric_question_reference_and_answer(void **state)
{
	pg_score_input in = input("It is Paris.", "Paris");
	fake_options fo;
	void *inst = NULL;
	double score = -1;
	int pass = -1;

	(void)state;
	assert_int_equal(create(&inst, &fo, NULL), 0);
	next_reply = "Score: 9/10";
	assert_int_equal(ops()->score(inst, &in, &score, &pass), 0);
	assert_non_null(strstr(last_prompt, "\"Score: N/10\""));
	assert_non_null(
	    strstr(last_prompt, "[QUESTION]\nWhat is the capital of France?\n[/QUESTION]"));
	assert_non_null(strstr(last_prompt, "[REFERENCE ANSWER]\nParis\n[/REFERENCE ANSWER]"));
	assert_non_null(strstr(last_prompt, "[ANSWER TO GRADE]\nIt is Paris.\n[/ANSWER TO GRADE]"));
	/* no expected answer: no reference section */
	in.expected = NULL;
	assert_int_equal(ops()->score(inst, &in, &score, &pass), 0);
	assert_null(strstr(last_prompt, "[REFERENCE ANSWER]"));
	assert_non_null(strstr(last_prompt, "[ANSWER TO GRADE]\nIt is Paris.\n"));
	assert_int_equal(calls, 2);
	ops()->destroy(inst);
}

static void template_placeholders_are_filled_once(void **state)
{
	pg_score_input in = input("{rubric} stays", "Paris");
	fake_options fo;
	void *inst = NULL;
	double score = -1;
	int pass = -1;

	(void)state;
	assert_int_equal(create(&inst, &fo, "rubric", "Be strict.", "prompt_template",
				"R={rubric} Q={prompt} E={expected} A={answer} {other}", NULL),
			 0);
	next_reply = "Score: 5/10";
	assert_int_equal(ops()->score(inst, &in, &score, &pass), 0);
	assert_string_equal(last_prompt, "R=Be strict. Q=What is the capital of France? E=Paris "
					 "A={rubric} stays {other}");
	ops()->destroy(inst);
}

static void long_answers_are_cut_at_max_answer_chars(void **state)
{
	pg_score_input in = input("h\xc3\xa9llo world", NULL);
	fake_options fo;
	void *inst = NULL;
	double score = -1;
	int pass = -1;

	(void)state;
	assert_int_equal(
	    create(&inst, &fo, "max_answer_chars", "3", "prompt_template", "<{answer}>", NULL), 0);
	next_reply = "Score: 5/10";
	assert_int_equal(ops()->score(inst, &in, &score, &pass), 0);
	assert_string_equal(last_prompt,
			    "<h\xc3\xa9l\n[... the rest of the answer is not shown ...]>");
	ops()->destroy(inst);
}

static void bad_options_and_an_old_host_are_refused(void **state)
{
	fake_options fo;
	void *inst = NULL;

	(void)state;
	assert_int_equal(create(&inst, &fo, "scale", "7", NULL), PG_EINVAL);
	assert_null(inst);
	assert_non_null(strstr(fake_host_last_error(), "scale must be auto, 1, 10 or 100"));
	assert_int_equal(create(&inst, &fo, "prompt_template", "grade {prompt}", NULL), PG_EINVAL);
	assert_non_null(strstr(fake_host_last_error(), "no {answer} placeholder"));
	/* a host API from before complete() */
	host.size = offsetof(pg_host_api, complete);
	assert_int_equal(create(&inst, &fo, NULL), PG_EABI);
	assert_null(inst);
	assert_non_null(strstr(fake_host_last_error(), "complete()"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(descriptor_is_an_after_run_scorer, setup,
					    fake_host_check_leaks),
	    cmocka_unit_test_setup_teardown(common_reply_formats_are_read, setup,
					    fake_host_check_leaks),
	    cmocka_unit_test_setup_teardown(builtin_rubric_reads_bare_numbers_on_its_0_to_10_scale,
					    setup, fake_host_check_leaks),
	    cmocka_unit_test_setup_teardown(auto_scale_infers_the_range_with_a_custom_rubric, setup,
					    fake_host_check_leaks),
	    cmocka_unit_test_setup_teardown(fixed_scale_reads_bare_numbers_and_a_denominator_wins,
					    setup, fake_host_check_leaks),
	    cmocka_unit_test_setup_teardown(a_reply_without_a_score_fails_quoting_it, setup,
					    fake_host_check_leaks),
	    cmocka_unit_test_setup_teardown(a_failed_judge_call_passes_its_code_and_message_on,
					    setup, fake_host_check_leaks),
	    cmocka_unit_test_setup_teardown(
		default_prompt_holds_rubric_question_reference_and_answer, setup,
		fake_host_check_leaks),
	    cmocka_unit_test_setup_teardown(template_placeholders_are_filled_once, setup,
					    fake_host_check_leaks),
	    cmocka_unit_test_setup_teardown(long_answers_are_cut_at_max_answer_chars, setup,
					    fake_host_check_leaks),
	    cmocka_unit_test_setup_teardown(bad_options_and_an_old_host_are_refused, setup,
					    fake_host_check_leaks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
