#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# twins.py must catch what it is there to catch: a function copied into another file, the same
# code with other names, an allow-list line whose twin is gone; and it must accept a twin
# that is listed. Each case is a small tree made here.
set -u
lint=$(dirname "$0")/twins.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

check() { # NAME WANT_RC PATTERN
	local out rc=0
	out=$(python3 "$lint" "$tmp/$1/src" "$tmp/$1/allow" 2>&1) || rc=$?
	if [ "$rc" -eq "$2" ] && grep -q -- "$3" <<<"$out"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL $1: expected exit $2 and '$3', got exit $rc:"
		echo "$out"
	fi
}
body() { # NAME PREFIX: a function of eight statements
	printf 'int %s(int a)\n{\n' "$1"
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do printf '\t%s_x%d = a + %d;\n' "$2" "$i" "$i"; done
	printf '\treturn a;\n}\n'
}
tree() { mkdir -p "$tmp/$1/src/m" && : >"$tmp/$1/allow"; }

tree same
body f v >"$tmp/same/src/m/a.c"
body g v >"$tmp/same/src/m/b.c"
check same 1 'same 13 lines: m/a.c:3-15 ~ m/b.c:3-15'

tree shape
body f v >"$tmp/shape/src/m/a.c"
body g w >"$tmp/shape/src/m/b.c"
check shape 1 'shape 1[0-9] lines: m/a.c'

tree allowed
body f v >"$tmp/allowed/src/m/a.c"
body g v >"$tmp/allowed/src/m/b.c"
fp=$(python3 "$lint" "$tmp/allowed/src" "$tmp/allowed/allow" | awk 'NR==1 {print $1}')
echo "$fp m/a.c ~ m/b.c: alike by accident in this test" >"$tmp/allowed/allow"
check allowed 0 'all explained'

tree stale
body f v >"$tmp/stale/src/m/a.c"
echo "0123456789ab m/a.c ~ m/b.c: long gone" >"$tmp/stale/allow"
check stale 1 'stale entry'

tree clean
body f v >"$tmp/clean/src/m/a.c"
printf 'int h(void)\n{\n\treturn 1;\n}\n' >"$tmp/clean/src/m/b.c"
check clean 0 '0 known twin'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
