#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# vpcpeer serve without AWS: --help, and every configuration refused before start-up
# (bad flags, bad environment values, missing or conflicting settings): exit 2, one line.
set -u
vpcpeer=$1
. "$(dirname "$0")/lib.sh"
unset $(env | grep -o '^VPCPEER_[A-Z_]*') 2>/dev/null

run "$vpcpeer" serve --help
expect_status 0
expect_out_has 'usage: vpcpeer serve'
expect_out_has "serving on URL"
expect_out_has '--listen HOST:PORT'
expect_out_has '(env VPCPEER_LISTEN)'
expect_out_has '(env VPCPEER_PEER_ROLE, comma-separated)'
expect_out_has '--grant-settle MS'
expect_out_has '--pool CIDR'
expect_err_empty

good=(--hub-account 111111111111 --hub-vpc vpc-0123abcd --peer-role vpcpeer-peer-1
	--allow-account 222222222222)

run "$vpcpeer" serve
expect_status 2
expect_err_has 'missing --hub-account ID'
expect_one_err_line
run "$vpcpeer" serve --hub-account 111111111111 --hub-vpc vpc-1 --peering-accepter peer-role
expect_status 2
expect_err_has 'missing --peer-role NAME'
run "$vpcpeer" serve --hub-account 111111111111 --hub-vpc vpc-1 --peering-accepter client
expect_status 2
expect_err_has "--peering-accepter 'client' is neither broker nor peer-role"
run "$vpcpeer" serve --hub-account 111111111111 --hub-vpc vpc-1
expect_status 2
expect_err_has 'give --allow-account ID (repeatable) or --allow-any-account'
run "$vpcpeer" serve --hub-account 111111111111 --hub-vpc vpc-1 --peer-role r
expect_status 2
expect_err_has 'give --allow-account ID (repeatable) or --allow-any-account'
# --peer-role: a hub role's ARN is taken for its name; another account's, a path or a
# malformed ARN say what to give (issue 17)
run "$vpcpeer" serve "${good[@]}" --peer-role arn:aws:iam::333333333333:role/vpcpeer-peer-2
expect_status 2
expect_err_has "vpcpeer serve: --peer-role vpcpeer-peer-2: that role ARN is in account 333333333333, not the hub account 111111111111: give the name of a role in the hub account"
expect_one_err_line
run "$vpcpeer" serve "${good[@]}" --peer-role arn:aws:iam::111111111111:role/team/vpcpeer-peer-2
expect_status 2
expect_err_has "has a path: give the name of a hub role without a path"
run "$vpcpeer" serve "${good[@]}" --peer-role arn:aws:iam::111111111111:user/bob
expect_status 2
expect_err_has "--peer-role takes a role's name (e.g. vpcpeer-peer-1) or its ARN arn:aws:iam::HUB_ACCOUNT:role/NAME, not 'arn:aws:iam::111111111111:user/bob'"
# a hub role's ARN passes (the next check, --db, is what stops this one)
run "$vpcpeer" serve "${good[@]}" --peer-role arn:aws:iam::111111111111:role/vpcpeer-peer-2 --db /var/lib/vpcpeer/registry.db
expect_status 2
expect_err_has "vpcpeer serve: --db '/var/lib/vpcpeer/registry.db' is not a database URL: for a SQLite file give sqlite:/var/lib/vpcpeer/registry.db (or postgresql://...)"
expect_one_err_line
run "$vpcpeer" reconcile --once "${good[@]}" --db registry.db
expect_status 2
expect_err_has "give sqlite:registry.db"
run "$vpcpeer" serve "${good[@]}" --allow-any-account
expect_status 2
expect_err_has 'not both'
run "$vpcpeer" serve "${good[@]}" --bogus
expect_status 2
expect_err_has "unknown option '--bogus'"
run "$vpcpeer" serve "${good[@]}" extra
expect_status 2
expect_err_has "unexpected argument 'extra'"
run "$vpcpeer" serve "${good[@]}" --hub-account 12345
expect_status 2
expect_err_has '--hub-account'
expect_err_has 'not 12 digits'
run "$vpcpeer" serve "${good[@]}" --metrics-listen 9464
expect_status 2
expect_err_has '--metrics-listen'
VPCPEER_METRICS_LISTEN=nowhere run "$vpcpeer" serve "${good[@]}"
expect_status 2
expect_err_has '--metrics-listen'
run "$vpcpeer" serve "${good[@]}" --allow-account abc
expect_status 2
expect_err_has '--allow-account'
run "$vpcpeer" serve "${good[@]}" --max-peerings 126
expect_status 2
expect_err_has 'max-peerings'
run "$vpcpeer" serve "${good[@]}" --max-peerings 0
expect_status 2
run "$vpcpeer" serve "${good[@]}" --grant-settle 1s
expect_status 2
expect_err_has "--grant-settle '1s' is not a number"
run "$vpcpeer" serve "${good[@]}" --threads 0
expect_status 2
run "$vpcpeer" serve "${good[@]}" --log-level loud
expect_status 2
expect_err_has "unknown log level 'loud'"
run "$vpcpeer" serve "${good[@]}" --log-format xml
expect_status 2
expect_err_has "unknown log format 'xml'"
run "$vpcpeer" serve "${good[@]}" --listen 127.0.0.1
expect_status 2
expect_err_has '--listen'
expect_err_has 'has no port'
run "$vpcpeer" serve "${good[@]}" --listen '[::1]:70000'
expect_status 2
expect_err_has 'the port must be a number'
run "$vpcpeer" serve "${good[@]}" --listen 0.0.0.0:8443
expect_status 2
expect_err_has 'refusing plain HTTP on 0.0.0.0:8443'
expect_one_err_line
# Off loopback, a server id is required (issue 14): the bound 0.0.0.0:8443 is nobody's.
run "$vpcpeer" serve "${good[@]}" --listen 0.0.0.0:8443 --insecure-http
expect_status 2
expect_err_has 'refusing to serve on 0.0.0.0:8443, which is not a loopback address, without a server id'
expect_err_has 'give --server-id'
expect_err_has '--public-url'
expect_one_err_line
VPCPEER_LISTEN='[::]:8443' run "$vpcpeer" serve "${good[@]}" --insecure-http
expect_status 2
expect_err_has 'without a server id'
run "$vpcpeer" serve "${good[@]}" --listen 0.0.0.0:8443 --insecure-http --public-url ftp://b.example
expect_status 2
expect_err_has '--public-url'
expect_err_has 'not an http:// or https:// URL'
run "$vpcpeer" serve "${good[@]}" --listen 0.0.0.0:8443 --insecure-http --server-id 'a b'
expect_status 2
expect_err_has '--server-id'
run "$vpcpeer" serve "${good[@]}" --tls-cert /tmp/x.pem
expect_status 2
expect_err_has 'both --tls-cert and --tls-key'
run "$vpcpeer" serve "${good[@]}" --vpc-prefix 33
expect_status 2
run "$vpcpeer" serve "${good[@]}" --subnets 9 --subnet-prefix 24
expect_status 2
expect_err_has 'invalid address plan'

# Issue 22: a proof older than STS accepts, an http STS host, a region of no known partition.
run "$vpcpeer" serve "${good[@]}" --proof-max-age 901
expect_status 2
expect_err_has '--proof-max-age'
run "$vpcpeer" serve "${good[@]}" --sts-endpoint http://sts.example.internal
expect_status 2
expect_err_has 'must be https://'
run env VPCPEER_STS_ENDPOINT=a.example,http://b.example "$vpcpeer" serve "${good[@]}"
expect_status 2
expect_err_has 'must be https://'
run env AWS_REGION=us-iso-east-1 "$vpcpeer" serve "${good[@]}" --hub-region us-iso-east-1
expect_status 2
expect_err_has 'in no partition vpcpeer knows'

# The same refusals from the environment.
run env VPCPEER_MAX_PEERINGS=abc "$vpcpeer" serve "${good[@]}"
expect_status 2
expect_err_has "--max-peerings 'abc' is not a number"
run env VPCPEER_ALLOW_ANY_ACCOUNT=maybe "$vpcpeer" serve "${good[@]}"
expect_status 2
expect_err_has 'VPCPEER_ALLOW_ANY_ACCOUNT'
run env VPCPEER_LISTEN=nowhere "$vpcpeer" serve "${good[@]}"
expect_status 2
expect_err_has "--listen"
run env VPCPEER_ALLOW_ACCOUNT=222222222222,bad "$vpcpeer" serve --hub-account 111111111111 \
	--hub-vpc vpc-1 --peer-role r
expect_status 2
expect_err_has "account id 'bad'"
run env VPCPEER_HUB_ACCOUNT=111111111111 VPCPEER_HUB_VPC=vpc-1 VPCPEER_PEER_ROLE=a,b \
	VPCPEER_ALLOW_ACCOUNT=222222222222 VPCPEER_LOG_LEVEL=nope "$vpcpeer" serve
expect_status 2
expect_err_has "unknown log level 'nope'"

# The transit-gateway mode (issue 16): its flags, and their env twins.
run "$vpcpeer" serve "${good[@]}" --attach tunnel
expect_status 2
expect_err_has "--attach 'tunnel' is neither peering nor transit-gateway"
run "$vpcpeer" serve "${good[@]}" --attach transit-gateway --transit-gateway tgw-0a1b2c3d
expect_status 2
expect_err_has '--attach transit-gateway needs --transit-gateway, --resource-share'
run env VPCPEER_ATTACH=transit-gateway "$vpcpeer" serve "${good[@]}"
expect_status 2
expect_err_has '--attach transit-gateway needs'
run "$vpcpeer" serve "${good[@]}" --transit-gateway-max-attachments 5001
expect_status 2
expect_err_has '--transit-gateway-max-attachments'

finish
