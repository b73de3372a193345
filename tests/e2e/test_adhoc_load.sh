#!/usr/bin/env bash
# `perfgate load URL` runs without a suite, like wrk or hey, prints the same
# table and writes the same results document; its flags are checked with
# errors that name them.
source "$PG_E2E/lib.sh"
m='d["scenarios"][0]["metrics"]'
start_mock mock decode_ms=1 output_tokens=3

for tr in h1 curl; do
	"$PERFGATE" load "http://127.0.0.1:$PORT/v1/models" -c 4 -n 100 --transport "$tr" \
		--json "$T/get-$tr.json" --no-color >"$T/get-$tr.out" 2>"$T/get-$tr.err" || fail "GET $tr: exit $?"
	check "$m[\"requests\"][\"succeeded\"] == 100 and $m[\"errors\"][\"by_status\"][\"200\"] == 100" \
		"$T/get-$tr.json" "GET over $tr: 100 x 200"
	check "$m[\"connections\"] <= 4" "$T/get-$tr.json" "GET over $tr: keep-alive reuse"
	grep -q "^scenario load: 100 requests (100 ok, 0 failed), 4 concurrent" "$T/get-$tr.out" ||
		fail "GET $tr: table"
done

# HEAD has no body: each transport must end the request at the headers
for tr in h1 curl; do
	"$PERFGATE" load "http://127.0.0.1:$PORT/v1/models" --method HEAD -c 1 -n 3 --timeout 5s \
		--transport "$tr" --json "$T/head-$tr.json" >"$T/head-$tr.out" 2>"$T/head-$tr.err" ||
		fail "HEAD $tr: exit $?"
	check "$m[\"errors\"][\"by_status\"][\"200\"] == 3 and $m[\"errors\"][\"count\"] == 0" \
		"$T/head-$tr.json" "HEAD over $tr: 3 x 200, no timeout"
done

# a POST with a body and headers through the http adapter
"$PERFGATE" load "http://127.0.0.1:$PORT/v1/chat/completions" --rate 50 -d 1s --arrival constant \
	--method POST -H 'X-Test: $HOME' --body '{"messages":[{"role":"user","content":"hi"}],"max_tokens":2}' \
	--json "$T/post.json" --no-color >"$T/post.out" 2>"$T/post.err" || fail "POST: exit $?"
check "$m[\"requests\"][\"started\"] == 50 and $m[\"requests\"][\"succeeded\"] == 50" "$T/post.json" "POST: 50 answered"

# a model adapter through `load`
"$PERFGATE" load "http://127.0.0.1:$PORT/v1" --adapter openai-chat --max-tokens 3 -c 2 -n 10 \
	--json "$T/chat.json" --no-color >"$T/chat.out" 2>"$T/chat.err" || fail "chat: exit $?"
check "$m[\"tokens\"][\"output_total\"] == 30" "$T/chat.json" "chat: tokens counted"

# bad flags: exit 2, the flag named, nothing sent
expect_usage() { # MESSAGE ARGS...
	local msg=$1 rc
	shift
	"$PERFGATE" load "$@" >"$T/u.out" 2>"$T/u.err"
	rc=$?
	[ "$rc" = 2 ] || fail "load $*: exit $rc, expected 2"
	grep -qF -- "$msg" "$T/u.err" || fail "load $*: no '$msg' in: $(cat "$T/u.err")"
}
expect_usage "choose one of -c/--concurrency and --rate" "http://127.0.0.1:$PORT/" -c 2 --rate 10
expect_usage "-c/--concurrency '0': expected a whole number" "http://127.0.0.1:$PORT/" -c 0
expect_usage "-d/--duration: missing unit" "http://127.0.0.1:$PORT/" -d 10
expect_usage "--rate 'fast': expected requests per second" "http://127.0.0.1:$PORT/" --rate fast
expect_usage "-H 'nocolon': expected 'Name: value'" "http://127.0.0.1:$PORT/" -H nocolon
expect_usage "URL 'ftp://x': expected http://, https:// or mock://" ftp://x
expect_usage "missing URL"
echo "ok: ad-hoc load"
