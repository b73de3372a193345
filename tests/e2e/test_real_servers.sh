#!/usr/bin/env bash
# The same suites run unchanged against servers written by others: a
# Python server that frames SSE the way vLLM/uvicorn and OpenAI do, and
# `perfgate mock` as a separate process. Each wire-format quirk and each
# failure mode is classified correctly.
source "$PG_E2E/lib.sh"
export PG_TEST_API_KEY=canary-secret-4f1c

run_suite() { # NAME EXPECTED_EXIT ARGS...
	local name=$1 want=$2 rc
	shift 2
	"$PERFGATE" run --no-color --out "$T/$name" "$@" >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	[ "$rc" = "$want" ] || fail "$name: exit $rc, expected $want"
	if grep -rq "$PG_TEST_API_KEY" "$T/$name.out" "$T/$name.err" "$T/$name"; then
		fail "$name: the secret header value leaked into the output"
	fi
}
m='d["scenarios"][0]["metrics"]'

# 1. vLLM framing, auth header from the environment, usage reported.
start_test_server vllm --mode vllm --require-auth "$PG_TEST_API_KEY"
run_suite vllm 0 "$PG_E2E/suites/chat_real.yaml" --target "http://127.0.0.1:$PORT/v1"
check "$m[\"requests\"][\"succeeded\"] == 12" "$T/vllm/results.json" "vllm: 12 successes"
check "$m[\"tokens\"][\"source\"] == \"usage\"" "$T/vllm/results.json" "vllm: tokens from usage"
check "$m[\"tokens\"][\"output_total\"] == 72" "$T/vllm/results.json" "vllm: 6 tokens each"
check "$m[\"itl\"][\"count\"] == 12 * 5" "$T/vllm/results.json" "vllm: role chunk is not content"

# 2. Wrong key: every request is an HTTP 401 failure, requirement fails (exit 1).
PG_TEST_API_KEY=wrong run_suite badkey 1 "$PG_E2E/suites/chat_real.yaml" --target "http://127.0.0.1:$PORT/v1"
check "$m[\"errors\"][\"by_status\"][\"401\"] == 12" "$T/badkey/results.json" "badkey: 401s counted"
check "$m[\"errors\"][\"by_class\"][\"http\"] == 12" "$T/badkey/results.json" "badkey: http class"

# 3. No usage in the stream: output tokens are counted from content chunks.
start_test_server nousage --mode nousage
run_suite nousage 0 "$PG_E2E/suites/chat_real.yaml" --target "http://127.0.0.1:$PORT/v1"
check "$m[\"tokens\"][\"source\"] == \"chunks\"" "$T/nousage/results.json" "nousage: counted chunks"
check "$m[\"tokens\"][\"output_total\"] == 72" "$T/nousage/results.json" "nousage: 6 chunks each"
grep -q "output tokens: counted content chunks" "$T/nousage.out" || fail "nousage: table names the token source"

# 4. CRLF line ends and keep-alive comments.
start_test_server crlf --mode crlf
run_suite crlf 0 "$PG_E2E/suites/chat_real.yaml" --target "http://127.0.0.1:$PORT/v1"
check "$m[\"tokens\"][\"output_total\"] == 72" "$T/crlf/results.json" "crlf: all tokens"

# 5. An error object mid-stream fails the request as a stream error.
start_test_server midstream --mode midstream-error
run_suite midstream 1 "$PG_E2E/suites/chat_real.yaml" --target "http://127.0.0.1:$PORT/v1"
check "$m[\"errors\"][\"by_class\"][\"stream\"] == 12" "$T/midstream/results.json" "midstream: stream errors"
check "$m[\"requests\"][\"succeeded\"] == 0" "$T/midstream/results.json" "midstream: no success"

# 6. A stream cut before [DONE] without a finish_reason is a protocol error.
start_test_server nodone --mode no-done
run_suite nodone 1 "$PG_E2E/suites/chat_real.yaml" --target "http://127.0.0.1:$PORT/v1"
check "$m[\"errors\"][\"by_class\"][\"protocol\"] + $m[\"errors\"][\"by_class\"][\"network\"] == 12" \
	"$T/nodone/results.json" "nodone: cut streams fail"
check "$m[\"requests\"][\"succeeded\"] == 0" "$T/nodone/results.json" "nodone: no success"

# 7. HTTP 500 with an OpenAI error body.
start_test_server e500 --mode http-500
run_suite e500 1 "$PG_E2E/suites/chat_real.yaml" --target "http://127.0.0.1:$PORT/v1"
check "$m[\"errors\"][\"by_status\"][\"500\"] == 12" "$T/e500/results.json" "e500: 500s counted"

# 8. Completions adapter, streamed and non-streamed.
start_test_server compl --mode vllm
run_suite compl 0 "$PG_E2E/suites/completions_real.yaml" --target "http://127.0.0.1:$PORT/v1"
check "$m[\"tokens\"][\"output_total\"] == 10 * 5" "$T/compl/results.json" "compl: streamed tokens"
run_suite complns 0 "$PG_E2E/suites/completions_real.yaml" --target "http://127.0.0.1:$PORT/v1" \
	--set workload.stream=false
check "$m[\"tokens\"][\"output_total\"] == 10 * 5" "$T/complns/results.json" "complns: usage tokens"
check "$m[\"itl\"][\"count\"] == 0" "$T/complns/results.json" "complns: one chunk, no gaps"

# 9. `perfgate mock` as a separate server: the quickstart suite runs unchanged.
start_mock mock decode_ms=2 ttft_ms=5
run_suite mockproc 0 "$PG_SRC/suites/examples/quickstart.yaml" --target "http://127.0.0.1:$PORT/v1" \
	--set scenarios.0.load.duration=1s
check "d[\"target\"][\"url\"] == \"http://127.0.0.1:$PORT/v1\"" "$T/mockproc/results.json" "mockproc: target recorded"
echo "ok: every server and failure mode"
