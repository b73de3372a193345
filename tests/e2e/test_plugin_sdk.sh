#!/usr/bin/env bash
# The plugin SDK works from an install, as a plugin author would use it:
# `cmake --install` puts the binary, the bundled plugins, the public headers
# and perfgate.pc under a prefix; the example adapter (examples/plugin)
# builds against that with nothing but pkg-config, exports only its entry
# point and passes its own unit checks; the installed perfgate lists it with
# its option table, drives runs through it against a plain-text streaming
# server (successes, stream errors, refused responses) and refuses a bad
# option of it naming the plugin and file:line:col.
source "$PG_E2E/lib.sh"
: "${PG_BUILD:?PG_BUILD must name the build directory}"
PREFIX=$T/prefix
PG=$PREFIX/bin/perfgate
W="-O2 -g -Wall -Wextra -Wshadow -Wstrict-prototypes -Wformat=2 -Werror"

# 1. Install into a temporary prefix.
cmake --install "$PG_BUILD" --prefix "$PREFIX" >"$T/install.out" 2>&1 ||
	fail "cmake --install exited $?"
for f in bin/perfgate include/perfgate/plugin.h include/perfgate/common.h \
	lib/pkgconfig/perfgate.pc lib/perfgate/plugins/openai-chat.so; do
	[ -f "$PREFIX/$f" ] || fail "cmake --install did not install $f"
done
export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig
pkg-config --cflags perfgate >"$T/cflags.out" 2>&1 || fail "pkg-config --cflags perfgate exited $?"
grep -q -- "-I$PREFIX/include" "$T/cflags.out" || fail "perfgate.pc: Cflags lack -I$PREFIX/include"
[ "$(pkg-config --variable=plugindir perfgate)" = "$PREFIX/lib/perfgate/plugins" ] ||
	fail "perfgate.pc: plugindir is not $PREFIX/lib/perfgate/plugins"

# The installed binary searches the install directory of the prefix it was
# configured with, and the plugin directory beside its own location, so an
# installation made with --prefix elsewhere finds its plugins too.
conf_prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$PG_BUILD/CMakeCache.txt")
cat >"$T/missing.yaml" <<'YAML'
target: {adapter: zz-no-such-plugin, url: "http://127.0.0.1:9/"}
workload: {prompts: ["x"]}
scenarios: [{name: s, load: {concurrency: 1, requests: 1}}]
YAML
"$PG" validate "$T/missing.yaml" >"$T/missing.out" 2>"$T/missing.err"
[ $? = 2 ] || fail "a missing adapter must exit 2"
grep -q "search path: .*$conf_prefix/lib/perfgate/plugins" "$T/missing.err" ||
	fail "the installed perfgate does not search $conf_prefix/lib/perfgate/plugins"
grep -q "$PREFIX/bin/../lib/perfgate/plugins)" "$T/missing.err" ||
	fail "the installed perfgate does not search the plugin directory beside it"
"$PG" plugins >"$T/installed.out" 2>&1 || fail "installed perfgate plugins exited $?"
grep -q "^adapter openai-chat" "$T/installed.out" || fail "installed perfgate lists its plugins"

# 2. Build the example out of tree with pkg-config only; run its checks
# (under ASan and UBSan) and install it into the plugin directory.
cp -r "$PG_SRC/examples/plugin" "$T/ex" || fail "copy examples/plugin"
make -s -C "$T/ex" clean >/dev/null
make -s -C "$T/ex" check CFLAGS="$W -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	>"$T/check.out" 2>&1 || fail "make check of the example exited $?"
grep -q "^ok: text-lines checks passed" "$T/check.out" || fail "example checks"
make -s -C "$T/ex" CFLAGS="$W" >"$T/make.out" 2>&1 || fail "make of the example exited $?"
SO=$T/ex/text-lines.so
exports=$(nm -D --defined-only "$SO" | awk '{print $NF}')
[ "$exports" = perfgate_plugin_entry ] || fail "the plugin exports more than its entry: $exports"
make -s -C "$T/ex" install >"$T/make-install.out" 2>&1 ||
	fail "make install of the example exited $?"
[ -f "$PREFIX/lib/perfgate/plugins/text-lines.so" ] || fail "make install: not in plugindir"

# 3. Listed with its option table.
"$PG" plugins --plugin-path "$T/ex" >"$T/list.out" 2>"$T/list.err" || fail "plugins exited $?"
grep -q "^adapter text-lines 1.0.0 (ABI 1.1, $SO)" "$T/list.out" || fail "text-lines listed"
grep -Eq "^    path +string +default /generate" "$T/list.out" || fail "option path listed"
grep -Eq "^    send_max_tokens +boolean +default true" "$T/list.out" ||
	fail "option send_max_tokens listed"
grep -Eq "^    max_line +int +default 4096 +range 16\.\.65536 unit bytes" "$T/list.out" ||
	fail "option max_line listed with range and unit"

# 4. Runs against a plain-text streaming server.
start_lines_server() { # NAME ARGS...: starts tests/servers/text_lines_server.py, sets PORT
	local name=$1 line
	shift
	python3 "$PG_SRC/tests/servers/text_lines_server.py" --max-seconds 240 "$@" \
		>"$T/$name.srv" 2>&1 &
	PIDS+=($!)
	line=$(wait_for_line "$T/$name.srv" '^listening [0-9]+$') ||
		fail "text_lines_server $name did not start"
	PORT=${line#listening }
}
cat >"$T/suite.yaml" <<'YAML'
version: 1
name: text-lines
target:
  adapter: text-lines
  url: http://127.0.0.1:9
  options: {max_line: 256}
workload:
  prompts: ["alpha beta gamma", "one two"]
  max_tokens: 5
scenarios:
  - name: lines
    load: {concurrency: 2, requests: 10, timeout: 30s}
    requirements:
      - requests.succeeded >= 10
      - errors.rate < 0.1%
YAML
run_lines() { # NAME EXPECTED_EXIT ARGS...
	local name=$1 want=$2 rc
	shift 2
	"$PG" run "$T/suite.yaml" --no-color --out "$T/$name" \
		--target "http://127.0.0.1:$PORT" "$@" >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	[ "$rc" = "$want" ] || fail "$name: exit $rc, expected $want"
}
m='d["scenarios"][0]["metrics"]'

start_lines_server ok
run_lines ok 0 --plugin-path "$T/ex"
check 'd["target"]["adapter"] == "text-lines"' "$T/ok/results.json" "ok: adapter named"
check "$m[\"requests\"][\"succeeded\"] == 10" "$T/ok/results.json" "ok: 10 successes"
check "$m[\"tokens\"][\"output_total\"] == 50" "$T/ok/results.json" "ok: 5 lines (max_tokens) each"
check "$m[\"tokens\"][\"source\"] == \"chunks\"" "$T/ok/results.json" \
	"ok: tokens counted from content"
check "$m[\"itl\"][\"count\"] == 10 * 4" "$T/ok/results.json" "ok: blank lines are not content"

# the copy `make install` put in plugindir, found through PERFGATE_PLUGIN_PATH
start_lines_server err --mode error
PERFGATE_PLUGIN_PATH=$PREFIX/lib/perfgate/plugins run_lines err 1
check "$m[\"errors\"][\"by_class\"][\"stream\"] == 10" "$T/err/results.json" \
	"error lines: stream errors"
check "$m[\"requests\"][\"succeeded\"] == 0" "$T/err/results.json" "error lines: no success"

start_lines_server json --mode json
run_lines json 1 --plugin-path "$T/ex"
check "$m[\"errors\"][\"by_class\"][\"protocol\"] == 10" "$T/json/results.json" \
	"a JSON response is refused as a protocol error"

# 5. Bad options are refused before any load, naming the plugin and the node.
sed -i 's/{max_line: 256}/{max_lin: 256}/' "$T/suite.yaml"
"$PG" validate "$T/suite.yaml" --plugin-path "$T/ex" >"$T/bad.out" 2>"$T/bad.err"
[ $? = 2 ] || fail "an unknown option of the plugin must exit 2"
want="suite.yaml:6:13: adapter 'text-lines': unknown option 'max_lin' (did you mean 'max_line'?)"
grep -qF "$want" "$T/bad.err" || fail "unknown option message"
sed -i 's/{max_lin: 256}/{max_line: 8}/' "$T/suite.yaml"
"$PG" validate "$T/suite.yaml" --plugin-path "$T/ex" >"$T/range.out" 2>"$T/range.err"
[ $? = 2 ] || fail "an option out of its bounds must exit 2"
grep -q "suite.yaml:6:23: option 'max_line' must be between 16 and 65536, got '8'" "$T/range.err" ||
	fail "out-of-bounds option message"
echo "ok: plugin SDK"
