#!/usr/bin/env bash
# A plugin built as a shared object is found through --plugin-path and
# PERFGATE_PLUGIN_PATH, listed with its options, validated against its
# option table, and drives a run; a plugin built for another ABI is refused.
source "$PG_E2E/lib.sh"
P="$PG_BUILD/test-plugins"

"$PERFGATE" plugins --plugin-path "$P" >"$T/list.out" 2>"$T/list.err" || fail "plugins exited $?"
grep -q "^adapter test-raw 0.0.1 (ABI 1.1, $P/test-raw.so)" "$T/list.out" || fail "test-raw listed"
grep -Eq "^    max_tokens +int +default 8 +range 1..4096 unit tokens" "$T/list.out" || fail "option table"
grep -q "^adapter openai-chat .*built in" "$T/list.out" || fail "built-ins listed"

cat >"$T/suite.yaml" <<'YAML'
target:
  adapter: test-raw
  url: "mock://?decode_ms=1"
  options: {max_tokens: 4}
workload:
  prompts: ["x"]
scenarios:
  - name: s
    load: {concurrency: 2, requests: 10}
    requirements: ["requests.succeeded >= 10"]
YAML
PERFGATE_PLUGIN_PATH="$P" "$PERFGATE" run "$T/suite.yaml" --no-color >"$T/run.out" 2>"$T/run.err" ||
	fail "run with the shared-object adapter exited $?"
grep -q "^verdict: PASS" "$T/run.out" || fail "verdict"

sed -i 's/max_tokens: 4/max_tokns: 4/' "$T/suite.yaml"
"$PERFGATE" validate "$T/suite.yaml" --plugin-path "$P" >"$T/bad.out" 2>"$T/bad.err"
[ $? = 2 ] || fail "unknown plugin option must exit 2"
grep -q "suite.yaml:4:13: adapter 'test-raw': unknown option 'max_tokns' (did you mean 'max_tokens'?)" \
	"$T/bad.err" || fail "unknown plugin option message"

cp "$PG_BUILD/test-plugins-abi2/test-abi2.so" "$T/test-raw.so"
sed -i 's/max_tokns: 4/max_tokens: 4/' "$T/suite.yaml"
"$PERFGATE" validate "$T/suite.yaml" --plugin-path "$T" >"$T/abi.out" 2>"$T/abi.err"
[ $? = 2 ] || fail "ABI mismatch must fail validation with exit 2"
grep -q "built for perfgate plugin ABI 2.1; this perfgate supports ABI 1.0 to 1.1" "$T/abi.err" ||
	fail "ABI mismatch message"
echo "ok: shared-object plugins"
