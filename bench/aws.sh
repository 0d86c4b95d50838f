#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# AWS client figures: the cost of signing a request, and calls per second on one warm
# connection to awsenv (started here on loopback, stopped on exit).
# Usage: bench/aws.sh [BUILD_DIR] [CALLS]   (default build, 500; needs its aws_bench)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
calls=${2:-500}
bench=$build/bench/aws_bench
[ -x "$bench" ] || { echo "no $bench: cmake --build $build first" >&2; exit 1; }

echo "aws client benchmark on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
"$bench" sign

# awsenv exits when its stdin closes: the coprocess pipe closes when this script ends.
coproc AWSENV { exec python3 -B tests/awsenv/awsenv.py --port 0 --exit-on-stdin-eof; }
read -r -t 120 line <&"${AWSENV[0]}" || { echo "awsenv did not start" >&2; exit 1; }
url=${line#awsenv listening on }
"$bench" calls "$url" "$calls"
