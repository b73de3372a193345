#!/usr/bin/env bash
# Workloads against the mock, which counts a prompt's whitespace-separated
# words as its input tokens and honours each request's max_tokens: synthetic
# token counts arrive exactly, the same seed sends the same workload, and a
# ShareGPT + synthetic + inline mix runs. One worker takes the items in
# order, so `requests: N` over N items sends each item once.
source "$PG_E2E/lib.sh"
S="$PG_E2E/suites/workloads.yaml"
M="$PG_E2E/suites/workloads_mix.yaml"

run() { # NAME SUITE EXTRA...
	local name=$1 suite=$2 rc
	shift 2
	"$PERFGATE" run "$suite" --workers 1 --no-color --out "$T/$name" "$@" >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	[ "$rc" = 0 ] || fail "$name: exit $rc"
}
tok() { # NAME FIELD
	json "$T/$1/results.json" "d['scenarios'][0]['metrics']['tokens']['$2']"
}
m='d["scenarios"][0]["metrics"]'

# fixed input tokens: 20 requests of exactly 50 words each
run fixed "$S"
R="$T/fixed/results.json"
check "$m[\"requests\"][\"succeeded\"] == 20" "$R" "fixed: 20 answered"
check "$m[\"tokens\"][\"input_total\"] == 50 * 20" "$R" "fixed: input tokens are 50 per request"
check "4 * 20 <= $m[\"tokens\"][\"output_total\"] <= 8 * 20" "$R" "uniform [4, 8] output tokens"

# the same seed sends the same output lengths, another seed others
run again "$S"
run seed2 "$S" --set workload.seed=2
o1=$(tok fixed output_total)
o1b=$(tok again output_total)
o2=$(tok seed2 output_total)
[ "$o1" = "$o1b" ] || fail "seed 1 gave $o1 then $o1b output tokens"
[ "$o1" != "$o2" ] || fail "seeds 1 and 2 both gave $o1 output tokens"
[ "$(tok seed2 input_total)" = 1000 ] || fail "seed 2 changed the fixed input tokens"
echo "output tokens: seed 1 -> $o1, seed 2 -> $o2"

# a shared prefix adds its words to every prompt; numbers count as words too
run prefix "$S" --set workload.synthetic.shared_prefix_tokens=30
[ "$(tok prefix input_total)" = $(((30 + 50) * 20)) ] || fail "prefix: $(tok prefix input_total) input tokens"
run numbers "$S" --set workload.synthetic.vocabulary=numbers
[ "$(tok numbers input_total)" = 1000 ] || fail "numbers: $(tok numbers input_total) input tokens"

# without output_tokens the workload's max_tokens applies
run maxtok "$S" --set workload.synthetic.output_tokens= --set workload.max_tokens=3
[ "$(tok maxtok output_total)" = 60 ] || fail "max_tokens: $(tok maxtok output_total) output tokens"

# a sampled mix: 100 items, all answered, the same for the same seed
run mix1 "$M"
run mix2 "$M"
run mix3 "$M" --set workload.seed=8
check "$m[\"requests\"][\"succeeded\"] == 100" "$T/mix1/results.json" "mix: 100 answered"
check "$m[\"tokens\"][\"output_total\"] <= 5 * 100" "$T/mix1/results.json" "mix: max_tokens honoured"
[ "$(tok mix1 input_total)" = "$(tok mix2 input_total)" ] || fail "mix: same seed, different input tokens"
[ "$(tok mix1 input_total)" != "$(tok mix3 input_total)" ] || fail "mix: seeds 7 and 8 sent the same input tokens"
grep -q "skipped 2 of 5 conversations without a human turn" "$T/mix1.err" ||
	fail "mix: skipped ShareGPT conversations not reported"

# a bad workload is refused before any load, naming the node
cat >"$T/bad.yaml" <<'YAML'
target: {url: "mock://"}
workload:
  synthetic:
    input_tokens: {unifrom: [1, 2]}
scenarios:
  - {name: s, load: {concurrency: 1, requests: 1}}
YAML
"$PERFGATE" validate "$T/bad.yaml" >"$T/bad.out" 2>"$T/bad.err"
rc=$?
[ "$rc" = 2 ] || fail "bad workload: exit $rc, not 2"
grep -qF "$T/bad.yaml:4:20: unknown key 'unifrom' in a token distribution (did you mean 'uniform'?)" "$T/bad.err" ||
	fail "bad workload: message"
echo "ok: workloads"
