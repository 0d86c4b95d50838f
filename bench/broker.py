#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmark of `vpcpeer serve` (issues 6 and 13): registrations per second and p50/p99
latency at 1, 16 and 64 concurrent clients, with awsenv adding 50 ms to every AWS call; AWS
calls per registration by action; CPU seconds per registration of the broker, of awsenv and of
the load driver; the broker's peak RSS. With --http, the rates of GET /healthz, of an
authenticated GET and of a libmicrohttpd hello world, from the same driver.

    python3 bench/broker.py [--bin build/vpcpeer] [--peering-accepter broker|peer-role|both]
                            [--latency-ms 50] [--levels 1,16,64] [--per-level N]
                            [--driver c|python] [--http SECONDS] [--db URL]

Build the driver first (`cmake --build build --target broker_load mhd_hello`; a Release
build for figures). The timed part is bench/broker_load (C, one keep-alive connection per
client thread, proofs signed with libvpcpeer's own vp_proof_make); --driver python keeps the
old driver (Python threads, a botocore proof per request, a new connection per request) to
show its ceiling. Each registration comes from an account of its own (as client stacks do);
in peer-role mode it needs a trust-policy grant, from a pool of 4 peer roles. A proof is
signed per request before the driver's clock starts, each burst at a second of its own, so
no two proofs of the run are alike and each registration costs the broker one STS call. The 125-peering cap (--max-peerings 125) limits a burst to 120 registrations:
a level runs its registrations in bursts of at most 120, everything released in between
(quarantine 0, not timed, without the latency), enough bursts (8 at 64 clients) that the
figure is not the ramp-up of one. The AWS call counts come from awsenv's counters
(GET /_awsenv/calls), reset before each burst. CPU is utime + stime from /proc/PID/stat
over the timed bursts only; the driver's from its own getrusage.
"""

import argparse
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

from broker_harness import (SERVER_ID, AwsEnvProcess, Broker, Hub,  # noqa: E402
                            generated_account, write_accounts_file)

BURST = 120
TICK = os.sysconf("SC_CLK_TCK")
# The benchmark measures the broker, not the per-account rate limit (one request per account
# per burst for registrations; the authenticated GET loop sends thousands per account).
# Every client of the benchmark comes from 127.0.0.1 and signs a new proof per request: the
# admission limits before an STS replay (issue 14), made for that address's share of real
# traffic, are lifted too, and --sts-concurrency covers the 64 clients' replays at once.
NO_RATE_LIMIT = ["--rate-limit", "1000000", "--rate-burst", "1000000",
                 "--sts-source-rate", "6000000", "--sts-source-burst", "1000000",
                 "--sts-key-rate", "6000000", "--sts-key-burst", "1000000",
                 "--sts-concurrency", "128"]


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


def cpu_seconds(pid):
    """utime + stime of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # fields 14 and 15 of proc(5)


def calls_summary(doc):
    per = {}
    for svc, actions in doc.get("calls", {}).items():
        for action, c in actions.items():
            per[f"{svc}:{action}"] = c["total"]
    return doc.get("total", 0), per


# ---- the C driver (bench/broker_load) ------------------------------------------------------

class CDriver:
    name = "C (bench/broker_load)"

    def __init__(self, load_bin, broker, env, tmp, names, rate=0, unbound=False):
        self.bin, self.broker, self.env, self.tmp = load_bin, broker, env, tmp
        self.rate = rate
        self.unbound = unbound   # a broker from before proofs were bound to their request
        self.accounts = {}
        for i in range(1, BURST + 1):
            a = generated_account(i)
            self.accounts[a["name"]] = a
        self.names = names
        self.cpu = 0.0
        # Each burst signs its proofs at its own second, counting down from the start
        # (every account is in a burst once): no proof of the run is signed twice, so
        # each registration costs the broker one STS replay, as a new stack's does.
        self.signed_at = int(time.time())

    def _file(self, names, tag):
        path = os.path.join(self.tmp, f"accounts-{tag}.txt")
        with open(path, "w") as f:
            for n in names:
                a = self.accounts[n]
                f.write(f"{n} {a['access_key_id']} {a['secret_access_key']}\n")
        return path

    def _run(self, args):
        self.signed_at -= 1
        env = dict(os.environ, BROKER_LOAD_SIGNED_AT=str(self.signed_at))
        if self.unbound:
            env["BROKER_LOAD_UNBOUND"] = "1"
        if self.rate and args[0] == "register":
            env["BROKER_LOAD_RATE"] = str(self.rate)
        p = subprocess.run([self.bin] + args, capture_output=True, text=True, timeout=600,
                           env=env)
        if p.returncode != 0:
            raise SystemExit(f"broker_load failed ({p.returncode}): {p.stderr.strip()}")
        if p.stderr.strip():
            print(p.stderr.strip(), file=sys.stderr)   # the first refusal and why
        rows, summary = [], {}
        for line in p.stdout.splitlines():
            if line.startswith("#"):
                f = line[1:].split()
                summary = {f[i]: float(f[i + 1]) for i in range(0, len(f) - 1, 2)}
            else:
                i, status, ms, n = line.split()
                rows.append((int(i), int(status), float(ms) / 1e3, int(n)))
        self.cpu += summary.get("cpu_user", 0) + summary.get("cpu_sys", 0)
        return rows, summary

    def burst(self, names, concurrency, tag):
        acc = self._file(names, "burst")
        rows, summary = self._run(["register", self.broker.url, SERVER_ID, self.env.url + "/",
                                   acc, str(concurrency), f"bench-{tag}"])
        return ([(dt, status, names[i], n) for i, status, dt, n in rows],
                summary["seconds"])

    def release_all(self, results, concurrency=16):
        done = [(name, n) for _, status, name, n in results if status == 201]
        if not done:
            return
        acc = self._file([name for name, _ in done], "release")
        cpu = self.cpu  # releases are not timed, nor counted
        rows, _ = self._run(["release", self.broker.url, SERVER_ID, self.env.url + "/", acc,
                             str(concurrency)] + [str(n) for _, n in done])
        self.cpu = cpu
        bad = [r for r in rows if r[1] != 200]
        if bad:
            raise SystemExit(f"release failed: {bad[:3]}")

    def get_rate(self, url, path, accounts, clients, seconds):
        acc = self._file(accounts, "get") if accounts else "-"
        before = self.cpu
        _, summary = self._run(["get", url, SERVER_ID, self.env.url + "/", acc, str(clients),
                                path, str(seconds)])
        return summary["rps"], summary["errors"], self.cpu - before


# ---- the Python driver (before issue 13), kept to show its ceiling -------------------------

class PythonDriver:
    name = "Python threads (botocore proofs, a connection per request)"

    def __init__(self, api):
        self.api = api
        self.cpu = 0.0

    def burst(self, names, concurrency, tag):
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
                auth = self.api.proof(name)
                t0 = time.perf_counter()
                r = self.api.register(name, ref, auth=auth)
                dt = time.perf_counter() - t0
                n = r.json["NamespaceId"] if r.status == 201 else -1
                with lock:
                    out.append((dt, r.status, name, n))
        threads = [threading.Thread(target=worker) for _ in range(concurrency)]
        c0, t0 = time.process_time(), time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        self.cpu += time.process_time() - c0
        return out, wall

    def release_all(self, results, concurrency=16):
        work = queue.Queue()
        for _, status, name, n in results:
            if status == 201:
                work.put((name, n))
        failures = []

        def worker():
            while True:
                try:
                    name, n = work.get_nowait()
                except queue.Empty:
                    return
                r = self.api.release(name, n)
                if r.status != 200:
                    failures.append((n, r))
        threads = [threading.Thread(target=worker) for _ in range(concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if failures:
            raise SystemExit(f"release failed: {failures[:3]}")


# ---- one broker, one mode ------------------------------------------------------------------

def serve_help(binary):
    p = subprocess.run([binary, "serve", "--help"], capture_output=True, text=True, timeout=30)
    return p.stdout + p.stderr


def known_flags(pairs, help_text):
    """The (flag, value) pairs of `pairs` that this binary's serve knows: a binary from before
    the admission limits (issue 14) is measured with the limits it has."""
    out = []
    for flag, value in zip(pairs[::2], pairs[1::2]):
        if flag in help_text:
            out += [flag, value]
    return out


def set_latency(env, ms):
    env.request("DELETE", "/_awsenv/faults")
    if ms:
        env.post("/_awsenv/faults", {"rules": [{"action": "*", "fault": "latency",
                                                "latency_ms": ms}]})


def http_rates(args, driver, broker, names, tmp):
    """GET /healthz, an authenticated GET and a hello world, same driver, same clients."""
    hello_bin = os.path.join(os.path.dirname(args.load), "mhd_hello")
    port_file = os.path.join(tmp, "hello.port")
    hello = subprocess.Popen([hello_bin, port_file])
    try:
        for _ in range(100):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            time.sleep(0.05)
        hello_url = f"http://127.0.0.1:{open(port_file).read().strip()}"
        c = args.http_clients
        rows = [("GET /healthz", broker.url, "/healthz", None, broker.proc.pid),
                ("GET /v1/namespaces (proof cached)", broker.url, "/v1/namespaces",
                 names[:c], broker.proc.pid),
                ("libmicrohttpd hello world", hello_url, "/", None, hello.pid)]
        print(f"HTTP rates, {c} keep-alive clients, {args.http} s each "
              f"(driver {driver.name}):")
        for label, url, path, accounts, pid in rows:
            server0 = cpu_seconds(pid)
            rps, errors, dcpu = driver.get_rate(url, path, accounts, c, args.http)
            scpu = cpu_seconds(pid) - server0
            total = rps * args.http
            print(f"  {label:36s} {rps:9.0f} req/s  server CPU {scpu / total * 1e6:6.1f} us/req  "
                  f"driver CPU {dcpu / total * 1e6:6.1f} us/req"
                  + (f"  ({errors:.0f} errors)" if errors else ""))
            sys.stdout.flush()
    finally:
        hello.terminate()
        hello.wait(10)


def run_mode(args, mode, levels, names):
    tmp = tempfile.mkdtemp(prefix="vpcpeer-bench-broker.")
    accounts = write_accounts_file(os.path.join(tmp, "accounts.json"), generated=BURST)
    env = AwsEnvProcess(accounts=accounts,
                        extra_args=["--max-routes-per-table", "1000",
                                    "--max-peerings-per-vpc", "125"]).start()
    broker = None
    try:
        hub = Hub(env, roles=4)
        extra = ["--max-peerings", "125", "--max-routes-per-table", "1000",
                 "--quarantine", "0"] + known_flags(NO_RATE_LIMIT, args.help) + args.serve_arg
        label = mode
        if args.knows_mode:
            extra += ["--peering-accepter", mode]
        else:
            label = "peer-role (this binary has no --peering-accepter)"
        broker = Broker(env, hub, tmp, db=args.db, allow="any", binary=args.bin,
                        route_tables=None, roles=hub.roles if mode == "peer-role" or
                        not args.knows_mode else [], args=extra, accepter=None).start()
        pid = broker.proc.pid
        if args.driver == "c":
            driver = CDriver(args.load, broker, env, tmp, names, args.rate,
                             unbound="--accept-unbound-proofs" not in args.help)
        else:
            driver = PythonDriver(broker.api)
        # warm-up (connections to awsenv, the registry file), not measured
        w, _ = driver.burst(names[:4], 4, "warmup")
        driver.release_all(w)
        print(f"broker benchmark, mode {label}: {os.cpu_count()} cores, load average "
              f"{os.getloadavg()[0]:.2f}, {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}, "
              f"awsenv latency {args.latency_ms} ms per AWS call, registry "
              f"{args.db or 'SQLite (temporary file)'}, 3 hub route tables, driver {driver.name}"
              + (f", fixed arrival rate {args.rate:.0f}/s (regs/s: answered per second of a "
                 f"burst, from its first planned start to its last answer)" if args.rate else ""))
        print(f"{'clients':>7} {'regs':>5} {'regs/s':>7} {'p50 ms':>8} {'p99 ms':>8} "
              f"{'max ms':>8} {'AWS/reg':>7} {'CPU ms/reg: broker':>18} {'awsenv':>7} "
              f"{'driver':>7}  AWS calls per registration")
        for c in levels:
            total = args.per_level or {1: 30, 16: 240}.get(c, 960)
            lat, wall, calls, per_action, errors = [], 0.0, 0, {}, 0
            bcpu = ecpu = 0.0
            d0 = driver.cpu
            done = 0
            while done < total:
                k = min(BURST, total - done)
                env.request("DELETE", "/_awsenv/calls")
                set_latency(env, args.latency_ms)
                b0, e0 = cpu_seconds(pid), cpu_seconds(env.proc.pid)
                res, t = driver.burst(names[:k], c, f"{c}-{done}")
                bcpu += cpu_seconds(pid) - b0
                ecpu += cpu_seconds(env.proc.pid) - e0
                n_calls, per = calls_summary(env.calls())
                wall += t
                calls += n_calls
                for a, v in per.items():
                    per_action[a] = per_action.get(a, 0) + v
                lat += [x[0] for x in res if x[1] == 201]
                errors += sum(1 for x in res if x[1] != 201)
                # releases are not measured (no latency so they go fast)
                set_latency(env, 0)
                driver.release_all(res)
                done += k
            ok = len(lat)
            dcpu = driver.cpu - d0
            per_reg = max(ok, 1)
            detail = ", ".join(f"{a} {v / per_reg:.2f}" for a, v in sorted(per_action.items()))
            print(f"{c:>7} {ok:>5} {ok / wall:>7.1f} {percentile(lat, 50) * 1000:>8.1f} "
                  f"{percentile(lat, 99) * 1000:>8.1f} {max(lat or [0]) * 1000:>8.1f} "
                  f"{calls / per_reg:>7.2f} {bcpu / per_reg * 1000:>18.2f} "
                  f"{ecpu / per_reg * 1000:>7.2f} {dcpu / per_reg * 1000:>7.2f}  {detail}"
                  + (f"  ({errors} refused)" if errors else ""))
            sys.stdout.flush()
        if levels:
            print(f"broker peak RSS (VmHWM) over the registrations: "
                  f"{vm(pid, 'VmHWM') / 1024:.1f} MiB (VmRSS now "
                  f"{vm(pid, 'VmRSS') / 1024:.1f} MiB, threads "
                  f"{len(os.listdir(f'/proc/{pid}/task'))})")
        if args.http:
            # after the registrations: the list route's pages would set the peak otherwise
            http_rates(args, driver, broker, names, tmp)
            print(f"broker peak RSS (VmHWM) after the HTTP rates: "
                  f"{vm(pid, 'VmHWM') / 1024:.1f} MiB")
    finally:
        if broker is not None:
            problems = broker.stop()
            if problems:
                print("\n".join(problems), file=sys.stderr)
        env.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--bin", default=os.environ.get("VPCPEER_BIN",
                                                     os.path.join(ROOT, "build", "vpcpeer")))
    ap.add_argument("--load", default=None,
                    help="the C driver (default: bench/broker_load next to --bin)")
    ap.add_argument("--peering-accepter", default="broker",
                    help="broker, peer-role, or both (one after the other, each on a fresh "
                         "awsenv and broker)")
    ap.add_argument("--driver", choices=("c", "python"), default="c")
    ap.add_argument("--latency-ms", type=int, default=50)
    ap.add_argument("--rate", type=float, default=0,
                    help="C driver: a fixed arrival rate (registrations/s, open loop) instead "
                         "of each client sending its next at once; latency counts from each "
                         "request's planned start")
    ap.add_argument("--levels", default="1,16,64", help="client counts; '' for none")
    ap.add_argument("--per-level", type=int, default=0,
                    help="registrations per level (default: 30 at 1 client, 240 at 16, "
                         "else 960)")
    ap.add_argument("--http", type=float, default=0,
                    help="also measure GET rates for this many seconds each")
    ap.add_argument("--http-clients", type=int, default=64)
    ap.add_argument("--serve-arg", action="append", default=[],
                    help="one more argument for vpcpeer serve (repeatable: --serve-arg=--workers "
                         "--serve-arg=32)")
    ap.add_argument("--db", default=None, help="registry URL (default: a temporary SQLite file)")
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)
    args.load = os.path.abspath(args.load or os.path.join(os.path.dirname(args.bin), "bench",
                                                          "broker_load"))
    if args.driver == "c" and not os.access(args.load, os.X_OK):
        raise SystemExit(f"no load driver at {args.load}: build it (cmake --build build "
                         "--target broker_load mhd_hello) or give --load or --driver python")
    if args.http and args.driver != "c":
        raise SystemExit("--http needs the C driver")
    levels = [int(x) for x in args.levels.split(",") if x]
    modes = ["broker", "peer-role"] if args.peering_accepter == "both" else \
        [args.peering_accepter]
    for m in modes:
        if m not in ("broker", "peer-role"):
            raise SystemExit(f"--peering-accepter {m}: use broker, peer-role or both")
    args.help = serve_help(args.bin)
    args.knows_mode = "--peering-accepter" in args.help
    if not args.knows_mode:
        print(f"note: {args.bin} does not know --peering-accepter (built before broker mode); "
              "it runs its only mode, peer-role, whatever --peering-accepter says", flush=True)
        modes = modes[:1]
    names = [generated_account(i)["name"] for i in range(1, BURST + 1)]
    for m in modes:
        run_mode(args, m, levels, names)


if __name__ == "__main__":
    main()
