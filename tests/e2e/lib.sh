# Helpers for the end-to-end test scripts (sourced).
set -uo pipefail
: "${PERFGATE:?PERFGATE must name the perfgate binary}"
: "${PG_SRC:?PG_SRC must name the source tree}"
T=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	for f in "$T"/*.out "$T"/*.err; do [ -f "$f" ] && { echo "--- $f"; cat "$f"; }; done
	exit 1
}

# wait_for_line FILE REGEX: polls FILE until a line matches (deadline 30 s);
# prints the matching line.
wait_for_line() {
	local i
	for i in $(seq 1 600); do
		if grep -Eq -- "$2" "$1" 2>/dev/null; then
			grep -Em1 -- "$2" "$1"
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# start_test_server NAME ARGS...: starts tests/servers/openai_server.py and
# sets PORT.
start_test_server() {
	local name=$1 line
	shift
	python3 "$PG_SRC/tests/servers/openai_server.py" --max-seconds 240 "$@" >"$T/$name.srv" 2>&1 &
	PIDS+=($!)
	line=$(wait_for_line "$T/$name.srv" '^listening [0-9]+$') || fail "test server $name did not start"
	PORT=${line#listening }
}

# start_mock NAME ARGS...: starts `perfgate mock --listen 127.0.0.1:0 ARGS` and sets PORT.
start_mock() {
	local name=$1 line
	shift
	"$PERFGATE" mock --listen 127.0.0.1:0 "$@" >"$T/$name.srv" 2>&1 &
	PIDS+=($!)
	line=$(wait_for_line "$T/$name.srv" 'listening on http://127\.0\.0\.1:[0-9]+/v1') ||
		fail "perfgate mock $name did not start"
	PORT=$(echo "$line" | sed -E 's|.*127\.0\.0\.1:([0-9]+)/v1.*|\1|')
}

# make_test_certs: a throwaway CA ($T/ca.pem, $T/ca.key) and a server
# certificate for IP 127.0.0.1 signed by it ($T/srv.pem, $T/srv.key);
# openssl's output goes to $T/openssl.log.
make_test_certs() {
	command -v openssl >/dev/null || fail "openssl is needed to make the test certificates"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=perfgate test CA" \
		-keyout "$T/ca.key" -out "$T/ca.pem" >"$T/openssl.log" 2>&1 || fail "openssl CA"
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$T/srv.key" \
		-out "$T/srv.csr" >>"$T/openssl.log" 2>&1 || fail "openssl CSR"
	printf 'subjectAltName=IP:127.0.0.1\n' >"$T/san.ext"
	openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
		-days 2 -extfile "$T/san.ext" -out "$T/srv.pem" >>"$T/openssl.log" 2>&1 || fail "openssl sign"
}

# json FILE EXPR: prints a Python expression evaluated on the JSON document `d`.
json() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# check COND_PY_EXPR FILE MESSAGE: fails unless the expression on `d` is true.
check() {
	local r
	r=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(bool(eval(sys.argv[2])))' "$2" "$1") ||
		fail "$3 (could not evaluate $1)"
	[ "$r" = True ] || fail "$3: $1 is false"
}
