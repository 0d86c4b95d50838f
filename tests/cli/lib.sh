# SPDX-License-Identifier: Apache-2.0
# Helpers for the CLI tests: run a command, then check its status, stdout and stderr.
passed=0
failed=0

# run CMD...: runs it, keeping status in $status, output in $out and $err.
run() {
	out=$("$@" 2>/tmp/vpcpeer-cli-err.$$)
	status=$?
	err=$(cat /tmp/vpcpeer-cli-err.$$)
	rm -f /tmp/vpcpeer-cli-err.$$
	ran="$*"
}

fail() {
	echo "FAIL: $ran: $1"
	echo "  status: $status"
	echo "  stdout: $out"
	echo "  stderr: $err"
	failed=$((failed + 1))
}

expect_status() { [ "$status" -eq "$1" ] && passed=$((passed + 1)) || fail "expected status $1"; }
expect_out() { [ "$out" = "$1" ] && passed=$((passed + 1)) || fail "expected stdout '$1'"; }
expect_out_has() { case "$out" in *"$1"*) passed=$((passed + 1)) ;; *) fail "stdout lacks '$1'" ;; esac; }
expect_err_has() { case "$err" in *"$1"*) passed=$((passed + 1)) ;; *) fail "stderr lacks '$1'" ;; esac; }
expect_err_empty() { [ -z "$err" ] && passed=$((passed + 1)) || fail "expected empty stderr"; }
expect_one_err_line() {
	[ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && [ -n "$err" ] && passed=$((passed + 1)) ||
		fail "expected exactly one line on stderr"
}

finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
