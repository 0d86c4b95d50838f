#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmark of `vpcpeer serve` (issue 6): registrations per second and p50/p99 latency at
1, 16 and 64 concurrent clients, with awsenv adding 50 ms to every AWS call; AWS calls per
registration; the broker's peak RSS.

    python3 bench/broker.py [--bin build/vpcpeer] [--latency-ms 50] [--levels 1,16,64]
                            [--per-level 120] [--db URL]

Each registration comes from an account of its own (as client stacks do), so it needs a
trust-policy grant: the pool has 4 peer roles (IAM's default 2048-character quota holds
about 55 accounts each). A proof is signed per request (each costs the broker one STS call
unless cached), before the request's clock starts. Between bursts everything is released
(quarantine 0) and the broker's --max-peerings (125) is never passed: a level runs its
registrations in bursts of at most 120. The AWS call counts come from awsenv's counters
(GET /_awsenv/calls), reset before each burst; the releases are not counted.
"""

import argparse
import os
import queue
import shutil
import statistics
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

from broker_harness import (AwsEnvProcess, Broker, Hub, generated_account,  # noqa: E402
                            write_accounts_file)

BURST = 120


def percentile(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * p / 100.0
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def vm(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])  # kB
    return 0


def calls_summary(doc):
    per = {}
    for svc, actions in doc.get("calls", {}).items():
        for action, c in actions.items():
            per[f"{svc}:{action}"] = c["total"]
    return doc.get("total", 0), per


def burst(api, names, concurrency, tag):
    """Register one namespace per name with `concurrency` threads; [(latency s, status)]."""
    work = queue.Queue()
    for i, name in enumerate(names):
        work.put((name, f"bench-{tag}-{i}"))
    out, lock = [], threading.Lock()

    def worker():
        while True:
            try:
                name, ref = work.get_nowait()
            except queue.Empty:
                return
            auth = api.proof(name)
            t0 = time.perf_counter()
            r = api.register(name, ref, auth=auth)
            dt = time.perf_counter() - t0
            with lock:
                out.append((dt, r.status, name, r.json))
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out, time.perf_counter() - t0


def release_all(api, results, concurrency=16):
    items = [(name, ns["NamespaceId"]) for _, status, name, ns in results if status == 201]
    work = queue.Queue()
    for x in items:
        work.put(x)
    failures = []

    def worker():
        while True:
            try:
                name, n = work.get_nowait()
            except queue.Empty:
                return
            r = api.release(name, n)
            if r.status != 200:
                failures.append((n, r))
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise SystemExit(f"release failed: {failures[:3]}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--bin", default=os.environ.get("VPCPEER_BIN",
                                                     os.path.join(ROOT, "build", "vpcpeer")))
    ap.add_argument("--latency-ms", type=int, default=50)
    ap.add_argument("--levels", default="1,16,64")
    ap.add_argument("--per-level", type=int, default=0,
                    help="registrations per level (default: 30 at 1 client, else 240)")
    ap.add_argument("--db", default=None, help="registry URL (default: a temporary SQLite file)")
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)
    levels = [int(x) for x in args.levels.split(",")]

    tmp = tempfile.mkdtemp(prefix="vpcpeer-bench-broker.")
    accounts = write_accounts_file(os.path.join(tmp, "accounts.json"), generated=BURST)
    names = [generated_account(i)["name"] for i in range(1, BURST + 1)]
    ids = [generated_account(i)["id"] for i in range(1, BURST + 1)]
    env = AwsEnvProcess(accounts=accounts,
                        extra_args=["--max-routes-per-table", "1000",
                                    "--max-peerings-per-vpc", "125"]).start()
    broker = None
    try:
        hub = Hub(env, roles=4)
        broker = Broker(env, hub, tmp, db=args.db, allow="any", binary=args.bin, route_tables=None,
                        args=["--max-peerings", "125", "--max-routes-per-table", "1000",
                              "--quarantine", "0"]).start()
        api = broker.api
        pid = broker.proc.pid
        # warm-up (connections to awsenv, the registry file), not measured
        w, _ = burst(api, names[:4], 4, "warmup")
        release_all(api, w)
        env.post("/_awsenv/faults", {"rules": [{"action": "*", "fault": "latency",
                                                "latency_ms": args.latency_ms}]})
        print(f"broker benchmark: {os.cpu_count()} cores, {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}, "
              f"awsenv latency {args.latency_ms} ms per AWS call, registry "
              f"{args.db or 'SQLite (temporary file)'}, 4 peer roles, 3 hub route tables")
        print(f"{'clients':>7} {'regs':>5} {'regs/s':>7} {'p50 ms':>8} {'p99 ms':>8} "
              f"{'max ms':>8} {'AWS calls/reg':>13}  per registration")
        for c in levels:
            total = args.per_level or (30 if c == 1 else 240)
            lat, wall, calls, per_action, errors = [], 0.0, 0, {}, 0
            done = 0
            while done < total:
                k = min(BURST, total - done)
                env.request("DELETE", "/_awsenv/calls")
                res, t = burst(api, names[:k], c, f"{c}-{done}")
                n_calls, per = calls_summary(env.calls())
                wall += t
                calls += n_calls
                for a, v in per.items():
                    per_action[a] = per_action.get(a, 0) + v
                lat += [x[0] for x in res if x[1] == 201]
                errors += sum(1 for x in res if x[1] != 201)
                # releases are not measured (no latency so they go fast)
                env.request("DELETE", "/_awsenv/faults")
                release_all(api, res)
                env.post("/_awsenv/faults", {"rules": [{"action": "*", "fault": "latency",
                                                        "latency_ms": args.latency_ms}]})
                done += k
            ok = len(lat)
            detail = ", ".join(f"{a} {v / max(ok, 1):.2f}" for a, v in sorted(per_action.items()))
            print(f"{c:>7} {ok:>5} {ok / wall:>7.1f} {percentile(lat, 50) * 1000:>8.1f} "
                  f"{percentile(lat, 99) * 1000:>8.1f} {max(lat) * 1000:>8.1f} "
                  f"{calls / max(ok, 1):>13.2f}  {detail}"
                  + (f"  ({errors} refused)" if errors else ""))
            sys.stdout.flush()
        print(f"broker peak RSS (VmHWM): {vm(pid, 'VmHWM') / 1024:.1f} MiB "
              f"(VmRSS now {vm(pid, 'VmRSS') / 1024:.1f} MiB)")
    finally:
        if broker is not None:
            problems = broker.stop()
            if problems:
                print("\n".join(problems), file=sys.stderr)
        env.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
