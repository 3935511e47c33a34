#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The house style and static checks, over every tracked C file:
#  - clang-format (.clang-format) must leave each file unchanged;
#  - clang-tidy (.clang-tidy: the analyzer, bugprone and a few performance
#    and readability checks) must report nothing.
# Usage: tools/lint.sh [BUILD_DIR]   (default build-test; it is set up if
# missing, for its compile_commands.json). --fix rewrites the formatting.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

fix=false
if [ "${1:-}" = --fix ]; then
	fix=true
	shift
fi
build=${1:-build-test}
tools/deps.sh --lint
[ -f "$build/build.ninja" ] || meson setup "$build" >/dev/null
# Generated headers (the embedded schema) must exist for clang-tidy.
ninja -C "$build" >/dev/null

files=$(git ls-files '*.c' '*.h')
rc=0

echo "== clang-format"
if $fix; then
	# shellcheck disable=SC2086 # one word per file
	clang-format -i $files
else
	# shellcheck disable=SC2086
	clang-format --dry-run --Werror $files || {
		echo "lint: formatting differs (tools/lint.sh --fix rewrites it)" >&2
		rc=1
	}
fi

echo "== clang-tidy"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# Two files at a time: the build machines have two cores.
git ls-files '*.c' | xargs -P 2 -n 4 clang-tidy -p "$build" --quiet >"$out" 2>&1 || true
if grep -E "(warning|error):" "$out"; then
	echo "lint: clang-tidy reports the above" >&2
	rc=1
else
	echo "clang-tidy: clean ($(git ls-files '*.c' | wc -l) files)"
fi
exit "$rc"
