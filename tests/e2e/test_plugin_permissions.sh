#!/usr/bin/env bash
# Plugins others could have replaced are never loaded: a world-writable
# plugin file, or one in a world-writable directory without the sticky bit
# (or, as root, one owned by another user), is refused with a message that
# names the path, the reason and the fix; the suite fails validation with
# exit 2 before any load (like a plugin built for another ABI), and
# `perfgate plugins` warns and skips it. Plugins load only from the search
# path: never from the current directory, never through a name that is a
# path.
source "$PG_E2E/lib.sh"
P="$T/p"
mkdir -p "$P"
chmod 0755 "$P"
cp "$PG_BUILD/test-plugins/test-raw.so" "$P/test-raw.so"
cat >"$T/suite.yaml" <<'YAML'
target:
  adapter: test-raw
  url: "mock://?decode_ms=1"
workload:
  prompts: ["x"]
scenarios:
  - name: s
    load: {concurrency: 1, requests: 4}
    requirements: ["requests.succeeded >= 4"]
YAML
unset PERFGATE_PLUGIN_PATH

# 1. a world-writable file
chmod 0666 "$P/test-raw.so"
want="refusing to load plugin $P/test-raw.so: the file is world-writable (mode 0666); chmod o-w $P/test-raw.so"
"$PERFGATE" validate "$T/suite.yaml" --plugin-path "$P" >"$T/ww.out" 2>"$T/ww.err"
[ $? = 2 ] || fail "a world-writable plugin must fail validation with exit 2"
grep -qF "$want" "$T/ww.err" || fail "the refusal names the path, the mode and the fix"
"$PERFGATE" run "$T/suite.yaml" --plugin-path "$P" --no-color --out "$T/ww" >"$T/wwrun.out" 2>"$T/wwrun.err"
[ $? = 2 ] || fail "run with a world-writable plugin must exit 2"
[ ! -e "$T/ww/results.json" ] || fail "nothing ran"
PERFGATE_PLUGIN_PATH="$P" "$PERFGATE" validate "$T/suite.yaml" >"$T/env.out" 2>"$T/env.err"
[ $? = 2 ] || fail "refused through PERFGATE_PLUGIN_PATH too"
grep -qF "$want" "$T/env.err" || fail "the refusal through PERFGATE_PLUGIN_PATH"
"$PERFGATE" plugins --plugin-path "$P" >"$T/list.out" 2>"$T/list.err" || fail "plugins exited $?"
grep -qF "perfgate: warning: $want" "$T/list.err" || fail "perfgate plugins warns: $(cat "$T/list.err")"
! grep -q "^adapter test-raw" "$T/list.out" || fail "the refused plugin is not listed"

# 2. a safe file in a world-writable directory without the sticky bit
chmod 0755 "$P/test-raw.so"
chmod 0777 "$P"
"$PERFGATE" validate "$T/suite.yaml" --plugin-path "$P" >"$T/wd.out" 2>"$T/wd.err"
[ $? = 2 ] || fail "a plugin in a 0777 directory must fail validation with exit 2"
grep -qF "refusing to load plugin $P/test-raw.so: the directory $P is world-writable without the sticky bit (mode 0777)" \
	"$T/wd.err" || fail "the refusal names the directory: $(cat "$T/wd.err")"
grep -qF "chmod o-w $P" "$T/wd.err" || fail "the refusal says how to fix it"

# 3. with the sticky bit (as /tmp has), and in a private directory, it loads
chmod 1777 "$P"
"$PERFGATE" validate "$T/suite.yaml" --plugin-path "$P" >"$T/st.out" 2>"$T/st.err" ||
	fail "a plugin in a sticky directory loads: $(cat "$T/st.err")"
chmod 0755 "$P"
"$PERFGATE" run "$T/suite.yaml" --plugin-path "$P" --no-color >"$T/ok.out" 2>"$T/ok.err" ||
	fail "a plugin in a 0755 directory loads and runs: $(cat "$T/ok.err")"
grep -q "^verdict: PASS" "$T/ok.out" || fail "the run with the plugin passed"

# 4. as root, a plugin owned by another user is refused
if [ "$(id -u)" = 0 ]; then
	chown 65534 "$P/test-raw.so"
	"$PERFGATE" validate "$T/suite.yaml" --plugin-path "$P" >"$T/own.out" 2>"$T/own.err"
	[ $? = 2 ] || fail "a plugin owned by another user must fail validation"
	grep -qF "refusing to load plugin $P/test-raw.so: the file" "$T/own.err" &&
		grep -qF "is owned by uid 65534, neither root nor this user" "$T/own.err" ||
		fail "the refusal names the owner: $(cat "$T/own.err")"
	chown 0 "$P/test-raw.so"
fi

# 5. only the search path: not the current directory, not a path as a name
(cd "$P" && "$PERFGATE" validate "$T/suite.yaml") >"$T/cwd.out" 2>"$T/cwd.err"
[ $? = 2 ] || fail "a plugin in the current directory is not loaded"
grep -q "no adapter plugin named 'test-raw'" "$T/cwd.err" || fail "not found: $(cat "$T/cwd.err")"
mkdir -p "$T/empty"
sed -i "s|adapter: test-raw|adapter: ../p/test-raw|" "$T/suite.yaml"
"$PERFGATE" validate "$T/suite.yaml" --plugin-path "$T/empty" >"$T/name.out" 2>"$T/name.err"
[ $? = 2 ] || fail "a plugin name that is a path must fail validation"
grep -q "adapter plugin name '../p/test-raw' may hold only letters" "$T/name.err" ||
	fail "the name is refused: $(cat "$T/name.err")"
echo "ok: plugin permissions"
