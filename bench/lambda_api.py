#!/usr/bin/env python3
"""The broker's API as a function (issue 18): cold start and warm registrations.

    python3 bench/lambda_api.py [--bin build/vpcpeer] [--runs 7] [--warm 50] [--serve]

Against awsenv (tests/awsenv) and a hub made as the e2e tests make it, `vpcpeer serve-lambda`
runs behind the local API Gateway of tests/e2e/fake_apigw.py (one Runtime API, SQLite
registry). Cold start: from the process's start to the answer of the first request, a
registration queued at once (what the first client after a scale-out waits for: the broker's
start-up checks of the hub, the registry, the first proof's STS replay, the workflow). Warm:
one registration at a time on the started function, each with a fresh proof (an STS replay
each; a client's burst would hit the proof cache). Prints the median, min and max of each;
--serve prints the same for `vpcpeer serve` for comparison. Loopback only; a figure, not a
test: nothing here fails on a number.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

import broker_harness as bh  # noqa: E402
from fake_apigw import FakeApiGateway  # noqa: E402


def one_cold(env, hub, binary, workdir, i, mode, warm):
    """(cold seconds, [warm seconds]) for one fresh process."""
    gw = FakeApiGateway().start() if mode == "lambda" else None
    b = bh.Broker(env, hub, workdir, name=f"{mode}{i}", binary=binary, mode=mode, gateway=gw,
                  accepter="broker", args=["--max-namespaces-per-account", "100000"])
    api = bh.Api(gw.url if gw else "http://127.0.0.1:1", env)
    try:
        if mode == "lambda":
            # The request is sent with the process's start: the gateway holds it until the
            # function asks for its first event.
            proof = api.proof("client-b", request="POST /v1/namespaces")
            out = {}

            def first():
                out["r"] = api.register("client-b", f"cold-{i}", auth=proof)
                out["t"] = time.monotonic()
            t = threading.Thread(target=first)
            t0 = time.monotonic()
            t.start()
            b.start()
            t.join()
            r, cold = out["r"], out["t"] - t0
        else:
            t0 = time.monotonic()
            b.start()
            api = b.api
            r = api.register("client-b", f"cold-{i}")
            cold = time.monotonic() - t0
        assert r.status == 201, r
        warm_times = []
        for k in range(warm):
            proof = api.proof("client-c", request="POST /v1/namespaces")
            t = time.monotonic()
            r = api.register("client-c", f"warm-{i}-{k}", auth=proof)
            warm_times.append(time.monotonic() - t)
            assert r.status == 201, r
        return cold, warm_times
    finally:
        problems = b.stop()
        if gw:
            gw.close()
        if problems:
            print("\n".join(problems), file=sys.stderr)


def figures(label, xs):
    ms = [x * 1000 for x in xs]
    print(f"{label:<44} median {statistics.median(ms):8.1f} ms   min {min(ms):8.1f}   "
          f"max {max(ms):8.1f}   (n={len(ms)})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "vpcpeer"))
    ap.add_argument("--runs", type=int, default=7, help="cold starts (fresh processes)")
    ap.add_argument("--warm", type=int, default=20, help="warm registrations per process")
    ap.add_argument("--serve", action="store_true", help="also `vpcpeer serve`, for comparison")
    args = ap.parse_args()
    binary = os.path.abspath(args.bin)
    tmp = tempfile.mkdtemp(prefix="vpcpeer-bench-lambda.")
    env = bh.AwsEnvProcess(accounts=bh.write_accounts_file(os.path.join(tmp, "accounts.json")))
    env.start()
    try:
        for mode in ["lambda"] + (["serve"] if args.serve else []):
            colds, warms = [], []
            for i in range(args.runs):
                env.reset()
                hub = bh.Hub(env)
                workdir = tempfile.mkdtemp(prefix=f"{mode}{i}.", dir=tmp)
                cold, warm = one_cold(env, hub, binary, workdir, i, mode, args.warm)
                colds.append(cold)
                warms.extend(warm)
            name = "serve-lambda" if mode == "lambda" else "serve"
            figures(f"{name}: process start to first answer", colds)
            figures(f"{name}: warm registration", warms)
    finally:
        env.stop()
        subprocess.run(["rm", "-rf", tmp], check=False)


if __name__ == "__main__":
    main()
