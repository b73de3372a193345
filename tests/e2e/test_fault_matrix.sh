#!/usr/bin/env bash
# The fault matrix: every network and protocol fault an inference endpoint
# can throw, one short run each, over both transports where the fault
# applies to both. Faults come from a raw socket server
# (tests/servers/raw_faults_server.py, the fault picked by the URL path)
# and from the mock's fault options; test_faults.sh covers the mock's
# basic classes, this adds the rest.
#
# For every run: the error class in errors.by_class; the totals (total =
# succeeded + failed [+ cancelled], started = total, the per-second series
# sum to the same); against the raw server, its own count of requests read
# (nothing sent twice, nothing lost); caps (an oversized SSE line or body
# is a protocol error and peak RSS stays within what the caps allow).
# Retries honour Retry-After (seconds or HTTP-date), capped by the request
# timeout and by the end of the run; the wait is measured on the server.
source "$PG_E2E/lib.sh"

SERVER="$PG_SRC/tests/servers/raw_faults_server.py"

cat >"$T/n.yaml" <<'EOF'
name: fault-matrix
target:
  adapter: openai-chat
  url: "http://127.0.0.1:9/v1"
  model: raw
workload:
  prompts: ["hello"]
  max_tokens: 4
  stream: true
scenarios:
  - name: f
    load: {concurrency: 2, requests: 6, timeout: 2s}
EOF
cat >"$T/d.yaml" <<'EOF'
name: fault-matrix-duration
target:
  adapter: openai-chat
  url: "http://127.0.0.1:9/v1"
  model: raw
workload:
  prompts: ["hello"]
  max_tokens: 4
  stream: true
scenarios:
  - name: f
    load: {concurrency: 1, duration: 1s, warmup: 0s, timeout: 20s}
EOF

# start_raw NAME ARGS...: starts the raw server with its log at $T/NAME.log;
# sets RAW_PORT and RAW_LOG.
start_raw() {
	local name=$1 line
	shift
	python3 "$SERVER" --log "$T/$name.log" --max-seconds 280 "$@" >"$T/$name.srv" 2>&1 &
	PIDS+=($!)
	line=$(wait_for_line "$T/$name.srv" '^listening [0-9]+$') || fail "raw server $name did not start"
	RAW_PORT=${line#listening }
	RAW_LOG="$T/$name.log"
}

# run NAME SUITE TRANSPORT URL [ARGS...]: one perfgate run into $T/NAME;
# sets RC, R (results.json) and SERVED (requests the raw server logged
# during the run). With RSS=1, the peak RSS (KiB) goes to $T/NAME.rss.
run() {
	local name=$1 suite=$2 tr=$3 url=$4 before=0
	local cmd=("$PERFGATE" run "$suite" --target "$url" --transport "$tr" --no-color --out "$T/$name")
	shift 4
	[ -f "${RAW_LOG:-}" ] && before=$(wc -l <"$RAW_LOG")
	if [ "${RSS:-0}" = 1 ]; then
		python3 -c 'import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
open(sys.argv[1], "w").write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)' "$T/$name.rss" "${cmd[@]}" "$@" </dev/null >"$T/$name.out" 2>"$T/$name.err"
	else
		"${cmd[@]}" "$@" </dev/null >"$T/$name.out" 2>"$T/$name.err"
	fi
	RC=$?
	R="$T/$name/results.json"
	[ -f "$R" ] || fail "$name: no results.json (exit $RC): $(cat "$T/$name.err")"
	SERVED=0
	[ -f "${RAW_LOG:-}" ] && SERVED=$(($(wc -l <"$RAW_LOG") - before))
}

# verify NAME N CLASS [EXPR MESSAGE]...: in one python process, checks the
# last run's results: N measured requests, each counted exactly once;
# CLASS `ok`: all succeeded, `-`: no claim, else all failed as CLASS; then
# each EXPR, a Python expression over d (the document), s (the scenario),
# m (its metrics), q (m["requests"]) and c (m["errors"]["by_class"]).
VERIFY='import json, sys
name, path, n, cls = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
d = json.load(open(path))
s = d["scenarios"][0]
m = s["metrics"]
q = m["requests"]
c = m["errors"]["by_class"]
conds = [
    ("q[\"total\"] == n and q[\"started\"] == n", "%d requests started and ended" % n),
    ("q[\"total\"] == q[\"succeeded\"] + q[\"failed\"] + q.get(\"cancelled\", 0)",
     "total = succeeded + failed (+ cancelled)"),
    ("sum(r[\"sent\"] for r in s[\"series\"]) == q[\"started\"]", "the series sent what started"),
    ("sum(r[\"succeeded\"] + r[\"failed\"] for r in s[\"series\"]) == q[\"total\"]",
     "the series ended what was counted"),
]
if cls == "ok":
    conds.append(("q[\"succeeded\"] == n", "all %d succeeded" % n))
elif cls != "-":
    conds.append(("c[cls] == n and m[\"errors\"][\"count\"] == n and q[\"succeeded\"] == 0",
                  "all %d failed as %s" % (n, cls)))
conds += list(zip(sys.argv[5::2], sys.argv[6::2]))
for expr, msg in conds:
    if not eval(expr):
        sys.exit("%s: %s: %s is false (requests %s, by_class %s)" % (name, msg, expr, q, c))'
verify() {
	local out
	out=$(python3 -c "$VERIFY" "$1" "$R" "${@:2}" 2>&1) || fail "$out"
}

rc_in() { # NAME CODES...: the exit code is one of CODES
	local name=$1 code
	shift
	for code in "$@"; do [ "$RC" = "$code" ] && return 0; done
	fail "$name: exit $RC, expected one of $*: $(cat "$T/$name.err")"
}

served() { # NAME N: the raw server read exactly N requests during the run
	[ "$SERVED" = "$2" ] || fail "$1: the server read $SERVED requests, expected $2"
}

# rss_within NAME BASE MIB WHY: the run's peak RSS exceeds the run BASE's by
# less than MIB MiB. Skipped for sanitizer builds, whose allocator keeps
# freed memory in quarantine.
SANITIZED=0
ldd "$PERFGATE" 2>/dev/null | grep -Eq 'lib(a|ub|t)san' && SANITIZED=1
rss_within() {
	local rss base
	[ "$SANITIZED" = 1 ] && return 0
	rss=$(cat "$T/$1.rss")
	base=$(cat "$T/$2.rss")
	[ "$rss" -lt $((base + $3 * 1024)) ] ||
		fail "$1: peak RSS $rss KiB, more than $3 MiB over $2's $base KiB: $4"
}

# ---- raw server: one fault per path --------------------------------------

start_raw raw
B="http://127.0.0.1:$RAW_PORT"
for tr in h1 curl; do
	RSS=1 run "$tr-ok" "$T/n.yaml" "$tr" "$B/ok/v1"
	rc_in "$tr-ok" 0
	served "$tr-ok" 6
	verify "$tr-ok" 6 ok

	# fault path, class, extra perfgate arguments
	while read -r path class extra; do
		name="$tr-$(printf %s "$path" | tr -c 'a-z0-9' '_')"
		# shellcheck disable=SC2086 # extra holds separate arguments
		run "$name" "$T/n.yaml" "$tr" "$B/$path/v1" $extra
		rc_in "$name" 0 1
		served "$name" 6
		case $path in
		status/code=429*) more=('m["errors"]["by_status"]["429"] == 6 and q["retries"] == 0'
			'429s counted, not retried without retries') ;;
		status/code=503*) more=('m["errors"]["by_status"]["503"] == 6' '503s counted') ;;
		stall*) more=('m["errors"]["timeout_rate"] == 1' 'a stall times out') ;;
		*) more=() ;;
		esac
		verify "$name" 6 "$class" "${more[@]}"
	done <<'EOF'
reset network
reset_mid/n=2 network
cut_chunked/n=2 network
no_done/n=2 protocol
malformed protocol
stream_error stream
status/code=429/ra=1 http
status/code=503/ra=7 http
stall/n=2 timeout --set scenarios.0.load.timeout=500ms
delay/ms=5000 timeout --set scenarios.0.load.timeout=500ms
EOF

	run "$tr-slow-first-byte" "$T/n.yaml" "$tr" "$B/delay/ms=150/v1"
	rc_in "$tr-slow-first-byte" 0
	served "$tr-slow-first-byte" 6
	verify "$tr-slow-first-byte" 6 ok 'm["ttft"]["min"] >= 150' "a slow first byte adds to ttft"

	# caps: a 24 MiB SSE line (the adapter keeps at most 8 MiB of one line)
	RSS=1 run "$tr-long-line" "$T/n.yaml" "$tr" "$B/long_line/mb=24/v1" \
		--set scenarios.0.load.requests=2 --set scenarios.0.load.timeout=20s
	rc_in "$tr-long-line" 0 1
	served "$tr-long-line" 2
	verify "$tr-long-line" 2 protocol
	# two requests in flight, at most 8 MiB kept by each: well below 2 x 24
	rss_within "$tr-long-line" "$tr-ok" 28 "an SSE line is capped at 8 MiB"
done

# an oversized body: h1's own cap (max_body_bytes) stops it early ...
RSS=1 run h1-big-body "$T/n.yaml" h1 "$B/big_body/mb=24/v1" --set workload.stream=false \
	--set target.transport_options.max_body_bytes=1048576 --set scenarios.0.load.requests=2 \
	--set scenarios.0.load.timeout=20s
rc_in h1-big-body 0 1
served h1-big-body 2
verify h1-big-body 2 protocol
rss_within h1-big-body h1-ok 8 "max_body_bytes caps a body at 1 MiB"
# ... and curl's at the adapter's 64 MiB cap (the rest is read and dropped)
RSS=1 run curl-big-body "$T/n.yaml" curl "$B/big_body/mb=128/v1" --set workload.stream=false \
	--set scenarios.0.load.concurrency=1 --set scenarios.0.load.requests=1 \
	--set scenarios.0.load.timeout=60s
rc_in curl-big-body 0 1
served curl-big-body 1
verify curl-big-body 1 protocol
# at most 64 MiB of the body kept: well below 128
rss_within curl-big-body curl-ok 80 "a JSON body is capped at 64 MiB"

# ---- connect failures: nothing listens, no such host, TLS -----------------

closed=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
for tr in h1 curl; do
	run "$tr-refused" "$T/n.yaml" "$tr" "http://127.0.0.1:$closed/v1"
	rc_in "$tr-refused" 3
	verify "$tr-refused" 6 connect
	# the .invalid TLD never resolves (RFC 6761)
	run "$tr-dns" "$T/n.yaml" "$tr" "http://does-not-exist.invalid:80/v1"
	rc_in "$tr-dns" 3
	verify "$tr-dns" 6 connect
	grep -qi "resolve" "$T/$tr-dns.err" || fail "$tr-dns: the error says the name did not resolve: $(cat "$T/$tr-dns.err")"
done

# TLS handshake failure: the raw server answers a ClientHello in plain text
# (https is curl only). insecure: true turns off verification, not TLS, so
# it fails the same way.
for ins in false true; do
	run "tls-plain-$ins" "$T/n.yaml" curl "https://127.0.0.1:$RAW_PORT/ok/v1" \
		--set "target.transport_options.insecure=$ins"
	rc_in "tls-plain-$ins" 3
	served "tls-plain-$ins" 6
	verify "tls-plain-$ins" 6 connect
	[ "$(tail -n 6 "$RAW_LOG" | grep -c ' !not-http ')" = 6 ] ||
		fail "tls-plain-$ins: the server got a ClientHello per request, no HTTP request"
done

# a certificate from an unknown CA: refused before any request is sent;
# with the CA it works, so the refusal is the certificate's (insecure: true
# is in test_tls.sh)
make_test_certs
start_raw tls --tls-cert "$T/srv.pem" --tls-key "$T/srv.key"
run tls-unknown-ca "$T/n.yaml" curl "https://127.0.0.1:$RAW_PORT/ok/v1"
rc_in tls-unknown-ca 3
served tls-unknown-ca 6
verify tls-unknown-ca 6 connect
[ "$(grep -c ' !tls-failed ' "$RAW_LOG")" = 6 ] || fail "tls-unknown-ca: the server saw a request: $(cat "$RAW_LOG")"
grep -qi "certificate" "$T/tls-unknown-ca.err" || fail "tls-unknown-ca: the error names the certificate"
run tls-known-ca "$T/n.yaml" curl "https://127.0.0.1:$RAW_PORT/ok/v1" \
	--set "target.transport_options.ca_file=$T/ca.pem"
rc_in tls-known-ca 0
served tls-known-ca 6
verify tls-known-ca 6 ok

# ---- Retry-After ----------------------------------------------------------

# gaps TAG MIN MAX: on the raw server's clock, every retry of a request to
# a path holding TAG came at least MIN and less than MAX seconds after the
# response that asked for it (flaky paths alternate fault, success).
gaps() {
	python3 - "$RAW_LOG" "$@" <<'PY' || fail "Retry-After ($1): $(grep "$1" "$RAW_LOG")"
import sys
log, tag, lo, hi = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
t = sorted((int(s), float(ts)) for s, mode, ts, path in (l.split() for l in open(log)) if tag in path)
assert len(t) >= 2 and len(t) % 2 == 0, t
gaps = [t[i + 1][1] - t[i][1] for i in range(0, len(t), 2)]
print("gaps", tag, ["%.3f" % g for g in gaps])
assert all(lo <= g < hi for g in gaps), gaps
PY
}

start_raw retry
B="http://127.0.0.1:$RAW_PORT"
retry=(--set scenarios.0.load.concurrency=1 --set scenarios.0.load.retries=1
	--set scenarios.0.load.retry_backoff=10ms --set scenarios.0.load.timeout=10s)
for tr in h1 curl; do
	# delay-seconds on a 429, an HTTP-date on a 503: each request fails once,
	# waits, and succeeds on its retry
	for f in "code=429/ra=1/tag=$tr-secs" "code=503/ra=1/date=1/tag=$tr-date"; do
		name="$tr-retry-$(printf %s "$f" | tr -c 'a-z0-9' '_')"
		run "$name" "$T/n.yaml" "$tr" "$B/flaky/$f/v1" "${retry[@]}" --set scenarios.0.load.requests=2
		rc_in "$name" 0
		served "$name" 4
		verify "$name" 2 ok 'q["retries"] == 2' "every request succeeded on its one retry" \
			'm["e2e"]["min"] >= 1000' "the wait is part of the latency"
		gaps "${f##*tag=}" 1.0 60
	done
	# Retry-After: 30 with a 1 s request timeout: the wait is cut to 1 s
	run "$tr-retry-cap" "$T/n.yaml" "$tr" "$B/flaky/code=429/ra=30/tag=$tr-cap/v1" \
		"${retry[@]}" --set scenarios.0.load.requests=1 --set scenarios.0.load.timeout=1s
	rc_in "$tr-retry-cap" 0
	served "$tr-retry-cap" 2
	verify "$tr-retry-cap" 1 ok 'q["retries"] == 1' "retried once"
	gaps "$tr-cap" 1.0 15
	# a 1 s run (timeout 20 s): the wait is cut to the end of the run; a
	# request that starts late in the run may get a second turn
	run "$tr-retry-window" "$T/d.yaml" "$tr" "$B/flaky/code=429/ra=30/tag=$tr-window/v1" \
		--set scenarios.0.load.retries=1 --set scenarios.0.load.retry_backoff=10ms
	rc_in "$tr-retry-window" 0 1
	n=$(json "$R" 'd["scenarios"][0]["metrics"]["requests"]["total"]')
	served "$tr-retry-window" $((2 * n))
	verify "$tr-retry-window" "$n" ok "$n >= 1 and q[\"retries\"] == $n" "every request retried once"
	gaps "$tr-window" 0 15
done

# ---- mock faults not covered by test_faults.sh ----------------------------

M="mock://?decode_ms=1&output_tokens=4"
for tr in h1 curl; do
	# the mock's 429 and 503 carry Retry-After: 1; a retry waits for it
	for q in "rate_limit_rate=1" "unavailable_rate=1"; do
		name="$tr-mock-retry-$(printf %s "$q" | tr -c 'a-z0-9' '_')"
		run "$name" "$T/n.yaml" "$tr" "$M&$q&retry_after_s=1" --set scenarios.0.load.requests=4 \
			--set scenarios.0.load.retries=1 --set scenarios.0.load.retry_backoff=10ms \
			--request-log "$T/$name.requests"
		rc_in "$name" 0 1
		verify "$name" 4 http 'q["retries"] == 4' "every request retried once"
		# failures have no e2e histogram; the request log has their times
		python3 - "$T/$name.requests" <<'PY' || fail "$name: a retry did not wait the mock's Retry-After"
import sys
rows = [l.split() for l in open(sys.argv[1]) if not l.startswith("#")]
assert len(rows) == 4, rows
assert all(int(r[3]) - int(r[0]) >= 10**9 for r in rows), rows
PY
	done
	while read -r q class extra; do
		name="$tr-mock-$(printf %s "$q" | tr -c 'a-z0-9' '_')"
		# shellcheck disable=SC2086
		run "$name" "$T/n.yaml" "$tr" "$M&$q" $extra
		rc_in "$name" 0 1
		verify "$name" 6 "$class"
	done <<'EOF'
reset_rate=1&reset_after=0 network
stall_rate=1&stall_after=0 timeout --set scenarios.0.load.timeout=300ms
first_byte_delay_ms=3000 timeout --set scenarios.0.load.timeout=300ms
EOF
	# every fault at once, drawn per request: each request lands in one
	# class, and the same seed gives both transports the same classes
	run "$tr-mock-mixed" "$T/n.yaml" "$tr" \
		"$M&seed=11&error_rate=0.15&rate_limit_rate=0.15&reset_rate=0.15&malformed_rate=0.15&midstream_error_rate=0.15" \
		--set scenarios.0.load.requests=40
	rc_in "$tr-mock-mixed" 0 1
	same=True
	[ "$tr" = curl ] && same="c == json.load(open(\"$T/h1-mock-mixed/results.json\"))[\"scenarios\"][0][\"metrics\"][\"errors\"][\"by_class\"]"
	verify "$tr-mock-mixed" 40 - \
		'sum(c.values()) == m["errors"]["count"] == q["failed"]' "every failure has one class" \
		'all(c[k] > 0 for k in ("http", "network", "protocol", "stream"))' "all the faults fired" \
		'c["http"] == m["errors"]["by_status"].get("500", 0) + m["errors"]["by_status"].get("429", 0)' \
		"http errors are the 500s and 429s" \
		"$same" "both transports classify the same faults the same way"
done

printf 'peak RSS (KiB):'
for f in h1-ok curl-ok h1-long-line curl-long-line h1-big-body curl-big-body; do
	printf ' %s %s' "$f" "$(cat "$T/$f.rss")"
done
echo
echo "ok: fault matrix"
