#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The fault suite of issue 23 (tests/faults/run.py) with the issue's durations: PostgreSQL
# stopped 20 s, a minute of load under idle_session_timeout and in the --quarantine 0 race,
# longer load before and after each fault; the PgBouncer case also fails when one of its 20
# registrations takes 5 s or more. Prints each case's figures (seconds to recover, 5xx count,
# throughput before/during/after). CI runs the same cases shorter (scripts/test, ctest -L faults).
# Usage: bench/faults.sh [BUILD_DIR] [--case NAME ...]   (default build; needs root for the tmpfs)
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then
	build=$1
	shift
fi
[ -x "$build/vpcpeer" ] || { echo "no $build/vpcpeer: cmake --build $build first" >&2; exit 1; }
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
VPCPEER_BIN=$build/vpcpeer exec python3 -B tests/faults/run.py --long "$@"
