#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Lambda zip end to end: scripts/package-lambda packages the given vpcpeer-lambda, and the
# CloudFormation simulator's functions run that zip's bootstrap (not the vpcpeer program)
# for a client stack's create and delete against the real broker and the AWS test
# environment (tests/cfnsim/test_stacks.py, ClientStacks, broker mode).
# Usage: test_zip_stacks.sh SOURCE_DIR VPCPEER VPCPEER_LAMBDA PYTHON
set -euo pipefail
src=$1
vpcpeer=$2
binary=$3
python=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$src/scripts/package-lambda" --binary "$binary" --output "$work/handler.zip" --libs system
cd "$src/tests/cfnsim"
VPCPEER_BIN=$vpcpeer CFNSIM_LAMBDA_CODE=$work/handler.zip PYTHONDONTWRITEBYTECODE=1 \
	"$python" -B -m unittest -v test_stacks.ClientStacks.test_three_stacks_then_delete
