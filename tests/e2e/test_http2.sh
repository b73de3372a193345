#!/usr/bin/env bash
# `transport_options: {http2: true}` really speaks HTTP/2: streamed chat
# completions through nginx (TLS, ALPN h2, proxy_buffering off) in front of
# `perfgate mock` all succeed with streamed timings (TTFT well before the end),
# and nginx's access log ($server_protocol) shows HTTP/2.0 for every request.
# The same check sees HTTP/1.1 when http2 is off, and http2 against a TLS
# server that offers only HTTP/1.1 negotiates down to HTTP/1.1 and still works.
# h2 over cleartext (prior knowledge) is not covered here.
# Exits 77 (skipped) when nginx with the HTTP/2 module is not installed.
source "$PG_E2E/lib.sh"

NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
if [ ! -x "$NGINX" ] || ! "$NGINX" -V 2>&1 | grep -q -- --with-http_v2_module; then
	echo "skip: nginx with --with-http_v2_module is not installed"
	exit 77
fi
export PG_TEST_API_KEY=http2-test-key
make_test_certs

# the mock: 40 ms to the first token, then one every 20 ms; 8 tokens take
# 40 + 7 x 20 = 180 ms
start_mock mock ttft_ms=40 decode_ms=20 prefill_us=0 slots=64 seed=5
MOCK_PORT=$PORT

# free_port: prints a TCP port on 127.0.0.1 that was free a moment ago.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_nginx: nginx in the foreground, unprivileged, everything under $T/nginx,
# with H2_PORT (TLS + HTTP/2) and H1_PORT (TLS, HTTP/1.1 only) proxying to the
# mock; retries with new ports if one was taken meanwhile.
start_nginx() {
	local attempt i pid
	mkdir -p "$T/nginx/logs" "$T/nginx/tmp"
	for attempt in 1 2 3 4 5; do
		H2_PORT=$(free_port) && H1_PORT=$(free_port) || fail "no free port"
		[ "$H2_PORT" != "$H1_PORT" ] || continue
		cat >"$T/nginx/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/logs/error.log info;
events { worker_connections 256; }
http {
	log_format proto 'proto=\$server_protocol status=\$status method=\$request_method uri=\$request_uri';
	client_body_temp_path $T/nginx/tmp/body;
	proxy_temp_path $T/nginx/tmp/proxy;
	fastcgi_temp_path $T/nginx/tmp/fastcgi;
	uwsgi_temp_path $T/nginx/tmp/uwsgi;
	scgi_temp_path $T/nginx/tmp/scgi;
	ssl_certificate $T/srv.pem;
	ssl_certificate_key $T/srv.key;
	proxy_buffering off;
	proxy_request_buffering off;
	proxy_http_version 1.1;
	proxy_set_header Connection "";
	proxy_read_timeout 60s;
	server {
		listen 127.0.0.1:$H2_PORT ssl http2;
		access_log $T/nginx/logs/h2.log proto;
		location / { proxy_pass http://127.0.0.1:$MOCK_PORT; }
	}
	server {
		listen 127.0.0.1:$H1_PORT ssl;
		access_log $T/nginx/logs/h1.log proto;
		location / { proxy_pass http://127.0.0.1:$MOCK_PORT; }
	}
}
EOF
		"$NGINX" -p "$T/nginx" -c "$T/nginx/nginx.conf" -e "$T/nginx/logs/error.log" \
			>"$T/nginx.out" 2>&1 &
		pid=$!
		PIDS+=("$pid")
		# ready when both ports accept connections (deadline 30 s)
		for i in $(seq 1 600); do
			kill -0 "$pid" 2>/dev/null || break
			if (exec 3<>"/dev/tcp/127.0.0.1/$H2_PORT") 2>/dev/null &&
				(exec 3<>"/dev/tcp/127.0.0.1/$H1_PORT") 2>/dev/null; then
				return 0
			fi
			sleep 0.05
		done
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		grep -q "Address already in use" "$T/nginx/logs/error.log" "$T/nginx.out" 2>/dev/null ||
			break
	done
	cat "$T/nginx/logs/error.log" "$T/nginx.out" 2>/dev/null
	fail "nginx did not start"
}

# run_suite NAME PORT ARGS...: runs the suite against nginx on PORT and checks
# that every request succeeded with streamed timings.
run_suite() {
	local name=$1 port=$2 R="$T/$1/results.json" s='d["scenarios"][0]["metrics"]'
	shift 2
	"$PERFGATE" run "$PG_E2E/suites/http2.yaml" --target "https://127.0.0.1:$port/v1" \
		--set "target.transport_options.ca_file=$T/ca.pem" "$@" \
		--no-color --out "$T/$name" >"$T/$name.out" 2>"$T/$name.err" || fail "$name: run exited $?"
	check 'd["target"]["transport"] == "curl"' "$R" "$name: goes through curl"
	check "$s[\"requests\"][\"succeeded\"] >= 8" "$R" "$name: at least 8 requests answered"
	check "$s[\"requests\"][\"succeeded\"] == $s[\"requests\"][\"started\"]" "$R" \
		"$name: every started request succeeded"
	check "$s[\"errors\"][\"count\"] == 0" "$R" "$name: no errors"
	check "$s[\"tokens\"][\"output_total\"] == 8 * $s[\"requests\"][\"succeeded\"]" "$R" \
		"$name: 8 streamed tokens per request"
	# the client cannot see a token before the mock sends it; an upper bound
	# generous for TLS + a proxy on a loaded machine; and the first token
	# arrives well before the last (nginx streams rather than buffers)
	check "39.5 <= $s[\"ttft\"][\"p50\"] <= 1000" "$R" "$name: ttft p50 in [39.5, 1000] ms"
	check "179.5 <= $s[\"e2e\"][\"p50\"] <= 2000" "$R" "$name: e2e p50 in [179.5, 2000] ms"
	check "$s[\"e2e\"][\"p50\"] - $s[\"ttft\"][\"p50\"] >= 70" "$R" \
		"$name: first token at least 70 ms before the last"
	echo "ok $name: $(json "$R" "$s['requests']['succeeded']") requests," \
		"ttft p50 $(json "$R" "$s['ttft']['p50']") ms, e2e p50 $(json "$R" "$s['e2e']['p50']") ms"
}

# log_protocols LOG FROM_LINE NAME PROTO: waits until LOG has, after line
# FROM_LINE, one line per request NAME started (nginx logs a request after
# sending its last byte, so it may trail the client by a moment), then fails
# unless every one of them is a 200 over PROTO.
log_protocols() {
	local log=$1 from=$2 name=$3 proto=$4 n i got=0 bad
	n=$(json "$T/$name/results.json" 'd["scenarios"][0]["metrics"]["requests"]["started"]')
	for i in $(seq 1 600); do
		got=$(tail -n +"$((from + 1))" "$log" | wc -l)
		[ "$got" -ge "$n" ] && break
		sleep 0.05
	done
	tail -n +"$((from + 1))" "$log" >"$T/$name.log"
	[ "$got" -ge "$n" ] || fail "$name: nginx logged $got requests of $n: $(cat "$T/$name.log")"
	bad=$(grep -vxF "proto=$proto status=200 method=POST uri=/v1/chat/completions" "$T/$name.log")
	[ -z "$bad" ] || fail "$name: requests not over $proto or not 200: $bad"
	echo "ok $name: nginx saw $got requests, all $proto"
}

start_nginx
H2_LOG="$T/nginx/logs/h2.log"
H1_LOG="$T/nginx/logs/h1.log"

# http2: true (the suite's setting) against the HTTP/2 port
run_suite h2 "$H2_PORT"
log_protocols "$H2_LOG" 0 h2 HTTP/2.0

# http2 off: the same server, the same check sees HTTP/1.1
from=$(wc -l <"$H2_LOG")
run_suite h1 "$H2_PORT" --set target.transport_options.http2=false
log_protocols "$H2_LOG" "$from" h1 HTTP/1.1

# http2: true against a TLS server whose ALPN offers only http/1.1: negotiated
# down, still works
run_suite h2_fallback "$H1_PORT"
log_protocols "$H1_LOG" 0 h2_fallback HTTP/1.1
echo "ok: http2"
