#!/usr/bin/env bash
# Baselines round-trip through a real git repository: recorded and
# committed on the default branch, read at the merge-base from a feature
# branch without touching the work tree, an unchanged service passes, a
# slower one fails the build as a regression, a different load is refused,
# a dedicated baseline branch is written without a checkout, a shallow
# clone gets told how to fetch the base, and `perfgate history` finds the
# commit where the level shifted.
source "$PG_E2E/lib.sh"
command -v git >/dev/null || { echo "SKIP: git not installed"; exit 77; }
R="$T/repo"
mkdir -p "$R/suites"
cp "$PG_E2E/suites/baseline.yaml" "$R/suites/svc.yaml"
SLOW='mock://?decode_ms=2&ttft_ms=30&prefill_us=0&jitter=0.05&run_noise=0.01&slots=64&seed=11&speed=3'
g() { git -C "$R" -c user.name=Tester -c user.email=tester@example.com "$@"; }
export GIT_CONFIG_NOSYSTEM=1 HOME="$T"
unset GITHUB_BASE_REF CI_MERGE_REQUEST_DIFF_BASE_SHA
g init -q -b main
g config user.name Tester
g config user.email tester@example.com
g add suites && g commit -q -m "suite"

# 1. the default branch records a baseline of 5 repeats and commits it
( cd "$R" && "$PERFGATE" run suites/svc.yaml --no-color --repeat 5 --update-baseline --commit \
	--out "$T/base" ) >"$T/base.out" 2>"$T/base.err" || fail "baseline run: exit $? $(cat "$T/base.err")"
B="$R/baselines/baseline-e2e/steady.json"
[ -f "$B" ] || fail "baseline file written"
check 'd["schema"] == "perfgate-baseline/1" and len(d["history"]) == 5' "$B" "5 runs of history"
[ "$(g log --format=%s -1)" != "suite" ] || fail "a baseline commit was made"
g show --stat HEAD | grep -q "baselines/baseline-e2e/steady.json" || fail "the commit holds the baseline"
[ "$(g show --stat --format= HEAD | grep -c '|')" = 1 ] || fail "the commit touches only the baseline"
[ -z "$(g status --porcelain)" ] || fail "work tree clean after --commit: $(g status --porcelain)"
check 'd["scenarios"][0]["baseline"]["status"] == "missing"' "$T/base/results.json" "no baseline before the first"

# 2. a feature branch: an unchanged service passes (A/A)
g checkout -q -b feature
echo "change" >"$R/README" && g add README && g commit -q -m "unrelated change"
echo "local edit" >"$B"   # the work tree's copy must not be read
# three repeats: one run disturbed by a busy machine moves the mean of three
# and widens the interval, rather than faking a regression
( cd "$R" && "$PERFGATE" run suites/svc.yaml --no-color --repeat 3 --out "$T/aa" ) >"$T/aa.out" 2>"$T/aa.err"
rc=$?
[ $rc = 0 ] || fail "A/A run must pass: exit $rc $(cat "$T/aa.out" "$T/aa.err")"
check 'd["scenarios"][0]["baseline"]["status"] == "compared"' "$T/aa/results.json" "compared"
check 'd["scenarios"][0]["baseline"]["runs"] == 5' "$T/aa/results.json" "history read from git"
check '"merge-base" in d["scenarios"][0]["baseline"]["ref"]' "$T/aa/results.json" "default ref is the merge-base"
check 'all(c["verdict"] != "regression" for c in d["scenarios"][0]["comparisons"])' "$T/aa/results.json" "no regression in A/A"
check 'len(d["scenarios"][0]["comparisons"]) == 4' "$T/aa/results.json" "4 metrics compared"
grep -q "baseline of steady: compared" "$T/aa.out" || fail "console shows the comparison"
g checkout -q -- "$B"

# 3. a three times slower service fails as a regression
( cd "$R" && "$PERFGATE" run suites/svc.yaml --no-color --repeat 3 --set "target.url=$SLOW" --out "$T/slow" ) \
	>"$T/slow.out" 2>"$T/slow.err"
rc=$?
[ $rc = 1 ] || fail "regression must exit 1, got $rc $(cat "$T/slow.out")"
check '[c["verdict"] for c in d["scenarios"][0]["comparisons"] if c["metric"] == "ttft.p95"] == ["regression"]' \
	"$T/slow/results.json" "ttft.p95 regression"
check 'd["scenarios"][0]["comparisons"][0]["verdict"] == "regression"' "$T/slow/results.json" "most severe first"
check 'd["verdict"] == "fail" and d["exit_code"] == 1' "$T/slow/results.json" "document verdict"
# the regression was confirmed on max(2 x 3, 5) = 6 runs before failing
check 'len(d["scenarios"][0]["runs"]) == 6' "$T/slow/results.json" "confirmed with 3 more runs"
grep -q "confirming with 3 more runs" "$T/slow.err" || fail "says it confirms: $(cat "$T/slow.err")"
grep -q "regression" "$T/slow.out" || fail "console names the regression"

# 4. offline compare of the two results files says the same
"$PERFGATE" compare --suite "$R/suites/svc.yaml" --no-color "$T/aa/results.json" "$T/slow/results.json" >"$T/cmp.out" 2>&1
[ $? = 1 ] || fail "compare must exit 1 on the regression: $(cat "$T/cmp.out")"
"$PERFGATE" compare --no-color "$T/aa" "$T/aa" >"$T/same.out" 2>&1 || fail "compare of a run with itself passes: $(cat "$T/same.out")"

# 5. another load is refused (inconclusive), exit 2 with --strict, compared with --force
( cd "$R" && "$PERFGATE" run suites/svc.yaml --no-color --set scenarios.0.load.rate=40/s --out "$T/ref" ) >"$T/ref.out" 2>&1
[ $? = 0 ] || fail "a refused comparison does not fail without --strict"
check 'd["scenarios"][0]["baseline"]["status"] == "refused" and "load_hash" in d["scenarios"][0]["baseline"]["reason"]' \
	"$T/ref/results.json" "refused names the load"
( cd "$R" && "$PERFGATE" run suites/svc.yaml --no-color --strict --set scenarios.0.load.rate=40/s ) >"$T/strict.out" 2>&1
[ $? = 2 ] || fail "--strict refused must exit 2"
( cd "$R" && "$PERFGATE" run suites/svc.yaml --no-color --force --set scenarios.0.load.rate=40/s --out "$T/force" ) >"$T/force.out" 2>&1
check 'd["scenarios"][0]["baseline"]["status"] == "compared"' "$T/force/results.json" "--force compares"

# 6. a dedicated baseline branch, written without a checkout
head_before=$(g rev-parse HEAD)
( cd "$R" && "$PERFGATE" baseline update suites/svc.yaml --results "$T/aa" --branch perfgate-baselines ) \
	>"$T/br.out" 2>&1 || fail "baseline update --branch: $(cat "$T/br.out")"
[ "$(g rev-parse HEAD)" = "$head_before" ] || fail "HEAD unchanged by --branch"
[ "$(g symbolic-ref --short HEAD)" = feature ] || fail "still on feature"
g show perfgate-baselines:baselines/baseline-e2e/steady.json >"$T/br.json" || fail "branch holds the baseline"
check 'len(d["history"]) == 3' "$T/br.json" "a new branch starts its own history (the 3 repeats)"
g checkout -q -- "$B" 2>/dev/null; g clean -qfd baselines 2>/dev/null

# 7. a staged unrelated change makes --commit refuse
echo x >"$R/other" && g add other
( cd "$R" && "$PERFGATE" baseline update suites/svc.yaml --results "$T/aa" --commit ) >"$T/staged.out" 2>&1
[ $? = 3 ] || fail "--commit with unrelated staged changes must fail"
grep -q "other" "$T/staged.out" || fail "names the staged path: $(cat "$T/staged.out")"
g reset -q other && rm -f "$R/other"; g checkout -q -- "$B"

# 8. a shallow clone without the base gets told how to fetch it
git clone -q --depth 1 --branch feature "file://$R" "$T/shallow" 2>/dev/null || fail "shallow clone"
( cd "$T/shallow" && GITHUB_BASE_REF=main "$PERFGATE" run suites/svc.yaml --no-color --out "$T/sh" ) >"$T/sh.out" 2>"$T/sh.err"
[ $? = 3 ] || fail "a shallow clone without the base must not pass silently: $(cat "$T/sh.out" "$T/sh.err")"
grep -q "fetch-depth: 0" "$T/sh.err" || fail "says how to fetch: $(cat "$T/sh.err")"

# 9. a corrupt committed baseline is an error, never a silent pass
g checkout -q main
head -c 200 "$B" >"$T/cut.json" && cp "$T/cut.json" "$B" && g commit -qam "cut baseline"
g checkout -q feature && g rebase -q main >/dev/null 2>&1 || fail "rebase"
( cd "$R" && "$PERFGATE" run suites/svc.yaml --no-color ) >"$T/cor.out" 2>"$T/cor.err"
[ $? = 3 ] || fail "corrupt baseline must exit 3"
grep -q "steady.json at" "$T/cor.err" || fail "names the file and commit: $(cat "$T/cor.err")"
g checkout -q main && g revert --no-edit HEAD >/dev/null

# 10. history: two more normal runs, then three slow ones; the shift is found
for i in 1 2; do
	( cd "$R" && "$PERFGATE" run suites/svc.yaml --no-color --no-baseline --update-baseline --commit \
		--set "scenarios.0.load.duration=2s" ) >/dev/null 2>&1 || fail "history run $i"
done
for i in 1 2 3; do
	( cd "$R" && "$PERFGATE" run suites/svc.yaml --no-color --no-baseline --update-baseline --commit \
		--set "target.url=$SLOW" --set "scenarios.0.load.duration=2s" ) >/dev/null 2>&1 || fail "slow history run $i"
	[ $i = 1 ] && first_slow=$(g rev-parse --short=10 HEAD)
done
( cd "$R" && "$PERFGATE" history suites/svc.yaml --metric ttft.p95 --min-shift 30% ) >"$T/hist.out" 2>&1 || fail "history: $(cat "$T/hist.out")"
grep -q "1 change point" "$T/hist.out" || fail "one change point: $(cat "$T/hist.out")"
grep "<- shift" "$T/hist.out" | grep -q "$first_slow" || fail "the shift begins at the first slow commit ($first_slow): $(cat "$T/hist.out")"
echo "ok: baselines in git"
