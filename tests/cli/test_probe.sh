#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# vpcpeer probe: usage errors (nothing sent), JSON when piped, the table, exit statuses.
# Traffic only to 127.0.0.1: a listener and a port that refuses, both held by a helper.
set -u
vpcpeer=$1
. "$(dirname "$0")/lib.sh"

# The helper prints its two ports, then holds them until its stdin closes.
coproc PORTS { python3 -c '
import socket, sys
a = socket.socket(); a.bind(("127.0.0.1", 0)); a.listen(8)
b = socket.socket(); b.bind(("127.0.0.1", 0))  # bound, not listening: refuses
print(a.getsockname()[1], b.getsockname()[1], flush=True)
sys.stdin.read()
'; }
read -r open closed <&"${PORTS[0]}"

run "$vpcpeer" probe "127.0.0.1:$open"
expect_status 0
expect_out_has '{"Reached":true,"Targets":[{"Target":"127.0.0.1:'"$open"'","Kind":"tcp","Outcome":"connected","Reached":true,"Attempts":1,'
expect_err_empty

run "$vpcpeer" probe --timeout 300ms --interval 0 "127.0.0.1:$open" "127.0.0.1:$closed"
expect_status 1
expect_out_has '"Reached":false'
expect_out_has '"Outcome":"refused"'
expect_out_has 'nothing listens on port '"$closed"
expect_err_empty

run "$vpcpeer" probe --table --timeout 300ms "127.0.0.1:$closed"
expect_status 1
expect_out_has 'TARGET'
expect_out_has 'refused'
case "$out" in "{"*) fail "--table printed JSON" ;; *) passed=$((passed + 1)) ;; esac

# On a terminal, the table without --table; --json wins there.
if command -v script >/dev/null; then
	run script -qec "$vpcpeer probe 127.0.0.1:$open" /dev/null
	expect_status 0
	expect_out_has 'OUTCOME'
	run script -qec "$vpcpeer probe --json 127.0.0.1:$open" /dev/null
	expect_out_has '"Outcome":"connected"'
fi

# Usage: exit 2, one line on stderr, nothing probed (no output).
for bad in "" "10.0.1.5" "10.1.2:443" "::1:443" "ftp://hub/" "http://u:p@hub/" "hub:0"; do
	run "$vpcpeer" probe "$bad"
	expect_status 2
	expect_one_err_line
	expect_out ''
done
run "$vpcpeer" probe
expect_status 2
expect_err_has 'missing TARGET'
run "$vpcpeer" probe --timeout 10x "127.0.0.1:$open"
expect_status 2
expect_err_has '--timeout takes a duration'
run "$vpcpeer" probe --attempt-timeout 0 "127.0.0.1:$open"
expect_status 2
run "$vpcpeer" probe --timeout 2h "127.0.0.1:$open"
expect_status 2
# A bad target after a good one: still nothing is sent, and the status says usage.
run "$vpcpeer" probe "127.0.0.1:$open" "bad target"
expect_status 2
expect_out ''

run "$vpcpeer" probe --help
expect_status 0
expect_out_has 'usage: vpcpeer probe [options] TARGET...'
expect_out_has 'Exit status: 0 every target reached'
run "$vpcpeer" --help
expect_out_has 'probe'

exec {PORTS[1]}>&-
wait
finish
