#!/usr/bin/env python3
"""The fault suite of issue 23: two brokers on one registry under a steady load of
register / confirm / release, a fault, then the same invariants after every case.

    python3 tests/faults/run.py [--short | --long] [--case NAME ...] [--list]

--short (ctest, scripts/test) runs each fault briefly: the whole suite fits in about four
minutes on two cores. --long (bench/faults.sh) runs the durations of the issue (PostgreSQL
stopped 20 s, a minute of load per case) and also fails the PgBouncer case when a
registration takes more than 5 s. Each case prints its figures (`figure case=... key=value`)
and one line per invariant (`ok` / `FAIL` / `skip`); the exit status is 1 when any invariant
failed, 0 otherwise.

Cases (`--list`): pg_restart, pg_outage, leader_terminated, idle_session_timeout,
broker_killed, pgbouncer, sqlite_full, quarantine0. The invariants (tests/faults/faultlib.py):
no n twice among live records; every acknowledged registration present with its n; the free
list plus live plus quarantined n's cover 1..2^53-1 exactly once; no advisory lock, session
or lease held by a stopped broker; no two reconciler passes overlapping (the pass log lines
of issue 23); no 5xx that started after a fault had ended; no database address in an answer.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

import faultlib as fl  # noqa: E402
from broker_harness import (Broker, Client, Hub, generated_account,  # noqa: E402
                            vpcpeer_bin, write_accounts_file)
from harness import AwsEnvProcess  # noqa: E402  (tests/awsenv/harness.py)

ACCOUNTS = [generated_account(i) for i in range(1, 9)]
NAMES = [a["name"] for a in ACCOUNTS]
ID_OF = {a["name"]: a["id"] for a in ACCOUNTS}
BASE_ARGS = ["--reconcile-interval", "1", "--max-namespaces-per-account", "0",
             "--rate-limit", "1000", "--rate-burst", "1000", "--max-peerings", "125",
             "--max-routes-per-table", "1000"]
PENDING_TTL = 2            # the quarantine case's --pending-ttl

# seconds: (short, long)
DUR = {"before": (2, 10), "after": (5, 20), "gap": (1, 5), "outage": (3, 20),
       "leader_tries": (2, 3), "idle_run": (6, 60), "full": (4, 20), "q0_run": (20, 60),
       "bouncer_timeout": (30, 60)}


class Suite:
    def __init__(self, long_run):
        self.long = long_run
        self.bin = vpcpeer_bin()
        # The lease flags of issue 23, when this broker has them: a short lease, so a
        # takeover happens inside a short case (before issue 23 the flags do not exist).
        helptext = subprocess.run([self.bin, "serve", "--help"], capture_output=True,
                                  text=True, timeout=60).stdout
        self.lease_args = (["--lease-ttl", "3", "--lease-renew", "1"]
                           if "--lease-ttl" in helptext else [])
        self.tmp = tempfile.mkdtemp(prefix="vpcpeer-faults.")
        accounts = write_accounts_file(os.path.join(self.tmp, "accounts.json"), len(ACCOUNTS))
        self.env = AwsEnvProcess(accounts=accounts).start()
        self.pg = None

    def d(self, key):
        return DUR[key][1 if self.long else 0]

    def postgres(self):
        if self.pg is None:
            self.pg = fl.Pg(self.tmp).start()
        return self.pg

    def close(self):
        if self.pg:
            self.pg.destroy()
        self.env.stop()
        if os.environ.get("VPCPEER_FAULTS_KEEP"):
            print(f"faults: kept {self.tmp}", file=sys.stderr)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


class Case:
    """One case: a fresh hub, a fresh registry, brokers, load, figures, verdict."""

    def __init__(self, suite, name):
        self.s, self.name = suite, name
        self.env = suite.env
        for attempt in range(3):    # moto's reset can outlast the control call's 30 s on a
            try:                    # busy box after a case that made many resources
                self.env.reset()
                break
            except (TimeoutError, OSError):
                if attempt == 2:
                    raise
        self.env.post("/_awsenv/config", {"max_routes_per_table": 1000,
                                          "max_peerings_per_vpc": 125})
        self.hub = Hub(self.env, roles=2)
        self.workdir = tempfile.mkdtemp(prefix=name + ".", dir=suite.tmp)
        self.brokers, self.killed = [], set()
        self.targets = []
        self.verdict = fl.Verdict()
        self.figures = {}
        self.windows = []           # (fault start, fault end)
        self.db = "f_" + name

    # ---- brokers ----
    def broker(self, db_url, args=(), name=None):
        name = name or f"b{len(self.brokers) + 1}"
        b = Broker(self.env, self.hub, self.workdir, db=db_url,
                   args=BASE_ARGS + self.s.lease_args + list(args),
                   allow=[a["id"] for a in ACCOUNTS], name=name, binary=self.s.bin)
        self.brokers.append(b)
        b.start(timeout=120)
        return b

    def app(self, bname):
        return f"{self.db}-{bname}"

    def pg_brokers(self, args=(), via=None):
        pg = self.s.postgres()
        pg.create_db(self.db)
        self.two_brokers(lambda bn: via.url(self.db, self.app(bn)) if via
                         else pg.url(self.db, self.app(bn)), args)
        return pg

    def two_brokers(self, url_of, args=()):
        """b1 and b2, started at once (each checks the hub with AWS first)."""
        out, errors = {}, []

        def one(bn):
            try:
                out[bn] = self.broker(url_of(bn), args, bn)
            except AssertionError as e:
                errors.append(e)
        ts = [threading.Thread(target=one, args=(bn,)) for bn in ("b1", "b2")]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        if errors:
            raise errors[0]
        self.brokers.sort(key=lambda b: b.name)
        self.targets.extend([out["b1"], out["b2"]])

    def client(self, who):
        return Client(self.env, who)

    def load(self, **kw):
        kw.setdefault("timeout", 30)
        return fl.Load(self.name, self, NAMES, self.targets, **kw)

    def stop_brokers(self):
        problems = []
        for b in self.brokers:
            if b.name in self.killed:
                b._close()
                continue
            problems += b.stop()
        self.verdict.check("brokers_stop_clean", not problems, "; ".join(problems)[:1500])

    # ---- the common invariants ----
    def registry_checks(self, view, load):
        fl.check_unique_n(self.verdict, view)
        fl.check_acked(self.verdict, view, load, ID_OF)
        fl.check_cover(self.verdict, view)

    def after_checks(self, load, probe=None):
        self.figures.update(fl.check_passes(self.verdict, self.brokers))
        fl.check_no_5xx_after(self.verdict, load, self.windows)
        fl.check_no_db_address(self.verdict, load, probe)

    def timed_load(self, load, fault):
        """before -> fault() (appends to self.windows) -> after; returns (t0, t1)."""
        t0 = fl.now()
        load.start()
        load.stop_ev.wait(self.s.d("before"))
        fault()
        load.stop_ev.wait(self.s.d("after"))
        load.stop()
        t1 = fl.now()
        first, last = self.windows[0][0], self.windows[-1][1]
        self.figures.update(load.figures(t0, first, last, t1))
        return t0, t1

    def pg_finish(self, pg, load):
        self.stop_brokers()
        view = fl.PgView(pg, self.db)
        self.registry_checks(view, load)
        fl.check_locks_pg(self.verdict, pg, self.db, [self.app(b.name) for b in self.brokers])
        self.after_checks(load)


# --------------------------------------------------------------------------------------------
# the cases
# --------------------------------------------------------------------------------------------

def case_pg_restart(c):
    """PostgreSQL restarted (fast) three times under load."""
    pg = c.pg_brokers()
    load = c.load()

    def fault():
        for i in range(3):
            load.burst()
            t = fl.now()
            pg.restart_fast()
            c.windows.append((t, fl.now()))
            load.burst()
            if i < 2:
                load.stop_ev.wait(c.s.d("gap"))
    c.timed_load(load, fault)
    c.figures["restart_s"] = round(sum(e - s for s, e in c.windows) / len(c.windows), 2)
    c.pg_finish(pg, load)


def case_pg_outage(c):
    """PostgreSQL stopped (20 s; shorter in CI), then started."""
    pg = c.pg_brokers()
    load = c.load()

    def fault():
        load.burst()
        t = fl.now()
        pg.stop_fast()
        load.stop_ev.wait(c.s.d("outage"))
        pg.start_again()
        c.windows.append((t, fl.now()))
        load.burst()
    c.timed_load(load, fault)
    during = [o for o in load.ops if c.windows[0][0] <= o.start and
              o.end < c.windows[0][1] and o.status >= 500]
    c.figures["outage_s"] = c.s.d("outage")
    c.figures["outage_5xx_mean_s"] = round(sum(o.end - o.start for o in during) /
                                           len(during), 3) if during else None
    c.pg_finish(pg, load)


def leader_app(c, pg):
    """The broker leading now: the last 'ok' pass line, else the holder of an advisory lock
    (the reconciler lock before issue 23), else b1."""
    passes = [p for p in fl.pass_lines(c.brokers) if p[3] == "ok"]
    if passes:
        return c.app(passes[-1][4]), "pass line"
    for pid, app, classid, objid, granted in pg.advisory_locks(c.db):
        if granted == "t" and app.startswith(c.db + "-"):
            return app, "advisory lock"
    return c.app("b1"), "guess (no pass line, no lock)"


def case_leader_terminated(c):
    """The leader's database sessions ended (pg_terminate_backend) while it leads."""
    pg = c.pg_brokers()
    load = c.load()
    how = []

    def fault():
        for i in range(c.s.d("leader_tries")):
            load.burst()
            app, why = leader_app(c, pg)
            t = fl.now()
            killed = pg.terminate(app)
            how.append(f"{app.rsplit('-', 1)[1]}:{killed}({why})")
            c.windows.append((t, fl.now()))
            load.burst()
            load.stop_ev.wait(c.s.d("gap") + 1)
    c.timed_load(load, fault)
    c.figures["terminated"] = " ".join(how)
    c.pg_finish(pg, load)


def case_idle_session_timeout(c):
    """idle_session_timeout = 2s on the server while both brokers run."""
    pg = c.s.postgres()
    pg.set("idle_session_timeout", "2s")
    try:
        c.pg_brokers()
        load = c.load()

        def fault():
            # the condition lasts the whole case: every 5xx after it began counts
            t = fl.now()
            c.windows.append((t, t))
            load.stop_ev.wait(c.s.d("idle_run"))
        c.timed_load(load, fault)
    finally:
        pg.set("idle_session_timeout", None)
    c.pg_finish(pg, load)


def case_broker_killed(c):
    """A broker SIGKILLed mid-load, then a new one started."""
    pg = c.pg_brokers()
    load = c.load()
    gone = {}

    def fault():
        t = fl.now()
        app, why = leader_app(c, pg)
        victim = next(b for b in c.targets if c.app(b.name) == app)
        c.figures["killed"] = f"{victim.name}({why})"
        victim.proc.kill()
        victim.proc.wait()
        c.killed.add(victim.name)
        # the killed broker's sessions (and any lock they held) end with its sockets
        deadline = fl.now() + 15
        while fl.now() < deadline and (pg.sessions(c.app(victim.name)) or
                                       [x for x in pg.advisory_locks(c.db)
                                        if x[1] == c.app(victim.name)]):
            time.sleep(0.1)
        gone["s"] = round(fl.now() - t, 2)
        gone["left"] = pg.sessions(c.app(victim.name))
        nb = c.broker(pg.url(c.db, c.app("b3")), name="b3")
        c.targets[c.targets.index(victim)] = nb
        gone["t"] = t
        c.windows.append((t, fl.now()))
    c.timed_load(load, fault)
    c.verdict.check("killed_broker_sessions_gone", not gone["left"],
                    f"still there after 15 s: {gone['left']}" if gone["left"] else
                    f"gone after {gone['s']} s")
    c.figures["killed_sessions_gone_s"] = gone["s"]
    later = [p for p in fl.pass_lines(c.brokers) if p[3] == "ok" and p[4] != victim_name(c)
             and p[0] / 1000.0 >= gone["t"]]
    c.figures["takeover_s"] = round(later[0][0] / 1000.0 - gone["t"], 2) if later else None
    c.pg_finish(pg, load)


def victim_name(c):
    return next(iter(c.killed), None)


def case_pgbouncer(c):
    """PgBouncer, transaction pooling, pool of 4, in front of both brokers: 20 registrations
    each finish in under 5 s (asserted to finish; the 5 s is a failure in --long only)."""
    if not fl.PgBouncer.available():
        c.verdict.skip("pgbouncer", "pgbouncer is not installed (scripts/setup installs it)")
        return
    pg = c.s.postgres()
    bouncer = fl.PgBouncer(pg, c.workdir, pool=4)
    bouncer.start()
    try:
        try:
            c.pg_brokers(via=bouncer)
        except AssertionError:
            why = ([l.strip() for b in c.brokers for l in b.lines if "registry" in l] or
                   [b.lines[-1].strip() for b in c.brokers if b.lines] or ["no log line"])[:1]
            c.verdict.check("brokers_start_behind_pooler", False,
                            f"a broker did not start behind PgBouncer: {why}")
            c.figures["registered"] = "0/20"
            for b in c.brokers:
                if b.alive():
                    b.stop()
            fl.check_locks_pg(c.verdict, pg, c.db, [])
            return
        load = c.load(timeout=c.s.d("bouncer_timeout"))
        results = [None] * 20

        def one(i):
            who, ref = NAMES[i % len(NAMES)], f"bouncer-{i}"
            op = load.call("register", i, who, ref,
                           lambda api: api.register(who, ref, timeout=load.timeout))
            results[i] = op
            if op.status in (200, 201) and isinstance(op.n, int):
                with load.lock:
                    load.acked[(who, ref)] = op.n
        t0 = fl.now()
        threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        t1 = fl.now()
        done = [o for o in results if o.status in (200, 201)]
        slowest = max(o.end - o.start for o in results)
        c.windows.append((t0, t0))
        c.figures.update({"registered": f"{len(done)}/20", "slowest_s": round(slowest, 2),
                          "all_s": round(t1 - t0, 2),
                          "statuses": sorted({o.status for o in results})})
        others = [(o.status, o.body[:120]) for o in results if o not in done]
        c.verdict.check("bouncer_20_registrations", len(done) == 20,
                        f"{len(done)} of 20 finished within {load.timeout} s" +
                        (f"; others: {others[:3]}" if others else ""))
        if c.s.long:
            c.verdict.check("bouncer_under_5s", slowest < 5, f"slowest {slowest:.2f} s")
        c.stop_brokers()
        time.sleep(0)  # the brokers are gone: PgBouncer's pooled sessions are what is left
        fl.check_unique_n(c.verdict, fl.PgView(pg, c.db))
        fl.check_acked(c.verdict, fl.PgView(pg, c.db), load, ID_OF)
        fl.check_cover(c.verdict, fl.PgView(pg, c.db))
        fl.check_locks_pg(c.verdict, pg, c.db, [])
        c.after_checks(load)
    finally:
        bouncer.stop()


def not_ready(sample):
    """A /readyz answer of 503 {"status": "not ready", "check": NAME} (issue 23)."""
    try:
        doc = json.loads(sample[3])
    except ValueError:
        return False
    return sample[2] == 503 and isinstance(doc, dict) and bool(doc.get("check"))


def case_sqlite_full(c):
    """SQLite on a small tmpfs filled up: clear 503s, /readyz not ready, recovery when space
    returns, PRAGMA integrity_check ok."""
    if not fl.Tmpfs.available():
        c.verdict.skip("sqlite_full", "needs root to mount a tmpfs")
        return
    fs = fl.Tmpfs(c.workdir).mount()
    try:
        path = os.path.join(fs.path, "registry.db")
        c.two_brokers(lambda bn: f"sqlite:{path}")
        load = c.load()
        probe = fl.ReadyProbe(c.targets).start()

        def fault():
            t = fl.now()
            fs.fill()
            load.probe_writes()
            load.stop_ev.wait(c.s.d("full"))
            load.probe_writes()
            fs.free()
            c.windows.append((t, fl.now()))
        c.timed_load(load, fault)
        probe.stop()
        s, e = c.windows[0]
        during = [o for o in load.ops if s <= o.start and o.end <= e and o.status >= 400]
        unclear = [o for o in during if o.status != 503 and o.status >= 500]
        c.verdict.check("full_disk_clear_503", during and not unclear,
                        (f"{len(unclear)} answer(s) not 503: {unclear[0].status} "
                         f"{unclear[0].body[:200]}" if unclear else
                         "no refused request while the disk was full" if not during else
                         f"{len(during)} refused, all 503"))
        settle = s + 2          # the readiness cache may hold a 'ready' from before
        full = [x for x in probe.samples if settle <= x[0] <= e]
        ready_when_full = [x for x in full if not not_ready(x)]
        c.verdict.check("readyz_not_ready_when_full", full and not ready_when_full,
                        f"/readyz answered {ready_when_full[0][2:]} {len(ready_when_full)} of "
                        f"{len(full)} times while the disk was full (want 503 naming the "
                        "failed check)" if ready_when_full else
                        f"{len(full)} samples, all not ready: "
                        f"{full[-1][3][:120] if full else ''}")
        tail = [x for x in probe.samples if x[0] >= e + 3]
        c.verdict.check("readyz_ready_again", tail and tail[-1][2] == 200,
                        f"last /readyz after recovery: {tail[-1][2:] if tail else 'none'}")
        c.figures["readyz_not_ready_during"] = sum(1 for x in full if not_ready(x))
        c.stop_brokers()
        view = fl.SqliteView(path)
        ic = view.rows("PRAGMA integrity_check")
        c.verdict.check("integrity_check", ic == [["ok"]], f"{ic[:5]}")
        c.registry_checks(view, load)
        fl.check_lease(c.verdict, view)
        c.after_checks(load, probe)
    finally:
        fs.umount()


def case_quarantine0(c):
    """--quarantine 0, a short pending TTL: the reconciler races releases and
    re-registrations; it must never release an active (or fresh) record."""
    pg = c.pg_brokers(["--quarantine", "0", "--pending-ttl", str(PENDING_TTL)])
    # released by their clients from just after their TTL to 2 s past it: the reconciler's
    # list of expired records is being worked through while clients release and register
    load = c.load(workers=8, confirm_every=3, keep_every=0, hold_s=PENDING_TTL + 0.3,
                  hold_jitter_s=1.7, reregister=True)

    def fault():
        t = fl.now()
        load.stop_ev.wait(c.s.d("q0_run"))
        c.windows.append((t, t))
    c.timed_load(load, fault)
    c.stop_brokers()
    view = fl.PgView(pg, c.db)
    # acknowledged registrations may rightly expire here (TTL): not checked
    fl.check_unique_n(c.verdict, view)
    fl.check_cover(c.verdict, view)
    fl.check_locks_pg(c.verdict, pg, c.db, [c.app(b.name) for b in c.brokers])
    bad, rel = fl.reconciler_released_live(view, PENDING_TTL)
    c.verdict.check("reconciler_never_releases_live", not bad,
                    f"{len(bad)} of {rel} reconciler releases hit an active or fresh record: "
                    f"{bad[:4]}" if bad else f"{rel} reconciler releases, all of expired records")
    # a pending one may rightly have expired (TTL) before its release; an active one not
    own = [o for o in load.ops if o.status in (403, 404) and o.kind == "release" and
           (o.who, o.ref) in load.confirmed]
    c.figures.update({"reconciler_releases": rel, "live_released_by_reconciler": len(bad),
                      "own_ns_403_404": len(own)})
    c.verdict.check("own_active_namespace_never_refused", not own,
                    f"{len(own)} release(s) of a client's own active namespace refused: "
                    f"{own[0].status} {own[0].body[:160]}" if own else "")
    c.figures.update(fl.check_passes(c.verdict, c.brokers))
    fl.check_no_db_address(c.verdict, load)


CASES = {"pg_restart": case_pg_restart, "pg_outage": case_pg_outage,
         "leader_terminated": case_leader_terminated,
         "idle_session_timeout": case_idle_session_timeout, "broker_killed": case_broker_killed,
         "pgbouncer": case_pgbouncer, "sqlite_full": case_sqlite_full,
         "quarantine0": case_quarantine0}
NEEDS_PG = {"pg_restart", "pg_outage", "leader_terminated", "idle_session_timeout",
            "broker_killed", "pgbouncer", "quarantine0"}


def report(c, seconds):
    figs = " ".join(f"{k}={json.dumps(v) if not isinstance(v, str) else v}"
                    for k, v in c.figures.items())
    print(f"figure case={c.name} seconds={seconds:.1f} {figs}", flush=True)
    for name, ok, detail in c.verdict.items:
        word = "skip" if ok is None else "ok" if ok else "FAIL"
        print(f"  {word:4} {c.name}.{name}" + (f": {detail}" if detail else ""), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--short", action="store_true", help="CI durations (default)")
    g.add_argument("--long", action="store_true", help="the issue's durations (bench)")
    ap.add_argument("--case", action="append", choices=sorted(CASES), help="run only these")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    a = ap.parse_args()
    if a.list:
        for n, f in CASES.items():
            print(f"{n:22} {f.__doc__.split(chr(10))[0]}")
        return 0
    os.environ.update({"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/dev/null",
                       "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"})
    names = a.case or list(CASES)
    suite = Suite(a.long)
    failed, skipped = [], []
    try:
        for name in names:
            if name in NEEDS_PG and not fl.Pg.available():
                print(f"  skip {name}: no PostgreSQL binaries (scripts/setup installs them)")
                skipped.append(name)
                continue
            t = fl.now()
            try:
                c = Case(suite, name)
            except Exception as e:
                print(f"  FAIL {name}.setup: {type(e).__name__}: {e}", flush=True)
                failed.append(name)
                continue
            try:
                CASES[name](c)
            except Exception as e:
                c.verdict.check("ran", False, f"{type(e).__name__}: {e}\n"
                                f"{traceback.format_exc()[-1500:]}")
                for b in c.brokers:
                    if b.name not in c.killed and b.alive():
                        b.stop()
            report(c, fl.now() - t)
            if c.verdict.failed:
                failed.append(name)
    finally:
        suite.close()
    print(f"faults: {len(names) - len(failed) - len(skipped)} case(s) passed, "
          f"{len(failed)} failed {failed}, {len(skipped)} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
