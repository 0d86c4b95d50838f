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
usage "vpcpeer register: --client-ref: client_ref has a space at position 2: use printable ASCII without spaces ('!' to '~', e.g. stack/1)" register --broker $B --client-ref 'a b'
usage "client_ref has byte 0x09 at position 2: use printable ASCII without spaces" release --broker $B 7 --client-ref "$(printf 'a\tb')"
usage "--output must be table or json, not 'yaml'" show --broker $B 7 --output yaml
usage "--label must be KEY=VALUE" list --broker $B --label novalue
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
# a transit-gateway hub (issue 16): the attachment instead of the peering
usage "not both" confirm --broker $B 7 --peering-id pcx-12345678 --attachment-id tgw-attach-12345678 --vpc-id vpc-12345678
usage "--attachment-id must start with 'tgw-attach-'" confirm --broker $B 7 --attachment-id pcx-12345678 --vpc-id vpc-12345678
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
# ... but the inputs are checked first: a bad URL is a usage error whatever the credentials
for bad in htp:/bad https:// ftp://b.example; do
	run env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$vpcpeer" show --broker $bad 3
	expect_status 2
	expect_err_has "vpcpeer show: the broker URL '$bad' is not an https:// URL with a host"
	expect_one_err_line
done
run env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$vpcpeer" list --broker $B --ca-file /nonexistent.pem
expect_status 2
expect_err_has "cannot read the CA file /nonexistent.pem"

# help COMMAND is COMMAND --help; the program's help names the exit statuses
run "$vpcpeer" help list
expect_status 0
expect_out_has "usage: vpcpeer list --broker URL"
expect_out_has "--label KEY=VALUE"
[ "$out" = "$("$vpcpeer" list --help)" ] && passed=$((passed + 1)) || fail "help list differs from list --help"
run "$vpcpeer" help
expect_status 0
expect_out_has "3 drift found (reconcile --detailed-exitcode)"
run "$vpcpeer" help frobnicate
expect_status 2
expect_err_has "vpcpeer help: unknown command 'frobnicate'"
run "$vpcpeer" completion zsh
expect_status 2
expect_err_has "vpcpeer completion: give the shell: vpcpeer completion bash"
run "$vpcpeer" completion bash
expect_status 0
expect_out_has "complete -F _vpcpeer vpcpeer"
printf '%s\n' "$out" | bash -n && passed=$((passed + 1)) || fail "the completion script is not bash"
# generated from the tables: every option of list --help is offered after 'list --'
comp=$(bash -c '. /dev/stdin; COMP_WORDS=(vpcpeer list --); COMP_CWORD=2; _vpcpeer; echo "${COMPREPLY[*]}"' <<<"$out")
for opt in $("$vpcpeer" list --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
	case " $comp " in *" $opt "*) passed=$((passed + 1)) ;; *) fail "completion of 'list --' lacks $opt" ;; esac
done
comp=$(bash -c '. /dev/stdin; COMP_WORDS=(vpcpeer show --output ""); COMP_CWORD=3; _vpcpeer; echo "${COMPREPLY[*]}"' <<<"$out")
[ "$comp" = "table json" ] && passed=$((passed + 1)) || fail "completion of --output gives '$comp'"

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
# it follows NextCursor, asking for what --limit leaves
expect_out_has '"path":"/v1/namespaces?state=active&account=222222222222&cursor=p2&limit=3"'
expect_out_has '"NextCursor":null}'
run "$vpcpeer" list --broker "$url" --state released
expect_status 0
expect_out '{"Namespaces":[],"NextCursor":null}'

# list: every page, as JSON when piped, or a table (--output table)
run "$vpcpeer" list --broker "$url" --output json
expect_status 0
[ "$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print([n["NamespaceId"] for n in d["Namespaces"]], d["NextCursor"])')" = "[1, 2, 3] None" ] &&
	passed=$((passed + 1)) || fail "list did not follow NextCursor"
# --limit stops early and hands back the cursor to go on
run "$vpcpeer" list --broker "$url" --limit 2
expect_status 0
expect_out_has '"path":"/v1/namespaces?limit=2"'
expect_out_has '"NextCursor":"p2"}'
# --label filters here (the API has none): all the labels given must match
run "$vpcpeer" list --broker "$url" --label team=ops
expect_status 0
[ "$(printf '%s' "$out" | python3 -c 'import json,sys; print([n["NamespaceId"] for n in json.load(sys.stdin)["Namespaces"]])')" = "[1, 3]" ] &&
	passed=$((passed + 1)) || fail "--label team=ops"
run "$vpcpeer" list --broker "$url" --label team=ops --label env=dev --output json
[ "$(printf '%s' "$out" | python3 -c 'import json,sys; print([n["NamespaceId"] for n in json.load(sys.stdin)["Namespaces"]])')" = "[3]" ] &&
	passed=$((passed + 1)) || fail "--label team=ops --label env=dev"
run "$vpcpeer" list --broker "$url" --output table
expect_status 0
expect_err_empty
[ "$(printf '%s\n' "$out" | sed -n 1p)" = "NAMESPACE  STATE   ACCOUNT       VPC CIDR      PEERING       CLIENT REF  LABELS" ] &&
	passed=$((passed + 1)) || fail "the table's header"
[ "$(printf '%s\n' "$out" | wc -l)" -eq 4 ] && passed=$((passed + 1)) || fail "the table has a header and 3 rows"
expect_out_has '3          active  222222222222  10.0.12.0/22  pcx-00000003  stack/3     team=ops,env=dev'
VPCPEER_OUTPUT=table run "$vpcpeer" list --broker "$url" --state released
expect_status 0
expect_out ""
expect_err_has "vpcpeer list: no namespaces"

# one namespace as a table: its fields in the broker's order, null as -
run "$vpcpeer" show --broker "$url" 7 -o table
expect_status 0
expect_out_has 'NamespaceId  7'
expect_out_has 'State        active'

# a 503 with Retry-After is asked again, saying so on stderr (not with --quiet)
run "$vpcpeer" show --broker "$url" 5
expect_status 0
expect_out_has '"NamespaceId":5'
expect_err_has "vpcpeer show: the broker answered 503 unavailable: AWS throttled; try again; asking again in 1 s (Retry-After), attempt 2 of 3"
expect_one_err_line
run "$vpcpeer" show --broker "$url" 5 --quiet
expect_status 0
expect_err_empty
# ... but not past --timeout
run "$vpcpeer" show --broker "$url" 5 --timeout 1
expect_status 1
expect_err_has "vpcpeer show: 503 unavailable: AWS throttled; try again"
expect_one_err_line

# a broker that takes long: a progress line on stderr saying what it waits for, and how long
run "$vpcpeer" release --broker "$url" 6
expect_status 0
expect_err_has "vpcpeer release: still waiting for the broker after 2 s (this command gives up after 60 s, --timeout): it removes the hub's routes"
expect_one_err_line
run "$vpcpeer" release --broker "$url" 6 --quiet
expect_status 0
expect_err_empty

# refusals: one line, the status and the broker's code and message, exit 1
run "$vpcpeer" release --broker "$url" 8
expect_status 1
expect_out ""
expect_err_has "vpcpeer release: 409 conflict: namespace 8 is active, not pending"
expect_one_err_line
# an answer without the broker's JSON error: not a vpcpeer broker, and no HTML printed
run "$vpcpeer" show --broker "$url" 9
expect_status 1
expect_err_has "vpcpeer show: HTTP 502 from $url, which is not a vpcpeer broker's answer (no vpcpeer JSON error): check that --broker is the broker's URL, or the proxy in front of it"
expect_one_err_line
case "$err" in *html*) fail "the HTML was printed" ;; *) passed=$((passed + 1)) ;; esac

# a web server that is not a broker (python's http.server answers POST with an HTML 501)
# (bash has one coproc at a time: a FIFO for its first line)
mkfifo "$home/web.fifo"
mkdir -p "$home/www"
python3 -u -B -m http.server --bind 127.0.0.1 --directory "$home/www" 0 >"$home/web.fifo" 2>/dev/null &
WEB_PID=$!
exec {web_fd}<"$home/web.fifo"
read -r -t 60 line <&$web_fd || { echo "http.server did not start"; exit 1; }
web_port=$(printf '%s' "$line" | sed -n 's/.* port \([0-9]*\).*/\1/p')
run "$vpcpeer" register --broker "http://127.0.0.1:$web_port" --client-ref x
expect_status 1
expect_err_has "vpcpeer register: HTTP 501 from http://127.0.0.1:$web_port, which is not a vpcpeer broker's answer"
expect_one_err_line
case "$err" in *DOCTYPE* | *html*) fail "the HTML was printed" ;; *) passed=$((passed + 1)) ;; esac
# a 200 that is not a JSON object (http.server lists the directory)
run "$vpcpeer" show --broker "http://127.0.0.1:$web_port" 7
expect_status 1
expect_one_err_line
kill "$WEB_PID" 2>/dev/null
wait "$WEB_PID" 2>/dev/null
exec {web_fd}<&-

# https:// to a plain-HTTP port: the scheme named, not --ca-file
run "$vpcpeer" show --broker "https://127.0.0.1:$port" 7 --timeout 5
expect_status 1
expect_err_has "vpcpeer show: https://127.0.0.1:$port answers plain HTTP, not TLS: the broker's URL has the wrong scheme or port"
expect_one_err_line
case "$err" in *--ca-file*) fail "suggests --ca-file for a scheme mismatch" ;; *) passed=$((passed + 1)) ;; esac

# a TLS broker (a self-signed certificate for 127.0.0.1)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$home/key.pem" -out "$home/cert.pem" 2>/dev/null ||
	{ echo "openssl req failed"; exit 1; }
mkfifo "$home/tls.in" "$home/tls.out"
python3 -B "$here/fake_broker.py" "$home/cert.pem" "$home/key.pem" <"$home/tls.in" >"$home/tls.out" &
TLS_PID=$!
exec {tls_in}>"$home/tls.in" {tls_out}<"$home/tls.out"
read -r -t 60 line <&$tls_out || { echo "TLS fake broker did not start"; exit 1; }
tls_url=${line#fake broker listening on }
tls_port=${tls_url##*:}
# http:// to it: "Empty reply" becomes the scheme mismatch
run "$vpcpeer" show --broker "http://127.0.0.1:$tls_port" 7 --timeout 5
expect_status 1
expect_err_has "vpcpeer show: http://127.0.0.1:$tls_port gave no HTTP answer to plain http://: a TLS port? use https://"
expect_one_err_line
# an untrusted certificate: --ca-file suggested
run "$vpcpeer" show --broker "$tls_url" 7 --timeout 5
expect_status 1
expect_err_has "vpcpeer show: TLS with the broker at $tls_url failed: "
expect_err_has "(a private CA? give it with --ca-file FILE)"
expect_one_err_line
# with the CA, it works
run "$vpcpeer" show --broker "$tls_url" 7 --ca-file "$home/cert.pem"
expect_status 0
expect_out_has '"NamespaceId":7'
# a name the certificate does not hold
run "$vpcpeer" show --broker "https://localhost:$tls_port" 7 --ca-file "$home/cert.pem" --timeout 5
expect_status 1
expect_one_err_line
exec {tls_in}>&- {tls_out}<&-
wait "$TLS_PID" 2>/dev/null

exec {FAKE[1]}>&-
wait "$FAKE_PID" 2>/dev/null
finish
