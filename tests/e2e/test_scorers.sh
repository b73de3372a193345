#!/usr/bin/env bash
# Every built-in scorer grades real answers end to end: the test server
# answers "w0 w1 w2" to max_tokens 3, and each scorer's verdict on it is
# known.
source "$PG_E2E/lib.sh"
S="$PG_E2E/suites/scorers.yaml"
start_test_server sc --mode vllm
m='d["scenarios"][0]["metrics"]["quality"]'

score() { # NAME EXPECTED_SCORE SET...
	local name=$1 want=$2 rc
	shift 2
	"$PERFGATE" run "$S" --target "http://127.0.0.1:$PORT/v1" --no-color --out "$T/$name" "$@" \
		>"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	[ "$rc" = 0 ] || fail "$name: exit $rc"
	check "$m[\"graded\"] == 6 and $m[\"score\"] == $want" "$T/$name/results.json" "$name scores $want"
}
score exact 1
score exact-miss 0 --set 'workload.prompts.0.expected=w0 w1'
score exact-truncated 0 --set quality.max_answer_bytes=4
score contains 1 --set quality.scorer=contains --set 'workload.prompts.0.expected=W1'
score contains-cs 0 --set quality.scorer=contains --set 'workload.prompts.0.expected=W1' \
	--set quality.options.case_sensitive=true
score regex 1 --set quality.scorer=regex --set 'quality.options.pattern=^w0 w[0-9]+ w2'
score regex-miss 0 --set quality.scorer=regex --set 'quality.options.pattern=w9'
score json-valid 0 --set quality.scorer=json-valid
score json-schema 0 --set quality.scorer=json-schema --set 'quality.options.schema={"type": "object"}'
score numeric 1 --set quality.scorer=numeric --set 'workload.prompts.0.expected=0'
score numeric-miss 0 --set quality.scorer=numeric --set 'workload.prompts.0.expected=7'
score length 1 --set quality.scorer=length --set quality.options.min_words=3 --set quality.options.max_words=3
score length-miss 0 --set quality.scorer=length --set quality.options.min_words=4

# a scorer option only the plugin can judge is a bad suite (exit 2)
"$PERFGATE" validate "$S" --set quality.scorer=regex --set 'quality.options.pattern=w[' \
	>"$T/bad.out" 2>"$T/bad.err"
[ $? = 2 ] || fail "a bad regex must exit 2"
grep -q "quality.options: scorer 'regex': " "$T/bad.err" || fail "bad regex message: $(cat "$T/bad.err")"
echo "ok: scorers"
