#!/usr/bin/env bash
# bench/http_throughput.sh — plain HTTP/1.1 throughput and client CPU cost
# of perfgate's two transports against wrk and hey.
#
# How: nginx with one worker pinned to CPU 0 answers every request with an
# 11-byte JSON body over keep-alive. Each generator then runs alone for
# BENCH_SECONDS (default 10) with 50 connections, pinned to CPU 1:
#   wrk -t1 -c50, hey -c 50, perfgate load --transport h1 and
#   --transport curl (-c 50 --workers 1).
# A generator's CPU time is user + sys of its process and threads (wait4
# rusage via bash `time`); requests are what it reports (wrk, hey: all
# responses; perfgate: requests.total + requests.warmup of its results).
#
# Prints one line per generator; ratios are against wrk (req/s: higher is
# better; CPU us/req: lower is better):
#   wrk: N req/s, CPU Y.Y us/req
#   http h1: N req/s (X.XX x wrk), CPU Y.Y us/req (Z.ZZ x wrk)
# With one nginx worker the server, not the client, may be the ceiling;
# the CPU per request is the fairer figure for the generator.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNECTIONS:-50}
LIMIT=$((SECS + 60))

find_perfgate
ensure_packages nginx wrk hey
start_nginx
URL="http://127.0.0.1:$NGINX_PORT/"
curl -fsS "$URL" >/dev/null 2>&1 || wait_tcp "$NGINX_PORT" || die "nginx does not answer $URL"

# Results: NAME -> "rps requests cpu_s".
declare -A RES

run_wrk() {
	local d=$BENCH_TMP/wrk rps reqs
	mkdir -p "$d"
	log "wrk -t1 -c$CONNS -d${SECS}s"
	run_timed "$d/time" "$d/out" "$d/err" "${PIN_CLIENT[@]}" timeout -k 5 "$LIMIT" \
		wrk -t1 -c"$CONNS" -d"${SECS}s" "$URL" || die "wrk failed: $(cat "$d/err")"
	reqs=$(awk '/requests in/ { print $1 }' "$d/out")
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$d/out")
	if grep -q 'Non-2xx' "$d/out"; then log "warning: wrk saw non-2xx responses"; fi
	if [ -z "$reqs" ] || [ -z "$rps" ]; then
		die "could not read wrk's output: $(cat "$d/out")"
	fi
	RES[wrk]="$rps $reqs $(cpu_seconds "$d/time")"
}

run_hey() {
	local d=$BENCH_TMP/hey rps reqs
	mkdir -p "$d"
	log "hey -c $CONNS -z ${SECS}s"
	run_timed "$d/time" "$d/out" "$d/err" "${PIN_CLIENT[@]}" timeout -k 5 "$LIMIT" \
		hey -c "$CONNS" -z "${SECS}s" "$URL" || die "hey failed: $(cat "$d/err")"
	rps=$(awk '/Requests\/sec:/ { print $2 }' "$d/out")
	# every answer, whatever its status, as wrk counts them
	reqs=$(awk '/^Status code distribution:/ { on = 1; next }
		on && /\[[0-9]+\]/ { n += $2; next }
		on && NF == 0 { on = 0 }
		END { print n + 0 }' "$d/out")
	if [ -z "$rps" ] || [ "$reqs" -eq 0 ]; then
		die "could not read hey's output: $(cat "$d/out")"
	fi
	RES[hey]="$rps $reqs $(cpu_seconds "$d/time")"
}

run_perfgate() {
	local transport=$1 d=$BENCH_TMP/perfgate-$1 rps reqs
	mkdir -p "$d"
	log "perfgate load --transport $transport -c $CONNS -d ${SECS}s --workers $BENCH_WORKERS"
	run_timed "$d/time" "$d/out" "$d/err" "${PIN_CLIENT[@]}" timeout -s INT -k 5 "$LIMIT" \
		"$PERFGATE" load "$URL" --transport "$transport" -c "$CONNS" -d "${SECS}s" \
		--workers "$BENCH_WORKERS" --json "$d/results.json" --no-color ||
		die "perfgate load --transport $transport failed: $(cat "$d/err")"
	rps=$(jget "$d/results.json" 'm["throughput"]["rps"]')
	reqs=$(jget "$d/results.json" \
		'm["requests"]["total"] + m["requests"].get("warmup", 0)')
	RES[$transport]="$rps $reqs $(cpu_seconds "$d/time")"
}

# line LABEL NAME: the figure line of one generator, with ratios to wrk.
line() {
	local label=$1 rps reqs cpu wrps wreqs wcpu us wus
	read -r rps reqs cpu <<<"${RES[$2]}"
	read -r wrps wreqs wcpu <<<"${RES[wrk]}"
	us=$(calc '%.1f' "$reqs > 0 ? $cpu * 1e6 / $reqs : 0")
	wus=$(calc '%.3f' "$wreqs > 0 ? $wcpu * 1e6 / $wreqs : 0")
	if [ "$2" = wrk ]; then
		printf '%s: %.0f req/s, CPU %s us/req\n' "$label" "$rps" "$us"
	else
		printf '%s: %.0f req/s (%s x wrk), CPU %s us/req (%s x wrk)\n' "$label" "$rps" \
			"$(calc '%.2f' "$rps / $wrps")" "$us" \
			"$(calc '%.2f' "$wus > 0 ? $us / $wus : 0")"
	fi
}

run_wrk
run_hey
if perfgate_has load; then
	run_perfgate h1
	run_perfgate curl
else
	log "warning: $PERFGATE has no 'load' command yet; only the peers were measured"
fi

line wrk wrk
[ -n "${RES[h1]:-}" ] && line "http h1" h1
[ -n "${RES[curl]:-}" ] && line "http curl" curl
line hey hey
