#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the registry benchmark on SQLite (a temporary directory) and on a throwaway
# PostgreSQL cluster (tests/support/pg_cluster.sh), then removes both. The clients are
# threads sharing one registry handle (a pool of as many connections as clients), as the
# broker's workers do; each figure is the median of 3 runs with its spread (min..max), next
# to the raw single-row commit rate of the same storage and the ratios issue 12 asks for.
# Usage: bench/registry.sh [BUILD_DIR [BEFORE_BUILD_DIR]]   (default build; needs registry_bench)
# Before/after: build this bench/registry_bench.c against an older tree and pass its build as
# BEFORE_BUILD_DIR: each backend then runs before, after, before, after on the same storage
# (the same cluster), so the two are compared under the same disk and load.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
before=${2:-}
bench=$build/bench/registry_bench
[ -x "$bench" ] || { echo "no $bench: cmake --build $build first" >&2; exit 1; }
[ -z "$before" ] || [ -x "$before/bench/registry_bench" ] ||
	{ echo "no $before/bench/registry_bench: build the older tree first" >&2; exit 1; }

# One backend: the build alone, or before and after alternating (twice each). SQLite: each
# run in a directory of its own (a run's files are named the same).
runs=0
run_one() {
	local program=$1 backend=$2 where=$3
	runs=$((runs + 1))
	if [ "$backend" = sqlite ]; then
		where=$where/run$runs
		mkdir -p "$where"
	fi
	"$program" "$backend" "$where"
}
run() {
	if [ -z "$before" ]; then
		run_one "$bench" "$@"
		return
	fi
	for round in 1 2; do
		echo "-- before ($before), round $round: $(uptime)"
		run_one "$before/bench/registry_bench" "$@"
		echo "-- after ($build), round $round: $(uptime)"
		run_one "$bench" "$@"
	done
}

work=$(mktemp -d /tmp/vpcpeer-bench.XXXXXX)
cleanup() {
	bash tests/support/pg_cluster.sh stop "$work/pg.url" >/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

echo "registry benchmark on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
run sqlite "$work"
bash tests/support/pg_cluster.sh start "$work/pg.url" >/dev/null
run postgres "$(cat "$work/pg.url")"
