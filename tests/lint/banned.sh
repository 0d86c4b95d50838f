#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fails when src/ uses a function the conventions ban (docs/conventions.md, "Memory"):
# unbounded string functions and number parsers without an end-pointer or range check.
set -u
src=$1
banned='\b(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|atoll|atof|strtok|strncpy|strncat)\('
hits=$(grep -rnE "$banned" "$src" --include='*.c' --include='*.h' || true)
if [ -n "$hits" ]; then
	echo "banned functions in $src (see docs/conventions.md):"
	echo "$hits"
	echo "0 passed, 1 failed"
	exit 1
fi
echo "1 passed, 0 failed"
