#!/usr/bin/env bash
# The progress line: without a terminal, a plain line on stderr every 5 s
# (so a 6-s run shows one) naming the scenario, never the target's secrets;
# nothing with --quiet; never on stdout. On a terminal (when `script` can
# give us one), one line rewritten with \r and erased at the end.
source "$PG_E2E/lib.sh"
cat >"$T/p.yaml" <<'EOF'
name: p6
target:
  url: "mock://?decode_ms=5&output_tokens=10&slots=64"
  headers:
    Authorization: "Bearer sekrit-token-123"
workload:
  prompts: ["hello"]
  max_tokens: 10
scenarios:
  - name: six
    load:
      concurrency: 2
      duration: 6s
EOF

# the three 6-s runs at once: the line comes from the run's own clock
"$PERFGATE" run "$T/p.yaml" --no-color >"$T/plain.out" 2>"$T/plain.err" &
p1=$!
"$PERFGATE" run "$T/p.yaml" --no-color --quiet >"$T/quiet.out" 2>"$T/quiet.err" &
p2=$!
"$PERFGATE" load 'mock://?decode_ms=5' --adapter openai-chat --max-tokens 10 -c 2 -d 6s --no-color >"$T/load.out" \
	2>"$T/load.err" &
p3=$!
PIDS+=("$p1" "$p2" "$p3")
wait "$p1" || fail "run: exit $?"
wait "$p2" || fail "run --quiet: exit $?"
wait "$p3" || fail "load: exit $?"

n=$(grep -c '^perfgate: progress ' "$T/plain.err")
[ "$n" -ge 1 ] || fail "run: no progress line on stderr"
# 6 s + draining: one line at 5 s, at most one more if the drain reaches 10 s
[ "$n" -le 2 ] || fail "run: $n progress lines for a 6-s run (one every 5 s expected)"
grep -Eq '^perfgate: progress \[ *[0-9]+\.[0-9]/6\.0 s\] six (steady|cooldown)  [0-9]+ req/s  in flight [0-9]+  errors [0-9]+\.[0-9]%  p95 e2e ([0-9.]+ m?s|-)  ttft ([0-9.]+ m?s|-)$' \
	"$T/plain.err" || fail "run: progress line format: $(grep progress "$T/plain.err")"
! grep -q $'\r' "$T/plain.err" || fail "run: carriage return without a terminal"
! grep -q "sekrit" "$T/plain.err" "$T/plain.out" || fail "run: a header value was printed"
! grep -Eq "progress|in flight" "$T/plain.out" || fail "run: progress text on stdout"
grep -q "^verdict: PASS" "$T/plain.out" || fail "run: the table is on stdout"

! grep -Eq "progress|in flight" "$T/quiet.err" || fail "run --quiet: progress line: $(cat "$T/quiet.err")"
grep -q "^verdict: PASS" "$T/quiet.out" || fail "run --quiet: the table is still printed"

grep -Eq '^perfgate: progress \[ *[0-9]+\.[0-9]/6\.0 s\] load ' "$T/load.err" ||
	fail "load: no progress line"
grep -Eq '^perfgate: progress .* errors 0\.0%' "$T/load.err" || fail "load: errors in the progress line"
! grep -Eq "progress|in flight" "$T/load.out" || fail "load: progress text on stdout"

# a terminal: `script` runs perfgate on a pseudo-terminal (stderr included);
# skipped where no pseudo-terminal can be had
if command -v script >/dev/null &&
	script -qec "true" /dev/null >/dev/null 2>&1; then
	script -qec "'$PERFGATE' run '$T/p.yaml' --no-color --set scenarios.0.load.duration=2s >'$T/tty.out'" \
		/dev/null >"$T/tty.err" 2>&1 || fail "tty run: exit $?"
	grep -q $'\r\\[ *[0-9.]*/2\\.0 s\\] six ' "$T/tty.err" || fail "tty: no live line: $(cat -A "$T/tty.err")"
	grep -q $'\r\033\\[K' "$T/tty.err" || fail "tty: the live line is not erased"
	! grep -q '^perfgate: progress' "$T/tty.err" || fail "tty: plain lines on a terminal"
	! grep -q $'\r' "$T/tty.out" || fail "tty: progress on stdout"
else
	echo "note: no pseudo-terminal (script): live line not checked"
fi
echo "ok: progress line"
