#!/usr/bin/env bash
# openai-embeddings and http-json against tests/servers/openai_server.py:
# requests arrive as valid JSON (prompts with quotes, newlines and non-ASCII
# text included), content and token counts come from the configured places
# in whole bodies, SSE and NDJSON streams, and error objects and malformed
# answers fail requests with the right class. The example suites validate.
source "$PG_E2E/lib.sh"

run_suite() { # NAME EXPECTED_EXIT ARGS...
	local name=$1 want=$2 rc
	shift 2
	"$PERFGATE" run --no-color --out "$T/$name" "$@" >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	[ "$rc" = "$want" ] || fail "$name: exit $rc, expected $want"
}
m='d["scenarios"][0]["metrics"]'

start_test_server srv --mode vllm --delay-ms 0.5
BASE="http://127.0.0.1:$PORT"
EMB="$PG_E2E/suites/embeddings.yaml"
HJ="$PG_E2E/suites/http_json.yaml"

# 1. Embeddings: one content event each, input tokens from usage, no output.
run_suite emb 0 "$EMB" --target "$BASE/v1"
check "$m[\"requests\"][\"succeeded\"] == 10" "$T/emb/results.json" "emb: 10 successes"
check "$m[\"tokens\"][\"input_total\"] == 10 * 5" "$T/emb/results.json" "emb: input tokens"
check "$m[\"tokens\"][\"output_total\"] == 0" "$T/emb/results.json" "emb: no output tokens"
check "$m[\"tokens\"][\"source\"] == \"usage\"" "$T/emb/results.json" "emb: tokens from usage"
check "$m[\"ttft\"][\"count\"] == 10" "$T/emb/results.json" "emb: content reported"
run_suite emb64 0 "$EMB" --target "$BASE/v1" --set target.options.encoding_format=base64
check "$m[\"requests\"][\"succeeded\"] == 10" "$T/emb64/results.json" "emb64: base64 accepted"

# 2. Embeddings failures: an error object, and a body without data.
run_suite emberr 1 "$EMB" --target "$BASE/v1" --set "target.options.path=/embeddings?error=1"
check "$m[\"errors\"][\"by_class\"][\"stream\"] == 10" "$T/emberr/results.json" "emberr: stream class"
run_suite embbad 1 "$EMB" --target "$BASE/v1" --set "target.options.path=/embeddings?malformed=1"
check "$m[\"errors\"][\"by_class\"][\"protocol\"] == 10" "$T/embbad/results.json" \
	"embbad: protocol class"

# 3. http-json, one JSON body: text and both token counts from their paths.
run_suite hj 0 "$HJ" --target "$BASE"
check "$m[\"requests\"][\"succeeded\"] == 12" "$T/hj/results.json" "hj: 12 successes"
check "$m[\"tokens\"][\"output_total\"] == 12 * 6" "$T/hj/results.json" "hj: output tokens"
check "$m[\"tokens\"][\"input_total\"] == 12 * 5" "$T/hj/results.json" "hj: prompts arrived whole"
check "$m[\"itl\"][\"count\"] == 0" "$T/hj/results.json" "hj: one content chunk each"

# 4. SSE and NDJSON streams: one content chunk per token event, the counts
#    from the last event, the end at [DONE] or done_path.
STREAMED=(--set target.options.text_path=token.text --set target.options.done_path=done
	--set target.options.output_tokens_path=stats.output_tokens
	--set target.options.input_tokens_path=stats.input_tokens)
for mode in sse ndjson; do
	run_suite "hj$mode" 0 "$HJ" --target "$BASE" --set "target.options.stream=$mode" \
		--set "target.options.path=/json-echo?stream=$mode" "${STREAMED[@]}"
	r="$T/hj$mode/results.json"
	check "$m[\"requests\"][\"succeeded\"] == 12" "$r" "hj$mode: 12 successes"
	check "$m[\"tokens\"][\"output_total\"] == 12 * 6" "$r" "hj$mode: output tokens"
	check "$m[\"tokens\"][\"input_total\"] == 12 * 5" "$r" "hj$mode: input tokens"
	check "$m[\"itl\"][\"count\"] == 12 * 5" "$r" "hj$mode: a content chunk per token"
done

# 5. http-json failures: an error object in the body and mid-stream.
run_suite hjerr 1 "$HJ" --target "$BASE" --set "target.options.path=/json-echo?error=1"
check "$m[\"errors\"][\"by_class\"][\"stream\"] == 12" "$T/hjerr/results.json" "hjerr: stream class"
run_suite hjsseerr 1 "$HJ" --target "$BASE" --set target.options.stream=sse \
	--set "target.options.path=/json-echo?stream=sse&error=1" "${STREAMED[@]}"
check "$m[\"errors\"][\"by_class\"][\"stream\"] == 12" "$T/hjsseerr/results.json" \
	"hjsseerr: stream class"

# 6. A text path that misses every answer is a protocol failure.
run_suite hjpath 1 "$HJ" --target "$BASE" --set target.options.text_path=result.text
check "$m[\"errors\"][\"by_class\"][\"protocol\"] == 12" "$T/hjpath/results.json" \
	"hjpath: protocol class"

# 7. A template that is not JSON is refused before any load, naming the option.
"$PERFGATE" run --no-color --out "$T/badtmpl" "$HJ" --target "$BASE" \
	--set 'target.options.template={"inputs": {{prompt}}' >"$T/badtmpl.out" 2>"$T/badtmpl.err"
rc=$?
[ "$rc" = 2 ] || fail "badtmpl: exit $rc, expected 2 (a bad suite)"
grep -q "option 'template' is not valid JSON" "$T/badtmpl.err" || fail "badtmpl: message"
"$PERFGATE" validate "$HJ" --set 'target.options.template={"inputs": {{prompt}}' >"$T/badtmplv.out" 2>"$T/badtmplv.err"
[ $? = 2 ] || fail "badtmpl: validate must refuse it too"
grep -q "target.options: adapter 'http-json': .*template" "$T/badtmplv.err" || fail "badtmpl: validate message"

# 8. The example suites validate, and both adapters are listed.
for s in embeddings http_json; do
	"$PERFGATE" validate "$PG_SRC/suites/examples/$s.yaml" >"$T/val_$s.out" 2>"$T/val_$s.err" ||
		fail "validate suites/examples/$s.yaml exited $?"
done
"$PERFGATE" plugins >"$T/plugins.out" 2>&1 || fail "plugins exited $?"
grep -q "^adapter openai-embeddings " "$T/plugins.out" || fail "openai-embeddings listed"
grep -q "^adapter http-json " "$T/plugins.out" || fail "http-json listed"
echo "ok: embeddings and http-json adapters"
