#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The broker's client commands (register, confirm, release, show, list): usage errors
# (exit 2, one line, nothing sent), and against a stand-in broker (fake_broker.py) what
# they send (a fresh proof naming the broker's server id) and print (the JSON answer on
# stdout; refusals as one line with exit 1). The full flows against the real broker are
# in tests/e2e/. Usage: test_client.sh VPCPEER
set -u
vpcpeer=$1
here=$(dirname "$0")
. "$here/lib.sh"

home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export HOME=$home AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_REGION AWS_DEFAULT_REGION AWS_CONFIG_FILE \
	AWS_SHARED_CREDENTIALS_FILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_STS \
	VPCPEER_BROKER VPCPEER_SERVER_ID VPCPEER_CA_FILE AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
	AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_WEB_IDENTITY_TOKEN_FILE
export AWS_ACCESS_KEY_ID=AKIACLIENTB222222222 AWS_SECRET_ACCESS_KEY=clientBSecret000000000000000000000000000

# --help for each, exit 0, on stdout
for cmd in register confirm release show list; do
	run "$vpcpeer" $cmd --help
	expect_status 0
	expect_out_has "usage: vpcpeer $cmd --broker URL"
	expect_out_has "--server-id ID"
	expect_err_empty
done

# usage and input errors: exit 2, one line on stderr, nothing on stdout
usage() { # expected stderr fragment, then the command
	local want=$1
	shift
	run "$vpcpeer" "$@"
	expect_status 2
	expect_err_has "$want"
	expect_one_err_line
	expect_out ""
}
B=https://broker.example.com
usage "vpcpeer register: --broker URL is required (or set VPCPEER_BROKER)" register --client-ref x
usage "vpcpeer register: --client-ref REF is required" register --broker $B
usage "client_ref is empty" register --broker $B --client-ref ''
usage "not printable ASCII" register --broker $B --client-ref 'a b'
usage "--label must be KEY=VALUE" register --broker $B --client-ref x --label novalue
usage "--label must be KEY=VALUE" register --broker $B --client-ref x --label =v
usage "label 'k' is given twice" register --broker $B --client-ref x --label k=1 --label k=2
usage "unknown option" register --broker $B --client-ref x --bogus
usage "must use https://" register --broker http://broker.example.com --client-ref x
# loopback from the parsed address (issue 14): a DNS name starting "127." is not loopback
usage "must use https://" register --broker http://127.evil.example:8080 --client-ref x
usage "must use https://" show --broker http://localhost.evil.example 7
usage "is not an https:// URL" register --broker ftp://broker.example.com --client-ref x
usage "is not an https:// URL" register --broker broker.example.com --client-ref x
usage "must not have a user name, query or fragment" register --broker 'https://u:p@b.example' --client-ref x
usage "cannot read the CA file" register --broker $B --client-ref x --ca-file /nonexistent.pem
usage "--timeout" register --broker $B --client-ref x --timeout 0
usage "which namespace?" confirm --broker $B --peering-id pcx-12345678 --vpc-id vpc-12345678
usage "plain decimal number" confirm --broker $B 007 --peering-id pcx-12345678 --vpc-id vpc-12345678
usage "plain decimal number" confirm --broker $B -1 --peering-id pcx-12345678 --vpc-id vpc-12345678
usage "plain decimal number" confirm --broker $B 2147483648 --peering-id pcx-12345678 --vpc-id vpc-12345678
usage "--peering-id PCX is required" confirm --broker $B 7 --vpc-id vpc-12345678
usage "--vpc-id VPC is required" confirm --broker $B 7 --peering-id pcx-12345678
usage "--peering-id must start with 'pcx-'" confirm --broker $B 7 --peering-id vpc-12345678 --vpc-id vpc-12345678
usage "--vpc-id must be 'vpc-' and 8 or 17" confirm --broker $B 7 --peering-id pcx-12345678 --vpc-id vpc-123
usage "lower-case hex" confirm --broker $B 7 --peering-id pcx-1234567G --vpc-id vpc-12345678
usage "one namespace only" confirm --broker $B 7 8 --peering-id pcx-12345678 --vpc-id vpc-12345678
usage "which namespace?" release --broker $B
usage "plain decimal number" release --broker $B 1x
usage "unexpected argument '2'" show --broker $B 1 2
usage "plain decimal number" show --broker $B ''
usage "--state must be pending, active, failed, releasing or released" list --broker $B --state up
usage "--account must be a 12-digit" list --broker $B --account 1234
usage "--limit must be a number" list --broker $B --limit 0
usage "--limit must be a number" list --broker $B --limit -5

# no broker listening: exit 1, the URL named
run "$vpcpeer" show --broker http://127.0.0.1:1 7
expect_status 1
expect_err_has "vpcpeer show: cannot reach the broker at http://127.0.0.1:1: "
expect_one_err_line

# no credentials: exit 1 before anything is sent
run env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$vpcpeer" show --broker http://127.0.0.1:1 7
expect_status 1
expect_err_has "vpcpeer show: no AWS credentials"
expect_one_err_line

# a stand-in broker: what is sent and what is printed
coproc FAKE { exec python3 -B "$here/fake_broker.py"; }
read -r -t 60 line <&"${FAKE[0]}" || { echo "fake broker did not start"; exit 1; }
url=${line#fake broker listening on }
port=${url##*:}

run "$vpcpeer" register --broker "$url" --client-ref stack/1 --label team=ops
expect_status 0
expect_err_empty
expect_out_has '"NamespaceId":1'
expect_out_has '"method":"POST","path":"/v1/namespaces","body":"{\"client_ref\":\"stack/1\",\"labels\":{\"team\":\"ops\"}}"'
expect_out_has "\"server_id\":\"127.0.0.1:$port\""
expect_out_has '"url":"https://sts.amazonaws.com/"'
expect_out_has '"body":"Action=GetCallerIdentity&Version=2011-06-15"'
expect_out_has '"signed":true'
[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && passed=$((passed + 1)) || fail "one line of JSON"

VPCPEER_BROKER=$url run "$vpcpeer" confirm 7 --peering-id pcx-0123456789abcdef0 --vpc-id vpc-12345678 --server-id broker.test:443 --region eu-west-1
expect_status 0
expect_out_has '"method":"POST","path":"/v1/namespaces/7/confirm","body":"{\"vpc_peering_connection_id\":\"pcx-0123456789abcdef0\",\"vpc_id\":\"vpc-12345678\"}"'
expect_out_has '"server_id":"broker.test:443"'
expect_out_has '"url":"https://sts.eu-west-1.amazonaws.com/"'

run "$vpcpeer" release --broker "$url/" 7
expect_status 0
expect_out_has '"method":"DELETE","path":"/v1/namespaces/7","body":null'
run "$vpcpeer" show --broker "$url" 0
expect_status 0
expect_out_has '"method":"GET","path":"/v1/namespaces/0"'
run "$vpcpeer" list --broker "$url" --state active --account 222222222222 --cursor 'a b&c' --limit 5
expect_status 0
expect_out_has '"path":"/v1/namespaces?state=active&account=222222222222&cursor=a%20b%26c&limit=5"'
expect_out_has '"Namespaces":[]'

# refusals: one line, the status and the broker's code and message, exit 1
run "$vpcpeer" release --broker "$url" 8
expect_status 1
expect_out ""
expect_err_has "vpcpeer release: 409 conflict: namespace 8 is active, not pending"
expect_one_err_line
run "$vpcpeer" show --broker "$url" 9
expect_status 1
expect_err_has "vpcpeer show: HTTP 502 from the broker: <html>Bad Gateway</html>"
expect_one_err_line

# TLS is verified: an https URL to a plain-HTTP port fails as a TLS or connection error
run "$vpcpeer" show --broker "https://127.0.0.1:$port" 7 --timeout 5
expect_status 1
expect_one_err_line

exec {FAKE[1]}>&-
wait "$FAKE_PID" 2>/dev/null
finish
