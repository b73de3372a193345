/* Gate: requirement evaluation and the run's verdict. */
#include "gate.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

int pg_gate_evaluate(pg_scenario_result *sr)
{
	const pg_scenario *sc = sr->scenario;
	size_t i;

	sr->pass = 1;
	sr->n_reqs = sc->n_reqs;
	sr->reqs = calloc(sc->n_reqs ? sc->n_reqs : 1, sizeof(*sr->reqs));
	if (sr->reqs == NULL)
		return PG_ENOMEM;
	for (i = 0; i < sc->n_reqs; i++) {
		pg_req_result *rr = &sr->reqs[i];
		const pg_requirement *req = &sc->reqs[i];

		rr->req = req;
		if (pg_metric_value(&rr->measured, &sr->measure, req->metric, &req->stat) < 0) {
			rr->has_value = 0;
			rr->met = 0;
			snprintf(rr->reason, sizeof(rr->reason), "%s", pg_error_last());
		} else {
			rr->has_value = 1;
			rr->met = pg_requirement_met(req, rr->measured);
		}
		if (!rr->met)
			sr->pass = 0;
	}
	return 0;
}

void pg_gate_verdict(pg_run_result *run)
{
	size_t i;

	run->pass = 1;
	for (i = 0; i < run->n_scenarios; i++)
		if (!run->scenarios[i].pass)
			run->pass = 0;
}

double pg_gate_margin(const pg_req_result *rr)
{
	const pg_requirement *r = rr->req;
	double m = pg_metric_to_display(r->metric, rr->measured);
	double l = pg_metric_to_display(r->metric, r->limit);

	if (r->op == PG_OP_LT || r->op == PG_OP_LE)
		return l - m;
	return m - l;
}

void pg_run_result_clear(pg_run_result *run)
{
	size_t i;

	for (i = 0; i < run->n_scenarios; i++) {
		pg_engine_result_clear(&run->scenarios[i].run);
		free(run->scenarios[i].levels);
		free(run->scenarios[i].reqs);
		json_decref(run->scenarios[i].runs);
	}
	free(run->scenarios);
	memset(run, 0, sizeof(*run));
}
