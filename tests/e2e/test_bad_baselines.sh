#!/usr/bin/env bash
# The bad-baseline corpus (tests/bad-baselines/expect.tsv): corrupt,
# truncated and mistyped baseline files. For each one, `perfgate compare
# BAD NEW` must exit 2 and `perfgate run --baseline-file BAD` exit 3, both
# printing exactly the expected message (naming the file and the field, or
# line:column for JSON syntax), never crashing and never passing; the run
# must leave a complete results.json (exit_code 3) and nothing else, and
# the bad file must be left as it was.
. "$(dirname "$0")/lib.sh"

corpus=$PG_SRC/tests/bad-baselines
expect=$corpus/expect.tsv
gen=$T/gen
mkdir -p "$gen"
# the suite runs from a copy: a baseline written next to it must not land
# in the source tree
cp "$corpus/suite.yaml" "$T/suite.yaml"
checksums() { (cd "$corpus" && md5sum -- *); }
before=$(checksums)

# NEW: one real quick run against the embedded mock.
"$PERFGATE" run "$T/suite.yaml" --no-color --no-baseline --out "$T/new" \
	>"$T/new.out" 2>"$T/new.err" || fail "the run that makes NEW failed"
[ -f "$T/new/results.json" ] || fail "no $T/new/results.json"

# Control: a baseline made from NEW is read and compared (exit 0), so the
# failures below come from the files, not from the harness.
(cd "$T" && "$PERFGATE" baseline update "$T/suite.yaml" --results "$T/new" \
	>"$T/update.out" 2>"$T/update.err") || fail "perfgate baseline update failed"
good=$T/baselines/bad-baselines/chat.json
[ -f "$good" ] || fail "baseline update wrote no $good"
"$PERFGATE" compare --no-color "$good" "$T/new" >"$T/good.out" 2>"$T/good.err" ||
	fail "compare with a good baseline exited $?"

# make_case NAME: writes the generated case NAME into $gen.
make_case() {
	local f=$gen/$1
	case "$1" in
	45-50mb-truncated.json)
		# a real baseline padded to 50 MB, then cut before its last brace
		python3 - "$corpus/07-truncated-last-brace.json" "$f" <<'EOF'
import sys
text = open(sys.argv[1]).read()
head, rest = text.split("\n", 1)
with open(sys.argv[2], "w") as f:
    f.write(head + '\n  "padding": "' + "x" * (50 * 1024 * 1024) + '",\n' + rest)
EOF
		;;
	46-deep-nesting.json) python3 -c 'print("[" * 100000 + "]" * 100000)' >"$f" ;;
	*) fail "expect.tsv names an unknown generated case @$1" ;;
	esac
}

# same FILE TEXT: fails unless FILE holds exactly the line TEXT.
same() {
	printf '%s\n' "$2" | cmp -s - "$1"
}

n=0
seen=" "
while IFS=$'\t' read -r name msg; do
	case "$name" in '' | '#'*) continue ;; esac
	[ -n "$msg" ] || fail "expect.tsv: line for $name has no message"
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

	(cd "$dir" && "$PERFGATE" compare --no-color "$file" "$T/new" \
		>"$T/cmd.out" 2>"$T/cmd.err" </dev/null)
	rc=$?
	[ "$rc" = 2 ] || fail "$file: compare exited $rc, expected 2"
	same "$T/cmd.err" "perfgate compare: $msg" ||
		fail "$file: compare printed on stderr:
$(cat "$T/cmd.err")
expected exactly:
perfgate compare: $msg"
	[ ! -s "$T/cmd.out" ] || fail "$file: compare printed on stdout"

	rm -rf "$T/out"
	(cd "$dir" && "$PERFGATE" run "$T/suite.yaml" --no-color --baseline-file "$file" --out "$T/out" \
		>"$T/cmd.out" 2>"$T/cmd.err" </dev/null)
	rc=$?
	[ "$rc" = 3 ] || fail "$file: run --baseline-file exited $rc, expected 3"
	# the load ran, so progress and warnings about it (a late send on a busy
	# machine) may come first; the message must be the only other line
	grep -Ev '^perfgate: (warning|progress)[: ]' "$T/cmd.err" >"$T/cmd.msg"
	same "$T/cmd.msg" "perfgate: $msg" ||
		fail "$file: run --baseline-file printed on stderr:
$(cat "$T/cmd.err")
expected exactly (besides progress and warnings):
perfgate: $msg"
	# the results are whole and say the run could not be judged
	left=$(ls -A "$T/out")
	[ "$left" = results.json ] || fail "$file: run left $(echo "$left" | tr '\n' ' ')in --out"
	check 'd["exit_code"] == 3 and d["verdict"] == "fail"' "$T/out/results.json" "$file: results.json"

	[ "$dir" = "$gen" ] && rm -f "${gen:?}/$file"
	n=$((n + 1))
done <"$expect"

# --update-baseline after a run whose baseline is corrupt updates nothing
cp "$good" "$T/good.copy"
(cd "$T" && "$PERFGATE" run "$T/suite.yaml" --no-color --baseline-file "$corpus/16-nan.json" \
	--update-baseline >"$T/cmd.out" 2>"$T/cmd.err" </dev/null)
rc=$?
[ "$rc" = 3 ] || fail "run --update-baseline with a corrupt baseline exited $rc, expected 3"
grep -q 'baselines not updated' "$T/cmd.err" ||
	fail "run --update-baseline did not say it updated nothing"
cmp -s "$good" "$T/good.copy" || fail "run --update-baseline changed $good"

for f in "$corpus"/*; do
	b=$(basename "$f")
	case "$b" in expect.tsv | suite.yaml) continue ;; esac
	case "$seen" in *" $b "*) ;; *) fail "$b has no line in expect.tsv" ;; esac
done
[ "$(checksums)" = "$before" ] || fail "a file of $corpus changed"
[ "$n" -ge 30 ] || fail "only $n bad baselines"
echo "ok: $n bad baselines, each refused with its message"
