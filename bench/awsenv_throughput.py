#!/usr/bin/env python3
"""Requests/s that awsenv carries, against moto's own server as the baseline.

    python3 bench/awsenv_throughput.py [--seconds 5] [--clients 1,8]

Sends signed EC2 DescribeVpcs (and STS GetCallerIdentity) over keep-alive
HTTP/1.1 connections, one connection per client thread. Requests are signed
once up front with botocore (the client's cost is not what is measured) and
replayed; the timestamp stays within the 15-minute window. Loopback only.
"""

import argparse
import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlencode

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "awsenv"))
from harness import AwsEnvProcess  # noqa: E402

from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

OPS = {
    "DescribeVpcs": ("ec2", {"Action": "DescribeVpcs", "Version": "2016-11-15"}),
    "GetCallerIdentity": ("sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"}),
}


def signed(port, service, params, akid, secret):
    body = urlencode(params).encode()
    req = AWSRequest(method="POST", url=f"http://127.0.0.1:{port}/", data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(akid, secret), service, "us-east-1").add_auth(req)
    return body, dict(req.headers.items())


def run(port, body, headers, clients, seconds):
    stop = time.monotonic() + seconds
    counts = [0] * clients
    errors = [0] * clients

    def worker(i):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop:
            conn.request("POST", "/", body=body, headers=headers)
            r = conn.getresponse()
            r.read()
            if r.status == 200:
                counts[i] += 1
            else:
                errors[i] += 1
        conn.close()
    ts = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    t0 = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    dt = time.monotonic() - t0
    return sum(counts) / dt, sum(errors)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start_moto():
    port = free_port()
    p = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return p, port
        except OSError:
            time.sleep(0.1)
    p.kill()
    raise RuntimeError("moto server did not start")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--clients", default="1,8")
    ap.add_argument("--ops", default="DescribeVpcs,GetCallerIdentity")
    args = ap.parse_args()
    clients = [int(x) for x in args.clients.split(",")]
    ops = args.ops.split(",")

    env = AwsEnvProcess().start()
    moto, moto_port = start_moto()
    akid, secret = env.credentials("hub")
    rows = []
    try:
        for op in ops:
            service, params = OPS[op]
            for target, port in (("moto server (direct)", moto_port), ("awsenv proxy", env.port)):
                body, headers = signed(port, service, params, akid, secret)
                if target.startswith("moto"):
                    headers["x-moto-account-id"] = "111111111111"
                run(port, body, headers, 1, 0.5)  # warm up
                for n in clients:
                    rps, errs = run(port, body, headers, n, args.seconds)
                    rows.append((op, target, n, rps, errs))
                    print(f"{op:18s} {target:22s} clients={n:<2d} {rps:8.0f} req/s  errors={errs}",
                          flush=True)
        calls = env.calls()["total"]
        print(f"awsenv counted {calls} calls")
    finally:
        env.stop()
        moto.terminate()
        moto.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
