#!/usr/bin/env bash
# Quality graded by another model: the `judge` scorer asks a judge target
# (the test server in --mode judge, which grades 9/10 when the answer holds
# the expected text and 2/10 when not) about a sample of the mock's
# answers, after the load. Scores, sample sizes, the judge's request count,
# the timing of those requests, secrets and failures are checked.
source "$PG_E2E/lib.sh"
S="$PG_E2E/suites/judge.yaml"
export PG_TEST_JUDGE_KEY="jk-$$-do-not-print"
start_test_server judge --mode judge --require-auth "$PG_TEST_JUDGE_KEY" --count-file "$T/judged.txt"
J="http://127.0.0.1:$PORT/v1"
q='d["scenarios"][0]["metrics"]["quality"]'
judged() { if [ -f "$T/judged.txt" ]; then wc -l <"$T/judged.txt" | tr -d ' '; else echo 0; fi; }

# Every answer judged (20 successes, sample 100): one worker sends the four
# items five times each, so the mean is exactly (10 x 0.9 + 10 x 0.2) / 20.
"$PERFGATE" run "$S" --scenario graded --set "quality.judge.url=$J" --workers 1 --no-color \
	--out "$T/all" --request-log "$T/all.log" >"$T/all.out" 2>"$T/all.err" || fail "all: exit $?"
R="$T/all/results.json"
check "$q[\"graded\"] == 20 and abs($q[\"score\"] - 0.55) < 1e-12" "$R" "mean of 9/10 and 2/10 grades"
check "$q[\"pass_rate\"] == 0.5 and abs($q[\"p10\"] - 0.2) < 1e-12" "$R" "pass rate and p10"
check "$q[\"judged_after_run\"] is True and $q[\"judge_failures\"] == 0" "$R" "judged after the run"
[ "$(judged)" = 20 ] || fail "the judge saw $(judged) requests, expected 20"
grep -q "quality: score 0.550, 50.0% passed, p10 0.200 (20 graded)" "$T/all.out" || fail "table shows quality"
# nothing was judged during the load: the judge's first request (its
# CLOCK_MONOTONIC time) came after the last byte of every measured request
last=$(grep -v '^#' "$T/all.log" | awk '{print $4}' | sort -n | tail -1)
first=$(sort -n "$T/judged.txt" | head -1)
[ -n "$last" ] && [ "$first" -gt "$last" ] || fail "a judge request ($first) came before the load ended ($last)"

# A sample smaller than the successes, merged from two workers' reservoirs:
# exactly `sample` answers are judged, and the mean is one of 7 such grades.
rm -f "$T/judged.txt"
"$PERFGATE" run "$S" --scenario graded --set "quality.judge.url=$J" --set quality.sample=7 \
	--workers 2 --no-color --out "$T/s7" >"$T/s7.out" 2>"$T/s7.err" || fail "s7: exit $?"
R="$T/s7/results.json"
check "$q[\"graded\"] == min(7, d[\"scenarios\"][0][\"metrics\"][\"requests\"][\"succeeded\"])" "$R" "graded == min(sample, successes)"
check "any(abs($q[\"score\"] - (k * 0.9 + (7 - k) * 0.2) / 7) < 1e-12 for k in range(8))" "$R" "a mean of 7 grades"
[ "$(judged)" = 7 ] || fail "the judge saw $(judged) requests, expected 7"

# A sweep judges each level's own sample; the kept level reports its grades.
rm -f "$T/judged.txt"
"$PERFGATE" run "$S" --scenario sweep --set "quality.judge.url=$J" --set quality.sample=3 \
	--workers 1 --no-color --out "$T/sw" >"$T/sw.out" 2>"$T/sw.err" || fail "sweep: exit $?"
R="$T/sw/results.json"
check 'all(l["quality"] is not None for l in d["scenarios"][0]["sweep"]["levels"])' "$R" "every level graded"
check "$q[\"graded\"] == 3" "$R" "the kept level's sample"
[ "$(judged)" = 6 ] || fail "the judge saw $(judged) requests, expected 2 levels x 3"

# Replies without a score leave their answers ungraded, counted and named
# once; the rest still count (all 9/10 here).
"$PERFGATE" run "$S" --scenario graded --set "quality.judge.url=$J" --workers 1 --no-color \
	--set "workload.dataset=$PG_E2E/suites/data/judge_noscore.jsonl" --out "$T/ns" \
	>"$T/ns.out" 2>"$T/ns.err" || fail "noscore: exit $?"
R="$T/ns/results.json"
check "$q[\"graded\"] == 10 and $q[\"judge_failures\"] == 10 and abs($q[\"score\"] - 0.9) < 1e-12" "$R" "unscored replies are left ungraded"
[ "$(grep -c 'could not be judged' "$T/ns.err")" = 1 ] || fail "one warning for the unscored replies"
grep -q '10 of 20 sampled answers could not be judged .*no score in the judge.s reply "I cannot grade this."' "$T/ns.err" ||
	fail "the warning quotes the reply: $(cat "$T/ns.err")"

# A judge that cannot be reached grades nothing: the run could not be
# carried out (exit 3, the reason on stderr); results.json still says so.
dead=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$PERFGATE" run "$S" --scenario graded --set "quality.judge.url=http://127.0.0.1:$dead/v1" \
	--no-color --out "$T/dead" >"$T/dead.out" 2>"$T/dead.err"
rc=$?
[ "$rc" = 3 ] || fail "an unreachable judge must exit 3, got $rc"
grep -q "could not run: the judge graded none of the 20 sampled answers of scenario graded (judge http://127.0.0.1:$dead/v1: cannot connect" "$T/dead.err" ||
	fail "unreachable judge message: $(cat "$T/dead.err")"
check "$q[\"graded\"] == 0 and $q[\"judge_failures\"] == 20 and $q[\"score\"] is None and d[\"exit_code\"] == 3" "$T/dead/results.json" "ungraded, counted"

# The judge's API key (from the environment) is sent but never shown.
for f in "$T"/*.out "$T"/*.err "$T"/*.log "$T"/*/results.json; do
	grep -qF "$PG_TEST_JUDGE_KEY" "$f" && fail "the judge's key appears in $f"
done

# `judge:` is required by the judge scorer and refused by the others (exit 2).
cp -r "$PG_E2E/suites/data" "$T/data"
python3 - "$S" "$T" <<'EOF'
import re, sys
s = open(sys.argv[1]).read()
open(sys.argv[2] + "/nojudge.yaml", "w").write(re.sub(r"  judge:\n(    .*\n|      .*\n)*", "", s))
open(sys.argv[2] + "/incontains.yaml", "w").write(
    s.replace("scorer: judge", "scorer: contains").replace("  options: {pass_score: 0.7}\n", ""))
EOF
"$PERFGATE" validate "$T/nojudge.yaml" >"$T/nj.out" 2>"$T/nj.err"
[ $? = 2 ] || fail "a judge scorer without judge: must exit 2"
grep -q "nojudge.yaml:13:3: quality.judge: the 'judge' scorer needs a judge target" "$T/nj.err" ||
	fail "missing judge message: $(cat "$T/nj.err")"
"$PERFGATE" validate "$T/incontains.yaml" >"$T/ic.out" 2>"$T/ic.err"
[ $? = 2 ] || fail "judge: with an in-run scorer must exit 2"
grep -q "incontains.yaml:[0-9]*:3: quality.judge: the 'contains' scorer grades every answer during the run" "$T/ic.err" ||
	fail "judge with contains message: $(cat "$T/ic.err")"
# the judge's adapter options are checked by validate, before any load
cat >"$T/badjudge.yaml" <<'YAML'
version: 1
target: {url: "mock://"}
workload: {prompts: ["hi"]}
quality:
  scorer: judge
  judge:
    adapter: http-json
    url: "http://127.0.0.1:9/v1"
    options: {text_path: "x"}
scenarios:
  - name: s
    load: {concurrency: 1, requests: 1}
YAML
"$PERFGATE" validate "$T/badjudge.yaml" >"$T/bj.out" 2>"$T/bj.err"
[ $? = 2 ] || fail "a judge adapter with bad options must exit 2 at validate"
grep -q "quality.judge.options: adapter 'http-json': .*template" "$T/bj.err" ||
	fail "judge adapter options message: $(cat "$T/bj.err")"
echo "ok: judge"
