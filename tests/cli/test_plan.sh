#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# vpcpeer plan, --help, --version: output, JSON keys, exit statuses, errors.
set -u
vpcpeer=$1
. "$(dirname "$0")/lib.sh"
unset VPCPEER_OUTPUT

# The output follows stdout: JSON on a pipe (as here), a table with --output table
# (or VPCPEER_OUTPUT=table); --json is --output json.
run "$vpcpeer" plan 1
expect_out_has '{"NamespaceId":1,"VpcCidrBlock":"10.0.4.0/22"'
run "$vpcpeer" plan 1 --output table
expect_out_has 'vpc        10.0.4.0/22'
run "$vpcpeer" -o table plan 1
expect_out_has 'vpc        10.0.4.0/22'
run "$vpcpeer" plan 1 -o yaml
expect_status 2
expect_err_has "vpcpeer plan: --output must be table or json, not 'yaml'"
# a pseudo-terminal on stdout: the table by default
if command -v script >/dev/null; then
	out=$(script -qec "$vpcpeer plan 1" /dev/null </dev/null | tr -d '\r')
	case "$out" in *"vpc        10.0.4.0/22"*) passed=$((passed + 1)) ;; *) fail "no table on a terminal: $out" ;; esac
fi
# the rest of this file reads the tables
export VPCPEER_OUTPUT=table

# The table of docs/design.md "The address plan", as JSON.
run "$vpcpeer" plan 1 --json
expect_status 0
expect_out '{"NamespaceId":1,"VpcCidrBlock":"10.0.4.0/22","SubnetACidrBlock":"10.0.4.0/24","SubnetBCidrBlock":"10.0.5.0/24","SubnetCCidrBlock":"10.0.6.0/24","SubnetDCidrBlock":"10.0.7.0/24"}'
expect_err_empty
run "$vpcpeer" plan --json 300
expect_out '{"NamespaceId":300,"VpcCidrBlock":"10.4.176.0/22","SubnetACidrBlock":"10.4.176.0/24","SubnetBCidrBlock":"10.4.177.0/24","SubnetCCidrBlock":"10.4.178.0/24","SubnetDCidrBlock":"10.4.179.0/24"}'
run "$vpcpeer" plan 2 --json
expect_out_has '"VpcCidrBlock":"10.0.8.0/22"'
expect_out_has '"SubnetDCidrBlock":"10.0.11.0/24"'

# The table form.
run "$vpcpeer" plan 0
expect_status 0
expect_out_has 'namespace  0 (hub)'
expect_out_has 'vpc        10.0.0.0/22'
expect_out_has 'subnet A   10.0.0.0/24'
expect_out_has 'subnet D   10.0.3.0/24'
expect_out_has '251 usable'
run "$vpcpeer" plan 16383
expect_status 0
expect_out_has '10.255.252.0/22'

# Bounds name the capacity.
run "$vpcpeer" plan 16384
expect_status 2
expect_err_has 'holds 16384 namespaces'
expect_one_err_line
run "$vpcpeer" plan -1
expect_status 2
expect_err_has 'holds 16384 namespaces'
run "$vpcpeer" plan abc
expect_status 2
expect_err_has "namespace 'abc' is not a number"
run "$vpcpeer" plan 99999999999999999999999
expect_status 2
expect_err_has 'vpcpeer plan: namespace 99999999999999999999999 is out of range: the plan holds 16384 namespaces (0..16383)'
expect_one_err_line
run "$vpcpeer" plan --pool 100.64.0.0/10 -99999999999999999999
expect_status 2
expect_err_has 'the plan holds 4096 namespaces (0..4095)'

# Capacity.
# Capacity: one answer, the same fields as a table or JSON, with or without --reserve.
run "$vpcpeer" plan --capacity
expect_status 0
expect_out 'Capacity             16384
Reserved             0
AvailableForClients  16383'
run "$vpcpeer" plan --capacity --pool 100.64.0.0/10
expect_out_has 'Capacity             4096'
run "$vpcpeer" plan --capacity --reserve 10.0.16.0/20
expect_out 'Capacity             16384
Reserved             4
AvailableForClients  16379'
run "$vpcpeer" plan --capacity --json --reserve 10.0.16.0/20
expect_out '{"Capacity":16384,"Reserved":4,"AvailableForClients":16379}'
run "$vpcpeer" plan --capacity --output json
expect_out '{"Capacity":16384,"Reserved":0,"AvailableForClients":16383}'

# Plan flags, before or after the subcommand, with = or a separate value.
run "$vpcpeer" --pool 172.16.0.0/12 --vpc-prefix=20 plan 1 --subnet-prefix 22 --subnets 3 --json
expect_status 0
expect_out '{"NamespaceId":1,"VpcCidrBlock":"172.16.16.0/20","SubnetACidrBlock":"172.16.16.0/22","SubnetBCidrBlock":"172.16.20.0/22","SubnetCCidrBlock":"172.16.24.0/22"}'
run "$vpcpeer" --pool 100.64.0.0/10 plan 4095 --json
expect_out_has '"VpcCidrBlock":"100.127.252.0/22"'

# The plan flags from the environment; the command line wins.
run env VPCPEER_POOL=100.64.0.0/10 "$vpcpeer" plan --capacity
expect_out_has 'Capacity             4096'
run env VPCPEER_POOL=100.64.0.0/10 "$vpcpeer" plan --capacity --pool 10.0.0.0/8
expect_out_has 'Capacity             16384'
run env VPCPEER_RESERVE=10.0.16.0/20,10.0.32.0/24 "$vpcpeer" plan --capacity --json
expect_out '{"Capacity":16384,"Reserved":5,"AvailableForClients":16378}'
run env VPCPEER_VPC_PREFIX=x "$vpcpeer" plan 1
expect_status 2
expect_err_has "--vpc-prefix: vpc-prefix 'x' is not a number"
run env VPCPEER_POOL=10.0.0.1/8 "$vpcpeer" plan 1
expect_status 2
expect_err_has 'host bits set'

# Reserved ranges: unavailable, with the range, status 1.
run "$vpcpeer" plan 5 --reserve 10.0.16.0/20
expect_status 1
expect_err_has 'namespace 5 is unavailable'
expect_err_has 'reserved range 10.0.16.0/20'
expect_one_err_line
run "$vpcpeer" plan 8 --reserve 10.0.16.0/20 --reserve 192.168.0.0/16
expect_status 0

# Invalid plans and inputs: status 2, one line that says why.
run "$vpcpeer" plan 1 --pool 10.0.0.1/8
expect_status 2
expect_err_has 'host bits set'
expect_one_err_line
run "$vpcpeer" plan 1 --pool 10.0.0.0/24
expect_status 2
expect_err_has 'does not fit into the pool'
run "$vpcpeer" plan 1 --subnets 5
expect_status 2
expect_err_has 'do not fit into a /22 VPC block'
run "$vpcpeer" plan 1 --vpc-prefix 30
expect_status 2
expect_err_has "outside AWS's limits"
run "$vpcpeer" plan 1 --vpc-prefix x
expect_status 2
expect_err_has 'not a number'
run "$vpcpeer" plan 1 --reserve 10.0.0.0/33
expect_status 2
expect_err_has 'more than 32'
run "$vpcpeer" plan
expect_status 2
expect_err_has 'missing namespace number'
run "$vpcpeer" plan 1 2
expect_status 2
expect_err_has "unexpected argument '2'"
run "$vpcpeer" plan 1 --bogus
expect_status 2
expect_err_has "unknown option '--bogus'"
expect_one_err_line
run "$vpcpeer" plan 1 --pool
expect_status 2
expect_err_has "needs a value"
run "$vpcpeer" plan 1 --json=yes
expect_status 2
expect_err_has "takes no value"
run "$vpcpeer" plan 1 --capacity
expect_status 2
run "$vpcpeer" frobnicate
expect_status 2
expect_err_has "unknown command 'frobnicate'"
expect_one_err_line

# Long command lines and environment lists (a broker may allow 1024 accounts).
run "$vpcpeer" plan 1 $(yes -- --json | head -n 2000)
expect_status 0
expect_out_has '"NamespaceId":1'
run env VPCPEER_RESERVE="$(yes 10.0.16.0/20 | head -n 64 | paste -sd,)" "$vpcpeer" plan 4
expect_status 1
run env VPCPEER_RESERVE="$(yes 10.0.16.0/20 | head -n 65 | paste -sd,)" "$vpcpeer" plan 4
expect_status 2
expect_err_has 'at most 64'

# Help and version.
run "$vpcpeer" --help
expect_status 0
expect_out_has 'usage: vpcpeer'
expect_out_has 'plan'
run "$vpcpeer"
expect_status 2
expect_out_has 'usage: vpcpeer'
run "$vpcpeer" plan --help
expect_status 0
expect_out_has 'usage: vpcpeer plan'
expect_out_has '--reserve CIDR'
run "$vpcpeer" --version
expect_status 0
case "$out" in "vpcpeer "[0-9]*.[0-9]*.[0-9]*) passed=$((passed + 1)) ;; *) fail "version format" ;; esac
run "$vpcpeer" version
expect_status 0

finish
