#!/usr/bin/env bash
# Installs what perfgate needs from Debian packages (only what is missing),
# then configures and builds it.
#   ci/setup.sh [--build-dir DIR] [--sanitize] [--no-build] [--test-deps]
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build_dir="$here/build"
sanitize=OFF
do_build=1
test_deps=0
while [ $# -gt 0 ]; do
	case "$1" in
	--build-dir) build_dir=$2; shift 2 ;;
	--sanitize) sanitize=ON; shift ;;
	--no-build) do_build=0; shift ;;
	--test-deps) test_deps=1; shift ;;
	-h|--help) sed -n '2,4p' "$0"; exit 0 ;;
	*) echo "ci/setup.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
done

packages="build-essential cmake pkg-config git python3 ca-certificates openssl
libcurl4-openssl-dev libyaml-dev libgit2-dev libjansson-dev libevent-dev libcmocka-dev"
# the test suite also drives real servers and a browser: nginx (HTTP/2
# end to end) and chromium (the HTML report's DOM and screenshot); clang
# builds the libFuzzer targets (ci/fuzz.sh); python3-jsonschema checks
# suites against docs/suite.schema.json
[ "${test_deps:-0}" = 1 ] && packages="$packages nginx chromium python3-yaml clang python3-jsonschema"
missing=""
for p in $packages; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "ci/setup.sh: missing packages:$missing (run as root or install them)" >&2
		exit 3
	fi
	echo "ci/setup.sh: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

[ "$do_build" = 1 ] || exit 0
cmake -S "$here" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPG_SANITIZE="$sanitize" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
