#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# layers.py must catch what it is there to catch: an include that points up, one that points
# sideways, a cycle between two components of one module (also through a header-only file),
# and a long file. Each case is a small tree made here; each must fail with its own finding.
set -u
lint=$(dirname "$0")/layers.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

# expect NAME PATTERN: layers.py on $tmp/NAME fails and prints PATTERN.
expect() {
	local out rc=0
	out=$(python3 "$lint" "$tmp/$1" 2>&1) || rc=$?
	if [ "$rc" -eq 1 ] && grep -q -- "$2" <<<"$out"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL $1: expected exit 1 and '$2', got exit $rc:"
		echo "$out"
	fi
}
file() { mkdir -p "$(dirname "$tmp/$1")" && printf '%b' "$2" >"$tmp/$1"; }

file clean/core/a.h '#include "core/b.h"\n'
file clean/core/a.c '#include "core/a.h"\n'
file clean/core/b.c '#include "core/b.h"\n'
file clean/core/b.h ''
file clean/api/x.c '#include "broker/broker.h"\n#include "core/a.h"\n'
if python3 "$lint" "$tmp/clean" >/dev/null; then passed=$((passed + 1)); else
	failed=$((failed + 1)); echo "FAIL clean: a tree that keeps the rules was refused"; fi

file up/core/a.c '#include "api/server.h"\n'
expect up 'core/a.c:1: core -> api points up'
file sideways/registry/r.c '#include "registry/r.h"\n#include "aws/client.h"\n'
expect sideways 'registry/r.c:2: registry -> aws points up or sideways'
file cycle/aws/client.h '#include "aws/credentials.h"\n'
file cycle/aws/client.c '#include "aws/client.h"\n'
file cycle/aws/credentials.c '#include "aws/credentials.h"\n#include "aws/client.h"\n'
file cycle/aws/credentials.h ''
expect cycle 'include cycle: aws/client -> aws/credentials'
file hidden/broker/broker.c '#include "broker/internal.h"\n'
file hidden/broker/internal.h '#include "broker/broker.h"\n#include "broker/grants.h"\n'
file hidden/broker/grants.c '#include "broker/internal.h"\n'
expect hidden 'include cycle: broker/broker -> broker/grants'
file long/core/big.c "$(for i in $(seq 801); do printf 'int v%d;\\n' "$i"; done)"
expect long 'core/big.c: 801 lines'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
