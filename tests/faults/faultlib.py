"""The fault suite's machinery (tests/faults/run.py uses it): a PostgreSQL cluster the suite
can restart, stop and configure; PgBouncer in front of it; a small tmpfs; the steady load of
register / confirm / release from two brokers; and the invariants checked after each case.

Everything talks to loopback or to unix sockets in directories this suite creates; ports are
picked by the kernel (port 0) or probed free just before use (PgBouncer's)."""

import glob
import json
import os
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PG_CLUSTER = os.path.join(ROOT, "tests", "support", "pg_cluster.sh")
FREE_TOP = 9007199254740991          # src/registry/migrations.c: the free list's top
# The reconciler's pass line (contract of issue 23, written by the broker at INFO).
PASS_RE = re.compile(r"reconcile: pass epoch=(\d+) started_ms=(\d+) ended_ms=(\d+) "
                     r"outcome=(ok|fenced|failed|skipped)")
# What a database address looks like in an answer (it must never be in one).
DB_ADDRESS_RE = re.compile(r"postgres(?:ql)?://|host=|/tmp/vpcpeer-pg\.|\.db\b|sqlite:")


def now():
    return time.time()


def as_owner(argv):
    """PostgreSQL and PgBouncer refuse root: run them as `postgres` when we are root."""
    return (["runuser", "-u", "postgres", "--"] + argv) if os.getuid() == 0 else argv


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------------------------

class Pg:
    """tests/support/pg_cluster.sh's cluster, plus what the faults need: restart, stop/start,
    settings, ending sessions, and SQL through psql (the registry's own view, not the API's)."""

    def __init__(self, workdir):
        self.state = os.path.join(workdir, "pg.state")
        self.bindir = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                             key=lambda p: [int(x) for x in re.findall(r"\d+", p)])[-1]
        self.dir = None

    @staticmethod
    def available():
        return bool(glob.glob("/usr/lib/postgresql/*/bin/initdb"))

    def start(self):
        subprocess.run(["bash", PG_CLUSTER, "start", self.state], check=True,
                       stdout=subprocess.DEVNULL, timeout=180)
        with open(self.state + ".dir") as f:
            self.dir = f.read().strip()
        return self

    def destroy(self):
        subprocess.run(["bash", PG_CLUSTER, "stop", self.state], check=False,
                       stdout=subprocess.DEVNULL, timeout=180)

    def url(self, db="postgres", app=None):
        u = f"postgresql:///{db}?host={self.dir}&port=5432&user=postgres"
        return u + (f"&application_name={app}" if app else "")

    def ctl(self, *args, timeout=120):
        return subprocess.run(as_owner([os.path.join(self.bindir, "pg_ctl"), "-D",
                                        os.path.join(self.dir, "data")] + list(args)),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              timeout=timeout, check=True)

    def server_opts(self):
        return (f"-c listen_addresses='' -c unix_socket_directories='{self.dir}' -c port=5432 "
                "-c max_connections=200 -c fsync=on -c synchronous_commit=on")

    def restart_fast(self):
        self.ctl("-m", "fast", "-w", "-t", "60", "restart", "-o", self.server_opts(),
                 "-l", os.path.join(self.dir, "server.log"))

    def stop_fast(self):
        self.ctl("-m", "fast", "-w", "-t", "60", "stop")

    def start_again(self):
        self.ctl("-w", "-t", "60", "start", "-o", self.server_opts(),
                 "-l", os.path.join(self.dir, "server.log"))

    def sql(self, query, db="postgres"):
        """Rows of a query (lists of strings), through psql as the superuser."""
        r = subprocess.run([os.path.join(self.bindir, "psql"), "-X", "-q", "-At", "-F", "\t",
                            "-v", "ON_ERROR_STOP=1", "-d", self.url(db), "-c", query],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"psql: {query}: {r.stderr.strip()}")
        return [line.split("\t") for line in r.stdout.splitlines() if line]

    def create_db(self, name):
        self.sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.sql(f"CREATE DATABASE {name}")

    def set(self, name, value):
        """ALTER SYSTEM + reload (value None: RESET)."""
        if value is None:
            self.sql(f"ALTER SYSTEM RESET {name}")
        else:
            self.sql(f"ALTER SYSTEM SET {name} = '{value}'")
        self.sql("SELECT pg_reload_conf()")

    def terminate(self, app):
        """pg_terminate_backend on every session of application_name `app`: how many."""
        rows = self.sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        f"WHERE application_name = '{app}'")
        return int(rows[0][0])

    def advisory_locks(self, db=None):
        """[(pid, application_name, classid, objid, granted)] of every advisory lock."""
        q = ("SELECT l.pid, coalesce(a.application_name, ''), l.classid, l.objid, l.granted "
             "FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
             "WHERE l.locktype = 'advisory'")
        if db:
            q += f" AND l.database = (SELECT oid FROM pg_database WHERE datname = '{db}')"
        return [tuple(r) for r in self.sql(q)]

    def sessions(self, app_prefix):
        return [tuple(r) for r in self.sql(
            "SELECT pid, application_name, state FROM pg_stat_activity "
            f"WHERE application_name LIKE '{app_prefix}%'")]


class PgBouncer:
    """Debian's pgbouncer in transaction pooling mode, pool of `pool` per database/user,
    listening on 127.0.0.1:<free port>, in front of Pg's unix socket."""

    def __init__(self, pg, workdir, pool=4):
        self.pg, self.pool = pg, pool
        # session: to try the case's own code on a broker that cannot run in transaction mode
        # (a session pool must hold every broker connection at once: 4 would not do)
        self.mode = os.environ.get("VPCPEER_FAULTS_BOUNCER_MODE", "transaction")
        if self.mode != "transaction":
            self.pool = 50
        # PgBouncer runs as postgres: a directory it can reach (the suite's own are 0700)
        self.dir = tempfile.mkdtemp(prefix="vpcpeer-pgbouncer.")
        os.chmod(self.dir, 0o777)
        self.port = None
        self.proc = None

    @staticmethod
    def available():
        return shutil.which("pgbouncer") is not None

    def start(self):
        self.port = free_port()
        ini = os.path.join(self.dir, "pgbouncer.ini")
        users = os.path.join(self.dir, "users.txt")
        with open(users, "w") as f:
            f.write('"postgres" ""\n')
        with open(ini, "w") as f:
            f.write(f"""[databases]
* = host={self.pg.dir} port=5432 user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {users}
pool_mode = {self.mode}
default_pool_size = {self.pool}
max_client_conn = 400
ignore_startup_parameters = extra_float_digits,options
logfile = {self.dir}/pgbouncer.log
pidfile = {self.dir}/pgbouncer.pid
""")
        for p in (ini, users):
            os.chmod(p, 0o644)
        self.proc = subprocess.Popen(as_owner(["pgbouncer", ini]), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = now() + 30
        while now() < deadline:     # ready when it accepts connections
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        raise RuntimeError("pgbouncer did not start: " + self.log_tail())

    def url(self, db, app=None):
        u = f"postgresql://postgres@127.0.0.1:{self.port}/{db}"
        return u + (f"?application_name={app}" if app else "")

    def log_tail(self):
        try:
            with open(os.path.join(self.dir, "pgbouncer.log")) as f:
                return "".join(f.readlines()[-20:])
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class Tmpfs:
    """A small tmpfs (we are root) that the SQLite case fills up."""

    # Room for the registry and its WAL once the filler is gone: SQLite checkpoints the WAL
    # at about 4 MB (1,000 pages), so a 4 MiB tmpfs filled up again by itself after recovery.
    def __init__(self, workdir, size="32m"):
        self.path = tempfile.mkdtemp(prefix="tmpfs.", dir=workdir)
        self.size = size
        self.mounted = False
        self.filler = os.path.join(self.path, "filler")

    @staticmethod
    def available():
        return os.getuid() == 0 and shutil.which("mount") is not None

    def mount(self):
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.size},mode=0777", "tmpfs",
                        self.path], check=True, timeout=30)
        self.mounted = True
        return self

    def fill(self):
        """Write until ENOSPC (unbuffered, down to single bytes): no space is left."""
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            for size in (65536, 4096, 512, 1):
                block = b"\0" * size
                try:
                    while True:
                        os.write(fd, block)
                except OSError:
                    pass
        finally:
            os.close(fd)

    def free(self):
        try:
            os.unlink(self.filler)
        except FileNotFoundError:
            pass

    def umount(self):
        if self.mounted:
            subprocess.run(["umount", "-l", self.path], check=False, timeout=30)
            self.mounted = False
        shutil.rmtree(self.path, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# the load
# --------------------------------------------------------------------------------------------

class Op:
    __slots__ = ("kind", "broker", "start", "end", "status", "n", "who", "ref", "body", "doc")

    def __init__(self, kind, broker, who, ref):
        self.kind, self.broker, self.who, self.ref = kind, broker, who, ref
        self.start, self.end, self.status, self.n, self.body = now(), None, 0, None, ""
        self.doc = None


class Load:
    """Workers that register, sometimes confirm (VPC, peering, acceptance through the peer
    role, as a client stack does), and release, alternating between the brokers in
    `targets` (a list the case may change: a restarted broker replaces a killed one).

    keep_every: every k-th registration stays live (the "acknowledged registrations" the
    invariants look for afterwards). confirm_every: every k-th is confirmed first.
    hold_s: wait this long between register and release (the quarantine case lets its
    pending TTL pass)."""

    def __init__(self, case, harness, accounts, targets, workers=4, confirm_every=3,
                 keep_every=4, hold_s=0.0, timeout=30, reregister=False, hold_jitter_s=0.5):
        self.case, self.h, self.accounts, self.targets = case, harness, accounts, targets
        self.workers, self.confirm_every, self.keep_every = workers, confirm_every, keep_every
        self.hold_s, self.timeout, self.reregister = hold_s, timeout, reregister
        self.hold_jitter_s = hold_jitter_s
        self.ops, self.lock = [], threading.Lock()
        self.stop_ev = threading.Event()
        self.threads = []
        self.acked = {}        # (who, ref) -> n: acknowledged and not released by us
        self.released = set()  # (who, ref) released with a 200
        self.accept_denied = 0
        self.worker_errors = []
        self.confirmed = set()  # (who, ref) confirmed with a 200: active, no TTL any more

    def call(self, kind, target_i, who, ref, fn):
        b = self.targets[target_i % len(self.targets)]
        op = Op(kind, b.name, who, ref)
        try:
            r = fn(b.api)
            op.status, op.body = r.status, r.body.decode(errors="replace")[:400]
            if isinstance(r.json, dict):
                op.n, op.doc = r.json.get("NamespaceId"), r.json
        except Exception as e:         # connection refused, reset, timeout: status 0
            op.body = f"{type(e).__name__}: {e}"[:400]
        op.end = now()
        with self.lock:
            self.ops.append(op)
        return op

    def worker(self, w):
        rnd, i = random.Random(w), 0
        while not self.stop_ev.is_set():
            i += 1
            try:
                self.step(w, i, rnd)
            except Exception as e:     # the load goes on; the error is a figure
                with self.lock:
                    self.worker_errors.append(f"{type(e).__name__}: {e}"[:300])

    def step(self, w, i, rnd):
        who = self.accounts[(w + i) % len(self.accounts)]
        ref = f"{self.case}-w{w}-{i}"
        op = self.call("register", w + i, who, ref,
                       lambda api: api.register(who, ref, timeout=self.timeout))
        if op.status not in (200, 201) or not isinstance(op.n, int):
            if op.status == 0 or op.status >= 500:
                self.stop_ev.wait(0.1)      # pace: a client backs off a little
            return
        n = op.n
        with self.lock:
            self.acked[(who, ref)] = n
        if self.confirm_every and i % self.confirm_every == 0:
            self.confirm(w + i + 1, who, ref, n, op.doc)
        if self.keep_every and i % self.keep_every == 0:
            return
        if self.hold_s:
            self.stop_ev.wait(self.hold_s + rnd.random() * self.hold_jitter_s)
        # named by its client_ref: with --quarantine 0 the account's next registration may
        # hold n by now (this one expired), and a release by n alone would end that one
        op = self.call("release", w + i + 2, who, ref,
                       lambda api: api.release(who, n, client_ref=ref, timeout=self.timeout))
        with self.lock:        # after a failed release its outcome is unknown: not checked
            self.acked.pop((who, ref), None)
            if op.status == 200:
                self.released.add((who, ref))
        if op.status == 200:
            if self.reregister:   # take the n just freed again (--quarantine 0)
                ref2 = ref + "-again"
                op = self.call("register", w + i + 3, who, ref2,
                               lambda api: api.register(who, ref2, timeout=self.timeout))
                if op.status in (200, 201) and isinstance(op.n, int):
                    with self.lock:
                        self.acked[(who, ref2)] = op.n

    def burst(self, k=8):
        """k admin reads at once on each broker (GET /v1/namespaces): before a fault it fills
        each broker's connection pool; after it, every pooled connection is used again."""
        ts = [threading.Thread(target=self.call, args=("list", i, "hub", "", lambda api: api.list(
            "hub", "limit=1", timeout=self.timeout))) for i in range(k * len(self.targets))]
        for t in ts:
            t.start()
        for t in ts:
            t.join()

    def probe_writes(self, k=2):
        """k registrations on each broker now (recorded like the load's): a write while the
        fault lasts, whatever the workers happen to be doing."""
        for b in range(len(self.targets)):
            for j in range(k):
                who = self.accounts[j % len(self.accounts)]
                ref = f"{self.case}-probe-{b}-{j}-{now()}"
                op = self.call("register", b, who, ref,
                               lambda api: api.register(who, ref, timeout=self.timeout))
                if op.status in (200, 201) and isinstance(op.n, int):
                    with self.lock:
                        self.acked[(who, ref)] = op.n

    def confirm(self, target_i, who, ref, n, ns):
        if not ns or "PeerVpcId" not in ns:
            return
        try:
            vpc, pcx = self.h.client(who).peer(ns)
        except Exception as e:
            if "AccessDenied" in str(e):
                with self.lock:
                    self.accept_denied += 1
            return
        op = self.call("confirm", target_i, who, ref,
                       lambda api: api.confirm(who, n, pcx, vpc, client_ref=ref,
                                               timeout=self.timeout))
        if op.status == 200:
            with self.lock:
                self.confirmed.add((who, ref))

    def start(self):
        for w in range(self.workers):
            t = threading.Thread(target=self.worker, args=(w,), daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def stop(self):
        self.stop_ev.set()
        for t in self.threads:
            t.join(self.timeout + 30)

    # ---- figures ----
    def throughput(self, t0, t1):
        """Successful operations per second that ended in [t0, t1)."""
        if t1 <= t0:
            return 0.0
        ok = sum(1 for o in self.ops if o.status in (200, 201) and t0 <= o.end < t1)
        return round(ok / (t1 - t0), 2)

    def figures(self, t_begin, fault_start, fault_end, t_end):
        errs_after = [o for o in self.ops if o.start >= fault_end and o.status != 0 and
                      o.status >= 500]
        failed_after = [o for o in self.ops if o.start >= fault_end and
                        (o.status == 0 or o.status >= 500)]
        first_ok = min((o.end for o in self.ops if o.start >= fault_end and
                        o.status in (200, 201)), default=None)
        last_bad = max((o.end for o in failed_after), default=None)
        return {
            "ops": len(self.ops),
            "5xx": sum(1 for o in self.ops if o.status >= 500),
            "5xx_after_last_fault": len(errs_after),
            "conn_errors": sum(1 for o in self.ops if o.status == 0),
            "tput_before": self.throughput(t_begin, fault_start),
            "tput_during": self.throughput(fault_start, fault_end),
            "tput_after": self.throughput(fault_end, t_end),
            "recover_s": round(max(first_ok or fault_end, last_bad or fault_end) - fault_end, 2)
            if first_ok else None,
            "accept_denied": self.accept_denied,
            "load_errors": len(self.worker_errors),
        }


class ReadyProbe:
    """Polls GET /readyz of the brokers in `targets` every `every` seconds."""

    def __init__(self, targets, every=0.2):
        self.targets, self.every = targets, every
        self.samples = []      # (t, broker, status, body)
        self.stop_ev = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop_ev.is_set():
            for b in list(self.targets):
                t = now()
                try:
                    r = b.api.request("GET", "/readyz", timeout=10)
                    self.samples.append((t, b.name, r.status, r.body.decode(errors="replace")))
                except Exception as e:
                    self.samples.append((t, b.name, 0, str(e)))
            self.stop_ev.wait(self.every)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stop_ev.set()
        self.thread.join(30)


# --------------------------------------------------------------------------------------------
# the registry as it is stored (PostgreSQL through psql, SQLite through sqlite3)
# --------------------------------------------------------------------------------------------

class PgView:
    def __init__(self, pg, db):
        self.pg, self.db = pg, db

    def rows(self, q):
        return self.pg.sql(q, db=self.db)

    def tables(self):
        return {r[0] for r in self.rows("SELECT tablename FROM pg_tables "
                                        "WHERE schemaname = current_schema()")}

    def columns(self, table):
        return [r[0] for r in self.rows("SELECT column_name FROM information_schema.columns "
                                        f"WHERE table_name = '{table}' ORDER BY ordinal_position")]


class SqliteView:
    def __init__(self, path):
        self.path = path

    def rows(self, q):
        c = sqlite3.connect(self.path, timeout=30)
        try:
            return [[("" if v is None else str(v)) for v in r] for r in c.execute(q)]
        finally:
            c.close()

    def tables(self):
        return {r[0] for r in self.rows("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def columns(self, table):
        return [r[1] for r in self.rows(f"PRAGMA table_info({table})")]


# --------------------------------------------------------------------------------------------
# the invariants
# --------------------------------------------------------------------------------------------

class Verdict:
    """The invariants' results of one case: name -> (ok, detail); skipped ones are None."""

    def __init__(self):
        self.items = []

    def check(self, name, ok, detail=""):
        self.items.append((name, bool(ok), detail))

    def skip(self, name, why):
        self.items.append((name, None, why))

    @property
    def failed(self):
        return [i for i in self.items if i[1] is False]


def check_unique_n(v, view):
    dup = view.rows("SELECT n, count(*) FROM namespaces WHERE state <> 'released' "
                    "GROUP BY n HAVING count(*) > 1")
    v.check("no_n_twice", not dup, f"held twice: {dup[:10]}" if dup else "")


def check_acked(v, view, load, accounts_by_name):
    live = {}
    for acct, ref, n, state in view.rows("SELECT account_id, client_ref, n, state "
                                         "FROM namespaces WHERE state <> 'released'"):
        live[(acct, ref)] = (int(n), state)
    missing = []
    for (who, ref), n in sorted(load.acked.items()):
        got = live.get((accounts_by_name.get(who, who), ref))
        if got is None or got[0] != n:
            missing.append((who, ref, n, got))
    v.check("acked_present", not missing,
            f"{len(missing)} of {len(load.acked)} acknowledged registrations missing or "
            f"moved: {missing[:5]}" if missing else f"{len(load.acked)} checked")


def check_cover(v, view):
    spans = [(int(lo), int(hi), "free") for lo, hi in view.rows("SELECT lo, hi FROM free_ranges")]
    spans += [(int(n), int(n), "live") for (n,) in
              view.rows("SELECT n FROM namespaces WHERE state <> 'released'")]
    spans += [(int(n), int(n), "quarantine") for (n,) in view.rows("SELECT n FROM quarantine")]
    spans.sort()
    problems, expect = [], 1
    for lo, hi, what in spans:
        if lo > expect:
            problems.append(f"gap {expect}..{lo - 1}")
        elif lo < expect:
            problems.append(f"{what} {lo}..{hi} overlaps what ends at {expect - 1}")
        expect = max(expect, hi + 1)
        if len(problems) >= 5:
            break
    if expect != FREE_TOP + 1 and len(problems) < 5:
        problems.append(f"the range ends at {expect - 1}, not {FREE_TOP}")
    v.check("range_covered_once", not problems, "; ".join(problems))


def check_locks_pg(v, pg, db, stopped_apps):
    """After the brokers stopped: no advisory lock left in the case's database, no session of
    a stopped broker; a lease row (issue 23) not held past its holder's stop."""
    locks = pg.advisory_locks(db)
    left = [s for a in stopped_apps for s in pg.sessions(a)]
    v.check("no_lock_left", not locks and not left,
            (f"advisory locks still held: {locks[:5]} " if locks else "") +
            (f"sessions of stopped brokers: {left[:5]}" if left else ""))
    check_lease(v, PgView(pg, db))


def check_lease(v, view):
    tables = [t for t in view.tables() if "lease" in t.lower() or "leader" in t.lower()]
    if not tables:
        v.skip("no_lease_left", "no lease table in this registry (schema before issue 23)")
        return
    held = []
    for t in tables:
        cols = view.columns(t)
        exp = [c for c in cols if "expir" in c.lower()]
        holder = [c for c in cols if "holder" in c.lower() or "owner" in c.lower()]
        if not exp:
            continue
        rows = view.rows(f"SELECT {exp[0]}" + (f", {holder[0]}" if holder else "") +
                         f" FROM {t}")
        t_now = now()
        for r in rows:
            try:
                e = int(float(r[0]))
            except ValueError:
                continue
            e_s = e / 1000.0 if e > 10 ** 11 else e      # ms or s
            who = r[1] if len(r) > 1 else "?"
            if e_s > t_now + 1 and who not in ("", "0"):
                held.append((t, who, e))
    v.check("no_lease_left", not held, f"a lease outlives every broker: {held}" if held else "")


def pass_lines(brokers):
    out = []
    for b in brokers:
        for line in b.lines:
            m = PASS_RE.search(line)
            if m:
                out.append((int(m.group(2)), int(m.group(3)), int(m.group(1)), m.group(4),
                            b.name))
    return sorted(out)


def check_passes(v, brokers):
    """No two reconciler passes overlapping (fenced ones changed nothing: they may)."""
    passes = pass_lines(brokers)
    ran = [p for p in passes if p[3] in ("ok", "failed")]
    if not ran:
        v.check("passes_not_overlapping", False,
                "no pass log lines (the broker logs no 'reconcile: pass epoch=...' line)")
        return {"passes": 0, "passes_overlapping": None}
    overlaps = []
    for i, a in enumerate(ran):
        for b in ran[i + 1:]:
            if b[0] >= a[1]:
                break
            overlaps.append((a, b))
    same_epoch = {}
    for p in ran:
        same_epoch.setdefault(p[2], set()).add(p[4])
    split = {e: sorted(s) for e, s in same_epoch.items() if len(s) > 1}
    v.check("passes_not_overlapping", not overlaps and not split,
            (f"{len(overlaps)} overlapping pair(s), e.g. {overlaps[:2]} " if overlaps else "") +
            (f"one epoch on two brokers: {split}" if split else ""))
    return {"passes": len(ran), "passes_fenced": sum(1 for p in passes if p[3] == "fenced"),
            "passes_overlapping": len(overlaps)}


def check_no_5xx_after(v, load, windows):
    """windows: [(fault start, fault end)]; a 5xx to a request that started after a fault
    had ended (and ran into no later one) is a failure. An instant window (t, t) is a
    condition that lasts: every 5xx after t counts."""
    def bad(o):
        if o.status < 500:
            return False
        end = o.end if o.end is not None else o.start
        # the request met a fault while it ran (three restarts in a row: the next one can
        # begin while a request that started after the previous one is still running)
        if any(o.start <= e and end >= s for s, e in windows if e > s):
            return False
        return any(o.start >= e for s, e in windows)
    bad_ops = sorted((o for o in load.ops if bad(o)), key=lambda o: o.start)
    ends = [e for s, e in windows if e <= (bad_ops[0].start if bad_ops else 0)]
    v.check("no_5xx_after_fault", not bad_ops,
            f"{len(bad_ops)} answer(s) >= 500 to requests started after a fault ended, first "
            f"{bad_ops[0].kind} at +{bad_ops[0].start - max(ends):.2f}s: {bad_ops[0].status} "
            f"{bad_ops[0].body[:200]}" if bad_ops else "")


def reconciler_released_live(view, ttl):
    """Reconciler 'releasing' events whose record was active, or pending and not yet past
    its TTL (the last 'allocated' event of that n less than ttl seconds before): [(n, from,
    at, allocated at)], and how many releases the reconciler made."""
    last_alloc, bad, count = {}, [], 0
    for eid, at, n, typ, detail, rid in view.rows(
            "SELECT id, at, n, type, detail, request_id FROM events ORDER BY id"):
        at = int(at) // (1000 if int(at) > 10 ** 11 else 1)
        if typ == "allocated":
            last_alloc[n] = at
            continue
        if typ != "releasing" or not rid.startswith("reconcile"):
            continue
        count += 1
        try:
            frm = json.loads(detail).get("from")
        except ValueError:
            frm = None
        alloc = last_alloc.get(n)
        if frm == "active" or (frm == "pending" and alloc is not None and at - alloc < ttl):
            bad.append((int(n), frm, at, alloc))
    return bad, count


def check_no_db_address(v, load, probe=None):
    bodies = [(o.kind, o.status, o.body) for o in load.ops if o.status >= 400]
    if probe:
        bodies += [("readyz", s[2], s[3]) for s in probe.samples if s[2] >= 400]
    leaks = [b for b in bodies if DB_ADDRESS_RE.search(b[2])]
    v.check("no_db_address_in_answers", not leaks,
            f"{len(leaks)} answer(s) show the database: {leaks[0]}" if leaks else
            f"{len(bodies)} error answers checked")
