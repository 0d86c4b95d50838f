#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fails when a C file of the tree differs from what clang-format makes of it with the
# .clang-format at the top. Fix with: git ls-files '*.c' '*.h' | xargs clang-format -i
set -u
top=$1
cd "$top" || exit 1
command -v clang-format >/dev/null || { echo "clang-format is not installed (scripts/setup installs it)"; exit 1; }
files=$(git ls-files '*.c' '*.h' 2>/dev/null) || files=$(find src tests bench -name '*.[ch]')
# One clang-format for all files: it names each file that differs in its warnings.
out=$(echo "$files" | xargs clang-format --dry-run -Werror 2>&1)
if [ -n "$out" ]; then
	echo "$out" | grep -oE '^[^:]+\.[ch]:' | sort -u | sed 's/:$//; s/^/not formatted: /'
	echo "run: git ls-files '*.c' '*.h' | xargs clang-format -i"
	exit 1
fi
echo "every C file matches .clang-format"
