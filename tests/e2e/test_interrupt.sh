#!/usr/bin/env bash
# SIGINT or SIGTERM stops a long run within moments: exit 4, results.json
# written (atomically, no temp file left) with "interrupted": true and
# consistent counts (started = succeeded + failed + cancelled), the request
# log committed, the remaining scenario skipped, and the baselines left
# alone even with --update-baseline. A second signal exits at once (130)
# without leaving a temp file.
source "$PG_E2E/lib.sh"
W="$T/w"
mkdir -p "$W"
# answers take 50 x 20 ms = 1 s, so requests are in flight at any moment
cat >"$W/long.yaml" <<'EOF'
name: long
target:
  url: "mock://?decode_ms=20&output_tokens=50&slots=64"
workload:
  prompts: ["hello"]
  max_tokens: 50
scenarios:
  - name: first
    load:
      concurrency: 8
      duration: 60s
    requirements:
      - errors.rate < 1%
  - name: second
    load:
      concurrency: 8
      duration: 60s
EOF

# control: an uninterrupted short run does record baselines, so the checks
# below that they stay untouched mean something
(cd "$W" && "$PERFGATE" run long.yaml --set scenarios.0.load.duration=1s \
	--set scenarios.1.load.duration=1s --update-baseline --quiet --out "$T/ctl") \
	>"$T/ctl.out" 2>"$T/ctl.err" || fail "control run: exit $?"
B="$W/baselines/long/first.json"
[ -f "$B" ] || fail "control run recorded no baseline"
base_sum=$(cksum <"$B")
base_files=$(find "$W/baselines" -type f | sort)

# wait_exit PID SECONDS: polls until PID is gone; fails after the deadline.
wait_exit() {
	local i
	for i in $(seq 1 $(($2 * 20))); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.05
	done
	return 1
}

# interrupted_run NAME SIGNAL: starts the 120-s run in the background, waits
# for its first progress line, sends SIGNAL and checks what it left.
interrupted_run() {
	local name=$1 sig=$2 out="$T/$1" pid rc
	mkdir -p "$out"
	(cd "$W" && exec "$PERFGATE" run long.yaml --no-color --out "$out" \
		--request-log "$out/requests.log" --update-baseline) >"$T/$name.out" 2>"$T/$name.err" &
	pid=$!
	PIDS+=("$pid")
	wait_for_line "$T/$name.err" '^perfgate: progress \[' >/dev/null ||
		fail "$name: no progress line on stderr"
	# the run is measuring: its request log is still a temp file
	ls "$out" | grep -q '^requests\.log\.tmp' || fail "$name: request log temp file while running"
	kill -"$sig" "$pid"
	# the stop takes a fraction of a second; the deadline allows for a loaded machine
	wait_exit "$pid" 20 || fail "$name: still running 20 s after SIG$sig (120 s planned)"
	wait "$pid"
	rc=$?
	[ "$rc" = 4 ] || fail "$name: exit $rc after SIG$sig, expected 4"
	R="$out/results.json"
	[ -f "$R" ] || fail "$name: no results.json"
	check 'd["interrupted"] is True and d["interrupted_by"] == "SIG'"$sig"'"' "$R" "$name: marked interrupted"
	check 'd["exit_code"] == 4 and d["verdict"] == "fail"' "$R" "$name: exit code in the document"
	check 'd["skipped_scenarios"] == ["second"] and len(d["scenarios"]) == 1' "$R" \
		"$name: the second scenario skipped"
	check 'd["scenarios"][0]["interrupted"] is True and d["scenarios"][0]["interrupted_after_s"] >= 4' \
		"$R" "$name: the scenario says where it stopped"
	local q='d["scenarios"][0]["metrics"]["requests"]'
	check "$q[\"total\"] == $q[\"succeeded\"] + $q[\"failed\"]" "$R" "$name: total = succeeded + failed"
	check "$q[\"started\"] == $q[\"succeeded\"] + $q[\"failed\"] + $q[\"cancelled\"]" "$R" \
		"$name: started = succeeded + failed + cancelled"
	check "$q[\"succeeded\"] > 0 and 0 <= $q[\"cancelled\"] <= 8" "$R" "$name: plausible counts"
	check 'd["scenarios"][0]["window_s"] < 40' "$R" "$name: the window ends at the stop"
	# nothing but the committed files in the out dir
	[ "$(ls "$out" | sort | tr '\n' ' ')" = "requests.log results.json " ] ||
		fail "$name: unexpected files in the out dir: $(ls "$out")"
	# the request log is committed: its header and one line per measured request
	local lines total
	lines=$(grep -vc '^#' "$out/requests.log")
	total=$(json "$R" "$q[\"total\"]")
	[ "$lines" = "$total" ] || fail "$name: request log has $lines requests, results $total"
	[ "$(cksum <"$B")" = "$base_sum" ] || fail "$name: the baseline file changed"
	[ "$(find "$W/baselines" -type f | sort)" = "$base_files" ] || fail "$name: baseline files added"
	grep -q "baselines not updated: the run was interrupted" "$T/$name.err" ||
		fail "$name: no word that the baselines were left alone"
	grep -q "^verdict: INTERRUPTED" "$T/$name.out" || fail "$name: table not marked INTERRUPTED"
	grep -q "INTERRUPTED by SIG$sig: the results are partial" "$T/$name.out" ||
		fail "$name: no interruption note"
	! grep -q "progress" "$T/$name.out" || fail "$name: progress text on stdout"
}

interrupted_run int INT
interrupted_run term TERM

# two signals back to back: the second exits at once (130) unless the
# first had already finished the run (4; the kernel may also merge them).
# Either way no temp file is left and the baselines are untouched.
out="$T/twice"
mkdir -p "$out"
(cd "$W" && exec "$PERFGATE" run long.yaml --no-color --out "$out" \
	--request-log "$out/requests.log" --update-baseline) >"$T/twice.out" 2>"$T/twice.err" &
pid=$!
PIDS+=("$pid")
wait_for_line "$T/twice.err" '^perfgate: progress \[' >/dev/null || fail "twice: no progress line"
kill -INT "$pid"
kill -INT "$pid"
wait_exit "$pid" 20 || fail "twice: still running 20 s after two SIGINTs"
wait "$pid"
rc=$?
case $rc in
130)
	[ -z "$(ls "$out")" ] || fail "twice: exit 130 left files: $(ls "$out")"
	;;
4)
	[ "$(ls "$out" | sort | tr '\n' ' ')" = "requests.log results.json " ] ||
		fail "twice: unexpected files: $(ls "$out")"
	;;
*) fail "twice: exit $rc, expected 130 or 4" ;;
esac
[ "$(cksum <"$B")" = "$base_sum" ] || fail "twice: the baseline file changed"

# `perfgate load` stops the same way
(exec "$PERFGATE" load 'mock://?decode_ms=20' --adapter openai-chat --max-tokens 50 -c 4 \
	-d 60s --json "$T/load.json" --no-color) >"$T/load.out" 2>"$T/load.err" &
pid=$!
PIDS+=("$pid")
wait_for_line "$T/load.err" '^perfgate: progress \[' >/dev/null || fail "load: no progress line"
kill -INT "$pid"
wait_exit "$pid" 20 || fail "load: still running 20 s after SIGINT"
wait "$pid"
rc=$?
[ "$rc" = 4 ] || fail "load: exit $rc after SIGINT, expected 4"
check 'd["interrupted"] is True and d["scenarios"][0]["interrupted"] is True' "$T/load.json" \
	"load: marked interrupted"
check 'd["scenarios"][0]["metrics"]["requests"]["succeeded"] > 0' "$T/load.json" "load: answers measured"
echo "ok: interrupted runs"
