#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# vpcpeer whoami against awsenv: output, --json, exit statuses, one-line errors.
# Usage: test_whoami.sh VPCPEER SOURCE_DIR
set -uo pipefail
vpcpeer=$1
src=$2
pass=0 fail=0
check() { # name, expected status, actual status, output, pattern
	if [ "$2" = "$3" ] && grep -qE -- "$5" <<<"$4"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $1: status $3 (wanted $2), output: $4"
	fi
}

coproc AWSENV { exec python3 -B "$src/tests/awsenv/awsenv.py" --port 0 --exit-on-stdin-eof; }
read -r -t 120 line <&"${AWSENV[0]}" || { echo "awsenv did not start"; exit 1; }
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export HOME=$home AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL=${line#awsenv listening on }
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_REGION AWS_DEFAULT_REGION AWS_CONFIG_FILE \
	AWS_SHARED_CREDENTIALS_FILE AWS_SESSION_TOKEN
export AWS_ACCESS_KEY_ID=AKIAHUB1111111111111 AWS_SECRET_ACCESS_KEY=hubSecret0000000000000000000000000000000

# The table (whoami's output on a terminal; on this pipe JSON unless asked, issue 17).
out=$("$vpcpeer" whoami 2>&1); st=$?
check piped-json 0 $st "$out" '^\{"UserId":"AIDA[0-9A-F]+","Account":"111111111111"'
export VPCPEER_OUTPUT=table
out=$("$vpcpeer" whoami 2>&1); st=$?
check text 0 $st "$out" '^Account  111111111111'
check text-arn 0 $st "$out" 'Arn      arn:aws:iam::111111111111:user/hub'
out=$("$vpcpeer" whoami --json --region eu-west-1 2>&1); st=$?
check json 0 $st "$out" '^\{"UserId":"AIDA[0-9A-F]+","Account":"111111111111","Arn":"arn:aws:iam::111111111111:user/hub"\}$'
out=$(AWS_SECRET_ACCESS_KEY=wrong "$vpcpeer" whoami 2>&1); st=$?
check wrong-secret 1 $st "$out" '^vpcpeer whoami: sts GetCallerIdentity: SignatureDoesNotMatch: .*HTTP 403'
check one-line 1 $st "$(wc -l <<<"$out")" '^1$'
mkdir -p "$home/.aws"
printf '[b]\naws_access_key_id = AKIACLIENTB222222222\naws_secret_access_key = clientBSecret000000000000000000000000000\n' >"$home/.aws/credentials"
out=$("$vpcpeer" whoami --profile b 2>&1); st=$?
check profile 0 $st "$out" 'Account  222222222222'
out=$("$vpcpeer" whoami --profile nope 2>&1); st=$?
check missing-profile 2 $st "$out" "^vpcpeer whoami: profile 'nope'"
out=$("$vpcpeer" whoami --region 'BAD REGION' 2>&1); st=$?
check bad-region 2 $st "$out" "^vpcpeer whoami: 'BAD REGION' is not a region name"
out=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$vpcpeer" whoami 2>&1); st=$?
check no-credentials 1 $st "$out" '^vpcpeer whoami: no AWS credentials'
out=$("$vpcpeer" whoami extra 2>&1); st=$?
check usage 2 $st "$out" "unexpected argument 'extra'"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
