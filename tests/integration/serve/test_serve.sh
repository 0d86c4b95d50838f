#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# vpcpeer serve against awsenv: a hub that does not match the configuration stops start-up
# (exit 1, one line naming what is wrong); a good one logs "serving on URL", answers
# /healthz, /readyz, refuses a /v1 call without a proof, serves /metrics on --metrics-listen
# only; SIGTERM exits 0.
# Configuration comes from the environment (VPCPEER_*) in the good case.
# Usage: test_serve.sh VPCPEER SOURCE_DIR
set -uo pipefail
vpcpeer=$1
src=$2
pass=0 fail=0
check() { # name, expected, actual, text, pattern
	if [ "$2" = "$3" ] && grep -qE -- "$5" <<<"$4"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $1: got $3 (wanted $2), text: $4"
	fi
}

coproc AWSENV { exec python3 -B "$src/tests/awsenv/awsenv.py" --port 0 --exit-on-stdin-eof; }
read -r -t 120 line <&"${AWSENV[0]}" || { echo "awsenv did not start"; exit 1; }
work=$(mktemp -d)
broker_pid=
cleanup() {
	[ -n "$broker_pid" ] && kill -KILL "$broker_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
unset $(env | grep -o '^VPCPEER_[A-Z_]*') 2>/dev/null
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN
export HOME=$work AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL=${line#awsenv listening on }
export AWS_CONFIG_FILE=$work/none AWS_SHARED_CREDENTIALS_FILE=$work/none
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=AKIAHUB1111111111111 AWS_SECRET_ACCESS_KEY=hubSecret0000000000000000000000000000000

# The hub: a VPC at n = 0 and one peer role (as templates/hub.yaml makes them).
vpc=$(aws ec2 create-vpc --cidr-block 10.0.0.0/22 --query Vpc.VpcId --output text) ||
	{ echo "cannot create the hub VPC"; exit 1; }
trust='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}'
aws iam create-role --role-name vpcpeer-peer-1 --assume-role-policy-document "$trust" >/dev/null ||
	{ echo "cannot create the peer role"; exit 1; }
base=(--listen 127.0.0.1:0 --db "sqlite:$work/registry.db" --hub-account 111111111111
	--allow-account 222222222222 --grant-settle 0)

out=$(timeout 60 "$vpcpeer" serve "${base[@]}" --hub-vpc vpc-0000000000000000f --peer-role vpcpeer-peer-1 2>&1)
st=$?
check vpc-not-found 1 $st "$out" '^vpcpeer serve: .*vpc-0000000000000000f'
check vpc-not-found-one-line 1 "$(wc -l <<<"$out")" '' '.*'
out=$(timeout 60 "$vpcpeer" serve "${base[@]}" --hub-vpc "$vpc" --peer-role no-such-role 2>&1)
st=$?
check unknown-role 1 $st "$out" '^vpcpeer serve: .*no-such-role'
out=$(timeout 60 "$vpcpeer" serve "${base[@]}" --hub-vpc "$vpc" --peer-role vpcpeer-peer-1 \
	--hub-route-table rtb-00000000 2>&1)
st=$?
check unknown-route-table 1 $st "$out" '^vpcpeer serve: .*rtb-00000000'
# /23 namespaces: n = 1 is 10.0.2.0/23, inside the hub's 10.0.0.0/22.
out=$(timeout 60 "$vpcpeer" serve "${base[@]}" --hub-vpc "$vpc" --peer-role vpcpeer-peer-1 \
	--vpc-prefix 23 --subnet-prefix 25 2>&1)
st=$?
check plan-overlaps-hub 1 $st "$out" '^vpcpeer serve: .*10\.0\.(0\.0/22|2\.0/23)'

# A good start, configured from the environment; JSON logs on stderr.
mkfifo "$work/log"
VPCPEER_LISTEN=127.0.0.1:0 VPCPEER_DB="sqlite:$work/registry.db" VPCPEER_HUB_ACCOUNT=111111111111 \
	VPCPEER_HUB_VPC=$vpc VPCPEER_PEER_ROLE=vpcpeer-peer-1 \
	VPCPEER_ALLOW_ACCOUNT=222222222222,333333333333 VPCPEER_GRANT_SETTLE=0 \
	VPCPEER_LOG_FORMAT=json VPCPEER_METRICS_LISTEN=127.0.0.1:0 "$vpcpeer" serve 2>"$work/log" &
broker_pid=$!
exec 3<"$work/log"
url= murl=
while read -r -t 60 line <&3; do
	echo "$line" >>"$work/broker.log"
	if [[ $line =~ \"msg\":\"serving\ on\ (http://127\.0\.0\.1:[0-9]+)\" ]]; then
		url=${BASH_REMATCH[1]}
		[[ $line =~ \"metrics_url\":\"(http://127\.0\.0\.1:[0-9]+)\" ]] && murl=${BASH_REMATCH[1]}
		break
	fi
done
cat <&3 >>"$work/broker.log" &
reader=$!
check ready 1 "$([ -n "$url" ] && echo 1)" "$(cat "$work/broker.log")" 'serving on'
check ready-fields 1 1 "$(cat "$work/broker.log")" "\"server_id\":\"127\\.0\\.0\\.1:[0-9]+\""
if [ -n "$url" ]; then
	out=$(curl -s -i --noproxy '*' "$url/healthz"); st=$?
	check healthz 0 $st "$out" '^HTTP/1.1 200'
	check healthz-body 0 $st "$out" '^\{"status":"ok"\}'
	check request-id 0 $st "$out" '^X-Request-Id: [0-9a-f]{32}'
	out=$(curl -s -i --noproxy '*' "$url/readyz"); st=$?
	check readyz 0 $st "$out" '^HTTP/1.1 200'
	out=$(curl -s -i --noproxy '*' -X POST -d '{"client_ref":"x"}' "$url/v1/namespaces"); st=$?
	check no-proof 0 $st "$out" '^HTTP/1.1 401'
	check no-proof-body 0 $st "$out" '"code":"unauthenticated"'
	out=$(curl -s -i --noproxy '*' -X POST -H 'Authorization: Vpcpeer-Proof e30=' \
		-d '{"client_ref":"x"}' "$url/v1/namespaces"); st=$?
	check bad-proof 0 $st "$out" '^HTTP/1.1 401'
	# /metrics is not on the API's port (issue 14) but on --metrics-listen, with the health checks
	out=$(curl -s -i --noproxy '*' "$url/metrics"); st=$?
	check metrics-not-on-api 0 $st "$out" '^HTTP/1.1 404'
	out=$(curl -s -i --noproxy '*' "$murl/healthz"); st=$?
	check metrics-listener-healthz 0 $st "$out" '^HTTP/1.1 200'
	out=$(curl -s -i --noproxy '*' "$murl/readyz"); st=$?
	check metrics-listener-readyz 0 $st "$out" '^HTTP/1.1 200'
	out=$(curl -s -i --noproxy '*' -X POST -d '{"client_ref":"x"}' "$murl/v1/namespaces"); st=$?
	check metrics-listener-no-v1 0 $st "$out" '^HTTP/1.1 404'
	out=$(curl -s --noproxy '*' "$murl/metrics"); st=$?
	check metrics 0 $st "$out" '^vpcpeer_http_requests_total\{route="/healthz",method="GET",status="200"\} 2$'
	check metrics-401 0 $st "$out" '^vpcpeer_http_requests_total\{route="/v1/namespaces",method="POST",status="401"\} 2$'
	# issue 17: the running version, the standard process metrics (gauges not named _total)
	check metrics-build-info 0 $st "$out" '^vpcpeer_build_info\{version="[0-9][^"]*"\} 1$'
	check metrics-process-cpu 0 $st "$out" '^# TYPE process_cpu_seconds_total counter$'
	check metrics-process-rss 0 $st "$out" '^process_resident_memory_bytes [1-9]'
	check metrics-process-fds 0 $st "$out" '^process_open_fds [1-9]'
	check metrics-capacity-limit 0 $st "$out" '^# TYPE vpcpeer_capacity_limit gauge$'
	check metrics-no-gauge-total 0 $st "$(grep '^# TYPE .*_total gauge' <<<"$out" || echo none)" '^none$'
fi
kill -TERM "$broker_pid"
wait "$broker_pid"
st=$?
broker_pid=
wait "$reader"
log=$(cat "$work/broker.log")
check sigterm-exit 0 $st "$log" '"msg":"stopped"'
check access-log 0 0 "$log" '"msg":"request".*"route":"/healthz"'
check access-log-401 0 0 "$log" '"route":"/v1/namespaces","status":401'
check no-proof-in-log 0 "$(grep -c 'e30=' <<<"$log")" '' '.*'
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
