#!/usr/bin/env bash
# The bad-suite corpus (tests/bad-suites/expect.tsv): every case must make
# both `perfgate validate` and `perfgate run` exit with the expected code and
# print exactly the expected line on stderr (file:line:col and message),
# write nothing, and send nothing: `run` points at a TCP listener that
# records every connection, and none may arrive. Under the sanitizer build
# (ci/test.sh's second pass) any report lands on stderr and fails the
# comparison.
. "$(dirname "$0")/lib.sh"

corpus=$PG_SRC/tests/bad-suites
expect=$corpus/expect.tsv
gen=$T/gen
mkdir -p "$gen"

unset PERFGATE_PLUGIN_PATH PG_BAD_SUITES_UNSET_TOKEN
# 83-header-secret-line-break.yaml expands it; it must never be printed
secret_canary=pg-canary-5b9e1c
export PG_BAD_SUITES_SECRET="Bearer-$secret_canary"$'\r\nX-Injected: 1'

# {plugin_dirs}: the install directory, then the one next to the binary
# unless they are the same (framework/plugin_loader.c).
build=${PG_BUILD:-$(dirname "$PERFGATE")}
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt" 2>/dev/null)
[ -n "$prefix" ] || fail "no CMAKE_INSTALL_PREFIX in $build/CMakeCache.txt"
plugin_dirs="$prefix/lib/perfgate/plugins"
exe_dir=$(dirname "$(readlink -f "$PERFGATE")")
[ "$exe_dir/../lib/perfgate/plugins" = "$plugin_dirs" ] ||
	plugin_dirs="$plugin_dirs:$exe_dir/../lib/perfgate/plugins"

# The listener: logs "probe N" for our own probes and "LOAD ..." for any
# other connection. It serves one connection at a time, in accept order, so
# once probe N is logged every connection made before it is logged too.
cat >"$T/listener.py" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(128)
s.settimeout(290)
print("listening", s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept()
    c.settimeout(5)
    try:
        data = c.recv(256)
    except OSError:
        data = b""
    c.close()
    if data.startswith(b"probe "):
        print(data.decode().strip(), flush=True)
    else:
        print("LOAD", repr(data[:80]), flush=True)
EOF
python3 "$T/listener.py" >"$T/listener.log" 2>&1 &
PIDS+=($!)
line=$(wait_for_line "$T/listener.log" '^listening [0-9]+$') || fail "the listener did not start"
PORT=${line#listening }
probes=0

# no_load CASE: fails if a connection other than a probe
# reached the listener.
no_load() {
	probes=$((probes + 1))
	exec 3<>"/dev/tcp/127.0.0.1/$PORT" || fail "cannot connect to the listener"
	printf 'probe %d\n' "$probes" >&3
	exec 3>&-
	wait_for_line "$T/listener.log" "^probe $probes\$" >/dev/null ||
		fail "the listener did not log probe $probes"
	if grep -q '^LOAD' "$T/listener.log"; then
		fail "$1: load reached the listener: $(grep -m1 '^LOAD' "$T/listener.log")"
	fi
}

# make_case NAME: writes the generated case NAME into $gen.
make_case() {
	local name=$1 f=$gen/$1
	case "$name" in
	91-file-100mb.yaml)
		printf 'target:\n  url: "mock://"\nworkload:\n  prompts: ["hi"]\nscenarios:\n' >"$f"
		printf '  - name: s\n    load: {concurrency: 1, requests: 1}\n' >>"$f"
		yes '# padding, padding, padding, padding, padding, padding, padding, padding' |
			head -c 100000000 >>"$f"
		;;
	92-prompt-17mb.yaml)
		python3 - "$f" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write('target:\n  url: "mock://"\nworkload:\n  prompts:\n    - "')
    f.write("lol " * (17 * 1024 * 1024 // 4))
    f.write('"\nscenarios:\n  - name: s\n    load: {concurrency: 1, requests: 1}\n')
EOF
		;;
	93-prompt-10mb-then-typo.yaml)
		python3 - "$f" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write('target:\n  url: "mock://"\nworkload:\n  prompts:\n    - "')
    f.write("lol " * (10 * 1024 * 1024 // 4))
    f.write('"\nscenarios:\n  - name: s\n    load:\n      duraton: 5s\n')
EOF
		;;
	94-100k-scenarios.yaml)
		python3 - "$f" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write('# 100000 scenarios\ntarget:\n  url: "mock://"\nworkload:\n  prompts: ["hi"]\n'
            'scenarios:\n')
    for i in range(100000):
        f.write('  - {name: s%d, load: {concurrency: 1, requests: 1}}\n' % i)
EOF
		;;
	95-10001-headers.yaml)
		python3 - "$f" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write('# 10001 headers\ntarget:\n  url: "mock://"\n  headers:\n')
    for i in range(10001):
        f.write('    X-H%d: v\n' % i)
    f.write('workload:\n  prompts: ["hi"]\nscenarios:\n'
            '  - {name: s, load: {concurrency: 1, requests: 1}}\n')
EOF
		;;
	96-directory) mkdir -p "$f" ;;
	97-no-such-file.yaml) ;;
	*) fail "expect.tsv names an unknown generated case @$name" ;;
	esac
}

# check_one CASE WHAT WANT_EXIT WANT_STDERR GOT_EXIT: compares one command.
check_one() {
	local got
	got=$(cat "$T/cmd.err")
	if [ "$5" != "$3" ]; then
		fail "$1: $2 exited $5, expected $3; stderr: $got"
	fi
	if ! printf '%s\n' "$4" | cmp -s - "$T/cmd.err"; then
		fail "$1: $2 printed on stderr:
$got
expected exactly:
$4"
	fi
	if grep -q "$secret_canary" "$T/cmd.out" "$T/cmd.err"; then
		fail "$1: $2 printed the secret header value"
	fi
	if [ "$3" = 2 ] && [ -s "$T/cmd.out" ]; then
		fail "$1: $2 printed on stdout: $(head -c 300 "$T/cmd.out")"
	fi
}

n=0
seen=" "
while IFS=$'\t' read -r name code mode msg; do
	case "$name" in '' | '#'*) continue ;; esac
	[ -n "$msg" ] || fail "expect.tsv: line for $name has no expected stderr"
	dir=$corpus
	file=$name
	if [ "${name#@}" != "$name" ]; then
		file=${name#@}
		dir=$gen
		make_case "$file"
	else
		[ -e "$corpus/$file" ] || fail "expect.tsv names $file, which is not in $corpus"
	fi
	seen="$seen$file "
	msg=${msg//\{plugin_dirs\}/$plugin_dirs}
	target=()
	case "$mode" in
	target) target=(--target "http://127.0.0.1:$PORT/v1") ;;
	suite) ;;
	*) fail "expect.tsv: $name: RUN must be target or suite, got '$mode'" ;;
	esac

	(cd "$dir" && "$PERFGATE" validate "$file" >"$T/cmd.out" 2>"$T/cmd.err" </dev/null)
	check_one "$file" validate "$code" "$msg" $?

	rm -rf "$T/run-out"
	(cd "$dir" && "$PERFGATE" run "${target[@]}" --no-color --out "$T/run-out" "$file" \
		>"$T/cmd.out" 2>"$T/cmd.err" </dev/null)
	check_one "$file" run "$code" "$msg" $?
	[ ! -e "$T/run-out" ] || fail "$file: run wrote $(ls -R "$T/run-out")"
	no_load "$file"

	# the big generated files go as soon as they are done with
	[ "$dir" = "$gen" ] && rm -rf "${gen:?}/$file"
	n=$((n + 1))
done <"$expect"

# every committed case has its expectation
for f in "$corpus"/*; do
	b=$(basename "$f")
	[ "$b" = expect.tsv ] && continue
	case "$seen" in *" $b "*) ;; *) fail "$b has no line in expect.tsv" ;; esac
done
[ "$n" -ge 50 ] || fail "only $n bad suites (the corpus should hold at least 50)"
echo "ok: $n bad suites, each refused with its message and without sending load"
