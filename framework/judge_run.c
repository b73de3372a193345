/* Grading a run's sampled answers after the load (judge_run.h). */
#include "judge_run.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "judge_client.h"
#include "log.h"
#include "plugin_loader.h"

/* Adds one grade to the recorder exactly as pg_recorder_add does for an
 * answer graded during the run. */
static void fold_score(pg_recorder *rec, double score, int pass)
{
	double sc = score < 0 ? 0 : score > 1 ? 1 : score;

	if (sc != sc) /* NaN: the worst grade, as a clamp would not catch it */
		sc = 0;
	rec->scored++;
	rec->quality_sum += sc;
	rec->quality_passed += pass ? 1 : 0;
	rec->quality_buckets[(int)(sc * 1000.0 + 0.5)]++;
}

static void free_sample(pg_engine_result *r)
{
	size_t i;

	for (i = 0; i < r->n_sample; i++)
		free(r->sample[i].text);
	free(r->sample);
	r->sample = NULL;
	r->n_sample = 0;
}

/* Grades every sampled answer with scorer instance inst. */
static void grade_all(pg_engine_result *r, const pg_suite *suite, const pg_scorer_ops *ops,
		      void *inst)
{
	int unreachable = 0;
	size_t i;

	for (i = 0; i < r->n_sample; i++) {
		const pg_answer *a = &r->sample[i];
		const pg_prompt *p = &suite->workload.items[a->item];
		pg_score_input in;
		double score = 0;
		int pass = 0, rc;

		memset(&in, 0, sizeof(in));
		in.answer = a->text;
		in.answer_len = a->len;
		in.answer_truncated = a->truncated;
		in.expected = p->expected;
		in.prompt = p->prompt;
		in.metadata_json = p->metadata_json;
		pg_error_clear();
		rc = ops->score(inst, &in, &score, &pass);
		if (rc == 0) {
			fold_score(r->rec, score, pass);
			unreachable = 0;
			continue;
		}
		if (r->judge_failures++ == 0)
			snprintf(r->judge_error, sizeof(r->judge_error), "%s",
				 pg_error_last()[0] ? pg_error_last() : "the scorer failed");
		unreachable = rc == PG_EIO ? unreachable + 1 : 0;
		if (unreachable >= PG_JUDGE_GIVE_UP && r->rec->scored == 0) {
			r->judge_failures += (int64_t)(r->n_sample - i - 1);
			break;
		}
	}
}

int pg_judge_run(pg_engine_result *r, const pg_suite *suite, const char *label)
{
	const pg_quality *q = suite->quality;
	const pg_scorer_ops *ops = NULL;
	pg_judge_client *jc = NULL;
	void *inst = NULL;
	int rc = 0;

	if (q == NULL || (pg_plugin_flags(q->plugin) & PG_SCORER_AFTER_RUN) == 0 || r->rec == NULL)
		return 0;
	r->judged = 1;
	if (r->n_sample == 0)
		goto done;
	ops = q->plugin->ops;
	pg_log(PG_LOG_INFO, "scenario %s: judging %zu of %lld answers", label, r->n_sample,
	       (long long)r->sample_seen);
	if ((rc = pg_judge_client_new(&jc, q->judge, q->judge_timeout)) < 0) {
		pg_error_prefix("quality.judge");
		rc = PG_EIO;
		goto done;
	}
	if (ops->create(&inst, pg_host_api_get(), q->options) < 0) {
		inst = NULL;
		pg_error_prefix("scorer %s", q->scorer);
		rc = PG_EIO;
		goto done;
	}
	pg_judge_client_activate(jc);
	grade_all(r, suite, ops, inst);
	pg_judge_client_activate(NULL);
	if (r->judge_failures > 0)
		pg_log(PG_LOG_WARN,
		       "scenario %s: %lld of %zu sampled answers could not be judged and are "
		       "left ungraded; the first: %s",
		       label, (long long)r->judge_failures, r->n_sample, r->judge_error);
done:
	if (inst != NULL)
		ops->destroy(inst);
	pg_judge_client_free(jc);
	free_sample(r);
	return rc;
}

int pg_judge_none_graded(FILE *err, const pg_run_result *run)
{
	size_t i;

	for (i = 0; i < run->n_scenarios; i++) {
		const pg_scenario_result *sr = &run->scenarios[i];

		if (!sr->run.judged || sr->run.judge_failures == 0 || sr->run.rec->scored > 0)
			continue;
		fprintf(
		    err,
		    "perfgate: could not run: the judge graded none of the %lld sampled answers "
		    "of scenario %s (%s)\n",
		    (long long)sr->run.judge_failures, sr->scenario->name, sr->run.judge_error);
		return 1;
	}
	return 0;
}
