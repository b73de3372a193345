#!/usr/bin/env bash
# The native-API adapters (tgi, ollama, kserve-v2) against
# tests/servers/model_servers.py speaking each server's own wire format:
# answers streamed and not, token counts as served, and every failure mode
# classified (stream or http) with every request counted once.
source "$PG_E2E/lib.sh"

# start_model_server NAME PROTOCOL MODE: starts model_servers.py, sets PORT.
start_model_server() {
	local name=$1 line
	python3 "$PG_SRC/tests/servers/model_servers.py" --max-seconds 240 --protocol "$2" \
		--mode "$3" >"$T/$name.srv" 2>&1 &
	PIDS+=($!)
	line=$(wait_for_line "$T/$name.srv" '^listening [0-9]+$') || fail "model server $name did not start"
	PORT=${line#listening }
}

run_suite() { # NAME EXPECTED_EXIT ARGS...
	local name=$1 want=$2 rc
	shift 2
	"$PERFGATE" run --no-color --out "$T/$name" "$@" >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	[ "$rc" = "$want" ] || fail "$name: exit $rc, expected $want"
}
m='d["scenarios"][0]["metrics"]'

# ok_checks NAME OUTPUT_TOTAL SOURCE: 12 successes, tokens as served.
ok_checks() {
	local r="$T/$1/results.json"
	check "$m[\"requests\"][\"total\"] == 12" "$r" "$1: 12 requests"
	check "$m[\"requests\"][\"succeeded\"] == 12" "$r" "$1: 12 successes"
	check "$m[\"tokens\"][\"output_total\"] == $2" "$r" "$1: output tokens"
	check "$m[\"tokens\"][\"source\"] == \"$3\"" "$r" "$1: token source $3"
}

# fail_checks NAME CLASS: every request failed once, all of CLASS.
fail_checks() {
	local r="$T/$1/results.json"
	check "$m[\"requests\"][\"total\"] == 12" "$r" "$1: 12 requests counted once"
	check "$m[\"requests\"][\"succeeded\"] == 0" "$r" "$1: no success"
	check "$m[\"errors\"][\"by_class\"][\"$2\"] == 12" "$r" "$1: 12 $2 errors"
	check "$m[\"errors\"][\"count\"] == 12" "$r" "$1: 12 errors in all"
}

for proto in tgi ollama kserve; do
	suite="$PG_E2E/suites/$proto.yaml"

	start_model_server "$proto-ok" "$proto" ok
	url="http://127.0.0.1:$PORT"
	case $proto in
	tgi)
		# Streamed: 5 text tokens and a special </s> each; usage says 6.
		run_suite tgi 0 "$suite" --target "$url"
		ok_checks tgi 72 usage
		check "$m[\"itl\"][\"count\"] == 12 * 4" "$T/tgi/results.json" "tgi: special token is not content"
		check "$m[\"tokens\"][\"input_total\"] == 6 * 5 + 6 * 10" "$T/tgi/results.json" \
			"tgi: input_length, chat rendered as role lines"
		run_suite tgi-whole 0 "$suite" --target "$url" --set workload.stream=false
		ok_checks tgi-whole 72 usage
		check "$m[\"itl\"][\"count\"] == 0" "$T/tgi-whole/results.json" "tgi-whole: one content each"
		# Without details the server reports no counts: content chunks.
		run_suite tgi-nodetails 0 "$suite" --target "$url" --set target.options.details=false
		ok_checks tgi-nodetails 60 chunks
		;;
	ollama)
		run_suite ollama 0 "$suite" --target "$url"
		ok_checks ollama 72 usage
		check "$m[\"itl\"][\"count\"] == 12 * 5" "$T/ollama/results.json" "ollama: one content a line"
		check "$m[\"tokens\"][\"input_total\"] == 6 * 5 + 6 * 7" "$T/ollama/results.json" \
			"ollama: prompt_eval_count"
		run_suite ollama-whole 0 "$suite" --target "$url" --set workload.stream=false
		ok_checks ollama-whole 72 usage
		run_suite ollama-gen 0 "$suite" --target "$url" --set target.options.mode=generate \
			--set workload.prompts.1="Name a prime number."
		ok_checks ollama-gen 72 usage
		# A model the server does not have: HTTP 404 with Ollama's error body.
		run_suite ollama-nomodel 1 "$suite" --target "$url" --set target.model=other
		fail_checks ollama-nomodel http
		check "$m[\"errors\"][\"by_status\"][\"404\"] == 12" "$T/ollama-nomodel/results.json" \
			"ollama-nomodel: 404s"
		;;
	kserve)
		# generate_stream with num_output_tokens per event, summed.
		run_suite kserve 0 "$suite" --target "$url"
		ok_checks kserve 72 usage
		check "$m[\"itl\"][\"count\"] == 12 * 5" "$T/kserve/results.json" "kserve: one content an event"
		run_suite kserve-gen 0 "$suite" --target "$url" --set workload.stream=false
		ok_checks kserve-gen 72 usage
		# /infer with the counts as output tensors, then without counts.
		run_suite kserve-infer 0 "$suite" --target "$url" --set target.options.generate=false
		ok_checks kserve-infer 72 usage
		check "$m[\"itl\"][\"count\"] == 0" "$T/kserve-infer/results.json" "kserve-infer: content once"
		run_suite kserve-infer-inputs 0 "$suite" --target "$url" \
			--set target.options.generate=false --set target.options.params_in=inputs
		ok_checks kserve-infer-inputs 72 usage
		run_suite kserve-nocounts 0 "$suite" --target "$url" \
			--set target.options.generate=false --set target.options.token_counts=false
		ok_checks kserve-nocounts 12 chunks
		;;
	esac

	# The error object in a 200 answer before any text: stream errors.
	start_model_server "$proto-error" "$proto" error
	run_suite "$proto-error" 1 "$suite" --target "http://127.0.0.1:$PORT"
	fail_checks "$proto-error" stream
	run_suite "$proto-error-whole" 1 "$suite" --target "http://127.0.0.1:$PORT" \
		--set workload.stream=false
	fail_checks "$proto-error-whole" stream

	# Two pieces of text, then the error object: stream errors.
	start_model_server "$proto-mid" "$proto" midstream-error
	run_suite "$proto-mid" 1 "$suite" --target "http://127.0.0.1:$PORT"
	fail_checks "$proto-mid" stream
	check "$m[\"ttft\"][\"count\"] == 0" "$T/$proto-mid/results.json" "$proto-mid: failures have no ttft"

	# The error body with an HTTP error status: http errors.
	start_model_server "$proto-http" "$proto" http-error
	run_suite "$proto-http" 1 "$suite" --target "http://127.0.0.1:$PORT"
	fail_checks "$proto-http" http
done
check "$m[\"errors\"][\"by_status\"][\"400\"] == 12" "$T/kserve-http/results.json" "kserve-http: 400s"
check "$m[\"errors\"][\"by_status\"][\"424\"] == 12" "$T/tgi-http/results.json" "tgi-http: 424s"
check "$m[\"errors\"][\"by_status\"][\"500\"] == 12" "$T/ollama-http/results.json" "ollama-http: 500s"
echo "ok: tgi, ollama and kserve-v2 against their wire formats"
