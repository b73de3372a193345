# shellcheck shell=bash
# Helpers shared by the bench/ scripts (sourced, not run).
#
# What it provides:
#   - PERFGATE: the binary under test ($PERFGATE, else ./build/perfgate).
#   - ensure_packages: installs missing peers (nginx, wrk, hey) from Debian.
#   - PIN_SERVER / PIN_CLIENT: `taskset -c N` prefixes (empty when taskset
#     is missing or there is only one CPU). Servers go on BENCH_SERVER_CPU
#     (default 0), load generators on BENCH_CLIENT_CPU (default 1). The
#     bench script itself is moved to the server CPU so its own sampling
#     never competes with the generator being measured. perfgate gets
#     --workers BENCH_WORKERS (default 1, matching its one CPU).
#   - run_timed: runs a command and records its CPU time (user + sys of the
#     command and all its threads and children, from wait4's rusage via
#     bash's `time`, millisecond resolution).
#   - proc_cpu_ticks / proc_rss_kb: CPU ticks and RSS of a running process
#     from /proc/PID/stat and /proc/PID/status.
#   - start_nginx / start_mock: servers on 127.0.0.1 with a free port,
#     bounded in time, stopped on exit.
#   - jget: reads a value out of a JSON document (python3).
#
# Everything runs on 127.0.0.1. Nothing here needs the network except the
# apt-get of missing peers.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PG_ROOT=$(dirname "$BENCH_DIR")
BENCH_NAME=$(basename "$0" .sh)
BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/perfgate-bench.XXXXXX")
BENCH_PIDS=()
# Longest any one server may live (s): a safety net if cleanup never runs.
BENCH_SERVER_LIMIT=${BENCH_SERVER_LIMIT:-7200}

log() { echo "[$BENCH_NAME] $*" >&2; }
die() {
	log "error: $*"
	exit 1
}

bench_cleanup() {
	local pid
	for pid in "${BENCH_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${BENCH_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		log "kept work files in $BENCH_TMP"
	else
		rm -rf "$BENCH_TMP"
	fi
}
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- the binary under test and the peers ----------------------------------

find_perfgate() {
	PERFGATE=${PERFGATE:-$PG_ROOT/build/perfgate}
	[ -x "$PERFGATE" ] || die "no perfgate binary at $PERFGATE (build it, or set PERFGATE)"
	warn_if_busy
}

# Whether perfgate has a subcommand (by its --help output).
perfgate_has() {
	"$PERFGATE" "$1" --help >/dev/null 2>&1
}

# ensure_packages NAME...: installs the Debian packages whose binary of the
# same name is missing (nginx lives in /usr/sbin).
ensure_packages() {
	local p missing=() sudo=()
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 || [ -x "/usr/sbin/$p" ] || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null 2>&1 || die "missing ${missing[*]}; install them (apt-get install ${missing[*]})"
		sudo=(sudo)
	fi
	log "installing ${missing[*]} from Debian"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 ||
		die "apt-get update failed"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
}

NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)

# ---- CPU pinning ----------------------------------------------------------

BENCH_SERVER_CPU=${BENCH_SERVER_CPU:-0}
BENCH_CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
PIN_SERVER=()
PIN_CLIENT=()
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -gt "$BENCH_CLIENT_CPU" ] &&
	[ "$(nproc)" -gt "$BENCH_SERVER_CPU" ]; then
	PIN_SERVER=(taskset -c "$BENCH_SERVER_CPU")
	PIN_CLIENT=(taskset -c "$BENCH_CLIENT_CPU")
	taskset -cp "$BENCH_SERVER_CPU" "$BASHPID" >/dev/null 2>&1 || true
else
	log "warning: not pinning (taskset missing or fewer than 2 CPUs); figures are noisier"
fi

# warn_if_busy: measures the machine's idle share over 1 s and warns when
# something else is using more than 20% of the CPUs (figures would be low
# and noisy). BENCH_SKIP_IDLE_CHECK=1 skips it.
warn_if_busy() {
	local a b
	[ "${BENCH_SKIP_IDLE_CHECK:-0}" = 1 ] && return 0
	a=$(awk '/^cpu / { print $2 + $3 + $4 + $5 + $6 + $7 + $8, $5 + $6 }' /proc/stat) || return 0
	sleep 1
	b=$(awk '/^cpu / { print $2 + $3 + $4 + $5 + $6 + $7 + $8, $5 + $6 }' /proc/stat) || return 0
	# shellcheck disable=SC2086
	set -- $a $b
	if [ "$3" -gt "$1" ] && [ $((100 * ($4 - $2) / ($3 - $1))) -lt 80 ]; then
		log "warning: the machine was only $((100 * ($4 - $2) / ($3 - $1)))% idle before" \
			"starting; other load skews these figures"
	fi
}

# perfgate's event-loop threads: one, as it runs on one CPU.
BENCH_WORKERS=${BENCH_WORKERS:-1}

# ---- CPU and memory accounting --------------------------------------------

# shellcheck disable=SC2034 # used by the scripts that source this
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)

# run_timed TIMEFILE OUTFILE ERRFILE CMD...: runs CMD with its stdout and
# stderr in the files and writes "USER SYS" CPU seconds of CMD (all its
# threads and waited-for children) to TIMEFILE. Returns CMD's status.
run_timed() {
	local tf=$1 of=$2 ef=$3 TIMEFORMAT='%3U %3S' rc=0
	shift 3
	{ time "$@" >"$of" 2>"$ef"; } 2>"$tf" || rc=$?
	# a command killed by a signal still gets its times reported
	return "$rc"
}

# cpu_seconds TIMEFILE: user + sys from a run_timed file.
cpu_seconds() {
	awk 'NF >= 2 { s = $(NF-1) + $NF } END { printf "%.3f\n", s }' "$1"
}

# proc_cpu_ticks PID: user + sys clock ticks so far of every thread of PID.
proc_cpu_ticks() {
	# the command name (field 2) may hold spaces: count fields after ')'
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'
}

# proc_rss_kb PID: resident set size in kB.
proc_rss_kb() {
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null
}

# now_us: wall-clock microseconds (bash 5's EPOCHREALTIME).
now_us() {
	local t=$EPOCHREALTIME
	echo "${t/./}"
}

# ---- small utilities ------------------------------------------------------

# calc FORMAT EXPR: prints an awk expression with a printf format.
calc() {
	awk "BEGIN { printf \"$1\\n\", ($2) }"
}

# jget FILE EXPR: prints a Python expression evaluated on the JSON document
# `d`, where `m` is its first scenario's metrics (None prints as "null").
jget() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
m = (d.get("scenarios") or [{}])[0].get("metrics")
v = eval(sys.argv[2])
print("null" if v is None else v)
EOF
}

# need_value VALUE WHAT: dies when a results value is null (no request of
# that kind succeeded).
need_value() {
	case "$1" in
	null | None | "") die "results have no $2 (did every request fail? BENCH_KEEP=1 keeps the output)" ;;
	esac
}

# free_port: a TCP port free on 127.0.0.1 right now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_tcp PORT: polls until 127.0.0.1:PORT accepts (deadline 15 s).
wait_tcp() {
	local _
	for _ in $(seq 1 300); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# wait_for_line FILE REGEX: polls FILE until a line matches (deadline 15 s)
# and prints it.
wait_for_line() {
	local _
	for _ in $(seq 1 300); do
		if grep -Eq -- "$2" "$1" 2>/dev/null; then
			grep -Em1 -- "$2" "$1"
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# raise_nofile N: lifts the open-files limit to at least N if allowed;
# prints the limit in force afterwards.
raise_nofile() {
	local want=$1 hard
	hard=$(ulimit -Hn)
	if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then
		ulimit -Hn "$want" 2>/dev/null || true # root only
		hard=$(ulimit -Hn)
	fi
	if [ "$hard" = unlimited ] || [ "$hard" -ge "$want" ]; then
		ulimit -n "$want" 2>/dev/null || true
	else
		ulimit -n "$hard" 2>/dev/null || true
	fi
	ulimit -n
}

# child_pid PID: the (first) child of PID, e.g. the server under `timeout`;
# PID itself if it has none.
child_pid() {
	local c
	c=$(cat "/proc/$1/task/$1/children" 2>/dev/null || pgrep -P "$1" 2>/dev/null || true)
	c=${c%% *}
	echo "${c:-$1}"
}

# ---- servers --------------------------------------------------------------
# Each server runs under `timeout BENCH_SERVER_LIMIT` so it cannot outlive a
# killed script by long; `timeout` passes the TERM of cleanup on.

# start_nginx: one nginx worker on the server CPU answering every request
# with a small JSON body; sets NGINX_PORT.
start_nginx() {
	local dir=$BENCH_TMP/nginx user_line=""
	mkdir -p "$dir"
	NGINX_PORT=$(free_port)
	# as root, workers would switch to "nobody"; keep them as us
	[ "$(id -u)" -eq 0 ] && user_line="user $(id -un);"
	cat >"$dir/nginx.conf" <<EOF
$user_line
daemon off;
master_process on;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events {
	worker_connections 16384;
}
http {
	access_log off;
	keepalive_requests 1000000;
	keepalive_timeout 120s;
	client_body_temp_path $dir/client_body;
	proxy_temp_path $dir/proxy;
	fastcgi_temp_path $dir/fastcgi;
	uwsgi_temp_path $dir/uwsgi;
	scgi_temp_path $dir/scgi;
	server {
		listen 127.0.0.1:$NGINX_PORT;
		location / {
			default_type application/json;
			return 200 '{"ok":true}';
		}
	}
}
EOF
	"${PIN_SERVER[@]}" timeout "$BENCH_SERVER_LIMIT" "$NGINX" -p "$dir" -e "$dir/error.log" \
		-c "$dir/nginx.conf" >"$dir/stdout" 2>&1 &
	BENCH_PIDS+=($!)
	wait_tcp "$NGINX_PORT" || {
		cat "$dir/stdout" "$dir/error.log" >&2 2>/dev/null
		die "nginx did not start"
	}
	log "nginx (1 worker${PIN_SERVER:+, CPU $BENCH_SERVER_CPU}) on 127.0.0.1:$NGINX_PORT"
}

# start_mock NAME KEY=VALUE...: `perfgate mock` on a free port on the
# server CPU; sets MOCK_PORT, MOCK_URL (the /v1 base) and MOCK_PID.
start_mock() {
	local name=$1 line out
	shift
	out=$BENCH_TMP/mock-$name.out
	"${PIN_SERVER[@]}" timeout "$BENCH_SERVER_LIMIT" "$PERFGATE" mock --listen 127.0.0.1:0 "$@" \
		>"$out" 2>&1 &
	BENCH_PIDS+=($!)
	line=$(wait_for_line "$out" 'listening on http://127\.0\.0\.1:[0-9]+/v1') || {
		cat "$out" >&2
		die "perfgate mock did not start"
	}
	MOCK_PORT=$(echo "$line" | sed -E 's|.*127\.0\.0\.1:([0-9]+)/v1.*|\1|')
	# shellcheck disable=SC2034 # used by the scripts that source this
	MOCK_URL="http://127.0.0.1:$MOCK_PORT/v1"
	# shellcheck disable=SC2034
	MOCK_PID=$(child_pid "${BENCH_PIDS[-1]}")
	log "perfgate mock $* on 127.0.0.1:$MOCK_PORT"
}

# stop_server: stops the most recently started server and waits for it.
stop_server() {
	local n=${#BENCH_PIDS[@]} pid
	[ "$n" -gt 0 ] || return 0
	pid=${BENCH_PIDS[$((n - 1))]}
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	unset "BENCH_PIDS[$((n - 1))]"
	BENCH_PIDS=("${BENCH_PIDS[@]}")
}

# write_suite FILE NAME URL MAX_TOKENS LOAD_YAML: a one-scenario suite
# against URL with the openai-chat adapter, streamed, whose load: block is
# LOAD_YAML (lines indented by 6 spaces).
write_suite() {
	cat >"$1" <<EOF
version: 1
name: bench-$2
target:
  adapter: openai-chat
  url: "$3"
  model: mock-model
workload:
  prompts:
    - "Tell me about load testing."
  max_tokens: $4
  stream: true
scenarios:
  - name: $2
    load:
$5
EOF
}

# run_perfgate_bounded LIMIT_S OUTFILE ERRFILE ARGS...: runs perfgate on the
# client CPU, stopped (SIGINT, then KILL) if it outlives LIMIT_S.
run_perfgate_bounded() {
	local limit=$1 of=$2 ef=$3
	shift 3
	"${PIN_CLIENT[@]}" timeout -s INT -k 10 "$limit" "$PERFGATE" "$@" >"$of" 2>"$ef"
}
