#!/usr/bin/env bash
# Secrets never leave perfgate: unique canaries are planted as a target's
# bearer token (${ENV} header), as a judge target's API keys, as the
# password and the query key of a target URL, as a proxy password and as
# literal `perfgate load -H` headers; then every command runs and writes
# every output it can: results, request log, all CI reports (GitHub summary
# and annotations), verbose logs, a baseline committed to git (file and
# commit message), compare, report (and a Pushgateway push), validate,
# history, failing runs against a server that echoes the credentials it
# got back in its 401 answers, connection refused, bad suites and bad
# flags. No file written and no line printed may contain a canary.
source "$PG_E2E/lib.sh"
command -v git >/dev/null || { echo "SKIP: git not installed"; exit 77; }

TAG="pgcanary$$x$RANDOM$RANDOM"
KEY="$TAG-bearer"          # the target's Authorization: Bearer ${PG_CANARY_KEY}
JKEY="$TAG-judge"          # the judge's Authorization and Api-Key headers
PASS="$TAG-urlpass"        # http://user:PASS@host/...
QKEY="$TAG-querykey"       # ...?api_key=QKEY
PPASS="$TAG-proxypass"     # transport_options.proxy http://puser:PPASS@...
HKEY="$TAG-loadheader"     # perfgate load -H 'Authorization: Bearer HKEY'
export PG_CANARY_KEY="$KEY" PG_CANARY_JUDGE_KEY="$JKEY"
# how the canaries look once encoded for HTTP Basic authentication
B64=$(printf 'user:%s' "$PASS" | base64 -w0)
PB64=$(printf 'puser:%s' "$PPASS" | base64 -w0)
export GIT_CONFIG_NOSYSTEM=1 HOME="$T" GITHUB_ACTIONS=true GITHUB_STEP_SUMMARY="$T/out/step-summary.md"
unset GITHUB_BASE_REF CI_MERGE_REQUEST_DIFF_BASE_SHA
# servers' own files (they see the secrets by design) live outside $T/out
mkdir -p "$T/out" "$T/srv"
O="$T/out"

# A server that refuses everything with 401 and echoes back every
# credential it got (headers, decoded Basic auth, the request line) in the
# body and in a WWW-Authenticate header, as a careless gateway would.
cat >"$T/srv/echo.py" <<'EOF'
import base64, json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        got = []
        for k in ("Authorization", "Proxy-Authorization", "Api-Key", "X-Api-Key"):
            v = self.headers.get(k)
            if v:
                got.append("%s=%s" % (k, v))
                if v.startswith("Basic "):
                    got.append("basic=" + base64.b64decode(v[6:]).decode("utf-8", "replace"))
        text = "no: " + " ".join(got) + " request=" + self.path
        body = json.dumps({"error": {"message": text, "type": "auth"}}).encode()
        code = 407 if self.path.startswith("http") else 401
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("WWW-Authenticate", "Bearer error=\"%s\"" % text.replace('"', "'"))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = answer

s = ThreadingHTTPServer(("127.0.0.1", 0), H)
print("listening", s.server_address[1], flush=True)
s.serve_forever()
EOF
python3 "$T/srv/echo.py" >"$T/srv/echo.srv" 2>&1 &
PIDS+=($!)
line=$(wait_for_line "$T/srv/echo.srv" '^listening [0-9]+$') || fail "echo server did not start"
EPORT=${line#listening }

start_test_server ok --mode vllm --require-auth "$KEY"
OKPORT=$PORT
start_test_server judge --mode judge --require-auth "$JKEY"
JPORT=$PORT
# a port nothing listens on: bind one, note it, close it
DEAD=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

OKURL="http://user:$PASS@127.0.0.1:$OKPORT/v1?api_key=$QKEY"
ECHOURL="http://user:$PASS@127.0.0.1:$EPORT/v1?api_key=$QKEY"
DEADURL="http://user:$PASS@127.0.0.1:$DEAD/v1?api_key=$QKEY"
JURL="http://judge:$PASS@127.0.0.1:$JPORT/v1?api_key=$QKEY"
JECHO="http://judge:$PASS@127.0.0.1:$EPORT/v1?api_key=$QKEY"
PROXY="http://puser:$PPASS@127.0.0.1:$EPORT"

R="$T/repo"
mkdir -p "$R/suites"
cat >"$R/suites/canary.yaml" <<'EOF'
version: 1
name: canary
target:
  adapter: openai-chat
  url: "http://127.0.0.1:9/v1"
  model: test-model
  headers:
    Authorization: "Bearer ${PG_CANARY_KEY}"
    X-Api-Key: "${PG_CANARY_KEY}"
workload:
  prompts:
    - {prompt: "Say hello", expected: "w0"}
    - {prompt: "Say more", expected: "w1"}
  max_tokens: 3
quality:
  scorer: judge
  sample: 4
  judge:
    url: "http://127.0.0.1:9/v1"
    model: grader
    headers:
      Authorization: "Bearer ${PG_CANARY_JUDGE_KEY}"
      Api-Key: "${PG_CANARY_JUDGE_KEY}"
baseline:
  history: 5
  compare:
    e2e.p95: 50%
scenarios:
  - name: steady
    load: {concurrency: 2, requests: 8, timeout: 20s}
    requirements:
      - errors.rate < 1%
EOF
g() { git -C "$R" -c user.name=Tester -c user.email=tester@example.com "$@"; }
g init -q -b main
g config user.name Tester
g config user.email tester@example.com
g add suites && g commit -q -m "suite"
S=suites/canary.yaml

# pg NAME ARGS...: runs perfgate in the repository, stdout and stderr to
# $O/NAME.out and $O/NAME.err; sets RC.
pg() {
	local name=$1
	shift
	(cd "$R" && "$PERFGATE" "$@") >"$O/$name.out" 2>"$O/$name.err"
	RC=$?
}
expect_rc() { # NAME WANTED...
	local name=$1 w
	shift
	for w in "$@"; do [ "$RC" = "$w" ] && return 0; done
	fail "$name: exit $RC, expected $* $(cat "$O/$name.out" "$O/$name.err")"
}
ALL_REPORTS=junit,github,gitlab,openmetrics,html

# 1. a passing run through every output: the target URL carries a
#    password and a query key (libcurl sends them), the judge has its own
pg validate validate "$S" --target "$OKURL" --set "quality.judge.url=$JURL" -v
expect_rc validate 0
pg pass run "$S" --target "$OKURL" --transport curl --set "quality.judge.url=$JURL" -v --no-color \
	--out "$O/pass" --request-log "$O/pass.log" --report "$ALL_REPORTS" --update-baseline --commit
expect_rc pass 0
check 'd["scenarios"][0]["metrics"]["requests"]["succeeded"] == 8' "$O/pass/results.json" "the passing run succeeded"
check 'd["scenarios"][0]["metrics"]["quality"]["graded"] == 4' "$O/pass/results.json" "the judge graded"
[ -f "$R/baselines/canary/steady.json" ] || fail "the baseline was written"
[ "$(g log --format=%s -1)" != "suite" ] || fail "the baseline was committed"
pg pass2 run "$S" --target "$OKURL" --transport curl --set "quality.judge.url=$JURL" --no-color \
	--out "$O/pass2" --repeat 2 --update-baseline
expect_rc pass2 0
pg bupdate baseline update "$S" --results "$O/pass2" --commit
expect_rc bupdate 0
pg history history "$S"
expect_rc history 0

# 2. the target answers 401 and echoes the credentials: requests fail, the
#    judge too (it is the echo server as well)
pg echo run "$S" --target "$ECHOURL" --transport curl --set "quality.judge.url=$JECHO" -v --no-color \
	--out "$O/echo" --request-log "$O/echo.log" --report "$ALL_REPORTS"
expect_rc echo 1 3
check 'd["scenarios"][0]["metrics"]["errors"]["count"] == 8' "$O/echo/results.json" "the 401s are errors"
# the native HTTP/1.1 client refuses a URL with credentials in it (by
# default they take libcurl): its message must not show them
pg echo_h1 run "$S" --target "$ECHOURL" --transport h1 --set "quality.judge.url=$JECHO" -v \
	--no-color --out "$O/echo_h1" --request-log "$O/echo_h1.log"
expect_rc echo_h1 3
grep -q "credentials in a URL need the curl transport" "$O/echo_h1.err" || fail "h1 says why"
pg echo_auto run "$S" --target "$ECHOURL" --set "quality.judge.url=$JECHO" --no-color --out "$O/echo_auto"
expect_rc echo_auto 1 3
check 'd["target"]["transport"] == "curl"' "$O/echo_auto/results.json" "a URL with credentials takes libcurl"
# the target answers, the judge echoes its keys back in a 401
pg judge_echo run "$S" --target "$OKURL" --set "quality.judge.url=$JECHO" -v --no-color \
	--out "$O/judge_echo" --report "$ALL_REPORTS"
expect_rc judge_echo 3
grep -q "HTTP status 401" "$O/judge_echo.err" || fail "the judge's 401 is reported"
# without credentials in the URL, h1 sends the headers and gets the echo
pg echo_h1b run "$S" --target "http://127.0.0.1:$EPORT/v1?api_key=$QKEY" --transport h1 -v --no-color \
	--set "quality.judge.url=http://127.0.0.1:$EPORT/v1?api_key=$QKEY" --out "$O/echo_h1b" \
	--request-log "$O/echo_h1b.log" --report "$ALL_REPORTS"
expect_rc echo_h1b 1 3
check 'd["scenarios"][0]["metrics"]["errors"]["count"] == 8' "$O/echo_h1b/results.json" "h1: the 401s are errors"
# through a proxy with a password: the echo server answers 407 as the proxy
# (NO_PROXY set, so loopback goes through it too)
NO_PROXY=example.invalid pg proxy run "$S" --target "http://127.0.0.1:$OKPORT/v1?api_key=$QKEY" -v --no-color \
	--set "target.transport_options.proxy=$PROXY" --set "quality.judge.url=$JURL" \
	--out "$O/proxy" --request-log "$O/proxy.log" --report "$ALL_REPORTS"
expect_rc proxy 1 3
check 'd["target"]["transport"] == "curl"' "$O/proxy/results.json" "a proxy takes libcurl"
check 'd["scenarios"][0]["metrics"]["errors"]["count"] == 8' "$O/proxy/results.json" "the 407s are errors"

# 3. connection refused, through both transports
pg dead run "$S" --target "$DEADURL" --transport curl --set "quality.judge.url=$JURL" -v --no-color \
	--out "$O/dead" --request-log "$O/dead.log" --report "$ALL_REPORTS"
expect_rc dead 3
pg dead_h1 run "$S" --target "http://127.0.0.1:$DEAD/v1?api_key=$QKEY" --transport h1 -v --no-color \
	--set "quality.judge.url=$JURL" --out "$O/dead_h1"
expect_rc dead_h1 3
pg deadjudge run "$S" --target "$OKURL" --transport curl --set "quality.judge.url=$DEADURL" -v \
	--no-color --out "$O/deadjudge"
expect_rc deadjudge 3

# 4. compare and report, on every results file written
pg cmp compare --suite "$S" --no-color --json "$O/cmp.json" "$O/pass/results.json" "$O/echo/results.json"
expect_rc cmp 0 1 2
pg cmp2 compare --no-color "$R/baselines/canary/steady.json" "$O/pass2"
expect_rc cmp2 0 1 2
for d in pass pass2 echo echo_h1b proxy dead; do
	pg "report_$d" report "$O/$d/results.json" --report "$ALL_REPORTS" --out "$O/report_$d"
	expect_rc "report_$d" 0
done
# a Pushgateway that refuses and echoes the credentials of the push URL
pg push report "$O/pass/results.json" --report openmetrics --out "$O/push" \
	--push "http://user:$PASS@127.0.0.1:$EPORT/gw?api_key=$QKEY"
expect_rc push 3

# 5. ad-hoc load with literal headers on the command line
pg load load "http://user:$PASS@127.0.0.1:$OKPORT/v1?api_key=$QKEY" --adapter openai-chat \
	--model test-model -H "Authorization: Bearer $KEY" -H "X-Api-Key: $HKEY" -n 4 -c 1 \
	--transport curl --json "$O/load.json" --request-log "$O/load.log" --no-color
expect_rc load 0
pg load_echo load "http://127.0.0.1:$EPORT/v1/chat/completions?api_key=$QKEY" --method POST \
	--body '{}' -H "Authorization: Bearer $HKEY" -H "Api-Key: $HKEY" -n 4 -c 1 \
	--json "$O/load_echo.json" --request-log "$O/load_echo.log" --no-color
expect_rc load_echo 0 1 3
pg load_dead load "$DEADURL" -H "Authorization: Bearer $HKEY" -n 2 -c 1 --transport curl \
	--json "$O/load_dead.json" --no-color
expect_rc load_dead 3
pg load_bad load "$DEADURL" -H "Authorization Bearer $HKEY" -n 2
expect_rc load_bad 2
pg load_badurl load "ftp://user:$PASS@127.0.0.1/?api_key=$QKEY" -n 2
expect_rc load_badurl 2

# 6. bad suites and bad flags around the secrets
pg bad_scheme validate "$S" --target "ftp://user:$PASS@127.0.0.1/v1?api_key=$QKEY"
expect_rc bad_scheme 2
pg bad_host validate "$S" --target "http://user:$PASS@/v1?api_key=$QKEY"
expect_rc bad_host 2
pg bad_proxy validate "$S" --set "target.transport_options.proxy=$PROXY" \
	--set "target.transport_options.proxyy=$PROXY"
expect_rc bad_proxy 2
pg bad_set validate "$S" --set "target.headers=Bearer $KEY"
expect_rc bad_set 2
pg bad_set2 validate "$S" --set "target.headers.Authorization.x=Bearer $KEY"
expect_rc bad_set2 2
pg bad_judge validate "$S" --set "quality.judge.url=gopher://judge:$PASS@h/?api_key=$QKEY"
expect_rc bad_judge 2
PG_CANARY_KEY="$KEY"$'\n'"X-Evil: 1" pg bad_nl validate "$S"
expect_rc bad_nl 2
cat >"$R/suites/bad.yaml" <<'EOF'
name: bad
target:
  url: "http://127.0.0.1:9/v1"
  headers:
    Authorization: "Bearer ${PG_CANARY_KEY}"
    Bad Name: "${PG_CANARY_KEY}"
scenarios:
  - name: s
    load: {concurrency: 1, requests: 1}
EOF
pg bad_name validate suites/bad.yaml
expect_rc bad_name 2
sed -i 's/^    Bad Name/    X-Other/; s/^scenarios:/unknown_key: "${PG_CANARY_KEY}"\nscenarios:/' "$R/suites/bad.yaml"
pg bad_key validate suites/bad.yaml
expect_rc bad_key 2
pg bad_key_run run suites/bad.yaml --out "$O/bad_key_run"
expect_rc bad_key_run 2

# 7. nothing written or printed holds a canary: every file under $O, the
#    repository's work tree and its whole history (commit messages and
#    contents), and GitHub's step summary
g log -p --all --format='commit %H%n%B' >"$O/git-history.txt"
grep -q "baselines/canary/steady.json" "$O/git-history.txt" || fail "the history holds the baselines"
[ -s "$GITHUB_STEP_SUMMARY" ] || fail "the step summary was written"
leaks=$(grep -rlaF -e "$TAG" -e "$B64" -e "$PB64" "$O" "$R" --exclude-dir=.git)
if [ -n "$leaks" ]; then
	for f in $leaks; do
		echo "--- $f"
		grep -naF -e "$TAG" -e "$B64" -e "$PB64" "$f" | cut -c1-400 | head -5
	done
	fail "secrets leaked into: $(echo $leaks)"
fi
# the outputs still say what went wrong, without the secrets
grep -rqa "401" "$O/echo.err" "$O/echo.out" "$O/echo/results.json" || fail "the 401 is reported"
grep -qa "127.0.0.1:$DEAD" "$O/dead.err" "$O/dead.out" || fail "the refused URL's host is named"
echo "ok: secrets canary"
