#!/usr/bin/env bash
# Runs one data-driven end-to-end case: DIR/expect holds lines
#   args: perfgate arguments ({dir} = the case directory, {out} = a fresh temp dir,
#         {src} = the source tree)
#   exit: expected exit code
#   stdout: extended regex that must match a line of stdout (repeatable)
#   stderr: extended regex that must match a line of stderr (repeatable)
#   no-stdout: / no-stderr: regex that must match no line
set -uo pipefail
dir=$1
: "${PERFGATE:?PERFGATE must name the perfgate binary}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
expect="$dir/expect"
[ -f "$expect" ] || { echo "no $expect"; exit 1; }

args=$(sed -n 's/^args: //p' "$expect")
args=${args//\{dir\}/$dir}
args=${args//\{out\}/$out}
args=${args//\{src\}/${PG_SRC:-}}
want_exit=$(sed -n 's/^exit: //p' "$expect")
# shellcheck disable=SC2086
(cd "$dir" && "$PERFGATE" $args >"$out/stdout" 2>"$out/stderr" </dev/null)
got_exit=$?
fail=0
if [ "$got_exit" != "$want_exit" ]; then
	echo "FAIL: exit code $got_exit, expected $want_exit"
	fail=1
fi
while IFS= read -r line; do
	case "$line" in
	stdout:\ *) f=stdout; pat=${line#stdout: }; want=1 ;;
	stderr:\ *) f=stderr; pat=${line#stderr: }; want=1 ;;
	no-stdout:\ *) f=stdout; pat=${line#no-stdout: }; want=0 ;;
	no-stderr:\ *) f=stderr; pat=${line#no-stderr: }; want=0 ;;
	*) continue ;;
	esac
	if grep -Eq -- "$pat" "$out/$f"; then got=1; else got=0; fi
	if [ "$got" != "$want" ]; then
		[ "$want" = 1 ] && echo "FAIL: no line of $f matches: $pat"
		[ "$want" = 0 ] && echo "FAIL: a line of $f matches: $pat"
		fail=1
	fi
done <"$expect"
if [ "$fail" != 0 ]; then
	echo "--- command: perfgate $args"
	echo "--- stdout"; cat "$out/stdout"
	echo "--- stderr"; cat "$out/stderr"
	exit 1
fi
echo "ok: $(basename "$dir")"
