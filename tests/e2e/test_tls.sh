#!/usr/bin/env bash
# https targets go through the curl transport with certificate verification
# on by default: a server whose certificate the CA file vouches for works, an
# unknown certificate fails every request as a connect error (exit 3), and
# `insecure: true` connects anyway with a loud warning (once); the judge
# target of `quality.judge` verifies and warns the same way.
source "$PG_E2E/lib.sh"
export PG_TEST_API_KEY=tls-test-key

make_test_certs

start_test_server tls --mode vllm --tls-cert "$T/srv.pem" --tls-key "$T/srv.key"
URL="https://127.0.0.1:$PORT/v1"
S="$PG_E2E/suites/chat_real.yaml"

"$PERFGATE" run "$S" --target "$URL" --set "target.transport_options.ca_file=$T/ca.pem" \
	--no-color --out "$T/ok" >"$T/ok.out" 2>"$T/ok.err" || fail "verified TLS run: exit $?"
check 'd["target"]["transport"] == "curl"' "$T/ok/results.json" "https uses curl"
check 'd["scenarios"][0]["metrics"]["requests"]["succeeded"] == 12' "$T/ok/results.json" "12 successes over TLS"

"$PERFGATE" run "$S" --target "$URL" --no-color --out "$T/bad" >"$T/bad.out" 2>"$T/bad.err"
rc=$?
[ "$rc" = 3 ] || fail "an unverifiable certificate must exit 3, got $rc"
check 'd["scenarios"][0]["metrics"]["errors"]["by_class"]["connect"] == 12' "$T/bad/results.json" "certificate failures are connect errors"
grep -qi "certificate" "$T/bad.err" || fail "the error names the certificate: $(cat "$T/bad.err")"

"$PERFGATE" run "$S" --target "$URL" --set target.transport_options.insecure=true \
	--no-color --out "$T/insecure" >"$T/insecure.out" 2>"$T/insecure.err" || fail "insecure run: exit $?"
grep -qi "warning.*insecure\|insecure.*warning\|verification.*off\|NOT verified" "$T/insecure.err" ||
	fail "insecure must warn: $(cat "$T/insecure.err")"
[ "$(grep -ci "insecure" "$T/insecure.err")" = 1 ] || fail "insecure warns once, not per worker: $(cat "$T/insecure.err")"
! grep -qi "insecure" "$T/ok.err" "$T/ok.out" || fail "a verified run does not warn about insecure TLS"

# the judge target verifies too: an unknown certificate fails the judging
# (exit 3), insecure: true grades with the same loud warning, a CA file
# grades quietly
export PG_TEST_JUDGE_KEY=tls-judge-key
start_test_server tlsjudge --mode judge --require-auth "$PG_TEST_JUDGE_KEY" --tls-cert "$T/srv.pem" --tls-key "$T/srv.key"
JS="$PG_E2E/suites/judge.yaml"
JURL="https://127.0.0.1:$PORT/v1"
"$PERFGATE" run "$JS" --scenario graded --set "quality.judge.url=$JURL" --set quality.sample=2 \
	--no-color --out "$T/jbad" >"$T/jbad.out" 2>"$T/jbad.err"
rc=$?
[ "$rc" = 3 ] || fail "a judge with an unverifiable certificate must exit 3, got $rc"
grep -qi "certificate" "$T/jbad.err" || fail "the judge error names the certificate: $(cat "$T/jbad.err")"
"$PERFGATE" run "$JS" --scenario graded --set "quality.judge.url=$JURL" --set quality.sample=2 \
	--set quality.judge.transport_options.insecure=true --no-color --out "$T/jins" \
	>"$T/jins.out" 2>"$T/jins.err"
rc=$? # 1 when the two sampled answers happen to grade below quality.score >= 0.5
[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "insecure judge: exit $rc $(cat "$T/jins.err")"
check 'd["scenarios"][0]["metrics"]["quality"]["graded"] == 2' "$T/jins/results.json" "graded over unverified TLS"
grep -q "warning: judge https://127.0.0.1:$PORT/v1: insecure: TLS certificates and host names are not verified" \
	"$T/jins.err" || fail "an insecure judge must warn: $(cat "$T/jins.err")"
"$PERFGATE" run "$JS" --scenario graded --set "quality.judge.url=$JURL" --set quality.sample=2 \
	--set "quality.judge.transport_options.ca_file=$T/ca.pem" --no-color --out "$T/jok" \
	>"$T/jok.out" 2>"$T/jok.err"
rc=$?
[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "verified judge: exit $rc $(cat "$T/jok.err")"
check 'd["scenarios"][0]["metrics"]["quality"]["graded"] == 2' "$T/jok/results.json" "graded over verified TLS"
! grep -qi "insecure" "$T/jok.err" || fail "a verified judge does not warn"
# mutual TLS: a server that requires a client certificate from the CA
openssl req -newkey rsa:2048 -nodes -subj "/CN=perfgate client" -keyout "$T/cli.key" \
	-out "$T/cli.csr" >>"$T/openssl.log" 2>&1 || fail "openssl client CSR"
openssl x509 -req -in "$T/cli.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial -days 2 \
	-out "$T/cli.pem" >>"$T/openssl.log" 2>&1 || fail "openssl sign client"
start_test_server mtls --mode vllm --tls-cert "$T/srv.pem" --tls-key "$T/srv.key" --tls-client-ca "$T/ca.pem"
URL="https://127.0.0.1:$PORT/v1"
"$PERFGATE" run "$S" --target "$URL" --set "target.transport_options.ca_file=$T/ca.pem" \
	--set "target.transport_options.client_cert=$T/cli.pem" --set "target.transport_options.client_key=$T/cli.key" \
	--no-color --out "$T/mtls" >"$T/mtls.out" 2>"$T/mtls.err" || fail "mutual TLS run: exit $?"
check 'd["scenarios"][0]["metrics"]["requests"]["succeeded"] == 12' "$T/mtls/results.json" "12 successes with a client certificate"
"$PERFGATE" run "$S" --target "$URL" --set "target.transport_options.ca_file=$T/ca.pem" \
	--no-color --out "$T/nocert" >"$T/nocert.out" 2>"$T/nocert.err"
rc=$?
[ "$rc" = 1 ] || [ "$rc" = 3 ] || fail "without a client certificate: exit $rc"
check 'd["scenarios"][0]["metrics"]["requests"]["succeeded"] == 0 and d["scenarios"][0]["metrics"]["errors"]["count"] == 12' \
	"$T/nocert/results.json" "every request refused without a client certificate"
echo "ok: tls"
