#!/usr/bin/env bash
# Every fault the mock injects is classified into the right error class, on
# both transports, and no request is lost or counted twice:
# started = succeeded + failed.
source "$PG_E2E/lib.sh"
S="$PG_E2E/suites/faults.yaml"
m='d["scenarios"][0]["metrics"]'

fault() { # TRANSPORT QUERY CHECK MESSAGE [EXTRA ARGS...]
	local tr=$1 q=$2 cond=$3 msg=$4 name rc
	shift 4
	name="$tr-$(echo "$q $*" | tr -c 'a-z0-9' '_')"
	"$PERFGATE" run "$S" --transport "$tr" --set "target.url=mock://?decode_ms=1&output_tokens=6&$q" \
		--no-color --out "$T/$name" "$@" >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "$name: exit $rc"
	R="$T/$name/results.json"
	check "$m[\"requests\"][\"started\"] == 12" "$R" "$name: 12 sent"
	check "$m[\"requests\"][\"succeeded\"] + $m[\"requests\"][\"failed\"] == 12" "$R" "$name: every request counted once"
	check "$cond" "$R" "$name: $msg"
}
c="$m[\"errors\"][\"by_class\"]"
for tr in h1 curl; do
	fault "$tr" "error_rate=1" "$c[\"http\"] == 12 and $m[\"errors\"][\"by_status\"][\"500\"] == 12" "500s are http errors"
	fault "$tr" "rate_limit_rate=1" "$m[\"errors\"][\"by_status\"][\"429\"] == 12 and $m[\"errors\"][\"http_429_rate\"] == 1" "429s counted"
	fault "$tr" "unavailable_rate=1" "$m[\"errors\"][\"by_status\"][\"503\"] == 12 and $m[\"errors\"][\"http_5xx_rate\"] == 1" "503s counted"
	fault "$tr" "stall_rate=1&stall_after=2" "$c[\"timeout\"] == 12 and $m[\"errors\"][\"timeout_rate\"] == 1" "stalls time out"
	fault "$tr" "reset_rate=1&reset_after=2" "$c[\"network\"] == 12" "resets are network errors"
	fault "$tr" "malformed_rate=1" "$c[\"protocol\"] == 12" "malformed SSE is a protocol error"
	fault "$tr" "midstream_error_rate=1" "$c[\"stream\"] == 12" "error objects are stream errors"
	fault "$tr" "first_byte_delay_ms=60" "$m[\"requests\"][\"succeeded\"] == 12 and $m[\"ttft\"][\"min\"] >= 60" "slow first byte adds to ttft"
	fault "$tr" "error_rate=0.5&seed=5" "0 < $c[\"http\"] < 12 and $m[\"requests\"][\"succeeded\"] == 12 - $c[\"http\"]" "half the requests fail"
done
# retries: with error_rate=0.5 and 3 retries, a request fails only when four
# attempts in a row draw the error; each retry is counted, every request
# still counts once, and latency includes the backoff
for tr in h1 curl; do
	fault "$tr" "error_rate=0.5&seed=5" "$m[\"requests\"][\"retries\"] > 0 and $c[\"http\"] < 3" "retried" \
		--set scenarios.0.load.retries=3 --set scenarios.0.load.retry_backoff=20ms
	check "$m[\"e2e\"][\"max\"] >= 20" "$R" "$tr: a retried request's latency includes its backoff"
	fault "$tr" "stall_rate=1&stall_after=1" "$c[\"timeout\"] == 12 and $m[\"requests\"][\"retries\"] == 0" \
		"timeouts are not retried" --set scenarios.0.load.retries=2 --set scenarios.0.load.timeout=300ms
done
echo "ok: fault classification"
