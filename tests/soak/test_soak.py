"""A bounded soak of `vpcpeer serve` (issue 14): for VPCPEER_SOAK_SECONDS (default 60; minutes
in bench) it mixes registrations, confirms and releases of three accounts with hostile
connections: slow clients (a header byte now and then), clients that vanish mid-request
(half a body, then close) and garbage bytes, plus health checks. Run against the ASan and the
TSan builds (scripts/test); the broker must stop cleanly with zero sanitizer reports. Prints
one line: requests, duration, reports."""

import os
import random
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from broker_harness import CLIENTS, E2ECase  # noqa: E402


class Soak(E2ECase):
    def test_soak(self):
        seconds = float(os.environ.get("VPCPEER_SOAK_SECONDS", "60"))
        b = self.start_broker(["--quarantine", "0", "--max-peerings", "125",
                               "--max-namespaces-per-account", "0", "--rate-limit", "1000",
                               "--rate-burst", "1000", "--connection-timeout", "5"])
        host, port = b.api.host, b.api.port
        deadline = time.monotonic() + seconds
        counts = {"api": 0, "slow": 0, "vanished": 0, "garbage": 0, "health": 0}
        bad = []
        lock = threading.Lock()

        def count(kind, n=1):
            with lock:
                counts[kind] += n

        def workflows(who, seed):
            rnd = random.Random(seed)
            client = self.client(who)
            i = 0
            while time.monotonic() < deadline:
                i += 1
                r = b.api.register(who, f"soak-{seed}-{i}")
                count("api")
                if r.status not in (200, 201):
                    bad.append(f"register {who}: {r}")
                    continue
                ns = r.json
                if rnd.random() < 0.5:
                    vpc, pcx = client.peer(ns)
                    r = b.api.confirm(who, ns["NamespaceId"], pcx, vpc)
                    count("api")
                    if r.status != 200:
                        bad.append(f"confirm {who}: {r}")
                r = b.api.release(who, ns["NamespaceId"])
                count("api")
                if r.status != 200:
                    bad.append(f"release {who}: {r}")

        def connect():
            return socket.create_connection((host, port), timeout=10)

        def slow():
            while time.monotonic() < deadline:
                try:
                    with connect() as s:
                        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                        for _ in range(4):
                            time.sleep(0.5)
                            s.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    pass  # closed by the broker: what a slow client may get
                count("slow")

        def vanish(seed):
            rnd = random.Random(seed)
            while time.monotonic() < deadline:
                body = b'{"client_ref": "gone-' + str(rnd.random()).encode() + b'"}'
                head = (b"POST /v1/namespaces HTTP/1.1\r\nHost: x\r\nContent-Type: "
                        b"application/json\r\nAuthorization: " +
                        b.api.proof(rnd.choice(CLIENTS)).encode())
                req = head + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
                try:
                    with connect() as s:
                        cut = rnd.choice((len(req) // 2, len(req), len(req) + len(body) // 2))
                        s.sendall((req + body)[:cut])
                except OSError:
                    pass
                count("vanished")
                time.sleep(0.05)

        def garbage(seed):
            rnd = random.Random(seed)
            while time.monotonic() < deadline:
                junk = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 2048)))
                if rnd.random() < 0.3:
                    junk = b"GET /v1/namespaces/" + junk + b" HTTP/1.1\r\n\r\n"
                try:
                    with connect() as s:
                        s.sendall(junk)
                        s.settimeout(2)
                        s.recv(4096)
                except OSError:
                    pass
                count("garbage")
                time.sleep(0.02)

        def health():
            while time.monotonic() < deadline:
                r = b.api.request("GET", "/healthz")
                count("health")
                if r.status != 200:
                    bad.append(f"healthz: {r}")
                time.sleep(0.1)

        started = time.monotonic()
        threads = [threading.Thread(target=workflows, args=(w, k)) for k, w in enumerate(CLIENTS)]
        threads += [threading.Thread(target=slow) for _ in range(4)]
        threads += [threading.Thread(target=vanish, args=(k,)) for k in range(2)]
        threads += [threading.Thread(target=garbage, args=(k,)) for k in range(2)]
        threads += [threading.Thread(target=health)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(seconds + 300)
        duration = time.monotonic() - started
        problems = b.stop()
        self.brokers.remove(b)
        reports = sum(1 for p in problems if "sanitizer report" in p)
        total = sum(counts.values())
        print(f"soak: requests={total} ({', '.join(f'{k} {v}' for k, v in counts.items())}) "
              f"duration={duration:.0f}s reports={reports}", file=sys.stderr)
        self.assertEqual(problems, [])
        self.assertEqual(bad[:5], [])
        self.assertGreater(counts["api"], 0)


if __name__ == "__main__":
    unittest.main()
